"""modgap_edu.data.sample_images: scikit-image's conversions give the pixels the course always used (lesson 02)."""

from __future__ import annotations

import numpy as np
import pytest

from modgap_edu.data import sample_images


def _reference(img: np.ndarray) -> np.ndarray:
    """The hand-written conversion that scikit-image's helpers replaced (lesson 02's numbers depend on it)."""
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    elif img.dtype.kind == "f":
        img = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    if img.shape[-1] == 4:
        alpha = img[..., 3:4].astype(np.float32) / 255
        img = np.round(img[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(img[..., :3].astype(np.uint8))


def _cases():
    rng = np.random.default_rng(0)
    edges = np.minimum(np.arange(1024) / 1020, 1).astype(np.float32)  # every rounding boundary of float -> uint8
    yield "float32 gray", edges.reshape(32, 32)
    yield "float64 rgb", rng.random((16, 16, 3))
    yield "uint8 gray", rng.integers(0, 256, (20, 30), dtype=np.uint8)
    yield "uint8 rgb", rng.integers(0, 256, (8, 9, 3), dtype=np.uint8)
    yield "bool", rng.random((7, 5)) > 0.5
    rgba = rng.integers(0, 256, (64, 64, 4), dtype=np.uint8)
    rgba[0, :, 3] = np.arange(64) * 4  # every kind of partial transparency
    yield "uint8 rgba", rgba
    yield "float32 rgba", rng.random((32, 32, 4)).astype(np.float32)


@pytest.mark.parametrize("label,img", list(_cases()), ids=[c[0] for c in _cases()])
def test_conversion_is_bit_identical_to_the_reference(label, img):
    out = sample_images._to_rgb_uint8(img)
    assert out.dtype == np.uint8 and out.shape == img.shape[:2] + (3,) and out.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(out, _reference(img))


def test_transparent_is_white_and_bool_is_black_and_white():
    rgba = np.zeros((4, 4, 4), dtype=np.float32)
    assert (sample_images._to_rgb_uint8(rgba) == 255).all()
    assert sample_images._to_rgb_uint8(np.array([[True, False]])).tolist() == [[[255] * 3, [0] * 3]]
