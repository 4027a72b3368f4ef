"""Lesson 02 exercise checks: solutions pass, stubs say "not solved", common mistakes get the right hint."""

from __future__ import annotations

import build_lessons  # tools/ (pytest pythonpath): runs the lesson's solution cells
import numpy as np
import pytest

from modgap_edu import exercises as E
from modgap_edu.exercises import lesson02 as C


@pytest.fixture(autouse=True)
def lenient():
    E.require_pass(False)
    yield
    E.require_pass(False)


def result(part):
    hits = [r for k, r in E.RESULTS.items() if part in k]
    assert hits, f"no result recorded for {part}"
    return hits[-1]


# ------------------------------------------------------------------ solutions: the cells of sources/02_cone_effect.py
SOLUTIONS = build_lessons.solution_namespace("02")
good_mean_cosine = SOLUTIONS["my_mean_cosine"]
good_relu = SOLUTIONS["my_relu_layer_cosine"]
good_share = SOLUTIONS["my_init_share"]


def test_solutions_pass_in_strict_mode():
    E.require_pass(True)
    C.check_mean_cosine(good_mean_cosine)
    C.check_relu_layer_cosine(good_relu)
    C.check_init_share(good_share)
    for part in ("2.1", "2.2", "2.3"):
        assert result(part).passed


def test_torch_solution_is_accepted():
    import torch

    def torch_mean_cosine(emb, include_diagonal=False):
        t = torch.nn.functional.normalize(torch.as_tensor(emb), dim=1)
        c = t @ t.T
        n = c.shape[0]
        return c.mean() if include_diagonal else (c.sum() - c.trace()) / (n * (n - 1))

    C.check_mean_cosine(torch_mean_cosine)
    assert result("2.1").passed


def test_unsolved_stubs():
    def stub(*args):
        raise NotImplementedError("Exercise")

    for check, part in ((C.check_mean_cosine, "2.1"), (C.check_relu_layer_cosine, "2.2"), (C.check_init_share, "2.3")):
        check(stub)
        assert result(part).status == E.NOT_SOLVED


def test_strict_mode_raises_on_failure():
    E.require_pass(True)
    with pytest.raises(E.ExerciseCheckFailed):
        C.check_init_share(lambda emb: 0.5)


# ------------------------------------------------------------------ Exercise 2.1 mistakes
@pytest.mark.parametrize(
    "wrong,hint",
    [
        (
            lambda emb, d=False: (lambda c: c.mean() if d else c[~np.eye(len(c), dtype=bool)].mean())(emb @ emb.T),
            "normalize",
        ),
        (lambda emb, d=False: good_mean_cosine(emb, True), "still averaged the diagonal"),
        (
            lambda emb, d=False: (lambda u: ((u @ u.T).sum() - len(u)) / len(u) ** 2 if not d else (u @ u.T).mean())(
                emb / np.linalg.norm(emb, axis=1, keepdims=True)
            ),
            "n(n-1)",
        ),
        (lambda emb, d=False: good_mean_cosine(emb, False), "full n x n"),
    ],
)
def test_mean_cosine_mistakes(wrong, hint):
    C.check_mean_cosine(wrong)
    r = result("2.1")
    assert r.status == E.FAIL and hint in r.message


# ------------------------------------------------------------------ Exercise 2.2 mistakes
def _cos(a, b):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda u, v, W, b: _cos(W @ u + b, W @ v + b), "ReLU"),
        (lambda u, v, W, b: _cos(np.maximum(W @ u, 0), np.maximum(W @ v, 0)), "bias"),
        (lambda u, v, W, b: np.maximum(W @ u + b, 0) @ np.maximum(W @ v + b, 0), "norms"),
        (lambda u, v, W, b: _cos(u, v), "expected"),
    ],
)
def test_relu_mistakes(wrong, hint):
    C.check_relu_layer_cosine(wrong)
    r = result("2.2")
    assert r.status == E.FAIL and hint in r.message


def test_relu_crash_is_reported():
    C.check_relu_layer_cosine(lambda u, v, W, b: u.T @ W)  # shape error
    assert result("2.2").status == E.FAIL and "raised" in result("2.2").message


# ------------------------------------------------------------------ Exercise 2.3 mistakes
@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda e: e.var(axis=1).sum(axis=-1).mean() / e.reshape(-1, e.shape[-1]).var(axis=0).sum(), "data share"),
        (
            lambda e: e.mean(axis=1).var(axis=0, ddof=1).sum() / e.reshape(-1, e.shape[-1]).var(axis=0, ddof=1).sum(),
            "ddof",
        ),
        (lambda e: 1.7, "[0, 1]"),
    ],
)
def test_init_share_mistakes(wrong, hint):
    C.check_init_share(wrong)
    r = result("2.3")
    assert r.status == E.FAIL and hint in r.message
