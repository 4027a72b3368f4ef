"""Lesson 04: the exercise checks accept right answers, reject typical mistakes with the right hint."""

from __future__ import annotations

from collections import Counter

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


# ---------------------------------------------------------------- reference values


def test_conditional_entropy_reference_values():
    assert L.conditional_entropy(L.mad_joint(("digit",))) == pytest.approx(np.log2(7))
    assert L.conditional_entropy(L.mad_joint(("digit", "colors"))) == pytest.approx(0.0)
    assert L.mutual_information(L.mad_joint(("colors",))) == pytest.approx(np.log2(7))
    p = np.outer([0.5, 0.25, 0.25], [0.2, 0.8])  # independent X and C: H(X|C) = H(X)
    assert L.conditional_entropy(p) == pytest.approx(1.5)


def test_hidden_bits_agrees_with_an_explicit_joint_table():
    """H(X | C) of the colour-main, k = 1 rule from the joint table of a MAD with smaller factors."""
    sizes = {"digit": 3, "thickthinning": 3, "swelling": 2, "colors": 2}
    names = list(sizes)
    states = [dict(zip(names, s)) for s in np.ndindex(*sizes.values())]
    others = [f for f in names if f != "colors"]
    captions = sorted({(s["colors"], f, s[f]) for s in states for f in others})
    col = {c: j for j, c in enumerate(captions)}
    joint = np.zeros((len(states), len(captions)))
    for i, s in enumerate(states):
        for f in others:  # each of the other factors is drawn with probability 1/3
            joint[i, col[(s["colors"], f, s[f])]] += 1 / len(states) / len(others)
    assert L.hidden_bits("colors", 1, sizes) == pytest.approx(L.conditional_entropy(joint))
    assert L.hidden_bits("digit", 5) == pytest.approx(0.0)
    assert L.hidden_bits("digit", None) == pytest.approx(np.log2(3 * 2 * 2 * 2 * 7))


def test_row_entropy_and_floor_reference_values():
    assert L.row_entropy(np.zeros((3, 3))) == pytest.approx(np.log(3))
    assert L.row_entropy(np.eye(4) * 500) == pytest.approx(0.0, abs=1e-9)
    assert L.entropy_floor(["a", "b", "c"]) == 0.0
    assert L.entropy_floor(["a", "a", "b", "b"]) == pytest.approx(np.log(2))
    # the floor is reached: logits +inf on the matching caption group, the row's softmax is uniform over it
    caps = ["3", "3", "7", "1", "3", "7"]
    same = np.array([[a == b for b in caps] for a in caps])
    assert L.row_entropy(np.where(same, 50.0, -50.0)) == pytest.approx(L.entropy_floor(caps))


# ---------------------------------------------------------------- wrong answers: one function per mistake


def _h(joint):
    return L.conditional_entropy(joint)


def _joint_entropy(j):
    p = np.asarray(j)[np.asarray(j) > 0]
    return float(-(p * np.log2(p)).sum())


def _image_entropy(j):
    p = np.asarray(j).sum(axis=1)
    return float(-(p[p > 0] * np.log2(p[p > 0])).sum())


def _unmasked(j):
    p = np.asarray(j, dtype=float)
    with np.errstate(all="ignore"):
        return float(-(p * np.log2(p / p.sum(axis=0, keepdims=True))).sum())


def _bits(value):
    return lambda: value


HX = float(np.log2(1680))
_OTHER = [np.log2(10), np.log2(3), 1.0, 1.0, 1.0]


def _no_shuffle(labels, k, rng, main_object="digit"):
    words = [dataset.FACTORS[main_object][labels[main_object]]]
    if k is None:
        return words[0]
    others = [dataset.FACTORS[f][labels[f]] for f in dataset.FACTORS if f != main_object]
    return "-".join(words + [others[i] for i in sorted(rng.choice(5, size=k, replace=False))])


def _shuffle_attributes_only(labels, k, rng, main_object="digit"):
    head = dataset.FACTORS[main_object][labels[main_object]]
    if k is None:
        return head
    others = [dataset.FACTORS[f][labels[f]] for f in dataset.FACTORS if f != main_object]
    picked = [others[i] for i in rng.choice(5, size=k, replace=False)]
    rng.shuffle(picked)
    return "-".join([head] + picked)


def _with_replacement(labels, k, rng, main_object="digit"):
    words = [dataset.FACTORS[main_object][labels[main_object]]]
    if k is None:
        return words[0]
    others = [dataset.FACTORS[f][labels[f]] for f in dataset.FACTORS if f != main_object]
    words += [others[i] for i in rng.integers(0, 5, size=k)]
    rng.shuffle(words)
    return "-".join(words)


def _draws_main_too(labels, k, rng, main_object="digit"):
    head = dataset.FACTORS[main_object][labels[main_object]]
    if k is None:
        return head
    every = [dataset.FACTORS[f][labels[f]] for f in dataset.FACTORS]
    words = [head] + [every[i] for i in rng.choice(6, size=k, replace=False)]
    rng.shuffle(words)
    return "-".join(words)


def _first_k_attributes(labels, k, rng, main_object="digit"):
    head = dataset.FACTORS[main_object][labels[main_object]]
    if k is None:
        return head
    others = [dataset.FACTORS[f][labels[f]] for f in dataset.FACTORS if f != main_object]
    words = [head] + others[:k]
    rng.shuffle(words)
    return "-".join(words)


def _indices(labels, k, rng, main_object="digit"):
    cap = dataset.make_caption(labels, k, rng, main_object)
    owner = {w: (f, i) for f, values in dataset.FACTORS.items() for i, w in enumerate(values)}
    return "-".join(str(owner[w][1]) for w in cap.split("-"))


def _one_too_many(labels, k, rng, main_object="digit"):
    return dataset.make_caption(labels, None if k is None else min(k + 1, 5), rng, main_object)


def _none_as_empty(labels, k, rng, main_object="digit"):
    return dataset.make_caption(labels, k, rng, main_object) if k is not None else ""


def _column_entropy(z):
    return L.row_entropy(np.asarray(z).T)


def _naive_softmax(z):
    z = np.asarray(z, dtype=float)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(-(p * np.log(p)).sum(axis=1).mean())


def _global_softmax(z):
    f = np.asarray(z, dtype=float).ravel()
    f = f - f.max()
    logq = f - np.log(np.exp(f).sum())
    return float(-(np.exp(logq) * logq).sum())


def _logsumexp(z):
    z = np.asarray(z, dtype=float)
    m = z.max(axis=1, keepdims=True)
    return float((np.log(np.exp(z - m).sum(axis=1)) + m[:, 0]).mean())


def _floor_distinct(caps):
    return float(np.mean(np.log(list(Counter(caps).values()))))


def _floor_average_size(caps):
    return float(np.log(len(caps) / len(set(caps))))


def _floor_skip_unique(caps):
    c = Counter(caps)
    return float(np.mean([np.log(c[x]) for x in caps if c[x] > 1])) if any(c[x] > 1 for x in caps) else 0.0


WRONG_ANSWERS = [
    # Exercise 4.1 -- conditional entropy
    ("Exercise 4.1", lambda j: _h(j) * np.log(2), "nats"),
    ("Exercise 4.1", lambda j: _h(j) * np.log10(2), "base 10"),
    ("Exercise 4.1", lambda j: _h(np.asarray(j).T), "H(C | X)"),
    ("Exercise 4.1", _joint_entropy, "joint entropy"),
    ("Exercise 4.1", _image_entropy, "H(X), the image entropy alone"),
    ("Exercise 4.1", lambda j: -_h(j), "sign"),
    ("Exercise 4.1", lambda j: _h(j) / np.asarray(j).size, "averaged the terms"),
    ("Exercise 4.1", _unmasked, "skip the entries with p = 0"),
    # Exercise 4.2 -- bits left unsaid, colour main object, k = 1 (derivation)
    ("Exercise 4.2", _bits(L.hidden_bits("colors", 1) * np.log(2)), "nats"),
    ("Exercise 4.2", _bits(HX - L.hidden_bits("colors", 1)), "I(X; C)"),
    ("Exercise 4.2", _bits(HX), "that is H(X)"),
    ("Exercise 4.2", _bits(L.hidden_bits("digit", 1)), "digit-main rule"),
    ("Exercise 4.2", _bits(HX - np.log2(7) - max(_OTHER)), "average the hidden bits"),
    ("Exercise 4.2", _bits(HX - np.log2(7) - min(_OTHER)), "two-valued"),
    ("Exercise 4.2", _bits(L.hidden_bits("colors", 1) + np.log2(5)), "which* factor"),
    ("Exercise 4.2", _bits(L.hidden_bits("colors", 1) - np.log2(5)), "subtracted log2(5)"),
    ("Exercise 4.2", _bits(np.log2(160) - (np.log2(10) + 4) / 5), "three values"),
    ("Exercise 4.2", _bits(HX - np.log2(7)), "forgot the one drawn attribute"),
    ("Exercise 4.2", _bits(round(L.hidden_bits("colors", 1) * np.log10(2), 3)), "base 10"),
    # Exercise 4.3 -- the caption rule
    ("Exercise 4.3", _no_shuffle, "same order"),
    ("Exercise 4.3", _shuffle_attributes_only, "always comes first"),
    ("Exercise 4.3", _with_replacement, "without replacement"),
    ("Exercise 4.3", _draws_main_too, "main object twice"),
    ("Exercise 4.3", _first_k_attributes, "at random"),
    ("Exercise 4.3", lambda labels, k, r, m="digit": dataset.make_caption(labels, k, r, "digit"), "main object"),
    ("Exercise 4.3", lambda labels, k, r, m="digit": dataset.make_caption(labels, k, r, m).replace("-", " "), "hyphen"),
    ("Exercise 4.3", _indices, "not the indices"),
    ("Exercise 4.3", _one_too_many, "exactly k attributes"),
    ("Exercise 4.3", _none_as_empty, "k=None"),
    # Exercise 4.4 -- logit entropy
    ("Exercise 4.4", lambda z: L.row_entropy(z) / np.log(2), "bits"),
    ("Exercise 4.4", _column_entropy, "column"),
    ("Exercise 4.4", lambda z: -L.row_entropy(z), "sign"),
    ("Exercise 4.4", lambda z: L.row_entropy(z) * len(z), "mean"),
    ("Exercise 4.4", _global_softmax, "whole matrix"),
    ("Exercise 4.4", _logsumexp, "log-sum-exp of the rows"),
    ("Exercise 4.4", _naive_softmax, "subtract each row's maximum"),
    # Bonus exercise 4.6 -- the entropy floor of repeated captions
    ("Bonus exercise 4.6", lambda caps: L.entropy_floor(caps) / np.log(2), "nats"),
    ("Bonus exercise 4.6", _floor_distinct, "distinct captions; every row counts"),
    ("Bonus exercise 4.6", _floor_average_size, "average group size"),
    ("Bonus exercise 4.6", lambda caps: float(np.log(len(set(caps)))), "number of distinct captions"),
    ("Bonus exercise 4.6", lambda caps: L.entropy_floor(caps) * len(caps), "summed over the rows"),
    ("Bonus exercise 4.6", _floor_skip_unique, "unique"),
]

CHECKS = {
    "Exercise 4.1": L.check_conditional_entropy,
    "Exercise 4.2": L.check_hidden_bits,
    "Exercise 4.3": L.check_make_caption,
    "Exercise 4.4": L.check_row_entropy,
    "Bonus exercise 4.6": L.check_entropy_floor,
}
SOLUTION_NAMES = {
    "Exercise 4.1": "my_conditional_entropy",
    "Exercise 4.2": "my_hidden_bits",
    "Exercise 4.3": "my_make_caption",
    "Exercise 4.4": "my_row_entropy",
    "Bonus exercise 4.6": "my_entropy_floor",
}


@pytest.mark.parametrize("exercise, wrong, hint", WRONG_ANSWERS)
def test_each_wrong_answer_gets_its_diagnosis(exercise, wrong, hint):
    CHECKS[exercise](wrong)
    status, message = _status(exercise)
    assert status == "FAIL", message
    assert hint in message, message


def test_at_least_five_wrong_answers_per_checked_exercise():
    per = Counter(e for e, _, _ in WRONG_ANSWERS)
    assert set(per) == set(CHECKS) and min(per.values()) >= 5


def test_diagnoses_are_specific():
    """No two mistakes of one exercise get the same message (each its own diagnosis)."""
    for exercise in CHECKS:
        messages = []
        for e, wrong, _ in WRONG_ANSWERS:
            if e == exercise:
                CHECKS[e](wrong)
                messages.append(_status(e)[1])
        assert len(set(messages)) == len(messages), exercise


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_the_lessons_solution_passes_in_strict_mode(exercise):
    exercises.require_pass(True)
    CHECKS[exercise](SOLUTIONS[SOLUTION_NAMES[exercise]])
    assert _status(exercise)[0] == "PASS"


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_an_unsolved_stub_is_not_solved(exercise):
    def stub(*args):
        raise NotImplementedError(f"{exercise}: the task in words")

    CHECKS[exercise](stub)
    assert _status(exercise)[0] == "NOT SOLVED"


def test_the_references_pass():
    for exercise, fn in [
        ("Exercise 4.1", L.conditional_entropy),
        ("Exercise 4.2", lambda: L.hidden_bits("colors", 1)),
        ("Exercise 4.2", lambda: round(L.hidden_bits("colors", 1), 3)),  # three decimals are enough
        ("Exercise 4.3", dataset.make_caption),
        ("Exercise 4.4", L.row_entropy),
        ("Bonus exercise 4.6", L.entropy_floor),
    ]:
        CHECKS[exercise](fn)
        assert _status(exercise)[0] == "PASS", exercise


def test_strict_mode_raises():
    exercises.require_pass(True)
    with pytest.raises(exercises.ExerciseCheckFailed):
        L.check_row_entropy(lambda z: 0.0)
