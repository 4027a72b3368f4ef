"""The cone effect (lesson 02): why random-init encoders put all embeddings in a narrow cone.

Liang et al. 2022 ("Mind the Gap"), Sec. 2-3 and the official code
(``Figure_2_Cone_Effect``; see ``shared/research/papers.md`` Sec. 1.3-1.6):

* ``pairwise_cosines`` / ``mean_pairwise_cosine``: Fig. 2a statistic (off-diagonal cosines).
* ``layerwise_cosine``: Fig. 2b protocol (25 fresh random layers on N(0, 1) inputs).
* ``sigmoid_toy``: the 2-D sigmoid network of the seminar slides.
* ``relu_layer_cosines`` / ``theorem1_condition``: Theorem 1, checked numerically.
* ``arccos_kernel_cosine``: the wide-layer limit of one random ReLU layer's cosine (Cho & Saul 2009).
* ``variance_decomposition``: the law of total variance split into data and random init
  (Liang Sec. 3, Theorem 2).
* ``random_layer_init_share``: Theorem 2's bound (init share >= beta) checked for one random layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modgap_edu.core import metrics
from modgap_edu.core import validation as V

ACTIVATIONS = ("linear", "relu", "leaky_relu", "tanh", "sigmoid")


def _apply(activation: str, z: np.ndarray) -> np.ndarray:
    if activation == "linear":
        return z
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "leaky_relu":  # PyTorch default slope 0.01, as in the official notebook
        return np.where(z > 0, z, z.dtype.type(0.01) * z)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic (keeps z's dtype)
    raise ValueError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}; got {activation!r}.")


def _unit_or_zero(h: np.ndarray) -> np.ndarray:
    """Unit rows (``metrics.unit_rows``, scale-safe); an all-zero row stays zero, as in the official
    ``x / (||x|| + 1e-16)`` (a dead ReLU layer can output one), without that epsilon's scale dependence."""
    nonzero = np.any(h != 0, axis=1)
    if nonzero.all():
        return metrics.unit_rows(h)
    u = np.zeros(h.shape)
    u[nonzero] = metrics.unit_rows(h[nonzero])
    return u


def _mean_cosine_of_rows(h: np.ndarray, include_diagonal: bool) -> float:
    """Mean of the N x N cosine matrix in O(N d): sum_ij cos_ij = ||sum_i u_i||^2 (a zero row counts as 0)."""
    u = _unit_or_zero(h)
    s = u.sum(axis=0)
    total = float(s @ s)
    n = h.shape[0]
    if include_diagonal:
        return total / (n * n)
    diag = float(np.einsum("ij,ij->", u, u))
    return (total - diag) / (n * (n - 1))


def layerwise_cosine(
    activation: str, n_layers: int = 25, n: int = 1024, dim: int = 512, seed: int = 0, include_diagonal: bool = False
) -> np.ndarray:
    """Average pairwise cosine similarity after each of ``n_layers`` random layers (Liang Fig. 2b).

    Inputs ``randn(n, dim)``; layer l computes ``h = act(W h + b)`` with a fresh ``W`` (dim x dim)
    and ``b`` (dim), all entries ~ N(0, 1/dim). Returns an array of length ``n_layers + 1``: entry
    0 is the input, entry l the output of layer l. ``include_diagonal=False`` averages over the
    n(n-1) pairs i != j (the paper's definition; layer 0 is ~0); ``True`` averages the full N x N
    matrix as the official notebook does (layer 0 is ~1/n). ``activation`` is one of
    ``"linear", "relu", "leaky_relu", "tanh", "sigmoid"``. Seeded by ``seed`` (numpy PCG64).

    Parameters
    ----------
    activation : {"linear", "relu", "leaky_relu", "tanh", "sigmoid"}
        The nonlinearity after each layer.
    n_layers : int
        Number of random layers, >= 0.
    n : int
        Number of inputs, >= 2.
    dim : int
        Width of every layer, >= 1.
    seed : int
        0 <= seed < 2**32.
    include_diagonal : bool
        Average the full N x N matrix (the notebook) instead of the pairs i != j (the paper).

    Returns
    -------
    numpy.ndarray
        ``n_layers + 1`` mean cosines.
    """
    V.choice(activation, ACTIVATIONS, "activation")
    n_layers = V.integer(n_layers, "n_layers", 0)
    n = V.integer(n, "n", 2)
    dim = V.integer(dim, "dim", 1)
    seed = V.seed(seed)
    include_diagonal = V.boolean(include_diagonal, "include_diagonal")
    rng = np.random.default_rng(seed)
    # float32 forward pass (as in PyTorch), float64 averaging
    h = rng.standard_normal((n, dim), dtype=np.float32)
    out = [_mean_cosine_of_rows(h.astype(np.float64), include_diagonal)]
    std = np.float32(1.0 / np.sqrt(dim))
    for _ in range(n_layers):
        w = rng.standard_normal((dim, dim), dtype=np.float32) * std  # (out, in), like nn.Linear.weight
        b = rng.standard_normal(dim, dtype=np.float32) * std
        h = _apply(activation, h @ w.T + b)
        out.append(_mean_cosine_of_rows(h.astype(np.float64), include_diagonal))
    return np.asarray(out)


def pairwise_cosines(emb: Any, name: str = "emb") -> np.ndarray:
    """All off-diagonal cosine similarities cos(e_i, e_j), i != j, as a flat array (Liang Fig. 2a).

    Each unordered pair appears twice (the full matrix minus its diagonal, as in the official
    histogram code), so the mean equals ``mean_pairwise_cosine``.

    Parameters
    ----------
    emb : array_like or torch.Tensor
        Embeddings, at least two rows, no all-zero row.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    numpy.ndarray
        N (N - 1) cosines.
    """
    x = V.matrix(emb, name, min_rows=2)
    u = metrics.unit_rows(x)
    c = u @ u.T
    return c[~np.eye(c.shape[0], dtype=bool)]


def mean_pairwise_cosine(emb: Any, include_diagonal: bool = False, name: str = "emb") -> float:
    """Mean cosine similarity between distinct rows (Liang Fig. 2a, lesson 02), in O(N d); optionally with
    the diagonal. Scale-safe: the same answer for ``emb``, ``1e-300 * emb`` and ``1e300 * emb``.

    Parameters
    ----------
    emb : array_like or torch.Tensor
        Embeddings, at least two rows, no all-zero row.
    include_diagonal : bool
        Average the full N x N matrix instead of the pairs i != j.
    name : str
        The argument's name, used in the error messages.

    Returns
    -------
    float
        In [-1, 1].
    """
    x = V.matrix(emb, name, min_rows=2)
    return _mean_cosine_of_rows(x, V.boolean(include_diagonal, "include_diagonal"))


def cone_half_angle_deg(mean_cos: float) -> float:
    """arccos of a cosine, in degrees (Liang Sec. 2.1: cos 0.56 <-> 55.94 degrees; lesson 02).

    Parameters
    ----------
    mean_cos : float
        A cosine in [-1, 1].

    Returns
    -------
    float
        The angle in degrees, in [0, 180].
    """
    c = V.real_number(mean_cos, "mean_cos (a cosine)", low=-1.0, high=1.0)
    return float(np.degrees(np.arccos(c)))


# ------------------------------------------------------------------ sigmoid toy (seminar slides)
def sigmoid_toy(n_layers: int = 4, n_points: int = 256, seed: int = 0, weight_std: float = 1.0) -> list:
    """2-D points on the unit circle pushed through h = sigmoid(W h + b), W 2x2, b 2 (lesson 02, Sec. 2).

    Returns ``[h0, h1, ..., h_L]``, each (n_points, 2); ``h0`` covers every direction (angles evenly
    spaced), later layers live in the positive quadrant and shrink into a cone. Weights and biases
    are drawn i.i.d. N(0, weight_std^2) from ``numpy.random.default_rng(seed)``; the same seed
    gives the same first layers whatever ``n_layers`` is.

    Parameters
    ----------
    n_layers : int
        Number of sigmoid layers, >= 0.
    n_points : int
        Points on the circle, >= 2.
    seed : int
        0 <= seed < 2**32.
    weight_std : float
        Standard deviation of weights and biases, > 0.

    Returns
    -------
    list of numpy.ndarray
        ``n_layers + 1`` arrays of shape (n_points, 2).
    """
    n_layers = V.integer(n_layers, "n_layers", 0)
    n_points = V.integer(n_points, "n_points", 2)
    seed = V.seed(seed)
    weight_std = V.positive_number(weight_std, "weight_std")
    theta = np.linspace(0.0, 2 * np.pi, n_points, endpoint=False)
    h = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    rng = np.random.default_rng(seed)
    layers = [h]
    for _ in range(n_layers):
        w = rng.normal(0.0, weight_std, size=(2, 2))
        b = rng.normal(0.0, weight_std, size=2)
        h = _apply("sigmoid", h @ w.T + b)
        layers.append(h)
    return layers


def angular_spread_deg(points: Any) -> float:
    """Largest angle (degrees) between any two of the 2-D points' directions: the cone's full width (lesson 02).

    Parameters
    ----------
    points : array_like
        Shape (N, 2), no point at the origin.

    Returns
    -------
    float
        In [0, 360).
    """
    p = V.matrix(points, "points", min_rows=1)
    if p.shape[1] != 2:
        raise ValueError(f"points must be 2-D vectors (shape (N, 2)), got shape {p.shape}.")
    ang = np.sort(np.arctan2(p[:, 1], p[:, 0]))
    gaps = np.diff(np.concatenate([ang, ang[:1] + 2 * np.pi]))
    return float(np.degrees(2 * np.pi - gaps.max()))


# ------------------------------------------------------------------ Theorem 1
def theorem1_condition(u: Any, v: Any) -> bool:
    """Liang Theorem 1's premise: cos(u, v) < 1 / (0.5 (r + 1/r)) with r = ||u|| / ||v|| (lesson 02).

    Scale-safe: norms are taken after dividing by the largest |entry|, so ``(c u, c v)`` gives the
    same answer as ``(u, v)`` for any c > 0 (1e-300 ... 1e300).

    Parameters
    ----------
    u, v : array_like
        Two nonzero vectors of the same length.

    Returns
    -------
    bool
        Whether the premise holds.
    """
    a, b = _two_vectors(u, v)
    ma, mb = np.abs(a).max(), np.abs(b).max()
    ua, ub = metrics.unit_rows(a[None, :])[0], metrics.unit_rows(b[None, :])[0]
    r = (ma / mb) * (np.linalg.norm(a / ma) / np.linalg.norm(b / mb))
    cos = float(ua @ ub)
    return bool(cos < 2.0 / (r + 1.0 / r))


def _two_vectors(u: Any, v: Any) -> tuple[np.ndarray, np.ndarray]:
    a = V.vector(u, "u", nonzero=True)
    b = V.vector(v, "v", nonzero=True)
    if a.shape != b.shape:
        raise ValueError(f"u and v must have the same length, got {a.shape[0]} and {b.shape[0]}.")
    return a, b


def relu_layer_cosines(u: Any, v: Any, d_out: int = 512, trials: int = 100, seed: int = 0) -> np.ndarray:
    """cos(ReLU(W u + b), ReLU(W v + b)) for ``trials`` independent draws, W_kl, b_k ~ N(0, 1/d_out).

    Liang Theorem 1: when ``theorem1_condition(u, v)`` holds, this exceeds cos(u, v) with
    probability >= 1 - O(1/d_out). Returns an array of length ``trials``; an entry is NaN when a
    ReLU output is all zero (cosine undefined; only likely for a very small ``d_out``).

    Parameters
    ----------
    u, v : array_like
        Two nonzero vectors of the same length.
    d_out : int
        Width of the random layer, >= 1.
    trials : int
        Number of independent layers, >= 1.
    seed : int
        0 <= seed < 2**32.

    Returns
    -------
    numpy.ndarray
        ``trials`` cosines (NaN where a ReLU output is all zero).
    """
    a, b = _two_vectors(u, v)
    d_out = V.integer(d_out, "d_out", 1)
    trials = V.integer(trials, "trials", 1)
    rng = np.random.default_rng(V.seed(seed))
    std = 1.0 / np.sqrt(d_out)
    out = np.empty(trials)
    for t in range(trials):
        w = rng.normal(0.0, std, size=(d_out, a.shape[0]))
        bias = rng.normal(0.0, std, size=d_out)
        pu, pv = np.maximum(w @ a + bias, 0), np.maximum(w @ b + bias, 0)
        if np.any(pu != 0) and np.any(pv != 0):
            unit = metrics.unit_rows(np.stack([pu, pv]))
            out[t] = unit[0] @ unit[1]
        else:
            out[t] = np.nan
    return out


def arccos_kernel_cosine(theta: Any) -> np.ndarray:
    """Wide-layer limit of cos(ReLU(W u), ReLU(W v)) for inputs at angle theta (lesson 02, Bonus exercise 2.6).

    W has i.i.d. zero-mean Gaussian entries and no bias. The first-order arc-cosine kernel of
    Cho & Saul (2009, Eq. 6 with n = 1), divided by its value at theta = 0:
    (sin theta + (pi - theta) cos theta) / pi. Equals 1 at 0, 1/pi at pi/2, 0 at pi.

    Parameters
    ----------
    theta : float or array_like
        Angles in radians, each in [0, pi].

    Returns
    -------
    numpy.ndarray
        The limit cosine for every angle (a 0-d array for a scalar input).
    """
    t = V.real_array(theta, "theta", "angles in radians between 0 and pi").astype(np.float64)
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t > np.pi):
        raise ValueError("theta must hold finite angles in radians between 0 and pi.")
    return (np.sin(t) + (np.pi - t) * np.cos(t)) / np.pi


# ------------------------------------------------------------------ variance decomposition
def variance_decomposition(embeddings: Any) -> dict:
    """Law of total variance over random inits (Liang Sec. 3, Theorem 2), summed over dimensions.

    ``embeddings``: shape (S, N, d) -- S random inits (seeds) of one encoder, each embedding the
    same N inputs. With population variances (ddof = 0) and equal group sizes,

        total = data + init,  data = mean_s Var_n[h_s(x_n)],  init = Var_s[mean_n h_s(x_n)],

    each a trace (sum over the d dimensions). Returns ``{"total", "data", "init", "init_share"}``.
    Normalize the rows first if you want the decomposition on the sphere.

    Parameters
    ----------
    embeddings : array_like or torch.Tensor
        Shape (seeds, samples, dims), at least (2, 2, 1); real and finite.

    Returns
    -------
    dict
        ``total``, ``data``, ``init`` (floats) and ``init_share`` in [0, 1].
    """
    arr = V.real_array(embeddings, "embeddings", "an array of shape (seeds, samples, dims)")
    if arr.ndim != 3:
        raise ValueError(f"embeddings must have shape (seeds, samples, dims), got shape {arr.shape}.")
    if arr.shape[0] < 2 or arr.shape[1] < 2 or arr.shape[2] < 1:
        raise ValueError(f"need at least 2 seeds, 2 samples and 1 dimension, got shape {arr.shape}.")
    arr = arr.astype(np.float64)
    V.check_finite(arr.reshape(-1, arr.shape[-1]), "embeddings")
    flat = arr.reshape(-1, arr.shape[-1])
    total = float(flat.var(axis=0).sum())
    data = float(arr.var(axis=1).sum(axis=-1).mean())
    init = float(arr.mean(axis=1).var(axis=0).sum())
    if total <= 0:
        raise ValueError("the embeddings have zero variance: every row is identical.")
    return {"total": total, "data": data, "init": init, "init_share": init / total}


# ------------------------------------------------------------------ the papers' numbers (quoted, cited)
#: Liang et al. 2022, Fig. 2b, official notebook output ``bias_linear_relu.ipynb`` (Linear+ReLU,
#: layers 0..16, full-matrix average incl. the diagonal, one unseeded run).
PAPER_FIG2B_RELU = (
    0.00097,
    0.319,
    0.494,
    0.607,
    0.701,
    0.754,
    0.803,
    0.844,
    0.892,
    0.919,
    0.948,
    0.969,
    0.980,
    0.991,
    0.996,
    0.998,
    0.999,
)
#: Liang et al. 2022, Fig. 2b, read off the figure / paper text: (activation, layer, approx. value).
PAPER_FIG2B_READ = (("sigmoid", 1, 0.85), ("sigmoid", 2, 0.99), ("tanh", 25, 0.52), ("linear", 25, 0.05))
#: Liang et al. 2022, Fig. 2a mean pairwise cosines (official notebook outputs), CLIP ViT-B/32 towers
#: and ResNet-18, 5,000 COCO val2017 images / first captions, or noise inputs.
PAPER_FIG2A = {
    ("random init", "real data"): {"image (ViT)": 0.7172, "text (Transformer)": 0.6721, "ResNet-18": 0.9932},
    ("random init", "noise"): {"image (ViT)": 0.9366, "text (Transformer)": 0.4112, "ResNet-18": 0.9993},
    ("pretrained", "real data"): {"image (ViT)": 0.4679, "text (Transformer)": 0.5080, "ResNet-18": 0.5556},
}


# ------------------------------------------------------------------ Theorem 2, checked numerically
def random_layer_init_share(
    prev_outputs: Any,
    activation: str = "linear",
    n_inits: int = 100,
    d_out: int = 128,
    bias: bool = False,
    seed: int = 0,
) -> dict:
    """Init share of the variance after ONE random layer on fixed inputs, next to Theorem 2's beta (lesson 02 Sec. 6).

    Liang et al. 2022, Theorem 2 (informal, README figure ``Theorem2.png``; the precise statement is in their
    Appendix D, not checked here): for unit inputs ``U`` and random weights ``Theta``,
    ``Var[E[h(U)|Theta]] / Var[h(U)] >= beta``, with beta "the average cosine similarity of the previous
    layer's outputs". This draws ``n_inits`` layers ``h = phi(W u + b)``, ``W_kl ~ N(0, 1/d_out)``
    (``b`` likewise, or zero), applies each to the same unit-normalized rows of ``prev_outputs``, and
    returns the measured init share (``variance_decomposition`` on the stacked outputs) with both
    versions of beta. For ``activation="linear"`` and no bias the expected init share is exactly
    ``||mean u||^2`` (the mean cosine with the diagonal), so the bound is tight there.

    Parameters
    ----------
    prev_outputs : array_like or torch.Tensor
        The previous layer's outputs, shape (N, d_in), at least 2 rows, no all-zero row.
    activation : str
        One of ``ACTIVATIONS``.
    n_inits : int
        Number of random layers (seeds of ``Theta``), at least 2.
    d_out : int
        Width of the random layer, at least 1.
    bias : bool
        Add a random bias ``b_k ~ N(0, 1/d_out)``.
    seed : int
        Seed of the generator that draws the layers.

    Returns
    -------
    dict
        ``init_share`` (float in [0, 1]), ``beta`` (mean cosine of the unit inputs over pairs i != j),
        ``beta_with_diagonal`` (over all N x N entries, = ``||mean u||^2``), ``n_inits``, ``d_out``.
    """
    u = metrics.unit_rows(V.matrix(prev_outputs, "prev_outputs", min_rows=2))
    act = V.choice(activation, ACTIVATIONS, "activation")
    k = V.integer(n_inits, "n_inits", 2)
    width = V.integer(d_out, "d_out", 1)
    use_bias = V.boolean(bias, "bias")
    rng = np.random.default_rng(V.seed(seed))
    std = 1.0 / np.sqrt(width)
    # all layers in one float32 draw (k * d_in * d_out * 4 bytes: 20 MB at the defaults for d_in = 384) and one
    # einsum without BLAS: threaded BLAS on many tiny products is ~100x slower on a busy shared machine
    w = rng.standard_normal((k, u.shape[1], width), dtype=np.float32)
    b = rng.standard_normal((k, 1, width), dtype=np.float32) if use_bias else np.float32(0.0)
    pre = np.einsum("nd,kdo->kno", u.astype(np.float32), w, optimize=False)
    out = _apply(act, std * (pre + b)).astype(np.float64)
    share = variance_decomposition(out)["init_share"]
    return {
        "init_share": share,
        "beta": _mean_cosine_of_rows(u, False),
        "beta_with_diagonal": _mean_cosine_of_rows(u, True),
        "n_inits": k,
        "d_out": width,
    }
