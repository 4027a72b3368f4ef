"""The lesson-04 sweep on MAD: precomputed once, shipped as JSON, plotted instantly (lesson 04 §3-§6).

Reproduce the shipped file (37 runs of 20-35 CPU-s each, one torch thread, about 20 minutes of wall time;
results are written after every run)::

    make mad-sweep                                                               # = the line below
    MODGAP_THREADS=1 python -m modgap_edu.experiments.mad_sweep                  # all parts, seeds 0 1 2
    MODGAP_THREADS=1 python -m modgap_edu.experiments.mad_sweep --out /tmp/s.json  # somewhere else

The shipped file was made with one thread (every run records ``torch_threads``); the thread count is part
of the recipe, because a different count changes the sums inside the matrix products and so the 3rd-4th
digit of a trained model's numbers.

Parts, in the order they run (so a partial file is already useful):

* ``sweep``: ``train_mad_clip(k)`` for k in {object only, 1, 2, 3, 4, 5} x seeds, each evaluated
  with ``evaluate_mad`` (test split, full-information captions);
* ``presence``: ``main_object="colors"`` (the colour word is always in the caption) at k = 1 --
  Schrodi et al.'s "caption presence" experiment;
* ``finetune``: the k = 5 model of each seed fine-tuned on k = 1 captions with a learnable vs a frozen
  temperature (the paper's CC12M "quarter captions" experiment, MAD-sized);
* ``temperature``: frozen temperatures tau in {0.01, 0.03, 0.1, 0.3} at k = 1 and k = 5 (seed 0), for
  the temperature slider;
* ``large_gap_init``: k = 5 and object-only captions from a large-gap start (``text_offset=LARGE_GAP_OFFSET``,
  ``mad_clip.offset_towers``; seed 0) -- the deck's "a large gap at initialisation can be closed when
  there is no imbalance".

Every run records the ``evaluate_mad`` scalars (``SCALARS``, including the mechanism: alignment, uniformity,
top-2 gap share, accuracy over all factors). The seed-0 sweep runs at ``PROBE_MODES`` and the
``large_gap_init`` runs also carry ``mechanism_history``: ``mad_clip.mechanism_probe`` at epochs 0 (the
untrained model) to 5 (loss split into matched and log-sum-exp terms on a fixed training batch set;
alignment, uniformity, RMG, L2M on the test split).

``load_sweep()`` reads and validates the shipped file, including the direction of the effect
(more imbalance -> larger RMG and larger image-side MOAD, in every seed).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from modgap_edu._runtime.threads import training_threads
from modgap_edu.experiments import ASSETS, read_json_asset
from modgap_edu.models import mad_clip

MODES: tuple = (None, 1, 2, 3, 4, 5)
SEEDS = (0, 1, 2)
TEMPERATURES = (0.01, 0.03, 0.1, 0.3)
PARTS = ("sweep", "presence", "finetune", "temperature", "large_gap_init")
PROBE_MODES: tuple = (None, 1, 3, 5)  # seed-0 sweep runs with a per-epoch mechanism history
LARGE_GAP_OFFSET = 2.0  # about 3x the untrained towers' output norm (text: 0.64)
FINETUNE_EPOCHS = 4
FINETUNE_LR = 5e-4
FINETUNE_TEMPERATURE_LR_SCALE = 20.0  # lets a learnable tau move within 4 short epochs
SCALARS = (
    "rmg",
    "l2m",
    "moad_image",
    "moad_text",
    "moad_image_attributes",
    "moad_text_attributes",
    "zero_shot_digit",
    "zero_shot_color",
    "zero_shot_attributes",
    "zero_shot_digit_full",
    "zero_shot_color_full",
    "temperature",
)
MECHANISM_SCALARS = ("alignment", "uniformity_image", "uniformity_text", "top2_gap_share", "accuracy_all")
SCALARS = SCALARS + MECHANISM_SCALARS
PROBE_KEYS = (
    "epoch",
    "loss_matched",
    "loss_logsumexp",
    "loss_total",
    "train_alignment",
    "rmg",
    "l2m",
    "alignment",
    "uniformity_image",
    "uniformity_text",
    "top2_gap_share",
)
ASSET = "sweep.json"


def mode_name(k: int | None) -> str:
    return "object only" if k is None else f"k={k}"


def asset_path() -> Path:
    return Path(str(resources.files("modgap_edu") / "assets" / "mad" / ASSET))


def _round(x: Any, nd: int = 4) -> Any:
    if isinstance(x, float):
        return round(x, nd)
    if isinstance(x, dict):
        return {k: _round(v, nd) for k, v in x.items()}
    if isinstance(x, list):
        return [_round(v, nd) for v in x]
    return x


def _run(kind: str, probe: bool = False, **kwargs) -> tuple[dict, "mad_clip.SmallCLIP"]:
    """One sweep run: ``train_mad_clip(**kwargs)``, then ``evaluate_mad``; returns (record, model).
    ``probe``: also record the per-epoch ``mechanism_history`` (``mad_clip.mechanism_probe``)."""
    if probe:
        kwargs["probe"] = mad_clip.mechanism_probe(
            k=kwargs.get("k"), main_object=kwargs.get("main_object", "digit"), seed=kwargs.get("seed", 0)
        )
    t0, c0 = time.perf_counter(), time.process_time()
    model, history = mad_clip.train_mad_clip(progress=False, **kwargs)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    mech = None
    if probe:
        mech = [{key: h[key] for key in PROBE_KEYS} for h in history]
        only = set(PROBE_KEYS) - {"epoch", "rmg", "l2m"}  # rmg and l2m are the monitor's too (the same numbers)
        history = [{key: v for key, v in h.items() if key not in only} for h in history[1:]]
    ev = mad_clip.evaluate_mad(model)
    rec = {
        "kind": kind,
        "k": kwargs.get("k"),
        "main_object": kwargs.get("main_object", "digit"),
        "seed": kwargs.get("seed", 0),
        "learnable_temperature": kwargs.get("learnable_temperature", True),
        "train_seconds": seconds,
        "train_cpu_seconds": cpu,
        "torch_threads": training_threads(kwargs.get("threads")),
        **{s: ev[s] for s in SCALARS},
        "moad_image_by_factor": ev["moad_image_by_factor"],
        "zero_shot_by_factor": ev["zero_shot_by_factor"],
        "history": [dict(h) for h in history],
    }
    if mech is not None:
        rec["mechanism_history"] = mech
    if kwargs.get("text_offset"):
        rec["text_offset"] = kwargs["text_offset"]
    return rec, model


def run(out: Path, seeds=SEEDS, parts=PARTS, log=print) -> dict:
    """Run the sweep, writing ``out`` after every run. Returns the data dict."""
    from modgap_edu.mad import dataset

    data = {
        "version": 1,
        "command": "python -m modgap_edu.experiments.mad_sweep",
        "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "defaults": mad_clip.MAD_DEFAULTS,
        "finetune": {
            "epochs": FINETUNE_EPOCHS,
            "lr": FINETUNE_LR,
            "k": 1,
            "from_k": 5,
            "temperature_lr_scale": FINETUNE_TEMPERATURE_LR_SCALE,
        },
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "base_digits": None,
        "runs": [],
    }

    def save(rec):
        data["runs"].append(_round(rec))
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")))
        tmp.replace(out)
        log(
            f"[{len(data['runs'])}] {rec['kind']} {mode_name(rec['k'])} {rec['main_object']} seed={rec['seed']} "
            f"learnable={rec['learnable_temperature']}: rmg={rec['rmg']:.3f} moad_img={rec['moad_image']:.3f} "
            f"zs_digit={rec['zero_shot_digit']:.3f} zs_col={rec['zero_shot_color']:.3f} "
            f"tau={rec['temperature']:.4f} ({rec['train_seconds']:.0f} s, {rec['train_cpu_seconds']:.0f} CPU-s)"
        )

    data["base_digits"] = dataset.MADDataset("test", n=mad_clip.MAD_DEFAULTS["n_monitor"], verbose=False).source
    for seed in seeds:
        k5 = None
        if "sweep" in parts:
            for k in MODES:
                rec, model = _run("sweep", probe=seed == 0 and k in PROBE_MODES, k=k, seed=seed)
                save(rec)
                if k == 5:
                    k5 = model
        if "presence" in parts:
            rec, _ = _run("presence", k=1, main_object="colors", seed=seed)
            save(rec)
        if "finetune" in parts:
            if k5 is None:  # --parts finetune alone: train the k = 5 starting point (not saved as a sweep run)
                log(f"finetune needs the k = 5 model of seed {seed}: training it first")
                _, k5 = _run("sweep", k=5, seed=seed)
            before = mad_clip.evaluate_mad(k5)
            for learnable in (True, False):
                rec, _ = _run(
                    "finetune",
                    k=1,
                    seed=seed,
                    init=k5,
                    learnable_temperature=learnable,
                    epochs=FINETUNE_EPOCHS,
                    lr=FINETUNE_LR,
                    temperature_lr_scale=FINETUNE_TEMPERATURE_LR_SCALE,
                )
                rec["start"] = {s: before[s] for s in SCALARS}
                save(rec)
        if "temperature" in parts and seed == seeds[0]:
            for k in (1, 5):
                for tau in TEMPERATURES:
                    rec, _ = _run("temperature", k=k, seed=seed, temperature=tau, learnable_temperature=False)
                    rec["fixed_temperature"] = tau
                    save(rec)
        if "large_gap_init" in parts and seed == seeds[0]:
            for k in (5, None):
                rec, _ = _run("large_gap_init", probe=True, k=k, seed=seed, text_offset=LARGE_GAP_OFFSET)
                save(rec)
    return data


def keep_parts(data: dict, previous: dict, parts=PARTS) -> dict:
    """Add to ``data`` the runs of ``previous`` whose kind is not among the ``parts`` just run, each marked
    ``kept_from`` (the previous file's ``created``): a partial regeneration stays one complete file. Kept runs
    may predate ``MECHANISM_SCALARS``; ``validate_sweep`` then checks only the older scalars for them."""
    stamp = previous.get("created", "unknown")
    kept = [dict(r, kept_from=stamp) for r in previous["runs"] if r["kind"] not in parts]
    data["runs"].extend(kept)
    data["kept"] = {"from": stamp, "kinds": sorted({r["kind"] for r in kept})}
    return data


# ---------------------------------------------------------------- reading


def load_sweep(path: str | Path | None = None, validate: bool = True) -> dict:
    """The shipped sweep (``assets/mad/sweep.json``) or ``path``; validated unless ``validate=False``."""
    data = read_json_asset(asset_path() if path is None else Path(path), "mad_sweep")
    if validate:
        validate_sweep(data)
    return data


def runs(data: dict, kind: str = "sweep", **match) -> list[dict]:
    out = [r for r in data["runs"] if r["kind"] == kind]
    for key, value in match.items():
        out = [r for r in out if r.get(key) == value]
    return out


def table(data: dict, metric: str, kind: str = "sweep") -> dict:
    """{mode: (mean, std, n)} of ``metric`` over seeds, for every k in ``MODES`` present."""
    out = {}
    for k in MODES:
        vals = [r[metric] for r in runs(data, kind, k=k, main_object="digit")]
        if vals:
            out[k] = (float(np.mean(vals)), float(np.std(vals)), len(vals))
    return out


def validate_sweep(data: dict) -> None:
    """Structure checks and the direction of the two effects, seed by seed:
    RMG(k=1) > RMG(k=5) and MOAD_image(k=1) > MOAD_image(k=5); object only > k=5 for MOAD_image."""
    if not isinstance(data, dict) or "runs" not in data or not data["runs"]:
        raise ValueError("sweep data has no runs.")
    for r in data["runs"]:
        scalars = [s for s in SCALARS if "kept_from" not in r or s not in MECHANISM_SCALARS]
        for key in ("kind", "k", "seed", *scalars, "history"):
            if key not in r:
                raise ValueError(f"a sweep run lacks {key!r}: {str(r)[:120]}")
        for key in scalars:
            if not np.isfinite(r[key]):
                raise ValueError(f"run {r['kind']} k={r['k']} seed={r['seed']}: {key} is not finite.")
        for h in r.get("mechanism_history", []):
            missing = [key for key in PROBE_KEYS if key not in h or not np.isfinite(h[key])]
            if missing:
                raise ValueError(f"run {r['kind']} k={r['k']} seed={r['seed']}: mechanism_history lacks {missing}.")
    threads = {r.get("torch_threads") for r in data["runs"]}
    if len(threads) > 1:
        raise ValueError(f"the sweep mixes runs made with different torch thread counts {sorted(map(str, threads))}.")
    sweep = runs(data, "sweep", main_object="digit")
    by = {(r["k"], r["seed"]): r for r in sweep}
    for seed in sorted({r["seed"] for r in sweep}):
        for hi, lo in ((1, 5), (None, 5)):
            if (hi, seed) in by and (lo, seed) in by:
                a, b = by[(hi, seed)], by[(lo, seed)]
                if not a["moad_image"] > b["moad_image"]:
                    raise ValueError(
                        f"seed {seed}: MOAD_image({mode_name(hi)}) = {a['moad_image']:.3f} is not above "
                        f"MOAD_image(k=5) = {b['moad_image']:.3f}."
                    )
                if hi == 1 and not a["rmg"] > b["rmg"]:
                    raise ValueError(f"seed {seed}: RMG(k=1) = {a['rmg']:.3f} is not above RMG(k=5) = {b['rmg']:.3f}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="output JSON (default: the package asset)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    parser.add_argument(
        "--keep-from", type=Path, default=None, help="copy the runs of the parts not run from this sweep file"
    )
    args = parser.parse_args(argv)
    out = args.out or ASSETS / "mad" / ASSET
    previous = load_sweep(args.keep_from, validate=False) if args.keep_from else None
    data = run(out, seeds=tuple(args.seeds), parts=tuple(args.parts), log=lambda s: print(s, flush=True))
    if previous is not None:
        keep_parts(data, previous, tuple(args.parts))
        out.write_text(json.dumps(data, separators=(",", ":")))
    validate_sweep(data)
    print(f"wrote {out} ({out.stat().st_size / 1024:.1f} KB); direction checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
