"""MAD, the Multimodal Attributes and Digits dataset (lesson 04; Schrodi et al. 2025, ICLR, §4).

Follows the official ``mad_dataset/MAD_dataset.py`` and ``prepare_MAD.py`` (see
``shared/research/papers.md`` §3.7):

* ``FACTORS``: factor -> its literal caption words, negative values included
  (``"no swelling"``...). The digit is a factor too, because ``main_object`` can move.
* ``make_caption(labels, k, rng, main_object)``: ``k=None`` -> the main object's word alone
  (MAD's ``object_only``); otherwise the main object plus ``k`` of the other five factors'
  words, sampled without replacement, shuffled, joined by ``"-"`` (``object_attribute_k``).
* ``MADDataset``: pre-rendered gray variants (one random morphology per image, rendered once
  and cached on disk), colour applied on the stroke pixels when an item is fetched; in the
  train split the colour and the caption's attribute subset are re-drawn every epoch
  (``set_epoch``), as MAD re-draws them at every fetch; the test split keeps fixed colours.
* ``attribute_matrix``: MAD's 16-dim boolean attribute layout (0-2 thickthinning, 3-4 swelling,
  5-6 fracture, 7-8 scaling, 9-15 colour), optionally with the 10 digit classes in front (26).

Differences from the paper, on purpose: the base digits may be scikit-learn's (see
``mad_data``); each training image has one fixed morphology instead of a random one of its
24 pre-rendered variants per fetch.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch
from torch.utils.data import Dataset

from modgap_edu.core import validation as V
from modgap_edu.data import cache
from modgap_edu.mad import digits, factors

FACTORS: dict[str, tuple[str, ...]] = {
    "digit": tuple(str(d) for d in range(10)),
    "thickthinning": ("no thickthinning", "thickening", "thinning"),
    "swelling": ("no swelling", "swelling"),
    "fracture": ("no fracture", "fracture"),
    "scaling": ("large", "small"),
    "colors": ("gray", "red", "green", "blue", "cyan", "magenta", "yellow"),
}
#: the five image attributes, in MAD's attribute-index order
ATTRIBUTES = ("thickthinning", "swelling", "fracture", "scaling", "colors")
ATTRIBUTE_OFFSETS = {"thickthinning": 0, "swelling": 3, "fracture": 5, "scaling": 7, "colors": 9}
N_ATTRIBUTE_VALUES = 16
MAIN_OBJECTS = tuple(FACTORS)
DEFAULT_N = {"train": 10000, "test": 2000}
GENERATOR_VERSION = 2  # bump when the rendering changes (invalidates the disk cache)
CACHE_FORMAT = 3  # disk-cache layout: arrays + "inputs" (JSON) + "checksum" (sha256 of inputs and arrays)
_ARRAY_KEYS = ("gray", "digit", "thickthinning", "swelling", "fracture", "scaling", "colors")
_FACTOR_CONSTANTS = (
    "SCALE",
    "THICK_AMOUNT",
    "SWELL_STRENGTH",
    "SWELL_RADIUS",
    "FRAC_NUM",
    "FRAC_THICKNESS",
    "FRAC_PRUNE",
    "FRAC_EXTENSION",
    "SMALL_FACTOR",
)
_MEMORY_CACHE: dict[tuple, dict] = {}


def vocabulary_words() -> list[str]:
    """All 26 caption words (10 digits + 16 attribute values), in FACTORS order."""
    return [w for values in FACTORS.values() for w in values]


# ---------------------------------------------------------------- checks


def check_k(k: Any) -> int | None:
    if k is None:
        return None
    return V.integer(k, "k", 0, 5)  # None (object only) is handled above


def check_main_object(main_object: Any) -> str:
    if main_object not in FACTORS:
        raise ValueError(f"main_object must be one of {', '.join(map(repr, FACTORS))}; got {main_object!r}.")
    return main_object


def check_labels(labels: Any) -> dict[str, int]:
    if not isinstance(labels, dict):
        raise ValueError(
            f"labels must be a dict factor -> value index (keys {list(FACTORS)}), got {type(labels).__name__}."
        )
    out = {}
    for f, values in FACTORS.items():
        if f not in labels:
            raise ValueError(f"labels is missing the factor {f!r}: it needs every key of FACTORS ({list(FACTORS)}).")
        v = labels[f]
        if hasattr(v, "item"):
            v = v.item()
        out[f] = V.integer(v, f"labels[{f!r}] (an index into FACTORS[{f!r}])", 0, len(values) - 1)
    return out


# ---------------------------------------------------------------- captions


def make_caption(labels: dict, k: int | None, rng: np.random.Generator, main_object: str = "digit") -> str:
    """MAD caption of one image (``generate_text`` of the official code, lesson 04 exercise 2.1).

    ``labels``: factor -> value index (e.g. ``{"digit": 3, "thickthinning": 1, ..., "colors": 1}``).
    ``k=None``: the main object's word only, e.g. ``"3"``. ``k`` in 0..5: the main object's word plus
    ``k`` words drawn without replacement from the other five factors' values, shuffled, joined by
    ``"-"``, e.g. ``"thickening-3-red"``. ``rng``: a ``numpy.random.Generator``.
    """
    k = check_k(k)
    main_object = check_main_object(main_object)
    lab = check_labels(labels)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}."
        )
    head = FACTORS[main_object][lab[main_object]]
    if k is None:
        return head
    others = [FACTORS[f][lab[f]] for f in FACTORS if f != main_object]
    words = [head] + [others[i] for i in rng.choice(len(others), size=k, replace=False)]
    rng.shuffle(words)
    return "-".join(words)


def parse_caption(caption: str) -> dict[str, str]:
    """Caption -> {factor: word}; ``ValueError`` for unknown or repeated factors (lesson 04 checks)."""
    if not isinstance(caption, str) or not caption:
        raise ValueError(f"a caption must be a non-empty string, got {caption!r}.")
    owner = {w: f for f, values in FACTORS.items() for w in values}
    out: dict[str, str] = {}
    for w in caption.split("-"):
        if w not in owner:
            raise ValueError(f"{w!r} in caption {caption!r} is not a MAD word (see FACTORS).")
        if owner[w] in out:
            raise ValueError(f"caption {caption!r} names the factor {owner[w]!r} twice.")
        out[owner[w]] = w
    return out


def attribute_layout(main_object: str = "digit") -> dict[str, int]:
    """Offsets of each attribute factor in MAD's boolean attribute vector for ``main_object``.

    For the default ``"digit"`` this is the official 16-dim layout (0-2 thickthinning, 3-4 swelling,
    5-6 fracture, 7-8 scaling, 9-15 colour). For another main object that factor is dropped and the
    digit becomes an attribute (papers.md §3.7: "the indices are remapped"); the order is ``FACTORS``
    order, digit first -- our reading, the official remapping table is not quoted in the notes.
    """
    main_object = check_main_object(main_object)
    offsets, at = {}, 0
    for f in FACTORS:
        if f != main_object:
            offsets[f] = at
            at += len(FACTORS[f])
    return offsets


def factor_values(values: Any, factor: str, n: Optional[int] = None, name: Optional[str] = None) -> np.ndarray:
    """``values`` as an int64 vector of valid indices into ``FACTORS[factor]`` (lesson 04 input check).

    Parameters
    ----------
    values : array-like of int
        One value index per image (numpy array, list or torch tensor).
    factor : str
        A key of ``FACTORS``.
    n : int, optional
        The required length.
    name : str, optional
        How to call ``values`` in error messages (default ``labels[factor]``).

    Returns
    -------
    numpy.ndarray
        int64, shape (N,).

    Raises
    ------
    ValueError
        Not 1-D, wrong length, not integers, or a value outside ``0..len(FACTORS[factor]) - 1`` (a -1 would
        otherwise silently select another factor's column or another colour).
    """
    label = name or f"labels[{factor!r}]"
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{label} must be 1-D (one value per image), got shape {arr.shape}.")
    if n is not None and len(arr) != n:
        raise ValueError(f"{label} has {len(arr)} values but labels['digit'] has {n}: give one per image.")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise ValueError(f"{label} must hold integer indices into FACTORS[{factor!r}], got dtype {arr.dtype}.")
    top = len(FACTORS[factor]) - 1
    bad = (arr < 0) | (arr > top)
    if bad.any():
        raise ValueError(
            f"{label} holds {int(arr[bad][0])}; the values of {factor!r} are 0..{top} ({', '.join(FACTORS[factor])})."
        )
    return arr.astype(np.int64)


def attribute_matrix(labels: dict[str, np.ndarray], with_digit: bool = False, main_object: str = "digit") -> np.ndarray:
    """MAD's boolean attribute matrix (``return_att_mat``): (N, 16) for the digit as main object.

    ``with_digit=True`` is ``return_att_mat_with_cls``: the main object's classes go in front (the 10
    digits for ``main_object="digit"``: 26 columns). Other main objects use ``attribute_layout``.

    Parameters
    ----------
    labels : dict
        Factor -> (N,) integer value indices, every key of ``FACTORS`` present (checked by ``factor_values``).
    with_digit : bool
        Put the main object's one-hot classes in front.
    main_object : str
        A key of ``FACTORS``.

    Returns
    -------
    numpy.ndarray
        bool, (N, 16) or (N, 26) for the digit as main object.
    """
    layout = attribute_layout(main_object)
    if not isinstance(labels, dict):
        raise ValueError(
            f"labels must be a dict factor -> value indices (keys {list(FACTORS)}), got {type(labels).__name__}."
        )
    missing = [f for f in FACTORS if f not in labels]
    if missing:
        raise ValueError(f"labels is missing the factor(s) {missing}: it needs every key of FACTORS ({list(FACTORS)}).")
    n = len(factor_values(labels["digit"], "digit"))
    values = {f: factor_values(labels[f], f, n) for f in FACTORS}
    n_obj = len(FACTORS[main_object])
    shift = n_obj if with_digit else 0
    width = shift + sum(len(FACTORS[f]) for f in layout)
    out = np.zeros((n, width), dtype=bool)
    rows = np.arange(n)
    for f, offset in layout.items():
        out[rows, shift + offset + values[f]] = True
    if with_digit:
        out[rows, values[main_object]] = True
    return out


# ---------------------------------------------------------------- rendering


def _draw_factors(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {f: rng.integers(0, len(FACTORS[f]), size=n).astype(np.int64) for f in ATTRIBUTES}


def render_split(
    split: str = "train",
    n: int | None = None,
    seed: int = 0,
    source: str = "auto",
    processes: int = 1,
    verbose: bool = True,
) -> dict[str, Any]:
    """Render ``n`` MAD images of ``split``: dict with ``gray`` (n, 28, 28) uint8, the factor indices
    (``digit``, ``thickthinning``, ``swelling``, ``fracture``, ``scaling``, ``colors``), ``source``,
    ``seconds`` and ``images_per_s``. Deterministic in (split, n, seed, source)."""
    n = _check_n(n, split)
    seed = V.seed(seed)
    base, labels, used = digits.base_digits(split, source, verbose=verbose)
    split_id = digits.SPLITS.index(split)
    rng = np.random.default_rng([seed, split_id, 1])
    perm = rng.permutation(len(base))
    base_idx = perm[np.arange(n) % len(base)]
    drawn = _draw_factors(n, rng)  # the five attributes, colour included
    aug = used != "mnist"  # few writers (mnist5k, sklearn): a light affine keeps repeats apart
    seed_key = [seed, split_id, 2]
    t0 = time.perf_counter()
    chunks = np.array_split(np.arange(n), max(1, processes * 8))
    jobs = [(base[base_idx[c]], aug, c, {f: drawn[f][c] for f in ATTRIBUTES}, seed_key) for c in chunks if len(c)]
    if processes > 1:
        import multiprocessing as mp

        # forkserver: lean workers that import only numpy/scipy/scikit-image (factors), not torch,
        # so two workers add ~2 x 100 MB instead of two copies of a notebook kernel
        with mp.get_context("forkserver").Pool(processes) as pool:
            parts = pool.map(factors.render_chunk, jobs)
    else:
        parts = [factors.render_chunk(j) for j in jobs]
    gray = np.concatenate(parts)
    seconds = time.perf_counter() - t0
    out = {
        "gray": gray,
        "digit": labels[base_idx].astype(np.int64),
        **drawn,
        "source": used,
        "seconds": seconds,
        "images_per_s": n / max(seconds, 1e-9),
    }
    return out


def _check_n(n: Any, split: str) -> int:
    digits._split(split)
    if n is None:
        return DEFAULT_N[split]
    return V.integer(n, "n", 1)


def _cache_file(split: str, n: int, seed: int, source: str) -> Path:
    return cache.data_dir() / "mad" / f"mad_v{GENERATOR_VERSION}_{source}_{split}_n{n}_seed{seed}.npz"


def _cache_inputs(split: str, n: int, seed: int, source: str) -> str:
    """Everything a rendered split depends on, as canonical JSON (stored with the split and compared on load)."""
    return json.dumps(
        {
            "format": CACHE_FORMAT,
            "generator_version": GENERATOR_VERSION,
            "split": split,
            "n": n,
            "seed": seed,
            "source": source,
            "base_digits": digits.source_fingerprint(source, split),
            "factors": {k: getattr(factors, k) for k in _FACTOR_CONSTANTS},
        },
        sort_keys=True,
    )


def _checksum(inputs: str, data: dict[str, Any]) -> str:
    """sha256 over the inputs and every stored array (dtype, shape and bytes)."""
    h = hashlib.sha256(inputs.encode())
    for k in _ARRAY_KEYS:
        a = np.ascontiguousarray(data[k])
        h.update(f"|{k}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _check_arrays(data: dict[str, Any], n: int) -> None:
    """Shapes, dtypes and value ranges of a split; ``ValueError`` naming the first problem."""
    gray = data["gray"]
    if gray.dtype != np.uint8 or gray.shape != (n, 28, 28):
        raise ValueError(f"gray is {gray.dtype} {gray.shape}, expected uint8 ({n}, 28, 28)")
    for f in FACTORS:
        if data[f].dtype != np.int64:
            raise ValueError(f"{f} is {data[f].dtype}, expected int64")
        factor_values(data[f], f, n, name=f)
    # MNIST-style digits are mostly background: an inverted or noise-filled array is not a MAD split
    if np.count_nonzero(gray) > 0.6 * gray.size:
        raise ValueError(f"{np.count_nonzero(gray) / gray.size:.0%} of the pixels are ink (inverted images?)")


def _read_cache(path: Path, inputs: str, n: int) -> dict[str, Any]:
    """The verified split stored at ``path``; ``ValueError`` (or an I/O error) when it cannot be trusted."""
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in (*_ARRAY_KEYS, "source", "inputs", "checksum") if k not in z.files]
        if missing:
            raise ValueError(f"no {missing[0]!r} array (an older or foreign file)")
        data = {k: np.array(z[k]) for k in _ARRAY_KEYS}
        stored_inputs, stored_sum = str(z["inputs"]), str(z["checksum"])
        data["source"] = str(z["source"])
    if stored_inputs != inputs:
        raise ValueError("made from other inputs (generator version, base digits or parameters)")
    _check_arrays(data, n)
    if _checksum(inputs, data) != stored_sum:
        raise ValueError("its arrays do not match its checksum (edited or corrupted)")
    return data


def _write_cache(path: Path, inputs: str, data: dict[str, Any], verbose: bool) -> None:
    """Store a split with its inputs and checksum, atomically; a folder that cannot be written only skips caching."""
    arrays = {k: data[k] for k in _ARRAY_KEYS}
    try:
        cache.ensure_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(
                    f,
                    **arrays,
                    source=np.array(data["source"]),
                    inputs=np.array(inputs),
                    checksum=np.array(_checksum(inputs, arrays)),
                )
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, cache.CacheDirError) as exc:
        if verbose:
            print(
                f"MAD: could not cache the rendered split in {path.parent} ({exc}); it will be rendered again "
                "next session."
            )


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in data.items()}


def load_split(
    split: str = "train",
    n: int | None = None,
    seed: int = 0,
    source: str = "auto",
    cache: bool = True,
    processes: int | None = None,
    verbose: bool = True,
) -> dict[str, Any]:
    """``render_split`` with a memory cache and a verified disk cache in ``$MODGAP_DATA_DIR/mad/`` (lesson 04).

    A cached file is used only when it is readable, was made from the same inputs (generator version,
    split, n, seed, base-digit files, factor parameters), has the expected shapes, dtypes and value ranges,
    and its arrays match the sha256 stored with them; otherwise the split is rendered again (same bytes:
    rendering is deterministic) and the file replaced. Every call returns fresh copies of the arrays, so a
    caller's edits never reach the next load. ``processes=None`` means 1: on the course's 2-core machines,
    worker start-up and memory (each worker imports scipy and scikit-image) ate the gain of a second process.

    Parameters
    ----------
    split, n, seed, source, processes, verbose
        As ``render_split``.
    cache : bool
        Use (and fill) the memory and disk caches.

    Returns
    -------
    dict
        As ``render_split`` (``seconds`` 0 and ``images_per_s`` NaN when the split came from the cache).
    """
    use_cache = cache
    n = _check_n(n, split)
    seed = V.seed(seed)
    if processes is None:
        processes = 1
    resolved = digits.resolve_source(source)
    key = (split, n, seed, resolved)
    if use_cache and key in _MEMORY_CACHE:
        return _copy(_MEMORY_CACHE[key])
    data = None
    if use_cache:
        path = _cache_file(split, n, seed, resolved)
        inputs = _cache_inputs(split, n, seed, resolved)
        if path.is_file():
            try:
                data = _read_cache(path, inputs, n)
                data.update(seconds=0.0, images_per_s=float("nan"))
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                if verbose:
                    print(f"MAD: the cached split {path.name} is not trusted ({exc}); rendering it again.")
                data = None
    if data is None:
        data = render_split(split, n, seed, source, processes=processes, verbose=verbose)
        if use_cache:
            _write_cache(path, inputs, data, verbose)
    if use_cache:
        _MEMORY_CACHE[key] = _copy(data)
    return data


# ---------------------------------------------------------------- dataset


class MADDataset(Dataset):
    """MAD as a torch ``Dataset`` (lesson 04). Items: ``(image, caption, labels)`` with ``image`` a float32
    tensor (3, 28, 28) in [0, 1], ``caption`` a MAD caption string and ``labels`` a dict factor -> value
    index (``"digit"`` -> 0..9, each attribute -> its index in ``FACTORS``).

    ``k=None``: object-only captions; ``k`` in 0..5: the main object plus k attributes.
    ``n``: number of images (default 10,000 train / 2,000 test); ``seed`` fixes rendering, colours and
    captions. ``source``: base digits, ``"auto"`` | ``"mnist"`` | ``"mnist5k"`` | ``"sklearn"`` (see ``mad_data``).
    In the train split, ``set_epoch(e)`` re-draws colours and caption subsets (MAD re-draws them per fetch).
    """

    def __init__(
        self,
        split: str = "train",
        k: int | None = None,
        main_object: str = "digit",
        n: int | None = None,
        seed: int = 0,
        source: str = "auto",
        cache: bool = True,
        processes: int | None = None,
        verbose: bool = True,
    ):
        if split not in digits.SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
        self.k = check_k(k)
        self.main_object = check_main_object(main_object)
        self.split, self.seed = split, V.seed(seed)
        data = load_split(split, n, self.seed, source, cache=cache, processes=processes, verbose=verbose)
        self.source = data["source"]
        self.images_per_s = float(data["images_per_s"])
        self.gray = torch.from_numpy(data["gray"].astype(np.float32) / 255.0)
        self.factors = {f: np.asarray(data[f], dtype=np.int64) for f in FACTORS}
        self._fixed_colours = self.factors["colors"].copy()
        self.epoch = -1
        self.set_epoch(0)

    def __len__(self) -> int:
        return self.gray.shape[0]

    def __repr__(self) -> str:
        k = "object only" if self.k is None else f"k={self.k}"
        return (
            f"MADDataset(split={self.split!r}, {k}, main_object={self.main_object!r}, n={len(self)}, "
            f"seed={self.seed}, source={self.source!r})"
        )

    def set_epoch(self, epoch: int) -> None:
        """Re-draw the colours (train split only) and every caption's attribute subset for ``epoch``."""
        if epoch == self.epoch:
            return
        self.epoch = int(epoch)
        split_id = digits.SPLITS.index(self.split)
        if self.split == "train" and epoch > 0:
            crng = np.random.default_rng([self.seed, split_id, 3, self.epoch])
            self.factors["colors"] = crng.integers(0, 7, size=len(self)).astype(np.int64)
        else:
            self.factors["colors"] = self._fixed_colours.copy()
        rng = np.random.default_rng([self.seed, split_id, 4, self.epoch])
        self.captions = [make_caption(self.labels(i), self.k, rng, self.main_object) for i in range(len(self))]

    def labels(self, i: int) -> dict[str, int]:
        """Factor -> value index of image ``i``."""
        i = self._index(i)
        return {f: int(v[i]) for f, v in self.factors.items()}

    def _index(self, i: Any) -> int:
        """``i`` as a valid non-negative position; ``TypeError`` for non-integers (``ds[1.7]`` is not item 1)."""
        if isinstance(i, (bool, np.bool_)) or (hasattr(i, "dtype") and getattr(i.dtype, "is_floating_point", False)):
            raise TypeError(f"MADDataset indices must be integers, got {i!r}.")
        try:
            j = operator.index(i)
        except TypeError:
            raise TypeError(f"MADDataset indices must be integers, got {type(i).__name__} {i!r}.") from None
        if not -len(self) <= j < len(self):
            raise IndexError(f"index {j} out of range for {len(self)} images.")
        return j % len(self)

    def images(self, index=None) -> torch.Tensor:
        """Coloured images (B, 3, 28, 28) for an integer index array (all images when ``None``)."""
        if index is None:
            idx = np.arange(len(self))
        else:
            idx = np.asarray(index.detach().cpu().numpy() if hasattr(index, "detach") else index)
            if idx.ndim != 1 or idx.dtype == bool or not (np.issubdtype(idx.dtype, np.integer) or idx.size == 0):
                raise TypeError(f"index must be a 1-D array of integer positions, got {idx.dtype} {idx.shape}.")
            idx = idx.astype(np.int64)
            if idx.size and (idx.min() < -len(self) or idx.max() >= len(self)):
                raise IndexError(f"index holds positions outside 0..{len(self) - 1}.")
        return factors.colorize(self.gray[idx], torch.from_numpy(self.factors["colors"][idx]))

    def __getitem__(self, i: int):
        i = self._index(i)
        return self.images([i])[0], self.captions[i], self.labels(i)

    def full_captions(self) -> list[str]:
        """Every image's fully informative caption (main object + all five attributes), in a fixed order."""
        return ["-".join(FACTORS[f][int(self.factors[f][i])] for f in FACTORS) for i in range(len(self))]

    def fingerprint(self) -> str:
        """Short hash of the pixels, factors and captions (for determinism checks)."""
        h = hashlib.sha256(self.gray.numpy().tobytes())
        for f in FACTORS:
            h.update(self.factors[f].tobytes())
        h.update("|".join(self.captions).encode())
        return h.hexdigest()[:16]


# ---------------------------------------------------------------- figure
