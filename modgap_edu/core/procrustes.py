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

from modgap_edu.core import metrics
from modgap_edu.core import validation as V


def procrustes_rotation(image_emb: Any, text_emb: Any) -> np.ndarray:
    """Lesson 03: Liang's fixed orthogonal W (D x D) with ``normalize(Y) @ W.T`` closest to ``normalize(X)``.

    Liang et al. 2022, Sec. 4.4 / ``train_clip_toy_fix_init``: ``W = U @ Vh`` from
    ``U, S, Vh = svd(X.T @ Y)`` on row-normalized X (images) and Y (texts), rows paired.

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Paired embeddings of the same shape (row i <-> row i).

    Returns
    -------
    numpy.ndarray
        The orthogonal (D, D) float64 matrix W.
    """
    u, vh = _svd_factors(image_emb, text_emb)
    return u @ vh


def _svd_factors(image_emb: Any, text_emb: Any) -> tuple[np.ndarray, np.ndarray]:
    """U and Vh of ``svd(normalize(X).T @ normalize(Y))`` for checked, paired X, Y (both rotations use it)."""
    x, y = V.pair(image_emb, text_emb, paired=True)
    u, _, vh = np.linalg.svd(metrics.unit_rows(x).T @ metrics.unit_rows(y))
    return u, vh


def apply_rotation(text_emb: Any, w: Any) -> np.ndarray:
    """Lesson 03: ``text_emb @ w.T`` (Liang's amended text features, Sec. 4.4), checked.

    Parameters
    ----------
    text_emb : array_like or torch.Tensor
        Text embeddings (N, D); real and finite (zero rows are allowed: a rotation keeps them zero).
    w : array_like
        A real, finite, orthogonal (D, D) matrix, normally ``procrustes_rotation``'s.

    Returns
    -------
    numpy.ndarray
        float64 (N, D).
    """
    y = V.matrix(text_emb, "text_emb", nonzero_rows=False, dtype=np.float64)
    w = V.matrix(w, "w", nonzero_rows=False, dtype=np.float64)
    if w.shape != (y.shape[1], y.shape[1]):
        raise ValueError(f"w must be a square ({y.shape[1]}, {y.shape[1]}) matrix, got shape {w.shape}.")
    if not np.allclose(w @ w.T, np.eye(w.shape[0]), atol=1e-5):
        raise ValueError(
            "w must be orthogonal (w @ w.T = I, a rotation): a singular or scaled w would move texts "
            "off the sphere or onto the origin. Pass procrustes_rotation's W."
        )
    return y @ w.T


def proper_rotation(image_emb: Any, text_emb: Any) -> np.ndarray:
    """Lesson 03 (Bonus exercise 3.7): the best *proper* rotation (det +1) laying normalize(Y) onto normalize(X).

    Liang's ``W = U Vh`` (``procrustes_rotation``) is the best orthogonal matrix and may be a reflection
    (det -1). Restricted to rotations, the optimum flips the singular direction of the smallest singular
    value: ``W = U diag(1, ..., 1, det(U Vh)) Vh`` (Kabsch 1976; Umeyama 1991, without scaling or centring,
    as Liang's W has none).

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Paired embeddings of the same shape (row i <-> row i).

    Returns
    -------
    numpy.ndarray
        The (D, D) float64 rotation W with W Wᵀ = I and det W = +1.
    """
    u, vh = _svd_factors(image_emb, text_emb)
    signs = np.ones(len(vh))
    signs[-1] = np.sign(np.linalg.det(u @ vh)) or 1.0
    return (u * signs) @ vh
