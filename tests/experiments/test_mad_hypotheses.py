"""The lesson-04 hypothesis runs (modgap_edu.experiments.mad_hypotheses): producer wiring, the reader's
checks, the table helpers, and one real (tiny) run through ``run``."""

from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from modgap_edu.experiments import mad_hypotheses as H

ROOT = Path(__file__).resolve().parents[2]


def test_main_guard_help_and_make_assets():
    tree = ast.parse((ROOT / "modgap_edu" / "experiments" / "mad_hypotheses.py").read_text())
    assert isinstance(tree.body[-1], ast.If) and "__main__" in ast.unparse(tree.body[-1].test)
    out = subprocess.run(
        [sys.executable, "-m", "modgap_edu.experiments.mad_hypotheses", "--help"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0 and "--out" in out.stdout, out.stderr[-2000:]
    target = re.search(r"^assets:.*?(?=^\S)", (ROOT / "Makefile").read_text(), flags=re.S | re.M).group(0)
    assert "-m modgap_edu.experiments.mad_hypotheses" in target


def _fake(n_seeds=3):
    rng = np.random.default_rng(0)
    runs = []
    for part in ("baseline", "batch"):
        for seed in range(n_seeds):
            for k in H.MODES:
                rec = {"part": part, "k": k, "seed": seed}
                for key in H.REQUIRED:
                    rec[key] = float(rng.uniform(0.1, 0.9))
                rec["zero_shot_by_factor"] = {"digit": rec["zero_shot_digit"], "colors": 0.5}
                runs.append(rec)
    return {"runs": runs}


def test_table_is_the_seed_mean_and_std():
    data = _fake()
    t = H.table(data, "baseline", "zero_shot_digit")
    vals = [r["zero_shot_digit"] for r in data["runs"] if r["part"] == "baseline" and r["k"] == 3]
    assert t[3] == pytest.approx((np.mean(vals), np.std(vals), 3))
    assert H.table(data, "baseline", "zs_colors")[5][0] == pytest.approx(0.5)
    assert set(H.table(data, "longer", "zero_shot_digit")) == set()


def test_reader_rejects_damaged_files(tmp_path):
    good = _fake()
    H.validate_hypotheses(good)
    cases = {
        "no runs": (lambda d: d.update(runs=[]), "no runs"),
        "missing key": (lambda d: d["runs"][0].pop("probe_digit"), "lacks 'probe_digit'"),
        "nan": (lambda d: d["runs"][1].update(moad_image_official=float("nan")), "not finite"),
        "accuracy > 1": (lambda d: d["runs"][2].update(accuracy_all=1.5), "not in"),
    }
    for name, (damage, message) in cases.items():
        bad = copy.deepcopy(good)
        damage(bad)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=message):
            H.load_hypotheses(path)
    with pytest.raises(FileNotFoundError, match="python -m modgap_edu.experiments.mad_hypotheses"):
        H.load_hypotheses(tmp_path / "absent.json")


def test_linear_probe_reads_separable_labels():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, size=400)
    emb = np.eye(4)[labels] * 3 + rng.normal(scale=0.3, size=(400, 4))
    assert H.linear_probe(emb, labels) > 0.95
    assert H.linear_probe(rng.normal(size=(400, 4)), labels) < 0.5


def test_shipped_asset_when_present():
    if not H.asset_path().is_file():
        pytest.skip("assets/lesson04/hypotheses.json not generated yet")
    data = H.load_hypotheses()
    base = H.runs(data, "baseline")
    assert {r["k"] for r in base} <= set(H.MODES) and base
    for r in base:
        # accuracy over all concepts is the mean of the six per-concept accuracies
        assert r["accuracy_all"] == pytest.approx(np.mean(list(r["zero_shot_by_factor"].values())), abs=2e-4)


def test_one_tiny_run(tmp_path, monkeypatch):
    """``run`` end to end on a tiny recipe: one seed, object only and k = 5, the baseline only; then ``resume``."""
    from modgap_edu.models import mad_clip

    monkeypatch.setattr(H, "MODES", (None, 5))
    monkeypatch.setattr(H, "HYPOTHESIS_MODES", (5,))
    monkeypatch.setattr(H, "N_TEST", 300)
    monkeypatch.setitem(mad_clip.MAD_DEFAULTS, "n_train", 256)
    monkeypatch.setitem(mad_clip.MAD_DEFAULTS, "epochs", 1)
    out = tmp_path / "h.json"
    data = H.run(out, seeds=(0,), parts=("baseline",), log=lambda s: None)
    assert json.loads(out.read_text())["runs"] == data["runs"] and len(data["runs"]) == 2
    H.validate_hypotheses(data)
    assert [r["k"] for r in data["runs"]] == [5, None]  # the schedule: hypothesis k first, then the baseline's rest
    rec = data["runs"][0]
    assert set(rec["probe_by_factor"]) == set(rec["zero_shot_by_factor"])
    again = H.run(out, seeds=(0,), parts=("baseline",), log=lambda s: None, resume=True)
    assert again["runs"] == data["runs"]  # resume keeps the finished runs and trains nothing new
