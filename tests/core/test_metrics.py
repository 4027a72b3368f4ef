"""modgap_edu.core.metrics against hand-computed cases, literal O(N^2) definitions and properties."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import special_ortho_group

from modgap_edu.core import metrics as M


def unit(a):
    a = np.asarray(a, dtype=float)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# --- independent literal implementations (written from papers.md, loops / full matrices) ---


def literal_rmg(x, y, t2i=None):
    x, y = unit(x), unit(y)
    t2i = np.arange(len(y)) if t2i is None else np.asarray(t2i)
    d = lambda a, b: (1 - float(a @ b)) / 2  # noqa: E731
    m = np.mean([d(x[t2i[j]], y[j]) for j in range(len(y))])
    m = m if m > 0 else 1e-3

    def intra(a):
        vals = [d(a[i], a[j]) for i in range(len(a)) for j in range(len(a)) if i != j]
        return np.mean(vals)

    return m / (m + 0.5 * (intra(x) + intra(y)))


def literal_l2i(x, y, t2i=None):
    x, y = unit(x), unit(y)
    t2i = np.arange(len(y)) if t2i is None else np.asarray(t2i)
    return np.mean([np.linalg.norm(x[t2i[j]] - y[j]) for j in range(len(y))])


def literal_moad(emb, obj, att, official):
    f = unit(emb)
    s = f @ f.T

    def terms(lab):
        lab = list(lab)
        classes = sorted(set(lab))
        members = {c: [i for i in range(len(lab)) if lab[i] == c] for c in classes}
        intra = [s[i, j] for c in classes for a, i in enumerate(members[c]) for j in members[c][a + 1 :]]
        if official:
            inter = []
            for a, b in itertools.permutations(classes, 2):
                ma, mb = members[a], members[b]
                inter += [s[ma[i], mb[j]] for i in range(len(ma)) for j in range(len(mb)) if j > i]
        else:
            inter = [s[i, j] for i in range(len(lab)) for j in range(i + 1, len(lab)) if lab[i] != lab[j]]
        return np.mean(intra), np.mean(inter)

    io, eo = terms(obj)
    ia, ea = terms(att)
    return (io - eo) - (ia - ea)


# --- hand-computed cases ---


def test_gap_vector_and_l2m_by_hand():
    x = np.array([[2.0, 0.0], [0.0, 3.0]])  # normalized: (1,0), (0,1) -> mean (.5,.5)
    y = np.array([[-1.0, 0.0], [0.0, -5.0]])  # normalized: (-1,0), (0,-1) -> mean (-.5,-.5)
    np.testing.assert_allclose(M.gap_vector(x, y), [1.0, 1.0])
    assert M.l2m(x, y) == pytest.approx(math.sqrt(2))


def test_rmg_by_hand_orthogonal_pairs():
    # images e1,e2 ; texts e3,e4 : matched cos 0 -> M = 1/2 ; intra cos 0 -> D = 1/2 ; RMG = 1/2 / (1/2 + 1/2)
    x = np.eye(4)[:2]
    y = np.eye(4)[2:]
    assert M.rmg(x, y) == pytest.approx(0.5)
    terms = M.rmg_terms(x, y)
    assert terms["matched"] == pytest.approx(0.5)
    assert terms["intra_image"] == pytest.approx(0.5) and terms["intra_text"] == pytest.approx(0.5)


def test_rmg_identical_modalities_hits_official_guard():
    x = np.eye(3)
    # matched pairs coincide: M = 0 -> official guard 1e-3; D = 1/2 each
    assert M.rmg(x, x.copy()) == pytest.approx(1e-3 / (1e-3 + 0.5))


def test_rmg_collapsed_modalities_is_one():
    x = np.tile([1.0, 0.0, 0.0], (5, 1))
    y = np.tile([0.0, 1.0, 0.0], (5, 1))
    assert M.rmg(x, y) == pytest.approx(1.0)


def test_l2i_by_hand():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[0.0, 1.0], [0.0, 2.0]])  # dists sqrt(2), 0
    assert M.l2i(x, y) == pytest.approx(math.sqrt(2) / 2)


def test_text_to_image_mapping_repeats_images():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6))
    y = rng.normal(size=(10, 6))
    t2i = np.array([0, 0, 1, 1, 1, 2, 2, 3, 3, 3])
    assert M.rmg(x, y, t2i) == pytest.approx(literal_rmg(x, y, t2i), abs=1e-12)
    assert M.l2i(x, y, t2i) == pytest.approx(literal_l2i(x, y, t2i), abs=1e-12)
    # L2M uses all images vs all texts, no mapping
    assert M.l2m(x, y) == pytest.approx(np.linalg.norm(unit(x).mean(0) - unit(y).mean(0)))


def test_moad_by_hand_object_bias():
    # objects separate along axis 0, attributes do not separate at all
    emb = np.array([[1.0, 0.1], [1.0, -0.1], [-1.0, 0.1], [-1.0, -0.1]])
    obj = [0, 0, 1, 1]
    att = [0, 1, 0, 1]
    value = M.moad(emb, obj, att)
    assert value > 0
    assert value == pytest.approx(literal_moad(emb, obj, att, official=False))


@pytest.mark.parametrize("official", [False, True])
def test_moad_matches_literal_definition(official):
    rng = np.random.default_rng(3)
    emb = rng.normal(size=(37, 5))
    obj = rng.integers(0, 4, size=37)
    att = rng.choice(np.array(["red", "blue", "green"]), size=37)
    assert M.moad(emb, obj, att, exact_official=official) == pytest.approx(
        literal_moad(emb, obj, att, official), abs=1e-12
    )


def test_moad_official_subset_depends_on_order_clean_does_not():
    rng = np.random.default_rng(4)
    emb = rng.normal(size=(30, 4))
    obj = rng.integers(0, 3, size=30)
    att = rng.integers(0, 2, size=30)
    perm = rng.permutation(30)
    assert M.moad(emb[perm], obj[perm], att[perm]) == pytest.approx(M.moad(emb, obj, att), abs=1e-12)
    assert M.moad(emb[perm], obj[perm], att[perm], exact_official=True) != pytest.approx(
        M.moad(emb, obj, att, exact_official=True), abs=1e-9
    )


def test_metrics_return_python_floats_and_accept_torch():
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    y = torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
    for fn in (M.l2m, M.l2i, M.rmg):
        assert type(fn(x, y)) is float
        assert fn(x, y) == pytest.approx(fn(x.numpy(), y.numpy()))
    assert isinstance(M.gap_vector(x, y), np.ndarray)
    assert type(M.moad(x, [0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1])) is float


def test_chunked_path_equals_single_block(monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(50, 8)).astype(np.float32)
    y = rng.normal(size=(50, 8)).astype(np.float32)
    ref = (M.rmg(x, y), M.l2m(x, y), M.l2i(x, y), M.moad(x, np.arange(50) % 3, np.arange(50) % 2))
    monkeypatch.setattr(M, "CHUNK", 7)
    got = (M.rmg(x, y), M.l2m(x, y), M.l2i(x, y), M.moad(x, np.arange(50) % 3, np.arange(50) % 2))
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


# --- properties ---

matrices = st.integers(min_value=2, max_value=12).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=2, max_value=6), st.integers(0, 2**31 - 1))
)


@settings(max_examples=40, deadline=None)
@given(matrices)
def test_rmg_agrees_with_literal_and_lies_in_unit_interval(params):
    n, d, seed = params
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    value = M.rmg(x, y)
    assert 0 < value <= 1
    assert value == pytest.approx(literal_rmg(x, y), abs=1e-9)
    assert M.rmg_pairwise(x, y) == pytest.approx(value, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(matrices)
def test_rotation_and_scale_invariance(params):
    n, d, seed = params
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    q = special_ortho_group.rvs(d, random_state=seed) if d > 1 else np.eye(1)
    scale = rng.uniform(0.1, 10, size=(n, 1))
    for fn in (M.l2m, M.l2i, M.rmg):
        assert fn(x @ q, y @ q) == pytest.approx(fn(x, y), abs=1e-9)
        assert fn(x * scale, y) == pytest.approx(fn(x, y), abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(matrices)
def test_permutation_invariance_of_pairs(params):
    n, d, seed = params
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    p = rng.permutation(n)
    for fn in (M.l2m, M.l2i, M.rmg):
        assert fn(x[p], y[p]) == pytest.approx(fn(x, y), abs=1e-9)


# --- the real CLIP-family features of Liang et al. (../shared/data) ---


@pytest.mark.parametrize("name", ["clip", "clip_random", "convirt", "videoclip", "clasp"])
def test_real_features_agree_with_literal_pairwise(shared_data_dir, name):
    arr = np.load(shared_data_dir / f"features_{name}.npy")
    x, y = arr[0].astype(np.float64), arr[1].astype(np.float64)
    xn, yn = unit(x), unit(y)
    # independent O(N^2) evaluation with full matrices
    cos_x, cos_y = xn @ xn.T, yn @ yn.T
    n = len(x)
    dx = ((1 - cos_x).sum() - np.trace(1 - cos_x)) / 2 / (n * n - n)
    dy = ((1 - cos_y).sum() - np.trace(1 - cos_y)) / 2 / (n * n - n)
    m = np.mean((1 - np.einsum("ij,ij->i", xn, yn)) / 2)
    assert M.rmg(x, y) == pytest.approx(m / (m + (dx + dy) / 2), abs=1e-6)
    assert M.l2m(x, y) == pytest.approx(np.linalg.norm(xn.mean(0) - yn.mean(0)), abs=1e-6)
    assert M.l2i(x, y) == pytest.approx(np.mean(np.linalg.norm(xn - yn, axis=1)), abs=1e-6)
    # float32 input (as stored) gives the same numbers
    assert M.rmg(arr[0], arr[1]) == pytest.approx(M.rmg(x, y), abs=1e-6)


def test_real_clip_values_match_research_note(shared_data_dir):
    """papers.md Sec. 1.1 computed these with a separate implementation of the official formulas."""
    arr = np.load(shared_data_dir / "features_clip.npy")
    assert M.l2m(arr[0], arr[1]) == pytest.approx(0.8514, abs=5e-5)
    assert M.l2i(arr[0], arr[1]) == pytest.approx(1.1745, abs=5e-5)
    assert M.rmg(arr[0], arr[1]) == pytest.approx(0.5915, abs=5e-5)


# --- bad input ---

GOOD = np.ones((3, 2)) + np.arange(6).reshape(3, 2)


@pytest.mark.parametrize("fn", [M.l2m, M.l2i, M.rmg, M.gap_vector])
@pytest.mark.parametrize(
    "bad, match",
    [
        (np.ones(3), "2-D"),
        (np.ones((2, 2, 2)), "2-D"),
        (np.array([[1.0, np.nan], [1.0, 1.0], [2.0, 1.0]]), "NaN or inf"),
        (np.array([[1.0, np.inf], [1.0, 1.0], [2.0, 1.0]]), "NaN or inf"),
        (np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 1.0]]), "all-zero row"),
        (np.ones((3, 5)), "same embedding dimension"),
        (np.zeros((0, 2)), "at least"),
        (None, "None"),
        (np.array([["a", "b"]]), "numbers"),
    ],
)
def test_bad_input_raises_clear_error(fn, bad, match):
    with pytest.raises(ValueError, match=match):
        fn(GOOD, bad)
    with pytest.raises(ValueError, match=match):
        fn(bad, GOOD)


def test_rmg_needs_two_rows_and_matching_pairs():
    with pytest.raises(ValueError, match="at least 2"):
        M.rmg(np.ones((1, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="text_to_image"):
        M.rmg(GOOD, np.ones((4, 2)))
    with pytest.raises(ValueError, match="outside the image rows"):
        M.rmg(GOOD, GOOD, text_to_image=[0, 1, 3])
    with pytest.raises(ValueError, match="outside the image rows"):
        M.l2i(GOOD, GOOD, text_to_image=[0, -1, 2])
    with pytest.raises(ValueError, match="one entry per text"):
        M.rmg(GOOD, GOOD, text_to_image=[0, 1])
    with pytest.raises(ValueError, match="integer"):
        M.rmg(GOOD, GOOD, text_to_image=[0.5, 1, 2])


def test_moad_bad_labels():
    emb = np.random.default_rng(0).normal(size=(6, 3))
    with pytest.raises(ValueError, match="6 rows"):
        M.moad(emb, [0, 1, 0], [0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="single class"):
        M.moad(emb, [0] * 6, [0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="single sample"):
        M.moad(emb, list(range(6)), [0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="1-D"):
        M.moad(emb, np.zeros((6, 2)), [0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="at least 2"):
        M.moad(emb[:1], [0], [0])


@pytest.mark.parametrize("scale", [1e170, 1e-170])
def test_extreme_but_finite_magnitudes_give_the_same_metrics(scale):
    """Squaring 1e170 overflows and 1e-170 underflows in float64: normalization must not."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 8)), rng.normal(size=(40, 8))
    for fn in (M.l2m, M.l2i, M.rmg):
        ref = fn(x, y)
        got = fn(x * scale, y * scale)
        assert math.isfinite(got) and got == pytest.approx(ref, rel=1e-12), fn.__name__
    obj, att = np.arange(40) % 4, np.arange(40) % 5
    assert M.moad(x * scale, obj, att) == pytest.approx(M.moad(x, obj, att), rel=1e-10, abs=1e-12)


def test_rmg_of_collapsed_modalities_never_exceeds_one():
    x = np.tile([[1.0, 0.0, 0.0]], (50, 1)) * np.linspace(1, 3, 50)[:, None]
    y = np.tile([[0.0, 1.0, 0.0]], (50, 1)) * np.linspace(2, 9, 50)[:, None]
    terms = M.rmg_terms(x, y)
    assert terms["intra_image"] >= 0 and terms["intra_text"] >= 0
    assert 0 < terms["rmg"] <= 1.0


def test_one_prompt_per_class_swaps_roles_as_documented():
    """ImageNet-style data: D_Y over the unique prompts = the prompts passed first with a label map."""
    rng = np.random.default_rng(4)
    prompts, images = rng.normal(size=(5, 6)), rng.normal(size=(60, 6))
    labels = rng.integers(0, 5, size=60)
    assert M.rmg(prompts, images, text_to_image=labels) == pytest.approx(
        literal_rmg(prompts, images, labels), abs=1e-12
    )
    assert M.rmg(prompts, images, text_to_image=labels) != pytest.approx(M.rmg(images, prompts[labels]), abs=1e-6)
