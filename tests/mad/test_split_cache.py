"""MAD's split caches (lesson 04): a disk file is used only when it verifies; memory hits are copies.

Every tampered file below must be re-rendered (the result equals a fresh render) and replaced by a file
that verifies, so the next load comes from disk again.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from modgap_edu.mad import dataset

ARGS = {"split": "test", "n": 12, "seed": 5, "source": "sklearn"}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path / "cache"))
    dataset._MEMORY_CACHE.clear()
    yield
    dataset._MEMORY_CACHE.clear()


@pytest.fixture(scope="module")
def fresh():
    return dataset.render_split(processes=1, verbose=False, **ARGS)


def _path():
    return dataset._cache_file(ARGS["split"], ARGS["n"], ARGS["seed"], ARGS["source"])


def _same(a, b):
    return all(np.array_equal(a[k], b[k]) for k in dataset._ARRAY_KEYS) and a["source"] == b["source"]


def _load(**kw):
    dataset._MEMORY_CACHE.clear()
    return dataset.load_split(processes=1, verbose=False, **ARGS, **kw)


def _rewrite(path, **changes):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    np.savez_compressed(path, **arrays)


def _must_not_render(monkeypatch):
    monkeypatch.setattr(dataset, "render_split", lambda *a, **k: pytest.fail("re-rendered a valid cache file"))


def test_a_valid_file_is_used_and_carries_its_checksum(fresh, monkeypatch):
    first = _load()
    assert _same(first, fresh) and _path().is_file()
    with np.load(_path(), allow_pickle=False) as z:
        inputs = json.loads(str(z["inputs"]))
        assert len(str(z["checksum"])) == 64
    assert inputs["n"] == ARGS["n"] and inputs["generator_version"] == dataset.GENERATOR_VERSION
    assert len(inputs["base_digits"]) == 64  # sha256 of scikit-learn's digits file
    _must_not_render(monkeypatch)
    again = _load()
    assert _same(again, fresh) and again["seconds"] == 0.0


def _tamper_truncate(path):
    path.write_bytes(path.read_bytes()[:200])


def _tamper_garbage(path):
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")


def _tamper_empty(path):
    path.write_bytes(b"")


def _tamper_invert(path):
    with np.load(path, allow_pickle=False) as z:
        _rewrite(path, gray=255 - z["gray"])


def _tamper_invert_and_rehash(path):
    """A forger who also recomputes the checksum: the ink check still refuses inverted digits."""
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in dataset._ARRAY_KEYS}
        inputs = str(z["inputs"])
    data["gray"] = 255 - data["gray"]
    _rewrite(path, gray=data["gray"], checksum=np.array(dataset._checksum(inputs, data)))


def _tamper_short(path):
    """Fewer images than asked, consistently sliced and re-hashed."""
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k][:-3] for k in dataset._ARRAY_KEYS}
        inputs = str(z["inputs"])
    _rewrite(path, **data, checksum=np.array(dataset._checksum(inputs, data)))


def _tamper_one_label(path):
    with np.load(path, allow_pickle=False) as z:
        colours = z["colors"].copy()
    colours[0] = (colours[0] + 1) % 7
    _rewrite(path, colors=colours)


def _tamper_out_of_range_label(path):
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in dataset._ARRAY_KEYS}
        inputs = str(z["inputs"])
    data["thickthinning"] = data["thickthinning"].copy()
    data["thickthinning"][0] = -1
    _rewrite(path, thickthinning=data["thickthinning"], checksum=np.array(dataset._checksum(inputs, data)))


def _tamper_old_format(path):
    """A file from before the checksum (GENERATOR_VERSION 2 layout): no inputs, no checksum."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in (*dataset._ARRAY_KEYS, "source")}
    np.savez_compressed(path, **arrays)


def _tamper_other_inputs(path):
    with np.load(path, allow_pickle=False) as z:
        inputs = json.loads(str(z["inputs"]))
    inputs["base_digits"] = "0" * 64  # made from other base digits
    _rewrite(path, inputs=np.array(json.dumps(inputs, sort_keys=True)))


def _tamper_pickle(path):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["gray"] = np.array([object()], dtype=object)
    np.savez(path, **arrays)


TAMPERS = [
    _tamper_truncate,
    _tamper_garbage,
    _tamper_empty,
    _tamper_invert,
    _tamper_invert_and_rehash,
    _tamper_short,
    _tamper_one_label,
    _tamper_out_of_range_label,
    _tamper_old_format,
    _tamper_other_inputs,
    _tamper_pickle,
]


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda f: f.__name__.removeprefix("_tamper_"))
def test_untrusted_file_is_rendered_again(fresh, tamper, monkeypatch, capsys):
    _load()
    tamper(_path())
    dataset._MEMORY_CACHE.clear()
    data = dataset.load_split(processes=1, verbose=True, **ARGS)
    assert _same(data, fresh) and data["seconds"] > 0  # rendered, not read
    assert "not trusted" in capsys.readouterr().out
    _must_not_render(monkeypatch)
    assert _same(_load(), fresh)  # the file was replaced by one that verifies


def test_memory_cache_hands_out_copies(fresh):
    a = dataset.load_split(processes=1, verbose=False, **ARGS)
    a["gray"][:] = 255
    a["colors"][:] = 6
    a["source"] = "edited"
    b = dataset.load_split(processes=1, verbose=False, **ARGS)  # memory hit
    assert _same(b, fresh)
    b["digit"][:] = 0
    c = _load()  # disk hit
    c["gray"][:] = 0
    assert _same(dataset.load_split(processes=1, verbose=False, **ARGS), fresh)


def test_unwritable_cache_folder_still_renders(tmp_path, monkeypatch, fresh, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    monkeypatch.setenv("MODGAP_DATA_DIR", str(blocker))
    data = dataset.load_split(processes=1, verbose=True, **ARGS)
    assert _same(data, fresh) and "could not cache" in capsys.readouterr().out


def test_cache_false_neither_reads_nor_writes(fresh):
    data = dataset.load_split(processes=1, verbose=False, cache=False, **ARGS)
    assert _same(data, fresh) and not _path().exists() and dataset._MEMORY_CACHE == {}


def test_numpy_integer_seed_is_the_same_split(fresh):
    data = dataset.load_split(processes=1, verbose=False, **{**ARGS, "seed": np.int64(ARGS["seed"])})
    assert _same(data, fresh)
    for bad in (-1, 1.5, True, "5"):
        with pytest.raises(ValueError, match="seed must be"):
            dataset.load_split(processes=1, verbose=False, **{**ARGS, "seed": bad})
