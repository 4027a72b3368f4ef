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
import time
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from modgap_edu.mad import digits, factors
from modgap_edu.core import validation as V

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
        raise ValueError(f"labels must be a dict factor -> value index (keys {list(FACTORS)}), got {type(labels).__name__}.")
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
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}.")
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


def attribute_matrix(labels: dict[str, np.ndarray], with_digit: bool = False, main_object: str = "digit") -> np.ndarray:
    """MAD's boolean attribute matrix (``return_att_mat``): (N, 16) for the digit as main object.

    ``with_digit=True`` is ``return_att_mat_with_cls``: the main object's classes go in front (the 10
    digits for ``main_object="digit"``: 26 columns). Other main objects use ``attribute_layout``.
    """
    layout = attribute_layout(main_object)
    n = len(np.asarray(labels["digit"]))
    n_obj = len(FACTORS[main_object])
    shift = n_obj if with_digit else 0
    width = shift + sum(len(FACTORS[f]) for f in layout)
    out = np.zeros((n, width), dtype=bool)
    rows = np.arange(n)
    for f, offset in layout.items():
        out[rows, shift + offset + np.asarray(labels[f])] = True
    if with_digit:
        out[rows, np.asarray(labels[main_object])] = True
    return out


# ---------------------------------------------------------------- rendering


def _draw_factors(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {f: rng.integers(0, len(FACTORS[f]), size=n).astype(np.int64) for f in ATTRIBUTES}


def render_split(split: str = "train", n: int | None = None, seed: int = 0, source: str = "auto",
                 processes: int = 1, verbose: bool = True) -> dict[str, Any]:
    """Render ``n`` MAD images of ``split``: dict with ``gray`` (n, 28, 28) uint8, the factor indices
    (``digit``, ``thickthinning``, ``swelling``, ``fracture``, ``scaling``, ``colors``), ``source``,
    ``seconds`` and ``images_per_s``. Deterministic in (split, n, seed, source)."""
    n = _check_n(n, split)
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
    out = {"gray": gray, "digit": labels[base_idx].astype(np.int64), **drawn, "source": used,
           "seconds": seconds, "images_per_s": n / max(seconds, 1e-9)}
    return out


def _check_n(n: Any, split: str) -> int:
    digits._split(split)
    if n is None:
        return DEFAULT_N[split]
    return V.integer(n, "n", 1)


def _cache_file(split: str, n: int, seed: int, source: str):
    return digits.cache_dir() / "mad" / f"mad_v{GENERATOR_VERSION}_{source}_{split}_n{n}_seed{seed}.npz"


def load_split(split: str = "train", n: int | None = None, seed: int = 0, source: str = "auto",
               cache: bool = True, processes: int | None = None, verbose: bool = True) -> dict[str, Any]:
    """``render_split`` with a memory cache and a disk cache in ``$MODGAP_DATA_DIR/mad/``.
    ``processes=None`` means 1: on the course's 2-core machines, worker start-up and memory (each worker
    imports scipy and scikit-image) ate the gain of a second process; pass ``processes=2`` to try."""
    n = _check_n(n, split)
    if processes is None:
        processes = 1
    resolved = digits.resolve_source(source)
    key = (split, n, seed, resolved)
    if key in _MEMORY_CACHE:
        return _MEMORY_CACHE[key]
    path = _cache_file(split, n, seed, resolved)
    data = None
    if cache and path.is_file():
        try:
            with np.load(path) as z:
                data = {k: z[k] for k in z.files}
            data["source"] = str(data["source"])
            data["seconds"] = 0.0
            data["images_per_s"] = float("nan")
        except (OSError, ValueError, KeyError):
            data = None
    if data is None:
        data = render_split(split, n, seed, source, processes=processes, verbose=verbose)
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez_compressed(tmp, **{k: v for k, v in data.items() if k not in ("seconds", "images_per_s")})
            tmp.replace(path)
    _MEMORY_CACHE[key] = data
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

    def __init__(self, split: str = "train", k: int | None = None, main_object: str = "digit", n: int | None = None,
                 seed: int = 0, source: str = "auto", cache: bool = True, processes: int | None = None,
                 verbose: bool = True):
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
        return (f"MADDataset(split={self.split!r}, {k}, main_object={self.main_object!r}, n={len(self)}, "
                f"seed={self.seed}, source={self.source!r})")

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
        return {f: int(v[i]) for f, v in self.factors.items()}

    def images(self, index=None) -> torch.Tensor:
        """Coloured images (B, 3, 28, 28) for an index array (all images when ``None``)."""
        idx = np.arange(len(self)) if index is None else np.asarray(index)
        return factors.colorize(self.gray[idx], torch.from_numpy(self.factors["colors"][idx]))

    def __getitem__(self, i: int):
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} images.")
        i = int(i) % len(self)
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


