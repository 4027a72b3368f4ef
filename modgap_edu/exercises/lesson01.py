"""Checks for lesson 01 (alignment, uniformity and the CLIP loss).

Each check runs the learner's function on a few seeded inputs (unnormalized on purpose), compares
with the reference in ``modgap_edu.core.losses`` (or ``modgap_edu.toys.gap_fate``) and, when it
differs, computes what each common mistake would give, so that the FAIL message names the mistake.
No message prints the value the exercise asks for.

Exercises: 1.1 the CLIP loss, 1.2 the loss of an orthogonal batch (derivation), 1.3 alignment,
1.4 uniformity, 1.5 the starting angle (open, no check), Bonus 1.6 the loss floor with shared captions.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np
import torch

from modgap_edu.core import losses
from modgap_edu.core.losses import unit_rows_torch
from modgap_edu.exercises import as_float, run_check
from modgap_edu.toys import gap_fate

CE = torch.nn.functional.cross_entropy


def _inputs(seed: int, n: int = 6, d: int = 5):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64) * 3
    y = torch.randn(n, d, generator=g, dtype=torch.float64) * 0.5
    return x, y


def _match(value: float, expected: float) -> bool:
    return math.isfinite(value) and abs(value - expected) <= 1e-6 + 1e-5 * abs(expected)


def _first_hit(got: float, mistakes: list) -> Optional[str]:
    """The message of the first ``(value_the_mistake_gives, message)`` that matches ``got``."""
    for value, message in mistakes:
        if _match(got, float(value)):
            return message
    return None


# ------------------------------------------------------------------ Exercise 1.1
def _two_way(logits: torch.Tensor, combine=lambda a, b: (a + b) / 2, reduction: str = "mean") -> float:
    labels = torch.arange(len(logits))
    return float(combine(CE(logits, labels, reduction=reduction), CE(logits.T, labels, reduction=reduction)))


def _clip_mistakes(x: torch.Tensor, y: torch.Tensor, tau: float) -> list:
    """What the usual slips give for the CLIP loss of ``x, y`` at ``tau``."""
    xn, yn = unit_rows_torch(x), unit_rows_torch(y)
    cos = xn @ yn.T
    labels = torch.arange(len(x))
    cols = (x / x.norm(dim=0, keepdim=True)) @ (y / y.norm(dim=0, keepdim=True)).T
    return [
        (
            CE(cos / tau, labels),
            "you computed one direction only (image→text); CLIP averages image→text and text→image.",
        ),
        (CE(cos.T / tau, labels), "you computed one direction only (text→image); CLIP averages both directions."),
        (
            _two_way(cos / tau, lambda a, b: a + b),
            "you summed the two directions; CLIP takes their mean (divide by 2).",
        ),
        (
            _two_way(cos / tau, reduction="sum"),
            "you summed the cross-entropy over the batch: average it over the N pairs.",
        ),
        (_two_way(x @ y.T / tau), "your loss uses raw dot products: L2-normalize the rows of both inputs first."),
        (
            _two_way(cols / tau),
            "you normalized the columns: each embedding is a row, so normalize every row to length 1.",
        ),
        (_two_way(cos * tau), "divide the similarities by the temperature τ (you multiplied)."),
        (_two_way(cos), "your loss does not change with τ: divide the cosines by the temperature before the softmax."),
    ]


def check_clip_loss(fn: Callable) -> None:
    """Exercise 1.1: ``fn(image_emb, text_emb, temperature)`` -> symmetric CLIP loss (Radford et al. 2021).

    Parameters
    ----------
    fn : callable
        The learner's ``my_clip_loss``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    cases = [(*_inputs(s), tau) for s, tau in ((0, 0.07), (1, 1.0), (2, 0.01))]

    def attempt():
        return [as_float(fn(x.clone(), y.clone(), tau)) for x, y, tau in cases]

    def verify(values):
        for (x, y, tau), got in zip(cases, values):
            if _match(got, float(losses.clip_loss(x, y, tau))):
                continue
            hit = _first_hit(got, _clip_mistakes(x, y, tau))
            if hit:
                return hit
            return (
                f"for τ = {tau} your loss ({got:.4f}) is not the symmetric CLIP loss. Go step by step: unit rows, "
                "cosines divided by τ, one cross-entropy per direction with the diagonal as the right answer, their mean."
            )
        return None

    run_check(
        "Exercise 1.1",
        attempt,
        verify,
        "matches modgap_edu.core.losses.clip_loss (and so open_clip.ClipLoss) for τ = 0.07, 1 and 0.01.",
    )


# ------------------------------------------------------------------ Exercise 1.2
ORTHOGONAL_CASES = ((4, 1.0), (48, 0.5), (10, 0.1), (2, 2.0), (100, 0.05))


def orthogonal_batch_loss(n: int, temperature: float) -> float:
    """CLIP loss of a batch whose pairs coincide and are mutually orthogonal (lesson 01, Exercise 1.2).

    Computed with the reference loss on the batch itself (image i = text i = the i-th unit vector),
    not from a closed form.

    Parameters
    ----------
    n : int
        Number of pairs, >= 2.
    temperature : float
        tau > 0.

    Returns
    -------
    float
    """
    eye = torch.eye(int(n), dtype=torch.float64)
    return float(losses.clip_loss(eye, eye, float(temperature)))


def _orthogonal_mistakes(n: int, tau: float) -> list:
    e = math.exp(-1 / tau)
    p = 1 / (1 + (n - 1) * e)
    return [
        (
            math.log(n),
            "that is the loss of collapsed embeddings (every logit equal); here the match has cosine 1 "
            "and every impostor cosine 0, so the match's logit is larger.",
        ),
        (math.log2(1 + (n - 1) * e), "use the natural log: the cross-entropy is −ln of the softmax probability."),
        (math.log10(1 + (n - 1) * e), "use the natural log: the cross-entropy is −ln of the softmax probability."),
        (math.log(1 + n * e), "count the impostors again: a row has the match and n − 1 other candidates."),
        (
            math.log(n - 1) - 1 / tau,
            "the softmax denominator includes the matched pair itself, not only the impostors.",
        ),
        (
            2 * math.log(1 + (n - 1) * e),
            "both directions give the same value and CLIP takes their mean, not their sum.",
        ),
        (math.log(1 + (n - 1) * math.exp(-tau)), "logits are cosines divided by τ, not multiplied by τ."),
        (math.log(1 + (n - 1) * math.exp(1 / tau)), "check the sign in the exponent: impostors have the lower logit."),
        (p, "you returned the softmax probability of the match; the cross-entropy is minus its natural log."),
        (
            1 - p,
            "you returned the probability of picking an impostor; the cross-entropy is minus the log of the "
            "match's probability.",
        ),
    ]


def check_orthogonal_batch_loss(fn: Callable) -> None:
    """Exercise 1.2 (derivation): ``fn(n, temperature)`` -> the CLIP loss of an orthogonal, aligned batch.

    Parameters
    ----------
    fn : callable
        The learner's ``my_orthogonal_batch_loss``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """

    def attempt():
        return [as_float(fn(n, tau)) for n, tau in ORTHOGONAL_CASES]

    def verify(values):
        for (n, tau), got in zip(ORTHOGONAL_CASES, values):
            if _match(got, orthogonal_batch_loss(n, tau)):
                continue
            hit = _first_hit(got, _orthogonal_mistakes(n, tau))
            if hit:
                return f"(n = {n}, τ = {tau}) {hit}"
            if _match(got, 0.0):
                return "the loss is 0 only in the limit τ → 0: at a finite τ the impostors keep a little weight."
            return (
                f"for n = {n}, τ = {tau} your value {got:.4f} is off. Write one row of logits (the match and the "
                "impostors), then −ln of the match's softmax probability; the other direction is the same."
            )
        return None

    run_check(
        "Exercise 1.2",
        attempt,
        verify,
        "equals the reference CLIP loss of the orthogonal batch for every n and τ tried.",
    )


# ------------------------------------------------------------------ Exercise 1.3
def _align_mistakes(x: torch.Tensor, y: torch.Tensor, alpha: float) -> list:
    xn, yn = unit_rows_torch(x), unit_rows_torch(y)
    dist = (xn - yn).norm(dim=1)
    cols = (x / x.norm(dim=0, keepdim=True) - y / y.norm(dim=0, keepdim=True)).norm(dim=1)
    return [
        (
            (x - y).norm(dim=1).pow(alpha).mean(),
            "L2-normalize x and y first: alignment is measured on the unit sphere.",
        ),
        (cols.pow(alpha).mean(), "you normalized the columns: normalize each row (each embedding) to length 1."),
        (dist.mean(), "raise each distance to the power alpha (2 by default) before averaging."),
        (dist.mean() ** alpha, "average the powered distances, not power the average: mean(‖x̂−ŷ‖^α)."),
        (dist.pow(alpha).sum(), "you summed over the pairs: alignment is the mean over pairs."),
        (dist.pow(2 * alpha).mean(), "you squared the distance and then raised it to α: use ‖x̂−ŷ‖ itself, to the α."),
        (
            torch.cdist(xn, yn).pow(alpha).mean(),
            "you averaged over all image–text combinations: alignment uses only the matched pairs, row i with row i.",
        ),
    ]


def check_align_loss(fn: Callable) -> None:
    """Exercise 1.3: ``fn(x, y, alpha=2)`` -> Wang & Isola's alignment.

    Parameters
    ----------
    fn : callable
        The learner's ``my_align_loss``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    cases = [(*_inputs(3), 2), (*_inputs(4), 2), (*_inputs(3), 1)]

    def attempt():
        return [
            as_float(fn(x.clone(), y.clone(), alpha=a) if a != 2 else fn(x.clone(), y.clone())) for x, y, a in cases
        ]

    def verify(values):
        for (x, y, alpha), got in zip(cases, values):
            if _match(got, float(losses.align_loss(x, y, alpha))):
                continue
            if alpha != 2 and _match(got, float(losses.align_loss(x, y, 2))):
                return "your function ignores alpha: with alpha = 1 it still returns the α = 2 value."
            hit = _first_hit(got, _align_mistakes(x, y, alpha))
            if hit:
                return hit
            return f"your alignment ({got:.4f}, α = {alpha}) is off: mean over the matched rows of ‖x̂_i − ŷ_i‖^α."
        return None

    run_check("Exercise 1.3", attempt, verify, "matches Wang & Isola's align_loss for α = 2 and α = 1.")


# ------------------------------------------------------------------ Exercise 1.4
def _uniform_mistakes(x: torch.Tensor, t: float) -> list:
    xn = unit_rows_torch(x)
    d2 = torch.pdist(xn).pow(2)
    mean_exp = torch.exp(-t * d2).mean()
    return [
        (
            torch.exp(-t * torch.cdist(xn, xn).pow(2)).mean().log(),
            "you averaged over all N² pairs, including i = j: use only the distinct pairs i < j (torch.pdist).",
        ),
        (torch.exp(-t * torch.pdist(xn)).mean().log(), "square the distances: exp(−t‖x̂_i − x̂_j‖²)."),
        (mean_exp, "take the log of the mean: uniformity is log E[exp(−t‖x̂_i − x̂_j‖²)]."),
        ((-t * d2).mean(), "you took the mean of the log; uniformity is the log of the mean of the exponentials."),
        (torch.exp(-t * torch.pdist(x).pow(2)).mean().log(), "L2-normalize the rows first."),
        (
            torch.exp(t * d2).mean().log(),
            "the exponent needs a minus sign: exp(−t‖x̂_i − x̂_j‖²), close pairs weigh most.",
        ),
        (torch.log2(mean_exp), "use the natural log (torch.log), as Wang & Isola's code does."),
        (torch.log10(mean_exp), "use the natural log (torch.log), as Wang & Isola's code does."),
    ]


def check_uniform_loss(fn: Callable) -> None:
    """Exercise 1.4: ``fn(x, t=2)`` -> Wang & Isola's uniformity over pairs i < j.

    Parameters
    ----------
    fn : callable
        The learner's ``my_uniform_loss``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """
    cases = [(_inputs(5, n=7)[0], 2), (_inputs(6, n=7)[0], 2), (_inputs(5, n=7)[0], 0.5)]

    def attempt():
        return [as_float(fn(x.clone(), t=t) if t != 2 else fn(x.clone())) for x, t in cases]

    def verify(values):
        for (x, t), got in zip(cases, values):
            if _match(got, float(losses.uniform_loss(x, t))):
                continue
            if t != 2 and _match(got, float(losses.uniform_loss(x, 2))):
                return "your function ignores t: with t = 0.5 it still returns the t = 2 value."
            hit = _first_hit(got, _uniform_mistakes(x, t))
            if hit:
                return hit
            return f"your uniformity ({got:.4f}, t = {t}) is off: the log of the mean of exp(−t·d²) over pairs i < j."
        return None

    run_check("Exercise 1.4", attempt, verify, "matches Wang & Isola's uniform_loss for t = 2 and t = 0.5.")


# ------------------------------------------------------------------ Bonus exercise 1.6
FLOOR_CASES = ((4, 4, 4, 4), (1, 1, 1), (2, 3, 1, 6), (5,), (1, 7))


def _captions(counts) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def _floor_mistakes(counts) -> list:
    c = np.asarray(counts, dtype=np.float64)
    n, m = c.sum(), len(c)
    return [
        (
            np.sum(c * np.log(c)) / n,
            "only the text→image direction has a floor, and the loss is the mean of the two "
            "directions: halve your value.",
        ),
        (
            np.sum(c * np.log2(c)) / (2 * n),
            "use the natural log: the loss is a cross-entropy in nats (log₂ counts bits).",
        ),
        (
            np.sum(c * np.log2(c)) / n,
            "use the natural log (log₂ counts bits), and remember that only one of the two directions has a floor.",
        ),
        (
            np.sum(np.log(c)) / (2 * m),
            "you averaged over captions; the loss averages over images, and each of the c "
            "images of a caption has its own text→image row.",
        ),
        (
            np.sum(np.log(c)) / (2 * n),
            "each caption's text→image row appears once per image that uses it: weight each caption by its count.",
        ),
        (
            math.log(n / m) / 2,
            "that is right only when every caption is shared equally: with unequal counts, "
            "average the per-row floor over images.",
        ),
    ]


def check_loss_floor(fn: Callable) -> None:
    """Bonus exercise 1.6: ``fn(counts)`` -> the lowest CLIP loss when captions are shared (Schrodi et al. 2025).

    ``counts[t]`` images share caption t; the loss is ``gap_fate.shared_caption_loss`` and the reference
    ``gap_fate.loss_floor``.

    Parameters
    ----------
    fn : callable
        The learner's ``my_loss_floor``.

    Returns
    -------
    None
        Prints the verdict and records it in ``modgap_edu.exercises.RESULTS``.
    """

    def attempt():
        return [as_float(fn(list(c))) for c in FLOOR_CASES]

    def verify(values):
        for counts, got in zip(FLOOR_CASES, values):
            if _match(got, gap_fate.loss_floor(_captions(counts))):
                continue
            hit = _first_hit(got, _floor_mistakes(counts))
            if hit:
                return f"(counts {list(counts)}) {hit}"
            if _match(got, 0.0):
                return (
                    f"(counts {list(counts)}) the loss cannot reach 0 when captions are shared: in the text→image "
                    "direction the images of one caption cannot be told apart."
                )
            return (
                f"(counts {list(counts)}) your floor {got:.4f} is off: find the best possible text→image row for an "
                "image whose caption is shared by c images, then average over all images and both directions."
            )
        return None

    run_check("Bonus exercise 1.6", attempt, verify, "equals gap_fate.loss_floor for equal and unequal caption counts.")
