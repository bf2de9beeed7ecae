r"""Log-likelihood of the Dirichlet regression and its analytic derivatives.

Pure, vectorized functions of numpy arrays. They perform no input checks, so
that optimizers and Monte Carlo loops can call them cheaply; validation is the
job of :class:`~leadblackhole.models.dirichlet.DirichletRegression`.

Two parametrizations are implemented, those of R's DirichletReg package.

*Common* parametrization (``*_common`` functions). Component :math:`k` of
observation :math:`i` has its own linear predictor,

.. math::

    \log \alpha_{ik} = x_{ik}^\top \beta_k, \qquad k = 1, \dots, K,

with design matrices :math:`X_k` that may differ between components.

*Alternative* parametrization (``*_alternative`` functions). Expected shares
and a precision,

.. math::

    \mu_{ik} = \frac{\exp(x_i^\top \beta_k)}{\sum_j \exp(x_i^\top \beta_j)},
    \qquad \beta_{\text{base}} = 0, \qquad
    \phi_i = \exp(z_i^\top \gamma), \qquad \alpha_{ik} = \mu_{ik} \phi_i .

In both, with :math:`\alpha_{i0} = \sum_k \alpha_{ik}` (:math:`= \phi_i` in
the alternative parametrization), the log-likelihood of the shares
:math:`y_{ik}` is

.. math::

    \ell = \sum_i \Big[ \log\Gamma(\alpha_{i0}) - \sum_k \log\Gamma(\alpha_{ik})
           + \sum_k (\alpha_{ik} - 1) \log y_{ik} \Big].

Parameter vectors are laid out as DirichletReg lays them out: for the common
parametrization :math:`(\beta_1, \dots, \beta_K)`; for the alternative one the
:math:`\beta_k` of the non-base components in component order, then
:math:`\gamma`.

Every function takes ``logy``, the n x K matrix of the logarithms of the
shares (strictly inside (0, 1)), rather than the shares themselves, so that a
loop over parameter values computes the logarithms once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import digamma, gammaln, zeta

__all__ = [
    "alpha_mu_phi",
    "hessian_alternative",
    "hessian_common",
    "loglike_alternative",
    "loglike_and_derivatives_alternative",
    "loglike_and_derivatives_common",
    "loglike_common",
    "loglike_obs_alternative",
    "loglike_obs_common",
    "score_alternative",
    "score_common",
    "score_obs_alternative",
    "score_obs_common",
    "trigamma",
]


#: Coefficients B_2k of the asymptotic series of the trigamma function.
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def trigamma(x: np.ndarray) -> np.ndarray:
    r"""Trigamma function :math:`\psi_1(x) = d^2 \log\Gamma(x) / dx^2` for :math:`x > 0`.

    Parameters
    ----------
    x : ndarray
        Positive arguments.

    Returns
    -------
    ndarray
        :math:`\psi_1(x)`, with a relative error below :math:`10^{-14}`.

    Notes
    -----
    About 10 times faster than ``scipy.special.polygamma(1, x)`` (a Hurwitz
    zeta evaluation). Arguments below 10 are shifted with the recurrence
    :math:`\psi_1(x) = \psi_1(x + 1) + 1/x^2`; then the asymptotic series
    :math:`\psi_1(x) \approx 1/x + 1/(2x^2) + \sum_{k=1}^{7} B_{2k} / x^{2k+1}`
    (Bernoulli numbers :math:`B_{2k}`) is summed. Non-positive or non-finite
    arguments are passed to ``scipy.special.zeta``.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(trigamma(np.array([1.0]))[0] - np.pi**2 / 6), 14)
    0.0
    """
    x = np.asarray(x, dtype=float)
    ok = (x > 0) & np.isfinite(x)
    if not ok.all():
        out = zeta(2.0, x)
        out[ok] = trigamma(x[ok])
        return out
    acc = np.zeros_like(x)
    shifted = x.copy()
    for _ in range(10):
        small = shifted < 10.0
        if not small.any():
            break
        acc += np.where(small, 1.0 / (shifted * shifted), 0.0)
        shifted += small
    inv = 1.0 / shifted
    inv2 = inv * inv
    series = 0.0
    for coef in reversed(_TRIGAMMA_SERIES):
        series = (series + coef) * inv2
    return acc + inv + inv2 / 2.0 + series * inv


_trigamma = trigamma


# ----------------------------------------------------------------------------
# common parametrization
# ----------------------------------------------------------------------------


def _split(params: np.ndarray, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
    out = []
    start = 0
    for x in xs:
        stop = start + x.shape[1]
        out.append(params[start:stop])
        start = stop
    return out


def _alpha_common(params: np.ndarray, xs: Sequence[np.ndarray]) -> np.ndarray:
    betas = _split(np.asarray(params, dtype=float), xs)
    return np.exp(np.column_stack([x @ b for x, b in zip(xs, betas, strict=True)]))


def loglike_obs_common(
    params: np.ndarray, logy: np.ndarray, xs: Sequence[np.ndarray]
) -> np.ndarray:
    r"""Per-observation log-likelihood, common parametrization.

    Parameters
    ----------
    params : ndarray, shape (sum of p_k,)
        Stacked coefficients :math:`(\beta_1, \dots, \beta_K)`.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    xs : sequence of K ndarrays, shapes (n, p_k)
        Design matrix of each component.

    Returns
    -------
    ndarray, shape (n,)
        :math:`\ell_i = \log\Gamma(\alpha_{i0}) - \sum_k \log\Gamma(\alpha_{ik})
        + \sum_k (\alpha_{ik} - 1)\log y_{ik}` with
        :math:`\log\alpha_{ik} = x_{ik}^\top\beta_k`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((2, 1))
    >>> logy = np.log([[0.5, 0.5], [0.2, 0.8]])
    >>> loglike_obs_common(np.zeros(2), logy, [x, x])  # flat Dirichlet: density 1
    array([0., 0.])
    """
    alpha = _alpha_common(params, xs)
    return (
        gammaln(alpha.sum(axis=1)) - gammaln(alpha).sum(axis=1) + ((alpha - 1.0) * logy).sum(axis=1)
    )


def loglike_common(params: np.ndarray, logy: np.ndarray, xs: Sequence[np.ndarray]) -> float:
    r"""Log-likelihood, common parametrization.

    Parameters
    ----------
    params : ndarray, shape (sum of p_k,)
        Stacked coefficients :math:`(\beta_1, \dots, \beta_K)`.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    xs : sequence of K ndarrays, shapes (n, p_k)
        Design matrix of each component.

    Returns
    -------
    float
        :math:`\ell = \sum_i \ell_i`, see :func:`loglike_obs_common`. It is
        ``nan`` or ``-inf`` when some :math:`\alpha` overflows or underflows.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1))
    >>> round(loglike_common(np.log([2.0, 2.0]), np.log([[0.5, 0.5]]), [x, x]), 6)
    0.405465
    """
    return float(loglike_obs_common(params, logy, xs).sum())


def _common_obs_parts(params, logy, xs):
    alpha = _alpha_common(params, xs)
    a0 = alpha.sum(axis=1)
    # c_ik = alpha_ik (psi(alpha_i0) - psi(alpha_ik) + log y_ik)
    c = alpha * (digamma(a0)[:, None] - digamma(alpha) + logy)
    return alpha, a0, c


def score_obs_common(params: np.ndarray, logy: np.ndarray, xs: Sequence[np.ndarray]) -> np.ndarray:
    r"""Per-observation score (gradient of each :math:`\ell_i`), common parametrization.

    Parameters
    ----------
    params : ndarray, shape (sum of p_k,)
        Stacked coefficients.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    xs : sequence of K ndarrays, shapes (n, p_k)
        Design matrix of each component.

    Returns
    -------
    ndarray, shape (n, sum of p_k)
        Row :math:`i` holds :math:`\partial\ell_i/\partial\beta_k
        = \alpha_{ik}\,[\psi(\alpha_{i0}) - \psi(\alpha_{ik}) + \log y_{ik}]\, x_{ik}`
        for every :math:`k`, with :math:`\psi` the digamma function.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((3, 1))
    >>> logy = np.log([[0.5, 0.5], [0.2, 0.8], [0.7, 0.3]])
    >>> score_obs_common(np.zeros(2), logy, [x, x]).shape
    (3, 2)
    """
    _, _, c = _common_obs_parts(params, logy, xs)
    return np.hstack([x * c[:, [k]] for k, x in enumerate(xs)])


def score_common(params: np.ndarray, logy: np.ndarray, xs: Sequence[np.ndarray]) -> np.ndarray:
    r"""Score (gradient of the log-likelihood), common parametrization.

    Parameters
    ----------
    params : ndarray, shape (sum of p_k,)
        Stacked coefficients.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    xs : sequence of K ndarrays, shapes (n, p_k)
        Design matrix of each component.

    Returns
    -------
    ndarray, shape (sum of p_k,)
        :math:`\partial\ell/\partial\beta_k = X_k^\top c_k` with
        :math:`c_{ik} = \alpha_{ik}[\psi(\alpha_{i0}) - \psi(\alpha_{ik}) + \log y_{ik}]`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1))
    >>> score_common(np.zeros(2), np.log([[0.5, 0.5]]), [x, x]).round(6)
    array([0.306853, 0.306853])
    """
    _, _, c = _common_obs_parts(params, logy, xs)
    return np.concatenate([x.T @ c[:, k] for k, x in enumerate(xs)])


def _hessian_common_from_parts(alpha, a0, c, xs):
    tri_a0 = _trigamma(a0)
    tri_alpha = _trigamma(alpha)
    sizes = [x.shape[1] for x in xs]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    hess = np.empty((offsets[-1], offsets[-1]))
    big_k = len(xs)
    for k in range(big_k):
        sk = slice(offsets[k], offsets[k + 1])
        for m in range(k, big_k):
            sm = slice(offsets[m], offsets[m + 1])
            w = alpha[:, k] * alpha[:, m] * tri_a0
            if k == m:
                w = w + c[:, k] - alpha[:, k] ** 2 * tri_alpha[:, k]
            block = xs[k].T @ (w[:, None] * xs[m])
            hess[sk, sm] = block
            if k != m:
                hess[sm, sk] = block.T
    return hess


def hessian_common(params: np.ndarray, logy: np.ndarray, xs: Sequence[np.ndarray]) -> np.ndarray:
    r"""Hessian of the log-likelihood, common parametrization.

    Parameters
    ----------
    params : ndarray, shape (sum of p_k,)
        Stacked coefficients.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    xs : sequence of K ndarrays, shapes (n, p_k)
        Design matrix of each component.

    Returns
    -------
    ndarray, shape (sum of p_k, sum of p_k)
        Block :math:`(k, m)` is :math:`X_k^\top \operatorname{diag}(d_{km}) X_m`
        with :math:`d_{ikm} = \alpha_{ik}\alpha_{im}\psi_1(\alpha_{i0})
        + \delta_{km}\,[c_{ik} - \alpha_{ik}^2 \psi_1(\alpha_{ik})]`,
        :math:`\psi_1` the trigamma function and :math:`c_{ik}` as in
        :func:`score_common`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1))
    >>> hessian_common(np.zeros(2), np.log([[0.5, 0.5]]), [x, x]).shape
    (2, 2)
    """
    alpha, a0, c = _common_obs_parts(params, logy, xs)
    return _hessian_common_from_parts(alpha, a0, c, xs)


def loglike_and_derivatives_common(
    params: np.ndarray, logy: np.ndarray, xs: Sequence[np.ndarray]
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, score and Hessian in one pass, common parametrization.

    Parameters
    ----------
    params : ndarray, shape (sum of p_k,)
        Stacked coefficients.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    xs : sequence of K ndarrays, shapes (n, p_k)
        Design matrix of each component.

    Returns
    -------
    llf : float
        Log-likelihood, as :func:`loglike_common`.
    score : ndarray
        Gradient, as :func:`score_common`.
    hessian : ndarray
        Hessian, as :func:`hessian_common`.

    Notes
    -----
    Shares the digamma evaluations between the three quantities; this is the
    function a Newton-Raphson iteration calls.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1))
    >>> llf, g, h = loglike_and_derivatives_common(np.zeros(2), np.log([[0.5, 0.5]]), [x, x])
    >>> llf
    0.0
    """
    alpha, a0, c = _common_obs_parts(params, logy, xs)
    llf = float(
        (gammaln(a0) - gammaln(alpha).sum(axis=1) + ((alpha - 1.0) * logy).sum(axis=1)).sum()
    )
    score = np.concatenate([x.T @ c[:, k] for k, x in enumerate(xs)])
    return llf, score, _hessian_common_from_parts(alpha, a0, c, xs)


# ----------------------------------------------------------------------------
# alternative parametrization
# ----------------------------------------------------------------------------


def _alt_mu_phi(params, x, z, base, big_k):
    params = np.asarray(params, dtype=float)
    p = x.shape[1]
    others = [k for k in range(big_k) if k != base]
    eta = np.zeros((x.shape[0], big_k))
    eta[:, others] = x @ params[: (big_k - 1) * p].reshape(big_k - 1, p).T
    eta -= eta.max(axis=1, keepdims=True)
    e = np.exp(eta)
    mu = e / e.sum(axis=1, keepdims=True)
    phi = np.exp(z @ params[(big_k - 1) * p :])
    return mu, phi, others


def alpha_mu_phi(
    params: np.ndarray,
    parametrization: str,
    xs: Sequence[np.ndarray],
    z: np.ndarray | None,
    base: int,
    big_k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Dirichlet parameters, expected shares and precisions at ``params``.

    Parameters
    ----------
    params : ndarray
        Parameter vector in the layout of ``parametrization`` (module notes).
    parametrization : {"common", "alternative"}
        The parametrization.
    xs : sequence of ndarray
        Mean designs: one per component (common) or a single one (alternative).
    z : ndarray or None
        Precision design (alternative); ignored by the common parametrization.
    base : int
        Index of the base component (alternative).
    big_k : int
        Number of components :math:`K`.

    Returns
    -------
    alpha : ndarray, shape (n, K)
        :math:`\alpha_{ik}`.
    mu : ndarray, shape (n, K)
        Expected shares :math:`\mu_{ik} = \alpha_{ik} / \alpha_{i0}`.
    phi : ndarray, shape (n,)
        Precisions :math:`\phi_i = \alpha_{i0}`.

    Examples
    --------
    >>> x, z = np.ones((1, 1)), np.ones((1, 1))
    >>> alpha, mu, phi = alpha_mu_phi(np.array([0.0, 0.0, np.log(3.0)]), "alternative",
    ...                               [x], z, 2, 3)
    >>> np.round(alpha, 12).tolist(), float(np.round(phi[0], 12))
    ([[1.0, 1.0, 1.0]], 3.0)
    """
    if parametrization == "common":
        betas = _split(params, xs)
        alpha = np.exp(np.column_stack([x @ b for x, b in zip(xs, betas, strict=True)]))
        phi = alpha.sum(axis=1)
        mu = alpha / phi[:, None]
        return alpha, mu, phi
    mu, phi, _ = _alt_mu_phi(params, xs[0], z, base, big_k)
    return mu * phi[:, None], mu, phi


def loglike_obs_alternative(
    params: np.ndarray, logy: np.ndarray, x: np.ndarray, z: np.ndarray, base: int
) -> np.ndarray:
    r"""Per-observation log-likelihood, alternative parametrization.

    Parameters
    ----------
    params : ndarray, shape ((K - 1) p + q,)
        :math:`\beta_k` of the non-base components in component order, then
        :math:`\gamma`.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    x : ndarray, shape (n, p)
        Design matrix of the mean model.
    z : ndarray, shape (n, q)
        Design matrix of the precision model.
    base : int
        Position (0-based column of ``logy``) of the base component, whose
        coefficients are fixed at zero.

    Returns
    -------
    ndarray, shape (n,)
        :math:`\ell_i = \log\Gamma(\phi_i) - \sum_k \log\Gamma(\mu_{ik}\phi_i)
        + \sum_k (\mu_{ik}\phi_i - 1)\log y_{ik}`.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 1))
    >>> loglike_obs_alternative(np.array([0.0, np.log(2.0)]), np.log([[0.5, 0.5]]), one, one, 1)
    array([0.])
    """
    mu, phi, _ = _alt_mu_phi(params, x, z, base, logy.shape[1])
    alpha = mu * phi[:, None]
    return gammaln(phi) - gammaln(alpha).sum(axis=1) + ((alpha - 1.0) * logy).sum(axis=1)


def loglike_alternative(
    params: np.ndarray, logy: np.ndarray, x: np.ndarray, z: np.ndarray, base: int
) -> float:
    r"""Log-likelihood, alternative parametrization.

    Parameters
    ----------
    params : ndarray, shape ((K - 1) p + q,)
        :math:`\beta_k` of the non-base components, then :math:`\gamma`.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    x : ndarray, shape (n, p)
        Design matrix of the mean model.
    z : ndarray, shape (n, q)
        Design matrix of the precision model.
    base : int
        0-based position of the base component.

    Returns
    -------
    float
        :math:`\ell = \sum_i \ell_i`, see :func:`loglike_obs_alternative`.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 1))
    >>> round(loglike_alternative(np.array([0.0, np.log(4.0)]), np.log([[0.5, 0.5]]), one, one, 1), 6)
    0.405465
    """
    return float(loglike_obs_alternative(params, logy, x, z, base).sum())


def _alt_parts(params, logy, x, z, base):
    mu, phi, others = _alt_mu_phi(params, x, z, base, logy.shape[1])
    alpha = mu * phi[:, None]
    # u_k = log y_k - psi(alpha_k); ubar = sum_k mu_k u_k
    u = logy - digamma(alpha)
    ubar = (mu * u).sum(axis=1)
    return mu, phi, alpha, u, ubar, others


def score_obs_alternative(
    params: np.ndarray, logy: np.ndarray, x: np.ndarray, z: np.ndarray, base: int
) -> np.ndarray:
    r"""Per-observation score, alternative parametrization.

    Parameters
    ----------
    params : ndarray, shape ((K - 1) p + q,)
        :math:`\beta_k` of the non-base components, then :math:`\gamma`.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    x : ndarray, shape (n, p)
        Design matrix of the mean model.
    z : ndarray, shape (n, q)
        Design matrix of the precision model.
    base : int
        0-based position of the base component.

    Returns
    -------
    ndarray, shape (n, (K - 1) p + q)
        With :math:`u_{ik} = \log y_{ik} - \psi(\alpha_{ik})` and
        :math:`\bar u_i = \sum_k \mu_{ik} u_{ik}`:
        :math:`\partial\ell_i/\partial\beta_k = \alpha_{ik}(u_{ik} - \bar u_i)\,x_i`
        and :math:`\partial\ell_i/\partial\gamma = \phi_i\,[\psi(\phi_i) + \bar u_i]\,z_i`.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((2, 1))
    >>> score_obs_alternative(np.zeros(2), np.log([[0.5, 0.5], [0.2, 0.8]]), one, one, 1).shape
    (2, 2)
    """
    mu, phi, alpha, u, ubar, others = _alt_parts(params, logy, x, z, base)
    s = alpha[:, others] * (u[:, others] - ubar[:, None])
    t = phi * (digamma(phi) + ubar)
    blocks = [x * s[:, [j]] for j in range(len(others))]
    blocks.append(z * t[:, None])
    return np.hstack(blocks)


def _score_alt_from_parts(mu, phi, alpha, u, ubar, others, x, z):
    s = alpha[:, others] * (u[:, others] - ubar[:, None])
    t = phi * (digamma(phi) + ubar)
    return np.concatenate([(x.T @ s).T.ravel(), z.T @ t])


def score_alternative(
    params: np.ndarray, logy: np.ndarray, x: np.ndarray, z: np.ndarray, base: int
) -> np.ndarray:
    r"""Score (gradient of the log-likelihood), alternative parametrization.

    Parameters
    ----------
    params : ndarray, shape ((K - 1) p + q,)
        :math:`\beta_k` of the non-base components, then :math:`\gamma`.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    x : ndarray, shape (n, p)
        Design matrix of the mean model.
    z : ndarray, shape (n, q)
        Design matrix of the precision model.
    base : int
        0-based position of the base component.

    Returns
    -------
    ndarray, shape ((K - 1) p + q,)
        Column sums of :func:`score_obs_alternative`.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 1))
    >>> score_alternative(np.zeros(2), np.log([[0.5, 0.5]]), one, one, 1).round(6)
    array([0.      , 0.693147])
    """
    return _score_alt_from_parts(*_alt_parts(params, logy, x, z, base), x, z)


def _hessian_alt_from_parts(mu, phi, alpha, u, ubar, others, x, z):
    tau = alpha * _trigamma(alpha)  # tau_k = alpha_k psi_1(alpha_k)
    taubar = (mu * tau).sum(axis=1)
    w = (u - ubar[:, None] - tau)[:, others]  # w_k = u_k - ubar - tau_k
    a = alpha[:, others]
    m = mu[:, others]
    km1 = len(others)
    p = x.shape[1]
    q = z.shape[1]
    hess = np.empty((km1 * p + q, km1 * p + q))
    for j in range(km1):
        sj = slice(j * p, (j + 1) * p)
        for k in range(j, km1):
            sk = slice(k * p, (k + 1) * p)
            # d2 l / d eta_j d eta_k = alpha_j [delta_jk w_j - mu_k (w_j + w_k + taubar)]
            c = -a[:, j] * m[:, k] * (w[:, j] + w[:, k] + taubar)
            if j == k:
                c = c + a[:, j] * w[:, j]
            block = x.T @ (c[:, None] * x)
            hess[sj, sk] = block
            if j != k:
                hess[sk, sj] = block.T
        # d2 l / d eta_j d log(phi) = alpha_j (w_j + taubar)
        c = a[:, j] * (w[:, j] + taubar)
        block = x.T @ (c[:, None] * z)
        hess[sj, km1 * p :] = block
        hess[km1 * p :, sj] = block.T
    # d2 l / d log(phi)^2 = phi (psi(phi) + ubar) + phi (phi psi_1(phi) - taubar)
    c = phi * (digamma(phi) + ubar + phi * _trigamma(phi) - taubar)
    hess[km1 * p :, km1 * p :] = z.T @ (c[:, None] * z)
    return hess


def hessian_alternative(
    params: np.ndarray, logy: np.ndarray, x: np.ndarray, z: np.ndarray, base: int
) -> np.ndarray:
    r"""Hessian of the log-likelihood, alternative parametrization.

    Parameters
    ----------
    params : ndarray, shape ((K - 1) p + q,)
        :math:`\beta_k` of the non-base components, then :math:`\gamma`.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    x : ndarray, shape (n, p)
        Design matrix of the mean model.
    z : ndarray, shape (n, q)
        Design matrix of the precision model.
    base : int
        0-based position of the base component.

    Returns
    -------
    ndarray
        With :math:`\eta_{ik} = x_i^\top\beta_k`, :math:`t_i = z_i^\top\gamma`,
        :math:`\tau_{ik} = \alpha_{ik}\psi_1(\alpha_{ik})`,
        :math:`\bar\tau_i = \sum_k \mu_{ik}\tau_{ik}` and
        :math:`w_{ik} = u_{ik} - \bar u_i - \tau_{ik}`:

        .. math::

            \frac{\partial^2 \ell_i}{\partial\eta_{ij}\partial\eta_{ik}}
              &= \alpha_{ij}\,[\delta_{jk} w_{ij} - \mu_{ik}(w_{ij} + w_{ik} + \bar\tau_i)], \\
            \frac{\partial^2 \ell_i}{\partial\eta_{ij}\partial t_i}
              &= \alpha_{ij}\,(w_{ij} + \bar\tau_i), \\
            \frac{\partial^2 \ell_i}{\partial t_i^2}
              &= \phi_i\,[\psi(\phi_i) + \bar u_i + \phi_i\psi_1(\phi_i) - \bar\tau_i],

        and the blocks of the Hessian are :math:`X^\top\operatorname{diag}(\cdot)X`,
        :math:`X^\top\operatorname{diag}(\cdot)Z` and :math:`Z^\top\operatorname{diag}(\cdot)Z`.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 1))
    >>> hessian_alternative(np.zeros(2), np.log([[0.5, 0.5]]), one, one, 1).shape
    (2, 2)
    """
    return _hessian_alt_from_parts(*_alt_parts(params, logy, x, z, base), x, z)


def loglike_and_derivatives_alternative(
    params: np.ndarray, logy: np.ndarray, x: np.ndarray, z: np.ndarray, base: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, score and Hessian in one pass, alternative parametrization.

    Parameters
    ----------
    params : ndarray, shape ((K - 1) p + q,)
        :math:`\\beta_k` of the non-base components, then :math:`\\gamma`.
    logy : ndarray, shape (n, K)
        Logarithms of the shares.
    x : ndarray, shape (n, p)
        Design matrix of the mean model.
    z : ndarray, shape (n, q)
        Design matrix of the precision model.
    base : int
        0-based position of the base component.

    Returns
    -------
    llf : float
        Log-likelihood, as :func:`loglike_alternative`.
    score : ndarray
        Gradient, as :func:`score_alternative`.
    hessian : ndarray
        Hessian, as :func:`hessian_alternative`.

    Notes
    -----
    Shares the digamma evaluations between the three quantities; this is the
    function a Newton-Raphson iteration calls.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((1, 1))
    >>> llf, g, h = loglike_and_derivatives_alternative(
    ...     np.array([0.0, np.log(2.0)]), np.log([[0.5, 0.5]]), one, one, 1)
    >>> llf
    0.0
    """
    parts = _alt_parts(params, logy, x, z, base)
    mu, phi, alpha, u, ubar, others = parts
    llf = float(
        (gammaln(phi) - gammaln(alpha).sum(axis=1) + ((alpha - 1.0) * logy).sum(axis=1)).sum()
    )
    return llf, _score_alt_from_parts(*parts, x, z), _hessian_alt_from_parts(*parts, x, z)
