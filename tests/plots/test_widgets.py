"""Widgets are thin shells: headless slider moves re-run the pure function; no figure is duplicated."""

from __future__ import annotations

import ipywidgets as W
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from modgap_edu.plots import widgets
from modgap_edu.plots.lesson01 import plot_objectives, plot_softmax_weights, plot_temperature_demo
from modgap_edu.toys import sphere as toy


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
    w = W.interactive(
        lambda temperature: plot_temperature_demo(temperature, sweep),
        temperature=widgets.log_slider("temperature τ", 0.005, 1.0, 0.01),
    )
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
    w = W.interactive(
        lambda temperature: P.sweep_explorer(1, temperature, sweep),
        temperature=widgets.choice_slider("τ", mad_sweep.TEMPERATURES, 0.03),
    )
    titles = []
    for i in range(len(mad_sweep.TEMPERATURES)):
        w.children[0].index = i
        titles.append(w.result.axes[1].get_title())
    assert len(set(titles)) == len(mad_sweep.TEMPERATURES), titles


# ---------------------------------------------------------------- slider factories reject bad ranges (issue 14)

NAN, INF = float("nan"), float("inf")
BAD_SLIDERS = [
    # factory, args, error, message fragment
    (widgets.float_slider, ("α", NAN, 1.0, 0.5, 0.1), ValueError, "low must be a finite number"),
    (widgets.float_slider, ("α", 0.0, INF, 0.5, 0.1), ValueError, "high must be a finite number"),
    (widgets.float_slider, ("α", 0.0, 1.0, NAN, 0.1), ValueError, "value must be a finite number"),
    (widgets.float_slider, ("α", 0.0, 1.0, 0.5, 0.0), ValueError, "step must be > 0"),
    (widgets.float_slider, ("α", 0.0, 1.0, 0.5, -0.1), ValueError, "step must be > 0"),
    (widgets.float_slider, ("α", 0.0, 1.0, 0.5, 2.0), ValueError, "at most high - low"),
    (widgets.float_slider, ("α", 1.0, 1.0, 1.0, 0.1), ValueError, "must be smaller than high"),
    (widgets.float_slider, ("α", 2.0, 1.0, 1.5, 0.1), ValueError, "must be smaller than high"),
    (widgets.float_slider, ("α", 0.0, 1.0, 1.5, 0.1), ValueError, "outside the range"),
    (widgets.float_slider, ("α", 0.0, 1.0, "0.5", 0.1), TypeError, "value must be a number"),
    (widgets.float_slider, ("", 0.0, 1.0, 0.5, 0.1), ValueError, "description must be a non-empty string"),
    (widgets.log_slider, ("τ", 0.0, 1.0, 0.1), ValueError, "low must be > 0 on a log scale"),
    (widgets.log_slider, ("τ", -1.0, 1.0, 0.1), ValueError, "low must be > 0 on a log scale"),
    (widgets.log_slider, ("τ", NAN, 1.0, 0.1), ValueError, "low must be a finite number"),
    (widgets.log_slider, ("τ", 0.01, NAN, 0.1), ValueError, "high must be a finite number"),
    (widgets.log_slider, ("τ", 1.0, 0.01, 0.1), ValueError, "must be smaller than high"),
    (widgets.log_slider, ("τ", 0.01, 1.0, 2.0), ValueError, "outside the range"),
    (widgets.log_slider, ("τ", 0.01, 1.0, 0.1, 0), ValueError, "steps_per_decade must be a positive integer"),
    (widgets.log_slider, ("τ", 0.01, 1.0, 0.1, 2.5), ValueError, "steps_per_decade must be a positive integer"),
    (widgets.int_slider, ("depth", 0, 6, 1, 0), ValueError, "step must be > 0"),
    (widgets.int_slider, ("depth", 0, 6, 7), ValueError, "outside the range"),
    (widgets.int_slider, ("depth", 6, 0, 1), ValueError, "must be smaller than high"),
    (widgets.int_slider, ("depth", 0, 6, 1.5), TypeError, "value must be an integer"),
    (widgets.int_slider, ("depth", 0.0, 6, 1), TypeError, "low must be an integer"),
    (widgets.choice_slider, ("τ", (0.01, NAN), 0.01), ValueError, "options must be finite"),
    (widgets.choice_slider, ("τ", (0.01, 0.01, 0.1), 0.01), ValueError, "options must be distinct"),
    (widgets.choice_slider, ("τ", (0.011, 0.012), 0.011, ".1g"), ValueError, "print alike"),
]


@pytest.mark.parametrize(
    "factory,args,error,message",
    BAD_SLIDERS,
    ids=[f"{f.__name__}-{m.split()[0]}-{i}" for i, (f, _, _, m) in enumerate(BAD_SLIDERS)],
)
def test_slider_factories_reject_bad_arguments(factory, args, error, message):
    with pytest.raises(error, match=message) as info:
        factory(*args)
    assert repr(args[0]) in str(info.value), "the message names the slider"


GOOD_SLIDERS = [
    (widgets.float_slider, ("α", -1.0, 3.0, 0.0, 0.05), W.FloatSlider, 0.0),
    (widgets.float_slider, ("α", 0.0, 1.0, 1.0, 1.0), W.FloatSlider, 1.0),  # value at the edge, one step
    (widgets.log_slider, ("τ", 0.01, 1.0, 0.01), W.FloatLogSlider, 0.01),
    (widgets.log_slider, ("τ", 0.02, 3.0, 3.0, 12), W.FloatLogSlider, 3.0),
    (widgets.int_slider, ("depth", 0, 6, 1), W.IntSlider, 1),
    (widgets.int_slider, ("seed", np.int64(0), np.int64(9), np.int64(9)), W.IntSlider, 9),
    (widgets.choice_slider, ("τ", (0.01, 0.03), 0.03), W.SelectionSlider, 0.03),
]


@pytest.mark.parametrize("factory,args,cls,value", GOOD_SLIDERS, ids=lambda v: getattr(v, "__name__", ""))
def test_slider_factories_build_valid_sliders(factory, args, cls, value):
    s = factory(*args)
    assert isinstance(s, cls) and s.value == pytest.approx(value) and s.description == args[0]


def test_slider_range_returns_floats_and_names_the_slider():
    assert widgets.slider_range("x", 0, 2, 1, 1) == (0.0, 2.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="slider 'spread s_img'"):
        widgets.slider_range("spread s_img", 0, 1, 2, 0.1)


# ---------------------------------------------------------------- one figure per demo (issue 13 §2)


@pytest.fixture
def fake_kernel(monkeypatch):
    """``demo`` as in a notebook: in_notebook() is True and every display() is recorded."""
    import IPython.display

    shown = []
    monkeypatch.setattr(widgets, "in_notebook", lambda: True)
    monkeypatch.delenv("MODGAP_WIDGETS", raising=False)
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    return shown


def png_pixels(data: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def bar_figure(height: float):
    fig = widgets.new_figure(3, 2)
    fig.add_subplot().bar([0], [height])
    fig.axes[0].set_ylim(0, 1)
    return fig


def test_demo_display_data_carries_the_default_figure_as_png(fake_kernel):
    import base64

    w = widgets.demo(bar_figure, height=widgets.float_slider("height h", 0.0, 1.0, 0.25, 0.05))
    assert isinstance(w, widgets.DemoWidget) and not fake_kernel, "the default figure is the Image widget's value"
    bundle = w._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "application/vnd.jupyter.widget-view+json", "image/png"}
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == w.box.model_id
    fallback = base64.b64decode(bundle["image/png"])
    assert fallback == bytes(w.image.value), "the fallback is the figure the widget shows"
    assert np.array_equal(png_pixels(fallback), png_pixels(widgets.to_png(bar_figure(0.25))))


def test_demo_move_draws_one_new_figure_and_updates_the_fallback(fake_kernel):
    w = widgets.demo(bar_figure, height=widgets.float_slider("height h", 0.0, 1.0, 0.25, 0.05))
    first = w.png
    w.sliders["height"].value = 0.9
    assert not fake_kernel and w.png == bytes(w.image.value) and w.png != first
    assert w.result.axes[0].patches[0].get_height() == pytest.approx(0.9)


def test_live_figure_demo_carries_its_blit_frame(fake_kernel):
    import base64

    from modgap_edu.plots.lesson05 import MetricDemo

    live = MetricDemo(n=40)
    w = widgets.demo(
        live, spread_image=widgets.log_slider("image spread s_img", 0.02, 3.0, 0.6), spread_text=0.6, distance=0.8
    )
    bundle = w._repr_mimebundle_()
    assert not fake_kernel and base64.b64decode(bundle["image/png"]) == bytes(w.image.value)
    assert w.result is live.fig


def test_static_mode_shows_one_figure_and_returns_nothing(fake_kernel, monkeypatch):
    monkeypatch.setenv("MODGAP_WIDGETS", "static")
    assert widgets.demo(bar_figure, height=widgets.float_slider("height h", 0.0, 1.0, 0.25, 0.05)) is None
    assert len(fake_kernel) == 1 and fake_kernel[0].data[:4] == b"\x89PNG"


def test_demo_rejects_a_non_callable():
    with pytest.raises(TypeError, match="plot_fn must be a function"):
        widgets.demo("plot", a=1)


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
