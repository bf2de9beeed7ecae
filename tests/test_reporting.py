"""Atomic outputs, the provenance manifest and the report assembly."""

from __future__ import annotations

import hashlib
import json
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from leadblackhole.outputs import OutputSet, atomic_write_text  # noqa: E402
from leadblackhole.reporting.manifest import (  # noqa: E402
    ManifestError,
    build_manifest,
    record_provenance,
    sha256,
)
from leadblackhole.reporting.replication_report import build_report  # noqa: E402
from leadblackhole.reporting.report_format import format_table  # noqa: E402
from leadblackhole.reporting.report_sentences import hypothesis_sentences  # noqa: E402


def test_output_set_writes_all_or_nothing(tmp_path):
    out = OutputSet(tmp_path / "o")
    out.add_table("t", pd.DataFrame({"a": [1.5, 2.0]}))
    with pytest.raises(ValueError, match="unknown table format 'xls'"):
        out.add_table("u", pd.DataFrame({"a": [1]}), formats=("xls",))
    assert not (tmp_path / "o").exists()
    paths = out.commit()
    assert sorted(paths) == ["t.csv", "t.md", "t.tex"]
    assert (tmp_path / "o" / "t.csv").read_text() == "a\n1.5\n2\n"


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    atomic_write_text(tmp_path / "x.txt", "hello\n")
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_manifest_is_deterministic_and_path_free(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.csv").write_text("a\n1\n")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "out.csv").write_text("b\n2\n")
    record_provenance(
        "results",
        "fit",
        ["fit", "data/in.csv", "--out", "results"],
        inputs=["data/in.csv"],
        outputs=["results/out.csv"],
        seed=7,
    )
    first = build_manifest("results").read_bytes()
    second = build_manifest("results").read_bytes()
    assert first == second
    m = json.loads(first)
    assert m["files"]["results/out.csv"]["sha256"] == hashlib.sha256(b"b\n2\n").hexdigest()
    assert m["files"]["results/out.csv"]["command"] == "leadblackhole fit data/in.csv --out results"
    assert m["files"]["results/out.csv"]["seed"] == 7
    assert m["steps"][0]["inputs"] == {"data/in.csv": sha256("data/in.csv")}
    assert {"python", "numpy", "leadblackhole"} <= set(m["versions"])
    assert str(tmp_path) not in first.decode()


def test_report_assembles_tables_and_embeds_figures(tmp_path):
    res, figs = tmp_path / "results", tmp_path / "figures"
    (res / "models").mkdir(parents=True)
    figs.mkdir()
    (res / "validation.md").write_text("rows read: 10\n")
    (res / "models" / "regression_table.md").write_text("| a | b |\n|---|---|\n| 1 | 2 |\n")
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    fig.savefig(figs / "effects.png")
    plt.close(fig)
    out = build_report(res, figs)
    out.commit()
    md = (res / "report.md").read_text()
    html = (res / "report.html").read_text()
    assert "## Models" in md and "| 1 | 2 |" in md
    assert "](../figures/effects.png)" in md
    # the measurement tables are missing here, and the report says so
    assert "## Not produced" in md and "measurement/cfa_fit" in md
    assert "<table>" in html and "data:image/png;base64," in html
    assert "@media print" in html


def test_report_escapes_labels_from_the_data(tmp_path):
    """A firm label with Markdown and HTML in it shows as text in both reports."""
    res, figs = tmp_path / "results", tmp_path / "figures"
    (res / "measurement").mkdir(parents=True)
    figs.mkdir()
    evil = "<script>alert(1)</script>|*x*"
    pd.DataFrame(
        {
            "group": ["all", evil],
            "variable": ["prequal", "prequal"],
            "n": [10.0, 5.0],
            "mean": [4.0, 4.1],
            "sd": [1.0, 1.2],
            "min": [1.0, 2.0],
            "max": [7.0, 6.0],
        }
    ).to_csv(res / "measurement" / "descriptives.csv", index=False)
    build_report(res, figs).commit()
    md = (res / "report.md").read_text()
    html = (res / "report.html").read_text()
    # inert in a viewer that renders HTML in Markdown, and the cell cannot break the table
    assert r"&lt;script&gt;alert(1)&lt;/script&gt;\|\*x\*" in md and "<script>" not in md
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;|*x*" in html
    # counts as integers, ordinary numbers in fixed notation
    assert "| all | prequal | 10 | 4.000 | 1.000 | 1.000 | 7.000 |" in md


def test_format_table_p_values_df_and_headers():
    df = pd.DataFrame(
        {
            "test": ["a", "b"],
            "df": [3.0, 1.0],
            "statistic": [12345.678, 1e-7],
            "p_value": [1e-12, 0.04],
        }
    )
    text = format_table(df)
    assert text.splitlines()[0] == "| Test | df | Statistic | p |"
    assert "| a | 3 | 12,345.7 | < 0.001 |" in text
    assert "| b | 1 | 0.000 | 0.040 |" in text
    assert "e-" not in text and "e+" not in text


def test_hypothesis_sentences_scale_effects_to_one_sd():
    """Per-SD effect = per-unit effect x SD (x SD of the moderator), in percentage points."""
    table = pd.DataFrame(
        [
            # H1: 0.05 per scale point, SD 1.2 -> 6.0 pp; interval 0.04..0.06 -> 4.8..7.2
            ["H1", "dirichlet", 0.05, 0.0051021, 1e-20, 0.04, 0.06, True],
            # H7: -0.004 per unit x unit, SD(tracking) 1.0, SD(experience) 5 -> -2.0 pp
            ["H7", "dirichlet", -0.004, 0.00081634, 0.2, -0.0056, -0.0024, False],
        ],
        columns=[
            "id",
            "model",
            "estimate",
            "std_error",
            "p_value",
            "conf_low",
            "conf_high",
            "supported",
        ],
    )
    sd = {"prequal": 1.2, "tracking": 1.0, "experience": 5.0}
    h1, h7 = hypothesis_sentences(table, sd)
    assert "raises the share of time on marketing leads by 6.0 percentage points" in h1
    assert "(95% CI 4.8 to 7.2; H1 supported)" in h1
    assert "falls by 2.0 percentage points (95% CI 1.2 to 2.8; H7 not supported" in h7


def test_output_set_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    out = OutputSet(tmp_path / "o")
    out.add_text("a.txt", "a")
    out.add_text("b.txt", "b")
    import leadblackhole.outputs as io_mod
    from leadblackhole.exceptions import OutputError

    real = io_mod._write_file  # the one place files are written
    calls = {"n": 0}

    def flaky(path, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(path, data)

    monkeypatch.setattr(io_mod, "_write_file", flaky)
    with pytest.raises(OutputError, match="disk full"):
        out.commit()
    assert not (tmp_path / "o").exists()
    assert [p.name for p in tmp_path.iterdir()] == [".o.lock"]  # no temporary folder left


def test_markdown_tables_show_missing_values_as_blank():
    from leadblackhole.tables_text import table_to_markdown

    text = table_to_markdown(pd.DataFrame({"a": [1.0, float("nan")]}))
    assert "nan" not in text


def test_outputs_get_ordinary_permissions(tmp_path):
    import os
    import stat

    mask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "a")
        out = OutputSet(tmp_path)
        out.add_text("b.txt", "b")
        out.commit()
    finally:
        os.umask(mask)
    for name in ("a.txt", "b.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_tex_escape_does_not_escape_its_own_escapes():
    from leadblackhole.tables_text import tex_escape

    # by hand: each special character replaced once; the braces of \textbackslash{} stay
    assert tex_escape("a\\b {x} \u22120.1 < 5% & _") == (
        r"a\textbackslash{}b \{x\} $-$0.1 \textless{} 5\% \& \_"
    )


def _record(step, outputs, data=None, inputs=()):
    return record_provenance(
        "results", step, [step], inputs=list(inputs), outputs=outputs, seed=None, data=data
    )


def test_manifest_refuses_without_records(tmp_path, monkeypatch, capsys):
    from leadblackhole import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    with pytest.raises(ManifestError, match="no provenance records"):
        build_manifest("results")
    assert cli.main(["manifest", "--results", "results"]) == 2
    assert "no provenance records" in capsys.readouterr().err
    assert not (tmp_path / "results" / "manifest.json").exists()


def test_manifest_keeps_only_the_run_on_one_survey(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sim.csv").write_text("simulated\n")
    (tmp_path / "data" / "own.csv").write_text("own\n")
    (tmp_path / "results" / "fit.csv").write_text("fit\n")
    (tmp_path / "results" / "val.md").write_text("val\n")
    _record("data", ["data/sim.csv"])  # simulated, then the own survey analysed
    _record("validate", ["results/val.md"], data="data/own.csv")
    _record("fit", ["results/fit.csv"], data="data/own.csv")
    (tmp_path / "results" / ".settings").write_text("DATA=data/own.csv\nSEED=3\n")
    m = json.loads(build_manifest("results").read_text())
    assert [s["step"] for s in m["steps"]] == ["fit", "validate"]
    assert set(m["files"]) == {"results/fit.csv", "results/val.md"}
    assert m["settings"] == {"DATA": "data/own.csv", "SEED": "3"}
    assert m["survey_sha256"] == sha256("data/own.csv")
    # a step left from a run on another survey: refused
    _record("fit", ["results/fit.csv"], data="data/sim.csv")
    with pytest.raises(ManifestError, match="different survey files"):
        build_manifest("results")


def test_manifest_refuses_changed_or_missing_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    out = tmp_path / "results" / "fit.csv"
    out.write_text("fit\n")
    _record("fit", ["results/fit.csv"])
    out.write_text("edited by hand\n")
    with pytest.raises(ManifestError, match="changed after the fit step"):
        build_manifest("results")
    out.unlink()
    with pytest.raises(ManifestError, match="missing"):
        build_manifest("results")


# ----------------------------------------------------------------------------
# report.html as a browser shows it
# ----------------------------------------------------------------------------
class _Cells(__import__("html.parser").parser.HTMLParser):
    """Every table cell of an HTML page: (table index, column, tag, style, text)."""

    def __init__(self):
        super().__init__()
        self.cells, self.images, self.table, self.col, self.cell = [], [], -1, 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.table += 1
        elif tag == "tr":
            self.col = 0
        elif tag in ("td", "th"):
            self.cell = [self.table, self.col, tag, attrs.get("style") or "", ""]
        elif tag == "img":
            self.images.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.cells.append(tuple(self.cell))
            self.cell, self.col = None, self.col + 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[4] += data


def _report_with_tables(tmp_path):
    """A report over a comparison table with ``< 0.001``, a file name, a nested list, a figure."""
    from leadblackhole.reporting.tables import comparison_markdown

    res, figs = tmp_path / "results", tmp_path / "figures"
    (res / "models").mkdir(parents=True)
    figs.mkdir()
    (res / "validation.md").write_text(
        "Survey file: field\\_survey\\_2025.dta.\n\n- rows read: 10\n- excluded: 2\n"
        "  - missing firm: 1\n  - 100% other work: 1\n"
    )
    comparison = pd.DataFrame(
        {
            "id": ["H1", "H2"],
            "published_finding": ["Better leads, more time.", "Less self-generated time."],
            "expected_sign": ["+", "−"],
            "estimate": [0.0263, -0.01],
            "conf_low": [0.0166, -0.02],
            "conf_high": [0.036, 0.0],
            "p_value": [1e-6, 0.04],
            "result": ["supported", "supported"],
            "agrees": ["yes", "yes"],
        }
    )
    (res / "models" / "hypotheses_vs_published.md").write_text(comparison_markdown(comparison))
    (res / "models" / "data_source.json").write_text(
        json.dumps({"survey": "field_survey_2025.dta", "simulated": False})
    )
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    fig.savefig(figs / "effects.png")
    plt.close(fig)
    build_report(res, figs).commit()
    return res


def test_report_html_shows_each_entity_once_and_keeps_nested_lists(tmp_path):
    res = _report_with_tables(tmp_path)
    html = (res / "report.html").read_text()
    assert "&amp;lt;" not in html and "&amp;gt;" not in html and "&amp;amp;" not in html
    parsed = _Cells()
    parsed.feed(html)  # the parser resolves entities, as a browser does
    p_cells = [c[4] for c in parsed.cells if c[4].strip().startswith("<")]
    assert p_cells == ["< 0.001"]
    # file names are not backslash-escaped, in the text or in the validation summary
    assert "\\_" not in html and "field_survey_2025.dta" in html
    # the exclusion reasons stay nested under their line
    assert re.search(r"<li>excluded: 2\s*<ul>\s*<li>missing firm: 1</li>", html)


def test_report_html_aligns_text_left_and_numbers_right(tmp_path):
    res = _report_with_tables(tmp_path)
    parsed = _Cells()
    parsed.feed((res / "report.html").read_text())
    css = re.search(r"th, td \{[^}]*\}", (res / "report.html").read_text()).group(0)
    assert "text-align: left" in css
    table = [c for c in parsed.cells if c[0] == 0]
    by_header = {c[1]: c[4] for c in table if c[2] == "th"}
    for _, col, tag, style, text in table:
        header = by_header[col]
        if tag == "td" and header in ("published finding", "result", "agrees", "id"):
            assert "right" not in style, (header, text)
        if tag == "td" and header == "p":
            assert "text-align: right" in style


def test_every_figure_the_report_references_exists(tmp_path):
    res = _report_with_tables(tmp_path)
    md = (res / "report.md").read_text()
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert refs and all((res / ref).is_file() for ref in refs)
    parsed = _Cells()
    parsed.feed((res / "report.html").read_text())
    assert len(parsed.images) == len(refs)
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)


def test_standalone_tables_print_small_p_values_as_less_than():
    from leadblackhole.tables_text import table_to_latex, table_to_markdown

    df = pd.DataFrame({"check": ["a", "b"], "p_value": [1e-9, 0.25]})
    md = table_to_markdown(df)
    assert "< 0.001" in md and "0.000" not in md and "0.250" in md
    assert r"\textless{} 0.001" in table_to_latex(df)
    long = pd.DataFrame({"index": ["chi2", "pvalue"], "value": [12.5, 1e-12]})
    assert "< 0.001" in table_to_markdown(long) and "12.500" in table_to_markdown(long)


def test_report_ends_with_the_references_its_text_cites(tmp_path):
    from leadblackhole.reporting.report_references import REFERENCES

    res = _report_with_tables(tmp_path)
    md = (res / "report.md").read_text()
    body, refs = md.split("## References", 1)
    assert refs.strip().startswith("- ")
    assert "Sabnis, G., Chatterjee" in refs and "Ai, C., & Norton" in refs
    for pattern, ref in REFERENCES:
        assert (re.search(pattern, body) is not None) == (ref in refs), ref
