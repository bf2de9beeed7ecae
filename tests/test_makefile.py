"""The Makefile rebuilds every output when a setting of the run changes.

The tests run ``make validate`` (the lightest step that reads the survey) in a
temporary folder with two small surveys, through a stand-in for ``.venv``
whose ``leadblackhole`` runs the package under test.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.tables_text import table_to_csv

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


@pytest.fixture()
def workdir(tmp_path):
    """A folder with two surveys and a stand-in virtual environment."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    src = ROOT / "src"
    script = venv / "bin" / "leadblackhole"
    script.write_text(
        f'#!/bin/sh\nPYTHONPATH="{src}${{PYTHONPATH:+:$PYTHONPATH}}" '
        f'exec "{sys.executable}" -m leadblackhole.cli "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (venv / ".installed").write_text("")
    run = tmp_path / "run"
    (run / "data").mkdir(parents=True)
    for name, seed in (("first.csv", 1), ("second.csv", 2)):
        survey, _ = simulate(StudyDesign(n_reps=60), seed=seed)
        (run / "data" / name).write_text(table_to_csv(survey))
    # the stamp of the stand-in environment must be newer than pyproject.toml
    later = (ROOT / "pyproject.toml").stat().st_mtime + 10
    os.utime(venv / ".installed", (later, later))
    return run, venv


def make(run: Path, venv: Path, *args: str) -> str:
    cmd = [MAKE, "--no-print-directory", "-f", str(ROOT / "Makefile"), f"VENV={venv}", *args]
    proc = subprocess.run(cmd, cwd=run, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_switching_data_rebuilds_and_switching_back_too(workdir):
    run, venv = workdir
    validation = run / "results" / "validation.md"
    make(run, venv, "validate", "DATA=data/second.csv")
    assert validation.read_text().startswith("Survey file: second.csv.")
    # first.csv is older than the results: only the settings stamp makes make rebuild
    old = validation.stat().st_mtime - 100
    os.utime(run / "data" / "first.csv", (old, old))
    out = make(run, venv, "validate", "DATA=data/first.csv")
    assert "settings changed" in out
    assert validation.read_text().startswith("Survey file: first.csv.")
    assert "DATA=data/first.csv" in (run / "results" / ".settings").read_text()
    # nothing changed: nothing is rebuilt, and the stamp keeps its time
    stamp = (run / "results" / ".settings").stat().st_mtime_ns
    out = make(run, venv, "validate", "DATA=data/first.csv")
    assert "leadblackhole" not in out
    assert (run / "results" / ".settings").stat().st_mtime_ns == stamp
    # and back, with both surveys older than the results
    out = make(run, venv, "validate", "DATA=data/second.csv")
    assert validation.read_text().startswith("Survey file: second.csv.")
    # another seed also rebuilds (it changes the bootstrap and the simulation)
    out = make(run, venv, "validate", "DATA=data/second.csv", "SEED=5")
    assert "settings changed" in out and "validate" in out


def test_help_lists_the_variables_in_aligned_columns(workdir):
    run, venv = workdir
    out = make(run, venv, "help")
    for var in ("DATA=", "CODEBOOK=", "SEED=", "BOOTSTRAP="):
        assert var in out, var
    lines = [ln for ln in out.splitlines() if ln.startswith("  ")]
    # every description starts in the same column
    starts = {len(ln) - len(ln[2:].split(None, 1)[1]) for ln in lines if len(ln.split()) > 1}
    assert len(starts) == 1, lines


def test_own_data_run_skips_the_simulated_notebooks_and_says_so(workdir):
    run, venv = workdir
    own = make(run, venv, "-n", "pipeline", "DATA=data/first.csv")
    assert "notebooks: not run" in own and " notebook " not in own
    assert " simulate " not in own  # nor draws the simulated survey
    default = make(run, venv, "-n", "pipeline")
    n_notebooks = len(list((ROOT / "notebooks").glob("*.ipynb")))
    assert default.count(" notebook ") == n_notebooks and "--n-zero-marketing 30" in default
    # one BLAS thread for every command
    assert "OPENBLAS_NUM_THREADS := 1" in (ROOT / "Makefile").read_text()


def test_the_default_simulated_study_estimates_the_probit():
    """The Makefile's N_ZERO gives every firm reps with no marketing time at the pipeline's seed.

    With 20 such reps firm D drew none at seed 20130101, the probit's firm effect was
    infinite (quasi-complete separation) and the probit was skipped; 30 give every firm some.
    """
    import re
    import warnings

    from leadblackhole.config import DEFAULT_SEED
    from leadblackhole.data import build_analysis_frame, validate_survey
    from leadblackhole.models import fit_share_model

    text = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    n_zero = int(re.search(r"^N_ZERO\s*\?=\s*(\d+)", text, re.M).group(1))
    survey = simulate(StudyDesign(n_zero_marketing=n_zero), seed=DEFAULT_SEED).survey
    zeros = survey.loc[survey["pct_marketing"] == 0, "firm"].value_counts()
    assert set(zeros.index) == set(survey["firm"]) and zeros.min() >= 3
    frame = build_analysis_frame(validate_survey(survey))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probit = fit_share_model(frame, "probit")
    assert probit.nobs == len(frame.selection)


def test_failed_run_leaves_no_results_of_other_settings(workdir):
    """``make all DATA=bad.csv`` after a good run: the earlier survey's outputs are gone."""
    run, venv = workdir
    make(run, venv, "validate", "DATA=data/first.csv")
    results = run / "results"
    # stand-ins for the rest of the good run's outputs
    (results / "report.html").write_text("<p>the report of first.csv</p>\n")
    (results / "models").mkdir()
    (results / "models" / "hypotheses.csv").write_text("id\nH1\n")
    (run / "figures").mkdir(exist_ok=True)
    (run / "figures" / "effects.png").write_bytes(b"png")
    (results / "diagnosis").mkdir()
    (results / "diagnosis" / "power.csv").write_text("n\n461\n")
    bad = run / "data" / "bad.csv"
    lines = (run / "data" / "first.csv").read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("pq_1")] = "9"  # off the 1-7 scale: validation fails, exit 2
    bad.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    cmd = [MAKE, "--no-print-directory", "-f", str(ROOT / "Makefile"), f"VENV={venv}"]
    proc = subprocess.run(
        [*cmd, "all", "DATA=data/bad.csv"], cwd=run, capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "validate" in proc.stdout and "measure" not in proc.stdout
    assert "DATA=data/bad.csv" in (results / ".settings").read_text()
    for stale in ("validation.md", "report.html", "models/hypotheses.csv"):
        assert not (results / stale).exists(), stale
    assert not (run / "figures" / "effects.png").exists()
    assert (results / "diagnosis" / "power.csv").exists()  # does not depend on the survey
    assert "make all: done" not in proc.stdout


@pytest.mark.slow
def test_make_all_names_the_report_and_says_when_up_to_date(workdir):
    """The last line of ``make all`` names the report; a second ``make all`` says it is up to date."""
    run, venv = workdir
    out = make(run, venv, "all", "DATA=data/first.csv")
    last = out.strip().splitlines()[-1]
    assert last.startswith("make all: done.") and "results/report.html" in last
    again = make(run, venv, "all", "DATA=data/first.csv")
    assert again.strip().splitlines() == [
        "make all: everything is up to date for these settings. The report: results/report.html"
    ]


@pytest.mark.parametrize(("uid", "allow_root"), [("0", True), ("1000", False)])
def test_lab_passes_allow_root_only_as_root(workdir, tmp_path, uid, allow_root):
    run, venv = workdir
    fake = tmp_path / f"bin{uid}"
    fake.mkdir()
    (fake / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fake / "id").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    cmd = [MAKE, "--no-print-directory", "-n", "-f", str(ROOT / "Makefile"), f"VENV={venv}"]
    proc = subprocess.run(
        [*cmd, "lab", "LAB_ARGS=--no-browser --port 8890"],
        cwd=run,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    line = next(ln for ln in proc.stdout.splitlines() if "jupyter lab" in ln)
    assert ("--allow-root" in line) is allow_root
    assert line.endswith("--no-browser --port 8890")


def test_notebooks_extra_has_ipywidgets():
    """tqdm's notebook progress bars need ipywidgets (else: TqdmWarning: IProgress not found)."""
    tomllib = pytest.importorskip("tomllib")

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [r.split(">")[0] for r in meta["optional-dependencies"]["notebooks"]]
    assert "ipywidgets" in names and "jupyterlab" in names
