"""Exercise checks: the machinery every lesson's check cells use.

A lesson's exercise has three cells in its source (``sources/NN_*.py``):

1. a stub (tag ``exercise``, student form only) that defines the learner's function
   with ``raise NotImplementedError("Exercise 1.2: ...")`` and tries it once, so the
   cell raises until solved (the generator tags it ``raises-exception`` so that
   JupyterLab's Run All and nbval go on);
2. the solution (tag ``solution``, solution form only);
3. a check cell (both forms) calling e.g. ``check_clip_loss(my_clip_loss)``.

A check prints PASS, FAIL with a hint, or "not solved yet", and records the
result in ``RESULTS``. The rest of the lesson runs on the reference implementation
from ``modgap_edu``, whatever the learner wrote. In the solution form the source
calls ``require_pass()`` once: from then on a check that does not pass raises
``ExerciseCheckFailed``, so a broken solution fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

PASS, FAIL, NOT_SOLVED = "PASS", "FAIL", "NOT SOLVED"

RESULTS: dict[str, "CheckResult"] = {}
_STRICT = False


class ExerciseCheckFailed(AssertionError):
    """Raised by a check that does not pass while ``require_pass()`` is on (solution form)."""


@dataclass(frozen=True)
class CheckResult:
    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def __str__(self) -> str:
        icon = {PASS: "✅ PASS", FAIL: "❌ FAIL", NOT_SOLVED: "⏳ not solved yet"}[self.status]
        return f"{icon} — {self.exercise}: {self.message}"


def require_pass(on: bool = True) -> None:
    """Solution form: make every later check raise unless it passes."""
    global _STRICT
    _STRICT = bool(on)


def strict() -> bool:
    return _STRICT


def run_check(
    exercise: str,
    attempt: Callable[[], Any],
    verify: Callable[[Any], Optional[str]],
    success: str = "matches the reference implementation.",
) -> CheckResult:
    """Run the learner's code (``attempt``), judge its result (``verify``), print the verdict.

    ``verify`` returns ``None`` when the result is right, else a message that says what
    is wrong and how to fix it. ``NotImplementedError`` means "not solved yet"; any other
    exception is a FAIL that quotes it.
    """
    try:
        value = attempt()
    except NotImplementedError:
        result = CheckResult(
            exercise,
            NOT_SOLVED,
            "replace the `raise NotImplementedError(...)` line with your code, "
            "then re-run the exercise cell and this one.",
        )
    except Exception as exc:  # the learner's code crashed: show why, keep the lesson running
        result = CheckResult(exercise, FAIL, f"your code raised {type(exc).__name__}: {exc}")
    else:
        try:
            problem = verify(value)
        except Exception as exc:
            problem = f"could not compare your result ({type(exc).__name__}: {exc})."
        result = CheckResult(exercise, PASS, success) if problem is None else CheckResult(exercise, FAIL, problem)
    RESULTS[exercise] = result
    print(result)
    if _STRICT and not result.passed:
        raise ExerciseCheckFailed(str(result))
    return None  # printing is the output; the value stays in RESULTS


def as_float(value: Any) -> float:
    return float(value.detach()) if hasattr(value, "detach") else float(value)
