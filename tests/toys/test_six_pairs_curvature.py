"""Tests for six_pairs.lift_curvature / sphere_toy_curvature (lesson 03, Exercise 3.4): d²L/dΔθ² at Δθ = 0."""

from __future__ import annotations

import numpy as np
import pytest

from modgap_edu.toys import six_pairs


def second_difference(tau, mismatched, h_deg=0.01):
    f = six_pairs.sphere_toy_loss
    return (f(h_deg, tau, mismatched) - 2 * f(0.0, tau, mismatched) + f(-h_deg, tau, mismatched)) / np.deg2rad(
        h_deg
    ) ** 2


@pytest.mark.parametrize("tau", six_pairs.PAPER_TEMPERATURES)
@pytest.mark.parametrize("mismatched", [True, False])
def test_curvature_matches_a_finite_difference_of_the_loss(tau, mismatched):
    got = six_pairs.sphere_toy_curvature(tau, mismatched)
    assert got == pytest.approx(second_difference(tau, mismatched), rel=1e-4, abs=1e-6)


def test_sign_is_the_bump_of_fig_3g():
    """Mismatched at a cold τ: Δθ = 0 is a local maximum (Liang Fig. 3g); matched: never (Supp. Fig. 9)."""
    assert six_pairs.sphere_toy_curvature(0.01, True) < 0
    assert six_pairs.sphere_toy_curvature(1.0, True) > 0
    assert all(six_pairs.sphere_toy_curvature(t, False) >= 0 for t in six_pairs.PAPER_TEMPERATURES)


def test_general_equator_configuration_matches_finite_difference():
    """Any images on the equator with texts lifted by Δθ: cosines a_ij cos Δθ."""
    rng = np.random.default_rng(5)
    phi_i, phi_t = rng.uniform(-70, 70, 5), rng.uniform(-70, 70, 5)
    images = six_pairs.uv_to_xyz(phi_i, 90.0)

    def loss(d):
        from modgap_edu.core.losses import clip_loss

        return float(clip_loss(images, six_pairs.uv_to_xyz(phi_t, 90.0 + d), 0.05))

    h = 0.01
    fd = (loss(h) - 2 * loss(0.0) + loss(-h)) / np.deg2rad(h) ** 2
    got = six_pairs.lift_curvature(images @ six_pairs.uv_to_xyz(phi_t, 90.0).T, 0.05)
    assert got == pytest.approx(fd, rel=1e-4)


@pytest.mark.parametrize(
    "cosines, tau",
    [(np.ones((2, 3)), 0.1), (np.zeros((0, 0)), 0.1), (np.eye(3), 0.0), (np.eye(3), -1.0), ([[np.nan]], 0.1)],
)
def test_bad_input_raises(cosines, tau):
    with pytest.raises((ValueError, TypeError)):
        six_pairs.lift_curvature(cosines, tau)
