"""Read image/text embeddings from a file (``modgap-edu measure FILE``, lesson 05).

``load_embeddings(path)`` reads one of

* ``.npz`` with arrays ``image``, ``text`` and optional ``text_to_image`` (paired data, e.g. COCO:
  text j belongs to image row ``text_to_image[j]``), or ``image``, ``labels`` and ``class_text``
  (classification data, e.g. ImageNet: one prompt embedding per class, image i has class ``labels[i]``);
* ``.pt``: a dict with the same keys (torch tensors or numpy arrays), written by ``torch.save``;
* ``.npy`` in Liang et al.'s ``np.save(file, [img, txt])`` layout (shape ``(2, N, d)``).

Nothing in a file can run code: ``.npy``/``.npz`` are read with ``allow_pickle=False`` and ``.pt`` with
torch's ``weights_only`` unpickler plus an exact allow-list of the numpy helpers that rebuild a plain
array (``_reconstruct``, ``ndarray``, ``dtype`` and the numeric dtype classes). Only regular files are
opened (a FIFO or a device would block or stream forever). Every refusal is a ``ValueError`` that names
the file (and the array) and says what to save instead.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import numpy as np

PAIRED_KEYS = ("image", "text", "text_to_image")
CLASSIFICATION_KEYS = ("image", "labels", "class_text")
KNOWN_KEYS = ("image", "text", "text_to_image", "labels", "class_text")
SUFFIXES = (".npz", ".pt", ".npy")
_SAVE_HINT = (
    "Save a dict of torch tensors or numpy arrays only: {'image': ..., 'text': ..., 'text_to_image': ...} "
    "or {'image': ..., 'labels': ..., 'class_text': ...}."
)


def regular_file(path: str | Path, what: str = "file") -> Path:
    """``path`` as a ``Path`` after checking it is an existing regular file (not a folder, FIFO or device).

    Parameters
    ----------
    path : str or Path
        The file to check.
    what : str
        How the error message calls it (e.g. ``"captions file"``).

    Returns
    -------
    Path
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ValueError(f"{what} {path} does not exist.") from None
    except OSError as exc:
        raise ValueError(f"cannot access {what} {path} ({exc.strerror or exc}).") from None
    if stat.S_ISDIR(mode):
        raise ValueError(f"{what} {path} is a folder, not a file.")
    if not stat.S_ISREG(mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode)
            else "a device"
            if (stat.S_ISCHR(mode) or stat.S_ISBLK(mode))
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise ValueError(f"{what} {path} is {kind}; only regular files are read.")
    return path


def load_embeddings(path: str | Path) -> dict:
    """Read embeddings from a ``.npz``, ``.pt`` or Liang-style ``.npy`` file (lesson 05, ``modgap-edu measure``).

    Parameters
    ----------
    path : str or Path
        A regular file ending in ``.npz``, ``.pt`` or ``.npy`` (see the module docstring for the keys).

    Returns
    -------
    dict
        Paired data: ``{"mode": "paired", "image", "text", "text_to_image" (or None)}``.
        Classification data: ``{"mode": "classification", "image", "labels", "class_text"}``.
        Arrays are numpy, real-valued (bool, integer or floating).

    Raises
    ------
    ValueError
        Missing file, not a regular file, unknown suffix, pickled objects or code in the file, missing keys,
        complex / bfloat16 / ragged / non-numeric arrays; the message names the file and the key.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() and suffix in SUFFIXES:
        raise ValueError(f"{path} is a folder, not a {suffix} file.")
    path = regular_file(path)
    if suffix == ".npz":
        found = _read_npz(path)
    elif suffix == ".pt":
        found = _read_pt(path)
    elif suffix == ".npy":
        found = _read_npy(path)
    else:
        raise ValueError(
            f"unsupported file type {suffix or '(no suffix)'!r} for {path}: use .npz (arrays image, text, "
            "optional text_to_image; or image, labels, class_text), .pt (a dict with those keys), "
            ".npy (shape (2, N, d)) or a folder of images with a captions file."
        )
    return _arrange(found, path)


def _arrange(found: dict, path: Path) -> dict:
    """Pick the paired or the classification layout from the keys found in ``path``."""
    if "class_text" in found or "labels" in found:
        missing = [k for k in CLASSIFICATION_KEYS if k not in found]
        if missing:
            raise ValueError(
                f"{path} looks like classification data but has no {' or '.join(map(repr, missing))} "
                f"array (found: {', '.join(sorted(found))}). Save 'image' (N, d), 'labels' (N,) and "
                "'class_text' (C, d: one prompt embedding per class)."
            )
        if "text" in found:
            raise ValueError(
                f"{path} holds both 'text' and 'class_text': keep 'text' (+ 'text_to_image') for "
                "captioned pairs or 'class_text' + 'labels' for classification, not both."
            )
        return {"mode": "classification", **{k: found[k] for k in CLASSIFICATION_KEYS}}
    missing = [k for k in ("image", "text") if k not in found]
    if missing:
        raise ValueError(
            f"{path} has no {' or '.join(repr(m) for m in missing)} array (found: "
            f"{', '.join(sorted(found)) or 'nothing'}). Save the image embeddings as 'image' and the "
            "text embeddings as 'text' (or 'labels' + 'class_text' for classification)."
        )
    return {
        "mode": "paired",
        "image": found["image"],
        "text": found["text"],
        "text_to_image": found.get("text_to_image"),
    }


def _checked(arr: np.ndarray, path: Path, key: str) -> np.ndarray:
    """``arr`` if it holds real numbers; a ValueError naming ``path`` and ``key`` otherwise."""
    kind = arr.dtype.kind
    if kind in "biuf":
        return arr
    if kind == "c":
        raise ValueError(
            f"{path}: array {key!r} is complex ({arr.dtype}); embeddings must be real. Save the real "
            "part (or the real features) instead."
        )
    if kind == "O":
        raise ValueError(
            f"{path}: array {key!r} holds Python objects (ragged rows?); save a rectangular numeric "
            "array of shape (rows, dimensions)."
        )
    raise ValueError(
        f"{path}: array {key!r} has dtype {arr.dtype}, not numbers; save float32/float64 embeddings "
        "(bfloat16 is not a numpy type: convert with tensor.float() first)."
    )


def _sniff(path: Path) -> str:
    """What the file starts with: ``"zip"`` (.npz), ``"npy"``, ``"pickle"`` or ``"unknown"`` (never unpickled)."""
    with open(path, "rb") as fh:
        head = fh.read(6)
    if head.startswith(b"PK"):
        return "zip"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head[:1] == b"\x80" or head[:1] in (b"(", b"c", b"]", b"}"):
        return "pickle"
    return "unknown"


def _refuse_non_numpy(path: Path, want: str) -> None:
    kind = _sniff(path)
    if kind == "pickle":
        raise ValueError(
            f"{path} is a Python pickle, which is never loaded (loading it can run code); save "
            f"numeric arrays with {'np.savez' if want == 'zip' else 'np.save'}."
        )
    if kind == "unknown":
        raise ValueError(
            f"could not read {path}: it is not a {'.npz archive' if want == 'zip' else '.npy array'} (unknown content)."
        )


def _read_npz(path: Path) -> dict:
    _refuse_non_numpy(path, "zip")
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ValueError(
                f"{path} holds pickled Python objects, which are never loaded (loading them can run "
                "code); save numeric arrays with np.savez."
            ) from None
        raise ValueError(f"could not read {path} as a .npz archive ({_first_line(exc)}).") from None
    except Exception as exc:  # zip errors, truncated files
        raise ValueError(
            f"could not read {path} as a .npz archive ({type(exc).__name__}: {_first_line(exc)})."
        ) from None
    if not hasattr(archive, "files"):  # a plain .npy saved under a .npz name
        return {"image": _checked(np.asarray(archive), path, "(the whole file)")}
    found = {}
    with archive:
        for key in archive.files:
            if key not in KNOWN_KEYS:  # other arrays are listed in messages, never read
                found[key] = None
                continue
            try:
                found[key] = _checked(np.asarray(archive[key]), path, key)
            except ValueError as exc:
                if "allow_pickle" in str(exc):
                    raise ValueError(
                        f"{path}: array {key!r} holds pickled Python objects, which are never loaded "
                        "(loading them can run code); save numeric arrays."
                    ) from None
                raise
            except Exception as exc:  # a damaged member
                raise ValueError(
                    f"could not read array {key!r} of {path} ({type(exc).__name__}: {_first_line(exc)})."
                ) from None
    return found


def _read_npy(path: Path) -> dict:
    _refuse_non_numpy(path, "npy")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ValueError(
                f"{path} holds pickled Python objects, which are never loaded (loading them can run "
                "code); save a numeric array with np.save."
            ) from None
        raise ValueError(f"could not read {path} as a .npy array ({_first_line(exc)}).") from None
    except Exception as exc:
        raise ValueError(f"could not read {path} as a .npy array ({type(exc).__name__}: {_first_line(exc)}).") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive saved under a .npy name
        arr.close()
        raise ValueError(f"{path} is a .npz archive: rename it to .npz.")
    arr = _checked(arr, path, "(the whole file)")
    if arr.ndim != 3 or arr.shape[0] != 2:
        raise ValueError(
            f"a .npy file must hold np.save(file, [image, text]), shape (2, N, d); {path} has shape "
            f"{arr.shape}. Use a .npz with arrays 'image' and 'text' for anything else."
        )
    return {"image": arr[0], "text": arr[1]}


# ------------------------------------------------------------------ .pt
def numpy_safe_globals() -> list:
    """The exact allow-list for a ``.pt`` holding plain numpy arrays (numpy 1.x and 2.x pickles).

    ``torch.save`` of an ndarray pickles ``numpy._core.multiarray._reconstruct`` (numpy 1.x:
    ``numpy.core.multiarray._reconstruct``), ``numpy.ndarray`` and ``numpy.dtype``; rebuilding a dtype
    sets the state of a numeric dtype class (``numpy.dtypes.Float32DType``, ...). Nothing else of numpy
    is admitted (``runstring``, ``savetxt``, ``load``... stay refused).
    """
    reconstruct = np.zeros(1).__reduce__()[0]
    out: list = [
        (reconstruct, "numpy._core.multiarray._reconstruct"),
        (reconstruct, "numpy.core.multiarray._reconstruct"),
        np.ndarray,
        np.dtype,
    ]
    out += sorted({type(np.dtype(code)) for code in "?bhilqBHILQefdgFDG"}, key=lambda c: c.__name__)
    return out


def _allowed_names() -> set:
    return {
        entry[1] if isinstance(entry, tuple) else f"{entry.__module__}.{entry.__qualname__}"
        for entry in numpy_safe_globals()
    }


def _read_pt(path: Path) -> dict:
    import torch

    try:
        with torch.serialization.safe_globals(numpy_safe_globals()):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(_pt_refusal(path, exc)) from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path} holds a {type(obj).__name__}, not a dict. {_SAVE_HINT}")
    return {str(k): (_pt_array(v, path, str(k)) if str(k) in KNOWN_KEYS else None) for k, v in obj.items()}


def _pt_refusal(path: Path, exc: Exception) -> str:
    """The one-line message for a ``.pt`` that ``torch.load(weights_only=True)`` refused or could not read."""
    import torch

    text = str(exc)
    try:  # a scan of the pickle's opcodes: nothing is executed
        names = [n for n in torch.serialization.get_unsafe_globals_in_checkpoint(path) if n not in _allowed_names()]
    except Exception:
        names = []
    names = names or re.findall(r"GLOBAL ([\w.]+)", text)
    if names or "Unsupported global" in text:
        shown = ", ".join(dict.fromkeys(names)) or "objects torch does not allow"
        return (
            f"{path} was refused: loading it needs {shown}, which is not a tensor or a plain numpy array "
            f"(loading it could run code). {_SAVE_HINT}"
        )
    return (
        f"could not read {path} with torch.load: it is not a file written by torch.save "
        f"({type(exc).__name__}: {_first_line(exc)})."
    )


def _pt_array(value, path: Path, key: str) -> np.ndarray:
    """A numpy array from one value of a ``.pt`` dict (tensor, ndarray or nested list), checked."""
    import torch

    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bfloat16:
            raise ValueError(
                f"{path}: tensor {key!r} is bfloat16, which numpy cannot hold; save tensor.float() instead."
            )
        if value.is_complex():
            raise ValueError(f"{path}: tensor {key!r} is complex ({value.dtype}); embeddings must be real.")
        if value.layout != torch.strided:
            raise ValueError(f"{path}: tensor {key!r} is {value.layout}; save a dense tensor (tensor.to_dense()).")
        return _checked(value.detach().cpu().numpy(), path, key)
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray([v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else v for v in value])
        except ValueError:
            raise ValueError(
                f"{path}: {key!r} is a ragged list (rows of different lengths); save a rectangular "
                "tensor of shape (rows, dimensions)."
            ) from None
        return _checked(arr, path, key)
    return _checked(np.asarray(value), path, key)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
