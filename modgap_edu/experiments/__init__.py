"""Producers of the shipped assets under ``modgap_edu/assets/``, each with its reader.

Every module here runs as ``python -m modgap_edu.experiments.NAME`` to regenerate its asset
(``make assets`` runs them all) and offers a ``load_*`` function that reads and checks it.
Lesson 04: ``mad_sweep`` (the k sweep) and ``mad_hypotheses`` (why digit accuracy falls with k:
the hypothesis runs, MOAD three ways); lesson 05: ``mad_family``.
"""

from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets"
