"""Lesson 04 figures and the slider callback, driven headlessly from the shipped sweep."""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest
from matplotlib.figure import Figure

from modgap_edu.experiments import mad_sweep
from modgap_edu.plots import lesson04 as P
from modgap_edu.plots.widgets import int_slider, log_slider


@pytest.fixture(scope="module")
def sweep():
    return mad_sweep.load_sweep()


def test_sweep_plots(sweep):
    live = {"k": 1, "rmg": 0.4, "l2m": 0.5, "moad_image": 0.0, "moad_text": 0.0}
    fig = P.plot_sweep(sweep, ("rmg", "l2m", "moad_image", "moad_text"), live=live)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    ax = fig.axes[0]
    # the error-bar line holds the seed means of RMG in mode order
    means = [mad_sweep.table(sweep, "rmg")[k][0] for k in mad_sweep.MODES]
    line = ax.lines[0]
    np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), means)
    for fn in (P.plot_presence, P.plot_finetune):
        assert isinstance(fn(sweep), Figure)


def test_slider_callback_headless(sweep):
    import ipywidgets as W

    w = W.interactive(
        lambda k, temperature: P.sweep_explorer(k, temperature, sweep),
        k=int_slider("caption information k (0 = object only)", 0, 5, 1),
        temperature=log_slider("frozen temperature τ", 0.01, 0.3, 0.03),
    )
    w.update()
    times = []
    for k, tau in ((0, 0.01), (5, 0.3), (3, 0.1)):
        t0 = time.perf_counter()
        w.children[0].value = k
        w.children[1].value = tau
        w.update()
        times.append(time.perf_counter() - t0)
        title = w.result.axes[0].get_title()
        m = mad_sweep.table(sweep, "rmg")[None if k == 0 else k][0]
        assert mad_sweep.mode_name(None if k == 0 else k) in title and f"{m:.2f}" in title
        assert f"selected τ = {tau:g}" in w.result.axes[1].get_title()
    assert statistics.median(times) < 1.0  # two figure builds per update; cached numbers only


def test_embedding_pca_runs():
    rng = np.random.default_rng(0)
    img, txt = rng.normal(size=(50, 8)), rng.normal(size=(50, 8))
    fig = P.embedding_pca(img, txt, rng.integers(0, 7, 50), rng.integers(0, 10, 50), n=50)
    assert len(fig.axes) == 2


def test_plot_history():
    hist = [{"epoch": i, "loss": 5 - i, "temperature": 0.07, "rmg": 0.5 - 0.05 * i} for i in range(1, 4)]
    fig = P.plot_history(hist)
    np.testing.assert_allclose(fig.axes[2].lines[0].get_ydata(), [0.45, 0.4, 0.35])


def test_mechanism_plots(sweep):
    fig = P.plot_mechanism(sweep)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    means = [mad_sweep.table(sweep, "alignment")[k][0] for k in mad_sweep.MODES]
    np.testing.assert_allclose(np.asarray(fig.axes[0].lines[0].get_ydata(), dtype=float), means)
    rows = P.mechanism_runs(sweep)
    assert [r["k"] for r in rows] == list(mad_sweep.PROBE_MODES)
    fig = P.plot_mechanism_history(sweep)
    assert len(fig.axes) == 6 and len(fig.axes[3].lines) == len(rows)
    np.testing.assert_allclose(
        fig.axes[3].lines[0].get_ydata(), [e["loss_matched"] for e in rows[0]["mechanism_history"]]
    )
    fig = P.plot_large_gap_init(sweep)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4
    with pytest.raises(ValueError, match="mechanism_history"):
        P.plot_mechanism_history({"runs": []})
