"""Gap metrics: gap vector, L2M, L2I, RMG (lessons 01, 02, 05) and MOAD (lessons 04, 05).

Definitions follow the official code (see ``shared/research/papers.md``):

* gap vector and L2M: Liang et al. 2022, Sec. 4.2 ("Mind the Gap"); Schrodi et al.
  2025 ``analysis/gap_precompute.py::compute_l2m``.
* L2I and RMG: Schrodi et al. 2025 (ICLR), ``compute_l2i`` and ``compute_rmg``.
* MOAD: Schrodi et al. 2025, ``object_bias_precompute.py::inter_intra_cossine_sims``
  and ``object_bias_vs_performance.py::moad``.

Every function L2-normalizes rows itself, accepts numpy arrays or torch tensors
(rows = samples) and returns Python floats (``gap_vector``: a numpy vector).
RMG, L2M, L2I and MOAD run in O(N*d) time and memory: they never form an N x N
matrix, so they scale to 1,000,000 x 512 embeddings. Rows are processed in
chunks, accumulated in float64.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from modgap_edu.core import validation as V

CHUNK = 4096  # rows per block: a few float64 blocks of CHUNK*d*8 bytes (16 MB at d=512) at a time


def normalize(x: Any, name: str = "x") -> np.ndarray:
    """Row-wise L2 normalization (lessons 01-05), checked and overflow-safe.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Embeddings, one row per sample; real, finite, no all-zero row.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    numpy.ndarray
        float64 array of unit rows, same shape as ``x``.
    """
    return unit_rows(V.matrix(x, name))


def unit_rows(block: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalization of an already validated array (finite, no zero row), float64.

    The one row normalization of the package (its torch twin is ``losses.unit_rows_torch``): every
    module that normalizes embeddings calls it, so all of them behave the same at any scale.
    Fast path: one pass for the squared norms. Rows whose squared norm overflows (entries ~1e155 and
    up) or underflows (~1e-150 and below) are divided by their largest |entry| first, so finite input
    of any magnitude never turns into inf, NaN or a wrong direction.

    Parameters
    ----------
    block : numpy.ndarray
        2-D real array, finite, without all-zero rows (check with ``validation.matrix`` first).

    Returns
    -------
    numpy.ndarray
        float64 array of unit rows (a new array: the input is never written to).
    """
    converted = block.dtype != np.float64
    block = block.astype(np.float64, copy=False)
    sq = np.einsum("ij,ij->i", block, block)
    bad = ~(np.isfinite(sq) & (sq > 1e-300))
    out = block if converted else block.copy()  # never write into the caller's array
    if bad.any():
        rows = block[bad]
        rows = rows / np.abs(rows).max(axis=1, keepdims=True)
        sq[bad] = 1.0
        out[bad] = rows / np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None]
    out /= np.sqrt(sq)[:, None]
    return out


def _unit_blocks(arr: np.ndarray, rows: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Yield normalized float64 blocks of ``arr`` (or of ``arr[rows]``), CHUNK rows at a time."""
    n = arr.shape[0] if rows is None else rows.shape[0]
    for start in range(0, n, CHUNK):
        block = arr[start : start + CHUNK] if rows is None else arr[rows[start : start + CHUNK]]
        yield unit_rows(block)


def _sum_and_sqnorm(arr: np.ndarray) -> tuple[np.ndarray, float]:
    """Sum of the normalized rows and the sum of their squared norms (= N up to rounding)."""
    total = np.zeros(arr.shape[1])
    sq = 0.0
    for block in _unit_blocks(arr):
        total += block.sum(axis=0)
        sq += float(np.einsum("ij,ij->", block, block))
    return total, sq


def gap_vector(image_emb: Any, text_emb: Any) -> np.ndarray:
    """Liang's gap vector: mean of the normalized images minus mean of the normalized texts (lessons 01-03, 05).

    Liang et al. 2022, Sec. 4.2. Raw centroid difference (not unit length). ``image_emb`` and
    ``text_emb`` may have different numbers of rows (all images vs all texts).
    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (numpy, torch or nested lists; real, finite, no zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.

    Returns
    -------
    numpy.ndarray
        float64 vector of the embedding width.
    """
    return _gap_vector(*V.pair(image_emb, text_emb))


def _gap_vector(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    sx, _ = _sum_and_sqnorm(x)
    sy, _ = _sum_and_sqnorm(y)
    return sx / x.shape[0] - sy / y.shape[0]


def l2m(image_emb: Any, text_emb: Any) -> float:
    """L2M: Euclidean distance between the centroids of the normalized embeddings (lessons 01, 02, 05).

    Liang's "gap distance" (0.82 for CLIP ViT-B/32 on 5,000 COCO pairs, Sec. 4.2); Schrodi's
    ``compute_l2m`` over all images and all texts.
    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (numpy, torch or nested lists; real, finite, no zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.

    Returns
    -------
    float
        ||mean(x_hat) - mean(y_hat)||, in [0, 2].
    """
    return _l2m(*V.pair(image_emb, text_emb))


def _l2m(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.linalg.norm(_gap_vector(x, y)))


def _matched_pass(x: np.ndarray, y: np.ndarray, idx: np.ndarray, distances: bool = True, totals: bool = False) -> dict:
    """One streaming pass over the matched pairs (x[idx[j]], y[j]): the sums of their cosines (and, with
    ``distances``, of their Euclidean distances); with ``totals`` also the sum and squared-norm sum of the
    normalized texts -- and of the images when ``idx`` is the identity -- so that RMG normalizes each row
    once."""
    d = x.shape[1]
    out = {"cos": 0.0, "dist": 0.0, "y_total": np.zeros(d), "y_sq": 0.0}
    identity = idx.shape[0] == x.shape[0] and bool(np.all(idx == np.arange(idx.shape[0])))
    if identity and totals:
        out.update(x_total=np.zeros(d), x_sq=0.0)
    for start in range(0, y.shape[0], CHUNK):
        yb = unit_rows(y[start : start + CHUNK])
        xb = unit_rows(x[start : start + CHUNK] if identity else x[idx[start : start + CHUNK]])
        out["cos"] += float(np.einsum("ij,ij->", xb, yb))
        if totals:
            out["y_total"] += yb.sum(axis=0)
            out["y_sq"] += float(np.einsum("ij,ij->", yb, yb))
        if identity and totals:
            out["x_total"] += xb.sum(axis=0)
            out["x_sq"] += float(np.einsum("ij,ij->", xb, xb))
        if distances:
            xb -= yb
            out["dist"] += float(np.sqrt(np.einsum("ij,ij->i", xb, xb)).sum())
    return out


def _matched_cos_and_dist(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[float, float]:
    """Mean cosine and mean Euclidean distance of the matched pairs (x[idx[j]], y[j])."""
    sums = _matched_pass(x, y, idx)
    n = y.shape[0]
    return sums["cos"] / n, sums["dist"] / n


def l2i(image_emb: Any, text_emb: Any, text_to_image: Any = None) -> float:
    """L2I: mean Euclidean distance between matched, normalized image-text pairs (lesson 05).

    Schrodi et al. 2025, ``compute_l2i``. ``image_emb`` holds unique images, ``text_emb`` all
    texts; text j belongs to image row ``text_to_image[j]``. For one prompt per class, pass
    the prompts first (see ``rmg_terms``).
    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (numpy, torch or nested lists; real, finite, no zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    text_to_image : array_like of int, optional
        Image row of each text (``None``: row j of one is paired with row j of the other).

    Returns
    -------
    float
        Mean ||x_hat[text_to_image[j]] - y_hat[j]||, in [0, 2].
    """
    x, y = V.pair(image_emb, text_emb)
    return _l2i(x, y, V.index_map(text_to_image, y.shape[0], x.shape[0]))


def _l2i(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> float:
    return _matched_cos_and_dist(x, y, idx)[1]


def mean_intra_dissimilarity(emb: Any, name: str = "emb") -> float:
    """Mean of d(a, b) = (1 - cos(a, b)) / 2 over all ordered pairs a != b, in O(N*d) (lesson 05, RMG's D_X).

    Uses sum_{i != j} cos = ||sum_i x_i||^2 - sum_i ||x_i||^2 for normalized rows.

    Parameters
    ----------
    emb : array_like or torch.Tensor
        Embeddings, at least two rows.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    float
        In [0, 1].
    """
    return _mean_intra_dissimilarity(V.matrix(emb, name, min_rows=2))


def _mean_intra_dissimilarity(arr: np.ndarray) -> float:
    total, sq = _sum_and_sqnorm(arr)
    return _intra_from_sums(total, sq, arr.shape[0])


def _intra_from_sums(total: np.ndarray, sq: float, n: int) -> float:
    """Mean (1 - cos) / 2 over ordered pairs i != j from sum_i x_i and sum_i ||x_i||^2 (unit rows)."""
    mean_cos = (float(total @ total) - sq) / (n * (n - 1))
    mean_cos = min(max(mean_cos, -1.0), 1.0)  # rounding must not push D outside [0, 1]
    return (1.0 - mean_cos) / 2.0


def rmg_terms(image_emb: Any, text_emb: Any, text_to_image: Any = None) -> dict:
    """The three terms of the Relative Modality Gap and RMG itself.

    Returns ``{"matched": M, "intra_image": D_X, "intra_text": D_Y, "rmg": RMG}`` with
    RMG = M / (M + (D_X + D_Y) / 2) (Schrodi et al. 2025, ``compute_rmg``):

    * M: mean d over the matched pairs (x[text_to_image[j]], y[j]), computed as the
      official code does, ``1 - (mean_cos + 1) / 2``, with its guard ``M <= 0 -> 1e-3``;
    * D_X: mean d over all ordered pairs of distinct rows of ``image_emb`` (unique images);
    * D_Y: the same over all rows of ``text_emb`` (all texts).

    Classification data with one prompt per class (ImageNet): the official code pairs each
    image with its class prompt and computes D_Y over the *unique* prompts. With this
    signature that is ``rmg(prompt_emb, image_emb, text_to_image=labels)`` (the roles swap:
    the unique side goes first); ``rmg(image_emb, prompt_emb[labels])`` would count every
    prompt once per image in D_Y and give a different number.

    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (numpy, torch or nested lists; real, finite, no zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    text_to_image : array_like of int, optional
        Image row of each text (``None``: row j of one is paired with row j of the other).

    Returns
    -------
    dict
        ``matched``, ``intra_image``, ``intra_text`` and ``rmg``, as floats.
    """
    x, y = V.pair(image_emb, text_emb, min_rows=2)
    return _rmg_terms(x, y, V.index_map(text_to_image, y.shape[0], x.shape[0]))


def _rmg_terms(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> dict:
    sums = _matched_pass(x, y, idx, distances=False, totals=True)  # one pass: M, D_Y (and D_X when rows pair 1:1)
    mean_cos = sums["cos"] / y.shape[0]
    m = 1.0 - (mean_cos + 1.0) / 2.0
    if not m > 0:  # official guard: only fires when all matched pairs coincide
        m = 1e-3
    dx = (
        _intra_from_sums(sums["x_total"], sums["x_sq"], x.shape[0])
        if "x_total" in sums
        else _mean_intra_dissimilarity(x)
    )  # unique images: their own pass
    dy = _intra_from_sums(sums["y_total"], sums["y_sq"], y.shape[0])
    return {"matched": m, "intra_image": dx, "intra_text": dy, "rmg": m / (m + 0.5 * (dx + dy))}


def rmg(image_emb: Any, text_emb: Any, text_to_image: Any = None) -> float:
    """Relative Modality Gap (Schrodi et al. 2025, ``compute_rmg``; lessons 04, 05): matched-pair
    dissimilarity relative to the space each modality effectively uses. O(N*d), no N x N matrix.
    See ``rmg_terms``.
    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (numpy, torch or nested lists; real, finite, no zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    text_to_image : array_like of int, optional
        Image row of each text (``None``: row j of one is paired with row j of the other).

    Returns
    -------
    float
        RMG, in (0, 1].
    """
    x, y = V.pair(image_emb, text_emb, min_rows=2)
    return _rmg(x, y, V.index_map(text_to_image, y.shape[0], x.shape[0]))


def _rmg(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> float:
    return float(_rmg_terms(x, y, idx)["rmg"])


def rmg_pairwise(image_emb: Any, text_emb: Any, text_to_image: Any = None) -> float:
    """RMG by its literal definition with full N x N similarity matrices (lesson 05 reference).

    Schrodi et al. 2025, ``compute_rmg``. O(N^2) memory: for small inputs and for checking ``rmg`` only.
    Parameters
    ----------
    image_emb : array_like or torch.Tensor
        Image embeddings, one row per sample (numpy, torch or nested lists; real, finite, no zero row).
    text_emb : array_like or torch.Tensor
        Text embeddings of the same width.
    text_to_image : array_like of int, optional
        Image row of each text (``None``: row j of one is paired with row j of the other).

    Returns
    -------
    float
        RMG, in (0, 1].
    """
    x, y = V.pair(image_emb, text_emb, min_rows=2)
    idx = V.index_map(text_to_image, y.shape[0], x.shape[0])
    if max(x.shape[0], y.shape[0]) > 20000:
        raise ValueError("rmg_pairwise builds N x N matrices; use rmg() for more than 20,000 rows.")
    xn, yn = unit_rows(x), unit_rows(y)
    m = float(np.mean(1.0 - (np.sum(xn[idx] * yn, axis=1) + 1.0) / 2.0))
    if not m > 0:
        m = 1e-3

    def intra(a: np.ndarray) -> float:
        d = (1.0 - a @ a.T) / 2.0
        np.fill_diagonal(d, 0.0)
        return float(d.sum() / (a.shape[0] ** 2 - a.shape[0]))

    return m / (m + 0.5 * (intra(xn) + intra(yn)))


# ---------------------------------------------------------------- MOAD


def _grouped(arr: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Row indices of each label class, each in the original sample order."""
    _, inverse = np.unique(labels, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    return np.split(order, np.cumsum(counts)[:-1])


def intra_inter_cosine(
    emb: Any, labels: Any, exact_official: bool = False, name: str = "labels"
) -> tuple[float, float]:
    """Mean cosine over same-label pairs (intra) and over different-label pairs (inter) (lessons 04, 05).

    Schrodi et al. 2025, ``object_bias_precompute.py::inter_intra_cossine_sims``.

    Intra pools the pairs i < j of every class (classes with more pairs weigh more),
    as the official code does. Inter:

    * ``exact_official=False``: all pairs with different labels;
    * ``exact_official=True``: the official code's subset -- for every ordered pair of
      distinct classes (a, b), only the entries of the n_a x n_b block F_a F_b^T above
      its diagonal (``torch.triu_indices(n_a, n_b, offset=1)``). It depends on the
      sample order within each class.

    Parameters
    ----------
    emb : array_like or torch.Tensor
        Embeddings, one row per sample, at least two rows.
    labels : array_like
        One class label per row (at least two classes, one class with >= 2 samples).
    exact_official : bool
        Use the official code's triu-subset of inter-class pairs.
    name : str
        The labels' name, used in the error messages.

    Returns
    -------
    tuple of float
        ``(intra, inter)`` mean cosine similarities.
    """
    arr = V.matrix(emb, "emb", min_rows=2)
    lab = V.labels_vector(labels, arr.shape[0], name)
    return _intra_inter(arr, lab, V.boolean(exact_official, "exact_official"), name)


def _intra_inter(arr: np.ndarray, lab: np.ndarray, exact_official: bool, name: str) -> tuple[float, float]:
    groups = _grouped(arr, lab)
    if len(groups) < 2:
        raise ValueError(f"{name} has a single class: pairs with different labels need at least two classes.")
    sums = [np.zeros(arr.shape[1]) for _ in groups]
    sqs = [0.0 for _ in groups]
    for g, rows in enumerate(groups):
        for block in _unit_blocks(arr, rows):
            sums[g] += block.sum(axis=0)
            sqs[g] += float(np.einsum("ij,ij->", block, block))
    sizes = np.array([len(r) for r in groups], dtype=np.float64)
    intra_sum = sum((float(s @ s) - q) / 2.0 for s, q in zip(sums, sqs))
    intra_count = float(np.sum(sizes * (sizes - 1) / 2.0))
    if intra_count == 0:
        raise ValueError(f"every class in {name} has a single sample: same-label pairs need a class with >= 2 samples.")
    if not exact_official:
        total = np.sum(sums, axis=0)
        all_sum = (float(total @ total) - sum(sqs)) / 2.0
        inter_sum = all_sum - intra_sum
        inter_count = float(sizes.sum() * (sizes.sum() - 1) / 2.0) - intra_count
    else:
        inter_sum, inter_count = _official_inter(arr, groups)
        if inter_count == 0:
            raise ValueError(
                f"the official inter-class subset of {name} is empty (each class needs a partner class with "
                "more samples than its own index): use exact_official=False."
            )
    return intra_sum / intra_count, inter_sum / inter_count


def _official_inter(arr: np.ndarray, groups: list[np.ndarray]) -> tuple[float, float]:
    """Sum and count of the official triu-subset of inter-class cosines, in O(C*N*d) time and
    O(CHUNK*d) memory.

    For classes a != b, entry (i, j) of F_a F_b^T is kept when j > i (i < m = min(n_a, n_b - 1)),
    so the kept sum is sum_{i<m} F_a[i] . (T_b - P_b[i+1]) with T_b the class sum and
    P_b[k] = sum_{j<k} F_b[j] a running prefix sum, accumulated block by block.
    """
    d = arr.shape[1]
    totals = []
    for rows in groups:
        t = np.zeros(d)
        for block in _unit_blocks(arr, rows):
            t += block.sum(axis=0)
        totals.append(t)
    total, count = 0.0, 0.0
    for a, ra in enumerate(groups):
        for b, rb in enumerate(groups):
            if a == b:
                continue
            m = min(ra.shape[0], rb.shape[0] - 1)  # rows i with at least one j > i in b
            if m <= 0:
                continue
            prefix = np.zeros(d)  # P_b[start]
            head = np.zeros(d)  # sum_{i<m} F_a[i]
            cross = 0.0  # sum_{i<m} F_a[i] . P_b[i+1]
            for start in range(0, m, CHUNK):
                stop = min(m, start + CHUNK)
                fa = unit_rows(arr[ra[start:stop]])
                cum = prefix + np.cumsum(unit_rows(arr[rb[start:stop]]), axis=0)
                cross += float(np.einsum("ij,ij->", fa, cum))
                head += fa.sum(axis=0)
                prefix = cum[-1]
            total += float(head @ totals[b]) - cross
            count += m * (rb.shape[0] - 1) - m * (m - 1) / 2
    return total, count


def moad(emb: Any, object_labels: Any, attribute_labels: Any, exact_official: bool = False) -> float:
    """Matching Object Attribute Distance (Schrodi et al. 2025):

    MOAD = (intra_obj - inter_obj) - (intra_attr - inter_attr), on mean cosine similarities.
    Positive: the embedding separates objects more than attributes (object bias).
    ``exact_official=True`` reproduces the official code's triu-subset of inter-class
    pairs; ``False`` uses all pairs with different labels. See ``intra_inter_cosine``.
    Lessons 04, 05; ``object_bias_vs_performance.py::moad``.

    Parameters
    ----------
    emb : array_like or torch.Tensor
        Embeddings (one modality), one row per sample.
    object_labels, attribute_labels : array_like
        The object class and the attribute value of each row.
    exact_official : bool
        Use the official code's triu-subset of inter-class pairs.

    Returns
    -------
    float
        MOAD, in [-4, 4].
    """
    arr = V.matrix(emb, "emb", min_rows=2)
    exact = V.boolean(exact_official, "exact_official")
    obj = V.labels_vector(object_labels, arr.shape[0], "object_labels")
    att = V.labels_vector(attribute_labels, arr.shape[0], "attribute_labels")
    intra_o, inter_o = _intra_inter(arr, obj, exact, "object_labels")
    intra_a, inter_a = _intra_inter(arr, att, exact, "attribute_labels")
    return float((intra_o - inter_o) - (intra_a - inter_a))
