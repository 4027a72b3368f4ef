"""The shipped MAD sweep's mechanism records (lesson 04 §3, the mechanism): scalars, per-epoch histories,
the large-gap start, and the partial-regeneration bookkeeping of ``mad_sweep``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from modgap_edu.experiments import mad_sweep as S


@pytest.fixture(scope="module")
def sweep():
    return S.load_sweep()


def test_every_fresh_run_has_the_mechanism_scalars(sweep):
    fresh = [r for r in sweep["runs"] if "kept_from" not in r]
    assert {r["kind"] for r in fresh} >= {"sweep", "large_gap_init"}
    for r in fresh:
        assert 0 <= r["alignment"] <= 4
        assert r["uniformity_image"] <= 0 and r["uniformity_text"] <= 0
        assert 2 / 32 <= r["top2_gap_share"] <= 1
        zs = r["zero_shot_by_factor"]
        assert len(zs) == 6 and r["accuracy_all"] == pytest.approx(np.mean(list(zs.values())), abs=2e-4)


def test_mechanism_histories_cover_epochs_and_end_at_the_evaluation(sweep):
    for k in S.PROBE_MODES:
        (r,) = [x for x in S.runs(sweep, "sweep", k=k, seed=0, main_object="digit")]
        h = r["mechanism_history"]
        assert [e["epoch"] for e in h] == list(range(sweep["defaults"]["epochs"] + 1))
        for e in h:
            assert e["loss_total"] == pytest.approx(e["loss_matched"] + e["loss_logsumexp"], abs=3e-4)
        # the probe's test split is evaluate_mad's (2,000 images, seed 0): the last epoch is the run's evaluation
        for key in ("rmg", "alignment", "uniformity_image", "uniformity_text", "top2_gap_share"):
            assert h[-1][key] == pytest.approx(r[key], abs=2e-4), key
        assert r["history"][-1]["epoch"] == h[-1]["epoch"] and "loss_matched" not in r["history"][-1]


def test_large_gap_start_opens_the_gap(sweep):
    big = {r["k"]: r for r in S.runs(sweep, "large_gap_init")}
    assert set(big) == {5, None}
    for k, r in big.items():
        (plain,) = S.runs(sweep, "sweep", k=k, seed=0, main_object="digit")
        assert r["text_offset"] == S.LARGE_GAP_OFFSET
        assert r["mechanism_history"][0]["l2m"] > plain["mechanism_history"][0]["l2m"]


def test_validation_checks_histories_and_mechanism_scalars(sweep):
    bad = copy.deepcopy(sweep)
    r = next(x for x in bad["runs"] if "mechanism_history" in x)
    del r["mechanism_history"][2]["loss_matched"]
    with pytest.raises(ValueError, match="mechanism_history"):
        S.validate_sweep(bad)
    bad = copy.deepcopy(sweep)
    r = next(x for x in bad["runs"] if x["kind"] == "sweep")
    del r["alignment"]
    with pytest.raises(ValueError, match="alignment"):
        S.validate_sweep(bad)
    r["kept_from"] = "earlier"  # a kept run from an older file may predate the mechanism scalars
    S.validate_sweep(bad)


def test_keep_parts_copies_only_the_parts_not_run():
    new = {"runs": [{"kind": "sweep", "k": 1}]}
    old = {"created": "then", "runs": [{"kind": "sweep", "k": 2}, {"kind": "presence", "k": 1}]}
    S.keep_parts(new, old, parts=("sweep",))
    assert [(r["kind"], r.get("kept_from")) for r in new["runs"]] == [("sweep", None), ("presence", "then")]
    assert new["kept"] == {"from": "then", "kinds": ["presence"]}
