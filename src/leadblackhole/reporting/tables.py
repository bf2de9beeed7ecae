"""Every table rendering (Markdown, LaTeX, HTML) and the files of the tables.

The computing packages return tidy DataFrames; this module turns them into
text and stages them in an :class:`~leadblackhole.outputs.OutputSet`:

* :func:`stage_measurement` -- ``<table>.csv/.md/.tex`` of a
  :class:`~leadblackhole.measurement.MeasurementReport`;
* :func:`stage_models` -- ``estimates.csv``, ``fit_stats.csv``,
  ``sur_wald.csv`` and ``regression_table.md/.tex/.html`` of a
  :class:`~leadblackhole.models.ModelReport`;
* :func:`stage_hypotheses` -- ``hypotheses.csv``,
  ``hypotheses_vs_published.md/.tex``, ``simple_slopes.csv``,
  ``johnson_neyman.csv`` (and ``hypotheses_bootstrap.csv``) of a
  :class:`~leadblackhole.effects.HypothesisReport`;
* :func:`write_outputs` -- stage any of these and write them, all or nothing.

Every CSV table is staged with :meth:`~leadblackhole.outputs.OutputSet.add_table`, so
it ends with the output set's ``data_source`` column when the set has one (the
command line gives every set the survey's source).

Labels that depend on the test level (``95% CI``, ``below 0.05``) are
derived from ``alpha``. Every text cell that can hold a user string (firm
labels, file names) is escaped: Markdown with
:func:`~leadblackhole.tables_text.md_escape` (newlines, ``|``, emphasis
and HTML characters), HTML with :func:`~leadblackhole.tables_text.html_escape`,
LaTeX with :func:`~leadblackhole.tables_text.tex_escape`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..outputs import OutputSet
from ..tables_text import (
    STARS_LEGEND,
    format_p_value,
    html_escape,
    md_escape,
    table_to_latex,
    table_to_markdown,
    tex_escape,
)

__all__ = [
    "comparison_latex",
    "comparison_markdown",
    "regression_html",
    "regression_latex",
    "regression_markdown",
    "stage_data_source",
    "stage_fit_tables",
    "stage_hypotheses",
    "stage_measurement",
    "stage_models",
    "stage_table_set",
    "validation_markdown",
    "write_outputs",
]

#: Table formats of a CSV-only table (full precision, the set's ``data_source`` column last).
_CSV = ("csv",)

_SE_NOTE = (
    "Standard errors in parentheses: Dirichlet, inverse observed information; OLS, HC3; "
    "fractional logit, HC0 sandwich; SUR, homoskedastic GLS (systemfit's default)."
)
_SCALE_NOTE = (
    "Coefficients: Dirichlet, log-ratio of the share to the other-work share (alternative "
    "parametrization, constant precision); OLS and fractional logit, marketing share on the "
    "share and log-odds scales; SUR, share scale."
)


def model_notes(
    firms: list[str],
    step: float | None = None,
    cov_type: str = "oim",
    precision: str | None = None,
) -> list[str]:
    """Notes under the regression table (standard errors, scales, firm dummies).

    Parameters
    ----------
    firms : list of str
        Firm labels (the first is the reference).
    step : float, optional
        Rounding step of the rounding-aware Dirichlet columns, when shown.
    cov_type : {"oim", "robust"}
        Covariance of the Dirichlet models.
    precision : str, optional
        Precision formula of the Dirichlet models (default constant).

    Returns
    -------
    list of str
    """
    ref = f" (reference firm {firms[0]})" if firms else ""
    notes = [_SE_NOTE, _SCALE_NOTE]
    if cov_type == "robust":
        notes[0] = notes[0].replace(
            "Dirichlet, inverse observed information", "Dirichlet, sandwich"
        )
    if precision is not None and precision.strip() != "1":
        notes[1] = notes[1].replace("constant precision", f"precision ~ {precision.strip()}")
    if step is not None:
        notes.append(
            f"Rounded Dirichlet: the rounding-aware Dirichlet regression, each reported percent "
            f"read as the cell of shares that round to it (multiples of {step:g}); the main model."
        )
    return notes + [f"Firm dummies{ref} are estimated but not shown."]


def _md_cell(value: Any) -> str:
    """A regression-table cell: numbers with significance stars kept as they are."""
    text = str(value)
    num = text.rstrip("*")
    if num and num.lstrip("-−(").replace(".", "", 1).rstrip(")").isdigit():
        return text  # "0.37***": trailing stars open no emphasis
    return md_escape(text)


def regression_markdown(table: pd.DataFrame, notes: list[str]) -> str:
    headers = [md_escape("Term" if c == "term" else c) for c in table.columns]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join([":---"] + [":---:"] * (len(headers) - 1)) + "|",
    ]
    for row in table.itertuples(index=False):
        cells = [_md_cell(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"Note: {STARS_LEGEND}.", ""]  # the package's own text
    lines += [md_escape(n) for n in notes]  # may name a firm
    return "\n".join(lines).rstrip() + "\n"


def _tex_cell(cell: str) -> str:
    if cell == "R²":
        return "$R^2$"
    if cell.startswith("(") or not cell or cell[0] not in "-0123456789":
        return tex_escape(cell)
    num = cell.rstrip("*")
    star = cell[len(num) :]
    num = tex_escape(num)  # a number is left as it is; any other text is escaped
    num = num.replace("-", "$-$", 1) if num.startswith("-") else num
    return num + (f"$^{{{star}}}$" if star else "")


def regression_latex(table: pd.DataFrame, notes: list[str]) -> str:
    k = len(table.columns) - 1
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\caption{Time shares: main (Dirichlet) and robustness models}",
        r"\label{tab:models}",
        r"\begin{tabular}{l" + "c" * k + "}",
        r"\toprule",
        " & ".join([""] + [tex_escape(c) for c in table.columns[1:]]) + r" \\",
        r"\midrule",
    ]
    footer = {"Firm effects", "N", "R²"}
    ruled = False
    for row in table.itertuples(index=False):
        cells = [str(c) for c in row]
        if cells[0] in footer and not ruled:
            lines.append(r"\midrule")
            ruled = True
        lines.append(" & ".join(_tex_cell(c) for c in cells) + r" \\")
    lines.append(r"\bottomrule")
    legend = r"* $p<0.05$, ** $p<0.01$, *** $p<0.001$"
    lines.append(rf"\multicolumn{{{k + 1}}}{{l}}{{\footnotesize {legend}}} \\")
    for n in notes:
        lines.append(
            rf"\multicolumn{{{k + 1}}}{{p{{0.95\linewidth}}}}"
            rf"{{\footnotesize {tex_escape(n)}}} \\"
        )
    lines += [r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def regression_html(table: pd.DataFrame, notes: list[str]) -> str:
    k = len(table.columns)
    esc = html_escape
    out = [
        '<table class="regression-table">',
        "<caption>Time shares: main (Dirichlet) and robustness models</caption>",
        "<thead>",
        "<tr>"
        + "".join(f"<th>{esc('' if c == 'term' else c)}</th>" for c in table.columns)
        + "</tr>",
        "</thead>",
        "<tbody>",
    ]
    for row in table.itertuples(index=False):
        cells = [str(c) for c in row]
        out.append(
            "<tr>"
            + f'<td style="text-align:left">{esc(cells[0])}</td>'
            + "".join(f'<td style="text-align:center">{esc(c)}</td>' for c in cells[1:])
            + "</tr>"
        )
    out += ["</tbody>", "<tfoot>", f'<tr><td colspan="{k}">{esc(STARS_LEGEND)}</td></tr>']
    out += [f'<tr><td colspan="{k}">{esc(n)}</td></tr>' for n in notes]
    out += ["</tfoot>", "</table>"]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------
# the estimates beside the published findings
# ----------------------------------------------------------------------------
def _fmt_num(v: float, digits: int = 4) -> str:
    if not np.isfinite(v):
        return ""
    return f"{v:.{digits}f}".replace("-", "−")


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):g}%"


def comparison_markdown(
    comparison: pd.DataFrame,
    alpha: float = 0.05,
    main_model: str = "dirichlet",
    step: float | None = None,
    data_notes: Sequence[str] = (),
) -> str:
    """Render ``published_comparison`` as a Markdown table with a short legend.

    Parameters
    ----------
    comparison : DataFrame
        Output of :func:`leadblackhole.effects.published_comparison`.
    alpha : float, default 0.05
        The test level it was made with (intervals of level ``1 - alpha``).
    main_model : str, default "dirichlet"
        The model compared (named in the legend).
    step : float, optional
        The rounding step of the reported percents, when the main model is the
        rounding-aware Dirichlet regression.
    data_notes : sequence of str
        Sentences on the data (for simulated data: that they are simulated and
        that their population effects carry the published signs), shown above and below the table.

    Returns
    -------
    str
        The table, a blank line and a paragraph on units and the agreement rule.
    """
    lines = []
    if data_notes:
        lines += ["**" + md_escape(" ".join(data_notes)) + "**", ""]
    lines += [
        f"| id | published finding | expected | estimate [{_level(alpha)} CI] | p | result "
        "| agrees |",
        "|:---|:---|:---|---:|---:|:---|:---|",
    ]
    for r in comparison.itertuples(index=False):
        ci = f"{_fmt_num(r.estimate)} [{_fmt_num(r.conf_low)}, {_fmt_num(r.conf_high)}]"
        cells = [md_escape(c) for c in (r.id, r.published_finding, r.expected_sign)]
        # the numbers are this function's own text ("< 0.001" is not HTML): not escaped
        cells += [ci, format_p_value(r.p_value)]
        cells += [md_escape(c) for c in (r.result, r.agrees)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Estimates are average effects on the expected time share (a share of 0.01 is one "
        "percentage point of working time): main effects per unit of the predictor, "
        "moderations per unit of predictor times unit of moderator (average cross-partial, "
        "Ai & Norton 2003). A finding agrees when the estimate has the published sign and "
        f"its two-sided p-value is below {alpha:g}.",
        "",
        _main_model_sentence(main_model, step),
    ]
    if data_notes:
        lines += ["", md_escape(" ".join(data_notes))]
    return "\n".join(lines) + "\n"


def _main_model_sentence(main_model: str, step: float | None) -> str:
    if main_model == "dirichlet_rounded":
        return (
            f"Main model: the rounding-aware Dirichlet regression (`dirichlet_rounded`): the "
            f"reported percents are all multiples of {step:g}, so each answer is read as the "
            f"cell of shares that round to it. The exact-share Dirichlet regression "
            "(`dirichlet`), biased on rounded answers, is beside it in `hypotheses.csv`."
        )
    return (
        f"Main model: the Dirichlet regression (`{main_model}`) of the reported shares "
        "(the percents are not treated as rounded)."
    )


def comparison_latex(
    comparison: pd.DataFrame, alpha: float = 0.05, data_notes: Sequence[str] = ()
) -> str:
    """Render ``published_comparison`` as a LaTeX ``tabular`` (booktabs rules).

    Parameters
    ----------
    comparison : DataFrame
        Output of :func:`leadblackhole.effects.published_comparison`.
    alpha : float, default 0.05
        The test level it was made with.
    data_notes : sequence of str
        Sentences on the data, set in a footer row inside the ``tabular`` (so
        they travel with the table when it is pasted elsewhere).

    Returns
    -------
    str
        A ``tabular`` environment; special characters are escaped.
    """
    level = _level(alpha).replace("%", r"\%")
    lines = [
        r"\begin{tabular}{llp{0.34\linewidth}lrll}",
        r"\toprule",
        rf"id & expected & published finding & estimate [{level} CI] & $p$ & result & agrees \\",
        r"\midrule",
    ]
    for r in comparison.itertuples(index=False):
        ci = f"{_fmt_num(r.estimate)} [{_fmt_num(r.conf_low)}, {_fmt_num(r.conf_high)}]"
        cells = [r.id, r.expected_sign, r.published_finding, ci, format_p_value(r.p_value)]
        cells += [r.result, r.agrees]
        lines.append(" & ".join(tex_escape(str(c)) for c in cells) + r" \\")
    lines.append(r"\bottomrule")
    if data_notes:
        note = tex_escape(" ".join(data_notes))
        lines.append(rf"\multicolumn{{7}}{{p{{0.95\linewidth}}}}{{\footnotesize {note}}} \\")
    lines.append(r"\end{tabular}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------
# staging the files
# ----------------------------------------------------------------------------
def validation_markdown(source: Any, frame: Any, data_note: str | None = None) -> str:
    """The ``validation.md`` page: the survey file and the analysis frame's summary.

    Parameters
    ----------
    source : path-like or str
        The survey file.
    frame : AnalysisFrame
    data_note : str, optional
        A sentence on the data (that they are simulated), shown under the file name.

    Returns
    -------
    str
        A Markdown list, exclusion reasons nested with their counts; then the data
        warnings (``frame.notes``) and the influential reps
        (:meth:`~leadblackhole.data.AnalysisFrame.influential_reps`), user strings escaped.
    """
    esc = md_escape
    lines = [f"Survey file: {esc(source)}.", ""]
    if data_note:
        lines += [f"**{esc(data_note)}**", ""]
    for line, reasons in frame.summary_items():
        lines += [f"- {esc(line)}"] + [f"  - {esc(reason)}: {k}" for reason, k in reasons]
    notes = getattr(frame, "notes", ())
    if notes:
        lines += ["", "## Warnings", ""] + [f"- {esc(n)}" for n in notes]
    if hasattr(frame, "influential_reps"):
        table, n_flagged = frame.influential_reps()
        lines += [
            "",
            "## Influential reps",
            "",
            f"Cook's distance on the OLS model of the marketing share (docs/data.md): "
            f"{n_flagged} of {frame.n} reps exceed 4/n = {4 / frame.n:.4f}"
            + (f"; the {len(table)} largest:" if len(table) else "."),
        ]
        if len(table):
            shown = table.assign(
                cooks_distance=table["cooks_distance"].round(4),
                leverage=table["leverage"].round(4),
            )
            lines += ["", table_to_markdown(shown, floatfmt=".4f").rstrip("\n")]
    return "\n".join(lines) + "\n"


def stage_measurement(report: Any, outset: OutputSet, data_notes: Sequence[str] = ()) -> OutputSet:
    """Stage every measurement table as ``<name>.csv``, ``<name>.md`` and ``<name>.tex``.

    Parameters
    ----------
    report : MeasurementReport
    outset : OutputSet
    data_notes : sequence of str
        Sentences on the data (that they are simulated): under each Markdown
        table and as the caption of each LaTeX table.

    Returns
    -------
    OutputSet
        ``outset``.
    """
    return stage_table_set(report.tables, outset, data_notes)


def stage_table_set(
    tables: Mapping[str, pd.DataFrame], outset: OutputSet, data_notes: Sequence[str] = ()
) -> OutputSet:
    """Stage tables as ``<name>.csv``, ``<name>.md`` and ``<name>.tex`` (as the measurement's).

    Parameters
    ----------
    tables : mapping of str to DataFrame
    outset : OutputSet
    data_notes : sequence of str
        Sentences on the data, under each Markdown table and as each LaTeX caption.

    Returns
    -------
    OutputSet
        ``outset``.
    """
    note = " ".join(data_notes)
    for name, df in tables.items():
        if not note:
            outset.add_table(name, df)
            continue
        outset.add_table(name, df, formats=_CSV)
        outset.add_text(
            f"{name}.md", table_to_markdown(df).rstrip("\n") + f"\n\n_{md_escape(note)}_\n"
        )
        outset.add_text(f"{name}.tex", table_to_latex(df, caption=note))
    return outset


def stage_models(report: Any, outset: OutputSet, data_notes: Sequence[str] = ()) -> OutputSet:
    """Stage the model files: estimates, fit statistics, SUR Wald test, regression table.

    Parameters
    ----------
    report : ModelReport
    outset : OutputSet
    data_notes : sequence of str
        Sentences on the data (that they are simulated), first among the
        regression table's notes.

    Returns
    -------
    OutputSet
        ``outset`` with ``estimates.csv``, ``fit_stats.csv``, ``sur_wald.csv``
        (full precision), ``regression_table.md``, ``.tex`` and ``.html``,
        ``skipped_models.csv`` (every model not estimated, with the reason the
        fit recorded) and ``sample.json`` (the firms, the reps of the main
        model and the rounding step), which the report's sentences read.
    """
    notes = [
        *data_notes,
        *model_notes(
            report.firms,
            step=report.rounding_step,
            cov_type=report.cov_type,
            precision=report.precision,
        ),
        *report.extra_notes,
    ]
    outset.add_table("estimates", report.estimates, formats=_CSV)
    outset.add_table("fit_stats", report.fit_stats, formats=_CSV)
    outset.add_table("sur_wald", report.sur_wald_table, formats=_CSV)
    if len(report.precision_tests):
        outset.add_table("precision_tests", report.precision_tests, formats=_CSV)
    outset.add_text("regression_table.md", regression_markdown(report.regression_table, notes))
    outset.add_text("regression_table.tex", regression_latex(report.regression_table, notes))
    outset.add_text("regression_table.html", regression_html(report.regression_table, notes))
    skipped = pd.DataFrame(
        {"model": list(report.skipped), "reason": list(report.skipped.values())},
        columns=["model", "reason"],
    )
    outset.add_table("skipped_models", skipped, formats=_CSV)
    sample = {
        "firms": [str(f) for f in report.firms],
        "n_firms": len(report.firms),
        "n_reps": int(report.main.nobs),
        "rounding_step": report.rounding_step,
    }
    outset.add_text("sample.json", json.dumps(sample, indent=2, sort_keys=True) + "\n")
    return outset


def stage_hypotheses(report: Any, outset: OutputSet, data_notes: Sequence[str] = ()) -> OutputSet:
    """Stage the hypothesis files.

    Parameters
    ----------
    report : HypothesisReport
    outset : OutputSet
    data_notes : sequence of str
        Sentences on the data (for simulated data: that they are simulated and
        that their population effects carry the published signs).

    Returns
    -------
    OutputSet
        ``outset`` with ``hypotheses.csv``, ``hypotheses_vs_published.md``
        and ``.tex``, ``joint_tests.csv``, ``simple_slopes.csv``,
        ``johnson_neyman.csv``, when the firm checks were run ``firm_tests.csv``
        and ``firm_effects.csv``, and when a bootstrap was run
        ``hypotheses_bootstrap.csv``.
    """
    alpha = report.options.alpha
    main = report.settings.get("main_model", "dirichlet")
    step = report.settings.get("rounding_step")
    outset.add_table("hypotheses", report.hypotheses, formats=_CSV)
    notes = tuple(data_notes)
    outset.add_text(
        "hypotheses_vs_published.md",
        comparison_markdown(report.published, alpha, main_model=main, step=step, data_notes=notes),
    )
    outset.add_text("hypotheses_vs_published.tex", comparison_latex(report.published, alpha, notes))
    outset.add_table("joint_tests", report.joint_tests, formats=_CSV)
    if report.firm_tests is not None:
        outset.add_table("firm_tests", report.firm_tests, formats=_CSV)
        outset.add_table("firm_effects", report.per_firm, formats=_CSV)
    outset.add_table("simple_slopes", report.simple_slopes, formats=_CSV)
    outset.add_table("johnson_neyman", report.johnson_neyman, formats=_CSV)
    if report.bootstrap is not None:
        outset.add_table("hypotheses_bootstrap", report.bootstrap.table, formats=_CSV)
    return outset


def stage_fit_tables(
    tables: Mapping[str, pd.DataFrame], outset: OutputSet, data_notes: Sequence[str] = ()
) -> OutputSet:
    """Stage further tables of the fit step as ``<name>.csv`` (full precision).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        ``sensitivity`` on every fit; ``first_stage`` and ``endogeneity_tests``
        when a two-step model was fitted (:attr:`leadblackhole.pipeline.FitResult.tables`).
    outset : OutputSet
    data_notes : sequence of str
        Unused (a CSV file carries no note: the output set's ``data_source`` column says
        where its numbers come from); accepted like the other stage functions.

    Returns
    -------
    OutputSet
        ``outset`` with one CSV file per table.
    """
    for name, table in tables.items():
        outset.add_table(name, table, formats=_CSV)
    return outset


def stage_data_source(source: Any, outset: OutputSet, path: Any = None) -> OutputSet:
    """Stage ``data_source.json``: whether the survey was simulated, for the report.

    Parameters
    ----------
    source : DataSource
        :func:`leadblackhole.data.source.data_source` of the survey (for
        simulated data its ``truth``, the population value of each effect, is
        recorded too).
    outset : OutputSet
    path : path-like, optional
        The survey file (only its name is recorded, so the file is path-free).

    Returns
    -------
    OutputSet
        ``outset`` with ``data_source.json``.
    """
    record = {
        "survey": Path(path).name if path is not None else None,
        "simulated": bool(source.simulated),
        "seed": source.seed,
        "modified": bool(source.modified),
        "label": source.label,
        "agreement_note": source.agreement_note,
        "truth": getattr(source, "truth", None),
    }
    outset.add_text("data_source.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
    return outset


def write_outputs(
    outdir: str | os.PathLike[str] | OutputSet,
    *staged: tuple[Callable[[Any, OutputSet], OutputSet], Any],
) -> dict[str, Path]:
    """Stage reports and write their files to ``outdir``, all of them or none.

    Parameters
    ----------
    outdir : path-like or OutputSet
        Output folder (created when missing), or a prepared
        :class:`~leadblackhole.outputs.OutputSet` (its name, inputs and lock are used).
    *staged : (stage function, report) pairs
        For example ``(stage_models, models), (stage_hypotheses, hyps)``.

    Returns
    -------
    dict of str to Path
        File name -> path written.

    Examples
    --------
    >>> write_outputs("results/models", (stage_models, run_models(frame)))  # doctest: +SKIP
    """
    out = outdir if isinstance(outdir, OutputSet) else OutputSet(outdir)
    for stage, report in staged:
        stage(report, out)
    return dict(out.commit())
