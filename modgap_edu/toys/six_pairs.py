"""The 3-D sphere toy: mismatched pairs make the CLIP loss repel the modalities (lesson 03).

Liang et al. 2022, Sec. 4.3 and Fig. 3e-g (mismatched, ``3d_sphere.ipynb``) and Supp. Fig. 9
(matched, ``Appendix_3d_sphere.ipynb``); exact coordinates in papers.md Sec. 1.10.
Nothing is optimized: the loss is scanned over one parameter, the polar offset
Delta-theta of the six text points.

* ``uv_to_xyz(u, v) = (cos u sin v, sin u sin v, cos v)``: u the azimuth, v the polar angle, degrees.
* Images I_0..I_5 on the equator (v = 90 deg) at azimuths -20, 0, 20, 40, 60, 80 deg.
* Texts T_0..T_5 at polar angle 90 deg + Delta-theta. Mismatched: T_0 at azimuth 0 (above I_1) and
  T_1 at -20 (above I_0), T_2..T_5 above I_2..I_5, so (I_0, T_0) and (I_1, T_1) are
  mismatched pairs. Matched: T_k above I_k for every k.
* Loss: the symmetric CLIP loss over the single batch of 6, labels 0..5.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from scipy.special import logsumexp

from modgap_edu.core import validation as V
from modgap_edu.core.losses import clip_loss, inverse_temperature

IMAGE_AZIMUTHS = (-20.0, 0.0, 20.0, 40.0, 60.0, 80.0)
TEXT_AZIMUTHS_MISMATCHED = (0.0, -20.0, 20.0, 40.0, 60.0, 80.0)
PAPER_TEMPERATURES = (1.0, 1 / 5, 1 / 35, 1 / 50, 1 / 100)  # logit_scale in {1, 5, 35, 50, 100}
PAPER_DELTAS = np.arange(90, -90 - 0.001, -1.0)  # `query_u in np.arange(90, -90-0.001, -1)`: 181 values


def uv_to_xyz(u_deg: Any, v_deg: Any) -> np.ndarray:
    """Lesson 03: unit vectors from azimuth ``u`` and polar angle ``v`` in degrees (Liang's ``uv_to_xyz``).

    Parameters
    ----------
    u_deg, v_deg : array_like
        Azimuths and polar angles in degrees (finite; broadcast against each other).

    Returns
    -------
    numpy.ndarray
        Unit vectors, shape ``broadcast(u, v).shape + (3,)``.
    """
    u, v = (
        np.deg2rad(V.real_array(a, name, "angles in degrees").astype(np.float64))
        for a, name in ((u_deg, "u_deg"), (v_deg, "v_deg"))
    )
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        raise ValueError("u_deg and v_deg contain NaN or inf: pass finite angles in degrees.")
    try:
        u, v = np.broadcast_arrays(u, v)
    except ValueError:
        raise ValueError(f"u_deg and v_deg must broadcast together, got shapes {u.shape} and {v.shape}.") from None
    return np.stack([np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v)], axis=-1)


def _delta(delta_theta_deg: Any) -> float:
    d = V.real_number(delta_theta_deg, "delta_theta_deg (degrees)")
    if abs(d) > 90.0:
        raise ValueError(
            f"delta_theta_deg must lie in [-90, 90] degrees (the texts go from the north pole "
            f"to the south pole), got {delta_theta_deg!r}."
        )
    return d


def sphere_toy(delta_theta_deg: float, mismatched: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03: the six image and six text points of Liang et al. 2022, Fig. 3e (papers.md Sec. 1.10).

    Returns ``(image_points, text_points)``, each 6x3 on the unit sphere. ``delta_theta_deg`` in
    [-90, 90] moves the texts off the images' equator (polar angle 90 + delta); ``mismatched=True``
    swaps the azimuths of T_0 and T_1 (two mismatched pairs), ``False`` is Supp. Fig. 9.

    Parameters
    ----------
    delta_theta_deg : float
        Polar offset of the texts, in [-90, 90] degrees.
    mismatched : bool
        Swap T_0 and T_1 (Fig. 3e) or not (Supp. Fig. 9).

    Returns
    -------
    tuple of numpy.ndarray
        ``(image_points, text_points)``, each (6, 3).
    """
    d = _delta(delta_theta_deg)
    mismatched = V.boolean(mismatched, "mismatched")
    images = uv_to_xyz(IMAGE_AZIMUTHS, 90.0)
    az = TEXT_AZIMUTHS_MISMATCHED if mismatched else IMAGE_AZIMUTHS
    texts = uv_to_xyz(az, 90.0 + d)
    return images, texts


def sphere_toy_loss(delta_theta_deg: float, temperature: float, mismatched: bool = True) -> float:
    """Lesson 03: symmetric CLIP loss of the batch of 6 at offset ``delta_theta_deg`` (Liang Fig. 3g).

    Uses ``modgap_edu.core.losses.clip_loss`` (labels 0..5, logits = I @ T.T / temperature); stable for
    tiny temperatures.

    Parameters
    ----------
    delta_theta_deg : float
        Polar offset of the texts, in [-90, 90] degrees.
    temperature : float
        tau > 0.
    mismatched : bool
        Fig. 3e (True) or Supp. Fig. 9 (False).

    Returns
    -------
    float
        The symmetric CLIP loss.
    """
    V.positive_number(temperature, "temperature")
    images, texts = sphere_toy(delta_theta_deg, mismatched)
    return float(clip_loss(images, texts, temperature, direction="both"))


def sphere_toy_centroid_gap(delta_theta_deg: float, mismatched: bool = True) -> float:
    """Lesson 03: sign(delta) * ||mean(I) - mean(T)||, the signed distance the official code computes.

    Parameters
    ----------
    delta_theta_deg : float
        Polar offset of the texts, in [-90, 90] degrees.
    mismatched : bool
        Fig. 3e (True) or Supp. Fig. 9 (False).

    Returns
    -------
    float
    """
    images, texts = sphere_toy(delta_theta_deg, mismatched)
    return float(np.sign(_delta(delta_theta_deg)) * np.linalg.norm(images.mean(0) - texts.mean(0)))


def sphere_toy_curves(
    temperatures: Sequence[float] = PAPER_TEMPERATURES, deltas: Sequence[float] | None = None, mismatched: bool = True
) -> np.ndarray:
    """Lesson 03: loss[t, k] for every temperature and every delta (default: Liang's 181 one-degree steps,
    from +90 to -90). Vectorized; agrees with ``sphere_toy_loss`` point by point.

    Parameters
    ----------
    temperatures : sequence of float
        Temperatures tau > 0.
    deltas : sequence of float, optional
        Offsets in [-90, 90] degrees (default ``PAPER_DELTAS``).
    mismatched : bool
        Fig. 3e (True) or Supp. Fig. 9 (False).

    Returns
    -------
    numpy.ndarray
        ``loss[t, k]``, shape (len(temperatures), len(deltas)).
    """
    ds = PAPER_DELTAS if deltas is None else V.real_array(deltas, "deltas", "offsets in degrees").reshape(-1)
    ds = np.array([_delta(d) for d in ds], dtype=np.float64)
    mismatched = V.boolean(mismatched, "mismatched")
    taus = np.array([V.positive_number(t, "temperature") for t in np.atleast_1d(temperatures)])
    for t in taus:
        inverse_temperature(t)
    images = uv_to_xyz(IMAGE_AZIMUTHS, 90.0)  # (6, 3)
    az = np.asarray(TEXT_AZIMUTHS_MISMATCHED if mismatched else IMAGE_AZIMUTHS)
    texts = uv_to_xyz(az[None, :], 90.0 + ds[:, None])  # (K, 6, 3)
    cos = np.einsum("id,kjd->kij", images, texts)  # (K, 6, 6)
    z = cos[None] / taus[:, None, None, None]  # (T, K, 6, 6)
    diag = np.diagonal(z, axis1=-2, axis2=-1)
    lse_r, lse_c = logsumexp(z, axis=-1), logsumexp(z, axis=-2)
    return ((lse_r - diag).mean(-1) + (lse_c - diag).mean(-1)) / 2


def lift_curvature(cosines: Any, temperature: float) -> float:
    """Lesson 03 (Exercise 3.4): d²L/dΔθ² at Δθ = 0, per radian², for texts lifted off the images' equator.

    With images on the equator and every text lifted by the same polar offset Δθ, each cosine becomes
    ``a_ij cos Δθ`` (``a`` = the cosines at Δθ = 0), so the symmetric CLIP loss is a function of
    ``c = cos Δθ`` only. Since dc/dΔθ = 0 and d²c/dΔθ² = -1 at Δθ = 0, the curvature there is ``-dL/dc`` at
    c = 1: ``(1 / (2 N τ)) Σ_i [(a_ii - Σ_j P_ij a_ij) + (a_ii - Σ_j Q_ji a_ji)]`` with P the row softmax
    and Q the column softmax of ``a / τ``. Positive: Δθ = 0 is a valley; negative: the bump of Liang Fig. 3g.

    Parameters
    ----------
    cosines : array_like
        The (N, N) image-text cosine matrix at Δθ = 0 (row i = image i, column j = text j; finite).
    temperature : float
        tau > 0.

    Returns
    -------
    float
        The second derivative of the loss with respect to Δθ (radians) at Δθ = 0.
    """
    a = V.real_array(cosines, "cosines", "an (N, N) cosine matrix").astype(np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"cosines must be a finite, non-empty square (N, N) matrix, got shape {a.shape}.")
    tau = V.positive_number(temperature, "temperature")
    inverse_temperature(tau)  # 1 / tau must be finite, else a clear ValueError
    z = a / tau
    p_rows = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    p_cols = np.exp(z - logsumexp(z, axis=0, keepdims=True))
    diag = np.diag(a)
    margin_rows = diag - (p_rows * a).sum(axis=1)
    margin_cols = diag - (p_cols * a).sum(axis=0)
    return float((margin_rows.mean() + margin_cols.mean()) / (2.0 * tau))


def sphere_toy_curvature(temperature: float, mismatched: bool = True) -> float:
    """Lesson 03 (Exercise 3.4): curvature d²L/dΔθ² (per radian²) of the sphere toy's loss at Δθ = 0.

    ``lift_curvature`` of the toy's cosine matrix at Δθ = 0 (Liang Fig. 3g: negative = a bump at 0).

    Parameters
    ----------
    temperature : float
        tau > 0.
    mismatched : bool
        Fig. 3e (True) or Supp. Fig. 9 (False).

    Returns
    -------
    float
        The second derivative of ``sphere_toy_loss`` in Δθ (radians) at 0.
    """
    images, texts = sphere_toy(0.0, mismatched)
    return lift_curvature(images @ texts.T, temperature)
