"""Every lesson as a learner meets it: JupyterLab in Chromium (issue 7 §1).

For each notebook in lessons/ and solutions/ that has sliders (found anew each run):
run all cells; no error output except in cells tagged ``raises-exception`` (the exercise
stubs, which must raise NotImplementedError); every slider the kernel created renders;
each slider, moved one step with the keyboard (focus the noUiSlider handle, ArrowRight),
changes its readout and re-draws its figure: the image changes, then settles (kernel idle
and the image unchanged for 1.5 s), still one figure per demo. Before/after screenshots
of each demo go to ``_artifacts/screenshots/<form>/<lesson>/`` (git-ignored), with a
``summary.json`` of what was seen.

Run alone:  .venv/bin/pytest -m browser -v
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from browser_env import COURSE, lesson_notebooks

# browser_available first: without /usr/bin/chromium or playwright every test skips, saying why
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_available")]

SETTLE_S = 1.5  # the figure must stay unchanged this long after a move
REDRAW_TIMEOUT_S = 60  # a callback should take < 150 ms; this only guards against a hang
RUN_ALL_TIMEOUT_MS = 300_000

SLIDER_CLASSES = (
    "IntSlider",
    "FloatSlider",
    "FloatLogSlider",
    "SelectionSlider",
    "IntRangeSlider",
    "FloatRangeSlider",
    "SelectionRangeSlider",
)
# One expression, so nothing is left in the learner's namespace.
KERNEL_SLIDERS = (
    "print(__import__('json').dumps([{'description': m.description, 'class': type(m).__name__} "
    "for m in list(__import__('ipywidgets').widgets.widget._instances.values()) "
    f"if type(m).__name__ in {SLIDER_CLASSES!r}]))"
)

JS_NOTEBOOK_READY = """() => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.context || !w.context.isReady) return false;
  const s = w.sessionContext.session;
  return !!(s && s.kernel && s.kernel.status === 'idle');
}"""
JS_KERNEL_STATUS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const s = w && w.sessionContext && w.sessionContext.session;
  return s && s.kernel ? s.kernel.status : 'none';
}"""
JS_RUN_ALL = """() => {
  window.__runAllDone = false;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    r => { window.__runAllResult = String(r); window.__runAllDone = true; },
    e => { window.__runAllResult = 'error: ' + e; window.__runAllDone = true; });
}"""
JS_CELL_REPORT = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  return nb.widgets.map((cell, i) => {
    const m = cell.model;
    const out = {index: i, type: m.type, tags: m.getMetadata('tags') || [], errors: [],
                 executed: m.type !== 'code' || m.executionCount !== null};
    if (m.type === 'code') {
      for (const o of m.outputs.toJSON()) {
        if (o.output_type === 'error') out.errors.push({ename: o.ename, evalue: o.evalue});
      }
    }
    return out;
  });
}"""
JS_RUN_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const s = w.sessionContext.session;
  let pending = 0, failed = 0;
  for (const cell of w.content.widgets) {
    const m = cell.model;
    if (m.type !== 'code') continue;
    if (m.executionCount === null) pending += 1;
    const tags = m.getMetadata('tags') || [];
    if (!tags.includes('raises-exception') && m.outputs.toJSON().some(o => o.output_type === 'error')) failed += 1;
  }
  return {pending, failed, status: s && s.kernel ? s.kernel.status : 'none'};
}"""
JS_KERNEL_EXEC = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let text = '';
  future.onIOPub = msg => { if (msg.header.msg_type === 'stream') text += msg.content.text; };
  await future.done;
  return text;
}"""
CELL_XPATH = "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-Cell ')][1]"


def has_sliders(path: Path) -> bool:
    """A cheap static look: does any code cell make a slider or a demo?"""
    nb = nbformat.read(path, as_version=4)
    pattern = re.compile(r"\b(demo|interact|interactive|\w*Slider|\w*_slider)\s*\(")
    return any(c.cell_type == "code" and pattern.search(c.source) for c in nb.cells)


NOTEBOOKS = lesson_notebooks()


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:40] or "slider"


def wait_ready(page, lab, relpath: str) -> None:
    page.goto(lab.tree_url(relpath))
    page.wait_for_function(JS_NOTEBOOK_READY, timeout=120_000, polling=250)


def image_signature(cell) -> tuple[int, str]:
    srcs = cell.locator(".jp-Cell-outputWrapper img").evaluate_all("els => els.map(e => e.src)")
    return len(srcs), "|".join(srcs)


def wait_redrawn(page, cell, before: tuple[int, str]) -> tuple[tuple[int, str], float]:
    """Wait until the figure differs from ``before`` and then stays the same for SETTLE_S with the kernel idle."""
    start = time.monotonic()
    changed_at = None
    last = before
    stable_since = time.monotonic()
    while time.monotonic() - start < REDRAW_TIMEOUT_S:
        page.wait_for_timeout(200)
        now = image_signature(cell)
        if now != last:
            last, stable_since = now, time.monotonic()
            if changed_at is None and now[1] != before[1] and now[0] > 0:
                changed_at = time.monotonic() - start
        idle = page.evaluate(JS_KERNEL_STATUS) == "idle"
        if changed_at is not None and idle and last[0] > 0 and time.monotonic() - stable_since >= SETTLE_S:
            return last, changed_at
    raise AssertionError(
        f"figure did not re-draw and settle within {REDRAW_TIMEOUT_S} s (changed: {changed_at is not None})"
    )


def wait_run_all(page) -> None:
    """Wait until every code cell has run and the kernel is idle, or Run All stopped at an error.

    (The promise of 'notebook:run-all-cells' settles before the last cells have run, so
    the cells themselves are watched.)
    """
    deadline = time.monotonic() + RUN_ALL_TIMEOUT_MS / 1000
    stopped_since = None
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        state = page.evaluate(JS_RUN_STATE)
        if state["status"] != "idle":
            stopped_since = None
            continue
        if state["pending"] == 0:
            return
        if state["failed"] and window_done(page):
            stopped_since = stopped_since or time.monotonic()
            if time.monotonic() - stopped_since > 3:
                return  # stopped at an unexpected error: the error check reports it
    raise AssertionError(
        f"Run All did not finish within {RUN_ALL_TIMEOUT_MS / 1000:.0f} s: {page.evaluate(JS_RUN_STATE)}"
    )


def window_done(page) -> bool:
    return bool(page.evaluate("() => window.__runAllDone === true"))


def count_news_toasts(page) -> int:
    toasts = page.locator(".Toastify__toast", has_text=re.compile("news", re.I))
    return toasts.count()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[f"{p.parent.name}/{p.name}" for p in NOTEBOOKS])
def test_lesson_runs_and_sliders_redraw(notebook: Path, page, lab, screenshots):
    if not has_sliders(notebook):
        pytest.skip(f"{notebook.name} has no sliders (nbval runs it headless)")
    rel = f"{notebook.parent.name}/{notebook.name}"
    shots = screenshots / notebook.parent.name / notebook.stem
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    summary = {"notebook": rel, "sliders": []}
    t0 = time.monotonic()

    wait_ready(page, lab, rel)
    summary["open_s"] = round(time.monotonic() - t0, 1)
    t1 = time.monotonic()
    page.evaluate(JS_RUN_ALL)
    wait_run_all(page)
    summary["run_all_s"] = round(time.monotonic() - t1, 1)
    page.screenshot(path=str(shots / "00_after_run_all.png"))

    # 1. no error except the exercise stubs (tagged raises-exception), and those raise NotImplementedError
    cells = page.evaluate(JS_CELL_REPORT)
    unexpected = [c for c in cells if c["errors"] and "raises-exception" not in c["tags"]]
    assert not unexpected, f"{rel}: cells with errors: " + "; ".join(
        f"cell {c['index']}: {e['ename']}: {e['evalue'][:200]}" for c in unexpected for e in c["errors"]
    )
    wrong_stub = [
        c
        for c in cells
        if "raises-exception" in c["tags"] and any(e["ename"] != "NotImplementedError" for e in c["errors"])
    ]
    assert not wrong_stub, f"{rel}: an exercise stub raised something else than NotImplementedError: {wrong_stub}"
    not_run = [c["index"] for c in cells if not c["executed"]]
    assert not not_run, (
        f"{rel}: Run All stopped early ({page.evaluate('() => window.__runAllResult')}); "
        f"cells never executed: {not_run}; cells: {cells}"
    )

    # 2. every slider the kernel created is on the page
    expected = json.loads(page.evaluate(JS_KERNEL_EXEC, KERNEL_SLIDERS) or "[]")
    assert expected, f"{rel}: the source makes sliders but the kernel holds none"
    sliders = page.locator(".jp-Notebook .jp-OutputArea .widget-slider")
    try:
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-Notebook .jp-OutputArea .widget-slider').length >= n",
            arg=len(expected),
            timeout=30_000,
        )
    except Exception:
        pass
    assert sliders.count() == len(expected), (
        f"{rel}: kernel made {len(expected)} sliders {[e['description'] for e in expected]}, "
        f"page shows {sliders.count()}"
    )

    # 3. each slider, moved one keyboard step, changes its readout and re-draws one figure
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        label_el = slider.locator(".widget-label").first
        # text_content, not inner_text: the latter is "" for cells the notebook has not laid out yet
        label = (label_el.text_content() or "").strip() or f"slider {i + 1}"
        readout = slider.locator(".widget-readout")
        handle = slider.locator(".noUi-handle").first
        cell = slider.locator(CELL_XPATH)
        handle.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        before_value = readout.inner_text().strip()
        before_img = image_signature(cell)
        assert before_img[0] >= 1, f"{rel}: the demo with slider '{label}' shows no figure"
        name = f"{i + 1:02d}_{slug(label)}"
        cell.screenshot(path=str(shots / f"{name}_before.png"))

        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)
        if readout.inner_text().strip() == before_value:  # already at its maximum
            page.keyboard.press("ArrowLeft")
        t_move = time.monotonic()
        try:
            after_img, first_change_s = wait_redrawn(page, cell, before_img)
        except AssertionError as exc:
            cell.screenshot(path=str(shots / f"{name}_after.png"))
            raise AssertionError(
                f"{rel}: slider '{label}' moved {before_value} -> {readout.inner_text().strip()}: "
                f"{exc}. A slider whose steps do not change the figure (e.g. it snaps to a "
                "coarser cached grid) looks broken to a learner."
            ) from None
        after_value = readout.inner_text().strip()
        cell.screenshot(path=str(shots / f"{name}_after.png"))
        summary["sliders"].append(
            {
                "label": label,
                "before": before_value,
                "after": after_value,
                "images": after_img[0],
                "first_redraw_s": round(first_change_s, 2),
                "settled_s": round(time.monotonic() - t_move, 2),
            }
        )
        assert after_value != before_value, f"{rel}: slider '{label}' readout did not change ({before_value})"
        assert after_img[0] == before_img[0], (
            f"{rel}: slider '{label}': {before_img[0]} figure(s) before the move, {after_img[0]} after "
            "(duplicated or missing plot)"
        )
        # put it back so the next slider of the same demo starts from the documented state
        handle.focus()
        page.keyboard.press("ArrowLeft" if after_value != before_value else "ArrowRight")
        wait_redrawn(page, cell, after_img)

    assert count_news_toasts(page) == 0, "the 'Jupyter news' toast showed: binder/labconfig settings not applied"
    summary["total_s"] = round(time.monotonic() - t0, 1)
    (shots / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(summary, ensure_ascii=False))


PY_LESSONS = sorted((COURSE / "lessons").glob("[0-9][0-9]_*.py"))[:1]


@pytest.mark.parametrize("lesson", PY_LESSONS, ids=[p.name for p in PY_LESSONS])
def test_py_lesson_opens_as_notebook(lesson: Path, page, lab):
    """binder/labconfig makes JupyterLab open lessons/*.py with the Jupytext Notebook viewer."""
    page.goto(lab.tree_url(f"lessons/{lesson.name}"))
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return !!(w && w.context && w.context.isReady); }",
        timeout=120_000,
    )
    kind = page.evaluate(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return {notebook: !!(w.content && w.content.widgets && w.sessionContext),"
        " path: w.context.path}; }"
    )
    assert kind["path"].endswith(lesson.name)
    assert kind["notebook"], f"{lesson.name} opened as a text file, not as a notebook (Jupytext viewer not default)"
    # The model holds every cell at once; the DOM renders them lazily (windowed notebook), so wait for both.
    n_cells = page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget; const n = w.content.model.cells.length;"
        " return n > 1 && document.querySelectorAll('.jp-Notebook .jp-Cell').length > 1 ? n : 0; }",
        timeout=60_000,
        polling=250,
    ).json_value()
    source_cells = len(nbformat.read(lesson.with_suffix(".ipynb"), as_version=4).cells)
    assert n_cells == source_cells, f"{lesson.name} opened with {n_cells} cells, its .ipynb pair has {source_cells}"
