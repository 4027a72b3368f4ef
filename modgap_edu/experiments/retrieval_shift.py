"""Retrieval and zero-shot accuracy as the gap is shifted (lesson 03; Liang et al. 2022, Table 1, Sec. 5.1).

papers.md Sec. 1.11. Liang shift both modalities along the unit gap direction u = normalize(mean(x_hat) -
mean(y_hat)): x' = normalize(x_hat - lam/2 u), y' = normalize(y_hat + lam/2 u), lam in ``np.arange(-5, 5, 0.25)``
(lam > 0 closes the gap, lam < 0 widens it), and report the best top-1 accuracy over lam next to the default (lam = 0).
Their Table 1 finds that *either* direction can help a little, depending on the dataset.

Here, cheap enough to compute live (nothing is shipped):

* ``retrieval_vs_shift``: image->text and text->image R@1 (``core.dimensions.retrieval_recall``) on matched pairs,
  e.g. Liang's 500 real COCO pairs (``data.liang_features.load_liang_features("clip")``);
* ``zero_shot_vs_shift``: zero-shot accuracy (``core.dimensions.zero_shot_accuracy``) with class embeddings,
  the direction u computed on the dataset itself (the EuroSAT cell of ``shift_features.ipynb``);
* ``digit_zero_shot_features``: the course's own small CLIP (``experiments.init_vs_opt``) trained on digits;
  a digit's class embedding is the normalized mean of its three caption embeddings ("seven-light", "-medium",
  "-heavy"), i.e. prompt ensembling as in CLIP (Radford et al. 2021), since the model never saw a one-word caption.

``python -m modgap_edu.experiments.retrieval_shift`` prints the tables of the lesson 03 report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from modgap_edu.core import dimensions, shift

LAMS = shift.PAPER_LAMBDAS  # np.arange(-5, 5, 0.25), as in Liang's shift_features.ipynb

# Liang et al. 2022, Table 1 (CLIP ViT-B/16): default gap -> best modified gap, and the direction of the change
PAPER_TABLE1 = {
    "CIFAR10": (0.9013, 0.9081, "increase gap"),
    "CIFAR100": (0.6658, 0.6737, "decrease gap"),
    "EuroSAT": (0.5410, 0.5645, "decrease gap"),
    "SVHN": (0.5389, 0.5396, "increase gap"),
    "HatefulMemes": (0.5800, 0.5811, "increase gap"),
}


def _lams(lams: Any) -> np.ndarray:
    arr = np.asarray(LAMS if lams is None else lams, dtype=np.float64).reshape(-1)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"lams must be a non-empty sequence of finite numbers, got {lams!r}.")
    if not np.any(arr == 0.0):
        raise ValueError("lams must contain 0 (the default, unshifted embeddings) to compare against.")
    return arr


@dataclass
class ShiftCurve:
    """Lesson 03: one score per lam (``scores[name]``), with the default (lam = 0) and the best lam."""

    lams: np.ndarray
    scores: dict

    def default(self, name: str) -> float:
        """The score at lam = 0."""
        return float(self.scores[name][int(np.nonzero(self.lams == 0.0)[0][0])])

    def best(self, name: str) -> tuple[float, float]:
        """(lam, score) of the best score (the first lam if tied; Liang report the best over lam)."""
        k = int(np.argmax(self.scores[name]))
        return float(self.lams[k]), float(self.scores[name][k])

    def worst(self, name: str) -> tuple[float, float]:
        """(lam, score) of the lowest score."""
        k = int(np.argmin(self.scores[name]))
        return float(self.lams[k]), float(self.scores[name][k])

    def helps(self, name: str) -> dict:
        """Does closing (lam > 0) or widening (lam < 0) the gap beat the default? Best gain on each side."""
        s, d = np.asarray(self.scores[name]), self.default(name)
        return {
            "close (lam > 0)": float(s[self.lams > 0].max() - d) if np.any(self.lams > 0) else float("nan"),
            "widen (lam < 0)": float(s[self.lams < 0].max() - d) if np.any(self.lams < 0) else float("nan"),
        }


def retrieval_vs_shift(image_emb: Any, text_emb: Any, lams: Optional[Sequence[float]] = None) -> ShiftCurve:
    """Lesson 03: image->text and text->image R@1 of matched pairs after Liang's symmetric lam shift.

    Parameters
    ----------
    image_emb, text_emb : array-like, shape (N, D)
        Matched pairs (row i <-> row i).
    lams : sequence of float, optional
        Shifts in Liang's unit-vector form; default ``np.arange(-5, 5, 0.25)``; must contain 0.

    Returns
    -------
    ShiftCurve
        ``scores["i2t"]``, ``scores["t2i"]`` (R@1) and ``scores["gap"]`` (L2M after the shift), one per lam.
    """
    grid = _lams(lams)
    out = {"i2t": [], "t2i": [], "gap": []}
    for lam in grid:
        xs, ys = shift.shift_embeddings(image_emb, text_emb, lam=float(lam))
        out["i2t"].append(dimensions.retrieval_recall(xs, ys, 1, "i2t"))
        out["t2i"].append(dimensions.retrieval_recall(xs, ys, 1, "t2i"))
        out["gap"].append(float(np.linalg.norm(xs.mean(axis=0) - ys.mean(axis=0))))
    return ShiftCurve(grid, {k: np.asarray(v) for k, v in out.items()})


def zero_shot_vs_shift(
    image_emb: Any, class_text_emb: Any, labels: Any, lams: Optional[Sequence[float]] = None
) -> ShiftCurve:
    """Lesson 03: zero-shot top-1 accuracy after Liang's lam shift of images and class embeddings (Table 1).

    Parameters
    ----------
    image_emb : array-like, shape (N, D)
    class_text_emb : array-like, shape (C, D)
        One embedding per class; the gap direction is normalize(mean(images) - mean(class embeddings)).
    labels : array-like of int, shape (N,)
        Class row of each image.
    lams : sequence of float, optional
        Default ``np.arange(-5, 5, 0.25)``; must contain 0.

    Returns
    -------
    ShiftCurve
        ``scores["accuracy"]`` and ``scores["gap"]``, one per lam.
    """
    grid = _lams(lams)
    acc, gap = [], []
    for lam in grid:
        xs, ts = shift.shift_embeddings(image_emb, class_text_emb, lam=float(lam))
        acc.append(dimensions.zero_shot_accuracy(xs, ts, labels))
        gap.append(float(np.linalg.norm(xs.mean(axis=0) - ts.mean(axis=0))))
    return ShiftCurve(grid, {"accuracy": np.asarray(acc), "gap": np.asarray(gap)})


def digit_zero_shot_features(seed: int = 0, epochs: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lesson 03: (test image features, 10 class embeddings, digit labels) of the course's small CLIP.

    The model of ``experiments.init_vs_opt`` (tau = 1/100, course recipe), trained ``epochs`` epochs with ``seed``;
    class d's embedding is the normalized mean of the text embeddings of its three captions (prompt ensembling).
    """
    import torch

    from modgap_edu.experiments import init_vs_opt as iv

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_set, test_set, vocab = iv.digit_pairs(seed=0)
        model = iv.build_model(len(vocab), seed)
        iv.train(model, train_set, epochs, seed)
        x, _ = iv.embed(model, test_set)
        caps = [f"{d}-{ink}" for d in iv.DIGIT_WORDS for ink in iv.INK_WORDS]
        with torch.no_grad():
            t = torch.nn.functional.normalize(model.encode_text(vocab.encode(caps)), dim=1).double().numpy()
    finally:
        torch.set_num_threads(before)
    classes = t.reshape(len(iv.DIGIT_WORDS), len(iv.INK_WORDS), -1).mean(axis=1)
    classes /= np.linalg.norm(classes, axis=1, keepdims=True)
    labels = np.array([iv.DIGIT_WORDS.index(c.split("-")[0]) for c in test_set.captions])
    return x, classes, labels


def main(argv: Optional[list] = None) -> int:
    """Lesson 03: print R@1 vs lam on Liang's 500 COCO pairs and zero-shot vs lam on the course's model."""
    import argparse

    from modgap_edu.data import liang_features

    p = argparse.ArgumentParser(description="Lesson 03: retrieval / zero-shot vs the shift (Liang Table 1).")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=30)
    args = p.parse_args(argv)
    x, y = liang_features.load_liang_features("clip")
    cur = retrieval_vs_shift(x, y)
    for name in ("i2t", "t2i"):
        print(
            f"COCO 500 {name} R@1: default {cur.default(name):.3f}; best {cur.best(name)[1]:.3f} at lam = "
            f"{cur.best(name)[0]:+.2f}; worst {cur.worst(name)[1]:.3f} at lam = {cur.worst(name)[0]:+.2f}; "
            f"gains {cur.helps(name)}"
        )
    for seed in args.seeds:
        zs = zero_shot_vs_shift(*digit_zero_shot_features(seed, args.epochs))
        print(
            f"digits seed {seed}: default {zs.default('accuracy'):.3f}; best {zs.best('accuracy')[1]:.3f} at lam = "
            f"{zs.best('accuracy')[0]:+.2f}; gains {zs.helps('accuracy')}"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
