"""Results of a Dirichlet regression fit and the likelihood-ratio test.

The results receive from the model, at construction, the arrays they read
(the designs, the shares, the row index, the base component's position), and
compute the Dirichlet parameters with
:func:`~leadblackhole.models.dirichlet.kernel.alpha_mu_phi`: they never import
the model module (:mod:`~leadblackhole.models.dirichlet.model`), which imports
them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from leadblackhole.exceptions import EstimationError
from leadblackhole.tables_text import format_p_value

from ..design import check_option
from ..results import ShareResults, SoftmaxLink, WaldTest
from .kernel import alpha_mu_phi
from .options import PRECISION_EQUATION, PredictKind, ResidKind

__all__ = ["DirichletRegressionResults", "LikelihoodRatioTest"]


class LikelihoodRatioTest(WaldTest):
    r"""Outcome of a likelihood-ratio test: :math:`2(\ell_{\text{full}} - \ell_{\text{restricted}})`.

    The fields are those of :class:`~leadblackhole.models.results.WaldTest`
    (``stat, pval, df, null, dist_name``); ``df`` is the difference in the
    number of parameters.

    Examples
    --------
    >>> LikelihoodRatioTest(stat=3.84, pval=0.05, df=1, null="b = 0", dist_name="chi2").df
    1
    """

    def __str__(self) -> str:
        return "Likelihood-ratio" + super().__str__().removeprefix("Wald")


def _fmt(value: float) -> str:
    """Four decimals, or scientific notation for very small or large numbers."""
    if not np.isfinite(value):
        return str(value)
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.3e}"


def _readonly(arr: Any) -> np.ndarray:
    out = np.array(arr, dtype=float, copy=True)
    out.setflags(write=False)
    return out


class DirichletRegressionResults(ShareResults):
    r"""Immutable results of :meth:`DirichletRegression.fit`.

    Parameters
    ----------
    model : DirichletRegression
        The fitted model.
    params : ndarray
        Maximum-likelihood estimates, in the order of ``model.param_names``.
    cov_params : ndarray
        Covariance of ``params``: the inverse of the negative Hessian
        (``cov_type="oim"``) or the score sandwich (``"robust"``).
    hessian : ndarray
        Analytic Hessian at ``params``.
    score : ndarray
        Analytic gradient at ``params``.
    llf : float
        Maximized log-likelihood.
    converged : bool
        Whether the optimizer met its convergence criterion.
    iterations : int
        Number of Newton-Raphson iterations.
    gradient_norm : float
        Euclidean norm of ``score``.
    cov_type : {"oim", "robust"}
        Which covariance ``cov_params`` holds.
    designs : tuple of (list of ndarray, ndarray or None)
        The model's mean designs and precision design (``None`` in the common
        parametrization), for the fitted values.
    shares : ndarray, shape (nobs, K)
        The shares that entered the likelihood, for the residuals.
    index : pandas.Index
        Row labels of the estimation data.
    base_index : int
        Position of the base component among ``model.endog_names``.

    Notes
    -----
    The results implement :class:`~leadblackhole.models.results.ShareResults`
    (``tidy``, ``fit_stats``, ``t_test``, ``wald_test``, the mean-share
    interface with a :class:`~leadblackhole.models.results.SoftmaxLink` in the
    alternative parametrization). By default standard errors are the square
    roots of the diagonal of the inverse of the negative analytic Hessian,
    :math:`\operatorname{Var}(\hat\theta) =
    (-H(\hat\theta))^{-1}`, as in R's DirichletReg; z statistics and p-values
    use the standard normal distribution. :math:`\mathrm{AIC} = -2\ell + 2k`,
    :math:`\mathrm{BIC} = -2\ell + k\log n` with :math:`k` the number of
    parameters. Assigning to any attribute raises ``AttributeError``; the
    pandas objects returned are fresh copies.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from leadblackhole.models.dirichlet import DirichletRegression
    >>> rng = np.random.default_rng(3)
    >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=100), columns=["a", "b", "other"])
    >>> res = DirichletRegression(endog, pd.DataFrame({"Intercept": np.ones(100)})).fit()
    >>> res.df_model
    3
    """

    def __init__(
        self,
        *,
        model: Any,
        params: np.ndarray,
        cov_params: np.ndarray,
        hessian: np.ndarray,
        score: np.ndarray,
        llf: float,
        converged: bool,
        iterations: int,
        gradient_norm: float,
        cov_type: str = "oim",
        designs: tuple[Sequence[np.ndarray], np.ndarray | None],
        shares: np.ndarray,
        index: pd.Index,
        base_index: int,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "model", model)
        set_(self, "_params", _readonly(params))
        set_(self, "_cov", _readonly(cov_params))
        set_(self, "_hessian", _readonly(hessian))
        set_(self, "_score", _readonly(score))
        set_(self, "llf", float(llf))
        set_(self, "converged", bool(converged))
        set_(self, "iterations", int(iterations))
        set_(self, "gradient_norm", float(gradient_norm))
        set_(self, "cov_type", cov_type)
        set_(self, "_xs", designs[0])
        set_(self, "_z", designs[1])
        set_(self, "_y", shares)
        set_(self, "_index", index)
        set_(self, "_base_index", int(base_index))

    # ------------------------------------------------------------------
    # scalars
    # ------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        """Number of observations."""
        return self.model.nobs

    @property
    def df_model(self) -> int:
        """Number of estimated parameters."""
        return self.model.k_params

    @property
    def n_compressed(self) -> int:
        """Number of rows that contained a share of 0 or 1 (to within sqrt(eps))."""
        return self.model.n_compressed

    @property
    def parametrization(self) -> str:
        """Model parametrization, ``"common"`` or ``"alternative"``."""
        return self.model.parametrization

    model_name = "dirichlet"

    @property
    def k_llf(self) -> int:
        """Number of parameters counted by the likelihood."""
        return self.df_model

    @property
    def link(self) -> SoftmaxLink | None:
        """Multinomial-logit means over the components (alternative parametrization only)."""
        model = self.model
        if model.parametrization != "alternative":
            return None
        names = tuple(model.endog_names)
        eqs = tuple(c for c in names if c != model.base)
        return SoftmaxLink(names, eqs, base=names.index(model.base))

    @property
    def fit_options(self) -> dict[str, Any]:
        """Options of ``fit_share_model(frame, "dirichlet", ...)`` that reproduce this fit.

        The estimates are included as ``start_params`` (warm starts for refits).
        """
        opts = {"parametrization": self.parametrization, "cov_type": self.cov_type}
        if self.model.precision_formula not in (None, "1"):
            opts["precision"] = self.model.precision_formula
        return opts | {"start_params": self.params}

    # ------------------------------------------------------------------
    # parameter tables
    # ------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Estimates, indexed by (equation, term)."""
        return pd.Series(self._params, index=self.model.param_names, name="coef")

    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of the estimates.

        Returns
        -------
        DataFrame
            :math:`(-H)^{-1}` with the analytic Hessian at the optimum (or the
            sandwich, ``cov_type="robust"``), labelled by (equation, term) on
            both axes.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from leadblackhole.models.dirichlet import DirichletRegression
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> exog = pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=50)})
        >>> res = DirichletRegression(endog, exog).fit()
        >>> res.cov_params().shape
        (5, 5)
        """
        names = self.model.param_names
        return pd.DataFrame(self._cov, index=names, columns=names)

    def mean_arrays(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The mean model as arrays, read by position (see :meth:`ShareResults.mean_arrays`).

        The mean equations come first in :attr:`params`, equation by equation,
        each with the same terms (the alternative parametrization), so no
        labelled table needs to be built; the values are those of
        :attr:`mean_coef` and :attr:`mean_cov`.
        """
        eqs = self._require_link().equations
        terms = list(self.model.exog_names[eqs[0]])
        p, q = len(terms), len(eqs)
        m = p * q
        coef = np.array(self._params[:m].reshape(q, p).T, order="F")
        return terms, coef, np.array(self._cov[:m, :m], order="F")

    @property
    def mean_design(self) -> np.ndarray | None:
        """The mean design the model was fitted on (alternative parametrization; else None)."""
        if self.model.parametrization != "alternative":
            return None
        return self._xs[0]

    @property
    def hessian(self) -> pd.DataFrame:
        """Analytic Hessian of the log-likelihood at the estimates."""
        names = self.model.param_names
        return pd.DataFrame(self._hessian, index=names, columns=names)

    @property
    def score(self) -> np.ndarray:
        """Analytic gradient of the log-likelihood at the estimates."""
        return self._score.copy()

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Coefficient table.

        Parameters
        ----------
        alpha : float, default 0.05
            Level of the confidence intervals.

        Returns
        -------
        DataFrame
            Columns ``coef``, ``std_err``, ``z``, ``pvalue``, ``lower``, ``upper``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from leadblackhole.models.dirichlet import DirichletRegression
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> exog = pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=50)})
        >>> res = DirichletRegression(endog, exog).fit()
        >>> res.summary_frame().shape
        (5, 6)
        """
        ci = self.conf_int(alpha)
        return pd.concat([self.params, self.bse, self.tvalues, self.pvalues, ci], axis=1)

    # ------------------------------------------------------------------
    # fitted values, prediction, residuals
    # ------------------------------------------------------------------
    @cached_property
    def _fitted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        alpha, mu, phi = self._alpha_mu_phi(self._xs, self._z)
        return _readonly(alpha), _readonly(mu), _readonly(phi)

    def _alpha_mu_phi(self, xs: Sequence[np.ndarray], z: np.ndarray | None) -> tuple:
        """Dirichlet parameters, expected shares and precisions of the estimates on designs."""
        model = self.model
        return alpha_mu_phi(
            self._params, model.parametrization, xs, z, self._base_index, model.k_components
        )

    @property
    def fittedvalues(self) -> pd.DataFrame:
        """Expected shares on the estimation data."""
        return pd.DataFrame(self._fitted[1], index=self._index, columns=self.model.endog_names)

    def predict(
        self,
        exog: Any = None,
        exog_precision: Any = None,
        kind: PredictKind = "mean",
    ) -> pd.DataFrame | pd.Series:
        r"""Predict expected shares, Dirichlet parameters or precisions.

        Parameters
        ----------
        exog : DataFrame or dict of DataFrame, optional
            New regressors, selected by column name (a dict per component for a
            common model built from a dict). For a model built with
            :meth:`DirichletRegression.from_formula`, new *data* from which both
            designs are rebuilt. Default: the estimation data.
        exog_precision : DataFrame, optional
            New precision regressors (alternative parametrization); needed only
            when the precision model has regressors besides the intercept.
        kind : {"mean", "alpha", "precision"}
            ``"mean"``: expected shares :math:`\mu_{ik}`; ``"alpha"``: Dirichlet
            parameters :math:`\alpha_{ik}`; ``"precision"``:
            :math:`\phi_i = \sum_k \alpha_{ik}`.

        Returns
        -------
        DataFrame or Series
            A DataFrame with one column per component, or a Series for
            ``kind="precision"``, indexed like the new data.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from leadblackhole.models.dirichlet import DirichletRegression
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> exog = pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=50)})
        >>> res = DirichletRegression(endog, exog).fit()
        >>> new = pd.DataFrame({"Intercept": [1.0, 1.0], "x": [-1.0, 1.0]})
        >>> res.predict(new).shape
        (2, 3)
        >>> res.predict(new, kind="precision").name
        'precision'
        """
        check_option("kind", kind, PredictKind)
        model = self.model
        if exog is None and exog_precision is None:
            alpha, mu, phi = self._fitted
            index = self._index
        else:
            xs, z, index = model.designs_for(exog, exog_precision)
            alpha, mu, phi = self._alpha_mu_phi(xs, z)
        if kind == "precision":
            return pd.Series(phi, index=index, name="precision")
        values = mu if kind == "mean" else alpha
        return pd.DataFrame(values, index=index, columns=model.endog_names)

    def resid(self, kind: ResidKind = "raw") -> pd.DataFrame:
        r"""Residuals on the estimation data.

        Parameters
        ----------
        kind : {"raw", "standardized"}
            ``"raw"``: :math:`y_{ik} - \mu_{ik}`; ``"standardized"``:
            :math:`(y_{ik} - \mu_{ik}) / \sqrt{\mu_{ik}(1 - \mu_{ik})/(\phi_i + 1)}`,
            as DirichletReg's ``residuals(type = "standardized")``.

        Returns
        -------
        DataFrame
            One column per component. :math:`y` are the shares that entered the
            likelihood (normalized and, if applicable, compressed).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from leadblackhole.models.dirichlet import DirichletRegression
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> exog = pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=50)})
        >>> res = DirichletRegression(endog, exog).fit()
        >>> bool(np.allclose(res.resid().sum(axis=1), 0.0))
        True
        """
        check_option("kind", kind, ResidKind)
        _, mu, phi = self._fitted
        raw = self._y - mu
        if kind == "standardized":
            raw = raw / np.sqrt(mu * (1.0 - mu) / (phi[:, None] + 1.0))
        return pd.DataFrame(raw, index=self._index, columns=self.model.endog_names)

    # ------------------------------------------------------------------
    # tests
    # ------------------------------------------------------------------
    def lr_test(self, restricted: DirichletRegressionResults) -> LikelihoodRatioTest:
        r"""Likelihood-ratio test of a nested, restricted model.

        Parameters
        ----------
        restricted : DirichletRegressionResults
            Fit of a model nested in this one, on the same shares.

        Returns
        -------
        LikelihoodRatioTest
            :math:`LR = 2(\ell_{\text{this}} - \ell_{\text{restricted}})`,
            referred to :math:`\chi^2` with as many degrees of freedom as the
            difference in the number of parameters.

        Raises
        ------
        EstimationError
            When ``restricted`` was fitted on other shares, has at least as many
            parameters as this model, or has a clearly larger log-likelihood
            (not nested, or a fit did not converge).

        Notes
        -----
        Nesting itself cannot be verified; it is the caller's responsibility.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from leadblackhole.models.dirichlet import DirichletRegression
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> exog = pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=50)})
        >>> res = DirichletRegression(endog, exog).fit()
        >>> restricted = DirichletRegression(endog, exog[["Intercept"]]).fit()
        >>> test = res.lr_test(restricted)
        >>> test.df, test.dist_name
        (2, 'chi2')
        """
        if not isinstance(restricted, DirichletRegressionResults):
            raise EstimationError(
                "restricted must be a DirichletRegressionResults; "
                f"received {type(restricted).__name__}"
            )
        if restricted.nobs != self.nobs or not np.array_equal(restricted._y, self._y):
            raise EstimationError("the restricted model was fitted on other shares")
        df = self.df_model - restricted.df_model
        if df <= 0:
            raise EstimationError(
                f"the restricted model has {restricted.df_model} parameters, this model "
                f"{self.df_model}; call lr_test on the larger model"
            )
        stat = 2.0 * (self.llf - restricted.llf)
        if stat < -1e-6 * max(1.0, abs(self.llf)):
            raise EstimationError(
                f"the restricted model has the larger log-likelihood ({restricted.llf:.6g} > "
                f"{self.llf:.6g}); the models are not nested or a fit did not converge"
            )
        stat = max(stat, 0.0)
        return LikelihoodRatioTest(
            stat=stat,
            pval=float(stats.chi2.sf(stat, df)),
            df=int(df),
            null=f"the restricted model ({restricted.df_model} parameters) holds",
            dist_name="chi2",
        )

    # ------------------------------------------------------------------
    # display
    # ------------------------------------------------------------------
    def summary(self, alpha: float = 0.05) -> str:
        """Text summary of the fit.

        Parameters
        ----------
        alpha : float, default 0.05
            Level of the confidence intervals.

        Returns
        -------
        str
            Fit statistics and one coefficient table per equation.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from leadblackhole.models.dirichlet import DirichletRegression
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> exog = pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=50)})
        >>> res = DirichletRegression(endog, exog).fit()
        >>> print(res.summary().splitlines()[0].strip())
        Dirichlet regression results
        """
        model = self.model
        table = self.summary_frame(alpha)
        terms = [str(t) for _, t in table.index]
        tw = max(12, min(30, max(len(t) for t in terms) + 1))
        width = max(78, tw + 61)
        left = [
            ("Parametrization:", model.parametrization),
            (
                "Base component:",
                model.base if model.parametrization == "alternative" else "(none)",
            ),
            ("Components:", str(model.k_components)),
            ("Observations:", str(self.nobs)),
            ("Compressed rows:", str(self.n_compressed)),
        ]
        right = [
            ("Log-likelihood:", f"{self.llf:.4f}"),
            ("AIC:", f"{self.aic:.4f}"),
            ("BIC:", f"{self.bic:.4f}"),
            ("Parameters:", str(self.df_model)),
            ("Converged:", f"{'yes' if self.converged else 'NO'} ({self.iterations} it.)"),
        ]
        lines = ["Dirichlet regression results".center(width), "=" * width]
        for (lk, lv), (rk, rv) in zip(left, right, strict=True):
            lv = lv if len(lv) <= 20 else lv[:17] + "..."
            lines.append(f"{lk:<17}{lv:>20}   {rk:<17}{rv:>21}")
        lines.append(f"Components: {', '.join(model.endog_names)}")
        lines.append("=" * width)
        lo = f"[{alpha / 2:.3g}"
        hi = f"{1 - alpha / 2:.3g}]"
        header = f"{'':<{tw}}{'coef':>11}{'std err':>11}{'z':>9}{'P>|z|':>8}{lo:>11}{hi:>11}"
        for eq in dict.fromkeys(table.index.get_level_values("equation")):
            label = "Precision" if eq == PRECISION_EQUATION else f"Component {eq}"
            if model.parametrization == "common":
                label += " (log alpha)"
            elif eq != PRECISION_EQUATION:
                label += f" (log odds vs {model.base})"
            else:
                label += " (log phi)"
            lines += [label, header, "-" * width]
            for (_, term), row in table.loc[[eq]].iterrows():
                name = str(term) if len(str(term)) < tw else str(term)[: tw - 4] + "..."
                lines.append(
                    f"{name:<{tw}}{_fmt(row['coef']):>11}{_fmt(row['std_err']):>11}"
                    f"{row['z']:>9.3f}{format_p_value(row['pvalue']):>8}{_fmt(row['lower']):>11}"
                    f"{_fmt(row['upper']):>11}"
                )
            lines.append("")
        if self.n_compressed:
            lines.append(
                f"Note: {self.n_compressed} row(s) had shares of 0 or 1; all shares were "
                "compressed as (y (n - 1) + 1/K) / n."
            )
        if not self.converged:
            lines.append(
                f"Warning: the optimizer did not converge (gradient norm "
                f"{self.gradient_norm:.3g}); the estimates are unreliable."
            )
        return "\n".join(lines).rstrip() + "\n"

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"<DirichletRegressionResults: {self.parametrization}, nobs={self.nobs}, "
            f"k_params={self.df_model}, llf={self.llf:.4f}, converged={self.converged}>"
        )

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"
