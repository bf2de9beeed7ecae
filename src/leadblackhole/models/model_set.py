"""The model set: every share model fitted on one analysis frame, with its tidy tables.

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
    the two SUR equations, as cells of text
    (:func:`leadblackhole.tables_text.regression_table`). Its Markdown, LaTeX
    and HTML renderings, and the files, come from
    :mod:`leadblackhole.reporting.tables`.

Which of the fitted models the later steps read (the hypotheses, the saved
fits) is decided by the pipeline (:mod:`leadblackhole.pipeline.models`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..exceptions import EstimationError
from ..specification import firm_levels, term_names
from ..tables_text import REGRESSION_COLUMNS, ROUNDED_COLUMNS, regression_table
from .main_rounded import check_rounding_step, main_model_name, rounding_step_of
from .results import ESTIMATE_COLUMNS, FIT_STAT_COLUMNS, ShareResults, WaldTest, fit_share_model
from .robustness import leave_one_firm_out, probit_skip_reason, sur_prequal_wald

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "MODEL_NAMES",
    "PRECISION_TEST_COLUMNS",
    "WALD_COLUMNS",
    "WALD_TEST_NAME",
    "ModelReport",
    "parse_rounding",
    "run_models",
    "with_models",
]

#: Model labels of the estimates and fit-statistics tables (``loo_<firm>`` besides);
#: ``dirichlet_rounded`` only when the percents are rounded, ``probit`` only when
#: some reps report no marketing-lead time.
MODEL_NAMES: tuple[str, ...] = (
    "dirichlet_rounded",
    "dirichlet",
    "fmlogit",
    "ols",
    "fractional_logit",
    "sur",
    "probit",
)

#: Columns of ``precision_tests.csv`` (likelihood-ratio test of a precision model).
PRECISION_TEST_COLUMNS: tuple[str, ...] = (
    "model",
    "test",
    "null",
    "statistic",
    "df",
    "p_value",
)

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
    dirichlet_rounded: ShareResults | None = None
    fmlogit: ShareResults | None = None
    two_part: ShareResults | None = None
    rounding_step: float | None = None
    precision: str | None = None
    cov_type: str = "oim"
    precision_tests: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(PRECISION_TEST_COLUMNS))
    )
    extra: dict[str, ShareResults] = field(default_factory=dict)
    extra_notes: tuple[str, ...] = ()

    @property
    def fits(self) -> dict[str, ShareResults]:
        """Every fitted model by name (``loo_<firm>`` for the leave-one-firm-out fits)."""
        named: dict[str, ShareResults] = {}
        if self.dirichlet_rounded is not None:
            named["dirichlet_rounded"] = self.dirichlet_rounded
        named["dirichlet"] = self.dirichlet
        if self.fmlogit is not None:
            named["fmlogit"] = self.fmlogit
        named |= {"ols": self.ols, "fractional_logit": self.fractional_logit, "sur": self.sur}
        if self.probit is not None:
            named["probit"] = self.probit
        if self.two_part is not None:
            named["two_part"] = self.two_part
        return named | {f"loo_{firm}": res for firm, res in self.loo.items()}

    @property
    def main_name(self) -> str:
        """Name of the main model (:func:`~leadblackhole.models.main_rounded.main_model_name`)."""
        return main_model_name(self.fits)

    @property
    def main(self) -> ShareResults:
        """The main model: ``dirichlet_rounded`` when the percents are rounded, else ``dirichlet``."""
        return self.fits[self.main_name]

    def summary(self) -> str:
        """Short text report: models estimated, models skipped and the SUR Wald test.

        Returns
        -------
        str
        """
        lines = [f"models estimated: {', '.join(self.fit_stats['model'])}"]
        if self.rounding_step is not None:
            lines.append(
                f"percents rounded to multiples of {self.rounding_step:g}: main model "
                "dirichlet_rounded (dirichlet beside it)"
            )
        else:
            lines.append("percents not treated as rounded: main model dirichlet")
        lines += [f"model skipped: {name} ({why})" for name, why in self.skipped.items()]
        notconv = self.fit_stats.loc[~self.fit_stats["converged"].astype(bool), "model"]
        if len(notconv):
            lines.append(f"NOT converged: {', '.join(notconv)}")
        lines.append(str(self.sur_wald))
        return "\n".join(lines) + "\n"


def parse_rounding(rounding: Any, frame: Any = None) -> float | None:
    """The rounding step an option asks for.

    Parameters
    ----------
    rounding : "auto", "none", number or numeric string
        ``"auto"``: the step :func:`~leadblackhole.models.main_rounded.rounding_step_of`
        detects (the largest of 10, 5 and 1 dividing every analysable rep's
        ``pct_marketing`` and ``pct_self``; none when they are not all whole
        numbers). ``"none"``: the percents are exact. A number: that step, in
        percentage points; it must be positive, at most 100, and divide 100
        (a rounding grid that does not reach 100 exactly is not a rounding of
        percents).
    frame : AnalysisFrame, optional
        Needed for ``"auto"``; with a number, the reported percents are
        checked against it (:func:`~leadblackhole.models.main_rounded.check_rounding_step`).

    Returns
    -------
    float or None
        The step, or ``None`` for exact shares.

    Raises
    ------
    EstimationError
        Any other value, or (with ``frame``) a step that some reported
        percents are not multiples of.

    Examples
    --------
    >>> parse_rounding("none") is None, parse_rounding("5")
    (True, 5.0)
    """
    if isinstance(rounding, str):
        text = rounding.strip().lower()
        if text == "none":
            return None
        if text == "auto":
            if frame is None:
                raise EstimationError("rounding='auto' needs the analysis frame")
            step = rounding_step_of(frame)
            return None if step is None else float(step)
        try:
            rounding = float(text)
        except ValueError:
            raise EstimationError(
                f"--rounding must be auto, none or a step in percentage points (for example "
                f"5 or 10); received {rounding!r}"
            ) from None
    if isinstance(rounding, bool) or not isinstance(rounding, int | float | np.number):
        raise EstimationError(f"rounding must be 'auto', 'none' or a number; received {rounding!r}")
    step = float(rounding)
    if not (math.isfinite(step) and 0 < step <= 100):
        raise EstimationError(f"the rounding step must lie in (0, 100]; received {rounding!r}")
    if abs(100 / step - round(100 / step)) > 1e-9:
        raise EstimationError(
            f"the rounding step must divide 100 (for example 1, 2, 2.5, 5, 10 or 25); "
            f"received {rounding!r}"
        )
    if frame is not None:
        check_rounding_step(frame, step)
    return step


def _precision_tests(
    frame: Any, fitted: dict[str, ShareResults], precision: str, cov_type: str
) -> pd.DataFrame:
    """LR test of the precision model against constant precision, per Dirichlet model."""
    rows = []
    for name, full in fitted.items():
        opts = {"cov_type": cov_type}
        if name == "dirichlet_rounded":
            opts["step"] = full.step
        constant = fit_share_model(frame, name, **opts)
        lr = full.lr_test(constant)
        rows.append(
            {
                "model": name,
                "test": "precision_lr",
                "null": f"constant precision (against precision ~ {precision})",
                "statistic": lr.stat,
                "df": lr.df,
                "p_value": lr.pval,
            }
        )
    return pd.DataFrame(rows, columns=list(PRECISION_TEST_COLUMNS))


def run_models(
    frame: AnalysisFrame,
    parametrization: str = "alternative",
    leave_one_out: bool = True,
    rounding: Any = "auto",
    precision: str | None = None,
    cov_type: str = "oim",
    progress: bool = False,
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
    rounding : "auto", "none" or number, default "auto"
        Rounding step of the reported percents (see :func:`parse_rounding`);
        when there is one, the rounding-aware Dirichlet regression
        (``dirichlet_rounded``) is fitted and is the main model.
    precision : str, optional
        Precision formula of both Dirichlet models (for example
        ``"firm + experience + performance"``); with it, ``precision_tests``
        holds a likelihood-ratio test against constant precision per model.
    cov_type : {"oim", "robust"}, default "oim"
        Covariance of the Dirichlet models (the sandwich with ``"robust"``).
    progress : bool, default False
        Show a progress bar over the models (standard error), naming the one
        being fitted.

    Returns
    -------
    ModelReport
        Fitted results and tables. The models in ``estimates`` and
        ``fit_stats`` are ``dirichlet, ols, fractional_logit, sur``, then
        ``probit`` (when the selection sample holds reps without
        marketing-lead time; otherwise it is listed in ``skipped``) and
        ``loo_<firm>`` for each firm with at least
        :data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS` analysable
        reps (a smaller firm, or one whose reduced design cannot be fitted, is
        listed in ``skipped`` as ``loo_<firm>`` with the reason).

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
    step = parse_rounding(rounding, frame)
    fits = _fit_set(frame, step, parametrization, leave_one_out, precision, cov_type, progress)
    fitted = fits.tabled()
    ptests = pd.DataFrame(columns=list(PRECISION_TEST_COLUMNS))
    if precision is not None and precision.strip() != "1":
        dfits = {k: v for k, v in fitted.items() if k in ("dirichlet_rounded", "dirichlet")}
        ptests = _precision_tests(frame, dfits, precision, cov_type)
    estimates, fit_stats = _tidy_tables(fitted)
    firms = firm_levels(frame.data["firm"])
    terms = term_names(firms, variable_pay="variable_pay" in frame.data.columns)
    columns = (ROUNDED_COLUMNS if fits.rounded is not None else ()) + REGRESSION_COLUMNS
    r2 = {
        header: fitted[model].equation_r_squared[eq]
        for header, model, eq in columns
        if eq in fitted[model].equation_r_squared
    }
    table = regression_table(estimates, fit_stats, terms, r_squared=r2, columns=columns)
    if table.empty:  # pragma: no cover - a design always has terms
        raise EstimationError("the regression table is empty")
    return ModelReport(
        dirichlet=fits.dirichlet,
        ols=fits.ols,
        fractional_logit=fits.fractional_logit,
        sur=fits.sur,
        sur_wald=fits.sur_wald,
        probit=fits.probit,
        loo=fits.loo,
        skipped=fits.skipped,
        estimates=estimates,
        fit_stats=fit_stats,
        sur_wald_table=fits.sur_wald.to_frame(WALD_TEST_NAME)[list(WALD_COLUMNS)],
        regression_table=table,
        firms=firms,
        dirichlet_rounded=fits.rounded,
        fmlogit=fits.fmlogit,
        two_part=fits.two_part,
        rounding_step=step,
        precision=precision,
        cov_type=cov_type,
        precision_tests=ptests,
    )


def with_models(
    report: ModelReport,
    extra: dict[str, ShareResults],
    headers: dict[str, str],
    notes: tuple[str, ...] = (),
) -> ModelReport:
    """The report with further models beside the main one in its three tables.

    Parameters
    ----------
    report : ModelReport
        What :func:`run_models` returned.
    extra : dict of str to ShareResults
        Further fits by name (the corrected and two-step versions of the main
        model, ``<main>_eiv``, ``<main>_cf``...), in the order to show them.
    headers : dict of str to str
        The regression table's header of each further model; its two mean
        equations become the columns ``"<header> marketing"`` and ``"<header> self"``.
    notes : tuple of str
        Sentences for the regression table's notes (how the further models'
        standard errors were computed).

    Returns
    -------
    ModelReport
        A copy whose ``estimates`` and ``fit_stats`` hold the further models'
        rows right after the main model's, whose regression table holds their
        columns right after the main model's (and rows for their own terms, such
        as ``method`` or ``cf_volume``), with ``extra`` and ``extra_notes`` set.
        Every other table is unchanged.

    Examples
    --------
    >>> with_models(report, {"dirichlet_eiv": eiv}, {"dirichlet_eiv": "Dirichlet EIV"})  # doctest: +SKIP
    """
    if not extra:
        return report
    main = report.main_name
    new_est, new_stats = _tidy_tables(extra)

    def after_main(table: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
        is_main = (table["model"] == main).to_numpy()
        cut = int(np.flatnonzero(is_main)[-1]) + 1 if is_main.any() else len(table)
        parts = [table.iloc[:cut], rows, table.iloc[cut:]]
        return pd.concat([p for p in parts if len(p)], ignore_index=True)

    estimates = after_main(report.estimates, new_est)
    fit_stats = after_main(report.fit_stats, new_stats)
    fit_stats["n"] = fit_stats["n"].astype(int)
    fit_stats["converged"] = fit_stats["converged"].astype(bool)
    base = (ROUNDED_COLUMNS if report.dirichlet_rounded is not None else ()) + REGRESSION_COLUMNS
    added = tuple(
        (f"{headers.get(name, name)} {eq}", name, eq)
        for name, res in extra.items()
        for eq in ("marketing", "self")
        if eq in res.params.index.get_level_values(0)
    )
    cut = max(i for i, c in enumerate(base) if c[1] == main) + 1
    columns = base[:cut] + added + base[cut:]
    terms = term_names(report.firms, variable_pay=(estimates["term"] == "variable_pay").any())
    for res in extra.values():
        terms += [
            t for t in res.params.loc[["marketing"]].index.get_level_values(1) if t not in terms
        ]
    fitted = report.fits | extra
    r2 = {
        header: fitted[model].equation_r_squared[eq]
        for header, model, eq in columns
        if eq in fitted[model].equation_r_squared
    }
    table = regression_table(estimates, fit_stats, terms, r_squared=r2, columns=columns)
    return replace(
        report,
        estimates=estimates,
        fit_stats=fit_stats,
        regression_table=table,
        extra=dict(report.extra) | dict(extra),
        extra_notes=tuple(report.extra_notes) + tuple(notes),
    )


# ----------------------------------------------------------------------------
# the fits and their tables
# ----------------------------------------------------------------------------
@dataclass
class _FittedSet:
    """The models :func:`run_models` fitted, and why any was skipped."""

    dirichlet: ShareResults
    rounded: ShareResults | None
    fmlogit: ShareResults
    ols: ShareResults
    fractional_logit: ShareResults
    sur: ShareResults
    sur_wald: WaldTest
    probit: ShareResults | None
    loo: dict[str, ShareResults]
    two_part: ShareResults | None
    skipped: dict[str, str]

    def tabled(self) -> dict[str, ShareResults]:
        """The fits of the estimates and fit-statistics tables, in their order."""
        fitted: dict[str, ShareResults] = {}
        if self.rounded is not None:
            fitted["dirichlet_rounded"] = self.rounded
        fitted |= {"dirichlet": self.dirichlet, "fmlogit": self.fmlogit, "ols": self.ols}
        fitted |= {"fractional_logit": self.fractional_logit, "sur": self.sur}
        if self.probit is not None:
            fitted["probit"] = self.probit
        return fitted | {f"loo_{firm}": res for firm, res in self.loo.items()}


def _fit_set(
    frame: AnalysisFrame,
    step: float | None,
    parametrization: str,
    leave_one_out: bool,
    precision: str | None,
    cov_type: str,
    progress: bool,
) -> _FittedSet:
    """Fit every model of the set, in order, under one progress bar (nine steps)."""
    dopts = {"cov_type": cov_type, "precision": precision}
    bar = tqdm(total=9, desc="Models", unit="model", disable=not progress, leave=False)

    def fit(name: str, **options: Any) -> ShareResults:
        bar.set_postfix_str(name)
        res = fit_share_model(frame, name, **options)
        bar.update()
        return res

    dirichlet = fit("dirichlet", parametrization=parametrization, **dopts)
    rounded = None
    if step is not None:
        rounded = fit("dirichlet_rounded", step=step, **dopts)
    else:
        bar.update()
    fml = fit("fmlogit")
    ols = fit("ols")
    flogit = fit("fractional_logit")
    sur = fit("sur")
    wald = sur_prequal_wald(sur)
    skipped: dict[str, str] = {}
    probit = _fit_probit(frame, fit, skipped)
    bar.n = 7  # the probit step is done, fitted or not
    bar.set_postfix_str("leave one firm out")
    loo = leave_one_firm_out(frame, parametrization, skipped) if leave_one_out else {}
    bar.update()
    if not leave_one_out:
        skipped["leave_one_firm_out"] = "not requested"

    two_part = None
    if probit is not None:
        main = rounded if rounded is not None else dirichlet
        try:
            two_part = fit("two_part", conditional_fit=main)
        except EstimationError as exc:
            skipped["two_part"] = f"not estimable: {exc}"
    else:
        skipped["two_part"] = skipped.get("probit", "the probit was not estimated")
    bar.n = 9
    bar.close()
    if rounded is None:
        skipped["dirichlet_rounded"] = "the reported percents are not treated as rounded"
    return _FittedSet(
        dirichlet=dirichlet,
        rounded=rounded,
        fmlogit=fml,
        ols=ols,
        fractional_logit=flogit,
        sur=sur,
        sur_wald=wald,
        probit=probit,
        loo=loo,
        two_part=two_part,
        skipped=skipped,
    )


def _fit_probit(
    frame: AnalysisFrame, fit: Callable[..., ShareResults], skipped: dict[str, str]
) -> ShareResults | None:
    """The probit of any marketing-lead time, or None with the reason in ``skipped``."""
    reason = probit_skip_reason(frame)
    if reason is not None:
        skipped["probit"] = reason
        return None
    try:
        return fit("probit")
    except EstimationError as exc:
        # An auxiliary model: record why it failed instead of losing the others.
        skipped["probit"] = f"not estimable: {exc}"
        # stacklevel 4: the caller of run_models (through _fit_set and this function)
        warnings.warn(f"the probit was skipped: {exc}", UserWarning, stacklevel=4)
        return None


def _tidy_tables(fitted: dict[str, ShareResults]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long estimates table and the fit-statistics table of the tabled fits."""
    estimates = pd.concat(
        [res.tidy().assign(model=name) for name, res in fitted.items()], ignore_index=True
    )[list(ESTIMATE_COLUMNS)]
    rows = [res.fit_stats() | {"model": name} for name, res in fitted.items()]
    fit_stats = pd.DataFrame(rows, columns=list(FIT_STAT_COLUMNS))
    fit_stats["n"] = fit_stats["n"].astype(int)
    fit_stats["converged"] = fit_stats["converged"].astype(bool)
    return estimates, fit_stats
