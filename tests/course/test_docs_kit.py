"""The instructor kit in ``docs/`` (issue 13 §6) stays true to the course.

* ``docs/disagreements.md`` and ``docs/answer_key.md``: every number taken from a shipped asset is written
  as an inline code span `` `key = value` ``; the test recomputes each key from the asset with the package's
  readers (``ASSET_NUMBERS`` below) and compares it at the printed precision. An asset that changes makes
  this test fail until the docs are updated: run ``python tests/course/test_docs_kit.py`` to print every
  key with its current value beside the value the docs state.
* ``docs/disagreements.md`` has one entry per known disagreement, each with its fields and a checked number.
* ``docs/answer_key.md`` has an entry for every discussion question of the five lessons (parsed from
  ``sources/*.py``) and a rubric placeholder per lesson.
* ``docs/slide_map.md`` lists every slide of both seminar decks (parsed from the seed files when they are
  present beside the repository) and every section heading it cites exists in the sources.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SOURCES = sorted((ROOT / "sources").glob("0[1-5]_*.py"))
NUMBER_DOCS = ("disagreements.md", "answer_key.md")
# `key = value`: key is dotted lower-case; value a decimal number (ASCII minus), optionally a percentage.
NUMBER_SPAN = re.compile(r"`([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+) = ([+-]?\d+(?:\.\d+)?)(%?)`")


# --------------------------------------------------------------------------------------------------------
# asset readers (cached: each asset is read once per session)


@functools.lru_cache(maxsize=None)
def _fate_cells() -> dict:
    from modgap_edu.experiments import gap_fate_grid
    from modgap_edu.toys import gap_fate

    grid = gap_fate_grid.load_phase_grid()
    return {(r["tau"], r["dim"], r["share"], r["mismatch"]): r for r in gap_fate.summarize(grid)}


@functools.lru_cache(maxsize=None)
def _fate_grid() -> dict:
    from modgap_edu.experiments import gap_fate_grid

    return gap_fate_grid.load_phase_grid()


def _fate(stat: str, tau: float, dim: int, share: int = 1, mismatch: float = 0.0) -> float:
    return _fate_cells()[(tau, dim, share, mismatch)][stat]


def _fate_low_tau_moving() -> list:
    return [
        r for r in _fate_grid()["runs"] if r["tau"] == 0.01 and r["dim"] >= 8 and r["share"] == 1 and not r["mismatch"]
    ]


def _fate_share_effect(pick) -> float:
    dims = _fate_grid()["settings"]["dims"]
    return pick(_fate("ratio_mean", 0.01, d, 4) - _fate("ratio_mean", 0.01, d, 1) for d in dims)


def _fate_mismatch_effect(pick) -> float:
    s = _fate_grid()["settings"]
    return pick(
        _fate("ratio_mean", t, d, 1, 0.25) - _fate("ratio_mean", t, d, 1, 0.0) for t in s["taus"] for d in s["dims"]
    )


@functools.lru_cache(maxsize=None)
def _ivo(recipe: str) -> dict:
    from modgap_edu.experiments import init_vs_opt

    path = init_vs_opt.PAPER_RECIPE_ASSET if recipe == "paper" else init_vs_opt.ASSET
    return init_vs_opt.load_asset(path)["summary"]


def _ivo_mean(recipe: str, key: str) -> float:
    return _ivo(recipe)[key]["mean"]


def _ivo_ratio(recipe: str, stage: str) -> float:
    return _ivo_mean(recipe, f"amended.{stage}") / _ivo_mean(recipe, f"original.{stage}")


@functools.lru_cache(maxsize=None)
def _ftf(learnable: bool) -> dict:
    from modgap_edu.experiments import fixed_tau_finetune as ftf

    return {r["tau"]: r for r in ftf.table(ftf.load_asset(), learnable=learnable)}


def _ftf_monotone() -> float:
    gaps = [r["gap"]["mean"] for _, r in sorted(_ftf(False).items())]
    return float(all(a > b for a, b in zip(gaps, gaps[1:])))


@functools.lru_cache(maxsize=None)
def _sweep() -> dict:
    from modgap_edu.experiments import mad_sweep

    return mad_sweep.load_sweep()


def _sweep_mean(metric: str, k) -> float:
    from modgap_edu.experiments import mad_sweep

    return mad_sweep.table(_sweep(), metric)[k][0]


def _first_negative_moad() -> float:
    from modgap_edu.experiments import mad_sweep

    table = mad_sweep.table(_sweep(), "moad_image")
    negative = [k for k in mad_sweep.MODES if table[k][0] < 0]
    return float("nan") if not negative else float(0 if negative[0] is None else negative[0])


def _finetune(learnable: bool, field: str) -> float:
    from modgap_edu.experiments import mad_sweep

    return float(np.mean([x[field] for x in mad_sweep.runs(_sweep(), "finetune", learnable_temperature=learnable)]))


@functools.lru_cache(maxsize=None)
def _family() -> tuple:
    from modgap_edu.experiments import mad_family

    return tuple(mad_family.load_family())


CONTROLS = {
    "raw": (),
    "width": ("width",),
    "embed": ("embed_dim",),
    "data": ("n_train",),
    "all3": ("width", "embed_dim", "n_train"),
    "k": ("k",),
}


@functools.lru_cache(maxsize=None)
def _family_controls() -> dict:
    """Lesson 05 §5's raw and controlled tau table (9,999 permutations, seed 0), by the spec keys held fixed."""
    from modgap_edu.experiments import mad_family

    return {tuple(row["keys"]): row for row in mad_family.controlled_taus(list(_family()))}


def _family_control(name: str, field: str) -> float:
    return float(_family_controls()[CONTROLS[name]][field])


@functools.lru_cache(maxsize=None)
def _family_digit_attributes() -> dict:
    """Lesson 05 §4: tau(digit accuracy, attribute accuracy) over the family, with its permutation p."""
    from modgap_edu.core import rank_statistics

    fam = _family()
    return rank_statistics.kendall_with_permutation(
        [r["zero_shot_digit"] for r in fam], [r["zero_shot_attributes"] for r in fam], n_resamples=9999, seed=0
    )


def _family_default(k: int, field: str) -> float:
    """The lesson's "default setting": default width, embedding 32, the largest training set."""
    fam = _family()
    largest = max(r["n_train"] for r in fam)
    (row,) = [
        r for r in fam if r["width"] == "default" and r["embed_dim"] == 32 and r["n_train"] == largest and r["k"] == k
    ]
    return row[field]


def _family_datasize(field: str) -> float:
    import numpy as np

    from modgap_edu.experiments import mad_family

    pairs = mad_family.data_size_pairs(list(_family()))
    changes = [p["change"] for p in pairs]
    return float(
        {"pairs": len(pairs), "smaller": sum(c < 0 for c in changes), "median_change": np.median(changes)}[field]
    )


@functools.lru_cache(maxsize=None)
def _cones_decomposition(tower: str) -> dict:
    from modgap_edu.core import cone
    from modgap_edu.experiments import random_init_cones

    emb = random_init_cones.load()[tower]
    d = cone.variance_decomposition(emb)
    s, n = emb.shape[:2]
    init_hat = s / (s - 1) * d["init"] - d["data"] / (n - 1)  # lesson 02 §6: the small-sample correction
    return {"init_share": float(d["init_share"]), "corrected": float(init_hat / (init_hat + d["data"] * n / (n - 1)))}


@functools.lru_cache(maxsize=None)
def _cones_geometry() -> dict:
    """Lesson 02 §6: how separate the six inits' cones are (the cells after the Fig. 2c picture)."""
    from modgap_edu.core import cone
    from modgap_edu.experiments import random_init_cones

    emb = random_init_cones.load()["image"]
    unit = emb / np.linalg.norm(emb, axis=2, keepdims=True)
    nearest = np.argmax(unit @ unit.mean(axis=1).T, axis=2)
    same_photo = np.mean([cone.mean_pairwise_cosine(unit[:, k]) for k in range(unit.shape[1])])
    return {"own_axis": float(np.mean(nearest == np.arange(len(unit))[:, None])), "same_photo": float(same_photo)}


def _sweep_run(kind: str, field: str, **match) -> float:
    from modgap_edu.experiments import mad_sweep

    return float(np.mean([x[field] for x in mad_sweep.runs(_sweep(), kind, **match)]))


@functools.lru_cache(maxsize=None)
def _hypotheses() -> dict:
    from modgap_edu.experiments import mad_hypotheses

    return mad_hypotheses.load_hypotheses()


def _hyp_mean(part: str, metric: str, k) -> float:
    """Lesson 04 §7-§8: the seed mean of one metric of the hypothesis runs (``mad_hypotheses.table``)."""
    from modgap_edu.experiments import mad_hypotheses

    return mad_hypotheses.table(_hypotheses(), part, metric)[k][0]


def _fixed_temperature_rmg(k: int, tau: float) -> float:
    from modgap_edu.experiments import mad_sweep

    (run,) = [x for x in mad_sweep.runs(_sweep(), "temperature", k=k) if x["fixed_temperature"] == tau]
    return run["rmg"]


ASSET_NUMBERS = {
    # lesson 01 §6, modgap_edu/assets/lesson01/gap_fate.json (final gap / initial gap)
    "l01.fate.max_ratio_3d": lambda: max(_fate("ratio_max", t, 3) for t in _fate_grid()["settings"]["taus"]),
    "l01.fate.ratio_tau001_dim8": lambda: _fate("ratio_mean", 0.01, 8),
    "l01.fate.ratio_tau001_dim16": lambda: _fate("ratio_mean", 0.01, 16),
    "l01.fate.ratio_tau001_dim64": lambda: _fate("ratio_mean", 0.01, 64),
    "l01.fate.min_ratio_tau001_dim8up": lambda: min(_fate("ratio_min", 0.01, d) for d in (8, 16, 64)),
    "l01.fate.converged_tau001_dim8up": lambda: float(sum(r["converged"] for r in _fate_low_tau_moving())),
    "l01.fate.runs_tau001_dim8up": lambda: float(len(_fate_low_tau_moving())),
    "l01.fate.max_drift_tau001_dim8up": lambda: max(abs(r["gap_drift"]) for r in _fate_low_tau_moving()),
    "l01.fate.share4_extra_min": lambda: _fate_share_effect(min),
    "l01.fate.share4_extra_max": lambda: _fate_share_effect(max),
    "l01.fate.mismatch_effect_min": lambda: _fate_mismatch_effect(min),
    "l01.fate.mismatch_effect_max": lambda: _fate_mismatch_effect(max),
    "l01.fate.ratio_tau1_max": lambda: max(
        _fate("ratio_max", 1.0, d, s) for d in _fate_grid()["settings"]["dims"] for s in (1, 4)
    ),
    "l01.fate.ratio_tau001_dim3_share4": lambda: _fate("ratio_mean", 0.01, 3, 4),
    "l01.fate.ratio_tau001_dim3_mismatch": lambda: _fate("ratio_mean", 0.01, 3, 1, 0.25),
    "l01.fate.ratio_tau002_dim8": lambda: _fate("ratio_mean", 0.02, 8),
    "l01.fate.ratio_tau005_dim8": lambda: _fate("ratio_mean", 0.05, 8),
    # lesson 02 §6, modgap_edu/assets/lesson02/cones_by_seed.npz (6 random inits of ViT-S-32-alt)
    "l02.cones.init_share_image": lambda: _cones_decomposition("image")["init_share"],
    "l02.cones.init_share_text": lambda: _cones_decomposition("text")["init_share"],
    "l02.cones.corrected_image": lambda: _cones_decomposition("image")["corrected"],
    "l02.cones.corrected_text": lambda: _cones_decomposition("text")["corrected"],
    "l02.cones.own_axis": lambda: _cones_geometry()["own_axis"],
    "l02.cones.same_photo_cos": lambda: _cones_geometry()["same_photo"],
    # lesson 03 §3, modgap_edu/assets/lesson03/init_vs_opt*.json (gap on 450 held-out pairs)
    **{
        f"l03.ivo.{recipe}.{variant}.{stage}": functools.partial(_ivo_mean, recipe, f"{variant}.gap_{stage}")
        for recipe, stages in (("course", ("init", "epoch_30", "trained")), ("paper", ("init", "epoch_5")))
        for variant in ("original", "amended")
        for stage in stages
    },
    "l03.ivo.course.ratio_trained": lambda: _ivo_ratio("course", "gap_trained"),
    "l03.ivo.course.ratio_epoch_30": lambda: _ivo_ratio("course", "gap_epoch_30"),
    "l03.ivo.paper.ratio_epoch_5": lambda: _ivo_ratio("paper", "gap_epoch_5"),
    "l03.ivo.paper.ratio_init": lambda: _ivo_ratio("paper", "gap_init"),
    # lesson 03 §4, modgap_edu/assets/lesson03/fixed_tau_finetune.json
    **{
        f"l03.ftf.frozen.gap_tau{name}": functools.partial(lambda t: _ftf(False)[t]["gap"]["mean"], tau)
        for name, tau in (("001", 0.01), ("002", 0.02), ("005", 0.05), ("01", 0.1), ("1", 1.0))
    },
    "l03.ftf.frozen.i2t_tau001": lambda: _ftf(False)[0.01]["i2t_r1"]["mean"],
    "l03.ftf.frozen.i2t_tau1": lambda: _ftf(False)[1.0]["i2t_r1"]["mean"],
    "l03.ftf.frozen.monotone": _ftf_monotone,
    "l03.ftf.learnable.tau_final_tau001": lambda: _ftf(True)[0.01]["tau_final"]["mean"],
    "l03.ftf.learnable.tau_final_tau1": lambda: _ftf(True)[1.0]["tau_final"]["mean"],
    # lesson 04 §3-§5, modgap_edu/assets/mad/sweep.json (seed means; object only = "obj")
    **{
        f"l04.sweep.{metric}.{name}": functools.partial(_sweep_mean, metric, k)
        for metric in (
            "rmg",
            "l2m",
            "moad_image",
            "moad_text",
            "zero_shot_digit",
            "zero_shot_digit_full",
            "zero_shot_color",
            "zero_shot_attributes",
        )
        for name, k in (("obj", None), ("k1", 1), ("k2", 2), ("k5", 5))
    },
    "l04.sweep.first_negative_moad_image_k": _first_negative_moad,
    "l04.presence.moad_image": lambda: _sweep_run("presence", "moad_image", k=1, main_object="colors"),
    **{
        f"l04.temperature.k{k}.tau{name}": functools.partial(_fixed_temperature_rmg, k, tau)
        for k in (1, 5)
        for name, tau in (("001", 0.01), ("003", 0.03), ("01", 0.1), ("03", 0.3))
    },
    "l04.finetune.rmg_frozen": lambda: _finetune(False, "rmg"),
    "l04.finetune.rmg_learnable": lambda: _finetune(True, "rmg"),
    # lesson 04 §7-§8, modgap_edu/assets/lesson04/hypotheses.json
    **{
        f"l04.hyp.{part}.{metric}.{name}": functools.partial(_hyp_mean, part, metric, k)
        for part, metrics in (
            (
                "baseline",
                ("probe_colors", "probe_digit", "zero_shot_digit", "zero_shot_digit_full", "moad_image_official"),
            ),
            ("longer", ("zero_shot_digit", "probe_digit")),
        )
        for metric in metrics
        for name, k in (("obj", None), ("k1", 1), ("k5", 5))
        if not (part == "longer" and k is None)
    },
    # lesson 05 §4-§5, modgap_edu/assets/lesson05/family.json
    "l05.family.n": lambda: float(len(_family())),
    **{
        f"l05.family.{name}.{field}": functools.partial(_family_control, name, field)
        for name in CONTROLS
        for field in ("tau", "p")
    },
    "l05.family.tau_digit_attributes": lambda: _family_digit_attributes()["tau"],
    "l05.family.p_digit_attributes": lambda: _family_digit_attributes()["p_permutation"],
    **{
        f"l05.family.k{k}.{field}": functools.partial(_family_default, k, field)
        for k in (1, 3, 5)
        for field in ("moad_image", "moad_text", "zero_shot_digit", "zero_shot_attributes", "rmg")
    },
    **{
        f"l05.family.datasize.{f}": functools.partial(_family_datasize, f)
        for f in ("pairs", "smaller", "median_change")
    },
}


def doc_numbers(name: str) -> list[tuple[str, str, str]]:
    """Every `key = value` span of a doc: (key, value, '%' or '')."""
    return NUMBER_SPAN.findall((DOCS / name).read_text(encoding="utf-8"))


def formatted(key: str, value: str, percent: str) -> str:
    """The asset's current value of `key`, printed at the precision of `value`."""
    x = float(ASSET_NUMBERS[key]()) * (100 if percent else 1)
    decimals = len(value.split(".")[1]) if "." in value else 0
    return f"{x:+.{decimals}f}" if value.startswith(("+", "-")) else f"{x:.{decimals}f}"


SLOW_KEYS = re.compile(r"^l05\.family\.p_")  # permutation tests with 9,999 resamples


def _spans() -> list:
    return [
        pytest.param(name, *span, id=f"{name}:{span[0]}", marks=[pytest.mark.slow] if SLOW_KEYS.match(span[0]) else [])
        for name in NUMBER_DOCS
        for span in doc_numbers(name)
    ]


# --------------------------------------------------------------------------------------------------------
# numbers from assets


@pytest.mark.parametrize("doc", NUMBER_DOCS)
def test_docs_carry_checked_numbers(doc):
    assert len(doc_numbers(doc)) >= 10, f"docs/{doc} should state its asset numbers as `key = value` spans"


@pytest.mark.parametrize("doc, key, value, percent", _spans())
def test_asset_number_is_current(doc, key, value, percent):
    assert key in ASSET_NUMBERS, f"docs/{doc}: unknown key {key!r}; add a reader to ASSET_NUMBERS"
    current = formatted(key, value, percent)
    assert current == value, (
        f"docs/{doc}: `{key} = {value}{percent}` but the shipped asset now gives {current}{percent}; "
        "update the doc (and the explanation around it) — `python tests/course/test_docs_kit.py` lists all keys"
    )


def test_formatting_keeps_sign_and_precision():
    ASSET_NUMBERS["test.fixed.value"] = lambda: -0.03896
    try:
        assert formatted("test.fixed.value", "-0.039", "") == "-0.039"
        assert formatted("test.fixed.value", "+0.04", "") == "-0.04"
        assert formatted("test.fixed.value", "-3.9", "%") == "-3.9"
        assert formatted("test.fixed.value", "-0.04", "") != "-0.039"
    finally:
        del ASSET_NUMBERS["test.fixed.value"]


# --------------------------------------------------------------------------------------------------------
# disagreements.md


def disagreement_entries() -> dict[str, str]:
    text = (DOCS / "disagreements.md").read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return {p.splitlines()[0].strip(): p for p in parts if re.match(r"L0[1-5]", p)}


REQUIRED_DISAGREEMENTS = (
    # (lesson, words that must appear in the entry's title)
    ("L01", "gap fate"),
    ("L02", "Theorem 2"),
    ("L02", "Fig. 1"),
    ("L03", "init vs optimisation"),
    ("L03", "fixed-τ"),
    ("L04", "zero-shot"),
    ("L04", "negative"),
    ("L04", "multi-hot"),
    ("L05", "gap vs performance"),
)
FIELDS = ("**Claim.**", "**Paper.**", "**Ours.**", "**Explanation.**", "**Run that tests it.**")


@pytest.mark.parametrize("lesson, words", REQUIRED_DISAGREEMENTS)
def test_known_disagreement_has_an_entry(lesson, words):
    titles = [t for t in disagreement_entries() if t.startswith(lesson) and words.lower() in t.lower()]
    assert titles, f"docs/disagreements.md: no entry '{lesson} … {words} …'"


def test_every_disagreement_entry_is_complete():
    entries = disagreement_entries()
    assert len(entries) >= len(REQUIRED_DISAGREEMENTS)
    for title, body in entries.items():
        missing = [f for f in FIELDS if f not in body]
        assert not missing, f"disagreements.md, entry {title!r}: missing {missing}"
        pending = "no shipped asset" in body
        assert NUMBER_SPAN.search(body) or pending, (
            f"disagreements.md, entry {title!r}: our number must be a checked `key = value` span "
            "(or the entry must say 'no shipped asset' and where its numbers come from)"
        )


# --------------------------------------------------------------------------------------------------------
# lesson structure: headings and discussion questions


def markdown_lines(path: Path) -> list[str]:
    """The markdown lines of a percent-format source, without the leading '# '."""
    out, in_md = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            in_md = "[markdown]" in line
            continue
        if in_md:
            out.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return out


def headings(path: Path) -> list[tuple[str, str]]:
    """(h2, h3) of every heading: h3 is '' for a `## ` heading."""
    found, h2 = [], ""
    for line in markdown_lines(path):
        if line.startswith("## "):
            h2 = line[3:].strip()
            found.append((h2, ""))
        elif line.startswith("### "):
            found.append((h2, line[4:].strip()))
    return found


def lesson_of(path: Path) -> str:
    return f"L{path.name[:2]}"


def section_label(h2: str) -> str:
    m = re.match(r"(\d+)\.", h2)
    return f"§{m.group(1)} " if m else ""


def discussion_questions(path: Path) -> list[str]:
    """Labels of the discussion questions of one lesson source.

    ``**Question 2.1.**`` -> "Question 2.1"; ``**Question.**`` and ``<summary>Question…`` -> "§N Question";
    the numbered items under ``**Questions**`` in section N -> "§N Question i"; under a ``## Questions``
    heading -> "Question i".
    """
    labels, h2, in_list, in_answer = [], "", None, False
    for line in markdown_lines(path):
        if "<summary>Question" in line:
            labels.append(f"{section_label(h2)}Question")
        if "<details>" in line:
            in_answer = True
        if "</details>" in line:
            in_answer = False
            continue
        if in_answer:
            continue
        if line.startswith("## "):
            h2 = re.sub(r"\s*\(about \d+ min\)$", "", line[3:].strip())  # the time suffix of every section
            in_list = "" if h2 == "Questions" else None
            continue
        if line.startswith("### "):
            in_list = None
        if line.strip() == "**Questions**":
            in_list = section_label(h2)
            continue
        m = re.match(r"\*\*Question( [\d.]*\d)?\.\*\*", line.strip())
        if m:
            labels.append(f"Question{m.group(1)}" if m.group(1) else f"{section_label(h2)}Question")
        elif in_list is not None:
            item = re.match(r"(\d+)\. ", line)
            if item:
                labels.append(f"{in_list}Question {item.group(1)}")
    return labels


def answer_key_entries() -> dict[str, str]:
    text = (DOCS / "answer_key.md").read_text(encoding="utf-8")
    parts = re.split(r"^#### ", text, flags=re.M)[1:]
    out = {}
    for p in parts:
        m = re.match(r"(L0[1-5]) (.+?) — ", p)
        if m:
            out[f"{m.group(1)} {m.group(2)}"] = p
    return out


def test_question_parser_finds_questions():
    found = {lesson_of(p): discussion_questions(p) for p in SOURCES}
    assert len(found) == 5 and all(found.values()), found
    for labels in found.values():
        assert len(labels) == len(set(labels)), f"two questions share a label: {labels}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_answer_key_covers_every_question(source):
    entries = answer_key_entries()
    missing = [q for q in discussion_questions(source) if f"{lesson_of(source)} {q}" not in entries]
    assert not missing, f"docs/answer_key.md has no '#### {lesson_of(source)} <label> — …' entry for {missing}"


def test_answer_key_entries_are_questions_and_complete():
    known = {f"{lesson_of(p)} {q}" for p in SOURCES for q in discussion_questions(p)}
    for label, body in answer_key_entries().items():
        if " Exercise " not in f" {label.split(' ', 1)[1]} ":  # predict prompts of exercises are extra entries
            assert label in known, f"docs/answer_key.md: '{label}' is not a question of the lessons any more"
        for field in ("**Answer.**", "**Listen for.**"):
            assert field in body, f"docs/answer_key.md, '{label}': missing {field}"


def test_answer_key_has_a_rubric_slot_per_lesson():
    text = (DOCS / "answer_key.md").read_text(encoding="utf-8")
    rubrics = text.split("## Open tasks: rubrics", 1)
    assert len(rubrics) == 2, "docs/answer_key.md needs a section '## Open tasks: rubrics'"
    for n in range(1, 6):
        assert re.search(rf"^### Lesson 0{n} ", rubrics[1], flags=re.M), f"no rubric slot for lesson 0{n}"
    assert "placeholder" not in rubrics[1], "docs/answer_key.md: a lesson's open-task rubric is still a placeholder"
    for n in range(1, 6):
        assert re.search(rf"Exercise {n}\.\d+", rubrics[1]), f"the lesson 0{n} rubric must name its open exercise"


# --------------------------------------------------------------------------------------------------------
# slide_map.md


DECKS = {
    "KO": "modality_gap_seminar_slides_ko.txt",
    "ZH": "mind_the_gap_two_effects_slides_zh.txt",
}
KO_TITLES = (
    "Seminar Outline",
    "Introduction",
    "Modality Gap",
    "Mind the Gap",
    "Two Effects, One Trigger",
    "Conclusion",
)
KO_CLOSING = "고맙습니다"
CITE = re.compile(r"(L0[1-5]) › ([^›;|]+?)(?: › ([^;|]+?))?\s*(?=;|\||$)")


def seeds_dir() -> Path | None:
    env = os.environ.get("MODGAP_SEEDS_DIR")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "seeds" for p in ROOT.parents]
    return next((c for c in candidates if (c / DECKS["KO"]).is_file() and (c / DECKS["ZH"]).is_file()), None)


def deck_slides(deck: str, text: str) -> list[str]:
    """Slide titles of one seed deck, in order.

    KO: a slide starts at a top-level title line (unindented, one of ``KO_TITLES``), a bold paper title, the
    first line of the file or the closing line. ZH: a slide starts at a line indented by exactly one space.
    """
    lines = text.splitlines()
    titles = []
    for i, line in enumerate(lines):
        if deck == "KO":
            first = not any(x.strip() for x in lines[:i])
            if line.strip() and (
                first or line in KO_TITLES or line.startswith("**") or line.strip().startswith(KO_CLOSING)
            ):
                titles.append(line.strip().strip("*").strip())
        elif re.match(r"^ \S", line):
            titles.append(line.strip())
    return titles


def slide_rows() -> dict[str, list[str]]:
    """id -> table cells of every `| KO-nn | …` / `| ZH-nn | …` row of the slide map."""
    rows = {}
    for line in (DOCS / "slide_map.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*((?:KO|ZH)-\d\d)\s*\|", line)
        if m:
            assert m.group(1) not in rows, f"slide_map.md lists {m.group(1)} twice"
            rows[m.group(1)] = [c.strip() for c in line.strip().strip("|").split("|")]
    return rows


def cites_heading(known: list[tuple[str, str]], h2: str, h3: str) -> bool:
    """A cite names a heading by its start, so that a time marker appended to a heading keeps it valid."""
    if h3:
        return any(a.startswith(h2) and b.startswith(h3) for a, b in known)
    return any(a.startswith(h2) and not b for a, b in known)


def test_slide_map_rows_are_complete_and_cite_real_headings():
    rows = slide_rows()
    assert rows, "docs/slide_map.md has no slide rows"
    known = {lesson_of(p): headings(p) for p in SOURCES}
    for slide, cells in rows.items():
        assert len(cells) == 4, f"{slide}: expected | id | slide | taught in | notes |, got {cells}"
        cites = CITE.findall(cells[2])
        assert cites or cells[2].startswith("not reproduced"), f"{slide}: cite a lesson section or say 'not reproduced'"
        if cells[2].startswith("not reproduced"):
            assert len(cells[3]) > 20, f"{slide}: say why the slide is not reproduced offline"
        for lesson, h2, h3 in cites:
            assert cites_heading(known[lesson], h2.strip(), h3.strip()), (
                f"{slide}: {lesson} › {h2} {'› ' + h3 if h3 else ''} is not a heading of {lesson}"
            )


def test_slide_map_ids_are_contiguous():
    rows = slide_rows()
    for deck in DECKS:
        ids = sorted(int(s[3:]) for s in rows if s.startswith(deck))
        assert ids == list(range(1, len(ids) + 1)), f"{deck} slide ids must run 01, 02, … without gaps"


@pytest.mark.parametrize("deck", DECKS)
def test_slide_map_covers_every_slide_of_the_deck(deck):
    folder = seeds_dir()
    if folder is None:
        pytest.skip("the seed decks (../shared/seeds) are not beside this checkout; set MODGAP_SEEDS_DIR")
    slides = deck_slides(deck, (folder / DECKS[deck]).read_text(encoding="utf-8"))
    rows = {k: v for k, v in slide_rows().items() if k.startswith(deck)}
    assert len(rows) == len(slides), f"{deck}: the deck has {len(slides)} slides, the map {len(rows)}"
    for n, title in enumerate(slides, 1):
        cell = rows[f"{deck}-{n:02d}"][1]
        assert cell.startswith(title[:40]), f"{deck}-{n:02d}: the deck's slide is {title!r}, the map says {cell!r}"


def test_deck_parser_on_a_tiny_deck():
    ko = "\n\nTitle of talk\n\nSeminar Outline\n- a\n\nIntroduction\n\nSub\n Introduction indented\n**Paper**\n"
    assert deck_slides("KO", ko) == ["Title of talk", "Seminar Outline", "Introduction", "Paper"]
    zh = " A\ntext\n  two spaces\n B\n"
    assert deck_slides("ZH", zh) == ["A", "B"]


def test_question_parser_on_a_tiny_source(tmp_path):
    src = tmp_path / "09_x.py"
    src.write_text(
        "# %% [markdown]\n# ## 2. Two\n# **Question 2.1.** Why?\n# **Questions**\n#\n# 1. a\n# 2. b\n"
        "# ### Sub\n# 3. not a question\n# **Question.** And?\n"
        "# <details><summary>Answer</summary>\n# 1. inside an answer\n# </details>\n"
        "# ## Questions\n# 1. c\n# <details><summary>Question: d</summary>\n# 2. inside\n# </details>\n",
        encoding="utf-8",
    )
    assert discussion_questions(src) == [
        "Question 2.1",
        "§2 Question 1",
        "§2 Question 2",
        "§2 Question",
        "Question 1",
        "Question",
    ]


if __name__ == "__main__":  # print every key: current asset value beside what the docs say
    sys.path.insert(0, str(ROOT))
    stated = {key: value + pct for name in NUMBER_DOCS for key, value, pct in doc_numbers(name)}
    for key in ASSET_NUMBERS:
        print(f"{key:45s} {float(ASSET_NUMBERS[key]()):+.4f}   docs: {stated.get(key, '—')}")


HEDGES = ("whatever sign", "read the numbers", "printed line says what", "says whether", "whatever you get")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_no_hedges_on_deterministic_outputs(source):
    """Issue 13 §4: a lesson states what its deterministic output shows, it does not tell the reader to look."""
    text = "\n".join(markdown_lines(source)).lower()
    found = [h for h in HEDGES if h in text]
    assert not found, f"{source.name}: replace {found} by a statement bound to the printed numbers"
