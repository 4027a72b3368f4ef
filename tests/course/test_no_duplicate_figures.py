"""No figure is shown twice in a lesson (issue 13 §2).

Each solution notebook is executed in a fresh kernel of this environment with nbclient and real widgets
(not ``MODGAP_WIDGETS=static``); nbclient routes the demos' Output-widget messages into the widget state as
JupyterLab does. Then no two ``image/png`` outputs of the notebook's cells are identical, every demo cell
shows its figure exactly once (the ``image/png`` fallback in the widget's display data) and every demo's
Output widget holds exactly one figure.

Slow (the five lessons take several minutes on 2 cores): ``pytest -m slow tests/course/test_no_duplicate_figures.py``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.slow


def execute(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    # the venv's "python3" kernelspec starts "python", which jupyter_client replaces by sys.executable: this venv
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=True,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def cell_images(nb) -> list[tuple[int, str]]:
    """(cell index, sha1) of every image/png in the cells' outputs."""
    return [(i, hashlib.sha1(out["data"]["image/png"].encode()).hexdigest())
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]


def duplicates(images: list[tuple[int, str]]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for i, digest in images:
        seen.setdefault(digest, []).append(i)
    return {d: cells for d, cells in seen.items() if len(cells) > 1}


def test_duplicates_are_found():
    assert duplicates([(1, "a"), (2, "b"), (5, "a")]) == {"a": [1, 5]}
    assert duplicates([(1, "a"), (2, "b")]) == {}


def output_widget_images(nb) -> list[int]:
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [sum("image/png" in o.get("data", {}) for o in m["state"].get("outputs", []))
            for m in state.values() if m.get("model_name") == "OutputModel"]


@pytest.mark.parametrize("notebook", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_no_solution_notebook_shows_a_figure_twice(notebook, monkeypatch):
    monkeypatch.delenv("MODGAP_WIDGETS", raising=False)  # real widgets, as in JupyterLab and nbval
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute(notebook)
    images = cell_images(nb)
    assert images, f"{notebook.name} shows no figure at all"
    dup = duplicates(images)
    assert not dup, f"{notebook.name}: identical figures in cells {list(dup.values())}"
    demo_cells = [c for c in nb.cells if c.cell_type == "code" and "demo(" in c.source]
    for c in demo_cells:
        views = [o for o in c.outputs if WIDGET_VIEW in o.get("data", {})]
        pngs = [o for o in c.outputs if "image/png" in o.get("data", {})]
        assert len(views) == 1 and len(pngs) == 1 and pngs[0] is views[0], (
            f"{notebook.name}: a demo cell must show one widget whose display data carries the figure, "
            f"got {len(views)} widget(s) and {len(pngs)} figure(s): {c.source[:80]!r}")
    assert sorted(output_widget_images(nb)) == [1] * len(demo_cells), \
        "every demo's Output widget shows exactly one figure"
