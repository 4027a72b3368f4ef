"""Shared test fixtures.

``shared_data_dir``: the real CLIP embedding files of Liang et al. (``../shared/data``
beside the repository; see its SOURCE.md). Tests that need them skip when absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import modgap_edu  # noqa: F401  (installs the torchvision shim before any open_clip import)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MODGAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
LIANG_NAMES = ("clip", "clip_random", "convirt", "videoclip", "clasp")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    if not (SHARED_DATA / "features_clip.npy").exists():
        pytest.skip(f"real CLIP feature files not found in {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
