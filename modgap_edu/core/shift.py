"""The embedding-shift experiment (lesson 03; Liang et al. 2022, Sec. 4.2 and Fig. 3a-d).

Move the two modalities of a *fixed* set of embeddings toward (or away from) each
other along the gap direction, renormalize, and watch the CLIP loss. Nothing is
trained: the loss is a 1-D landscape over the shift.

Two parametrizations (both in the lesson, see papers.md Sec. 1.7):

* ``alpha`` (the seminar's form): g = mean(x_hat) - mean(y_hat) (the *raw* gap vector),
  x' = normalize(x_hat - alpha * g),  y' = normalize(y_hat + alpha * g);
* ``lam`` (Liang's official code, ``delta``): u = g / ||g|| (the *unit* direction),
  x' = normalize(x_hat - lam/2 * u),  y' = normalize(y_hat + lam/2 * u).

They describe the same family of shifts: ``lam = 2 * alpha * ||g||``.

Loss protocols (papers.md Sec. 1.7, 1.13):

* ``"official"``: the pairs are split in their original order into consecutive
  batches of 50; each batch's loss is the image->text cross-entropy only (the
  released notebook's ``logits_per_text.T`` is again the image->text logits), and
  the batch losses are averaged;
* ``"symmetric"``: the same batches, with the symmetric CLIP loss the paper's
  equation describes, (L_I->T + L_T->I) / 2.

The x-axis of Fig. 3b-d is the *signed* residual gap: ||mean(x') - mean(y')|| with the
sign of the text-minus-image centroid difference along PC1 of the unshifted
features (PCA fitted once on both modalities). PC1's orientation is arbitrary, so we
orient it such that the unshifted gap is positive, as in the paper's figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy.special import logsumexp

from modgap_edu.core import metrics
from modgap_edu.core import validation as V
from modgap_edu.core.dimensions import _pca
from modgap_edu.core.losses import clip_loss, inverse_temperature

PROTOCOLS = ("official", "symmetric")
PAPER_LAMBDAS = np.arange(-5.0, 5.0, 0.25)  # `delta in np.arange(-5.0, 5.0, 0.25)`: 40 values


def few_blas_threads():
    """Lesson 03 helper: a context with one BLAS thread (small matrix products; avoids thread thrashing
    on a shared 2-core CPU, which made a 512 x 512 eigenproblem 20x slower here).

    Returns
    -------
    contextlib.AbstractContextManager
        ``threadpoolctl.threadpool_limits(1, "blas")``, or a null context without threadpoolctl.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _checked_pair(image_emb: Any, text_emb: Any, *, paired: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``validation.pair``, then unit rows (``metrics.unit_rows``, overflow-safe, float64)."""
    x, y = V.pair(image_emb, text_emb, paired=paired)
    return metrics.unit_rows(x), metrics.unit_rows(y)


def gap_direction(image_emb: Any, text_emb: Any) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03: the raw gap vector g = mean(x_hat) - mean(y_hat) and its unit direction u = g/||g||.

    Liang et al. 2022, Sec. 4.2; the official code stores u (``modality_gap_vector.pkl``).
    Raises ``ValueError`` if the two centroids coincide (no gap, so no direction).

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Image and text embeddings of the same width (real, finite, no all-zero row).

    Returns
    -------
    g, u : numpy.ndarray
        The raw gap vector and its unit direction.
    """
    x, y = _checked_pair(image_emb, text_emb, paired=False)
    g = x.mean(axis=0) - y.mean(axis=0)
    norm = float(np.linalg.norm(g))
    if norm < 1e-12:
        raise ValueError("the image and text centroids coincide (gap = 0): there is no gap direction to shift along.")
    return g, g / norm


def _shift_normalized(x: np.ndarray, y: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not np.all(np.isfinite(step)):
        raise ValueError("this shift is too large to represent (it overflows float64): use a smaller alpha / lam.")
    xs, ys = x - step, y + step
    for arr, name in ((xs, "image"), (ys, "text")):
        if np.any(np.linalg.norm(arr, axis=1) < 1e-12):
            raise ValueError(
                f"this shift moves a(n) {name} embedding exactly onto the origin, so it cannot be "
                "renormalized; use a slightly different shift."
            )
    return metrics.unit_rows(xs), metrics.unit_rows(ys)


def shift_embeddings(
    image_emb: Any, text_emb: Any, alpha: float | None = None, lam: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03: shift images and texts along the gap and renormalize (Liang et al. 2022, Sec. 4.2, Fig. 3).

    Give exactly one of
      * ``alpha``: x' = normalize(x_hat - alpha*g), y' = normalize(y_hat + alpha*g), g the raw gap vector
        (the seminar's form; alpha = 0.5 makes the *unnormalized* centroids meet);
      * ``lam``: x' = normalize(x_hat - lam/2*u), y' = normalize(y_hat + lam/2*u), u = g/||g||
        (Liang's code, ``delta``; lam > 0 closes the gap, lam < 0 widens it).
    Rows are L2-normalized first; returns float64 arrays ``(image_shifted, text_shifted)``.

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Image and text embeddings of the same width (real, finite, no all-zero row).
    alpha : float, optional
        Shift along the raw gap vector (finite).
    lam : float, optional
        Shift along the unit gap direction (finite).

    Returns
    -------
    tuple of numpy.ndarray
        ``(image_shifted, text_shifted)``, unit rows.
    """
    if (alpha is None) == (lam is None):
        raise ValueError(
            "give exactly one of alpha (raw gap vector, seminar form) or lam (unit direction, "
            "Liang's code); got " + ("both." if alpha is not None else "neither.")
        )
    x, y = _checked_pair(image_emb, text_emb, paired=False)
    g = x.mean(axis=0) - y.mean(axis=0)
    if alpha is not None:
        step = V.real_number(alpha, "alpha") * g
    else:
        norm = float(np.linalg.norm(g))
        if norm < 1e-12:
            raise ValueError(
                "the image and text centroids coincide (gap = 0): the unit direction u = g/||g|| "
                "is undefined, so lam cannot be used."
            )
        step = (V.real_number(lam, "lam") / 2.0) * (g / norm)
    return _shift_normalized(x, y, step)


def shift_images_only(image_emb: Any, text_emb: Any, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 03: Liang's one-sided shift x' = normalize(x_hat - lam * u), texts only normalized.

    The protocol of ``get_gap_stats.ipynb`` (its printed signed-distance table) and of Table 2
    (fairness); u = g/||g|| is the unit gap direction. Returns ``(image_shifted, text_normalized)``.

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Image and text embeddings of the same width (real, finite, no all-zero row).
    lam : float
        Shift of the images along -u (finite).

    Returns
    -------
    tuple of numpy.ndarray
        ``(image_shifted, text_normalized)``, unit rows.
    """
    x, y = _checked_pair(image_emb, text_emb, paired=False)
    g = x.mean(axis=0) - y.mean(axis=0)
    norm = float(np.linalg.norm(g))
    if norm < 1e-12:
        raise ValueError("the image and text centroids coincide (gap = 0): the unit direction is undefined.")
    xs, _ = _shift_normalized(x, y, V.real_number(lam, "lam") * (g / norm))
    return xs, y


def alpha_to_lam(alpha: float, gap_norm: float) -> float:
    """Lesson 03: the ``lam`` that gives the same shift as ``alpha`` (lam = 2 * alpha * ||g||; papers.md Sec. 1.7).

    Parameters
    ----------
    alpha : float
        The seminar's shift (finite).
    gap_norm : float
        ||g|| > 0, the raw gap's length.

    Returns
    -------
    float
    """
    return 2.0 * V.real_number(alpha, "alpha") * V.positive_number(gap_norm, "gap_norm")


def pc1_direction(image_emb: Any, text_emb: Any) -> np.ndarray:
    """Lesson 03: PC1 of the normalized image and text embeddings stacked (Liang's Fig. 3 x-axis sign).

    Oriented so that the unshifted text-minus-image centroid difference projects positively,
    i.e. the unshifted gap gets a positive sign. Liang et al. 2022, Fig. 3 (PCA on both modalities).

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Image and text embeddings of the same width (real, finite, no all-zero row).

    Returns
    -------
    numpy.ndarray
        The unit PC1 axis.
    """
    x, y = _checked_pair(image_emb, text_emb, paired=False)
    return _top_pcs(x, y, 1)[0]


def _top_pcs(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Top-k principal axes (rows) of the stacked normalized x, y (``dimensions.pca``); PC1 oriented
    along mean(y) - mean(x)."""
    with few_blas_threads():  # threads only fight on a busy 2-core machine
        pcs = _pca(np.vstack([x, y]), k)[1].copy()
    if (y.mean(axis=0) - x.mean(axis=0)) @ pcs[0] < 0:
        pcs[0] = -pcs[0]
    return pcs


def signed_gap(image_emb: Any, text_emb: Any, pc1: Any) -> float:
    """Lesson 03: ||mean(x_hat) - mean(y_hat)|| with the sign of (mean(y_hat) - mean(x_hat)) . pc1.

    Liang et al. 2022, Fig. 3b-d x-axis (``plot_optimization_exp.ipynb``). Pass the ``pc1`` of the
    *unshifted* features (``pc1_direction``) so that the unshifted gap is positive and
    "back-to-back" configurations (the modalities crossed over) are negative.

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Image and text embeddings of the same width (real, finite, no all-zero row).
    pc1 : array_like
        A nonzero, finite direction of the embedding width (``pc1_direction``).

    Returns
    -------
    float
        The signed residual gap.
    """
    x, y = _checked_pair(image_emb, text_emb, paired=False)
    p = V.vector(np.reshape(pc1, -1) if isinstance(pc1, np.ndarray) else pc1, "pc1", nonzero=True)
    if p.shape[0] != x.shape[1]:
        raise ValueError(f"pc1 must have {x.shape[1]} entries (the embedding width), got {p.shape[0]}.")
    d = y.mean(axis=0) - x.mean(axis=0)
    sign = 1.0 if d @ p >= 0 else -1.0
    return sign * float(np.linalg.norm(d))


def _batches(n: int, batch_size: int, drop_last: bool = True) -> list[slice]:
    """Consecutive batches of ``batch_size`` rows in the original order; ``drop_last`` drops a final
    shorter batch, as the official ``calculate_val_loss`` does (it iterates ``n // batch_size`` batches)."""
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    return [slice(s, min(s + batch_size, n)) for s in range(0, stop, batch_size)]


def batched_clip_loss(
    image_emb: Any,
    text_emb: Any,
    temperature: float = 0.01,
    batch_size: int = 50,
    protocol: str = "official",
    drop_last: bool = True,
) -> float:
    """Lesson 03: Liang's Fig. 3 validation loss (``calculate_val_loss``), or its symmetric version.

    Rows are split in their original order into consecutive batches of ``batch_size``; the
    per-batch losses are averaged. As in the official code a last, shorter batch is dropped
    (``drop_last=False`` keeps it; fewer rows than one batch: the single short batch is used).
    ``protocol="official"`` uses the image->text cross-entropy only (the released code's ``.T``
    quirk), ``"symmetric"`` the CLIP loss of the paper's equation, (L_I->T + L_T->I)/2. Uses
    ``modgap_edu.core.losses.clip_loss``.

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Image and text embeddings of the same width (real, finite, no all-zero row).
    temperature : float
        tau > 0.
    batch_size : int
        Rows per batch, >= 1.
    protocol : {"official", "symmetric"}
        Image->text cross-entropy only, or the symmetric CLIP loss.
    drop_last : bool
        Drop a final batch shorter than ``batch_size`` (the official behaviour).

    Returns
    -------
    float
        The mean batch loss.
    """
    V.choice(protocol, PROTOCOLS, "protocol")
    V.positive_number(temperature, "temperature")
    batch_size = V.integer(batch_size, "batch_size", 1)
    drop_last = V.boolean(drop_last, "drop_last")
    x, y = _checked_pair(image_emb, text_emb)
    direction = "image_to_text" if protocol == "official" else "both"
    batches = _batches(len(x), batch_size, drop_last)
    return float(np.mean([float(clip_loss(x[b], y[b], temperature, direction=direction)) for b in batches]))


def _batch_losses(sims: list[np.ndarray], temperature: float) -> tuple[float, float]:
    """(image->text, symmetric) batch-averaged losses from per-batch cosine matrices (stable at tiny tau)."""
    inverse_temperature(temperature)  # a clear error instead of inf / NaN for a tiny tau
    i2t, sym = [], []
    for s in sims:
        z = s / temperature  # finite: |s| <= 1 and 1/temperature < float64 max / 4
        diag = np.diagonal(z, axis1=-2, axis2=-1)
        a = (logsumexp(z, axis=-1) - diag).mean(axis=-1)
        b = (logsumexp(z, axis=-2) - diag).mean(axis=-1)
        i2t.append(a)
        sym.append((a + b) / 2)
    return np.mean(i2t, axis=0), np.mean(sym, axis=0)


@dataclass
class ShiftLandscape:
    """Lesson 03: loss vs remaining gap for a grid of shifts and temperatures (Fig. 3b-d).

    ``loss[protocol][t, k]`` is the batched loss at ``temperatures[t]`` and shift ``shifts[k]``;
    ``signed_gap[k]`` is the signed residual gap after that shift; ``kind`` is "alpha" or "lam".
    """

    kind: str
    shifts: np.ndarray
    temperatures: np.ndarray
    signed_gap: np.ndarray
    loss: dict = field(default_factory=dict)
    batch_size: int = 50
    drop_last: bool = True
    pc1: np.ndarray = field(default=None, repr=False)
    sims: list = field(default_factory=list, repr=False)

    def loss_at(self, temperature: float, protocol: str = "official") -> np.ndarray:
        """The loss curve (one value per shift) at ``temperature``; computed and cached on first use.

        Parameters
        ----------
        temperature : float
            tau > 0.
        protocol : {"official", "symmetric"}
            Which batched loss.

        Returns
        -------
        numpy.ndarray
            One loss per shift.
        """
        V.choice(protocol, PROTOCOLS, "protocol")
        tau = V.positive_number(temperature, "temperature")
        hit = np.nonzero(np.isclose(self.temperatures, tau, rtol=1e-9, atol=0))[0]
        if hit.size:
            return self.loss[protocol][hit[0]]
        i2t, sym = _batch_losses(self.sims, tau)
        self.temperatures = np.append(self.temperatures, tau)
        self.loss["official"] = np.vstack([self.loss["official"], i2t])
        self.loss["symmetric"] = np.vstack([self.loss["symmetric"], sym])
        return {"official": i2t, "symmetric": sym}[protocol]

    def minimum(self, temperature: float, protocol: str = "official") -> tuple[float, float, float]:
        """(shift, signed residual gap, loss) at the grid point of lowest loss.

        Parameters
        ----------
        temperature : float
            tau > 0.
        protocol : {"official", "symmetric"}
            Which batched loss.

        Returns
        -------
        tuple of float
        """
        curve = self.loss_at(temperature, protocol)
        k = int(np.argmin(curve))
        return float(self.shifts[k]), float(self.signed_gap[k]), float(curve[k])


def loss_landscape(
    image_emb: Any,
    text_emb: Any,
    temperatures: Sequence[float] = (0.01, 0.02, 1.0),
    alphas: Sequence[float] | None = None,
    lams: Sequence[float] | None = None,
    batch_size: int = 50,
    drop_last: bool = True,
) -> ShiftLandscape:
    """Lesson 03: Liang's Fig. 3b-d scan. Shift by every ``alpha`` (or every ``lam``), record the signed
    residual gap and both batched losses at every temperature.

    Default grid: ``lams = np.arange(-5, 5, 0.25)`` as in the official notebook. The per-batch cosine
    matrices are kept, so a new temperature costs one vectorized pass (a slider callback stays fast).
    The batches are those of ``batched_clip_loss`` (a last short batch dropped unless ``drop_last=False``).

    Parameters
    ----------
    image_emb, text_emb : array_like or torch.Tensor
        Matched embeddings of the same shape (row i <-> row i).
    temperatures : sequence of float
        Temperatures tau > 0 computed up front (others are added on first use).
    alphas, lams : sequence of float, optional
        The shift grid, one of the two (default: ``lams = PAPER_LAMBDAS``).
    batch_size : int
        Rows per batch, >= 1.
    drop_last : bool
        Drop a final batch shorter than ``batch_size`` (the official behaviour).

    Returns
    -------
    ShiftLandscape
    """
    if alphas is not None and lams is not None:
        raise ValueError("give alphas or lams, not both.")
    if alphas is None and lams is None:
        lams = PAPER_LAMBDAS
    kind = "alpha" if alphas is not None else "lam"
    shifts = V.real_array(alphas if alphas is not None else lams, f"{kind}s", "a list of numbers")
    shifts = shifts.astype(np.float64).reshape(-1)
    if shifts.size == 0 or not np.all(np.isfinite(shifts)):
        raise ValueError(f"{kind}s must be a non-empty list of finite numbers.")
    taus = np.array([V.positive_number(t, "temperature") for t in np.atleast_1d(temperatures)], dtype=np.float64)
    batch_size = V.integer(batch_size, "batch_size", 1)
    drop_last = V.boolean(drop_last, "drop_last")
    with few_blas_threads():
        return _loss_landscape(image_emb, text_emb, taus, kind, shifts, batch_size, drop_last)


def _loss_landscape(image_emb, text_emb, taus, kind, shifts, batch_size, drop_last) -> ShiftLandscape:
    x, y = _checked_pair(image_emb, text_emb)
    pc1 = _top_pcs(x, y, 1)[0]
    g = x.mean(axis=0) - y.mean(axis=0)
    if kind == "lam":
        if np.linalg.norm(g) < 1e-12:
            raise ValueError("the image and text centroids coincide (gap = 0): lam needs a gap direction.")
        g = g / (2.0 * np.linalg.norm(g))  # lam/2 * u
    batches = _batches(len(x), batch_size, drop_last)
    per_batch = [[] for _ in batches]
    gaps = np.empty(shifts.size)
    for k, s in enumerate(shifts):
        xs, ys = _shift_normalized(x, y, s * g)
        d = ys.mean(axis=0) - xs.mean(axis=0)
        gaps[k] = (1.0 if d @ pc1 >= 0 else -1.0) * float(np.linalg.norm(d))
        for j, b in enumerate(batches):
            per_batch[j].append(xs[b] @ ys[b].T)
    sims = [np.stack(p) for p in per_batch]  # each: (n_shifts, b, b)
    land = ShiftLandscape(
        kind=kind,
        shifts=shifts,
        temperatures=np.empty(0),
        signed_gap=gaps,
        loss={"official": np.empty((0, shifts.size)), "symmetric": np.empty((0, shifts.size))},
        batch_size=int(batch_size),
        drop_last=drop_last,
        pc1=pc1,
        sims=sims,
    )
    for t in taus:
        land.loss_at(t)
    return land
