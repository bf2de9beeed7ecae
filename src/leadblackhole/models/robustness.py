r"""Robustness models of the main Dirichlet regression.

Every model uses the analysis sample and the STUDY.md right-hand side built
by :func:`leadblackhole.specification.design_matrix` (through
:func:`leadblackhole.models.main.analysis_exog`):

* :func:`fit_ols`: OLS of the marketing share with HC3 standard errors;
* :func:`fit_fractional_logit`: fractional logit of the marketing share
  (Papke & Wooldridge 1996; Bernoulli quasi-likelihood, logit link) with
  HC0 sandwich standard errors;
* :func:`fit_sur`: seemingly unrelated regressions of the marketing and self
  shares with the homoskedastic GLS covariance that R's
  ``systemfit(method = "SUR")`` reports by default, and
  :func:`sur_prequal_wald`, the cross-equation Wald test that
  prequalification moves the two shares by equal and opposite amounts;
* :func:`fit_probit`: probit of having any marketing-lead time, over every
  rep with complete predictors (``frame.selection``), when some reps report
  none;
* :func:`leave_one_firm_out`: the main model re-estimated once per firm with
  that firm's reps removed.

:func:`tidy` turns any of these results into rows of the long estimates table
and :func:`fit_statistics` into a row of the fit-statistics table.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools import sm_exceptions

from ..exceptions import ConvergenceWarning, EstimationError
from ..specification import COMPONENTS, firm_levels
from .dirichlet import DirichletRegressionResults
from .main import analysis_exog, fit_main_model, main_model_exog

if TYPE_CHECKING:
    from linearmodels.system.results import SystemResults

    from ..data import AnalysisFrame

__all__ = [
    "ESTIMATE_COLUMNS",
    "FIT_STAT_COLUMNS",
    "WaldTest",
    "fit_fractional_logit",
    "fit_ols",
    "fit_probit",
    "fit_statistics",
    "fit_sur",
    "leave_one_firm_out",
    "probit_skip_reason",
    "sur_log_likelihood",
    "sur_prequal_wald",
    "tidy",
]

#: Columns of the long estimates table, in order.
ESTIMATE_COLUMNS: tuple[str, ...] = (
    "model",
    "equation",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
)

#: Columns of the fit-statistics table, in order.
FIT_STAT_COLUMNS: tuple[str, ...] = (
    "model",
    "n",
    "log_likelihood",
    "aic",
    "bic",
    "r_squared",
    "converged",
)

#: Name of the probit's outcome and equation.
SELECTION_OUTCOME = "any_marketing"

#: Share equations of the SUR system.
SUR_EQUATIONS: tuple[str, str] = ("marketing", "self")


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------


def _analysis_data(frame: AnalysisFrame) -> pd.DataFrame:
    data = getattr(frame, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(
            "expected an AnalysisFrame (see leadblackhole.data.build_analysis_frame); "
            f"received {type(frame).__name__}"
        )
    return data


def _share(data: pd.DataFrame, component: str, what: str) -> pd.Series:
    if component not in COMPONENTS:
        raise EstimationError(
            f"component must be one of {list(COMPONENTS)}; received {component!r}"
        )
    if component not in data.columns:
        raise EstimationError(f"{what}: the analysis data have no column {component!r}")
    y = pd.to_numeric(data[component], errors="coerce").astype(float)
    if not np.isfinite(y.to_numpy()).all():
        raise EstimationError(f"{what}: the share {component!r} has missing or infinite values")
    if ((y < 0) | (y > 1)).any():
        raise EstimationError(f"{what}: the share {component!r} has values outside [0, 1]")
    return y.rename(component)


def _sm_fit(fit_call, what: str):
    """Run a statsmodels fit, turning its warnings into package errors / warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fit_call()
        except (np.linalg.LinAlgError, sm_exceptions.PerfectSeparationError) as exc:
            raise EstimationError(f"{what} cannot be estimated: {exc}") from exc
    for w in caught:
        if issubclass(w.category, sm_exceptions.PerfectSeparationWarning):
            raise EstimationError(
                f"{what} cannot be estimated: the outcome is perfectly predicted by the "
                f"regressors (perfect separation; {w.message}); for example a firm whose "
                "reps all have the same outcome"
            )
    for w in caught:
        if issubclass(w.category, sm_exceptions.ConvergenceWarning):
            continue  # the callers check the convergence flag and warn once
        if issubclass(w.category, sm_exceptions.HessianInversionWarning):
            raise EstimationError(f"{what}: the Hessian cannot be inverted ({w.message})")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return res


# ----------------------------------------------------------------------------
# single-equation models
# ----------------------------------------------------------------------------


def fit_ols(frame: AnalysisFrame, component: str = "marketing"):
    """OLS of one share with HC3 standard errors.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.
    component : {"marketing", "self", "other"}
        The share modelled (default the marketing share).

    Returns
    -------
    statsmodels.regression.linear_model.RegressionResultsWrapper
        Parameters labelled by the STUDY.md term names; ``model.endog_names``
        is the component. Covariance HC3 (MacKinnon & White 1985), *t*
        statistics with ``n - p`` degrees of freedom, as
        ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, "HC3"))`` in R.

    Raises
    ------
    EstimationError
        Singular design or invalid shares.

    Notes
    -----
    The linear probability-style model ignores the bounds of the share; the
    heteroskedasticity this implies (variance :math:`\\mu(1-\\mu)/(\\phi+1)` under
    the Dirichlet model) is why a robust covariance is used. HC3 is the
    variant recommended for samples of a few hundred (Long & Ervin 2000).
    """
    data = _analysis_data(frame)
    what = f"the OLS model of the {component} share"
    y = _share(data, component, what)
    exog = analysis_exog(data, what)
    model = sm.OLS(y, exog)
    return _sm_fit(lambda: model.fit(cov_type="HC3", use_t=True), what)


def fit_fractional_logit(frame: AnalysisFrame, component: str = "marketing"):
    """Fractional logit of one share (Papke & Wooldridge 1996), HC0 errors.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.
    component : {"marketing", "self", "other"}
        The share modelled (default the marketing share).

    Returns
    -------
    statsmodels.genmod.generalized_linear_model.GLMResultsWrapper
        Binomial-family GLM with logit link fitted to the share, with the HC0
        sandwich covariance; parameters labelled by the STUDY.md term names,
        *z* statistics.

    Raises
    ------
    EstimationError
        Singular design or invalid shares.

    Warns
    -----
    ConvergenceWarning
        When iteratively reweighted least squares does not converge.

    Notes
    -----
    The Bernoulli log-likelihood is a quasi-likelihood for a share: the
    estimates are consistent when the mean is correctly specified, but the
    model-based covariance is not, so the sandwich (HC0) covariance is used.
    It equals R's ``sandwich::vcovHC(glm(..., family = quasibinomial), type =
    "HC0")``: the quasibinomial dispersion cancels from bread and meat.
    """
    data = _analysis_data(frame)
    what = f"the fractional logit of the {component} share"
    y = _share(data, component, what)
    exog = analysis_exog(data, what)
    model = sm.GLM(y, exog, family=sm.families.Binomial())
    res = _sm_fit(lambda: model.fit(cov_type="HC0", tol=1e-12, maxiter=100), what)
    if not res.converged:
        warnings.warn(
            f"{what} did not converge in 100 iterations", ConvergenceWarning, stacklevel=2
        )
    return res


# ----------------------------------------------------------------------------
# SUR
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WaldTest:
    r"""Outcome of a Wald test of one linear restriction.

    Parameters
    ----------
    stat : float
        Wald statistic :math:`(r^\top b)^2 / (r^\top V r)`.
    pval : float
        Upper-tail probability of ``stat`` under the null distribution.
    df : int
        Degrees of freedom (number of restrictions).
    null : str
        The null hypothesis, in words.
    dist_name : str
        Name of the null distribution (``"chi2"``).
    estimate : float
        The restricted combination :math:`r^\top b`.
    std_error : float
        Its standard error :math:`\sqrt{r^\top V r}`.

    Examples
    --------
    >>> WaldTest(stat=4.0, pval=0.0455, df=1, null="a + b = 0").dist_name
    'chi2'
    """

    stat: float
    pval: float
    df: int
    null: str
    dist_name: str = "chi2"
    estimate: float = float("nan")
    std_error: float = float("nan")

    def __str__(self) -> str:
        return (
            f"Wald test: {self.dist_name}({self.df}) = {self.stat:.4f}, p = {self.pval:.4g}\n"
            f"H0: {self.null}"
        )

    def to_frame(self, test: str = "wald") -> pd.DataFrame:
        """One-row table of the test.

        Parameters
        ----------
        test : str
            Label of the test, written in the ``test`` column.

        Returns
        -------
        DataFrame
            Columns ``test, null, estimate, std_error, statistic, df, p_value,
            distribution``.
        """
        return pd.DataFrame(
            [
                {
                    "test": test,
                    "null": self.null,
                    "estimate": self.estimate,
                    "std_error": self.std_error,
                    "statistic": self.stat,
                    "df": self.df,
                    "p_value": self.pval,
                    "distribution": self.dist_name,
                }
            ]
        )


def fit_sur(frame: AnalysisFrame) -> SystemResults:
    """Seemingly unrelated regressions of the marketing and self shares.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.

    Returns
    -------
    linearmodels.system.results.SystemResults
        Equations ``marketing`` and ``self`` with the same regressors; the
        parameters of equation ``e`` are ``params["<e>_<term>"]`` or
        ``equations[e].params[term]``.

    Raises
    ------
    EstimationError
        Singular design or invalid shares.

    Notes
    -----
    Feasible GLS with the residual covariance of equation-by-equation OLS,
    :math:`\\hat\\sigma_{ij} = e_i^\\top e_j / \\sqrt{(n - k_i)(n - k_j)}`, and
    the homoskedastic covariance :math:`(X^\\top(\\hat\\Sigma^{-1} \\otimes I)X)^{-1}`
    (linearmodels ``cov_type="unadjusted", debiased=True``). This is what R's
    ``systemfit(method = "SUR")`` computes by default (``methodResidCov =
    "geomean"``, one iteration). With the same regressors in both equations
    the SUR coefficients equal equation-by-equation OLS; the system is
    estimated for the cross-equation covariance that the Wald test of
    :func:`sur_prequal_wald` needs. Inference uses the normal distribution
    (systemfit uses *t* with the system's residual degrees of freedom).
    """
    from linearmodels.system import SUR

    data = _analysis_data(frame)
    what = "the SUR system of the marketing and self shares"
    exog = analysis_exog(data, what)
    equations = {eq: {"dependent": _share(data, eq, what), "exog": exog} for eq in SUR_EQUATIONS}
    try:
        return SUR(equations).fit(method="gls", cov_type="unadjusted", debiased=True)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise EstimationError(f"{what} cannot be estimated: {exc}") from exc


def sur_prequal_wald(sur: SystemResults, term: str = "prequal") -> WaldTest:
    r"""Wald test that a term moves the marketing and self shares in opposite directions equally.

    Parameters
    ----------
    sur : SystemResults
        Output of :func:`fit_sur`.
    term : str, default "prequal"
        Term whose coefficients are compared.

    Returns
    -------
    WaldTest
        :math:`W = (b_m + b_s)^2 / (V_{mm} + V_{ss} + 2V_{ms})` with
        :math:`b_m, b_s` the term's coefficients in the marketing and self
        equations and :math:`V` their covariance; :math:`\chi^2(1)` under
        :math:`H_0: b_m + b_s = 0` (the time prequalification adds to
        marketing leads is taken from self-generated leads only, leaving
        other work unchanged).

    Raises
    ------
    EstimationError
        When the term is not in both equations or its variance is not positive.
    """
    names = [f"{eq}_{term}" for eq in SUR_EQUATIONS]
    params = sur.params
    missing = [n for n in names if n not in params.index]
    if missing:
        raise EstimationError(f"the SUR results have no parameter(s) {missing}")
    r = pd.Series(0.0, index=params.index)
    r[names] = 1.0
    cov = sur.cov.loc[params.index, params.index].to_numpy()
    rv = r.to_numpy()
    est = float(rv @ params.to_numpy())
    var = float(rv @ cov @ rv)
    if not var > 0:
        raise EstimationError(f"the variance of the sum of the {term!r} coefficients is {var}")
    stat = est * est / var
    return WaldTest(
        stat=stat,
        pval=float(stats.chi2.sf(stat, 1)),
        df=1,
        null=f"b[{term}, marketing] + b[{term}, self] = 0",
        dist_name="chi2",
        estimate=est,
        std_error=math.sqrt(var),
    )


def sur_log_likelihood(sur: SystemResults) -> tuple[float, int]:
    r"""Gaussian log-likelihood of a SUR system, as R's ``logLik.systemfit``.

    Parameters
    ----------
    sur : SystemResults
        Output of :func:`fit_sur`.

    Returns
    -------
    llf : float
        :math:`-\frac{nK}{2}\log 2\pi - \frac n2 \log|\hat\Sigma| -
        \frac12\sum_i e_i^\top\hat\Sigma^{-1}e_i` with
        :math:`\hat\Sigma = E^\top E / n` (no degrees-of-freedom correction).
    df : int
        Number of parameters: coefficients plus the :math:`K(K+1)/2` distinct
        elements of :math:`\Sigma`.
    """
    resid = sur.resids.to_numpy()
    n, k = resid.shape
    sigma = resid.T @ resid / n
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return float("nan"), int(len(sur.params) + k * (k + 1) // 2)
    quad = float(np.einsum("ij,jk,ik->", resid, np.linalg.inv(sigma), resid))
    llf = -0.5 * n * k * math.log(2 * math.pi) - 0.5 * n * logdet - 0.5 * quad
    return float(llf), int(len(sur.params) + k * (k + 1) // 2)


# ----------------------------------------------------------------------------
# probit of any marketing-lead time
# ----------------------------------------------------------------------------


def probit_skip_reason(frame: AnalysisFrame) -> str | None:
    """Why the probit of any marketing-lead time cannot be run, or ``None``.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.

    Returns
    -------
    str or None
        ``None`` when ``frame.selection`` holds reps with and without
        marketing-lead time; otherwise the reason, in words.
    """
    sel = getattr(frame, "selection", None)
    if sel is None or len(sel) == 0:
        return "no selection sample (reps with complete predictors) is available"
    if SELECTION_OUTCOME not in sel.columns:
        return f"the selection sample has no {SELECTION_OUTCOME!r} column"
    n0 = int((sel[SELECTION_OUTCOME] == 0).sum())
    if n0 == 0:
        return "every rep with complete predictors reports some time on marketing leads"
    if n0 == len(sel):
        return "no rep reports time on marketing leads"
    return None


def fit_probit(frame: AnalysisFrame):
    """Probit of having any marketing-lead time, over every rep with complete predictors.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`; the
        probit uses ``frame.selection`` (reps with and without marketing-lead
        time, predictors centred at the analysis-sample means).

    Returns
    -------
    statsmodels.discrete.discrete_model.BinaryResultsWrapper or None
        Parameters labelled by the STUDY.md term names, equation (endog name)
        ``any_marketing``; covariance the inverse of the observed information
        (the negative Hessian of the log-likelihood). ``None`` when
        :func:`probit_skip_reason` gives a reason.

    Raises
    ------
    EstimationError
        Singular design or perfect separation (for example a firm whose reps
        all report marketing-lead time when others do not).

    Warns
    -----
    ConvergenceWarning
        When Newton's method does not converge.

    Notes
    -----
    R's ``glm(family = binomial("probit"))`` gives the same coefficients; its
    standard errors use the expected information, which differs from the
    observed information for the probit link (they agree asymptotically).
    """
    if probit_skip_reason(frame) is not None:
        return None
    sel = frame.selection
    what = "the probit of any marketing-lead time"
    y = pd.to_numeric(sel[SELECTION_OUTCOME], errors="coerce").astype(float)
    if not y.isin([0.0, 1.0]).all():
        raise EstimationError(f"{what}: {SELECTION_OUTCOME!r} must be 0 or 1 in every row")
    exog = analysis_exog(sel, what, levels=firm_levels(sel["firm"]))
    by_firm = y.groupby(sel["firm"].astype(str).to_numpy()).agg(["min", "max"])
    same = by_firm[by_firm["min"] == by_firm["max"]]
    if len(same):
        cells = ", ".join(f"{f!r} (all {int(v)})" for f, v in same["min"].items())
        raise EstimationError(
            f"{what} cannot be estimated: every rep of firm(s) {cells} has the same "
            f"{SELECTION_OUTCOME!r}, so the firm effect is infinite (quasi-complete "
            "separation)"
        )
    model = sm.Probit(y.rename(SELECTION_OUTCOME), exog)
    res = _sm_fit(lambda: model.fit(method="newton", maxiter=100, tol=1e-12, disp=False), what)
    if not res.mle_retvals.get("converged", True):
        prob = np.asarray(res.predict())
        if ((prob < 1e-8) | (prob > 1 - 1e-8)).any():
            raise EstimationError(
                f"{what} cannot be estimated: the regressors predict {SELECTION_OUTCOME!r} "
                "(almost) perfectly for some reps and Newton's method diverges "
                "(perfect or quasi-complete separation)"
            )
        warnings.warn(
            f"{what} did not converge in 100 Newton iterations", ConvergenceWarning, stacklevel=2
        )
    return res


# ----------------------------------------------------------------------------
# leave one firm out
# ----------------------------------------------------------------------------


class _Subframe:
    """The minimal frame interface :func:`fit_main_model` reads."""

    def __init__(self, data: pd.DataFrame) -> None:
        self.data = data


def leave_one_firm_out(
    frame: AnalysisFrame, parametrization: str = "alternative"
) -> dict[str, DirichletRegressionResults]:
    """Re-estimate the main model once per firm, leaving that firm's reps out.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.
    parametrization : {"alternative", "common"}
        Passed to :func:`~leadblackhole.models.main.fit_main_model`.

    Returns
    -------
    dict of str to DirichletRegressionResults
        Keyed by the firm left out, in sorted order of the labels. The
        dropped firm's dummy leaves the design with it; when the reference
        firm is dropped, the next label in sorted order becomes the reference
        (so the remaining firm coefficients change meaning). The predictors
        keep the centring of the full analysis sample, so the main-effect
        coefficients remain effects at the full-sample means.

    Raises
    ------
    EstimationError
        When the sample holds fewer than 2 firms or a reduced design is
        singular.
    """
    data = _analysis_data(frame)
    main_model_exog(frame)  # fail early, with the full-sample message
    firms = firm_levels(data["firm"])
    if len(firms) < 2:
        raise EstimationError(
            f"leave-one-firm-out needs at least 2 firms; the analysis sample holds {len(firms)}"
        )
    fits: dict[str, DirichletRegressionResults] = {}
    for firm in firms:
        keep = data["firm"].astype(str) != firm
        sub = data.loc[keep]
        try:
            fits[firm] = fit_main_model(_Subframe(sub), parametrization=parametrization)
        except EstimationError as exc:
            raise EstimationError(f"leaving out firm {firm!r}: {exc}") from exc
    return fits


# ----------------------------------------------------------------------------
# tidy tables
# ----------------------------------------------------------------------------


def _rows(model: str, equation: str, terms, est, se, stat, pv, lo, hi) -> pd.DataFrame:
    n = len(terms)
    return pd.DataFrame(
        {
            "model": [model] * n,
            "equation": [equation] * n,
            "term": [str(t) for t in terms],
            "estimate": np.asarray(est, dtype=float),
            "std_error": np.asarray(se, dtype=float),
            "statistic": np.asarray(stat, dtype=float),
            "p_value": np.asarray(pv, dtype=float),
            "conf_low": np.asarray(lo, dtype=float),
            "conf_high": np.asarray(hi, dtype=float),
        }
    )


def _is_sur(results: Any) -> bool:
    return hasattr(results, "equation_labels") and hasattr(results, "equations")


def tidy(results: Any, model: str, alpha: float = 0.05) -> pd.DataFrame:
    """Rows of the long estimates table for one fitted model.

    Parameters
    ----------
    results : fitted results
        A :class:`~leadblackhole.models.dirichlet.DirichletRegressionResults`,
        a linearmodels ``SystemResults`` (:func:`fit_sur`) or a statsmodels
        results object (:func:`fit_ols`, :func:`fit_fractional_logit`,
        :func:`fit_probit`).
    model : str
        Label written in the ``model`` column (``dirichlet``, ``ols``...).
    alpha : float, default 0.05
        Confidence intervals have coverage ``1 - alpha``.

    Returns
    -------
    DataFrame
        Columns :data:`ESTIMATE_COLUMNS`: one row per parameter; ``equation``
        is the Dirichlet equation (``marketing``, ``self``, ``precision``),
        the SUR equation, or the single-equation model's outcome
        (``marketing`` or ``any_marketing``). ``statistic`` is the *z*
        statistic, or *t* for OLS.

    Raises
    ------
    EstimationError
        For an unsupported results type.
    """
    if isinstance(results, DirichletRegressionResults):
        ci = results.conf_int(alpha)
        parts = []
        idx = results.params.index
        for eq in dict.fromkeys(idx.get_level_values("equation")):
            sel = idx.get_level_values("equation") == eq
            parts.append(
                _rows(
                    model,
                    eq,
                    idx.get_level_values("term")[sel],
                    results.params[sel],
                    results.bse[sel],
                    results.tvalues[sel],
                    results.pvalues[sel],
                    ci["lower"][sel],
                    ci["upper"][sel],
                )
            )
        out = pd.concat(parts, ignore_index=True)
    elif _is_sur(results):
        parts = []
        for eq in results.equation_labels:
            r = results.equations[eq]
            ci = r.conf_int(level=1 - alpha)
            parts.append(
                _rows(
                    model,
                    eq,
                    r.params.index,
                    r.params,
                    r.std_errors,
                    r.tstats,
                    r.pvalues,
                    ci["lower"],
                    ci["upper"],
                )
            )
        out = pd.concat(parts, ignore_index=True)
    elif hasattr(results, "params") and hasattr(results, "bse") and hasattr(results, "model"):
        ci = results.conf_int(alpha)
        eq = str(results.model.endog_names)
        out = _rows(
            model,
            eq,
            results.params.index,
            results.params,
            results.bse,
            results.tvalues,
            results.pvalues,
            ci.iloc[:, 0],
            ci.iloc[:, 1],
        )
    else:
        raise EstimationError(f"tidy does not support results of type {type(results).__name__}")
    return out[list(ESTIMATE_COLUMNS)]


def _kind(results: Any) -> str:
    from statsmodels.discrete.discrete_model import BinaryResults
    from statsmodels.genmod.generalized_linear_model import GLMResults
    from statsmodels.regression.linear_model import RegressionResults

    if isinstance(results, DirichletRegressionResults):
        return "dirichlet"
    if _is_sur(results):
        return "sur"
    inner = getattr(results, "_results", results)
    if isinstance(inner, GLMResults):
        return "glm"
    if isinstance(inner, BinaryResults):
        return "binary"
    if isinstance(inner, RegressionResults):
        return "ols"
    raise EstimationError(f"unsupported results type {type(results).__name__}")


def fit_statistics(results: Any, model: str) -> dict[str, Any]:
    """One row of the fit-statistics table.

    Parameters
    ----------
    results : fitted results
        As for :func:`tidy`.
    model : str
        Label written in the ``model`` column.

    Returns
    -------
    dict
        Keys :data:`FIT_STAT_COLUMNS`. ``n`` is the number of reps.
        ``log_likelihood``, ``aic`` (:math:`-2\\ell + 2k`) and ``bic``
        (:math:`-2\\ell + k\\log n`) count every estimated parameter: for OLS
        the coefficients and the error variance (as R's ``logLik.lm``); for
        SUR the coefficients and the three distinct elements of the error
        covariance (as ``logLik.systemfit``), with the Gaussian likelihood of
        :func:`sur_log_likelihood`. The fractional logit has only a
        quasi-likelihood, so its three entries are NaN. ``r_squared`` is the
        OLS :math:`R^2`, McElroy's system :math:`R^2` for SUR, NaN otherwise.
        ``converged`` is True for the closed-form OLS and SUR estimators.
    """
    nan = float("nan")
    kind = _kind(results)
    row: dict[str, Any] = dict.fromkeys(FIT_STAT_COLUMNS, nan)
    row["model"] = model
    if kind == "dirichlet":
        row.update(
            n=int(results.nobs),
            log_likelihood=results.llf,
            aic=results.aic,
            bic=results.bic,
            converged=bool(results.converged),
        )
    elif kind == "sur":
        n = int(results.resids.shape[0])
        llf, k = sur_log_likelihood(results)
        row.update(
            n=n,
            log_likelihood=llf,
            aic=-2 * llf + 2 * k,
            bic=-2 * llf + math.log(n) * k,
            r_squared=float(results.system_rsquared["mcelroy"]),
            converged=True,
        )
    elif kind == "ols":
        n = int(results.nobs)
        k = len(results.params) + 1
        llf = float(results.llf)
        row.update(
            n=n,
            log_likelihood=llf,
            aic=-2 * llf + 2 * k,
            bic=-2 * llf + math.log(n) * k,
            r_squared=float(results.rsquared),
            converged=True,
        )
    elif kind == "glm":
        row.update(n=int(results.nobs), converged=bool(results.converged))
    else:  # binary (probit)
        n = int(results.nobs)
        k = len(results.params)
        llf = float(results.llf)
        row.update(
            n=n,
            log_likelihood=llf,
            aic=-2 * llf + 2 * k,
            bic=-2 * llf + math.log(n) * k,
            converged=bool(results.mle_retvals.get("converged", True)),
        )
    return row
