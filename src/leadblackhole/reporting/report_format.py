"""How the report writes numbers and tables: fixed-notation numbers, p-values, Markdown tables.

Every string that comes from the data (firm labels, scale and column names) is
escaped for Markdown by :func:`leadblackhole.tables_text.md_escape` (the package's one
Markdown escaping); :func:`format_table` renders a
results table with readable headers, p-values as ``< 0.001``, counts and
degrees of freedom as integers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..tables_text import format_p_value, is_p_value_column, md_escape

__all__ = [
    "HEADERS",
    "format_level",
    "format_number",
    "format_p",
    "format_p_phrase",
    "format_table",
    "interval_level",
]

#: Human-readable column headers of the tables the report renders.
HEADERS: dict[str, str] = {
    "group": "Group",
    "variable": "Variable",
    "n": "N",
    "mean": "Mean",
    "sd": "SD",
    "min": "Min",
    "max": "Max",
    "model": "Model",
    "log_likelihood": "Log-likelihood",
    "aic": "AIC",
    "bic": "BIC",
    "r_squared": "R²",
    "converged": "Converged",
    "scale": "Scale",
    "n_items": "Items",
    "alpha": "Cronbach's α",
    "alpha_ci_low": "α 95% CI low",
    "alpha_ci_high": "α 95% CI high",
    "composite_reliability": "Composite reliability",
    "ave": "AVE",
    "index": "Index",
    "value": "Value",
    "item": "Item",
    "loading": "Standardized loading",
    "std_error": "SE",
    "scale_a": "Scale A",
    "scale_b": "Scale B",
    "factor_correlation": "Factor correlation",
    "sqrt_ave_a": "√AVE (A)",
    "sqrt_ave_b": "√AVE (B)",
    "fornell_larcker_pass": "Fornell–Larcker met",
    "htmt": "HTMT",
    "htmt_pass": "HTMT below 0.85",
    "check": "Check",
    "quantity": "Quantity",
    "id": "Hypothesis",
    "level": "Moderator level",
    "moderator_value": "Moderator value",
    "estimate": "Effect",
    "p_value": "p",
    "conf_low": "CI low",
    "conf_high": "CI high",
    "term": "Term",
    "equation": "Equation",
    "test": "Test",
    "null": "Null hypothesis",
    "statistic": "Statistic",
    "df": "df",
    "distribution": "Distribution",
    "region": "Region",
    "low": "From",
    "high": "To",
    "sign": "Sign of the effect",
    "share_of_reps": "Reps in the region (%)",
    "predictor": "Predictor",
    "moderator": "Moderator",
    "method": "Method",
    "se": "SE",
    "p": "p",
}

#: Columns that hold counts or degrees of freedom (shown as integers).
_INTEGER_COLUMNS = {"n", "n_items", "df", "region", "df_model", "df_diff", "df_one_factor"}
_INTEGER_COLUMNS |= {"n_boot", "n_failed"}
#: Quantities (rows of long tables) that are counts or degrees of freedom.
_INTEGER_QUANTITIES = {"df", "n_eigenvalues_gt_1", "n_items", "df_one_factor", "df_model"}
_INTEGER_QUANTITIES |= {"df_diff"}


def format_number(v: float, digits: int = 3) -> str:
    """A number in fixed notation (never scientific), minus sign as U+2212.

    Parameters
    ----------
    v : float
        The number (``None`` or a non-finite value gives an empty string).
    digits : int, default 3
        Decimals (one from 1000 on; thousands separated by commas from 10 000 on).

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(-0.0004), format_number(-1.25, 1)
    ('0.000', '−1.2')
    """
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    v = float(v)
    if abs(v) >= 1000:
        digits = 1
    text = f"{v:,.{digits}f}" if abs(v) >= 10000 else f"{v:.{digits}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no "-0.000"
    return text.replace("-", "−")


def format_p(v: float) -> str:
    """A p-value with three decimals, ``< 0.001`` below 0.001 (empty when not finite).

    The report's name for :func:`leadblackhole.tables_text.format_p_value`, which every
    table writer uses.
    """
    return format_p_value(v)


def format_p_phrase(v: float) -> str:
    """A p-value after ``p`` in running text: ``= 0.012`` or ``< 0.001``."""
    text = format_p(v)
    return text if text.startswith("<") else f"= {text}"


def _cell(col: str, v: object, row: Mapping[str, object]) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, float, np.integer, np.floating)):
        quantity = str(row.get("quantity", row.get("index", "")))
        if is_p_value_column(col) or (col == "value" and is_p_value_column(quantity)):
            return format_p(float(v))
        if col in _INTEGER_COLUMNS or (col == "value" and quantity in _INTEGER_QUANTITIES):
            return f"{round(float(v)):d}"
        return format_number(float(v))
    return md_escape(v)  # text, shown as written (a firm called "True" stays "True")


def format_table(
    df: pd.DataFrame,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    own_text: Sequence[str] = (),
) -> str:
    """Render a results table as Markdown: readable headers, p-values, integer df.

    Parameters
    ----------
    df : DataFrame
        A table the pipeline wrote (as read from its CSV).
    columns : sequence of str, optional
        Columns to show, in order (default: all).
    headers : mapping, optional
        Header overrides (default :data:`HEADERS`, else the column name).
    own_text : sequence of str
        Columns whose text cells the report composed itself from numbers (such as
        ``0.026 (p < 0.001)``): shown as they are. Text in any other column may come
        from the user's files and is escaped.

    Returns
    -------
    str
        A Markdown pipe table. p-values show as ``< 0.001`` below 0.001,
        counts and degrees of freedom as integers, other numbers with three
        decimals in fixed notation; every text cell (but those of ``own_text``)
        is escaped with :func:`~leadblackhole.tables_text.md_escape`.

    Examples
    --------
    >>> print(format_table(pd.DataFrame({"test": ["a"], "df": [1.0], "p_value": [1e-9]})))
    | Test | df | p |
    |:---|---:|---:|
    | a | 1 | < 0.001 |
    """
    columns = list(columns) if columns is not None else list(df.columns)
    names = {**HEADERS, **(headers or {})}
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and df[c].dtype != bool for c in columns]
    lines = [
        "| " + " | ".join(md_escape(names.get(c, c.replace("_", " "))) for c in columns) + " |",
        "|" + "|".join("---:" if num else ":---" for num in numeric) + "|",
    ]
    own = set(own_text)

    def cell(c: str, rec: dict) -> str:
        v = rec[c]
        return v if c in own and isinstance(v, str) else _cell(c, v, rec)

    for rec in df.to_dict("records"):
        lines.append("| " + " | ".join(cell(c, rec) for c in columns) + " |")
    return "\n".join(lines)


def interval_level(table: pd.DataFrame) -> float:
    """The confidence level of a table's intervals, from its estimates and standard errors."""
    ok = table[(table["std_error"] > 0) & np.isfinite(table["conf_high"])]
    if ok.empty:
        return 0.95
    z = float(((ok["conf_high"] - ok["estimate"]) / ok["std_error"]).median())
    return round(1 - 2 * stats.norm.sf(z), 3)


def format_level(level: float) -> str:
    """A confidence level as a percentage: ``0.95`` -> ``95%``."""
    return f"{100 * level:g}%"
