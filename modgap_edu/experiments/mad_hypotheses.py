"""Why does digit accuracy fall as MAD captions get richer? The lesson-04 hypotheses, run (lesson 04 §3b-§3c).

Schrodi et al. (2025) report that less information imbalance gives better performance; the course's
sweep (``mad_sweep``) finds colour and attribute zero-shot accuracy rising with k but *digit* accuracy
falling. This producer runs the explanations lesson 04 proposes as real training runs, seeds 0 1 2:

* ``baseline``: the lesson recipe (``mad_clip.MAD_DEFAULTS``), evaluated four ways: the digit word as the
  prompt, the full-caption prompt ensemble ("ideal words"), a linear probe on the image embeddings
  (is the digit still *in* the image embedding?), and MOAD computed three ways (course digit-vs-colour,
  per-factor mean, official multi-hot, ``mad.moad``);
* ``longer``: ``LONGER_EPOCHS`` epochs instead of 5 (is the digit simply learned later?);
* ``batch``: batch ``BIG_BATCH`` (more attribute collisions in a batch, so the digit is needed to tell
  captions apart), learning rate x2.

The changed recipes run at k = 1 and k = 5 (``HYPOTHESIS_MODES``), the baseline at all four k.
Run (24 runs of 80-200 s with one thread on a busy 2-core machine, about 50 minutes; results are
written after every run, seed by seed; ``--resume`` keeps the runs already in the file)::

    MODGAP_THREADS=1 python -m modgap_edu.experiments.mad_hypotheses
    python -m modgap_edu.experiments.mad_hypotheses --parts baseline --seeds 0 --out /tmp/h.json

``load_hypotheses()`` reads and checks the shipped ``assets/lesson04/hypotheses.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from modgap_edu._runtime.threads import training_threads
from modgap_edu.experiments import ASSETS, read_json_asset

MODES: tuple = (None, 1, 3, 5)
HYPOTHESIS_MODES: tuple = (1, 5)  # the changed recipes: k = 1 and k = 5, where the digit accuracy falls (compute)
SEEDS = (0, 1, 2)
LONGER_EPOCHS = 10
BIG_BATCH = 1024
BIG_BATCH_LR = 4e-3
HYPOTHESES = {
    "baseline": {},
    "longer": {"epochs": LONGER_EPOCHS},
    "batch": {"batch_size": BIG_BATCH, "lr": BIG_BATCH_LR},
}
PARTS = ("baseline", "longer", "batch")  # the order they run in, per seed
ASSET = Path("lesson04") / "hypotheses.json"
N_TEST = 2000
#: scalar keys of ``evaluate_mad`` copied into every record when present (the mad04a keys included)
EVAL_KEYS = (
    "rmg",
    "l2m",
    "moad_image",
    "moad_text",
    "moad_image_attributes",
    "moad_text_attributes",
    "zero_shot_digit",
    "zero_shot_digit_full",
    "zero_shot_color",
    "zero_shot_attributes",
    "temperature",
    "alignment",
    "uniformity_image",
    "uniformity_text",
    "top2_gap_share",
    "accuracy_all",
)
REQUIRED = ("accuracy_all", "zero_shot_digit", "zero_shot_digit_full", "probe_digit", "moad_image_official")


def asset_path() -> Path:
    return ASSETS / ASSET


def mode_name(k: int | None) -> str:
    return "object only" if k is None else f"k={k}"


def linear_probe(emb: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """Held-out accuracy of a logistic-regression probe on embeddings (first half fits, second half scores)."""
    from sklearn.linear_model import LogisticRegression

    half = len(labels) // 2
    clf = LogisticRegression(max_iter=2000, random_state=seed)
    clf.fit(emb[:half], labels[:half])
    return float(clf.score(emb[half:], labels[half:]))


def evaluate(model) -> dict[str, Any]:
    """Everything lesson 04 §3c reads from one model: ``evaluate_mad`` plus probes, full-caption ensembles per
    factor and the three MOAD variants, on the same 2,000 test images."""
    from modgap_edu.core import metrics
    from modgap_edu.mad import dataset
    from modgap_edu.mad.moad import official_moad_multihot
    from modgap_edu.models import mad_clip

    ev = mad_clip.evaluate_mad(model, n=N_TEST)
    ds = dataset.MADDataset("test", k=5, n=N_TEST, seed=0, source=model.mad_config["source"], verbose=False)
    img, txt = mad_clip.embed_mad(model, ds)
    f = ds.factors
    att = dataset.attribute_matrix(f)
    zs = dict(ev["zero_shot_by_factor"])
    zs_full = {a: mad_clip.zero_shot_full(model, img, f[a], a) for a in dataset.FACTORS}
    rec = {key: float(ev[key]) for key in EVAL_KEYS if key in ev}
    rec.setdefault("accuracy_all", float(np.mean([zs[a] for a in dataset.FACTORS])))
    rec.update(
        {
            "accuracy_all_full": float(np.mean(list(zs_full.values()))),
            "zero_shot_by_factor": zs,
            "zero_shot_full_by_factor": zs_full,
            "probe_by_factor": {a: linear_probe(img, f[a]) for a in dataset.FACTORS},
            "moad_image_official": official_moad_multihot(img, f["digit"], att),
            "moad_text_official": official_moad_multihot(txt, f["digit"], att),
            "moad_image_by_factor_official": {
                a: metrics.moad(img, f["digit"], f[a], exact_official=True) for a in dataset.ATTRIBUTES
            },
            "moad_image_by_factor": ev["moad_image_by_factor"],
        }
    )
    rec["probe_digit"] = rec["probe_by_factor"]["digit"]
    return rec


def _round(x: Any, nd: int = 4) -> Any:
    if isinstance(x, float):
        return round(x, nd)
    if isinstance(x, dict):
        return {k: _round(v, nd) for k, v in x.items()}
    if isinstance(x, list):
        return [_round(v, nd) for v in x]
    return x


def _train(**kwargs):
    from modgap_edu.models import mad_clip

    t0, c0 = time.perf_counter(), time.process_time()
    model, history = mad_clip.train_mad_clip(progress=False, monitor=False, **kwargs)
    return model, history, time.perf_counter() - t0, time.process_time() - c0


def _record(part: str, k, seed: int, model, history, seconds: float, cpu: float, **extra) -> dict:
    return {
        "part": part,
        "k": k,
        "seed": seed,
        "train_seconds": seconds,
        "train_cpu_seconds": cpu,
        "torch_threads": training_threads(None),
        **extra,
        **evaluate(model),
        "history": [{key: h[key] for key in ("epoch", "loss", "temperature", "entropy") if key in h} for h in history],
    }


def schedule(parts=PARTS) -> list[tuple[str, Any]]:
    """The (part, k) runs of one seed, in running order: every part at ``HYPOTHESIS_MODES`` first, then the
    baseline's other k."""
    first = [(p, k) for p in PARTS if p in parts for k in HYPOTHESIS_MODES]
    rest = [("baseline", k) for k in MODES if k not in HYPOTHESIS_MODES and "baseline" in parts]
    return first + rest


def run(out: Path, seeds=SEEDS, parts=PARTS, log=print, resume: bool = False) -> dict:
    """Run the parts seed by seed, writing ``out`` after every run (``resume``: keep and skip the runs
    already in ``out``). Returns the data dict."""
    from modgap_edu.models import mad_clip

    data = {
        "version": 1,
        "command": "python -m modgap_edu.experiments.mad_hypotheses",
        "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "defaults": mad_clip.MAD_DEFAULTS,
        "hypotheses": HYPOTHESES,
        "planned_runs": len(schedule(parts)) * len(seeds),
        "runs": [],
    }
    done = set()
    if resume and out.is_file():
        old = json.loads(out.read_text())
        data["runs"] = old["runs"]
        done = {(r["part"], r["k"], r["seed"]) for r in old["runs"]}
    t_start = time.perf_counter() - (old.get("wall_seconds", 0.0) if done else 0.0)

    def save(rec):
        data["runs"].append(_round(rec))
        data["wall_seconds"] = round(time.perf_counter() - t_start, 1)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")))
        tmp.replace(out)
        log(
            f"[{len(data['runs'])}] {rec['part']} {mode_name(rec['k'])} seed={rec['seed']} "
            f"acc_all={rec['accuracy_all']:.3f} digit={rec['zero_shot_digit']:.3f} "
            f"digit_ens={rec['zero_shot_digit_full']:.3f} probe={rec['probe_digit']:.3f} rmg={rec['rmg']:.3f} "
            f"moad_img={rec['moad_image']:.3f} official={rec['moad_image_official']:.3f} "
            f"({rec['train_seconds']:.0f} s)"
        )

    for seed in seeds:  # seed by seed, the k = 1 / k = 5 comparisons first (a partial file is useful)
        for part, k in schedule(parts):
            if (part, k, seed) in done:
                continue
            model, hist, s, c = _train(k=k, seed=seed, **HYPOTHESES[part])
            save(_record(part, k, seed, model, hist, s, c, **HYPOTHESES[part]))
    return data


# ---------------------------------------------------------------- reading


def load_hypotheses(path: str | Path | None = None, validate: bool = True) -> dict:
    """The shipped hypothesis runs (``assets/lesson04/hypotheses.json``) or ``path``; checked unless told not to."""
    data = read_json_asset(asset_path() if path is None else Path(path), "mad_hypotheses")
    if validate:
        validate_hypotheses(data)
    return data


def validate_hypotheses(data: dict) -> None:
    """Structure checks: runs present, the keys lesson 04 reads there and finite, accuracies in [0, 1]."""
    if not isinstance(data, dict) or not data.get("runs"):
        raise ValueError("hypotheses data has no runs.")
    for r in data["runs"]:
        for key in ("part", "k", "seed", *REQUIRED):
            if key not in r:
                raise ValueError(f"a hypotheses run lacks {key!r}: {str(r)[:120]}")
        for key in REQUIRED:
            if not np.isfinite(r[key]):
                raise ValueError(f"run {r['part']} {mode_name(r['k'])} seed {r['seed']}: {key} is not finite.")
        for key in ("accuracy_all", "zero_shot_digit", "zero_shot_digit_full", "probe_digit"):
            if not 0.0 <= r[key] <= 1.0:
                raise ValueError(
                    f"run {r['part']} {mode_name(r['k'])} seed {r['seed']}: {key} = {r[key]} not in [0, 1]."
                )


def runs(data: dict, part: str, **match) -> list[dict]:
    """The runs of one part, optionally filtered by exact key values (``k=5``, ``seed=0``)."""
    out = [r for r in data["runs"] if r["part"] == part]
    for key, value in match.items():
        out = [r for r in out if r.get(key) == value]
    return out


def value(rec: dict, metric: str) -> float:
    """A scalar of a run; ``"probe_<factor>"``, ``"zs_<factor>"``, ``"zsfull_<factor>"`` and ``"moadf_<factor>"``
    (image MOAD, digit vs that factor) read the per-factor dicts."""
    prefixes = (
        ("probe_", "probe_by_factor"),
        ("zsfull_", "zero_shot_full_by_factor"),
        ("zs_", "zero_shot_by_factor"),
        ("moadf_", "moad_image_by_factor"),
    )
    for prefix, key in prefixes:
        if metric.startswith(prefix) and metric[len(prefix) :] in rec.get(key, {}):
            return float(rec[key][metric[len(prefix) :]])
    return float(rec[metric])


def table(data: dict, part: str, metric: str) -> dict:
    """{k: (mean, std, n)} of ``metric`` over the seeds of ``part``, for every k of ``MODES`` present."""
    out = {}
    for k in MODES:
        vals = [value(r, metric) for r in runs(data, part, k=k)]
        if vals:
            out[k] = (float(np.mean(vals)), float(np.std(vals)), len(vals))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="output JSON (default: the package asset)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    parser.add_argument("--resume", action="store_true", help="keep the runs already in the output file")
    args = parser.parse_args(argv)
    out = args.out or asset_path()
    data = run(
        out, seeds=tuple(args.seeds), parts=tuple(args.parts), log=lambda s: print(s, flush=True), resume=args.resume
    )
    validate_hypotheses(data)
    print(f"wrote {out} ({out.stat().st_size / 1024:.1f} KB) in {data['wall_seconds']:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
