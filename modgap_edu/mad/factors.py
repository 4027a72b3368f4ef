"""The MAD image factors: morphology of a 28x28 digit, and its colour (lesson 04).

Our own re-implementation (scipy / scikit-image) of the perturbations that MAD takes from
Morpho-MNIST (Castro et al. 2019) with the parameters of MAD's ``prepare_MAD.py``
(Schrodi et al. 2025, ICLR; see ``shared/research/papers.md`` §3.7):

* the digit is upsampled (x``SCALE``; Morpho-MNIST uses x4, we use x2, which is 2.4x faster and looks the
  same after downsampling to 28x28) and binarised at 0.5; its mean stroke thickness t (in 28-px
  units) is twice the mean distance-to-background on the skeleton;
* **thickening** / **thinning**: dilation / erosion by a disk of radius
  ``int(0.7 * scale * t / 2)`` (done exactly with Euclidean distance transforms); our thinning
  keeps the skeleton so that a thin digit never vanishes (Morpho-MNIST's does not);
* **swelling**: radial power warp f(r) = c + (r - c)(|r - c|/R)^(3 - 1) around a random skeleton
  point c, R = 7 * sqrt(t) / 2 (28-px units);
* **fracture**: 3 background lines 1.5 px wide (28-px units), perpendicular to the local
  stroke direction, at skeleton points at least 2 px from stroke tips and forks, long enough
  to cut the stroke (distance to background + 0.5 px on each side);
* back to 28x28 by area averaging; then **small**: ``rescale(0.75)`` to 21x21 pasted into a
  blank 28x28 canvas at a 3- or 4-px offset per axis;
* **colour** on stroke pixels (value > 0), as MAD's ``colorize``: red/green/blue zero the other
  two channels; cyan/magenta/yellow set two channels to 1 and keep the gray value in the third;
  gray leaves the image unchanged.

Everything is deterministic given a ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import skeletonize
from skimage.transform import rescale

SCALE = 2  # Morpho-MNIST and MAD use 4; 2 is 2.4x faster and looks the same at 28x28 (lesson 04 notes)
THICK_AMOUNT = 0.7
SWELL_STRENGTH = 3.0
SWELL_RADIUS = 7.0
FRAC_NUM = 3
FRAC_THICKNESS = 1.5
FRAC_PRUNE = 2.0
FRAC_EXTENSION = 0.5
SMALL_FACTOR = 0.75

_NEIGHBOURS = np.ones((3, 3))
_NEIGHBOURS[1, 1] = 0


class Morph:
    """A binary high-resolution digit with its distance map, skeleton and mean thickness
    (computed lazily, and again after each change of ``binary``)."""

    def __init__(self, binary: np.ndarray, scale: int):
        self.scale = scale
        self.binary = binary

    @property
    def binary(self) -> np.ndarray:
        return self._binary

    @binary.setter
    def binary(self, value: np.ndarray) -> None:
        self._binary = value
        self._distance = self._skeleton = None

    @property
    def distance(self) -> np.ndarray:
        if self._distance is None:
            self._distance = ndi.distance_transform_edt(np.pad(self._binary, 1))[1:-1, 1:-1]
        return self._distance

    @property
    def skeleton(self) -> np.ndarray:
        if self._skeleton is None:
            self._skeleton = skeletonize(self._binary) if self._binary.any() else self._binary.copy()
        return self._skeleton

    @property
    def mean_thickness(self) -> float:
        """Mean stroke thickness in 28-px units: 2 x mean distance-to-background on the skeleton."""
        skel = self.skeleton
        return 2.0 * float(self.distance[skel].mean()) / self.scale if skel.any() else 0.0


def upscale(image: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """28x28 gray in [0, 1] -> (28*scale)^2 binary image (cubic zoom, threshold 0.5)."""
    hi = ndi.zoom(image.astype(np.float64), scale, order=3, mode="nearest", grid_mode=True)
    return hi >= 0.5


def downscale(binary: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Area average of scale x scale blocks: high-res binary -> 28x28 float in [0, 1]."""
    h, w = binary.shape
    return binary.reshape(h // scale, scale, w // scale, scale).mean(axis=(1, 3))


def thicken(m: Morph, amount: float = THICK_AMOUNT) -> None:
    """Dilation by a disk of radius int(amount * scale * t / 2) (Morpho-MNIST ``Thickening``)."""
    r = int(amount * m.scale * m.mean_thickness / 2.0)
    if r > 0:
        outside = ndi.distance_transform_edt(~m.binary)
        m.binary = outside <= r


def thin(m: Morph, amount: float = THICK_AMOUNT) -> None:
    """Erosion by a disk of radius int(amount * scale * t / 2), skeleton kept (Morpho-MNIST ``Thinning``
    plus our guard against vanishing strokes)."""
    r = int(amount * m.scale * m.mean_thickness / 2.0)
    if r > 0:
        keep = ndi.binary_dilation(m.skeleton, iterations=max(1, m.scale // 4))
        m.binary = (m.distance > r) | (keep & m.binary)


def _skeleton_points(m: Morph, prune_px: float) -> np.ndarray:
    """Skeleton pixels farther than ``prune_px`` (high-res) from tips and forks; all if none remain."""
    pts = np.argwhere(m.skeleton)
    if prune_px <= 0 or len(pts) == 0:
        return pts
    counts = ndi.convolve(m.skeleton.astype(np.int32), _NEIGHBOURS.astype(np.int32), mode="constant")
    special = m.skeleton & ((counts == 1) | (counts >= 3))
    if not special.any():
        return pts
    dist = ndi.distance_transform_edt(~special)
    kept = pts[dist[pts[:, 0], pts[:, 1]] > prune_px]
    return kept if len(kept) else pts


def swell(m: Morph, rng: np.random.Generator, strength: float = SWELL_STRENGTH, radius: float = SWELL_RADIUS) -> None:
    """Radial power warp around a random skeleton point (Morpho-MNIST ``Swelling``)."""
    pts = _skeleton_points(m, 0)
    if len(pts) == 0:
        return
    c = pts[rng.integers(len(pts))].astype(np.float64)
    big_r = radius * np.sqrt(max(m.mean_thickness, 1e-6)) / 2.0 * m.scale
    h, w = m.binary.shape
    # outside the disk of radius big_r the warp is the identity: only warp its bounding box
    y0, y1 = max(0, int(c[0] - big_r)), min(h, int(np.ceil(c[0] + big_r)) + 1)
    x0, x1 = max(0, int(c[1] - big_r)), min(w, int(np.ceil(c[1] + big_r)) + 1)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    dy, dx = yy - c[0], xx - c[1]
    d = np.hypot(dy, dx)
    weight = np.where(d > big_r, 1.0, (d / big_r) ** (strength - 1.0))
    coords = np.stack([c[0] + weight * dy, c[1] + weight * dx])
    warped = ndi.map_coordinates(m.binary.astype(np.float64), coords, order=1, mode="constant")
    out = m.binary.copy()
    out[y0:y1, x0:x1] = warped >= 0.5
    m.binary = out


def _local_angle(skeleton: np.ndarray, centre: np.ndarray, window: float) -> float:
    """Direction of the skeleton near ``centre`` (principal axis of nearby skeleton pixels)."""
    pts = np.argwhere(skeleton)
    near = pts[np.hypot(*(pts - centre).T) <= window].astype(np.float64)
    if len(near) < 2:
        return 0.0
    near -= near.mean(axis=0)
    _, _, vt = np.linalg.svd(near, full_matrices=False)
    dy, dx = vt[0]
    return float(np.arctan2(dy, dx))


def fracture(
    m: Morph,
    rng: np.random.Generator,
    num_frac: int = FRAC_NUM,
    thickness: float = FRAC_THICKNESS,
    prune: float = FRAC_PRUNE,
) -> None:
    """Cut ``num_frac`` background lines across the stroke (Morpho-MNIST ``Fracture``)."""
    pts = _skeleton_points(m, prune * m.scale)
    if len(pts) == 0:
        return
    chosen = pts[rng.choice(len(pts), size=min(num_frac, len(pts)), replace=False)]
    half_width = (thickness * m.scale) / 2.0
    h, w = m.binary.shape
    out = m.binary.copy()
    for centre in chosen:
        angle = _local_angle(m.skeleton, centre, 2 * m.scale) + np.pi / 2.0
        length = m.distance[centre[0], centre[1]] + FRAC_EXTENSION * m.scale
        u = np.array([np.sin(angle), np.cos(angle)])  # (dy, dx) across the stroke
        reach = length + half_width + 1
        y0, y1 = max(0, int(centre[0] - reach)), min(h, int(centre[0] + reach) + 2)
        x0, x1 = max(0, int(centre[1] - reach)), min(w, int(centre[1] + reach) + 2)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        ry, rx = yy - centre[0], xx - centre[1]
        along = np.clip(ry * u[0] + rx * u[1], -length, length)
        dist = np.hypot(ry - along * u[0], rx - along * u[1])
        out[y0:y1, x0:x1] &= dist > half_width
    m.binary = out


def make_small(image: np.ndarray, offset: tuple[int, int]) -> np.ndarray:
    """Rescale a 28x28 image by 0.75 (21x21, no anti-aliasing) into a blank canvas at ``offset``
    (3 or 4 px per axis), as MAD's ``rescale``."""
    if any(o not in (3, 4) for o in offset):
        raise ValueError(f"offset must be 3 or 4 px on each axis, got {offset}.")
    small = rescale(image.astype(np.float64), SMALL_FACTOR, anti_aliasing=False, order=1)
    out = np.zeros_like(image, dtype=np.float64)
    out[offset[0] : offset[0] + small.shape[0], offset[1] : offset[1] + small.shape[1]] = small
    return out


def _factor_value(value, name: str, top: int) -> int:
    """``value`` as an int in 0..top; ``ValueError`` naming the factor otherwise (a -1 must not wrap)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value <= top:
        raise ValueError(f"{name} must be an integer index 0..{top} (see mad.dataset.FACTORS), got {value!r}.")
    return int(value)


def _check_image(image) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 2 or arr.shape[0] < 4 or arr.shape[1] < 4 or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"image must be one 2-D gray digit (28x28, values in [0, 1]), got {arr.dtype} {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError("image contains NaN or inf: pass a gray digit with values in [0, 1].")
    return arr


def render(
    image: np.ndarray,
    thickthinning: int,
    swelling: int,
    fracture_: int,
    scaling: int,
    rng: np.random.Generator,
    scale: int = SCALE,
) -> np.ndarray:
    """One MAD variant of a 28x28 gray digit in [0, 1] (lesson 04; MAD's ``prepare_MAD.py``).

    Parameters
    ----------
    image : numpy.ndarray
        (28, 28) gray values in [0, 1].
    thickthinning : int
        0 none, 1 thickening, 2 thinning (indices into ``mad.dataset.FACTORS``).
    swelling, fracture_, scaling : int
        0 or 1 each (scaling 1 is "small").
    rng : numpy.random.Generator
        Draws the swelling centre, the fracture points and the small-digit offset.
    scale : int
        Upsampling factor of the morphology (``SCALE``).

    Returns
    -------
    numpy.ndarray
        float64 (28, 28) in [0, 1].
    """
    image = _check_image(image)
    thickthinning = _factor_value(thickthinning, "thickthinning", 2)
    swelling, fracture_, scaling = (
        _factor_value(v, n, 1) for v, n in ((swelling, "swelling"), (fracture_, "fracture"), (scaling, "scaling"))
    )
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}."
        )
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}.")
    m = Morph(upscale(image, scale), scale)
    if thickthinning == 1:
        thicken(m)
    elif thickthinning == 2:
        thin(m)
    if swelling == 1:
        swell(m, rng)
    if fracture_ == 1:
        fracture(m, rng)
    out = downscale(m.binary, scale)
    if scaling == 1:
        out = make_small(out, (int(rng.integers(3, 5)), int(rng.integers(3, 5))))
    return out


# ---------------------------------------------------------------- colour

#: per colour index (order of ``mad.FACTORS["colors"]``): for each RGB channel, "g" keeps the gray
#: value, 0 zeroes it, 1 saturates it -- on stroke pixels only (MAD's ``colorize``).
_COLOUR_RULES = (
    ("g", "g", "g"),  # gray
    ("g", 0, 0),  # red
    (0, "g", 0),  # green
    (0, 0, "g"),  # blue
    ("g", 1, 1),  # cyan
    (1, "g", 1),  # magenta
    (1, 1, "g"),  # yellow
)


def colour_tables() -> tuple[np.ndarray, np.ndarray]:
    """(gain, bias) arrays of shape (7, 3): stroke channel value = gain * gray + bias."""
    gain = np.zeros((7, 3), dtype=np.float32)
    bias = np.zeros((7, 3), dtype=np.float32)
    for c, rule in enumerate(_COLOUR_RULES):
        for ch, r in enumerate(rule):
            if r == "g":
                gain[c, ch] = 1.0
            else:
                bias[c, ch] = float(r)
    return gain, bias


def _check_colours(gray, colours) -> None:
    """(B, H, W) images and B integer colour indices in 0..6; ``ValueError`` otherwise (-1 is not yellow)."""
    shape = tuple(gray.shape) if hasattr(gray, "shape") else np.shape(gray)
    c = colours.detach().cpu().numpy() if hasattr(colours, "detach") else np.asarray(colours)
    if len(shape) != 3:
        raise ValueError(f"gray must be (B, H, W) gray images, got shape {shape}.")
    if c.ndim != 1 or len(c) != shape[0]:
        raise ValueError(f"colours must be 1-D with one colour index per image ({shape[0]}), got shape {c.shape}.")
    if c.size and (c.dtype == bool or not np.issubdtype(c.dtype, np.integer)):
        raise ValueError(f"colours must hold integer indices 0..6 into FACTORS['colors'], got dtype {c.dtype}.")
    if c.size and (c.min() < 0 or c.max() >= len(_COLOUR_RULES)):
        bad = c[(c < 0) | (c >= len(_COLOUR_RULES))][0]
        raise ValueError(
            f"colours holds {bad}; colour indices are 0..6 (gray, red, green, blue, cyan, magenta, yellow)."
        )


def colorize(gray, colours):
    """(B, 28, 28) gray in [0, 1] + (B,) colour indices -> (B, 3, 28, 28) RGB, as MAD's ``colorize`` (lesson 04).

    Parameters
    ----------
    gray : numpy.ndarray or torch.Tensor
        (B, H, W) gray images in [0, 1].
    colours : array-like or torch.Tensor of int
        (B,) indices 0..6 into ``mad.dataset.FACTORS["colors"]``.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        (B, 3, H, W) float32, the same kind as ``gray``.
    """
    _check_colours(gray, colours)
    gain, bias = colour_tables()
    if hasattr(gray, "detach"):
        import torch

        g = torch.as_tensor(gain)[colours][:, :, None, None]
        b = torch.as_tensor(bias)[colours][:, :, None, None]
        x = gray.unsqueeze(1).to(torch.float32)
        mask = (x > 0).to(torch.float32)
        return x * (1 - mask) + (g * x + b) * mask
    colours = np.asarray(colours)
    x = np.asarray(gray, dtype=np.float32)[:, None]
    mask = (x > 0).astype(np.float32)
    return x * (1 - mask) + (gain[colours][:, :, None, None] * x + bias[colours][:, :, None, None]) * mask


def render_chunk(args) -> np.ndarray:
    """Worker of ``mad.render_split``: render a chunk of base digits to uint8 28x28 (no torch import, so
    it runs in lean worker processes). ``args = (base images, augment, global indices, factor dict, seed key)``;
    image i uses ``np.random.default_rng(seed_key + [i])``, so results do not depend on the chunking."""
    from modgap_edu.mad.digits import random_affine

    base, aug, idx, f, seed_key = args
    out = np.zeros((len(idx), 28, 28), dtype=np.uint8)
    for j, i in enumerate(idx):
        rng = np.random.default_rng(list(seed_key) + [int(i)])
        img = random_affine(base[j], rng) if aug else base[j]
        v = render(
            img, int(f["thickthinning"][j]), int(f["swelling"][j]), int(f["fracture"][j]), int(f["scaling"][j]), rng
        )
        out[j] = np.round(v * 255).astype(np.uint8)
    return out
