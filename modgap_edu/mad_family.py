"""A family of small MAD CLIPs for "gap vs performance" (lesson 05, Sec. 3-4).

Course-sized version of Schrodi et al. 2025, Fig. 3 / Table 1 (many models, Kendall tau between
gap and performance) and Fig. 5a (MOAD). The paper's MAD models and training code are not
public, so the family is **our choice**: the lesson-04 recipe (``train.train_mad_clip``) with

* k in {1, 2, 3, 5} attributes in the training captions (the information imbalance),
* two capacities: "default" (embed 32, conv widths 32/64/128) and "small" (embed 8, 8/16/32),
* two training-set sizes for the default capacity at k = 1 and k = 5: 12,000 and 3,000 images.

``load_family()`` reads the shipped results (``assets/lesson05/family.json``, made by
``tools/precompute_lesson05.py``); ``train_member(spec)`` retrains one member and measures it.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

ASSET = Path(__file__).resolve().parent / "assets" / "lesson05" / "family.json"
CAPACITIES = {"default": {"embed_dim": 32, "widths": (32, 64, 128)},
              "small": {"embed_dim": 8, "widths": (8, 16, 32)}}


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


def train_member(spec: dict, seed: int = 0, progress: bool = False) -> dict:
    """Train one family member (seeded) and measure it on 2,000 MAD test images (lesson 05).

    Returns the record stored in ``family.json``: the spec, the model size and training time, and
    ``train.evaluate_mad``'s metrics plus MOAD with the official inter-class subset and L2I.
    """
    from . import mad, metrics, train
    from .towers import SmallCLIP

    import torch

    cap = CAPACITIES[spec["capacity"]]
    t0 = time.perf_counter()
    torch.manual_seed(seed)  # the initial weights depend on the seed only, not on what ran before
    init = SmallCLIP.build(len(train.mad_vocabulary()), embed_dim=cap["embed_dim"], widths=cap["widths"])
    model, _ = train.train_mad_clip(k=spec["k"], n_train=spec["n_train"], seed=seed, init=init,
                                    monitor=False, progress=progress)
    seconds = time.perf_counter() - t0
    ev = train.evaluate_mad(model, n=2000, seed=seed)
    ds = mad.MADDataset("test", k=5, n=2000, seed=seed, source=model.mad_config["source"], verbose=False)
    img, txt = train.embed_mad(model, ds)
    f = ds.factors
    official = {side: {a: metrics.moad(emb, f["digit"], f[a], exact_official=True) for a in mad.ATTRIBUTES}
                for side, emb in (("image", img), ("text", txt))}
    params = sum(p.numel() for p in model.parameters())
    keep = ("rmg", "l2m", "moad_image", "moad_text", "moad_image_attributes", "moad_text_attributes",
            "zero_shot_digit", "zero_shot_color", "zero_shot_attributes", "temperature")
    rec = {**spec, "seed": seed, "embed_dim": cap["embed_dim"], "widths": list(cap["widths"]), "parameters": params,
           "source": model.mad_config["source"], "train_seconds": round(seconds, 1)}
    rec.update({key: round(float(ev[key]), 5) for key in keep})
    rec["moad_image_official"] = round(official["image"]["colors"], 5)
    rec["moad_text_official"] = round(official["text"]["colors"], 5)
    rec["moad_image_attributes_official"] = round(float(np.mean(list(official["image"].values()))), 5)
    rec["moad_text_attributes_official"] = round(float(np.mean(list(official["text"].values()))), 5)
    rec["l2i"] = round(metrics.l2i(img, txt), 5)
    return rec




def load_family(path: str | Path | None = None) -> list[dict]:
    """The shipped family records (one dict per model), in ``members()`` order."""
    p = Path(path) if path is not None else ASSET
    if not p.is_file():
        raise ValueError(f"{p} is missing: run `.venv/bin/python tools/precompute_lesson05.py` to make it.")
    return json.loads(p.read_text())["models"]


def member(name: str) -> dict:
    """The spec of one family member by name (e.g. ``"k1-default-n3000"``)."""
    for m in members():
        if m["name"] == name:
            return m
    raise ValueError(f"no family member {name!r}; the members are {', '.join(m['name'] for m in members())}.")
