"""The report says when a corrected or two-step model disagrees with the main model.

The inputs are ``hypotheses.csv`` rows written by hand, so every flag and every
number of a sentence is known before the function runs: a disagreement is a
different sign, a different verdict at 5%, or a difference larger than the
corrected estimate's standard error (``correction_disagreements``).
"""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from leadblackhole.registry import HYPOTHESES
from leadblackhole.reporting.replication_report import build_report
from leadblackhole.reporting.report_sentences import (
    CORRECTION_ASSUMPTIONS,
    CORRECTION_NAMES,
    DISAGREEMENT_COLUMNS,
    corrected_models,
    correction_assumptions,
    correction_disagreements,
    correction_sentences,
)

Z975 = stats.norm.ppf(0.975)
BY_ID = {h.id: h for h in HYPOTHESES}


def row(hid: str, model: str, estimate: float, std_error: float) -> dict:
    """A ``hypotheses.csv`` row with a normal 95% interval and two-sided p-value."""
    h = BY_ID[hid]
    z = estimate / std_error
    p = 2 * stats.norm.sf(abs(z))
    return {
        "id": hid,
        "outcome": h.outcome,
        "predictor": h.predictor,
        "moderator": h.moderator,
        "expected_sign": h.expected_sign,
        "model": model,
        "estimate": estimate,
        "std_error": std_error,
        "statistic": z,
        "p_value": p,
        "conf_low": estimate - Z975 * std_error,
        "conf_high": estimate + Z975 * std_error,
        "supported": bool(h.expected_sign != 0 and (z > 0) == (h.expected_sign > 0) and p < 0.05),
    }


#: (id, main estimate, main SE, corrected estimate, corrected SE) and what differs.
CASES = [
    # same sign, both significant, |0.022 - 0.020| = 0.002 < 0.006: agrees
    ("H1", 0.020, 0.004, 0.022, 0.006),
    # the corrected estimate crosses zero: sign only (both insignificant, 0.003 < 0.004)
    ("H5", -0.002, 0.004, 0.001, 0.004),
    # p 0.012 -> 0.072: significance only (0.001 < 0.005)
    ("H3", 0.010, 0.004, 0.009, 0.005),
    # p 0.32 -> 0.046: significance only, the other way (0.001 < 0.0045)
    ("H4", 0.008, 0.008, 0.009, 0.0045),
    # 0.034 - 0.025 = 0.009 > 0.005, both significant, same sign: size only
    ("H6", 0.025, 0.005, 0.034, 0.005),
]


def table(main: str = "dirichlet", suffix: str = "_eiv", cases=CASES) -> pd.DataFrame:
    rows = [row(hid, main, bm, sm) for hid, bm, sm, _, _ in cases]
    rows += [row(hid, main + suffix, bc, sc) for hid, _, _, bc, sc in cases]
    return pd.DataFrame(rows)


def test_each_rule_of_disagreement_is_flagged_on_its_own():
    flags = correction_disagreements(table(), "dirichlet")
    assert tuple(flags.columns) == DISAGREEMENT_COLUMNS
    flags = flags.set_index("id")
    assert list(flags.index) == ["H1", "H3", "H4", "H5", "H6"]  # registry order
    expected = {
        # id: (sign, significance, exceeds SE)
        "H1": (False, False, False),
        "H5": (True, False, False),
        "H3": (False, True, False),
        "H4": (False, True, False),
        "H6": (False, False, True),
    }
    for hid, (sign, sig, size) in expected.items():
        r = flags.loc[hid]
        assert (r["sign_differs"], r["significance_differs"], r["exceeds_se"]) == (sign, sig, size)
        assert r["disagrees"] == (sign or sig or size), hid
    assert flags.loc["H6", "difference"] == pytest.approx(0.009)
    assert flags.loc["H3", "main_p_value"] == pytest.approx(2 * stats.norm.sf(2.5))


def test_a_difference_just_below_or_above_the_corrected_se():
    below = [("H1", 0.020, 0.004, 0.02499, 0.005)]
    above = [("H1", 0.020, 0.004, 0.02501, 0.005)]
    assert not correction_disagreements(table(cases=below), "dirichlet")["exceeds_se"].iloc[0]
    assert correction_disagreements(table(cases=above), "dirichlet")["exceeds_se"].iloc[0]


def test_agreeing_correction_gets_one_sentence():
    agree = [c for c in CASES if c[0] == "H1"] + [("H2", -0.015, 0.005, -0.016, 0.006)]
    (sentence,) = correction_sentences(table(cases=agree), "dirichlet")
    assert sentence == (
        "The errors-in-variables correction (`dirichlet_eiv`) agrees with the main model on "
        "all 2 effects: the same sign, the same verdict at the 5% level, and differences "
        "within the corrected estimate's standard error."
    )


def test_disagreeing_correction_gets_a_sentence_per_effect():
    sentences = correction_sentences(table(), "dirichlet")
    assert [s.split("**")[1] for s in sentences] == ["H3", "H4", "H5", "H6"]
    h3, h4, h5, h6 = sentences
    assert h3.startswith("**H3**, errors-in-variables correction (`dirichlet_eiv`): 0.0090 ")
    assert "(SE 0.0050, p = 0.072) against the main model's 0.0100 (SE 0.0040, p = 0.012)" in h3
    assert h3.endswith(
        "the corrected estimate is not significant at the 5% level where the main model's is."
    )
    assert h4.endswith(
        "the corrected estimate is significant at the 5% level where the main model's is not."
    )
    assert h5.endswith("the corrected estimate has the opposite sign.")
    assert h6.endswith(
        "the corrected estimate differs from it by 0.0090, more than its standard error."
    )


def test_sentences_per_sd_and_with_several_reasons():
    # H6 per SD of performance (0.2): 100 x 0.2 x estimate percentage points
    cases = [("H6", -0.020, 0.004, 0.010, 0.012)]  # sign, significance and size at once
    (sentence,) = correction_sentences(table(cases=cases), "dirichlet", sd={"performance": 0.2})
    assert "0.20 percentage points per SD (SE 0.24, p = 0.405)" in sentence
    assert "against the main model's −0.40 (SE 0.08, p < 0.001)" in sentence
    assert sentence.endswith(
        "the corrected estimate has the opposite sign, is not significant at the 5% level where "
        "the main model's is and differs from it by 0.60, more than its standard error."
    )


def test_only_corrections_of_the_main_model_are_compared():
    cf = table("dirichlet_rounded", "_cf")
    heckman = table("dirichlet_rounded", "_heckman_functional_form")
    exact = table("dirichlet", "_eiv")  # the exact-share model and its correction: not main
    heckman = heckman[heckman["model"] != "dirichlet_rounded"]
    hyps = pd.concat([cf, heckman, exact], ignore_index=True)
    models = corrected_models(hyps, "dirichlet_rounded")
    assert models == ["dirichlet_rounded_cf", "dirichlet_rounded_heckman_functional_form"]
    sentences = correction_sentences(hyps, "dirichlet_rounded")
    assert all("dirichlet_eiv" not in s for s in sentences)
    assert any("selection correction identified by functional form only" in s for s in sentences)
    assert correction_sentences(table("dirichlet", "_ols"), "dirichlet") == []


def _results(tmp_path, hyps: pd.DataFrame):
    res, figs = tmp_path / "results", tmp_path / "figures"
    (res / "models").mkdir(parents=True)
    (res / "measurement").mkdir()
    figs.mkdir()
    hyps.assign(p_holm=hyps["p_value"], p_bh=hyps["p_value"]).to_csv(
        res / "models" / "hypotheses.csv", index=False
    )
    models = sorted(set(hyps["model"]))
    pd.DataFrame(
        {
            "model": models,
            "n": 100,
            "log_likelihood": 1.0,
            "aic": 1.0,
            "bic": 1.0,
            "r_squared": float("nan"),
            "converged": True,
        }  # fmt: skip
    ).to_csv(res / "models" / "fit_stats.csv", index=False)
    sd = {"prequal": 1.2, "tracking": 1.1, "volume": 0.8, "experience": 5.0, "performance": 0.2}
    pd.DataFrame(
        {
            "group": "all",
            "variable": list(sd),
            "n": 100.0,
            "mean": 0.0,
            "sd": list(sd.values()),
            "min": -3.0,
            "max": 3.0,
        }  # fmt: skip
    ).to_csv(res / "measurement" / "descriptives.csv", index=False)
    build_report(res, figs).commit()
    return (res / "report.md").read_text()


def test_the_report_says_where_the_corrections_disagree(tmp_path):
    md = _results(tmp_path / "a", table())
    section = md.split("### Corrected estimates beside the main model")[1].split("\n#")[0]
    assert "when its sign differs, when one is significant at the 5% level" in section
    items = [line for line in section.splitlines() if line.startswith("- ")]
    assert [i.split("**")[1] for i in items] == ["H3", "H4", "H5", "H6"]
    # per SD as the results above: H6 is 100 x 0.2 x 0.034 = 0.68 percentage points
    assert "0.68 percentage points per SD" in items[3]
    # without a corrected model the section is absent
    plain = table()
    md = _results(tmp_path / "b", plain[plain["model"] == "dirichlet"])
    assert "Corrected estimates beside the main model" not in md


def test_every_correction_states_its_assumption_in_the_report(tmp_path):
    assert set(CORRECTION_ASSUMPTIONS) == set(CORRECTION_NAMES)
    eiv, cf = table("dirichlet", "_eiv"), table("dirichlet", "_cf")
    hyps = pd.concat([eiv, cf[cf["model"] == "dirichlet_cf"]], ignore_index=True)
    sentences = correction_assumptions(hyps, "dirichlet")
    assert [s.split("`")[1] for s in sentences] == ["dirichlet_eiv", "dirichlet_cf"]
    assert sentences[0].startswith("The errors-in-variables correction (`dirichlet_eiv`) assumes")
    assert "no survey can tell the two cases apart" in sentences[0]
    assert correction_assumptions(table("dirichlet", "_ols"), "dirichlet") == []
    md = _results(tmp_path, hyps)
    section = md.split("### Corrected estimates beside the main model")[1].split("\n#")[0]
    assert " ".join(sentences) in section
