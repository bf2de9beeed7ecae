"""The replication report: ``results/report.md`` and ``results/report.html``, assembled.

The report is assembled from the files the pipeline wrote (the CSV tables of
``results/``, the regression and comparison tables as Markdown, the figures as
PNG), so it shows exactly what is in ``results/`` and ``figures/``. It reads
like the results section of a paper: one sentence per hypothesis with its
effect per standard deviation and its interval, what agrees and disagrees with
the published findings, the caveats, then the tables and figures
(:mod:`~leadblackhole.reporting.report_sections`), and at the end the works
the text cites (:mod:`~leadblackhole.reporting.report_references`). The HTML version embeds the
figures (one self-contained file) and carries a stylesheet for the screen and
for print (:mod:`~leadblackhole.reporting.report_html`).

Every string that comes from the data (firm labels, rep ids, scale and column
names, the survey's file name) is escaped once, in Markdown by
:func:`~leadblackhole.tables_text.md_escape` (``<``, ``>`` and ``&`` as character
references, so a label such as ``<script>`` shows as text in any viewer); the
HTML conversion then escapes only the package's own ``<``, ``>`` and bare ``&``
(:func:`~leadblackhole.reporting.report_html.inert_html`), so ``Smith & Sons``
shows as written, not as ``Smith &amp; Sons``.
"""

from __future__ import annotations

import os

from ..outputs import OutputSet
from ..tables_text import md_escape
from .report_html import report_html
from .report_references import references_section
from .report_sections import SECTIONS, read_report_inputs

__all__ = ["build_report"]


def build_report(
    results_dir: str | os.PathLike[str],
    figures_dir: str | os.PathLike[str],
    title: str = "Replication report: The Sales Lead Black Hole",
) -> OutputSet:
    """Assemble the report from the pipeline's outputs.

    Parameters
    ----------
    results_dir : path-like
        Folder holding ``validation.md``, ``measurement/`` and ``models/``.
    figures_dir : path-like
        Folder holding the PNG figures.
    title : str
        Report title.

    Returns
    -------
    OutputSet
        Staged ``report.md`` and ``report.html`` (call ``commit()``).

    Notes
    -----
    Each section is shown when its file exists; a missing output of the
    pipeline is named as not produced. Effects per SD use the standard
    deviations of ``measurement/descriptives.csv`` (the analysis sample).
    """
    inputs = read_report_inputs(results_dir, figures_dir)
    missing: list[str] = []
    parts = [f"# {md_escape(title)}", ""]
    for section in SECTIONS:
        parts += section(inputs, missing)
    if missing:
        parts += ["## Not produced", "", "- " + "\n- ".join(missing), ""]
    parts += references_section("\n".join(parts))
    md_text = "\n".join(parts).rstrip() + "\n"
    out = OutputSet(inputs.results)
    out.add_text("report.md", md_text)
    out.add_text("report.html", report_html(md_text, inputs.results, title))
    return out
