"""experiments.retrieval_shift: R@1 and zero-shot accuracy vs Liang's lam shift (Table 1)."""

import numpy as np
import pytest

from modgap_edu.core import dimensions, shift
from modgap_edu.experiments import retrieval_shift as R


def _pairs(n=80, d=12, seed=0):
    rng = np.random.default_rng(seed)
    b = rng.normal(size=(n, d))
    return b + 1.5 + 0.5 * rng.normal(size=(n, d)), b - 1.5 + 0.5 * rng.normal(size=(n, d))


def test_retrieval_curve_matches_direct_computation():
    x, y = _pairs()
    cur = R.retrieval_vs_shift(x, y, lams=[-1.0, 0.0, 0.5])
    assert cur.default("i2t") == dimensions.retrieval_recall(x, y, 1, "i2t")
    xs, ys = shift.shift_embeddings(x, y, lam=0.5)
    assert cur.scores["t2i"][2] == dimensions.retrieval_recall(xs, ys, 1, "t2i")
    assert cur.scores["gap"][2] < cur.scores["gap"][1] < cur.scores["gap"][0]  # lam > 0 closes the gap
    lam, best = cur.best("i2t")
    assert best == cur.scores["i2t"].max() and lam in cur.lams
    gains = cur.helps("i2t")
    assert gains["close (lam > 0)"] == pytest.approx(cur.scores["i2t"][2] - cur.default("i2t"))


def test_zero_shot_curve():
    rng = np.random.default_rng(1)
    classes = rng.normal(size=(5, 12))
    labels = rng.integers(0, 5, size=100)
    images = classes[labels] + 0.8 * rng.normal(size=(100, 12)) + 2.0
    zs = R.zero_shot_vs_shift(images, classes, labels, lams=[-0.5, 0.0, 0.5])
    assert zs.default("accuracy") == dimensions.zero_shot_accuracy(images, classes, labels)
    assert len(zs.scores["accuracy"]) == 3


def test_default_grid_is_liangs_and_zero_is_required():
    assert len(R.LAMS) == 40 and R.LAMS[0] == -5.0 and 0.0 in R.LAMS
    x, y = _pairs(n=10)
    with pytest.raises(ValueError, match="contain 0"):
        R.retrieval_vs_shift(x, y, lams=[0.5])
    with pytest.raises(ValueError, match="lams"):
        R.retrieval_vs_shift(x, y, lams=[])
