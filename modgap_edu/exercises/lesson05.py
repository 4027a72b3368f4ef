"""Checks for lesson 05 (measuring the gap and the bias: RMG, MOAD).

Each check runs the learner's function on fresh inputs, compares it with the reference in
``modgap_edu.core.metrics`` and, when it differs, recognises the usual mistakes.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np

from modgap_edu.core import metrics
from modgap_edu.core.metrics import unit_rows
from modgap_edu.exercises import run_check


def _as_float(v) -> float:
    return float(v.detach()) if hasattr(v, "detach") else float(v)


def tiny_rmg_case(seed: int = 51) -> tuple[np.ndarray, np.ndarray]:
    """Small paired embeddings with unequal row norms and a gap: the inputs of Exercise 5.1."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((30, 6))
    x = (z + 1.0) * rng.uniform(0.5, 3.0, size=(30, 1))
    y = (z + 0.6 * rng.standard_normal((30, 6)) - 1.0) * rng.uniform(0.5, 3.0, size=(30, 1))
    return x, y


# ------------------------------------------------------------------ Exercise 5.1
def check_rmg(fn: Callable) -> None:
    """Exercise 5.1: ``fn(image_emb, text_emb)`` -> RMG of matched pairs (row i <-> row i)."""
    cases = [tiny_rmg_case(51), tiny_rmg_case(52)]

    def attempt():
        return [_as_float(fn(x.copy(), y.copy())) for x, y in cases]

    def verify(got) -> Optional[str]:
        want = [metrics.rmg(x, y) for x, y in cases]
        if np.allclose(got, want, atol=1e-6):
            return None
        x, y = cases[0]
        g = got[0]
        xu, yu = unit_rows(x), unit_rows(y)
        n = x.shape[0]
        m = float(np.mean((1 - np.sum(xu * yu, axis=1)) / 2))

        def intra(a, diag):
            d = (1 - a @ a.T) / 2
            return d.sum() / (n * n) if diag else (d.sum() - np.trace(d)) / (n * (n - 1))

        dx, dy = intra(xu, False), intra(yu, False)
        if abs(g - m / (m + intra(xu, True) / 2 + intra(yu, True) / 2)) < 1e-6:
            return (
                "you averaged the intra-modality dissimilarity over all n^2 pairs, self-pairs included: "
                "the mean is over i != j, i.e. divide by n(n-1)."
            )
        if abs(g - m / (m + dx + dy)) < 1e-6:
            return "the denominator is M + (D_img + D_txt) / 2: you forgot to halve the sum of the two intra terms."
        if abs(g - m / (dx + dy) * 2) < 1e-6 or abs(g - 2 * m / (dx + dy)) < 1e-6:
            return "RMG divides M by M + (D_img + D_txt)/2, not by the intra terms alone."
        cross = float(np.mean((1 - xu @ yu.T) / 2))
        if abs(g - cross / (cross + (dx + dy) / 2)) < 1e-6:
            return "the numerator uses the matched pairs only (x_i, y_i), not all image-text pairs."
        mr = float(np.mean((1 - np.sum(x * y, axis=1)) / 2))

        def raw_intra(a):
            d = (1 - a @ a.T) / 2
            return (d.sum() - np.trace(d)) / (n * (n - 1))

        raw = mr / (mr + (raw_intra(x) + raw_intra(y)) / 2)
        if not np.isfinite(g) or abs(g - raw) < 1e-6 or not 0 < g <= 1:
            return "L2-normalize every row first: cosines are dot products of unit vectors (RMG lies in (0, 1])."
        return f"expected RMG = {want[0]:.5f}, got {g:.5f}. Check d(a, b) = (1 - cos) / 2 and each mean."

    run_check("Exercise 5.1 (RMG from its definition)", attempt, verify)


# ------------------------------------------------------------------ Exercise 5.2
def check_fast_intra(fn: Callable, big_rows: int = 200_000, time_limit: float = 10.0) -> None:
    """Exercise 5.2: ``fn(emb)`` -> mean of (1 - cos)/2 over ordered pairs i != j, without an N x N matrix.

    Checked against the literal pairwise mean on small inputs, then run on ``big_rows`` x 64
    rows (an N x N float64 matrix would need 320 GB there) within ``time_limit`` seconds.
    """
    rng = np.random.default_rng(53)
    small = [rng.standard_normal((n, 5)) * rng.uniform(0.5, 2, size=(n, 1)) + 0.5 for n in (2, 7, 40)]
    big = rng.standard_normal((big_rows, 64)).astype(np.float32) + 0.3

    def literal(a):
        u = unit_rows(a)
        d = (1 - u @ u.T) / 2
        return (d.sum() - np.trace(d)) / (a.shape[0] * (a.shape[0] - 1))

    def attempt():
        vals = [_as_float(fn(a.copy())) for a in small]
        t0 = time.perf_counter()
        big_val = _as_float(fn(big))
        return vals, big_val, time.perf_counter() - t0

    def verify(got) -> Optional[str]:
        vals, big_val, seconds = got
        want = [literal(a) for a in small]
        if not np.allclose(vals, want, atol=1e-9):
            n = small[2].shape[0]
            u = small[2] / np.linalg.norm(small[2], axis=1, keepdims=True)
            s = u.sum(0)
            over_n2 = (1 - (s @ s - n) / (n * n)) / 2
            if abs(vals[2] - want[2] * (n - 1) / n) < 1e-9 or abs(vals[2] - over_n2) < 1e-9:
                return "you divided by N^2: the N self-pairs (d = 0) are not pairs; divide by N(N-1)."
            if abs(vals[2] - (1 - (s @ s) / (n * (n - 1))) / 2) < 1e-9:
                return "||sum_i x_i||^2 also contains the N terms x_i . x_i = 1: subtract N before dividing."
            return f"on a {n}-row input expected {want[2]:.6f}, got {vals[2]:.6f}."
        ref = metrics.mean_intra_dissimilarity(big)
        if abs(big_val - ref) > 1e-6:
            return f"right on small inputs but {big_val:.6f} instead of {ref:.6f} on {big_rows:,} rows (float32 overflow? use float64)."
        if seconds > time_limit:
            return f"correct, but {seconds:.1f} s on {big_rows:,} rows: avoid anything quadratic in N."
        return None

    run_check(
        "Exercise 5.2 (intra-modality dissimilarity in O(N d))",
        attempt,
        verify,
        success="matches the pairwise definition, and scales to research-sized inputs.",
    )


# ------------------------------------------------------------------ Exercise 5.3
def tiny_moad_set() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eight 3-d embeddings with an object label (digit) and an attribute label (colour): Exercise 5.3."""
    emb = np.array(
        [
            [1.0, 0.1, 0.0],
            [0.9, 0.2, 0.3],
            [1.1, -0.1, 0.2],
            [0.8, 0.0, -0.3],
            [0.1, 1.0, 0.1],
            [0.0, 1.2, -0.2],
            [0.2, 0.9, 0.4],
            [-0.1, 1.1, 0.0],
        ]
    )
    objects = np.array([3, 3, 3, 3, 7, 7, 7, 7])
    colours = np.array(["red", "blue", "red", "blue", "red", "blue", "blue", "red"])
    return emb, objects, colours


def check_moad(fn: Callable) -> None:
    """Exercise 5.3: ``fn(emb, objects, attributes)`` -> MOAD (all pairs with different labels)."""
    cases = [tiny_moad_set()]
    rng = np.random.default_rng(54)
    e = rng.standard_normal((25, 4)) * rng.uniform(0.5, 2, size=(25, 1))
    cases.append((e, rng.integers(0, 3, 25), rng.integers(0, 4, 25)))

    def attempt():
        return [_as_float(fn(emb.copy(), o.copy(), a.copy())) for emb, o, a in cases]

    def verify(got) -> Optional[str]:
        want = [metrics.moad(emb, o, a) for emb, o, a in cases]
        if np.allclose(got, want, atol=1e-6):
            return None
        emb, o, a = cases[1]
        g = got[1]
        if abs(g + want[1]) < 1e-6:
            return "the sign is flipped: MOAD = (intra - inter)_object - (intra - inter)_attribute."
        u = unit_rows(emb)
        s = u @ u.T
        off = ~np.eye(len(o), dtype=bool)

        def sep(labels, self_pairs=False, raw=False, per_class=False):
            sim = emb @ emb.T if raw else s
            same = labels[:, None] == labels[None, :]
            intra_mask = same if self_pairs else same & off
            if per_class:
                intra = np.mean(
                    [
                        sim[np.ix_(labels == c, labels == c)][~np.eye((labels == c).sum(), dtype=bool)].mean()
                        for c in np.unique(labels)
                        if (labels == c).sum() > 1
                    ]
                )
            else:
                intra = sim[intra_mask].mean()
            return intra - sim[~same].mean()

        if abs(g - (sep(o, self_pairs=True) - sep(a, self_pairs=True))) < 1e-6:
            return "your intra-class mean includes the self-pairs (cos = 1): use pairs i != j only."
        if abs(g - (sep(o, raw=True) - sep(a, raw=True))) < 1e-6:
            return "you used dot products of raw rows: L2-normalize first (cosine similarity)."
        if abs(g - (sep(o, per_class=True) - sep(a, per_class=True))) < 1e-6:
            return (
                "you averaged the intra-class means per class; the official code pools all same-label pairs "
                "(total sum / total count), so larger classes weigh more."
            )
        return f"on the tiny set expected MOAD = {want[0]:.5f}, got {got[0]:.5f}."

    run_check("Exercise 5.3 (MOAD by hand)", attempt, verify)
