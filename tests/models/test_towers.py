"""modgap_edu.models.towers: the small towers, SmallCLIP and the lesson-03 towers (MLP, rotated)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import ortho_group

from modgap_edu.core import losses
from modgap_edu.models import towers
from modgap_edu.models.towers import (
    BagOfWordsTower,
    ImageTower,
    MLPImageTower,
    RotatedTower,
    SmallCLIP,
    Vocabulary,
    clip_loss_scaled,
)


def test_vocabulary_encode_and_errors():
    v = Vocabulary(["3", "red", "no swelling"])
    t = v.encode(["3-red", "no swelling"])
    assert t.tolist() == [[1, 2], [3, 0]]
    assert v.encode(["3"], length=4).shape == (1, 4)
    with pytest.raises(ValueError, match="unknown word"):
        v.encode(["3-blue"])
    with pytest.raises(ValueError, match="list of captions"):
        v.encode("3-red")
    with pytest.raises(ValueError, match="separator"):
        Vocabulary(["a-b"])
    with pytest.raises(ValueError, match="shorter"):
        v.encode(["3-red"], length=1)
    with pytest.raises(ValueError, match="reserved"):
        Vocabulary(["<pad>"])


def test_towers_shapes_and_bad_input():
    m = SmallCLIP.build(vocab_size=27, embed_dim=16)
    x = torch.rand(5, 3, 28, 28)
    tok = torch.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6], [7, 0, 0], [8, 9, 0]])
    img, txt, scale = m(x, tok)
    assert img.shape == (5, 16) and txt.shape == (5, 16)
    torch.testing.assert_close(img.norm(dim=1), torch.ones(5))
    assert math.isclose(m.temperature, 0.07, rel_tol=1e-6) and math.isclose(
        float(scale.detach()), 1 / 0.07, rel_tol=1e-6
    )
    with pytest.raises(ValueError, match="images must have shape"):
        m.encode_image(torch.rand(5, 1, 28, 28))
    with pytest.raises(ValueError, match="no words"):
        m.encode_text(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="positive integer"):
        ImageTower(widths=(16, 0))
    with pytest.raises(ValueError, match="at least 2"):
        BagOfWordsTower(1)
    with pytest.raises(ValueError, match="temperature"):
        SmallCLIP.build(27, temperature=0)


def test_bag_of_words_is_order_free_and_ignores_padding():
    torch.manual_seed(0)
    t = BagOfWordsTower(10, embed_dim=4)
    a = t(torch.tensor([[1, 2, 3, 0]]))
    b = t(torch.tensor([[3, 1, 2, 0]]))
    c = t(torch.tensor([[2, 3, 1]]))
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a, c)


def test_clip_loss_scaled_equals_course_loss():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 5, generator=g, dtype=torch.float64), torch.randn(7, 5, generator=g, dtype=torch.float64)
    for tau in (0.01, 0.07, 1.0):
        ours = clip_loss_scaled(x, y, torch.tensor(1 / tau, dtype=torch.float64))
        ref = losses.clip_loss(x, y, temperature=tau)
        torch.testing.assert_close(ours, ref)


def test_logit_scale_gets_gradient_only_when_learnable_and_is_clamped():
    torch.manual_seed(0)
    for learnable in (True, False):
        m = SmallCLIP.build(27, learnable_temperature=learnable)
        x = torch.rand(4, 3, 28, 28)
        tok = torch.randint(1, 27, (4, 3))
        clip_loss_scaled(*m(x, tok)).backward()
        assert (m.log_logit_scale.grad is not None) == learnable
    m.set_temperature(1e-4)  # 1/tau = 10,000 is clamped at CLIP's 100
    assert float(m.logit_scale) == pytest.approx(towers.MAX_LOGIT_SCALE)


def test_mlp_image_tower_shapes_and_bad_sizes():
    torch.manual_seed(0)
    t = MLPImageTower()
    out = t(torch.rand(6, 1, 8, 8))
    assert out.shape == (6, 32)
    assert MLPImageTower(in_pixels=16, hidden=8, embed_dim=4)(torch.rand(2, 4, 4)).shape == (2, 4)
    with pytest.raises(ValueError, match="hidden must be a positive integer"):
        MLPImageTower(hidden=0)
    with pytest.raises(ValueError, match="embed_dim"):
        MLPImageTower(embed_dim=2.5)


def test_rotated_tower_keeps_norms_and_its_rotation_is_not_trained():
    torch.manual_seed(0)
    w = ortho_group.rvs(4, random_state=0)
    inner = BagOfWordsTower(6, embed_dim=4, word_dim=8, hidden=8)
    tower = RotatedTower(inner, w)
    tok = torch.tensor([[1, 2], [3, 0], [4, 5]])
    out = tower(tok)
    torch.testing.assert_close(out.norm(dim=1), inner(tok).norm(dim=1))
    assert all(p is not tower.w for p in tower.parameters())
    with pytest.raises(ValueError, match="square"):
        RotatedTower(inner, np.ones((4, 3)))
    with pytest.raises(ValueError, match="orthogonal"):
        RotatedTower(inner, np.eye(4) * 2)
