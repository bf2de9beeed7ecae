"""Reading a survey file and checking it against the input contract.

:func:`load_survey` reads CSV, Excel ``.xlsx``, Parquet, Stata ``.dta`` and
SPSS ``.sav`` files (:func:`~leadblackhole.data.reader.read_table`), applies an
optional codebook, checks every rule of the canonical schema
(:func:`validate_survey`) and returns a :class:`Survey`. All problems found are collected and
raised together as one :class:`~leadblackhole.exceptions.SurveyValidationError`
listing row (1-based data row), column, value and rule of each. The input file
is only ever opened for reading.

Missing values are not validation errors: they are handled by the
missing-data policy of :func:`leadblackhole.data.frame.build_analysis_frame`.
A cell is missing when it is empty (or a system-missing value in Stata/SPSS),
or when it holds one of the codebook's missing-value codes (``[missing]``):
those cells are turned into missing values before any rule is checked and
counted per column and code in :attr:`Survey.missing_codes`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..exceptions import DataWarning, Problem, SurveyValidationError
from .codebook import DEFAULT_RANGE, Codebook, load_codebook
from .reader import read_table
from .schema import (
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

__all__ = ["MISSING_CODE_COLUMNS", "REVERSED_MARK", "Survey", "load_survey", "validate_survey"]

#: Columns of :attr:`Survey.missing_codes`.
MISSING_CODE_COLUMNS: tuple[str, ...] = ("column", "file_column", "code", "count")

#: Mark after a reverse-coded item's name in tables (:meth:`Survey.item_labels`).
REVERSED_MARK: str = " (R)"


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
    scale_ranges : Mapping[str, tuple of int]
        Scale name -> (lowest, highest) answer of its items, for every scale
        of ``scales``: the codebook's ``range`` or
        :data:`~leadblackhole.data.codebook.DEFAULT_RANGE` (1-7). Labels, axes
        and tables of scale scores read it (:meth:`scale_range`).
    missing_codes : DataFrame
        Cells the codebook's missing-value codes turned into missing values:
        one row per column and code found, ``column`` (canonical name),
        ``file_column`` (the file's name), ``code``, ``count``; empty when the
        codebook declares no codes or none occurs.
    missing_codes_declared : bool
        Whether the codebook declared any missing-value code (the summary then
        says how many cells it turned missing, also when none).
    notes : tuple of str
        Warnings about the data found while loading (a code of ``[missing] all``
        that is also a valid answer of a column where it occurred), also issued
        as :class:`~leadblackhole.exceptions.DataWarning`.
    extra : tuple of str
        Extra numeric columns kept because a command named them (instruments,
        exclusion variables); they follow the schema's columns in ``data``.
    """

    data: pd.DataFrame
    scales: Mapping[str, tuple[str, ...]]
    source: str = "<data>"
    reversed_items: tuple[str, ...] = field(default=())
    columns: Mapping[str, str] = field(default_factory=dict)
    scale_ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    missing_codes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(MISSING_CODE_COLUMNS))
    )
    missing_codes_declared: bool = False
    notes: tuple[str, ...] = ()
    extra: tuple[str, ...] = field(default=())

    def scale_range(self, name: str) -> tuple[int, int]:
        """(lowest, highest) answer of scale ``name`` (1-7 unless the codebook declared one).

        Parameters
        ----------
        name : str
            Scale name (``prequal``, ``tracking`` or a codebook scale).

        Returns
        -------
        tuple of int

        Examples
        --------
        >>> survey.scale_range("prequal")                       # doctest: +SKIP
        (1, 5)
        """
        return tuple(self.scale_ranges.get(name, DEFAULT_RANGE))

    def item_range(self, column: str) -> tuple[int, int]:
        """(lowest, highest) answer of the scale that item ``column`` belongs to.

        Raises
        ------
        KeyError
            If ``column`` is no item of a scale.
        """
        for name, items in self.scales.items():
            if column in items:
                return self.scale_range(name)
        raise KeyError(f"'{column}' is not an item of any scale ({', '.join(self.scales)})")

    def item_labels(self) -> dict[str, str]:
        """Item column -> its name in tables: the file's own name, ``(R)`` after a reversed item.

        Returns
        -------
        dict
            For every item of every scale: the file's column name (the
            canonical name when no codebook renamed it), followed by
            :data:`REVERSED_MARK` when the item was reverse-coded
            (``{"pq_3": "Q5_3 (R)"}``). On a survey that uses the canonical
            names and reverses nothing (the simulated one) every item keeps
            its name.

        Examples
        --------
        >>> survey.item_labels()["pq_3"]                        # doctest: +SKIP
        'Q5_3 (R)'
        """
        reversed_items = set(self.reversed_items)
        labels = {}
        for items in self.scales.values():
            for item in items:
                name = self.columns.get(item, item)
                labels[item] = name + REVERSED_MARK if item in reversed_items else name
        return labels

    def summary_items(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """What the codebook changed, as (line, [(detail, count), ...]) pairs.

        Lines in the form of
        :meth:`~leadblackhole.data.AnalysisFrame.summary_items`: the scales whose
        range is not 1-7, and the cells the missing-value codes turned missing
        (per column and code). Empty for a survey without such a codebook, so
        the validation summary of a default survey is unchanged.
        """
        items: list[tuple[str, list[tuple[str, int]]]] = []
        odd = {k: v for k, v in self.scale_ranges.items() if tuple(v) != DEFAULT_RANGE}
        if odd:
            shown = ", ".join(f"{k} {lo} to {hi}" for k, (lo, hi) in odd.items())
            items.append((f"scale ranges other than 1 to 7: {shown}", []))
        if self.missing_codes_declared:
            codes = self.missing_codes
            total = int(codes["count"].sum()) if len(codes) else 0
            details = [
                (f"{_file_label(r.column, r.file_column)} = {_code_text(r.code)}", int(r.count))
                for r in codes.itertuples(index=False)
            ]
            items.append((f"cells holding a missing-value code of the codebook: {total}", details))
        return items

    def summary(self) -> str:
        """:meth:`summary_items` as text, in the layout of ``AnalysisFrame.summary``."""
        lines = []
        for line, details in self.summary_items():
            lines += [line] + [f"  {k:5d}  {detail}" for detail, k in details]
        return "\n".join(lines)

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


def _file_label(column: str, file_column: str) -> str:
    """``'pq_3' (Q5_3)`` when the file names the column otherwise, else ``'pq_3'``."""
    return f"'{column}' ({file_column})" if file_column != column else f"'{column}'"


def _code_text(code) -> str:
    """A missing-value code as written in the codebook (``99``, ``-9``, ``'DK'``)."""
    return repr(code) if isinstance(code, str) else f"{code:g}"


def _problem(problems: list[Problem], rule: str, row=None, column=None, value=None) -> None:
    problems.append(Problem(row, column, None if value is None else str(value), rule))


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
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)  # scale -> (low, high)
    codebook: Codebook | None = None
    missing_found: list[tuple[str, str, object, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings about the data
    extra: tuple[str, ...] = ()  # extra numeric columns a command named

    def item_range(self, col: str) -> tuple[int, int]:
        """(low, high) of the scale holding item ``col``."""
        for name, items in self.scales.items():
            if col in items:
                return self.ranges.get(name, DEFAULT_RANGE)
        return DEFAULT_RANGE  # pragma: no cover - every checked item belongs to a scale

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
    table.ranges.update(codebook.scale_ranges())
    table.codebook = codebook
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


def _apply_missing_codes(t: _Table) -> list[Problem]:
    """Turn the codebook's missing-value codes into missing values, counting them.

    ``all`` applies to the answer columns (the items of every scale, the
    numeric columns of the schema and the extra columns a command named); a
    column listed on its own (by the file's or the canonical name) takes its
    own list instead. A listed column the file lacks is a problem. Any number
    is a valid answer of an extra column, so a code of ``all`` found there is
    also noted (the column may be exempted with ``column = []``).
    """
    cb = t.codebook
    if cb is None or not cb.has_missing_codes:
        return []
    problems: list[Problem] = []
    own: dict[str, tuple] = {}
    for key, codes in cb.missing_columns.items():
        hits = [c for c in t.df.columns if c == key or t.display.get(c) == key]
        if not hits:
            rule = "the codebook's [missing] table names this column but the file lacks it"
            problems.append(Problem(None, key, None, rule))
        elif len(hits) > 1:
            rule = (
                f"the codebook's [missing] table names '{key}', which is both a column of the "
                f"file and the canonical name of another; write the file's name"
            )
            problems.append(Problem(None, key, None, rule))
        else:
            own[hits[0]] = codes
    answers = [c for items in t.scales.values() for c in items]
    answers += [c for c in NUMERIC_RULES if c in t.df.columns]
    answers += [c for c in t.extra if c in t.df.columns and c not in answers]
    targets = {c: cb.missing_all for c in answers} | own
    for col in [c for c in t.df.columns if c in targets]:
        codes = targets[col]
        if not codes:
            continue
        # each form computed only when a code of that kind is declared
        values = _numeric(t.df[col])[0] if any(not isinstance(c, str) for c in codes) else None
        text = _as_text(t.df[col]) if any(isinstance(c, str) for c in codes) else None
        hit_any = pd.Series(False, index=t.df.index)
        for code in codes:
            hit = (text == code) if isinstance(code, str) else (values == code)
            hit = hit.fillna(False).astype(bool) & ~hit_any
            if hit.any():
                t.missing_found.append((col, t.display.get(col, col), code, int(hit.sum())))
                if col not in own and _is_valid_answer(t, col, code):
                    t.notes.append(
                        f"the missing-value code {_code_text(code)} of [missing] all is also a "
                        f"valid answer of {_file_label(col, t.display.get(col, col))}: "
                        f"{int(hit.sum())} such cell(s) turned missing; if they are real "
                        f"answers, exempt the column ({t.display.get(col, col)} = [])"
                    )
            hit_any |= hit
        if hit_any.any():
            t.df[col] = t.df[col].mask(hit_any)
    return problems


def _is_valid_answer(t: _Table, col: str, code) -> bool:
    """Whether a numeric code would pass the column's rules (a code that could be an answer)."""
    if isinstance(code, str):
        return False
    if col in t.extra:  # an extra column takes any finite number
        return True
    if col in NUMERIC_RULES:
        rule = NUMERIC_RULES[col]
        high = min(v for v in (rule.high, t.bounds.get(col), math.inf) if v is not None)
        return (rule.low is None or code >= rule.low) and code <= high
    low, high = t.item_range(col)
    return low <= code <= high and float(code).is_integer()


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
    """Items are integers within their scale's range; reverse-coded ones become low + high - x."""
    found = []
    for col in [c for items in t.scales.values() for c in items]:
        low, high = t.item_range(col)
        vals, bad = _numeric(t.df[col])
        found += t.cells(bad, col, "a Likert item must be a number")
        out_of = vals.notna() & ((vals < low) | (vals > high) | (vals != np.round(vals)))
        rule = f"a Likert item must be an integer from {low} to {high}"
        found += t.cells(out_of, col, rule)
        if col in t.reverse:
            vals = (low + high) - vals
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
#: ``_apply_missing_codes`` runs once the scales' items are known, before any cell is read.
STRUCTURE_RULES = (
    _check_scales,
    _apply_missing_codes,
    _check_required,
    _check_extra_names,
    _check_rows,
)
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
    for note in table.notes:
        warnings.warn(note, DataWarning, stacklevel=2)
    items_all = [c for items in table.scales.values() for c in items]
    rest = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in table.out.columns]
    order = ["rep_id", "firm"] + items_all + [c for c in rest if c not in ("rep_id", "firm")]
    order += [c for c in table.extra if c not in order]
    scales = {k: tuple(v) for k, v in table.scales.items()}
    found = pd.DataFrame(table.missing_found, columns=list(MISSING_CODE_COLUMNS))
    return Survey(
        data=table.out[order].reset_index(drop=True),
        scales=scales,
        source=source,
        reversed_items=tuple(table.reverse),
        columns={k: v for k, v in table.display.items() if k != v},
        scale_ranges={k: tuple(table.ranges.get(k, DEFAULT_RANGE)) for k in scales},
        missing_codes=found.astype({"count": "int64"}),
        missing_codes_declared=codebook is not None and codebook.has_missing_codes,
        notes=tuple(table.notes),
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
        Survey file: CSV, Excel ``.xlsx``, Parquet, Stata ``.dta`` or SPSS ``.sav``.
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
