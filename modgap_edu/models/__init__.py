"""Models: open_clip builders and encoders, the small towers, the one training loop, the MAD recipe."""
