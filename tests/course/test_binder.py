"""Binder readiness (issue 3 §5, issue 7 §2): binder/ builds the same course as CI.

Nothing here needs Docker or the network: ``repo2docker --no-build`` only detects
the buildpack and parses the configuration, and the version checks read files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CPU_PINNED = ("torch", "torchvision")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def canonical(name: str) -> str:
    """PEP 503 normalised project name (``Scikit_Learn`` == ``scikit-learn``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def pins(path: Path) -> dict[str, str]:
    """name -> exact version for every ``name==version`` line (options like --extra-index-url skipped)."""
    found = {}
    for line in requirement_lines(path):
        if line.startswith("-"):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: '{line}' is not an exact pin 'name==version'"
        found[canonical(match.group(1))] = match.group(2)
    return found


def test_runtime_pins_python_311():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_requirements_use_pytorch_cpu_index_with_exact_cpu_pins():
    lines = requirement_lines(BINDER / "requirements.txt")
    assert f"--extra-index-url {CPU_INDEX}" in lines, "torch must come from PyTorch's CPU index"
    binder = pins(BINDER / "requirements.txt")
    for name in CPU_PINNED:
        assert name in binder, f"{name} missing from binder/requirements.txt"
        assert binder[name].endswith("+cpu"), f"{name}=={binder[name]}: pin the CPU build exactly ('+cpu')"


def test_requirements_have_no_local_references():
    """A local reference would stop repo2docker from caching the (torch) pip layer."""
    from repo2docker.utils import is_local_pip_requirement

    for line in requirement_lines(BINDER / "requirements.txt"):
        assert not is_local_pip_requirement(line), f"local reference in binder/requirements.txt: {line}"
        assert not line.startswith(("-e", "-r", "-c", "--requirement", "--constraint", "--editable")), line


def test_binder_and_ci_constraints_agree_on_every_shared_package():
    binder = pins(BINDER / "requirements.txt")
    ci = pins(ROOT / "constraints.txt")
    shared = sorted(set(binder) & set(ci))
    assert len(shared) >= 10, f"too few shared packages to compare: {shared}"
    mismatched = []
    for name in shared:
        b = binder[name]
        if name in CPU_PINNED:
            b = b.removesuffix("+cpu")
        if b != ci[name].removesuffix("+cpu"):
            mismatched.append(f"{name}: binder {binder[name]} vs constraints {ci[name]}")
    assert not mismatched, "binder/requirements.txt and constraints.txt disagree:\n" + "\n".join(mismatched)


def test_binder_requirements_cover_the_package_dependencies():
    """Every runtime and [lab] dependency of pyproject.toml is pinned for Binder (postBuild uses --no-deps)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + list(project["optional-dependencies"]["lab"])
    binder = pins(BINDER / "requirements.txt")
    missing = []
    for spec in wanted:
        name = canonical(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0])
        if name not in binder:
            missing.append(name)
    assert not missing, f"pin these in binder/requirements.txt: {missing}"


def test_post_build_installs_package_and_configures_lab():
    post = BINDER / "postBuild"
    text = post.read_text()
    assert text.startswith("#!"), "postBuild needs a shebang"
    assert re.search(r"^set -e", text, re.M), "postBuild must `set -e` so that a failing step fails the build"
    assert "pip install --no-cache-dir --no-deps -e ." in text
    assert "binder/labconfig/default_setting_overrides.json" in text
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable (git keeps the x bit)"


def _schema(plugin_id: str) -> dict:
    """The installed JupyterLab settings schema of ``plugin_id`` (e.g. '@jupyterlab/x-extension:plugin')."""
    package, plugin = plugin_id.split(":")
    roots = [Path(sys.prefix) / "share/jupyter/lab/schemas", Path(sys.prefix) / "share/jupyter/labextensions"]
    for root in roots:
        for candidate in (root / package / f"{plugin}.json", root / package / "schemas" / package / f"{plugin}.json"):
            if candidate.exists():
                return json.loads(candidate.read_text())
    pytest.fail(f"no settings schema for {plugin_id} in {roots}")


def test_lab_overrides_are_valid_settings():
    """Each override names a real plugin setting, so JupyterLab cannot silently ignore it."""
    overrides = json.loads((BINDER / "labconfig/default_setting_overrides.json").read_text())
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"] == "Jupytext Notebook"
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    for plugin_id, settings in overrides.items():
        props = _schema(plugin_id)["properties"]
        for key in settings:
            assert key in props, f"{plugin_id} has no setting '{key}'"
    server = json.loads((BINDER / "jupyter_server_config.json").read_text())
    assert server["LabApp"] == {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}


def _repo2docker() -> list[str]:
    exe = Path(sys.executable).parent / "repo2docker"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "repo2docker"]


def test_repo2docker_no_build_lint(tmp_path):
    """repo2docker parses binder/ and writes the Dockerfile (no Docker, no network).

    Run on a copy of binder/ plus pyproject.toml so that the check does not depend on
    untracked files in the working tree.
    """
    repo = tmp_path / "repo"
    shutil.copytree(BINDER, repo / "binder")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    env = dict(os.environ, PIP_NO_INDEX="1")
    proc = subprocess.run(
        _repo2docker() + ["--no-build", "--debug", str(repo)], capture_output=True, text=True, timeout=120, env=env
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "Building conda environment for python=3.11" in out
    install = out.find('pip install --no-cache-dir -r "binder/requirements.txt"')
    copy_repo = out.find("COPY --chown=0:0 src/ ${REPO_DIR}/")
    assert install != -1, "repo2docker did not pick up binder/requirements.txt"
    assert copy_repo != -1
    assert install < copy_repo, "requirements must be installed before the repo is copied (cached torch layer)"
    assert "./binder/postBuild" in out


def test_repo2docker_lint_catches_a_broken_config(tmp_path):
    """The lint is not vacuous: an unparsable environment.yml makes it fail."""
    repo = tmp_path / "repo"
    (repo / "binder").mkdir(parents=True)
    (repo / "binder" / "environment.yml").write_text("dependencies:\n  - numpy\n - : [\n")
    proc = subprocess.run(_repo2docker() + ["--no-build", str(repo)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0


def imported_modules(paths) -> set[str]:
    import ast

    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_everything_the_course_imports_is_pinned_for_binder():
    """A lesson or module that starts importing a new package must pin it in binder/requirements.txt."""
    from importlib.metadata import packages_distributions

    files = sorted((ROOT / "modgap_edu").rglob("*.py")) + sorted((ROOT / "sources").glob("[0-9][0-9]_*.py"))
    third_party = {
        m for m in imported_modules(files) if m not in sys.stdlib_module_names and m not in ("modgap_edu", "__future__")
    }
    dists = packages_distributions()
    binder = pins(BINDER / "requirements.txt")
    missing = []
    for module in sorted(third_party):
        owners = {canonical(d) for d in dists.get(module, [])}
        if not owners:
            missing.append(f"{module} (not installed here either)")
        elif not owners & set(binder):
            missing.append(f"{module} (from {', '.join(sorted(owners))})")
    assert not missing, "imported by the course but not pinned in binder/requirements.txt: " + "; ".join(missing)


BINDER_LINK = re.compile(r"https://mybinder\.org/v2/gh/([^/\s)]+)/([^/\s)]+)/([^/?\s)]+)")


def _build_lessons():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_lessons_for_binder", ROOT / "tools" / "build_lessons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def launch_links() -> dict[str, list[tuple[str, str, str]]]:
    """(owner, repo, ref) of every mybinder link in README, docs, sources, lessons and solutions, by file."""
    files = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*")),
        *sorted(p for form in ("sources", "lessons", "solutions") for p in (ROOT / form).glob("[0-9][0-9]_*")),
    ]
    found: dict[str, list[tuple[str, str, str]]] = {}
    for path in files:
        if path.is_file():
            for match in BINDER_LINK.finditer(path.read_text(errors="replace")):
                found.setdefault(path.relative_to(ROOT).as_posix(), []).append(match.groups())
    return found


def test_launch_links_all_use_the_one_constant():
    """Issue 13 §5: README, docs and every generated lesson header name the owner/repo/ref of build_lessons.py."""
    bl = _build_lessons()
    wanted = (bl.BINDER_OWNER, bl.BINDER_REPO, bl.BINDER_REF)
    found = launch_links()
    assert "README.md" in found, "README.md needs a Binder launch link (badge)"
    assert "docs/lesson_template.py" in found, "the lesson template shows the Binder badge"
    generated = [f for f in found if f.startswith(("lessons/", "solutions/"))]
    assert len(generated) == 2 * 2 * len(bl.all_sources()), (
        f"every generated lesson file has a header link: {generated}"
    )
    wrong = {f: links for f, links in found.items() if any(link != wanted for link in links)}
    assert not wrong, f"Binder links must use {'/'.join(wanted)} (tools/build_lessons.py): {wrong}"


def test_the_binder_ref_exists_in_the_repository():
    """The ref the links name exists (a tag that was never created made the first click fail)."""
    if not (ROOT / ".git").exists():
        pytest.skip("no .git here (an sdist or a copied tree): cannot check that the Binder ref exists")
    ref = _build_lessons().BINDER_REF
    candidates = [ref, f"refs/heads/{ref}", f"refs/tags/{ref}", f"refs/remotes/origin/{ref}"]
    exists = [
        c
        for c in candidates
        if subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{c}^{{commit}}"], capture_output=True
        ).returncode
        == 0
    ]
    assert exists, f"the Binder ref {ref!r} is neither a branch nor a tag of this repository"


def test_the_ref_check_is_not_vacuous():
    if not (ROOT / ".git").exists():
        pytest.skip("no .git here: nothing to check against")
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", "refs/tags/v0.0.0-never-created^{commit}"],
        capture_output=True,
    )
    assert proc.returncode != 0
