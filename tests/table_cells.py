"""Reading the tables of the package's text outputs back, to check the p-value cells.

A table is read as its header and rows of cell text, from Markdown pipe tables, LaTeX
``tabular`` environments and HTML ``<table>`` elements alike; :func:`zero_p_values`
returns every p-value cell (a column whose header names a p-value, or the value of a
long table's p-value row) and every p in running text that reads ``0.000``;
:func:`citations` finds the author-year citations of a text.
"""

from __future__ import annotations

import html.parser
import re

#: Headers (normalized: lower case, escapes and math dollars removed, spaces as ``_``)
#: and row labels that name a p-value.
_P_NAMES = re.compile(r"^(p|p_?value|pr\(>\|?[zt]\|?\)|p>\|[zt]\||p_[a-z_]+|[a-z_]+_p_?value)$")
_ZERO = re.compile(r"^[−-]?0\.0+$")
#: "p = 0.000", "p 0.000", "p<0.000" in running text (a cell or a sentence).
_TEXT_ZERO = re.compile(r"\bp\s*(?:=|<|≤|\s)\s*[−-]?0\.000\b|\bp = <")


def _norm(cell: str) -> str:
    text = cell.replace("\\", "").replace("$", "").replace("*", "").strip().lower()
    return re.sub(r"[\s-]+", "_", text)


def is_p_name(cell: str) -> bool:
    """Whether a header or row label names a p-value."""
    return bool(_P_NAMES.match(_norm(cell)))


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The pipe tables of a Markdown text: rows of cells, the header first."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", s[1:-1])]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):  # not the rule line
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def latex_tables(text: str) -> list[list[list[str]]]:
    """The ``tabular`` environments of a LaTeX text: rows of cells, the header first."""
    tables = []
    for body in re.findall(r"\\begin\{tabular\}.*?\n(.*?)\\end\{tabular\}", text, re.S):
        rows = []
        for line in body.split(r"\\"):
            line = re.sub(r"\\(toprule|midrule|bottomrule)", "", line).strip()
            if line and not line.startswith(r"\multicolumn"):
                rows.append([c.strip() for c in re.split(r"(?<!\\)&", line)])
        tables.append(rows)
    return tables


class _HtmlTables(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.row: list[str] | None = None
        self.cell: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None and self.tables:
            self.tables[-1].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def html_tables(text: str) -> list[list[list[str]]]:
    """The tables of an HTML page (entities resolved, as a browser shows them)."""
    parser = _HtmlTables()
    parser.feed(text)
    return parser.tables


def tables_of(text: str, kind: str) -> list[list[list[str]]]:
    """The tables of a text output: ``kind`` is ``md``, ``tex`` or ``html``."""
    return {"md": markdown_tables, "tex": latex_tables, "html": html_tables}[kind](text)


def p_value_cells(table: list[list[str]]) -> list[str]:
    """The p-value cells of one table (header row first)."""
    if not table:
        return []
    header, rows = table[0], table[1:]
    cols = [i for i, h in enumerate(header) if is_p_name(h)]
    out = [row[i] for row in rows for i in cols if i < len(row)]
    for row in rows:  # a long table: (check, quantity, value) with a "pvalue" row
        if any(is_p_name(c) for c in row[:-1]):
            out.append(row[-1])
    return out


def zero_p_values(text: str, kind: str) -> list[str]:
    """Every p-value of a text output that reads 0.000 (or ``p = <``): cells and sentences."""
    bad = [c for t in tables_of(text, kind) for c in p_value_cells(t) if _ZERO.match(c.strip())]
    plain = re.sub(r"<[^>]+>", " ", text) if kind == "html" else text
    return bad + _TEXT_ZERO.findall(plain)


def citations(text: str) -> list[tuple[str, str]]:
    """(first author, year) of every author-year citation in ``text``.

    ``Ai & Norton 2003``, ``Sabnis, Chatterjee, Grewal & Lilien (2013)``, ``Carroll et al. 2006``.
    """
    name = r"[A-Z][a-z]+"
    pattern = rf"\b({name})(?:, {name})*(?: & {name})?(?: et al\.)? \(?((?:19|20)\d\d)\b\)?"
    return re.findall(pattern, text)
