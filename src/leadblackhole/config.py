"""Every path the package and the pipeline use, defined once.

The project root is found from the ``LEADBLACKHOLE_ROOT`` environment variable
when set, otherwise from the current working directory. Scripts and the
Makefile never spell out these paths themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "DEFAULT_SEED",
    "FIGURES_DIR",
    "PROJECT_ROOT",
    "RAW_DIR",
    "RESULTS_DIR",
    "SIMULATED_DIR",
    "SIMULATED_SURVEY",
]


def _root() -> Path:
    env = os.environ.get("LEADBLACKHOLE_ROOT")
    return Path(env).resolve() if env else Path.cwd()


PROJECT_ROOT: Path = _root()
DATA_DIR: Path = PROJECT_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
SIMULATED_DIR: Path = DATA_DIR / "simulated"
SIMULATED_SURVEY: Path = SIMULATED_DIR / "reps.csv"
FIGURES_DIR: Path = PROJECT_ROOT / "figures"
RESULTS_DIR: Path = PROJECT_ROOT / "results"

#: Seed used by the pipeline when none is given.
DEFAULT_SEED: int = 20130101
