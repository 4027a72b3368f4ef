"""modgap_edu.core.losses: CLIP loss against open_clip, Wang & Isola's official formulas, bad input."""

from __future__ import annotations

import math

import numpy as np
import open_clip
import pytest
import torch

from modgap_edu.core import losses as L


def pair(n=8, d=16, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=dtype), torch.randn(n, d, generator=g, dtype=dtype)


def unit(t):
    return t / t.norm(dim=1, keepdim=True)


@pytest.mark.parametrize("temperature", [1.0, 0.07, 0.01])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clip_loss_equals_open_clip(temperature, seed):
    x, y = pair(seed=seed, dtype=torch.float32)
    ref = open_clip.ClipLoss()(unit(x), unit(y), torch.tensor(1.0 / temperature))
    assert float(L.clip_loss(x, y, temperature)) == pytest.approx(float(ref), rel=1e-5)


def test_clip_loss_by_hand_two_pairs():
    # orthogonal matched pairs that coincide: s = I, logits = I / tau
    x = torch.eye(2, dtype=torch.float64)
    tau = 0.5
    expected = -math.log(math.exp(2) / (math.exp(2) + 1))
    for direction in ("both", "image_to_text", "text_to_image"):
        assert float(L.clip_loss(x, x, tau, direction)) == pytest.approx(expected)


def test_directions_differ_and_both_is_their_mean():
    x, y = pair(n=5, seed=3)
    i2t = L.clip_loss(x, y, 0.1, "image_to_text")
    t2i = L.clip_loss(x, y, 0.1, "text_to_image")
    assert float(i2t) != pytest.approx(float(t2i))
    assert float(L.clip_loss(x, y, 0.1)) == pytest.approx((float(i2t) + float(t2i)) / 2)
    # image->text over rows equals text->image with the roles swapped
    assert float(L.clip_loss(y, x, 0.1, "text_to_image")) == pytest.approx(float(i2t))


def test_clip_loss_is_differentiable_and_scale_invariant():
    x, y = pair(seed=4)
    x.requires_grad_(True)
    loss = L.clip_loss(x, y, 0.05)
    loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert float(L.clip_loss(3 * x.detach(), y, 0.05)) == pytest.approx(float(loss.detach()))


def test_clip_loss_stable_at_tiny_temperature():
    x, y = pair(seed=5, dtype=torch.float32)
    x.requires_grad_(True)
    loss = L.clip_loss(x, y, 1e-3)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()


def test_numpy_input_gives_same_value():
    x, y = pair(seed=6)
    assert float(L.clip_loss(x.numpy(), y.numpy(), 0.2)) == pytest.approx(float(L.clip_loss(x, y, 0.2)))


def official_align(x, y, alpha=2):
    return (x - y).norm(p=2, dim=1).pow(alpha).mean()


def official_uniform(x, t=2):
    return torch.pdist(x, p=2).pow(2).mul(-t).exp().mean().log()


@pytest.mark.parametrize("alpha", [1, 2, 3])
def test_align_loss_matches_wang_isola(alpha):
    x, y = pair(seed=7)
    assert float(L.align_loss(x, y, alpha)) == pytest.approx(float(official_align(unit(x), unit(y), alpha)))


@pytest.mark.parametrize("t", [0.5, 2, 5])
def test_uniform_loss_matches_wang_isola(t):
    x, _ = pair(n=20, d=3, seed=8)
    assert float(L.uniform_loss(x, t)) == pytest.approx(float(official_uniform(unit(x), t)), rel=1e-9)


def test_uniform_loss_by_hand_and_large_t():
    x = torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64)  # one pair, squared distance 4
    assert float(L.uniform_loss(x, t=2)) == pytest.approx(-8.0)
    # t = 500: exp(-2000) underflows in the naive formula; the log-sum-exp form stays exact
    assert float(L.uniform_loss(x, t=500)) == pytest.approx(-2000.0)
    assert math.isinf(float(official_uniform(x, t=500)))


def test_align_zero_for_identical_directions():
    x, _ = pair(seed=9)
    assert float(L.align_loss(x, 2 * x)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("tau", [0, -0.1, float("nan"), float("inf"), "hot"])
def test_bad_temperature(tau):
    x, y = pair()
    with pytest.raises(ValueError, match="temperature"):
        L.clip_loss(x, y, tau)


def test_bad_shapes_and_values():
    x, y = pair()
    with pytest.raises(ValueError, match="same number of rows"):
        L.clip_loss(x, y[:5])
    with pytest.raises(ValueError, match="same embedding dimension"):
        L.clip_loss(x, y[:, :3])
    with pytest.raises(ValueError, match="2-D"):
        L.clip_loss(x[0], y[0])
    with pytest.raises(ValueError, match="direction"):
        L.clip_loss(x, y, 0.1, direction="sideways")
    bad = x.clone()
    bad[2, 3] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        L.clip_loss(bad, y)
    zero = x.clone()
    zero[1] = 0
    with pytest.raises(ValueError, match="all-zero row"):
        L.align_loss(zero, y)
    with pytest.raises(ValueError, match="same number of rows"):
        L.align_loss(x, y[:4])
    with pytest.raises(ValueError, match="at least 2"):
        L.uniform_loss(x[:1])
    with pytest.raises(ValueError, match="alpha"):
        L.align_loss(x, y, alpha=0)
    with pytest.raises(ValueError, match="t must"):
        L.uniform_loss(x, t=-1)
    with pytest.raises(ValueError, match="at least 1"):
        L.clip_loss(np.zeros((0, 4)), np.zeros((0, 4)))


def test_tensor_temperature_receives_gradient():
    x, y = pair(seed=10)
    log_scale = torch.tensor(math.log(1 / 0.07), dtype=torch.float64, requires_grad=True)
    loss = L.clip_loss(x, y, 1.0 / log_scale.exp())
    loss.backward()
    assert log_scale.grad is not None and torch.isfinite(log_scale.grad)
    assert float(loss.detach()) == pytest.approx(float(L.clip_loss(x, y, 0.07)), rel=1e-9)
    with pytest.raises(ValueError, match="temperature"):
        L.clip_loss(x, y, torch.tensor(-0.1))
    with pytest.raises(ValueError, match="scalar"):
        L.clip_loss(x, y, torch.tensor([0.1, 0.2]))


@pytest.mark.parametrize(
    "dtype,scale", [(torch.float32, 1e20), (torch.float32, 1e-20), (torch.float64, 1e170), (torch.float64, 1e-170)]
)
def test_extreme_but_finite_magnitudes(dtype, scale):
    """Normalization must neither overflow nor underflow for finite inputs of any magnitude."""
    x, y = pair(dtype=dtype)
    for fn in (lambda a, b: L.clip_loss(a, b, 0.01), L.align_loss, lambda a, b: L.uniform_loss(a)):
        ref, got = float(fn(x, y)), float(fn(x * scale, y * scale))
        assert math.isfinite(got) and got == pytest.approx(ref, rel=1e-4)
