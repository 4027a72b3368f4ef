"""Real CLIP-family embeddings from Liang et al. 2022 ("Mind the Gap"), downloaded on demand (lessons 02+).

The authors publish, MIT-licensed, image/text (or video/protein/text) embeddings of matched
pairs in ``Figure_1_Modality_Gap/features_<name>.npy`` of ``Weixin-Liang/Modality-Gap``
(commit pinned below). Each file is ``np.save([img, txt])``: shape (2, N, d), row i of each
half is a matched pair. These files are never part of this project: ``load_liang_features``
downloads one from the commit-pinned URL, checks its sha256 and caches it.

* Cache folder: ``$MODGAP_DATA_DIR`` if set, else ``~/.cache/modgap_edu``.
* Offline: with ``MODGAP_OFFLINE=1`` or ``HF_HUB_OFFLINE=1`` no connection is attempted; otherwise
  the host must resolve and accept a connection within ``CONNECT_TIMEOUT`` seconds. Either way an
  uncached file fails fast with ``DataUnavailable`` saying how to get it.
* ``real_or_fallback_features`` is what lessons call: the real features when they can be had,
  otherwise embeddings from the course's own model, with a sentence saying which one it is.

Command line (e.g. to seed a cache from a folder holding the files, as CI does)::

    python -m modgap_edu.data.liang_features --seed-from ../shared/data [--dest DIR]
    python -m modgap_edu.data.liang_features --download clip
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Optional

import numpy as np

from modgap_edu.core.metrics import unit_rows

REPO = "Weixin-Liang/Modality-Gap"
COMMIT = "8e20cb24efa4c5f89aad694f2f65eb43ffc46d10"
BASE_URL = f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/Figure_1_Modality_Gap/"
CONNECT_TIMEOUT = 0.8  # seconds allowed for DNS + TCP connect before we call the machine offline
READ_TIMEOUT = 20.0  # seconds per socket read once connected

# name -> (file, sha256, what it is)
FILES: dict[str, tuple[str, str, str]] = {
    "clip": ("features_clip.npy", "7227280ace0f145d2c45afa8ab507a1cb280e9460aa271fe9052d08e35342adb",
             "pretrained OpenAI CLIP ViT-B/16 on the first 500 MSCOCO val2017 image-caption pairs"),
    "clip_random": ("features_clip_random.npy",
                    "c6a5f9ca3fba36d635fd47d20b3cdd5b9ac78dc462070240fdc2ee2786110403",
                    "randomly initialised CLIP ViT-B/16 (never trained) on the same 500 MSCOCO pairs"),
    "convirt": ("features_convirt.npy", "8cfb9c31888d12726a3f8b551bed64f04b25d1c76d5353b0a3e9efeceb43edb9",
                "ConVIRT (ResNet-50 + Bio_ClinicalBERT) on 500 MIMIC-CXR chest X-ray / report pairs"),
    "videoclip": ("features_videoclip.npy", "53255cac6105c5c47dd1850d77de084957d5f83841ba9ae9254bf7ae998573da",
                  "VideoCLIP on 100 MSR-VTT test videos with their captions (768-d)"),
    "clasp": ("features_clasp.npy", "5a1d12a68729405003fe19b271a38ae35adab97c139e4b4a51d70b18c44bf628",
              "CLASP on 99 protein-sequence / text pairs (768-d)"),
}
NAMES = tuple(FILES)


class DataUnavailable(RuntimeError):
    """The file is not cached and cannot be downloaded now (offline, blocked, or refused)."""


class ChecksumError(RuntimeError):
    """A file's sha256 differs from the pinned one (corrupted, truncated or tampered with)."""


# ------------------------------------------------------------------ paths and checks
def _check_name(name: str) -> str:
    if name not in FILES:
        raise ValueError(f"unknown feature set {name!r}: choose one of {', '.join(NAMES)}.")
    return name


def data_dir() -> Path:
    """The cache folder: ``$MODGAP_DATA_DIR`` if set (and non-empty), else ``~/.cache/modgap_edu``."""
    env = os.environ.get("MODGAP_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "modgap_edu"


def cache_path(name: str) -> Path:
    """Where ``features_<name>.npy`` is (or will be) cached."""
    return data_dir() / FILES[_check_name(name)][0]


def url(name: str) -> str:
    """The commit-pinned upstream URL of a feature file."""
    return BASE_URL + FILES[_check_name(name)][0]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(name: str, path: Optional[Path] = None) -> Path:
    """Check a file's sha256 against the pinned value; return its path or raise ``ChecksumError``."""
    path = Path(path) if path is not None else cache_path(name)
    expected = FILES[_check_name(name)][1]
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(
            f"{path} has sha256 {actual[:16]}..., expected {expected[:16]}... (the pinned upstream file). "
            "The file is corrupted or not the right one: delete it and load again to re-download."
        )
    return path


def offline_requested() -> bool:
    """True when ``MODGAP_OFFLINE`` or ``HF_HUB_OFFLINE`` is set to a true value (1/true/yes/on)."""
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("MODGAP_OFFLINE", "HF_HUB_OFFLINE"))


# ------------------------------------------------------------------ download
def _resolve(host: str, port: int, timeout: float) -> list:
    """``getaddrinfo`` with a deadline (socket timeouts do not bound DNS lookups)."""
    box: dict = {}

    def work() -> None:
        try:
            box["info"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise DataUnavailable(f"could not resolve {host} within {timeout:g} s (no network?)")
    if "error" in box:
        raise DataUnavailable(f"could not resolve {host}: {box['error']}")
    return box["info"]


def _probe(address: str, timeout: float) -> None:
    """Fail fast unless ``address``'s host (or the proxy urllib would use for it) resolves and accepts
    a TCP connection, all within ``timeout`` seconds in total (DNS and every connect attempt share one
    deadline, so a machine whose packets are silently dropped also fails within ``timeout``)."""
    parts = urllib.parse.urlsplit(address)
    if parts.scheme == "file":
        return
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        pp = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
        host, port = pp.hostname or "", pp.port or 8080
    deadline = time.monotonic() + timeout
    info = _resolve(host, port, timeout)
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
    raise DataUnavailable(f"could not connect to {host}:{port} within {timeout:g} s ({last or 'timed out'})")


def download(name: str, dest: Optional[Path] = None, base_url: Optional[str] = None) -> Path:
    """Download ``features_<name>.npy`` to ``dest`` (default: ``cache_path(name)``), verified.

    Writes to a temporary file first and moves it into place only when the sha256 matches,
    so an interrupted or wrong download never leaves a bad cache file.
    """
    _check_name(name)
    dest = Path(dest) if dest is not None else cache_path(name)
    source = (base_url if base_url is not None else BASE_URL) + FILES[name][0]
    if offline_requested():
        raise DataUnavailable("offline mode is on (MODGAP_OFFLINE or HF_HUB_OFFLINE is set), so nothing is "
                              "downloaded")
    _probe(source, CONNECT_TIMEOUT)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(source, timeout=READ_TIMEOUT) as response:
                    shutil.copyfileobj(response, out)
            except OSError as exc:  # URLError, HTTPError, timeouts are all OSError
                raise DataUnavailable(f"downloading {source} failed: {exc}") from exc
        verify(name, Path(tmp))
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def _unavailable_message(name: str, reason: str) -> str:
    return (f"The real features {name!r} are not cached at {cache_path(name)} and cannot be downloaded now: "
            f"{reason}. To get them, go online and unset MODGAP_OFFLINE/HF_HUB_OFFLINE, or copy "
            f"{FILES[name][0]} (from {url(name)}) into {data_dir()} (or point MODGAP_DATA_DIR at a folder "
            "holding it).")


def fetch(name: str) -> Path:
    """Path of a verified cached copy of ``features_<name>.npy``, downloading it when needed.

    A cached file with the wrong checksum is re-downloaded when possible; offline, that is a
    ``ChecksumError`` (the corrupt file is left in place for you to inspect or delete).
    """
    path = cache_path(name)
    if path.exists():
        try:
            return verify(name, path)
        except ChecksumError as bad:
            try:
                return download(name, path)
            except DataUnavailable as exc:
                raise ChecksumError(f"{bad} Re-downloading is not possible now: {exc}.") from None
    try:
        return download(name, path)
    except DataUnavailable as exc:
        raise DataUnavailable(_unavailable_message(name, str(exc))) from None


def load_liang_features(name: str = "clip", normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(image_emb, text_emb)`` of Liang et al.'s ``features_<name>.npy`` (lessons 02+; Liang Fig. 1).

    ``name`` is one of ``clip``, ``clip_random``, ``convirt``, ``videoclip``, ``clasp``. Row i of
    both arrays is a matched pair. With ``normalize=True`` (default) rows are re-normalized to
    unit length in float64 (the CLIP file was saved in fp16, its norms are 0.9995-1.0006).
    Raises ``DataUnavailable`` (not cached, cannot download) or ``ChecksumError``.
    """
    path = fetch(_check_name(name))
    arr = np.load(path, allow_pickle=False)
    if arr.ndim != 3 or arr.shape[0] != 2:
        raise ChecksumError(f"{path} has shape {arr.shape}, expected (2, N, d).")
    img, txt = arr[0].astype(np.float64), arr[1].astype(np.float64)
    if normalize:
        img, txt = unit_rows(img), unit_rows(txt)
    return img, txt


def seed_cache(source_dir: os.PathLike, dest_dir: Optional[os.PathLike] = None,
               names: tuple[str, ...] = NAMES) -> list[Path]:
    """Copy the feature files found in ``source_dir`` into the cache (``dest_dir`` or ``data_dir()``).

    Each copy is checksum-verified; missing files are skipped. Returns the paths written.
    Used by tests and CI (``python -m modgap_edu.data.liang_features --seed-from ../shared/data``).
    """
    src = Path(source_dir)
    dest = Path(dest_dir) if dest_dir is not None else data_dir()
    written = []
    for name in names:
        f = src / FILES[_check_name(name)][0]
        if not f.exists():
            continue
        verify(name, f)
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / f.name
        if not (target.exists() and sha256_of(target) == FILES[name][1]):
            shutil.copyfile(f, target)
        written.append(target)
    return written


def main(argv: Optional[list] = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="Fetch or seed Liang et al.'s feature files (modgap_edu).")
    p.add_argument("--seed-from", help="folder holding features_*.npy to copy (verified) into the cache")
    p.add_argument("--dest", help="cache folder to write (default: $MODGAP_DATA_DIR or ~/.cache/modgap_edu)")
    p.add_argument("--download", nargs="*", choices=NAMES, help="download these names (default all)")
    args = p.parse_args(argv)
    if args.seed_from:
        for path in seed_cache(args.seed_from, args.dest):
            print(f"seeded {path}")
    if args.download is not None:
        for name in args.download or NAMES:
            print(f"{name}: {fetch(name)}")
    if not args.seed_from and args.download is None:
        for name in NAMES:
            path = cache_path(name)
            print(f"{name:12s} {'cached' if path.exists() else 'missing'}  {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
