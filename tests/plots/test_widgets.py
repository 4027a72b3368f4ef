"""Widgets are thin shells: headless slider moves re-run the pure function; no figure is duplicated."""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from modgap_edu.toys import sphere as toy
from modgap_edu.plots import widgets
from modgap_edu.plots.lesson01 import plot_objectives, plot_softmax_weights, plot_temperature_demo


def test_demo_outside_a_notebook_calls_once_with_defaults():
    calls = []

    def plot(a, b):
        calls.append((a, b))
        return widgets.new_figure()

    fig = widgets.demo(plot, a=widgets.float_slider("a (units)", 0, 1, 0.25, 0.05), b=3)
    assert isinstance(fig, Figure) and calls == [(0.25, 3)]


def test_log_slider_range_and_value():
    s = widgets.log_slider("temperature τ", 0.005, 1.0, 0.01)
    assert s.min == pytest.approx(-2.30103) and s.max == pytest.approx(0.0) and s.value == pytest.approx(0.01)
    assert "τ" in s.description and s.continuous_update is False


def test_new_figure_is_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    widgets.new_figure()
    assert plt.get_fignums() == before


def test_temperature_slider_callback_headless():
    torch.set_num_threads(1)
    sweep = {"temperature": np.array(toy.TEMPERATURE_GRID[:3])}
    sweep.update({k: np.zeros(3) for k in ("align", "uniform_image", "uniform_text", "gap", "loss")})
    w = W.interactive(lambda temperature: plot_temperature_demo(temperature, sweep),
                      temperature=widgets.log_slider("temperature τ", 0.005, 1.0, 0.01))
    w.children[0].value = 0.0063
    title = w.result.axes[1].get_title()
    assert title.startswith(f"τ = {toy.nearest_grid_temperature(0.0063):.3g}")
    w.children[0].value = 0.005
    assert w.result.axes[1].get_title().startswith("τ = 0.005")


def test_static_plots_build():
    torch.set_num_threads(1)
    runs = [toy.train_toy(o, steps=5) for o in ("alignment", "clip")]
    fig = plot_objectives(runs)
    assert len(fig.axes) == 2 and "alignment" in fig.axes[0].get_title()
    assert len(plot_softmax_weights([0.3, 0.2, 0.1]).axes) == 3
    with pytest.raises(ValueError, match="runs is empty"):
        plot_objectives([])
    assert widgets.to_png(fig)[:4] == b"\x89PNG"


def test_static_mode_env(monkeypatch):
    monkeypatch.setenv("MODGAP_WIDGETS", "static")
    assert widgets.static_mode()
    monkeypatch.setenv("MODGAP_WIDGETS", "")
    assert not widgets.static_mode()


def test_choice_slider_steps_through_exactly_the_options():
    s = widgets.choice_slider("frozen temperature τ (cached runs)", (0.01, 0.03, 0.1, 0.3), 0.03)
    assert isinstance(s, W.SelectionSlider) and s.value == 0.03 and s.label == "0.03"
    assert [v for _, v in s.options] == [0.01, 0.03, 0.1, 0.3]
    s.index = 2
    assert s.value == 0.1 and s.continuous_update is False
    with pytest.raises(ValueError, match="not one of the options"):
        widgets.choice_slider("τ", (0.01, 0.03), 0.05)
    with pytest.raises(ValueError, match="at least one option"):
        widgets.choice_slider("τ", (), 0.05)


def test_sweep_explorer_slider_changes_the_figure_at_every_step():
    """Lesson 04 §6: each position of the τ slider is a different cached run (no snapping)."""
    from modgap_edu.experiments import mad_sweep
    from modgap_edu.plots import lesson04 as P

    sweep = mad_sweep.load_sweep(validate=False)
    w = W.interactive(lambda temperature: P.sweep_explorer(1, temperature, sweep),
                      temperature=widgets.choice_slider("τ", mad_sweep.TEMPERATURES, 0.03))
    titles = []
    for i in range(len(mad_sweep.TEMPERATURES)):
        w.children[0].index = i
        titles.append(w.result.axes[1].get_title())
    assert len(set(titles)) == len(mad_sweep.TEMPERATURES), titles


def test_demo_widget_redraws_an_image_widget_without_an_output_widget():
    """Issue 14 §3: no Output widget (headless clients stall on its emulation); the PNG is an Image's value."""
    calls = []

    def plot(a, b):
        calls.append((a, b))
        fig = widgets.new_figure(2, 1)
        fig.add_subplot().set_title(f"a = {a}")
        return fig

    renderer = widgets.DemoRenderer()
    slider = widgets.float_slider("a (units)", 0, 1, 0.25, 0.05)
    w = widgets.DemoWidget(lambda **v: (lambda fig: (renderer(fig), fig))(plot(**v)), {"a": slider, "b": 3})
    assert calls == [(0.25, 3)] and bytes(w.image.value).startswith(b"\x89PNG")
    assert not any(isinstance(c, W.Output) for c in w.box.children)
    first = bytes(w.image.value)
    slider.value = 0.5
    assert calls[-1] == (0.5, 3) and bytes(w.image.value) != first
    assert w.result.axes[0].get_title() == "a = 0.5"

    def broken(**v):
        raise ValueError("no figure for this value")

    w.render = broken
    slider.value = 0.75
    assert "no figure for this value" in w.error.value and bytes(w.image.value) != first  # last good image kept
