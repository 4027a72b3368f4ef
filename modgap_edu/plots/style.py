"""The one visual convention of the course's figures (all lessons; issue 10).

* Modalities: **images red, texts blue** in every lesson, as in Liang et al. 2022, Fig. 1. Plotting modules
  take ``IMAGE_COLOR`` / ``TEXT_COLOR`` (or ``modality_color``) from here and never spell these colours
  themselves; ``tests/plots/test_style.py`` fails if one does. The two colours are reserved for the
  modalities: anything else (metrics, seeds, conditions, highlights) takes a colour from ``palette``,
  ``METRIC_COLORS``, ``HIGHLIGHT_COLOR`` or ``LIVE_COLOR``.
* The unit sphere: ``draw_sphere`` (a 3-D axes: wireframe, equal box, no ticks, a fixed view) for the
  sphere toys of lessons 01 and 03, and ``draw_unit_circle`` for the 2-D views of lesson 05.

Pure drawing helpers: they draw on the axes they get and create no figure.
"""

from __future__ import annotations

import numpy as np

IMAGE_COLOR = "#d62728"  # matplotlib's tab:red
TEXT_COLOR = "#1f77b4"  # matplotlib's tab:blue
MODALITY_COLORS = {"image": IMAGE_COLOR, "text": TEXT_COLOR}

# Not a modality: the current choice on a curve (lesson 03's mismatched pairs) and "your live run" markers.
HIGHLIGHT_COLOR = "#ff7f0e"  # tab:orange
LIVE_COLOR = "#ffbf00"  # amber, drawn with a black edge
# The gap metrics, the same in lessons 04 and 05 (the MOAD sides take their modality's colour).
METRIC_COLORS = {
    "l2m": "#2ca02c",
    "l2i": "#9467bd",
    "rmg": "#ff7f0e",
    "moad_image": IMAGE_COLOR,
    "moad_text": TEXT_COLOR,
}
# Colours for categories that are not modalities (seeds, groups, conditions): tab10 without red and blue.
_PALETTE = ("#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#e377c2", "#bcbd22", "#7f7f7f")

SPHERE_WIRE_COLOR = "0.88"
SPHERE_WIRE_WIDTH = 0.4


def modality_color(modality: str) -> str:
    """The colour of ``"image"`` or ``"text"`` (also accepts the plurals ``"images"``/``"texts"``).

    Parameters
    ----------
    modality : str
        ``"image"``, ``"images"``, ``"text"`` or ``"texts"`` (case-insensitive).

    Returns
    -------
    str
        A hex colour: ``IMAGE_COLOR`` or ``TEXT_COLOR``.
    """
    if not isinstance(modality, str):
        raise TypeError(f"modality must be a string ('image' or 'text'), got {type(modality).__name__}.")
    key = modality.strip().lower()
    key = key[:-1] if key in ("images", "texts") else key
    if key not in MODALITY_COLORS:
        raise ValueError(f"modality must be 'image' or 'text', got {modality!r}.")
    return MODALITY_COLORS[key]


def metric_color(metric: str, default: str = "0.25") -> str:
    """The colour of a gap metric (``METRIC_COLORS``; lessons 04 and 05), ``default`` for any other name."""
    return METRIC_COLORS.get(metric, default)


def palette(n: int) -> list[str]:
    """``n`` colours for categories that are not modalities (cycled after 8), never red or blue.

    Parameters
    ----------
    n : int
        How many colours (>= 0).

    Returns
    -------
    list of str
        Hex colours, ``_PALETTE`` repeated as needed.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}.")
    return [_PALETTE[i % len(_PALETTE)] for i in range(int(n))]


def draw_sphere(
    ax, elev: float = 25.0, azim: float = -60.0, lim: float = 1.05, meridians: int = 25, parallels: int = 13
):
    """The unit-sphere background of lesson 01's and lesson 03's sphere toys on a 3-D axes.

    Draws a light wireframe (``meridians`` x ``parallels`` grid lines), makes the box cubic with limits
    ``[-lim, lim]`` on every axis, hides the ticks and sets the view.

    Parameters
    ----------
    ax : mpl_toolkits.mplot3d.axes3d.Axes3D
        A 3-D axes (``fig.add_subplot(..., projection="3d")``).
    elev, azim : float
        The view angles in degrees (``ax.view_init``).
    lim : float
        Half-width of the cubic box; 1 or a little more so that points on the sphere are not clipped.
    meridians, parallels : int
        Wireframe resolution.

    Returns
    -------
    The wireframe artist (part of the static background of a ``LiveFigure``).
    """
    if getattr(ax, "name", "") != "3d":
        raise TypeError("draw_sphere needs a 3-D axes: fig.add_subplot(..., projection='3d').")
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, meridians), np.linspace(0, np.pi, parallels))
    wire = ax.plot_wireframe(
        np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color=SPHERE_WIRE_COLOR, lw=SPHERE_WIRE_WIDTH
    )
    ax.view_init(elev=elev, azim=azim)
    ax.set_box_aspect((1, 1, 1))
    for set_lim, set_ticks in (
        (ax.set_xlim, ax.set_xticks),
        (ax.set_ylim, ax.set_yticks),
        (ax.set_zlim, ax.set_zticks),
    ):
        set_lim(-lim, lim)
        set_ticks([])
    return wire


def draw_unit_circle(ax, n: int = 200):
    """The unit circle as a light outline on a 2-D axes (lesson 05's view of the sphere along one axis).

    Returns the ``Line2D``."""
    t = np.linspace(0, 2 * np.pi, n)
    (line,) = ax.plot(np.cos(t), np.sin(t), color="0.8", lw=0.8, zorder=0)
    return line
