"""Tests for modgap_edu.core.procrustes and modgap_edu.experiments.init_vs_opt (lesson 03; Liang et al. 2022, Sec. 4.4)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.linalg import orthogonal_procrustes
from scipy.stats import ortho_group

from modgap_edu.core import metrics, procrustes
from modgap_edu.experiments import init_vs_opt as I
from modgap_edu.models import towers


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_recovers_a_known_rotation(rng):
    x = unit(rng.standard_normal((50, 6)) + 1.0)
    r = ortho_group.rvs(6, random_state=1)
    y = x @ r  # texts = images rotated
    w = procrustes.procrustes_rotation(x, y)
    np.testing.assert_allclose(procrustes.apply_rotation(y, w), x, atol=1e-10)
    np.testing.assert_allclose(w, r, atol=1e-10)  # y W^T = x r W^T = x  <=>  W = r


def test_matches_scipy_and_is_orthogonal(rng):
    x = rng.standard_normal((80, 7)) * rng.uniform(0.5, 2, (80, 1))
    y = rng.standard_normal((80, 7)) + 0.5
    w = procrustes.procrustes_rotation(x, y)
    np.testing.assert_allclose(w @ w.T, np.eye(7), atol=1e-10)
    r_scipy, _ = orthogonal_procrustes(unit(y), unit(x))  # argmin_R ||Y R - X||
    np.testing.assert_allclose(w.T, r_scipy, atol=1e-8)


def test_is_optimal_against_random_rotations(rng):
    x, y = rng.standard_normal((40, 5)), rng.standard_normal((40, 5)) + 1
    w = procrustes.procrustes_rotation(x, y)
    best = np.linalg.norm(unit(y) @ w.T - unit(x))
    for r in ortho_group.rvs(5, size=200, random_state=3):
        assert np.linalg.norm(unit(y) @ r - unit(x)) >= best - 1e-12


def test_row_scaling_does_not_matter(rng):
    x, y = rng.standard_normal((30, 4)), rng.standard_normal((30, 4))
    w1 = procrustes.procrustes_rotation(x, y)
    w2 = procrustes.procrustes_rotation(x * rng.uniform(0.1, 9, (30, 1)), y * 3.0)
    np.testing.assert_allclose(w1, w2, atol=1e-10)


def test_closes_a_cone_gap(rng):
    """Two separate cones: after the rotation the centroids (almost) coincide, as in Liang's amended init."""
    x = rng.standard_normal((200, 16)) * 0.3 + np.eye(16)[0] * 2
    y = rng.standard_normal((200, 16)) * 0.3 + np.eye(16)[1] * 2
    w = procrustes.procrustes_rotation(x, y)
    assert metrics.l2m(x, y) > 1.0
    assert metrics.l2m(x, procrustes.apply_rotation(unit(y), w)) < 0.1


def test_bad_input(rng):
    x, y = rng.standard_normal((10, 4)), rng.standard_normal((10, 4))
    with pytest.raises(ValueError, match="same embedding dimension"):
        procrustes.procrustes_rotation(x, y[:, :3])
    with pytest.raises(ValueError, match="same number of rows"):
        procrustes.procrustes_rotation(x, y[:5])
    with pytest.raises(ValueError, match="2-D"):
        procrustes.procrustes_rotation(x[0], y)
    with pytest.raises(ValueError, match="square"):
        procrustes.apply_rotation(y, np.eye(3))
    with pytest.raises(ValueError, match="orthogonal"):
        towers.RotatedTower(torch.nn.Identity(), np.eye(4) * 2)


def test_rotated_tower_is_fixed(rng):
    w = ortho_group.rvs(4, random_state=0)
    lin = torch.nn.Linear(3, 4)
    tower = towers.RotatedTower(lin, w)
    inp = torch.randn(5, 3)
    out = tower(inp)
    torch.testing.assert_close(out, lin(inp) @ torch.tensor(w, dtype=torch.float32).T)
    assert "w" not in dict(tower.named_parameters())  # a buffer, never trained


# ------------------------------------------------------------------ init vs optimization
def test_digit_pairs_deterministic_and_captioned():
    tr, te, vocab = I.digit_pairs(seed=0)
    tr2, te2, _ = I.digit_pairs(seed=0)
    assert len(tr.images) == 1347 and len(te.images) == 450
    assert tr.images.shape[1:] == (1, 8, 8) and float(tr.images.max()) <= 1.0
    assert tr.captions == tr2.captions and torch.equal(te.tokens, te2.tokens)
    assert all(c.split("-")[0] in I.DIGIT_WORDS and c.split("-")[1] in I.INK_WORDS for c in tr.captions)
    # ink terciles of the training split: each level about a third
    levels = [c.split("-")[1] for c in tr.captions]
    for w in I.INK_WORDS:
        assert 0.28 < levels.count(w) / len(levels) < 0.39


def test_amended_init_has_smaller_gap_and_rotation_is_applied():
    tr, te, vocab = I.digit_pairs()
    model = I.build_model(len(vocab), seed=0)
    x0, y0 = I.embed(model, te)
    w = I.amend(model, tr)
    x1, y1 = I.embed(model, te)
    np.testing.assert_allclose(x1, x0, atol=1e-6)  # images untouched
    np.testing.assert_allclose(y1, y0 @ w.T, atol=1e-5)  # texts rotated by the fixed W
    assert metrics.l2m(x1, y1) < 0.5 * metrics.l2m(x0, y0)


def test_short_run_is_deterministic():
    a = I.run(seed=1, variant="amended", epochs=2)
    b = I.run(seed=1, variant="amended", epochs=2)
    assert a.gap_init == b.gap_init and a.gap_trained == b.gap_trained and len(a.gap_per_epoch) == 2
    assert a.gap_per_epoch[-1] == pytest.approx(a.gap_trained, abs=1e-4)
    with pytest.raises(ValueError, match="variant"):
        I.run(variant="fixed")
    with pytest.raises(ValueError, match="epochs"):
        I.run(epochs=0)


def test_asset_is_consistent():
    doc = I.load_asset()
    res = doc["results"]
    seeds = {r["seed"] for r in res}
    assert len(seeds) >= 2
    assert {r["variant"] for r in res} == {"original", "amended"}
    assert all(len(r["gap_per_epoch"]) == doc["epochs"] for r in res)
    again = I.summarize(res)
    for key, stats in doc["summary"].items():
        assert again[key]["mean"] == pytest.approx(stats["mean"])
    assert doc["command"].startswith("python -m modgap_edu.experiments.init_vs_opt")
    json.dumps(doc)


def test_paper_table_ci_definition():
    """papers.md Sec. 1.9: the paper's +- is t_{0.975,2} * s / sqrt(3); e.g. 1.1891 +- 0.0017."""
    rows = [
        {"variant": v, "gap_init": g0, "gap_trained": g1}
        for v in ("original", "amended")
        for g0, g1 in zip(I.PAPER[v]["init"], I.PAPER[v]["trained"])
    ]
    s = I.summarize(rows)
    assert s["original.gap_init"]["mean"] == pytest.approx(1.1891, abs=1e-4)
    assert s["original.gap_init"]["ci95"] == pytest.approx(0.0017, abs=1e-4)
    assert s["original.gap_trained"]["ci95"] == pytest.approx(0.0389, abs=2e-4)
    assert s["amended.gap_trained"]["mean"] == pytest.approx(0.7457, abs=1e-4)


def test_lesson_features_real_or_plainly_labelled_fallback(tmp_path, monkeypatch, shared_data_dir):
    from modgap_edu.data import liang_features

    monkeypatch.setenv("MODGAP_OFFLINE", "1")
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path / "empty"))
    fs = I.real_or_trained_features("clip", epochs=1)
    assert not fs.is_real and fs.source.startswith("FALLBACK") and "not OpenAI CLIP" in fs.source
    assert "not cached" in fs.reason
    assert fs.image.shape == (450, 32) and fs.text.shape == (450, 32)
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path / "seeded"))
    liang_features.seed_cache(shared_data_dir, tmp_path / "seeded", names=("clip",))
    fs = I.real_or_trained_features("clip")
    assert fs.is_real and fs.source.startswith("REAL") and fs.image.shape == (500, 512)
