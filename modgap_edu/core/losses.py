"""Contrastive losses (lesson 01; used by lessons 03-05).

* ``clip_loss``: the CLIP / InfoNCE loss (Radford et al. 2021; Liang et al. 2022, Fig. 1a
  and Sec. 4.1), equal to ``open_clip.ClipLoss`` with ``logit_scale = 1 / temperature``.
* ``align_loss`` and ``uniform_loss``: Wang & Isola 2020 (ICML), as in their official
  ``align_uniform`` package: alpha = t = 2 by default, uniformity over distinct pairs i < j.

All three L2-normalize rows first and return differentiable torch scalars.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from modgap_edu.core import validation as V

DIRECTIONS = ("both", "image_to_text", "text_to_image")


def as_tensor(x: Any, name: str, *, min_rows: int = 1) -> torch.Tensor:
    """Checked 2-D float tensor; torch inputs keep their graph, numpy inputs become float64."""
    if isinstance(x, torch.Tensor):
        if x.ndim != 2:
            raise ValueError(f"{name} must be 2-D (rows = samples), got shape {tuple(x.shape)}.")
        if x.shape[0] < min_rows:
            raise ValueError(f"{name} needs at least {min_rows} row(s), got {x.shape[0]}.")
        if x.shape[1] == 0:
            raise ValueError(f"{name} has 0 columns: embeddings need at least one dimension.")
        if not torch.is_floating_point(x):
            x = x.double()
        with torch.no_grad():
            if not torch.isfinite(x).all():
                raise ValueError(f"{name} contains NaN or inf: fix those rows before computing the loss.")
            zero = ~(x != 0).any(dim=1)
            if zero.any():
                raise ValueError(
                    f"{name} has an all-zero row (row {int(zero.nonzero()[0])}): it cannot be L2-normalized."
                )
        return x
    arr = V.to_numpy_matrix(x, name, min_rows=min_rows)
    return torch.from_numpy(np.ascontiguousarray(arr))


def _normalized(x: torch.Tensor) -> torch.Tensor:
    # Scale by the row's largest |entry| before the norm, so that finite inputs of extreme magnitude
    # (1e20 in float32, 1e170 in float64) neither overflow nor underflow; the direction is unchanged.
    x = x / x.detach().abs().amax(dim=1, keepdim=True)
    return x / x.norm(dim=1, keepdim=True)


def _temperature(temperature: Any):
    """A checked temperature: a positive float, or a positive scalar tensor (keeps its graph,
    so a learnable temperature gets gradients)."""
    if isinstance(temperature, torch.Tensor):
        if temperature.numel() != 1:
            raise ValueError(f"temperature must be a scalar, got a tensor of shape {tuple(temperature.shape)}.")
        V.positive_number(float(temperature.detach()), "temperature")
        return temperature.reshape(())
    return V.positive_number(temperature, "temperature")


def _pair(image_emb: Any, text_emb: Any) -> tuple[torch.Tensor, torch.Tensor]:
    x = as_tensor(image_emb, "image_emb")
    y = as_tensor(text_emb, "text_emb")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"image_emb and text_emb must have the same width, got {x.shape[1]} and {y.shape[1]}.")
    return x, (y.to(x.dtype) if y.dtype != x.dtype else y)


def clip_logits(image_emb: Any, text_emb: Any, temperature: float = 0.01) -> torch.Tensor:
    """Similarity logits s_ij / tau between normalized image i and normalized text j."""
    tau = _temperature(temperature)
    x, y = _pair(image_emb, text_emb)
    return _normalized(x) @ _normalized(y).T / tau


def clip_loss(image_emb: Any, text_emb: Any, temperature: float = 0.01, direction: str = "both") -> torch.Tensor:
    """CLIP loss over a batch of matched pairs (row i of images <-> row i of texts).

    L_{I->T} = -1/N sum_i log( exp(s_ii/tau) / sum_j exp(s_ij/tau) ), L_{T->I} likewise over
    columns; ``direction="both"`` returns their mean. Stable for small tau (log-sum-exp).
    ``temperature`` may be a scalar tensor (a learnable tau receives gradients).
    """
    V.choice(direction, DIRECTIONS, "direction")
    tau = _temperature(temperature)
    x, y = _pair(image_emb, text_emb)
    V.same_rows(tuple(x.shape), tuple(y.shape), "image_emb", "text_emb")
    logits = _normalized(x) @ _normalized(y).T / tau
    labels = torch.arange(logits.shape[0], device=logits.device)
    if direction == "image_to_text":
        return F.cross_entropy(logits, labels)
    if direction == "text_to_image":
        return F.cross_entropy(logits.T, labels)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def align_loss(x: Any, y: Any, alpha: float = 2) -> torch.Tensor:
    """Alignment (Wang & Isola 2020): E ||f(x) - f(y)||^alpha over positive pairs (rows i, i)."""
    a = V.positive_number(alpha, "alpha")
    xt = as_tensor(x, "x")
    yt = as_tensor(y, "y")
    if xt.shape != yt.shape:
        raise ValueError(f"x and y must have the same shape (row i of x is paired with row i of y), got "
                         f"{tuple(xt.shape)} and {tuple(yt.shape)}.")
    if yt.dtype != xt.dtype:
        yt = yt.to(xt.dtype)
    return (_normalized(xt) - _normalized(yt)).norm(p=2, dim=1).pow(a).mean()


def uniform_loss(x: Any, t: float = 2) -> torch.Tensor:
    """Uniformity (Wang & Isola 2020): log E_{i<j} exp(-t ||f(x_i) - f(x_j)||^2).

    Averaged over the N(N-1)/2 distinct pairs, like ``torch.pdist``; computed with
    log-sum-exp so that large t cannot underflow to log(0).
    """
    tt = V.positive_number(t, "t")
    xt = as_tensor(x, "x", min_rows=2)
    sq = torch.pdist(_normalized(xt), p=2).pow(2)
    return torch.logsumexp(-tt * sq, dim=0) - math.log(sq.numel())
