"""The course's one data cache, one offline switch and one network probe (every lesson that reads data).

Everything the course downloads (Liang et al.'s feature files, MNIST's idx files, open_clip weights
when allowed) goes through this module, so that the rules are the same everywhere:

* **Where**: ``data_dir()`` is ``$MODGAP_DATA_DIR`` if set (and non-empty), else ``~/.cache/modgap_edu``.
* **Offline switch**: ``offline_requested()`` is THE parser of ``MODGAP_OFFLINE`` and ``HF_HUB_OFFLINE``:
  ``1/true/yes/on`` (any case) means offline, ``0/false/no/off`` or empty means online; either variable
  being on means offline. Any other spelling is a ``ValueError`` naming the variable.
* **Probe**: ``network_available(url)`` answers within one deadline (at most ``MAX_PROBE_SECONDS``)
  that covers DNS and every TCP connect, through the proxy that ``https_proxy``/``http_proxy`` name.
* **Downloads**: ``fetch(url, sha256, fname)`` probes first, then downloads with ``pooch.retrieve``
  (sha256 checked, written atomically, cached). Offline or unreachable it raises ``DataUnavailable``
  at once with a how-to message; a wrong checksum is a ``ChecksumError`` and leaves no file behind.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Optional, Union

OFFLINE_VARIABLES = ("MODGAP_OFFLINE", "HF_HUB_OFFLINE")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")
PROBE_SECONDS = 0.8  # default deadline of the probe: DNS + TCP connect, all addresses together
MAX_PROBE_SECONDS = 1.0  # no probe ever waits longer than this
READ_TIMEOUT = 20.0  # seconds per socket read once a download is under way


class DataUnavailable(RuntimeError):
    """A file is not cached and cannot be downloaded now (offline, blocked, refused or not found)."""


class ChecksumError(RuntimeError):
    """A file's sha256 differs from the pinned one (corrupted, truncated or tampered with)."""


class CacheDirError(ValueError):
    """The cache folder cannot be used (it is a file, or it cannot be created or written)."""


# ------------------------------------------------------------------ where
def data_dir() -> Path:
    """The course's cache folder.

    Returns
    -------
    Path
        ``$MODGAP_DATA_DIR`` (``~`` expanded) if set and non-empty, else ``~/.cache/modgap_edu``.
        The folder is not created here (see ``ensure_dir``).
    """
    env = os.environ.get("MODGAP_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "modgap_edu"


def ensure_dir(folder: Union[str, os.PathLike, None] = None) -> Path:
    """Create ``folder`` (default ``data_dir()``) if needed and check that files can be written in it.

    Parameters
    ----------
    folder : path-like, optional
        The folder to prepare; ``None`` means ``data_dir()``.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    CacheDirError
        When the path (or a parent) is a file, or the folder cannot be created or written; the
        message is one line saying what to change.
    """
    path = Path(folder) if folder is not None else data_dir()
    hint = "set MODGAP_DATA_DIR (or --dest) to a writable folder"
    if path.exists() and not path.is_dir():
        raise CacheDirError(f"cannot use {path} as the data folder: it is a file, not a folder; {hint}.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheDirError(f"cannot create the data folder {path}: {exc.strerror or exc}; {hint}.") from None
    try:  # a real write: os.access says yes to root on a read-only file system
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise CacheDirError(f"cannot write into the data folder {path}: {exc.strerror or exc}; {hint}.") from None
    return path


# ------------------------------------------------------------------ the offline switch
def _switch(variable: str) -> bool:
    raw = os.environ.get(variable, "")
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(
        f"{variable}={raw!r} is not understood: set it to 1/true/yes/on (offline) or "
        "0/false/no/off (online), or unset it."
    )


def offline_requested() -> bool:
    """True when ``MODGAP_OFFLINE`` or ``HF_HUB_OFFLINE`` asks for offline mode (the course's one parser).

    Returns
    -------
    bool
        True if either variable is ``1``, ``true``, ``yes`` or ``on`` (case-insensitive, spaces ignored);
        False if both are unset, empty, ``0``, ``false``, ``no`` or ``off``.

    Raises
    ------
    ValueError
        For any other value, naming the variable (a typo must not silently mean "online").
    """
    answers = [_switch(v) for v in OFFLINE_VARIABLES]  # parse both, so a typo in either is reported
    return any(answers)


# ------------------------------------------------------------------ the bounded probe
def _target(url_or_host: str) -> tuple[str, int, str]:
    """(host, port, scheme) of a URL or ``host[:port]``; ``scheme`` is ``""`` for a bare host."""
    if not isinstance(url_or_host, str) or not url_or_host.strip():
        raise ValueError(f"url_or_host must be a URL or a host name, got {url_or_host!r}.")
    text = url_or_host.strip()
    parts = urllib.parse.urlsplit(text if "://" in text else "//" + text)
    scheme = parts.scheme
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"url_or_host has a bad port: {url_or_host!r}.") from None
    return parts.hostname or "", port or (80 if scheme == "http" else 443), scheme


def _via_proxy(host: str, port: int, scheme: str) -> tuple[str, int]:
    """The proxy urllib/requests would use for ``scheme://host`` (from ``https_proxy`` etc.), or the host."""
    proxy = urllib.request.getproxies().get(scheme or "https")
    if not proxy or urllib.request.proxy_bypass(host):
        return host, port
    pp = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
    return pp.hostname or "", pp.port or 8080


def _resolve(host: str, port: int, timeout: float) -> list:
    """``getaddrinfo`` with a deadline (socket timeouts do not bound DNS lookups)."""
    box: dict = {}

    def work() -> None:
        try:
            box["info"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    if worker.is_alive():
        raise DataUnavailable(f"could not resolve {host} within {timeout:g} s (no network?)")
    if "error" in box:
        raise DataUnavailable(f"could not resolve {host}: {box['error']}")
    return box["info"]


def _deadline(timeout: float) -> float:
    try:
        t = float(timeout)
    except (TypeError, ValueError):
        raise ValueError(f"timeout must be a number of seconds, got {timeout!r}.") from None
    if not t > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}.")
    return min(t, MAX_PROBE_SECONDS)


def probe(url_or_host: str, timeout: float = PROBE_SECONDS) -> None:
    """Raise ``DataUnavailable`` unless the host (or its proxy) resolves and accepts a TCP connection in time.

    DNS and every connect attempt share one deadline of ``min(timeout, MAX_PROBE_SECONDS)`` seconds, so
    a resolver that hangs or packets that are silently dropped also fail within it. ``file://`` URLs pass.

    Parameters
    ----------
    url_or_host : str
        A URL (``https://host/path``) or ``host[:port]``.
    timeout : float
        Seconds allowed in total (capped at ``MAX_PROBE_SECONDS``).
    """
    limit = _deadline(timeout)
    host, port, scheme = _target(url_or_host)
    if scheme == "file":
        return
    host, port = _via_proxy(host, port, scheme)
    deadline = time.monotonic() + limit
    info = _resolve(host, port, limit)
    last: Optional[Exception] = None
    for family, kind, proto, _, sockaddr in info[:4]:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            with socket.socket(family, kind, proto) as s:
                s.settimeout(left)
                s.connect(sockaddr)
            return
        except OSError as exc:
            last = exc
    raise DataUnavailable(f"could not connect to {host}:{port} within {limit:g} s ({last or 'timed out'})")


def network_available(url_or_host: str, timeout: float = PROBE_SECONDS) -> bool:
    """Whether ``url_or_host`` can be reached now: False at once in offline mode, else ``probe`` within its deadline.

    Parameters
    ----------
    url_or_host : str
        A URL or ``host[:port]``; the ``https_proxy``/``http_proxy``/``no_proxy`` variables are honoured.
    timeout : float
        Seconds allowed for DNS and connecting together (capped at ``MAX_PROBE_SECONDS``).

    Returns
    -------
    bool
    """
    limit = _deadline(timeout)
    _target(url_or_host)  # bad input is a ValueError, not "offline"
    if offline_requested():
        return False
    try:
        probe(url_or_host, limit)
    except DataUnavailable:
        return False
    return True


# ------------------------------------------------------------------ checksums
_VERIFIED: dict[tuple, bool] = {}


def sha256_of(path: Union[str, os.PathLike]) -> str:
    """Hex sha256 of a file (read in 1 MB blocks).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    str
        64 hex digits.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_sha(sha256: str) -> str:
    text = sha256.lower().removeprefix("sha256:") if isinstance(sha256, str) else ""
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"sha256 must be 64 hex digits, got {sha256!r}.")
    return text


def is_verified(path: Union[str, os.PathLike], sha256: str) -> bool:
    """True when ``path`` is a file whose sha256 is ``sha256`` (memoized on path, size and mtime)."""
    sha = _check_sha(sha256)
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return False
    if not p.is_file():
        return False
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns, sha)
    if key not in _VERIFIED:
        try:
            _VERIFIED[key] = sha256_of(p) == sha
        except OSError:
            return False
    return _VERIFIED[key]


def verify(path: Union[str, os.PathLike], sha256: str) -> Path:
    """Return ``path`` if its sha256 is ``sha256``; else raise ``ChecksumError`` saying what to do."""
    sha = _check_sha(sha256)
    p = Path(path)
    if is_verified(p, sha):
        return p
    actual = sha256_of(p) if p.is_file() else "missing"
    raise ChecksumError(
        f"{p} has sha256 {actual[:16]}..., expected {sha[:16]}... (the pinned file). "
        "The file is corrupted or not the right one: delete it and load again to re-download."
    )


# ------------------------------------------------------------------ downloads
def _how_to(url: str, target: Path) -> str:
    return (
        f"To get it, go online and unset MODGAP_OFFLINE/HF_HUB_OFFLINE, or copy {target.name} "
        f"(from {url}) to {target} (MODGAP_DATA_DIR chooses the folder)."
    )


def _retrieve(url: str, sha: str, target: Path, progress: bool) -> None:
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=bool(progress), timeout=READ_TIMEOUT)
    try:
        pooch.retrieve(url, known_hash=f"sha256:{sha}", fname=target.name, path=target.parent, downloader=downloader)
    except ValueError as exc:  # pooch's hash mismatch; the partial download is already deleted
        if "hash" not in str(exc).lower():
            raise
        raise ChecksumError(
            f"the file downloaded from {url} does not have the pinned sha256 {sha[:16]}...: "
            "the server sent something else (nothing was cached)."
        ) from None
    except (requests.RequestException, OSError) as exc:
        raise DataUnavailable(f"downloading {url} failed: {exc}. {_how_to(url, target)}") from None


def fetch(url: str, sha256: str, fname: str, subdir: Optional[str] = None, progress: bool = False) -> Path:
    """Path of a verified cached copy of ``url``, downloading it (probe first, then pooch) when needed.

    Parameters
    ----------
    url : str
        Where the file lives (``http://``, ``https://``).
    sha256 : str
        Its pinned sha256 (64 hex digits, optionally prefixed ``sha256:``).
    fname : str
        File name inside the cache folder.
    subdir : str, optional
        Sub-folder of ``data_dir()`` (e.g. ``"mnist"``).
    progress : bool
        Show a tqdm progress bar while downloading (``TQDM_DISABLE=1`` still silences it).

    Returns
    -------
    Path
        ``data_dir() / subdir / fname``, whose sha256 is ``sha256``.

    Raises
    ------
    DataUnavailable
        Not cached and offline mode is on, the host
        cannot be reached within the probe deadline, or the server refuses or lacks the file.
    ChecksumError
        The download (or, when re-downloading is impossible, the cached file) has another sha256.
    CacheDirError
        The cache folder cannot be created or written.
    """
    sha = _check_sha(sha256)
    if not isinstance(fname, str) or not fname or Path(fname).name != fname:
        raise ValueError(f"fname must be a plain file name (no folders), got {fname!r}.")
    folder = data_dir() / subdir if subdir else data_dir()
    target = folder / fname
    if is_verified(target, sha):
        return target
    stale = target.exists()
    try:
        if offline_requested():
            raise DataUnavailable("offline mode is on (MODGAP_OFFLINE or HF_HUB_OFFLINE), so nothing is downloaded")
        probe(url)
    except DataUnavailable as exc:
        if stale:
            raise ChecksumError(
                f"{target} does not have the pinned sha256 {sha[:16]}... (corrupted or "
                f"truncated) and re-downloading is not possible now ({exc}): delete it, and "
                f"{_how_to(url, target)[10:]}"
            ) from None
        raise DataUnavailable(
            f"{target.name} is not cached at {target} and cannot be downloaded now: {exc}. {_how_to(url, target)}"
        ) from None
    ensure_dir(folder)
    _retrieve(url, sha, target, progress)
    return verify(target, sha)
