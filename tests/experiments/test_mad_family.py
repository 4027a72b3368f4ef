"""modgap_edu.experiments.mad_family: the lesson-05 family of small MAD CLIPs (slow: real training)."""

from __future__ import annotations

import pytest
import torch

from modgap_edu.experiments import mad_family

MEMBER = "k5-default-n3000"


def test_members_are_unique_and_cover_the_axes():
    members = mad_family.members()
    names = [m["name"] for m in members]
    assert len(set(names)) == len(names) == 10
    assert {m["k"] for m in members} == {1, 2, 3, 5}
    assert {m["capacity"] for m in members} == set(mad_family.CAPACITIES)
    assert {m["n_train"] for m in members} == {3000, 12000}


@pytest.fixture(scope="module")
def retrained():
    torch.manual_seed(123)
    return mad_family.train_member(mad_family.member(MEMBER), seed=0)


@pytest.mark.slow
def test_train_member_is_reproducible_whatever_ran_before(retrained):
    torch.rand(1000)  # consume the global generator and change the thread count: must not change the model
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        second = mad_family.train_member(mad_family.member(MEMBER), seed=0)
    finally:
        torch.set_num_threads(before)
    for key in mad_family.METRICS + mad_family.RECORD_EXTRAS:
        assert retrained[key] == second[key], key  # bit for bit: the thread policy fixes the summation order
    assert 0 < retrained["rmg"] <= 1 and retrained["parameters"] > 0


@pytest.mark.slow
def test_retrained_member_is_close_to_its_shipped_record(retrained):
    """The shipped record was made on another machine: float rounding differs between CPU kinds (see the
    report of issue 14), so this compares to a tolerance well below the family's spread, not bit for bit."""
    stored = next(r for r in mad_family.load_family() if r["name"] == MEMBER)
    assert retrained["parameters"] == stored["parameters"] and retrained["source"] == stored["source"]
    for key, tol in (
        ("rmg", 0.01),
        ("l2m", 0.01),
        ("moad_image", 0.01),
        ("moad_text", 0.01),
        ("l2i", 0.01),
        ("zero_shot_digit", 0.01),
        ("zero_shot_color", 0.01),
        ("temperature", 0.001),
    ):
        assert retrained[key] == pytest.approx(stored[key], abs=tol), key
