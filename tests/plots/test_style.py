"""One colour convention (issue 10): images red, texts blue, defined once in ``plots.style``.

Two checks: no plotting module spells a red or blue colour itself (a lexical scan of every string
literal), and the figures the lessons show draw their image and text artists in the style's colours.
"""

from __future__ import annotations

import ast
import colorsys
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pytest

from modgap_edu.plots import style

PLOTS = Path(style.__file__).resolve().parent
EXEMPT = "not a modality"  # a line with this comment may name red or blue (e.g. MAD's data colours)


def is_red_or_blue(literal: str) -> bool:
    """True for any colour a reader would take for the image (red) or the text (blue) colour:
    'C0', 'C3', 'tab:red', 'r', 'blue', '#d62728', 'navy', ... (not greys, oranges or browns)."""
    try:
        r, g, b = mcolors.to_rgb(literal)
    except ValueError:
        return False
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    return s > 0.4 and v > 0.3 and (h < 0.02 or h > 0.95 or 0.54 <= h <= 0.70)


@pytest.mark.parametrize(
    "literal,expected",
    [
        ("C0", True),
        ("C3", True),
        ("tab:red", True),
        ("tab:blue", True),
        ("r", True),
        ("blue", True),
        ("#d62728", True),
        ("#1f77b4", True),
        ("navy", True),
        ("0.5", False),
        ("tab:orange", False),
        ("#8c564b", False),
        ("tab:cyan", False),
        ("k", False),
        ("images (after shift)", False),
        ("o-", False),
    ],
)
def test_the_scan_recognises_red_and_blue(literal, expected):
    assert is_red_or_blue(literal) is expected


def string_literals(path: Path):
    lines = path.read_text().splitlines()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) <= 20:
            if EXEMPT not in lines[node.lineno - 1]:
                yield node.lineno, node.value


MODULES = sorted(p for p in PLOTS.glob("*.py") if p.name != "style.py")


def test_every_plotting_module_is_scanned():
    names = {p.name for p in MODULES}
    assert {"lesson01.py", "lesson02.py", "lesson03.py", "lesson04.py", "lesson05.py", "widgets.py"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_plotting_module_hard_codes_a_modality_colour(module):
    hits = [f"{module.name}:{line}: {text!r}" for line, text in string_literals(module) if is_red_or_blue(text)]
    assert not hits, (
        "red and blue are the modality colours: take IMAGE_COLOR / TEXT_COLOR from "
        "modgap_edu.plots.style, or another colour (style.palette) for anything else: " + "; ".join(hits)
    )


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_plotting_module_defines_its_own_modality_constants(module):
    tree = ast.parse(module.read_text())
    own = [
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name) and any(k in t.id.upper() for k in ("IMAGE", "TEXT", "IMG", "TXT"))
    ]
    assert not own, f"{module.name} defines {own}: import the modality colours from plots.style"


def test_modality_colors_are_red_and_blue_and_distinct():
    assert style.IMAGE_COLOR != style.TEXT_COLOR
    r, g, b = mcolors.to_rgb(style.IMAGE_COLOR)
    assert r > g and r > b
    r, g, b = mcolors.to_rgb(style.TEXT_COLOR)
    assert b > r and b > g
    assert style.modality_color("images") == style.modality_color("Image") == style.IMAGE_COLOR
    assert style.modality_color("text") == style.TEXT_COLOR


@pytest.mark.parametrize("bad,error", [("audio", ValueError), ("", ValueError), (None, TypeError), (3, TypeError)])
def test_modality_color_rejects_other_names(bad, error):
    with pytest.raises(error, match="modality"):
        style.modality_color(bad)


@pytest.mark.parametrize("n", [0, 1, 3, 8, 11])
def test_palette_never_gives_red_or_blue(n):
    colours = style.palette(n)
    assert len(colours) == n
    assert not any(is_red_or_blue(c) for c in colours)
    assert len(set(colours)) == min(n, 8)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3"])
def test_palette_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="n must be"):
        style.palette(bad)


def test_other_reserved_colours_are_not_modality_colours():
    for colour in (
        style.HIGHLIGHT_COLOR,
        style.LIVE_COLOR,
        style.METRIC_COLORS["l2m"],
        style.METRIC_COLORS["rmg"],
        style.METRIC_COLORS["l2i"],
    ):
        assert not is_red_or_blue(colour), colour
    assert style.metric_color("moad_image") == style.IMAGE_COLOR
    assert style.metric_color("moad_text") == style.TEXT_COLOR
    assert style.metric_color("unknown", "k") == "k"


def test_draw_sphere_needs_3d_axes_and_sets_a_cubic_box():
    from modgap_edu.plots.widgets import new_figure

    fig = new_figure()
    with pytest.raises(TypeError, match="3-D axes"):
        style.draw_sphere(fig.add_subplot(1, 2, 1))
    ax = fig.add_subplot(1, 2, 2, projection="3d")
    wire = style.draw_sphere(ax, elev=10, azim=20, lim=1.2)
    assert wire in ax.collections
    assert ax.get_xlim() == ax.get_ylim() == ax.get_zlim() == pytest.approx((-1.2, 1.2))
    assert list(ax.get_xticks()) == [] and ax.elev == 10 and ax.azim == 20
    segments = np.concatenate(wire._segments3d)
    assert np.allclose(np.linalg.norm(segments, axis=1), 1.0)  # the wireframe lies on the unit sphere


# ---------------------------------------------------------------- the figures themselves


def artist_colours(fig):
    """(label, rgb) of every labelled scatter, line and bar group of the figure."""
    found = []
    for ax in fig.axes:
        for c in ax.collections:
            if not c.get_label().startswith("_") and len(c.get_facecolor()):
                found.append((c.get_label(), tuple(c.get_facecolor()[0][:3])))
        for ln in ax.get_lines():
            if not ln.get_label().startswith("_"):
                found.append((ln.get_label(), mcolors.to_rgb(ln.get_color())))
        for cont in ax.containers:
            if not cont.get_label().startswith("_") and cont.patches:
                found.append((cont.get_label(), tuple(cont.patches[0].get_facecolor()[:3])))
    return found


def modality_of(label: str):
    low = label.lower()
    is_image, is_text = "image" in low, "text" in low or "caption" in low
    return "image" if is_image and not is_text else "text" if is_text and not is_image else None


def pairs(n=40, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) + 1.5
    return x, x + rng.normal(size=(n, d)) - 1.0


def fig_objectives():
    import torch

    from modgap_edu.plots.lesson01 import plot_objectives
    from modgap_edu.toys import sphere

    torch.set_num_threads(1)
    return plot_objectives([sphere.train_toy("clip", steps=3)])


def fig_gap_pca():
    from modgap_edu.plots.lesson02 import plot_gap_pca

    return plot_gap_pca(*pairs())


def fig_shift():
    from modgap_edu.plots.lesson03 import ShiftDemo

    return ShiftDemo(*pairs(), alphas=(0.0, 0.5), temperatures=(0.01,), n_show=20).plot(0.5, 0.01)


def fig_sphere_toy():
    from modgap_edu.plots.lesson03 import plot_sphere_toy

    return plot_sphere_toy(30, 0.01)


def fig_metric_demo():
    from modgap_edu.plots.lesson05 import plot_metric_demo

    return plot_metric_demo(n=60)


def fig_two_dimensions():
    from modgap_edu.plots.lesson05 import plot_two_dimensions

    return plot_two_dimensions(*pairs())


def fig_moad():
    from modgap_edu.plots.lesson05 import plot_moad_by_k

    return plot_moad_by_k(
        [
            {"label": "k = 1", "moad_image": 0.2, "moad_text": 0.1},
            {"label": "k = 5", "moad_image": -0.1, "moad_text": 0.3},
        ]
    )


FIGURES = [fig_objectives, fig_gap_pca, fig_shift, fig_sphere_toy, fig_metric_demo, fig_two_dimensions, fig_moad]


@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__)
def test_figures_draw_images_red_and_texts_blue(make):
    found = [(label, rgb, modality_of(label)) for label, rgb in artist_colours(make())]
    for modality in ("image", "text"):
        assert any(m == modality for _, _, m in found), f"no artist labelled as {modality}s in {found}"
    for label, rgb, modality in found:
        if modality is not None:
            want = mcolors.to_rgb(style.modality_color(modality))
            assert rgb == pytest.approx(want, abs=1e-3), (
                f"{label!r} drawn in {mcolors.to_hex(rgb)}, not {modality}s' colour"
            )
