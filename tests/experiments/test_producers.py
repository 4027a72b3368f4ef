"""Every asset producer in modgap_edu.experiments: main() before ``__main__``, runnable with ``python -m``,
listed in ``make assets``, and its reader validates what it reads (issue 10)."""

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

from modgap_edu.experiments import init_vs_opt, mad_family, mad_sweep, random_init_cones

ROOT = Path(__file__).resolve().parents[2]
PRODUCERS = ("init_vs_opt", "random_init_cones", "mad_sweep", "mad_family")


@pytest.mark.parametrize("name", PRODUCERS)
def test_main_is_defined_before_the_main_guard(name):
    tree = ast.parse((ROOT / "modgap_edu" / "experiments" / f"{name}.py").read_text())
    body = tree.body
    guard = [i for i, node in enumerate(body) if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)]
    assert len(guard) == 1 and guard[0] == len(body) - 1, "the __main__ guard must be the module's last statement"
    assert "main(" in ast.unparse(body[-1])
    assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in body)


@pytest.mark.parametrize("name", PRODUCERS)
def test_runs_as_a_module(name):
    out = subprocess.run(
        [sys.executable, "-m", f"modgap_edu.experiments.{name}", "--help"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "usage:" in out.stdout and "--out" in out.stdout


def test_make_assets_lists_every_producer():
    text = (ROOT / "Makefile").read_text()
    target = re.search(r"^assets:.*?(?=^\S)", text, flags=re.S | re.M).group(0)
    mad_sweep_target = re.search(r"^mad-sweep:.*?(?=^\S|\Z)", text, flags=re.S | re.M).group(0)
    listed = target + (mad_sweep_target if "$(MAKE) mad-sweep" in target else "")
    for name in PRODUCERS:
        assert f"-m modgap_edu.experiments.{name}" in listed, name


# ---------------------------------------------------------------- readers validate


def test_init_vs_opt_reader_rejects_damaged_files(tmp_path):
    doc = init_vs_opt.load_asset()
    cases = {
        "no results": lambda d: d.pop("results"),
        "short curve": lambda d: d["results"][0]["gap_per_epoch"].pop(),
        "variant": lambda d: d["results"][0].update(variant="fixed"),
        "nan": lambda d: d["results"][1].update(gap_trained=float("nan")),
        "stale summary": lambda d: d["summary"]["original.gap_init"].update(mean=9.0),
    }
    messages = {
        "no results": "lacks 'results'",
        "short curve": "gap_per_epoch must list",
        "variant": "variant must be",
        "nan": "non-finite",
        "stale summary": "does not match the results",
    }
    for case, damage in cases.items():
        bad = copy.deepcopy(doc)
        damage(bad)
        path = tmp_path / f"{case}.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=messages[case]):
            init_vs_opt.load_asset(path)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        init_vs_opt.load_asset(tmp_path / "broken.json")
    with pytest.raises(ValueError, match="python -m modgap_edu.experiments.init_vs_opt"):
        init_vs_opt.load_asset(tmp_path / "missing.json")


def test_init_vs_opt_main_writes_a_file_its_reader_accepts(tmp_path):
    out = tmp_path / "ivo.json"
    assert init_vs_opt.main(["--seeds", "0", "--epochs", "2", "--out", str(out)]) == 0
    doc = init_vs_opt.load_asset(out)
    assert {r["variant"] for r in doc["results"]} == {"original", "amended"}
    assert all(len(r["gap_per_epoch"]) == 2 for r in doc["results"])


def test_family_reader_rejects_damaged_files(tmp_path):
    doc = json.loads(mad_family.ASSET.read_text())
    assert len(mad_family.load_family()) == len(doc["models"])
    for damage, match in (
        (lambda d: d["models"][0].update(name="k9-huge"), "unknown family member"),
        (lambda d: d["models"][1].update(rmg=float("nan")), "rmg is missing or not a finite"),
        (lambda d: d["models"][2].update(k=4), "k is 4"),
        (lambda d: d.update(models=[]), "no 'models' list"),
    ):
        bad = copy.deepcopy(doc)
        damage(bad)
        path = tmp_path / "family.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=match):
            mad_family.load_family(path)


def test_cones_reader_rejects_damaged_files(tmp_path):
    cones = random_init_cones.load()
    meta = json.dumps(cones["meta"])
    path = tmp_path / "cones.npz"
    np.savez(path, image=cones["image"] * 2, text=cones["text"], meta=np.asarray(meta))
    with pytest.raises(ValueError, match="not unit vectors"):
        random_init_cones.load(path)
    np.savez(path, image=cones["image"][:, :3], text=cones["text"], meta=np.asarray(meta))
    with pytest.raises(ValueError, match="must both be"):
        random_init_cones.load(path)
    np.savez(path, image=cones["image"], meta=np.asarray(meta))
    with pytest.raises(ValueError, match="lacks the arrays"):
        random_init_cones.load(path)
    np.savez(path, image=cones["image"], text=cones["text"], meta=np.array([object()], dtype=object))
    with pytest.raises(ValueError):  # pickled objects are refused (allow_pickle=False)
        random_init_cones.load(path)


def test_sweep_reader_rejects_a_damaged_file(tmp_path):
    data = mad_sweep.load_sweep()
    bad = copy.deepcopy(data)
    bad["runs"][0].pop("rmg")
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="lacks 'rmg'"):
        mad_sweep.load_sweep(path)
