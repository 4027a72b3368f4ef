"""Real CLIP-family embeddings from Liang et al. 2022 ("Mind the Gap"), downloaded on demand (lessons 02+).

The authors publish, MIT-licensed, image/text (or video/protein/text) embeddings of matched
pairs in ``Figure_1_Modality_Gap/features_<name>.npy`` of ``Weixin-Liang/Modality-Gap``
(commit pinned below). Each file is ``np.save([img, txt])``: shape (2, N, d), row i of each
half is a matched pair. These files are never part of this project: ``load_liang_features``
downloads one from the commit-pinned URL, checks its sha256 and caches it.

* Cache folder, offline switch, probe and download: ``modgap_edu.data.cache`` (``$MODGAP_DATA_DIR``,
  else ``~/.cache/modgap_edu``; ``MODGAP_OFFLINE``/``HF_HUB_OFFLINE``; one probe of at most
  ``CONNECT_TIMEOUT`` seconds; pooch with the pinned sha256). An uncached file fails fast offline
  with ``DataUnavailable`` saying how to get it.
* ``real_or_fallback_features`` is what lessons call: the real features when they can be had,
  otherwise embeddings from the course's own model, with a sentence saying which one it is.

Command line (e.g. to seed a cache from a folder holding the files, as CI does)::

    python -m modgap_edu.data --seed-from ../shared/data [--dest DIR]   (or -m modgap_edu.data.liang_features)
    python -m modgap_edu.data --download clip
    python -m modgap_edu.data            # lists every file: cached, CORRUPTED or missing

Errors (a missing seed folder, a read-only ``--dest``, a ``MODGAP_DATA_DIR`` that is a file) are one
line on stderr and exit status 2; a corrupted file is one line and exit status 1.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Optional

import numpy as np

from modgap_edu.core.metrics import unit_rows
from modgap_edu.data import cache
from modgap_edu.data.cache import CacheDirError, ChecksumError, DataUnavailable, data_dir, offline_requested, sha256_of

__all__ = [
    "FILES",
    "NAMES",
    "ChecksumError",
    "DataUnavailable",
    "cache_path",
    "data_dir",
    "fetch",
    "load_liang_features",
    "offline_requested",
    "seed_cache",
    "sha256_of",
    "status",
    "url",
    "verify",
]

REPO = "Weixin-Liang/Modality-Gap"
COMMIT = "8e20cb24efa4c5f89aad694f2f65eb43ffc46d10"
BASE_URL = f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/Figure_1_Modality_Gap/"
CONNECT_TIMEOUT = cache.PROBE_SECONDS  # seconds allowed for DNS + TCP connect before we call the machine offline

# name -> (file, sha256, what it is)
FILES: dict[str, tuple[str, str, str]] = {
    "clip": (
        "features_clip.npy",
        "7227280ace0f145d2c45afa8ab507a1cb280e9460aa271fe9052d08e35342adb",
        "pretrained OpenAI CLIP ViT-B/16 on the first 500 MSCOCO val2017 image-caption pairs",
    ),
    "clip_random": (
        "features_clip_random.npy",
        "c6a5f9ca3fba36d635fd47d20b3cdd5b9ac78dc462070240fdc2ee2786110403",
        "randomly initialised CLIP ViT-B/16 (never trained) on the same 500 MSCOCO pairs",
    ),
    "convirt": (
        "features_convirt.npy",
        "8cfb9c31888d12726a3f8b551bed64f04b25d1c76d5353b0a3e9efeceb43edb9",
        "ConVIRT (ResNet-50 + Bio_ClinicalBERT) on 500 MIMIC-CXR chest X-ray / report pairs",
    ),
    "videoclip": (
        "features_videoclip.npy",
        "53255cac6105c5c47dd1850d77de084957d5f83841ba9ae9254bf7ae998573da",
        "VideoCLIP on 100 MSR-VTT test videos with their captions (768-d)",
    ),
    "clasp": (
        "features_clasp.npy",
        "5a1d12a68729405003fe19b271a38ae35adab97c139e4b4a51d70b18c44bf628",
        "CLASP on 99 protein-sequence / text pairs (768-d)",
    ),
}
NAMES = tuple(FILES)


# ------------------------------------------------------------------ paths and checks
def _check_name(name: str) -> str:
    if not isinstance(name, str) or name not in FILES:
        raise ValueError(f"unknown feature set {name!r}: choose one of {', '.join(NAMES)}.")
    return name


def cache_path(name: str) -> Path:
    """Where ``features_<name>.npy`` is (or will be) cached: ``data_dir() / features_<name>.npy``."""
    return data_dir() / FILES[_check_name(name)][0]


def url(name: str) -> str:
    """The commit-pinned upstream URL of a feature file."""
    return BASE_URL + FILES[_check_name(name)][0]


def verify(name: str, path: Optional[os.PathLike] = None) -> Path:
    """Check a file's sha256 against the pinned value of ``name``; return its path or raise ``ChecksumError``."""
    return cache.verify(Path(path) if path is not None else cache_path(name), FILES[_check_name(name)][1])


def status(name: str, folder: Optional[os.PathLike] = None) -> str:
    """``"cached"`` (sha256 verified), ``"corrupted"`` (present, wrong sha256) or ``"missing"``."""
    path = (Path(folder) if folder is not None else data_dir()) / FILES[_check_name(name)][0]
    if not path.exists():
        return "missing"
    return "cached" if cache.is_verified(path, FILES[name][1]) else "corrupted"


def fetch(name: str) -> Path:
    """Path of a verified cached copy of ``features_<name>.npy``, downloaded (probe, then pooch) when needed.

    A cached file with the wrong checksum is re-downloaded when possible; offline, that is a
    ``ChecksumError`` (the corrupt file is left in place for you to inspect or delete).
    """
    fname, sha, _ = FILES[_check_name(name)]
    return cache.fetch(url(name), sha, fname)


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


def seed_cache(
    source_dir: os.PathLike, dest_dir: Optional[os.PathLike] = None, names: tuple[str, ...] = NAMES
) -> list[Path]:
    """Copy the feature files found in ``source_dir`` into the cache (``dest_dir`` or ``data_dir()``).

    Each source file is checksum-verified before it is copied (``ChecksumError`` otherwise); files absent
    from ``source_dir`` are skipped. Used by tests and CI (``python -m modgap_edu.data --seed-from DIR``).

    Parameters
    ----------
    source_dir : path-like
        An existing folder holding some ``features_*.npy`` files.
    dest_dir : path-like, optional
        The cache folder to fill (default ``data_dir()``).
    names : tuple of str
        Which feature sets to look for.

    Returns
    -------
    list of Path
        The cached paths written or already up to date.

    Raises
    ------
    FileNotFoundError
        ``source_dir`` does not exist or is not a folder.
    CacheDirError
        ``dest_dir`` is a file or cannot be written.
    ChecksumError
        A source file is not the pinned one.
    """
    src = Path(source_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"--seed-from {src}: no such folder (it should hold features_*.npy files).")
    found = [(name, src / FILES[_check_name(name)][0]) for name in names]
    found = [(name, f) for name, f in found if f.is_file()]
    if not found:
        return []
    for name, f in found:
        verify(name, f)
    dest = cache.ensure_dir(dest_dir)
    written = []
    for name, f in found:
        target = dest / f.name
        if not cache.is_verified(target, FILES[name][1]):
            _copy_atomically(f, target)
        written.append(target)
    return written


def _copy_atomically(source: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".part")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CacheDirError(f"cannot write {target}: {exc.strerror or exc}.") from None


def _list(folder: Path) -> int:
    """Print one line per feature file; 1 if any is corrupted."""
    bad = 0
    for name in NAMES:
        state = status(name, folder)
        bad += state == "corrupted"
        note = "  (sha256 mismatch: delete it and download again)" if state == "corrupted" else ""
        print(f"{name:12s} {state.upper() if state == 'corrupted' else state:9s} {folder / FILES[name][0]}{note}")
    return 1 if bad else 0


def _seed(source: str, dest: Optional[str]) -> int:
    src = Path(source)
    if not src.is_dir():
        raise FileNotFoundError(f"--seed-from {src}: no such folder (it should hold features_*.npy files).")
    present = [n for n in NAMES if (src / FILES[n][0]).is_file()]
    if not present:
        raise FileNotFoundError(f"--seed-from {src}: none of {', '.join(FILES[n][0] for n in NAMES)} is there.")
    folder = cache.ensure_dir(dest)
    bad = 0
    for name in present:
        try:
            print(f"seeded {seed_cache(src, folder, names=(name,))[0]}")
        except ChecksumError:
            bad += 1
            print(f"{src / FILES[name][0]}: CORRUPTED (sha256 mismatch), not copied", file=sys.stderr)
    print(f"{len(present) - bad} of {len(present)} feature files verified and cached in {folder}")
    return 1 if bad else 0


def main(argv: Optional[list] = None) -> int:
    """The data command line: ``python -m modgap_edu.data [--seed-from DIR] [--dest DIR] [--download ...]``.

    Returns 0 on success, 1 when a file is corrupted, 2 on a usage error (printed as one line on stderr).
    """
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m modgap_edu.data", description="Fetch, seed or list Liang et al.'s feature files (modgap_edu)."
    )
    p.add_argument("--seed-from", help="folder holding features_*.npy to copy (verified) into the cache")
    p.add_argument("--dest", help="cache folder to write (default: $MODGAP_DATA_DIR or ~/.cache/modgap_edu)")
    p.add_argument("--download", nargs="*", choices=NAMES, help="download these names (default all)")
    args = p.parse_args(argv)
    try:
        rc = 0
        if args.seed_from:
            rc = max(rc, _seed(args.seed_from, args.dest))
        if args.download is not None:
            for name in args.download or NAMES:
                print(f"{name}: {fetch(name)}")
        if not args.seed_from and args.download is None:
            folder = Path(args.dest) if args.dest else data_dir()
            if folder.exists() and not folder.is_dir():
                raise CacheDirError(
                    f"cannot use {folder} as the data folder: it is a file, not a folder; set "
                    "MODGAP_DATA_DIR (or --dest) to a folder."
                )
            rc = _list(folder)
        return rc
    except (FileNotFoundError, CacheDirError, DataUnavailable, ChecksumError, ValueError) as exc:
        print(f"{p.prog}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
