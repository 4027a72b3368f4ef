"""Figures of lesson 03 (the temperature toy). Pure functions / bound methods returning Figures.

* ``ShiftDemo(image, text).plot(alpha, temperature)``: the embedding-shift demo (Liang et al. 2022,
  Fig. 3a-d): PCA view before/after the shift and the loss vs the signed remaining gap, official
  (image->text, batches of 50) and symmetric side by side, current point marked. Every curve is
  precomputed for the slider's grid, so a callback only draws.
* ``plot_shift_landscapes``: the static Fig. 3b-d panels at several temperatures.
* ``plot_sphere_toy(delta_theta_deg, temperature)``: the 3-D sphere toy (Fig. 3e-g) with its loss curve.
* ``plot_sphere_curves``: Fig. 3g (mismatched) beside Supp. Fig. 9 (matched), five temperatures.
* ``plot_init_vs_opt``: Sec. 4.4, our runs beside the paper's table.

Figures are built with ``widgets.new_figure`` (not pyplot), so nothing is drawn twice. Colours and the
sphere come from ``plots.style`` (images red, texts blue, as in every lesson).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from modgap_edu.core import shift as S
from modgap_edu.core import validation as V
from modgap_edu.plots.live_figure import LiveFigure
from modgap_edu.plots.style import HIGHLIGHT_COLOR, IMAGE_COLOR, LIVE_COLOR, TEXT_COLOR, draw_sphere
from modgap_edu.plots.widgets import new_figure
from modgap_edu.toys import six_pairs

SLIDER_TAUS = 10.0 ** (-2 + np.arange(21) / 10)  # log_slider(.., 0.01, 1, steps_per_decade=10)
SLIDER_ALPHAS = np.round(np.arange(-1.0, 3.0 + 1e-9, 0.05), 2)


class ShiftDemo(LiveFigure):
    """Lesson 03: precomputed state behind the alpha/tau shift demo (see ``plot``).

    ``alphas`` and ``temperatures`` are the slider grids; values off the grid are computed on the fly.
    ``n_show`` pairs (a fixed, seeded subset) are drawn in the PCA panel.
    """

    def __init__(
        self,
        image_emb: Any,
        text_emb: Any,
        alphas: Sequence[float] = SLIDER_ALPHAS,
        temperatures: Sequence[float] = SLIDER_TAUS,
        batch_size: int = 50,
        n_show: int = 120,
        label: str = "",
        seed: int = 0,
    ):
        with S.few_blas_threads():
            self._setup(image_emb, text_emb, alphas, temperatures, batch_size, n_show, label, seed)

    def _setup(self, image_emb, text_emb, alphas, temperatures, batch_size, n_show, label, seed) -> None:
        self.x, self.y = S._checked_pair(image_emb, text_emb)
        self.label = label
        self.land = S.loss_landscape(self.x, self.y, temperatures=temperatures, alphas=alphas, batch_size=batch_size)
        self.gap0 = float(np.linalg.norm(self.x.mean(0) - self.y.mean(0)))
        self.mean = np.vstack([self.x, self.y]).mean(axis=0)
        self.pcs = S._top_pcs(self.x, self.y, 2)  # PC1 oriented like the signed gap
        self._g = self.x.mean(0) - self.y.mean(0)
        rng = np.random.default_rng(seed)
        self.show_idx = np.sort(rng.choice(len(self.x), size=min(n_show, len(self.x)), replace=False))
        self._proj = {}
        all_xy = [self._project(a) for a in self.land.shifts]
        pts = np.concatenate([np.vstack(p[:2]) for p in all_xy])
        lo, hi = pts.min(0), pts.max(0)
        pad = 0.08 * (hi - lo)
        self.limits = (lo - pad, hi + pad)

    def _project(self, alpha: float) -> tuple:
        key = round(float(alpha), 6)
        if key not in self._proj:
            xs, ys = S._shift_normalized(self.x, self.y, float(alpha) * self._g)
            px = (xs[self.show_idx] - self.mean) @ self.pcs.T
            py = (ys[self.show_idx] - self.mean) @ self.pcs.T
            cx = (xs.mean(0) - self.mean) @ self.pcs.T
            cy = (ys.mean(0) - self.mean) @ self.pcs.T
            self._proj[key] = (px, py, cx, cy)
        return self._proj[key]

    def point(self, alpha: float, temperature: float) -> dict:
        """Numbers at (alpha, tau): signed remaining gap and both losses (exact, not interpolated)."""
        a = float(alpha)
        tau = V.positive_number(temperature, "temperature")
        hit = np.nonzero(np.isclose(self.land.shifts, a, atol=1e-9))[0]
        if hit.size:
            k = hit[0]
            return {
                "alpha": a,
                "temperature": tau,
                "signed_gap": float(self.land.signed_gap[k]),
                "official": float(self.land.loss_at(tau, "official")[k]),
                "symmetric": float(self.land.loss_at(tau, "symmetric")[k]),
            }
        with S.few_blas_threads():
            xs, ys = S.shift_embeddings(self.x, self.y, alpha=a)
            sims = [xs[b] @ ys[b].T for b in S._batches(len(xs), self.land.batch_size, self.land.drop_last)]
            i2t, sym = S._batch_losses(sims, tau)
            return {
                "alpha": a,
                "temperature": tau,
                "signed_gap": S.signed_gap(xs, ys, self.land.pc1),
                "official": float(i2t),
                "symmetric": float(sym),
            }

    def plot(self, alpha: float = 0.0, temperature: float = 0.01):
        """Lesson 03 demo (Liang Fig. 3a-d): PCA before/after the alpha-shift and loss vs remaining gap at tau.
        A fresh figure (static cells, tests); the slider demo updates one in place (``build``/``update``)."""
        return self(alpha=alpha, temperature=temperature)

    def build(self, alpha: float = 0.0, temperature: float = 0.01):
        from matplotlib.collections import LineCollection

        fig = self._start(new_figure(11.0, 4.5, layout=None))  # fixed margins
        ax1, ax2 = self.ax1, self.ax2 = fig.subplots(1, 2, width_ratios=[1, 1.25])
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.2, top=0.9 if not self.label else 0.86, wspace=0.2)
        px0, py0, _, _ = self._project(0.0)
        ax1.scatter(px0[:, 0], px0[:, 1], s=6, c=IMAGE_COLOR, alpha=0.18, lw=0)
        ax1.scatter(py0[:, 0], py0[:, 1], s=6, c=TEXT_COLOR, alpha=0.18, lw=0)
        self.pair_lines = LineCollection(np.empty((0, 2, 2)), colors="0.6", linewidths=0.5, zorder=1)
        ax1.add_collection(self.pair_lines)
        empty = np.empty((0, 2))
        self.img_pts = ax1.scatter(empty[:, 0], empty[:, 1], s=9, c=IMAGE_COLOR, label="images (after shift)", zorder=2)
        self.txt_pts = ax1.scatter(empty[:, 0], empty[:, 1], s=9, c=TEXT_COLOR, label="texts (after shift)", zorder=2)
        self.img_c = ax1.scatter([0], [0], marker="X", s=90, c=IMAGE_COLOR, edgecolor="k", zorder=3)
        self.txt_c = ax1.scatter([0], [0], marker="X", s=90, c=TEXT_COLOR, edgecolor="k", zorder=3)
        ax1.set_xlim(self.limits[0][0], self.limits[1][0])
        ax1.set_ylim(self.limits[0][1], self.limits[1][1])
        ax1.set_xlabel("PC1 (of the unshifted embeddings)")
        ax1.set_ylabel("PC2")
        self.legend1 = ax1.legend(loc="upper left", fontsize=8, markerscale=1.5)
        ax1.text(0.01, 0.01, "faint: before the shift; X: centroids", transform=ax1.transAxes, fontsize=7, color="0.4")
        gaps = self.land.signed_gap
        (self.off_line,) = ax2.plot(gaps, np.zeros_like(gaps), c="tab:green", lw=2, label="official: image→text CE")
        (self.sym_line,) = ax2.plot(
            gaps, np.zeros_like(gaps), c="tab:purple", lw=1.5, ls="--", label="symmetric CLIP loss"
        )
        ax2.axvline(self.gap0, c="0.5", ls=":", lw=1)
        ax2.text(self.gap0, 0.98, " unshifted", color="0.4", fontsize=8, va="top", transform=ax2.get_xaxis_transform())
        self.off_pt = ax2.scatter([0], [0], s=70, c="tab:green", edgecolor="k", zorder=3)
        self.sym_pt = ax2.scatter([0], [0], s=50, c="tab:purple", edgecolor="k", zorder=3)
        self.min_pt = ax2.scatter([0], [0], marker="v", s=60, c="k", zorder=3, label="minimum (official)")
        ax2.set_xlabel("signed remaining gap  (+: original side, −: modalities swapped)")
        ax2.set_ylabel("CLIP loss (mean over batches of 50)")
        ax2.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.45, -0.12), ncol=3, frameon=False)
        if self.label:
            fig.suptitle(self.label, fontsize=9)
        self.dynamic(
            self.pair_lines,
            self.img_pts,
            self.txt_pts,
            self.img_c,
            self.txt_c,
            self.legend1,
            ax1.title,
            self.off_pt,
            self.sym_pt,
            ax2.title,
        )
        self._tau = None
        self.update(alpha, temperature)
        return fig

    def update(self, alpha: float = 0.0, temperature: float = 0.01) -> bool:
        p = self.point(alpha, temperature)
        px, py, cx, cy = self._project(alpha)
        self.pair_lines.set_segments(np.stack([px[::6], py[::6]], axis=1))
        self.img_pts.set_offsets(px)
        self.txt_pts.set_offsets(py)
        self.img_c.set_offsets([cx])
        self.txt_c.set_offsets([cy])
        self.ax1.set_title(
            f"α = {p['alpha']:+.2f}: remaining gap {p['signed_gap']:+.3f} (was {self.gap0:.3f})", fontsize=10
        )
        self.off_pt.set_offsets([[p["signed_gap"], p["official"]]])
        self.sym_pt.set_offsets([[p["signed_gap"], p["symmetric"]]])
        self.ax2.set_title(
            f"τ = {p['temperature']:.3g}: loss {p['official']:.3f} (official), {p['symmetric']:.3f} (symmetric)",
            fontsize=10,
        )
        if p["temperature"] == self._tau:
            return False
        self._tau = p["temperature"]  # new curves and axis limits: the static part changes too
        gaps = self.land.signed_gap
        off = self.land.loss_at(p["temperature"], "official")
        self.off_line.set_ydata(off)
        self.sym_line.set_ydata(self.land.loss_at(p["temperature"], "symmetric"))
        k = int(np.argmin(off))
        self.min_pt.set_offsets([[gaps[k], off[k]]])
        self.ax2.relim()
        self.ax2.autoscale_view()
        return True


def plot_shift_landscapes(
    land: S.ShiftLandscape,
    temperatures: Sequence[float] = (0.01, 0.02, 1.0),
    gap0: Optional[float] = None,
    title: str = "",
):
    """Lesson 03: Liang Fig. 3b-d: loss vs signed remaining gap, one panel per temperature, both protocols."""
    taus = [V.positive_number(t, "temperature") for t in temperatures]
    fig = new_figure(3.6 * len(taus), 3.4)
    axes = np.atleast_1d(fig.subplots(1, len(taus)))
    for ax, tau in zip(axes, taus):
        off, sym = land.loss_at(tau, "official"), land.loss_at(tau, "symmetric")
        ax.plot(land.signed_gap, off, c="tab:green", lw=2, marker=".", ms=4, label="official (image→text)")
        ax.plot(land.signed_gap, sym, c="tab:purple", lw=1.3, ls="--", label="symmetric")
        if gap0 is not None:
            ax.axvline(gap0, c="0.5", ls=":", lw=1)
        k = int(np.argmin(off))
        ax.scatter([land.signed_gap[k]], [off[k]], marker="v", s=50, c="k", zorder=3)
        ax.set_title(f"τ = 1/{1 / tau:.0f}" if tau < 1 else "τ = 1", fontsize=10)
        ax.set_xlabel("signed remaining gap")
    axes[0].set_ylabel("CLIP loss (mean over batches of 50)")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


class SphereToyDemo(LiveFigure):
    """Lesson 03 demo (Liang Fig. 3e-g, Supp. Fig. 9): the six pairs on the sphere at ``delta_theta_deg``
    and the loss over delta in [-90, 90] at ``temperature`` (mismatched and matched), current point marked.
    Moving Δθ only moves the points; a new τ also redraws the curves."""

    def build(self, delta_theta_deg: float = 0.0, temperature: float = 0.01):
        fig = self._start(new_figure(10.5, 4.2, layout=None))  # fixed margins keep the callback fast
        ax1 = self.ax1 = fig.add_subplot(1, 2, 1, projection="3d")
        ax2 = self.ax2 = fig.add_subplot(1, 2, 2)
        fig.subplots_adjust(left=0.0, right=0.98, bottom=0.13, top=0.92, wspace=0.12)
        draw_sphere(ax1, elev=18, azim=30, lim=1.0)
        imgs, txts = six_pairs.sphere_toy(delta_theta_deg, mismatched=True)
        self.img_pts = ax1.scatter(*imgs.T, c=IMAGE_COLOR, s=40, depthshade=False, label="images I0..I5")
        self.txt_pts = ax1.scatter(*txts.T, c=TEXT_COLOR, s=40, depthshade=False, label="texts T0..T5")
        self.pair_lines, self.txt_labels = [], []
        for i in range(6):
            color, lw = (HIGHLIGHT_COLOR, 2.0) if i < 2 else ("0.3", 0.8)
            self.pair_lines.append(ax1.plot(*np.stack([imgs[i], txts[i]]).T, c=color, lw=lw)[0])
            self.txt_labels.append(ax1.text(*(txts[i] * 1.12), f"T{i}", fontsize=7, color=TEXT_COLOR))
        ax1.text(*(imgs[0] * 1.15), "I0", fontsize=7, color=IMAGE_COLOR)  # the images never move
        ax1.text(*(imgs[1] * 1.15), "I1", fontsize=7, color=IMAGE_COLOR)
        self.legend1 = ax1.legend(fontsize=7, loc="lower left")
        deltas = six_pairs.PAPER_DELTAS
        (self.mis_line,) = ax2.plot(
            deltas, np.zeros_like(deltas), c=HIGHLIGHT_COLOR, lw=2, label="mismatched (Fig. 3g)"
        )
        (self.mat_line,) = ax2.plot(
            deltas, np.zeros_like(deltas), c="tab:gray", lw=1.5, ls="--", label="matched (Supp. Fig. 9)"
        )
        self.mis_pt = ax2.scatter([0], [0], s=60, c=HIGHLIGHT_COLOR, edgecolor="k", zorder=3)
        self.mat_pt = ax2.scatter([0], [0], s=45, c="tab:gray", edgecolor="k", zorder=3)
        ax2.set_xlabel("Δθ: polar offset of the texts (degrees)")
        ax2.set_ylabel("symmetric CLIP loss (batch of 6)")
        ax2.set_xticks(np.arange(-90, 91, 30))
        ax2.legend(fontsize=8)
        self.dynamic(
            self.txt_pts,
            *self.pair_lines,
            *self.txt_labels,
            self.legend1,
            ax1.title,
            self.mis_pt,
            self.mat_pt,
            ax2.title,
        )
        self._tau = None
        self.update(delta_theta_deg, temperature)
        return fig

    def update(self, delta_theta_deg: float = 0.0, temperature: float = 0.01) -> bool:
        tau = V.positive_number(temperature, "temperature")
        imgs, txts = six_pairs.sphere_toy(delta_theta_deg, mismatched=True)
        self.txt_pts.set_offsets(txts[:, :2])
        self.txt_pts.set_3d_properties(txts[:, 2], "z")
        for i, (line, label) in enumerate(zip(self.pair_lines, self.txt_labels)):
            line.set_data_3d(*np.stack([imgs[i], txts[i]]).T)
            label.set_position_3d(txts[i] * 1.12)
        self.ax1.set_title(f"Δθ = {delta_theta_deg:+.0f}°  (orange: the 2 mismatched pairs)", fontsize=10, y=1.0)
        cur_mis = six_pairs.sphere_toy_loss(delta_theta_deg, tau, True)
        cur_mat = six_pairs.sphere_toy_loss(delta_theta_deg, tau, False)
        self.mis_pt.set_offsets([[delta_theta_deg, cur_mis]])
        self.mat_pt.set_offsets([[delta_theta_deg, cur_mat]])
        self.ax2.set_title(f"τ = {tau:.3g}: loss {cur_mis:.3f} (mismatched), {cur_mat:.3f} (matched)", fontsize=10)
        if tau == self._tau:
            return False
        self._tau = tau  # new curves and limits
        deltas = six_pairs.PAPER_DELTAS
        self.mis_line.set_ydata(six_pairs.sphere_toy_curves([tau], deltas, mismatched=True)[0])
        self.mat_line.set_ydata(six_pairs.sphere_toy_curves([tau], deltas, mismatched=False)[0])
        self.ax2.relim()
        self.ax2.autoscale_view()
        return True


def plot_sphere_toy(delta_theta_deg: float = 0.0, temperature: float = 0.01):
    """The ``SphereToyDemo`` figure, built fresh (static fallback cells, tests)."""
    return SphereToyDemo()(delta_theta_deg=delta_theta_deg, temperature=temperature)


def plot_sphere_curves(temperatures: Sequence[float] = six_pairs.PAPER_TEMPERATURES):
    """Lesson 03: Liang Fig. 3g (mismatched) beside Supp. Fig. 9 (matched): loss vs delta for each tau."""
    fig = new_figure(10.5, 3.6)
    axes = fig.subplots(1, 2, sharey=True)
    deltas = six_pairs.PAPER_DELTAS
    from matplotlib import colormaps

    colors = colormaps["viridis"](np.linspace(0.0, 0.85, len(temperatures)))  # ordered like the temperatures
    for ax, mism in zip(axes, (True, False)):
        curves = six_pairs.sphere_toy_curves(temperatures, deltas, mismatched=mism)
        for c, tau, row in zip(colors, temperatures, curves):
            ax.plot(deltas, row, c=c, lw=1.6, label=f"τ = 1/{1 / tau:.0f}")
        ax.set_xticks(np.arange(-90, 91, 30))
        ax.set_xlabel("Δθ (degrees)")
        ax.set_title("mismatched: (I0,T0), (I1,T1) swapped" if mism else "matched: every T_k above I_k", fontsize=10)
    axes[0].set_ylabel("symmetric CLIP loss (batch of 6)")
    axes[0].legend(fontsize=8)
    return fig


def plot_init_vs_opt(asset: dict, live: Optional[Sequence[dict]] = None, mid_epoch: int = 30):
    """Lesson 03: gap at init and after training, original vs Procrustes-amended: ours (every seed; at
    ``mid_epoch`` and at the last epoch) beside Liang et al. 2022 Sec. 4.4 (their 3 seeds).
    ``live`` runs (dicts with gap_init, gap_trained, variant) are drawn as stars at init / ``mid_epoch``."""
    from modgap_edu.experiments.init_vs_opt import PAPER

    last = int(asset["epochs"])
    fig = new_figure(10.5, 3.8)
    axes = fig.subplots(1, 2, width_ratios=[3, 2])
    ours = {
        v: [
            [r["gap_init"] for r in asset["results"] if r["variant"] == v],
            [r["gap_per_epoch"][mid_epoch - 1] for r in asset["results"] if r["variant"] == v],
            [r["gap_trained"] for r in asset["results"] if r["variant"] == v],
        ]
        for v in ("original", "amended")
    }
    paper = {v: [PAPER[v]["init"], PAPER[v]["trained"]] for v in ("original", "amended")}
    panels = (
        (
            axes[0],
            ours,
            ["init", f"epoch {mid_epoch}", f"epoch {last}"],
            f"ours: small CLIP on digits, τ = 1/100 ({len(ours['original'][0])} seeds)",
        ),
        (axes[1], paper, ["init", "trained"], "Liang et al. 2022: ViT-B/16, COCO (3 seeds)"),
    )
    for ax, table, stages, title in panels:
        ticks, labels = [], []
        for j, variant in enumerate(("original", "amended")):
            for k, vals in enumerate(table[variant]):
                xpos = j * (len(stages) + 0.7) + k
                ax.bar(xpos, np.mean(vals), color=["tab:gray", "tab:cyan"][j], alpha=0.45 + 0.25 * k, width=0.8)
                ax.scatter(np.full(len(vals), xpos), vals, c="k", s=10, zorder=3)
                ax.text(xpos, np.mean(vals) + 0.03, f"{np.mean(vals):.2f}", ha="center", fontsize=8)
                ticks.append(xpos)
                labels.append(f"{variant}\n{stages[k]}")
        ax.set_xticks(ticks, labels, fontsize=7)
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("gap ||mean(x̂) − mean(ŷ)||")
    for r in live or []:
        j = 0 if r["variant"] == "original" else 1
        x0 = j * (3 + 0.7)
        axes[0].scatter(
            [x0, x0 + 1], [r["gap_init"], r["gap_trained"]], marker="*", s=130, c=LIVE_COLOR, edgecolor="k", zorder=4
        )
    if live:
        axes[0].scatter(
            [], [], marker="*", s=130, c=LIVE_COLOR, edgecolor="k", label=f"your live run ({mid_epoch} epochs)"
        )
        axes[0].legend(fontsize=8, loc="upper right")
    top = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(0, top * 1.05)
    return fig


def plot_gap_per_epoch(asset: dict, live: Optional[Sequence[dict]] = None):
    """Lesson 03: the held-out gap after every epoch, original vs amended, every seed of the shipped asset
    (thin lines) and, if given, the live runs (thick dashed)."""
    fig = new_figure(6.5, 3.4)
    ax = fig.subplots()
    colors = {"original": "tab:gray", "amended": "tab:cyan"}
    for r in asset["results"]:
        g = [r["gap_init"]] + list(r["gap_per_epoch"])
        ax.plot(np.arange(len(g)), g, c=colors[r["variant"]], lw=0.9, alpha=0.8)
    for v, c in colors.items():
        ax.plot([], [], c=c, label=f"{v} (shipped seeds)")
    for r in live or []:
        g = [r["gap_init"]] + list(r["gap_per_epoch"])
        ax.plot(np.arange(len(g)), g, c=colors[r["variant"]], lw=2.5, ls="--", label=f"{r['variant']} (your live run)")
    ax.set_xlabel("epoch (0 = initialization)")
    ax.set_ylabel("gap on 450 held-out pairs")
    ax.set_title("small CLIP on digits, τ = 1/100", fontsize=10)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return fig


def plot_shift_scores(retrieval, zero_shot, title: str = ""):
    """Lesson 03 (Liang et al. 2022, Table 1, Sec. 5.1): R@1 and zero-shot accuracy vs the shift lam.

    Parameters
    ----------
    retrieval : experiments.retrieval_shift.ShiftCurve
        From ``retrieval_vs_shift`` (scores ``i2t`` and ``t2i``).
    zero_shot : experiments.retrieval_shift.ShiftCurve
        From ``zero_shot_vs_shift`` (score ``accuracy``).
    title : str
        Figure title (which features).

    Returns
    -------
    matplotlib.figure.Figure
    """
    for name, cur, keys in (("retrieval", retrieval, ("i2t", "t2i")), ("zero_shot", zero_shot, ("accuracy",))):
        if not hasattr(cur, "scores") or not all(k in cur.scores for k in keys):
            raise TypeError(f"{name} must be a ShiftCurve from experiments.retrieval_shift with scores {keys}.")
    fig = new_figure(10.0, 3.6)
    axes = fig.subplots(1, 2)
    for key, color, label in (("i2t", IMAGE_COLOR, "image→text R@1"), ("t2i", TEXT_COLOR, "text→image R@1")):
        axes[0].plot(retrieval.lams, retrieval.scores[key], c=color, label=label)
    axes[1].plot(zero_shot.lams, zero_shot.scores["accuracy"], c="k", label="zero-shot top-1")
    for ax, cur, keys in ((axes[0], retrieval, ("i2t", "t2i")), (axes[1], zero_shot, ("accuracy",))):
        ax.axvline(0, c="0.6", lw=0.8, ls=":")
        for key in keys:
            lam_b, best = cur.best(key)
            ax.plot([lam_b], [best], "v", c=HIGHLIGHT_COLOR, ms=8)
        ax.set_xlabel("shift λ (unit gap direction; λ = 2α‖g‖; > 0 closes)")
        ax.legend(fontsize=8)
    axes[0].set_title("Liang's features: retrieval", fontsize=10)
    axes[1].set_title("course's digits model: zero-shot", fontsize=10)
    axes[0].set_ylabel("score (▼ = best λ)")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
