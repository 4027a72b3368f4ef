"""The data command line (``python -m modgap_edu.data`` = ``liang_features.main``): every problem is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modgap_edu.data import cache, liang_features

SHARED = Path(os.environ.get("MODGAP_SHARED_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
REPO = Path(__file__).resolve().parents[2]


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("python -m modgap_edu.data: error:")
    return lines[0]


def test_corrupted_cached_file_is_reported(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path))
    (tmp_path / "features_clip.npy").write_bytes(b"\x93NUMPY not really")
    assert liang_features.main([]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(liang_features.NAMES)
    clip = [line for line in out if line.startswith("clip ")]
    assert len(clip) == 1 and "CORRUPTED" in clip[0] and "sha256 mismatch" in clip[0]
    assert all("missing" in line for line in out if not line.startswith("clip "))


def test_missing_seed_folder_exits_2_in_one_line(tmp_path, capsys):
    assert liang_features.main(["--seed-from", str(tmp_path / "nope"), "--dest", str(tmp_path / "d")]) == 2
    assert "no such folder" in _one_line_error(capsys)
    assert not (tmp_path / "d").exists()


def test_seed_folder_without_feature_files_exits_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert liang_features.main(["--seed-from", str(tmp_path / "empty"), "--dest", str(tmp_path / "d")]) == 2
    assert "none of features_clip.npy" in _one_line_error(capsys)


def test_corrupted_seed_file_is_one_line_and_exit_1(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "features_clasp.npy").write_bytes(b"not the real file")
    assert liang_features.main(["--seed-from", str(src), "--dest", str(tmp_path / "d")]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip().count("\n") == 0 and "features_clasp.npy: CORRUPTED" in captured.err
    assert captured.out.strip().splitlines()[-1].startswith("0 of 1 feature files")
    assert not (tmp_path / "d" / "features_clasp.npy").exists()


def test_read_only_dest_is_one_line(tmp_path, monkeypatch, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "features_clasp.npy").write_bytes(b"x")  # the destination is checked before any file is copied
    dest = tmp_path / "ro"
    dest.mkdir()

    def no_write(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.tempfile, "TemporaryFile", no_write)
    assert liang_features.main(["--seed-from", str(src), "--dest", str(dest)]) == 2
    line = _one_line_error(capsys)
    assert "cannot write into the data folder" in line and "Permission denied" in line


def test_data_dir_that_is_a_file_is_one_line(tmp_path, monkeypatch, capsys):
    f = tmp_path / "not_a_folder"
    f.write_text("x")
    monkeypatch.setenv("MODGAP_DATA_DIR", str(f))
    assert liang_features.main([]) == 2
    assert "it is a file" in _one_line_error(capsys)
    src = tmp_path / "src"
    src.mkdir()
    (src / "features_clip.npy").write_bytes(b"x")  # something to seed, so the destination is examined
    assert liang_features.main(["--seed-from", str(src)]) == 2
    assert "it is a file" in _one_line_error(capsys)


def test_offline_download_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MODGAP_OFFLINE", "1")
    assert liang_features.main(["--download", "clip"]) == 2
    assert "offline mode is on" in _one_line_error(capsys)


def test_python_dash_m_modgap_edu_data(tmp_path):
    """The module entry point runs, and a bad folder is one line on stderr with exit status 2."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "MODGAP_DATA_DIR": str(tmp_path), "MODGAP_OFFLINE": "1"}
    ok = subprocess.run([sys.executable, "-m", "modgap_edu.data"], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.count("missing") == len(liang_features.NAMES)
    bad = subprocess.run(
        [sys.executable, "-m", "modgap_edu.data", "--seed-from", str(tmp_path / "nope")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "no such folder" in bad.stderr


@pytest.mark.skipif(not (SHARED / "features_clip.npy").is_file(), reason="real feature files not found")
def test_seed_then_list_real_files(tmp_path, capsys):
    assert liang_features.main(["--seed-from", str(SHARED), "--dest", str(tmp_path)]) == 0
    assert liang_features.main(["--dest", str(tmp_path)]) == 0
    listing = capsys.readouterr().out.strip().splitlines()[-len(liang_features.NAMES) :]
    expected = [
        "cached" if (SHARED / liang_features.FILES[n][0]).is_file() else "missing" for n in liang_features.NAMES
    ]
    assert [line.split()[1] for line in listing] == expected
