"""Producers of the shipped assets under ``modgap_edu/assets/``, each with its reader.

Every module here runs as ``python -m modgap_edu.experiments.NAME`` to regenerate its asset
(``make assets`` runs them all) and offers a ``load_*`` function that reads and checks it.
"""

from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets"
