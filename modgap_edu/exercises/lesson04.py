"""Checks for lesson 04 (information imbalance on MAD).

* ``check_conditional_entropy``  -- Exercise 1.1: H(image | caption) of a joint table, in bits.
* ``check_make_caption``         -- Exercise 2.1: MAD's caption rule (``dataset.make_caption``).
* ``check_row_entropy``          -- Exercise 5.1: mean entropy of the softmax rows of a logit matrix.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from modgap_edu.exercises import run_check
from modgap_edu.mad import dataset

# ---------------------------------------------------------------- reference helpers


def conditional_entropy(joint: np.ndarray) -> float:
    """H(X | C) in bits for a joint probability table p[x, c] (rows = image states, columns = captions)."""
    p = np.asarray(joint, dtype=np.float64)
    pc = p.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(p / pc), 0.0)
    return float(terms.sum())


def mutual_information(joint: np.ndarray) -> float:
    """I(X; C) = H(X) - H(X | C) in bits."""
    p = np.asarray(joint, dtype=np.float64)
    px = p.sum(axis=1)
    hx = float(-(px[px > 0] * np.log2(px[px > 0])).sum())
    return hx - conditional_entropy(p)


def mad_joint(k_visible: tuple[str, ...], factors: tuple[str, ...] = ("digit", "colors")) -> np.ndarray:
    """Joint table of a toy MAD: the image is (digit, colour) uniform; the caption names the factors in
    ``k_visible`` (always from ``factors``). Rows: image states; columns: distinct captions."""
    sizes = [len(dataset.FACTORS[f]) for f in factors]
    states = list(itertools.product(*[range(s) for s in sizes]))
    caps = sorted({tuple(s[i] for i, f in enumerate(factors) if f in k_visible) for s in states})
    col = {c: j for j, c in enumerate(caps)}
    p = np.zeros((len(states), len(caps)))
    for i, s in enumerate(states):
        p[i, col[tuple(s[t] for t, f in enumerate(factors) if f in k_visible)]] = 1.0 / len(states)
    return p


# ---------------------------------------------------------------- Exercise 1.1


def check_conditional_entropy(fn) -> None:
    tables = {
        "digit only": mad_joint(("digit",)),
        "digit + colour": mad_joint(("digit", "colors")),
        "colour only": mad_joint(("colors",)),
        "random 4x3": np.random.default_rng(0).dirichlet(np.ones(12)).reshape(4, 3),
    }

    def verify(_):
        for name, t in tables.items():
            got = float(fn(t.copy()))
            want = conditional_entropy(t)
            if abs(got - want) < 1e-6:
                continue
            if abs(got - want * np.log(2)) < 1e-6:
                return f"{name}: got {got:.4f}, which is in nats; use log base 2 (bits): np.log2."
            swapped = conditional_entropy(t.T)
            if abs(got - swapped) < 1e-6:
                return (
                    f"{name}: got {got:.4f} = H(C | X); condition on the caption: divide p(x, c) by p(c) (column sums)."
                )
            if got < 0:
                return f"{name}: got {got:.4f} < 0; entropy is -sum p log p (mind the sign)."
            return f"{name}: got {got:.4f}, expected {want:.4f}. H(X|C) = -sum_xc p(x,c) log2( p(x,c) / p(c) )."
        return None

    run_check(
        "Exercise 1.1",
        lambda: fn(tables["digit only"].copy()),
        verify,
        "H(image | caption) matches: 2.81 bits of colour stay hidden when only the digit is named.",
    )


# ---------------------------------------------------------------- Exercise 2.1


def check_make_caption(fn) -> None:
    rng0 = np.random.default_rng(0)
    label_sets = [{f: int(rng0.integers(len(v))) for f, v in dataset.FACTORS.items()} for _ in range(30)]

    def verify(_):
        owner = {w: f for f, values in dataset.FACTORS.items() for w in values}
        for main in ("digit", "colors"):
            for k in (None, 0, 1, 3, 5):
                rng = np.random.default_rng(1)
                for lab in label_sets:
                    cap = fn(dict(lab), k, rng, main)
                    if not isinstance(cap, str):
                        return f"return a string, got {type(cap).__name__}."
                    if "-" not in cap and (k or 0) > 0:
                        return f"k={k}: {cap!r} has no '-': join the words with '-'.join(words)."
                    words = cap.split("-")
                    unknown = [w for w in words if w not in owner]
                    if unknown:
                        return (
                            f"k={k}: {cap!r} has {unknown[0]!r}, not a MAD word; use the literal values "
                            "FACTORS[factor][labels[factor]] (e.g. 'no swelling')."
                        )
                    head = dataset.FACTORS[main][lab[main]]
                    if head not in words:
                        return f"main_object={main!r}, k={k}: {cap!r} lacks the main object's word {head!r}."
                    want = 1 + (k or 0)
                    if len(words) != want:
                        return (
                            f"k={k}: {cap!r} has {len(words)} words, expected {want} (the main object + k attributes)."
                        )
                    facs = [owner[w] for w in words]
                    if len(set(facs)) != len(facs):
                        return f"k={k}: {cap!r} names a factor twice: sample k *different* attributes (replace=False)."
                    for w in words:
                        if dataset.FACTORS[owner[w]][lab[owner[w]]] != w:
                            return f"{cap!r}: {w!r} does not describe this image (labels {lab})."
        # distribution: shuffled order and all subsets
        rng = np.random.default_rng(2)
        lab = label_sets[0]
        caps = [fn(dict(lab), 2, rng, "digit") for _ in range(600)]
        first = Counter(c.split("-")[0] for c in caps)
        if len(first) < 4:
            return "the word order never changes: shuffle the list (rng.shuffle) before joining."
        subsets = {frozenset(c.split("-")) for c in caps}
        if len(subsets) < 10:
            return f"only {len(subsets)} of the 10 attribute pairs ever appear: draw the k attributes at random."
        return None

    run_check(
        "Exercise 2.1",
        lambda: fn(dict(label_sets[0]), 2, np.random.default_rng(0), "digit"),
        verify,
        "your captions follow MAD's rule for every k and main object.",
    )


# ---------------------------------------------------------------- Exercise 5.1


def row_entropy(logits: np.ndarray) -> float:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-(np.exp(logp) * logp).sum(axis=1).mean())


def check_row_entropy(fn) -> None:
    rng = np.random.default_rng(0)
    cases = {
        "uniform": np.zeros((4, 4)),
        "random": rng.normal(size=(6, 6)) * 3,
        "confident": np.eye(5) * 200.0,
        "large logits": rng.normal(size=(8, 8)) * 1000,
    }

    def verify(_):
        for name, z in cases.items():
            got = float(fn(z.copy()))
            want = row_entropy(z)
            if not np.isfinite(got):
                return f"{name}: got {got}; subtract each row's max before exp (log-sum-exp) to avoid overflow."
            if abs(got - want) < 1e-6:
                continue
            if abs(got - want / np.log(2)) < 1e-6:
                return f"{name}: got {got:.4f} in bits; the lesson uses nats (natural log)."
            if name == "random" and abs(got - row_entropy(z.T)) < 1e-6:
                return "you normalized over columns; softmax over each row (axis=1)."
            return f"{name}: got {got:.4f}, expected {want:.4f} = mean_i( -sum_j p_ij log p_ij ), p_i = softmax(row i)."
        return None

    run_check(
        "Exercise 5.1",
        lambda: fn(cases["random"].copy()),
        verify,
        "row entropy matches: log(B) for uniform rows, 0 for confident ones.",
    )
