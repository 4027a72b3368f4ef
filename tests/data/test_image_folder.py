"""modgap_edu.data.image_folder: captions files read without losing or merging lines (issue 14 §4)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from modgap_edu.data.image_folder import pair_folder, read_captions


def test_tsv_is_plain_text(tmp_path):
    p = tmp_path / "c.tsv"
    p.write_text('a.png\tsays "hello\nb.png\ta "quoted" caption\nc.png\ttab\tinside\n\n', encoding="utf-8")
    assert read_captions(p) == [("a.png", 'says "hello'), ("b.png", 'a "quoted" caption'), ("c.png", "tab\tinside")]


def test_tsv_header_bom_crlf_and_long_caption(tmp_path):
    long = "x" * 200_000
    p = tmp_path / "c.txt"
    p.write_bytes(("\ufefffilename\tcaption\r\na.png\tone\r\nb.png\t" + long + "\r\n").encode("utf-8"))
    assert read_captions(p) == [("a.png", "one"), ("b.png", long)]


def test_csv_quoting_and_multiline_refusal(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('image,caption\na.png,"one, with comma"\nb.png,two\n')
    assert read_captions(p) == [("a.png", "one, with comma"), ("b.png", "two")]
    p.write_text('a.png,"runs\non"\nb.png,two\n')
    with pytest.raises(ValueError, match=r"c\.csv:1: a quoted caption runs over lines 1-2"):
        read_captions(p)


def test_csv_field_limit_reported(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("a.png,one\nb.png," + "y" * (csv.field_size_limit() + 1) + "\n")
    with pytest.raises(ValueError, match=r"c\.csv:2: a field is longer than the csv limit"):
        read_captions(p)


def test_json(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"a.png": "one", "b.png": ["two", "three"]}))
    assert read_captions(tmp_path / "c.json") == [("a.png", "one"), ("b.png", "two"), ("b.png", "three")]
    (tmp_path / "e.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        read_captions(tmp_path / "e.json")
    (tmp_path / "bad.json").write_text('{\n"a.png": "one",\n}')
    with pytest.raises(ValueError, match=r"bad\.json:3: not valid JSON"):
        read_captions(tmp_path / "bad.json")


def test_encoding_error_names_file_and_line(tmp_path):
    p = tmp_path / "c.tsv"
    p.write_bytes(b"a.png\tone\nb.png\ttwo\nc.png\tcaf\xe9\n")
    with pytest.raises(ValueError, match=r"c\.tsv:3: not UTF-8 \(byte 0xe9"):
        read_captions(p)


def test_bad_suffix_and_empty(tmp_path):
    (tmp_path / "c.yaml").write_text("x")
    with pytest.raises(ValueError, match="must end in"):
        read_captions(tmp_path / "c.yaml")
    (tmp_path / "c.tsv").write_text("\n\n")
    with pytest.raises(ValueError, match="holds no captions"):
        read_captions(tmp_path / "c.tsv")


def test_pair_folder_maps_texts_to_images(tmp_path):
    from PIL import Image

    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / name)
    (tmp_path / "captions.tsv").write_text("b.png\tone\na.png\ttwo\nb.png\tthree\n")
    images, texts, t2i = pair_folder(tmp_path)
    assert [p.name for p in images] == ["b.png", "a.png"]
    assert texts == ["one", "two", "three"] and t2i.tolist() == [0, 1, 0]
