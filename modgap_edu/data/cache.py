"""Offline switch and network probe (minimal stand-in written by the cli worktree).

The data engineer's ``modgap_edu/data/cache.py`` replaces this file at merge time; only the API below is
relied on by ``cli/`` and ``models/openclip.py``:

* ``offline_requested()``: the one parser of ``MODGAP_OFFLINE`` / ``HF_HUB_OFFLINE``;
* ``network_available(url_or_host, timeout=1.0)``: one bounded TCP probe;
* ``DataUnavailable``: raised when data or weights cannot be had offline.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from urllib.parse import urlsplit

_TRUE = ("1", "true", "yes", "on")


class DataUnavailable(RuntimeError):
    """Data or weights are not on this machine and may not (or cannot) be downloaded."""


def offline_requested() -> bool:
    """True when ``MODGAP_OFFLINE`` or ``HF_HUB_OFFLINE`` is 1/true/yes/on (any case)."""
    return any(os.environ.get(var, "").strip().lower() in _TRUE for var in ("MODGAP_OFFLINE", "HF_HUB_OFFLINE"))


def _host_port(url_or_host: str) -> tuple[str, int]:
    if "://" in url_or_host:
        parts = urlsplit(url_or_host)
        return parts.hostname or "", parts.port or (80 if parts.scheme == "http" else 443)
    host, _, port = url_or_host.partition(":")
    return host, int(port) if port.isdigit() else 443


def network_available(url_or_host: str, timeout: float = 1.0) -> bool:
    """One TCP connect to ``url_or_host`` (a URL or ``host[:port]``) within ``timeout`` seconds overall.

    Name resolution and every address tried share the one deadline, so an unplugged machine answers
    ``False`` in about ``timeout`` seconds instead of after retries with back-off.
    """
    host, port = _host_port(str(url_or_host))
    if not host:
        return False
    deadline = time.monotonic() + float(timeout)
    found: list = []

    def resolve() -> None:  # getaddrinfo ignores socket timeouts: bound it with a daemon thread
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError):
            pass

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    infos = list(found) if not worker.is_alive() else []
    for family, kind, proto, _, addr in infos:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(left)
                sock.connect(addr)
                return True
        except OSError:
            continue
    return False
