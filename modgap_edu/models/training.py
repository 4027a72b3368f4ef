"""The course's one CLIP training loop and its one embed loop (lessons 03-05).

* ``train_clip(model, batches, epochs, ...)``: the contrastive loop for any ``towers.SmallCLIP``-like model
  (``model(images, tokens) -> (unit image feats, unit text feats, logit_scale)``). Each step minimises a
  symmetric CLIP loss (Liang et al. 2022, Sec. 4.1; papers.md Sec. 0). The recipe is arguments:
  the optimizer (AdamW, the lesson-04 MAD recipe of ``models.mad_clip``; or Adam, the lesson-03 recipe of
  ``experiments.init_vs_opt``), the schedule (linear warm-up then cosine, or constant), the loss
  (``towers.clip_loss_scaled`` or ``unit_clip_loss``), a ``tqdm.auto`` progress bar and a per-epoch
  callback. The thread count follows the fixed policy of ``_runtime.threads`` (2 unless told otherwise),
  so a seed reproduces a run bit for bit, whatever the machine's load.
* ``embed_pairs(model, batches)``: batched ``no_grad`` encoding to unit image and text features
  (``mad_clip.embed_mad`` and ``init_vs_opt.embed`` use it).
* ``logit_entropy``: the entropy of the softmax rows/columns of a logit matrix (lesson 04 Sec. 5).
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical

from modgap_edu._runtime.threads import limited_threads
from modgap_edu.core import validation as V
from modgap_edu.models.towers import clip_loss_scaled

OPTIMIZERS = ("adamw", "adam")
SCHEDULES = ("warmup_cosine", "constant")


def logit_entropy(logits: torch.Tensor) -> float:
    """Mean Shannon entropy (nats) of the softmax rows and columns of a logit matrix (lesson 04 Sec. 5).

    log(B) for uniform rows (maximally unsure), 0 for one-hot rows."""
    h_rows = Categorical(logits=logits).entropy().mean()
    h_cols = Categorical(logits=logits.T).entropy().mean()
    return float((h_rows + h_cols) / 2)


def unit_clip_loss(image_feat: torch.Tensor, text_feat: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric CLIP loss of the logits ``logit_scale * x @ y.T`` of features that are unit rows already
    (``SmallCLIP.forward`` returns them): Liang et al. 2022, Fig. 1a / Sec. 4.1, as in OpenAI's CLIP code.

    The value of ``towers.clip_loss_scaled`` up to float rounding (that one normalizes the rows again and
    divides by tau); lesson 03's ``init_vs_opt`` recipe uses this form."""
    logits = logit_scale * image_feat @ text_feat.T
    labels = torch.arange(logits.shape[0], device=logits.device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def _schedule(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def make_optimizer(
    model: nn.Module,
    lr: float,
    weight_decay: float,
    temperature_lr_scale: float = 1.0,
    kind: str = "adamw",
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    decay_all: bool = False,
) -> torch.optim.Optimizer:
    """The optimizer of ``train_clip``: AdamW (decoupled weight decay) or Adam (L2 penalty; 0 in lesson 03).

    Weight decay applies to matrices and conv kernels only (not to biases, norms or the logit scale);
    the logit-scale parameter (``log_logit_scale``) gets ``lr * temperature_lr_scale``. Frozen
    parameters (``requires_grad=False``) are left out.

    Parameters
    ----------
    model : nn.Module
        The model whose trainable parameters are optimized.
    lr, weight_decay : float
        Learning rate and weight decay (>= 0).
    temperature_lr_scale : float
        Learning-rate factor of the logit scale.
    kind : {"adamw", "adam"}
        ``torch.optim.AdamW`` or ``torch.optim.Adam``.
    betas, eps : tuple of float, float
        Adam's moment coefficients and epsilon.
    decay_all : bool
        Weight decay on every trainable parameter except the logit scale (Liang's lesson-03 recipe:
        ``Adam(model.parameters(), weight_decay=0.2)``), instead of on matrices and kernels only.

    Returns
    -------
    torch.optim.Optimizer
    """
    if kind not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {kind!r}.")
    decay, no_decay, scale = [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if name.endswith("log_logit_scale"):
            scale.append(p)
        else:
            (decay if decay_all or p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if scale:
        groups.append({"params": scale, "weight_decay": 0.0, "lr": lr * temperature_lr_scale})
    cls = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
    return cls(groups, lr=lr, betas=tuple(betas), eps=eps)


def _progress_kwargs(progress: bool | None) -> dict:
    """``tqdm`` keyword arguments: ``progress`` True/False decides; ``None`` defers to tqdm's own handling.

    tqdm (>= 4.66; 4.70 pinned) reads ``TQDM_*`` environment variables, e.g. ``TQDM_DISABLE=1``, as the
    defaults of ``tqdm.std.tqdm`` when it is imported. ``tqdm.notebook.tqdm`` (what ``tqdm.auto`` gives in
    Jupyter) passes ``disable=False`` on explicitly and so drops that default; we hand tqdm's own parsed
    value on, so that ``TQDM_DISABLE`` works in notebooks as in scripts."""
    if progress is not None:
        return {"disable": not bool(progress)}
    import tqdm.std

    defaults = getattr(vars(tqdm.std.tqdm).get("__init__"), "keywords", None) or {}
    return {"disable": bool(defaults["disable"])} if "disable" in defaults else {}


def _check_recipe(epochs, optimizer: str, schedule: str) -> int:
    V.choice(optimizer, OPTIMIZERS, "optimizer")
    V.choice(schedule, SCHEDULES, "schedule")
    return V.integer(epochs, "epochs", 1)


def train_clip(
    model: nn.Module,
    batches: Callable[[int], Sequence],
    epochs: int,
    lr: float = 2e-3,
    weight_decay: float = 0.1,
    warmup: float = 0.05,
    progress: bool | None = None,
    on_epoch_end: Callable[[int, nn.Module], dict] | None = None,
    desc: str = "training",
    threads: int | None = None,
    temperature_lr_scale: float = 1.0,
    *,
    optimizer: str = "adamw",
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    schedule: str = "warmup_cosine",
    loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] = clip_loss_scaled,
    decay_all: bool = False,
) -> list[dict]:
    """The course's one CLIP training loop (lessons 03-05; symmetric CLIP loss, Liang et al. 2022, Sec. 4.1).

    Parameters
    ----------
    model : nn.Module
        ``model(images, tokens) -> (unit image feats, unit text feats, logit_scale)``, with a
        ``logit_scale`` attribute (``towers.SmallCLIP``).
    batches : callable
        ``batches(epoch)`` returns a sized sequence of ``(images, tokens)`` pairs for that epoch (its length
        must not change between epochs). It is called once per epoch, in order.
    epochs : int
        Number of epochs (>= 1).
    lr, weight_decay, temperature_lr_scale, optimizer, betas, eps
        The optimizer (see ``make_optimizer``): ``"adamw"`` (lesson 04, the default) or ``"adam"`` (lesson 03).
    warmup : float
        Share of the steps with a linear warm-up, for ``schedule="warmup_cosine"``.
    schedule : {"warmup_cosine", "constant"}
        Learning-rate schedule: warm-up then cosine decay to 0 (lesson 04), or none (lesson 03).
    loss : callable
        ``loss(x, y, logit_scale) -> scalar``: ``towers.clip_loss_scaled`` (default) or ``unit_clip_loss``.
    decay_all : bool
        Weight decay on every parameter, not only on matrices and kernels (``make_optimizer``).
    progress : bool or None
        Show a ``tqdm.auto`` bar; ``None`` defers to tqdm (``TQDM_DISABLE=1`` turns it off).
    on_epoch_end : callable or None
        ``on_epoch_end(epoch, model) -> dict or None``, called after each epoch in eval mode under
        ``no_grad``; what it returns is added to that epoch's record.
    desc : str
        The progress bar's label.
    threads : int or None
        Threads during training; ``None``: the fixed policy of ``_runtime.threads`` (``MODGAP_THREADS``, else 2).

    Returns
    -------
    list of dict
        One record per epoch: ``epoch``, ``loss`` (mean over the steps), ``temperature``, ``entropy`` (mean
        logit entropy of the training batches, nats), ``seconds``, plus what ``on_epoch_end`` returned.
    """
    epochs = _check_recipe(epochs, optimizer, schedule)
    with limited_threads(threads):
        first = batches(0)
        steps = len(first)
        if steps == 0:
            raise ValueError("batches(0) returned no batches: the training set is smaller than one batch?")
        opt = make_optimizer(model, lr, weight_decay, temperature_lr_scale, optimizer, betas, eps, decay_all)
        total = steps * epochs
        sched = None
        if schedule == "warmup_cosine":
            n_warm = max(1, int(warmup * total))
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _schedule(s, total, n_warm))
        history = []
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc, leave=False, **_progress_kwargs(progress))
        try:
            for epoch in range(epochs):
                epoch_batches = first if epoch == 0 else batches(epoch)
                record = _train_epoch(epoch + 1, model, epoch_batches, opt, sched, loss, bar)
                if on_epoch_end is not None:
                    model.eval()
                    with torch.no_grad():
                        record.update(on_epoch_end(epoch + 1, model) or {})
                history.append(record)
        finally:
            bar.close()
        model.eval()
        return history


def _train_epoch(epoch: int, model: nn.Module, epoch_batches: Iterable, opt, sched, loss_fn, bar) -> dict:
    """One epoch of ``train_clip``: the steps, then the epoch's mean loss, temperature and entropy."""
    t0 = time.perf_counter()
    model.train()
    losses, entropies = [], []
    for images, tokens in epoch_batches:
        x, y, scale = model(images, tokens)
        loss = loss_fn(x, y, scale)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        with torch.no_grad():
            entropies.append(logit_entropy(scale * x @ y.T))
        losses.append(float(loss.detach()))
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}", tau=f"{float(1 / scale.detach()):.4f}")
    return {
        "epoch": epoch,
        "loss": float(np.mean(losses)),
        "temperature": float(1 / model.logit_scale.detach()),
        "entropy": float(np.mean(entropies)),
        "seconds": time.perf_counter() - t0,
    }


@torch.no_grad()
def embed_pairs(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]
) -> tuple[np.ndarray, np.ndarray]:
    """The course's one embed loop: unit-norm image and text features of ``(images, tokens)`` batches.

    Batched ``no_grad`` encoding with ``model.encode_image`` / ``model.encode_text`` in eval mode (the
    model's train/eval mode is restored afterwards); rows are L2-normalized as in every gap metric
    (papers.md Sec. 0). Lessons 03-05.

    Parameters
    ----------
    model : nn.Module
        A ``towers.SmallCLIP``-like model.
    batches : iterable of (images, tokens)
        The inputs, batch by batch (one batch is fine); text row i is paired with image row i.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Image and text features, float32, shape (N, embed_dim) each.
    """
    was_training = model.training
    model.eval()
    img, txt = [], []
    try:
        for images, tokens in batches:
            img.append(F.normalize(model.encode_image(images), dim=1))
            txt.append(F.normalize(model.encode_text(tokens), dim=1))
    finally:
        model.train(was_training)
    if not img:
        raise ValueError("embed_pairs got no batches: pass at least one (images, tokens) pair.")
    return torch.cat(img).numpy(), torch.cat(txt).numpy()
