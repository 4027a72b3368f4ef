"""Measure the gap of your own model's embeddings: the engine behind ``modgap-edu measure`` (lesson 05).

* ``load_embeddings(path)``: ``.npz`` (arrays ``image``, ``text``, optional ``text_to_image``),
  ``.pt`` (a dict with the same keys, tensors or arrays) or ``.npy`` in Liang et al.'s
  ``np.save(file, [img, txt])`` layout (shape ``(2, N, d)``).
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

from modgap_edu.core import validation as V
from modgap_edu.core import metrics


def _alignment(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> float:
    """Wang & Isola alignment (alpha = 2): mean squared distance of matched normalized pairs, chunked."""
    total = 0.0
    for start in range(0, y.shape[0], metrics.CHUNK):
        diff = metrics.normalize(x[idx[start : start + metrics.CHUNK]]) - metrics.normalize(y[start : start + metrics.CHUNK])
        total += float(np.einsum("ij,ij->", diff, diff))
    return total / y.shape[0]


def _uniformity(arr: np.ndarray, sample: int, rng: np.random.Generator) -> tuple[float, int]:
    from modgap_edu.core.losses import uniform_loss

    rows = np.sort(rng.choice(arr.shape[0], size=sample, replace=False)) if arr.shape[0] > sample else None
    sub = arr if rows is None else arr[rows]
    return float(uniform_loss(np.asarray(sub, dtype=np.float64))), int(sub.shape[0])


def measure(image: Any, text: Any, text_to_image: Any = None, top: int = 10, uniformity_sample: int = 5000,
            seed: int = 0) -> dict:
    """Every gap number of ``modgap-edu measure`` for one set of embeddings (lesson 05).

    Keys: ``l2m, l2i, rmg, rmg_matched, rmg_intra_image, rmg_intra_text, align,
    uniformity_image, uniformity_text, uniformity_rows, top_gap_dims, top_gap_values,
    n_images, n_texts, dim``. ``text_to_image[j]`` is the image row of text j (default: row j).
    """
    x, y = V.pair(image, text, min_rows=2, names=("image", "text"))  # checked once; the kernels below trust it
    idx = V.index_map(text_to_image, y.shape[0], x.shape[0])
    V.integer(top, "top", 1)
    V.integer(uniformity_sample, "uniformity_sample", 2)
    terms = metrics._rmg_terms(x, y, idx)
    gap = metrics._gap_vector(x, y)  # its norm is L2M, its |entries| rank the dimensions (Fig. 4a)
    scores = np.abs(gap)
    order = np.argsort(-scores, kind="stable")[: min(int(top), x.shape[1])]
    rng = np.random.default_rng(seed)
    u_img, n_img = _uniformity(x, int(uniformity_sample), rng)
    u_txt, n_txt = _uniformity(y, int(uniformity_sample), rng)
    return {
        "l2m": float(np.linalg.norm(gap)),
        "l2i": metrics._l2i(x, y, idx),
        "rmg": float(terms["rmg"]),
        "rmg_matched": float(terms["matched"]),
        "rmg_intra_image": float(terms["intra_image"]),
        "rmg_intra_text": float(terms["intra_text"]),
        "align": _alignment(x, y, idx),
        "uniformity_image": u_img,
        "uniformity_text": u_txt,
        "uniformity_rows": {"image": n_img, "text": n_txt},
        "top_gap_dims": [int(i) for i in order],
        "top_gap_values": [float(scores[i]) for i in order],
        "n_images": int(x.shape[0]),
        "n_texts": int(y.shape[0]),
        "dim": int(x.shape[1]),
    }


def format_table(result: dict, source: str = "") -> str:
    """The human-readable report printed by ``modgap-edu measure`` (without ``--json``)."""
    r = result
    lines = []
    if source:
        lines.append(f"modgap-edu measure: {source}")
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
