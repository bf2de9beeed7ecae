"""Sensitivity to an unobserved confounder (Cinelli & Hazlett 2020) on the OLS share model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.exceptions import EstimationError
from leadblackhole.models import main_model_exog
from leadblackhole.models.sensitivity import (
    CONTOUR_COLUMNS,
    SENSITIVITY_COLUMNS,
    _adjusted,
    contour_table,
    ovb_bounds,
    robustness_value,
    sensitivity_contour,
    sensitivity_table,
)

#: Darfur example of Cinelli & Hazlett (2020), from sensemakr 0.1.6's tests
#: (tests/testthat/test-02-darfur.R): estimate, se and df of ``directlyharmed`` and the
#: bounds of a confounder 1x ``female``.
DARFUR = {
    "estimate": 0.09731582,
    "se": 0.02325654,
    "dof": 783,
    "r2yd_x": 0.02187,
    "rv_q": 0.13877,
    "rv_qa": 0.07626,
    "r2dz_x": 0.00916428667504862,
    "r2yz_dx": 0.12464092303637,
    "adjusted_estimate": 0.0752202712144491,
    "adjusted_se": 0.0218733277437572,
}


@pytest.fixture(scope="module")
def frame(default_survey):
    return build_analysis_frame(validate_survey(default_survey))


@pytest.fixture(scope="module")
def table(frame):
    return sensitivity_table(frame)


def test_darfur_reference():
    d = DARFUR
    t = d["estimate"] / d["se"]
    assert t**2 / (t**2 + d["dof"]) == pytest.approx(d["r2yd_x"], abs=1e-5)
    assert robustness_value(t, d["dof"]) == pytest.approx(d["rv_q"], abs=1e-5)
    assert robustness_value(t, d["dof"], alpha=0.05) == pytest.approx(d["rv_qa"], abs=1e-5)
    est, se, _ = _adjusted(d["estimate"], d["se"], d["dof"], d["r2dz_x"], d["r2yz_dx"])
    # the estimate and se are given to 7 significant digits: agreement to about 1e-7
    assert est == pytest.approx(d["adjusted_estimate"], rel=1e-6)
    assert se == pytest.approx(d["adjusted_se"], rel=1e-6)


def test_rv_against_a_hand_computation_from_the_ols_t(frame, table):
    """RV from statsmodels' classical OLS t statistic, by the formula and by its definition."""
    exog = main_model_exog(frame)
    ols = sm.OLS(frame.data["marketing"], exog).fit()
    for h, term in (("H4", "volume"), ("H6", "performance"), ("H10", "performance:volume")):
        t, dof = ols.tvalues[term], ols.df_resid
        f = abs(t) / np.sqrt(dof)
        rv = 0.5 * (np.sqrt(f**4 + 4 * f**2) - f**2)
        row = table[table["id"] == h].iloc[0]
        assert row["term"] == term and row["model"] == "ols_classical"
        assert row["t_statistic"] == pytest.approx(t, rel=1e-10)
        assert row["partial_r2"] == pytest.approx(t**2 / (t**2 + dof), rel=1e-10)
        assert row["rv_q"] == pytest.approx(rv, rel=1e-10)
        # the definition: a confounder with both partial R2 = RV removes the estimate exactly
        adj, _, _ = _adjusted(ols.params[term], ols.bse[term], dof, rv, rv)
        assert adj == pytest.approx(0.0, abs=1e-12)
        # ... and with both = RV_qa the t statistic falls to the critical value (if not extreme)
        rva = row["rv_qa"]
        if 0 < rva and f <= 1 / (stats.t.ppf(0.975, dof - 1) / np.sqrt(dof - 1)):
            _, _, t_adj = _adjusted(ols.params[term], ols.bse[term], dof, rva, rva)
            assert abs(t_adj) == pytest.approx(stats.t.ppf(0.975, dof - 1), rel=1e-8)


def test_benchmark_bounds_by_hand(frame, table):
    exog = main_model_exog(frame)
    y = frame.data["marketing"]
    ols = sm.OLS(y, exog).fit()
    treat = sm.OLS(exog["volume"], exog.drop(columns="volume")).fit()
    t_y, t_d = ols.tvalues["experience"], treat.tvalues["experience"]
    r2yxj = t_y**2 / (t_y**2 + ols.df_resid)
    r2dxj = t_d**2 / (t_d**2 + treat.df_resid)
    r2dz = r2dxj / (1 - r2dxj)
    eta = r2dxj**2 / ((1 - r2dxj) * (1 - r2dxj))
    r2yz = ((1 + np.sqrt(eta)) / np.sqrt(1 - eta)) ** 2 * r2yxj / (1 - r2yxj)
    row = table[(table["id"] == "H4") & (table["benchmark"] == "experience")].iloc[0]
    assert row["r2dz_x"] == pytest.approx(r2dz, rel=1e-8)
    assert row["r2yz_dx"] == pytest.approx(r2yz, rel=1e-8)
    bias = np.sqrt(r2yz * r2dz / (1 - r2dz)) * ols.bse["volume"] * np.sqrt(ols.df_resid)
    assert row["adjusted_estimate"] == pytest.approx(ols.params["volume"] - bias, rel=1e-8)


def test_table_layout(table):
    assert tuple(table.columns) == SENSITIVITY_COLUMNS
    assert len(table) == 24 and set(table["benchmark"]) == {"experience", "performance"}
    own = table[(table["id"] == "H5") & (table["benchmark"] == "experience")].iloc[0]
    assert np.isnan(own["adjusted_estimate"]) and "focal term itself" in own["note"]
    assert table.loc[table["id"] == "H2", "outcome"].iloc[0] == "self"


def test_impossible_multiple_and_cap():
    assert all(np.isnan(ovb_bounds(0.6, 0.1, kd=2.0)))
    assert ovb_bounds(0.2, 0.9)[1] == 1.0  # capped as sensemakr does


def test_contour(frame, table):
    surface, points = sensitivity_contour(frame, "H4", grid=5, table=table)
    assert len(surface) == 25 and list(points["benchmark"]) == ["experience", "performance"]
    origin = surface[(surface["r2dz_x"] == 0) & (surface["r2yz_dx"] == 0)].iloc[0]
    h4 = table[table["id"] == "H4"].iloc[0]
    assert origin["adjusted_estimate"] == pytest.approx(h4["estimate"])
    assert surface["adjusted_estimate"].min() < origin["adjusted_estimate"]


def test_errors(frame, table):
    with pytest.raises(EstimationError, match="q must be positive"):
        robustness_value(2.0, 100, q=0)
    with pytest.raises(EstimationError, match="at least 2 residual df"):
        robustness_value(2.0, 1)
    with pytest.raises(EstimationError, match="alpha"):
        robustness_value(2.0, 100, alpha=1.5)
    with pytest.raises(EstimationError, match="not terms of the design"):
        sensitivity_table(frame, benchmarks=["tenure"])
    with pytest.raises(EstimationError, match="unknown hypothesis"):
        sensitivity_contour(frame, "H99", table=table)
    with pytest.raises(EstimationError, match="grid"):
        sensitivity_contour(frame, "H4", grid=1, table=table)


def test_rv_is_zero_when_insignificant():
    assert robustness_value(0.5, 400, alpha=0.05) == 0.0
    assert 0 < robustness_value(0.5, 400) < 0.03


@pytest.fixture(scope="module")
def h4_ols(frame):
    """The classical OLS fit of the marketing share that H4 is read on (statsmodels)."""
    return sm.OLS(frame.data["marketing"], main_model_exog(frame)).fit()


def test_contour_grid_point_is_the_cinelli_hazlett_bias_bound(frame, table, h4_ols):
    """A grid value of ``sensitivity_contour.csv`` equals the bias bound computed by hand."""
    contour = contour_table(frame, table=table)
    assert tuple(contour.columns) == CONTOUR_COLUMNS
    grid = contour[contour["kind"] == "grid"]
    assert len(grid) == 41 * 41
    axis = np.unique(grid["r2dz_x"])
    r2dz, r2yz = axis[7], axis[29]  # an interior point, the two axes different
    cell = grid[(grid["r2dz_x"] == r2dz) & (grid["r2yz_dx"] == r2yz)].iloc[0]
    b, se, dof = h4_ols.params["volume"], h4_ols.bse["volume"], h4_ols.df_resid
    assert b > 0  # H4 is positive here: the confounder works towards zero
    # Cinelli & Hazlett (2020), eq. 11: |bias| = sqrt(R2yz.dx R2dz.x / (1 - R2dz.x)) se sqrt(df)
    bias = np.sqrt(r2yz * r2dz / (1 - r2dz)) * se * np.sqrt(dof)
    assert cell["adjusted_estimate"] == pytest.approx(b - bias, rel=1e-9)
    se_adj = np.sqrt((1 - r2yz) / (1 - r2dz)) * se * np.sqrt(dof / (dof - 1))
    assert cell["adjusted_t"] == pytest.approx((b - bias) / se_adj, rel=1e-9)
    assert np.allclose(contour["estimate"], b, rtol=1e-10, atol=0)
    assert set(contour["id"]) == {"H4"} and set(contour["term"]) == {"volume"}
    # the grid reaches past the robustness value, so the line where the estimate is zero shows
    rv = table.loc[table["id"] == "H4", "rv_q"].iloc[0]
    assert axis.max() >= 1.5 * rv - 1e-12
    assert grid["adjusted_estimate"].min() < 0 < grid["adjusted_estimate"].max()


def test_contour_benchmark_points_at_two_and_three_times(frame, table, h4_ols):
    """The 1x, 2x and 3x points of experience from the partial R2 of experience, by hand."""
    exog = main_model_exog(frame)
    treat = sm.OLS(exog["volume"], exog.drop(columns="volume")).fit()
    t_y, t_d = h4_ols.tvalues["experience"], treat.tvalues["experience"]
    r2yxj = t_y**2 / (t_y**2 + h4_ols.df_resid)
    r2dxj = t_d**2 / (t_d**2 + treat.df_resid)
    contour = contour_table(frame, table=table)
    points = contour[contour["kind"] == "benchmark"]
    assert list(zip(points["benchmark"], points["multiple"], strict=True)) == [
        ("experience", 1.0),
        ("experience", 2.0),
        ("experience", 3.0),
        ("performance", 1.0),
        ("performance", 2.0),
        ("performance", 3.0),
    ]
    for k in (1.0, 2.0, 3.0):
        r2dz = k * r2dxj / (1 - r2dxj)
        eta = k * r2dxj**2 / ((1 - k * r2dxj) * (1 - r2dxj))
        r2yz = ((np.sqrt(k) + np.sqrt(eta)) / np.sqrt(1 - eta)) ** 2 * r2yxj / (1 - r2yxj)
        row = points[(points["benchmark"] == "experience") & (points["multiple"] == k)].iloc[0]
        assert row["r2dz_x"] == pytest.approx(r2dz, rel=1e-8)
        assert row["r2yz_dx"] == pytest.approx(r2yz, rel=1e-8)
        bias = np.sqrt(r2yz * r2dz / (1 - r2dz)) * h4_ols.bse["volume"] * np.sqrt(h4_ols.df_resid)
        assert row["adjusted_estimate"] == pytest.approx(h4_ols.params["volume"] - bias, rel=1e-8)


def test_contour_multiples_must_be_positive(frame, table):
    for bad in ((), (1.0, 0.0), (-2.0,), (float("nan"),)):
        with pytest.raises(EstimationError, match="multiples must be positive numbers"):
            sensitivity_contour(frame, "H4", table=table, multiples=bad)


def test_report_sentence_never_prints_scientific_notation(tmp_path):
    from leadblackhole.reporting.report_sections import read_report_inputs, sensitivity_section

    models = tmp_path / "models"
    models.mkdir()
    from leadblackhole.models.sensitivity import SENSITIVITY_COLUMNS

    row = dict.fromkeys(SENSITIVITY_COLUMNS, 0.5) | {
        "id": "H8", "term": "prequal:volume", "outcome": "marketing", "model": "ols",
        "rv_q": 0.012, "rv_qa": 0.0, "benchmark": "experience", "note": "",
        "adjusted_estimate": 1.506e-05, "adjusted_t": 0.41,
    }  # fmt: skip
    pd.DataFrame([row]).to_csv(models / "sensitivity.csv", index=False)
    text = "\n".join(sensitivity_section(read_report_inputs(tmp_path, tmp_path), []))
    assert "would leave 0.00001506 (t = 0.41)" in text
    assert "e-05" not in text
