"""A family of small MAD CLIPs for "gap vs performance" (lesson 05, Sec. 4-5).

Course-sized version of Schrodi et al. 2025, Fig. 3 / Table 1 (many models, Kendall tau between
gap and performance, with model size, embedding size and dataset size as confounders) and Fig. 5a
(MOAD). The paper's MAD models and training code are not public, so the family is **our choice**:
the lesson-04 recipe (``mad_clip.train_mad_clip``) on a full factorial design,

* k in {1, 3, 5} attributes in the training captions (the information imbalance),
* width in {"small", "default"}: conv widths 8/16/32 or 32/64/128 (the model size),
* embed_dim in {8, 32} (the embedding size),
* n_train in {3000, 6000} training images (the dataset size; 5 epochs either way, so twice the steps),

3 x 2 x 2 x 2 = 24 members, so every confounder varies inside every group of equal other factors.
The family is trained with ``FAMILY_THREADS`` = 1 torch thread (the course's 2-core machines are shared
while the asset is made; one thread gives the same numbers whatever the load).

``load_family()`` reads the shipped results (``assets/lesson05/family.json``, made by
``python -m modgap_edu.experiments.mad_family``); ``train_member(spec)`` retrains one member and measures it;
``controlled_taus`` and ``data_size_pairs`` are the readers behind lesson 05's Sec. 5 tables.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from modgap_edu._runtime.memory import release_memory
from modgap_edu._runtime.threads import limited_threads
from modgap_edu.core import metrics, rank_statistics
from modgap_edu.experiments import ASSETS
from modgap_edu.mad import dataset
from modgap_edu.models import mad_clip
from modgap_edu.models.towers import SmallCLIP

ASSET = ASSETS / "lesson05" / "family.json"
FAMILY_THREADS = 1
METRICS = (
    "rmg",
    "l2m",
    "moad_image",
    "moad_text",
    "moad_image_attributes",
    "moad_text_attributes",
    "zero_shot_digit",
    "zero_shot_color",
    "zero_shot_attributes",
    "temperature",
)
#: lesson 04's mechanism keys of ``mad_clip.evaluate_mad``, recorded too
MECHANISM = ("alignment", "uniformity_image", "uniformity_text", "top2_gap_share", "accuracy_all")
RECORD_EXTRAS = (
    "moad_image_official",
    "moad_text_official",
    "moad_image_attributes_official",
    "moad_text_attributes_official",
    "l2i",
    "parameters",
)
WIDTHS = {"small": (8, 16, 32), "default": (32, 64, 128)}
KS = (1, 3, 5)
EMBED_DIMS = (8, 32)
N_TRAINS = (3000, 6000)
#: the confounders of Schrodi et al.'s Table 1, as the family's spec keys
CONFOUNDERS = {"model size (width)": "width", "embedding size": "embed_dim", "dataset size": "n_train"}
LIVE_MEMBER = "k1-small-e32-n3000"


def member_name(k: int, width: str, embed_dim: int, n_train: int) -> str:
    """The family's name of one design point, e.g. ``"k1-default-e32-n3000"``."""
    return f"k{k}-{width}-e{embed_dim}-n{n_train}"


def members() -> list[dict]:
    """The family's specs, ``{"k", "width", "embed_dim", "n_train", "name"}`` each, cheapest first."""
    out = []
    for n_train, width, embed_dim, k in itertools.product(N_TRAINS, WIDTHS, EMBED_DIMS, KS):
        spec = {"k": k, "width": width, "embed_dim": embed_dim, "n_train": n_train}
        out.append({**spec, "name": member_name(**spec)})
    return out


def train_member(spec: dict, seed: int = 0, progress: bool = False, threads: int | None = None) -> dict:
    """Train one family member (seeded) and measure it on 2,000 MAD test images (lesson 05).

    Parameters
    ----------
    spec : dict
        One of ``members()`` (``k``, ``width``, ``embed_dim``, ``n_train``, ``name``).
    seed : int
        The training seed; the initial weights depend on it only, not on what ran before.
    progress : bool
        Show the training progress bar.
    threads : int or None
        torch threads for training and measuring; ``None``: ``FAMILY_THREADS`` (1), the count the shipped
        family was made with, so the same seed reproduces a shipped record on an idle and on a busy machine.

    Returns
    -------
    dict
        The record stored in ``family.json``: the spec, the model size and training time, and
        ``mad_clip.evaluate_mad``'s metrics plus MOAD with the official inter-class subset and L2I.
    """
    import torch

    spec = member(spec.get("name") if isinstance(spec, dict) else spec)
    threads = FAMILY_THREADS if threads is None else threads
    with limited_threads(threads):
        t0 = time.perf_counter()
        torch.manual_seed(seed)  # the initial weights depend on the seed only, not on what ran before
        init = SmallCLIP.build(
            len(mad_clip.mad_vocabulary()), embed_dim=spec["embed_dim"], widths=WIDTHS[spec["width"]]
        )
        model, _ = mad_clip.train_mad_clip(
            k=spec["k"],
            n_train=spec["n_train"],
            seed=seed,
            init=init,
            monitor=False,
            progress=progress,
            threads=threads,
        )
        del init
        seconds = time.perf_counter() - t0
        ev = mad_clip.evaluate_mad(model, n=2000, seed=seed, threads=threads)
        ds = dataset.MADDataset("test", k=5, n=2000, seed=seed, source=model.mad_config["source"], verbose=False)
        img, txt = mad_clip.embed_mad(model, ds)
        factors = ds.factors
        del ds
    rec = _record(spec, seed, model, seconds, ev, factors, img, txt)
    del model
    release_memory()  # the kernel keeps going after the live retrain (Binder's 1 GB)
    return rec


def _record(spec, seed, model, seconds, ev, f, img, txt) -> dict:
    official = {
        side: {a: metrics.moad(emb, f["digit"], f[a], exact_official=True) for a in dataset.ATTRIBUTES}
        for side, emb in (("image", img), ("text", txt))
    }
    rec = {
        **spec,
        "seed": seed,
        "widths": list(WIDTHS[spec["width"]]),
        "parameters": sum(p.numel() for p in model.parameters()),
        "source": model.mad_config["source"],
        "threads": FAMILY_THREADS,
        "train_seconds": round(seconds, 1),
    }
    rec.update({key: round(float(ev[key]), 5) for key in METRICS + MECHANISM})
    rec["moad_image_official"] = round(official["image"]["colors"], 5)
    rec["moad_text_official"] = round(official["text"]["colors"], 5)
    rec["moad_image_attributes_official"] = round(float(np.mean(list(official["image"].values()))), 5)
    rec["moad_text_attributes_official"] = round(float(np.mean(list(official["text"].values()))), 5)
    rec["l2i"] = round(metrics.l2i(img, txt), 5)
    return rec


def validate_family(doc: dict) -> None:
    """Check a family document: a ``models`` list of records, each a known member with finite metrics.

    Parameters
    ----------
    doc : dict
        The parsed ``family.json``.

    Returns
    -------
    None
        Raises ValueError naming the first problem.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list) or not doc["models"]:
        raise ValueError("the family document has no 'models' list.")
    known = {m["name"]: m for m in members()}
    for rec in doc["models"]:
        name = rec.get("name") if isinstance(rec, dict) else None
        if name not in known:
            raise ValueError(f"unknown family member {name!r}; the members are {', '.join(known)}.")
        for key in ("k", "width", "embed_dim", "n_train"):
            if rec.get(key) != known[name][key]:
                raise ValueError(f"member {name!r}: {key} is {rec.get(key)!r}, expected {known[name][key]!r}.")
        for key in METRICS + MECHANISM + RECORD_EXTRAS:
            v = rec.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise ValueError(f"member {name!r}: {key} is missing or not a finite number ({v!r}).")


def load_family(path: str | Path | None = None, validate: bool = True) -> list[dict]:
    """The shipped family records (one dict per model), in ``members()`` order.

    Parameters
    ----------
    path : str, Path or None
        The JSON file; default the shipped ``assets/lesson05/family.json``.
    validate : bool
        Check the file with ``validate_family``.

    Returns
    -------
    list of dict
        One record per trained member (see ``train_member``).
    """
    p = Path(path) if path is not None else ASSET
    if not p.is_file():
        raise ValueError(f"{p} is missing: run `python -m modgap_edu.experiments.mad_family` to make it.")
    try:
        doc = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p} is not valid JSON ({exc}): run `python -m modgap_edu.experiments.mad_family`.") from None
    if validate:
        validate_family(doc)
    return doc["models"]


def member(name: str) -> dict:
    """The spec of one family member by name (e.g. ``"k1-small-e32-n3000"``).

    Parameters
    ----------
    name : str
        A name from ``members()``.

    Returns
    -------
    dict
        A copy of that member's spec.
    """
    for m in members():
        if m["name"] == name:
            return m
    raise ValueError(f"no family member {name!r}; the members are {', '.join(m['name'] for m in members())}.")


def _setting(rec: dict, keys: Sequence[str]) -> str:
    """A group label from the spec keys, e.g. ``"width=small, n_train=3000"``."""
    return ", ".join(f"{key}={rec[key]}" for key in keys)


def _numeric(rec: dict, key: str) -> float:
    """A confounder as a number (the width as its first conv width), for the partial tau."""
    return float(WIDTHS[rec[key]][0] if key == "width" else rec[key])


def _check_records(records: Any, *keys: str) -> list[dict]:
    if not isinstance(records, (list, tuple)) or len(records) < 3:
        raise ValueError("records must be a list of at least 3 family records (see load_family).")
    need = keys + tuple(CONFOUNDERS.values()) + ("k",)
    for rec in records:
        missing = [key for key in need if key not in rec] if isinstance(rec, dict) else list(need)
        if missing:
            raise ValueError(f"every record needs the keys {', '.join(missing)}: use load_family()'s records.")
    return list(records)


def controlled_taus(
    records: Sequence[dict],
    gap: str = "rmg",
    performance: str = "zero_shot_attributes",
    n_resamples: int = 9999,
    seed: int = 0,
) -> list[dict]:
    """Kendall tau(gap, performance) over the family, raw and with each confounder controlled (lesson 05 Sec. 5).

    Schrodi et al. 2025 Fig. 3 / Table 1 and ``gap_conditioning_on_data.py`` (per-group plain tau, papers.md
    Sec. 3.4). "Controlled for C" means: the models are grouped by equal values of C, and only pairs of models
    in the same group are compared (``rank_statistics.kendall_within_groups``: the pooled within-group tau-b and a
    stratified permutation test, ours; and the plain tau per group, as the official script prints it), beside
    Kendall's partial tau given C (``rank_statistics.partial_kendall``, ours; the width enters as its first
    conv width). Rows, in order: no control; each
    of ``CONFOUNDERS``; all three confounders at once (what is left to vary is k); k alone.

    Parameters
    ----------
    records : list of dict
        Family records (``load_family()``), at least 3.
    gap, performance : str
        The record keys of the gap metric and of the performance score.
    n_resamples, seed : int
        Permutations of every test, and their seed.

    Returns
    -------
    list of dict
        One row per control: ``control`` (a label), ``keys`` (the spec keys held fixed), ``tau``, ``p`` (the
        permutation p-value), ``partial`` (partial tau for one confounder, else None), ``per_group`` and
        ``group_sizes`` (empty for no control), ``n_pairs``.
    """
    recs = _check_records(records, gap, performance)
    x = np.array([r[gap] for r in recs], dtype=float)
    y = np.array([r[performance] for r in recs], dtype=float)
    raw = rank_statistics.kendall_with_permutation(x, y, n_resamples=n_resamples, seed=seed)
    n = len(recs)
    rows = [
        {"control": "none (raw)", "keys": (), "tau": raw["tau"], "p": raw["p_permutation"], "partial": None}
        | {"per_group": {}, "group_sizes": {}, "n_pairs": n * (n - 1) // 2}
    ]
    controls = [(label, (key,)) for label, key in CONFOUNDERS.items()]
    controls += [("all three confounders", tuple(CONFOUNDERS.values())), ("k (imbalance)", ("k",))]
    for label, keys in controls:
        within = rank_statistics.kendall_within_groups(
            x, y, [_setting(r, keys) for r in recs], n_resamples=n_resamples, seed=seed
        )
        partial = None
        if len(keys) == 1:
            z = np.array([_numeric(r, keys[0]) for r in recs], dtype=float)
            try:
                partial = rank_statistics.partial_kendall(x, y, z)
            except ValueError:
                partial = float("nan")  # the confounder ranks gap or performance perfectly
        rows.append(
            {"control": label, "keys": keys, "tau": within["tau_pooled"], "p": within["p_permutation"]}
            | {"partial": partial, "per_group": within["per_group"], "group_sizes": within["group_sizes"]}
            | {"n_pairs": within["n_pairs"]}
        )
    return rows


def data_size_pairs(records: Sequence[dict], key: str = "moad_image") -> list[dict]:
    """The members that differ only in the training-set size, side by side (lesson 05 Sec. 5; the seminar
    deck's "larger datasets, smaller MOAD", Schrodi et al. 2025 Fig. 5a).

    Parameters
    ----------
    records : list of dict
        Family records (``load_family()``).
    key : str
        The record key to compare, e.g. ``"moad_image"``.

    Returns
    -------
    list of dict
        One row per design point (k, width, embed_dim) present with both sizes: ``setting``, ``small_n``,
        ``large_n``, ``small`` and ``large`` (the two values of ``key``) and ``change`` (large - small).
    """
    recs = _check_records(records, key)
    sizes = sorted({r["n_train"] for r in recs})
    if len(sizes) < 2:
        raise ValueError("the records hold a single training-set size: nothing to compare.")
    lo, hi = sizes[0], sizes[-1]
    fixed = ("k", "width", "embed_dim")
    by = {(_setting(r, fixed), r["n_train"]): r[key] for r in recs}
    rows = []
    for setting in dict.fromkeys(_setting(r, fixed) for r in recs):
        if (setting, lo) in by and (setting, hi) in by:
            a, b = float(by[(setting, lo)]), float(by[(setting, hi)])
            rows.append({"setting": setting, "small_n": lo, "large_n": hi, "small": a, "large": b, "change": b - a})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Lesson 05: ``python -m modgap_edu.experiments.mad_family``, (re)train the family into ``family.json``."""
    parser = argparse.ArgumentParser(
        description="Precompute lesson 05's family of small MAD CLIPs into assets/lesson05/family.json."
    )
    parser.add_argument("--only", nargs="*", help="member names to (re)compute; others are kept from the file")
    parser.add_argument("--out", default=str(ASSET))
    args = parser.parse_args(argv)
    for name in args.only or ():
        member(name)  # a clear error for an unknown name, before any training
    from modgap_edu._runtime.seeding import set_seed

    set_seed(0)  # the same torch settings as the lesson's setup cell; threads: FAMILY_THREADS (train_member)
    out = Path(args.out)
    records = {}
    if out.exists():
        records = {r["name"]: r for r in json.loads(out.read_text())["models"]}
    for spec in members():
        if args.only and spec["name"] not in args.only:
            continue
        rec = train_member(spec)
        records[spec["name"]] = rec
        print(json.dumps(rec), flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(_document(records), indent=1) + "\n")
    return 0


def _document(records: dict) -> dict:
    import torch

    import modgap_edu

    order = [m["name"] for m in members()]
    return {
        "about": "Lesson 05 family of small MAD CLIPs (our recipe, see modgap_edu/experiments/mad_family.py). "
        "Metrics on 2,000 MAD test images with full-information captions; design: k x width x embed_dim x n_train.",
        "threads": FAMILY_THREADS,
        "command": "python -m modgap_edu.experiments.mad_family",
        "modgap_edu": modgap_edu.__version__,
        "torch": torch.__version__,
        "models": [records[n] for n in order if n in records],
    }


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
