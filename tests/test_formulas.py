"""Formulas are read by the package's grammar and never evaluated: injections create nothing."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.exceptions import FormulaError
from leadblackhole.formulas import MAX_DEPTH, MAX_LENGTH, checked_formula
from leadblackhole.models import DirichletRegression, fit_share_model
from leadblackhole.models.design import design_from_formula
from leadblackhole.models.main import precision_exog

#: Formulas that run Python when `formulaic` evaluates them (each would create ``pwned``).
INJECTIONS = [
    "firm + I(open('pwned','w').write('x'))",
    "I(__import__('os').getcwd())",
    "I(__import__('pathlib').Path('pwned').touch())",
    "{open('pwned', 'w').write('x')}",
    "firm + {__import__('os').mkdir('pwned')}",
    "C(firm, contr=open('pwned','w'))",
    "x + np.save('pwned', x)",
    "x + `open('pwned','w')`",
]


@pytest.fixture()
def in_tmp(tmp_path):
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def analysis_frame(default_survey):
    from leadblackhole.data import build_analysis_frame, validate_survey

    return build_analysis_frame(validate_survey(default_survey))


def _data(n=40, seed=3):
    rng = np.random.default_rng(seed)
    raw = rng.dirichlet([4, 3, 2], size=n)
    return pd.DataFrame(
        {
            "marketing": raw[:, 0],
            "self": raw[:, 1],
            "other": raw[:, 2],
            "x": rng.normal(size=n),
            "firm": np.repeat(["A", "B"], n // 2),
        }
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("firm+experience", "firm + experience"),
        ("  x:firm - 1 ", "x:firm - 1"),
        ("(x + firm) * x", "(x + firm) * x"),
        ("x + I(x**2)", "x + I(x ** 2)"),
        ("0 + x", "0 + x"),
        ("1", "1"),
    ],
)
def test_grammar_accepts_and_rewrites(text, expected):
    assert checked_formula(text, {"x", "firm", "experience"}) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("firm + I(open('pwned','w').write('x'))", 'character "\'" at position 15'),
        ("{x}", "character '{' at position 1"),
        ("x + y", "'y' at position 5 is not a variable of the model"),
        ("x + C(firm)", "'C' at position 5 is not a variable"),
        ("x 2", "'2' at position 3 where '\\+', '-', ':', '\\*' or the end"),
        ("x + 2", "'2' at position 5 where a variable name"),
        ("x + )", "'\\)' at position 5 where a variable name"),
        ("x +", "it ends where a variable name"),
        ("(x + firm", "it ends where '\\)' was expected"),
        ("I(x*2)", "'\\*' at position 4 where '\\*\\*' inside I"),
        ("I(2 ** x)", "'2' at position 3 where a variable name inside I"),
        ("I(x ** 12)", "'12' at position 8 where a power from 2 to 9"),
        ("I(x ** y)", "'y' at position 8 where a power from 2 to 9"),
        ("I(x ** 2", "it ends where '\\)' was expected"),
        ("   ", "formula is empty"),
    ],
)
def test_grammar_refuses_naming_the_token(text, message):
    with pytest.raises(FormulaError, match=message):
        checked_formula(text, {"x", "firm"}, "precision")


def test_grammar_refuses_non_strings_long_and_deep_formulas():
    with pytest.raises(FormulaError, match="must be a string; received 3"):
        checked_formula(3, {"x"})
    with pytest.raises(FormulaError, match=f"at most {MAX_LENGTH} are read"):
        checked_formula(" + ".join(["x"] * MAX_LENGTH), {"x"})
    deep = "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(FormulaError, match=f"deeper than {MAX_DEPTH} levels"):
        checked_formula(deep, {"x"})
    ok = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert checked_formula(ok, {"x"}) == ok
    with pytest.raises(FormulaError, match="allowed: none"):
        checked_formula("x", ())


@pytest.mark.parametrize("formula", INJECTIONS)
def test_library_formulas_are_not_evaluated(in_tmp, formula):
    data = _data()
    with pytest.raises(FormulaError, match="is not allowed"):
        design_from_formula(formula, data, "mean model")
    with pytest.raises(FormulaError, match="is not allowed"):
        DirichletRegression.from_formula(f"marketing + self + other ~ {formula}", data)
    with pytest.raises(FormulaError, match="is not allowed"):
        DirichletRegression.from_formula(
            "marketing + self + other ~ x", data, precision_formula=formula
        )
    with pytest.raises(FormulaError, match="is not allowed"):
        precision_exog(data, formula)
    assert sorted(p.name for p in in_tmp.iterdir()) == []


@pytest.mark.parametrize("model", ["dirichlet", "dirichlet_rounded"])
def test_fit_share_model_precision_injection_creates_nothing(in_tmp, analysis_frame, model):
    for formula in INJECTIONS:
        with pytest.raises(FormulaError, match="is not allowed"):
            fit_share_model(analysis_frame, model, precision=formula)
    assert sorted(p.name for p in in_tmp.iterdir()) == []


def test_precision_names_only_model_variables():
    data = _data().rename(columns={"x": "experience"})
    with pytest.raises(FormulaError, match="'marketing' at position 1 is not a variable"):
        precision_exog(data, "marketing")
    assert precision_exog(data, " 1 ") is None
    assert precision_exog(data, None) is None
    z = precision_exog(data, "firm+experience")
    assert z.columns.tolist() == ["Intercept", "firm[T.B]", "experience"]


@pytest.mark.parametrize("formula", INJECTIONS)
def test_fit_precision_injection_exits_2_and_creates_nothing(in_tmp, survey_csv, capsys, formula):
    before = sorted(p.name for p in in_tmp.iterdir())
    assert cli.main(["fit", str(survey_csv), "--out", "M", "--precision", formula]) == 2
    err = capsys.readouterr().err
    assert "is not allowed" in err and "Traceback" not in err
    assert sorted(p.name for p in in_tmp.iterdir()) == before
