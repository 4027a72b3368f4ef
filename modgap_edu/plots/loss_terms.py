"""Lesson 03 figure: numerator vs denominator of the CLIP loss as the gap is closed (Liang et al. 2022, Sec. 4.2).

``plot_loss_terms(terms_by_tau)`` draws, for each temperature, how the matched term (-s_ii/tau, the
numerator), the log-sum-exp term (the denominator) and their sum, the CLIP loss, change from the
unshifted embeddings (alpha = 0) as alpha grows; data from ``core.loss_terms.loss_terms_along_shift``.
No modalities are drawn here, so the course's image red / text blue colours are not used.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from modgap_edu.core.loss_terms import ShiftTerms
from modgap_edu.plots.widgets import new_figure

TERM_COLORS = {"matched": "tab:green", "logsumexp": "tab:purple", "total": "k"}


def _tau_label(tau: float) -> str:
    return f"τ = 1/{1 / tau:.0f}" if tau < 1 else f"τ = {tau:g}"


def plot_loss_terms(terms: Sequence[ShiftTerms], title: str = ""):
    """Lesson 03: one panel per ``ShiftTerms``: change of each loss term from alpha = 0 vs alpha (top axis: lam).

    Parameters
    ----------
    terms : sequence of ShiftTerms
        From ``core.loss_terms.loss_terms_along_shift`` (one per temperature); each grid must contain alpha = 0.
    title : str
        Figure title (e.g. which features).

    Returns
    -------
    matplotlib.figure.Figure
    """
    terms = list(terms)
    if not terms or not all(isinstance(t, ShiftTerms) for t in terms):
        raise TypeError(
            "terms must be a non-empty sequence of core.loss_terms.ShiftTerms (from loss_terms_along_shift)."
        )
    fig = new_figure(4.2 * len(terms), 3.6)
    axes = np.atleast_1d(fig.subplots(1, len(terms)))
    for ax, t in zip(axes, terms):
        k0 = np.nonzero(np.isclose(t.alphas, 0.0, atol=1e-12))[0]
        if k0.size == 0:
            raise ValueError("each ShiftTerms grid must contain alpha = 0 (the unshifted reference).")
        labels = {
            "matched": "matched  −s_ii/τ (numerator)",
            "logsumexp": "log-sum-exp (denominator)",
            "total": "CLIP loss (sum)",
        }
        for key, color in TERM_COLORS.items():
            curve = getattr(t, key)
            ax.plot(
                t.alphas,
                curve - curve[k0[0]],
                c=color,
                lw=2 if key == "total" else 1.5,
                ls="-" if key == "total" else "--",
                label=labels[key],
            )
        ax.axhline(0, c="0.6", lw=0.8)
        ax.set_title(_tau_label(t.temperature), fontsize=10)
        ax.set_xlabel("shift α (× raw gap g)")
        top = ax.secondary_xaxis(
            "top", functions=(lambda a, n=t.gap_norm: 2 * a * n, lambda lam, n=t.gap_norm: lam / (2 * n))
        )
        top.set_xlabel(f"λ = 2α‖g‖ (‖g‖ = {t.gap_norm:.3f})", fontsize=8)
    axes[0].set_ylabel("change from α = 0 (loss units)")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
