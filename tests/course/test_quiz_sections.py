"""Every lesson ends with a quiz section (issue 13 §6) that runs in both forms.

Student form: ``answers = {}`` and the check says "not answered yet" without failing. Solution form: a cell
tagged ``solution`` assigns the right answers (read here with ``ast.literal_eval``, never executed), so the
check passes under ``require_pass()``.
"""

from __future__ import annotations

import ast

import build_lessons as bl
import jupytext
import pytest

from modgap_edu.exercises import quizzes

SOURCES = bl.all_sources()


def quiz_cells(source):
    cells = jupytext.read(source).cells
    start = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Quiz"))
    end = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Summary"))
    return cells[start:end]


@pytest.mark.parametrize("source", SOURCES, ids=[s.name[:2] for s in SOURCES])
def test_quiz_section_has_the_widget_the_empty_answers_the_solution_and_the_check(source):
    lesson = source.name[:2]
    cells = quiz_cells(source)
    code = [(c.source, c.metadata.get("tags", [])) for c in cells if c.cell_type == "code"]
    assert any(f'quiz("{lesson}")' in src for src, _ in code)
    empty = [src for src, tags in code if src.startswith("answers = {}") and "solution" not in tags]
    assert len(empty) == 1
    solved = [src for src, tags in code if "solution" in tags]
    assert len(solved) == 1
    given = ast.literal_eval(solved[0].split("=", 1)[1].strip())
    right = {n: q.answer for n, q in enumerate(quizzes.questions(lesson), 1)}
    assert given == right, "the solution form must answer every question right"
    assert code[-1][0].strip() == f'check_quiz("{lesson}", answers)', "the check comes last"


@pytest.mark.parametrize("source", SOURCES, ids=[s.name[:2] for s in SOURCES])
def test_student_form_has_no_answers_and_solution_form_has_them(source):
    student = "\n".join(c.source for c in bl.build_form(source, "student").cells)
    solution = "\n".join(c.source for c in bl.build_form(source, "solution").cells)
    lesson = source.name[:2]
    first = quizzes.questions(lesson)[0].answer
    assert f'answers = {{1: "{first}"' not in student
    assert f'answers = {{1: "{first}"' in solution
