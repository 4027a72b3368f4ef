"""Give freed memory back to the operating system (lessons 04 and 05, Binder's 1 GB budget).

A training run allocates a few hundred MB of activations and gradients. When the tensors are freed,
glibc's allocator keeps much of that memory in the process (it is reused later, but still counts as
resident memory), so a notebook kernel that trains twice, or trains after heavy cells, can climb past
Binder's guaranteed 1 GB although it never needs that much at once. ``release_memory`` runs the
garbage collector and then asks glibc to return free heap pages (``malloc_trim(0)``). It is called
before and after each training run in ``modgap_edu.models.mad_clip.train_mad_clip``; elsewhere (macOS, musl) it only collects.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

_TRIM = None


def _malloc_trim():
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                _TRIM = libc.malloc_trim  # glibc only; musl has no malloc_trim -> AttributeError
                _TRIM.argtypes, _TRIM.restype = [ctypes.c_size_t], ctypes.c_int
            except (OSError, AttributeError):
                _TRIM = False
    return _TRIM


def release_memory() -> bool:
    """Collect garbage and return free heap memory to the OS. True if the allocator released some."""
    gc.collect()
    trim = _malloc_trim()
    return bool(trim(0)) if trim else False
