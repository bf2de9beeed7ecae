r"""One results interface for every share model, and one entry point to fit them.

Every share model is fitted through :func:`fit_share_model` and returns a
:class:`ShareResults`: labelled ``params`` and covariance, ``tidy()``,
``fit_stats()``, tests of linear restrictions, and the mean-share interface
the effects engine reads (a :class:`Link` from linear predictors to expected
shares and their derivatives, the mean coefficients and their covariance).
Adding a model means writing the model and one adapter registered with
:func:`register_model`; ``docs/architecture.md`` shows an example.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import EstimationError
from ..shares import softmax_effect

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "ESTIMATE_COLUMNS",
    "FIT_STAT_COLUMNS",
    "IdentityLink",
    "Link",
    "LogitLink",
    "ShareResults",
    "SoftmaxLink",
    "WaldTest",
    "fit_share_model",
    "register_model",
    "registered_models",
]

#: Columns of the long estimates table (:meth:`ShareResults.tidy`), in order.
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

#: Keys of :meth:`ShareResults.fit_stats`, in order.
FIT_STAT_COLUMNS: tuple[str, ...] = (
    "model",
    "n",
    "log_likelihood",
    "aic",
    "bic",
    "r_squared",
    "converged",
)


def check_alpha(alpha: Any) -> float:
    """Return ``alpha`` when it lies strictly between 0 and 1, else raise EstimationError."""
    if isinstance(alpha, bool) or not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise EstimationError(f"alpha must lie strictly between 0 and 1; received {alpha!r}")
    return float(alpha)


# ----------------------------------------------------------------------------
# test statistics
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class WaldTest:
    r"""Outcome of a test of linear restrictions (or any one-statistic test).

    Parameters
    ----------
    stat : float
        Test statistic, e.g. :math:`(Rb - q)^\top (R V R^\top)^{-1} (Rb - q)`.
    pval : float
        Upper-tail probability of ``stat`` under the null distribution.
    df : int
        Degrees of freedom (number of restrictions).
    null : str
        The null hypothesis, in words.
    dist_name : str
        Name of the null distribution (``"chi2"``).
    estimate : float
        For one restriction, :math:`r^\top b - q`; NaN otherwise.
    std_error : float
        For one restriction, :math:`\sqrt{r^\top V r}`; NaN otherwise.

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
        row = {"test": test, "null": self.null, "estimate": self.estimate}
        row |= {"std_error": self.std_error, "statistic": self.stat, "df": self.df}
        row |= {"p_value": self.pval, "distribution": self.dist_name}
        return pd.DataFrame([row])


# ----------------------------------------------------------------------------
# links: the mean shares as functions of the linear predictors
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    r"""How a share model's expected shares depend on its linear predictors.

    Parameters
    ----------
    components : tuple of str
        Shares the model spreads time over (``effect`` returns one column each).
    equations : tuple of str
        Equations with a column of mean coefficients, in the column order of
        :attr:`ShareResults.mean_coef`.

    Notes
    -----
    Subclasses implement :meth:`effect` with analytic numpy operations only
    (no ``abs``, comparisons or ``.real`` on inputs): the effects engine takes
    its derivatives with respect to the coefficients by the complex step.
    """

    components: tuple[str, ...]
    equations: tuple[str, ...]
    name = "link"

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Shares whose effects the model can give (default every component)."""
        return self.components

    def effect(
        self, order: int, eta: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
    ) -> np.ndarray:
        r"""Per-row mean share (order 0), derivative (1) or cross-partial (2).

        Parameters
        ----------
        order : {0, 1, 2}
            What to return.
        eta, a, b, c : ndarray (..., q)
            Linear predictors of the ``q`` equations and their derivatives by
            ``x`` (a), by ``m`` (b) and by both (c).

        Returns
        -------
        ndarray (..., K)
            One column per component.
        """
        raise NotImplementedError


@dataclass(frozen=True)
class SoftmaxLink(Link):
    r"""Multinomial-logit means with a base component whose coefficients are zero.

    :math:`\mu_k = \exp(\eta_k) / \sum_j \exp(\eta_j)`, :math:`\eta_{base} = 0`
    (:func:`leadblackhole.shares.softmax_effect` gives the derivatives).

    Parameters
    ----------
    components : tuple of str
        Every component, the base included.
    equations : tuple of str
        The non-base components, in order.
    base : int
        Position of the base in ``components``.

    Examples
    --------
    >>> link = SoftmaxLink(("m", "s", "o"), ("m", "s"), base=2)
    >>> link.effect(0, np.zeros((1, 2)), 0, 0, 0).round(3).tolist()
    [[0.333, 0.333, 0.333]]
    """

    base: int = 0
    name = "softmax"

    def effect(self, order, eta, a, b, c):  # noqa: D102 - documented on Link
        return softmax_effect(order, eta, a, b, c, self.base)


class LogitLink(SoftmaxLink):
    """One share against the rest: a two-component softmax (fractional logit).

    Parameters
    ----------
    outcome : str
        The modelled share.

    Examples
    --------
    >>> LogitLink("marketing").outcomes
    ('marketing',)
    """

    name = "logit"

    def __init__(self, outcome: str) -> None:
        super().__init__((outcome, "rest"), (outcome,), base=1)

    @property
    def outcomes(self) -> tuple[str, ...]:  # noqa: D102 - documented on Link
        return self.components[:1]


class IdentityLink(Link):
    """A linear model of one share: the mean is the linear predictor.

    Parameters
    ----------
    outcome : str
        The modelled share.

    Examples
    --------
    >>> IdentityLink("marketing").effect(1, np.ones((2, 1)), np.full((2, 1), 0.5), 0, 0).tolist()
    [[0.5], [0.5]]
    """

    name = "identity"

    def __init__(self, outcome: str) -> None:
        super().__init__((outcome,), (outcome,))

    def effect(self, order, eta, a, b, c):  # noqa: D102 - documented on Link
        return (eta, np.broadcast_to(a, eta.shape), np.broadcast_to(c, eta.shape))[order]


# ----------------------------------------------------------------------------
# the results interface
# ----------------------------------------------------------------------------
class ShareResults:
    r"""The interface every fitted share model offers.

    Subclasses (the adapters) provide ``params`` (Series indexed by
    (``equation``, ``term``)), ``cov_params()`` (DataFrame with the same
    labels), ``nobs`` and, where defined, ``llf``, ``k_llf`` (the number of
    parameters the likelihood counts), ``r_squared``, ``converged``, ``link``
    and ``df_resid`` (set for *t* inference). Everything else is derived here.
    Results are immutable: a subclass sets its attributes in ``__init__`` with
    ``object.__setattr__``; any later assignment or deletion raises
    ``AttributeError``.

    Attributes
    ----------
    model_name : str
        Label of the model in every table (``"dirichlet"``, ``"ols"``...).
    link : Link or None
        The mean-share link; ``None`` for a model that is not a share model
        (the probit of any marketing-lead time).
    fit_options : dict
        Options of :func:`fit_share_model` that reproduce the fit on other data
        (used by the bootstrap).

    Notes
    -----
    :math:`\mathrm{AIC} = -2\ell + 2k`, :math:`\mathrm{BIC} = -2\ell + k\log n`
    with :math:`k` = ``k_llf``; both NaN where ``llf`` is NaN.
    """

    model_name: str = "share_model"
    link: Link | None = None
    fit_options: Mapping[str, Any] = {}
    converged: bool = True
    r_squared: float = float("nan")
    equation_r_squared: Mapping[str, float] = {}
    llf: float = float("nan")
    df_resid: float | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    # -- to be provided by the adapter --------------------------------------
    @property
    def params(self) -> pd.Series:
        """Estimates, indexed by (equation, term)."""
        raise NotImplementedError

    def cov_params(self) -> pd.DataFrame:
        """Covariance of the estimates, labelled like ``params`` on both axes."""
        raise NotImplementedError

    @property
    def nobs(self) -> int:
        """Number of observations."""
        raise NotImplementedError

    @property
    def k_llf(self) -> int:
        """Number of parameters counted by the likelihood (default ``len(params)``)."""
        return len(self.params)

    # -- inference ------------------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        """Standard errors, the square roots of the diagonal of ``cov_params()``."""
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(self.cov_params().to_numpy(dtype=float)))
        return pd.Series(se, index=self.params.index, name="std_err")

    @property
    def tvalues(self) -> pd.Series:
        """z (or t) statistics, params / bse."""
        return (self.params / self.bse).rename("z")

    def _dist(self):
        return stats.norm if self.df_resid is None else stats.t(self.df_resid)

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of the statistics (normal, or t with ``df_resid``)."""
        pv = 2.0 * self._dist().sf(np.abs(self.tvalues.to_numpy()))
        return pd.Series(pv, index=self.params.index, name="pvalue")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of coverage ``1 - alpha``.

        Parameters
        ----------
        alpha : float, default 0.05

        Returns
        -------
        DataFrame
            Columns ``lower`` and ``upper``, indexed like ``params``.

        Raises
        ------
        EstimationError
            When ``alpha`` is not strictly between 0 and 1.
        """
        q = self._dist().ppf(1.0 - check_alpha(alpha) / 2.0)
        p, se = self.params.to_numpy(), self.bse.to_numpy()
        return pd.DataFrame({"lower": p - q * se, "upper": p + q * se}, index=self.params.index)

    @property
    def aic(self) -> float:
        """Akaike information criterion, -2 llf + 2 k (NaN without a likelihood)."""
        return -2.0 * self.llf + 2.0 * self.k_llf

    @property
    def bic(self) -> float:
        """Bayesian information criterion, -2 llf + k log(n) (NaN without a likelihood)."""
        return -2.0 * self.llf + math.log(self.nobs) * self.k_llf

    def _restrictions(self, restrictions: Any, value: Any) -> tuple[np.ndarray, np.ndarray]:
        index = self.params.index
        if isinstance(restrictions, Mapping):
            restrictions = [restrictions]
        if isinstance(restrictions, Sequence) and all(isinstance(r, Mapping) for r in restrictions):
            R = np.zeros((len(restrictions), len(index)))
            for i, r in enumerate(restrictions):
                for label, w in r.items():
                    if label not in index:
                        raise EstimationError(f"the results have no parameter {label!r}")
                    R[i, index.get_loc(label)] = float(w)
        else:
            R = np.atleast_2d(np.asarray(restrictions, dtype=float))
        if R.shape[1] != len(index):
            raise EstimationError(
                f"a restriction needs {len(index)} weights (one per parameter); got {R.shape[1]}"
            )
        q = np.broadcast_to(np.asarray(value, dtype=float), (R.shape[0],))
        return R, q

    def t_test(self, restrictions: Any, value: Any = 0.0, alpha: float = 0.05) -> pd.DataFrame:
        r"""Test each linear restriction :math:`r^\top\theta = q` separately.

        Parameters
        ----------
        restrictions : mapping, list of mappings, or array (m, k)
            A mapping ``{param label: weight}`` per restriction, or the matrix
            :math:`R` in the order of ``params``.
        value : float or array (m,), default 0
            The right-hand sides :math:`q`.
        alpha : float, default 0.05
            One minus the confidence level of the intervals.

        Returns
        -------
        DataFrame
            One row per restriction: ``estimate`` (:math:`r^\top\hat\theta - q`),
            ``std_error``, ``statistic``, ``p_value``, ``conf_low``, ``conf_high``.

        Raises
        ------
        EstimationError
            Unknown parameter labels or a matrix of the wrong width.

        Examples
        --------
        >>> res.t_test({("marketing", "prequal"): 1.0})     # doctest: +SKIP
        """
        R, q = self._restrictions(restrictions, value)
        est = R @ self.params.to_numpy() - q
        se = np.sqrt(np.einsum("ik,kl,il->i", R, self.cov_params().to_numpy(), R))
        z = est / se
        crit = self._dist().ppf(1 - check_alpha(alpha) / 2)
        return pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                "statistic": z,
                "p_value": 2 * self._dist().sf(np.abs(z)),
                "conf_low": est - crit * se,
                "conf_high": est + crit * se,
            }
        )

    def wald_test(self, restrictions: Any, value: Any = 0.0, null: str | None = None) -> WaldTest:
        r"""Joint Wald test of linear restrictions :math:`R\theta = q`.

        Parameters
        ----------
        restrictions, value
            As for :meth:`t_test`.
        null : str, optional
            The null hypothesis in words (default a generic description).

        Returns
        -------
        WaldTest
            :math:`W = (R\hat\theta - q)^\top (R\hat V R^\top)^{-1}
            (R\hat\theta - q)`, :math:`\chi^2` with as many degrees of freedom
            as restrictions.

        Raises
        ------
        EstimationError
            Bad restrictions, or a singular :math:`R\hat V R^\top`.
        """
        R, q = self._restrictions(restrictions, value)
        d = R @ self.params.to_numpy() - q
        V = R @ self.cov_params().to_numpy() @ R.T
        if not (np.all(np.isfinite(V)) and np.linalg.matrix_rank(V) == len(d)):
            raise EstimationError("the covariance of the restrictions is singular or not finite")
        stat = float(d @ np.linalg.solve(V, d))
        one = len(d) == 1
        return WaldTest(
            stat=stat,
            pval=float(stats.chi2.sf(stat, len(d))),
            df=len(d),
            null=null or f"{len(d)} linear restriction(s) R theta = q",
            estimate=float(d[0]) if one else float("nan"),
            std_error=math.sqrt(V[0, 0]) if one else float("nan"),
        )

    # -- tables ---------------------------------------------------------------
    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Rows of the long estimates table.

        Parameters
        ----------
        alpha : float, default 0.05
            Intervals of coverage ``1 - alpha``.

        Returns
        -------
        DataFrame
            Columns :data:`ESTIMATE_COLUMNS`, one row per parameter.
        """
        idx = self.params.index
        ci = self.conf_int(alpha)
        out = pd.DataFrame(
            {
                "model": self.model_name,
                "equation": [str(e) for e in idx.get_level_values(0)],
                "term": [str(t) for t in idx.get_level_values(1)],
                "estimate": self.params.to_numpy(dtype=float),
                "std_error": self.bse.to_numpy(dtype=float),
                "statistic": self.tvalues.to_numpy(dtype=float),
                "p_value": self.pvalues.to_numpy(dtype=float),
                "conf_low": ci["lower"].to_numpy(dtype=float),
                "conf_high": ci["upper"].to_numpy(dtype=float),
            }
        )
        return out[list(ESTIMATE_COLUMNS)]

    def fit_stats(self) -> dict[str, Any]:
        """One row of the fit-statistics table.

        Returns
        -------
        dict
            Keys :data:`FIT_STAT_COLUMNS`.
        """
        return {
            "model": self.model_name,
            "n": int(self.nobs),
            "log_likelihood": float(self.llf),
            "aic": float(self.aic),
            "bic": float(self.bic),
            "r_squared": float(self.r_squared),
            "converged": bool(self.converged),
        }

    def summary(self, alpha: float = 0.05) -> str:
        """Text summary: fit statistics and the coefficient table.

        Parameters
        ----------
        alpha : float, default 0.05

        Returns
        -------
        str
        """
        stats_line = ", ".join(f"{k}={v}" for k, v in self.fit_stats().items())
        table = self.tidy(alpha).drop(columns="model").to_string(index=False)
        return f"{self.model_name} results ({stats_line})\n{table}\n"

    def __str__(self) -> str:
        return self.summary()

    # -- the mean-share interface -------------------------------------------
    def _require_link(self) -> Link:
        if self.link is None:
            raise EstimationError(f"the {self.model_name} model has no mean-share link")
        return self.link

    @cached_property
    def _mean_labels(self) -> tuple[list[str], list[tuple[str, str]]]:
        eqs = self._require_link().equations
        params = self.params
        terms = [str(t) for t in params[eqs[0]].index]
        for e in eqs[1:]:
            if [str(t) for t in params[e].index] != terms:
                raise EstimationError("every mean equation must have the same terms")
        return terms, [(e, t) for e in eqs for t in terms]

    @property
    def mean_terms(self) -> list[str]:
        """Design terms of the mean equations, in order."""
        return list(self._mean_labels[0])

    @property
    def mean_coef(self) -> pd.DataFrame:
        """Mean coefficients, terms x equations."""
        terms, labels = self._mean_labels
        eqs = self._require_link().equations
        # positions, not params[e]: selecting a MultiIndex level rebuilds the index
        where = {label: i for i, label in enumerate(self.params.index)}
        values = self.params.to_numpy(dtype=float)[[where[label] for label in labels]]
        data = dict(zip(eqs, values.reshape(len(eqs), len(terms)), strict=True))
        return pd.DataFrame(data, index=pd.Index(terms, name="term"))

    @property
    def mean_cov(self) -> pd.DataFrame:
        """Covariance of the mean coefficients stacked equation by equation."""
        _, labels = self._mean_labels
        cov = self.cov_params()
        # positions, not .loc: selecting MultiIndex labels rebuilds the index each time
        rows, cols = ({label: i for i, label in enumerate(ix)} for ix in (cov.index, cov.columns))
        missing = [label for label in labels if label not in rows or label not in cols]
        if missing:
            raise KeyError(f"no covariance for {missing}")
        r, c = [rows[label] for label in labels], [cols[label] for label in labels]
        return pd.DataFrame(
            cov.to_numpy()[np.ix_(r, c)], index=cov.index[r], columns=cov.columns[c]
        )

    def mean_arrays(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The mean model as arrays: :attr:`mean_terms`, :attr:`mean_coef`, :attr:`mean_cov`.

        Returns
        -------
        terms : list of str
        coef : ndarray (p, q)
            Values of :attr:`mean_coef` (terms x equations).
        cov : ndarray (p q, p q)
            Values of :attr:`mean_cov` (equation by equation).

        Notes
        -----
        What the effects engine reads; an adapter that keeps its estimates as
        arrays may override it to skip the labelled tables (the values must
        be the same).

        Examples
        --------
        >>> terms, coef, cov = fit_share_model(frame, "dirichlet").mean_arrays()  # doctest: +SKIP
        >>> coef.shape == (len(terms), 2)                                         # doctest: +SKIP
        True
        """
        coef = self.mean_coef
        return list(coef.index), coef.to_numpy(dtype=float), self.mean_cov.to_numpy(dtype=float)

    @property
    def mean_design(self) -> np.ndarray | None:
        """The mean equations' design on the fitted rows (columns :attr:`mean_terms`), if kept.

        ``None`` (the default) when the model does not keep it; the effects
        then rebuild it from the data (see
        :func:`leadblackhole.effects.registry_estimates`).
        """
        return None

    def mean_shares(self, exog: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Expected shares of every component for a design (columns ``mean_terms``).

        Parameters
        ----------
        exog : DataFrame or ndarray (n, p)

        Returns
        -------
        ndarray (n, K)
        """
        if isinstance(exog, pd.DataFrame):
            exog = exog[self.mean_terms]
        eta = np.asarray(exog, dtype=float) @ self.mean_coef.to_numpy()
        return self._require_link().effect(0, eta, 0, 0, 0)


# ----------------------------------------------------------------------------
# the registry
# ----------------------------------------------------------------------------
_MODELS: dict[str, Callable[..., ShareResults]] = {}


def register_model(name: str) -> Callable[[Callable[..., ShareResults]], Callable]:
    """Register a fit function under ``name`` for :func:`fit_share_model`.

    Parameters
    ----------
    name : str
        The model's name (its ``model_name`` in every table).

    Returns
    -------
    callable
        A decorator that registers ``fit(frame, **options) -> ShareResults``
        and returns it unchanged.

    Examples
    --------
    >>> @register_model("doc_example")
    ... def fit_doc_example(frame, **options): ...
    >>> "doc_example" in registered_models()
    True
    """

    def decorator(fit: Callable[..., ShareResults]) -> Callable[..., ShareResults]:
        _MODELS[name] = fit
        return fit

    return decorator


def registered_models() -> tuple[str, ...]:
    """Names accepted by :func:`fit_share_model`, in registration order."""
    return tuple(_MODELS)


def fit_share_model(frame: AnalysisFrame | pd.DataFrame, name: str, **options: Any) -> ShareResults:
    """Fit a registered share model.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample (``frame.data``) or a data frame laid out like it.
    name : str
        A name of :func:`registered_models` (``"dirichlet"``, ``"ols"``,
        ``"fractional_logit"``, ``"sur"``, ``"probit"``...).
    **options
        Passed to the model's fit function.

    Returns
    -------
    ShareResults

    Raises
    ------
    EstimationError
        Unknown name, or the model cannot be estimated.

    Examples
    --------
    >>> res = fit_share_model(frame, "ols")     # doctest: +SKIP
    >>> res.tidy().columns[0]                   # doctest: +SKIP
    'model'
    """
    if name not in _MODELS:
        raise EstimationError(f"unknown share model {name!r}; expected one of {list(_MODELS)}")
    return _MODELS[name](frame, **options)
