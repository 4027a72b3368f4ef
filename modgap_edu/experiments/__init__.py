"""Producers of the shipped assets under ``modgap_edu/assets/``, each with its reader.

Every module here runs as ``python -m modgap_edu.experiments.NAME`` to regenerate its asset
(``make assets`` runs them all) and offers a ``load_*`` function that reads and checks it.
Lesson 04: ``mad_sweep`` (the k sweep) and ``mad_hypotheses`` (why digit accuracy falls with k:
the hypothesis runs, MOAD three ways); lesson 05: ``mad_family``.
"""

import json
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def read_json_asset(path: Path, producer: str) -> dict:
    """The JSON document at ``path`` (data only: ``json``, never code), or a ``FileNotFoundError`` that says
    which producer makes it (``python -m modgap_edu.experiments.<producer>``).

    Parameters
    ----------
    path : Path
        The asset file.
    producer : str
        The module name of the producer, e.g. ``"mad_sweep"``.

    Returns
    -------
    dict
        The parsed document.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `python -m modgap_edu.experiments.{producer}` to make it.")
    return json.loads(path.read_text())
