"""The one place where the allocation tools read a fitted share model.

Everything the allocation needs from a fitted model goes through the results
interface of :mod:`leadblackhole.models` (:class:`~leadblackhole.models.ShareResults`):
``mean_terms``, ``mean_coef`` (terms x equations), ``mean_cov`` and ``link``
(the mean-share function of the linear predictors). Two functions use it:

* :func:`share_curves` turns a fitted model, the analysis frame and,
  optionally, drawn mean coefficients into :class:`ShareCurves`: each rep's
  expected marketing share as a function of the leads the rep receives;
* :func:`draw_params` draws mean coefficients from their sampling
  distribution ``N(mean_coef, mean_cov)``.

No model type is detected: any share model whose link has ``marketing`` among
its outcomes can drive the allocation (the command line uses the main model,
the Dirichlet regression); :func:`check_marketing_model` refuses any other
with an :class:`~leadblackhole.exceptions.AllocationError`. A mean term that
the study's design does not build (a control function's first-stage residual,
an inverse Mills ratio) is the rep's own value from the model's design on the
fitted rows (``mean_design``), held fixed as the leads change. :func:`curves_from_coefficients` builds the same
curves from coefficients and a link given directly (the simulator's true
parameters, for the oracle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import AllocationError, EstimationError
from ..specification import design_matrix

__all__ = [
    "ShareCurves",
    "check_marketing_model",
    "curves_from_coefficients",
    "draw_params",
    "predicted_marketing_share",
    "share_curves",
]

#: The share the allocation turns into follow-ups.
OUTCOME = "marketing"


def check_marketing_model(results: Any) -> None:
    """Check that a fitted model's mean-share link gives the marketing share.

    Parameters
    ----------
    results : ShareResults
        A fitted share model.

    Raises
    ------
    AllocationError
        When the model has no mean-share link (the probit of any
        marketing-lead time) or its link's outcomes lack ``marketing`` (a
        fractional logit of the self-generated share).

    Examples
    --------
    >>> check_marketing_model(fit_share_model(frame, "probit"))   # doctest: +SKIP
    Traceback (most recent call last):
    AllocationError: the allocation needs a share model whose mean gives the 'marketing' ...
    """
    link = getattr(results, "link", None)
    if link is None or OUTCOME not in link.outcomes:
        name = getattr(results, "model_name", type(results).__name__)
        raise AllocationError(
            f"the allocation needs a share model whose mean gives the '{OUTCOME}' share; "
            f"the {name} model has "
            + ("no mean-share link" if link is None else f"outcomes {list(link.outcomes)}")
        )


def _mean_model(results: Any) -> tuple[pd.DataFrame, Any]:
    """The fitted mean coefficients (terms x equations) and link, checked for a marketing share."""
    check_marketing_model(results)
    return results.mean_coef, results.link


def _coefficients(results: Any, params: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Term names and the p x q mean-coefficient matrix of a fitted model.

    ``params`` replaces the estimates: a draw of the mean coefficients stacked
    equation by equation, in the order of ``results.mean_cov``.
    """
    coef, _ = _mean_model(results)
    terms = [str(t) for t in coef.index]
    B = coef.to_numpy(float)
    if params is None:
        return terms, B
    params = np.asarray(params, dtype=float)
    if params.shape != (B.size,):
        raise EstimationError(
            f"a draw of the mean coefficients needs {B.size} values; received shape {params.shape}"
        )
    return terms, params.reshape(B.shape[1], B.shape[0]).T


def draw_params(results: Any, n_draws: int, seed: int) -> np.ndarray:
    """Draws of the mean coefficients from ``N(mean_coef, mean_cov)``.

    Parameters
    ----------
    results : ShareResults
        Fitted share model (its ``mean_coef`` and ``mean_cov``).
    n_draws : int
        Number of draws.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ndarray (n_draws, p q)
        Mean coefficients stacked equation by equation (the order of
        ``results.mean_cov``), one draw per row.

    Notes
    -----
    Only the mean coefficients are drawn: the expected shares do not depend
    on a precision or scale parameter, and the marginal distribution of the
    mean coefficients under the joint normal approximation is
    ``N(mean_coef, mean_cov)``. The draws use the Cholesky factor of
    ``mean_cov``; a positive semi-definite but singular ``mean_cov`` (a
    control-function model, whose first-stage coefficients appear in every
    equation) is factored by its eigendecomposition instead, so the draws keep
    its exact linear dependencies.

    Examples
    --------
    >>> draws = draw_params(res, 10, seed=1)      # doctest: +SKIP
    """
    coef, _ = _mean_model(results)
    theta = coef.to_numpy(float).T.ravel()
    cov = results.mean_cov.to_numpy(float)
    rng = np.random.default_rng(int(seed))
    try:
        return rng.multivariate_normal(theta, cov, size=int(n_draws), method="cholesky")
    except np.linalg.LinAlgError:
        # singular: a control-function model's first-stage coefficients enter every
        # equation, so its joint covariance has exact linear dependencies
        rng = np.random.default_rng(int(seed))
        return rng.multivariate_normal(theta, cov, size=int(n_draws), method="eigh")


@dataclass(frozen=True, eq=False)
class ShareCurves:
    """Each rep's expected marketing share as a function of the leads received.

    With ``v(L) = ln(1 + L) - volume_mean`` (the centred volume of the fit),
    the linear predictors of the model's ``q`` mean equations are
    ``eta(L) = intercept + slope v(L)`` (one row per rep) and the expected
    shares are ``link.effect(0, eta, 0, 0, 0)``; the marketing share is its
    column ``column``.

    Attributes
    ----------
    intercept, slope : ndarray (n, q)
        Per-rep intercepts and volume slopes of the mean equations (the slope
        holds the volume interactions with experience and performance).
    volume_mean : float
        Centring constant of ``volume`` in the fit (analysis-sample mean of
        ``ln(1 + lead_volume)``).
    link : Link
        The model's mean-share link (:mod:`leadblackhole.models.results`).
    column : int
        Position of ``marketing`` in ``link.components``.
    """

    intercept: np.ndarray
    slope: np.ndarray
    volume_mean: float
    link: Any
    column: int

    @property
    def n(self) -> int:
        """Number of reps."""
        return self.intercept.shape[0]

    def marketing(self, leads: np.ndarray | float, rows: Any = None) -> np.ndarray:
        """Expected marketing share at ``leads`` (vectorized; ``rows`` selects reps).

        ``leads`` broadcasts against the selected reps: ``leads`` of shape
        ``(n,)`` with ``rows=None``, a vector of leads for one rep
        ``rows=i``, or a grid ``(1, g)`` with ``rows`` of shape ``(r, 1)``.
        """
        a = self.intercept if rows is None else self.intercept[rows]
        b = self.slope if rows is None else self.slope[rows]
        v = np.log1p(np.asarray(leads, dtype=float)) - self.volume_mean
        eta = a + b * v[..., None]
        return self.link.effect(0, eta, 0.0, 0.0, 0.0)[..., self.column]


def curves_from_coefficients(
    coef: pd.DataFrame, link: Any, means: pd.Series, firms: list[str], data: pd.DataFrame
) -> ShareCurves:
    """Share curves of given mean coefficients and link for the reps in ``data``.

    Parameters
    ----------
    coef : DataFrame
        Mean coefficients, design terms x equations (``link.equations``).
    link : Link
        Mean-share link with ``marketing`` among its components.
    means : Series
        Centring constants of the analysis variables (``volume`` among them).
    firms : list of str
        Firm levels of the design (sorted).
    data : DataFrame
        Reps, with ``firm`` and the analysis variables centred at ``means``.

    Returns
    -------
    ShareCurves

    Notes
    -----
    The design is linear in the centred volume ``v`` (``volume``,
    ``experience:volume``, ``performance:volume``), so
    ``X(v) = X(0) + v (X(1) - X(0))`` and the predictors are
    ``X(0) B + v (X(1) - X(0)) B``: every variable but the volume is kept at
    the rep's value, and the interactions are recomputed at the new volume.

    Examples
    --------
    >>> curves_from_coefficients(coef, link, means, firms, data)   # doctest: +SKIP
    """
    X0, dX = _design_pair([str(t) for t in coef.index], firms, data, None, None)
    B = coef.to_numpy(float)
    return ShareCurves(
        X0 @ B, dX @ B, float(means["volume"]), link, list(link.components).index(OUTCOME)
    )


def _design_pair(
    terms: list[str],
    firms: list[str],
    data: pd.DataFrame,
    results: Any,
    fitted_index: pd.Index | None,
):
    """The design at centred volume 0 and its change per unit of centred volume.

    Terms the study's design does not build are read from ``results.mean_design``
    (the rows of ``data`` found in ``fitted_index``, the fitted rows) and held fixed.
    """
    pay = "variable_pay" in terms
    at0 = data.copy()
    at0["volume"] = 0.0
    at1 = data.copy()
    at1["volume"] = 1.0
    D0 = design_matrix(at0, levels=firms, variable_pay=pay)
    D1 = design_matrix(at1, levels=firms, variable_pay=pay)
    own = [t for t in terms if t not in D0.columns]
    if own:
        design = None if results is None else getattr(results, "mean_design", None)
        name = getattr(results, "model_name", "the")
        if design is None or fitted_index is None or len(design) != len(fitted_index):
            raise AllocationError(
                f"the {name} model's mean has terms the study's design does not build "
                f"({', '.join(own)}) and the model keeps no design on the analysis sample's "
                "rows to read them from"
            )
        rows = fitted_index.get_indexer(data.index)
        if (rows < 0).any():
            raise AllocationError(
                f"the reps to allocate to are not all among the rows the {name} model was "
                f"fitted on, so its terms {', '.join(own)} are unknown for them"
            )
        cols = np.asarray(design, float)[np.ix_(rows, [terms.index(t) for t in own])]
        for k, t in enumerate(own):
            D0[t] = cols[:, k]
            D1[t] = cols[:, k]
    X0 = D0[terms].to_numpy(float)
    dX = D1[terms].to_numpy(float) - X0
    return X0, dX


def share_curves(
    results: Any,
    frame: Any,
    data: pd.DataFrame | None = None,
    params: np.ndarray | None = None,
) -> ShareCurves | list[ShareCurves]:
    """Per-rep marketing-share curves of a fitted share model.

    Parameters
    ----------
    results : ShareResults
        Fitted share model whose link gives the ``marketing`` share (the
        main model: Dirichlet regression, alternative parametrization).
    frame : AnalysisFrame
        The analysis frame the model was fitted on (its ``means`` are the
        centring constants of the fit; its ``firms`` the firm levels).
    data : DataFrame, optional
        Reps to predict for, with ``firm`` and the analysis variables centred
        at ``frame.means`` (a scenario changes them); default ``frame.data``.
        Its ``volume`` column is ignored: the volume comes from the leads.
    params : ndarray, optional
        A draw of the mean coefficients (:func:`draw_params`) replacing the
        estimates, or a 2-D array of draws (one per row), for which a list of
        curves is returned.

    Returns
    -------
    ShareCurves, or list of ShareCurves for a 2-D ``params``

    Raises
    ------
    AllocationError
        When the model has no mean-share link giving ``marketing``, or has
        mean terms the study's design does not build that cannot be read from
        its ``mean_design`` for these reps.
    EstimationError
        When a draw has the wrong length.

    Notes
    -----
    See :func:`curves_from_coefficients`. The design matrices are built once
    and reused for every draw.

    Examples
    --------
    >>> curves = share_curves(res, frame)                  # doctest: +SKIP
    >>> curves.marketing(np.full(curves.n, 30))            # doctest: +SKIP
    """
    many = params is not None and np.ndim(params) == 2
    _, link = _mean_model(results)
    terms, B = _coefficients(results, params[0] if many else params)
    data = frame.data if data is None else data
    X0, dX = _design_pair(terms, list(frame.firms), data, results, frame.data.index)
    vbar = float(frame.means["volume"])
    col = list(link.components).index(OUTCOME)
    if not many:
        return ShareCurves(X0 @ B, dX @ B, vbar, link, col)
    out = []
    for theta in params:
        B = _coefficients(results, theta)[1]
        out.append(ShareCurves(X0 @ B, dX @ B, vbar, link, col))
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
    results : ShareResults
        Fitted share model (see :func:`share_curves`).
    frame : AnalysisFrame
        The analysis frame of the fit.
    leads : array_like (n,)
        Monthly marketing leads of each rep.
    data : DataFrame, optional
        Reps (centred analysis variables); default ``frame.data``.
    params : ndarray, optional
        A draw of the mean coefficients replacing the estimates.

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
