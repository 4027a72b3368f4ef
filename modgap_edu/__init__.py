"""modgap_edu: reference implementations for the modality-gap course.

Lessons import from here; every function's docstring names the lesson and the
paper equation it implements. Importing the package first makes
``import open_clip`` work on CPU-only torch builds (see ``_torchvision_compat``).
"""
from __future__ import annotations

from . import _torchvision_compat

_torchvision_compat.install()

from .reproducibility import set_seed  # noqa: E402

__version__ = "0.1.0"
__all__ = ["__version__", "set_seed"]
