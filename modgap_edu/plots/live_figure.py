"""Demo figures that a slider move updates in place (lessons 01, 03, 04, 05; ``widgets.demo``).

Building a matplotlib figure from scratch costs 150-350 ms on a 2-core laptop (new axes, ticks,
text layout), most of it for parts that a slider never changes. A ``LiveFigure`` draws its figure
once and then, on every slider move, changes only the artists that depend on the slider:

* ``build(**values)`` makes ``self.fig`` and registers, with ``self.dynamic(...)``, the artists
  (lines, collections, texts, or whole axes) that ``update`` will change;
* ``update(**values)`` changes those artists and returns ``True`` only when something *static*
  changed too (e.g. a curve with new axis limits), which asks for a full redraw.

``BlitRenderer`` keeps the rendered static background (everything but the dynamic artists) and
per move restores it and draws the dynamic artists on top, then encodes the PNG.

Calling a LiveFigure, ``live(**values)``, is the pure form: it builds a fresh figure on a copy and
returns it, exactly what ``update`` would show. Static fallback cells and tests use that form;
``tests/test_live_figure.py`` checks, for every demo, that updated and freshly built figures
render to the same pixels.
"""

from __future__ import annotations

import copy
import io
from typing import Any

from matplotlib.figure import Figure


class LiveFigure:
    """Base class; see the module docstring. Subclasses keep their data in ``__init__`` and must not
    change it in ``build``/``update`` (a shallow copy of the instance builds the pure form)."""

    fig: Figure

    def build(self, **values: Any) -> Figure:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, **values: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def dynamic(self, *artists: Any) -> None:
        """Register artists (or whole axes) that ``update`` changes."""
        self._dynamic.extend(artists)

    def _start(self, fig: Figure) -> Figure:
        self.fig = fig
        self._dynamic: list = []
        return fig

    @property
    def dynamic_artists(self) -> list:
        return list(self._dynamic)

    def __call__(self, **values: Any) -> Figure:
        return copy.copy(self).build(**values)


class BlitRenderer:
    """Renders a LiveFigure's slider moves: static background once, dynamic artists per move."""

    def __init__(self, live: LiveFigure):
        self.live = live
        self.background = None

    def _full(self) -> None:
        fig = self.live.fig
        canvas = agg_canvas(fig)
        for a in self.live.dynamic_artists:
            a.set_animated(True)
        canvas.draw()  # everything that is not animated
        self.background = canvas.copy_from_bbox(fig.bbox)

    def render(self, **values: Any) -> bytes:
        """PNG bytes of the figure at ``values`` (builds it on the first call)."""
        if self.background is None:
            self.live.build(**values)
            self._full()
        elif self.live.update(**values):
            self._full()
        fig = self.live.fig
        canvas = fig.canvas
        canvas.restore_region(self.background)
        for a in self.live.dynamic_artists:
            if hasattr(a, "do_3d_projection"):  # a 3-D artist: project its new data with the axes' view
                a.do_3d_projection()
            fig.draw_artist(a)
        return _encode(canvas)


def agg_canvas(fig: Figure):
    """The figure's Agg canvas (attached on first use), whatever the notebook's matplotlib backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)


def _encode(canvas) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
        buf, format="png", compress_level=1
    )
    return buf.getvalue()
