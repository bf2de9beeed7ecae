"""The design diagnosis: its arithmetic, determinism across workers, resumption and CLI errors."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from leadblackhole.cli import main
from leadblackhole.config import DEFAULT_SEED
from leadblackhole.diagnosis import (
    ESTIMATE_COLUMNS,
    ESTIMATORS,
    SCENARIOS,
    WORKER_CONFIG,
    WORKER_MALLOC_ENV,
    DiagnosisError,
    EffectsEstimator,
    diagnosands,
    local_cluster,
    minimum_detectable_scale,
    register_estimator,
    replication_seed,
    run_chunk,
    run_diagnosis,
    scenario_design,
    simulate_frame,
)
from leadblackhole.registry import HYPOTHESES
from leadblackhole.simulation import StudyDesign

#: A small diagnosis: one cell, two estimators, chunks of 2 replications.
SMALL = {
    "sims": 4,
    "seed": 5,
    "n_reps": (150,),
    "estimators": ("dirichlet", "ols"),
    "chunk_size": 2,
    "progress": False,
}


def _bytes(folder, name):
    return (folder / name).read_bytes()


# ---------------------------------------------------------------------------
# the default design is plausible (issue: OLS R^2 0.15-0.35)
# ---------------------------------------------------------------------------


def test_default_design_ols_r_squared_is_plausible():
    from leadblackhole.models import fit_share_model

    # the survey the pipeline simulates (make data: --seed DEFAULT_SEED) and 20 others
    frame, _ = simulate_frame(StudyDesign(), seed=DEFAULT_SEED)
    r2 = fit_share_model(frame, "ols").fit_stats()["r_squared"]
    assert 0.15 <= r2 <= 0.35, r2
    others = [
        fit_share_model(simulate_frame(StudyDesign(), seed=s)[0], "ols").fit_stats()["r_squared"]
        for s in range(20)
    ]
    assert 0.15 <= np.mean(others) <= 0.35, np.mean(others)


def test_default_moderations_are_smaller_than_main_effects():
    truth = simulate_frame(StudyDesign(), seed=0)[1].effects
    per_sd = truth["per_sd_pp"].abs()
    main = [h.id for h in HYPOTHESES if h.moderator is None]
    moderations = [h.id for h in HYPOTHESES if h.moderator is not None]
    assert per_sd[moderations].max() < per_sd[main].min()


@pytest.mark.slow
def test_power_at_461_differs_across_hypotheses(tmp_path):
    res = run_diagnosis(
        tmp_path, sims=40, seed=11, estimators=("dirichlet",), workers=0, progress=False
    )
    power = res.diagnosands.set_index("id")["power"]
    directional = [h.id for h in HYPOTHESES if h.expected_sign]
    # 40 studies: a hypothesis with true power 0.99 is supported in all 40 with
    # probability 0.67, so 'below 1' for three of them is not Monte Carlo luck
    assert (power[directional] < 1).sum() >= 3
    assert power[directional].max() - power[directional].min() > 0.5


# ---------------------------------------------------------------------------
# arithmetic of the diagnosands, on hand-made replications
# ---------------------------------------------------------------------------


def _fake(estimates, ses, truth=1.0, p=None, supported=None, hid="H1"):
    n = len(estimates)
    est = np.asarray(estimates, float)
    se = np.asarray(ses, float)
    return pd.DataFrame(
        {
            "scenario": "default",
            "n_reps": 461,
            "effect_scale": 1.0,
            "rep": np.arange(n),
            "estimator": "x",
            "id": hid,
            "estimate": est,
            "std_error": se,
            "p_value": p if p is not None else np.full(n, 0.01),
            "conf_low": est - 1.96 * se,
            "conf_high": est + 1.96 * se,
            "supported": pd.array(
                supported if supported is not None else [True] * n, dtype="boolean"
            ),
            "truth": truth,
            "truth_per_sd_pp": 100 * truth,
            "converged": True,
            "note": "",
        }
    )


def test_diagnosands_by_hand():
    est = [0.5, 1.5, 2.0, -1.0]
    reps = _fake(
        est,
        [0.5, 0.5, 0.2, 1.0],
        p=np.array([0.01, 0.01, 0.01, 0.3]),
        supported=[True, True, True, False],
    )
    row = diagnosands(reps).iloc[0]
    # by hand: mean 0.75, bias -0.25, SD of (0.5, 1.5, 2, -1) = 1.3229
    sd = np.std(est, ddof=1)
    assert row["mean_estimate"] == pytest.approx(0.75)
    assert row["bias"] == pytest.approx(-0.25)
    assert row["bias_mcse"] == pytest.approx(sd / 2)
    assert row["relative_bias"] == pytest.approx(-0.25)
    # RMSE: sqrt(mean(0.25, 0.25, 1, 4)) = sqrt(1.375)
    assert row["rmse"] == pytest.approx(np.sqrt(1.375))
    # intervals: [-0.48, 1.48], [0.52, 2.48], [1.608, 2.392], [-2.96, 0.96] -> 2 of 4 cover 1
    assert row["coverage"] == pytest.approx(0.5)
    assert row["coverage_mcse"] == pytest.approx(np.sqrt(0.25 / 4))
    assert row["power"] == pytest.approx(0.75)
    assert row["type_s"] == pytest.approx(0.0)  # the negative estimate is not significant
    assert row["se_ratio"] == pytest.approx(np.mean([0.5, 0.5, 0.2, 1.0]) / sd)
    assert (row["n_sims"], row["n_failed"]) == (4, 0)


def test_type_s_failures_and_exploratory_power():
    reps = _fake([-0.5, 0.5, 0.6, 0.7], [0.1] * 4, truth=0.5)
    row = diagnosands(reps).iloc[0]
    assert row["type_s"] == pytest.approx(0.25)  # one of four significant has the wrong sign
    failed = _fake([0.5, np.nan], [0.1, np.nan])
    failed.loc[1, "converged"] = False
    row = diagnosands(failed).iloc[0]
    assert (row["n_sims"], row["n_failed"]) == (1, 1)
    # E1 is exploratory: its power is the share with p < 0.05, not 'supported'
    e1 = _fake(
        [0.1] * 4,
        [0.1] * 4,
        p=np.array([0.01, 0.2, 0.03, 0.5]),
        supported=[None] * 4,
        hid="E1",
    )
    assert diagnosands(e1).iloc[0]["power"] == pytest.approx(0.5)


def test_minimum_detectable_scale_interpolates():
    rows = []
    for n, powers in ((150, (0.4, 0.7, 0.9)), (461, (0.85, 0.95, 1.0)), (50, (0.1, 0.2, 0.3))):
        for s, p in zip((0.5, 1.0, 2.0), powers, strict=True):
            rows.append(
                {
                    "scenario": "default",
                    "estimator": "x",
                    "id": "H1",
                    "n_reps": n,
                    "effect_scale": s,
                    "expected_sign": 1,
                    "power": p,
                    "truth_per_sd_pp": 2.0 * s,
                }
            )
    mde = minimum_detectable_scale(pd.DataFrame(rows)).set_index("n_reps")
    # 150: between 1 (0.7) and 2 (0.9): 1 + (0.8 - 0.7) / 0.2 = 1.5; effect 2 x 1.5 = 3 pp
    assert mde.loc[150, "mde_scale"] == pytest.approx(1.5)
    assert mde.loc[150, "mde_per_sd_pp"] == pytest.approx(3.0)
    assert mde.loc[461, "note"] == "at or below the smallest scale"
    assert np.isnan(mde.loc[50, "mde_scale"]) and mde.loc[50, "note"] == "not reached"


# ---------------------------------------------------------------------------
# seeds, scenarios and the estimator registry
# ---------------------------------------------------------------------------


def test_replication_seed_is_the_spawned_child():
    children = np.random.SeedSequence(42).spawn(5)
    for i, child in enumerate(children):
        a = np.random.default_rng(replication_seed(42, i)).random(3)
        np.testing.assert_array_equal(a, np.random.default_rng(child).random(3))


def test_every_scenario_builds_a_valid_design():
    for name in SCENARIOS:
        d = scenario_design(name, 300, 0.5)
        assert d.n_reps == 300 and d.effect_scale == 0.5
    assert scenario_design("selection", 400, 1.0).n_zero_marketing == 100
    with pytest.raises(DiagnosisError, match="unknown scenario 'nope'"):
        scenario_design("nope", 300, 1.0)


def _constant_estimator(frame):
    """A toy estimator: every effect estimated as 0 with SE 1."""
    ids = [h.id for h in HYPOTHESES]
    return pd.DataFrame(
        {
            "id": ids,
            "estimate": 0.0,
            "std_error": 1.0,
            "p_value": 1.0,
            "conf_low": -1.96,
            "conf_high": 1.96,
            "supported": pd.array([False] * len(ids), dtype="boolean"),
        }
    )


def _failing_estimator(frame):
    from leadblackhole.exceptions import EstimationError

    raise EstimationError("cannot fit this one")


def _bad_estimator(frame):
    return pd.DataFrame({"id": ["H1"], "estimate": [0.0]})


def test_register_an_estimator_in_one_line(tmp_path):
    register_estimator("constant_test", _constant_estimator, replace=True)
    try:
        res = run_diagnosis(
            tmp_path,
            sims=2,
            seed=1,
            n_reps=(100,),
            estimators=("constant_test",),
            workers=0,
            progress=False,
        )
        assert set(res.replications["estimator"]) == {"constant_test"}
        assert (res.diagnosands["mean_estimate"] == 0).all()
        assert (res.diagnosands["coverage"] == 1).all()  # every truth lies in (-1.96, 1.96)
    finally:
        del ESTIMATORS["constant_test"]


def test_registry_errors_and_failed_fits():
    with pytest.raises(DiagnosisError, match="already registered"):
        register_estimator("ols", EffectsEstimator("ols"))
    with pytest.raises(DiagnosisError, match="letters, digits"):
        register_estimator("bad name", _constant_estimator)
    rows = run_chunk("default", 100, 1.0, [0], {"fails": _failing_estimator}, seed=1)
    assert len(rows) == len(HYPOTHESES) and not rows["converged"].any()
    assert rows["note"].str.contains("cannot fit this one").all()
    with pytest.raises(DiagnosisError, match="without the column"):
        run_chunk("default", 100, 1.0, [0], {"bad": _bad_estimator}, seed=1)


def test_builtin_estimators_return_the_contract_columns():
    frame, _ = simulate_frame(StudyDesign(n_reps=200), seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("dirichlet", "ols", "fractional_logit", "fmlogit", "dirichlet_rounded"):
            table = ESTIMATORS[name](frame)
            assert tuple(table.columns) == ESTIMATE_COLUMNS
            assert set(table["id"]) <= {h.id for h in HYPOTHESES}


# ---------------------------------------------------------------------------
# determinism, resumption
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_one_and_two_workers_give_identical_bytes(tmp_path):
    a = run_diagnosis(tmp_path / "w1", workers=1, **SMALL)
    b = run_diagnosis(tmp_path / "w2", workers=2, **SMALL)
    assert a.n_computed == b.n_computed == 8
    for name in ("diagnosands.csv", "mde.csv", "replications.parquet"):
        assert _bytes(tmp_path / "w1", name) == _bytes(tmp_path / "w2", name), name
    # and without Dask, in this process
    c = run_diagnosis(tmp_path / "w0", workers=0, **SMALL)
    assert c.n_computed == 8
    assert _bytes(tmp_path / "w0", "diagnosands.csv") == _bytes(tmp_path / "w1", "diagnosands.csv")


@pytest.mark.slow
def test_corrected_estimators_give_identical_bytes_in_process_and_on_two_workers(tmp_path):
    # the population truth computed in the client and handed over, the sandwich standard
    # errors computed in the workers: the same bytes as in this process
    opts = {**SMALL, "scenarios": ("latent_shares",), "estimators": ("dirichlet_eiv",)}
    a = run_diagnosis(tmp_path / "w0", workers=0, **opts)
    b = run_diagnosis(tmp_path / "w2", workers=2, **opts)
    assert a.n_computed == b.n_computed == 4
    assert a.replications["converged"].all()
    for name in ("diagnosands.csv", "mde.csv", "replications.parquet"):
        assert _bytes(tmp_path / "w0", name) == _bytes(tmp_path / "w2", name), name


def _worker_env():
    return {k: os.environ.get(k) for k in (*WORKER_MALLOC_ENV, "OPENBLAS_NUM_THREADS")}


def _worker_config(dask_worker):
    import dask

    return {k: dask.config.get(k) for k in WORKER_CONFIG}, list(dask_worker.periodic_callbacks)


def _scheduler_ticks(dask_scheduler):
    return dask_scheduler.periodic_callbacks["tick"].callback_time


def test_local_cluster_workers_start_with_the_allocator_settings():
    # Dask's own default, MALLOC_TRIM_THRESHOLD_=65536, costs a replication ~6 900 page
    # faults (docs/simulation.md, Speed); the local cluster replaces it, BLAS stays 1-thread
    from dask.distributed import Client

    with local_cluster(1) as cluster, Client(cluster) as client:
        (env,) = client.run(_worker_env).values()
        ((config, callbacks),) = client.run(_worker_config).values()
        tick_ms = client.run_on_scheduler(_scheduler_ticks)
    assert env == {**WORKER_MALLOC_ENV, "OPENBLAS_NUM_THREADS": "1"}
    assert int(env["MALLOC_TRIM_THRESHOLD_"]) > 65536
    # the batch settings reach the workers and the scheduler: no profiler, slow bookkeeping
    assert config == WORKER_CONFIG
    assert "profile" not in callbacks
    assert tick_ms == 1000


def test_interrupted_run_resumes_to_the_same_output(tmp_path):
    opts = {**SMALL, "workers": 0}
    full = run_diagnosis(tmp_path / "full", **opts)
    # an interruption after the first replications: run a subset, then the full command
    part = run_diagnosis(tmp_path / "part", **{**opts, "sims": 2})
    assert part.n_computed == 4
    resumed = run_diagnosis(tmp_path / "part", **opts)
    assert resumed.n_computed == 4  # only the missing replications
    # an interruption in the middle: a finished task's part file is there, another is not
    parts = sorted((tmp_path / "full" / "replications.parts").glob("*.parquet"))
    parts[-1].unlink()
    (tmp_path / "full" / "diagnosands.csv").unlink()
    again = run_diagnosis(tmp_path / "full", **opts)
    assert again.n_computed == 4  # one chunk: 2 replications x 2 estimators
    for name in ("diagnosands.csv", "mde.csv", "replications.parquet"):
        assert _bytes(tmp_path / "full", name) == _bytes(tmp_path / "part", name), name
    assert full.diagnosands.equals(again.diagnosands)
    # a new estimator on the same folder computes that estimator only
    more = run_diagnosis(
        tmp_path / "part", **{**opts, "estimators": ("dirichlet", "ols", "fractional_logit")}
    )
    assert more.n_computed == 4
    with pytest.raises(DiagnosisError, match="holds a diagnosis with seed 5"):
        run_diagnosis(tmp_path / "part", **{**opts, "seed": 6})


def test_figures_have_reproducible_bytes(tmp_path):
    from leadblackhole.reporting.diagnosis_figures import write_diagnosis_figures

    res = run_diagnosis(tmp_path / "d", **{**SMALL, "workers": 0, "sims": 2})
    a = write_diagnosis_figures(res.diagnosands, tmp_path / "a")
    b = write_diagnosis_figures(res.diagnosands, tmp_path / "b")
    assert sorted(a) == [
        "diagnosis_coverage.pdf",
        "diagnosis_coverage.png",
        "diagnosis_power.pdf",
        "diagnosis_power.png",
    ]
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------


def test_cli_diagnose_runs(tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(
        [
            "diagnose",
            "--sims",
            "2",
            "--seed",
            "3",
            "--n-reps",
            "120",
            "--estimators",
            "ols",
            "--workers",
            "0",
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "diagnosands.csv")
    assert set(table["estimator"]) == {"ols"} and (table["n_sims"] == 2).all()
    for name in ("diagnosands.csv", "mde.csv"):  # simulated data, from the run's master seed
        source = pd.read_csv(out / name).iloc[:, -1]
        assert source.name == "data_source" and set(source) == {"simulated (seed 3)"}, name
    assert (out / "figures" / "diagnosis_power.png").is_file()
    assert "fits computed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--sims", "0"], "--sims must be at least 1"),
        (["--sims", "2", "--scenario", "nope"], "unknown scenario 'nope'"),
        (["--sims", "2", "--estimators", "dirichlet,nope"], r"unknown estimator\(s\) \['nope'\]"),
        (["--sims", "2", "--n-reps", "10"], "must be at least 30"),
        (["--sims", "2", "--effect-scale", "-1"], "effect scales must be >= 0"),
        (["--sims", "2", "--n-reps", "abc"], "expected comma-separated numbers"),
        (
            ["--sims", "2", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"],
            "cannot reach the Dask scheduler at tcp://127.0.0.1:9",
        ),
    ],
)
def test_cli_bad_options_exit_2(tmp_path, capsys, extra, match):
    code = main(["diagnose", "--seed", "1", "--no-progress", "--out", str(tmp_path), *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    import re

    assert re.search(match, err), err


def test_diagnosis_error_is_raised_for_bad_options(tmp_path):
    with pytest.raises(DiagnosisError, match="chunk size must be at least 1"):
        run_diagnosis(tmp_path, sims=2, seed=1, chunk_size=0, workers=0)
    with pytest.raises(DiagnosisError, match="--workers must be >= 0"):
        run_diagnosis(tmp_path, sims=2, seed=1, workers=-1)
