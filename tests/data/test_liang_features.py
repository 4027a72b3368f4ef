"""modgap_edu.data.liang_features: the real-feature path (checksums, cache, offline behaviour, fallback).

The fixture ``liang_data_dir`` seeds a temporary ``MODGAP_DATA_DIR`` from ``<repo>/../shared/data``
(skips when that folder is absent), so the real path, checksum included, runs offline.
Downloads are tested against a local HTTP server that serves the same files.
"""

from __future__ import annotations

import functools
import http.server
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from modgap_edu.core import metrics
from modgap_edu.data import cache, liang_features
from modgap_edu.models import fallback_features

# same location rule as tests/conftest.py (``shared_data_dir``)
SHARED = Path(os.environ.get("MODGAP_SHARED_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
SHAPES = {
    "clip": (500, 512),
    "clip_random": (500, 512),
    "convirt": (500, 512),
    "videoclip": (100, 768),
    "clasp": (99, 768),
}  # documented in shared/data/SOURCE.md


def _shared_available() -> bool:
    return all((SHARED / liang_features.FILES[n][0]).is_file() for n in liang_features.NAMES)


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("MODGAP_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("MODGAP_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


@pytest.fixture
def empty_data_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("MODGAP_DATA_DIR", str(d))
    return d


@pytest.fixture
def liang_data_dir(tmp_path, monkeypatch):
    """A temporary MODGAP_DATA_DIR seeded (checksum-verified) from ../shared/data; skip if absent."""
    if not _shared_available():
        pytest.skip(f"real feature files not found in {SHARED}")
    d = tmp_path / "liang"
    liang_features.seed_cache(SHARED, d)
    monkeypatch.setenv("MODGAP_DATA_DIR", str(d))
    return d


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


# ------------------------------------------------------------------ paths
def test_cache_path_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path / "x"))
    assert liang_features.cache_path("clip") == tmp_path / "x" / "features_clip.npy"
    monkeypatch.delenv("MODGAP_DATA_DIR")
    assert liang_features.cache_path("convirt") == Path.home() / ".cache" / "modgap_edu" / "features_convirt.npy"


def test_url_is_commit_pinned():
    u = liang_features.url("videoclip")
    assert liang_features.COMMIT in u and u.endswith("/Figure_1_Modality_Gap/features_videoclip.npy")
    assert len(liang_features.COMMIT) == 40


@pytest.mark.parametrize("bad", ["CLIP", "features_clip", "clasp_random", ""])
def test_unknown_name(bad):
    with pytest.raises(ValueError, match="choose one of"):
        liang_features.cache_path(bad)
    with pytest.raises(ValueError, match="choose one of"):
        liang_features.load_liang_features(bad)


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_offline_flags(monkeypatch, value, expected):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("MODGAP_OFFLINE", value)
    assert liang_features.offline_requested() is expected
    monkeypatch.delenv("MODGAP_OFFLINE")
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert liang_features.offline_requested() is expected


# ------------------------------------------------------------------ the real files, offline
def test_real_clip_features_offline(liang_data_dir, offline):
    img, txt = liang_features.load_liang_features("clip")
    assert img.shape == txt.shape == (500, 512)
    assert img.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(img, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(txt, axis=1), 1.0, atol=1e-12)
    # independent recomputation straight from the shared file
    raw = np.load(SHARED / "features_clip.npy").astype(np.float64)
    xi = raw[0] / np.linalg.norm(raw[0], axis=1, keepdims=True)
    yi = raw[1] / np.linalg.norm(raw[1], axis=1, keepdims=True)
    assert metrics.l2m(img, txt) == pytest.approx(np.linalg.norm(xi.mean(0) - yi.mean(0)), rel=1e-12)
    # row i of both halves is a pair: matched cosines beat the average cosine by a wide margin
    matched = np.einsum("ij,ij->i", img, txt).mean()
    assert matched > (img @ txt.T).mean() + 0.05


@pytest.mark.parametrize("name", list(SHAPES))
def test_every_file_loads_with_documented_shape(liang_data_dir, offline, name):
    img, txt = liang_features.load_liang_features(name, normalize=False)
    assert img.shape == txt.shape == SHAPES[name]
    assert np.isfinite(img).all() and np.isfinite(txt).all()


def test_seed_cache_verifies_source(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "features_clasp.npy").write_bytes(b"not the real file")
    with pytest.raises(liang_features.ChecksumError, match="sha256"):
        liang_features.seed_cache(src, tmp_path / "dest")
    assert not (tmp_path / "dest" / "features_clasp.npy").exists()
    assert liang_features.seed_cache(src, tmp_path / "dest", names=("clip",)) == []  # absent files are skipped
    with pytest.raises(FileNotFoundError, match="no such folder"):
        liang_features.seed_cache(tmp_path / "nothing_here", tmp_path / "dest")


# ------------------------------------------------------------------ corrupted cache
def test_corrupted_cache_offline_is_a_clear_error(empty_data_dir, offline):
    path = liang_features.cache_path("clip")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x93NUMPY garbage")
    t0 = time.perf_counter()
    with pytest.raises(liang_features.ChecksumError) as err:
        liang_features.load_liang_features("clip")
    assert time.perf_counter() - t0 < 1.0
    msg = str(err.value)
    assert "sha256" in msg and "delete it" in msg and "offline" in msg
    assert path.read_bytes() == b"\x93NUMPY garbage"  # left in place for inspection


def test_truncated_real_file_is_detected(liang_data_dir, offline):
    path = liang_features.cache_path("videoclip")
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(liang_features.ChecksumError):
        liang_features.load_liang_features("videoclip")


# ------------------------------------------------------------------ downloads (local HTTP server)
def test_download_verifies_and_caches(empty_data_dir, online, file_server, monkeypatch):
    if not _shared_available():
        pytest.skip("real feature files not found")
    root, base = file_server
    (root / "features_clasp.npy").write_bytes((SHARED / "features_clasp.npy").read_bytes())
    monkeypatch.setattr(liang_features, "BASE_URL", base)
    img, txt = liang_features.load_liang_features("clasp")
    assert img.shape == (99, 768)
    assert liang_features.cache_path("clasp").is_file()
    assert liang_features.sha256_of(liang_features.cache_path("clasp")) == liang_features.FILES["clasp"][1]


def test_corrupted_cache_is_redownloaded_when_online(empty_data_dir, online, file_server, monkeypatch):
    if not _shared_available():
        pytest.skip("real feature files not found")
    root, base = file_server
    (root / "features_videoclip.npy").write_bytes((SHARED / "features_videoclip.npy").read_bytes())
    monkeypatch.setattr(liang_features, "BASE_URL", base)
    path = liang_features.cache_path("videoclip")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"corrupt")
    img, _ = liang_features.load_liang_features("videoclip")
    assert img.shape == (100, 768)
    assert liang_features.sha256_of(path) == liang_features.FILES["videoclip"][1]


def test_wrong_download_leaves_no_cache_file(empty_data_dir, online, file_server, monkeypatch):
    root, base = file_server
    (root / "features_clip.npy").write_bytes(b"a tampered file")
    monkeypatch.setattr(liang_features, "BASE_URL", base)
    with pytest.raises(liang_features.ChecksumError):
        liang_features.load_liang_features("clip")
    assert not liang_features.cache_path("clip").exists()
    assert list(empty_data_dir.glob("*")) == []  # no partial or temporary file left behind


def test_http_error_is_data_unavailable(empty_data_dir, online, file_server, monkeypatch):
    _, base = file_server  # serves an empty folder: 404
    monkeypatch.setattr(liang_features, "BASE_URL", base)
    with pytest.raises(liang_features.DataUnavailable, match="404"):
        liang_features.load_liang_features("clip")


# ------------------------------------------------------------------ no network, no cache: fail fast
def test_offline_flag_no_cache_fails_fast(empty_data_dir, offline):
    t0 = time.perf_counter()
    with pytest.raises(liang_features.DataUnavailable) as err:
        liang_features.load_liang_features("clip")
    assert time.perf_counter() - t0 < 1.0
    msg = str(err.value)
    assert "offline mode" in msg and "MODGAP_DATA_DIR" in msg and "features_clip.npy" in msg


def test_hanging_dns_fails_within_a_second(empty_data_dir, online, monkeypatch):
    def slow_lookup(*args, **kwargs):
        time.sleep(5)
        raise socket.gaierror("too slow")

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    t0 = time.perf_counter()
    with pytest.raises(liang_features.DataUnavailable, match="could not resolve"):
        liang_features.load_liang_features("clip")
    assert time.perf_counter() - t0 < 1.0


def test_unreachable_host_fails_fast(empty_data_dir, online, monkeypatch):
    monkeypatch.setattr(liang_features, "BASE_URL", "https://modgap-edu.invalid/")
    t0 = time.perf_counter()
    with pytest.raises(liang_features.DataUnavailable, match="cannot be downloaded now"):
        liang_features.load_liang_features("clip")
    assert time.perf_counter() - t0 < 1.0


def test_refused_connection_fails_fast(empty_data_dir, online, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(liang_features, "BASE_URL", f"http://127.0.0.1:{port}/")
    t0 = time.perf_counter()
    with pytest.raises(liang_features.DataUnavailable, match="could not connect"):
        liang_features.load_liang_features("clip")
    assert time.perf_counter() - t0 < 1.0


def test_dropped_packets_on_every_address_fail_within_one_deadline(empty_data_dir, online, monkeypatch):
    """Four resolved addresses whose packets vanish: DNS and all connects share one deadline."""
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
    with pytest.raises(liang_features.DataUnavailable, match="could not connect"):
        liang_features.load_liang_features("clip")
    assert time.perf_counter() - t0 < liang_features.CONNECT_TIMEOUT + 0.3


def test_probe_goes_to_the_proxy_when_one_is_set(online, monkeypatch):
    seen = []
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("no_proxy", "")
    monkeypatch.setattr(cache, "_resolve", lambda host, port, timeout: seen.append((host, port)) or [])
    with pytest.raises(liang_features.DataUnavailable):
        cache.probe("https://raw.githubusercontent.com/x", 0.5)
    assert seen == [("proxy.example", 3128)]


# ------------------------------------------------------------------ what lessons call
def test_real_or_fallback_uses_real_when_cached(liang_data_dir, offline):
    fs = fallback_features.real_or_fallback_features("clip")
    assert fs.is_real and fs.source.startswith("REAL") and fs.reason == ""
    assert fs.image.shape == (500, 512)


def test_real_or_fallback_falls_back_and_says_so(empty_data_dir, offline):
    fs = fallback_features.real_or_fallback_features("clip", n_fallback=4)
    assert not fs.is_real
    assert fs.source.startswith("FALLBACK") and "not a trained CLIP" in fs.source
    assert "offline mode" in fs.reason
    assert fs.image.shape == fs.text.shape and fs.image.shape[0] == 4 == len(fs.captions)
    np.testing.assert_allclose(np.linalg.norm(fs.image, axis=1), 1.0, atol=1e-5)


def test_cli_seed_and_list(tmp_path, monkeypatch, capsys):
    if not _shared_available():
        pytest.skip("real feature files not found")
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path / "c"))
    assert liang_features.main(["--seed-from", str(SHARED)]) == 0
    assert liang_features.main([]) == 0
    out = capsys.readouterr().out
    assert out.count("seeded") == 5 and "missing" not in out
    assert [line.split()[1] for line in out.splitlines()[-5:]] == ["cached"] * 5
    assert "5 of 5 feature files verified and cached" in out


def test_fallback_size_is_capped_and_stated(empty_data_dir, offline):
    fs = fallback_features.real_or_fallback_features("clip", n_fallback=32)  # more than the 25 bundled pairs
    assert fs.image.shape[0] == 25 and "25 bundled image-caption pairs" in fs.source
    with pytest.raises(ValueError, match="n must"):
        fallback_features.fallback_features(n=1)


def test_fallback_is_built_once_and_returns_copies(empty_data_dir, offline, monkeypatch):
    from modgap_edu.models import openclip

    a = fallback_features.fallback_features(n=3)
    calls = []
    monkeypatch.setattr(openclip, "build", lambda *a, **k: calls.append(1))
    b = fallback_features.fallback_features(n=3)
    assert calls == []  # served from the session cache
    np.testing.assert_array_equal(a.image, b.image)
    b.image[:] = 0
    assert np.abs(fallback_features.fallback_features(n=3).image).sum() > 0  # callers cannot corrupt the cache
