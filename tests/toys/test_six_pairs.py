"""Tests for modgap_edu.toys.six_pairs: the 3-D sphere toy (lesson 03; Liang et al. 2022, Fig. 3e-g, Supp. Fig. 9)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from modgap_edu.toys import six_pairs


def ref_loss(images, texts, tau):
    z = images @ texts.T / tau
    d = np.diag(z)
    return float((np.mean(logsumexp(z, axis=1) - d) + np.mean(logsumexp(z, axis=0) - d)) / 2)


def test_exact_coordinates_at_zero():
    imgs, txts = six_pairs.sphere_toy(0.0, mismatched=True)
    assert imgs.shape == (6, 3) and txts.shape == (6, 3)
    c, s = math.cos(math.radians(20)), math.sin(math.radians(20))
    np.testing.assert_allclose(imgs[0], [c, -s, 0], atol=1e-12)  # I0 at azimuth -20
    np.testing.assert_allclose(imgs[1], [1, 0, 0], atol=1e-12)  # I1 at azimuth 0
    np.testing.assert_allclose(imgs[5], [math.cos(math.radians(80)), math.sin(math.radians(80)), 0], atol=1e-12)
    # the mismatch: T0 sits on I1, T1 on I0, the rest on their own images
    np.testing.assert_allclose(txts[0], imgs[1], atol=1e-12)
    np.testing.assert_allclose(txts[1], imgs[0], atol=1e-12)
    np.testing.assert_allclose(txts[2:], imgs[2:], atol=1e-12)
    _, matched = six_pairs.sphere_toy(0.0, mismatched=False)
    np.testing.assert_allclose(matched, imgs, atol=1e-12)


def test_texts_move_in_latitude_only():
    for d in (-90, -37.5, 10, 90):
        imgs, txts = six_pairs.sphere_toy(d, mismatched=False)
        np.testing.assert_allclose(np.linalg.norm(txts, axis=1), 1, atol=1e-12)
        np.testing.assert_allclose(txts[:, 2], math.cos(math.radians(90 + d)), atol=1e-12)
        if abs(d) == 90:
            continue  # at a pole the azimuth is undefined
        # same azimuth as the images
        np.testing.assert_allclose(np.arctan2(txts[:, 1], txts[:, 0]), np.arctan2(imgs[:, 1], imgs[:, 0]), atol=1e-9)
    _, south = six_pairs.sphere_toy(90)
    np.testing.assert_allclose(south, np.tile([0, 0, -1.0], (6, 1)), atol=1e-12)


def test_pole_loss_is_log6():
    """At +-90 degrees all texts coincide, every logit row is constant: both CE terms are log 6."""
    for tau in (1.0, 0.01):
        assert six_pairs.sphere_toy_loss(90, tau) == pytest.approx(math.log(6), abs=1e-9)
        assert six_pairs.sphere_toy_loss(-90, tau, mismatched=False) == pytest.approx(math.log(6), abs=1e-9)


def test_mismatch_at_zero_hand_computed():
    """tau = 1/100, delta = 0: I0 and I1 each see their true text at cos 20 deg and a wrong one at cos 0,
    so their CE is about 100 (1 - cos 20deg) = 6.03; the other four are near 0 -> loss about 12/6 = 2."""
    v = six_pairs.sphere_toy_loss(0, 0.01)
    assert v == pytest.approx(2 * 100 * (1 - math.cos(math.radians(20))) / 6, abs=0.02)


@pytest.mark.parametrize("mismatched", [True, False])
def test_curves_match_pointwise_and_reference(mismatched):
    deltas = [-90, -75, -10, 0, 33, 80]
    taus = [1.0, 0.2, 0.01]
    curves = six_pairs.sphere_toy_curves(taus, deltas, mismatched)
    for t_i, tau in enumerate(taus):
        for k, d in enumerate(deltas):
            i, t = six_pairs.sphere_toy(d, mismatched)
            assert curves[t_i, k] == pytest.approx(six_pairs.sphere_toy_loss(d, tau, mismatched), rel=1e-10)
            assert curves[t_i, k] == pytest.approx(ref_loss(i, t, tau), rel=1e-10)


def test_symmetric_in_delta():
    c = six_pairs.sphere_toy_curves(six_pairs.PAPER_TEMPERATURES)
    np.testing.assert_allclose(c, c[:, ::-1], atol=1e-12)  # grid runs +90 .. -90


def test_paper_reading_fig3g():
    """Liang Sec. 4.3: with the mismatch at tau = 1/100, a bump at 0 (about 2.0) and minima near +-65-80 deg
    (about 0.8 at +-75); at tau = 1 and 1/5 the minimum is at 0; without the mismatch always at 0."""
    d = six_pairs.PAPER_DELTAS
    assert d.size == 181 and d[0] == 90 and d[-1] == -90
    c = six_pairs.sphere_toy_curves(six_pairs.PAPER_TEMPERATURES)
    low = c[4]  # tau = 1/100
    assert low[d == 0][0] == pytest.approx(2.0, abs=0.05)
    assert low[d == 75][0] == pytest.approx(0.8, abs=0.05)
    pos, neg = d[d > 0][np.argmin(low[d > 0])], d[d < 0][np.argmin(low[d < 0])]
    assert 65 <= pos <= 80 and -80 <= neg <= -65
    assert c[3][d == 0][0] > c[3].min() + 0.1  # tau = 1/50: still a bump
    for row in c[:2]:
        assert d[np.argmin(row)] == 0
    for row in six_pairs.sphere_toy_curves(six_pairs.PAPER_TEMPERATURES, mismatched=False):
        assert d[np.argmin(row)] == 0


def test_stable_at_tiny_temperature():
    c = six_pairs.sphere_toy_curves([1e-3, 1e-4])
    assert np.all(np.isfinite(c))
    assert np.isfinite(six_pairs.sphere_toy_loss(3, 1e-3))


def test_signed_centroid_gap():
    assert six_pairs.sphere_toy_centroid_gap(0) == 0
    assert six_pairs.sphere_toy_centroid_gap(40) > 0 > six_pairs.sphere_toy_centroid_gap(-40)


@pytest.mark.parametrize("bad", [91, -90.5, float("nan"), "up", None])
def test_bad_delta(bad):
    with pytest.raises(ValueError, match="delta_theta_deg"):
        six_pairs.sphere_toy(bad)


def test_bad_temperature_and_flag():
    for tau in (0, -1, float("inf")):
        with pytest.raises(ValueError, match="temperature"):
            six_pairs.sphere_toy_loss(0, tau)
        with pytest.raises(ValueError, match="temperature"):
            six_pairs.sphere_toy_curves([tau])
    with pytest.raises(ValueError, match="mismatched"):
        six_pairs.sphere_toy(0, mismatched="yes")
    with pytest.raises(ValueError, match="delta_theta_deg"):
        six_pairs.sphere_toy_curves([1.0], deltas=[0, 120])
