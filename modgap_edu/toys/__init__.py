"""Synthetic worlds small enough to train in seconds: points on the sphere, six pairs, paired cones."""
