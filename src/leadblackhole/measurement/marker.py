"""The marker-scale measurement model of common-method variance (CFA marker technique).

A marker scale measures a construct theoretically unrelated to the model's
constructs, answered by the same reps on the same questionnaire. Whatever its
items share with the model's items is then method variance. The model
(after Williams, Hartman & Cavazotte 2010, with equal method loadings, their
"Method-C" model) is

.. math::

    x_{ij} = \\nu_j + \\lambda_j f_{s(j)} + m\\, c_i + e_{ij},

with one factor :math:`f_s` per model scale (correlated with each other), one
factor for the marker's own content (uncorrelated with the model's factors),
the method factor :math:`c \\sim (0, 1)` uncorrelated with every factor, and a
method loading :math:`m` shared by every item, marker and model items alike (in
the items' raw units). The equal loading is what identifies the method factor
when the marker has content of its own: the marker's covariance with the model
items gives :math:`m^2`, its content loadings then follow from its own item
covariances. The test of common-method variance is the likelihood-ratio test
of :math:`m = 0`, whose null lies on the boundary (:math:`m^2 \\ge 0`): the
p-value is half the upper tail of :math:`\\chi^2_1` (Self & Liang 1987).

With ``free=True`` the model with one method loading per item (their "Method-U") is
fitted too, from the equal-loadings estimates, and the likelihood-ratio test of equal
loadings (:math:`\\chi^2` with one degree of freedom fewer than the items) is reported;
:func:`method_loadings_gradient` gives the derivative of the free loadings by the item
covariances for the two-step standard errors of the marker correction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import MarkerError
from ._factor_ml import (
    FactorFit,
    FactorStructure,
    estimates_gradient,
    fit_factor_model,
    warn_not_converged,
)

__all__ = [
    "MarkerCFA",
    "check_marker",
    "fit_marker_cfa",
    "marker_structure",
    "method_loadings_gradient",
]

#: Model variables a marker scale must not be (it would not be unrelated to the model).
MODEL_VARIABLES: tuple[str, ...] = (
    "prequal",
    "tracking",
    "volume",
    "experience",
    "performance",
    "variable_pay",
    "marketing",
    "self",
    "other",
    "firm",
)


def check_marker(
    marker: str,
    scales: Mapping[str, Sequence[str]],
    model_scales: Sequence[str] = ("prequal", "tracking"),
) -> list[str]:
    """The items of the marker scale ``marker``, after the checks a marker must pass.

    Parameters
    ----------
    marker : str
        Name of the marker scale (for example ``"marker"``, from a codebook's
        ``[scales.marker]``).
    scales : mapping of str to sequence of str
        Every scale of the survey: name -> item columns.
    model_scales : sequence of str
        The scales that enter the model.

    Returns
    -------
    list of str
        The marker's item columns.

    Raises
    ------
    MarkerError
        ``marker`` is a variable of the model (a model scale included), is not
        a scale of the survey, or has fewer than 2 items.

    Examples
    --------
    >>> check_marker("marker", {"prequal": ["a", "b"], "marker": ["m1", "m2", "m3"]})
    ['m1', 'm2', 'm3']
    """
    if marker in MODEL_VARIABLES or marker in model_scales:
        raise MarkerError(
            f"'{marker}' is a variable of the model; a marker scale must measure a construct "
            "unrelated to the model (declare it as [scales.<name>] in the codebook)"
        )
    if marker not in scales:
        known = [s for s in scales if s not in model_scales]
        raise MarkerError(
            f"unknown marker scale '{marker}'; the survey's further scales are "
            f"{known if known else 'none'} (declare it as [scales.{marker}] in the codebook)"
        )
    items = list(scales[marker])
    if len(items) < 2:
        raise MarkerError(
            f"the marker scale '{marker}' has {len(items)} item; separating its content from "
            "the method needs at least 2 items (3 or more recommended)"
        )
    return items


def marker_structure(
    sizes: Sequence[int], n_marker: int, method: bool = True, free: bool = False
) -> FactorStructure:
    """The :class:`FactorStructure` of the marker model.

    Parameters
    ----------
    sizes : sequence of int
        Items of each model scale, in order (their items come first).
    n_marker : int
        Items of the marker (last).
    method : bool
        Include the method factor (False: the null model of the CMV test).
    free : bool
        One method loading per item (Williams et al.'s "Method-U") instead of one shared
        by every item ("Method-C").

    Returns
    -------
    FactorStructure
        Factors: the model scales, the marker's content, then the method factor;
        correlations free among the model scales only.
    """
    n_scales = len(sizes)
    p = int(sum(sizes)) + n_marker
    loads = []
    i = 0
    for s, k in enumerate(sizes):
        for _ in range(k):
            loads.append((i, s, i))
            i += 1
    for _ in range(n_marker):
        loads.append((i, n_scales, i))
        i += 1
    n_factors = n_scales + 1
    if method:
        loads += [(j, n_scales + 1, p + j if free else p) for j in range(p)]
        n_factors += 1
    corr = tuple((a, b) for a in range(n_scales) for b in range(a + 1, n_scales))
    return FactorStructure(p, n_factors, tuple(loads), corr)


@dataclass(frozen=True)
class MarkerCFA:
    """The marker model's estimates and its test of common-method variance.

    Attributes
    ----------
    method_loading : float
        :math:`|m|`, the method factor's loading on every item (raw units).
    method_share : float
        Mean over the model scales' items of :math:`m^2 / \\hat\\sigma^2_{jj}`, the
        share of an item's variance due to the method.
    lr_statistic, p_value : float
        Likelihood-ratio test of :math:`m = 0` (``(n - 1)(F_0 - F_1)``) and its
        boundary p-value, half the upper tail of :math:`\\chi^2_1`.
    items : tuple of str
        The items in model order (model scales, then the marker).
    n_obs : int
        Complete rows used.
    fit, null_fit : FactorFit
        The fitted model and the model without a method factor.
    free_fit : FactorFit or None
        The model with one method loading per item ("Method-U"), when fitted.
    method_loadings : ndarray or None
        Its method loadings, one per item in ``items`` order (raw units; the sign
        that makes their sum positive).
    equal_lr_statistic, equal_p_value : float
        Likelihood-ratio test of equal method loadings (``(n - 1)(F_C - F_U)``,
        :math:`\\chi^2` with one degree of freedom fewer than the items); NaN
        without the free model.
    """

    method_loading: float
    method_share: float
    lr_statistic: float
    p_value: float
    items: tuple[str, ...]
    n_obs: int
    fit: FactorFit
    null_fit: FactorFit
    free_fit: FactorFit | None = None
    method_loadings: np.ndarray | None = None
    equal_lr_statistic: float = float("nan")
    equal_p_value: float = float("nan")

    def table(self) -> pd.DataFrame:
        """The CMV test as rows ``check, quantity, value`` (the layout of ``cmv_table``)."""
        rows = [
            ("marker_cfa", "method_loading", self.method_loading),
            ("marker_cfa", "method_share", self.method_share),
            ("marker_cfa", "lr_statistic", self.lr_statistic),
            ("marker_cfa", "df", 1.0),
            ("marker_cfa", "pvalue", self.p_value),
            ("marker_cfa", "n_obs", float(self.n_obs)),
        ]
        if self.method_loadings is not None:  # the test of equal method loadings
            rows += [
                ("marker_cfa_equal_loadings", "lr_statistic", self.equal_lr_statistic),
                ("marker_cfa_equal_loadings", "df", float(len(self.method_loadings) - 1)),
                ("marker_cfa_equal_loadings", "pvalue", self.equal_p_value),
            ]
        return pd.DataFrame(rows, columns=["check", "quantity", "value"])


def fit_marker_cfa(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], marker: Sequence[str]
) -> MarkerCFA:
    """Fit the marker model and test for common-method variance.

    Parameters
    ----------
    items : DataFrame
        Item answers (NaN = missing; listwise deletion over every item used).
    scales : mapping of str to sequence of str
        The model's scales: name -> item columns.
    marker : sequence of str
        The marker's item columns (see :func:`check_marker`).

    Returns
    -------
    MarkerCFA

    Raises
    ------
    MarkerError
        A marker with fewer than 2 items, or an item column missing from ``items``.

    Warns
    -----
    ConvergenceWarning
        When the optimizer does not converge.

    Examples
    --------
    >>> res = fit_marker_cfa(items, {"prequal": pq, "tracking": mt}, ["mk_1", "mk_2", "mk_3"])
    ...                                                             # doctest: +SKIP
    >>> res.p_value                                                 # doctest: +SKIP
    """
    marker = list(marker)
    if len(marker) < 2:
        raise MarkerError(f"a marker scale needs at least 2 items; received {marker}")
    cols = [c for its in scales.values() for c in its] + marker
    missing = [c for c in cols if c not in items.columns]
    if missing:
        raise MarkerError(f"item column(s) {missing} not in the items")
    values = items[cols].to_numpy(dtype=float)
    values = values[np.isfinite(values).all(axis=1)]
    n = len(values)
    if n <= len(cols) + 1:
        raise MarkerError(f"{n} complete rows for {len(cols)} items: too few for the marker model")
    S = np.cov(values, rowvar=False)
    sizes = [len(v) for v in scales.values()]
    return marker_cfa_from_cov(S, sizes, len(marker), n, tuple(cols), free=True)


def marker_cfa_from_cov(
    S: np.ndarray,
    sizes: Sequence[int],
    n_marker: int,
    n: int,
    items: tuple[str, ...] = (),
    start: MarkerCFA | None = None,
    free: bool = False,
    warn_free: bool = True,
) -> MarkerCFA:
    """:func:`fit_marker_cfa` from the item covariance matrix (the bootstrap's kernel).

    ``start``, an earlier fit of the same items (the full sample's for a
    bootstrap resample), warm-starts the models. With ``free`` the model with one
    method loading per item is fitted too, from the equal-loadings estimates; when it
    does not converge the test of equal loadings is NaN, with a ``ConvergenceWarning``
    unless ``warn_free`` is false (a caller that falls back to equal loadings).
    """
    st = marker_structure(sizes, n_marker, method=True)
    if start is not None:
        null = fit_factor_model(S, marker_structure(sizes, n_marker, False), start.null_fit.x)
        full = fit_factor_model(S, st, start=start.fit.x)
        u_start = start.free_fit.x if start.free_fit is not None else None
        return _marker_result(S, sizes, n_marker, n, items, full, null, free, u_start, warn_free)
    null = fit_factor_model(S, marker_structure(sizes, n_marker, method=False))
    # start the full model from the null one, the method loading at 0.1 SD
    lam0 = [null.loadings[i, f] for i, f, _ in marker_structure(sizes, n_marker, False).loadings]
    n_scales = len(sizes)
    corr0 = [null.phi[a, b] for a in range(n_scales) for b in range(a + 1, n_scales)]
    m0 = 0.1 * float(np.sqrt(np.mean(np.diag(S))))
    theta0 = np.log(np.maximum(null.theta - m0**2, 0.05 * np.diag(S)))
    full = fit_factor_model(S, st, start=np.r_[lam0, m0, corr0, theta0])
    return _marker_result(S, sizes, n_marker, n, items, full, null, free, None, warn_free)


def free_start(sizes: Sequence[int], n_marker: int, equal: FactorFit) -> np.ndarray:
    """Start of the free-loadings model: the equal-loadings estimates, the loading repeated."""
    p = int(sum(sizes)) + n_marker
    x = np.asarray(equal.x, dtype=float)
    return np.r_[x[:p], np.full(p, x[p]), x[p + 1 :]]


def _marker_result(
    S,
    sizes,
    n_marker,
    n,
    items,
    full: FactorFit,
    null: FactorFit,
    free: bool,
    u_start=None,
    warn_free: bool = True,
) -> MarkerCFA:
    if not (full.converged and null.converged):
        warn_not_converged("the marker model")
    m = float(abs(full.loadings[0, -1]))
    p_model = int(sum(sizes))
    share = float(np.mean(m**2 / np.diag(S)[:p_model]))
    lr = max((n - 1) * (null.fmin - full.fmin), 0.0)
    p = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
    if not free:
        return MarkerCFA(m, share, float(lr), p, tuple(items), int(n), full, null)
    st = marker_structure(sizes, n_marker, method=True, free=True)
    start = free_start(sizes, n_marker, full) if u_start is None else u_start
    u = fit_factor_model(S, st, start=start)
    loadings = u.loadings[:, -1].copy()
    loadings *= 1.0 if loadings.sum() >= 0 else -1.0
    if not u.converged:  # no test of equal loadings from a model that did not converge
        if warn_free:
            warn_not_converged("the marker model with one method loading per item")
        lr_eq = p_eq = float("nan")
    else:
        lr_eq = max((n - 1) * (full.fmin - u.fmin), 0.0)
        p_eq = float(stats.chi2.sf(lr_eq, S.shape[0] - 1))
    return MarkerCFA(
        m, share, float(lr), p, tuple(items), int(n), full, null, u, loadings, float(lr_eq), p_eq
    )


def method_loadings_gradient(
    S: np.ndarray, sizes: Sequence[int], n_marker: int, fit: FactorFit
) -> np.ndarray:
    r"""Derivative of the free method loadings by the item covariances.

    Parameters
    ----------
    S : ndarray (p, p)
        The item covariance the model was fitted to.
    sizes, n_marker
        As for :func:`marker_structure`.
    fit : FactorFit
        The free-loadings fit of ``S`` (:attr:`MarkerCFA.free_fit`).

    Returns
    -------
    ndarray (p, p (p + 1) / 2)
        Row ``j``: :math:`\partial \hat m_j / \partial S` by the entries of the upper
        triangle in row-major order (``numpy.triu_indices``; an off-diagonal entry moves
        both of its elements), for the loadings with the sign of ``fit``.

    Notes
    -----
    The implicit-function derivative of the free model's estimates
    (:func:`~leadblackhole.measurement._factor_ml.estimates_gradient`, which
    :func:`~leadblackhole.measurement.score_reliability.reliability_gradient` uses too),
    its method-loading rows. No model is refitted.
    """
    st = marker_structure(sizes, n_marker, method=True, free=True)
    p = int(sum(sizes)) + n_marker
    return estimates_gradient(fit.x, st, S)[p : 2 * p]
