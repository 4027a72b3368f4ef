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

from modgap_edu.experiments import ASSETS
import numpy as np

ASSET = ASSETS / "lesson02" / "cones_by_seed.npz"
MODEL = "ViT-S-32-alt"
SEEDS = tuple(range(6))


def compute(model: str = MODEL, seeds: tuple = SEEDS) -> dict:
    """Embed the 25 bundled image-caption pairs with each random init (Liang Fig. 2c protocol)."""
    import gc

    import torch

    from modgap_edu.models import openclip
    from modgap_edu.data import sample_images

    torch.set_num_threads(2)
    samples = sample_images.load_sample_images()
    images = [s.to_pil() for s in samples]
    captions = [s.caption for s in samples]
    img, txt = [], []
    for seed in seeds:
        bundle = openclip.build(model, seed=seed)
        img.append(openclip.encode_images(bundle, images))
        txt.append(openclip.encode_texts(bundle, captions))
        del bundle
        gc.collect()
    return {"image": np.stack(img), "text": np.stack(txt), "seeds": np.asarray(seeds), "model": model,
            "names": [s.name for s in samples]}


def save(result: dict, path: Path = ASSET) -> Path:
    import open_clip
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"model": result["model"], "seeds": [int(s) for s in result["seeds"]], "names": result["names"],
            "dtype": "float16 (rows L2-normalized in float32 before rounding)",
            "open_clip": open_clip.__version__, "torch": torch.__version__,
            "command": "python -m modgap_edu.experiments.random_init_cones"}
    np.savez_compressed(path, image=result["image"].astype(np.float16), text=result["text"].astype(np.float16),
                        meta=np.asarray(json.dumps(meta)))
    return path


def load(path: Optional[Path] = None) -> dict:
    """``{"image": (S, 25, d), "text": (S, 25, d), "meta": {...}}`` as float32 arrays."""
    with np.load(path or ASSET, allow_pickle=False) as z:
        return {"image": z["image"].astype(np.float32), "text": z["text"].astype(np.float32),
                "meta": json.loads(str(z["meta"]))}


if __name__ == "__main__":  # pragma: no cover
    out = save(compute())
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")
