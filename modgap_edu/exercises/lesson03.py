"""Checks for lesson 03 (contrastive learning preserves the gap: the temperature toy).

Each check runs the learner's function on fresh inputs, compares it with the reference in
``modgap_edu.core.shift`` / ``losses`` / ``procrustes`` / ``toys.six_pairs`` and, when it differs,
recognises the usual mistakes by computing what each would give. Ids follow the course convention
``Exercise 3.M`` / ``Bonus exercise 3.M`` (issue 13).
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from scipy.special import logsumexp

from modgap_edu.core import procrustes, shift
from modgap_edu.core.losses import clip_loss
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


def _same(got, want, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))


def _first_match(got, candidates) -> Optional[str]:
    """The message of the first (values, message) candidate that ``got`` reproduces, else None."""
    for values, message in candidates:
        try:
            if _same(got, values):
                return message
        except (ValueError, FloatingPointError):
            continue
    return None


# ------------------------------------------------------------------ Exercise 3.1
def _shift_mistakes(x, y, a, gx, gy) -> Optional[str]:
    xh, yh = unit_rows(x), unit_rows(y)
    g = xh.mean(0) - yh.mean(0)
    rx, ry = shift.shift_embeddings(x, y, alpha=a)
    if np.allclose(gx, ry) and np.allclose(gy, rx):
        return "you returned (texts, images): return the shifted images first, then the shifted texts."
    if not np.allclose(np.linalg.norm(gx, axis=1), 1, atol=1e-6):
        return "the shifted rows are not unit length: renormalize after the shift (x' = normalize(x̂ − αg))."
    g_raw = x.mean(0) - y.mean(0)
    cases = [
        (
            unit_rows(xh + a * g),
            "wrong direction: images move by −α·g and texts by +α·g (g = mean(x̂) − mean(ŷ)), so that α > 0 closes "
            "the gap.",
        ),
        (
            unit_rows(xh - a * g / np.linalg.norm(g)),
            "you used the unit direction g/||g||: the alpha form uses the raw gap vector g itself (Liang's code "
            "uses the unit vector with ±λ/2; that is the lam form).",
        ),
        (
            unit_rows(xh - a / 2 * g),
            "you moved each modality by α/2 · g: in the α form each modality moves by the full α · g (the halving "
            "belongs to the λ form, ±λ/2 · u).",
        ),
        (
            unit_rows(x - a * g_raw),
            "normalize the rows first: g is the difference of the centroids of the *normalized* embeddings, and "
            "the shift is applied to x̂, ŷ.",
        ),
        (
            unit_rows(xh - a * g_raw),
            "normalize the rows first: g is the difference of the centroids of the *normalized* embeddings, and "
            "the shift is applied to x̂, ŷ.",
        ),
        (
            unit_rows(xh - a * (xh - yh)),
            "g is one vector (the difference of the two centroids), not the per-pair difference x̂_i − ŷ_i.",
        ),
    ]
    hit = _first_match(gx, cases)
    if hit is not None:
        return hit
    if np.allclose(gx, rx) and np.allclose(gy, yh):
        return "only the images moved: the texts move too, by +α·g, toward the images."
    if np.allclose(gy, ry) and np.allclose(gx, xh):
        return "only the texts moved: the images move too, by −α·g, toward the texts."
    return None


def check_shift(fn: Callable) -> None:
    """Exercise 3.1: ``fn(image_emb, text_emb, alpha)`` -> (image_shifted, text_shifted), the seminar's alpha form.

    Parameters
    ----------
    fn : callable
        The learner's ``my_shift``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
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
            hint = _shift_mistakes(x, y, a, gx, gy)
            if hint is not None:
                return hint
            return (
                f"for alpha = {a} the result differs from the reference (max abs error "
                f"{max(np.abs(gx - rx).max(), np.abs(gy - ry).max()):.2e}); re-read the α form step by step."
            )
        return None

    run_check("Exercise 3.1", attempt, verify)


# ------------------------------------------------------------------ Exercise 3.2
_UP_WORDS = ("increase", "increases", "higher", "rises", "rise", "grows", "+")
_DOWN_WORDS = ("decrease", "decreases", "lower", "falls", "fall", "drops", "-")


def _prediction_key_problem(got: dict, temperatures) -> Optional[str]:
    if any(isinstance(k, str) for k in got):
        return (
            f"your keys are strings ({sorted(map(repr, got))}): use the temperatures as numbers, "
            f"{' and '.join(map(str, temperatures))}, as dict keys."
        )
    if any(isinstance(k, (int, float)) and k > 1.5 for k in got):
        return (
            "a key above 1 looks like the logit scale 1/τ (CLIP's 100): the keys are the temperatures τ themselves, "
            f"{' and '.join(map(str, temperatures))}."
        )
    missing = [t for t in temperatures if t not in got]
    if missing:
        return f"give an answer for every temperature: missing τ = {', '.join(map(str, missing))}."
    return None


def _prediction_value_problem(ans, t) -> Optional[str]:
    word = ans.strip().lower() if isinstance(ans, str) else ans
    if word in ("up", "down"):
        return None
    if isinstance(word, str) and (word in _UP_WORDS or word in _DOWN_WORDS):
        return f"for τ = {t} write the word 'up' or 'down' (you wrote {ans!r}, which means the same: use 'up'/'down')."
    return f"for τ = {t} give the string 'up' or 'down'; got {ans!r} of type {type(ans).__name__}."


def _prediction_wrong(wrong: list, truth: dict, temperatures) -> str:
    if len(wrong) == len(temperatures) and len(temperatures) > 1:
        return (
            "both answers are the wrong way round. Ask at which temperature the softmax looks almost only at the "
            "closest wrong captions, and at which one it weighs every caption nearly equally."
        )
    t = wrong[0]
    if t < 0.1:
        if truth[t] == "up":
            return (
                f"not at the cold softmax (τ = {t}). At a low τ each row's softmax is dominated by the hardest "
                "negatives, and a shift changes their cosines unevenly, amplified by 1/τ. Which way does that push "
                "the loss?"
            )
        return (
            f"not at the cold softmax (τ = {t}) on these features. They are the course's small fallback model, "
            "not CLIP: the 'Why' box after the check explains why its answer can differ."
        )
    if truth[t] == "down":
        return (
            f"not at the warm softmax (τ = {t}). With a nearly flat softmax the loss is about log(batch size) minus "
            "the average margin of a pair's cosine over its row's mean cosine. What happens to that margin as the "
            "clouds overlap?"
        )
    return (
        f"not at the warm softmax (τ = {t}) on these features. They are the course's small fallback model, not "
        "CLIP: the 'Why' box after the check explains why its answer can differ."
    )


def check_loss_change_prediction(
    fn: Callable, image_emb, text_emb, alpha: float = 0.25, temperatures=(0.01, 1.0)
) -> None:
    """Exercise 3.2: ``fn()`` -> {tau: "up" or "down"}: does closing the gap by ``alpha`` raise or lower the
    official batched loss at each tau? Judged on ``image_emb``, ``text_emb`` (the lesson's features).

    Parameters
    ----------
    fn : callable
        The learner's ``my_prediction`` (no arguments).
    image_emb, text_emb : array_like
        The lesson's features; the truth is measured on them.
    alpha : float
        The shift of the question.
    temperatures : tuple of float
        The temperatures asked about.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    x0, y0 = shift.shift_embeddings(image_emb, text_emb, alpha=0.0)
    xs, ys = shift.shift_embeddings(image_emb, text_emb, alpha=alpha)
    measured = {t: (shift.batched_clip_loss(x0, y0, t), shift.batched_clip_loss(xs, ys, t)) for t in temperatures}
    truth = {t: "up" if after > before else "down" for t, (before, after) in measured.items()}

    def verify(got) -> Optional[str]:
        if not isinstance(got, dict):
            return (
                f"return a dict keyed by temperature, one entry per τ in {list(temperatures)}, each value the "
                f"string 'up' or 'down'; got a {type(got).__name__}."
            )
        problem = _prediction_key_problem(got, temperatures)
        if problem is not None:
            return problem
        for t in temperatures:
            problem = _prediction_value_problem(got[t], t)
            if problem is not None:
                return problem
        wrong = [t for t in temperatures if got[t].strip().lower() != truth[t]]
        return _prediction_wrong(wrong, truth, temperatures) if wrong else None

    lines = ", ".join(f"tau = {t}: {b:.4f} -> {a:.4f}" for t, (b, a) in measured.items())
    run_check("Exercise 3.2", fn, verify, success=f"right. Measured on your features: {lines}.")


# ------------------------------------------------------------------ Exercise 3.3
_SPHERE_CASES = ((0, 0.01, True), (75, 0.01, True), (-30, 1.0, True), (20, 0.2, False), (0, 1e-3, True))


def _sphere_points():
    """The check's inputs: sphere-toy batches, then two off-sphere, asymmetric batches (they expose a one-way loss
    and a missing normalization, which the toy's symmetric unit points hide)."""
    pts = []
    for d, t, m in _SPHERE_CASES:
        i, tx = six_pairs.sphere_toy(d, m)
        pts.append((i, tx, t))
    rng = np.random.default_rng(33)
    for t in (0.5, 0.05):
        pts.append((rng.standard_normal((6, 3)) * rng.uniform(0.5, 2, (6, 1)), rng.standard_normal((6, 3)) * 1.7, t))
    return pts


def _loss_variants(i, tx, t) -> dict:
    """What the usual mistakes give on one batch."""
    x, y = unit_rows(i), unit_rows(tx)
    z = x @ y.T / t
    d = np.diag(z)
    rows, cols = float(np.mean(logsumexp(z, 1) - d)), float(np.mean(logsumexp(z, 0) - d))
    zu = i @ tx.T / t
    du = np.diag(zu)
    off = np.where(np.eye(len(z), dtype=bool), -np.inf, z)
    zt = x @ y.T * t
    m_r, m_c = z.max(1), z.max(0)
    return {
        "rows": rows,
        "cols": cols,
        "sum_dirs": rows + cols,
        "sum_pairs": len(z) * (rows + cols) / 2,
        "log2": (rows + cols) / 2 / np.log(2),
        "unnormalized": float((np.mean(logsumexp(zu, 1) - du) + np.mean(logsumexp(zu, 0) - du)) / 2),
        "no_diag": float((np.mean(logsumexp(off, 1) - d) + np.mean(logsumexp(off, 0) - d)) / 2),
        "times_tau": float((np.mean(logsumexp(zt, 1) - np.diag(zt)) + np.mean(logsumexp(zt, 0) - np.diag(zt))) / 2),
        "no_tau": float(clip_loss(i, tx, 1.0)),
        "max_not_added": float(
            (np.mean(logsumexp(z - m_r[:, None], 1) - d) + np.mean(logsumexp(z - m_c[None, :], 0) - d)) / 2
        ),
        "negated": -(rows + cols) / 2,
    }


_LOSS_HINTS = (
    ("rows", "that is only the image->text half: average it with the text->image loss (columns of the logits)."),
    ("cols", "that is only the text->image half (columns): average it with the image->text loss over the rows."),
    ("sum_dirs", "you added the two directions: the symmetric CLIP loss is their *mean*, (L_I→T + L_T→I) / 2."),
    ("sum_pairs", "you summed over the pairs of the batch: CLIP averages over the batch (mean, not sum)."),
    ("log2", "your loss is in bits (log base 2): the cross-entropy uses the natural log."),
    (
        "unnormalized",
        "L2-normalize the rows first: on points off the sphere the logits must still be cosines / τ.",
    ),
    (
        "no_diag",
        "the matched pair belongs in the denominator too: the log-sum-exp runs over all columns, the correct one "
        "included.",
    ),
    ("times_tau", "you multiplied the cosines by τ: the logits are cosine / τ (divide)."),
    ("no_tau", "the temperature is missing: the logits are cosine / τ."),
    (
        "max_not_added",
        "after subtracting the maximum m inside the exp, add it back: log Σ exp(z) = m + log Σ exp(z − m).",
    ),
    ("negated", "your loss has the wrong sign: the cross-entropy is −log softmax of the matched logit (positive)."),
)


def check_sphere_loss(fn: Callable) -> None:
    """Exercise 3.3: ``fn(image_points, text_points, temperature)`` -> symmetric CLIP loss (numpy, stable).

    Parameters
    ----------
    fn : callable
        The learner's ``my_clip_loss``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    pts = _sphere_points()

    def attempt():
        return [float(fn(i.copy(), tx.copy(), t)) for i, tx, t in pts]

    def verify(got) -> Optional[str]:
        want = [float(clip_loss(i, tx, t)) for i, tx, t in pts]
        for (_, _, t), g in zip(pts, got):
            if not np.isfinite(g):
                return (
                    f"at tau = {t} your loss is {g}: exp(s/tau) overflows for tiny tau. Subtract the row "
                    "maximum before exp (log-sum-exp), or use scipy.special.logsumexp."
                )
        if _same(got, want):
            return None
        variants = [_loss_variants(i, tx, t) for i, tx, t in pts]
        for key, message in _LOSS_HINTS:
            if _same(got, [v[key] for v in variants]):
                return message
        k = int(np.argmax(np.abs(np.asarray(got) - np.asarray(want))))
        i, tx, t = pts[k]
        where = "a sphere-toy batch" if k < len(_SPHERE_CASES) else "an off-sphere batch"
        return (
            f"your loss differs from the reference on {where} at τ = {t} (you return {got[k]:.4f}). Check each "
            "step: normalize, logits = cosines / τ, cross-entropy over rows and over columns, mean of the two."
        )

    run_check("Exercise 3.3", attempt, verify)


# ------------------------------------------------------------------ Exercise 3.4
def _curvature_cases():
    """(cosines at Δθ = 0, tau): the toy mismatched and matched, and a random asymmetric equator configuration."""
    cases = []
    for m, t in ((True, 0.01), (True, 0.02), (True, 1.0), (False, 0.01)):
        i, tx = six_pairs.sphere_toy(0.0, m)
        cases.append((i @ tx.T, t))
    rng = np.random.default_rng(34)
    phi_i, phi_t = rng.uniform(-60, 60, 7), rng.uniform(-60, 60, 7)
    cases.append((np.cos(np.deg2rad(phi_i[:, None] - phi_t[None, :])), 0.05))
    return cases


def _curvature_variants(a, t) -> dict:
    z = a / t
    pr = np.exp(z - logsumexp(z, 1, keepdims=True))
    pc = np.exp(z - logsumexp(z, 0, keepdims=True))
    d = np.diag(a)
    rows, cols = np.mean(d - (pr * a).sum(1)), np.mean(d - (pc * a).sum(0))
    k = (rows + cols) / (2 * t)
    return {
        "first": 0.0,
        "negated": -k,
        "no_tau": k * t,
        "tau2": k / t,
        "degrees": k * (np.pi / 180) ** 2,
        "rows": rows / t,
        "cols": cols / t,
        "sum_dirs": 2 * k,
        "sum_rows": len(a) * k,
        "hard_max": (np.mean(d - a.max(1)) + np.mean(d - a.max(0))) / (2 * t),
        "uniform": (np.mean(d - a.mean(1)) + np.mean(d - a.mean(0))) / (2 * t),
        "no_matched": -(np.mean((pr * a).sum(1)) + np.mean((pc * a).sum(0))) / (2 * t),
    }


_CURVATURE_HINTS = (
    (
        "first",
        "you returned 0: the first derivative vanishes at Δθ = 0 by symmetry. The exercise asks for the second "
        "derivative, whose sign decides valley or bump.",
    ),
    (
        "negated",
        "wrong sign. Write the loss as a function of c = cos Δθ; at Δθ = 0, dc/dΔθ = 0 and d²c/dΔθ² = −1. Which "
        "sign does that leave in front of dL/dc?",
    ),
    ("no_tau", "a factor 1/τ is missing: the logits are c · a_ij / τ, so dL/dc carries 1/τ."),
    ("tau2", "one factor 1/τ too many: the loss is linear in the logits' scale inside the softmax, so only one 1/τ."),
    ("degrees", "your value is per degree²: the check asks per radian² (Δθ in radians)."),
    ("rows", "that is the image→text half (rows) only: the loss is symmetric, average it with the columns' term."),
    ("cols", "that is the text→image half (columns) only: average it with the image→text (rows) term."),
    ("sum_dirs", "you added the two directions: the symmetric loss is their mean, so divide by 2."),
    ("sum_rows", "you summed over the N rows: the loss averages over the batch (mean, not sum)."),
    (
        "hard_max",
        "you used the largest cosine of each row: dL/dc weighs the cosines by the softmax probabilities (the "
        "maximum is only the τ → 0 limit).",
    ),
    (
        "uniform",
        "you averaged the cosines with equal weights: dL/dc weighs them by the softmax probabilities (equal weights "
        "are only the τ → ∞ limit).",
    ),
    (
        "no_matched",
        "the matched cosine a_ii is missing: the derivative of the matched term −c · a_ii / τ belongs in the "
        "result too.",
    ),
)


def check_curvature(fn: Callable) -> None:
    """Exercise 3.4: ``fn(cosines, temperature)`` -> d²L/dΔθ² at Δθ = 0 (per radian²), symmetric loss.

    The reference is ``toys.six_pairs.lift_curvature`` (Liang Fig. 3g: negative = the bump at Δθ = 0).

    Parameters
    ----------
    fn : callable
        The learner's ``my_curvature``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    cases = _curvature_cases()

    def attempt():
        return [float(fn(a.copy(), t)) for a, t in cases]

    def verify(got) -> Optional[str]:
        want = [six_pairs.lift_curvature(a, t) for a, t in cases]
        if _same(got, want, rtol=1e-5, atol=1e-9):
            return None
        variants = [_curvature_variants(a, t) for a, t in cases]
        for key, message in _CURVATURE_HINTS:
            if _same(got, [v[key] for v in variants], rtol=1e-5, atol=1e-9):
                return message
        signs_ok = all(np.sign(g) == np.sign(w) for g, w in zip(got, want))
        return (
            "your values differ from the reference"
            + (" although their signs are right" if signs_ok else ", and some signs are wrong")
            + ". Redo the chain rule: L as a function of c = cos Δθ, then dL/dc at c = 1 through the softmax."
        )

    run_check("Exercise 3.4", attempt, verify)


# ------------------------------------------------------------------ Exercise 3.6 and Bonus exercise 3.7
def _procrustes_cases():
    rng = np.random.default_rng(34)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    x = rng.standard_normal((40, 5)) + 2.0
    y = (x @ q) * rng.uniform(0.5, 2.0, (40, 1)) + 0.05 * rng.standard_normal((40, 5))  # rotated copy, rescaled
    x2, y2 = _cone_pair(35, 50, 5)
    x3 = rng.standard_normal((30, 4)) + np.array([1.5, 0.5, 0.0, 0.0])
    y3 = x3 @ np.diag([1.0, 1.0, 1.0, -1.0]) + 0.05 * rng.standard_normal((30, 4))  # a mirror copy: det(U Vᵀ) = −1
    return [(x, y), (x2, y2), (x3, y3)]


def _svd(a, b):
    return np.linalg.svd(unit_rows(a).T @ unit_rows(b))


def _procrustes_variants(a, b) -> dict:
    u, s, vh = _svd(a, b)
    ur, _, vhr = np.linalg.svd(a.T @ b)
    ac, bc = unit_rows(a), unit_rows(b)
    uc, _, vhc = np.linalg.svd((ac - ac.mean(0)).T @ (bc - bc.mean(0)))
    return {
        "transposed": (u @ vh).T,
        "kept_s": u @ np.diag(s) @ vh,
        "no_norm": ur @ vhr,
        "centered": uc @ vhc,
        "vt_transposed": u @ vh.T,
        "proper": procrustes.proper_rotation(a, b),
    }


_PROCRUSTES_HINTS = (
    (
        "transposed",
        "you returned Wᵀ (or decomposed Yᵀ X, which gives the same): decompose Xᵀ Y, images first, and keep the "
        "order of the factors; the texts become Y Wᵀ.",
    ),
    ("kept_s", "W is not orthogonal: drop the singular values, a rotation is built from the two orthogonal factors."),
    ("no_norm", "L2-normalize the rows of X and Y before the SVD (Liang uses the normalized embeddings)."),
    (
        "centered",
        "you centred the clouds: Liang's W is computed on the normalized embeddings without subtracting the means (the "
        "point is to rotate one cone onto the other, gap included).",
    ),
    (
        "vt_transposed",
        "numpy's svd already returns Vᵀ (its third output): multiply by it as it is, do not transpose it again.",
    ),
    (
        "proper",
        "you forced det W = +1: Liang's W is the best orthogonal matrix, reflections allowed. The proper rotation is "
        "Bonus exercise 3.7.",
    ),
)


def check_procrustes(fn: Callable) -> None:
    """Exercise 3.6: ``fn(X, Y)`` -> orthogonal W with ``normalize(Y) @ W.T`` close to ``normalize(X)``.

    Parameters
    ----------
    fn : callable
        The learner's ``my_procrustes``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    cases = _procrustes_cases()

    def attempt():
        return [_to_numpy(fn(a.copy(), b.copy())) for a, b in cases]

    def verify(got) -> Optional[str]:
        for (a, b), w in zip(cases, got):
            ref = procrustes.procrustes_rotation(a, b)
            if w.shape == b.shape:
                return "you returned the rotated texts: return the (D, D) matrix W itself."
            if w.shape != ref.shape:
                return f"W must be square, {ref.shape} here, got {w.shape}."
            if np.allclose(w, ref, atol=1e-6):
                continue
            variants = _procrustes_variants(a, b)
            hint = _first_match(w, [(variants[k], msg) for k, msg in _PROCRUSTES_HINTS])
            if hint is not None:
                return hint
            if not np.allclose(w @ w.T, np.eye(len(w)), atol=1e-6):
                return "W is not orthogonal (W Wᵀ ≠ I): build it from the two orthogonal SVD factors only."
            return "W is orthogonal but differs from Liang's Procrustes rotation: check which matrix you decompose."
        return None

    run_check("Exercise 3.6", attempt, verify)


def _rotation_variants(a, b) -> dict:
    u, s, vh = _svd(a, b)
    w = u @ vh
    flip_first = u.copy()
    flip_first[:, 0] *= np.sign(np.linalg.det(w))
    always = u.copy()
    always[:, -1] *= -1
    col = vh.copy()
    col[:, -1] *= np.sign(np.linalg.det(w))
    return {
        "plain": w,
        "flip_first": flip_first @ vh,
        "always": always @ vh,
        "negated": np.sign(np.linalg.det(w)) * w,
        "transposed": procrustes.proper_rotation(a, b).T,
        "column": u @ col,
    }


_ROTATION_HINTS = (
    (
        "plain",
        "that is Liang's U Vᵀ: on one of the check's cases it is a reflection (det = −1). Correct the determinant.",
    ),
    (
        "flip_first",
        "you flipped the direction of the *largest* singular value: flip the one of the smallest, it costs least.",
    ),
    (
        "always",
        "you flipped a direction even where U Vᵀ already had det = +1: flip only when its determinant is negative.",
    ),
    (
        "negated",
        "negating all of W flips every axis, which changes the determinant only in odd dimension and is far from "
        "optimal: flip a single singular direction.",
    ),
    (
        "transposed",
        "you returned Wᵀ: W must lay the texts onto the images, Ŷ Wᵀ ≈ X̂; decompose X̂ᵀ Ŷ, images first.",
    ),
    (
        "column",
        "you negated a column of Vᵀ: the singular directions are the columns of U and the *rows* of Vᵀ; flip the "
        "last of them.",
    ),
)


def check_proper_rotation(fn: Callable) -> None:
    """Bonus exercise 3.7: ``fn(X, Y)`` -> the best rotation with det +1 (Kabsch), ``procrustes.proper_rotation``.

    Parameters
    ----------
    fn : callable
        The learner's ``my_rotation``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    cases = _procrustes_cases()

    def attempt():
        return [_to_numpy(fn(a.copy(), b.copy())) for a, b in cases]

    def verify(got) -> Optional[str]:
        for (a, b), w in zip(cases, got):
            ref = procrustes.proper_rotation(a, b)
            if w.shape != ref.shape:
                return f"W must be square, {ref.shape} here, got {w.shape}."
            if np.allclose(w, ref, atol=1e-6):
                continue
            variants = _rotation_variants(a, b)
            hint = _first_match(w, [(variants[k], msg) for k, msg in _ROTATION_HINTS])
            if hint is not None:
                return hint
            if not np.allclose(w @ w.T, np.eye(len(w)), atol=1e-6):
                return "W is not orthogonal (W Wᵀ ≠ I): a rotation keeps lengths and angles."
            if np.linalg.det(w) < 0:
                return "det W = −1: that is a reflection, not a rotation."
            res = np.linalg.norm(unit_rows(b) @ w.T - unit_rows(a))
            best = np.linalg.norm(unit_rows(b) @ ref.T - unit_rows(a))
            return (
                f"W is a rotation but not the best one: it leaves a residual ||Ŷ Wᵀ − X̂|| of {res:.3f} where the "
                f"best rotation leaves {best:.3f}."
            )
        return None

    run_check("Bonus exercise 3.7", attempt, verify)
