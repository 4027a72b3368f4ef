"""End-to-end tests of ``modgap-edu measure`` on files the tests write (lesson 05)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from modgap_edu.cli.main import main
from modgap_edu.core import dimensions, losses, metrics

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


# ---------------------------------------------------------------- errors (more in test_bad_inputs.py)


def test_argparse_usage_error_exits_2(tmp_path, pairs):
    p = tmp_path / "emb.npz"
    np.savez(p, image=pairs[0], text=pairs[1])
    with pytest.raises(SystemExit) as exc:  # argparse usage error: also exit code 2
        main(["measure", str(p), "--top", "many"])
    assert exc.value.code == 2


def test_pt_holding_numpy_arrays(tmp_path, pairs, capsys):
    x, y = pairs
    p = tmp_path / "emb.pt"
    torch.save({"image": x.astype(np.float32), "text": y, "text_to_image": np.arange(len(y))}, p)
    res = run_json(["measure", str(p), "--json"], capsys)
    assert res["rmg"] == pytest.approx(metrics.rmg(x, y), rel=1e-6)


def test_file_input_warns_about_folder_options(tmp_path, pairs, capsys):
    x, y = pairs
    p = tmp_path / "emb.npz"
    np.savez(p, image=x, text=y)
    code = main(["measure", str(p), "--json", "--save", str(tmp_path / "out.npz"), "--model", "RN50"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "--model, --save only apply to a FOLDER" in err
    assert not (tmp_path / "out.npz").exists()
    assert json.loads(out)["rmg"] == pytest.approx(metrics.rmg(x, y))


# ---------------------------------------------------------------- classification (one prompt per class)


def _official_classification(image, class_text, labels):
    """Schrodi et al.'s ImageNet path, written out literally: images vs the C unique prompts."""
    xi = image / np.linalg.norm(image, axis=1, keepdims=True)
    ct = class_text / np.linalg.norm(class_text, axis=1, keepdims=True)
    matched = ct[labels]
    m = 1 - (np.mean(np.sum(xi * matched, axis=1)) + 1) / 2

    def intra(a):
        d = (1 - a @ a.T) / 2
        np.fill_diagonal(d, 0)
        return d.sum() / (len(a) ** 2 - len(a))

    rmg = m / (m + 0.5 * (intra(xi) + intra(ct)))
    l2m = np.linalg.norm(xi.mean(0) - ct.mean(0))
    l2i = np.mean(np.linalg.norm(xi - matched, axis=1))
    return rmg, l2m, l2i, intra(xi), intra(ct)


def test_classification_mode_follows_the_official_code(tmp_path, rng, capsys):
    n_classes, d = 7, 16
    class_text = rng.standard_normal((n_classes, d))
    labels = rng.integers(0, n_classes, 90)
    labels[:n_classes] = np.arange(n_classes)
    image = class_text[labels] + 0.8 * rng.standard_normal((90, d)) + 1.5
    p = tmp_path / "cls.npz"
    np.savez(p, image=image, labels=labels, class_text=class_text)
    res = run_json(["measure", str(p), "--json"], capsys)
    rmg, l2m, l2i, d_img, d_txt = _official_classification(image, class_text, labels)
    assert res["mode"] == "classification"
    assert res["rmg"] == pytest.approx(rmg, rel=1e-9)
    assert res["l2m"] == pytest.approx(l2m, rel=1e-9)
    assert res["l2i"] == pytest.approx(l2i, rel=1e-9)
    assert res["rmg_intra_image"] == pytest.approx(d_img, rel=1e-9)
    assert res["rmg_intra_text"] == pytest.approx(d_txt, rel=1e-9)
    assert res["n_images"] == 90 and res["n_texts"] == n_classes == res["n_classes"]
    naive = metrics.rmg(image, class_text[labels])  # the "natural" call counts each prompt once per image
    assert abs(naive - rmg) > 1e-3
    assert main(["measure", str(p)]) == 0
    assert "7 class prompts" in capsys.readouterr().out


def test_classification_pt(tmp_path, rng, capsys):
    class_text = rng.standard_normal((4, 8))
    labels = np.arange(20) % 4
    image = class_text[labels] + rng.standard_normal((20, 8))
    p = tmp_path / "cls.pt"
    torch.save({"image": torch.tensor(image), "labels": torch.tensor(labels), "class_text": class_text}, p)
    res = run_json(["measure", str(p), "--json"], capsys)
    assert res["rmg"] == pytest.approx(_official_classification(image, class_text, labels)[0], rel=1e-9)


# ---------------------------------------------------------------- folder of images


def write_folder(folder: Path, captions: str | None, n: int = 3) -> None:
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(folder / f"img{i}.png")
    if captions is not None:
        (folder / "captions.tsv").write_text(captions)


def test_folder_embeds_with_open_clip(tmp_path, capsys):
    write_folder(
        tmp_path / "f",
        "filename\tcaption\nimg0.png\ta red square\nimg0.png\tnoise\nimg1.png\ta blue circle\nimg2.png\ta green dot\n",
        n=4,
    )
    out_npz = tmp_path / "saved.npz"
    code = main(
        [
            "measure",
            str(tmp_path / "f"),
            "--model",
            "ViT-S-32-alt",
            "--pretrained",
            "none",
            "--json",
            "--save",
            str(out_npz),
            "--batch-size",
            "2",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert REQUIRED <= set(res)
    assert res["n_images"] == 3 and res["n_texts"] == 4  # img3 has no caption: skipped
    assert "randomly initialised" in err and "no caption" in err
    saved = np.load(out_npz)
    assert saved["text_to_image"].tolist() == [0, 0, 1, 2]
    assert res["rmg"] == pytest.approx(metrics.rmg(saved["image"], saved["text"], saved["text_to_image"]))


def test_random_init_is_seeded(tmp_path, capsys):
    """Issue 14 §2: ``--pretrained none --seed S`` gives the same JSON on every run, another seed another model."""
    write_folder(tmp_path / "f", "img0.png\ta cat\nimg1.png\ta dog\nimg2.png\ta bird\n")
    argv = ["measure", str(tmp_path / "f"), "--model", "ViT-S-32-alt", "--pretrained", "none", "--json", "--quiet"]
    first = run_json(argv, capsys)
    again = run_json(argv + ["--seed", "0"], capsys)
    other = run_json(argv + ["--seed", "1"], capsys)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first["rmg"] != other["rmg"]


def test_quotes_and_long_captions_are_plain_text(tmp_path, capsys):
    """Issue 14 §4: an unmatched quote in captions.tsv stays in its caption (6 images stay 6), a 200,000-character
    caption is read (the tokenizer truncates it), and --save writes exactly the path it names."""
    lines = [f"img{i}.png\t{'a ' + chr(34) + 'quoted' if i == 1 else 'photo ' + str(i)}" for i in range(6)]
    lines[4] = "img4.png\t" + "very long " * 20_000
    write_folder(tmp_path / "f", "\n".join(lines) + "\n", n=6)
    out_npz = tmp_path / "out.npz"
    out_npz.write_bytes(b"old")
    argv = [
        "measure",
        str(tmp_path / "f"),
        "--model",
        "ViT-S-32-alt",
        "--pretrained",
        "none",
        "--json",
        "--save",
        str(out_npz),
    ]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert res["n_images"] == 6 and res["n_texts"] == 6
    assert f"saved embeddings to {out_npz} (replaced the existing file)" in err
    with np.load(out_npz) as saved:
        assert saved["image"].shape[0] == 6 and saved["text_to_image"].tolist() == list(range(6))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "out.npz"]  # no out.npz.npz, no temp file left
