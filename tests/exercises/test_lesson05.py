"""Lesson 05's exercise checks: right answers pass, the usual mistakes fail with the matching hint."""

from __future__ import annotations

from collections import Counter

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


def status(name):
    return RESULTS[name].status, RESULTS[name].message


# ---------------------------------------------------------------- Exercise 5.1: mistakes as functions


def rmg_variant(diag=False, halve=True, normalize=True, dist="cos", matched=True, swap=False):
    def fn(x, y):
        xn, yn = (unit(x), unit(y)) if normalize else (x, y)
        n = len(xn)

        def d(a, b):
            if dist == "euclid":
                return np.linalg.norm(a[:, None] - b[None], axis=2)
            return (1 + a @ b.T) / 2 if dist == "sim" else (1 - a @ b.T) / 2

        cross = d(xn, yn)
        m = np.mean(np.diag(cross)) if matched else np.mean(cross)
        if dist == "sim":
            m = np.mean(np.sum(xn * yn, axis=1))

        def intra(a):
            dd = d(a, a) if dist != "sim" else a @ a.T
            return dd.mean() if diag else (dd.sum() - np.trace(dd)) / (n * (n - 1))

        s = intra(xn) + intra(yn)
        s = s / 2 if halve else s
        return s / (m + s) if swap else m / (m + s)

    return fn


# ---------------------------------------------------------------- Exercise 5.2


def fast_variant(subtract=True, denom="n(n-1)", out="d", normalize=True):
    def fn(emb):
        a = emb.astype(np.float64)
        u = unit(a) if normalize else a
        n = len(u)
        s = u.sum(0)
        diag = n if normalize else np.sum(a * a)
        mean_cos = (s @ s - (diag if subtract else 0)) / (n * (n - 1) if denom == "n(n-1)" else n * n)
        return {"d": (1 - mean_cos) / 2, "cos": mean_cos, "1-cos": 1 - mean_cos}[out]

    return fn


# ---------------------------------------------------------------- Exercise 5.3


def closed(f):
    return lambda alpha: f(np.cos(alpha) ** 2, np.sin(alpha) ** 2)


# ---------------------------------------------------------------- Exercises 5.4 and 5.6


def moad_variant(self_pairs=False, sign=1.0, raw=False, inter_all=False, object_only=False, official=False):
    def fn(emb, objects, attributes):
        if official:
            return metrics.moad(emb, objects, attributes, exact_official=True)
        u = emb if raw else unit(emb)
        s = u @ u.T
        off = ~np.eye(len(u), dtype=bool)

        def sep(labels):
            labels = np.asarray(labels)
            same = labels[:, None] == labels[None, :]
            inter = s[off].mean() if inter_all else s[~same].mean()
            return s[same if self_pairs else same & off].mean() - inter

        return sign * (sep(objects) - (0 if object_only else sep(attributes)))

    return fn


def moad_per_class(emb, objects, attributes):
    u = unit(emb)
    s = u @ u.T

    def sep(labels):
        labels = np.asarray(labels)
        intra = []
        for c in np.unique(labels):
            b = s[np.ix_(labels == c, labels == c)]
            intra.append((b.sum() - np.trace(b)) / (len(b) * (len(b) - 1)))
        return np.mean(intra) - s[labels[:, None] != labels[None, :]].mean()

    return sep(objects) - sep(attributes)


def fast_moad(emb, objects, attributes, self_pairs=False, normalize=True):
    """Class-sum MOAD; the flags reproduce the bonus's typical slips."""
    u = unit(emb.astype(np.float64)) if normalize else emb.astype(np.float64)
    total = u.sum(0)
    sq = float(np.sum(u * u))
    n = len(u)

    def sep(labels):
        labels = np.asarray(labels)
        intra_sum, intra_count = 0.0, 0.0
        for c in np.unique(labels):
            sc = u[labels == c].sum(0)
            nc = int((labels == c).sum())
            intra_sum += sc @ sc - (0 if self_pairs else float(np.sum(u[labels == c] ** 2)))
            intra_count += nc * nc if self_pairs else nc * (nc - 1)
        all_sum = total @ total - sq
        inter_sum = all_sum - (intra_sum - (sq if self_pairs else 0))
        inter_count = n * (n - 1) - (intra_count - (n if self_pairs else 0))
        return intra_sum / intra_count - inter_sum / inter_count

    return sep(objects) - sep(attributes)


def moad_pairwise(emb, objects, attributes):
    return moad_variant()(emb, objects, attributes)


WRONG_ANSWERS = [
    # Exercise 5.1 -- RMG from its definition
    ("Exercise 5.1", rmg_variant(diag=True), "n(n-1)"),
    ("Exercise 5.1", rmg_variant(halve=False), "halve"),
    ("Exercise 5.1", rmg_variant(normalize=False), "L2-normalize"),
    ("Exercise 5.1", rmg_variant(matched=False), "matched pairs only"),
    ("Exercise 5.1", rmg_variant(dist="euclid"), "Euclidean"),
    ("Exercise 5.1", rmg_variant(dist="sim"), "*similarities*"),
    ("Exercise 5.1", rmg_variant(swap=True), "swapped"),
    ("Exercise 5.1", lambda x, y: metrics.l2m(x, y), "that is L2M"),
    # Exercise 5.2 -- intra-modality dissimilarity in O(N d)
    ("Exercise 5.2", fast_variant(subtract=False), "subtract N"),
    ("Exercise 5.2", fast_variant(denom="n^2"), "N^2"),
    ("Exercise 5.2", fast_variant(out="cos"), "mean cosine"),
    ("Exercise 5.2", fast_variant(out="1-cos"), "halve it"),
    ("Exercise 5.2", fast_variant(normalize=False), "raw rows"),
    # Exercise 5.3 -- closed form of RMG for the mirrored construction (derivation)
    ("Exercise 5.3", closed(lambda c2, s2: c2), "halving"),
    ("Exercise 5.3", closed(lambda c2, s2: s2 / (s2 + s2 / 2)), "sign of the matched cosine"),
    ("Exercise 5.3", closed(lambda c2, s2: c2 / (c2 + 0.5)), "not orthogonal"),
    ("Exercise 5.3", closed(lambda c2, s2: 2 * c2 / (2 * c2 + s2 / 2)), "same d"),
    ("Exercise 5.3", lambda alpha: 2 * np.cos(alpha), "L2M"),
    ("Exercise 5.3", closed(lambda c2, s2: s2 / (1 + c2)), "1 - RMG"),
    ("Exercise 5.3", lambda alpha: L.rmg_mirrored(np.deg2rad(alpha)), "radians"),
    # Exercise 5.4 -- MOAD by hand
    ("Exercise 5.4", moad_variant(sign=-1.0), "sign"),
    ("Exercise 5.4", moad_variant(self_pairs=True), "self-pairs"),
    ("Exercise 5.4", moad_variant(raw=True), "raw rows"),
    ("Exercise 5.4", moad_per_class, "per class"),
    ("Exercise 5.4", moad_variant(official=True), "official code's subset"),
    ("Exercise 5.4", moad_variant(inter_all=True), "*different* labels"),
    ("Exercise 5.4", moad_variant(object_only=True), "object separation alone"),
    # Bonus exercise 5.6 -- MOAD from class sums
    ("Bonus exercise 5.6", lambda e, o, a: fast_moad(e, o, a, self_pairs=True), "self-pairs"),
    ("Bonus exercise 5.6", lambda e, o, a: fast_moad(e, o, a, normalize=False), "raw rows"),
    ("Bonus exercise 5.6", lambda e, o, a: -fast_moad(e, o, a), "sign"),
    ("Bonus exercise 5.6", moad_per_class, "per class"),
    ("Bonus exercise 5.6", moad_variant(official=True), "official code's subset"),
    ("Bonus exercise 5.6", moad_variant(inter_all=True), "*different* labels"),
]

SMALL = {"big_rows": 5_000}  # the big inputs of 5.2 / 5.6 shrunk for the wrong-answer runs
CHECKS = {
    "Exercise 5.1": L.check_rmg,
    "Exercise 5.2": lambda fn: L.check_fast_intra(fn, **SMALL),
    "Exercise 5.3": L.check_rmg_closed_form,
    "Exercise 5.4": L.check_moad,
    "Bonus exercise 5.6": lambda fn: L.check_fast_moad(fn, **SMALL),
}
FULL_SIZE = {
    "Exercise 5.1": L.check_rmg,
    "Exercise 5.2": L.check_fast_intra,
    "Exercise 5.3": L.check_rmg_closed_form,
    "Exercise 5.4": L.check_moad,
    "Bonus exercise 5.6": L.check_fast_moad,
}
SOLUTION_NAMES = {
    "Exercise 5.1": "my_rmg",
    "Exercise 5.2": "my_intra_dissimilarity",
    "Exercise 5.3": "my_rmg_mirrored",
    "Exercise 5.4": "my_moad",
    "Bonus exercise 5.6": "my_fast_moad",
}


@pytest.mark.parametrize("exercise, wrong, hint", WRONG_ANSWERS)
def test_each_wrong_answer_gets_its_diagnosis(exercise, wrong, hint):
    CHECKS[exercise](wrong)
    verdict, message = status(exercise)
    assert verdict == "FAIL", message
    assert hint in message, message


def test_at_least_five_wrong_answers_per_checked_exercise():
    per = Counter(e for e, _, _ in WRONG_ANSWERS)
    assert set(per) == set(CHECKS) and min(per.values()) >= 5


def test_diagnoses_are_specific():
    """No two mistakes of one exercise get the same message."""
    for exercise in CHECKS:
        messages = []
        for e, wrong, _ in WRONG_ANSWERS:
            if e == exercise:
                CHECKS[e](wrong)
                messages.append(status(e)[1])
        assert len(set(messages)) == len(messages), exercise


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_the_lessons_solutions_pass_in_strict_mode(exercise):
    require_pass(True)
    FULL_SIZE[exercise](SOLUTIONS[SOLUTION_NAMES[exercise]])  # default sizes and time limits, as in the lesson
    assert status(exercise)[0] == "PASS"


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_an_unsolved_stub_is_not_solved(exercise):
    def stub(*args):
        raise NotImplementedError(f"{exercise}: the task in words")

    CHECKS[exercise](stub)
    assert status(exercise)[0] == "NOT SOLVED"


def test_right_variants_and_references_pass():
    """The mistake generators are right with their defaults, so each hint isolates one change."""
    for exercise, fn in [
        ("Exercise 5.1", rmg_variant()),
        ("Exercise 5.1", metrics.rmg),
        ("Exercise 5.2", fast_variant()),
        ("Exercise 5.3", L.rmg_mirrored),
        ("Exercise 5.4", moad_variant()),
        ("Bonus exercise 5.6", fast_moad),
        ("Bonus exercise 5.6", metrics.moad),
    ]:
        CHECKS[exercise](fn)
        assert status(exercise)[0] == "PASS", exercise


def test_quadratic_answers_are_too_slow():
    def quadratic(emb):
        u = unit(emb.astype(np.float64))
        d = (1 - u @ u.T) / 2
        return (d.sum() - np.trace(d)) / (len(u) * (len(u) - 1))

    L.check_fast_intra(quadratic, big_rows=3000, time_limit=1e-9)  # right value, too slow
    assert "quadratic" in status("Exercise 5.2")[1]
    L.check_fast_moad(moad_pairwise, big_rows=3000, time_limit=1e-9)
    assert "class sums" in status("Bonus exercise 5.6")[1]


def test_mirrored_construction_closed_form():
    for alpha in (0.1, 0.7, 1.4):
        x, y = L.mirrored_pairs(alpha, n=9)
        assert np.allclose(np.linalg.norm(x, axis=1), 1) and np.allclose(np.linalg.norm(y, axis=1), 1)
        assert metrics.rmg(x, y) == pytest.approx(L.rmg_mirrored(alpha))
        assert metrics.l2m(x, y) == pytest.approx(2 * np.cos(alpha))
    assert L.rmg_mirrored(np.pi / 2) == pytest.approx(0.0, abs=1e-12)


def test_tiny_moad_set_by_hand():
    emb, obj, col = L.tiny_moad_set()
    assert emb.shape == (8, 3) and len(set(obj)) == 2 and len(set(col)) == 2
    # digits are the two clusters of the tiny set: object separation beats colour separation
    assert metrics.moad(emb, obj, col) > 0.5


def test_strict_mode_raises():
    require_pass(True)
    with pytest.raises(ExerciseCheckFailed):
        L.check_rmg(rmg_variant(halve=False))
