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

    [scales.tracking]
    items = ["Q6_1", "Q6_2", "Q6_3", "Q6_4"]

    [scales.commitment]       # any further scale: items become commitment_1..k
    items = ["Q7_1", "Q7_2"]

    [bounds]                  # optional: replace a plausibility bound (schema.PLAUSIBLE_MAX)
    experience = 70

    [extra]                   # optional: extra numeric columns a command may name
    campaign_budget = "Q40"   # (an instrument, an exclusion variable): name = file column

A scale may not take a reserved name (:data:`~leadblackhole.data.schema.RESERVED_NAMES`:
schema columns, analysis variables, shares), a scale table holds only ``items``
and ``reverse`` (both lists of column names), and unknown sections or keys are errors.
Columns the codebook does not name keep their names. A reverse-coded item
``x`` is recoded as ``8 - x`` (``LIKERT_MIN + LIKERT_MAX - x``) after the range
check. Scales ``prequal`` and ``tracking`` map to the canonical prefixes
``pq`` and ``mt``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..exceptions import CodebookError
from .schema import (
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

__all__ = ["Codebook", "ScaleSpec", "load_codebook"]

_KNOWN = set(REQUIRED_COLUMNS) | set(NUMERIC_COLUMNS)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ScaleSpec:
    """Items of one scale in the file's own names, and which are reverse-coded."""

    name: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()

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
    extra : Mapping[str, str]
        Extra column name (as commands name it) -> the file's column name.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    scales: tuple[ScaleSpec, ...] = ()
    source: str = "<codebook>"
    bounds: Mapping[str, float] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)

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
    return parse_codebook(raw, source=path.name)


def parse_codebook(raw: Mapping, source: str = "<codebook>") -> Codebook:
    """Check a codebook given as a mapping (the parsed TOML); see :func:`load_codebook`."""
    problems: list[str] = []
    unknown_sections = set(raw) - {"columns", "scales", "bounds", "extra"}
    if unknown_sections:
        problems.append(
            f"unknown section(s) {sorted(unknown_sections)}; expected 'columns', 'scales', "
            "'bounds', 'extra'"
        )
    columns = raw.get("columns", {})
    if not isinstance(columns, Mapping):
        problems.append("[columns] must be a table of canonical name = file column")
        columns = {}
    for canon, col in columns.items():
        if canon not in _KNOWN:
            problems.append(f"[columns] names unknown canonical column '{canon}'")
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
        unknown_keys = sorted(set(spec) - {"items", "reverse"})
        if unknown_keys:
            problems.append(
                f"[scales.{name}] has unknown key(s) {unknown_keys}; expected 'items', 'reverse'"
            )
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
        scales.append(ScaleSpec(name, tuple(items), tuple(reverse)))
    extra_raw = raw.get("extra", {})
    if not isinstance(extra_raw, Mapping):
        problems.append("[extra] must be a table of extra column name = file column")
        extra_raw = {}
    extra = {}
    for name, col in extra_raw.items():
        why = extra_name_problem(name)
        if why is not None:
            problems.append(f"[extra] {why}")
        elif not isinstance(col, str) or not col:
            problems.append(f"[extra] {name} must map to a column name (text)")
        else:
            extra[name] = col
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
                f"expected one of {sorted(PLAUSIBLE_MAX)}"
            )
        elif isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            problems.append(f"[bounds] {col} must be a number > 0; received {value!r}")
        else:
            bounds[col] = float(value)
    if problems:
        raise CodebookError(f"codebook {source}: " + "; ".join(problems))
    return Codebook(
        columns=dict(columns), scales=tuple(scales), source=source, bounds=bounds, extra=extra
    )
