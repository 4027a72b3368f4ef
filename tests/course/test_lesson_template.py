"""The instructors' template lesson (docs/lesson_template.py) is a working lesson.

It is copied into a temporary course tree, both forms are built with the real
generator (tools/build_lessons.py) and executed with nbclient: the student form
runs to the end with its exercise stub raising NotImplementedError and the check
saying "not solved yet"; the solution form runs with ``require_pass()`` on, so
its check must pass.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "lesson_template.py"


def load_build_lessons():
    spec = importlib.util.spec_from_file_location("build_lessons_for_template", ROOT / "tools" / "build_lessons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary course root with the template as its only source, and the built forms."""
    root = tmp_path_factory.mktemp("course")
    (root / "sources").mkdir()
    source = root / "sources" / "90_template_lesson.py"
    shutil.copy(TEMPLATE, source)
    bl = load_build_lessons()
    bl.ROOT, bl.SOURCES = root, root / "sources"
    bl.FORMS = {"student": root / "lessons", "solution": root / "solutions"}
    assert bl.all_sources() == [source]
    assert bl.main([]) == 0
    assert bl.stale_files() == [], "the generator's own check must accept what it just wrote"
    return root, bl


def tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def test_template_follows_the_lesson_conventions(course):
    root, bl = course
    student = bl.build_form(root / "sources" / "90_template_lesson.py", "student")
    solution = bl.build_form(root / "sources" / "90_template_lesson.py", "solution")
    stubs = [c for c in student.cells if "raises-exception" in tags(c)]
    assert stubs and all('raise NotImplementedError("Exercise' in c.source for c in stubs)
    assert not any("require_pass()" in c.source for c in student.cells), "require_pass is solution-only"
    assert not any("raises-exception" in tags(c) for c in solution.cells)
    assert any("require_pass()" in c.source for c in solution.cells)
    widget_cells = [c for c in solution.cells if c.cell_type == "code" and "demo(" in c.source]
    assert widget_cells and all(c.source.splitlines()[0] == "# NBVAL_IGNORE_OUTPUT" for c in widget_cells)
    markdown = "\n".join(c.source for c in solution.cells if c.cell_type == "markdown")
    for needed in (
        "## Objectives",
        "<details><summary>Answer</summary>",
        "Paper vs. your run",
        "## Summary",
        "## Further reading",
        "mybinder.org",
    ):
        assert needed in markdown, f"template lacks '{needed}'"


def execute(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    return nb


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") + str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def errors(nb) -> list[tuple[int, str, list[str]]]:
    return [
        (i, out.ename, tags(cell))
        for i, cell in enumerate(nb.cells)
        for out in cell.get("outputs", [])
        if out.output_type == "error"
    ]


@pytest.mark.parametrize("form", ["lessons", "solutions"])
def test_both_forms_pass_as_pairs_and_execute(course, form, monkeypatch):
    root, _ = course
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute(root / form / "90_template_lesson.ipynb")
    text = outputs_text(nb)
    errs = errors(nb)
    if form == "solutions":
        assert errs == [], f"solution form raised: {errs}"
        assert "✅ PASS — Exercise 1.1" in text
    else:
        assert errs and all(name == "NotImplementedError" and "raises-exception" in t for _, name, t in errs), errs
        assert "⏳ not solved yet — Exercise 1.1" in text
    assert "CLIP initial τ" in text, "the lesson must run to its last section"
    demo_cells = [c for c in nb.cells if c.cell_type == "code" and "demo(" in c.source]
    assert demo_cells and all(
        any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in c.outputs) for c in demo_cells
    ), "the demo cell must display a widget"
    assert cell_images(nb) == 1, "only the static fallback draws into the cell outputs"
    # the demo draws into one Image widget; no Output widget (headless clients stall on it, issue 14 §3)
    assert widget_models(nb, "OutputModel") == [], "the demo must not use an Output widget"
    images = widget_models(nb, "ImageModel")
    assert len(images) == 1 and images[0].get("format") == "png", f"the demo shows one PNG Image widget: {images}"


def cell_images(nb) -> int:
    return sum("image/png" in out.get("data", {}) for c in nb.cells for out in c.get("outputs", []))


def widget_models(nb, model_name: str) -> list[dict]:
    """The saved state of every widget model of this kind (``ImageModel``, ``OutputModel``) in the notebook."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [model.get("state", {}) for model in state.values() if model.get("model_name") == model_name]
