"""Data entry: scales with their own range, missing-value codes, .xlsx files, codebook names.

Every expected value here is computed independently of the loader: reversed
answers from ``low + high - x`` on the generated answers, missing-code counts
from the cells the test itself planted.
"""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

from leadblackhole.data import DEFAULT_RANGE, build_analysis_frame, load_codebook, load_survey
from leadblackhole.data.codebook import parse_codebook, suggest
from leadblackhole.exceptions import CodebookError, DataWarning, SurveyValidationError
from leadblackhole.simulation import StudyDesign, simulate

from .conftest import write_csv


def base_survey(n: int = 60, seed: int = 11) -> pd.DataFrame:
    return simulate(StudyDesign(n_reps=max(n, 30)), seed=seed).survey.head(n).reset_index(drop=True)


def write_codebook(tmp_path, text: str, name: str = "codebook.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems_of(excinfo) -> list:
    return excinfo.value.problems


# --------------------------------------------------------------------------- scale ranges
RANGES_CODEBOOK = """
[scales.prequal]
items = ["pq_1", "pq_2", "pq_3"]
reverse = ["pq_3"]
range = [1, 5]

[scales.tracking]
items = ["mt_1", "mt_2", "mt_3", "mt_4"]

[scales.nps]
items = ["N1", "N2", "N3"]
reverse = ["N2"]
range = [0, 10]
"""


def ranged_survey(n: int = 60, seed: int = 5) -> tuple[pd.DataFrame, dict]:
    """A survey with a 1-5 prequal (pq_3 reversed) and a 0-10 scale (N2 reversed)."""
    rng = np.random.default_rng(seed)
    df = base_survey(n).drop(columns=["pq_4"])
    truth = {
        "pq": rng.integers(1, 6, size=(n, 3)),  # answers as meant, 1-5
        "nps": rng.integers(0, 11, size=(n, 3)),  # 0-10
    }
    for k in range(3):
        df[f"pq_{k + 1}"] = truth["pq"][:, k]
        df[f"N{k + 1}"] = truth["nps"][:, k]
    df["pq_3"] = 6 - truth["pq"][:, 2]  # written reverse-worded: 1 + 5 - x
    df["N2"] = 10 - truth["nps"][:, 1]  # 0 + 10 - x
    return df, truth


def test_scales_with_their_own_range_are_checked_and_reversed(tmp_path):
    df, truth = ranged_survey()
    survey = load_survey(
        write_csv(tmp_path, df), codebook=write_codebook(tmp_path, RANGES_CODEBOOK)
    )
    assert survey.scale_ranges == {"prequal": (1, 5), "tracking": (1, 7), "nps": (0, 10)}
    assert survey.scale_range("nps") == (0, 10)
    assert survey.item_range("pq_2") == (1, 5) and survey.item_range("mt_1") == (1, 7)
    np.testing.assert_array_equal(survey.data[["pq_1", "pq_2", "pq_3"]], truth["pq"])
    np.testing.assert_array_equal(survey.data[["nps_1", "nps_2", "nps_3"]], truth["nps"])
    assert survey.reversed_items == ("pq_3", "nps_2")
    frame = build_analysis_frame(survey)
    scores = frame.raw["prequal"].to_numpy()
    assert scores.min() >= 1 and scores.max() <= 5  # 8 - x would reach 7 on a 1-5 scale
    kept = frame.raw["rep_id"].map(dict(zip(df["rep_id"], range(len(df)), strict=True)))
    np.testing.assert_allclose(scores, truth["pq"][kept].mean(axis=1))
    np.testing.assert_allclose(frame.raw["nps"], truth["nps"][kept].mean(axis=1))


def test_every_item_is_checked_against_its_own_scale(tmp_path):
    df, _ = ranged_survey()
    df = df.astype(object)
    df.loc[1, "pq_1"] = 6  # a 7-point answer on the 5-point scale
    df.loc[2, "N1"] = 0  # valid on 0-10
    df.loc[3, "N3"] = 11
    df.loc[4, "mt_2"] = 0  # the default 1-7 still holds for tracking
    df.loc[5, "pq_3"] = 0  # checked before reversal, reported as written
    cb = write_codebook(tmp_path, RANGES_CODEBOOK)
    with pytest.raises(SurveyValidationError, match="4 problems found") as ei:
        load_survey(write_csv(tmp_path, df), codebook=cb)
    found = [(p.row, p.column, p.value, p.rule) for p in problems_of(ei)]
    assert found == [
        (2, "pq_1", "6", "a Likert item must be an integer from 1 to 5"),
        (4, "N3", "11", "a Likert item must be an integer from 0 to 10"),
        (5, "mt_2", "0", "a Likert item must be an integer from 1 to 7"),
        (6, "pq_3", "0", "a Likert item must be an integer from 1 to 5"),
    ]


def test_default_survey_has_default_ranges_and_no_codebook_lines(tmp_path):
    survey = load_survey(write_csv(tmp_path, base_survey()))
    assert DEFAULT_RANGE == (1, 7)
    assert survey.scale_ranges == {"prequal": (1, 7), "tracking": (1, 7)}
    assert survey.missing_codes.empty and not survey.missing_codes_declared
    assert survey.summary_items() == [] and survey.summary() == ""


def test_item_range_of_a_column_outside_every_scale(tmp_path):
    survey = load_survey(write_csv(tmp_path, base_survey()))
    with pytest.raises(KeyError, match="'lead_volume' is not an item of any scale"):
        survey.item_range("lead_volume")


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("[5, 1]", r"range = \[5, 1\]: the lowest answer must be below the highest"),
        ("[3, 3]", "the lowest answer must be below the highest"),
        ('"1-5"', "range must be two integers"),
        ("[1, 5.5]", "range must be two integers"),
        ("[1, 2, 3]", "range must be two integers"),
        ("[true, 5]", "range must be two integers"),
    ],
)
def test_invalid_scale_ranges(tmp_path, value, match):
    text = f'[scales.prequal]\nitems = ["a", "b"]\nrange = {value}\n'
    with pytest.raises(CodebookError, match=match):
        load_codebook(write_codebook(tmp_path, text))


def test_range_summary_line(tmp_path):
    df, _ = ranged_survey()
    survey = load_survey(
        write_csv(tmp_path, df), codebook=write_codebook(tmp_path, RANGES_CODEBOOK)
    )
    assert survey.summary_items() == [
        ("scale ranges other than 1 to 7: prequal 1 to 5, nps 0 to 10", [])
    ]


# --------------------------------------------------------------------------- missing codes
MISSING_CODEBOOK = """
[columns]
rep_id = "ID"
firm = "Company"
lead_volume = "Q12"
experience = "Years"
quota_pct = "Q21"

[scales.prequal]
items = ["P1", "P2", "P3", "P4"]
reverse = ["P4"]

[missing]
all = [99, -9]
Q21 = []              # 99 % of quota is a real answer
experience = [-1]     # the canonical name works as well as the file's
Company = ["unknown"]
"""


def coded_survey(seed: int = 9) -> tuple[pd.DataFrame, dict]:
    """A renamed survey with missing codes planted at known cells."""
    df = base_survey(80).rename(
        columns={
            "rep_id": "ID",
            "firm": "Company",
            "lead_volume": "Q12",
            "experience": "Years",
            "quota_pct": "Q21",
            "pq_1": "P1",
            "pq_2": "P2",
            "pq_3": "P3",
            "pq_4": "P4",
        }
    )
    df["P4"] = 8 - df["P4"]
    df = df.astype(object)
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(df), size=12, replace=False)
    planted = {
        ("P2", 99): rows[:3],
        ("P4", 99): rows[3:4],
        ("P4", -9): rows[4:6],
        ("Q12", -9): rows[6:7],
        ("Years", -1): rows[7:9],
        ("Company", "unknown"): rows[9:10],
    }
    for (col, code), where in planted.items():
        df.loc[where, col] = code
    df.loc[rows[10], "Q21"] = 99  # not a code for Q21: kept
    df.loc[rows[11], "mt_3"] = "99.0"  # a CSV cell written as 99.0 is the code 99
    planted[("mt_3", 99)] = rows[11:12]
    return df, planted


def test_missing_codes_become_missing_and_are_counted(tmp_path):
    df, planted = coded_survey()
    cb = write_codebook(tmp_path, MISSING_CODEBOOK)
    survey = load_survey(write_csv(tmp_path, df), codebook=cb)
    canonical = {"P2": "pq_2", "P4": "pq_4", "Q12": "lead_volume", "Years": "experience"}
    canonical |= {"Company": "firm", "mt_3": "mt_3"}
    expected = pd.DataFrame(
        [(canonical[c], c, code, len(w)) for (c, code), w in planted.items()],
        columns=["column", "file_column", "code", "count"],
    )
    key = ["file_column", "code"]
    got = survey.missing_codes.astype({"code": str}).sort_values(key).reset_index(drop=True)
    want = expected.astype({"code": str}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    for (col, _), where in planted.items():
        assert survey.data.loc[where, canonical[col]].isna().all()
    n_missing = survey.data.drop(columns=["rep_id"]).isna().sum().sum()
    assert n_missing == sum(len(w) for w in planted.values())
    assert 99 in survey.data["quota_pct"].to_numpy()  # exempted by Q21 = []
    ((line, details),) = survey.summary_items()
    assert line == "cells holding a missing-value code of the codebook: 11"
    assert ("'pq_4' (P4) = -9", 2) in details and ("'firm' (Company) = 'unknown'", 1) in details
    assert "      3  'pq_2' (P2) = 99" in survey.summary()
    frame = build_analysis_frame(survey)  # the coded reps are excluded with their reason
    assert frame.exclusions["reason"].str.contains("Company").any()


def test_missing_codes_are_needed_for_such_a_file(tmp_path):
    """Without [missing], 99 is an out-of-range answer and -9 a negative lead volume."""
    df, _ = coded_survey()
    text = MISSING_CODEBOOK.split("[missing]")[0]
    with pytest.raises(SurveyValidationError) as ei:
        load_survey(write_csv(tmp_path, df), codebook=write_codebook(tmp_path, text))
    rules = {p.rule.split(";")[0] for p in problems_of(ei)}
    assert "a Likert item must be an integer from 1 to 7" in rules
    assert "lead volume must be a number >= 0" in rules


def test_a_column_list_replaces_all(tmp_path):
    df, _ = coded_survey()
    df.loc[0, "Years"] = -9  # -9 is a code of `all`, but Years has its own list [-1]
    with pytest.raises(SurveyValidationError, match="experience must be a number") as ei:
        load_survey(write_csv(tmp_path, df), codebook=write_codebook(tmp_path, MISSING_CODEBOOK))
    assert [(p.row, p.column, p.value) for p in problems_of(ei)] == [(1, "Years", "-9")]


def test_a_code_that_is_also_a_valid_answer_is_warned_about(tmp_path):
    df = base_survey()
    assert (df["quota_pct"] == 99).sum() == 2  # two reps reached 99 % of their quota
    cb = write_codebook(tmp_path, "[missing]\nall = [99]\n")
    with pytest.warns(
        DataWarning,
        match=r"code 99 of \[missing\] all is also a valid answer of 'quota_pct': 2 such cell\(s\)",
    ):
        survey = load_survey(write_csv(tmp_path, df), codebook=cb)
    assert len(survey.notes) == 1 and survey.data["quota_pct"].isna().sum() == 2
    cb = write_codebook(tmp_path, "[missing]\nall = [99]\nquota_pct = []\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        survey = load_survey(write_csv(tmp_path, df), codebook=cb)
    assert survey.notes == () and survey.data["quota_pct"].notna().all()


def test_missing_codes_declared_but_absent(tmp_path):
    cb = write_codebook(tmp_path, "[missing]\nall = [-9]\n")
    survey = load_survey(write_csv(tmp_path, base_survey()), codebook=cb)
    assert survey.missing_codes_declared and survey.missing_codes.empty
    assert survey.summary_items() == [("cells holding a missing-value code of the codebook: 0", [])]


def test_missing_codes_on_a_numeric_file(tmp_path):
    df = base_survey(40)
    df.loc[[2, 5], "pq_1"] = 99
    path = tmp_path / "survey.parquet"
    df.to_parquet(path)
    survey = load_survey(path, codebook=write_codebook(tmp_path, "[missing]\nall = [99]\n"))
    assert survey.missing_codes.to_dict("records") == [
        {"column": "pq_1", "file_column": "pq_1", "code": 99, "count": 2}
    ]
    assert survey.data["pq_1"].isna().sum() == 2


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[missing]\nrep_id = [99]\n", "names 'rep_id', the rep identifier"),
        ('[columns]\nrep_id = "ID"\n[missing]\nID = [99]\n', "names 'ID', the rep identifier"),
        ("[missing]\nall = 99\n", r"all must be a list of codes \(write all = \[99\]\)"),
        ("[missing]\nQ5 = [true]\n", "True is not a code"),
        ('[missing]\nQ5 = [""]\n', "'' is not a code"),
        ("[missing]\nQ5 = [nan]\n", "nan is not a code"),
        ("[missing]\nall = [99, 99.0]\n", "all lists a code twice"),
        ('missing = "99"\n', r"\[missing\] must be a table"),
    ],
)
def test_invalid_missing_tables(tmp_path, text, match):
    with pytest.raises(CodebookError, match=match):
        load_codebook(write_codebook(tmp_path, text))


def test_missing_table_naming_an_absent_column(tmp_path):
    cb = write_codebook(tmp_path, "[missing]\nQ99 = [99]\n")
    with pytest.raises(SurveyValidationError, match="names this column but the file lacks") as ei:
        load_survey(write_csv(tmp_path, base_survey()), codebook=cb)
    assert [p.column for p in problems_of(ei)] == ["Q99"]


def test_missing_table_naming_an_ambiguous_column(tmp_path):
    """Two columns swapped by the codebook: 'experience' is a file column and a canonical name."""
    src = base_survey()
    df = src.rename(columns={"experience": "quota_pct", "quota_pct": "experience"})
    text = '[columns]\nexperience = "quota_pct"\nquota_pct = "experience"\n'
    survey = load_survey(write_csv(tmp_path, df), codebook=write_codebook(tmp_path, text))
    np.testing.assert_array_equal(survey.data["experience"], src["experience"])
    cb = write_codebook(tmp_path, text + "[missing]\nexperience = [-1]\n")
    with pytest.raises(SurveyValidationError, match="both a column of the file and the canonical"):
        load_survey(write_csv(tmp_path, df), codebook=cb)


# --------------------------------------------------------------------------- .xlsx files
def write_xlsx(path, rows: list[list], title: str = "Survey") -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)


def frame_rows(df: pd.DataFrame) -> list[list]:
    return [list(df.columns)] + [
        [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row]
        for row in df.itertuples(index=False)
    ]


def test_xlsx_reads_like_csv(tmp_path):
    df = base_survey(50)
    df.loc[3, "variable_pay_pct"] = np.nan
    csv_survey = load_survey(write_csv(tmp_path, df))
    path = tmp_path / "survey.xlsx"
    rows = frame_rows(df)
    rows.insert(10, [None] * len(df.columns))  # a blank row is skipped, as in a CSV file
    write_xlsx(path, rows)
    xlsx_survey = load_survey(path)
    pd.testing.assert_frame_equal(xlsx_survey.data, csv_survey.data)
    assert xlsx_survey.source == "survey.xlsx"


def test_xlsx_through_a_codebook_with_pandas_writer(tmp_path):
    df, truth = ranged_survey(40)
    path = tmp_path / "survey.xlsx"
    df.to_excel(path, index=False, engine="openpyxl")
    survey = load_survey(path, codebook=write_codebook(tmp_path, RANGES_CODEBOOK))
    np.testing.assert_array_equal(survey.data[["pq_1", "pq_2", "pq_3"]], truth["pq"])


def test_xlsx_problems_equal_csv_problems(tmp_path):
    df = base_survey(40).astype(object)
    df.loc[0, "pq_1"] = 9
    df.loc[2, "lead_volume"] = "many"
    df.loc[4, "pct_other"] = 70
    df.loc[6, "rep_id"] = df.loc[5, "rep_id"]
    with pytest.raises(SurveyValidationError) as from_csv:
        load_survey(write_csv(tmp_path, df))
    path = tmp_path / "survey.xlsx"
    write_xlsx(path, frame_rows(df))
    with pytest.raises(SurveyValidationError) as from_xlsx:
        load_survey(path)
    assert problems_of(from_xlsx) == problems_of(from_csv) and len(problems_of(from_csv)) == 4


def test_xlsx_cells_excel_types(tmp_path):
    """A date or a boolean where a number belongs is reported, not converted."""
    import datetime as dt

    df = base_survey(40).astype(object)
    rows = frame_rows(df)
    rows[1][rows[0].index("experience")] = dt.datetime(2020, 1, 5)
    rows[2][rows[0].index("pq_2")] = True
    path = tmp_path / "typed.xlsx"
    write_xlsx(path, rows)
    with pytest.raises(SurveyValidationError) as ei:
        load_survey(path)
    assert [(p.row, p.column, p.value) for p in problems_of(ei)] == [
        (1, "experience", "2020-01-05 00:00:00"),
        (2, "pq_2", "True"),
    ]


def test_xlsx_first_sheet_is_read(tmp_path):
    df = base_survey(40)
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in frame_rows(df):
        ws.append(row)
    wb.create_sheet("Notes").append(["this sheet is not read"])
    path = tmp_path / "two_sheets.xlsx"
    wb.save(path)
    assert load_survey(path).n_rows == 40


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            r"Excel 97-2003 workbook \(.xls\) cannot be read; open it",
        ),
        ("sheet.ods", b"PK\x03\x04whatever", r"OpenDocument spreadsheet \(.ods\) cannot be read"),
        (
            "locked.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            "password-protected workbook",
        ),
        ("text.xlsx", b"rep_id,firm\n1,A\n", r"cannot be read as an Excel workbook \(.xlsx\)"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 40, r"cannot be read as an Excel workbook"),
    ],
)
def test_unreadable_workbooks(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SurveyValidationError, match=match):
        load_survey(path)


def test_xlsx_structure_problems(tmp_path):
    empty = tmp_path / "empty.xlsx"
    write_xlsx(empty, [])
    with pytest.raises(SurveyValidationError, match="its first sheet holds no cells"):
        load_survey(empty)
    header_only = tmp_path / "header.xlsx"
    write_xlsx(header_only, [["rep_id", "firm", "pq_1"]])
    with pytest.raises(SurveyValidationError, match="no data rows"):
        load_survey(header_only)
    unnamed = tmp_path / "unnamed.xlsx"
    rows = frame_rows(base_survey(40))
    rows[0] += [None, None]
    rows[3] += [None, "stray"]
    write_xlsx(unnamed, rows)
    with pytest.raises(
        SurveyValidationError, match=r"column U of the sheet holds values but has no name"
    ):
        load_survey(unnamed)
    twice = tmp_path / "twice.xlsx"
    rows = frame_rows(base_survey(40))
    rows[0][3] = "pq_1"
    write_xlsx(twice, rows)
    with pytest.raises(SurveyValidationError, match="names this column more than once"):
        load_survey(twice)


def test_xlsx_formula_without_saved_value(tmp_path):
    rows = frame_rows(base_survey(40))
    col = rows[0].index("pct_other")
    rows[2][col] = "=100-O3-P3"
    path = tmp_path / "formula.xlsx"
    write_xlsx(path, rows, title="Data")  # openpyxl saves formulas without their values
    with pytest.raises(
        SurveyValidationError, match=r"formula =100-O3-P3 in cell Q3 of sheet 'Data'"
    ):
        load_survey(path)
    many = [r[:] for r in frame_rows(base_survey(40))]
    for r in many[1:]:
        r[col] = "=1"
    write_xlsx(path, many)
    with pytest.raises(SurveyValidationError, match="20 more formulas without a saved value"):
        load_survey(path)


def test_xlsx_formula_with_a_saved_value_is_read(tmp_path):
    """A workbook saved by a spreadsheet program stores each formula's value: it is read."""
    import re
    import zipfile

    df = base_survey(40)
    rows = frame_rows(df)
    col = rows[0].index("pct_other")
    rows[2][col] = "=100-O3-P3"
    plain = tmp_path / "plain.xlsx"
    write_xlsx(plain, rows)
    saved = tmp_path / "saved.xlsx"  # what Excel writes: <f>formula</f><v>value</v>
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(saved, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                value = int(df.loc[1, "pct_other"])
                data, n = re.subn(
                    rb"(<f>100-O3-P3</f>)<v\s*/?>(</v>)?", rb"\1<v>%d</v>" % value, data
                )
                assert n == 1
            zout.writestr(item, data)
    survey = load_survey(saved)
    assert survey.data.loc[1, "pct_other"] == df.loc[1, "pct_other"]


# --------------------------------------------------------------------------- codebook names
@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            '[columns]\nquota = "Q21"\n',
            r"unknown canonical column 'quota'; did you mean 'quota_pct'\? \(valid: 'experience', 'firm'",
        ),
        ('[columns]\npct_mkt = "Q30"\n', "did you mean 'pct_marketing'"),
        (
            '[columns]\nzzz = "Q30"\n',
            "unknown canonical column 'zzz'; expected one of 'experience'",
        ),
        ("[missings]\nall = [9]\n", r"unknown section \[missings\]; did you mean 'missing'"),
        (
            '[scales.prequal]\nitems = ["a", "b"]\nranges = [1, 5]\n',
            r"'ranges': did you mean 'range'\?",
        ),
        ("[bounds]\nexperiance = 70\n", "did you mean 'experience'"),
    ],
)
def test_unknown_names_answered_with_a_suggestion(tmp_path, text, match):
    with pytest.raises(CodebookError, match=match):
        load_codebook(write_codebook(tmp_path, text))


def test_suggest_lists_every_valid_name():
    assert suggest("quota", ["quota_pct", "firm"]) == (
        "did you mean 'quota_pct'? (valid: 'firm', 'quota_pct')"
    )
    assert suggest("xyz", ["b", "a"]) == "expected one of 'a', 'b'"


# --------------------------------------------------------------------------- own survey
OWN_CODEBOOK = """
[columns]
rep_id = "RespondentID"
firm = "Company"
lead_volume = "Q12"
experience = "Q20_years"
quota_pct = "Q21"
variable_pay_pct = "Q22"
pct_marketing = "Q30_a"
pct_self = "Q30_b"
pct_other = "Q30_c"

[scales.prequal]
items = ["Q5_1", "Q5_2", "Q5_3", "Q5_4"]
reverse = ["Q5_3"]
range = [1, 5]

[scales.tracking]
items = ["Q6_1", "Q6_2", "Q6_3", "Q6_4"]

[missing]
all = [99]
Q21 = []
"""


def own_survey(seed: int = 2025) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """150 reps of three firms, 1-5 prequal items (Q5_3 reverse-worded), 99 = no answer."""
    sim = simulate(StudyDesign(), seed=seed).survey
    sim = sim[sim["firm"].isin(["A", "B", "C"])].groupby("firm").head(50).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    pq5 = np.rint(1 + (sim[["pq_1", "pq_2", "pq_3", "pq_4"]].to_numpy() - 1) * 4 / 6).astype(int)
    df = pd.DataFrame(
        {
            "RespondentID": np.arange(1001, 1001 + len(sim)),
            "Company": sim["firm"].map({"A": "Acme", "B": "Bolt", "C": "Crane"}),
            "Q5_1": pq5[:, 0].astype(float),
            "Q5_2": pq5[:, 1].astype(float),
            "Q5_3": (6 - pq5[:, 2]).astype(float),
            "Q5_4": pq5[:, 3].astype(float),
            **{f"Q6_{k}": sim[f"mt_{k}"].astype(float) for k in range(1, 5)},
            "Q12": sim["lead_volume"].astype(float),
            "Q20_years": sim["experience"].astype(float),
            "Q21": sim["quota_pct"].astype(float),
            "Q22": sim["variable_pay_pct"].astype(float),
            "Q30_a": sim["pct_marketing"].astype(float),
            "Q30_b": sim["pct_self"].astype(float),
            "Q30_c": sim["pct_other"].astype(float),
        }
    )
    planted = {
        "Q5_2": rng.choice(len(df), size=4, replace=False),
        "Q5_3": rng.choice(len(df), size=3, replace=False),
        "Q6_1": rng.choice(len(df), size=2, replace=False),
    }
    for col, rows in planted.items():
        df.loc[rows, col] = 99.0
    return df, pq5, planted


def test_own_stata_survey_loads_and_validates(tmp_path):
    df, pq5, planted = own_survey()
    assert len(df) == 150 and df["Company"].nunique() == 3
    path = tmp_path / "field_survey_2025.dta"
    df.to_stata(path, write_index=False, version=118)
    cb = write_codebook(tmp_path, OWN_CODEBOOK)
    survey = load_survey(path, codebook=cb)
    assert survey.n_rows == 150 and survey.firms == ["Acme", "Bolt", "Crane"]
    assert survey.scale_range("prequal") == (1, 5) and survey.scale_range("tracking") == (1, 7)
    assert survey.reversed_items == ("pq_3",)
    assert survey.columns["pq_3"] == "Q5_3"
    counts = survey.missing_codes.set_index("file_column")["count"].to_dict()
    assert counts == {col: len(rows) for col, rows in planted.items()}
    expected = pq5.astype(float)
    expected[planted["Q5_2"], 1] = np.nan
    expected[planted["Q5_3"], 2] = np.nan
    np.testing.assert_array_equal(survey.data[["pq_1", "pq_2", "pq_3", "pq_4"]], expected)
    frame = build_analysis_frame(survey)
    assert len(frame.firms) == 3
    assert frame.raw["prequal"].max() <= 5 and frame.raw["prequal"].min() >= 1
    rows = frame.raw["rep_id"].astype(int).to_numpy() - 1001
    np.testing.assert_allclose(frame.raw["prequal"], np.nanmean(expected[rows], axis=1))


def test_codebook_parse_keeps_defaults():
    cb = parse_codebook({"scales": {"extra": {"items": ["a", "b"]}}})
    assert cb.scales[0].range == (1, 7) and cb.scale_ranges() == {"extra": (1, 7)}
    assert not cb.has_missing_codes and cb.missing_all == () and dict(cb.missing_columns) == {}


def test_xlsx_bytes_roundtrip_is_read_only(tmp_path):
    """Reading a workbook never writes it."""
    path = tmp_path / "survey.xlsx"
    write_xlsx(path, frame_rows(base_survey(40)))
    before = path.read_bytes()
    load_survey(path)
    assert path.read_bytes() == before
