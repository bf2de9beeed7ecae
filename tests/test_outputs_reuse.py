"""Outputs that can be reused on their own: the data source in every CSV, p-values that never
read 0.000, a reference list that matches the publications it names (issue 22)."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.outputs import OutputSet
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.tables_text import table_to_csv, table_to_latex, table_to_markdown

from .table_cells import citations, p_value_cells, tables_of, zero_p_values


# ----------------------------------------------------------------------------
# the data source column
# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_survey():
    survey, _ = simulate(StudyDesign.for_firms(3, n_reps=120), seed=5)
    return survey


def _csv_tables(folder):
    return sorted(folder.rglob("*.csv"))


def test_own_survey_tables_carry_its_file_name_and_hash(tmp_path, small_survey):
    """No simulation marker: the value is the file's name and the start of its SHA-256."""
    from leadblackhole.data.source import source_column

    path = tmp_path / "field survey, 2025.csv"  # a comma: the value is quoted in the CSV
    path.write_text(table_to_csv(small_survey))
    expected = (
        f"field survey, 2025.csv (sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:12]})"
    )
    assert source_column(path) == expected
    assert cli.main(["validate", str(path), "--out", str(tmp_path / "res")]) == 0
    assert cli.main(["measure", str(path), "--out", str(tmp_path / "res" / "m")]) == 0
    tables = _csv_tables(tmp_path / "res")
    assert {"exclusions.csv", "measurement.csv", "loadings.csv"} <= {p.name for p in tables}
    for table_path in tables:
        table = pd.read_csv(table_path)
        assert table.columns[-1] == "data_source", table_path.name
        assert set(table["data_source"]) <= {expected}, table_path.name
    # the Markdown and LaTeX tables have no such column
    for ext in ("md", "tex"):
        text = (tmp_path / "res" / "m" / f"measurement.{ext}").read_text()
        assert "data_source" not in text and "data\\_source" not in text


def test_simulated_survey_changed_after_simulation_says_so(tmp_path):
    from leadblackhole.data.source import simulated_column, source_column

    path = tmp_path / "reps.csv"
    argv = ["simulate", "--seed", "3", "--n-reps", "120", "--out", str(path)]
    assert cli.main([*argv, "--truth", str(tmp_path / "truth.csv")]) == 0
    assert source_column(path) == "simulated (seed 3)"
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert list(truth["data_source"].unique()) == ["simulated (seed 3)"]
    path.write_text(path.read_text() + "\n")
    assert source_column(path) == "simulated (seed 3, changed after simulation)"
    # a marker that cannot be read still marks the survey simulated
    marker = tmp_path / "reps.csv.simulated.json"
    marker.write_text("{not json")
    assert source_column(path) == "simulated"
    assert simulated_column(None, modified=True) == "simulated (changed after simulation)"


def test_table_to_csv_appends_the_column_once():
    df = pd.DataFrame({"id": ["H1", "H2"], "data_source": ["old", "old"], "p": [0.5, 0.01]})
    text = table_to_csv(df, data_source="simulated (seed 1)")
    assert text.splitlines() == [
        "id,p,data_source",
        "H1,0.5,simulated (seed 1)",
        "H2,0.01,simulated (seed 1)",
    ]
    assert table_to_csv(df.drop(columns="data_source")) == "id,p\nH1,0.5\nH2,0.01\n"
    empty = table_to_csv(pd.DataFrame(columns=["model", "reason"]), data_source="x")
    assert empty == "model,reason,data_source\n"


def test_output_set_tables_carry_its_source_in_csv_only(tmp_path):
    out = OutputSet(tmp_path / "out", data_source="survey.dta (sha256 0123456789ab)")
    out.add_table("t", pd.DataFrame({"a": [1.0]}))
    paths = out.commit()
    assert (paths["t.csv"]).read_text() == "a,data_source\n1,survey.dta (sha256 0123456789ab)\n"
    assert "data" not in paths["t.md"].read_text() + paths["t.tex"].read_text()


# ----------------------------------------------------------------------------
# p-values
# ----------------------------------------------------------------------------
_TINY = 1e-9
#: Every column name of the package's tables that holds p-values.
_P_COLUMNS = ["p", "p_value", "pvalue", "p_holm", "p_bh", "partial_f_p_value"]


def _wide():
    return pd.DataFrame({"test": ["a", "b"], **{c: [_TINY, 0.25] for c in _P_COLUMNS}})


def _long():
    return pd.DataFrame(
        {
            "check": ["one_factor_cfa"] * 3,
            "quantity": ["chisq_diff", "pvalue", "p_holm"],
            "value": [987.6, _TINY, _TINY],
        }
    )


def test_the_scan_finds_a_zero_p_value_in_every_format():
    """The check of the other tests can fail: a 0.000 p-value is found in each format."""
    md = "| test | p\\_holm |\n|:---|---:|\n| a | 0.000 |\n"
    tex = "\\begin{tabular}{lr}\n\\toprule\ntest & $p$ \\\\\n\\midrule\na & 0.000 \\\\\n\\end{tabular}\n"
    html = (
        "<table><tr><th>check</th><th>value</th></tr><tr><td>pvalue</td><td>0.000</td></tr></table>"
    )
    assert zero_p_values(md, "md") == ["0.000"]
    assert zero_p_values(tex, "tex") == ["0.000"]
    assert zero_p_values(html, "html") == ["0.000"]
    assert zero_p_values("H5 not supported, p = 0.000.", "md")
    assert zero_p_values("H5 not supported, p = < 0.001.", "md")


def test_every_table_writer_prints_small_p_values_as_less_than(tmp_path):
    from leadblackhole.reporting.report_format import format_table
    from leadblackhole.reporting.tables import stage_table_set

    outputs = {
        "md": [table_to_markdown(_wide()), table_to_markdown(_long()), format_table(_wide())],
        "tex": [table_to_latex(_wide()), table_to_latex(_long())],
    }
    outputs["md"].append(format_table(_long()))
    out = OutputSet(tmp_path / "t")
    stage_table_set({"wide": _wide(), "long": _long()}, out, data_notes=("A note.",))
    written = out.commit()
    outputs["md"] += [written["wide.md"].read_text(), written["long.md"].read_text()]
    outputs["tex"] += [written["wide.tex"].read_text(), written["long.tex"].read_text()]
    for kind, texts in outputs.items():
        for text in texts:
            assert zero_p_values(text, kind) == [], text
            cells = [c for t in tables_of(text, kind) for c in p_value_cells(t)]
            small = [c for c in cells if c.replace("\\textless{}", "<").startswith("<")]
            assert len(small) >= 2, text  # every tiny p found and written "< 0.001"
            assert all(c.replace("\\textless{}", "<") == "< 0.001" for c in small)


def test_comparison_tables_print_small_p_values_as_less_than():
    from leadblackhole.reporting.tables import comparison_latex, comparison_markdown

    comparison = pd.DataFrame(
        {
            "id": ["H1"],
            "published_finding": ["Better leads, more time."],
            "expected_sign": ["+"],
            "estimate": [0.03],
            "conf_low": [0.02],
            "conf_high": [0.04],
            "p_value": [_TINY],
            "result": ["supported"],
            "agrees": ["yes"],
        }
    )
    md, tex = comparison_markdown(comparison), comparison_latex(comparison)
    assert zero_p_values(md, "md") == [] and "| < 0.001 |" in md
    assert zero_p_values(tex, "tex") == [] and "\\textless{} 0.001" in tex


def test_report_sentence_of_an_unsupported_hypothesis_with_tiny_p_reads_less_than():
    """At a test level below 0.001 a hypothesis with p = 0.0002 is not supported: "p < 0.001"."""
    from leadblackhole.reporting.report_sentences import hypothesis_sentences

    z = 3.890592  # the two-sided 99.99% normal quantile: intervals of level 0.9999
    table = pd.DataFrame(
        {
            "id": ["H1"],
            "model": ["dirichlet"],
            "estimate": [0.05],
            "std_error": [0.01],
            "p_value": [2e-4],
            "conf_low": [0.05 - z * 0.01],
            "conf_high": [0.05 + z * 0.01],
            "supported": [False],
        }
    )
    (sentence,) = hypothesis_sentences(table, {"prequal": 1.0})
    assert "H1 not supported, p < 0.001)" in sentence
    assert zero_p_values(sentence, "md") == []


def test_dirichlet_summary_prints_small_p_values_as_less_than():
    from leadblackhole.models.dirichlet import DirichletRegression

    rng = np.random.default_rng(4)
    x = rng.normal(size=400)
    mu = np.column_stack([np.exp(0.8 * x), np.ones_like(x), np.ones_like(x)])
    mu /= mu.sum(axis=1, keepdims=True)
    shares = np.vstack([rng.dirichlet(30 * m) for m in mu])
    endog = pd.DataFrame(shares, columns=["a", "b", "other"])
    res = DirichletRegression(endog, pd.DataFrame({"Intercept": 1.0, "x": x})).fit()
    assert res.pvalues.min() < 1e-6  # the slope of a is far from zero
    lines = res.summary().splitlines()
    header = next(line for line in lines if "P>|z|" in line)
    end = header.index("P>|z|") + len("P>|z|")
    cells = [
        line[end - 8 : end].strip()
        for line in lines
        if line.startswith(("Intercept", "x ")) and len(line) >= end
    ]
    assert len(cells) == len(res.params)
    assert "0.000" not in cells and "< 0.001" in cells


# ----------------------------------------------------------------------------
# the reference list
# ----------------------------------------------------------------------------
#: The publications as published (journal, volume(issue), pages; or publisher), keyed by
#: first author and year: each reference of the report must carry exactly these.
PUBLISHED = {
    ("Sabnis", 2013): "*Journal of Marketing*, 77(1), 52–67",
    ("Maier", 2014): "Research Report Series, Report 125, Institute for Statistics and Mathematics",
    ("Cinelli", 2020): "*Journal of the Royal Statistical Society: Series B*, 82(1), 39–67",
    ("Heckman", 1979): "*Econometrica*, 47(1), 153–161",
    ("Papke", 1996): "*Journal of Applied Econometrics*, 11(6), 619–632",
    ("Podsakoff", 2003): "*Journal of Applied Psychology*, 88(5), 879–903",
    ("Lindell", 2001): "*Journal of Applied Psychology*, 86(1), 114–121",
    ("Carroll", 2006): "(2nd ed.). Chapman & Hall/CRC",
    ("Johnson", 1936): "*Statistical Research Memoirs*, 1, 57–93",
    ("Blair", 2019): "*American Political Science Review*, 113(3), 838–859",
    ("Williams", 2010): "*Organizational Research Methods*, 13(3), 477–514",
    ("Wooldridge", 2015): "*Journal of Human Resources*, 50(2), 420–445",
    ("Ai", 2003): "*Economics Letters*, 80(1), 123–129",
    ("Zellner", 1962): "*Journal of the American Statistical Association*, 57(298), 348–368",
}


def test_references_carry_the_published_volume_issue_and_pages():
    from leadblackhole.reporting.report_references import REFERENCES

    refs = [ref for _, ref in REFERENCES]
    for (author, year), where in PUBLISHED.items():
        (ref,) = [r for r in refs if r.startswith(f"{author}, ") and f"({year})" in r]
        assert where in ref, (author, year)
    # alphabetical by first author, every entry "Authors (year). Title. Source."
    assert refs == sorted(refs, key=lambda r: r.split(",")[0])
    assert all(re.match(r"^[A-Z][^()]+ \((19|20)\d\d\)\. .+\.", r) for r in refs)


def test_every_citation_of_a_report_text_has_its_reference():
    """Author-year citations in the text are in the list, with the same year."""
    from leadblackhole.reporting.report_references import cited_references

    text = (
        "Sabnis, Chatterjee, Grewal & Lilien (2013) ... Ai & Norton 2003 ... "
        "(Cinelli & Hazlett 2020) ... by a design diagnosis, Blair, Cooper, Coppock & "
        "Humphreys 2019. OLS, HC3; fractional logit, HC0 sandwich; systemfit's default. "
        "Cook's distance on the OLS model."
    )
    listed = cited_references(text)
    for author, year in citations(text):
        assert any(r.startswith(f"{author}, ") and f"({year})" in r for r in listed), author
    firsts = {r.split(",")[0] for r in listed}
    assert {"MacKinnon", "White", "Henningsen", "Cook", "Blair", "Cinelli"} <= firsts
