"""modgap_edu.experiments.mad_family: the lesson-05 family of small MAD CLIPs (slow: real training)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from modgap_edu.experiments import mad_family

MEMBER = mad_family.LIVE_MEMBER  # the member lesson 05 retrains live
BIG = max(mad_family.N_TRAINS)


def test_members_are_a_full_factorial_of_the_confounders():
    members = mad_family.members()
    names = [m["name"] for m in members]
    assert len(set(names)) == len(names) == 24
    assert {m["k"] for m in members} == set(mad_family.KS)
    assert {m["width"] for m in members} == set(mad_family.WIDTHS)
    assert {m["embed_dim"] for m in members} == set(mad_family.EMBED_DIMS)
    assert {m["n_train"] for m in members} == set(mad_family.N_TRAINS)
    axes = ("k",) + tuple(mad_family.CONFOUNDERS.values())
    for axis in axes:  # every factor varies inside every group of equal other factors
        others = [a for a in axes if a != axis]
        groups = {}
        for m in members:
            groups.setdefault(tuple(m[a] for a in others), set()).add(m[axis])
        assert all(len(levels) >= 2 for levels in groups.values()), axis
    assert MEMBER in names


def synthetic_family(sign_within: float = -1.0):
    """A family whose gap and performance both grow with n_train and width (the confounders), while within every
    setting of the confounders a larger gap goes with *worse* performance (sign_within < 0)."""
    rng = np.random.default_rng(0)
    recs = []
    for m in mad_family.members():
        boost = 0.2 * (m["n_train"] == BIG) + 0.1 * (m["width"] == "default") + 0.05 * (m["embed_dim"] == 32)
        gap = 0.2 + boost + 0.03 * m["k"] + 0.001 * rng.standard_normal()
        perf = 0.4 + boost + sign_within * 0.01 * m["k"] + 0.001 * rng.standard_normal()
        moad = 0.5 - 0.1 * (m["n_train"] == BIG) * (m["k"] != 5) + 0.05 * (m["k"] == 5) * (m["n_train"] == BIG)
        recs.append({**m, "rmg": gap, "zero_shot_attributes": perf, "moad_image": moad})
    return recs


def test_controlled_taus_undo_a_planted_confounder():
    rows = {r["control"]: r for r in mad_family.controlled_taus(synthetic_family(), n_resamples=199)}
    assert rows["none (raw)"]["tau"] > 0.3  # the confounders make the raw tau positive
    allthree = rows["all three confounders"]
    assert allthree["tau"] == pytest.approx(-1.0)  # inside every setting only k varies: planted negative
    assert len(allthree["per_group"]) == 8 and set(allthree["group_sizes"].values()) == {3}
    assert allthree["n_pairs"] == 8 * 3 and allthree["p"] < 0.01
    for label, key in mad_family.CONFOUNDERS.items():
        row = rows[label]
        assert row["keys"] == (key,) and len(row["per_group"]) == 2 and row["n_pairs"] == 2 * 66
        assert row["tau"] < rows["none (raw)"]["tau"]  # holding one confounder fixed removes part of its push
        assert np.isfinite(row["partial"])
    assert sum(rows["dataset size"]["group_sizes"].values()) == 24  # every model counts, every group is listed


def test_controlled_taus_see_a_positive_within_trend_too():
    rows = {r["control"]: r for r in mad_family.controlled_taus(synthetic_family(+1.0), n_resamples=99)}
    assert rows["all three confounders"]["tau"] == pytest.approx(1.0)


def test_data_size_pairs():
    pairs = mad_family.data_size_pairs(synthetic_family())
    assert len(pairs) == 12
    assert all(p["small_n"] == 3000 and p["large_n"] == BIG for p in pairs)
    for p in pairs:
        expected = 0.05 if p["setting"].startswith("k=5") else -0.1
        assert p["change"] == pytest.approx(expected) and p["large"] - p["small"] == pytest.approx(p["change"])
    with pytest.raises(ValueError, match="single training-set size"):
        mad_family.data_size_pairs([r for r in synthetic_family() if r["n_train"] == 3000])


@pytest.mark.parametrize(
    "records, match",
    [([], "at least 3"), ("family", "at least 3"), ([{"rmg": 1.0}] * 3, "needs the keys"), ([1, 2, 3], "needs")],
)
def test_readers_reject_bad_records(records, match):
    with pytest.raises(ValueError, match=match):
        mad_family.controlled_taus(records, n_resamples=9)


def test_shipped_family_is_complete_and_every_pair_is_matched():
    family = mad_family.load_family()
    if len(family) < len(mad_family.members()):
        pytest.skip("family.json is being regenerated")
    assert [r["name"] for r in family] == [m["name"] for m in mad_family.members()]
    assert len(mad_family.data_size_pairs(family)) == 12
    for r in family:
        assert 0 < r["rmg"] <= 1 and 0 <= r["zero_shot_attributes"] <= 1
        assert 0 <= r["alignment"] <= 4 and r["uniformity_image"] <= 0 and 0 < r["top2_gap_share"] <= 1
    small = [r["parameters"] for r in family if r["width"] == "small"]
    default = [r["parameters"] for r in family if r["width"] == "default"]
    assert max(small) < min(default)  # width is the model-size confounder


@pytest.fixture(scope="module")
def retrained():
    torch.manual_seed(123)
    return mad_family.train_member(mad_family.member(MEMBER), seed=0)


@pytest.mark.slow
def test_train_member_is_reproducible_whatever_ran_before(retrained):
    torch.rand(1000)  # consume the global generator and change the thread count: must not change the model
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        second = mad_family.train_member(mad_family.member(MEMBER), seed=0)
    finally:
        torch.set_num_threads(before)
    for key in mad_family.METRICS + mad_family.MECHANISM + mad_family.RECORD_EXTRAS:
        assert retrained[key] == second[key], key  # bit for bit: FAMILY_THREADS fixes the summation order
    assert 0 < retrained["rmg"] <= 1 and retrained["parameters"] > 0


@pytest.mark.slow
def test_retrained_member_is_close_to_its_shipped_record(retrained):
    """The shipped record may have been made on another machine: float rounding differs between CPU kinds (see
    the report of issue 14), so this compares to a tolerance well below the family's spread, not bit for bit."""
    stored = next((r for r in mad_family.load_family() if r["name"] == MEMBER), None)
    if stored is None:
        pytest.skip("family.json is being regenerated")
    assert retrained["parameters"] == stored["parameters"] and retrained["source"] == stored["source"]
    for key, tol in itertools.chain(
        ((k, 0.01) for k in ("rmg", "l2m", "moad_image", "moad_text", "l2i", "alignment", "accuracy_all")),
        (("zero_shot_digit", 0.01), ("zero_shot_color", 0.01), ("temperature", 0.001)),
    ):
        assert retrained[key] == pytest.approx(stored[key], abs=tol), key
