"""MAD, the Multimodal Attributes and Digits dataset (lesson 04): base digits, factors, the dataset."""
