"""Estimate the main and robustness models and tabulate them.

:func:`run_models` fits every model of :mod:`leadblackhole.models.main` and
:mod:`leadblackhole.models.robustness` on one analysis frame and returns a
:class:`ModelReport` holding the fitted results and four tables:

``estimates``
    One row per parameter of every model: ``model, equation, term,
    estimate, std_error, statistic, p_value, conf_low, conf_high``.
``fit_stats``
    One row per model: ``model, n, log_likelihood, aic, bic, r_squared,
    converged``.
``sur_wald``
    The cross-equation Wald test of the SUR system.
``regression_table``
    Side-by-side coefficients (stars, standard errors in parentheses) of
    the Dirichlet model's two mean equations, OLS, the fractional logit and
    the two SUR equations, rendered as Markdown, LaTeX and HTML.

:meth:`ModelReport.stage` adds the files ``estimates.csv``,
``fit_stats.csv``, ``sur_wald.csv``, ``regression_table.md``,
``regression_table.tex`` and ``regression_table.html`` to an
:class:`~leadblackhole.outputs.OutputSet`.
"""

from __future__ import annotations

import html
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import EstimationError
from ..outputs import OutputSet, table_to_csv, tex_escape
from ..specification import firm_levels, term_names
from .dirichlet import DirichletRegressionResults
from .main import fit_main_model
from .robustness import (
    ESTIMATE_COLUMNS,
    FIT_STAT_COLUMNS,
    WaldTest,
    fit_fractional_logit,
    fit_ols,
    fit_probit,
    fit_statistics,
    fit_sur,
    leave_one_firm_out,
    probit_skip_reason,
    sur_prequal_wald,
    tidy,
)

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "MODEL_NAMES",
    "OUTPUT_FILES",
    "REGRESSION_COLUMNS",
    "STARS_LEGEND",
    "WALD_COLUMNS",
    "ModelReport",
    "regression_table",
    "run_models",
    "stars",
]

#: Model labels of the estimates and fit-statistics tables (``loo_<firm>`` besides).
MODEL_NAMES: tuple[str, ...] = ("dirichlet", "ols", "fractional_logit", "sur", "probit")

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

#: Columns of the Wald-test table.
WALD_COLUMNS: tuple[str, ...] = (
    "test",
    "null",
    "estimate",
    "std_error",
    "statistic",
    "df",
    "p_value",
    "distribution",
)

#: Files staged by :meth:`ModelReport.stage`.
OUTPUT_FILES: tuple[str, ...] = (
    "estimates.csv",
    "fit_stats.csv",
    "sur_wald.csv",
    "regression_table.md",
    "regression_table.tex",
    "regression_table.html",
)

#: Label of the SUR Wald test in ``sur_wald.csv``.
WALD_TEST_NAME = "sur_prequal_equal_and_opposite"

_SE_NOTE = (
    "Standard errors in parentheses: Dirichlet, inverse observed information; OLS, HC3; "
    "fractional logit, HC0 sandwich; SUR, homoskedastic GLS (systemfit's default)."
)
_SCALE_NOTE = (
    "Coefficients: Dirichlet, log-ratio of the share to the other-work share (alternative "
    "parametrization, constant precision); OLS and fractional logit, marketing share on the "
    "share and log-odds scales; SUR, share scale."
)


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


# ----------------------------------------------------------------------------
# renderers
# ----------------------------------------------------------------------------


def _markdown(table: pd.DataFrame, notes: list[str]) -> str:
    headers = ["Term" if c == "term" else c for c in table.columns]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join([":---"] + [":---:"] * (len(headers) - 1)) + "|",
    ]
    for row in table.itertuples(index=False):
        cells = [str(c).replace("|", "\\|") for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"Note: {STARS_LEGEND}.", ""] + [f"{n}" for n in notes]
    return "\n".join(lines).rstrip() + "\n"


def _tex_cell(cell: str) -> str:
    if cell == "R²":
        return "$R^2$"
    if cell.startswith("(") or not cell or cell[0] not in "-0123456789":
        return tex_escape(cell)
    num = cell.rstrip("*")
    star = cell[len(num) :]
    num = num.replace("-", "$-$", 1) if num.startswith("-") else num
    return num + (f"$^{{{star}}}$" if star else "")


def _latex(table: pd.DataFrame, notes: list[str]) -> str:
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


def _html(table: pd.DataFrame, notes: list[str]) -> str:
    k = len(table.columns)
    esc = html.escape
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
# the report
# ----------------------------------------------------------------------------


@dataclass(eq=False)
class ModelReport:
    """Fitted main and robustness models with their tables.

    Attributes
    ----------
    dirichlet : DirichletRegressionResults
        The main model (:func:`~leadblackhole.models.main.fit_main_model`).
    ols : statsmodels RegressionResultsWrapper
        OLS of the marketing share, HC3 (:func:`~leadblackhole.models.robustness.fit_ols`).
    fractional_logit : statsmodels GLMResultsWrapper
        Fractional logit of the marketing share, HC0.
    sur : linearmodels SystemResults
        SUR of the marketing and self shares.
    sur_wald : WaldTest
        Wald test of ``b[prequal, marketing] + b[prequal, self] = 0``.
    probit : statsmodels BinaryResultsWrapper or None
        Probit of any marketing-lead time; ``None`` when skipped.
    loo : dict of str to DirichletRegressionResults
        Main model without each firm, keyed by the firm left out.
    skipped : dict of str to str
        Models not estimated, with the reason.
    estimates, fit_stats, sur_wald_table, regression_table : DataFrame
        The tables (see the module docstring).
    firms : list of str
        Firm labels of the analysis sample (the first is the reference).
    """

    dirichlet: DirichletRegressionResults
    ols: Any
    fractional_logit: Any
    sur: Any
    sur_wald: WaldTest
    probit: Any
    loo: dict[str, DirichletRegressionResults]
    skipped: dict[str, str]
    estimates: pd.DataFrame
    fit_stats: pd.DataFrame
    sur_wald_table: pd.DataFrame
    regression_table: pd.DataFrame
    firms: list[str] = field(default_factory=list)

    # -- rendering ----------------------------------------------------------
    def _notes(self) -> list[str]:
        ref = f" (reference firm {self.firms[0]})" if self.firms else ""
        return [_SE_NOTE, _SCALE_NOTE, f"Firm dummies{ref} are estimated but not shown."]

    def regression_table_markdown(self) -> str:
        """The side-by-side table as GitHub-flavoured Markdown, with legend and notes.

        Returns
        -------
        str
        """
        return _markdown(self.regression_table, self._notes())

    def regression_table_latex(self) -> str:
        """The side-by-side table as a LaTeX ``table`` (booktabs rules), with legend and notes.

        Returns
        -------
        str
        """
        return _latex(self.regression_table, self._notes())

    def regression_table_html(self) -> str:
        """The side-by-side table as an HTML ``<table>``, with legend and notes.

        Returns
        -------
        str
        """
        return _html(self.regression_table, self._notes())

    def summary(self) -> str:
        """Short text report: models estimated, models skipped and the SUR Wald test.

        Returns
        -------
        str
        """
        lines = [f"models estimated: {', '.join(self.fit_stats['model'])}"]
        lines += [f"model skipped: {name} ({why})" for name, why in self.skipped.items()]
        notconv = self.fit_stats.loc[~self.fit_stats["converged"].astype(bool), "model"]
        if len(notconv):
            lines.append(f"NOT converged: {', '.join(notconv)}")
        lines.append(str(self.sur_wald))
        return "\n".join(lines) + "\n"

    # -- output ---------------------------------------------------------------
    def stage(self, outset: OutputSet) -> OutputSet:
        """Add the model output files to an output set.

        Parameters
        ----------
        outset : OutputSet
            Files are staged, not written; ``outset.commit()`` writes them.

        Returns
        -------
        OutputSet
            ``outset``, with :data:`OUTPUT_FILES` staged: ``estimates.csv``,
            ``fit_stats.csv``, ``sur_wald.csv`` (full precision),
            ``regression_table.md``, ``regression_table.tex`` and
            ``regression_table.html``.
        """
        outset.add_text("estimates.csv", table_to_csv(self.estimates))
        outset.add_text("fit_stats.csv", table_to_csv(self.fit_stats))
        outset.add_text("sur_wald.csv", table_to_csv(self.sur_wald_table))
        outset.add_text("regression_table.md", self.regression_table_markdown())
        outset.add_text("regression_table.tex", self.regression_table_latex())
        outset.add_text("regression_table.html", self.regression_table_html())
        return outset

    def write(self, outdir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write the model output files to a folder (all or nothing).

        Parameters
        ----------
        outdir : path-like
            Output folder; created when missing.

        Returns
        -------
        dict of str to Path
            File name -> path written.
        """
        return dict(self.stage(OutputSet(outdir)).commit())


def run_models(
    frame: AnalysisFrame,
    parametrization: str = "alternative",
    leave_one_out: bool = True,
) -> ModelReport:
    """Fit the main model and every robustness model on one analysis frame.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.
    parametrization : {"alternative", "common"}
        Parametrization of the Dirichlet models (the main model is
        ``"alternative"``).
    leave_one_out : bool, default True
        Re-estimate the Dirichlet model once per firm left out
        (models ``loo_<firm>``).

    Returns
    -------
    ModelReport
        Fitted results and tables. The models in ``estimates`` and
        ``fit_stats`` are ``dirichlet, ols, fractional_logit, sur``, then
        ``probit`` (when the selection sample holds reps without
        marketing-lead time; otherwise it is listed in ``skipped``) and
        ``loo_<firm>`` for each firm.

    Raises
    ------
    EstimationError
        When a share model cannot be estimated (singular design, invalid
        shares).

    Warns
    -----
    ConvergenceWarning
        When an iterative estimator does not converge.
    UserWarning
        When the probit cannot be estimated (for example perfect separation:
        every rep of a firm reports marketing-lead time); it is then listed
        in ``skipped`` with the reason and the other models are kept.
    """
    dirichlet = fit_main_model(frame, parametrization=parametrization)
    ols = fit_ols(frame)
    flogit = fit_fractional_logit(frame)
    sur = fit_sur(frame)
    wald = sur_prequal_wald(sur)
    skipped: dict[str, str] = {}
    reason = probit_skip_reason(frame)
    probit = None
    if reason is None:
        try:
            probit = fit_probit(frame)
        except EstimationError as exc:
            # An auxiliary model: record why it failed instead of losing the others.
            skipped["probit"] = f"not estimable: {exc}"
            warnings.warn(f"the probit was skipped: {exc}", UserWarning, stacklevel=2)
    else:
        skipped["probit"] = reason
    loo = leave_one_firm_out(frame, parametrization=parametrization) if leave_one_out else {}
    if not leave_one_out:
        skipped["leave_one_firm_out"] = "not requested"

    fitted: list[tuple[str, Any]] = [
        ("dirichlet", dirichlet),
        ("ols", ols),
        ("fractional_logit", flogit),
        ("sur", sur),
    ]
    if probit is not None:
        fitted.append(("probit", probit))
    fitted += [(f"loo_{firm}", res) for firm, res in loo.items()]

    estimates = pd.concat([tidy(res, name) for name, res in fitted], ignore_index=True)
    estimates = estimates[list(ESTIMATE_COLUMNS)]
    fit_stats = pd.DataFrame(
        [fit_statistics(res, name) for name, res in fitted], columns=list(FIT_STAT_COLUMNS)
    )
    fit_stats["n"] = fit_stats["n"].astype(int)
    fit_stats["converged"] = fit_stats["converged"].astype(bool)
    wald_table = wald.to_frame(WALD_TEST_NAME)[list(WALD_COLUMNS)]

    firms = firm_levels(frame.data["firm"])
    terms = term_names(firms, variable_pay="variable_pay" in frame.data.columns)
    r2 = {"OLS": float(ols.rsquared)}
    for header, model, eq in REGRESSION_COLUMNS:
        if model == "sur":
            r2[header] = float(sur.equations[eq].rsquared)
    table = regression_table(estimates, fit_stats, terms, r_squared=r2)
    if table.empty:  # pragma: no cover - a design always has terms
        raise EstimationError("the regression table is empty")
    return ModelReport(
        dirichlet=dirichlet,
        ols=ols,
        fractional_logit=flogit,
        sur=sur,
        sur_wald=wald,
        probit=probit,
        loo=loo,
        skipped=skipped,
        estimates=estimates,
        fit_stats=fit_stats,
        sur_wald_table=wald_table,
        regression_table=table,
        firms=firms,
    )
