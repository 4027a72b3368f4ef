"""modgap_edu.models.openclip: offline open_clip building, local-dir round trip, embedding helpers."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch

from modgap_edu.models import openclip

TINY = openclip.TINY_CONFIG


@pytest.fixture(scope="module")
def tiny():
    return openclip.build(TINY, seed=0)


def _tiny_images(n, size=64, seed=0):
    from PIL import Image

    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 256, (size + 10, size + 20, 3), dtype=np.uint8)) for _ in range(n)]


def test_custom_dict_config_builds(tiny):
    assert tiny.model.visual.image_size in (64, (64, 64))
    assert not tiny.model.training
    assert 6_500_000 < tiny.n_params < 7_500_000  # 49408*128 token table + small towers


def test_registered_name(monkeypatch):
    name = openclip.register_config("Tiny-CLIP-test", TINY)
    import open_clip

    assert name in open_clip.list_models()
    b = openclip.build(name, seed=1)
    assert b.name == "Tiny-CLIP-test"


def test_seed_controls_weights_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = openclip.build(TINY, seed=5)
    after = torch.rand(3)
    b = openclip.build(TINY, seed=5)
    c = openclip.build(TINY, seed=6)
    assert torch.equal(before, after)  # build() did not consume the global RNG
    sa, sb, sc = (m.model.state_dict() for m in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_builtin_config_random_init_offline():
    t0 = time.perf_counter()
    b = openclip.build("ViT-S-32-alt", seed=0)
    assert time.perf_counter() - t0 < 30
    emb = openclip.encode_texts(b, ["a photo of a cat", "a photo of a dog"])
    assert emb.shape == (2, b.model.text_projection.shape[1])


def test_local_dir_round_trip(tiny, tmp_path):
    folder = openclip.save_local_dir(tiny, tmp_path / "tiny_ckpt", model_cfg=TINY)
    assert (folder / "open_clip_model.safetensors").is_file()
    cfg = json.loads((folder / "open_clip_config.json").read_text())
    assert cfg["model_cfg"] == TINY
    reloaded = openclip.build(f"local-dir:{folder}", seed=99)  # seed must not matter: weights are loaded
    s0, s1 = tiny.model.state_dict(), reloaded.model.state_dict()
    assert s0.keys() == s1.keys() and all(torch.equal(s0[k], s1[k]) for k in s0)
    imgs = _tiny_images(3)
    np.testing.assert_array_equal(openclip.encode_images(tiny, imgs), openclip.encode_images(reloaded, imgs))


def test_local_dir_without_config(tmp_path):
    with pytest.raises(ValueError, match="open_clip_config.json"):
        openclip.build(f"local-dir:{tmp_path}")


def test_pretrained_tag_offline_fails_fast(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    openclip._open_clip()  # import cost is not what we time
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="local-dir"):
        openclip.build("ViT-B-32", pretrained="openai")
    assert time.perf_counter() - t0 < 5  # the download is attempted before the model is built


def test_unknown_pretrained_tag():
    with pytest.raises(ValueError, match="known tags: none"):
        openclip.build("ViT-S-32-alt", pretrained="openai")
    with pytest.raises(ValueError, match="laion2b"):
        openclip.build("ViT-B-32", pretrained="no-such-tag")


@pytest.mark.parametrize("bad", ["no-such-model", "", None, 3])
def test_bad_model_name(bad):
    with pytest.raises(ValueError):
        openclip.build(bad)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        openclip.build(TINY, seed=seed)


def test_bad_config_dict():
    with pytest.raises(ValueError, match="embed_dim"):
        openclip.register_config("broken", {"vision_cfg": {}})


# ------------------------------------------------------------------ embedding helpers
def test_encode_matches_manual_forward_and_is_batch_independent(tiny):
    imgs = _tiny_images(5)
    a = openclip.encode_images(tiny, imgs, batch_size=2)
    b = openclip.encode_images(tiny, imgs, batch_size=5)
    np.testing.assert_allclose(a, b, atol=1e-5)
    with torch.no_grad():
        raw = tiny.model.encode_image(torch.stack([tiny.preprocess(i) for i in imgs]))
    manual = (raw / raw.norm(dim=1, keepdim=True)).numpy()
    np.testing.assert_allclose(a, manual, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert a.dtype == np.float32


def test_encode_texts_strings_and_tokens_agree(tiny):
    texts = ["a red car", "two dogs", "a cup of coffee"]
    a = openclip.encode_texts(tiny, texts, batch_size=2)
    b = openclip.encode_texts(tiny, tiny.tokenizer(texts))
    np.testing.assert_allclose(a, b, atol=1e-6)
    raw = openclip.encode_texts(tiny, texts, normalize=False)
    np.testing.assert_allclose(raw / np.linalg.norm(raw, axis=1, keepdims=True), a, atol=1e-5)


def test_no_grad(tiny):
    out = openclip.encode_images(tiny, torch.randn(2, 3, 64, 64))
    assert isinstance(out, np.ndarray)  # a numpy array cannot carry a graph
    assert all(p.grad is None for p in tiny.model.parameters())


def test_noise_inputs_are_seeded(tiny):
    i1, t1 = openclip.noise_inputs(tiny, 4, seed=1)
    i2, t2 = openclip.noise_inputs(tiny, 4, seed=1)
    assert torch.equal(i1, i2) and torch.equal(t1, t2)
    assert i1.shape == (4, 3, 64, 64) and t1.shape == (4, 32)
    assert int(t1.min()) >= 0 and int(t1.max()) < 49408


@pytest.mark.parametrize("bad,match", [([], "empty"), ("one string", "list of strings"), ([1, 2], "strings")])
def test_encode_texts_bad_input(tiny, bad, match):
    with pytest.raises(ValueError, match=match):
        openclip.encode_texts(tiny, bad)


def test_encode_images_bad_input(tiny):
    with pytest.raises(ValueError, match="empty"):
        openclip.encode_images(tiny, [])
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        openclip.encode_images(tiny, torch.randn(3, 64, 64))
    with pytest.raises(ValueError, match="batch_size"):
        openclip.encode_images(tiny, _tiny_images(1), batch_size=0)
