"""models.mad_clip's mechanism metrics (lesson 04 Sec. 4): alignment, uniformity, top-2 gap share, accuracy_all."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from modgap_edu.mad import dataset
from modgap_edu.models import mad_clip

OLD_KEYS = (
    "rmg",
    "l2m",
    "moad_image",
    "moad_text",
    "moad_image_attributes",
    "moad_text_attributes",
    "zero_shot_digit",
    "zero_shot_color",
    "zero_shot_attributes",
    "zero_shot_digit_full",
    "zero_shot_color_full",
    "temperature",
    "moad_image_by_factor",
    "zero_shot_by_factor",
)
NEW_KEYS = ("alignment", "uniformity_image", "uniformity_text", "top2_gap_share", "accuracy_all")


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path_factory.getbasetemp() / "mad_cache"))


@pytest.fixture(scope="module")
def tiny():
    model, _ = mad_clip.train_mad_clip(
        k=2, n_train=256, epochs=1, seed=0, source="sklearn", monitor=False, threads=1, batch_size=64
    )
    return model


def _unit(a):
    a = np.asarray(a, dtype=np.float64)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def _uniformity(a):
    a = _unit(a)
    d2 = ((a[:, None, :] - a[None, :, :]) ** 2).sum(-1)
    iu = np.triu_indices(len(a), 1)
    return float(logsumexp(-2 * d2[iu]) - np.log(len(iu[0])))


def _share2(x, y):
    g2 = (_unit(x).mean(0) - _unit(y).mean(0)) ** 2
    return float(np.sort(g2)[-2:].sum() / g2.sum())


def test_new_keys_match_an_independent_computation(tiny):
    n = 1200  # more than the uniformity subset, so the seeded subset is exercised
    ev = mad_clip.evaluate_mad(tiny, n=n, seed=3, source="sklearn", threads=1)
    assert set(NEW_KEYS) <= set(ev)
    ds = dataset.MADDataset("test", k=5, n=n, seed=3, source="sklearn")
    img, txt = mad_clip.embed_mad(tiny, ds)
    x, y = _unit(img), _unit(txt)
    assert ev["alignment"] == pytest.approx(float(((x - y) ** 2).sum(1).mean()), rel=1e-9)
    sub = np.sort(np.random.default_rng([3, 7]).choice(n, size=1000, replace=False))
    assert ev["uniformity_image"] == pytest.approx(_uniformity(img[sub]), rel=1e-9)
    assert ev["uniformity_text"] == pytest.approx(_uniformity(txt[sub]), rel=1e-9)
    assert ev["uniformity_image"] != pytest.approx(_uniformity(img[:1000]), rel=1e-9)  # the subset is seeded
    assert ev["top2_gap_share"] == pytest.approx(_share2(img, txt), rel=1e-9)
    zs = ev["zero_shot_by_factor"]
    assert set(zs) == set(dataset.FACTORS) and len(zs) == 6
    assert ev["accuracy_all"] == pytest.approx(float(np.mean(list(zs.values()))), rel=1e-12)
    assert 0 <= ev["alignment"] <= 4 and ev["uniformity_image"] <= 0 and ev["uniformity_text"] <= 0
    assert 2 / img.shape[1] <= ev["top2_gap_share"] <= 1


def test_old_keys_bit_identical_to_their_definitions(tiny, monkeypatch):
    ev = mad_clip.evaluate_mad(tiny, n=300, seed=1, source="sklearn", threads=1)
    monkeypatch.setattr(mad_clip, "mechanism_metrics", lambda *a, **k: {})
    old = mad_clip.evaluate_mad(tiny, n=300, seed=1, source="sklearn", threads=1)
    assert set(old) == set(OLD_KEYS) | {"accuracy_all"}
    for key in OLD_KEYS:
        assert ev[key] == old[key], key  # exact: the new metrics do not disturb the old ones
    ds = dataset.MADDataset("test", k=5, n=300, seed=1, source="sklearn")
    img, txt = mad_clip.embed_mad(tiny, ds)
    from modgap_edu.core import metrics

    assert ev["rmg"] == metrics.rmg(img, txt) and ev["l2m"] == metrics.l2m(img, txt)


def test_mechanism_metrics_small_cases_and_bad_input():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 8))
    near = x + 1e-4 * rng.normal(size=x.shape)
    m = mad_clip.mechanism_metrics(x, near, seed=0)
    assert 0 < m["alignment"] < 1e-6
    assert m["uniformity_image"] == pytest.approx(m["uniformity_text"], abs=1e-3)
    far = mad_clip.mechanism_metrics(x, rng.normal(size=x.shape), seed=0)
    assert far["alignment"] > 1.0  # independent directions: E||x - y||² = 2
    y = x.copy()
    y[:, 0] += 5.0  # a gap carried by one dimension -> most of L2M² in the top two
    assert mad_clip.top2_gap_share(x, y) > 0.9
    with pytest.raises(ValueError):
        mad_clip.top2_gap_share(x, x)  # no gap: the share is undefined
    with pytest.raises(ValueError):
        mad_clip.mechanism_metrics(x, x[:10])
    with pytest.raises(ValueError):
        mad_clip.mechanism_metrics(x, x, n_uniformity=1)
    with pytest.raises(ValueError):
        mad_clip.top2_gap_share(x[:, :1], y[:, :1])
