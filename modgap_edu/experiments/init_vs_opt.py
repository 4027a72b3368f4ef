"""Initialization vs optimization: does training close a gap that starts at zero? (lesson 03)

Liang et al. 2022, Sec. 4.4 and papers.md Sec. 1.9. The paper trains CLIP ViT-B/16 on 50k COCO
pairs, once from random init and once from the "amended" init, in which a fixed orthogonal
Procrustes rotation (``modgap_edu.core.procrustes``) lays the initial text cone onto the image cone,
so the gap at init is ~0. Their result (3 seeds): original 1.1891 -> 1.2991, amended
0.0388 -> 0.7457: training re-opens the gap, but to 57 % of the original.

Our laptop version (a course choice, not the paper's setup):

* data: scikit-learn's bundled 8x8 digits, each with a generated caption made of two words,
  the digit's name and its ink level (``"seven-heavy"``; ink terciles light/medium/heavy of the
  training split), split 1,347 train / 450 test with a fixed seed;
* model: ``modgap_edu.models.towers.SmallCLIP`` with a 3-layer MLP image tower (64 -> 128 -> 128 -> 32; the
  8x8 digits need no ConvNet) and ``towers.BagOfWordsTower`` as text tower, embed_dim 32, tau fixed at 1/100 as in the paper (``logit_scale = log 100``, frozen here);
* training: Adam (lr 1e-3, betas 0.9/0.98, eps 1e-6 as in the paper, no weight decay),
  batch 64, shuffled, drop_last, ``epochs`` epochs;
* the gap (L2M, ``modgap_edu.core.metrics.l2m``) is measured on the 450 held-out pairs, at init and
  after training.

Precomputed multi-seed result (shipped as ``assets/lesson03/init_vs_opt.json``)::

    python -m modgap_edu.experiments.init_vs_opt --seeds 0 1 2 3 4 --epochs 100 --out modgap_edu/assets/lesson03/init_vs_opt.json

(about 2-3 minutes on 2 cores; the lesson re-runs one seed for 30 epochs live, a few seconds).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence

from modgap_edu.experiments import ASSETS
import numpy as np
import torch
import torch.nn.functional as F

from modgap_edu.core import metrics
from modgap_edu.core import validation as V
from modgap_edu.models.towers import MLPImageTower, RotatedTower
from modgap_edu.core.procrustes import procrustes_rotation
from modgap_edu.models import fallback_features

ASSET = ASSETS / "lesson03" / "init_vs_opt.json"
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
INK_WORDS = ("light", "medium", "heavy")
TEMPERATURE = 0.01  # Liang Sec. 4.4: logit_scale = log(100)
PAPER_RECIPE_ASSET = ASSETS / "lesson03" / "init_vs_opt_paper_recipe.json"

# Optimizer recipes. "course": ours (lr 1e-3, no weight decay). "paper": Liang Sec. 4.4 / papers.md Sec. 1.9,
# torch.optim.Adam(lr=1e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2) (coupled L2, as in their code),
# batch 64, 5 epochs. tau stays frozen at 1/100 in both (Liang's logit_scale is a parameter, but at lr 1e-5 it
# hardly moves).
RECIPES = {
    "course": {"lr": 1e-3, "betas": (0.9, 0.98), "eps": 1e-6, "weight_decay": 0.0, "batch_size": 64, "epochs": 100},
    "paper": {"lr": 1e-5, "betas": (0.9, 0.98), "eps": 1e-6, "weight_decay": 0.2, "batch_size": 64, "epochs": 5},
}

# Liang et al. 2022, Sec. 4.4 (CLIP ViT-B/16, 50k COCO, 3 seeds; per-seed values from util/gap_amend_std.ipynb)
PAPER = {
    "original": {"init": [1.1898, 1.1884, 1.1892], "trained": [1.3149, 1.2988, 1.2836],
                 "reported": "1.1891 ± 0.0017 -> 1.2991 ± 0.0389"},
    "amended": {"init": [0.0314, 0.0551, 0.0299], "trained": [0.7472, 0.7195, 0.7704],
                "reported": "0.0388 ± 0.0351 -> 0.7457 ± 0.0633"},
}


@dataclass
class DigitPairs:
    """Lesson 03: the digits image-caption pairs (images (N, 1, 8, 8) in [0, 1], captions, word ids)."""

    images: torch.Tensor
    captions: list
    tokens: torch.Tensor


def digit_captions(images: np.ndarray, labels: np.ndarray, ink_edges: Optional[np.ndarray] = None):
    """Lesson 03: captions ``"<digit name>-<ink level>"``; ink terciles from ``ink_edges`` (or these images)."""
    ink = images.reshape(len(images), -1).sum(axis=1)
    edges = np.quantile(ink, [1 / 3, 2 / 3]) if ink_edges is None else np.asarray(ink_edges)
    level = np.digitize(ink, edges)
    return [f"{DIGIT_WORDS[int(d)]}-{INK_WORDS[int(k)]}" for d, k in zip(labels, level)], edges


def digit_pairs(seed: int = 0, test_size: int = 450) -> tuple[DigitPairs, DigitPairs, "object"]:
    """Lesson 03: (train, test, vocabulary) from scikit-learn's bundled digits (offline)."""
    from sklearn.datasets import load_digits

    from modgap_edu.models.towers import Vocabulary

    d = load_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(d.target))
    test, train = order[:test_size], order[test_size:]
    imgs = (d.images / 16.0).astype(np.float32)
    vocab = Vocabulary(list(DIGIT_WORDS) + list(INK_WORDS))
    cap_train, edges = digit_captions(imgs[train], d.target[train])
    cap_test, _ = digit_captions(imgs[test], d.target[test], edges)

    def pack(idx, caps):
        return DigitPairs(torch.from_numpy(imgs[idx][:, None]), caps, vocab.encode(caps))

    return pack(train, cap_train), pack(test, cap_test), vocab


def build_model(vocab_size: int, seed: int):
    """Lesson 03: the course's small CLIP: ``towers.SmallCLIP`` with an MLP image tower (8x8 digits) and
    ``towers.BagOfWordsTower`` text tower, embed_dim 32, seeded, tau frozen at 1/100."""
    from modgap_edu.models.towers import BagOfWordsTower, SmallCLIP

    torch.manual_seed(seed)
    return SmallCLIP(MLPImageTower(), BagOfWordsTower(vocab_size, embed_dim=32, word_dim=64, hidden=128),
                     temperature=TEMPERATURE, learnable_temperature=False)


@torch.no_grad()
def embed(model, data: DigitPairs) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03: normalized (image, text) features of ``data``, in eval mode."""
    was = model.training
    model.eval()
    x = F.normalize(model.encode_image(data.images), dim=1).numpy().astype(np.float64)
    y = F.normalize(model.encode_text(data.tokens), dim=1).numpy().astype(np.float64)
    model.train(was)
    return x, y


def amend(model, data: DigitPairs) -> np.ndarray:
    """Lesson 03: Liang's amended init: W from the initial model on ``data``; text tower -> RotatedTower."""
    x, y = embed(model, data)
    w = procrustes_rotation(x, y)
    model.text_tower = RotatedTower(model.text_tower, w)
    return w


def _optimizer(model, recipe: str = "course", lr: Optional[float] = None) -> torch.optim.Optimizer:
    """Lesson 03: Adam of ``RECIPES[recipe]`` (``lr`` overrides the recipe's learning rate)."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}, got {recipe!r}.")
    r = RECIPES[recipe]
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=r["lr"] if lr is None else lr,
                            betas=r["betas"], eps=r["eps"], weight_decay=r["weight_decay"])


def train(model, data: DigitPairs, epochs: int, seed: int, batch_size: int = 64, lr: Optional[float] = None,
          after_epoch=None, recipe: str = "course") -> list:
    """Lesson 03: minimal CLIP training loop (symmetric loss at the model's frozen tau); returns epoch losses.

    The optimizer is ``_optimizer(model, recipe, lr)`` (``RECIPES``). ``after_epoch(model)``, if given, is
    called after every epoch (e.g. to record the gap)."""
    g = torch.Generator().manual_seed(seed)
    opt = _optimizer(model, recipe, lr)
    n = len(data.images)
    labels = torch.arange(batch_size)
    history = []
    model.train()
    for _ in range(int(epochs)):
        perm = torch.randperm(n, generator=g)
        total, steps = 0.0, 0
        for s in range(0, n - batch_size + 1, batch_size):  # drop_last
            idx = perm[s : s + batch_size]
            x, y, scale = model(data.images[idx], data.tokens[idx])
            logits = scale * x @ y.T
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, steps = total + float(loss.detach()), steps + 1
        history.append(total / max(steps, 1))
        if after_epoch is not None:
            after_epoch(model)
            model.train()
    model.eval()
    return history


@dataclass
class RunResult:
    """Lesson 03: one training run of ``run`` (gaps are L2M on the 450 held-out pairs)."""

    seed: int
    variant: str  # "original" or "amended"
    gap_init: float
    gap_trained: float
    loss_first_epoch: float
    loss_last_epoch: float
    test_accuracy: float  # image -> text retrieval of the right caption text among the test captions
    seconds: float
    gap_per_epoch: list = None  # test-set gap after each epoch
    recipe: str = "course"  # the optimizer recipe (RECIPES)


def retrieval_accuracy(x: np.ndarray, y: np.ndarray, captions: Sequence[str]) -> float:
    """Lesson 03: share of test images whose most similar test caption has their caption's text
    (equal captions count as right: there are only 30 distinct captions)."""
    best = np.argmax(x @ y.T, axis=1)
    return float(np.mean([captions[j] == captions[i] for i, j in enumerate(best)]))


def run(seed: int = 0, variant: str = "original", epochs: int = 30, threads: int = 1,
        recipe: str = "course") -> RunResult:
    """Lesson 03: one training run; the gap (L2M on the test pairs) at init and after training.

    ``recipe``: the optimizer, ``"course"`` (ours) or ``"paper"`` (Liang's Adam, see ``RECIPES``)."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}, got {recipe!r}.")
    if variant not in ("original", "amended"):
        raise ValueError(f"variant must be 'original' or 'amended', got {variant!r}.")
    V.integer(epochs, "epochs", 1)
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(int(threads), 2)))  # tiny matrices: 1 thread is fastest and reproducible
    try:
        # one BLAS thread for numpy too: the amended W (SVD) changes in its last bits with the thread count,
        # and the amended run amplifies that to ~0.01 in the gap after 30 epochs (lesson 03 report)
        with threadpool_limits(limits=1, user_api="blas"):
            return _run(seed, variant, epochs, recipe)
    finally:
        torch.set_num_threads(before)


def _run(seed: int, variant: str, epochs: int, recipe: str = "course") -> RunResult:
    t0 = time.perf_counter()
    train_set, test_set, vocab = digit_pairs(seed=0)  # one fixed split; the seed varies the model
    model = build_model(len(vocab), seed)
    if variant == "amended":
        amend(model, train_set)
    gap0 = metrics.l2m(*embed(model, test_set))
    gaps: list = []

    def record(m) -> None:
        gaps.append(round(metrics.l2m(*embed(m, test_set)), 5))

    hist = train(model, train_set, epochs, seed, batch_size=RECIPES[recipe]["batch_size"], after_epoch=record,
                 recipe=recipe)
    x, y = embed(model, test_set)
    return RunResult(seed, variant, float(gap0), float(metrics.l2m(x, y)), hist[0], hist[-1],
                     retrieval_accuracy(x, y, test_set.captions), time.perf_counter() - t0, gaps, recipe)


def summarize(results: Sequence[dict], epochs_of_interest: Sequence[int] = (30,)) -> dict:
    """Lesson 03 (Liang Sec. 4.4 table): mean, sample std and the paper's "95% CI" (t_{0.975, n-1} * s / sqrt(n)) per variant and stage.

    Stages: ``gap_init``, ``gap_trained`` (after the last epoch) and ``gap_epoch_<E>`` for each E in
    ``epochs_of_interest`` (read from ``gap_per_epoch``).
    """
    from scipy import stats

    out = {}
    for variant in ("original", "amended"):
        rows = [r for r in results if r["variant"] == variant]
        stages = {"gap_init": [r["gap_init"] for r in rows], "gap_trained": [r["gap_trained"] for r in rows]}
        for e in epochs_of_interest:
            if rows and all(r.get("gap_per_epoch") and len(r["gap_per_epoch"]) >= e for r in rows):
                stages[f"gap_epoch_{e}"] = [r["gap_per_epoch"][e - 1] for r in rows]
        for stage, vals in stages.items():
            v = np.array(vals, dtype=np.float64)
            n = len(v)
            s = float(v.std(ddof=1)) if n > 1 else float("nan")
            ci = float(stats.t.ppf(0.975, n - 1) * s / np.sqrt(n)) if n > 1 else float("nan")
            out[f"{variant}.{stage}"] = {"mean": float(v.mean()), "std": s, "ci95": ci, "n": n}
    return out


def load_asset(path: Path = ASSET) -> dict:
    """Lesson 03: the shipped multi-seed result (see the module docstring for the command).

    ``load_asset(PAPER_RECIPE_ASSET)`` reads the arm trained with the paper's optimizer recipe."""
    return json.loads(Path(path).read_text())


def main(argv: Optional[list] = None) -> int:
    """Lesson 03: the command that writes ``assets/lesson03/init_vs_opt.json`` (see the module docstring)."""
    import argparse

    p = argparse.ArgumentParser(description="Lesson 03: initialization vs optimization (Liang et al. 2022, Sec. 4.4).")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=None, help="default: the recipe's (course 100, paper 5)")
    p.add_argument("--recipe", choices=sorted(RECIPES), default="course")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    args.epochs = RECIPES[args.recipe]["epochs"] if args.epochs is None else args.epochs
    results = []
    for seed in args.seeds:
        for variant in ("original", "amended"):
            r = run(seed, variant, args.epochs, recipe=args.recipe)
            print(f"seed {seed} {variant:8s} gap {r.gap_init:.4f} -> {r.gap_trained:.4f}  loss "
                  f"{r.loss_first_epoch:.3f} -> {r.loss_last_epoch:.3f}  acc {r.test_accuracy:.3f}  {r.seconds:.1f}s")
            results.append(asdict(r))
    out = args.out if args.out else (ASSET if args.recipe == "course" else PAPER_RECIPE_ASSET)
    rec = "" if args.recipe == "course" else f" --recipe {args.recipe}"
    doc = {"command": f"python -m modgap_edu.experiments.init_vs_opt --seeds {' '.join(map(str, args.seeds))} "
                      f"--epochs {args.epochs}{rec} --out modgap_edu/assets/lesson03/{Path(out).name}",
           "torch": torch.__version__, "epochs": args.epochs, "temperature": TEMPERATURE,
           "results": results,
           "summary": summarize(results, (30,) if args.recipe == "course" else [e for e in (5, 30) if e <= args.epochs])}
    if args.recipe != "course":
        doc["recipe"] = {"name": args.recipe, **RECIPES[args.recipe], "epochs": args.epochs}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


def trained_digit_features(seed: int = 0, epochs: int = 30):
    """Lesson 03 fallback: test-pair embeddings of our small CLIP trained on digits at tau = 1/100.

    Returns a ``modgap_edu.models.fallback_features.FeatureSet`` with ``is_real=False`` and a source sentence saying so.
    A *trained* model, because the shift experiment asks what the loss of a trained contrastive
    model does when its gap is closed (an untrained model has no loss minimum to sit in).
    """
    from modgap_edu.models.fallback_features import FeatureSet

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_set, test_set, vocab = digit_pairs(seed=0)
        model = build_model(len(vocab), seed)
        train(model, train_set, epochs, seed)
        x, y = embed(model, test_set)
    finally:
        torch.set_num_threads(before)
    return FeatureSet(x, y, False,
                      f"FALLBACK: the course's small CLIP (MLP + bag-of-words towers, 32-d) trained for {epochs} "
                      f"epochs at tau = 1/100 on scikit-learn's digits, {len(x)} held-out digit/caption pairs "
                      "-- not OpenAI CLIP.", list(test_set.captions))


def real_or_trained_features(name: str = "clip", seed: int = 0, epochs: int = 30):
    """Lesson 03: Liang's real feature file if it can be had (``liang_features.load_liang_features``), else the
    trained digits fallback (``trained_digit_features``); ``.source`` says which, ``.reason`` why."""
    from modgap_edu.data import liang_features

    try:
        img, txt = liang_features.load_liang_features(name)
    except (liang_features.DataUnavailable, liang_features.ChecksumError) as exc:
        fs = trained_digit_features(seed, epochs)
        fs.reason = str(exc)
        return fs
    return fallback_features.FeatureSet(img, txt, True,
                           f"REAL: Liang et al.'s {liang_features.FILES[name][0]} -- {liang_features.FILES[name][2]} "
                           f"({img.shape[0]} pairs, {img.shape[1]}-d), sha256 verified.")
