"""The rounding-aware model's cell-grouped, blocked evaluation against a per-rep reference.

The model builds the quadrature nodes once per distinct cell and evaluates the
reps of each cell in blocks. These tests compare it with a deliberately simple
per-rep reference written here: for each rep, its cell is cut into pieces and
each piece gets its product-rule nodes by the same rules (the module's
Gauss-Legendre and tanh-sinh tables), the log probability is a log-sum-exp over
all the rep's nodes, and the derivatives with respect to alpha are the
moments of the log shares under the normalized integrand (two-pass
covariance), minus the digamma and trigamma terms (``scipy.special``). The
chain rule to the regression parameters is checked against a per-rep
einsum of the Jacobian. Agreement is required to about 1e-12 relative: the
two compute the same quadrature sums in a different order.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import digamma, gammaln, logsumexp, polygamma

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.exceptions import ZeroShareWarning
from leadblackhole.models.dirichlet import DirichletRegression, kernel
from leadblackhole.models.dirichlet import cells as rcells
from leadblackhole.models.dirichlet import rounded as rd
from leadblackhole.models.main import main_model_exog
from leadblackhole.models.main_rounded import FLOOR_COMPONENT, analysis_percents
from leadblackhole.models.newton import newton
from leadblackhole.simulation import StudyDesign, simulate

#: Relative agreement of log P, gradients and Hessians (both sides sum the same quadrature
#: terms in a different order; observed differences are below 1e-13).
REL_TOL = 1e-12
#: Agreement of fitted parameters, in standard errors: both fits stop at the same Newton
#: criterion (1e-10 on half the squared decrement), so they agree far below this.
FIT_TOL_SE = 1e-6


# ----------------------------------------------------------------------------
# the per-rep reference
# ----------------------------------------------------------------------------
def _reference_pieces(l1, u1_cell, l2, u2):
    """(u0, u1, capped, g0, g1) of the pieces of one cell (the rule of the module notes)."""
    tol = rcells.SNAP_TOL
    reach = u1_cell >= 1.0 - l2 - tol
    u_end = 1.0 - l2 if reach else u1_cell
    g1 = 0.0 if reach else 1.0 - l2 - u1_cell
    kink = 1.0 - u2
    if kink >= u_end - tol:
        g0 = max(0.0, 1.0 - u_end - u2)
        return [(l1, u_end, True, 0.0 if g0 < tol else g0, g1)]
    if kink <= l1 + tol:
        return [(l1, u_end, False, 0.0, g1)]
    return [(l1, kink, True, 0.0, g1), (kink, u_end, False, 0.0, g1)]


def _reference_nodes(u0, u1, capped, g0, g1, l2, u2):
    """Log shares (3, Q) and log weights (Q,) of one piece."""
    corner = capped and g0 == 0.0
    outer = "tanh_sinh" if (u0 == 0.0 or (not capped and g1 == 0.0) or corner) else "gauss"
    inner = "tanh_sinh" if (l2 == 0.0 or not capped or corner) else "gauss"
    x, mx, lwx = (a[:, None] for a in rcells._RULES[outer])
    t, mt, lwt = (a[None, :] for a in rcells._RULES[inner])
    du = u1 - u0
    with np.errstate(divide="ignore"):
        ly0 = np.log(u0 + du * x) + 0.0 * t
        if capped:
            width = u2 - l2
            ly1 = np.log(l2 + width * t) + 0.0 * x
            ly2 = np.log(g0 + du * mx + width * mt)
            log_len = np.log(width)
        else:
            length = g1 + du * mx
            ly1 = np.log(l2 + length * t)
            log_len = np.log(length)
            ly2 = log_len + np.log(mt)
    lw = np.log(du) + log_len + lwx + lwt + 0.0 * ly2
    return np.stack([ly0.ravel(), ly1.ravel(), ly2.ravel()]), lw.ravel()


def reference_cell_stats(lo, hi, alpha):
    """Per-rep log P, gradient and Hessian w.r.t. alpha, one rep at a time."""
    n = lo.shape[0]
    logp, grad, hess = np.empty(n), np.empty((n, 3)), np.empty((n, 3, 3))
    for i in range(n):
        nodes = [
            _reference_nodes(*piece, lo[i, 1], hi[i, 1])
            for piece in _reference_pieces(lo[i, 0], hi[i, 0], lo[i, 1], hi[i, 1])
        ]
        ly = np.concatenate([v[0] for v in nodes], axis=1)
        lw = np.concatenate([v[1] for v in nodes])
        a = alpha[i]
        lf = lw + (a - 1.0) @ ly
        lse = logsumexp(lf)
        p = np.exp(lf - lse)
        keep = p > 0  # nodes whose weight underflows carry no moment
        mean = ly[:, keep] @ p[keep]
        d = ly[:, keep] - mean[:, None]
        cov = (d * p[keep]) @ d.T
        a0 = a.sum()
        logp[i] = lse - (gammaln(a).sum() - gammaln(a0))
        grad[i] = mean - digamma(a) + digamma(a0)
        hess[i] = cov - np.diag(polygamma(1, a)) + polygamma(1, a0)
    return logp, grad, hess


def reference_loglike(params, lo, hi, x, z):
    """Log-likelihood, per-rep score and Hessian of the regression from the reference."""
    mu, _, alpha = rcells._alpha(params, x, z)
    logp, ga, ha = reference_cell_stats(lo, hi, alpha)
    n = x.shape[0]
    jac = np.empty((n, 3, 3))  # d alpha_k / d (eta_1, eta_2, log phi)
    d = np.eye(3)[None] - mu[:, None, :]
    jac[:, :, :2] = alpha[:, :, None] * d[:, :, :2]
    jac[:, :, 2] = alpha
    gz = np.einsum("nk,nkm->nm", ga, jac)
    hz = np.einsum("nkm,nkl,nlr->nmr", jac, ha, jac)
    # + sum_k g_k d2 alpha_k: the mean model's curvature and the log-phi cross terms
    for j in range(2):
        for m in range(2):
            hz[:, j, m] += np.einsum(
                "nk,nk->n",
                ga * alpha,
                d[:, :, j] * d[:, :, m] - (mu[:, [j]] * ((j == m) - mu[:, [m]])),
            )
        hz[:, j, 2] += gz[:, j]
        hz[:, 2, j] += gz[:, j]
    hz[:, 2, 2] += gz[:, 2]
    mats = (x, x, z)
    score_obs = np.hstack([mats[k] * gz[:, [k]] for k in range(3)])
    hessian = np.block(
        [[mats[j].T @ (hz[:, j, m][:, None] * mats[m]) for m in range(3)] for j in range(3)]
    )
    return logp, score_obs, hessian


# ----------------------------------------------------------------------------
# data: cells of every kind, several reps per cell, each with its own alpha
# ----------------------------------------------------------------------------
BOUNDARY_CELLS = [
    ((35, 30), 5),  # interior
    ((0, 30), 5),  # from 0
    ((30, 0), 5),
    ((0, 0), 5),
    ((50, 50), 5),  # cut by other = 0
    ((45, 50), 5),  # corner at other = 0
    ((100, 0), 5),
    ((0, 100), 5),
    ((5, 90), 10),  # cut in two at the kink 1 - 0.95
    ((20, 80), 10),
    ((37, 60), 5),  # off the grid: cut in two at the kink
    ((12, 3), 1),
]


def _bounds(pct, step, floor=False):
    lo, hi = rcells.cell_bounds(np.asarray(pct, dtype=float), step)
    if floor:
        lo[np.abs(np.asarray(pct)[:, 0] - step) < 1e-9, 0] = 0.0
    return lo, hi


def _alphas(rng, n, low=0.3, high=30.0):
    return np.exp(rng.uniform(np.log(low), np.log(high), size=(n, 3)))


def _mixed_cells(seed=5, n=400, step=5, floor=False):
    """Rounded draws: heaped on 10 and on 5, whole percents, and two-decimal percents."""
    rng = np.random.default_rng(seed)
    y = rng.dirichlet([1.2, 2.0, 1.5], size=n)
    grid = rng.choice([10.0, 5.0, 1.0, 0.01], size=n, p=[0.4, 0.3, 0.2, 0.1])
    pct = np.round(100 * y[:, :2] / grid[:, None]) * grid[:, None]
    pct[:, 1] = np.minimum(pct[:, 1], 100 - pct[:, 0])
    if floor:
        pct[:, 0] = np.maximum(pct[:, 0], step)
        pct[:, 1] = np.minimum(pct[:, 1], 100 - pct[:, 0])
    return pct


def _assert_rel(actual, desired, what):
    scale = np.maximum(np.abs(desired), 1.0)
    err = np.max(np.abs(actual - desired) / scale)
    assert err < REL_TOL, f"{what}: largest relative difference {err:.3g}"


def _assert_stats_equal(new, ref):
    _assert_rel(new[0], ref[0], "log P")
    _assert_rel(new[1], ref[1], "gradient")
    # Hessian relative to the largest entry of the rep's matrix
    scale = np.maximum(np.abs(ref[2]).max(axis=(1, 2)), 1.0)[:, None, None]
    err = np.max(np.abs(new[2] - ref[2]) / scale)
    assert err < REL_TOL, f"Hessian: largest relative difference {err:.3g}"


# ----------------------------------------------------------------------------
# the cell statistics
# ----------------------------------------------------------------------------
def test_boundary_cells_match_the_per_rep_reference():
    rng = np.random.default_rng(11)
    lo_list, hi_list = [], []
    for pct, step in BOUNDARY_CELLS:
        lo, hi = _bounds(np.array([pct] * 4), step)  # four reps per cell
        lo_list.append(lo)
        hi_list.append(hi)
    lo, hi = np.vstack(lo_list), np.vstack(hi_list)
    alpha = _alphas(rng, lo.shape[0])
    pieces = rcells.build_pieces(lo, hi)
    assert pieces.cells.shape[0] == len(BOUNDARY_CELLS)
    # cut in two at the kink: (5, 90) by 10 (self up to 95%, marketing up to 10%) and (37, 60)
    assert (pieces.rep_pairs[:, 1] >= 0).sum() == 8
    _assert_stats_equal(rcells._cell_stats(pieces, alpha, 2), reference_cell_stats(lo, hi, alpha))


@pytest.mark.parametrize("floor", [False, True])
@pytest.mark.parametrize("step", [5, 10])
def test_mixed_rounding_matches_the_per_rep_reference(step, floor):
    pct = _mixed_cells(seed=step + floor, step=step, floor=floor)
    lo, hi = _bounds(pct, step, floor=floor)
    rng = np.random.default_rng(3)
    alpha = _alphas(rng, lo.shape[0])
    pieces = rcells.build_pieces(lo, hi)
    assert pieces.cells.shape[0] < lo.shape[0]  # reps share cells
    assert (pieces.rep_pairs[:, 1] >= 0).any()  # some off-grid cells are cut in two
    ref = reference_cell_stats(lo, hi, alpha)
    for order in (0, 1, 2):
        new = rcells._cell_stats(pieces, alpha, order)
        _assert_rel(new[0], ref[0], f"log P (order {order})")
        if order >= 1:
            _assert_rel(new[1], ref[1], "gradient")
    _assert_stats_equal(rcells._cell_stats(pieces, alpha, 2), ref)


@pytest.mark.parametrize("block_nodes", [1, 97, 5_000, 10**9])
def test_block_size_does_not_change_the_cell_statistics(block_nodes):
    pct = _mixed_cells(seed=8, n=300)
    lo, hi = _bounds(pct, 5, floor=True)
    alpha = _alphas(np.random.default_rng(4), lo.shape[0])
    pieces = rcells.build_pieces(lo, hi)
    default = rcells._cell_stats(pieces, alpha, 2)
    _assert_stats_equal(rcells._cell_stats(pieces, alpha, 2, block_nodes=block_nodes), default)


@pytest.mark.parametrize("small_nodes", [0, 10**9])
def test_gathered_and_per_piece_evaluation_agree(monkeypatch, small_nodes):
    # every piece on its own (0) or every piece gathered with others (10**9)
    pct = _mixed_cells(seed=9, n=300)
    lo, hi = _bounds(pct, 5)
    alpha = _alphas(np.random.default_rng(6), lo.shape[0])
    default = rcells._cell_stats(rcells.build_pieces(lo, hi), alpha, 2)
    monkeypatch.setattr(rcells, "SMALL_PIECE_NODES", small_nodes)
    pieces = rcells.build_pieces(lo, hi)
    n_small = sum(g.small[1] - g.small[0] for g in pieces.groups)
    assert n_small == (0 if small_nodes == 0 else pieces.pair_rep.size)
    _assert_stats_equal(rcells._cell_stats(pieces, alpha, 2), default)


def test_nodes_are_held_per_distinct_cell_not_per_rep():
    # 20 000 reps on a 5-point grid share a few hundred cells at most
    rng = np.random.default_rng(2)
    y = rng.dirichlet([2.0, 3.0, 4.0], size=20_000)
    pct = np.round(100 * y[:, :2] / 5) * 5
    pct[:, 1] = np.minimum(pct[:, 1], 100 - pct[:, 0])
    lo, hi = _bounds(pct, 5)
    pieces = rcells.build_pieces(lo, hi)
    n_cells = len({tuple(r) for r in np.column_stack([lo, hi])})
    assert pieces.cells.shape[0] == n_cells < 300
    held = sum(g.nodes.size + g.moments.size for g in pieces.groups)
    assert held < 15 * 3721 * n_cells  # at most 2 pieces x (4 + 9) values per node and cell
    assert pieces.n_rep_nodes > 20 * pieces.n_nodes  # far fewer held than evaluated


def test_distinct_rows_is_numpy_unique_over_rows():
    rng = np.random.default_rng(1)
    for arr in (
        rng.integers(0, 5, size=(1000, 4)) / 7.0,
        rng.random((300, 4)),
        np.repeat(rng.random((3, 4)), 5, axis=0),
        np.zeros((4, 4)),
    ):
        cells, inverse = rcells._distinct_rows(arr)
        want, want_inv = np.unique(arr, axis=0, return_inverse=True)
        np.testing.assert_array_equal(cells, want)
        np.testing.assert_array_equal(inverse, want_inv.reshape(-1))
        np.testing.assert_array_equal(cells[inverse], arr)


# ----------------------------------------------------------------------------
# the regression: per-rep outputs, the fit's blocked sums, the fit itself
# ----------------------------------------------------------------------------
def _regression_data(n=300, seed=21, step=5):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    z = np.column_stack([np.ones(n), 0.3 * rng.normal(size=n)])
    theta = np.array([0.2, 0.3, -0.1, 0.4, -0.2, 0.1, np.log(4.0), 0.2])
    _, _, alpha = rcells._alpha(theta, x, z)
    g = rng.standard_gamma(alpha)
    y = g / g.sum(axis=1, keepdims=True)
    grid = rng.choice([10.0, 5.0, 1.0], size=n, p=[0.5, 0.3, 0.2])
    m = np.maximum(np.round(100 * y[:, 0] / grid) * grid, step)  # the sample rule: >= 1 step
    s = np.minimum(np.round(100 * y[:, 1] / grid) * grid, 100 - m)
    # boundary cells: self 0 (marketing floored), both 0, other 0, a corner at other = 0
    m[:4], s[:4] = [step, 0, 50, 45], [0, 0, 50, 50]
    pct = pd.DataFrame({"marketing": m, "self": s, "other": 100 - m - s})
    exog = pd.DataFrame(x, columns=["Intercept", "x1", "x2"])
    exog_p = pd.DataFrame(z, columns=["Intercept", "w"])
    return pct, exog, exog_p, theta


def _model_and_bounds(floor="marketing"):
    pct, exog, exog_p, theta = _regression_data()
    model = rd.RoundedDirichletRegression(pct, exog, 5, exog_precision=exog_p, floor=floor)
    cells = model.cells.to_numpy()
    lo, hi = cells[:, [0, 2]], cells[:, [1, 3]]
    return model, lo, hi, theta


@pytest.mark.parametrize("floor", [None, "marketing"])
def test_model_derivatives_match_the_per_rep_reference(floor):
    model, lo, hi, theta = _model_and_bounds(floor)
    x, z = model._xs[0], model._z
    logp, score_obs, hessian = reference_loglike(theta, lo, hi, x, z)
    _assert_rel(model.loglike_obs(theta), logp, "loglike_obs")
    scale = np.abs(score_obs).max()
    assert np.abs(model.score_obs(theta) - score_obs).max() < REL_TOL * scale
    assert np.abs(model.hessian(theta) - hessian).max() < REL_TOL * np.abs(hessian).max()


def test_blocked_sums_of_the_fit_equal_the_per_rep_derivatives(monkeypatch):
    model, lo, hi, theta = _model_and_bounds()
    x, z = model._xs[0], model._z
    logp, score_obs, hessian = reference_loglike(theta, lo, hi, x, z)
    for rep_rows, hessian_rows in [(rcells.REP_BLOCK_ROWS, rcells.HESSIAN_ROWS), (37, 16), (1, 1)]:
        monkeypatch.setattr(rcells, "REP_BLOCK_ROWS", rep_rows)
        monkeypatch.setattr(rcells, "HESSIAN_ROWS", hessian_rows)
        objective = rcells.CellObjective(model._pieces, x, z)
        llf, score, hess = objective.all(theta)
        assert llf == pytest.approx(logp.sum(), rel=REL_TOL)
        assert objective.loglike(theta) == llf  # one evaluation serves both calls
        score_ref = score_obs.sum(axis=0)
        assert np.abs(score - score_ref).max() < REL_TOL * np.abs(score_obs).max() * len(logp)
        assert np.abs(hess - hessian).max() < REL_TOL * np.abs(hessian).max()


def test_blocked_exact_share_start_equals_one_kernel_call(monkeypatch):
    model, _, _, theta = _model_and_bounds()
    args = model._kernel_args(transformed=False)
    llf, score, hess = kernel.loglike_and_derivatives_alternative(theta, *args)
    monkeypatch.setattr(rcells, "REP_BLOCK_ROWS", 41)
    b_llf, b_score, b_hess = rd._exact_all(theta, *args)
    assert b_llf == pytest.approx(llf, rel=REL_TOL)
    assert rd._exact_loglike(theta, *args) == pytest.approx(llf, rel=REL_TOL)
    np.testing.assert_allclose(b_score, score, rtol=0, atol=REL_TOL * np.abs(score).max() * 300)
    np.testing.assert_allclose(b_hess, hess, rtol=0, atol=REL_TOL * np.abs(hess).max())


def test_fit_equals_newton_on_the_reference_likelihood():
    # the earlier fit: exact-share start from a separate DirichletRegression of the midpoints,
    # then Newton-Raphson on the per-rep reference log-likelihood
    model, lo, hi, _ = _model_and_bounds()
    res = model.fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        exact = DirichletRegression(
            model.shares, model._exog_frames[""], exog_precision=model._zframe, base="other"
        ).fit()
    x, z = model._xs_t[0], model._z_t

    def f_all(theta):
        logp, score_obs, hessian = reference_loglike(theta, lo, hi, x, z)
        return float(logp.sum()), score_obs.sum(axis=0), hessian

    def f_ll(theta):
        return float(reference_loglike(theta, lo, hi, x, z)[0].sum())

    start = model._t_inv @ exact.params.to_numpy()
    with np.errstate(all="ignore"):
        theta_t, llf, *_ = newton(f_all, f_ll, start, (), maxiter=100, tol=1e-10)
    assert res.converged
    assert res.llf == pytest.approx(llf, rel=REL_TOL)
    gap = np.abs(model._t @ theta_t - res.params.to_numpy()) / res.bse.to_numpy()
    assert gap.max() < FIT_TOL_SE, gap


def test_simulated_survey_matches_the_reference_at_the_estimates():
    # the package's simulator: percents heaped on 5, one rep in five answering whole percents
    survey, _ = simulate(StudyDesign(n_reps=250, heap_step=5, exact_fraction=0.2), seed=17)
    frame = build_analysis_frame(validate_survey(survey))
    model = rd.RoundedDirichletRegression(
        analysis_percents(frame), main_model_exog(frame), 5, floor=FLOOR_COMPONENT
    )
    assert (model.percents.to_numpy() % 5 != 0).any()  # whole percents: cells off the grid
    res = model.fit()
    cells = model.cells.to_numpy()
    theta = res.params.to_numpy()
    logp, score_obs, hessian = reference_loglike(
        theta, cells[:, [0, 2]], cells[:, [1, 3]], model._xs[0], model._z
    )
    assert res.llf == pytest.approx(logp.sum(), rel=REL_TOL)
    np.testing.assert_allclose(
        res.hessian.to_numpy(), hessian, rtol=0, atol=REL_TOL * np.abs(hessian).max()
    )
