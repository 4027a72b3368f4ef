"""The science: gap metrics, losses, validation, dimensions, rank statistics, Procrustes, cone, shift.

numpy/torch only, no I/O, no plotting; imports nothing of the package outside ``core`` and ``_runtime``."""
