r"""Rounding-aware (coarsened-data) Dirichlet regression of three shares.

Survey respondents report their time shares as round percents. A reported
percent :math:`r_k` rounded to a step :math:`h` stands for every share that
rounds to it: the *cell*

.. math::

    \max(0, r_k - h/2) \le 100\, y_k \le \min(100, r_k + h/2)

for the two non-base components, with the base share the remainder,
:math:`y_{\text{base}} = 1 - y_1 - y_2 \ge 0`. Following Heitjan & Rubin
(1991), the likelihood contribution of a rep is the Dirichlet probability of
that cell; the mean and precision models are those of the exact-share
Dirichlet regression in the alternative parametrization
(:class:`~leadblackhole.models.dirichlet.DirichletRegression`). A reported 0
is the cell from 0 to :math:`h/2`: no compression of the shares is needed.

The cell probabilities, their quadrature and their exact derivatives are
those of :mod:`leadblackhole.models.dirichlet.cells`; the model fits with the
Newton iterations and covariances of
:meth:`DirichletRegression.fit <leadblackhole.models.dirichlet.DirichletRegression.fit>`
on that likelihood, and returns
:class:`~leadblackhole.models.dirichlet.rounded_results.RoundedDirichletResults`.

References
----------
Heitjan, D. F., & Rubin, D. B. (1991). Ignorability and coarse data. *The
Annals of Statistics*, 19(4), 2244-2253.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from leadblackhole.exceptions import EstimationError, ZeroShareWarning

from ..design import as_frame, numeric_matrix
from ..newton import newton
from . import cells
from .cells import SNAP_TOL, CellObjective, build_pieces, cell_bounds, cell_loglike
from .kernel import loglike_alternative, loglike_and_derivatives_alternative
from .model import DirichletRegression
from .rounded_results import RoundedDirichletResults

__all__ = [
    "ROUNDING_STEPS",
    "RoundedDirichletRegression",
    "detect_rounding_step",
]

#: Steps that :func:`detect_rounding_step` tries, largest first.
ROUNDING_STEPS: tuple[int, ...] = (10, 5, 1)


# ----------------------------------------------------------------------------
# the rounding step
# ----------------------------------------------------------------------------
def detect_rounding_step(pct_marketing: Any, pct_self: Any) -> int | None:
    """The coarsest rounding step consistent with every reported percent.

    Parameters
    ----------
    pct_marketing, pct_self : array-like
        Reported percents (0-100) of the analysable reps.

    Returns
    -------
    int or None
        The largest of 10, 5 and 1 that divides every value of both
        columns; ``None`` when some value is not a whole number (the answers
        are then treated as exact).

    Raises
    ------
    EstimationError
        When the inputs are empty, of different lengths, or hold missing or
        infinite values.

    Notes
    -----
    A whole number is a value within :math:`10^{-9}` of an integer. Answers
    that are all multiples of 10 are taken as rounded to 10 even though some
    respondents may have rounded finer: the coarser cell is the safe choice,
    because it contains the finer one. This is the rule behind the command
    line option ``--rounding auto``.

    Examples
    --------
    >>> detect_rounding_step([10, 25, 40], [30, 50, 5])
    5
    >>> detect_rounding_step([10, 20], [30, 50])
    10
    >>> detect_rounding_step([12.5, 20], [30, 50]) is None
    True
    """
    m = np.asarray(pct_marketing, dtype=float).ravel()
    s = np.asarray(pct_self, dtype=float).ravel()
    if m.size == 0 or s.size == 0:
        raise EstimationError("detect_rounding_step needs at least one reported percent")
    if m.size != s.size:
        raise EstimationError(
            f"pct_marketing has {m.size} values but pct_self has {s.size}; they must match"
        )
    values = np.concatenate([m, s])
    if not np.isfinite(values).all():
        raise EstimationError("the reported percents contain missing or infinite values")
    whole = np.round(values)
    if np.abs(values - whole).max() > 1e-9:
        return None
    for step in ROUNDING_STEPS:
        if np.all(np.mod(whole, step) == 0):
            return step
    return None  # pragma: no cover - 1 divides every integer


# ----------------------------------------------------------------------------
# the start values: the exact-share likelihood of the cell midpoints
# ----------------------------------------------------------------------------
def _exact_all(theta, logy, x, z, base):
    """Exact-share log-likelihood, gradient and Hessian summed over blocks of reps.

    The blocks are those of the cell likelihood, :data:`cells.REP_BLOCK_ROWS
    <leadblackhole.models.dirichlet.cells.REP_BLOCK_ROWS>` reps.
    """
    rows = cells.REP_BLOCK_ROWS
    llf, score, hess = 0.0, 0.0, 0.0
    for s in range(0, x.shape[0], rows):
        r = slice(s, s + rows)
        ll, g, h = loglike_and_derivatives_alternative(theta, logy[r], x[r], z[r], base)
        llf, score, hess = llf + ll, score + g, hess + h
    return llf, score, hess


def _exact_loglike(theta, logy, x, z, base) -> float:
    """Exact-share log-likelihood summed over blocks of reps."""
    rows = cells.REP_BLOCK_ROWS
    return sum(
        loglike_alternative(theta, logy[s : s + rows], x[s : s + rows], z[s : s + rows], base)
        for s in range(0, x.shape[0], rows)
    )


# ----------------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------------
def _check_step(step: Any) -> float:
    if isinstance(step, bool) or not isinstance(step, int | float | np.integer | np.floating):
        raise EstimationError(
            f"step must be a positive number of percentage points; received {step!r}"
        )
    step = float(step)
    if not (math.isfinite(step) and 0.0 < step <= 100.0):
        raise EstimationError(f"step must lie in (0, 100] percentage points; received {step!r}")
    return step


class RoundedDirichletRegression(DirichletRegression):
    r"""Dirichlet regression of three shares reported as rounded percents.

    Parameters
    ----------
    endog : DataFrame, shape (n, 3)
        Reported percents (0-100) of the three components, for example
        ``pct_marketing, pct_self, pct_other`` renamed ``marketing, self,
        other``. The percents of the two non-base components define the cells;
        the base component's percent is not used (its share is the remainder).
    exog : DataFrame, shape (n, p)
        Regressors of the mean model (include an ``Intercept`` column).
    step : float
        Rounding step :math:`h` in percentage points (for example 5 or 10); see
        :func:`detect_rounding_step`.
    exog_precision : DataFrame, shape (n, q), optional
        Regressors of the precision model; default a column of ones named
        ``Intercept``.
    base : str, default "other"
        Base component: its coefficients are zero and its share is the
        remainder.
    floor : str, optional
        A non-base component that every rep reports as at least one step
        because reps without it are outside the sample (``"marketing"`` in the
        main model: the analysis sample holds the reps with some time on
        marketing leads). Its reports of exactly one step then stand for the
        cell from 0 to 1.5 steps, since a rep with a true share below half a
        step is in the sample and reported the smallest positive answer.
        Default ``None``: every cell is ``[r - h/2, r + h/2]`` cut to 0-100.

    Attributes
    ----------
    step : float
        The rounding step.
    floor : str or None
        The floored component.
    percents : DataFrame
        The reported percents.
    cells : DataFrame
        Columns ``(component, "lower")`` and ``(component, "upper")``: the cell
        bounds (shares) of the two non-base components.
    param_names, exog_names, endog_names, nobs
        As for :class:`DirichletRegression` (alternative parametrization):
        equations are the two non-base components and ``precision``.

    Raises
    ------
    EstimationError
        endog without exactly 3 components, percents outside 0-100, a step
        outside (0, 100], an empty cell (the reported non-base percents exceed
        100 by at least one step), a ``floor`` that is not a non-base
        component, and every error of
        :class:`DirichletRegression` (designs, base).

    Notes
    -----
    The likelihood of rep :math:`i` is the Dirichlet probability of its cell,

    .. math::

        \ell = \sum_i \log \Pr\big(y_i \in C_i \mid \alpha_i\big), \qquad
        C_i = \{y : L_{ik} \le y_k \le U_{ik},\ k = 1, 2;\ y_1 + y_2 \le 1\},

    with :math:`L = \max(0, r - h/2)/100` and :math:`U = \min(100, r + h/2)/100`
    and :math:`\alpha_i = \mu_i\phi_i` from the alternative parametrization.
    See :mod:`leadblackhole.models.dirichlet.cells` for the quadrature and its
    exact derivatives. As :math:`h \to 0`,
    :math:`\ell = \ell_{\text{exact}} + 2 n \log(h/100) + O(h^2)`, so the
    estimates converge to those of the exact-share model.

    The attribute :attr:`shares` (used for the residuals) holds the midpoints
    of the cells; they, compressed if a base share is 0, also give the
    starting values (an exact-share fit on them).

    :meth:`fit` is :meth:`DirichletRegression.fit` (the same options, Newton
    iterations and covariance types, ``"oim"`` or the sandwich ``"robust"``
    with the per-rep scores of :meth:`score_obs`) run on the quadrature
    log-likelihood, from the exact-share fit on the midpoints by default; it
    returns :class:`~leadblackhole.models.dirichlet.rounded_results.RoundedDirichletResults`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = rng.dirichlet([3.0, 4.0, 5.0], size=300)
    >>> pct = pd.DataFrame(np.round(100 * y[:, :2] / 5) * 5, columns=["marketing", "self"])
    >>> pct["other"] = 100 - pct.sum(axis=1)
    >>> res = RoundedDirichletRegression(pct, pd.DataFrame({"Intercept": np.ones(300)}), 5).fit()
    >>> res.params.index.get_level_values("equation").unique().tolist()
    ['marketing', 'self', 'precision']
    """

    _results_class = RoundedDirichletResults
    _label = "rounding-aware Dirichlet regression"

    def __init__(
        self,
        endog: pd.DataFrame,
        exog: pd.DataFrame,
        step: float,
        exog_precision: pd.DataFrame | None = None,
        base: str = "other",
        floor: str | None = None,
    ) -> None:
        self.step: float = _check_step(step)
        frame = as_frame(endog, "endog", prefix="y")
        if frame.shape[1] != 3:
            raise EstimationError(
                f"the rounding-aware model needs exactly 3 components; endog has {frame.shape[1]}"
            )
        pct = numeric_matrix(frame, "endog")
        if pct.shape[0] == 0:
            raise EstimationError("endog has no rows")
        if (pct < 0).any() or (pct > 100).any():
            rows = frame.index[np.flatnonzero(((pct < 0) | (pct > 100)).any(axis=1))[:5]].tolist()
            raise EstimationError(f"endog must hold percents between 0 and 100 (rows {rows})")
        names = list(frame.columns)
        if not isinstance(base, str):
            raise EstimationError(f"base must be a component name (str); received {base!r}")
        if base not in names:
            raise EstimationError(f"base must be one of {names}; received {base!r}")
        roles = [k for k in range(3) if names[k] != base] + [names.index(base)]
        lo, hi = cell_bounds(pct[:, roles[:2]], self.step)
        if floor is not None:
            nonbase = [names[k] for k in roles[:2]]
            if floor not in nonbase:
                raise EstimationError(
                    f"floor must be None or one of the non-base components {nonbase}; "
                    f"received {floor!r}"
                )
            j = nonbase.index(floor)
            lowest = np.abs(pct[:, roles[j]] - self.step) < 1e-9
            lo[lowest, j] = 0.0
        self.floor: str | None = floor
        empty = lo.sum(axis=1) >= 1.0 - SNAP_TOL
        if empty.any():
            rows = frame.index[np.flatnonzero(empty)[:5]].tolist()
            raise EstimationError(
                f"the cells of rows {rows} are empty: the reported {names[roles[0]]} and "
                f"{names[roles[1]]} percents sum to at least 100 + step"
            )
        mid = np.zeros_like(pct)
        mid[:, roles[:2]] = (lo + hi) / 2.0
        mid[:, roles[2]] = np.maximum(0.0, 1.0 - mid[:, roles[:2]].sum(axis=1))
        mid /= mid.sum(axis=1, keepdims=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ZeroShareWarning)
            super().__init__(
                pd.DataFrame(mid, index=frame.index, columns=names),
                exog,
                exog_precision=exog_precision,
                parametrization="alternative",
                base=base,
            )
        self.n_compressed = 0
        self.percents = frame
        self.endog = frame
        self._roles = roles
        cols = pd.MultiIndex.from_product([[names[k] for k in roles[:2]], ["lower", "upper"]])
        self.cells = pd.DataFrame(
            np.column_stack([lo[:, 0], hi[:, 0], lo[:, 1], hi[:, 1]]),
            index=frame.index,
            columns=cols,
        )
        self._pieces = build_pieces(lo, hi)

    @classmethod
    def from_formula(cls, *args: Any, **kwargs: Any) -> DirichletRegression:
        """Not available: build the model from design matrices.

        Raises
        ------
        EstimationError
            Always.
        """
        raise EstimationError(
            "RoundedDirichletRegression is built from percents and design matrices "
            "(RoundedDirichletRegression(endog, exog, step)); from_formula is not available"
        )

    # ------------------------------------------------------------------
    def loglike_obs(self, params: Any) -> np.ndarray:
        """Per-rep log cell probabilities at ``params``.

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (nobs,)

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> pct = pd.DataFrame({"marketing": [35.0, 35.0], "self": [30.0, 30.0],
        ...                     "other": [35.0, 35.0]})
        >>> m = RoundedDirichletRegression(pct, pd.DataFrame({"Intercept": [1.0, 1.0]}), 5)
        >>> float(np.exp(m.loglike_obs([0.0, 0.0, np.log(3.0)])[0])).__round__(6)
        0.005
        """
        theta = self._params_array(params)
        return cell_loglike(theta, self._pieces, self._xs[0], self._z, 0)[0]

    def loglike(self, params: Any) -> float:
        """Log-likelihood (sum of log cell probabilities) at ``params``.

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> pct = pd.DataFrame({"marketing": [35.0, 0.0], "self": [30.0, 50.0],
        ...                     "other": [35.0, 50.0]})
        >>> m = RoundedDirichletRegression(pct, pd.DataFrame({"Intercept": [1.0, 1.0]}), 5)
        >>> bool(np.isfinite(m.loglike([0.0, 0.0, 1.0])))
        True
        """
        return float(self.loglike_obs(params).sum())

    def score_obs(self, params: Any, mean_design: np.ndarray | None = None) -> np.ndarray:
        """Per-rep gradients of the log cell probabilities.

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.
        mean_design : ndarray (nobs, p), optional
            A mean design to evaluate the scores on instead of the model's (see
            :meth:`DirichletRegression.score_obs`).

        Returns
        -------
        ndarray, shape (nobs, k_params)
            Rows sum to :meth:`score`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> pct = pd.DataFrame({"marketing": [35.0, 35.0], "self": [30.0, 30.0],
        ...                     "other": [35.0, 35.0]})
        >>> m = RoundedDirichletRegression(pct, pd.DataFrame({"Intercept": [1.0, 1.0]}), 5)
        >>> m.score_obs([0.0, 0.0, 1.0]).shape
        (2, 3)
        """
        theta = self._params_array(params)
        x = self._xs[0] if mean_design is None else self._other_mean_design(mean_design)
        return cell_loglike(theta, self._pieces, x, self._z, 1)[1]

    def score(self, params: Any) -> np.ndarray:
        """Gradient of the log-likelihood (exact for the quadrature).

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (k_params,)

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> pct = pd.DataFrame({"marketing": [35.0, 35.0], "self": [30.0, 30.0],
        ...                     "other": [35.0, 35.0]})
        >>> m = RoundedDirichletRegression(pct, pd.DataFrame({"Intercept": [1.0, 1.0]}), 5)
        >>> m.score([0.0, 0.0, 1.0]).shape
        (3,)
        """
        return self.score_obs(params).sum(axis=0)

    def hessian(self, params: Any) -> np.ndarray:
        """Analytic Hessian of the log-likelihood (exact for the quadrature).

        Parameters
        ----------
        params : array-like or Series
            Parameter vector in the order of :attr:`param_names`.

        Returns
        -------
        ndarray, shape (k_params, k_params)

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> pct = pd.DataFrame({"marketing": [35.0, 35.0], "self": [30.0, 30.0],
        ...                     "other": [35.0, 35.0]})
        >>> m = RoundedDirichletRegression(pct, pd.DataFrame({"Intercept": [1.0, 1.0]}), 5)
        >>> m.hessian([0.0, 0.0, 1.0]).shape
        (3, 3)
        """
        theta = self._params_array(params)
        return cell_loglike(theta, self._pieces, self._xs[0], self._z, 2)[2]

    # ------------------------------------------------------------------
    # what the fit of DirichletRegression runs on: start values, objective
    # ------------------------------------------------------------------
    def _start_params(self) -> np.ndarray:
        """Exact-share Dirichlet fit on the (compressed) cell midpoints.

        The model is itself an exact-share model of the midpoints (its
        :attr:`shares`, designs and orthonormalizing transforms), so the
        exact-share Newton iterations run on its own arrays, from the
        exact-share start of :meth:`DirichletRegression._start_params_t`, with
        the defaults of :meth:`DirichletRegression.fit` and the log-likelihood
        summed over blocks of :data:`~leadblackhole.models.dirichlet.cells.REP_BLOCK_ROWS`
        reps; a fit that does not converge still gives its last iterate as the
        start.
        """
        args = self._kernel_args(transformed=True)
        with np.errstate(all="ignore"):
            out = newton(
                _exact_all, _exact_loglike, super()._start_params_t(), args, maxiter=100, tol=1e-10
            )
        return self._t @ out[0]

    def _start_params_t(self) -> np.ndarray:
        """Starting values on the transformed scale: :meth:`_start_params`."""
        return self._t_inv @ self._start_params()

    def _objective(self) -> tuple[Any, Any, tuple]:
        """The quadrature log-likelihood of the cells, for Newton's method.

        One :class:`~leadblackhole.models.dirichlet.cells.CellObjective` on the
        orthonormalized designs: a line-search evaluation serves the Newton
        step that follows it.
        """
        objective = CellObjective(self._pieces, self._xs_t[0], self._z_t)
        return objective.all, objective.loglike, ()

    def __repr__(self) -> str:
        return (
            f"RoundedDirichletRegression(step={self.step:g}, components={self.endog_names}, "
            f"base={self.base!r}, floor={self.floor!r}, nobs={self.nobs}, "
            f"k_params={self.k_params})"
        )
