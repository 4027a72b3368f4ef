"""tools/budget.py measures what it claims: a known allocation shows up in the peak, limits fail the run."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOC_MB = 300


def load_budget():
    spec = importlib.util.spec_from_file_location("budget_under_test", ROOT / "tools" / "budget.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def write(path: Path, cells) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("budget_course")
    stub = nbformat.v4.new_code_cell('raise NotImplementedError("Exercise 1.1")')
    stub.metadata["tags"] = ["raises-exception"]
    write(
        root / "lessons" / "01_alloc.ipynb",
        [
            nbformat.v4.new_code_cell(f"import numpy as np\nblock = np.ones({ALLOC_MB} * 2**20 // 8)\nblock.sum()"),
            stub,
            nbformat.v4.new_code_cell("import time\ntime.sleep(1.0)"),
        ],
    )
    write(
        root / "solutions" / "01_alloc.ipynb",
        [
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("import os\nprint('widgets:', os.environ.get('MODGAP_WIDGETS', 'real'))"),
        ],
    )
    write(root / "solutions" / "02_broken.ipynb", [nbformat.v4.new_code_cell("1 / 0")])
    return root


def run(budget, course, tmp_path, *args):
    out = tmp_path / "run"
    report = tmp_path / "budget.json"
    code = budget.main(["--root", str(course), "--out", str(out), "--json", str(report), *args])
    return code, {r["notebook"]: r for r in json.loads(report.read_text())}, out


def test_measures_time_memory_and_failures(course, tmp_path, monkeypatch):
    monkeypatch.setenv("MODGAP_WIDGETS", "static")  # a batch setting must not leak into the measured kernel
    budget = load_budget()
    code, results, out = run(budget, course, tmp_path)
    assert set(results) == {"lessons/01_alloc.ipynb", "solutions/01_alloc.ipynb", "solutions/02_broken.ipynb"}
    alloc, small, broken = (
        results["lessons/01_alloc.ipynb"],
        results["solutions/01_alloc.ipynb"],
        results["solutions/02_broken.ipynb"],
    )
    # the exercise stub may raise; an untagged error fails the notebook and the run
    assert alloc["error"] == "" and small["error"] == ""
    assert "ZeroDivisionError" in broken["error"]
    assert code == 1
    # a 300 MB array is in the peak of the allocating kernel, and not in the other one
    assert alloc["peak_mb"] >= ALLOC_MB
    assert alloc["peak_mb"] - small["peak_mb"] >= 0.8 * ALLOC_MB
    assert alloc["kernel_hwm_mb"] >= ALLOC_MB, "/proc VmHWM of the kernel must see the allocation"
    # the 1 s sleep is timed, and it is the slowest cell
    assert alloc["wall_s"] >= 1.0
    assert alloc["cell_s"]["2"] >= 0.9
    assert alloc["slowest_cell_s"] == pytest.approx(max(alloc["cell_s"].values()), abs=1e-3)
    assert alloc["cell_s"][str(alloc["slowest_cell"])] == pytest.approx(alloc["slowest_cell_s"], abs=1e-3)
    executed = nbformat.read(out / "lessons" / "01_alloc.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["ename"] == "NotImplementedError"
    # the peak is attributed to the cell that allocated (what to profile when a lesson goes over)
    assert alloc["peak_cell"] == 0
    assert alloc["cell_peaks_mb"]["0"] >= ALLOC_MB > small["cell_peaks_mb"]["0"]
    # learners get real widgets: MODGAP_WIDGETS is not passed on to the kernel
    printed = nbformat.read(out / "solutions" / "01_alloc.ipynb", as_version=4).cells[1].outputs[0]["text"]
    assert printed.strip() == "widgets: real"


def test_static_widgets_only_on_request(course, tmp_path):
    budget = load_budget()
    _, results, out = run(budget, course, tmp_path, "--only", "01_alloc", "--static-widgets")
    printed = nbformat.read(out / "solutions" / "01_alloc.ipynb", as_version=4).cells[1].outputs[0]["text"]
    assert printed.strip() == "widgets: static"


def test_limits_fail_the_run(course, tmp_path):
    budget = load_budget()
    code, results, _ = run(
        budget, course, tmp_path, "--only", "01_alloc", "--max-mb", str(ALLOC_MB // 2), "--max-s", "600"
    )
    assert code == 1
    assert any("MB >" in p for p in results["lessons/01_alloc.ipynb"]["problems"])
    code, results, _ = run(budget, course, tmp_path, "--only", "01_alloc", "--max-s", "0.5")
    assert code == 1 and any("s >" in p for p in results["lessons/01_alloc.ipynb"]["problems"])
    code, _, _ = run(budget, course, tmp_path, "--only", "01_alloc")
    assert code == 0
