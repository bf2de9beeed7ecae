"""The Dirichlet regression's precision model and robust covariance against R.

Reference numbers come from ``tests/reference/dirichlet_precision/reference_values.json``,
computed by ``fit_reference.R`` in that folder (versions in its ``VERSIONS.md``):

* ``constant`` and ``precision``: R DirichletReg fits of the main model's right-hand side
  (alternative parametrization, base ``other``) with precision ``~ 1`` and
  ``~ firm + experience + performance`` on the four-firm analysis data (the shares as the
  package compresses them), and ``anova()``'s likelihood-ratio test of the two;
* ``robust_se``: the sandwich ``H^-1 (sum s_i s_i') H^-1`` computed in R from a hand-written
  per-observation Dirichlet log-density, with the scores by ``numDeriv::jacobian`` and the
  Hessian by ``numDeriv::hessian`` (independent of DirichletReg and of this package).

The package's sandwich is the ``cov_type="robust"`` covariance of the results, checked
both on design matrices and through ``fit_share_model(..., precision=FORMULA)``, the path
``leadblackhole fit --precision ... --cov robust`` takes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadblackhole.models import fit_share_model
from leadblackhole.models.dirichlet import DirichletRegression
from leadblackhole.specification import COMPONENTS, design_matrix

REF_DIR = Path(__file__).parent / "reference" / "dirichlet_precision"
REF = json.loads((REF_DIR / "reference_values.json").read_text())

#: Absolute tolerance on coefficients against DirichletReg (the contract). DirichletReg's
#: optimizer stops with a gradient of up to 1.5e-5 (``max_abs_score``), which moves the
#: coefficients by well under 1e-6.
COEF_ATOL = 1e-6
#: Relative tolerance on standard errors against R (the contract).
SE_RTOL = 1e-4
#: Absolute tolerance on log-likelihoods and the LR statistic.
LLF_ATOL = 1e-7

PRECISION_VARIABLES = ["experience", "performance"]


def _data() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "four_firms_analysis.csv", dtype={"rep_id": str, "firm": str})


def precision_design(data: pd.DataFrame) -> pd.DataFrame:
    """Intercept, firm dummies (first sorted label the reference), experience, performance."""
    full = design_matrix(data)
    cols = ["Intercept"] + [c for c in full.columns if c.startswith("firm[")]
    return full[cols + PRECISION_VARIABLES]


def _r_label(name: str, terms: list[str]) -> tuple[str, str]:
    eq, term = name.split(":", 1)
    eq = "precision" if eq == "(phi)" else eq
    term = "Intercept" if term == "(Intercept)" else term
    if term.startswith("firm"):
        term = f"firm[T.{term[4:]}]"
    if term not in terms and ":" in term:
        term = ":".join(reversed(term.split(":")))
    assert term in terms, name
    return eq, term


def _ref_series(case: str, key: str, terms: list[str]) -> pd.Series:
    ref = REF[case]
    index = pd.MultiIndex.from_tuples([_r_label(n, terms) for n in ref["coef_names"]])
    return pd.Series(ref[key], index=index)


@pytest.fixture(scope="module")
def fits():
    data = _data()
    endog = data[list(COMPONENTS)]
    exog = design_matrix(data)
    z = precision_design(data)
    out = {}
    for case, zz in (("constant", None), ("precision", z)):
        model = DirichletRegression(endog, exog, exog_precision=zz, base="other")
        out[case] = model.fit(tol=1e-16)
        out[f"{case}_robust"] = model.fit(tol=1e-16, cov_type="robust")
    return out


def _terms(res) -> list[str]:
    return sorted({t for _, t in res.params.index})


def sandwich_se(res) -> pd.Series:
    """Robust standard errors of the results' ``cov_type="robust"`` covariance."""
    assert res.cov_type == "robust"
    return res.bse


@pytest.mark.reference
@pytest.mark.parametrize("case", ["constant", "precision"])
def test_coefficients_and_model_se_match_dirichletreg(fits, case):
    res = fits[case]
    assert res.converged
    coef = _ref_series(case, "coef", _terms(res))
    se = _ref_series(case, "se", _terms(res))
    assert list(res.params.index) == list(coef.index)
    np.testing.assert_allclose(res.params, coef, rtol=0, atol=COEF_ATOL)
    np.testing.assert_allclose(res.bse, se, rtol=SE_RTOL)
    assert res.llf == pytest.approx(REF[case]["llf"], abs=LLF_ATOL)
    assert len(res.params) == REF[case]["npar"]


@pytest.mark.reference
@pytest.mark.parametrize("case", ["constant", "precision"])
def test_robust_covariance_matches_r(fits, case):
    res = fits[f"{case}_robust"]
    robust = _ref_series(case, "robust_se", _terms(res))
    np.testing.assert_allclose(res.params, fits[case].params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sandwich_se(res), robust, rtol=SE_RTOL)


@pytest.mark.reference
def test_precision_formula_through_fit_share_model_matches_r():
    # The command line's path: a formula on the analysis variables, robust covariance.
    data = _data()
    res = fit_share_model(
        data, "dirichlet", precision="firm + experience + performance", cov_type="robust"
    )
    coef = _ref_series("precision", "coef", _terms(res))
    robust = _ref_series("precision", "robust_se", _terms(res))
    assert list(res.params.index) == list(coef.index)
    np.testing.assert_allclose(res.params, coef, rtol=0, atol=COEF_ATOL)
    np.testing.assert_allclose(res.bse, robust, rtol=SE_RTOL)
    assert res.fit_options["precision"] == "firm + experience + performance"
    constant = fit_share_model(data, "dirichlet")
    lr = res.lr_test(constant)
    assert lr.stat == pytest.approx(REF["lr_test"]["statistic"], abs=1e-6)
    assert lr.df == REF["lr_test"]["df"]


def test_bad_precision_formula_raises():
    from leadblackhole.exceptions import EstimationError

    with pytest.raises(EstimationError, match="'nonsense' at position 1 is not a variable"):
        fit_share_model(_data(), "dirichlet", precision="nonsense")
    with pytest.raises(EstimationError, match="must be a string"):
        fit_share_model(_data(), "dirichlet", precision=3)


@pytest.mark.reference
def test_precision_equation_terms_match_r(fits):
    names = [t for e, t in fits["precision"].params.index if e == "precision"]
    assert names == ["Intercept", "firm[T.B]", "firm[T.C]", "firm[T.D]", *PRECISION_VARIABLES]
    assert [_r_label(f"(phi):{n}", names)[1] for n in REF["meta"]["precision_terms"]] == names


@pytest.mark.reference
def test_likelihood_ratio_test_of_constant_precision_matches_anova(fits):
    lr = fits["precision"].lr_test(fits["constant"])
    ref = REF["lr_test"]
    assert lr.df == ref["df"] == 5
    assert lr.stat == pytest.approx(ref["statistic"], abs=LLF_ATOL)
    assert lr.pval == pytest.approx(ref["p_value"], rel=1e-6)
