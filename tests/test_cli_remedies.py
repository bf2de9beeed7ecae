"""``fit`` with the corrected and two-step models, ``sensitivity.csv`` and the marker CMV test.

Each test runs the command line on a simulated survey (issues 19 and 20). Values are
checked against a computation that does not go through the command: the computing
functions called directly with the same seed (the wiring), statsmodels for the
first-stage F and the OLS t statistic, the closed form of the robustness value.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from leadblackhole import cli
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.tables_text import table_to_csv

BOOT = 30  # bootstrap replicates of --correction-se bootstrap in these tests (default 200)
MARKER_CODEBOOK = '[scales.marker]\nitems = ["mk_1", "mk_2", "mk_3"]\n'


def _write(root, survey: pd.DataFrame, codebook: str | None = None):
    root.mkdir(parents=True, exist_ok=True)
    path = root / "reps.csv"
    path.write_text(table_to_csv(survey))
    cb = None
    if codebook is not None:
        cb = root / "codebook.toml"
        cb.write_text(codebook)
    return path, cb


@pytest.fixture(scope="module")
def remedy_survey(tmp_path_factory):
    """A survey with a campaign budget, an exclusion variable, a marker scale and 40 zero-time reps."""
    design = StudyDesign(
        instrument_strength=0.5, selection_exclusion=0.8, marker_items=3, n_zero_marketing=40
    )
    survey, _ = simulate(design, seed=3)
    return _write(tmp_path_factory.mktemp("remedies"), survey, MARKER_CODEBOOK)


@pytest.fixture(scope="module")
def remedy_fit(remedy_survey):
    """``fit`` with every remedy; returns the output folder."""
    path, cb = remedy_survey
    out = path.parent / "out"
    argv = ["fit", str(path), "--codebook", str(cb), "--out", str(out), "--seed", "5"]
    argv += ["--errors-in-variables", "--marker", "marker"]
    argv += ["--endogenous", "volume", "--instrument", "campaign_budget"]
    argv += ["--selection-instrument", "lead_access"]
    assert cli.main(argv) == 0
    return out


def _frame(path, cb, extra=()):
    from leadblackhole.data import attach_extra_columns, build_analysis_frame, load_survey

    survey = load_survey(path, codebook=cb, extra_columns=list(extra))
    return survey, attach_extra_columns(build_analysis_frame(survey), survey, list(extra))


def _design(d: pd.DataFrame, volume: bool = True) -> pd.DataFrame:
    """The right-hand side of docs/study.md built by hand (no intercept), with or without volume."""
    x = pd.get_dummies(d["firm"], prefix="firm", drop_first=True, dtype=float)
    focal = ("prequal", "tracking", "volume") if volume else ("prequal", "tracking")
    for col in (*focal, "experience", "performance", "variable_pay"):
        x[col] = d[col]
    for m in ("experience", "performance"):
        for v in focal:
            x[f"{m}:{v}"] = d[m] * d[v]
    return x


REMEDIES = (
    "dirichlet_rounded_eiv",
    "dirichlet_rounded_marker",
    "dirichlet_rounded_cf",
    "dirichlet_rounded_heckman",
)


def test_remedies_sit_beside_the_main_model_in_every_table(remedy_fit):
    fit_stats = pd.read_csv(remedy_fit / "fit_stats.csv")
    assert list(fit_stats["model"][:5]) == ["dirichlet_rounded", *REMEDIES]
    est = pd.read_csv(remedy_fit / "estimates.csv")
    assert list(dict.fromkeys(est["model"]))[:5] == ["dirichlet_rounded", *REMEDIES]
    hyp = pd.read_csv(remedy_fit / "hypotheses.csv")
    assert list(dict.fromkeys(hyp["model"]))[:5] == ["dirichlet_rounded", *REMEDIES]
    assert (hyp.groupby("model", sort=False).size()[list(REMEDIES)] == 12).all()
    # Holm within each model: the smallest directional p-value times 11
    eiv = hyp[(hyp["model"] == REMEDIES[0]) & (hyp["expected_sign"] != 0)]
    low = eiv["p_value"].idxmin()
    assert eiv.loc[low, "p_holm"] == pytest.approx(min(1.0, 11 * eiv.loc[low, "p_value"]))
    # the regression table: the four models' columns right after the main model's
    table = (remedy_fit / "regression_table.md").read_text()
    header = [c.strip() for c in table.splitlines()[0].split("|")]
    order = [
        "Rounded Dirichlet self",
        "Rounded Dirichlet EIV marketing",
        "Rounded Dirichlet marker marketing",
        "Rounded Dirichlet CF marketing",
        "Rounded Dirichlet Heckman self",
        "Dirichlet marketing",
    ]
    assert [header.index(h) for h in order] == sorted(header.index(h) for h in order)
    for term in ("| method |", r"| cf\_volume |", r"| inverse\_mills |"):
        assert term in table
    assert "two-step sandwich standard errors (the first step's estimation error" in table
    assert "two-step sandwich standard errors" in table.split("Dirichlet CF:")[1]
    # the cell of the EIV model's prequal coefficient is its estimate in estimates.csv
    row = est[(est["model"] == REMEDIES[0]) & (est["equation"] == "marketing")]
    coef = row.set_index("term").loc["prequal", "estimate"]
    line = next(ln for ln in table.splitlines() if ln.startswith("| prequal |"))
    assert line.split("|")[4].strip().rstrip("*") == f"{coef:.3f}"


def test_corrections_are_those_of_the_computing_functions(remedy_fit, remedy_survey):
    """The command passes the main model and the items through (sandwich standard errors)."""
    from leadblackhole.corrections import fit_eiv, fit_marker

    path, cb = remedy_survey
    survey, frame = _frame(path, cb)
    items, scales = frame.measurement_inputs(survey)[:2]
    model_scales = {s: v for s, v in scales.items() if s in ("prequal", "tracking")}
    hyp = pd.read_csv(remedy_fit / "hypotheses.csv").set_index(["model", "id"])
    eiv = fit_eiv(frame, items, model_scales, model="dirichlet_rounded")
    mk = fit_marker(frame, items, "marker", scales, model="dirichlet_rounded")
    for res in (eiv, mk):
        got = hyp.loc[res.model_name].loc[res.effects["id"]]
        np.testing.assert_allclose(got["estimate"], res.effects["estimate"], rtol=1e-9)
        np.testing.assert_allclose(got["std_error"], res.effects["std_error"], rtol=1e-9)


def test_first_stage_f_is_the_hc1_wald_statistic(remedy_fit, remedy_survey):
    """One instrument: the partial F is the square of its HC1 t statistic (statsmodels)."""
    path, cb = remedy_survey
    _, frame = _frame(path, cb, ["campaign_budget"])
    d = frame.data
    x = _design(d, volume=False)
    x["campaign_budget"] = d["campaign_budget"]
    ols = sm.OLS(d["volume"], sm.add_constant(x)).fit(cov_type="HC1")
    fs = pd.read_csv(remedy_fit / "first_stage.csv")
    assert fs["partial_f"].iloc[0] == pytest.approx(ols.tvalues["campaign_budget"] ** 2, rel=1e-6)
    assert not fs["weak"].any()
    tests = pd.read_csv(remedy_fit / "endogeneity_tests.csv")
    assert list(tests["model"]) == ["dirichlet_rounded_cf", "dirichlet_rounded_heckman"]
    assert list(tests["test"]) == ["exogeneity", "no_selection"]
    assert tests["identification"].tolist() == [
        "instruments: campaign_budget",
        "exclusion variables: lead_access",
    ]


def test_allocate_after_a_fit_with_an_instrument_reports_both_models(
    remedy_fit, remedy_survey, tmp_path, capsys
):
    """The control-function model is saved with the kept ones; allocate reads and compares it."""
    import json

    from leadblackhole.allocation import allocate
    from leadblackhole.reporting.artifacts import FitArtifact

    path, cb = remedy_survey
    fits = remedy_fit / "fits.json"
    saved = [m["name"] for m in json.loads(fits.read_text())["models"]]
    # the kept models and the control function; the other remedies are in the tables only
    kept = ["dirichlet_rounded", "dirichlet", "fmlogit", "ols", "fractional_logit"]
    assert sorted(saved) == sorted([*kept, "dirichlet_rounded_cf"])
    args = ["allocate", str(path), "--codebook", str(cb), "--fits", str(fits), "--draws", "6"]
    args += ["--scenario", "baseline", "--policy", "optimal", "--seed", "2"]
    for model, other in (("dirichlet_rounded", "dirichlet_rounded_cf"), (None, None)):
        out = tmp_path / (model or "cf")
        extra = [] if model else ["--model", "dirichlet_rounded_cf"]
        assert cli.main([*args, "--out", str(out), *extra]) == 0
        capsys.readouterr()
        report = (out / "assumptions.txt").read_text()
        used, other = (model, other) if model else ("dirichlet_rounded_cf", "dirichlet_rounded")
        assert report.startswith(f"model: the {used} fit saved in {fits}")
        assert f"with {other} instead" in report
    # the comparison is the allocation under the saved control-function fit itself
    _, frame = _frame(path, cb)
    cf = FitArtifact.load(fits, path, frame).fits["dirichlet_rounded_cf"]
    alt = allocate(cf, frame, policies=["optimal"], scenarios=["baseline"], n_draws=6, seed=2)
    lines = (tmp_path / "dirichlet_rounded" / "assumptions.txt").read_text().splitlines()
    at = next(k for k, x in enumerate(lines) if x.startswith("with dirichlet_rounded_cf instead"))
    assert f"black hole {alt.policies.iloc[0].black_hole_rate:6.1%}" in lines[at + 1]


def test_sensitivity_rv_from_the_ols_t_statistic(remedy_fit, remedy_survey):
    """RV (q = 1) of H1 by hand from statsmodels' classical OLS t statistic of prequal."""
    path, cb = remedy_survey
    _, frame = _frame(path, cb)
    ols = sm.OLS(frame.data["marketing"], sm.add_constant(_design(frame.data))).fit()
    t = float(ols.tvalues["prequal"])
    f = abs(t) / math.sqrt(ols.df_resid)
    rv = 0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2)
    sens = pd.read_csv(remedy_fit / "sensitivity.csv")
    h1 = sens[sens["id"] == "H1"]
    assert set(h1["model"]) == {"ols_classical"}
    assert h1["rv_q"].iloc[0] == pytest.approx(rv, rel=1e-9)
    assert h1["t_statistic"].iloc[0] == pytest.approx(t, rel=1e-9)
    assert set(sens["id"]) == {"H1", "H2", "H3", "H4", "H5", "H6"} | {
        "H7",
        "H8",
        "H9",
        "H10",
        "H11",
        "E1",
    }


def test_sensitivity_on_a_default_fit(tmp_path, survey_csv):
    out = tmp_path / "out"
    assert cli.main(["fit", str(survey_csv), "--out", str(out)]) == 0
    assert (out / "sensitivity.csv").is_file()
    for absent in ("first_stage.csv", "endogeneity_tests.csv"):
        assert not (out / absent).exists()
    models = pd.read_csv(out / "fit_stats.csv")["model"]
    assert not models.str.contains("_eiv|_marker|_cf|_heckman").any()


def test_selection_without_exclusion_is_labelled_functional_form(tmp_path):
    survey, _ = simulate(StudyDesign(n_zero_marketing=40), seed=4)
    path, _ = _write(tmp_path, survey)
    out = tmp_path / "out"
    assert cli.main(["fit", str(path), "--out", str(out), "--selection-instrument", "none"]) == 0
    name = "dirichlet_rounded_heckman_functional_form"
    for file in ("estimates.csv", "fit_stats.csv", "hypotheses.csv"):
        assert name in set(pd.read_csv(out / file)["model"]), file
    assert "Rounded Dirichlet Heckman (functional form) marketing" in (
        (out / "regression_table.md").read_text()
    )
    tests = pd.read_csv(out / "endogeneity_tests.csv")
    assert "functional form" in tests["identification"].iloc[0]
    assert not (out / "first_stage.csv").exists()


def test_weak_instrument_warns_in_the_log(tmp_path, default_survey, capsys):
    survey = default_survey.copy()
    survey["noise"] = np.random.default_rng(8).normal(size=len(survey))
    path, _ = _write(tmp_path, survey)
    out = tmp_path / "out"
    assert cli.main(["fit", str(path), "--out", str(out), "--instrument", "noise"]) == 0
    assert "partial F" in capsys.readouterr().err
    log = (out / "fit.log").read_text()
    assert "WeakInstrumentWarning" in log or "weak" in log.lower()
    assert pd.read_csv(out / "first_stage.csv")["weak"].all()


def test_measure_reports_the_marker_cmv_test(tmp_path, remedy_survey):
    path, cb = remedy_survey
    out = tmp_path / "m"
    assert cli.main(["measure", str(path), "--codebook", str(cb), "--out", str(out)]) == 0
    table = pd.read_csv(out / "marker_cmv.csv")
    assert list(table["quantity"]) == [
        "method_loading",
        "method_share",
        "lr_statistic",
        "df",
        "pvalue",
        "n_obs",
        "lr_statistic",
        "df",
        "pvalue",
    ]
    assert list(table["check"])[-3:] == ["marker_cfa_equal_loadings"] * 3
    assert table["value"].iloc[-2] == 4 + 4 + 3 - 1  # one method loading per item, less one
    assert (out / "marker_cmv.md").is_file() and (out / "marker_cmv.tex").is_file()


def test_measure_without_marker_writes_no_marker_table(tmp_path, survey_csv):
    out = tmp_path / "m"
    assert cli.main(["measure", str(survey_csv), "--out", str(out)]) == 0
    assert not (out / "marker_cmv.csv").exists()


# ----------------------------------------------------------------------------
# bad input: exit 2, a message naming the problem, nothing written
# ----------------------------------------------------------------------------
def _bad_survey(kind: str, survey: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    s = survey.copy()
    rng = np.random.default_rng(12)
    if kind == "negative_reliability":  # two prequal items answering in opposite directions
        s = s.drop(columns=["pq_3", "pq_4"])
        s["pq_2"] = (8 - s["pq_1"] + rng.integers(-1, 2, len(s))).clip(1, 7)
    elif kind == "one_item_marker":
        return s.assign(mk_1=rng.integers(1, 8, len(s))), '[scales.marker]\nitems = ["mk_1"]\n'
    elif kind == "one_item_scale":
        s = s.drop(columns=["pq_2", "pq_3", "pq_4"])
    s["budget"] = rng.normal(100, 20, len(s))
    s["const"] = 5.0
    s["twice_experience"] = 2 * s["experience"]
    s["holes"] = s["budget"].where(np.arange(len(s)) % 50 != 0)
    s["mk_1"], s["mk_2"] = rng.integers(1, 8, len(s)), rng.integers(1, 8, len(s))
    return s, '[scales.marker]\nitems = ["mk_1", "mk_2"]\n'


BAD = [
    ("negative_reliability", ["--errors-in-variables"], "reliabilit"),
    ("one_item_scale", ["--errors-in-variables"], "pq|item"),
    ("one_item_marker", ["--marker", "marker"], "item"),
    ("ok", ["--marker", "nosuchscale"], "nosuchscale"),
    ("ok", ["--marker", "prequal"], "prequal"),
    ("ok", ["--marker", " "], "--marker"),
    ("ok", ["--eiv-method", "calibration"], "--errors-in-variables"),
    ("ok", ["--errors-in-variables", "--eiv-method", "simex"], "simex"),
    ("ok", ["--errors-in-variables", "--correction-boot", "5"], "at least 20"),
    ("ok", ["--errors-in-variables", "--correction-se", "jackknife"], "invalid choice"),
    ("ok", ["--endogenous", "volume"], "--instrument"),
    ("ok", ["--instrument", "nosuchcolumn"], "nosuchcolumn"),
    ("ok", ["--instrument", "volume"], "volume"),
    ("ok", ["--instrument", "const"], "const"),
    ("ok", ["--instrument", "twice_experience"], "collinear"),
    ("ok", ["--instrument", "holes"], "holes|missing"),
    ("ok", ["--instrument", "budget", "--endogenous", "nosuchvar"], "nosuchvar"),
    ("ok", ["--instrument", "budget", "--selection-instrument", "budget"], "one role"),
    ("ok", ["--selection-instrument", ","], "'none'"),
    ("ok", ["--selection-instrument", "none"], "marketing"),
]


@pytest.mark.parametrize(("kind", "options", "message"), BAD)
def test_bad_remedy_input_exits_2(tmp_path, default_survey, capsys, kind, options, message):
    survey, codebook = _bad_survey(kind, default_survey)
    path, cb = _write(tmp_path, survey, codebook)
    out = tmp_path / "out"
    cb_args = ["--codebook", str(cb)] if cb is not None else []
    code = cli.main(["fit", str(path), *cb_args, "--out", str(out), *options])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    import re

    assert re.search(message, err, flags=re.IGNORECASE), err
    assert not out.exists() or not [p for p in os.listdir(out) if not p.startswith(".")]


def test_corrections_need_the_survey(default_survey, tmp_path):
    from leadblackhole import pipeline
    from leadblackhole.exceptions import EstimationError

    path, _ = _write(tmp_path, default_survey)
    _, frame = _frame(path, None)
    with pytest.raises(EstimationError, match="survey's items"):
        pipeline.fit(frame, remedies=pipeline.Remedies(errors_in_variables=True))


def test_report_says_how_strong_a_confounder_would_have_to_be(tmp_path, remedy_fit):
    import shutil

    results = tmp_path / "results"
    shutil.copytree(remedy_fit, results / "models")
    assert cli.main(["report", "--results", str(results), "--figures", str(tmp_path / "f")]) == 0
    text = (results / "report.md").read_text()
    assert "## Sensitivity to an unobserved confounder" in text
    sens = pd.read_csv(remedy_fit / "sensitivity.csv")
    h4 = sens[sens["id"] == "H4"].iloc[0]
    line = next(ln for ln in text.splitlines() if ln.startswith("- H4 "))
    assert f"RV = {h4['rv_q']:.1%}" in line and f"RV at 5% = {h4['rv_qa']:.1%}" in line
    assert "as strong as experience" in line
    assert sum(ln.startswith("- ") and " share): RV = " in ln for ln in text.splitlines()) == 12


def test_report_cites_the_works_of_the_corrected_models(tmp_path, remedy_fit):
    """Each corrected and two-step model's method is in the reference list; every
    author-year citation of the text has its entry, and every entry is cited."""
    import re
    import shutil

    from leadblackhole.reporting.report_references import REFERENCES

    from .table_cells import citations

    results = tmp_path / "results"
    shutil.copytree(remedy_fit, results / "models")
    assert cli.main(["report", "--results", str(results), "--figures", str(tmp_path / "f")]) == 0
    body, refs = (results / "report.md").read_text().split("## References", 1)
    listed = [line[2:] for line in refs.strip().splitlines()]
    firsts = {(ref.split(",")[0], re.search(r"\((\d{4})\)", ref).group(1)) for ref in listed}
    # regression calibration, the marker scale and its method factor, the selection
    # correction, the control function, the two-step sandwich (the bootstrap of both steps,
    # Efron & Tibshirani, only with --correction-se bootstrap)
    for work in (
        ("Carroll", "2006"),
        ("Lindell", "2001"),
        ("Williams", "2010"),
        ("Heckman", "1979"),
        ("Wooldridge", "2015"),
        ("Newey", "1994"),
        ("Cinelli", "2020"),
    ):
        assert work in firsts, work
    assert set(citations(body)) <= firsts
    for pattern, ref in REFERENCES:
        assert (re.search(pattern, body) is not None) == (ref in listed), ref


def test_bootstrap_standard_errors_on_request(remedy_survey):
    """``--correction-se bootstrap``: the corrections' standard errors from the seeded replicates."""
    from leadblackhole import pipeline
    from leadblackhole.corrections import fit_eiv
    from leadblackhole.exceptions import EstimationError
    from leadblackhole.pipeline.models import fit_remedies

    path, cb = remedy_survey
    survey, frame = _frame(path, cb)
    remedies = pipeline.Remedies.from_options(
        errors_in_variables=True, correction_se="bootstrap", correction_boot=BOOT, seed=5
    )
    fits, effects, _ = fit_remedies(frame, survey, remedies, "dirichlet", None)
    res = fits["dirichlet_eiv"]
    assert (res.std_errors, res.n_boot, res.seed) == ("bootstrap", BOOT, 5)
    assert res.std_errors_note.endswith(f"bootstrap of both steps ({BOOT} replicates)")
    items, scales = frame.measurement_inputs(survey)[:2]
    model_scales = {s: v for s, v in scales.items() if s in ("prequal", "tracking")}
    ref = fit_eiv(frame, items, model_scales, std_errors="bootstrap", n_boot=BOOT, seed=5)
    pd.testing.assert_frame_equal(effects["dirichlet_eiv"], ref.effects)
    with pytest.raises(EstimationError, match="--correction-se: expected one of"):
        pipeline.Remedies.from_options(correction_se="jackknife")
