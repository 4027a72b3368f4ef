# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson NN — Template: temperature sharpens the contrastive softmax
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/modgap-edu/modgap_edu/main?urlpath=lab/tree/lessons)
#
# *This is the template for a new lesson (see `docs/instructors.md`, "Adding a lesson").
# Copy it to `sources/NN_topic.py`, replace the content, keep the structure.
# `tests/test_lesson_template.py` builds and runs it, so it always shows a working example
# of every convention: exercise + solution + check, an interactive demo with a static
# fallback, a hidden answer and a computed "paper vs. your run" table.*
#
# CLIP compares an image with every caption in the batch and turns the similarities into
# probabilities with a softmax at temperature τ. In this lesson you write that softmax
# yourself and see how τ decides whether the model is sure or hesitant.

# %% [markdown]
# ## Objectives (about 20 min)
# - (5 min) Write the temperature softmax used by the CLIP loss.
# - (10 min) See with a slider how τ sharpens or flattens the distribution.
# - (5 min) Compare CLIP's initial and smallest temperature with your own numbers.

# %%
import numpy as np

import modgap_edu
from modgap_edu.plots.widgets import demo, log_slider, new_figure

rng = modgap_edu.set_seed(0)
print(modgap_edu.__version__)

# %% tags=["solution"]
from modgap_edu.exercises import require_pass

require_pass()

# %% [markdown]
# ## 1. The softmax at temperature τ
#
# For one image with cosine similarities $s_1, \dots, s_n$ to the $n$ captions of the batch,
# CLIP's probability of caption $j$ is
# $$p_j = \frac{\exp(s_j/\tau)}{\sum_k \exp(s_k/\tau)} .$$
#
# ### Exercise 1.1
# Write `my_softmax(sims, tau)` for a 1-D array `sims`. Keep it stable for small τ:
# $\exp(1/0.001)$ overflows.


# %% tags=["exercise"]
def my_softmax(sims, tau):
    """Probabilities p_j = exp(s_j / tau) / sum_k exp(s_k / tau) for a 1-D array ``sims``."""
    raise NotImplementedError("Exercise 1.1: divide by tau, subtract the maximum, exponentiate, normalize")


my_softmax(np.array([0.3, 0.1]), 0.07)


# %% tags=["solution"]
def my_softmax(sims, tau):
    """Probabilities p_j = exp(s_j / tau) / sum_k exp(s_k / tau) for a 1-D array ``sims``."""
    z = np.asarray(sims, dtype=float) / tau
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


my_softmax(np.array([0.3, 0.1]), 0.07)


# %% [markdown]
# Check your function (in a real lesson this check lives in `modgap_edu/exercises/lessonNN.py`
# and the cell is a one-liner such as `check_softmax(my_softmax)`).

# %%
from modgap_edu.exercises import run_check


def reference_softmax(sims, tau):
    """Reference: the same formula via torch (an independent implementation)."""
    import torch

    return torch.softmax(torch.tensor(np.asarray(sims, dtype=float)) / tau, dim=0).numpy()


def check_softmax(fn):
    cases = [(np.array([0.3, 0.1, -0.2]), 0.07), (np.array([0.9, 0.8, 0.1, 0.0]), 0.001)]

    def attempt():
        return [np.asarray(fn(s, t), dtype=float) for s, t in cases]

    def verify(results):
        for (sims, tau), got in zip(cases, results):
            want = reference_softmax(sims, tau)
            if got.shape != want.shape:
                return f"expected {want.shape[0]} probabilities, got shape {got.shape}."
            if not np.all(np.isfinite(got)):
                return f"NaN or inf at tau={tau}: subtract the largest s_j/tau before exp (overflow)."
            if abs(got.sum() - 1) > 1e-6:
                return "the probabilities do not sum to 1: divide by the sum of the exponentials."
            if np.allclose(got, reference_softmax(sims, 1.0)) and tau != 1.0:
                return "you ignored tau: divide the similarities by tau before exp."
            if not np.allclose(got, want, atol=1e-8):
                return f"wrong values at tau={tau}: expected {np.round(want, 4)}, got {np.round(got, 4)}."
        return None

    return run_check("Exercise 1.1", attempt, verify)


check_softmax(my_softmax)

# %% [markdown]
# The rest of the lesson uses the reference (`reference_softmax`), never `my_softmax`,
# so it runs even while the exercise is open.
#
# **Question.** Halving τ — does the most likely caption become more or less likely?
# <details><summary>Answer</summary>
# More likely (unless all similarities are equal): dividing by a smaller τ stretches the
# gaps between the logits, and the softmax puts more mass on the largest one.
# </details>

# %% [markdown]
# ## 2. Explore: move τ
# Eight captions; caption 0 is the right one. The bars are $p_j$; the title prints
# $p_0$ and the entropy of the distribution (in nats).

# %%
SIMS = -np.sort(-rng.uniform(-0.1, 0.35, size=8))  # descending: caption 0 has the largest similarity
SIMS[0] += 0.05


def entropy(p):
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def plot_softmax(tau):
    """Bar chart of the CLIP softmax over 8 captions at temperature ``tau`` (pure; returns a Figure)."""
    p = reference_softmax(SIMS, tau)
    fig = new_figure(7.0, 3.0)
    ax = fig.add_subplot()
    ax.bar(range(len(p)), p, color=["tab:green"] + ["tab:gray"] * (len(p) - 1))
    ax.set_ylim(0, 1)
    ax.set_xlabel("caption j (0 = the matching caption)")
    ax.set_ylabel("probability $p_j$")
    ax.set_title(f"τ = {tau:.3g}:  p₀ = {p[0]:.3f},  entropy = {entropy(p):.2f} nats")
    return fig


# %%
# NBVAL_IGNORE_OUTPUT
demo(plot_softmax, tau=log_slider("temperature τ (unitless)", 0.005, 1, 0.07))

# %% [markdown]
# ## 3. Paper vs. your run
# Radford et al. (2021, §2.5) initialise the learnable temperature at τ = 0.07 and clip the
# logit scale 1/τ at 100, i.e. τ ≥ 0.01. Every number in the "your run" column is computed here.

# %%
rows = [("CLIP initial τ (Radford et al. 2021)", 0.07), ("CLIP smallest τ (logit scale ≤ 100)", 0.01)]
print(f"{'setting':40s} {'τ':>6s} {'p₀ (your run)':>14s} {'entropy / nats':>15s}")
for name, tau in rows:
    p = reference_softmax(SIMS, tau)
    print(f"{name:40s} {tau:6.2f} {p[0]:14.3f} {entropy(p):15.2f}")
print(f"{'uniform over 8 captions':40s} {'—':>6s} {1 / 8:14.3f} {np.log(8):15.2f}")

# %% [markdown]
# ## Summary
# - CLIP's probabilities are a softmax of similarities divided by τ.
# - Small τ makes the distribution sharp (confident), large τ makes it flat.
#
# ## Further reading
# - A. Radford et al., *Learning Transferable Visual Models From Natural Language Supervision*, ICML 2021.
