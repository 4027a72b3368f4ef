"""The official MOAD on MAD's multi-hot attribute layout (modgap_edu.mad.moad), against the one-hot
reference (core.metrics.moad with exact_official=True) and a hand count."""

from __future__ import annotations

import numpy as np
import pytest

from modgap_edu.core import metrics
from modgap_edu.mad import dataset
from modgap_edu.mad.moad import official_intra_inter, official_moad_multihot


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    labels = {f: rng.integers(0, len(v), size=n) for f, v in dataset.FACTORS.items()}
    emb = rng.normal(size=(n, 8)) + 2.0 * np.eye(8)[labels["digit"] % 8] + 1.5 * np.eye(8)[labels["colors"]]
    return emb, labels


@pytest.mark.parametrize("factor", dataset.ATTRIBUTES)
def test_one_hot_matrix_matches_the_class_label_form(factor):
    emb, labels = _data()
    one_hot = np.eye(len(dataset.FACTORS[factor]), dtype=bool)[labels[factor]]
    ours = official_moad_multihot(emb, labels["digit"], one_hot)
    ref = metrics.moad(emb, labels["digit"], labels[factor], exact_official=True)
    assert ours == pytest.approx(ref, abs=1e-9)


def test_hand_count_with_overlapping_columns():
    # three unit vectors; sample 1 has both attribute columns
    emb = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    sims = emb @ emb.T
    groups = [np.array([0, 1]), np.array([1, 2])]
    intra, inter = official_intra_inter(sims, groups)
    assert intra == pytest.approx((sims[0, 1] + sims[1, 2]) / 2)
    # block (0,1) x (1,2): keep (i=0, j=1) -> sims[0, 2]; block (1,2) x (0,1): keep (0, 1) -> sims[1, 1] = 1
    assert inter == pytest.approx((sims[0, 2] + sims[1, 1]) / 2)


def test_multi_hot_differs_from_the_per_factor_mean():
    emb, labels = _data(200, seed=1)
    att = dataset.attribute_matrix(labels)
    multi = official_moad_multihot(emb, labels["digit"], att)
    per_factor = np.mean(
        [metrics.moad(emb, labels["digit"], labels[a], exact_official=True) for a in dataset.ATTRIBUTES]
    )
    assert np.isfinite(multi) and abs(multi - per_factor) > 1e-3


def test_bad_inputs():
    emb, labels = _data(20)
    att = dataset.attribute_matrix(labels)
    with pytest.raises(ValueError, match="one row per embedding"):
        official_moad_multihot(emb, labels["digit"], att[:-1])
    with pytest.raises(ValueError, match="boolean"):
        official_moad_multihot(emb, labels["digit"], att * 2.5)
    with pytest.raises(ValueError):
        official_moad_multihot(emb[:, :0], labels["digit"], att)
    with pytest.raises(ValueError, match="no intra or no inter"):
        official_intra_inter(np.eye(3), [np.array([0, 1, 2])])
