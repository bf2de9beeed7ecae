"""The allocate command: policy differences on every run, any fitted model, the control function.

The estimators behind the files are tested in test_allocation.py and
test_allocation_honest.py; here the command is checked against the same
computation in Python, and the choice of model against the fits it reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.allocation import allocate
from leadblackhole.allocation.evaluate import DIFFERENCE_COLUMNS
from leadblackhole.data import attach_extra_columns, build_analysis_frame, load_survey
from leadblackhole.exceptions import AllocationError
from leadblackhole.models import fit_share_model, registered_models
from leadblackhole.pipeline import allocation_model, alternative_model, main_model
from leadblackhole.reporting.allocation import plot_black_hole
from leadblackhole.reporting.artifacts import FitArtifact
from leadblackhole.simulation import StudyDesign, simulate

from .conftest import write_csv

ARGS = ["--draws", "12", "--seed", "4", "--scenario", "baseline", "no_tracking_top"]


@pytest.fixture(scope="module")
def fitted_csv(tmp_path_factory):
    """A survey as a file, its frame, and the main model and two others fitted.

    30 reps give marketing leads no time, as in the pipeline's survey, so the
    probit of any marketing-lead time (a model without a marketing share) is fitted.
    """
    survey = simulate(StudyDesign(n_zero_marketing=30), seed=3).survey
    path = write_csv(tmp_path_factory.mktemp("wiring"), survey)
    frame = build_analysis_frame(load_survey(path))
    main = main_model(frame)
    fits = {name: fit_share_model(frame, name) for name in (main, "fmlogit", "probit")}
    assert fits["probit"] is not None and fits["probit"].link is None
    return path, frame, fits


def _save(tmp_path, path, frame, fits):
    """The fit artifact of ``fits`` (share models an artifact holds) for the survey ``path``."""
    kept = {name: res for name, res in fits.items() if name != "probit"}
    return FitArtifact.from_fit(kept, None, path, frame).save(tmp_path / "models")


def test_every_run_writes_the_differences_and_both_gains(fitted_csv, tmp_path, capsys):
    path, frame, fits = fitted_csv
    main = main_model(frame, fits)
    saved = _save(tmp_path, path, frame, {main: fits[main]})
    out = tmp_path / "a"
    args = ["allocate", str(path), "--fits", str(saved), "--out", str(out), *ARGS]
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    assert f"model: the {main} fit saved in {saved} (the main model)" in text
    assert "honest" in text and "naive" in text
    expected = allocate(
        fits[main],
        frame,
        policies=["observed", "equal", "score", "optimal"],
        scenarios=["baseline", "no_tracking_top"],
        n_draws=12,
        seed=4,
    )
    diff = pd.read_csv(out / "policy_differences.csv")
    assert tuple(diff.columns) == (*DIFFERENCE_COLUMNS, "data_source")
    diff = diff.drop(columns="data_source")
    pd.testing.assert_frame_equal(diff, expected.differences, rtol=1e-8, check_dtype=False)
    pol = pd.read_csv(out / "policies.csv")
    for col in ("naive_gain", "honest_gain", "honest_gain_low", "honest_gain_high"):
        np.testing.assert_allclose(pol[col], expected.policies[col], rtol=1e-8, atol=1e-12)
    # the optimal policy's honest gain differs from its naive one (the correction is applied)
    opt = pol[pol["policy"] == "optimal"]
    assert (opt["honest_gain"] != opt["naive_gain"]).all()
    report = (out / "assumptions.txt").read_text()
    assert report.startswith(f"model: the {main} fit saved in {saved} (the main model)")
    assert "honest" in report
    # one policy and another budget (no observed allocation): still written, against equal
    one = tmp_path / "b"
    more = ["--policy", "score", "--leads", "12000", *ARGS]
    assert cli.main([*args[:4], "--out", str(one), *more]) == 0
    diff = pd.read_csv(one / "policy_differences.csv")
    assert set(diff["policy"]) == {"score"} and set(diff["versus"]) == {"equal"}


def test_model_option_reads_that_model(fitted_csv, tmp_path, capsys):
    path, frame, fits = fitted_csv
    saved = _save(tmp_path, path, frame, fits)
    out = tmp_path / "a"
    args = ["allocate", str(path), "--fits", str(saved), "--out", str(out), *ARGS]
    assert cli.main([*args, "--policy", "equal", "--model", "fmlogit"]) == 0
    assert f"model: the fmlogit fit saved in {saved} (--model)" in capsys.readouterr().out
    expected = allocate(
        fits["fmlogit"],
        frame,
        policies=["equal"],
        scenarios=["baseline", "no_tracking_top"],
        n_draws=12,
        seed=4,
    )
    pol = pd.read_csv(out / "policies.csv")
    np.testing.assert_allclose(
        pol["black_hole_rate"], expected.policies["black_hole_rate"], rtol=1e-9
    )
    main = main_model(frame, fits)
    other = allocate(fits[main], frame, policies=["equal"], scenarios=["baseline"], n_draws=0)
    # the main model's black hole differs (by about 1e-5 on this survey: both models fit the
    # mean shares well), far beyond the CSV's 10 significant digits: the option is not ignored
    assert abs(pol["black_hole_rate"].iloc[0] - other.policies["black_hole_rate"].iloc[0]) > 1e-7


@pytest.mark.parametrize(
    "model, saved, message",
    [
        ("nope", True, "unknown model 'nope' for the allocation; the saved fit holds"),
        ("probit", True, "unknown model 'probit' for the allocation; the saved fit holds"),
        ("probit", False, "the probit model has no mean-share link"),  # fitted now
    ],
)
def test_bad_model_exits_2_and_writes_nothing(fitted_csv, tmp_path, capsys, model, saved, message):
    path, frame, fits = fitted_csv
    out = tmp_path / "a"
    args = ["allocate", str(path), "--out", str(out), "--model", model]
    if saved:  # a fit artifact holds share models only (no probit)
        args += ["--fits", str(_save(tmp_path, path, frame, fits))]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_model_without_a_saved_fit(fitted_csv, tmp_path, capsys):
    path, frame, fits = fitted_csv
    args = ["allocate", str(path), "--out", str(tmp_path / "a")]  # no --fits: no saved fit
    assert cli.main([*args, "--model", "not_a_model"]) == 2
    assert "expected one of" in capsys.readouterr().err
    with pytest.raises(AllocationError, match="unknown model 'x' for the allocation; expected"):
        allocation_model(frame, None, "x")
    fitted = allocation_model(frame, None, "fmlogit")
    assert not fitted.saved and fitted.name == "fmlogit" and "fmlogit" in registered_models()
    np.testing.assert_allclose(fitted.results.mean_coef, fits["fmlogit"].mean_coef)


@pytest.fixture(scope="module")
def iv_fits(tmp_path_factory):
    """A survey with an instrument of lead volume; the main model and its control-function fit."""
    design = StudyDesign(volume_confounding=0.3, instrument_strength=0.5)
    survey = simulate(design, seed=3).survey
    path = write_csv(tmp_path_factory.mktemp("iv"), survey)
    # the command reads the survey without the instrument: the control-function model's
    # first-stage residual comes from the model's own design (docs/allocation.md)
    frame = build_analysis_frame(load_survey(path))
    extra = ["campaign_budget"]
    with_iv = load_survey(path, extra_columns=extra)
    iv_frame = attach_extra_columns(build_analysis_frame(with_iv), with_iv, extra)
    main = main_model(frame)
    fits = {
        main: fit_share_model(frame, main),
        main + "_cf": fit_share_model(iv_frame, main + "_cf", instruments=extra),
    }
    return path, frame, main, fits


def test_pipeline_names_the_other_model_of_the_pair(iv_fits, fitted_csv):
    _, frame, main, fits = iv_fits
    assert alternative_model(frame, fits, main).name == main + "_cf"
    assert alternative_model(frame, fits, main + "_cf").name == main
    assert alternative_model(frame, None, main) is None
    _, frame0, fits0 = fitted_csv  # no control-function model in the fit
    assert alternative_model(frame0, fits0, main_model(frame0, fits0)) is None
    assert alternative_model(frame0, fits0, "fmlogit") is None


@pytest.mark.parametrize("use_cf", [False, True])
def test_report_says_what_the_other_model_gives(iv_fits, tmp_path, capsys, use_cf):
    path, frame, main, fits = iv_fits
    saved = _save(tmp_path, path, frame, fits)
    used, other = (main + "_cf", main) if use_cf else (main, main + "_cf")
    out = tmp_path / "a"
    args = ["allocate", str(path), "--fits", str(saved), "--out", str(out), "--draws", "8"]
    args += ["--scenario", "baseline", "--policy", "optimal", "--seed", "2"]
    assert cli.main(args + (["--model", used] if use_cf else [])) == 0
    capsys.readouterr()
    report = (out / "assumptions.txt").read_text()
    role = "--model" if use_cf else "the main model"
    assert report.startswith(f"model: the {used} fit saved in {saved} ({role})")
    assert f"with {other} instead" in report
    alt = allocate(
        fits[other], frame, policies=["optimal"], scenarios=["baseline"], n_draws=8, seed=2
    )
    row = alt.policies.iloc[0]
    lines = report.splitlines()
    line = lines[next(k for k, x in enumerate(lines) if x.startswith(f"with {other} instead")) + 1]
    assert f"black hole {row.black_hole_rate:6.1%}" in line
    assert f"honest gain {100 * row.honest_gain:5.2f}" in line
    own = pd.read_csv(out / "policies.csv")
    assert own["black_hole_rate"].iloc[0] != pytest.approx(row.black_hole_rate, abs=1e-6)


def test_figure_shows_the_honest_gain_and_the_naive_one():
    pol = pd.DataFrame(
        {
            "policy": ["equal", "optimal"],
            "scenario": ["baseline", "baseline"],
            "black_hole_rate": [0.70, 0.68],
            "black_hole_low": [0.69, 0.66],
            "black_hole_high": [0.71, 0.70],
            "naive_gain": [0.0, 0.02],
            "honest_gain": [0.0, 0.012],
            "honest_gain_low": [0.0, 0.002],
            "honest_gain_high": [0.0, 0.022],
        }
    )
    fig = plot_black_hole(pol)
    assert len(fig.axes) == 2
    gx = fig.axes[1]
    np.testing.assert_allclose(gx.lines[0].get_xdata(), [0.0, 1.2])  # honest, in points
    np.testing.assert_allclose(gx.lines[1].get_xdata(), [0.0, 2.0])  # naive, open markers
    segments = gx.collections[0].get_segments()
    np.testing.assert_allclose(segments[1][:, 0], [0.2, 2.2])
    # without the gain columns, one panel as before
    assert len(plot_black_hole(pol.iloc[:, :5]).axes) == 1


def test_draws_of_a_control_function_model_keep_its_singular_covariance(iv_fits):
    from leadblackhole.allocation import draw_params

    _, _, main, fits = iv_fits
    cf = fits[main + "_cf"]
    cov = cf.mean_cov.to_numpy(float)
    w, v = np.linalg.eigh(cov)
    assert w[0] < 1e-12 * w[-1]  # singular: the plain Cholesky factor does not exist
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(cov)
    draws = draw_params(cf, 4000, seed=1)
    theta = cf.mean_coef.to_numpy(float).T.ravel()
    null = v[:, w < 1e-12 * w[-1]]
    # the draws stay in the covariance's support: no spread along its null directions
    assert np.abs((draws - theta) @ null).max() < 1e-6 * np.sqrt(w[-1])
    # and have its variance along the leading directions (4 000 draws: about 2% sampling error)
    lead = v[:, -5:]
    np.testing.assert_allclose(((draws - theta) @ lead).var(axis=0), w[-5:], rtol=0.1)
    # a positive definite covariance is drawn as before (plain Cholesky, same seed)
    res = fits[main]
    rng = np.random.default_rng(1)
    plain = rng.multivariate_normal(
        res.mean_coef.to_numpy(float).T.ravel(), res.mean_cov.to_numpy(float), size=5,
        method="cholesky",
    )  # fmt: skip
    np.testing.assert_array_equal(draw_params(res, 5, seed=1), plain)


@pytest.mark.slow
def test_docs_study_tables_are_what_the_code_produces():
    """docs/allocation.md's generated block equals the script's output (the commands of make)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "allocation_study_table.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
