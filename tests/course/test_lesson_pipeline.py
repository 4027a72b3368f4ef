"""The single-source lesson pipeline: generated forms are current, pairs in sync, conventions kept."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import build_lessons  # noqa: E402

SOURCES = build_lessons.all_sources()
PAIRS = [(form, src.stem) for src in SOURCES for form in ("lessons", "solutions")]


def cells(nb):
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", []))) for c in nb.cells]


def test_there_are_lessons():
    assert any(s.name.startswith("01_") for s in SOURCES)


def test_generated_forms_are_current():
    assert build_lessons.stale_files() == [], "run `make lessons`"


@pytest.mark.parametrize("form, stem", PAIRS)
def test_pair_in_sync_and_without_outputs(form, stem):
    py = jupytext.read(ROOT / form / f"{stem}.py")
    ipynb = nbformat.read(ROOT / form / f"{stem}.ipynb", as_version=4)
    assert cells(py) == cells(ipynb)
    for c in ipynb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
    assert "widgets" not in ipynb.metadata
    assert ipynb.metadata["jupytext"]["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_source_conventions(source):
    nb = jupytext.read(source)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
    assert any("solution" in t and "require_pass()" in c.source for t, c in zip(tags, nb.cells)), (
        "the solution form must call require_pass() (tag a cell 'solution')"
    )
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"Objectives", text) and re.search(r"\d+ min", text), "objectives with time estimates"
    assert "<details>" in text, "at least one question with a hidden answer"
    assert re.search(r"## Summary", text) and re.search(r"Further reading", text)
    for i, cell in enumerate(nb.cells):
        if "exercise" in tags[i]:
            assert re.search(r'NotImplementedError\("(Bonus e|E)xercise [\d.]+', cell.source), cell.source[:80]
            assert "solution" in tags[i + 1], f"exercise cell {i} must be followed by its solution cell"
            after = nb.cells[i + 2].source
            assert re.search(r"check_\w+\(|run_check\(", after), f"solution cell {i + 1} must be followed by a check"
    for cell in code:
        if re.search(r"^\s*(\w+\s*=\s*)?demo\(", cell.source, re.M):
            assert cell.source.startswith("# NBVAL_IGNORE_OUTPUT"), "widget cells start with # NBVAL_IGNORE_OUTPUT"
            # no static copy after it: the widget's display data carries the PNG fallback
            # (tests/course/test_headless_widgets.py executes the lessons and checks)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_forms_split_exercises_and_solutions(source):
    student = build_lessons.build_form(source, "student")
    solution = build_lessons.build_form(source, "solution")
    s_tags = [set(c.metadata.get("tags", [])) for c in student.cells]
    assert not any("solution" in t or "exercise" in t for t in s_tags)
    assert not any("require_pass()" in c.source for c in student.cells)
    assert sum("raises-exception" in t for t in s_tags) == sum(
        "exercise" in c.metadata.get("tags", []) for c in jupytext.read(source).cells
    )
    assert not any(re.search(r'NotImplementedError\("(Bonus e|E)xercise', c.source) for c in solution.cells)


def test_builder_on_a_fixture(tmp_path, monkeypatch):
    src = tmp_path / "sources" / "07_fixture.py"
    src.parent.mkdir()
    src.write_text(
        '# %% [markdown]\n# # Fixture\n\n# %% tags=["exercise"]\nraise NotImplementedError("Exercise 7.1")\n\n'
        '# %% tags=["solution"]\nx = 1\n\n# %% tags=["nbval-ignore-output"]\nprint(x)\n'
    )
    monkeypatch.setattr(build_lessons, "ROOT", tmp_path)
    monkeypatch.setattr(build_lessons, "SOURCES", tmp_path / "sources")
    monkeypatch.setattr(build_lessons, "FORMS", {"student": tmp_path / "lessons", "solution": tmp_path / "solutions"})
    assert len(build_lessons.stale_files()) == 4
    assert build_lessons.main([]) == 0
    assert build_lessons.stale_files() == []
    student = nbformat.read(tmp_path / "lessons" / "07_fixture.ipynb", as_version=4)
    assert [c.metadata.get("tags") for c in student.cells[1:]] == [None, ["raises-exception"], ["nbval-ignore-output"]]
    solution = nbformat.read(tmp_path / "solutions" / "07_fixture.ipynb", as_version=4)
    assert [c.source for c in solution.cells[2:]] == ["x = 1", "print(x)"]
    (tmp_path / "lessons" / "07_fixture.py").write_text("# edited by hand\n")
    assert build_lessons.stale_files() == ["stale: lessons/07_fixture.py"]
    assert build_lessons.main(["--check"]) == 1
    (tmp_path / "lessons" / "08_orphan.py").write_text("")
    assert "orphan (no source): lessons/08_orphan.py" in build_lessons.stale_files()


def test_jupyterlab_opens_py_lessons_as_notebooks():
    overrides = json.loads((ROOT / "binder" / "labconfig" / "default_setting_overrides.json").read_text())
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"] == "Jupytext Notebook"
    config = (ROOT / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in config


def signatures(code: str) -> dict[str, str]:
    """name -> the parameter list of each top-level def, as written (names, defaults, annotations)."""
    return {name: ast.unparse(node.args) for name, node in build_lessons.defined_functions(code).items()}


def signature_mismatches(source: Path) -> list[str]:
    problems = []
    for stub, solution in build_lessons.exercise_pairs(source):
        want, got = signatures(stub), signatures(solution)
        if not want:
            problems.append(f"an exercise stub defines no function: {stub.strip()[:60]!r}")
        if set(want) != set(got):
            problems.append(f"stub defines {sorted(want)}, its solution {sorted(got)}")
        for name in sorted(set(want) & set(got)):
            if want[name] != got[name]:
                problems.append(f"{name}: stub ({want[name]}) != solution ({got[name]})")
    return problems


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_exercise_stub_and_solution_define_the_same_signature(source):
    """Issue 10 §5: a learner's code is checked with the solution's call; a renamed or reordered
    parameter in one of the two forms would make a right answer fail (or a stub's check crash)."""
    assert build_lessons.exercise_pairs(source), f"{source.name} has no exercise"
    assert signature_mismatches(source) == []


def test_signature_check_catches_a_mismatch(tmp_path):
    src = tmp_path / "09_fixture.py"
    src.write_text(
        '# %% tags=["exercise"]\ndef f(x, alpha=2):\n    raise NotImplementedError("Exercise 9.1")\n\n\n'
        'f(1)\n\n# %% tags=["solution"]\ndef f(x, alpha=3):\n    return x\n\n\nf(1)\n\n'
        '# %% tags=["exercise"]\ndef g(x):\n    raise NotImplementedError("Exercise 9.2")\n\n'
        '# %% tags=["solution"]\ndef h(x):\n    return x\n'
    )
    problems = signature_mismatches(src)
    assert any("f: stub (x, alpha=2) != solution (x, alpha=3)" in p for p in problems), problems
    assert any("['g']" in p and "['h']" in p for p in problems), problems


def test_solution_namespace_runs_the_solution_cells_only(tmp_path, monkeypatch):
    """The exercise tests get the source's own solution functions; the calls on lesson data are dropped."""
    src = tmp_path / "sources" / "08_fixture.py"
    src.parent.mkdir()
    src.write_text(
        '# %%\nimport math\n\n# %% tags=["exercise"]\ndef f(x):\n    raise NotImplementedError("Exercise 8.1")\n\n'
        '# %% tags=["solution"]\ndef f(x):\n    return math.sqrt(x) + OFFSET\n\n\nf(lesson_data)\n'
    )
    monkeypatch.setattr(build_lessons, "SOURCES", tmp_path / "sources")
    ns = build_lessons.solution_namespace("08")
    ns["OFFSET"] = 1.0  # a lesson variable the solution reads, supplied by the test
    assert ns["f"](16) == 5.0 and "lesson_data" not in ns
    assert ns["f"].__code__.co_filename == "08_fixture.py (solution cell 0)"
    with pytest.raises(ValueError, match="expected one sources/09_"):
        build_lessons.solution_namespace("09")
