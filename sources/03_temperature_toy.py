# %% [markdown]
# # Lesson 03 — Contrastive learning preserves the gap: the temperature toy
#
# Lesson 02 showed where the modality gap comes from: two randomly initialised towers start in two
# different cones. Here we ask why training does not simply close it. Liang et al. ("Mind the Gap",
# NeurIPS 2022, Sec. 4) give three pieces of evidence, and you re-run all three. First, take a
# trained CLIP's embeddings, push images and texts toward each other along the gap, and watch the
# CLIP loss: at CLIP's low temperature τ = 1/100 the minimum lies close to the unshifted gap (on the real
# features a shift of a few percent of the gap lowers the loss by a few thousandths; beyond it the loss rises),
# while at τ = 1 closing most of the gap helps. We split the loss into its two terms to see which one does the
# work. Second, a six-point toy on the 3-D sphere shows where that pull comes from: a few *mismatched*
# pairs make the loss push the modalities apart when τ is low. Third, start training from an init
# whose gap has been closed by a rotation (Procrustes) and see what training does with it, with the
# paper's optimizer recipe and with ours; then fine-tune at fixed temperatures (Supp. Fig. 8). Finally,
# Liang's implications (Sec. 5): does moving along the gap help retrieval and zero-shot accuracy, and
# what did they report about fairness.

# %% [markdown]
# ## Objectives (about 100 min)
#
# | # | you will |
# |---|---|
# | 1 | implement the shift along the gap in the seminar's α form (Exercise 3.1) and relate it to Liang's λ |
# | 2 | predict (Exercise 3.2), then compute, the loss as the gap closes at τ = 1/100, 1/50 and 1, and locate each minimum: Fig. 3b–d |
# | 3 | split the loss into numerator and denominator and see which term does the work |
# | 4 | explore α and τ with sliders; compare the official image→text loss with the symmetric one |
# | 5 | write a numerically stable CLIP loss for the sphere toy (Exercise 3.3), reproduce Fig. 3e–g, derive when Δθ = 0 is a bump (Exercise 3.4) and test the toy's mechanism on noisy captions (Exercise 3.5) |
# | 6 | compute the Procrustes rotation (Exercise 3.6; bonus: the proper rotation, Exercise 3.7); compare random vs amended init with the paper's and our recipe |
# | 7 | read the fixed-τ fine-tuning table beside the paper's (Supp. Fig. 8) |
# | 8 | check "either direction can help" on retrieval and zero-shot accuracy (Table 1); read the fairness box (Table 2) |

# %%
import modgap_edu

modgap_edu.set_seed(0)
print(modgap_edu.__version__)

# %% tags=["solution"]
from modgap_edu.exercises import require_pass

require_pass()

# %%
import time

import numpy as np
import torch

from modgap_edu.core import metrics, procrustes, shift
from modgap_edu.exercises.lesson03 import (
    check_curvature,
    check_loss_change_prediction,
    check_procrustes,
    check_proper_rotation,
    check_shift,
    check_sphere_loss,
)
from modgap_edu.experiments import init_vs_opt
from modgap_edu.plots import lesson03 as plots
from modgap_edu.plots.loss_terms import plot_loss_terms
from modgap_edu.plots.widgets import demo, float_slider, log_slider, show
from modgap_edu.toys import six_pairs

torch.set_num_threads(2)  # a 2-core laptop; also keeps Binder polite
LESSON_START = time.perf_counter()

# %% [markdown]
# ## 1. The embedding-shift experiment (Liang Fig. 3a–d) (about 30 min)
#
# We need the embeddings of a *trained* contrastive model. The real ones are Liang et al.'s
# published features of 500 MSCOCO val2017 image–caption pairs by the pretrained OpenAI CLIP
# ViT-B/16 (MIT licence; downloaded from the commit-pinned upstream URL, sha256-checked and cached in
# `$MODGAP_DATA_DIR` or `~/.cache/modgap_edu`). Without network and cache the lesson **falls back**
# to the course's own small CLIP, trained here for a few seconds at τ = 1/100 on scikit-learn's
# bundled digits with two-word captions ("seven-heavy"). The next cell says which one you have.

# %%
feats = init_vs_opt.real_or_trained_features("clip")
print(feats.source)
if not feats.is_real:
    print("Why the fallback:", feats.reason.split(":")[0] + ".")
    print("Everything below runs on this small model: its numbers are NOT those of CLIP.")
img, txt = feats.image, feats.text
short = (
    "REAL: Liang et al.'s CLIP ViT-B/16 features, 500 COCO pairs"
    if feats.is_real
    else "FALLBACK: the course's small CLIP trained on digits (not CLIP)"
)  # figure titles
gap_vec, unit_dir = shift.gap_direction(img, txt)
print(f"{img.shape[0]} pairs, {img.shape[1]}-d; gap ||mean(x̂) − mean(ŷ)|| = {np.linalg.norm(gap_vec):.4f}")

# %% [markdown]
# ### Two ways to write the shift
#
# With $\hat x_i, \hat y_i$ the L2-normalized image and text embeddings and
# $g = \frac1n\sum_i\hat x_i - \frac1n\sum_i\hat y_i$ the (raw) gap vector:
#
# * **α form** (the seminar's): $x_i' = \mathrm{normalize}(\hat x_i - \alpha\, g)$,
#   $y_i' = \mathrm{normalize}(\hat y_i + \alpha\, g)$. At α = 0.5 the *unnormalized* centroids meet.
# * **λ form** (Liang's code, `delta`): $u = g/\lVert g\rVert$,
#   $x_i' = \mathrm{normalize}(\hat x_i - \tfrac{\lambda}{2}u)$, $y_i' = \mathrm{normalize}(\hat y_i + \tfrac{\lambda}{2}u)$,
#   with λ ∈ {−5, −4.75, …, 4.75}.
#
# They are the same family: λ = 2α‖g‖. Positive α or λ closes the gap, negative widens it, and far
# enough the modalities pass through each other and end up "back to back". A gap *length* cannot show
# that crossing, so we give it a sign: positive on the original side, negative once the text centroid
# has moved past the image centroid along the first principal axis (PC1) of the unshifted embeddings
# (Liang's Fig. 3 x-axis).
#
# ### Exercise 3.1 — implement the α shift
# *Kind: transcription · about 5 min*
#
# Write `my_shift(image_emb, text_emb, alpha)` returning `(image_shifted, text_shifted)` as numpy
# arrays, the α form above. Normalize the rows first, compute $g$ from the normalized rows, shift, renormalize.
#
# <details><summary>Hint</summary>
#
# Three stages, each on whole arrays: unit rows, one gap vector (a single row of length D, not one per pair),
# then the move and a second normalization. Check the signs on paper: with α > 0 each image must move toward
# the text centroid and each text toward the image centroid. The check feeds rows of different lengths, so the
# first normalization matters.
# </details>


# %% tags=["exercise"]
def my_shift(image_emb, text_emb, alpha):
    """Return (image_shifted, text_shifted): the α form of the shift along the gap, unit rows."""
    raise NotImplementedError("Exercise 3.1: return both modalities moved toward each other along the gap")


my_shift(img, txt, 0.25)


# %% tags=["solution"]
def my_shift(image_emb, text_emb, alpha):
    """Return (image_shifted, text_shifted): the α form of the shift along the gap, unit rows."""
    x = np.asarray(image_emb, dtype=float)
    y = np.asarray(text_emb, dtype=float)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    y = y / np.linalg.norm(y, axis=1, keepdims=True)
    g = x.mean(axis=0) - y.mean(axis=0)
    xs, ys = x - alpha * g, y + alpha * g
    return xs / np.linalg.norm(xs, axis=1, keepdims=True), ys / np.linalg.norm(ys, axis=1, keepdims=True)


my_shift(img, txt, 0.25)

# %%
check_shift(my_shift)

# %% [markdown]
# From here on the lesson uses the reference `modgap_edu.core.shift.shift_embeddings`. Both forms, side by side:

# %%
g_norm = np.linalg.norm(gap_vec)
pc1 = shift.pc1_direction(img, txt)
for alpha in (0.0, 0.25, 0.5, 1.0, 2.0):
    lam = shift.alpha_to_lam(alpha, g_norm)
    xa, ya = shift.shift_embeddings(img, txt, alpha=alpha)
    xl, yl = shift.shift_embeddings(img, txt, lam=lam)
    same = np.allclose(xa, xl) and np.allclose(ya, yl)
    print(
        f"alpha = {alpha:4.2f} <-> lam = {lam:6.3f}: same embeddings: {same}; "
        f"signed remaining gap {shift.signed_gap(xa, ya, pc1):+.4f}"
    )

# %% [markdown]
# **Paper vs. your run: how fast does the gap close?** Liang's `get_gap_stats.ipynb` prints the signed
# distance after shifting the *images only* by −λu (the protocol of their fairness table) on their
# 5,000 ViT-B/32 pairs. The same shift on your features:

# %%
PAPER_LAMS = (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75)
PAPER_DIST = (1.2879, 1.2249, 1.1349, 1.0051, 0.8221, 0.5842, 0.3178, 0.0703)  # get_gap_stats.ipynb (printed)
print(f"{'λ':>6s} {'paper':>8s} {'yours':>8s}")
for lam, d_paper in zip(PAPER_LAMS, PAPER_DIST):
    xs, ys = shift.shift_images_only(img, txt, lam)
    print(f"{lam:6.2f} {d_paper:8.4f} {shift.signed_gap(xs, ys, pc1):8.4f}")

# %% [markdown]
# ### Exercise 3.2 — predict before you compute
# *Kind: derivation · about 5 min*
#
# Close the gap a little (α = 0.25, i.e. λ = 2α‖g‖ printed below the check) and measure the loss of Liang's
# protocol (batches of 50, image→text cross-entropy). Will the loss go **up** or **down** at τ = 1/100 (CLIP's
# learned temperature)? And at τ = 1? Reason it out on paper, then return your prediction as a dict keyed by the
# two temperatures (numbers), with the values `'up'` or `'down'`; the check measures it on your features.
#
# <details><summary>Hint</summary>
#
# Look at one row of logits, cosine / τ. At τ = 1/100 a cosine difference of 0.01 is a logit difference of 1:
# which captions carry that row's softmax? At τ = 1 all logits lie within 2 of each other and the softmax is
# nearly flat. A shift along the gap followed by renormalization does not move every cosine by the same amount.
# </details>


# %% tags=["exercise"]
def my_prediction():
    """Return {0.01: 'up' or 'down', 1.0: 'up' or 'down'}: the loss change when the gap closes by alpha = 0.25."""
    raise NotImplementedError("Exercise 3.2: return your prediction, up or down, for each of the two temperatures")


my_prediction()


# %% tags=["solution"]
def my_prediction():
    """Return {0.01: 'up' or 'down', 1.0: 'up' or 'down'}: the loss change when the gap closes by alpha = 0.25."""
    if feats.is_real:  # Liang et al. Fig. 3b-d: a trained CLIP sits in a minimum at tau = 1/100
        return {0.01: "up", 1.0: "down"}
    # The fallback model is small and trained for seconds on 30 distinct captions: its answer need not be
    # CLIP's, so the solution measures it (the same protocol the check uses).
    x0, y0 = shift.shift_embeddings(img, txt, alpha=0.0)
    xs, ys = shift.shift_embeddings(img, txt, alpha=0.25)
    return {
        t: "up" if shift.batched_clip_loss(xs, ys, t) > shift.batched_clip_loss(x0, y0, t) else "down"
        for t in (0.01, 1.0)
    }


# %%
check_loss_change_prediction(my_prediction, img, txt)
print(f"Exercise 3.2's shift: α = 0.25 <-> λ = 2·0.25·‖g‖ = {shift.alpha_to_lam(0.25, g_norm):.3f}")

# %% [markdown]
# <details><summary>Why (open after the check)</summary>
#
# Closing the gap is not free. Shifting all points along one direction and renormalizing changes the
# cosines of different pairs by different amounts (it depends on where each point lies along the gap
# direction), so some wrong captions gain on the right one. At τ = 1/100 the softmax looks almost
# only at the closest candidates, and every such change in a hard negative's cosine is multiplied by
# 100: the loss rises. At τ = 1 the softmax is nearly flat: the loss is about log(batch size) minus
# the average margin between a pair's cosine and the mean cosine of its row, and on these data that
# margin grows as the clouds overlap. Section 2 shows the mechanism with six points.
#
# This is what Liang et al. measured on a trained CLIP, and what the real features show. If the first
# cell said FALLBACK, your features come from a small model trained for seconds on captions with only
# 30 distinct values; it need not sit in a minimum at τ = 1/100, and the check reports what it measured.
# </details>
#
# ### The whole landscape (Fig. 3b–d)
#
# Liang's protocol, exactly: the pairs in their original order, consecutive batches of 50, loss
# averaged over batches, λ ∈ `np.arange(-5, 5, 0.25)`. The x-axis is the **signed** remaining gap:
# its length, with the sign of the text-minus-image centroid difference along PC1 of the unshifted
# embeddings (positive = the original side, negative = the modalities have swapped sides).
#
# **Paper vs. code.** The paper's equation is the symmetric CLIP loss. The released notebook computes
# `CE(logits_per_text.T, labels)` with `logits_per_text = logits_per_image.t()`, which is the
# image→text loss again, so the published curves are **image→text only**. We draw both.

# %%
land = shift.loss_landscape(img, txt, temperatures=(0.01, 0.02, 1.0))  # lam grid of the notebook
show(plots.plot_shift_landscapes(land, (0.01, 0.02, 1.0), gap0=g_norm, title=short))

# %% [markdown]
# ### Paper vs. your run
#
# Liang et al. (Sec. 4.2, Fig. 3b–d; CLIP ViT-B/32, 5,000 COCO pairs): at τ = 1/100 the unshifted
# gap (0.82) is the global minimum, with a second local minimum "back to back" at about −1.7; at
# τ = 1 the minimum is near 0, so closing the gap helps.

# %%
PAPER_GAP = 0.8221  # Liang et al. 2022: ViT-B/32, 5,000 COCO val pairs (plot_optimization_exp.ipynb)
PAPER_BACK_TO_BACK = -1.7  # read off Liang's Fig. 3b (approximate)
k0 = int(np.nonzero(land.shifts == 0)[0][0])


def local_minima(curve):
    return [k for k in range(1, len(curve) - 1) if curve[k] < curve[k - 1] and curve[k] < curve[k + 1]]


print(f"{'':30s} {'paper':>8s}  {'yours: official':>16s}  {'yours: symmetric':>16s}")
print(f"{'unshifted gap':30s} {PAPER_GAP:8.3f}  {land.signed_gap[k0]:16.3f}  {land.signed_gap[k0]:16.3f}")
for tau in (0.01, 0.02, 1.0):
    row = []
    for protocol in shift.PROTOCOLS:
        lam_min, gap_min, _ = land.minimum(tau, protocol)
        row.append(f"{gap_min:+.3f} (λ={lam_min:+.2f})")
    paper = {0.01: f"{PAPER_GAP:+.3f}", 0.02: "(fig.)", 1.0: "near 0"}[tau]
    print(f"{'τ = %g: gap at the minimum' % tau:30s} {paper:>8s}  {row[0]:>16s}  {row[1]:>16s}")
for protocol in shift.PROTOCOLS:
    curve = land.loss_at(0.01, protocol)
    neg = [round(float(land.signed_gap[k]), 3) for k in local_minima(curve) if land.signed_gap[k] < 0]
    print(f"τ = 0.01, {protocol:9s}: local minima on the swapped side at {neg} (paper: ≈ {PAPER_BACK_TO_BACK})")
for tau in (0.01, 1.0):
    off = land.loss_at(tau, "official")
    print(
        f"τ = {tau:g}: loss at λ = 0 → λ = 0.25 (α = {0.25 / (2 * g_norm):.3f}; official): {off[k0]:.4f} → "
        f"{off[k0 + 1]:.4f} ({'up' if off[k0 + 1] > off[k0] else 'down'})"
    )
diff = np.abs(land.loss_at(0.01, "official") - land.loss_at(0.01, "symmetric"))
print(f"official vs symmetric at τ = 0.01: largest difference {diff.max():.3f} (loss units)")
agree = all(land.minimum(t, "official")[0] == land.minimum(t, "symmetric")[0] for t in (0.01, 0.02, 1.0))
print(
    f"on the notebook's λ grid (step 0.25), official and symmetric losses have their minimum at the same λ "
    f"for every τ: {agree}"
)

# %% [markdown]
# ### Where exactly is the minimum?
#
# The notebook's λ grid has steps of 0.25 (α steps of 0.25 / (2‖g‖)), too coarse to say whether the minimum
# *is* the unshifted gap. `modgap_edu.core.loss_terms.landscape_minimum` scans α from −1 to 3 in steps of
# 0.005 and reports α\*, λ\* = 2α\*‖g‖, the signed gap and the loss there, beside the loss at α = 0.

# %%
from modgap_edu.core import loss_terms

minima = {
    (tau, protocol): loss_terms.landscape_minimum(img, txt, tau, protocol=protocol)
    for protocol in ("official", "symmetric")
    for tau in (0.01, 1.0)
}
print(f"‖g‖ = {g_norm:.3f}; conversion λ = 2α‖g‖; grid step α = 0.005 (λ = {2 * 0.005 * g_norm:.4f})")
print(
    f"{'τ':>5s} {'protocol':>10s} {'α*':>7s} {'λ*':>7s} {'gap at min':>10s} {'loss at min':>11s} {'loss at α=0':>11s}"
    f" {'gap closed':>10s}"
)
for (tau, protocol), m in minima.items():
    print(
        f"{tau:5g} {protocol:>10s} {m.alpha:+7.3f} {m.lam:+7.3f} {m.gap:10.3f} {m.loss:11.4f} {m.loss0:11.4f} "
        f"{1 - m.gap / m.gap0:10.0%}"
    )

# %% [markdown]
# Read the table, not the paper's sentence. On the real features at τ = 1/100 the minimum is **near, not at,**
# the unshifted gap: the official (image→text) loss is lowest a few hundredths of α toward *closing* (it closes
# a few percent of the gap and gains a few thousandths of loss), the symmetric loss within a hundredth of α of
# 0. At τ = 1 the minimum closes almost the whole gap. So "the gap sits in a minimum" is true up to a few
# percent of the gap at CLIP's temperature, and the low temperature is what keeps the minimum there.
#
# Your numbers differ from the paper's because the data differ: Liang's file is ViT-**B/16** on the
# first **500** pairs (10 batches of 50) instead of ViT-B/32 on 5,000 (100 batches), and the fallback
# is a 32-d digits model (for it, read the table above: its minimum need not be near the unshifted gap).
#
# ### Which term does the work? Numerator vs denominator
#
# With unit rows and $z_{ij} = \hat x_i^\top\hat y_j/\tau$ the CLIP loss is the sum of two terms: the
# **matched term** $-\frac1N\sum_i z_{ii}$ (the numerator of the softmax: it rewards each pair's own
# cosine) and the **log-sum-exp term** $\frac1N\sum_i\log\sum_j e^{z_{ij}}$ (the denominator: it
# penalises every cosine, right or wrong). Closing the gap raises *all* cosines, so the matched term
# falls and the log-sum-exp term rises. Which wins? (`loss_terms.loss_terms_along_shift`, symmetric loss,
# batches of 50, α from 0 to 0.5, where the raw centroids meet.)

# %%
terms = [loss_terms.loss_terms_along_shift(img, txt, tau, alphas=np.linspace(0.0, 0.5, 21)) for tau in (0.01, 1.0)]
for t in terms:
    c = t.change(0.0, 0.5)
    print(
        f"τ = {t.temperature:g}: α 0 → 0.5 (λ 0 → {2 * 0.5 * t.gap_norm:.3f}): matched {c['matched']:+.3f}, "
        f"log-sum-exp {c['logsumexp']:+.3f}, total {c['total']:+.3f}"
    )
show(plot_loss_terms(terms, title=short))

# %% [markdown]
# Both terms are divided by τ, so at τ = 1/100 each moves by tens of loss units, a hundred times more than at
# τ = 1, and the total is the small difference of two large changes. On the real features at τ = 1/100 the
# log-sum-exp term rises more than the matched term falls (total up, by about one loss unit): the
# denominator does the work of keeping the gap. At τ = 1 the matched term wins by a little and closing helps.
# Closing the gap rewards the right pairs, but it also brings every wrong caption closer, and a cold softmax
# counts the closest wrong captions almost alone.

# %% [markdown]
# ### Explore: α and τ together
#
# The α slider moves along the gap (α = 0.5 closes the raw centroid difference), the τ slider spans
# 1/100 … 1 on a log scale. Left: a PCA of 120 pairs before (faint) and after the shift. Right: the
# loss against the signed remaining gap at the chosen τ, official and symmetric, with your point marked.
# Every curve is precomputed on the sliders' grid, so moving a slider only redraws.

# %%
shift_demo = plots.ShiftDemo(img, txt, label=short)

# %%
# NBVAL_IGNORE_OUTPUT
demo(
    shift_demo,
    alpha=float_slider("shift α (× raw gap g)", -1.0, 3.0, 0.0, 0.05),
    temperature=log_slider("temperature τ", 0.01, 1.0, 0.01),
)

# %% [markdown]
# **Questions**
#
# 1. At τ = 1/100, set α = 0.5. How much did the loss rise? Now raise τ step by step: at which τ does
#    the minimum (▼) leave the unshifted line?
# 2. Slide α to about 2. Why is there a second valley on the negative side?
#
# <details><summary>Answer</summary>
#
# 1. The right panel's title prints the loss at your point; the last two lines of the next cell print the same
#    numbers without the slider: the official loss at α = 0 and at α = 0.5 for τ = 1/100, and their difference (on
#    the real features it rises: the clouds meet and every wrong caption comes close). At τ = 1/100 the ▼ sits on the
#    grid point next to the unshifted line (the fine scan of Section 1 put it at α\* = a few hundredths, official
#    loss); the next cell scans every τ of the slider, and its last line names the first τ at which the minimum moves
#    further. From there it moves toward zero gap as τ grows. The lower τ, the more a hard negative's cosine counts,
#    and the more a uniform shift of all pairs hurts.
# 2. Far past zero the two clouds are again separated, with image and text swapped along PC1. The
#    *relative* arrangement inside each cloud is roughly kept, so the matched pairs are again the
#    closest candidates in each row, and the loss falls again ("back to back" in Liang's words).
#    It does not fall to the original level: the renormalization has squeezed the clouds.
# </details>

# %%
for tau in plots.SLIDER_TAUS[::2]:
    a_min, gap_min, loss_min = shift_demo.land.minimum(tau, "official")
    print(
        f"τ = {tau:6.4f}: minimum at α = {a_min:+.2f}, signed remaining gap {gap_min:+.3f} "
        f"(unshifted: {shift_demo.gap0:.3f})"
    )
# Question 1, in numbers: the loss rise at α = 0.5 and the first τ whose minimum is beyond the grid point next to α = 0
a_grid = shift_demo.land.shifts
off01 = shift_demo.land.loss_at(0.01, "official")
k0, k_half = int(np.argmin(np.abs(a_grid))), int(np.argmin(np.abs(a_grid - 0.5)))
step = float(np.min(np.diff(a_grid)))
left = [t for t in plots.SLIDER_TAUS if shift_demo.land.minimum(t, "official")[0] > step + 1e-9]
print(
    f"τ = 0.01, official loss: {off01[k0]:.4f} at α = 0 -> {off01[k_half]:.4f} at α = 0.5 "
    f"({off01[k_half] - off01[k0]:+.4f})"
)
print(
    f"the minimum first lies beyond α = {step:.2f} at τ = {left[0]:.4f}"
    if left
    else f"the minimum never lies beyond α = {step:.2f}"
)

# %% [markdown]
# ## 2. Why: mismatched pairs on a sphere (Liang Fig. 3e–g) (about 35 min)
#
# Six images sit on the equator of the unit sphere at azimuths −20°, 0°, 20°, …, 80°. Six texts
# sit at polar angle 90° + Δθ: Δθ = 0 puts them on the equator, Δθ = ±90° on a pole. In the
# *mismatched* version T0 sits above I1 and T1 above I0, so two of the six pairs are wrong, as
# noisy captions are in real data. Nothing is trained: we scan Δθ and compute the symmetric CLIP loss
# of the single batch of 6 (Liang's `3d_sphere.ipynb`).

# %%
I_pts, T_pts = six_pairs.sphere_toy(0.0, mismatched=True)
np.set_printoptions(precision=3, suppress=True)
print("images (Δθ = 0):\n", I_pts)
print("texts  (Δθ = 0, mismatched: T0 on I1, T1 on I0):\n", T_pts)

# %% [markdown]
# ### Exercise 3.3 — a CLIP loss that survives τ = 0.001
# *Kind: transcription · about 10 min*
#
# Write `my_clip_loss(image_points, text_points, temperature)` in numpy: L2-normalize the rows (the
# check also feeds it points off the sphere), logits $z_{ij} = \hat x_i^\top\hat y_j/\tau$,
# the image→text cross-entropy over rows, the text→image one over columns, their mean. Compute
# $\log\sum_j e^{z_{ij}}$ as $m + \log\sum_j e^{z_{ij}-m}$ with $m = \max_j z_{ij}$, otherwise
# `exp` overflows at small τ (the check tries τ = 0.001).
#
# <details><summary>Hint</summary>
#
# Subtracting the same constant from every logit of a row leaves that row's softmax unchanged; choose the
# constant so that the largest exponent is exp(0), and remember to add it back after the log. The two
# directions differ only in the axis along which you take the log-sum-exp; the matched logits are the diagonal.
# </details>


# %% tags=["exercise"]
def my_clip_loss(image_points, text_points, temperature):
    """Symmetric CLIP loss of matched rows (numpy), stable for tiny temperature."""
    raise NotImplementedError("Exercise 3.3: return the symmetric CLIP loss of the paired points, stable at tiny τ")


my_clip_loss(I_pts, T_pts, 0.01)


# %% tags=["solution"]
def my_clip_loss(image_points, text_points, temperature):
    """Symmetric CLIP loss of matched rows (numpy), stable for tiny temperature."""
    x = image_points / np.linalg.norm(image_points, axis=1, keepdims=True)
    y = text_points / np.linalg.norm(text_points, axis=1, keepdims=True)
    z = x @ y.T / temperature
    diag = np.diag(z)
    m_row = z.max(axis=1, keepdims=True)
    lse_row = m_row[:, 0] + np.log(np.exp(z - m_row).sum(axis=1))
    m_col = z.max(axis=0, keepdims=True)
    lse_col = m_col[0] + np.log(np.exp(z - m_col).sum(axis=0))
    return float(((lse_row - diag).mean() + (lse_col - diag).mean()) / 2)


my_clip_loss(I_pts, T_pts, 0.01)

# %%
check_sphere_loss(my_clip_loss)

# %% [markdown]
# Now the loss over Δθ ∈ [−90°, 90°] (1° steps) at Liang's five temperatures, mismatched (Fig. 3g)
# and matched (Supp. Fig. 9):

# %%
show(plots.plot_sphere_curves())

# %% [markdown]
# ### Paper vs. your run
#
# Liang et al. (Sec. 4.3): with the mismatch at low τ (1/50, 1/100) the loss has a bump at Δθ = 0 and
# minima near ±65–80°; at τ = 1/100 it is ≈ 2.0 at 0 and ≈ 0.8 near ±75°. At τ = 1 and 1/5 the
# minimum is at 0, and without the mismatch the repulsion disappears.

# %%
deltas = six_pairs.PAPER_DELTAS
print(f"{'τ':>7s} | {'mismatched: L(0)':>16s} {'L(±75°)':>8s} {'argmin Δθ':>10s} | {'matched: argmin Δθ':>18s}")
for tau in six_pairs.PAPER_TEMPERATURES:
    mis = six_pairs.sphere_toy_curves([tau], mismatched=True)[0]
    mat = six_pairs.sphere_toy_curves([tau], mismatched=False)[0]
    pos = deltas[deltas >= 0][np.argmin(mis[deltas >= 0])]
    print(
        f"{'1/%d' % round(1 / tau):>7s} | {six_pairs.sphere_toy_loss(0, tau):16.3f} {six_pairs.sphere_toy_loss(75, tau):8.3f} "
        f"{'±%d°' % pos if pos else '0°':>10s} | {'%d°' % deltas[np.argmin(mat)]:>18s}"
    )
print("paper, τ = 1/100 mismatched: L(0) ≈ 2.0, L(±75°) ≈ 0.8, minima near ±65–80°")

# %% [markdown]
# ### Exercise 3.4 — valley or bump at Δθ = 0?
# *Kind: derivation · about 10 min*
#
# The images lie on the equator and every text keeps its azimuth, so lifting the texts by Δθ multiplies every
# image–text cosine by $c = \cos\Delta\theta$: with $a_{ij}$ the cosines at Δθ = 0 the logits are
# $c\,a_{ij}/\tau$, and the symmetric loss is a function $L(c)$ of $c$ alone. By symmetry $dL/d\Delta\theta = 0$
# at Δθ = 0, so whether Δθ = 0 is a valley or the bump of Fig. 3g is decided by the **second** derivative.
# On paper, derive $d^2L/d\Delta\theta^2$ at Δθ = 0 (Δθ in radians) in terms of $a$, τ and the softmax
# probabilities at Δθ = 0. Then write `my_curvature(cosines, temperature)` that evaluates your formula on an
# N × N cosine matrix (rows images, columns texts). Positive means a valley at 0, negative a bump.
#
# <details><summary>Hint</summary>
#
# Chain rule through $c = \cos\Delta\theta$: evaluate $dc/d\Delta\theta$ and $d^2c/d\Delta\theta^2$ at 0 first;
# one of the two terms of $d^2L/d\Delta\theta^2$ then drops out, and you only need $dL/dc$ at $c = 1$. The
# derivative of a log-sum-exp with respect to a common scale of its arguments is an average of those arguments:
# which weights? Do the rows (image→text) and the columns (text→image) separately.
# </details>


# %% tags=["exercise"]
def my_curvature(cosines, temperature):
    """Second derivative of the symmetric CLIP loss in Δθ (radians) at Δθ = 0, from the cosines at Δθ = 0."""
    raise NotImplementedError("Exercise 3.4: return the curvature of the loss at zero lift, from your derivation")


my_curvature(I_pts @ T_pts.T, 0.01)


# %% tags=["solution"]
def my_curvature(cosines, temperature):
    """Second derivative of the symmetric CLIP loss in Δθ (radians) at Δθ = 0, from the cosines at Δθ = 0."""
    # L(c) with c = cos Δθ: d²L/dΔθ² = L''(c) sin²Δθ − L'(c) cos Δθ = −L'(1) at Δθ = 0, and
    # L'(1) = (1/τ) · mean over rows (and over columns) of [Σ_j p_ij a_ij − a_ii], p the softmax at Δθ = 0.
    a = np.asarray(cosines, dtype=float)
    z = a / temperature
    p_rows = np.exp(z - z.max(axis=1, keepdims=True))
    p_rows /= p_rows.sum(axis=1, keepdims=True)
    p_cols = np.exp(z - z.max(axis=0, keepdims=True))
    p_cols /= p_cols.sum(axis=0, keepdims=True)
    own = np.diag(a)
    margin_rows = own - (p_rows * a).sum(axis=1)
    margin_cols = own - (p_cols * a).sum(axis=0)
    return float((margin_rows.mean() + margin_cols.mean()) / (2 * temperature))


my_curvature(I_pts @ T_pts.T, 0.01)

# %%
check_curvature(my_curvature)

# %% [markdown]
# The reference (`six_pairs.sphere_toy_curvature`) at Liang's five temperatures, beside the table's argmin:

# %%
print(f"{'τ':>7s} | {'mismatched: d²L/dΔθ²':>21s} {'argmin Δθ':>10s} | {'matched: d²L/dΔθ²':>18s}")
for tau in six_pairs.PAPER_TEMPERATURES:
    mis = six_pairs.sphere_toy_curves([tau], mismatched=True)[0]
    k_mis, k_mat = six_pairs.sphere_toy_curvature(tau, True), six_pairs.sphere_toy_curvature(tau, False)
    print(
        f"{'1/%d' % round(1 / tau):>7s} | {k_mis:+14.3f} ({'bump' if k_mis < 0 else 'valley'}) "
        f"{'±%d°' % abs(deltas[np.argmin(mis)]) if deltas[np.argmin(mis)] else '0°':>10s} | {k_mat:+10.3f} ({'bump' if k_mat < 0 else 'valley'})"
    )

# %% [markdown]
# A negative curvature makes Δθ = 0 a local *maximum*, so the minimum must lie off zero: in the mismatched rows
# the softmax at a cold τ sits on the wrong, closer text, its weighted cosine exceeds the own one, and the margin
# $a_{ii} - \sum_j p_{ij} a_{ij}$ turns negative. With matched pairs every margin is ≥ 0 at every τ (the own
# cosine is the largest of its row), so the matched curvature cannot be negative: Supp. Fig. 9's minimum at 0.

# %% [markdown]
# ### Explore: Δθ and τ
#
# The 3-D view shows the six pairs (images red, texts blue; orange lines: the two mismatched pairs). The right
# panel is the loss over all Δθ at the chosen τ, with the current Δθ marked.

# %%
# NBVAL_IGNORE_OUTPUT
demo(
    plots.SphereToyDemo(),
    delta_theta_deg=float_slider("Δθ (degrees, texts' polar offset)", -90, 90, 30, 5),
    temperature=log_slider("temperature τ", 0.01, 1.0, 0.01),
)

# %% [markdown]
# **Question.** Why does the loss at τ = 1/100 *fall* as the texts leave the images' circle, when the
# matched pairs get further apart?
#
# <details><summary>Answer</summary>
#
# At Δθ = 0, I0 sits exactly on T1 (a wrong text) while its own text T0 is 20° away: the cross-entropy
# of that row is about (1 − cos 20°)/τ ≈ 6 at τ = 1/100, and the same for I1. Lifting all texts off
# the circle multiplies every image–text cosine by cos Δθ, which shrinks *all* logit differences,
# including those of the mismatched rows. Those two rows gain much more than the four correct rows
# lose, until around ±75° the correct rows start to suffer. With a hot softmax (τ = 1) logit
# differences barely matter, so the best place is Δθ = 0; with no mismatch there is nothing to gain
# by moving apart.
# </details>

# %% [markdown]
# ### Exercise 3.5 — do noisy captions keep the gap open on real features?
# *Kind: open · about 10 min*
#
# The toy says: a few mismatched pairs make the low-temperature loss push the modalities apart. Test it on the
# lesson's features `img`, `txt`. Give a fraction p of the pairs wrong captions (choose p·N pairs at random and
# pass their captions round among them by one place, as T0 and T1 were swapped), then scan the loss along the gap
# with `shift.loss_landscape(img, noisy_txt, temperatures=(0.01, 1.0), alphas=...)` and read
# `land.minimum(tau, "symmetric")` and `land.loss_at(tau, "symmetric")`. Try p ∈ {0, 0.05, 0.1, 0.2} at τ = 1/100
# and τ = 1, α from −0.5 to 0.5 in steps of 0.1. Where is the minimum, and does widening (α < 0) or closing
# (α > 0) the gap lower the loss? Explain what you see with Section 2's mechanism and say what it suggests for
# real, noisy captions. Mind the grid's edges.
#
# <details><summary>Hint</summary>
#
# A seeded random generator chooses the pairs; rolling the chosen indices by one gives each chosen pair its
# neighbour's caption. Keep the α grid coarse: one landscape then takes under a second. Compare the loss one
# step on either side of α = 0 with the loss at α = 0, per p and τ, and note where the minimum sits.
# </details>

# %%
# Exercise 3.5: your experiment here


# %% tags=["solution"]
NOISE_ALPHAS = np.round(np.arange(-0.5, 0.501, 0.1), 2)
k_zero = int(np.argmin(np.abs(NOISE_ALPHAS)))
print(
    f"{'p':>5s} {'τ':>5s} {'α*':>6s} {'gap at α*':>9s} {'L(α=0)':>8s} {'L(−0.1) − L(0)':>15s} {'L(+0.1) − L(0)':>15s}"
)
for frac in (0.0, 0.05, 0.1, 0.2):
    chosen = np.random.default_rng(0).choice(len(txt), int(round(frac * len(txt))), replace=False)
    noisy_txt = txt.copy()
    noisy_txt[chosen] = txt[np.roll(chosen, 1)]
    noisy = shift.loss_landscape(img, noisy_txt, temperatures=(0.01, 1.0), alphas=NOISE_ALPHAS)
    for tau in (0.01, 1.0):
        curve = noisy.loss_at(tau, "symmetric")
        a_star, gap_star, _ = noisy.minimum(tau, "symmetric")
        edge = " (grid edge)" if abs(a_star) >= NOISE_ALPHAS.max() - 1e-9 else ""
        print(
            f"{frac:5.2f} {tau:5g} {a_star:+6.2f} {gap_star:9.3f} {curve[k_zero]:8.4f} "
            f"{curve[k_zero - 1] - curve[k_zero]:+15.4f} {curve[k_zero + 1] - curve[k_zero]:+15.4f}{edge}"
        )

# %% [markdown]
# ## 3. Initialization vs optimization (Liang Sec. 4.4) (about 15 min)
#
# If the gap starts at the init (lesson 02), what if we remove it at the init? Liang encode the
# training pairs with the *initial* model, take the L2-normalized features $X$ (images) and $Y$
# (texts), and compute the orthogonal Procrustes rotation: $U S V^\top = \mathrm{svd}(X^\top Y)$,
# $W = U V^\top$. Training then uses the text features $y W^\top$ with $W$ fixed. $YW^\top$ is the
# rotation of the texts closest to the images, so the gap at init is nearly 0.
#
# ### Exercise 3.6 — the Procrustes rotation
# *Kind: transcription · about 5 min*
#
# Write `my_procrustes(X, Y)` returning $W$ (D × D), Liang's rotation above. Normalize the rows first.
#
# <details><summary>Hint</summary>
#
# One SVD of a D × D matrix built from the normalized images and texts, in that order. The best orthogonal map
# keeps the two orthogonal factors and replaces the singular values by ones. Check the order of the factors
# against the way W is used: the texts become $YW^\top$. Look up what numpy's SVD returns as its third output.
# </details>


# %% tags=["exercise"]
def my_procrustes(X, Y):
    """Orthogonal W (D x D) such that normalize(Y) @ W.T is closest to normalize(X)."""
    raise NotImplementedError("Exercise 3.6: return the rotation that best maps the texts onto the images")


my_procrustes(img[:50], txt[:50])


# %% tags=["solution"]
def my_procrustes(X, Y):
    """Orthogonal W (D x D) such that normalize(Y) @ W.T is closest to normalize(X)."""
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    Y = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    U, S, Vt = np.linalg.svd(X.T @ Y)
    return U @ Vt


my_procrustes(img[:50], txt[:50])

# %%
check_procrustes(my_procrustes)

# %% [markdown]
# The reference `procrustes.procrustes_rotation` on the *initial* (untrained) course model: fit W on
# the training pairs, then look at the held-out pairs with and without it.

# %%
train_set, test_set, vocab = init_vs_opt.digit_pairs()
model0 = init_vs_opt.build_model(len(vocab), seed=0)
W = procrustes.procrustes_rotation(*init_vs_opt.embed(model0, train_set))
X_te, Y_te = init_vs_opt.embed(model0, test_set)
print(f"W is {W.shape[0]}x{W.shape[1]}, orthogonal: {np.allclose(W @ W.T, np.eye(len(W)))}")
print(
    f"held-out gap at init: {metrics.l2m(X_te, Y_te):.4f} (original) -> "
    f"{metrics.l2m(X_te, procrustes.apply_rotation(Y_te, W)):.4f} (texts rotated by W)"
)

# %% [markdown]
# ### Bonus exercise 3.7 — a rotation, not a mirror
# *Kind: bonus · about 15 min*
#
# $W = UV^\top$ is the best *orthogonal* matrix, and an orthogonal matrix may be a reflection (det W = −1):
# the texts would then be mirrored, not rotated. Write `my_rotation(X, Y)` that returns the best **proper**
# rotation: among all W with $WW^\top = I$ and det W = +1, the one minimising $\lVert \hat Y W^\top - \hat X\rVert_F$
# (rows normalized as before). The check includes a mirror-image pair of clouds, where Liang's W is a reflection.
#
# <details><summary>Hint</summary>
#
# Write the objective with the SVD: minimising the residual is maximising a trace, and for W built from U and V
# with a diagonal of signs in between, that trace is a signed sum of the singular values. Which single sign change
# fixes the determinant at the smallest cost? Only change a sign when the determinant needs it.
# </details>


# %% tags=["exercise"]
def my_rotation(X, Y):
    """The best proper rotation W, det +1, laying normalize(Y) @ W.T onto normalize(X)."""
    raise NotImplementedError("Bonus exercise 3.7: return the best rotation with determinant plus one")


my_rotation(X_te, Y_te)


# %% tags=["solution"]
def my_rotation(X, Y):
    """The best proper rotation W, det +1, laying normalize(Y) @ W.T onto normalize(X)."""
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    Y = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    U, S, Vt = np.linalg.svd(X.T @ Y)
    if np.linalg.det(U @ Vt) < 0:  # a reflection: flip the direction of the smallest singular value
        U = U.copy()
        U[:, -1] *= -1
    return U @ Vt


my_rotation(X_te, Y_te)

# %%
check_proper_rotation(my_rotation)
W_proper = procrustes.proper_rotation(*init_vs_opt.embed(model0, train_set))
det_w = np.linalg.det(W)
print(
    f"Liang's W on the course's init: det W = {det_w:+.3f} -> "
    f"{'already a rotation: the proper rotation is the same W' if det_w > 0 else 'a reflection: the proper rotation differs'}"
)
print(
    f"held-out gap at init with the proper rotation: {metrics.l2m(X_te, procrustes.apply_rotation(Y_te, W_proper)):.4f}"
    f" (Liang's W: {metrics.l2m(X_te, procrustes.apply_rotation(Y_te, W)):.4f})"
)

# %% [markdown]
# ### Our laptop version, two recipes
#
# Liang train CLIP ViT-B/16 on 50,000 COCO pairs for 5 epochs with Adam (lr 1e-5, weight decay 0.2,
# batch 64). We train the course's small CLIP (`modgap_edu.experiments.init_vs_opt`: an MLP image tower and a
# bag-of-words text tower, 32-d, from `modgap_edu.models.towers`) on scikit-learn's digits with two-word
# captions (30 distinct captions for 1,347 training images), τ fixed at 1/100, batch 64, and measure the gap
# on 450 held-out pairs, with two optimizer recipes (`init_vs_opt.RECIPES`):
#
# * the **paper recipe**: the paper's Adam, 5 epochs (the shipped asset continues to 100);
# * the **course recipe**: Adam lr 1e-3, no weight decay, 100 epochs.
#
# Both multi-seed results were precomputed with the commands printed below; you re-run seed 0 of each live.
# First the paper recipe:

# %%
paper_asset = init_vs_opt.load_asset(init_vs_opt.PAPER_RECIPE_ASSET)
print("precomputed with:", paper_asset["command"])
ps = paper_asset["summary"]
paper = init_vs_opt.PAPER
print(
    f"\n{'paper recipe':12s} {'ours: init':>10s} {'ours: epoch 5':>14s}   {'paper: init':>11s} {'paper: epoch 5':>14s}"
)
for v in ("original", "amended"):
    print(
        f"{v:12s} {ps[f'{v}.gap_init']['mean']:10.3f} {ps[f'{v}.gap_epoch_5']['mean']:14.3f}   "
        f"{np.mean(paper[v]['init']):11.4f} {np.mean(paper[v]['trained']):14.4f}"
    )
ratio_paper_recipe = ps["amended.gap_epoch_5"]["mean"] / ps["original.gap_epoch_5"]["mean"]
ratio_paper = np.mean(paper["amended"]["trained"]) / np.mean(paper["original"]["trained"])
print(
    f"amended / original at epoch 5: ours {ratio_paper_recipe:.2f} (at init: "
    f"{ps['amended.gap_init']['mean'] / ps['original.gap_init']['mean']:.2f}), paper {ratio_paper:.2f}"
)
for v in ("original", "amended"):
    a, b = ps[f"{v}.gap_init"]["mean"], ps[f"{v}.gap_epoch_5"]["mean"]
    print(f"ours, {v}: the gap {'grows' if b > a else 'shrinks'} in 5 epochs ({a:.3f} -> {b:.3f}, {b - a:+.3f})")
print(f"paper, original: grows {np.mean(paper['original']['init']):.2f} -> {np.mean(paper['original']['trained']):.2f}")

live_paper = []
for variant in ("original", "amended"):
    r = init_vs_opt.run(seed=0, variant=variant, epochs=5, recipe="paper")
    live_paper.append(r.__dict__)
    seeds = [a["gap_per_epoch"][4] for a in paper_asset["results"] if a["variant"] == variant]
    inside = min(seeds) - 0.005 <= r.gap_trained <= max(seeds) + 0.005
    print(
        f"live seed 0, paper recipe, {variant:8s}: gap {r.gap_init:.4f} -> {r.gap_trained:.4f} after 5 epochs "
        f"({r.seconds:.1f} s); shipped seeds at epoch 5: {min(seeds):.4f} … {max(seeds):.4f} -> "
        f"{'within spread' if inside else 'OUTSIDE the seed spread'}"
    )

# %%
show(plots.plot_gap_per_epoch(paper_asset, live=live_paper))

# %% [markdown]
# Then the course recipe (5 seeds, 100 epochs), with seed 0 re-run live for 30 epochs:

# %%
asset = init_vs_opt.load_asset()
print("precomputed with:", asset["command"])
summ = asset["summary"]
print(
    f"\n{'':10s} {'ours: init':>16s} {'ours: epoch 30':>16s} {'ours: epoch %d' % asset['epochs']:>16s}   "
    f"{'paper: init':>16s} {'paper: trained':>16s}"
)
for v in ("original", "amended"):
    cells = [
        f"{summ[f'{v}.{s}']['mean']:.3f} ± {summ[f'{v}.{s}']['ci95']:.3f}"
        for s in ("gap_init", "gap_epoch_30", "gap_trained")
    ]
    p_init, p_tr = np.mean(paper[v]["init"]), np.mean(paper[v]["trained"])
    print(f"{v:10s} {cells[0]:>16s} {cells[1]:>16s} {cells[2]:>16s}   {p_init:16.4f} {p_tr:16.4f}")
print("(± = 95% CI over seeds, t_0.975 * s / sqrt(n), as in the paper)")
for s in ("gap_epoch_30", "gap_trained"):
    ratio = summ[f"amended.{s}"]["mean"] / summ[f"original.{s}"]["mean"]
    print(f"amended / original at {s}: {ratio:.2f}")
print(
    f"paper: amended / original after training: {np.mean(paper['amended']['trained']) / np.mean(paper['original']['trained']):.2f}"
)
g = {key: summ[key]["mean"] for key in summ}
print(
    f"\nours: the original gap {'shrinks' if g['original.gap_trained'] < g['original.gap_init'] else 'grows'} during "
    f"training ({g['original.gap_init']:.3f} -> {g['original.gap_trained']:.3f}); paper: it grows "
    f"({np.mean(paper['original']['init']):.2f} -> {np.mean(paper['original']['trained']):.2f})"
)
print(
    f"ours: amended < original at epoch 30: {g['amended.gap_epoch_30'] < g['original.gap_epoch_30']}; "
    f"at epoch {asset['epochs']}: {g['amended.gap_trained'] < g['original.gap_trained']} "
    f"(difference {g['original.gap_trained'] - g['amended.gap_trained']:+.3f})"
)

# %%
live = []
for variant in ("original", "amended"):
    r = init_vs_opt.run(seed=0, variant=variant, epochs=30)
    live.append(r.__dict__)
    seeds = [a["gap_per_epoch"][29] for a in asset["results"] if a["variant"] == variant]
    inside = min(seeds) - 0.005 <= r.gap_trained <= max(seeds) + 0.005
    print(
        f"live seed 0, {variant:8s}: gap {r.gap_init:.4f} -> {r.gap_trained:.4f} after 30 epochs "
        f"({r.seconds:.1f} s); shipped seeds at epoch 30: {min(seeds):.4f} … {max(seeds):.4f} -> "
        f"{'within spread' if inside else 'OUTSIDE the seed spread'}; caption retrieval {r.test_accuracy:.2f}"
    )

# %%
show(plots.plot_init_vs_opt(asset, live=live))
show(plots.plot_gap_per_epoch(asset, live=live))

# %% [markdown]
# **Paper vs. our run** (each statement is a printed line above).
#
# * **Paper** (ViT-B/16, 50k COCO, 5 epochs): the original gap *grows* (1.19 → 1.30) and the amended model
#   keeps a smaller gap, 57 % of the original's after training (0.75 vs 1.30).
# * **Paper recipe, ours: does not reproduce it.** In 5 epochs (about 105 steps at lr 1e-5) our tiny model
#   barely moves: the original gap shrinks by about 0.02 instead of growing, the amended gap grows by about
#   0.02, and the amended / original ratio (about 0.2) is essentially the ratio at the init. The run is too
#   short for training to decide anything; the live seed-0 runs fall within the shipped seed spread.
# * **Course recipe, ours: does not reproduce it either.** At lr 1e-3 the original gap shrinks from about
#   1.2 to about 0.3 by epoch 30 and to below 0.1 by epoch 100, and the amended model's head start is
#   nearly gone at epoch 100 (the last printed lines). The text tower sees only 30 distinct captions for
#   1,347 images, and training pulls those 30 points onto the image clusters.
#
# This is lesson 01's gap-fate grid again (Section 6 there). Whether training keeps the gap depends on
# the setting: training length (5 short epochs vs 100), τ (both ours are at 1/100), dimension (32 here) and
# the imbalance of 30 captions for 1,347 images, which slows the closing in the grid but does not stop it
# here. Liang's "the gap grows and the amended init keeps 57 %" is a statement about *their* setting; ours
# checks it and finds neither arm reproduces it.
#
# **Paper vs. code.** Liang's notebook measures the gap of the amended model on *training* pairs
# (`dataset.data[:500]`); we measure on 450 held-out pairs, so that the gap is not a property of what the
# model memorised. To see the training-pairs number, call `metrics.l2m(*init_vs_opt.embed(model, train_set))`
# on a model of your own.
#
# <details><summary>Question: the amended gap at init is not 0 here (the "amended" rows of the tables, "ours: init"), but ≈ 0.04 in the paper. Why?</summary>
#
# A rotation can only lay one cloud onto the other if their shapes match. Our text tower sees only 30
# distinct captions, so its cloud is 30 points, while the image cloud is a spread of 1,347 images in
# 32 dimensions: the best rotation still leaves the centroids apart. CLIP's 512-d clouds of 50k
# distinct captions and images are more alike in shape.
# </details>

# %% [markdown]
# ## 4. Fine-tuning at fixed temperatures (Liang Supp. Fig. 8) (about 5 min)
#
# Liang fine-tune a pretrained CLIP at fixed τ ∈ {1/100, 1/50, 1/30, 1/20, 1/10, 1} and report that the gap
# "decreases monotonically with increasing temperature". **Quirk:** their `logit_scale` stays in
# `model.parameters()`, so the "fixed" τ is in fact learnable. Our version
# (`modgap_edu.experiments.fixed_tau_finetune`): the course's small CLIP trained 30 epochs at τ = 1/100, then
# fine-tuned 10 epochs at each τ (lr 1e-3, 2 seeds), with τ frozen and, as in the paper's code, learnable.

# %%
from modgap_edu.experiments import fixed_tau_finetune as ftf

ft = ftf.load_asset()
print("precomputed with:", ft["command"])
learn = {r["tau"]: r for r in ftf.table(ft, learnable=True)}
print(
    f"{'τ':>6s} | {'paper gap':>9s} {'i2t R@1':>7s} | {'ours gap (min…max)':>20s} {'i2t R@1':>7s} | "
    f"{'learnable τ: gap':>16s} {'τ at end':>8s}"
)
for row in ftf.table(ft, learnable=False):
    tau, pp, lr_row = row["tau"], ftf.PAPER[row["tau"]], learn[row["tau"]]
    print(
        f"{'1/%d' % round(1 / tau) if tau < 1 else '1':>6s} | {pp['gap']:9.4f} {pp['image_r1']:7.4f} | "
        f"{row['gap']['mean']:7.3f} ({row['gap']['min']:.3f}…{row['gap']['max']:.3f}) {row['i2t_r1']['mean']:7.3f} | "
        f"{lr_row['gap']['mean']:16.3f} {lr_row['tau_final']['mean']:8.4f}"
    )
gaps = [r["gap"]["mean"] for r in ftf.table(ft, learnable=False)]
print(
    f"ours (frozen τ): gap decreases monotonically with τ: {all(a > b for a, b in zip(gaps, gaps[1:]))}; "
    f"smallest gap at τ = {ftf.table(ft)[int(np.argmin(gaps))]['tau']:g}"
)

# %%
m = ftf.run_member(0, 1.0)
rec = next(r for r in ft["members"] if (r["seed"], r["tau"], r["learnable"]) == (0, 1.0, False))
print(
    f"live member seed 0, τ = 1 (frozen): gap {m.gap_base:.4f} -> {m.gap:.4f}, i2t R@1 {m.i2t_r1:.3f} "
    f"({m.seconds:.1f} s); shipped: {rec['gap']:.4f}, {rec['i2t_r1']:.3f} -> "
    f"{'identical' if abs(rec['gap'] - m.gap) < 1e-6 else 'DIFFERENT'}"
)

# %% [markdown]
# **Paper vs. our run.** As in the paper, τ = 1 gives the smallest gap and the lowest image→text R@1. Unlike
# the paper, our gap is *not* monotone in τ: it is larger at 1/50 than at 1/100 (the table and the line below
# it). With τ learnable (the paper's quirk) our lr 1e-3 moves τ by about 10–25 % from its start (the last column:
# 1/100 ends at 0.0123, 1 at 0.80), so the "fixed-τ" arm of the released code is only approximately fixed; the
# gaps of the two arms stay close at every τ except 1/20.
#
# ## 5. Implications (Liang Sec. 5): does moving along the gap help? (about 5 min)
#
# Liang shift both modalities by ±λ/2 along the unit gap direction, λ ∈ `np.arange(-5, 5, 0.25)`, and report the
# best zero-shot accuracy next to the default (their Table 1): on some datasets closing the gap helps, on others
# widening it does. We check "either direction can help" on Liang's real COCO features (retrieval R@1) and on
# the course's digits model (zero-shot accuracy, classes = prompt-ensembled captions;
# `modgap_edu.experiments.retrieval_shift`).

# %%
from modgap_edu.experiments import retrieval_shift as rs

print(f"{'paper Table 1':14s} {'default':>8s} {'best':>8s}  direction")
for name, (d, b, how) in rs.PAPER_TABLE1.items():
    print(f"{name:14s} {d:8.4f} {b:8.4f}  {how}")
rcurve = rs.retrieval_vs_shift(img, txt)
zcurve = rs.zero_shot_vs_shift(*rs.digit_zero_shot_features(seed=0, epochs=30))
print(f"\nours ({'real COCO features' if feats.is_real else 'FALLBACK features'}, and digits zero-shot):")
for label, cur, name in (
    ("COCO i2t R@1", rcurve, "i2t"),
    ("COCO t2i R@1", rcurve, "t2i"),
    ("digits zero-shot", zcurve, "accuracy"),
):
    lam_b, best = cur.best(name)
    h = cur.helps(name)
    print(
        f"{label:17s} default {cur.default(name):.3f}; best {best:.3f} at λ = {lam_b:+.2f}; "
        f"best gain closing {h['close (lam > 0)']:+.3f}, widening {h['widen (lam < 0)']:+.3f}"
    )
helps = {
    lab: max(cur.helps(n), key=cur.helps(n).get)
    for lab, cur, n in (("COCO t2i", rcurve, "t2i"), ("digits zero-shot", zcurve, "accuracy"))
}
print(f"the direction that helps: {helps}")

# %%
show(plots.plot_shift_scores(rcurve, zcurve, title=short))

# %% [markdown]
# Image→text retrieval is best at the default (λ = 0); text→image improves a little when the gap is *widened*,
# digits zero-shot when it is *closed* (printed above). "Either direction can help" holds, and the gains are
# small (a few hundredths at most), as in Table 1.
#
# <div style="border:1px solid #888; padding:0.5em">
#
# **At scale: fairness (Liang Table 2; not re-run here).** Liang shift only the *images* of CLIP ViT-B/32 by
# λ = −0.2 (a larger gap) on FairFace val (10,954 images, 21 prompts incl. crime-related and non-human classes)
# and report fewer denigration harms for every race. The numbers below are theirs (`shift_CLIP_FairFace_Bias.ipynb`
# printed output, papers.md §1.12); the course has no FairFace data. **Discrepancy:** the paper and README call
# the cost "a minor 0.0008 top-1 accuracy drop"; the notebook prints 0.5817 → 0.5739, a drop of 0.0078.
# </div>

# %%
FAIRFACE_SUM = {
    "Black": (1.1, 1.0),
    "White": (15.7, 13.7),
    "Indian": (1.2, 1.1),
    "Latino": (2.8, 2.0),
    "Middle Eastern": (6.3, 5.2),
    "Southeast Asian": (0.5, 0.3),
    "East Asian": (0.7, 0.6),
}
ACC = (0.5817, 0.5739)  # notebook output; the paper states a 0.0008 drop
print("Liang Table 2 (paper/notebook, not ours): crime-related + non-human predictions, % of each race")
print(f"{'race':16s} {'λ = 0':>6s} {'λ = −0.2':>9s}")
for race, (d0, d1) in FAIRFACE_SUM.items():
    print(f"{race:16s} {d0:6.1f} {d1:9.1f}")
print(f"overall accuracy (notebook): {ACC[0]:.4f} -> {ACC[1]:.4f}, drop {ACC[0] - ACC[1]:.4f}; paper text: drop 0.0008")

# %%
print(f"lesson wall time so far: {time.perf_counter() - LESSON_START:.1f} s")

# %% [markdown]
# ## Quiz (about 5 min)
#
# A few questions on this lesson. Pick an answer per question in the quiz below and press **Check**, or type
# your answers into `answers` (question number → letter, e.g. `{1: "b"}`) and run the check cell: every
# answer gets its explanation.

# %%
# NBVAL_IGNORE_OUTPUT
from modgap_edu.exercises.quizzes import check_quiz, quiz

quiz("03")

# %%
answers = {}  # your answers: question number -> letter

# %% tags=["solution"]
answers = {1: "b", 2: "a", 3: "a", 4: "d", 5: "b"}

# %%
check_quiz("03", answers)

# %% [markdown]
# ## Summary (about 5 min)
#
# * The shift experiment is a 1-D scan of a *fixed* model's loss: with CLIP's τ = 1/100, closing more than a few
#   percent of the gap raises the loss (Section 1's fine scan), so a trained CLIP has no incentive to close it;
#   at τ = 1 closing almost all of it lowers the loss.
# * The paper's equation is the symmetric loss; the released code plots image→text only. Your table in
#   Section 1 prints where each one has its minimum, and whether they agree on your features.
# * The sphere toy explains the pull: mismatched pairs make the low-temperature loss repel the two
#   modalities (minima near ±75°), while matched data or a hot softmax put the minimum at zero gap.
# * **Which term:** closing the gap lowers the matched term and raises the log-sum-exp term; at τ = 1/100 the
#   denominator wins (total up), at τ = 1 the numerator does. On the real features the τ = 1/100 minimum is near,
#   not exactly at, the unshifted gap (within a few percent of it).
# * Removing the gap at the init with a Procrustes rotation: the paper finds the gap grows and the amended model
#   keeps 57 % of it after 5 epochs. Neither of our arms reproduces that: with the paper's recipe our tiny model
#   barely moves in 5 epochs, with ours the 30 captions collapse onto the images and both gaps nearly close.
# * Fine-tuning at fixed τ: τ = 1 gives the smallest gap, as in the paper, but our gap is not monotone in τ.
# * Moving along the gap after training changes retrieval and zero-shot accuracy by a few hundredths, in either
#   direction depending on the task (Table 1); the fairness gains of Table 2 are quoted, with the notebook's
#   larger accuracy drop.
# * **Lessons 01–03 in one sentence:** a low τ keeps the gap only where the loss saturates with the gap still open
#   (high dimension); an imbalance of captions slows or stops the closing; crowding in 3-D closes it (lesson 01 §6).
#
# ## Further reading
#
# * W. Liang, Y. Zhang, Y. Kwon, S. Yeung, J. Zou. *Mind the Gap: Understanding the Modality Gap in
#   Multi-modal Contrastive Representation Learning.* NeurIPS 2022, Sec. 4 (code: `Weixin-Liang/Modality-Gap`).
# * T. Wang, P. Isola. *Understanding Contrastive Representation Learning through Alignment and
#   Uniformity on the Hypersphere.* ICML 2020 (lesson 01: temperature and uniformity).
# * S. Schrodi et al. *Two Effects, One Trigger: On the Modality Gap, Object Bias, and Information
#   Imbalance in Contrastive Vision-Language Models.* ICLR 2025 (lesson 04).
