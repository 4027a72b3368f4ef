"""Does a smaller gap go with better performance? Kendall tau over a family of models (lesson 05).

Schrodi et al. 2025 ("Two Effects, One Trigger", ICLR), Fig. 3 and Table 1, official
``analysis/gap_vs_performance.py`` and ``gap_conditioning_on_data.py`` (``papers.md``
Sec. 3.1, 3.4): Kendall's tau (``scipy.stats.kendalltau``) between a gap metric and a
performance score across models, significance by ``scipy.stats.permutation_test`` with
``permutation_type="pairings"``; a confounder (the training set there) is controlled by
computing tau *within* groups of models that share it.

* ``kendall_with_permutation``: tau over all models, scipy's p-value and the permutation p-value.
* ``kendall_within_groups``: tau over the pairs of models in the same group only (our pooled
  form: one tau from all within-group pairs, tau-b normalization), with a permutation test
  that shuffles performance *within* each group. The official script reports one tau per
  group instead; both are returned.
* ``partial_kendall``: Kendall's partial tau for a continuous confounder z (Kendall 1942).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from modgap_edu.core import validation as V


def _vector(values: Any, name: str, n: int | None = None) -> np.ndarray:
    arr = V.real_array(values, name, "one number per model").astype(np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per model), got shape {arr.shape}.")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values but gap has {n}: give one value per model.")
    if arr.shape[0] < 3:
        raise ValueError(f"{name} needs at least 3 models for a rank correlation, got {arr.shape[0]}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf: drop those models first.")
    return arr


def _tau(x: np.ndarray, y: np.ndarray) -> float:
    t = stats.kendalltau(x, y).statistic
    return float(t) if np.isfinite(t) else 0.0  # a constant input has no ranking: no association


def _tau_b_batch(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    """Kendall tau-b along ``axis`` for a batch of resamples (``permutation_test(vectorized=True)``); equals
    ``scipy.stats.kendalltau`` (tau-b) on every row, and 0 where an input is constant, like ``_tau``."""
    a, b = np.moveaxis(np.asarray(a, float), axis, -1), np.moveaxis(np.asarray(b, float), axis, -1)
    i, j = np.triu_indices(a.shape[-1], 1)
    dx, dy = np.sign(a[..., i] - a[..., j]), np.sign(b[..., i] - b[..., j])
    scale = np.sqrt(np.count_nonzero(dx, axis=-1) * np.count_nonzero(dy, axis=-1).astype(float))
    num = np.sum(dx * dy, axis=-1)
    return np.divide(num, scale, out=np.zeros(np.broadcast(num, scale).shape), where=scale > 0)


def kendall_with_permutation(gap: Any, performance: Any, n_resamples: int = 9999, seed: int = 0) -> dict:
    """Kendall tau-b between gap and performance, with scipy's p-value and a permutation test.

    Lesson 05 (Schrodi et al. 2025, Fig. 3 / Table 1). Returns ``{"tau", "p_kendall",
    "p_permutation", "n"}``; two-sided. A constant input gives tau = 0 and p = 1.

    Parameters
    ----------
    gap : array_like
        One gap value per model (at least 3 models).
    performance : array_like
        One performance score per model.
    n_resamples : int
        Number of permutations, >= 1.
    seed : int
        Seed of the permutations, 0 <= seed < 2**32.

    Returns
    -------
    dict
        ``tau``, ``p_kendall``, ``p_permutation`` and ``n``.
    """
    x = _vector(gap, "gap")
    y = _vector(performance, "performance", x.shape[0])
    n_resamples = V.integer(n_resamples, "n_resamples", 1)
    seed = V.seed(seed)
    tau = _tau(x, y)
    p_k = stats.kendalltau(x, y).pvalue
    res = stats.permutation_test(
        (x, y),
        _tau_b_batch,
        permutation_type="pairings",
        vectorized=True,
        batch=1000,  # 1,000 resamples at a time: the (resamples x pairs) sign arrays stay small
        n_resamples=n_resamples,
        rng=np.random.default_rng(seed),
    )
    return {
        "tau": tau,
        "p_kendall": float(p_k) if np.isfinite(p_k) else 1.0,
        "p_permutation": float(res.pvalue),
        "n": int(x.shape[0]),
    }


def _pooled_counts(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, float, float]:
    """(sum of concordant - discordant, pairs not tied in x, pairs not tied in y) within groups."""
    s = nx = ny = 0.0
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        if rows.size < 2:
            continue
        iu = np.triu_indices(rows.size, 1)
        dx = np.sign(x[rows][:, None] - x[rows][None, :])[iu]
        dy = np.sign(y[rows][:, None] - y[rows][None, :])[iu]
        s += float(np.sum(dx * dy))
        nx += float(np.count_nonzero(dx))
        ny += float(np.count_nonzero(dy))
    return s, nx, ny


def pooled_within_group_tau(gap: Any, performance: Any, groups: Any) -> float:
    """Kendall tau-b over the pairs of models that share a group (e.g. the same training set).

    Pairs across groups are ignored, so a confounder that is constant within groups cannot
    create the association. With one group this equals ``scipy.stats.kendalltau`` (tau-b).
    Lesson 05 (Schrodi et al. 2025, ``gap_conditioning_on_data.py``, pooled form).

    Parameters
    ----------
    gap : array_like
        One gap value per model (at least 3 models).
    performance : array_like
        One performance score per model.
    groups : array_like
        One group label per model.

    Returns
    -------
    float
        tau in [-1, 1].
    """
    x = _vector(gap, "gap")
    y = _vector(performance, "performance", x.shape[0])
    return _pooled_tau(x, y, _groups(groups, x.shape[0]))


def _pooled_tau(x: np.ndarray, y: np.ndarray, g: np.ndarray) -> float:
    s, nx, ny = _pooled_counts(x, y, g)
    return s / np.sqrt(nx * ny) if nx > 0 and ny > 0 else 0.0


def _groups(groups: Any, n: int) -> np.ndarray:
    try:
        g = V.labels_vector(groups, n, "groups")
    except ValueError as err:
        raise ValueError(f"groups must be 1-D with one group label per model ({n} models): {err}") from None
    _, counts = np.unique(g, return_counts=True)
    if not np.any(counts >= 2):
        raise ValueError("every group has a single model: within-group pairs need a group with >= 2 models.")
    return g


def kendall_within_groups(gap: Any, performance: Any, groups: Any, n_resamples: int = 9999, seed: int = 0) -> dict:
    """Kendall tau with a categorical confounder controlled (Schrodi et al. 2025, Table 3 style).

    Returns ``{"tau_pooled", "p_permutation", "per_group": {group: tau}, "group_sizes", "n_pairs"}``.
    ``tau_pooled`` is ``pooled_within_group_tau`` (ours); its two-sided p-value comes from
    ``n_resamples`` shuffles of performance *within* each group (a stratified permutation
    test, ours, written out here because ``scipy.stats.permutation_test`` has no strata).
    ``per_group`` holds scipy's plain tau inside **every group that contributes a pair**
    (>= 2 models; with 2 models it is +1, -1 or 0), as the official
    ``gap_conditioning_on_data.py`` reports it per group; ``group_sizes`` counts the models of
    those groups. Groups of one model have no pair and count nowhere.

    Parameters
    ----------
    gap : array_like
        One gap value per model (at least 3 models).
    performance : array_like
        One performance score per model.
    groups : array_like
        One group label per model (a group with >= 2 models needed).
    n_resamples : int
        Number of permutations, >= 1.
    seed : int
        Seed of the permutations, 0 <= seed < 2**32.

    Returns
    -------
    dict
        ``tau_pooled``, ``p_permutation``, ``per_group``, ``group_sizes`` and ``n_pairs``.
    """
    x = _vector(gap, "gap")
    y = _vector(performance, "performance", x.shape[0])
    g = _groups(groups, x.shape[0])
    n_resamples = V.integer(n_resamples, "n_resamples", 1)
    seed = V.seed(seed)
    observed = _pooled_tau(x, y, g)
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(g == k) for k in np.unique(g)]
    _, nx, ny = _pooled_counts(x, y, g)
    scale = np.sqrt(nx * ny) if nx > 0 and ny > 0 else 0.0
    # a within-group shuffle keeps each group's ties, so only the numerator sum(dx * dy) changes;
    # all n_resamples shuffles of a group at once: one row of permuted positions per resample
    totals = np.zeros(n_resamples)
    for rows in members:
        if rows.size >= 2:
            i, j = np.triu_indices(rows.size, 1)
            dx = np.sign(x[rows][i] - x[rows][j])
            yp = y[rng.permuted(np.tile(rows, (n_resamples, 1)), axis=1)]
            totals += np.sign(yp[:, i] - yp[:, j]) @ dx
    null = totals / scale if scale > 0 else np.zeros(n_resamples)
    extreme = int(np.count_nonzero(np.abs(null) >= abs(observed) - 1e-12))
    per_group, sizes = {}, {}
    for k, rows in zip(np.unique(g), members):
        if rows.size >= 2:  # every group that contributes a pair to tau_pooled is reported
            key = k.item() if hasattr(k, "item") else k
            per_group[key], sizes[key] = _tau(x[rows], y[rows]), int(rows.size)
    n_pairs = int(sum(r.size * (r.size - 1) // 2 for r in members))
    return {
        "tau_pooled": float(observed),
        "p_permutation": (extreme + 1) / (n_resamples + 1),
        "per_group": per_group,
        "group_sizes": sizes,
        "n_pairs": n_pairs,
    }


def partial_kendall(gap: Any, performance: Any, confounder: Any) -> float:
    """Kendall's partial tau of gap and performance given a continuous confounder z:

    tau_xy.z = (tau_xy - tau_xz * tau_yz) / sqrt((1 - tau_xz^2) (1 - tau_yz^2)) (Kendall 1942).
    Raises ``ValueError`` when z ranks x or y perfectly (the formula divides by zero). Lesson 05.

    Parameters
    ----------
    gap : array_like
        One gap value per model (at least 3 models).
    performance : array_like
        One performance score per model.
    confounder : array_like
        One value of the continuous confounder z per model.

    Returns
    -------
    float
        The partial tau.
    """
    x = _vector(gap, "gap")
    y = _vector(performance, "performance", x.shape[0])
    z = _vector(confounder, "confounder", x.shape[0])
    txy, txz, tyz = _tau(x, y), _tau(x, z), _tau(y, z)
    denom = (1 - txz**2) * (1 - tyz**2)
    if denom <= 1e-12:
        raise ValueError(
            "the confounder ranks gap or performance perfectly (|tau| = 1): "
            "nothing is left to correlate once it is controlled."
        )
    return float((txy - txz * tyz) / np.sqrt(denom))
