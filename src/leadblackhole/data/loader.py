"""Reading a survey file and checking it against the input contract.

:func:`load_survey` reads CSV, Parquet, Stata ``.dta`` and SPSS ``.sav``
files, applies an optional codebook, checks every rule of the canonical
schema and returns a :class:`Survey`. All problems found are collected and
raised together as one :class:`~leadblackhole.exceptions.SurveyValidationError`
listing row (1-based data row), column, value and rule of each. The input file
is only ever opened for reading.

Missing values are not validation errors: they are handled by the
missing-data policy of :func:`leadblackhole.data.frame.build_analysis_frame`.
A cell is missing when it is empty (or a system-missing value in Stata/SPSS).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import Problem, SurveyValidationError
from .codebook import Codebook, load_codebook
from .schema import (
    LIKERT_MAX,
    LIKERT_MIN,
    NUMERIC_RULES,
    OPTIONAL_COLUMNS,
    PERCENT_COLUMNS,
    PERCENT_SUM_TOLERANCE,
    REQUIRED_COLUMNS,
    SCALE_PREFIXES,
    item_columns,
)

__all__ = ["SUPPORTED_SUFFIXES", "Survey", "load_survey", "read_table", "validate_survey"]

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".dta": "stata",
    ".sav": "spss",
    ".zsav": "spss",
}


@dataclass(frozen=True)
class Survey:
    """A survey that satisfies the input contract.

    Attributes
    ----------
    data : DataFrame
        One row per rep, canonical column names; numeric columns as float
        (missing values as NaN), ``rep_id`` and ``firm`` as text; reverse-coded
        items already recoded.
    scales : Mapping[str, tuple of str]
        Scale name -> canonical item columns (``prequal`` and ``tracking``
        always present).
    source : str
        Name of the file read.
    """

    data: pd.DataFrame
    scales: Mapping[str, tuple[str, ...]]
    source: str = "<data>"
    reversed_items: tuple[str, ...] = field(default=())

    @property
    def n_rows(self) -> int:
        """Number of data rows read."""
        return len(self.data)

    @property
    def firms(self) -> list[str]:
        """Distinct firm labels in sorted order (missing labels left out)."""
        return sorted(self.data["firm"].dropna().unique().tolist())


def _problem(problems: list[Problem], rule: str, row=None, column=None, value=None) -> None:
    problems.append(Problem(row, column, None if value is None else str(value), rule))


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a survey file into a DataFrame without interpreting it.

    CSV files are read as text (every cell a string, empty cells missing) so
    that non-numeric values can be reported as they were written.

    Parameters
    ----------
    path : path-like
        ``.csv``/``.txt``, ``.parquet``/``.pq``, ``.dta`` or ``.sav``/``.zsav``.

    Returns
    -------
    DataFrame

    Raises
    ------
    SurveyValidationError
        If the file is missing, empty, binary where text is expected, of an
        unsupported type, or cannot be parsed.
    """
    path = Path(path)
    name = path.name

    def fail(rule: str):
        raise SurveyValidationError([Problem(None, None, None, rule)], source=name)

    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        fail(
            f"unsupported file type '{path.suffix}'; expected one of "
            f"{', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    if not path.is_file():
        fail("file not found")
    raw = path.read_bytes()
    if not raw.strip():
        fail("the file is empty")
    try:
        if kind == "csv":
            if b"\x00" in raw[:65536]:
                fail("the file is binary, not CSV text")
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                fail("the file is not UTF-8 text (save the CSV as UTF-8)")
            return pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                skipinitialspace=True,
            )
        if kind == "parquet":
            return pd.read_parquet(io.BytesIO(raw))
        import pyreadstat  # local import: only needed for Stata/SPSS

        reader = pyreadstat.read_dta if kind == "stata" else pyreadstat.read_sav
        df, _meta = reader(str(path))
        return df
    except SurveyValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is a problem with the file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"the file cannot be read as {kind}: {first}")
    raise AssertionError("unreachable")  # pragma: no cover


def _as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text; missing cells stay missing."""
    out = s.astype("string").str.strip()
    return out.mask(out == "")


def _numeric(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column as numbers; return (values, mask of non-numeric cells)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        vals = pd.to_numeric(s, errors="coerce").astype(float)
        return vals, pd.Series(False, index=s.index)
    text = _as_text(s)
    vals = pd.to_numeric(text, errors="coerce").astype(float)
    bad = text.notna() & vals.isna()
    return vals, bad


def validate_survey(
    df: pd.DataFrame, codebook: Codebook | None = None, source: str = "<data>"
) -> Survey:
    """Check a raw table against the input contract and return a :class:`Survey`.

    Parameters
    ----------
    df : DataFrame
        The table as read (not modified).
    codebook : Codebook, optional
        Mapping of the file's column names onto the canonical schema.
    source : str
        Name used in messages.

    Returns
    -------
    Survey

    Raises
    ------
    SurveyValidationError
        Listing every problem found.
    """
    problems: list[Problem] = []
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    display = {c: c for c in df.columns}  # canonical name -> the file's name for messages
    scale_specs: dict[str, list[str]] = {}
    reverse: list[str] = []
    if codebook is not None:
        missing = [c for c in codebook.file_columns() if c not in df.columns]
        for c in missing:
            _problem(problems, "the codebook names this column but the file lacks it", column=c)
        rename = {k: v for k, v in codebook.rename_map().items() if k in df.columns}
        clash = [v for v in rename.values() if v in df.columns and v not in rename]
        for c in clash:
            _problem(
                problems,
                "the codebook maps another column onto this name, which the file already has",
                column=c,
            )
        df = df.rename(columns=rename)
        display.update({v: k for k, v in rename.items()})
        for s in codebook.scales:
            scale_specs[s.name] = s.canonical_items()
        reverse = [r for r in codebook.reverse_items() if r in df.columns]
    for name, prefix in SCALE_PREFIXES.items():
        if name not in scale_specs:
            scale_specs[name] = item_columns(df.columns, prefix)
    for name, items in scale_specs.items():
        present = [c for c in items if c in df.columns]
        if name in SCALE_PREFIXES and not present:
            prefix = SCALE_PREFIXES[name]
            _problem(
                problems,
                f"required items of scale '{name}' are missing "
                f"(expected columns {prefix}_1, {prefix}_2, ...)",
                column=f"{prefix}_*",
            )
        elif len(present) < 2 and (present or name not in SCALE_PREFIXES):
            _problem(
                problems,
                f"scale '{name}' has {len(present)} item(s); a scale needs at least 2",
                column=present[0] if present else name,
            )
        scale_specs[name] = present
    for col in REQUIRED_COLUMNS:
        if col not in df.columns:
            _problem(problems, "required column is missing", column=col)
    if len(df) == 0:
        _problem(problems, "the file has a header but no data rows")
    elif "firm" in df.columns:
        n_firms = _as_text(df["firm"]).dropna().nunique()
        if n_firms < 2:
            _problem(
                problems,
                f"at least 2 firms are required; the file has {n_firms}",
                column=display.get("firm", "firm"),
            )
    structural = [p for p in problems if "firms are required" not in p.rule]
    if structural:
        raise SurveyValidationError(problems, source=source)

    rows = np.arange(1, len(df) + 1)
    cell_problems: list[tuple[int, int, Problem]] = []
    col_order = {c: i for i, c in enumerate(df.columns)}

    def add_cells(mask: pd.Series, col: str, values: pd.Series, rule: str) -> None:
        idx = np.flatnonzero(mask.to_numpy())
        for i in idx:
            v = values.iloc[i]
            cell_problems.append(
                (
                    rows[i],
                    col_order[col],
                    Problem(
                        int(rows[i]), display.get(col, col), None if pd.isna(v) else str(v), rule
                    ),
                )
            )

    out = pd.DataFrame(index=df.index)
    rep = _as_text(df["rep_id"])
    add_cells(rep.isna(), "rep_id", df["rep_id"], "rep_id must not be empty")
    dup = rep.notna() & rep.duplicated(keep="first")
    first_row = {
        v: r
        for v, r in zip(rep[rep.notna()][::-1], rows[rep.notna().to_numpy()][::-1], strict=True)
    }
    for i in np.flatnonzero(dup.to_numpy()):
        v = rep.iloc[i]
        cell_problems.append(
            (
                rows[i],
                col_order["rep_id"],
                Problem(
                    int(rows[i]),
                    display["rep_id"],
                    str(v),
                    f"rep_id must be unique (also in row {first_row[v]})",
                ),
            )
        )
    out["rep_id"] = rep
    firm = _as_text(df["firm"])
    out["firm"] = firm

    items_all = [c for items in scale_specs.values() for c in items]
    for col in items_all:
        vals, bad = _numeric(df[col])
        add_cells(bad, col, df[col], "a Likert item must be a number")
        ok = vals.notna()
        out_of = ok & ((vals < LIKERT_MIN) | (vals > LIKERT_MAX) | (vals != np.round(vals)))
        add_cells(
            out_of,
            col,
            df[col],
            f"a Likert item must be an integer from {LIKERT_MIN} to {LIKERT_MAX}",
        )
        if col in reverse:
            vals = (LIKERT_MIN + LIKERT_MAX) - vals
        out[col] = vals.mask(out_of)

    numeric_cols = [c for c in NUMERIC_RULES if c in df.columns]
    for col in numeric_cols:
        rule = NUMERIC_RULES[col]
        vals, bad = _numeric(df[col])
        add_cells(bad, col, df[col], f"not a number; {rule.description}")
        ok = vals.notna()
        infinite = ok & ~np.isfinite(vals)
        add_cells(infinite, col, df[col], f"not a finite number; {rule.description}")
        rng = ok & ~infinite
        if rule.low is not None:
            rng_bad = rng & (vals < rule.low)
        else:
            rng_bad = pd.Series(False, index=vals.index)
        if rule.high is not None:
            rng_bad |= rng & (vals > rule.high)
        add_cells(rng_bad, col, df[col], rule.description)
        out[col] = vals

    pct = out[list(PERCENT_COLUMNS)]
    total = pct.sum(axis=1, min_count=3)
    off = total.notna() & ((total - 100).abs() > PERCENT_SUM_TOLERANCE)
    for i in np.flatnonzero(off.to_numpy()):
        cell_problems.append(
            (
                rows[i],
                col_order.get("pct_marketing", 0),
                Problem(
                    int(rows[i]),
                    "+".join(display.get(c, c) for c in PERCENT_COLUMNS),
                    f"{total.iloc[i]:g}",
                    "the three time percents must sum to 100 (+/- 1)",
                ),
            )
        )

    cell_problems.sort(key=lambda t: (t[0], t[1]))
    problems += [p for _, _, p in cell_problems]
    if problems:
        raise SurveyValidationError(problems, source=source)

    order = (
        ["rep_id", "firm"]
        + items_all
        + [
            c
            for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
            if c in out.columns and c not in ("rep_id", "firm")
        ]
    )
    data = out[order].reset_index(drop=True)
    scales = {k: tuple(v) for k, v in scale_specs.items()}
    return Survey(data=data, scales=scales, source=source, reversed_items=tuple(reverse))


def load_survey(path: str | Path, codebook: str | Path | Codebook | None = None) -> Survey:
    """Read a survey file, apply an optional codebook and validate it.

    Parameters
    ----------
    path : path-like
        Survey file: CSV, Parquet, Stata ``.dta`` or SPSS ``.sav``.
    codebook : path-like or Codebook, optional
        TOML codebook mapping the file's names onto the canonical schema
        (see :mod:`leadblackhole.data.codebook`).

    Returns
    -------
    Survey

    Raises
    ------
    SurveyValidationError
        Listing every problem with the file.
    CodebookError
        If the codebook itself is invalid.

    Examples
    --------
    >>> survey = load_survey("data/simulated/reps.csv")   # doctest: +SKIP
    >>> survey.n_rows                                      # doctest: +SKIP
    461
    """
    if codebook is not None and not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    path = Path(path)
    raw = read_table(path)
    return validate_survey(raw, codebook=codebook, source=path.name)
