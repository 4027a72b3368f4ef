"""LiveFigure demos: a slider move that updates artists in place shows what a fresh figure shows.

For every in-place demo of the lessons, render a sequence of slider positions with the
``BlitRenderer`` (background once, dynamic artists per move) and compare each frame with a freshly
built figure at the same values, laid out at the same positions. Only anti-aliasing at the edges
of the redrawn artists (drawn last, above the static ones) may differ.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from modgap_edu.experiments import mad_sweep
from modgap_edu.plots import widgets
from modgap_edu.plots.live_figure import BlitRenderer, LiveFigure
from modgap_edu.toys import sphere as toy


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def fresh_png(live: LiveFigure, values: dict) -> bytes:
    fig = live(**values)
    fig.set_layout_engine("none")
    for ax, placed in zip(fig.axes, live.fig.axes):
        ax.set_position(placed.get_position())
    if live.fig._suptitle is not None:  # the layout engine placed the live figure's suptitle
        fig._suptitle.set_position(live.fig._suptitle.get_position())
    return widgets.to_png(fig)


def demos():
    from modgap_edu.plots import lesson04

    torch.set_num_threads(1)
    sweep01 = {"temperature": np.array(toy.TEMPERATURE_GRID[:4])}
    sweep01.update({k: np.linspace(0, 1, 4) for k in ("align", "uniform_image", "uniform_text", "gap", "loss")})
    yield (
        "lesson04 sweep explorer",
        lesson04.SweepExplorer(mad_sweep.load_sweep(validate=False)),
        [
            {"k": 1, "temperature": 0.03},
            {"k": 0, "temperature": 0.03},
            {"k": 5, "temperature": 0.3},
            {"k": 3, "temperature": 0.01},
        ],
    )
    from modgap_edu.plots import lesson03, lesson05
    from modgap_edu.plots.lesson01 import TemperatureDemo

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 12)) + 2.0
    y = x + rng.normal(size=(80, 12)) - 1.0
    yield (
        "lesson03 shift",
        lesson03.ShiftDemo(
            x,
            y,
            alphas=np.round(np.arange(-1, 1.01, 0.25), 2),
            temperatures=(0.01, 0.1, 1.0),
            n_show=40,
            label="test pairs",
        ),
        [
            {"alpha": 0.0, "temperature": 0.01},
            {"alpha": 0.5, "temperature": 0.01},
            {"alpha": 0.5, "temperature": 1.0},
            {"alpha": -0.75, "temperature": 1.0},
            {"alpha": 0.25, "temperature": 0.1},
        ],
    )
    yield (
        "lesson03 sphere",
        lesson03.SphereToyDemo(),
        [
            {"delta_theta_deg": 30, "temperature": 0.01},
            {"delta_theta_deg": -45, "temperature": 0.01},
            {"delta_theta_deg": -45, "temperature": 1.0},
            {"delta_theta_deg": 80, "temperature": 0.2},
        ],
    )
    yield (
        "lesson05 metrics",
        lesson05.MetricDemo(n=120),
        [
            {"spread_image": 0.6, "spread_text": 0.6, "distance": 0.8},
            {"spread_image": 0.02, "spread_text": 0.6, "distance": 0.8},
            {"spread_image": 3.0, "spread_text": 0.1, "distance": 1.9},
            {"spread_image": 0.6, "spread_text": 0.6, "distance": 0.0},
        ],
    )
    yield (
        "lesson01 temperature",
        TemperatureDemo(sweep01),
        [
            {"temperature": toy.TEMPERATURE_GRID[0]},
            {"temperature": toy.TEMPERATURE_GRID[3]},
            {"temperature": toy.TEMPERATURE_GRID[1]},
        ],
    )


def panels_3d(fig) -> np.ndarray:
    """Mask of the pixels inside 3-D axes (where the moving points are drawn above the static wireframe
    instead of depth-sorted with it: they may differ there, a little)."""
    w, h = fig.canvas.get_width_height()
    mask = np.zeros((h, w), dtype=bool)
    for ax in fig.axes:
        if ax.name == "3d":
            x0, y0, x1, y1 = ax.get_window_extent().extents
            mask[int(h - y1) : int(h - y0) + 1, int(x0) : int(x1) + 1] = True
    return mask


@pytest.mark.parametrize("name,live,moves", list(demos()), ids=lambda v: v if isinstance(v, str) else "")
def test_in_place_updates_match_fresh_figures(name, live, moves):
    render = BlitRenderer(live)
    for values in moves:
        got = pixels(render.render(**values))
        want = pixels(fresh_png(live, values))
        assert got.shape == want.shape, f"{name} at {values}: image size changed"
        differ = np.abs(got - want).sum(axis=2) > 30
        in_3d = panels_3d(live.fig)
        flat = differ[~in_3d].mean()
        assert flat < 0.002, f"{name} at {values}: {flat:.2%} of the 2-D pixels differ from a fresh figure"
        if in_3d.any():
            deep = differ[in_3d].mean()
            assert deep < 0.05, f"{name} at {values}: {deep:.2%} of the 3-D panel differs from a fresh figure"


def test_pure_call_does_not_touch_the_live_figure():
    from modgap_edu.plots import lesson04

    live = lesson04.SweepExplorer(mad_sweep.load_sweep(validate=False))
    render = BlitRenderer(live)
    render.render(k=1, temperature=0.03)
    shown = live.fig
    other = live(k=5, temperature=0.3)
    assert live.fig is shown and other is not shown
    assert "k=1" in shown.axes[0].get_title() and "k=5" in other.axes[0].get_title()
