"""Lesson 04: the exercise checks accept right answers, reject typical mistakes with the right hint."""

from __future__ import annotations

import build_lessons  # tools/ (pytest pythonpath): runs the lesson's solution cells
import numpy as np
import pytest

from modgap_edu import exercises
from modgap_edu.exercises import lesson04 as L
from modgap_edu.mad import dataset


@pytest.fixture(autouse=True)
def _not_strict():
    exercises.require_pass(False)
    yield
    exercises.require_pass(False)


SOLUTIONS = build_lessons.solution_namespace("04")  # the cells tagged `solution` of sources/04_*.py


def _status(name):
    return exercises.RESULTS[name].status, exercises.RESULTS[name].message


def test_conditional_entropy_reference_values():
    assert L.conditional_entropy(L.mad_joint(("digit",))) == pytest.approx(np.log2(7))
    assert L.conditional_entropy(L.mad_joint(("digit", "colors"))) == pytest.approx(0.0)
    assert L.mutual_information(L.mad_joint(("colors",))) == pytest.approx(np.log2(7))
    # independent X and C: H(X|C) = H(X)
    p = np.outer([0.5, 0.25, 0.25], [0.2, 0.8])
    assert L.conditional_entropy(p) == pytest.approx(1.5)


def test_check_conditional_entropy():
    L.check_conditional_entropy(L.conditional_entropy)
    assert _status("Exercise 1.1")[0] == "PASS"
    L.check_conditional_entropy(lambda j: L.conditional_entropy(j) * np.log(2))
    assert "nats" in _status("Exercise 1.1")[1]
    L.check_conditional_entropy(lambda j: L.conditional_entropy(np.asarray(j).T))
    assert "H(C | X)" in _status("Exercise 1.1")[1]

    def stub(j):
        raise NotImplementedError

    L.check_conditional_entropy(stub)
    assert _status("Exercise 1.1")[0] == "NOT SOLVED"


def test_check_make_caption_accepts_reference():
    L.check_make_caption(dataset.make_caption)
    assert _status("Exercise 2.1")[0] == "PASS"


def _no_shuffle(labels, k, rng, main_object="digit"):
    words = [dataset.FACTORS[main_object][labels[main_object]]]
    if k is None:
        return words[0]
    others = [dataset.FACTORS[f][labels[f]] for f in dataset.FACTORS if f != main_object]
    return "-".join(words + [others[i] for i in sorted(rng.choice(5, size=k, replace=False))])


def _with_replacement(labels, k, rng, main_object="digit"):
    words = [dataset.FACTORS[main_object][labels[main_object]]]
    if k is None:
        return words[0]
    others = [dataset.FACTORS[f][labels[f]] for f in dataset.FACTORS if f != main_object]
    words += [others[i] for i in rng.integers(0, 5, size=k)]
    rng.shuffle(words)
    return "-".join(words)


def _forgets_main_object(labels, k, rng, main_object="digit"):
    return dataset.make_caption(labels, k, rng, "digit")


@pytest.mark.parametrize(
    "fn, hint",
    [
        (_no_shuffle, "shuffle"),
        (_with_replacement, "twice"),
        (_forgets_main_object, "main object"),
        (lambda labels, k, r, m="digit": dataset.make_caption(labels, k, r, m).replace("-", " "), "'-'"),
    ],
)
def test_check_make_caption_hints(fn, hint):
    L.check_make_caption(fn)
    status, message = _status("Exercise 2.1")
    assert status == "FAIL" and hint in message


def test_check_row_entropy():
    L.check_row_entropy(L.row_entropy)
    assert _status("Exercise 5.1")[0] == "PASS"
    L.check_row_entropy(lambda z: L.row_entropy(z) / np.log(2))
    assert "bits" in _status("Exercise 5.1")[1]

    def naive(z):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return float(-(p * np.log(p)).sum(axis=1).mean())

    with np.errstate(all="ignore"):
        L.check_row_entropy(naive)
    assert _status("Exercise 5.1")[0] == "FAIL"
    assert L.row_entropy(np.zeros((3, 3))) == pytest.approx(np.log(3))


@pytest.mark.parametrize(
    "check, name, part",
    [
        (L.check_conditional_entropy, "my_conditional_entropy", "Exercise 1.1"),
        (L.check_make_caption, "my_make_caption", "Exercise 2.1"),
        (L.check_row_entropy, "my_row_entropy", "Exercise 5.1"),
    ],
)
def test_the_lessons_solution_passes_in_strict_mode(check, name, part):
    exercises.require_pass(True)
    check(SOLUTIONS[name])
    assert _status(part)[0] == "PASS"


def test_strict_mode_raises():
    exercises.require_pass(True)
    with pytest.raises(exercises.ExerciseCheckFailed):
        L.check_row_entropy(lambda z: 0.0)
