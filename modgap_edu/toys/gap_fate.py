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
RUN_KEYS = ("tau", "dim", "share", "mismatch", "seed", "l2m_start", "l2m_end", "rmg_start", "rmg_end",
            "loss_end", "loss_floor", "tau_end", "steps", "converged", "reason", "gap_drift", "seconds")


# ---------------------------------------------------------------- input checks


def _fraction(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in [0, 1], got {value!r} ({type(value).__name__}).")
    v = float(value)
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"{name} must be in [0, 1], got {value!r}.")
    return v


def _tau(tau: Any):
    """A fixed temperature (float > 0) or ``"learnable"``."""
    if isinstance(tau, str):
        V.choice(tau, (LEARNABLE,), "tau")
        return tau
    if isinstance(tau, (bool, np.bool_)) or not isinstance(tau, (int, float, np.integer, np.floating)):
        raise TypeError(f"tau must be a positive number or 'learnable', got {tau!r} ({type(tau).__name__}).")
    return V.positive_number(tau, "tau")


# ---------------------------------------------------------------- set-up


def dim_cap_points(n: int, dim: int, center_deg: float = 0.0, width_deg: float = 50.0,
                   rng: Optional[np.random.Generator] = None, cap_rule: str = "cos") -> np.ndarray:
    """``n`` unit vectors in a spherical cap of angular diameter ``width_deg`` in ``dim`` dimensions.

    The cap is built around e1 and rotated by ``center_deg`` in the e1-e2 plane. Each point is
    ``cos(a) e1 + sin(a) r`` with ``r`` a uniformly random unit direction orthogonal to e1.

    Parameters
    ----------
    n, dim : int
        Number of points and dimension (>= 2).
    center_deg, width_deg : float
        Rotation of the cap centre away from e1, and the cap's angular diameter.
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).
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
    rng = np.random.default_rng(0) if rng is None else rng
    V.choice(cap_rule, ("cos", "area"), "cap_rule")
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
            raise ValueError(f"mismatch={mismatch} leaves no correctly captioned image of another group to "
                             f"borrow a caption from (n={n}, share={share}); use a smaller mismatch.")
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
    caption : torch.Tensor
        (n,) int64: the row of ``text`` that is image i's caption.
    temperature : float or torch.Tensor
        Fixed tau or a scalar tensor (learnable).

    Returns
    -------
    torch.Tensor
        Scalar: (image->text CE over the distinct captions + text->image mean CE over all pairs) / 2.
    """
    logits = losses._logits(image, text, losses._temperature(temperature))  # (n, m): one normalization per step
    i2t = F.cross_entropy(logits, caption)
    # = clip_loss(image, text[caption], temperature, "text_to_image"), without normalizing twice
    t2i = F.cross_entropy(logits[:, caption].T, torch.arange(logits.shape[0]))
    return (i2t + t2i) / 2


def loss_floor(caption: np.ndarray) -> float:
    """Exact lower bound of ``shared_caption_loss``: (1 / 2n) sum_t c_t log c_t (``log(share) / 2``).

    Parameters
    ----------
    caption : array of int
        Caption index of every image.

    Returns
    -------
    float
    """
    counts = np.bincount(np.asarray(caption)).astype(np.float64)
    counts = counts[counts > 0]
    return float(np.sum(counts * np.log(counts)) / (2 * len(caption)))


# ---------------------------------------------------------------- convergence


def _flat(values: list, steps: int, check_every: int, tol: float) -> bool:
    """Whether the last ``steps`` steps of a series recorded every ``check_every`` steps span <= ``tol``."""
    k = steps // check_every + 1
    return len(values) >= k and max(values[-k:]) - min(values[-k:]) <= tol


def is_converged(losses: list, gaps: list, floor: float, *, check_every: int = 50, window: int = 1000,
                 loss_tol: float = 1e-3, gap_tol: float = 2e-3, floor_margin: float = 0.01) -> bool:
    """The convergence rule of the module docstring, on loss and L2M recorded every ``check_every`` steps.

    Parameters
    ----------
    losses, gaps : list of float
        Recorded loss and L2M, the last entry being the current step.
    floor : float
        ``loss_floor`` of the run.
    check_every, window : int
        Recording interval and stationarity window, in steps.
    loss_tol, gap_tol : float
        Largest allowed range of the loss and of the L2M over the window.
    floor_margin : float
        Within this margin of the floor one window suffices; elsewhere both must be flat over two windows.

    Returns
    -------
    bool
    """
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


def _record(hist: dict, step: int, loss: float, x: np.ndarray, y: np.ndarray, cap: np.ndarray, tau_now: float,
            full: bool) -> None:
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


def gap_fate(tau, dim=3, share=1, mismatch=0.0, n=48, seed=0, max_steps=None, *, lr=0.01, gap_deg=140.0,
             width_deg=50.0, cap_rule="cos", history=False, check_every=50, window=1000, loss_tol=1e-3,
             gap_tol=2e-3, floor_margin=0.01) -> dict:
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
    tau = _tau(tau)
    dim = V.integer(dim, "dim", 2)
    share = V.integer(share, "share", 1)
    n = V.integer(n, "n", 2)
    seed = V.seed(seed)
    mismatch = _fraction(mismatch, "mismatch")
    cap_steps = DEFAULT_MAX_STEPS if max_steps is None else V.integer(max_steps, "max_steps", 1)
    for v, name in ((check_every, "check_every"), (window, "window")):
        V.integer(v, name, 1)
    for v, name in ((lr, "lr"), (loss_tol, "loss_tol"), (gap_tol, "gap_tol"), (floor_margin, "floor_margin")):
        V.positive_number(v, name)
    if n % share:
        raise ValueError(f"share={share} must divide n={n}: every caption is shared by exactly `share` images.")
    if n // share < 2:
        raise ValueError(f"n // share = {n // share} caption(s): the contrastive loss needs at least 2 captions.")
    start, cpu_start = time.perf_counter(), time.process_time()
    used, cap = _compact(caption_assignment(n, share, mismatch, seed))
    rng = np.random.default_rng(seed)
    x0 = dim_cap_points(n, dim, 0.0, width_deg, rng, cap_rule)
    y0 = dim_cap_points(n // share, dim, gap_deg, width_deg, rng, cap_rule)[used]
    floor = loss_floor(cap)
    X = torch.tensor(x0, requires_grad=True)
    Y = torch.tensor(y0, requires_grad=True)
    extra, temperature = _temperature_param(tau)
    opt = torch.optim.Adam([X, Y, *extra], lr=float(lr))
    cap_t = torch.from_numpy(cap)
    hist = {k: [] for k in ("step", "loss", "gap", "tau", "align", "uniform_image", "uniform_text")}
    reason = ""
    for step in range(cap_steps + 1):
        t_now = temperature()
        loss = shared_caption_loss(X, Y, cap_t, t_now)
        if step % check_every == 0 or step == cap_steps:
            _record(hist, step, float(loss.detach()), X.detach().numpy(), Y.detach().numpy(), cap,
                    float(t_now.detach()) if extra else t_now, history)
            if is_converged(hist["loss"], hist["gap"], floor, check_every=check_every, window=window,
                            loss_tol=loss_tol, gap_tol=gap_tol, floor_margin=floor_margin):
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
        reason = "gap_moving" if _flat(hist["loss"], window, check_every, loss_tol) else "max_steps"
    x, y = X.detach().numpy().copy(), Y.detach().numpy().copy()
    out = {"tau": tau, "dim": dim, "share": share, "mismatch": mismatch, "n": n, "seed": seed,
           "l2m_start": _l2m(x0, y0, cap), "l2m_end": _l2m(x, y, cap),
           "rmg_start": _rmg(x0, y0, cap), "rmg_end": _rmg(x, y, cap),
           "loss_end": hist["loss"][-1], "loss_floor": floor, "tau_end": hist["tau"][-1], "steps": step,
           "converged": reason == "flat", "reason": reason, "gap_drift": _drift(hist["gap"], window // check_every),
           "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu_start}
    if history:
        out["history"] = {k: np.asarray(v) for k, v in hist.items()}
        out["image"], out["text"], out["caption"] = x, y, cap
    return out


# ---------------------------------------------------------------- the grid


SHIPPED = {"taus": [0.01, 0.02, 0.05, 0.1, 1.0], "dims": [3, 8, 16, 64], "shares": [1, 4],
           "mismatches": [0.0, 0.25], "seeds": [0, 1, 2], "mismatch_shares": [1]}


def phase_grid(taus: Iterable, dims: Iterable, shares: Iterable, mismatches: Iterable, seeds: Iterable, *,
               mismatch_shares: Optional[Iterable] = None, progress: bool = False, **kwargs) -> dict:
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
        Passed to ``gap_fate`` (e.g. ``max_steps``, ``n``).

    Returns
    -------
    dict
        ``{"settings": ..., "runs": [dict, ...], "seconds": float}``; each run has the keys ``RUN_KEYS``.
    """
    taus, dims, shares, mismatches, seeds = (list(a) for a in (taus, dims, shares, mismatches, seeds))
    allowed = None if mismatch_shares is None else set(mismatch_shares)
    runs, start = [], time.perf_counter()
    for share in shares:
        for mm in mismatches:
            if mm and allowed is not None and share not in allowed:
                continue
            for dim in dims:
                for tau in taus:
                    for seed in seeds:
                        r = gap_fate(tau, dim=dim, share=share, mismatch=mm, seed=seed, **kwargs)
                        runs.append({k: r[k] for k in RUN_KEYS})
                        if progress:
                            print(f"tau={tau} dim={dim} share={share} mm={mm} seed={seed}: "
                                  f"{r['l2m_start']:.3f}->{r['l2m_end']:.3f} steps={r['steps']} "
                                  f"conv={r['converged']} {r['seconds']:.1f}s", file=sys.stderr, flush=True)
    settings = {"taus": taus, "dims": dims, "shares": shares, "mismatches": mismatches, "seeds": seeds,
                "mismatch_shares": None if allowed is None else sorted(allowed), **kwargs}
    return {"settings": settings, "runs": runs, "seconds": time.perf_counter() - start}


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
    for r in grid["runs"]:
        groups.setdefault((r["tau"], r["dim"], r["share"], r["mismatch"]), []).append(r)
    rows = []
    for (tau, dim, share, mm), rs in groups.items():
        ratio = np.array([r["l2m_end"] / r["l2m_start"] for r in rs])
        rows.append({"tau": tau, "dim": dim, "share": share, "mismatch": mm, "ratio_mean": float(ratio.mean()),
                     "ratio_min": float(ratio.min()), "ratio_max": float(ratio.max()),
                     "converged": float(np.mean([r["converged"] for r in rs])),
                     "loss_above_floor": float(np.mean([r["loss_end"] - r["loss_floor"] for r in rs])),
                     "steps_mean": float(np.mean([r["steps"] for r in rs])), "seeds": len(rs)})
    return rows
