"""The command line: outputs, exit codes and messages."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.cli_options import COMMAND_TABLE

from .conftest import write_csv


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leadblackhole.cli", *args], cwd=cwd, capture_output=True, text=True
    )


def test_simulate_same_seed_same_bytes(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert cli.main(["simulate", "--seed", "7", "--out", str(a)]) == 0
    assert cli.main(["simulate", "--seed", "7", "--out", str(b)]) == 0
    assert cli.main(["simulate", "--seed", "8", "--out", str(c)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_default_output_validates(tmp_path, capsys):
    proc = run("simulate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "data" / "simulated" / "reps.csv"
    assert out.is_file()
    assert cli.main(["validate", str(out)]) == 0
    text = capsys.readouterr().out
    assert "analysable reps: 461" in text and "firms: 4 (A, B, C, D)" in text


def test_validate_reports_excluded_reps(tmp_path, capsys):
    path = tmp_path / "s.csv"
    assert (
        cli.main(
            [
                "simulate",
                "--n-zero-marketing",
                "12",
                "--firms",
                "3",
                "--out",
                str(path),
                "--truth",
                str(tmp_path / "truth.csv"),
            ]
        )
        == 0
    )
    assert cli.main(["validate", str(path)]) == 0
    text = capsys.readouterr().out
    assert "rows read: 473" in text and "analysable reps: 461" in text
    assert "12  no time on marketing leads (pct_marketing = 0)" in text
    truth = pd.read_csv(tmp_path / "truth.csv")
    assert list(truth["id"]) == [
        "H1",
        "H2",
        "H3",
        "H4",
        "H5",
        "H6",
        "H7",
        "H8",
        "H9",
        "H10",
        "H11",
        "E1",
    ]


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("pq_1", "9", "column 'pq_1'"),
        ("lead_volume", "-2", "column 'lead_volume'"),
        ("pct_self", "x", "column 'pct_self'"),
        ("rep_id", "", "column 'rep_id'"),
    ],
)
def test_bad_input_exits_2_without_traceback(tmp_path, default_survey, column, value, match):
    df = default_survey.iloc[::8].reset_index(drop=True).astype(object)
    df.loc[9, column] = value
    path = write_csv(tmp_path, df)
    before = path.read_bytes()
    proc = run("validate", str(path))
    assert proc.returncode == 2
    assert "row 10" in proc.stderr and match in proc.stderr
    assert "Traceback" not in proc.stderr
    assert path.read_bytes() == before


def test_bad_codebook_and_arguments_exit_2(tmp_path, survey_csv):
    cb = tmp_path / "cb.toml"
    cb.write_text("[columns]\nfirm = 'Company'\n")
    proc = run("validate", str(survey_csv), "--codebook", str(cb))
    assert proc.returncode == 2 and "Company" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("simulate", "--seed", "minus")
    assert proc.returncode == 2 and "expected a whole number" in proc.stderr
    proc = run("validate")
    assert proc.returncode == 2 and "required" in proc.stderr
    proc = run("simulate", "--firms", "1")
    assert proc.returncode == 2 and "at least 2 firms" in proc.stderr


def test_internal_error_exits_1(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("kaboom")

    monkeypatch.setitem(cli.COMMANDS, "validate", boom)
    assert cli.main(["validate", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom" in err and "Traceback" not in err
    assert cli.main(["--debug", "validate", "x.csv"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_notebook_command_missing_file_exits_2(tmp_path, capsys):
    assert (
        cli.main(["notebook", str(tmp_path / "none.ipynb"), "--out", str(tmp_path / "o.ipynb")])
        == 2
    )
    assert "notebook none.ipynb not found" in capsys.readouterr().err


def test_negative_numbers_are_rejected(capsys):
    assert cli.main(["simulate", "--n-reps=-3"]) == 2
    assert "expected a number >= 0" in capsys.readouterr().err


def test_too_few_reps_are_rejected_at_once(capsys):
    assert cli.main(["simulate", "--n-reps", "20"]) == 2
    assert "expected at least 30 reps, got 20" in capsys.readouterr().err


def test_options_accept_the_equals_form(tmp_path, monkeypatch):
    # `--provenance=DIR` before the command and `--opt=value` after it
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--provenance=prov", "simulate", "--seed=3", "--out=a.csv"]) == 0
    assert cli.main(["--provenance", "prov", "simulate", "--seed", "3", "--out", "b.csv"]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    records = sorted((tmp_path / "prov" / "provenance").glob("*.json"))
    assert records
    # the recorded command is the step's own arguments, without --provenance
    assert "--provenance" not in records[0].read_text()
    assert cli._command_argv(["--provenance=x", "--debug", "fit", "a"]) == ["fit", "a"]
    assert cli._command_argv(["--provenance", "x", "fit", "--out=o"]) == ["fit", "--out=o"]


def test_notebook_command_without_its_extras_says_what_to_install(tmp_path, monkeypatch, capsys):
    # a non-dev install has no nbformat: exit 2 with the install hint, not an internal error
    nb = tmp_path / "n.ipynb"
    nb.write_text("{}")
    monkeypatch.setitem(sys.modules, "nbformat", None)
    assert cli.main(["notebook", str(nb), "--out", str(tmp_path / "o.ipynb")]) == 2
    err = capsys.readouterr().err
    assert "needs nbformat and nbclient" in err and "leadblackhole[dev]" in err


def test_figures_need_the_fits_of_the_same_survey(tmp_path, survey_csv, capsys):
    out = tmp_path / "fig"
    assert cli.main(["figures", str(survey_csv), "--fits", str(tmp_path / "no.json")]) == 2
    assert "run `leadblackhole fit` first" in capsys.readouterr().err
    models = tmp_path / "models"
    assert cli.main(["fit", str(survey_csv), "--out", str(models)]) == 0
    other = tmp_path / "other.csv"
    other.write_bytes(survey_csv.read_bytes() + b"\n")
    fits = str(models / "fits.json")
    assert cli.main(["figures", str(other), "--fits", fits, "--out", str(out)]) == 2
    assert "made from another survey file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"not json")
    assert cli.main(["figures", str(survey_csv), "--fits", str(bad), "--out", str(out)]) == 2
    assert "is not a fit artifact (not JSON" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("var", ["LEADBLACKHOLE_BLAS_THREADS"])
@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_thread_count_exits_2(monkeypatch, capsys, var, value):
    monkeypatch.setenv(var, value)
    assert cli.main(["simulate", "--help-not-an-option"]) == 2
    err = capsys.readouterr().err
    assert f"{var} must be a whole number of at least 1" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("value", "expected"), [(None, 1), ("", 1), ("2", 2)])
def test_the_command_line_limits_blas_threads(monkeypatch, value, expected):
    from threadpoolctl import threadpool_info

    if value is None:
        monkeypatch.delenv("LEADBLACKHOLE_BLAS_THREADS", raising=False)
    else:
        monkeypatch.setenv("LEADBLACKHOLE_BLAS_THREADS", value)
    seen = []
    monkeypatch.setitem(
        cli.COMMANDS,
        "manifest",
        lambda args: (
            seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas") or 0
        ),
    )
    assert cli.main(["manifest"]) == 0
    assert [i for i in threadpool_info() if i["user_api"] == "blas"], "numpy's BLAS is loaded"
    # the command's limit whatever the process had (make test exports OPENBLAS_NUM_THREADS=1)
    assert seen and set(seen) == {expected}


def test_a_command_without_its_survey_prints_its_usage(capsys):
    assert cli.main(["fit"]) == 2
    err = capsys.readouterr().err
    assert "the following arguments are required: path" in err
    assert "usage: leadblackhole fit [-h]" in err and "leadblackhole fit --help" in err


@pytest.mark.parametrize("command", [c.name for c in COMMAND_TABLE])
def test_every_command_help_has_a_description_and_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    spec = next(c for c in COMMAND_TABLE if c.name == command)
    assert spec.description and spec.description.split()[0] in out
    example = out.split("example:\n", 1)[1]
    assert example.strip().startswith(f"leadblackhole {command}")
    # the example parses: every option it uses exists
    from leadblackhole.cli_options import build_parser

    for line in spec.example.splitlines():
        build_parser().parse_args(line.split()[1:])
