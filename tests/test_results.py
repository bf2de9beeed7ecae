"""Tests of the results interface (ShareResults, links, the model registry).

Where a number is asserted, the comment says where it comes from: a closed
form computed in the test, finite differences, or statsmodels' own results.
The last part adds a model the package does not have (a fractional probit)
through one adapter and checks that the effects engine, the hypothesis table
and the bootstrap work with it unchanged.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special, stats

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import (
    EffectSpec,
    average_effects,
    bootstrap_effects,
    hypothesis_table,
    model_effects,
)
from leadblackhole.exceptions import EstimationError
from leadblackhole.models import (
    AdaptedResults,
    IdentityLink,
    Link,
    LogitLink,
    ShareResults,
    SoftmaxLink,
    WaldTest,
    analysis_data,
    fit_share_model,
    register_model,
    registered_models,
)
from leadblackhole.models.dirichlet import kernel
from leadblackhole.models.main import analysis_exog
from leadblackhole.models.results import ESTIMATE_COLUMNS, FIT_STAT_COLUMNS
from leadblackhole.registry import HYPOTHESES
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.specification import design_matrix

from .conftest import FIXTURE_SEED

REGISTRY = {h.id: h for h in HYPOTHESES}


@pytest.fixture(scope="module")
def frame():
    survey, _ = simulate(StudyDesign(n_reps=300), seed=FIXTURE_SEED)
    return build_analysis_frame(validate_survey(survey))


@pytest.fixture(scope="module")
def dirichlet(frame):
    return fit_share_model(frame, "dirichlet")


# ----------------------------------------------------------------------------
# the registry and the common interface
# ----------------------------------------------------------------------------
def test_registry_names_every_model():
    assert {"dirichlet", "ols", "fractional_logit", "sur", "probit"} <= set(registered_models())


@pytest.mark.parametrize("name", ["dirichlet", "ols", "fractional_logit", "sur"])
def test_every_model_offers_the_interface(frame, name):
    res = fit_share_model(frame, name)
    assert isinstance(res, ShareResults) and res.model_name == name
    assert res.params.index.names == ["equation", "term"]
    cov = res.cov_params()
    assert cov.index.equals(res.params.index) and cov.columns.equals(res.params.index)
    # bse is the root of the covariance diagonal; the interval is params -/+ q * bse
    np.testing.assert_allclose(res.bse, np.sqrt(np.diag(cov)), rtol=1e-14)
    ci = res.conf_int(0.1)
    q = (stats.norm if res.df_resid is None else stats.t(res.df_resid)).ppf(0.95)
    np.testing.assert_allclose(ci["upper"] - res.params, q * res.bse, rtol=1e-12)
    tidy = res.tidy()
    assert tuple(tidy.columns) == ESTIMATE_COLUMNS and len(tidy) == len(res.params)
    assert tuple(res.fit_stats()) == FIT_STAT_COLUMNS
    assert res.nobs == frame.n
    assert name.split("_")[0] in res.summary().lower()
    # the results survive a pickle (a user's own store, a Dask worker)
    back = pickle.loads(pickle.dumps(res))
    pd.testing.assert_series_equal(back.params, res.params)


def test_statistics_follow_the_wrapped_statsmodels_results(frame):
    ols = fit_share_model(frame, "ols")
    # statsmodels' own t statistics, p-values (t with n - p df) and intervals
    np.testing.assert_allclose(ols.tvalues, ols.raw.tvalues, rtol=1e-12)
    np.testing.assert_allclose(ols.pvalues, ols.raw.pvalues, rtol=1e-10)
    np.testing.assert_allclose(ols.conf_int()["lower"], ols.raw.conf_int()[0], rtol=1e-12)
    flogit = fit_share_model(frame, "fractional_logit")
    np.testing.assert_allclose(flogit.pvalues, flogit.raw.pvalues, rtol=1e-10)
    assert np.isnan(flogit.llf) and np.isnan(flogit.aic)  # a quasi-likelihood


def test_unknown_model_raises(frame):
    with pytest.raises(EstimationError, match="unknown share model 'beta'"):
        fit_share_model(frame, "beta")


def test_adapted_results_are_immutable(frame):
    ols = fit_share_model(frame, "ols")
    with pytest.raises(AttributeError, match="immutable"):
        ols.llf = 0.0


# ----------------------------------------------------------------------------
# Dirichlet results: the statsmodels conventions
# ----------------------------------------------------------------------------
def test_dirichlet_tests_on_linear_restrictions(dirichlet):
    p, V = dirichlet.params, dirichlet.cov_params()
    a, b = ("marketing", "prequal"), ("self", "prequal")
    # closed form of one restriction: (b_a + b_b) / sqrt(V_aa + V_bb + 2 V_ab)
    est = p[a] + p[b]
    se = np.sqrt(V.loc[a, a] + V.loc[b, b] + 2 * V.loc[a, b])
    t = dirichlet.t_test({a: 1.0, b: 1.0})
    assert t.loc[0, "estimate"] == pytest.approx(est, rel=1e-12)
    assert t.loc[0, "std_error"] == pytest.approx(se, rel=1e-12)
    assert t.loc[0, "p_value"] == pytest.approx(2 * stats.norm.sf(abs(est / se)), rel=1e-10)
    w = dirichlet.wald_test({a: 1.0, b: 1.0}, null="equal and opposite")
    assert isinstance(w, WaldTest) and (w.df, w.dist_name, w.null) == (
        1,
        "chi2",
        "equal and opposite",
    )
    assert w.stat == pytest.approx((est / se) ** 2, rel=1e-10)
    # two restrictions at once, as a matrix: W = d' (R V R')^-1 d, chi2(2)
    R = np.zeros((2, len(p)))
    R[0, p.index.get_loc(a)] = 1.0
    R[1, p.index.get_loc(b)] = 1.0
    q = np.array([0.1, -0.1])
    d = R @ p.to_numpy() - q
    W = d @ np.linalg.solve(R @ V.to_numpy() @ R.T, d)
    joint = dirichlet.wald_test(R, q)
    assert joint.stat == pytest.approx(W, rel=1e-10) and joint.df == 2
    assert joint.pval == pytest.approx(stats.chi2.sf(W, 2), rel=1e-10)
    # AIC and BIC count every parameter (precision included)
    k = len(p)
    assert dirichlet.aic == pytest.approx(-2 * dirichlet.llf + 2 * k)
    assert dirichlet.bic == pytest.approx(-2 * dirichlet.llf + np.log(dirichlet.nobs) * k)
    assert "Dirichlet regression results" in dirichlet.summary()


def test_restriction_errors(dirichlet):
    with pytest.raises(EstimationError, match="no parameter \\('marketing', 'age'\\)"):
        dirichlet.t_test({("marketing", "age"): 1.0})
    with pytest.raises(EstimationError, match="needs .* weights"):
        dirichlet.wald_test(np.ones((1, 3)))
    R = np.zeros((2, len(dirichlet.params)))
    R[:, 0] = 1.0  # the same restriction twice: R V R' is singular
    with pytest.raises(EstimationError, match="singular"):
        dirichlet.wald_test(R)
    with pytest.raises(EstimationError, match="alpha must lie strictly between 0 and 1"):
        dirichlet.conf_int(0.0)


def test_dirichlet_robust_covariance_is_the_score_sandwich(frame, dirichlet):
    robust = fit_share_model(frame, "dirichlet", cov_type="robust")
    assert robust.cov_type == "robust" and dirichlet.cov_type == "oim"
    np.testing.assert_allclose(robust.params, dirichlet.params, rtol=1e-12)
    # independent computation: per-observation scores by central differences of the
    # per-observation log-likelihood, the Hessian by differences of the summed score
    model = robust.model
    theta = dirichlet.params.to_numpy()
    args = model._kernel_args()

    def ll_obs(t):
        return kernel.loglike_obs_alternative(t, *args)

    k = theta.size
    scores = np.empty((model.nobs, k))
    hess = np.empty((k, k))
    for j in range(k):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, dn = theta.copy(), theta.copy()
        up[j] += h
        dn[j] -= h
        scores[:, j] = (ll_obs(up) - ll_obs(dn)) / (2 * h)
        hess[:, j] = (model.score(up) - model.score(dn)) / (2 * h)
    hinv = np.linalg.inv(hess)
    sandwich = hinv @ (scores.T @ scores) @ hinv
    # central differences with steps 1e-6: about 1e-8 relative error, relative to the
    # matrix's scale for its near-zero entries (a covariance of -1.7e-5 beside variances of
    # 0.2 differs by 2.7e-10 on the survey with experience capped at 60 years)
    scale = np.abs(sandwich).max()
    np.testing.assert_allclose(
        robust.cov_params().to_numpy(), sandwich, rtol=1e-5, atol=1e-8 * scale
    )
    # and it differs from the observed-information covariance
    assert not np.allclose(robust.bse, dirichlet.bse, rtol=1e-3)
    with pytest.raises(EstimationError, match="cov_type must be one of"):
        fit_share_model(frame, "dirichlet", cov_type="hc3")


def test_mean_share_interface_of_the_dirichlet_model(frame, dirichlet):
    link = dirichlet.link
    assert isinstance(link, SoftmaxLink)
    assert link.components == ("marketing", "self", "other") and link.base == 2
    coef = dirichlet.mean_coef
    assert list(coef.columns) == ["marketing", "self"]
    assert list(coef.index) == dirichlet.mean_terms
    assert dirichlet.mean_cov.shape == (coef.size, coef.size)
    # the mean shares are the model's fitted values
    X = design_matrix(frame.data)
    np.testing.assert_allclose(
        dirichlet.mean_shares(X), dirichlet.fittedvalues.to_numpy(), rtol=1e-12
    )


@pytest.mark.parametrize(
    "link",
    [SoftmaxLink(("a", "b", "c"), ("a", "b"), base=2), LogitLink("a"), IdentityLink("a")],
    ids=["softmax", "logit", "identity"],
)
def test_link_derivatives_equal_finite_differences(link):
    rng = np.random.default_rng(5)
    q = len(link.equations)
    eta, a, b, c = (rng.normal(size=(4, q)) for _ in range(4))
    h = 1e-5
    # d mu / dx with eta moving by a: central difference along the direction a
    fd1 = (link.effect(0, eta + h * a, 0, 0, 0) - link.effect(0, eta - h * a, 0, 0, 0)) / (2 * h)
    np.testing.assert_allclose(link.effect(1, eta, a, b, c), fd1, rtol=1e-6, atol=1e-9)

    # cross-partial: eta(x, m) = eta + x a + m b + x m c
    def mu(x, m):
        return link.effect(0, eta + x * a + m * b + x * m * c, 0, 0, 0)

    fd2 = (mu(h, h) - mu(h, -h) - mu(-h, h) + mu(-h, -h)) / (4 * h * h)
    np.testing.assert_allclose(link.effect(2, eta, a, b, c), fd2, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------
# a new model through one adapter: a fractional probit
# ----------------------------------------------------------------------------
class ProbitLink(Link):
    """One share with a probit mean: mu = Phi(eta), written with erf (complex-step safe)."""

    name = "probit"

    def __init__(self, outcome: str) -> None:
        super().__init__((outcome, "rest"), (outcome,))

    @property
    def outcomes(self):
        return self.components[:1]

    def effect(self, order, eta, a, b, c):
        pdf = np.exp(-(eta**2) / 2) / np.sqrt(2 * np.pi)
        if order == 0:
            out = 0.5 * (1 + special.erf(eta / np.sqrt(2)))
            return np.concatenate([out, 1 - out], axis=-1)
        # d Phi / dx = phi a; d2 Phi / dx dm = phi (c - eta a b)
        out = pdf * a if order == 1 else pdf * (c - eta * a * b)
        return np.concatenate([out, -out], axis=-1)


@register_model("fractional_probit")
def fit_fractional_probit(frame, component: str = "marketing") -> AdaptedResults:
    """The model (statsmodels GLM) and its one adapter."""
    data = analysis_data(frame)
    link = sm.families.links.Probit()
    raw = sm.GLM(data[component], analysis_exog(data), family=sm.families.Binomial(link)).fit(
        cov_type="HC0"
    )
    params = raw.params.copy()
    params.index = pd.MultiIndex.from_tuples([(component, t) for t in params.index])
    return AdaptedResults(
        raw,
        "fractional_probit",
        params,
        raw.cov_params(),
        nobs=raw.nobs,
        link=ProbitLink(component),
        converged=raw.converged,
        fit_options={"component": component},
    )


def test_a_new_model_needs_only_its_adapter(frame):
    res = fit_share_model(frame, "fractional_probit")
    table = model_effects(res, frame).set_index("id")
    assert (table["model"] == "fractional_probit").all() and "H2" not in table.index
    # the estimates are finite differences of the model's own predictions
    X = design_matrix(frame.data)
    for hid in ("H1", "H7"):
        h = REGISTRY[hid]
        sx = 1e-3 * frame.data[h.predictor].std()
        sm_ = 1e-3 * frame.data[h.moderator].std() if h.moderator else 0.0

        def pred(dx, dm, h=h):
            d = frame.data.copy()
            d[h.predictor] += dx
            if h.moderator:
                d[h.moderator] += dm
            return res.raw.predict(design_matrix(d)[X.columns]).mean()

        if h.moderator is None:
            fd = (pred(sx, 0) - pred(-sx, 0)) / (2 * sx)
        else:
            fd = (pred(sx, sm_) - pred(sx, -sm_) - pred(-sx, sm_) + pred(-sx, -sm_)) / (
                4 * sx * sm_
            )
        # central differences with steps of 1e-3 SD: O(step^2) truncation error
        assert table.loc[hid, "estimate"] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    # inference: the delta method with the complex-step gradient through the new link
    # equals a central-difference gradient of the estimate in the coefficients
    spec = [EffectSpec("marketing", "prequal")]
    base = average_effects(res, frame, spec)
    theta = res.mean_coef.to_numpy().ravel()

    def estimate(t):
        params = pd.Series(t, index=res.params.index)
        toy = AdaptedResults(None, "toy", params, res.cov_params(), nobs=res.nobs, link=res.link)
        return average_effects(toy, frame, spec)["estimate"].iloc[0]

    grad = np.array(
        [(estimate(theta + e) - estimate(theta - e)) / 2e-6 for e in 1e-6 * np.eye(theta.size)]
    )
    # unconditional variance: plus the variance over reps of the per-rep effects / n
    per_rep = _per_rep(res, frame)
    var = grad @ res.cov_params().to_numpy() @ grad + np.var(per_rep, ddof=1) / len(per_rep)
    assert base["std_error"].iloc[0] == pytest.approx(np.sqrt(var), rel=1e-5)
    # the table of several models and the bootstrap (refits by name) take it as is
    both = hypothesis_table(frame, [res, fit_share_model(frame, "ols")])
    assert both["model"].unique().tolist() == ["fractional_probit", "ols"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = bootstrap_effects(res, frame, n_boot=3, seed=4, progress=False)
    assert boot.n_failed == 0 and (boot.table["model"] == "fractional_probit").all()


def _per_rep(res, frame) -> np.ndarray:
    """Per-rep derivative of Phi(x'b) by prequal, for the variance over reps."""
    X = design_matrix(frame.data)
    b = res.params["marketing"]
    eta = X.to_numpy() @ b.to_numpy()
    dx = sum(
        b[t] * (frame.data[t.replace("prequal", "").strip(":")] if t != "prequal" else 1.0)
        for t in b.index
        if "prequal" in t.split(":")
    )
    return stats.norm.pdf(eta) * np.asarray(dx, dtype=float)
