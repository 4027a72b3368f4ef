"""Which embedding dimensions carry the gap, and what removing them costs (lesson 05).

Schrodi et al. 2025 ("Two Effects, One Trigger", ICLR), Sec. "few embedding dimensions
drive the gap", Fig. 4 a-c, following the official scripts (see ``papers.md`` Sec. 3.3):

* ``gap_dimension_scores`` / ``rank_gap_dimensions``: |mean_img_k - mean_txt_k| per
  dimension of the L2-normalized embeddings, sorted descending (``gap_mean_differences.py``).
* ``two_gap_dimensions``: the two dimensions of the 2-D scatter (``gap_embedding_dim_pairs.py``),
  with both ``--dim_selection`` rules.
* ``ablate_dimensions`` / ``ablation_curve``: delete the top-k ranked dimensions, re-normalize,
  re-measure (``gap_ablate_dims.py``). The ranking is computed once, on the full features.
* ``retrieval_recall`` and ``zero_shot_accuracy``: the downstream scores of that ablation
  (COCO R@1 and ImageNet top-1 in the paper). Both are chunked: no N x N matrix is kept.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from modgap_edu.core import validation as V
from modgap_edu.core import metrics

DIM_RULES = ("largest_mean_per_modality", "largest_mean_diff")
GAP_METRICS = ("rmg", "l2m", "l2i")
SCORES = ("i2t_r1", "t2i_r1")
_BLOCK_ENTRIES = 1 << 24  # similarity entries per query block (64 MB of float32)


def _pair(image_emb: Any, text_emb: Any, min_rows: int = 1) -> tuple[np.ndarray, np.ndarray]:
    x = V.to_numpy_matrix(image_emb, "image_emb", min_rows=min_rows)
    y = V.to_numpy_matrix(text_emb, "text_emb", min_rows=min_rows)
    V.same_width(x, y, "image_emb", "text_emb")
    return x, y


def _int_in_range(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}.")
    return int(value)


# ---------------------------------------------------------------- ranking (Fig. 4a)


def gap_dimension_scores(image_emb: Any, text_emb: Any) -> np.ndarray:
    """|mean_img_k - mean_txt_k| for every dimension k of the L2-normalized embeddings.

    Lesson 05, Schrodi et al. 2025 Fig. 4a. The vector is the absolute value of Liang's gap
    vector (``metrics.gap_vector``), so its Euclidean norm is L2M.
    """
    return np.abs(metrics.gap_vector(image_emb, text_emb))


def rank_gap_dimensions(image_emb: Any, text_emb: Any) -> np.ndarray:
    """Dimension indices sorted by |mean difference|, largest first (ties: lower index first).

    Lesson 05, Schrodi et al. 2025 Fig. 4a (``gap_mean_differences.py``).
    """
    return np.argsort(-gap_dimension_scores(image_emb, text_emb), kind="stable")


# ---------------------------------------------------------------- 2-D scatter (Fig. 4b, 12)


def two_gap_dimensions(image_emb: Any, text_emb: Any, rule: str = "largest_mean_per_modality") -> tuple[int, int]:
    """The two dimensions of the modality-separating scatter (Schrodi et al. 2025 Fig. 4b / Fig. 12).

    * ``"largest_mean_per_modality"`` (the official default): ``(argmax mean(img), argmax mean(txt))``
      on *signed* means of the normalized embeddings. The two may coincide; the official
      script does not guard against it and neither does this function.
    * ``"largest_mean_diff"``: the top-2 dimensions of |mean(img) - mean(txt)|.
    """
    V.choice(rule, DIM_RULES, "rule")
    x, y = _pair(image_emb, text_emb)
    if rule == "largest_mean_diff":
        if x.shape[1] < 2:
            raise ValueError("largest_mean_diff needs embeddings with at least 2 dimensions.")
        top = rank_gap_dimensions(x, y)[:2]
        return int(top[0]), int(top[1])
    return int(np.argmax(normalized_mean(x))), int(np.argmax(normalized_mean(y)))


def normalized_mean(emb: Any, name: str = "emb") -> np.ndarray:
    """Per-dimension mean of the L2-normalized rows (the modality centroid), chunked, float64."""
    arr = V.to_numpy_matrix(emb, name)
    total = np.zeros(arr.shape[1])
    for start in range(0, arr.shape[0], metrics.CHUNK):
        total += metrics.normalize(arr[start : start + metrics.CHUNK]).sum(axis=0)
    return total / arr.shape[0]


# ---------------------------------------------------------------- ablation (Fig. 4c)


def ablate_dimensions(image_emb: Any, text_emb: Any, k: int, order: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Remove the top-``k`` gap dimensions and re-L2-normalize both modalities.

    Lesson 05, Schrodi et al. 2025 Fig. 4c (``gap_ablate_dims.py``). ``order`` is a ranking
    of the dimensions (default: ``rank_gap_dimensions`` on these embeddings); pass the
    full-feature ranking when ablating cumulatively, as the official script does.
    Returns float64 arrays with ``d - k`` columns and unit rows. ``k = 0`` only normalizes.
    A row that becomes all-zero after the removal has no direction left: ``ValueError``.
    """
    x, y = _pair(image_emb, text_emb)
    d = x.shape[1]
    k = _int_in_range(k, "k", 0, d - 1)
    if order is None:
        order = rank_gap_dimensions(x, y)
    else:
        order = np.asarray(order)
        if order.shape != (d,) or not np.array_equal(np.sort(order), np.arange(d)):
            raise ValueError(f"order must be a permutation of the {d} dimension indices 0..{d - 1}.")
    keep = np.sort(order[k:])
    out = []
    for arr, name in ((x, "image_emb"), (y, "text_emb")):
        kept = metrics.normalize(arr)[:, keep]
        norms = np.linalg.norm(kept, axis=1, keepdims=True)
        if np.any(norms == 0):
            row = int(np.argmax(norms[:, 0] == 0))
            raise ValueError(f"{name} row {row} is zero once the top-{k} dimensions are removed: "
                             "it cannot be re-normalized. Remove fewer dimensions.")
        out.append(kept / norms)
    return out[0], out[1]


def gap_metric(image_emb: Any, text_emb: Any, metric: str = "rmg", text_to_image: Any = None) -> float:
    """One of the gap metrics by name: ``"rmg"``, ``"l2m"`` or ``"l2i"`` (see ``modgap_edu.core.metrics``)."""
    V.choice(metric, GAP_METRICS, "metric")
    if metric == "l2m":
        return metrics.l2m(image_emb, text_emb)
    if metric == "l2i":
        return metrics.l2i(image_emb, text_emb, text_to_image)
    return metrics.rmg(image_emb, text_emb, text_to_image)


def ablation_curve(image_emb: Any, text_emb: Any, ks: Iterable[int] = range(0, 21), metric: str = "rmg",
                   score: str | Callable[[np.ndarray, np.ndarray], float] = "i2t_r1",
                   text_to_image: Any = None) -> dict:
    """Gap metric and downstream score after removing the top-k gap dimensions, for each k.

    Lesson 05, Schrodi et al. 2025 Fig. 4c. The ranking is computed once on the full
    features (as in ``gap_ablate_dims.py``). ``score`` is ``"i2t_r1"`` / ``"t2i_r1"``
    (``retrieval_recall`` with k=1) or a callable ``score(image, text) -> float``.
    Returns ``{"k": [...], "gap": [...], "score": [...], "removed": [dims in removal order],
    "metric": metric}``.
    """
    x, y = _pair(image_emb, text_emb, min_rows=2)
    V.choice(metric, GAP_METRICS, "metric")
    if not callable(score):
        V.choice(score, SCORES, "score")
        direction = score.split("_")[0]

        def score_fn(a: np.ndarray, b: np.ndarray) -> float:
            return retrieval_recall(a, b, k=1, direction=direction, text_to_image=text_to_image)
    else:
        score_fn = score
    ks = [int(_int_in_range(k, "each k", 0, x.shape[1] - 1)) for k in ks]
    if not ks:
        raise ValueError("ks is empty: give at least one number of dimensions to remove.")
    order = rank_gap_dimensions(x, y)
    gaps, scores = [], []
    for k in ks:
        xa, ya = ablate_dimensions(x, y, k, order=order)
        gaps.append(gap_metric(xa, ya, metric, text_to_image))
        scores.append(float(score_fn(xa, ya)))
    return {"k": ks, "gap": gaps, "score": scores, "removed": [int(i) for i in order[: max(ks)]], "metric": metric}


# ---------------------------------------------------------------- downstream scores


def _topk_blocks(queries: np.ndarray, keys: np.ndarray, k: int):
    """Yield (start, top-k key indices) for blocks of normalized queries; float32 blocks."""
    keys32 = np.ascontiguousarray(metrics.normalize(keys), dtype=np.float32)
    rows = max(1, _BLOCK_ENTRIES // keys32.shape[0])
    for start in range(0, queries.shape[0], rows):
        q = metrics.normalize(queries[start : start + rows]).astype(np.float32)
        sims = q @ keys32.T
        if k >= sims.shape[1]:
            top = np.argsort(-sims, axis=1)
        else:
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        yield start, top


def retrieval_recall(image_emb: Any, text_emb: Any, k: int = 1, direction: str = "i2t",
                     text_to_image: Any = None) -> float:
    """Recall@k of cosine retrieval, as in Schrodi et al.'s COCO protocol (lesson 05).

    * ``"t2i"``: a text is a hit when its image is among the k images most similar to it.
    * ``"i2t"``: an image is a hit when any of its texts is among the k most similar texts.

    ``text_to_image[j]`` is the image row of text j (``None``: row j <-> row j). Queries are
    processed in blocks, so memory stays O(block * N).
    """
    x, y = _pair(image_emb, text_emb)
    V.choice(direction, ("i2t", "t2i"), "direction")
    idx = V.index_map(text_to_image, y.shape[0], x.shape[0])
    k = _int_in_range(k, "k", 1, max(x.shape[0], y.shape[0]))
    hits = 0
    if direction == "t2i":
        for start, top in _topk_blocks(y, x, k):
            hits += int(np.sum(np.any(top == idx[start : start + top.shape[0], None], axis=1)))
        return hits / y.shape[0]
    for start, top in _topk_blocks(x, y, k):
        owner = idx[top]  # image row of each retrieved text
        rows = np.arange(start, start + top.shape[0])[:, None]
        hits += int(np.sum(np.any(owner == rows, axis=1)))
    return hits / x.shape[0]


def zero_shot_accuracy(image_emb: Any, class_text_emb: Any, labels: Any) -> float:
    """Top-1 zero-shot accuracy: each image is assigned the class whose prompt embedding is most
    cosine-similar (CLIP's protocol; ImageNet top-1 in Schrodi et al. 2025). Lessons 04-05.

    ``labels[i]`` is the class row (0..C-1 in ``class_text_emb``) of image i.
    """
    x, t = _pair(image_emb, class_text_emb)
    lab = V.labels_vector(labels, x.shape[0], "labels")
    if not np.issubdtype(lab.dtype, np.integer):
        if np.issubdtype(lab.dtype, np.floating) and np.all(lab == np.round(lab)):
            lab = lab.astype(np.int64)
        else:
            raise ValueError(f"labels must be integer class rows of class_text_emb, got dtype {lab.dtype}.")
    if lab.min() < 0 or lab.max() >= t.shape[0]:
        raise ValueError(f"labels must lie in 0..{t.shape[0] - 1} (one row of class_text_emb per class); "
                         f"got values from {lab.min()} to {lab.max()}.")
    correct = 0
    for start, top in _topk_blocks(x, t, 1):
        correct += int(np.sum(top[:, 0] == lab[start : start + top.shape[0]]))
    return correct / x.shape[0]
