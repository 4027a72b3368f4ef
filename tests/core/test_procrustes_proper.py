"""Tests for procrustes.proper_rotation (lesson 03, Bonus exercise 3.7): the best rotation with det +1."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from modgap_edu.core import procrustes


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def mirror_pair(seed=0, n=40, d=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) + np.r_[1.5, np.zeros(d - 1)]
    y = x @ np.diag([1.0] * (d - 1) + [-1.0]) + 0.05 * rng.standard_normal((n, d))
    return x, y


def test_is_a_rotation_where_liangs_w_is_a_reflection():
    x, y = mirror_pair()
    assert np.linalg.det(procrustes.procrustes_rotation(x, y)) < 0
    w = procrustes.proper_rotation(x, y)
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-10)
    assert np.linalg.det(w) == pytest.approx(1.0)


def test_agrees_with_scipy_align_vectors_in_3d():
    """scipy's Rotation.align_vectors(a, b) minimises Σ ||a_i − R b_i||² over rotations: R = W (Ŷ Wᵀ ≈ X̂)."""
    for seed in range(3):
        x, y = mirror_pair(seed)
        r, _ = Rotation.align_vectors(unit(x), unit(y))
        np.testing.assert_allclose(procrustes.proper_rotation(x, y), r.as_matrix(), atol=1e-8)


def test_equals_liangs_w_when_that_is_already_a_rotation():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1  # a proper rotation
    x = rng.standard_normal((30, 4)) + 1.0
    y = x @ q
    w0 = procrustes.procrustes_rotation(x, y)
    assert np.linalg.det(w0) > 0
    np.testing.assert_allclose(procrustes.proper_rotation(x, y), w0, atol=1e-10)


def test_no_random_rotation_does_better():
    x, y = mirror_pair(2, d=4)
    best = np.linalg.norm(unit(y) @ procrustes.proper_rotation(x, y).T - unit(x))
    rng = np.random.default_rng(3)
    for _ in range(200):
        q, r = np.linalg.qr(rng.standard_normal((4, 4)))
        q = q * np.sign(np.diag(r))
        if np.linalg.det(q) < 0:
            q[:, 0] *= -1
        assert np.linalg.norm(unit(y) @ q.T - unit(x)) >= best - 1e-12


def test_bad_input_raises():
    with pytest.raises(ValueError):
        procrustes.proper_rotation(np.ones((3, 2)), np.ones((4, 2)))
