"""End-to-end tests of ``modgap-edu measure`` on files the tests write (lesson 05)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from modgap_edu.core import dimensions, losses, metrics
from modgap_edu.cli.main import main

REQUIRED = {"l2m", "l2i", "rmg", "align", "uniformity_image", "uniformity_text", "top_gap_dims"}


@pytest.fixture
def pairs(rng):
    x = rng.standard_normal((60, 12)).astype(np.float32)
    x[:, 2] += 2.0
    y = (x + 0.5 * rng.standard_normal((60, 12))).astype(np.float32)
    y[:, 2] -= 3.0
    return x, y


def run_json(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def run_error(argv, capsys, match):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    last = err.strip().splitlines()[-1]  # notes (e.g. skipped images) may come first
    assert last.startswith("modgap-edu measure: error:"), err
    assert match in last, err
    return err


def test_npz_json_matches_the_library(tmp_path, pairs, capsys):
    x, y = pairs
    path = tmp_path / "emb.npz"
    np.savez(path, image=x, text=y)
    res = run_json(["measure", str(path), "--json"], capsys)
    assert REQUIRED <= set(res)
    assert res["l2m"] == pytest.approx(metrics.l2m(x, y), rel=1e-12)
    assert res["l2i"] == pytest.approx(metrics.l2i(x, y), rel=1e-12)
    assert res["rmg"] == pytest.approx(metrics.rmg_pairwise(x, y), rel=1e-9)
    assert res["align"] == pytest.approx(float(losses.align_loss(x.astype(np.float64), y.astype(np.float64))), rel=1e-9)
    assert res["uniformity_image"] == pytest.approx(float(losses.uniform_loss(x.astype(np.float64))), rel=1e-9)
    assert res["uniformity_text"] == pytest.approx(float(losses.uniform_loss(y.astype(np.float64))), rel=1e-9)
    assert res["top_gap_dims"][0] == 2
    assert res["top_gap_dims"] == dimensions.rank_gap_dimensions(x, y)[:10].tolist()
    assert res["n_images"] == 60 and res["dim"] == 12


def test_table_output(tmp_path, pairs, capsys):
    x, y = pairs
    path = tmp_path / "emb.npz"
    np.savez(path, image=x, text=y)
    assert main(["measure", str(path), "--top", "3"]) == 0
    out = capsys.readouterr().out
    for word in ("L2M", "L2I", "RMG", "alignment", "uniformity image", "uniformity text", "top gap dimensions"):
        assert word in out
    assert f"{metrics.rmg(x, y):.4f}" in out


def test_pt_with_text_to_image(tmp_path, rng, capsys):
    x = rng.standard_normal((10, 6))
    t2i = np.repeat(np.arange(10), 3)
    y = x[t2i] + rng.standard_normal((30, 6))
    path = tmp_path / "emb.pt"
    torch.save({"image": torch.tensor(x), "text": torch.tensor(y), "text_to_image": torch.tensor(t2i)}, path)
    res = run_json(["measure", str(path), "--json"], capsys)
    assert res["rmg"] == pytest.approx(metrics.rmg_pairwise(x, y, t2i), rel=1e-9)
    assert res["l2i"] == pytest.approx(metrics.l2i(x, y, t2i), rel=1e-12)
    assert res["align"] == pytest.approx(float(losses.align_loss(x[t2i], y)), rel=1e-9)
    assert res["n_texts"] == 30


def test_liang_npy_layout(tmp_path, pairs, capsys):
    x, y = pairs
    path = tmp_path / "features.npy"
    np.save(path, np.stack([x, y]))
    res = run_json(["measure", str(path), "--json"], capsys)
    assert res["l2m"] == pytest.approx(metrics.l2m(x, y), rel=1e-12)


def test_uniformity_subsample(tmp_path, rng, capsys):
    x = rng.standard_normal((300, 4))
    path = tmp_path / "emb.npz"
    np.savez(path, image=x, text=x + 0.1)
    res = run_json(["measure", str(path), "--json", "--uniformity-sample", "50"], capsys)
    assert res["uniformity_rows"] == {"image": 50, "text": 50}
    assert abs(res["uniformity_image"] - float(losses.uniform_loss(x))) < 0.3  # a sample estimate
    assert main(["measure", str(path), "--uniformity-sample", "50"]) == 0
    assert "random subset" in capsys.readouterr().out


def test_console_script_subprocess(tmp_path, pairs):
    x, y = pairs
    path = tmp_path / "emb.npz"
    np.savez(path, image=x, text=y)
    exe = Path(sys.executable).with_name("modgap-edu")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "modgap_edu.cli.main"]
    ok = subprocess.run(cmd + ["measure", str(path), "--json"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["rmg"] == pytest.approx(metrics.rmg(x, y))
    bad = subprocess.run(cmd + ["measure", str(tmp_path / "missing.npz")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "does not exist" in bad.stderr and bad.stdout == ""


# ---------------------------------------------------------------- errors


def test_error_missing_and_unsupported(tmp_path, capsys):
    run_error(["measure", str(tmp_path / "nope.npz")], capsys, "does not exist")
    p = tmp_path / "emb.csv"
    p.write_text("1,2\n")
    run_error(["measure", str(p)], capsys, "unsupported file type '.csv'")


def test_error_corrupt_npz(tmp_path, capsys):
    p = tmp_path / "emb.npz"
    p.write_bytes(b"not a zip file")
    run_error(["measure", str(p)], capsys, "could not read")


def test_error_missing_key(tmp_path, pairs, capsys):
    p = tmp_path / "emb.npz"
    np.savez(p, image=pairs[0], txt=pairs[1])
    run_error(["measure", str(p)], capsys, "no 'text' array (found: image, txt)")


def test_error_shapes(tmp_path, rng, capsys):
    p = tmp_path / "emb.npz"
    np.savez(p, image=rng.standard_normal((5, 4)), text=rng.standard_normal((5, 3)))
    run_error(["measure", str(p)], capsys, "same embedding dimension")
    np.savez(p, image=rng.standard_normal((5, 4)), text=rng.standard_normal((6, 4)))
    run_error(["measure", str(p)], capsys, "Pass text_to_image")
    np.savez(p, image=rng.standard_normal(5), text=rng.standard_normal(5))
    run_error(["measure", str(p)], capsys, "must be 2-D")
    np.savez(p, image=rng.standard_normal((5, 4)), text=rng.standard_normal((5, 4)), text_to_image=np.arange(1, 6))
    run_error(["measure", str(p)], capsys, "outside the image rows")
    p2 = tmp_path / "bad.npy"
    np.save(p2, rng.standard_normal((3, 5, 4)))
    run_error(["measure", str(p2)], capsys, "shape (2, N, d)")


def test_error_nan_and_zero_rows(tmp_path, rng, capsys):
    p = tmp_path / "emb.npz"
    x = rng.standard_normal((5, 4))
    y = x.copy()
    y[3, 1] = np.nan
    np.savez(p, image=x, text=y)
    run_error(["measure", str(p)], capsys, "NaN or inf")
    y = x.copy()
    y[2] = 0
    np.savez(p, image=x, text=y)
    run_error(["measure", str(p)], capsys, "all-zero row")


def test_error_pt_not_a_dict(tmp_path, capsys):
    p = tmp_path / "emb.pt"
    torch.save(torch.zeros(3, 4), p)
    run_error(["measure", str(p)], capsys, "save a dict")


def test_pt_holding_numpy_arrays(tmp_path, pairs, capsys):
    x, y = pairs
    p = tmp_path / "emb.pt"
    torch.save({"image": x.astype(np.float32), "text": y, "text_to_image": np.arange(len(y))}, p)
    res = run_json(["measure", str(p), "--json"], capsys)
    assert res["rmg"] == pytest.approx(metrics.rmg(x, y), rel=1e-6)


class _Executes:  # a pickle that would run code when loaded unsafely
    def __reduce__(self):
        return (print, ("this must never run",))


def test_error_pt_with_foreign_objects_or_not_torch(tmp_path, capsys):
    p = tmp_path / "evil.pt"
    torch.save({"image": _Executes(), "text": np.zeros((2, 2))}, p)
    run_error(["measure", str(p)], capsys, "non-tensor objects")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    err = run_error(["measure", str(junk)], capsys, "not a file written by torch.save")
    assert len(err.strip().splitlines()) == 1


def test_error_unwritable_save_path(tmp_path, capsys):
    write_folder(tmp_path / "f", "img0.png\ta cat\nimg1.png\ta dog\n")
    run_error(["measure", str(tmp_path / "f"), "--model", "ViT-S-32-alt", "--pretrained", "none", "--quiet",
               "--save", str(tmp_path / "no" / "such" / "dir" / "out.npz")], capsys, "could not write --save")


def test_bad_option_values(tmp_path, pairs, capsys):
    p = tmp_path / "emb.npz"
    np.savez(p, image=pairs[0], text=pairs[1])
    run_error(["measure", str(p), "--top", "0"], capsys, "top must be a positive integer")
    with pytest.raises(SystemExit) as exc:  # argparse usage error: also exit code 2
        main(["measure", str(p), "--top", "many"])
    assert exc.value.code == 2


# ---------------------------------------------------------------- folder of images


def write_folder(folder: Path, captions: str | None, n: int = 3) -> None:
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(folder / f"img{i}.png")
    if captions is not None:
        (folder / "captions.tsv").write_text(captions)


def test_folder_errors(tmp_path, capsys):
    write_folder(tmp_path / "nocap", None)
    run_error(["measure", str(tmp_path / "nocap")], capsys, "no captions file")
    write_folder(tmp_path / "missing", "img0.png\ta cat\nimg9.png\ta dog\n")
    run_error(["measure", str(tmp_path / "missing")], capsys, "not in")
    write_folder(tmp_path / "badline", "img0.png a cat without a tab\n")
    run_error(["measure", str(tmp_path / "badline")], capsys, "line 1")


def test_folder_unknown_weights_fail_fast(tmp_path, capsys):
    write_folder(tmp_path / "f", "img0.png\ta cat\nimg1.png\ta dog\n")
    run_error(["measure", str(tmp_path / "f"), "--model", "ViT-S-32-alt", "--pretrained", "no-such-tag", "--quiet"],
              capsys, "could not load open_clip model")


def test_folder_embeds_with_open_clip(tmp_path, capsys):
    write_folder(tmp_path / "f", "filename\tcaption\nimg0.png\ta red square\nimg0.png\tnoise\n"
                                 "img1.png\ta blue circle\nimg2.png\ta green dot\n", n=4)
    out_npz = tmp_path / "saved.npz"
    code = main(["measure", str(tmp_path / "f"), "--model", "ViT-S-32-alt", "--pretrained", "none",
                 "--json", "--save", str(out_npz), "--batch-size", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert REQUIRED <= set(res)
    assert res["n_images"] == 3 and res["n_texts"] == 4  # img3 has no caption: skipped
    assert "randomly initialised" in err and "no caption" in err
    saved = np.load(out_npz)
    assert saved["text_to_image"].tolist() == [0, 0, 1, 2]
    assert res["rmg"] == pytest.approx(metrics.rmg(saved["image"], saved["text"], saved["text_to_image"]))


def test_read_captions_formats(tmp_path):
    from modgap_edu.data.image_folder import read_captions

    (tmp_path / "c.json").write_text(json.dumps({"a.png": "one", "b.png": ["two", "three"]}))
    assert read_captions(tmp_path / "c.json") == [("a.png", "one"), ("b.png", "two"), ("b.png", "three")]
    (tmp_path / "c.csv").write_text("image,caption\na.png,\"one, with comma\"\n")
    assert read_captions(tmp_path / "c.csv") == [("a.png", "one, with comma")]
    (tmp_path / "c.yaml").write_text("x")
    with pytest.raises(ValueError, match="must end in"):
        read_captions(tmp_path / "c.yaml")
    (tmp_path / "e.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        read_captions(tmp_path / "e.json")


def test_offline_by_default():
    from modgap_edu.models.openclip import load_model

    os.environ.pop("HF_HUB_OFFLINE", None)
    with pytest.raises(ValueError):
        load_model("ViT-S-32-alt", "no-such-tag")
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
