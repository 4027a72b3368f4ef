"""Pair a folder of images with its captions file (``modgap-edu measure FOLDER``, lesson 05).

The folder holds image files (.jpg, .jpeg, .png, .bmp, .gif, .webp) and one captions file:

* ``captions.tsv`` or ``captions.txt``: plain text, one line per caption, ``image_file<TAB>caption``
  (no CSV quoting: quotes are part of the caption);
* ``captions.csv``: two columns ``image_file,caption`` (csv quoting; an optional header row
  ``filename,caption`` / ``image,caption`` is skipped);
* ``captions.json``: ``{"image_file": "caption" or ["caption", ...], ...}``.

An image may have several captions (COCO style); each caption is paired with its image
through ``text_to_image``. Images without a caption are skipped (with a note on stderr).
Only regular files are read; every error names the file (and the line).
``modgap_edu.models.openclip.embed_folder`` embeds the result.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import numpy as np

from modgap_edu.data.embedding_files import regular_file

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
CAPTION_FILES = ("captions.tsv", "captions.txt", "captions.csv", "captions.json")
HEADER_NAMES = ("filename", "file", "image", "image_file")


def read_captions(path: str | Path) -> list[tuple[str, str]]:
    """``[(image_file, caption), ...]`` from a captions file (lesson 05, ``modgap-edu measure FOLDER``).

    ``.tsv`` / ``.txt`` are plain text, one ``image_file<TAB>caption`` per line: no CSV quoting, so a
    double quote is just a character and one line is always one caption. ``.csv`` uses the csv module
    (quoted fields may hold commas; a field that spans lines -- an unmatched quote -- is an error).
    ``.json``: ``{"image_file": "caption" or ["caption", ...]}``.

    Parameters
    ----------
    path : str or Path
        The captions file (a regular file, UTF-8; a BOM is allowed).

    Returns
    -------
    list of (str, str)

    Raises
    ------
    ValueError
        Naming the file and the line: bad encoding, a line without separator, an unmatched quote (.csv),
        invalid JSON, or no captions at all.
    """
    path = regular_file(path, "captions file")
    suffix = path.suffix.lower()
    if suffix not in (".tsv", ".txt", ".csv", ".json"):
        raise ValueError(f"captions file {path} must end in .tsv, .txt, .csv or .json.")
    text = _decode(path)
    if suffix == ".json":
        pairs = _json_captions(text, path)
    elif suffix == ".csv":
        pairs = _csv_captions(text, path)
    else:
        pairs = _tsv_captions(text, path)
    pairs = [(n, c) for n, c in pairs if c]
    if not pairs:
        raise ValueError(f"{path} holds no captions.")
    return pairs


def _decode(path: Path) -> str:
    """The text of ``path`` as UTF-8; a decoding error names the file, line and byte offset."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"{path}:{line}: not UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}); save "
            "the captions file as UTF-8."
        ) from None


def _is_header(line_no: int, name: str, caption: str) -> bool:
    return line_no == 1 and name.lower() in HEADER_NAMES and caption.lower() in ("caption", "text")


def _tsv_captions(text: str, path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, caption = line.partition("\t")
        if not sep:
            raise ValueError(
                f"{path}:{line_no}: expected image_file<TAB>caption (separated by a TAB), got {_clip(line)!r}."
            )
        name, caption = name.strip(), caption.strip()
        if not _is_header(line_no, name, caption):
            pairs.append((name, caption))
    return pairs


def _csv_captions(text: str, path: Path) -> list[tuple[str, str]]:
    pairs = []
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, strict=True)
    first = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            msg = str(exc)
            if "field larger than field limit" in msg:
                msg = f"a field is longer than the csv limit of {csv.field_size_limit():,} characters"
            raise ValueError(
                f"{path}:{first}: {msg} (a caption with an unmatched double quote runs on into the "
                'next lines; quote it as "..." and double any quote inside).'
            ) from None
        line_no, first = first, reader.line_num + 1
        if reader.line_num != line_no:
            raise ValueError(
                f"{path}:{line_no}: a quoted caption runs over lines {line_no}-{reader.line_num} "
                "(unmatched double quote?). Captions are one line each."
            )
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < 2:
            raise ValueError(f"{path}:{line_no}: expected image_file,caption (separated by a comma), got {row!r}.")
        name, caption = row[0].strip(), ",".join(row[1:]).strip()
        if not _is_header(line_no, name, caption):
            pairs.append((name, caption))
    return pairs


def _json_captions(text: str, path: Path) -> list[tuple[str, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno}).") from None
    if not isinstance(data, dict):
        raise ValueError(f'{path} must hold a JSON object {{"image_file": "caption" or [captions]}}.')
    pairs = []
    for name, caps in data.items():
        for cap in [caps] if isinstance(caps, str) else caps if isinstance(caps, list) else [None]:
            if not isinstance(cap, str):
                raise ValueError(f"{path}: the captions of {name!r} must be a string or a list of strings.")
            pairs.append((str(name), cap))
    return pairs


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."


def find_captions_file(folder: Path) -> Path:
    """The first of ``CAPTION_FILES`` present in ``folder`` (``read_captions`` checks it is a regular file)."""
    for name in CAPTION_FILES:
        if os.path.lexists(folder / name):
            return folder / name
    raise ValueError(
        f"{folder} has no captions file: add one of {', '.join(CAPTION_FILES)} "
        "(e.g. captions.tsv with lines image_file<TAB>caption), or pass --captions PATH."
    )


def pair_folder(folder: str | Path, captions: str | Path | None = None) -> tuple[list[Path], list[str], np.ndarray]:
    """Images, captions and ``text_to_image`` for a folder (see module doc; lesson 05).

    Parameters
    ----------
    folder : str or Path
        The folder of images.
    captions : str or Path, optional
        The captions file (default: the first of ``CAPTION_FILES`` in ``folder``).

    Returns
    -------
    (list of Path, list of str, numpy.ndarray)
        The captioned images (unique, in caption order), all captions, and ``text_to_image`` (int64).
    """
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
    for name in order:
        regular_file(available[name], "image")  # a FIFO or folder named x.png would block or fail later
    row = {n: i for i, n in enumerate(order)}
    unused = len(available) - len(order)
    if unused:
        print(f"note: {unused} image(s) in {folder} have no caption and are skipped.", file=sys.stderr)
    if len(order) < 2:
        raise ValueError("measuring a gap needs at least 2 captioned images.")
    return [available[n] for n in order], [c for _, c in pairs], np.array([row[n] for n, _ in pairs], dtype=np.int64)
