"""modgap_edu.experiments.mad_family: the lesson-05 family of small MAD CLIPs (one real, slow training test)."""
from __future__ import annotations

import pytest
import torch

from modgap_edu.experiments import mad_family


def test_members_are_unique_and_cover_the_axes():
    members = mad_family.members()
    names = [m["name"] for m in members]
    assert len(set(names)) == len(names) == 10
    assert {m["k"] for m in members} == {1, 2, 3, 5}
    assert {m["capacity"] for m in members} == set(mad_family.CAPACITIES)
    assert {m["n_train"] for m in members} == {3000, 12000}


@pytest.mark.slow
def test_train_member_is_reproducible_whatever_ran_before():
    spec = mad_family.member("k5-default-n3000")
    torch.manual_seed(123)
    first = mad_family.train_member(spec, seed=0)
    torch.rand(1000)  # consume the global generator: must not change the model
    second = mad_family.train_member(spec, seed=0)
    for key in ("rmg", "l2m", "moad_image", "zero_shot_attributes"):
        assert first[key] == pytest.approx(second[key], abs=1e-6)
    assert 0 < first["rmg"] <= 1 and first["parameters"] > 0
