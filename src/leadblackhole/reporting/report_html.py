"""The HTML rendering of the report: one self-contained page with its stylesheet.

The Markdown report is made inert as HTML (``<``, ``>`` and every ``&`` that
does not already begin an entity, as entities) before it is converted. Labels
from the data arrive escaped by :func:`~leadblackhole.tables_text.md_escape`
(``&lt;``, ``&amp;``), which this step leaves alone, so a label is escaped exactly
once (``Smith & Sons`` shows as written); the package's own ``p < 0.05`` is
escaped here, and a cell the pipeline already wrote as ``&lt; 0.001`` shows as
``< 0.001``. The figures' links are percent-encoded paths. Nested list items
(indented by two spaces in the pipeline's Markdown) are re-indented to the four
spaces Python-Markdown needs; the figures are embedded, and :data:`REPORT_CSS`
styles the page for the screen and for print (print it to PDF from a browser).
Text columns are left-aligned, numeric columns right-aligned (from each
table's alignment row).
"""

from __future__ import annotations

import base64
import html
import re
import urllib.parse
from pathlib import Path

import markdown

__all__ = ["REPORT_CSS", "inert_html", "report_html"]

#: ``&`` that does not begin a character reference (``&lt;``, ``&#124;``, ``&#x7c;``).
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")
#: A list item indented by 1–3 spaces per level (Python-Markdown needs 4).
_NESTED_ITEM = re.compile(r"^( +)([-*+] |\d+\. )", re.MULTILINE)


def inert_html(text: str) -> str:
    """Make any HTML in Markdown text inert, leaving its character references alone.

    ``<`` and ``>`` become ``&lt;`` and ``&gt;``; a bare ``&`` becomes ``&amp;``,
    while an ``&`` that begins an entity (``&lt;`` written by a table of the
    pipeline) is kept, so the browser shows ``<`` rather than ``&lt;``.

    Examples
    --------
    >>> inert_html("<b> & &lt; 0.001")
    '&lt;b&gt; &amp; &lt; 0.001'
    """
    text = _BARE_AMPERSAND.sub("&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


#: The report's stylesheet (screen and print).
REPORT_CSS = """
:root { color-scheme: light; }
body { font-family: Georgia, "Times New Roman", serif; font-size: 1.05rem; line-height: 1.5;
       color: #1a1a1a; max-width: 46rem; margin: 2.5rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin-bottom: 0.3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
p, li { hyphens: auto; }
table { border-collapse: collapse; margin: 0.6rem 0 1.6rem; font-size: 0.85rem;
        font-family: "Helvetica Neue", Arial, sans-serif; font-variant-numeric: tabular-nums; }
thead th { border-top: 2px solid #333; border-bottom: 1px solid #333; }
tbody tr:last-child td { border-bottom: 2px solid #333; }
th, td { padding: 0.2rem 0.6rem; text-align: left; vertical-align: top; }
/* numbers never break inside a cell ("< 0.001", an interval); a wide table scrolls */
td[style*="right"] { white-space: nowrap; }
table { display: block; max-width: 100%; overflow-x: auto; }
figure, img { max-width: 100%; }
img { display: block; margin: 0.5rem auto 0.2rem; }
em { color: #333; }
code { font-size: 0.9em; }
@media print {
  @page { size: A4; margin: 18mm 16mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table, img { page-break-inside: avoid; break-inside: avoid; }
  img { max-height: 120mm; }
  a { color: inherit; text-decoration: none; }
}
"""


def report_html(md_text: str, results_dir: Path, title: str) -> str:
    """The HTML report: inert user text, embedded figures, the stylesheet.

    Parameters
    ----------
    md_text : str
        The Markdown report (figures linked as PNG files relative to ``results_dir``).
    results_dir : Path
        The folder the Markdown report is written to.
    title : str
        The page title.

    Returns
    -------
    str
        One self-contained HTML page: the figures embedded as data URIs, any HTML
        in the text (a firm label, say) escaped before the Markdown conversion,
        :data:`REPORT_CSS` for the screen and for print.
    """
    images: list[str] = []

    def embed(match: re.Match) -> str:
        alt, src = match.group(1), match.group(2)
        data = (results_dir / urllib.parse.unquote(src)).read_bytes()
        images.append(f"data:image/png;base64,{base64.b64encode(data).decode('ascii')}")
        return f"![{alt}](@@IMAGE{len(images) - 1}@@)"

    text = re.sub(r"!\[([^\]]*)\]\(([^)]+\.png)\)", embed, md_text)
    text = inert_html(text)
    text = _NESTED_ITEM.sub(lambda m: m.group(1) * 2 + m.group(2), text)
    body = markdown.markdown(text, extensions=["tables"])
    for i, uri in enumerate(images):
        body = body.replace(f"@@IMAGE{i}@@", uri)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{REPORT_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )
