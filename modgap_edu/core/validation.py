"""Input checks shared by every public function.

Bad input gets a ``ValueError`` that names the argument and says what to fix,
never a silent NaN or a wrong number.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def _shape(x: Any) -> tuple:
    return tuple(getattr(x, "shape", np.shape(x)))


def to_numpy_matrix(x: Any, name: str, *, min_rows: int = 1, nonzero_rows: bool = True) -> np.ndarray:
    """Return ``x`` as a 2-D floating numpy array (rows = samples), after checking it.

    Accepts numpy arrays, torch tensors (detached, moved to CPU) and nested lists.
    float32 stays float32 (research-sized inputs); everything else becomes float64.
    """
    if x is None:
        raise ValueError(f"{name} is None: pass a 2-D array of embeddings (rows = samples).")
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (rows = samples, columns = embedding dimensions), got shape {arr.shape}."
            + (" Use x.reshape(1, -1) for a single vector." if arr.ndim == 1 else "")
        )
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} row(s), got {arr.shape[0]} (shape {arr.shape}).")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 columns (shape {arr.shape}): embeddings need at least one dimension.")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64)
    check_finite(arr, name)
    if nonzero_rows:
        check_nonzero_rows(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    # chunked like check_nonzero_rows: no full-size boolean temporaries for 1M x 512 inputs
    bad_rows = []
    for start in range(0, arr.shape[0], 65536):
        bad = ~np.all(np.isfinite(arr[start : start + 65536]), axis=1)
        if bad.any():
            bad_rows.append(start + np.flatnonzero(bad))
    if bad_rows:
        rows = np.concatenate(bad_rows)
        raise ValueError(
            f"{name} contains NaN or inf in {rows.size} row(s) (first: row {rows[0]}). "
            "Remove or fix those rows before measuring."
        )


def check_nonzero_rows(arr: np.ndarray, name: str) -> None:
    # chunked so that a 1M x 512 float32 input needs no second full-size buffer
    for start in range(0, arr.shape[0], 65536):
        block = arr[start : start + 65536]
        zero = ~np.any(block != 0, axis=1)
        if zero.any():
            row = start + int(np.argmax(zero))
            raise ValueError(
                f"{name} has an all-zero row (row {row}): it has no direction, so it cannot be "
                "L2-normalized. Drop it or check the encoder output."
            )


def same_width(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same embedding dimension, got {a.shape[1]} and {b.shape[1]}."
        )


def same_rows(a_shape: tuple, b_shape: tuple, name_a: str, name_b: str) -> None:
    if a_shape[0] != b_shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of rows (row i of one is paired with row i "
            f"of the other), got {a_shape[0]} and {b_shape[0]}."
        )


def positive_number(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}.") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
    return v


def labels_vector(labels: Any, n: int, name: str) -> np.ndarray:
    if labels is None:
        raise ValueError(f"{name} is None: pass one label per row of the embeddings.")
    if hasattr(labels, "detach"):
        labels = labels.detach().cpu().numpy()
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per row), got shape {arr.shape}.")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} labels but the embeddings have {n} rows: give one label per row.")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf: every row needs a valid label.")
    return arr


def index_map(text_to_image: Any, n_texts: int, n_images: int) -> np.ndarray:
    """Validate ``text_to_image`` (text j belongs to image row ``text_to_image[j]``)."""
    if text_to_image is None:
        if n_texts != n_images:
            raise ValueError(
                f"image_emb has {n_images} rows and text_emb {n_texts}: without text_to_image, row j of one "
                "is paired with row j of the other, so they must match. Pass text_to_image (the image row of "
                "each text) when several texts share an image."
            )
        return np.arange(n_texts)
    if hasattr(text_to_image, "detach"):
        text_to_image = text_to_image.detach().cpu().numpy()
    idx = np.asarray(text_to_image)
    if idx.ndim != 1 or idx.shape[0] != n_texts:
        raise ValueError(f"text_to_image must be 1-D with one entry per text ({n_texts}), got shape {idx.shape}.")
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        if np.issubdtype(idx.dtype, np.floating) and np.all(np.isfinite(idx)) and np.all(idx == np.round(idx)):
            idx = idx.astype(np.int64)
        else:
            raise ValueError(f"text_to_image must hold integer row indices, got dtype {idx.dtype}.")
    if idx.size and (idx.min() < 0 or idx.max() >= n_images):
        bad = int(idx[(idx < 0) | (idx >= n_images)][0])
        raise ValueError(f"text_to_image holds {bad}, outside the image rows 0..{n_images - 1}.")
    return idx.astype(np.int64)


def choice(value: Any, allowed: tuple, name: str) -> Any:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}.")
    return value
