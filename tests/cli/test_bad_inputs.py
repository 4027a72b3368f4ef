"""``modgap-edu measure`` on bad input: one row per case (files the row writes, extra args, exit code, message).

Every row must exit with its code, print nothing on stdout, one line on stderr (after optional notes and
warnings) naming what to fix, and -- for the malicious files -- leave no marker file behind: the payloads
would create ``MARKER`` if anything in the file were executed.
"""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from modgap_edu.cli.main import main

MARKER = "PAYLOAD_RAN"


# ---------------------------------------------------------------- payloads (never executed by a correct loader)
class _OsSystem:
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _NumpyExec:  # numpy.testing._private.utils.runstring is exec(astr, dict)
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        from numpy.testing._private.utils import runstring

        return (runstring, (f"open({self.marker!r}, 'w').close()", {}))


class _NumpyWrite:  # numpy.savetxt writes an arbitrary file
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (np.savetxt, (self.marker, np.zeros((1, 1))))


def _xy(n: int = 6, d: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n, d))


def _npz(**arrays):
    def make(tmp: Path) -> list:
        np.savez(tmp / "emb.npz", **arrays)
        return [str(tmp / "emb.npz")]

    return make


def _pt(build):
    def make(tmp: Path) -> list:
        torch.save(build(tmp / MARKER), tmp / "emb.pt")
        return [str(tmp / "emb.pt")]

    return make


def _bytes(name: str, content):
    def make(tmp: Path) -> list:
        data = content(tmp / MARKER) if callable(content) else content
        (tmp / name).write_bytes(data)
        return [str(tmp / name)]

    return make


def _fifo(name: str):
    def make(tmp: Path) -> list:
        os.mkfifo(tmp / name)
        return [str(tmp / name)]

    return make


def _dir(name: str):
    def make(tmp: Path) -> list:
        (tmp / name).mkdir()
        return [str(tmp / name)]

    return make


def _object_npy(tmp: Path) -> list:
    np.save(tmp / "emb.npy", np.array([_OsSystem(tmp / MARKER)], dtype=object), allow_pickle=True)
    return [str(tmp / "emb.npy")]


def _object_npz(tmp: Path) -> list:
    x, y = _xy()
    np.savez(tmp / "emb.npz", image=np.array([_OsSystem(tmp / MARKER)], dtype=object), text=y)
    return [str(tmp / "emb.npz")]


def _folder(captions: bytes | None, name: str = "captions.tsv", n: int = 3, fifo_image: bool = False):
    def make(tmp: Path) -> list:
        from PIL import Image

        folder = tmp / "f"
        folder.mkdir()
        rng = np.random.default_rng(0)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(folder / f"img{i}.png")
        if fifo_image:
            os.mkfifo(folder / "pipe.png")
        if captions is not None:
            (folder / name).write_bytes(captions)
        return [str(folder), "--model", "ViT-S-32-alt", "--pretrained", "none", "--quiet"]

    return make


def _with_args(make, *extra):
    def wrapped(tmp: Path) -> list:
        return make(tmp) + [a.replace("TMP", str(tmp)) for a in extra]

    return wrapped


X, Y = _xy()
OK_TSV = b"img0.png\ta cat\nimg1.png\ta dog\n"

ROWS = [
    # ---- files that are not there or not regular files
    ("missing", lambda t: [str(t / "nope.npz")], 2, r"nope\.npz does not exist"),
    ("unsupported suffix", _bytes("emb.csv", b"1,2\n"), 2, r"unsupported file type '\.csv'"),
    ("fifo npz", _fifo("x.npz"), 2, r"x\.npz is a FIFO"),
    ("fifo pt", _fifo("x.pt"), 2, r"x\.pt is a FIFO"),
    ("folder named npz", _dir("x.npz"), 2, r"x\.npz is a folder, not a \.npz file"),
    ("device", lambda t: ["/dev/null"], 2, r"/dev/null is a device"),
    # ---- damaged or foreign content
    ("junk npz", _bytes("emb.npz", b"not a zip file"), 2, r"not a \.npz archive"),
    ("junk pt", _bytes("emb.pt", b"not a checkpoint"), 2, r"not a file written by torch\.save"),
    ("pickle as npz", _bytes("emb.npz", lambda m: pickle.dumps(_OsSystem(m))), 2, r"is a Python pickle"),
    ("pickle as npy", _bytes("emb.npy", lambda m: pickle.dumps(_OsSystem(m))), 2, r"is a Python pickle"),
    (
        "raw pickle as pt",
        _bytes("emb.pt", lambda m: pickle.dumps({"image": _OsSystem(m)})),
        2,
        r"refused|not a file written by torch\.save",
    ),
    ("object npy", _object_npy, 2, r"pickled Python objects"),
    ("object array in npz", _object_npz, 2, r"'image' holds pickled Python objects"),
    # ---- .pt payloads: os, exec-like numpy helpers, file-writing numpy helpers
    (
        "pt os.system",
        _pt(lambda m: {"image": _OsSystem(m), "text": Y}),
        2,
        r"refused: loading it needs (posix|os)\.system",
    ),
    ("pt numpy runstring", _pt(lambda m: {"image": _NumpyExec(m), "text": Y}), 2, r"refused: .*runstring"),
    ("pt numpy savetxt", _pt(lambda m: {"image": _NumpyWrite(m), "text": Y}), 2, r"refused: .*savetxt"),
    ("pt not a dict", _pt(lambda m: torch.zeros(3, 4)), 2, r"holds a Tensor, not a dict"),
    # ---- arrays that are not real, rectangular numbers
    ("complex npz", _npz(image=X + 1j, text=Y), 2, r"emb\.npz: array 'image' is complex"),
    ("strings npz", _npz(image=X, text=np.array(["a", "b"])), 2, r"emb\.npz: array 'text' has dtype <U1"),
    (
        "bfloat16 pt",
        _pt(lambda m: {"image": torch.zeros(4, 3, dtype=torch.bfloat16), "text": torch.zeros(4, 3)}),
        2,
        r"emb\.pt: tensor 'image' is bfloat16",
    ),
    (
        "complex pt",
        _pt(lambda m: {"image": torch.zeros(4, 3, dtype=torch.complex64), "text": torch.zeros(4, 3)}),
        2,
        r"emb\.pt: tensor 'image' is complex",
    ),
    (
        "ragged pt",
        _pt(lambda m: {"image": [[1.0, 2.0], [3.0]], "text": torch.zeros(2, 2)}),
        2,
        r"emb\.pt: 'image' is a ragged list",
    ),
    # ---- keys and shapes
    ("missing key", _npz(image=X, txt=Y), 2, r"no 'text' array \(found: image, txt\)"),
    ("widths differ", _npz(image=X, text=Y[:, :3]), 2, r"same embedding dimension"),
    ("rows differ", _npz(image=X, text=np.vstack([Y, Y])), 2, r"Pass text_to_image"),
    ("1-D", _npz(image=X[:, 0], text=Y[:, 0]), 2, r"must be 2-D"),
    ("t2i out of range", _npz(image=X, text=Y, text_to_image=np.arange(1, 7)), 2, r"outside the image rows"),
    (
        "npy wrong shape",
        lambda t: (np.save(t / "f.npy", np.zeros((3, 5, 4))), [str(t / "f.npy")])[1],
        2,
        r"shape \(2, N, d\)",
    ),
    ("nan", _npz(image=X, text=np.where(np.arange(4) == 1, np.nan, Y)), 2, r"NaN or inf"),
    ("zero row", _npz(image=X, text=np.vstack([Y[:5], np.zeros((1, 4))])), 2, r"all-zero row"),
    ("classification no class_text", _npz(image=X, labels=np.zeros(6, int)), 2, r"no 'class_text'"),
    (
        "classification labels range",
        _npz(image=X, class_text=Y[:3], labels=np.array([0, 1, 2, 3, 0, 1])),
        2,
        r"labels holds 3, outside the class_text rows 0\.\.2",
    ),
    (
        "classification float labels",
        _npz(image=X, class_text=Y[:3], labels=np.full(6, 0.5)),
        2,
        r"labels must hold integer class indices",
    ),
    ("classification and text", _npz(image=X, text=Y, class_text=Y[:3], labels=np.zeros(6, int)), 2, r"not both"),
    # ---- options
    ("top 0", _with_args(_npz(image=X, text=Y), "--top", "0"), 2, r"top must be a positive integer"),
    # ---- folders: captions and images
    ("no captions file", _folder(None), 2, r"no captions file"),
    ("caption names missing image", _folder(b"img0.png\ta cat\nimg9.png\ta dog\n"), 2, r"names 1 image\(s\) not in"),
    (
        "tsv line without tab",
        _folder(b"img0.png\ta cat\nimg1.png a dog\n"),
        2,
        r"captions\.tsv:2: expected image_file<TAB>caption",
    ),
    ("tsv not utf-8", _folder(b"img0.png\ta cat\nimg1.png\ta \xe9t\xe9 dog\n"), 2, r"captions\.tsv:2: not UTF-8"),
    (
        "csv unmatched quote",
        _folder(b'img0.png,a cat\nimg1.png,"a dog\nimg2.png,a bird\n', "captions.csv"),
        2,
        r"captions\.csv:2: .*unmatched double quote",
    ),
    (
        "csv field too large",
        _folder(b"img0.png,a cat\nimg1.png," + b"x" * 200_000 + b"\n", "captions.csv"),
        2,
        r"captions\.csv:2: a field is longer than the csv limit",
    ),
    (
        "json invalid",
        _folder(b'{"img0.png": "a cat",\n "img1.png": }', "captions.json"),
        2,
        r"captions\.json:2: not valid JSON",
    ),
    (
        "fifo captions",
        lambda t: (_folder(None)(t), os.mkfifo(t / "f" / "captions.tsv"))[0],
        2,
        r"captions file .*captions\.tsv is a FIFO",
    ),
    ("fifo image", _folder(b"img0.png\ta cat\npipe.png\ta pipe\n", fifo_image=True), 2, r"image .*pipe\.png is a FIFO"),
    (
        "fifo checkpoint",
        lambda t: (os.mkfifo(t / "ckpt.pt"), _with_args(_folder(OK_TSV), "--pretrained", "TMP/ckpt.pt")(t))[1],
        2,
        r"checkpoint file .*ckpt\.pt is a FIFO",
    ),
    (
        "checkpoint with a payload",
        lambda t: (
            torch.save({"state_dict": _OsSystem(t / MARKER)}, t / "evil.pt"),
            _with_args(_folder(OK_TSV), "--pretrained", "TMP/evil.pt")(t),
        )[1],
        2,
        r"checkpoint .*evil\.pt was refused: it holds objects other than tensors",
    ),
    (
        "unknown tag",
        _with_args(_folder(OK_TSV), "--pretrained", "no-such-tag"),
        2,
        r"'no-such-tag' is neither a checkpoint file nor a pretrained tag of ViT-S-32-alt",
    ),
    (
        "tag not cached offline",
        lambda t: _folder(OK_TSV)(t)[:1] + ["--model", "ViT-B-32", "--pretrained", "openai"],
        1,
        r"failed: DataUnavailable: weights 'openai' of ViT-B-32 are not in the local Hugging Face cache",
    ),
    (
        "allow-download while offline env",
        _with_args(_folder(OK_TSV), "--allow-download"),
        2,
        r"--allow-download conflicts with MODGAP_OFFLINE",
    ),
    ("save without .npz", _with_args(_folder(OK_TSV), "--save", "TMP/out.data"), 2, r"must end in \.npz"),
    ("save to a folder", _with_args(_folder(OK_TSV), "--save", "TMP/f"), 2, r"must end in \.npz|existing folder"),
    (
        "save to a folder named npz",
        lambda t: (os.mkdir(t / "d.npz"), _with_args(_folder(OK_TSV), "--save", "TMP/d.npz")(t))[1],
        2,
        r"--save .*d\.npz is an existing folder",
    ),
    (
        "save in a missing folder",
        _with_args(_folder(OK_TSV), "--save", "TMP/no/such/out.npz"),
        2,
        r"folder .*no/such does not exist",
    ),
]


@pytest.mark.parametrize("make,code,pattern", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input(tmp_path, capsys, monkeypatch, make, code, pattern):
    monkeypatch.setenv("MODGAP_OFFLINE", "1")
    argv = ["measure"] + make(tmp_path)
    assert main(argv) == code
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert lines, "nothing on stderr"
    last = lines[-1]
    assert last.startswith("modgap-edu measure: error:" if code == 2 else "modgap-edu measure: failed:"), err
    assert re.search(pattern, last), err
    assert "Traceback" not in err
    assert all(line.startswith(("note:", "warning:")) for line in lines[:-1]), err
    assert not (tmp_path / MARKER).exists(), "the file ran code while being loaded"


def test_payload_classes_really_run_when_unpickled(tmp_path):
    """The rows above prove something only if their payloads do run under a plain ``pickle.loads``."""
    for kind in (_OsSystem, _NumpyExec, _NumpyWrite):
        marker = tmp_path / f"{kind.__name__}.marker"
        pickle.loads(pickle.dumps(kind(marker)))
        assert marker.exists(), kind.__name__


def test_allow_download_without_network_fails_in_about_a_second(tmp_path, capsys, monkeypatch):
    """``--allow-download`` on a machine without network: one bounded probe, then a clear one-line failure."""
    import time

    from modgap_edu.data import cache

    monkeypatch.delenv("MODGAP_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    probes = []

    def no_network(host, timeout=1.0):
        probes.append((host, timeout))
        return False

    monkeypatch.setattr(cache, "network_available", no_network)
    argv = (
        ["measure"]
        + _folder(OK_TSV)(tmp_path)[:1]
        + ["--model", "ViT-B-32", "--pretrained", "openai", "--allow-download", "--quiet"]
    )
    t0 = time.perf_counter()
    code = main(argv)
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 1, err
    assert re.search(r"--allow-download: huggingface\.co:443 does not answer within 1 s", err.strip().splitlines()[-1])
    assert len(probes) == 1 and probes[0][1] <= 1.0
    assert elapsed < 3  # probed before open_clip is touched: no model is built, no retries


def test_network_probe_is_bounded(monkeypatch):
    """One overall deadline: a hanging name lookup (the 49 s of retries in issue 14) costs ~timeout seconds."""
    import socket
    import time

    from modgap_edu.data import cache

    with socket.socket() as s:  # a local port nobody listens on: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert cache.network_available(f"127.0.0.1:{port}", timeout=0.5) is False

    def hanging_lookup(*args, **kwargs):
        time.sleep(5)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", hanging_lookup)
    t0 = time.perf_counter()
    assert cache.network_available("huggingface.co", timeout=0.5) is False
    assert time.perf_counter() - t0 < 1.5


def test_network_probe_finds_a_listening_port(monkeypatch):
    import socket

    from modgap_edu.data import cache

    for var in ("MODGAP_OFFLINE", "HF_HUB_OFFLINE"):  # offline mode answers False without probing
        monkeypatch.delenv(var, raising=False)

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert cache.network_available(f"http://127.0.0.1:{server.getsockname()[1]}/x", timeout=1.0) is True


@pytest.mark.parametrize(
    "value,expected",
    [("1", True), ("TRUE", True), ("yes", True), ("On", True), ("0", False), ("", False), ("no", False)],
)
def test_offline_requested(monkeypatch, value, expected):
    from modgap_edu.data import cache

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("MODGAP_OFFLINE", value)
    assert cache.offline_requested() is expected
