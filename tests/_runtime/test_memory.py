"""modgap_edu._runtime.memory: freed heap pages go back to the OS (Binder's 1 GB, lessons 04-05)."""

from __future__ import annotations

import platform

from modgap_edu._runtime.memory import release_memory


def test_release_memory_returns_heap_pages_on_glibc():
    blocks = [bytearray(64 * 1024) for _ in range(2000)]  # ~128 MB of small heap blocks, then freed
    del blocks
    assert release_memory() is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
