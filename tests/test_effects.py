"""Tests of the share-scale effects, their inference, the probing tools and the report.

Where a number is asserted, the comment next to it says where it comes from:
an independent computation in the test (finite differences, closed forms,
hand calculation) or a Monte Carlo bound derived from the number of
replications.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import (
    ADJUSTED_HYPOTHESIS_COLUMNS,
    HYPOTHESIS_COLUMNS,
    EffectOptions,
    EffectsError,
    EffectSpec,
    ShareModel,
    average_effects,
    bootstrap,
    bootstrap_effects,
    conditional_effects,
    esarey_sumner_critical,
    hypothesis_table,
    johnson_neyman,
    johnson_neyman_table,
    model_effects,
    predictive_margins,
    published_comparison,
    run_hypotheses,
    simple_slopes,
    simulate_effects,
)
from leadblackhole.effects.engine import EffectsEngine
from leadblackhole.exceptions import EstimationError, ZeroShareWarning
from leadblackhole.models import AdaptedResults, IdentityLink, SoftmaxLink
from leadblackhole.models.dirichlet import DirichletRegression
from leadblackhole.models.main import fit_main_model
from leadblackhole.models.robustness import fit_fractional_logit, fit_ols
from leadblackhole.registry import HYPOTHESES
from leadblackhole.reporting.tables import (
    comparison_latex,
    comparison_markdown,
    stage_hypotheses,
    write_outputs,
)
from leadblackhole.shares import softmax_effect, term_derivative, term_second_derivative
from leadblackhole.simulation import (
    DEFAULT_BETA_MARKETING,
    DEFAULT_BETA_SELF,
    StudyDesign,
    simulate,
)
from leadblackhole.specification import COMPONENTS, FOCAL, design_matrix

from .conftest import FIXTURE_SEED

REGISTRY = {h.id: h for h in HYPOTHESES}
MODERATIONS = [h for h in HYPOTHESES if h.moderator is not None]


def share_derivative(X, dX, B, base):
    """Closed-form per-rep derivative of the softmax shares (shares.py)."""
    return softmax_effect(1, X @ B, dX @ B, 0, 0, base)


def cross_partial(X, dXx, dXm, dXxm, B, base):
    """Closed-form per-rep cross-partial of the softmax shares (shares.py)."""
    return softmax_effect(2, X @ B, dXx @ B, dXm @ B, dXxm @ B, base)


CONDITIONAL = EffectOptions(variance="conditional")
#: Files stage_hypotheses writes (the bootstrap table only when a bootstrap ran).
REPORT_FILES = (
    "hypotheses.csv",
    "hypotheses_vs_published.md",
    "hypotheses_vs_published.tex",
    "joint_tests.csv",
    "simple_slopes.csv",
    "johnson_neyman.csv",
    "hypotheses_bootstrap.csv",
)


def _frame(design: StudyDesign, seed: int):
    return build_analysis_frame(validate_survey(simulate(design, seed=seed).survey))


@pytest.fixture(scope="module")
def study():
    """The default simulated study (heaped percents) with its three fitted models."""
    frame = _frame(StudyDesign(), FIXTURE_SEED)
    return {
        "frame": frame,
        "dirichlet": fit_main_model(frame),
        "ols": fit_ols(frame),
        "frac": fit_fractional_logit(frame),
    }


@pytest.fixture(scope="module")
def exact():
    """A study with exact shares (heap_step=0: the Dirichlet model is correctly specified).

    Effects 2.5 times the default (about the size of the package's earlier default): the
    delta-method / bootstrap comparisons below were calibrated on such a design. At the
    default sizes the bootstrap SE of the smallest moderations (H9, H10) scatters between
    0.77 and 1.22 times the delta SE from one n = 461 dataset to the next (400 draws,
    seeds 3 and 4), dataset-to-dataset variability of the bootstrap, not Monte Carlo error.
    """
    frame = _frame(StudyDesign(heap_step=0, effect_scale=2.5), 3)
    return {"frame": frame, "dirichlet": fit_main_model(frame)}


# ----------------------------------------------------------------------------
# point estimates: finite differences of the model's own predictions
# ----------------------------------------------------------------------------
def _predict(results, kind: str, data: pd.DataFrame, levels, outcome: str) -> np.ndarray:
    X = design_matrix(data, levels=levels)
    if kind == "dirichlet":
        return results.predict(exog=X)[outcome].to_numpy()
    raw = results.raw  # the statsmodels fit the adapter wraps: its own predictions
    return np.asarray(raw.predict(X[raw.params.index]))


def _fd_effect(results, kind: str, data: pd.DataFrame, h) -> float:
    """Average over reps of a central (cross-)difference of the predicted share."""
    levels = sorted(data["firm"].unique())
    sx = 1e-3 * data[h.predictor].std()

    def shifted(dx: float, dm: float) -> float:
        d = data.copy()
        d[h.predictor] = d[h.predictor] + dx
        if h.moderator is not None:
            d[h.moderator] = d[h.moderator] + dm
        return _predict(results, kind, d, levels, h.outcome)

    if h.moderator is None:
        return float(np.mean((shifted(sx, 0) - shifted(-sx, 0)) / (2 * sx)))
    sm_ = 1e-3 * data[h.moderator].std()
    cross = shifted(sx, sm_) - shifted(sx, -sm_) - shifted(-sx, sm_) + shifted(-sx, -sm_)
    return float(np.mean(cross / (4 * sx * sm_)))


@pytest.mark.parametrize("kind", ["dirichlet", "frac", "ols"])
def test_effects_equal_finite_differences_of_predicted_shares(study, kind):
    frame, res = study["frame"], study[kind]
    label = {"dirichlet": "dirichlet", "frac": "fractional_logit", "ols": "ols"}[kind]
    table = model_effects(res, frame).set_index("id")
    assert (table["model"] == label).all()
    for hid, row in table.iterrows():
        fd = _fd_effect(res, label, frame.data, REGISTRY[hid])
        # central differences with steps of 1e-3 SD: truncation error O(step^2)
        # relative to the effect, rounding error about 1e-16 / step^2 (< 1e-9)
        assert row["estimate"] == pytest.approx(fd, rel=1e-5, abs=1e-9), hid


def test_effects_equal_closed_forms_of_shares_module(study):
    frame, res = study["frame"], study["dirichlet"]
    X = design_matrix(frame.data)
    terms = list(X.columns)
    values = {v: frame.data[v].to_numpy() for v in FOCAL}
    B = np.column_stack([res.params["marketing"], res.params["self"]])
    n = len(X)
    table = model_effects(res, frame).set_index("id")
    for h in HYPOTHESES:
        k = COMPONENTS.index(h.outcome)
        dx = term_derivative(terms, values, h.predictor, n)
        if h.moderator is None:
            ref = share_derivative(X.to_numpy(), dx, B, 2)[:, k].mean()
        else:
            dm = term_derivative(terms, values, h.moderator, n)
            dxm = term_second_derivative(terms, values, h.predictor, h.moderator, n)
            ref = cross_partial(X.to_numpy(), dx, dm, dxm, B, 2)[:, k].mean()
        # two implementations of the same closed form: equal to rounding error
        assert table.loc[h.id, "estimate"] == pytest.approx(ref, rel=1e-12, abs=1e-15)


def test_ols_effects_are_its_coefficients(study):
    frame, res = study["frame"], study["ols"]
    params, bse = res.params["marketing"], res.bse["marketing"]
    table = model_effects(res, frame, options=CONDITIONAL).set_index("id")
    for h in MODERATIONS:
        term = f"{h.moderator}:{h.predictor}"
        # linear model: the cross-partial is the interaction coefficient and its
        # conditional delta-method SE is the coefficient's (HC3) standard error
        assert table.loc[h.id, "estimate"] == pytest.approx(params[term], rel=1e-12)
        assert table.loc[h.id, "std_error"] == pytest.approx(bse[term], rel=1e-10)
    # main effect: beta_x + sum_m beta_{x:m} mean(m), and the moderators are centred
    assert table.loc["H1", "estimate"] == pytest.approx(params["prequal"], abs=1e-12)
    assert "H2" not in table.index  # the OLS model describes the marketing share only


def test_delta_method_gradient_equals_finite_difference_jacobian(study):
    frame = study["frame"]
    model = ShareModel.from_results(study["dirichlet"])
    base = model_effects(model, frame, options=CONDITIONAL)
    theta = model.theta
    q = model.coef.shape[1]
    jac = np.empty((len(base), theta.size))
    for j in range(theta.size):
        step = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        e_up = model_effects(model.with_coef(up.reshape(q, -1).T), frame)["estimate"]
        e_dn = model_effects(model.with_coef(down.reshape(q, -1).T), frame)["estimate"]
        jac[:, j] = (e_up.to_numpy() - e_dn.to_numpy()) / (2 * step)
    se_fd = np.sqrt(np.einsum("sp,pq,sq->s", jac, model.cov, jac))
    # the complex-step gradient is exact; central differences with step 1e-6
    # agree to about 1e-8 relative
    np.testing.assert_allclose(base["std_error"], se_fd, rtol=1e-6)


def test_unconditional_variance_adds_the_variance_over_reps(study):
    frame, res = study["frame"], study["dirichlet"]
    cond = model_effects(res, frame, options=CONDITIONAL).set_index("id")
    unc = model_effects(res, frame, options=EffectOptions()).set_index("id")
    # the unconditional variance is the conditional one plus s^2 / n >= 0; the
    # point estimates do not depend on the choice
    np.testing.assert_allclose(cond["estimate"], unc["estimate"], rtol=0, atol=0)
    assert (unc["std_error"] >= cond["std_error"]).all()
    h = REGISTRY["H1"]
    X = design_matrix(frame.data).to_numpy()
    terms = list(design_matrix(frame.data).columns)
    values = {v: frame.data[v].to_numpy() for v in FOCAL}
    B = np.column_stack([res.params["marketing"], res.params["self"]])
    per_rep = share_derivative(X, term_derivative(terms, values, h.predictor, len(X)), B, 2)[:, 0]
    extra = per_rep.var(ddof=1) / len(X)
    assert unc.loc["H1", "std_error"] ** 2 == pytest.approx(
        cond.loc["H1", "std_error"] ** 2 + extra, rel=1e-10
    )


# ----------------------------------------------------------------------------
# delta-method SEs against the bootstrap
# ----------------------------------------------------------------------------
def test_delta_se_matches_parametric_bootstrap(exact):
    frame, res = exact["frame"], exact["dirichlet"]
    delta = model_effects(res, frame, options=CONDITIONAL).set_index("id")["std_error"]
    draws = simulate_effects(res, frame, n_draws=2000, seed=20240611)
    ratio = draws.std(ddof=1) / delta[draws.columns]
    # the SD of 2000 normal draws has relative Monte Carlo SE 1/sqrt(2 * 1999) =
    # 1.6%; 6% is about 3.8 Monte Carlo SEs, room left for the curvature the
    # linearization ignores (the effects are smooth: observed |ratio - 1| <= 3.2%)
    assert ((ratio - 1).abs() < 0.06).all(), ratio.round(3).to_dict()


def test_delta_se_matches_nonparametric_bootstrap(exact):
    frame, res = exact["frame"], exact["dirichlet"]
    delta = model_effects(res, frame, options=EffectOptions()).set_index("id")["std_error"]
    boot = bootstrap_effects(res, frame, n_boot=200, seed=20240612, progress=False)
    assert boot.n_failed == 0
    ratio = boot.table.set_index("id")["boot_std_error"] / delta
    # the SD of 200 bootstrap draws has relative Monte Carlo SE about
    # 1/sqrt(2 * 199) = 5%; 20% (4 Monte Carlo SEs) also allows the small-sample
    # difference between the resampling and the asymptotic variance
    assert ((ratio - 1).abs() < 0.20).all(), ratio.round(3).to_dict()


def test_bootstrap_is_reproducible_and_offers_the_firm_scheme(study):
    frame, res = study["frame"], study["dirichlet"]
    a = bootstrap_effects(res, frame, n_boot=6, seed=11, progress=False)
    b = bootstrap_effects(res, frame, n_boot=6, seed=11, progress=False)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    c = bootstrap_effects(res, frame, n_boot=6, seed=12, progress=False)
    assert not a.draws.equals(c.draws)
    firm = bootstrap_effects(res, frame, n_boot=6, seed=11, scheme="firm", progress=False)
    assert firm.table["scheme"].eq("firm").all() and len(firm.draws) == 6
    t = a.table.set_index("id")
    assert (t["boot_conf_low"] <= t["boot_conf_high"]).all()
    ols = bootstrap_effects(study["ols"], frame, n_boot=4, seed=1, progress=False)
    assert "H2" not in ols.table["id"].tolist()


# ----------------------------------------------------------------------------
# Monte Carlo: bias, coverage, size
# ----------------------------------------------------------------------------
MC_REPS = 200


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::leadblackhole.exceptions.ZeroShareWarning")
def test_monte_carlo_bias_and_coverage_of_dirichlet_effects():
    design = StudyDesign(heap_step=0)
    truth = simulate(design, seed=0).truth.effects["value"]
    start = None
    est, low, high = [], [], []
    t0 = time.perf_counter()
    for r in range(MC_REPS):
        frame = _frame(design, 10_000 + r)
        model = DirichletRegression(frame.data[list(COMPONENTS)], design_matrix(frame.data))
        res = model.fit(start_params=start)  # warm start from the previous replication
        start = res.params.to_numpy()
        tab = model_effects(res, frame)
        est.append(tab["estimate"].to_numpy())
        low.append(tab["conf_low"].to_numpy())
        high.append(tab["conf_high"].to_numpy())
    elapsed = time.perf_counter() - t0
    ids = tab["id"].tolist()
    est, low, high = map(np.array, (est, low, high))
    tv = truth[ids].to_numpy()
    err = est.mean(axis=0) - tv
    mcse = est.std(axis=0, ddof=1) / np.sqrt(MC_REPS)
    cover = ((low <= tv) & (tv <= high)).mean(axis=0)
    report = pd.DataFrame(
        {"truth": tv, "mean_error": err, "mc_se": mcse, "coverage": cover}, index=ids
    )
    print(f"\n{MC_REPS} replications in {elapsed:.1f} s\n{report.round(5)}")
    # bias: every mean error within 3 Monte Carlo SEs of zero
    assert (np.abs(err) <= 3 * mcse).all(), report
    # coverage: within the central 99% binomial band of Binomial(200, 0.95)/200,
    # [0.905, 0.985]; pooled over the 12 effects within that of 2400 draws
    lo, hi = stats.binom.ppf([0.005, 0.995], MC_REPS, 0.95) / MC_REPS
    assert ((cover >= lo) & (cover <= hi)).all(), report
    plo, phi = stats.binom.ppf([0.005, 0.995], MC_REPS * len(ids), 0.95) / (MC_REPS * len(ids))
    assert plo <= cover.mean() <= phi


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::leadblackhole.exceptions.ZeroShareWarning")
def test_truly_null_effects_are_not_supported_beyond_the_test_size():
    beta_m = {k: v for k, v in DEFAULT_BETA_MARKETING.items() if "tracking" not in k}
    beta_s = {k: v for k, v in DEFAULT_BETA_SELF.items() if "tracking" not in k}
    design = StudyDesign(beta_marketing=beta_m, beta_self=beta_s)  # heaped percents
    truth = simulate(design, seed=0).truth.effects["value"]
    nulls = ["H3", "H7", "H11"]
    # every tracking coefficient is 0, so the tracking effects are exactly 0
    assert (truth[nulls] == 0).all()
    start = None
    p, supported = [], []
    for r in range(MC_REPS):
        frame = _frame(design, 20_000 + r)
        res = DirichletRegression(frame.data[list(COMPONENTS)], design_matrix(frame.data)).fit(
            start_params=start
        )
        start = res.params.to_numpy()
        tab = model_effects(res, frame).set_index("id").loc[nulls]
        p.append(tab["p_value"].to_numpy())
        supported.append(tab["supported"].to_numpy(dtype=bool))
    reject = (np.array(p) < 0.05).sum(axis=0)
    support = np.array(supported).sum(axis=0)
    print(
        f"\nnull rejections of {MC_REPS}: {dict(zip(nulls, reject.tolist(), strict=True))}, "
        f"'supported': {dict(zip(nulls, support.tolist(), strict=True))}"
    )
    # two-sided size 5%: at most the 99.5% quantile of Binomial(200, 0.05) = 19;
    # 'supported' also needs the expected sign (one-sided 2.5%): Binomial(200, 0.025) -> 11
    assert (reject <= stats.binom.ppf(0.995, MC_REPS, 0.05)).all()
    assert (support <= stats.binom.ppf(0.995, MC_REPS, 0.025)).all()


@pytest.mark.parametrize("seed", [FIXTURE_SEED, 20130101, 1, 2, 3, 4, 5, 6, 8, 9])
def test_default_study_gives_every_hypothesis_its_expected_sign(seed):
    # effects 2.5 times the default (heaped percents): at the default sizes the smallest
    # moderations have power well below 1 at N = 461 (docs/simulation.md), so a wrong sign
    # on one study is expected sampling error, not a defect of the estimator
    frame = _frame(StudyDesign(effect_scale=2.5), seed)
    table = model_effects(fit_main_model(frame), frame)
    directional = table[table["expected_sign"] != 0]
    # the population effects carry the published signs (simulation/design.py)
    assert (np.sign(directional["estimate"]) == directional["expected_sign"]).all(), directional


# ----------------------------------------------------------------------------
# the hypothesis table and the comparison with the published findings
# ----------------------------------------------------------------------------
def test_hypothesis_table_layout(study):
    t = hypothesis_table(study["frame"], [study["dirichlet"], study["frac"], study["ols"]])
    assert tuple(t.columns) == HYPOTHESIS_COLUMNS
    assert t["model"].unique().tolist() == ["dirichlet", "fractional_logit", "ols"]
    assert len(t) == 12 + 11 + 11  # H2 (self share) only from the Dirichlet model
    e1 = t[t["id"] == "E1"]
    assert e1["supported"].isna().all()
    d = t[(t["model"] == "dirichlet") & (t["expected_sign"] != 0)]
    expect = (np.sign(d["estimate"]) == d["expected_sign"]) & (d["p_value"] < 0.05)
    assert (d["supported"].astype(bool) == expect).all()
    crit = stats.norm.isf(0.025)
    np.testing.assert_allclose(t["conf_high"] - t["estimate"], crit * t["std_error"], rtol=1e-12)
    np.testing.assert_allclose(t["p_value"], 2 * stats.norm.sf(np.abs(t["statistic"])))


def test_published_comparison_says_whether_results_agree(study):
    t = hypothesis_table(study["frame"], [study["dirichlet"]])
    forced = t.copy()
    forced.loc[forced["id"] == "H3", "estimate"] = -0.5  # opposite sign, significant
    forced.loc[forced["id"] == "H4", "p_value"] = 0.2  # right sign, not significant
    comp = published_comparison(forced).set_index("id")
    assert comp.loc["H3", "agrees"] == "no" and comp.loc["H3", "result"].startswith("opposite")
    assert comp.loc["H4", "result"] == "expected sign, not significant"
    assert comp.loc["E1", "agrees"] == "n/a"
    assert comp.loc["H1", "published_finding"] == REGISTRY["H1"].finding
    md = comparison_markdown(comp.reset_index())
    assert md.count("\n| H") == 11 and "| E1 |" in md
    tex = comparison_latex(comp.reset_index())
    assert tex.startswith(r"\begin{tabular}") and r"\bottomrule" in tex and "H11" in tex
    # labels follow alpha: a 90% interval and "below 0.1" at alpha = 0.1
    assert "estimate [95% CI]" in md and "below 0.05." in md and r"[95\% CI]" in tex
    md10 = comparison_markdown(comp.reset_index(), alpha=0.1)
    assert "estimate [90% CI]" in md10 and "below 0.1." in md10
    assert r"[90\% CI]" in comparison_latex(comp.reset_index(), alpha=0.1)


# ----------------------------------------------------------------------------
# simple slopes, margins, Johnson-Neyman
# ----------------------------------------------------------------------------
def test_simple_slopes_of_a_linear_model_are_beta_x_plus_beta_xm_m(study):
    frame, res = study["frame"], study["ols"]
    slopes = simple_slopes(res, frame, options=CONDITIONAL, values={"experience": [2.0]})
    V = res.cov_params().loc["marketing", "marketing"]
    params = res.params["marketing"]
    for r in slopes.itertuples(index=False):
        x, m, m0 = r.predictor, r.moderator, r.moderator_centred
        term = f"{m}:{x}"
        # the other moderator of x is centred, so only this interaction moves
        other = [t for t in params.index if t.endswith(f":{x}") and t != term]
        shift = sum(params[t] * frame.data[t.split(":")[0]].mean() for t in other)
        assert r.estimate == pytest.approx(
            params[x] + params[term] * m0 + shift, rel=1e-10, abs=1e-12
        )
        var = V.loc[x, x] + 2 * m0 * V.loc[x, term] + m0**2 * V.loc[term, term]
        assert r.std_error == pytest.approx(np.sqrt(var), rel=1e-6)
    user = slopes[(slopes["level"] == "value")]
    # user values are on the raw scale: 2 years of experience, centred at the mean
    assert user["moderator_value"].eq(2.0).all()
    assert user["moderator_centred"].iloc[0] == pytest.approx(2.0 - frame.means["experience"])
    sd = frame.data["experience"].std(ddof=1)
    plus = slopes[(slopes["id"] == "H7") & (slopes["level"] == "+1 SD")]
    assert plus["moderator_centred"].iloc[0] == pytest.approx(sd)


def test_predictive_margins_average_the_models_predictions(study):
    frame, res = study["frame"], study["dirichlet"]
    pm = predictive_margins(res, frame, {"prequal": [3.0, 6.0], "experience": [5.0]})
    for r in pm.itertuples(index=False):
        d = frame.data.copy()
        d["prequal"] = r.prequal - frame.means["prequal"]
        d["experience"] = r.experience - frame.means["experience"]
        ref = res.predict(exog=design_matrix(d))["marketing"].mean()
        assert r.estimate == pytest.approx(ref, rel=1e-12)


def test_johnson_neyman_of_a_linear_model_matches_the_quadratic(study):
    frame, res = study["frame"], study["ols"]
    x, m = "tracking", "experience"
    b1, b3 = res.params["marketing"][x], res.params["marketing"][f"{m}:{x}"]
    V = res.cov_params().loc["marketing", "marketing"]
    c = stats.norm.isf(0.025)
    # (b1 + b3 z)^2 = c^2 (V11 + 2 z V13 + z^2 V33), z centred
    a2 = b3**2 - c**2 * V.loc[f"{m}:{x}", f"{m}:{x}"]
    a1 = 2 * (b1 * b3 - c**2 * V.loc[x, f"{m}:{x}"])
    a0 = b1**2 - c**2 * V.loc[x, x]
    roots = np.sort(np.roots([a2, a1, a0]).real) + frame.means[m]
    span = (roots.min() - 5, roots.max() + 5)
    jn = johnson_neyman(res, frame, x, m, options=CONDITIONAL, span=span, grid=301)
    np.testing.assert_allclose(jn.boundaries, roots, rtol=0, atol=1e-7 * (span[1] - span[0]))


def test_johnson_neyman_boundaries_solve_t_equals_critical_value(study):
    frame, res = study["frame"], study["dirichlet"]
    model = ShareModel.from_results(res)
    X0 = design_matrix(frame.data)
    terms = list(X0.columns)
    B = model.coef
    n = len(X0)
    checked = 0
    for h in MODERATIONS:
        for method in ("normal", "esarey_sumner"):
            jn = johnson_neyman(
                res, frame, h.predictor, h.moderator, critical=method, options=CONDITIONAL
            )
            for b in jn.boundaries:
                # independent evaluation at the boundary: closed-form derivative of
                # the shares (shares.py) on a rebuilt design; SE from a central-
                # difference gradient
                d = frame.data.copy()
                d[h.moderator] = b - frame.means[h.moderator]
                X = design_matrix(d).to_numpy()
                values = {v: d[v].to_numpy() for v in FOCAL}
                dx = term_derivative(terms, values, h.predictor, n)

                def effect(Bm, X=X, dx=dx):
                    return share_derivative(X, dx, Bm, 2)[:, 0].mean()

                theta = B.T.ravel()
                g = np.empty(theta.size)
                for j in range(theta.size):
                    e = np.zeros(theta.size)
                    e[j] = 1e-6
                    g[j] = (
                        effect((theta + e).reshape(2, -1).T) - effect((theta - e).reshape(2, -1).T)
                    ) / 2e-6
                t = effect(B) / np.sqrt(g @ model.cov @ g)
                assert abs(t) == pytest.approx(jn.critical_value, abs=1e-6), (h.id, method, b)
                checked += 1
    assert checked >= 4  # the default study has boundaries inside the observed ranges


def test_esarey_sumner_critical_value(study):
    # hand calculation: t = 3, 2.5, 2, 0.5 -> p = .0027, .0124, .0455, .6171; BH at
    # 5% with G = 4 passes ranks 1-2 (p <= .0125, .025), fails rank 3 (.0455 > .0375)
    # -> c = z(1 - .05 * 2 / (2 * 4)) = z(.9875) = 2.2414
    c = esarey_sumner_critical([3.0, 2.5, 2.0, 0.5], [1.0] * 4)
    assert c == pytest.approx(stats.norm.isf(0.0125), rel=1e-12)
    assert c == pytest.approx(2.2414, abs=1e-4)
    # with t reference distribution (df = 10) the same rank gives the t quantile
    assert esarey_sumner_critical([30.0, 0.0], [1.0, 1.0], df=10) == pytest.approx(
        stats.t(10).isf(0.0125)
    )
    frame, res = study["frame"], study["dirichlet"]
    table, analyses = johnson_neyman_table(res, frame)
    es = table[table["method"] == "esarey_sumner"]["critical_value"]
    assert (es >= stats.norm.isf(0.025) - 1e-12).all()  # never below 1.96
    assert (es <= stats.norm.isf(0.025 / 201) + 1e-12).all()  # never above Bonferroni
    for h in MODERATIONS:  # a larger critical value can only shrink the region
        normal = analyses[(h.id, "normal")].curve["significant"]
        fdr = analyses[(h.id, "esarey_sumner")].curve["significant"]
        assert not (fdr & ~normal).any()


def test_johnson_neyman_table_layout(study):
    table, _ = johnson_neyman_table(study["dirichlet"], study["frame"], grid=51)
    assert set(table["id"]) == {h.id for h in MODERATIONS}
    assert set(table["method"]) == {"normal", "esarey_sumner"}
    inside = table.dropna(subset=["low"])
    assert (inside["low"] <= inside["high"]).all()
    assert inside["share_of_reps"].between(0, 1).all()


# ----------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------
def test_run_hypotheses_writes_every_table(study, tmp_path):
    rep = run_hypotheses(
        study["frame"],
        study["dirichlet"],
        [study["frac"], study["ols"]],
        bootstrap=5,
        seed=3,
        jn_grid=51,
    )
    paths = write_outputs(tmp_path, (stage_hypotheses, rep))
    assert sorted(paths) == sorted(REPORT_FILES)
    for p in paths.values():
        assert p.is_file() and p.stat().st_size > 0
    csv = pd.read_csv(paths["hypotheses.csv"])
    assert tuple(csv.columns) == ADJUSTED_HYPOTHESIS_COLUMNS
    joint = pd.read_csv(paths["joint_tests.csv"])
    assert joint["model"].tolist() == ["dirichlet", "fractional_logit", "ols"]
    # the summary reports the count of the table (the default design's moderations are
    # small, so not every hypothesis is supported on one study)
    main = csv[(csv["model"] == "dirichlet") & (csv["expected_sign"] != 0)]
    n_supported = int(main["supported"].astype(bool).sum())
    assert f"dirichlet: {n_supported} of {len(main)} directional hypotheses supported" in (
        rep.summary()
    )
    plain = run_hypotheses(study["frame"], study["dirichlet"], jn_grid=51)
    staged = write_outputs(tmp_path / "plain", (stage_hypotheses, plain))
    assert "hypotheses_bootstrap.csv" not in staged


# ----------------------------------------------------------------------------
# every raise
# ----------------------------------------------------------------------------
def _toy(params: pd.Series, cov=None, link=None) -> AdaptedResults:
    """A ShareResults around given params (MultiIndex (equation, term)) and covariance."""
    cov = np.eye(len(params)) if cov is None else cov
    return AdaptedResults(None, "toy", params, cov, nobs=10, link=link)


def test_model_errors(study):
    with pytest.raises(EffectsError, match="expected fitted share-model results"):
        ShareModel.from_results(object())
    frame = study["frame"]
    p = pd.Series([0.1, 0.2], index=pd.MultiIndex.from_tuples([("m", "Intercept"), ("m", "x")]))
    with pytest.raises(EffectsError, match="the toy model has no mean-share link"):
        ShareModel.from_results(_toy(p))  # e.g. the probit: no share-scale effects
    with warnings.catch_warnings():
        # the frame holds raw shares; the model compresses a 0 or 1 if the study has one
        warnings.simplefilter("ignore", ZeroShareWarning)
        common = DirichletRegression(
            frame.data[list(COMPONENTS)],
            design_matrix(frame.data)[["Intercept", "prequal"]],
            parametrization="common",
        ).fit()
    with pytest.raises(EffectsError, match="no mean-share link"):
        ShareModel.from_results(common)
    idx = pd.MultiIndex.from_tuples([("m", "Intercept"), ("s", "prequal")])
    with pytest.raises(EffectsError, match="same terms"):
        ShareModel.from_results(
            _toy(pd.Series([0.0, 0.0], index=idx), link=SoftmaxLink(("m", "s", "o"), ("m", "s"), 2))
        )
    with pytest.raises(EffectsError, match="not finite"):
        ShareModel.from_results(_toy(p, cov=np.full((2, 2), np.nan), link=IdentityLink("m")))


def test_effect_request_errors(study):
    frame, res, ols = study["frame"], study["dirichlet"], study["ols"]
    with pytest.raises(EffectsError, match="cannot give effects on the 'self' share"):
        average_effects(ols, frame, [EffectSpec("self", "prequal")])
    with pytest.raises(EffectsError, match="predictor 'age' is not a variable"):
        average_effects(res, frame, [EffectSpec("marketing", "age")])
    with pytest.raises(EffectsError, match="moderator 'age' is not a variable"):
        average_effects(res, frame, [EffectSpec("marketing", "prequal", "age")])
    with pytest.raises(EffectsError, match="must differ"):
        average_effects(res, frame, [EffectSpec("marketing", "prequal", "prequal")])
    with pytest.raises(EffectsError, match="cannot set 'age'"):
        average_effects(res, frame, [EffectSpec("marketing", "prequal", at=(("age", 1.0),))])
    with pytest.raises(EffectsError, match="lacks the column"):
        model_effects(res, frame.data.drop(columns="volume"))
    with pytest.raises(EffectsError, match="has no rows"):
        model_effects(res, frame.data.iloc[:0])
    other = frame.data.copy()
    other.loc[0, "firm"] = "Z"
    with pytest.raises(EffectsError, match="not fitted on"):
        model_effects(res, other)
    bad = frame.data.copy()
    bad.loc[0, "prequal"] = np.nan
    with pytest.raises(EffectsError, match="missing or infinite"):
        model_effects(res, bad)
    with pytest.raises(EffectsError, match="expected an AnalysisFrame or a DataFrame"):
        model_effects(res, [1, 2])
    with pytest.raises(EffectsError, match="data must be a DataFrame"):
        EffectsEngine(ShareModel.from_results(res), [1, 2])
    terms = ["Intercept", "firm[T.B]", "firm[T.C]", "firm[T.D]", "a:b"]
    odd_params = pd.Series(0.1, index=pd.MultiIndex.from_tuples([("marketing", t) for t in terms]))
    odd = ShareModel.from_results(_toy(odd_params, link=IdentityLink("marketing")))
    with pytest.raises(EffectsError, match="cannot build the model term 'a:b'"):
        model_effects(odd, frame.data.assign(a=1.0, b=2.0))
    with pytest.raises(EffectsError, match="variance must be one of"):
        EffectOptions(variance="robust")
    with pytest.raises(EffectsError, match="alpha must lie strictly between 0 and 1"):
        EffectOptions(alpha=1.5)
    with pytest.raises(EffectsError, match="options must be an EffectOptions"):
        model_effects(res, frame, options={"alpha": 0.1})
    with pytest.raises(EffectsError, match="has no rows for model 'ols'"):
        published_comparison(hypothesis_table(frame, [res]), model="ols")


def test_probing_errors(study):
    frame, res = study["frame"], study["dirichlet"]
    with pytest.raises(EffectsError, match="non-empty sequence of finite numbers"):
        conditional_effects(res, frame, "prequal", "experience", [])
    with pytest.raises(EffectsError, match="must differ"):
        conditional_effects(res, frame, "prequal", "prequal", [1.0])
    with pytest.raises(EffectsError, match="moderate no registry effect"):
        simple_slopes(res, frame, values={"volume": [1.0]})
    with pytest.raises(EffectsError, match="lacks the moderator column"):
        simple_slopes(res, frame.data.drop(columns="experience"))
    with pytest.raises(EffectsError, match="non-empty and of equal length"):
        esarey_sumner_critical([], [])
    with pytest.raises(EffectsError, match="finite and positive"):
        esarey_sumner_critical([1.0], [0.0])
    with pytest.raises(EffectsError, match="alpha must lie strictly between"):
        esarey_sumner_critical([1.0], [1.0], alpha=0.0)
    with pytest.raises(EffectsError, match="critical must be one of"):
        johnson_neyman(res, frame, "prequal", "experience", critical="bonferroni")
    with pytest.raises(EffectsError, match="grid must be an integer of at least 11"):
        johnson_neyman(res, frame, "prequal", "experience", grid=5)
    with pytest.raises(EffectsError, match="span must be two finite numbers"):
        johnson_neyman(res, frame, "prequal", "experience", span=(5.0, 1.0))
    with pytest.raises(EffectsError, match="lacks the moderator column"):
        johnson_neyman(res, frame.data.drop(columns="experience"), "prequal", "experience")
    with pytest.raises(EffectsError, match="at must name at least one variable"):
        predictive_margins(res, frame, {})
    with pytest.raises(EffectsError, match="critical must be one of"):
        johnson_neyman_table(res, frame, methods=("normal", "scheffe"))


def test_bootstrap_and_report_errors(study, monkeypatch):
    frame, res = study["frame"], study["dirichlet"]
    with pytest.raises(EffectsError, match="n_boot must be a positive integer"):
        bootstrap_effects(res, frame, n_boot=0, seed=1)
    with pytest.raises(EffectsError, match="seed must be an integer"):
        bootstrap_effects(res, frame, n_boot=2, seed="1")
    with pytest.raises(EffectsError, match="scheme must be one of"):
        bootstrap_effects(res, frame, n_boot=2, seed=1, scheme="cluster")
    with pytest.raises(EffectsError, match="data lacks 'firm'"):
        bootstrap_effects(study["ols"], frame.data.drop(columns="firm"), n_boot=2, seed=1)
    with pytest.raises(EffectsError, match="n_draws must be a positive integer"):
        simulate_effects(res, frame, n_draws=0, seed=1)
    with pytest.raises(EffectsError, match="seed must be an integer"):
        simulate_effects(res, frame, n_draws=2, seed=1.5)

    def failing(model, data):
        raise EstimationError("singular")

    monkeypatch.setattr(bootstrap, "_refit", failing)
    with pytest.raises(EffectsError, match="only 0 of 3 bootstrap refits succeeded"):
        bootstrap_effects(res, frame, n_boot=3, seed=1, progress=False)
    monkeypatch.undo()

    def not_converged(model, data):
        raise EstimationError("the refit did not converge")

    calls = {"n": 0}
    real = bootstrap._refit

    def sometimes(model, data):
        calls["n"] += 1
        if calls["n"] == 1:
            return not_converged(model, data)
        return real(model, data)

    monkeypatch.setattr(bootstrap, "_refit", sometimes)
    out = bootstrap_effects(res, frame, n_boot=3, seed=1, progress=False)
    assert out.n_failed == 1 and out.table["n_failed"].eq(1).all()
    assert out.draws.iloc[0].isna().all()
    with pytest.raises(EffectsError, match="bootstrap must be a whole number"):
        run_hypotheses(frame, res, bootstrap=-1)


def test_refit_errors(study, monkeypatch):
    frame = study["frame"]
    ols = ShareModel.from_results(study["ols"])
    nan = frame.data.copy()
    nan.loc[0, "marketing"] = np.nan
    with pytest.raises(EstimationError, match="missing or infinite values"):
        bootstrap._refit(ols, nan)
    original = DirichletRegression.fit
    monkeypatch.setattr(DirichletRegression, "fit", lambda self, **kw: original(self, maxiter=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EstimationError, match="the refit did not converge"):
            bootstrap._refit(ShareModel.from_results(study["dirichlet"]), frame.data)


# ---------------------------------------------------------------------------
# the engine's batched complex step against a coefficient-by-coefficient one
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dirichlet", "ols", "fractional_logit"])
def test_engine_gradient_equals_a_coefficientwise_complex_step(study, name):
    from leadblackhole.models import fit_share_model

    frame = study["frame"]
    res = study["dirichlet"] if name == "dirichlet" else fit_share_model(frame, name)
    model = ShareModel.from_results(res)
    engine = EffectsEngine(model, frame.data)
    specs = [
        EffectSpec(h.outcome, h.predictor, h.moderator)
        for h in HYPOTHESES
        if h.outcome in model.outcomes
    ] + [EffectSpec(model.outcomes[0])]  # a level (order 0) too
    # effects with variables set for every rep (simple slopes, Johnson-Neyman grids):
    # the engine forms only the moved columns; the reference below uses the dense design
    out0 = model.outcomes[0]
    specs += [
        EffectSpec(out0, "volume", None, (("experience", 0.7),)),
        EffectSpec(out0, "prequal", None, (("tracking", -1.2), ("performance", 0.4))),
        EffectSpec(out0, "volume", "experience", (("prequal", 0.5),)),
        EffectSpec(out0, None, None, (("volume", 1.5),)),
    ]
    est, _, grad = engine.evaluate(specs)
    # reference: perturb each coefficient theta_t by i h and push the complex
    # coefficients through the link (no step is formed, so both are exact)
    h = 1e-30
    theta = model.theta.astype(complex)
    q = model.coef.shape[1]
    for s, spec in enumerate(specs):
        X, dx, dm, dxm = engine._arrays(spec, slice(None), (0, 1, 2, 3))
        comp = model.components.index(spec.outcome)
        ref = np.empty(theta.size)
        for t in range(theta.size):
            th = theta.copy()
            th[t] += 1j * h
            coef = th.reshape(q, -1).T
            out = model.link.effect(spec.order, X @ coef, dx @ coef, dm @ coef, dxm @ coef)
            ref[t] = out[:, comp].mean().imag / h
        assert est[s] == pytest.approx(out[:, comp].mean().real, rel=1e-12, abs=1e-15)
        # 1e-10: both are exact to rounding; only the order of the sums differs
        np.testing.assert_allclose(grad[s], ref, rtol=1e-10, atol=1e-12)
