"""modgap_edu.data.embedding_files: legit files load exactly; nothing in a file runs code (issue 14 §1, §3, §7).

The CLI-level refusals (one row per payload kind) are in tests/cli/test_bad_inputs.py; here the loader itself.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest
import torch

from modgap_edu.data import embedding_files as ef


@pytest.fixture
def xy():
    rng = np.random.default_rng(3)
    return rng.standard_normal((8, 5)).astype(np.float32), rng.standard_normal((16, 5))


def test_npz_paired_round_trip(tmp_path, xy):
    x, y = xy
    np.savez(tmp_path / "e.npz", image=x, text=y, text_to_image=np.repeat(np.arange(8), 2), notes=np.array(["x"]))
    d = ef.load_embeddings(tmp_path / "e.npz")
    assert d["mode"] == "paired"
    np.testing.assert_array_equal(d["image"], x)
    np.testing.assert_array_equal(d["text"], y)
    assert d["image"].dtype == np.float32 and d["text_to_image"].tolist() == np.repeat(np.arange(8), 2).tolist()


def test_pt_of_tensors_and_of_numpy_arrays(tmp_path, xy):
    x, y = xy
    torch.save({"image": torch.from_numpy(x), "text": torch.from_numpy(y)}, tmp_path / "t.pt")
    torch.save(
        {
            "image": x,
            "text": y,
            "text_to_image": np.repeat(np.arange(8), 2).astype(np.int32),
            "half": np.zeros(3, np.float16),
            "flags": np.zeros(2, bool),
        },
        tmp_path / "n.pt",
    )
    for name in ("t.pt", "n.pt"):
        d = ef.load_embeddings(tmp_path / name)
        np.testing.assert_array_equal(d["image"], x)
        np.testing.assert_array_equal(d["text"], y)


def _as_numpy1_pickle(src, dst):
    """Rewrite a torch.save zip so its pickle names numpy 1.x's ``numpy.core.multiarray._reconstruct``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("data.pkl"):
                assert b"numpy._core.multiarray\n_reconstruct" in data
                data = data.replace(b"numpy._core.multiarray\n_reconstruct", b"numpy.core.multiarray\n_reconstruct")
            zout.writestr(info, data)


def test_pt_written_with_numpy_1_names_loads(tmp_path, xy):
    x, y = xy
    torch.save({"image": x, "text": y}, tmp_path / "new.pt")
    _as_numpy1_pickle(tmp_path / "new.pt", tmp_path / "old.pt")
    assert "numpy.core.multiarray._reconstruct" in torch.serialization.get_unsafe_globals_in_checkpoint(
        tmp_path / "old.pt"
    )
    d = ef.load_embeddings(tmp_path / "old.pt")
    np.testing.assert_array_equal(d["image"], x)


def test_allow_list_is_exact():
    names = ef._allowed_names()
    assert {
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray._reconstruct",
        "numpy.ndarray",
        "numpy.dtype",
    } <= names
    others = {n for n in names if not n.startswith("numpy.dtypes.")} - {
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray._reconstruct",
        "numpy.ndarray",
        "numpy.dtype",
    }
    assert others == set()
    assert not any(word in n for n in names for word in ("runstring", "savetxt", "load", "Object", "Str", "Void"))


class _Touch:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("where", ["image", "nested"])
def test_pt_payload_refused_without_running(tmp_path, where):
    marker = tmp_path / "ran"
    obj = (
        {"image": _Touch(marker), "text": np.zeros((2, 2))}
        if where == "image"
        else {"image": np.zeros((2, 2)), "text": np.zeros((2, 2)), "extra": [{"deep": _Touch(marker)}]}
    )
    torch.save(obj, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match=r"evil\.pt was refused: loading it needs (posix|os)\.system"):
        ef.load_embeddings(tmp_path / "evil.pt")
    assert not marker.exists()


def test_classification_layout(tmp_path, xy):
    x, _ = xy
    np.savez(tmp_path / "c.npz", image=x, labels=np.arange(8) % 3, class_text=x[:3] + 1)
    d = ef.load_embeddings(tmp_path / "c.npz")
    assert d["mode"] == "classification" and set(d) == {"mode", "image", "labels", "class_text"}
    assert d["labels"].tolist() == (np.arange(8) % 3).tolist()


def test_liang_npy(tmp_path, xy):
    x, _ = xy
    np.save(tmp_path / "f.npy", np.stack([x, x + 1]))
    d = ef.load_embeddings(tmp_path / "f.npy")
    np.testing.assert_array_equal(d["text"], x + 1)


@pytest.mark.parametrize("kind", ["fifo", "dir"])
def test_regular_file(tmp_path, kind):
    p = tmp_path / "thing"
    os.mkfifo(p) if kind == "fifo" else p.mkdir()
    with pytest.raises(ValueError, match="FIFO" if kind == "fifo" else "is a folder"):
        ef.regular_file(p, "captions file")
    (tmp_path / "ok").write_text("x")
    assert ef.regular_file(tmp_path / "ok") == tmp_path / "ok"
