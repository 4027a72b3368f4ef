"""plots.loss_terms: the numerator-vs-denominator figure."""

import numpy as np
import pytest

from modgap_edu.core.loss_terms import loss_terms_along_shift
from modgap_edu.plots.loss_terms import plot_loss_terms


def _pairs(n=60, d=8, seed=0):
    rng = np.random.default_rng(seed)
    b = rng.normal(size=(n, d))
    return b + 1.0, b - 1.0 + 0.2 * rng.normal(size=(n, d))


def test_one_panel_per_temperature_with_three_curves():
    x, y = _pairs()
    fig = plot_loss_terms([loss_terms_along_shift(x, y, t) for t in (0.01, 1.0)])
    main = [ax for ax in fig.axes if ax.get_ylabel() or ax.get_xlabel().startswith("shift")]
    assert len(main) == 2 and all(len(ax.lines) == 4 for ax in main)  # 3 curves + the zero line
    assert all(abs(line.get_ydata()[0]) < 1e-12 for line in main[0].lines[:3])  # changes from alpha = 0


def test_bad_input():
    x, y = _pairs()
    with pytest.raises(TypeError, match="ShiftTerms"):
        plot_loss_terms([1, 2])
    with pytest.raises(ValueError, match="alpha = 0"):
        plot_loss_terms([loss_terms_along_shift(x, y, 0.01, alphas=[0.1, 0.2])])
