"""Lesson 05's exercise checks: right answers pass, the usual mistakes fail with the matching hint."""

from __future__ import annotations

import build_lessons  # tools/ (pytest pythonpath): runs the lesson's solution cells
import numpy as np
import pytest

from modgap_edu.core import metrics
from modgap_edu.exercises import RESULTS, ExerciseCheckFailed, require_pass
from modgap_edu.exercises import lesson05 as L


@pytest.fixture(autouse=True)
def lenient():
    require_pass(False)
    yield
    require_pass(False)


SOLUTIONS = build_lessons.solution_namespace("05")  # the cells tagged `solution` of sources/05_*.py


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def rmg_variant(diag=False, halve=True, normalize=True):
    def fn(x, y):
        xn, yn = (unit(x), unit(y)) if normalize else (x, y)
        n = len(xn)
        m = np.mean((1 - np.sum(xn * yn, axis=1)) / 2)

        def intra(a):
            d = (1 - a @ a.T) / 2
            return d.mean() if diag else (d.sum() - np.trace(d)) / (n * (n - 1))

        s = intra(xn) + intra(yn)
        return m / (m + (s / 2 if halve else s))

    return fn


def status(name):
    return RESULTS[name].status, RESULTS[name].message


RMG = "Exercise 5.1 (RMG from its definition)"
FAST = "Exercise 5.2 (intra-modality dissimilarity in O(N d))"
MOAD = "Exercise 5.3 (MOAD by hand)"


def test_rmg_check():
    L.check_rmg(SOLUTIONS["my_rmg"])
    assert status(RMG)[0] == "PASS"
    L.check_rmg(metrics.rmg)  # the reference itself passes too
    assert status(RMG)[0] == "PASS"
    L.check_rmg(rmg_variant(diag=True))
    assert "n(n-1)" in status(RMG)[1]
    L.check_rmg(rmg_variant(halve=False))
    assert "halve" in status(RMG)[1]
    L.check_rmg(rmg_variant(normalize=False))
    assert "L2-normalize" in status(RMG)[1]

    def unsolved(x, y):
        raise NotImplementedError("Exercise 5.1")

    L.check_rmg(unsolved)
    assert status(RMG)[0] == "NOT SOLVED"


def fast_variant(subtract=True, denom="n(n-1)"):
    def fn(emb):
        u = unit(emb.astype(np.float64))
        n = len(u)
        s = u.sum(0)
        num = s @ s - (n if subtract else 0)
        return (1 - num / (n * (n - 1) if denom == "n(n-1)" else n * n)) / 2

    return fn


def test_fast_intra_check():
    L.check_fast_intra(SOLUTIONS["my_intra_dissimilarity"], big_rows=20_000)
    assert status(FAST)[0] == "PASS"
    L.check_fast_intra(fast_variant(subtract=False), big_rows=20_000)
    assert "subtract N" in status(FAST)[1]
    L.check_fast_intra(fast_variant(denom="n^2"), big_rows=20_000)
    assert "N^2" in status(FAST)[1]

    def quadratic(emb):
        u = unit(emb.astype(np.float64))
        d = (1 - u @ u.T) / 2
        return (d.sum() - np.trace(d)) / (len(u) * (len(u) - 1))

    L.check_fast_intra(quadratic, big_rows=3000, time_limit=1e-9)  # right value, too slow
    assert "quadratic" in status(FAST)[1]


def moad_variant(self_pairs=False, sign=1.0):
    def fn(emb, objects, attributes):
        u = unit(emb)
        s = u @ u.T
        off = ~np.eye(len(u), dtype=bool)

        def sep(labels):
            labels = np.asarray(labels)
            same = labels[:, None] == labels[None, :]
            return s[same if self_pairs else same & off].mean() - s[~same].mean()

        return sign * (sep(objects) - sep(attributes))

    return fn


def test_moad_check():
    L.check_moad(SOLUTIONS["my_moad"])
    assert status(MOAD)[0] == "PASS"
    L.check_moad(moad_variant(self_pairs=True))
    assert "self-pairs" in status(MOAD)[1]
    L.check_moad(moad_variant(sign=-1.0))
    assert "sign" in status(MOAD)[1]


def test_tiny_moad_set_by_hand():
    emb, obj, col = L.tiny_moad_set()
    assert emb.shape == (8, 3) and len(set(obj)) == 2 and len(set(col)) == 2
    # digits are the two clusters of the tiny set: object separation beats colour separation
    assert metrics.moad(emb, obj, col) > 0.5


def test_the_lessons_solutions_pass_in_strict_mode():
    require_pass(True)
    L.check_rmg(SOLUTIONS["my_rmg"])
    L.check_fast_intra(SOLUTIONS["my_intra_dissimilarity"])  # default size and time limit, as in the lesson
    L.check_moad(SOLUTIONS["my_moad"])
    assert all(status(name)[0] == "PASS" for name in (RMG, FAST, MOAD))


def test_a_right_variant_of_each_helper_passes():
    """The mistake generators below are right with their defaults (so each hint isolates one change)."""
    L.check_rmg(rmg_variant())
    L.check_fast_intra(fast_variant(), big_rows=20_000)
    L.check_moad(moad_variant())
    assert all(status(name)[0] == "PASS" for name in (RMG, FAST, MOAD))


def test_strict_mode_raises():
    require_pass(True)
    with pytest.raises(ExerciseCheckFailed):
        L.check_rmg(rmg_variant(halve=False))
