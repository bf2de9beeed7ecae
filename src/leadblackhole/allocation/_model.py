"""The one place where the allocation tools read a fitted main model.

Everything the allocation needs from a fitted share model goes through two
functions:

* :func:`share_curves` turns a fitted main model (Dirichlet regression,
  alternative parametrization, base ``other``), the analysis frame and,
  optionally, a parameter vector (a draw) into :class:`ShareCurves`: each
  rep's expected marketing share as a function of the leads the rep
  receives;
* :func:`draw_params` draws parameter vectors from the estimates' sampling
  distribution.

:func:`predicted_marketing_share` is the convenience wrapper that evaluates
the curves at a vector of lead volumes. To move the allocation onto another
results interface, only :func:`_coefficients` and :func:`draw_params` change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import EstimationError
from ..specification import design_matrix

__all__ = ["ShareCurves", "draw_params", "predicted_marketing_share", "share_curves"]

_EQUATIONS = ("marketing", "self")


def _coefficients(results: Any, params: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Term names and the p x 2 coefficient matrix (marketing, self) of a fitted main model.

    ``params`` replaces the estimates (a draw, in the order of ``results.params``).
    """
    est = results.params
    if not isinstance(est.index, pd.MultiIndex) or not set(_EQUATIONS) <= set(
        est.index.get_level_values(0)
    ):
        raise EstimationError(
            "the allocation needs the main model (Dirichlet regression, alternative "
            "parametrization, equations 'marketing' and 'self'); received parameters "
            f"labelled {list(est.index[:3])}"
        )
    if params is not None:
        params = np.asarray(params, dtype=float)
        if params.shape != (len(est),):
            raise EstimationError(
                f"a parameter draw needs {len(est)} values; received shape {params.shape}"
            )
        est = pd.Series(params, index=est.index)
    terms = list(est.loc["marketing"].index)
    B = np.column_stack([est.loc[eq].reindex(terms).to_numpy(float) for eq in _EQUATIONS])
    return terms, B


def draw_params(results: Any, n_draws: int, seed: int) -> np.ndarray:
    """Draws from the estimates' approximate sampling distribution N(theta_hat, V_hat).

    Parameters
    ----------
    results : DirichletRegressionResults
        Fitted main model (``params`` and ``cov_params()``).
    n_draws : int
        Number of draws.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ndarray (n_draws, k)
        Parameter vectors in the order of ``results.params``.

    Examples
    --------
    >>> draws = draw_params(res, 10, seed=1)      # doctest: +SKIP
    """
    theta = results.params.to_numpy(float)
    cov = results.cov_params().to_numpy(float)
    rng = np.random.default_rng(int(seed))
    return rng.multivariate_normal(theta, cov, size=int(n_draws), method="cholesky")


@dataclass(frozen=True, eq=False)
class ShareCurves:
    """Each rep's expected marketing share as a function of the leads received.

    With ``v(L) = ln(1 + L) - volume_mean`` (the centred volume of the fit),
    the linear predictors are ``eta_k(L) = intercept[:, k] + slope[:, k] v(L)``
    for ``k`` in (marketing, self), ``eta_other = 0``, and the expected
    marketing share is ``exp(eta_m) / (1 + exp(eta_m) + exp(eta_s))``.

    Attributes
    ----------
    intercept, slope : ndarray (n, 2)
        Per-rep intercepts and volume slopes of the two equations (the slope
        holds the volume interactions with experience and performance).
    volume_mean : float
        Centring constant of ``volume`` in the fit (analysis-sample mean of
        ``ln(1 + lead_volume)``).
    """

    intercept: np.ndarray
    slope: np.ndarray
    volume_mean: float

    @property
    def n(self) -> int:
        """Number of reps."""
        return self.intercept.shape[0]

    def marketing(self, leads: np.ndarray | float, rows: np.ndarray | None = None) -> np.ndarray:
        """Expected marketing share at ``leads`` (vectorized; ``rows`` selects reps)."""
        a = self.intercept if rows is None else self.intercept[rows]
        b = self.slope if rows is None else self.slope[rows]
        v = np.log1p(np.asarray(leads, dtype=float)) - self.volume_mean
        eta_m = a[..., 0] + b[..., 0] * v
        eta_s = a[..., 1] + b[..., 1] * v
        top = np.maximum(np.maximum(eta_m, eta_s), 0.0)
        em, es, eo = np.exp(eta_m - top), np.exp(eta_s - top), np.exp(-top)
        return em / (em + es + eo)


def share_curves(
    results: Any,
    frame: Any,
    data: pd.DataFrame | None = None,
    params: np.ndarray | None = None,
) -> ShareCurves | list[ShareCurves]:
    """Per-rep marketing-share curves of a fitted main model.

    Parameters
    ----------
    results : DirichletRegressionResults
        Fitted main model (alternative parametrization, base ``other``).
    frame : AnalysisFrame
        The analysis frame the model was fitted on (its ``means`` are the
        centring constants of the fit; its ``firms`` the firm levels).
    data : DataFrame, optional
        Reps to predict for, with ``firm`` and the analysis variables centred
        at ``frame.means`` (a scenario changes them); default ``frame.data``.
        Its ``volume`` column is ignored: the volume comes from the leads.
    params : ndarray, optional
        A parameter vector (a draw) replacing the estimates, or a 2-D array of
        draws (one per row), for which a list of curves is returned.

    Returns
    -------
    ShareCurves, or list of ShareCurves for a 2-D ``params``

    Notes
    -----
    The design is linear in the centred volume ``v`` (``volume``,
    ``experience:volume``, ``performance:volume``), so
    ``X(v) = X(0) + v (X(1) - X(0))`` and each equation's predictor is
    ``X(0) b + v (X(1) - X(0)) b``: everything but the volume and its
    interactions is kept at the rep's values; the interactions are
    recomputed at the new volume.

    Examples
    --------
    >>> curves = share_curves(res, frame)                  # doctest: +SKIP
    >>> curves.marketing(np.full(curves.n, 30))            # doctest: +SKIP
    """
    many = params is not None and np.ndim(params) == 2
    terms, B = _coefficients(results, params[0] if many else params)
    data = frame.data if data is None else data
    levels = list(frame.firms)
    pay = "variable_pay" in terms
    at0 = data.copy()
    at0["volume"] = 0.0
    at1 = data.copy()
    at1["volume"] = 1.0
    X0 = design_matrix(at0, levels=levels, variable_pay=pay)[terms].to_numpy(float)
    dX = design_matrix(at1, levels=levels, variable_pay=pay)[terms].to_numpy(float) - X0
    vbar = float(frame.means["volume"])
    if not many:
        return ShareCurves(intercept=X0 @ B, slope=dX @ B, volume_mean=vbar)
    out = []
    for theta in params:
        B = _coefficients(results, theta)[1]
        out.append(ShareCurves(intercept=X0 @ B, slope=dX @ B, volume_mean=vbar))
    return out


def predicted_marketing_share(
    results: Any,
    frame: Any,
    leads: np.ndarray,
    data: pd.DataFrame | None = None,
    params: np.ndarray | None = None,
) -> np.ndarray:
    """Expected marketing share of each rep at new lead volumes.

    Parameters
    ----------
    results : DirichletRegressionResults
        Fitted main model.
    frame : AnalysisFrame
        The analysis frame of the fit.
    leads : array_like (n,)
        Monthly marketing leads of each rep.
    data : DataFrame, optional
        Reps (centred analysis variables); default ``frame.data``.
    params : ndarray, optional
        A parameter draw replacing the estimates.

    Returns
    -------
    ndarray (n,)
        ``volume = ln(1 + leads)`` is centred at the fit's analysis-sample
        mean, its interactions recomputed, everything else kept.

    Examples
    --------
    >>> predicted_marketing_share(res, frame, frame.raw["lead_volume"])  # doctest: +SKIP
    """
    return share_curves(results, frame, data, params).marketing(np.asarray(leads, float))
