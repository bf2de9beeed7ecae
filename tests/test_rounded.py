"""Tests of the rounding-aware (coarsened-data) Dirichlet regression.

Every reference value is computed independently in the test: cell
probabilities by adaptive quadrature of the one-dimensional incomplete-beta
formula (``scipy.integrate.quad`` + ``scipy.special.betainc``), by
``scipy.integrate.dblquad`` of the Dirichlet density, or by Monte Carlo draws;
derivatives by central finite differences; estimates by simulation with known
truth and by the exact-share model in the limit of a vanishing step.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import betainc, betaln, gammaln

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import ShareModel, model_effects
from leadblackhole.exceptions import ConvergenceWarning, EstimationError, ZeroShareWarning
from leadblackhole.models import fit_main_model, fit_rounded_main_model, fit_share_model
from leadblackhole.models.dirichlet import (
    DirichletRegression,
    RoundedDirichletRegression,
    RoundedDirichletResults,
    detect_rounding_step,
)
from leadblackhole.models.dirichlet.cells import _alpha, _cell_stats, build_pieces, cell_bounds
from leadblackhole.models.main_rounded import analysis_percents, rounding_step_of
from leadblackhole.simulation import StudyDesign, simulate

#: Agreement of log cell probabilities with adaptive quadrature (both near 1e-12
#: in practice; 1e-8 leaves room for the reference's own error near singular ends).
LOGP_TOL = 1e-8
#: Finite-difference checks: central differences with step 1e-5 are accurate to about 1e-8
#: relative; the tolerance is relative to the largest entry.
FD_STEP = 1e-5
FD_RTOL = 1e-6
COMPONENTS = ["marketing", "self", "other"]


def reference_logp(lo, hi, alpha):
    """log P(cell) from the one-dimensional incomplete-beta formula by adaptive quadrature."""
    a, b, c = alpha
    l1, u1, l2, u2 = lo[0], hi[0], lo[1], hi[1]
    end = min(u1, 1.0 - l2)

    def f(u):
        dens = np.exp((a - 1) * np.log(u) + (b + c - 1) * np.log1p(-u) - betaln(a, b + c))
        return dens * (betainc(b, c, min(1.0, u2 / (1 - u))) - betainc(b, c, l2 / (1 - u)))

    kink = [p for p in [1.0 - u2] if l1 < p < end]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        v, _ = integrate.quad(f, l1, end, points=kink or None, epsabs=0, epsrel=1e-13, limit=500)
    return np.log(v)


def kernel_logp(pct, step, alpha, floor=False):
    pct = np.atleast_2d(np.asarray(pct, dtype=float))
    lo, hi = cell_bounds(pct, step)
    if floor:
        lo[:, 0] = np.where(pct[:, 0] == step, 0.0, lo[:, 0])
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (pct.shape[0], 3))
    return _cell_stats(build_pieces(lo, hi), np.ascontiguousarray(alpha), 0)[0]


ALPHAS = [(4.5, 5.0, 6.0), (0.4, 0.7, 0.3), (0.9, 2.0, 0.5), (2.0, 0.6, 3.0)]
CELLS = [
    ((35, 30), 5),  # interior
    ((0, 30), 5),  # marketing cell from 0
    ((30, 0), 5),  # self cell from 0
    ((0, 0), 5),  # both from 0
    ((50, 50), 5),  # other = 0: the cell is cut by the simplex
    ((45, 50), 5),  # corner touching other = 0
    ((100, 0), 5),  # marketing 100
    ((0, 100), 5),  # self 100
    ((5, 90), 10),
    ((20, 80), 10),
    ((37, 60), 5),  # off the grid: the kink splits the cell
    ((12, 3), 1),
]


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize(("pct", "step"), CELLS)
def test_cell_probability_matches_incomplete_beta_quadrature(pct, step, alpha):
    lo, hi = cell_bounds(np.array([pct], dtype=float), step)
    ref = reference_logp(lo[0], hi[0], alpha)
    assert kernel_logp(pct, step, alpha)[0] == pytest.approx(ref, abs=LOGP_TOL)


@pytest.mark.parametrize(
    ("pct", "step", "alpha"),
    [((35, 30), 5, (4.5, 5.0, 6.0)), ((45, 50), 5, (3.0, 2.0, 1.5)), ((20, 80), 10, (2, 3, 1.2))],
)
def test_cell_probability_matches_dblquad(pct, step, alpha):
    lo, hi = cell_bounds(np.array(pct, dtype=float), step)
    a = np.asarray(alpha)
    lnb = gammaln(a).sum() - gammaln(a.sum())

    def density(ys, ym):
        yo = max(1.0 - ym - ys, 0.0)
        return np.exp((a[0] - 1) * np.log(ym) + (a[1] - 1) * np.log(ys) - lnb) * yo ** (a[2] - 1)

    ref, _ = integrate.dblquad(
        density,
        lo[0],
        min(hi[0], 1 - lo[1]),
        lambda ym: lo[1],
        lambda ym: min(hi[1], 1 - ym),
        epsabs=0,
        epsrel=1e-11,
    )
    assert kernel_logp(pct, step, alpha)[0] == pytest.approx(np.log(ref), abs=1e-8)


def test_cell_probability_matches_monte_carlo_with_small_alpha():
    # a < 1: the density is unbounded at 0; the cells starting at 0 carry most mass
    alpha = np.array([0.3, 0.8, 1.5])
    rng = np.random.default_rng(20260)
    draws = rng.dirichlet(alpha, size=2_000_000)
    step = 10
    r = np.round(100 * draws[:, :2] / step) * step
    for pct in [(0, 0), (0, 30), (10, 20), (0, 100), (50, 50)]:
        hit = np.mean((r[:, 0] == pct[0]) & (r[:, 1] == pct[1]))
        se = np.sqrt(hit * (1 - hit) / draws.shape[0])
        p = np.exp(kernel_logp(pct, step, alpha)[0])
        assert abs(p - hit) < 4 * se + 1e-6, (pct, p, hit, se)  # 4 binomial SEs


@pytest.mark.parametrize("step", [5, 10])
@pytest.mark.parametrize("alpha", [(4.5, 5.0, 6.0), (0.4, 0.7, 0.3), (15.0, 2.0, 0.8)])
def test_cell_probabilities_on_the_full_grid_sum_to_one(step, alpha):
    grid = np.arange(0, 101, step)
    pct = np.array([(m, s) for m in grid for s in grid if m + s <= 100], dtype=float)
    total = np.exp(kernel_logp(pct, step, alpha)).sum()
    assert total == pytest.approx(1.0, abs=1e-9)


def test_floor_cell_is_the_union_of_the_zero_and_first_cells():
    alpha = (0.7, 3.0, 2.0)
    floored = np.exp(kernel_logp([(5, 40)], 5, alpha, floor=True)[0])
    zero, first = np.exp(kernel_logp([(0, 40), (5, 40)], 5, alpha))
    assert floored == pytest.approx(zero + first, rel=1e-10)


# ----------------------------------------------------------------------------
# derivatives
# ----------------------------------------------------------------------------
def _model_data(n=60, seed=3, step=5.0):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.normal(size=n)])
    z = np.column_stack([np.ones(n), 0.3 * rng.normal(size=n)])
    theta = np.array([0.1, 0.3, -0.2, 0.2, np.log(3.0), 0.2])
    _, _, alpha = _alpha(theta, x, z)
    g = rng.standard_gamma(alpha)
    y = g / g.sum(axis=1, keepdims=True)
    m = np.round(100 * y[:, 0] / step) * step
    s = np.round(100 * y[:, 1] / step) * step
    # boundary cells: marketing 0, other 0, corner at other = 0, self 100
    m[:3] = 0
    m[3], s[3] = 50, 50
    m[4], s[4] = 45, 50
    m[5], s[5] = 0, 100
    pct = pd.DataFrame({"marketing": m, "self": s, "other": 100 - m - s})
    exog = pd.DataFrame({"Intercept": 1.0, "x": x[:, 1]})
    exog_p = pd.DataFrame({"Intercept": 1.0, "w": z[:, 1]})
    return pct, exog, exog_p, theta


def test_score_matches_finite_differences_of_the_loglikelihood():
    pct, exog, exog_p, theta = _model_data()
    model = RoundedDirichletRegression(pct, exog, 5, exog_precision=exog_p)
    score = model.score(theta)
    num = np.array(
        [
            (model.loglike(theta + FD_STEP * e) - model.loglike(theta - FD_STEP * e))
            / (2 * FD_STEP)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(score, num, atol=FD_RTOL * np.abs(score).max())
    np.testing.assert_allclose(model.score_obs(theta).sum(axis=0), score, rtol=1e-12)


def test_hessian_matches_finite_differences_of_the_score():
    pct, exog, exog_p, theta = _model_data()
    model = RoundedDirichletRegression(pct, exog, 5, exog_precision=exog_p)
    hess = model.hessian(theta)
    num = np.array(
        [
            (model.score(theta + FD_STEP * e) - model.score(theta - FD_STEP * e)) / (2 * FD_STEP)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(hess, num, atol=FD_RTOL * np.abs(hess).max())
    np.testing.assert_allclose(hess, hess.T, atol=1e-10 * np.abs(hess).max())


def test_fit_converges_with_a_tiny_gradient():
    pct, exog, exog_p, _ = _model_data(n=400, seed=4)
    res = RoundedDirichletRegression(pct, exog, 5, exog_precision=exog_p).fit()
    assert res.converged
    assert res.gradient_norm < 1e-6
    # the covariance is the inverse of the negative Hessian at the estimate
    np.testing.assert_allclose(
        res.cov_params().to_numpy() @ -res.hessian.to_numpy(), np.eye(6), atol=1e-8
    )


# ----------------------------------------------------------------------------
# limits and recovery
# ----------------------------------------------------------------------------
def test_vanishing_step_gives_the_exact_share_estimates():
    # exact shares from the model; percents rounded to h = 1e-4 percentage points
    # seed 12: no share within sqrt(eps) of 0, so the exact-share model compresses nothing
    survey, _ = simulate(StudyDesign(heap_step=0), seed=12)
    frame = build_analysis_frame(validate_survey(survey))
    assert frame.n_compressed == 0
    exact = fit_main_model(frame)
    step = 1e-4
    pct = np.round(analysis_percents(frame).to_numpy() / step) * step
    pct = pd.DataFrame(pct, index=frame.data.index, columns=COMPONENTS)
    model = RoundedDirichletRegression(pct, exact.model._exog_frames[""], step)
    res = model.fit()
    assert res.converged
    # rounding moves each share by at most 5e-7 (the smallest share is 1e-5, whose log
    # moves by up to 5%), so the estimates move by about 5e-5
    np.testing.assert_allclose(res.params, exact.params, atol=1e-4)
    np.testing.assert_allclose(res.bse, exact.bse, rtol=1e-3)
    # Midpoint rule with its second-order term: for a w x w cell centred at c,
    # P = w^2 f(c) [1 + (w^2 / 24)(f_mm + f_ss) / f + O(w^4)], with
    # f_kk / f = (d_k log f)^2 + d_kk log f along y_k (y_other = 1 - y_m - y_s).
    centre = pct / 100.0
    centre["other"] = 1.0 - centre["marketing"] - centre["self"]
    at_r = DirichletRegression(centre, exact.model._exog_frames[""])
    w = step / 100.0
    a = res.predict(kind="alpha").to_numpy() - 1.0
    y = centre.to_numpy()
    curv = 0.0
    for k in (0, 1):
        d1 = a[:, k] / y[:, k] - a[:, 2] / y[:, 2]
        d2 = -a[:, k] / y[:, k] ** 2 - a[:, 2] / y[:, 2] ** 2
        curv += (d1**2 + d2).sum()
    expected = at_r.loglike(res.params) + 2 * res.nobs * np.log(w) + w**2 / 24 * curv
    assert res.llf == pytest.approx(expected, abs=1e-6)


def test_recovers_known_parameters_from_rounded_percents():
    rng = np.random.default_rng(77)
    n, step = 4000, 10
    x = np.column_stack([np.ones(n), rng.normal(size=n)])
    z = np.column_stack([np.ones(n), rng.normal(size=n) * 0.5])
    truth = np.array([-0.3, 0.4, 0.2, -0.3, np.log(8.0), 0.3])
    _, _, alpha = _alpha(truth, x, z)
    g = rng.standard_gamma(alpha)
    y = g / g.sum(axis=1, keepdims=True)
    m = np.round(100 * y[:, 0] / step) * step
    s = np.round(100 * y[:, 1] / step) * step
    pct = pd.DataFrame({"marketing": m, "self": s, "other": 100 - m - s})
    exog = pd.DataFrame({"Intercept": 1.0, "x": x[:, 1]})
    exog_p = pd.DataFrame({"Intercept": 1.0, "w": z[:, 1]})
    res = RoundedDirichletRegression(pct, exog, step, exog_precision=exog_p).fit()
    zstat = (res.params.to_numpy() - truth) / res.bse.to_numpy()
    assert np.abs(zstat).max() < 4.0, zstat  # 4 standard errors
    # the exact-share model on the compressed midpoints misses the precision badly
    mid = DirichletRegression(res.model.shares, exog, exog_precision=exog_p).fit()
    assert abs(mid.params.iloc[4] - truth[4]) > 10 * mid.bse.iloc[4]


def _round_nearest(survey: pd.DataFrame, step: int) -> pd.DataFrame:
    out = survey.copy()
    m = np.maximum(np.round(survey["pct_marketing"] / step) * step, step)
    s = np.minimum(np.round(survey["pct_self"] / step) * step, 100 - m)
    out["pct_marketing"], out["pct_self"], out["pct_other"] = m, s, 100 - m - s
    return out


def _mc_effects(n_reps: int, n_sims: int, step: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    est, se = [], []
    truth = None
    for i in range(n_sims):
        survey, t = simulate(
            StudyDesign(n_reps=n_reps, heap_step=0), seed=np.random.default_rng([seed, i])
        )
        truth = t.effects["value"]
        frame = build_analysis_frame(validate_survey(_round_nearest(survey, step)))
        res = fit_rounded_main_model(frame, step=step)
        e = model_effects(res, frame).set_index("id")
        est.append(e["estimate"])
        se.append(e["std_error"])
    return pd.DataFrame({"mean": pd.concat(est, axis=1).mean(axis=1),
                         "sd": pd.concat(est, axis=1).std(axis=1, ddof=1),
                         "se": pd.concat(se, axis=1).mean(axis=1)}), truth  # fmt: skip


def test_quick_monte_carlo_shows_no_gross_bias():
    table, truth = _mc_effects(n_reps=1000, n_sims=5, step=10, seed=31)
    ids = [f"H{k}" for k in range(1, 12)]
    # Monte Carlo SE of the mean from the model's standard errors; 4 of them
    mcse = table.loc[ids, "se"] / np.sqrt(5)
    gap = (table.loc[ids, "mean"] - truth[ids]).abs()
    assert (gap < 4 * mcse).all(), pd.DataFrame({"gap": gap, "mcse": mcse})


@pytest.mark.slow
def test_monte_carlo_bias_and_standard_errors_at_step_ten():
    n_sims = 40
    table, truth = _mc_effects(n_reps=2000, n_sims=n_sims, step=10, seed=47)
    ids = [f"H{k}" for k in range(1, 12)]
    mcse = table.loc[ids, "sd"] / np.sqrt(n_sims)
    assert ((table.loc[ids, "mean"] - truth[ids]).abs() < 3.5 * mcse).all()
    # model standard errors agree with the spread of the estimates (to the
    # precision 40 replications allow: the SD is known to about +-11%)
    ratio = table.loc[ids, "se"] / table.loc[ids, "sd"]
    assert ((ratio > 0.75) & (ratio < 1.3)).all(), ratio


# ----------------------------------------------------------------------------
# interface
# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rounded_fit():
    survey, _ = simulate(StudyDesign(heap_step=5), seed=7)
    frame = build_analysis_frame(validate_survey(survey))
    return frame, fit_rounded_main_model(frame)


def test_results_follow_the_exact_share_model_layout(rounded_fit):
    frame, res = rounded_fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        exact = fit_main_model(frame)
    assert isinstance(res, RoundedDirichletResults)
    assert res.params.index.equals(exact.params.index)
    assert res.cov_params().index.equals(exact.params.index)
    assert res.bse.index.equals(exact.params.index)
    assert res.nobs == exact.nobs == len(frame.data)
    assert res.step == 5.0 and res.model.floor == "marketing"
    pred = res.predict()
    assert list(pred.columns) == COMPONENTS
    np.testing.assert_allclose(pred.sum(axis=1), 1.0)
    assert res.model_name == "dirichlet_rounded"
    share_model = ShareModel.from_results(res)
    assert share_model.link.equations == ("marketing", "self")
    assert share_model.components[share_model.link.base] == "other"
    assert set(res.tidy()["equation"]) == {"marketing", "self", "precision"}
    assert res.fit_stats()["model"] == "dirichlet_rounded"
    table = model_effects(res, frame)
    assert table["id"].tolist()[:2] == ["H1", "H2"]
    assert np.isfinite(table["std_error"]).all()
    assert "Rounding-aware" in res.summary()
    assert "step=5" in repr(res) and "floor='marketing'" in repr(res.model)


def test_lr_test_between_rounded_fits(rounded_fit):
    frame, res = rounded_fit
    pct = analysis_percents(frame)
    exog = res.model._exog_frames[""]
    small = RoundedDirichletRegression(
        pct, exog[["Intercept"]], 5, base="other", floor="marketing"
    ).fit()
    test = res.lr_test(small)
    assert test.df == res.df_model - small.df_model
    assert test.stat > 0


def test_detect_rounding_step():
    assert detect_rounding_step([10, 20, 0], [30, 40, 100]) == 10
    assert detect_rounding_step([10, 25], [30, 40]) == 5
    assert detect_rounding_step([10, 22], [30, 40]) == 1
    assert detect_rounding_step([10.5, 22], [30, 40]) is None
    assert detect_rounding_step(np.array([10.0 + 1e-12]), np.array([20.0])) == 10


def test_rounding_step_of_a_frame(rounded_fit):
    frame, _ = rounded_fit
    assert rounding_step_of(frame) == 5
    survey, _ = simulate(StudyDesign(heap_step=0), seed=3)
    exact_frame = build_analysis_frame(validate_survey(survey))
    assert rounding_step_of(exact_frame) is None


def test_fit_warns_when_not_converged():
    pct, exog, exog_p, _ = _model_data()
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        RoundedDirichletRegression(pct, exog, 5).fit(maxiter=0)


# ----------------------------------------------------------------------------
# every raise
# ----------------------------------------------------------------------------
def _pct():
    return pd.DataFrame({"marketing": [35.0, 10.0], "self": [30.0, 50.0], "other": [35.0, 40]})


ONES = pd.DataFrame({"Intercept": [1.0, 1.0]})


@pytest.mark.parametrize(
    ("pm", "ps", "match"),
    [
        ([], [], "at least one reported percent"),
        ([10, 20], [30], "must match"),
        ([10, np.nan], [30, 40], "missing or infinite"),
    ],
)
def test_detect_rounding_step_raises(pm, ps, match):
    with pytest.raises(EstimationError, match=match):
        detect_rounding_step(pm, ps)


@pytest.mark.parametrize(
    ("step", "match"),
    [("5", "positive number"), (True, "positive number"), (0, r"\(0, 100\]"), (150, r"\(0, 100\]")],
)
def test_bad_step_raises(step, match):
    with pytest.raises(EstimationError, match=match):
        RoundedDirichletRegression(_pct(), ONES, step)


def test_model_raises_on_bad_endog_and_options():
    with pytest.raises(EstimationError, match="exactly 3 components"):
        RoundedDirichletRegression(_pct()[["marketing", "self"]], ONES, 5)
    with pytest.raises(EstimationError, match="no rows"):
        RoundedDirichletRegression(_pct().iloc[:0], ONES.iloc[:0], 5)
    bad = _pct()
    bad.loc[0, "marketing"] = 120.0
    with pytest.raises(EstimationError, match="between 0 and 100"):
        RoundedDirichletRegression(bad, ONES, 5)
    with pytest.raises(EstimationError, match="component name"):
        RoundedDirichletRegression(_pct(), ONES, 5, base=2)
    with pytest.raises(EstimationError, match="base must be one of"):
        RoundedDirichletRegression(_pct(), ONES, 5, base="leads")
    with pytest.raises(EstimationError, match="floor must be None or one of"):
        RoundedDirichletRegression(_pct(), ONES, 5, floor="other")
    empty = _pct()
    empty.loc[1, ["marketing", "self"]] = [60.0, 50.0]
    with pytest.raises(EstimationError, match="are empty"):
        RoundedDirichletRegression(empty, ONES, 5)
    with pytest.raises(EstimationError, match="from_formula is not available"):
        RoundedDirichletRegression.from_formula("marketing + self + other ~ 1", _pct())


def test_fit_raises_on_bad_options():
    model = RoundedDirichletRegression(_pct(), ONES, 5)
    with pytest.raises(EstimationError, match="maxiter"):
        model.fit(maxiter=-1)
    with pytest.raises(EstimationError, match="tol"):
        model.fit(tol=0)
    with pytest.raises(EstimationError, match="cov_type"):
        model.fit(cov_type="hc3")


def test_lr_test_raises_on_other_data(rounded_fit):
    frame, res = rounded_fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        exact = fit_main_model(frame)
    with pytest.raises(EstimationError, match="same reported percents and step"):
        res.lr_test(exact)


def test_main_model_helpers_raise():
    survey, _ = simulate(StudyDesign(heap_step=0), seed=3)
    frame = build_analysis_frame(validate_survey(survey))
    with pytest.raises(EstimationError, match="not all whole numbers"):
        fit_rounded_main_model(frame)
    with pytest.raises(EstimationError, match="expected analysis data holding the shares"):
        analysis_percents(pd.DataFrame({"a": [1]}))


def test_registered_fit_refits_a_resample_with_its_options(rounded_fit):
    # The bootstrap refits with fit_share_model(data, model_name, **fit_options) on a
    # data frame: the step is kept and the percents are read from the shares.
    frame, res = rounded_fit
    again = fit_share_model(frame.data, res.model_name, **res.fit_options)
    assert again.step == res.step
    np.testing.assert_allclose(again.params, res.params, rtol=0, atol=1e-8)


def test_robust_covariance_is_the_score_sandwich(rounded_fit):
    frame, res = rounded_fit
    robust = fit_share_model(frame, "dirichlet_rounded", cov_type="robust")
    np.testing.assert_allclose(robust.params, res.params, rtol=0, atol=1e-10)
    # independent assembly from the model's public derivatives
    p = res.params.to_numpy()
    h_inv = np.linalg.inv(res.model.hessian(p))
    s = res.model.score_obs(p)
    sandwich = h_inv @ (s.T @ s) @ h_inv
    np.testing.assert_allclose(robust.cov_params().to_numpy(), sandwich, rtol=1e-8, atol=1e-14)
    assert robust.cov_type == "robust" and robust.fit_options["cov_type"] == "robust"


def test_precision_formula_of_the_rounded_model(rounded_fit):
    frame, res = rounded_fit
    full = fit_share_model(frame, "dirichlet_rounded", precision="firm + experience")
    terms = [t for e, t in full.params.index if e == "precision"]
    assert terms == ["Intercept", "firm[T.B]", "firm[T.C]", "firm[T.D]", "experience"]
    lr = full.lr_test(res)
    assert lr.df == 4 and lr.stat >= 0


def test_step_is_detected_on_reported_percents_that_do_not_add_to_100():
    """A rep answering 50/30/21 (sum 101) keeps whole-number answers: the step is read from them.

    Dividing by the row sum would give 49.505...% and no step; the contract allows sums of 100 ± 1.
    """
    from leadblackhole.data import build_analysis_frame, validate_survey
    from leadblackhole.models.main_rounded import analysis_percents, rounding_step_of
    from leadblackhole.simulation import StudyDesign, simulate

    survey_df, _ = simulate(StudyDesign(n_reps=120, heap_step=5), seed=11)
    df = survey_df.copy()
    row = df.index[df["pct_other"] >= 5][0]
    df.loc[row, "pct_other"] += 1  # the row now sums to 101
    frame = build_analysis_frame(validate_survey(df))
    pct = analysis_percents(frame)
    assert rounding_step_of(frame) == 5
    rep = frame.raw.index[frame.raw["rep_id"] == df.loc[row, "rep_id"]]
    if len(rep):
        assert pct.loc[rep[0], "other"] == df.loc[row, "pct_other"]
