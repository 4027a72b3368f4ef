"""Lesson 02 exercise checks: solutions pass, stubs say "not solved", each common mistake gets its own hint."""

from __future__ import annotations

import build_lessons  # tools/ (pytest pythonpath): runs the lesson's solution cells
import numpy as np
import pytest

from modgap_edu import exercises as E
from modgap_edu.core import cone
from modgap_edu.exercises import lesson02 as C

SOLUTIONS = build_lessons.solution_namespace("02")  # the cells tagged `solution` of sources/02_cone_effect.py
CHECKS = {
    "Exercise 2.1": (C.check_mean_cosine, "my_mean_cosine"),
    "Exercise 2.2": (C.check_relu_orthogonal_cosine, "my_relu_orthogonal_cosine"),
    "Exercise 2.4": (C.check_init_share, "my_init_share"),
    "Exercise 2.5": (C.check_relu_layer_cosine, "my_relu_layer_cosine"),
    "Bonus exercise 2.6": (C.check_arccos_kernel, "my_arccos_cosine"),
}
PI = np.pi


@pytest.fixture(autouse=True)
def lenient():
    E.require_pass(False)
    yield
    E.require_pass(False)


def result(part):
    assert part in E.RESULTS, f"no result recorded for {part}"
    return E.RESULTS[part]


def rows(emb):
    return emb / np.linalg.norm(emb, axis=1, keepdims=True)


def cos_matrix(emb):
    u = rows(emb)
    return u @ u.T


def off_diag_mean(c):
    return c[~np.eye(len(c), dtype=bool)].mean()


def _cos(a, b):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


def relu(z):
    return np.maximum(z, 0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def flat(e):
    return e.reshape(-1, e.shape[-1])


WRONG_ANSWERS = [
    # Exercise 2.1: the mean pairwise cosine
    ("Exercise 2.1", lambda e, d=False: (e @ e.T).mean() if d else off_diag_mean(e @ e.T), "raw rows"),
    (
        "Exercise 2.1",
        lambda e, d=False: (lambda u: (u @ u.T).mean() if d else off_diag_mean(u @ u.T))(
            e / np.linalg.norm(e, axis=0, keepdims=True)
        ),
        "normalized the columns",
    ),
    ("Exercise 2.1", lambda e, d=False: off_diag_mean(cos_matrix(e)) if d else cos_matrix(e).mean(), "swapped"),
    ("Exercise 2.1", lambda e, d=False: cos_matrix(e).mean(), "still averaged the diagonal"),
    (
        "Exercise 2.1",
        lambda e, d=False: cos_matrix(e).mean() if d else (cos_matrix(e).sum() - len(e)) / len(e) ** 2,
        "divided by n²",
    ),
    (
        "Exercise 2.1",
        lambda e, d=False: cos_matrix(e).mean() if d else (cos_matrix(e).sum() - len(e)) / (len(e) * (len(e) - 1) / 2),
        "n(n − 1)/2",
    ),
    (
        "Exercise 2.1",
        lambda e, d=False: cos_matrix(e).mean() if d else (cos_matrix(e).sum() - 1) / (len(e) * (len(e) - 1)),
        "subtract the trace",
    ),
    (
        "Exercise 2.1",
        lambda e, d=False: (cos_matrix(e).sum() - (0 if d else len(e))) / (len(e) * (len(e) - 1)),
        "not n(n − 1)",
    ),
    ("Exercise 2.1", lambda e, d=False: off_diag_mean(cos_matrix(e)), "should keep the diagonal"),
    # Exercise 2.2: one ReLU layer on orthogonal inputs, derived
    ("Exercise 2.2", lambda: 0.0, "ReLU outputs are never negative"),
    ("Exercise 2.2", lambda: 0.5, "chance that a unit is active"),
    ("Exercise 2.2", lambda: np.sqrt(2 / PI), "square the mean"),
    ("Exercise 2.2", lambda: 2 / PI, "half-normal"),
    ("Exercise 2.2", lambda: 1 / (2 * PI), "which is 1/2"),
    ("Exercise 2.2", lambda: 1 / np.sqrt(2 * PI), "that is E[relu(z)] itself"),
    ("Exercise 2.2", lambda: (np.sin(PI / 3) + 2 * PI / 3 * np.cos(PI / 3)) / PI, "with a bias"),
    ("Exercise 2.2", lambda: 1 / PI**2, "squared too much"),
    ("Exercise 2.2", lambda: cone.layerwise_cosine("relu", n_layers=1, n=256, dim=256, seed=0)[1], "measured value"),
    ("Exercise 2.2", lambda: 1.5, "lies in [0, 1]"),
    # Exercise 2.4: the init share
    ("Exercise 2.4", lambda e: e.var(axis=1).sum(axis=-1).mean() / flat(e).var(axis=0).sum(), "data share"),
    ("Exercise 2.4", lambda e: e.mean(axis=1).var(axis=0, ddof=1).sum() / flat(e).var(axis=0, ddof=1).sum(), "ddof"),
    ("Exercise 2.4", lambda e: np.mean(e.mean(axis=1).var(axis=0) / flat(e).var(axis=0)), "one ratio per dimension"),
    ("Exercise 2.4", lambda e: e.mean(axis=0).var(axis=0).sum() / flat(e).var(axis=0).sum(), "averaged over the seeds"),
    ("Exercise 2.4", lambda e: np.sqrt(e.mean(axis=1).var(axis=0).sum() / flat(e).var(axis=0).sum()), "square root"),
    ("Exercise 2.4", lambda e: e.mean(axis=1).var(axis=0).sum() / e.var(axis=1).sum(axis=-1).mean(), "within-seed"),
    ("Exercise 2.4", lambda e: 1.7, "[0, 1]"),
    # Exercise 2.5: one random ReLU layer (Theorem 1)
    ("Exercise 2.5", lambda u, v, W, b: _cos(W @ u + b, W @ v + b), "left out the ReLU"),
    ("Exercise 2.5", lambda u, v, W, b: _cos(relu(W @ u), relu(W @ v)), "left out the bias"),
    ("Exercise 2.5", lambda u, v, W, b: _cos(W @ relu(u) + b, W @ relu(v) + b), "ReLU to the inputs before the layer"),
    ("Exercise 2.5", lambda u, v, W, b: _cos(sigmoid(W @ u + b), sigmoid(W @ v + b)), "not the sigmoid"),
    ("Exercise 2.5", lambda u, v, W, b: _cos(np.tanh(W @ u + b), np.tanh(W @ v + b)), "not tanh"),
    ("Exercise 2.5", lambda u, v, W, b: _cos(relu(W @ u) + b, relu(W @ v) + b), "add the bias before the ReLU"),
    (
        "Exercise 2.5",
        lambda u, v, W, b: _cos(relu(W @ (u / np.linalg.norm(u)) + b), relu(W @ (v / np.linalg.norm(v)) + b)),
        "do not normalize u and v",
    ),
    ("Exercise 2.5", lambda u, v, W, b: _cos(u, v), "cosine of the inputs"),
    ("Exercise 2.5", lambda u, v, W, b: relu(W @ u + b) @ relu(W @ v + b), "divide by both norms"),
    ("Exercise 2.5", lambda u, v, W, b: u.T @ W, "raised"),
    # Bonus exercise 2.6: the arc-cosine kernel
    ("Bonus exercise 2.6", lambda t: float(cone.arccos_kernel_cosine(np.deg2rad(t))), "radians"),
    ("Bonus exercise 2.6", lambda t: np.sin(t) + (PI - t) * np.cos(t), "must be 1"),
    ("Bonus exercise 2.6", lambda t: (np.sin(t) + (PI - t) * np.cos(t)) / (2 * PI), "E[relu(z)²] = 1/2"),
    ("Bonus exercise 2.6", lambda t: (np.sin(t) + t * np.cos(t)) / PI, "factor (π − θ)"),
    ("Bonus exercise 2.6", lambda t: (PI - t) * np.cos(t) / PI, "lost the sin θ term"),
    ("Bonus exercise 2.6", lambda t: (PI - t) / PI, "chance that both units are active"),
    ("Bonus exercise 2.6", lambda t: np.cos(t), "cosine before the layer"),
    ("Bonus exercise 2.6", lambda t: 1 / PI, "a constant cannot be right"),
    ("Bonus exercise 2.6", lambda t: (np.sin(t) - (PI - t) * np.cos(t)) / PI, "sign of the cosine term"),
    ("Bonus exercise 2.6", lambda t: (np.sin(t) + (PI - t) * np.cos(t)) / PI + 0.01 * np.sin(t), "angles in between"),
]


@pytest.mark.parametrize("part", CHECKS)
def test_the_lessons_solution_passes_in_strict_mode(part):
    check, name = CHECKS[part]
    E.require_pass(True)
    check(SOLUTIONS[name])
    assert result(part).passed


@pytest.mark.parametrize("part", CHECKS)
def test_unsolved_stub(part):
    check, _ = CHECKS[part]

    def stub(*args):
        raise NotImplementedError(part)

    check(stub)
    assert result(part).status == E.NOT_SOLVED


@pytest.mark.parametrize("part, wrong, hint", WRONG_ANSWERS, ids=[f"{p}: {h}" for p, _, h in WRONG_ANSWERS])
def test_each_wrong_answer_gets_its_diagnosis(part, wrong, hint):
    CHECKS[part][0](wrong)
    r = result(part)
    assert r.status == E.FAIL and hint in r.message, r.message


def test_at_least_five_wrong_answers_per_checked_exercise():
    for part in CHECKS:
        assert sum(p == part for p, _, _ in WRONG_ANSWERS) >= 5, part


def test_strict_mode_raises_on_failure():
    E.require_pass(True)
    with pytest.raises(E.ExerciseCheckFailed):
        C.check_init_share(lambda emb: 0.5)


def test_torch_solution_is_accepted():
    import torch

    def torch_mean_cosine(emb, include_diagonal=False):
        t = torch.nn.functional.normalize(torch.as_tensor(emb), dim=1)
        c = t @ t.T
        n = c.shape[0]
        return c.mean() if include_diagonal else (c.sum() - c.trace()) / (n * (n - 1))

    C.check_mean_cosine(torch_mean_cosine)
    assert result("Exercise 2.1").passed


def test_the_fast_identity_is_accepted():
    # the O(N d) identity of the lesson's remark: sum of all cosines = ||sum of unit rows||²
    def fast(emb, include_diagonal=False):
        s, n = rows(emb).sum(axis=0), len(emb)
        return s @ s / n**2 if include_diagonal else (s @ s - n) / (n * (n - 1))

    C.check_mean_cosine(fast)
    assert result("Exercise 2.1").passed


def test_arccos_kernel_matches_a_wide_random_layer():
    # the reference of Exercise 2.2 / Bonus 2.6 against Monte Carlo, and its known values
    rng = np.random.default_rng(0)
    w = rng.standard_normal((200_000, 2))
    for theta in (0.0, 0.7, PI / 2, 2.5, PI):
        a, b = relu(w @ [1.0, 0.0]), relu(w @ [np.cos(theta), np.sin(theta)])
        assert float(cone.arccos_kernel_cosine(theta)) == pytest.approx(_cos(a, b), abs=5e-3)
    assert float(cone.arccos_kernel_cosine(PI / 2)) == pytest.approx(1 / PI, rel=1e-12)
    assert cone.arccos_kernel_cosine([0.0, PI]).tolist() == pytest.approx([1.0, 0.0], abs=1e-12)


@pytest.mark.parametrize("bad", [-0.1, 3.2, float("nan"), [0.5, 4.0]])
def test_arccos_kernel_rejects_bad_angles(bad):
    with pytest.raises(ValueError, match="radians"):
        cone.arccos_kernel_cosine(bad)
