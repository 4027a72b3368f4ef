# %% [markdown]
# # Lesson 01 — Contrastive learning: alignment and uniformity
#
# CLIP learns one embedding space for images and texts by *contrast*: a matched image–caption
# pair should be more similar than every mismatched pair in the batch. Wang & Isola (2020) showed
# that such losses optimise two properties at once: **alignment** (matched pairs close together)
# and **uniformity** (embeddings spread over the sphere). This lesson builds both from their
# definitions, writes the CLIP loss, and trains a toy whose only knob is the temperature τ —
# the knob that, in lessons 02–05, decides whether CLIP's *modality gap* survives training.
#
# **Objectives** (about 85 min)
#
# | # | you will … | time |
# |---|---|---|
# | 1 | write the CLIP (InfoNCE) loss and check it against `modgap_edu` and `open_clip` | 25 min |
# | 2 | see what τ = 0.01 does to the loss's denominator | 5 min |
# | 3 | write Wang & Isola's alignment and uniformity | 15 min |
# | 4 | train two point sets with alignment only, uniformity only, both, and the CLIP loss | 15 min |
# | 5 | move the temperature and watch alignment, uniformity and the gap early in training | 5 min |
# | 6 | train to convergence: when does the gap survive? (temperature × dimension × shared captions) | 5 min |
# | 7 | measure a real CLIP (or the course's fallback) with the same two numbers | 5 min |
#
# Exercises have a check cell right below: it prints **PASS**, **FAIL** with a hint, or
# **not solved yet**. Unsolved exercises never stop the lesson: later cells use the reference
# implementations in `modgap_edu`. Exercise 1.5 is *open* (run an experiment and explain it): it has no check.

# %%
import numpy as np
import torch

import modgap_edu
from modgap_edu.core import losses, metrics
from modgap_edu.exercises.lesson01 import (
    check_align_loss,
    check_clip_loss,
    check_loss_floor,
    check_orthogonal_batch_loss,
    check_uniform_loss,
)
from modgap_edu.models.fallback_features import real_or_fallback_features
from modgap_edu.plots.lesson01 import TemperatureDemo, plot_objectives, plot_softmax_weights
from modgap_edu.plots.widgets import demo, log_slider, show
from modgap_edu.toys import sphere

torch.set_num_threads(1)  # the toys are tiny: one thread is fastest and reproducible
rng = modgap_edu.set_seed(0)
print("modgap_edu", modgap_edu.__version__)

# %% tags=["solution"]
# Solution form only: from here on every check must pass (a failing check raises).
from modgap_edu.exercises import require_pass

require_pass()

# %% [markdown]
# ## 1. The CLIP loss (about 25 min)
#
# A batch holds $N$ matched pairs $(x_i, y_i)$: image $i$ and its caption. Both encoders end with an
# L2 normalisation, $\hat x = x/\lVert x\rVert$, so the similarity of image $i$ and text $j$ is the cosine
# $s_{ij} = \hat x_i^\top \hat y_j \in [-1, 1]$. CLIP (Radford et al. 2021; written out in Liang et al. 2022,
# Sec. 4.1) treats each row of the $N\times N$ similarity matrix as an $N$-way classification whose right
# answer is the diagonal:
#
# $$\mathcal L_{I\to T} = -\frac1N\sum_i \log\frac{\exp(s_{ii}/\tau)}{\sum_j \exp(s_{ij}/\tau)},\qquad
#   \mathcal L_{T\to I} = -\frac1N\sum_i \log\frac{\exp(s_{ii}/\tau)}{\sum_j \exp(s_{ji}/\tau)},\qquad
#   \mathcal L = \tfrac12(\mathcal L_{I\to T}+\mathcal L_{T\to I}).$$
#
# Each term is a cross-entropy with labels $0,1,\dots,N-1$ over logits $s/\tau$.
#
# ### Exercise 1.1 — the CLIP loss
# *Kind: transcription · about 10 min*
#
# Complete `my_clip_loss(image_emb, text_emb, temperature)` for torch tensors of shape $(N, d)$, following the
# formula above. `torch.nn.functional.cross_entropy(logits, labels)` does the log-softmax for you.
#
# <details><summary>Hint</summary>
#
# Three steps, in the order of the formula: make every embedding (every *row*) unit length; build the
# $N\times N$ matrix of logits $s_{ij}/\tau$; then ask, for each row and for each column, "which entry is the
# right answer?" — the labels are the positions of the matched pairs. The two directions use the same matrix,
# read along rows and along columns, and the loss is their *mean*.
# </details>


# %% tags=["exercise"]
def my_clip_loss(image_emb, text_emb, temperature):
    """Symmetric CLIP loss of a batch of matched pairs (row i <-> row i)."""
    # your code here
    raise NotImplementedError("Exercise 1.1: return the symmetric CLIP loss of the batch")


my_clip_loss(torch.randn(4, 8), torch.randn(4, 8), 0.07)


# %% tags=["solution"]
def my_clip_loss(image_emb, text_emb, temperature):
    """Symmetric CLIP loss of a batch of matched pairs (row i <-> row i)."""
    x = image_emb / image_emb.norm(dim=1, keepdim=True)
    y = text_emb / text_emb.norm(dim=1, keepdim=True)
    logits = x @ y.T / temperature
    labels = torch.arange(len(x))
    ce = torch.nn.functional.cross_entropy
    return (ce(logits, labels) + ce(logits.T, labels)) / 2


my_clip_loss(torch.randn(4, 8), torch.randn(4, 8), 0.07)

# %%
check_clip_loss(my_clip_loss)

# %% [markdown]
# The reference `modgap_edu.core.losses.clip_loss` equals `open_clip.ClipLoss` (the loss OpenCLIP trains with)
# on normalised features with `logit_scale = 1/τ`. One computed comparison:

# %%
import open_clip

x, y = (
    torch.randn(8, 32, generator=torch.Generator().manual_seed(1)),
    torch.randn(8, 32, generator=torch.Generator().manual_seed(2)),
)
x_hat, y_hat = x / x.norm(dim=1, keepdim=True), y / y.norm(dim=1, keepdim=True)
ours = losses.clip_loss(x, y, temperature=0.01)
theirs = open_clip.ClipLoss()(x_hat, y_hat, torch.tensor(100.0))
print(f"modgap_edu.clip_loss = {float(ours):.6f}   open_clip.ClipLoss = {float(theirs):.6f}")
print(f"a random batch of N = 8 at τ = 1 scores ≈ log N = {np.log(8):.3f}: {float(losses.clip_loss(x, y, 1.0)):.3f}")

# %% [markdown]
# ### Exercise 1.2 — the loss of a perfect, orthogonal batch
# *Kind: derivation · about 10 min*
#
# How low can the CLIP loss go at a given temperature? Take the best batch you can draw: $N \le d$ pairs, each
# image *on* its caption ($\hat x_i = \hat y_i$), and different pairs orthogonal ($\hat x_i^\top \hat y_j = 0$ for
# $i \ne j$). Derive, on paper, the CLIP loss of this batch as a function of $N$ and $\tau$, then enter it as
# `my_orthogonal_batch_loss(n, temperature)` (plain Python or numpy arithmetic; do not build the batch).
# Afterwards: what does your formula give for $\tau \to \infty$, and how does that compare with the random batch
# above, which scores about $\log N$?
#
# <details><summary>Hint</summary>
#
# Write down one row of the similarity matrix: one entry for the match, $N-1$ for the impostors. Divide by
# $\tau$, take the softmax probability of the match and then minus its natural log. By symmetry the
# text→image direction gives the same number — so what is their mean?
# </details>


# %% tags=["exercise"]
def my_orthogonal_batch_loss(n, temperature):
    """CLIP loss of N aligned, mutually orthogonal pairs, derived on paper."""
    # your formula here
    raise NotImplementedError("Exercise 1.2: return the CLIP loss of an aligned orthogonal batch of n pairs")


my_orthogonal_batch_loss(8, 1.0)


# %% tags=["solution"]
def my_orthogonal_batch_loss(n, temperature):
    """CLIP loss of N aligned, mutually orthogonal pairs, derived on paper."""
    # a row of logits: 1/τ for the match, 0 for the n - 1 impostors; both directions are equal
    return float(np.log(1 + (n - 1) * np.exp(-1 / temperature)))


my_orthogonal_batch_loss(8, 1.0)

# %%
check_orthogonal_batch_loss(my_orthogonal_batch_loss)

# %% [markdown]
# The reference loss on the batch itself (`torch.eye(N)` as images and as texts), for the 48 pairs of the toys
# below, at the temperatures this lesson uses:

# %%
for tau in (1.0, 0.5, 0.1, 0.01):
    print(
        f"τ = {tau:<5g} N = 48: perfect orthogonal batch {float(losses.clip_loss(torch.eye(48), torch.eye(48), tau)):.4f}"
        f"   (collapsed or random batch: log 48 = {np.log(48):.3f})"
    )

# %% [markdown]
# At τ = 1 even the perfect batch scores far above 0: logits that differ by only 1/τ = 1 leave the softmax
# spread over the impostors. At τ = 0.01 it scores 0 to four decimals: a low temperature lets the loss reward a
# correct ranking fully, which is why section 4 can say "a perfect ranking scores 0".

# %% [markdown]
# ## 2. What τ = 0.01 does to the denominator (about 5 min)
#
# CLIP learns its temperature; the trained model ends at τ = 1/100 (`logit_scale = ln 100 = 4.6052`,
# Liang et al. 2022). Dividing cosines by 0.01 turns a difference of 0.05 between two candidates into
# a factor $e^{5} \approx 148$ in the softmax. Below, one row of similarities (a matched pair at 0.30 and
# eleven candidates between 0.05 and 0.28) and the share of the denominator each candidate takes.

# %%
row = np.array([0.30, 0.28, 0.25, 0.22, 0.20, 0.18, 0.15, 0.12, 0.10, 0.08, 0.06, 0.05])
for tau in (1.0, 0.1, 0.01):
    w = sphere.softmax_weights(row, tau)
    print(
        f"τ = {tau:<5g} weight of the match {w[0]:.3f}, of the closest impostor {w[1]:.3f}, "
        f"of the 6 least similar together {w[6:].sum():.4f}"
    )
show(plot_softmax_weights(row))

# %% [markdown]
# At τ = 1 every candidate weighs about the same: the loss pushes against *all* negatives, softly.
# At τ = 0.01 the denominator is the match and its one or two closest impostors; the rest contribute
# nothing to the gradient. A low temperature makes the loss a *local*, hard-negative objective.
#
# **Question 2.1.** With τ = 0.01, does the loss change if every negative similarity drops from 0.10 to
# −0.50 while the hardest impostor stays at 0.28?
#
# <details><summary>Answer</summary>
#
# Hardly. Their weights are already ≈ e^{(0.10−0.30)/0.01} = e^{−20} of the match's. Only the candidates
# within a few hundredths of the match matter. So once every pair is ranked correctly *with a margin* of a few
# hundredths, CLIP at τ = 0.01 gets almost no gradient from moving two modalities closer together. Whether
# training ever reaches that state, and whether the gap is still open when it does, is what section 6 measures:
# in 3-D it does not (the sphere is too crowded for 48 pairs to be ranked with a margin, and the gap closes),
# in 8 and more dimensions it does.
# </details>

# %% [markdown]
# ## 3. Alignment and uniformity (Wang & Isola 2020) (about 15 min)
#
# For normalised embeddings $f$,
#
# $$\mathcal L_{\text{align}}(\alpha) = \mathbb E_{(x,y)\sim p_{\text{pos}}}\,\lVert f(x)-f(y)\rVert_2^{\alpha},\qquad
#   \mathcal L_{\text{uniform}}(t) = \log\,\mathbb E_{x,y\,\overset{iid}{\sim}\,p_{\text{data}}}\, e^{-t\lVert f(x)-f(y)\rVert_2^2}.$$
#
# Both are *lower is better*. The defaults are α = 2 and t = 2; the expectation in the uniformity is taken,
# as in the authors' code (`torch.pdist`), over the $N(N-1)/2$ distinct pairs $i<j$ of a batch.
# Since $\lVert\hat x-\hat y\rVert^2 = 2(1-\cos)$, alignment with α = 2 is $2(1-\text{mean matched cosine})$.
#
# ### Exercise 1.3 — alignment
# *Kind: transcription · about 5 min*
#
# Complete `my_align_loss(x, y, alpha=2)` for two torch tensors of shape $(N, d)$ whose row $i$ is a matched pair.
#
# <details><summary>Hint</summary>
#
# The expectation over positive pairs is a mean over the rows. The distance is taken between *unit* vectors,
# and the power α is applied to each distance before averaging.
# </details>


# %% tags=["exercise"]
def my_align_loss(x, y, alpha=2):
    """Mean of ||x_hat_i - y_hat_i||^alpha over rows."""
    # your code here
    raise NotImplementedError("Exercise 1.3: return the mean distance between matched unit vectors, to the power alpha")


my_align_loss(torch.randn(4, 3), torch.randn(4, 3))


# %% tags=["solution"]
def my_align_loss(x, y, alpha=2):
    """Mean of ||x_hat_i - y_hat_i||^alpha over rows."""
    x = x / x.norm(dim=1, keepdim=True)
    y = y / y.norm(dim=1, keepdim=True)
    return (x - y).norm(dim=1).pow(alpha).mean()


my_align_loss(torch.randn(4, 3), torch.randn(4, 3))

# %%
check_align_loss(my_align_loss)

# %% [markdown]
# ### Exercise 1.4 — uniformity
# *Kind: transcription · about 5 min*
#
# Complete `my_uniform_loss(x, t=2)` for one torch tensor of shape $(N, d)$. `torch.pdist(x)` returns the
# $N(N-1)/2$ distances of the distinct pairs.
#
# <details><summary>Hint</summary>
#
# Read the formula from the inside out: a squared distance between two unit vectors, times −t, exponentiated,
# averaged over the distinct pairs $i<j$ — and only then the (natural) log.
# </details>


# %% tags=["exercise"]
def my_uniform_loss(x, t=2):
    """log of the mean of exp(-t ||x_hat_i - x_hat_j||^2) over pairs i < j."""
    # your code here
    raise NotImplementedError("Exercise 1.4: return the log of the mean Gaussian potential over distinct pairs")


my_uniform_loss(torch.randn(5, 3))


# %% tags=["solution"]
def my_uniform_loss(x, t=2):
    """log of the mean of exp(-t ||x_hat_i - x_hat_j||^2) over pairs i < j."""
    x = x / x.norm(dim=1, keepdim=True)
    return torch.pdist(x).pow(2).mul(-t).exp().mean().log()


my_uniform_loss(torch.randn(5, 3))

# %%
check_uniform_loss(my_uniform_loss)

# %% [markdown]
# **Question 3.3.** What are the best (lowest) possible values? Alignment: 0, every pair coincides.
# Uniformity: for the uniform distribution on the circle it is −4 + ln I₀(4), on the 2-sphere
# ln((1 − e⁻⁸)/8) (both computed below); a finite, evenly spread set scores a little lower. What value
# does a *collapsed* set (all points equal) get?
#
# <details><summary>Answer</summary>
#
# Every distance is 0, so uniformity is log E[e⁰] = log 1 = **0**, the worst value. Alignment alone is
# happy with that collapse, which is why it is never used alone.
# </details>

# %%
from scipy.special import i0

theta = np.linspace(0, 2 * np.pi, 48, endpoint=False)
even = np.stack([np.cos(theta), np.sin(theta)], 1)
print(
    f"uniform distribution on the circle: -4 + ln I0(4) = {-4 + np.log(i0(4)):.3f};  "
    f"on the sphere in 3-D: ln((1 - e^-8)/8) = {np.log((1 - np.exp(-8)) / 8):.3f}"
)
print(
    f"48 evenly spaced points: {float(losses.uniform_loss(even)):.3f};   48 identical points: "
    f"{float(losses.uniform_loss(np.tile([[1.0, 0.0]], (48, 1)))):.3f}"
)

# %% [markdown]
# ## 4. A toy: two modalities on the sphere (about 15 min)
#
# 48 "images" and 48 "texts" are points on the unit sphere in 3-D; point $i$ of each set is a matched pair.
# They start in two narrow caps whose centres are 140° apart — the way random encoders start (lesson 02:
# the *cone effect*). The points themselves are the parameters; 300 Adam steps (learning rate 0.05) train
# them with one objective each. 300 steps is **early in training** for the CLIP loss at τ = 0.01: section 6
# trains until the loss and the gap stop moving.

# %%
runs = [sphere.train_toy(objective, temperature=0.01) for objective in ("alignment", "uniformity", "align+uniform")]
runs.append(sphere.clip_run(0.5))
runs.append(sphere.clip_run(sphere.nearest_grid_temperature(0.01)))
print(
    f"after 300 steps (early in training)\n{'objective':<16}{'τ':>7}{'alignment':>11}{'uniformity':>12}"
    f"{'gap L2M':>9}{'loss':>8}"
)
for run in runs:
    f = run.final
    tau = f"{run.temperature:.3g}" if run.objective == "clip" else "–"
    print(
        f"{run.objective:<16}{tau:>7}{f['align']:>11.3f}{(f['uniform_image'] + f['uniform_text']) / 2:>12.3f}"
        f"{f['gap']:>9.3f}{f['loss']:>8.3f}"
    )
early = runs[-1].final
print(
    f"CLIP at τ = {runs[-1].temperature:.3g}: loss {early['loss']:.2f} after 300 steps; a perfect ranking scores 0, "
    f"a random guess log 48 = {np.log(48):.2f}"
)
show(plot_objectives(runs))

# %% [markdown]
# Read the panels from left to right:
#
# * **alignment only** — every pair meets, but the points stay bunched where the pairs met: uniformity is
#   much worse (closer to the collapsed value 0) than in the other panels. Nothing asks for spread.
# * **uniformity only** — each set spreads evenly over the sphere; pairs are scattered (alignment ≈ 2,
#   what independent random points give).
# * **alignment + uniformity** — Wang & Isola's combined objective gets both.
# * **CLIP, τ = 0.5** — the contrastive loss alone gets both, too: at a high temperature it acts like
#   "align the positives, push all negatives apart".
# * **CLIP, τ = 0.01** — the same loss at CLIP's temperature: each modality spreads into a ring, the two
#   rings run parallel, and the **gap** (distance between the two centroids) is still large after 300 steps.
#   The loss is *not* low yet (printed above: far from 0, though well below a random guess): the run sits on
#   a **plateau**, where the loss barely moves for hundreds of steps while the rings slide towards each other.
#
# That last panel is the modality gap in miniature, caught early in training. Section 6 asks what happens
# next, and the answer depends on the dimension and on the captions.

# %% [markdown]
# ### Exercise 1.5 — how far apart do the modalities start?
# *Kind: open · about 10 min*
#
# The toy starts the two caps 140° apart, the way random encoders start (lesson 02). Is that starting angle
# part of why the gap is still open after 300 steps at τ = 0.01? Train the CLIP toy at the temperature of the
# last panel (`runs[-1].temperature`, the grid point nearest 0.01) for the same 300 steps from caps 90° and 40°
# apart — `sphere.train_toy("clip", temperature=..., gap_deg=...)`, about a second each — and compare them
# with the 140° run of the last panel (`runs[-1]`): print, for each run, the gap, the alignment, the two
# uniformities and the loss (`run.final`), and the gap after 50 steps (`run.history`). Then explain, with
# section 2, what the starting angle changes.
#
# <details><summary>Hint</summary>
#
# Think about one image at step 0. How similar is it to its own caption, and to the other captions, when the
# caps are 140° apart and when they overlap? At τ = 0.01 the softmax only weighs the candidates within a few
# hundredths of the best one: in which start are the *images' own captions* among them, and in which start are
# the image's fellow images the only close neighbours?
# </details>

# %%
# your experiment here

# %% tags=["solution"]
print(f"{'start':>6}{'gap @50':>9}{'gap @300':>10}{'alignment':>11}{'unif. img':>11}{'unif. txt':>11}{'loss':>8}")
tau_toy = runs[-1].temperature
by_start = {140: runs[-1]} | {deg: sphere.train_toy("clip", temperature=tau_toy, gap_deg=deg) for deg in (90, 40)}
for start_deg, r in by_start.items():
    f, gap50 = r.final, r.history["gap"][r.history["step"].index(50)]
    print(
        f"{start_deg:>5}°{gap50:>9.3f}{f['gap']:>10.3f}{f['align']:>11.3f}{f['uniform_image']:>11.3f}"
        f"{f['uniform_text']:>11.3f}{f['loss']:>8.3f}"
    )

# %% [markdown]
# ## 5. Move the temperature (about 5 min)
#
# The next cell trains the CLIP toy at 24 temperatures from 0.005 to 1 on a log grid, 300 steps each — still
# **early in training** (a few seconds; cached). The slider then shows the run at the grid point nearest your
# choice; the right panel shows all temperatures, the dashed line marks yours, the dotted one CLIP's 0.01.

# %%
sweep = sphere.temperature_sweep()

# %%
# NBVAL_IGNORE_OUTPUT
demo(TemperatureDemo(sweep), temperature=log_slider("temperature τ", 0.005, 1.0, 0.01, steps_per_decade=10))

# %%
i_low = int(np.argmin(np.abs(sweep["temperature"] - 0.01)))
i_high = int(np.argmin(np.abs(sweep["temperature"] - 0.5)))
closed = sweep["temperature"][sweep["gap"] < 0.05]
print(f"τ ≈ {sweep['temperature'][i_low]:.3g}: alignment {sweep['align'][i_low]:.2f}, gap {sweep['gap'][i_low]:.2f}")
print(f"τ ≈ {sweep['temperature'][i_high]:.3g}: alignment {sweep['align'][i_high]:.2f}, gap {sweep['gap'][i_high]:.2f}")
print(f"the gap closes within 300 steps for τ ≥ {closed.min():.3g}" if closed.size else "the gap never closes here")
long_run = sphere.train_toy("clip", temperature=0.01, steps=3000)
print(
    f"τ = 0.01 trained 10× longer (3,000 steps): gap {long_run.final['gap']:.2f}, alignment "
    f"{long_run.final['align']:.2f}, CLIP loss {long_run.final['loss']:.2f} (a random guess scores log 48 = {np.log(48):.2f})"
)
print(
    f"so at τ = 0.01 the 300-step gap was {'a plateau, not an end state' if long_run.final['gap'] < 0.5 * early['gap'] else 'already the end state'}"
    f" ({early['gap']:.2f} after 300 steps, {long_run.final['gap']:.2f} after 3,000)"
)

# %% [markdown]
# **Question 5.1.** After 300 steps the gap is still open below the switch-over temperature printed above
# and closed above it; the last two lines show what 3,000 steps do at τ = 0.01. Using section 2, explain why a
# *low* temperature makes the gap close so slowly, and why it closes at all on this 3-D sphere.
#
# <details><summary>Answer</summary>
#
# At low τ the loss only looks at the closest impostors of each pair. While the two rings run parallel, most
# images are already nearer to their own caption than to any other, so the softmax puts almost all weight on
# the match and the gradient towards closing the gap is tiny: the loss sits on a plateau. But 48 pairs on a
# 3-D sphere are crowded: some impostors stay within a few hundredths of the match, and their gradient slowly
# pulls each pair together, until (the 3,000-step line) the gap is gone. At high τ every negative weighs in
# from the start and the gap closes within the 300 steps. Section 6 shows that in more dimensions the crowding,
# and with it the pull, disappears.
# </details>
#
# **Question 5.2.** The check cells of this lesson compare your functions with the reference on
# *unnormalised* inputs with very different scales. Why is that a good test?
#
# <details><summary>Answer</summary>
#
# A function that forgets to normalise gives the right answer on unit-norm inputs, so such inputs cannot
# tell the two apart. Tests should use inputs that make the likely mistakes visible.
# </details>

# %% [markdown]
# ## 6. Train to convergence: when does the gap survive? (about 5 min)
#
# Liang et al. (2022, Sec. 4) write that contrastive learning at a low temperature *preserves* the gap;
# section 5 shows a gap that closes at τ = 0.01 when the toy trains long enough. Both can be true: it depends
# on what else is in the setting. The **gap-fate experiment** (`modgap_edu.toys.gap_fate`) generalises the toy:
#
# * points on the unit sphere in **dim** = 3 … 64 dimensions (the same two caps, 140° apart);
# * trained full-batch with the CLIP loss and Adam (learning rate 0.01) **until converged** — the loss *and*
#   the gap stop moving over 1,000 steps — or up to 6,000 steps, reported as not converged;
# * **share** images per caption: with share = 4, four images share one caption point, so a caption leaves
#   log₂ 4 = 2 bits about its image unsaid — the *information imbalance* of Schrodi et al. (2025, lesson 04).
#   The loss then cannot reach 0: Bonus exercise 1.6 derives its floor (`gap_fate.loss_floor`);
# * **mismatch**: a fraction of images borrows the caption of another image (Liang's mismatched pairs, Fig. 3e).
#
# The course ran the grid τ × dim × share (and the mismatch axis), 3 seeds each, and ships it
# (`python -m modgap_edu.experiments.gap_fate_grid`, about 12 minutes on one core). Each cell of the phase
# diagram is the final gap divided by the initial gap (seed mean ± half the seed range); a cell marked
# "c k/3" converged in only k of its 3 seeds within the step cap.

# %%
from modgap_edu.experiments import gap_fate_grid
from modgap_edu.plots.gap_fate import plot_gap_fate_trajectory, plot_phase_diagram
from modgap_edu.toys import gap_fate

grid = gap_fate_grid.load_phase_grid()
cells = {(r["tau"], r["dim"], r["share"], r["mismatch"]): r for r in gap_fate.summarize(grid)}
settings = grid["settings"]
print(
    f"{len(grid['runs'])} runs, seeds {settings['seeds']}, step cap {settings['max_steps']}; final gap / initial gap "
    "(seed mean):"
)
for share, mm in ((1, 0.0), (4, 0.0), (1, 0.25)):
    print(f"share {share}, mismatch {mm}:   " + "".join(f"τ={t:<7g}" for t in settings["taus"]))
    for dim in settings["dims"]:
        print(
            f"  dim {dim:<3d}"
            + " " * 12
            + "".join(
                f"{cells[(t, dim, share, mm)]['ratio_mean']:<6.2f}{'*' if cells[(t, dim, share, mm)]['converged'] < 1 else ' '}  "
                for t in settings["taus"]
            )
        )
print("* = not converged in every seed within the step cap")
show(plot_phase_diagram(grid))


# %%
def ratio(tau, dim, share=1, mismatch=0.0, stat="ratio_mean"):
    return cells[(tau, dim, share, mismatch)][stat]


taus, dims = settings["taus"], settings["dims"]
low = min(taus)
closes_3d = max(ratio(t, 3, stat="ratio_max") for t in taus)
high_tau_closes = max(ratio(max(taus), d, share, mm, "ratio_max") for d in dims for share, mm in ((1, 0.0), (4, 0.0)))
open_low = min(ratio(low, d, stat="ratio_min") for d in dims if d >= 8)
moving = [r for r in grid["runs"] if r["tau"] == low and r["dim"] >= 8 and r["share"] == 1 and r["mismatch"] == 0]
share_effect = [ratio(low, d, 4) - ratio(low, d, 1) for d in dims]
print(f"3-D, one caption per image: the gap closes at every τ (largest final/initial, any τ and seed: {closes_3d:.3f})")
print(f"τ = {max(taus):g}: the gap closes in every dimension and share (largest final/initial: {high_tau_closes:.3f})")
print(
    f"τ = {low:g}, dim ≥ 8, share 1: at least {open_low:.0%} of the gap is left; loss at the end "
    f"≤ {max(r['loss_end'] for r in moving):.1e}; {sum(r['converged'] for r in moving)} of {len(moving)} runs converged, "
    f"the others still moved the gap by up to {max(abs(r['gap_drift']) for r in moving):.3f} over their last 1,000 steps"
)
print(
    f"τ = {low:g}: four images per caption leave {min(share_effect):+.2f} to {max(share_effect):+.2f} more of the gap "
    f"than one (dims {dims})"
)
mismatch_effect = [ratio(t, d, 1, 0.25) - ratio(t, d, 1, 0.0) for t in taus for d in dims]
print(
    f"a quarter of mismatched pairs changes final/initial by {min(mismatch_effect):+.2f} to {max(mismatch_effect):+.2f} "
    f"(any τ and dim)"
)

# %% [markdown]
# One corner of the grid, re-run live (a few seconds each): 3-D and 16-D at τ = 0.01, seed 0, with their
# trajectories of gap, loss, alignment and uniformity. The live numbers must equal the shipped ones.

# %%
live = {dim: gap_fate.gap_fate(0.01, dim=dim, seed=0, history=True) for dim in (3, 16)}
for dim, run in live.items():
    shipped = next(
        r for r in grid["runs"] if (r["tau"], r["dim"], r["share"], r["mismatch"], r["seed"]) == (0.01, dim, 1, 0.0, 0)
    )
    print(
        f"dim {dim:2d}: gap {run['l2m_start']:.3f} -> {run['l2m_end']:.4f} in {run['steps']} steps "
        f"(converged: {run['converged']}, {run['reason']}); loss {run['loss_end']:.1e}; shipped: gap {shipped['l2m_end']:.4f} "
        f"in {shipped['steps']} steps -> {'identical' if shipped['l2m_end'] == run['l2m_end'] else 'DIFFERENT'}"
    )
show(plot_gap_fate_trajectory(live[3]))
show(plot_gap_fate_trajectory(live[16]))

# %% [markdown]
# **What the grid says** (each sentence is one printed line above):
#
# * **In 3-D the gap closes at every temperature**, τ = 0.01 included. The 3-D trajectory shows the
#   plateau of sections 4–5: the loss sits near 1 for hundreds of steps with the gap open, then the gap closes.
# * **At a high temperature the gap closes everywhere.**
# * **At τ = 0.01 in 8 or more dimensions the gap is still largely open at the step cap**, with the loss
#   essentially 0: every pair is ranked far ahead of its impostors, so (section 2) nothing pulls the two
#   modalities together. The 16-D trajectory shows the loss falling to ~0 while the gap barely moves. Most of
#   these runs are *not* converged, though: the gap still drifts slowly, because Adam's steps do not shrink
#   with the gradient. In this toy, "low τ preserves the gap" means the closing slows to a crawl in high
#   dimensions, not that the gap is a stable end state.
# * **Shared captions leave more gap** at low τ in every dimension (information imbalance, lesson 04).
#
# **Paper vs. our run.**
#
# | claim | paper | our run |
# |---|---|---|
# | low τ preserves the gap (Liang Sec. 4) | CLIP at τ = 1/100 keeps its gap | holds in 8–64 dimensions as a very slow closing; fails in 3-D, where the gap closes (lines 1 and 3 above) |
# | the repulsion needs mismatched pairs (Liang Supp. Fig. 9) | no mismatch, no repulsion | without mismatch the 3-D gap closes at every τ; in this free-point toy a quarter of mismatched pairs moves final/initial only by the range in line 5, and never keeps a closing 3-D gap open (lesson 03 shows Liang's repulsive landscape itself) |
# | information imbalance keeps the gap (Schrodi 2025) | less information in captions, larger gap | share 4 leaves more gap than share 1 at τ = 0.01 (line 4) |
#
# **Question 6.1.** Real CLIP embeddings have 512 dimensions and τ = 0.01. Which cell of the grid is closest,
# and what does the grid predict for their gap?
#
# <details><summary>Answer</summary>
#
# The τ = 0.01, dim = 64 column: the gap stays largely open (the third printed line), because in many
# dimensions the loss can be driven to ~0 with the modalities apart. Real captions also say less than their
# images (share > 1 in spirit), which the grid shows leaves still more gap. Lesson 03 asks whether real CLIP
# embeddings sit at such a point of the loss landscape.
# </details>

# %% [markdown]
# ### Bonus exercise 1.6 — the loss floor when captions are shared
# *Kind: bonus · about 20 min*
#
# With share > 1 several images use one caption point, and the toy's loss (`gap_fate.shared_caption_loss`) is
# the mean of two cross-entropies over the same logits $s/\tau$:
#
# * **image → text**: one row per image, over the *distinct* captions; the right answer is the image's caption;
# * **text → image**: one row per image $i$ — the row of image $i$'s caption, over all $N$ images; the right
#   answer is image $i$.
#
# Let caption $t$ be shared by $c_t$ images, $N = \sum_t c_t$. Derive the lowest value this loss can take, over
# all positions of the points and all τ, and enter it as `my_loss_floor(counts)`, where `counts` lists the
# $c_t$ (e.g. `[4, 4, 4]`: three captions, four images each). Then: why does the floor not depend on τ, and
# which of the two directions can reach 0?
#
# <details><summary>Hint</summary>
#
# In which direction do the images of one caption look identical to the loss, whatever the points do? In such
# a row, several candidates always get the same logit: what is the largest probability the right one can get?
# Then average over *all* rows (one per image) and over the two directions.
# </details>


# %% tags=["exercise"]
def my_loss_floor(counts):
    """Lowest possible shared-caption CLIP loss when caption t is used by counts[t] images."""
    # your formula here
    raise NotImplementedError("Bonus exercise 1.6: return the lowest possible loss for these caption counts")


my_loss_floor([4, 4, 4])


# %% tags=["solution"]
def my_loss_floor(counts):
    """Lowest possible shared-caption CLIP loss when caption t is used by counts[t] images."""
    # text -> image: the c images of a caption tie, so each of their rows loses at least ln c; image -> text: 0
    c = np.asarray(counts, dtype=np.float64)
    return float(np.sum(c * np.log(c)) / (2 * c.sum()))


my_loss_floor([4, 4, 4])

# %%
check_loss_floor(my_loss_floor)

# %%
share4 = [r for r in grid["runs"] if r["share"] == 4]
floors = sorted({round(r["loss_floor"], 6) for r in share4})
above = [r["loss_end"] - r["loss_floor"] for r in share4]
print(
    f"the {len(share4)} shipped share-4 runs: loss floor {floors} (gap_fate.loss_floor of their captions); "
    f"final loss minus floor from {min(above):.2e} to {max(above):.3f}"
)

# %% [markdown]
# ## 7. Paper vs. your run: a real CLIP (about 5 min)
#
# The same two numbers on real embeddings: Liang et al. published CLIP ViT-B/16 embeddings of 500 MSCOCO
# image–caption pairs. The course downloads them (checksummed) when it can; offline, it falls back to
# an untrained model of its own and says so.

# %%
features = real_or_fallback_features("clip", n_fallback=32)
print(features.source)
img, txt = features.image, features.text
n = min(len(img), 500)
real = {
    "alignment (matched pairs, α=2)": float(losses.align_loss(img[:n], txt[:n])),
    "uniformity of images (t=2)": float(losses.uniform_loss(img[:n])),
    "uniformity of texts (t=2)": float(losses.uniform_loss(txt[:n])),
    "gap L2M": metrics.l2m(img[:n], txt[:n]),
    "mean matched cosine": float(np.mean(np.sum(metrics.normalize(img[:n]) * metrics.normalize(txt[:n]), 1))),
}
for k, v in real.items():
    print(f"{k:<32}{v:8.3f}")
print(
    f"Liang et al. 2022 report a gap of 0.82 for CLIP ViT-B/32 on 5,000 MSCOCO pairs; "
    f"this file (ViT-B/16, 500 pairs) gives {real['gap L2M']:.3f}."
)

# %% [markdown]
# With the real file, the alignment is far from 0 — look at the mean matched cosine printed above — yet CLIP
# retrieves the right caption most of the time (lesson 05 measures it): the ranking, not the distance, is
# what the loss at τ = 0.01 asks for. With the fallback (an untrained model) the numbers describe the random
# cones of lesson 02 instead.

# %% [markdown]
# ## Quiz (about 5 min)
#
# A few questions on this lesson. Pick an answer per question in the quiz below and press **Check**, or type
# your answers into `answers` (question number → letter, e.g. `{1: "b"}`) and run the check cell: every
# answer gets its explanation.

# %%
# NBVAL_IGNORE_OUTPUT
from modgap_edu.exercises.quizzes import check_quiz, quiz

quiz("01")

# %%
answers = {}  # your answers: question number -> letter

# %% tags=["solution"]
answers = {1: "b", 2: "d", 3: "a", 4: "c", 5: "d"}

# %%
check_quiz("01", answers)

# %% [markdown]
# ## Summary (about 5 min)
#
# * The CLIP loss is two cross-entropies over the similarity matrix divided by τ; `modgap_edu.core.losses.clip_loss`
#   equals `open_clip.ClipLoss`.
# * Alignment (pairs close) and uniformity (spread out) are the two things contrastive losses improve;
#   alone, alignment collapses and uniformity mismatches.
# * The temperature sets how *local* the loss is: at τ = 0.01 only the closest impostors matter.
# * Whether the gap survives training depends on more than τ: trained to convergence, the 3-D toy closes it at
#   every temperature; at τ = 0.01 in 8+ dimensions the loss reaches ~0 with the gap largely open and the
#   closing slows to a crawl; shared captions (information imbalance) leave more gap.
#
# ## Further reading
#
# * T. Wang, P. Isola. *Understanding Contrastive Representation Learning through Alignment and Uniformity
#   on the Hypersphere.* ICML 2020.
# * A. Radford et al. *Learning Transferable Visual Models From Natural Language Supervision.* ICML 2021.
# * W. Liang, Y. Zhang, Y. Kwon, S. Yeung, J. Zou. *Mind the Gap: Understanding the Modality Gap in
#   Multi-modal Contrastive Representation Learning.* NeurIPS 2022.
# * S. Schrodi, D. Hoffmann, M. Argus, V. Fischer, T. Brox. *Two Effects, One Trigger: On the Modality Gap,
#   Object Bias, and Information Imbalance in Contrastive Vision-Language Models.* ICLR 2025.
#
# Next: **lesson 02**, where the two narrow caps this toy starts from come from.
