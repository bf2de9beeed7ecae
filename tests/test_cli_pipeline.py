"""The pipeline commands end to end on a simulated survey."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from leadblackhole import cli

from .conftest import write_csv


def run_pipeline(root, survey_args, codebook=None):
    """Run (simulate ->) validate -> measure -> fit -> figures -> report -> manifest in ``root``.

    With ``survey_args=None`` the survey must already be at ``root/data/reps.csv``.
    """
    import os

    old = os.getcwd()
    os.chdir(root)
    cb = ["--codebook", str(codebook)] if codebook else []
    try:
        prov = ["--provenance", "results"]
        if survey_args is not None:
            assert cli.main([*prov, "simulate", *survey_args, "--out", "data/reps.csv"]) == 0
        assert cli.main([*prov, "validate", "data/reps.csv", *cb, "--out", "results"]) == 0
        assert (
            cli.main([*prov, "measure", "data/reps.csv", *cb, "--out", "results/measurement"]) == 0
        )
        assert cli.main([*prov, "fit", "data/reps.csv", *cb, "--out", "results/models"]) == 0
        assert cli.main([*prov, "figures", "data/reps.csv", *cb, "--out", "figures"]) == 0
        assert cli.main([*prov, "report", "--results", "results", "--figures", "figures"]) == 0
        assert cli.main(["manifest", "--results", "results"]) == 0
    finally:
        os.chdir(old)
    return root


def output_names(root):
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.parts[-2] != "data"
    )


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory):
    """The default design with 20 extra reps without marketing-lead time."""
    return run_pipeline(
        tmp_path_factory.mktemp("pipeline"), ["--seed", "11", "--n-zero-marketing", "20"]
    )


@pytest.mark.slow
def test_other_firms_and_item_counts_give_the_same_outputs(pipeline_dir, tmp_path):
    """Five firms, 3 and 5 items per scale, no zero-time reps: the same set of files."""
    from leadblackhole.simulation import StudyDesign, simulate
    from leadblackhole.tables_text import table_to_csv

    root = tmp_path / "five"
    (root / "data").mkdir(parents=True)
    design = StudyDesign.for_firms(
        5,
        n_reps=300,
        prequal_loadings=(0.8, 0.75, 0.7),
        tracking_loadings=(0.8, 0.8, 0.7, 0.7, 0.6),
    )
    survey, _ = simulate(design, seed=2)
    (root / "data" / "reps.csv").write_text(table_to_csv(survey))
    run_pipeline(root, None)
    assert "firms: 5" in (root / "results" / "validation.md").read_text()
    loadings = pd.read_csv(root / "results" / "measurement" / "loadings.csv")
    assert loadings.groupby("scale").size().to_dict() == {"prequal": 3, "tracking": 5}
    # the same files, except the provenance record of the simulation step
    expected = [n for n in output_names(pipeline_dir) if n != "results/provenance/data.json"]
    assert output_names(root) == expected
    # a survey without a simulation marker is the researcher's own: no simulated label
    for rel in ("models/hypotheses_vs_published.md", "models/regression_table.md", "report.md"):
        assert "Simulated data" not in (root / "results" / rel).read_text(), rel
    assert b"Simulated data" not in (root / "figures" / "effects.pdf").read_bytes()


def test_measure_outputs(pipeline_dir):
    m = pipeline_dir / "results" / "measurement"
    for name in (
        "measurement",
        "cfa_fit",
        "loadings",
        "discriminant",
        "cmv",
        "descriptives",
        "correlations",
    ):
        for ext in ("csv", "md", "tex"):
            assert (m / f"{name}.{ext}").stat().st_size > 0, (name, ext)
    meas = pd.read_csv(m / "measurement.csv")
    assert list(meas.columns) == [
        "scale",
        "n_items",
        "alpha",
        "alpha_ci_low",
        "alpha_ci_high",
        "composite_reliability",
        "ave",
        "data_source",
    ]
    fit = pd.read_csv(m / "cfa_fit.csv")
    assert list(fit["index"]) == ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"]
    desc = pd.read_csv(m / "descriptives.csv")
    assert {"all", "A", "B", "C", "D"} <= set(desc["group"].astype(str))


def test_fit_outputs(pipeline_dir):
    d = pipeline_dir / "results" / "models"
    est = pd.read_csv(d / "estimates.csv")
    assert list(est.columns) == [
        "model",
        "equation",
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
        "data_source",
    ]
    models = {"dirichlet_rounded", "dirichlet", "fmlogit", "ols", "fractional_logit", "sur"}
    assert models | {"probit"} <= set(est["model"])
    # the simulated percents are heaped on multiples of 5: the rounding-aware model is fitted
    # with the same equations and term names as the exact-share Dirichlet model
    rounded = est[est["model"] == "dirichlet_rounded"].set_index(["equation", "term"]).index
    exact = est[est["model"] == "dirichlet"].set_index(["equation", "term"]).index
    assert rounded.equals(exact)
    assert set(rounded.get_level_values("equation")) == {"marketing", "self", "precision"}
    fml = est[est["model"] == "fmlogit"]
    assert set(fml["equation"]) == {"marketing", "self"}
    stats = pd.read_csv(d / "fit_stats.csv")
    assert {"dirichlet_rounded", "dirichlet", "fmlogit"} <= set(stats["model"])
    hyp = pd.read_csv(d / "hypotheses.csv")
    assert list(hyp.columns) == [
        "id",
        "outcome",
        "predictor",
        "moderator",
        "expected_sign",
        "model",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "p_holm",
        "p_bh",
        "conf_low",
        "conf_high",
        "supported",
        "data_source",
    ]
    for model in ("dirichlet_rounded", "dirichlet", "fmlogit"):
        assert len(hyp[hyp["model"] == model]) == 12, model
    # the two-part model: marketing outcomes only, over every rep
    two = hyp[hyp["model"] == "two_part"]
    assert len(two) == 11 and set(two["outcome"]) == {"marketing"}
    assert hyp["model"].iloc[0] == "dirichlet_rounded"  # the main model comes first
    # adjusted p-values: within each model over its directional hypotheses, E1 left out
    directional = hyp[hyp["expected_sign"] != 0]
    assert directional[["p_holm", "p_bh"]].notna().all().all()
    assert hyp.loc[hyp["id"] == "E1", ["p_holm", "p_bh"]].isna().all().all()
    assert (directional["p_holm"] >= directional["p_value"] - 1e-15).all()
    assert (directional["p_bh"] <= directional["p_holm"] + 1e-15).all()
    joint = pd.read_csv(d / "joint_tests.csv")
    assert list(joint.columns) == ["model", "test", "statistic", "df", "p_value", "data_source"]
    assert set(joint["model"]) == set(hyp["model"]) and (joint["df"] == 6).all()
    firm = pd.read_csv(d / "firm_tests.csv")
    assert firm["test"].tolist()[0] == "firm_slopes_lr" and firm["df"].iloc[0] == 30
    assert (firm["test"] == "ibragimov_mueller").sum() == 12
    assert (firm.loc[firm["test"] == "ibragimov_mueller", "df"] == 3).all()
    published = (d / "hypotheses_vs_published.md").read_text()
    assert "rounding-aware Dirichlet regression (`dirichlet_rounded`)" in published
    assert "multiples of 5" in published
    for name in (
        "fit_stats.csv",
        "regression_table.md",
        "regression_table.tex",
        "regression_table.html",
        "hypotheses_vs_published.md",
        "simple_slopes.csv",
        "johnson_neyman.csv",
    ):
        assert (d / name).stat().st_size > 0, name


SIM_LABEL = "Simulated data (leadblackhole simulate, seed 11)"


def test_every_output_of_simulated_data_says_so(pipeline_dir):
    res = pipeline_dir / "results"
    for rel in (
        "validation.md",
        "measurement/measurement.md",
        "measurement/measurement.tex",
        "measurement/descriptives.md",
        "models/regression_table.md",
        "models/regression_table.tex",
        "models/regression_table.html",
        "models/hypotheses_vs_published.md",
        "models/hypotheses_vs_published.tex",
        "report.md",
        "report.html",
    ):
        assert SIM_LABEL in (res / rel).read_text(), rel
    for rel in ("models/hypotheses_vs_published.md", "models/hypotheses_vs_published.tex"):
        assert "not contradicted" in (res / rel).read_text(), rel
    figures = sorted((pipeline_dir / "figures").glob("*.p[nd][gf]"))
    assert len(figures) == 32
    for fig in figures:  # in the file's metadata, and drawn under the figure
        assert b"Simulated data" in fig.read_bytes(), fig.name


def test_every_csv_of_simulated_data_names_its_seed(pipeline_dir, monkeypatch):
    """Each CSV table of every command ends with data_source = "simulated (seed 11)"."""
    monkeypatch.chdir(pipeline_dir)
    args = ["allocate", "data/reps.csv", "--fits", "results/models/fits.json"]
    assert cli.main([*args, "--policy", "equal", "--draws", "5", "--out", "alloc_csv"]) == 0
    tables = sorted((pipeline_dir / "results").rglob("*.csv"))
    tables += sorted((pipeline_dir / "alloc_csv").glob("*.csv"))
    names = {p.name for p in tables}
    assert {"exclusions.csv", "measurement.csv", "estimates.csv", "hypotheses.csv"} <= names
    assert {"skipped_models.csv", "sensitivity.csv", "policies.csv", "allocation.csv"} <= names
    for path in tables:
        table = pd.read_csv(path)
        assert table.columns[-1] == "data_source", path.name
        assert set(table["data_source"]) <= {"simulated (seed 11)"}, path.name
    # the report reads the tables without the column: it names the data once, in its text
    md = (pipeline_dir / "results" / "report.md").read_text()
    assert "data source" not in md and "simulated (seed 11)" not in md


def test_no_p_value_of_any_table_or_sentence_reads_zero(pipeline_dir):
    """Every Markdown, LaTeX and HTML output, the report included: p < 0.001 is "< 0.001"."""
    from .table_cells import p_value_cells, tables_of, zero_p_values

    files = sorted(
        p for p in (pipeline_dir / "results").rglob("*") if p.suffix in (".md", ".tex", ".html")
    )
    assert len(files) >= 25
    checked = []
    for path in files:
        kind = path.suffix[1:]
        text = path.read_text()
        assert zero_p_values(text, kind) == [], path.name
        checked += [c for t in tables_of(text, kind) for c in p_value_cells(t)]
    # the scan saw the p-values: the loadings' (all far below 0.001) among them
    assert sum("< 0.001" in c for c in checked) >= 16


def test_every_citation_of_the_report_is_in_its_reference_list(pipeline_dir):
    """Author-year citations of the text (Ai & Norton 2003, Cinelli & Hazlett 2020, ...)
    each have their entry, with the same year; the methods named in the tables too."""
    import re

    from .table_cells import citations

    body, refs = (pipeline_dir / "results" / "report.md").read_text().split("## References", 1)
    listed = {
        (line[2:].split(",")[0], re.search(r"\((\d{4})\)", line).group(1))
        for line in refs.strip().splitlines()
    }
    cited = set(citations(body))
    assert {("Sabnis", "2013"), ("Ai", "2003"), ("Cinelli", "2020"), ("Blair", "2019")} <= cited
    assert cited <= listed
    # HC3 and HC0 (regression table), systemfit, Cook's distance (validation summary)
    assert {("MacKinnon", "1985"), ("White", "1980"), ("Henningsen", "2007")} <= listed
    assert ("Cook", "1977") in listed


def test_allocation_figure_of_simulated_data_says_so(pipeline_dir, monkeypatch):
    monkeypatch.chdir(pipeline_dir)
    args = ["allocate", "data/reps.csv", "--fits", "results/models/fits.json"]
    args += ["--policy", "equal", "--draws", "5", "--out", "alloc"]
    assert cli.main(args) == 0
    for fmt in ("png", "pdf"):
        assert (
            b"Simulated data"
            in (pipeline_dir / "alloc" / f"black_hole_by_policy.{fmt}").read_bytes()
        )


def test_report_reads_like_a_results_section(pipeline_dir):
    res = pipeline_dir / "results"
    md = (res / "report.md").read_text()
    html = (res / "report.html").read_text()
    assert "Not produced" not in md
    for heading in ("## Results", "### Caveats", "## Measurement", "## Models", "## Hypotheses"):
        assert heading in md
    # one sentence per hypothesis with its interval, in the HTML a reader opens
    for hid in ("H1", "H2", "H6", "H7", "H11", "E1"):
        assert re.search(rf"<strong>{hid}\.</strong> [^<]*percentage points \(95% CI ", html), hid
    for piece in (
        "Descriptive statistics",
        "Simple slopes",
        "Johnson–Neyman regions",
        "Leave one firm out",
        "Probit of giving marketing leads any time",
        "Precision of the Dirichlet model",
        "Fit statistics",
        "Estimates beside the population values",
    ):
        assert piece in md, piece
    assert "e-0" not in md.split("## Figures")[0]  # no scientific notation in the tables


def test_sensitivity_contour_is_saved_by_fit_drawn_by_figures_shown_by_report(pipeline_dir):
    import numpy as np

    models = pipeline_dir / "results" / "models"
    contour = pd.read_csv(models / "sensitivity_contour.csv")
    h4 = pd.read_csv(models / "sensitivity.csv").query("id == 'H4'").iloc[0]
    grid = contour[contour["kind"] == "grid"]
    r2dz, r2yz = sorted(grid["r2dz_x"].unique())[10], sorted(grid["r2yz_dx"].unique())[20]
    cell = grid[(grid["r2dz_x"] == r2dz) & (grid["r2yz_dx"] == r2yz)]
    assert len(cell) == 1
    # Cinelli & Hazlett (2020): a confounder with these partial R2 moves the estimate towards
    # zero by sqrt(R2yz.dx R2dz.x / (1 - R2dz.x)) se sqrt(df)
    bias = np.sqrt(r2yz * r2dz / (1 - r2dz)) * h4["std_error"] * np.sqrt(h4["dof"])
    expected = np.sign(h4["estimate"]) * (abs(h4["estimate"]) - bias)
    assert cell["adjusted_estimate"].iloc[0] == pytest.approx(expected, rel=1e-9)
    bench = contour[contour["kind"] == "benchmark"]
    assert sorted(bench["multiple"].unique()) == [1.0, 2.0, 3.0]
    figures = pipeline_dir / "figures"
    for fmt in ("png", "pdf"):
        assert (figures / f"sensitivity_h4.{fmt}").stat().st_size > 5_000, fmt
    md = (pipeline_dir / "results" / "report.md").read_text()
    section = md.split("## Sensitivity to an unobserved confounder")[1].split("\n## ")[0]
    assert "](../figures/sensitivity_h4.png)" in section
    assert md.count("](../figures/sensitivity_h4.png)") == 1  # not repeated under Figures


def test_report_and_manifest(pipeline_dir):
    res = pipeline_dir / "results"
    md = (res / "report.md").read_text()
    assert "## Measurement" in md and "## Hypotheses" in md and "analysable reps: 461" in md
    assert "Share-scale effects of the rounding-aware Dirichlet model" in md
    manifest = json.loads((res / "manifest.json").read_text())
    files = manifest["files"]
    assert "results/models/estimates.csv" in files and "data/reps.csv" in files
    assert files["data/reps.csv"]["seed"] == 11
    assert files["results/models/hypotheses.csv"]["command"].startswith("leadblackhole fit")
    assert str(pipeline_dir) not in (res / "manifest.json").read_text()


@pytest.mark.parametrize("command", ["measure", "fit"])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, default_survey, command, capsys):
    df = default_survey.astype(object)
    df.loc[4, "mt_2"] = "12"
    path = write_csv(tmp_path, df)
    out = tmp_path / "out"
    assert cli.main([command, str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "row 5, column 'mt_2'" in err
    assert not out.exists()


def test_fit_bootstrap_is_seeded(tmp_path, survey_csv):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert (
            cli.main(
                ["fit", str(survey_csv), "--out", str(out), "--bootstrap", "20", "--seed", "3"]
            )
            == 0
        )
    assert (a / "hypotheses_bootstrap.csv").read_bytes() == (
        b / "hypotheses_bootstrap.csv"
    ).read_bytes()
    boot = pd.read_csv(a / "hypotheses_bootstrap.csv")
    assert (boot["n_boot"] == 20).all() and (boot["boot_std_error"] > 0).all()
    assert (a / "simple_slopes.csv").read_bytes() == (b / "simple_slopes.csv").read_bytes()


def test_fit_firm_block_bootstrap(tmp_path, survey_csv):
    out = tmp_path / "firm"
    assert (
        cli.main(
            [
                "fit",
                str(survey_csv),
                "--out",
                str(out),
                "--bootstrap",
                "8",
                "--bootstrap-scheme",
                "firm",
                "--seed",
                "5",
            ]
        )
        == 0
    )
    boot = pd.read_csv(out / "hypotheses_bootstrap.csv")
    assert set(boot["scheme"]) == {"firm"}
    assert cli.main(["fit", str(survey_csv), "--bootstrap-scheme", "cluster"]) == 2


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--rounding", "3.7", "the rounding step must divide 100"),
        ("--rounding", "fine", "--rounding must be auto, none or a step"),
        ("--rounding", "0", "must lie in \\(0, 100\\]"),
        ("--precision", "nonsense", "'nonsense' at position 1 is not a variable of the model"),
        ("--cov", "hc3", "invalid choice: 'hc3'"),
    ],
)
def test_fit_bad_options_exit_2(tmp_path, survey_csv, capsys, option, value, message):
    out = tmp_path / "out"
    assert cli.main(["fit", str(survey_csv), "--out", str(out), option, value]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err and not out.exists()


def test_fit_rounding_none_precision_and_robust(tmp_path, survey_csv):
    out = tmp_path / "out"
    args = ["fit", str(survey_csv), "--out", str(out), "--rounding", "none"]
    args += ["--precision", "firm + experience + performance", "--cov", "robust"]
    assert cli.main(args) == 0
    est = pd.read_csv(out / "estimates.csv")
    assert "dirichlet_rounded" not in set(est["model"])
    prec = est[(est["model"] == "dirichlet") & (est["equation"] == "precision")]
    assert prec["term"].tolist() == [
        "Intercept",
        "firm[T.B]",
        "firm[T.C]",
        "firm[T.D]",
        "experience",
        "performance",
    ]
    tests = pd.read_csv(out / "precision_tests.csv")
    assert tests["model"].tolist() == ["dirichlet"] and tests["df"].tolist() == [5]
    assert 0 <= tests["p_value"].iloc[0] <= 1
    hyp = pd.read_csv(out / "hypotheses.csv")
    assert hyp["model"].iloc[0] == "dirichlet"
    assert "dirichlet_rounded" not in set(hyp["model"])
    assert "sandwich" in (out / "regression_table.md").read_text()
