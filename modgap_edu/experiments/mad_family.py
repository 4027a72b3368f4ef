"""A family of small MAD CLIPs for "gap vs performance" (lesson 05, Sec. 3-4).

Course-sized version of Schrodi et al. 2025, Fig. 3 / Table 1 (many models, Kendall tau between
gap and performance) and Fig. 5a (MOAD). The paper's MAD models and training code are not
public, so the family is **our choice**: the lesson-04 recipe (``mad_clip.train_mad_clip``) with

* k in {1, 2, 3, 5} attributes in the training captions (the information imbalance),
* two capacities: "default" (embed 32, conv widths 32/64/128) and "small" (embed 8, 8/16/32),
* two training-set sizes for the default capacity at k = 1 and k = 5: 12,000 and 3,000 images.

``load_family()`` reads the shipped results (``assets/lesson05/family.json``, made by
``python -m modgap_edu.experiments.mad_family``); ``train_member(spec)`` retrains one member and measures it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from modgap_edu._runtime.threads import limited_threads
from modgap_edu.core import metrics
from modgap_edu.experiments import ASSETS
from modgap_edu.mad import dataset
from modgap_edu.models import mad_clip
from modgap_edu.models.towers import SmallCLIP

ASSET = ASSETS / "lesson05" / "family.json"
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
RECORD_EXTRAS = (
    "moad_image_official",
    "moad_text_official",
    "moad_image_attributes_official",
    "moad_text_attributes_official",
    "l2i",
    "parameters",
)
CAPACITIES = {"default": {"embed_dim": 32, "widths": (32, 64, 128)}, "small": {"embed_dim": 8, "widths": (8, 16, 32)}}


def members() -> list[dict]:
    """The family's specs: ``{"k", "capacity", "n_train", "name"}`` each."""
    out = []
    for cap in CAPACITIES:
        for k in (1, 2, 3, 5):
            out.append({"k": k, "capacity": cap, "n_train": 12000})
    for k in (1, 5):
        out.append({"k": k, "capacity": "default", "n_train": 3000})
    for m in out:
        m["name"] = f"k{m['k']}-{m['capacity']}-n{m['n_train']}"
    return out


def train_member(spec: dict, seed: int = 0, progress: bool = False, threads: int | None = None) -> dict:
    """Train one family member (seeded) and measure it on 2,000 MAD test images (lesson 05).

    Parameters
    ----------
    spec : dict
        One of ``members()`` (``k``, ``capacity``, ``n_train``, ``name``).
    seed : int
        The training seed; the initial weights depend on it only, not on what ran before.
    progress : bool
        Show the training progress bar.
    threads : int or None
        Threads for training and measuring (``_runtime.threads`` policy, 2, when ``None``): the same seed
        gives the same record on an idle and on a busy machine.

    Returns
    -------
    dict
        The record stored in ``family.json``: the spec, the model size and training time, and
        ``mad_clip.evaluate_mad``'s metrics plus MOAD with the official inter-class subset and L2I.
    """
    import torch

    cap = CAPACITIES[spec["capacity"]]
    with limited_threads(threads):
        t0 = time.perf_counter()
        torch.manual_seed(seed)  # the initial weights depend on the seed only, not on what ran before
        init = SmallCLIP.build(len(mad_clip.mad_vocabulary()), embed_dim=cap["embed_dim"], widths=cap["widths"])
        model, _ = mad_clip.train_mad_clip(
            k=spec["k"],
            n_train=spec["n_train"],
            seed=seed,
            init=init,
            monitor=False,
            progress=progress,
            threads=threads,
        )
        seconds = time.perf_counter() - t0
        ev = mad_clip.evaluate_mad(model, n=2000, seed=seed, threads=threads)
        ds = dataset.MADDataset("test", k=5, n=2000, seed=seed, source=model.mad_config["source"], verbose=False)
        img, txt = mad_clip.embed_mad(model, ds)
    return _record(spec, seed, cap, model, seconds, ev, ds, img, txt)


def _record(spec, seed, cap, model, seconds, ev, ds, img, txt) -> dict:
    f = ds.factors
    official = {
        side: {a: metrics.moad(emb, f["digit"], f[a], exact_official=True) for a in dataset.ATTRIBUTES}
        for side, emb in (("image", img), ("text", txt))
    }
    params = sum(p.numel() for p in model.parameters())
    rec = {
        **spec,
        "seed": seed,
        "embed_dim": cap["embed_dim"],
        "widths": list(cap["widths"]),
        "parameters": params,
        "source": model.mad_config["source"],
        "train_seconds": round(seconds, 1),
    }
    rec.update({key: round(float(ev[key]), 5) for key in METRICS})
    rec["moad_image_official"] = round(official["image"]["colors"], 5)
    rec["moad_text_official"] = round(official["text"]["colors"], 5)
    rec["moad_image_attributes_official"] = round(float(np.mean(list(official["image"].values()))), 5)
    rec["moad_text_attributes_official"] = round(float(np.mean(list(official["text"].values()))), 5)
    rec["l2i"] = round(metrics.l2i(img, txt), 5)
    return rec


def validate_family(doc: dict) -> None:
    """Check a family document: a ``models`` list of records, each a known member with finite metrics.

    Raises ValueError naming the first problem."""
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list) or not doc["models"]:
        raise ValueError("the family document has no 'models' list.")
    known = {m["name"]: m for m in members()}
    for rec in doc["models"]:
        name = rec.get("name") if isinstance(rec, dict) else None
        if name not in known:
            raise ValueError(f"unknown family member {name!r}; the members are {', '.join(known)}.")
        for key in ("k", "capacity", "n_train"):
            if rec.get(key) != known[name][key]:
                raise ValueError(f"member {name!r}: {key} is {rec.get(key)!r}, expected {known[name][key]!r}.")
        for key in METRICS + RECORD_EXTRAS:
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
    """The spec of one family member by name (e.g. ``"k1-default-n3000"``)."""
    for m in members():
        if m["name"] == name:
            return m
    raise ValueError(f"no family member {name!r}; the members are {', '.join(m['name'] for m in members())}.")


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

    set_seed(0)  # the same torch settings as the lesson's setup cell; threads: the fixed policy (train_member)
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
        "Metrics on 2,000 MAD test images with full-information captions.",
        "command": "python -m modgap_edu.experiments.mad_family",
        "modgap_edu": modgap_edu.__version__,
        "torch": torch.__version__,
        "models": [records[n] for n in order if n in records],
    }


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
