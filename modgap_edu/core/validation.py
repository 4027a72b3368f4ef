"""The one input vocabulary of the package: every public function checks its arguments with these.

Bad input gets a ``ValueError`` that names the argument and says what to fix, never a silent NaN,
a wrong number or a raw numpy / torch traceback. The rules, the same at every public edge:

* arrays: real, finite numbers only. Complex, object, string, boolean and ragged inputs are
  rejected with a message; float16 / bfloat16 are up-cast (to float32), integers become float64;
* integers are ``int`` / ``numpy.integer`` (not ``bool``, not ``1.0``), booleans are ``bool`` /
  ``numpy.bool_`` (not the string ``"False"``), seeds lie in 0 <= seed < 2**32;
* labels and index maps hold one integer-like value per row, inside their range.

Public functions call these once at their edge and pass checked arrays to private kernels.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

_BLOCK = 65536  # rows per chunk of the finiteness / zero-row scans (no full-size boolean temporaries)
SEED_LIMIT = 2**32  # numpy.random.default_rng / torch.manual_seed both accept 0 <= seed < 2**32


# ---------------------------------------------------------------- arrays


def _from_torch(x: Any, name: str) -> np.ndarray:
    """A torch tensor as numpy: detached, on CPU, half / bfloat16 up-cast to float32 (numpy has no bfloat16)."""
    import torch

    if x.is_complex():
        raise ValueError(
            f"{name} is a complex tensor ({x.dtype}): pass real embeddings (e.g. x.real), "
            "the imaginary part would be dropped silently."
        )
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    return x.detach().cpu().numpy()


def real_array(x: Any, name: str, what: str) -> np.ndarray:
    """``np.asarray(x)`` of any shape, with our messages for None, ragged lists and non-numeric, complex
    or boolean data (``what`` says what to pass instead).

    Parameters
    ----------
    x : array_like or torch.Tensor
        The data.
    name : str
        The argument's name, used in the error messages.
    what : str
        What the caller should pass, e.g. ``"one number per model"``.

    Returns
    -------
    numpy.ndarray
        An integer or floating array (dtype unchanged, float16 tensors up-cast to float32).
    """
    if x is None:
        raise ValueError(f"{name} is None: pass {what}.")
    if hasattr(x, "detach") and hasattr(x, "is_complex"):
        x = _from_torch(x, name)
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError):
        raise ValueError(f"{name} is ragged (rows of different lengths) or not numeric: pass {what}.") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(
            f"{name} is complex ({arr.dtype}): pass real numbers (e.g. x.real); the imaginary "
            "part would be dropped silently."
        )
    if kind == "b":
        raise ValueError(
            f"{name} holds booleans: pass numbers (convert explicitly with x.astype(float) if that is really meant)."
        )
    if kind not in "iuf":
        raise ValueError(
            f"{name} must hold real numbers, got dtype {arr.dtype}"
            + (" (a ragged list or mixed types?)." if kind == "O" else ".")
        )
    return arr


def _floating(arr: np.ndarray) -> np.ndarray:
    """float64 and float32 stay as they are (float32 research-sized inputs are processed in float64
    blocks); float16 becomes float32; integers become float64."""
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype not in (np.float32, np.float64):
        return arr.astype(np.float64)
    return arr


def matrix(
    x: Any, name: str, *, min_rows: int = 1, nonzero_rows: bool = True, width: int | None = None, dtype: Any = None
) -> np.ndarray:
    """Check ``x`` and return it as a 2-D floating numpy array (rows = samples).

    Parameters
    ----------
    x : array_like or torch.Tensor
        Embeddings, one row per sample. Torch tensors are detached and moved to the CPU.
    name : str
        The argument's name, used in the error messages.
    min_rows : int
        Fewest rows accepted.
    nonzero_rows : bool
        Reject all-zero rows (they have no direction, so they cannot be L2-normalized).
    width : int, optional
        Required number of columns.
    dtype : numpy dtype, optional
        Cast the result to this dtype (default: float64 / float32 kept, float16 -> float32,
        integers -> float64).

    Returns
    -------
    numpy.ndarray
        The checked 2-D array: real, finite, floating.
    """
    arr = real_array(x, name, "a 2-D array of embeddings (rows = samples)")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (rows = samples, columns = embedding dimensions), got shape {arr.shape}."
            + (" Use x.reshape(1, -1) for a single vector." if arr.ndim == 1 else "")
        )
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} row(s), got {arr.shape[0]} (shape {arr.shape}).")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 columns (shape {arr.shape}): embeddings need at least one dimension.")
    if width is not None and arr.shape[1] != width:
        raise ValueError(f"{name} must have {width} columns, got shape {arr.shape}.")
    arr = _floating(arr) if dtype is None else arr.astype(dtype, copy=False)
    check_finite(arr, name)
    if nonzero_rows:
        check_nonzero_rows(arr, name)
    return arr


to_numpy_matrix = matrix  # the former name, kept for callers outside core


def vector(x: Any, name: str, *, length: int | None = None, min_length: int = 1, nonzero: bool = False) -> np.ndarray:
    """Check ``x`` and return it as a 1-D float64 numpy array.

    Parameters
    ----------
    x : array_like or torch.Tensor
        The vector.
    name : str
        The argument's name, used in the error messages.
    length : int, optional
        Required length.
    min_length : int
        Shortest length accepted.
    nonzero : bool
        Reject the zero vector (it has no direction).

    Returns
    -------
    numpy.ndarray
        The checked, finite float64 vector.
    """
    arr = real_array(x, name, "a 1-D array of numbers")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}.")
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name} must have {length} entries, got {arr.shape[0]}.")
    if arr.shape[0] < min_length:
        raise ValueError(f"{name} must be a 1-D array with at least {min_length} entries, got {arr.shape[0]}.")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf: pass a 1-D array of finite numbers.")
    if nonzero and not np.any(arr != 0):
        raise ValueError(f"{name} is all-zero: the zero vector has no direction.")
    return arr


def tensor(x: Any, name: str, *, min_rows: int = 1) -> "torch.Tensor":  # noqa: F821
    """Check ``x`` and return it as a 2-D floating torch tensor, for the losses.

    Parameters
    ----------
    x : torch.Tensor or array_like
        Embeddings, one row per sample. A tensor keeps its autograd graph (a tensor with
        ``requires_grad`` stays differentiable); float16 / bfloat16 are up-cast to float32,
        integers to float64. numpy inputs and lists become float64 tensors.
    name : str
        The argument's name, used in the error messages.
    min_rows : int
        Fewest rows accepted.

    Returns
    -------
    torch.Tensor
        A real, finite, floating 2-D tensor without all-zero rows.
    """
    import torch

    if not isinstance(x, torch.Tensor):
        return torch.from_numpy(np.ascontiguousarray(matrix(x, name, min_rows=min_rows, dtype=np.float64)))
    if x.is_complex():
        raise ValueError(f"{name} is a complex tensor ({x.dtype}): pass real embeddings (e.g. x.real).")
    if x.dtype == torch.bool:
        raise ValueError(f"{name} holds booleans: pass a floating tensor of embeddings.")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows = samples), got shape {tuple(x.shape)}.")
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} row(s), got {x.shape[0]}.")
    if x.shape[1] == 0:
        raise ValueError(f"{name} has 0 columns: embeddings need at least one dimension.")
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()  # differentiable cast: the graph is kept
    elif not torch.is_floating_point(x):
        x = x.double()
    with torch.no_grad():
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} contains NaN or inf: fix those rows before computing the loss.")
        zero = ~(x != 0).any(dim=1)
        if zero.any():
            raise ValueError(f"{name} has an all-zero row (row {int(zero.nonzero()[0])}): it cannot be L2-normalized.")
    return x


def pair(
    image_emb: Any,
    text_emb: Any,
    *,
    paired: bool = False,
    min_rows: int = 1,
    names: tuple[str, str] = ("image_emb", "text_emb"),
    as_tensor: bool = False,
) -> tuple:
    """The one image / text pair validator: both checked, same width, optionally the same number of rows.

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        The two modalities, one row per sample.
    paired : bool
        Require row i of one to be paired with row i of the other (equal row counts).
    min_rows : int
        Fewest rows accepted in each.
    names : tuple of str
        The two argument names, used in the error messages.
    as_tensor : bool
        Return torch tensors (``tensor``, graph kept, common dtype) instead of numpy arrays (``matrix``).

    Returns
    -------
    tuple
        The two checked arrays (or tensors).
    """
    check = tensor if as_tensor else matrix
    a = check(image_emb, names[0], min_rows=min_rows)
    b = check(text_emb, names[1], min_rows=min_rows)
    same_width(a, b, *names)
    if paired:
        same_rows(tuple(a.shape), tuple(b.shape), *names)
    if as_tensor and b.dtype != a.dtype:
        b = b.to(a.dtype)
    return a, b


def same_width(a: Any, b: Any, name_a: str, name_b: str) -> None:
    """Raise unless the 2-D ``a`` and ``b`` have the same number of columns.

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        The two checked 2-D arrays.
    name_a, name_b : str
        Their names, used in the error message.

    Returns
    -------
    None
    """
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same embedding dimension, got {a.shape[1]} and {b.shape[1]}."
        )


def same_rows(a_shape: tuple, b_shape: tuple, name_a: str, name_b: str) -> None:
    """Raise unless the two shapes have the same number of rows (row i of one is paired with row i of the other).

    Parameters
    ----------
    a_shape, b_shape : tuple
        The two shapes.
    name_a, name_b : str
        Their names, used in the error message.

    Returns
    -------
    None
    """
    if a_shape[0] != b_shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of rows (row i of one is paired with row i "
            f"of the other), got {a_shape[0]} and {b_shape[0]}."
        )


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise if any entry of the 2-D ``arr`` is NaN or inf (chunked: no full-size boolean temporary).

    Parameters
    ----------
    arr : numpy.ndarray
        A 2-D array.
    name : str
        Its name, used in the error message.

    Returns
    -------
    None
    """
    bad_rows = []
    for start in range(0, arr.shape[0], _BLOCK):
        bad = ~np.all(np.isfinite(arr[start : start + _BLOCK]), axis=1)
        if bad.any():
            bad_rows.append(start + np.flatnonzero(bad))
    if bad_rows:
        rows = np.concatenate(bad_rows)
        raise ValueError(
            f"{name} contains NaN or inf in {rows.size} row(s) (first: row {rows[0]}). "
            "Remove or fix those rows before measuring."
        )


def check_nonzero_rows(arr: np.ndarray, name: str) -> None:
    """Raise if a row of the 2-D ``arr`` is all zero (chunked, so 1M x 512 needs no second buffer).

    Parameters
    ----------
    arr : numpy.ndarray
        A 2-D array.
    name : str
        Its name, used in the error message.

    Returns
    -------
    None
    """
    for start in range(0, arr.shape[0], _BLOCK):
        zero = ~np.any(arr[start : start + _BLOCK] != 0, axis=1)
        if zero.any():
            row = start + int(np.argmax(zero))
            raise ValueError(
                f"{name} has an all-zero row (row {row}): it has no direction, so it cannot be "
                "L2-normalized. Drop it or check the encoder output."
            )


# ---------------------------------------------------------------- scalars


def _is_real_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def real_number(value: Any, name: str, *, low: float | None = None, high: float | None = None) -> float:
    """A finite real number (not a bool, not a string), optionally inside [low, high]; returned as float.

    Parameters
    ----------
    value : int or float
        The number.
    name : str
        The argument's name, used in the error messages.
    low, high : float, optional
        Inclusive bounds.

    Returns
    -------
    float
    """
    if hasattr(value, "ndim") and value.ndim == 0 and hasattr(value, "item"):
        value = value.item()  # 0-d numpy array or tensor
    if not _is_real_scalar(value):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if low is not None and high is not None and not low <= v <= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}.")
    if low is not None and v < low:
        raise ValueError(f"{name} must be a finite number >= {low:g}, got {value!r}.")
    if high is not None and v > high:
        raise ValueError(f"{name} must be a finite number <= {high:g}, got {value!r}.")
    return v


def positive_number(value: Any, name: str) -> float:
    """A finite real number > 0 (not a bool, not a string), as float.

    Parameters
    ----------
    value : int or float
        The number.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    float
    """
    if hasattr(value, "ndim") and value.ndim == 0 and hasattr(value, "item"):
        value = value.item()
    if not _is_real_scalar(value):
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
    return v


def integer(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """An integer (``int`` or ``numpy.integer``; not ``bool``, not ``1.0``) inside [low, high], as int.

    Parameters
    ----------
    value : int
        The integer.
    name : str
        The argument's name, used in the error messages.
    low, high : int, optional
        Inclusive bounds.

    Returns
    -------
    int
    """
    desc = _integer_range(low, high)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        kind = "a bool" if isinstance(value, (bool, np.bool_)) else type(value).__name__
        raise ValueError(f"{name} must be {desc}, got {value!r} ({kind}).")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{name} must be {desc}, got {v}.")
    return v


def _integer_range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"an integer between {low} and {high}"
    if low == 1:
        return "a positive integer"
    if low == 0:
        return "a non-negative integer"
    if low is not None:
        return f"an integer >= {low}"
    return "an integer" if high is None else f"an integer <= {high}"


def seed(value: Any, name: str = "seed") -> int:
    """A random seed: an integer with 0 <= seed < 2**32 (what numpy and torch both accept).

    Parameters
    ----------
    value : int
        The seed.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    int
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer in 0 .. 2**32 - 1, got {value!r}.")
    if not 0 <= int(value) < SEED_LIMIT:
        raise ValueError(f"{name} must be an integer in 0 .. 2**32 - 1 (4294967295), got {int(value)}.")
    return int(value)


def boolean(value: Any, name: str) -> bool:
    """``True`` or ``False`` (``bool`` or ``numpy.bool_``); the string ``"False"`` and 0 / 1 are rejected.

    Parameters
    ----------
    value : bool
        The flag.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    bool
    """
    if not isinstance(value, (bool, np.bool_)):
        hint = " (a string: any non-empty string counts as True in Python)" if isinstance(value, str) else ""
        raise ValueError(f"{name} must be True or False, got {value!r}{hint}.")
    return bool(value)


def choice(value: Any, allowed: tuple, name: str) -> Any:
    """``value`` if it is one of ``allowed`` (compared by equality), else a ``ValueError`` listing them.

    Parameters
    ----------
    value : object
        The option given.
    allowed : tuple
        The options accepted.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    object
        ``value`` itself.
    """
    try:
        ok = any(
            bool(value == a)
            and isinstance(value, str) == isinstance(a, str)
            and isinstance(value, (bool, np.bool_)) == isinstance(a, bool)
            for a in allowed
        )
    except Exception:  # noqa: BLE001 - an exotic object must not escape with its own error
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}.")
    return value


# ---------------------------------------------------------------- labels and index maps


def _integer_like(arr: np.ndarray, name: str, what: str) -> np.ndarray:
    """Integer dtypes as int64; floats only when every entry is a whole number."""
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        return arr.astype(np.int64)
    raise ValueError(f"{name} must hold {what}, got dtype {arr.dtype}.")


def labels_vector(labels: Any, n: int, name: str, *, n_classes: int | None = None) -> np.ndarray:
    """One label per row: a 1-D array of length ``n`` (any hashable, comparable values; no NaN).

    Parameters
    ----------
    labels : array_like or torch.Tensor
        The labels.
    n : int
        The number of rows they label.
    name : str
        The argument's name, used in the error messages.
    n_classes : int, optional
        If given, labels must be integer class rows 0 .. n_classes - 1 (returned as int64).

    Returns
    -------
    numpy.ndarray
    """
    if labels is None:
        raise ValueError(f"{name} is None: pass one label per row of the embeddings.")
    if hasattr(labels, "detach") and hasattr(labels, "is_complex"):
        labels = _from_torch(labels, name)
    try:
        arr = np.asarray(labels)
    except (ValueError, TypeError):
        raise ValueError(f"{name} is ragged or not a flat list: give one label per row.") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per row), got shape {arr.shape}.")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} labels but the embeddings have {n} rows: give one label per row.")
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} is complex: labels must be real class values.")
    if arr.dtype.kind == "O":
        raise ValueError(f"{name} holds mixed or non-scalar objects: give one plain label (int or str) per row.")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf: every row needs a valid label.")
    if n_classes is not None:
        arr = _integer_like(arr, name, "integer class rows")
        if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
            raise ValueError(
                f"{name} must lie in 0..{n_classes - 1} (one row per class); "
                f"got values from {arr.min()} to {arr.max()}."
            )
    return arr


def index_map(text_to_image: Any, n_texts: int, n_images: int) -> np.ndarray:
    """Validate ``text_to_image`` (text j belongs to image row ``text_to_image[j]``); ``None``: row j <-> row j.

    Parameters
    ----------
    text_to_image : array_like or None
        The image row of each text.
    n_texts, n_images : int
        Row counts of the text and image embeddings.

    Returns
    -------
    numpy.ndarray
        int64 indices, one per text.
    """
    if text_to_image is None:
        if n_texts != n_images:
            raise ValueError(
                f"image_emb has {n_images} rows and text_emb {n_texts}: without text_to_image, row j of one "
                "is paired with row j of the other, so they must match. Pass text_to_image (the image row of "
                "each text) when several texts share an image."
            )
        return np.arange(n_texts)
    if hasattr(text_to_image, "detach") and hasattr(text_to_image, "is_complex"):
        text_to_image = _from_torch(text_to_image, "text_to_image")
    try:
        idx = np.asarray(text_to_image)
    except (ValueError, TypeError):
        raise ValueError("text_to_image is ragged: give one image row per text.") from None
    if idx.ndim != 1 or idx.shape[0] != n_texts:
        raise ValueError(f"text_to_image must be 1-D with one entry per text ({n_texts}), got shape {idx.shape}.")
    if idx.dtype.kind == "b":
        raise ValueError("text_to_image holds booleans: give integer image rows.")
    if idx.size:
        idx = _integer_like(idx, "text_to_image", "integer row indices")
    if idx.size and (idx.min() < 0 or idx.max() >= n_images):
        bad = int(idx[(idx < 0) | (idx >= n_images)][0])
        raise ValueError(f"text_to_image holds {bad}, outside the image rows 0..{n_images - 1}.")
    return idx.astype(np.int64)
