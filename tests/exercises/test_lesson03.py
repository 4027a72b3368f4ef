"""Lesson 03 exercise checks: the solutions pass, unsolved stubs say so, and common mistakes get the right hint."""

from __future__ import annotations

import build_lessons  # tools/ (pytest pythonpath): runs the lesson's solution cells
import numpy as np
import pytest

from modgap_edu import exercises as E
from modgap_edu.exercises import lesson03 as C


@pytest.fixture(autouse=True)
def lenient():
    E.require_pass(False)
    yield
    E.require_pass(False)


def result(name_part):
    hits = [r for k, r in E.RESULTS.items() if name_part in k]
    assert hits, f"no check result recorded for {name_part}"
    return hits[-1]


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# ------------------------------------------------------------------ solutions: the cells of sources/03_temperature_toy.py
SOLUTIONS = build_lessons.solution_namespace("03")
good_shift = SOLUTIONS["my_shift"]
good_loss = SOLUTIONS["my_clip_loss"]
good_procrustes = SOLUTIONS["my_procrustes"]


def features(seed=0, n=120):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 16)) * 0.3 + np.eye(16)[0]
    y = x * 0.5 + rng.standard_normal((n, 16)) * 0.3 + np.eye(16)[1]
    return x, y


def test_solutions_pass_and_strict_mode_accepts_them():
    E.require_pass(True)
    C.check_shift(good_shift)
    C.check_sphere_loss(good_loss)
    C.check_procrustes(good_procrustes)
    for key in ("3.1", "3.3", "3.4"):
        assert result(key).passed


def test_unsolved_stub_is_not_solved():
    def stub(*args):
        raise NotImplementedError("Exercise 3.1: ...")

    C.check_shift(stub)
    assert result("3.1").status == E.NOT_SOLVED


@pytest.mark.parametrize(
    "mistake, hint",
    [
        (
            lambda x, y, a: (
                unit(x) - a * (unit(x).mean(0) - unit(y).mean(0)),
                unit(y) + a * (unit(x).mean(0) - unit(y).mean(0)),
            ),
            "renormalize",
        ),
        (lambda x, y, a: good_shift(x, y, -a), "wrong direction"),
        (
            lambda x, y, a: (
                unit(
                    unit(x)
                    - a * (unit(x).mean(0) - unit(y).mean(0)) / np.linalg.norm(unit(x).mean(0) - unit(y).mean(0))
                ),
                unit(
                    unit(y)
                    + a * (unit(x).mean(0) - unit(y).mean(0)) / np.linalg.norm(unit(x).mean(0) - unit(y).mean(0))
                ),
            ),
            "unit direction",
        ),
        (
            lambda x, y, a: (unit(x - a * (x.mean(0) - y.mean(0))), unit(y + a * (x.mean(0) - y.mean(0)))),
            "normalize the rows first",
        ),
        (
            lambda x, y, a: (unit(unit(x) - a * (unit(x) - unit(y))), unit(unit(y) + a * (unit(x) - unit(y)))),
            "per-pair",
        ),
    ],
)
def test_shift_mistakes_get_hints(mistake, hint):
    C.check_shift(mistake)
    r = result("3.1")
    assert r.status == E.FAIL and hint in r.message


def test_strict_mode_raises_on_a_wrong_solution():
    E.require_pass(True)
    with pytest.raises(E.ExerciseCheckFailed):
        C.check_shift(lambda x, y, a: good_shift(x, y, -a))


def test_prediction_check_uses_measured_signs():
    x, y = features()
    from modgap_edu.core import shift

    truth = {}
    for tau in (0.01, 1.0):
        before = shift.batched_clip_loss(*shift.shift_embeddings(x, y, alpha=0.0), tau)
        after = shift.batched_clip_loss(*shift.shift_embeddings(x, y, alpha=0.25), tau)
        truth[tau] = "up" if after > before else "down"
    C.check_loss_change_prediction(lambda: dict(truth), x, y)
    assert result("3.2").passed
    flipped = {t: ("down" if v == "up" else "up") for t, v in truth.items()}
    C.check_loss_change_prediction(lambda: flipped, x, y)
    assert result("3.2").status == E.FAIL and "Measured" in result("3.2").message
    C.check_loss_change_prediction(lambda: {0.01: "maybe", 1.0: "up"}, x, y)
    assert "'up' or 'down'" in result("3.2").message
    C.check_loss_change_prediction(lambda: ["up", "down"], x, y)
    assert "dict" in result("3.2").message


def test_sphere_loss_mistakes():
    def naive(i, t, tau):  # overflows at tau = 1e-3
        z = unit(i) @ unit(t).T / tau
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(z)
            return float((np.mean(-np.log(np.diag(e) / e.sum(1))) + np.mean(-np.log(np.diag(e) / e.sum(0)))) / 2)

    C.check_sphere_loss(naive)
    r = result("3.3")
    assert r.status == E.FAIL and "log-sum-exp" in r.message

    def one_way(i, t, tau):
        from scipy.special import logsumexp

        z = unit(i) @ unit(t).T / tau
        return float(np.mean(logsumexp(z, 1) - np.diag(z)))

    C.check_sphere_loss(one_way)
    assert "image->text half" in result("3.3").message
    C.check_sphere_loss(lambda i, t, tau: 6 * good_loss(i, t, tau))
    assert "summed" in result("3.3").message


def test_procrustes_mistakes():
    C.check_procrustes(lambda x, y: good_procrustes(x, y).T)
    assert "Wᵀ" in result("3.4").message
    C.check_procrustes(lambda x, y: np.linalg.svd(unit(x).T @ unit(y))[0] * 2)
    assert "orthogonal" in result("3.4").message

    def no_norm(x, y):
        u, _, vt = np.linalg.svd(x.T @ y)
        return u @ vt

    C.check_procrustes(no_norm)
    assert "normalize" in result("3.4").message


def test_the_lessons_prediction_solution_passes_on_fallback_features():
    """my_prediction reads the lesson's ``feats``, ``img`` and ``txt``: on fallback features it measures."""
    from types import SimpleNamespace

    x, y = features(seed=3)
    ns = build_lessons.solution_namespace("03")
    ns.update(feats=SimpleNamespace(is_real=False), img=x, txt=y)
    E.require_pass(True)
    C.check_loss_change_prediction(ns["my_prediction"], x, y)
    assert result("3.2").passed
    ns["feats"] = SimpleNamespace(is_real=True)  # a trained CLIP's answer (Liang et al. Fig. 3)
    assert ns["my_prediction"]() == {0.01: "up", 1.0: "down"}
