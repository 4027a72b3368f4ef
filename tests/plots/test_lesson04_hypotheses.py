"""Lesson 04 §7-§8 figures (the hypothesis runs of experiments.mad_hypotheses), from a synthetic file with
known values: the plotted seed means must be the table's."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from modgap_edu.experiments import mad_hypotheses as H
from modgap_edu.mad import dataset
from modgap_edu.plots import lesson04 as P

METRICS = (
    "zero_shot_digit",
    "zero_shot_digit_full",
    "probe_digit",
    "accuracy_all",
    "accuracy_all_full",
    "moad_image",
    "moad_image_attributes",
    "moad_image_official",
    "moad_text",
    "moad_text_attributes",
    "moad_text_official",
)


@pytest.fixture(scope="module")
def hyp():
    rng = np.random.default_rng(0)
    runs = []
    for part in ("baseline", "batch", "longer"):
        for seed in range(3):
            for k in H.MODES if part == "baseline" else H.HYPOTHESIS_MODES:
                rec = {"part": part, "k": k, "seed": seed, **{m: float(rng.uniform(0.1, 0.9)) for m in METRICS}}
                rec["zero_shot_by_factor"] = {f: float(rng.uniform(0.1, 0.9)) for f in dataset.FACTORS}
                rec["probe_by_factor"] = {f: float(rng.uniform(0.1, 0.9)) for f in dataset.FACTORS}
                runs.append(rec)
    return {"runs": runs}


def _line_with_label(ax, label):
    for c in ax.containers:  # errorbar containers carry the label
        if c.get_label() == label:
            return c.lines[0]
    raise AssertionError(f"no curve labelled {label!r}")


def test_hypotheses_figure_plots_the_seed_means(hyp):
    fig = P.plot_hypotheses(hyp)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    line = _line_with_label(fig.axes[0], P.HYPOTHESIS_LABELS["longer"])
    t = H.table(hyp, "longer", "zero_shot_digit")
    np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), [t[k][0] for k in H.HYPOTHESIS_MODES])
    np.testing.assert_allclose(np.asarray(line.get_xdata(), dtype=float), [1, 5])
    probe = _line_with_label(fig.axes[2], P.HYPOTHESIS_LABELS["baseline"])
    np.testing.assert_allclose(
        np.asarray(probe.get_ydata(), dtype=float), [H.table(hyp, "baseline", "probe_digit")[k][0] for k in H.MODES]
    )


def test_per_concept_and_moad_figures(hyp):
    fig = P.plot_per_concept(hyp)
    colour = _line_with_label(fig.axes[0], "colors")
    np.testing.assert_allclose(
        np.asarray(colour.get_ydata(), dtype=float), [H.table(hyp, "baseline", "zs_colors")[k][0] for k in H.MODES]
    )
    fig = P.plot_moad_variants(hyp)
    official = _line_with_label(fig.axes[0], "official, 16-column multi-hot")
    np.testing.assert_allclose(
        np.asarray(official.get_ydata(), dtype=float),
        [H.table(hyp, "baseline", "moad_image_official")[k][0] for k in H.MODES],
    )
    assert len(fig.axes) == 2


def test_shipped_asset_plots_when_present():
    if not H.asset_path().is_file():
        pytest.skip("assets/lesson04/hypotheses.json not generated yet")
    data = H.load_hypotheses()
    for fn in (P.plot_hypotheses, P.plot_per_concept, P.plot_moad_variants):
        assert isinstance(fn(data), Figure)
