"""Lesson 01 exercise checks: the lesson's own solutions pass, stubs say "not solved", mistakes get their hint."""

from __future__ import annotations

import build_lessons  # tools/ (pytest pythonpath): runs the lesson's solution cells
import pytest
import torch

from modgap_edu import exercises as E
from modgap_edu.exercises import lesson01 as C

SOLUTIONS = build_lessons.solution_namespace("01")  # the cells tagged `solution` of sources/01_*.py
CHECKS = {
    "Exercise 1.1": (C.check_clip_loss, "my_clip_loss"),
    "Exercise 3.1": (C.check_align_loss, "my_align_loss"),
    "Exercise 3.2": (C.check_uniform_loss, "my_uniform_loss"),
}


@pytest.fixture(autouse=True)
def lenient():
    E.require_pass(False)
    yield
    E.require_pass(False)


def result(part):
    hits = [r for k, r in E.RESULTS.items() if k.startswith(part)]
    assert hits, f"no result recorded for {part}"
    return hits[-1]


def unit(t):
    return t / t.norm(dim=1, keepdim=True)


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


def one_direction(x, y, tau):
    logits = unit(x) @ unit(y).T / tau
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(x)))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (one_direction, "one direction"),
        (lambda x, y, tau: 2 * SOLUTIONS["my_clip_loss"](x, y, tau), "summed"),
        (lambda x, y, tau: SOLUTIONS["my_clip_loss"](x, y, 1 / tau), "multiplied"),
    ],
)
def test_clip_loss_mistakes(wrong, hint):
    C.check_clip_loss(wrong)
    r = result("Exercise 1.1")
    assert r.status == E.FAIL and hint in r.message


def test_alignment_and_uniformity_mistakes():
    C.check_align_loss(lambda x, y, alpha=2: (unit(x) - unit(y)).norm(dim=1).mean())
    assert "power alpha" in result("Exercise 3.1").message
    C.check_uniform_loss(lambda x, t=2: torch.pdist(unit(x)).pow(2).mul(-t).exp().mean())
    assert "log of the mean" in result("Exercise 3.2").message
