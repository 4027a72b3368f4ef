"""Checks for lesson 02 (the modality gap and the cone effect).

Each check runs the learner's function on fresh inputs, compares it with the reference in
``modgap_edu.core.cone`` and, when it differs, recognises the usual mistakes.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from modgap_edu.core import cone
from modgap_edu.exercises import run_check


def _as_float(v) -> float:
    return float(v.detach()) if hasattr(v, "detach") else float(v)


# ------------------------------------------------------------------ Exercise 2.1
def check_mean_cosine(fn: Callable) -> None:
    """Exercise 2.1: ``fn(emb, include_diagonal)`` -> mean pairwise cosine (Liang Fig. 2a / 2b)."""
    rng = np.random.default_rng(21)
    emb = rng.standard_normal((40, 8)) * rng.uniform(0.5, 3.0, size=(40, 1)) + 0.7  # unequal norms, a cone

    def attempt():
        return _as_float(fn(emb.copy(), False)), _as_float(fn(emb.copy(), True))

    def verify(got) -> Optional[str]:
        off, full = got
        n = emb.shape[0]
        ref_off = cone.mean_pairwise_cosine(emb)
        ref_full = cone.mean_pairwise_cosine(emb, include_diagonal=True)
        ok_off, ok_full = abs(off - ref_off) < 1e-6, abs(full - ref_full) < 1e-6
        if ok_off and ok_full:
            return None
        raw = emb @ emb.T  # dot products of unnormalized rows
        if abs(off - raw[~np.eye(n, dtype=bool)].mean()) < 1e-6 or abs(full - raw.mean()) < 1e-6:
            return (
                "you averaged dot products of the raw rows: L2-normalize each row first (cosine = dot of unit vectors)."
            )
        if not ok_off and abs(off - ref_full) < 1e-6:
            return (
                f"with include_diagonal=False you still averaged the diagonal (got {off:.4f}, expected "
                f"{ref_off:.4f}): drop the n self-similarities (all 1) and divide by n(n-1)."
            )
        if not ok_off and abs(off - (ref_off * n * (n - 1)) / (n * n)) < 1e-6:
            return "you removed the diagonal from the sum but divided by n^2: divide by n(n-1) pairs."
        if ok_off and not ok_full:
            return (
                f"include_diagonal=True should average the full n x n matrix (official code), got {full:.4f}, "
                f"expected {ref_full:.4f}."
            )
        return f"expected {ref_off:.4f} (without diagonal) and {ref_full:.4f} (with), got {off:.4f} and {full:.4f}."

    run_check("Exercise 2.1 (mean pairwise cosine)", attempt, verify)


# ------------------------------------------------------------------ Exercise 2.2
def check_relu_layer_cosine(fn: Callable) -> None:
    """Exercise 2.2: ``fn(u, v, W, b)`` -> cos(ReLU(W u + b), ReLU(W v + b)) (Liang Theorem 1)."""
    rng = np.random.default_rng(22)
    d_in, d_out = 16, 256
    cases = []
    for _ in range(20):
        u, v = rng.standard_normal(d_in), rng.standard_normal(d_in) * rng.uniform(0.3, 3.0)
        w = rng.normal(0, 1 / np.sqrt(d_out), size=(d_out, d_in))
        b = rng.normal(0, 1 / np.sqrt(d_out), size=d_out)
        cases.append((u, v, w, b))

    def ref(u, v, w, b, relu=True, bias=True):
        pu, pv = w @ u + (b if bias else 0), w @ v + (b if bias else 0)
        if relu:
            pu, pv = np.maximum(pu, 0), np.maximum(pv, 0)
        return float(pu @ pv / (np.linalg.norm(pu) * np.linalg.norm(pv)))

    def attempt():
        return [_as_float(fn(u.copy(), v.copy(), w.copy(), b.copy())) for u, v, w, b in cases]

    def verify(got) -> Optional[str]:
        got = np.asarray(got)
        want = np.array([ref(*c) for c in cases])
        if np.allclose(got, want, atol=1e-6):
            return None
        if np.allclose(got, [ref(*c, relu=False) for c in cases], atol=1e-6):
            return "you left out the ReLU: apply max(0, .) to W u + b and W v + b before the cosine."
        if np.allclose(got, [ref(*c, bias=False) for c in cases], atol=1e-6):
            return "you left out the bias b: the layer is ReLU(W u + b)."
        dots = [float(np.maximum(w @ u + b, 0) @ np.maximum(w @ v + b, 0)) for u, v, w, b in cases]
        if np.allclose(got, dots, atol=1e-6):
            return "you returned the dot product: divide by both norms to get the cosine."
        k = int(np.argmax(np.abs(got - want)))
        return f"case {k}: expected {want[k]:.4f}, got {got[k]:.4f} (W has shape (d_out, d_in): use W @ u)."

    run_check("Exercise 2.2 (one random ReLU layer)", attempt, verify)


# ------------------------------------------------------------------ Exercise 2.3
def check_init_share(fn: Callable) -> None:
    """Exercise 2.3: ``fn(emb)`` with emb (seeds, samples, dims) -> share of variance due to the init."""
    rng = np.random.default_rng(23)
    emb = rng.standard_normal((5, 12, 4)) + 2.0 * rng.standard_normal((5, 1, 4))

    def attempt():
        return _as_float(fn(emb.copy()))

    def verify(got) -> Optional[str]:
        ref = cone.variance_decomposition(emb)
        if abs(got - ref["init_share"]) < 1e-6:
            return None
        if abs(got - ref["data"] / ref["total"]) < 1e-6:
            return (
                "that is the data share E[Var(h | seed)] / Var(h): the init share is the variance of the "
                "per-seed means, Var(E[h | seed]), over the total."
            )
        seed_means = emb.mean(axis=1)
        ddof1 = seed_means.var(axis=0, ddof=1).sum() / emb.reshape(-1, 4).var(axis=0, ddof=1).sum()
        if abs(got - ddof1) < 1e-6:
            return "use population variances (ddof=0, numpy's default): then total = data + init exactly."
        if not 0 <= got <= 1:
            return f"a share must lie in [0, 1], got {got:.4f}."
        return f"expected {ref['init_share']:.4f}, got {got:.4f}."

    run_check("Exercise 2.3 (variance due to the random init)", attempt, verify)
