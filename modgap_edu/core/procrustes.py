"""Orthogonal Procrustes: rotate one modality onto the other (lesson 03; Liang et al. 2022, Sec. 4.4).

Liang's "amended" initialization (``utils.train_clip_toy_fix_init``, papers.md Sec. 1.9): encode
the training pairs with the *initial* model, L2-normalize, X (images) and Y (texts), then

    U, S, V^T = svd(X^T Y),   W = U V^T,   text features  y -> y @ W.T  (= y V U^T).

``Y @ W.T`` is the orthogonal Procrustes solution of min_{R in O(D)} ||Y R - X||_F: the
rotation that best lays the text cloud onto the image cloud. W is fixed, not learned.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from modgap_edu.core import validation as V
from modgap_edu.core import metrics


def procrustes_rotation(image_emb: Any, text_emb: Any) -> np.ndarray:
    """Lesson 03: Liang's fixed orthogonal W (D x D) with ``normalize(Y) @ W.T`` closest to ``normalize(X)``.

    Liang et al. 2022, Sec. 4.4 / ``train_clip_toy_fix_init``: ``W = U @ Vh`` from
    ``U, S, Vh = svd(X.T @ Y)`` on row-normalized X (images) and Y (texts), rows paired.
    """
    x = V.to_numpy_matrix(image_emb, "image_emb", min_rows=1).astype(np.float64)
    y = V.to_numpy_matrix(text_emb, "text_emb", min_rows=1).astype(np.float64)
    V.same_width(x, y, "image_emb", "text_emb")
    V.same_rows(x.shape, y.shape, "image_emb", "text_emb")
    x, y = metrics.unit_rows(x), metrics.unit_rows(y)
    u, _, vh = np.linalg.svd(x.T @ y)
    return u @ vh


def apply_rotation(text_emb: Any, w: Any) -> np.ndarray:
    """Lesson 03: ``text_emb @ w.T`` (Liang's amended text features), checked; float64 numpy."""
    y = V.to_numpy_matrix(text_emb, "text_emb", nonzero_rows=False).astype(np.float64)
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2 or w.shape != (y.shape[1], y.shape[1]):
        raise ValueError(f"w must be a square ({y.shape[1]}, {y.shape[1]}) matrix, got shape {w.shape}.")
    return y @ w.T


