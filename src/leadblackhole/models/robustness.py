r"""Robustness models of the main Dirichlet regression.

Every model uses the analysis sample and the docs/study.md right-hand side built
by :func:`leadblackhole.specification.design_matrix` (through
:func:`leadblackhole.models.main.analysis_exog`), and the shares as reported
(the percents divided by their row sum, zeros included: these models accept
shares of 0 and 1, so the compression of the Dirichlet likelihood is not
applied). Each fit is registered with
:func:`~leadblackhole.models.results.fit_share_model` and returns a
:class:`~leadblackhole.models.results.ShareResults` (an
:class:`AdaptedResults` around the statsmodels or linearmodels results):

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

"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools import sm_exceptions

from ..exceptions import ConvergenceWarning, EstimationError
from ..specification import COMPONENTS, FIRM_CHECK_MIN_REPS, firm_levels, small_firms
from .dirichlet import DirichletRegressionResults
from .main import analysis_data, analysis_exog, fit_main_model, main_model_exog
from .results import (
    IdentityLink,
    Link,
    LogitLink,
    ShareResults,
    WaldTest,
    register_model,
)

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "AdaptedResults",
    "fit_fractional_logit",
    "fit_ols",
    "fit_probit",
    "fit_sur",
    "leave_one_firm_out",
    "probit_skip_reason",
    "sur_log_likelihood",
    "sur_prequal_wald",
]

#: Name of the probit's outcome and equation.
SELECTION_OUTCOME = "any_marketing"

#: Share equations of the SUR system.
SUR_EQUATIONS: tuple[str, str] = ("marketing", "self")


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------


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


class AdaptedResults(ShareResults):
    """A statsmodels or linearmodels fit seen through the :class:`ShareResults` interface.

    Parameters
    ----------
    raw : object
        The wrapped results (kept as :attr:`raw`); None for results rebuilt from a
        fit artifact (:mod:`leadblackhole.models.stored`).
    model_name : str
        Label of the model in every table.
    params : Series
        Estimates indexed by (equation, term).
    cov : DataFrame or ndarray
        Their covariance, in the same order.
    nobs, link, llf, k_llf, r_squared, equation_r_squared, converged, df_resid, fit_options
        The :class:`ShareResults` attributes of the same names (``k_llf``
        defaults to the number of estimates; ``df_resid=None`` means normal
        inference).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.Series([1.0], index=pd.MultiIndex.from_tuples([("y", "Intercept")]))
    >>> res = AdaptedResults(None, "toy", p, [[0.25]], nobs=10, link=IdentityLink("y"))
    >>> float(res.bse.iloc[0])
    0.5
    """

    def __init__(
        self,
        raw: Any,
        model_name: str,
        params: pd.Series,
        cov: Any,
        *,
        nobs: int,
        link: Link | None = None,
        llf: float = float("nan"),
        k_llf: int | None = None,
        r_squared: float = float("nan"),
        equation_r_squared: dict[str, float] | None = None,
        converged: bool = True,
        df_resid: float | None = None,
        fit_options: dict[str, Any] | None = None,
    ) -> None:
        index = pd.MultiIndex.from_tuples(list(params.index), names=["equation", "term"])
        values = dict(
            raw=raw,
            model_name=model_name,
            _params=pd.Series(params.to_numpy(dtype=float), index=index, name="coef"),
            _cov=pd.DataFrame(np.asarray(cov, dtype=float), index=index, columns=index),
            _nobs=int(nobs),
            link=link,
            llf=float(llf),
            _k_llf=len(params) if k_llf is None else int(k_llf),
            r_squared=float(r_squared),
            equation_r_squared=dict(equation_r_squared or {}),
            converged=bool(converged),
            df_resid=df_resid,
            fit_options=dict(fit_options or {}),
        )
        for k, v in values.items():
            object.__setattr__(self, k, v)

    @property
    def params(self) -> pd.Series:  # noqa: D102 - documented on ShareResults
        return self._params.copy()

    def cov_params(self) -> pd.DataFrame:  # noqa: D102 - documented on ShareResults
        return self._cov.copy()

    @property
    def nobs(self) -> int:  # noqa: D102 - documented on ShareResults
        return self._nobs

    @property
    def k_llf(self) -> int:  # noqa: D102 - documented on ShareResults
        return self._k_llf

    def __repr__(self) -> str:
        raw = "rebuilt from a fit artifact" if self.raw is None else type(self.raw).__name__
        return f"<AdaptedResults: {self.model_name}, nobs={self.nobs}, {raw}>"


def _single(raw: Any, name: str, equation: str, link: Link | None, **kw: Any) -> AdaptedResults:
    """Adapter of a single-equation statsmodels fit."""
    params = raw.params.copy()
    params.index = pd.MultiIndex.from_tuples([(equation, str(t)) for t in params.index])
    return AdaptedResults(
        raw, name, params, np.asarray(raw.cov_params()), nobs=int(raw.nobs), link=link, **kw
    )


@register_model("ols")
def fit_ols(frame: AnalysisFrame | pd.DataFrame, component: str = "marketing") -> AdaptedResults:
    """OLS of one share with HC3 standard errors.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.
    component : {"marketing", "self", "other"}
        The share modelled (default the marketing share).

    Returns
    -------
    AdaptedResults
        Model ``"ols"``, equation the component, :class:`IdentityLink`;
        ``raw`` is the statsmodels results. Covariance HC3 (MacKinnon & White
        1985), *t* statistics with ``n - p`` degrees of freedom, as
        ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, "HC3"))`` in R.
        The log-likelihood counts the error variance (as R's ``logLik.lm``).

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
    what = f"the OLS model of the {component} share"
    data = analysis_data(frame, what)
    y = _share(data, component, what)
    model = sm.OLS(y, analysis_exog(data, what))
    raw = _sm_fit(lambda: model.fit(cov_type="HC3", use_t=True), what)
    r2 = float(raw.rsquared)
    return _single(
        raw,
        "ols",
        component,
        IdentityLink(component),
        llf=float(raw.llf),
        k_llf=len(raw.params) + 1,
        r_squared=r2,
        equation_r_squared={component: r2},
        df_resid=float(raw.df_resid),
        fit_options={"component": component},
    )


@register_model("fractional_logit")
def fit_fractional_logit(
    frame: AnalysisFrame | pd.DataFrame, component: str = "marketing"
) -> AdaptedResults:
    """Fractional logit of one share (Papke & Wooldridge 1996), HC0 errors.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.
    component : {"marketing", "self", "other"}
        The share modelled (default the marketing share).

    Returns
    -------
    AdaptedResults
        Model ``"fractional_logit"``, :class:`LogitLink`; ``raw`` is the
        binomial-family GLM with logit link fitted to the share, with the HC0
        sandwich covariance; *z* statistics. No likelihood (NaN ``llf``, AIC
        and BIC): the Bernoulli log-likelihood is only a quasi-likelihood.

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
    what = f"the fractional logit of the {component} share"
    data = analysis_data(frame, what)
    y = _share(data, component, what)
    model = sm.GLM(y, analysis_exog(data, what), family=sm.families.Binomial())
    raw = _sm_fit(lambda: model.fit(cov_type="HC0", tol=1e-12, maxiter=100), what)
    if not raw.converged:
        warnings.warn(
            f"{what} did not converge in 100 iterations", ConvergenceWarning, stacklevel=2
        )
    return _single(
        raw,
        "fractional_logit",
        component,
        LogitLink(component),
        converged=bool(raw.converged),
        fit_options={"component": component},
    )


# ----------------------------------------------------------------------------
# SUR
# ----------------------------------------------------------------------------


@register_model("sur")
def fit_sur(frame: AnalysisFrame | pd.DataFrame) -> AdaptedResults:
    """Seemingly unrelated regressions of the marketing and self shares.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.

    Returns
    -------
    AdaptedResults
        Model ``"sur"``, equations ``marketing`` and ``self`` with the same
        regressors, no mean-share link (two linear equations, not a share
        model of every component); ``raw`` is the linearmodels
        ``SystemResults``. The log-likelihood is :func:`sur_log_likelihood`;
        ``r_squared`` McElroy's system R².

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

    what = "the SUR system of the marketing and self shares"
    data = analysis_data(frame, what)
    exog = analysis_exog(data, what)
    equations = {eq: {"dependent": _share(data, eq, what), "exog": exog} for eq in SUR_EQUATIONS}
    try:
        raw = SUR(equations).fit(method="gls", cov_type="unadjusted", debiased=True)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise EstimationError(f"{what} cannot be estimated: {exc}") from exc
    labels = [(eq, str(t)) for eq in SUR_EQUATIONS for t in raw.equations[eq].params.index]
    names = [f"{eq}_{t}" for eq, t in labels]
    params = pd.Series(raw.params[names].to_numpy(), index=pd.MultiIndex.from_tuples(labels))
    llf, k = sur_log_likelihood(raw)
    r2 = {eq: float(raw.equations[eq].rsquared) for eq in SUR_EQUATIONS}
    return AdaptedResults(
        raw,
        "sur",
        params,
        raw.cov.loc[names, names],
        nobs=raw.resids.shape[0],
        llf=llf,
        k_llf=k,
        r_squared=float(raw.system_rsquared["mcelroy"]),
        equation_r_squared=r2,
    )


def sur_prequal_wald(sur: ShareResults, term: str = "prequal") -> WaldTest:
    r"""Wald test that a term moves the marketing and self shares in opposite directions equally.

    Parameters
    ----------
    sur : ShareResults
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
        other work unchanged). :meth:`ShareResults.wald_test` computes it.

    Raises
    ------
    EstimationError
        When the term is not in both equations or its variance is not positive.
    """
    return sur.wald_test(
        {(eq, term): 1.0 for eq in SUR_EQUATIONS},
        null=f"b[{term}, marketing] + b[{term}, self] = 0",
    )


def sur_log_likelihood(sur: Any) -> tuple[float, int]:
    r"""Gaussian log-likelihood of a SUR system, as R's ``logLik.systemfit``.

    Parameters
    ----------
    sur : linearmodels SystemResults
        The SUR fit (``fit_sur(frame).raw``).

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


@register_model("probit")
def fit_probit(frame: AnalysisFrame) -> AdaptedResults | None:
    """Probit of having any marketing-lead time, over every rep with complete predictors.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`; the
        probit uses ``frame.selection`` (reps with and without marketing-lead
        time, predictors centred at the analysis-sample means).

    Returns
    -------
    AdaptedResults or None
        Model ``"probit"``, equation ``any_marketing``, no mean-share link;
        ``raw`` is the statsmodels results; covariance the inverse of the
        observed information
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
    converged = bool(res.mle_retvals.get("converged", True))
    if not converged:
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
    return _single(res, "probit", SELECTION_OUTCOME, None, llf=float(res.llf), converged=converged)


# ----------------------------------------------------------------------------
# leave one firm out
# ----------------------------------------------------------------------------


def leave_one_firm_out(
    frame: AnalysisFrame | pd.DataFrame,
    parametrization: str = "alternative",
    skipped: dict[str, str] | None = None,
) -> dict[str, DirichletRegressionResults]:
    """Re-estimate the main model once per firm, leaving that firm's reps out.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`, or its
        ``data``.
    parametrization : {"alternative", "common"}
        Passed to :func:`~leadblackhole.models.main.fit_main_model`.
    skipped : dict, optional
        Where to record, as ``loo_<firm>: reason``, each firm not left out in
        turn: a firm with fewer than
        :data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS` reps, and,
        when ``skipped`` is given, a firm whose reduced design cannot be
        fitted (without it that raises).

    Returns
    -------
    dict of str to DirichletRegressionResults
        Keyed by the firm left out, in sorted order of the labels. The
        dropped firm's dummy leaves the design with it; when the reference
        firm is dropped, the next label in sorted order becomes the reference
        (so the remaining firm coefficients change meaning). The predictors
        keep the centring of the full analysis sample, so the main-effect
        coefficients remain effects at the full-sample means. A firm with
        fewer than :data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS`
        reps is not left out in turn (it stays, with its dummy, in the other
        fits): leaving out a handful of reps says nothing about the firms.

    Raises
    ------
    EstimationError
        When the sample holds fewer than 2 firms, or (without ``skipped``) a
        reduced design is singular.
    """
    data = analysis_data(frame)
    main_model_exog(data)  # fail early, with the full-sample message
    firms = firm_levels(data["firm"])
    if len(firms) < 2:
        raise EstimationError(
            f"leave-one-firm-out needs at least 2 firms; the analysis sample holds {len(firms)}"
        )
    small = small_firms(data["firm"])
    fits: dict[str, DirichletRegressionResults] = {}
    for firm in firms:
        if firm in small:
            if skipped is not None:
                skipped[f"loo_{firm}"] = (
                    f"firm {firm!r} has {small[firm]} analysable reps, fewer than the "
                    f"{FIRM_CHECK_MIN_REPS} of a firm-specific check"
                )
            continue
        keep = data["firm"].astype(str) != firm
        sub = data.loc[keep]
        try:
            fits[firm] = fit_main_model(sub, parametrization=parametrization)
        except EstimationError as exc:
            if skipped is None:
                raise EstimationError(f"leaving out firm {firm!r}: {exc}") from exc
            skipped[f"loo_{firm}"] = f"not estimable: {exc}"
    return fits
