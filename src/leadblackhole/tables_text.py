"""Table text: tables rendered as CSV, Markdown and LaTeX, user strings escaped, the star table.

The base layer's one place where a table becomes text:

* :func:`table_to_csv`, :func:`table_to_markdown`, :func:`table_to_latex` render a
  DataFrame (the output sets of :mod:`leadblackhole.outputs` stage them); a CSV table
  can carry the data it was computed from in a last column, :data:`DATA_SOURCE_COLUMN`;
* :func:`format_p_value` writes a p-value (``< 0.001`` below 0.001, never ``0.000``) and
  :func:`is_p_value_column` says which columns hold p-values, for every table writer;
* :func:`escape_markdown_cell`, :func:`html_escape`, :func:`tex_escape` make a user
  string (a firm label, a file name) inert in each format;
* :func:`regression_table` lays out the side-by-side regression table as cells of
  text (coefficients with significance :func:`stars`, standard errors in
  parentheses); its Markdown, LaTeX and HTML renderings and its files come from
  :mod:`leadblackhole.reporting.tables`.
"""

from __future__ import annotations

import html
import io
import math

import numpy as np
import pandas as pd

__all__ = [
    "DATA_SOURCE_COLUMN",
    "REGRESSION_COLUMNS",
    "ROUNDED_COLUMNS",
    "STARS_LEGEND",
    "P_VALUE_COLUMNS",
    "escape_markdown_cell",
    "format_p_value",
    "html_escape",
    "is_p_value_column",
    "regression_table",
    "stars",
    "table_to_csv",
    "table_to_latex",
    "table_to_markdown",
    "tex_escape",
]

_TEX_ESCAPE = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "\u2212": "$-$",
}


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters (character by character, so escapes are not re-escaped).

    Examples
    --------
    >>> print(tex_escape("50% & p < 0.05"))
    50\\% \\& p \\textless{} 0.05
    """
    return "".join(_TEX_ESCAPE.get(ch, ch) for ch in text)


#: The last column of every CSV table a command writes: the data the table was computed from.
DATA_SOURCE_COLUMN = "data_source"


def table_to_csv(df: pd.DataFrame, index: bool = False, data_source: str | None = None) -> str:
    """Render a table as CSV text with full float precision and ``\\n`` line ends.

    Parameters
    ----------
    df : DataFrame
        The table.
    index : bool, default False
        Write the index as the first column(s).
    data_source : str, optional
        The data the table was computed from (``simulated (seed 3)``, or a survey's
        file name and hash: :func:`leadblackhole.data.source.source_column`). When
        given, every row carries it in a last column :data:`DATA_SOURCE_COLUMN`
        (replacing a column of that name), so a copy of the file still says where its
        numbers come from.

    Returns
    -------
    str

    Examples
    --------
    >>> print(table_to_csv(pd.DataFrame({"id": ["H1"], "p_value": [0.02]}), data_source="simulated (seed 3)"))
    id,p_value,data_source
    H1,0.02,simulated (seed 3)
    <BLANKLINE>
    """
    if data_source is not None:
        df = df.drop(columns=DATA_SOURCE_COLUMN, errors="ignore")
        df = df.assign(**{DATA_SOURCE_COLUMN: str(data_source)})
    buf = io.StringIO()
    df.to_csv(buf, index=index, lineterminator="\n", float_format="%.10g")
    return buf.getvalue()


def escape_markdown_cell(value: object) -> str:
    """Text of one Markdown table cell, safe for any user string.

    Line breaks become spaces (a newline would end the table row), ``|`` and
    ``\\`` are escaped, and the characters Markdown reads as emphasis, code,
    links or HTML (``* _ ` [ ] < > &``) are escaped with a backslash or as HTML
    entities, so a label such as ``__import__`` or ``<script>`` is shown as
    written. Rendered to HTML by a Markdown processor the result is inert text.

    Parameters
    ----------
    value : object
        The cell (``str(value)`` is escaped).

    Returns
    -------
    str

    Examples
    --------
    >>> escape_markdown_cell("a|b\n__c__ <i>")
    'a\\|b \\_\\_c\\_\\_ &lt;i&gt;'
    """
    text = " ".join(str(value).splitlines())
    out = []
    for ch in text:
        if ch in "\\|*_`[]#":
            out.append("\\" + ch)
        elif ch in "<>&":
            out.append(html.escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def html_escape(value: object) -> str:
    """``str(value)`` escaped for HTML text and attribute values (``& < > " '``).

    Examples
    --------
    >>> html_escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return html.escape(str(value), quote=True)


#: Column names that hold p-values (besides the adjusted ones, :func:`is_p_value_column`).
P_VALUE_COLUMNS: tuple[str, ...] = ("p_value", "pvalue", "p")


def is_p_value_column(name: object) -> bool:
    """Whether a column (or a long table's row label) holds p-values.

    The names of :data:`P_VALUE_COLUMNS`, adjusted p-values (``p_holm``, ``p_bh``: a
    ``p_`` prefix) and p-values of a named test (``partial_f_p_value``: a
    ``_p_value`` or ``_pvalue`` suffix).

    Examples
    --------
    >>> [is_p_value_column(c) for c in ("p", "p_holm", "partial_f_p_value", "prob_better")]
    [True, True, True, False]
    """
    text = str(name)
    return (
        text in P_VALUE_COLUMNS or text.startswith("p_") or text.endswith(("_p_value", "_pvalue"))
    )


def format_p_value(p: object, less_than: str = "< 0.001") -> str:
    """A p-value with three decimals, ``< 0.001`` below 0.001, empty when missing.

    Examples
    --------
    >>> format_p_value(0.0000123), format_p_value(0.0456), format_p_value(float("nan"))
    ('< 0.001', '0.046', '')
    """
    try:
        v = float(p)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(v):
        return ""
    return less_than if v < 0.001 else f"{v:.3f}"


def _p_value_cells(df: pd.DataFrame) -> dict[str, pd.Series]:
    """The p-value cells of a table, by column: whole p-value columns
    (:func:`is_p_value_column`), and the ``value`` cells of a long table's p-value rows
    (``index`` or ``quantity`` ``pvalue``)."""
    out: dict[str, pd.Series] = {}
    for col in df.columns:
        if is_p_value_column(col) and pd.api.types.is_numeric_dtype(df[col]):
            out[col] = df[col]
    label = next((c for c in ("index", "quantity") if c in df.columns), None)
    if label is not None and "value" in df.columns:
        rows = df[label].map(is_p_value_column).astype(bool)
        if rows.any():
            out["value"] = df["value"].where(rows)
    return out


def table_to_markdown(df: pd.DataFrame, index: bool = False, floatfmt: str = ".3f") -> str:
    """Render a table as GitHub-flavoured Markdown (missing values as empty cells).

    Text cells and headers go through :func:`escape_markdown_cell`, so a newline or
    ``|`` in a label cannot break the table. p-values (:func:`is_p_value_column`, and
    the ``value`` of a long table's p-value rows) show as ``< 0.001`` below 0.001.
    """
    shown = df.map(lambda v: escape_markdown_cell(v) if isinstance(v, str) else v)
    shown = shown.astype(object).where(df.notna().to_numpy(), None)
    colalign = ["right" if pd.api.types.is_numeric_dtype(df[c]) else "left" for c in df.columns]
    for col, p in _p_value_cells(df).items():
        shown[col] = [
            format_p_value(pv) if pd.notna(pv) else ("" if pd.isna(v) else format(v, floatfmt))
            for pv, v in zip(p, df[col], strict=True)
        ]
    shown.columns = [escape_markdown_cell(c) for c in shown.columns]
    if index:
        shown.index = [escape_markdown_cell(i) if isinstance(i, str) else i for i in shown.index]
        colalign = ["left", *colalign]
    return (
        shown.to_markdown(index=index, floatfmt=floatfmt, missingval="", colalign=colalign) + "\n"
    )


def table_to_latex(
    df: pd.DataFrame,
    index: bool = False,
    float_format: str = "%.3f",
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """Render a table as a LaTeX ``tabular`` (booktabs rules); p-values as ``< 0.001``."""
    # formatters are not escaped: the p-value text carries its own LaTeX
    cells = {
        col: iter(
            format_p_value(pv, r"\textless{} 0.001")
            if pd.notna(pv)
            else ("" if pd.isna(v) else float_format % v)
            for pv, v in zip(p, df[col], strict=True)
        )
        for col, p in _p_value_cells(df).items()
    }
    formatters = {col: (lambda _v, it=it: next(it)) for col, it in cells.items()}
    return df.to_latex(
        index=index,
        formatters=formatters or None,
        float_format=lambda v: float_format % v,
        caption=caption,
        label=label,
        escape=True,
        na_rep="",
    )


# ----------------------------------------------------------------------------
# the star table
# ----------------------------------------------------------------------------
#: Columns of the rounding-aware model in the side-by-side table (first, when fitted).
ROUNDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Rounded Dirichlet marketing", "dirichlet_rounded", "marketing"),
    ("Rounded Dirichlet self", "dirichlet_rounded", "self"),
)

#: Columns of the side-by-side table: (header, model label, equation).
REGRESSION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Dirichlet marketing", "dirichlet", "marketing"),
    ("Dirichlet self", "dirichlet", "self"),
    ("OLS", "ols", "marketing"),
    ("Fractional logit", "fractional_logit", "marketing"),
    ("SUR marketing", "sur", "marketing"),
    ("SUR self", "sur", "self"),
)

#: Significance legend of the regression table.
STARS_LEGEND = "* p<0.05, ** p<0.01, *** p<0.001"


def stars(p: float) -> str:
    """Significance stars of a p-value.

    Parameters
    ----------
    p : float
        Two-sided p-value.

    Returns
    -------
    str
        ``"***"`` below 0.001, ``"**"`` below 0.01, ``"*"`` below 0.05, else
        ``""`` (also for NaN).

    Examples
    --------
    >>> stars(0.004), stars(0.2)
    ('**', '')
    """
    if not (isinstance(p, float | int | np.floating) and math.isfinite(p)):
        return ""
    if p < 0.001:
        return "***"
    if p < 0.01:
        return "**"
    if p < 0.05:
        return "*"
    return ""


def _num(x: float, digits: int = 3) -> str:
    if not math.isfinite(x):
        return ""
    s = f"{x:.{digits}f}"
    return "0." + "0" * digits if s == "-0." + "0" * digits else s


def regression_table(
    estimates: pd.DataFrame,
    fit_stats: pd.DataFrame,
    terms: list[str],
    r_squared: dict[str, float] | None = None,
    columns: tuple[tuple[str, str, str], ...] = REGRESSION_COLUMNS,
) -> pd.DataFrame:
    """Side-by-side table of coefficients and standard errors.

    Parameters
    ----------
    estimates : DataFrame
        The long estimates table (columns ``ESTIMATE_COLUMNS``).
    fit_stats : DataFrame
        The fit-statistics table (for the N row).
    terms : list of str
        Terms to show, in order; firm dummies (``firm[...]``) are left out and
        summarized by a "Firm effects" row.
    r_squared : dict, optional
        Header -> R² of the column, shown in an R² row (blank when absent).
    columns : tuple of (header, model, equation)
        The columns.

    Returns
    -------
    DataFrame of str
        First column ``term`` (blank on standard-error rows); then one column
        per header. Cells hold the coefficient with its stars, or the
        standard error in parentheses. Footer rows ``Firm effects``, ``N``
        and ``R²``.
    """
    shown = [t for t in terms if not t.startswith("firm[")]
    has_firms = any(t.startswith("firm[") for t in terms)
    body: list[dict[str, str]] = []
    idx = estimates.set_index(["model", "equation", "term"])
    for term in shown:
        coef_row = {"term": term}
        se_row = {"term": ""}
        for header, model, eq in columns:
            key = (model, eq, term)
            if key in idx.index:
                r = idx.loc[key]
                coef_row[header] = _num(float(r["estimate"])) + stars(float(r["p_value"]))
                se_row[header] = f"({_num(float(r['std_error']))})"
            else:
                coef_row[header] = se_row[header] = ""
        body += [coef_row, se_row]
    n_by_model = dict(zip(fit_stats["model"], fit_stats["n"], strict=True))
    body.append(
        {"term": "Firm effects", **{h: ("Yes" if has_firms else "No") for h, _, _ in columns}}
    )
    body.append(
        {
            "term": "N",
            **{h: str(int(n_by_model[m])) if m in n_by_model else "" for h, m, _ in columns},
        }
    )
    r2 = r_squared or {}
    body.append({"term": "R²", **{h: _num(r2[h]) if h in r2 else "" for h, _, _ in columns}})
    return pd.DataFrame(body, columns=["term"] + [h for h, _, _ in columns])
