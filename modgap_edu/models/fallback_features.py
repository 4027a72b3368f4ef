"""Matched image/text embeddings for the lessons: Liang's real CLIP features, or the course's own model (lessons 01-05).

* ``real_or_fallback_features(name)`` is what lessons call: the real features of Liang et al. 2022
  (``modgap_edu.data.liang_features``) when they can be had, otherwise ``fallback_features``:
  embeddings of the course's bundled image-caption pairs by a random-init open_clip model, with a
  sentence saying which one the learner is looking at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from modgap_edu.core import validation as V
from modgap_edu.data import sample_images
from modgap_edu.data.liang_features import FILES, ChecksumError, DataUnavailable, _check_name, load_liang_features
from modgap_edu.models import openclip


# ------------------------------------------------------------------ lessons: real or fallback
@dataclass
class FeatureSet:
    """Matched image/text embeddings plus a plain statement of where they come from."""

    image: np.ndarray
    text: np.ndarray
    is_real: bool
    source: str  # one sentence for the learner
    captions: list = field(default_factory=list)
    reason: str = ""  # why the fallback was used (empty when real)

    def __str__(self) -> str:
        return self.source


def fallback_features(model_name: str = "ViT-S-32-alt", seed: int = 0, n: Optional[int] = None) -> FeatureSet:
    """Embeddings of the course's bundled image-caption pairs by a random-init open_clip model.

    The course's own model, built offline (``modgap_edu.models.openclip``). Untrained: the gap it shows
    is the cone effect of initialization (lesson 02), not the gap of a trained CLIP. ``n`` pairs
    (default and at most: all 25 bundled ones; the source sentence states the number used).
    """

    if n is None:
        n = len(sample_images.CATALOGUE)
    n = min(V.integer(n, "n", 2), len(sample_images.CATALOGUE))  # n: the number of fallback pairs
    key = (repr(model_name), seed, n)
    if key not in _FALLBACK_CACHE:  # one model build per session, however many lessons cells ask
        samples = sample_images.load_sample_images(n)
        bundle = openclip.build(model_name, seed=seed)
        img = openclip.encode_images(bundle, [s.to_pil() for s in samples])
        txt = openclip.encode_texts(bundle, [s.caption for s in samples])
        del bundle
        from modgap_edu._runtime.memory import release_memory

        release_memory()  # the model's ~170 MB of weights are not needed any more
        _FALLBACK_CACHE[key] = (img.astype(np.float64), txt.astype(np.float64), [s.caption for s in samples])
    img, txt, captions = _FALLBACK_CACHE[key]
    return FeatureSet(
        img.copy(),
        txt.copy(),
        False,
        f"FALLBACK: a randomly initialised (untrained) open_clip {model_name} (seed {seed}) on the "
        f"course's {len(captions)} bundled image-caption pairs -- not a trained CLIP.",
        list(captions),
    )


_FALLBACK_CACHE: dict = {}


def real_or_fallback_features(
    name: str = "clip", fallback_model: str = "ViT-S-32-alt", seed: int = 0, n_fallback: Optional[int] = None
) -> FeatureSet:
    """Real features ``features_<name>.npy`` if cached or downloadable, else the course's fallback (lessons).

    The returned ``FeatureSet.source`` says plainly which one the learner is looking at, and
    ``.reason`` why the real file was not used.
    """
    _check_name(name)
    try:
        img, txt = load_liang_features(name)
    except (DataUnavailable, ChecksumError) as exc:
        fs = fallback_features(fallback_model, seed=seed, n=n_fallback)
        fs.reason = str(exc)
        return fs
    return FeatureSet(
        img,
        txt,
        True,
        f"REAL: Liang et al.'s {FILES[name][0]} -- {FILES[name][2]} ({img.shape[0]} pairs, "
        f"{img.shape[1]}-d), sha256 verified.",
    )
