"""Train and evaluate a small CLIP on MAD (lesson 04; a generic loop reusable by lessons 03 and 05).

* ``train_clip(model, batches, epochs, ...)``: the generic contrastive loop -- symmetric CLIP loss
  with the model's (learnable or frozen) logit scale, AdamW, linear warm-up then cosine decay,
  a ``tqdm.auto`` progress bar and a per-epoch callback. Works for any ``towers.SmallCLIP``-like
  model (``model(images, tokens) -> (unit image feats, unit text feats, logit_scale)``).
* ``train_mad_clip(k, main_object, n_train, epochs, learnable_temperature, seed)``: the lesson's
  recipe on ``mad.MADDataset``; returns ``(model, history)``.
* ``evaluate_mad(model, n, seed)``: gap and bias metrics on the MAD test split with
  full-information captions (the main object and all five attributes) on the text side.

The paper's MAD training code is not public (Schrodi et al. 2025, README), so the recipe is
**ours**: ConvNet + bag-of-words towers (``towers.SmallCLIP.build``), embedding width 32, batch 256, AdamW
lr 2e-3, weight decay 0.1, 5 % warm-up then cosine, tau initialised at 0.07 and learned as in
CLIP (Radford et al. 2021). The loss is the symmetric CLIP loss of ``losses.clip_loss`` (see
``towers.clip_loss_scaled``, which lets gradients reach tau).
"""
from __future__ import annotations

import copy
import math
import os
import time
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from . import mad, metrics
from .memory import release_memory
from .towers import SmallCLIP, Vocabulary, clip_loss_scaled

MAD_DEFAULTS = {"n_train": 10000, "epochs": 5, "batch_size": 256, "lr": 2e-3, "weight_decay": 0.1,
                "warmup": 0.05, "embed_dim": 32, "n_monitor": 2000}


def busy_cores(interval: float = 0.25) -> float | None:
    """How many cores other work keeps busy *now*: (1 - idle share) x cores, from two reads of
    ``/proc/stat`` ``interval`` seconds apart (Linux). ``None`` where that file does not exist."""
    def read() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return idle, sum(fields)

    first = read()
    if first is None:
        return None
    time.sleep(interval)
    second = read()
    if second is None or second[1] == first[1]:
        return None
    idle_share = (second[0] - first[0]) / (second[1] - first[1])
    return (1.0 - idle_share) * (os.cpu_count() or 1)


def auto_threads() -> int:
    """Torch threads for training: 2 on a machine with >= 2 cores and a free core, 1 when other work
    keeps the cores busy right now (2 threads fighting for 1 free core run ~3x slower than 1). The
    current load is sampled (``busy_cores``); the 1-minute load average, which lags behind a process
    that just ended, is the fallback where /proc/stat is missing."""
    cores = os.cpu_count() or 1
    n = min(2, cores)
    busy = busy_cores()
    if busy is None:
        try:
            busy = os.getloadavg()[0]
        except (AttributeError, OSError):
            return n
    return 1 if busy > cores - 1 else n


def progress_enabled(progress: bool | None = None) -> bool:
    """Progress bars are on unless ``progress=False`` or the environment says CI / ``MODGAP_PROGRESS=0``."""
    if progress is not None:
        return bool(progress)
    if os.environ.get("MODGAP_PROGRESS", "") == "0" or os.environ.get("CI"):
        return False
    return True


def logit_entropy(logits: torch.Tensor) -> float:
    """Mean Shannon entropy (nats) of the softmax rows and columns of a logit matrix (lesson 04 §5).

    log(B) for uniform rows (maximally unsure), 0 for one-hot rows."""
    p_rows = torch.log_softmax(logits, dim=1)
    p_cols = torch.log_softmax(logits, dim=0)
    h_rows = -(p_rows.exp() * p_rows).sum(dim=1).mean()
    h_cols = -(p_cols.exp() * p_cols).sum(dim=0).mean()
    return float((h_rows + h_cols) / 2)


def _schedule(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def make_optimizer(model: nn.Module, lr: float, weight_decay: float,
                   temperature_lr_scale: float = 1.0) -> torch.optim.Optimizer:
    """AdamW; weight decay on matrices and conv kernels only (not on biases, norms or the logit scale).
    The logit-scale parameter (``log_logit_scale``) gets ``lr * temperature_lr_scale``."""
    decay, no_decay, scale = [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if name.endswith("log_logit_scale"):
            scale.append(p)
        else:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if scale:
        groups.append({"params": scale, "weight_decay": 0.0, "lr": lr * temperature_lr_scale})
    return torch.optim.AdamW(groups, lr=lr)


def train_clip(model: nn.Module, batches: Callable[[int], Sequence], epochs: int, lr: float = 2e-3,
               weight_decay: float = 0.1, warmup: float = 0.05, progress: bool | None = None,
               on_epoch_end: Callable[[int, nn.Module], dict] | None = None, desc: str = "training",
               threads: int | str | None = "auto", temperature_lr_scale: float = 1.0) -> list[dict]:
    """Generic CLIP training loop (lessons 03-05).

    ``batches(epoch)`` returns a sized sequence of ``(images, tokens)`` pairs for that epoch (its
    length must not change between epochs). Each step minimises the symmetric CLIP loss of
    ``model(images, tokens)``. Returns one dict per epoch: ``epoch``, ``loss`` (mean), ``temperature``,
    ``entropy`` (mean logit entropy of the training batches, nats), ``seconds``, plus whatever
    ``on_epoch_end(epoch, model)`` returns. ``threads`` sets ``torch.set_num_threads`` during training (``"auto"``: ``auto_threads()``;
    ``None``: leave it).
    """
    from tqdm.auto import tqdm

    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}.")
    old_threads = torch.get_num_threads()
    if threads == "auto":
        threads = auto_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        first = batches(0)
        steps = len(first)
        if steps == 0:
            raise ValueError("batches(0) returned no batches: the training set is smaller than one batch?")
        opt = make_optimizer(model, lr, weight_decay, temperature_lr_scale)
        total = steps * int(epochs)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _schedule(s, total, max(1, int(warmup * total))))
        history = []
        bar = tqdm(total=total, desc=desc, disable=not progress_enabled(progress), leave=False)
        for epoch in range(int(epochs)):
            t0 = time.perf_counter()
            model.train()
            epoch_batches = first if epoch == 0 else batches(epoch)
            losses, entropies = [], []
            for images, tokens in epoch_batches:
                x, y, scale = model(images, tokens)
                loss = clip_loss_scaled(x, y, scale)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                with torch.no_grad():
                    entropies.append(logit_entropy(scale * x @ y.T))
                losses.append(float(loss.detach()))
                bar.update(1)
                bar.set_postfix(loss=f"{losses[-1]:.3f}", tau=f"{float(1 / scale.detach()):.4f}")
            record = {"epoch": epoch + 1, "loss": float(np.mean(losses)),
                      "temperature": float(1 / model.logit_scale.detach()),
                      "entropy": float(np.mean(entropies)), "seconds": time.perf_counter() - t0}
            if on_epoch_end is not None:
                model.eval()
                with torch.no_grad():
                    record.update(on_epoch_end(epoch + 1, model) or {})
            history.append(record)
        bar.close()
        model.eval()
        return history
    finally:
        torch.set_num_threads(old_threads)


# ---------------------------------------------------------------- MAD recipe


def mad_vocabulary() -> Vocabulary:
    """The 26 MAD caption words (10 digits + 16 attribute values) as one-token phrases."""
    return Vocabulary(mad.vocabulary_words())


def normalize_images(images: torch.Tensor) -> torch.Tensor:
    """MAD's transform: Normalize((0.5,), (0.5,)), i.e. [0, 1] -> [-1, 1]."""
    return (images - 0.5) / 0.5


def _mad_batches(ds: mad.MADDataset, vocab: Vocabulary, batch_size: int, seed: int):
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


@torch.no_grad()
def embed_mad(model: SmallCLIP, ds: mad.MADDataset, captions: Sequence[str] | None = None,
              batch_size: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Unit-norm image and text embeddings (float32) of a MAD dataset; ``captions`` default to the
    dataset's full-information captions."""
    model.eval()
    vocab = model.vocab
    captions = ds.full_captions() if captions is None else list(captions)
    img, txt = [], []
    for s in range(0, len(ds), batch_size):
        idx = np.arange(s, min(len(ds), s + batch_size))
        img.append(torch.nn.functional.normalize(model.encode_image(normalize_images(ds.images(idx))), dim=1))
        txt.append(torch.nn.functional.normalize(model.encode_text(vocab.encode(captions[s : s + batch_size])), dim=1))
    return torch.cat(img).numpy(), torch.cat(txt).numpy()


@torch.no_grad()
def _text_embed(model: SmallCLIP, captions: Sequence[str]) -> torch.Tensor:
    return torch.nn.functional.normalize(model.encode_text(model.vocab.encode(list(captions))), dim=1)


@torch.no_grad()
def zero_shot(model: SmallCLIP, image_emb: np.ndarray, labels: np.ndarray, factor: str) -> float:
    """Zero-shot accuracy on one factor. Digit: prompt = the digit word alone (the class name, like
    ImageNet's class prompts). Attribute value v: prompts ``"<d>-<v>"`` for the 10 digits, their mean
    text embedding as the class embedding (a prompt ensemble)."""
    values = mad.FACTORS[factor]
    if factor == "digit":
        classes = _text_embed(model, list(values))
    else:
        rows = []
        for v in values:
            e = _text_embed(model, [f"{d}-{v}" for d in mad.FACTORS["digit"]]).mean(dim=0)
            rows.append(e / e.norm())
        classes = torch.stack(rows)
    pred = (torch.from_numpy(image_emb) @ classes.T).argmax(dim=1).numpy()
    return float(np.mean(pred == labels))


@torch.no_grad()
def zero_shot_full(model: SmallCLIP, image_emb: np.ndarray, labels: np.ndarray, factor: str) -> float:
    """Zero-shot accuracy with full-caption prompt ensembles ("ideal words", Schrodi et al. Table 5 style):
    the class embedding of value v is the normalized mean text embedding of *every* full caption
    (main object + all five attributes) that contains v. Prompts thus look like the k=5 captions."""
    import itertools

    combos = list(itertools.product(*[range(len(v)) for v in mad.FACTORS.values()]))
    names = list(mad.FACTORS)
    caps = ["-".join(mad.FACTORS[f][c[i]] for i, f in enumerate(names)) for c in combos]
    emb = torch.cat([_text_embed(model, caps[s : s + 2000]) for s in range(0, len(caps), 2000)])
    col = np.array([c[names.index(factor)] for c in combos])
    classes = torch.stack([emb[torch.from_numpy(col == v)].mean(dim=0) for v in range(len(mad.FACTORS[factor]))])
    classes = classes / classes.norm(dim=1, keepdim=True)
    pred = (torch.from_numpy(image_emb) @ classes.T).argmax(dim=1).numpy()
    return float(np.mean(pred == labels))


def evaluate_mad(model: SmallCLIP, n: int = 2000, seed: int = 0, source: str | None = None,
                 verbose: bool = False) -> dict[str, Any]:
    """Gap and bias metrics of a MAD model on ``n`` test images with full-information captions (lesson 04 §3).

    Returns floats: ``rmg`` and ``l2m`` (``metrics.rmg`` / ``l2m`` of the matched image / full-caption
    pairs); ``moad_image`` and ``moad_text`` (``metrics.moad`` with object = digit and attribute = colour,
    on the image and on the full-caption text embeddings); ``moad_image_attributes`` and
    ``moad_text_attributes`` (the mean over the five attribute factors); ``zero_shot_digit``,
    ``zero_shot_color`` and ``zero_shot_attributes`` (mean over the five attribute factors; see
    ``zero_shot``); ``zero_shot_digit_full`` and ``zero_shot_color_full`` (full-caption prompt
    ensembles, see ``zero_shot_full``); ``temperature``; and the per-factor dicts ``moad_image_by_factor``,
    ``zero_shot_by_factor``.
    """
    if source is None:
        source = getattr(model, "mad_config", {}).get("source", "auto")
    ds = mad.MADDataset("test", k=5, n=n, seed=seed, source=source, verbose=verbose)
    img, txt = embed_mad(model, ds)
    f = ds.factors
    out: dict[str, Any] = {"rmg": metrics.rmg(img, txt), "l2m": metrics.l2m(img, txt)}
    moad_img = {a: metrics.moad(img, f["digit"], f[a]) for a in mad.ATTRIBUTES}
    moad_txt = {a: metrics.moad(txt, f["digit"], f[a]) for a in mad.ATTRIBUTES}
    zs = {a: zero_shot(model, img, f[a], a) for a in mad.FACTORS}
    out.update({
        "moad_image": moad_img["colors"], "moad_text": moad_txt["colors"],
        "moad_image_attributes": float(np.mean(list(moad_img.values()))),
        "moad_text_attributes": float(np.mean(list(moad_txt.values()))),
        "zero_shot_digit": zs["digit"], "zero_shot_color": zs["colors"],
        "zero_shot_attributes": float(np.mean([zs[a] for a in mad.ATTRIBUTES])),
        "zero_shot_digit_full": zero_shot_full(model, img, f["digit"], "digit"),
        "zero_shot_color_full": zero_shot_full(model, img, f["colors"], "colors"),
        "temperature": float(model.temperature),
        "moad_image_by_factor": moad_img, "zero_shot_by_factor": zs,
    })
    return out


def _check_int(value: Any, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def train_mad_clip(k: int | None = None, main_object: str = "digit", n_train: int | None = None,
                   epochs: int | None = None, learnable_temperature: bool = True, seed: int = 0, *,
                   init: SmallCLIP | None = None, lr: float | None = None, temperature: float = 0.07,
                   temperature_lr_scale: float = 1.0, source: str = "auto",
                   monitor: bool = True, progress: bool | None = None, threads: int | str | None = "auto",
                   batch_size: int | None = None) -> tuple[SmallCLIP, list[dict]]:
    """Train the lesson-04 small CLIP on MAD captions with ``k`` attributes (``None``: object only).

    Defaults (``None``): ``MAD_DEFAULTS`` (10,000 training images, 5 epochs, batch 256). ``init``:
    continue from a copy of this model (fine-tuning, §5) with its current temperature, learned or frozen as
    ``learnable_temperature`` says; otherwise a fresh model starts at ``temperature`` (CLIP's 0.07). Returns ``(model, history)``; history has one dict per epoch with
    ``loss``, ``temperature``, ``entropy``, ``seconds`` and, when ``monitor``, ``rmg``, ``l2m``,
    ``moad_image`` on 2,000 held-out test images with full captions.
    """
    release_memory()  # start from a lean process: the training peak stacks on what the kernel holds
    k = mad.check_k(k)
    main_object = mad.check_main_object(main_object)
    n_train = MAD_DEFAULTS["n_train"] if n_train is None else _check_int(n_train, "n_train")
    epochs = MAD_DEFAULTS["epochs"] if epochs is None else _check_int(epochs, "epochs")
    batch_size = MAD_DEFAULTS["batch_size"] if batch_size is None else _check_int(batch_size, "batch_size", 2)
    seed = _check_int(seed, "seed", 0)
    if n_train < batch_size:
        raise ValueError(f"n_train={n_train} is smaller than one batch ({batch_size}): use n_train >= batch_size.")
    lr = MAD_DEFAULTS["lr"] if lr is None else float(lr)
    torch.manual_seed(seed)
    ds = mad.MADDataset("train", k=k, main_object=main_object, n=n_train, seed=seed, source=source)
    vocab = mad_vocabulary()
    if init is None:
        model = SmallCLIP.build(len(vocab), embed_dim=MAD_DEFAULTS["embed_dim"], temperature=temperature,
                                learnable_temperature=learnable_temperature)
    else:
        model = copy.deepcopy(init)
        model.log_logit_scale.requires_grad_(bool(learnable_temperature))
    model.vocab = vocab
    model.mad_config = {"k": k, "main_object": main_object, "n_train": n_train, "epochs": epochs,
                        "learnable_temperature": bool(learnable_temperature), "seed": seed, "source": ds.source,
                        "finetuned": init is not None}
    on_epoch_end = None
    if monitor:
        test = mad.MADDataset("test", k=5, n=MAD_DEFAULTS["n_monitor"], seed=seed, source=source, verbose=False)

        def on_epoch_end(epoch: int, m: SmallCLIP) -> dict:
            img, txt = embed_mad(m, test)
            return {"rmg": metrics.rmg(img, txt), "l2m": metrics.l2m(img, txt),
                    "moad_image": metrics.moad(img, test.factors["digit"], test.factors["colors"])}

    label = "object only" if k is None else f"k={k}"
    history = train_clip(model, _mad_batches(ds, vocab, batch_size, seed), epochs, lr=lr,
                         weight_decay=MAD_DEFAULTS["weight_decay"], warmup=MAD_DEFAULTS["warmup"],
                         progress=progress, on_epoch_end=on_epoch_end, threads=threads,
                         temperature_lr_scale=temperature_lr_scale,
                         desc=f"MAD CLIP ({label}, {main_object})")
    release_memory()  # hand the freed activations back, so the next cells start lean
    return model, history
