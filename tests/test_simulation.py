"""The study simulator: determinism, calibration targets and the population truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadblackhole.exceptions import DesignError
from leadblackhole.registry import HYPOTHESES
from leadblackhole.shares import mean_shares
from leadblackhole.simulation import StudyDesign, heap_percents, simulate
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
    assert truth.params[("marketing", "experience:tracking")] == -0.030
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


def test_design_diagnosis_table():
    from leadblackhole.diagnosis import diagnose

    table = diagnose(StudyDesign(heap_step=0), n_sims=4, seed=3)
    assert list(table.columns) == [
        "truth",
        "mean_estimate",
        "bias",
        "relative_bias",
        "mc_se",
        "coverage",
        "supported_rate",
        "n_sims",
    ]
    assert list(table.index) == [h.id for h in HYPOTHESES]
    assert (table["n_sims"] == 4).all() and table["coverage"].between(0, 1).all()
    np.testing.assert_allclose(table["bias"], table["mean_estimate"] - table["truth"])
    from leadblackhole.exceptions import DesignError

    with pytest.raises(DesignError, match="n_sims must be at least 2"):
        diagnose(n_sims=1)
