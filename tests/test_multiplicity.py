"""Tests of the multiplicity tools (``leadblackhole.effects.multiplicity``).

Independent values: Holm and Benjamini-Hochberg p-values computed here by their textbook
step-down / step-up formulas; the joint Wald test of an OLS model against statsmodels'
``wald_test`` of the six interaction coefficients (for OLS the average cross-partials are
the interaction coefficients); a Wald statistic on a case with a closed form; the per-rep
cross-partials of the Dirichlet mean against central finite differences of the softmax
mean computed here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from leadblackhole.data import AnalysisFrame
from leadblackhole.effects import (
    EffectOptions,
    EffectsError,
    EffectSpec,
    ShareModel,
    model_effects,
)
from leadblackhole.effects.engine import EffectsEngine
from leadblackhole.effects.multiplicity import (
    JOINT_TEST_COLUMNS,
    MODERATION_IDS,
    adjust_pvalues,
    effect_covariance,
    joint_moderation_test,
    wald_test,
)
from leadblackhole.models import fit_share_model
from leadblackhole.models.main import fit_main_model
from leadblackhole.specification import design_matrix

DATA = Path(__file__).parent / "reference" / "models" / "four_firms_analysis.csv"

#: Agreement of two computations of the same number in floating point.
EXACT = 1e-10


def _holm(p):
    p = np.asarray(p, float)
    m = p.size
    order = np.argsort(p)
    out = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def _bh(p):
    p = np.asarray(p, float)
    m = p.size
    order = np.argsort(p)
    out = np.empty(m)
    running = 1.0
    for rank in range(m - 1, -1, -1):
        i = order[rank]
        running = min(running, m * p[i] / (rank + 1))
        out[i] = running
    return out


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(DATA, dtype={"rep_id": str, "firm": str})


@pytest.fixture(scope="module")
def dirichlet(data):
    frame = AnalysisFrame(
        data=data,
        raw=data,
        means=pd.Series(dtype=float),
        selection=data,
        exclusions=pd.DataFrame(),
        n_read=len(data),
        n_compressed=0,
        scales={},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_main_model(frame)


# ----------------------------------------------------------------------------
# adjusted p-values
# ----------------------------------------------------------------------------
def test_adjusted_pvalues_match_hand_computation():
    rng = np.random.default_rng(3)
    rows = []
    for model in ("a", "b"):
        p = np.concatenate([rng.uniform(0, 0.06, 6), rng.uniform(0, 1, 5), [0.001]])
        signs = [1, -1, 1, 1, -1, -1, -1, -1, 1, 1, -1, 0]  # last row exploratory (E1)
        rows.append(pd.DataFrame({"model": model, "expected_sign": signs, "p_value": p}))
    table = pd.concat(rows, ignore_index=True)
    out = adjust_pvalues(table)
    assert list(out.columns) == ["model", "expected_sign", "p_value", "p_holm", "p_bh"]
    for model in ("a", "b"):
        sub = out[out.model == model]
        fam = sub[sub.expected_sign != 0]
        np.testing.assert_allclose(fam.p_holm, _holm(fam.p_value), rtol=EXACT)
        np.testing.assert_allclose(fam.p_bh, _bh(fam.p_value), rtol=EXACT)
        assert sub[sub.expected_sign == 0][["p_holm", "p_bh"]].isna().all().all()
    # BH is never larger than Holm, and neither is below the raw p-value
    fam = out[out.expected_sign != 0]
    assert (fam.p_bh <= fam.p_holm + EXACT).all() and (fam.p_holm >= fam.p_value).all()


def test_adjusted_pvalues_on_a_hypothesis_table(dirichlet, data):
    table = model_effects(dirichlet, data)
    out = adjust_pvalues(table)
    assert out.loc[out.id == "E1", ["p_holm", "p_bh"]].isna().all().all()
    fam = out[out.id != "E1"]
    assert len(fam) == 11
    np.testing.assert_allclose(fam.p_holm, _holm(fam.p_value), rtol=EXACT)
    np.testing.assert_allclose(fam.p_bh, _bh(fam.p_value), rtol=EXACT)


def test_adjust_pvalues_errors():
    with pytest.raises(EffectsError, match="lacks the column"):
        adjust_pvalues(pd.DataFrame({"p_value": [0.1]}))
    with pytest.raises(EffectsError, match="outside"):
        adjust_pvalues(pd.DataFrame({"model": "m", "expected_sign": [1], "p_value": [1.5]}))


# ----------------------------------------------------------------------------
# Wald tests
# ----------------------------------------------------------------------------
def test_wald_test_closed_form():
    out = wald_test([1.0, 2.0], np.diag([1.0, 4.0]))
    assert out.stat == pytest.approx(2.0, rel=EXACT)
    assert out.df == 2 and out.dist_name == "chi2"
    assert out.pval == pytest.approx(np.exp(-1.0), rel=EXACT)  # chi2(2) tail = e^{-W/2}
    v = np.array([[2.0, 0.5], [0.5, 1.0]])
    b = np.array([0.3, -0.7])
    assert wald_test(b, v).stat == pytest.approx(b @ np.linalg.solve(v, b), rel=EXACT)


def test_wald_test_errors():
    with pytest.raises(EffectsError, match="must be 2 x 2"):
        wald_test([1.0, 2.0], np.eye(3))
    with pytest.raises(EffectsError, match="not positive definite"):
        wald_test([1.0, 2.0], np.ones((2, 2)))
    with pytest.raises(EffectsError, match="not finite"):
        wald_test([np.nan, 2.0], np.eye(2))


def test_joint_moderation_test_of_ols_equals_coefficient_wald_test(data):
    X = design_matrix(data)
    res = sm.OLS(data["marketing"], X).fit(cov_type="HC3")
    out = joint_moderation_test(fit_share_model(data, "ols"), data, model="ols")
    assert list(out.columns) == list(JOINT_TEST_COLUMNS)
    terms = [c for c in X.columns if ":" in c]
    assert len(terms) == len(MODERATION_IDS) == 6
    r = np.zeros((6, X.shape[1]))
    for k, t in enumerate(terms):
        r[k, list(X.columns).index(t)] = 1.0
    ref = res.wald_test(r, scalar=True, use_f=False)
    assert out.statistic[0] == pytest.approx(float(ref.statistic), rel=1e-8)
    assert out.df[0] == 6
    assert out.p_value[0] == pytest.approx(float(ref.pvalue), rel=1e-6)
    assert out.p_value[0] == pytest.approx(stats.chi2.sf(out.statistic[0], 6), rel=EXACT)


def test_effect_covariance_diagonal_is_the_table_standard_errors(dirichlet, data):
    table = model_effects(dirichlet, data).set_index("id")
    specs = [
        EffectSpec("marketing", p, m)
        for p, m in [("tracking", "experience"), ("prequal", "performance"), ("volume", None)]
    ]
    ids = ["H7", "E1", "H4"]
    for variance in ("unconditional", "conditional"):
        opts = EffectOptions(variance=variance)
        est, cov = effect_covariance(dirichlet, data, specs, opts)
        ref = model_effects(dirichlet, data, options=opts).set_index("id")
        np.testing.assert_allclose(est, table.loc[ids, "estimate"], rtol=EXACT)
        np.testing.assert_allclose(np.sqrt(np.diag(cov)), ref.loc[ids, "std_error"], rtol=1e-8)
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def test_per_rep_cross_partials_match_finite_differences(dirichlet, data):
    model = ShareModel.from_results(dirichlet)
    engine = EffectsEngine(model, data)
    spec = EffectSpec("marketing", "prequal", "performance")
    got = engine.per_rep([spec])[0]

    def share(dx, dm):
        d = data.copy()
        d["prequal"] = d["prequal"] + dx
        d["performance"] = d["performance"] + dm
        X = design_matrix(d)[list(model.terms)].to_numpy()
        eta = np.column_stack([X @ model.coef, np.zeros(len(d))])
        mu = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
        return mu[:, 0]

    h = 1e-4
    fd = (share(h, h) - share(h, -h) - share(-h, h) + share(-h, -h)) / (4 * h * h)
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-7)  # O(h^2) truncation error
    assert got.mean() == pytest.approx(
        model_effects(dirichlet, data).set_index("id").loc["E1", "estimate"],
        rel=EXACT,
    )


def test_joint_moderation_test_of_dirichlet(dirichlet, data):
    out = joint_moderation_test(dirichlet, data)
    assert out.model[0] == "dirichlet" and out.test[0] == "moderations_zero"
    assert out.df[0] == 6
    # the simulated population has strong moderations: the joint null is rejected
    assert out.p_value[0] < 1e-6
    with pytest.raises(EffectsError, match="unknown hypothesis id"):
        joint_moderation_test(dirichlet, data, ids=["H7", "H99"])
