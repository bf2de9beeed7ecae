r"""Fractional multinomial logit of the three time shares (quasi-maximum likelihood).

The fractional multinomial logit (Papke & Wooldridge 1996; Mullahy 2015;
Stata's ``fmlogit``) models the *expected* shares only,

.. math::

    E[y_{ik} \mid x_i] = \mu_{ik} = \frac{\exp(x_i^\top\beta_k)}{\sum_j \exp(x_i^\top\beta_j)},
    \qquad \beta_{\text{other}} = 0,

the same multinomial-logit mean as the alternative parametrization of the
Dirichlet regression, and estimates :math:`\beta` by maximizing the
multinomial quasi-log-likelihood

.. math::

    \ell(\beta) = \sum_i \sum_k y_{ik}\log\mu_{ik}.

The estimator is consistent whenever the mean is right, whatever the
distribution of the shares, and it takes shares of exactly 0 and 1 as they are
(no compression). Because the quasi-likelihood is not the density of the data,
the model-based covariance is wrong in general; the covariance reported is the
HC0 sandwich :math:`A^{-1}BA^{-1}` with :math:`A = -\partial^2\ell/\partial\beta
\partial\beta^\top` and :math:`B = \sum_i s_i s_i^\top`, without a small-sample
factor (as Stata's ``fmlogit`` with ``vce(robust)`` before its
:math:`n/(n-1)` factor, and as ``sandwich::sandwich`` in R), computed by
:mod:`leadblackhole.models.covariance`.

Derivatives (vectorized, checked against numerical derivatives in the tests):
for the non-base equations :math:`j, l`,

.. math::

    s_{i,(j)} = (y_{ij} - \mu_{ij})\,x_i, \qquad
    \frac{\partial^2\ell}{\partial\beta_j\partial\beta_l^\top}
      = -\sum_i \mu_{ij}(\delta_{jl} - \mu_{il})\,x_i x_i^\top .

The Hessian does not involve :math:`y`, so observed and expected information
coincide, and :math:`\ell` is concave in :math:`\beta`: Newton's method with
step halving converges from zero.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceWarning, EstimationError
from ..specification import COMPONENTS
from .covariance import inverse_information, sandwich
from .design import check_full_rank
from .main import BASE_COMPONENT, analysis_data, main_model_exog
from .results import ShareResults, SoftmaxLink, register_model

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "FractionalMultinomialLogit",
    "FractionalMultinomialLogitResults",
    "fit_fmlogit",
    "fmlogit_model",
]

#: Below this half squared Newton decrement full Newton steps are taken without a line search.
FULL_STEP_DECREMENT = 1e-8


def _softmax(eta: np.ndarray) -> np.ndarray:
    e = eta - eta.max(axis=1, keepdims=True)
    mu = np.exp(e)
    return mu / mu.sum(axis=1, keepdims=True)


class FractionalMultinomialLogit:
    r"""Fractional multinomial logit (multinomial quasi-likelihood) of shares.

    Parameters
    ----------
    endog : DataFrame, shape (n, K)
        Non-negative shares of K >= 2 components, zeros and ones allowed.
        Every row is divided by its sum (raw shares are row-normalized); a row
        whose sum is zero raises.
    exog : DataFrame, shape (n, p)
        Regressors of every mean equation, with an intercept column when wanted
        (none is added). Must be finite and of full column rank.
    base : str, default "other"
        Base component, whose coefficients are fixed at zero.

    Attributes
    ----------
    endog_names : list of str
        Components in column order.
    base : str
        The base component.
    equations : list of str
        The non-base components, in column order: one coefficient vector each.
    exog_names : list of str
        Regressor names.
    param_names : pandas.MultiIndex
        (equation, term) labels of the parameter vector, equation by equation.
    nobs : int

    Raises
    ------
    EstimationError
        Fewer than 2 components, negative or non-finite shares, a row of zeros,
        rows that do not align, a singular design or an unknown base.

    Notes
    -----
    See the module notes for the quasi-log-likelihood, score and Hessian.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = pd.DataFrame(rng.dirichlet([2, 3, 5], size=100), columns=["a", "b", "other"])
    >>> X = pd.DataFrame({"Intercept": np.ones(100), "x": rng.normal(size=100)})
    >>> res = FractionalMultinomialLogit(y, X).fit()
    >>> res.params.index.get_level_values("equation").unique().tolist()
    ['a', 'b']
    """

    def __init__(self, endog: pd.DataFrame, exog: pd.DataFrame, base: str = BASE_COMPONENT):
        if not isinstance(endog, pd.DataFrame) or not isinstance(exog, pd.DataFrame):
            raise EstimationError("endog and exog must be pandas DataFrames")
        if endog.shape[1] < 2:
            raise EstimationError(
                f"endog must have at least 2 components (columns); got {endog.shape[1]}"
            )
        names = [str(c) for c in endog.columns]
        if base not in names:
            raise EstimationError(f"base must be one of the components {names}; received {base!r}")
        if len(endog) != len(exog) or not endog.index.equals(exog.index):
            raise EstimationError(
                "endog and exog must have the same rows (same length and the same index)"
            )
        try:
            y = endog.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise EstimationError(f"endog must be numeric: {exc}") from exc
        if not np.isfinite(y).all():
            raise EstimationError("endog contains missing or infinite shares")
        if (y < 0).any():
            raise EstimationError("endog contains negative shares")
        sums = y.sum(axis=1)
        if (sums <= 0).any():
            raise EstimationError(
                f"endog has {int((sums <= 0).sum())} row(s) whose shares are all zero"
            )
        check_full_rank(
            exog.to_numpy(dtype=float),
            [str(c) for c in exog.columns],
            "the design of the fractional multinomial logit",
        )
        self.endog_names: list[str] = names
        self.base: str = base
        self.equations: list[str] = [c for c in names if c != base]
        self.exog_names: list[str] = [str(c) for c in exog.columns]
        self.param_names = pd.MultiIndex.from_tuples(
            [(e, t) for e in self.equations for t in self.exog_names], names=["equation", "term"]
        )
        self.nobs: int = int(y.shape[0])
        self.k_params: int = len(self.param_names)
        self._index = endog.index.copy()
        order = [names.index(c) for c in self.equations]
        # internal layout: non-base components first, base last
        self._y = (y / sums[:, None])[:, order + [names.index(base)]]
        self._y.setflags(write=False)
        self._x = exog.to_numpy(dtype=float)
        self._x.setflags(write=False)
        self._order = order

    # ------------------------------------------------------------------
    def _coef(self, params: Any) -> np.ndarray:
        theta = np.asarray(params, dtype=float).ravel()
        if theta.size != self.k_params:
            raise EstimationError(f"params must have {self.k_params} elements; got {theta.size}")
        return theta.reshape(len(self.equations), -1).T  # (p, q)

    def _mu(self, coef: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        x = self._x if x is None else x
        eta = np.column_stack([x @ coef, np.zeros(x.shape[0])])
        return _softmax(eta)  # internal layout (n, q + 1)

    def loglike_obs(self, params: Any) -> np.ndarray:
        r"""Per-observation quasi-log-likelihood :math:`\sum_k y_{ik}\log\mu_{ik}`.

        Parameters
        ----------
        params : array-like
            Parameters in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (nobs,)
            Terms with :math:`y_{ik} = 0` contribute zero.
        """
        mu = self._mu(self._coef(params))
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(self._y > 0, self._y * np.log(mu), 0.0)
        return terms.sum(axis=1)

    def loglike(self, params: Any) -> float:
        """Quasi-log-likelihood at ``params`` (sum of :meth:`loglike_obs`).

        Parameters
        ----------
        params : array-like
            Parameters in the order of :attr:`param_names`.

        Returns
        -------
        float
        """
        return float(self.loglike_obs(params).sum())

    def score_obs(self, params: Any) -> np.ndarray:
        r"""Per-observation score :math:`(y_{ij} - \mu_{ij})x_i`, equation by equation.

        Parameters
        ----------
        params : array-like
            Parameters in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (nobs, k_params)
        """
        q = len(self.equations)
        resid = self._y[:, :q] - self._mu(self._coef(params))[:, :q]
        return (resid[:, :, None] * self._x[:, None, :]).reshape(self.nobs, -1)

    def score(self, params: Any) -> np.ndarray:
        """Gradient of the quasi-log-likelihood (column sums of :meth:`score_obs`).

        Parameters
        ----------
        params : array-like
            Parameters in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (k_params,)
        """
        return self.score_obs(params).sum(axis=0)

    def hessian(self, params: Any) -> np.ndarray:
        r"""Hessian :math:`-\sum_i (\mathrm{diag}\,\mu_i - \mu_i\mu_i^\top)\otimes x_ix_i^\top`.

        Parameters
        ----------
        params : array-like
            Parameters in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (k_params, k_params)
            Negative semi-definite; independent of the shares.
        """
        q = len(self.equations)
        mu = self._mu(self._coef(params))[:, :q]
        w = -(mu[:, :, None] * (np.eye(q)[None] - mu[:, None, :]))  # (n, q, q)
        x = self._x
        p = x.shape[1]
        h = np.empty((q, p, q, p))
        for j in range(q):  # block (j, l) is X' diag(w_jl) X: a matrix product per block
            for k in range(j, q):
                h[j, :, k, :] = x.T @ (w[:, j, k, None] * x)
                h[k, :, j, :] = h[j, :, k, :].T
        return h.reshape(q * p, q * p)

    # ------------------------------------------------------------------
    def fit(self, maxiter: int = 100, tol: float = 1e-20, start_params: Any = None):
        r"""Estimate the coefficients by Newton's method.

        Parameters
        ----------
        maxiter : int, default 100
            Maximum number of Newton iterations.
        tol : float, default 1e-20
            Stop when half the squared Newton decrement :math:`g^\top(-H)^{-1}g/2`
            (the predicted gain of a full step) falls below ``tol``; Newton's
            quadratic convergence reaches it one or two steps after a
            decrement of 1e-10, leaving a gradient near rounding error.
        start_params : array-like, optional
            Starting values; default zeros (equal shares).

        Returns
        -------
        FractionalMultinomialLogitResults

        Raises
        ------
        EstimationError
            Bad ``maxiter`` or ``tol``, or a singular Hessian.

        Warns
        -----
        ConvergenceWarning
            When the criterion is not met within ``maxiter`` iterations.

        Notes
        -----
        The quasi-log-likelihood is concave, so a full Newton step is taken and
        halved only while it fails to increase :math:`\ell`; once the decrement
        is below :data:`FULL_STEP_DECREMENT` the full step is always taken (the
        change in :math:`\ell` is then below its rounding error).
        """
        if not (isinstance(maxiter, int | np.integer) and maxiter >= 0):
            raise EstimationError(f"maxiter must be a non-negative integer; received {maxiter!r}")
        if not (isinstance(tol, float | int) and tol > 0):
            raise EstimationError(f"tol must be a positive number; received {tol!r}")
        theta = (
            np.zeros(self.k_params)
            if start_params is None
            else np.asarray(start_params, dtype=float).ravel().copy()
        )
        self._coef(theta)
        llf = self.loglike(theta)
        converged, iterations, decrement = False, 0, np.inf
        for iterations in range(1, int(maxiter) + 1):  # noqa: B007
            g = self.score(theta)
            h = self.hessian(theta)
            try:
                step = np.linalg.solve(-h, g)
            except np.linalg.LinAlgError as exc:
                raise EstimationError(
                    f"the fractional multinomial logit's Hessian is singular: {exc}"
                ) from exc
            decrement = float(g @ step) / 2
            if decrement < tol:
                converged = True
                break
            t = 1.0
            new = theta + step
            new_llf = self.loglike(new)
            while decrement > FULL_STEP_DECREMENT and not new_llf >= llf and t > 2.0**-50:
                t /= 2
                new = theta + t * step
                new_llf = self.loglike(new)
            theta, llf = new, new_llf
        if not converged:
            warnings.warn(
                f"the fractional multinomial logit did not converge in {maxiter} iterations "
                f"(half squared Newton decrement {decrement:.3g}, tol {tol:.3g})",
                ConvergenceWarning,
                stacklevel=2,
            )
        return FractionalMultinomialLogitResults(self, theta, llf, converged, iterations)

    def predict(self, params: Any, exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Mean shares at ``params`` for the estimation rows or new regressors.

        Parameters
        ----------
        params : array-like
            Parameters in the order of :attr:`param_names`.
        exog : DataFrame, optional
            New regressors holding the columns :attr:`exog_names`.

        Returns
        -------
        DataFrame
            One column per component, in the order of :attr:`endog_names`.

        Raises
        ------
        EstimationError
            When ``exog`` lacks a regressor or has non-finite values.
        """
        if exog is None:
            x, index = self._x, self._index
        else:
            missing = [c for c in self.exog_names if c not in exog.columns]
            if missing:
                raise EstimationError(f"exog lacks the regressor(s) {missing}")
            x = exog[self.exog_names].to_numpy(dtype=float)
            if not np.isfinite(x).all():
                raise EstimationError("exog holds missing or infinite values")
            index = exog.index
        mu = self._mu(self._coef(params), x)
        internal = self.equations + [self.base]
        return pd.DataFrame(mu, index=index, columns=internal)[self.endog_names]

    @property
    def shares(self) -> pd.DataFrame:
        """The row-normalized shares the quasi-likelihood uses (no compression)."""
        internal = self.equations + [self.base]
        return pd.DataFrame(self._y, index=self._index, columns=internal)[self.endog_names]

    def __repr__(self) -> str:
        return (
            f"FractionalMultinomialLogit(components={self.endog_names}, base={self.base!r}, "
            f"nobs={self.nobs}, k_params={self.k_params})"
        )


class FractionalMultinomialLogitResults(ShareResults):
    r"""Immutable results of :meth:`FractionalMultinomialLogit.fit`.

    Parameters
    ----------
    model : FractionalMultinomialLogit
    params : ndarray
        Estimates in the order of ``model.param_names``.
    llf : float
        Maximized quasi-log-likelihood.
    converged : bool
    iterations : int
    stored : tuple of ndarray, optional
        The Hessian, the per-observation scores, the model-based and the HC0
        covariance at ``params``, as a fit artifact stores them; default
        computed from the model.

    Attributes
    ----------
    model, llf, converged, iterations
    cov_type : str
        ``"HC0"``.

    Notes
    -----
    :meth:`cov_params` is the HC0 sandwich :math:`A^{-1}BA^{-1}` (module
    notes); :meth:`cov_params_model` the inverse of :math:`A`, valid only if
    the multinomial quasi-likelihood were the true likelihood (kept for
    comparison). z statistics and p-values use the standard normal. The
    results implement :class:`~leadblackhole.models.results.ShareResults`
    (model name ``"fmlogit"``): the mean model is the softmax with base
    ``other`` (:class:`~leadblackhole.models.results.SoftmaxLink`), so the
    effects engine reads it as it reads the Dirichlet model's mean. ``llf``
    is the quasi-log-likelihood: it is reported, but the AIC and BIC built
    on it are not likelihood criteria.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> y = pd.DataFrame(rng.dirichlet([2, 3, 5], size=80), columns=["a", "b", "other"])
    >>> X = pd.DataFrame({"Intercept": np.ones(80)})
    >>> res = FractionalMultinomialLogit(y, X).fit()
    >>> bool(np.allclose(res.predict().mean(), y.mean()))
    True
    """

    cov_type = "HC0"
    model_name = "fmlogit"
    fit_options: dict[str, Any] = {}

    def __init__(
        self,
        model: FractionalMultinomialLogit,
        params: np.ndarray,
        llf: float,
        converged: bool,
        iterations: int,
        *,
        stored: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        params = np.array(params, dtype=float)
        if stored is not None:  # a fit artifact's arrays (leadblackhole.models.stored)
            hessian, s, a_inv, cov = (np.array(a, dtype=float) for a in stored)
        else:
            hessian = model.hessian(params)
            s = model.score_obs(params)
            try:
                a_inv = inverse_information(hessian)
            except np.linalg.LinAlgError as exc:
                raise EstimationError(
                    f"the fractional multinomial logit's Hessian is singular at the estimate: {exc}"
                ) from exc
            cov = sandwich(a_inv, s)
        for arr in (params, hessian, s, a_inv, cov):
            arr.setflags(write=False)
        set_ = object.__setattr__
        set_(self, "model", model)
        set_(self, "_params", params)
        set_(self, "_hessian", hessian)
        set_(self, "_score_obs", s)
        set_(self, "_cov_model", a_inv)
        set_(self, "_cov", cov)
        set_(self, "llf", float(llf))
        set_(self, "converged", bool(converged))
        set_(self, "iterations", int(iterations))

    # ------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        """Number of observations."""
        return self.model.nobs

    @property
    def df_model(self) -> int:
        """Number of estimated coefficients."""
        return self.model.k_params

    @property
    def params(self) -> pd.Series:
        """Estimates indexed by (equation, term)."""
        return pd.Series(self._params, index=self.model.param_names, name="params")

    def cov_params(self) -> pd.DataFrame:
        """HC0 sandwich covariance, labelled by (equation, term).

        Returns
        -------
        DataFrame
        """
        names = self.model.param_names
        return pd.DataFrame(np.array(self._cov), index=names, columns=names)

    def cov_params_model(self) -> pd.DataFrame:
        """Inverse negative Hessian (model-based covariance; not for inference).

        Returns
        -------
        DataFrame
        """
        names = self.model.param_names
        return pd.DataFrame(np.array(self._cov_model), index=names, columns=names)

    @property
    def link(self) -> SoftmaxLink:
        """Multinomial-logit means over the components (base ``other``)."""
        names = tuple(self.model.endog_names)
        return SoftmaxLink(names, tuple(self.model.equations), base=names.index(self.model.base))

    def hessian(self) -> pd.DataFrame:
        """Hessian of the quasi-log-likelihood at the estimate, labelled."""
        names = self.model.param_names
        return pd.DataFrame(np.array(self._hessian), index=names, columns=names)

    def score_obs(self) -> np.ndarray:
        """Per-observation scores at the estimate, shape (nobs, k_params)."""
        return np.array(self._score_obs)

    def predict(self, exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Mean shares of every component.

        Parameters
        ----------
        exog : DataFrame, optional
            New regressors; default the estimation rows.

        Returns
        -------
        DataFrame
            Columns in the order of ``model.endog_names``.
        """
        return self.model.predict(self._params, exog)

    @property
    def fittedvalues(self) -> pd.DataFrame:
        """Mean shares of the estimation rows."""
        return self.predict()

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimates, HC0 standard errors, z, p and confidence limits.

        Parameters
        ----------
        alpha : float
            One minus the confidence level.

        Returns
        -------
        DataFrame
            Indexed by (equation, term); columns ``estimate, std_error,
            statistic, p_value, conf_low, conf_high``.
        """
        ci = self.conf_int(alpha)
        return pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": self.bse,
                "statistic": self.tvalues,
                "p_value": self.pvalues,
                "conf_low": ci["lower"],
                "conf_high": ci["upper"],
            }
        )

    def __repr__(self) -> str:
        return (
            f"FractionalMultinomialLogitResults(nobs={self.nobs}, k_params={self.df_model}, "
            f"llf={self.llf:.6g}, converged={self.converged})"
        )


@register_model("fmlogit")
def fit_fmlogit(frame: AnalysisFrame | pd.DataFrame) -> FractionalMultinomialLogitResults:
    """Fit the fractional multinomial logit of the three time shares.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame` (or its
        ``data``). The design is the main model's
        (:func:`~leadblackhole.models.main.main_model_exog`); the shares are
        the reported ones (percents divided by their row sum, zeros and ones
        as reported), not the compressed shares the Dirichlet likelihood needs.

    Returns
    -------
    FractionalMultinomialLogitResults
        Equations ``marketing`` and ``self`` (base ``other``), the main
        model's term names, HC0 covariance.

    Raises
    ------
    EstimationError
        When the data lack the shares, the shares are invalid or the
        design is singular.

    Warns
    -----
    ConvergenceWarning
        When Newton's method does not converge.

    Examples
    --------
    >>> from leadblackhole.simulation import StudyDesign, simulate
    >>> from leadblackhole.data import build_analysis_frame, validate_survey
    >>> survey, _ = simulate(StudyDesign(), seed=1)
    >>> res = fit_fmlogit(build_analysis_frame(validate_survey(survey)))
    >>> res.params.index.get_level_values("equation").unique().tolist()
    ['marketing', 'self']
    """
    return fmlogit_model(frame).fit()


def fmlogit_model(frame: AnalysisFrame | pd.DataFrame) -> FractionalMultinomialLogit:
    """The fractional multinomial logit of the analysis sample's shares, not fitted.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        As :func:`fit_fmlogit`.

    Returns
    -------
    FractionalMultinomialLogit
        What :func:`fit_fmlogit` fits; the fit artifact rebuilds its results on
        it (:mod:`leadblackhole.models.stored`).

    Raises
    ------
    EstimationError
        When the data lack the shares, or as :class:`FractionalMultinomialLogit`.
    """
    data = analysis_data(frame)
    exog = main_model_exog(data)
    missing = [c for c in COMPONENTS if c not in data.columns]
    if missing:
        raise EstimationError(f"the analysis data lack the share column(s) {missing}")
    endog = data[list(COMPONENTS)].set_axis(exog.index)
    return FractionalMultinomialLogit(endog, exog, base=BASE_COMPONENT)
