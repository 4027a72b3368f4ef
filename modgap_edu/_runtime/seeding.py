"""Seeding (every lesson's setup cell): the same run prints the same numbers."""

from __future__ import annotations

import os
import random

import numpy as np


def set_seed(seed: int = 0, deterministic: bool = True) -> np.random.Generator:
    """Seed Python's ``random``, numpy and torch; return a fresh ``numpy.random.Generator``.

    With ``deterministic=True`` torch is asked for deterministic kernels (cheap on CPU).
    """
    import torch

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (the legacy global RNG that learners' np.random.* calls use)
    torch.manual_seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    return np.random.default_rng(seed)
