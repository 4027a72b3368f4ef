"""Figures of lesson 01 (pure functions returning matplotlib Figures; no pyplot state)."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import contrastive_toy as toy
from .widgets import new_figure

IMAGE_COLOR, TEXT_COLOR = "#d62728", "#1f77b4"


def draw_sphere_panel(ax, run: toy.ToyRun, title: str = "", show_start: bool = True) -> None:
    """3-D unit sphere (a 3-D axes) with final images (red dots) and texts (blue crosses), pairs joined."""
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 25), np.linspace(0, np.pi, 13))
    ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.88", lw=0.4)
    if show_start:
        ax.scatter(*run.image_start.T, s=6, color=IMAGE_COLOR, alpha=0.15, lw=0)
        ax.scatter(*run.text_start.T, s=6, color=TEXT_COLOR, alpha=0.15, lw=0)
    for a, b in zip(run.image, run.text):
        ax.plot([a[0], b[0]], [a[1], b[1]], [a[2], b[2]], color="0.45", lw=0.5, alpha=0.5)
    ax.scatter(*run.image.T, s=12, color=IMAGE_COLOR, label="images", depthshade=False)
    ax.scatter(*run.text.T, s=14, color=TEXT_COLOR, marker="x", label="texts", depthshade=False)
    ax.view_init(elev=25, azim=-60)
    ax.set_box_aspect((1, 1, 1))
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_ticklabels([])
    lim = (-1.05, 1.05)
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_zlim(lim)
    f = run.final
    ax.set_title(f"{title}\nalign {f['align']:.2f} · unif {0.5 * (f['uniform_image'] + f['uniform_text']):.2f}"
                 f" · gap {f['gap']:.2f}", fontsize=9)


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
    fig.suptitle("Faded: start (two narrow caps). Solid: after 300 Adam steps. Grey lines join matched pairs.",
                 fontsize=9)
    return fig


def plot_temperature_demo(temperature: float = 0.01, sweep: dict | None = None) -> Figure:
    """Lesson 01 slider: the CLIP run at the grid temperature nearest ``temperature`` and the
    final alignment, uniformity and gap over all grid temperatures, current one marked."""
    tau = toy.nearest_grid_temperature(temperature)
    sweep = toy.temperature_sweep() if sweep is None else sweep
    run = toy.clip_run(tau)
    fig = new_figure(10.0, 3.8)
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 1.7])
    ax_sphere = fig.add_subplot(grid[0], projection="3d")
    ax_curve = fig.add_subplot(grid[1])
    draw_sphere_panel(ax_sphere, run, f"CLIP loss, τ = {tau:.3g}")
    ts = sweep["temperature"]
    unif = 0.5 * (sweep["uniform_image"] + sweep["uniform_text"])
    ax_curve.plot(ts, sweep["align"], "o-", ms=3, color="#9467bd", label="alignment  (lower = pairs closer)")
    ax_curve.plot(ts, unif, "s-", ms=3, color="#2ca02c", label="uniformity (lower = more spread)")
    ax_curve.plot(ts, sweep["gap"], "^-", ms=3, color="#ff7f0e", label="gap L2M (centroid distance)")
    ax_curve.axvline(tau, color="k", lw=1, ls="--")
    ax_curve.axvline(0.01, color="0.6", lw=1, ls=":", label="CLIP's learned τ = 0.01")
    ax_curve.set_xscale("log")
    ax_curve.set_xlabel("temperature τ (log scale)")
    ax_curve.set_ylabel("value after 300 steps")
    ax_curve.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax_curve.set_title(f"τ = {tau:.3g}: align {run.final['align']:.2f}, uniformity "
                       f"{0.5 * (run.final['uniform_image'] + run.final['uniform_text']):.2f}, gap {run.final['gap']:.2f}",
                       fontsize=9)
    return fig


def plot_softmax_weights(similarities, temperatures=(1.0, 0.1, 0.01)) -> Figure:
    """Bar charts of the CLIP denominator's weights exp(s_j/τ)/Σ exp(s_k/τ) for a few τ."""
    s = np.asarray(similarities, dtype=float)
    order = np.argsort(-s)
    fig = new_figure(3.0 * len(temperatures), 2.8)
    axes = np.atleast_1d(fig.subplots(1, len(temperatures), sharey=True))
    for ax, tau in zip(axes, temperatures):
        w = toy.softmax_weights(s, tau)[order]
        ax.bar(np.arange(len(s)), w, color=["#d62728" if i == 0 else "0.6" for i in order])
        ax.set_title(f"τ = {tau:g}: top weight {w.max():.2f}", fontsize=9)
        ax.set_xlabel("candidates, most similar first")
        ax.set_xticks([])
    axes[0].set_ylabel("share of the denominator")
    return fig
