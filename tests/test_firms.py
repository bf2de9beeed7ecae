"""Tests of the firm-sensitivity checks (``leadblackhole.effects.firms``).

Independent values: the Ibragimov-Müller t test against ``scipy.stats.ttest_1samp`` on the
same numbers; the likelihood-ratio test of firm-specific slopes against R DirichletReg's
``anova()`` (``tests/reference/dirichlet_precision/reference_values.json``, entry
``firm_slopes``, computed by ``fit_reference.R`` there); and, marked slow, a Monte Carlo
study in which the firms' slopes are truly equal, so that the test's rejection rate must be
near its level.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import EffectsError
from leadblackhole.effects.firms import (
    FIRM_EFFECT_COLUMNS,
    FIRM_TEST_COLUMNS,
    firm_slope_design,
    firm_slopes_lr_test,
    firm_tests,
    ibragimov_mueller,
    per_firm_effects,
)
from leadblackhole.registry import HYPOTHESES
from leadblackhole.simulation import StudyDesign, simulate

REF_DIR = Path(__file__).parent / "reference" / "dirichlet_precision"
REF = json.loads((REF_DIR / "reference_values.json").read_text())

#: Agreement of two computations of the same number in floating point.
EXACT = 1e-10
#: Absolute tolerance of the LR statistic against DirichletReg, whose optimizer stops with
#: a gradient of up to 8e-5 in the 63-parameter model (``max_abs_score``).
LR_ATOL = 1e-6


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF_DIR / "four_firms_analysis.csv", dtype={"rep_id": str, "firm": str})


# ----------------------------------------------------------------------------
# Ibragimov-Müller
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values", [[0.02, 0.03, 0.05, 0.01], [-0.2, 0.1, -0.05], [1.0, 2.0, 4.0, 8.0, -3.0, 0.5]]
)
def test_ibragimov_mueller_is_a_one_sample_t_test(values):
    out = ibragimov_mueller(values)
    ref = stats.ttest_1samp(values, 0.0)
    assert out.stat == pytest.approx(ref.statistic, rel=EXACT)
    assert out.pval == pytest.approx(ref.pvalue, rel=EXACT)
    assert out.df == len(values) - 1 == out.n_firms - 1
    assert out.estimate == pytest.approx(np.mean(values), rel=EXACT)
    assert out.dist_name == "t"


def test_ibragimov_mueller_errors():
    with pytest.raises(EffectsError, match="at least 2 firms"):
        ibragimov_mueller([0.1])
    with pytest.raises(EffectsError, match="finite"):
        ibragimov_mueller([0.1, np.nan])
    with pytest.raises(EffectsError, match="all equal"):
        ibragimov_mueller([0.1, 0.1, 0.1])


# ----------------------------------------------------------------------------
# LR test of firm-specific slopes
# ----------------------------------------------------------------------------
def test_firm_slope_design_adds_firm_by_focal_columns(data):
    x = firm_slope_design(data)
    added = [c for c in x.columns if c.startswith("firm[") and ":" in c]
    assert len(added) == 3 * 5  # (F - 1) firms x 5 focal predictors
    assert "firm[T.C]:volume" in added
    np.testing.assert_allclose(x["firm[T.C]:volume"], (data.firm == "C") * data.volume, rtol=EXACT)


@pytest.mark.reference
def test_firm_slopes_lr_test_matches_dirichletreg(data):
    out = firm_slopes_lr_test(data)
    ref = REF["firm_slopes"]
    assert out.df == ref["df"] == 2 * 5 * (4 - 1)
    assert out.stat == pytest.approx(ref["statistic"], abs=LR_ATOL)
    assert out.pval == pytest.approx(ref["p_value"], abs=1e-6)
    assert "4 firms" in out.null


def test_firm_slopes_lr_test_errors(data):
    with pytest.raises(EffectsError, match="unknown focal"):
        firm_slopes_lr_test(data, focal=["nonsense"])
    with pytest.raises(EffectsError, match="at least 2 firms"):
        firm_slopes_lr_test(data[data.firm == "A"])


# ----------------------------------------------------------------------------
# per-firm effects and the table
# ----------------------------------------------------------------------------
def test_per_firm_effects_and_firm_tests(data):
    pf = per_firm_effects(data)
    assert list(pf.columns) == list(FIRM_EFFECT_COLUMNS)
    assert len(pf) == 4 * len(HYPOTHESES)
    assert pf.estimate.notna().all() and (pf.note == "").all()
    assert pf.groupby("firm").n.first().sum() == len(data)
    table = firm_tests(data, per_firm=pf)
    assert list(table.columns) == list(FIRM_TEST_COLUMNS)
    assert table.test.tolist() == ["firm_slopes_lr"] + ["ibragimov_mueller"] * len(HYPOTHESES)
    h1 = table.set_index("id").loc["H1"]
    ref = stats.ttest_1samp(pf.loc[pf.id == "H1", "estimate"], 0.0)
    assert h1.statistic == pytest.approx(ref.statistic, rel=EXACT) and h1.df == 3


def test_a_firm_that_cannot_be_fitted_is_reported_and_left_out(data):
    bad = data.copy()
    bad.loc[bad.firm == "B", "variable_pay"] = 0.1  # constant within firm B: singular design
    pf = per_firm_effects(bad)
    b = pf[pf.firm == "B"]
    assert b.estimate.isna().all() and b.note.str.contains("not estimable").all()
    table = firm_tests(bad, per_firm=pf).set_index("id")
    assert table.loc["H1", "n_firms"] == 3 and table.loc["H1", "df"] == 2
    # fewer than two firms with an estimate: missing test
    only_a = pf.copy()
    only_a.loc[only_a.firm != "A", "estimate"] = np.nan
    assert np.isnan(firm_tests(bad, per_firm=only_a).set_index("id").loc["H1", "p_value"])


def test_per_firm_effects_errors(data):
    with pytest.raises(EffectsError, match="'firm' column"):
        per_firm_effects(data.drop(columns="firm"))
    with pytest.raises(EffectsError, match="at least 2 firms"):
        per_firm_effects(data[data.firm == "A"])


# ----------------------------------------------------------------------------
# size of the LR test when slopes are equal (Monte Carlo)
# ----------------------------------------------------------------------------
#: Replications of the size study; the rejection rate at 5% has a Monte Carlo standard
#: error of 0.015 at 200 replications.
N_SIZE_REPS = 200


@pytest.mark.slow
def test_firm_slopes_lr_test_has_its_size_when_slopes_are_equal():
    # The simulator's firms differ in level only (common slopes), and heap_step=0 gives
    # exact Dirichlet shares, so the null of the test holds.
    pvals = []
    for r in range(N_SIZE_REPS):
        survey, _ = simulate(StudyDesign(heap_step=0), seed=1000 + r)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = build_analysis_frame(validate_survey(survey))
            pvals.append(firm_slopes_lr_test(frame).pval)
    rate = float(np.mean(np.asarray(pvals) < 0.05))
    # 0.05 +- 3 Monte Carlo standard errors (0.015), allowing the slight
    # over-rejection of a 30-df LR test at n = 461
    assert 0.005 <= rate <= 0.095, rate
