"""models.mad_clip's per-epoch mechanism probe and the large-gap start (lesson 04 Sec. 4)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modgap_edu.core import loss_terms, metrics
from modgap_edu.mad import dataset
from modgap_edu.models import mad_clip

TINY = dict(k=2, n_train=256, epochs=2, seed=0, source="sklearn", threads=1, batch_size=64)


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "mad_cache"))


def _probe(**kw):
    return mad_clip.mechanism_probe(k=2, seed=0, source="sklearn", n_train=256, n_batch=128, batch_size=64, **kw)


def test_probe_leaves_the_run_unchanged_and_adds_epoch_zero():
    m0, h0 = mad_clip.train_mad_clip(**TINY)
    m1, h1 = mad_clip.train_mad_clip(**TINY, probe=_probe())
    assert [h["loss"] for h in h0] == [h["loss"] for h in h1[1:]]  # bit for bit
    for p, q in zip(m0.parameters(), m1.parameters()):
        assert torch.equal(p, q)
    assert [h["epoch"] for h in h1] == [0, 1, 2] and "loss" not in h1[0]
    for h in h1:
        assert h["loss_total"] == pytest.approx(h["loss_matched"] + h["loss_logsumexp"], rel=1e-12)
    assert h1[1]["rmg"] == h0[0]["rmg"]  # the probe's test-split RMG is the monitor's


def test_probe_terms_match_an_independent_computation():
    m, _ = mad_clip.train_mad_clip(**TINY, monitor=False)
    rec = _probe()(2, m)
    train = dataset.MADDataset("train", k=2, n=256, seed=0, source="sklearn")
    train.set_epoch(0)
    with torch.no_grad():
        x = m.encode_image(mad_clip.normalize_images(train.images(np.arange(128)))).double().numpy()
        y = m.encode_text(m.vocab.encode(train.captions[:128], length=6)).double().numpy()
    x, y = metrics.unit_rows(x), metrics.unit_rows(y)
    z = [x[b : b + 64] @ y[b : b + 64].T / m.temperature for b in (0, 64)]
    matched = -np.mean([np.mean(np.diag(zz)) for zz in z])
    assert rec["loss_matched"] == pytest.approx(matched, rel=1e-6)
    ref = loss_terms.clip_loss_terms(x, y, temperature=m.temperature, batch_size=64)
    assert rec["loss_logsumexp"] == pytest.approx(ref.logsumexp, rel=1e-6)
    assert rec["train_alignment"] == pytest.approx(float(np.mean(np.sum((x - y) ** 2, 1))), rel=1e-6)
    test = dataset.MADDataset("test", k=5, n=2000, seed=0, source="sklearn")
    img, txt = mad_clip.embed_mad(m, test)
    assert rec["alignment"] == pytest.approx(mad_clip.mechanism_metrics(img, txt, seed=0)["alignment"], rel=1e-9)


def test_text_offset_opens_the_gap_at_epoch_zero():
    _, plain = mad_clip.train_mad_clip(**{**TINY, "epochs": 1}, probe=_probe())
    _, far = mad_clip.train_mad_clip(**{**TINY, "epochs": 1}, probe=_probe(), text_offset=3.0)
    assert plain[0]["l2m"] < 1.5 < 1.8 < far[0]["l2m"]  # the cones start on opposite sides of the sphere
    assert far[0]["uniformity_text"] > plain[0]["uniformity_text"]  # the captions start bunched near u


def test_bad_probe_and_offset_arguments():
    with pytest.raises(TypeError):
        mad_clip.train_mad_clip(**TINY, probe="alignment")
    with pytest.raises(ValueError):
        mad_clip.train_mad_clip(**TINY, text_offset=-1.0)
    m, _ = mad_clip.train_mad_clip(**{**TINY, "epochs": 1}, monitor=False)
    with pytest.raises(ValueError):
        mad_clip.train_mad_clip(**TINY, init=m, text_offset=1.0)
    with pytest.raises(ValueError):
        mad_clip.mechanism_probe(k=2, source="sklearn", n_train=256, n_batch=10, batch_size=64)
    vec = mad_clip.offset_towers(m, 1.5, seed=0)
    assert np.linalg.norm(vec) == pytest.approx(1.5, rel=1e-6)


def test_caption_floor_counts_copies_and_bounds_the_loss():
    caps = ["3"] * 3 + ["4"] + ["5"] * 2 + ["6", "7"]
    assert mad_clip.caption_floor(caps, batch_size=4) == pytest.approx((3 * np.log(3) + 2 * np.log(2)) / 8)
    assert mad_clip.caption_floor(["a", "b", "c", "d", "a"], batch_size=4) == 0.0  # the short last batch is dropped
    # no embedding beats the floor: random unit rows with one text row per distinct caption
    rng = np.random.default_rng(0)
    caps = [str(d) for d in rng.integers(0, 3, size=64)]
    txt_of = {c: rng.normal(size=8) for c in set(caps)}
    for scale in (1.0, 30.0):
        x = rng.normal(size=(64, 8))
        y = np.stack([txt_of[c] for c in caps])
        terms = loss_terms.clip_loss_terms(x, y, temperature=1 / scale, batch_size=32)
        assert terms.total >= mad_clip.caption_floor(caps, batch_size=32) - 1e-9
    y = np.stack([txt_of[c] for c in caps])  # images on their caption's text row, tau -> 0: the floor is reached
    assert loss_terms.clip_loss_terms(y, y, temperature=1e-3, batch_size=32).total == pytest.approx(
        mad_clip.caption_floor(caps, batch_size=32), abs=1e-6
    )
    with pytest.raises(ValueError):
        mad_clip.caption_floor(["a"] * 3, batch_size=4)
    with pytest.raises(TypeError):
        mad_clip.caption_floor([1, 2, 3, 4], batch_size=4)
