"""Tests for modgap_edu.models.towers, train and mad_sweep (lesson 04)."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from modgap_edu.core import losses
from modgap_edu.mad import dataset
from modgap_edu.experiments import mad_sweep
from modgap_edu.models import training
from modgap_edu.models.towers import BagOfWordsTower, ImageTower, SmallCLIP, Vocabulary, clip_loss_scaled
from modgap_edu._runtime import threads
from modgap_edu.models import mad_clip


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    # one cache for the whole module run, so the tiny renders are shared between tests
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "mad_cache"))
    monkeypatch.setenv("MODGAP_PROGRESS", "0")


# ---------------------------------------------------------------- towers


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


def test_towers_shapes_and_bad_input():
    m = SmallCLIP.build(vocab_size=27, embed_dim=16)
    x = torch.rand(5, 3, 28, 28)
    tok = torch.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6], [7, 0, 0], [8, 9, 0]])
    img, txt, scale = m(x, tok)
    assert img.shape == (5, 16) and txt.shape == (5, 16)
    torch.testing.assert_close(img.norm(dim=1), torch.ones(5))
    assert math.isclose(m.temperature, 0.07, rel_tol=1e-6) and math.isclose(float(scale.detach()), 1 / 0.07, rel_tol=1e-6)
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


def test_logit_scale_gets_gradient_only_when_learnable():
    torch.manual_seed(0)
    for learnable in (True, False):
        m = SmallCLIP.build(27, learnable_temperature=learnable)
        x = torch.rand(4, 3, 28, 28)
        tok = torch.randint(1, 27, (4, 3))
        clip_loss_scaled(*m(x, tok)).backward()
        assert (m.log_logit_scale.grad is not None) == learnable


def test_logit_entropy_known_values():
    assert math.isclose(training.logit_entropy(torch.zeros(6, 6)), math.log(6), rel_tol=1e-6)
    assert training.logit_entropy(torch.eye(5) * 1000) < 1e-6
    z = torch.randn(4, 4)
    p = torch.softmax(z, 1)
    rows = float(-(p * p.log()).sum(1).mean())
    q = torch.softmax(z, 0)
    cols = float(-(q * q.log()).sum(0).mean())
    assert math.isclose(training.logit_entropy(z), (rows + cols) / 2, rel_tol=1e-5)


def test_schedule_warmup_then_cosine():
    vals = [training._schedule(s, 100, 10) for s in range(100)]
    assert vals[0] == pytest.approx(0.1) and vals[9] == pytest.approx(1.0)
    assert vals[10] == pytest.approx(1.0) and vals[-1] < 0.01
    assert all(a >= b for a, b in zip(vals[10:], vals[11:]))


# ---------------------------------------------------------------- training (bounded)


def _tiny(**kw):
    args = dict(k=2, n_train=256, epochs=1, seed=0, source="sklearn", monitor=False, threads=1, batch_size=64)
    args.update(kw)
    return mad_clip.train_mad_clip(**args)


def test_train_tiny_shapes_history_determinism():
    m1, h1 = _tiny()
    m2, h2 = _tiny()
    assert len(h1) == 1 and {"epoch", "loss", "temperature", "entropy", "seconds"} <= set(h1[0])
    assert h1[0]["loss"] == h2[0]["loss"]
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p, q)
    m3, h3 = _tiny(seed=1)
    assert h3[0]["loss"] != h1[0]["loss"]
    assert m1.mad_config["k"] == 2 and m1.mad_config["source"] == "sklearn"
    assert 0 < h1[0]["entropy"] <= math.log(64) + 1e-6


def test_frozen_temperature_stays_learnable_moves():
    m_frozen, h = _tiny(learnable_temperature=False)
    assert h[0]["temperature"] == pytest.approx(0.07, rel=1e-6)
    m_learn, h2 = _tiny(temperature_lr_scale=50.0)
    assert abs(h2[0]["temperature"] - 0.07) > 1e-4


def test_finetune_starts_from_a_copy():
    m, _ = _tiny()
    before = copy.deepcopy(m.state_dict())
    m2, _ = _tiny(init=m, k=1, learnable_temperature=False)
    for key, v in m.state_dict().items():
        assert torch.equal(v, before[key])  # the original is untouched
    assert m2.mad_config["finetuned"] and not m2.log_logit_scale.requires_grad


def test_evaluate_mad_keys_and_ranges():
    m, _ = _tiny()
    ev = mad_clip.evaluate_mad(m, n=200, seed=0, source="sklearn")
    for key in ("rmg", "l2m", "moad_image", "moad_text", "zero_shot_digit", "zero_shot_color"):
        assert key in ev and np.isfinite(ev[key])
    assert 0 < ev["rmg"] <= 1 and 0 <= ev["l2m"] <= 2
    assert -2 <= ev["moad_image"] <= 2
    for key in ("zero_shot_digit", "zero_shot_color", "zero_shot_digit_full", "zero_shot_color_full"):
        assert 0 <= ev[key] <= 1


def test_zero_shot_perfect_for_an_oracle():
    """A model whose image embedding IS its full-caption embedding gets 100 % zero-shot on every factor."""
    ds = dataset.MADDataset("test", k=5, n=120, seed=0, source="sklearn", processes=1, verbose=False)
    torch.manual_seed(0)
    m = SmallCLIP.build(len(mad_clip.mad_vocabulary()), embed_dim=32)
    m.vocab = mad_clip.mad_vocabulary()
    # one-hot word embeddings + a linear identity head make every word its own direction
    head = torch.nn.Linear(64, 32, bias=False)
    with torch.no_grad():
        m.text_tower.embedding.weight.zero_()
        m.text_tower.embedding.weight[1:27, :26] = torch.eye(26)
        head.weight.zero_()
        head.weight[:26, :26] = torch.eye(26)
    m.text_tower.head = head
    txt = mad_clip._text_embed(m, ds.full_captions()).numpy()
    for f in dataset.FACTORS:
        assert mad_clip.zero_shot_full(m, txt, ds.factors[f], f) == 1.0


def test_bad_training_arguments():
    with pytest.raises(ValueError, match="k must be"):
        mad_clip.train_mad_clip(k=9)
    with pytest.raises(ValueError, match="main_object"):
        mad_clip.train_mad_clip(main_object="texture")
    with pytest.raises(ValueError, match="n_train"):
        mad_clip.train_mad_clip(n_train=0)
    with pytest.raises(ValueError, match="smaller than one batch"):
        mad_clip.train_mad_clip(n_train=100)
    with pytest.raises(ValueError, match="epochs"):
        mad_clip.train_mad_clip(epochs=0)


# ---------------------------------------------------------------- shipped sweep


def test_shipped_sweep_is_complete_and_valid():
    data = mad_sweep.load_sweep()
    for k in mad_sweep.MODES:
        assert len(mad_sweep.runs(data, "sweep", k=k, main_object="digit")) == 3
    assert len(mad_sweep.runs(data, "presence")) == 3
    assert len(mad_sweep.runs(data, "finetune")) == 6
    assert len(mad_sweep.runs(data, "temperature")) == 8
    assert mad_sweep.asset_path().stat().st_size < 150_000


def test_validation_rejects_a_reversed_effect():
    data = mad_sweep.load_sweep()
    bad = copy.deepcopy(data)
    for r in bad["runs"]:
        if r["kind"] == "sweep" and r["k"] == 5 and r["seed"] == 0:
            r["moad_image"] = 5.0
    with pytest.raises(ValueError, match="MOAD_image"):
        mad_sweep.validate_sweep(bad)
    bad = copy.deepcopy(data)
    for r in bad["runs"]:
        if r["kind"] == "sweep" and r["k"] == 5 and r["seed"] == 1:
            r["rmg"] = 0.99
    with pytest.raises(ValueError, match="RMG"):
        mad_sweep.validate_sweep(bad)
    with pytest.raises(ValueError, match="no runs"):
        mad_sweep.validate_sweep({"runs": []})


@pytest.mark.slow
def test_effect_direction_small_runs():
    """Independent small runs (seed 7, 3,000 images, 3 epochs): k=1 has a larger gap and image MOAD than k=5."""
    out = {}
    for k in (1, 5):
        m, _ = mad_clip.train_mad_clip(k=k, n_train=3000, epochs=3, seed=7, source="sklearn", monitor=False)
        out[k] = mad_clip.evaluate_mad(m, n=1000, seed=7, source="sklearn")
    assert out[1]["rmg"] > out[5]["rmg"] + 0.05
    assert out[1]["moad_image"] > out[5]["moad_image"] + 0.1


def test_sweep_finetune_part_alone_trains_its_starting_point(tmp_path, monkeypatch):
    """`python -m modgap_edu.experiments.mad_sweep --parts finetune` must not depend on the `sweep` part."""
    calls = []
    scalars = {s: 0.5 for s in mad_sweep.SCALARS}

    def fake_run(kind, **kwargs):
        calls.append((kind, kwargs.get("k"), "init" in kwargs))
        return {"kind": kind, "k": kwargs.get("k"), "main_object": "digit", "seed": kwargs.get("seed", 0),
                "learnable_temperature": kwargs.get("learnable_temperature", True), "train_seconds": 1.0,
                "train_cpu_seconds": 1.0, **scalars, "history": []}, object()

    monkeypatch.setattr(mad_sweep, "_run", fake_run)
    monkeypatch.setattr(mad_clip, "evaluate_mad", lambda model: scalars)
    monkeypatch.setattr(dataset, "MADDataset", lambda *a, **k: type("D", (), {"source": "test"})())
    data = mad_sweep.run(tmp_path / "s.json", seeds=(0,), parts=("finetune",), log=lambda s: None)
    assert calls == [("sweep", 5, False), ("finetune", 1, True), ("finetune", 1, True)]
    assert [r["kind"] for r in data["runs"]] == ["finetune", "finetune"]


def test_release_memory_returns_heap_pages_on_glibc():
    import platform

    from modgap_edu._runtime.memory import release_memory

    blocks = [bytearray(64 * 1024) for _ in range(2000)]  # ~128 MB of small heap blocks, then freed
    del blocks
    assert release_memory() is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")


def test_auto_threads_follows_the_current_load(monkeypatch):
    import os

    busy = threads.busy_cores(interval=0.05)
    if os.path.exists("/proc/stat"):
        assert busy is not None and 0.0 <= busy <= (os.cpu_count() or 1) + 1e-9
    cores = os.cpu_count() or 1
    monkeypatch.setattr(threads, "busy_cores", lambda interval=0.25: 0.1)
    assert threads.auto_threads() == min(2, cores)
    monkeypatch.setattr(threads, "busy_cores", lambda interval=0.25: float(cores))
    assert threads.auto_threads() == 1
