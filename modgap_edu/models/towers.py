"""Small two-tower CLIP models that train on a laptop CPU (lessons 03-05).

The MAD paper's training code was never released (Schrodi et al. 2025, ICLR, README of
``lmb-freiburg/two-effects-one-trigger``), so these towers are **our choice**, not the
paper's architecture:

* ``ImageTower``: a 3-block ConvNet (conv-BN-ReLU, max-pool), global average pooling and a
  2-layer MLP head (default widths 16/32/64 in ``SmallCLIP.build``).
* ``BagOfWordsTower``: word embeddings, mean pooling over the caption's words (order-free,
  which suits MAD's shuffled captions), and a 2-layer MLP head.
* ``Vocabulary``: maps caption words to ids (0 = padding) and pads a batch of captions.
* ``SmallCLIP``: the two towers plus the CLIP logit scale 1/tau (learnable or frozen,
  initialised at 1/0.07 as in CLIP, Radford et al. 2021, and clamped at 100 as there).
* ``MLPImageTower`` (lesson 03): a 3-layer MLP for scikit-learn's 8x8 digits.
* ``RotatedTower`` (lesson 03): a tower followed by a fixed orthogonal rotation, Liang et al. 2022's
  "amended" initialization (Sec. 4.4; W from ``core.procrustes.procrustes_rotation``).
* ``clip_loss_scaled``: the symmetric CLIP loss with a tensor logit scale (``core.losses.clip_loss``).

The training loop and the embed loop for these models are in ``modgap_edu.models.training``.

Generic API (any image size, channel count, vocabulary and embedding width)::

    vocab = Vocabulary(["3", "red", "thickening"])
    model = SmallCLIP.build(vocab_size=len(vocab), embed_dim=32, in_channels=3)
    img = model.encode_image(images)              # (B, 32), not normalized
    txt = model.encode_text(vocab.encode(["3-red"]))
    logits = model.logits(images, tokens)          # (B, B) = s_ij / tau on unit vectors

Encoders return raw (unnormalized) features, like ``open_clip``; ``logits`` and the loss
normalize. ``model.temperature`` is tau = 1 / logit_scale.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from modgap_edu.core import validation as V
from modgap_edu.core.losses import clip_loss

PAD = "<pad>"
MAX_LOGIT_SCALE = 100.0


def _positive_ints(**values) -> None:
    for name, v in values.items():
        V.integer(v, name, 1)


class Vocabulary:
    """Caption words -> integer ids; id 0 is padding. Captions are split on ``sep``.

    Lesson 04: a MAD caption such as ``"thickening-3-no swelling"`` is split on "-" into
    the literal factor values ``["thickening", "3", "no swelling"]``; each value is one word.
    """

    def __init__(self, words: Iterable[str], sep: str = "-"):
        words = list(dict.fromkeys(words))  # keep order, drop duplicates
        if not words:
            raise ValueError("Vocabulary needs at least one word.")
        if PAD in words:
            raise ValueError(f"{PAD!r} is reserved for padding; remove it from the word list.")
        for w in words:
            if not isinstance(w, str) or not w:
                raise ValueError(f"every vocabulary word must be a non-empty string, got {w!r}.")
            if sep in w:
                raise ValueError(f"word {w!r} contains the separator {sep!r}; it could never be looked up.")
        self.sep = sep
        self.words = [PAD] + words
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self.words) - 1} words + padding, sep={self.sep!r})"

    def tokenize(self, caption: str) -> list[int]:
        if not isinstance(caption, str) or not caption:
            raise ValueError(f"a caption must be a non-empty string, got {caption!r}.")
        ids = []
        for w in caption.split(self.sep):
            if w not in self.index or w == PAD:
                known = ", ".join(repr(x) for x in self.words[1:8])
                raise ValueError(f"unknown word {w!r} in caption {caption!r}; the vocabulary has {known}, ...")
            ids.append(self.index[w])
        return ids

    def encode(self, captions: Sequence[str], length: int | None = None) -> torch.Tensor:
        """A (B, L) int64 tensor of word ids, right-padded with 0 to the longest caption (or ``length``)."""
        if isinstance(captions, str):
            raise ValueError("encode takes a list of captions; wrap a single caption in a list.")
        rows = [self.tokenize(c) for c in captions]
        if not rows:
            raise ValueError("encode needs at least one caption.")
        width = max(len(r) for r in rows) if length is None else int(length)
        if width < max(len(r) for r in rows):
            raise ValueError(
                f"length={length} is shorter than the longest caption ({max(len(r) for r in rows)} words)."
            )
        out = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        return out


class ImageTower(nn.Module):
    """ConvNet image encoder: ``len(widths)`` conv-BN-ReLU blocks (max-pool after all but the last),
    global average pooling, MLP ``widths[-1] -> hidden -> embed_dim``. Input (B, C, H, W)."""

    def __init__(
        self, in_channels: int = 3, embed_dim: int = 32, widths: Sequence[int] = (32, 64, 128), hidden: int = 128
    ):
        super().__init__()
        _positive_ints(in_channels=in_channels, embed_dim=embed_dim, hidden=hidden)
        if not widths:
            raise ValueError("widths needs at least one conv block width.")
        _positive_ints(**{f"widths[{i}]": w for i, w in enumerate(widths)})
        layers: list[nn.Module] = []
        c = in_channels
        for i, w in enumerate(widths):
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(c, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, embed_dim))
        self.in_channels = in_channels
        self.embed_dim = embed_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim != 4 or images.shape[1] != self.in_channels:
            raise ValueError(f"images must have shape (B, {self.in_channels}, H, W), got {tuple(images.shape)}.")
        h = self.features(images).mean(dim=(2, 3))
        return self.head(h)


class BagOfWordsTower(nn.Module):
    """Text encoder: mean of the word embeddings of the non-padding ids, then an MLP
    ``word_dim -> hidden -> embed_dim``. Input (B, L) int64 ids with 0 = padding."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, word_dim: int = 128, hidden: int = 128):
        super().__init__()
        _positive_ints(vocab_size=vocab_size, embed_dim=embed_dim, word_dim=word_dim, hidden=hidden)
        if vocab_size < 2:
            raise ValueError("vocab_size counts the padding id 0, so it must be at least 2.")
        self.embedding = nn.Embedding(vocab_size, word_dim, padding_idx=0)
        self.head = nn.Sequential(nn.Linear(word_dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, embed_dim))
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.ndim != 2 or tokens.dtype != torch.long:
            raise ValueError(
                f"tokens must be a (B, L) int64 tensor of word ids, got {tuple(tokens.shape)} {tokens.dtype}."
            )
        mask = (tokens != 0).unsqueeze(-1).float()
        count = mask.sum(dim=1)
        if (count == 0).any():
            raise ValueError("a caption has no words (all padding): every caption needs at least one word.")
        pooled = (self.embedding(tokens) * mask).sum(dim=1) / count
        return self.head(pooled)


class SmallCLIP(nn.Module):
    """Two towers plus the CLIP logit scale. ``logit_scale`` is stored as log(1/tau) (CLIP's
    parametrisation); ``learnable_temperature=False`` freezes it (``requires_grad=False``), like
    ``--freeze_temp`` in the paper's OpenCLIP fork (Schrodi et al. 2025, §3.5 of our notes)."""

    def __init__(
        self,
        image_tower: nn.Module,
        text_tower: nn.Module,
        temperature: float = 0.07,
        learnable_temperature: bool = True,
    ):
        super().__init__()
        tau = V.positive_number(temperature, "temperature")
        self.image_tower = image_tower
        self.text_tower = text_tower
        self.log_logit_scale = nn.Parameter(
            torch.tensor(math.log(1.0 / tau)), requires_grad=bool(learnable_temperature)
        )

    @classmethod
    def build(
        cls,
        vocab_size: int,
        embed_dim: int = 32,
        in_channels: int = 3,
        widths: Sequence[int] = (16, 32, 64),
        hidden: int = 64,
        word_dim: int = 64,
        temperature: float = 0.07,
        learnable_temperature: bool = True,
    ) -> "SmallCLIP":
        """The course's default small CLIP: ImageTower(widths 16/32/64) + BagOfWordsTower(64-d words),
        both with a 64-wide MLP head to ``embed_dim``; about 40 k parameters with the MAD vocabulary.
        ~1,400 training samples/s on one CPU core for 28x28 inputs."""
        return cls(
            ImageTower(in_channels, embed_dim, widths, hidden),
            BagOfWordsTower(vocab_size, embed_dim, word_dim, hidden),
            temperature,
            learnable_temperature,
        )

    @property
    def logit_scale(self) -> torch.Tensor:
        """1/tau, clamped at 100 as in CLIP (differentiable unless frozen)."""
        return self.log_logit_scale.exp().clamp(max=MAX_LOGIT_SCALE)

    @property
    def temperature(self) -> float:
        return float(1.0 / self.logit_scale.detach())

    def set_temperature(self, temperature: float, learnable: bool | None = None) -> None:
        tau = V.positive_number(temperature, "temperature")
        with torch.no_grad():
            self.log_logit_scale.fill_(math.log(1.0 / tau))
        if learnable is not None:
            self.log_logit_scale.requires_grad_(bool(learnable))

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return self.image_tower(images)

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.text_tower(tokens)

    def forward(self, images: torch.Tensor, tokens: torch.Tensor):
        """(unit image features, unit text features, logit scale)."""
        return (
            F.normalize(self.encode_image(images), dim=1),
            F.normalize(self.encode_text(tokens), dim=1),
            self.logit_scale,
        )

    def logits(self, images: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        x, y, scale = self(images, tokens)
        return scale * x @ y.T


def clip_loss_scaled(image_feat: torch.Tensor, text_feat: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric CLIP loss with a *tensor* logit scale 1/tau, so that tau can be learned:
    ``modgap_edu.core.losses.clip_loss`` at temperature ``1 / logit_scale`` (rows L2-normalized there)."""
    return clip_loss(image_feat, text_feat, 1.0 / logit_scale)


class RotatedTower(nn.Module):
    """Lesson 03: a text tower followed by the fixed rotation ``y -> y @ W.T`` (a buffer, never trained).

    Liang et al. 2022, Sec. 4.4, "amended" initialization: W (orthogonal, from
    ``core.procrustes.procrustes_rotation`` on the initial model's features) lays the text cone onto the
    image cone, so the gap at init is about 0; ``experiments.init_vs_opt.amend`` installs it."""

    def __init__(self, tower: nn.Module, w: Any):
        super().__init__()
        w = torch.as_tensor(np.asarray(w, dtype=np.float32))
        if w.ndim != 2 or w.shape[0] != w.shape[1]:
            raise ValueError(f"w must be a square matrix, got shape {tuple(w.shape)}.")
        if not torch.allclose(w @ w.T, torch.eye(w.shape[0]), atol=1e-4):
            raise ValueError("w must be orthogonal (W W^T = I); build it with procrustes_rotation.")
        self.tower = tower
        self.register_buffer("w", w)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.tower(tokens) @ self.w.T


class MLPImageTower(nn.Module):
    """Lesson 03: image encoder for 8x8 digits: flatten, Linear-ReLU-Linear-ReLU-Linear (64->128->128->32).

    Our choice for ``experiments.init_vs_opt`` (the 8x8 digits need no ConvNet). Input (B, ...) with
    ``in_pixels`` values per image."""

    def __init__(self, in_pixels: int = 64, hidden: int = 128, embed_dim: int = 32):
        super().__init__()
        _positive_ints(in_pixels=in_pixels, hidden=hidden, embed_dim=embed_dim)
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_pixels, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, embed_dim),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)
