"""Tests of leadblackhole.measurement.

Reference values come from ``tests/reference/measurement/``: the item data are
simulated by ``simulate.py`` and the ``*_reference.json`` files hold the
values computed from them in R by ``reference.R`` (psych 2.2.9, lavaan 0.6-14;
see ``VERSIONS.md``). The tests only read those files; R is not needed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import leadblackhole.outputs as reporting_io
from leadblackhole.exceptions import ConvergenceWarning, EstimationError
from leadblackhole.measurement import (
    FIT_INDICES,
    TABLE_NAMES,
    CFAResult,
    average_variance_extracted,
    cmv_table,
    composite_reliability,
    correlation_table,
    cronbach_alpha,
    descriptives,
    discriminant_validity,
    feldt_interval,
    fit_cfa,
    fornell_larcker,
    harman_single_factor,
    htmt,
    one_factor_comparison,
    reliability_table,
    run_measurement,
    scale_alphas,
    scale_scores,
)
from leadblackhole.reporting.tables import stage_measurement, write_outputs

REF = Path(__file__).resolve().parent / "reference" / "measurement"
DATASETS = ("two_factor", "three_factor", "with_noise")
TOL = 1e-3  # agreement required with lavaan / psych


def load(name: str) -> tuple[pd.DataFrame, dict[str, list[str]], dict]:
    ref = json.loads((REF / f"{name}_reference.json").read_text())
    items = pd.read_csv(REF / f"{name}.csv")
    return items, ref["scales"], ref


_CFA_CACHE: dict[str, CFAResult] = {}


def cfa_of(name: str) -> CFAResult:
    if name not in _CFA_CACHE:
        items, scales, _ = load(name)
        _CFA_CACHE[name] = fit_cfa(items, scales)
    return _CFA_CACHE[name]


def simulate_items(
    n_items: tuple[int, ...], n: int = 300, seed: int = 7, phi: float = 0.4
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Likert items (1..7) from a correlated-factor model, loadings 0.75-0.85."""
    rng = np.random.default_rng(seed)
    m = len(n_items)
    corr = np.full((m, m), phi) + (1 - phi) * np.eye(m)
    f = rng.multivariate_normal(np.zeros(m), corr, size=n)
    cols, scales = {}, {}
    for k, size in enumerate(n_items):
        names = [f"s{k}_{j}" for j in range(size)]
        scales[f"scale{k}"] = names
        for j, name in enumerate(names):
            lam = 0.75 + 0.1 * (j % 2)
            y = lam * f[:, k] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            cols[name] = np.clip(np.rint(4 + 1.3 * y), 1, 7)
    return pd.DataFrame(cols), scales


# ---------------------------------------------------------------------------
# reliability against psych
# ---------------------------------------------------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("name", DATASETS)
def test_alpha_and_feldt_ci_match_psych(name):
    items, scales, ref = load(name)
    got = scale_alphas(items, scales).set_index("scale")
    for rec in ref["alpha"]:
        row = got.loc[rec["scale"]]
        # psych::alpha(...)$total$raw_alpha on the listwise-complete rows
        assert row["alpha"] == pytest.approx(rec["raw_alpha"], abs=1e-10)
        # psych::alpha(...)$feldt (Feldt CI); also equal to the qf() formula in reference.R
        assert row["alpha_ci_low"] == pytest.approx(rec["psych_feldt_low"], abs=1e-8)
        assert row["alpha_ci_high"] == pytest.approx(rec["psych_feldt_high"], abs=1e-8)
        assert row["n_obs"] == ref["n_complete"]  # nrow(na.omit(data)) in R
        assert row["n_items"] == rec["n_items"]


def test_feldt_interval_hand_value():
    # R: 1 - (1 - 0.85) * qf(c(0.975, 0.025), 399, 399 * 3) = 0.8244739, 0.8726467
    lo, hi = feldt_interval(0.85, n_obs=400, n_items=4)
    assert lo == pytest.approx(0.8244739, abs=1e-7)
    assert hi == pytest.approx(0.8726467, abs=1e-7)


def test_cronbach_alpha_single_scale_matches_psych():
    items, scales, ref = load("three_factor")
    res = cronbach_alpha(items[scales["tracking"]])
    # three_factor has no missing values, so the single-scale alpha is psych's raw_alpha
    expected = next(r for r in ref["alpha"] if r["scale"] == "tracking")
    assert res.alpha == pytest.approx(expected["raw_alpha"], abs=1e-10)
    assert (res.ci_low, res.ci_high) == pytest.approx(
        (expected["feldt_low"], expected["feldt_high"]), abs=1e-8
    )


def test_composite_reliability_and_ave_hand_values():
    # by hand: (0.7+0.8+0.9)^2 = 5.76; sum(1 - l^2) = 1.06; 5.76 / 6.82 = 0.844575
    assert composite_reliability([0.7, 0.8, 0.9]) == pytest.approx(5.76 / 6.82)
    # by hand: (0.49 + 0.64 + 0.81) / 3
    assert average_variance_extracted([0.7, 0.8, 0.9]) == pytest.approx(1.94 / 3)


# ---------------------------------------------------------------------------
# CFA against lavaan
# ---------------------------------------------------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("name", DATASETS)
def test_cfa_fit_indices_match_lavaan(name):
    _, _, ref = load(name)
    res = cfa_of(name)
    lav = ref["cfa"]["fit"]  # lavaan fitMeasures(fit, c("chisq", ..., "srmr"))
    assert res.n_obs == ref["n_complete"]
    assert res.df == lav["df"]
    for key in ("chisq", "pvalue", "cfi", "tli", "rmsea", "srmr"):
        assert getattr(res, key) == pytest.approx(lav[key], abs=TOL), key
    # lavaan's baseline.chisq / baseline.df
    assert res.baseline_chisq == pytest.approx(lav["baseline.chisq"], abs=TOL)
    assert res.baseline_df == lav["baseline.df"]
    assert list(res.fit_table["index"]) == list(FIT_INDICES)


@pytest.mark.reference
@pytest.mark.parametrize("name", DATASETS)
def test_cfa_standardized_loadings_match_lavaan(name):
    _, _, ref = load(name)
    got = cfa_of(name).loadings
    lav = pd.DataFrame(ref["cfa"]["loadings"])  # lavaan standardizedSolution(), op "=~"
    assert list(got["item"]) == list(lav["item"])
    assert list(got["scale"]) == list(lav["scale"])
    np.testing.assert_allclose(got["loading"], lav["loading"], atol=TOL)
    np.testing.assert_allclose(got["se"], lav["se"], atol=TOL)
    np.testing.assert_allclose(got["p"], lav["pvalue"], atol=TOL)


@pytest.mark.reference
@pytest.mark.parametrize("name", DATASETS)
def test_cfa_factor_correlations_match_lavaan(name):
    _, _, ref = load(name)
    got = cfa_of(name).factor_correlation_table
    lav = pd.DataFrame(ref["cfa"]["factor_correlations"])  # standardizedSolution(), op "~~"
    assert list(zip(got["scale_a"], got["scale_b"], strict=True)) == list(
        zip(lav["scale_a"], lav["scale_b"], strict=True)
    )
    np.testing.assert_allclose(got["correlation"], lav["correlation"], atol=TOL)
    np.testing.assert_allclose(got["se"], lav["se"], atol=TOL)


@pytest.mark.reference
def test_cfa_unstandardized_estimates_match_lavaan():
    _, _, ref = load("two_factor")
    got = cfa_of("two_factor").unstandardized
    lav = pd.DataFrame(ref["cfa"]["unstandardized"])  # parameterEstimates(fit)
    lam = lav[lav["op"] == "=~"]
    res = lav[(lav["op"] == "~~") & (lav["lhs"] == lav["rhs"]) & lav["lhs"].str.contains("_")]
    np.testing.assert_allclose(
        got.loc[got["parameter"] == "loading", "estimate"], lam["est"], atol=TOL
    )
    np.testing.assert_allclose(got.loc[got["parameter"] == "loading", "se"], lam["se"], atol=TOL)
    np.testing.assert_allclose(
        got.loc[got["parameter"] == "residual_variance", "estimate"], res["est"], atol=TOL
    )


@pytest.mark.reference
def test_cfi_bounded_and_tli_not_truncated_like_lavaan():
    # two_factor.csv fits better than its df: lavaan reports cfi = 1, rmsea = 0 and
    # tli = 1.00428 (> 1, lavaan does not truncate TLI)
    _, _, ref = load("two_factor")
    res = cfa_of("two_factor")
    assert ref["cfa"]["fit"]["cfi"] == 1 and res.cfi == 1.0
    assert ref["cfa"]["fit"]["rmsea"] == 0 and res.rmsea == 0.0
    assert ref["cfa"]["fit"]["tli"] > 1
    assert res.tli == pytest.approx(ref["cfa"]["fit"]["tli"], abs=TOL)
    assert res.chisq < res.df


@pytest.mark.reference
@pytest.mark.parametrize("name", DATASETS)
def test_cr_and_ave_from_lavaan_loadings(name):
    items, scales, ref = load(name)
    table = reliability_table(items, scales, cfa_of(name)).set_index("scale")
    lav = pd.DataFrame(ref["cfa"]["loadings"])
    for scale in scales:
        lam = lav.loc[lav["scale"] == scale, "loading"].to_numpy()
        # CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)), AVE = mean(l^2), from lavaan's loadings
        cr = lam.sum() ** 2 / (lam.sum() ** 2 + np.sum(1 - lam**2))
        assert table.loc[scale, "composite_reliability"] == pytest.approx(cr, abs=TOL)
        assert table.loc[scale, "ave"] == pytest.approx(np.mean(lam**2), abs=TOL)


@pytest.mark.reference
def test_pure_noise_scale_has_low_alpha_and_ave():
    # with_noise.csv: noise_1..noise_4 are independent uniform integers 1..7 (simulate.py)
    items, scales, ref = load("with_noise")
    table = reliability_table(items, scales, cfa_of("with_noise")).set_index("scale")
    assert table.loc["noise", "alpha"] < 0.3
    assert table.loc["noise", "ave"] < 0.2
    # psych's raw_alpha for the noise scale is 0.0188 (with_noise_reference.json)
    noise = next(r for r in ref["alpha"] if r["scale"] == "noise")
    assert table.loc["noise", "alpha"] == pytest.approx(noise["raw_alpha"], abs=1e-10)
    # the real scales keep high values
    assert (table.loc[["prequal", "tracking"], "alpha"] > 0.8).all()
    assert (table.loc[["prequal", "tracking"], "ave"] > 0.5).all()


def _with_noise_scale(seed: int, n_noise: int = 4) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    items, scales = simulate_items((4, 4), n=400, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for j in range(n_noise):
        items[f"noise_{j}"] = rng.integers(1, 8, size=len(items))  # uniform integers 1..7
    scales["noise"] = [f"noise_{j}" for j in range(n_noise)]
    return items, scales


def test_fresh_noise_scale_low_alpha_and_ave():
    # independent uniform integers 1..7 drawn here, next to two real scales
    items, scales = _with_noise_scale(seed=14)
    table = reliability_table(items, scales).set_index("scale")
    assert table.loc["noise", "alpha"] < 0.3
    assert table.loc["noise", "ave"] < 0.2


def test_noise_factor_can_fail_to_converge_and_warns():
    # A factor without common variance is empirically unidentified: for this draw the
    # likelihood pushes one noise loading towards infinity (a Heywood case), and the
    # fit warns instead of returning silently. Alpha still shows the problem.
    items, scales = _with_noise_scale(seed=13)
    with (
        pytest.warns(ConvergenceWarning, match="did not converge"),
        pytest.warns(UserWarning, match="improper CFA solution"),
    ):
        res = fit_cfa(items, scales)
    assert not res.converged and res.improper
    assert scale_alphas(items, scales).set_index("scale").loc["noise", "alpha"] < 0.3


# ---------------------------------------------------------------------------
# validity and CMV against values computed in R
# ---------------------------------------------------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("name", DATASETS)
def test_htmt_matches_r(name):
    items, scales, ref = load(name)
    got = htmt(items, scales)
    exp = pd.DataFrame(ref["htmt"])  # HTMT from its definition on cor(na.omit(data)) in R
    assert list(got["scale_a"]) == list(exp["scale_a"])
    np.testing.assert_allclose(got["htmt"], exp["htmt"], atol=1e-10)


def test_fornell_larcker_uses_sqrt_ave_and_largest_correlation():
    _, _, ref = load("three_factor")
    fl = fornell_larcker(cfa_of("three_factor")).set_index("scale")
    lav = pd.DataFrame(ref["cfa"]["loadings"])
    # prequal's largest factor correlation is with feedback: 0.4101 in lavaan
    assert fl.loc["prequal", "most_correlated_with"] == "feedback"
    assert fl.loc["prequal", "max_correlation"] == pytest.approx(0.41012681205124, abs=TOL)
    lam = lav.loc[lav["scale"] == "prequal", "loading"].to_numpy()
    assert fl.loc["prequal", "sqrt_ave"] == pytest.approx(np.sqrt(np.mean(lam**2)), abs=TOL)
    assert fl["passes"].all()


def test_discriminant_table_flags_indistinct_scales():
    # two "scales" that measure one factor: phi = 0.98 in the generating model
    items, scales = simulate_items((4, 4), n=400, seed=3, phi=0.98)
    table = discriminant_validity(items, scales)
    assert list(table.columns) == [
        "scale_a",
        "scale_b",
        "factor_correlation",
        "sqrt_ave_a",
        "sqrt_ave_b",
        "fornell_larcker_pass",
        "htmt",
        "htmt_pass",
    ]
    assert not table.loc[0, "fornell_larcker_pass"]
    assert not table.loc[0, "htmt_pass"]
    assert table.loc[0, "htmt"] > 0.9


@pytest.mark.reference
@pytest.mark.parametrize("name", DATASETS)
def test_one_factor_comparison_matches_lavaan(name):
    items, scales, ref = load(name)
    cmp_ = one_factor_comparison(items, scales, cfa_of(name))
    one = ref["one_factor"]  # best-start one-factor lavaan fit and anova(one, fit)
    assert cmp_.one_factor.chisq == pytest.approx(one["fit"]["chisq"], abs=TOL)
    assert cmp_.one_factor.df == one["fit"]["df"]
    assert cmp_.chisq_diff == pytest.approx(one["chisq_diff"], abs=TOL)
    assert cmp_.df_diff == one["df_diff"]
    assert cmp_.pvalue == pytest.approx(one["pvalue"], abs=TOL)
    # the result is the global minimum over the starts tried in R
    assert cmp_.one_factor.chisq <= min(one["chisq_by_start"].values()) + TOL


@pytest.mark.reference
@pytest.mark.parametrize("name", DATASETS)
def test_harman_matches_r_eigenvalues(name):
    items, scales, ref = load(name)
    h = harman_single_factor(items, scales)
    # eigen(cor(na.omit(data)))$values[1] and its share of the p items, in R
    assert h.first_eigenvalue == pytest.approx(ref["harman"]["first_eigenvalue"], abs=1e-10)
    assert h.share == pytest.approx(ref["harman"]["share"], abs=1e-10)
    assert h.n_factors_kaiser == ref["harman"]["n_eigen_gt1"]


def test_cmv_table_layout():
    items, scales, _ = load("three_factor")
    table = cmv_table(items, scales, cfa_of("three_factor"))
    assert list(table.columns) == ["check", "quantity", "value"]
    assert set(table["check"]) == {"harman", "one_factor_cfa"}
    assert table.set_index("quantity").loc["df_diff", "value"] == 3  # 3 scales: 3*2/2


# ---------------------------------------------------------------------------
# any number of scales and items
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_items", [(3,), (2, 2), (2, 3), (3, 5, 2), (2, 2, 2, 2), (6, 4, 3, 2, 5)]
)
def test_pipeline_any_number_of_scales_and_items(n_items):
    items, scales = simulate_items(n_items, n=300, seed=sum(n_items))
    rep = run_measurement(items, scales)
    m, p = len(n_items), sum(n_items)
    assert list(rep.measurement.columns) == [
        "scale",
        "n_items",
        "alpha",
        "alpha_ci_low",
        "alpha_ci_high",
        "composite_reliability",
        "ave",
    ]
    assert list(rep.measurement["n_items"]) == list(n_items)
    assert list(rep.cfa_fit.columns) == ["index", "value"]
    assert list(rep.cfa_fit["index"]) == ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"]
    df = p * (p + 1) // 2 - (2 * p + m * (m - 1) // 2)
    assert rep.cfa_fit.set_index("index").loc["df", "value"] == df
    assert len(rep.loadings) == p
    assert len(rep.discriminant) == m * (m - 1) // 2
    assert len(rep.fornell_larcker) == m
    assert rep.cfa.converged
    assert (rep.loadings["loading"] > 0.4).all()
    assert rep.correlations.shape == (m, m + 1)
    if df == 0:  # a single three-item scale is just identified
        fit = rep.cfa_fit.set_index("index")["value"]
        assert fit["chisq"] == pytest.approx(0, abs=1e-8)
        assert np.isnan(fit["pvalue"])


def test_single_two_item_scale_is_not_identified():
    items, scales = simulate_items((2,))
    with pytest.raises(EstimationError, match="not identified"):
        fit_cfa(items, scales)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


def test_error_scale_with_fewer_than_two_items():
    items, _ = simulate_items((3, 3))
    with pytest.raises(
        EstimationError, match="scale 'solo' has 1 item; every scale needs at least 2"
    ):
        run_measurement(items, {"solo": ["s0_0"], "scale1": ["s1_0", "s1_1", "s1_2"]})


def test_error_item_column_missing():
    items, scales = simulate_items((3, 3))
    scales["scale1"] = [*scales["scale1"], "tracking_9"]
    with pytest.raises(EstimationError, match="missing from the items table: 'tracking_9'"):
        run_measurement(items, scales)


def test_error_too_few_complete_rows():
    items, scales = simulate_items((3, 3), n=40)
    items.loc[5:, "s0_0"] = np.nan  # only rows 0..4 stay complete
    with pytest.raises(EstimationError, match=r"too few complete rows: 5 of 40"):
        run_measurement(items, scales)


def test_error_zero_variance_item():
    items, scales = simulate_items((3, 3))
    items["s1_2"] = 4.0
    with pytest.raises(EstimationError, match="zero-variance item.*'s1_2'"):
        run_measurement(items, scales)


def test_error_item_in_two_scales():
    items, scales = simulate_items((3, 3))
    scales["scale1"] = [*scales["scale1"], "s0_0"]
    with pytest.raises(EstimationError, match="'s0_0' is listed in scales 'scale0' and 'scale1'"):
        fit_cfa(items, scales)


def test_error_non_numeric_item():
    items, scales = simulate_items((3, 3))
    items["s0_1"] = items["s0_1"].astype(str)
    with pytest.raises(EstimationError, match="must be numeric.*'s0_1'"):
        scale_alphas(items, scales)


# ---------------------------------------------------------------------------
# missing data, immutability, descriptives
# ---------------------------------------------------------------------------


def test_listwise_deletion_across_all_items():
    items, scales, ref = load("two_factor")
    # two_factor.csv has 461 rows, 409 of them complete on all 8 items (R na.omit)
    assert ref["n_rows"] == len(items) == 461
    res = cfa_of("two_factor")
    assert (res.n_rows, res.n_obs) == (461, 409)
    assert set(scale_alphas(items, scales)["n_obs"]) == {409}
    assert harman_single_factor(items, scales).n_obs == 409


def test_nullable_integer_items_are_accepted():
    items, scales, _ = load("two_factor")
    res = fit_cfa(items.astype("Int64"), scales)
    assert res.chisq == pytest.approx(cfa_of("two_factor").chisq, abs=1e-8)


def test_cfa_result_is_immutable():
    res = cfa_of("three_factor")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.chisq = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        res.estimates[0] = 0.0
    table = res.loadings
    table.loc[0, "loading"] = 99.0
    assert res.loadings.loc[0, "loading"] < 1


def test_descriptives_overall_and_by_group():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, np.nan], "y": [2.0, 2.0, 4.0, 6.0, 8.0]})
    by = pd.Series(["b", "a", "b", "a", "a"])
    out = descriptives(df, by)
    assert list(out.columns) == ["group", "variable", "n", "mean", "sd", "min", "max"]
    assert list(out["group"]) == ["all", "all", "a", "a", "b", "b"]
    row = out[(out["group"] == "a") & (out["variable"] == "y")].iloc[0]
    # by hand: group a has y = 2, 6, 8 -> mean 16/3, sd sqrt(((2-16/3)^2 + (6-16/3)^2 + (8-16/3)^2)/2)
    assert row["n"] == 3
    assert row["mean"] == pytest.approx(16 / 3)
    assert row["sd"] == pytest.approx(np.std([2, 6, 8], ddof=1))
    assert (row["min"], row["max"]) == (2.0, 8.0)
    x_all = out[(out["group"] == "all") & (out["variable"] == "x")].iloc[0]
    assert x_all["n"] == 4 and x_all["mean"] == pytest.approx(2.5)


def test_correlation_table_puts_alpha_on_diagonal():
    items, scales, ref = load("three_factor")
    scores = scale_scores(items, scales)
    scores["tenure"] = np.arange(len(scores), dtype=float)
    alphas = {r["scale"]: r["raw_alpha"] for r in ref["alpha"]}  # psych raw_alpha
    table = correlation_table(scores, alphas)
    assert table.loc["prequal", "prequal"] == pytest.approx(alphas["prequal"])
    assert np.isnan(table.loc["tenure", "tenure"])
    assert table.loc["prequal", "tracking"] == pytest.approx(
        np.corrcoef(scores["prequal"], scores["tracking"])[0, 1]
    )
    assert table.loc["prequal", "tracking"] == table.loc["tracking", "prequal"]


def test_run_measurement_with_variables_and_groups():
    items, scales, _ = load("three_factor")
    variables = scale_scores(items, scales)
    groups = pd.Series(
        np.where(np.arange(len(items)) % 2 == 0, "firm1", "firm2"), index=items.index
    )
    rep = run_measurement(items, scales, variables=variables, groups=groups)
    assert set(rep.descriptives["group"]) == {"all", "firm1", "firm2"}
    assert list(rep.correlations["variable"]) == ["prequal", "tracking", "feedback"]
    diag = rep.correlations.set_index("variable").loc["feedback", "feedback"]
    assert diag == pytest.approx(rep.measurement.set_index("scale").loc["feedback", "alpha"])


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def test_report_write_produces_every_file(tmp_path):
    items, scales, _ = load("three_factor")
    rep = run_measurement(items, scales)
    paths = write_outputs(tmp_path / "out", (stage_measurement, rep))
    expected = {f"{name}.{ext}" for name in TABLE_NAMES for ext in ("csv", "md", "tex")}
    assert set(paths) == expected
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert written - {".outputs.files"} == expected  # and the set's record of its files
    for name in (
        "measurement",
        "cfa_fit",
        "loadings",
        "discriminant",
        "cmv",
        "descriptives",
        "correlations",
    ):
        assert name in TABLE_NAMES
    back = pd.read_csv(tmp_path / "out" / "measurement.csv")
    assert list(back.columns) == [
        "scale",
        "n_items",
        "alpha",
        "alpha_ci_low",
        "alpha_ci_high",
        "composite_reliability",
        "ave",
    ]
    np.testing.assert_allclose(back["alpha"], rep.measurement["alpha"], rtol=1e-9)


def test_report_write_writes_nothing_on_error(tmp_path, monkeypatch):
    items, scales, _ = load("three_factor")
    rep = run_measurement(items, scales)
    calls = {"n": 0}
    real = reporting_io.table_to_latex

    def failing(df, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # fail while staging the fourth table
            raise RuntimeError("rendering failed")
        return real(df, *args, **kwargs)

    monkeypatch.setattr(reporting_io, "table_to_latex", failing)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="rendering failed"):
        write_outputs(out, (stage_measurement, rep))
    assert calls["n"] == 4
    assert not out.exists() or not any(out.iterdir())
