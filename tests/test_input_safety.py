"""Inputs that used to pass silently or crash: reserved codebook names, malformed scale
keys, duplicate and malformed CSV columns, implausible values, odd delimiters."""

from __future__ import annotations

import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.data import load_codebook, load_survey
from leadblackhole.data.schema import PLAUSIBLE_MAX, RESERVED_NAMES
from leadblackhole.exceptions import CodebookError, SurveyValidationError
from leadblackhole.tables_text import table_to_csv


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


# ----------------------------------------------------------------------------
# 5. influential reps are reported (a table, not an error)
# ----------------------------------------------------------------------------
#: Cook's distance by the QR formula against statsmodels' OLSInfluence: rounding only.
COOK_TOL = 1e-10


def test_influential_reps_match_statsmodels_and_reach_the_report(tmp_path, default_survey):
    import statsmodels.api as sm

    from leadblackhole.data import build_analysis_frame, validate_survey
    from leadblackhole.reporting.tables import validation_markdown
    from leadblackhole.specification import design_matrix

    df = default_survey.copy()
    df.loc[5, ["lead_volume", "experience"]] = [4000, 59]  # plausible, but far out
    frame = build_analysis_frame(validate_survey(df))
    table, n_flagged = frame.influential_reps(top=5)
    ols = sm.OLS(frame.data["marketing"], design_matrix(frame.data)).fit()
    cooks = ols.get_influence().cooks_distance[0]
    assert n_flagged == int((cooks > 4 / frame.n).sum()) and len(table) == 5
    expected = sorted(cooks, reverse=True)[:5]
    assert abs(table["cooks_distance"].to_numpy() - expected).max() < COOK_TOL
    assert table["rep_id"].iloc[0] == df.loc[5, "rep_id"]
    text = validation_markdown("s.csv", frame)
    assert "## Influential reps" in text and str(df.loc[5, "rep_id"]) in text


# ----------------------------------------------------------------------------
# 6. firm labels: warnings, escaping
# ----------------------------------------------------------------------------
def test_near_duplicate_labels_and_single_rep_firms_warn(default_survey):
    from leadblackhole.data import build_analysis_frame, validate_survey
    from leadblackhole.exceptions import DataWarning

    df = default_survey.copy()
    df.loc[df["firm"] == "A", "firm"] = "acme  co"
    df.loc[df.index[df["firm"] == "B"][:1], "firm"] = "ACME co"  # one rep, case and spacing
    with pytest.warns(DataWarning) as rec:
        frame = build_analysis_frame(validate_survey(df))
    text = " ".join(str(w.message) for w in rec)
    assert "differ only in case or spacing" in text and "'ACME co'" in text
    assert "firm 'ACME co' has a single rep" in text
    assert len(frame.notes) == 2


def test_labels_with_markup_or_newlines_are_escaped_in_tables():
    from leadblackhole.reporting.tables import regression_html, regression_markdown
    from leadblackhole.tables_text import html_escape, md_escape, table_to_markdown

    labels = ["<script>alert(1)</script>", "__import__('os')", "two\nlines | pipe"]
    md = table_to_markdown(pd.DataFrame({"firm": labels, "n": [1, 2, 3]}))
    rows = md.strip().split("\n")
    assert len(rows) == 2 + len(labels)  # a newline does not break the table
    assert all(r.count(" | ") == 1 for r in rows[2:])  # nor does a pipe add a column
    assert "<script>" not in md and "__import__" not in md
    assert md_escape("__import__") == "\\_\\_import\\_\\_"
    assert html_escape(labels[0]) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    table = pd.DataFrame({"term": [labels[0], labels[2]], "dirichlet": ["0.1***", "(0.2)"]})
    md = regression_markdown(table, notes=[f"reference firm {labels[1]}"])
    assert "<script>" not in md and "__import__" not in md and "0.1***" in md
    assert len([ln for ln in md.split("\n") if ln.startswith("|")]) == 4
    assert "<script>" not in regression_html(table, notes=[labels[0]])


def test_a_survey_path_with_spaces_works_through_make(tmp_path, survey_csv):
    import shlex
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    makefile = Path(__file__).resolve().parents[1] / "Makefile"
    folder = tmp_path / "my surveys"
    folder.mkdir()
    (folder / "the survey.csv").write_bytes(survey_csv.read_bytes())
    dry = subprocess.run(
        ["make", "-n", "-f", str(makefile), "validate", "DATA=my surveys/the survey.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert dry.returncode == 0, dry.stderr  # the prerequisite is found
    line = next(ln for ln in dry.stdout.splitlines() if " validate " in ln)
    args = shlex.split(line)  # as the shell would split the recipe
    args = args[args.index("validate") :]
    assert args[1] == "my surveys/the survey.csv"
    run = subprocess.run(
        [sys.executable, "-m", "leadblackhole.cli", *args], cwd=tmp_path, capture_output=True
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "results" / "validation.md").is_file()
