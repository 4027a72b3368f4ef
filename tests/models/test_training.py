"""modgap_edu.models.training (the one training and embed loop), models.mad_clip and the sweep reader (lessons 03-05)."""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from modgap_edu._runtime import threads
from modgap_edu.experiments import mad_sweep
from modgap_edu.mad import dataset
from modgap_edu.models import mad_clip, training
from modgap_edu.models.towers import BagOfWordsTower, MLPImageTower, SmallCLIP, clip_loss_scaled


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    # one cache for the whole module run, so the tiny renders are shared between tests
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "mad_cache"))


# ---------------------------------------------------------------- loop helpers


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
        return {
            "kind": kind,
            "k": kwargs.get("k"),
            "main_object": "digit",
            "seed": kwargs.get("seed", 0),
            "learnable_temperature": kwargs.get("learnable_temperature", True),
            "train_seconds": 1.0,
            "train_cpu_seconds": 1.0,
            **scalars,
            "history": [],
        }, object()

    monkeypatch.setattr(mad_sweep, "_run", fake_run)
    monkeypatch.setattr(mad_clip, "evaluate_mad", lambda model: scalars)
    monkeypatch.setattr(dataset, "MADDataset", lambda *a, **k: type("D", (), {"source": "test"})())
    data = mad_sweep.run(tmp_path / "s.json", seeds=(0,), parts=("finetune",), log=lambda s: None)
    assert calls == [("sweep", 5, False), ("finetune", 1, True), ("finetune", 1, True)]
    assert [r["kind"] for r in data["runs"]] == ["finetune", "finetune"]


# ---------------------------------------------------------------- the one loop: recipes as arguments


def _digit_like(seed: int = 0, n: int = 96, batch: int = 32, epochs: int = 3):
    g = torch.Generator().manual_seed(seed)
    images, tokens = torch.rand(n, 1, 8, 8, generator=g), torch.randint(1, 8, (n, 2), generator=g)
    perms = [torch.randperm(n, generator=g) for _ in range(epochs)]
    return lambda e: [(images[perms[e][s : s + batch]], tokens[perms[e][s : s + batch]]) for s in range(0, n, batch)]


def _digit_model():
    torch.manual_seed(3)
    return SmallCLIP(
        MLPImageTower(),
        BagOfWordsTower(8, embed_dim=32, word_dim=16, hidden=32),
        temperature=0.01,
        learnable_temperature=False,
    )


def test_adam_constant_recipe_is_the_plain_lesson03_loop():
    """train_clip(optimizer="adam", schedule="constant", loss=unit_clip_loss) is, bit for bit, the minimal
    loop lesson 03 had of its own (Adam 0.9/0.98/1e-6, no schedule, CE on scale * x @ y.T)."""
    batches = _digit_like()
    ref = _digit_model()
    ref_losses = []
    with threads.limited_threads(1):
        opt = torch.optim.Adam([p for p in ref.parameters() if p.requires_grad], lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
        labels = torch.arange(32)
        for e in range(3):
            total = 0.0
            for images, tokens in batches(e):
                x, y, scale = ref(images, tokens)
                logits = scale * x @ y.T
                loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
            ref_losses.append(total / 3)
    model = _digit_model()
    hist = training.train_clip(
        model,
        batches,
        3,
        lr=1e-3,
        weight_decay=0.0,
        optimizer="adam",
        betas=(0.9, 0.98),
        eps=1e-6,
        schedule="constant",
        loss=training.unit_clip_loss,
        progress=False,
        threads=1,
    )
    for (name, p), q in zip(ref.state_dict().items(), model.state_dict().values()):
        assert torch.equal(p, q), name
    assert [h["loss"] for h in hist] == pytest.approx(ref_losses, rel=1e-12)
    assert [h["temperature"] for h in hist] == pytest.approx([0.01] * 3, rel=1e-6)  # frozen tau stays
    # and the recipe matters: the default AdamW + warm-up/cosine recipe ends elsewhere
    other = _digit_model()
    training.train_clip(other, batches, 3, lr=1e-3, loss=training.unit_clip_loss, progress=False, threads=1)
    assert not torch.equal(other.image_tower.net[1].weight, model.image_tower.net[1].weight)


def test_unit_clip_loss_matches_clip_loss_scaled_on_unit_rows():
    g = torch.Generator().manual_seed(1)
    x = F.normalize(torch.randn(9, 6, generator=g, dtype=torch.float64), dim=1)
    y = F.normalize(torch.randn(9, 6, generator=g, dtype=torch.float64), dim=1)
    for scale in (1.0, 14.3, 100.0):
        s = torch.tensor(scale, dtype=torch.float64)
        torch.testing.assert_close(training.unit_clip_loss(x, y, s), clip_loss_scaled(x, y, s))


def test_bad_recipe_arguments():
    batches = _digit_like()
    for kwargs, match in (
        ({"optimizer": "sgd"}, "optimizer must be one of"),
        ({"schedule": "step"}, "schedule must be"),
        ({"threads": "auto"}, "'auto' was removed"),
        ({"threads": 0}, "threads must be a positive"),
    ):
        with pytest.raises(ValueError, match=match):
            training.train_clip(_digit_model(), batches, 1, progress=False, **kwargs)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        training.train_clip(_digit_model(), batches, 0)
    with pytest.raises(ValueError, match="no batches"):
        training.train_clip(_digit_model(), lambda e: [], 1, progress=False)


def test_embed_pairs_batches_unit_rows_eval_mode_restored():
    torch.manual_seed(0)
    m = SmallCLIP.build(10, embed_dim=8)
    images, tokens = torch.rand(10, 3, 12, 12), torch.randint(1, 10, (10, 3))
    bn = m.image_tower.features[1]
    running = bn.running_mean.clone()
    m.train()
    x1, y1 = training.embed_pairs(m, [(images, tokens)])
    assert m.training  # the caller's mode is restored
    x2, y2 = training.embed_pairs(m, [(images[:4], tokens[:4]), (images[4:], tokens[4:])])
    assert x1.dtype == np.float32 and x1.shape == (10, 8) and y1.shape == (10, 8)
    np.testing.assert_allclose(np.linalg.norm(x1, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(y1, axis=1), 1.0, atol=1e-6)
    # eval mode: batch composition does not matter and BatchNorm's statistics are untouched
    np.testing.assert_allclose(x1, x2, atol=1e-5)
    np.testing.assert_allclose(y1, y2, atol=1e-5)
    assert torch.equal(bn.running_mean, running)
    with pytest.raises(ValueError, match="no batches"):
        training.embed_pairs(m, [])


def test_embed_mad_checks_its_captions():
    ds = dataset.MADDataset("test", k=5, n=8, seed=0, source="sklearn", processes=1, verbose=False)
    m = SmallCLIP.build(len(mad_clip.mad_vocabulary()), embed_dim=8)
    m.vocab = mad_clip.mad_vocabulary()
    img, txt = mad_clip.embed_mad(m, ds, batch_size=3)
    img1, txt1 = mad_clip.embed_mad(m, ds, batch_size=8)
    np.testing.assert_allclose(img, img1, atol=1e-5)
    np.testing.assert_allclose(txt, txt1, atol=1e-5)
    with pytest.raises(ValueError, match="one caption per image"):
        mad_clip.embed_mad(m, ds, captions=ds.full_captions()[:3])


PROGRESS_SCRIPT = textwrap.dedent("""
    import sys, torch
    import tqdm.notebook
    from modgap_edu.models import training
    from modgap_edu.models.towers import BagOfWordsTower, MLPImageTower, SmallCLIP
    torch.manual_seed(0)
    m = SmallCLIP(MLPImageTower(in_pixels=4, hidden=4, embed_dim=4), BagOfWordsTower(3, embed_dim=4, word_dim=4, hidden=4))
    data = [(torch.rand(4, 4), torch.tensor([[1], [2], [1], [2]]))]
    training.train_clip(m, lambda e: data, 2, desc="BAR-LABEL", schedule="constant", progress=PROGRESS)
    print("notebook-disabled", tqdm.notebook.tqdm(total=1, display=False, **training._progress_kwargs(PROGRESS)).disable)
""")


@pytest.mark.parametrize(
    "tqdm_disable, progress, shown", [("1", None, False), (None, None, True), (None, False, False), ("1", True, True)]
)
def test_progress_none_defers_to_tqdms_own_env_switch(tqdm_disable, progress, shown):
    """``progress=None``: tqdm decides (``TQDM_DISABLE``), also for tqdm.notebook, which drops that env default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    if tqdm_disable is not None:
        env["TQDM_DISABLE"] = tqdm_disable
    out = subprocess.run(
        [sys.executable, "-c", PROGRESS_SCRIPT.replace("PROGRESS", repr(progress))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert ("BAR-LABEL" in out.stderr) is shown
    assert f"notebook-disabled {not shown}" in out.stdout


# ---------------------------------------------------------------- the thread policy reproduces a run (issue 14)


def _mad_like_run() -> tuple[dict, list, list]:
    """A tiny seeded MAD run (512 images, batch 64, 2 epochs): state, history, threads seen during training."""
    ds = dataset.MADDataset("train", k=2, n=512, seed=0, source="sklearn", processes=1, verbose=False)
    vocab = mad_clip.mad_vocabulary()
    torch.manual_seed(0)
    model = SmallCLIP.build(len(vocab), embed_dim=16, widths=(8, 16, 32), hidden=32, word_dim=32)
    seen = []

    def watch(epoch, m):
        from threadpoolctl import threadpool_info

        seen.append(
            (torch.get_num_threads(), sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}))
        )

    hist = training.train_clip(model, mad_clip._mad_batches(ds, vocab, 64, 0), 2, progress=False, on_epoch_end=watch)
    return {k: v.clone() for k, v in model.state_dict().items()}, [h["loss"] for h in hist], seen


def _busy_processes(n: int = 2) -> list:
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    import time

    time.sleep(0.5)  # let them occupy the cores
    assert all(p.poll() is None for p in procs)
    return procs


def test_seed_reproduces_a_run_idle_busy_and_after_other_torch_work():
    expected = threads.training_threads()
    state_a, loss_a, seen_a = _mad_like_run()
    procs = _busy_processes(2)
    try:
        state_b, loss_b, seen_b = _mad_like_run()
    finally:
        for p in procs:
            p.kill()
            p.wait()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(123)
        _ = torch.rand(300, 300) @ torch.rand(300, 300)  # other work, another thread count, the RNG consumed
        state_c, loss_c, seen_c = _mad_like_run()
        assert torch.get_num_threads() == 1  # train_clip restored the caller's setting
    finally:
        torch.set_num_threads(before)
    assert seen_a == seen_b == seen_c == [(expected, [expected])] * 2  # the policy, not the load, decides
    assert loss_a == loss_b == loss_c
    for key in state_a:
        assert torch.equal(state_a[key], state_b[key]) and torch.equal(state_a[key], state_c[key]), key
