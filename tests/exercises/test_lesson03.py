"""Lesson 03 exercise checks: the solutions pass (strict mode), unsolved stubs say so, and every listed plausible
mistake gets its specific FAIL diagnosis (issue 13: ``WRONG_ANSWERS``)."""

from __future__ import annotations

import ast
from types import SimpleNamespace

import build_lessons  # tools/ (pytest pythonpath): runs the lesson's solution cells
import numpy as np
import pytest
from scipy.special import logsumexp

from modgap_edu import exercises as E
from modgap_edu.core import shift
from modgap_edu.exercises import lesson03 as C
from modgap_edu.toys import six_pairs


@pytest.fixture(autouse=True)
def lenient():
    E.require_pass(False)
    yield
    E.require_pass(False)


def result(exercise_id):
    assert exercise_id in E.RESULTS, f"no check result recorded for {exercise_id}"
    return E.RESULTS[exercise_id]


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# ------------------------------------------------------------------ solutions: the cells of sources/03_temperature_toy.py
SOLUTIONS = build_lessons.solution_namespace("03")
good_shift = SOLUTIONS["my_shift"]
good_loss = SOLUTIONS["my_clip_loss"]
good_curvature = SOLUTIONS["my_curvature"]
good_procrustes = SOLUTIONS["my_procrustes"]
good_rotation = SOLUTIONS["my_rotation"]


def features(seed=0, n=120):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 16)) * 0.3 + np.eye(16)[0]
    y = x * 0.5 + rng.standard_normal((n, 16)) * 0.3 + np.eye(16)[1]
    return x, y


FEATURES = six_pairs.sphere_toy(75.0, mismatched=True)  # CLIP-like: closing the gap raises the τ = 1/100 loss


def measured_truth(x, y):
    out = {}
    for tau in (0.01, 1.0):
        before = shift.batched_clip_loss(*shift.shift_embeddings(x, y, alpha=0.0), tau)
        after = shift.batched_clip_loss(*shift.shift_embeddings(x, y, alpha=0.25), tau)
        out[tau] = "up" if after > before else "down"
    return out


TRUTH = measured_truth(*FEATURES)


def flip(word):
    return "down" if word == "up" else "up"


def run(exercise_id, fn):
    """Call the check of ``exercise_id`` on ``fn`` (the prediction check on the fixed test features)."""
    checks = {
        "Exercise 3.1": C.check_shift,
        "Exercise 3.2": lambda f: C.check_loss_change_prediction(f, *FEATURES),
        "Exercise 3.3": C.check_sphere_loss,
        "Exercise 3.4": C.check_curvature,
        "Exercise 3.6": C.check_procrustes,
        "Bonus exercise 3.7": C.check_proper_rotation,
    }
    checks[exercise_id](fn)
    return result(exercise_id)


# ------------------------------------------------------------------ wrong answers, written independently of the checks
def _g(x, y):
    return unit(x).mean(0) - unit(y).mean(0)


def shift_no_renormalize(x, y, a):
    return unit(x) - a * _g(x, y), unit(y) + a * _g(x, y)


def shift_unit_direction(x, y, a):
    u = _g(x, y) / np.linalg.norm(_g(x, y))
    return unit(unit(x) - a * u), unit(unit(y) + a * u)


def shift_raw_gap(x, y, a):
    g = x.mean(0) - y.mean(0)
    return unit(x - a * g), unit(y + a * g)


def shift_per_pair(x, y, a):
    d = unit(x) - unit(y)
    return unit(unit(x) - a * d), unit(unit(y) + a * d)


def shift_half(x, y, a):
    return unit(unit(x) - a / 2 * _g(x, y)), unit(unit(y) + a / 2 * _g(x, y))


def shift_images_only(x, y, a):
    return unit(unit(x) - a * _g(x, y)), unit(y)


def shift_texts_only(x, y, a):
    return unit(x), unit(unit(y) + a * _g(x, y))


def shift_swapped_outputs(x, y, a):
    xs, ys = good_shift(x, y, a)
    return ys, xs


def _logits(i, t, tau):
    return unit(i) @ unit(t).T / tau


def loss_naive(i, t, tau):  # overflows at tau = 1e-3
    z = _logits(i, t, tau)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(z)
        return float((np.mean(-np.log(np.diag(e) / e.sum(1))) + np.mean(-np.log(np.diag(e) / e.sum(0)))) / 2)


def loss_rows_only(i, t, tau):
    z = _logits(i, t, tau)
    return float(np.mean(logsumexp(z, 1) - np.diag(z)))


def loss_cols_only(i, t, tau):
    z = _logits(i, t, tau)
    return float(np.mean(logsumexp(z, 0) - np.diag(z)))


def loss_sum_directions(i, t, tau):
    return 2 * good_loss(i, t, tau)


def loss_sum_pairs(i, t, tau):
    return len(i) * good_loss(i, t, tau)


def loss_log2(i, t, tau):
    z = _logits(i, t, tau)
    lse = (logsumexp(z, 1) - np.diag(z)) / np.log(2), (logsumexp(z, 0) - np.diag(z)) / np.log(2)
    return float((lse[0].mean() + lse[1].mean()) / 2)


def loss_unnormalized(i, t, tau):
    z = i @ t.T / tau
    return float((np.mean(logsumexp(z, 1) - np.diag(z)) + np.mean(logsumexp(z, 0) - np.diag(z))) / 2)


def loss_no_diagonal(i, t, tau):
    z = _logits(i, t, tau)
    off = z - np.diag(np.full(len(z), np.inf))
    return float((np.mean(logsumexp(off, 1) - np.diag(z)) + np.mean(logsumexp(off, 0) - np.diag(z))) / 2)


def loss_times_tau(i, t, tau):
    return good_loss(i, t, 1.0 / tau)


def loss_no_tau(i, t, tau):
    return good_loss(i, t, 1.0)


def loss_max_not_added(i, t, tau):
    z = _logits(i, t, tau)
    r = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) - np.diag(z)
    c = np.log(np.exp(z - z.max(0, keepdims=True)).sum(0)) - np.diag(z)
    return float((r.mean() + c.mean()) / 2)


def loss_negated(i, t, tau):
    return -good_loss(i, t, tau)


def _softmax_margins(a, tau):
    """(row margins, column margins): own cosine minus the softmax-weighted cosine of the row / column."""
    z = a / tau
    pr = np.exp(z - z.max(1, keepdims=True))
    pr /= pr.sum(1, keepdims=True)
    pc = np.exp(z - z.max(0, keepdims=True))
    pc /= pc.sum(0, keepdims=True)
    return np.diag(a) - (pr * a).sum(1), np.diag(a) - (pc * a).sum(0)


def curv_rows_only(a, tau):
    return float(_softmax_margins(a, tau)[0].mean() / tau)


def curv_cols_only(a, tau):
    return float(_softmax_margins(a, tau)[1].mean() / tau)


def curv_hard_max(a, tau):
    return float(((np.diag(a) - a.max(1)).mean() + (np.diag(a) - a.max(0)).mean()) / (2 * tau))


def curv_uniform(a, tau):
    return float(((np.diag(a) - a.mean(1)).mean() + (np.diag(a) - a.mean(0)).mean()) / (2 * tau))


def curv_no_matched(a, tau):
    r, c = _softmax_margins(a, tau)
    d = np.diag(a)
    return float(((r - d).mean() + (c - d).mean()) / (2 * tau))


def proc_kept_s(x, y):
    u, s, vt = np.linalg.svd(unit(x).T @ unit(y))
    return u @ np.diag(s) @ vt


def proc_no_normalize(x, y):
    u, _, vt = np.linalg.svd(x.T @ y)
    return u @ vt


def proc_centered(x, y):
    xc, yc = unit(x) - unit(x).mean(0), unit(y) - unit(y).mean(0)
    u, _, vt = np.linalg.svd(xc.T @ yc)
    return u @ vt


def proc_vt_transposed(x, y):
    u, _, vt = np.linalg.svd(unit(x).T @ unit(y))
    return u @ vt.T


def proc_yx(x, y):
    u, _, vt = np.linalg.svd(unit(y).T @ unit(x))
    return u @ vt


def proc_rotated_texts(x, y):
    return unit(y) @ good_procrustes(x, y).T


def rot_flip_largest(x, y):
    u, _, vt = np.linalg.svd(unit(x).T @ unit(y))
    if np.linalg.det(u @ vt) < 0:
        u = u.copy()
        u[:, 0] *= -1
    return u @ vt


def rot_always_flip(x, y):
    u, _, vt = np.linalg.svd(unit(x).T @ unit(y))
    u = u.copy()
    u[:, -1] *= -1
    return u @ vt


def rot_negate_all(x, y):
    w = good_procrustes(x, y)
    return -w if np.linalg.det(w) < 0 else w


def rot_flip_vt_column(x, y):
    u, _, vt = np.linalg.svd(unit(x).T @ unit(y))
    if np.linalg.det(u @ vt) < 0:
        vt = vt.copy()
        vt[:, -1] *= -1
    return u @ vt


def rot_kept_s(x, y):
    u, s, vt = np.linalg.svd(unit(x).T @ unit(y))
    d = np.ones(len(s))
    d[-1] = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag(s * d) @ vt


def rot_random(x, y):
    rng = np.random.default_rng(0)
    q, r = np.linalg.qr(rng.standard_normal((x.shape[1],) * 2))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else q @ np.diag([1.0] * (len(q) - 1) + [-1.0])


WRONG_ANSWERS = [
    # Exercise 3.1: the alpha shift
    ("Exercise 3.1", shift_no_renormalize, "renormalize after the shift"),
    ("Exercise 3.1", lambda x, y, a: good_shift(x, y, -a), "wrong direction"),
    ("Exercise 3.1", shift_unit_direction, "unit direction g/||g||"),
    ("Exercise 3.1", shift_raw_gap, "normalize the rows first"),
    ("Exercise 3.1", shift_per_pair, "not the per-pair difference"),
    ("Exercise 3.1", shift_half, "by α/2 · g"),
    ("Exercise 3.1", shift_images_only, "only the images moved"),
    ("Exercise 3.1", shift_texts_only, "only the texts moved"),
    ("Exercise 3.1", shift_swapped_outputs, "you returned (texts, images)"),
    # Exercise 3.2: the prediction (TRUTH measured on FEATURES)
    ("Exercise 3.2", lambda: {str(t): v for t, v in TRUTH.items()}, "your keys are strings"),
    ("Exercise 3.2", lambda: {100: TRUTH[0.01], 1: TRUTH[1.0]}, "logit scale 1/τ"),
    ("Exercise 3.2", lambda: {0.01: TRUTH[0.01]}, "missing τ = 1.0"),
    (
        "Exercise 3.2",
        lambda: {0.01: "increase" if TRUTH[0.01] == "up" else "decrease", 1.0: TRUTH[1.0]},
        "write the word 'up' or 'down'",
    ),
    ("Exercise 3.2", lambda: {0.01: True, 1.0: False}, "give the string 'up' or 'down'"),
    ("Exercise 3.2", lambda: [TRUTH[0.01], TRUTH[1.0]], "return a dict keyed by temperature"),
    ("Exercise 3.2", lambda: {t: flip(v) for t, v in TRUTH.items()}, "wrong way round"),
    ("Exercise 3.2", lambda: {0.01: flip(TRUTH[0.01]), 1.0: TRUTH[1.0]}, "not at the cold softmax"),
    ("Exercise 3.2", lambda: {0.01: TRUTH[0.01], 1.0: flip(TRUTH[1.0])}, "not at the warm softmax"),
    # Exercise 3.3: the stable symmetric loss
    ("Exercise 3.3", loss_naive, "log-sum-exp"),
    ("Exercise 3.3", loss_rows_only, "only the image->text half"),
    ("Exercise 3.3", loss_cols_only, "only the text->image half"),
    ("Exercise 3.3", loss_sum_directions, "you added the two directions"),
    ("Exercise 3.3", loss_sum_pairs, "summed over the pairs"),
    ("Exercise 3.3", loss_log2, "in bits"),
    ("Exercise 3.3", loss_unnormalized, "L2-normalize the rows first"),
    ("Exercise 3.3", loss_no_diagonal, "in the denominator too"),
    ("Exercise 3.3", loss_times_tau, "multiplied the cosines by τ"),
    ("Exercise 3.3", loss_no_tau, "temperature is missing"),
    ("Exercise 3.3", loss_max_not_added, "add it back"),
    ("Exercise 3.3", loss_negated, "wrong sign"),
    # Exercise 3.4: the curvature at zero lift (derivation)
    ("Exercise 3.4", lambda a, tau: 0.0, "first derivative vanishes"),
    ("Exercise 3.4", lambda a, tau: -good_curvature(a, tau), "wrong sign"),
    ("Exercise 3.4", lambda a, tau: tau * good_curvature(a, tau), "a factor 1/τ is missing"),
    ("Exercise 3.4", lambda a, tau: good_curvature(a, tau) / tau, "one factor 1/τ too many"),
    ("Exercise 3.4", lambda a, tau: good_curvature(a, tau) * (np.pi / 180) ** 2, "per degree²"),
    ("Exercise 3.4", curv_rows_only, "image→text half (rows) only"),
    ("Exercise 3.4", curv_cols_only, "text→image half (columns) only"),
    ("Exercise 3.4", lambda a, tau: 2 * good_curvature(a, tau), "added the two directions"),
    ("Exercise 3.4", lambda a, tau: len(a) * good_curvature(a, tau), "summed over the N rows"),
    ("Exercise 3.4", curv_hard_max, "largest cosine of each row"),
    ("Exercise 3.4", curv_uniform, "equal weights"),
    ("Exercise 3.4", curv_no_matched, "matched cosine a_ii is missing"),
    # Exercise 3.6: Liang's Procrustes rotation
    ("Exercise 3.6", lambda x, y: good_procrustes(x, y).T, "you returned Wᵀ"),
    ("Exercise 3.6", proc_yx, "you returned Wᵀ"),
    ("Exercise 3.6", proc_kept_s, "drop the singular values"),
    ("Exercise 3.6", proc_no_normalize, "L2-normalize the rows"),
    ("Exercise 3.6", proc_centered, "you centred the clouds"),
    ("Exercise 3.6", proc_vt_transposed, "already returns Vᵀ"),
    ("Exercise 3.6", good_rotation, "you forced det W = +1"),
    ("Exercise 3.6", proc_rotated_texts, "you returned the rotated texts"),
    # Bonus exercise 3.7: the proper rotation
    ("Bonus exercise 3.7", good_procrustes, "it is a reflection"),
    ("Bonus exercise 3.7", rot_flip_largest, "*largest* singular value"),
    ("Bonus exercise 3.7", rot_always_flip, "flip only when its determinant is negative"),
    ("Bonus exercise 3.7", rot_negate_all, "negating all of W"),
    ("Bonus exercise 3.7", lambda x, y: good_rotation(x, y).T, "you returned Wᵀ"),
    ("Bonus exercise 3.7", rot_flip_vt_column, "negated a column of Vᵀ"),
    ("Bonus exercise 3.7", rot_kept_s, "not orthogonal"),
    ("Bonus exercise 3.7", rot_random, "not the best one"),
]


@pytest.mark.parametrize(
    "exercise_id, wrong_fn, hint", WRONG_ANSWERS, ids=[f"{e}-{h[:24]}" for e, _, h in WRONG_ANSWERS]
)
def test_wrong_answer_gets_its_diagnosis(exercise_id, wrong_fn, hint):
    r = run(exercise_id, wrong_fn)
    assert r.status == E.FAIL, r
    assert hint in r.message, r.message


def test_at_least_five_wrong_answers_per_checked_exercise():
    counts = {}
    for exercise_id, _, _ in WRONG_ANSWERS:
        counts[exercise_id] = counts.get(exercise_id, 0) + 1
    assert set(counts) == {"Exercise 3.1", "Exercise 3.2", "Exercise 3.3", "Exercise 3.4", "Exercise 3.6",
                           "Bonus exercise 3.7"}  # fmt: skip
    assert min(counts.values()) >= 5, counts


def test_diagnoses_differ_within_an_exercise():
    """Each listed mistake of an exercise gets its own message (a generic fallback would repeat itself)."""
    seen = {}
    for exercise_id, wrong_fn, hint in WRONG_ANSWERS:
        seen.setdefault(exercise_id, {}).setdefault(run(exercise_id, wrong_fn).message, []).append(hint)
    for exercise_id, messages in seen.items():
        shared = [hints for hints in messages.values() if len(set(hints)) > 1]
        assert not shared, (exercise_id, shared)


def test_fail_messages_of_the_prediction_do_not_print_the_losses():
    """Exercise 3.2's FAIL messages diagnose; they do not print the measured losses (the answer)."""
    x0, y0 = shift.shift_embeddings(*FEATURES, alpha=0.0)
    before = f"{shift.batched_clip_loss(x0, y0, 0.01):.4f}"
    for exercise_id, wrong_fn, _ in WRONG_ANSWERS:
        if exercise_id == "Exercise 3.2":
            r = run(exercise_id, wrong_fn)
            assert r.status == E.FAIL and before not in r.message and "->" not in r.message, r.message


def test_solutions_pass_in_strict_mode():
    E.require_pass(True)
    good = {
        "Exercise 3.1": good_shift,
        "Exercise 3.2": lambda: dict(TRUTH),
        "Exercise 3.3": good_loss,
        "Exercise 3.4": good_curvature,
        "Exercise 3.6": good_procrustes,
        "Bonus exercise 3.7": good_rotation,
    }
    for exercise_id, fn in good.items():
        assert run(exercise_id, fn).passed


def test_prediction_check_accepts_case_and_spaces():
    assert run("Exercise 3.2", lambda: {t: f" {v.upper()} " for t, v in TRUTH.items()}).passed


@pytest.mark.parametrize("exercise_id", ["Exercise 3.1", "Exercise 3.3", "Exercise 3.4", "Exercise 3.6",
                                         "Bonus exercise 3.7", "Exercise 3.2"])  # fmt: skip
def test_unsolved_stub_is_not_solved(exercise_id):
    def stub(*args):
        raise NotImplementedError(f"{exercise_id}: ...")

    assert run(exercise_id, stub).status == E.NOT_SOLVED


def test_strict_mode_raises_on_a_wrong_solution():
    E.require_pass(True)
    with pytest.raises(E.ExerciseCheckFailed):
        C.check_shift(lambda x, y, a: good_shift(x, y, -a))


def test_the_lessons_prediction_solution_passes_on_fallback_features():
    """my_prediction reads the lesson's ``feats``, ``img`` and ``txt``: on fallback features it measures."""
    x, y = features(seed=3)
    ns = build_lessons.solution_namespace("03")
    ns.update(feats=SimpleNamespace(is_real=False), img=x, txt=y)
    E.require_pass(True)
    C.check_loss_change_prediction(ns["my_prediction"], x, y)
    assert result("Exercise 3.2").passed
    ns["feats"] = SimpleNamespace(is_real=True)  # a trained CLIP's answer (Liang et al. Fig. 3)
    assert ns["my_prediction"]() == {0.01: "up", 1.0: "down"}


def test_both_branches_of_the_cold_softmax_diagnosis():
    """The τ = 1/100 diagnosis depends on what the features measure: on the CLIP-like toy (loss up) it explains
    the hardest negatives; on features where the loss goes down (like a fallback model) it says so."""
    clip_like, fallback_like = FEATURES, features()
    assert measured_truth(*clip_like) == {0.01: "up", 1.0: "down"}
    assert measured_truth(*fallback_like)[0.01] == "down"
    for (x, y), phrase in ((clip_like, "hardest negatives"), (fallback_like, "fallback model")):
        truth = measured_truth(x, y)
        C.check_loss_change_prediction(lambda t=truth: {0.01: flip(t[0.01]), 1.0: t[1.0]}, x, y)
        r = result("Exercise 3.2")
        assert r.status == E.FAIL and "not at the cold softmax" in r.message and phrase in r.message, r.message


def test_stub_messages_name_the_task_without_code():
    source = (build_lessons.ROOT / "sources" / "03_temperature_toy.py").read_text(encoding="utf-8")
    stubs = [
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "NotImplementedError" and node.args
    ]
    assert len(stubs) == 6, stubs
    for msg in stubs:
        assert msg.startswith(("Exercise 3.", "Bonus exercise 3.")), msg
        for bad in ("=", "(", "@", "np.", "torch.", "svd", "Vt", "ᵀ", "mean"):
            assert bad not in msg, (bad, msg)
