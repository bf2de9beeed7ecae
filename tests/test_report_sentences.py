"""Every sentence of the report is read from the data and the fit, never assumed.

Each test fits a small survey with the command line (``validate``, ``measure``,
``fit``, ``report``; no figures) and reads the sentences of ``report.md``: the
number of firms, why the probit was skipped (the reason the fit recorded), and
on simulated data the population value beside each estimate.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.tables_text import table_to_csv


def report_of(root: Path, survey: pd.DataFrame | None = None, simulate_args=()) -> str:
    """Write (or simulate) ``root/data/reps.csv``, run the steps the report reads, return it."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    old = os.getcwd()
    os.chdir(root)
    try:
        if survey is not None:
            Path("data/reps.csv").write_text(table_to_csv(survey))
        else:
            assert cli.main(["simulate", *simulate_args, "--out", "data/reps.csv"]) == 0
        path = "data/reps.csv"
        assert cli.main(["validate", path, "--out", "results"]) == 0
        assert cli.main(["measure", path, "--out", "results/measurement"]) == 0
        assert cli.main(["fit", path, "--out", "results/models", "--no-progress"]) == 0
        Path("figures").mkdir(exist_ok=True)
        assert cli.main(["report", "--results", "results", "--figures", "figures"]) == 0
    finally:
        os.chdir(old)
    return (root / "results" / "report.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def three_firms():
    """An own survey (no simulation marker) of 150 reps in three firms, 12 without marketing time."""
    survey, _ = simulate(StudyDesign.for_firms(3, n_reps=150, n_zero_marketing=12), seed=3)
    return survey


def test_three_firm_survey_says_three_firms(tmp_path, three_firms):
    md = report_of(tmp_path, three_firms)
    assert "Four firms" not in md and "four firms" not in md
    assert "**Three firms.**" in md
    assert "conditional on these three firms" in md
    # C(2k - 1, k) distinct firm-block resamples of k = 3 firms
    assert "only 10 distinct resamples of 3 firms" in md
    sample = json.loads((tmp_path / "results/models/sample.json").read_text())
    assert sample["firms"] == ["A", "B", "C"] and sample["n_firms"] == 3
    # an own survey: no simulation sentence, no population values
    assert "Simulated data" not in md and "population value" not in md.lower()
    assert "Probit of giving marketing leads any time" in md


def test_probit_skipped_for_separation_says_so(tmp_path, three_firms):
    survey = three_firms.copy()
    zero = survey["pct_marketing"] == 0
    assert zero.sum() >= 2
    survey.loc[zero, "firm"] = "A"  # firms B and C: every rep gives marketing leads time
    md = report_of(tmp_path, survey)
    skipped = pd.read_csv(tmp_path / "results/models/skipped_models.csv")
    reason = skipped.set_index("model").loc["probit", "reason"]
    assert "quasi-complete separation" in reason
    sentence = re.search(
        r"_The probit of giving marketing leads any time was not estimated: (.*)_", md
    )
    assert sentence is not None
    assert "quasi-complete separation" in sentence.group(1)
    assert "'B' (all 1)" in sentence.group(1) and "'C' (all 1)" in sentence.group(1)
    assert "every rep reports some time" not in md


def test_probit_skipped_without_zero_marketing_reps_says_so(tmp_path):
    survey, _ = simulate(StudyDesign.for_firms(3, n_reps=150, n_zero_marketing=0), seed=4)
    assert (survey["pct_marketing"] > 0).all()
    md = report_of(tmp_path, survey)
    assert (
        "_The probit of giving marketing leads any time was not estimated: every rep with "
        "complete predictors reports some time on marketing leads._"
    ) in md


def test_simulated_report_sets_each_estimate_beside_its_population_value(tmp_path):
    md = report_of(tmp_path, simulate_args=["--seed", "5", "--n-reps", "200"])
    marker = json.loads((tmp_path / "data/reps.csv.simulated.json").read_text())
    source = json.loads((tmp_path / "results/models/data_source.json").read_text())
    assert set(marker["truth"]) >= {"H1", "H11", "E1"} and source["truth"] == marker["truth"]
    assert "by construction" not in md
    assert "### Estimates beside the population values" in md
    table = md.split("### Estimates beside the population values")[1]
    assert "| Population value | Interval covers it | Agrees with the published sign |" in table
    covered = re.search(r"Of the (\d+) 95% intervals, (\d+) cover the population value", md)
    assert covered is not None and int(covered.group(1)) == 12
    rows = re.findall(r"^\| (H\d+|E1) \|.*\| (yes|no) \|[^|]*\|[^|]*\|$", table, re.MULTILINE)
    assert len(rows) == 12
    assert sum(c == "yes" for _, c in rows) == int(covered.group(2))
    # a non-agreement reads as low power, not as a contradiction
    assert "did not detect, not a contradiction of the published finding" in md
    # ... with the power of the design at the nearest diagnosed size (200 reps -> 150)
    assert "| Agrees with the published sign | Power of the design |" in table
    assert "from the default design with 150 analysable reps" in table
    for rel in ("models/hypotheses_vs_published.md", "models/hypotheses_vs_published.tex"):
        text = (tmp_path / "results" / rel).read_text()
        assert "by construction" not in text and "not contradicted" in text


def test_changed_simulated_survey_shows_no_population_values(tmp_path):
    """A survey edited after the simulation is still simulated, but the truth no longer fits it."""
    from leadblackhole.data.source import data_source

    root = tmp_path
    (root / "data").mkdir()
    old = os.getcwd()
    os.chdir(root)
    try:
        assert cli.main(["simulate", "--n-reps", "60", "--out", "data/reps.csv"]) == 0
    finally:
        os.chdir(old)
    assert data_source(root / "data/reps.csv").truth is not None
    with open(root / "data/reps.csv", "a") as fh:
        fh.write("\n")
    src = data_source(root / "data/reps.csv")
    assert src.simulated and src.modified and src.truth is None
