r"""Dirichlet regression model: data preparation, validation and estimation.

The model class follows the statsmodels / linearmodels conventions: it is
built from data (:class:`DirichletRegression` or
:meth:`DirichletRegression.from_formula`), and :meth:`DirichletRegression.fit`
returns an immutable :class:`~leadblackhole.models.dirichlet.results.DirichletRegressionResults`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

from leadblackhole.exceptions import ConvergenceWarning, EstimationError

from ..covariance import COV_TYPES, covariance
from ..design import as_frame, check_full_rank, check_option, numeric_matrix
from ..newton import newton
from . import kernel
from .data import check_rows, exog_frames, formula_designs, prepare_shares, spec_frames
from .options import DEFAULT_BASE, PRECISION_EQUATION, Parametrization
from .results import DirichletRegressionResults

__all__ = ["DirichletRegression"]


@lru_cache(maxsize=64)
def _param_index(tuples: tuple[tuple[str, str], ...]) -> pd.MultiIndex:
    """The (equation, term) labels of a parameter vector (built once per layout)."""
    return pd.MultiIndex.from_tuples(list(tuples), names=["equation", "term"])


def _orthonormalizer(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (T, T^-1) with arr @ T having orthogonal columns of norm sqrt(n)."""
    n = arr.shape[0]
    r = scipy.linalg.qr(arr, mode="r", check_finite=False)[0][: arr.shape[1]]
    # Fix signs so that T has a positive diagonal (deterministic transform).
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)
    r = r * signs[:, None]
    t_inv = r / math.sqrt(n)
    t = np.linalg.inv(t_inv)
    return t, t_inv


# ----------------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------------


class DirichletRegression:
    r"""Dirichlet regression for compositional (share) data.

    Parameters
    ----------
    endog : DataFrame, shape (n, K)
        Shares of the K >= 2 components; each row should sum to 1. Rows that
        do not are divided by their sum (as R's ``DR_data`` does) with a
        ``UserWarning`` stating how many; negative shares raise. When any share
        is 0 or 1 (to within sqrt(eps), see :mod:`leadblackhole.compositions`), every share is compressed to
        :math:`y' = (y (n - 1) + 1/K) / n` (Smithson & Verkuilen, 2006) and a
        :class:`~leadblackhole.exceptions.ZeroShareWarning` states how many rows
        contained a 0 or 1 (:attr:`n_compressed`).
    exog : DataFrame, shape (n, p), or dict of DataFrame
        Regressors of the mean model. No intercept is added: include a column
        of ones (conventionally named ``Intercept``) when wanted. With
        ``parametrization="common"`` a dict ``{component: DataFrame}`` gives
        each component its own regressors (R's ``y ~ x1 | x2 | x3``).
    exog_precision : DataFrame, shape (n, q), optional
        Regressors of the precision model (alternative parametrization only).
        Default: a single column of ones named ``Intercept``.
    parametrization : {"alternative", "common"}
        Model parametrization, see Notes.
    base : str
        Base (reference) component of the alternative parametrization, whose
        coefficients are fixed at zero. The default ``"other"`` falls back on
        the last column when endog has no column ``"other"``. Ignored by the
        common parametrization (but still checked).

    Attributes
    ----------
    endog_names : list of str
        Component names, in column order.
    exog_names : dict of str to list of str
        Regressor names of each equation (for the alternative parametrization
        the non-base components and ``"precision"``).
    param_names : pandas.MultiIndex
        (equation, term) labels of the parameter vector.
    shares : DataFrame
        The shares entering the likelihood (after normalization and compression).
    n_compressed : int
        Number of rows that contained a share of 0 or 1 (to within sqrt(eps)) (0 when no
        compression was applied).
    n_normalized : int
        Number of rows whose sum differed from 1 by more than
        :data:`~leadblackhole.models.dirichlet.data.NORMALIZATION_TOL`.
    nobs : int
        Number of observations.

    Raises
    ------
    EstimationError
        Fewer than 2 components, negative / NaN / infinite values, a component
        that is zero in every row, row counts or indexes that do not match, a
        singular or rank-deficient design, an unknown parametrization or base.

    Notes
    -----
    Both parametrizations are those of R's DirichletReg (Maier, 2014).
    *Common*: :math:`\log\alpha_{ik} = x_{ik}^\top\beta_k` for every component.
    *Alternative*: :math:`\mu_{ik} = \exp(x_i^\top\beta_k)/\sum_j\exp(x_i^\top\beta_j)`
    with :math:`\beta_{\text{base}} = 0`, :math:`\phi_i = \exp(z_i^\top\gamma)`
    and :math:`\alpha_{ik} = \mu_{ik}\phi_i`. The log-likelihood is

    .. math::

        \ell = \sum_i \Big[\log\Gamma(\alpha_{i0}) - \sum_k \log\Gamma(\alpha_{ik})
               + \sum_k(\alpha_{ik} - 1)\log y_{ik}\Big], \quad
        \alpha_{i0} = \sum_k \alpha_{ik};

    its analytic score and Hessian are given in
    :mod:`leadblackhole.models.dirichlet.kernel`.

    As in ``DR_data``, compression is triggered by a share within
    :math:`\sqrt{\epsilon} \approx 1.5 \times 10^{-8}` of 0 or 1
    (:func:`leadblackhole.compositions.compress_shares`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200)
    >>> y = np.array([rng.dirichlet(np.exp([1 + 0.5 * v, 1, 1.5])) for v in x])
    >>> endog = pd.DataFrame(y, columns=["marketing", "self", "other"])
    >>> exog = pd.DataFrame({"Intercept": 1.0, "x": x})
    >>> res = DirichletRegression(endog, exog, parametrization="common").fit()
    >>> res.converged
    True
    """

    #: Results class of :meth:`fit`, and the model's name in its convergence warning.
    _results_class = DirichletRegressionResults
    _label = "Dirichlet regression"

    def __init__(
        self,
        endog: pd.DataFrame,
        exog: pd.DataFrame | Mapping[str, pd.DataFrame],
        exog_precision: pd.DataFrame | None = None,
        parametrization: Parametrization = "alternative",
        base: str = DEFAULT_BASE,
    ) -> None:
        self.parametrization: Parametrization = check_option(
            "parametrization", parametrization, Parametrization
        )
        endog_frame = as_frame(endog, "endog", prefix="y")
        if endog_frame.shape[1] < 2:
            raise EstimationError(
                f"endog must have at least 2 components (columns); got {endog_frame.shape[1]}"
            )
        self.endog_names: list[str] = list(endog_frame.columns)
        if not isinstance(base, str):
            raise EstimationError(f"base must be a component name (str); received {base!r}")
        if base == DEFAULT_BASE and DEFAULT_BASE not in self.endog_names:
            base = self.endog_names[-1]
        self.base: str = check_option("base", base, self.endog_names)
        self._base_index = self.endog_names.index(self.base)

        y, self.n_normalized, self.n_compressed = prepare_shares(endog_frame)
        self.nobs: int = y.shape[0]
        self.k_components: int = y.shape[1]
        self._index = endog_frame.index.copy()
        self.endog = endog_frame
        self._y = y
        self._y.setflags(write=False)
        self._logy = np.log(y)
        self._logy.setflags(write=False)

        # -- designs ---------------------------------------------------------
        self._specs: dict[str, Any] | None = None
        self.formula: str | None = None
        self.precision_formula: str | None = None
        self._exog_frames: dict[str, pd.DataFrame] = {}
        designs: dict[str, np.ndarray] = {}
        checked: dict[int, np.ndarray] = {}
        for key, frame in exog_frames(exog, self.parametrization, self.endog_names).items():
            what = f"exog[{key!r}]" if isinstance(exog, Mapping) else "exog"
            check_rows(frame, what, endog_frame)
            if id(frame) not in checked:
                arr = numeric_matrix(frame, what)
                check_full_rank(arr, list(frame.columns), what)
                arr.setflags(write=False)
                checked[id(frame)] = arr
            designs[key] = checked[id(frame)]
            self._exog_frames[key] = frame

        if self.parametrization == "common":
            if exog_precision is not None:
                raise EstimationError(
                    "exog_precision applies to the alternative parametrization only; "
                    "with parametrization='common' the precision is the sum of the alphas"
                )
            self._z = None
            self._z_names: list[str] = []
            self._xs = [designs[c] for c in self.endog_names]
            self.exog_names = {c: list(self._exog_frames[c].columns) for c in self.endog_names}
        else:
            if exog_precision is None:
                zframe = pd.DataFrame({"Intercept": np.ones(self.nobs)}, index=self._index)
            else:
                zframe = as_frame(exog_precision, "exog_precision", prefix="z")
            check_rows(zframe, "exog_precision", endog_frame)
            z = numeric_matrix(zframe, "exog_precision")
            check_full_rank(z, list(zframe.columns), "exog_precision")
            z.setflags(write=False)
            self._z = z
            self._z_names = list(zframe.columns)
            self._zframe = zframe
            x = designs[""]
            self._xs = [x]
            xnames = list(self._exog_frames[""].columns)
            self.exog_names = {c: list(xnames) for c in self.endog_names if c != self.base}
            self.exog_names[PRECISION_EQUATION] = list(self._z_names)

        tuples = tuple((eq, term) for eq, terms in self.exog_names.items() for term in terms)
        self.param_names = _param_index(tuples).copy()  # a copy: its names may be changed
        self.k_params: int = len(tuples)

        # -- internal reparametrization for the optimizer -----------------------
        self._build_transform()

    # ------------------------------------------------------------------
    def _build_transform(self) -> None:
        """Orthonormalize each design: theta = T theta_tilde, X_tilde = X T."""
        blocks, inv_blocks = [], []
        cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

        def transformed(arr):
            if id(arr) not in cache:
                t, t_inv = _orthonormalizer(arr)
                cache[id(arr)] = (t, t_inv, arr @ t)
            return cache[id(arr)]

        if self.parametrization == "common":
            self._xs_t = []
            for x in self._xs:
                t, t_inv, xt = transformed(x)
                blocks.append(t)
                inv_blocks.append(t_inv)
                self._xs_t.append(xt)
        else:
            t, t_inv, xt = transformed(self._xs[0])
            blocks += [t] * (self.k_components - 1)
            inv_blocks += [t_inv] * (self.k_components - 1)
            self._xs_t = [xt]
            tz, tz_inv, zt = transformed(self._z)
            blocks.append(tz)
            inv_blocks.append(tz_inv)
            self._z_t = zt
        self._t = scipy.linalg.block_diag(*blocks)
        self._t_inv = scipy.linalg.block_diag(*inv_blocks)

    # ------------------------------------------------------------------
    @classmethod
    def from_formula(
        cls,
        formula: str,
        data: pd.DataFrame,
        precision_formula: str = "1",
        parametrization: Parametrization = "alternative",
        base: str = DEFAULT_BASE,
    ) -> DirichletRegression:
        """Build the model from a formula.

        Parameters
        ----------
        formula : str
            ``"a + b + c ~ rhs"``: the left side names the component columns of
            ``data``; the right side is a `formulaic` formula (intercept
            ``Intercept``; categorical variables in treatment coding with the
            first level in sorted order as reference, columns named like
            ``firm[T.b]``; interactions ``x1:x2``; ``- 1`` drops the intercept).
            With ``parametrization="common"`` the right side may hold one
            formula per component separated by ``|`` (``~ x1 | x2 | x3``); with
            ``"alternative"`` a second part after ``|`` is the precision formula,
            as in R's ``y ~ x | z``.
        data : DataFrame
            Data holding the components and the variables of the formulas.
        precision_formula : str, default "1"
            Right side of the precision model (alternative parametrization).
        parametrization : {"alternative", "common"}
            Model parametrization.
        base : str
            Base component of the alternative parametrization.

        Returns
        -------
        DirichletRegression
            The model; :meth:`DirichletRegressionResults.predict` then takes
            new *data* (not design matrices), run through the same formulas.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> data = pd.DataFrame(rng.dirichlet([2, 3, 5], size=60), columns=["a", "b", "other"])
        >>> data["x"] = rng.normal(size=60)
        >>> model = DirichletRegression.from_formula("a + b + other ~ x", data)
        >>> list(model.param_names)
        [('a', 'Intercept'), ('a', 'x'), ('b', 'Intercept'), ('b', 'x'), ('precision', 'Intercept')]
        """
        check_option("parametrization", parametrization, Parametrization)
        components, exog, exog_precision, specs, precision_formula = formula_designs(
            formula, data, precision_formula, parametrization
        )
        model = cls(
            data[components],
            exog,
            exog_precision=exog_precision,
            parametrization=parametrization,
            base=base,
        )
        model._specs = specs
        model.formula = formula
        model.precision_formula = precision_formula if parametrization == "alternative" else None
        return model

    # ------------------------------------------------------------------
    # likelihood on the original parameter scale
    # ------------------------------------------------------------------
    def _params_array(self, params: Any) -> np.ndarray:
        if isinstance(params, pd.Series) and isinstance(params.index, pd.MultiIndex):
            missing = self.param_names.difference(params.index)
            if len(missing):
                raise EstimationError(f"params lacks the parameters {list(missing)}")
            params = params.reindex(self.param_names)
        arr = np.asarray(params, dtype=float).ravel()
        if arr.size != self.k_params:
            raise EstimationError(f"params must have {self.k_params} values; received {arr.size}")
        if not np.isfinite(arr).all():
            raise EstimationError("params contains NaN or infinite values")
        return arr

    def _kernel_args(self, transformed: bool = False) -> tuple:
        xs = self._xs_t if transformed else self._xs
        if self.parametrization == "common":
            return (self._logy, xs)
        z = self._z_t if transformed else self._z
        return (self._logy, xs[0], z, self._base_index)

    def _fn(self, name: str):
        return getattr(kernel, f"{name}_{self.parametrization}")

    def loglike(self, params: Any) -> float:
        """Log-likelihood at ``params``.

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.

        Returns
        -------
        float
            The log-likelihood (see the class Notes).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> model = DirichletRegression(endog, pd.DataFrame({"Intercept": np.ones(50)}))
        >>> round(model.loglike([0.0, 0.0, np.log(3.0)]), 3)  # alpha = 1: flat, density 2
        34.657
        """
        return self._fn("loglike")(self._params_array(params), *self._kernel_args())

    def score(self, params: Any) -> np.ndarray:
        """Analytic gradient of the log-likelihood at ``params``.

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (k_params,)
            The score, see :mod:`leadblackhole.models.dirichlet.kernel`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> model = DirichletRegression(endog, pd.DataFrame({"Intercept": np.ones(50)}))
        >>> model.score(np.zeros(3)).shape
        (3,)
        """
        return self._fn("score")(self._params_array(params), *self._kernel_args())

    def score_obs(self, params: Any, mean_design: np.ndarray | None = None) -> np.ndarray:
        """Per-observation analytic score at ``params``.

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.
        mean_design : ndarray (nobs, p), optional
            A mean design to evaluate the scores on instead of the model's
            (same shape; alternative parametrization only): the derivative of
            the scores by a regressor's values, which two-step covariances
            need, is a difference of two such evaluations.

        Returns
        -------
        ndarray, shape (nobs, k_params)
            Gradient of each observation's log-likelihood; the rows sum to
            :meth:`score`.

        Raises
        ------
        EstimationError
            A ``mean_design`` of another shape, or given with the common
            parametrization.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> model = DirichletRegression(endog, pd.DataFrame({"Intercept": np.ones(50)}))
        >>> bool(np.allclose(model.score_obs(np.zeros(3)).sum(axis=0), model.score(np.zeros(3))))
        True
        """
        args = self._kernel_args()
        if mean_design is not None:
            args = (args[0], self._other_mean_design(mean_design), *args[2:])
        return self._fn("score_obs")(self._params_array(params), *args)

    def _other_mean_design(self, mean_design: Any) -> np.ndarray:
        """``mean_design`` checked to replace the model's mean design (alternative only)."""
        if self.parametrization != "alternative":
            raise EstimationError(
                "a replacement mean design applies to the alternative parametrization only"
            )
        x = np.asarray(mean_design, dtype=float)
        if x.shape != self._xs[0].shape:
            raise EstimationError(
                f"the mean design given has shape {x.shape}; the model's is {self._xs[0].shape}"
            )
        return x

    def hessian(self, params: Any) -> np.ndarray:
        """Analytic Hessian of the log-likelihood at ``params``.

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (k_params, k_params)
            Matrix of second derivatives, see :mod:`leadblackhole.models.dirichlet.kernel`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> model = DirichletRegression(endog, pd.DataFrame({"Intercept": np.ones(50)}))
        >>> model.hessian(np.zeros(3)).shape
        (3, 3)
        """
        return self._fn("hessian")(self._params_array(params), *self._kernel_args())

    # ------------------------------------------------------------------
    # estimation
    # ------------------------------------------------------------------
    def _start_params_t(self) -> np.ndarray:
        """Starting values on the transformed scale."""
        n = self.nobs
        y, logy = self._y, self._logy
        if self.parametrization == "alternative":
            xt, zt = self._xs_t[0], self._z_t
            others = [k for k in range(self.k_components) if k != self._base_index]
            # OLS of the log-ratios (columns of xt are orthogonal with norm sqrt(n)).
            lr = logy[:, others] - logy[:, [self._base_index]]
            beta = (xt.T @ lr / n).T.ravel()
            eta = np.zeros_like(logy)
            eta[:, others] = xt @ (xt.T @ lr / n)
            eta -= eta.max(axis=1, keepdims=True)
            mu = np.exp(eta)
            mu /= mu.sum(axis=1, keepdims=True)
            log_phi = _best_log_precision(mu, logy)
            gamma = zt.T @ np.full(n, log_phi) / n
            return np.concatenate([beta, gamma])
        mu = np.broadcast_to(y.mean(axis=0), y.shape)
        log_phi = _best_log_precision(mu, logy)
        target = log_phi + np.log(y.mean(axis=0))
        return np.concatenate([xt.T @ np.full(n, target[k]) / n for k, xt in enumerate(self._xs_t)])

    def _objective(self) -> tuple[Any, Any, tuple]:
        """The log-likelihood Newton's method maximizes, on the transformed scale.

        Returns ``(f_all, f_ll, args)``: ``f_all(theta_t, *args)`` gives the
        log-likelihood, gradient and Hessian, ``f_ll(theta_t, *args)`` the
        log-likelihood alone (see :func:`~leadblackhole.models.newton.newton`).
        A model with another likelihood overrides this and :meth:`_start_params_t`.
        """
        return (
            self._fn("loglike_and_derivatives"),
            self._fn("loglike"),
            self._kernel_args(transformed=True),
        )

    def fit(
        self,
        maxiter: int = 100,
        tol: float = 1e-10,
        start_params: Any = None,
        cov_type: str = "oim",
    ):
        r"""Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        maxiter : int, default 100
            Maximum number of Newton-Raphson iterations.
        tol : float, default 1e-10
            Convergence criterion on half the squared Newton decrement,
            :math:`g^\top(-H)^{-1}g / 2` (the predicted gain in log-likelihood
            of a full Newton step, invariant to rescaling the regressors).
        start_params : array-like or Series, optional
            Starting values in the order of :attr:`param_names`. Default:
            log-ratio least squares for the mean (alternative) or the mean
            shares (common), and the best constant precision; for
            :class:`~leadblackhole.models.dirichlet.rounded.RoundedDirichletRegression`
            the exact-share fit on the cell midpoints.
        cov_type : {"oim", "robust"}, default "oim"
            Covariance of the estimates (:func:`~leadblackhole.models.covariance.covariance`):
            the inverse observed information :math:`(-H)^{-1}`, or the sandwich
            :math:`H^{-1}\big(\sum_i s_i s_i^\top\big) H^{-1}` with the
            per-observation scores :math:`s_i` (:meth:`score_obs`), robust to a
            misspecified precision.

        Returns
        -------
        DirichletRegressionResults
            Immutable results; the model is not modified
            (:class:`~leadblackhole.models.dirichlet.rounded_results.RoundedDirichletResults`
            for the rounding-aware model).

        Warns
        -----
        ConvergenceWarning
            When the criterion is not met within ``maxiter`` iterations or the
            line search cannot improve the log-likelihood; the message states
            the gradient norm and the iteration count.

        Notes
        -----
        Newton-Raphson with the analytic Hessian on internally orthonormalized
        regressors (:math:`\tilde X = X T` with orthogonal columns of norm
        :math:`\sqrt n`, :math:`\beta = T\tilde\beta`), which makes the
        iterations insensitive to badly scaled regressors. A step is halved
        until the log-likelihood increases; when the negative Hessian is not
        positive definite a multiple of the identity is added to it
        (Levenberg-Marquardt), moving the step toward the gradient
        (:func:`~leadblackhole.models.newton.newton`). The covariance matrix
        is the inverse of the negative analytic Hessian at the optimum,
        computed as :math:`T(-\tilde H)^{-1}T^\top`. The rounding-aware model
        runs the same iterations on its own log-likelihood (:meth:`_objective`).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(2)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=100), columns=["a", "b", "other"])
        >>> exog = pd.DataFrame({"Intercept": np.ones(100)})
        >>> res = DirichletRegression(endog, exog).fit()
        >>> res.params.index.get_level_values("equation").unique().tolist()
        ['a', 'b', 'precision']
        """
        check_option("cov_type", cov_type, COV_TYPES)
        if not (isinstance(maxiter, int | np.integer) and maxiter >= 0):
            raise EstimationError(f"maxiter must be a non-negative integer; received {maxiter!r}")
        if not (isinstance(tol, float | int) and tol > 0):
            raise EstimationError(f"tol must be a positive number; received {tol!r}")
        if start_params is None:
            theta_t = self._start_params_t()
        else:
            theta_t = self._t_inv @ self._params_array(start_params)
        f_all, f_ll, args = self._objective()
        with np.errstate(all="ignore"):
            out = newton(f_all, f_ll, theta_t, args, maxiter=int(maxiter), tol=float(tol))
        theta_t, llf, g_t, h_t, converged, iterations, decrement, message = out

        params = self._t @ theta_t
        t_inv = self._t_inv
        score = t_inv.T @ g_t
        hessian = t_inv.T @ h_t @ t_inv
        hessian = (hessian + hessian.T) / 2
        cov = covariance(h_t, lambda: self.score_obs(params), cov_type, transform=self._t)
        gradient_norm = float(np.linalg.norm(score))
        if not converged:
            warnings.warn(
                f"{self._label} did not converge: {message} after {iterations} "
                f"iteration(s); gradient norm {gradient_norm:.3g}, half squared Newton "
                f"decrement {decrement:.3g} (tol {tol:.3g})",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self.results_from_estimates(
            params=params,
            cov_params=cov,
            hessian=hessian,
            score=score,
            llf=llf,
            converged=converged,
            iterations=iterations,
            gradient_norm=gradient_norm,
            cov_type=cov_type,
        )

    def results_from_estimates(self, *, cov_type: str = "oim", **estimates: Any):
        """The results of this model at given estimates: those of :meth:`fit`, or stored ones.

        Parameters
        ----------
        cov_type : {"oim", "robust"}
            Which covariance ``cov_params`` is.
        **estimates
            ``params, cov_params, hessian, score, llf, converged, iterations,
            gradient_norm``, as :class:`DirichletRegressionResults` takes them.

        Returns
        -------
        DirichletRegressionResults
            (:class:`RoundedDirichletResults` for the rounding-aware model) on this
            model's designs and shares; nothing is estimated. A fit artifact's
            models are rebuilt this way (:mod:`leadblackhole.models.stored`).
        """
        return self._results_class(
            model=self,
            cov_type=cov_type,
            designs=(self._xs, self._z),
            shares=self._y,
            index=self._index,
            base_index=self._base_index,
            **estimates,
        )

    # ------------------------------------------------------------------
    # designs for prediction
    # ------------------------------------------------------------------
    def designs_for(
        self, exog: Any = None, exog_precision: Any = None
    ) -> tuple[list[np.ndarray], np.ndarray | None, pd.Index]:
        """Design matrices of new data, or those of the estimation data.

        Parameters
        ----------
        exog : DataFrame or dict of DataFrame, optional
            New regressors, selected by column name (a dict per component for
            a common model built from a dict); for a model built with
            :meth:`from_formula`, new *data* from which both designs are
            rebuilt. Default: the estimation data.
        exog_precision : DataFrame, optional
            New precision regressors (alternative parametrization); needed
            only when the precision model has regressors besides the intercept.

        Returns
        -------
        xs : list of ndarray
            Mean designs: one per component (common) or one (alternative).
        z : ndarray or None
            Precision design (alternative parametrization), else ``None``.
        index : pandas.Index
            Row labels of the new data.

        Raises
        ------
        EstimationError
            When the new data lack a regressor, hold non-numeric or missing
            values, or do not fit the way the model was built.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=50), columns=["a", "b", "other"])
        >>> model = DirichletRegression(endog, pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=50)}))
        >>> xs, z, index = model.designs_for(pd.DataFrame({"Intercept": [1.0], "x": [0.5]}))
        >>> xs[0].tolist(), z.tolist()
        ([[1.0, 0.5]], [[1.0]])
        """
        if exog is None and exog_precision is None:
            return list(self._xs), self._z, self._index
        if self._specs is not None:
            if exog_precision is not None:
                raise EstimationError(
                    "for a model built with from_formula pass the new data as exog only; "
                    "both designs are rebuilt from it"
                )
            frames = spec_frames(self._specs, exog)
            index = exog.index
            if self.parametrization == "common":
                if "exog" in frames:
                    xs = [frames["exog"].to_numpy(float)] * self.k_components
                else:
                    xs = [frames[c].to_numpy(float) for c in self.endog_names]
                return xs, None, index
            x = frames["exog"].to_numpy(float)
            z = frames[PRECISION_EQUATION].to_numpy(float)
            return [x], z, index

        def select(frame, names, what):
            frame = as_frame(frame, what, prefix="x")
            missing = [c for c in names if c not in frame.columns]
            if missing:
                raise EstimationError(f"{what} lacks the column(s) {missing}")
            return numeric_matrix(frame[names], what), frame.index

        if exog is None:
            raise EstimationError("exog is required when exog_precision is given")
        if self.parametrization == "common":
            if exog_precision is not None:
                raise EstimationError(
                    "exog_precision applies to the alternative parametrization only"
                )
            if isinstance(exog, Mapping):
                xs, index = [], None
                for c in self.endog_names:
                    if c not in exog:
                        raise EstimationError(f"exog lacks the design of component {c!r}")
                    arr, index = select(exog[c], self.exog_names[c], f"exog[{c!r}]")
                    xs.append(arr)
                if len({a.shape[0] for a in xs}) != 1:
                    raise EstimationError("the designs in exog have different numbers of rows")
                return xs, None, index
            xs = []
            for c in self.endog_names:
                arr, index = select(exog, self.exog_names[c], "exog")
                xs.append(arr)
            return xs, None, index
        xnames = self.exog_names[next(iter(self.exog_names))]
        x, index = select(exog, xnames, "exog")
        if exog_precision is None:
            if self._z_names != ["Intercept"] or not np.all(self._z == 1.0):
                raise EstimationError(
                    "exog_precision is required for new data: the precision model has "
                    f"regressors {self._z_names}"
                )
            z = np.ones((x.shape[0], 1))
        else:
            z, zindex = select(exog_precision, self._z_names, "exog_precision")
            if z.shape[0] != x.shape[0]:
                raise EstimationError(
                    f"exog has {x.shape[0]} rows but exog_precision has {z.shape[0]}"
                )
        return [x], z, index

    @property
    def shares(self) -> pd.DataFrame:
        """Shares entering the likelihood (after normalization and compression)."""
        return pd.DataFrame(self._y, index=self._index, columns=self.endog_names)

    def __repr__(self) -> str:
        return (
            f"DirichletRegression(parametrization={self.parametrization!r}, "
            f"components={self.endog_names}, base={self.base!r}, nobs={self.nobs}, "
            f"k_params={self.k_params})"
        )


def _best_log_precision(mu: np.ndarray, logy: np.ndarray) -> float:
    """Log precision maximizing the likelihood with the means held at ``mu``."""

    def negll(t):
        phi = math.exp(t)
        alpha = mu * phi
        return -float(
            (gammaln(phi) - gammaln(alpha).sum(axis=1) + ((alpha - 1.0) * logy).sum(axis=1)).sum()
        )

    with np.errstate(all="ignore"):
        res = minimize_scalar(negll, bounds=(-10.0, 15.0), method="bounded")
    return float(res.x)
