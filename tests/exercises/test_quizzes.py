"""The end-of-lesson quizzes (issue 13 §6): well-formed data, diagnosing checks, clear errors, a headless widget."""

from __future__ import annotations

import pytest

from modgap_edu.exercises import ExerciseCheckFailed, quizzes, require_pass

LESSONS = ["01", "02", "03", "04", "05"]


def right_answers(lesson):
    return {n: q.answer for n, q in enumerate(quizzes.questions(lesson), 1)}


def test_every_lesson_has_a_quiz_of_four_to_six_questions():
    assert sorted(quizzes.QUIZZES) == LESSONS
    for lesson in LESSONS:
        assert 4 <= len(quizzes.questions(lesson)) <= 6, lesson


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_question_has_one_correct_option_and_every_option_explains_itself(lesson):
    for number, q in enumerate(quizzes.questions(lesson), 1):
        assert sum(o.correct for o in q.options) == 1, f"lesson {lesson} question {number}"
        assert 3 <= len(q.options) <= 6
        assert len({o.key for o in q.options}) == len(q.options)
        assert len({o.text for o in q.options}) == len(q.options), "two options read the same"
        for o in q.options:
            assert o.why.strip() and o.why != o.text, f"lesson {lesson} q{number} ({o.key}) lacks its reason"


def test_the_correct_options_are_not_always_the_same_letter():
    letters = {q.answer for lesson in LESSONS for q in quizzes.questions(lesson)}
    assert len(letters) >= 2


@pytest.mark.parametrize("lesson", LESSONS)
def test_check_quiz_counts_right_answers_and_explains_each(lesson, capsys):
    answers = right_answers(lesson)
    assert quizzes.check_quiz(lesson, answers) is None  # printing is the output
    out = capsys.readouterr().out
    assert out.count("✅ right") == len(answers) and "❌" not in out
    assert f"{len(answers)} of {len(answers)} right" in out


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_wrong_answer_gets_that_options_reason(lesson, capsys):
    q1 = quizzes.questions(lesson)[0]
    wrong = next(o for o in q1.options if not o.correct)
    answers = {**right_answers(lesson), 1: wrong.key}
    quizzes.check_quiz(lesson, answers)
    assert [v for _, v, _ in quizzes.verdicts(lesson, answers)].count("wrong") == 1
    out = capsys.readouterr().out
    assert f"{len(answers) - 1} of {len(answers)} right" in out
    assert f"❌ wrong — question 1: {wrong.why}" in out
    assert q1.option(q1.answer).why not in out, "a wrong answer must not be told the right option's reason"


def test_empty_answers_say_not_answered_without_failing(capsys):
    quizzes.check_quiz("01", {})
    assert "not answered yet" in capsys.readouterr().out


def test_partial_answers_name_the_missing_questions(capsys):
    quizzes.check_quiz("02", {1: right_answers("02")[1]})
    out = capsys.readouterr().out
    assert "not answered: 2, 3" in out


def test_upper_case_and_spaces_are_accepted(capsys):
    key = right_answers("03")[1]
    quizzes.check_quiz("03", {1: f" {key.upper()} "})
    assert "✅ right — question 1" in capsys.readouterr().out


def test_strict_mode_raises_on_wrong_or_missing_answers():
    require_pass(True)
    try:
        quizzes.check_quiz("04", right_answers("04"))  # all right: no error
        with pytest.raises(ExerciseCheckFailed):
            quizzes.check_quiz("04", {})
        q1 = quizzes.questions("04")[0]
        wrong = next(o.key for o in q1.options if not o.correct)
        with pytest.raises(ExerciseCheckFailed):
            quizzes.check_quiz("04", {**right_answers("04"), 1: wrong})
    finally:
        require_pass(False)


@pytest.mark.parametrize(
    "lesson, answers, error, text",
    [
        ("06", {}, ValueError, "no quiz for lesson '06'"),
        (1, {}, TypeError, "lesson must be a string"),
        ("01", [("1", "a")], TypeError, "answers must be a dict"),
        ("01", {"1": "a"}, TypeError, "question numbers are integers"),
        ("01", {True: "a"}, TypeError, "question numbers are integers"),
        ("01", {0: "a"}, ValueError, "has questions 1..5, not 0"),
        ("01", {99: "a"}, ValueError, "not 99"),
        ("01", {1: "z"}, ValueError, "question 1: answer with one of a, b, c, d"),
        ("01", {1: 2}, ValueError, "question 1: answer with one of"),
    ],
)
def test_bad_inputs_raise_clearly(lesson, answers, error, text):
    with pytest.raises(error, match=text.replace("(", r"\(").replace(".", r"\.")):
        quizzes.check_quiz(lesson, answers)


def test_widget_builds_headless_and_checks_the_picked_options():
    w = quizzes.quiz("05")
    assert len(w.radios) == len(quizzes.questions("05"))
    assert w.answers() == {}
    assert w.check() == 0 and "not answered yet" in w.feedback[0].value
    answers = right_answers("05")
    for number, radio in enumerate(w.radios, 1):
        radio.value = answers[number]
    q2 = quizzes.questions("05")[1]
    wrong = next(o for o in q2.options if not o.correct)
    w.radios[1].value = wrong.key
    assert w.check() == len(answers) - 1
    assert w.feedback[0].value.startswith("✅ right") and w.feedback[1].value.startswith("❌ wrong")
    assert wrong.why in w.feedback[1].value
    assert w.score.value == f"{len(answers) - 1} of {len(answers)} right"


def test_widget_mimebundle_has_a_text_fallback_with_every_question():
    w = quizzes.quiz("02")
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    text = bundle["text/plain"]
    for number, q in enumerate(quizzes.questions("02"), 1):
        assert f"{number}. {q.text}" in text
        assert all(f"({o.key}) {o.text}" in text for o in q.options)


def test_quiz_rejects_an_unknown_lesson_before_building_widgets():
    with pytest.raises(ValueError, match="no quiz"):
        quizzes.quiz("99")


def test_static_mode_gives_the_text_only(monkeypatch):
    monkeypatch.setenv("MODGAP_WIDGETS", "static")
    shown = quizzes.quiz("03")
    assert isinstance(shown, quizzes.QuizText)
    assert shown._repr_mimebundle_() == {"text/plain": quizzes.quiz_text("03")}
