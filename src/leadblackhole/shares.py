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
    # Component by component (a list of K arrays): numpy's reductions over a last axis of
    # length 3 are several times slower than two elementwise additions.
    shape = eta.shape[:-1]
    zero = np.zeros(shape, dtype=eta.dtype)

    def split(x) -> list[np.ndarray]:
        x = np.broadcast_to(x, eta.shape)
        cols = [x[..., j] for j in range(eta.shape[-1])]
        cols.insert(base, zero)
        return cols

    def total(cols) -> np.ndarray:
        out = cols[0]
        for col in cols[1:]:
            out = out + col
        return out

    e = split(eta)
    top = e[0].real
    for col in e[1:]:
        top = np.maximum(top, col.real)
    mu = [np.exp(ek - top) for ek in e]
    s = total(mu)
    mu = [m / s for m in mu]
    if order == 0:
        return np.stack(mu, axis=-1)
    af = split(a)
    abar = total([m * ak for m, ak in zip(mu, af, strict=True)])
    if order == 1:
        return np.stack([m * (ak - abar) for m, ak in zip(mu, af, strict=True)], axis=-1)
    bf, cf = split(b), split(c)
    bbar = total([m * bk for m, bk in zip(mu, bf, strict=True)])
    cbar = total([m * ck for m, ck in zip(mu, cf, strict=True)])
    cov = total([m * ak * (bk - bbar) for m, ak, bk in zip(mu, af, bf, strict=True)])
    return np.stack(
        [
            m * ((ak - abar) * (bk - bbar) + ck - cbar - cov)
            for m, ak, bk, ck in zip(mu, af, bf, cf, strict=True)
        ],
        axis=-1,
    )


def mean_shares(X: np.ndarray, B: np.ndarray, base: int) -> np.ndarray:
    """Expected shares from a design ``X`` (n×p) and coefficients ``B`` (p×(K−1)).

    The columns of ``B`` belong to the non-base components in order; the
    result has K columns with the base inserted at position ``base``.
    """
    return softmax_effect(0, X @ B, 0, 0, 0, base)  # derivatives: softmax_effect(1 or 2, ...)
