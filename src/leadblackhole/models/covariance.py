r"""Covariance matrices of maximum-likelihood estimates.

Every covariance type the likelihood models offer is computed here from the
Hessian of the log-likelihood at the estimate and the per-observation scores:

* ``"oim"``, the inverse observed information :math:`(-H)^{-1}`
  (:func:`inverse_information`);
* ``"robust"``, the sandwich :math:`(-H)^{-1}\big(\sum_i s_i s_i^\top\big)(-H)^{-1}`
  (:func:`sandwich`), consistent when the likelihood is misspecified but
  the mean model is right (Huber 1967; White 1982).

:func:`covariance` dispatches on the type; it is where a further type (a
covariance clustered by firm, say) is to be added. Both Dirichlet regressions
(:mod:`leadblackhole.models.dirichlet`) and the fractional multinomial logit
(:mod:`leadblackhole.models.fmlogit`) use these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from .design import check_option

__all__ = ["COV_TYPES", "CovType", "covariance", "inverse_information", "sandwich"]

CovType = Literal["oim", "robust"]
#: The covariance types of :func:`covariance`.
COV_TYPES: tuple[str, ...] = ("oim", "robust")


def inverse_information(hessian: np.ndarray, transform: np.ndarray | None = None) -> np.ndarray:
    r"""Inverse of the observed information, :math:`(-H)^{-1}`, symmetrized.

    Parameters
    ----------
    hessian : ndarray, shape (k, k)
        Hessian of the log-likelihood at the estimate.
    transform : ndarray, shape (k, k), optional
        When the Hessian is that of transformed parameters
        :math:`\tilde\theta` with :math:`\theta = T\tilde\theta` (for example
        on orthonormalized regressors), the matrix :math:`T`: the result is
        then :math:`T(-\tilde H)^{-1}T^\top`, the covariance of
        :math:`\theta`.

    Returns
    -------
    ndarray, shape (k, k)
        The covariance, made exactly symmetric as :math:`(V + V^\top)/2`.

    Raises
    ------
    numpy.linalg.LinAlgError
        When the Hessian is singular.

    Examples
    --------
    >>> inverse_information(np.array([[-4.0, 0.0], [0.0, -1.0]])).tolist()
    [[0.25, 0.0], [0.0, 1.0]]
    """
    cov = np.linalg.inv(-hessian)
    if transform is not None:
        cov = transform @ cov @ transform.T
    return (cov + cov.T) / 2


def sandwich(bread: np.ndarray, scores: np.ndarray) -> np.ndarray:
    r"""The sandwich covariance :math:`A\big(\sum_i s_i s_i^\top\big)A`, symmetrized.

    Parameters
    ----------
    bread : ndarray, shape (k, k)
        :math:`A`, the inverse observed information
        (:func:`inverse_information`).
    scores : ndarray, shape (n, k)
        Per-observation scores :math:`s_i` at the estimate.

    Returns
    -------
    ndarray, shape (k, k)
        The heteroskedasticity-robust (HC0) covariance, without a
        small-sample factor.

    Examples
    --------
    >>> sandwich(np.eye(2), np.array([[1.0, 0.0], [0.0, 2.0]])).tolist()
    [[1.0, 0.0], [0.0, 4.0]]
    """
    cov = bread @ (scores.T @ scores) @ bread
    return (cov + cov.T) / 2


def covariance(
    hessian: np.ndarray,
    scores: np.ndarray | Callable[[], np.ndarray],
    cov_type: CovType | str = "oim",
    transform: np.ndarray | None = None,
) -> np.ndarray:
    r"""Covariance of maximum-likelihood estimates of the given type.

    Parameters
    ----------
    hessian : ndarray, shape (k, k)
        Hessian of the log-likelihood at the estimate (of the transformed
        parameters when ``transform`` is given, see
        :func:`inverse_information`).
    scores : ndarray, shape (n, k), or callable
        Per-observation scores at the estimate (of the original parameters),
        or a function of no argument returning them: it is called only when
        the covariance type needs the scores, so that a model whose scores
        are costly does not compute them for ``"oim"``.
    cov_type : {"oim", "robust"}, default "oim"
        ``"oim"``: the inverse observed information :math:`(-H)^{-1}`;
        ``"robust"``: the sandwich :math:`(-H)^{-1}\big(\sum_i s_i
        s_i^\top\big)(-H)^{-1}`.
    transform : ndarray, shape (k, k), optional
        :math:`T` of the transformed parameters :math:`\theta = T\tilde\theta`.

    Returns
    -------
    ndarray, shape (k, k)
        The covariance, symmetric; all NaN when the Hessian is singular.

    Raises
    ------
    EstimationError
        When ``cov_type`` is not one of :data:`COV_TYPES`.

    Examples
    --------
    >>> h = np.array([[-2.0, 0.0], [0.0, -4.0]])
    >>> covariance(h, np.ones((3, 2)), "robust").tolist()
    [[0.75, 0.375], [0.375, 0.1875]]
    """
    check_option("cov_type", cov_type, COV_TYPES)
    try:
        cov = inverse_information(hessian, transform)
    except np.linalg.LinAlgError:
        cov = np.full(hessian.shape, np.nan)
    if cov_type == "robust":
        cov = sandwich(cov, scores() if callable(scores) else scores)
    return cov
