"""Precomputed Fig. 2c embeddings for lesson 02 (several random inits of one open_clip model).

Building and running ``ViT-S-32-alt`` six times takes ~6 s on an idle 2-core laptop but much
longer on a busy one, so the lesson loads the embeddings from a small shipped file and re-runs
seed 0 live to show they are reproducible. Regenerate (deterministic on one machine) with::

    python -m modgap_edu.experiments.random_init_cones            # writes modgap_edu/assets/lesson02/cones_by_seed.npz
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from modgap_edu._runtime.threads import limited_threads
from modgap_edu.experiments import ASSETS

ASSET = ASSETS / "lesson02" / "cones_by_seed.npz"
MODEL = "ViT-S-32-alt"
SEEDS = tuple(range(6))


def compute(model: str = MODEL, seeds: tuple = SEEDS) -> dict:
    """Embed the 25 bundled image-caption pairs with each random init (Liang Fig. 2c protocol)."""
    import gc

    from modgap_edu.data import sample_images
    from modgap_edu.models import openclip

    samples = sample_images.load_sample_images()
    images = [s.to_pil() for s in samples]
    captions = [s.caption for s in samples]
    img, txt = [], []
    with limited_threads():  # the fixed policy (2 threads), as when the asset was made
        for seed in seeds:
            bundle = openclip.build(model, seed=seed)
            img.append(openclip.encode_images(bundle, images))
            txt.append(openclip.encode_texts(bundle, captions))
            del bundle
            gc.collect()
    return {
        "image": np.stack(img),
        "text": np.stack(txt),
        "seeds": np.asarray(seeds),
        "model": model,
        "names": [s.name for s in samples],
    }


def save(result: dict, path: Path = ASSET) -> Path:
    import open_clip
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "model": result["model"],
        "seeds": [int(s) for s in result["seeds"]],
        "names": result["names"],
        "dtype": "float16 (rows L2-normalized in float32 before rounding)",
        "open_clip": open_clip.__version__,
        "torch": torch.__version__,
        "command": "python -m modgap_edu.experiments.random_init_cones",
    }
    np.savez_compressed(
        path,
        image=result["image"].astype(np.float16),
        text=result["text"].astype(np.float16),
        meta=np.asarray(json.dumps(meta)),
    )
    return path


def validate(cones: dict) -> None:
    """Check loaded cones: (S, 25, d) image and text arrays of finite unit rows, one seed per slice.

    Raises ValueError naming the first problem."""
    img, txt, meta = cones["image"], cones["text"], cones["meta"]
    if img.ndim != 3 or img.shape != txt.shape:
        raise ValueError(f"image and text must both be (seeds, pairs, dim) arrays, got {img.shape} and {txt.shape}.")
    for key in ("model", "seeds", "names"):
        if key not in meta:
            raise ValueError(
                f"the cones file's meta lacks {key!r}: regenerate it with "
                "`python -m modgap_edu.experiments.random_init_cones`."
            )
    if len(meta["seeds"]) != img.shape[0] or len(meta["names"]) != img.shape[1]:
        raise ValueError(
            f"meta lists {len(meta['seeds'])} seeds and {len(meta['names'])} names for arrays of shape {img.shape}."
        )
    if not (np.isfinite(img).all() and np.isfinite(txt).all()):
        raise ValueError("the cones file holds non-finite values.")
    for name, a in (("image", img), ("text", txt)):
        if not np.allclose(np.linalg.norm(a, axis=2), 1.0, atol=5e-3):  # float16 storage
            raise ValueError(f"the {name} rows are not unit vectors: the file is damaged; regenerate it.")


def load(path: Optional[Path] = None) -> dict:
    """Lesson 02: the shipped cones, ``{"image": (S, 25, d), "text": (S, 25, d), "meta": {...}}``, float32, validated.

    Parameters
    ----------
    path : Path or None
        The ``.npz`` file (read with ``allow_pickle=False``); default the shipped asset.

    Returns
    -------
    dict
        ``image`` and ``text`` arrays and the ``meta`` dict (model, seeds, names, versions, command).
    """
    p = Path(path or ASSET)
    if not p.is_file():
        raise ValueError(f"{p} is missing: run `python -m modgap_edu.experiments.random_init_cones` to make it.")
    with np.load(p, allow_pickle=False) as z:
        missing = [k for k in ("image", "text", "meta") if k not in z.files]
        if missing:
            raise ValueError(f"{p} lacks the arrays {missing}; regenerate it.")
        cones = {
            "image": z["image"].astype(np.float32),
            "text": z["text"].astype(np.float32),
            "meta": json.loads(str(z["meta"])),
        }
    validate(cones)
    return cones


def main(argv: Optional[list] = None) -> int:
    """Lesson 02: ``python -m modgap_edu.experiments.random_init_cones``, write the cones asset."""
    import argparse

    parser = argparse.ArgumentParser(
        description="Precompute lesson 02's Fig. 2c embeddings (random inits of "
        f"{MODEL}, seeds {SEEDS[0]}-{SEEDS[-1]})."
    )
    parser.add_argument("--out", type=Path, default=ASSET)
    args = parser.parse_args(argv)
    out = save(compute(), args.out)
    load(out)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
