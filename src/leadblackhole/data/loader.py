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

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..exceptions import Problem, SurveyValidationError
from .codebook import Codebook, load_codebook
from .schema import (
    LIKERT_MAX,
    LIKERT_MIN,
    NUMERIC_RULES,
    OPTIONAL_COLUMNS,
    PERCENT_COLUMNS,
    PERCENT_SUM_TOLERANCE,
    PLAUSIBLE_MAX,
    REQUIRED_COLUMNS,
    SCALE_PREFIXES,
    extra_name_problem,
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
    reversed_items : tuple of str
        Items recoded as reverse-worded.
    columns : Mapping[str, str]
        Canonical name -> the file's own column name, for every column a
        codebook renamed (messages name both).
    extra : tuple of str
        Extra numeric columns kept because a command named them (instruments,
        exclusion variables); they follow the schema's columns in ``data``.
    """

    data: pd.DataFrame
    scales: Mapping[str, tuple[str, ...]]
    source: str = "<data>"
    reversed_items: tuple[str, ...] = field(default=())
    columns: Mapping[str, str] = field(default_factory=dict)
    extra: tuple[str, ...] = field(default=())

    def column_label(self, name: str) -> str:
        """``'name'``, followed by the file's own column name when a codebook renamed it."""
        own = self.columns.get(name)
        return f"'{name}' (column '{own}' of the file)" if own and own != name else f"'{name}'"

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
    if path.is_dir():
        fail("this is a folder, not a survey file; give the path of the file")
    if not path.is_file():
        fail("file not found")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(
            f"the file cannot be read ({exc.strerror or exc}); check its permissions "
            "(for example chmod u+r)"
        )
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
            return _read_csv_text(text, name)
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


#: Rows with a wrong number of fields listed in full before the rest are counted.
_MAX_ROWS_LISTED = 20


_MISSING = float("nan")


def _read_csv_text(text: str, source: str) -> pd.DataFrame:
    """Parse CSV text with the csv module, checking that every row has the header's fields.

    pandas would take a first row with an extra field as an index (shifting every
    column) and fill a truncated row with missing values; here both are problems
    reported with their row. Blank lines are skipped; every cell is text, empty
    cells missing.
    """
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    problems: list[Problem] = []
    n_bad = 0
    try:
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if header is None:
                header = fields
                _delimiter_hint(header, source)
                continue
            # an empty or blank cell is missing (NaN), like pandas.read_csv's
            rows.append([f if f.strip() else _MISSING for f in fields])
            if len(fields) != len(header):
                n_bad += 1
                if n_bad > _MAX_ROWS_LISTED:
                    continue
                row, line = len(rows), reader.line_num
                if len(fields) > len(header):
                    rule = (
                        f"the row has {len(fields)} fields but the header has {len(header)} "
                        f"(line {line} of the file; an unquoted delimiter inside a value?)"
                    )
                else:
                    rule = (
                        f"the row is truncated: {len(fields)} of the header's {len(header)} "
                        f"fields (line {line} of the file)"
                    )
                problems.append(Problem(row, None, None, rule))
    except csv.Error as exc:
        raise SurveyValidationError(
            [Problem(None, None, None, f"the file cannot be read as csv: {exc}")], source=source
        ) from None
    if header is None:
        raise SurveyValidationError([Problem(None, None, None, "the file is empty")], source)
    if problems:
        if n_bad > _MAX_ROWS_LISTED:
            rule = f"{n_bad - _MAX_ROWS_LISTED} more rows with a wrong number of fields"
            problems.append(Problem(None, None, None, rule))
        raise SurveyValidationError(problems, source=source)
    df = pd.DataFrame(rows, columns=range(len(header)), dtype=object)
    df.columns = header  # kept as written: duplicates are reported by the validation
    return df


def _delimiter_hint(header: list[str], source: str) -> None:
    """Stop with a hint when the header looks delimited by ';' or a tab instead of ','."""
    if len(header) > 1:
        return
    for sep, label in ((";", "';'"), ("\t", "a tab")):
        if header[0].count(sep) >= 2:
            rule = (
                f"the file seems to use {label} as delimiter, not ','; save it as "
                "comma-separated CSV (in a spreadsheet: CSV, comma delimited)"
            )
            raise SurveyValidationError([Problem(None, None, None, rule)], source=source)


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


@dataclass
class _Table:
    """The table under validation and what the rules learn about it."""

    df: pd.DataFrame
    display: dict[str, str]  # canonical name -> the file's name, for messages
    scales: dict[str, list[str]]
    reverse: list[str]
    out: pd.DataFrame = field(default_factory=pd.DataFrame)  # cleaned values
    bounds: dict[str, float] = field(default_factory=lambda: dict(PLAUSIBLE_MAX))
    extra: tuple[str, ...] = ()  # extra numeric columns a command named

    def cells(self, mask: pd.Series, col: str, rule: str) -> list[tuple[int, int, Problem]]:
        """One (row, column position, Problem) per flagged cell of ``col``."""
        pos = list(self.df.columns).index(col)
        values = self.df[col]
        return [
            (
                int(i) + 1,
                pos,
                Problem(
                    int(i) + 1,
                    self.display.get(col, col),
                    None if pd.isna(values.iloc[i]) else str(values.iloc[i]),
                    rule,
                ),
            )
            for i in np.flatnonzero(mask.to_numpy())
        ]


def _codebook_rules(df: pd.DataFrame, codebook: Codebook | None) -> tuple[_Table, list[Problem]]:
    """Apply the codebook: the columns it names must exist and must not clash."""
    df = df.copy()
    written = [str(c) for c in df.columns]
    df.columns = [c.strip() for c in written]
    problems = _duplicate_columns(written)
    if problems:
        raise SurveyValidationError(problems)
    table = _Table(df, {c: c for c in df.columns}, {}, [])
    if codebook is None:
        return table, problems
    table.bounds.update(codebook.bounds)
    for c in codebook.file_columns():
        if c not in df.columns:
            _problem(problems, "the codebook names this column but the file lacks it", column=c)
    rename = {k: v for k, v in codebook.rename_map().items() if k in df.columns}
    for c in [v for v in rename.values() if v in df.columns and v not in rename]:
        _problem(
            problems,
            "the codebook maps another column onto this name, which the file already has",
            column=c,
        )
    table.df = df.rename(columns=rename)
    table.display.update({v: k for k, v in rename.items()})
    table.scales = {s.name: s.canonical_items() for s in codebook.scales}
    table.reverse = [r for r in codebook.reverse_items() if r in table.df.columns]
    return table, problems


def _duplicate_columns(written: list[str]) -> list[Problem]:
    """Header names that occur twice once surrounding spaces are trimmed (both named)."""
    seen: dict[str, list[int]] = {}
    for pos, name in enumerate(written):
        seen.setdefault(name.strip(), []).append(pos)
    problems = []
    for name, where in seen.items():
        if len(where) > 1:
            both = " and ".join(f"{written[i]!r} (column {i + 1})" for i in where)
            rule = f"the header names this column more than once: {both}; keep one"
            problems.append(Problem(None, name, None, rule))
    return problems


def _check_scales(t: _Table) -> list[Problem]:
    """Every scale has at least 2 item columns; the two required scales exist."""
    problems: list[Problem] = []
    for name, prefix in SCALE_PREFIXES.items():
        t.scales.setdefault(name, item_columns(t.df.columns, prefix))
    for name, items in t.scales.items():
        present = [c for c in items if c in t.df.columns]
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
        t.scales[name] = present
    return problems


def _check_required(t: _Table) -> list[Problem]:
    """Every required column is present."""
    return [
        Problem(None, c, None, "required column is missing")
        for c in REQUIRED_COLUMNS
        if c not in t.df.columns
    ]


def _check_extra_names(t: _Table) -> list[Problem]:
    """Extra columns a command names: allowed names, present in the file."""
    problems = []
    for name in t.extra:
        why = extra_name_problem(name)
        if why is not None:
            problems.append(Problem(None, name, None, why))
        elif name not in t.df.columns:
            problems.append(
                Problem(
                    None,
                    name,
                    None,
                    "the command names this extra column (an instrument or exclusion "
                    "variable) but the file lacks it; map it in the codebook's [extra] "
                    "section if the file calls it otherwise",
                )
            )
    return problems


def _check_rows(t: _Table) -> list[Problem]:
    """The file has data rows."""
    return (
        [Problem(None, None, None, "the file has a header but no data rows")] if t.df.empty else []
    )


def _check_firms(t: _Table) -> list[Problem]:
    """At least 2 firms (reported, but the cells are still checked)."""
    if t.df.empty or "firm" not in t.df.columns:
        return []
    n_firms = _as_text(t.df["firm"]).dropna().nunique()
    if n_firms >= 2:
        return []
    rule = f"at least 2 firms are required; the file has {n_firms}"
    return [Problem(None, t.display.get("firm", "firm"), None, rule)]


def _check_rep_id(t: _Table) -> list[tuple[int, int, Problem]]:
    """rep_id is non-empty and unique."""
    rep = _as_text(t.df["rep_id"])
    found = t.cells(rep.isna(), "rep_id", "rep_id must not be empty")
    first = {v: i + 1 for i, v in reversed(list(enumerate(rep))) if not pd.isna(v)}
    for i in np.flatnonzero((rep.notna() & rep.duplicated(keep="first")).to_numpy()):
        rule = f"rep_id must be unique (also in row {first[rep.iloc[i]]})"
        found += t.cells(pd.Series(np.arange(len(rep)) == i), "rep_id", rule)
    t.out["rep_id"] = rep
    t.out["firm"] = _as_text(t.df["firm"])
    return found


def _check_items(t: _Table) -> list[tuple[int, int, Problem]]:
    """Likert items are integers from LIKERT_MIN to LIKERT_MAX; reverse-coded ones flipped."""
    found = []
    for col in [c for items in t.scales.values() for c in items]:
        vals, bad = _numeric(t.df[col])
        found += t.cells(bad, col, "a Likert item must be a number")
        out_of = vals.notna() & (
            (vals < LIKERT_MIN) | (vals > LIKERT_MAX) | (vals != np.round(vals))
        )
        rule = f"a Likert item must be an integer from {LIKERT_MIN} to {LIKERT_MAX}"
        found += t.cells(out_of, col, rule)
        if col in t.reverse:
            vals = (LIKERT_MIN + LIKERT_MAX) - vals
        t.out[col] = vals.mask(out_of)
    return found


def _check_numbers(t: _Table) -> list[tuple[int, int, Problem]]:
    """Numeric columns are finite numbers within their range (``NUMERIC_RULES``)."""
    found = []
    for col in [c for c in NUMERIC_RULES if c in t.df.columns]:
        rule = NUMERIC_RULES[col]
        vals, bad = _numeric(t.df[col])
        found += t.cells(bad, col, f"not a number; {rule.description}")
        infinite = vals.notna() & ~np.isfinite(vals)
        found += t.cells(infinite, col, f"not a finite number; {rule.description}")
        finite = vals.notna() & ~infinite
        low = finite & (vals < rule.low) if rule.low is not None else finite & False
        high = finite & (vals > rule.high) if rule.high is not None else finite & False
        found += t.cells(low | high, col, rule.description)
        bound = t.bounds.get(col)
        if bound is not None:
            rule_text = (
                f"implausible: above the plausibility bound {bound:g} of '{col}' "
                "(a typo? if real, raise the bound in the codebook's [bounds] section)"
            )
            found += t.cells(finite & ~(low | high) & (vals > bound), col, rule_text)
        t.out[col] = vals
    return found


def _check_extra_cells(t: _Table) -> list[tuple[int, int, Problem]]:
    """Extra columns hold finite numbers (empty cells are missing, not errors)."""
    found = []
    for col in t.extra:
        vals, bad = _numeric(t.df[col])
        rule = "not a number; an extra column (instrument, exclusion variable) must be numeric"
        found += t.cells(bad, col, rule)
        infinite = vals.notna() & ~np.isfinite(vals)
        found += t.cells(infinite, col, "not a finite number; an extra column must be finite")
        t.out[col] = vals.mask(infinite)
    return found


def _check_percent_sum(t: _Table) -> list[tuple[int, int, Problem]]:
    """The three time percents sum to 100 within the tolerance."""
    total = t.out[list(PERCENT_COLUMNS)].sum(axis=1, min_count=3)
    off = total.notna() & ((total - 100).abs() > PERCENT_SUM_TOLERANCE)
    where = "+".join(t.display.get(c, c) for c in PERCENT_COLUMNS)
    pos = list(t.df.columns).index("pct_marketing") if "pct_marketing" in t.df else 0
    rule = "the three time percents must sum to 100 (+/- 1)"
    return [
        (int(i) + 1, pos, Problem(int(i) + 1, where, f"{total.iloc[i]:g}", rule))
        for i in np.flatnonzero(off.to_numpy())
    ]


#: Rules on the table's structure: any problem stops validation before the cells.
STRUCTURE_RULES = (_check_scales, _check_required, _check_extra_names, _check_rows)
#: Rules on the whole table that do not stop the cell checks.
TABLE_RULES = (_check_firms,)
#: Rules on the cells, in order; each also stores the cleaned values of its columns.
CELL_RULES = (_check_rep_id, _check_items, _check_numbers, _check_extra_cells, _check_percent_sum)


def validate_survey(
    df: pd.DataFrame,
    codebook: Codebook | None = None,
    source: str = "<data>",
    extra_columns: tuple[str, ...] | list[str] = (),
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
    extra_columns : sequence of str
        Extra numeric columns to keep (instruments, exclusion variables), by
        the name the command uses (a codebook's ``[extra]`` section may map it
        from the file's own name). Each must be present, named as
        :func:`~leadblackhole.data.schema.extra_name_problem` allows, and hold
        finite numbers or empty cells.

    Returns
    -------
    Survey

    Raises
    ------
    SurveyValidationError
        Listing every problem found.

    Notes
    -----
    The contract is a list of rule functions, each returning its problems:
    the codebook's, :data:`STRUCTURE_RULES` (a problem there stops the
    validation before the cells are read), :data:`TABLE_RULES` and
    :data:`CELL_RULES` (cell problems are listed by row, then column).
    """
    try:
        table, problems = _codebook_rules(df, codebook)
    except SurveyValidationError as exc:
        raise SurveyValidationError(exc.problems, source=source) from None
    table.extra = tuple(dict.fromkeys(str(c) for c in extra_columns))
    for rule in STRUCTURE_RULES:
        problems += rule(table)
    table_problems = [p for rule in TABLE_RULES for p in rule(table)]
    if problems:
        raise SurveyValidationError(problems + table_problems, source=source)
    table.out = pd.DataFrame(index=table.df.index)
    cells = sorted((c for rule in CELL_RULES for c in rule(table)), key=lambda c: c[:2])
    problems = table_problems + [p for _, _, p in cells]
    if problems:
        raise SurveyValidationError(problems, source=source)
    items_all = [c for items in table.scales.values() for c in items]
    rest = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in table.out.columns]
    order = ["rep_id", "firm"] + items_all + [c for c in rest if c not in ("rep_id", "firm")]
    order += [c for c in table.extra if c not in order]
    scales = {k: tuple(v) for k, v in table.scales.items()}
    return Survey(
        data=table.out[order].reset_index(drop=True),
        scales=scales,
        source=source,
        reversed_items=tuple(table.reverse),
        columns={k: v for k, v in table.display.items() if k != v},
        extra=table.extra,
    )


def load_survey(
    path: str | Path,
    codebook: str | Path | Codebook | None = None,
    progress: bool = False,
    extra_columns: tuple[str, ...] | list[str] = (),
) -> Survey:
    """Read a survey file, apply an optional codebook and validate it.

    Parameters
    ----------
    path : path-like
        Survey file: CSV, Parquet, Stata ``.dta`` or SPSS ``.sav``.
    codebook : path-like or Codebook, optional
        TOML codebook mapping the file's names onto the canonical schema
        (see :mod:`leadblackhole.data.codebook`).
    progress : bool, default False
        Show a progress bar over the two steps, reading and validating
        (standard error; a survey of 200 000 reps takes a few seconds).
    extra_columns : sequence of str
        Extra numeric columns to keep (see :func:`validate_survey`).

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
    with tqdm(total=2, desc="Survey", unit="step", disable=not progress, leave=False) as bar:
        bar.set_postfix_str("reading")
        raw = read_table(path)
        bar.update()
        bar.set_postfix_str("validating")
        survey = validate_survey(
            raw, codebook=codebook, source=path.name, extra_columns=extra_columns
        )
        bar.update()
    return survey
