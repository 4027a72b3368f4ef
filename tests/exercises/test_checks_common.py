"""The check machinery and lesson 01's checks: PASS, FAIL with the right hint, not solved, strict mode."""

from __future__ import annotations

import pytest
import torch

from modgap_edu import exercises
from modgap_edu.exercises import lesson01 as L1


@pytest.fixture(autouse=True)
def lenient():
    exercises.require_pass(False)
    yield
    exercises.require_pass(False)


def status(name):
    return exercises.RESULTS[name].status


def test_run_check_statuses(capsys):
    exercises.run_check("T.1", lambda: 2, lambda v: None if v == 2 else "wrong")
    exercises.run_check("T.2", lambda: 3, lambda v: None if v == 2 else "expected 2")
    exercises.run_check("T.3", lambda: (_ for _ in ()).throw(NotImplementedError("Exercise T.3")), lambda v: None)
    exercises.run_check("T.4", lambda: 1 / 0, lambda v: None)
    out = capsys.readouterr().out
    assert [status(f"T.{i}") for i in range(1, 5)] == ["PASS", "FAIL", "NOT SOLVED", "FAIL"]
    assert "expected 2" in out and "ZeroDivisionError" in out and "not solved yet" in out


def test_strict_mode_raises_on_fail_and_unsolved():
    exercises.require_pass()
    exercises.run_check("S.1", lambda: 1, lambda v: None)
    with pytest.raises(exercises.ExerciseCheckFailed, match="S.2"):
        exercises.run_check("S.2", lambda: 1, lambda v: "no")
    with pytest.raises(exercises.ExerciseCheckFailed):
        exercises.run_check("S.3", lambda: (_ for _ in ()).throw(NotImplementedError()), lambda v: None)


def unit(t):
    return t / t.norm(dim=1, keepdim=True)


def clip_both(x, y, tau):
    ce = torch.nn.functional.cross_entropy
    logits = unit(x) @ unit(y).T / tau
    labels = torch.arange(len(x))
    return (ce(logits, labels) + ce(logits.T, labels)) / 2


def clip_one_way(x, y, tau):
    return torch.nn.functional.cross_entropy(unit(x) @ unit(y).T / tau, torch.arange(len(x)))


def clip_raw(x, y, tau):
    ce = torch.nn.functional.cross_entropy
    logits = x @ y.T / tau
    labels = torch.arange(len(x))
    return (ce(logits, labels) + ce(logits.T, labels)) / 2


@pytest.mark.parametrize(
    "fn, expected, hint",
    [
        (clip_both, "PASS", ""),
        (clip_one_way, "FAIL", "one direction"),
        (clip_raw, "FAIL", "normalize"),
        (lambda x, y, tau: clip_both(x, y, 1 / tau), "FAIL", "divide"),
    ],
)
def test_clip_check_hints(fn, expected, hint, capsys):
    L1.check_clip_loss(fn)
    assert status("Exercise 1.1 (CLIP loss)") == expected
    assert hint in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, expected, hint",
    [
        (lambda x, y, alpha=2: (unit(x) - unit(y)).norm(dim=1).pow(alpha).mean(), "PASS", ""),
        (lambda x, y, alpha=2: (x - y).norm(dim=1).pow(alpha).mean(), "FAIL", "normalize"),
        (lambda x, y, alpha=2: (unit(x) - unit(y)).norm(dim=1).mean(), "FAIL", "power"),
    ],
)
def test_align_check_hints(fn, expected, hint, capsys):
    L1.check_align_loss(fn)
    assert status("Exercise 3.1 (alignment)") == expected
    assert hint in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, expected, hint",
    [
        (lambda x, t=2: torch.pdist(unit(x)).pow(2).mul(-t).exp().mean().log(), "PASS", ""),
        (lambda x, t=2: torch.cdist(unit(x), unit(x)).pow(2).mul(-t).exp().mean().log(), "FAIL", "i < j"),
        (lambda x, t=2: torch.pdist(unit(x)).mul(-t).exp().mean().log(), "FAIL", "square"),
        (lambda x, t=2: torch.pdist(unit(x)).pow(2).mul(-t).exp().mean(), "FAIL", "log"),
    ],
)
def test_uniform_check_hints(fn, expected, hint, capsys):
    L1.check_uniform_loss(fn)
    assert status("Exercise 3.2 (uniformity)") == expected
    assert hint in capsys.readouterr().out


def test_unsolved_stub_reports_not_solved(capsys):
    def stub(x, y, tau):
        raise NotImplementedError("Exercise 1.1: write the CLIP loss")

    L1.check_clip_loss(stub)
    assert status("Exercise 1.1 (CLIP loss)") == "NOT SOLVED"
