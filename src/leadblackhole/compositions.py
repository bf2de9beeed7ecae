"""Shares on the boundary of the simplex: the one place that decides and compresses.

A Dirichlet likelihood needs every share strictly between 0 and 1. A share
counts as on the boundary when it lies within :data:`BOUNDARY_TOL`
(:math:`\\sqrt{\\epsilon} \\approx 1.5 \\times 10^{-8}`) of 0 or 1, the tolerance
R DirichletReg's ``DR_data`` uses; a reported share of exactly 0 or 1 is the
common case. If any row has such a share, *all* shares are compressed as
``y' = (y (n - 1) + 1/K) / n`` (Smithson & Verkuilen 2006), as docs/study.md and
``DR_data`` do.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BOUNDARY_TOL", "boundary_rows", "compress_shares"]

#: Distance from 0 or 1 below which a share counts as on the boundary.
BOUNDARY_TOL: float = float(np.sqrt(np.finfo(float).eps))


def boundary_rows(shares: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows holding a share within :data:`BOUNDARY_TOL` of 0 or 1."""
    shares = np.asarray(shares, dtype=float)
    return ((shares < BOUNDARY_TOL) | (shares > 1.0 - BOUNDARY_TOL)).any(axis=1)


def compress_shares(shares: np.ndarray) -> tuple[np.ndarray, int]:
    """Compress shares away from 0 and 1 when any share is on the boundary.

    Parameters
    ----------
    shares : ndarray (n, K)
        Rows summing to one.

    Returns
    -------
    compressed : ndarray (n, K)
        ``(y (n - 1) + 1/K) / n`` for every cell when any share is within
        :data:`BOUNDARY_TOL` of 0 or 1, else ``shares`` unchanged.
    n_rows : int
        Number of rows that held such a share.

    Examples
    --------
    >>> y, k = compress_shares(np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]]))
    >>> k
    1
    >>> y.round(4).tolist()
    [[0.1667, 0.4167, 0.4167], [0.2667, 0.3167, 0.4167]]
    """
    shares = np.asarray(shares, dtype=float)
    k = int(boundary_rows(shares).sum())
    if k == 0:
        return shares, 0
    n, big_k = shares.shape
    return (shares * (n - 1) + 1.0 / big_k) / n, k
