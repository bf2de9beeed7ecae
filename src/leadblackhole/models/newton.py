"""The damped Newton-Raphson maximizer of the likelihood models.

:func:`newton` maximizes a log-likelihood given its value, gradient and
Hessian: a full Newton step, halved until the log-likelihood increases, with a
multiple of the identity added to the negative Hessian (Levenberg-Marquardt)
where it is not positive definite. The Dirichlet regressions
(:mod:`leadblackhole.models.dirichlet`) fit with it, the exact-share and the
rounding-aware one alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg

from ..exceptions import EstimationError

__all__ = ["newton"]


def newton(
    f_all: Callable[..., tuple[float, np.ndarray, np.ndarray]],
    f_ll: Callable[..., float],
    theta: np.ndarray,
    args: tuple[Any, ...],
    maxiter: int,
    tol: float,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, bool, int, float, str]:
    r"""Damped Newton-Raphson maximization with step halving.

    Parameters
    ----------
    f_all : callable
        ``f_all(theta, *args)`` returns the log-likelihood, its gradient and
        its Hessian at ``theta``.
    f_ll : callable
        ``f_ll(theta, *args)`` returns the log-likelihood alone (the line
        search's evaluations).
    theta : ndarray, shape (k,)
        Starting values.
    args : tuple
        Further arguments of ``f_all`` and ``f_ll``.
    maxiter : int
        Maximum number of iterations.
    tol : float
        Convergence criterion on half the squared Newton decrement
        :math:`g^\top(-H)^{-1}g / 2`, the predicted gain of a full step.

    Returns
    -------
    theta : ndarray
        The last iterate.
    llf : float
        Log-likelihood at ``theta``.
    gradient, hessian : ndarray
        Gradient and Hessian at ``theta``.
    converged : bool
        Whether the criterion was met (or no representable improvement was
        left within the rounding error of the log-likelihood).
    iterations : int
        Number of iterations.
    decrement : float
        The last half squared Newton decrement (``inf`` after a
        Levenberg-Marquardt step).
    message : str
        ``"converged"``, ``"iteration limit reached"``, ``"the Hessian is
        not finite"`` or ``"the line search could not increase the
        log-likelihood"``.

    Raises
    ------
    EstimationError
        When the log-likelihood is not finite at the starting values.

    Examples
    --------
    >>> def f_all(t):
    ...     return -float(t @ t), -2.0 * t, -2.0 * np.eye(t.size)
    >>> out = newton(f_all, lambda t: -float(t @ t), np.array([1.0, -2.0]), (), 10, 1e-10)
    >>> bool(np.abs(out[0]).max() < 1e-12), out[4], out[7]
    (True, True, 'converged')
    """
    llf, g, h = f_all(theta, *args)
    if not np.isfinite(llf):
        raise EstimationError(
            "the log-likelihood is not finite at the starting values; supply start_params"
        )
    converged = False
    message = "iteration limit reached"
    decrement = math.inf
    iterations = 0
    eye = np.eye(theta.size)
    while iterations < maxiter:
        neg_h = -h
        newton_ok = True
        try:
            chol = scipy.linalg.cho_factor(neg_h, check_finite=False)
            step = scipy.linalg.cho_solve(chol, g, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            newton_ok = False
            lam = 1e-6 * max(1.0, float(np.abs(np.diag(neg_h)).max()))
            while True:
                try:
                    chol = scipy.linalg.cho_factor(neg_h + lam * eye, check_finite=False)
                    break
                except (np.linalg.LinAlgError, ValueError):
                    lam *= 10.0
                    if not np.isfinite(lam):
                        message = "the Hessian is not finite"
                        return theta, llf, g, h, False, iterations, decrement, message
            step = scipy.linalg.cho_solve(chol, g, check_finite=False)
        decrement = float(g @ step) / 2.0 if newton_ok else math.inf
        iterations += 1
        if newton_ok and decrement < tol:
            # Take the (tiny) final Newton step when it does not lose likelihood.
            candidate = theta + step
            ll_new = f_ll(candidate, *args)
            if np.isfinite(ll_new) and ll_new >= llf - 1e-12 * max(1.0, abs(llf)):
                theta = candidate
                llf, g, h = f_all(theta, *args)
            converged = True
            message = "converged"
            break
        t = 1.0
        accepted = False
        for _ in range(60):
            candidate = theta + t * step
            ll_new = f_ll(candidate, *args)
            if np.isfinite(ll_new) and ll_new > llf:
                accepted = True
                break
            t /= 2.0
        if not accepted:
            # No representable improvement: converged when the predicted gain is
            # below the rounding error of the log-likelihood.
            if newton_ok and decrement < 1e3 * np.finfo(float).eps * max(1.0, abs(llf)):
                converged = True
                message = "converged"
            else:
                message = "the line search could not increase the log-likelihood"
            break
        theta = candidate
        llf, g, h = f_all(theta, *args)
    if not converged and iterations >= maxiter:
        message = "iteration limit reached"
    return theta, llf, g, h, converged, iterations, decrement, message
