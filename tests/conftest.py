"""Shared fixtures: simulated surveys written to temporary files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.tables_text import table_to_csv

#: Seed used by the fixtures (any fixed value).
FIXTURE_SEED = 7


@pytest.fixture(scope="session")
def default_simulation():
    """The default simulated study (461 reps, 4 firms) and its truth."""
    return simulate(StudyDesign(), seed=FIXTURE_SEED)


@pytest.fixture(scope="session")
def default_survey(default_simulation) -> pd.DataFrame:
    return default_simulation.survey


@pytest.fixture()
def survey_csv(tmp_path: Path, default_survey: pd.DataFrame) -> Path:
    """The default simulated survey written as CSV."""
    path = tmp_path / "reps.csv"
    path.write_text(table_to_csv(default_survey))
    return path


def write_csv(tmp_path: Path, df: pd.DataFrame, name: str = "survey.csv") -> Path:
    """Write ``df`` as a CSV file in ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.write_text(table_to_csv(df))
    return path
