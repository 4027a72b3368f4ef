"""Lesson 02 inputs: the bundled image-caption pairs and the shipped Fig. 2c embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from modgap_edu.data import sample_images
from modgap_edu.experiments import random_init_cones


@pytest.fixture(scope="module")
def samples():
    return sample_images.load_sample_images()


def test_bundled_images_load_offline(samples):
    assert len(samples) == len(sample_images.CATALOGUE) == 25
    for s in samples:
        assert s.pixels.dtype == np.uint8 and s.pixels.ndim == 3 and s.pixels.shape[2] == 3
        assert min(s.pixels.shape[:2]) <= 256
        assert s.to_pil().mode == "RGB"
        assert len(s.caption.split()) >= 4
    assert len({s.caption for s in samples}) == 25 and len({s.name for s in samples}) == 25
    # not blank: every photo has some contrast
    assert all(s.pixels.std() > 5 for s in samples)


def test_rgba_and_bool_conversion():
    rgba = np.zeros((4, 4, 4), dtype=np.float32)
    rgba[..., 3] = 0.0  # fully transparent -> white
    out = sample_images._to_rgb_uint8(rgba)
    assert out.shape == (4, 4, 3) and (out == 255).all()
    assert sample_images._to_rgb_uint8(np.array([[True, False]])).tolist() == [[[255] * 3, [0] * 3]]


@pytest.mark.parametrize("n", [0, 26, 2.0, True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must"):
        sample_images.load_sample_images(n)


def test_shipped_cones_asset():
    cones = random_init_cones.load()
    img, txt, meta = cones["image"], cones["text"], cones["meta"]
    assert img.shape == txt.shape == (len(meta["seeds"]), 25, 256)
    assert meta["model"] == "ViT-S-32-alt" and meta["names"] == [n for _, n, _ in sample_images.CATALOGUE]
    np.testing.assert_allclose(np.linalg.norm(img, axis=2), 1.0, atol=3e-3)  # float16 storage
    assert random_init_cones.ASSET.stat().st_size < 300_000


@pytest.mark.slow
def test_shipped_cones_match_a_live_run():
    """Re-run seed 1 live (one model build) and compare it with the shipped embeddings."""
    live = random_init_cones.compute(seeds=(1,))
    shipped = random_init_cones.load()
    np.testing.assert_allclose(live["image"][0], shipped["image"][1], atol=2e-3)
    np.testing.assert_allclose(live["text"][0], shipped["text"][1], atol=2e-3)
