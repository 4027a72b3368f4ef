"""Gap-fate experiment (lesson 01/03): regimes, convergence rule, loss floor, determinism, bad input, speed.

Total runtime ~25 s on one core: the runs are shared through a module-level cache.
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest
import torch

from modgap_edu.core import losses
from modgap_edu.experiments import gap_fate_grid
from modgap_edu.toys import gap_fate
from modgap_edu.toys.sphere import initial_points


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@functools.cache
def run(tau, **kw):
    torch.set_num_threads(1)
    return gap_fate.gap_fate(tau, history=True, **kw)


def test_caps_generalise_lesson01_points():
    rng = np.random.default_rng(0)
    x = gap_fate.dim_cap_points(48, 3, 0.0, 50.0, rng)
    y = gap_fate.dim_cap_points(48, 3, 140.0, 50.0, rng)
    x0, y0 = initial_points(48, 140.0, 50.0, seed=0)
    np.testing.assert_allclose(x, x0, atol=1e-12)
    np.testing.assert_allclose(y, y0, atol=1e-12)
    for rule in ("cos", "area"):
        p = gap_fate.dim_cap_points(200, 16, 140.0, 50.0, np.random.default_rng(1), rule)
        centre = np.zeros(16)
        centre[:2] = np.cos(np.radians(140)), np.sin(np.radians(140))
        np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1, atol=1e-12)
        assert np.degrees(np.arccos((p @ centre).clip(-1, 1))).max() <= 25 + 1e-9


def test_loss_is_clip_loss_without_sharing_and_multi_positive_with_it():
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.normal(size=(12, 5)))
    y = torch.tensor(rng.normal(size=(12, 5)))
    got = gap_fate.shared_caption_loss(x, y, torch.arange(12), 0.07)
    assert float(got) == pytest.approx(float(losses.clip_loss(x, y, 0.07)), abs=1e-12)
    cap = torch.arange(12) // 3
    yt = y[:4]
    t2i = losses.clip_loss(x, yt[cap], 0.07, direction="text_to_image")
    logits = torch.nn.functional.normalize(x, dim=1) @ torch.nn.functional.normalize(yt, dim=1).T / 0.07
    i2t = torch.nn.functional.cross_entropy(logits, cap)
    assert float(gap_fate.shared_caption_loss(x, yt, cap, 0.07)) == pytest.approx(float((i2t + t2i) / 2), abs=1e-12)


def test_loss_floor_formula_and_bound():
    assert gap_fate.loss_floor(np.arange(48) // 4) == pytest.approx(math.log(4) / 2)
    assert gap_fate.loss_floor(np.arange(48)) == 0.0
    rng = np.random.default_rng(0)
    cap = np.arange(24) // 4
    floor = gap_fate.loss_floor(cap)
    for tau in (1.0, 0.1, 0.01, 0.001):
        for _ in range(20):
            x = torch.tensor(rng.normal(size=(24, 4)))
            y = torch.tensor(rng.normal(size=(6, 4)))
            assert float(gap_fate.shared_caption_loss(x, y, torch.from_numpy(cap), tau)) >= floor - 1e-9
    # the ideal arrangement (each caption on its own images, groups far apart) approaches the floor as tau -> 0
    centres = np.eye(6)
    x, y = torch.tensor(centres[cap]), torch.tensor(centres)
    gaps = [float(gap_fate.shared_caption_loss(x, y, torch.from_numpy(cap), t)) - floor for t in (0.1, 0.03, 0.01)]
    assert gaps[0] > gaps[1] > gaps[2] >= 0 and gaps[2] < 1e-10


def test_trained_loss_never_below_floor():
    for r in (run(0.01, share=4, max_steps=1500), run(0.05, mismatch=0.25, max_steps=1500)):
        assert np.all(r["history"]["loss"] >= r["loss_floor"] - 1e-9)
    r = run(0.01, share=4, max_steps=1500)
    assert r["loss_end"] - r["loss_floor"] < 0.02  # low tau: at the floor ...
    assert run(1.0)["loss_end"] - run(1.0)["loss_floor"] > 1.0  # ... high tau: far above it


def test_determinism():
    a = gap_fate.gap_fate(0.05, dim=8, share=2, mismatch=0.25, seed=3, max_steps=200)
    b = gap_fate.gap_fate(0.05, dim=8, share=2, mismatch=0.25, seed=3, max_steps=200)
    c = gap_fate.gap_fate(0.05, dim=8, share=2, mismatch=0.25, seed=4, max_steps=200)
    keys = [k for k in gap_fate.RUN_KEYS if k != "seconds"]
    assert [a[k] for k in keys] == [b[k] for k in keys]
    assert a["l2m_end"] != c["l2m_end"]


def test_regimes():
    closes = run(0.05)
    assert closes["converged"] and closes["l2m_end"] < 0.01 * closes["l2m_start"]
    hot = run(1.0)
    assert hot["converged"] and hot["l2m_end"] < 1e-3
    high_dim = run(0.01, dim=16, max_steps=1500)
    assert high_dim["l2m_end"] > 0.8 * high_dim["l2m_start"] and high_dim["loss_end"] < 1e-4
    assert high_dim["reason"] == "gap_moving"  # the loss is at its floor, the gap still creeps (Adam)
    one, four = run(0.01, max_steps=1500), run(0.01, share=4, max_steps=1500)
    assert four["l2m_end"] > one["l2m_end"] + 0.5


def test_plateau_is_not_convergence_and_speed_at_defaults():
    r = run(0.01)  # 3-D, tau = 0.01: the loss lingers near 1 while the gap is still open
    h = r["history"]
    on_plateau = (h["loss"] > 0.7) & (h["loss"] < 1.6)
    assert on_plateau.sum() >= 10 and h["gap"][on_plateau].min() > 0.5
    assert r["converged"] and r["steps"] > 3000 and r["l2m_end"] < 0.01
    assert not run(0.01, max_steps=1500)["converged"]
    assert r["cpu_seconds"] < 10.0  # CPU time: wall time also counts other users of a shared machine


def test_rule_on_synthetic_traces():
    flat = [1.0] * 41
    shrinking = list(np.linspace(1.5, 1.0, 41))
    assert not gap_fate.is_converged(flat, shrinking, 0.0)  # loss plateau, gap moving
    # records every 50 steps: 31 records span 1500 steps, 41 span 2000 (two windows of 1000)
    assert not gap_fate.is_converged([1.0] * 31, [1.0] * 31, 0.0)  # flat but far from the floor: needs 2 windows ...
    assert gap_fate.is_converged([1.0] * 41, [1.0] * 41, 0.0)  # ... which it then has
    assert gap_fate.is_converged([0.001] * 21, [0.3] * 21, 0.0)  # near the floor one window suffices


def test_learnable_temperature_is_clamped_like_clip():
    r = gap_fate.gap_fate("learnable", max_steps=400)
    assert 0.01 - 1e-12 <= r["tau_end"] < 0.07


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(tau=0.0), ValueError, "tau"),
        (dict(tau=-1.0), ValueError, "tau"),
        (dict(tau="hot"), ValueError, "tau"),
        (dict(tau=True), ValueError, "tau"),
        (dict(tau=0.1, dim=2.0), ValueError, "dim"),
        (dict(tau=0.1, dim=True), ValueError, "dim"),
        (dict(tau=0.1, dim=1), ValueError, "dim"),
        (dict(tau=0.1, share=5), ValueError, "divide"),
        (dict(tau=0.1, share=48), ValueError, "2 captions"),
        (dict(tau=0.1, mismatch=1.5), ValueError, "mismatch"),
        (dict(tau=0.1, mismatch=-0.1), ValueError, "mismatch"),
        (dict(tau=0.1, mismatch=True), ValueError, "mismatch"),
        (dict(tau=0.1, n=47.0), ValueError, "n"),
        (dict(tau=0.1, seed=1.5), ValueError, "seed"),
        (dict(tau=0.1, max_steps=0), ValueError, "max_steps"),
        (dict(tau=0.1, mismatch=1.0), ValueError, "mismatch"),
    ],
)
def test_bad_inputs(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        gap_fate.gap_fate(**kwargs)


def test_mismatch_assignment():
    cap = gap_fate.caption_assignment(48, 1, 0.25, seed=0)
    moved = np.flatnonzero(cap != np.arange(48))
    assert moved.size == 12
    assert np.bincount(cap, minlength=48).max() == 2  # partners without replacement
    assert gap_fate.loss_floor(cap) == pytest.approx(12 * 2 * math.log(2) / 96)
    np.testing.assert_array_equal(gap_fate.caption_assignment(48, 4, 0.0), np.arange(48) // 4)


def test_grid_roundtrip(tmp_path):
    grid = gap_fate.phase_grid([1.0], [3], [1], [0.0], [0], max_steps=60)
    data = {"format": gap_fate_grid.FORMAT, "version": "x", "command": "c", "python": "3", "torch": "2", **grid}
    p = tmp_path / "g.json"
    p.write_text(json.dumps(data))
    assert gap_fate_grid.load_phase_grid(p)["runs"][0]["steps"] == 60
    rows = gap_fate.summarize(data)
    assert rows[0]["seeds"] == 1 and rows[0]["converged"] == 0.0
    del data["runs"][0]["l2m_end"]
    p.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="l2m_end"):
        gap_fate_grid.load_phase_grid(p)
    with pytest.raises(FileNotFoundError):
        gap_fate_grid.load_phase_grid(tmp_path / "none.json")


def test_shipped_asset_is_valid():
    data = gap_fate_grid.load_phase_grid()
    assert len(data["runs"]) == len({(r["tau"], r["dim"], r["share"], r["mismatch"], r["seed"]) for r in data["runs"]})


def test_plots_draw():
    from modgap_edu.plots.gap_fate import plot_gap_fate_trajectory, plot_phase_diagram

    fig = plot_phase_diagram(gap_fate_grid.load_phase_grid())
    assert len(fig.axes) == 4  # three (share, mismatch) panels and the colour bar
    fig = plot_gap_fate_trajectory(gap_fate.gap_fate(0.1, max_steps=100, history=True))
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="history"):
        plot_gap_fate_trajectory(gap_fate.gap_fate(0.1, max_steps=10))


@pytest.mark.parametrize(
    "axis, bad, match",
    [
        ("taus", [1.0, 0.0], "tau"),
        ("seeds", [0, -1], "seed"),
        ("shares", [1, 5], "divide"),
        ("mismatches", [0.0, 1.0], "mismatch"),
    ],
)
def test_phase_grid_checks_every_run_before_training(monkeypatch, axis, bad, match):
    """A bad value at the end of an axis fails at once: no run of the grid trains first."""
    trained = []
    monkeypatch.setattr(gap_fate, "_run", lambda **s: trained.append(s) or {})
    axes = {**dict(taus=[1.0], dims=[3], shares=[1], mismatches=[0.0], seeds=[0]), axis: bad}
    with pytest.raises(ValueError, match=match):
        gap_fate.phase_grid(**axes, max_steps=2)
    assert trained == []


def test_checked_kernels_give_the_public_answers():
    """gap_fate trains on the private kernels; they equal the validating public functions."""
    used, cap = gap_fate._compact(gap_fate.caption_assignment(12, 2, 0.25, seed=3))
    assert gap_fate.loss_floor(cap) == gap_fate._floor(cap) > 0
    x, y = torch.randn(12, 4, dtype=torch.float64), torch.randn(len(used), 4, dtype=torch.float64)
    assert float(gap_fate.shared_caption_loss(x, y, cap, 0.1)) == float(
        gap_fate._shared_caption_loss(x, y, torch.from_numpy(cap), 0.1)
    )
