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

from modgap_edu.core import metrics
from modgap_edu.core import validation as V

DIM_RULES = ("largest_mean_per_modality", "largest_mean_diff")
GAP_METRICS = ("rmg", "l2m", "l2i")
SCORES = ("i2t_r1", "t2i_r1")
_BLOCK_ENTRIES = 1 << 24  # similarity entries per query block (64 MB of float32)


# ---------------------------------------------------------------- ranking (Fig. 4a)


def gap_dimension_scores(image_emb: Any, text_emb: Any) -> np.ndarray:
    """|mean_img_k - mean_txt_k| for every dimension k of the L2-normalized embeddings.

    Lesson 05, Schrodi et al. 2025 Fig. 4a. The vector is the absolute value of Liang's gap
    vector (``metrics.gap_vector``), so its Euclidean norm is L2M.

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (real, finite, no all-zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.

    Returns
    -------
    numpy.ndarray
        float64 vector of the embedding width, entries >= 0.
    """
    return np.abs(metrics._gap_vector(*V.pair(image_emb, text_emb)))


def rank_gap_dimensions(image_emb: Any, text_emb: Any) -> np.ndarray:
    """Dimension indices sorted by |mean difference|, largest first (ties: lower index first).

    Lesson 05, Schrodi et al. 2025 Fig. 4a (``gap_mean_differences.py``).

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (real, finite, no all-zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.

    Returns
    -------
    numpy.ndarray
        int64 permutation of the dimension indices.
    """
    return _rank(*V.pair(image_emb, text_emb))


def _rank(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.argsort(-np.abs(metrics._gap_vector(x, y)), kind="stable")


# ---------------------------------------------------------------- 2-D scatter (Fig. 4b, 12)


def two_gap_dimensions(image_emb: Any, text_emb: Any, rule: str = "largest_mean_per_modality") -> tuple[int, int]:
    """The two dimensions of the modality-separating scatter (Schrodi et al. 2025 Fig. 4b / Fig. 12).

    * ``"largest_mean_per_modality"`` (the official default): ``(argmax mean(img), argmax mean(txt))``
      on *signed* means of the normalized embeddings. The two may coincide; the official
      script does not guard against it and neither does this function.
    * ``"largest_mean_diff"``: the top-2 dimensions of |mean(img) - mean(txt)|.

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (real, finite, no all-zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    rule : {"largest_mean_per_modality", "largest_mean_diff"}
        The official ``--dim_selection`` rule.

    Returns
    -------
    tuple of int
        The two dimension indices.
    """
    V.choice(rule, DIM_RULES, "rule")
    x, y = V.pair(image_emb, text_emb)
    if rule == "largest_mean_diff":
        if x.shape[1] < 2:
            raise ValueError("largest_mean_diff needs embeddings with at least 2 dimensions.")
        top = _rank(x, y)[:2]
        return int(top[0]), int(top[1])
    return int(np.argmax(_normalized_mean(x))), int(np.argmax(_normalized_mean(y)))


def normalized_mean(emb: Any, name: str = "emb") -> np.ndarray:
    """Per-dimension mean of the L2-normalized rows (the modality centroid), chunked (lesson 05, Fig. 4b).

    Parameters
    ----------
    emb : array_like or torch.Tensor
        Embeddings, one row per sample.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    numpy.ndarray
        float64 vector of the embedding width.
    """
    return _normalized_mean(V.matrix(emb, name))


def _normalized_mean(arr: np.ndarray) -> np.ndarray:
    return metrics._sum_and_sqnorm(arr)[0] / arr.shape[0]


# ---------------------------------------------------------------- ablation (Fig. 4c)


def ablate_dimensions(image_emb: Any, text_emb: Any, k: int, order: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Remove the top-``k`` gap dimensions and re-L2-normalize both modalities.

    Lesson 05, Schrodi et al. 2025 Fig. 4c (``gap_ablate_dims.py``). ``order`` is a ranking
    of the dimensions (default: ``rank_gap_dimensions`` on these embeddings); pass the
    full-feature ranking when ablating cumulatively, as the official script does.
    Returns float64 arrays with ``d - k`` columns and unit rows. ``k = 0`` only normalizes.
    A row that becomes all-zero after the removal has no direction left: ``ValueError``.

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (real, finite, no all-zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    k : int
        Number of top-ranked dimensions to remove, 0 <= k < d.
    order : array_like of int, optional
        A permutation of the d dimension indices, most gap-carrying first.

    Returns
    -------
    tuple of numpy.ndarray
        ``(image, text)``, float64 with ``d - k`` columns and unit rows.
    """
    x, y = V.pair(image_emb, text_emb)
    d = x.shape[1]
    k = V.integer(k, "k", 0, d - 1)
    order = _rank(x, y) if order is None else _order(order, d)
    return _ablate(x, y, k, order)


def _order(order: Any, d: int) -> np.ndarray:
    msg = f"order must be a permutation of the {d} dimension indices 0..{d - 1}."
    try:
        arr = np.asarray(order)
    except (ValueError, TypeError):
        raise ValueError(msg) from None
    if arr.shape != (d,) or arr.dtype.kind not in "iu" or not np.array_equal(np.sort(arr), np.arange(d)):
        raise ValueError(msg)
    return arr


def _ablate(x: np.ndarray, y: np.ndarray, k: int, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.sort(order[k:])
    out = []
    for arr, name in ((x, "image_emb"), (y, "text_emb")):
        kept = metrics.unit_rows(arr)[:, keep]
        zero = ~np.any(kept != 0, axis=1)
        if zero.any():
            raise ValueError(
                f"{name} row {int(np.argmax(zero))} is zero once the top-{k} dimensions are removed: "
                "it cannot be re-normalized. Remove fewer dimensions."
            )
        out.append(metrics.unit_rows(kept))
    return out[0], out[1]


def gap_metric(image_emb: Any, text_emb: Any, metric: str = "rmg", text_to_image: Any = None) -> float:
    """One of the gap metrics by name: ``"rmg"``, ``"l2m"`` or ``"l2i"`` (lesson 05; ``modgap_edu.core.metrics``).

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (real, finite, no all-zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    metric : {"rmg", "l2m", "l2i"}
        Which metric.
    text_to_image : array_like of int, optional
        Image row of each text (RMG and L2I; ``None``: row j <-> row j).

    Returns
    -------
    float
    """
    V.choice(metric, GAP_METRICS, "metric")
    x, y = V.pair(image_emb, text_emb, min_rows=2 if metric == "rmg" else 1)
    return _gap_metric(x, y, metric, V.index_map(text_to_image, y.shape[0], x.shape[0]))


def _gap_metric(x: np.ndarray, y: np.ndarray, metric: str, idx: np.ndarray) -> float:
    if metric == "l2m":
        return metrics._l2m(x, y)
    if metric == "l2i":
        return metrics._l2i(x, y, idx)
    return metrics._rmg(x, y, idx)


def ablation_curve(
    image_emb: Any,
    text_emb: Any,
    ks: Iterable[int] = range(0, 21),
    metric: str = "rmg",
    score: str | Callable[[np.ndarray, np.ndarray], float] = "i2t_r1",
    text_to_image: Any = None,
) -> dict:
    """Gap metric and downstream score after removing the top-k gap dimensions, for each k.

    Lesson 05, Schrodi et al. 2025 Fig. 4c. The ranking is computed once on the full
    features (as in ``gap_ablate_dims.py``). ``score`` is ``"i2t_r1"`` / ``"t2i_r1"``
    (``retrieval_recall`` with k=1) or a callable ``score(image, text) -> float``.
    Returns ``{"k": [...], "gap": [...], "score": [...], "removed": [dims in removal order],
    "metric": metric}``. The inputs are checked once; every k runs on private kernels.

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (real, finite, no all-zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    ks : iterable of int
        Numbers of dimensions to remove, each in 0 .. d - 1.
    metric : {"rmg", "l2m", "l2i"}
        The gap metric.
    score : {"i2t_r1", "t2i_r1"} or callable
        The downstream score.
    text_to_image : array_like of int, optional
        Image row of each text (``None``: row j <-> row j).

    Returns
    -------
    dict
        ``k``, ``gap``, ``score``, ``removed`` and ``metric``.
    """
    x, y = V.pair(image_emb, text_emb, min_rows=2)
    V.choice(metric, GAP_METRICS, "metric")
    idx = V.index_map(text_to_image, y.shape[0], x.shape[0])
    if not callable(score):
        V.choice(score, SCORES, "score")
        direction = score.split("_")[0]

        def score_fn(a: np.ndarray, b: np.ndarray) -> float:
            return _retrieval_recall(a, b, 1, direction, idx)
    else:
        score_fn = score
    try:
        ks = list(ks)
    except TypeError:
        raise ValueError(f"ks must be an iterable of integers (e.g. range(0, 21)), got {ks!r}.") from None
    ks = [V.integer(k, "each k", 0, x.shape[1] - 1) for k in ks]
    if not ks:
        raise ValueError("ks is empty: give at least one number of dimensions to remove.")
    order = _rank(x, y)
    gaps, scores = [], []
    for k in ks:
        xa, ya = _ablate(x, y, k, order)
        gaps.append(_gap_metric(xa, ya, metric, idx))
        scores.append(float(score_fn(xa, ya)))
    return {"k": ks, "gap": gaps, "score": scores, "removed": [int(i) for i in order[: max(ks)]], "metric": metric}


# ---------------------------------------------------------------- downstream scores


def _topk_blocks(queries: np.ndarray, keys: np.ndarray, k: int):
    """Yield (start, top-k key indices) for blocks of normalized queries; float32 blocks."""
    keys32 = np.ascontiguousarray(metrics.unit_rows(keys), dtype=np.float32)
    rows = max(1, _BLOCK_ENTRIES // keys32.shape[0])
    for start in range(0, queries.shape[0], rows):
        q = metrics.unit_rows(queries[start : start + rows]).astype(np.float32)
        sims = q @ keys32.T
        if k >= sims.shape[1]:
            top = np.argsort(-sims, axis=1)
        else:
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        yield start, top


def retrieval_recall(
    image_emb: Any, text_emb: Any, k: int = 1, direction: str = "i2t", text_to_image: Any = None
) -> float:
    """Recall@k of cosine retrieval, as in Schrodi et al.'s COCO protocol (lesson 05).

    * ``"t2i"``: a text is a hit when its image is among the k images most similar to it.
    * ``"i2t"``: an image is a hit when any of its texts is among the k most similar texts.

    ``text_to_image[j]`` is the image row of text j (``None``: row j <-> row j). Queries are
    processed in blocks, so memory stays O(block * N).

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (real, finite, no all-zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    k : int
        Number of retrieved candidates, >= 1.
    direction : {"i2t", "t2i"}
        Image-to-text or text-to-image retrieval.
    text_to_image : array_like of int, optional
        Image row of each text.

    Returns
    -------
    float
        Recall@k in [0, 1].
    """
    x, y = V.pair(image_emb, text_emb)
    V.choice(direction, ("i2t", "t2i"), "direction")
    idx = V.index_map(text_to_image, y.shape[0], x.shape[0])
    k = V.integer(k, "k", 1, max(x.shape[0], y.shape[0]))
    return _retrieval_recall(x, y, k, direction, idx)


def _retrieval_recall(x: np.ndarray, y: np.ndarray, k: int, direction: str, idx: np.ndarray) -> float:
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

    ``labels[i]`` is the class row (0..C-1 in ``class_text_emb``) of image i. The one zero-shot
    scorer of the package (``models.mad_clip`` calls it).

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per image.
    class_text_emb : array_like or torch.Tensor
        One (prompt or prompt-ensemble) embedding per class, same width.
    labels : array_like of int
        The class row of each image.

    Returns
    -------
    float
        Top-1 accuracy in [0, 1].
    """
    x, t = V.pair(image_emb, class_text_emb, names=("image_emb", "class_text_emb"))
    lab = V.labels_vector(labels, x.shape[0], "labels", n_classes=t.shape[0])
    return _zero_shot_accuracy(x, t, lab)


def _zero_shot_accuracy(x: np.ndarray, t: np.ndarray, lab: np.ndarray) -> float:
    correct = 0
    for start, top in _topk_blocks(x, t, 1):
        correct += int(np.sum(top[:, 0] == lab[start : start + top.shape[0]]))
    return correct / x.shape[0]


# ---------------------------------------------------------------- PCA (lessons 02-04 views, Liang Fig. 1, 3a)


def pca(x: Any, n_components: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one PCA of the package: centered, by SVD (what ``sklearn.decomposition.PCA`` computes).

    Component signs are fixed so that each component's largest-magnitude loading is positive
    (deterministic plots). Used by the lesson-02/04 PCA views and by ``shift.pc1_direction``
    (Liang et al. 2022, Fig. 1 and Fig. 3a: PCA fitted on both modalities stacked).

    Parameters
    ----------
    x : array_like or torch.Tensor
        Data, one row per sample, at least two rows, not all identical.
    n_components : int
        Number of components, >= 1 (at most min(N, d) are returned).

    Returns
    -------
    coords : numpy.ndarray
        (N, k) coordinates of the centered rows.
    components : numpy.ndarray
        (k, d) principal axes (unit rows).
    explained_variance_ratio : numpy.ndarray
        (k,) share of the total variance of each component.
    """
    arr = V.matrix(x, "x", min_rows=2, nonzero_rows=False, dtype=np.float64)
    return _pca(arr, V.integer(n_components, "n_components", 1))


def _pca(arr: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    centered = arr - arr.mean(axis=0)
    _, s, vt = np.linalg.svd(centered, full_matrices=False)
    var = s**2
    if not var.sum() > 0:
        raise ValueError("x has zero variance (every row is the same): it has no principal axes.")
    k = min(k, vt.shape[0])
    vt = vt[:k]
    vt = vt * np.sign(vt[np.arange(k), np.abs(vt).argmax(axis=1)])[:, None]
    return centered @ vt.T, vt, var[:k] / var.sum()
