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
    "softmax_effect_gradient",
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


def softmax_effect_gradient(
    order: int,
    eta: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    base: int,
    k: int,
) -> tuple[np.ndarray, list[np.ndarray]]:
    r"""One component's share, derivative or cross-partial, with its partials.

    The closed-form companion of :func:`softmax_effect` that the effects
    engine uses for every effect of a softmax link: it returns the effect of
    component ``k`` and its partial derivatives by each input, so no complex
    evaluation is needed for the delta-method gradient.

    Parameters
    ----------
    order : {0, 1, 2}
        Share (0), derivative (1) or cross-partial (2).
    eta, a, b, c : ndarray (q, ...)
        Linear predictors of the ``q`` non-base components and their
        derivatives by ``x``, by ``m`` and by both, the equation on the
        *first* axis (``a``, ``b``, ``c`` are ignored below the order that
        uses them).
    base : int
        Position of the base component among the ``q + 1`` components.
    k : int
        Position of the component whose effect is returned.

    Returns
    -------
    F : ndarray (...)
        The effect of component ``k`` (the order-``order`` result of
        :func:`softmax_effect`).
    partials : list of ndarray (q, ...)
        :math:`\partial F/\partial\eta_j` (order 0); then also
        :math:`\partial F/\partial a_j` (order 1); then also
        :math:`\partial F/\partial b_j` and :math:`\partial F/\partial c_j`
        (order 2), for every non-base equation ``j``.

    Notes
    -----
    With :math:`A_l = a_l - \bar a`, :math:`B_l = b_l - \bar b`,
    :math:`C_l = c_l - \bar c` (bars are :math:`\mu`-weighted means over the
    components, the base having zero inputs),
    :math:`\kappa = \sum_l \mu_l A_l B_l`,
    :math:`G_k = A_k B_k + C_k - \kappa` and
    :math:`D_{kj} = \mu_k(\delta_{kj} - \mu_j)`, the effects are
    :math:`\mu_k`, :math:`\mu_k A_k` and :math:`\mu_k G_k`. Using
    :math:`\partial\bar a/\partial\eta_j = \mu_j A_j`,
    :math:`\partial\kappa/\partial a_j = \mu_j B_j`,
    :math:`\partial\kappa/\partial b_j = \mu_j A_j` and
    :math:`\partial\kappa/\partial\eta_j = \mu_j(A_j B_j - \kappa)`:

    .. math::

        \text{order 0:}\quad \partial_{\eta_j} = D_{kj}; \qquad
        \text{order 1:}\quad \partial_{a_j} = D_{kj}, \quad
        \partial_{\eta_j} = D_{kj} A_k - \mu_k\mu_j A_j;

        \text{order 2:}\quad \partial_{a_j} = D_{kj} B_k - \mu_k\mu_j B_j, \quad
        \partial_{b_j} = D_{kj} A_k - \mu_k\mu_j A_j, \quad
        \partial_{c_j} = D_{kj},

        \partial_{\eta_j} = D_{kj} G_k
            - \mu_k\mu_j\,(A_j B_k + B_j A_k + C_j + A_j B_j - \kappa).

    The shares are computed after subtracting :math:`\max(0, \max_j\eta_j)`,
    as in :func:`softmax_effect`. Checked against the complex step of
    :func:`softmax_effect` in the tests.

    Examples
    --------
    >>> F, (d_eta, d_a) = softmax_effect_gradient(
    ...     1, np.zeros((2, 1)), np.ones((2, 1)), 0, 0, base=2, k=0)
    >>> round(float(F[0]), 4), round(float(d_a[0, 0]), 4)
    (0.1111, 0.2222)
    """
    q = eta.shape[0]
    top = np.maximum(eta.max(axis=0), 0.0)
    e = np.exp(eta - top)
    e_base = np.exp(-top)
    tot = e_base + e.sum(axis=0)
    mu = e / tot  # (q, ...) shares of the non-base components
    kj = None if k == base else k - (k > base)  # k among the non-base equations
    mu_k = e_base / tot if kj is None else mu[kj]
    delta = np.zeros((q,) + (1,) * (eta.ndim - 1))
    if kj is not None:
        delta[kj] = 1.0
    dmu = mu_k * (delta - mu)  # D_kj
    if order == 0:
        return mu_k, [dmu]

    def centred(x):  # x_j - xbar for the non-base j, xbar, and x_k - xbar
        x = np.broadcast_to(x, eta.shape)
        xbar = (mu * x).sum(axis=0)
        xc = x - xbar
        return xc, xbar, (-xbar if kj is None else xc[kj])

    A, abar, Ak = centred(a)
    mm = mu_k * mu
    if order == 1:
        return mu_k * Ak, [dmu * Ak - mm * A, dmu]
    B, bbar, Bk = centred(b)
    C, _, Ck = centred(c)
    kappa = (mu * A * B).sum(axis=0) + (e_base / tot) * abar * bbar  # the base: A = -abar
    G = Ak * Bk + Ck - kappa
    d_eta = dmu * G - mm * (A * Bk + B * Ak + C + A * B - kappa)
    return mu_k * G, [d_eta, dmu * Bk - mm * B, dmu * Ak - mm * A, dmu]


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
