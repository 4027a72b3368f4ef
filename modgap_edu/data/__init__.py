"""Data sources: one cache (offline switch, checksums), Liang's features, sample images, embedding files."""
