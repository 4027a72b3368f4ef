"""The solution forms also pass on the offline fallback (no real CLIP features, no network).

`make test` seeds the data cache with Liang et al.'s real features, so nbval only ever runs the
"REAL" branch of lessons 01, 02, 03 and 05. A learner offline with an empty cache gets the course's
own models instead; every check of the solution form must still pass there (``require_pass``
makes a failing check raise). Each notebook runs once in a fresh kernel with an empty
``MODGAP_DATA_DIR``, offline, widgets static, through ``tools/budget.py``'s runner (which also
reports its time and memory).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS_WITH_REAL_DATA = sorted(
    p
    for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")
    if "real_or_" in (ROOT / "sources" / (p.stem + ".py")).read_text()
)


def load_budget():
    spec = importlib.util.spec_from_file_location("budget_for_fallback", ROOT / "tools" / "budget.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_lessons_with_real_data_are_found():
    assert {p.stem[:2] for p in LESSONS_WITH_REAL_DATA} >= {"01", "02", "03", "05"}


@pytest.mark.parametrize("notebook", LESSONS_WITH_REAL_DATA, ids=lambda p: p.stem)
def test_solution_passes_on_fallback_features(notebook, tmp_path, monkeypatch):
    empty = tmp_path / "no_data"
    empty.mkdir()
    monkeypatch.setenv("MODGAP_DATA_DIR", str(empty))
    monkeypatch.setenv("MODGAP_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MODGAP_WIDGETS", "static")
    budget = load_budget()
    result = budget.run_one(notebook, tmp_path / "run", timeout=300, interval=0.2)
    print(f"{notebook.name} on fallback data: {result.wall_s:.1f} s, peak {result.peak_mb:.0f} MB")
    assert not result.error, f"{notebook.name} fails on the offline fallback: {result.error}"
    executed = nbformat.read(tmp_path / "run" / "solutions" / notebook.name, as_version=4)
    text = "\n".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "FALLBACK" in text or "fallback" in text, "the lesson must say that it shows fallback embeddings"
    assert "REAL:" not in text, "with an empty cache and offline, nothing may claim to be the real features"
