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
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from modgap_edu._runtime.threads import limited_threads
from modgap_edu.core import metrics
from modgap_edu.core import validation as V
from modgap_edu.core.procrustes import procrustes_rotation
from modgap_edu.experiments import ASSETS
from modgap_edu.models import fallback_features
from modgap_edu.models.towers import BagOfWordsTower, MLPImageTower, RotatedTower, SmallCLIP, Vocabulary
from modgap_edu.models.training import embed_pairs, make_optimizer, train_clip, unit_clip_loss

ASSET = ASSETS / "lesson03" / "init_vs_opt.json"
PAPER_RECIPE_ASSET = ASSETS / "lesson03" / "init_vs_opt_paper_recipe.json"

# Optimizer recipes. "course": ours (lr 1e-3, no weight decay). "paper": Liang Sec. 4.4 / papers.md Sec. 1.9,
# torch.optim.Adam(lr=1e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2) (coupled L2, as in their code),
# batch 64, 5 epochs. tau stays frozen at 1/100 in both (Liang's logit_scale is a parameter, but at lr 1e-5 it
# hardly moves).
RECIPES = {
    "course": {"lr": 1e-3, "betas": (0.9, 0.98), "eps": 1e-6, "weight_decay": 0.0, "batch_size": 64, "epochs": 100},
    "paper": {"lr": 1e-5, "betas": (0.9, 0.98), "eps": 1e-6, "weight_decay": 0.2, "batch_size": 64, "epochs": 5},
}

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
INK_WORDS = ("light", "medium", "heavy")
TEMPERATURE = 0.01  # Liang Sec. 4.4: logit_scale = log(100)

# Liang et al. 2022, Sec. 4.4 (CLIP ViT-B/16, 50k COCO, 3 seeds; per-seed values from util/gap_amend_std.ipynb)
PAPER = {
    "original": {
        "init": [1.1898, 1.1884, 1.1892],
        "trained": [1.3149, 1.2988, 1.2836],
        "reported": "1.1891 ± 0.0017 -> 1.2991 ± 0.0389",
    },
    "amended": {
        "init": [0.0314, 0.0551, 0.0299],
        "trained": [0.7472, 0.7195, 0.7704],
        "reported": "0.0388 ± 0.0351 -> 0.7457 ± 0.0633",
    },
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
    torch.manual_seed(seed)
    return SmallCLIP(
        MLPImageTower(),
        BagOfWordsTower(vocab_size, embed_dim=32, word_dim=64, hidden=128),
        temperature=TEMPERATURE,
        learnable_temperature=False,
    )


def embed(model, data: DigitPairs) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03: normalized (image, text) features of ``data`` as float64, from the one embed loop
    ``training.embed_pairs`` (one batch, eval mode; the model's mode is restored)."""
    x, y = embed_pairs(model, [(data.images, data.tokens)])
    return x.astype(np.float64), y.astype(np.float64)


def amend(model, data: DigitPairs) -> np.ndarray:
    """Lesson 03: Liang's amended init: W from the initial model on ``data``; text tower -> RotatedTower."""
    x, y = embed(model, data)
    w = procrustes_rotation(x, y)
    model.text_tower = RotatedTower(model.text_tower, w)
    return w


def digit_batches(data: DigitPairs, batch_size: int, seed: int):
    """Lesson 03: ``batches(epoch)`` for ``training.train_clip``: a fresh shuffle of ``data`` per epoch
    (``torch.randperm`` from a generator seeded with ``seed``; epoch e gets the e-th permutation) cut into
    ``batch_size`` pairs, the last partial batch dropped."""
    g = torch.Generator().manual_seed(seed)
    n = len(data.images)
    perms: list = []

    def batches(epoch: int) -> list:
        while len(perms) <= epoch:
            perms.append(torch.randperm(n, generator=g))
        idx = [perms[epoch][s : s + batch_size] for s in range(0, n - batch_size + 1, batch_size)]
        return [(data.images[i], data.tokens[i]) for i in idx]

    return batches


def _recipe(recipe: str) -> dict:
    V.choice(recipe, tuple(RECIPES), "recipe")
    return RECIPES[recipe]


def _optimizer(model, recipe: str = "course", lr: Optional[float] = None) -> torch.optim.Optimizer:
    """Lesson 03: the Adam of ``RECIPES[recipe]`` (``lr`` overrides the recipe's learning rate), built by the
    one optimizer factory ``training.make_optimizer``; weight decay on every parameter, as in Liang's code."""
    r = _recipe(recipe)
    return make_optimizer(
        model,
        r["lr"] if lr is None else lr,
        r["weight_decay"],
        kind="adam",
        betas=r["betas"],
        eps=r["eps"],
        decay_all=True,
    )


def train(
    model,
    data: DigitPairs,
    epochs: int,
    seed: int,
    batch_size: Optional[int] = None,
    lr: Optional[float] = None,
    on_epoch_end=None,
    threads: int | None = None,
    progress: bool | None = False,
    recipe: str = "course",
) -> list:
    """Lesson 03's recipe on the one training loop ``training.train_clip``; returns its per-epoch records.

    Liang et al. 2022, Sec. 4.4 settings: Adam with ``RECIPES[recipe]`` ("course": lr 1e-3, no weight decay;
    "paper": lr 1e-5, weight decay 0.2; betas 0.9/0.98, eps 1e-6 in both), no schedule, the symmetric CLIP
    loss at the model's frozen tau (``training.unit_clip_loss``), batch 64, shuffled, drop_last.
    ``on_epoch_end(epoch, model) -> dict`` adds to each record (e.g. the gap); ``threads``: see
    ``_runtime.threads``; ``progress``: no bar by default (the runs take seconds).
    """
    r = _recipe(recipe)
    return train_clip(
        model,
        digit_batches(data, r["batch_size"] if batch_size is None else batch_size, seed),
        epochs,
        lr=r["lr"] if lr is None else lr,
        weight_decay=r["weight_decay"],
        optimizer="adam",
        betas=r["betas"],
        eps=r["eps"],
        decay_all=True,
        schedule="constant",
        loss=unit_clip_loss,
        on_epoch_end=on_epoch_end,
        threads=threads,
        progress=progress,
        desc="digits CLIP",
    )


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


def run(
    seed: int = 0, variant: str = "original", epochs: int = 30, threads: int = 1, recipe: str = "course"
) -> RunResult:
    """Lesson 03: one training run; the gap (L2M on the test pairs) at init and after training.

    ``threads``: torch threads, 1 (the default) for these tiny matrices: fastest, and how the shipped asset was
    made; numpy keeps the policy's count (the amended W's SVD changes in its last bits with it). ``recipe``: the
    optimizer, ``"course"`` (ours) or ``"paper"`` (Liang's Adam, see ``RECIPES``)."""
    _recipe(recipe)
    V.choice(variant, ("original", "amended"), "variant")
    V.integer(epochs, "epochs", 1)
    with limited_threads(threads):
        return _run(seed, variant, epochs, threads, recipe)


def _run(seed: int, variant: str, epochs: int, threads: int, recipe: str = "course") -> RunResult:
    t0 = time.perf_counter()
    train_set, test_set, vocab = digit_pairs(seed=0)  # one fixed split; the seed varies the model
    model = build_model(len(vocab), seed)
    if variant == "amended":
        amend(model, train_set)
    gap0 = metrics.l2m(*embed(model, test_set))

    def gap(epoch: int, m) -> dict:
        return {"gap": round(metrics.l2m(*embed(m, test_set)), 5)}

    hist = train(model, train_set, epochs, seed, on_epoch_end=gap, progress=False, threads=threads, recipe=recipe)
    x, y = embed(model, test_set)
    return RunResult(
        seed,
        variant,
        float(gap0),
        float(metrics.l2m(x, y)),
        hist[0]["loss"],
        hist[-1]["loss"],
        retrieval_accuracy(x, y, test_set.captions),
        time.perf_counter() - t0,
        [h["gap"] for h in hist],
        recipe,
    )


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


def trained_digit_features(seed: int = 0, epochs: int = 30):
    """Lesson 03 fallback: test-pair embeddings of our small CLIP trained on digits at tau = 1/100.

    Returns a ``modgap_edu.models.fallback_features.FeatureSet`` with ``is_real=False`` and a source sentence saying so.
    A *trained* model, because the shift experiment asks what the loss of a trained contrastive
    model does when its gap is closed (an untrained model has no loss minimum to sit in). One thread, like ``run``.
    """
    with limited_threads(1):
        train_set, test_set, vocab = digit_pairs(seed=0)
        model = build_model(len(vocab), seed)
        train(model, train_set, epochs, seed, threads=1)
        x, y = embed(model, test_set)
    return fallback_features.FeatureSet(
        x,
        y,
        False,
        f"FALLBACK: the course's small CLIP (MLP + bag-of-words towers, 32-d) trained for {epochs} "
        f"epochs at tau = 1/100 on scikit-learn's digits, {len(x)} held-out digit/caption pairs -- not OpenAI CLIP.",
        list(test_set.captions),
    )


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
    return fallback_features.FeatureSet(
        img,
        txt,
        True,
        f"REAL: Liang et al.'s {liang_features.FILES[name][0]} -- {liang_features.FILES[name][2]} "
        f"({img.shape[0]} pairs, {img.shape[1]}-d), sha256 verified.",
    )


RESULT_FIELDS = (
    "seed",
    "variant",
    "gap_init",
    "gap_trained",
    "loss_first_epoch",
    "loss_last_epoch",
    "test_accuracy",
    "seconds",
    "gap_per_epoch",
)


def validate_asset(doc: dict) -> None:
    """Lesson 03: check a multi-seed result document (the shipped asset or a fresh ``main`` output).

    Raises ValueError naming the first problem: missing keys, a variant other than original/amended,
    a non-finite number, a ``gap_per_epoch`` whose length is not ``epochs``, or a stale ``summary``."""
    if not isinstance(doc, dict):
        raise ValueError(f"the init_vs_opt document must be a JSON object, got {type(doc).__name__}.")
    for key in ("command", "epochs", "temperature", "results", "summary"):
        if key not in doc:
            raise ValueError(f"the init_vs_opt document lacks {key!r}.")
    epochs, results = doc["epochs"], doc["results"]
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"'epochs' must be a positive integer, got {epochs!r}.")
    if not isinstance(results, list) or not results:
        raise ValueError("the init_vs_opt document has no results.")
    for i, r in enumerate(results):
        missing = [f for f in RESULT_FIELDS if f not in r]
        if missing:
            raise ValueError(f"result {i} lacks {missing}.")
        if r["variant"] not in ("original", "amended"):
            raise ValueError(f"result {i}: variant must be 'original' or 'amended', got {r['variant']!r}.")
        gaps = r["gap_per_epoch"]
        if not isinstance(gaps, list) or len(gaps) != epochs:
            raise ValueError(f"result {i}: gap_per_epoch must list {epochs} values (one per epoch).")
        values = [r[f] for f in RESULT_FIELDS[2:-1]] + gaps
        if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in values):
            raise ValueError(f"result {i} (seed {r['seed']}, {r['variant']}) has a missing or non-finite number.")
    epochs_of_interest = sorted(
        {int(m.group(1)) for k in doc["summary"] for m in [re.search(r"gap_epoch_(\d+)$", k)] if m}
    ) or (30,)
    again = summarize(results, epochs_of_interest)
    for key, stats in doc["summary"].items():
        if key not in again or not np.isclose(again[key]["mean"], stats["mean"], rtol=1e-9, atol=1e-12):
            raise ValueError(
                f"summary {key!r} does not match the results: re-run `python -m "
                "modgap_edu.experiments.init_vs_opt` to rewrite the file."
            )


def load_asset(path: Path | str = ASSET, validate: bool = True) -> dict:
    """Lesson 03: the shipped multi-seed result (see the module docstring for the command), validated.

    Parameters
    ----------
    path : Path or str
        The JSON file; default the shipped ``assets/lesson03/init_vs_opt.json``.
    validate : bool
        Check it with ``validate_asset``.

    Returns
    -------
    dict
        ``command``, ``torch``, ``epochs``, ``temperature``, ``results`` (one ``RunResult`` dict per seed and
        variant) and ``summary`` (``summarize``).
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{p} is missing: run `python -m modgap_edu.experiments.init_vs_opt` to make it.")
    try:
        doc = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p} is not valid JSON ({exc}); regenerate it.") from None
    if validate:
        validate_asset(doc)
    return doc


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
            print(
                f"seed {seed} {variant:8s} gap {r.gap_init:.4f} -> {r.gap_trained:.4f}  loss "
                f"{r.loss_first_epoch:.3f} -> {r.loss_last_epoch:.3f}  acc {r.test_accuracy:.3f}  {r.seconds:.1f}s"
            )
            results.append(asdict(r))
    out = args.out if args.out else (ASSET if args.recipe == "course" else PAPER_RECIPE_ASSET)
    rec = "" if args.recipe == "course" else f" --recipe {args.recipe}"
    doc = {
        "command": f"python -m modgap_edu.experiments.init_vs_opt --seeds {' '.join(map(str, args.seeds))} "
        f"--epochs {args.epochs}{rec} --out modgap_edu/assets/lesson03/{Path(out).name}",
        "torch": torch.__version__,
        "epochs": args.epochs,
        "temperature": TEMPERATURE,
        "results": results,
        "summary": summarize(results, (30,) if args.recipe == "course" else [e for e in (5, 30) if e <= args.epochs]),
    }
    if args.recipe != "course":
        doc["recipe"] = {"name": args.recipe, **RECIPES[args.recipe], "epochs": args.epochs}
    validate_asset(doc)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
