"""The control function and the selection correction: estimates, two-step covariances, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS

from leadblackhole.data import attach_extra_columns, build_analysis_frame, validate_survey
from leadblackhole.effects.two_step import bootstrap_two_step, two_step_effects
from leadblackhole.exceptions import (
    EstimationError,
    InstrumentError,
    WeakInstrumentWarning,
)
from leadblackhole.models import DirichletRegression, fit_share_model
from leadblackhole.models.two_step import (
    control_test_table,
    first_stage_table,
    score_by_control,
    two_step_covariance,
)
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.specification import COMPONENTS

#: Tolerance of a bootstrap standard error against an analytic one: the Monte Carlo error
#: of an SD from B = 150 replicates is about 1/sqrt(2B) = 6%; 20% is three of those. The
#: same tolerance serves Murphy-Topel against the sandwich at 1 000 reps, where the
#: sandwich's own estimate of an interaction's variance is that noisy.
BOOT_RTOL = 0.20


def _frame(design, seed, extra):
    survey, truth = simulate(design, seed=seed)
    survey = validate_survey(survey, extra_columns=extra)
    return attach_extra_columns(build_analysis_frame(survey), survey, extra), truth


@pytest.fixture(scope="module")
def iv_frame():
    design = StudyDesign(
        n_reps=3000, volume_routing=0.3, volume_confounding=0.3, instrument_strength=0.5
    )
    return _frame(design, 11, ["campaign_budget"])


@pytest.fixture(scope="module")
def cf_fit(iv_frame):
    return fit_share_model(iv_frame[0], "dirichlet_cf", instruments=["campaign_budget"])


@pytest.fixture(scope="module")
def sel_frame():
    n = 3000
    design = StudyDesign(
        n_reps=n,
        n_zero_marketing=n // 4,
        selection_coef={"performance": -0.5, "experience": -0.3},
        selection_rho=0.5,
        selection_exclusion=1.0,
    )
    return _frame(design, 5, ["lead_access"])


def _cf_data(seed: int, n: int = 1500, gamma: float = 0.4) -> pd.DataFrame:
    """Shares whose multinomial-logit mean holds given the first-stage error (the CF is right).

    volume = 0.5 z + 0.3 prequal + e (e normal, heteroskedastic in z); the marketing
    log-ratio is x'b + gamma e: conditional on e the Dirichlet model with the control holds,
    so Murphy-Topel, the stacked sandwich and the bootstrap estimate one covariance.
    """
    rng = np.random.default_rng(seed)
    firm = rng.choice(["A", "B", "C"], size=n)
    prequal, tracking = rng.normal(size=(2, n))
    experience = rng.normal(0, 5, n)
    performance = rng.normal(0, 0.2, n)
    z = rng.normal(size=n)
    e = rng.normal(size=n) * (0.6 + 0.3 * np.abs(z))
    volume = 0.5 * z + 0.3 * prequal + e
    eta_m = -0.3 + 0.15 * prequal + 0.1 * tracking + 0.2 * volume - 0.01 * experience
    eta_m += 0.2 * performance * volume + gamma * e + 0.1 * (firm == "B")
    eta_s = 0.1 - 0.05 * prequal + 0.01 * experience
    mu = np.exp(np.column_stack([eta_m, eta_s, np.zeros(n)]))
    mu /= mu.sum(axis=1, keepdims=True)
    y = rng.standard_gamma(15 * mu)
    y /= y.sum(axis=1, keepdims=True)
    data = pd.DataFrame(
        {
            "rep_id": [f"R{i}" for i in range(n)],
            "firm": firm,
            "prequal": prequal,
            "tracking": tracking,
            "volume": volume,
            "experience": experience,
            "performance": performance,
            "budget": z,
        }
    )
    data[list(COMPONENTS)] = y
    return data


# -- the kernel ----------------------------------------------------------------------------
def test_two_step_covariance_of_a_linear_control_function_is_2sls():
    """In a linear model the control function is 2SLS; its stacked sandwich is 2SLS's HC0."""
    rng = np.random.default_rng(0)
    n = 800
    z = rng.normal(size=(n, 2))
    x1 = rng.normal(size=n)
    e = rng.normal(size=n) * (1 + 0.5 * np.abs(x1))
    v = 0.5 * z[:, 0] + 0.3 * z[:, 1] + 0.4 * x1 + e
    y = 1 + 0.5 * x1 + 0.8 * v + 0.6 * e + rng.normal(size=n) * (1 + np.abs(z[:, 0]))
    w = np.column_stack([np.ones(n), x1, z])
    r = v - w @ np.linalg.lstsq(w, v, rcond=None)[0]
    x = np.column_stack([np.ones(n), x1, v, r])
    b = np.linalg.lstsq(x, y, rcond=None)[0]
    u = y - x @ b
    d = -b[3] * x  # d s_i / d r_i = e_r u_i - x_i g
    d[:, 3] += u
    cov, _, _ = two_step_covariance(
        -(x.T @ x), x * u[:, None], -(d.T @ w), -(w.T @ w), w * r[:, None], "robust"
    )
    iv = IV2SLS(y, pd.DataFrame({"c": 1.0, "x1": x1}), pd.DataFrame({"v": v}), pd.DataFrame(z))
    iv = iv.fit(cov_type="robust", debiased=False)
    np.testing.assert_allclose(b[:3], iv.params.to_numpy(), rtol=1e-10)
    # the two plug-ins use different residuals: equal to first order (about 0.2% here)
    np.testing.assert_allclose(np.sqrt(np.diag(cov))[:3], iv.std_errors.to_numpy(), rtol=0.01)
    naive = np.sqrt(
        np.diag(
            np.linalg.inv(x.T @ x)
            @ ((x * u[:, None]).T @ (x * u[:, None]))
            @ np.linalg.inv(x.T @ x)
        )
    )
    assert abs(naive[2] / iv.std_errors["v"] - 1) > 0.05  # the first stage matters here


def test_score_by_control_matches_a_rebuilt_model(cf_fit):
    second = cf_fit.second
    (d,) = score_by_control(second, ("cf_volume",))
    exog = pd.DataFrame(second.mean_design, columns=second.model.exog_names["marketing"])
    endog = second.model.endog
    theta = second.params.to_numpy()
    h = 1e-5
    up, down = exog.copy(), exog.copy()
    up["cf_volume"] += h
    down["cf_volume"] -= h
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_up = DirichletRegression(endog, up).score_obs(theta)
        s_down = DirichletRegression(endog, down).score_obs(theta)
    np.testing.assert_allclose(d, (s_up - s_down) / (2 * h), rtol=1e-5, atol=1e-6)


# -- the control function -----------------------------------------------------------------
def test_control_function_recovers_volume(iv_frame, cf_fit):
    frame, truth = iv_frame
    cf = two_step_effects(cf_fit, frame).set_index("id")
    from leadblackhole.effects import model_effects

    plain = model_effects(fit_share_model(frame, "dirichlet"), frame).set_index("id")
    value = truth.effects["value"]
    for h in ("H4", "H6"):
        assert abs(cf.loc[h, "estimate"] - value[h]) < 2.5 * cf.loc[h, "std_error"]
        assert abs(cf.loc[h, "estimate"] - value[h]) < abs(plain.loc[h, "estimate"] - value[h])
    assert abs(plain.loc["H4", "estimate"] - value["H4"]) > 4 * plain.loc["H4", "std_error"]
    assert cf.loc["H4", "std_error"] > plain.loc["H4", "std_error"]  # the price of the IV


def test_first_stage_table(iv_frame, cf_fit):
    frame, _ = iv_frame
    table = first_stage_table(cf_fit)
    inst = table[table["role"] == "instrument"].iloc[0]
    # hand computation: OLS of volume on the exogenous terms and the budget, HC1 Wald
    import statsmodels.api as sm

    exog_terms = table.loc[table["role"] == "exogenous", "term"].tolist()
    from leadblackhole.models import main_model_exog

    w = main_model_exog(frame)[exog_terms].assign(campaign_budget=frame.data["campaign_budget"])
    ols = sm.OLS(frame.data["volume"], w).fit(cov_type="HC1")
    assert inst["estimate"] == pytest.approx(ols.params["campaign_budget"], rel=1e-10)
    assert inst["partial_f"] == pytest.approx(ols.tvalues["campaign_budget"] ** 2, rel=1e-8)
    r0 = sm.OLS(frame.data["volume"], w.drop(columns="campaign_budget")).fit()
    assert inst["partial_r2"] == pytest.approx(1 - ols.ssr / r0.ssr, rel=1e-10)
    assert not inst["weak"]
    tests = control_test_table(cf_fit)
    assert tests.loc[0, "test"] == "exogeneity" and tests.loc[0, "df"] == 2
    assert tests.loc[0, "p_value"] < 0.01  # volume is endogenous in this design


def test_weak_instrument_warns(iv_frame):
    frame, _ = iv_frame
    data = frame.data.copy()
    data["noise"] = np.random.default_rng(1).normal(size=len(data))
    with pytest.warns(WeakInstrumentWarning, match="partial F"):
        res = fit_share_model(data, "dirichlet_cf", instruments="noise")
    assert first_stage_table(res)["weak"].all()


def test_murphy_topel_agrees_with_the_sandwich_when_the_control_function_holds():
    data = _cf_data(4)
    fits = {
        c: fit_share_model(data, "dirichlet_cf", instruments=["budget"], cov_type=c)
        for c in ("oim", "robust")
    }
    terms = [("marketing", t) for t in ("volume", "performance:volume", "cf_volume", "prequal")]
    np.testing.assert_allclose(fits["oim"].bse[terms], fits["robust"].bse[terms], rtol=0.10)
    naive = fits["robust"].naive_cov_params().loc[("marketing", "volume"), ("marketing", "volume")]
    assert fits["oim"].bse[("marketing", "volume")] > np.sqrt(naive) * 1.01


@pytest.mark.slow
def test_covariances_agree_with_the_bootstrap_when_the_control_function_holds():
    data = _cf_data(4, n=1000)
    fits = {
        c: fit_share_model(data, "dirichlet_cf", instruments=["budget"], cov_type=c)
        for c in ("oim", "robust")
    }
    boot = bootstrap_two_step(fits["robust"], data, reps=150, seed=2)
    assert boot.n_failed == 0
    terms = [("marketing", t) for t in ("volume", "performance:volume", "cf_volume", "prequal")]
    mt, rob = fits["oim"].bse[terms], fits["robust"].bse[terms]
    np.testing.assert_allclose(mt, rob, rtol=BOOT_RTOL)
    np.testing.assert_allclose(boot.param_std_errors[terms], rob, rtol=BOOT_RTOL)
    eff = two_step_effects(fits["robust"], data).set_index("id")["std_error"]
    np.testing.assert_allclose(
        boot.effect_std_errors[["H4", "H10"]], eff[["H4", "H10"]], rtol=BOOT_RTOL
    )
    naive = np.sqrt(np.diag(fits["robust"].naive_cov_params()))
    assert (
        fits["robust"].bse[("marketing", "volume")]
        > naive[list(fits["robust"].params.index).index(("marketing", "volume"))]
    )


def test_rounded_control_function_runs(iv_frame):
    frame, _ = iv_frame
    res = fit_share_model(frame, "dirichlet_rounded_cf", instruments=["campaign_budget"])
    assert res.model_name == "dirichlet_rounded_cf" and res.fit_options["step"] == 5
    assert ("marketing", "cf_volume") in res.params.index


def test_control_function_errors(iv_frame):
    frame, _ = iv_frame
    data = frame.data.assign(
        const=1.0, dup=2 * frame.data["experience"], gap=frame.data["campaign_budget"]
    )
    data.loc[3, "gap"] = np.nan
    fit = fit_share_model
    cases = [
        ({"instruments": []}, "at least one instrument"),
        ({"instruments": ["campaign_budget"], "endogenous": []}, "at least one endogenous"),
        ({"instruments": ["campaign_budget"], "endogenous": ["hours"]}, "unknown"),
        (
            {"instruments": ["campaign_budget"], "endogenous": ["volume", "tracking"]},
            "one instrument per endogenous",
        ),
        (
            {"instruments": ["campaign_budget", "tracking"], "endogenous": ["volume"]},
            "variable of the model",
        ),
        ({"instruments": ["budget"]}, "not a column"),
        ({"instruments": ["gap"]}, "missing or non-numeric"),
        ({"instruments": ["const"]}, "constant"),
        ({"instruments": ["dup"]}, "collinear"),
        ({"instruments": 3}, "column name or a list"),
    ]
    for kwargs, match in cases:
        with pytest.raises(InstrumentError, match=match):
            fit(data, "dirichlet_cf", **kwargs)
    with pytest.raises(InstrumentError, match="both endogenous and an instrument"):
        fit(
            data.assign(tenure=data["experience"]),
            "dirichlet_cf",
            instruments=["campaign_budget", "tracking"],
            endogenous=["volume", "tracking"],
        )
    with pytest.raises(EstimationError, match="cov_type"):
        fit(data, "dirichlet_cf", instruments=["campaign_budget"], cov_type="hc3")
    exact = data.assign(pct_marketing=data["pct_marketing"] + 0.5)
    with pytest.raises(EstimationError, match="no rounding step"):
        fit(exact, "dirichlet_rounded_cf", instruments=["campaign_budget"])
    res = fit(data, "dirichlet_cf", instruments=["campaign_budget"])
    with pytest.raises(EstimationError, match="fitted on"):
        res.effects_data(data.iloc[:10])
    with pytest.raises(EstimationError, match="control-function results"):
        first_stage_table(fit(data, "dirichlet"))
    with pytest.raises(EstimationError, match="two-step results"):
        control_test_table([fit(data, "dirichlet")])
    with pytest.raises(EstimationError, match="two-step model"):
        two_step_effects(fit(data, "dirichlet"), data)
    with pytest.raises(EstimationError, match="positive integer"):
        bootstrap_two_step(res, data, reps=0)


# -- the selection correction ---------------------------------------------------------------
def test_heckman_corrects_the_selected_effects(sel_frame):
    frame, truth = sel_frame
    res = fit_share_model(frame, "dirichlet_heckman", exclusion=["lead_access"])
    assert res.model_name == "dirichlet_heckman"
    hk = two_step_effects(res, frame).set_index("id")
    from leadblackhole.effects import model_effects

    plain = model_effects(fit_share_model(frame, "dirichlet"), frame).set_index("id")
    value = truth.effects["value"]
    for h in ("H5", "H6"):
        assert abs(hk.loc[h, "estimate"] - value[h]) < 2.5 * hk.loc[h, "std_error"]
        # the uncorrected model is biased towards zero (selection on low performance)
        assert abs(plain.loc[h, "estimate"]) < abs(hk.loc[h, "estimate"])
    tests = control_test_table(res)
    assert tests.loc[0, "test"] == "no_selection" and tests.loc[0, "p_value"] < 0.01
    assert "lead_access" in tests.loc[0, "identification"]


def test_heckman_without_exclusion_is_labelled(sel_frame):
    frame, _ = sel_frame
    res = fit_share_model(frame, "dirichlet_heckman", exclusion="none")
    assert res.model_name == "dirichlet_heckman_functional_form"
    assert "functional form only" in res.identification
    assert (two_step_effects(res, frame)["model"] == res.model_name).all()


@pytest.mark.slow
def test_heckman_bootstrap_agrees_with_the_sandwich(sel_frame):
    frame, _ = sel_frame
    res = fit_share_model(frame, "dirichlet_heckman", exclusion=["lead_access"])
    boot = bootstrap_two_step(res, frame, reps=100, seed=3)
    assert boot.n_failed == 0
    eff = two_step_effects(res, frame).set_index("id")["std_error"]
    # 100 replicates: Monte Carlo error 7%; 25% leaves room for the delta method's error
    np.testing.assert_allclose(boot.effect_std_errors[["H5", "H6"]], eff[["H5", "H6"]], rtol=0.25)


def test_heckman_errors(sel_frame, iv_frame):
    frame, _ = sel_frame
    with pytest.raises(EstimationError, match="needs the AnalysisFrame"):
        fit_share_model(frame.data, "dirichlet_heckman")
    with pytest.raises(EstimationError, match="no marketing-lead time"):
        fit_share_model(iv_frame[0], "dirichlet_heckman")
    from dataclasses import replace

    shuffled = replace(frame, data=frame.data.iloc[::-1].reset_index(drop=True))
    with pytest.raises(EstimationError, match="same order"):
        fit_share_model(shuffled, "dirichlet_heckman")
    sel = frame.selection.assign(flat=1.0)
    with pytest.raises(InstrumentError, match="constant"):
        fit_share_model(replace(frame, selection=sel), "dirichlet_heckman", exclusion=["flat"])
    res = fit_share_model(frame, "dirichlet_heckman")
    with pytest.raises(EstimationError, match="pass the AnalysisFrame"):
        res.effects_data(frame.data)
