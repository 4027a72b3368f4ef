"""The ``modgap-edu`` command line (lesson 05): ``modgap-edu measure FILE|FOLDER``."""

from modgap_edu.cli.main import main

__all__ = ["main"]
