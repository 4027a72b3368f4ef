"""Figures of lesson 01 (pure functions returning matplotlib Figures; no pyplot state)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from modgap_edu.plots.live_figure import LiveFigure
from modgap_edu.plots.style import HIGHLIGHT_COLOR, IMAGE_COLOR, TEXT_COLOR, draw_sphere
from modgap_edu.plots.widgets import new_figure
from modgap_edu.toys import sphere as toy


def draw_sphere_panel(ax, run: toy.ToyRun, title: str = "", show_start: bool = True) -> tuple:
    """Lesson 01: the 3-D unit sphere (``style.draw_sphere``) with final images (red dots) and texts (blue
    crosses), pairs joined.
    Returns the artists that depend on the run: ``(pair_lines, images, texts)``."""
    from mpl_toolkits.mplot3d.art3d import Line3DCollection

    draw_sphere(ax, elev=25, azim=-60)
    if show_start:
        ax.scatter(*run.image_start.T, s=6, color=IMAGE_COLOR, alpha=0.15, lw=0)
        ax.scatter(*run.text_start.T, s=6, color=TEXT_COLOR, alpha=0.15, lw=0)
    pairs = np.stack([run.image, run.text], axis=1)  # (n, 2, 3): one segment per matched pair, one artist
    lines = ax.add_collection3d(Line3DCollection(pairs, colors="0.45", linewidths=0.5, alpha=0.5))
    images = ax.scatter(*run.image.T, s=12, color=IMAGE_COLOR, label="images", depthshade=False)
    texts = ax.scatter(*run.text.T, s=14, color=TEXT_COLOR, marker="x", label="texts", depthshade=False)
    ax.set_title(sphere_title(run, title), fontsize=9, y=1.0)  # a fixed place (3-D axes move an automatic one)
    return lines, images, texts


def sphere_title(run: toy.ToyRun, title: str) -> str:
    f = run.final
    return (
        f"{title}\nalign {f['align']:.2f} · unif {0.5 * (f['uniform_image'] + f['uniform_text']):.2f}"
        f" · gap {f['gap']:.2f}"
    )


def plot_objectives(runs: list) -> Figure:
    """One circle panel per ``ToyRun`` (lesson 01, section 4): collapse, spread, balance."""
    if not runs:
        raise ValueError("runs is empty: pass at least one ToyRun from train_toy().")
    fig = new_figure(2.7 * len(runs), 3.3)
    axes = [fig.add_subplot(1, len(runs), i + 1, projection="3d") for i in range(len(runs))]
    for ax, run in zip(axes, runs):
        name = run.objective + (f" (τ = {run.temperature:.3g})" if run.objective == "clip" else "")
        draw_sphere_panel(ax, run, name)
    axes[0].legend(loc="lower left", fontsize=7, frameon=False)
    fig.suptitle(
        "Faded: start (two narrow caps). Solid: after 300 Adam steps. Grey lines join matched pairs.", fontsize=9
    )
    return fig


class TemperatureDemo(LiveFigure):
    """Lesson 01 slider: the CLIP run at the grid temperature nearest ``temperature`` (left, on the
    sphere) and the final alignment, uniformity and gap over all grid temperatures, current one marked
    (right). A slider move only moves the points, the pair lines, the mark and the titles."""

    def __init__(self, sweep: dict | None = None):
        self.sweep = toy.temperature_sweep() if sweep is None else sweep

    def build(self, temperature: float = 0.01) -> Figure:
        fig = self._start(new_figure(10.0, 3.8))
        grid = fig.add_gridspec(1, 2, width_ratios=[1, 1.7])
        ax = self.ax_sphere = fig.add_subplot(grid[0], projection="3d")
        ax_curve = self.ax_curve = fig.add_subplot(grid[1])
        run = toy.clip_run(toy.nearest_grid_temperature(temperature))
        # the start is the same for every temperature (same seed): it stays in the static background
        self.pairs, self.images, self.texts = draw_sphere_panel(ax, run)
        sw = self.sweep
        ts = sw["temperature"]
        unif = 0.5 * (sw["uniform_image"] + sw["uniform_text"])
        ax_curve.plot(ts, sw["align"], "o-", ms=3, color="#9467bd", label="alignment  (lower = pairs closer)")
        ax_curve.plot(ts, unif, "s-", ms=3, color="#2ca02c", label="uniformity (lower = more spread)")
        ax_curve.plot(ts, sw["gap"], "^-", ms=3, color="#ff7f0e", label="gap L2M (centroid distance)")
        self.tau_line = ax_curve.axvline(run.temperature, color="k", lw=1, ls="--")
        ax_curve.axvline(0.01, color="0.6", lw=1, ls=":", label="CLIP's learned τ = 0.01")
        ax_curve.set_xscale("log")
        ax_curve.set_xlabel("temperature τ (log scale)")
        ax_curve.set_ylabel("value after 300 steps")
        ax_curve.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        self.dynamic(self.pairs, self.images, self.texts, ax.title, self.tau_line, ax_curve.title)
        self.update(temperature)
        return fig

    def update(self, temperature: float = 0.01) -> bool:
        tau = toy.nearest_grid_temperature(temperature)
        run = toy.clip_run(tau)
        self.pairs.set_segments(np.stack([run.image, run.text], axis=1))
        for points, xyz in ((self.images, run.image), (self.texts, run.text)):
            points.set_offsets(xyz[:, :2])
            points.set_3d_properties(xyz[:, 2], "z")
        f = run.final
        unif = 0.5 * (f["uniform_image"] + f["uniform_text"])
        self.ax_sphere.set_title(sphere_title(run, f"CLIP loss, τ = {tau:.3g}"), fontsize=9, y=1.0)
        self.tau_line.set_xdata([tau, tau])
        self.ax_curve.set_title(
            f"τ = {tau:.3g}: align {f['align']:.2f}, uniformity {unif:.2f}, gap {f['gap']:.2f}", fontsize=9
        )
        return False


def plot_temperature_demo(temperature: float = 0.01, sweep: dict | None = None) -> Figure:
    """The ``TemperatureDemo`` figure at ``temperature``, built fresh (static fallback cells, tests)."""
    return TemperatureDemo(sweep)(temperature=temperature)


def plot_softmax_weights(similarities, temperatures=(1.0, 0.1, 0.01)) -> Figure:
    """Bar charts of the CLIP denominator's weights exp(s_j/τ)/Σ exp(s_k/τ) for a few τ."""
    s = np.asarray(similarities, dtype=float)
    order = np.argsort(-s)
    fig = new_figure(3.0 * len(temperatures), 2.8)
    axes = np.atleast_1d(fig.subplots(1, len(temperatures), sharey=True))
    for ax, tau in zip(axes, temperatures):
        w = toy.softmax_weights(s, tau)[order]
        ax.bar(np.arange(len(s)), w, color=[HIGHLIGHT_COLOR if i == 0 else "0.6" for i in order])
        ax.set_title(f"τ = {tau:g}: top weight {w.max():.2f}", fontsize=9)
        ax.set_xlabel("candidates, most similar first")
        ax.set_xticks([])
    axes[0].set_ylabel("share of the denominator")
    return fig
