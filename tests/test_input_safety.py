"""Inputs that used to pass silently or crash: reserved codebook names, malformed scale
keys, duplicate and malformed CSV columns, implausible values, odd delimiters."""

from __future__ import annotations

import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.data import load_codebook, load_survey
from leadblackhole.data.schema import PLAUSIBLE_MAX, RESERVED_NAMES
from leadblackhole.exceptions import CodebookError, SurveyValidationError
from leadblackhole.outputs import table_to_csv


def _codebook(tmp_path, text: str):
    path = tmp_path / "cb.toml"
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------
# 3. codebook names cannot shadow model variables
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["volume", "performance", "marketing", "self", "variable_pay"])
def test_a_scale_may_not_take_a_model_name(tmp_path, name):
    path = _codebook(tmp_path, f"[scales.{name}]\nitems = ['q1', 'q2']\n")
    with pytest.raises(CodebookError, match=f"scale name '{name}' is reserved"):
        load_codebook(path)


def test_reserved_names_cover_schema_and_analysis_variables():
    for name in ("rep_id", "firm", "lead_volume", "volume", "performance", "other", "pq", "mt"):
        assert name in RESERVED_NAMES


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("items = ['a', 'b', 'c']\nreversed = ['c']\n", r"unknown key\(s\) \['reversed'\]"),
        ("items = ['a', 'b', 'c']\nreverse = 'c'\n", "received the text 'c'"),
        ("items = ['a', 'b', 'c']\nreverse = 3\n", "reverse must be a list of column names"),
        ("items = ['a', 2]\n", "column names must be text"),
    ],
)
def test_misspelt_or_mistyped_scale_keys_are_errors(tmp_path, body, match):
    with pytest.raises(CodebookError, match=match):
        load_codebook(_codebook(tmp_path, "[scales.commitment]\n" + body))


def test_reverse_given_as_a_number_exits_2(tmp_path, survey_csv, capsys):
    cb = _codebook(tmp_path, "[scales.prequal]\nitems = ['pq_1', 'pq_2']\nreverse = 3\n")
    assert cli.main(["validate", str(survey_csv), "--codebook", str(cb)]) == 2
    assert "reverse must be a list" in capsys.readouterr().err


# ----------------------------------------------------------------------------
# 4. duplicate and malformed columns
# ----------------------------------------------------------------------------
def _csv_text(df: pd.DataFrame) -> str:
    return table_to_csv(df)


@pytest.fixture()
def small(default_survey) -> pd.DataFrame:
    return default_survey.iloc[::12].reset_index(drop=True)  # 39 reps, 4 firms


@pytest.mark.parametrize("second", ["pct_marketing", "pq_1", "pq_1 "])
def test_duplicate_headers_name_both_columns(tmp_path, small, second):
    first = second.strip()
    text = _csv_text(small)
    header, rest = text.split("\n", 1)
    lines = rest.rstrip("\n").split("\n")
    col = header.split(",").index(first)
    body = "\n".join(ln + "," + ln.split(",")[col] for ln in lines)
    path = tmp_path / "dup.csv"
    path.write_text(f"{header},{second}\n{body}\n")
    with pytest.raises(SurveyValidationError, match="names this column more than once") as err:
        load_survey(path)
    msg = str(err.value)
    assert repr(first) in msg and repr(second) in msg


def test_a_row_with_an_extra_field_is_reported_with_its_row(tmp_path, small):
    lines = _csv_text(small).rstrip("\n").split("\n")
    lines[1] += ",99"  # the first data row
    path = tmp_path / "extra.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SurveyValidationError) as err:
        load_survey(path)
    problems = err.value.problems
    assert len(problems) == 1 and problems[0].row == 1
    assert "fields but the header has" in problems[0].rule


def test_a_truncated_row_is_reported_as_truncated(tmp_path, small):
    lines = _csv_text(small).rstrip("\n").split("\n")
    lines[-1] = ",".join(lines[-1].split(",")[:5])
    path = tmp_path / "trunc.csv"
    path.write_text("\n".join(lines))  # no final newline either
    with pytest.raises(SurveyValidationError, match="row 39: the row is truncated") as err:
        load_survey(path)
    assert "missing" not in str(err.value)


# ----------------------------------------------------------------------------
# 5. plausibility bounds
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value"),
    [("lead_volume", "1e12"), ("experience", "1e6"), ("quota_pct", "1e9"), ("experience", "61")],
)
def test_implausible_values_fail_with_row_and_column(tmp_path, small, column, value):
    df = small.astype(object)
    df.loc[6, column] = value
    path = tmp_path / "s.csv"
    path.write_text(_csv_text(df))
    with pytest.raises(SurveyValidationError, match=f"row 7, column '{column}'") as err:
        load_survey(path)
    assert "plausibility bound" in str(err.value)


def test_a_codebook_can_raise_a_bound(tmp_path, small):
    df = small.astype(object)
    df.loc[6, "experience"] = "65"
    path = tmp_path / "s.csv"
    path.write_text(_csv_text(df))
    cb = _codebook(tmp_path, "[bounds]\nexperience = 70\n")
    assert load_survey(path, codebook=cb).data.loc[6, "experience"] == 65
    assert PLAUSIBLE_MAX["experience"] == 60
    with pytest.raises(CodebookError, match="has no plausibility bound"):
        load_codebook(_codebook(tmp_path, "[bounds]\nfirm = 3\n"))
    with pytest.raises(CodebookError, match="must be a number > 0"):
        load_codebook(_codebook(tmp_path, "[bounds]\nexperience = 'x'\n"))


# ----------------------------------------------------------------------------
# 9. other delimiters get a hint
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(("sep", "label"), [(";", "';'"), ("\t", "a tab")])
def test_semicolon_or_tab_delimited_csv_gets_a_hint(tmp_path, small, sep, label):
    path = tmp_path / "semi.csv"
    small.to_csv(path, sep=sep, index=False)
    with pytest.raises(SurveyValidationError, match=f"seems to use {label} as delimiter"):
        load_survey(path)
