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
    assert time.perf_counter() - t0 < 5  # decided before any model is built


@pytest.fixture
def no_hub(monkeypatch):
    """Any hub download or TCP connect fails the test: offline must not depend on env vars read at import."""
    import socket

    import huggingface_hub
    import open_clip.pretrained as ocp

    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("network used offline")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", forbidden)
    monkeypatch.setattr(ocp, "hf_hub_download", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # huggingface_hub is already imported: too late anyway
    monkeypatch.delenv("MODGAP_OFFLINE", raising=False)
    return calls


def test_offline_needs_no_env_var(no_hub):
    """Issue 10: the offline decision is passed, not set in os.environ after huggingface_hub was imported."""
    t0 = time.perf_counter()
    with pytest.raises(openclip.cache.DataUnavailable, match="not in the local Hugging Face cache"):
        openclip.build("ViT-B-32", pretrained="openai", allow_download=False)
    assert time.perf_counter() - t0 < 5
    assert no_hub == []


def test_allow_download_probes_once_then_fails(monkeypatch, no_hub):
    probes = []
    monkeypatch.setattr(openclip.cache, "network_available", lambda host, timeout=1.0: probes.append(timeout))
    with pytest.raises(openclip.cache.DataUnavailable, match="does not answer"):
        openclip.build("ViT-B-32", pretrained="openai")  # env unset: downloads allowed by default
    assert probes == [1.0] and no_hub == []


def _fake_hf_cache(root, repo, files: dict):
    """A Hugging Face cache layout (refs/main -> snapshots/<rev>/<file>) holding ``files``."""
    folder = root / ("models--" + repo.replace("/", "--"))
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("0123abcd")
    snap = folder / "snapshots" / "0123abcd"
    snap.mkdir(parents=True)
    for name, writer in files.items():
        writer(snap / name)


def test_cached_tag_loads_from_the_local_file(tiny, tmp_path, monkeypatch, no_hub):
    """A tag found in the HF cache is loaded from that file, with the tag's preprocessing, and no hub call."""
    import open_clip.pretrained as ocp
    from safetensors.torch import save_file

    name = openclip.register_config("Tiny-CLIP-tagged", TINY)
    mean, std = (0.1, 0.2, 0.3), (0.9, 0.8, 0.7)
    monkeypatch.setitem(ocp._PRETRAINED, name, {"fake": {"hf_hub": "modgap/tiny-test/", "mean": mean, "std": std}})
    state = {k: v.detach().contiguous().clone() for k, v in tiny.model.state_dict().items()}
    _fake_hf_cache(tmp_path, "modgap/tiny-test", {"open_clip_model.safetensors": lambda p: save_file(state, str(p))})
    bundle = openclip.build(name, pretrained="fake", allow_download=False, cache_dir=str(tmp_path))
    loaded = bundle.model.state_dict()
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    norm = [t for t in bundle.preprocess.transforms if type(t).__name__ == "Normalize"][0]
    assert tuple(norm.mean) == mean and tuple(norm.std) == std
    assert bundle.pretrained == "fake" and bundle.seed is None and no_hub == []


def test_checkpoint_file(tiny, tmp_path):
    name = openclip.register_config("Tiny-CLIP-ckpt", TINY)
    torch.save(tiny.model.state_dict(), tmp_path / "ckpt.pt")
    b = openclip.build(name, pretrained=str(tmp_path / "ckpt.pt"), seed=42)
    s0, s1 = tiny.model.state_dict(), b.model.state_dict()
    assert all(torch.equal(s0[k], s1[k]) for k in s0)
    with pytest.raises(ValueError, match="does not exist"):
        openclip.build(name, pretrained=str(tmp_path / "missing.pt"))


@pytest.mark.parametrize("tag", [None, "none", "None", "random", ""])
def test_random_init_spellings(tag):
    a = openclip.build(TINY, pretrained=tag, seed=4)
    b = openclip.build(TINY, seed=4)
    assert a.pretrained is None and a.seed == 4
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_local_dir_refuses_a_tag(tiny, tmp_path):
    folder = openclip.save_local_dir(tiny, tmp_path / "d", model_cfg=TINY)
    with pytest.raises(ValueError, match="carries its own weights"):
        openclip.build(f"local-dir:{folder}", pretrained="openai")


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


def test_encode_images_from_paths(tiny, tmp_path):
    imgs = _tiny_images(3)
    paths = []
    for i, im in enumerate(imgs):
        im.save(tmp_path / f"{i}.png")
        paths.append(tmp_path / f"{i}.png")
    seen = []
    a = openclip.encode_images(tiny, paths, batch_size=2, on_batch=seen.append)
    np.testing.assert_allclose(a, openclip.encode_images(tiny, imgs), atol=1e-6)
    assert seen == [2, 1]
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"could not read image .*bad\.png"):
        openclip.encode_images(tiny, [tmp_path / "bad.png"])


def test_embed_folder_uses_build_and_is_seeded(tmp_path):
    name = openclip.register_config("Tiny-CLIP-folder", TINY)
    for i, im in enumerate(_tiny_images(3)):
        im.save(tmp_path / f"img{i}.png")
    (tmp_path / "captions.tsv").write_text("img0.png\ta\nimg1.png\tb\nimg2.png\tc\nimg0.png\td\n")
    a = openclip.embed_folder(tmp_path, model=name, pretrained="none", seed=0, progress=False, batch_size=2)
    b = openclip.embed_folder(tmp_path, model=name, pretrained="none", seed=0, progress=False)
    c = openclip.embed_folder(tmp_path, model=name, pretrained="none", seed=1, progress=False)
    np.testing.assert_allclose(a["image"], b["image"], rtol=1e-5, atol=1e-5)  # batch sizes 2 vs 32: float noise
    np.testing.assert_array_equal(a["text"], b["text"])
    assert not np.allclose(a["image"], c["image"])
    assert a["text_to_image"].tolist() == [0, 1, 2, 0] and a["text"].shape == (4, 64)
    bundle = openclip.build(name, seed=0)
    np.testing.assert_allclose(
        a["text"], openclip.encode_texts(bundle, ["a", "b", "c", "d"], normalize=False), atol=1e-6
    )
