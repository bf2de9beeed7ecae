"""Lead allocation: follow-ups, policies, the greedy optimum, intervals and the CLI.

Where each asserted number comes from:

* the calibrated black hole is ``truth.black_hole_rate`` of the simulator (its population
  share of leads never followed up), and the equal split's true black hole is computed here
  from the true coefficients with the simulator's own ``design_matrix``/``mean_shares``;
* exact optima come from a dynamic programme over whole leads written in this file;
* the true hours per lead is ``StudyDesign.hours_per_lead``.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadblackhole import cli
from leadblackhole.allocation import (
    POLICY_DESCRIPTIONS,
    SCENARIOS,
    ShareCurves,
    allocate,
    apply_scenario,
    check_budget,
    dual_bound,
    equal_split,
    estimate_hours_per_lead,
    expected_followups,
    greedy_allocation,
    largest_remainder,
    performance_score,
    predicted_marketing_share,
    score_split,
    share_curves,
)
from leadblackhole.allocation._model import draw_params
from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.exceptions import AllocationError, EstimationError, LeadBlackHoleUserError
from leadblackhole.models import LogitLink, SoftmaxLink, fit_share_model
from leadblackhole.reporting.artifacts import FitArtifact
from leadblackhole.shares import mean_shares
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.specification import design_matrix

from .conftest import write_csv

#: Relative tolerance of exact (floating-point) agreements.
EXACT = 1e-9
#: The model-optimal allocation's true follow-ups may fall this far (relatively) short of the
#: oracle's. Loose on purpose: the fitted coefficients differ from the true ones by sampling
#: error (standard errors of 10-30% of the volume terms), so the fitted optimum aims at a
#: slightly wrong target; follow-ups are flat near the optimum, so that costs about 1% here.
ORACLE_TOLERANCE = 0.03
#: Draws of the estimates in the interval tests (enough for stable 95% percentiles).
N_DRAWS = 200
#: The multinomial-logit link of the main model (base ``other``), for hand-made curves.
SOFTMAX = SoftmaxLink(("marketing", "self", "other"), ("marketing", "self"), base=2)


@pytest.fixture(scope="module")
def fitted(default_simulation):
    survey, truth = default_simulation
    frame = build_analysis_frame(validate_survey(survey))
    return frame, fit_share_model(frame, "dirichlet"), truth


@pytest.fixture(scope="module")
def baseline(fitted):
    frame, res, truth = fitted
    return allocate(
        res,
        frame,
        policies=("observed", "equal", "score", "optimal"),
        n_draws=N_DRAWS,
        seed=11,
        truth=truth,
    )


def _row(result, policy, scenario="baseline"):
    p = result.policies
    return p[(p["policy"] == policy) & (p["scenario"] == scenario)].iloc[0]


# ---------------------------------------------------------------------------------------------
# the model access
# ---------------------------------------------------------------------------------------------
def test_shares_at_observed_leads_are_the_fitted_values(fitted):
    frame, res, _ = fitted
    got = predicted_marketing_share(res, frame, frame.raw["lead_volume"].to_numpy())
    np.testing.assert_allclose(got, res.fittedvalues["marketing"].to_numpy(), rtol=EXACT)


def test_shares_at_new_leads_recentre_volume_at_the_fit_mean(fitted):
    frame, res, _ = fitted
    leads = np.arange(frame.n) % 90
    new = frame.data.copy()
    new["volume"] = np.log1p(leads) - frame.means["volume"]
    expected = res.predict(design_matrix(new, levels=frame.firms))["marketing"].to_numpy()
    np.testing.assert_allclose(predicted_marketing_share(res, frame, leads), expected, rtol=EXACT)


def test_parameter_draw_replaces_the_estimates(fitted):
    frame, res, _ = fitted
    theta = draw_params(res, 1, seed=3)[0]
    leads = np.full(frame.n, 20)
    own = predicted_marketing_share(res, frame, leads, params=theta)
    assert not np.allclose(own, predicted_marketing_share(res, frame, leads))
    # same draw, same seed
    np.testing.assert_array_equal(theta, draw_params(res, 1, seed=3)[0])
    # several draws at once give the curves of each draw
    many = draw_params(res, 3, seed=4)
    for theta, c in zip(many, share_curves(res, frame, params=many), strict=True):
        np.testing.assert_allclose(
            c.marketing(leads), share_curves(res, frame, params=theta).marketing(leads), rtol=EXACT
        )


def test_model_access_rejects_models_without_a_marketing_mean_and_bad_draws(fitted):
    frame, res, _ = fitted

    class NoLink:
        model_name = "probit"
        link = None

    class SelfOnly:
        model_name = "fractional_logit"
        link = LogitLink("self")

    with pytest.raises(AllocationError, match="the probit model has no mean-share link"):
        share_curves(NoLink(), frame)
    with pytest.raises(AllocationError, match=r"outcomes \['self'\]"):
        share_curves(SelfOnly(), frame)
    with pytest.raises(EstimationError, match="a draw of the mean coefficients needs"):
        share_curves(res, frame, params=np.zeros(3))


def test_draws_are_of_the_mean_coefficients(fitted):
    frame, res, _ = fitted
    draws = draw_params(res, 4000, seed=2)
    # stacked equation by equation, as mean_cov is labelled
    assert draws.shape == (4000, res.mean_coef.size)
    theta = res.mean_coef.to_numpy().T.ravel()
    se = np.sqrt(np.diag(res.mean_cov.to_numpy()))
    # 4000 draws: the sample mean is within 5 standard errors of the mean (se / sqrt(4000))
    assert np.all(np.abs(draws.mean(axis=0) - theta) < 5 * se / np.sqrt(4000))


def test_any_share_model_with_a_marketing_mean_drives_the_curves(fitted):
    # no model type is detected: the fractional logit works through its own link, and its
    # curves at the observed leads are its own expected shares
    frame, _, _ = fitted
    flogit = fit_share_model(frame, "fractional_logit")
    got = predicted_marketing_share(flogit, frame, frame.raw["lead_volume"].to_numpy())
    exog = design_matrix(frame.data, levels=frame.firms)
    np.testing.assert_allclose(got, flogit.mean_shares(exog)[:, 0], rtol=EXACT)


# ---------------------------------------------------------------------------------------------
# policies
# ---------------------------------------------------------------------------------------------
def test_equal_split_and_largest_remainder():
    assert equal_split(4, 10).tolist() == [3, 3, 2, 2]
    assert equal_split(3, 10, order=np.array([2, 0, 1])).tolist() == [3, 3, 4]
    assert largest_remainder(np.array([1.0, 1.0, 2.0]), 10).tolist() == [3, 2, 5]
    s = performance_score(np.array([1.0, 5.0, 10.0]), np.array([0.9, 1.1, 1.0]))
    np.testing.assert_allclose(s, [2 / 6, 5 / 6, 5 / 6])
    assert score_split(s, 100).sum() == 100


@pytest.mark.parametrize(
    "value, match",
    [
        (-5, "at least 1 lead"),
        (0, "at least 1 lead"),
        (12.5, "whole number"),
        ("abc", "whole number"),
        (True, "whole number"),
    ],
)
def test_bad_budget(value, match):
    assert issubclass(AllocationError, LeadBlackHoleUserError)  # the CLI exits 2
    with pytest.raises(AllocationError, match=match):
        check_budget(value)


def test_score_must_be_positive():
    with pytest.raises(AllocationError, match="positive and finite"):
        score_split(np.array([1.0, 0.0]), 10)


def _curves(rng, n, rising=False):
    """Random share curves; ``rising``: marketing slope in [0, 0.8], self slope in [-0.1, 0],
    so the marketing share rises with volume, more slowly than ln(1 + L) (concave in L)."""
    a = rng.normal(-0.5, 0.4, size=(n, 2))
    if rising:
        b = np.column_stack([rng.uniform(0.0, 0.8, n), rng.uniform(-0.1, 0.0, n)])
    else:
        b = np.column_stack([rng.uniform(-0.4, 0.8, n), rng.uniform(-0.1, 0.2, n)])
    return ShareCurves(a, b, float(np.log(30.0)), SOFTMAX, 0)


def _exact(curves, capacity, budget, cap):
    """Exact optimum by dynamic programming over reps and whole leads, O(n B^2)."""
    grid = np.arange(budget + 1)
    best = np.full(budget + 1, -np.inf)  # best[b]: most follow-ups spending exactly b leads
    best[0] = 0.0
    for i in range(curves.n):
        f = expected_followups(
            ShareCurves(
                np.repeat(curves.intercept[i : i + 1], budget + 1, 0),
                np.repeat(curves.slope[i : i + 1], budget + 1, 0),
                curves.volume_mean,
                SOFTMAX,
                0,
            ),
            np.full(budget + 1, capacity[i]),
            grid,
        )
        f = np.where(grid <= cap, f, -np.inf)
        new = np.full(budget + 1, -np.inf)
        for b in range(budget + 1):
            new[b] = np.max(best[: b + 1][::-1] + f[: b + 1])
        best = new
    return best[budget]


def _concave(curves, capacity, budget):
    grid = np.arange(budget + 2)
    share = curves.marketing(grid[None, :], rows=np.arange(curves.n)[:, None])
    gains = np.diff(np.minimum(grid[None, :], capacity[:, None] * share), axis=1)
    return bool(np.all(np.diff(gains, axis=1) <= 1e-12))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 5),
    budget=st.integers(1, 40),
)
def test_greedy_matches_the_exact_optimum_when_concave(seed, n, budget):
    rng = np.random.default_rng(seed)
    curves = _curves(rng, n, rising=True)
    capacity = rng.uniform(2.0, 30.0, n)
    g = greedy_allocation(curves, capacity, budget)
    assert g.leads.sum() == budget
    got = expected_followups(curves, capacity, g.leads).sum()
    exact = _exact(curves, capacity, budget, budget)
    assert _concave(curves, capacity, budget)
    assert not g.nonconcave.any()
    assert got == pytest.approx(exact, rel=EXACT, abs=EXACT)


def test_greedy_can_miss_the_optimum_where_not_concave_and_the_bound_says_so():
    # two reps with steep volume slopes (|b| up to 3): one rep's follow-ups rise convexly
    # at first, so greedy, which looks one lead ahead, starves it (instance found by a
    # search over seeds: seed 142 of the generator below)
    rng = np.random.default_rng(142)
    a, b = rng.normal(-1, 1, size=(2, 2)), rng.uniform(-3, 3, size=(2, 2))
    curves = ShareCurves(a, b, 0.0, SOFTMAX, 0)
    capacity = rng.uniform(2, 40, 2)
    budget = int(rng.integers(3, 25))
    g = greedy_allocation(curves, capacity, budget)
    got = expected_followups(curves, capacity, g.leads).sum()
    exact = _exact(curves, capacity, budget, budget)
    assert g.nonconcave.any()
    assert got < exact - 0.5
    bound = dual_bound(curves, capacity, budget, budget, g.last_gain)
    assert bound >= exact - EXACT


def test_greedy_cap_must_absorb_the_budget():
    curves = _curves(np.random.default_rng(0), 3)
    with pytest.raises(AllocationError, match="cannot absorb"):
        greedy_allocation(curves, np.ones(3), budget=10, cap=3)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(5, 60),
    per_rep=st.floats(0.2, 120.0),
    start=st.integers(0, 400),
    draw=st.integers(0, 10),
    scenario=st.sampled_from(SCENARIOS),
)
def test_optimal_never_worse_than_equal_on_the_fitted_model(
    fitted, n, per_rep, start, draw, scenario
):
    frame, res, _ = fitted
    rows = np.arange(start, start + n) % frame.n
    raw = apply_scenario(frame.raw, scenario).iloc[rows]
    data = raw[["firm"]].copy()
    for v in frame.means.index:
        data[v] = raw[v].to_numpy(float) - frame.means[v]
    theta = draw_params(res, draw + 1, seed=5)[draw] if draw else None
    curves = share_curves(res, frame, data=data, params=theta)
    capacity = raw["hours_per_week"].to_numpy(float) * 52 / 12 / 4.8
    budget = max(1, int(round(per_rep * n)))
    cap = max(int(frame.raw["lead_volume"].max()), -(-budget // n))
    g = greedy_allocation(curves, capacity, budget, cap)
    eq = equal_split(n, budget)
    assert g.leads.sum() == budget and eq.sum() == budget and g.leads.max() <= cap
    opt = expected_followups(curves, capacity, g.leads).sum()
    assert opt >= expected_followups(curves, capacity, eq).sum() - EXACT


# ---------------------------------------------------------------------------------------------
# hours per lead
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("true_hours", [4.8, 7.0])
def test_hours_per_lead_interval_covers_the_truth(true_hours):
    survey, _ = simulate(StudyDesign(hours_per_lead=true_hours), seed=3)
    frame = build_analysis_frame(validate_survey(survey))
    est = estimate_hours_per_lead(frame.raw, seed=1)
    assert est.source == "estimated" and est.n_used > 100
    assert est.low < true_hours < est.high
    assert est.high - est.low < 0.1 * true_hours


def test_hours_per_lead_needs_the_columns(fitted):
    frame, _, _ = fitted
    assert estimate_hours_per_lead(frame.raw.drop(columns=["leads_followed_up"])) is None


# ---------------------------------------------------------------------------------------------
# the done-when checks on the default simulated survey
# ---------------------------------------------------------------------------------------------
def test_every_policy_spends_the_budget(baseline, fitted):
    frame, res, truth = fitted
    sums = baseline.allocation.groupby(["scenario", "policy"])["leads"].sum()
    assert (sums == baseline.budget).all()
    assert baseline.budget == frame.raw["lead_volume"].sum()
    other = allocate(res, frame, budget=1234, n_draws=0, truth=truth, scenarios=SCENARIOS)
    assert (other.allocation.groupby(["scenario", "policy"])["leads"].sum() == 1234).all()
    assert set(other.policies["policy"]) == {"equal", "score", "optimal", "oracle"}


def test_observed_allocation_reproduces_the_calibrated_black_hole(baseline, fitted):
    # the simulator's calibration: the population share of leads never followed up
    calibrated = fitted[2].black_hole_rate
    assert 0.6 < calibrated < 0.8  # the design states "about 70%"
    r = _row(baseline, "observed")
    # The interval carries the uncertainty of the estimates on this survey, not the
    # sampling of the survey itself, so it must cover the survey's own share of leads never
    # followed up; that share differs from the population's by sampling (0.683-0.711 over
    # seeds 1, 2, 3, 7 and 20130101 of the default design: SD about 0.013).
    raw = fitted[0].raw
    surveyed = 1.0 - raw["leads_followed_up"].sum() / raw["lead_volume"].sum()
    assert r.black_hole_low < surveyed < r.black_hole_high
    assert abs(r.black_hole_rate - calibrated) < 0.04  # about 3 sampling SDs
    # policies.csv says which row is the surveyed status quo and which the even split
    assert r.description == POLICY_DESCRIPTIONS["observed"]
    assert r.description.startswith("status quo as surveyed")
    assert _row(baseline, "equal").description.startswith("even split")


def test_equal_split_reproduces_the_true_equal_split_black_hole(baseline, fitted):
    frame, _, truth = fitted
    design = truth.design
    raw = frame.raw
    n, budget = len(raw), baseline.budget
    leads = np.full(n, budget // n) + (np.argsort(np.argsort(raw["rep_id"])) < budget % n)
    x = raw[["firm"]].copy()
    for v in truth.population_means.index:
        x[v] = raw[v] - truth.population_means[v]
    x["volume"] = np.log1p(leads) - truth.population_means["volume"]
    X = design_matrix(x, levels=sorted(design.firms))
    B = np.column_stack(
        [truth.params.loc[eq].reindex(X.columns).to_numpy() for eq in ("marketing", "self")]
    )
    share = mean_shares(X.to_numpy(), B, base=2)[:, 0]
    cap = raw["hours_per_week"].to_numpy() * 52 / 12 * share / design.hours_per_lead
    true_rate = 1 - np.minimum(leads, cap).sum() / budget
    r = _row(baseline, "equal")
    assert r.true_black_hole_rate == pytest.approx(true_rate, rel=EXACT)
    assert r.black_hole_low < true_rate < r.black_hole_high
    # "about 70%": the equal split lies within 6 points of the calibrated rate (it is lower
    # than the observed allocation's, since reps with few leads leave time unused; 64.9%
    # against 70.4% on the default design with its recalibrated effects)
    assert abs(r.black_hole_rate - truth.black_hole_rate) < 0.06


def test_optimal_close_to_the_oracle(baseline):
    opt, ora = _row(baseline, "optimal"), _row(baseline, "oracle")
    # evaluated with the true parameters, the oracle is the best any allocation can do
    assert opt.true_followups <= ora.true_followups * (1 + EXACT)
    assert opt.true_followups >= (1 - ORACLE_TOLERANCE) * ora.true_followups
    assert opt.followups >= _row(baseline, "equal").followups
    assert opt.nonconcave_reps == 0 and opt.optimality_gap_bound < 1e-6 * opt.followups


def test_intervals_bracket_the_estimates_and_are_reproducible(baseline, fitted):
    p = baseline.policies
    assert (p.black_hole_low <= p.black_hole_rate).all()
    assert (p.black_hole_rate <= p.black_hole_high).all()
    assert (p.followups_low <= p.followups).all() and (p.followups <= p.followups_high).all()
    frame, res, truth = fitted
    again = allocate(
        res,
        frame,
        policies=("observed", "equal", "score", "optimal"),
        n_draws=N_DRAWS,
        seed=11,
        truth=truth,
    )
    pd.testing.assert_frame_equal(again.policies, baseline.policies)


def test_scenarios_change_the_reps_as_documented(fitted):
    raw = fitted[0].raw
    up = apply_scenario(raw, "prequal_up")
    sd = raw["prequal"].std(ddof=1)
    np.testing.assert_allclose(up["prequal"], np.minimum(raw["prequal"] + sd, 7.0))
    off = apply_scenario(raw, "no_tracking_top")
    top = raw["performance"] >= raw["performance"].quantile(0.75)
    assert (off.loc[top, "tracking"] == 1.0).all()
    pd.testing.assert_series_equal(off.loc[~top, "tracking"], raw.loc[~top, "tracking"])
    with pytest.raises(AllocationError, match="unknown scenario"):
        apply_scenario(raw, "bogus")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"policies": ("magic",)}, "unknown policy 'magic'"),
        ({"policies": ("oracle",)}, "oracle policy needs the true parameters"),
        ({"policies": ("observed",), "budget": 100}, "observed allocation spends"),
        ({"scenarios": ("bogus",)}, "unknown scenario 'bogus'"),
        ({"n_draws": -1}, "n_draws must be"),
        ({"hours_per_lead": 0.0}, "hours_per_lead must be a positive number"),
        ({"hours_per_week": -3.0}, "hours_per_week must be a positive number"),
        ({"budget": 2.5}, "whole number"),
    ],
)
def test_allocate_rejects_bad_options(fitted, kwargs, match):
    """Each bad option raises an AllocationError naming the problem."""
    frame, res, _ = fitted
    with pytest.raises(AllocationError, match=match):
        allocate(res, frame, **{"n_draws": 0, **kwargs})


def test_oracle_needs_a_survey_of_the_design(fitted):
    frame, res, _ = fitted
    other = simulate(StudyDesign.for_firms(3), seed=1).truth
    with pytest.raises(AllocationError, match="not those of the simulated design"):
        allocate(res, frame, n_draws=0, truth=other)


def test_figure_draws_an_interval_that_misses_the_estimate():
    # with few draws the percentile interval need not contain the point estimate
    from leadblackhole.reporting.allocation import plot_black_hole

    pol = pd.DataFrame(
        {
            "policy": ["equal", "optimal"],
            "scenario": ["baseline", "baseline"],
            "black_hole_rate": [0.70, 0.60],
            "black_hole_low": [0.71, np.nan],
            "black_hole_high": [0.75, np.nan],
        }
    )
    ax = plot_black_hole(pol).axes[0]
    (segment,) = ax.collections[0].get_segments()
    np.testing.assert_allclose(segment[:, 0], [71.0, 75.0])
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [70.0, 60.0])


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------
def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leadblackhole.cli", *args], capture_output=True, text=True
    )


def test_cli_allocate_writes_the_outputs(tmp_path, survey_csv, capsys, monkeypatch):
    from leadblackhole.data.source import marker_path, simulation_marker

    from .conftest import FIXTURE_SEED

    monkeypatch.chdir(tmp_path)  # no --fits: the model is fitted
    # the survey is the default design's draw (conftest): its marker lets --oracle read it
    text = survey_csv.read_text()
    marker_path(survey_csv).write_text(simulation_marker(text, FIXTURE_SEED, "simulate"))
    out = tmp_path / "alloc"
    args = ["allocate", str(survey_csv), "--draws", "20", "--seed", "3", "--out", str(out)]
    assert cli.main(args + ["--oracle"]) == 0
    text = capsys.readouterr().out
    assert "estimated from the survey" in text
    pol = pd.read_csv(out / "policies.csv")
    assert list(pol.columns[:8]) == [
        "policy",
        "scenario",
        "black_hole_rate",
        "black_hole_low",
        "black_hole_high",
        "followups",
        "followups_low",
        "followups_high",
    ]
    assert set(pol["scenario"]) == set(SCENARIOS)
    assert set(pol["policy"]) == {"observed", "equal", "score", "optimal", "oracle"}
    alloc = pd.read_csv(out / "allocation.csv")
    assert {"rep_id", "policy", "leads", "marketing_share", "followups"} <= set(alloc.columns)
    first = (out / "black_hole_by_policy.png").read_bytes()
    assert cli.main(args + ["--oracle"]) == 0
    assert (out / "black_hole_by_policy.png").read_bytes() == first
    assert (out / "black_hole_by_policy.pdf").read_bytes()[:4] == b"%PDF"


def test_cli_allocate_uses_the_saved_fit_and_refuses_a_foreign_one(
    tmp_path, survey_csv, fitted, capsys
):
    from leadblackhole.models import fit_share_model, rounding_step_of

    frame, _, _ = fitted
    # the main model `fit --rounding auto` would save: rounding-aware when the answers are rounded
    name = "dirichlet_rounded" if rounding_step_of(frame) is not None else "dirichlet"
    res = fit_share_model(frame, name)
    artifact = FitArtifact.from_fit({name: res}, None, survey_csv, frame)
    fits = artifact.save(tmp_path / "models")
    args = ["allocate", str(survey_csv), "--draws", "5", "--policy", "equal"]
    args += ["--scenario", "baseline", "--out", str(tmp_path / "a")]
    assert cli.main(args + ["--fits", str(fits)]) == 0
    assert f"the {name} fit saved in {fits}" in capsys.readouterr().out
    # without --fits, the main model is fitted: the same estimates, the same table
    assert cli.main(args[:-1] + [str(tmp_path / "b")]) == 0
    assert "fitted now (no --fits given)" in capsys.readouterr().out
    # an artifact named but missing: exit 2, nothing fitted in its place
    assert cli.main(args + ["--fits", str(tmp_path / "none")]) == 2
    assert "not found" in capsys.readouterr().err
    a, b = (pd.read_csv(tmp_path / d / "policies.csv") for d in "ab")
    pd.testing.assert_frame_equal(a, b, rtol=1e-6)
    # an artifact of another survey file: exit 2
    foreign = FitArtifact({name: res}, None, "0" * 64, artifact.frame_sha256)
    assert cli.main(args + ["--fits", str(foreign.save(tmp_path / "foreign"))]) == 2
    assert "made from another survey file" in capsys.readouterr().err


def test_cli_allocate_without_followups_or_hours_states_its_assumptions(
    tmp_path, default_survey, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    path = write_csv(tmp_path, default_survey.drop(columns=["leads_followed_up", "hours_per_week"]))
    out = tmp_path / "alloc"
    args = ["allocate", str(path), "--draws", "10", "--policy", "equal", "--scenario", "baseline"]
    assert cli.main(args + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    h = f"{StudyDesign().hours_per_lead:g}"  # the simulator's value
    assert f"assumed {h} hours per lead (the simulator's value; the survey lacks" in text
    assert "every rep assumed to work 47 hours a week" in text
    assert f"assumed {h} hours per lead" in (out / "assumptions.txt").read_text()
    assert cli.main(args + ["--hours-per-lead", "6", "--out", str(out)]) == 0
    assert "assumed 6 hours per lead (given)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--leads", "-5"], "at least 1 lead"),
        (["--leads", "12.5"], "whole number of leads"),
        (["--leads", "many"], "whole number of leads"),
        (["--policy", "random"], "invalid choice: 'random'"),
        (["--scenario", "bogus"], "invalid choice: 'bogus'"),
    ],
)
def test_cli_allocate_bad_input_exits_2(survey_csv, tmp_path, extra, match):
    proc = run("allocate", str(survey_csv), "--out", str(tmp_path / "o"), *extra)
    assert proc.returncode == 2, proc.stderr
    assert match in proc.stderr and "Traceback" not in proc.stderr
