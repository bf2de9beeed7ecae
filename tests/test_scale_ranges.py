"""Scale ranges travel with the analysis: labels, axes, allocation scenarios, tables.

A survey with a 1-5 prequalification scale (Q5_3 reverse-worded) and a 0-10 tracking
scale, built from the data-entry builder (``own_survey``). Every expected value is
computed here from the answers and the declared ranges: the scenario values by hand
(``min(x + sd, 5)``, 0), the predicted shares from the fitted coefficients with the
package's ``design_matrix``, the item names from the codebook's text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadblackhole import cli, pipeline
from leadblackhole.allocation import allocate, apply_scenario
from leadblackhole.data import build_analysis_frame, load_survey, validate_survey
from leadblackhole.effects import EffectOptions
from leadblackhole.measurement import run_measurement
from leadblackhole.models import fit_share_model
from leadblackhole.registry import HYPOTHESES
from leadblackhole.reporting.figures import (
    plot_johnson_neyman,
    plot_moderation,
    variable_label,
)
from leadblackhole.reporting.report_sentences import jn_sentences
from leadblackhole.specification import design_matrix

from .conftest import write_csv
from .test_data_entry import OWN_CODEBOOK, own_survey, write_codebook

#: The own codebook with the tracking scale on 0-10 instead of 1-7.
RANGED_CODEBOOK = OWN_CODEBOOK.replace(
    '[scales.tracking]\nitems = ["Q6_1", "Q6_2", "Q6_3", "Q6_4"]\n',
    '[scales.tracking]\nitems = ["Q6_1", "Q6_2", "Q6_3", "Q6_4"]\nrange = [0, 10]\n',
)


def _by_id(hid: str):
    return next(h for h in HYPOTHESES if h.id == hid)


@pytest.fixture(scope="module")
def ranged(tmp_path_factory):
    """(survey, frame, Dirichlet fit): prequal on 1-5, tracking on 0-10."""
    assert "range = [0, 10]" in RANGED_CODEBOOK
    df, _, _ = own_survey()
    for k in range(1, 5):
        col = f"Q6_{k}"
        answered = df[col] != 99
        df.loc[answered, col] = np.rint((df.loc[answered, col] - 1) * 10 / 6)
    root = tmp_path_factory.mktemp("ranged")
    survey = load_survey(write_csv(root, df), codebook=write_codebook(root, RANGED_CODEBOOK))
    frame = build_analysis_frame(survey)
    return survey, frame, fit_share_model(frame, "dirichlet")


# --------------------------------------------------------------------------- the frame
def test_frame_carries_the_survey_ranges(ranged, default_survey):
    survey, frame, _ = ranged
    assert frame.scale_range("prequal") == (1, 5) and frame.scale_range("tracking") == (0, 10)
    assert dict(frame.scale_ranges) == {"prequal": (1, 5), "tracking": (0, 10)}
    assert frame.raw["tracking"].min() >= 0 and frame.raw["tracking"].max() <= 10
    plain = build_analysis_frame(validate_survey(default_survey))
    assert plain.scale_range("prequal") == (1, 7) and plain.scale_range("tracking") == (1, 7)


# --------------------------------------------------------------------------- figures
def test_variable_label_names_the_range():
    assert variable_label("prequal", {"prequal": (1, 5)}) == (
        "Lead prequalification quality (scale mean, 1–5)"
    )
    assert variable_label("tracking", {"tracking": (0, 10)}) == (
        "Managerial tracking of follow-up (scale mean, 0–10)"
    )
    assert variable_label("prequal") == "Lead prequalification quality (scale mean, 1–7)"
    assert variable_label("experience", {"prequal": (1, 5)}) == "Sales experience (years)"


@pytest.mark.parametrize(
    "hid, label",
    [
        ("H9", "Lead prequalification quality (scale mean, 1–5)"),
        ("H7", "Managerial tracking of follow-up (scale mean, 0–10)"),
    ],
)
def test_moderation_axis_reads_the_scale_range(ranged, hid, label):
    _, frame, res = ranged
    fig = plot_moderation(res, frame, _by_id(hid), points=5, options=EffectOptions())
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert label in labels
    assert not any("1–7" in x for x in labels)


def test_johnson_neyman_axis_of_a_scale_moderator_reads_the_range(ranged):
    """A moderator that is a scale score (not in the registry, but allowed) gets its range."""
    from leadblackhole.effects import johnson_neyman

    _, frame, res = ranged
    jn = johnson_neyman(res, frame, "volume", "tracking", outcome="marketing")
    fig = plot_johnson_neyman(jn, scale_ranges=frame.scale_ranges)
    assert fig.axes[0].get_xlabel() == "Managerial tracking of follow-up (scale mean, 0–10)"


# --------------------------------------------------------------------------- allocation
def test_scenarios_are_bounded_by_the_survey_ranges(ranged):
    _, frame, _ = ranged
    raw = frame.raw
    sd = raw["prequal"].std(ddof=1)
    assert (raw["prequal"] + sd > 5).any()  # the cap binds for some reps
    up = apply_scenario(raw, "prequal_up", frame.scale_ranges)
    np.testing.assert_allclose(up["prequal"], np.minimum(raw["prequal"] + sd, 5.0))
    off = apply_scenario(raw, "no_tracking_top", frame.scale_ranges)
    top = raw["performance"] >= raw["performance"].quantile(0.75)
    assert (off.loc[top, "tracking"] == 0.0).all()
    pd.testing.assert_series_equal(off.loc[~top, "tracking"], raw.loc[~top, "tracking"])


def test_allocate_reads_the_frame_ranges(ranged):
    """The shares under each scenario are those of the capped (or zeroed) scale values."""
    _, frame, res = ranged
    out = allocate(
        res,
        frame,
        policies=("equal",),
        scenarios=("prequal_up", "no_tracking_top"),
        n_draws=0,
        seed=1,
        hours_per_lead=4.0,
    )
    raw = frame.raw
    top = (raw["performance"] >= raw["performance"].quantile(0.75)).to_numpy()
    moved = {
        "prequal_up": ("prequal", np.minimum(raw["prequal"] + raw["prequal"].std(ddof=1), 5.0)),
        "no_tracking_top": ("tracking", np.where(top, 0.0, raw["tracking"])),
    }
    for scenario, (var, values) in moved.items():
        got = out.allocation[out.allocation["scenario"] == scenario]
        assert got["rep_id"].tolist() == frame.data["rep_id"].tolist()
        leads = got["leads"].to_numpy(dtype=float)
        assert leads.sum() == raw["lead_volume"].sum() and np.ptp(leads) <= 1  # an equal split
        new = frame.data.copy()
        new[var] = np.asarray(values, dtype=float) - frame.means[var]
        new["volume"] = np.log1p(leads) - frame.means["volume"]
        expected = res.predict(design_matrix(new, levels=frame.firms))["marketing"].to_numpy()
        np.testing.assert_allclose(got["marketing_share"].to_numpy(), expected, rtol=1e-9)


# --------------------------------------------------------------------------- measurement
def test_measurement_tables_use_the_file_names_and_mark_reversed_items(ranged):
    survey, frame, _ = ranged
    assert survey.item_labels() == {
        "pq_1": "Q5_1",
        "pq_2": "Q5_2",
        "pq_3": "Q5_3 (R)",
        "pq_4": "Q5_4",
        "mt_1": "Q6_1",
        "mt_2": "Q6_2",
        "mt_3": "Q6_3",
        "mt_4": "Q6_4",
    }
    report = pipeline.measure(survey, frame)
    loadings = report.loadings
    assert loadings["item"].tolist() == [
        *("Q5_1", "Q5_2", "Q5_3 (R)", "Q5_4"),
        *("Q6_1", "Q6_2", "Q6_3", "Q6_4"),
    ]
    # the same numbers as the analysis on the internal names
    items, scales, variables, groups = frame.measurement_inputs(survey)
    plain = run_measurement(items, scales, variables=variables, groups=groups)
    assert plain.loadings["item"].tolist()[:4] == ["pq_1", "pq_2", "pq_3", "pq_4"]
    pd.testing.assert_frame_equal(
        loadings.drop(columns="item"), plain.loadings.drop(columns="item")
    )
    for name in ("measurement", "cfa_fit", "cmv", "descriptives", "correlations"):
        pd.testing.assert_frame_equal(report.tables[name], plain.tables[name])


def test_simulated_items_keep_their_names(default_survey):
    survey = validate_survey(default_survey)
    assert survey.item_labels() == {
        c: c for c in survey.scales["prequal"] + survey.scales["tracking"]
    }


# --------------------------------------------------------------------------- validation.md
def test_validation_summary_lists_the_missing_codes(tmp_path, monkeypatch):
    df, _, planted = own_survey()
    path = tmp_path / "field_survey_2025.dta"
    df.to_stata(path, write_index=False, version=118)
    cb = write_codebook(tmp_path, OWN_CODEBOOK)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate", str(path), "--codebook", str(cb), "--out", "results"]) == 0
    text = (tmp_path / "results/validation.md").read_text()
    total = sum(len(rows) for rows in planted.values())
    assert f"- cells holding a missing-value code of the codebook: {total}\n" in text
    for canonical, col in (("pq_2", "Q5_2"), ("pq_3", "Q5_3"), ("mt_1", "Q6_1")):
        line = f"  - '{canonical}' ({col}) = 99: {len(planted[col])}\n"
        assert line.replace("_", "\\_") in text
    assert "- scale ranges other than 1 to 7: prequal 1 to 5\n" in text
    # after the rows read, before the exclusions
    assert text.index("rows read") < text.index("missing-value code") < text.index("excluded")


def test_validation_summary_of_a_plain_survey_has_no_intake_lines(default_survey):
    frame = build_analysis_frame(validate_survey(default_survey))
    lines = [line for line, _ in frame.summary_items()]
    assert lines[0].startswith("rows read") and lines[1].startswith("excluded reps")
    assert not any("missing-value code" in x or "scale ranges" in x for x in lines)


# --------------------------------------------------------------------------- report sentence
def test_jn_sentence_of_a_moderation_without_a_region():
    """A region-less moderation is one row with empty bounds and sign, as read from the CSV."""
    jn = pd.DataFrame(
        {
            "id": ["H7", "H8"],
            "predictor": ["tracking", "volume"],
            "moderator": ["experience", "experience"],
            "method": ["normal", "normal"],
            "region": [1, 0],
            "low": [1.0, np.nan],
            "high": [11.5, np.nan],
            "sign": [1.0, np.nan],
            "share_of_reps": [0.67, 0.0],
        }
    )
    assert jn_sentences(jn) == [
        "- H7: the effect of tracking is significantly positive where experience is between "
        "1.00 and 11.50 (67% of reps).",
        "- H8: the effect is significant nowhere in the observed range.",
    ]
