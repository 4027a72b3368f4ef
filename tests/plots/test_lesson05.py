"""Lesson 05's figures and its slider demo, driven headlessly (ipywidgets.interactive)."""

from __future__ import annotations

import re
import statistics
import time

import ipywidgets as W
import numpy as np
import pytest
from matplotlib.figure import Figure

from modgap_edu.core import dimensions
from modgap_edu.experiments import mad_family
from modgap_edu.plots import lesson05
from modgap_edu.plots.widgets import float_slider, log_slider
from modgap_edu.toys import paired_cones


def suptitle_numbers(fig: Figure) -> dict:
    text = fig._suptitle.get_text()
    return {k: float(v) for k, v in re.findall(r"(L2M|L2I|RMG) ([0-9.]+)", text)}


def test_demo_sliders_update_all_three_metrics():
    w = W.interactive(
        lesson05.plot_metric_demo,
        spread_image=log_slider("image spread s_img", 0.02, 3.0, 0.6),
        spread_text=log_slider("text spread s_txt", 0.02, 3.0, 0.6),
        distance=float_slider("axis distance", 0.0, 1.9, 0.8, 0.05),
    )
    w.update()
    first = suptitle_numbers(w.result)
    expected = paired_cones.gap_metrics(
        *paired_cones.paired_cones(n=300, d=3, spread_image=0.6, spread_text=0.6, distance=0.8)
    )
    for key in ("L2M", "L2I", "RMG"):
        assert first[key] == pytest.approx(expected[key.lower()], abs=6e-4)
    w.children[0].value = 0.02  # collapse the images
    collapsed = suptitle_numbers(w.result)
    assert collapsed["RMG"] > first["RMG"] + 0.1
    w.children[2].value = 1.6  # pull the cones apart
    far = suptitle_numbers(w.result)
    assert far["L2M"] > collapsed["L2M"] and far["L2I"] > collapsed["L2I"]


def test_demo_callback_is_fast():
    lesson05.plot_metric_demo()  # warm the latent cache
    times = []
    for s in (0.1, 0.5, 1.0, 2.0, 0.3):
        t0 = time.perf_counter()
        lesson05.plot_metric_demo(spread_image=s)
        times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 0.5  # ~0.05 s on an idle laptop; generous for shared CI


def test_sweeps_figure():
    sw = [paired_cones.metric_sweep("distance", [0.0, 1.0]), paired_cones.metric_sweep("spread_image", [0.1, 1.0])]
    fig = lesson05.plot_metric_sweeps(sw, ["a", "b"])
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "a"
    with pytest.raises(ValueError, match="one title per sweep"):
        lesson05.plot_metric_sweeps(sw, ["a"])


@pytest.fixture
def planted():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((80, 12))
    x, y = z.copy(), z + 0.3 * rng.standard_normal((80, 12))
    x[:, 4] += 3
    y[:, 9] += 3
    return x, y


def test_dimension_figures(planted):
    x, y = planted
    fig = lesson05.plot_dimension_ranking(x, y, top=5)
    inset = fig.axes[0].child_axes[0]
    labels = [t.get_text() for t in inset.get_xticklabels()]
    assert labels == [str(i) for i in dimensions.rank_gap_dimensions(x, y)[:5]]
    fig = lesson05.plot_two_dimensions(x, y)
    assert fig.axes[0].get_xlabel() == "dimension 4" and fig.axes[0].get_ylabel() == "dimension 9"


def test_ablation_figure(planted):
    x, y = planted
    curve = dimensions.ablation_curve(x, y, ks=range(0, 4))
    fig = lesson05.plot_ablation(curve)
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), curve["gap"])


def test_family_figures_and_asset():
    try:
        family = mad_family.load_family()
    except ValueError:
        pytest.skip("family.json not generated yet")
    names = [m["name"] for m in mad_family.members()]
    assert [r["name"] for r in family] == [n for n in names if n in {r["name"] for r in family}]
    for r in family:
        for key in ("rmg", "l2m", "moad_image", "moad_image_official", "zero_shot_attributes", "parameters"):
            assert np.isfinite(r[key])
    fig = lesson05.plot_moad_by_k([{**r, "label": r["name"]} for r in family])
    assert len(fig.axes[0].patches) == 2 * len(family)
    fig = lesson05.plot_gap_vs_performance(
        [r["rmg"] for r in family], [r["zero_shot_attributes"] for r in family], groups=[r["width"] for r in family]
    )
    assert len(fig.axes[0].collections) == len({r["width"] for r in family})
    with pytest.raises(ValueError, match="one value per model"):
        lesson05.plot_gap_vs_performance([1, 2], [1])


def fake_family():
    rng = np.random.default_rng(0)
    return [
        {**m, "rmg": rng.uniform(0.1, 0.9), "zero_shot_attributes": rng.uniform(0.4, 0.8), "moad_image": rng.normal()}
        for m in mad_family.members()
    ]


def test_family_confounders_figure():
    recs = fake_family()
    fig = lesson05.plot_family_confounders(recs)
    ax, bx = fig.axes[:2]
    assert len(ax.collections) == len(recs) + len(mad_family.KS)  # one marker per model, plus the k legend keys
    drawn = sorted(tuple(ln.get_ydata()) for ln in ax.get_lines() if len(ln.get_xdata()) == 3)
    expected = sorted(
        tuple(r["zero_shot_attributes"] for r in sorted(grp, key=lambda r: r["k"]))
        for grp in (
            [r for r in recs if (r["width"], r["embed_dim"], r["n_train"]) == key]
            for key in dict.fromkeys((r["width"], r["embed_dim"], r["n_train"]) for r in recs)
        )
    )
    np.testing.assert_allclose(drawn, expected)  # every setting's line joins its own models in k order
    pairs = [ln for ln in bx.get_lines() if len(ln.get_xdata()) == 2 and ln.get_marker() != "None"]  # not the 0 line
    assert len(pairs) == 12
    first = next(r for r in recs if r["n_train"] == 3000)
    partner = next(
        r
        for r in recs
        if r["n_train"] == max(mad_family.N_TRAINS) and all(r[a] == first[a] for a in ("k", "width", "embed_dim"))
    )
    assert any(np.allclose(ln.get_ydata(), [first["moad_image"], partner["moad_image"]]) for ln in pairs)
    with pytest.raises(ValueError, match="family records"):
        lesson05.plot_family_confounders([{"rmg": 1.0}])


def test_family_member_lookup():
    assert mad_family.member("k1-default-e32-n3000")["n_train"] == 3000
    with pytest.raises(ValueError, match="no family member"):
        mad_family.member("k9")
    with pytest.raises(ValueError, match="experiments.mad_family"):
        mad_family.load_family("/nonexistent/family.json")
