"""Reliability of a scale *score* (the unit-weighted item mean), for the error correction.

The reliability table of the measurement report gives Cronbach's alpha and the
composite reliability of the standardized items. What a correction for
measurement error in the item mean needs is the share of the item mean's
variance that is true-score variance: McDonald's omega of the raw items under
a congeneric one-factor model of the scale (Jöreskog's rho of the unweighted
sum), or Cronbach's alpha, which equals it when the items are tau-equivalent
and is a lower bound otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import ReliabilityError
from ._factor_ml import (
    FactorStructure,
    estimates_gradient,
    fit_factor_model,
    warn_not_converged,
)

__all__ = [
    "RELIABILITY_METHODS",
    "check_reliability",
    "reliability_from_cov",
    "reliability_gradient",
    "score_reliabilities",
    "score_reliability",
]

#: Reliability estimators of :func:`score_reliability`.
RELIABILITY_METHODS: tuple[str, ...] = ("omega", "alpha")


def check_reliability(name: str, value: float) -> float:
    """Return ``value`` when it lies strictly inside (0, 1), else raise :class:`ReliabilityError`.

    Examples
    --------
    >>> check_reliability("prequal", 0.85)
    0.85
    """
    v = float(value)
    if not (np.isfinite(v) and 0.0 < v < 1.0):
        raise ReliabilityError(
            f"the reliability of scale '{name}' is {v:.4g}; a correction for measurement error "
            "needs a reliability strictly between 0 and 1 (a scale whose items do not "
            "measure one construct, or a value typed in the wrong unit)"
        )
    return v


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return float(k / (k - 1) * (1.0 - np.trace(cov) / cov.sum()))


def omega_from_cov(
    cov: np.ndarray, name: str = "scale", start: np.ndarray | None = None
) -> tuple[float, np.ndarray | None]:
    """Omega of the item sum from the item covariance matrix, and the fitted parameters.

    ``start`` (the parameters of an earlier fit, e.g. the full sample's for a
    bootstrap resample) warm-starts the one-factor fit. With two items, alpha.
    """
    k = cov.shape[0]
    if k == 2:  # a one-factor model of two items is not identified: tau-equivalence
        return _alpha(cov), None
    structure = FactorStructure(k, 1, tuple((i, 0, i) for i in range(k)))
    fit = fit_factor_model(cov, structure, start=start)
    if not fit.converged:
        warn_not_converged(f"the one-factor model of scale '{name}'")
    total = fit.loadings[:, 0].sum() ** 2
    return float(total / (total + fit.theta.sum())), fit.x


def reliability_from_cov(
    cov: np.ndarray, name: str = "scale", method: str = "omega", start: np.ndarray | None = None
) -> float:
    """Reliability of the item mean from the item covariance matrix (no range check).

    Parameters
    ----------
    cov : ndarray (k, k)
        Covariance of the scale's items.
    name : str
        Scale name for messages.
    method : {"omega", "alpha"}
        See :func:`score_reliability`.
    start : ndarray, optional
        Parameters of an earlier one-factor fit that warm-start this one
        (:func:`omega_from_cov`); ignored by alpha.

    Returns
    -------
    float

    Raises
    ------
    ReliabilityError
        An unknown method.

    Notes
    -----
    The influence of the sampling error of a reliability on a corrected fit
    (:mod:`leadblackhole.corrections`) is its derivative by the item
    covariances, taken as a difference of two evaluations of this function.

    Examples
    --------
    >>> cov = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> round(reliability_from_cov(cov, method="alpha"), 4)
    0.6667
    """
    if method not in RELIABILITY_METHODS:
        raise ReliabilityError(
            f"unknown reliability method {method!r}; expected one of {list(RELIABILITY_METHODS)}"
        )
    if method == "alpha":
        return _alpha(cov)
    return omega_from_cov(cov, name, start)[0]


#: Step of the central differences of :func:`reliability_gradient` (parameters of the
#: one-factor model; alpha's covariances, relative to their scale).
_GRADIENT_STEP = 1e-6


def _omega_of(structure: FactorStructure, x: np.ndarray) -> float:
    lam = x[: structure.n_items]
    theta = np.exp(x[structure.n_items :])
    total = lam.sum() ** 2
    return float(total / (total + theta.sum()))


def reliability_gradient(
    cov: np.ndarray, name: str = "scale", method: str = "omega", start: np.ndarray | None = None
) -> np.ndarray:
    r"""Derivative of :func:`reliability_from_cov` by the item covariances.

    Parameters
    ----------
    cov : ndarray (k, k)
        Covariance of the scale's items.
    name, method, start
        As for :func:`reliability_from_cov`.

    Returns
    -------
    ndarray (k (k + 1) / 2,)
        By the entries of the upper triangle in row-major order
        (``numpy.triu_indices``); an off-diagonal entry moves both of its
        symmetric elements.

    Raises
    ------
    ReliabilityError
        An unknown method.

    Notes
    -----
    Omega is a function of the one-factor model's estimates :math:`\hat x`,
    which solve :math:`g(\hat x, S) = 0` for the gradient :math:`g` of the ML
    discrepancy. By the implicit function theorem
    :math:`\partial\hat x/\partial S = -(\partial g/\partial x)^{-1}\,\partial g/\partial S`;
    :math:`g` is linear in :math:`S`, and :math:`\partial g/\partial x` and
    :math:`\partial\omega/\partial x` are central differences. No model is
    refitted, so the derivative does not carry the optimizer's tolerance.
    Alpha (and omega of two items, which is alpha) is differentiated directly.

    Examples
    --------
    >>> cov = np.array([[1.0, 0.5, 0.4], [0.5, 1.0, 0.3], [0.4, 0.3, 1.0]])
    >>> g = reliability_gradient(cov)
    >>> iu = np.triu_indices(3)
    >>> up, down = cov.copy(), cov.copy()
    >>> up[0, 1] = up[1, 0] = 0.5 + 1e-5
    >>> down[0, 1] = down[1, 0] = 0.5 - 1e-5
    >>> num = (reliability_from_cov(up) - reliability_from_cov(down)) / 2e-5
    >>> bool(abs(g[1] - num) < 1e-5)
    True
    """
    if method not in RELIABILITY_METHODS:
        raise ReliabilityError(
            f"unknown reliability method {method!r}; expected one of {list(RELIABILITY_METHODS)}"
        )
    cov = np.asarray(cov, dtype=float)
    k = cov.shape[0]
    iu = np.triu_indices(k)

    def unit(j: int) -> np.ndarray:
        e = np.zeros((k, k))
        e[iu[0][j], iu[1][j]] = e[iu[1][j], iu[0][j]] = 1.0
        return e

    if method == "alpha" or k == 2:
        h = _GRADIENT_STEP * float(np.mean(np.diag(cov)))
        return np.array(
            [
                (_alpha(cov + h * unit(j)) - _alpha(cov - h * unit(j))) / (2 * h)
                for j in range(len(iu[0]))
            ]
        )
    structure = FactorStructure(k, 1, tuple((i, 0, i) for i in range(k)))
    fit = fit_factor_model(cov, structure, start=start)
    if not fit.converged:
        warn_not_converged(f"the one-factor model of scale '{name}'")
    x = np.asarray(fit.x, dtype=float)
    eye = np.eye(x.size)
    h = _GRADIENT_STEP
    w_x = np.array(
        [
            (_omega_of(structure, x + h * eye[i]) - _omega_of(structure, x - h * eye[i])) / (2 * h)
            for i in range(x.size)
        ]
    )
    return w_x @ estimates_gradient(x, structure, cov, h)


def _omega(cov: np.ndarray, name: str) -> float:
    return omega_from_cov(cov, name)[0]


def score_reliability(values: np.ndarray, name: str = "scale", method: str = "omega") -> float:
    """Reliability of the item mean of one scale from its complete answers.

    Parameters
    ----------
    values : ndarray (n, k)
        Item answers of one scale, complete rows.
    name : str
        Scale name for messages.
    method : {"omega", "alpha"}
        ``"omega"``: :math:`(\\sum\\lambda_i)^2 / ((\\sum\\lambda_i)^2 + \\sum\\theta_i)`
        from the maximum-likelihood one-factor model of the raw item covariances
        (unstandardized loadings :math:`\\lambda` and uniquenesses :math:`\\theta`;
        with two items, which do not identify the model, alpha). ``"alpha"``:
        Cronbach's alpha of the raw items.

    Returns
    -------
    float

    Raises
    ------
    ReliabilityError
        Fewer than two items, an unknown method, or a reliability outside (0, 1).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.standard_normal(2000)
    >>> x = f[:, None] * [0.8, 0.7, 0.6] + rng.standard_normal((2000, 3)) * 0.6
    >>> round(score_reliability(x), 2)
    0.81
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] < 2:
        k = values.shape[1] if values.ndim == 2 else 1
        raise ReliabilityError(
            f"scale '{name}' has {k} item; the reliability of a scale score, and a correction "
            "for its measurement error, need at least 2 items"
        )
    if method not in RELIABILITY_METHODS:
        raise ReliabilityError(
            f"unknown reliability method {method!r}; expected one of {list(RELIABILITY_METHODS)}"
        )
    cov = np.cov(values, rowvar=False)
    rel = _alpha(cov) if method == "alpha" else _omega(cov, name)
    return check_reliability(name, rel)


def score_reliabilities(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], method: str = "omega"
) -> pd.Series:
    """Reliability of the item mean of every scale (listwise complete rows of each scale).

    Parameters
    ----------
    items : DataFrame
        Item answers (NaN = missing).
    scales : mapping of str to sequence of str
        Scale name -> item columns.
    method : {"omega", "alpha"}
        See :func:`score_reliability`.

    Returns
    -------
    Series
        Indexed by scale name.

    Raises
    ------
    ReliabilityError
        A scale with fewer than 2 items, an item missing from ``items``, fewer
        complete rows than 10, or a reliability outside (0, 1).

    Examples
    --------
    >>> score_reliabilities(items, {"prequal": ["pq_1", "pq_2", "pq_3"]})  # doctest: +SKIP
    """
    out = {}
    for name, cols in scales.items():
        cols = list(cols)
        if len(cols) < 2:
            raise ReliabilityError(
                f"scale '{name}' has {len(cols)} item; a correction for measurement error "
                "needs at least 2 items per scale"
            )
        missing = [c for c in cols if c not in items.columns]
        if missing:
            raise ReliabilityError(f"scale '{name}': item column(s) {missing} not in the items")
        block = items[cols].to_numpy(dtype=float)
        block = block[np.isfinite(block).all(axis=1)]
        if len(block) < 10:
            raise ReliabilityError(
                f"scale '{name}': {len(block)} reps answer every item; at least 10 are needed"
            )
        out[str(name)] = score_reliability(block, str(name), method)
    return pd.Series(out, name="reliability", dtype=float)
