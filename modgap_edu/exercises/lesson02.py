"""Checks for lesson 02 (the modality gap and the cone effect).

Each check runs the learner's function on fresh inputs, compares it with the reference in
``modgap_edu.core.cone`` and, when it differs, computes what each common mistake would give, so
that the FAIL message names the mistake. No message prints the value the exercise asks for.

Exercises: 2.1 mean pairwise cosine, 2.2 one ReLU layer on orthogonal inputs (derivation), 2.3 width
and depth (open, no check), 2.4 the init share of the variance, 2.5 one random ReLU layer (Theorem 1),
Bonus 2.6 the arc-cosine kernel.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from modgap_edu.core import cone
from modgap_edu.exercises import as_float, run_check


def _close(a, b, tol: float = 1e-6) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and bool(np.allclose(a, b, rtol=0, atol=tol))


def _first_hit(got, mistakes: list) -> Optional[str]:
    """The message of the first ``(value_the_mistake_gives, message)`` that matches ``got``."""
    for value, message in mistakes:
        if _close(got, value):
            return message
    return None


# ------------------------------------------------------------------ Exercise 2.1
def _mean_cosine_mistakes(emb: np.ndarray, ref_off: float, ref_full: float) -> list:
    n = emb.shape[0]
    off = ~np.eye(n, dtype=bool)
    raw = emb @ emb.T
    cols = emb / np.linalg.norm(emb, axis=0, keepdims=True)
    cc = cols @ cols.T
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    c = unit @ unit.T
    return [
        (
            (raw[off].mean(), raw.mean()),
            "you averaged dot products of the raw rows: L2-normalize each row first (cosine = dot of unit vectors).",
        ),
        (
            (cc[off].mean(), cc.mean()),
            "you normalized the columns (axis 0): normalize each row, one embedding per row.",
        ),
        (
            (ref_full, ref_off),
            "you swapped the two cases: include_diagonal=True keeps the n ones on the diagonal, False drops them.",
        ),
        (
            (ref_full, ref_full),
            "with include_diagonal=False you still averaged the diagonal: drop the n "
            "self-similarities (all 1) and divide by the number of pairs i ≠ j.",
        ),
        (
            ((c.sum() - n) / n**2, ref_full),
            "you removed the diagonal from the sum but divided by n²: divide by the n(n − 1) ordered pairs i ≠ j.",
        ),
        (
            ((c.sum() - n) / (n * (n - 1) / 2), ref_full),
            "you summed over ordered pairs (i, j) and (j, i) but divided by "
            "the unordered count n(n − 1)/2: use n(n − 1), or sum over i < j only.",
        ),
        (((c.sum() - 1) / (n * (n - 1)), ref_full), "the diagonal holds n ones, not one: subtract the trace."),
        (
            (ref_off, c.sum() / (n * (n - 1))),
            "include_diagonal=True averages the full n × n matrix (official code): divide its sum by n², not n(n − 1).",
        ),
        (
            (ref_off, c[off].mean()),
            "include_diagonal=True should keep the diagonal (official Fig. 2b code): average the full n × n matrix.",
        ),
    ]


def check_mean_cosine(fn: Callable) -> None:
    """Exercise 2.1: ``fn(emb, include_diagonal)`` -> mean pairwise cosine (Liang Fig. 2a / 2b).

    Parameters
    ----------
    fn : callable
        The learner's ``my_mean_cosine``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    rng = np.random.default_rng(21)
    emb = rng.standard_normal((40, 8)) * rng.uniform(0.5, 3.0, size=(40, 1)) + 0.7  # unequal norms, a cone

    def attempt():
        return as_float(fn(emb.copy(), False)), as_float(fn(emb.copy(), True))

    def verify(got) -> Optional[str]:
        ref_off = cone.mean_pairwise_cosine(emb)
        ref_full = cone.mean_pairwise_cosine(emb, include_diagonal=True)
        if _close(got, (ref_off, ref_full)):
            return None
        hit = _first_hit(got, _mean_cosine_mistakes(emb, ref_off, ref_full))
        if hit:
            return hit
        return (
            f"your values ({got[0]:.4f} without, {got[1]:.4f} with the diagonal) are off: unit rows, the full cosine "
            "matrix, then its mean over i ≠ j or over all n² entries."
        )

    run_check("Exercise 2.1", attempt, verify)


# ------------------------------------------------------------------ Exercise 2.2
def _relu_orthogonal_mistakes() -> list:
    pi = np.pi
    return [
        (
            0.0,
            "orthogonal inputs give uncorrelated pre-activations, but ReLU outputs are never negative, so their "
            "cosine is positive: compute E[relu(z)]² / E[relu(z)²].",
        ),
        (
            0.5,
            "one half is the chance that a unit is active (and E[relu(z)²] for z ~ N(0, 1)); the cosine is the "
            "squared mean of relu(z) over its second moment.",
        ),
        (
            np.sqrt(2 / pi),
            "square the mean: the cosine's numerator is E[relu(a) relu(b)] = E[relu(z)]² for independent a, b.",
        ),
        (
            2 / pi,
            "√(2/π) is the mean of |z|, the half-normal; relu(z) is zero half the time, so its mean is half of that.",
        ),
        (1 / (2 * pi), "the denominator is E[relu(z)²], which is 1/2 (half of E[z²]), not 1."),
        (1 / np.sqrt(2 * pi), "that is E[relu(z)] itself; the cosine is its square over E[relu(z)²]."),
        (
            float(cone.arccos_kernel_cosine(np.pi / 3)),
            "that is the value with a bias of the same scale as W u "
            "(lesson 02, Question 6); this exercise has no bias.",
        ),
        (1 / pi**2, "you squared too much: only the mean E[relu(z)] is squared, the second moment is not."),
    ]


def check_relu_orthogonal_cosine(fn: Callable) -> None:
    """Exercise 2.2 (derivation): ``fn()`` -> the wide-layer mean cosine of two orthogonal inputs after one ReLU layer.

    Parameters
    ----------
    fn : callable
        The learner's ``my_relu_orthogonal_cosine`` (no arguments).

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """

    def verify(got) -> Optional[str]:
        want = float(cone.arccos_kernel_cosine(np.pi / 2))
        if _close(got, want, 1e-9):
            return None
        hit = _first_hit(got, _relu_orthogonal_mistakes())
        if hit:
            return hit
        if abs(got - want) < 0.02:
            return (
                "that looks like a measured value (a finite layer, one draw): the exercise asks for the exact "
                "limit of an infinitely wide layer; derive it from two moments of the half-rectified Gaussian."
            )
        if not 0 <= got <= 1:
            return f"the cosine of two vectors with nonnegative entries lies in [0, 1], got {got:.4f}."
        return (
            f"{got:.4f} is not the limit. For orthogonal inputs the pre-activations of a unit are independent "
            "Gaussians: write the cosine as a ratio of two expectations of relu(z)."
        )

    run_check("Exercise 2.2", lambda: as_float(fn()), verify, "the exact wide-layer limit: derived, not measured.")


# ------------------------------------------------------------------ Exercise 2.4
def _init_share_mistakes(emb: np.ndarray) -> list:
    d = cone.variance_decomposition(emb)
    flat = emb.reshape(-1, emb.shape[-1])
    seed_means = emb.mean(axis=1)
    return [
        (
            d["data"] / d["total"],
            "that is the data share E[Var(h | seed)] / Var(h): the init share is the variance "
            "of the per-seed means, Var(E[h | seed]), over the total.",
        ),
        (
            seed_means.var(axis=0, ddof=1).sum() / flat.var(axis=0, ddof=1).sum(),
            "use population variances (ddof=0, numpy's default): then total = data + init exactly.",
        ),
        (
            np.mean(seed_means.var(axis=0) / flat.var(axis=0)),
            "sum the variances over the dimensions first, then divide once: you averaged one ratio per dimension.",
        ),
        (
            emb.mean(axis=0).var(axis=0).sum() / flat.var(axis=0).sum(),
            "you averaged over the seeds (axis 0): the per-seed mean averages over the samples (axis 1) of one seed.",
        ),
        (
            np.sqrt(seed_means.var(axis=0).sum() / flat.var(axis=0).sum()),
            "a share of variance is a ratio of variances, not of standard deviations: do not take the square root.",
        ),
        (
            d["init"] / d["data"],
            "divide by the total variance of all rows (data + init), not by the within-seed (data) part.",
        ),
    ]


def check_init_share(fn: Callable) -> None:
    """Exercise 2.4: ``fn(emb)`` with emb (seeds, samples, dims) -> share of variance due to the init (Liang Sec. 3).

    Parameters
    ----------
    fn : callable
        The learner's ``my_init_share``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    rng = np.random.default_rng(23)
    emb = rng.standard_normal((5, 12, 4)) * rng.uniform(0.3, 3.0, size=4) + 2.0 * rng.standard_normal((5, 1, 4))

    def verify(got) -> Optional[str]:
        if _close(got, cone.variance_decomposition(emb)["init_share"]):
            return None
        hit = _first_hit(got, _init_share_mistakes(emb))
        if hit:
            return hit
        if not 0 <= got <= 1:
            return f"a share must lie in [0, 1], got {got:.4f}."
        return (
            f"your share ({got:.4f}) is off: per-seed means over the samples, their variance over the seeds summed "
            "over dimensions, divided by the total variance of all rows."
        )

    run_check("Exercise 2.4", lambda: as_float(fn(emb.copy())), verify)


# ------------------------------------------------------------------ Exercise 2.5
def _layer(u, v, w, b, act=lambda z: np.maximum(z, 0), bias=True, relu_first=False, bias_after=False, unit=False):
    """The cosine after one layer, with the switches for the usual mistakes."""
    if unit:
        u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    if relu_first:
        pu, pv = w @ np.maximum(u, 0) + b, w @ np.maximum(v, 0) + b
    elif bias_after:
        pu, pv = act(w @ u) + b, act(w @ v) + b
    else:
        pu, pv = act(w @ u + (b if bias else 0)), act(w @ v + (b if bias else 0))
    return float(pu @ pv / (np.linalg.norm(pu) * np.linalg.norm(pv)))


def _relu_layer_mistakes(cases: list) -> list:
    def each(**kw):
        return [_layer(*c, **kw) for c in cases]

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    return [
        (each(act=lambda z: z), "you left out the ReLU: apply max(0, ·) to W u + b and W v + b before the cosine."),
        (each(bias=False), "you left out the bias b: the layer is ReLU(W u + b)."),
        (
            each(relu_first=True),
            "you applied the ReLU to the inputs before the layer: the order is W u + b first, "
            "then the ReLU, then the cosine.",
        ),
        (each(act=sigmoid), "the activation is the ReLU max(0, ·), not the sigmoid."),
        (each(act=np.tanh), "the activation is the ReLU max(0, ·), not tanh."),
        (each(bias_after=True), "add the bias before the ReLU: ReLU(W u + b), not ReLU(W u) + b."),
        (
            each(unit=True),
            "do not normalize u and v first: with a bias, their lengths change the result (and "
            "Theorem 1's premise depends on them).",
        ),
        (
            [float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v))) for u, v, _, _ in cases],
            "you returned the cosine of the inputs: pass u and v through the layer ReLU(W x + b) first.",
        ),
        (
            [float(np.maximum(w @ u + b, 0) @ np.maximum(w @ v + b, 0)) for u, v, w, b in cases],
            "you returned the dot product: divide by both norms to get the cosine.",
        ),
    ]


def check_relu_layer_cosine(fn: Callable) -> None:
    """Exercise 2.5: ``fn(u, v, W, b)`` -> cos(ReLU(W u + b), ReLU(W v + b)) (Liang Theorem 1).

    Parameters
    ----------
    fn : callable
        The learner's ``my_relu_layer_cosine``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    rng = np.random.default_rng(22)
    d_in, d_out = 16, 256
    cases = []
    for _ in range(20):
        u, v = rng.standard_normal(d_in), rng.standard_normal(d_in) * rng.uniform(0.3, 3.0)
        w = rng.normal(0, 1 / np.sqrt(d_out), size=(d_out, d_in))
        b = rng.normal(0, 1 / np.sqrt(d_out), size=d_out)
        cases.append((u, v, w, b))

    def attempt():
        return [as_float(fn(u.copy(), v.copy(), w.copy(), b.copy())) for u, v, w, b in cases]

    def verify(got) -> Optional[str]:
        if _close(got, [_layer(*c) for c in cases]):
            return None
        hit = _first_hit(got, _relu_layer_mistakes(cases))
        if hit:
            return hit
        return (
            "your cosines differ from one random ReLU layer's: compute W u + b and W v + b (W has shape "
            "(d_out, d_in)), apply the ReLU to both, then divide their dot product by both norms."
        )

    run_check("Exercise 2.5", attempt, verify)


# ------------------------------------------------------------------ Bonus exercise 2.6
KERNEL_ANGLES = tuple(float(t) for t in np.linspace(0.0, np.pi, 7)) + (0.3, 2.0)


def _kernel_mistakes(theta: np.ndarray) -> list:
    pi = np.pi
    deg = np.deg2rad(theta)
    return [
        (cone.arccos_kernel_cosine(deg), "the angle is in radians already: do not convert it from degrees."),
        (
            np.sin(theta) + (pi - theta) * np.cos(theta),
            "normalize: at θ = 0 the two outputs coincide, so the cosine "
            "must be 1; divide the expected product by the second moment.",
        ),
        (
            (np.sin(theta) + (pi - theta) * np.cos(theta)) / (2 * pi),
            "that is the expected product E[relu(a) relu(b)] "
            "for unit-variance inputs; the cosine divides it by E[relu(z)²] = 1/2.",
        ),
        (
            (np.sin(theta) + theta * np.cos(theta)) / pi,
            "the cosine term has the factor (π − θ), the angle range where both units are active, not θ.",
        ),
        (
            (pi - theta) * np.cos(theta) / pi,
            "you lost the sin θ term: it comes from the part of the integral where the two inputs' projections differ.",
        ),
        (
            (pi - theta) / pi,
            "that is (twice) the chance that both units are active; the cosine also weighs how "
            "large the two outputs are.",
        ),
        (np.cos(theta), "that is the cosine before the layer (a linear layer keeps it); the ReLU raises it."),
        (np.full_like(theta, 1 / pi), "a constant cannot be right: the limit is 1 at θ = 0 and 0 at θ = π."),
        (
            (np.sin(theta) - (pi - theta) * np.cos(theta)) / pi,
            "check the sign of the cosine term: the result must be 1 at θ = 0.",
        ),
    ]


def check_arccos_kernel(fn: Callable) -> None:
    """Bonus exercise 2.6: ``fn(theta)`` -> the wide-layer cosine after one ReLU layer at input angle theta.

    Cho & Saul (2009) arc-cosine kernel of order 1, normalized (``cone.arccos_kernel_cosine``).

    Parameters
    ----------
    fn : callable
        The learner's ``my_arccos_cosine`` (one angle in radians).

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    theta = np.asarray(KERNEL_ANGLES)

    def verify(got) -> Optional[str]:
        got = np.asarray(got)
        if _close(got, cone.arccos_kernel_cosine(theta), 1e-8):
            return None
        hit = _first_hit(got, _kernel_mistakes(theta))
        if hit:
            return hit
        ends = (got[0], got[-3])  # θ = 0 and θ = π
        if not _close(ends, (1.0, 0.0), 1e-6):
            return (
                f"check the ends first: identical inputs (θ = 0) give cosine 1 and opposite inputs (θ = π) give 0 "
                f"(never both units active); yours give {ends[0]:.4f} and {ends[1]:.4f}."
            )
        return (
            "the ends are right but the angles in between are off: integrate relu(w·u) relu(w·v) over the "
            "directions of w in the plane of u and v."
        )

    run_check("Bonus exercise 2.6", lambda: [as_float(fn(t)) for t in KERNEL_ANGLES], verify)
