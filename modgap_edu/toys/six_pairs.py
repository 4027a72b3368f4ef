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

from modgap_edu.core import validation as V
from modgap_edu.core.losses import clip_loss

IMAGE_AZIMUTHS = (-20.0, 0.0, 20.0, 40.0, 60.0, 80.0)
TEXT_AZIMUTHS_MISMATCHED = (0.0, -20.0, 20.0, 40.0, 60.0, 80.0)
PAPER_TEMPERATURES = (1.0, 1 / 5, 1 / 35, 1 / 50, 1 / 100)  # logit_scale in {1, 5, 35, 50, 100}
PAPER_DELTAS = np.arange(90, -90 - 0.001, -1.0)  # `query_u in np.arange(90, -90-0.001, -1)`: 181 values


def uv_to_xyz(u_deg: Any, v_deg: Any) -> np.ndarray:
    """Lesson 03: unit vectors from azimuth ``u`` and polar angle ``v`` in degrees (Liang's ``uv_to_xyz``)."""
    u = np.deg2rad(np.asarray(u_deg, dtype=np.float64))
    v = np.deg2rad(np.asarray(v_deg, dtype=np.float64))
    u, v = np.broadcast_arrays(u, v)
    return np.stack([np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v)], axis=-1)


def _delta(delta_theta_deg: Any) -> float:
    try:
        d = float(delta_theta_deg)
    except (TypeError, ValueError):
        raise ValueError(f"delta_theta_deg must be a number of degrees, got {delta_theta_deg!r}.") from None
    if not np.isfinite(d) or abs(d) > 90.0:
        raise ValueError(f"delta_theta_deg must lie in [-90, 90] degrees (the texts go from the north pole "
                         f"to the south pole), got {delta_theta_deg!r}.")
    return d


def sphere_toy(delta_theta_deg: float, mismatched: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03: the six image and six text points of Liang et al. 2022, Fig. 3e (papers.md Sec. 1.10).

    Returns ``(image_points, text_points)``, each 6x3 on the unit sphere. ``delta_theta_deg`` in
    [-90, 90] moves the texts off the images' equator (polar angle 90 + delta); ``mismatched=True``
    swaps the azimuths of T_0 and T_1 (two mismatched pairs), ``False`` is Supp. Fig. 9.
    """
    d = _delta(delta_theta_deg)
    if not isinstance(mismatched, (bool, np.bool_)):
        raise ValueError(f"mismatched must be True or False, got {mismatched!r}.")
    images = uv_to_xyz(IMAGE_AZIMUTHS, 90.0)
    az = TEXT_AZIMUTHS_MISMATCHED if mismatched else IMAGE_AZIMUTHS
    texts = uv_to_xyz(az, 90.0 + d)
    return images, texts


def sphere_toy_loss(delta_theta_deg: float, temperature: float, mismatched: bool = True) -> float:
    """Lesson 03: symmetric CLIP loss of the batch of 6 at offset ``delta_theta_deg`` (Liang Fig. 3g).

    Uses ``modgap_edu.core.losses.clip_loss`` (labels 0..5, logits = I @ T.T / temperature); stable for
    tiny temperatures.
    """
    V.positive_number(temperature, "temperature")
    images, texts = sphere_toy(delta_theta_deg, mismatched)
    return float(clip_loss(images, texts, temperature, direction="both"))


def sphere_toy_centroid_gap(delta_theta_deg: float, mismatched: bool = True) -> float:
    """Lesson 03: sign(delta) * ||mean(I) - mean(T)||, the signed distance the official code computes."""
    images, texts = sphere_toy(delta_theta_deg, mismatched)
    return float(np.sign(delta_theta_deg) * np.linalg.norm(images.mean(0) - texts.mean(0)))


def sphere_toy_curves(temperatures: Sequence[float] = PAPER_TEMPERATURES, deltas: Sequence[float] | None = None,
                      mismatched: bool = True) -> np.ndarray:
    """Lesson 03: loss[t, k] for every temperature and every delta (default: Liang's 181 one-degree steps,
    from +90 to -90). Vectorized; agrees with ``sphere_toy_loss`` point by point.
    """
    ds = PAPER_DELTAS if deltas is None else np.asarray(deltas, dtype=np.float64).reshape(-1)
    for d in ds:
        _delta(d)
    taus = np.array([V.positive_number(t, "temperature") for t in np.atleast_1d(temperatures)])
    images = uv_to_xyz(IMAGE_AZIMUTHS, 90.0)  # (6, 3)
    az = np.asarray(TEXT_AZIMUTHS_MISMATCHED if mismatched else IMAGE_AZIMUTHS)
    texts = uv_to_xyz(az[None, :], 90.0 + ds[:, None])  # (K, 6, 3)
    cos = np.einsum("id,kjd->kij", images, texts)  # (K, 6, 6)
    z = cos[None] / taus[:, None, None, None]  # (T, K, 6, 6)
    diag = np.diagonal(z, axis1=-2, axis2=-1)
    m_r = z.max(axis=-1, keepdims=True)
    lse_r = (m_r + np.log(np.exp(z - m_r).sum(axis=-1, keepdims=True)))[..., 0]
    m_c = z.max(axis=-2, keepdims=True)
    lse_c = (m_c + np.log(np.exp(z - m_c).sum(axis=-2, keepdims=True)))[..., 0, :]
    return ((lse_r - diag).mean(-1) + (lse_c - diag).mean(-1)) / 2
