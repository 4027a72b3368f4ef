"""Figures of the gap-fate experiment (lessons 01/03; ``gap_fate``): pure functions returning Figures."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from modgap_edu.plots.style import IMAGE_COLOR, TEXT_COLOR
from modgap_edu.plots.widgets import new_figure


def _panels(grid: dict) -> list:
    """(share, mismatch) combinations present in the grid, in a stable order."""
    return sorted({(r["share"], r["mismatch"]) for r in grid["runs"]})


def _cell(runs: list) -> tuple:
    ratio = np.array([r["l2m_end"] / r["l2m_start"] for r in runs])
    return float(ratio.mean()), float(ratio.max() - ratio.min()) / 2, float(np.mean([r["converged"] for r in runs]))


def plot_phase_diagram(grid: dict) -> Figure:
    """Final gap / initial gap (L2M) over temperature x dimension, one panel per (share, mismatch).

    Each cell shows the seed mean and, below it, +- half the seed range; cells where not every seed converged
    (``gap_fate``'s rule) carry the converged fraction, e.g. "c 1/3".

    Parameters
    ----------
    grid : dict
        Output of ``gap_fate.phase_grid`` or ``gap_fate.load_phase_grid``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not grid.get("runs"):
        raise ValueError("grid has no runs: pass the output of phase_grid() or load_phase_grid().")
    panels = _panels(grid)
    taus = sorted(
        {r["tau"] for r in grid["runs"]}, key=lambda t: (isinstance(t, str), t if not isinstance(t, str) else 0)
    )
    dims = sorted({r["dim"] for r in grid["runs"]})
    fig = new_figure(3.0 * len(panels) + 1.0, 0.55 * len(dims) + 1.9)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (share, mm) in zip(axes, panels):
        mean = np.full((len(dims), len(taus)), np.nan)
        for i, dim in enumerate(dims):
            for j, tau in enumerate(taus):
                runs = [
                    r for r in grid["runs"] if (r["share"], r["mismatch"], r["dim"], r["tau"]) == (share, mm, dim, tau)
                ]
                if not runs:
                    continue
                m, half, conv = _cell(runs)
                mean[i, j] = m
                label = f"{m:.2f}\n±{half:.2f}" + ("" if conv == 1 else f"\nc {round(conv * len(runs))}/{len(runs)}")
                ax.text(j, i, label, ha="center", va="center", fontsize=6.5, color="white" if m < 0.55 else "black")
        im = ax.imshow(mean, origin="lower", cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(taus)), [f"{t:g}" if not isinstance(t, str) else t for t in taus], fontsize=7)
        ax.set_yticks(range(len(dims)), [str(d) for d in dims], fontsize=7)
        ax.set_xlabel("temperature τ", fontsize=8)
        ax.set_title(
            f"share {share} (H(img|cap) = {np.log2(share):.0f} bit)" + (f", mismatch {mm:g}" if mm else ""), fontsize=8
        )
    axes[0].set_ylabel("dimension", fontsize=8)
    cb = fig.colorbar(im, ax=list(axes), shrink=0.9)
    cb.set_label("final L2M / initial L2M", fontsize=8)
    steps = grid.get("settings", {}).get("max_steps")
    fig.suptitle(
        "Gap fate after CLIP training (mean ± half-range over seeds; c = converged fraction"
        + (f", cap {steps} steps)" if steps else ")"),
        fontsize=9,
    )
    return fig


def plot_gap_fate_trajectory(result: dict) -> Figure:
    """Gap (L2M), loss above its floor (log scale), alignment and uniformity over the steps of one ``gap_fate`` run.

    Parameters
    ----------
    result : dict
        ``gap_fate(..., history=True)``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if "history" not in result:
        raise ValueError("result has no history: run gap_fate(..., history=True).")
    h = result["history"]
    fig = new_figure(11.0, 2.9)
    ax_gap, ax_loss, ax_align, ax_unif = fig.subplots(1, 4)
    ax_gap.plot(h["step"], h["gap"], color="#ff7f0e")
    ax_gap.set_ylim(0, max(2.0, float(np.max(h["gap"])) * 1.05))
    ax_gap.set_title("gap L2M", fontsize=9)
    above = np.maximum(np.asarray(h["loss"]) - result["loss_floor"], 1e-12)  # log scale: keep it positive
    ax_loss.semilogy(h["step"], above, color="0.2")
    ax_loss.set_title(f"CLIP loss − floor ({result['loss_floor']:.3f})", fontsize=9)
    ax_align.plot(h["step"], h["align"], color="#9467bd")
    ax_align.set_title("alignment (lower = pairs closer)", fontsize=9)
    ax_unif.plot(h["step"], h["uniform_image"], color=IMAGE_COLOR, label="images")
    ax_unif.plot(h["step"], h["uniform_text"], color=TEXT_COLOR, label="texts")
    ax_unif.set_title("uniformity (lower = more spread)", fontsize=9)
    ax_unif.legend(fontsize=7, frameon=False)
    for ax in (ax_gap, ax_loss, ax_align, ax_unif):
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.axvline(result["steps"], color="0.7", lw=0.6)
    tau = result["tau"] if isinstance(result["tau"], str) else f"{result['tau']:g}"
    fig.suptitle(
        f"τ = {tau}, dim {result['dim']}, share {result['share']}, mismatch {result['mismatch']:g}: "
        f"L2M {result['l2m_start']:.2f} → {result['l2m_end']:.2f}, "
        + ("converged" if result["converged"] else f"not converged ({result['reason']})")
        + f" at step {result['steps']}",
        fontsize=9,
    )
    return fig
