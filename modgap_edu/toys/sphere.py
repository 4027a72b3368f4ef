"""Lesson 01 toy: two sets of points ("images" and "texts") trained on the unit sphere in 3-D.

Point i of each set is a matched pair. Both sets start inside narrow caps ("cones",
as random encoders produce -- lesson 02) whose centres are ``gap_deg`` apart. The points themselves
are the parameters (normalized in the forward pass) and are trained full-batch with
Adam on one of:

* ``"alignment"``     -- Wang & Isola's L_align only (alpha = 2): pairs meet, the sets
                         stay huddled in their cap (poor uniformity: collapse);
* ``"uniformity"``    -- (L_uniform(images) + L_uniform(texts)) / 2 (t = 2): each set
                         spreads over the sphere, pairs are not matched;
* ``"align+uniform"`` -- Wang & Isola's combination L_align + (L_unif(x) + L_unif(y)) / 2;
* ``"clip"``          -- the symmetric CLIP loss at temperature tau (Radford et al. 2021).

Wang & Isola 2020 (ICML), Sec. 4; the CLIP loss as in Liang et al. 2022, Sec. 4.1.
A run of 300 steps takes ~0.1-0.3 s on one CPU core; everything is seeded.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.special import softmax

from modgap_edu.core import validation as V
from modgap_edu.core.losses import align_loss, clip_loss, uniform_loss, unit_rows_torch
from modgap_edu.core.metrics import l2m, unit_rows

OBJECTIVES = ("alignment", "uniformity", "align+uniform", "clip")


@dataclass(frozen=True)
class ToyRun:
    """Result of ``train_toy``: start and final unit vectors, and metrics every few steps."""

    objective: str
    temperature: float
    image: np.ndarray  # (n, 3) final, unit rows
    text: np.ndarray  # (n, 3)
    image_start: np.ndarray = field(repr=False)
    text_start: np.ndarray = field(repr=False)
    history: dict = field(repr=False, default_factory=dict)  # lists: step, loss, align, uniform_*, gap

    @property
    def final(self) -> dict:
        """Final loss, alignment, uniformity of each set, and the gap (L2M) as floats."""
        return {k: v[-1] for k, v in self.history.items() if k != "step"}


def initial_points(n: int = 48, gap_deg: float = 140.0, width_deg: float = 50.0, seed: int = 0):
    """Images uniform in a spherical cap of angular diameter ``width_deg`` around e1; texts in an
    equal cap whose centre is ``gap_deg`` away (rotated about e3).

    Returns two (n, 3) float64 arrays of unit vectors. Positions within each cap are drawn
    independently, so matched pairs start unaligned.

    Parameters
    ----------
    n : int
        Points per set, >= 2.
    gap_deg : float
        Angle between the two cap centres, degrees (finite).
    width_deg : float
        Angular diameter of each cap, in (0, 360].
    seed : int
        0 <= seed < 2**32.

    Returns
    -------
    tuple of numpy.ndarray
        ``(images, texts)``, each (n, 3) with unit rows.
    """
    n = V.integer(n, "n", 2)
    gap_deg = V.real_number(gap_deg, "gap_deg")
    width_deg = V.real_number(width_deg, "width_deg", high=360.0)
    if width_deg <= 0:
        raise ValueError(f"width_deg must be in (0, 360], got {width_deg!r}.")
    rng = np.random.default_rng(V.seed(seed))

    def cap(center_deg: float) -> np.ndarray:
        radial = rng.normal(size=(n, 3))
        radial[:, 0] = 0.0
        radial = unit_rows(radial)
        # uniform in the cap's area: cos(angle) uniform between cos(half width) and 1
        cos_a = rng.uniform(math.cos(math.radians(float(width_deg) / 2)), 1.0, n)
        pts = cos_a[:, None] * np.array([1.0, 0.0, 0.0]) + np.sqrt(1 - cos_a**2)[:, None] * radial
        c = math.radians(center_deg)
        rot = np.array([[math.cos(c), -math.sin(c), 0.0], [math.sin(c), math.cos(c), 0.0], [0.0, 0.0, 1.0]])
        return pts @ rot.T

    return cap(0.0), cap(float(gap_deg))


def toy_metrics(image, text) -> dict:
    """Alignment (alpha = 2), uniformity (t = 2) of each set, and the gap L2M, as floats (lesson 01).

    Parameters
    ----------
    image, text : array_like or torch.Tensor
        Matched point sets of the same shape.

    Returns
    -------
    dict
        ``align``, ``uniform_image``, ``uniform_text`` and ``gap``.
    """
    return {
        "align": float(align_loss(image, text)),
        "uniform_image": float(uniform_loss(image)),
        "uniform_text": float(uniform_loss(text)),
        "gap": l2m(image, text),
    }


def _objective(name: str, x: torch.Tensor, y: torch.Tensor, tau: float) -> torch.Tensor:
    if name == "alignment":
        return align_loss(x, y)
    if name == "uniformity":
        return (uniform_loss(x) + uniform_loss(y)) / 2
    if name == "align+uniform":
        return align_loss(x, y) + (uniform_loss(x) + uniform_loss(y)) / 2
    return clip_loss(x, y, tau)


def train_toy(
    objective: str = "clip",
    temperature: float = 0.1,
    n: int = 48,
    steps: int = 300,
    lr: float = 0.05,
    gap_deg: float = 140.0,
    width_deg: float = 50.0,
    seed: int = 0,
    record_every: int = 10,
) -> ToyRun:
    """Train the two point sets with one objective (module docstring); return a ``ToyRun`` (lesson 01).

    Parameters
    ----------
    objective : {"alignment", "uniformity", "align+uniform", "clip"}
        The loss.
    temperature : float
        tau > 0 (``"clip"`` only).
    n : int
        Points per set, >= 2.
    steps : int
        Adam steps, >= 1.
    lr : float
        Learning rate, > 0.
    gap_deg, width_deg : float
        The starting caps (``initial_points``).
    seed : int
        0 <= seed < 2**32.
    record_every : int
        Record the metrics every this many steps, >= 1.

    Returns
    -------
    ToyRun
    """
    V.choice(objective, OBJECTIVES, "objective")
    tau = V.positive_number(temperature, "temperature")
    lr = V.positive_number(lr, "lr")
    steps = V.integer(steps, "steps", 1)
    record_every = V.integer(record_every, "record_every", 1)
    x0, y0 = initial_points(n, gap_deg, width_deg, seed)
    X = torch.tensor(x0, requires_grad=True)
    Y = torch.tensor(y0, requires_grad=True)
    opt = torch.optim.Adam([X, Y], lr=lr)
    history: dict = {"step": [], "loss": [], "align": [], "uniform_image": [], "uniform_text": [], "gap": []}
    for step in range(steps + 1):
        x, y = unit_rows_torch(X), unit_rows_torch(Y)
        loss = _objective(objective, x, y, tau)
        if step % record_every == 0 or step == steps:
            history["step"].append(step)
            history["loss"].append(float(loss.detach()))
            for k, v in toy_metrics(x.detach(), y.detach()).items():
                history[k].append(v)
        if step == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return ToyRun(objective, tau, x.detach().numpy().copy(), y.detach().numpy().copy(), x0, y0, history)


# The temperature slider of lesson 01 moves on this grid: 0.005 ... 1, ten steps per decade.
TEMPERATURE_GRID = tuple(float(t) for t in np.round(10 ** np.linspace(math.log10(0.005), 0.0, 24), 6))


def nearest_grid_temperature(temperature: float) -> float:
    """The grid temperature closest to ``temperature`` on a log scale (lesson 01 slider).

    Parameters
    ----------
    temperature : float
        tau > 0.

    Returns
    -------
    float
        An entry of ``TEMPERATURE_GRID``.
    """
    tau = V.positive_number(temperature, "temperature")
    grid = np.array(TEMPERATURE_GRID)
    return float(grid[np.argmin(np.abs(np.log(grid) - math.log(tau)))])


def clip_run(temperature: float, seed: int = 0) -> ToyRun:
    """Cached CLIP-objective run at one temperature (default settings of ``train_toy``).

    The cache key is ``(float(temperature), int(seed))`` however the function is called, so the
    lesson-01 slider finds the runs that ``temperature_sweep`` already trained.

    Parameters
    ----------
    temperature : float
        tau > 0.
    seed : int
        0 <= seed < 2**32.

    Returns
    -------
    ToyRun
    """
    return _clip_run_cached(V.positive_number(temperature, "temperature"), V.seed(seed))


@functools.lru_cache(maxsize=128)
def _clip_run_cached(temperature: float, seed: int) -> ToyRun:
    return train_toy("clip", temperature=temperature, seed=seed)


def temperature_sweep(seed: int = 0) -> dict:
    """Final alignment, uniformity and gap of CLIP runs over ``TEMPERATURE_GRID`` (24 short runs; lesson 01).

    Parameters
    ----------
    seed : int
        0 <= seed < 2**32.

    Returns
    -------
    dict
        ``temperature`` and one array per ``ToyRun.final`` metric.
    """
    seed = V.seed(seed)
    rows = [clip_run(t, seed).final for t in TEMPERATURE_GRID]
    return {"temperature": np.array(TEMPERATURE_GRID), **{k: np.array([r[k] for r in rows]) for k in rows[0]}}


def softmax_weights(similarities, temperature: float) -> np.ndarray:
    """exp(s_j / tau) / sum_k exp(s_k / tau): how the CLIP denominator weighs each candidate (lesson 01).

    ``scipy.special.softmax`` of s / tau (stable for tiny tau).

    Parameters
    ----------
    similarities : array_like
        Non-empty 1-D finite similarities (cosines).
    temperature : float
        tau > 0.

    Returns
    -------
    numpy.ndarray
        Weights summing to 1.
    """
    tau = V.positive_number(temperature, "temperature")
    s = V.vector(similarities, "similarities")
    with np.errstate(over="ignore"):
        z = s / tau
    if not np.all(np.isfinite(z)):
        raise ValueError("similarities / temperature overflows float64: use a larger temperature.")
    return softmax(z)
