"""Out-of-range factor values and non-integer indices are errors, not silent wraps (lesson 04, issue 14 §7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modgap_edu.mad import dataset, factors
from modgap_edu.mad import digits as mad_digits


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MODGAP_DATA_DIR", str(tmp_path / "cache"))
    dataset._MEMORY_CACHE.clear()
    yield
    dataset._MEMORY_CACHE.clear()


def _labels(n=3):
    rng = np.random.default_rng(0)
    return {f: rng.integers(0, len(v), size=n) for f, v in dataset.FACTORS.items()}


@pytest.mark.parametrize(
    "factor,value",
    [("thickthinning", -1), ("thickthinning", 3), ("colors", 7), ("colors", -1), ("digit", 10), ("scaling", 2)],
)
def test_attribute_matrix_rejects_out_of_range(factor, value):
    lab = _labels()
    lab[factor] = lab[factor].copy()
    lab[factor][1] = value
    with pytest.raises(ValueError, match=rf"labels\['{factor}'\] holds {value}"):
        dataset.attribute_matrix(lab)


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda lab: lab.update(colors=lab["colors"].astype(float)), "integer indices"),
        (lambda lab: lab.update(swelling=lab["swelling"][:2]), "has 2 values"),
        (lambda lab: lab.update(fracture=lab["fracture"].reshape(3, 1)), "1-D"),
        (lambda lab: lab.pop("scaling"), "missing the factor"),
        (lambda lab: lab.update(digit=np.array([True, False, True])), "integer indices"),
    ],
)
def test_attribute_matrix_rejects_bad_labels(change, match):
    lab = _labels()
    change(lab)
    with pytest.raises(ValueError, match=match):
        dataset.attribute_matrix(lab)


def test_attribute_matrix_accepts_lists_and_tensors():
    lab = _labels()
    expected = dataset.attribute_matrix(lab)
    assert np.array_equal(dataset.attribute_matrix({f: v.tolist() for f, v in lab.items()}), expected)
    assert np.array_equal(dataset.attribute_matrix({f: torch.from_numpy(v) for f, v in lab.items()}), expected)
    with pytest.raises(ValueError, match="labels must be a dict"):
        dataset.attribute_matrix([1, 2, 3])


@pytest.fixture(scope="module")
def digit():
    return mad_digits.sklearn_digits("test")[0][0]


@pytest.mark.parametrize(
    "args,match",
    [
        ((-1, 0, 0, 0), "thickthinning"),
        ((3, 0, 0, 0), "thickthinning"),
        ((1.0, 0, 0, 0), "thickthinning"),
        ((0, 2, 0, 0), "swelling"),
        ((0, 0, -1, 0), "fracture"),
        ((0, 0, 0, True), "scaling"),
    ],
)
def test_render_rejects_bad_factor_values(digit, args, match):
    with pytest.raises(ValueError, match=f"{match} must be an integer index"):
        factors.render(digit, *args, np.random.default_rng(0))


def test_render_rejects_bad_image_and_rng(digit):
    with pytest.raises(ValueError, match="rng"):
        factors.render(digit, 0, 0, 0, 0, 0)
    with pytest.raises(ValueError, match="2-D gray digit"):
        factors.render(digit[None], 0, 0, 0, 0, np.random.default_rng(0))
    bad = digit.copy()
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        factors.render(bad, 0, 0, 0, 0, np.random.default_rng(0))
    out = factors.render(digit, np.int64(1), np.int64(0), 0, 1, np.random.default_rng(0))
    assert out.shape == (28, 28)


@pytest.mark.parametrize(
    "colours,match", [([-1], "holds -1"), ([7], "holds 7"), ([1.0], "integer"), ([0, 1], "one colour index per image")]
)
def test_colorize_rejects_bad_colours(colours, match):
    gray = np.full((1, 4, 4), 0.5, dtype=np.float32)
    with pytest.raises(ValueError, match=match):
        factors.colorize(gray, np.array(colours))
    with pytest.raises(ValueError, match=match):
        factors.colorize(torch.from_numpy(gray), torch.tensor(colours))


def test_colorize_rejects_bad_gray():
    with pytest.raises(ValueError, match=r"\(B, H, W\)"):
        factors.colorize(np.zeros((4, 4)), np.array([0]))


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return dataset.MADDataset("test", k=1, n=6, seed=0, source="sklearn", cache=False, verbose=False)


@pytest.mark.parametrize("index", [1.7, 1.0, np.float64(2.0), torch.tensor(1.5), True, "1", None, [1]])
def test_dataset_index_must_be_an_integer(ds, index):
    with pytest.raises(TypeError, match="integers"):
        ds[index]


@pytest.mark.parametrize("index", [6, -7, np.int64(100)])
def test_dataset_index_out_of_range(ds, index):
    with pytest.raises(IndexError, match="out of range"):
        ds[index]


def test_dataset_integer_kinds_agree(ds):
    ref = ds[2]
    for index in (np.int64(2), np.int32(2), torch.tensor(2), -4):
        img, cap, lab = ds[index]
        assert torch.equal(img, ref[0]) and cap == ref[1] and lab == ref[2]


def test_dataset_images_index_checks(ds):
    assert ds.images([0, 5, -1]).shape == (3, 3, 28, 28)
    assert torch.equal(ds.images(torch.tensor([1]))[0], ds[1][0])
    with pytest.raises(TypeError, match="integer positions"):
        ds.images([0.5])
    with pytest.raises(TypeError, match="integer positions"):
        ds.images(np.array([True, False]))
    with pytest.raises(IndexError, match="outside"):
        ds.images([6])
