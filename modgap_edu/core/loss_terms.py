"""The CLIP loss split into its two terms, and where the shift landscape has its minimum (lesson 03).

Liang et al. 2022, Sec. 4.2 and Fig. 3b-d; papers.md Sec. 0 (the loss) and Sec. 1.7 (the shift).

With unit rows, s_ij = x_i . y_j and z_ij = s_ij / tau, the symmetric CLIP loss of one batch is

    L = 1/2 (L_I->T + L_T->I),   L_I->T = 1/N sum_i [ -z_ii + logsumexp_j z_ij ],
                                 L_T->I = 1/N sum_j [ -z_jj + logsumexp_i z_ij ],

so L = M + S with the **matched term** M = -(1/N) sum_i s_ii / tau (the numerator: pulls each pair
together; the same in both directions) and the **log-sum-exp term**
S = 1/2 [ (1/N) sum_i logsumexp_j z_ij + (1/N) sum_j logsumexp_i z_ij ] (the denominator: pushes every
image away from every text). Closing the gap raises all cosines s_ij: M falls, S rises, and at a low
tau S rises faster (the argument of the course's Korean slide deck, here quantified).

Shift parametrisations (``core.shift``): alpha (raw gap vector g) and lam (unit vector u = g/||g||),
x' = normalize(x_hat - alpha g) = normalize(x_hat - lam/2 u) with **lam = 2 alpha ||g||**
(and alpha = lam / (2 ||g||)); the same for texts with +.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy.special import logsumexp

from modgap_edu.core import metrics
from modgap_edu.core import validation as V
from modgap_edu.core.losses import inverse_temperature
from modgap_edu.core.shift import _batches  # the one batching rule of Liang's protocol

PROTOCOLS = ("symmetric", "official")  # as core.shift.PROTOCOLS: official = image->text only (Liang's .T quirk)


def _pair(image_emb: Any, text_emb: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = V.pair(image_emb, text_emb, paired=True)
    return metrics.unit_rows(x), metrics.unit_rows(y)


def _temperature(temperature: Any) -> float:
    """A checked tau > 0 whose 1/tau does not overflow float64 (else the logits would be inf and the terms NaN)."""
    tau = V.positive_number(temperature, "temperature")
    inverse_temperature(tau)
    return tau


def _batch_size(batch_size: Any) -> int | None:
    """A positive integer, or ``None`` (one batch of all rows)."""
    return None if batch_size is None else V.integer(batch_size, "batch_size", 1)


def _terms_of_unit_pairs(
    x: np.ndarray, y: np.ndarray, tau: float, batch_size: int, protocol: str
) -> tuple[float, float]:
    """(matched, log-sum-exp) terms of unit rows, averaged over consecutive batches (Liang's protocol: a last
    shorter batch is dropped, as in ``core.shift.batched_clip_loss``)."""
    matched, lse = [], []
    for b in _batches(len(x), batch_size):
        z = x[b] @ y[b].T / tau
        matched.append(-float(np.mean(np.diagonal(z))))
        rows = float(np.mean(logsumexp(z, axis=1)))
        lse.append(rows if protocol == "official" else (rows + float(np.mean(logsumexp(z, axis=0)))) / 2)
    return float(np.mean(matched)), float(np.mean(lse))


@dataclass(frozen=True)
class LossTerms:
    """Lesson 03: the CLIP loss as ``matched + logsumexp`` (``total`` is their sum)."""

    matched: float  # -(1/N) sum_i s_ii / tau: the numerator, pulls pairs together
    logsumexp: float  # mean log-sum-exp over rows (and columns): the denominator, pushes all images from all texts
    total: float  # = matched + logsumexp = core.losses.clip_loss


def clip_loss_terms(
    image_emb: Any, text_emb: Any, temperature: float = 0.01, batch_size: int | None = None, protocol: str = "symmetric"
) -> LossTerms:
    """Lesson 03: the CLIP loss split into the matched term and the log-sum-exp term (papers.md Sec. 0).

    Parameters
    ----------
    image_emb, text_emb : array-like, shape (N, D)
        Matched pairs (row i <-> row i); rows are L2-normalized here.
    temperature : float
        tau > 0; logits are s_ij / tau.
    batch_size : int or None
        ``None``: one batch of all N pairs (then ``total`` equals ``core.losses.clip_loss``);
        an integer: consecutive batches in the given order, terms averaged over batches, a last
        shorter batch dropped (Liang's Fig. 3 protocol uses 50; as ``core.shift.batched_clip_loss``).
    protocol : {"symmetric", "official"}
        ``"symmetric"``: (L_I->T + L_T->I)/2, the paper's equation; ``"official"``: image->text
        only, the released notebook's loss (papers.md Sec. 1.7 quirk).

    Returns
    -------
    LossTerms
        ``matched`` = -(1/N) sum_i s_ii / tau, ``logsumexp`` = the mean log-sum-exp of the logit
        rows (and, symmetric, columns), ``total`` = their sum, the CLIP loss.
    """
    V.choice(protocol, PROTOCOLS, "protocol")
    tau = _temperature(temperature)
    bs = _batch_size(batch_size)
    x, y = _pair(image_emb, text_emb)
    m, s = _terms_of_unit_pairs(x, y, tau, bs or len(x), protocol)
    return LossTerms(m, s, m + s)


def _shift_grid(values: Any, name: str) -> np.ndarray:
    """A checked shift grid: real numbers (no strings, booleans, complex), finite, at least one."""
    arr = V.real_array(values, name, "a non-empty sequence of finite numbers").astype(np.float64).reshape(-1)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty sequence of finite numbers, got {values!r}.")
    return arr


def _shift_setup(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(raw gap g, ||g||, PC1 oriented so that the unshifted signed gap is positive)."""
    g = x.mean(axis=0) - y.mean(axis=0)
    norm = float(np.linalg.norm(g))
    if norm < 1e-12:
        raise ValueError("the image and text centroids coincide (gap = 0): there is no gap direction to shift along.")
    z = np.vstack([x, y])
    z = z - z.mean(axis=0)
    pc1 = np.linalg.svd(z, full_matrices=False)[2][0]
    if (y.mean(axis=0) - x.mean(axis=0)) @ pc1 < 0:
        pc1 = -pc1
    return g, norm, pc1


def _mean_norms(x: np.ndarray, y: np.ndarray, g: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1 / ||x_i - alpha g|| and 1 / ||y_j + alpha g|| for every alpha (rows: alphas), unit x, y."""
    gg = float(g @ g)
    nx = 1.0 - 2.0 * a[:, None] * (x @ g)[None, :] + (a[:, None] ** 2) * gg
    ny = 1.0 + 2.0 * a[:, None] * (y @ g)[None, :] + (a[:, None] ** 2) * gg
    if np.any(nx < 1e-24) or np.any(ny < 1e-24):
        raise ValueError(
            "a shift on this grid moves an embedding exactly onto the origin, so it cannot be "
            "renormalized; use a slightly different shift grid."
        )
    return 1.0 / np.sqrt(nx), 1.0 / np.sqrt(ny)


def _signed_gaps(x, y, g, a, wx, wy, pc1) -> np.ndarray:
    """Signed ||mean(y') - mean(x')|| for every alpha (sign along the unshifted PC1)."""
    n = len(x)
    mx = (wx @ x - (a * wx.sum(axis=1))[:, None] * g[None, :]) / n
    my = (wy @ y + (a * wy.sum(axis=1))[:, None] * g[None, :]) / n
    d = my - mx
    return np.where(d @ pc1 >= 0, 1.0, -1.0) * np.linalg.norm(d, axis=1)


def _terms_along(x, y, g, a, wx, wy, tau, bs, protocol, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Matched and log-sum-exp terms for every alpha without forming the shifted D-dim embeddings.

    For unit x, y: (x - a g).(y + a g) = s_ij + a (x_i.g - y_j.g) - a^2 ||g||^2, divided by the two norms."""
    gg, px, py = float(g @ g), x @ g, y @ g
    matched, lse = np.zeros(a.size), np.zeros(a.size)
    batches = _batches(len(x), bs)  # as core.shift.batched_clip_loss: a last shorter batch is dropped
    for b in batches:
        sim = x[b] @ y[b].T
        for c in range(0, a.size, chunk):
            ac = a[c : c + chunk, None, None]
            cos = sim[None] + ac * (px[b][None, :, None] - py[b][None, None, :]) - ac**2 * gg
            z = cos * wx[c : c + chunk, b][:, :, None] * wy[c : c + chunk, b][:, None, :] / tau
            matched[c : c + chunk] -= np.diagonal(z, axis1=1, axis2=2).mean(axis=1)
            rows = logsumexp(z, axis=2).mean(axis=1)
            lse[c : c + chunk] += rows if protocol == "official" else (rows + logsumexp(z, axis=1).mean(axis=1)) / 2
    return matched / len(batches), lse / len(batches)


@dataclass
class ShiftTerms:
    """Lesson 03: the two loss terms along a grid of alpha shifts (``lam = 2 * alpha * gap_norm``)."""

    alphas: np.ndarray
    lams: np.ndarray
    signed_gap: np.ndarray
    matched: np.ndarray
    logsumexp: np.ndarray
    total: np.ndarray
    temperature: float
    gap_norm: float
    batch_size: int | None
    protocol: str

    def change(self, alpha_from: float, alpha_to: float) -> dict:
        """Change of each term between two grid points (nearest grid alphas), e.g. 0 -> 0.5.

        Parameters
        ----------
        alpha_from, alpha_to : float
            The two shifts (finite numbers); each is moved to the nearest alpha of the grid.

        Returns
        -------
        dict
            The two grid alphas and the change of ``matched``, ``logsumexp`` and ``total``.
        """
        ends = (V.real_number(alpha_from, "alpha_from"), V.real_number(alpha_to, "alpha_to"))
        i, j = (int(np.argmin(np.abs(self.alphas - a))) for a in ends)
        return {
            "alpha_from": float(self.alphas[i]),
            "alpha_to": float(self.alphas[j]),
            "matched": float(self.matched[j] - self.matched[i]),
            "logsumexp": float(self.logsumexp[j] - self.logsumexp[i]),
            "total": float(self.total[j] - self.total[i]),
        }


def loss_terms_along_shift(
    image_emb: Any,
    text_emb: Any,
    temperature: float = 0.01,
    alphas: Sequence[float] | None = None,
    lams: Sequence[float] | None = None,
    batch_size: int | None = 50,
    protocol: str = "symmetric",
) -> ShiftTerms:
    """Lesson 03: matched and log-sum-exp terms of the CLIP loss as the gap is closed (Liang Fig. 3b-d).

    Parameters
    ----------
    image_emb, text_emb : array-like, shape (N, D)
        Matched pairs of a trained model (rows normalized here).
    temperature : float
        tau > 0.
    alphas, lams : sequence of float, optional
        The shift grid, in exactly one parametrisation (``core.shift``): alpha scales the raw gap
        vector g, lam the unit direction (lam = 2 alpha ||g||). Default: alphas 0, 0.025, ..., 1.
    batch_size : int or None
        Consecutive batches (50 as in Liang's code) or ``None`` for one batch of all pairs.
    protocol : {"symmetric", "official"}
        See ``clip_loss_terms``.

    Returns
    -------
    ShiftTerms
        Per-shift ``matched``, ``logsumexp`` and ``total`` (= ``core.shift.batched_clip_loss``), with both
        ``alphas`` and ``lams`` and the signed remaining gap.
    """
    V.choice(protocol, PROTOCOLS, "protocol")
    tau = _temperature(temperature)
    if alphas is not None and lams is not None:
        raise ValueError("give alphas or lams, not both.")
    grid = (
        _shift_grid(lams, "lams")
        if lams is not None
        else _shift_grid(np.linspace(0.0, 1.0, 41) if alphas is None else alphas, "alphas")
    )
    bs = _batch_size(batch_size)
    x, y = _pair(image_emb, text_emb)
    return _along_shift(x, y, tau, grid, lams is not None, bs, protocol)


def _along_shift(
    x: np.ndarray, y: np.ndarray, tau: float, grid: np.ndarray, is_lam: bool, batch_size: int | None, protocol: str
) -> ShiftTerms:
    """``loss_terms_along_shift`` on checked unit rows and a checked grid (alphas, or lams if ``is_lam``)."""
    bs = batch_size or len(x)
    g, norm, pc1 = _shift_setup(x, y)
    a = grid / (2.0 * norm) if is_lam else grid
    wx, wy = _mean_norms(x, y, g, a)
    m, s = _terms_along(x, y, g, a, wx, wy, tau, bs, protocol)
    gap = _signed_gaps(x, y, g, a, wx, wy, pc1)
    return ShiftTerms(a, 2.0 * a * norm, gap, m, s, m + s, tau, norm, batch_size, protocol)


@dataclass(frozen=True)
class LandscapeMinimum:
    """Lesson 03: where the shift landscape at one tau has its (global, on the grid) minimum."""

    temperature: float
    alpha: float  # alpha* (raw gap vector units)
    lam: float  # lam* = 2 alpha* ||g|| (Liang's unit-vector units)
    gap: float  # signed remaining gap at the minimum
    loss: float  # loss at the minimum
    gap0: float  # unshifted gap ||g||
    loss0: float  # loss at alpha = 0
    step: float  # grid step in alpha (the minimum is placed within step / 2)
    protocol: str
    conversion: str = "lam = 2 * alpha * ||g||"

    @property
    def at_zero(self) -> bool:
        """True when the minimum is the unshifted embedding (alpha* within half a grid step of 0)."""
        return abs(self.alpha) <= self.step / 2


def landscape_minimum(
    image_emb: Any,
    text_emb: Any,
    temperature: float = 0.01,
    alpha_range: tuple = (-1.0, 3.0),
    step: float = 0.005,
    batch_size: int | None = 50,
    protocol: str = "official",
) -> LandscapeMinimum:
    """Lesson 03: locate the minimum of the loss over the shift (Liang Fig. 3b-d) on a fine alpha grid.

    Parameters
    ----------
    image_emb, text_emb : array-like, shape (N, D)
        Matched pairs of a trained model.
    temperature : float
        tau > 0.
    alpha_range : (float, float)
        Scanned alphas, inclusive (the default covers "back to back" too: alpha = 0.5 makes the raw centroids meet).
    step : float
        Grid step in alpha; the minimum is placed within ``step / 2`` (default 0.005, so within 0.01).
    batch_size, protocol :
        As in ``clip_loss_terms``; the defaults are Liang's released protocol (batches of 50, image->text).

    Returns
    -------
    LandscapeMinimum
        alpha*, lam* = 2 alpha* ||g||, the signed gap and the loss there, and the loss and gap at alpha = 0.
    """
    V.choice(protocol, PROTOCOLS, "protocol")
    tau = _temperature(temperature)
    bs = _batch_size(batch_size)
    grid = _alpha_grid(alpha_range, V.positive_number(step, "step"))
    x, y = _pair(image_emb, text_emb)
    terms = _along_shift(x, y, tau, grid, False, bs, protocol)
    k, k0 = int(np.argmin(terms.total)), int(np.argmin(np.abs(grid)))
    return LandscapeMinimum(
        terms.temperature,
        float(grid[k]),
        float(terms.lams[k]),
        float(terms.signed_gap[k]),
        float(terms.total[k]),
        float(terms.gap_norm),
        float(terms.total[k0]),
        float(step),
        protocol,
    )


def _alpha_grid(alpha_range: Any, step: float) -> np.ndarray:
    """The alphas 0, +-step, +-2 step, ... inside a checked ``alpha_range = (low, high)``, low <= 0 <= high."""
    if isinstance(alpha_range, (list, tuple)) and len(alpha_range) == 2:  # each end a real number (no bool, no str)
        lo, hi = (V.real_number(v, "alpha_range") for v in alpha_range)
    else:
        pair = V.real_array(alpha_range, "alpha_range", "a pair (low, high) with low <= 0 <= high")
        if pair.shape != (2,):
            raise ValueError(f"alpha_range must be a pair (low, high) with low <= 0 <= high, got {alpha_range!r}.")
        lo, hi = (float(v) for v in pair)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo <= 0.0 <= hi and lo < hi):
        raise ValueError(f"alpha_range must be (low, high) with low <= 0 <= high and low < high, got {alpha_range!r}.")
    if step > hi - lo:
        raise ValueError(f"step {step} is wider than alpha_range {alpha_range}: the grid would hold alpha = 0 only.")
    if (hi - lo) / step > 20000:
        raise ValueError(f"step {step} is too fine for alpha_range {alpha_range}: at most 20,000 grid points.")
    return np.unique(np.concatenate([np.arange(0.0, lo - step / 2, -step), np.arange(0.0, hi + step / 2, step)]))
