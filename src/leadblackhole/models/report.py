"""Estimate the main and robustness models and tabulate them.

:func:`run_models` fits every model of :mod:`leadblackhole.models.main` and
:mod:`leadblackhole.models.robustness` on one analysis frame (through
:func:`~leadblackhole.models.results.fit_share_model`) and returns a
:class:`ModelReport` holding the fitted results and four tidy tables:

``estimates``
    One row per parameter of every model (:meth:`ShareResults.tidy`).
``fit_stats``
    One row per model (:meth:`ShareResults.fit_stats`).
``sur_wald``
    The cross-equation Wald test of the SUR system.
``regression_table``
    Side-by-side coefficients (stars, standard errors in parentheses) of
    the Dirichlet model's two mean equations, OLS, the fractional logit and
    the two SUR equations, as cells of text. Its Markdown, LaTeX and HTML
    renderings, and the files, come from :mod:`leadblackhole.reporting.tables`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import EstimationError
from ..specification import firm_levels, term_names
from .results import ESTIMATE_COLUMNS, FIT_STAT_COLUMNS, ShareResults, WaldTest, fit_share_model
from .robustness import leave_one_firm_out, probit_skip_reason, sur_prequal_wald

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "MODEL_NAMES",
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

#: Label of the SUR Wald test in ``sur_wald.csv``.
WALD_TEST_NAME = "sur_prequal_equal_and_opposite"


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
# the report
# ----------------------------------------------------------------------------


@dataclass(eq=False)
class ModelReport:
    """Fitted main and robustness models with their tables.

    Attributes
    ----------
    dirichlet : ShareResults
        The main model (:func:`~leadblackhole.models.main.fit_main_model`).
    ols : ShareResults
        OLS of the marketing share, HC3 (:func:`~leadblackhole.models.robustness.fit_ols`).
    fractional_logit : ShareResults
        Fractional logit of the marketing share, HC0.
    sur : ShareResults
        SUR of the marketing and self shares.
    sur_wald : WaldTest
        Wald test of ``b[prequal, marketing] + b[prequal, self] = 0``.
    probit : ShareResults or None
        Probit of any marketing-lead time; ``None`` when skipped.
    loo : dict of str to ShareResults
        Main model without each firm, keyed by the firm left out.
    skipped : dict of str to str
        Models not estimated, with the reason.
    estimates, fit_stats, sur_wald_table, regression_table : DataFrame
        The tables (see the module docstring).
    firms : list of str
        Firm labels of the analysis sample (the first is the reference).
    """

    dirichlet: ShareResults
    ols: ShareResults
    fractional_logit: ShareResults
    sur: ShareResults
    sur_wald: WaldTest
    probit: ShareResults | None
    loo: dict[str, ShareResults]
    skipped: dict[str, str]
    estimates: pd.DataFrame
    fit_stats: pd.DataFrame
    sur_wald_table: pd.DataFrame
    regression_table: pd.DataFrame
    firms: list[str] = field(default_factory=list)

    @property
    def fits(self) -> dict[str, ShareResults]:
        """Every fitted model by name (``loo_<firm>`` for the leave-one-firm-out fits)."""
        named = {"dirichlet": self.dirichlet, "ols": self.ols}
        named |= {"fractional_logit": self.fractional_logit, "sur": self.sur}
        if self.probit is not None:
            named["probit"] = self.probit
        return named | {f"loo_{firm}": res for firm, res in self.loo.items()}

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
    dirichlet = fit_share_model(frame, "dirichlet", parametrization=parametrization)
    ols = fit_share_model(frame, "ols")
    flogit = fit_share_model(frame, "fractional_logit")
    sur = fit_share_model(frame, "sur")
    wald = sur_prequal_wald(sur)
    skipped: dict[str, str] = {}
    reason = probit_skip_reason(frame)
    probit = None
    if reason is None:
        try:
            probit = fit_share_model(frame, "probit")
        except EstimationError as exc:
            # An auxiliary model: record why it failed instead of losing the others.
            skipped["probit"] = f"not estimable: {exc}"
            warnings.warn(f"the probit was skipped: {exc}", UserWarning, stacklevel=2)
    else:
        skipped["probit"] = reason
    loo = leave_one_firm_out(frame, parametrization=parametrization) if leave_one_out else {}
    if not leave_one_out:
        skipped["leave_one_firm_out"] = "not requested"

    fitted = {"dirichlet": dirichlet, "ols": ols, "fractional_logit": flogit, "sur": sur}
    if probit is not None:
        fitted["probit"] = probit
    fitted |= {f"loo_{firm}": res for firm, res in loo.items()}
    estimates = pd.concat(
        [res.tidy().assign(model=name) for name, res in fitted.items()], ignore_index=True
    )[list(ESTIMATE_COLUMNS)]
    rows = [res.fit_stats() | {"model": name} for name, res in fitted.items()]
    fit_stats = pd.DataFrame(rows, columns=list(FIT_STAT_COLUMNS))
    fit_stats["n"] = fit_stats["n"].astype(int)
    fit_stats["converged"] = fit_stats["converged"].astype(bool)
    wald_table = wald.to_frame(WALD_TEST_NAME)[list(WALD_COLUMNS)]

    firms = firm_levels(frame.data["firm"])
    terms = term_names(firms, variable_pay="variable_pay" in frame.data.columns)
    r2 = {
        header: fitted[model].equation_r_squared[eq]
        for header, model, eq in REGRESSION_COLUMNS
        if eq in fitted[model].equation_r_squared
    }
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
