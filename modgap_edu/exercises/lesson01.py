"""Checks for lesson 01 (alignment, uniformity and the CLIP loss).

Each check runs the learner's function on a few seeded inputs (unnormalized on
purpose), compares with the reference in ``modgap_edu.core.losses`` and, when it
differs, tests the usual mistakes to give a precise hint.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from modgap_edu.core import losses
from modgap_edu.core.losses import unit_rows_torch
from modgap_edu.exercises import as_float, run_check


def _inputs(seed: int, n: int = 6, d: int = 5):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64) * 3
    y = torch.randn(n, d, generator=g, dtype=torch.float64) * 0.5
    return x, y


def _match(value: float, expected: float) -> bool:
    return math.isfinite(value) and abs(value - expected) <= 1e-6 + 1e-5 * abs(expected)


def check_clip_loss(fn: Callable) -> None:
    """Exercise 1.1: ``fn(image_emb, text_emb, temperature)`` -> symmetric CLIP loss."""
    cases = [(*_inputs(s), tau) for s, tau in ((0, 0.07), (1, 1.0), (2, 0.01))]

    def attempt():
        return [as_float(fn(x.clone(), y.clone(), tau)) for x, y, tau in cases]

    def verify(values):
        for (x, y, tau), got in zip(cases, values):
            want = float(losses.clip_loss(x, y, tau))
            if _match(got, want):
                continue
            ce = torch.nn.functional.cross_entropy
            logits = unit_rows_torch(x) @ unit_rows_torch(y).T / tau
            labels = torch.arange(len(x))
            i2t, t2i = float(ce(logits, labels)), float(ce(logits.T, labels))
            raw = x @ y.T / tau
            raw_loss = float((ce(raw, labels) + ce(raw.T, labels)) / 2)
            times = unit_rows_torch(x) @ unit_rows_torch(y).T * tau
            times_loss = float((ce(times, labels) + ce(times.T, labels)) / 2)
            if _match(got, i2t) or _match(got, t2i):
                return f"you computed one direction only ({got:.4f}); CLIP averages image→text and text→image ({want:.4f})."
            if _match(got, i2t + t2i):
                return "you summed the two directions; CLIP takes their mean (divide by 2)."
            if _match(got, raw_loss):
                return "your loss uses raw dot products: L2-normalize the rows of both inputs first."
            if _match(got, times_loss):
                return "divide the similarities by the temperature τ (you multiplied)."
            return f"for τ = {tau} you got {got:.6f}, expected {want:.6f}. Hint: logits = x̂ ŷᵀ / τ, labels = arange(N)."
        return None

    run_check(
        "Exercise 1.1 (CLIP loss)",
        attempt,
        verify,
        "matches modgap_edu.core.losses.clip_loss (and so open_clip.ClipLoss) for τ = 0.07, 1 and 0.01.",
    )


def check_align_loss(fn: Callable) -> None:
    """Exercise 3.1: ``fn(x, y, alpha=2)`` -> Wang & Isola's alignment."""
    cases = [_inputs(s) for s in (3, 4)]

    def attempt():
        return [as_float(fn(x.clone(), y.clone())) for x, y in cases] + [as_float(fn(*cases[0], alpha=1))]

    def verify(values):
        wants = [float(losses.align_loss(x, y)) for x, y in cases] + [float(losses.align_loss(*cases[0], alpha=1))]
        for (x, y), got, want in zip(cases + [cases[0]], values, wants):
            if _match(got, want):
                continue
            if _match(got, float((x - y).norm(dim=1).pow(2).mean())):
                return "L2-normalize x and y first: alignment is measured on the unit sphere."
            if _match(got, float((unit_rows_torch(x) - unit_rows_torch(y)).norm(dim=1).mean())):
                return "raise each distance to the power alpha (2 by default) before averaging."
            if _match(got, float((unit_rows_torch(x) - unit_rows_torch(y)).norm(dim=1).mean() ** 2)):
                return "average the powered distances, not power the average: mean(‖x̂−ŷ‖^α)."
            return f"got {got:.6f}, expected {want:.6f}. Hint: mean over rows of ‖x̂_i − ŷ_i‖^α."
        return None

    run_check("Exercise 3.1 (alignment)", attempt, verify, "matches Wang & Isola's align_loss for α = 2 and α = 1.")


def check_uniform_loss(fn: Callable) -> None:
    """Exercise 3.2: ``fn(x, t=2)`` -> Wang & Isola's uniformity over pairs i < j."""
    cases = [_inputs(s, n=7)[0] for s in (5, 6)]

    def attempt():
        return [as_float(fn(x.clone())) for x in cases] + [as_float(fn(cases[0], t=0.5))]

    def verify(values):
        wants = [float(losses.uniform_loss(x)) for x in cases] + [float(losses.uniform_loss(cases[0], t=0.5))]
        ts = [2, 2, 0.5]
        for x, t, got, want in zip(cases + [cases[0]], ts, values, wants):
            if _match(got, want):
                continue
            xn = unit_rows_torch(x)
            full = torch.cdist(xn, xn).pow(2)
            if _match(got, float(torch.exp(-t * full).mean().log())):
                return "you averaged over all N² pairs, including i = j: use only distinct pairs i < j (torch.pdist)."
            if _match(got, float(torch.exp(-t * torch.pdist(xn)).mean().log())):
                return "square the distances: exp(−t‖x̂_i − x̂_j‖²)."
            if _match(got, float(torch.exp(-t * torch.pdist(xn).pow(2)).mean())):
                return "take the log of the mean: uniformity is log E[exp(−t‖x̂_i − x̂_j‖²)]."
            if _match(got, float(torch.exp(-t * torch.pdist(x).pow(2)).mean().log())):
                return "L2-normalize the rows first."
            return f"got {got:.6f}, expected {want:.6f}. Hint: log of the mean of exp(−t·d²) over pairs i < j."
        return None

    run_check(
        "Exercise 3.2 (uniformity)", attempt, verify, "matches Wang & Isola's uniform_loss for t = 2 and t = 0.5."
    )
