"""The shipped gap-fate phase grid of lessons 01 and 03: its producer and its reader.

``python -m modgap_edu.experiments.gap_fate_grid`` runs ``toys.gap_fate.phase_grid`` over the grid
``toys.gap_fate.SHIPPED`` (180 runs, about 12 minutes on one idle core) and writes
``modgap_edu/assets/lesson01/gap_fate.json``; ``load_phase_grid`` reads and checks it (plain JSON).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Optional

import torch

from modgap_edu import __version__
from modgap_edu.experiments import ASSETS
from modgap_edu.toys.gap_fate import DEFAULT_MAX_STEPS, RUN_KEYS, SHIPPED, phase_grid

ASSET = ASSETS / "lesson01" / "gap_fate.json"
FORMAT = "modgap_edu.gap_fate/1"
GRID_KEYS = ("format", "version", "command", "settings", "runs", "seconds", "python", "torch")
COMMAND = "python -m modgap_edu.experiments.gap_fate_grid"


def load_phase_grid(path=None) -> dict:
    """Read a grid written by the producer (plain JSON, nothing executed) and check its keys.

    Parameters
    ----------
    path : str or Path, optional
        Defaults to the shipped ``assets/lesson01/gap_fate.json``.

    Returns
    -------
    dict
        The file's content.
    """
    p = Path(ASSET if path is None else path)
    if not p.is_file():
        raise FileNotFoundError(
            f"{p} not found: produce it with `python -m modgap_edu.experiments.gap_fate_grid --out {p}`."
        )
    with p.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected a JSON object at the top level.")
    missing = [k for k in GRID_KEYS if k not in data]
    if missing:
        raise ValueError(f"{p}: missing key(s) {missing}; was it written by modgap_edu.experiments.gap_fate_grid?")
    if data["format"] != FORMAT:
        raise ValueError(f"{p}: format {data['format']!r}, expected {FORMAT!r}.")
    if not isinstance(data["runs"], list) or not data["runs"]:
        raise ValueError(f"{p}: 'runs' must be a non-empty list.")
    for i, r in enumerate(data["runs"]):
        absent = [k for k in RUN_KEYS if not isinstance(r, dict) or k not in r]
        if absent:
            raise ValueError(f"{p}: run {i} lacks {absent}.")
    return data


def main(argv: Optional[list] = None) -> Path:
    """CLI producer: ``python -m modgap_edu.experiments.gap_fate_grid --out PATH [--quick]`` runs the shipped grid."""
    ap = argparse.ArgumentParser(prog=COMMAND, description=main.__doc__)
    ap.add_argument("--out", type=Path, default=ASSET)
    ap.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS)
    ap.add_argument("--quick", action="store_true", help="tiny grid (smoke test)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    axes = dict(SHIPPED)
    if args.quick:
        axes.update(taus=[0.05, 1.0], dims=[3], seeds=[0])
    grid = phase_grid(
        axes["taus"],
        axes["dims"],
        axes["shares"],
        axes["mismatches"],
        axes["seeds"],
        mismatch_shares=axes["mismatch_shares"],
        progress=True,
        max_steps=args.max_steps,
    )
    data = {
        "format": FORMAT,
        "version": __version__,
        "command": (COMMAND + " " + " ".join(argv if argv is not None else sys.argv[1:])).strip(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        **grid,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(grid['runs'])} runs, {grid['seconds']:.0f} s)", file=sys.stderr)
    return args.out


if __name__ == "__main__":  # pragma: no cover
    main()
