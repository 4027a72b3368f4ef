"""Precompute lesson 05's family of small MAD CLIPs (gap vs performance, MOAD) into a small JSON.

    .venv/bin/python tools/precompute_lesson05.py            # ~10 models, ~10-20 min on 2 cores
    .venv/bin/python tools/precompute_lesson05.py --only k1-default-n3000   # one member

Writes ``modgap_edu/assets/lesson05/family.json``: one record per model with its settings
(caption information k, capacity, training-set size) and its metrics on 2,000 MAD test images
with full-information captions (``train.evaluate_mad``), plus MOAD with the official
inter-class subset (``metrics.moad(..., exact_official=True)``) next to the all-pairs version.

The family is **our choice** (the paper's MAD models and training code are not public):
the lesson-04 recipe (``train.train_mad_clip``) with

* k in {1, 2, 3, 5} attributes in the training captions (the information imbalance),
* two capacities: "default" (embed 32, conv widths 32/64/128) and "small" (embed 8, 8/16/32),
* two training-set sizes for the default capacity at k = 1 and k = 5: 12,000 and 3,000 images.

Every member is seeded (seed 0) and deterministic on one machine; the lesson retrains the
smallest one live and compares with its record.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modgap_edu.mad_family import ASSET as OUT, members, train_member  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="member names to (re)compute; others are kept from the file")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    import modgap_edu
    import torch

    modgap_edu.set_seed(0)  # the same torch settings as the lesson's setup cell
    torch.set_num_threads(2)
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
    return {"about": "Lesson 05 family of small MAD CLIPs (our recipe, see tools/precompute_lesson05.py). "
                     "Metrics on 2,000 MAD test images with full-information captions.",
            "command": ".venv/bin/python tools/precompute_lesson05.py",
            "modgap_edu": modgap_edu.__version__, "torch": torch.__version__,
            "models": [records[n] for n in order if n in records]}


if __name__ == "__main__":
    sys.exit(main())
