"""Fixtures for the real-browser tests (issue 7 §1): JupyterLab + Debian's Chromium + Playwright.

* ``lab``: a private JupyterLab server on 127.0.0.1 (free port, own token, temporary
  config / workspaces / settings / runtime dirs, news and update checks off) serving
  a temporary COPY of the course's ``lessons/`` and ``solutions/``, so that running
  cells never writes outputs into the committed notebooks. The Binder lab settings
  (``binder/labconfig``, ``binder/jupyter_server_config.json``) are installed into the
  temporary config dir, so these tests also check what Binder users get.
* ``browser``, ``context``, ``page``: pytest-playwright's fixtures (issue 10 §4), configured here
  through ``browser_type_launch_args`` (Debian's ``/usr/bin/chromium``, headless, the flags of
  ``CHROMIUM_ARGS``; no ``playwright install``: that would download a browser, and CI cannot reach
  that server) and ``browser_context_args`` (viewport). ``page`` is wrapped to close itself and
  then free every kernel of the lab after each test. pytest-playwright's own options work too:
  ``--headed``, ``--slowmo 200``, ``--screenshot only-on-failure``, ``--tracing retain-on-failure``
  (artifacts in ``test-results/``).

Every test here skips, saying why, when /usr/bin/chromium or playwright is missing.
Environment:
  MODGAP_BROWSER_ROOT   course root whose lessons/ and solutions/ are tested (default: this repo)
  MODGAP_CHROMIUM       browser executable (default /usr/bin/chromium)
  MODGAP_BROWSER_FORMS  which forms to open, default "lessons,solutions"
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_env import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, COURSE, REPO, missing_browser_reason


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    def tree_url(self, relpath: str) -> str:
        return f"{self.url}/lab/tree/{relpath}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self, timeout_s: float = 30.0) -> None:
        """Free the memory of every kernel (each lesson may hold up to ~1 GB).

        A kernel that is still starting (a notebook opened a moment ago) can make the server answer
        DELETE with 500 or 404 while it is being set up or already gone; retry until no session and no
        kernel is left, and fail with the server's log only if that does not happen in ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        last_error = None
        while True:
            left = (self.api("/api/sessions") or []) + (self.api("/api/kernels") or [])
            if not left:
                return
            for session in self.api("/api/sessions") or []:
                last_error = self._delete(f"/api/sessions/{session['id']}") or last_error
            for kernel in self.api("/api/kernels") or []:
                last_error = self._delete(f"/api/kernels/{kernel['id']}") or last_error
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"kernels still running after {timeout_s:.0f} s (last error: {last_error}); "
                    f"JupyterLab log:\n{self.log.read_text()[-3000:]}"
                )
            time.sleep(0.5)

    def _delete(self, path: str):
        try:
            self.api(path, method="DELETE")
        except urllib.error.HTTPError as exc:  # 404: already gone; 500: still starting, retried
            return f"DELETE {path}: HTTP {exc.code}"
        return None


@pytest.fixture(scope="session")
def browser_available():
    reason = missing_browser_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def lab(browser_available, tmp_path_factory):
    base = tmp_path_factory.mktemp("lab")
    root = base / "course"
    for form in ("lessons", "solutions"):
        if (COURSE / form).is_dir():
            shutil.copytree(COURSE / form, root / form, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    if (COURSE / "jupytext.toml").exists():
        shutil.copy2(COURSE / "jupytext.toml", root / "jupytext.toml")
    config = base / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "jupyter_server_config.d").mkdir(parents=True)
    shutil.copy(
        REPO / "binder/labconfig/default_setting_overrides.json", config / "labconfig/default_setting_overrides.json"
    )
    shutil.copy(REPO / "binder/jupyter_server_config.json", config / "jupyter_server_config.d/modgap_edu.json")
    for d in ("workspaces", "settings", "runtime", "ipython"):
        (base / d).mkdir()
    token, port = secrets.token_hex(16), free_port()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),
        HF_HUB_OFFLINE="1",
        OMP_NUM_THREADS="2",
    )
    env.pop("MPLBACKEND", None)  # the kernel must use the inline backend, as for a learner
    env.pop("MODGAP_WIDGETS", None)  # real sliders, even when a batch setting asks for static figures
    log = base / "jupyterlab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with open(log, "w") as log_file:
        proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=root)
    server = Lab(url=f"http://127.0.0.1:{port}", token=token, root=root, log=log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                server.api("/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within 90 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- pytest-playwright configuration
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_available):
    """Debian's Chromium instead of a Playwright download; ``--headed`` etc. from the command line still apply."""
    return {"headless": True, **browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 1000}}


@pytest.fixture
def context(context):
    context.set_default_timeout(60_000)  # a lesson cell may train for a while on 2 shared cores
    return context


@pytest.fixture
def page(page, lab):
    """pytest-playwright's page; afterwards the page is closed and the lab's kernels freed (each may hold ~1 GB)."""
    yield page
    page.close()
    lab.shutdown_kernels()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
