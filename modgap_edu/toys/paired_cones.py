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

from modgap_edu.core import validation as V
from modgap_edu.core import metrics


@lru_cache(maxsize=8)
def _latents(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(d - 2)
    z, e_img, e_txt = (rng.standard_normal((n, d - 2)) * scale for _ in range(3))
    for a in (z, e_img, e_txt):
        a.setflags(write=False)
    return z, e_img, e_txt


def _nonneg(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    return v


def paired_cones(n: int = 400, d: int = 32, spread_image: float = 0.6, spread_text: float = 0.6,
                 distance: float = 0.8, match: float = 0.8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(image, text)``: n matched pairs of unit vectors in d dims (see the module docstring).

    Lesson 05, Sec. 1 (L2M / L2I / RMG side by side). ``distance`` in [0, 2) is the chord between
    the two cone axes; ``spread_*`` >= 0; ``match`` in [0, 1]. The random parts depend only on
    ``(n, d, seed)`` and are cached, so slider moves are cheap.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}.")
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 3:
        raise ValueError(f"d must be an integer >= 3 (two axis dimensions plus content), got {d!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    s_img = _nonneg(spread_image, "spread_image")
    s_txt = _nonneg(spread_text, "spread_text")
    dist = _nonneg(distance, "distance")
    if dist >= 2:
        raise ValueError(f"distance is a chord between unit vectors and must be < 2, got {distance!r}.")
    m = _nonneg(match, "match")
    if m > 1:
        raise ValueError(f"match must lie in [0, 1], got {match!r}.")
    z, e_img, e_txt = _latents(int(n), int(d), int(seed))
    phi = np.arcsin(dist / 2.0)
    rest = np.sqrt(1.0 - m * m)
    out = []
    for spread, noise, sign in ((s_img, e_img, 1.0), (s_txt, e_txt, -1.0)):
        v = np.zeros((n, d))
        v[:, 0] = np.cos(phi)
        v[:, 1] = sign * np.sin(phi)
        v[:, 2:] = spread * (m * z + rest * noise)
        out.append(v / np.linalg.norm(v, axis=1, keepdims=True))
    return out[0], out[1]


def gap_metrics(image: Any, text: Any) -> dict:
    """L2M, L2I, RMG and RMG's terms of matched pairs (row i <-> row i), as plain floats (lesson 05)."""
    terms = metrics.rmg_terms(image, text)
    return {"l2m": metrics.l2m(image, text), "l2i": metrics.l2i(image, text), "rmg": terms["rmg"],
            "matched": terms["matched"], "intra_image": terms["intra_image"], "intra_text": terms["intra_text"]}


def metric_sweep(parameter: str, values: Any, **fixed: Any) -> dict:
    """Gap metrics of ``paired_cones`` while one parameter moves (lesson 05, "collapse or spread").

    ``parameter`` is one of ``spread_image``, ``spread_text``, ``distance``, ``match``; ``fixed``
    holds the other ``paired_cones`` arguments. Returns ``{"values": [...], "l2m": [...], ...}``.
    """
    V.choice(parameter, ("spread_image", "spread_text", "distance", "match"), "parameter")
    if parameter in fixed:
        raise ValueError(f"{parameter} is the swept parameter; do not also fix it.")
    vals = [float(v) for v in np.atleast_1d(np.asarray(values, dtype=float))]
    if not vals:
        raise ValueError("values is empty: give at least one value to sweep.")
    out: dict = {"parameter": parameter, "values": vals}
    for v in vals:
        for key, val in gap_metrics(*paired_cones(**{**fixed, parameter: v})).items():
            out.setdefault(key, []).append(val)
    return out
