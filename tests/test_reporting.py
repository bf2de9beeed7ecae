"""Atomic outputs, the provenance manifest and the report assembly."""

from __future__ import annotations

import hashlib
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from leadblackhole.outputs import OutputSet, atomic_write_text  # noqa: E402
from leadblackhole.reporting.manifest import build_manifest, record_provenance, sha256  # noqa: E402
from leadblackhole.reporting.report import build_report  # noqa: E402


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
    assert "## Main results" in md and "| 1 | 2 |" in md
    assert "](../figures/effects.png)" in md
    assert "_Not produced._" in md  # the measurement tables are missing here
    assert "<table>" in html and "data:image/png;base64," in html


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
    from leadblackhole.outputs import table_to_markdown

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
    from leadblackhole.outputs import tex_escape

    # by hand: each special character replaced once; the braces of \textbackslash{} stay
    assert tex_escape("a\\b {x} \u22120.1 < 5% & _") == (
        r"a\textbackslash{}b \{x\} $-$0.1 \textless{} 5\% \& \_"
    )
