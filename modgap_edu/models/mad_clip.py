"""The lesson-04 recipe: a small CLIP trained on MAD, and its evaluation (lessons 04-05).

* ``train_mad_clip(k, main_object, n_train, epochs, learnable_temperature, seed)``: the lesson's
  recipe on ``mad.dataset.MADDataset`` with the one training loop ``models.training.train_clip``;
  returns ``(model, history)``.
* ``evaluate_mad(model, n, seed)``: gap and bias metrics on the MAD test split with
  full-information captions (the main object and all five attributes) on the text side.

The paper's MAD training code is not public (Schrodi et al. 2025, README), so the recipe is
**ours**: ConvNet + bag-of-words towers (``towers.SmallCLIP.build``), embedding width 32, batch 256, AdamW
lr 2e-3, weight decay 0.1, 5 % warm-up then cosine, tau initialised at 0.07 and learned as in
CLIP (Radford et al. 2021).
"""

from __future__ import annotations

import copy
from typing import Any, Sequence

import numpy as np
import torch

from modgap_edu._runtime.memory import release_memory
from modgap_edu._runtime.threads import limited_threads
from modgap_edu.core import dimensions, metrics
from modgap_edu.core import validation as V
from modgap_edu.core.dimensions import zero_shot_accuracy
from modgap_edu.core.losses import align_loss, uniform_loss, unit_rows_torch
from modgap_edu.mad import dataset
from modgap_edu.models.towers import SmallCLIP, Vocabulary
from modgap_edu.models.training import embed_pairs, train_clip

MAD_DEFAULTS = {
    "n_train": 10000,
    "epochs": 5,
    "batch_size": 256,
    "lr": 2e-3,
    "weight_decay": 0.1,
    "warmup": 0.05,
    "embed_dim": 32,
    "n_monitor": 2000,
    "n_uniformity": 1000,
}


def mad_vocabulary() -> Vocabulary:
    """The 26 MAD caption words (10 digits + 16 attribute values) as one-token phrases."""
    return Vocabulary(dataset.vocabulary_words())


def normalize_images(images: torch.Tensor) -> torch.Tensor:
    """MAD's transform: Normalize((0.5,), (0.5,)), i.e. [0, 1] -> [-1, 1]."""
    return (images - 0.5) / 0.5


def _mad_batches(ds: dataset.MADDataset, vocab: Vocabulary, batch_size: int, seed: int):
    """``batches(epoch)`` for ``train_clip``: a sized, lazy sequence of (images, tokens); colours and
    caption subsets are re-drawn per epoch (``MADDataset.set_epoch``), images coloured per batch."""

    class EpochBatches:
        def __init__(self, epoch: int):
            self.epoch = epoch

        def __len__(self) -> int:
            return len(ds) // batch_size  # the last partial batch is dropped (fixed CLIP batch size)

        def __iter__(self):
            ds.set_epoch(self.epoch)
            tokens = vocab.encode(ds.captions, length=6)
            order = np.random.default_rng([seed, 5, self.epoch]).permutation(len(ds))
            for b in range(len(self)):
                idx = order[b * batch_size : (b + 1) * batch_size]
                yield normalize_images(ds.images(idx)), tokens[torch.from_numpy(idx)]

    return EpochBatches


def embed_mad(
    model: SmallCLIP, ds: dataset.MADDataset, captions: Sequence[str] | None = None, batch_size: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Unit-norm image and text embeddings (float32) of a MAD dataset (lessons 04-05), with the one embed
    loop ``training.embed_pairs``; ``captions`` default to the dataset's full-information captions.
    Images are rendered batch by batch, so memory stays small."""
    vocab = model.vocab
    captions = ds.full_captions() if captions is None else list(captions)
    if len(captions) != len(ds):
        raise ValueError(f"captions must have one caption per image ({len(ds)}), got {len(captions)}.")
    batch_size = _check_int(batch_size, "batch_size")

    def batches():
        for s in range(0, len(ds), batch_size):
            idx = np.arange(s, min(len(ds), s + batch_size))
            yield normalize_images(ds.images(idx)), vocab.encode(captions[s : s + batch_size])

    return embed_pairs(model, batches())


@torch.no_grad()
def _text_embed(model: SmallCLIP, captions: Sequence[str]) -> torch.Tensor:
    return torch.nn.functional.normalize(model.encode_text(model.vocab.encode(list(captions))), dim=1)


@torch.no_grad()
def zero_shot(model: SmallCLIP, image_emb: np.ndarray, labels: np.ndarray, factor: str) -> float:
    """Zero-shot accuracy on one factor. Digit: prompt = the digit word alone (the class name, like
    ImageNet's class prompts). Attribute value v: prompts ``"<d>-<v>"`` for the 10 digits, their mean
    text embedding as the class embedding (a prompt ensemble)."""
    values = dataset.FACTORS[factor]
    if factor == "digit":
        classes = _text_embed(model, list(values))
    else:
        rows = []
        for v in values:
            e = _text_embed(model, [f"{d}-{v}" for d in dataset.FACTORS["digit"]]).mean(dim=0)
            rows.append(e)
        classes = unit_rows_torch(torch.stack(rows))
    return zero_shot_accuracy(image_emb, classes.numpy(), labels)


@torch.no_grad()
def zero_shot_full(model: SmallCLIP, image_emb: np.ndarray, labels: np.ndarray, factor: str) -> float:
    """Zero-shot accuracy with full-caption prompt ensembles ("ideal words", Schrodi et al. Table 5 style):
    the class embedding of value v is the normalized mean text embedding of *every* full caption
    (main object + all five attributes) that contains v. Prompts thus look like the k=5 captions."""
    import itertools

    combos = list(itertools.product(*[range(len(v)) for v in dataset.FACTORS.values()]))
    names = list(dataset.FACTORS)
    caps = ["-".join(dataset.FACTORS[f][c[i]] for i, f in enumerate(names)) for c in combos]
    emb = torch.cat([_text_embed(model, caps[s : s + 2000]) for s in range(0, len(caps), 2000)])
    col = np.array([c[names.index(factor)] for c in combos])
    classes = torch.stack([emb[torch.from_numpy(col == v)].mean(dim=0) for v in range(len(dataset.FACTORS[factor]))])
    return zero_shot_accuracy(image_emb, unit_rows_torch(classes).numpy(), labels)


def evaluate_mad(
    model: SmallCLIP,
    n: int = 2000,
    seed: int = 0,
    source: str | None = None,
    verbose: bool = False,
    threads: int | None = None,
) -> dict[str, Any]:
    """Gap and bias metrics of a MAD model on ``n`` test images with full-information captions (lesson 04 Sec. 3).

    Parameters
    ----------
    model : SmallCLIP
        A model from ``train_mad_clip`` (it carries ``vocab`` and ``mad_config``).
    n, seed : int
        Size and seed of the MAD test split.
    source : str or None
        The base digits; ``None``: those the model was trained on.
    verbose : bool
        Report rendering progress.
    threads : int or None
        Threads while embedding (``_runtime.threads`` policy when ``None``), so the numbers do not depend on
        the process's torch setting.

    Returns
    -------
    dict
        Floats: ``rmg`` and ``l2m`` (``metrics.rmg`` / ``l2m`` of the matched image / full-caption pairs;
        Schrodi et al. 2025 RMG, Liang et al. 2022 gap distance); ``moad_image`` and ``moad_text``
        (``metrics.moad`` with object = digit and attribute = colour, on the image and on the full-caption
        text embeddings); ``moad_image_attributes`` and ``moad_text_attributes`` (the mean over the five
        attribute factors); ``zero_shot_digit``, ``zero_shot_color`` and ``zero_shot_attributes`` (mean over
        the five attribute factors; see ``zero_shot``); ``zero_shot_digit_full`` and ``zero_shot_color_full``
        (full-caption prompt ensembles, see ``zero_shot_full``); ``temperature``; and the per-factor dicts
        ``moad_image_by_factor``, ``zero_shot_by_factor``. The mechanism (lesson 04 Sec. 4, see
        ``mechanism_metrics``): ``alignment`` (Wang & Isola 2020 l_align, alpha = 2, over the matched
        image / full-caption pairs), ``uniformity_image`` and ``uniformity_text`` (l_uniform, t = 2, over the
        distinct pairs of a seeded subset of ``MAD_DEFAULTS["n_uniformity"]`` rows), ``top2_gap_share``
        (share of L2M^2 carried by the two dimensions of largest |mean difference|, lesson 05's rule); and
        ``accuracy_all``: the unweighted mean of the six entries of ``zero_shot_by_factor`` (the digit with
        its class-name prompts, and the five attribute factors with their ``"<d>-<v>"`` prompt ensembles).
    """
    if source is None:
        source = getattr(model, "mad_config", {}).get("source", "auto")
    ds = dataset.MADDataset("test", k=5, n=n, seed=seed, source=source, verbose=verbose)
    with limited_threads(threads):
        return _mad_metrics(model, ds)


def _mad_metrics(model: SmallCLIP, ds: dataset.MADDataset) -> dict[str, Any]:
    img, txt = embed_mad(model, ds)
    f = ds.factors
    out: dict[str, Any] = {"rmg": metrics.rmg(img, txt), "l2m": metrics.l2m(img, txt)}
    moad_img = {a: metrics.moad(img, f["digit"], f[a]) for a in dataset.ATTRIBUTES}
    moad_txt = {a: metrics.moad(txt, f["digit"], f[a]) for a in dataset.ATTRIBUTES}
    zs = {a: zero_shot(model, img, f[a], a) for a in dataset.FACTORS}
    out.update(
        {
            "moad_image": moad_img["colors"],
            "moad_text": moad_txt["colors"],
            "moad_image_attributes": float(np.mean(list(moad_img.values()))),
            "moad_text_attributes": float(np.mean(list(moad_txt.values()))),
            "zero_shot_digit": zs["digit"],
            "zero_shot_color": zs["colors"],
            "zero_shot_attributes": float(np.mean([zs[a] for a in dataset.ATTRIBUTES])),
            "zero_shot_digit_full": zero_shot_full(model, img, f["digit"], "digit"),
            "zero_shot_color_full": zero_shot_full(model, img, f["colors"], "colors"),
            "temperature": float(model.temperature),
            "moad_image_by_factor": moad_img,
            "zero_shot_by_factor": zs,
        }
    )
    out.update(mechanism_metrics(img, txt, seed=ds.seed))
    out["accuracy_all"] = float(np.mean([zs[a] for a in dataset.FACTORS]))
    return out


def top2_gap_share(image_emb: Any, text_emb: Any) -> float:
    """Share of L2M^2 carried by the two dimensions of largest |mean difference| (lesson 05 Sec. 3, Schrodi et al.
    2025 Fig. 4a: ``dimensions.gap_dimension_scores`` ranked by ``dimensions.rank_gap_dimensions``).

    Parameters
    ----------
    image_emb, text_emb : array_like
        Image and text embeddings (rows are L2-normalized), at least two dimensions.

    Returns
    -------
    float
        In [0, 1]; 2 / d for a gap spread evenly over d dimensions.
    """
    scores = dimensions.gap_dimension_scores(image_emb, text_emb)
    if scores.size < 2:
        raise ValueError(f"top2_gap_share needs at least 2 dimensions, got {scores.size}.")
    total = float(np.sum(scores**2))
    if total == 0.0:
        raise ValueError("top2_gap_share: the two centroids coincide (L2M = 0), the share is undefined.")
    order = dimensions.rank_gap_dimensions(image_emb, text_emb)
    return float(np.sum(scores[order[:2]] ** 2) / total)


def mechanism_metrics(image_emb: Any, text_emb: Any, seed: int = 0, n_uniformity: int | None = None) -> dict:
    """Alignment, uniformity and the few-dimension share of matched pairs (lesson 04 Sec. 4; Wang & Isola 2020
    eqs. for l_align / l_uniform via ``core.losses.align_loss`` / ``uniform_loss``, alpha = t = 2).

    Parameters
    ----------
    image_emb, text_emb : array_like
        Matched image / text embeddings (row i <-> row i), L2-normalized here.
    seed : int
        Seeds the subset on which uniformity is measured (``numpy.random.default_rng([seed, 7])``).
    n_uniformity : int or None
        Size of that subset (``None``: ``MAD_DEFAULTS["n_uniformity"]``); all rows when there are fewer.

    Returns
    -------
    dict
        ``alignment`` (in [0, 4]), ``uniformity_image``, ``uniformity_text`` (<= 0), ``top2_gap_share``.
    """
    x, y = V.pair(image_emb, text_emb, paired=True)
    n_u = MAD_DEFAULTS["n_uniformity"] if n_uniformity is None else _check_int(n_uniformity, "n_uniformity", 2)
    xt, yt = torch.from_numpy(x.astype(np.float64)), torch.from_numpy(y.astype(np.float64))
    sub = uniformity_subset(len(x), n_u, V.seed(seed))
    return {
        "alignment": float(align_loss(xt, yt, alpha=2)),
        "uniformity_image": float(uniform_loss(xt[sub], t=2)),
        "uniformity_text": float(uniform_loss(yt[sub], t=2)),
        "top2_gap_share": top2_gap_share(x, y),
    }


def uniformity_subset(n: int, size: int, seed: int) -> torch.Tensor:
    """The seeded rows on which uniformity is measured: all ``n`` when ``n <= size``, else a sorted sample."""
    if n <= size:
        return torch.arange(n)
    idx = np.sort(np.random.default_rng([seed, 7]).choice(n, size=size, replace=False))
    return torch.from_numpy(idx)


def _check_int(value: Any, name: str, low: int = 1) -> int:
    return V.integer(value, name, low)


def train_mad_clip(
    k: int | None = None,
    main_object: str = "digit",
    n_train: int | None = None,
    epochs: int | None = None,
    learnable_temperature: bool = True,
    seed: int = 0,
    *,
    init: SmallCLIP | None = None,
    lr: float | None = None,
    temperature: float = 0.07,
    temperature_lr_scale: float = 1.0,
    source: str = "auto",
    monitor: bool = True,
    progress: bool | None = None,
    threads: int | None = None,
    batch_size: int | None = None,
) -> tuple[SmallCLIP, list[dict]]:
    """Train the lesson-04 small CLIP on MAD captions with ``k`` attributes (``None``: object only).

    The recipe (ours; the paper's MAD code is not public, Schrodi et al. 2025): ``SmallCLIP.build`` towers,
    AdamW with warm-up and cosine decay, the symmetric CLIP loss with a learnable (or frozen) tau, run by
    the one training loop ``training.train_clip``.

    Parameters
    ----------
    k : int or None
        Attributes per training caption (1-5), ``None`` for the main object only.
    main_object : str
        The factor every caption names ("digit", or e.g. "colors" for the caption-presence experiment).
    n_train, epochs, batch_size : int or None
        ``None``: ``MAD_DEFAULTS`` (10,000 training images, 5 epochs, batch 256).
    learnable_temperature : bool
        Learn tau as in CLIP, or keep it frozen.
    seed : int
        Seeds the data, the initial weights and the batch order: the same seed gives the same model bit
        for bit (with the same thread count, see ``threads``).
    init : SmallCLIP or None
        Continue from a copy of this model (fine-tuning, Sec. 5) with its current temperature.
    lr, temperature, temperature_lr_scale : float
        Learning rate (``None``: 2e-3), the initial tau of a fresh model (CLIP's 0.07) and the learning-rate
        factor of tau.
    source : str
        The base digits of ``mad.dataset.MADDataset``.
    monitor : bool
        Measure ``rmg``, ``l2m``, ``moad_image`` on 2,000 held-out test images after every epoch.
    progress : bool or None
        Progress bar; ``None`` defers to tqdm (``TQDM_DISABLE=1`` turns it off).
    threads : int or None
        Training threads; ``None``: the fixed policy of ``_runtime.threads`` (``MODGAP_THREADS``, else 2).

    Returns
    -------
    (SmallCLIP, list of dict)
        The model (with ``vocab`` and ``mad_config``) and one record per epoch (``loss``, ``temperature``,
        ``entropy``, ``seconds`` and the monitored metrics).
    """
    release_memory()  # start from a lean process: the training peak stacks on what the kernel holds
    k = dataset.check_k(k)
    main_object = dataset.check_main_object(main_object)
    n_train = MAD_DEFAULTS["n_train"] if n_train is None else _check_int(n_train, "n_train")
    epochs = MAD_DEFAULTS["epochs"] if epochs is None else _check_int(epochs, "epochs")
    batch_size = MAD_DEFAULTS["batch_size"] if batch_size is None else _check_int(batch_size, "batch_size", 2)
    seed = V.seed(seed)
    if n_train < batch_size:
        raise ValueError(f"n_train={n_train} is smaller than one batch ({batch_size}): use n_train >= batch_size.")
    lr = MAD_DEFAULTS["lr"] if lr is None else float(lr)
    torch.manual_seed(seed)
    ds = dataset.MADDataset("train", k=k, main_object=main_object, n=n_train, seed=seed, source=source)
    vocab = mad_vocabulary()
    if init is None:
        model = SmallCLIP.build(
            len(vocab),
            embed_dim=MAD_DEFAULTS["embed_dim"],
            temperature=temperature,
            learnable_temperature=learnable_temperature,
        )
    else:
        model = copy.deepcopy(init)
        model.log_logit_scale.requires_grad_(bool(learnable_temperature))
    model.vocab = vocab
    model.mad_config = {
        "k": k,
        "main_object": main_object,
        "n_train": n_train,
        "epochs": epochs,
        "learnable_temperature": bool(learnable_temperature),
        "seed": seed,
        "source": ds.source,
        "finetuned": init is not None,
    }
    on_epoch_end = None
    if monitor:
        test = dataset.MADDataset("test", k=5, n=MAD_DEFAULTS["n_monitor"], seed=seed, source=source, verbose=False)

        def on_epoch_end(epoch: int, m: SmallCLIP) -> dict:
            img, txt = embed_mad(m, test)
            return {
                "rmg": metrics.rmg(img, txt),
                "l2m": metrics.l2m(img, txt),
                "moad_image": metrics.moad(img, test.factors["digit"], test.factors["colors"]),
            }

    label = "object only" if k is None else f"k={k}"
    history = train_clip(
        model,
        _mad_batches(ds, vocab, batch_size, seed),
        epochs,
        lr=lr,
        weight_decay=MAD_DEFAULTS["weight_decay"],
        warmup=MAD_DEFAULTS["warmup"],
        progress=progress,
        on_epoch_end=on_epoch_end,
        threads=threads,
        temperature_lr_scale=temperature_lr_scale,
        desc=f"MAD CLIP ({label}, {main_object})",
    )
    release_memory()  # hand the freed activations back, so the next cells start lean
    return model, history
