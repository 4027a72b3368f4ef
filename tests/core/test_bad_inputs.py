"""Bad inputs at every public edge of ``core`` and ``toys`` (issue 14 Sec. 7), table-driven.

Each row is (function, argument builder, argument, bad value, exception type, message regex): the
builder returns good keyword arguments, the bad value replaces one of them, and the call must raise
that exception with a message matching the regex (a clear message, never a NaN or a numpy / torch
traceback). Array arguments get the whole ``BAD_ARRAYS`` family through ``ARRAY_ARGS``; scalar and
label arguments have their own rows in ``SCALAR_ROWS``. ``test_every_public_function_has_a_row``
fails when a public function of core / toys has no row (the modules are found by pkgutil, so a new
module is covered too; only ``validation`` is skipped), so a new function gets the same treatment
by adding one, or an ``EXEMPT`` entry with its reason. Positive rows: float16 / bfloat16 inputs give the float32 answer, and functions of
directions give the same answer at scale 1e-300 and 1e300.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import torch

import modgap_edu.core
import modgap_edu.toys
from modgap_edu.core import cone, dimensions, loss_terms, losses, metrics, procrustes, rank_statistics, shift
from modgap_edu.core import validation as V
from modgap_edu.toys import gap_fate, paired_cones, six_pairs, sphere

N, D = 12, 6


def emb(seed: int = 0, n: int = N, d: int = D) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) + 2.0 * np.eye(d)[seed % d]


X, Y = emb(0), emb(1)
LABELS = np.arange(N) % 3
ATTRS = (np.arange(N) // 3) % 2


def pair_kwargs(**extra):
    return lambda: dict(image_emb=X.copy(), text_emb=Y.copy(), **extra)


# ---------------------------------------------------------------- array arguments


def _with(arr: np.ndarray, i: int, value: float) -> np.ndarray:
    out = arr.astype(np.float64).copy()
    out.flat[i] = value
    return out


def _zero_row(arr: np.ndarray) -> np.ndarray:
    out = arr.astype(np.float64).copy()
    out[1] = 0.0
    return out


ALL = {"emb", "emb0", "vec", "dir", "cube", "angles"}
#: (name, make(good) -> bad, regex, the argument kinds it applies to). Kinds: "emb" 2-D embeddings, "emb0" 2-D
#: with zero rows allowed, "vec" 1-D numbers, "dir" a 1-D direction (nonzero), "cube" (seeds, samples, dims),
#: "angles" broadcastable angles.
BAD_ARRAYS = [
    ("complex", lambda a: a + 1j, "complex", ALL),
    ("complex_tensor", lambda a: torch.from_numpy(a + 1j), "complex", ALL),
    ("object", lambda a: np.array([["a"] * a.shape[-1]] * 2, dtype=object), "real numbers|ragged", {"emb", "emb0"}),
    ("strings", lambda a: np.array(["a"] * a.shape[0]), "real numbers", {"vec", "dir", "angles"}),
    ("ragged", lambda a: [[1.0, 2.0], [3.0]], "ragged", ALL),
    ("bool", lambda a: a > 0, "booleans", ALL),
    ("nan", lambda a: _with(a, 3, np.nan), "NaN", ALL),
    ("inf", lambda a: _with(a, 2, np.inf), "NaN or inf", ALL),
    ("none", lambda a: None, "None|real numbers", ALL),
    ("empty", lambda a: np.zeros((0, a.shape[-1])), "at least", {"emb", "emb0"}),
    ("no_columns", lambda a: np.zeros((a.shape[0], 0)), "0 columns|at least|2-D", {"emb", "emb0"}),
    ("one_d", lambda a: a[0], "2-D", {"emb", "emb0"}),
    ("three_d", lambda a: a[None], "2-D", {"emb", "emb0"}),
    ("zero_row", _zero_row, "all-zero", {"emb"}),
    ("zero_vector", lambda a: np.zeros_like(a), "all-zero", {"dir"}),
    ("two_d", lambda a: a[None, :], "1-D", {"vec", "dir"}),
    ("cube_2d", lambda a: a[0], "shape", {"cube"}),
]


def _losses_builder():
    return dict(image_emb=torch.from_numpy(X), text_emb=torch.from_numpy(Y))


def _caption_loss_builder():
    """Twelve images on three captions (image i -> caption i % 3)."""
    return dict(
        image=torch.from_numpy(X), text=torch.from_numpy(Y[:3]), caption=torch.from_numpy(LABELS), temperature=0.1
    )


#: (label, function, good-argument builder, {argument: kind})
ARRAY_ARGS = [
    ("metrics.normalize", metrics.normalize, lambda: dict(x=X), {"x": "emb"}),
    ("metrics.gap_vector", metrics.gap_vector, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    ("metrics.l2m", metrics.l2m, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    ("metrics.l2i", metrics.l2i, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    ("metrics.rmg", metrics.rmg, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    ("metrics.rmg_terms", metrics.rmg_terms, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    ("metrics.rmg_pairwise", metrics.rmg_pairwise, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    ("metrics.mean_intra_dissimilarity", metrics.mean_intra_dissimilarity, lambda: dict(emb=X), {"emb": "emb"}),
    ("metrics.intra_inter_cosine", metrics.intra_inter_cosine, lambda: dict(emb=X, labels=LABELS), {"emb": "emb"}),
    ("metrics.moad", metrics.moad, lambda: dict(emb=X, object_labels=LABELS, attribute_labels=ATTRS), {"emb": "emb"}),
    ("losses.clip_loss", losses.clip_loss, _losses_builder, {"image_emb": "emb", "text_emb": "emb"}),
    ("losses.align_loss", losses.align_loss, lambda: dict(x=X, y=Y), {"x": "emb", "y": "emb"}),
    ("losses.uniform_loss", losses.uniform_loss, lambda: dict(x=X), {"x": "emb"}),
    (
        "dimensions.gap_dimension_scores",
        dimensions.gap_dimension_scores,
        pair_kwargs(),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "dimensions.rank_gap_dimensions",
        dimensions.rank_gap_dimensions,
        pair_kwargs(),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "dimensions.two_gap_dimensions",
        dimensions.two_gap_dimensions,
        pair_kwargs(),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    ("dimensions.normalized_mean", dimensions.normalized_mean, lambda: dict(emb=X), {"emb": "emb"}),
    (
        "dimensions.ablate_dimensions",
        dimensions.ablate_dimensions,
        pair_kwargs(k=1),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    ("dimensions.gap_metric", dimensions.gap_metric, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    (
        "dimensions.ablation_curve",
        dimensions.ablation_curve,
        pair_kwargs(ks=[0, 1]),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "dimensions.retrieval_recall",
        dimensions.retrieval_recall,
        pair_kwargs(),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "dimensions.zero_shot_accuracy",
        dimensions.zero_shot_accuracy,
        lambda: dict(image_emb=X, class_text_emb=Y[:3], labels=LABELS),
        {"image_emb": "emb", "class_text_emb": "emb"},
    ),
    ("dimensions.pca", dimensions.pca, lambda: dict(x=X), {"x": "emb0"}),
    (
        "rank_statistics.kendall_with_permutation",
        rank_statistics.kendall_with_permutation,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], n_resamples=9),
        {"gap": "vec", "performance": "vec"},
    ),
    (
        "rank_statistics.pooled_within_group_tau",
        rank_statistics.pooled_within_group_tau,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], groups=LABELS),
        {"gap": "vec", "performance": "vec"},
    ),
    (
        "rank_statistics.kendall_within_groups",
        rank_statistics.kendall_within_groups,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], groups=LABELS, n_resamples=9),
        {"gap": "vec", "performance": "vec"},
    ),
    (
        "rank_statistics.partial_kendall",
        rank_statistics.partial_kendall,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], confounder=X[:, 1]),
        {"gap": "vec", "performance": "vec", "confounder": "vec"},
    ),
    (
        "procrustes.procrustes_rotation",
        procrustes.procrustes_rotation,
        pair_kwargs(),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "procrustes.proper_rotation",
        procrustes.proper_rotation,
        pair_kwargs(),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "procrustes.apply_rotation",
        procrustes.apply_rotation,
        lambda: dict(text_emb=Y, w=np.eye(D)),
        {"text_emb": "emb0", "w": "emb0"},
    ),
    ("cone.pairwise_cosines", cone.pairwise_cosines, lambda: dict(emb=X), {"emb": "emb"}),
    ("cone.mean_pairwise_cosine", cone.mean_pairwise_cosine, lambda: dict(emb=X), {"emb": "emb"}),
    ("cone.angular_spread_deg", cone.angular_spread_deg, lambda: dict(points=X[:, :2]), {"points": "emb"}),
    ("cone.theorem1_condition", cone.theorem1_condition, lambda: dict(u=X[0], v=Y[0]), {"u": "dir", "v": "dir"}),
    (
        "cone.relu_layer_cosines",
        cone.relu_layer_cosines,
        lambda: dict(u=X[0], v=Y[0], trials=2),
        {"u": "dir", "v": "dir"},
    ),
    (
        "cone.variance_decomposition",
        cone.variance_decomposition,
        lambda: dict(embeddings=np.stack([X, Y])),
        {"embeddings": "cube"},
    ),
    ("shift.gap_direction", shift.gap_direction, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    ("shift.shift_embeddings", shift.shift_embeddings, pair_kwargs(alpha=0.3), {"image_emb": "emb", "text_emb": "emb"}),
    ("shift.shift_images_only", shift.shift_images_only, pair_kwargs(lam=0.3), {"image_emb": "emb", "text_emb": "emb"}),
    ("shift.pc1_direction", shift.pc1_direction, pair_kwargs(), {"image_emb": "emb", "text_emb": "emb"}),
    ("shift.signed_gap", shift.signed_gap, pair_kwargs(pc1=np.ones(D)), {"image_emb": "emb", "text_emb": "emb"}),
    (
        "shift.batched_clip_loss",
        shift.batched_clip_loss,
        pair_kwargs(batch_size=4),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "shift.loss_landscape",
        shift.loss_landscape,
        pair_kwargs(alphas=[0.0, 0.5], batch_size=4),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    ("sphere.toy_metrics", sphere.toy_metrics, lambda: dict(image=X, text=Y), {"image": "emb", "text": "emb"}),
    (
        "sphere.softmax_weights",
        sphere.softmax_weights,
        lambda: dict(similarities=X[0], temperature=0.1),
        {"similarities": "vec"},
    ),
    (
        "six_pairs.uv_to_xyz",
        six_pairs.uv_to_xyz,
        lambda: dict(u_deg=X[0], v_deg=Y[0]),
        {"u_deg": "angles", "v_deg": "angles"},
    ),
    (
        "paired_cones.gap_metrics",
        paired_cones.gap_metrics,
        lambda: dict(image=X, text=Y),
        {"image": "emb", "text": "emb"},
    ),
    (
        "cone.random_layer_init_share",
        cone.random_layer_init_share,
        lambda: dict(prev_outputs=X, n_inits=2, d_out=4),
        {"prev_outputs": "emb"},
    ),
    (
        "loss_terms.clip_loss_terms",
        loss_terms.clip_loss_terms,
        pair_kwargs(temperature=0.1),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "loss_terms.loss_terms_along_shift",
        loss_terms.loss_terms_along_shift,
        pair_kwargs(alphas=[0.0, 0.5]),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "loss_terms.landscape_minimum",
        loss_terms.landscape_minimum,
        pair_kwargs(alpha_range=(-0.1, 0.2), step=0.05),
        {"image_emb": "emb", "text_emb": "emb"},
    ),
    (
        "gap_fate.shared_caption_loss",
        gap_fate.shared_caption_loss,
        lambda: _caption_loss_builder(),
        {"image": "emb", "text": "emb", "caption": "vec"},
    ),
    ("gap_fate.loss_floor", gap_fate.loss_floor, lambda: dict(caption=LABELS), {"caption": "vec"}),
    (
        "gap_fate.is_converged",
        gap_fate.is_converged,
        lambda: dict(losses=[1.0] * 41, gaps=[1.0] * 41, floor=0.0),
        {"losses": "vec", "gaps": "vec"},
    ),
]


def _array_rows():
    return [
        pytest.param(fn, build, arg, make, regex, id=f"{label}-{arg}-{bad_name}")
        for label, fn, build, args in ARRAY_ARGS
        for arg, kind in args.items()
        for bad_name, make, regex, applies in BAD_ARRAYS
        if kind in applies
    ]


@pytest.mark.parametrize("fn, build, arg, make, regex", _array_rows())
def test_bad_array_argument(fn, build, arg, make, regex):
    kwargs = build()
    good = kwargs[arg]
    kwargs[arg] = make(good.numpy() if isinstance(good, torch.Tensor) else np.asarray(good))
    with pytest.raises(ValueError, match=regex):
        fn(**kwargs)


# ---------------------------------------------------------------- scalars, labels, shapes, pairs

BAD_INTS = [(True, r"integer.*\(a bool\)"), (1.7, r"integer.*\(float\)"), (-1, "integer")]
BAD_SEEDS = [(-1, "0 .. 2\\*\\*32"), (2**64, "0 .. 2\\*\\*32"), (True, "integer"), (1.5, "integer")]
BAD_TAUS = [
    (0, "temperature"),
    (-0.1, "temperature"),
    (float("nan"), "temperature"),
    (float("inf"), "temperature"),
    (True, "temperature"),
    ("0.1", "temperature"),
    (1e-320, "overflows"),
]
BAD_BOOLS = [("False", "True or False"), (0, "True or False"), (None, "True or False")]


def _expand(label, fn, build, arg, bads):
    return [pytest.param(fn, build, arg, bad, ValueError, regex, id=f"{label}-{arg}-{bad!r}") for bad, regex in bads]


# ---------------------------------------------------------------- core.loss_terms and toys.gap_fate

LT_TERMS = pair_kwargs(temperature=0.1)
LT_SHIFT = pair_kwargs(alphas=[0.0, 0.5], batch_size=4)
LT_MIN = pair_kwargs(alpha_range=(-0.1, 0.2), step=0.05, batch_size=4)
BAD_PROTOCOLS = [("paper", "protocol"), (None, "protocol"), ("Official", "protocol")]
BAD_GRIDS = [
    ([], "non-empty"),
    ([np.nan], "finite"),
    (["a"], "real numbers"),
    ([0.1 + 1j], "complex"),
    ([True, False], "booleans"),
    ([[0.0], [0.1, 0.2]], "ragged"),
]


def _lt(fn, build, arg, bads):
    return _expand(f"loss_terms.{fn.__name__}", fn, build, arg, bads)


LOSS_TERMS_ROWS = [
    *_lt(loss_terms.clip_loss_terms, LT_TERMS, "temperature", BAD_TAUS),
    *_lt(loss_terms.clip_loss_terms, LT_TERMS, "batch_size", BAD_INTS + [(0, "batch_size")]),
    *_lt(loss_terms.clip_loss_terms, LT_TERMS, "protocol", BAD_PROTOCOLS),
    *_lt(
        loss_terms.clip_loss_terms,
        LT_TERMS,
        "text_emb",
        [(Y[:5], "same number of rows"), (Y[:, :3], "same embedding dimension")],
    ),
    *_lt(loss_terms.loss_terms_along_shift, LT_SHIFT, "temperature", BAD_TAUS),
    *_lt(loss_terms.loss_terms_along_shift, LT_SHIFT, "batch_size", BAD_INTS + [(0, "batch_size")]),
    *_lt(loss_terms.loss_terms_along_shift, LT_SHIFT, "protocol", BAD_PROTOCOLS),
    *_lt(loss_terms.loss_terms_along_shift, LT_SHIFT, "alphas", BAD_GRIDS),
    *_lt(loss_terms.loss_terms_along_shift, pair_kwargs(lams=[0.0, 0.5]), "lams", BAD_GRIDS),
    *_lt(loss_terms.loss_terms_along_shift, LT_SHIFT, "lams", [([0.1], "not both")]),
    *_lt(
        loss_terms.loss_terms_along_shift,
        LT_SHIFT,
        "text_emb",
        [(X, "centroids coincide"), (Y[:5], "same number of rows")],
    ),
    *_lt(loss_terms.landscape_minimum, LT_MIN, "temperature", BAD_TAUS),
    *_lt(loss_terms.landscape_minimum, LT_MIN, "batch_size", BAD_INTS + [(0, "batch_size")]),
    *_lt(loss_terms.landscape_minimum, LT_MIN, "protocol", BAD_PROTOCOLS),
    *_lt(
        loss_terms.landscape_minimum,
        LT_MIN,
        "alpha_range",
        [
            ((0.1, 1.0), "low <= 0"),
            ((0.0, 0.0), "low < high"),
            ((-0.1, np.nan), "alpha_range"),
            ((-0.1, np.inf), "alpha_range"),
            ("ab", "alpha_range"),
            (None, "alpha_range"),
            ((-1, 0, 1), "pair"),
            (0.5, "pair"),
            ((-0.1, 0.2 + 0j), "real number"),
            ((-1.0, True), "real number"),
            (np.array([-0.1, 0.2 + 1j]), "complex"),
            (np.array([True, False]), "booleans"),
        ],
    ),
    *_lt(
        loss_terms.landscape_minimum,
        LT_MIN,
        "step",
        [
            (0, "step"),
            (-1, "step"),
            (True, "step"),
            ("0.05", "step"),
            (np.nan, "step"),
            (1.0, "wider"),
            (1e-7, "too fine"),
        ],
    ),
]

GF_CAPS = lambda: dict(n=5, dim=4)  # noqa: E731
GF_ASSIGN = lambda: dict(n=12, share=2, mismatch=0.25, seed=0)  # noqa: E731
GF_CONV = lambda: dict(losses=[1.0] * 41, gaps=[1.0] * 41, floor=0.0)  # noqa: E731
GF_RUN = lambda: dict(tau=0.1, max_steps=2)  # noqa: E731  (a bad value must fail before the first step)
GF_GRID = lambda: dict(taus=[0.1], dims=[3], shares=[1], mismatches=[0.0], seeds=[0], max_steps=2)  # noqa: E731
BAD_TOY_TAUS = [
    (0, "tau"),
    (-0.1, "tau"),
    (float("nan"), "tau"),
    (float("inf"), "tau"),
    (True, "tau"),
    ("0.1", "tau"),
    ("hot", "tau"),
    (None, "tau"),
    (1e-320, "overflows"),
]
_RUN_ROW = dict(
    tau=0.1,
    dim=3,
    share=1,
    mismatch=0.0,
    seed=0,
    l2m_start=1.0,
    l2m_end=0.5,
    rmg_start=1.0,
    rmg_end=0.5,
    loss_end=0.3,
    loss_floor=0.0,
    tau_end=0.1,
    steps=2,
    converged=False,
    reason="max_steps",
    gap_drift=0.1,
    seconds=0.1,
)


def _gf(fn, build, arg, bads):
    return _expand(f"gap_fate.{fn.__name__}", fn, build, arg, bads)


GAP_FATE_ROWS = [
    *_gf(gap_fate.dim_cap_points, GF_CAPS, "n", BAD_INTS + [(0, "n must")]),
    *_gf(gap_fate.dim_cap_points, GF_CAPS, "dim", BAD_INTS + [(1, "dim must")]),
    *_gf(
        gap_fate.dim_cap_points,
        GF_CAPS,
        "center_deg",
        [(float("nan"), "finite"), ("0", "real number"), (True, "real number")],
    ),
    *_gf(
        gap_fate.dim_cap_points,
        GF_CAPS,
        "width_deg",
        [(0, "width_deg"), (400, "width_deg"), (-10, "width_deg"), (float("nan"), "width_deg"), ("50", "width_deg")],
    ),
    *_gf(gap_fate.dim_cap_points, GF_CAPS, "rng", [(0, "Generator"), (np.random.RandomState(0), "Generator")]),
    *_gf(gap_fate.dim_cap_points, GF_CAPS, "cap_rule", [("uniform", "cap_rule"), (None, "cap_rule")]),
    *_gf(gap_fate.caption_assignment, GF_ASSIGN, "n", BAD_INTS + [(0, "n must"), (13, "divide")]),
    *_gf(gap_fate.caption_assignment, GF_ASSIGN, "share", BAD_INTS + [(0, "share must"), (5, "divide")]),
    *_gf(
        gap_fate.caption_assignment,
        GF_ASSIGN,
        "mismatch",
        [
            (1.5, r"\[0, 1\]"),
            (-0.1, r"\[0, 1\]"),
            (True, "real number"),
            ("0.1", "real number"),
            (float("nan"), "finite"),
            (1.0, "no correctly captioned"),
        ],
    ),
    *_gf(gap_fate.caption_assignment, GF_ASSIGN, "seed", BAD_SEEDS),
    *_gf(
        gap_fate.shared_caption_loss,
        _caption_loss_builder,
        "temperature",
        BAD_TAUS + [(torch.tensor([0.1, 0.2]), "scalar"), (torch.tensor(0.0), "temperature")],
    ),
    *_gf(
        gap_fate.shared_caption_loss,
        _caption_loss_builder,
        "caption",
        [
            (LABELS + 3, r"0\.\.2"),
            (-LABELS - 1, r"0\.\.2"),
            (LABELS + 0.5, "integer"),
            (LABELS[:4], "one caption"),
            (LABELS % 2, "at least one image"),
            ([], "non-empty"),
        ],
    ),
    *_gf(
        gap_fate.shared_caption_loss,
        _caption_loss_builder,
        "text",
        [(torch.from_numpy(Y[:3, :4]), "same embedding dimension"), (torch.zeros(3, D, dtype=torch.bool), "booleans")],
    ),
    *_gf(
        gap_fate.loss_floor,
        lambda: dict(caption=LABELS),
        "caption",
        [([], "non-empty"), ([-1, 0], ">= 0"), ([0.5, 1.0], "integer")],
    ),
    *_gf(gap_fate.is_converged, GF_CONV, "gaps", [([1.0] * 40, "same steps")]),
    *_gf(gap_fate.is_converged, GF_CONV, "floor", [(float("nan"), "finite"), ("0", "real number"), (None, "floor")]),
    *_gf(gap_fate.is_converged, GF_CONV, "check_every", BAD_INTS + [(0, "check_every")]),
    *_gf(gap_fate.is_converged, GF_CONV, "window", BAD_INTS + [(10, "window=10 must be >= check_every")]),
    *_gf(gap_fate.is_converged, GF_CONV, "loss_tol", [(0, "loss_tol"), (float("nan"), "loss_tol"), (True, "loss_tol")]),
    *_gf(gap_fate.is_converged, GF_CONV, "gap_tol", [(-1e-3, "gap_tol"), ("1e-3", "gap_tol")]),
    *_gf(gap_fate.is_converged, GF_CONV, "floor_margin", [(0, "floor_margin"), (float("inf"), "floor_margin")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "tau", BAD_TOY_TAUS),
    *_gf(gap_fate.gap_fate, GF_RUN, "dim", BAD_INTS + [(1, "dim must")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "share", BAD_INTS + [(0, "share must"), (5, "divide"), (48, "2 captions")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "n", BAD_INTS + [(1, "n must"), (47.0, "n must")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "seed", BAD_SEEDS),
    *_gf(
        gap_fate.gap_fate,
        GF_RUN,
        "mismatch",
        [(1.5, r"\[0, 1\]"), (True, "real number"), ("0.25", "real number"), (1.0, "no correctly captioned")],
    ),
    *_gf(gap_fate.gap_fate, GF_RUN, "max_steps", BAD_INTS + [(0, "max_steps")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "lr", [(0, "lr"), ("0.01", "lr"), (float("nan"), "lr")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "gap_deg", [(float("nan"), "finite"), ("140", "real number")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "width_deg", [(0, "width_deg"), (361, "width_deg")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "cap_rule", [("uniform", "cap_rule")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "history", BAD_BOOLS),
    *_gf(gap_fate.gap_fate, GF_RUN, "check_every", BAD_INTS),
    *_gf(gap_fate.gap_fate, GF_RUN, "window", [(10, "window=10 must be >= check_every"), (True, "window")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "loss_tol", [(0, "loss_tol")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "gap_tol", [("2e-3", "gap_tol")]),
    *_gf(gap_fate.gap_fate, GF_RUN, "floor_margin", [(-0.01, "floor_margin")]),
    *_gf(gap_fate.phase_grid, GF_GRID, "taus", [([0.1, 0.0], "tau"), ([], "empty"), (0.1, "list"), ("0.1", "list")]),
    *_gf(gap_fate.phase_grid, GF_GRID, "dims", [([3, 1], "dim"), (None, "list")]),
    *_gf(gap_fate.phase_grid, GF_GRID, "shares", [([1, 5], "divide")]),
    *_gf(gap_fate.phase_grid, GF_GRID, "mismatches", [([0.0, 1.5], "mismatch")]),
    *_gf(gap_fate.phase_grid, GF_GRID, "seeds", [([0, -1], "seed"), ([], "empty")]),
    *_gf(gap_fate.phase_grid, GF_GRID, "mismatch_shares", [([0], "mismatch_shares"), (1, "list")]),
    *_gf(gap_fate.phase_grid, GF_GRID, "progress", BAD_BOOLS),
    *_gf(gap_fate.phase_grid, GF_GRID, "max_steps", [(0, "max_steps")]),
    *_gf(gap_fate.phase_grid, GF_GRID, "tau", [(0.1, "sets")]),
    *_gf(
        gap_fate.summarize,
        lambda: dict(grid={"runs": [dict(_RUN_ROW)]}),
        "grid",
        [
            (None, "grid must"),
            ([], "grid must"),
            ({"runs": []}, "non-empty"),
            ({"runs": 5}, "grid must"),
            ({"runs": [{}]}, "lacks"),
            ({"runs": [{**_RUN_ROW, "l2m_start": 0.0}]}, "l2m_start"),
            ({"runs": [{**_RUN_ROW, "l2m_end": float("nan")}]}, "l2m_end"),
            ({"runs": [{**_RUN_ROW, "steps": "2"}]}, "steps"),
        ],
    ),
]


SCALAR_ROWS = [
    # pairs: widths and row counts
    *_expand("metrics.l2m", metrics.l2m, pair_kwargs(), "text_emb", [(Y[:, :3], "same embedding dimension")]),
    *_expand("metrics.rmg", metrics.rmg, pair_kwargs(), "text_emb", [(Y[:5], "text_to_image"), (Y[:1], "at least 2")]),
    *_expand(
        "metrics.rmg",
        metrics.rmg,
        pair_kwargs(),
        "text_to_image",
        [
            (np.arange(N) + 1, "outside"),
            ([0.5] * N, "integer"),
            ([True] * N, "booleans"),
            (np.arange(N - 1), "one entry per text"),
            ([[0, 1], [2]], "ragged|one entry"),
        ],
    ),
    *_expand("metrics.l2i", metrics.l2i, pair_kwargs(), "text_to_image", [(-np.ones(N, int), "outside")]),
    *_expand(
        "losses.clip_loss",
        losses.clip_loss,
        _losses_builder,
        "text_emb",
        [
            (torch.from_numpy(Y[:5]), "same number of rows"),
            (torch.from_numpy(Y[:, :3]), "same embedding"),
            (torch.zeros(N, D, dtype=torch.bool), "booleans"),
        ],
    ),
    *_expand(
        "losses.clip_loss",
        losses.clip_loss,
        _losses_builder,
        "temperature",
        BAD_TAUS + [(torch.tensor([0.1, 0.2]), "scalar"), (torch.tensor(0.0), "temperature")],
    ),
    *_expand(
        "losses.clip_loss", losses.clip_loss, _losses_builder, "direction", [("up", "direction"), (1, "direction")]
    ),
    *_expand("losses.align_loss", losses.align_loss, lambda: dict(x=X, y=Y), "y", [(Y[:4], "same number of rows")]),
    *_expand(
        "losses.align_loss",
        losses.align_loss,
        lambda: dict(x=X, y=Y),
        "alpha",
        [(0, "alpha"), (float("nan"), "alpha"), (True, "alpha")],
    ),
    *_expand("losses.uniform_loss", losses.uniform_loss, lambda: dict(x=X), "t", [(-1, "t must"), ("2", "t must")]),
    *_expand("losses.uniform_loss", losses.uniform_loss, lambda: dict(x=X), "x", [(X[:1], "at least 2")]),
    *_expand(
        "losses.inverse_temperature", losses.inverse_temperature, lambda: dict(tau=0.1), "tau", [(1e-320, "overflows")]
    ),
    # labels and booleans
    *_expand(
        "metrics.moad",
        metrics.moad,
        lambda: dict(emb=X, object_labels=LABELS, attribute_labels=ATTRS),
        "exact_official",
        BAD_BOOLS,
    ),
    *_expand(
        "metrics.moad",
        metrics.moad,
        lambda: dict(emb=X, object_labels=LABELS, attribute_labels=ATTRS),
        "object_labels",
        [
            (LABELS[:5], "one label per row"),
            (LABELS + 0.5j, "complex"),
            (np.where(LABELS == 0, np.nan, LABELS), "NaN"),
            (np.zeros(N), "single class"),
            ([[1, 2]] * N, "1-D"),
            ([1, "a", None] * 4, "mixed|objects"),
        ],
    ),
    *_expand(
        "metrics.intra_inter_cosine",
        metrics.intra_inter_cosine,
        lambda: dict(emb=X, labels=LABELS),
        "exact_official",
        BAD_BOOLS,
    ),
    *_expand(
        "metrics.intra_inter_cosine",
        metrics.intra_inter_cosine,
        lambda: dict(emb=X, labels=LABELS),
        "labels",
        [(np.arange(N), "single sample"), (None, "None")],
    ),
    *_expand(
        "dimensions.zero_shot_accuracy",
        dimensions.zero_shot_accuracy,
        lambda: dict(image_emb=X, class_text_emb=Y[:3], labels=LABELS),
        "labels",
        [(LABELS + 3, "0..2"), (LABELS + 0.5, "integer"), (LABELS[:4], "one label per row"), (-LABELS - 1, "0..2")],
    ),
    *_expand(
        "dimensions.retrieval_recall",
        dimensions.retrieval_recall,
        pair_kwargs(),
        "k",
        BAD_INTS + [(0, "between 1"), (N + 1, "between 1")],
    ),
    *_expand(
        "dimensions.retrieval_recall",
        dimensions.retrieval_recall,
        pair_kwargs(),
        "direction",
        [("both", "direction"), (None, "direction")],
    ),
    *_expand(
        "dimensions.ablate_dimensions",
        dimensions.ablate_dimensions,
        pair_kwargs(k=1),
        "k",
        BAD_INTS + [(D, "between 0")],
    ),
    *_expand(
        "dimensions.ablate_dimensions",
        dimensions.ablate_dimensions,
        pair_kwargs(k=1),
        "order",
        [
            (np.arange(D - 1), "permutation"),
            (np.zeros(D, int), "permutation"),
            (np.arange(D) + 0.0, "permutation"),
            ([[0, 1], [2]], "permutation"),
        ],
    ),
    *_expand(
        "dimensions.ablation_curve",
        dimensions.ablation_curve,
        pair_kwargs(ks=[0, 1]),
        "ks",
        [([True], "each k"), ([1.7], "each k"), ([-1], "each k"), ([D], "each k"), ([], "empty"), (5, "iterable")],
    ),
    *_expand(
        "dimensions.ablation_curve", dimensions.ablation_curve, pair_kwargs(ks=[0, 1]), "metric", [("cosine", "metric")]
    ),
    *_expand(
        "dimensions.ablation_curve", dimensions.ablation_curve, pair_kwargs(ks=[0, 1]), "score", [("r5", "score")]
    ),
    *_expand("dimensions.gap_metric", dimensions.gap_metric, pair_kwargs(), "metric", [("RMG", "metric")]),
    *_expand(
        "dimensions.two_gap_dimensions",
        dimensions.two_gap_dimensions,
        pair_kwargs(),
        "rule",
        [("largest", "rule must be one of")],
    ),
    *_expand("dimensions.pca", dimensions.pca, lambda: dict(x=X), "n_components", BAD_INTS + [(0, "positive")]),
    *_expand("dimensions.pca", dimensions.pca, lambda: dict(x=X), "x", [(np.ones((4, 3)), "zero variance")]),
    *_expand(
        "rank_statistics.kendall_with_permutation",
        rank_statistics.kendall_with_permutation,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], n_resamples=9),
        "n_resamples",
        BAD_INTS + [(0, "n_resamples")],
    ),
    *_expand(
        "rank_statistics.kendall_with_permutation",
        rank_statistics.kendall_with_permutation,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], n_resamples=9),
        "seed",
        BAD_SEEDS,
    ),
    *_expand(
        "rank_statistics.kendall_with_permutation",
        rank_statistics.kendall_with_permutation,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], n_resamples=9),
        "performance",
        [(Y[:5, 0], "one value per model")],
    ),
    *_expand(
        "rank_statistics.kendall_within_groups",
        rank_statistics.kendall_within_groups,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], groups=LABELS, n_resamples=9),
        "seed",
        BAD_SEEDS,
    ),
    *_expand(
        "rank_statistics.kendall_within_groups",
        rank_statistics.kendall_within_groups,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], groups=LABELS, n_resamples=9),
        "groups",
        [
            (LABELS[:3], "one group label per model"),
            (np.arange(N), "single model"),
            ([[0]] * N, "one group label per model"),
        ],
    ),
    *_expand(
        "rank_statistics.pooled_within_group_tau",
        rank_statistics.pooled_within_group_tau,
        lambda: dict(gap=X[:, 0], performance=Y[:, 0], groups=LABELS),
        "groups",
        [(LABELS + 1j, "one group label per model")],
    ),
    *_expand(
        "procrustes.procrustes_rotation",
        procrustes.procrustes_rotation,
        pair_kwargs(),
        "text_emb",
        [(Y[:5], "same number of rows"), (Y[:, :2], "same embedding dimension")],
    ),
    *_expand(
        "procrustes.apply_rotation",
        procrustes.apply_rotation,
        lambda: dict(text_emb=Y, w=np.eye(D)),
        "w",
        [(np.eye(3), "square"), (np.zeros((D, D)), "orthogonal"), (2 * np.eye(D), "orthogonal")],
    ),
    *_expand(
        "cone.layerwise_cosine",
        cone.layerwise_cosine,
        lambda: dict(activation="relu", n=8, dim=4),
        "n_layers",
        BAD_INTS,
    ),
    *_expand(
        "cone.layerwise_cosine", cone.layerwise_cosine, lambda: dict(activation="relu", n=8, dim=4), "seed", BAD_SEEDS
    ),
    *_expand(
        "cone.layerwise_cosine",
        cone.layerwise_cosine,
        lambda: dict(activation="relu", n=8, dim=4),
        "include_diagonal",
        BAD_BOOLS,
    ),
    *_expand(
        "cone.layerwise_cosine",
        cone.layerwise_cosine,
        lambda: dict(activation="relu", n=8, dim=4),
        "activation",
        [("gelu", "activation")],
    ),
    *_expand(
        "cone.layerwise_cosine",
        cone.layerwise_cosine,
        lambda: dict(activation="relu", n=8, dim=4),
        "n",
        [(1, "n must"), (np.float64(8), "n must")],
    ),
    *_expand(
        "cone.mean_pairwise_cosine", cone.mean_pairwise_cosine, lambda: dict(emb=X), "include_diagonal", BAD_BOOLS
    ),
    *_expand(
        "cone.cone_half_angle_deg",
        cone.cone_half_angle_deg,
        lambda: dict(mean_cos=0.5),
        "mean_cos",
        [
            (1.5, r"\[-1, 1\]"),
            ("0.5", "real number"),
            (float("nan"), "finite"),
            (True, "real number"),
            (0.5 + 0j, "real number"),
        ],
    ),
    *_expand(
        "cone.random_layer_init_share",
        cone.random_layer_init_share,
        lambda: dict(prev_outputs=X, n_inits=2, d_out=4),
        "n_inits",
        BAD_INTS + [(1, "n_inits")],
    ),
    *_expand(
        "cone.random_layer_init_share",
        cone.random_layer_init_share,
        lambda: dict(prev_outputs=X, n_inits=2, d_out=4),
        "d_out",
        BAD_INTS + [(0, "d_out")],
    ),
    *_expand(
        "cone.random_layer_init_share",
        cone.random_layer_init_share,
        lambda: dict(prev_outputs=X, n_inits=2, d_out=4),
        "bias",
        BAD_BOOLS,
    ),
    *_expand(
        "cone.random_layer_init_share",
        cone.random_layer_init_share,
        lambda: dict(prev_outputs=X, n_inits=2, d_out=4),
        "seed",
        BAD_SEEDS,
    ),
    *_expand(
        "cone.random_layer_init_share",
        cone.random_layer_init_share,
        lambda: dict(prev_outputs=X, n_inits=2, d_out=4),
        "activation",
        [("gelu", "activation")],
    ),
    *_expand(
        "cone.random_layer_init_share",
        cone.random_layer_init_share,
        lambda: dict(prev_outputs=X, n_inits=2, d_out=4),
        "prev_outputs",
        [(X[:1], "at least 2")],
    ),
    *_expand("cone.sigmoid_toy", cone.sigmoid_toy, lambda: dict(n_layers=2), "seed", BAD_SEEDS),
    *_expand("cone.sigmoid_toy", cone.sigmoid_toy, lambda: dict(n_layers=2), "n_layers", BAD_INTS),
    *_expand(
        "cone.sigmoid_toy",
        cone.sigmoid_toy,
        lambda: dict(n_layers=2),
        "weight_std",
        [(0, "weight_std"), ("1", "weight_std")],
    ),
    *_expand(
        "cone.angular_spread_deg",
        cone.angular_spread_deg,
        lambda: dict(points=X[:, :2]),
        "points",
        [(X[:, :3], r"\(N, 2\)")],
    ),
    *_expand(
        "cone.theorem1_condition",
        cone.theorem1_condition,
        lambda: dict(u=X[0], v=Y[0]),
        "v",
        [(Y[0, :3], "same length")],
    ),
    *_expand(
        "cone.relu_layer_cosines", cone.relu_layer_cosines, lambda: dict(u=X[0], v=Y[0], trials=2), "d_out", BAD_INTS
    ),
    *_expand(
        "cone.relu_layer_cosines", cone.relu_layer_cosines, lambda: dict(u=X[0], v=Y[0], trials=2), "seed", BAD_SEEDS
    ),
    *_expand(
        "cone.variance_decomposition",
        cone.variance_decomposition,
        lambda: dict(embeddings=np.stack([X, Y])),
        "embeddings",
        [(np.stack([X]), "at least 2 seeds"), (np.ones((2, 3, 2)), "zero variance")],
    ),
    *_expand(
        "shift.shift_embeddings",
        shift.shift_embeddings,
        pair_kwargs(alpha=0.3),
        "alpha",
        [(float("nan"), "finite"), ("0.3", "real number"), (True, "real number")],
    ),
    *_expand("shift.shift_embeddings", shift.shift_embeddings, pair_kwargs(alpha=0.3), "lam", [(0.3, "exactly one")]),
    *_expand(
        "shift.shift_images_only",
        shift.shift_images_only,
        pair_kwargs(lam=0.3),
        "lam",
        [(float("inf"), "finite"), (None, "real number")],
    ),
    *_expand("shift.gap_direction", shift.gap_direction, pair_kwargs(), "text_emb", [(X, "gap = 0")]),
    *_expand(
        "shift.alpha_to_lam",
        shift.alpha_to_lam,
        lambda: dict(alpha=0.5, gap_norm=0.8),
        "gap_norm",
        [(0, "gap_norm"), (float("nan"), "gap_norm"), (True, "gap_norm")],
    ),
    *_expand(
        "shift.alpha_to_lam",
        shift.alpha_to_lam,
        lambda: dict(alpha=0.5, gap_norm=0.8),
        "alpha",
        [(float("nan"), "finite"), ("1", "real number")],
    ),
    *_expand(
        "shift.signed_gap",
        shift.signed_gap,
        pair_kwargs(pc1=np.ones(D)),
        "pc1",
        [
            (np.zeros(D), "all-zero"),
            (np.full(D, np.nan), "NaN"),
            (np.ones(D + 1), "pc1 must have"),
            (np.ones(D) + 1j, "complex"),
        ],
    ),
    *_expand(
        "shift.batched_clip_loss", shift.batched_clip_loss, pair_kwargs(batch_size=4), "temperature", BAD_TAUS[:-1]
    ),
    *_expand(
        "shift.batched_clip_loss",
        shift.batched_clip_loss,
        pair_kwargs(batch_size=4),
        "batch_size",
        BAD_INTS + [(0, "batch_size")],
    ),
    *_expand(
        "shift.batched_clip_loss",
        shift.batched_clip_loss,
        pair_kwargs(batch_size=4),
        "protocol",
        [("paper", "protocol")],
    ),
    *_expand("shift.batched_clip_loss", shift.batched_clip_loss, pair_kwargs(batch_size=4), "drop_last", BAD_BOOLS),
    *_expand(
        "shift.batched_clip_loss",
        shift.batched_clip_loss,
        pair_kwargs(batch_size=4),
        "text_emb",
        [(Y[:5], "same number of rows")],
    ),
    *_expand(
        "shift.loss_landscape",
        shift.loss_landscape,
        pair_kwargs(alphas=[0.0, 0.5], batch_size=4),
        "alphas",
        [([], "non-empty"), ([np.nan], "finite"), (["a"], "real numbers"), ([0.1 + 1j], "complex")],
    ),
    *_expand(
        "shift.loss_landscape",
        shift.loss_landscape,
        pair_kwargs(alphas=[0.0, 0.5], batch_size=4),
        "temperatures",
        [([0.0], "temperature"), ([1e-320], "overflows")],
    ),
    *_expand(
        "shift.loss_landscape",
        shift.loss_landscape,
        pair_kwargs(alphas=[0.0, 0.5], batch_size=4),
        "batch_size",
        BAD_INTS,
    ),
    *_expand(
        "shift.loss_landscape",
        shift.loss_landscape,
        pair_kwargs(alphas=[0.0, 0.5], batch_size=4),
        "lams",
        [([0.1], "not both")],
    ),
    *_expand("sphere.initial_points", sphere.initial_points, lambda: dict(n=8), "n", BAD_INTS + [(1, "n must")]),
    *_expand("sphere.initial_points", sphere.initial_points, lambda: dict(n=8), "seed", BAD_SEEDS),
    *_expand(
        "sphere.initial_points",
        sphere.initial_points,
        lambda: dict(n=8),
        "width_deg",
        [(0, "width_deg"), (400, "width_deg"), (float("nan"), "width_deg")],
    ),
    *_expand("sphere.train_toy", sphere.train_toy, lambda: dict(n=8, steps=2), "steps", BAD_INTS + [(0, "steps")]),
    *_expand("sphere.train_toy", sphere.train_toy, lambda: dict(n=8, steps=2), "record_every", [(True, "record")]),
    *_expand("sphere.train_toy", sphere.train_toy, lambda: dict(n=8, steps=2), "temperature", BAD_TAUS[:-1]),
    *_expand("sphere.train_toy", sphere.train_toy, lambda: dict(n=8, steps=2), "lr", [(0, "lr"), ("0.1", "lr")]),
    *_expand("sphere.train_toy", sphere.train_toy, lambda: dict(n=8, steps=2), "objective", [("gap", "objective")]),
    *_expand("sphere.train_toy", sphere.train_toy, lambda: dict(n=8, steps=2), "seed", BAD_SEEDS),
    *_expand(
        "sphere.nearest_grid_temperature",
        sphere.nearest_grid_temperature,
        lambda: dict(temperature=0.1),
        "temperature",
        BAD_TAUS[:-1],
    ),
    *_expand("sphere.clip_run", sphere.clip_run, lambda: dict(temperature=0.1), "seed", BAD_SEEDS),
    *_expand("sphere.clip_run", sphere.clip_run, lambda: dict(temperature=0.1), "temperature", BAD_TAUS[:-1]),
    *_expand("sphere.temperature_sweep", sphere.temperature_sweep, lambda: dict(), "seed", BAD_SEEDS),
    *_expand(
        "sphere.softmax_weights",
        sphere.softmax_weights,
        lambda: dict(similarities=X[0], temperature=0.1),
        "temperature",
        BAD_TAUS[:-1] + [(1e-310, "overflows")],
    ),
    *_expand(
        "sphere.softmax_weights",
        sphere.softmax_weights,
        lambda: dict(similarities=X[0], temperature=0.1),
        "similarities",
        [([], "1-D")],
    ),
    *_expand(
        "sphere.toy_metrics",
        sphere.toy_metrics,
        lambda: dict(image=X, text=Y),
        "text",
        [(Y[:4], "same number of rows")],
    ),
    *_expand(
        "six_pairs.sphere_toy",
        six_pairs.sphere_toy,
        lambda: dict(delta_theta_deg=10.0),
        "delta_theta_deg",
        [(100, r"\[-90, 90\]"), ("10", "real number"), (float("nan"), "finite"), (True, "real number")],
    ),
    *_expand("six_pairs.sphere_toy", six_pairs.sphere_toy, lambda: dict(delta_theta_deg=10.0), "mismatched", BAD_BOOLS),
    *_expand(
        "six_pairs.sphere_toy_loss",
        six_pairs.sphere_toy_loss,
        lambda: dict(delta_theta_deg=10.0, temperature=0.1),
        "temperature",
        BAD_TAUS,
    ),
    *_expand(
        "six_pairs.sphere_toy_centroid_gap",
        six_pairs.sphere_toy_centroid_gap,
        lambda: dict(delta_theta_deg=10.0),
        "delta_theta_deg",
        [(-91, r"\[-90, 90\]")],
    ),
    *_expand(
        "six_pairs.sphere_toy_curves",
        six_pairs.sphere_toy_curves,
        lambda: dict(deltas=[0.0, 10.0]),
        "deltas",
        [([95.0], r"\[-90, 90\]"), ([np.nan], "finite"), ([1j], "complex")],
    ),
    *_expand(
        "six_pairs.sphere_toy_curves",
        six_pairs.sphere_toy_curves,
        lambda: dict(deltas=[0.0, 10.0]),
        "temperatures",
        [([0.0], "temperature"), ([1e-320], "overflows")],
    ),
    *_expand(
        "six_pairs.sphere_toy_curves",
        six_pairs.sphere_toy_curves,
        lambda: dict(deltas=[0.0, 10.0]),
        "mismatched",
        BAD_BOOLS,
    ),
    *_expand(
        "six_pairs.uv_to_xyz",
        six_pairs.uv_to_xyz,
        lambda: dict(u_deg=X[0], v_deg=Y[0]),
        "v_deg",
        [(Y[0, :4], "broadcast")],
    ),
    *_expand(
        "paired_cones.paired_cones", paired_cones.paired_cones, lambda: dict(n=8, d=4), "n", BAD_INTS + [(1, "n must")]
    ),
    *_expand("paired_cones.paired_cones", paired_cones.paired_cones, lambda: dict(n=8, d=4), "seed", BAD_SEEDS),
    *_expand(
        "paired_cones.paired_cones",
        paired_cones.paired_cones,
        lambda: dict(n=8, d=4),
        "match",
        [(1.5, r"\[0, 1\]"), (True, "real number"), ("0.5", "real number")],
    ),
    *_expand(
        "paired_cones.paired_cones",
        paired_cones.paired_cones,
        lambda: dict(n=8, d=4),
        "distance",
        [(2.0, "< 2"), (-0.1, ">= 0")],
    ),
    *_expand(
        "paired_cones.gap_metrics",
        paired_cones.gap_metrics,
        lambda: dict(image=X, text=Y),
        "text",
        [(Y[:4], "same number of rows")],
    ),
    *_expand(
        "paired_cones.metric_sweep",
        paired_cones.metric_sweep,
        lambda: dict(parameter="match", values=[0.5], n=8, d=4),
        "parameter",
        [("gap", "parameter")],
    ),
    *_expand(
        "paired_cones.metric_sweep",
        paired_cones.metric_sweep,
        lambda: dict(parameter="match", values=[0.5], n=8, d=4),
        "values",
        [([], "empty"), (["a"], "real")],
    ),
    *_expand(
        "cone.arccos_kernel_cosine",
        cone.arccos_kernel_cosine,
        lambda: dict(theta=np.pi / 2),
        "theta",
        [
            (float("nan"), "finite"),
            (-0.1, "between 0 and pi"),
            (4.0, "between 0 and pi"),
            ("a", "real numbers"),
            (None, "None"),
            ([], "finite"),
            (1j, "complex"),
        ],
    ),
    *_expand(
        "six_pairs.lift_curvature",
        six_pairs.lift_curvature,
        lambda: dict(cosines=np.eye(3), temperature=0.1),
        "cosines",
        [
            (np.ones((2, 3)), "square"),
            (np.full((3, 3), np.nan), "finite"),
            (np.ones((0, 0)), "non-empty"),
            (None, "None"),
        ],
    ),
    *_expand(
        "six_pairs.lift_curvature",
        six_pairs.lift_curvature,
        lambda: dict(cosines=np.eye(3), temperature=0.1),
        "temperature",
        BAD_TAUS,
    ),
    *_expand(
        "six_pairs.sphere_toy_curvature",
        six_pairs.sphere_toy_curvature,
        lambda: dict(temperature=0.1),
        "temperature",
        BAD_TAUS,
    ),
    *_expand(
        "six_pairs.sphere_toy_curvature",
        six_pairs.sphere_toy_curvature,
        lambda: dict(temperature=0.1),
        "mismatched",
        [("yes", "True or False"), (1, "True or False")],
    ),
    *LOSS_TERMS_ROWS,
    *GAP_FATE_ROWS,
]


@pytest.mark.parametrize("fn, build, arg, bad, exc, regex", SCALAR_ROWS)
def test_bad_argument(fn, build, arg, bad, exc, regex):
    kwargs = build()
    kwargs[arg] = bad
    with pytest.raises(exc, match=regex):
        fn(**kwargs)


def test_shift_landscape_methods_check_their_arguments():
    land = shift.loss_landscape(X, Y, temperatures=(0.1,), alphas=[0.0, 0.5], batch_size=4)
    for method in (land.loss_at, land.minimum):
        for bad, regex in BAD_TAUS:
            with pytest.raises(ValueError, match=regex):
                method(bad)
        with pytest.raises(ValueError, match="protocol"):
            method(0.1, protocol="paper")


def test_loss_terms_change_checks_its_arguments():
    terms = loss_terms.loss_terms_along_shift(X, Y, 0.1, alphas=[0.0, 0.5], batch_size=4)
    assert terms.change(0.0, 0.5)["alpha_to"] == 0.5
    for bad, regex in [(float("nan"), "finite"), ("0.5", "real number"), (None, "real number"), (True, "real")]:
        with pytest.raises(ValueError, match="alpha_from must be .*" + regex):
            terms.change(bad, 0.5)
        with pytest.raises(ValueError, match="alpha_to must be .*" + regex):
            terms.change(0.0, bad)


# ---------------------------------------------------------------- every public function has a row

SKIPPED_MODULES = {"validation"}  # the vocabulary itself: tested below, its functions are the checks


def _discover_modules() -> tuple:
    """Every public module of ``modgap_edu.core`` and ``modgap_edu.toys`` (pkgutil), so a new module is covered."""
    found = []
    for package in (modgap_edu.core, modgap_edu.toys):
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_") and info.name not in SKIPPED_MODULES:
                found.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return tuple(found)


MODULES = _discover_modules()
#: public functions without a bad-input row, and why
EXEMPT = {
    "metrics.unit_rows": "kernel on already validated arrays (documented precondition)",
    "losses.unit_rows_torch": "kernel on already validated tensors (documented precondition)",
    "shift.few_blas_threads": "takes no arguments",
}


def _public_functions():
    for mod in MODULES:
        short = mod.__name__.rsplit(".", 1)[-1]
        for name, obj in vars(mod).items():
            if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == mod.__name__:
                yield f"{short}.{name}"


def test_module_discovery_finds_core_and_toys():
    names = [m.__name__.rsplit(".", 1)[-1] for m in MODULES]
    assert len(names) == len(set(names)), f"two modules share a short name, the row labels would clash: {names}"
    assert {"metrics", "losses", "shift", "loss_terms", "sphere", "gap_fate"} <= set(names)
    assert "validation" not in names
    assert set(EXEMPT) <= set(_public_functions()), "an EXEMPT entry names no public function (renamed / removed?)"


def test_every_public_function_has_a_row():
    covered = {label for label, *_ in ARRAY_ARGS}
    covered |= {p.id.split("-")[0] for p in SCALAR_ROWS}
    missing = sorted(set(_public_functions()) - covered - set(EXEMPT))
    assert not missing, f"public functions without a bad-input row in tests/core/test_bad_inputs.py: {missing}"


# ---------------------------------------------------------------- the validation vocabulary itself


@pytest.mark.parametrize(
    "value, ok",
    [(3, True), (np.int64(3), True), (True, False), (np.bool_(True), False), (3.0, False), ("3", False), (None, False)],
)
def test_integer_accepts_integers_only(value, ok):
    if ok:
        assert V.integer(value, "k", 0, 5) == 3
    else:
        with pytest.raises(ValueError, match="k must be an integer between 0 and 5"):
            V.integer(value, "k", 0, 5)


@pytest.mark.parametrize("value", [0, 2**32 - 1, np.uint32(7)])
def test_seed_range_accepts_numpy_and_torch_seeds(value):
    s = V.seed(value)
    np.random.default_rng(s)
    torch.manual_seed(s)


def test_choice_rejects_unhashable_and_lookalike_values():
    with pytest.raises(ValueError, match="direction must be one of"):
        V.choice(np.array(["both", "both"]), ("both",), "direction")
    with pytest.raises(ValueError, match="flag must be one of"):
        V.choice(1, (True, False), "flag")
    assert V.choice(np.str_("both"), ("both",), "direction") == "both"


def test_tensor_keeps_the_autograd_graph_and_upcasts_half():
    x = torch.randn(4, 3, dtype=torch.float16, requires_grad=True)
    t = V.tensor(x, "x")
    assert t.dtype == torch.float32 and t.requires_grad
    t.sum().backward()
    assert x.grad is not None and x.grad.dtype == torch.float16


# ---------------------------------------------------------------- positive rows: up-casts and scale invariance


def _half_inputs(kind: str):
    x16 = X.astype(np.float16)
    y16 = Y.astype(np.float16)
    if kind == "float16":
        return x16, y16, x16.astype(np.float32), y16.astype(np.float32)
    xb = torch.from_numpy(X).to(torch.bfloat16)
    yb = torch.from_numpy(Y).to(torch.bfloat16)
    return xb, yb, xb.float(), yb.float()


HALF_ROWS = [
    ("l2m", lambda x, y: metrics.l2m(x, y)),
    ("rmg", lambda x, y: metrics.rmg(x, y)),
    ("l2i", lambda x, y: metrics.l2i(x, y)),
    ("moad", lambda x, y: metrics.moad(x, LABELS, ATTRS)),
    ("mean_pairwise_cosine", lambda x, y: cone.mean_pairwise_cosine(x)),
    ("procrustes", lambda x, y: procrustes.procrustes_rotation(x, y)),
    ("zero_shot", lambda x, y: dimensions.zero_shot_accuracy(x, y[:3], LABELS)),
    ("clip_loss", lambda x, y: float(losses.clip_loss(torch.as_tensor(x), torch.as_tensor(y), 0.05))),
    ("align_loss", lambda x, y: float(losses.align_loss(torch.as_tensor(x), torch.as_tensor(y)))),
    ("uniform_loss", lambda x, y: float(losses.uniform_loss(torch.as_tensor(x)))),
    ("batched_clip_loss", lambda x, y: shift.batched_clip_loss(x, y, 0.05, batch_size=4)),
    ("clip_loss_terms", lambda x, y: loss_terms.clip_loss_terms(x, y, 0.05, batch_size=4).total),
    (
        "shared_caption_loss",
        lambda x, y: float(gap_fate.shared_caption_loss(torch.as_tensor(x), torch.as_tensor(y[:3]), LABELS, 0.05)),
    ),
]


@pytest.mark.parametrize("kind", ["float16", "bfloat16"])
@pytest.mark.parametrize("name, fn", HALF_ROWS, ids=[r[0] for r in HALF_ROWS])
def test_half_precision_is_upcast_to_the_float32_answer(kind, name, fn):
    x, y, x32, y32 = _half_inputs(kind)
    np.testing.assert_allclose(fn(x, y), fn(x32, y32), rtol=1e-5, atol=1e-6)


SCALE_ROWS = [
    ("gap_vector", lambda x, y: metrics.gap_vector(x, y)),
    ("l2m", lambda x, y: metrics.l2m(x, y)),
    ("rmg", lambda x, y: metrics.rmg_terms(x, y)["rmg"]),
    ("rmg_pairwise", lambda x, y: metrics.rmg_pairwise(x, y)),
    ("l2i", lambda x, y: metrics.l2i(x, y)),
    ("moad", lambda x, y: metrics.moad(x, LABELS, ATTRS, exact_official=True)),
    ("mean_pairwise_cosine", lambda x, y: cone.mean_pairwise_cosine(x)),
    ("mean_pairwise_cosine_diag", lambda x, y: cone.mean_pairwise_cosine(x, include_diagonal=True)),
    ("pairwise_cosines", lambda x, y: cone.pairwise_cosines(x)),
    ("theorem1_condition", lambda x, y: [cone.theorem1_condition(x[i], y[i]) for i in range(N)]),
    ("theorem1_condition_unequal", lambda x, y: [cone.theorem1_condition(x[i], 3 * y[i]) for i in range(N)]),
    ("procrustes", lambda x, y: procrustes.procrustes_rotation(x, y)),
    ("retrieval", lambda x, y: dimensions.retrieval_recall(x, y, k=2)),
    ("zero_shot", lambda x, y: dimensions.zero_shot_accuracy(x, y[:3], LABELS)),
    ("ablation", lambda x, y: dimensions.ablation_curve(x, y, ks=[0, 2])["gap"]),
    ("pc1", lambda x, y: shift.pc1_direction(x, y)),
    ("shift", lambda x, y: shift.shift_embeddings(x, y, alpha=0.4)[0]),
    ("batched_clip_loss", lambda x, y: shift.batched_clip_loss(x, y, 0.05, batch_size=4)),
    ("clip_loss", lambda x, y: float(losses.clip_loss(torch.from_numpy(x), torch.from_numpy(y), 0.05))),
    ("align_loss", lambda x, y: float(losses.align_loss(x, y))),
    ("uniform_loss", lambda x, y: float(losses.uniform_loss(x))),
    ("toy_gap_metrics", lambda x, y: list(paired_cones.gap_metrics(x, y).values())),
    ("clip_loss_terms", lambda x, y: list(vars(loss_terms.clip_loss_terms(x, y, 0.05, batch_size=4)).values())),
    ("loss_terms_along_shift", lambda x, y: loss_terms.loss_terms_along_shift(x, y, 0.05, alphas=[0.0, 0.3]).total),
    (
        "shared_caption_loss",
        lambda x, y: float(gap_fate.shared_caption_loss(torch.from_numpy(x), torch.from_numpy(y[:3]), LABELS, 0.05)),
    ),
]


@pytest.mark.parametrize("scale", [1e-300, 1e300])
@pytest.mark.parametrize("name, fn", SCALE_ROWS, ids=[r[0] for r in SCALE_ROWS])
def test_functions_of_directions_do_not_depend_on_the_scale(scale, name, fn):
    want = fn(X, Y)
    got = fn(X * scale, Y * scale)
    assert np.all(np.isfinite(np.asarray(got, dtype=float)))
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("tau", [1e-3, 1e-30, 1e-45, 1e-300])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_clip_loss_is_finite_for_any_positive_temperature(tau, dtype):
    """Issue 14: 1/tau used to overflow float32 into NaN. The logits go to float64 when needed, so the loss
    is finite for any tau > 0 and, at tiny tau, equals its limit mean margin (max_j s_ij - s_ii) / tau."""
    x = torch.from_numpy(X).to(dtype).requires_grad_(True)
    loss = losses.clip_loss(x, torch.from_numpy(Y).to(dtype), tau)
    assert torch.isfinite(loss)
    loss.backward()
    if 1.0 / tau < torch.finfo(dtype).max / 1e3:  # the gradient (~1/tau) itself fits the input dtype
        assert torch.isfinite(x.grad).all()
    if tau <= 1e-30:
        s = metrics.normalize(X) @ metrics.normalize(Y).T
        margin = (np.mean(s.max(axis=1) - np.diag(s)) + np.mean(s.max(axis=0) - np.diag(s))) / 2
        assert float(loss.detach()) * tau == pytest.approx(margin, rel=1e-5, abs=1e-7)


def test_uniform_loss_accepts_float16_tensors():
    x = torch.from_numpy(X).half()
    assert float(losses.uniform_loss(x)) == pytest.approx(float(losses.uniform_loss(x.float())), rel=1e-6)


# ---------------------------------------------------------------- validate once


def test_ablation_curve_validates_its_inputs_once(monkeypatch):
    """Issue: one ablation_curve call used to re-validate its inputs 235 times. Now: once per array."""
    calls = {"matrix": 0, "tensor": 0}
    for name in calls:
        real = getattr(V, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(V, name, counted)
    out = dimensions.ablation_curve(X, Y, ks=range(0, D - 1), metric="rmg", score="t2i_r1")
    assert len(out["gap"]) == D - 1
    assert calls["matrix"] + calls["tensor"] <= 3
    assert calls["matrix"] >= 2  # the counter does see the edge checks
