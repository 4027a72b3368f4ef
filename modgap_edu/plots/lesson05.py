"""Figures of lesson 05 (measuring the gap and the bias), as pure functions returning Figures.

Built with ``widgets.new_figure`` (not pyplot), so a slider callback never draws twice.
Images are red, texts blue (``plots.style``), as in Liang et al. 2022, Fig. 1 and the other lessons.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from modgap_edu.core import dimensions, metrics
from modgap_edu.plots.live_figure import LiveFigure
from modgap_edu.plots.style import IMAGE_COLOR, METRIC_COLORS, TEXT_COLOR, draw_unit_circle, metric_color, palette
from modgap_edu.plots.widgets import new_figure
from modgap_edu.toys import paired_cones

METRIC_LABELS = {"l2m": "L2M (centroids)", "l2i": "L2I (matched pairs)", "rmg": "RMG (relative)"}


# ---------------------------------------------------------------- Sec. 1: the interactive demo


class MetricDemo(LiveFigure):
    """Lesson 05 demo: two synthetic cones (``paired_cones.paired_cones`` in d = 3) and L2M, L2I, RMG live.

    Left: the unit sphere seen along the shared axis a: every embedding's coordinates on the gap
    axis b and on the content axis (the third coordinate, along a, is what makes it unit length);
    20 matched pairs joined. Right: the three metrics as bars, with RMG's terms M, D_img, D_txt.
    A slider move redraws the points, the bars and the numbers; axes and labels stay.
    """

    NAMES = ("l2m", "l2i", "rmg")

    def __init__(self, match: float = 0.8, n: int = 300, seed: int = 0):
        self.match, self.n, self.seed = match, n, seed

    def build(self, spread_image: float = 0.6, spread_text: float = 0.6, distance: float = 0.8) -> Figure:
        from matplotlib.collections import LineCollection

        fig = self._start(new_figure(9.6, 4.0))
        ax, bx = self.ax, self.bx = fig.subplots(1, 2, width_ratios=[1.15, 1])
        draw_unit_circle(ax)
        self.pairs = LineCollection(np.empty((0, 2, 2)), colors="0.5", linewidths=0.6, alpha=0.6, zorder=1)
        ax.add_collection(self.pairs)
        empty = np.empty((0, 2))
        self.img_pts = ax.scatter(empty[:, 0], empty[:, 1], s=9, c=IMAGE_COLOR, alpha=0.6, label="images", zorder=2)
        self.txt_pts = ax.scatter(empty[:, 0], empty[:, 1], s=9, c=TEXT_COLOR, alpha=0.6, label="texts", zorder=2)
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect("equal")
        ax.set_xlabel("coordinate on the gap axis b")
        ax.set_ylabel("content coordinate")
        ax.set_title("the unit sphere (d = 3), seen along the shared axis", fontsize=10)
        self.legend = ax.legend(loc="lower left", fontsize=8, markerscale=1.5)
        self.bars = list(
            bx.bar([METRIC_LABELS[k] for k in self.NAMES], [0.0] * 3, color=[METRIC_COLORS[k] for k in self.NAMES])
        )
        self.values = [bx.text(b.get_x() + b.get_width() / 2, 0.03, "", ha="center", fontsize=10) for b in self.bars]
        bx.set_ylim(0, 2.0)
        bx.set_ylabel("value (L2M, L2I in [0, 2]; RMG in [0, 1])")
        bx.tick_params(axis="x", labelsize=8)
        self.title = fig.suptitle("", fontsize=10)
        self.dynamic(
            self.pairs, self.img_pts, self.txt_pts, self.legend, *self.bars, *self.values, bx.title, self.title
        )
        self.update(spread_image, spread_text, distance)
        return fig

    def update(self, spread_image: float = 0.6, spread_text: float = 0.6, distance: float = 0.8) -> bool:
        x, y = paired_cones.paired_cones(
            n=self.n,
            d=3,
            spread_image=spread_image,
            spread_text=spread_text,
            distance=distance,
            match=self.match,
            seed=self.seed,
        )
        m = paired_cones.gap_metrics(x, y)
        self.pairs.set_segments(np.stack([x[:20, 1:3], y[:20, 1:3]], axis=1))
        self.img_pts.set_offsets(x[:, 1:3])
        self.txt_pts.set_offsets(y[:, 1:3])
        for bar, text, key in zip(self.bars, self.values, self.NAMES):
            bar.set_height(m[key])
            text.set_y(m[key] + 0.03)
            text.set_text(f"{m[key]:.3f}")
        self.bx.set_title(
            f"M = {m['matched']:.3f}   D_img = {m['intra_image']:.3f}   D_txt = {m['intra_text']:.3f}", fontsize=9
        )
        self.title.set_text(
            f"spread img {spread_image:.2f}, spread txt {spread_text:.2f}, axis distance "
            f"{distance:.2f}  ->  L2M {m['l2m']:.3f}, L2I {m['l2i']:.3f}, RMG {m['rmg']:.3f}"
        )
        return False


def plot_metric_demo(
    spread_image: float = 0.6,
    spread_text: float = 0.6,
    distance: float = 0.8,
    match: float = 0.8,
    n: int = 300,
    seed: int = 0,
) -> Figure:
    """The ``MetricDemo`` figure, built fresh (static fallback cells, tests)."""
    return MetricDemo(match, n, seed)(spread_image=spread_image, spread_text=spread_text, distance=distance)


def plot_metric_sweeps(sweeps: Sequence[Mapping[str, Any]], titles: Sequence[str]) -> Figure:
    """One panel per ``paired_cones.metric_sweep`` result: L2M, L2I and RMG against the swept value."""
    if len(sweeps) != len(titles) or not sweeps:
        raise ValueError("give one title per sweep (and at least one sweep).")
    fig = new_figure(4.0 * len(sweeps), 3.4)
    axes = np.atleast_1d(fig.subplots(1, len(sweeps), sharey=True))
    for ax, sw, title in zip(axes, sweeps, titles):
        for k in ("l2m", "l2i", "rmg"):
            ax.plot(sw["values"], sw[k], "o-", ms=3, color=METRIC_COLORS[k], label=METRIC_LABELS[k])
        ax.set_xlabel(sw["parameter"].replace("_", " "))
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("metric value")
    axes[0].legend(fontsize=8)
    return fig


# ---------------------------------------------------------------- Sec. 2: few dimensions drive the gap


def plot_dimension_ranking(image_emb: Any, text_emb: Any, top: int = 10, title: str = "") -> Figure:
    """Schrodi et al. 2025 Fig. 4a: |mean_img - mean_txt| per dimension, sorted, with a top-``top`` inset."""
    scores = dimensions.gap_dimension_scores(image_emb, text_emb)
    order = np.argsort(-scores, kind="stable")
    top = min(int(top), scores.size)
    fig = new_figure(7.6, 3.8)
    ax = fig.add_subplot()
    ax.plot(np.arange(1, scores.size + 1), scores[order], color="k", lw=1.2)
    ax.set_xlabel("dimension rank (sorted by |mean difference|)")
    ax.set_ylabel("|mean image - mean text|")
    share = float(np.sum(scores[order[:2]] ** 2) / np.sum(scores**2))
    ax.set_title(title or f"top 2 of {scores.size} dimensions carry {100 * share:.0f}% of L2M$^2$", fontsize=10)
    ax.grid(alpha=0.3)
    inset = ax.inset_axes([0.42, 0.3, 0.55, 0.6])
    inset.bar(np.arange(top), scores[order[:top]], color=metric_color("l2m"))  # the per-dimension share of L2M
    inset.set_xticks(np.arange(top), [str(i) for i in order[:top]], fontsize=7, rotation=90)
    inset.set_title(f"top {top} (dimension index)", fontsize=8)
    inset.tick_params(axis="y", labelsize=7)
    return fig


def plot_two_dimensions(image_emb: Any, text_emb: Any, title: str = "") -> Figure:
    """Schrodi et al. 2025 Fig. 4b / Fig. 12: raw normalized coordinates of two dimensions, for both
    dimension-selection rules of ``gap_embedding_dim_pairs.py`` (``dimensions.DIM_RULES``)."""
    x = metrics.normalize(image_emb)
    y = metrics.normalize(text_emb)
    fig = new_figure(9.0, 4.2)
    axes = fig.subplots(1, 2)
    for ax, rule in zip(axes, dimensions.DIM_RULES):
        i, j = dimensions.two_gap_dimensions(x, y, rule)
        ax.scatter(x[:, i], x[:, j], s=6, c=IMAGE_COLOR, alpha=0.6, label="images")
        ax.scatter(y[:, i], y[:, j], s=6, c=TEXT_COLOR, alpha=0.6, label="texts")
        ax.set_xlabel(f"dimension {i}")
        ax.set_ylabel(f"dimension {j}")
        ax.set_title(f"{rule}: dims ({i}, {j})", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, markerscale=2)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_ablation(
    curve: Mapping[str, Any], score_label: str = "retrieval R@1 (image -> text)", title: str = ""
) -> Figure:
    """Schrodi et al. 2025 Fig. 4c: gap metric and downstream score after removing the top-k dims."""
    k = np.asarray(curve["k"])
    fig = new_figure(7.2, 3.8)
    ax = fig.add_subplot()
    metric = curve.get("metric", "rmg")
    ax.plot(k, curve["gap"], "o-", color=METRIC_COLORS.get(metric, "k"), ms=4, label=metric.upper())
    ax.set_xlabel("k = number of top gap dimensions removed")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(metric.upper(), color=METRIC_COLORS.get(metric, "k"))
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(k, curve["score"], "s--", color="k", ms=4, label=score_label)
    ax2.set_ylabel(score_label)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="upper right")
    ax.set_title(title or "remove the top-k gap dimensions, re-normalize, re-measure", fontsize=10)
    return fig


# ---------------------------------------------------------------- Sec. 3-4: MOAD and gap vs performance


def plot_moad_by_k(
    rows: Sequence[Mapping[str, Any]],
    x_key: str = "label",
    keys: Sequence[str] = ("moad_image", "moad_text"),
    title: str = "",
) -> Figure:
    """MOAD (image and text side) per MAD model, e.g. per caption-information level k."""
    labels = [str(r[x_key]) for r in rows]
    fig = new_figure(7.2, 3.6)
    ax = fig.add_subplot()
    width = 0.8 / len(keys)
    for j, key in enumerate(keys):
        ax.bar(
            np.arange(len(rows)) + (j - (len(keys) - 1) / 2) * width,
            [r[key] for r in rows],
            width,
            label={"moad_image": "image side", "moad_text": "text side"}.get(key, key.replace("_", " ")),
            color=metric_color(key, None),
        )
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(np.arange(len(rows)), labels)
    ax.set_ylabel("MOAD, digit vs colour (> 0: object bias)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(title, fontsize=10)
    return fig


def plot_gap_vs_performance(
    gap: Sequence[float],
    performance: Sequence[float],
    groups: Optional[Sequence] = None,
    labels: Optional[Sequence[str]] = None,
    gap_label: str = "RMG",
    performance_label: str = "performance",
    title: str = "",
) -> Figure:
    """Schrodi et al. 2025 Fig. 3, course-sized: one point per model, coloured by group (the confounder)."""
    g = np.asarray(gap, dtype=float)
    p = np.asarray(performance, dtype=float)
    if g.shape != p.shape or g.ndim != 1:
        raise ValueError("gap and performance must be 1-D with one value per model.")
    fig = new_figure(6.4, 4.2)
    ax = fig.add_subplot()
    grp = np.zeros(g.size, dtype=int) if groups is None else np.asarray(groups)
    markers = "osD^v<>"
    keys = list(dict.fromkeys(grp.tolist()))
    for j, (key, color) in enumerate(zip(keys, palette(len(keys)))):  # groups are not modalities: no red/blue
        sel = grp == key
        ax.scatter(
            g[sel],
            p[sel],
            s=40,
            marker=markers[j % len(markers)],
            color=color,
            label=None if groups is None else str(key),
            zorder=2,
        )
    if labels is not None:
        for gi, pi, lab in zip(g, p, labels):
            ax.annotate(str(lab), (gi, pi), textcoords="offset points", xytext=(4, 3), fontsize=7)
    ax.set_xlabel(gap_label)
    ax.set_ylabel(performance_label)
    ax.grid(alpha=0.3)
    if groups is not None:
        ax.legend(fontsize=8, title="group", title_fontsize=8)
    ax.set_title(title, fontsize=10)
    return fig


def plot_family_confounders(
    records: Sequence[Mapping[str, Any]],
    gap_key: str = "rmg",
    performance_key: str = "zero_shot_attributes",
    moad_key: str = "moad_image",
    gap_label: str = "RMG (full captions)",
    performance_label: str = "attribute zero-shot accuracy",
) -> Figure:
    """Lesson 05 Sec. 5 (Schrodi et al. 2025 Fig. 3 / Table 1 and Fig. 5a, course-sized), two panels.

    Left: gap vs performance, one point per model; the models that share width, embedding size and
    training-set size (one setting of the confounders) have one colour and are joined in the order of k,
    so a line is the within-setting trend (the effect of k). Right: ``moad_key`` at the smaller and the
    larger training set, one line per (k, width, embedding size), coloured by k.
    """
    recs = list(records)
    need = ("k", "width", "embed_dim", "n_train", gap_key, performance_key, moad_key)
    if not recs or any(not isinstance(r, Mapping) or any(key not in r for key in need) for r in recs):
        raise ValueError(f"records must be family records with the keys {', '.join(need)}.")
    fig = new_figure(11.0, 5.4)
    ax, bx = fig.subplots(1, 2, width_ratios=[1.35, 1])
    settings = list(dict.fromkeys((r["width"], r["embed_dim"], r["n_train"]) for r in recs))
    k_markers = dict(zip(sorted({r["k"] for r in recs}), "osD^v"))
    for setting, color in zip(settings, palette(len(settings))):
        rows = sorted((r for r in recs if (r["width"], r["embed_dim"], r["n_train"]) == setting), key=lambda r: r["k"])
        ax.plot([r[gap_key] for r in rows], [r[performance_key] for r in rows], "-", color=color, lw=1, alpha=0.7)
        for r in rows:
            ax.scatter(r[gap_key], r[performance_key], s=34, color=color, marker=k_markers[r["k"]], zorder=2)
        ax.plot([], [], "-", color=color, label=f"{setting[0]}, e{setting[1]}, n={setting[2]}")
    for k, marker in k_markers.items():
        ax.scatter([], [], marker=marker, facecolors="none", edgecolors="k", label=f"k = {k}")
    ax.set_xlabel(gap_label)
    ax.set_ylabel(performance_label)
    ax.grid(alpha=0.3)
    ax.legend(
        fontsize=7,
        ncol=4,
        title="width, embed, training images",
        title_fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
    )
    ax.set_title("one line per setting of the confounders (k = 1, 3, 5 along it)", fontsize=10)
    sizes = sorted({r["n_train"] for r in recs})
    k_colors = dict(zip(k_markers, palette(len(k_markers))))
    for k, width, embed in dict.fromkeys((r["k"], r["width"], r["embed_dim"]) for r in recs):
        rows = sorted(
            (r for r in recs if (r["k"], r["width"], r["embed_dim"]) == (k, width, embed)), key=lambda r: r["n_train"]
        )
        xs = [sizes.index(r["n_train"]) for r in rows]
        style = "-" if width == "default" else "--"
        bx.plot(xs, [r[moad_key] for r in rows], style, marker=k_markers[k], color=k_colors[k], lw=1.2, ms=5)
    for k, color in k_colors.items():
        bx.plot([], [], "-", color=color, marker=k_markers[k], label=f"k = {k}")
    bx.plot([], [], "-", color="0.4", label="default width")
    bx.plot([], [], "--", color="0.4", label="small width")
    bx.axhline(0, color="k", lw=0.8)
    bx.set_xticks(range(len(sizes)), [f"{n:,}" for n in sizes])
    bx.set_xlim(-0.3, len(sizes) - 0.7)
    bx.set_xlabel("training images")
    bx.set_ylabel(moad_key.replace("_", " ").replace("moad", "MOAD") + " (> 0: object bias)")
    bx.grid(alpha=0.3)
    bx.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    bx.set_title("training-set size vs MOAD (one line per k, width, embed)", fontsize=10)
    return fig
