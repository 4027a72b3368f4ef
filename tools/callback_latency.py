"""Slider callback latency of every lesson demo (issue 4 §D). A measurement script, not a timed test.

    .venv/bin/python tools/callback_latency.py              # every solution form
    .venv/bin/python tools/callback_latency.py --only 03    # lessons whose file name contains "03"

Each solution form (``solutions/NN_*.py``) runs as a plain script, offline, with
``modgap_edu.plots.widgets.demo`` replaced by a recorder: when a lesson builds a demo, the recorder
steps each slider through up to ``--steps`` of its values (the other sliders at their
defaults) and times what a learner waits for after a move: the pure plotting function *and*
the PNG rendering that ``widgets.demo`` sends to the browser (``widgets.DemoRenderer``). It prints, per demo, the
median and the 90th percentile over all those moves. Front-end time (sending the image,
the browser drawing it) is not included; the browser tests report the whole round trip
(``_artifacts/screenshots/*/summary.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def slider_values(control, steps: int) -> list:
    """Up to ``steps`` values a slider can take, spread evenly over its range, default first."""
    import ipywidgets as W

    if isinstance(control, W.SelectionSlider):
        values = [v for _, v in control.options]
    elif isinstance(control, W.FloatLogSlider):
        n = int(round((control.max - control.min) / control.step)) + 1
        values = [control.base ** (control.min + i * control.step) for i in range(n)]
    elif isinstance(control, (W.IntSlider, W.FloatSlider)):
        n = int(math.floor((control.max - control.min) / control.step + 1e-9)) + 1
        values = [control.min + i * control.step for i in range(n)]
    else:  # a fixed value, not a slider
        return [control]
    if len(values) > steps:
        idx = sorted({round(i * (len(values) - 1) / (steps - 1)) for i in range(steps)})
        values = [values[i] for i in idx]
    return values


class Recorder:
    def __init__(self, lesson: str, steps: int):
        self.lesson, self.steps, self.rows = lesson, steps, []

    def demo(self, plot_fn, **controls):
        from modgap_edu.plots import widgets
        from modgap_edu.plots.live_figure import BlitRenderer, LiveFigure

        defaults = {k: getattr(c, "value", c) for k, c in controls.items()}
        live = isinstance(plot_fn, LiveFigure)
        if live:  # what demo() does: update the artists in place, redraw only those
            blit = BlitRenderer(plot_fn)
            blit.render(**defaults)  # the cell's first draw (not a slider move)
        else:  # rebuild per move, drawn with the first figure's layout
            render = widgets.DemoRenderer()
            render(plot_fn(**defaults))
        times, draw = [], []
        for name, control in controls.items():
            for value in slider_values(control, self.steps):
                args = dict(defaults, **{name: value})
                t0 = time.perf_counter()
                if live:
                    blit.render(**args)
                    t1 = t0
                else:
                    fig = plot_fn(**args)
                    t1 = time.perf_counter()
                    render(fig)
                times.append(time.perf_counter() - t0)
                draw.append(time.perf_counter() - t1)
        names = ", ".join(getattr(c, "description", k) for k, c in controls.items())
        self.rows.append(
            (
                self.lesson + (" (live)" if live else ""),
                names,
                len(times),
                statistics.median(times),
                _p90(times),
                max(times),
                statistics.median(draw),
            )
        )
        return plot_fn(**defaults)


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(0.9 * len(ordered))) - 1)]


def run_lesson(path: Path, steps: int) -> list[tuple]:
    """Execute one solution script cell by cell with the recording ``demo``; return its rows."""
    import modgap_edu.plots.widgets as widgets

    recorder = Recorder(path.stem, steps)
    original = widgets.demo
    widgets.demo = recorder.demo
    cwd = os.getcwd()
    try:
        os.chdir(path.parent)
        source = path.read_text()
        namespace = {"__name__": "__main__"}
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # the lesson's own prints
            for i, cell in enumerate(re.split(r"^# %%.*$", source, flags=re.M)):
                try:
                    exec(compile(cell, f"{path.name} cell {i}", "exec"), namespace)
                except NotImplementedError:  # exercise stubs (not in the solution form, but harmless)
                    pass
    finally:
        widgets.demo = original
        os.chdir(cwd)
    return recorder.rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="lessons whose file name contains this text")
    parser.add_argument("--steps", type=int, default=12, help="values per slider (default 12)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MODGAP_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    import torch

    torch.set_num_threads(2)
    rows = []
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py")):
        if args.only and args.only not in path.name:
            continue
        if "demo(" not in path.read_text():
            continue
        print(f"running {path.name} ...", file=sys.stderr, flush=True)  # tqdm and warnings go to stderr
        rows += run_lesson(path, args.steps)
    print(f"{'lesson':<33} {'moves':>5} {'median ms':>10} {'p90 ms':>8} {'max ms':>8} {'of it PNG':>10}  sliders")
    for lesson, names, n, med, p90, worst, png in rows:
        print(
            f"{lesson:<33} {n:>5} {med * 1e3:>10.0f} {p90 * 1e3:>8.0f} {worst * 1e3:>8.0f} {png * 1e3:>10.0f}  {names}"
        )
    print(
        "(plot function + PNG rendering per slider move, one process, offline; front-end time not included;"
        " 'of it PNG': median time of the rendering alone;"
        " (live): updated in place, the whole time is rendering)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
