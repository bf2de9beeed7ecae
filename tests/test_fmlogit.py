"""Tests of the fractional multinomial logit (``leadblackhole.models.fmlogit``).

Reference numbers come from ``tests/reference/fmlogit/reference_values.json``,
computed by ``tests/reference/fmlogit/fit_reference.R``: point estimates from R's
``nnet::multinom`` on the share matrix, the HC0 sandwich from a closed form
written out in R with explicit matrix algebra (versions in
``tests/reference/fmlogit/VERSIONS.md``), on the raw-share data sets written by
``make_datasets.py`` in the same folder (with exact zeros, and exact ones in
the ``boundary`` case).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadblackhole.data import AnalysisFrame
from leadblackhole.effects import EffectSpec, ShareModel, average_effects, model_effects
from leadblackhole.exceptions import ConvergenceWarning, EstimationError
from leadblackhole.models import fit_share_model
from leadblackhole.models.fmlogit import (
    FractionalMultinomialLogit,
    FractionalMultinomialLogitResults,
    fit_fmlogit,
)
from leadblackhole.models.main import fit_main_model
from leadblackhole.specification import COMPONENTS, design_matrix

REF_DIR = Path(__file__).parent / "reference" / "fmlogit"
META = json.loads((REF_DIR / "datasets.json").read_text())
REF = json.loads((REF_DIR / "reference_values.json").read_text())
CASES = sorted(META)

#: Absolute tolerance on coefficients against multinom. multinom's BFGS stops
#: with a gradient of up to 2e-5 (``max_abs_score`` in the JSON), which moves the
#: coefficients by about 1e-7; 1e-6 is the contract.
COEF_ATOL = 1e-6
#: Relative tolerance on HC0 standard errors against the R closed form.
SE_RTOL = 1e-4
#: Relative tolerance of numerical derivatives (central differences).
NUM_RTOL = 1e-6


def _frame(data: pd.DataFrame) -> AnalysisFrame:
    data = data.reset_index(drop=True)
    return AnalysisFrame(
        data=data,
        raw=data,
        means=pd.Series(dtype=float),
        selection=data.assign(any_marketing=1),
        exclusions=pd.DataFrame(columns=["row", "rep_id", "reason"]),
        n_read=len(data),
        n_compressed=0,
        scales={},
    )


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / META[name]["file"], dtype={"rep_id": str, "firm": str})


@pytest.fixture(scope="module")
def fits():
    return {name: fit_fmlogit(_frame(_read(name))) for name in CASES}


def _labels(ref: dict) -> pd.MultiIndex:
    return pd.MultiIndex.from_tuples([tuple(k.split("|")) for k in ref], names=["equation", "term"])


# ----------------------------------------------------------------------------
# the reference data sets
# ----------------------------------------------------------------------------
def test_reference_data_have_boundary_shares():
    assert META["three_firms"]["n_zero_cells"] > 0
    assert META["boundary"]["n_one_cells"] > 0
    for name in CASES:
        y = _read(name)[list(COMPONENTS)].to_numpy()
        assert np.allclose(y.sum(axis=1), 1.0)


# ----------------------------------------------------------------------------
# against R
# ----------------------------------------------------------------------------
@pytest.mark.reference
@pytest.mark.parametrize("name", CASES)
def test_coefficients_match_multinom(fits, name):
    ref = REF[name]
    res = fits[name]
    expected = pd.Series(ref["params"].values(), index=_labels(ref["params"]))
    assert res.converged
    assert list(res.params.index) == list(expected.index)
    np.testing.assert_allclose(res.params, expected, rtol=0, atol=COEF_ATOL)
    # multinom minimizes -llf; its value is the R-side quasi-log-likelihood
    assert res.llf == pytest.approx(-ref["multinom_value"], abs=1e-8)
    assert res.nobs == ref["nobs"]


@pytest.mark.reference
@pytest.mark.parametrize("name", CASES)
def test_hc0_standard_errors_match_r_closed_form(fits, name):
    ref = REF[name]
    res = fits[name]
    se = pd.Series(ref["hc0_se"].values(), index=_labels(ref["hc0_se"]))
    np.testing.assert_allclose(res.bse, se, rtol=SE_RTOL)
    model_se = pd.Series(ref["model_se"].values(), index=_labels(ref["model_se"]))
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov_params_model())), model_se, rtol=SE_RTOL)


# ----------------------------------------------------------------------------
# derivatives against numerical ones
# ----------------------------------------------------------------------------
def _central(f, theta, h=1e-6):
    cols = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        cols.append((np.asarray(f(theta + e)) - np.asarray(f(theta - e))) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("name", ["three_firms", "boundary"])
def test_score_and_hessian_match_numerical_derivatives(fits, name):
    model = fits[name].model
    rng = np.random.default_rng(11)
    theta = fits[name].params.to_numpy() + rng.normal(0, 0.05, model.k_params)
    g = model.score(theta)
    g_num = _central(model.loglike, theta)
    np.testing.assert_allclose(g, g_num, rtol=NUM_RTOL, atol=1e-6)
    h_num = _central(model.score, theta)
    np.testing.assert_allclose(model.hessian(theta), h_num, rtol=NUM_RTOL, atol=1e-5)
    # per-observation scores: Jacobian of the per-observation quasi-log-likelihood
    s_num = _central(model.loglike_obs, theta)
    np.testing.assert_allclose(model.score_obs(theta), s_num, rtol=NUM_RTOL, atol=1e-7)


def test_score_is_zero_at_the_estimate(fits):
    for res in fits.values():
        assert np.abs(res.score_obs().sum(axis=0)).max() < 1e-8


# ----------------------------------------------------------------------------
# results object
# ----------------------------------------------------------------------------
def test_results_layout_uses_the_main_model_terms(fits):
    res = fits["four_firms"]
    terms = META["four_firms"]["terms"]
    assert res.params.index.names == ["equation", "term"]
    assert list(res.params.index) == [(e, t) for e in ("marketing", "self") for t in terms]
    cov = res.cov_params()
    assert list(cov.index) == list(res.params.index) == list(cov.columns)
    assert isinstance(res, FractionalMultinomialLogitResults)
    frame = res.summary_frame()
    assert list(frame.columns) == [
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    with pytest.raises(AttributeError, match="immutable"):
        res.llf = 0.0
    with pytest.raises(EstimationError, match="alpha must lie"):
        res.conf_int(alpha=1.5)


def test_predict_gives_softmax_means_that_match_average_shares(fits):
    res = fits["three_firms"]
    mu = res.predict()
    assert list(mu.columns) == list(COMPONENTS)
    np.testing.assert_allclose(mu.sum(axis=1), 1.0)
    # first-order condition of the intercepts: the mean fitted share equals the
    # mean observed share of each non-base component (and so of the base)
    y = _read("three_firms")[list(COMPONENTS)]
    np.testing.assert_allclose(mu.mean(), y.mean(), atol=1e-10)
    X = design_matrix(_read("three_firms"))
    np.testing.assert_allclose(res.predict(X), mu)
    with pytest.raises(EstimationError, match="lacks the regressor"):
        res.predict(X.drop(columns="prequal"))


def test_fmlogit_equals_dirichlet_mean_when_the_data_fit_both():
    # With shares drawn from a Dirichlet whose mean is the softmax, both estimators
    # estimate the same coefficients: close in a large sample (n = 20000).
    rng = np.random.default_rng(5)
    n = 20000
    x = rng.normal(size=n)
    eta = np.column_stack([0.3 + 0.5 * x, -0.2 * x, np.zeros(n)])
    mu = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = np.array([rng.dirichlet(20 * m) for m in mu])
    endog = pd.DataFrame(y, columns=["marketing", "self", "other"])
    exog = pd.DataFrame({"Intercept": 1.0, "x": x})
    res = FractionalMultinomialLogit(endog, exog).fit()
    np.testing.assert_allclose(res.params, [0.3, 0.5, 0.0, -0.2], atol=0.02)


def test_share_model_reads_fmlogit_as_a_softmax_mean(fits):
    res = fits["four_firms"]
    data = _read("four_firms")
    assert res.model_name == "fmlogit"
    sm = ShareModel.from_results(res)
    assert sm.components == COMPONENTS and sm.link.equations == ("marketing", "self")
    assert sm.components[sm.link.base] == "other"
    np.testing.assert_allclose(sm.cov, res.cov_params().to_numpy())
    # the average predicted share from the effects engine equals predict()
    out = average_effects(sm, data, [EffectSpec("marketing")])
    assert out.estimate[0] == pytest.approx(res.predict()["marketing"].mean(), rel=1e-12)
    table = model_effects(res, data)
    assert len(table) == 12 and np.isfinite(table.std_error).all()
    assert set(table["model"]) == {"fmlogit"}


def test_fmlogit_is_registered_and_tidy(fits):
    data = _read("four_firms")
    res = fit_share_model(data, "fmlogit")
    np.testing.assert_allclose(res.params, fits["four_firms"].params, rtol=0, atol=1e-12)
    tidy = res.tidy()
    assert set(tidy["equation"]) == {"marketing", "self"}
    # the interface's standard errors are the HC0 sandwich's
    np.testing.assert_allclose(tidy["std_error"], np.sqrt(np.diag(res.cov_params())))


def test_fmlogit_is_close_to_the_dirichlet_on_the_same_data(fits):
    # Not a reference: both estimate the same mean, so on the four-firm data the
    # coefficients agree to within a few standard errors.
    data = _read("four_firms")
    from leadblackhole.compositions import compress_shares

    comp = data.copy()
    comp[list(COMPONENTS)] = compress_shares(data[list(COMPONENTS)].to_numpy())[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dr = fit_main_model(_frame(comp))
    fm = fits["four_firms"]
    diff = (fm.params - dr.params[fm.params.index]) / fm.bse
    assert np.abs(diff).max() < 3


# ----------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------
def test_bad_inputs_raise():
    X = pd.DataFrame({"Intercept": np.ones(4), "x": [0.0, 1.0, 2.0, 3.0]})
    y = pd.DataFrame({"a": [0.2, 0.3, 0.4, 0.5], "other": [0.8, 0.7, 0.6, 0.5]})
    with pytest.raises(EstimationError, match="base must be one of"):
        FractionalMultinomialLogit(y, X, base="nope")
    with pytest.raises(EstimationError, match="negative shares"):
        FractionalMultinomialLogit(y.assign(a=[-0.1, 0.3, 0.4, 0.5]), X)
    with pytest.raises(EstimationError, match="all zero"):
        FractionalMultinomialLogit(
            pd.DataFrame({"a": [0.0, 0.3, 0.4, 0.5], "other": [0.0, 0.7, 0.6, 0.5]}), X
        )
    with pytest.raises(EstimationError, match="missing or infinite"):
        FractionalMultinomialLogit(y.assign(a=[np.nan, 0.3, 0.4, 0.5]), X)
    with pytest.raises(EstimationError, match="at least 2 components"):
        FractionalMultinomialLogit(y[["a"]], X)
    with pytest.raises(EstimationError, match="same rows"):
        FractionalMultinomialLogit(y.iloc[:3], X)
    with pytest.raises(EstimationError, match="pandas DataFrames"):
        FractionalMultinomialLogit(y.to_numpy(), X)
    with pytest.raises(EstimationError, match="must be numeric"):
        FractionalMultinomialLogit(y.assign(a=["x", "y", "z", "w"]), X)
    with pytest.raises(EstimationError, match="singular"):
        FractionalMultinomialLogit(y, X.assign(z=2 * X["x"]))
    model = FractionalMultinomialLogit(y, X)
    with pytest.raises(EstimationError, match="params must have 2"):
        model.loglike([0.0])
    with pytest.raises(EstimationError, match="maxiter"):
        model.fit(maxiter=-1)
    with pytest.raises(EstimationError, match="tol"):
        model.fit(tol=0)


def test_singular_hessian_raises():
    # started where every fitted share is 0 or 1 in floating point, the Hessian is zero
    X = pd.DataFrame({"Intercept": np.ones(5), "x": [0.0, 1.0, 2.0, 3.0, 4.0]})
    y = pd.DataFrame({"a": [0.2, 0.3, 0.4, 0.5, 0.1], "other": [0.8, 0.7, 0.6, 0.5, 0.9]})
    with pytest.raises(EstimationError, match="Hessian is singular"):
        FractionalMultinomialLogit(y, X).fit(start_params=[800.0, 800.0])
    with pytest.raises(EstimationError, match="Hessian is singular at the estimate"):
        FractionalMultinomialLogitResults(
            FractionalMultinomialLogit(y, X), np.array([800.0, 800.0]), 0.0, False, 0
        )


def test_no_convergence_warns(fits):
    model = fits["three_firms"].model
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model.fit(maxiter=1)


def test_fit_fmlogit_needs_the_shares():
    data = _read("three_firms")
    with pytest.raises(EstimationError, match="lack the share column"):
        fit_fmlogit(data.drop(columns="self"))


def test_fit_fmlogit_uses_reported_not_compressed_shares():
    # The frame's data hold the reported shares (exact zeros kept); the
    # fractional multinomial logit takes them as they are.
    data = _read("three_firms")
    res = fit_fmlogit(_frame(data))
    assert (res.model.shares.to_numpy() == 0).sum() == META["three_firms"]["n_zero_cells"]
    ref = REF["three_firms"]
    expected = pd.Series(ref["params"].values(), index=_labels(ref["params"]))
    np.testing.assert_allclose(res.params, expected, atol=COEF_ATOL)
