"""Tests of modgap_edu.toys.paired_cones (lesson 05's controllable two-cone embeddings)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modgap_edu.core import metrics
from modgap_edu.toys import paired_cones


def test_shapes_unit_rows_and_determinism():
    x, y = paired_cones.paired_cones(n=50, d=8, seed=3)
    assert x.shape == y.shape == (50, 8)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1.0)
    x2, y2 = paired_cones.paired_cones(n=50, d=8, seed=3)
    np.testing.assert_array_equal(x, x2)
    assert not np.array_equal(x, paired_cones.paired_cones(n=50, d=8, seed=4)[0])


@settings(max_examples=30, deadline=None)
@given(distance=st.floats(0.0, 1.99))
def test_zero_spread_puts_every_row_on_its_axis(distance):
    x, y = paired_cones.paired_cones(n=5, d=6, spread_image=0.0, spread_text=0.0, distance=distance)
    # both cones collapse onto their axes, whose chord is exactly `distance`
    assert metrics.l2m(x, y) == pytest.approx(distance, abs=1e-9)
    assert metrics.l2i(x, y) == pytest.approx(distance, abs=1e-9)


def test_identical_pairs_have_tiny_rmg():
    x, y = paired_cones.paired_cones(n=200, distance=0.0, match=1.0)
    np.testing.assert_allclose(x, y, atol=1e-12)
    # M is 0 up to rounding (the official guard may replace it by 1e-3): RMG is tiny either way
    assert metrics.rmg(x, y) <= 1e-3 / (1e-3 + metrics.mean_intra_dissimilarity(x)) + 1e-12


def test_collapse_raises_rmg_and_distance_raises_all():
    base = paired_cones.gap_metrics(*paired_cones.paired_cones())
    collapsed = paired_cones.gap_metrics(*paired_cones.paired_cones(spread_image=0.02))
    assert collapsed["intra_image"] < 0.01 < base["intra_image"]
    assert collapsed["rmg"] > base["rmg"] + 0.1
    far = paired_cones.gap_metrics(*paired_cones.paired_cones(distance=1.6))
    for key in ("l2m", "l2i", "rmg"):
        assert far[key] > base[key]


def test_sweep_matches_single_calls():
    sw = paired_cones.metric_sweep("distance", [0.0, 1.0], spread_text=0.3)
    assert sw["values"] == [0.0, 1.0]
    single = paired_cones.gap_metrics(*paired_cones.paired_cones(distance=1.0, spread_text=0.3))
    assert sw["rmg"][1] == pytest.approx(single["rmg"])
    assert sw["l2m"][1] == pytest.approx(single["l2m"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(distance=2.0), "must be < 2"),
        (dict(distance=-0.1), ">= 0"),
        (dict(spread_image=float("nan")), "finite"),
        (dict(match=1.5), r"\[0, 1\]"),
        (dict(n=1), "n must be"),
        (dict(d=2), "d must be"),
        (dict(seed=-1), "seed"),
        (dict(spread_text="wide"), "number"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        paired_cones.paired_cones(**kwargs)


def test_sweep_bad_input():
    with pytest.raises(ValueError, match="parameter must be one of"):
        paired_cones.metric_sweep("temperature", [1.0])
    with pytest.raises(ValueError, match="do not also fix"):
        paired_cones.metric_sweep("distance", [1.0], distance=0.5)
    with pytest.raises(ValueError, match="empty"):
        paired_cones.metric_sweep("distance", [])
