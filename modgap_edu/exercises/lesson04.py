"""Checks for lesson 04 (information imbalance on MAD).

* ``check_conditional_entropy``  -- Exercise 4.1 (transcription): H(image | caption) of a joint table, in bits.
* ``check_hidden_bits``          -- Exercise 4.2 (derivation): H(X | C) of MAD with the colour as main object, k = 1.
* ``check_make_caption``         -- Exercise 4.3 (transcription): MAD's caption rule (``dataset.make_caption``).
* ``check_row_entropy``          -- Exercise 4.4 (transcription): mean entropy of the softmax rows of a logit matrix.
* ``check_entropy_floor``        -- Bonus exercise 4.6: the lowest mean row entropy a batch with repeated captions allows.

Exercise 4.5 is open (no automatic check; rubric in ``docs/answer_key.md``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Callable, Optional

import numpy as np

from modgap_edu.exercises import as_float, run_check
from modgap_edu.mad import dataset

# ---------------------------------------------------------------- reference helpers


def conditional_entropy(joint: np.ndarray) -> float:
    """H(X | C) in bits for a joint probability table p[x, c] (rows = image states, columns = captions)."""
    p = np.asarray(joint, dtype=np.float64)
    pc = p.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(p / pc), 0.0)
    return float(terms.sum())


def _entropy_bits(p: np.ndarray) -> float:
    p = np.asarray(p, dtype=np.float64).ravel()
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def mutual_information(joint: np.ndarray) -> float:
    """I(X; C) = H(X) - H(X | C) in bits."""
    p = np.asarray(joint, dtype=np.float64)
    return _entropy_bits(p.sum(axis=1)) - conditional_entropy(p)


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


def hidden_bits(main_object: str = "digit", k: int | None = 1, sizes: dict | None = None) -> float:
    """H(X | caption) in bits of full MAD (Schrodi et al. 2025, caption rule of ``generate_text``): the image's
    six factors are uniform and independent; the caption names ``main_object`` and ``k`` of the other five
    factors, drawn uniformly without replacement. Its words say which factors are named, so H(X | C) is the
    mean over the named subsets of the bits of the unnamed factors. ``sizes`` overrides the factor sizes."""
    sizes = {f: len(v) for f, v in dataset.FACTORS.items()} if sizes is None else dict(sizes)
    others = [f for f in sizes if f != main_object]
    hidden = [
        sum(np.log2(sizes[f]) for f in others if f not in named) for named in itertools.combinations(others, k or 0)
    ]
    return float(np.mean(hidden))


def row_entropy(logits: np.ndarray) -> float:
    """Mean over rows of the entropy (nats) of softmax(row): lesson 04 §5."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-(np.exp(logp) * logp).sum(axis=1).mean())


def entropy_floor(captions) -> float:
    """Lowest mean row entropy (nats) of a contrastive batch whose captions repeat (lesson 04 §5, Bonus 4.6).

    Rows with the same caption get the same text embedding, hence the same logits: the best an image's row can
    do is spread its mass evenly over the m batch entries that carry its caption, entropy log m. The floor is the
    mean of log m over the batch's rows (duplicates included)."""
    captions = list(captions)
    counts = Counter(captions)
    return float(np.mean([np.log(counts[c]) for c in captions]))


def _close(a: float, b: float, tol: float) -> bool:
    return bool(np.isfinite(a)) and abs(a - b) < tol


def _first_match(got: float, candidates: list[tuple[float, str]], tol: float) -> Optional[str]:
    """The diagnosis of the first typical mistake whose value ``got`` reproduces, else None."""
    for value, message in candidates:
        if _close(got, value, tol):
            return message
    return None


# ---------------------------------------------------------------- Exercise 4.1


def _entropy_mistakes(t: np.ndarray) -> list[tuple[float, str]]:
    """The values the usual slips give on table ``t``, each with its diagnosis (Exercise 4.1)."""
    want = conditional_entropy(t)
    return [
        (want * np.log(2), "this is in nats (natural log); H(X | C) is asked in bits: use log base 2."),
        (want * np.log10(2), "this is in base 10; H(X | C) is asked in bits: use log base 2."),
        (
            conditional_entropy(t.T),
            "this is H(C | X): you divided p(x, c) by p(x), the row sums; condition on the caption, "
            "i.e. divide by p(c), the column sums.",
        ),
        (
            _entropy_bits(t),
            "this is the joint entropy H(X, C): inside the log, divide p(x, c) by the caption's marginal p(c).",
        ),
        (_entropy_bits(t.sum(axis=1)), "this is H(X), the image entropy alone: the caption's information is missing."),
        (-want, "the sign is flipped: entropy is minus the sum of p log p, so it is never negative."),
        (want / t.size, "you averaged the terms; H(X | C) is their sum over all (x, c)."),
    ]


def check_conditional_entropy(fn: Callable) -> None:
    """Exercise 4.1: ``fn(joint)`` -> H(X | C) in bits of a joint table p[x, c]."""
    tables = {
        "random 4x3": np.random.default_rng(0).dirichlet(np.ones(12)).reshape(4, 3),
        "digit only": mad_joint(("digit",)),
        "digit + colour": mad_joint(("digit", "colors")),
        "colour only": mad_joint(("colors",)),
    }

    def attempt():
        return {name: as_float(fn(t.copy())) for name, t in tables.items()}

    def verify(got) -> Optional[str]:
        bad = [name for name, t in tables.items() if not _close(got[name], conditional_entropy(t), 1e-6)]
        if not bad:
            return None
        if any(not np.isfinite(got[name]) for name in bad):
            return "got nan or inf: a zero entry contributes 0 (the limit of p log p), so skip the entries with p = 0."
        name = bad[0]  # the random table comes first: there the usual slips all give different values
        hint = _first_match(got[name], _entropy_mistakes(tables[name]), 1e-6)
        if hint:
            return f"{name} table: {hint}"
        return (
            f"{name} table: got {got[name]:.4f}. Sum -p(x, c) log2(p(x, c) / p(c)) over all cells with p > 0, "
            "with p(c) the column sums."
        )

    run_check(
        "Exercise 4.1",
        attempt,
        verify,
        "H(image | caption) matches: 2.81 bits of colour stay hidden when only the digit is named.",
    )


# ---------------------------------------------------------------- Exercise 4.2


def _hidden_bits_mistakes() -> list[tuple[float, str]]:
    """The values the usual slips of Exercise 4.2 give, each with its diagnosis."""
    want = hidden_bits("colors", 1)
    sizes = {f: len(v) for f, v in dataset.FACTORS.items()}
    h_x = float(np.log2(np.prod(list(sizes.values()))))
    others = [np.log2(sizes[f]) for f in sizes if f != "colors"]
    binary_thick = {**sizes, "thickthinning": 2}
    return [
        (want * np.log(2), "that is in nats: the lesson counts bits, so take logarithms to base 2."),
        (want * np.log10(2), "that is in base 10: the lesson counts bits, so take logarithms to base 2."),
        (
            h_x - want,
            "that is what the caption reveals, I(X; C) = H(X) - H(X | C); the exercise asks for what stays unsaid.",
        ),
        (h_x, "that is H(X), the whole image: the caption always reveals the colour and one more factor."),
        (
            hidden_bits("digit", 1),
            "that is the digit-main rule (the digit always named, the colour drawable); here the colour is always "
            "named and the digit is one of the five factors that may be drawn.",
        ),
        (
            h_x - np.log2(sizes["colors"]) - max(others),
            "you assumed the drawn factor is the digit (the most informative one); the drawn factor is any of the "
            "five with probability 1/5: average the hidden bits over the five cases.",
        ),
        (
            h_x - np.log2(sizes["colors"]) - min(others),
            "you assumed the drawn factor is a two-valued one; the drawn factor is any of the five with "
            "probability 1/5: average the hidden bits over the five cases.",
        ),
        (
            want + np.log2(5),
            "you added the uncertainty about *which* factor was drawn; the caption's words name their factor "
            "('thickening' can only be thickness), so the reader knows which factor it is.",
        ),
        (
            want - np.log2(5),
            "you subtracted log2(5) for the choice of the factor; that choice is independent of the image, so it "
            "reveals nothing about it: only the named factors' values do.",
        ),
        (
            hidden_bits("colors", 1, binary_thick),
            "thickness has three values (no thickthinning, thickening, thinning), not two.",
        ),
        (
            h_x - np.log2(sizes["colors"]),
            "you forgot the one drawn attribute: the caption names the colour and k = 1 more factor.",
        ),
    ]


def check_hidden_bits(fn: Callable) -> None:
    """Exercise 4.2: ``fn()`` -> H(X | C) in bits of full MAD when the colour is the main object and k = 1."""
    want = hidden_bits("colors", 1)

    def verify(got) -> Optional[str]:
        if _close(got, want, 1e-3):
            return None
        hint = _first_match(got, _hidden_bits_mistakes(), 2e-3)
        if hint:
            return hint
        if not 0 <= got <= float(np.log2(1680)):
            return f"got {got:.4f} bits: H(X | C) lies between 0 and H(X) = log2(10·3·2·2·2·7) bits."
        return (
            f"got {got:.4f} bits. Write H(X) as the sum of the six factors' bits, remove the colour's, then the "
            "drawn factor's bits averaged over the five equally likely choices (at least three decimals)."
        )

    run_check(
        "Exercise 4.2",
        lambda: as_float(fn()),
        verify,
        "right: with the colour always named and one factor drawn, this many bits stay unsaid on average.",
    )


# ---------------------------------------------------------------- Exercise 4.3


def _caption_problem(cap, lab: dict, k, main: str) -> Optional[str]:
    """What is wrong with one caption ``cap`` of the image ``lab`` (Exercise 4.3), or None."""
    owner = {w: f for f, values in dataset.FACTORS.items() for w in values}
    if not isinstance(cap, str):
        return f"return a string, got {type(cap).__name__}."
    head = dataset.FACTORS[main][lab[main]]
    if k is None:
        return None if cap == head else f"k=None means the main object's word alone ({head!r}), got {cap!r}."
    if "-" not in cap and k > 0:
        return f"k={k}: {cap!r} has no '-': the words are joined with a hyphen, not spaces or commas."
    words = cap.split("-")
    if words.count(head) > 1:
        return f"k={k}: {cap!r} names the main object twice: draw the k attributes from the *other* five factors."
    unknown = [w for w in words if w not in owner]
    if unknown or (len(words) > 1 and all(w.isdigit() for w in words)):
        return (
            f"k={k}: {cap!r} is not made of MAD words: use the words themselves "
            "(the entry of FACTORS at this image's label index, e.g. 'no swelling'), not the indices."
        )
    if head not in words:
        return f"main_object={main!r}, k={k}: {cap!r} lacks the main object's word; start from the main_object factor."
    facs = [owner[w] for w in words]
    if len(set(facs)) != len(facs):
        return f"k={k}: {cap!r} names a factor twice: draw k *different* attributes (without replacement)."
    if len(words) != 1 + k:
        return f"k={k}: {cap!r} has {len(words)} words; a caption is the main object + exactly k attributes."
    for w in words:
        if dataset.FACTORS[owner[w]][lab[owner[w]]] != w:
            return f"{cap!r}: {w!r} does not describe this image (labels {lab}): read each factor's own label."
    return None


def _order_problem(caps: list[str], main: str, lab: dict) -> Optional[str]:
    """Word order and subset diagnosis over many captions of one image (k = 2)."""
    head = dataset.FACTORS[main][lab[main]]
    by_subset: dict = {}
    for c in caps:
        by_subset.setdefault(frozenset(c.split("-")), set()).add(c)
    if all(len(v) == 1 for v in by_subset.values()):
        return "each set of words always comes in the same order: shuffle the words before joining them."
    if all(c.split("-")[0] == head for c in caps):
        return (
            "the main object's word always comes first: shuffle *all* the words, the main object's included, "
            "after adding the attributes."
        )
    if len(by_subset) < 10:
        return f"only {len(by_subset)} of the 10 attribute pairs ever appear: draw the k attributes at random."
    return None


def check_make_caption(fn: Callable) -> None:
    """Exercise 4.3: ``fn(labels, k, rng, main_object)`` -> a MAD caption (``dataset.make_caption``)."""
    rng0 = np.random.default_rng(0)
    label_sets = [{f: int(rng0.integers(len(v))) for f, v in dataset.FACTORS.items()} for _ in range(30)]

    def verify(_):
        for main in ("digit", "colors"):
            for k in (None, 0, 1, 3, 5):
                rng = np.random.default_rng(1)
                for lab in label_sets:
                    problem = _caption_problem(fn(dict(lab), k, rng, main), lab, k, main)
                    if problem:
                        return problem
        rng = np.random.default_rng(2)
        lab = label_sets[0]
        return _order_problem([fn(dict(lab), 2, rng, "digit") for _ in range(600)], "digit", lab)

    run_check(
        "Exercise 4.3",
        lambda: fn(dict(label_sets[0]), 2, np.random.default_rng(0), "digit"),
        verify,
        "your captions follow MAD's rule for every k and main object.",
    )


# ---------------------------------------------------------------- Exercise 4.4


def _row_entropy_mistakes(z: np.ndarray) -> list[tuple[float, str]]:
    """The values the usual slips of Exercise 4.4 give on logits ``z``, each with its diagnosis."""
    want = row_entropy(z)
    flat = z.ravel() - z.max()
    logq = flat - np.log(np.exp(flat).sum())
    return [
        (want / np.log(2), "this is in bits (log base 2); the lesson measures logit entropy in nats: natural log."),
        (row_entropy(z.T), "you took the softmax over each column; take it over each row (axis 1)."),
        (-want, "the sign is flipped: the entropy is minus the sum of p log p over a row."),
        (want * z.shape[0], "you summed the rows' entropies; the exercise asks for their mean."),
        (
            float(-(np.exp(logq) * logq).sum()),
            "you took one softmax over the whole matrix; normalise each row on its own.",
        ),
        (
            float(np.mean(np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1)) + z.max(axis=1))),
            "you returned the mean log-sum-exp of the rows; the entropy needs the probabilities: -sum p log p.",
        ),
    ]


def check_row_entropy(fn: Callable) -> None:
    """Exercise 4.4: ``fn(logits)`` -> mean over rows of the entropy (nats) of softmax(row)."""
    rng = np.random.default_rng(0)
    cases = {
        "random": rng.normal(size=(6, 6)) * 3,
        "uniform": np.zeros((4, 4)),
        "confident": np.eye(5) * 200.0,
        "large logits": rng.normal(size=(8, 8)) * 1000,
    }

    def attempt():
        with np.errstate(all="ignore"):
            return {name: as_float(fn(z.copy())) for name, z in cases.items()}

    def verify(got) -> Optional[str]:
        bad = [name for name, z in cases.items() if not _close(got[name], row_entropy(z), 1e-6)]
        if not bad:
            return None
        if "random" not in bad:
            if not all(np.isfinite(got[name]) for name in bad):
                return (
                    f"{bad[0]}: got {got[bad[0]]}; exp overflows for large logits: subtract each row's maximum "
                    "before exp (the log-sum-exp trick)."
                )
            return (
                f"{bad[0]}: got {got[bad[0]]:.4f}; right on moderate logits, so look at extreme ones: use log-sum-exp."
            )
        hint = _first_match(got["random"], _row_entropy_mistakes(cases["random"]), 1e-6)
        if hint:
            return hint
        return f"got {got['random']:.4f} on a random 6x6 matrix: softmax each row, -sum p log p per row, then the mean."

    run_check(
        "Exercise 4.4",
        attempt,
        verify,
        "row entropy matches: log(B) for uniform rows, 0 for confident ones.",
    )


# ---------------------------------------------------------------- Bonus exercise 4.6


def _floor_cases() -> dict[str, list[str]]:
    rng = np.random.default_rng(46)
    labels = [{f: int(rng.integers(len(v))) for f, v in dataset.FACTORS.items()} for _ in range(256)]
    return {
        "small batch": ["3", "3", "7", "1", "3", "7"],
        "all different": ["0", "1", "2", "3"],
        "MAD object only": [dataset.make_caption(lab, None, rng) for lab in labels],
        "MAD k = 1": [dataset.make_caption(lab, 1, rng) for lab in labels],
    }


def _floor_mistakes(caps: list[str]) -> list[tuple[float, str]]:
    """The values the usual slips of Bonus exercise 4.6 give on the batch ``caps``, each with its diagnosis."""
    want = entropy_floor(caps)
    counts = np.array(list(Counter(caps).values()), dtype=float)
    return [
        (want / np.log(2), "this is in bits; logits go through a softmax with natural exp, so use nats (natural log)."),
        (
            float(np.mean(np.log(counts))),
            "you averaged over the distinct captions; every row counts, and a caption shared by m images is m rows: "
            "weight each distinct caption by how often it occurs.",
        ),
        (
            float(np.log(len(caps) / len(counts))),
            "you used the average group size; the groups differ in size: average the logs of each row's own group "
            "size, not the log of an average.",
        ),
        (
            float(np.log(len(counts))),
            "that is the log of the number of distinct captions (a uniform choice among captions); the floor counts "
            "how many batch entries share each row's caption.",
        ),
        (want * len(caps), "you summed over the rows; the entropy of a batch is the mean over its rows."),
        (
            want * len(caps) / sum(1 for c in caps if Counter(caps)[c] > 1),
            "you skipped the rows whose caption is unique; they count too (entropy 0): divide by the batch size.",
        ),
    ]


def check_entropy_floor(fn: Callable) -> None:
    """Bonus exercise 4.6: ``fn(captions)`` -> the lowest achievable mean row entropy (nats) of the batch."""
    cases = _floor_cases()

    def attempt():
        return {name: as_float(fn(list(caps))) for name, caps in cases.items()}

    def verify(got) -> Optional[str]:
        bad = [name for name, caps in cases.items() if not _close(got[name], entropy_floor(caps), 1e-6)]
        if not bad:
            return None
        if "small batch" not in bad:
            return f"{bad[0]}: got {got[bad[0]]:.4f}; right on the small batch, so check how you count repeats."
        hint = _first_match(got["small batch"], _floor_mistakes(cases["small batch"]), 1e-6)
        if hint:
            return f"small batch {cases['small batch']}: {hint}"
        return (
            f"small batch {cases['small batch']}: got {got['small batch']:.4f}. Think of the best row for an image "
            "whose caption occurs m times in the batch, take its entropy, then average over all rows."
        )

    run_check(
        "Bonus exercise 4.6",
        attempt,
        verify,
        "right: a caption shared by m batch entries costs log m nats of entropy, whatever the model does.",
    )
