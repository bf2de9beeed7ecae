"""run_hypotheses reports its steps on a progress bar (standard error) when asked."""

from __future__ import annotations

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import run_hypotheses
from leadblackhole.models import fit_share_model


def test_progress_bar_names_the_steps(default_survey, capsys):
    frame = build_analysis_frame(validate_survey(default_survey.iloc[::3].reset_index(drop=True)))
    res = fit_share_model(frame, "dirichlet")
    quiet = run_hypotheses(frame, res, firm_checks=False, jn_grid=11, progress=False)
    assert "Effects" not in capsys.readouterr().err
    shown = run_hypotheses(frame, res, firm_checks=False, jn_grid=11, progress=True)
    err = capsys.readouterr().err
    assert "Effects" in err and "Johnson-Neyman" in err
    # the bar does not change the results
    assert shown.hypotheses["estimate"].equals(quiet.hypotheses["estimate"])


def test_run_models_shows_a_bar_over_the_models(default_survey, capsys):
    from leadblackhole.models import run_models

    frame = build_analysis_frame(validate_survey(default_survey.iloc[::3].reset_index(drop=True)))
    quiet = run_models(frame, leave_one_out=False, rounding="none", progress=False)
    assert "Models" not in capsys.readouterr().err
    shown = run_models(frame, leave_one_out=False, rounding="none", progress=True)
    err = capsys.readouterr().err
    assert "Models" in err and "fmlogit" in err
    assert shown.estimates.equals(quiet.estimates)


def test_load_survey_shows_a_bar_over_reading_and_validating(survey_csv, capsys):
    from leadblackhole.data import load_survey

    quiet = load_survey(survey_csv)
    assert "Survey" not in capsys.readouterr().err
    shown = load_survey(survey_csv, progress=True)
    err = capsys.readouterr().err
    assert "Survey" in err and "validating" in err
    assert shown.data.equals(quiet.data)
