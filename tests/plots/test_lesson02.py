"""Lesson 02 figures and the depth-slider widget, driven headlessly."""

from __future__ import annotations

import statistics
import time

import ipywidgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from modgap_edu.core import cone, metrics
from modgap_edu.plots import lesson02 as P
from modgap_edu.plots.widgets import float_slider, int_slider


def _texts(fig: Figure) -> str:
    parts = [fig._suptitle.get_text()] if fig._suptitle else []
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
        leg = ax.get_legend()
        if leg:
            parts += [t.get_text() for t in leg.get_texts()]
    return " | ".join(parts)


def test_pca_matches_sklearn():
    from sklearn.decomposition import PCA

    x = np.random.default_rng(0).standard_normal((60, 9)) @ np.diag(np.arange(1, 10.0))
    coords, ratio = P.pca_2d(x)
    ref = PCA(n_components=2).fit(x)
    np.testing.assert_allclose(ratio, ref.explained_variance_ratio_, rtol=1e-10)
    np.testing.assert_allclose(np.abs(coords), np.abs(ref.transform(x)), atol=1e-10)


def test_gap_pca_reports_l2m():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((30, 8)) + 3 * np.eye(8)[0]
    y = rng.standard_normal((30, 8)) + 3 * np.eye(8)[1]
    fig = P.plot_gap_pca(x, y, title="toy")
    assert f"{metrics.l2m(x, y):.3f}" in _texts(fig)
    assert "image centroid" in _texts(fig) and "text centroid" in _texts(fig)
    with pytest.raises(ValueError, match="same number of rows"):
        P.plot_gap_pca(x, y[:10])


def test_sigmoid_toy_widget_headless():
    w = ipywidgets.interactive(
        P.plot_sigmoid_toy,
        depth=int_slider("depth L (layers)", 0, 6, 1),
        weight_std=float_slider("weight std", 0.5, 4.0, 2.0, 0.25),
        seed=int_slider("seed", 0, 9, 1),
    )
    times = []
    for depth in (1, 2, 3, 4, 5, 6, 0):
        t0 = time.perf_counter()
        w.children[0].value = depth
        times.append(time.perf_counter() - t0)
        fig = w.result
        assert isinstance(fig, Figure)
        if depth == 0:
            assert "nothing applied" in _texts(fig)
            continue
        h = cone.sigmoid_toy(n_layers=depth, n_points=180, seed=1, weight_std=2.0)[depth]
        assert f"after {depth} sigmoid layer(s): cone {cone.angular_spread_deg(h):.1f}°" in _texts(fig)
    w.children[2].value = 4  # seed slider
    assert "seed 4" in _texts(w.result)
    print(f"sigmoid toy callback: median {1000 * statistics.median(times):.0f} ms")  # measured, not asserted


def test_layerwise_plot_has_paper_reference():
    curves = {a: cone.layerwise_cosine(a, n_layers=3, n=64, dim=16) for a in ("relu", "sigmoid")}
    fig = P.plot_layerwise(curves)
    text = _texts(fig)
    assert "paper, ReLU (official notebook)" in text and "1/π" in text and "Linear+relu" in text


def test_histograms_report_means():
    panels = {"a": np.array([0.1, 0.3]), "b": np.array([0.5, 0.5, 0.8])}
    fig = P.plot_cosine_histograms(panels, {"a": 0.72})
    text = _texts(fig)
    assert "mean 0.200" in text and "mean 0.600" in text and "paper 0.72" in text


def test_cones_by_seed_and_theorem_plot():
    rng = np.random.default_rng(2)
    emb = rng.standard_normal((3, 10, 6)) * 0.1 + rng.standard_normal((3, 1, 6))
    fig = P.plot_cones_by_seed(emb, title="cones")
    assert "seed 2" in _texts(fig)
    with pytest.raises(ValueError, match="seeds, samples, dims"):
        P.plot_cones_by_seed(emb[0])
    fig = P.plot_theorem1(np.array([0.0, 0.5, 0.9]), np.array([0.3, 0.4, 0.95]), np.array([True, True, False]))
    assert "50.0% of pairs" in _texts(fig)


def test_liang_fig1_one_panel_per_file():
    rng = np.random.default_rng(3)
    feats = {
        f"m{k}": (rng.standard_normal((12, 5)) + 2 * np.eye(5)[0], rng.standard_normal((12, 5)) - 2 * np.eye(5)[0])
        for k in range(4)
    }
    fig = P.plot_liang_fig1(feats)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4
    text = _texts(fig)
    for name, (x, y) in feats.items():
        assert f"{name}: 12 pairs, 5-d" in text and f"L2M {metrics.l2m(x, y):.3f}" in text
    assert "PCA" in text and "UMAP" in text  # the projection is labelled, and so is the paper's choice
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.colors import to_hex

    from modgap_edu.plots.style import IMAGE_COLOR, TEXT_COLOR

    colors = [to_hex(c.get_facecolor()[0]) for c in visible[0].collections if isinstance(c, PathCollection)]
    assert colors == [IMAGE_COLOR, TEXT_COLOR]  # images red, texts blue
    lines = [c for c in visible[0].collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == 12  # one line per pair
    with pytest.raises(ValueError, match="non-empty mapping"):
        P.plot_liang_fig1({})
    with pytest.raises(ValueError, match="same number of rows"):
        P.plot_liang_fig1({"bad": (feats["m0"][0], feats["m0"][1][:5])})


def test_two_cones_reports_axis_angle_and_gap():
    rng = np.random.default_rng(4)
    d = 16
    x = np.eye(d)[0] * 3 + 0.3 * rng.standard_normal((20, d))
    y = np.eye(d)[1] * 3 + 0.3 * rng.standard_normal((15, d))
    fig = P.plot_two_cones(x, y, title="toy")
    ux, uy = metrics.unit_rows(x).mean(0), metrics.unit_rows(y).mean(0)
    angle = np.degrees(np.arccos(ux @ uy / np.linalg.norm(ux) / np.linalg.norm(uy)))
    text = _texts(fig)
    assert f"angle between the cone axes {angle:.1f}°" in text
    assert f"gap L2M = {metrics.l2m(x, y):.3f}" in text
    # the image centroid lies on the x axis of the view, the text centroid above it
    ax = fig.axes[0]
    stars = [c.get_offsets()[0] for c in ax.collections if len(c.get_offsets()) == 1][:2]
    assert abs(stars[0][1]) < 1e-9 and stars[1][1] > 0
    with pytest.raises(ValueError, match="parallel"):
        P.plot_two_cones(x, x + 0.0)
