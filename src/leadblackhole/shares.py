"""Closed-form derivatives of multinomial-logit mean shares.

In the alternative parametrization of the Dirichlet model (and in any
multinomial-logit mean model) the expected shares are

.. math::

    \\mu_k = \\frac{\\exp(\\eta_k)}{\\sum_j \\exp(\\eta_j)}, \\qquad
    \\eta_k = x^\\top \\beta_k, \\qquad \\beta_{base} = 0,

where the design row :math:`x` holds products of variables (interaction
terms). With :math:`a_k = \\partial\\eta_k/\\partial x`,
:math:`b_k = \\partial\\eta_k/\\partial m`,
:math:`c_k = \\partial^2\\eta_k/\\partial x\\,\\partial m` and
:math:`\\bar a = \\sum_j \\mu_j a_j` (likewise :math:`\\bar b, \\bar c`),

.. math::

    \\frac{\\partial \\mu_k}{\\partial x} = \\mu_k (a_k - \\bar a),

    \\frac{\\partial^2 \\mu_k}{\\partial x\\,\\partial m} = \\mu_k \\big[
        (a_k - \\bar a)(b_k - \\bar b) + c_k - \\bar c
        - \\textstyle\\sum_j \\mu_j a_j (b_j - \\bar b) \\big].

These are the effects of docs/study.md's hypothesis registry (Ai & Norton 2003:
an interaction is read from the cross-partial on the share scale, not from
the coefficient). The functions are pure numpy and vectorized over reps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "insert_base",
    "mean_shares",
    "softmax_effect",
    "softmax_effect_partials",
    "term_derivative",
    "term_second_derivative",
]


def _product_derivative(
    terms: Sequence[str], values: dict[str, np.ndarray], by: Sequence[str], n: int
) -> np.ndarray:
    """Derivative of each product term by the variables ``by`` (each at most once)."""
    out = np.zeros((n, len(terms)))
    for j, t in enumerate(terms):
        rest = t.split(":")
        if not all(v in rest for v in by):
            continue
        for v in by:
            rest.remove(v)
        col = np.ones(n)
        for r in rest:
            col = col * values[r]
        out[:, j] = col
    return out


def term_derivative(
    terms: Sequence[str], values: dict[str, np.ndarray], var: str, n: int
) -> np.ndarray:
    """Derivative of each design column with respect to ``var``.

    Parameters
    ----------
    terms : sequence of str
        Design column names; products are written ``a:b``.
    values : dict of str to ndarray
        Values of every variable that appears in a product term.
    var : str
        Variable to differentiate by.
    n : int
        Number of rows.

    Returns
    -------
    ndarray, shape (n, len(terms))
    """
    return _product_derivative(terms, values, [var], n)


def term_second_derivative(
    terms: Sequence[str], values: dict[str, np.ndarray], x: str, m: str, n: int
) -> np.ndarray:
    """Second derivative of each design column with respect to ``x`` and ``m`` (``x != m``)."""
    return _product_derivative(terms, values, [x, m], n)


def insert_base(arr: np.ndarray, base: int) -> np.ndarray:
    """Insert a zero column (the base component) at position ``base`` of the last axis."""
    shape = arr.shape[:-1] + (arr.shape[-1] + 1,)
    out = np.zeros(shape, dtype=arr.dtype)
    out[..., [j for j in range(shape[-1]) if j != base]] = arr
    return out


def softmax_effect(
    order: int,
    eta: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    base: int,
) -> np.ndarray:
    """Per-row share (order 0), derivative (1) or cross-partial (2) of every component.

    Parameters
    ----------
    order : {0, 1, 2}
        What to return.
    eta, a, b, c : ndarray (..., K-1)
        Linear predictors of the non-base components and their derivatives
        by ``x``, by ``m`` and by both (see the module notes).
    base : int
        Position of the base component among the K components.

    Returns
    -------
    ndarray (..., K)

    Notes
    -----
    Written with analytic operations only, so that a complex perturbation of
    an input yields its derivative (complex step).

    Examples
    --------
    >>> softmax_effect(0, np.zeros((1, 2)), 0, 0, 0, base=2).round(3).tolist()
    [[0.333, 0.333, 0.333]]
    """
    e = insert_base(eta, base)
    e = e - _last_axis(np.maximum, e.real)
    mu = np.exp(e)
    mu = mu / _last_axis(np.add, mu)
    if order == 0:
        return mu
    af = insert_base(np.broadcast_to(a, eta.shape), base)
    abar = _last_axis(np.add, mu * af)
    if order == 1:
        return mu * (af - abar)
    bf = insert_base(np.broadcast_to(b, eta.shape), base)
    cf = insert_base(np.broadcast_to(c, eta.shape), base)
    bbar = _last_axis(np.add, mu * bf)
    cbar = _last_axis(np.add, mu * cf)
    db = bf - bbar
    cov = _last_axis(np.add, mu * af * db)
    return mu * ((af - abar) * db + cf - cbar - cov)


def softmax_effect_partials(
    eta: np.ndarray, a: np.ndarray, base: int
) -> tuple[np.ndarray, np.ndarray]:
    r"""Partial derivatives of the order-1 softmax effect by ``eta`` and ``a``.

    Parameters
    ----------
    eta, a : ndarray (..., K-1)
        Linear predictors of the non-base components and their derivatives by ``x``.
    base : int
        Position of the base component among the K components.

    Returns
    -------
    d_eta, d_a : ndarray (K-1, ..., K)
        ``d_eta[j, ..., k]`` is :math:`\partial F_k/\partial\eta_j` and ``d_a[j, ..., k]``
        is :math:`\partial F_k/\partial a_j`, with :math:`F` the order-1 result of
        :func:`softmax_effect`.

    Notes
    -----
    With :math:`F_k = \mu_k (a_k - \bar a)`, :math:`\bar a = \sum_l \mu_l a_l` and
    :math:`\partial\mu_k/\partial\eta_j = \mu_k(\delta_{kj} - \mu_j)`:

    .. math::

        \frac{\partial F_k}{\partial a_j} = \mu_k(\delta_{kj} - \mu_j), \qquad
        \frac{\partial F_k}{\partial \eta_j} = \mu_k(\delta_{kj} - \mu_j)(a_k - \bar a)
        - \mu_k \mu_j (a_j - \bar a).

    Checked against the complex step of :func:`softmax_effect` in the tests (1e-10).

    Examples
    --------
    >>> d_eta, d_a = softmax_effect_partials(np.zeros((1, 2)), np.ones((1, 2)), base=2)
    >>> d_a[0].round(3).tolist()
    [[0.222, -0.111, -0.111]]
    """
    e = insert_base(eta, base)
    e = e - _last_axis(np.maximum, e)
    mu = np.exp(e)
    mu = mu / _last_axis(np.add, mu)
    af = insert_base(np.broadcast_to(a, eta.shape), base)
    d = af - _last_axis(np.add, mu * af)
    q = eta.shape[-1]
    d_eta = np.empty((q,) + mu.shape)
    d_a = np.empty((q,) + mu.shape)
    for j, kj in enumerate(k for k in range(mu.shape[-1]) if k != base):
        mu_j = mu[..., kj : kj + 1]
        dmu = -mu * mu_j
        dmu[..., kj] += mu[..., kj]
        d_a[j] = dmu
        d_eta[j] = dmu * d - mu * mu_j * d[..., kj : kj + 1]
    return d_eta, d_a


def _last_axis(ufunc: np.ufunc, x: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(x, axis=-1, keepdims=True)`` over a short last axis, slice by slice.

    A reduction over an axis of 2-4 components is dominated by numpy's
    per-call overhead of the strided reduce; adding the slices left to right
    is several times faster and, for fewer than 8 components, gives the same
    floating-point sums as ``x.sum(axis=-1)`` (which adds them in this order).
    """
    out = x[..., 0]
    for k in range(1, x.shape[-1]):
        out = ufunc(out, x[..., k])
    return out[..., None]


def mean_shares(X: np.ndarray, B: np.ndarray, base: int) -> np.ndarray:
    """Expected shares from a design ``X`` (n×p) and coefficients ``B`` (p×(K−1)).

    The columns of ``B`` belong to the non-base components in order; the
    result has K columns with the base inserted at position ``base``.
    """
    return softmax_effect(0, X @ B, 0, 0, 0, base)  # derivatives: softmax_effect(1 or 2, ...)
