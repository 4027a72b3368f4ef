"""Tests of modgap_edu.core.dimensions: gap dimensions, ablation, retrieval and zero-shot (lesson 05)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modgap_edu.core import dimensions, metrics


def planted(rng, n=200, d=16, dims=(3, 7), shift=1.5):
    """Paired embeddings whose modalities differ (mostly) along ``dims``."""
    z = rng.standard_normal((n, d))
    x = z + 0.1 * rng.standard_normal((n, d))
    y = z + 0.1 * rng.standard_normal((n, d))
    for k, dim in enumerate(dims):
        x[:, dim] += shift * (1 + k)
        y[:, dim] -= shift * (1 + k)
    return x, y


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# ---------------------------------------------------------------- ranking


def test_scores_by_hand():
    x = np.array([[2.0, 0, 0], [1.0, 0, 0]])
    y = np.array([[0, 3.0, 0], [0, 1.0, 0]])
    np.testing.assert_allclose(dimensions.gap_dimension_scores(x, y), [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(dimensions.rank_gap_dimensions(x, y), [0, 1, 2])  # ties: lower index first


def test_scores_norm_is_l2m(rng):
    x, y = planted(rng)
    assert np.linalg.norm(dimensions.gap_dimension_scores(x, y)) == pytest.approx(metrics.l2m(x, y), rel=1e-12)


def test_planted_dimensions_rank_first(rng):
    x, y = planted(rng, dims=(3, 7))
    order = dimensions.rank_gap_dimensions(x, y)
    assert list(order[:2]) == [7, 3]  # dim 7 got the larger shift
    assert sorted(order.tolist()) == list(range(16))


def test_ranking_matches_literal_means(rng):
    x, y = planted(rng, d=12)
    literal = np.abs(unit(x).mean(0) - unit(y).mean(0))
    np.testing.assert_array_equal(dimensions.rank_gap_dimensions(x, y), np.argsort(-literal, kind="stable"))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100.0))
def test_ranking_ignores_row_scale(seed, scale):
    rng = np.random.default_rng(seed)
    x, y = planted(rng, n=30, d=6, dims=(1, 4))
    np.testing.assert_allclose(
        dimensions.gap_dimension_scores(x * scale, y), dimensions.gap_dimension_scores(x, y), atol=1e-12
    )


# ---------------------------------------------------------------- two dimensions


def test_two_dims_official_rule_uses_signed_means():
    # image mean: dim 0 strongly negative, dim 1 largest positive; text mean: dim 2 largest
    x = np.array([[-0.9, 0.3, 0.1, 0.0], [-0.8, 0.4, 0.0, 0.1]])
    y = np.array([[0.0, 0.1, 0.9, 0.2], [0.1, 0.0, 0.8, 0.3]])
    assert dimensions.two_gap_dimensions(x, y) == (1, 2)
    literal = np.abs(unit(x).mean(0) - unit(y).mean(0))
    assert dimensions.two_gap_dimensions(x, y, "largest_mean_diff") == tuple(np.argsort(-literal)[:2])


def test_two_dims_diff_rule_on_planted(rng):
    x, y = planted(rng)
    assert dimensions.two_gap_dimensions(x, y, "largest_mean_diff") == (7, 3)


def test_two_dims_bad_rule(rng):
    x, y = planted(rng)
    with pytest.raises(ValueError, match="rule must be one of"):
        dimensions.two_gap_dimensions(x, y, "biggest")
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        dimensions.two_gap_dimensions(x[:, :1], y[:, :1], "largest_mean_diff")


# ---------------------------------------------------------------- ablation


def test_ablate_matches_manual_delete_and_renormalize(rng):
    x, y = planted(rng)
    for k in (0, 1, 2, 5):
        xa, ya = dimensions.ablate_dimensions(x, y, k)
        top = dimensions.rank_gap_dimensions(x, y)[:k]
        keep = [i for i in range(16) if i not in set(top.tolist())]
        np.testing.assert_allclose(xa, unit(unit(x)[:, keep]), atol=1e-12)
        np.testing.assert_allclose(ya, unit(unit(y)[:, keep]), atol=1e-12)
        assert xa.shape == (200, 16 - k)
        np.testing.assert_allclose(np.linalg.norm(xa, axis=1), 1.0)


def test_ablation_closes_planted_gap(rng):
    x, y = planted(rng)
    assert metrics.l2m(x, y) > 0.5
    xa, ya = dimensions.ablate_dimensions(x, y, 2)
    assert metrics.l2m(xa, ya) < 0.15


def test_ablate_with_given_order(rng):
    x, y = planted(rng, d=5, dims=(1, 2))
    xa, _ = dimensions.ablate_dimensions(x, y, 1, order=[4, 0, 1, 2, 3])
    np.testing.assert_allclose(xa, unit(unit(x)[:, :4]), atol=1e-12)
    with pytest.raises(ValueError, match="permutation"):
        dimensions.ablate_dimensions(x, y, 1, order=[0, 0, 1, 2, 3])


@pytest.mark.parametrize("k", [-1, 16, 2.0, True, "3"])
def test_ablate_bad_k(rng, k):
    x, y = planted(rng)
    with pytest.raises(ValueError, match="k must be"):
        dimensions.ablate_dimensions(x, y, k)


def test_ablate_row_that_vanishes():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="zero once the top-1"):
        dimensions.ablate_dimensions(x, y, 1)


def test_ablation_curve(rng):
    x, y = planted(rng)
    curve = dimensions.ablation_curve(x, y, ks=[0, 1, 2, 3], metric="l2m")
    assert curve["k"] == [0, 1, 2, 3]
    assert curve["removed"] == dimensions.rank_gap_dimensions(x, y)[:3].tolist()
    for k, g in zip(curve["k"], curve["gap"]):
        assert g == pytest.approx(metrics.l2m(*dimensions.ablate_dimensions(x, y, k)))
    assert curve["gap"][2] < curve["gap"][0]
    assert all(0.0 <= s <= 1.0 for s in curve["score"])
    custom = dimensions.ablation_curve(x, y, ks=[0, 2], score=lambda a, b: a.shape[1])
    assert custom["score"] == [16, 14]


def test_ablation_curve_bad_input(rng):
    x, y = planted(rng)
    with pytest.raises(ValueError, match="metric"):
        dimensions.ablation_curve(x, y, metric="gap")
    with pytest.raises(ValueError, match="score"):
        dimensions.ablation_curve(x, y, score="r5")
    with pytest.raises(ValueError, match="ks is empty"):
        dimensions.ablation_curve(x, y, ks=[])


# ---------------------------------------------------------------- retrieval and zero-shot


def brute_recall(x, y, k, direction, t2i):
    sim = unit(x) @ unit(y).T
    if direction == "t2i":
        top = np.argsort(-sim.T, axis=1)[:, :k]
        return np.mean([t2i[j] in top[j] for j in range(y.shape[0])])
    top = np.argsort(-sim, axis=1)[:, :k]
    return np.mean([np.any(t2i[top[i]] == i) for i in range(x.shape[0])])


@pytest.mark.parametrize("direction", ["i2t", "t2i"])
@pytest.mark.parametrize("k", [1, 3])
def test_recall_matches_brute_force(rng, direction, k, monkeypatch):
    x = rng.standard_normal((40, 8))
    t2i = np.repeat(np.arange(40), 3)
    y = x[t2i] + 0.8 * rng.standard_normal((120, 8))
    expected = brute_recall(x, y, k, direction, t2i)
    assert dimensions.retrieval_recall(x, y, k, direction, t2i) == pytest.approx(expected)
    monkeypatch.setattr(dimensions, "_BLOCK_ENTRIES", 50)  # many small query blocks
    assert dimensions.retrieval_recall(x, y, k, direction, t2i) == pytest.approx(expected)


def test_recall_perfect_and_one_to_one(rng):
    x = rng.standard_normal((30, 6))
    assert dimensions.retrieval_recall(x, 2 * x) == 1.0
    assert dimensions.retrieval_recall(x, 2 * x, direction="t2i") == 1.0
    y = rng.standard_normal((30, 6))
    assert dimensions.retrieval_recall(x, y, k=30) == 1.0


def test_recall_bad_input(rng):
    x = rng.standard_normal((5, 3))
    with pytest.raises(ValueError, match="direction"):
        dimensions.retrieval_recall(x, x, direction="both")
    with pytest.raises(ValueError, match="k must be"):
        dimensions.retrieval_recall(x, x, k=0)
    with pytest.raises(ValueError, match="text_to_image"):
        dimensions.retrieval_recall(x, x[:3])
    bad = x.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dimensions.retrieval_recall(bad, x)


def test_zero_shot_by_hand():
    classes = np.array([[1.0, 0.0], [0.0, 1.0]])
    images = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.6], [0.1, 0.3]])
    assert dimensions.zero_shot_accuracy(images, classes, [0, 1, 1, 1]) == pytest.approx(0.75)
    assert dimensions.zero_shot_accuracy(images, classes, np.array([0.0, 1.0, 0.0, 1.0])) == 1.0


def test_zero_shot_bad_labels():
    classes = np.eye(2)
    images = np.eye(2)
    with pytest.raises(ValueError, match="0..1"):
        dimensions.zero_shot_accuracy(images, classes, [0, 2])
    with pytest.raises(ValueError, match="integer"):
        dimensions.zero_shot_accuracy(images, classes, [0.5, 1])
    with pytest.raises(ValueError, match="one label per row"):
        dimensions.zero_shot_accuracy(images, classes, [0])


def test_real_clip_features(shared_data_dir):
    feats = np.load(shared_data_dir / "features_clip.npy").astype(np.float64)
    x, y = feats[0], feats[1]
    top = dimensions.rank_gap_dimensions(x, y)[:2]
    scores = dimensions.gap_dimension_scores(x, y)
    # a couple of dimensions carry a large share of the squared gap (Schrodi et al. Fig. 4a)
    assert scores[top].dot(scores[top]) / scores.dot(scores) > 0.5
    r1 = dimensions.retrieval_recall(x, y)
    assert r1 == pytest.approx(brute_recall(x, y, 1, "i2t", np.arange(500)))
    assert r1 > 0.3  # CLIP ViT-B/16 on 500 COCO pairs: far above chance (0.002)
