"""Corrections for measurement error and common-method variance (leadblackhole.corrections).

Values are checked against closed forms and against simulated populations whose
truth is known; every error the corrections raise is triggered here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadblackhole.corrections import (
    CorrectedResults,
    calibrate_scores,
    fit_eiv,
    fit_marker,
    method_scores,
    stratified_draw,
)
from leadblackhole.diagnosis import scenario_design, simulate_frame
from leadblackhole.effects import HYPOTHESIS_COLUMNS
from leadblackhole.exceptions import (
    DesignError,
    EstimationError,
    MarkerError,
    ReliabilityError,
)
from leadblackhole.measurement import (
    check_marker,
    check_reliability,
    fit_cfa,
    fit_marker_cfa,
    score_reliabilities,
    score_reliability,
)
from leadblackhole.simulation import StudyDesign, draw_study, simulate

PQ = [f"pq_{j}" for j in range(1, 5)]
MT = [f"mt_{j}" for j in range(1, 5)]
MK = ["mk_1", "mk_2", "mk_3"]


def _study(design: StudyDesign, seed: int):
    frame, truth = simulate_frame(design, seed=seed)
    st = draw_study(design, seed=seed)
    items = st.items[st.percents[:, 0] > 0].reset_index(drop=True)
    return frame, truth, items


@pytest.fixture(scope="module")
def latent_study():
    return _study(scenario_design("latent_shares", 461, 1.0), 11)


@pytest.fixture(scope="module")
def marker_study():
    return _study(scenario_design("method_factor", 461, 1.0).replace(marker_items=3), 11)


@pytest.fixture(scope="module")
def eiv_fit(latent_study):
    frame, _, items = latent_study
    return fit_eiv(frame, items, std_errors="bootstrap", n_boot=30, seed=3)


# ---------------------------------------------------------------------------
# the simulator's marker scale
# ---------------------------------------------------------------------------
def test_marker_items_leave_every_other_answer_unchanged():
    d = StudyDesign(method_factor=0.4, method_factor_shares=0.3)
    plain, truth = simulate(d, seed=4)
    with_marker, truth_m = simulate(d.replace(marker_items=3), seed=4)
    assert list(with_marker.filter(like="mk_").columns) == MK
    pd.testing.assert_frame_equal(plain, with_marker.drop(columns=MK))
    pd.testing.assert_frame_equal(truth.effects, truth_m.effects)


def test_marker_items_carry_the_method_factor_and_nothing_else():
    # population correlation of a marker item with a model item: m^2 / (var_x var_m), m = 0.4
    d = StudyDesign(n_reps=40_000, method_factor=0.4, marker_items=3)
    items = draw_study(d, seed=2).items
    r = items.corr().loc[MK, PQ + MT].to_numpy()
    assert 0.09 < r.mean() < 0.17
    # without a method factor the marker is unrelated to the model's items
    items0 = draw_study(StudyDesign(n_reps=40_000, marker_items=3), seed=2).items
    assert np.abs(items0.corr().loc[MK, PQ + MT].to_numpy()).max() < 0.025


def test_marker_and_instrument_streams_are_separate_and_reproducible():
    # the marker, the instrument and the exclusion variable each leave the others' draws as
    # they are, and the same SeedSequence object gives the same study twice
    base = StudyDesign(
        method_factor=0.4,
        n_zero_marketing=40,
        selection_coef={"performance": -0.5},
        instrument_strength=0.5,
        selection_exclusion=1.0,
    )
    seq = np.random.SeedSequence(9)
    both, _ = simulate(base.replace(marker_items=3), seed=seq)
    again, _ = simulate(base.replace(marker_items=3), seed=seq)
    pd.testing.assert_frame_equal(both, again)
    without_marker, _ = simulate(base, seed=9)
    pd.testing.assert_frame_equal(both.drop(columns=MK), without_marker)
    marker_only, _ = simulate(
        base.replace(instrument_strength=0.0, selection_exclusion=0.0, marker_items=3), seed=9
    )
    pd.testing.assert_frame_equal(both[MK], marker_only[MK])


@pytest.mark.parametrize("k", [1, -1])
def test_design_refuses_a_one_item_marker(k):
    with pytest.raises(DesignError, match="marker_items must be 0 or at least 2"):
        StudyDesign(marker_items=k)


def test_design_refuses_bad_marker_loadings():
    with pytest.raises(DesignError, match="marker_loadings"):
        StudyDesign(marker_items=3, marker_loadings=(1.2,))


@pytest.mark.parametrize("spread", [-0.1, 1.5])
def test_design_refuses_a_method_spread_outside_0_1(spread):
    with pytest.raises(DesignError, match="method_factor_spread must lie in 0..1"):
        StudyDesign(method_factor=0.4, method_factor_spread=spread)


def test_unequal_method_loadings_are_drawn_and_leave_equal_designs_unchanged():
    d = StudyDesign(n_reps=20_000, method_factor=0.4, marker_items=3)
    spread = d.replace(method_factor_spread=0.5)
    np.testing.assert_allclose(spread.method_loadings("prequal", 4), [0.6, 0.2, 0.5, 0.3])
    np.testing.assert_allclose(spread.method_loadings("marker", 3), [0.5, 0.3, 0.6])
    np.testing.assert_allclose(d.method_loadings("tracking", 4), 0.4)
    # the marker model with free loadings finds them (raw units: x 1.3, a little less rounded)
    items = draw_study(spread, seed=3).items
    cols = [*PQ, *MT, *MK]
    res = fit_marker_cfa(items, {"prequal": PQ, "tracking": MT}, MK)
    expected = (
        1.3
        * np.r_[
            spread.method_loadings("prequal", 4),
            spread.method_loadings("tracking", 4),
            spread.method_loadings("marker", 3),
        ]
    )
    np.testing.assert_allclose(res.method_loadings, expected, atol=0.06)
    assert res.items == tuple(cols) and res.equal_p_value < 1e-6


# ---------------------------------------------------------------------------
# reliability of the item mean
# ---------------------------------------------------------------------------
def test_omega_equals_the_measurement_models_cfa():
    # the package's CFA (semopy + Fisher scoring) of one scale gives the same loadings
    survey, _ = simulate(StudyDesign(), seed=8)
    items = survey[PQ].astype(float)
    cfa = fit_cfa(items, {"prequal": PQ}).unstandardized
    lam = cfa.loc[cfa["parameter"] == "loading", "estimate"].to_numpy()
    theta = cfa.loc[cfa["parameter"] == "residual_variance", "estimate"].to_numpy()
    omega_cfa = lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum())
    # the CFA uses the ML covariance (divisor n), score_reliability the unbiased one; omega
    # is a ratio of variances, so the divisor cancels
    assert score_reliability(items.to_numpy(), "prequal") == pytest.approx(omega_cfa, abs=2e-5)


def test_omega_recovers_the_population_reliability():
    rng = np.random.default_rng(5)
    lam = np.array([0.9, 0.7, 0.5, 0.8])
    theta = np.array([0.3, 0.5, 0.8, 0.4])
    n = 200_000
    x = rng.standard_normal(n)[:, None] * lam + rng.standard_normal((n, 4)) * np.sqrt(theta)
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum())
    assert score_reliability(x) == pytest.approx(truth, abs=0.003)
    # alpha is a lower bound under unequal loadings
    assert score_reliability(x, method="alpha") < truth - 0.005
    # two items: alpha (the one-factor model is not identified)
    two = x[:, :2]
    c = np.cov(two, rowvar=False)
    assert score_reliability(two) == pytest.approx(4 * c[0, 1] / c.sum())


def test_score_reliabilities_table():
    survey, _ = simulate(StudyDesign(), seed=8)
    rel = score_reliabilities(survey, {"prequal": PQ, "tracking": MT})
    assert list(rel.index) == ["prequal", "tracking"]
    assert ((rel > 0.8) & (rel < 0.9)).all()


def test_reliability_errors():
    x = np.random.default_rng(0).standard_normal((50, 3))
    with pytest.raises(ReliabilityError, match="has 1 item"):
        score_reliability(x[:, :1], "prequal")
    with pytest.raises(ReliabilityError, match="unknown reliability method"):
        score_reliability(x, method="kr20")
    with pytest.raises(ReliabilityError, match="strictly between 0 and 1"):
        check_reliability("prequal", 1.2)
    # unrelated items: alpha about 0, omega of a factor that is not there
    with pytest.raises(ReliabilityError, match="reliability of scale 'noise'"):
        score_reliability(-x + x[:, ::-1] * 2, "noise", "alpha")
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    with pytest.raises(ReliabilityError, match="has 1 item"):
        score_reliabilities(frame, {"s": ["a"]})
    with pytest.raises(ReliabilityError, match="not in the items"):
        score_reliabilities(frame, {"s": ["a", "z"]})
    with pytest.raises(ReliabilityError, match="at least 10 are needed"):
        score_reliabilities(frame.iloc[:5], {"s": ["a", "b"]})


# ---------------------------------------------------------------------------
# regression calibration
# ---------------------------------------------------------------------------
def test_calibration_recovers_a_linear_models_slopes():
    # y = 1.0 t + 0.5 t*m + 0.3 m + e, w = t + u with reliability 0.7, m error-free and
    # correlated with t: OLS on the calibrated score and its product with m is consistent
    rng = np.random.default_rng(7)
    n = 400_000
    m = rng.standard_normal(n)
    t = 0.4 * m + rng.standard_normal(n)
    var_t = 0.16 + 1
    u = rng.standard_normal(n) * np.sqrt(var_t * 0.3 / 0.7)
    w = t + u
    y = 1.0 * t + 0.5 * t * m + 0.3 * m + rng.standard_normal(n)
    rel = var_t / (var_t + var_t * 0.3 / 0.7)
    that = calibrate_scores(w[:, None], m[:, None], [rel])[:, 0]
    X = np.column_stack([np.ones(n), that, m, that * m])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    assert b[1] == pytest.approx(1.0, abs=0.01)
    assert b[3] == pytest.approx(0.5, abs=0.01)
    naive = np.linalg.lstsq(np.column_stack([np.ones(n), w, m, w * m]), y, rcond=None)[0]
    assert naive[1] < 0.8  # what the correction removes


def test_method_scores_condition_on_the_covariates():
    # c loads 0.5 on every item; z is correlated with the items but not with c
    rng = np.random.default_rng(3)
    n = 200_000
    c, f, z = rng.standard_normal((3, n))
    x = 0.5 * c[:, None] + (f + z)[:, None] * 0.7 + rng.standard_normal((n, 5))
    chat = method_scores(x, z[:, None], 0.5)
    resid = c - chat
    for v in (x[:, 0], z, x.mean(axis=1)):
        assert abs(np.corrcoef(resid, v)[0, 1]) < 0.01


def test_stratified_draw_keeps_firm_sizes():
    firm = np.array(list("AAABBC"))
    idx = stratified_draw(firm, np.random.default_rng(1))
    assert (np.sort(firm[idx]) == np.sort(firm)).all()


# ---------------------------------------------------------------------------
# the corrected main model
# ---------------------------------------------------------------------------
def test_eiv_results_interface(latent_study, eiv_fit):
    frame, _, _ = latent_study
    res = eiv_fit
    assert isinstance(res, CorrectedResults)
    assert res.model_name == "dirichlet_eiv"
    assert list(res.effects.columns) == list(HYPOTHESIS_COLUMNS)
    assert set(res.effects["model"]) == {"dirichlet_eiv"}
    assert res.tidy()["model"].eq("dirichlet_eiv").all()
    assert res.fit_stats()["n"] == frame.n
    assert res.boot_params.shape == (30 - res.n_failed, len(res.params))
    # the coefficient SEs are the bootstrap's, the effects' SEs the SD of the replicates
    np.testing.assert_allclose(res.bse.to_numpy(), res.boot_params.std(ddof=1).to_numpy())
    np.testing.assert_allclose(
        res.effects["std_error"].to_numpy(), res.boot_effects.std(ddof=1).to_numpy()
    )
    assert res.first_step.index.tolist() == ["reliability[prequal]", "reliability[tracking]"]
    # the calibrated scores are shrunk: smaller variance than the item means, same mean
    assert res.data["prequal"].var() < frame.data["prequal"].var()
    assert res.data["prequal"].mean() == pytest.approx(frame.data["prequal"].mean(), abs=1e-12)


def test_eiv_corrects_the_attenuation_of_prequal(latent_study, eiv_fit):
    from leadblackhole.effects import model_effects
    from leadblackhole.models import fit_share_model

    frame, truth, _ = latent_study
    naive = model_effects(fit_share_model(frame, "dirichlet"), frame).set_index("id")
    eiv = eiv_fit.effects.set_index("id")
    # the corrected coefficient is the naive one divided by about the reliability
    ratio = (
        eiv_fit.params[("marketing", "prequal")]
        / fit_share_model(frame, "dirichlet").params[("marketing", "prequal")]
    )
    assert 1.1 < ratio < 1.3
    assert abs(eiv.loc["H1", "estimate"]) > abs(naive.loc["H1", "estimate"])


def test_eiv_bootstrap_is_seeded(latent_study):
    frame, _, items = latent_study
    a = fit_eiv(frame, items, std_errors="bootstrap", n_boot=20, seed=9)
    b = fit_eiv(frame, items, std_errors="bootstrap", n_boot=20, seed=9)
    c = fit_eiv(frame, items, std_errors="bootstrap", n_boot=20, seed=10)
    pd.testing.assert_frame_equal(a.effects, b.effects)
    assert not np.allclose(a.effects["std_error"], c.effects["std_error"])


def test_eiv_with_known_reliabilities(latent_study):
    frame, _, items = latent_study
    res = fit_eiv(frame, items, reliability={"prequal": 0.85, "tracking": 0.84}, n_boot=20)
    assert res.first_step["reliability[prequal]"] == 0.85
    alpha = fit_eiv(frame, items, reliability="alpha", n_boot=20)
    assert alpha.first_step["reliability[prequal]"] == pytest.approx(
        score_reliability(items[PQ].to_numpy(), method="alpha")
    )


@pytest.mark.slow
def test_eiv_rounded_main_model(latent_study):
    frame, _, items = latent_study
    res = fit_eiv(frame, items, model="dirichlet_rounded", n_boot=20)
    assert res.model_name == "dirichlet_rounded_eiv"
    assert res.fit_options["model"] == "dirichlet_rounded"


@pytest.mark.slow
def test_eiv_recovers_every_effect_on_a_survey_drawn_elsewhere():
    # a survey unlike the default: three 7-point items per scale, reliability about 0.79,
    # 6 000 reps whose shares depend on the true scores (the check: within 3.5 SE)
    design = StudyDesign(
        n_reps=6000,
        prequal_loadings=(0.80, 0.75, 0.65),
        tracking_loadings=(0.75, 0.75, 0.70),
        share_driver="latent",
    )
    frame, truth, items = _study(design, 31)
    rel = score_reliabilities(items, {"prequal": PQ[:3], "tracking": MT[:3]})
    assert ((rel > 0.74) & (rel < 0.84)).all()
    res = fit_eiv(frame, items, n_boot=40, seed=1)
    eff = res.effects.set_index("id")
    z = (eff["estimate"] - truth.effects["value"]) / eff["std_error"]
    assert z.abs().max() < 3.5, z.round(2).to_dict()


def test_marker_model_recovers_the_method_loading():
    d = StudyDesign(n_reps=30_000, method_factor=0.4, method_factor_shares=0.3, marker_items=3)
    items = draw_study(d, seed=6).items
    res = fit_marker_cfa(items, {"prequal": PQ, "tracking": MT}, MK)
    # raw loading 0.4 latent SD x 1.3 item points, a little less after rounding the answers
    assert res.method_loading == pytest.approx(0.52, abs=0.03)
    assert res.p_value < 1e-6
    assert res.table()["quantity"].tolist()[:2] == ["method_loading", "method_share"]
    # no method factor: the test does not reject at 1%
    d0 = d.replace(method_factor=0.0, method_factor_shares=0.0)
    res0 = fit_marker_cfa(draw_study(d0, seed=6).items, {"prequal": PQ, "tracking": MT}, MK)
    assert res0.p_value > 0.01
    assert res0.method_loading < 0.05


def test_marker_correction(marker_study):
    frame, truth, items = marker_study
    scales = dict(frame.scales) | {"marker": MK}
    res = fit_marker(frame, items, "marker", scales, n_boot=25, seed=2)
    assert res.model_name == "dirichlet_marker"
    assert ("marketing", "method") in res.params.index
    assert res.data["method"].std(ddof=0) == pytest.approx(1.0)
    assert set(res.first_step.index) == {"method_loading", "method_share", "lr_statistic",
                                         "p_value", "equal_loadings_lr", "equal_loadings_p",
                                         "free_loadings"}  # fmt: skip
    # the simulator's method loadings are equal: the test does not reject them here
    assert res.first_step["equal_loadings_p"] > 0.05 and res.first_step["free_loadings"] == 0
    assert list(res.effects["id"])[:3] == ["H1", "H2", "H3"]


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
def test_eiv_errors(latent_study):
    frame, _, items = latent_study
    with pytest.raises(ReliabilityError, match="'prequal' has 1 item"):
        fit_eiv(frame, items, {"prequal": ["pq_1"]}, n_boot=20)
    with pytest.raises(ReliabilityError, match="strictly between 0 and 1"):
        fit_eiv(frame, items, reliability={"prequal": 1.0, "tracking": 0.8}, n_boot=20)
    with pytest.raises(ReliabilityError, match="no reliability given"):
        fit_eiv(frame, items, reliability={"prequal": 0.8}, n_boot=20)
    with pytest.raises(ReliabilityError, match="unknown reliability method"):
        fit_eiv(frame, items, reliability="kr20", n_boot=20)
    with pytest.raises(ReliabilityError, match="unknown errors-in-variables method"):
        fit_eiv(frame, items, method="simex", n_boot=20)
    with pytest.raises(ReliabilityError, match="no error-prone scale"):
        fit_eiv(frame, items, {}, n_boot=20)
    with pytest.raises(ReliabilityError, match="not a variable of the analysis data"):
        fit_eiv(frame, items, {"loyalty": PQ}, n_boot=20)
    with pytest.raises(EstimationError, match="a correction applies to the main model"):
        fit_eiv(frame, items, model="ols", n_boot=20)
    with pytest.raises(EstimationError, match="n_boot must be an integer of at least 20"):
        fit_eiv(frame, items, std_errors="bootstrap", n_boot=5)
    with pytest.raises(EstimationError, match="std_errors must be one of"):
        fit_eiv(frame, items, std_errors="jackknife")
    with pytest.raises(EstimationError, match="items has 10 rows"):
        fit_eiv(frame, items.iloc[:10], n_boot=20)
    with pytest.raises(EstimationError, match="items must be a DataFrame"):
        fit_eiv(frame, items.to_numpy(), n_boot=20)
    with pytest.raises(EstimationError, match="not in the items"):
        fit_eiv(frame, items.drop(columns="pq_1"), n_boot=20)
    shuffled = items.assign(rep_id=frame.data["rep_id"].to_numpy()[::-1])
    with pytest.raises(EstimationError, match="different orders"):
        fit_eiv(frame, shuffled, n_boot=20)
    sparse = items.copy()
    sparse.loc[5:, "pq_1"] = np.nan
    with pytest.raises(ReliabilityError, match="at least 10 are needed"):
        fit_eiv(frame, sparse, n_boot=20)


def test_eiv_refuses_exact_shares_for_the_rounded_model():
    frame, _, items = _study(scenario_design("exact", 200, 1.0), 1)
    with pytest.raises(EstimationError, match="no rounding step was detected"):
        fit_eiv(frame, items, model="dirichlet_rounded", n_boot=20)


def test_bootstrap_that_fails_too_often(latent_study, monkeypatch):
    import leadblackhole.corrections._engine as engine

    frame, _, items = latent_study
    calls = {"n": 0}
    real = engine.fit_second_step

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise EstimationError("singular")
        return real(*args, **kwargs)

    monkeypatch.setattr("leadblackhole.corrections.eiv.fit_second_step", flaky)
    with pytest.raises(EstimationError, match="too few remain"):
        fit_eiv(frame, items, std_errors="bootstrap", n_boot=20)


def test_bootstrap_warns_when_some_replicates_fail(latent_study, monkeypatch):
    from leadblackhole.exceptions import ConvergenceWarning

    frame, _, items = latent_study
    calls = {"n": 0}
    import leadblackhole.corrections.eiv as eiv

    real = eiv.fit_second_step

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] in (3, 5):
            raise EstimationError("singular")
        return real(*args, **kwargs)

    monkeypatch.setattr(eiv, "fit_second_step", flaky)
    with pytest.warns(ConvergenceWarning, match="2 of 25 bootstrap replicates"):
        res = fit_eiv(frame, items, std_errors="bootstrap", n_boot=25)
    assert res.n_failed == 2


def test_marker_errors(marker_study):
    frame, _, items = marker_study
    scales = dict(frame.scales) | {"marker": MK, "short": ["mk_1"]}
    with pytest.raises(MarkerError, match="unknown marker scale 'loyalty'"):
        fit_marker(frame, items, "loyalty", scales, n_boot=20)
    with pytest.raises(MarkerError, match="'prequal' is a variable of the model"):
        fit_marker(frame, items, "prequal", scales, n_boot=20)
    with pytest.raises(MarkerError, match="'volume' is a variable of the model"):
        fit_marker(frame, items, "volume", scales, n_boot=20)
    with pytest.raises(MarkerError, match="has 1 item"):
        fit_marker(frame, items, "short", scales, n_boot=20)
    with pytest.raises(MarkerError, match="no model scale"):
        fit_marker(frame, items, "marker", {"marker": MK}, n_boot=20)
    holes = items.copy()
    holes.loc[3, "mk_2"] = np.nan
    with pytest.raises(MarkerError, match="some are missing"):
        fit_marker(frame, holes, "marker", scales, n_boot=20)
    with pytest.raises(EstimationError, match="a correction applies to the main model"):
        fit_marker(frame, items, "marker", scales, model="fmlogit", n_boot=20)
    with pytest.raises(EstimationError, match="std_errors must be one of"):
        fit_marker(frame, items, "marker", scales, std_errors="bootstrapped")


def test_check_marker_and_marker_cfa_errors():
    assert check_marker("marker", {"marker": MK}) == MK
    with pytest.raises(MarkerError, match="further scales are none"):
        check_marker("marker", {"prequal": PQ})
    items = pd.DataFrame(np.random.default_rng(0).integers(1, 8, (40, 11)), columns=PQ + MT + MK)
    with pytest.raises(MarkerError, match="at least 2 items"):
        fit_marker_cfa(items, {"prequal": PQ}, ["mk_1"])
    with pytest.raises(MarkerError, match="not in the items"):
        fit_marker_cfa(items, {"prequal": PQ}, ["mk_1", "mk_9"])
    with pytest.raises(MarkerError, match="too few for the marker model"):
        fit_marker_cfa(items.iloc[:8], {"prequal": PQ}, MK)
