"""modgap_edu: reference implementations for the modality-gap course.

``import modgap_edu as mg`` gives the functions a learner or instructor calls (``mg.rmg``,
``mg.clip_loss``, ``mg.MADDataset``, ...); each is imported from its layer on first use, so
``import modgap_edu`` itself is fast. The layers, bottom up (a layer imports only from below)::

    _runtime     torchvision compatibility, memory release, seeding, threads
    core         metrics, losses, validation, dimensions, rank statistics, Procrustes, cone, shift
    toys         synthetic worlds: points on the sphere, six pairs, paired cones, gap fate
    data         cache and offline switch, Liang's features, sample images, embedding files
    mad          the MAD dataset: base digits, factors, dataset
    models       open_clip models, small towers, the training loop, the MAD recipe
    experiments  producers of the shipped assets, each with its reader
    plots        style, live figures, widgets, one module per lesson
    exercises    the check functions of the lessons' exercises
    cli          the ``modgap-edu`` command

Importing the package arranges that ``import open_clip`` works on CPU-only torch builds: the
torchvision guard (``_runtime.torchvision_compat``) runs just before torchvision is first imported.
"""

from __future__ import annotations

import importlib

from modgap_edu._runtime import torchvision_compat as _torchvision_compat

_torchvision_compat.install_on_import()

__version__ = "0.1.0"

# flat name -> the module (below modgap_edu) that defines it
_API = {
    "set_seed": "_runtime.seeding",
    "release_memory": "_runtime.memory",
    "training_threads": "_runtime.threads",
    "clip_loss": "core.losses",
    "align_loss": "core.losses",
    "uniform_loss": "core.losses",
    "gap_vector": "core.metrics",
    "l2m": "core.metrics",
    "l2i": "core.metrics",
    "rmg": "core.metrics",
    "rmg_terms": "core.metrics",
    "moad": "core.metrics",
    "intra_inter_cosine": "core.metrics",
    "rank_gap_dimensions": "core.dimensions",
    "ablation_curve": "core.dimensions",
    "retrieval_recall": "core.dimensions",
    "zero_shot_accuracy": "core.dimensions",
    "kendall_with_permutation": "core.rank_statistics",
    "kendall_within_groups": "core.rank_statistics",
    "procrustes_rotation": "core.procrustes",
    "proper_rotation": "core.procrustes",
    "mean_pairwise_cosine": "core.cone",
    "arccos_kernel_cosine": "core.cone",
    "shift_embeddings": "core.shift",
    "loss_landscape": "core.shift",
    "clip_loss_terms": "core.loss_terms",
    "loss_terms_along_shift": "core.loss_terms",
    "landscape_minimum": "core.loss_terms",
    "gap_fate": "toys.gap_fate",
    "sphere_toy_curvature": "toys.six_pairs",
    "make_caption": "mad.dataset",
    "MADDataset": "mad.dataset",
    "official_moad_multihot": "mad.moad",
    "data_dir": "data.cache",
    "offline_requested": "data.cache",
    "load_liang_features": "data.liang_features",
    "load_embeddings": "data.embedding_files",
    "real_or_fallback_features": "models.fallback_features",
    "train_clip": "models.training",
    "embed_pairs": "models.training",
    "train_mad_clip": "models.mad_clip",
    "evaluate_mad": "models.mad_clip",
    "mechanism_metrics": "models.mad_clip",
    "top2_gap_share": "models.mad_clip",
    "caption_floor": "models.mad_clip",
    "measure": "cli.measure",
    "measure_classification": "cli.measure",
}
__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'modgap_edu' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"modgap_edu.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
