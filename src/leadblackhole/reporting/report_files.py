"""The pipeline's outputs as the report reads them, checked against what the package writes.

``leadblackhole report`` assembles ``report.md`` from files in a results folder,
which a user may have edited, truncated or replaced. :func:`read_table`,
:func:`read_json` and :func:`read_text` read one such file each and raise
:class:`~leadblackhole.exceptions.ReportError` (exit 2, naming the file and what
to do) instead of letting a decoding error, a parser error or a missing column
surface as an internal error:

* every file must be UTF-8; a table must parse as CSV; a JSON record must be an
  object;
* a table the report reads columns of (:data:`TABLE_COLUMNS`) must hold them,
  numbers in its numeric columns, ``True``/``False`` in its flags and no empty
  cell in the columns that name its rows (:data:`KEY_COLUMNS`);
* a JSON record's known keys (:data:`JSON_KEYS`) must hold values of their type.

A missing file is not an error: the section that needs it says it was not
produced.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..effects.estimates import HYPOTHESIS_COLUMNS
from ..exceptions import ReportError
from ..measurement.descriptives import DESCRIPTIVE_COLUMNS
from ..models.model_set import WALD_COLUMNS
from ..models.results import ESTIMATE_COLUMNS, FIT_STAT_COLUMNS
from ..models.sensitivity import SENSITIVITY_COLUMNS

__all__ = ["JSON_KEYS", "KEY_COLUMNS", "TABLE_COLUMNS", "read_json", "read_table", "read_text"]

#: Columns of the tables the report reads column by column: path in the results folder ->
#: (every column, the columns of text, the columns of flags); the rest hold numbers.
TABLE_COLUMNS: dict[str, tuple[tuple[str, ...], frozenset[str], frozenset[str]]] = {
    "models/hypotheses.csv": (
        (*HYPOTHESIS_COLUMNS, "p_holm", "p_bh"),
        frozenset({"id", "outcome", "predictor", "moderator", "model"}),
        frozenset({"supported"}),
    ),
    "models/estimates.csv": (
        ESTIMATE_COLUMNS,
        frozenset({"model", "equation", "term"}),
        frozenset(),
    ),
    "models/fit_stats.csv": (FIT_STAT_COLUMNS, frozenset({"model"}), frozenset({"converged"})),
    "models/sur_wald.csv": (WALD_COLUMNS, frozenset({"test", "null", "distribution"}), frozenset()),
    "models/skipped_models.csv": (("model", "reason"), frozenset({"model", "reason"}), frozenset()),
    "models/sensitivity.csv": (
        SENSITIVITY_COLUMNS,
        frozenset({"id", "outcome", "term", "model", "benchmark", "note"}),
        frozenset(),
    ),
    "models/simple_slopes.csv": (
        (
            "id",
            "outcome",
            "predictor",
            "moderator",
            "level",
            "moderator_value",
            "moderator_centred",
            "estimate",
            "std_error",
            "statistic",
            "p_value",
            "conf_low",
            "conf_high",
        ),
        frozenset({"id", "outcome", "predictor", "moderator", "level"}),
        frozenset(),
    ),
    "models/johnson_neyman.csv": (
        (
            "id",
            "outcome",
            "predictor",
            "moderator",
            "method",
            "critical_value",
            "observed_min",
            "observed_max",
            "region",
            "low",
            "high",
            "low_is_boundary",
            "high_is_boundary",
            "sign",
            "share_of_reps",
        ),
        frozenset({"id", "outcome", "predictor", "moderator", "method"}),
        frozenset({"low_is_boundary", "high_is_boundary"}),
    ),
    "allocation/policies.csv": (
        (
            "policy",
            "scenario",
            "black_hole_rate",
            "black_hole_low",
            "black_hole_high",
            "naive_gain",
            "honest_gain",
            "honest_gain_low",
            "honest_gain_high",
        ),
        frozenset({"policy", "scenario"}),
        frozenset(),
    ),
    "allocation/policy_differences.csv": (
        (
            "scenario",
            "policy",
            "versus",
            "black_hole_diff",
            "black_hole_diff_low",
            "black_hole_diff_high",
            "prob_better",
            "method",
        ),
        frozenset({"scenario", "policy", "versus", "method"}),
        frozenset(),
    ),
    "measurement/descriptives.csv": (
        DESCRIPTIVE_COLUMNS,
        frozenset({"group", "variable"}),
        frozenset(),
    ),
}

#: Keys of the JSON records the report reads: path -> key -> the types its value may have.
JSON_KEYS: dict[str, dict[str, tuple[type, ...]]] = {
    "models/sample.json": {
        "firms": (list,),
        "n_firms": (int,),
        "n_reps": (int,),
        "rounding_step": (int, float, type(None)),
    },
    "models/data_source.json": {
        "simulated": (bool,),
        "modified": (bool,),
        "seed": (int, type(None)),
        "label": (str, type(None)),
        "agreement_note": (str, type(None)),
        "survey": (str, type(None)),
        "truth": (dict, type(None)),
    },
}

#: Columns of text that name a row (a model, a hypothesis, a term): never empty.
KEY_COLUMNS: frozenset[str] = frozenset(
    {"model", "id", "equation", "term", "group", "variable", "test", "reason"}
)

_REDO = "rerun the command that writes it (make all), or remove it"


def _name(path: Path, results: Path) -> str:
    """``path`` relative to the results folder (with forward slashes), else as given."""
    try:
        return path.relative_to(results).as_posix()
    except ValueError:
        return path.as_posix()


def _decoded(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"{path} is not UTF-8 text ({exc}); it is not an output of leadblackhole: {_REDO}"
        ) from None


def read_text(path: Path) -> str | None:
    """A text file, stripped, or None when it is missing.

    Raises
    ------
    ReportError
        When the file is not UTF-8.
    """
    return _decoded(path).strip() if path.is_file() else None


def read_json(path: Path, results: Path | None = None) -> dict[str, Any]:
    """A JSON record (an object), or ``{}`` when it is missing.

    Parameters
    ----------
    path : Path
        The file.
    results : Path, optional
        The results folder: the record's path in it selects its known keys
        (:data:`JSON_KEYS`).

    Raises
    ------
    ReportError
        When the file is not UTF-8, not JSON, not an object, or a known key
        holds a value of another type.
    """
    if not path.is_file():
        return {}
    try:
        record = json.loads(_decoded(path))
    except ValueError as exc:
        raise ReportError(f"{path} is not JSON ({exc}): {_REDO}") from None
    if not isinstance(record, dict):
        raise ReportError(f"{path} holds {type(record).__name__}, not a JSON object: {_REDO}")
    keys = JSON_KEYS.get(_name(path, results) if results is not None else "", {})
    for key, types in keys.items():
        value = record.get(key)
        wrong = key in record and (
            not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        )
        if wrong:
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise ReportError(f"{path}: '{key}' holds {value!r}, not {expected}: {_REDO}")
    truth = record.get("truth")
    if isinstance(truth, dict) and not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in truth.values()
    ):
        raise ReportError(f"{path}: 'truth' must map each effect to a number: {_REDO}")
    return record


def read_table(path: Path, results: Path | None = None) -> pd.DataFrame | None:
    """A CSV table, or None when it is missing.

    Parameters
    ----------
    path : Path
        The file.
    results : Path, optional
        The results folder: the table's path in it selects its columns
        (:data:`TABLE_COLUMNS`).

    Returns
    -------
    DataFrame or None

    Raises
    ------
    ReportError
        When the file is not UTF-8 or not CSV, or (a table of
        :data:`TABLE_COLUMNS`) lacks a column, holds text in a column of
        numbers or anything but True/False in a column of flags.
    """
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(io.StringIO(_decoded(path)), keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ReportError(f"{path} is not a CSV table ({exc}): {_REDO}") from None
    spec = TABLE_COLUMNS.get(_name(path, results) if results is not None else "")
    if spec is None:
        return table
    columns, texts, flags = spec
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ReportError(f"{path} lacks the columns {missing} that leadblackhole writes: {_REDO}")
    for col in columns:
        values = table[col].dropna()
        if col in texts:
            if col in KEY_COLUMNS and len(values) < len(table):
                raise ReportError(f"{path}: column '{col}' has empty cells: {_REDO}")
            table[col] = table[col].where(table[col].isna(), table[col].astype(str))
            continue
        if values.empty:
            continue
        if col in flags:
            ok = all(isinstance(v, bool | np.bool_) for v in values)
            kind = "True or False"
        else:
            ok = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
            kind = "numbers"
        if not ok:
            raise ReportError(
                f"{path}: column '{col}' must hold {kind}; it holds {values.iloc[0]!r} among "
                f"others: {_REDO}"
            )
    return table
