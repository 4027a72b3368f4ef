"""Process-level helpers: the torchvision compatibility guard, memory release, seeding, threads."""
