"""experiments.fixed_tau_finetune: the shipped record and its cheap live member."""

import pytest

from modgap_edu.experiments import fixed_tau_finetune as F


def test_asset_covers_every_tau_with_two_seeds_and_both_arms():
    doc = F.load_asset()
    for learnable in (False, True):
        rows = F.table(doc, learnable)
        assert [r["tau"] for r in rows] == sorted(F.TAUS)
        assert all(r["n"] >= 2 for r in rows)
    frozen = [m for m in doc["members"] if not m["learnable"]]
    assert all(m["tau_final"] == pytest.approx(m["tau"], rel=1e-6) for m in frozen)  # frozen really is fixed


def test_live_member_reproduces_its_record():
    doc = F.load_asset()
    rec = [m for m in doc["members"] if m["seed"] == 0 and m["tau"] == 1.0 and not m["learnable"]][0]
    live = F.run_member(0, 1.0)
    assert live.gap == pytest.approx(rec["gap"], abs=1e-4)
    assert live.i2t_r1 == pytest.approx(rec["i2t_r1"], abs=0.01)


def test_bad_arguments():
    with pytest.raises(ValueError, match="tau"):
        F.run_members(0, [0.0])
    with pytest.raises(ValueError, match="epochs"):
        F.run_members(0, [1.0], epochs=0)
