"""Tests of modgap_edu.core.rank_statistics: Kendall tau, confounder control, permutation tests (lesson 05)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from modgap_edu.core import rank_statistics as gp


def brute_pooled_tau(x, y, g):
    """tau-b over within-group pairs, by enumerating the pairs."""
    s = nx = ny = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        if g[i] != g[j]:
            continue
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        s += dx * dy
        nx += dx != 0
        ny += dy != 0
    return s / np.sqrt(nx * ny)


def test_tau_equals_scipy_and_permutation_is_sane():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(12)
    y = x + 0.5 * rng.standard_normal(12)
    out = gp.kendall_with_permutation(x, y, n_resamples=999)
    assert out["tau"] == pytest.approx(stats.kendalltau(x, y).statistic)
    assert out["p_kendall"] == pytest.approx(stats.kendalltau(x, y).pvalue)
    assert 0 < out["p_permutation"] < 0.05
    assert out["n"] == 12
    assert gp.kendall_with_permutation(x, y, n_resamples=999) == out  # seeded


def test_perfect_and_constant():
    x = np.arange(8.0)
    out = gp.kendall_with_permutation(x, -x, n_resamples=999)
    assert out["tau"] == pytest.approx(-1.0)
    assert out["p_permutation"] <= 2 / 1000
    flat = gp.kendall_with_permutation(x, np.ones(8), n_resamples=99)
    assert flat["tau"] == 0.0 and flat["p_kendall"] == 1.0 and flat["p_permutation"] == 1.0


def test_independent_data_rarely_significant():
    rng = np.random.default_rng(3)
    ps = [
        gp.kendall_with_permutation(rng.standard_normal(15), rng.standard_normal(15), n_resamples=199)["p_permutation"]
        for _ in range(20)
    ]
    assert np.mean(np.array(ps) < 0.05) <= 0.2


def test_pooled_tau_one_group_is_scipy_tau_b():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, 15).astype(float)  # ties in both
    y = rng.integers(0, 5, 15).astype(float)
    assert gp.pooled_within_group_tau(x, y, np.zeros(15)) == pytest.approx(stats.kendalltau(x, y).statistic)


def test_pooled_tau_matches_brute_force():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(20)
    y = rng.integers(0, 3, 20).astype(float)
    g = rng.integers(0, 3, 20)
    assert gp.pooled_within_group_tau(x, y, g) == pytest.approx(brute_pooled_tau(x, y, g))


def test_confounder_flips_the_sign():
    """Simpson's paradox: each group has a negative trend, the groups' offsets make it positive overall."""
    rng = np.random.default_rng(4)
    gap, perf, group = [], [], []
    for g, base in enumerate([0.0, 2.0, 4.0]):
        t = rng.uniform(0, 1, 8)
        gap += list(base + t)
        perf += list(base - 0.8 * t + 0.05 * rng.standard_normal(8))
        group += [g] * 8
    overall = gp.kendall_with_permutation(gap, perf, n_resamples=499)
    within = gp.kendall_within_groups(gap, perf, group, n_resamples=499)
    assert overall["tau"] > 0.3
    assert within["tau_pooled"] < -0.5
    assert within["p_permutation"] < 0.01
    assert set(within["per_group"]) == {0, 1, 2}
    assert all(t < 0 for t in within["per_group"].values())
    assert within["n_pairs"] == 3 * 28


def test_every_group_that_counts_is_reported():
    """A two-model group contributes one pair to the pooled tau, so it must appear in per_group too (issue 12)."""
    gap = [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 9.0]
    perf = [4.0, 3.0, 2.0, 1.0, 1.0, 2.0, 0.0]
    out = gp.kendall_within_groups(gap, perf, ["a", "a", "a", "a", "b", "b", "c"], n_resamples=20)
    assert set(out["per_group"]) == {"a", "b"}  # "c" has one model: no pair, counts nowhere
    assert out["per_group"]["a"] == pytest.approx(-1.0) and out["per_group"]["b"] == pytest.approx(1.0)
    assert out["group_sizes"] == {"a": 4, "b": 2}
    assert out["n_pairs"] == 6 + 1
    assert out["tau_pooled"] == pytest.approx((-6 + 1) / 7)  # the b pair pulls the pooled tau up


def test_within_groups_permutation_keeps_groups():
    # performance identical within each group: any within-group shuffle leaves tau unchanged
    gap = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    perf = [5.0, 5.0, 5.0, 1.0, 1.0, 1.0]
    out = gp.kendall_within_groups(gap, perf, [0, 0, 0, 1, 1, 1], n_resamples=50)
    assert out["tau_pooled"] == 0.0 and out["p_permutation"] == 1.0


def test_partial_kendall_formula():
    rng = np.random.default_rng(5)
    z = rng.standard_normal(30)
    x = z + 0.7 * rng.standard_normal(30)
    y = z + 0.7 * rng.standard_normal(30)
    t = lambda a, b: stats.kendalltau(a, b).statistic  # noqa: E731
    expected = (t(x, y) - t(x, z) * t(y, z)) / np.sqrt((1 - t(x, z) ** 2) * (1 - t(y, z) ** 2))
    assert gp.partial_kendall(x, y, z) == pytest.approx(expected)
    assert abs(gp.partial_kendall(x, y, z)) < abs(t(x, y))  # the shared cause explains part of it
    with pytest.raises(ValueError, match="ranks gap or performance perfectly"):
        gp.partial_kendall(z, y, 2 * z)


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(gap=[1, 2], performance=[1, 2]), "at least 3"),
        (dict(gap=[1, 2, 3], performance=[1, 2]), "one value per model"),
        (dict(gap=[1, 2, np.nan], performance=[1, 2, 3]), "NaN"),
        (dict(gap=[[1, 2, 3]], performance=[1, 2, 3]), "1-D"),
        (dict(gap=[1, 2, 3], performance=[1, 2, 3], n_resamples=0), "n_resamples"),
    ],
)
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        gp.kendall_with_permutation(**bad)


def test_bad_groups():
    with pytest.raises(ValueError, match="one group label per model"):
        gp.kendall_within_groups([1, 2, 3], [1, 2, 3], [0, 1])
    with pytest.raises(ValueError, match="single model"):
        gp.kendall_within_groups([1, 2, 3], [1, 2, 3], [0, 1, 2])


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 15))
def test_pooled_tau_properties(seed, n):
    rng = np.random.default_rng(seed)
    x, y, g = rng.standard_normal(n), rng.standard_normal(n), rng.integers(0, 3, n)
    if np.max(np.bincount(g)) < 2:
        g[:2] = 0
    t = gp.pooled_within_group_tau(x, y, g)
    assert -1.0 <= t <= 1.0
    assert gp.pooled_within_group_tau(x, -y, g) == pytest.approx(-t)  # antisymmetric
    assert gp.pooled_within_group_tau(np.exp(x), y, g) == pytest.approx(t)  # ranks only
    assert gp.pooled_within_group_tau(y, x, g) == pytest.approx(t)  # symmetric in its two variables


def test_batched_tau_is_scipys_tau_b_on_every_row():
    """The permutation test's vectorized statistic equals scipy's tau-b (ties included) row by row."""
    rng = np.random.default_rng(6)
    a = rng.integers(0, 4, (50, 9)).astype(float)
    b = rng.integers(0, 3, (50, 9)).astype(float)
    b[0] = 1.0  # a constant row: no ranking, tau 0 as in kendall_with_permutation
    got = gp._tau_b_batch(a, b, axis=-1)
    for row_a, row_b, t in zip(a, b, got):
        expected = stats.kendalltau(row_a, row_b).statistic
        assert t == pytest.approx(expected if np.isfinite(expected) else 0.0)
    np.testing.assert_allclose(gp._tau_b_batch(a.T, b.T, axis=0), got)
