"""Train and evaluate a small CLIP on MAD (lesson 04; a generic loop reusable by lessons 03 and 05).

* ``train_clip(model, batches, epochs, ...)``: the generic contrastive loop -- symmetric CLIP loss
  with the model's (learnable or frozen) logit scale, AdamW, linear warm-up then cosine decay,
  a ``tqdm.auto`` progress bar and a per-epoch callback. Works for any ``towers.SmallCLIP``-like
  model (``model(images, tokens) -> (unit image feats, unit text feats, logit_scale)``).
* ``train_mad_clip(k, main_object, n_train, epochs, learnable_temperature, seed)``: the lesson's
  recipe on ``dataset.MADDataset``; returns ``(model, history)``.
* ``evaluate_mad(model, n, seed)``: gap and bias metrics on the MAD test split with
  full-information captions (the main object and all five attributes) on the text side.

The paper's MAD training code is not public (Schrodi et al. 2025, README), so the recipe is
**ours**: ConvNet + bag-of-words towers (``towers.SmallCLIP.build``), embedding width 32, batch 256, AdamW
lr 2e-3, weight decay 0.1, 5 % warm-up then cosine, tau initialised at 0.07 and learned as in
CLIP (Radford et al. 2021). The loss is the symmetric CLIP loss of ``losses.clip_loss`` (see
``towers.clip_loss_scaled``, which lets gradients reach tau).
"""
from __future__ import annotations

import math
import os
import time
from typing import Callable, Sequence

import numpy as np
import torch
from torch.distributions import Categorical
from torch import nn

from modgap_edu._runtime.threads import auto_threads
from modgap_edu.core import validation as V
from modgap_edu.models.towers import clip_loss_scaled


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
    h_rows = Categorical(logits=logits).entropy().mean()
    h_cols = Categorical(logits=logits.T).entropy().mean()
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

    V.integer(epochs, "epochs", 1)
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


