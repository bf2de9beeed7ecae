"""Tests of the main model, the robustness models and the model report.

The robustness models use the shares as reported (zeros included); the
``zero_other`` case, a survey in the canonical schema whose ``pct_other`` has
exact zeros, is read from its survey file through the package's loader.
Reference numbers come from ``tests/reference/models/reference_values.json``,
computed by ``tests/reference/models/fit_reference.R`` (R's lm + sandwich HC3,
glm(quasibinomial) + sandwich HC0, systemfit SUR with car::linearHypothesis,
glm(binomial("probit")) polished by Newton steps; versions in
``tests/reference/models/VERSIONS.md``) on the analysis data sets in the same
folder, written by ``make_datasets.py``. The tests read those CSV files, so
they need neither R nor the simulator.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leadblackhole.data import AnalysisFrame, build_analysis_frame, load_survey
from leadblackhole.exceptions import EstimationError, ZeroShareWarning
from leadblackhole.models import (
    DirichletRegression,
    ModelReport,
    WaldTest,
    fit_fractional_logit,
    fit_main_model,
    fit_ols,
    fit_probit,
    fit_share_model,
    fit_sur,
    leave_one_firm_out,
    main_model_exog,
    probit_skip_reason,
    run_models,
    sur_prequal_wald,
)
from leadblackhole.models.model_set import WALD_COLUMNS, parse_rounding
from leadblackhole.models.results import ESTIMATE_COLUMNS, FIT_STAT_COLUMNS
from leadblackhole.outputs import OutputSet
from leadblackhole.reporting.tables import (
    model_notes,
    regression_html,
    regression_latex,
    regression_markdown,
    stage_models,
    write_outputs,
)
from leadblackhole.specification import design_matrix
from leadblackhole.tables_text import STARS_LEGEND

#: Files staged by stage_models, in order.
OUTPUT_FILES = (
    "estimates.csv",
    "fit_stats.csv",
    "sur_wald.csv",
    "regression_table.md",
    "regression_table.tex",
    "regression_table.html",
    "skipped_models.csv",
    "sample.json",
)

REF_DIR = Path(__file__).parent / "reference" / "models"
META = json.loads((REF_DIR / "datasets.json").read_text())
REF = json.loads((REF_DIR / "reference_values.json").read_text())
CASES = sorted(META)

#: Relative tolerance against R (the brief of the reference values).
RTOL = 1e-6


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / name, dtype={"rep_id": str, "firm": str})


def make_frame(data: pd.DataFrame, selection: pd.DataFrame | None = None) -> AnalysisFrame:
    """An AnalysisFrame around already-built analysis data (as the CSV files hold)."""
    selection = data.assign(any_marketing=1) if selection is None else selection
    return AnalysisFrame(
        data=data.reset_index(drop=True),
        raw=data.reset_index(drop=True),
        means=pd.Series(dtype=float),
        selection=selection.reset_index(drop=True),
        exclusions=pd.DataFrame(columns=["row", "rep_id", "reason"]),
        n_read=len(selection),
        n_compressed=0,
        scales={},
    )


def case_frame(name: str) -> AnalysisFrame:
    """The analysis frame of a reference case: built by the package from its survey file."""
    return build_analysis_frame(load_survey(REF_DIR / META[name]["survey"]))


@pytest.fixture(scope="module")
def frames() -> dict[str, AnalysisFrame]:
    return {name: case_frame(name) for name in CASES}


@pytest.fixture(scope="module")
def report(frames) -> ModelReport:
    """run_models on the four-firm reference case (461 reps, 40 without marketing time)."""
    return run_models(frames["four_firms"])


def assert_rel(actual, desired, rtol=RTOL):
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(desired, float), rtol=rtol, atol=0
    )


# ----------------------------------------------------------------------------
# the reference data sets themselves
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_frame_holds_the_raw_shares_of_the_reference_data(frames, name):
    # The frame built from the survey file is the analysis data R fitted (to rounding of
    # the 17-digit CSV), shares included: raw, not compressed.
    written = _read(META[name]["analysis"])
    data = frames[name].data
    # the frame also carries the reported percents (for the rounding-aware model's cells)
    pd.testing.assert_frame_equal(
        data[written.columns], written, check_dtype=False, rtol=1e-15, atol=1e-15
    )
    survey = _read(META[name]["survey"]).set_index("rep_id").loc[data["rep_id"]]
    pct = survey[["pct_marketing", "pct_self", "pct_other"]].to_numpy(float)
    shares = pct / pct.sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(data[["marketing", "self", "other"]].to_numpy(), shares)
    assert int((data["other"] == 0).sum()) == META[name]["n_zero_other"]


def test_zero_other_case_has_exact_zeros():
    assert META["zero_other"]["n_zero_other"] >= 30


@pytest.mark.parametrize("name", CASES)
def test_reference_design_has_the_study_terms(frames, name):
    # datasets.json records design_matrix's columns when the data were written.
    assert list(main_model_exog(frames[name]).columns) == META[name]["terms"]
    assert REF[name]["terms"] == META[name]["terms"]
    assert len(frames[name].data) == REF[name]["n"] == META[name]["n_analysis"]


# ----------------------------------------------------------------------------
# agreement with R
# ----------------------------------------------------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("name", CASES)
def test_ols_hc3_matches_r(frames, name):
    ref, terms = REF[name]["ols"], REF[name]["terms"]
    res = fit_share_model(frames[name], "ols")
    # R: coef(lm(...)), sqrt(diag(sandwich::vcovHC(fit, type = "HC3"))), on the raw shares.
    assert_rel(res.params["marketing"][terms], ref["coef"])
    assert_rel(res.bse["marketing"][terms], ref["se"])
    assert res.raw.cov_type == "HC3"
    # R: logLik(lm), AIC(lm), BIC(lm) (the error variance counted) and R^2.
    row = res.fit_stats()
    assert_rel(
        [row["log_likelihood"], row["aic"], row["bic"], row["r_squared"]],
        [ref["loglik"], ref["aic"], ref["bic"], ref["r_squared"]],
    )
    assert row["n"] == ref["nobs"]


@pytest.mark.reference
@pytest.mark.parametrize("name", CASES)
def test_fractional_logit_hc0_matches_r(frames, name):
    ref, terms = REF[name]["fractional_logit"], REF[name]["terms"]
    res = fit_share_model(frames[name], "fractional_logit")
    # R: glm(family = quasibinomial), sandwich::vcovHC(type = "HC0") (checked in the R
    # script against the closed-form binomial sandwich), on the raw shares.
    assert_rel(res.params["marketing"][terms], ref["coef"])
    assert_rel(res.bse["marketing"][terms], ref["se"])
    assert res.raw.cov_type == "HC0"
    assert res.converged


@pytest.mark.reference
@pytest.mark.parametrize("name", CASES)
def test_sur_matches_systemfit(frames, name):
    ref, terms = REF[name]["sur"], REF[name]["terms"]
    res = fit_share_model(frames[name], "sur")
    for eq in ("marketing", "self"):
        # R: coef(systemfit(..., method = "SUR")), sqrt(diag(vcov(.))) with the defaults
        # (methodResidCov = "geomean"): the same convention as cov_type="unadjusted",
        # debiased=True, so standard errors are compared too.
        assert_rel(res.params[eq][terms], ref[eq]["coef"])
        assert_rel(res.bse[eq][terms], ref[eq]["se"])
    pq = [("marketing", "prequal"), ("self", "prequal")]
    assert_rel(res.cov_params().loc[pq, pq].to_numpy(), np.array(ref["prequal_cov"]))
    assert_rel(res.raw.sigma.to_numpy(), np.array(ref["resid_cov"]))
    # R: logLik(systemfit) (value and df), summary(.)$mcelroy.r.squared.
    row = res.fit_stats()
    assert_rel(row["log_likelihood"], ref["loglik"])
    assert_rel(row["aic"], -2 * ref["loglik"] + 2 * ref["df"])
    assert_rel(row["r_squared"], ref["mcelroy_r_squared"])


@pytest.mark.reference
@pytest.mark.parametrize("name", CASES)
def test_probit_matches_r(frames, name):
    ref, terms = REF[name]["probit"], REF[name]["terms"]
    res = fit_probit(frames[name])
    params, bse = res.params["any_marketing"][terms], res.bse["any_marketing"][terms]
    # R: glm(binomial("probit")) polished by Newton steps (max |score| recorded).
    assert ref["max_abs_score"] < 1e-10
    assert_rel(params, ref["coef"])
    # glm's own estimates stop about 1e-8 short of the maximum (deviance criterion).
    np.testing.assert_allclose(params, ref["coef_glm"], rtol=0, atol=1e-6)
    # R: inverse observed information, the covariance statsmodels' Probit reports.
    assert_rel(bse, ref["se_observed"])
    # glm's expected-information errors differ for the probit link (by a few percent here).
    assert not np.allclose(bse, ref["se_expected_glm"], rtol=1e-3)
    assert res.link is None  # not a share model: no share-scale effects
    row = res.fit_stats()
    # R: logLik(glm), AIC(glm), BIC(glm).
    assert_rel(
        [row["log_likelihood"], row["aic"], row["bic"]], [ref["loglik_glm"], ref["aic"], ref["bic"]]
    )
    assert row["n"] == ref["nobs"] == META[name]["n_selection"]


# ----------------------------------------------------------------------------
# Wald test
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_sur_wald_closed_form_and_r(frames, name):
    res = fit_sur(frames[name])
    test = sur_prequal_wald(res)
    # Closed form: W = (b_m + b_s)^2 / (V_mm + V_ss + 2 V_ms), chi2(1).
    names = ["marketing_prequal", "self_prequal"]
    b = res.raw.params[names].to_numpy()
    v = res.raw.cov.loc[names, names].to_numpy()
    est = b.sum()
    var = v[0, 0] + v[1, 1] + 2 * v[0, 1]
    assert test.estimate == pytest.approx(est, rel=1e-12)
    assert test.std_error == pytest.approx(math.sqrt(var), rel=1e-12)
    assert test.stat == pytest.approx(est**2 / var, rel=1e-12)
    assert test.pval == pytest.approx(stats.chi2.sf(est**2 / var, 1), rel=1e-12)
    assert (test.df, test.dist_name) == (1, "chi2")
    assert "prequal" in test.null
    # R: car::linearHypothesis(sur, "marketing_prequal + self_prequal = 0", test = "Chisq").
    assert_rel([test.stat, test.pval], [REF[name]["sur"]["wald_stat"], REF[name]["sur"]["wald_p"]])
    assert REF[name]["sur"]["wald_df"] == 1


def test_wald_test_is_frozen():
    test = WaldTest(stat=1.0, pval=0.3, df=1, null="a + b = 0")
    with pytest.raises(dataclasses.FrozenInstanceError):
        test.stat = 2.0  # type: ignore[misc]
    assert list(test.to_frame().columns) == list(WALD_COLUMNS)


def test_sur_wald_unknown_term_raises(frames):
    res = fit_sur(frames["three_firms"])
    with pytest.raises(EstimationError, match=r"no parameter \('marketing', 'nonsense'\)"):
        sur_prequal_wald(res, term="nonsense")


# ----------------------------------------------------------------------------
# main model and leave-one-firm-out
# ----------------------------------------------------------------------------


def test_main_model_is_the_study_dirichlet(frames):
    frame = frames["three_firms"]
    res = fit_main_model(frame)
    terms = META["three_firms"]["terms"]
    assert res.converged
    assert res.parametrization == "alternative"
    assert res.model.base == "other"
    assert res.params.index.get_level_values("equation").unique().tolist() == [
        "marketing",
        "self",
        "precision",
    ]
    assert res.params["marketing"].index.tolist() == terms
    assert res.params["precision"].index.tolist() == ["Intercept"]
    # The same model built by hand from design_matrix gives the same estimates; the frame
    # holds the raw shares, which the Dirichlet model compresses (and says so).
    with pytest.warns(ZeroShareWarning, match="15 of 180 row"):
        direct = DirichletRegression(
            frame.data[["marketing", "self", "other"]], design_matrix(frame.data), base="other"
        ).fit()
    assert res.n_compressed == direct.n_compressed == 15
    np.testing.assert_allclose(res.params, direct.params, rtol=1e-12)


def test_leave_one_firm_out(frames):
    frame = frames["four_firms"]
    fits = leave_one_firm_out(frame)
    counts = frame.data["firm"].value_counts()
    assert list(fits) == ["A", "B", "C", "D"]
    for firm, res in fits.items():
        # N = analysis sample minus the dropped firm's reps.
        assert res.nobs == len(frame.data) - counts[firm]
        terms = res.params["marketing"].index.tolist()
        assert f"firm[T.{firm}]" not in terms
        assert len(terms) == len(META["four_firms"]["terms"]) - 1
        assert res.converged
    # Dropping the reference firm A makes B the reference.
    assert "firm[T.B]" not in fits["A"].params["marketing"].index
    # Each fit is the main model on the reduced sample.
    sub = frame.data[frame.data["firm"] != "C"].reset_index(drop=True)
    np.testing.assert_allclose(fits["C"].params, fit_main_model(make_frame(sub)).params, rtol=1e-10)


def test_leave_one_firm_out_needs_two_firms(frames):
    data = frames["three_firms"].data
    one = make_frame(data[data["firm"] == "A"])
    with pytest.raises(EstimationError, match="at least 2 firms"):
        leave_one_firm_out(one)


# ----------------------------------------------------------------------------
# run_models and its tables
# ----------------------------------------------------------------------------


def test_run_models_tables(report, frames):
    est, fit = report.estimates, report.fit_stats
    assert (
        list(est.columns)
        == list(ESTIMATE_COLUMNS)
        == [
            "model",
            "equation",
            "term",
            "estimate",
            "std_error",
            "statistic",
            "p_value",
            "conf_low",
            "conf_high",
        ]
    )
    assert (
        list(fit.columns)
        == list(FIT_STAT_COLUMNS)
        == ["model", "n", "log_likelihood", "aic", "bic", "r_squared", "converged"]
    )
    assert list(report.sur_wald_table.columns) == list(WALD_COLUMNS)
    # The reference percents are whole numbers, so the rounding-aware model is fitted too.
    assert report.rounding_step is not None
    models = [
        "dirichlet_rounded",
        "dirichlet",
        "fmlogit",
        "ols",
        "fractional_logit",
        "sur",
        "probit",
        "loo_A",
        "loo_B",
        "loo_C",
        "loo_D",
    ]
    assert fit["model"].tolist() == models
    assert est["model"].unique().tolist() == models
    eqs = est.groupby("model")["equation"].unique().map(list).to_dict()
    assert eqs["dirichlet"] == eqs["dirichlet_rounded"] == ["marketing", "self", "precision"]
    assert eqs["fmlogit"] == ["marketing", "self"]
    assert eqs["ols"] == eqs["fractional_logit"] == ["marketing"]
    assert eqs["sur"] == ["marketing", "self"]
    assert eqs["probit"] == ["any_marketing"]
    assert eqs["loo_B"] == ["marketing", "self", "precision"]
    assert est[list(ESTIMATE_COLUMNS[3:])].notna().all().all()
    assert (est["conf_low"] < est["estimate"]).all() and (est["estimate"] < est["conf_high"]).all()
    n = len(frames["four_firms"].data)
    stats_by = fit.set_index("model")
    assert stats_by.loc["dirichlet", "n"] == n
    assert stats_by.loc["probit", "n"] == META["four_firms"]["n_selection"]
    # R² where defined (OLS, SUR), NaN otherwise; no likelihood for the quasi-likelihood model.
    assert stats_by["r_squared"].notna().tolist() == [m in ("ols", "sur") for m in models]
    assert stats_by.loc["dirichlet_rounded", "n"] == n
    assert stats_by.loc["fractional_logit", ["log_likelihood", "aic", "bic"]].isna().all()
    assert stats_by["converged"].all()
    # The tables repeat the fitted results kept on the report.
    dm = est[(est.model == "dirichlet") & (est.equation == "marketing")].set_index("term")
    np.testing.assert_allclose(dm["estimate"], report.dirichlet.params["marketing"])
    assert report.sur_wald_table.loc[0, "statistic"] == report.sur_wald.stat
    assert stats_by.loc["dirichlet", "log_likelihood"] == report.dirichlet.llf
    assert report.skipped == {}
    assert report.main_name == "dirichlet_rounded" and report.main is report.dirichlet_rounded
    assert report.two_part is not None and report.two_part.conditional is report.main


def test_report_keeps_fitted_results(report):
    assert report.ols.params["marketing"].index.tolist() == META["four_firms"]["terms"]
    assert report.fractional_logit.raw.model.endog_names == "marketing"
    assert list(report.fits) == [
        "dirichlet_rounded",
        "dirichlet",
        "fmlogit",
        "ols",
        "fractional_logit",
        "sur",
        "probit",
        "two_part",
    ] + [f"loo_{f}" for f in "ABCD"]
    assert report.probit is not None
    assert set(report.loo) == {"A", "B", "C", "D"}


def test_regression_table_renderings(report):
    table = report.regression_table
    assert table.columns.tolist() == [
        "term",
        "Rounded Dirichlet marketing",
        "Rounded Dirichlet self",
        "Dirichlet marketing",
        "Dirichlet self",
        "OLS",
        "Fractional logit",
        "SUR marketing",
        "SUR self",
    ]
    assert not table["term"].str.startswith("firm[").any()
    rows = table.set_index("term")
    assert rows.loc["Firm effects"].tolist() == ["Yes"] * 8
    assert rows.loc["N"].tolist() == [str(report.dirichlet.nobs)] * 8
    notes = model_notes(report.firms)
    md = regression_markdown(table, notes)
    tex = regression_latex(table, notes)
    page = regression_html(table, notes)
    assert STARS_LEGEND == "* p<0.05, ** p<0.01, *** p<0.001"
    assert STARS_LEGEND in md
    assert STARS_LEGEND in html.unescape(page)
    assert r"* $p<0.05$, ** $p<0.01$, *** $p<0.001$" in tex
    n = str(report.dirichlet.nobs)
    assert f"| N | {n} |" in md
    assert f"N & {n} &" in tex
    assert f'<td style="text-align:left">N</td><td style="text-align:center">{n}</td>' in page
    assert "| Firm effects | Yes |" in md and "Firm effects & Yes" in tex and "Firm effects" in page
    assert "firm[T." not in md and "firm[T." not in page
    # Stars follow the p-values of the estimates table: prequal in the Dirichlet model.
    p = report.estimates.query(
        "model == 'dirichlet' and equation == 'marketing' and term == 'prequal'"
    )["p_value"].item()
    cell = rows.loc["prequal", "Dirichlet marketing"]
    assert cell.endswith("***") == (p < 0.001)
    assert tex.count(r"\begin{tabular}") == 1 and tex.rstrip().endswith(r"\end{table}")
    assert page.startswith("<table") and page.rstrip().endswith("</table>")


def test_stage_and_write(report, tmp_path):
    outset = OutputSet(tmp_path / "out")
    assert stage_models(report, outset) is outset
    assert (
        outset.names
        == list(OUTPUT_FILES)
        == [
            "estimates.csv",
            "fit_stats.csv",
            "sur_wald.csv",
            "regression_table.md",
            "regression_table.tex",
            "regression_table.html",
            "skipped_models.csv",
            "sample.json",
        ]
    )
    assert not (tmp_path / "out").exists()  # staged, not written
    written = write_outputs(tmp_path / "out", (stage_models, report))
    assert sorted(written) == sorted(OUTPUT_FILES)
    est = pd.read_csv(tmp_path / "out" / "estimates.csv")
    assert list(est.columns) == list(ESTIMATE_COLUMNS)
    assert len(est) == len(report.estimates)
    fit = pd.read_csv(tmp_path / "out" / "fit_stats.csv")
    assert list(fit.columns) == list(FIT_STAT_COLUMNS)
    wald = pd.read_csv(tmp_path / "out" / "sur_wald.csv")
    assert list(wald.columns) == list(WALD_COLUMNS)
    assert wald.loc[0, "statistic"] == pytest.approx(report.sur_wald.stat, rel=1e-9)


def test_probit_skipped_without_zero_time_reps(frames):
    frame = frames["three_firms"]
    no_zero = make_frame(frame.data, frame.selection[frame.selection["any_marketing"] == 1])
    assert "every rep" in probit_skip_reason(no_zero)
    assert fit_probit(no_zero) is None
    rep = run_models(no_zero, leave_one_out=False)
    assert rep.probit is None
    assert "probit" in rep.skipped
    assert "probit" not in rep.estimates["model"].tolist()
    assert "probit" not in rep.fit_stats["model"].tolist()
    assert "model skipped: probit" in rep.summary()
    assert rep.two_part is None and "two_part" in rep.skipped


def test_probit_separation_is_reported(frames):
    frame = frames["four_firms"]
    sel = frame.selection.copy()
    sel.loc[sel["firm"] == "B", "any_marketing"] = 0
    bad = make_frame(frame.data, sel)
    with pytest.raises(EstimationError, match=r"firm\(s\) 'B' \(all 0\).*separation"):
        fit_probit(bad)
    # run_models keeps the share models and records the probit as skipped.
    with pytest.warns(UserWarning, match="probit was skipped"):
        rep = run_models(bad, leave_one_out=False)
    assert rep.probit is None and "separation" in rep.skipped["probit"]


# ----------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------


def _with(frame: AnalysisFrame, **columns) -> AnalysisFrame:
    return make_frame(frame.data.assign(**columns), frame.selection.assign(**columns))


@pytest.mark.parametrize(
    "fit",
    [
        fit_main_model,
        fit_ols,
        fit_fractional_logit,
        fit_sur,
        fit_probit,
        leave_one_firm_out,
        run_models,
    ],
)
def test_variable_without_variation_raises(frames, fit):
    # Everyone answered the same variable-pay percent: zero after centring.
    bad = _with(frames["four_firms"], variable_pay=0.0)
    with pytest.raises(EstimationError, match=r"singular.*\['variable_pay'\].*zero in every row"):
        fit(bad)


@pytest.mark.parametrize("fit", [fit_main_model, fit_ols, fit_fractional_logit, fit_sur])
def test_constant_column_raises(frames, fit):
    # A constant (non-zero) column duplicates the intercept.
    bad = _with(frames["four_firms"], variable_pay=0.25)
    with pytest.raises(
        EstimationError, match=r"singular \(rank 15 < 16 columns\).*\['variable_pay'\].*constant"
    ):
        fit(bad)


def test_collinear_column_raises(frames):
    frame = frames["three_firms"]
    bad = make_frame(frame.data.assign(experience=2 * frame.data["prequal"]))
    with pytest.raises(EstimationError, match=r"linear combinations of earlier columns"):
        fit_ols(bad)


def test_missing_value_raises(frames):
    data = frames["three_firms"].data.copy()
    data.loc[3, "tracking"] = np.nan
    with pytest.raises(
        EstimationError,
        match=r"missing or infinite values in column\(s\) "
        r"\['tracking'",
    ):
        fit_ols(make_frame(data))


def test_share_outside_unit_interval_raises(frames):
    data = frames["three_firms"].data.copy()
    data.loc[0, "marketing"] = 1.5
    with pytest.raises(EstimationError, match=r"'marketing' has values outside \[0, 1\]"):
        fit_fractional_logit(make_frame(data))


def test_not_a_frame_raises():
    with pytest.raises(EstimationError, match="no column 'marketing'"):
        fit_ols(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(EstimationError, match="expected an AnalysisFrame"):
        fit_main_model(object())
    with pytest.raises(EstimationError, match="expected an AnalysisFrame"):
        fit_sur(object())


def test_unknown_options_raise(frames):
    with pytest.raises(EstimationError, match="component must be one of"):
        fit_ols(frames["three_firms"], component="marketing_leads")
    with pytest.raises(EstimationError, match="parametrization must be one of"):
        fit_main_model(frames["three_firms"], parametrization="mean")
    with pytest.raises(EstimationError, match="unknown share model 'tobit'"):
        fit_share_model(frames["three_firms"], "tobit")


def test_run_models_rounding_options(frames):
    frame = frames["three_firms"]
    none = run_models(frame, leave_one_out=False, rounding="none")
    assert none.dirichlet_rounded is None and none.main_name == "dirichlet"
    assert "dirichlet_rounded" in none.skipped
    # a step finer than the answers' (multiples of 5) is taken as given
    fine = run_models(frame, leave_one_out=False, rounding=2.5)
    assert fine.rounding_step == 2.5 and fine.main.step == 2.5
    assert "multiples of 2.5" in fine.summary()
    # a coarser one is not: some answers are not multiples of it
    with pytest.raises(EstimationError, match="not a multiple of 10 percentage points"):
        run_models(frame, leave_one_out=False, rounding=10)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("3.7", "must divide 100"),
        (3.7, "must divide 100"),
        ("fine", "must be auto, none or a step"),
        (-5, r"must lie in \(0, 100\]"),
        (True, "must be 'auto', 'none' or a number"),
    ],
)
def test_parse_rounding_raises(value, match):
    with pytest.raises(EstimationError, match=match):
        parse_rounding(value)
    with pytest.raises(EstimationError, match="needs the analysis frame"):
        parse_rounding("auto")
