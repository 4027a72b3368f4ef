"""Lesson 03 widgets and figures: slider moves re-run the pure plot functions headlessly; the numbers in
the titles are the ones the package computes; figures are not registered with pyplot (never drawn twice).

Latency is measured, not asserted (the machine is shared): run
``python tests/test_lesson03_widgets.py`` to print the median callback times.
"""

from __future__ import annotations

import re

import ipywidgets as W
import numpy as np
import pytest
from matplotlib.figure import Figure

from modgap_edu.core import shift
from modgap_edu.experiments import init_vs_opt
from modgap_edu.plots import lesson03 as P
from modgap_edu.plots.widgets import float_slider, log_slider, to_png
from modgap_edu.toys import six_pairs


def small_pairs(n=100, d=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * 0.4 + np.eye(d)[0]
    y = 0.6 * x + rng.standard_normal((n, d)) * 0.3 + np.eye(d)[1]
    return x, y


@pytest.fixture(scope="module")
def demo_state():
    x, y = small_pairs()
    return P.ShiftDemo(x, y, label="test pairs")


def numbers(text):
    return [float(v) for v in re.findall(r"[-+]?\d+\.\d+", text)]


def test_shift_demo_sliders_headless(demo_state):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    w = W.interactive(
        demo_state.plot,
        alpha=float_slider("shift α", -1.0, 3.0, 0.0, 0.05),
        temperature=log_slider("temperature τ", 0.01, 1.0, 0.01),
    )
    for alpha, tau in ((0.5, 0.01), (1.25, 0.1), (-0.4, 1.0)):
        w.children[0].value = alpha
        w.children[1].value = tau
        fig = w.result
        assert isinstance(fig, Figure)
        left, right = fig.axes[0].get_title(), fig.axes[1].get_title()
        xs, ys = shift.shift_embeddings(demo_state.x, demo_state.y, alpha=alpha)
        expected_gap = shift.signed_gap(xs, ys, demo_state.land.pc1)
        assert numbers(left)[1] == pytest.approx(expected_gap, abs=6e-4)
        loss_official, loss_sym = numbers(right)[-2:]
        t = w.children[1].value
        assert loss_official == pytest.approx(shift.batched_clip_loss(xs, ys, t), abs=6e-4)
        assert loss_sym == pytest.approx(shift.batched_clip_loss(xs, ys, t, protocol="symmetric"), abs=6e-4)
    assert plt.get_fignums() == before


def test_shift_demo_grid_and_off_grid_points_agree(demo_state):
    on = demo_state.point(0.5, 0.01)
    xs, ys = shift.shift_embeddings(demo_state.x, demo_state.y, alpha=0.5)
    assert on["official"] == pytest.approx(shift.batched_clip_loss(xs, ys, 0.01), rel=1e-10)
    off = demo_state.point(0.4321, 0.0314)  # neither on the alpha grid nor on the tau grid
    xs, ys = shift.shift_embeddings(demo_state.x, demo_state.y, alpha=0.4321)
    assert off["symmetric"] == pytest.approx(shift.batched_clip_loss(xs, ys, 0.0314, protocol="symmetric"), rel=1e-10)


def test_sphere_demo_sliders_headless():
    w = W.interactive(
        P.plot_sphere_toy,
        delta_theta_deg=float_slider("Δθ (degrees)", -90, 90, 30, 5),
        temperature=log_slider("temperature τ", 0.01, 1.0, 0.01),
    )
    for d, tau in ((0, 0.01), (75, 0.01), (-45, 1.0)):
        w.children[0].value = d
        w.children[1].value = tau
        title = w.result.axes[1].get_title()
        mis, mat = numbers(title)[-2:]
        assert mis == pytest.approx(six_pairs.sphere_toy_loss(d, w.children[1].value, True), abs=6e-4)
        assert mat == pytest.approx(six_pairs.sphere_toy_loss(d, w.children[1].value, False), abs=6e-4)


def test_static_figures_render():
    x, y = small_pairs()
    land = shift.loss_landscape(x, y, temperatures=(0.01, 1.0))
    figs = [P.plot_shift_landscapes(land, (0.01, 1.0), gap0=0.5), P.plot_sphere_curves()]
    asset = init_vs_opt.load_asset()
    live = [dict(r, gap_trained=r["gap_per_epoch"][29]) for r in asset["results"][:2]]
    figs += [P.plot_init_vs_opt(asset, live=live), P.plot_gap_per_epoch(asset, live=live)]
    for fig in figs:
        assert isinstance(fig, Figure)
        assert to_png(fig)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="temperature"):
        P.plot_sphere_toy(0, 0)


# Slider latency is measured (not asserted) by tools/callback_latency.py.
