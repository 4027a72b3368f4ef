"""Time per lesson and per section, measured against a read-through of the source (issue 13 §3, §6).

    python tools/time_estimates.py                 # print the computed times next to the stated ones
    python tools/time_estimates.py --write         # rewrite every stated time and docs/seminar_plans.md
    python tools/time_estimates.py --write --budget _run/budget.json   # add measured cell run times

The estimate of one ``## `` section of ``sources/NN_*.py`` is the sum of

* its **markdown words** at ``READING_WPM`` = 130 words per minute. Brysbaert (2019, "How many words do we
  read per minute? A review and meta-analysis of reading rate", J. Memory and Language 109, 104047) finds
  238 wpm for adults silently reading English non-fiction, most adults between 175 and 300, and slower
  readers in a second language. Study-reading math-dense technical text is slower still; 130 wpm, below the
  bottom of that range, is the course's choice for it (a choice, not a measured value). Words are runs of
  letters/digits after LaTeX commands, HTML tags and link targets are removed. The words of an exercise
  (from its heading to its first code cell or the next heading, hint included) are not counted here but in
  the exercise's minutes;
* each **exercise**'s minutes from its kind/time line ``*Kind: transcription · about 5 min*`` (an exercise
  without one counts ``DEFAULT_EXERCISE_MIN`` = 10 min). Bonus exercises are optional and not counted;
* **code cells** of the student form (``solution`` cells are not read by a learner): ``CODE_CELL_MIN`` = 0.3 min
  each for reading the code and its output, plus, with ``--budget``, each cell's measured run time from
  ``tools/budget.py --json`` (the student form's ``cell_s``; at most 90 s per lesson, so it changes little);
* for the ``## Quiz`` section, ``QUIZ_QUESTION_MIN`` = 1 min per question of ``modgap_edu.exercises.quizzes``.

What comes before the first numbered section (title, objectives, setup cells) is counted in section 1; the
``## Further reading`` list is counted in ``## Summary``. Each section is rounded to the nearest 5 min (at least
5); the lesson total is the sum of its rounded sections, so the two always agree.

``--write`` puts the times into every timed ``## `` heading as `` (about M min)``, the lesson header
("Objectives (about M min)"), the time column of the Objectives table (when its rows are the numbered sections;
otherwise the column is dropped), the README lesson table, the marked block of ``docs/instructors.md`` and
``docs/seminar_plans.md`` (generated from the stated times; ``tests/course/test_time_estimates.py`` checks that
all of them agree and lie within 25 % of what this tool computes from the sources now).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
README = ROOT / "README.md"
INSTRUCTORS = ROOT / "docs" / "instructors.md"
PLANS = ROOT / "docs" / "seminar_plans.md"

READING_WPM = 130
CODE_CELL_MIN = 0.3
DEFAULT_EXERCISE_MIN = 10
QUIZ_QUESTION_MIN = 1.0
SEMINAR_MIN = 90
STEP_MIN = 5

HEADING = re.compile(r"^## (?P<title>.*?)(?: \(about (?P<min>\d+) min\))?\s*$")
NUMBERED = re.compile(r"^(?P<num>\d+)\. ")
EXERCISE = re.compile(r"^### (?P<bonus>Bonus e|E)xercise (?P<id>\d+\.\d+)\b\s*(?:—\s*)?(?P<title>.*)$")
KIND = re.compile(r"^\*Kind:\s*(?P<kind>[\w-]+)\s*·\s*about\s*(?P<min>\d+)\s*min\*\s*$")
HEADER = re.compile(r"^(?P<pre>#? ?(?:## Objectives|\*\*Objectives\*\*)) \(about (?P<min>\d+) min(?:utes)?\)\s*$")
TABLE_ROW = re.compile(r"^(?P<pre># \| (?P<num>\d+) \|.*\| )(?P<min>\d+) min \|\s*$")
UNTIMED = ("Objectives", "Further reading")
BLOCK_BEGIN, BLOCK_END = "<!-- lesson-times:begin (tools/time_estimates.py --write) -->", "<!-- lesson-times:end -->"


@dataclass
class Exercise:
    id: str
    title: str
    kind: str
    minutes: float
    bonus: bool
    stated: bool  # it has a kind/time line


@dataclass
class Section:
    title: str
    words: int = 0
    code_cells: int = 0
    run_s: float = 0.0
    extra_min: float = 0.0
    exercises: list[Exercise] = field(default_factory=list)
    stated: int | None = None

    @property
    def number(self) -> int | None:
        m = NUMBERED.match(self.title)
        return int(m.group("num")) if m else None

    @property
    def raw_min(self) -> float:
        ex = sum(e.minutes for e in self.exercises if not e.bonus)
        return self.words / READING_WPM + self.code_cells * CODE_CELL_MIN + self.run_s / 60 + ex + self.extra_min

    @property
    def minutes(self) -> int:
        return round_step(self.raw_min)


@dataclass
class Lesson:
    source: Path
    title: str
    sections: list[Section]
    stated_total: int | None
    further_reading: str

    @property
    def number(self) -> str:
        return self.source.name[:2]

    @property
    def total(self) -> int:
        return sum(s.minutes for s in self.sections)


def round_step(minutes: float) -> int:
    """Nearest multiple of 5 min (halves up), at least 5."""
    return max(STEP_MIN, STEP_MIN * math.floor(minutes / STEP_MIN + 0.5))


def count_words(markdown: str) -> int:
    """Words of a markdown text: LaTeX commands, HTML tags and link targets removed."""
    text = re.sub(r"\]\([^)]*\)", "]", markdown)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\\[A-Za-z]+", " ", text)
    return len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text))


def _course_on_path() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def quiz_questions(lesson: str) -> int:
    _course_on_path()
    from modgap_edu.exercises import quizzes

    return len(quizzes.questions(lesson))


def budget_cell_seconds(budget: Path | None, stem: str) -> dict[int, float]:
    """Measured run time of each student-form cell (index in ``lessons/<stem>.ipynb``), from a budget report."""
    if budget is None:
        return {}
    for entry in json.loads(budget.read_text()):
        if entry.get("notebook") == f"lessons/{stem}.ipynb":
            return {int(k): float(v) for k, v in entry.get("cell_s", {}).items()}
    raise ValueError(f"{budget}: no entry for lessons/{stem}.ipynb")


class _Walk:
    """One pass over a lesson's cells: which section each word, code cell and exercise belongs to."""

    def __init__(self, run_s: dict[int, float]):
        self.run_s = run_s
        self.preamble = Section("(before section 1)")
        self.current = self.preamble
        self.sections: list[Section] = []
        self.title, self.stated_total = "", None
        self.exercise: Exercise | None = None
        self.prose: list[str] = []
        self.reading: list[str] = []
        self.student_index = 0  # index in the student form; cell 0 there is the generated banner

    def code_cell(self, tags: list[str]) -> None:
        self.exercise = None  # an exercise's statement and hint end where its first code cell starts
        if "solution" in tags:  # the learner does not read the solution
            return
        self.student_index += 1
        self.current.code_cells += 1
        self.current.run_s += self.run_s.get(self.student_index, 0.0)

    def flush(self) -> None:
        self.current.words += count_words("\n".join(self.prose))
        self.prose = []

    def markdown_cell(self, text: str) -> None:
        self.student_index += 1
        for line in text.splitlines():
            self.line(line)
        self.flush()

    def line(self, line: str) -> None:
        header, heading, ex = HEADER.match(line), HEADING.match(line), EXERCISE.match(line)
        if header:
            self.stated_total = int(header.group("min"))
        if line.startswith("# ") and not self.title:
            self.title = line[2:].strip()
        if self.reading:
            self.reading.append(line)
        if heading and not heading.group("title").startswith(UNTIMED):
            self.flush()
            self.exercise = None
            self.current = Section(heading.group("title"), stated=int(heading.group("min") or 0) or None)
            self.sections.append(self.current)
        elif heading and heading.group("title").startswith("Further reading"):
            self.exercise, self.reading = None, [line]
            self.prose.append(line)
        elif ex:
            self.flush()
            bonus = ex.group("bonus") == "Bonus e"
            self.exercise = Exercise(ex.group("id"), ex.group("title").strip(), "", DEFAULT_EXERCISE_MIN, bonus, False)
            self.current.exercises.append(self.exercise)
        elif self.exercise is not None and not re.match(r"^#{1,3} ", line):
            kind = KIND.match(line.strip())
            if kind and not self.exercise.stated:
                self.exercise.kind, self.exercise.minutes = kind.group("kind"), float(kind.group("min"))
                self.exercise.stated = True
        else:
            self.exercise = None
            self.prose.append(line)


def analyse(source: Path, budget: Path | None = None) -> Lesson:
    """Sections of one lesson with their words, code cells, exercises and stated times (see the module docstring).

    Parameters
    ----------
    source : Path
        ``sources/NN_topic.py``.
    budget : Path, optional
        A ``tools/budget.py --json`` report; its measured cell times are added.

    Returns
    -------
    Lesson
        The timed sections in order; what precedes section 1 is counted in section 1.
    """
    walk = _Walk(budget_cell_seconds(budget, source.stem))
    for cell in jupytext.read(source).cells:
        if cell.cell_type == "code":
            walk.code_cell(cell.metadata.get("tags", []))
        elif cell.cell_type == "markdown":
            walk.markdown_cell(cell.source)
    sections = walk.sections
    if not sections or sections[0].number != 1:
        raise ValueError(f"{source.name}: expected '## 1. ...' as the first timed section")
    first, pre = sections[0], walk.preamble
    first.words, first.code_cells, first.run_s = (
        first.words + pre.words,
        first.code_cells + pre.code_cells,
        first.run_s + pre.run_s,
    )
    for section in sections:
        if section.title.startswith("Quiz"):
            section.extra_min += quiz_questions(source.name[:2]) * QUIZ_QUESTION_MIN
    return Lesson(source, walk.title, sections, walk.stated_total, "\n".join(walk.reading).strip())


def all_lessons(budget: Path | None = None) -> list[Lesson]:
    return [analyse(s, budget) for s in sorted(SOURCES.glob("[0-9][0-9]_*.py"))]


# ---------------------------------------------------------------- stated times elsewhere
def readme_times(text: str) -> dict[str, int]:
    """Lesson number -> minutes of the README lesson table (``| 01 | [...](...) | ... | 90 min |``)."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^\| (\d\d) \|.*\| (\d+) min \|\s*$", text, re.M)}


def instructor_times(text: str) -> dict[str, int]:
    """Lesson number -> minutes in the generated block of docs/instructors.md."""
    if BLOCK_BEGIN not in text or BLOCK_END not in text:
        return {}
    block = text.split(BLOCK_BEGIN, 1)[1].split(BLOCK_END, 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^\| (\d\d) \|.*\| (\d+) min \|", block, re.M)}


def plan_times(text: str) -> dict[str, int]:
    """Lesson number -> total read-through minutes stated in docs/seminar_plans.md."""
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^## Lesson (\d\d) .*\(read-through about (\d+) min\)", text, re.M)
    }


def objectives_table(lines: list[str]) -> range:
    """Line numbers of the Objectives table: the first run of ``# |`` lines after the header line."""
    start = next((i for i, line in enumerate(lines) if HEADER.match(line)), None)
    if start is None:
        return range(0)
    first = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("# |")), None)
    if first is None or any(not lines[i].startswith("#") for i in range(start + 1, first)):
        return range(0)
    end = first
    while end < len(lines) and lines[end].startswith("# |"):
        end += 1
    return range(first, end)


def table_times(source_text: str) -> dict[int, int]:
    """Row number -> minutes of the Objectives table of a source (empty if it has no time column)."""
    lines = source_text.splitlines()
    rows = (TABLE_ROW.match(lines[i]) for i in objectives_table(lines))
    return {int(m.group("num")): int(m.group("min")) for m in rows if m}


# ---------------------------------------------------------------- writing
def rewrite_source(text: str, lesson: Lesson) -> str:
    """The source text with every stated time replaced by the computed one."""
    by_title = {s.title: s.minutes for s in lesson.sections}
    numbered = {s.number: s.minutes for s in lesson.sections if s.number is not None}
    rows = table_times(text)
    table_matches = sorted(rows) == sorted(numbered)
    lines = text.splitlines()
    table = objectives_table(lines) if rows else range(0)
    out = []
    for i, line in enumerate(lines):
        body = line[2:] if line.startswith("# ") else None
        heading = HEADING.match(body) if body is not None else None
        header = HEADER.match(line)
        row = TABLE_ROW.match(line) if i in table else None
        if header:
            line = f"{header.group('pre')} (about {lesson.total} min)"
        elif heading and heading.group("title") in by_title:
            line = f"# ## {heading.group('title')} (about {by_title[heading.group('title')]} min)"
        elif row and table_matches:
            line = f"{row.group('pre')}{numbered[int(row.group('num'))]} min |"
        elif i in table and not table_matches:
            line = drop_time_column(line)
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def drop_time_column(line: str) -> str:
    """An Objectives table row without its last (time) column, used when its rows are not the sections."""
    if re.match(r"^# \| # \|.*\| time \|\s*$", line):
        return line.rsplit("| time |", 1)[0].rstrip() + " |"
    if re.match(r"^# \|---\|", line):
        return line.rsplit("---|", 1)[0] if line.count("---|") > 1 else line
    row = TABLE_ROW.match(line)
    return row.group("pre").rstrip().removesuffix("|").rstrip() + " |" if row else line


def rewrite_readme(text: str, lessons: list[Lesson]) -> str:
    totals = {lesson.number: lesson.total for lesson in lessons}

    def row(m: re.Match) -> str:
        return f"{m.group(1)}{totals.get(m.group(2), int(m.group(3)))} min |"

    return re.sub(r"^(\| (\d\d) \|.*\| )(\d+) min \|[ \t]*$", row, text, flags=re.M)


def instructors_block(lessons: list[Lesson]) -> str:
    rows = [
        BLOCK_BEGIN,
        "| # | lesson | read-through |",
        "|---|---|---|",
        *(f"| {ln.number} | {ln.title.split('—', 1)[-1].strip()} | {ln.total} min |" for ln in lessons),
        BLOCK_END,
    ]
    return "\n".join(rows)


def rewrite_instructors(text: str, lessons: list[Lesson]) -> str:
    block = instructors_block(lessons)
    if BLOCK_BEGIN in text:
        head, rest = text.split(BLOCK_BEGIN, 1)
        return head + block + rest.split(BLOCK_END, 1)[1]
    anchor = "Every lesson is sized for one 90-minute session:"
    if anchor not in text:
        raise ValueError(f"{INSTRUCTORS.name}: neither the lesson-times block nor {anchor!r} found")
    intro = (
        "A lesson's read-through time (reading at 130 words/min, each exercise's stated minutes, the code cells;\n"
        "`tools/time_estimates.py`, which also writes the section times into each lesson's headings) is:\n\n"
        f"{block}\n\n"
        "A lesson longer than 90 minutes moves exercises home; `docs/seminar_plans.md` has the 90-minute plan of\n"
        'each lesson with "time to here" markers. The generic format of a session:'
    )
    return text.replace(anchor, intro, 1)


# ---------------------------------------------------------------- seminar plans
PRE_READING = {
    "01": [
        "Wang & Isola 2020: the definitions of alignment and uniformity and their defaults α = 2, t = 2 "
        "(course notes: `papers.md` §2).",
        "Liang et al. 2022, Sec. 4.1: the CLIP loss written out (`papers.md` §0).",
    ],
    "02": [
        "Liang et al. 2022: Fig. 1 (the gap across models), Sec. 2 (the cone effect, Fig. 2a–c), Sec. 3 "
        "(Theorems 1–2) (`papers.md` §1.1–1.6).",
    ],
    "03": [
        "Liang et al. 2022: Sec. 4 (the embedding-shift experiment, Fig. 3a–d; mismatched pairs, Fig. 3e–g; "
        "initialization vs optimization, Sec. 4.4; Supp. Fig. 8) and Sec. 5 (Tables 1–2) (`papers.md` §1.7–1.13).",
    ],
    "04": [
        "Schrodi et al. 2025: information imbalance, the MAD dataset and its captions, MOAD, the entropy of the "
        "logits (`papers.md` §3.5–3.8).",
    ],
    "05": [
        "Schrodi et al. 2025: RMG (`papers.md` §3.2), few dimensions drive the gap (§3.3), MOAD (§3.6), "
        "gap vs performance (§3.1, §3.4); Liang et al. 2022's L2M (§1.1).",
    ],
}
HOME_ORDER = {"open": 0, "derivation": 1, "transcription": 2, "": 3, "bonus": 4}


def plan_home_exercises(lesson: Lesson) -> set[str]:
    """Exercises to do at home so that the class fits 90 min: open ones first, then later sections first."""
    total = sum(s.stated or s.minutes for s in lesson.sections)
    candidates = [
        (HOME_ORDER.get(e.kind, 3), -i, e) for i, s in enumerate(lesson.sections) for e in s.exercises if not e.bonus
    ]
    home: set[str] = set()
    for _, _, e in sorted(candidates, key=lambda c: (c[0], c[1])):
        if total <= SEMINAR_MIN:
            break
        home.add(e.id)
        total -= e.minutes
    return home


def seminar_plan(lesson: Lesson) -> str:
    """The 90-minute plan of one lesson, from its stated section times (markdown)."""
    stated_total = sum(s.stated or s.minutes for s in lesson.sections)
    home = plan_home_exercises(lesson)
    lines = [
        f"## Lesson {lesson.number} — {lesson.title.split('—', 1)[-1].strip()} (read-through about {stated_total} min)",
        "",
    ]
    lines += ["**Pre-reading** (before the session):", ""]
    lines += [f"* {p}" for p in PRE_READING.get(lesson.number, [])]
    lines += ["* The lesson's Further reading:", ""]
    reading = []
    for ln in lesson.further_reading.splitlines()[1:]:
        if ln.startswith(("* ", "  ")):
            reading.append(ln)
        elif ln.strip() and reading:
            break
    lines += ["  " + ln for ln in reading] + [""]
    fits = stated_total <= SEMINAR_MIN
    lines.append(
        f"The read-through fits 90 minutes ({SEMINAR_MIN - stated_total} min left for discussion)."
        if fits
        else f"The read-through is {stated_total} min: the exercises marked *home* move out of class so that it fits."
    )
    lines += [
        "",
        "| time to here | section | minutes in class | exercises in class | at home |",
        "|---|---|---|---|---|",
    ]
    clock = 0.0
    for s in lesson.sections:
        stated = s.stated or s.minutes
        moved = [e for e in s.exercises if e.id in home or e.bonus]
        in_class = stated - sum(e.minutes for e in moved if not e.bonus)
        clock += in_class
        ex_in = ", ".join(
            f"{e.id} ({e.kind or 'unlabelled'}, {e.minutes:.0f} min)" for e in s.exercises if e not in moved
        )
        ex_home = ", ".join(f"{'Bonus e' if e.bonus else 'E'}xercise {e.id}" for e in moved)
        lines.append(f"| {clock:.0f} min | {s.title} | {in_class:.0f} | {ex_in or '—'} | {ex_home or '—'} |")
    lines += ["", f'**Quiz** (`quiz("{lesson.number}")` in the lesson\'s Quiz section; answer key):', ""]
    lines += quiz_key(lesson.number)
    return "\n".join(lines)


def quiz_key(lesson: str) -> list[str]:
    _course_on_path()
    from modgap_edu.exercises import quizzes

    return [
        f"{i}. {q.text} — **({q.answer})** {q.option(q.answer).text}"
        for i, q in enumerate(quizzes.questions(lesson), 1)
    ]


def seminar_plans(lessons: list[Lesson]) -> str:
    head = [
        "# Seminar plans: one 90-minute session per lesson",
        "",
        "*Generated by `python tools/time_estimates.py --write` from the lessons' stated section times; do not edit by "
        "hand (`tests/course/test_time_estimates.py` fails when it is out of date).*",
        "",
        "Times are a read-through: markdown at 130 words/min, each exercise's stated minutes (10 min when an exercise "
        "has no kind/time line), 0.3 min per code cell, 1 min per quiz question; see `tools/time_estimates.py`. "
        '"Time to here" is the clock at the end of each section when the exercises marked *home* are done at home. '
        "Bonus exercises are always for home.",
        "",
    ]
    return "\n".join(head + [seminar_plan(ln) + "\n" for ln in lessons])


def write_all(budget: Path | None = None) -> list[Path]:
    """Rewrite every stated time from the computed values; return the files that changed."""
    changed = []
    for lesson in all_lessons(budget):
        text = lesson.source.read_text()
        new = rewrite_source(text, lesson)
        if new != text:
            lesson.source.write_text(new)
            changed.append(lesson.source)
    lessons = all_lessons(budget)
    for path, fn in ((README, rewrite_readme), (INSTRUCTORS, rewrite_instructors)):
        text = path.read_text()
        new = fn(text, lessons)
        if new != text:
            path.write_text(new)
            changed.append(path)
    plans = seminar_plans(all_lessons())
    if not PLANS.exists() or PLANS.read_text() != plans:
        PLANS.write_text(plans)
        changed.append(PLANS)
    return changed


def report(lessons: list[Lesson]) -> str:
    lines = [f"{'lesson/section':<72}{'words':>6}{'cells':>6}{'ex min':>7}{'raw':>7}{'time':>6}{'stated':>7}"]
    for ln in lessons:
        lines.append(f"{ln.source.stem:<72}{'':>32}{ln.total:>6}{ln.stated_total or '-':>7}")
        for s in ln.sections:
            ex = sum(e.minutes for e in s.exercises if not e.bonus)
            lines.append(
                f"  {s.title[:68]:<70}{s.words:>6}{s.code_cells:>6}{ex:>7.0f}{s.raw_min:>7.1f}{s.minutes:>6}"
                f"{s.stated or '-':>7}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite the stated times and docs/seminar_plans.md")
    parser.add_argument("--budget", type=Path, help="a `tools/budget.py --json` report: add measured cell run times")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_all(args.budget):
            print(f"wrote {path.relative_to(ROOT)}")
        print("Now run `make lessons` (python tools/build_lessons.py) to regenerate lessons/ and solutions/.")
    print(report(all_lessons(args.budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
