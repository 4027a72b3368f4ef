"""Make ``import open_clip`` work beside a CPU-only torch.

open_clip imports torchvision when it is imported, but only uses its pure
Python parts (transforms, ``ops.misc``). On machines where torchvision's C++
extension cannot load next to the installed torch (for example PyPI's CUDA
torchvision 0.28.0 beside the local ``torch 2.13.0+cpu`` wheel), importing
torchvision fails with ``RuntimeError: operator torchvision::nms does not
exist``: two fake-kernel registrations in ``torchvision/_meta_registrations.py``
are not guarded by ``_has_ops()``.

``install()`` runs once, just before torchvision is first imported (``install_on_import``,
called by ``modgap_edu/__init__.py``). It is a no-op when
torchvision is not installed, is already imported, or its extension loads.
Only when the extension fails to load does it declare the two missing operator
schemas (``nms`` and ``qnms``), so that torchvision's import succeeds. The real
kernels are still missing then: ``torchvision.ops.nms`` raises, as it would
anyway; the course never calls it.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import sys

# Keeps the operator definitions alive: they exist as long as this object does.
_LIBRARY = None
ACTIVE = False  # True when the shim had to define the schemas.

_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)


def _extension_loads(package_dir: str) -> bool:
    import torch

    for lib in sorted(glob.glob(os.path.join(package_dir, "_C*.so")) + glob.glob(os.path.join(package_dir, "_C*.pyd"))):
        try:
            torch.ops.load_library(lib)
            return True
        except (OSError, RuntimeError):
            continue
    return False


def install() -> bool:
    """Declare torchvision's missing op schemas if (and only if) its C++ extension cannot load.

    Returns True when the shim is active.
    """
    global _LIBRARY, ACTIVE
    if ACTIVE or "torchvision" in sys.modules:
        return ACTIVE
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return False
    package_dir = list(spec.submodule_search_locations)[0]
    if _extension_loads(package_dir):
        return False
    import torch

    if hasattr(torch.ops, "torchvision") and hasattr(torch.ops.torchvision, "nms"):
        try:  # already declared by somebody else
            torch.ops.torchvision.nms.default  # noqa: B018
            return False
        except (AttributeError, RuntimeError):
            pass
    _LIBRARY = torch.library.Library("torchvision", "FRAGMENT")
    for schema in _SCHEMAS:
        _LIBRARY.define(schema)
    ACTIVE = True
    return True


class _BeforeTorchvision:
    """A meta-path finder that runs ``install()`` once, just before torchvision is first imported."""

    def find_spec(self, name, path=None, target=None):
        if name == "torchvision":
            uninstall_import_hook()
            install()
        return None  # the normal finders do the import


_HOOK = _BeforeTorchvision()


def install_on_import() -> None:
    """Arrange for ``install()`` to run when torchvision is imported (now, if it already was needed).

    ``import modgap_edu`` calls this instead of ``install()`` so that the package imports without
    loading torch; ``import open_clip`` later triggers the guard through torchvision's import.
    """
    if "torchvision" in sys.modules:
        return
    if _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


def uninstall_import_hook() -> None:
    if _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)
