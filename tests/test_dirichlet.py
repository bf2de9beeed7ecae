"""Tests of the Dirichlet regression (leadblackhole.models.dirichlet).

Reference values come from R's DirichletReg 0.7-2, see
tests/reference/dirichlet/VERSIONS.md; the other expected numbers are derived
in the tests themselves (numerical derivatives, closed forms, simulation truth).
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats
from statsmodels.tools.numdiff import approx_fprime

from leadblackhole.exceptions import ConvergenceWarning, EstimationError, ZeroShareWarning
from leadblackhole.models.dirichlet import (
    DirichletRegression,
    DirichletRegressionResults,
    LikelihoodRatioTest,
    kernel,
)
from leadblackhole.models.newton import newton

REF_DIR = Path(__file__).parent / "reference" / "dirichlet"
CASES = json.loads((REF_DIR / "cases.json").read_text())
REFERENCE = {
    c["id"]: c for c in json.loads((REF_DIR / "reference_values.json").read_text())["cases"]
}
SHARES = ["marketing", "self", "other"]
SALES_RHS = "x1 + x2 + x3 + x4 + firm + x1:x2"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / name)


def _quiet(fn, *args, **kwargs):
    """Call fn while ignoring the (expected) normalization and zero-share warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return _read("sales_leads_synthetic.csv")


@pytest.fixture(scope="module")
def arctic() -> pd.DataFrame:
    return _read("arctic_lake.csv")


@pytest.fixture(scope="module")
def sales_nozero(sales) -> pd.DataFrame:
    """The sales data without the rows holding a share of 0 or 1 (no compression)."""
    y = sales[SHARES].to_numpy()
    keep = ~((y == 0) | (y == 1)).any(axis=1)
    return sales.loc[keep].reset_index(drop=True)


@pytest.fixture(scope="module")
def alt_precision_fit(sales):
    model = _quiet(
        DirichletRegression.from_formula,
        f"marketing + self + other ~ {SALES_RHS}",
        sales,
        precision_formula="z",
    )
    return model, model.fit()


# ----------------------------------------------------------------------------
# reference values from R DirichletReg
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[c["id"] for c in CASES])
def reference_case(request):
    case = next(c for c in CASES if c["id"] == request.param)
    data = _read(case["data"])
    model = _quiet(
        DirichletRegression.from_formula,
        case["py_formula"],
        data,
        precision_formula=case["py_precision_formula"],
        parametrization=case["parametrization"],
        base=case["base"] or "other",
    )
    return case, REFERENCE[case["id"]], model, model.fit()


@pytest.mark.reference
def test_reference_loglikelihood(reference_case):
    _, ref, _, res = reference_case
    assert res.converged
    assert res.llf == pytest.approx(ref["llf"], abs=1e-6)
    assert res.df_model == ref["npar"]
    assert res.nobs == ref["nobs"]


@pytest.mark.reference
def test_reference_coefficients_and_labels(reference_case):
    case, ref, _, res = reference_case
    # R labels the precision equation "(phi)"; ours is "precision".
    equations = ["precision" if e == "(phi)" else e for e in ref["equation"]]
    terms = [case["term_map"].get(t, t) for t in ref["term"]]
    assert list(res.params.index) == list(zip(equations, terms, strict=True))
    np.testing.assert_allclose(res.params.to_numpy(), ref["coef"], rtol=0, atol=1e-5)


@pytest.mark.reference
def test_reference_standard_errors(reference_case):
    _, ref, _, res = reference_case
    np.testing.assert_allclose(res.bse.to_numpy(), ref["se"], rtol=1e-4)


@pytest.mark.reference
def test_reference_compression_fitted_residuals(reference_case):
    _, ref, model, res = reference_case
    assert model.n_compressed == ref["n_compressed"]
    assert res.n_compressed == ref["n_compressed"]
    np.testing.assert_allclose(res.fittedvalues.iloc[:5], ref["fitted_mu_head"], atol=1e-6)
    np.testing.assert_allclose(
        res.resid("standardized").iloc[:5], ref["resid_standardized_head"], atol=1e-5
    )


@pytest.mark.reference
def test_reference_predict_new_data_equals_fitted(reference_case):
    case, _, _, res = reference_case
    data = _read(case["data"])
    np.testing.assert_allclose(res.predict(data), res.fittedvalues, rtol=1e-12)


@pytest.mark.reference
def test_arctic_lake_from_naive_start(arctic):
    """Starting from zeros on the original scale still reaches R's optimum."""
    model = _quiet(
        DirichletRegression.from_formula,
        "sand + silt + clay ~ depth + I(depth**2)",
        arctic,
        parametrization="common",
    )
    res = model.fit(start_params=np.zeros(model.k_params))
    assert res.converged
    # 108.9969: R DirichletReg's optimum for ArcticLake ~ depth + depth^2 (reference_values.json)
    assert res.llf == pytest.approx(REFERENCE["arctic_common"]["llf"], abs=1e-6)


# ----------------------------------------------------------------------------
# analytic derivatives
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_data():
    rng = np.random.default_rng(11)
    n = 60
    y = rng.dirichlet([2.0, 3.0, 4.0], size=n)
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(0, 5, n)])
    z = np.column_stack([np.ones(n), rng.normal(size=n)])
    return np.log(y), x, z, rng


def _check_derivatives(f, g, h, g_obs, params):
    num_grad = approx_fprime(params, f, centered=True)
    np.testing.assert_allclose(g(params), num_grad, rtol=1e-6, atol=1e-6)
    num_hess = approx_fprime(params, g, centered=True)
    np.testing.assert_allclose(h(params), num_hess, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(h(params), h(params).T, atol=1e-12)
    np.testing.assert_allclose(g_obs(params).sum(axis=0), g(params), rtol=1e-12, atol=1e-10)


def test_common_derivatives(kernel_data):
    logy, x, _, rng = kernel_data
    xs = [x, x[:, :2], x[:, [0, 2]]]
    params = rng.normal(scale=0.3, size=7)
    _check_derivatives(
        lambda b: kernel.loglike_common(b, logy, xs),
        lambda b: kernel.score_common(b, logy, xs),
        lambda b: kernel.hessian_common(b, logy, xs),
        lambda b: kernel.score_obs_common(b, logy, xs),
        params,
    )
    llf, grad, hess = kernel.loglike_and_derivatives_common(params, logy, xs)
    assert llf == pytest.approx(kernel.loglike_common(params, logy, xs), rel=1e-14)
    np.testing.assert_allclose(grad, kernel.score_common(params, logy, xs), rtol=1e-14)
    np.testing.assert_allclose(hess, kernel.hessian_common(params, logy, xs), rtol=1e-14)
    assert kernel.loglike_obs_common(params, logy, xs).sum() == pytest.approx(llf, rel=1e-14)


@pytest.mark.parametrize("base", [0, 1, 2])
def test_alternative_derivatives(kernel_data, base):
    logy, x, z, rng = kernel_data
    params = rng.normal(scale=0.3, size=2 * 3 + 2)
    _check_derivatives(
        lambda b: kernel.loglike_alternative(b, logy, x, z, base),
        lambda b: kernel.score_alternative(b, logy, x, z, base),
        lambda b: kernel.hessian_alternative(b, logy, x, z, base),
        lambda b: kernel.score_obs_alternative(b, logy, x, z, base),
        params,
    )
    llf, grad, hess = kernel.loglike_and_derivatives_alternative(params, logy, x, z, base)
    assert llf == pytest.approx(kernel.loglike_alternative(params, logy, x, z, base), rel=1e-14)
    np.testing.assert_allclose(grad, kernel.score_alternative(params, logy, x, z, base))
    np.testing.assert_allclose(hess, kernel.hessian_alternative(params, logy, x, z, base))


def test_loglikelihood_matches_scipy_density(kernel_data):
    """The kernel's log-likelihood equals the sum of scipy's Dirichlet log-densities."""
    logy, x, z, rng = kernel_data
    params = rng.normal(scale=0.3, size=8)
    mu, phi, _ = kernel._alt_mu_phi(params, x, z, 1, 3)
    alpha = mu * phi[:, None]
    y = np.exp(logy)
    y = y / y.sum(axis=1, keepdims=True)
    expected = sum(stats.dirichlet.logpdf(y[i], alpha[i]) for i in range(len(y)))
    assert kernel.loglike_alternative(params, np.log(y), x, z, 1) == pytest.approx(expected)


def test_trigamma_matches_scipy():
    x = np.geomspace(1e-6, 1e8, 2000)
    np.testing.assert_allclose(kernel.trigamma(x), special.polygamma(1, x), rtol=1e-14)


def test_newton_falls_back_when_hessian_not_negative_definite():
    """ll = -(t0^2 - 1)^2 - t1^2 has a positive curvature in t0 at the start t0 = 0.1."""

    def f_ll(t):
        return -((t[0] ** 2 - 1) ** 2) - t[1] ** 2

    def f_all(t):
        g = np.array([-4 * t[0] * (t[0] ** 2 - 1), -2 * t[1]])
        h = np.diag([-(12 * t[0] ** 2 - 4), -2.0])
        return f_ll(t), g, h

    start = np.array([0.1, 1.0])
    assert f_all(start)[2][0, 0] > 0
    theta, llf, *_, converged, iterations, _, _ = newton(
        f_all, f_ll, start, (), maxiter=50, tol=1e-12
    )
    assert converged
    np.testing.assert_allclose(theta, [1.0, 0.0], atol=1e-8)  # maximum at t0 = +-1, t1 = 0
    assert llf == pytest.approx(0.0, abs=1e-14)


def test_model_derivatives_at_optimum(alt_precision_fit):
    model, res = alt_precision_fit
    # both are rounding noise around 0 at the optimum
    np.testing.assert_allclose(res.score, model.score(res.params), rtol=0, atol=1e-8)
    assert np.linalg.norm(res.score) == pytest.approx(res.gradient_norm, rel=1e-12)
    assert res.gradient_norm < 1e-6
    direct = model.hessian(res.params)
    np.testing.assert_allclose(
        res.hessian.to_numpy(), direct, rtol=1e-8, atol=1e-12 * np.abs(direct).max()
    )
    np.testing.assert_allclose(model.score_obs(res.params).sum(axis=0), res.score, atol=1e-8)
    assert model.loglike(res.params) == pytest.approx(res.llf, rel=1e-13)
    # cov_params is the inverse of the negative analytic Hessian.
    np.testing.assert_allclose(
        res.cov_params().to_numpy(), np.linalg.inv(-res.hessian.to_numpy()), rtol=1e-6
    )


# ----------------------------------------------------------------------------
# input validation
# ----------------------------------------------------------------------------


def _with(frame: pd.DataFrame, column: str, value) -> pd.DataFrame:
    out = frame.copy()
    out[column] = value
    return out


def _small():
    rng = np.random.default_rng(5)
    n = 40
    endog = pd.DataFrame(rng.dirichlet([3.0, 2.0, 4.0], size=n), columns=SHARES)
    exog = pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=n), "w": rng.uniform(size=n)})
    return endog, exog


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda e, x: (e, x.assign(const=3.0)), r"rank deficient.*\['const'\].*constant column"),
        (lambda e, x: (e, x.assign(x_copy=x["x"])), r"rank deficient.*\['x_copy'\]"),
        (lambda e, x: (e, x.assign(zero=0.0)), r"column\(s\) \['zero'\] are all zero"),
        (lambda e, x: (e, x.iloc[:-1]), r"exog has 39 rows but endog has 40"),
        (lambda e, x: (e, x.set_axis(range(1, 41))), r"index of exog differs"),
        (lambda e, x: (e[["marketing"]], x), r"at least 2 components.*got 1"),
        (lambda e, x: (_with(e, "self", np.nan), x), r"endog contains NaN or infinite"),
        (lambda e, x: (e, x.assign(w=np.inf)), r"exog contains NaN or infinite"),
        (lambda e, x: (_with(e, "self", -e["self"]), x), r"negative shares"),
        (lambda e, x: (_with(e, "self", 0.0), x), r"\['self'\] are zero in every row"),
        (lambda e, x: (e * 0.0, x), r"shares are all zero"),
        (lambda e, x: (e, x.assign(s="a")), r"non-numeric columns: \['s'\]"),
        (lambda e, x: (e, x.iloc[:, :0]), r"exog has no columns"),
    ],
)
def test_bad_input_raises(mutate, match):
    endog, exog = mutate(*_small())
    with pytest.raises(EstimationError, match=match):
        _quiet(DirichletRegression, endog, exog)


def test_bad_options_raise():
    endog, exog = _small()
    with pytest.raises(
        EstimationError,
        match=r"parametrization must be one of 'common', 'alternative'; received 'mixed'",
    ):
        DirichletRegression(endog, exog, parametrization="mixed")
    with pytest.raises(
        EstimationError,
        match=r"base must be one of 'marketing', 'self', 'other'; received 'web'",
    ):
        DirichletRegression(endog, exog, base="web")
    with pytest.raises(EstimationError, match=r"base must be a component name"):
        DirichletRegression(endog, exog, base=0)
    with pytest.raises(EstimationError, match=r"exog_precision applies to the alternative"):
        DirichletRegression(endog, exog, exog_precision=exog, parametrization="common")
    with pytest.raises(EstimationError, match=r"requires parametrization='common'"):
        DirichletRegression(endog, dict.fromkeys(SHARES, exog))
    with pytest.raises(EstimationError, match=r"keys of the exog dict"):
        DirichletRegression(endog, {"marketing": exog}, parametrization="common")
    with pytest.raises(EstimationError, match=r"exog_precision has 39 rows but endog has 40"):
        DirichletRegression(endog, exog, exog_precision=exog.iloc[:-1])
    with pytest.raises(EstimationError, match=r"exog_precision is rank deficient"):
        DirichletRegression(endog, exog, exog_precision=exog.assign(x2=exog["x"] * 2))
    model = DirichletRegression(endog, exog)
    with pytest.raises(EstimationError, match=r"maxiter must be a non-negative integer"):
        model.fit(maxiter=-1)
    with pytest.raises(EstimationError, match=r"tol must be a positive number"):
        model.fit(tol=0)
    with pytest.raises(EstimationError, match=r"params must have 7 values; received 2"):
        model.fit(start_params=[0.0, 0.0])
    with pytest.raises(EstimationError, match=r"params contains NaN"):
        model.loglike(np.full(7, np.nan))


def test_formula_errors(sales):
    with pytest.raises(EstimationError, match=r"formula must have the form"):
        DirichletRegression.from_formula("marketing + self + other", sales)
    with pytest.raises(EstimationError, match=r"component column\(s\) \['web'\] not found"):
        DirichletRegression.from_formula("marketing + web ~ x1", sales)
    with pytest.raises(EstimationError, match=r"'nonexistent' at position 1 is not a variable"):
        DirichletRegression.from_formula("marketing + self + other ~ nonexistent", sales)
    with pytest.raises(EstimationError, match=r"cannot build the mean model design"):
        DirichletRegression.from_formula(
            "marketing + self + other ~ x1", sales.assign(x1=np.where(sales.index == 3, np.nan, 1))
        )
    with pytest.raises(EstimationError, match=r"precision model is given twice"):
        DirichletRegression.from_formula(
            "marketing + self + other ~ x1 | z", sales, precision_formula="x2"
        )
    with pytest.raises(EstimationError, match=r"1 or 3 formulas separated by '\|'"):
        DirichletRegression.from_formula(
            "marketing + self + other ~ x1 | x2", sales, parametrization="common"
        )
    with pytest.raises(EstimationError, match=r"at least 2 components"):
        DirichletRegression.from_formula("marketing ~ x1", sales)


# ----------------------------------------------------------------------------
# warnings: convergence, zero shares, normalization
# ----------------------------------------------------------------------------


def test_convergence_warning(sales_nozero):
    model = DirichletRegression.from_formula(
        f"marketing + self + other ~ {SALES_RHS}", sales_nozero
    )
    with pytest.warns(ConvergenceWarning, match=r"after 1 iteration\(s\); gradient norm \d"):
        res = model.fit(maxiter=1)
    assert not res.converged
    assert res.iterations == 1
    assert "did not converge" in res.summary()
    with pytest.warns(ConvergenceWarning, match=r"after 0 iteration\(s\)"):
        model.fit(maxiter=0)


def test_zero_share_warning_and_compression(sales):
    raw = sales[SHARES].to_numpy()
    # 26 rows: make_datasets.py sets 15 + 8 shares to 0 and 3 rows to (1, 0, 0).
    n_rows = int(((raw == 0) | (raw == 1)).any(axis=1).sum())
    assert n_rows == 26
    with pytest.warns(ZeroShareWarning, match=r"26 of 300 row\(s\)"):
        model = DirichletRegression(sales[SHARES], pd.DataFrame({"Intercept": np.ones(300)}))
    assert model.n_compressed == 26
    expected = (raw * 299 + 1 / 3) / 300  # Smithson & Verkuilen / DR_data rule
    np.testing.assert_allclose(model.shares.to_numpy(), expected, rtol=1e-15)
    assert (model.shares.to_numpy() > 0).all()


def test_no_compression_without_zeros(sales_nozero):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = DirichletRegression(
            sales_nozero[SHARES], pd.DataFrame({"Intercept": np.ones(len(sales_nozero))})
        )
    assert model.n_compressed == 0
    assert model.n_normalized == 0


def test_rows_not_summing_to_one_are_normalized(arctic):
    with pytest.warns(UserWarning, match=r"5 row\(s\) of endog do not sum to 1"):
        model = DirichletRegression(arctic[["sand", "silt", "clay"]], arctic[["depth"]])
    assert model.n_normalized == 5  # rows 5, 25, 31, 35, 36 of the CSV sum to 0.997-1.005
    np.testing.assert_allclose(model.shares.sum(axis=1), 1.0, rtol=1e-15)


# ----------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------


def test_results_labels_and_statistics(alt_precision_fit):
    model, res = alt_precision_fit
    assert list(dict.fromkeys(res.params.index.get_level_values("equation"))) == [
        "marketing",
        "self",
        "precision",
    ]
    assert res.params.index.names == ["equation", "term"]
    assert ("marketing", "firm[T.b]") in res.params.index
    assert ("precision", "z") in res.params.index
    k = 2 * 8 + 2
    assert res.df_model == k
    assert res.aic == pytest.approx(-2 * res.llf + 2 * k)
    assert res.bic == pytest.approx(-2 * res.llf + math.log(300) * k)
    np.testing.assert_allclose(res.bse, np.sqrt(np.diag(res.cov_params())))
    np.testing.assert_allclose(res.tvalues, res.params / res.bse)
    np.testing.assert_allclose(res.pvalues, 2 * stats.norm.sf(np.abs(res.tvalues)))
    ci = res.conf_int(0.1)
    np.testing.assert_allclose(ci["upper"] - res.params, stats.norm.ppf(0.95) * res.bse)
    assert list(res.cov_params().index) == list(res.params.index)
    text = res.summary()
    assert "Log-likelihood:" in text and "firm[T.b]" in text and "log odds vs other" in text
    assert str(res) == text
    assert res._repr_html_().startswith("<pre>")
    assert "firm[T.b]" in res._repr_html_()
    frame = res.summary_frame()
    assert list(frame.columns) == ["coef", "std_err", "z", "pvalue", "lower", "upper"]


def test_predict_new_data_equals_fitted(sales, alt_precision_fit):
    model, res = alt_precision_fit
    fitted = res.fittedvalues
    np.testing.assert_allclose(res.predict(sales), fitted, rtol=1e-12)
    np.testing.assert_allclose(res.predict(), fitted)
    sub = sales.iloc[[4, 0, 7]]
    np.testing.assert_allclose(res.predict(sub), fitted.iloc[[4, 0, 7]], rtol=1e-12)
    alpha = res.predict(sub, kind="alpha")
    phi = res.predict(sub, kind="precision")
    assert list(phi.index) == [4, 0, 7]
    np.testing.assert_allclose(alpha.sum(axis=1), phi, rtol=1e-12)
    np.testing.assert_allclose(alpha.div(phi, axis=0), fitted.iloc[[4, 0, 7]], rtol=1e-12)
    # log phi = gamma_0 + gamma_z z
    gamma = res.params["precision"]
    np.testing.assert_allclose(np.log(phi), gamma["Intercept"] + gamma["z"] * sub["z"])
    with pytest.raises(EstimationError, match=r"kind must be one of 'mean', 'alpha', 'precision'"):
        res.predict(kind="odds")
    with pytest.raises(EstimationError, match=r"cannot build the design for new data"):
        res.predict(sub.drop(columns="x1"))


def test_predict_with_design_matrices(sales_nozero):
    data = sales_nozero
    exog = pd.DataFrame({"Intercept": 1.0, "x1": data["x1"], "x3": data["x3"] / 1000})
    zmat = pd.DataFrame({"Intercept": 1.0, "z": data["z"]})
    res = DirichletRegression(data[SHARES], exog, exog_precision=zmat).fit()
    shuffled = exog.iloc[::-1]
    np.testing.assert_allclose(
        res.predict(shuffled[["x3", "x1", "Intercept"]], zmat.iloc[::-1]),
        res.fittedvalues.iloc[::-1],
        rtol=1e-12,
    )
    with pytest.raises(EstimationError, match=r"exog_precision is required for new data"):
        res.predict(exog)
    with pytest.raises(EstimationError, match=r"exog lacks the column\(s\) \['x3'\]"):
        res.predict(exog[["Intercept", "x1"]], zmat)
    # common parametrization with one design per component
    designs = {"marketing": exog, "self": exog[["Intercept", "x1"]], "other": zmat}
    res_c = DirichletRegression(data[SHARES], designs, parametrization="common").fit()
    np.testing.assert_allclose(res_c.predict(designs), res_c.fittedvalues, rtol=1e-12)
    np.testing.assert_allclose(
        res_c.predict(designs, kind="precision"), res_c.predict(kind="alpha").sum(axis=1)
    )


def test_residuals(alt_precision_fit):
    model, res = alt_precision_fit
    mu = res.fittedvalues
    raw = res.resid()
    np.testing.assert_allclose(raw, model.shares - mu, atol=1e-15)
    phi = res.predict(kind="precision")
    std = res.resid("standardized")
    expected = (model.shares - mu) / np.sqrt(mu * (1 - mu)).div(np.sqrt(phi + 1), axis=0)
    np.testing.assert_allclose(std, expected, rtol=1e-12)
    np.testing.assert_allclose(raw.sum(axis=1), 0, atol=1e-12)
    with pytest.raises(EstimationError, match=r"kind must be one of 'raw', 'standardized'"):
        res.resid("pearson")


def test_precision_after_bar_equals_precision_formula(sales_nozero):
    bar = DirichletRegression.from_formula(
        f"marketing + self + other ~ {SALES_RHS} | z", sales_nozero
    ).fit()
    arg = DirichletRegression.from_formula(
        f"marketing + self + other ~ {SALES_RHS}", sales_nozero, precision_formula="z"
    ).fit()
    pd.testing.assert_series_equal(bar.params, arg.params)
    assert bar.model.precision_formula == "z"


def test_base_choice_does_not_change_fit(sales_nozero):
    formula = f"marketing + self + other ~ {SALES_RHS}"
    res_other = DirichletRegression.from_formula(formula, sales_nozero).fit()
    res_mkt = DirichletRegression.from_formula(formula, sales_nozero, base="marketing").fit()
    assert res_other.llf == pytest.approx(res_mkt.llf, abs=1e-9)
    np.testing.assert_allclose(res_other.fittedvalues, res_mkt.fittedvalues, atol=1e-8)
    # self vs marketing = (self vs other) - (marketing vs other)
    diff = res_other.params["self"] - res_other.params["marketing"]
    np.testing.assert_allclose(res_mkt.params["self"], diff, atol=1e-6)


def test_default_base_is_last_column_without_other(arctic):
    model = _quiet(DirichletRegression, arctic[["sand", "silt", "clay"]], arctic[["depth"]])
    assert model.base == "clay"
    assert list(model.exog_names) == ["sand", "silt", "precision"]


def test_numpy_input():
    endog, exog = _small()
    res = DirichletRegression(endog.to_numpy(), exog.to_numpy()).fit()
    assert list(res.params.index[:3]) == [("y0", "x0"), ("y0", "x1"), ("y0", "x2")]
    res_df = DirichletRegression(endog, exog).fit()
    np.testing.assert_allclose(res.params.to_numpy(), res_df.params.to_numpy())


# ----------------------------------------------------------------------------
# likelihood-ratio test
# ----------------------------------------------------------------------------


def test_lr_test(sales_nozero):
    formula = f"marketing + self + other ~ {SALES_RHS}"
    full = DirichletRegression.from_formula(formula, sales_nozero, precision_formula="z + x1").fit()
    one = DirichletRegression.from_formula(formula, sales_nozero, precision_formula="z").fit()
    none = DirichletRegression.from_formula(formula, sales_nozero).fit()

    test2 = full.lr_test(none)
    assert isinstance(test2, LikelihoodRatioTest)
    assert test2.df == 2
    assert test2.dist_name == "chi2"
    assert test2.stat == pytest.approx(2 * (full.llf - none.llf), rel=1e-12)
    # chi2 with 2 df: survival function exp(-x / 2)
    assert test2.pval == pytest.approx(math.exp(-test2.stat / 2), rel=1e-10)
    test1 = full.lr_test(one)
    # chi2 with 1 df: survival function erfc(sqrt(x / 2))
    assert test1.df == 1
    assert test1.pval == pytest.approx(math.erfc(math.sqrt(test1.stat / 2)), rel=1e-10)
    assert "H0" in str(test1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        test1.stat = 0.0  # type: ignore[misc]

    with pytest.raises(EstimationError, match=r"call lr_test on the larger model"):
        none.lr_test(full)
    other_data = sales_nozero.iloc[:-1]
    with pytest.raises(EstimationError, match=r"fitted on other shares"):
        full.lr_test(DirichletRegression.from_formula(formula, other_data).fit())
    with pytest.raises(EstimationError, match=r"must be a DirichletRegressionResults"):
        full.lr_test("model")


# ----------------------------------------------------------------------------
# determinism and immutability
# ----------------------------------------------------------------------------


def test_determinism_and_immutability(sales_nozero):
    formula = f"marketing + self + other ~ {SALES_RHS}"
    model = DirichletRegression.from_formula(formula, sales_nozero, precision_formula="z")
    shares_before = model.shares.copy()
    names_before = model.param_names.copy()
    first = model.fit()
    second = model.fit()
    pd.testing.assert_series_equal(first.params, second.params, check_exact=True)
    pd.testing.assert_frame_equal(first.cov_params(), second.cov_params(), check_exact=True)
    assert first.llf == second.llf
    again = DirichletRegression.from_formula(formula, sales_nozero, precision_formula="z").fit()
    pd.testing.assert_series_equal(first.params, again.params, check_exact=True)
    # the model is unchanged by fitting
    pd.testing.assert_frame_equal(model.shares, shares_before)
    assert model.param_names.equals(names_before)
    # the results cannot be changed
    assert isinstance(first, DirichletRegressionResults)
    with pytest.raises(AttributeError, match=r"immutable"):
        first.llf = 0.0  # type: ignore[misc]
    with pytest.raises(AttributeError, match=r"immutable"):
        del first.converged
    params = first.params
    params.iloc[0] = 99.0
    assert first.params.iloc[0] == second.params.iloc[0]
    with pytest.raises(ValueError):
        first._params[0] = 1.0


# ----------------------------------------------------------------------------
# simulation: recovering known parameters
# ----------------------------------------------------------------------------


def test_recovers_simulated_parameters_alternative():
    rng = np.random.default_rng(20240601)
    n = 5000
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 100, n)  # badly scaled on purpose
    z1 = rng.normal(size=n)
    beta = {"marketing": [0.2, 0.5, -0.01], "self": [-0.3, -0.4, 0.005]}
    gamma = [2.5, 0.4]
    x = np.column_stack([np.ones(n), x1, x2])
    eta = np.column_stack([x @ beta["marketing"], x @ beta["self"], np.zeros(n)])
    mu = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    phi = np.exp(gamma[0] + gamma[1] * z1)
    g = rng.gamma(mu * phi[:, None])
    y = g / g.sum(axis=1, keepdims=True)
    endog = pd.DataFrame(y, columns=SHARES)
    exog = pd.DataFrame({"Intercept": 1.0, "x1": x1, "x2": x2})
    zmat = pd.DataFrame({"Intercept": 1.0, "z1": z1})
    res = DirichletRegression(endog, exog, exog_precision=zmat).fit()
    truth = np.concatenate([beta["marketing"], beta["self"], gamma])
    zscores = (res.params.to_numpy() - truth) / res.bse.to_numpy()
    assert np.abs(zscores).max() < 4.0


def test_recovers_simulated_parameters_common():
    rng = np.random.default_rng(7)
    n = 5000
    x1 = rng.normal(size=n)
    b = np.array([[0.5, 0.3], [1.0, -0.2], [0.8, 0.0]])
    x = np.column_stack([np.ones(n), x1])
    alpha = np.exp(x @ b.T)
    g = rng.gamma(alpha)
    endog = pd.DataFrame(g / g.sum(axis=1, keepdims=True), columns=SHARES)
    res = DirichletRegression(
        endog, pd.DataFrame({"Intercept": 1.0, "x1": x1}), parametrization="common"
    ).fit()
    zscores = (res.params.to_numpy() - b.ravel()) / res.bse.to_numpy()
    assert np.abs(zscores).max() < 4.0
