"""The study simulator: determinism, calibration targets and the population truth."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from leadblackhole.exceptions import DesignError
from leadblackhole.registry import HYPOTHESES
from leadblackhole.shares import mean_shares
from leadblackhole.simulation import (
    DEFAULT_BETA_MARKETING,
    StudyDesign,
    heap_percents,
    simulate,
)
from leadblackhole.simulation.simulate import _coefficients
from leadblackhole.specification import design_matrix, firm_levels


def cronbach_alpha(items: np.ndarray) -> float:
    """Closed form: k/(k-1) (1 - sum var_i / var(sum))."""
    k = items.shape[1]
    return k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1))


@pytest.fixture(scope="module")
def big():
    """One large draw (20 000 reps) for calibration checks."""
    return simulate(StudyDesign(n_reps=20_000), seed=123)


def test_same_seed_same_survey_other_seed_other_survey():
    a, _ = simulate(StudyDesign(), seed=1)
    b, _ = simulate(StudyDesign(), seed=1)
    c, _ = simulate(StudyDesign(), seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_generator_argument_is_used():
    rng = np.random.default_rng(5)
    a, _ = simulate(StudyDesign(), seed=rng)
    b, _ = simulate(StudyDesign(), seed=np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, b)


def test_default_design_mirrors_the_study(default_survey):
    s = default_survey
    assert len(s) == 461 and s["rep_id"].is_unique
    sizes = s["firm"].value_counts()
    assert len(sizes) == 4 and sizes.nunique() == 4  # unequal firm sizes
    # largest remainder of 461 x (.35, .28, .22, .15) = 161.35, 129.08, 101.42, 69.15
    assert sizes.to_dict() == {"A": 161, "B": 129, "C": 102, "D": 69}
    assert [c for c in s.columns if c.startswith("pq_")] == ["pq_1", "pq_2", "pq_3", "pq_4"]
    pct = s[["pct_marketing", "pct_self", "pct_other"]]
    assert (pct % 5 == 0).all().all()  # heaped on multiples of 5
    assert (pct.sum(axis=1) == 100).all()
    assert (s["pct_marketing"] > 0).all()


def test_calibration_targets(big):
    s, truth = big
    for prefix in ("pq", "mt"):
        alpha = cronbach_alpha(s[[f"{prefix}_{i}" for i in range(1, 5)]].to_numpy(float))
        assert 0.8 <= alpha <= 0.9, (prefix, alpha)
    by_firm = s.groupby("firm")["lead_volume"].agg(["mean", "var"])
    assert (by_firm["var"] > 3 * by_firm["mean"]).all()  # overdispersed counts
    assert by_firm["mean"].nunique() == 4  # firm-specific means
    exp = s["experience"]
    assert exp.min() >= 0 and exp.skew() > 0.8  # right-skewed years
    r = np.corrcoef(s["experience"], s["quota_pct"])[0, 1]
    assert 0.2 < r < 0.5
    assert s["variable_pay_pct"].between(0, 100).all()
    assert s["hours_per_week"].between(30, 70).all()
    # about 70% of marketing leads are never followed up, in the population and the sample
    assert truth.black_hole_rate == pytest.approx(0.70, abs=0.02)
    sample_rate = 1 - s["leads_followed_up"].sum() / s["lead_volume"].sum()
    assert sample_rate == pytest.approx(truth.black_hole_rate, abs=0.02)
    assert (s["leads_followed_up"] <= s["lead_volume"]).all()


def test_truth_effects_carry_the_published_signs():
    truth = simulate(StudyDesign(), seed=0).truth
    for h in HYPOTHESES:
        v = truth.effects.loc[h.id, "value"]
        if h.expected_sign:
            assert np.sign(v) == h.expected_sign, (h.id, v)


def test_truth_effects_equal_finite_differences():
    """Population effects from the closed form against central differences of E[share]."""
    design = StudyDesign()
    truth = simulate(design, seed=0).truth
    big = simulate(design.replace(n_reps=50_000), seed=99).survey
    terms, B = _coefficients(design)
    v = pd.DataFrame(
        {
            "firm": big["firm"],
            "prequal": big[[f"pq_{i}" for i in range(1, 5)]].mean(axis=1),
            "tracking": big[[f"mt_{i}" for i in range(1, 5)]].mean(axis=1),
            "volume": np.log1p(big["lead_volume"]),
            "experience": big["experience"].astype(float),
            "performance": big["quota_pct"] / 100,
            "variable_pay": big["variable_pay_pct"] / 100,
        }
    )
    v[list(truth.population_means.index)] -= truth.population_means
    levels = firm_levels(design.firms)

    def mu(df):
        return mean_shares(design_matrix(df, levels, True).to_numpy(), B, base=2)

    h = 1e-3
    comp = {"marketing": 0, "self": 1}
    for hyp in HYPOTHESES:
        k, x, m = comp[hyp.outcome], hyp.predictor, hyp.moderator

        def shifted(dx, dm, k=k, x=x, m=m):
            d = v.copy()
            d[x] = d[x] + dx
            if m is not None:
                d[m] = d[m] + dm
            return mu(d)[:, k]

        if m is None:
            fd = ((shifted(h, 0) - shifted(-h, 0)) / (2 * h)).mean()
        else:
            fd = (
                (shifted(h, h) - shifted(h, -h) - shifted(-h, h) + shifted(-h, -h)) / (4 * h * h)
            ).mean()
        # the closed form averages over a 200 000-rep population, the check over another
        # 50 000-rep draw: agreement within a few percent is Monte Carlo error
        assert fd == pytest.approx(truth.effects.loc[hyp.id, "value"], rel=0.05, abs=5e-4), hyp.id


def test_truth_params_are_labelled_like_the_model():
    truth = simulate(StudyDesign(), seed=0).truth
    assert truth.params.index.names == ["equation", "term"]
    assert truth.params[("precision", "Intercept")] == pytest.approx(np.log(15.0))
    assert truth.params[("marketing", "experience:tracking")] == pytest.approx(
        DEFAULT_BETA_MARKETING["experience:tracking"]
    )
    assert truth.params[("marketing", "firm[T.B]")] == pytest.approx(0.10)


def test_zero_marketing_reps_and_other_firms():
    s, _ = simulate(StudyDesign.for_firms(6, n_zero_marketing=30, n_reps=300), seed=4)
    assert len(s) == 330 and s["firm"].nunique() == 6
    zero = s["pct_marketing"] == 0
    assert zero.sum() == 30 and (s.loc[zero, "leads_followed_up"] == 0).all()
    assert ((s.loc[zero, "pct_self"] + s.loc[zero, "pct_other"]) == 100).all()


def test_exact_shares_without_heaping():
    s, _ = simulate(StudyDesign(heap_step=0), seed=4)
    pct = s[["pct_marketing", "pct_self", "pct_other"]]
    np.testing.assert_allclose(pct.sum(axis=1), 100)
    assert (pct % 5 != 0).any().any()


def test_heap_percents_closed_form():
    got = heap_percents(np.array([[0.123, 0.456, 0.421], [0.01, 0.98, 0.01], [1 / 3] * 3]), 5)
    # by hand, in units of 5 points: (2.46, 9.12, 8.42) -> floors (2, 9, 8), the missing unit
    # to the largest remainder -> (15, 45, 40); (0.2, 19.6, 0.2) -> (0, 20, 0), marketing
    # floored at one unit taken from the largest -> (5, 95, 0); thirds -> (35, 35, 30)
    np.testing.assert_array_equal(got, [[15, 45, 40], [5, 95, 0], [35, 35, 30]])
    np.testing.assert_array_equal(got.sum(axis=1), 100)


def test_simulate_is_fast_enough_to_loop():
    simulate(StudyDesign(), seed=0)  # population truth cached
    # not a timing assertion: 50 draws must simply run (benchmarks/ times them)
    outs = [simulate(StudyDesign(), seed=i).survey["pct_marketing"].sum() for i in range(50)]
    assert len(set(outs)) > 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"firms": ("A",), "firm_weights": (1.0,)}, "at least 2 firms"),
        ({"firms": ("A", "A", "C", "D")}, "distinct"),
        ({"firm_weights": (0.5, 0.5)}, "firm_weights has 2 values for 4 firms"),
        ({"n_reps": 5}, "n_reps must be at least 30"),
        ({"n_zero_marketing": -1}, "n_zero_marketing"),
        ({"prequal_loadings": (0.8,)}, "at least 2 items"),
        ({"tracking_loadings": (0.8, 1.2)}, "loadings must lie"),
        ({"scale_correlation": 1.0}, "scale_correlation"),
        ({"precision": 0.0}, "must be positive"),
        ({"heap_step": 7}, "heap_step"),
    ],
)
def test_design_errors(kwargs, match):
    with pytest.raises(DesignError, match=match):
        StudyDesign(**kwargs)


def test_design_errors_for_firms_and_unknown_terms():
    with pytest.raises(DesignError, match="at least 2 firms"):
        StudyDesign.for_firms(1)
    with pytest.raises(DesignError, match="unknown terms"):
        simulate(StudyDesign(beta_marketing={"charisma": 1.0}), seed=0)


# ---------------------------------------------------------------------------
# departures from the estimated model (each off by default)
# ---------------------------------------------------------------------------


def _main_h1(design, seed):
    """Main-model estimate and SE of H1 on one simulated study (fast path)."""
    import warnings

    from leadblackhole.diagnosis import simulate_frame
    from leadblackhole.effects import model_effects
    from leadblackhole.exceptions import ZeroShareWarning
    from leadblackhole.models import fit_main_model

    frame, truth = simulate_frame(design, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        e = model_effects(fit_main_model(frame), frame).set_index("id")
    return e.loc["H1", "estimate"], e.loc["H1", "std_error"], truth.effects.loc["H1", "value"]


def _within_firm(s: pd.DataFrame, col: str) -> pd.Series:
    return s[col] - s.groupby("firm")[col].transform("mean")


def test_effect_scale_multiplies_every_slope():
    base = simulate(StudyDesign(), seed=0).truth
    double = simulate(StudyDesign(effect_scale=2.0), seed=0).truth
    null = simulate(StudyDesign(effect_scale=0.0), seed=0).truth
    slopes = [t for t in base.params.index if t[1] != "Intercept" and not t[1].startswith("firm")]
    np.testing.assert_allclose(double.params[slopes], 2 * base.params[slopes])
    fixed = [t for t in base.params.index if t not in slopes]
    np.testing.assert_allclose(double.params[fixed], base.params[fixed])
    # no slope, no effect: every derivative of the shares is exactly zero
    np.testing.assert_allclose(null.effects["value"], 0.0, atol=1e-15)


def test_latent_driven_shares_attenuate_the_item_mean_estimate():
    """Shares driven by the latent scores: the item-mean analysis has measurement error.

    Item-mean reliability is about 0.85 (Cronbach's alpha, checked above), so the
    prequal effect is attenuated by roughly 15%; with observed drivers (and exact shares)
    the main model is correctly specified and recovers the population value.
    """
    design = StudyDesign(n_reps=8000, heap_step=0, effect_scale=2.0)
    est, se, truth = _main_h1(design, seed=11)
    assert abs(est - truth) < 3 * se  # correctly specified: within Monte Carlo error
    est, se, truth = _main_h1(design.replace(share_driver="latent"), seed=11)
    assert 0.6 < est / truth < 0.95 and truth - est > 4 * se


def test_firm_slopes_vary_across_firms():
    design = StudyDesign.for_firms(8, n_reps=16_000, heap_step=0, effect_scale=0.0)

    def slope_sd(d):
        s = simulate(d, seed=3).survey
        s = s.assign(
            prequal=s[[f"pq_{i}" for i in range(1, 5)]].mean(axis=1), y=s["pct_marketing"] / 100
        )
        slopes = [np.polyfit(g["prequal"], g["y"], 1)[0] for _, g in s.groupby("firm")]
        return np.std(slopes, ddof=1)

    # per-firm OLS slope SE about 0.11 / (sqrt(2000) * 1.1) = 0.002; a log-ratio slope SD of
    # 0.3 moves the share slope by about 0.3 * mu (1 - mu) = 0.057 per firm
    assert slope_sd(design) < 0.01
    assert slope_sd(design.replace(firm_slope_sd={"prequal": 0.3}, effect_scale=1.0)) > 0.02


def test_selection_on_covariates_and_on_the_unobservable():
    d0 = StudyDesign(n_reps=3000, n_zero_marketing=3000, heap_step=0)
    s0 = simulate(d0, seed=5).survey
    zero0 = (s0["pct_marketing"] == 0).astype(float)
    assert abs(np.corrcoef(s0["quota_pct"], zero0)[0, 1]) < 0.05  # random subset
    d1 = d0.replace(selection_coef={"performance": -1.0})
    s1 = simulate(d1, seed=5).survey
    zero1 = (s1["pct_marketing"] == 0).astype(float)
    # high performers more often spend no time on marketing leads
    assert np.corrcoef(s1["quota_pct"], zero1)[0, 1] > 0.3
    # selection on the share's own residual: the analysable reps are those with high shares
    mean0 = s0.loc[zero0 == 0, "pct_marketing"].mean()
    s2 = simulate(d0.replace(selection_rho=0.9), seed=5).survey
    mean2 = s2.loc[s2["pct_marketing"] > 0, "pct_marketing"].mean()
    assert mean2 > mean0 + 3  # percentage points; SE of each mean about 0.2


def test_method_factor_inflates_scale_and_share_correlations():
    d0 = StudyDesign(n_reps=20_000, heap_step=0)

    def corrs(d):
        s = simulate(d, seed=8).survey
        pq = s[[f"pq_{i}" for i in range(1, 5)]].mean(axis=1)
        mt = s[[f"mt_{i}" for i in range(1, 5)]].mean(axis=1)
        share = _within_firm(s, "pct_marketing")
        return np.corrcoef(pq, mt)[0, 1], np.corrcoef(mt, share)[0, 1]

    r_scales0, r_share0 = corrs(d0)
    r_scales1, r_share1 = corrs(d0.replace(method_factor=0.5))
    r_scales2, r_share2 = corrs(d0.replace(method_factor=0.5, method_factor_shares=0.5))
    assert r_scales1 > r_scales0 + 0.1  # the factor adds 0.25 of latent covariance
    assert r_share2 > r_share1 + 0.05  # the shares share the method


def test_precision_varies_with_experience_and_firm():
    d0 = StudyDesign(n_reps=20_000, heap_step=0, effect_scale=0.0)

    def var_ratio(d):
        s = simulate(d, seed=9).survey
        z = (s["experience"] - 10) / np.sqrt(50)
        resid = _within_firm(s, "pct_marketing")
        return resid[z > 1].var() / resid[z < -0.5].var()

    assert var_ratio(d0) == pytest.approx(1.0, abs=0.1)
    # phi multiplied by exp(0.7 z): share variance mu (1 - mu) / (phi + 1) falls with z
    assert var_ratio(d0.replace(precision_experience=0.7)) < 0.6
    s = simulate(d0.replace(precision_firm=(0.0, 0.0, 0.0, 1.5)), seed=9).survey
    v = _within_firm(s, "pct_marketing").groupby(s["firm"]).var()
    assert v["D"] < 0.5 * v["A"]


def test_rounding_step_and_exact_reporters():
    d = StudyDesign(n_reps=5000, heap_step=10, exact_fraction=0.4)
    s = simulate(d, seed=10).survey
    pct = s[["pct_marketing", "pct_self", "pct_other"]]
    assert (pct.sum(axis=1) == 100).all()
    on_grid = (pct % 10 == 0).all(axis=1).mean()
    # 60% heap on 10; an exact reporter lands on the grid by chance with probability ~1%
    assert 0.57 < on_grid < 0.66


def test_lead_volume_routed_by_performance_and_confounded():
    d0 = StudyDesign(n_reps=20_000, heap_step=0, effect_scale=0.0)
    s0 = simulate(d0, seed=12).survey
    s1 = simulate(d0.replace(volume_routing=0.5), seed=12).survey
    vol0 = _within_firm(s0.assign(v=np.log1p(s0["lead_volume"])), "v")
    vol1 = _within_firm(s1.assign(v=np.log1p(s1["lead_volume"])), "v")
    assert abs(np.corrcoef(vol0, s0["quota_pct"])[0, 1]) < 0.03
    assert np.corrcoef(vol1, s1["quota_pct"])[0, 1] > 0.15
    # with no slopes, volume and the share are related only through the confounder
    s2 = simulate(d0.replace(volume_confounding=0.5), seed=12).survey
    vol2 = _within_firm(s2.assign(v=np.log1p(s2["lead_volume"])), "v")
    assert abs(np.corrcoef(vol0, _within_firm(s0, "pct_marketing"))[0, 1]) < 0.03
    assert np.corrcoef(vol2, _within_firm(s2, "pct_marketing"))[0, 1] > 0.08
    # the routing keeps the mean lead volume (lognormal mean correction)
    assert s1["lead_volume"].mean() == pytest.approx(s0["lead_volume"].mean(), rel=0.05)


def test_fast_path_gives_the_slow_paths_frame_and_estimates():
    from leadblackhole.data import build_analysis_frame, validate_survey
    from leadblackhole.diagnosis import simulate_frame

    for design in (StudyDesign(), StudyDesign(n_zero_marketing=40, heap_step=0)):
        slow = build_analysis_frame(validate_survey(simulate(design, seed=21).survey))
        fast, _ = simulate_frame(design, seed=21)
        # summation order of the centring means may differ in the last bit
        pd.testing.assert_frame_equal(fast.data, slow.data, rtol=1e-12, check_dtype=False)
        pd.testing.assert_frame_equal(fast.selection, slow.selection, rtol=1e-12, check_dtype=False)
        pd.testing.assert_series_equal(fast.means, slow.means, rtol=1e-12)
        pd.testing.assert_frame_equal(fast.exclusions, slow.exclusions, check_dtype=False)
        assert (fast.n, fast.n_compressed, fast.n_read) == (slow.n, slow.n_compressed, slow.n_read)
    import warnings

    from leadblackhole.effects import model_effects
    from leadblackhole.exceptions import ZeroShareWarning
    from leadblackhole.models import fit_main_model

    slow = build_analysis_frame(validate_survey(simulate(StudyDesign(), seed=4).survey))
    fast, _ = simulate_frame(StudyDesign(), seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        a = model_effects(fit_main_model(slow), slow)
        b = model_effects(fit_main_model(fast), fast)
    pd.testing.assert_frame_equal(a, b, rtol=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"effect_scale": -1.0}, "effect_scale must be >= 0"),
        ({"share_driver": "items"}, "share_driver must be"),
        ({"firm_slope_sd": {"charisma": 0.1}}, "firm_slope_sd names unknown terms"),
        ({"firm_slope_sd": {"prequal": -0.1}}, "firm_slope_sd values must be >= 0"),
        (
            {"selection_coef": {"age": 1.0}, "n_zero_marketing": 5},
            "selection_coef names unknown variables",
        ),
        ({"selection_rho": 1.5, "n_zero_marketing": 5}, "selection_rho must lie"),
        ({"selection_rho": 0.5}, "need n_zero_marketing > 0"),
        ({"precision_firm": (0.0, 1.0)}, "precision_firm has 2 values for 4 firms"),
        ({"exact_fraction": 1.5}, "exact_fraction must lie"),
        ({"exact_fraction": 0.5, "heap_step": 0}, "exact_fraction needs heap_step"),
    ],
)
def test_departure_errors(kwargs, match):
    with pytest.raises(DesignError, match=match):
        StudyDesign(**kwargs)


# --- the on-disk cache of the population truth ------------------------------------------------


def _assert_same_truth(a, b):
    pd.testing.assert_series_equal(a.params, b.params, check_exact=True)
    pd.testing.assert_frame_equal(a.effects, b.effects, check_exact=True)
    pd.testing.assert_series_equal(a.population_means, b.population_means, check_exact=True)
    pd.testing.assert_series_equal(a.mean_shares, b.mean_shares, check_exact=True)
    pd.testing.assert_series_equal(a.population_sd, b.population_sd, check_exact=True)
    assert a.black_hole_rate == b.black_hole_rate
    assert a.design == b.design


@pytest.fixture()
def truth_cache(tmp_path, monkeypatch):
    """A fresh on-disk truth cache, and no in-memory one."""
    import importlib

    from leadblackhole.config import TRUTH_CACHE_ENV

    sim_module = importlib.import_module("leadblackhole.simulation.simulate")
    folder = tmp_path / "truth-cache"
    monkeypatch.setenv(TRUTH_CACHE_ENV, str(folder))
    sim_module._population.cache_clear()
    yield folder, sim_module
    sim_module._population.cache_clear()


# the design of the tests: a small population keeps them fast (the truth does not depend on n_reps)
_CACHE_DESIGN = StudyDesign(precision=30.0)


def test_truth_cache_hit_gives_the_identical_truth(truth_cache, monkeypatch):
    from leadblackhole.config import TRUTH_CACHE_ENV

    folder, sim = truth_cache
    monkeypatch.setattr(sim, "POPULATION_SIZE", 20_000)
    computed = sim._population(_CACHE_DESIGN)
    files = list(folder.glob("truth-*.npz"))
    assert len(files) == 1  # written once, atomically: no temporary file left behind
    assert not list(folder.glob(".tmp-*"))
    sim._population.cache_clear()
    # a hit must not recompute: make computing fail
    compute = sim._compute_population
    monkeypatch.setattr(sim, "_compute_population", lambda design: pytest.fail("recomputed"))
    cached = sim._population(_CACHE_DESIGN)
    _assert_same_truth(cached, computed)
    survey, _ = sim.simulate(_CACHE_DESIGN.replace(n_reps=80), seed=3)
    # the same survey as from a truth computed without any cache
    monkeypatch.setattr(sim, "_compute_population", compute)
    monkeypatch.delenv(TRUTH_CACHE_ENV)
    sim._population.cache_clear()
    fresh, truth = sim.simulate(_CACHE_DESIGN.replace(n_reps=80), seed=3)
    pd.testing.assert_frame_equal(survey, fresh, check_exact=True)
    _assert_same_truth(sim._population(_CACHE_DESIGN), computed)


class _Touch:
    """Unpickles as ``os.system("touch pwned")``: a crafted cache file."""

    def __reduce__(self):
        return (os.system, ("touch pwned",))


def _crafted_npz(good: dict, change: str) -> bytes:
    """An archive of the cache's names with one array replaced (an object array, another shape)."""
    import io

    arrays = dict(good)
    if change == "object":
        arrays["effects"] = np.array([_Touch()], dtype=object)
    else:
        arrays["params"] = np.zeros(10**3)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # allow_pickle is numpy's default when writing
    return buf.getvalue()


@pytest.mark.parametrize("damage", ["empty", "garbage", "pickle", "object", "shape"])
def test_corrupt_truth_cache_is_ignored_and_rebuilt(truth_cache, monkeypatch, damage):
    import pickle

    from leadblackhole.arrays import read_npz

    folder, sim = truth_cache
    monkeypatch.setattr(sim, "POPULATION_SIZE", 20_000)
    monkeypatch.chdir(folder.parent)
    computed = sim._population(_CACHE_DESIGN)
    (path,) = folder.glob("truth-*.npz")
    expected = sim._truth_shapes(_CACHE_DESIGN)
    good = read_npz(path, expected)
    path.write_bytes(
        {
            "empty": b"",
            "garbage": b"not an archive",
            "pickle": pickle.dumps(_Touch()),  # a pickle is never loaded: no file appears
        }.get(damage)
        or _crafted_npz(good, damage)
    )
    sim._population.cache_clear()
    rebuilt = sim._population(_CACHE_DESIGN)
    _assert_same_truth(rebuilt, computed)
    assert not (folder.parent / "pwned").exists()
    # the damaged file was replaced by a good one
    back = read_npz(path, expected)
    assert all(np.array_equal(back[k], good[k]) for k in good)


def test_truth_cache_keys_differ_by_design_and_unset_cache_writes_nothing(truth_cache, monkeypatch):
    from leadblackhole.config import TRUTH_CACHE_ENV

    folder, sim = truth_cache
    from leadblackhole.simulation.truth_cache import cache_file

    a = cache_file(folder, _CACHE_DESIGN)
    b = cache_file(folder, _CACHE_DESIGN.replace(effect_scale=0.5))
    assert a != b
    assert a == cache_file(folder, StudyDesign(precision=30.0))
    monkeypatch.delenv(TRUTH_CACHE_ENV)
    monkeypatch.setattr(sim, "POPULATION_SIZE", 20_000)
    sim._population(_CACHE_DESIGN)
    assert not folder.exists()
