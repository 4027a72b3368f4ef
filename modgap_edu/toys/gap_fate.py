"""The gap-fate experiment of lessons 01 and 03: *when* does contrastive training keep the modality gap?

The lesson-01 sphere toy, generalised: ``n`` free image points and their captions on the unit sphere in
``dim`` dimensions start in two separated caps (``dim_cap_points``) and are trained full-batch with the
symmetric CLIP loss and Adam until the loss *and* the gap are stationary (``convergence rule`` below).
Knobs: the temperature (fixed, or CLIP's learnable logit scale), the dimension, the information
imbalance ``share`` and a fraction of mismatched pairs.

Paper claims it tests:

* Liang et al. 2022 (NeurIPS), Sec. 4.2-4.3 and Supp. Fig. 9: at low temperature the CLIP loss *preserves*
  a gap; the repulsive structure needs mismatched pairs (Fig. 3e-g) and vanishes without them (Supp. Fig. 9:
  "no mismatch, no repulsion"). The toy shows that in 3-D with no mismatch and no imbalance the gap closes at
  every temperature: low tau keeps the gap only where nothing pulls the modalities together -- in high
  dimensions the loss reaches ~0 while the gap is still open.
* Schrodi et al. 2025 (ICLR): an information imbalance between images and captions drives the gap.
  Here ``share`` images share one caption, so H(image | caption) = log2(share) bits.

Definitions
-----------
Caption assignment. Image i has caption ``g(i) = i // share`` (one text point per group of ``share``
images). ``mismatch``: a seeded fraction of the images get the caption of a correctly-captioned image of
another group instead (the *same* text point, so that caption now has one more image, and with share = 1 the
mismatched image's own caption leaves the batch). A plain relabelling (a derangement of which free text point
is called "caption i") would be a no-op: the points are free and exchangeable, so it only changes which random
start point a pair gets. Mismatch in real data means a wrong caption that describes another image; in a
free-point toy that is a caption shared by two images that differ -- a local information imbalance.

Gap metrics. L2M (``metrics.l2m``) between all images and the caption of every pair; RMG (``metrics.rmg``) with
the distinct captions as the unique side, ``rmg(captions, images, text_to_image=caption_of_image)``.

Loss (``shared_caption_loss``). With ``c_t`` images on caption t (``c_t = share`` without mismatch):

* image -> text: cross-entropy over the *distinct* captions in the batch, target = the image's caption;
* text -> image: each caption's positives are its ``c_t`` images; the loss is the average of the
  cross-entropies over all (image, caption) pairs, ``(1/n) sum_t sum_{p in P_t} -log q_t(p)`` with
  ``q_t`` the softmax of caption t over all n images (supervised-contrastive "L_out" form, weighted by pair).
  This equals ``losses.clip_loss(x, y[g], tau, "text_to_image")`` (tested); the code takes it from the
  same ``losses._logits`` matrix as the image -> text part, so each step normalizes once.
* the loss is their mean. With share = 1 and no mismatch it equals ``losses.clip_loss(x, y, tau)``.

Loss floor (``loss_floor``). image -> text is a cross-entropy: >= 0. For caption t, the q_t(p) of its
positives sum to at most 1, and ``sum_{p in P_t} -log q_t(p)`` under that constraint is smallest when all
are 1 / c_t (convexity of -log), giving ``c_t log c_t``. So
``loss >= loss_floor = (1 / 2n) sum_t c_t log c_t`` -- ``log(share) / 2`` without mismatch.
The bound is approached only as tau -> 0 (at fixed tau the negatives keep a weight >= exp(-2 / tau)
relative to the positives), e.g. ~0.69 at share = 4 and tau = 0.01; at tau = 1 the loss stays far above it.

Convergence rule (``is_converged``). Loss and L2M are recorded every ``check_every`` (50) steps. A run is
converged (and stops) when, over the last ``window`` (1000) steps, the range (max - min) of the loss is
<= ``loss_tol`` (1e-3) *and* the range of the L2M is <= ``gap_tol`` (2e-3), and either the loss is within
``floor_margin`` (0.01) of ``loss_floor`` or the same holds over a window twice as long. Otherwise it runs to
``max_steps`` and reports ``converged = False`` with ``reason``:

* ``"gap_moving"``: the loss is flat (its range over the window <= ``loss_tol``) but the gap is not. This is the
  common low-tau fate: the loss sits at its floor (~1e-5) while Adam -- whose steps do not shrink with the
  gradient -- keeps crawling along the nearly flat landscape and slowly closes the gap (measured: 16-D,
  tau = 0.05: L2M 0.96 -> 0.32 over steps 1,000 -> 10,000 at a loss of 2e-4 -> 3e-6). ``gap_drift`` is
  the L2M change over the last window; the gap "survives" only as long as training stops early enough.
* ``"max_steps"``: the loss itself is still moving.

Requiring the gap to be stationary is also what keeps the 3-D tau = 0.01 run from stopping on its loss plateau
(loss ~1 for hundreds of steps while the gap is still shrinking). A plateau of loss *and* gap longer than the
window would still be taken for convergence: no finite test can tell.

A run at the defaults takes ~1-8 s on one CPU core (~1 ms per Adam step); everything is seeded.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, Iterable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from modgap_edu.core import losses
from modgap_edu.core import validation as V
from modgap_edu.core.losses import align_loss, uniform_loss
from modgap_edu.core.metrics import l2m, rmg

LEARNABLE = "learnable"
TAU_INIT = 0.07  # CLIP's initial temperature (logit scale log(1 / 0.07))
MAX_LOGIT_SCALE = 100.0  # CLIP clamps the logit scale at 100 (tau >= 0.01)
DEFAULT_MAX_STEPS = 6000
RUN_KEYS = (
    "tau",
    "dim",
    "share",
    "mismatch",
    "seed",
    "l2m_start",
    "l2m_end",
    "rmg_start",
    "rmg_end",
    "loss_end",
    "loss_floor",
    "tau_end",
    "steps",
    "converged",
    "reason",
    "gap_drift",
    "seconds",
)


# ---------------------------------------------------------------- input checks


def _fraction(value: Any, name: str) -> float:
    return V.real_number(value, name, low=0.0, high=1.0)


def _tau(tau: Any):
    """A fixed temperature (float > 0 whose 1/tau fits float64) or ``"learnable"``."""
    if isinstance(tau, str):
        V.choice(tau, (LEARNABLE,), "tau")
        return tau
    t = V.positive_number(tau, "tau")
    try:
        losses.inverse_temperature(t)
    except ValueError:
        raise ValueError(f"tau={t:.3g} is so small that 1/tau overflows float64: use tau >= 1e-300.") from None
    return t


def _rng(rng: Any) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng(0)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(seed)) or None, got {rng!r}."
        )
    return rng


def _cap_angles(center_deg: Any, width_deg: Any) -> tuple[float, float]:
    """Checked cap centre (any finite angle) and cap diameter in (0, 360] degrees."""
    c = V.real_number(center_deg, "center_deg")
    w = V.real_number(width_deg, "width_deg", low=0.0, high=360.0)
    if w == 0:
        raise ValueError("width_deg must be > 0 (a cap of diameter 0 puts every point on its centre).")
    return c, w


def _captions(caption: Any, n: int | None = None, n_captions: int | None = None) -> np.ndarray:
    """A checked caption index per image: 1-D, non-empty, whole non-negative numbers (< n_captions if given)."""
    arr = V.real_array(caption, "caption", "one integer caption index per image")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"caption must be a non-empty 1-D array (one caption index per image), got shape {arr.shape}.")
    if n is not None and arr.size != n:
        raise ValueError(f"caption has {arr.size} entries but there are {n} images: give one caption per image.")
    if not np.all(np.isfinite(arr)):
        raise ValueError("caption contains NaN or inf: every image needs an integer caption index.")
    if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
        raise ValueError("caption must hold integer caption indices, got non-whole numbers.")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or (n_captions is not None and arr.max() >= n_captions):
        where = "be >= 0" if n_captions is None else f"lie in 0..{n_captions - 1} (one per row of text)"
        raise ValueError(f"caption indices must {where}, got values from {arr.min()} to {arr.max()}.")
    return arr


def _series(values: Any, name: str) -> list:
    """A recorded loss / gap series: 1-D finite numbers (possibly empty), as a list of floats."""
    if isinstance(values, (list, tuple)) and len(values) == 0:
        return []
    return V.vector(values, name).tolist()


def _rule(check_every: Any, window: Any, loss_tol: Any, gap_tol: Any, floor_margin: Any) -> dict:
    """Checked settings of the convergence rule (``is_converged``)."""
    rule = {"check_every": V.integer(check_every, "check_every", 1), "window": V.integer(window, "window", 1)}
    if rule["window"] < rule["check_every"]:
        raise ValueError(
            f"window={window} must be >= check_every={check_every}: a window shorter than one record "
            "interval holds a single value, which is always 'flat'."
        )
    for v, name in ((loss_tol, "loss_tol"), (gap_tol, "gap_tol"), (floor_margin, "floor_margin")):
        rule[name] = V.positive_number(v, name)
    return rule


# ---------------------------------------------------------------- set-up


def dim_cap_points(
    n: int,
    dim: int,
    center_deg: float = 0.0,
    width_deg: float = 50.0,
    rng: Optional[np.random.Generator] = None,
    cap_rule: str = "cos",
) -> np.ndarray:
    """``n`` unit vectors in a spherical cap of angular diameter ``width_deg`` in ``dim`` dimensions.

    The cap is built around e1 and rotated by ``center_deg`` in the e1-e2 plane. Each point is
    ``cos(a) e1 + sin(a) r`` with ``r`` a uniformly random unit direction orthogonal to e1.

    Parameters
    ----------
    n, dim : int
        Number of points (>= 1) and dimension (>= 2).
    center_deg, width_deg : float
        Rotation of the cap centre away from e1, and the cap's angular diameter, in (0, 360].
    rng : numpy.random.Generator, optional
        Source of randomness (seeded by the caller); ``None``: ``np.random.default_rng(0)``.
    cap_rule : {"cos", "area"}
        ``"cos"``: cos(a) uniform in [cos(width / 2), 1] -- lesson 01's rule, area-uniform in 3-D, and for
        ``dim = 3`` identical draws to ``contrastive_toy.initial_points``; in higher dimensions it puts
        relatively more points near the centre than area-uniform. ``"area"``: uniform in the cap's area in
        any dimension (density of a proportional to sin(a)^(dim - 2), by rejection sampling).

    Returns
    -------
    numpy.ndarray
        (n, dim) float64 array of unit rows.
    """
    n, dim = V.integer(n, "n", 1), V.integer(dim, "dim", 2)
    center_deg, width_deg = _cap_angles(center_deg, width_deg)
    V.choice(cap_rule, ("cos", "area"), "cap_rule")
    return _cap_points(n, dim, center_deg, width_deg, _rng(rng), cap_rule)


def _cap_points(
    n: int, dim: int, center_deg: float, width_deg: float, rng: np.random.Generator, cap_rule: str
) -> np.ndarray:
    """``dim_cap_points`` on checked arguments."""
    radial = rng.normal(size=(n, dim))
    radial[:, 0] = 0.0
    radial /= np.linalg.norm(radial, axis=1, keepdims=True)
    half = math.radians(float(width_deg) / 2)
    if cap_rule == "cos":
        cos_a = rng.uniform(math.cos(half), 1.0, n)
        angle = np.arccos(cos_a)
    else:
        angle = _area_uniform_angles(n, dim, half, rng)
    pts = np.cos(angle)[:, None] * np.eye(dim)[0] + np.sin(angle)[:, None] * radial
    c = math.radians(float(center_deg))
    rot = np.eye(dim)
    rot[:2, :2] = [[math.cos(c), -math.sin(c)], [math.sin(c), math.cos(c)]]
    return pts @ rot.T


def _area_uniform_angles(n: int, dim: int, half: float, rng: np.random.Generator) -> np.ndarray:
    """Angles in [0, half] with density proportional to sin(a)^(dim - 2) (rejection sampling)."""
    peak = math.sin(min(half, math.pi / 2)) ** (dim - 2)
    out = np.empty(0)
    while out.size < n:
        a = rng.uniform(0.0, half, 4 * n)
        keep = rng.uniform(0.0, peak, 4 * n) <= np.sin(a) ** (dim - 2)
        out = np.concatenate([out, a[keep]])
    return out[:n]


def caption_assignment(n: int, share: int = 1, mismatch: float = 0.0, seed: int = 0) -> np.ndarray:
    """Caption (text-point) index of every image: ``i // share``, with a seeded fraction mismatched.

    Parameters
    ----------
    n, share : int
        Number of images, images per caption (``n % share == 0``).
    mismatch : float
        Fraction of images (rounded to a count) that get the caption of a correctly-captioned image of another
        group (module docstring). Their partners are drawn without replacement while possible.
    seed : int
        Seed of the choice (independent of the start points).

    Returns
    -------
    numpy.ndarray
        (n,) int64: entry i is the text point of image i, in ``0 .. n // share - 1``.
    """
    n, share = V.integer(n, "n", 1), V.integer(share, "share", 1)
    if n % share:
        raise ValueError(f"share={share} must divide n={n}: every caption is shared by exactly `share` images.")
    return _assign(n, share, _fraction(mismatch, "mismatch"), V.seed(seed))


def _assign(n: int, share: int, mismatch: float, seed: int) -> np.ndarray:
    """``caption_assignment`` on checked arguments."""
    group = np.arange(n) // share
    k = int(round(mismatch * n))
    if k == 0:
        return group
    rng = np.random.default_rng([int(seed), 1])
    chosen = rng.choice(n, size=k, replace=False)
    kept = np.setdiff1d(np.arange(n), chosen)
    out = group.copy()
    pool = list(rng.permutation(kept))
    for i in chosen:
        candidates = [j for j in pool if group[j] != group[i]] or [j for j in kept if group[j] != group[i]]
        if not candidates:
            raise ValueError(
                f"mismatch={mismatch} leaves no correctly captioned image of another group to "
                f"borrow a caption from (n={n}, share={share}); use a smaller mismatch."
            )
        partner = candidates[0]
        if partner in pool:
            pool.remove(partner)
        out[i] = group[partner]
    return out


def _compact(assign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Captions actually used (sorted) and the assignment re-indexed into them."""
    used, inverse = np.unique(assign, return_inverse=True)
    return used, inverse.astype(np.int64)


# ---------------------------------------------------------------- loss


def shared_caption_loss(image: torch.Tensor, text: torch.Tensor, caption: torch.Tensor, temperature) -> torch.Tensor:
    """Symmetric CLIP loss when several images share one caption (module docstring, "Loss").

    Parameters
    ----------
    image : torch.Tensor
        (n, d) image points (normalized inside).
    text : torch.Tensor
        (m, d) distinct caption points, every one used by at least one image.
    caption : torch.Tensor or array of int
        (n,): the row of ``text`` that is image i's caption.
    temperature : float or torch.Tensor
        Fixed tau or a scalar tensor (learnable).

    Returns
    -------
    torch.Tensor
        Scalar: (image->text CE over the distinct captions + text->image mean CE over all pairs) / 2.
    """
    x, y = V.pair(image, text, names=("image", "text"), as_tensor=True)
    cap = _captions(caption, n=x.shape[0], n_captions=y.shape[0])
    if np.bincount(cap, minlength=y.shape[0]).min() == 0:
        raise ValueError(
            "every row of text must be the caption of at least one image (text holds the distinct "
            "captions in use); drop the unused rows."
        )
    return _shared_caption_loss(x, y, torch.from_numpy(cap), losses._temperature(temperature))


def _shared_caption_loss(image: torch.Tensor, text: torch.Tensor, caption: torch.Tensor, temperature) -> torch.Tensor:
    """``shared_caption_loss`` on checked tensors (called every training step: no re-validation)."""
    logits = losses._logits(image, text, temperature)  # (n, m): one normalization per step
    i2t = F.cross_entropy(logits, caption)
    # = clip_loss(image, text[caption], temperature, "text_to_image"), without normalizing twice
    t2i = F.cross_entropy(logits[:, caption].T, torch.arange(logits.shape[0]))
    return (i2t + t2i) / 2


def loss_floor(caption: np.ndarray) -> float:
    """Exact lower bound of ``shared_caption_loss``: (1 / 2n) sum_t c_t log c_t (``log(share) / 2``).

    Parameters
    ----------
    caption : array of int
        Caption index (>= 0) of every image.

    Returns
    -------
    float
    """
    return _floor(_captions(caption))


def _floor(caption: np.ndarray) -> float:
    """``loss_floor`` of a checked caption array."""
    counts = np.unique(caption, return_counts=True)[1].astype(np.float64)
    return float(np.sum(counts * np.log(counts)) / (2 * len(caption)))


# ---------------------------------------------------------------- convergence


def _flat(values: list, steps: int, check_every: int, tol: float) -> bool:
    """Whether the last ``steps`` steps of a series recorded every ``check_every`` steps span <= ``tol``."""
    k = steps // check_every + 1
    return len(values) >= k and max(values[-k:]) - min(values[-k:]) <= tol


def is_converged(
    losses: list,
    gaps: list,
    floor: float,
    *,
    check_every: int = 50,
    window: int = 1000,
    loss_tol: float = 1e-3,
    gap_tol: float = 2e-3,
    floor_margin: float = 0.01,
) -> bool:
    """The convergence rule of the module docstring, on loss and L2M recorded every ``check_every`` steps.

    Parameters
    ----------
    losses, gaps : list of float
        Recorded loss and L2M, the last entry being the current step.
    floor : float
        ``loss_floor`` of the run.
    check_every, window : int
        Recording interval and stationarity window, in steps (``window >= check_every``).
    loss_tol, gap_tol : float
        Largest allowed range of the loss and of the L2M over the window.
    floor_margin : float
        Within this margin of the floor one window suffices; elsewhere both must be flat over two windows.

    Returns
    -------
    bool
    """
    losses, gaps = _series(losses, "losses"), _series(gaps, "gaps")
    if len(losses) != len(gaps):
        raise ValueError(f"losses ({len(losses)}) and gaps ({len(gaps)}) must be recorded at the same steps.")
    floor = V.real_number(floor, "floor")
    return _is_converged(losses, gaps, floor, **_rule(check_every, window, loss_tol, gap_tol, floor_margin))


def _is_converged(
    losses: list,
    gaps: list,
    floor: float,
    *,
    check_every: int,
    window: int,
    loss_tol: float,
    gap_tol: float,
    floor_margin: float,
) -> bool:
    """``is_converged`` on checked series and settings (called at every record of a run)."""

    def both_flat(steps: int) -> bool:
        return _flat(losses, steps, check_every, loss_tol) and _flat(gaps, steps, check_every, gap_tol)

    if not both_flat(window):
        return False
    return losses[-1] - floor <= floor_margin or both_flat(2 * window)


# ---------------------------------------------------------------- one run


def _temperature_param(tau):
    """(parameter list, callable giving the current temperature) for a fixed or learnable tau."""
    if tau != LEARNABLE:
        return [], lambda: tau
    logit_scale = torch.tensor(math.log(1 / TAU_INIT), dtype=torch.float64, requires_grad=True)
    return [logit_scale], lambda: torch.exp(-logit_scale)


def _record(
    hist: dict, step: int, loss: float, x: np.ndarray, y: np.ndarray, cap: np.ndarray, tau_now: float, full: bool
) -> None:
    hist["step"].append(step)
    hist["loss"].append(loss)
    hist["gap"].append(_l2m(x, y, cap))
    hist["tau"].append(tau_now)
    if full:
        hist["align"].append(float(align_loss(x, y[cap])))
        hist["uniform_image"].append(float(uniform_loss(x)))
        hist["uniform_text"].append(float(uniform_loss(y)) if y.shape[0] > 1 else float("nan"))


def _drift(values: list, k: int) -> float:
    """Change of the last recorded value over the last ``k`` records (the whole run if shorter)."""
    return float(values[-1] - values[-min(k, len(values) - 1) - 1])


def _l2m(x: np.ndarray, y: np.ndarray, cap: np.ndarray) -> float:
    """L2M between all images and the caption of every pair (a caption counts once per image it describes).

    Without mismatch this is the L2M of the distinct captions; with it, counting a shared caption once would
    move the text centroid even when every image sits on its caption."""
    return l2m(x, y[cap])


def _rmg(x: np.ndarray, y: np.ndarray, cap: np.ndarray) -> float:
    """RMG with the unique side first: captions (unique) vs all images, image i <-> caption cap[i]."""
    return rmg(y, x, text_to_image=cap)


def gap_fate(
    tau,
    dim=3,
    share=1,
    mismatch=0.0,
    n=48,
    seed=0,
    max_steps=None,
    *,
    lr=0.01,
    gap_deg=140.0,
    width_deg=50.0,
    cap_rule="cos",
    history=False,
    check_every=50,
    window=1000,
    loss_tol=1e-3,
    gap_tol=2e-3,
    floor_margin=0.01,
) -> dict:
    """Train the two point sets with the CLIP loss until converged and report what happened to the gap.

    Parameters
    ----------
    tau : float or "learnable"
        Fixed temperature, or CLIP's learnable logit scale (start tau = 0.07, logit scale clamped to [1, 100]).
    dim : int
        Embedding dimension (>= 2; the course uses 3 ... 64).
    share : int
        Images per caption (information imbalance log2(share) bits); must divide ``n``.
    mismatch : float
        Fraction of images whose caption belongs to another image (module docstring).
    n : int
        Number of images.
    seed : int
        Seeds the start points and the mismatch choice.
    max_steps : int, optional
        Step cap (default 6000, <= ~8 s); reaching it gives ``converged = False``.
    lr, gap_deg, width_deg, cap_rule :
        Adam learning rate; cap centres' separation and cap diameter in degrees; ``dim_cap_points`` rule.
    history : bool
        Also return the recorded trajectory (step, loss, gap, tau, align, uniform_image, uniform_text).
    check_every, window, loss_tol, gap_tol, floor_margin :
        Convergence rule (``is_converged``).

    Returns
    -------
    dict
        ``l2m_start``, ``l2m_end``, ``rmg_start``, ``rmg_end``, ``loss_end``, ``loss_floor``, ``tau_end``,
        ``steps``, ``converged``, ``reason`` ("flat", "gap_moving" or "max_steps"), ``gap_drift`` (L2M change over
        the last window), ``seconds`` (wall clock), ``cpu_seconds`` (this process's CPU time: the cost on one core even
        when the machine is shared) and the settings (plus ``history`` and the final points
        ``image``/``text`` when ``history=True``).
    """
    return _run(
        **_settings(
            tau,
            dim,
            share,
            mismatch,
            n,
            seed,
            max_steps,
            lr=lr,
            gap_deg=gap_deg,
            width_deg=width_deg,
            cap_rule=cap_rule,
            history=history,
            check_every=check_every,
            window=window,
            loss_tol=loss_tol,
            gap_tol=gap_tol,
            floor_margin=floor_margin,
        )
    )


def _settings(
    tau,
    dim=3,
    share=1,
    mismatch=0.0,
    n=48,
    seed=0,
    max_steps=None,
    *,
    lr=0.01,
    gap_deg=140.0,
    width_deg=50.0,
    cap_rule="cos",
    history=False,
    check_every=50,
    window=1000,
    loss_tol=1e-3,
    gap_tol=2e-3,
    floor_margin=0.01,
) -> dict:
    """Every argument of ``gap_fate`` checked (nothing trains before this passes), plus the caption assignment."""
    tau = _tau(tau)
    dim, share, n = V.integer(dim, "dim", 2), V.integer(share, "share", 1), V.integer(n, "n", 2)
    seed, mismatch = V.seed(seed), _fraction(mismatch, "mismatch")
    if n % share:
        raise ValueError(f"share={share} must divide n={n}: every caption is shared by exactly `share` images.")
    if n // share < 2:
        raise ValueError(f"n // share = {n // share} caption(s): the contrastive loss needs at least 2 captions.")
    gap_deg = V.real_number(gap_deg, "gap_deg")
    _, width_deg = _cap_angles(0.0, width_deg)
    V.choice(cap_rule, ("cos", "area"), "cap_rule")
    return {
        "tau": tau,
        "dim": dim,
        "share": share,
        "mismatch": mismatch,
        "n": n,
        "seed": seed,
        "max_steps": DEFAULT_MAX_STEPS if max_steps is None else V.integer(max_steps, "max_steps", 1),
        "lr": V.positive_number(lr, "lr"),
        "gap_deg": gap_deg,
        "width_deg": width_deg,
        "cap_rule": cap_rule,
        "history": V.boolean(history, "history"),
        "assignment": _assign(n, share, mismatch, seed),
        "rule": _rule(check_every, window, loss_tol, gap_tol, floor_margin),
    }


def _run(
    tau, dim, share, mismatch, n, seed, max_steps, lr, gap_deg, width_deg, cap_rule, history, assignment, rule
) -> dict:
    """One ``gap_fate`` run on checked settings (``_settings``)."""
    check_every, window, cap_steps = rule["check_every"], rule["window"], max_steps
    start, cpu_start = time.perf_counter(), time.process_time()
    used, cap = _compact(assignment)
    rng = np.random.default_rng(seed)
    x0 = _cap_points(n, dim, 0.0, width_deg, rng, cap_rule)
    y0 = _cap_points(n // share, dim, gap_deg, width_deg, rng, cap_rule)[used]
    floor = _floor(cap)
    X = torch.tensor(x0, requires_grad=True)
    Y = torch.tensor(y0, requires_grad=True)
    extra, temperature = _temperature_param(tau)
    opt = torch.optim.Adam([X, Y, *extra], lr=float(lr))
    cap_t = torch.from_numpy(cap)
    hist = {k: [] for k in ("step", "loss", "gap", "tau", "align", "uniform_image", "uniform_text")}
    reason = ""
    for step in range(cap_steps + 1):
        t_now = temperature()
        loss = _shared_caption_loss(X, Y, cap_t, losses._temperature(t_now))
        if step % check_every == 0 or step == cap_steps:
            _record(
                hist,
                step,
                float(loss.detach()),
                X.detach().numpy(),
                Y.detach().numpy(),
                cap,
                float(t_now.detach()) if extra else t_now,
                history,
            )
            if _is_converged(hist["loss"], hist["gap"], floor, **rule):
                reason = "flat"
                break
        if step == cap_steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        if extra:
            with torch.no_grad():
                extra[0].clamp_(0.0, math.log(MAX_LOGIT_SCALE))
    if not reason:
        reason = "gap_moving" if _flat(hist["loss"], window, check_every, rule["loss_tol"]) else "max_steps"
    x, y = X.detach().numpy().copy(), Y.detach().numpy().copy()
    out = {
        "tau": tau,
        "dim": dim,
        "share": share,
        "mismatch": mismatch,
        "n": n,
        "seed": seed,
        "l2m_start": _l2m(x0, y0, cap),
        "l2m_end": _l2m(x, y, cap),
        "rmg_start": _rmg(x0, y0, cap),
        "rmg_end": _rmg(x, y, cap),
        "loss_end": hist["loss"][-1],
        "loss_floor": floor,
        "tau_end": hist["tau"][-1],
        "steps": step,
        "converged": reason == "flat",
        "reason": reason,
        "gap_drift": _drift(hist["gap"], window // check_every),
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
    }
    if history:
        out["history"] = {k: np.asarray(v) for k, v in hist.items()}
        out["image"], out["text"], out["caption"] = x, y, cap
    return out


# ---------------------------------------------------------------- the grid


SHIPPED = {
    "taus": [0.01, 0.02, 0.05, 0.1, 1.0],
    "dims": [3, 8, 16, 64],
    "shares": [1, 4],
    "mismatches": [0.0, 0.25],
    "seeds": [0, 1, 2],
    "mismatch_shares": [1],
}


def phase_grid(
    taus: Iterable,
    dims: Iterable,
    shares: Iterable,
    mismatches: Iterable,
    seeds: Iterable,
    *,
    mismatch_shares: Optional[Iterable] = None,
    progress: bool = False,
    **kwargs,
) -> dict:
    """Run ``gap_fate`` over a grid (no histories) and return the settings and one row per run.

    Parameters
    ----------
    taus, dims, shares, mismatches, seeds : iterables
        Grid axes (full product).
    mismatch_shares : iterable of int, optional
        Shares at which non-zero mismatches run (``None``: all shares).
    progress : bool
        Print one line per run to stderr.
    **kwargs
        Passed to ``gap_fate`` (e.g. ``max_steps``, ``n``). Every run's settings are checked before the first
        run trains, so a bad value anywhere in the grid fails at once.

    Returns
    -------
    dict
        ``{"settings": ..., "runs": [dict, ...], "seconds": float}``; each run has the keys ``RUN_KEYS``.
    """
    axes = {
        name: _axis(v, name)
        for name, v in (
            ("taus", taus),
            ("dims", dims),
            ("shares", shares),
            ("mismatches", mismatches),
            ("seeds", seeds),
        )
    }
    clash = sorted(set(kwargs) & {"tau", "dim", "share", "mismatch", "seed", "history"})
    if clash:
        raise ValueError(f"phase_grid sets {clash} itself (grid axes, no histories): do not pass them as keywords.")
    allowed = (
        None
        if mismatch_shares is None
        else {V.integer(s, "mismatch_shares", 1) for s in _axis(mismatch_shares, "mismatch_shares")}
    )
    progress = V.boolean(progress, "progress")
    taus, dims, shares, mismatches, seeds = axes.values()
    plan = [
        _settings(tau, dim=dim, share=share, mismatch=mm, seed=seed, **kwargs)  # every run checked first
        for share in shares
        for mm in mismatches
        if not (mm and allowed is not None and share not in allowed)
        for dim in dims
        for tau in taus
        for seed in seeds
    ]
    runs, start = [], time.perf_counter()
    for settings in plan:
        r = _run(**settings)
        runs.append({k: r[k] for k in RUN_KEYS})
        if progress:
            print(
                f"tau={r['tau']} dim={r['dim']} share={r['share']} mm={r['mismatch']} seed={r['seed']}: "
                f"{r['l2m_start']:.3f}->{r['l2m_end']:.3f} steps={r['steps']} "
                f"conv={r['converged']} {r['seconds']:.1f}s",
                file=sys.stderr,
                flush=True,
            )
    settings = {
        "taus": taus,
        "dims": dims,
        "shares": shares,
        "mismatches": mismatches,
        "seeds": seeds,
        "mismatch_shares": None if allowed is None else sorted(allowed),
        **kwargs,
    }
    return {"settings": settings, "runs": runs, "seconds": time.perf_counter() - start}


def _axis(values: Any, name: str) -> list:
    """A grid axis as a non-empty list (its entries are checked by ``_settings``)."""
    try:
        if isinstance(values, (str, bytes, dict)):
            raise TypeError
        out = list(values)
    except TypeError:
        raise ValueError(f"{name} must be a non-empty list of values, got {values!r}.") from None
    if not out:
        raise ValueError(f"{name} is empty: give at least one value.")
    return out


SUMMARY_KEYS = (
    "tau",
    "dim",
    "share",
    "mismatch",
    "l2m_start",
    "l2m_end",
    "converged",
    "loss_end",
    "loss_floor",
    "steps",
)


def _grid_runs(grid: Any) -> list:
    """The checked runs of a grid: a dict with a non-empty list ``runs`` of dicts holding ``SUMMARY_KEYS``."""
    if not isinstance(grid, dict) or not isinstance(grid.get("runs"), list) or not grid["runs"]:
        raise ValueError(
            "grid must be a dict with a non-empty list 'runs' (the output of phase_grid or "
            f"load_phase_grid), got {type(grid).__name__}."
        )
    for i, r in enumerate(grid["runs"]):
        absent = [k for k in SUMMARY_KEYS if not isinstance(r, dict) or k not in r]
        if absent:
            raise ValueError(f"grid run {i} lacks {absent}.")
        for k in ("l2m_start", "l2m_end", "loss_end", "loss_floor", "steps"):
            V.real_number(r[k], f"grid run {i} {k}")
        if not r["l2m_start"] > 0:
            raise ValueError(
                f"grid run {i} has l2m_start = {r['l2m_start']}: the gap ratio l2m_end / l2m_start "
                "needs a start gap > 0."
            )
    return grid["runs"]


def summarize(grid: dict) -> list:
    """Seed statistics per setting: mean, min and max of l2m_end / l2m_start, converged fraction.

    Parameters
    ----------
    grid : dict
        Output of ``phase_grid`` or ``load_phase_grid``.

    Returns
    -------
    list of dict
        One row per (tau, dim, share, mismatch), in grid order.
    """
    groups: dict = {}
    for r in _grid_runs(grid):
        groups.setdefault((r["tau"], r["dim"], r["share"], r["mismatch"]), []).append(r)
    rows = []
    for (tau, dim, share, mm), rs in groups.items():
        ratio = np.array([r["l2m_end"] / r["l2m_start"] for r in rs])
        rows.append(
            {
                "tau": tau,
                "dim": dim,
                "share": share,
                "mismatch": mm,
                "ratio_mean": float(ratio.mean()),
                "ratio_min": float(ratio.min()),
                "ratio_max": float(ratio.max()),
                "converged": float(np.mean([r["converged"] for r in rs])),
                "loss_above_floor": float(np.mean([r["loss_end"] - r["loss_floor"] for r in rs])),
                "steps_mean": float(np.mean([r["steps"] for r in rs])),
                "seeds": len(rs),
            }
        )
    return rows
