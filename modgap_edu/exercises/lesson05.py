"""Checks for lesson 05 (measuring the gap and the bias: RMG, MOAD).

* ``check_rmg``              -- Exercise 5.1 (transcription): RMG from its definition (official ``compute_rmg``).
* ``check_fast_intra``       -- Exercise 5.2 (transcription): the intra-modality term in O(N d).
* ``check_rmg_closed_form``  -- Exercise 5.3 (derivation): RMG of the mirrored construction as a function of the angle.
* ``check_moad``             -- Exercise 5.4 (transcription): MOAD by hand (all different-label pairs).
* ``check_fast_moad``        -- Bonus exercise 5.6: MOAD in O(N d) from class sums.

Exercise 5.5 is open (no automatic check; rubric in ``docs/answer_key.md``). Each check runs the learner's
function on fresh inputs, compares it with the reference in ``modgap_edu.core.metrics`` and, when it differs,
recognises the usual mistakes; a FAIL never prints the value the exercise asks for.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np

from modgap_edu._runtime.memory import release_memory
from modgap_edu.core import metrics
from modgap_edu.core.metrics import unit_rows
from modgap_edu.exercises import as_float, run_check


def _first_match(got: float, candidates: list[tuple[float, str]], tol: float = 1e-6) -> Optional[str]:
    """The diagnosis of the first typical mistake whose value ``got`` reproduces, else None."""
    for value, message in candidates:
        if np.isfinite(got) and np.isfinite(value) and abs(got - value) < tol:
            return message
    return None


def _off_diagonal_mean(sim: np.ndarray) -> float:
    n = sim.shape[0]
    return float((sim.sum() - np.trace(sim)) / (n * (n - 1)))


# ------------------------------------------------------------------ Exercise 5.1
def tiny_rmg_case(seed: int = 51) -> tuple[np.ndarray, np.ndarray]:
    """Small paired embeddings with unequal row norms and a gap: the inputs of Exercise 5.1."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((30, 6))
    x = (z + 1.0) * rng.uniform(0.5, 3.0, size=(30, 1))
    y = (z + 0.6 * rng.standard_normal((30, 6)) - 1.0) * rng.uniform(0.5, 3.0, size=(30, 1))
    return x, y


def _rmg_mistakes(x: np.ndarray, y: np.ndarray) -> list[tuple[float, str]]:
    """The values the usual slips of Exercise 5.1 give on the pair (x, y), each with its diagnosis."""
    xu, yu = unit_rows(x), unit_rows(y)
    m = float(np.mean((1 - np.sum(xu * yu, axis=1)) / 2))
    dx, dy = _off_diagonal_mean((1 - xu @ xu.T) / 2), _off_diagonal_mean((1 - yu @ yu.T) / 2)
    dx_all, dy_all = float(np.mean((1 - xu @ xu.T) / 2)), float(np.mean((1 - yu @ yu.T) / 2))
    cross = float(np.mean((1 - xu @ yu.T) / 2))
    mr = float(np.mean((1 - np.sum(x * y, axis=1)) / 2))
    raw = mr / (mr + (_off_diagonal_mean((1 - x @ x.T) / 2) + _off_diagonal_mean((1 - y @ y.T) / 2)) / 2)
    me = float(np.mean(np.linalg.norm(xu - yu, axis=1)))

    def pdist_mean(u):
        return _off_diagonal_mean(np.linalg.norm(u[:, None] - u[None], axis=2))

    euclid = me / (me + (pdist_mean(xu) + pdist_mean(yu)) / 2)
    mc, sx, sy = 1 - 2 * m, 1 - 2 * dx, 1 - 2 * dy
    return [
        (
            m / (m + (dx_all + dy_all) / 2),
            "you averaged the intra-modality dissimilarity over all n^2 pairs, self-pairs included: "
            "the mean is over i != j, i.e. divide by n(n-1).",
        ),
        (
            m / (m + dx + dy),
            "the denominator is M + (D_img + D_txt) / 2: you forgot to halve the sum of the two intra terms.",
        ),
        (2 * m / (dx + dy), "RMG divides M by M + (D_img + D_txt)/2, not by the intra terms alone."),
        (
            cross / (cross + (dx + dy) / 2),
            "the numerator uses the matched pairs only (x_i, y_i), not all image-text pairs.",
        ),
        (raw, "L2-normalize every row first: cosines are dot products of unit vectors (RMG lies in (0, 1])."),
        (
            euclid,
            "you used Euclidean distances; RMG uses the cosine dissimilarity d = (1 - cos) / 2 in all three terms.",
        ),
        (
            mc / (mc + (sx + sy) / 2),
            "you used cosine *similarities*; RMG is built from dissimilarities d = (1 - cos) / 2.",
        ),
        ((dx + dy) / 2 / (m + (dx + dy) / 2), "numerator and denominator terms are swapped: M goes on top."),
        (metrics.l2m(x, y), "that is L2M, the distance of the centroids; RMG compares matched pairs with the spreads."),
    ]


def check_rmg(fn: Callable) -> None:
    """Exercise 5.1: ``fn(image_emb, text_emb)`` -> RMG of matched pairs (row i <-> row i)."""
    cases = [tiny_rmg_case(51), tiny_rmg_case(52)]

    def attempt():
        return [as_float(fn(x.copy(), y.copy())) for x, y in cases]

    def verify(got) -> Optional[str]:
        want = [metrics.rmg(x, y) for x, y in cases]
        if np.allclose(got, want, atol=1e-6):
            return None
        hint = _first_match(got[0], _rmg_mistakes(*cases[0]))
        if hint:
            return hint
        if not np.isfinite(got[0]) or not 0 < got[0] <= 1:
            return f"got {got[0]}, outside (0, 1] where RMG lies: L2-normalize every row first, then check each mean."
        return (
            f"got RMG = {got[0]:.5f} on the check's pairs. Check d(a, b) = (1 - cos) / 2 and each of the three means."
        )

    run_check("Exercise 5.1", attempt, verify)


# ------------------------------------------------------------------ Exercise 5.2
def _intra_mistakes(a: np.ndarray) -> list[tuple[float, str]]:
    """The values the usual slips of Exercise 5.2 give on the rows ``a``, each with its diagnosis."""
    n = a.shape[0]
    u = unit_rows(a)
    s = u.sum(0)
    mean_cos = (s @ s - n) / (n * (n - 1))
    raw_s = a.sum(0)
    return [
        (
            (1 - (s @ s - n) / (n * n)) / 2,
            "you divided by N^2: the N self-pairs (d = 0) are not pairs; divide by N(N-1).",
        ),
        (
            (1 - (s @ s) / (n * (n - 1))) / 2,
            "||sum_i x_i||^2 also contains the N terms x_i . x_i = 1: subtract N before dividing.",
        ),
        (mean_cos, "that is the mean cosine; the exercise asks for the dissimilarity (1 - mean cos) / 2."),
        (1 - mean_cos, "almost: the dissimilarity is rescaled to [0, 1], d = (1 - cos) / 2, so halve it."),
        (
            (1 - (raw_s @ raw_s - np.sum(a * a)) / (n * (n - 1))) / 2,
            "you summed the raw rows: normalise every row to unit length first (the identity needs unit vectors).",
        ),
    ]


def check_fast_intra(fn: Callable, big_rows: int = 200_000, time_limit: float = 10.0) -> None:
    """Exercise 5.2: ``fn(emb)`` -> mean of (1 - cos)/2 over ordered pairs i != j, without an N x N matrix.

    Checked against the literal pairwise mean on small inputs, then run on ``big_rows`` x 64
    rows (an N x N float64 matrix would need 320 GB there) within ``time_limit`` seconds.
    """
    rng = np.random.default_rng(53)
    small = [rng.standard_normal((n, 5)) * rng.uniform(0.5, 2, size=(n, 1)) + 0.5 for n in (2, 7, 40)]
    big_rng = np.random.default_rng(530)

    def literal(a):
        u = unit_rows(a)
        return _off_diagonal_mean((1 - u @ u.T) / 2)

    def attempt():
        vals = [as_float(fn(a.copy())) for a in small]
        if not np.allclose(vals, [literal(a) for a in small], atol=1e-9):
            return vals, None, 0.0  # wrong on small inputs: no need for the big one
        big = big_rng.standard_normal((big_rows, 64), dtype=np.float32) + np.float32(0.3)
        t0 = time.perf_counter()
        big_val = as_float(fn(big))
        seconds = time.perf_counter() - t0
        big_val -= metrics.mean_intra_dissimilarity(big)
        return vals, big_val, seconds

    def verify(got) -> Optional[str]:
        vals, big_val, seconds = got
        if big_val is None:
            hint = _first_match(vals[2], _intra_mistakes(small[2]), 1e-9)
            return hint or (
                f"got {vals[2]:.6f} on a 40-row input. Mean cosine over i != j from the identity, then d = (1 - cos)/2."
            )
        if abs(big_val) > 1e-6:  # the learner's value minus the reference's
            return f"right on small inputs but not on {big_rows:,} float32 rows: convert to float64 before summing."
        if seconds > time_limit:
            return f"correct, but {seconds:.1f} s on {big_rows:,} rows: avoid anything quadratic in N."
        return None

    run_check(
        "Exercise 5.2",
        attempt,
        verify,
        success="matches the pairwise definition, and scales to research-sized inputs.",
    )
    release_memory()  # the big input is gone: hand its pages back (Binder's 1 GB)


# ------------------------------------------------------------------ Exercise 5.3
def mirrored_pairs(alpha: float, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """The construction of Exercise 5.3 (lesson 05 §1): n matched pairs in n + 1 dimensions,
    x_i = cos(alpha) g + sin(alpha) e_i and y_i = -cos(alpha) g + sin(alpha) e_i, with g, e_1 … e_n orthonormal.

    Parameters
    ----------
    alpha : float
        The angle (radians) between each embedding and the plane orthogonal to the gap direction g.
    n : int
        Number of pairs (at least 2).

    Returns
    -------
    tuple of numpy.ndarray
        The image and the text embeddings, each of shape (n, n + 1), unit rows.
    """
    g = np.zeros(n + 1)
    g[0] = 1.0
    e = np.eye(n + 1)[1:]
    return np.cos(alpha) * g + np.sin(alpha) * e, -np.cos(alpha) * g + np.sin(alpha) * e


def rmg_mirrored(alpha: float) -> float:
    """Closed form of RMG for ``mirrored_pairs`` (Exercise 5.3): M = cos²α, D_X = D_Y = sin²α / 2, so
    RMG = 2 cos²α / (1 + cos²α), whatever n (Schrodi et al. 2025 RMG, official ``compute_rmg``)."""
    c2 = np.cos(alpha) ** 2
    return float(2 * c2 / (1 + c2))


def _closed_form_mistakes(alpha: float) -> list[tuple[float, str]]:
    """The values the usual slips of Exercise 5.3 give at ``alpha``, each with its diagnosis."""
    c2, s2 = np.cos(alpha) ** 2, np.sin(alpha) ** 2
    return [
        (
            c2,
            "the denominator is M + (D_X + D_Y) / 2, with the same d = (1 - cos) / 2 in every term: "
            "check the halving of the two intra terms.",
        ),
        (
            2 / 3,
            "your result does not depend on α: check the sign of the matched cosine x_i · y_i; the gap components "
            "point in opposite directions.",
        ),
        (
            c2 / (c2 + 0.5),
            "two different images are not orthogonal here: they share the gap component cos(α) g, so their "
            "cosine is cos²α.",
        ),
        (
            4 * c2 / (4 * c2 + s2),
            "you rescaled d = (1 - cos) / 2 in the intra terms but not in M (or the other way round): use the same d "
            "everywhere.",
        ),
        (2 * np.cos(alpha), "that is L2M (and here also L2I), the distance 2 cos α; RMG divides M by the spreads."),
        (s2 / (1 + c2), "you returned 1 - RMG: the matched term M goes in the numerator."),
        (rmg_mirrored(np.deg2rad(alpha)), "α is given in radians; do not convert it from degrees."),
    ]


def check_rmg_closed_form(fn: Callable) -> None:
    """Exercise 5.3: ``fn(alpha)`` -> RMG of ``mirrored_pairs(alpha)`` in closed form (alpha in radians)."""
    alphas = [0.15, 0.5, 0.9, 1.3]

    def attempt():
        return [as_float(fn(a)) for a in alphas]

    def verify(got) -> Optional[str]:
        want = [metrics.rmg(*mirrored_pairs(a)) for a in alphas]
        if np.allclose(got, want, atol=1e-6):
            return None
        i = int(np.argmax(np.abs(np.asarray(got) - np.asarray(want))))
        hint = _first_match(got[i], _closed_form_mistakes(alphas[i]), 1e-6)
        if hint:
            return f"at α = {alphas[i]}: {hint}"
        return (
            f"at α = {alphas[i]} your formula gives {got[i]:.4f}, which is not what metrics.rmg measures on the "
            "construction. Compute the three cosines (matched pair, two images, two texts) first."
        )

    run_check(
        "Exercise 5.3",
        attempt,
        verify,
        "your closed form matches metrics.rmg on the construction at every angle tried.",
    )


# ------------------------------------------------------------------ Exercise 5.4
def tiny_moad_set() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eight 3-d embeddings with an object label (digit) and an attribute label (colour): Exercise 5.4."""
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


def _separation(sim: np.ndarray, labels: np.ndarray, variant: str = "right") -> float:
    """intra - inter mean similarity of one labelling, in the variant a typical mistake computes."""
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(len(labels), dtype=bool)
    if variant == "per class":
        intra = np.mean([_off_diagonal_mean(sim[np.ix_(labels == c, labels == c)]) for c in np.unique(labels)])
    else:
        intra = sim[same if variant == "self pairs" else same & off].mean()
    inter = sim[off].mean() if variant == "inter all" else sim[~same].mean()
    return float(intra - inter)


def _moad_mistakes(emb: np.ndarray, o: np.ndarray, a: np.ndarray) -> list[tuple[float, str]]:
    """The values the usual slips of Exercises 5.4 and 5.6 give, each with its diagnosis."""
    s = unit_rows(emb) @ unit_rows(emb).T
    want = metrics.moad(emb, o, a)

    def moad(variant, sim=s):
        return _separation(sim, o, variant) - _separation(sim, a, variant)

    return [
        (
            -want,
            "the sign is flipped: MOAD = (intra - inter) for the objects minus (intra - inter) for the attributes.",
        ),
        (moad("self pairs"), "your intra-class mean includes the self-pairs (cos = 1): use pairs i != j only."),
        (moad("right", emb @ emb.T), "you used dot products of raw rows: L2-normalize first (cosine similarity)."),
        (
            moad("per class"),
            "you averaged the intra-class means per class; the official code pools all same-label pairs "
            "(total sum / total count), so larger classes weigh more.",
        ),
        (
            metrics.moad(emb, o, a, exact_official=True),
            "you reproduced the official code's subset: for each pair of classes it keeps only the entries above the "
            "diagonal of the block of cosines (torch.triu_indices). This exercise asks for all different-label pairs.",
        ),
        (
            moad("inter all"),
            "your 'inter' mean runs over all pairs; it must average only the pairs with *different* labels.",
        ),
        (
            _separation(s, o),
            "you returned the object separation alone: subtract the attributes' (intra - inter) from it.",
        ),
    ]


def _moad_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(54)
    e = rng.standard_normal((25, 4)) * rng.uniform(0.5, 2, size=(25, 1))
    return [tiny_moad_set(), (e, rng.integers(0, 3, 25), rng.integers(0, 4, 25))]


def _moad_problem(got: list[float], cases) -> Optional[str]:
    want = [metrics.moad(emb, o, a) for emb, o, a in cases]
    if np.allclose(got, want, atol=1e-6):
        return None
    hint = _first_match(got[1], _moad_mistakes(*cases[1]))  # the random set: every slip gives its own value
    if hint:
        return hint
    return f"got MOAD = {got[1]:.5f} on a random 25-row set: check each of the four means (pairs i != j, cosines)."


def check_moad(fn: Callable) -> None:
    """Exercise 5.4: ``fn(emb, objects, attributes)`` -> MOAD (all pairs with different labels)."""
    cases = _moad_cases()

    def attempt():
        return [as_float(fn(emb.copy(), o.copy(), a.copy())) for emb, o, a in cases]

    run_check("Exercise 5.4", attempt, lambda got: _moad_problem(got, cases))


# ------------------------------------------------------------------ Bonus exercise 5.6
def check_fast_moad(fn: Callable, big_rows: int = 200_000, time_limit: float = 10.0) -> None:
    """Bonus exercise 5.6: ``fn(emb, objects, attributes)`` -> MOAD in O(N d) (no N x N matrix).

    Checked against ``metrics.moad`` on the small sets of Exercise 5.4, then on ``big_rows`` x 16 rows with
    10 objects and 7 attributes (an N x N float64 matrix would need 320 GB at the default size).
    """
    cases = _moad_cases()

    def big_input():
        rng = np.random.default_rng(56)
        big_o, big_a = rng.integers(0, 10, big_rows), rng.integers(0, 7, big_rows)
        big = rng.standard_normal((big_rows, 16), dtype=np.float32)
        big[np.arange(big_rows), big_o] += 1.0
        big[np.arange(big_rows), big_a + 9] += 0.5
        return big, big_o, big_a

    def attempt():
        vals = [as_float(fn(emb.copy(), o.copy(), a.copy())) for emb, o, a in cases]
        if _moad_problem(vals, cases):
            return vals, None, 0.0  # wrong on small sets: no need for the big one
        big, big_o, big_a = big_input()
        t0 = time.perf_counter()
        big_val = as_float(fn(big, big_o, big_a))
        seconds = time.perf_counter() - t0
        return vals, big_val - metrics.moad(big, big_o, big_a), seconds

    def verify(got) -> Optional[str]:
        vals, big_val, seconds = got
        problem = _moad_problem(vals, cases)
        if problem:
            return problem
        if abs(big_val) > 1e-6:  # the learner's value minus the reference's
            return f"right on small sets but not on {big_rows:,} float32 rows: convert to float64 before summing."
        if seconds > time_limit:
            return f"correct, but {seconds:.1f} s on {big_rows:,} rows: build it from per-class sums, nothing N x N."
        return None

    run_check(
        "Bonus exercise 5.6",
        attempt,
        verify,
        "MOAD from class sums: the same value as the pairwise definition, at research scale.",
    )
    release_memory()  # the big input is gone: hand its pages back (Binder's 1 GB)
