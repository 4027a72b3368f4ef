"""Tests for modgap_edu.core.shift (lesson 03; Liang et al. 2022, Sec. 4.2, Fig. 3a-d)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from modgap_edu.core import shift
from modgap_edu.data import liang_features


def unit(a):
    a = np.asarray(a, dtype=np.float64)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def cones(rng, n=60, d=8, sep=1.5):
    x = rng.standard_normal((n, d)) * 0.5 + np.eye(d)[0] * sep
    y = rng.standard_normal((n, d)) * 0.5 + np.eye(d)[1] * sep
    return x * rng.uniform(0.5, 2, (n, 1)), y * rng.uniform(0.5, 2, (n, 1))


# ------------------------------------------------------------------ shift_embeddings
def test_hand_computed_alpha_and_lam():
    x, y = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    # g = (1, -1); alpha = 0.5: x - g/2 = (0.5, 0.5) = y + g/2 -> both (1, 1)/sqrt2
    xs, ys = shift.shift_embeddings(x, y, alpha=0.5)
    np.testing.assert_allclose(xs, [[1 / math.sqrt(2)] * 2])
    np.testing.assert_allclose(ys, [[1 / math.sqrt(2)] * 2])
    # u = (1, -1)/sqrt2; lam = sqrt2 moves each side by (0.5, -0.5): the same point
    xs2, ys2 = shift.shift_embeddings(x, y, lam=math.sqrt(2))
    np.testing.assert_allclose(xs2, xs)
    np.testing.assert_allclose(ys2, ys)
    # alpha = 0.25: x - g/4 = (0.75, 0.25)
    xs3, _ = shift.shift_embeddings(x, y, alpha=0.25)
    np.testing.assert_allclose(xs3, [[0.75, 0.25] / np.hypot(0.75, 0.25)])


def test_zero_shift_only_normalizes(rng):
    x, y = cones(rng)
    for kw in ({"alpha": 0.0}, {"lam": 0.0}):
        xs, ys = shift.shift_embeddings(x, y, **kw)
        np.testing.assert_allclose(xs, unit(x), atol=1e-12)
        np.testing.assert_allclose(ys, unit(y), atol=1e-12)


@pytest.mark.parametrize("alpha", [-1.2, -0.3, 0.2, 0.5, 1.7])
def test_alpha_equals_lam_2_alpha_gapnorm(rng, alpha):
    x, y = cones(rng)
    g = unit(x).mean(0) - unit(y).mean(0)
    a = shift.shift_embeddings(x, y, alpha=alpha)
    b = shift.shift_embeddings(x, y, lam=shift.alpha_to_lam(alpha, np.linalg.norm(g)))
    np.testing.assert_allclose(a[0], b[0], atol=1e-12)
    np.testing.assert_allclose(a[1], b[1], atol=1e-12)


def test_rows_unit_and_direction_closes_gap(rng):
    x, y = cones(rng)
    gap0 = np.linalg.norm(unit(x).mean(0) - unit(y).mean(0))
    xs, ys = shift.shift_embeddings(x, y, lam=0.3)
    np.testing.assert_allclose(np.linalg.norm(xs, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(ys, axis=1), 1.0, atol=1e-12)
    assert np.linalg.norm(xs.mean(0) - ys.mean(0)) < gap0
    xw, yw = shift.shift_embeddings(x, y, lam=-0.3)
    assert np.linalg.norm(xw.mean(0) - yw.mean(0)) > gap0


def test_torch_input_and_gap_direction(rng):
    x, y = cones(rng)
    a = shift.shift_embeddings(torch.tensor(x), torch.tensor(y), alpha=0.3)
    b = shift.shift_embeddings(x, y, alpha=0.3)
    np.testing.assert_allclose(a[0], b[0])
    g, u = shift.gap_direction(x, y)
    np.testing.assert_allclose(g, unit(x).mean(0) - unit(y).mean(0))
    assert abs(np.linalg.norm(u) - 1) < 1e-12


@pytest.mark.parametrize("kw", [{"alpha": 0.1, "lam": 0.1}, {}, {"alpha": None, "lam": None}])
def test_exactly_one_of_alpha_lam(rng, kw):
    x, y = cones(rng)
    with pytest.raises(ValueError, match="exactly one"):
        shift.shift_embeddings(x, y, **kw)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "big", [0.1, 0.2]])
def test_bad_alpha_values(rng, bad):
    x, y = cones(rng)
    with pytest.raises(ValueError):
        shift.shift_embeddings(x, y, alpha=bad)


def test_bad_shapes_and_values(rng):
    x, y = cones(rng)
    with pytest.raises(ValueError, match="2-D"):
        shift.shift_embeddings(x[0], y, alpha=0.1)
    with pytest.raises(ValueError, match="same embedding dimension"):
        shift.shift_embeddings(x, y[:, :5], alpha=0.1)
    x_nan = x.copy()
    x_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        shift.shift_embeddings(x_nan, y, alpha=0.1)
    x0 = x.copy()
    x0[1] = 0
    with pytest.raises(ValueError, match="all-zero row"):
        shift.shift_embeddings(x0, y, alpha=0.1)
    with pytest.raises(ValueError, match="gap = 0"):
        shift.shift_embeddings(x, x, lam=0.5)
    with pytest.raises(ValueError, match="same number of rows"):
        shift.batched_clip_loss(x, y[:-1])


def test_shift_onto_origin_is_an_error():
    """x = (1, 0), y = (-1, 0): g = (2, 0), and alpha = 0.5 sends x to (0, 0), which has no direction."""
    with pytest.raises(ValueError, match="origin"):
        shift.shift_embeddings(np.array([[1.0, 0.0]]), np.array([[-1.0, 0.0]]), alpha=0.5)
    xs, ys = shift.shift_embeddings(np.array([[1.0, 0.0]]), np.array([[-1.0, 0.0]]), alpha=0.25)
    np.testing.assert_allclose(xs, [[1.0, 0.0]])  # (0.5, 0) renormalized
    np.testing.assert_allclose(ys, [[-1.0, 0.0]])


def test_images_only_shift(rng):
    x, y = cones(rng)
    g = unit(x).mean(0) - unit(y).mean(0)
    u = g / np.linalg.norm(g)
    xs, ys = shift.shift_images_only(x, y, 0.4)
    np.testing.assert_allclose(xs, unit(unit(x) - 0.4 * u), atol=1e-12)
    np.testing.assert_allclose(ys, unit(y), atol=1e-12)
    with pytest.raises(ValueError, match="lam"):
        shift.shift_images_only(x, y, float("nan"))


# ------------------------------------------------------------------ signed gap
def test_signed_gap_positive_unshifted_negative_when_crossed(rng):
    x, y = cones(rng)
    pc1 = shift.pc1_direction(x, y)
    gap0 = np.linalg.norm(unit(x).mean(0) - unit(y).mean(0))
    assert shift.signed_gap(x, y, pc1) == pytest.approx(gap0)
    xs, ys = shift.shift_embeddings(x, y, alpha=1.5)  # push past each other
    assert shift.signed_gap(xs, ys, pc1) < 0
    # PC1's orientation is a convention: the flipped PC1 is equally a principal axis, fitted sign restores it
    assert shift.signed_gap(x, y, -pc1) == pytest.approx(-gap0)
    with pytest.raises(ValueError, match="pc1 must have"):
        shift.signed_gap(x, y, pc1[:3])


def test_pc1_matches_sklearn(rng):
    from sklearn.decomposition import PCA

    x, y = cones(rng)
    pc1 = shift.pc1_direction(x, y)
    ref = PCA(1).fit(np.vstack([unit(x), unit(y)])).components_[0]
    assert abs(abs(pc1 @ ref) - 1) < 1e-8


# ------------------------------------------------------------------ batched loss
def official_notebook_loss(img, txt, tau, bs=50):
    """Independent re-implementation of Liang's calculate_val_loss, including its `.T` quirk; like the
    official loop over ``n // bs`` batches it skips a last short batch."""
    losses = []
    for s in range(0, len(img) - len(img) % bs, bs):
        a = torch.tensor(img[s : s + bs])
        b = torch.tensor(txt[s : s + bs])
        logits_per_image = (1 / tau) * a @ b.t()
        logits_per_text = logits_per_image.t()
        labels = torch.arange(len(a))
        loss = (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text.T, labels)) / 2
        losses.append(float(loss))
    return float(np.mean(losses))


def symmetric_loss(img, txt, tau, bs=50, drop_last=True):
    out = []
    for s in range(0, len(img) - (len(img) % bs if drop_last else 0), bs):
        z = img[s : s + bs] @ txt[s : s + bs].T / tau
        from scipy.special import logsumexp

        a = np.mean(logsumexp(z, axis=1) - np.diag(z))
        b = np.mean(logsumexp(z, axis=0) - np.diag(z))
        out.append((a + b) / 2)
    return float(np.mean(out))


@pytest.mark.parametrize("n", [120, 137])
@pytest.mark.parametrize("tau", [0.01, 0.3, 1.0])
def test_batched_loss_matches_official_code_and_symmetric(rng, n, tau):
    x, y = cones(rng, n=n)
    xn, yn = unit(x), unit(y)
    assert shift.batched_clip_loss(x, y, tau) == pytest.approx(official_notebook_loss(xn, yn, tau), rel=1e-10)
    assert shift.batched_clip_loss(x, y, tau, protocol="symmetric") == pytest.approx(
        symmetric_loss(xn, yn, tau), rel=1e-10
    )


def test_batched_loss_drops_the_last_short_batch_like_calculate_val_loss(rng):
    """Issue 11: N = 520 = 10 x 50 + 20. The official loss averages 10 batches; the 20 extra pairs only count
    with drop_last=False, which must then equal the mean over all 11 batches."""
    x, y = cones(rng, n=520)
    xn, yn = unit(x), unit(y)
    official = shift.batched_clip_loss(x, y, 0.01)
    assert official == pytest.approx(official_notebook_loss(xn[:500], yn[:500], 0.01), rel=1e-10)
    assert official == pytest.approx(shift.batched_clip_loss(x[:500], y[:500], 0.01), rel=1e-12)
    kept = shift.batched_clip_loss(x, y, 0.01, protocol="symmetric", drop_last=False)
    assert kept == pytest.approx(symmetric_loss(xn, yn, 0.01, drop_last=False), rel=1e-10)
    assert kept != pytest.approx(shift.batched_clip_loss(x, y, 0.01, protocol="symmetric"), rel=1e-6)
    land = shift.loss_landscape(x, y, temperatures=(0.01,), alphas=[0.0])
    assert land.loss["official"][0, 0] == pytest.approx(official, rel=1e-9)
    land_all = shift.loss_landscape(x, y, temperatures=(0.01,), alphas=[0.0], drop_last=False)
    assert land_all.loss["symmetric"][0, 0] == pytest.approx(kept, rel=1e-9)


def test_batched_loss_bad_input(rng):
    x, y = cones(rng)
    for tau in (0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            shift.batched_clip_loss(x, y, tau)
    with pytest.raises(ValueError, match="batch_size"):
        shift.batched_clip_loss(x, y, 0.01, batch_size=0)
    with pytest.raises(ValueError, match="protocol"):
        shift.batched_clip_loss(x, y, 0.01, protocol="both")


def test_stable_at_tiny_temperature(rng):
    x, y = cones(rng)
    for protocol in shift.PROTOCOLS:
        v = shift.batched_clip_loss(x, y, 1e-3, protocol=protocol)
        assert np.isfinite(v) and v >= 0
    land = shift.loss_landscape(x, y, temperatures=[1e-3], lams=[-2, 0, 2])
    assert np.all(np.isfinite(land.loss["official"])) and np.all(np.isfinite(land.loss["symmetric"]))


# ------------------------------------------------------------------ landscape
def test_landscape_matches_pointwise(rng):
    x, y = cones(rng, n=110)
    lams = [-1.0, 0.0, 0.5, 2.0]
    land = shift.loss_landscape(x, y, temperatures=[0.05, 1.0], lams=lams)
    pc1 = shift.pc1_direction(x, y)
    for k, lam in enumerate(lams):
        xs, ys = shift.shift_embeddings(x, y, lam=lam)
        assert land.signed_gap[k] == pytest.approx(shift.signed_gap(xs, ys, pc1))
        for t_i, tau in enumerate((0.05, 1.0)):
            assert land.loss["official"][t_i, k] == pytest.approx(shift.batched_clip_loss(xs, ys, tau), rel=1e-10)
            assert land.loss["symmetric"][t_i, k] == pytest.approx(
                shift.batched_clip_loss(xs, ys, tau, protocol="symmetric"), rel=1e-10
            )
    # a new temperature is computed on demand and cached
    new = land.loss_at(0.2, "symmetric")
    xs, ys = shift.shift_embeddings(x, y, lam=0.5)
    assert new[2] == pytest.approx(shift.batched_clip_loss(xs, ys, 0.2, protocol="symmetric"), rel=1e-10)
    assert 0.2 in land.temperatures


def test_landscape_default_grid_and_errors(rng):
    x, y = cones(rng)
    land = shift.loss_landscape(x, y, temperatures=[0.1])
    assert land.kind == "lam" and land.shifts.size == 40
    assert land.shifts[0] == -5.0 and land.shifts[-1] == 4.75
    with pytest.raises(ValueError, match="not both"):
        shift.loss_landscape(x, y, alphas=[0.1], lams=[0.1])
    with pytest.raises(ValueError, match="temperature"):
        shift.loss_landscape(x, y, temperatures=[0.0])
    with pytest.raises(ValueError, match="non-empty"):
        shift.loss_landscape(x, y, alphas=[])


# ------------------------------------------------------------------ the paper's claims on real CLIP features
@pytest.fixture(scope="module")
def real_clip(shared_data_dir, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("MODGAP_DATA_DIR", str(cache))
    mp.setenv("MODGAP_OFFLINE", "1")
    liang_features.seed_cache(shared_data_dir, cache, names=("clip",))
    try:
        yield liang_features.load_liang_features("clip")
    finally:
        mp.undo()


def test_liang_fig3_claims_on_real_clip(real_clip):
    """Liang Sec. 4.2: at tau = 1/100 the unshifted gap is the loss minimum (paper grid), with a second
    local minimum on the swapped side; at tau = 1 closing the gap lowers the loss."""
    x, y = real_clip
    land = shift.loss_landscape(x, y, temperatures=[0.01, 1.0])
    k0 = int(np.nonzero(land.shifts == 0)[0][0])
    for protocol in shift.PROTOCOLS:
        curve = land.loss_at(0.01, protocol)
        assert int(np.argmin(curve)) == k0
        local = [k for k in range(1, len(curve) - 1) if curve[k] < curve[k - 1] and curve[k] < curve[k + 1]]
        assert any(land.signed_gap[k] < -1.0 for k in local)  # the "back-to-back" minimum
        hot = land.loss_at(1.0, protocol)
        assert hot[k0 + 1] < hot[k0]  # closing by lam = 0.25 lowers the loss
        k_best = int(np.argmin(hot))
        assert abs(land.signed_gap[k_best]) < 0.5 * land.signed_gap[k0]
