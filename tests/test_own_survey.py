"""A researcher's own survey from file to report: nothing the report says is false for it.

The survey is the data-entry builder's (``own_survey``): a Stata file with its own
column names, 150 reps of three firms, a 1-5 prequalification scale with one
reverse-worded item, 99 for "don't know"; one rep more is set to give marketing leads
no time. The commands are those ``make all DATA=... CODEBOOK=...`` runs, in a
temporary folder. Every expected count comes from the table the test wrote.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.reporting.figures import figure_set

from .test_data_entry import OWN_CODEBOOK, own_survey, write_codebook

SEED = "20130101"


def _unescape(md: str) -> str:
    return md.replace("\\_", "_")


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    """Run the make-all chain on the own Stata survey; return (root, table, axis labels)."""
    root = tmp_path_factory.mktemp("own")
    df, _, planted = own_survey()
    assert (df["Q30_a"] == 0).sum() == 0
    zero = int(df.index[df["Company"] == "Bolt"][0])
    df.loc[zero, ["Q30_a", "Q30_b", "Q30_c"]] = [0.0, 60.0, 40.0]
    data = root / "field_survey_2025.dta"
    df.to_stata(data, write_index=False, version=118)
    codebook = write_codebook(root, OWN_CODEBOOK)
    labels: list[str] = []
    real = figure_set.figure_bytes

    def spy(fig, fmt, description=None):
        labels.extend(ax.get_xlabel() for ax in fig.axes)
        return real(fig, fmt, description=description)

    mp = pytest.MonkeyPatch()
    mp.setattr(figure_set, "figure_bytes", spy)
    mp.chdir(root)
    try:
        survey = [str(data), "--codebook", str(codebook)]
        fits = ["--fits", "results/models/fits.json"]
        prov = ["--provenance", "results"]
        steps = [
            ["validate", *survey, "--out", "results"],
            ["measure", *survey, "--out", "results/measurement"],
            ["fit", *survey, "--out", "results/models", "--bootstrap", "0", "--seed", SEED],
            ["figures", *survey, *fits, "--out", "figures"],
            ["allocate", *survey, *fits, "--out", "results/allocation", "--seed", SEED],
            ["report", "--results", "results", "--figures", "figures"],
        ]
        for step in steps:
            assert cli.main([*prov, *step]) == 0, step[0]
        assert cli.main(["manifest", "--results", "results"]) == 0
    finally:
        mp.undo()
    return root, df, planted, labels


@pytest.mark.slow
def test_own_survey_report_says_nothing_false(own_run):
    root, df, planted, labels = own_run
    md = _unescape((root / "results/report.md").read_text(encoding="utf-8"))
    n_rows, n_zero = len(df), int((df["Q30_a"] == 0).sum())
    assert (n_rows, n_zero) == (150, 1)
    # firms and reps, from the table written
    assert "Four firms" not in md and "four firms" not in md
    assert "**Three firms.**" in md and "firms: 3 (Acme, Bolt, Crane)" in md
    assert f"- rows read: {n_rows}\n" in md
    assert f"- analysable reps: {n_rows - n_zero}\n" in md
    assert re.search(r"- no time on marketing leads \(pct_marketing = 0[^)]*\): 1\n", md)
    sample = json.loads((root / "results/models/sample.json").read_text())
    assert sample["n_reps"] == n_rows - n_zero and sample["n_firms"] == 3
    # the missing-value codes and the scale's range
    total = sum(len(rows) for rows in planted.values())
    assert f"cells holding a missing-value code of the codebook: {total}" in md
    for canonical, col in (("pq_2", "Q5_2"), ("pq_3", "Q5_3"), ("mt_1", "Q6_1")):
        assert f"  - '{canonical}' ({col}) = 99: {len(planted[col])}\n" in md
    assert "scale ranges other than 1 to 7: prequal 1 to 5" in md
    # the probit: its table, or the reason the fit recorded (one rep has no marketing time)
    skipped = pd.read_csv(root / "results/models/skipped_models.csv").set_index("model")["reason"]
    if "probit" in skipped.index:
        # the fit's message names the model first; the sentence gives its last clause
        reason = _unescape(skipped["probit"]).split(": ")[-1]
        assert f"_The probit of giving marketing leads any time was not estimated: {reason}._" in md
        assert "separation" not in reason or "'Bolt'" not in reason  # Bolt has the zero rep
    else:
        assert "Probit of giving marketing leads any time" in md
    assert "every rep with complete predictors reports some time" not in md
    # the items by the file's names, the reversed one marked
    loadings = pd.read_csv(root / "results/measurement/loadings.csv")
    assert loadings["item"].tolist()[:4] == ["Q5_1", "Q5_2", "Q5_3 (R)", "Q5_4"]
    assert "| prequal | Q5_3 (R) |" in md and "(R) marks a reverse-coded item" in md
    assert "pq_1" not in loadings["item"].tolist()
    # no Johnson-Neyman sentence with empty bounds
    assert "between  and" not in md
    # not simulated: no simulation sentence, no population values, no truth columns
    assert "Simulated data" not in md and "population value" not in md.lower()
    source = json.loads((root / "results/models/data_source.json").read_text())
    assert source["simulated"] is False and source["truth"] is None
    assert "the researcher's survey *field_survey_2025.dta*" in md
    for csv in (root / "results").rglob("*.csv"):
        columns = pd.read_csv(csv, nrows=0).columns
        assert not [c for c in columns if c.startswith("true_") or "population" in c], csv


@pytest.mark.slow
def test_own_survey_figures_label_the_scales_with_their_range(own_run):
    _, _, _, labels = own_run
    assert "Lead prequalification quality (scale mean, 1–5)" in labels
    assert "Managerial tracking of follow-up (scale mean, 1–7)" in labels
    assert not [x for x in labels if x.startswith("Lead prequalification") and "1–5" not in x]
