"""Checks for lesson 03 (contrastive learning preserves the gap: the temperature toy).

Each check runs the learner's function on fresh inputs, compares it with the reference in
``modgap_edu.core.shift`` / ``toys`` / ``procrustes`` and, when it differs, recognises the usual mistakes.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from modgap_edu.core import procrustes, shift
from modgap_edu.core.metrics import unit_rows
from modgap_edu.exercises import run_check
from modgap_edu.toys import six_pairs


def _to_numpy(v) -> np.ndarray:
    return np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v, dtype=np.float64)


def _cone_pair(seed: int, n: int = 30, d: int = 6):
    """Two unnormalized clouds with unequal row norms and a clear gap between them."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, d)) * 0.4 + np.eye(d)[0] * 1.5) * rng.uniform(0.5, 3.0, (n, 1))
    y = (rng.standard_normal((n, d)) * 0.4 + np.eye(d)[1] * 1.5) * rng.uniform(0.5, 3.0, (n, 1))
    return x, y


# ------------------------------------------------------------------ Exercise 3.1
def check_shift(fn: Callable) -> None:
    """Exercise 3.1: ``fn(image_emb, text_emb, alpha)`` -> (image_shifted, text_shifted), the seminar's alpha form."""
    cases = [(_cone_pair(31 + k), a) for k, a in enumerate((0.25, 0.5, -0.7, 1.3))]

    def attempt():
        return [tuple(_to_numpy(v) for v in fn(x.copy(), y.copy(), a)) for (x, y), a in cases]

    def verify(got) -> Optional[str]:
        for ((x, y), a), out in zip(cases, got):
            if len(out) != 2 or out[0].shape != x.shape or out[1].shape != y.shape:
                return (
                    f"return a pair (image_shifted, text_shifted) with the input shapes {x.shape}; got shapes "
                    f"{[o.shape for o in out]}."
                )
            gx, gy = out
            rx, ry = shift.shift_embeddings(x, y, alpha=a)
            if np.allclose(gx, rx, atol=1e-8) and np.allclose(gy, ry, atol=1e-8):
                continue
            xh, yh = unit_rows(x), unit_rows(y)
            g = xh.mean(0) - yh.mean(0)
            if not np.allclose(np.linalg.norm(gx, axis=1), 1, atol=1e-6):
                return "the shifted rows are not unit length: renormalize after the shift (x' = normalize(x̂ − αg))."
            if np.allclose(gx, unit_rows(xh + a * g)) and np.allclose(gy, unit_rows(yh - a * g)):
                return (
                    "wrong direction: images move by −α·g and texts by +α·g (g = mean(x̂) − mean(ŷ)), so that "
                    "α > 0 closes the gap."
                )
            if np.allclose(gx, unit_rows(xh - a * g / np.linalg.norm(g))):
                return (
                    "you used the unit direction g/||g||: the alpha form uses the raw gap vector g itself "
                    "(Liang's code uses the unit vector with ±λ/2; that is the lam form)."
                )
            g_raw = x.mean(0) - y.mean(0)
            if np.allclose(gx, unit_rows(x - a * g_raw)) or np.allclose(gx, unit_rows(xh - a * g_raw)):
                return (
                    "normalize the rows first: g is the difference of the centroids of the *normalized* "
                    "embeddings, and the shift is applied to x̂, ŷ."
                )
            if np.allclose(gx, unit_rows(xh - a * (xh - yh))):
                return "g is one vector (the difference of the two centroids), not the per-pair difference x̂_i − ŷ_i."
            return (
                f"for alpha = {a} the result differs from the reference (max abs error "
                f"{max(np.abs(gx - rx).max(), np.abs(gy - ry).max()):.2e})."
            )
        return None

    run_check("Exercise 3.1 (shift along the gap)", attempt, verify)


# ------------------------------------------------------------------ Exercise 3.2
def check_loss_change_prediction(
    fn: Callable, image_emb, text_emb, alpha: float = 0.25, temperatures=(0.01, 1.0)
) -> None:
    """Exercise 3.2: ``fn()`` -> {tau: "up" or "down"}: does closing the gap by ``alpha`` raise or lower the
    official batched loss at each tau? Judged on ``image_emb``, ``text_emb`` (the lesson's features)."""
    x0, y0 = shift.shift_embeddings(image_emb, text_emb, alpha=0.0)
    xs, ys = shift.shift_embeddings(image_emb, text_emb, alpha=alpha)
    truth = {}
    for t in temperatures:
        before = shift.batched_clip_loss(x0, y0, t)
        after = shift.batched_clip_loss(xs, ys, t)
        truth[t] = ("up" if after > before else "down", before, after)

    def attempt():
        return fn()

    def verify(got) -> Optional[str]:
        if not isinstance(got, dict):
            return "return a dict such as {0.01: 'up', 1.0: 'down'}."
        wrong = []
        for t in temperatures:
            ans = got.get(t, got.get(float(t)))
            if ans not in ("up", "down"):
                return f"give 'up' or 'down' for tau = {t}, got {ans!r}."
            if ans != truth[t][0]:
                wrong.append(t)
        if wrong:
            lines = "; ".join(f"tau = {t}: loss {truth[t][1]:.4f} -> {truth[t][2]:.4f}" for t in temperatures)
            return (
                f"not quite for tau = {', '.join(map(str, wrong))}. Measured: {lines}. "
                "Think about how many negatives are 'close' when tau is small."
            )
        return None

    lines = ", ".join(f"tau = {t}: {truth[t][1]:.4f} -> {truth[t][2]:.4f}" for t in temperatures)
    run_check(
        "Exercise 3.2 (predict the sign of the loss change)",
        attempt,
        verify,
        success=f"right. Measured on your features: {lines}.",
    )


# ------------------------------------------------------------------ Exercise 3.3
def check_sphere_loss(fn: Callable) -> None:
    """Exercise 3.3: ``fn(image_points, text_points, temperature)`` -> symmetric CLIP loss (numpy, stable)."""
    cases = [
        (d, t, m)
        for d, t, m in (
            (0, 0.01, True),
            (75, 0.01, True),
            (-30, 1.0, True),
            (20, 0.2, False),
            (0, 1e-3, True),
            (10, 1e-3, False),
        )
    ]

    rng = np.random.default_rng(33)
    extra = [
        (rng.standard_normal((6, 3)) * rng.uniform(0.5, 2, (6, 1)), rng.standard_normal((6, 3)), t) for t in (0.5, 0.05)
    ]  # the toy's logits are symmetric enough to hide a one-way loss; these are not

    def points():
        for d, t, m in cases:
            i, tx = six_pairs.sphere_toy(d, m)
            yield i, tx, t
        yield from extra

    def attempt():
        return [float(fn(i.copy(), tx.copy(), t)) for i, tx, t in points()]

    def verify(got) -> Optional[str]:
        from modgap_edu.core.losses import clip_loss

        want = [float(clip_loss(i, tx, t)) for i, tx, t in points()]
        for (_, _, t), g in zip(points(), got):
            if not np.isfinite(g):
                return (
                    f"at tau = {t} your loss is {g}: exp(s/tau) overflows for tiny tau. Subtract the row "
                    "maximum before exp (log-sum-exp), or use scipy.special.logsumexp."
                )
        if np.allclose(got, want, rtol=1e-6, atol=1e-8):
            return None
        i2t = []
        for i, tx, t in points():
            z = unit_rows(i) @ unit_rows(tx).T / t
            zz = z - z.max(1, keepdims=True)
            i2t.append(float(np.mean(np.log(np.exp(zz).sum(1)) - np.diag(zz))))
        if np.allclose(got, i2t, rtol=1e-6):
            return "that is only the image->text half: average it with the text->image loss (columns of the logits)."
        if np.allclose(np.asarray(got), np.asarray(want) * 6, rtol=1e-6):
            return "you summed over the 6 pairs: CLIP averages (mean over the batch)."
        return f"expected {np.round(want, 4).tolist()}, got {np.round(got, 4).tolist()}."

    run_check("Exercise 3.3 (sphere-toy CLIP loss)", attempt, verify)


# ------------------------------------------------------------------ Exercise 3.4
def check_procrustes(fn: Callable) -> None:
    """Exercise 3.4: ``fn(X, Y)`` -> orthogonal W with ``normalize(Y) @ W.T`` close to ``normalize(X)``."""
    rng = np.random.default_rng(34)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    x = rng.standard_normal((40, 5)) + 2.0
    y = (x @ q) * rng.uniform(0.5, 2.0, (40, 1)) + 0.05 * rng.standard_normal((40, 5))  # rotated copy, rescaled
    x2, y2 = _cone_pair(35, 50, 5)

    def attempt():
        return _to_numpy(fn(x.copy(), y.copy())), _to_numpy(fn(x2.copy(), y2.copy()))

    def verify(got) -> Optional[str]:
        for (a, b), w in zip(((x, y), (x2, y2)), got):
            ref = procrustes.procrustes_rotation(a, b)
            if w.shape != ref.shape:
                return f"W must be {ref.shape}, got {w.shape}."
            if np.allclose(w, ref, atol=1e-6):
                continue
            if not np.allclose(w @ w.T, np.eye(len(w)), atol=1e-6):
                return "W is not orthogonal (W Wᵀ ≠ I): build it from the SVD factors only, W = U Vᵀ, dropping S."
            if np.allclose(w.T, ref, atol=1e-6):
                return (
                    "you returned Wᵀ (or decomposed Yᵀ X, which gives the same): with U, S, Vᵀ = svd(Xᵀ Y), "
                    "images first, W = U Vᵀ, and the texts become Y Wᵀ."
                )
            u, _, vh = np.linalg.svd(a.T @ b)
            if np.allclose(w, u @ vh, atol=1e-6):
                return "L2-normalize the rows of X and Y before the SVD (Liang uses the normalized embeddings)."
            return "W differs from the reference Procrustes rotation; check the order of U and Vᵀ."
        return None

    run_check("Exercise 3.4 (Procrustes rotation)", attempt, verify)
