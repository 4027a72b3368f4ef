"""Read paired image/text embeddings from a file (``modgap-edu measure FILE``, lesson 05).

``load_embeddings(path)``: ``.npz`` (arrays ``image``, ``text``, optional ``text_to_image``),
``.pt`` (a dict with the same keys, tensors or arrays) or ``.npy`` in Liang et al.'s
``np.save(file, [img, txt])`` layout (shape ``(2, N, d)``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def load_embeddings(path: str | Path) -> dict:
    """Read ``{"image", "text", "text_to_image" (or None)}`` from a .npz, .pt or Liang-style .npy file.

    Raises ``ValueError`` with what to fix for a missing file, an unknown suffix, missing
    keys, or arrays of the wrong rank (shape problems are caught later by ``measure``).
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} does not exist.")
    if path.is_dir():
        raise ValueError(f"{path} is a folder: folders of images are embedded by the CLI (modgap-edu measure FOLDER).")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                found = {k: np.asarray(data[k]) for k in data.files}
        except Exception as exc:  # zip errors, pickled objects, truncated files
            raise ValueError(f"could not read {path} as a .npz archive ({type(exc).__name__}: {exc}).") from None
    elif suffix == ".pt":
        import torch

        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:
            # torch's safe loader refuses numpy pickles unless allow-listed: allow exactly numpy's
            # reconstruction helpers (``_numpy_safe_globals`` refuses anything else), then load again.
            allowed = _numpy_safe_globals(path)  # ValueError for non-torch files and foreign objects
            try:
                with torch.serialization.safe_globals(allowed):
                    obj = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as exc2:
                raise ValueError(f"could not read {path} with torch.load ({type(exc2).__name__}: "
                                 f"{_first_line(exc2)}). Save a dict of torch tensors or numpy arrays.") from None
        if not isinstance(obj, dict):
            raise ValueError(f"{path} holds a {type(obj).__name__}; save a dict "
                             "{'image': tensor, 'text': tensor, 'text_to_image': tensor (optional)} instead.")
        found = {str(k): (v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)) for k, v in obj.items()}
    elif suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise ValueError(f"could not read {path} as a .npy array ({type(exc).__name__}: {exc}).") from None
        if arr.ndim != 3 or arr.shape[0] != 2:
            raise ValueError(f"a .npy file must hold np.save(file, [image, text]), shape (2, N, d); got {arr.shape}. "
                             "Use a .npz with arrays 'image' and 'text' for anything else.")
        found = {"image": arr[0], "text": arr[1]}
    else:
        raise ValueError(f"unsupported file type {suffix or '(no suffix)'!r} for {path}: use .npz (arrays image, text, "
                         "optional text_to_image), .pt (a dict with those keys), .npy (shape (2, N, d)) or a folder "
                         "of images with a captions file.")
    missing = [k for k in ("image", "text") if k not in found]
    if missing:
        raise ValueError(f"{path} has no {' or '.join(repr(m) for m in missing)} array (found: "
                         f"{', '.join(sorted(found)) or 'nothing'}). Save the image embeddings as 'image' and the "
                         "text embeddings as 'text'.")
    return {"image": found["image"], "text": found["text"], "text_to_image": found.get("text_to_image")}


def _numpy_safe_globals(path: Path) -> list:
    """The numpy reconstruction helpers a ``.pt`` of numpy arrays needs, and nothing else: any other
    global in the file (arbitrary code) is refused."""
    import importlib

    import torch

    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception as exc:  # not a torch file at all
        raise ValueError(f"could not read {path} with torch.load: it is not a file written by torch.save "
                         f"({_first_line(exc)}).") from None
    foreign = [n for n in names if not (n == "numpy" or n.startswith("numpy."))]
    if foreign:
        raise ValueError(f"{path} needs non-tensor objects to load ({', '.join(foreign[:3])}); save a dict of torch "
                         "tensors or numpy arrays only.")
    out = []
    for name in names:
        module, _, attr = name.rpartition(".")
        out.append(getattr(importlib.import_module(module), attr))
    # ndarray pickles rebuild their dtype through numpy.dtypes.<X>DType classes, which the scan above
    # does not list; those are plain data-type classes.
    import numpy.dtypes

    out += [c for c in vars(numpy.dtypes).values() if isinstance(c, type) and issubclass(c, np.dtype)]
    return out


KEYS = ("image", "text", "text_to_image")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
