"""Lesson 01 exercise checks: the lesson's own solutions pass, stubs say "not solved", each mistake gets its hint."""

from __future__ import annotations

import math

import build_lessons  # tools/ (pytest pythonpath): runs the lesson's solution cells
import numpy as np
import pytest
import torch

from modgap_edu import exercises as E
from modgap_edu.core import losses
from modgap_edu.exercises import lesson01 as C
from modgap_edu.toys import gap_fate

SOLUTIONS = build_lessons.solution_namespace("01")  # the cells tagged `solution` of sources/01_*.py
CHECKS = {
    "Exercise 1.1": (C.check_clip_loss, "my_clip_loss"),
    "Exercise 1.2": (C.check_orthogonal_batch_loss, "my_orthogonal_batch_loss"),
    "Exercise 1.3": (C.check_align_loss, "my_align_loss"),
    "Exercise 1.4": (C.check_uniform_loss, "my_uniform_loss"),
    "Bonus exercise 1.6": (C.check_loss_floor, "my_loss_floor"),
}
CE = torch.nn.functional.cross_entropy


@pytest.fixture(autouse=True)
def lenient():
    E.require_pass(False)
    yield
    E.require_pass(False)


def unit(t):
    return t / t.norm(dim=1, keepdim=True)


def both(logits, combine=lambda a, b: (a + b) / 2, reduction="mean"):
    labels = torch.arange(len(logits))
    return combine(CE(logits, labels, reduction=reduction), CE(logits.T, labels, reduction=reduction))


# ------------------------------------------------------------------ the plausible mistakes, one line each
def _floor_parts(counts):
    c = np.asarray(counts, dtype=float)
    return c, c.sum(), len(c)


WRONG_ANSWERS = [
    # Exercise 1.1: the CLIP loss
    (
        "Exercise 1.1",
        lambda x, y, tau: CE(unit(x) @ unit(y).T / tau, torch.arange(len(x))),
        "one direction only (image→text)",
    ),
    (
        "Exercise 1.1",
        lambda x, y, tau: CE(unit(y) @ unit(x).T / tau, torch.arange(len(x))),
        "one direction only (text→image)",
    ),
    (
        "Exercise 1.1",
        lambda x, y, tau: both(unit(x) @ unit(y).T / tau, lambda a, b: a + b),
        "summed the two directions",
    ),
    (
        "Exercise 1.1",
        lambda x, y, tau: both(unit(x) @ unit(y).T / tau, reduction="sum"),
        "summed the cross-entropy over the batch",
    ),
    ("Exercise 1.1", lambda x, y, tau: both(x @ y.T / tau), "raw dot products"),
    (
        "Exercise 1.1",
        lambda x, y, tau: both((x / x.norm(dim=0, keepdim=True)) @ (y / y.norm(dim=0, keepdim=True)).T / tau),
        "normalized the columns",
    ),
    ("Exercise 1.1", lambda x, y, tau: both(unit(x) @ unit(y).T * tau), "(you multiplied)"),
    ("Exercise 1.1", lambda x, y, tau: both(unit(x) @ unit(y).T), "does not change with τ"),
    # Exercise 1.2: the orthogonal batch, derived
    ("Exercise 1.2", lambda n, tau: math.log(n), "collapsed embeddings"),
    ("Exercise 1.2", lambda n, tau: math.log2(1 + (n - 1) * math.exp(-1 / tau)), "natural log"),
    ("Exercise 1.2", lambda n, tau: math.log(1 + n * math.exp(-1 / tau)), "n − 1 other candidates"),
    ("Exercise 1.2", lambda n, tau: math.log(n - 1) - 1 / tau, "includes the matched pair itself"),
    ("Exercise 1.2", lambda n, tau: 2 * math.log(1 + (n - 1) * math.exp(-1 / tau)), "not their sum"),
    ("Exercise 1.2", lambda n, tau: math.log(1 + (n - 1) * math.exp(-tau)), "not multiplied by τ"),
    ("Exercise 1.2", lambda n, tau: math.log(1 + (n - 1) * math.exp(1 / tau)), "sign in the exponent"),
    ("Exercise 1.2", lambda n, tau: 1 / (1 + (n - 1) * math.exp(-1 / tau)), "softmax probability of the match"),
    ("Exercise 1.2", lambda n, tau: 1 - 1 / (1 + (n - 1) * math.exp(-1 / tau)), "probability of picking an impostor"),
    ("Exercise 1.2", lambda n, tau: 0.0, "only in the limit τ → 0"),
    # Exercise 1.3: alignment
    ("Exercise 1.3", lambda x, y, alpha=2: (x - y).norm(dim=1).pow(alpha).mean(), "L2-normalize"),
    (
        "Exercise 1.3",
        lambda x, y, alpha=2: (
            (x / x.norm(dim=0, keepdim=True) - y / y.norm(dim=0, keepdim=True)).norm(dim=1).pow(alpha).mean()
        ),
        "normalized the columns",
    ),
    ("Exercise 1.3", lambda x, y, alpha=2: (unit(x) - unit(y)).norm(dim=1).mean(), "power alpha"),
    ("Exercise 1.3", lambda x, y, alpha=2: (unit(x) - unit(y)).norm(dim=1).mean() ** alpha, "not power the average"),
    ("Exercise 1.3", lambda x, y, alpha=2: (unit(x) - unit(y)).norm(dim=1).pow(alpha).sum(), "summed over the pairs"),
    (
        "Exercise 1.3",
        lambda x, y, alpha=2: (unit(x) - unit(y)).norm(dim=1).pow(2 * alpha).mean(),
        "squared the distance",
    ),
    ("Exercise 1.3", lambda x, y, alpha=2: torch.cdist(unit(x), unit(y)).pow(alpha).mean(), "only the matched pairs"),
    ("Exercise 1.3", lambda x, y, alpha=2: (unit(x) - unit(y)).norm(dim=1).pow(2).mean(), "ignores alpha"),
    # Exercise 1.4: uniformity
    ("Exercise 1.4", lambda x, t=2: torch.cdist(unit(x), unit(x)).pow(2).mul(-t).exp().mean().log(), "i < j"),
    ("Exercise 1.4", lambda x, t=2: torch.pdist(unit(x)).mul(-t).exp().mean().log(), "square the distances"),
    ("Exercise 1.4", lambda x, t=2: torch.pdist(unit(x)).pow(2).mul(-t).exp().mean(), "log of the mean"),
    ("Exercise 1.4", lambda x, t=2: torch.pdist(unit(x)).pow(2).mul(-t).mean(), "mean of the log"),
    ("Exercise 1.4", lambda x, t=2: torch.pdist(x).pow(2).mul(-t).exp().mean().log(), "L2-normalize the rows"),
    ("Exercise 1.4", lambda x, t=2: torch.pdist(unit(x)).pow(2).mul(t).exp().mean().log(), "minus sign"),
    ("Exercise 1.4", lambda x, t=2: torch.pdist(unit(x)).pow(2).mul(-t).exp().mean().log2(), "natural log"),
    ("Exercise 1.4", lambda x, t=2: torch.pdist(unit(x)).pow(2).mul(-2).exp().mean().log(), "ignores t"),
    # Bonus exercise 1.6: the loss floor with shared captions
    ("Bonus exercise 1.6", lambda k: (lambda c, n, m: np.sum(c * np.log(c)) / n)(*_floor_parts(k)), "halve your value"),
    ("Bonus exercise 1.6", lambda k: (lambda c, n, m: np.sum(c * np.log2(c)) / (2 * n))(*_floor_parts(k)), "nats"),
    (
        "Bonus exercise 1.6",
        lambda k: (lambda c, n, m: np.sum(c * np.log2(c)) / n)(*_floor_parts(k)),
        "log₂ counts bits",
    ),
    (
        "Bonus exercise 1.6",
        lambda k: (lambda c, n, m: np.sum(np.log(c)) / (2 * m))(*_floor_parts(k)),
        "averaged over captions",
    ),
    (
        "Bonus exercise 1.6",
        lambda k: (lambda c, n, m: np.sum(np.log(c)) / (2 * n))(*_floor_parts(k)),
        "weight each caption",
    ),
    ("Bonus exercise 1.6", lambda k: (lambda c, n, m: math.log(n / m) / 2)(*_floor_parts(k)), "shared equally"),
    ("Bonus exercise 1.6", lambda k: 0.0, "cannot reach 0"),
]


def result(part):
    assert part in E.RESULTS, f"no result recorded for {part}"
    return E.RESULTS[part]


@pytest.mark.parametrize("part", CHECKS)
def test_the_lessons_solution_passes_in_strict_mode(part):
    check, name = CHECKS[part]
    E.require_pass(True)
    check(SOLUTIONS[name])
    assert result(part).passed


@pytest.mark.parametrize("part", CHECKS)
def test_unsolved_stub(part):
    check, _ = CHECKS[part]

    def stub(*args, **kwargs):
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


def test_a_crash_is_a_fail_that_quotes_it():
    C.check_clip_loss(lambda x, y, tau: x @ y)  # (6, 5) @ (6, 5): shape error
    assert result("Exercise 1.1").status == E.FAIL and "raised" in result("Exercise 1.1").message


def test_orthogonal_reference_is_the_loss_of_the_batch_and_its_limits():
    # the reference builds the batch; its closed form, derived independently, must agree
    for n, tau in C.ORTHOGONAL_CASES:
        assert C.orthogonal_batch_loss(n, tau) == pytest.approx(math.log(1 + (n - 1) * math.exp(-1 / tau)), rel=1e-9)
    assert C.orthogonal_batch_loss(20, 1e4) == pytest.approx(math.log(20), rel=1e-3)  # τ → ∞: the collapsed value
    assert C.orthogonal_batch_loss(20, 0.01) < 1e-30  # τ → 0: a perfect ranking scores 0


def test_loss_floor_is_reached_and_never_beaten():
    # the floor of Bonus 1.6: a configuration that attains it, and random points that stay above it
    caption = np.repeat(np.arange(3), [2, 3, 1])
    floor = gap_fate.loss_floor(caption)
    texts = torch.eye(3, dtype=torch.float64)
    images = texts[caption]  # each image on its caption: at τ -> 0 the loss reaches the floor
    assert float(gap_fate.shared_caption_loss(images, texts, caption, 1e-3)) == pytest.approx(floor, abs=1e-9)
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        x, y = torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randn(3, 3, generator=g, dtype=torch.float64)
        assert float(gap_fate.shared_caption_loss(x, y, caption, 0.05)) > floor


def test_the_checks_judge_the_reference_loss_not_a_typed_number():
    # a correct implementation other than the lesson's (via log_softmax) passes too
    def via_log_softmax(x, y, tau):
        s = unit(x) @ unit(y).T / tau
        return -(s.log_softmax(1).diagonal().mean() + s.log_softmax(0).diagonal().mean()) / 2

    C.check_clip_loss(via_log_softmax)
    assert result("Exercise 1.1").passed
    assert float(via_log_softmax(torch.eye(4), torch.eye(4), 1.0)) == pytest.approx(
        float(losses.clip_loss(torch.eye(4), torch.eye(4), 1.0))
    )
