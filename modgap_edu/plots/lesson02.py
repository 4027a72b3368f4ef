"""Figures of lesson 02 (the modality gap and the cone effect), as pure functions returning Figures.

Built with ``widgets.new_figure`` (not pyplot), so a slider callback never draws twice.
Images are red, texts blue (``plots.style``), as in Liang et al. 2022, Fig. 1.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from modgap_edu.core import cone, dimensions, metrics
from modgap_edu.core import validation as V
from modgap_edu.plots.style import HIGHLIGHT_COLOR, IMAGE_COLOR, TEXT_COLOR, draw_unit_circle, palette
from modgap_edu.plots.widgets import new_figure

# activations are not modalities: no red or blue
ACT_COLORS = {"sigmoid": "#9467bd", "leaky_relu": "#ff7f0e", "relu": "#8c564b", "tanh": "#2ca02c", "linear": "#17becf"}


def pca_2d(x: Any, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Centered PCA by SVD (``modgap_edu.core.dimensions.pca``): (coordinates (N, k), explained-variance
    ratios (k,)); each component's largest-magnitude loading is positive (deterministic plots)."""
    coords, _, ratio = dimensions.pca(x, n_components)
    return coords, ratio


_unit = metrics.unit_rows


def plot_gap_pca(image_emb: Any, text_emb: Any, title: str = "", max_lines: int = 500) -> Figure:
    """Liang Fig. 1-style view: PCA of normalized image (red) and text (blue) embeddings,
    matched pairs joined by grey lines, centroids marked and the gap vector drawn between them."""
    x, y = (_unit(a) for a in V.pair(image_emb, text_emb, paired=True, min_rows=2))
    coords, ratio = pca_2d(np.vstack([x, y]))
    n = x.shape[0]
    cx, cy = coords[:n], coords[n:]
    fig = new_figure(6.4, 5.2)
    ax = fig.add_subplot()
    line_alpha = float(np.clip(30.0 / n, 0.12, 0.5))  # visible for 25 pairs, not a grey wall for 500
    for i in range(min(n, max_lines)):
        ax.plot([cx[i, 0], cy[i, 0]], [cx[i, 1], cy[i, 1]], color="0.3", alpha=line_alpha, lw=0.7, zorder=1)
    ax.scatter(cx[:, 0], cx[:, 1], s=12, c=IMAGE_COLOR, label="images", zorder=2, alpha=0.8)
    ax.scatter(cy[:, 0], cy[:, 1], s=12, c=TEXT_COLOR, label="texts", zorder=2, alpha=0.8)
    mx, my = cx.mean(axis=0), cy.mean(axis=0)
    ax.annotate("", xy=mx, xytext=my, arrowprops=dict(arrowstyle="->", lw=2.2, color="k"), zorder=4)
    ax.scatter(*mx, marker="*", s=260, c=IMAGE_COLOR, edgecolors="k", zorder=5, label="image centroid")
    ax.scatter(*my, marker="*", s=260, c=TEXT_COLOR, edgecolors="k", zorder=5, label="text centroid")
    ax.set_xlabel(f"PC1 ({100 * ratio[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * ratio[1]:.1f}% of variance)")
    gap = float(np.linalg.norm(x.mean(axis=0) - y.mean(axis=0)))
    ax.set_title(
        (title + "\n" if title else "") + f"gap ||mean(x) - mean(y)|| = {gap:.3f} (in {x.shape[1]}-d)", fontsize=10
    )
    ax.legend(loc="best", fontsize=8, framealpha=0.85)
    ax.set_aspect("equal", adjustable="datalim")
    return fig


def plot_sigmoid_toy(depth: int = 2, weight_std: float = 2.0, seed: int = 1) -> Figure:
    """The seminar's sigmoid toy: unit-circle inputs (left) and the layer-``depth`` outputs (right),
    coloured by input angle, with the cone (the rays bounding the outputs' directions)."""
    layers = cone.sigmoid_toy(n_layers=depth, n_points=180, seed=seed, weight_std=weight_std)
    colors = np.linspace(0, 1, 180, endpoint=False)
    # fixed layout and few ticks: text layout dominates the redraw time of a slider callback
    fig = new_figure(8.4, 4.0, layout=None)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.12, top=0.86, wspace=0.15)
    a0, a1 = fig.subplots(1, 2)
    a0.scatter(layers[0][:, 0], layers[0][:, 1], c=colors, cmap="hsv", s=10)
    a0.set_title("input h(0): every direction", fontsize=10)
    h = layers[depth]
    if depth > 1:  # one Line2D for all earlier layers (cheaper to draw than scatters)
        prev = np.concatenate([np.vstack([layers[k], [[np.nan, np.nan]]]) for k in range(1, depth)])
        a1.plot(prev[:, 0], prev[:, 1], ".", color="0.8", ms=2.5, zorder=1)
    a1.scatter(h[:, 0], h[:, 1], c=colors, cmap="hsv", s=10, zorder=3)
    for ax in (a0, a1):
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.set_aspect("equal")
    a0.set_xlim(-1.15, 1.15)
    a0.set_ylim(-1.15, 1.15)
    a1.set_xlim(-0.05, 1.05)
    a1.set_ylim(-0.05, 1.05)
    for ax, ticks in ((a0, [-1, 0, 1]), (a1, [0, 0.5, 1])):
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
    if depth == 0:
        a1.set_title("depth 0: nothing applied yet", fontsize=10)
    else:
        ang = np.arctan2(h[:, 1], h[:, 0])
        for t in (ang.min(), ang.max()):
            a1.plot([0, 1.5 * np.cos(t)], [0, 1.5 * np.sin(t)], color="k", lw=1, ls="--", zorder=2)
        spread = cone.angular_spread_deg(h)
        mc = cone.mean_pairwise_cosine(h)
        a1.set_title(f"after {depth} sigmoid layer(s): cone {spread:.1f}°, mean cos {mc:.3f}", fontsize=10)
    a1.set_xlabel("grey: earlier layers", fontsize=8)
    fig.suptitle(f"h(l) = sigmoid(W(l) h(l-1) + b(l)),  W, b ~ N(0, {weight_std:g}²),  seed {seed}", fontsize=10)
    return fig


def plot_layerwise(
    curves: Mapping[str, np.ndarray],
    show_paper: bool = True,
    title: str = "Liang Fig. 2b protocol: 25 random layers, 1024 inputs, dim 512",
) -> Figure:
    """Average cosine similarity per layer for each activation, the 1/pi line, and the paper's values."""
    fig = new_figure(9.6, 4.2)
    ax = fig.add_subplot()
    for act, vals in curves.items():
        ax.plot(
            np.arange(len(vals)),
            vals,
            "-o",
            ms=3,
            color=ACT_COLORS.get(act),
            label=f"Linear+{act}" if act != "linear" else "Linear only",
        )
    ax.axhline(1 / np.pi, color="0.4", ls=":", label="1/π (one ReLU layer, orthogonal inputs)")
    if show_paper:
        ref = cone.PAPER_FIG2B_RELU
        ax.plot(np.arange(len(ref)), ref, "kx", ms=6, label="paper, ReLU (official notebook)")
        for i, (_act, layer, val) in enumerate(cone.PAPER_FIG2B_READ):
            ax.plot(layer, val, "k^", ms=6, mfc="none", label="paper, read off Fig. 2b" if i == 0 else None)
    ax.set_xlabel("layer (0 = input)")
    ax.set_ylabel("average cosine similarity")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_cosine_histograms(
    panels: Mapping[str, np.ndarray], paper_means: Optional[Mapping[str, float]] = None, title: str = ""
) -> Figure:
    """Fig. 2a-style histograms of off-diagonal pairwise cosines, one panel per encoder/input."""
    k = len(panels)
    cols = min(k, 2)
    rows = int(np.ceil(k / cols))
    fig = new_figure(4.0 * cols, 2.8 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, (name, cos) in zip(axes, panels.items()):
        cos = np.asarray(cos)
        ax.hist(cos, bins=60, range=(-1, 1), color="0.45")
        m = float(cos.mean())
        ax.axvline(m, color=HIGHLIGHT_COLOR, lw=1.5)
        label = f"mean {m:.3f}"
        if paper_means and name in paper_means:
            ax.axvline(paper_means[name], color="k", ls="--", lw=1.2)
            label += f"\npaper {paper_means[name]:.2f} (dashed)"
        ax.text(
            0.03,
            0.95,
            label,
            transform=ax.transAxes,
            va="top",
            fontsize=8.5,
            bbox=dict(fc="white", ec="0.8", alpha=0.9),
        )
        ax.set_title(name, fontsize=9.5)
        ax.set_xlim(-1, 1)
        ax.set_xlabel("cosine similarity", fontsize=8)
    for ax in axes[k:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_cones_by_seed(embeddings: Any, title: str = "") -> Figure:
    """Liang Fig. 2c: embeddings of the same inputs by several random inits, PCA, coloured by seed.

    ``embeddings``: (S, N, d), rows normalized before the PCA (as in the official code).
    """
    arr = np.asarray(embeddings, dtype=np.float64)
    if arr.ndim != 3:
        raise ValueError(f"embeddings must have shape (seeds, samples, dims), got {arr.shape}.")
    s, n, d = arr.shape
    flat = _unit(arr.reshape(-1, d))
    coords, ratio = pca_2d(flat)
    fig = new_figure(5.6, 4.8)
    ax = fig.add_subplot()
    for k, color in enumerate(palette(s)):  # one image tower per seed: not the text colour, not red for all
        c = coords[k * n : (k + 1) * n]
        ax.scatter(c[:, 0], c[:, 1], s=14, color=color, label=f"seed {k}", alpha=0.85)
    ax.set_xlabel(f"PC1 ({100 * ratio[0]:.1f}%)")
    ax.set_ylabel(f"PC2 ({100 * ratio[1]:.1f}%)")
    ax.legend(fontsize=7.5, ncol=2, loc="best")
    ax.set_title(title, fontsize=10)
    return fig


def plot_theorem1(cos_before: np.ndarray, cos_after: np.ndarray, condition: np.ndarray) -> Figure:
    """Theorem 1 checked: cosine before vs after one random ReLU layer, pairs coloured by the premise."""
    cb, ca, ok = (np.asarray(v) for v in (cos_before, cos_after, condition))
    fig = new_figure(5.2, 4.6)
    ax = fig.add_subplot()
    ax.scatter(cb[ok], ca[ok], s=10, c="#2ca02c", label="premise holds")
    ax.scatter(cb[~ok], ca[~ok], s=14, c="k", marker="x", label="premise fails")
    ax.plot([-1, 1], [-1, 1], "k--", lw=1, label="no change (y = x)")
    ax.set_xlabel("cos(u, v) before")
    ax.set_ylabel("cos(ReLU(Wu+b), ReLU(Wv+b)) after")
    frac = float((ca[ok] > cb[ok]).mean()) if ok.any() else float("nan")
    ax.set_title(f"Theorem 1: cosine increased for {100 * frac:.1f}% of pairs where the premise holds", fontsize=9.5)
    ax.legend(fontsize=8)
    ax.set_xlim(-1.02, 1.02)
    ax.set_ylim(-0.05, 1.02)
    return fig


def plot_liang_fig1(features: Mapping[str, tuple], max_lines: int = 500) -> Figure:
    """Liang Fig. 1 (lesson 02 Sec. 1): one panel per feature file, images red, texts blue, pairs joined.

    The projection is the official ``reduce_and_visualize`` PCA panel: sklearn-default (centered) PCA with two
    components of the concatenated image and text rows, black pair lines at alpha 0.05. The paper's figure uses
    the UMAP panel of the same function; the course has no umap dependency, so the panels say "PCA".

    Parameters
    ----------
    features : mapping
        Name -> ``(image_emb, text_emb)``, paired rows (at least 2), same width within a pair.
    max_lines : int
        At most this many pair lines per panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(features, Mapping) or len(features) == 0:
        raise ValueError("features must be a non-empty mapping name -> (image_emb, text_emb).")
    k = len(features)
    cols = min(k, 3)
    rows = int(np.ceil(k / cols))
    fig = new_figure(3.6 * cols, 3.4 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, (name, emb) in zip(axes, features.items()):
        x, y = (_unit(a) for a in V.pair(emb[0], emb[1], paired=True, min_rows=2))
        n = x.shape[0]
        coords, ratio = pca_2d(np.vstack([x, y]))
        cx, cy = coords[:n], coords[n:]
        lines = min(n, V.integer(max_lines, "max_lines", 0))
        segments = np.stack([cx[:lines], cy[:lines]], axis=1)  # (lines, 2 ends, xy): one artist for all pairs
        ax.add_collection(LineCollection(segments, colors="k", alpha=0.05, linewidths=0.7, zorder=1))
        ax.scatter(cx[:, 0], cx[:, 1], s=6, c=IMAGE_COLOR, label="images", zorder=2)
        ax.scatter(cy[:, 0], cy[:, 1], s=6, c=TEXT_COLOR, label="texts", zorder=2)
        ax.set_title(f"{name}: {n} pairs, {x.shape[1]}-d\nL2M {metrics.l2m(x, y):.3f}", fontsize=9)
        ax.set_xlabel(f"PC1 ({100 * ratio[0]:.0f}%)", fontsize=8)
        ax.set_ylabel(f"PC2 ({100 * ratio[1]:.0f}%)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, loc="best")
    for ax in axes[k:]:
        ax.set_visible(False)
    fig.suptitle("Liang Fig. 1 with PCA (the paper's panels are UMAP of the same files)", fontsize=10)
    return fig


def plot_two_cones(image_emb: Any, text_emb: Any, title: str = "") -> Figure:
    """Two towers at initialisation (lesson 02 Sec. 5): the image cone and the text cone in one picture.

    The view is the plane through the origin spanned by the two cone axes (the directions of the image and
    text centroids), so angles at the origin are true angles there: each normalized embedding is projected
    onto that plane, a ray marks each cone's axis, and the arrow is the gap vector between the centroids.

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Image and text embeddings, same width, at least 2 rows each, no all-zero row.
    title : str
        First line of the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x, y = (_unit(a) for a in V.pair(image_emb, text_emb, min_rows=2))
    mx, my = x.mean(axis=0), y.mean(axis=0)
    e1 = mx / np.linalg.norm(mx)
    rest = my - (my @ e1) * e1
    if np.linalg.norm(rest) < 1e-12 * np.linalg.norm(my):
        raise ValueError("the image and text cone axes are parallel: there is no plane to draw them in.")
    e2 = rest / np.linalg.norm(rest)
    basis = np.stack([e1, e2], axis=1)
    px, py, cx, cy = x @ basis, y @ basis, mx @ basis, my @ basis
    fig = new_figure(5.4, 5.2)
    ax = fig.add_subplot()
    draw_unit_circle(ax)
    for c, color in ((cx, IMAGE_COLOR), (cy, TEXT_COLOR)):
        ax.plot([0, 1.1 * c[0] / np.linalg.norm(c)], [0, 1.1 * c[1] / np.linalg.norm(c)], color=color, lw=1, ls="--")
    ax.scatter(px[:, 0], px[:, 1], s=14, c=IMAGE_COLOR, alpha=0.8, label="images")
    ax.scatter(py[:, 0], py[:, 1], s=14, c=TEXT_COLOR, alpha=0.8, label="texts")
    ax.annotate("", xy=cx, xytext=cy, arrowprops=dict(arrowstyle="->", lw=2.0, color="k"), zorder=4)
    ax.scatter(*cx, marker="*", s=220, c=IMAGE_COLOR, edgecolors="k", zorder=5, label="image centroid")
    ax.scatter(*cy, marker="*", s=220, c=TEXT_COLOR, edgecolors="k", zorder=5, label="text centroid")
    ax.scatter(0, 0, marker="+", s=60, c="k", zorder=5)
    half = [cone.cone_half_angle_deg(cone.mean_pairwise_cosine(e)) for e in (x, y)]
    between = float(np.degrees(np.arccos(np.clip(e1 @ (my / np.linalg.norm(my)), -1, 1))))
    ax.set_title(
        (title + "\n" if title else "")
        + f"angle between the cone axes {between:.1f}°; gap L2M = {metrics.l2m(x, y):.3f} (arrow)\n"
        f"arccos(mean cosine) within a cone: image {half[0]:.1f}°, text {half[1]:.1f}° (all dims)",
        fontsize=9,
    )
    ax.set_xlabel("along the image cone axis")
    ax.set_ylabel("towards the text cone axis")
    ax.set_aspect("equal")
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(-1.15, 1.15)
    ax.legend(fontsize=7.5, loc="lower left")
    return fig
