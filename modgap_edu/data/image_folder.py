"""Embed a folder of images and their captions with an open_clip model (``modgap-edu measure FOLDER``, lesson 05).

The folder holds image files (.jpg, .jpeg, .png, .bmp, .gif, .webp) and one captions file:

* ``captions.tsv`` or ``captions.txt``: one line per caption, ``image_file<TAB>caption``;
* ``captions.csv``: two columns ``image_file,caption`` (an optional header row
  ``filename,caption`` / ``image,caption`` is skipped);
* ``captions.json``: ``{"image_file": "caption" or ["caption", ...], ...}``.

An image may have several captions (COCO style); each caption is paired with its image
through ``text_to_image``. Images without a caption are skipped (with a note on stderr).

Nothing here touches the network unless ``allow_download=True``: the model's weights
must already be in the local cache (``HF_HUB_OFFLINE=1`` is set otherwise), be a local
checkpoint file (``pretrained="/path/to/ckpt.pt"``), a ``local-dir:`` model, or
``pretrained="none"`` for a randomly initialised model.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
CAPTION_FILES = ("captions.tsv", "captions.txt", "captions.csv", "captions.json")


def read_captions(path: str | Path) -> list[tuple[str, str]]:
    """``[(image_file, caption), ...]`` from a .tsv/.txt, .csv or .json captions file (see module doc)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"captions file {path} does not exist.")
    suffix = path.suffix.lower()
    pairs: list[tuple[str, str]] = []
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}).") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path} must hold a JSON object {{\"image_file\": \"caption\" or [captions]}}.")
        for name, caps in data.items():
            for cap in ([caps] if isinstance(caps, str) else caps if isinstance(caps, list) else [None]):
                if not isinstance(cap, str):
                    raise ValueError(f"{path}: the captions of {name!r} must be a string or a list of strings.")
                pairs.append((str(name), cap))
    elif suffix in (".tsv", ".txt", ".csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, delimiter="," if suffix == ".csv" else "\t")
            for line_no, row in enumerate(reader, start=1):
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) < 2:
                    sep = "a comma" if suffix == ".csv" else "a TAB"
                    raise ValueError(f"{path} line {line_no}: expected image_file{',' if suffix == '.csv' else '<TAB>'}"
                                     f"caption (separated by {sep}), got {row!r}.")
                name, cap = row[0].strip(), (",".join(row[1:]) if suffix == ".csv" else "\t".join(row[1:])).strip()
                if line_no == 1 and name.lower() in ("filename", "file", "image", "image_file") \
                        and cap.lower() in ("caption", "text"):
                    continue  # header row
                pairs.append((name, cap))
    else:
        raise ValueError(f"captions file {path} must end in .tsv, .txt, .csv or .json.")
    pairs = [(n, c) for n, c in pairs if c]
    if not pairs:
        raise ValueError(f"{path} holds no captions.")
    return pairs


def find_captions_file(folder: Path) -> Path:
    for name in CAPTION_FILES:
        if (folder / name).is_file():
            return folder / name
    raise ValueError(f"{folder} has no captions file: add one of {', '.join(CAPTION_FILES)} "
                     "(e.g. captions.tsv with lines image_file<TAB>caption), or pass --captions PATH.")


def pair_folder(folder: str | Path, captions: str | Path | None = None) -> tuple[list[Path], list[str], np.ndarray]:
    """Images, captions and ``text_to_image`` for a folder (see module doc)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder.")
    cap_path = Path(captions) if captions is not None else find_captions_file(folder)
    pairs = read_captions(cap_path)
    available = {p.name: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
    if not available:
        raise ValueError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
    missing = sorted({n for n, _ in pairs if n not in available})
    if missing:
        raise ValueError(f"{cap_path} names {len(missing)} image(s) not in {folder}, e.g. {missing[0]!r}.")
    order = list(dict.fromkeys(n for n, _ in pairs))
    row = {n: i for i, n in enumerate(order)}
    unused = len(available) - len(order)
    if unused:
        print(f"note: {unused} image(s) in {folder} have no caption and are skipped.", file=sys.stderr)
    if len(order) < 2:
        raise ValueError("measuring a gap needs at least 2 captioned images.")
    return [available[n] for n in order], [c for _, c in pairs], np.array([row[n] for n, _ in pairs], dtype=np.int64)


