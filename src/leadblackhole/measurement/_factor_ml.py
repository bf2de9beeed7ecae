"""A small maximum-likelihood factor model with shared loadings, for the corrections.

The CFA of :mod:`leadblackhole.measurement.cfa` fits simple-structure models
through semopy with several starts (about 0.4 s a fit), which is right for the
measurement report but too slow for a bootstrap that refits the measurement
model hundreds of times. This kernel fits the few models the corrections need
(one factor per scale; scales plus a marker and a method factor whose loading
is shared by every item) by L-BFGS on the ML discrepancy with its analytic
gradient, in a few milliseconds. It is a pure function of a covariance matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ..exceptions import ConvergenceWarning

__all__ = [
    "FactorFit",
    "FactorStructure",
    "discrepancy_gradient",
    "estimates_gradient",
    "fit_factor_model",
    "warn_not_converged",
]


@dataclass(frozen=True)
class FactorStructure:
    """Where the free parameters of :math:`\\Sigma = \\Lambda\\Phi\\Lambda' + \\Theta` sit.

    Parameters
    ----------
    n_items, n_factors : int
        Size of :math:`\\Lambda` (items x factors). Factor variances are fixed at 1.
    loadings : sequence of (item, factor, parameter)
        Free loadings; entries with the same ``parameter`` index share one value
        (an equal-loadings constraint). Parameter indices run from 0.
    correlations : sequence of (factor, factor)
        Free factor correlations; every other off-diagonal element is 0.
    """

    n_items: int
    n_factors: int
    loadings: tuple[tuple[int, int, int], ...]
    correlations: tuple[tuple[int, int], ...] = ()

    @property
    def n_loading_params(self) -> int:
        return 1 + max(p for _, _, p in self.loadings)

    @property
    def n_params(self) -> int:
        return self.n_loading_params + len(self.correlations) + self.n_items

    def unpack(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lambda, Phi and the uniquenesses from the parameter vector (log uniquenesses)."""
        k = self.n_loading_params
        lam = np.zeros((self.n_items, self.n_factors))
        for i, f, p in self.loadings:
            lam[i, f] = x[p]
        phi = np.eye(self.n_factors)
        for j, (a, b) in enumerate(self.correlations):
            phi[a, b] = phi[b, a] = x[k + j]
        theta = np.exp(x[k + len(self.correlations) :])
        return lam, phi, theta


@dataclass(frozen=True)
class FactorFit:
    """Estimates of a :class:`FactorStructure` (see :func:`fit_factor_model`)."""

    loadings: np.ndarray
    phi: np.ndarray
    theta: np.ndarray
    fmin: float
    converged: bool
    x: np.ndarray | None = None

    @property
    def sigma(self) -> np.ndarray:
        """Model-implied covariance of the items."""
        return self.loadings @ self.phi @ self.loadings.T + np.diag(self.theta)


def _objective(x: np.ndarray, s: FactorStructure, S: np.ndarray, logdet_s: float):
    with np.errstate(over="ignore"):  # a line search may try a huge log uniqueness
        lam, phi, theta = s.unpack(x)
    if not np.all(np.isfinite(theta)):
        return np.inf, np.zeros_like(x)
    sigma = lam @ phi @ lam.T + np.diag(theta)
    try:
        c = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return np.inf, np.zeros_like(x)
    inv = np.linalg.inv(sigma)
    p = S.shape[0]
    f = 2 * np.log(np.diag(c)).sum() + np.trace(S @ inv) - logdet_s - p
    g_sigma = inv - inv @ S @ inv
    d_lam = 2 * g_sigma @ lam @ phi
    grad = np.zeros_like(x)
    for i, fct, q in s.loadings:
        grad[q] += d_lam[i, fct]
    k = s.n_loading_params
    d_phi = lam.T @ g_sigma @ lam
    for j, (a, b) in enumerate(s.correlations):
        grad[k + j] = 2 * d_phi[a, b]
    grad[k + len(s.correlations) :] = np.diag(g_sigma) * theta
    return f, grad


def discrepancy_gradient(x: np.ndarray, structure: FactorStructure, S: np.ndarray) -> np.ndarray:
    """Gradient of the ML discrepancy by the parameters ``x`` (linear in ``S``).

    At the estimates it is 0; its derivatives by ``x`` and by ``S`` give the
    derivative of the estimates by ``S`` (the implicit function theorem,
    :func:`estimates_gradient`).
    """
    return _objective(np.asarray(x, dtype=float), structure, np.asarray(S, dtype=float), 0.0)[1]


def estimates_gradient(
    x: np.ndarray, structure: FactorStructure, S: np.ndarray, step: float = 1e-6
) -> np.ndarray:
    r"""Derivative of the ML estimates ``x`` of ``S`` by the entries of ``S``.

    Parameters
    ----------
    x : ndarray
        The estimates (:attr:`FactorFit.x`) of ``structure`` fitted to ``S``.
    structure : FactorStructure
    S : ndarray (p, p)
        The covariance the model was fitted to.
    step : float
        Step of the central differences of the gradient by ``x``.

    Returns
    -------
    ndarray (len(x), p (p + 1) / 2)
        By the entries of the upper triangle in row-major order (``numpy.triu_indices``;
        an off-diagonal entry moves both of its elements).

    Notes
    -----
    The implicit function theorem on the discrepancy's gradient :math:`g(\hat x, S) = 0`:
    :math:`\partial\hat x/\partial S = -(\partial g/\partial x)^{-1}\partial g/\partial S`,
    with :math:`g` linear in :math:`S` and :math:`\partial g/\partial x` by central
    differences of the analytic gradient. No model is refitted.
    """
    x = np.asarray(x, dtype=float)
    S = np.asarray(S, dtype=float)
    p = S.shape[0]
    eye = np.eye(x.size)
    g_x = np.column_stack(
        [
            (
                discrepancy_gradient(x + step * eye[i], structure, S)
                - discrepancy_gradient(x - step * eye[i], structure, S)
            )
            / (2 * step)
            for i in range(x.size)
        ]
    )
    base = discrepancy_gradient(x, structure, np.zeros((p, p)))
    units = []
    for a, b in zip(*np.triu_indices(p), strict=True):
        e = np.zeros((p, p))
        e[a, b] = e[b, a] = 1.0
        units.append(discrepancy_gradient(x, structure, e) - base)
    return -np.linalg.solve(g_x, np.column_stack(units))


def fit_factor_model(
    S: np.ndarray, structure: FactorStructure, start: Sequence[float] | None = None
) -> FactorFit:
    """Maximum-likelihood estimates of a factor model of the covariance matrix ``S``.

    Parameters
    ----------
    S : ndarray (p, p)
        Item covariance matrix.
    structure : FactorStructure
    start : sequence of float, optional
        Starting parameter vector (loadings, correlations, log uniquenesses);
        default loadings of 0.6 SD, correlations 0, uniquenesses half the variances.

    Returns
    -------
    FactorFit

    Notes
    -----
    Minimises :math:`F = \\log|\\Sigma| + \\operatorname{tr}(S\\Sigma^{-1}) -
    \\log|S| - p` by L-BFGS with the analytic gradient
    :math:`\\partial F/\\partial\\Sigma = \\Sigma^{-1}(\\Sigma - S)\\Sigma^{-1}`
    chained to the loadings (summed over the entries sharing a parameter), the
    correlations and the log uniquenesses (which keep them positive).
    """
    S = np.asarray(S, dtype=float)
    sd = np.sqrt(np.diag(S))
    if start is None:
        x0 = np.zeros(structure.n_params)
        count = np.zeros(structure.n_loading_params)
        for i, _, p in structure.loadings:
            x0[p] += 0.6 * sd[i]
            count[p] += 1
        x0[: structure.n_loading_params] /= np.maximum(count, 1)
        x0[structure.n_loading_params + len(structure.correlations) :] = np.log(0.5 * sd**2)
    else:
        x0 = np.asarray(start, dtype=float)
    logdet_s = np.linalg.slogdet(S)[1]
    res = optimize.minimize(
        _objective,
        x0,
        args=(structure, S, logdet_s),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "gtol": 1e-9, "ftol": 1e-14},
    )
    lam, phi, theta = structure.unpack(res.x)
    # L-BFGS-B reports a failed line search near an optimum it cannot improve in floating
    # point; a gradient that small is an optimum all the same
    converged = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-6
    return FactorFit(lam, phi, theta, float(res.fun), converged, res.x)


def warn_not_converged(what: str) -> None:
    """Warn (``ConvergenceWarning``) that the factor model of ``what`` did not converge."""
    import warnings

    warnings.warn(f"{what}: the factor model did not converge", ConvergenceWarning, stacklevel=3)
