"""Issue 13 §1: the course's exercises, read from the five sources as a catalogue.

* every exercise is a heading ``### Exercise N.M — title`` (``### Bonus exercise N.M — title``) with N
  its lesson, ids unique across the course and numbered 1, 2, ... in lesson order;
* the line under the heading states its kind and time: ``*Kind: transcription · about 5 min*``;
* every exercise has a hint (``<details><summary>Hint</summary>``) before its first code cell;
* stub messages name the task in words, never code;
* every checked exercise has a check in ``modgap_edu/exercises/lessonNN.py`` under the same id, and no check
  uses an id without a heading;
* each lesson has at least one derivation, one open and one bonus exercise.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import build_lessons  # noqa: E402

SOURCES = build_lessons.all_sources()
HEADING = re.compile(r"^###\s+(?P<id>(?:Bonus e|E)xercise (?P<n>\d+)\.(?P<m>\d+))\s+—\s+(?P<title>\S.*)$", re.M)
LOOSE = re.compile(r"^#{2,4}\s+(?:Bonus\s+)?exercise\b.*$", re.M | re.I)
KIND = re.compile(r"^\*Kind: (?P<kind>transcription|derivation|open|bonus) · about (?P<min>\d+) min\*\s*$")
KINDS = ("transcription", "derivation", "open", "bonus")
# code in a stub message: a call, an assignment, a matrix product, a library name, a transpose
CODE = re.compile(
    r"\w\(|[^=!<>]=[^=]|@|\b(?:np|torch|numpy|scipy|F)\.\w|\b[a-z_]{2,}\.[A-Za-z_]{2,}\b|\.T\b|\|\||\^\d"
    r"|\bsvd\b|\bdef \w"
)
ID_IN_CODE = re.compile(r"""["']((?:Bonus e|E)xercise \d+\.\d+)""")


def lesson_number(source: Path) -> int:
    return int(source.name[:2])


def catalogue(source: Path) -> list[dict]:
    """The exercises of one source: id, kind, minutes, hint present, stub messages."""
    nb = jupytext.read(source)
    found: list[dict] = []
    current = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for match in HEADING.finditer(cell.source):
                after = cell.source[match.end() :].lstrip("\n").splitlines()
                kind = KIND.match(after[0]) if after else None
                current = {
                    "id": match["id"],
                    "n": int(match["n"]),
                    "m": int(match["m"]),
                    "bonus": match["id"].startswith("Bonus"),
                    "kind": kind["kind"] if kind else None,
                    "minutes": int(kind["min"]) if kind else None,
                    "hint": False,
                    "code_seen": False,
                    "stubs": [],
                }
                found.append(current)
            if current is not None and not current["code_seen"] and "<summary>Hint</summary>" in cell.source:
                current["hint"] = True
            if re.search(r"^##\s", cell.source, re.M) and not HEADING.search(cell.source):
                current = None
        elif current is not None:
            current["code_seen"] = True
            if "exercise" in cell.metadata.get("tags", []):
                current["stubs"] += re.findall(r'NotImplementedError\(\s*"([^"]*)"', cell.source)
    return found


ALL = {source.stem: catalogue(source) for source in SOURCES}
EXERCISES = [(stem, ex) for stem, exs in ALL.items() for ex in exs]


def ids(param):
    return param["id"] if isinstance(param, dict) else str(param)[:2]


def test_every_lesson_has_exercises():
    assert len(ALL) == 5 and all(ALL.values()), {k: len(v) for k, v in ALL.items()}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_no_exercise_heading_outside_the_convention(source):
    markdown = "\n".join(c.source for c in jupytext.read(source).cells if c.cell_type == "markdown")
    loose = LOOSE.findall(markdown)
    strict = HEADING.findall(markdown)
    assert len(loose) == len(strict), f"headings not of the form '### Exercise N.M — title': {loose}"


def test_ids_unique_across_the_course():
    seen = [ex["id"].replace("Bonus exercise", "Exercise") for _, ex in EXERCISES]
    assert len(seen) == len(set(seen)), sorted(i for i in seen if seen.count(i) > 1)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_ids_carry_the_lesson_number_in_order(source):
    exs = ALL[source.stem]
    assert [ex["n"] for ex in exs] == [lesson_number(source)] * len(exs)
    assert [ex["m"] for ex in exs] == list(range(1, len(exs) + 1)), [ex["id"] for ex in exs]


@pytest.mark.parametrize("stem, ex", EXERCISES, ids=ids)
def test_kind_line_and_hint(stem, ex):
    assert ex["kind"] in KINDS, f"{ex['id']}: first line must be '*Kind: <{'|'.join(KINDS)}> · about M min*'"
    assert 1 <= ex["minutes"] <= 45
    assert ex["bonus"] == (ex["kind"] == "bonus"), f"{ex['id']}: bonus heading and kind 'bonus' go together"
    assert ex["hint"], f"{ex['id']}: needs a <details><summary>Hint</summary> block before its first code cell"


@pytest.mark.parametrize("stem, ex", EXERCISES, ids=ids)
def test_stub_messages_name_the_task_without_code(stem, ex):
    if ex["kind"] == "open":
        return
    assert ex["stubs"], f"{ex['id']}: a checked exercise needs a stub cell raising NotImplementedError"
    for message in ex["stubs"]:
        assert message.startswith(ex["id"] + ":"), f"stub message must start with '{ex['id']}:' -> {message!r}"
        task = message.split(":", 1)[1]
        assert not CODE.search(task), f"{ex['id']}: stub message contains code: {message!r}"
        assert len(task.split()) >= 3, f"{ex['id']}: say the task in words: {message!r}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_check_ids_match_headings(source):
    module = ROOT / "modgap_edu" / "exercises" / f"lesson{source.name[:2]}.py"
    code_ids = set(ID_IN_CODE.findall(module.read_text(encoding="utf-8")))
    ast.parse(module.read_text(encoding="utf-8"))
    headed = {ex["id"] for ex in ALL[source.stem]}
    checked = {ex["id"] for ex in ALL[source.stem] if ex["kind"] != "open"}
    assert code_ids <= headed, f"checks with ids that have no heading: {sorted(code_ids - headed)}"
    assert checked <= code_ids, f"exercises without a check in {module.name}: {sorted(checked - code_ids)}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_each_lesson_has_a_derivation_an_open_task_and_a_bonus(source):
    kinds = [ex["kind"] for ex in ALL[source.stem]]
    for kind in ("derivation", "open", "bonus"):
        assert kind in kinds, f"{source.stem}: no {kind} exercise ({kinds})"
