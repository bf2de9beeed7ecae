r"""Dirichlet probabilities of rounding cells by quadrature, with exact derivatives.

The cell likelihood of the rounding-aware Dirichlet regression
(:class:`~leadblackhole.models.dirichlet.rounded.RoundedDirichletRegression`):
the share bounds of the cells of reported percents (:func:`cell_bounds`), the
quadrature rules and the pieces of the distinct cells (:func:`build_pieces`),
their evaluation in blocks, and the log cell probabilities of the regression
with their exact gradient and Hessian (:func:`cell_loglike`; for Newton's
method :class:`CellObjective`, which sums them over blocks of reps).

Numerics
--------
Write :math:`(u, w) = (y_1, y_2)` and :math:`\alpha = (a, b, c)` for the
Dirichlet parameters of the first non-base component, the second and the base.
The cell is the region
:math:`L_1 \le u \le \min(U_1, 1 - L_2)`,
:math:`L_2 \le w \le \min(U_2, 1 - u)`. Its probability is

.. math::

    P(\alpha) = \int_{L_1}^{\min(U_1, 1 - L_2)} \mathrm{Beta}(u; a, b + c)
        \Big[ I\big(\min(1, \tfrac{U_2}{1-u}); b, c\big)
             - I\big(\tfrac{L_2}{1-u}; b, c\big) \Big] du ,

with :math:`I` the regularized incomplete beta function. The inner bracket
has a kink where :math:`U_2/(1-u)` reaches 1 (at :math:`u^* = 1 - U_2`), so
the outer interval is split there into at most two *pieces*: one where the
self cell is a fixed interval (*capped*) and one where it reaches the
boundary :math:`y_{\text{base}} = 0` (*to the diagonal*).

This module evaluates :math:`P` as a two-dimensional product quadrature of
the Dirichlet density over each piece, in the coordinates
:math:`u = u_0 + (u_1 - u_0) x`, :math:`w = L_2 + (W(u) - L_2) t`
(:math:`x, t \in [0, 1]`, :math:`W(u) = U_2` or :math:`1 - u`). The nodes are
fixed by the data, not by the parameters, so with
:math:`\ell_q = (\log y_{1q}, \log y_{2q}, \log y_{\text{base},q})` at node
:math:`q` and quadrature weights :math:`\omega_q` (Jacobian included)

.. math::

    \log P = \log \sum_q \omega_q \exp\Big(\sum_k (\alpha_k - 1) \ell_{qk}\Big)
             - \log B(\alpha),

and every derivative is exact for this quadrature: with :math:`\pi_q`
proportional to the summands,

.. math::

    \frac{\partial \log P}{\partial \alpha_k} = E_\pi[\ell_k] - \psi(\alpha_k)
        + \psi(\alpha_0), \qquad
    \frac{\partial^2 \log P}{\partial \alpha_j \partial \alpha_k} =
        \operatorname{Cov}_\pi(\ell_j, \ell_k) - \delta_{jk}\psi'(\alpha_k)
        + \psi'(\alpha_0).

This is differentiation under the integral sign applied to the quadrature
itself: no derivative of the incomplete beta function with respect to its
shape parameters is needed, and the gradient and Hessian are those of the
computed log-likelihood to rounding error, so Newton's method converges to
its maximum to any tolerance. The chain rule to the regression parameters is
that of the exact-share model (:math:`\alpha_k = \mu_k\phi`, multinomial-logit
:math:`\mu`, log-linear :math:`\phi`).

Rules. On a side of a piece where the density is smooth the rule is
Gauss-Legendre with :data:`GAUSS_NODES` nodes per dimension: a cell at least
:math:`h/2` away from a boundary of the simplex is at least its own half width
from the nearest singularity of the density, which keeps the error of
:math:`\log P` well below :math:`10^{-8}` for moderate :math:`\alpha`. Where a side of the
piece lies on a boundary of the simplex (a cell starting at 0, a cell reaching
:math:`y_{\text{base}} = 0`, or a corner touching it) the density may be
singular (:math:`y^{\alpha - 1}` with :math:`\alpha < 1`) or not smooth; that
dimension uses the tanh-sinh (double-exponential) rule, which removes
endpoint singularities of any power by a fixed change of variables; the
logarithms of the node coordinates are computed from their complements, so
that nodes within :math:`10^{-100}` of a boundary keep full relative
accuracy. The tests compare the cell probabilities with an independent
adaptive quadrature of the one-dimensional formula above (``scipy.integrate.quad``
and ``scipy.special.betainc``) and a two-dimensional ``dblquad``.

Evaluation. The nodes depend on the cell, not on the rep or the parameters,
and answers rounded to 5 or 10 fall in few distinct cells (about 100 to 175
on a 5-point grid, 30 to 50 on a 10-point grid, in simulated studies of 461 to
200 000 reps), so the pieces are built once per distinct cell and each rep
points to the pieces of its cell. The (rep, piece) pairs of a piece are
evaluated in blocks of at most :data:`BLOCK_NODES` (rep, node) values: with
the block's rows :math:`[1, \alpha_i - 1]` and the piece's (4, Q) table of log
weights and centred log shares, the log integrand is one matrix product; after
normalization by its row sums, one product with the piece's (Q, 9) table of
centred log shares and their products gives the first and second moments.
Pieces with few reps are evaluated together in gathered blocks, so data whose
cells are nearly all distinct (a tiny step) cost no more than one block per
few hundred reps. A block's temporaries take 256 KiB whatever the number of
reps; what grows with N is about 100 bytes a rep of per-pair results, beside
the designs. Each piece's log shares are centred at their mean under the
uniform density on the piece (where the integrand's mass lies for moderate
:math:`\alpha`), so the second moments
:math:`E_\pi[\ell_j \ell_k] - E_\pi[\ell_j] E_\pi[\ell_k]` lose few digits to
cancellation (the tests find them within about :math:`10^{-14}` of a two-pass
computation). The fit sums the gradient and Hessian of the regression over
blocks of :data:`REP_BLOCK_ROWS` reps, and a line-search evaluation serves the
Newton step that follows it. ``benchmarks/bench_rounded.py`` measures the
cost: a fit with standard errors of 200 000 reps takes about 5 s and 600 MB
of resident memory in all (see ``docs/rounding.md``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.special import digamma, gammaln

from .kernel import trigamma

__all__ = [
    "BLOCK_NODES",
    "GAUSS_NODES",
    "HESSIAN_ROWS",
    "REP_BLOCK_ROWS",
    "SMALL_PIECE_NODES",
    "SNAP_TOL",
    "CellObjective",
    "CellPieces",
    "build_pieces",
    "cell_bounds",
    "cell_loglike",
]

#: Gauss-Legendre nodes per dimension on a side of a cell away from the simplex boundary.
GAUSS_NODES: int = 12
#: Step of the tanh-sinh rule and its half range (nodes j h, |j h| <= range).
TANH_SINH_STEP: float = 1.0 / 6.0
TANH_SINH_RANGE: float = 5.0
#: Cell bounds closer than this (in share units) count as equal.
SNAP_TOL: float = 1e-12


def cell_bounds(percents: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Share bounds of the cells of reported percents.

    Parameters
    ----------
    percents : ndarray
        Reported percents (0-100).
    step : float
        Rounding step in percentage points.

    Returns
    -------
    lower, upper : ndarray
        :math:`\max(0, r - h/2)/100` and :math:`\min(100, r + h/2)/100`.

    Examples
    --------
    >>> lo, hi = cell_bounds(np.array([0.0, 35.0, 100.0]), 5.0)
    >>> lo.tolist(), hi.tolist()
    ([0.0, 0.325, 0.975], [0.025, 0.375, 1.0])
    """
    r = np.asarray(percents, dtype=float)
    return np.maximum(0.0, r - step / 2.0) / 100.0, np.minimum(100.0, r + step / 2.0) / 100.0


# ----------------------------------------------------------------------------
# quadrature rules on [0, 1], with the logarithms of x and 1 - x
# ----------------------------------------------------------------------------
def _gauss_rule(n: int) -> tuple[np.ndarray, ...]:
    """Nodes x, 1 - x and log weights of the Gauss-Legendre rule on [0, 1]."""
    z, w = leggauss(n)
    return (1.0 + z) / 2.0, (1.0 - z) / 2.0, np.log(w / 2.0)


def _tanh_sinh_rule(step: float, half_range: float) -> tuple[np.ndarray, ...]:
    """Nodes x, 1 - x (each from its own formula) and log weights of tanh-sinh on [0, 1]."""
    m = int(round(half_range / step))
    t = step * np.arange(-m, m + 1)
    s = math.pi * np.sinh(t)
    logx = -np.logaddexp(0.0, -s)  # x = 1 / (1 + exp(-s))
    log1mx = -np.logaddexp(0.0, s)
    logw = math.log(step) + np.log(math.pi * np.cosh(t)) + logx + log1mx
    return np.exp(logx), np.exp(log1mx), logw


_RULES = {
    "gauss": _gauss_rule(GAUSS_NODES),
    "tanh_sinh": _tanh_sinh_rule(TANH_SINH_STEP, TANH_SINH_RANGE),
}


# ----------------------------------------------------------------------------
# the cells as quadrature pieces
# ----------------------------------------------------------------------------
#: Nodes (reps x quadrature nodes) of one block of the evaluation: 32 768 doubles, 256 KiB, so
#: that a block's temporaries stay in the processor's cache.
BLOCK_NODES: int = 32_768
#: A piece whose reps hold fewer nodes than this in all is evaluated with other such pieces in
#: gathered blocks rather than on its own (saving the fixed cost of a block per piece).
SMALL_PIECE_NODES: int = 2_048
#: Products of the centred log shares kept for the second moments: (j, k) with j <= k.
_PAIR_J = np.array([0, 0, 0, 1, 1, 2])
_PAIR_K = np.array([0, 1, 2, 1, 2, 2])


class _Group:
    """Pieces of distinct cells sharing one pair of rules (so one number of nodes Q).

    ``cell`` (G,) is the distinct cell of each piece; ``nodes`` (G, 4, Q) holds
    the log weights and the three centred log shares at the nodes, so that
    ``[1, alpha - 1] @ nodes[g]`` is the log integrand; ``ref`` (G, 3) the
    centring constants. ``big`` lists the pieces evaluated on their own as
    (piece, first pair, end pair), and ``moments`` (len(big), Q, 9) holds their
    centred log shares and the products (j <= k); ``small`` the range of pairs
    of the other pieces and their piece of each pair (evaluated in gathered
    blocks, their products formed in the block).
    """

    __slots__ = ("cell", "nodes", "ref", "big", "moments", "small")

    def __init__(self, cell, nodes, ref):
        self.cell, self.nodes, self.ref = cell, nodes, ref
        self.moments = np.empty((0, nodes.shape[2], 9))
        self.big: list[tuple[int, int, int]] = []
        self.small: tuple[int, int, np.ndarray] = (0, 0, np.empty(0, dtype=np.intp))


class CellPieces:
    """Quadrature pieces of the distinct cells and the layout of the (rep, piece) pairs.

    ``pair_rep`` (P,) is the rep of each pair, ordered group by group and, in a
    group, piece by piece; ``pair_ref`` (P, 3) the centring constants of the
    pair's piece; ``rep_pairs`` (n, 2) the pairs of each rep (the second -1
    when its cell is one piece). ``cell_of_rep`` (n,) indexes ``cells``
    (distinct cell bounds).
    """

    __slots__ = ("nobs", "cells", "cell_of_rep", "groups", "pair_rep", "pair_ref", "rep_pairs")

    def __init__(self, nobs, cells, cell_of_rep, groups, pair_rep, pair_ref):
        self.nobs, self.cells, self.cell_of_rep = nobs, cells, cell_of_rep
        self.groups, self.pair_rep, self.pair_ref = groups, pair_rep, pair_ref
        # the pairs of each rep: the first piece of its cell and the second or -1
        self.rep_pairs = np.full((nobs, 2), -1, dtype=np.intp)
        pairs = np.arange(pair_rep.size)
        first = np.zeros(pair_rep.size, dtype=bool)
        first[np.unique(pair_rep, return_index=True)[1]] = True
        self.rep_pairs[pair_rep[first], 0] = pairs[first]
        self.rep_pairs[pair_rep[~first], 1] = pairs[~first]

    @property
    def n_nodes(self) -> int:
        """Quadrature nodes held (over the distinct cells, not the reps)."""
        return int(sum(g.cell.size * g.nodes.shape[2] for g in self.groups))

    @property
    def n_rep_nodes(self) -> int:
        """Quadrature nodes evaluated per log-likelihood (summed over the reps)."""
        counts = np.bincount(self.cell_of_rep, minlength=self.cells.shape[0])
        return int(sum((counts[g.cell] * g.nodes.shape[2]).sum() for g in self.groups))


def _distinct_rows(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``arr`` in lexicographic order and the index of each row among them.

    The result of ``np.unique(arr, axis=0, return_inverse=True)``, computed
    from one sort per column and one of an integer key (several times faster).
    """
    key, span = np.zeros(arr.shape[0], dtype=np.int64), 1  # 0 <= key < span
    for col in arr.T:
        values, code = np.unique(col, return_inverse=True)
        if span * values.size >= 2**62:  # renumber the keys so far: span <= n
            distinct, key = np.unique(key, return_inverse=True)
            key, span = key.reshape(-1), distinct.size
        key = key * values.size + code.reshape(-1)
        span *= values.size
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return arr[first], inverse.reshape(-1)


def build_pieces(lo: np.ndarray, hi: np.ndarray) -> CellPieces:
    """Quadrature pieces of the cells ``lo[:, k] <= y_k <= hi[:, k]`` (k = 0, 1).

    Columns 0 and 1 are the two non-base components in the order in which
    they are integrated (outer, inner); the base share is the remainder. The
    nodes depend on the cell only, so they are built once per distinct cell;
    the reps index into them.
    """
    n = lo.shape[0]
    bounds = np.column_stack([lo[:, 0], hi[:, 0], lo[:, 1], hi[:, 1]])
    cells, cell_of_rep = _distinct_rows(bounds)
    l1, u1_cell, l2, u2 = cells.T
    reach = u1_cell >= 1.0 - l2 - SNAP_TOL  # the cell is cut by y_base = 0
    u_end = np.where(reach, 1.0 - l2, u1_cell)
    g1 = np.where(reach, 0.0, 1.0 - l2 - u1_cell)  # 1 - L2 - u_end >= 0
    kink = 1.0 - u2
    one_capped = kink >= u_end - SNAP_TOL  # one piece, the self cell a fixed interval
    one_diagonal = ~one_capped & (kink <= l1 + SNAP_TOL)  # one piece, reaching the diagonal
    split = ~one_capped & ~one_diagonal  # capped up to the kink, to the diagonal after it
    g0 = np.maximum(0.0, 1.0 - u_end - u2)
    g0 = np.where(g0 < SNAP_TOL, 0.0, g0)
    cell = np.repeat(np.arange(cells.shape[0]), 1 + split)
    second = np.zeros(cell.size, dtype=bool)
    second[1:] = cell[1:] == cell[:-1]  # the piece after the kink of a split cell
    p0 = np.where(second, kink[cell], l1[cell])
    p1 = np.where(~second & split[cell], kink[cell], u_end[cell])
    capped = ~second & ~one_diagonal[cell]
    g0p = np.where(one_capped[cell], g0[cell], 0.0)
    g1p = g1[cell]
    lo2, hi2 = l2[cell], u2[cell]
    corner = capped & (g0p == 0.0)
    outer_ts = (p0 == 0.0) | (~capped & (g1p == 0.0)) | corner
    inner_ts = (lo2 == 0.0) | ~capped | corner
    groups = []
    for o_rule in ("gauss", "tanh_sinh"):
        for i_rule in ("gauss", "tanh_sinh"):
            for cap in (True, False):
                sel = (
                    (outer_ts == (o_rule == "tanh_sinh"))
                    & (inner_ts == (i_rule == "tanh_sinh"))
                    & (capped == cap)
                )
                if sel.any():
                    groups.append(
                        _piece_nodes(
                            cell[sel], p0[sel], p1[sel], cap, g0p[sel], g1p[sel],
                            lo2[sel], hi2[sel], _RULES[o_rule], _RULES[i_rule],
                        )
                    )  # fmt: skip
    # the (rep, piece) pairs: group by group; in a group the big pieces one by one, then the rest
    counts = np.bincount(cell_of_rep, minlength=cells.shape[0])
    by_cell = np.argsort(cell_of_rep, kind="stable")
    first = np.cumsum(counts) - counts
    pair_rep, pair_ref, offset = [], [], 0
    for g in groups:
        reps_of_piece = counts[g.cell]
        big = reps_of_piece * g.nodes.shape[2] >= SMALL_PIECE_NODES
        seq = np.concatenate([np.flatnonzero(big), np.flatnonzero(~big)])
        lengths = reps_of_piece[seq]
        piece_of_pair = np.repeat(seq, lengths)
        within = np.arange(piece_of_pair.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        pair_rep.append(by_cell[first[g.cell[piece_of_pair]] + within])
        pair_ref.append(g.ref[piece_of_pair])
        ends = offset + np.cumsum(lengths)
        n_big = int(big.sum())
        g.big = [(int(seq[i]), int(ends[i] - lengths[i]), int(ends[i])) for i in range(n_big)]
        g.moments = _moment_table(g.nodes[seq[:n_big]])
        start_small = offset + int(lengths[:n_big].sum())
        g.small = (start_small, int(ends[-1]), piece_of_pair[start_small - offset :])
        offset = int(ends[-1])
    return CellPieces(
        n, cells, cell_of_rep, groups, np.concatenate(pair_rep), np.concatenate(pair_ref)
    )


def _piece_nodes(cell, u0, u1, capped, g0, g1, l2, u2, outer, inner) -> _Group:
    """Nodes of pieces of one kind, as log shares centred per piece, and log weights.

    Every coordinate is a sum of non-negative terms built from the node
    offsets x, 1 - x, t, 1 - t (each computed from its own formula), so no
    cancellation occurs near the boundaries of the simplex.
    """
    x, mx, lwx = (a[None, :, None] for a in outer)
    t, mt, lwt = (a[None, None, :] for a in inner)
    col = (slice(None), None, None)
    du = (u1 - u0)[col]
    n_p, qx, qt = cell.size, x.shape[1], t.shape[2]
    ly = np.empty((3, n_p, qx, qt))
    with np.errstate(divide="ignore"):
        ly[0] = np.log(u0[col] + du * x)
        if capped:  # w in [L2, U2]; base = g0 + du (1 - x) + (U2 - L2)(1 - t)
            width = (u2 - l2)[col]
            ly[1] = np.log(l2[col] + width * t)
            ly[2] = np.log(g0[col] + du * mx + width * mt)
            log_len = np.log(width)
        else:  # w in [L2, 1 - u]; base = (1 - u - L2)(1 - t), 1 - u - L2 = g1 + du (1 - x)
            length = g1[col] + du * mx
            ly[1] = np.log(l2[col] + length * t)
            log_len = np.log(length)
            ly[2] = log_len + np.log(mt)
    lw = np.log(du) + log_len + lwx + lwt
    shape = (n_p, qx * qt)
    ly = ly.reshape((3,) + shape)
    lw = np.broadcast_to(lw, (n_p, qx, qt)).reshape(shape)
    # centre each piece's log shares at their mean under the uniform density on the piece
    # (alpha = 1), near where the integrand's mass lies for moderate alpha: the second
    # moments about it then lose little to cancellation in E[l l'] - E[l] E[l']
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    ref = (ly * w).sum(axis=2) / w.sum(axis=1)
    ly -= ref[:, :, None]
    nodes = np.empty((n_p, 4, qx * qt))
    nodes[:, 0] = lw
    nodes[:, 1:] = ly.transpose(1, 0, 2)
    return _Group(cell, nodes, np.ascontiguousarray(ref.T))


def _moment_table(nodes: np.ndarray) -> np.ndarray:
    """(G, Q, 9) table of the centred log shares and their products from (G, 4, Q) nodes."""
    ly = nodes[:, 1:]
    table = np.empty((nodes.shape[0], nodes.shape[2], 9))
    table[:, :, :3] = ly.transpose(0, 2, 1)
    table[:, :, 3:] = (ly[:, _PAIR_J] * ly[:, _PAIR_K]).transpose(0, 2, 1)
    return table


# ----------------------------------------------------------------------------
# the cell log-probabilities and their derivatives
# ----------------------------------------------------------------------------
def _block_stats(a, nodes, moments, order, logp_out, mom_out) -> None:
    """log P (without the centring term) and centred moments of one block of pairs.

    ``a`` (b, 4) holds rows ``[1, alpha - 1]``. With ``nodes`` (4, Q) and
    ``moments`` (Q, 9) the block is one piece; with ``nodes`` (b, 4, Q) every
    row has its own piece (gathered) and ``moments`` is not used.
    """
    if nodes.ndim == 2:
        lf = a @ nodes  # log weights + (alpha - 1) . centred log shares, (b, Q)
    else:
        lf = np.einsum("bk,bkq->bq", a, nodes)
    top = lf.max(axis=1)
    lf -= top[:, None]
    np.exp(lf, out=lf)
    s = lf.sum(axis=1)
    logp_out[:] = np.log(s) + top
    if order >= 1:
        cols = 9 if order == 2 else 3
        if nodes.ndim == 2:
            raw = lf @ moments[:, :cols]
        else:
            ly = nodes[:, 1:]
            raw = np.empty((lf.shape[0], cols))
            raw[:, :3] = np.einsum("bq,bkq->bk", lf, ly)
            if order == 2:
                el = lf[:, None, :] * ly  # (b, 3, Q)
                for i, (j, k) in enumerate(zip(_PAIR_J, _PAIR_K, strict=True)):
                    raw[:, 3 + i] = np.einsum("bq,bq->b", el[:, j], ly[:, k])
        np.divide(raw, s[:, None], out=mom_out[:, :cols])


def _piece_stats(pieces: CellPieces, alpha: np.ndarray, order: int, block_nodes: int):
    """log P of every (rep, piece) pair and (order >= 1) the centred moments of its nodes.

    Returns ``logp_piece`` (P,), the log integral over the piece (without the
    Dirichlet normalizing constant), and ``mom`` (P, 3) or (P, 9): the first
    moments of the centred log shares under the normalized integrand and
    (order 2) the second moments (j <= k). Pairs are evaluated in blocks of at
    most ``block_nodes`` (rep, node) values, so the temporaries do not grow
    with the number of reps.
    """
    a_rep = np.empty((alpha.shape[0], 4))
    a_rep[:, 0] = 1.0
    a_rep[:, 1:] = alpha - 1.0
    n_pairs = pieces.pair_rep.size
    logp_piece = np.empty(n_pairs)
    mom = np.empty((n_pairs, 9 if order == 2 else 3)) if order >= 1 else None
    for g in pieces.groups:
        rows = max(1, block_nodes // g.nodes.shape[2])
        for i, (k, start, stop) in enumerate(g.big):
            for s in range(start, stop, rows):
                e = min(s + rows, stop)
                _block_stats(
                    a_rep[pieces.pair_rep[s:e]], g.nodes[k], g.moments[i], order,
                    logp_piece[s:e], None if mom is None else mom[s:e],
                )  # fmt: skip
        start, stop, piece = g.small
        for s in range(start, stop, rows):
            e = min(s + rows, stop)
            ids = piece[s - start : e - start]
            _block_stats(
                a_rep[pieces.pair_rep[s:e]], g.nodes[ids], None, order,
                logp_piece[s:e], None if mom is None else mom[s:e],
            )  # fmt: skip
    # the centring constants: log integrand = (alpha - 1) . (ref + centred log shares) + ...
    logp_piece += np.einsum("pk,pk->p", a_rep[pieces.pair_rep, 1:], pieces.pair_ref)
    return logp_piece, mom


def _rep_stats(pieces: CellPieces, alpha: np.ndarray, logp_piece, mom, order: int, reps: slice):
    """Per-rep log P, gradient and Hessian w.r.t. alpha of the reps ``reps``, from the pairs.

    A rep of a cell cut at the kink has two pieces: its probability is the sum
    of theirs, its moments the mixture of theirs (law of total covariance).
    """
    al = alpha[reps]
    a0 = al.sum(axis=1)
    first, second = pieces.rep_pairs[reps].T
    logp = logp_piece[first]
    two = np.flatnonzero(second >= 0)
    if order >= 1:
        m = mom[first]
        mean = m[:, :3] + pieces.pair_ref[first]
    if order == 2:
        cov = m[:, 3:] - m[:, _PAIR_J] * m[:, _PAIR_K]
    if two.size:
        p1, p2 = first[two], second[two]
        lp1, lp2 = logp_piece[p1], logp_piece[p2]
        top = np.maximum(lp1, lp2)
        w1, w2 = np.exp(lp1 - top), np.exp(lp2 - top)
        tot = w1 + w2
        logp[two] = np.log(tot) + top
        if order >= 1:
            w1, w2 = (w1 / tot)[:, None], (w2 / tot)[:, None]
            m2 = mom[p2]
            mean1, mean2 = mean[two], m2[:, :3] + pieces.pair_ref[p2]
            mix = w1 * mean1 + w2 * mean2
            mean[two] = mix
        if order == 2:
            d1, d2 = mean1 - mix, mean2 - mix
            cov2 = m2[:, 3:] - m2[:, _PAIR_J] * m2[:, _PAIR_K]
            cov[two] = w1 * (cov[two] + d1[:, _PAIR_J] * d1[:, _PAIR_K]) + w2 * (
                cov2 + d2[:, _PAIR_J] * d2[:, _PAIR_K]
            )
    logp -= gammaln(al).sum(axis=1) - gammaln(a0)
    if order == 0:
        return logp, None, None
    grad = mean - digamma(al) + digamma(a0)[:, None]
    if order == 1:
        return logp, grad, None
    hess = np.empty((al.shape[0], 3, 3))
    hess[:, _PAIR_J, _PAIR_K] = cov
    hess[:, _PAIR_K, _PAIR_J] = cov
    hess += trigamma(a0)[:, None, None]
    idx = np.arange(3)
    hess[:, idx, idx] -= trigamma(al)
    return logp, grad, hess


def _cell_stats(pieces: CellPieces, alpha: np.ndarray, order: int, block_nodes: int = BLOCK_NODES):
    """Per-rep log P and (order >= 1) its gradient, (order 2) Hessian w.r.t. alpha.

    The (rep, piece) pairs are evaluated piece by piece in blocks of at most
    about ``block_nodes`` (rep, node) values: for the reps of one piece the log
    integrand is the product ``[1, alpha - 1] @ nodes`` and the moments the
    product of the normalized integrand with the (Q, 9) table of centred log
    shares and their products.
    """
    logp_piece, mom = _piece_stats(pieces, alpha, order, block_nodes)
    return _rep_stats(pieces, alpha, logp_piece, mom, order, slice(None))


# ----------------------------------------------------------------------------
# the log-likelihood of the regression and its derivatives (pure kernel)
# ----------------------------------------------------------------------------
def _alpha(params: np.ndarray, x: np.ndarray, z: np.ndarray):
    """Expected shares, precisions and Dirichlet parameters in role order (1, 2, base)."""
    p = x.shape[1]
    eta = np.zeros((x.shape[0], 3))
    eta[:, 0] = x @ params[:p]
    eta[:, 1] = x @ params[p : 2 * p]
    eta -= eta.max(axis=1, keepdims=True)
    mu = np.exp(eta)
    mu /= mu.sum(axis=1, keepdims=True)
    phi = np.exp(z @ params[2 * p :])
    return mu, phi, mu * phi[:, None]


def _predictor_derivatives(mu, alpha, ga, ha):
    r"""Gradient and Hessian w.r.t. (eta_1, eta_2, log phi) from those w.r.t. alpha.

    With :math:`h_k = g_k\alpha_k`, :math:`s = \sum_k h_k`,
    :math:`V_{kl} = \alpha_k H_{kl}\alpha_l`, :math:`c = V\mathbf 1` and
    :math:`t = \mathbf 1^\top V\mathbf 1` (closed forms of :math:`J^\top H J`
    plus :math:`\sum_k g_k \nabla^2\alpha_k`, :math:`J` the Jacobian of
    :math:`\alpha` in :math:`\zeta`): for :math:`j, l \in \{1, 2\}`

    .. math::

        g_{\eta_j} = h_j - \mu_j s, \quad g_{\log\phi} = s, \quad
        H_{\log\phi,\log\phi} = t + s, \quad
        H_{\eta_j,\log\phi} = c_j - \mu_j t + g_{\eta_j},

        H_{\eta_j\eta_l} = V_{jl} - \mu_j c_l - \mu_l c_j + \mu_j\mu_l (t + 2 s)
            - h_j\mu_l - h_l\mu_j + \delta_{jl}(h_j - \mu_j s).
    """
    h = ga * alpha
    s = h.sum(axis=1)
    mu2, h2 = mu[:, :2], h[:, :2]
    gz = np.empty((mu.shape[0], 3))
    gz[:, :2] = h2 - mu2 * s[:, None]
    gz[:, 2] = s
    if ha is None:
        return gz, None
    v = ha * alpha[:, :, None] * alpha[:, None, :]
    c = v.sum(axis=2)
    t = c.sum(axis=1)
    c2 = c[:, :2]
    hz = np.empty_like(v)
    top = v[:, :2, :2] + (t + 2.0 * s)[:, None, None] * mu2[:, :, None] * mu2[:, None, :]
    top -= mu2[:, :, None] * (c2 + h2)[:, None, :] + (c2 + h2)[:, :, None] * mu2[:, None, :]
    top[:, [0, 1], [0, 1]] += gz[:, :2]
    hz[:, :2, :2] = top
    hz[:, :2, 2] = c2 - mu2 * t[:, None] + gz[:, :2]
    hz[:, 2, :2] = hz[:, :2, 2]
    hz[:, 2, 2] = t + s
    return gz, hz


#: Reps per block when per-rep derivatives are summed into those of the regression.
REP_BLOCK_ROWS: int = 4_096
#: Reps per matrix product of the Hessian's sum: small enough that each product runs on one
#: thread from the processor's cache (a multi-threaded product of this shape is much slower
#: when other processes share the cores).
HESSIAN_ROWS: int = 1_024


def _hessian_block(xb: np.ndarray, zb: np.ndarray, hb: np.ndarray):
    """Upper blocks of the regression Hessian summed over one block of reps (see below)."""
    p, q = xb.shape[1], zb.shape[1]
    top = np.zeros((p, 3 * p + 2 * q))
    zz = np.zeros((q, q))
    for s in range(0, xb.shape[0], HESSIAN_ROWS):
        x, z, h = xb[s : s + HESSIAN_ROWS], zb[s : s + HESSIAN_ROWS], hb[s : s + HESSIAN_ROWS]
        w = np.concatenate(
            [x * h[:, 0, 0, None], x * h[:, 0, 1, None], x * h[:, 1, 1, None],
             z * h[:, 0, 2, None], z * h[:, 1, 2, None]],
            axis=1,
        )  # fmt: skip
        top += x.T @ w
        zz += z.T @ (z * h[:, 2, 2, None])
    return top, zz


def _assemble_hessian(top: np.ndarray, zz: np.ndarray) -> np.ndarray:
    """The symmetric (2 p + q) Hessian from its upper blocks."""
    p, q = top.shape[0], zz.shape[0]
    hess = np.empty((2 * p + q, 2 * p + q))
    hess[:p, :p] = top[:, :p]
    hess[:p, p : 2 * p] = top[:, p : 2 * p]
    hess[p : 2 * p, p : 2 * p] = top[:, 2 * p : 3 * p]
    hess[:p, 2 * p :] = top[:, 3 * p : 3 * p + q]
    hess[p : 2 * p, 2 * p :] = top[:, 3 * p + q :]
    hess[2 * p :, 2 * p :] = zz
    hess[p : 2 * p, :p] = hess[:p, p : 2 * p].T
    hess[2 * p :, : 2 * p] = hess[: 2 * p, 2 * p :].T
    return hess


def _regression_hessian(x: np.ndarray, z: np.ndarray, hz: np.ndarray) -> np.ndarray:
    r"""Sum over reps of :math:`J_i^\top H_i J_i` with :math:`J_i = \mathrm{diag}(x_i, x_i, z_i)`.

    Summed in blocks of :data:`HESSIAN_ROWS` reps: each block is one
    product :math:`X_b^\top [X_b h_{11}, X_b h_{12}, X_b h_{22}, Z_b h_{13},
    Z_b h_{23}]` and one :math:`Z_b^\top Z_b h_{33}` (upper blocks, mirrored).
    """
    return _assemble_hessian(*_hessian_block(x, z, hz))


def cell_loglike(
    params: np.ndarray,
    pieces: CellPieces,
    x: np.ndarray,
    z: np.ndarray,
    order: int = 0,
):
    r"""Per-rep log cell probabilities and the derivatives of their sum.

    Parameters
    ----------
    params : ndarray, shape (2 p + q,)
        :math:`\beta_1, \beta_2` (the two non-base components, in column
        order) and :math:`\gamma`, the layout of the exact-share model.
    pieces : object
        Quadrature pieces of the distinct cells and the reps of each (built by
        the model from the cell bounds).
    x : ndarray, shape (n, p)
        Mean design.
    z : ndarray, shape (n, q)
        Precision design.
    order : {0, 1, 2}
        0: log-likelihood only; 1: also the per-rep score; 2: also the Hessian.

    Returns
    -------
    loglike_obs : ndarray (n,)
        :math:`\log P_i`.
    score_obs : ndarray (n, 2 p + q) or None
        Per-rep gradients (order >= 1).
    hessian : ndarray (2 p + q, 2 p + q) or None
        Hessian of :math:`\sum_i \log P_i` (order 2).

    Notes
    -----
    The derivatives with respect to :math:`\alpha` are exact for the
    quadrature (see the module notes); the chain rule goes through
    :math:`\zeta = (\eta_1, \eta_2, \log\phi)`, with
    :math:`\partial\alpha_k/\partial\eta_j = \alpha_k(\delta_{kj} - \mu_j)` and
    :math:`\partial\alpha_k/\partial\log\phi = \alpha_k`.

    Examples
    --------
    >>> lo, hi = cell_bounds(np.array([[35.0, 30.0]]), 5.0)
    >>> pieces = build_pieces(lo, hi)
    >>> ll, _, _ = cell_loglike(np.array([0.0, 0.0, np.log(3.0)]), pieces, np.ones((1, 1)),
    ...                         np.ones((1, 1)))
    >>> round(float(np.exp(ll[0])), 6)  # flat density 2 on a 0.05 x 0.05 cell
    0.005
    """
    mu, _, alpha = _alpha(params, x, z)
    logp, ga, ha = _cell_stats(pieces, alpha, order)
    if order == 0:
        return logp, None, None
    gz, hz = _predictor_derivatives(mu, alpha, ga, ha)
    score_obs = np.hstack([x * gz[:, [0]], x * gz[:, [1]], z * gz[:, [2]]])
    if order == 1:
        return logp, score_obs, None
    return logp, score_obs, _regression_hessian(x, z, hz)


class CellObjective:
    """The log-likelihood for Newton's method, one evaluation per parameter vector.

    The line search asks for the log-likelihood at a candidate and, once the
    candidate is accepted, Newton's method asks for the gradient and Hessian
    at the same point: the quadrature statistics of the candidate are
    computed once (with their moments) and kept for that second call. The
    gradient and Hessian are summed over blocks of :data:`REP_BLOCK_ROWS`
    reps, so that beyond the per-pair statistics (about 100 bytes a rep) no
    per-rep array of derivatives is formed.
    """

    def __init__(self, pieces: CellPieces, x: np.ndarray, z: np.ndarray) -> None:
        self.pieces, self.x, self.z = pieces, x, z
        self._theta: np.ndarray | None = None
        self._stats: tuple = ()

    def _at(self, theta: np.ndarray) -> tuple:
        if self._theta is None or not np.array_equal(theta, self._theta):
            mu, _, alpha = _alpha(theta, self.x, self.z)
            self._stats = (mu, alpha) + _piece_stats(self.pieces, alpha, 2, BLOCK_NODES)
            self._theta = np.array(theta, dtype=float)
        return self._stats

    def loglike(self, theta: np.ndarray) -> float:
        _, alpha, logp_piece, mom = self._at(theta)
        return float(_rep_stats(self.pieces, alpha, logp_piece, mom, 0, slice(None))[0].sum())

    def all(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        mu, alpha, logp_piece, mom = self._at(theta)
        x, z = self.x, self.z
        n, p = x.shape
        q = z.shape[1]
        logp = np.empty(n)
        score = np.zeros(2 * p + q)
        top = np.zeros((p, 3 * p + 2 * q))
        zz = np.zeros((q, q))
        for s in range(0, n, REP_BLOCK_ROWS):
            r = slice(s, min(s + REP_BLOCK_ROWS, n))
            logp[r], ga, ha = _rep_stats(self.pieces, alpha, logp_piece, mom, 2, r)
            gz, hz = _predictor_derivatives(mu[r], alpha[r], ga, ha)
            xb, zb = x[r], z[r]
            score[:p] += xb.T @ gz[:, 0]
            score[p : 2 * p] += xb.T @ gz[:, 1]
            score[2 * p :] += zb.T @ gz[:, 2]
            t, u = _hessian_block(xb, zb, hz)
            top += t
            zz += u
        return float(logp.sum()), score, _assemble_hessian(top, zz)
