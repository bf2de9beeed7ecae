"""Extra survey columns (instruments, exclusion variables) and the simulator's draws of them."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from leadblackhole.data import (
    attach_extra_columns,
    build_analysis_frame,
    extra_name_problem,
    load_survey,
    validate_survey,
)
from leadblackhole.data.codebook import parse_codebook
from leadblackhole.exceptions import (
    CodebookError,
    DataWarning,
    DesignError,
    InstrumentError,
    SurveyValidationError,
)
from leadblackhole.simulation import StudyDesign, draw_study, simulate
from tests.conftest import write_csv

IV_DESIGN = StudyDesign(volume_routing=0.3, volume_confounding=0.3, instrument_strength=0.5)
SEL_DESIGN = StudyDesign(
    n_zero_marketing=100,
    selection_coef={"performance": -0.5},
    selection_rho=0.5,
    selection_exclusion=1.0,
)


@pytest.fixture(scope="module")
def iv_survey():
    return simulate(IV_DESIGN, seed=3).survey


# -- the simulator ---------------------------------------------------------------------
def test_default_survey_has_no_extra_column_and_keeps_its_draws():
    base, _ = simulate(StudyDesign(), seed=3)
    assert "campaign_budget" not in base and "lead_access" not in base
    # the instrument is drawn from a child stream: everything drawn before the leads is the same
    with_iv, _ = simulate(StudyDesign(instrument_strength=0.5), seed=3)
    same = ["firm", "pq_1", "mt_4", "experience", "quota_pct"]
    pd.testing.assert_frame_equal(base[same], with_iv[same])


def test_campaign_budget_moves_leads_only_as_asked():
    survey, _ = simulate(IV_DESIGN.replace(n_reps=20_000), seed=1)
    volume = np.log1p(survey["lead_volume"].to_numpy())
    w = (survey["campaign_budget"].to_numpy() - 100) / 20
    # log mean of leads rises by 0.5 per SD of w: the slope of ln(1 + leads) on w is near 0.5
    # less the attenuation of log(1 + NB); checked against a strength of 0 (no relation)
    slope = np.polyfit(w, volume, 1)[0]
    assert 0.35 < slope < 0.55
    flat, _ = simulate(StudyDesign(instrument_strength=0.0, n_reps=20_000), seed=1)
    assert "campaign_budget" not in flat


def test_lead_access_enters_the_selection():
    survey, _ = simulate(SEL_DESIGN, seed=2)
    zero = survey["pct_marketing"] == 0
    assert zero.sum() == 100
    gap = survey.loc[~zero, "lead_access"].mean() - survey.loc[zero, "lead_access"].mean()
    assert gap > 2.0  # one SD is 4 days; the coefficient 1 per SD separates the groups
    assert draw_study(SEL_DESIGN, seed=2).extras["lead_access"].shape == (len(survey),)


def test_selection_exclusion_needs_zero_reps():
    with pytest.raises(DesignError, match="need n_zero_marketing > 0"):
        StudyDesign(selection_exclusion=1.0)


def test_truth_ignores_the_exclusion_variable():
    _, a = simulate(SEL_DESIGN, seed=1)
    _, b = simulate(SEL_DESIGN.replace(selection_exclusion=0.0), seed=1)
    pd.testing.assert_frame_equal(a.effects, b.effects)


# -- names, the codebook and the loader -------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("campaign_budget", None),
        ("volume", "variable of the model"),
        ("pq_3", "scale item"),
        ("1budget", "not a valid column name"),
    ],
)
def test_extra_name_problem(name, expected):
    why = extra_name_problem(name)
    assert (why is None) if expected is None else (expected in why)


def test_codebook_maps_extra_columns(tmp_path, iv_survey):
    path = write_csv(tmp_path, iv_survey.rename(columns={"campaign_budget": "Q40"}))
    book = parse_codebook({"extra": {"campaign_budget": "Q40"}})
    survey = load_survey(path, codebook=book, extra_columns=["campaign_budget"])
    assert survey.extra == ("campaign_budget",)
    assert survey.data.columns[-1] == "campaign_budget"
    assert survey.columns["campaign_budget"] == "Q40"


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"volume": "Q40"}, "variable of the model"),
        ({"budget": 3}, "must map to a column name"),
        ("Q40", r"\[extra\] must be a table"),
    ],
)
def test_codebook_extra_errors(extra, match):
    with pytest.raises(CodebookError, match=match):
        parse_codebook({"extra": extra})


def test_codebook_missing_codes_reach_extra_columns(tmp_path, iv_survey):
    # [missing] all covers an extra column a command names; its own list replaces all there
    df = iv_survey.rename(columns={"campaign_budget": "Q40"}).astype({"Q40": object})
    df.loc[[2, 7], "Q40"] = -9
    path = write_csv(tmp_path, df)
    book = parse_codebook({"extra": {"campaign_budget": "Q40"}, "missing": {"all": [-9]}})
    with pytest.warns(DataWarning, match="valid answer of 'campaign_budget' \\(Q40\\)"):
        survey = load_survey(path, codebook=book, extra_columns=["campaign_budget"])
    assert survey.data["campaign_budget"].isna().sum() == 2
    assert survey.data["campaign_budget"].notna().sum() == len(df) - 2
    found = survey.missing_codes.set_index("column").loc["campaign_budget"]
    assert (found["file_column"], found["code"], found["count"]) == ("Q40", -9, 2)
    exempt = parse_codebook(
        {"extra": {"campaign_budget": "Q40"}, "missing": {"all": [-9], "Q40": []}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        kept = load_survey(path, codebook=exempt, extra_columns=["campaign_budget"])
    assert kept.data.loc[[2, 7], "campaign_budget"].tolist() == [-9.0, -9.0]
    assert "campaign_budget" not in set(kept.missing_codes["column"])
    # not named by the command: the column is neither kept nor counted
    survey = load_survey(path, codebook=book)
    assert "campaign_budget" not in survey.data and len(survey.missing_codes) == 0


def test_unknown_codebook_section_names_extra_among_the_valid_ones():
    with pytest.raises(CodebookError, match=r"unknown section \[extras\]; did you mean 'extra'"):
        parse_codebook({"extras": {"campaign_budget": "Q40"}})
    with pytest.raises(CodebookError, match="'bounds', 'columns', 'extra', 'missing', 'scales'"):
        parse_codebook({"misc": {}})


def test_loader_drops_unnamed_extra_columns(iv_survey):
    assert "campaign_budget" not in validate_survey(iv_survey).data


@pytest.mark.parametrize(
    ("extra", "edit", "match"),
    [
        (["tracking"], None, "variable of the model"),
        (["budget"], None, "the file lacks it"),
        (["campaign_budget"], ("x", 4), "not a number"),
        (["campaign_budget"], ("inf", 5), "not a finite number"),
    ],
)
def test_loader_extra_errors(iv_survey, extra, edit, match):
    df = iv_survey.astype({"campaign_budget": object})
    if edit is not None:
        df.loc[edit[1], "campaign_budget"] = edit[0]
    with pytest.raises(SurveyValidationError, match=match):
        validate_survey(df, extra_columns=extra)


# -- attaching to the analysis frame ------------------------------------------------------
def test_attach_puts_raw_values_by_rep(iv_survey):
    survey = validate_survey(iv_survey, extra_columns=["campaign_budget"])
    frame = attach_extra_columns(build_analysis_frame(survey), survey, ["campaign_budget"])
    by_id = iv_survey.set_index("rep_id")["campaign_budget"]
    for table in (frame.data, frame.raw, frame.selection):
        np.testing.assert_array_equal(table["campaign_budget"], by_id[table["rep_id"]].to_numpy())
    assert attach_extra_columns(frame, survey, []) is frame


def test_attach_errors(iv_survey):
    survey = validate_survey(iv_survey, extra_columns=["campaign_budget"])
    frame = build_analysis_frame(survey)
    with pytest.raises(InstrumentError, match="variable of the model"):
        attach_extra_columns(frame, survey, ["volume"])
    with pytest.raises(InstrumentError, match="was not loaded"):
        attach_extra_columns(frame, survey, ["hours"])
    attached = attach_extra_columns(frame, survey, ["campaign_budget"])
    with pytest.raises(InstrumentError, match="already has a column"):
        attach_extra_columns(attached, survey, ["campaign_budget"])
    df = iv_survey.copy()
    df.loc[[2, 9], "campaign_budget"] = np.nan
    survey = validate_survey(df, extra_columns=["campaign_budget"])
    with pytest.raises(SurveyValidationError, match=r"row 3.*\n.*row 10"):
        attach_extra_columns(build_analysis_frame(survey), survey, ["campaign_budget"])


def test_child_stream_is_deterministic_and_needs_a_seed_sequence():
    seq = np.random.SeedSequence(9, spawn_key=(4,))
    first = draw_study(IV_DESIGN, seq).extras["campaign_budget"]
    again = draw_study(IV_DESIGN, seq).extras["campaign_budget"]  # the same object, reused
    np.testing.assert_array_equal(first, again)
    legacy = np.random.MT19937()
    legacy._legacy_seeding(1)
    with pytest.raises(DesignError, match="child stream"):
        simulate(IV_DESIGN, np.random.Generator(legacy))
