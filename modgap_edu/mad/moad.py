"""The official MOAD on MAD's multi-hot attribute layout (lesson 04 §3b; Schrodi et al. 2025).

The official ``object_bias_precompute.py::inter_intra_cossine_sims`` takes either one class label per
sample (``all_cls_labels``, the object side) or a boolean matrix with one column per attribute value
(``all_att_mat_bool``, the attribute side). On MIT-States every image has one attribute, so the matrix
is one-hot and both forms mean the same. On MAD every image has five attribute values at once
(``mad.dataset.attribute_matrix``: 16 columns, 0-2 thickthinning, 3-4 swelling, 5-6 fracture,
7-8 scaling, 9-15 colour), so the columns *overlap*:

* intra, column c: the pairs i < j (upper triangle, offset 1) among the samples that have value c;
* inter, ordered columns (c, c2), c != c2: the entries (i, j), j > i, of the block "samples with c"
  x "samples with c2" -- even when the two columns belong to different factors, so a pair that shares
  value c2's factor value with c's (e.g. same colour, different thickness) and even a sample with itself
  can count as "inter".

Both are pooled (total sum / total count), as in the official code. ``official_moad_multihot`` applies
this to the attribute side and the class-label form to the digit side; it needs the whole cosine
matrix, so it is meant for a few thousand samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modgap_edu.core import validation as V
from modgap_edu.core.metrics import unit_rows


def _triu_sum(block: np.ndarray) -> tuple[float, int]:
    """Sum and count of the entries (i, j) with j > i of a rectangular block (``torch.triu_indices(.., 1)``)."""
    n_a, n_b = block.shape
    mask = np.triu(np.ones((n_a, n_b), dtype=bool), k=1)
    return float(block[mask].sum()), int(mask.sum())


def official_intra_inter(sims: np.ndarray, groups: list[np.ndarray]) -> tuple[float, float]:
    """Pooled intra and inter mean cosines of ``inter_intra_cossine_sims`` for row groups that may overlap.

    Parameters
    ----------
    sims : numpy.ndarray
        (N, N) cosine-similarity matrix of unit embeddings, in sample order.
    groups : list of numpy.ndarray
        Row indices (ascending, sample order) of each class or attribute column; empty groups are skipped.

    Returns
    -------
    tuple of float
        ``(mean_intra_sim, mean_cross_sim)``.
    """
    groups = [np.asarray(g, dtype=np.int64) for g in groups if len(g)]
    intra = [_triu_sum(sims[np.ix_(g, g)]) for g in groups]
    inter = [_triu_sum(sims[np.ix_(a, b)]) for i, a in enumerate(groups) for j, b in enumerate(groups) if i != j]
    n_intra, n_inter = sum(c for _, c in intra), sum(c for _, c in inter)
    if n_intra == 0 or n_inter == 0:
        raise ValueError("the groups leave no intra or no inter pairs: give at least two groups, one with 2 samples.")
    return sum(s for s, _ in intra) / n_intra, sum(s for s, _ in inter) / n_inter


def official_moad_multihot(emb: Any, object_labels: Any, attribute_matrix: Any) -> float:
    """Official MOAD with MAD's multi-hot attributes (lesson 04 §3b; Schrodi et al. 2025, MOAD definition):
    (intra - inter)_object - (intra - inter)_attributes, the object side from class labels and the attribute
    side from the columns of the boolean attribute matrix, each pooled as ``inter_intra_cossine_sims`` does.

    Parameters
    ----------
    emb : array_like
        Embeddings of one modality, one row per sample (normalised here).
    object_labels : array_like
        The object (digit) class of each row.
    attribute_matrix : array_like
        (N, A) boolean matrix, one column per attribute value (``mad.dataset.attribute_matrix``); a row may
        have several True entries.

    Returns
    -------
    float
        MOAD; > 0 when the objects are separated more than the attribute values.
    """
    arr = V.matrix(emb, "emb", min_rows=2)
    obj = V.labels_vector(object_labels, arr.shape[0], "object_labels")
    att = np.asarray(attribute_matrix)
    if att.ndim != 2 or att.shape[0] != arr.shape[0]:
        raise ValueError(f"attribute_matrix must be 2-D with one row per embedding ({arr.shape[0]}), got {att.shape}.")
    if att.dtype != bool and not np.isin(att, (0, 1)).all():
        raise ValueError("attribute_matrix must be boolean (or 0/1): one column per attribute value.")
    att = att.astype(bool)
    unit = unit_rows(arr.astype(np.float64))
    sims = unit @ unit.T
    intra_o, inter_o = official_intra_inter(sims, [np.flatnonzero(obj == c) for c in np.unique(obj)])
    intra_a, inter_a = official_intra_inter(sims, [np.flatnonzero(att[:, c]) for c in range(att.shape[1])])
    return float((intra_o - inter_o) - (intra_a - inter_a))
