"""Interactive demos as thin shells over pure plotting functions (all lessons).

A lesson's demo is ``demo(plot_fn, name=slider, ...)``: ``plot_fn(**values)`` is a
pure function that returns a ``matplotlib.figure.Figure`` (build it with
``new_figure``, not pyplot, so nothing is shown twice). In a notebook, ``demo``
returns a ``DemoWidget``: the sliders above an ``ipywidgets.Image`` that every slider
move refills with the new PNG; ``widget.result`` holds the last figure. Outside a
notebook (scripts, tests without a kernel) it degrades to one call with the
sliders' default values and returns that figure.

One figure per demo, whatever the front end (issue 13 §2): the widget's display data
carries its figure as an ``image/png`` fallback beside the widget view. JupyterLab and
Notebook render the widget and ignore the fallback; static viewers (nbconvert HTML
without widget state, GitHub, a PDF) show the PNG. So no "static version" cell follows
a demo.

Speed: when ``plot_fn`` is a ``modgap_edu.plots.live_figure.LiveFigure`` (the lessons' main demos), a
slider move only redraws the artists that depend on the slider; any other ``plot_fn`` is rebuilt
per move and drawn with the first figure's layout (``DemoRenderer``). ``tools/callback_latency.py``
measures both.

``MODGAP_WIDGETS=static`` in the environment makes ``demo`` draw its default figure
without a widget, also inside a kernel: for front ends where widgets do not work,
and for comparison. (Headless runs used it because nbclient stalled intermittently on
the Output widget of ``ipywidgets.interactive``, jupyter/nbclient#312; ``DemoWidget``
has no Output widget, see its docstring.) nbval and the browser tests exercise the real widgets.

The slider factories (``log_slider``, ``float_slider``, ``int_slider``, ``choice_slider``) check their
arguments first (``slider_range``): NaN or infinite bounds, a step of 0, ``low >= high`` or a value
outside the range raise a ``ValueError`` that names the slider and the argument.
"""

from __future__ import annotations

import base64
import math
import numbers
from typing import Any, Callable

from matplotlib.figure import Figure


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where widgets can render)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def new_figure(width: float = 8.0, height: float = 3.6, **kwargs: Any) -> Figure:
    """A figure not registered with pyplot: shown only when ``show``/``demo`` display it."""
    kwargs.setdefault("layout", "constrained")
    return Figure(figsize=(width, height), dpi=kwargs.pop("dpi", 100), **kwargs)


def to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes (independent of the matplotlib backend).

    Draws once on an Agg canvas and encodes with fast PNG compression: about 40 ms less per slider
    move than ``savefig`` (which draws twice when a layout engine is set) at the same pixels."""
    from modgap_edu.plots.live_figure import _encode, agg_canvas

    canvas = agg_canvas(fig)
    canvas.draw()
    return _encode(canvas)


def show(fig: Figure) -> None:
    """Display a figure once as a PNG (static fallback cells); a no-op outside a notebook."""
    if in_notebook():
        from IPython.display import Image, display

        display(Image(data=to_png(fig), format="png"))


def _value(control: Any) -> Any:
    return control.value if hasattr(control, "value") else control


def static_mode() -> bool:
    """True when ``MODGAP_WIDGETS=static`` asks for figures instead of widgets."""
    import os

    return os.environ.get("MODGAP_WIDGETS", "").strip().lower() == "static"


def demo(plot_fn: Callable[..., Figure], **controls: Any):
    """Wire sliders (or fixed values) to ``plot_fn`` (all lessons' demos; see the module docstring).

    Parameters
    ----------
    plot_fn : callable
        ``plot_fn(**values) -> Figure``, pure; a ``LiveFigure`` is updated in place on slider moves.
    **controls
        One slider (from the factories below) or fixed value per keyword argument of ``plot_fn``.

    Returns
    -------
    DemoWidget or Figure or None
        In a notebook the widget (its display data carries the default figure as an ``image/png``
        fallback); outside a notebook the figure at the defaults; ``None`` with ``MODGAP_WIDGETS=static``
        (the figure was displayed once).
    """
    if not callable(plot_fn):
        raise TypeError(f"plot_fn must be a function returning a Figure, got {type(plot_fn).__name__}.")
    if not in_notebook():
        return plot_fn(**{k: _value(c) for k, c in controls.items()})
    if static_mode():  # shown once; nothing returned, so the cell shows no second copy
        show(plot_fn(**{k: _value(c) for k, c in controls.items()}))
        return None
    from modgap_edu.plots.live_figure import BlitRenderer, LiveFigure

    if isinstance(plot_fn, LiveFigure):  # updated in place: only the slider-dependent artists are redrawn
        blit = BlitRenderer(plot_fn)

        def render(**values: Any) -> tuple[bytes, Figure]:
            return blit.render(**values), plot_fn.fig
    else:
        renderer = DemoRenderer()

        def render(**values: Any) -> tuple[bytes, Figure]:
            fig = plot_fn(**values)
            return renderer(fig), fig

    return DemoWidget(render, controls)


class DemoWidget:
    """What ``demo`` returns in a kernel: the sliders above an ``ipywidgets.Image`` holding the PNG.

    The figure is the *value* of an Image widget, not a ``display`` inside an ``Output`` widget
    (``ipywidgets.interactive``): headless clients (nbclient, nbconvert) emulate Output widgets by
    sending ``comm_msg`` on the kernel's shell channel while they wait for the cell's reply on it, and
    that send makes the wait miss the reply now and then -- the intermittent stall of issue 14 §3
    (jupyter/nbclient#312). An Image widget needs no such emulation. ``result`` is the last figure;
    ``box`` the displayed ``VBox``; an error while drawing shows under the figure instead of vanishing.
    """

    def __init__(self, render: Callable[..., tuple[bytes, Figure]], controls: dict[str, Any]):
        import ipywidgets as W

        self.render, self.controls = render, controls
        self.sliders = {k: c for k, c in controls.items() if isinstance(c, W.ValueWidget)}
        self.image = W.Image(format="png")
        self.error = W.HTML("")
        self.box = W.VBox([*self.sliders.values(), self.image, self.error], layout=W.Layout(width="100%"))
        self.result: Figure | None = None
        for slider in self.sliders.values():
            slider.observe(self.update, names="value")
        self.update()

    def values(self) -> dict[str, Any]:
        return {k: _value(c) for k, c in self.controls.items()}

    def update(self, change: Any = None) -> None:
        try:
            png, self.result = self.render(**self.values())
        except Exception as exc:  # shown to the learner; the first draw (change is None) raises in the cell
            if change is None:
                raise
            self.error.value = f"<pre style='color:#b00'>{type(exc).__name__}: {exc}</pre>"
            return
        self.error.value = ""
        self.image.value = png

    @property
    def png(self) -> bytes | None:
        """PNG bytes of the figure shown now (the default one until a slider moves)."""
        return bytes(self.image.value) if self.image.value else None

    def _repr_mimebundle_(self, **kwargs: Any):
        """The widget view, plus the current figure as ``image/png`` for viewers without widgets (static
        HTML, GitHub): JupyterLab renders the widget and ignores the PNG, so a lesson shows one figure."""
        data = self.box._repr_mimebundle_(**kwargs)
        if data is not None and self.png is not None:
            data = {**data, "image/png": base64.b64encode(self.png).decode("ascii")}
        return data


class DemoRenderer:
    """PNG rendering for one demo's slider moves (used by ``demo``; timed by ``tools/callback_latency.py``).

    A slider move redraws the same figure with new data, so the axes are placed where the layout
    engine put them the first time instead of solving the layout again (constrained layout doubles
    the drawing time). A figure with a different number of axes gets its own layout."""

    def __init__(self) -> None:
        self.positions: list = []

    def __call__(self, fig: Figure) -> bytes:
        reuse = bool(self.positions) and len(self.positions) == len(fig.axes) and fig.get_layout_engine() is not None
        if reuse:
            fig.set_layout_engine("none")
            for ax, pos in zip(fig.axes, self.positions):
                ax.set_position(pos)
        png = to_png(fig)
        if not reuse:
            self.positions = [ax.get_position(original=False).frozen() for ax in fig.axes]
        return png


# ---------------------------------------------------------------- slider factories
_STYLE = {"description_width": "initial"}


def _real(x: Any, name: str, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number, got {type(x).__name__} {x!r}.")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{where}: {name} must be a finite number, got {x}.")
    return x


def _description(description: Any) -> str:
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"slider description must be a non-empty string (with units), got {description!r}.")
    return description


def slider_range(description: str, low: float, high: float, value: float, step: float) -> tuple:
    """Check a slider's bounds, value and step (pure; every factory calls it first).

    Parameters
    ----------
    description : str
        The slider's label, named in every error message.
    low, high : float
        Finite bounds with ``low < high``.
    value : float
        The starting value, ``low <= value <= high``.
    step : float
        ``0 < step <= high - low``.

    Returns
    -------
    tuple of float
        ``(low, high, value, step)`` as floats.
    """
    where = f"slider {_description(description)!r}"
    low, high = _real(low, "low", where), _real(high, "high", where)
    value, step = _real(value, "value", where), _real(step, "step", where)
    if not low < high:
        raise ValueError(f"{where}: low ({low:g}) must be smaller than high ({high:g}).")
    if not low <= value <= high:
        raise ValueError(
            f"{where}: value {value:g} is outside the range [{low:g}, {high:g}]; give a value between low and high."
        )
    if not 0 < step <= high - low:
        raise ValueError(f"{where}: step must be > 0 and at most high - low = {high - low:g}, got {step:g}.")
    return low, high, value, step


def log_slider(
    description: str,
    low: float,
    high: float,
    value: float,
    steps_per_decade: int = 10,
    continuous_update: bool = False,
    readout_format: str = ".3g",
):
    """A log-scale float slider from ``low`` to ``high`` (descriptions carry units).

    Parameters
    ----------
    description : str
        Label with units or symbol, e.g. ``"temperature τ"``.
    low, high : float
        Positive, finite bounds, ``low < high``.
    value : float
        Starting value in ``[low, high]``.
    steps_per_decade : int
        Slider positions per factor of 10 (a positive integer).

    Returns
    -------
    ipywidgets.FloatLogSlider
    """
    where = f"log_slider {_description(description)!r}"
    if isinstance(steps_per_decade, bool) or not isinstance(steps_per_decade, numbers.Integral) or steps_per_decade < 1:
        raise ValueError(f"{where}: steps_per_decade must be a positive integer, got {steps_per_decade!r}.")
    for name, x in (("low", low), ("high", high), ("value", value)):
        if _real(x, name, where) <= 0:
            raise ValueError(f"{where}: {name} must be > 0 on a log scale, got {x!r}.")
    low, high, value, _ = slider_range(description, low, high, value, float(high) - float(low))
    import ipywidgets as W

    return W.FloatLogSlider(
        value=value,
        base=10,
        min=math.log10(low),
        max=math.log10(high),
        step=1.0 / int(steps_per_decade),
        description=description,
        style=_STYLE,
        continuous_update=continuous_update,
        readout_format=readout_format,
        layout=W.Layout(width="520px"),
    )


def float_slider(
    description: str,
    low: float,
    high: float,
    value: float,
    step: float,
    continuous_update: bool = False,
    readout_format: str = ".2f",
):
    """A linear float slider (bounds, value and step checked by ``slider_range``).

    Parameters
    ----------
    description : str
        Label with units or symbol.
    low, high, value, step : float
        Finite, ``low < high``, ``low <= value <= high``, ``0 < step <= high - low``.

    Returns
    -------
    ipywidgets.FloatSlider
    """
    low, high, value, step = slider_range(description, low, high, value, step)
    import ipywidgets as W

    return W.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        style=_STYLE,
        continuous_update=continuous_update,
        readout_format=readout_format,
        layout=W.Layout(width="520px"),
    )


def int_slider(description: str, low: int, high: int, value: int, step: int = 1, continuous_update: bool = False):
    """An integer slider (integers only; checked by ``slider_range``).

    Parameters
    ----------
    description : str
        Label with units or symbol.
    low, high, value, step : int
        ``low < high``, ``low <= value <= high``, ``1 <= step <= high - low``.

    Returns
    -------
    ipywidgets.IntSlider
    """
    where = f"int_slider {_description(description)!r}"
    for name, x in (("low", low), ("high", high), ("value", value), ("step", step)):
        if isinstance(x, bool) or not isinstance(x, numbers.Integral):
            raise TypeError(f"{where}: {name} must be an integer, got {type(x).__name__} {x!r}.")
    slider_range(description, low, high, value, step)
    import ipywidgets as W

    return W.IntSlider(
        value=int(value),
        min=int(low),
        max=int(high),
        step=int(step),
        description=description,
        style=_STYLE,
        continuous_update=continuous_update,
        layout=W.Layout(width="520px"),
    )


def choice_slider(description: str, options, value, readout_format: str = "g", continuous_update: bool = False):
    """A slider over a fixed list of values (e.g. the temperatures a cached sweep holds), so every step
    of the slider shows a different cached result instead of snapping back to the nearest one.

    Parameters
    ----------
    description : str
        Label with units or symbol.
    options : iterable
        Distinct values (numbers must be finite), at least one.
    value
        One of ``options``: the starting position.

    Returns
    -------
    ipywidgets.SelectionSlider
    """
    where = f"choice_slider {_description(description)!r}"
    values = list(options)
    if not values:
        raise ValueError(f"{where}: give at least one option")
    for v in values:
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and not math.isfinite(float(v)):
            raise ValueError(f"{where}: options must be finite numbers, got {v!r}.")
    if len(set(values)) != len(values):
        raise ValueError(f"{where}: options must be distinct, got {values}.")
    if value not in values:
        raise ValueError(f"{where}: value {value!r} is not one of the options {values}")
    import ipywidgets as W

    labelled = [(format(v, readout_format) if isinstance(v, (int, float)) else str(v), v) for v in values]
    if len({label for label, _ in labelled}) != len(labelled):
        raise ValueError(
            f"{where}: options {values} print alike with readout_format {readout_format!r}; "
            "give a format that tells them apart (e.g. '.3g')."
        )
    return W.SelectionSlider(
        options=labelled,
        value=value,
        description=description,
        style=_STYLE,
        continuous_update=continuous_update,
        layout=W.Layout(width="520px"),
    )
