"""Where a survey file comes from: simulated by this package or a researcher's own.

``leadblackhole simulate`` writes, beside the survey ``reps.csv``, a marker file
``reps.csv.simulated.json`` holding the seed, the command and the SHA-256 of the
survey it wrote. Every later step asks :func:`data_source` about the survey it
reads; when the marker is there, its tables and figures say that the numbers
come from simulated data. The marker also keeps the population value of every
registry effect (the truth the simulator knows), so the report can set each
estimate beside the value it estimates.

A marker beside the file, rather than a column in it or a command-line flag,
keeps the survey in the input schema and needs nothing from the user: the label
follows the file wherever the pipeline reads it from. A survey edited after the
simulation (its SHA-256 differs from the marker's) is still labelled simulated,
with the note that it was changed: a simulated survey must never pass for a
real one. Deleting the marker, or copying the CSV without it, removes the
label; the docs say so.

The CSV tables made from a survey carry its source in a column of their own,
``data_source`` (:func:`source_column`): ``simulated (seed S)`` for a simulated
survey, ``<file name> (sha256 <first 12 hex digits>)`` for a researcher's own, so a
table copied out of ``results/`` still says what it was computed from.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MARKER_SUFFIX",
    "DataSource",
    "data_source",
    "marker_path",
    "simulated_column",
    "simulation_marker",
    "source_column",
]

#: Suffix of the marker file ``simulate`` writes beside the survey.
MARKER_SUFFIX = ".simulated.json"


def marker_path(survey: str | os.PathLike[str]) -> Path:
    """The marker file of ``survey``: the survey's path with :data:`MARKER_SUFFIX` appended."""
    survey = Path(survey)
    return survey.with_name(survey.name + MARKER_SUFFIX)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def simulation_marker(
    survey_text: str,
    seed: int,
    command: str,
    truth: dict[str, float] | None = None,
) -> str:
    """The text of the marker file for a simulated survey.

    Parameters
    ----------
    survey_text : str
        The survey CSV exactly as written (its SHA-256 is recorded).
    seed : int
        Seed of the simulation.
    command : str
        The command that made it (for the reader).
    truth : dict of str to float, optional
        Population value of each registry effect (per unit, on the share scale:
        ``Truth.effects["value"]``), keyed by hypothesis id.

    Returns
    -------
    str
        JSON with ``simulated``, ``seed``, ``command``, ``sha256`` and, when
        given, ``truth``.

    Examples
    --------
    >>> text = simulation_marker("a,b\\n1,2\\n", 7, "leadblackhole simulate --seed 7")
    >>> json.loads(text)["seed"]
    7
    """
    record = {
        "simulated": True,
        "seed": int(seed),
        "command": command,
        "sha256": hashlib.sha256(survey_text.encode("utf-8")).hexdigest(),
    }
    if truth is not None:
        record["truth"] = {str(k): float(v) for k, v in truth.items()}
    return json.dumps(record, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class DataSource:
    """Whether a survey was simulated, and the label its outputs carry.

    Attributes
    ----------
    simulated : bool
        True when a simulation marker sits beside the survey file.
    seed : int or None
        Seed of the simulation.
    modified : bool
        True when the survey changed after it was simulated.
    truth : dict of str to float or None
        Population value of each registry effect, from the marker; ``None``
        when the marker has none or the survey changed after the simulation
        (the values no longer describe it).
    """

    simulated: bool
    seed: int | None = None
    modified: bool = False
    truth: dict[str, float] | None = None

    @property
    def label(self) -> str | None:
        """One sentence for captions and footers; ``None`` for a researcher's own survey."""
        if not self.simulated:
            return None
        seed = f", seed {self.seed}" if self.seed is not None else ""
        changed = ", changed after simulation" if self.modified else ""
        return (
            f"Simulated data (leadblackhole simulate{seed}{changed}): not the study's data "
            "and not the published estimates."
        )

    @property
    def agreement_note(self) -> str | None:
        """The caveat on agreement with the published findings, for simulated data."""
        if not self.simulated:
            return None
        return (
            "The simulator's population effects carry the published signs, so a hypothesis "
            "that does not agree here was not detected in this sample (too little power at "
            "this sample size), not contradicted."
        )


def data_source(survey: str | os.PathLike[str]) -> DataSource:
    """Read the simulation marker of ``survey``, if any.

    Parameters
    ----------
    survey : path-like
        The survey file.

    Returns
    -------
    DataSource
        ``simulated=False`` when no marker exists; a marker that cannot be read
        still marks the survey simulated (never the other way round).

    Examples
    --------
    >>> data_source("data/raw/my_survey.csv").simulated       # doctest: +SKIP
    False
    """
    survey, marker = Path(survey), marker_path(survey)
    if not marker.is_file():
        return DataSource(False)
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        seed = record.get("seed")
        modified = survey.is_file() and record.get("sha256") != _sha256(survey)
        truth = record.get("truth")
        truth = {str(k): float(v) for k, v in truth.items()} if isinstance(truth, dict) else None
    except (OSError, ValueError, AttributeError, TypeError):
        return DataSource(True)
    return DataSource(
        True,
        seed=seed if isinstance(seed, int) else None,
        modified=modified,
        truth=None if modified else truth,
    )


def simulated_column(seed: int | None, modified: bool = False) -> str:
    """The ``data_source`` value of tables made from data the package simulated.

    Parameters
    ----------
    seed : int or None
        Seed of the simulation (``None``: not known, the marker could not be read).
    modified : bool, default False
        The survey changed after it was simulated.

    Returns
    -------
    str

    Examples
    --------
    >>> simulated_column(20130101), simulated_column(3, modified=True)
    ('simulated (seed 20130101)', 'simulated (seed 3, changed after simulation)')
    """
    parts = ([f"seed {seed}"] if seed is not None else []) + (
        ["changed after simulation"] if modified else []
    )
    return f"simulated ({', '.join(parts)})" if parts else "simulated"


def source_column(survey: str | os.PathLike[str]) -> str:
    """The ``data_source`` value of every CSV table made from ``survey``.

    Parameters
    ----------
    survey : path-like
        The survey file.

    Returns
    -------
    str
        For a survey with a simulation marker (:func:`data_source`),
        :func:`simulated_column` of its seed; otherwise the file's name (without
        its folder) and the first 12 hexadecimal digits of its SHA-256, which
        identify the file's content wherever it is copied.

    Examples
    --------
    >>> source_column("data/raw/field_survey_2025.dta")     # doctest: +SKIP
    'field_survey_2025.dta (sha256 3f1c9a0b27de)'
    """
    src = data_source(survey)
    if src.simulated:
        return simulated_column(src.seed, src.modified)
    path = Path(survey)
    return f"{path.name} (sha256 {_sha256(path)[:12]})"
