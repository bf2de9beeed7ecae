"""The canonical input schema (docs/study.md): one row per sales rep.

=====================  ============================================  =========================
column                 meaning                                       rule
=====================  ============================================  =========================
rep_id                 rep identifier                                unique, non-empty
firm                   employer label                                text; at least 2 firms
pq_1 ... pq_k          prequalification-quality items                integers 1-7, k >= 2
mt_1 ... mt_k          managerial-tracking items                     integers 1-7, k >= 2
lead_volume            marketing leads received in a typical month   number >= 0
experience             years of sales experience                     number >= 0
quota_pct              last year's quota achievement, percent        number >= 0
variable_pay_pct       variable share of pay, percent (optional)     0-100
pct_marketing,         percent of working time on marketing leads,   each 0-100, the three
pct_self, pct_other    on self-generated leads, on everything else   summing to 100 +/- 1
hours_per_week         weekly working hours (optional)               >= 0
leads_followed_up      marketing leads followed up (optional)        >= 0
=====================  ============================================  =========================

Further multi-item scales may be declared in a codebook; their items are
named ``<scale>_1 ... <scale>_k`` and follow the Likert rule.

Extra numeric columns (an instrument such as a territory's campaign budget, an
exclusion variable of the selection model) are kept when a command names them
(:func:`~leadblackhole.data.load_survey` ``extra_columns=``); a codebook's
``[extra]`` section maps them from the file's own names. They must be finite
numbers and may not take a reserved name (:func:`extra_name_problem`).

Plausibility bounds (:data:`PLAUSIBLE_MAX`) cap the columns without a natural
maximum; a value above its bound fails validation with its row and column.
A codebook's ``[bounds]`` section replaces a bound (``experience = 70``).
The bounds, and why these values, are in docs/data.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "PLAUSIBLE_MAX",
    "RESERVED_NAMES",
    "LIKERT_MAX",
    "LIKERT_MIN",
    "NUMERIC_COLUMNS",
    "OPTIONAL_COLUMNS",
    "PERCENT_COLUMNS",
    "REQUIRED_COLUMNS",
    "SCALE_PREFIXES",
    "ColumnRule",
    "extra_name_problem",
    "item_columns",
]

LIKERT_MIN: int = 1
LIKERT_MAX: int = 7

#: Scale name -> item prefix of the canonical schema.
SCALE_PREFIXES: dict[str, str] = {"prequal": "pq", "tracking": "mt"}

PERCENT_COLUMNS: tuple[str, str, str] = ("pct_marketing", "pct_self", "pct_other")
#: Tolerance on the sum of the three percents.
PERCENT_SUM_TOLERANCE: float = 1.0


@dataclass(frozen=True)
class ColumnRule:
    """Range rule of a numeric column."""

    name: str
    low: float | None
    high: float | None
    description: str


NUMERIC_RULES: dict[str, ColumnRule] = {
    r.name: r
    for r in (
        ColumnRule("lead_volume", 0, None, "lead volume must be a number >= 0"),
        ColumnRule("experience", 0, None, "experience must be a number of years >= 0"),
        ColumnRule("quota_pct", 0, None, "quota achievement must be a percent >= 0"),
        ColumnRule("variable_pay_pct", 0, 100, "variable pay must be a percent between 0 and 100"),
        ColumnRule("pct_marketing", 0, 100, "a time percent must lie between 0 and 100"),
        ColumnRule("pct_self", 0, 100, "a time percent must lie between 0 and 100"),
        ColumnRule("pct_other", 0, 100, "a time percent must lie between 0 and 100"),
        ColumnRule("hours_per_week", 0, None, "weekly hours must be a number >= 0"),
        ColumnRule("leads_followed_up", 0, None, "leads followed up must be a number >= 0"),
    )
}

#: Plausibility bounds: the largest believable value of a column without a natural maximum
#: (docs/data.md gives the reasons). A codebook's ``[bounds]`` section may replace them.
PLAUSIBLE_MAX: dict[str, float] = {
    "experience": 60.0,  # years: a 60-year sales career already starts at 15 and ends at 75
    "quota_pct": 1000.0,  # percent: ten times the quota
    "lead_volume": 5000.0,  # marketing leads a month: ~250 a working day, more than one rep reads
    "hours_per_week": 100.0,  # hours: over 14 a day, seven days a week
    "leads_followed_up": 5000.0,  # as lead_volume
}

REQUIRED_COLUMNS: tuple[str, ...] = (
    "rep_id",
    "firm",
    "lead_volume",
    "experience",
    "quota_pct",
    *PERCENT_COLUMNS,
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("variable_pay_pct", "hours_per_week", "leads_followed_up")
NUMERIC_COLUMNS: tuple[str, ...] = tuple(NUMERIC_RULES)

#: Names a codebook scale may not take: every schema column, every analysis variable and
#: share of the model (docs/study.md), the item prefixes and the frame's own columns. A
#: scale called ``volume`` would otherwise replace ln(1 + lead_volume) in the model.
RESERVED_NAMES: frozenset[str] = frozenset(
    {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *NUMERIC_COLUMNS}
    | {"prequal", "tracking", "volume", "experience", "performance", "variable_pay"}
    | {"marketing", "self", "other", "any_marketing", "row", "reason", "Intercept"}
    | set(SCALE_PREFIXES.values())
)


def item_columns(columns, prefix: str) -> list[str]:
    """Columns named ``<prefix>_<n>``, ordered by ``n``."""
    pat = re.compile(rf"^{re.escape(prefix)}_(\d+)$")
    found = [(int(m.group(1)), c) for c in columns if (m := pat.match(str(c)))]
    return [c for _, c in sorted(found)]


_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def extra_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an extra survey column, or ``None`` when it can.

    An extra column (an instrument, an exclusion variable) must be named like an
    identifier (a letter, then letters, digits or ``_``) and may not take a
    reserved name (:data:`RESERVED_NAMES`: a schema column, an analysis variable
    or share of the model) nor look like a scale item (``pq_1``, ``mt_2``): a
    column called ``volume`` would be confused with ln(1 + lead_volume).

    Examples
    --------
    >>> extra_name_problem("campaign_budget") is None
    True
    >>> extra_name_problem("volume")
    "'volume' is a column or a variable of the model; give the extra column another name"
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        return (
            f"{name!r} is not a valid column name for an extra column "
            "(a letter, then letters, digits or '_')"
        )
    if name in RESERVED_NAMES:
        return (
            f"{name!r} is a column or a variable of the model; give the extra column another name"
        )
    if any(item_columns([name], prefix) for prefix in SCALE_PREFIXES.values()):
        return f"{name!r} is named like a scale item; give the extra column another name"
    return None
