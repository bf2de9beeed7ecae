"""Codebooks: mapping a survey's own column names onto the canonical schema.

A codebook is a TOML file::

    [columns]                 # canonical name = the file's column name
    rep_id = "RespondentID"
    firm = "Company"
    lead_volume = "Q12"
    experience = "Q20_years"
    quota_pct = "Q21"
    pct_marketing = "Q30_a"
    pct_self = "Q30_b"
    pct_other = "Q30_c"

    [scales.prequal]          # items in order; reverse-coded items listed again
    items = ["Q5_1", "Q5_2", "Q5_3"]
    reverse = ["Q5_3"]
    range = [1, 5]            # optional: lowest and highest answer (default 1-7)

    [scales.tracking]
    items = ["Q6_1", "Q6_2", "Q6_3", "Q6_4"]

    [scales.commitment]       # any further scale: items become commitment_1..k
    items = ["Q7_1", "Q7_2"]

    [bounds]                  # optional: replace a plausibility bound (schema.PLAUSIBLE_MAX)
    experience = 70

    [missing]                 # optional: answer codes that mean "no answer"
    all = [99, -9]            # in every answer column (scale items, numeric columns)
    Q21 = [-9]                # one column's own list replaces `all` there ([] for none)

    [extra]                   # optional: extra numeric columns a command may name
    campaign_budget = "Q40"   # (an instrument, an exclusion variable): name = file column

A scale may not take a reserved name (:data:`~leadblackhole.data.schema.RESERVED_NAMES`:
schema columns, analysis variables, shares), a scale table holds only ``items``,
``reverse`` (both lists of column names) and ``range`` (two integers, lowest and
highest answer; :data:`~leadblackhole.data.schema.LIKERT_MIN` to
:data:`~leadblackhole.data.schema.LIKERT_MAX` when absent), and unknown sections
or keys are errors, answered with the valid names and the closest one.
Columns the codebook does not name keep their names. A reverse-coded item
``x`` of a scale ranging from ``low`` to ``high`` is recoded as
``low + high - x`` after the range check. Scales ``prequal`` and ``tracking``
map to the canonical prefixes ``pq`` and ``mt``.

A ``[missing]`` key is a column of the file (its own name or its canonical
name); its codes, and those of ``all`` in every other answer column, become
missing values before validation (see :func:`~leadblackhole.data.load_survey`).
``rep_id`` takes no missing codes: every rep needs an identifier. A code is a
number (matching any cell of equal numeric value, ``99`` and ``99.0``) or a
text (matching the cell's text, surrounding spaces ignored).
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..exceptions import CodebookError
from .schema import (
    LIKERT_MAX,
    LIKERT_MIN,
    NUMERIC_COLUMNS,
    PLAUSIBLE_MAX,
    REQUIRED_COLUMNS,
    RESERVED_NAMES,
    SCALE_PREFIXES,
    extra_name_problem,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["DEFAULT_RANGE", "Codebook", "MissingCode", "ScaleSpec", "load_codebook"]

_KNOWN = set(REQUIRED_COLUMNS) | set(NUMERIC_COLUMNS)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SECTIONS = ("columns", "scales", "bounds", "missing", "extra")
_SCALE_KEYS = ("items", "reverse", "range")

#: Range of a scale whose codebook table declares none: the study's 1-7 Likert scales.
DEFAULT_RANGE: tuple[int, int] = (LIKERT_MIN, LIKERT_MAX)

#: A missing-value code: a number, or a text matched after trimming spaces.
MissingCode = int | float | str


def suggest(name: str, valid) -> str:
    """The closest valid name (difflib) and every valid one, to follow an unknown ``name``.

    Parameters
    ----------
    name : str
        The name written.
    valid : iterable of str
        The names accepted there.

    Returns
    -------
    str
        ``"did you mean 'x'? (valid: ...)"``, or only the valid names when none is close.

    Examples
    --------
    >>> suggest("quota", ["quota_pct", "firm"])
    "did you mean 'quota_pct'? (valid: 'firm', 'quota_pct')"
    """
    valid = sorted(valid)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    if not close:  # an abbreviation or a prefix: 'quota' for 'quota_pct'
        close = [v for v in valid if v.startswith(name) or name.startswith(v)][:1]
    listed = ", ".join(repr(v) for v in valid)
    return f"did you mean '{close[0]}'? (valid: {listed})" if close else f"expected one of {listed}"


@dataclass(frozen=True)
class ScaleSpec:
    """Items of one scale in the file's own names, which are reverse-coded, and the range.

    Attributes
    ----------
    name : str
        Scale name (``prequal``, ``tracking`` or a further scale).
    items : tuple of str
        The file's item columns, in order.
    reverse : tuple of str
        Items recoded as ``low + high - x``.
    range : tuple of int
        Lowest and highest answer of the items (:data:`DEFAULT_RANGE` unless declared).
    """

    name: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    range: tuple[int, int] = DEFAULT_RANGE

    @property
    def prefix(self) -> str:
        """Canonical item prefix (``pq``, ``mt`` or the scale name)."""
        return SCALE_PREFIXES.get(self.name, self.name)

    def canonical_items(self) -> list[str]:
        """Canonical item names ``<prefix>_1 ... <prefix>_k``."""
        return [f"{self.prefix}_{i}" for i in range(1, len(self.items) + 1)]


@dataclass(frozen=True)
class Codebook:
    """A parsed codebook.

    Attributes
    ----------
    columns : Mapping[str, str]
        Canonical name -> the file's column name.
    scales : tuple of ScaleSpec
        Multi-item scales.
    source : str
        Where the codebook was read from.
    bounds : Mapping[str, float]
        Plausibility bounds that replace those of the schema.
    missing_all : tuple
        Missing-value codes of every answer column (``[missing] all``).
    missing_columns : Mapping[str, tuple]
        Column (as written in the codebook: the file's or the canonical name) ->
        its own missing-value codes, replacing ``missing_all`` there.
    extra : Mapping[str, str]
        Extra column name (as commands name it) -> the file's column name.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    scales: tuple[ScaleSpec, ...] = ()
    source: str = "<codebook>"
    bounds: Mapping[str, float] = field(default_factory=dict)
    missing_all: tuple[MissingCode, ...] = ()
    missing_columns: Mapping[str, tuple[MissingCode, ...]] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_missing_codes(self) -> bool:
        """Whether the codebook declares any missing-value code."""
        return bool(self.missing_all) or any(self.missing_columns.values())

    def scale_ranges(self) -> dict[str, tuple[int, int]]:
        """Scale name -> (lowest, highest) answer, for every scale the codebook declares."""
        return {s.name: s.range for s in self.scales}

    def file_columns(self) -> list[str]:
        """Every file column the codebook names (extra columns included)."""
        cols = list(self.columns.values())
        for s in self.scales:
            cols += list(s.items)
        return cols + list(self.extra.values())

    def rename_map(self) -> dict[str, str]:
        """File column name -> canonical column name."""
        out = {v: k for k, v in self.columns.items()}
        out.update({v: k for k, v in self.extra.items()})
        for s in self.scales:
            out.update(dict(zip(s.items, s.canonical_items(), strict=True)))
        return out

    def reverse_items(self) -> list[str]:
        """Canonical names of reverse-coded items."""
        out = []
        for s in self.scales:
            lookup = dict(zip(s.items, s.canonical_items(), strict=True))
            out += [lookup[r] for r in s.reverse]
        return out


def load_codebook(path: str | Path) -> Codebook:
    """Read and check a TOML codebook.

    Parameters
    ----------
    path : path-like
        The codebook file.

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        If the file cannot be read or parsed, names an unknown canonical
        column, maps two names onto one, or declares a scale with fewer than
        two items or a reverse-coded item that is not among its items.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError(f"codebook {path.name}: file not found") from None
    except IsADirectoryError:
        raise CodebookError(
            f"codebook {path}: this is a folder, not a file; give the path of the TOML file"
        ) from None
    except OSError as exc:
        raise CodebookError(
            f"codebook {path.name}: the file cannot be read ({exc.strerror or exc}); "
            "check its permissions"
        ) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CodebookError(f"codebook {path.name}: not a valid TOML file ({exc})") from None
    except RecursionError:
        raise CodebookError(
            f"codebook {path.name}: arrays or tables nested too deeply for the TOML reader; a "
            "codebook needs at most two levels ([section] name = value or [scales.NAME])"
        ) from None
    return parse_codebook(raw, source=path.name)


def parse_codebook(raw: Mapping, source: str = "<codebook>") -> Codebook:
    """Check a codebook given as a mapping (the parsed TOML); see :func:`load_codebook`."""
    problems: list[str] = []
    for section in sorted(set(raw) - set(_SECTIONS)):
        problems.append(f"unknown section [{section}]; {suggest(section, _SECTIONS)}")
    columns = raw.get("columns", {})
    if not isinstance(columns, Mapping):
        problems.append("[columns] must be a table of canonical name = file column")
        columns = {}
    for canon, col in columns.items():
        if canon not in _KNOWN:
            problems.append(
                f"[columns] names unknown canonical column '{canon}'; {suggest(canon, _KNOWN)}"
            )
        if not isinstance(col, str) or not col:
            problems.append(f"[columns] {canon} must map to a column name (text)")
    scales_raw = raw.get("scales", {})
    if not isinstance(scales_raw, Mapping):
        problems.append("[scales] must be a table of scales")
        scales_raw = {}
    scales = []
    for name, spec in scales_raw.items():
        if not _NAME.match(name):
            problems.append(f"scale name '{name}' is not a valid identifier")
            continue
        if name in RESERVED_NAMES and name not in SCALE_PREFIXES:
            problems.append(
                f"scale name '{name}' is reserved: it is a column or a variable of the "
                "model (docs/data.md lists the reserved names); rename the scale"
            )
            continue
        if not isinstance(spec, Mapping) or not isinstance(spec.get("items"), list):
            problems.append(f"[scales.{name}] needs items = [list of column names]")
            continue
        unknown_keys = sorted(set(spec) - set(_SCALE_KEYS))
        if unknown_keys:
            problems.append(
                f"[scales.{name}] has unknown key(s) {unknown_keys}; "
                + "; ".join(f"'{k}': {suggest(k, _SCALE_KEYS)}" for k in unknown_keys)
            )
        scale_range = _scale_range(name, spec.get("range", list(DEFAULT_RANGE)), problems)
        reverse_raw = spec.get("reverse", [])
        if not isinstance(reverse_raw, list):
            shown = (
                f"the text {reverse_raw!r}" if isinstance(reverse_raw, str) else repr(reverse_raw)
            )
            problems.append(
                f"[scales.{name}] reverse must be a list of column names, received {shown} "
                f'(write reverse = ["..."])'
            )
            reverse_raw = []
        bad = [i for i in [*spec["items"], *reverse_raw] if not isinstance(i, str)]
        if bad:
            problems.append(f"[scales.{name}] column names must be text; received {bad}")
        items = [str(i) for i in spec["items"]]
        reverse = [str(i) for i in reverse_raw]
        if len(items) < 2:
            problems.append(f"scale '{name}' has {len(items)} item(s); a scale needs at least 2")
        if len(set(items)) != len(items):
            problems.append(f"scale '{name}' lists an item twice")
        for r in reverse:
            if r not in items:
                problems.append(f"scale '{name}': reverse-coded item '{r}' is not among its items")
        scales.append(ScaleSpec(name, tuple(items), tuple(reverse), scale_range))
    extra = _extra_columns(raw.get("extra", {}), problems)
    targets = [c for c in columns.values() if isinstance(c, str)]
    targets += list(extra.values())
    for s in scales:
        targets += list(s.items)
    dup = sorted({c for c in targets if targets.count(c) > 1})
    if dup:
        problems.append(f"file column(s) {dup} are mapped more than once")
    bounds_raw = raw.get("bounds", {})
    if not isinstance(bounds_raw, Mapping):
        problems.append("[bounds] must be a table of column = largest plausible value")
        bounds_raw = {}
    bounds = {}
    for col, value in bounds_raw.items():
        if col not in PLAUSIBLE_MAX:
            problems.append(
                f"[bounds] names '{col}', which has no plausibility bound; "
                f"{suggest(col, PLAUSIBLE_MAX)}"
            )
        elif isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            problems.append(f"[bounds] {col} must be a number > 0; received {value!r}")
        else:
            bounds[col] = float(value)
    missing_all, missing_columns = _missing_codes(raw.get("missing", {}), columns, problems)
    if problems:
        raise CodebookError(f"codebook {source}: " + "; ".join(problems))
    return Codebook(
        columns=dict(columns),
        scales=tuple(scales),
        source=source,
        bounds=bounds,
        missing_all=missing_all,
        missing_columns=missing_columns,
        extra=extra,
    )


def _extra_columns(raw, problems: list[str]) -> dict[str, str]:
    """The ``[extra]`` table: allowed extra column name = the file's column name."""
    if not isinstance(raw, Mapping):
        problems.append("[extra] must be a table of extra column name = file column")
        return {}
    extra = {}
    for name, col in raw.items():
        why = extra_name_problem(name)
        if why is not None:
            problems.append(f"[extra] {why}")
        elif not isinstance(col, str) or not col:
            problems.append(f"[extra] {name} must map to a column name (text)")
        else:
            extra[name] = col
    return extra


def _scale_range(name: str, value, problems: list[str]) -> tuple[int, int]:
    """The ``range = [low, high]`` of a scale table: two integers, ``low < high``."""
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        problems.append(
            f"[scales.{name}] range must be two integers, the lowest and the highest answer "
            f"(write range = [1, 5]); received {value!r}"
        )
        return DEFAULT_RANGE
    low, high = value
    if not low < high:
        problems.append(
            f"[scales.{name}] range = {value}: the lowest answer must be below the highest"
        )
        return DEFAULT_RANGE
    return (low, high)


def _codes(where: str, value, problems: list[str]) -> tuple[MissingCode, ...]:
    """A list of missing-value codes: finite numbers or non-empty texts."""
    if not isinstance(value, list):
        problems.append(
            f"[missing] {where} must be a list of codes (write {where} = [99]); received {value!r}"
        )
        return ()
    codes: list[MissingCode] = []
    for v in value:
        if isinstance(v, str) and v.strip():
            codes.append(v.strip())
        elif isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            codes.append(v)
        else:
            problems.append(
                f"[missing] {where}: {v!r} is not a code; a code is a finite number or a "
                "non-empty text"
            )
    if len(set(codes)) != len(codes):
        problems.append(f"[missing] {where} lists a code twice")
    return tuple(codes)


def _missing_codes(
    raw, columns: Mapping, problems: list[str]
) -> tuple[tuple[MissingCode, ...], dict[str, tuple[MissingCode, ...]]]:
    """The ``[missing]`` table: ``all`` and one list per column; never ``rep_id``."""
    if not isinstance(raw, Mapping):
        problems.append("[missing] must be a table of column = [codes] (and all = [codes])")
        return (), {}
    missing_all = _codes("all", raw.get("all", []), problems)
    by_column = {}
    rep_id_names = {"rep_id", columns.get("rep_id")}
    for col, value in raw.items():
        if col == "all":
            continue
        if col in rep_id_names:
            problems.append(
                f"[missing] names '{col}', the rep identifier: it takes no missing codes "
                "(every rep needs an identifier)"
            )
            continue
        by_column[col] = _codes(col, value, problems)
    return missing_all, by_column
