"""modgap_edu.data.cache: the one offline switch, the bounded probe, checksummed downloads, the cache folder.

Downloads run against a local HTTP server (``file_server``); "no network" is simulated by a resolver that
hangs, sockets whose packets vanish, and a port nobody listens on.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import threading
import time
from pathlib import Path

import pytest

from modgap_edu.data import cache, liang_features
from modgap_edu.mad import digits as mad_digits

TRUE_SPELLINGS = ["1", "true", "TRUE", "True", "yes", "YES", "on", "On", " 1 ", "\ttrue\n"]
FALSE_SPELLINGS = [None, "", "0", "false", "FALSE", "no", "No", "off", "OFF", "  "]


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("MODGAP_DATA_DIR", str(d))
    return d


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("MODGAP_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    for v in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(v, raising=False)


@pytest.fixture
def file_server(tmp_path):
    """Serve a folder over HTTP on 127.0.0.1; yields (folder, base_url)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _set(monkeypatch, name, value):
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ the offline switch
@pytest.mark.parametrize("variable", cache.OFFLINE_VARIABLES)
@pytest.mark.parametrize("value", TRUE_SPELLINGS + FALSE_SPELLINGS)
def test_offline_switch_table(monkeypatch, variable, value):
    other = [v for v in cache.OFFLINE_VARIABLES if v != variable][0]
    monkeypatch.delenv(other, raising=False)
    _set(monkeypatch, variable, value)
    expected = value in TRUE_SPELLINGS
    assert cache.offline_requested() is expected
    assert liang_features.offline_requested() is expected  # the same parser, re-exported
    monkeypatch.setenv(other, "1")  # either variable on means offline
    assert cache.offline_requested() is True
    monkeypatch.setenv(other, "0")
    assert cache.offline_requested() is expected


@pytest.mark.parametrize("variable", cache.OFFLINE_VARIABLES)
@pytest.mark.parametrize("value", ["2", "maybe", "offline", "y"])
def test_unknown_spelling_is_an_error_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.delenv("MODGAP_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=f"{variable}=.*1/true/yes/on"):
        cache.offline_requested()


@pytest.mark.parametrize("value", ["1", "true", "on", "false", "0", "off", ""])
def test_one_answer_for_liang_features_and_mnist(data_root, monkeypatch, value):
    """Liang's features and MNIST read the switch the same way: offline -> refuse at once, online -> probe."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("MODGAP_OFFLINE", value)
    probed = []

    def fake_probe(url, timeout=cache.PROBE_SECONDS):
        probed.append(url)
        raise cache.DataUnavailable("probe says no")

    monkeypatch.setattr(cache, "probe", fake_probe)
    offline = value in ("1", "true", "on")
    answers = []
    for call in (lambda: liang_features.load_liang_features("clip"), mad_digits.download_mnist):
        before = len(probed)
        with pytest.raises(cache.DataUnavailable) as err:
            call()
        answers.append(("offline mode is on" in str(err.value), len(probed) > before))
    assert answers == [(offline, not offline)] * 2


# ------------------------------------------------------------------ the probe
def test_probe_reaches_a_local_server(online, file_server):
    _, base = file_server
    assert cache.network_available(base) is True
    assert cache.network_available(base.removeprefix("http://").rstrip("/")) is True  # host:port
    cache.probe(base)  # no exception


def test_probe_refused_port_is_false_fast(online):
    t0 = time.perf_counter()
    assert cache.network_available(f"http://127.0.0.1:{_free_port()}/x") is False
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize("timeout", [0.5, 10.0, 1e9])
def test_hanging_resolver_returns_false_within_the_deadline(online, monkeypatch, timeout):
    def blackholed(*args, **kwargs):
        time.sleep(5)
        raise socket.gaierror("too slow")

    monkeypatch.setattr(socket, "getaddrinfo", blackholed)
    t0 = time.perf_counter()
    assert cache.network_available("https://example.org/file", timeout=timeout) is False
    assert time.perf_counter() - t0 < 1.5  # capped at MAX_PROBE_SECONDS whatever the caller asks


def test_dropped_packets_share_one_deadline(online, monkeypatch):
    fake = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (f"192.0.2.{i}", 443)) for i in range(1, 5)]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: fake)

    class BlackHole:
        def __init__(self, *args):
            self.timeout = None

        def settimeout(self, t):
            self.timeout = t

        def connect(self, addr):
            time.sleep(self.timeout)
            raise socket.timeout("timed out")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(cache.socket, "socket", BlackHole)
    t0 = time.perf_counter()
    assert cache.network_available("https://example.org/") is False
    assert time.perf_counter() - t0 < 1.5


def test_probe_goes_through_the_proxy(online, monkeypatch, file_server):
    """An unresolvable host is reachable when https_proxy/http_proxy points at a live proxy."""
    _, base = file_server
    assert cache.network_available("http://modgap-edu.invalid/f") is False
    monkeypatch.setenv("http_proxy", base)
    monkeypatch.setenv("no_proxy", "")
    assert cache.network_available("http://modgap-edu.invalid/f") is True
    monkeypatch.setenv("no_proxy", "modgap-edu.invalid")  # bypassed: back to the real (unresolvable) host
    assert cache.network_available("http://modgap-edu.invalid/f") is False


def test_offline_mode_never_probes(monkeypatch, file_server):
    _, base = file_server
    monkeypatch.setenv("MODGAP_OFFLINE", "yes")
    monkeypatch.setattr(cache, "probe", lambda *a, **k: pytest.fail("probed while offline"))
    assert cache.network_available(base) is False


@pytest.mark.parametrize("bad", ["", "   ", None, 3, "http://host:notaport/"])
def test_probe_bad_address(bad, online):
    with pytest.raises(ValueError, match="url_or_host"):
        cache.network_available(bad)


@pytest.mark.parametrize("bad", [0, -1, "soon", None, float("nan")])
def test_probe_bad_timeout(bad, online):
    with pytest.raises(ValueError, match="timeout"):
        cache.network_available("http://127.0.0.1:1/", timeout=bad)


# ------------------------------------------------------------------ fetch
def _serve(root: Path, name: str, payload: bytes) -> str:
    (root / name).write_bytes(payload)
    return hashlib.sha256(payload).hexdigest()


def test_fetch_with_the_right_checksum_caches(data_root, online, file_server, monkeypatch):
    root, base = file_server
    sha = _serve(root, "blob.bin", b"modgap" * 1000)
    path = cache.fetch(base + "blob.bin", sha, "blob.bin", subdir="extra")
    assert path == data_root / "extra" / "blob.bin" and path.read_bytes() == b"modgap" * 1000
    assert cache.sha256_of(path) == sha
    (root / "blob.bin").unlink()  # the server forgets it; the cache answers, even offline
    monkeypatch.setenv("MODGAP_OFFLINE", "1")
    assert cache.fetch(base + "blob.bin", "sha256:" + sha, "blob.bin", subdir="extra") == path


def test_fetch_with_a_wrong_checksum_leaves_nothing(data_root, online, file_server):
    root, base = file_server
    _serve(root, "blob.bin", b"tampered")
    with pytest.raises(cache.ChecksumError, match="pinned sha256"):
        cache.fetch(base + "blob.bin", hashlib.sha256(b"original").hexdigest(), "blob.bin")
    assert not data_root.exists() or list(data_root.rglob("*")) == []


def test_fetch_replaces_a_corrupted_cached_file_online(data_root, online, file_server):
    root, base = file_server
    sha = _serve(root, "blob.bin", b"the real bytes")
    data_root.mkdir()
    (data_root / "blob.bin").write_bytes(b"the real by")  # truncated
    assert cache.fetch(base + "blob.bin", sha, "blob.bin").read_bytes() == b"the real bytes"


def test_fetch_corrupted_cached_file_offline_is_a_checksum_error(data_root, monkeypatch):
    monkeypatch.setenv("MODGAP_OFFLINE", "1")
    data_root.mkdir()
    (data_root / "blob.bin").write_bytes(b"junk")
    with pytest.raises(cache.ChecksumError, match="delete it"):
        cache.fetch("https://example.org/blob.bin", "0" * 64, "blob.bin")
    assert (data_root / "blob.bin").read_bytes() == b"junk"  # left for inspection


def test_fetch_offline_fails_fast_with_a_how_to(data_root, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "ON")
    monkeypatch.delenv("MODGAP_OFFLINE", raising=False)
    monkeypatch.setattr(cache, "probe", lambda *a, **k: pytest.fail("probed while offline"))
    t0 = time.perf_counter()
    with pytest.raises(cache.DataUnavailable) as err:
        cache.fetch("https://example.org/data/blob.bin", "0" * 64, "blob.bin", subdir="x")
    assert time.perf_counter() - t0 < 0.5
    msg = str(err.value)
    assert "offline mode is on" in msg and str(data_root / "x" / "blob.bin") in msg
    assert "https://example.org/data/blob.bin" in msg and "MODGAP_DATA_DIR" in msg


def test_fetch_unreachable_host_fails_within_the_probe(data_root, online):
    t0 = time.perf_counter()
    with pytest.raises(cache.DataUnavailable, match="could not connect"):
        cache.fetch(f"http://127.0.0.1:{_free_port()}/blob.bin", "0" * 64, "blob.bin")
    assert time.perf_counter() - t0 < 1.5


def test_fetch_404_is_data_unavailable(data_root, online, file_server):
    _, base = file_server
    with pytest.raises(cache.DataUnavailable, match="404"):
        cache.fetch(base + "nothing.bin", "0" * 64, "nothing.bin")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"sha256": "abc"}, "sha256 must be 64 hex"),
        ({"sha256": "g" * 64}, "sha256 must be 64 hex"),
        ({"sha256": None}, "sha256 must be 64 hex"),
        ({"fname": "../evil.bin"}, "fname must be a plain file name"),
        ({"fname": ""}, "fname must be a plain file name"),
    ],
)
def test_fetch_bad_arguments(data_root, kwargs, match):
    args = {"url": "https://example.org/a.bin", "sha256": "0" * 64, "fname": "a.bin", **kwargs}
    with pytest.raises(ValueError, match=match):
        cache.fetch(**args)


def test_mnist_download_through_fetch(data_root, online, file_server, monkeypatch):
    """download_mnist skips a dead mirror after one probe and checks every file's sha256 (pooch)."""
    root, base = file_server
    files = {}
    for name in mad_digits.MNIST_FILES:
        payload = gzip.compress(name.encode() * 50, mtime=0)
        files[name] = (_serve(root, name, payload), len(payload))
    monkeypatch.setattr(mad_digits, "MNIST_FILES", files)
    monkeypatch.setattr(mad_digits, "MNIST_MIRRORS", (f"http://127.0.0.1:{_free_port()}/", base))
    t0 = time.perf_counter()
    assert mad_digits.download_mnist() == data_root / "mnist"
    assert time.perf_counter() - t0 < 5
    assert mad_digits.mnist_available()
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(b"tampered on the server")
    with pytest.raises(cache.ChecksumError):
        mad_digits.download_mnist(force=True)


def test_mnist_download_no_mirror_answers(data_root, online, monkeypatch):
    monkeypatch.setattr(mad_digits, "MNIST_MIRRORS", (f"http://127.0.0.1:{_free_port()}/",) * 2)
    t0 = time.perf_counter()
    with pytest.raises(cache.DataUnavailable, match="could not download"):
        mad_digits.download_mnist()
    assert time.perf_counter() - t0 < 3


# ------------------------------------------------------------------ the cache folder and checksums
def test_data_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path / "x"))
    assert cache.data_dir() == tmp_path / "x" == mad_digits.cache_dir()
    monkeypatch.setenv("MODGAP_DATA_DIR", "  ")
    assert cache.data_dir() == Path.home() / ".cache" / "modgap_edu"


def test_ensure_dir_rejects_a_file_and_an_unwritable_folder(tmp_path, monkeypatch):
    f = tmp_path / "plain_file"
    f.write_text("x")
    monkeypatch.setenv("MODGAP_DATA_DIR", str(f))
    with pytest.raises(cache.CacheDirError, match="it is a file"):
        cache.ensure_dir()
    with pytest.raises(cache.CacheDirError, match="cannot create"):
        cache.ensure_dir(f / "sub")
    assert cache.ensure_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    ro = tmp_path / "ro"
    ro.mkdir()

    def no_write(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.tempfile, "TemporaryFile", no_write)
    with pytest.raises(cache.CacheDirError, match="cannot write into .*Permission denied"):
        cache.ensure_dir(ro)


def test_sha256_and_verification_memo_follow_the_file(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"abc")
    sha = hashlib.sha256(b"abc").hexdigest()
    assert cache.sha256_of(p) == sha and cache.is_verified(p, sha)
    p.write_bytes(b"abcd")
    assert not cache.is_verified(p, sha)
    with pytest.raises(cache.ChecksumError, match="delete it"):
        cache.verify(p, sha)
    assert not cache.is_verified(tmp_path / "missing.bin", sha)


@pytest.mark.parametrize("disable", ["1", None])
def test_progress_bar_follows_tqdm_disable(tmp_path, file_server, disable):
    """tqdm reads TQDM_DISABLE when it is imported, so each case runs in a fresh interpreter."""
    import os
    import subprocess
    import sys

    root, base = file_server
    sha = _serve(root, "big.bin", bytes(200_000))
    env = {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "MODGAP_OFFLINE", "HF_HUB_OFFLINE")}
    env.update(
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        MODGAP_DATA_DIR=str(tmp_path / "c"),
        **({"TQDM_DISABLE": disable} if disable else {}),
    )
    code = f"from modgap_edu.data import cache; cache.fetch({base + 'big.bin'!r}, {sha!r}, 'big.bin', progress=True)"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "c" / "big.bin").stat().st_size == 200_000
    assert ("100%|" in run.stderr) == (disable is None)  # the bar only when TQDM_DISABLE is not set
