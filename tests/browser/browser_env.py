"""Where the browser tests look, and whether they can run (shared by conftest and the tests)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COURSE = Path(os.environ.get("MODGAP_BROWSER_ROOT", REPO)).resolve()
CHROMIUM = Path(os.environ.get("MODGAP_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "_artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
]
# MODGAP_BROWSER_FORMS=solutions halves the run (the student form differs only by its stubs)
FORMS = tuple(os.environ.get("MODGAP_BROWSER_FORMS", "lessons,solutions").replace(" ", "").split(","))


def missing_browser_reason() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"browser tests skipped: {CHROMIUM} not found. Install Debian's Chromium with "
            "`apt-get update && apt-get install -y chromium` (CI does this in .ci/run)."
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: the playwright package is not installed (pip install -e '.[dev]')."
    return None


def lesson_notebooks() -> list[Path]:
    """Every lesson notebook of both forms, found anew each run (no list to maintain)."""
    return sorted(p for form in FORMS for p in (COURSE / form).glob("[0-9][0-9]_*.ipynb"))
