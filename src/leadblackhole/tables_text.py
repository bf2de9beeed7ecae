"""Table text: tables rendered as CSV, Markdown and LaTeX, user strings escaped, the star table.

The base layer's one place where a table becomes text, and where text from the
user's files is made safe for each format it leaves the program in:

* :func:`table_to_csv`, :func:`table_to_markdown`, :func:`table_to_latex` render a
  DataFrame (the output sets of :mod:`leadblackhole.outputs` stage them); a CSV table
  can carry the data it was computed from in a last column, :data:`DATA_SOURCE_COLUMN`;
* :func:`format_p_value` writes a p-value (``< 0.001`` below 0.001, never ``0.000``) and
  :func:`is_p_value_column` says which columns hold p-values, for every table writer;
* one escaping function per target makes a user string (a firm label, a rep id,
  a file name) inert and shown as written: :func:`md_escape` (Markdown, cells and
  running text, for viewers that render HTML), :func:`html_escape` (HTML text and
  attributes), :func:`tex_escape` (LaTeX), :func:`mpl_escape` (matplotlib text);
* :func:`regression_table` lays out the side-by-side regression table as cells of
  text (coefficients with significance :func:`stars`, standard errors in
  parentheses); its Markdown, LaTeX and HTML renderings and its files come from
  :mod:`leadblackhole.reporting.tables`.

The rule every output follows (``docs/replication.md``): a user string is
escaped once, by the function of the format it is written in, at the moment it
is put into that format's text; the package's own words are not escaped. CSV
and JSON files hold user strings as written (their writers quote them).
"""

from __future__ import annotations

import csv
import html
import io
import math
import unicodedata

import numpy as np
import pandas as pd

__all__ = [
    "DATA_SOURCE_COLUMN",
    "REGRESSION_COLUMNS",
    "ROUNDED_COLUMNS",
    "STARS_LEGEND",
    "P_VALUE_COLUMNS",
    "format_p_value",
    "html_escape",
    "is_p_value_column",
    "md_escape",
    "mpl_escape",
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
    "|": r"\textbar{}",
    "\u2212": "$-$",
}


def _one_line(text: str) -> str:
    """``text`` on one line: every line break (``str.splitlines``) becomes a space."""
    return " ".join(text.splitlines())


def tex_escape(text: object) -> str:
    r"""Escape ``str(text)`` for LaTeX text (character by character, so escapes are not re-escaped).

    The ten characters LaTeX gives a meaning to (``& % $ # _ { } ~ ^ \``) and
    ``< > |`` (which the default font encoding prints as other glyphs) become
    their text commands; line breaks, which would end a table row's paragraph,
    and other control characters, which LaTeX refuses as input, become spaces.

    Parameters
    ----------
    text : object
        Any value; converted with ``str``.

    Returns
    -------
    str

    Examples
    --------
    >>> print(tex_escape("50% & p < 0.05"))
    50\% \& p \textless{} 0.05
    """
    out = []
    for ch in _one_line(str(text)):
        if ch in _TEX_ESCAPE:
            out.append(_TEX_ESCAPE[ch])
        elif unicodedata.category(ch) == "Cc":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _has_carriage_return(df: pd.DataFrame, index: bool) -> bool:
    """Whether a header, an index label (when written) or a text cell holds a ``\\r``."""
    labels = list(df.columns) + (list(df.index) if index else [])
    if any(isinstance(v, str) and "\r" in v for v in labels):
        return True
    return any(
        df[c].map(lambda v: isinstance(v, str) and "\r" in v).any()
        for c in df.columns
        if not pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    )


#: The last column of every CSV table a command writes: the data the table was computed from.
DATA_SOURCE_COLUMN = "data_source"


def table_to_csv(df: pd.DataFrame, index: bool = False, data_source: str | None = None) -> str:
    """Render a table as CSV text with full float precision and ``\\n`` line ends.

    Text is written as it is, quoted where the CSV rules need it. The csv writer
    does not quote a lone carriage return under ``\\n`` line ends, where a reader
    ends the row; a table with one in a header or a text cell (a firm label, say)
    is therefore written with every field quoted, so it reads back unchanged.

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
    quoting = csv.QUOTE_ALL if _has_carriage_return(df, index) else csv.QUOTE_MINIMAL
    df.to_csv(buf, index=index, lineterminator="\n", float_format="%.10g", quoting=quoting)
    return buf.getvalue()


#: Markdown characters escaped with a backslash (CommonMark and Python-Markdown both
#: read these escapes); ``(`` and ``)`` act only after ``]``, which is escaped.
_MD_BACKSLASH = frozenset("\\`*_[]|#")
#: Characters written as HTML character references: ``< > &`` (HTML), ``~``
#: (strikethrough) and ``$`` (math in viewers that render it), which not every
#: Markdown processor lets a backslash escape.
_MD_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "~": "&#126;", "$": "&#36;"}


def md_escape(value: object) -> str:
    r"""``str(value)`` as inert Markdown text that shows as written, in a table cell or a sentence.

    Line breaks and other control characters become spaces (a newline would end
    a table row or a list item; Python-Markdown reserves two control characters
    for its own placeholders); ``\ ` * _ [ ] | #`` are escaped with a backslash, so no emphasis,
    code span, link, image, heading or extra table column can start;
    ``< > &`` (and ``~``, ``$``) become character references, so a viewer that
    renders HTML in Markdown (GitHub, Jupyter, Python-Markdown) shows ``<img
    src=x onerror=...>`` as text and ``&amp;`` as typed. Rendered to HTML, the
    result is exactly the original text with its control characters as spaces.

    Parameters
    ----------
    value : object
        Any value; converted with ``str``.

    Returns
    -------
    str

    Notes
    -----
    The package never starts a line with a user string (it always follows the
    package's own words), so the line-start syntax of lists and block quotes
    needs no escape.

    Examples
    --------
    >>> print(md_escape("a|b\n__c__ <i> & $x$"))
    a\|b \_\_c\_\_ &lt;i&gt; &amp; &#36;x&#36;
    """
    out = []
    for ch in _one_line(str(value)):
        if ch in _MD_BACKSLASH:
            out.append("\\" + ch)
        elif unicodedata.category(ch) == "Cc":
            out.append(" ")
        else:
            out.append(_MD_ENTITY.get(ch, ch))
    return "".join(out)


def html_escape(value: object) -> str:
    """``str(value)`` escaped for HTML text and attribute values (``& < > " '``).

    Examples
    --------
    >>> html_escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return html.escape(str(value), quote=True)


def mpl_escape(value: object) -> str:
    r"""``str(value)`` as one line of matplotlib text shown as written, never parsed as math text.

    Matplotlib reads text between two unescaped ``$`` as math text (a firm named
    ``$\undefinedcmd{x}$`` would stop the drawing with a parse error); every
    ``$`` is escaped as ``\$``, which matplotlib shows as ``$``. The figures are
    drawn with ``text.usetex`` off (:data:`leadblackhole.reporting.figures.drawing.FIGURE_RC`),
    so no other character is special. Line breaks and other control characters
    become spaces, and invisible format characters (a byte-order mark, a
    right-to-left override; Unicode category Cf) are left out: the PDF backend
    cannot draw some of them, and they would only hide or reorder the text shown.

    Examples
    --------
    >>> print(mpl_escape(r"$\undefinedcmd{x}$ & Co"))
    \$\undefinedcmd{x}\$ & Co
    """
    out = []
    for ch in _one_line(str(value)):
        category = unicodedata.category(ch)
        if category == "Cc":
            out.append(" ")
        elif category != "Cf":
            out.append(r"\$" if ch == "$" else ch)
    return "".join(out)


#: Columns that hold p-values, and the row labels of a long table whose ``value`` is one.
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
    """The p-value cells of a table (as text), by column: whole p-value columns, and the
    ``value`` cells of a long table's p-value rows (``index`` or ``quantity`` ``pvalue``)."""
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

    Text cells and headers go through :func:`md_escape`, so a newline or ``|`` in a
    label cannot break the table and HTML in it stays text; a text column is shown
    as written even where a cell looks like a number (a firm called ``007``).
    p-values (:func:`is_p_value_column`, and the ``value`` of a long table's p-value
    rows) show as ``< 0.001`` below 0.001.
    """
    shown = df.map(lambda v: md_escape(v) if isinstance(v, str) else v)
    shown = shown.astype(object).where(df.notna().to_numpy(), None)
    colalign = ["right" if pd.api.types.is_numeric_dtype(df[c]) else "left" for c in df.columns]
    # columns of text only: tabulate would otherwise print "007" or "1e3" as numbers
    text_columns = [
        i + int(index)
        for i, c in enumerate(df.columns)
        if df[c].notna().any() and all(isinstance(v, str) for v in df[c].dropna())
    ]
    for col, p in _p_value_cells(df).items():
        shown[col] = [
            format_p_value(pv) if pd.notna(pv) else ("" if pd.isna(v) else format(v, floatfmt))
            for pv, v in zip(p, df[col], strict=True)
        ]
    shown.columns = [md_escape(c) for c in shown.columns]
    if index:
        shown.index = [md_escape(i) if isinstance(i, str) else i for i in shown.index]
        colalign = ["left", *colalign]
    return (
        shown.to_markdown(
            index=index,
            floatfmt=floatfmt,
            missingval="",
            colalign=colalign,
            disable_numparse=text_columns or False,
        )
        + "\n"
    )


def table_to_latex(
    df: pd.DataFrame,
    index: bool = False,
    float_format: str = "%.3f",
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """Render a table as a LaTeX ``tabular`` (booktabs rules); p-values as ``< 0.001``.

    Text cells, headers, the index and the caption go through :func:`tex_escape`.
    """

    def esc(v: object) -> object:
        return tex_escape(v) if isinstance(v, str) else v

    # formatters are not escaped: the p-value text carries its own LaTeX
    cells = {
        esc(col): iter(
            format_p_value(pv, r"\textless{} 0.001")
            if pd.notna(pv)
            else ("" if pd.isna(v) else float_format % v)
            for pv, v in zip(p, df[col], strict=True)
        )
        for col, p in _p_value_cells(df).items()
    }
    formatters = {col: (lambda _v, it=it: next(it)) for col, it in cells.items()}
    shown = df.copy()
    for col in shown.columns:
        if not pd.api.types.is_numeric_dtype(shown[col]) and not pd.api.types.is_bool_dtype(
            shown[col]
        ):
            shown[col] = shown[col].map(esc)
    shown.columns = [esc(c) for c in df.columns]
    if index:
        shown.index = [esc(i) for i in df.index]
    return shown.to_latex(
        index=index,
        formatters=formatters or None,
        float_format=lambda v: float_format % v,
        caption=None if caption is None else tex_escape(caption),
        label=label,
        escape=False,
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
