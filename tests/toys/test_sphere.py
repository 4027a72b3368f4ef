"""Lesson 01 toy: objectives behave as Wang & Isola describe; determinism; bad input; the slider."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modgap_edu.core import losses
from modgap_edu.toys import sphere as toy


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_initial_points_are_unit_and_in_two_caps():
    x, y = toy.initial_points(n=40, gap_deg=140, width_deg=50, seed=3)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1, atol=1e-12)
    # every image within 25 deg of e1, every text within 25 deg of the rotated centre
    centre = np.array([np.cos(np.radians(140)), np.sin(np.radians(140)), 0])
    assert np.degrees(np.arccos(x[:, 0].clip(-1, 1))).max() <= 25 + 1e-9
    assert np.degrees(np.arccos((y @ centre).clip(-1, 1))).max() <= 25 + 1e-9


def test_each_objective_does_what_it_says():
    start = toy.train_toy("clip", steps=1).history
    align_only = toy.train_toy("alignment", steps=200).final
    unif_only = toy.train_toy("uniformity", steps=200).final
    both = toy.train_toy("align+uniform", steps=200).final
    assert align_only["align"] < 1e-3 < start["align"][0]
    assert unif_only["align"] > 1.0  # pairs not matched
    assert unif_only["uniform_image"] < align_only["uniform_image"] - 0.5
    assert both["align"] < 1e-3 and both["uniform_image"] < align_only["uniform_image"] - 0.5


def test_clip_temperature_decides_the_gap():
    low = toy.train_toy("clip", temperature=0.005).final
    high = toy.train_toy("clip", temperature=0.5).final
    assert low["gap"] > 0.8 and high["gap"] < 0.05
    assert high["align"] < low["align"]


def test_history_matches_recomputed_metrics_and_is_deterministic():
    a = toy.train_toy("clip", temperature=0.05, steps=40, seed=7)
    b = toy.train_toy("clip", temperature=0.05, steps=40, seed=7)
    np.testing.assert_array_equal(a.image, b.image)
    assert a.history == b.history
    assert a.history["step"][-1] == 40
    assert a.final["align"] == pytest.approx(float(losses.align_loss(a.image, a.text)), abs=1e-9)
    assert a.final["gap"] == pytest.approx(np.linalg.norm(a.image.mean(0) - a.text.mean(0)), abs=1e-9)
    assert toy.train_toy("clip", temperature=0.05, steps=40, seed=8).image.tolist() != a.image.tolist()


def test_grid_and_softmax_weights():
    assert toy.TEMPERATURE_GRID[0] == pytest.approx(0.005) and toy.TEMPERATURE_GRID[-1] == pytest.approx(1.0)
    grid = np.array(toy.TEMPERATURE_GRID)
    for tau in (0.011, 0.3, 2.0, 1e-4):
        nearest = toy.nearest_grid_temperature(tau)
        assert nearest in toy.TEMPERATURE_GRID
        assert abs(np.log(nearest / tau)) == pytest.approx(np.abs(np.log(grid / tau)).min())
    w = toy.softmax_weights([0.3, 0.2, 0.1], 0.01)
    assert w.sum() == pytest.approx(1.0)
    assert w[0] / w[1] == pytest.approx(np.exp(10))
    assert np.all(np.isfinite(toy.softmax_weights([1.0, -1.0], 1e-4)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"objective": "contrast"}, "objective"),
        ({"temperature": 0}, "temperature"),
        ({"temperature": -1}, "temperature"),
        ({"n": 1}, "n must"),
        ({"steps": 0}, "steps"),
        ({"lr": 0}, "lr"),
        ({"width_deg": 0}, "width_deg"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        toy.train_toy(**kwargs)


def test_softmax_weights_bad_input():
    with pytest.raises(ValueError, match="temperature"):
        toy.softmax_weights([0.1, 0.2], 0)
    with pytest.raises(ValueError, match="1-D"):
        toy.softmax_weights([], 0.1)
    with pytest.raises(ValueError, match="1-D"):
        toy.softmax_weights([np.nan, 0.2], 0.1)
