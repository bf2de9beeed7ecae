"""Odd designs analysed, no silent nonsense, and errors of files and options that exit 2.

Small firms keep their firm effect but are left out of the firm-specific checks;
``simulate`` refuses more firms than its reps can fill; ``--rounding`` must agree with
the answers; ``--oracle`` needs a simulated survey; a diagnosis folder that lost the
record of its seed is not continued; damaged files, bad options and impossible budgets
exit 2 with a message instead of 1 (or of running for hours).
"""

from __future__ import annotations

import errno
import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadblackhole import cli, outputs, pipeline
from leadblackhole.allocation import check_budget, max_budget
from leadblackhole.data import build_analysis_frame, load_codebook, load_survey
from leadblackhole.data.source import DataSource
from leadblackhole.diagnosis import run_diagnosis
from leadblackhole.effects import firm_slopes_lr_test, firm_tests, per_firm_effects
from leadblackhole.exceptions import (
    AllocationError,
    CodebookError,
    DataWarning,
    DesignError,
    DiagnosisError,
    EffectsError,
    EstimationError,
    NotebookError,
    ReportError,
)
from leadblackhole.models import leave_one_firm_out, parse_rounding
from leadblackhole.models.main_rounded import check_rounding_step
from leadblackhole.pipeline.notebooks import read_notebook
from leadblackhole.pipeline.simulation import check_firm_sizes
from leadblackhole.registry import HYPOTHESES
from leadblackhole.reporting.report_files import read_json, read_table
from leadblackhole.specification import FIRM_CHECK_MIN_REPS, FOCAL, small_firms
from leadblackhole.tables_text import table_to_csv


def _write(path: Path, df: pd.DataFrame) -> Path:
    path.write_text(table_to_csv(df))
    return path


def _frame(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return build_analysis_frame(load_survey(path))


# ----------------------------------------------------------------------------
# small firms: analysed, left out of the firm-specific checks
# ----------------------------------------------------------------------------
def test_the_threshold_is_a_firms_own_columns_of_the_firm_slopes_design():
    # its intercept and one slope per focal predictor
    assert FIRM_CHECK_MIN_REPS == 1 + len(FOCAL) == 6
    firms = ["A"] * 6 + ["B"] * 5 + ["C"] + ["D"] * 9
    assert small_firms(firms) == {"B": 5, "C": 1}
    assert small_firms(firms, minimum=2) == {"C": 1}


@pytest.fixture(scope="module")
def small_firm_fit(tmp_path_factory, default_survey):
    """``fit`` on the default survey with its first three reps moved to a firm E."""
    root = tmp_path_factory.mktemp("small_firm")
    survey = default_survey.copy()
    survey.loc[:2, "firm"] = "E"
    path = _write(root / "reps.csv", survey)
    out = root / "models"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = cli.main(["fit", str(path), "--out", str(out), "--no-progress"])
    return code, path, out, survey


def test_fit_analyses_a_three_rep_firm(small_firm_fit):
    code, _, out, _ = small_firm_fit
    assert code == 0
    est = pd.read_csv(out / "estimates.csv")
    main = est[est["model"] == "dirichlet_rounded"]
    # the firm keeps its dummy in the main model, in both mean equations
    assert set(main.loc[main["term"] == "firm[T.E]", "equation"]) == {"marketing", "self"}
    log = (out / "fit.log").read_text()
    assert "firm 'E' has 3 analysable reps, fewer than the 6 a firm-specific check needs" in log


def test_a_small_firm_is_left_out_of_leave_one_firm_out_but_stays_in_the_other_fits(
    small_firm_fit,
):
    _, _, out, _ = small_firm_fit
    est = pd.read_csv(out / "estimates.csv")
    loo = sorted(m for m in est["model"].unique() if m.startswith("loo_"))
    assert loo == ["loo_A", "loo_B", "loo_C", "loo_D"]
    # without A, B becomes the reference and E keeps its dummy
    terms = set(est.loc[est["model"] == "loo_A", "term"])
    assert "firm[T.E]" in terms and "firm[T.B]" not in terms
    skipped = pd.read_csv(out / "skipped_models.csv").set_index("model")["reason"]
    assert skipped["loo_E"] == (
        "firm 'E' has 3 analysable reps, fewer than the 6 of a firm-specific check"
    )


def test_the_firm_checks_are_those_of_the_survey_without_the_small_firm(small_firm_fit):
    _, path, out, survey = small_firm_fit
    tests = pd.read_csv(out / "firm_tests.csv")
    lr = tests[tests["test"] == "firm_slopes_lr"].iloc[0]
    assert lr["n_firms"] == 4 and lr["df"] == 2 * 5 * (4 - 1)
    # the same test on a survey that never had firm E's reps
    without = _write(path.parent / "without_e.csv", survey[survey["firm"] != "E"])
    expected = firm_slopes_lr_test(_frame(without), step=5.0)
    assert lr["statistic"] == pytest.approx(expected.stat, rel=1e-6)
    assert lr["p_value"] == pytest.approx(expected.pval, rel=1e-6)
    per_firm = pd.read_csv(out / "firm_effects.csv")
    assert sorted(per_firm["firm"].unique()) == ["A", "B", "C", "D"]
    assert len(per_firm) == 4 * len(HYPOTHESES)
    im = tests[tests["test"] == "ibragimov_mueller"]
    assert (im["n_firms"] == 4).all()


def test_a_one_rep_firm_is_left_out_of_every_firm_check(tmp_path, default_survey):
    survey = default_survey.copy()
    survey.loc[0, "firm"] = "Z"
    path = _write(tmp_path / "reps.csv", survey)
    frame = _frame(path)
    assert small_firms(frame.data["firm"]) == {"Z": 1}
    # every firm-specific check runs, without Z: the LR test on A-D, no per-firm row for Z
    table = firm_tests(frame, model="dirichlet")
    assert table.loc[0, "n_firms"] == 4 and table.loc[0, "df"] == 30
    assert np.isfinite(table.loc[0, "statistic"])
    skipped: dict[str, str] = {}
    fits = leave_one_firm_out(frame, skipped=skipped)
    assert sorted(fits) == ["A", "B", "C", "D"] and list(skipped) == ["loo_Z"]


def test_with_fewer_than_two_large_firms_the_checks_are_left_empty(tmp_path, default_survey):
    survey = default_survey.copy()
    survey["firm"] = "A"
    survey.loc[:3, "firm"] = "Z"  # 4 reps
    path = _write(tmp_path / "reps.csv", survey)
    frame = _frame(path)
    with pytest.raises(EffectsError, match="at least 2 firms with 6 or more reps; got 1"):
        firm_slopes_lr_test(frame)
    table = firm_tests(frame, model="dirichlet")
    assert table.loc[0, "n_firms"] == 1 and np.isnan(table.loc[0, "statistic"])
    assert table["n_firms"].iloc[1:].eq(1).all() and table["p_value"].isna().all()
    per_firm = per_firm_effects(frame)
    assert set(per_firm["firm"]) == {"A"}
    # leaving out A leaves Z's 4 reps, fewer than the design's columns: recorded, not raised
    skipped: dict[str, str] = {}
    assert leave_one_firm_out(frame, skipped=skipped) == {}
    assert skipped["loo_A"].startswith("not estimable: the design")
    assert "fewer than the 6" in skipped["loo_Z"]
    with pytest.raises(EstimationError, match="leaving out firm 'A'"):
        leave_one_firm_out(frame)


def test_an_lr_test_that_cannot_be_estimated_leaves_its_row_empty_with_a_warning(
    tmp_path, default_survey, monkeypatch
):
    from leadblackhole.effects import firms

    def singular(*args, **kwargs):
        raise EstimationError("exog is rank deficient")

    path = _write(tmp_path / "reps.csv", default_survey)
    frame = _frame(path)
    per_firm = pd.DataFrame(columns=["id", "firm", "n", "estimate", "std_error", "note"])
    monkeypatch.setattr(firms, "firm_slopes_lr_test", singular)
    with pytest.warns(DataWarning, match="test of firm-specific slopes cannot be estimated"):
        table = firm_tests(frame, per_firm=per_firm)
    assert table.loc[0, "n_firms"] == 4 and np.isnan(table.loc[0, "statistic"])


# ----------------------------------------------------------------------------
# simulate: every firm analysable
# ----------------------------------------------------------------------------
def test_simulate_refuses_more_firms_than_the_reps_can_fill(tmp_path, capsys):
    out = tmp_path / "reps.csv"
    assert cli.main(["simulate", "--firms", "500", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    # by hand, with the cycled weights 35/28/22/15 and largest remainders of 461 reps:
    # 49 firms (sum of weights 1235) give the twelve 15-firms 5.599 -> 5, and the 16
    # reps left over make all twelve 6; 50 firms (1263) leave six of them at 5
    assert "use at most 49 firms" in err and "Traceback" not in err
    assert not out.exists() and not Path(f"{out}.simulated.json").exists()


def test_the_fewest_reps_for_four_firms_by_hand():
    # 36 reps: quotas 12.6/10.08/7.92/5.4 -> 12/10/7/5, the 2 left go to .92 and .6 -> D 5
    # 37 reps: 12.95/10.36/8.14/5.55 -> 12/10/8/5, the 2 left go to .95 and .55 -> D 6
    with pytest.raises(DesignError, match="use at most 3 firms, or --n-reps 37 or more"):
        check_firm_sizes(4, 36)
    check_firm_sizes(4, 37)
    with pytest.raises(DesignError, match=r"use at most 49 firms, or --n-reps \d+ or more"):
        check_firm_sizes(50, 461)
    with pytest.raises(DesignError, match=r"more reps \(over 5999 for 1000 firms"):
        check_firm_sizes(1000, 461)


def test_the_most_firms_give_each_firm_six_analysable_reps():
    study = pipeline.simulate(seed=3, firms=49)
    counts = study.survey.loc[study.survey["pct_marketing"] > 0, "firm"].value_counts()
    assert len(counts) == 49 and counts.min() == 6


# ----------------------------------------------------------------------------
# --rounding must agree with the answers
# ----------------------------------------------------------------------------
def test_a_rounding_step_the_answers_do_not_follow_exits_2_naming_them(
    survey_csv, default_survey, tmp_path, capsys
):
    out = tmp_path / "models"
    assert cli.main(["fit", str(survey_csv), "--rounding", "10", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    off = default_survey[
        (default_survey["pct_marketing"] % 10 != 0) | (default_survey["pct_self"] % 10 != 0)
    ]
    assert len(off) > 0
    assert f"{len(off)} of {len(default_survey)} analysable reps" in err
    for rep in off["rep_id"].head(5):
        assert f"rep '{rep}'" in err
    assert f"and {len(off) - 5} more" in err and "--rounding auto" in err
    assert not (out / "estimates.csv").exists()


def test_rounding_100_on_steps_of_5_exits_2(survey_csv, capsys):
    assert cli.main(["fit", str(survey_csv), "--rounding", "100"]) == 2
    assert "not a multiple of 100 percentage points" in capsys.readouterr().err


def _percents(marketing, self_):
    pm, ps = np.asarray(marketing, float), np.asarray(self_, float)
    other = 100 - pm - ps
    return pd.DataFrame(
        {
            "rep_id": [f"r{i}" for i in range(pm.size)],
            "marketing": pm / 100,
            "self": ps / 100,
            "other": other / 100,
            "pct_marketing": pm,
            "pct_self": ps,
            "pct_other": other,
        }
    )


def test_the_rounding_check_allows_float_error_and_a_finer_step():
    check_rounding_step(_percents([5, 10, 95], [45, 50, 0]), 2.5)  # 5s are 2.5s
    check_rounding_step(_percents([0.1 + 0.2, 0.7], [0.1, 1.3]), 0.1)  # 0.30000000000000004
    with pytest.raises(EstimationError, match=r"rep 'r1' \(pct_self 0.35\)"):
        check_rounding_step(_percents([0.3, 0.7], [0.1, 0.35]), 0.1)


def test_parse_rounding_checks_the_frame_only_when_given(survey_csv):
    frame = _frame(survey_csv)
    assert parse_rounding("2.5", frame) == 2.5
    assert parse_rounding("10") == 10.0  # the option alone: no answers to check
    with pytest.raises(EstimationError, match="not a multiple of 10"):
        parse_rounding("10", frame)


# ----------------------------------------------------------------------------
# allocate: the oracle needs a simulated survey; the budget has a maximum
# ----------------------------------------------------------------------------
@pytest.fixture()
def no_allocation(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the allocation ran")

    monkeypatch.setattr(pipeline, "allocate", boom)


def test_oracle_on_a_survey_without_a_marker_exits_2(survey_csv, tmp_path, capsys, no_allocation):
    out = tmp_path / "alloc"
    assert cli.main(["allocate", str(survey_csv), "--oracle", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--oracle needs a survey simulated by `leadblackhole simulate`" in err
    assert "reps.csv.simulated.json" in err
    assert not (out / "policies.csv").exists()


def test_oracle_is_accepted_on_a_simulated_survey(survey_csv):
    frame = _frame(survey_csv)
    assert pipeline.allocation_request(None, frame, True, DataSource(True, seed=7)) is None
    with pytest.raises(AllocationError, match="no simulation marker"):
        pipeline.allocation_request(None, frame, True, DataSource(False))


def test_max_budget_by_hand():
    assert max_budget([10, 20, 30]) == 10 * 60
    assert max_budget([0, 0, 0]) == 10 * 3  # one lead per rep
    assert max_budget([0.4, 0.6, 1.5]) == 10 * 3  # 0 + 1 + 2 whole leads
    assert check_budget("600", 600) == 600
    with pytest.raises(AllocationError, match="above the largest this survey allows, 600"):
        check_budget("601", 600)


def test_a_budget_above_the_maximum_exits_2_before_the_allocation(
    survey_csv, default_survey, capsys, no_allocation, tmp_path
):
    largest = 10 * max(int(np.rint(default_survey["lead_volume"]).sum()), len(default_survey))
    assert cli.main(["allocate", str(survey_csv), "--leads", "1e12", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"above the largest this survey allows, {largest} leads" in err
    frame = _frame(survey_csv)
    assert pipeline.allocation_request(str(largest), frame) == largest
    with pytest.raises(AllocationError, match="above the largest"):
        pipeline.allocation_request(str(largest + 1), frame)


# ----------------------------------------------------------------------------
# diagnose: the record of the seed, damaged part files, the scheduler's options
# ----------------------------------------------------------------------------
TINY = {"sims": 2, "n_reps": (100,), "estimators": ("ols",), "workers": 0, "progress": False}


@pytest.fixture()
def diagnosis(tmp_path):
    out = tmp_path / "diag"
    res = run_diagnosis(out, seed=7, **TINY)
    return out, res


def test_replications_without_their_record_are_not_continued(diagnosis):
    out, _ = diagnosis
    (out / "diagnosis.json").unlink()
    for seed in (8, 7):  # the seed they were drawn with is unknown, so even 7 is refused
        with pytest.raises(DiagnosisError, match="not its record diagnosis.json") as info:
            run_diagnosis(out, seed=seed, **TINY)
        assert "to start afresh, delete the folder" in str(info.value)
    assert not (out / "diagnosis.json").exists()
    # with only the final table left, the folder is refused too
    for part in (out / "replications.parts").glob("*.parquet"):
        part.unlink()
    with pytest.raises(DiagnosisError, match=r"\(replications.parquet\)"):
        run_diagnosis(out, seed=8, **TINY)


def test_a_record_that_is_not_json_or_holds_no_seed_exits_2(diagnosis, capsys):
    out, _ = diagnosis
    argv = ["diagnose", "--sims", "2", "--seed", "7", "--n-reps", "100", "--estimators", "ols"]
    argv += ["--workers", "0", "--no-figures", "--no-progress", "--out", str(out)]
    for text, message in [
        ("garbage\n", "is not the record of a diagnosis (not JSON"),
        (b"\xff\xfe", "is not the record of a diagnosis (not JSON"),
        ('{"seed": "7"}', "records no seed"),
        ("[7]", "records no seed"),
    ]:
        record = out / "diagnosis.json"
        record.write_bytes(text) if isinstance(text, bytes) else record.write_text(text)
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and "internal error" not in err


def test_a_damaged_part_is_named_and_recomputed_once_deleted(diagnosis, capsys):
    out, first = diagnosis
    part = next((out / "replications.parts").glob("*.parquet"))
    whole = part.read_bytes()
    part.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DiagnosisError, match=f"{part.name} cannot be read") as info:
        run_diagnosis(out, seed=7, **TINY)
    assert "delete it and rerun the same command" in str(info.value)
    pd.DataFrame({"x": [1]}).to_parquet(part)
    with pytest.raises(DiagnosisError, match=r"lacks the columns \['scenario'"):
        run_diagnosis(out, seed=7, **TINY)
    part.unlink()  # as the message says
    again = run_diagnosis(out, seed=7, **TINY)
    assert again.n_computed == 2
    pd.testing.assert_frame_equal(again.replications, first.replications)


def test_a_scheduler_that_is_not_an_address_exits_2_before_anything(tmp_path, capsys):
    out = tmp_path / "diag"
    argv = ["diagnose", "--sims", "1", "--seed", "1", "--scheduler", "notanaddress"]
    assert cli.main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'notanaddress' is not the address of a Dask scheduler" in err
    assert "tcp://HOST:PORT" in err and not out.exists()


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "0", "ten"])
def test_a_connect_timeout_that_is_not_seconds_exits_2(tmp_path, capsys, value):
    argv = ["diagnose", "--sims", "1", "--seed", "1", "--scheduler", "tcp://127.0.0.1:1"]
    assert cli.main([*argv, f"--connect-timeout={value}", "--out", str(tmp_path / "d")]) == 2
    assert "argument --connect-timeout: expected a number of seconds" in capsys.readouterr().err


def test_run_diagnosis_checks_the_timeout_too(tmp_path):
    with pytest.raises(DiagnosisError, match="connect timeout must be a number of seconds"):
        run_diagnosis(tmp_path, seed=1, connect_timeout=math.nan, **TINY)


# ----------------------------------------------------------------------------
# notebooks
# ----------------------------------------------------------------------------
def _notebook(cells: list[str]) -> dict:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title")]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    return nb


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"nope", "not UTF-8 JSON"),
        (b"\xff\xfe{}", "not UTF-8 JSON"),
        (b"[1, 2]", "JSON without a list of 'cells'"),
        (b'{"cells": 3}', "JSON without a list of 'cells'"),
        (b'{"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code"}]}', "Error"),
    ],
)
def test_a_file_that_is_not_a_notebook_exits_2(tmp_path, capsys, content, message):
    src = tmp_path / "nb.ipynb"
    src.write_bytes(content)
    out = tmp_path / "out.ipynb"
    assert cli.main(["notebook", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nb.ipynb is not a Jupyter notebook" in err and message in err
    assert "internal error" not in err and not out.exists()
    with pytest.raises(NotebookError):
        read_notebook(src)


def test_a_cell_that_raises_exits_2_naming_the_cell(tmp_path, capsys, monkeypatch):
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError

    def execute(self, **kwargs):  # as nbclient does: the error output, then the exception
        cell = self.nb.cells[2]
        cell.execution_count = 2
        cell.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="boom")]
        raise CellExecutionError("Traceback ...", "ValueError", "boom")

    monkeypatch.setattr(nbclient.NotebookClient, "execute", execute)
    src = tmp_path / "nb.ipynb"
    nbformat.write(_notebook(["x = 1", "raise ValueError('boom')"]), src)
    out = tmp_path / "out.ipynb"
    assert cli.main(["notebook", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "notebook nb.ipynb: code cell 2 raised ValueError: boom" in err
    assert not out.exists()


def test_a_cell_past_the_timeout_exits_2(tmp_path, capsys, monkeypatch):
    import nbclient
    import nbformat
    from nbclient.exceptions import CellTimeoutError

    def execute(self, **kwargs):
        self.nb.cells[1].execution_count = 1
        raise CellTimeoutError("Cell execution timed out")

    monkeypatch.setattr(nbclient.NotebookClient, "execute", execute)
    src = tmp_path / "nb.ipynb"
    nbformat.write(_notebook(["import time; time.sleep(60)"]), src)
    assert cli.main(["notebook", str(src), "--out", str(tmp_path / "o"), "--timeout", "3"]) == 2
    assert "code cell 1 ran longer than --timeout 3 s" in capsys.readouterr().err


def test_a_kernel_that_dies_exits_2(tmp_path, capsys, monkeypatch):
    import nbclient
    import nbformat
    from nbclient.exceptions import DeadKernelError

    def execute(self, **kwargs):
        raise DeadKernelError("Kernel died")

    monkeypatch.setattr(nbclient.NotebookClient, "execute", execute)
    src = tmp_path / "nb.ipynb"
    nbformat.write(_notebook(["import os; os._exit(1)"]), src)
    assert cli.main(["notebook", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "the python3 kernel failed (DeadKernelError: Kernel died)" in err and "ipykernel" in err


@pytest.mark.slow
def test_a_cell_that_raises_in_a_real_kernel_exits_2(tmp_path, capsys):
    import nbformat

    src = tmp_path / "nb.ipynb"
    nbformat.write(_notebook(["x = 1", "raise ValueError('boom')", "y = 2"]), src)
    assert cli.main(["notebook", str(src), "--out", str(tmp_path / "out.ipynb")]) == 2
    assert "code cell 2 raised ValueError: boom" in capsys.readouterr().err


# ----------------------------------------------------------------------------
# report: files that are not as the package writes them
# ----------------------------------------------------------------------------
def _row(columns, **values) -> bytes:
    row = {c: values.get(c, 1.0) for c in columns}
    return table_to_csv(pd.DataFrame([row])).encode()


def _report_cases():
    from leadblackhole.effects.estimates import HYPOTHESIS_COLUMNS
    from leadblackhole.models.results import ESTIMATE_COLUMNS, FIT_STAT_COLUMNS

    hyp = (*HYPOTHESIS_COLUMNS, "p_holm", "p_bh")
    text = {"id": "H1", "outcome": "marketing", "predictor": "prequal", "model": "dirichlet"}
    return [
        ("models/estimates.csv", b"\x00\xff\xfe garbage\n", "is not UTF-8 text"),
        ("models/estimates.csv", b"x\n1\n2\n", "lacks the columns ['model'"),
        ("models/sur_wald.csv", b"", "is not a CSV table"),
        ("models/sur_wald.csv", b'a,b\n1,2,3,4\n"x\n', "is not a CSV table"),
        (
            "models/fit_stats.csv",
            _row(FIT_STAT_COLUMNS, model="dirichlet", n="many", converged=True),
            "column 'n' must hold numbers",
        ),
        (
            "models/hypotheses.csv",
            _row(hyp, **text, moderator="", supported="maybe"),
            "column 'supported' must hold True or False",
        ),
        (
            "models/estimates.csv",
            _row(ESTIMATE_COLUMNS, model="", equation="marketing", term="prequal"),
            "column 'model' has empty cells",
        ),
        ("models/skipped_models.csv", b"model,reason\nprobit,\n", "column 'reason' has empty"),
        ("models/sample.json", b"[1, 2]", "holds list, not a JSON object"),
        ("models/sample.json", b'{"firms": 5}', "'firms' holds 5, not list"),
        ("models/data_source.json", b"{nope", "is not JSON"),
        ("models/data_source.json", b'{"truth": {"H1": "x"}}', "'truth' must map each"),
        ("validation.md", b"\xff\xfe# validation", "is not UTF-8 text"),
        ("models/regression_table.md", b"\xc3\x28", "is not UTF-8 text"),
    ]


@pytest.mark.parametrize(("name", "content", "message"), _report_cases())
def test_report_given_files_it_did_not_write_exits_2(tmp_path, capsys, name, content, message):
    results = tmp_path / "results"
    path = results / name
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert cli.main(["report", "--results", str(results), "--figures", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert name in err and message in err and "make all" in err
    assert "internal error" not in err and not (results / "report.md").exists()


def test_report_files_that_are_missing_are_not_errors(tmp_path):
    assert read_table(tmp_path / "models" / "estimates.csv", tmp_path) is None
    assert read_json(tmp_path / "models" / "sample.json", tmp_path) == {}
    (tmp_path / "x.json").write_text('"text"')
    with pytest.raises(ReportError, match="holds str, not a JSON object"):
        read_json(tmp_path / "x.json")


# ----------------------------------------------------------------------------
# codebooks nested too deeply
# ----------------------------------------------------------------------------
def test_a_codebook_nested_5000_levels_exits_2(tmp_path, survey_csv, capsys):
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(CodebookError, match="nested too deeply for the TOML reader"):
        load_codebook(path)
    assert cli.main(["validate", str(survey_csv), "--codebook", str(path)]) == 2
    assert "deep.toml: arrays or tables nested too deeply" in capsys.readouterr().err


# ----------------------------------------------------------------------------
# --provenance that cannot be written: refused before the command runs
# ----------------------------------------------------------------------------
def test_provenance_that_is_a_file_exits_2_before_anything_is_written(tmp_path, capsys):
    target = tmp_path / "prov"
    target.write_text("a file")
    out = tmp_path / "reps.csv"
    assert cli.main(["--provenance", str(target), "simulate", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "argument --provenance" in err and "is a file, not a folder" in err
    assert not out.exists() and target.read_text() == "a file"


@pytest.mark.parametrize(
    ("code", "advice"),
    [(errno.EACCES, "permission denied writing"), (errno.EROFS, "is on a read-only file system")],
)
def test_provenance_in_a_folder_that_cannot_be_written_exits_2(
    tmp_path, capsys, monkeypatch, code, advice
):
    prov = tmp_path / "readonly"
    prov.mkdir()
    real = outputs.tempfile.mkstemp

    def refuse(*args, dir=None, **kwargs):  # the folder refuses new files, others do not
        if dir is not None and Path(dir).is_relative_to(prov):
            raise OSError(code, os.strerror(code), str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(outputs.tempfile, "mkstemp", refuse)
    out = tmp_path / "reps.csv"
    assert cli.main(["--provenance", str(prov), "simulate", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "argument --provenance" in err and advice in err
    assert not out.exists()


def test_provenance_that_can_be_written_records_the_step(tmp_path):
    out = tmp_path / "reps.csv"
    assert cli.main(["--provenance", str(tmp_path / "res"), "simulate", "--out", str(out)]) == 0
    record = json.loads((tmp_path / "res" / "provenance" / "data.json").read_text())
    assert record["step"] == "data"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (b"\xff\xfe not text", "not UTF-8 JSON"),
        (b"{not json", "not UTF-8 JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"step": 3, "command": "x", "outputs": {}}', "'step' is not text"),
        (b'{"step": "fit", "command": "x", "outputs": 7}', "'outputs' is neither"),
        (b'{"step": "fit", "command": "x", "outputs": [1]}', "'outputs' is neither"),
        (b'{"step": "fit", "command": "x", "outputs": {"a": 1}}', "a hash of 'outputs'"),
        (b'{"step": "fit", "command": "x", "outputs": {}, "data": [1]}', "'data' is not"),
        (b"[" * 5000 + b"]" * 5000, "not UTF-8 JSON"),
    ],
)
def test_manifest_with_a_garbled_provenance_record_exits_2(tmp_path, capsys, text, said):
    (tmp_path / "provenance").mkdir()
    (tmp_path / "provenance" / "fit.json").write_bytes(text)
    assert cli.main(["manifest", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "fit.json is not a provenance record" in err and said in err
    assert "Traceback" not in err and not (tmp_path / "manifest.json").exists()
