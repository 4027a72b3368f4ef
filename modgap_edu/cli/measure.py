"""Measure the gap of your own model's embeddings: the engine behind ``modgap-edu measure`` (lesson 05).

* files are read by ``modgap_edu.data.embedding_files.load_embeddings``.
* ``measure_classification(image, class_text, labels)``: the same numbers for one prompt per class,
  computed the way Schrodi et al.'s official code does for ImageNet.
* ``measure(image, text, text_to_image)``: L2M (Liang et al. 2022), L2I and RMG (Schrodi et al.
  2025), alignment and uniformity (Wang & Isola 2020, alpha = t = 2) and the top gap
  dimensions (Schrodi et al. 2025, Fig. 4a), as one JSON-ready dict.
* ``format_table(result)``: the human-readable report.

All metrics except uniformity are O(N*d) (``modgap_edu.core.metrics``). Uniformity needs all
pairs, so above ``uniformity_sample`` rows it is computed on a seeded random subset of
that many rows, and the report says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modgap_edu.core import metrics
from modgap_edu.core import validation as V


def _alignment(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> float:
    """Wang & Isola alignment (alpha = 2): mean squared distance of matched normalized pairs, chunked."""
    total = 0.0
    for start in range(0, y.shape[0], metrics.CHUNK):
        rows = slice(start, start + metrics.CHUNK)
        diff = metrics.normalize(x[idx[rows]]) - metrics.normalize(y[rows])
        total += float(np.einsum("ij,ij->", diff, diff))
    return total / y.shape[0]


def _uniformity(arr: np.ndarray, sample: int, rng: np.random.Generator) -> tuple[float, int]:
    from modgap_edu.core.losses import uniform_loss

    rows = np.sort(rng.choice(arr.shape[0], size=sample, replace=False)) if arr.shape[0] > sample else None
    sub = arr if rows is None else arr[rows]
    return float(uniform_loss(np.asarray(sub, dtype=np.float64))), int(sub.shape[0])


def _check_options(top: Any, uniformity_sample: Any) -> None:
    V.integer(top, "top", 1)
    V.integer(uniformity_sample, "uniformity_sample", 2)


def _report(
    image: np.ndarray,
    text: np.ndarray,
    terms: dict,
    l2i: float,
    align: float,
    top: int,
    uniformity_sample: int,
    seed: int,
) -> dict:
    """The JSON-ready dict shared by both modes; ``terms`` uses the keys of ``metrics.rmg_terms``."""
    gap = metrics._gap_vector(image, text)  # its norm is L2M, its |entries| rank the dimensions (Fig. 4a)
    scores = np.abs(gap)
    order = np.argsort(-scores, kind="stable")[: min(int(top), image.shape[1])]
    rng = np.random.default_rng(seed)
    u_img, n_img = _uniformity(image, int(uniformity_sample), rng)
    u_txt, n_txt = _uniformity(text, int(uniformity_sample), rng)
    return {
        "l2m": float(np.linalg.norm(gap)),
        "l2i": float(l2i),
        "rmg": float(terms["rmg"]),
        "rmg_matched": float(terms["matched"]),
        "rmg_intra_image": float(terms["intra_image"]),
        "rmg_intra_text": float(terms["intra_text"]),
        "align": float(align),
        "uniformity_image": u_img,
        "uniformity_text": u_txt,
        "uniformity_rows": {"image": n_img, "text": n_txt},
        "top_gap_dims": [int(i) for i in order],
        "top_gap_values": [float(scores[i]) for i in order],
        "n_images": int(image.shape[0]),
        "n_texts": int(text.shape[0]),
        "dim": int(image.shape[1]),
    }


def measure(
    image: Any, text: Any, text_to_image: Any = None, top: int = 10, uniformity_sample: int = 5000, seed: int = 0
) -> dict:
    """Every gap number of ``modgap-edu measure`` for paired (captioned) embeddings (lesson 05).

    Parameters
    ----------
    image : array (N_images, d)
        Unique image embeddings.
    text : array (N_texts, d)
        All caption embeddings.
    text_to_image : array (N_texts,), optional
        ``text_to_image[j]`` is the image row of text j (default: row j), as in Schrodi's COCO path.
    top : int
        Number of top gap dimensions to list.
    uniformity_sample, seed : int
        Uniformity uses all pairs: above ``uniformity_sample`` rows, a subset drawn with ``seed``.

    Returns
    -------
    dict
        ``l2m, l2i, rmg, rmg_matched, rmg_intra_image, rmg_intra_text, align, uniformity_image,
        uniformity_text, uniformity_rows, top_gap_dims, top_gap_values, n_images, n_texts, dim, mode``.
    """
    x, y = V.pair(image, text, min_rows=2, names=("image", "text"))  # checked once; the kernels below trust it
    idx = V.index_map(text_to_image, y.shape[0], x.shape[0])
    _check_options(top, uniformity_sample)
    terms = metrics._rmg_terms(x, y, idx)
    out = _report(x, y, terms, metrics._l2i(x, y, idx), _alignment(x, y, idx), top, uniformity_sample, seed)
    return {"mode": "paired", **out}


def class_labels(labels: Any, n_images: int, n_classes: int) -> np.ndarray:
    """``labels`` as int64 class indices (one per image, each in 0..n_classes-1), or a ValueError saying what to fix."""
    arr = V.labels_vector(labels, n_images, "labels")
    if arr.size and arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"labels must hold integer class indices (rows of class_text), got dtype {arr.dtype}.")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = int(arr[(arr < 0) | (arr >= n_classes)][0])
        raise ValueError(
            f"labels holds {bad}, outside the class_text rows 0..{n_classes - 1}: label i must be the "
            "row of image i's class prompt."
        )
    return arr.astype(np.int64)


def measure_classification(
    image: Any, class_text: Any, labels: Any, top: int = 10, uniformity_sample: int = 5000, seed: int = 0
) -> dict:
    """The gap numbers for classification data, computed as Schrodi et al. (2025) do for ImageNet (lesson 05).

    Each image is paired with the prompt of its class (``class_text[labels[i]]``, e.g. "A photo of a
    {class}."). RMG's D_text and the text side of L2M, uniformity and the gap dimensions use the
    **unique** class prompts, D_image all images (``analysis/gap_precompute.py``: ``compute_rmg`` with
    the 1,000 prompts, ``compute_l2m`` over 50k images vs 1k prompts). ``rmg(image, class_text[labels])``
    would count each prompt once per image and give a different number.

    Parameters
    ----------
    image : array (N, d)
        Image embeddings.
    class_text : array (C, d)
        One prompt embedding per class.
    labels : array (N,)
        Class index of each image (a row of ``class_text``).
    top, uniformity_sample, seed
        As for ``measure``.

    Returns
    -------
    dict
        The keys of ``measure`` (``n_texts`` = C) plus ``n_classes``; ``mode`` is ``"classification"``.
    """
    x, c = V.pair(image, class_text, min_rows=2, names=("image", "class_text"))
    idx = class_labels(labels, x.shape[0], c.shape[0])
    _check_options(top, uniformity_sample)
    swapped = metrics._rmg_terms(c, x, idx)  # unique side first: D over the C prompts, M over the N images
    terms = {**swapped, "intra_image": swapped["intra_text"], "intra_text": swapped["intra_image"]}
    out = _report(x, c, terms, metrics._l2i(c, x, idx), _alignment(c, x, idx), top, uniformity_sample, seed)
    return {"mode": "classification", **out, "n_classes": int(c.shape[0])}


def format_table(result: dict, source: str = "") -> str:
    """The human-readable report printed by ``modgap-edu measure`` (without ``--json``)."""
    r = result
    lines = []
    if source:
        lines.append(f"modgap-edu measure: {source}")
    if r.get("mode") == "classification":
        lines.append(
            f"  {r['n_images']} images, {r['n_classes']} class prompts, {r['dim']} dimensions "
            "(classification: each image paired with its class prompt)"
        )
    else:
        lines.append(f"  {r['n_images']} images, {r['n_texts']} texts, {r['dim']} dimensions")
    rows = [
        ("L2M", r["l2m"], "distance between the modality centroids (Liang et al. 2022)"),
        ("L2I", r["l2i"], "mean distance of matched pairs (Schrodi et al. 2025)"),
        ("RMG", r["rmg"], "relative modality gap, 0..1 (Schrodi et al. 2025)"),
        ("  M", r["rmg_matched"], "matched-pair dissimilarity (1 - cos) / 2"),
        ("  D_image", r["rmg_intra_image"], "mean dissimilarity among images"),
        ("  D_text", r["rmg_intra_text"], "mean dissimilarity among texts"),
        ("alignment", r["align"], "mean ||x - y||^2 of matched pairs (Wang & Isola 2020)"),
        ("uniformity image", r["uniformity_image"], "log E exp(-2 ||x_i - x_j||^2), lower = more uniform"),
        ("uniformity text", r["uniformity_text"], "same for the texts"),
    ]
    width = max(len(name) for name, _, _ in rows)
    lines.append("")
    for name, value, note in rows:
        lines.append(f"  {name:<{width}}  {value:>9.4f}   {note}")
    used = r["uniformity_rows"]
    if used["image"] < r["n_images"] or used["text"] < r["n_texts"]:
        lines.append(f"  (uniformity on a random subset: {used['image']} images, {used['text']} texts)")
    lines.append("")
    lines.append("  top gap dimensions, |mean_image - mean_text| (Schrodi et al. 2025, Fig. 4a):")
    dims = ", ".join(f"{d} ({v:.3f})" for d, v in zip(r["top_gap_dims"], r["top_gap_values"]))
    lines.append(f"    {dims}")
    return "\n".join(lines)
