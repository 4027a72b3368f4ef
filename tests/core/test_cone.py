"""modgap_edu.core.cone: Fig. 2b protocol, pairwise cosines, sigmoid toy, Theorem 1, variance decomposition.

Expected values come from analytic formulas (the arc-cosine kernel, E[sigma(z)]^2 / E[sigma(z)^2],
algebraic identities) or from brute-force re-implementations, never from a stored run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from modgap_edu.core import cone


def _gauss_moment(f):
    """E[f(z)] for z ~ N(0, 1), by quadrature."""
    val, _ = integrate.quad(lambda z: f(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -12, 12)
    return val


def _brute_mean_cos(h, include_diagonal):
    u = h / (np.linalg.norm(h, axis=1, keepdims=True) + 1e-16)
    c = u @ u.T
    return c.mean() if include_diagonal else c[~np.eye(len(c), dtype=bool)].mean()


# ------------------------------------------------------------------ layerwise_cosine
@pytest.mark.parametrize("act", cone.ACTIVATIONS)
def test_shape_and_layer0(act):
    r = cone.layerwise_cosine(act, n_layers=3, n=256, dim=64)
    assert r.shape == (4,) and r.dtype == np.float64
    assert abs(r[0]) < 0.02  # independent Gaussian inputs are nearly orthogonal


def test_diagonal_identity():
    # full-matrix mean = ((n-1) * off-diagonal mean + 1) / n, because every diagonal entry is 1
    n = 300
    off = cone.layerwise_cosine("relu", n_layers=6, n=n, dim=32, seed=3)
    full = cone.layerwise_cosine("relu", n_layers=6, n=n, dim=32, seed=3, include_diagonal=True)
    np.testing.assert_allclose(full, ((n - 1) * off + 1) / n, atol=1e-12)
    assert full[0] == pytest.approx(1 / n, abs=0.01)  # the official notebook's ~1/1024 at layer 0


def test_fast_mean_equals_brute_force():
    rng = np.random.default_rng(0)
    h = rng.standard_normal((50, 7))
    h[3] = 0.0  # a zero row stays zero under the official x / (||x|| + 1e-16)
    for diag in (False, True):
        assert cone._mean_cosine_of_rows(h, diag) == pytest.approx(_brute_mean_cos(h, diag), abs=1e-12)


def test_relu_first_layer_matches_arccos_kernel():
    # orthogonal inputs through ReLU: E[relu]^2 / E[relu^2] = (1/(2 pi)) / (1/2) = 1/pi (bias var 1/512 is tiny)
    r = cone.layerwise_cosine("relu", n_layers=1)
    assert r[1] == pytest.approx(1 / math.pi, abs=0.01)


def test_sigmoid_first_layer_matches_gaussian_moments():
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    expected = _gauss_moment(sig) ** 2 / _gauss_moment(lambda z: sig(z) ** 2)
    r = cone.layerwise_cosine("sigmoid", n_layers=1)
    assert r[1] == pytest.approx(expected, abs=0.01)


def test_linear_and_tanh_stay_near_zero_after_one_layer():
    assert abs(cone.layerwise_cosine("linear", n_layers=1)[1]) < 0.02
    assert abs(cone.layerwise_cosine("tanh", n_layers=1)[1]) < 0.02  # odd function of symmetric input


def test_relu_cone_grows_with_depth():
    r = cone.layerwise_cosine("relu", n_layers=12, n=512, dim=256)
    assert np.all(np.diff(r[:8]) > 0)
    assert r[12] > 0.9


def test_determinism_and_seed():
    a = cone.layerwise_cosine("tanh", n_layers=4, n=128, dim=32, seed=1)
    b = cone.layerwise_cosine("tanh", n_layers=4, n=128, dim=32, seed=1)
    c = cone.layerwise_cosine("tanh", n_layers=4, n=128, dim=32, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"activation": "gelu"}, "activation"),
        ({"activation": "relu", "n": 1}, "n must"),
        ({"activation": "relu", "n_layers": -1}, "n_layers"),
        ({"activation": "relu", "dim": 0}, "dim"),
        ({"activation": "relu", "seed": -3}, "seed"),
        ({"activation": "relu", "n_layers": 2.5}, "n_layers"),
        ({"activation": "relu", "include_diagonal": "yes"}, "include_diagonal"),
    ],
)
def test_layerwise_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cone.layerwise_cosine(**kwargs)


# ------------------------------------------------------------------ pairwise cosines
def test_pairwise_cosines_hand_case():
    x = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    c = cone.pairwise_cosines(x)
    assert c.shape == (6,)
    s = 1 / math.sqrt(2)
    np.testing.assert_allclose(np.sort(c), np.sort([0, 0, s, s, s, s]), atol=1e-12)
    assert cone.mean_pairwise_cosine(x) == pytest.approx(4 * s / 6)
    assert cone.mean_pairwise_cosine(x, include_diagonal=True) == pytest.approx((4 * s + 3) / 9)


def test_pairwise_mean_matches_fast_mean():
    x = np.random.default_rng(1).standard_normal((40, 5)) + 1.0
    assert cone.pairwise_cosines(x).mean() == pytest.approx(cone.mean_pairwise_cosine(x), abs=1e-12)


def test_pairwise_bad_input():
    with pytest.raises(ValueError, match="at least 2"):
        cone.pairwise_cosines(np.ones((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        cone.mean_pairwise_cosine(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="all-zero"):
        cone.pairwise_cosines(np.array([[0.0, 0.0], [0.0, 1.0]]))


def test_cone_half_angle():
    assert cone.cone_half_angle_deg(0.56) == pytest.approx(55.94, abs=0.01)  # Liang Sec. 2.1
    assert cone.cone_half_angle_deg(0.0) == pytest.approx(90.0)
    with pytest.raises(ValueError):
        cone.cone_half_angle_deg(1.5)


# ------------------------------------------------------------------ sigmoid toy
def test_sigmoid_toy_shapes_and_range():
    layers = cone.sigmoid_toy(n_layers=3, n_points=64, seed=1, weight_std=2.0)
    assert len(layers) == 4 and all(h.shape == (64, 2) for h in layers)
    np.testing.assert_allclose(np.linalg.norm(layers[0], axis=1), 1.0)
    for h in layers[1:]:
        assert (h > 0).all() and (h < 1).all()  # sigmoid outputs: positive quadrant
        assert cone.angular_spread_deg(h) < 90.0
    assert cone.angular_spread_deg(layers[0]) > 350


def test_sigmoid_toy_prefix_property():
    short = cone.sigmoid_toy(n_layers=2, seed=4)
    long = cone.sigmoid_toy(n_layers=5, seed=4)
    for a, b in zip(short, long):
        np.testing.assert_array_equal(a, b)


def test_angular_spread_hand_cases():
    assert cone.angular_spread_deg(np.array([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(90.0)
    assert cone.angular_spread_deg(np.array([[1.0, 1.0], [2.0, 2.0]])) == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        cone.angular_spread_deg(np.ones((3, 3)))


@pytest.mark.parametrize("kwargs", [{"n_layers": -1}, {"n_points": 1}, {"weight_std": 0}, {"weight_std": np.inf}])
def test_sigmoid_toy_bad_input(kwargs):
    with pytest.raises(ValueError):
        cone.sigmoid_toy(**kwargs)


# ------------------------------------------------------------------ Theorem 1
def test_theorem1_condition_hand_cases():
    assert not cone.theorem1_condition([1.0, 0.0], [1.0, 0.0])  # cos 1, r 1: 1 < 1 is false
    assert cone.theorem1_condition([1.0, 0.0], [0.0, 1.0])  # orthogonal
    # r = 3: bound 1 / (0.5 * (3 + 1/3)) = 0.6; cos = 0.7 fails, cos = 0.5 holds
    u = 3 * np.array([1.0, 0.0])
    assert not cone.theorem1_condition(u, [0.7, math.sqrt(1 - 0.49)])
    assert cone.theorem1_condition(u, [0.5, math.sqrt(1 - 0.25)])


def test_relu_layer_increases_cosine_of_orthogonal_vectors():
    u, v = np.eye(64)[0], np.eye(64)[1]
    cos = cone.relu_layer_cosines(u, v, d_out=512, trials=50, seed=0)
    assert cos.shape == (50,)
    assert (cos > 0).mean() > 0.95  # Theorem 1: > cos(u, v) = 0 with high probability
    # unit inputs: Var(w.u) = Var(b) = 1/d_out, so the pre-activations have correlation
    # rho = (u.v + 1) / 2 = 1/2; arc-cosine kernel: (sin t + (pi - t) cos t) / pi with t = arccos(rho)
    t = math.acos(0.5)
    assert cos.mean() == pytest.approx((math.sin(t) + (math.pi - t) * math.cos(t)) / math.pi, abs=0.03)


def test_relu_layer_matches_manual_draw():
    u, v = np.array([1.0, 2.0, -1.0]), np.array([0.5, -1.0, 2.0])
    got = cone.relu_layer_cosines(u, v, d_out=200, trials=1, seed=7)[0]
    rng = np.random.default_rng(7)
    w = rng.normal(0, 1 / math.sqrt(200), size=(200, 3))
    b = rng.normal(0, 1 / math.sqrt(200), size=200)
    pu, pv = np.maximum(w @ u + b, 0), np.maximum(w @ v + b, 0)
    assert got == pytest.approx(pu @ pv / np.linalg.norm(pu) / np.linalg.norm(pv))


def test_theorem1_bad_input():
    with pytest.raises(ValueError, match="same"):
        cone.theorem1_condition([1.0, 0.0], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="all-zero"):
        cone.relu_layer_cosines([0.0, 0.0], [1.0, 0.0])


def test_relu_layer_all_zero_output_is_nan():
    # d_out = 1: the single unit is dead for u and v together in about half of the draws
    cos = cone.relu_layer_cosines([1.0, 0.0], [0.9, 0.1], d_out=1, trials=50, seed=0)
    assert np.isnan(cos).any()
    assert np.all(np.isnan(cos) | np.isclose(cos, 1.0))  # one positive unit: both outputs are parallel


# ------------------------------------------------------------------ variance decomposition
def test_law_of_total_variance():
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((4, 30, 5)) + rng.standard_normal((4, 1, 5)) * 3
    d = cone.variance_decomposition(emb)
    assert d["total"] == pytest.approx(d["data"] + d["init"], rel=1e-12)
    flat = emb.reshape(-1, 5)
    assert d["total"] == pytest.approx(sum(np.var(flat[:, k]) for k in range(5)))
    assert 0.5 < d["init_share"] < 1.0  # seed offsets (var 9) dominate per-sample noise (var 1)


def test_variance_decomposition_extremes():
    same = np.tile(np.random.default_rng(1).standard_normal((1, 10, 3)), (5, 1, 1))
    assert cone.variance_decomposition(same)["init_share"] == pytest.approx(0.0, abs=1e-12)
    constant_per_seed = np.repeat(np.arange(6.0).reshape(3, 1, 2), 8, axis=1)
    assert cone.variance_decomposition(constant_per_seed)["init_share"] == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [np.ones((3, 4)), np.ones((1, 4, 2)), np.ones((3, 4, 2)), np.full((2, 3, 2), np.nan)])
def test_variance_decomposition_bad_input(bad):
    with pytest.raises(ValueError):
        cone.variance_decomposition(bad)


# ------------------------------------------------------------------ properties (hypothesis)
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

_finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(1, 6)), elements=_finite))
def test_fast_mean_cosine_equals_brute_force_property(x):
    x = x[np.linalg.norm(x, axis=1) > 1e-3]
    if x.shape[0] < 2:
        return
    for diag in (False, True):
        assert cone.mean_pairwise_cosine(x, include_diagonal=diag) == pytest.approx(_brute_mean_cos(x, diag), abs=1e-9)
    assert -1 - 1e-12 <= cone.mean_pairwise_cosine(x) <= 1 + 1e-12


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 5), st.integers(2, 8), st.integers(1, 4)), elements=_finite))
def test_total_variance_identity_property(emb):
    if emb.reshape(-1, emb.shape[-1]).var(axis=0).sum() < 1e-9:
        return
    d = cone.variance_decomposition(emb)
    assert d["total"] == pytest.approx(d["data"] + d["init"], rel=1e-9, abs=1e-9)
    assert -1e-12 <= d["init_share"] <= 1 + 1e-12


# ------------------------------------------------------------------ random_layer_init_share (Theorem 2)
def test_random_linear_layer_init_share_is_beta_with_diagonal():
    """For h = W u with W_kl ~ N(0, 1/d_out): E Var_W[W mean(u)] = ||mean u||^2 and E Var[h] = 1, so the
    population init share over S inits is ((S - 1) / S) ||mean u||^2 in expectation."""
    rng = np.random.default_rng(5)
    prev = rng.standard_normal((30, 20)) + 1.5 * rng.standard_normal(20)  # a cone
    u = prev / np.linalg.norm(prev, axis=1, keepdims=True)
    r = cone.random_layer_init_share(prev, "linear", n_inits=400, d_out=64, seed=1)
    ubar2 = float(u.mean(0) @ u.mean(0))
    assert r["beta_with_diagonal"] == pytest.approx(ubar2, rel=1e-12)
    assert r["beta"] == pytest.approx(_brute_mean_cos(prev, False), rel=1e-12)
    assert r["init_share"] == pytest.approx(399 / 400 * ubar2, abs=0.03)
    assert (r["n_inits"], r["d_out"]) == (400, 64)


def test_random_layer_init_share_matches_brute_force_and_seed():
    rng = np.random.default_rng(6)
    prev = rng.standard_normal((8, 5)) + 2.0
    r = cone.random_layer_init_share(prev, "relu", n_inits=7, d_out=9, bias=True, seed=3)
    u = (prev / np.linalg.norm(prev, axis=1, keepdims=True)).astype(np.float32)
    g = np.random.default_rng(3)
    w = g.standard_normal((7, 5, 9), dtype=np.float32)
    b = g.standard_normal((7, 1, 9), dtype=np.float32)
    h = np.maximum(np.stack([u @ w[k] + b[k] for k in range(7)]) / 3.0, 0).astype(np.float64)
    means = h.mean(axis=1)
    expected = means.var(axis=0).sum() / h.reshape(-1, 9).var(axis=0).sum()
    assert r["init_share"] == pytest.approx(expected, rel=1e-5)
    assert cone.random_layer_init_share(prev, "relu", n_inits=7, d_out=9, bias=True, seed=3) == r
    assert cone.random_layer_init_share(prev, "relu", n_inits=7, d_out=9, bias=True, seed=4) != r


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"activation": "gelu"}, "activation"),
        ({"n_inits": 1}, "n_inits"),
        ({"d_out": 0}, "d_out"),
        ({"bias": "yes"}, "bias"),
    ],
)
def test_random_layer_init_share_bad_options(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cone.random_layer_init_share(np.random.default_rng(0).standard_normal((4, 3)), **kwargs)


def test_random_layer_init_share_bad_inputs():
    with pytest.raises(ValueError, match="prev_outputs"):
        cone.random_layer_init_share(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="prev_outputs"):
        cone.random_layer_init_share(np.ones((1, 3)))
