"""The remedies in the design diagnosis: scenarios, frames, estimators, the truth handed over,
and the generated evidence tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from leadblackhole.diagnosis import (
    ESTIMATE_COLUMNS,
    ESTIMATORS,
    CorrectedEstimator,
    StudyFrame,
    replication_seed,
    run_chunk,
    scenario_design,
    simulate_frame,
)
from leadblackhole.exceptions import DesignError, EstimationError, OutputError
from leadblackhole.registry import HYPOTHESES
from leadblackhole.reporting.evidence_tables import (
    diagnosand_table,
    generated_names,
    replace_generated,
)
from leadblackhole.simulation import StudyDesign, draw_study, population_truth

SEED = replication_seed(2013, 4)


def test_a_truth_handed_over_gives_the_same_study_and_is_checked():
    design = scenario_design("endogenous_volume", 150, 1.0)
    truth = population_truth(design)
    a = draw_study(design, SEED)
    b = draw_study(design, SEED, truth=truth)
    assert b.truth is truth
    pd.testing.assert_frame_equal(a.variables, b.variables)
    np.testing.assert_array_equal(a.percents, b.percents)
    with pytest.raises(DesignError, match="not the truth of this design"):
        draw_study(StudyDesign(n_reps=150), SEED, truth=truth)


def test_run_chunk_with_the_truth_given_equals_run_chunk_computing_it():
    est = {"ols": ESTIMATORS["ols"]}
    design = scenario_design("default", 100, 1.0)
    a = run_chunk("default", 100, 1.0, [0, 1], est, seed=3)
    b = run_chunk("default", 100, 1.0, [0, 1], est, seed=3, truth=population_truth(design))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("remedy", "base"),
    [("method_factor_marker", "method_factor"), ("default_marker", "default")],
)
def test_marker_scenarios_keep_every_other_draw_of_their_base(remedy, base):
    fa, _ = simulate_frame(scenario_design(remedy, 150, 1.0), SEED)
    fb, _ = simulate_frame(scenario_design(base, 150, 1.0), SEED)
    pd.testing.assert_frame_equal(fa.data, fb.data)
    assert [c for c in fa.items.columns if c.startswith("mk_")] == ["mk_1", "mk_2", "mk_3"]
    pd.testing.assert_frame_equal(fa.items.drop(columns=["mk_1", "mk_2", "mk_3"]), fb.items)


def test_existing_scenarios_draw_nothing_extra():
    frame, _ = simulate_frame(scenario_design("default", 150, 1.0), SEED)
    assert "campaign_budget" not in frame.data and "lead_access" not in frame.data
    assert not any(c.startswith("mk_") for c in frame.items.columns)


def test_study_frame_carries_items_and_extra_columns_of_the_analysis_sample():
    design = scenario_design("selection_x", 200, 1.0)
    frame, _ = simulate_frame(design, SEED)
    study = draw_study(design, SEED)
    keep = study.percents[:, 0] > 0
    assert isinstance(frame, StudyFrame) and frame.n == keep.sum() == 200
    assert len(frame.selection) == len(keep) == 250
    # the items are the analysis sample's rows: their means are the frame's raw scale scores
    pq = frame.items[[f"pq_{j}" for j in range(1, 5)]].mean(axis=1).to_numpy()
    np.testing.assert_allclose(pq, frame.raw["prequal"].to_numpy())
    np.testing.assert_array_equal(frame.raw["lead_access"], study.extras["lead_access"][keep])
    np.testing.assert_array_equal(frame.selection["lead_access"], study.extras["lead_access"])
    iv, _ = simulate_frame(scenario_design("endogenous_volume_iv", 150, 1.0), SEED)
    assert "campaign_budget" in iv.data and "campaign_budget" in iv.selection


@pytest.mark.parametrize(
    ("scenario", "name"),
    [
        ("endogenous_volume_iv", "dirichlet_cf"),
        ("endogenous_volume_iv", "dirichlet_rounded_cf"),
        ("selection_x", "dirichlet_heckman"),
        ("selection_x", "dirichlet_rounded_heckman"),
    ],
)
def test_two_step_estimators_return_the_contract_columns(scenario, name):
    frame, _ = simulate_frame(scenario_design(scenario, 300, 1.0), SEED)
    table = ESTIMATORS[name](frame)
    assert tuple(table.columns) == ESTIMATE_COLUMNS
    assert list(table["id"]) == [h.id for h in HYPOTHESES]
    assert np.isfinite(table["std_error"]).all() and (table["std_error"] > 0).all()


def test_a_two_step_estimator_without_its_column_is_recorded_as_not_converged():
    rows = run_chunk("default", 100, 1.0, [0], {"cf": ESTIMATORS["dirichlet_cf"]}, seed=1)
    assert not rows["converged"].any()
    assert rows["note"].str.contains("campaign_budget").all()


def test_corrected_estimators_fit_and_fail_as_recorded():
    for name in ("dirichlet_eiv", "dirichlet_rounded_eiv", "dirichlet_marker"):
        assert name in ESTIMATORS
    from leadblackhole.corrections import fit_eiv

    frame, _ = simulate_frame(scenario_design("method_factor_marker", 200, 1.0), SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eiv = CorrectedEstimator("eiv")(frame)
        marker = CorrectedEstimator("marker")(frame)
        boot = CorrectedEstimator("eiv", n_boot=20, std_errors="bootstrap")(frame)
        again = CorrectedEstimator("eiv", n_boot=20, std_errors="bootstrap")(frame)
    assert tuple(eiv.columns) == tuple(marker.columns) == ESTIMATE_COLUMNS
    # by default the sandwich standard errors fit reports
    ref = fit_eiv(frame, frame.items).effects
    np.testing.assert_array_equal(eiv["std_error"], ref["std_error"])
    # the bootstrap's seed depends on the study only: the same study, the same result
    pd.testing.assert_frame_equal(boot, again)
    np.testing.assert_array_equal(boot["estimate"], eiv["estimate"])
    assert not np.allclose(boot["std_error"], eiv["std_error"])
    plain, _ = simulate_frame(scenario_design("default", 200, 1.0), SEED)
    with pytest.raises(EstimationError, match="marker items"):
        CorrectedEstimator("marker")(plain)
    bare = frame.__class__(**{**frame.__dict__, "items": None})
    with pytest.raises(EstimationError, match="needs the item answers"):
        CorrectedEstimator("eiv")(bare)


def _diagnosands():
    rows = []
    for est, cov, bias in (("dirichlet", 0.946, -0.004), ("ols", 0.9, 0.123)):
        for h in ("H1", "H3"):
            rows.append({"scenario": "default", "n_reps": 461, "effect_scale": 1.0,
                         "estimator": est, "id": h, "coverage": cov, "relative_bias": bias,
                         "n_sims": 200})  # fmt: skip
    rows.append({"scenario": "default", "n_reps": 150, "effect_scale": 1.0, "estimator": "ols",
                 "id": "H1", "coverage": 0.5, "relative_bias": 0.0, "n_sims": 200})  # fmt: skip
    return pd.DataFrame(rows)


def test_diagnosand_table_rows_formats_and_missing_values():
    lines = diagnosand_table(_diagnosands(), "relative_bias").splitlines()
    assert lines[0].startswith("| scenario | estimator | H1 | H2 |")
    assert len(lines) == 4  # header, rule, one row per estimator of the N = 461 cell
    assert lines[2] == "| default | dirichlet | -0% | – | -0% |" + " – |" * 9
    assert lines[3].split(" | ")[2] == "+12%"
    cov = diagnosand_table(_diagnosands(), "coverage", estimators=["ols"]).splitlines()
    assert cov[2].startswith("| default | ols | 0.90 | – | 0.90 |")
    with pytest.raises(OutputError, match="unknown diagnosand 'bias'"):
        diagnosand_table(_diagnosands(), "bias")


def test_replace_generated_replaces_only_its_block():
    page = "a\n<!-- generated: t -->\nold\n<!-- end generated: t -->\nb\n"
    new = replace_generated(page, "t", "x\ny")
    assert new == "a\n<!-- generated: t -->\nx\ny\n<!-- end generated: t -->\nb\n"
    assert generated_names(new) == ["t"]
    with pytest.raises(OutputError, match="exactly one"):
        replace_generated(page, "u", "x")
    with pytest.raises(OutputError, match="found 2 and 1"):
        replace_generated(page + "<!-- generated: t -->\n", "t", "x")


def test_every_generated_block_of_the_docs_has_a_writer():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("evidence", root / "benchmarks" / "evidence.py")
    evidence = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evidence)
    written = {name for blocks in evidence.PAGES.values() for name, _, _ in blocks}
    for page, blocks in evidence.PAGES.items():
        in_page = set(generated_names((root / "docs" / page).read_text()))
        assert in_page == {name for name, _, _ in blocks}, page
    assert generated_names((root / "docs" / "rounding.md").read_text()) == ["floor_check"]
    assert written


def test_diagnosand_table_studies_column_and_mcse_format():
    t = _diagnosands().assign(relative_bias_mcse=0.0321)
    t.loc[t["estimator"] == "ols", "n_sims"] = 1000
    lines = diagnosand_table(t, "relative_bias_mcse", studies=True).splitlines()
    assert lines[0].startswith("| scenario | estimator | studies | H1 | H2 |")
    assert lines[1] == "|---|---|" + "---:|" * 13
    assert lines[2].startswith("| default | dirichlet | 200 | 3.2% | – | 3.2% |")
    assert lines[3].startswith("| default | ols | 1000 | 3.2% |")


def test_generated_table_names_the_studies_of_each_row_when_they_differ():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("evidence", root / "benchmarks" / "evidence.py")
    evidence = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evidence)
    same = evidence.generated_table(_diagnosands(), "coverage")
    assert same.startswith("N = 461, effect scale 1, 200 studies per cell")
    assert "| studies |" not in same
    none = _diagnosands()
    none.loc[none["estimator"] == "ols", "n_sims"] = 0  # an estimator the scenario lacks
    assert evidence.generated_table(none, "coverage").startswith("N = 461, effect scale 1, 200 ")
    mixed = _diagnosands()
    mixed.loc[mixed["estimator"] == "ols", "n_sims"] = 1000
    text = evidence.generated_table(mixed, "coverage")
    assert text.startswith("N = 461, effect scale 1, studies per cell as shown")
    assert "| default | ols | 1000 | 0.90 |" in text
