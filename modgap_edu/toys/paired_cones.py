"""Synthetic paired embeddings with a controllable spread per modality and gap (lesson 05, Sec. 1).

Two "cones" on the unit sphere in d dimensions:

* each modality has an axis: ``u_img = cos(phi) a + sin(phi) b`` and ``u_txt = cos(phi) a - sin(phi) b``
  with orthonormal a, b (dims 0 and 1), so the chord between the axes is
  ``||u_img - u_txt|| = 2 sin(phi) = distance``;
* pair i shares a content vector z_i (in dims 2..d-1, orthogonal to both axes); each modality adds
  its own noise: ``x_i = normalize(u_img + spread_image * (match * z_i + sqrt(1 - match^2) * e_i))``,
  and likewise for the text with ``spread_text``.

``spread`` sets how much of the sphere a modality uses (0: collapsed onto its axis; large:
almost the whole equator around it), ``distance`` how far apart the two cones sit, and
``match`` how much the pairs share. This is a teaching model of "effectively used space"
(Schrodi et al. 2025, RMG), not a model of any trained network.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from modgap_edu.core import metrics
from modgap_edu.core import validation as V


@lru_cache(maxsize=8)
def _latents(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(d - 2)
    z, e_img, e_txt = (rng.standard_normal((n, d - 2)) * scale for _ in range(3))
    for a in (z, e_img, e_txt):
        a.setflags(write=False)
    return z, e_img, e_txt


def paired_cones(
    n: int = 400,
    d: int = 32,
    spread_image: float = 0.6,
    spread_text: float = 0.6,
    distance: float = 0.8,
    match: float = 0.8,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(image, text)``: n matched pairs of unit vectors in d dims (see the module docstring).

    Lesson 05, Sec. 1 (L2M / L2I / RMG side by side). ``distance`` in [0, 2) is the chord between
    the two cone axes; ``spread_*`` >= 0; ``match`` in [0, 1]. The random parts depend only on
    ``(n, d, seed)`` and are cached, so slider moves are cheap.

    Parameters
    ----------
    n : int
        Number of pairs, >= 2.
    d : int
        Dimension, >= 3 (two axis dimensions plus content).
    spread_image, spread_text : float
        Spread of each cone, >= 0.
    distance : float
        Chord between the cone axes, in [0, 2).
    match : float
        Shared content of the pairs, in [0, 1].
    seed : int
        0 <= seed < 2**32.

    Returns
    -------
    tuple of numpy.ndarray
        ``(image, text)``, each (n, d) with unit rows.
    """
    n = V.integer(n, "n", 2)
    d = V.integer(d, "d", 3)  # two axis dimensions plus content
    seed = V.seed(seed)
    s_img = V.real_number(spread_image, "spread_image", low=0.0)
    s_txt = V.real_number(spread_text, "spread_text", low=0.0)
    dist = V.real_number(distance, "distance", low=0.0)
    if dist >= 2:
        raise ValueError(f"distance is a chord between unit vectors and must be < 2, got {distance!r}.")
    m = V.real_number(match, "match", low=0.0, high=1.0)
    z, e_img, e_txt = _latents(n, d, seed)
    phi = np.arcsin(dist / 2.0)
    rest = np.sqrt(1.0 - m * m)
    out = []
    for spread, noise, sign in ((s_img, e_img, 1.0), (s_txt, e_txt, -1.0)):
        v = np.zeros((n, d))
        v[:, 0] = np.cos(phi)
        v[:, 1] = sign * np.sin(phi)
        v[:, 2:] = spread * (m * z + rest * noise)
        out.append(metrics.unit_rows(v))
    return out[0], out[1]


def gap_metrics(image: Any, text: Any) -> dict:
    """L2M, L2I, RMG and RMG's terms of matched pairs (row i <-> row i), as plain floats (lesson 05).

    Parameters
    ----------
    image, text : array_like
        Matched embeddings of the same shape.

    Returns
    -------
    dict
        ``l2m``, ``l2i``, ``rmg``, ``matched``, ``intra_image``, ``intra_text``.
    """
    x, y = V.pair(image, text, paired=True, min_rows=2, names=("image", "text"))
    idx = np.arange(x.shape[0])
    terms = metrics._rmg_terms(x, y, idx)
    return {
        "l2m": metrics._l2m(x, y),
        "l2i": metrics._l2i(x, y, idx),
        "rmg": terms["rmg"],
        "matched": terms["matched"],
        "intra_image": terms["intra_image"],
        "intra_text": terms["intra_text"],
    }


def metric_sweep(parameter: str, values: Any, **fixed: Any) -> dict:
    """Gap metrics of ``paired_cones`` while one parameter moves (lesson 05, "collapse or spread").

    ``parameter`` is one of ``spread_image``, ``spread_text``, ``distance``, ``match``; ``fixed``
    holds the other ``paired_cones`` arguments. Returns ``{"values": [...], "l2m": [...], ...}``.

    Parameters
    ----------
    parameter : {"spread_image", "spread_text", "distance", "match"}
        The swept argument.
    values : array_like of float
        Its values.
    **fixed
        The other ``paired_cones`` arguments.

    Returns
    -------
    dict
        ``parameter``, ``values`` and one list per metric of ``gap_metrics``.
    """
    V.choice(parameter, ("spread_image", "spread_text", "distance", "match"), "parameter")
    if parameter in fixed:
        raise ValueError(f"{parameter} is the swept parameter; do not also fix it.")
    vals = [float(v) for v in np.atleast_1d(V.real_array(values, "values", "a list of numbers")).reshape(-1)]
    if not vals:
        raise ValueError("values is empty: give at least one value to sweep.")
    out: dict = {"parameter": parameter, "values": vals}
    for v in vals:
        for key, val in gap_metrics(*paired_cones(**{**fixed, parameter: v})).items():
            out.setdefault(key, []).append(val)
    return out
