"""experiments.init_vs_opt: the paper's optimizer recipe beside the course's."""

import pytest

from modgap_edu.experiments import init_vs_opt as iv


def test_paper_recipe_optimizer_is_liangs_adam():
    model = iv.build_model(14, seed=0)
    opt = iv._optimizer(model, "paper")
    g = opt.param_groups[0]
    assert (g["lr"], g["betas"], g["eps"], g["weight_decay"]) == (1e-5, (0.9, 0.98), 1e-6, 0.2)
    assert iv._optimizer(model, "course").param_groups[0]["weight_decay"] == 0.0
    with pytest.raises(ValueError, match="recipe"):
        iv._optimizer(model, "adamw")
    with pytest.raises(ValueError, match="recipe"):
        iv.run(0, "original", 1, recipe="nope")


def test_paper_recipe_asset_has_three_seeds_per_variant_and_reruns():
    doc = iv.load_asset(iv.PAPER_RECIPE_ASSET)
    assert doc["recipe"]["name"] == "paper" and doc["recipe"]["lr"] == 1e-5
    for v in ("original", "amended"):
        assert len({r["seed"] for r in doc["results"] if r["variant"] == v}) >= 3
        assert doc["summary"][f"{v}.gap_epoch_5"]["n"] >= 3
    rec = [r for r in doc["results"] if r["seed"] == 0 and r["variant"] == "amended"][0]
    live = iv.run(0, "amended", 5, recipe="paper")
    assert live.gap_per_epoch == pytest.approx(rec["gap_per_epoch"][:5], abs=2e-5)
