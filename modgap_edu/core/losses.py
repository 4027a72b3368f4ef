"""Contrastive losses (lesson 01; used by lessons 03-05).

* ``clip_loss``: the CLIP / InfoNCE loss (Radford et al. 2021; Liang et al. 2022, Fig. 1a
  and Sec. 4.1), equal to ``open_clip.ClipLoss`` with ``logit_scale = 1 / temperature``.
* ``align_loss`` and ``uniform_loss``: Wang & Isola 2020 (ICML), as in their official
  ``align_uniform`` package: alpha = t = 2 by default, uniformity over distinct pairs i < j.

All three check their inputs with ``validation`` (``tensor`` / ``pair``), L2-normalize rows with
``unit_rows_torch`` and return differentiable torch scalars.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from modgap_edu.core import validation as V

DIRECTIONS = ("both", "image_to_text", "text_to_image")


def unit_rows_torch(x: torch.Tensor) -> torch.Tensor:
    """Row-wise L2 normalization of a checked tensor, differentiable; the torch twin of ``metrics.unit_rows``.

    Each row is divided by its largest |entry| before the norm, so that finite inputs of extreme
    magnitude (1e20 in float32, 1e170 in float64) neither overflow nor underflow; the direction is
    unchanged. Lessons 01, 03 (losses and the sphere toy).

    Parameters
    ----------
    x : torch.Tensor
        2-D floating tensor, finite, without all-zero rows (``validation.tensor``).

    Returns
    -------
    torch.Tensor
        Unit rows, same shape and dtype, in the autograd graph of ``x``.
    """
    x = x / x.detach().abs().amax(dim=1, keepdim=True)
    return x / x.norm(dim=1, keepdim=True)


def _temperature(temperature: Any):
    """A checked temperature: a positive float, or a positive scalar tensor (keeps its graph,
    so a learnable temperature gets gradients)."""
    if isinstance(temperature, torch.Tensor):
        if temperature.numel() != 1:
            raise ValueError(f"temperature must be a scalar, got a tensor of shape {tuple(temperature.shape)}.")
        if temperature.is_complex() or temperature.dtype == torch.bool:
            raise ValueError(f"temperature must be a real positive number, got a {temperature.dtype} tensor.")
        V.positive_number(float(temperature.detach()), "temperature")
        return temperature.reshape(())
    return V.positive_number(temperature, "temperature")


def inverse_temperature(tau: float) -> float:
    """1 / tau for a checked tau > 0, or a ``ValueError`` when cos / tau could overflow float64.

    Shared by every CLIP-loss computation (``clip_loss``, ``shift`` landscapes, the sphere toy), so
    that any tau > 0 gives either a finite loss or this clear error, never inf or NaN.

    Parameters
    ----------
    tau : float
        The temperature, > 0.

    Returns
    -------
    float
        1 / tau.
    """
    with np.errstate(over="ignore", divide="ignore"):
        inv = 1.0 / float(tau)
    if not math.isfinite(inv) or inv > np.finfo(np.float64).max / 4:
        raise ValueError(
            f"temperature {float(tau):.3g} is so small that 1/temperature overflows float64: use temperature >= 1e-300."
        )
    return inv


def _logits(x: torch.Tensor, y: torch.Tensor, tau) -> torch.Tensor:
    """cos(x_i, y_j) / tau, in float64 when 1/tau would overflow the inputs' dtype; never inf or NaN.

    |cos| <= 1, so the logits are bounded by 1/tau: they are finite exactly when 1/tau is."""
    inv = inverse_temperature(float(tau.detach()) if isinstance(tau, torch.Tensor) else tau)
    if inv > torch.finfo(x.dtype).max / 4:
        x, y = x.double(), y.double()
        tau = tau.double() if isinstance(tau, torch.Tensor) else tau
    return unit_rows_torch(x) @ unit_rows_torch(y).T / tau


def clip_loss(image_emb: Any, text_emb: Any, temperature: float = 0.01, direction: str = "both") -> torch.Tensor:
    """CLIP loss over a batch of matched pairs (row i of images <-> row i of texts).

    L_{I->T} = -1/N sum_i log( exp(s_ii/tau) / sum_j exp(s_ij/tau) ), L_{T->I} likewise over
    columns; ``direction="both"`` returns their mean. Stable for small tau (log-sum-exp); when
    1/tau overflows the inputs' dtype the logits are computed in float64, so any tau > 0 gives a
    finite loss (below ~1e-300 a ``ValueError``).

    Parameters
    ----------
    image_emb, text_emb : torch.Tensor or array_like
        Matched embeddings, same shape (row i <-> row i). Tensors keep their graph; float16 /
        bfloat16 are computed in float32, numpy inputs in float64.
    temperature : float or torch.Tensor
        tau > 0; a scalar tensor (a learnable tau) receives gradients.
    direction : {"both", "image_to_text", "text_to_image"}
        Which cross-entropy to return.

    Returns
    -------
    torch.Tensor
        The loss, a differentiable scalar.
    """
    V.choice(direction, DIRECTIONS, "direction")
    tau = _temperature(temperature)
    x, y = V.pair(image_emb, text_emb, paired=True, as_tensor=True)
    logits = _logits(x, y, tau)
    labels = torch.arange(logits.shape[0], device=logits.device)
    if direction == "image_to_text":
        return F.cross_entropy(logits, labels)
    if direction == "text_to_image":
        return F.cross_entropy(logits.T, labels)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def align_loss(x: Any, y: Any, alpha: float = 2) -> torch.Tensor:
    """Alignment (Wang & Isola 2020, ``align_loss``; lesson 01): E ||f(x) - f(y)||^alpha over positive pairs.

    Parameters
    ----------
    x, y : torch.Tensor or array_like
        Paired embeddings of the same shape (row i of x <-> row i of y).
    alpha : float
        Exponent > 0 (2 in the paper).

    Returns
    -------
    torch.Tensor
        The loss, a differentiable scalar in [0, 2**alpha].
    """
    a = V.positive_number(alpha, "alpha")
    xt, yt = V.pair(x, y, paired=True, names=("x", "y"), as_tensor=True)
    return (unit_rows_torch(xt) - unit_rows_torch(yt)).norm(p=2, dim=1).pow(a).mean()


def uniform_loss(x: Any, t: float = 2) -> torch.Tensor:
    """Uniformity (Wang & Isola 2020): log E_{i<j} exp(-t ||f(x_i) - f(x_j)||^2).

    Averaged over the N(N-1)/2 distinct pairs, like ``torch.pdist``; computed with
    log-sum-exp so that large t cannot underflow to log(0). Lesson 01.

    Parameters
    ----------
    x : torch.Tensor or array_like
        Embeddings, at least two rows (float16 / bfloat16 are computed in float32).
    t : float
        Scale t > 0 (2 in the paper).

    Returns
    -------
    torch.Tensor
        The loss, a differentiable scalar <= 0.
    """
    tt = V.positive_number(t, "t")
    xt = V.tensor(x, "x", min_rows=2)
    sq = torch.pdist(unit_rows_torch(xt), p=2).pow(2)
    return torch.logsumexp(-tt * sq, dim=0) - math.log(sq.numel())
