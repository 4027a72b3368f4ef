"""Figures of lesson 04 (information imbalance on MAD), built from the shipped sweep JSON.

Pure functions returning ``matplotlib.figure.Figure`` (via ``widgets.new_figure``); the widget
callback ``sweep_explorer`` reads only cached numbers, so it answers in milliseconds.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from modgap_edu.core import dimensions
from modgap_edu.experiments import mad_sweep as S
from modgap_edu.mad import digits, factors
from modgap_edu.mad.dataset import FACTORS
from modgap_edu.plots.live_figure import LiveFigure
from modgap_edu.plots.style import IMAGE_COLOR, LIVE_COLOR, TEXT_COLOR, metric_color, palette
from modgap_edu.plots.widgets import new_figure

MODE_LABELS = ["object\nonly", "k=1", "k=2", "k=3", "k=4", "k=5"]
LABELS = {
    "rmg": "RMG (full captions)",
    "l2m": "L2M (full captions)",
    "moad_image": "MOAD image (digit vs colour)",
    "moad_text": "MOAD text (digit vs colour)",
    "moad_image_attributes": "MOAD image (mean of 5 attributes)",
    "zero_shot_digit": "zero-shot digit (prompt '3')",
    "zero_shot_color": "zero-shot colour (prompt ensemble)",
    "zero_shot_attributes": "zero-shot attributes (mean of 5)",
    "zero_shot_digit_full": "zero-shot digit (full-caption ensemble)",
    "zero_shot_color_full": "zero-shot colour (full-caption ensemble)",
    "temperature": "learned temperature τ",
    "entropy": "logit entropy (nats)",
    "alignment": "alignment ℓ_align (α = 2; lower = closer pairs)",
    "uniformity_image": "uniformity ℓ_uniform, images",
    "uniformity_text": "uniformity ℓ_uniform, texts",
    "top2_gap_share": "share of L2M² in the top-2 gap dimensions",
    "accuracy_all": "zero-shot accuracy, mean over 6 factors",
    "loss_matched": "matched term M (pulls pairs together)",
    "loss_logsumexp": "log-sum-exp term S (pushes all apart)",
    "loss_total": "CLIP loss M + S",
    "train_alignment": "alignment on the training captions",
}


def _mode_x(k) -> int:
    return 0 if k is None else int(k)


def _panel(ax, data: dict, metric: str, live: dict | None = None, color: str | None = None, label: str | None = None):
    color = metric_color(metric) if color is None else color
    rows = S.runs(data, "sweep", main_object="digit")
    xs = np.arange(len(S.MODES))
    means, stds = [], []
    for k in S.MODES:
        vals = [r[metric] for r in rows if r["k"] == k and metric in r]
        means.append(np.mean(vals) if vals else np.nan)
        stds.append(np.std(vals) if vals else np.nan)
        ax.scatter([_mode_x(k)] * len(vals), vals, s=10, color=color, alpha=0.45, zorder=2)
    ax.errorbar(
        xs,
        means,
        yerr=stds,
        color=color,
        marker="o",
        ms=4,
        capsize=3,
        lw=1.5,
        zorder=3,
        label=label or f"shipped sweep, mean ± std over {len({r['seed'] for r in rows})} seeds",
    )
    if live is not None and metric in live:
        ax.scatter(
            [_mode_x(live["k"])],
            [live[metric]],
            marker="*",
            s=180,
            color=LIVE_COLOR,
            edgecolor="k",
            zorder=5,
            label="your live run",
        )
    ax.set_xticks(xs, MODE_LABELS, fontsize=8)
    ax.set_title(LABELS.get(metric, metric), fontsize=9)
    ax.grid(alpha=0.3)


def plot_sweep(
    data: dict,
    metrics: Sequence[str] = ("rmg", "l2m", "moad_image", "moad_text"),
    live: dict | None = None,
    ncols: int = 4,
):
    """Lesson 04 §3: each metric vs caption information (object only, k = 1..5) with seed spread;
    ``live``: an ``evaluate_mad`` dict plus ``"k"`` drawn as a star. Each metric in its ``style.METRIC_COLORS``
    colour (MOAD image/text in the image/text colour)."""
    n = len(metrics)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig = new_figure(3.0 * ncols, 2.8 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, m in zip(axes, metrics):
        _panel(ax, data, m, live)
        if m.startswith("moad"):
            ax.axhline(0, color="k", lw=0.6)
    for ax in axes[n:]:
        ax.axis("off")
    axes[0].legend(fontsize=7, loc="best")
    fig.supxlabel("caption information: attributes named in each training caption →", fontsize=9)
    return fig


def plot_history(history: list[dict]):
    """Lesson 04 §3: the live run's loss, temperature and gap (RMG on 2,000 test pairs) per epoch."""
    fig = new_figure(9, 2.6)
    axes = fig.subplots(1, 3)
    ep = [h["epoch"] for h in history]
    for ax, key in zip(axes, ("loss", "temperature", "rmg")):
        if all(key in h for h in history):
            ax.plot(ep, [h[key] for h in history], marker="o")
        ax.set_title(
            {"loss": "CLIP loss (training)", "temperature": "temperature τ", "rmg": "RMG (test, full captions)"}[key],
            fontsize=9,
        )
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    return fig


def plot_mechanism(data: dict):
    """Lesson 04 §3: alignment, uniformity (images in ``IMAGE_COLOR``, texts in ``TEXT_COLOR``) and the top-2
    gap-dimension share vs caption information, mean ± std over the sweep's seeds (test split, full captions)."""
    fig = new_figure(10, 2.9)
    axes = fig.subplots(1, 3)
    _panel(axes[0], data, "alignment", label="mean ± std over seeds")
    _panel(axes[1], data, "uniformity_image", color=IMAGE_COLOR, label="images")
    _panel(axes[1], data, "uniformity_text", color=TEXT_COLOR, label="texts (full captions)")
    axes[1].set_title("uniformity ℓ_uniform (t = 2; lower = more spread)", fontsize=9)
    _panel(axes[2], data, "top2_gap_share", label="mean ± std over seeds")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    fig.supxlabel("caption information: attributes named in each training caption →", fontsize=9)
    return fig


def _mode_color(k) -> str:
    """One colour per caption mode (``style.palette``, never the modality colours), the same in every figure."""
    return palette(len(S.MODES))[S.MODES.index(k)]


def mechanism_runs(data: dict, kind: str = "sweep") -> list[dict]:
    """The runs of ``kind`` that carry a per-epoch ``mechanism_history``, in ``mad_sweep.MODES`` order."""
    rows = [r for r in S.runs(data, kind) if "mechanism_history" in r]
    return sorted(rows, key=lambda r: _mode_x(r["k"]))


def _history_lines(ax, rows: list[dict], key: str, colors: list[str], styles: Sequence[str] = ("-",), prefix=""):
    for i, (r, c) in enumerate(zip(rows, colors)):
        h = r["mechanism_history"]
        ax.plot(
            [e["epoch"] for e in h],
            [e[key] for e in h],
            color=c,
            ls=styles[i % len(styles)],
            marker="o",
            ms=3,
            label=prefix + S.mode_name(r["k"]),
        )
    ax.set_title(LABELS.get(key, key), fontsize=9)
    ax.grid(alpha=0.3)


def plot_mechanism_history(data: dict, floors: dict | None = None):
    """Lesson 04 §3: per training epoch (0 = untrained), for the seed-0 runs with a mechanism history:
    alignment and uniformity on the test split (full captions; uniformity of images in ``IMAGE_COLOR`` and texts
    in ``TEXT_COLOR``, one line style per k) and the two terms of the CLIP loss on a fixed training batch set;
    ``floors``: {k: ``mad_clip.caption_floor``}, drawn as dashed lines under the loss."""
    rows = mechanism_runs(data)
    if not rows:
        raise ValueError("the sweep has no runs with a mechanism_history: regenerate it (mad_sweep).")
    colors, styles = [_mode_color(r["k"]) for r in rows], ("-", "--", "-.", ":")
    fig = new_figure(10, 5.4)
    axes = fig.subplots(2, 3)
    _history_lines(axes[0, 0], rows, "alignment", colors)
    _history_lines(axes[0, 1], rows, "uniformity_image", [IMAGE_COLOR] * len(rows), styles)
    _history_lines(axes[0, 2], rows, "uniformity_text", [TEXT_COLOR] * len(rows), styles)
    _history_lines(axes[1, 0], rows, "loss_matched", colors)
    _history_lines(axes[1, 1], rows, "loss_logsumexp", colors)
    _history_lines(axes[1, 2], rows, "loss_total", colors)
    for r, c in zip(rows, colors):
        if floors and r["k"] in floors:
            axes[1, 2].axhline(floors[r["k"]], color=c, ls="--", lw=1)
    if floors:
        axes[1, 2].set_title("CLIP loss M + S (dashed: caption floor)", fontsize=9)
    for ax in axes[0, 1:]:
        ax.legend(fontsize=7, title="images" if ax is axes[0, 1] else "texts", title_fontsize=7)
    axes[0, 0].legend(fontsize=7)
    for ax in axes[1]:
        ax.set_xlabel("epoch (0 = untrained)", fontsize=8)
    fig.suptitle("top: test split, full captions · bottom: CLIP loss terms on a fixed training batch set", fontsize=9)
    return fig


def plot_large_gap_init(data: dict):
    """Lesson 04 §3: RMG and L2M per epoch from the large-gap start (``large_gap_init`` runs, solid) beside the
    plain start of the same seed (the sweep's mechanism runs, dotted), k = 5 and object-only captions."""
    big = {r["k"]: r for r in mechanism_runs(data, "large_gap_init")}
    plain = {r["k"]: r for r in mechanism_runs(data)}
    if not big:
        raise ValueError("the sweep has no large_gap_init runs: regenerate it (mad_sweep).")
    fig = new_figure(8, 2.9)
    axes = fig.subplots(1, 2)
    for ax, key in zip(axes, ("rmg", "l2m")):
        for k, r in big.items():
            for rr, ls, lab in ((r, "-", "large-gap start"), (plain.get(k), ":", "plain start")):
                if rr is None:
                    continue
                h = rr["mechanism_history"]
                ax.plot(
                    [e["epoch"] for e in h],
                    [e[key] for e in h],
                    color=_mode_color(k),
                    ls=ls,
                    marker="o",
                    ms=3,
                    label=f"{S.mode_name(k)}, {lab}",
                )
        ax.set_title(LABELS[key], fontsize=9)
        ax.set_xlabel("epoch (0 = untrained)", fontsize=8)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    return fig


def plot_presence(data: dict):
    """Lesson 04 §4: k = 1 with the digit vs the colour as the always-present word: object bias moves."""
    digit = S.runs(data, "sweep", k=1, main_object="digit")
    colour = S.runs(data, "presence", k=1, main_object="colors")
    metrics = ("moad_image", "moad_text", "zero_shot_digit_full", "zero_shot_color_full", "rmg")
    names = [
        "MOAD image\n(digit vs colour)",
        "MOAD text\n(digit vs colour)",
        "zero-shot digit\n(full ensemble)",
        "zero-shot colour\n(full ensemble)",
        "RMG",
    ]
    fig = new_figure(9, 3.2)
    ax = fig.subplots()
    x = np.arange(len(metrics))
    c_digit, c_colour = "#9467bd", "#e377c2"  # purple, pink: conditions, not modalities or metrics
    for j, (rows, lab, c) in enumerate(
        (
            (digit, "digit always in the caption (+1 attribute)", c_digit),
            (colour, "colour always in the caption (+1 other factor)", c_colour),
        )
    ):
        vals = np.array([[r.get(m, np.nan) for m in metrics] for r in rows])
        ax.bar(
            x + (j - 0.5) * 0.38,
            np.nanmean(vals, axis=0),
            0.38,
            yerr=np.nanstd(vals, axis=0),
            capsize=3,
            color=c,
            label=f"{lab}, {len(rows)} seeds",
        )
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(x, names, fontsize=8)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("Caption presence: whatever is always named becomes the 'object'", fontsize=10)
    return fig


def plot_finetune(data: dict):
    """Lesson 04 §5: fine-tuning the k = 5 model on k = 1 captions, learnable vs frozen τ, per epoch."""
    fig = new_figure(10, 2.8)
    axes = fig.subplots(1, 3)
    for learnable, c in ((True, "C2"), (False, "C4")):
        rows = S.runs(data, "finetune", learnable_temperature=learnable)
        lab = "learnable τ" if learnable else "frozen τ"
        for ax, key in zip(axes, ("rmg", "entropy", "temperature")):
            for i, r in enumerate(rows):
                ep = [0] + [h["epoch"] for h in r["history"]]
                start = r["start"].get(key) if key != "entropy" else None
                ys = [start] + [h[key] for h in r["history"]]
                if start is None:
                    ep, ys = ep[1:], ys[1:]
                ax.plot(ep, ys, color=c, alpha=0.8, marker="o", ms=3, label=lab if i == 0 else None)
    for ax, key in zip(axes, ("rmg", "entropy", "temperature")):
        ax.set_title(
            {
                "rmg": "RMG (test, full captions)",
                "entropy": "logit entropy of training batches (nats)",
                "temperature": "temperature τ",
            }[key],
            fontsize=9,
        )
        ax.set_xlabel("fine-tuning epoch (0 = the k=5 model)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return fig


class SweepExplorer(LiveFigure):
    """Widget figure (lesson 04 §6): caption information k (0 = object only) and a frozen temperature,
    read from the cached sweep. Left: RMG and image MOAD vs k with the chosen k marked. Right: RMG vs the
    frozen τ at k = 1 and k = 5 (nearest cached τ marked). A slider move only moves the marks."""

    def __init__(self, data: dict | None = None):
        self.data = S.load_sweep(validate=False) if data is None else data

    def build(self, k: int = 1, temperature: float = 0.07):
        fig = self._start(new_figure(10, 3.3))
        self.ax1, self.ax2 = fig.subplots(1, 2)
        _panel(self.ax1, self.data, "rmg", label="RMG")
        _panel(self.ax1, self.data, "moad_image", label="MOAD image (digit vs colour)")
        self.k_line = self.ax1.axvline(0, color="k", ls="--", lw=1)
        self.ax1.axhline(0, color="k", lw=0.5)
        self.legend = self.ax1.legend(fontsize=7, loc="upper right")  # a fixed place: "best" moves with the mark
        self.rows = {}
        for kk, c in ((1, metric_color("rmg")), (5, "#8c564b")):  # RMG at k = 1 (orange) and k = 5 (brown)
            rows = sorted(S.runs(self.data, "temperature", k=kk), key=lambda r: r["fixed_temperature"])
            self.rows[kk] = rows
            if rows:
                self.ax2.plot(
                    [r["fixed_temperature"] for r in rows],
                    [r["rmg"] for r in rows],
                    marker="o",
                    color=c,
                    label=f"k={kk}, τ frozen",
                )
        self.marks = self.ax2.scatter([], [], s=120, facecolor="none", edgecolor="k", lw=2, zorder=4)
        self.notes = [
            self.ax2.annotate("", (1, 0), textcoords="offset points", xytext=(6, 4), fontsize=8) for _ in self.rows
        ]
        self.ax2.set_xscale("log")
        self.ax2.set_xlabel("frozen temperature τ (training)")
        self.ax2.grid(alpha=0.3)
        self.ax2.legend(fontsize=7)
        self.dynamic(self.k_line, self.legend, self.ax1.title, self.marks, *self.notes, self.ax2.title)
        self.update(k, temperature)
        return fig

    def update(self, k: int = 1, temperature: float = 0.07) -> bool:
        mode = None if int(k) == 0 else int(k)
        self.k_line.set_xdata([_mode_x(mode)] * 2)
        rm = S.table(self.data, "rmg").get(mode, (np.nan, np.nan, 0))
        mo = S.table(self.data, "moad_image").get(mode, (np.nan, np.nan, 0))
        self.ax1.set_title(
            f"{S.mode_name(mode)}: RMG {rm[0]:.2f} ± {rm[1]:.2f}, MOAD_img {mo[0]:.2f} ± {mo[1]:.2f}", fontsize=9
        )
        chosen = min(S.TEMPERATURES, key=lambda t: abs(np.log(t) - np.log(temperature)))
        points = []
        for note, rows in zip(self.notes, self.rows.values()):
            sel = [r for r in rows if r["fixed_temperature"] == chosen]
            note.set_visible(bool(sel))
            if sel:
                points.append((chosen, sel[0]["rmg"]))
                note.xy = (chosen, sel[0]["rmg"])
                note.set_text(f"{sel[0]['rmg']:.2f}")
        self.marks.set_offsets(np.array(points) if points else np.empty((0, 2)))
        self.ax2.set_title(f"RMG vs frozen τ (cached, seed 0); selected τ = {chosen:g}", fontsize=9)
        return False


def sweep_explorer(k: int = 1, temperature: float = 0.07, data: dict | None = None):
    """The ``SweepExplorer`` figure at (k, temperature), built fresh (static fallback cells, tests)."""
    return SweepExplorer(data)(k=k, temperature=temperature)


def embedding_pca(image_emb: np.ndarray, text_emb: np.ndarray, colour: np.ndarray, digit: np.ndarray, n: int = 600):
    """Lesson 04 §3: the live model's image and text embeddings in their joint top-2 PCA plane, coloured by
    digit (left) and by MAD colour (right)."""
    from modgap_edu.mad import dataset

    p = dimensions.pca(np.concatenate([image_emb[:n], text_emb[:n]]), 2)[0]
    fig = new_figure(9, 3.6)
    axes = fig.subplots(1, 2)
    # MAD's data colours, drawn in their own colour
    rgb = {
        "gray": "0.5",
        "red": "red",  # not a modality
        "green": "green",
        "blue": "blue",  # not a modality
        "cyan": "c",
        "magenta": "m",
        "yellow": "y",
    }
    for ax, (title, lab, cmap) in zip(
        axes, (("coloured by digit", digit, "tab10"), ("coloured by MAD colour", colour, None))
    ):
        cols = [rgb[dataset.FACTORS["colors"][c]] for c in lab[:n]] if cmap is None else lab[:n]
        ax.scatter(p[:n, 0], p[:n, 1], c=cols, cmap=cmap, s=9, marker="o", label="images (o)")
        ax.scatter(p[n:, 0], p[n:, 1], c=cols, cmap=cmap, s=14, marker="x", label="full captions (x)")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(fontsize=7)
    return fig


def example_grid(n_per_row: int = 8, seed: int = 0, source: str = "auto"):
    """Figure: one row per factor value (each row varies only that factor from a plain gray digit),
    for lesson 04 §2. Returns a matplotlib Figure."""
    from modgap_edu.plots.widgets import new_figure

    base, labels, _ = digits.base_digits("test", source, verbose=False)
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(base), size=n_per_row, replace=False)
    rows = [
        ("plain (gray)", {}),
        ("thickening", {"thickthinning": 1}),
        ("thinning", {"thickthinning": 2}),
        ("swelling", {"swelling": 1}),
        ("fracture", {"fracture": 1}),
        ("small", {"scaling": 1}),
    ]
    colour_row = ("colours", None)
    fig = new_figure(n_per_row * 0.9 + 1.4, (len(rows) + 1) * 0.95)
    axes = fig.subplots(len(rows) + 1, n_per_row)
    for r, (name, setting) in enumerate(rows + [colour_row]):
        for c, b in enumerate(picks):
            if setting is None:
                gray = factors.render(base[b], 0, 0, 0, 0, np.random.default_rng([seed, c]))
                img = factors.colorize(gray[None], np.array([c % 7]))[0]
                title = FACTORS["colors"][c % 7]
            else:
                args = {"thickthinning": 0, "swelling": 0, "fracture": 0, "scaling": 0, **setting}
                gray = factors.render(
                    base[b],
                    args["thickthinning"],
                    args["swelling"],
                    args["fracture"],
                    args["scaling"],
                    np.random.default_rng([seed, c]),
                )
                img = np.repeat(gray[None], 3, axis=0)
                title = None
            ax = axes[r, c]
            ax.imshow(np.clip(img.transpose(1, 2, 0), 0, 1), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if title:
                ax.set_title(title, fontsize=7)
            if c == 0:
                ax.set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle("MAD factors on the same digits (28x28): each row changes one factor", fontsize=10)
    return fig


# ---------------------------------------------------------------- §3c-§5: the hypothesis runs (mad_hypotheses)
# Built from ``assets/lesson04/hypotheses.json`` (``experiments.mad_hypotheses``); instant.

HYPOTHESIS_LABELS = {
    "baseline": "lesson recipe (5 epochs, batch 256)",
    "batch": "batch 1024, lr ×2 (same 5 epochs)",
    "longer": "10 epochs",
}


def _hyp_curve(ax, hyp: dict, part: str, metric: str, color: str, label: str, ls: str = "-"):
    """Seed mean ± std of ``metric`` vs k for one part of the hypothesis runs, seeds as dots."""
    from modgap_edu.experiments import mad_hypotheses as H

    t = H.table(hyp, part, metric)
    ks = [k for k in H.MODES if k in t]
    xs = [_mode_x(k) for k in ks]
    for k in ks:
        vals = [H.value(r, metric) for r in H.runs(hyp, part, k=k)]
        ax.scatter([_mode_x(k)] * len(vals), vals, s=9, color=color, alpha=0.4, zorder=2)
    ax.errorbar(
        xs,
        [t[k][0] for k in ks],
        yerr=[t[k][1] for k in ks],
        color=color,
        ls=ls,
        marker="o",
        ms=4,
        capsize=3,
        lw=1.4,
        label=label,
        zorder=3,
    )


def _k_axis(ax, title: str):
    from modgap_edu.experiments import mad_hypotheses as H

    ax.set_xticks([_mode_x(k) for k in H.MODES], [H.mode_name(k).replace(" ", "\n") for k in H.MODES], fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)


def plot_hypotheses(hyp: dict):
    """Lesson 04 §3c: digit zero-shot accuracy, accuracy over all six concepts and a digit linear probe vs k,
    for the lesson recipe, larger batches and longer training (3 seeds each), plus the full-caption ensemble."""
    from modgap_edu.plots.style import palette

    fig = new_figure(11, 3.3)
    axes = fig.subplots(1, 3, sharey=True)
    colors = dict(zip(HYPOTHESIS_LABELS, palette(3)))
    parts = [p for p in HYPOTHESIS_LABELS if any(r["part"] == p for r in hyp["runs"])]
    for part in parts:
        _hyp_curve(axes[0], hyp, part, "zero_shot_digit", colors[part], HYPOTHESIS_LABELS[part])
        _hyp_curve(axes[1], hyp, part, "accuracy_all", colors[part], HYPOTHESIS_LABELS[part])
        _hyp_curve(axes[2], hyp, part, "probe_digit", colors[part], HYPOTHESIS_LABELS[part])
    ens = palette(4)[3]
    _hyp_curve(axes[0], hyp, "baseline", "zero_shot_digit_full", ens, "recipe, full-caption ensemble", ls="--")
    _hyp_curve(axes[1], hyp, "baseline", "accuracy_all_full", ens, "recipe, full-caption ensembles", ls="--")
    _k_axis(axes[0], "zero-shot digit accuracy")
    _k_axis(axes[1], "zero-shot accuracy, mean of 6 concepts")
    _k_axis(axes[2], "linear probe on image embeddings: digit")
    axes[0].set_ylim(0, 1)
    axes[0].axhline(0.1, color="0.5", lw=0.8, ls=":")
    axes[1].legend(fontsize=7, loc="lower right")  # the low-left corner of the digit panel holds the batch curve
    fig.supxlabel("attributes named in each training caption →", fontsize=9)
    return fig


def plot_per_concept(hyp: dict, part: str = "baseline"):
    """Lesson 04 §3c: zero-shot accuracy per concept (digit + five attributes) vs k for one part, with the
    digit's linear probe dashed: which concepts gain from richer captions, which lose."""
    from modgap_edu.mad import dataset
    from modgap_edu.plots.style import palette

    fig = new_figure(7.5, 3.4)
    ax = fig.subplots()
    for factor, c in zip(dataset.FACTORS, palette(6)):
        _hyp_curve(ax, hyp, part, f"zs_{factor}", c, factor)
    _hyp_curve(ax, hyp, part, "probe_digit", palette(6)[0], "digit, linear probe", ls="--")
    n_seeds = len({r["seed"] for r in hyp["runs"] if r["part"] == part})
    _k_axis(ax, f"zero-shot accuracy per concept ({HYPOTHESIS_LABELS.get(part, part)}, {n_seeds} seed(s))")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    return fig


def plot_moad_variants(hyp: dict, part: str = "baseline"):
    """Lesson 04 §3b: image- and text-side MOAD vs k computed four ways on the same models: digit vs colour,
    the mean over the five factors (all pairs and the official triu subset), and the official function on
    MAD's 16-column multi-hot attributes."""
    from modgap_edu.plots.style import palette

    variants = (
        ("moad_image", "digit vs colour (course)"),
        ("moad_image_attributes", "mean of 5 factors (course)"),
        ("moad_image_official", "official, 16-column multi-hot"),
    )
    text_variants = (
        ("moad_text", "digit vs colour (course)"),
        ("moad_text_attributes", "mean of 5 factors (course)"),
        ("moad_text_official", "official, 16-column multi-hot"),
    )
    fig = new_figure(10, 3.3)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, rows, side in ((axes[0], variants, "image"), (axes[1], text_variants, "text")):
        for (metric, label), c in zip(rows, palette(3)):
            _hyp_curve(ax, hyp, part, metric, c, label)
        ax.axhline(0, color="k", lw=0.6)
        _k_axis(ax, f"MOAD, {side} embeddings (> 0: digits separated more)")
    axes[0].legend(fontsize=7)
    return fig
