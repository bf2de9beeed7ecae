"""The hypothesis report of a fit artifact as data: its tables as JSON and arrays, and back.

A fit artifact (:mod:`leadblackhole.reporting.artifacts`) keeps the
:class:`~leadblackhole.effects.HypothesisReport` that ``fit`` computed (the
registry effects of every model, the simple slopes, the Johnson–Neyman
curves, the bootstrap when run) so that ``figures`` draws it without
computing it again. Every table is stored column by column: text columns as
JSON lists (strings and nulls), numeric and logical columns as arrays (a
mask beside the values of a nullable column), with each column's pandas type,
so that :func:`decode_report` gives back tables equal to the saved ones,
types included. :func:`check_report` checks a stored report against the schema
and names the arrays it needs, with their types and shapes, before anything
is built.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..effects import BootstrapResult, EffectOptions, HypothesisReport, JohnsonNeyman
from ..exceptions import ArtifactError, LeadBlackHoleUserError
from ..models.stored import check_keys

__all__ = [
    "ARRAY_DTYPES",
    "TEXT_DTYPES",
    "check_report",
    "check_table",
    "decode_report",
    "decode_table",
    "encode_report",
    "encode_table",
]

#: Column types stored as arrays, with the NumPy type of the values (the two nullable
#: types also store a boolean mask of their missing values).
ARRAY_DTYPES: dict[str, str] = {
    "float64": "float64",
    "int64": "int64",
    "bool": "bool",
    "boolean": "bool",
    "Int64": "int64",
}
_MASKED = ("boolean", "Int64")
#: Column types stored as JSON lists of strings and nulls.
TEXT_DTYPES: tuple[str, ...] = ("str", "string", "object")
#: The fields of a hypothesis report that are not tables (each stored in its own way).
_OTHER_FIELDS = ("jn_analyses", "bootstrap", "options", "settings")
#: The tables of a hypothesis report: every other field of the dataclass, in its order
#: (a field added to :class:`~leadblackhole.effects.HypothesisReport` is stored with them).
REPORT_TABLES: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(HypothesisReport) if f.name not in _OTHER_FIELDS
)
#: The tables that may be absent (null): those with a default in the dataclass.
_OPTIONAL_TABLES = tuple(
    f.name
    for f in dataclasses.fields(HypothesisReport)
    if f.name in REPORT_TABLES
    and (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)
)
_JN_METHODS = ("normal", "esarey_sumner")


# ----------------------------------------------------------------------------
# one table
# ----------------------------------------------------------------------------
def encode_table(df: pd.DataFrame, key: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A table as a JSON description and arrays named ``<key>.c<j>`` (``.mask``).

    Parameters
    ----------
    df : DataFrame
        With a default row index (0, 1, ... possibly named), distinct text
        column names and columns of the types :data:`ARRAY_DTYPES` and
        :data:`TEXT_DTYPES` (text columns holding strings and missing values).
    key : str
        Prefix of the arrays' names.

    Returns
    -------
    desc : dict
        ``rows``, ``index_name``, ``columns_dtype`` and ``columns`` (each
        ``name``, ``dtype`` and, for a text column, ``values``).
    arrays : dict of str to ndarray

    Raises
    ------
    ValueError
        A table outside those rules (a programming error: the report's
        tables follow them).
    """
    n = len(df)
    index = df.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        raise ValueError(f"table {key}: only a default row index can be stored")
    names = list(df.columns)
    if not all(isinstance(c, str) for c in names) or len(set(names)) != len(names):
        raise ValueError(f"table {key}: column names must be distinct texts")
    columns, arrays = [], {}
    for j, name in enumerate(names):
        col = df.iloc[:, j]
        dtype = str(col.dtype)
        entry: dict[str, Any] = {"name": name, "dtype": dtype}
        if dtype in ("float64", "int64", "bool"):
            arrays[f"{key}.c{j}"] = col.to_numpy(dtype=dtype, copy=True)
        elif dtype in _MASKED:
            values = ARRAY_DTYPES[dtype]
            fill = False if values == "bool" else 0
            arrays[f"{key}.c{j}"] = col.to_numpy(dtype=values, na_value=fill)
            arrays[f"{key}.c{j}.mask"] = col.isna().to_numpy(dtype=bool)
        elif dtype in TEXT_DTYPES:
            missing = col.isna().to_numpy()
            values = [None if m else v for v, m in zip(col.tolist(), missing, strict=True)]
            raw = zip(col.tolist(), missing, strict=True)
            if dtype == "object" and any(m and v is not None for v, m in raw):
                raise ValueError(f"table {key}: column {name!r} holds a missing value not None")
            if not all(v is None or isinstance(v, str) for v in values):
                raise ValueError(f"table {key}: column {name!r} holds values other than text")
            entry["values"] = values
        else:
            raise ValueError(f"table {key}: column {name!r} of type {dtype} cannot be stored")
        columns.append(entry)
    desc = {
        "rows": n,
        "index_name": index.name,
        "columns_dtype": str(df.columns.dtype),
        "columns": columns,
    }
    return desc, arrays


def _fail(where: str, expected: str) -> None:
    raise ArtifactError(f"{where}: expected {expected}")


def check_table(desc: Any, key: str, where: str) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
    """Check a stored table's description; the arrays it needs, with their types and shapes.

    Parameters
    ----------
    desc : object
        The parsed JSON value.
    key : str
        Prefix of its arrays' names.
    where : str
        Where it is in the artifact, for the messages.

    Returns
    -------
    dict of str to (dtype, shape)

    Raises
    ------
    ArtifactError
        A description outside the schema.
    """
    check_keys(desc, dict.fromkeys(("rows", "index_name", "columns_dtype", "columns"), _any), where)
    n = desc["rows"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        _fail(f"{where}.rows", "a whole number of at least 0")
    if desc["index_name"] is not None and not isinstance(desc["index_name"], str):
        _fail(f"{where}.index_name", "a text or null")
    if desc["columns_dtype"] not in ("str", "object"):
        _fail(f"{where}.columns_dtype", "'str' or 'object'")
    cols = desc["columns"]
    if not isinstance(cols, list):
        _fail(f"{where}.columns", "a list")
    expected: dict[str, tuple[np.dtype, tuple[int, ...]]] = {}
    seen = set()
    for j, col in enumerate(cols):
        w = f"{where}.columns[{j}]"
        if not isinstance(col, dict) or not isinstance(col.get("name"), str):
            _fail(w, "an object with a text name")
        if col["name"] in seen:
            raise ArtifactError(f"{w}: the column {col['name']!r} is listed twice")
        seen.add(col["name"])
        dtype = col.get("dtype")
        if dtype in TEXT_DTYPES:
            check_keys(col, {"name": _any, "dtype": _any, "values": _any}, w)
            values = col["values"]
            if not isinstance(values, list) or len(values) != n:
                _fail(f"{w}.values", f"a list of {n} texts or nulls")
            if not all(v is None or isinstance(v, str) for v in values):
                _fail(f"{w}.values", "texts and nulls only")
        elif dtype in ARRAY_DTYPES:
            check_keys(col, {"name": _any, "dtype": _any}, w)
            expected[f"{key}.c{j}"] = (np.dtype(ARRAY_DTYPES[dtype]), (n,))
            if dtype in _MASKED:
                expected[f"{key}.c{j}.mask"] = (np.dtype(bool), (n,))
        else:
            _fail(f"{w}.dtype", f"one of {[*ARRAY_DTYPES, *TEXT_DTYPES]}")
    return expected


def _any(value: Any, where: str) -> None:
    return None


def decode_table(desc: Mapping[str, Any], arrays: Mapping[str, np.ndarray], key: str):
    """The table of a description checked by :func:`check_table` and its arrays.

    Parameters
    ----------
    desc : mapping
    arrays : mapping of str to ndarray
        Holding the arrays :func:`check_table` named.
    key : str

    Returns
    -------
    DataFrame
        Equal to the table :func:`encode_table` stored, types included.
    """
    index = pd.RangeIndex(desc["rows"], name=desc["index_name"])
    data = {}
    for j, col in enumerate(desc["columns"]):
        dtype = col["dtype"]
        if dtype in TEXT_DTYPES:
            values: Any = pd.array(col["values"], dtype=dtype)
        elif dtype == "boolean":
            values = pd.arrays.BooleanArray(arrays[f"{key}.c{j}"], arrays[f"{key}.c{j}.mask"])
        elif dtype == "Int64":
            values = pd.arrays.IntegerArray(arrays[f"{key}.c{j}"], arrays[f"{key}.c{j}.mask"])
        else:
            values = np.array(arrays[f"{key}.c{j}"], dtype=dtype)
        data[col["name"]] = pd.Series(values, index=index, dtype=dtype, copy=True)
    out = pd.DataFrame(data, index=index)
    out.columns = pd.Index([c["name"] for c in desc["columns"]], dtype=desc["columns_dtype"])
    return out


# ----------------------------------------------------------------------------
# the hypothesis report
# ----------------------------------------------------------------------------
def _setting(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def encode_report(report: HypothesisReport) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A hypothesis report as a JSON description and arrays.

    Parameters
    ----------
    report : HypothesisReport
        What :func:`~leadblackhole.effects.run_hypotheses` returned.

    Returns
    -------
    desc : dict
        ``tables`` (by name, :data:`REPORT_TABLES`), ``johnson_neyman_curves``,
        ``bootstrap``, ``options`` and ``settings``.
    arrays : dict of str to ndarray

    Raises
    ------
    ValueError
        A report whose settings or tables cannot be stored (a programming
        error).
    """
    arrays: dict[str, np.ndarray] = {}

    def table(df: pd.DataFrame | None, key: str) -> dict[str, Any] | None:
        if df is None:
            return None
        if not isinstance(df, pd.DataFrame):
            raise ValueError(f"{key}: a report's table must be a DataFrame or None")
        desc, arr = encode_table(df, key)
        arrays.update(arr)
        return desc

    tables = {name: table(getattr(report, name), f"h.{name}") for name in REPORT_TABLES}
    curves = []
    for i, ((hid, method), jn) in enumerate(report.jn_analyses.items()):
        curves.append(
            {
                "id": hid,
                "method": method,
                "predictor": jn.predictor,
                "moderator": jn.moderator,
                "outcome": jn.outcome,
                "n_boundaries": len(jn.boundaries),
                "regions": table(jn.regions, f"jn{i}.regions"),
                "curve": table(jn.curve, f"jn{i}.curve"),
            }
        )
        lo, hi = jn.observed_range
        arrays[f"jn{i}.scalars"] = np.array([jn.alpha, jn.critical_value, lo, hi], dtype=float)
        arrays[f"jn{i}.boundaries"] = np.array(jn.boundaries, dtype=float)
    boot = report.bootstrap
    bootstrap = None
    if boot is not None:
        bootstrap = {
            "scheme": boot.scheme,
            "seed": int(boot.seed),
            "n_failed": int(boot.n_failed),
            "draws": table(boot.draws, "boot.draws"),
            "table": table(boot.table, "boot.table"),
        }
    settings = dict(report.settings)
    if not all(isinstance(k, str) and _setting(v) for k, v in settings.items()):
        raise ValueError("the report's settings must be texts, numbers, flags or nulls")
    options = {"variance": report.options.variance, "alpha": float(report.options.alpha)}
    desc = {
        "tables": tables,
        "johnson_neyman_curves": curves,
        "bootstrap": bootstrap,
        "options": options,
        "settings": settings,
    }
    return desc, arrays


def _text(value: Any, where: str) -> None:
    if not isinstance(value, str) or not value:
        _fail(where, "a non-empty text")


def _count(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(where, "a whole number of at least 0")


def check_report(desc: Any, where: str) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
    """Check a stored hypothesis report; the arrays it needs, with their types and shapes.

    Parameters
    ----------
    desc : object
        The parsed JSON value.
    where : str
        Where it is in the artifact, for the messages.

    Returns
    -------
    dict of str to (dtype, shape)

    Raises
    ------
    ArtifactError
        A description outside the schema: unknown or missing fields, a table
        missing, a Johnson–Neyman curve listed twice, options or settings of
        the wrong types.
    """
    spec = dict.fromkeys(
        ("tables", "johnson_neyman_curves", "bootstrap", "options", "settings"), _any
    )
    check_keys(desc, spec, where)
    expected: dict[str, tuple[np.dtype, tuple[int, ...]]] = {}
    tables = check_keys(desc["tables"], dict.fromkeys(REPORT_TABLES, _any), f"{where}.tables")
    for name in REPORT_TABLES:
        if tables[name] is None and name in _OPTIONAL_TABLES:
            continue
        expected |= check_table(tables[name], f"h.{name}", f"{where}.tables.{name}")
    curves = desc["johnson_neyman_curves"]
    if not isinstance(curves, list):
        _fail(f"{where}.johnson_neyman_curves", "a list")
    seen = set()
    curve_spec = {
        "id": _text,
        "method": lambda v, w: None if v in _JN_METHODS else _fail(w, f"one of {_JN_METHODS}"),
        "predictor": _text,
        "moderator": _text,
        "outcome": _text,
        "n_boundaries": _count,
        "regions": _any,
        "curve": _any,
    }
    for i, curve in enumerate(curves):
        w = f"{where}.johnson_neyman_curves[{i}]"
        check_keys(curve, curve_spec, w)
        if (curve["id"], curve["method"]) in seen:
            raise ArtifactError(
                f"{w}: the curve of {curve['id']} ({curve['method']}) is listed twice"
            )
        seen.add((curve["id"], curve["method"]))
        expected |= check_table(curve["regions"], f"jn{i}.regions", f"{w}.regions")
        expected |= check_table(curve["curve"], f"jn{i}.curve", f"{w}.curve")
        expected[f"jn{i}.scalars"] = (np.dtype(float), (4,))
        expected[f"jn{i}.boundaries"] = (np.dtype(float), (curve["n_boundaries"],))
    boot = desc["bootstrap"]
    if boot is not None:
        boot_spec = {"scheme": _text, "seed": _count, "n_failed": _count, "draws": _any}
        check_keys(boot, boot_spec | {"table": _any}, f"{where}.bootstrap")
        expected |= check_table(boot["draws"], "boot.draws", f"{where}.bootstrap.draws")
        expected |= check_table(boot["table"], "boot.table", f"{where}.bootstrap.table")
    options = check_keys(desc["options"], {"variance": _any, "alpha": _any}, f"{where}.options")
    try:
        EffectOptions(variance=options["variance"], alpha=options["alpha"])
    except LeadBlackHoleUserError as exc:
        raise ArtifactError(f"{where}.options: {exc}") from None
    settings = desc["settings"]
    if not isinstance(settings, dict) or not all(_setting(v) for v in settings.values()):
        _fail(f"{where}.settings", "an object of texts, numbers, flags and nulls")
    return expected


def decode_report(desc: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> HypothesisReport:
    """The hypothesis report of a description checked by :func:`check_report`.

    Parameters
    ----------
    desc : mapping
    arrays : mapping of str to ndarray

    Returns
    -------
    HypothesisReport
        Equal to the report :func:`encode_report` stored.
    """
    tables = {
        name: None if d is None else decode_table(d, arrays, f"h.{name}")
        for name, d in desc["tables"].items()
    }
    curves = {}
    for i, c in enumerate(desc["johnson_neyman_curves"]):
        alpha, critical, lo, hi = (float(x) for x in arrays[f"jn{i}.scalars"])
        curves[(c["id"], c["method"])] = JohnsonNeyman(
            predictor=c["predictor"],
            moderator=c["moderator"],
            outcome=c["outcome"],
            method=c["method"],
            alpha=alpha,
            critical_value=critical,
            boundaries=np.array(arrays[f"jn{i}.boundaries"], dtype=float),
            regions=decode_table(c["regions"], arrays, f"jn{i}.regions"),
            curve=decode_table(c["curve"], arrays, f"jn{i}.curve"),
            observed_range=(lo, hi),
        )
    boot = desc["bootstrap"]
    bootstrap = None
    if boot is not None:
        bootstrap = BootstrapResult(
            draws=decode_table(boot["draws"], arrays, "boot.draws"),
            table=decode_table(boot["table"], arrays, "boot.table"),
            scheme=boot["scheme"],
            seed=boot["seed"],
            n_failed=boot["n_failed"],
        )
    return HypothesisReport(
        **{name: tables[name] for name in REPORT_TABLES},
        jn_analyses=curves,
        bootstrap=bootstrap,
        options=EffectOptions(**desc["options"]),
        settings=dict(desc["settings"]),
    )
