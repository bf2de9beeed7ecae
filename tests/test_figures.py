"""Tests of the figures: every file is written, non-empty, and reproducible to the byte."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import EffectsError, run_hypotheses
from leadblackhole.models.main import fit_main_model
from leadblackhole.models.robustness import fit_fractional_logit, fit_ols
from leadblackhole.models.sensitivity import contour_table
from leadblackhole.registry import HYPOTHESES
from leadblackhole.reporting.figures import (
    FIGURE_CAPTIONS,
    FIGURE_FORMATS,
    SENSITIVITY_STEM,
    figure_bytes,
    figure_names,
    make_figures,
    plot_effects,
    plot_johnson_neyman,
    plot_moderation,
    plot_sensitivity_contour,
    plot_ternary,
)
from leadblackhole.simulation import StudyDesign, simulate

from .conftest import FIXTURE_SEED


@pytest.fixture(scope="module")
def fitted():
    frame = build_analysis_frame(validate_survey(simulate(StudyDesign(), seed=FIXTURE_SEED).survey))
    res = fit_main_model(frame)
    robust = {"robustness": [fit_fractional_logit(frame), fit_ols(frame)]}
    # the contour's data as `fit` attaches it (pipeline.hypotheses)
    report = replace(run_hypotheses(frame, res, **robust), sensitivity_contour=contour_table(frame))
    return frame, res, report, robust


@pytest.mark.slow
def test_every_figure_is_written_and_reproducible(fitted, tmp_path):
    frame, res, report, robust = fitted
    # the figures draw the report they are handed: one computed afresh and the
    # fixture's, made separately, must give the same bytes
    afresh = replace(run_hypotheses(frame, res, **robust), sensitivity_contour=contour_table(frame))
    first = make_figures(frame, res, tmp_path / "a", report=afresh)
    second = make_figures(frame, res, tmp_path / "b", report=report)
    expected = [f"{n}.{fmt}" for n in figure_names() for fmt in FIGURE_FORMATS]
    # 1 forest plot + 6 moderation + 6 Johnson-Neyman + ternary + shares by firm + sensitivity
    assert len(figure_names()) == 16 and figure_names()[-1] == "sensitivity_h4"
    assert [p.name for p in first] == expected
    assert [p.name for p in second] == expected
    # a report without the contour's data (an older fit artifact): that figure is left out
    older = make_figures(
        frame, res, tmp_path / "c", report=replace(report, sensitivity_contour=None)
    )
    assert [p.name for p in older] == [n for n in expected if not n.startswith(SENSITIVITY_STEM)]
    for a, b in zip(first, second, strict=True):
        data = a.read_bytes()
        # the smallest figure (box plots, PDF) is about 16 kB; an empty canvas
        # or a truncated file would be far below 5 kB
        assert len(data) > 5_000, a.name
        assert data == b.read_bytes(), f"{a.name} differs between two runs"
        if a.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
            assert b"Software" not in data  # no tool/version stamp
            with Image.open(io.BytesIO(data)) as im:
                # 200 dpi (figures.py) and at least a journal column (3.5 in) wide
                dpi = im.info["dpi"][0]
                assert dpi == pytest.approx(200, abs=1), (a.name, dpi)
                assert im.size[0] / dpi >= 3.5, (a.name, im.size)
        else:
            assert data.startswith(b"%PDF-")
            assert b"CreationDate" not in data and b"ModDate" not in data


def test_every_figure_has_a_caption():
    assert set(figure_names()) <= set(FIGURE_CAPTIONS)


def test_johnson_neyman_plot_without_rug(fitted):
    _, _, report, _ = fitted
    jn = report.jn_analyses[("E1", "normal")]
    fig = plot_johnson_neyman(jn)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert figure_bytes(fig, "png").startswith(b"\x89PNG")


def test_figure_errors(fitted, tmp_path):
    frame, res, report, _ = fitted
    main_effect = next(h for h in HYPOTHESES if h.moderator is None)
    with pytest.raises(EffectsError, match="H1 is not a moderation"):
        plot_moderation(res, frame, main_effect)
    with pytest.raises(ValueError, match="fmt must be one of"):
        figure_bytes(Figure(), "svg")
    with pytest.raises(ValueError, match="formats must be among"):
        make_figures(frame, res, tmp_path / "x", report=report, formats=("jpg",))
    assert not (tmp_path / "x").exists()  # nothing written on error
    table = report.hypotheses
    with pytest.raises(EffectsError, match="no rows for the main model \\(dirichlet\\)"):
        plot_effects(table[table["model"] == "ols"], frame)
    with pytest.raises(EffectsError, match="expected an AnalysisFrame"):
        plot_ternary(frame.data)


@pytest.mark.parametrize("layout", ["legend", "constrained", "none"])
def test_simulated_label_is_drawn_and_stored_reproducibly(layout):
    """The label goes on every kind of figure, in its metadata too, with the same bytes twice."""
    from leadblackhole.reporting.figures import add_footer

    label = "Simulated data (leadblackhole simulate, seed 1): not the study's data."

    def draw() -> tuple[Figure, dict[str, bytes]]:
        fig = Figure(figsize=(4, 3), layout=None if layout == "none" else "constrained")
        ax = fig.subplots()
        (line,) = ax.plot([0, 1], label="a line")
        if layout == "legend":
            fig.legend(handles=[line], loc="outside lower center")
        add_footer(fig, label)
        return fig, {fmt: figure_bytes(fig, fmt, description=label) for fmt in FIGURE_FORMATS}

    fig, first = draw()
    _, second = draw()
    assert first == second
    texts = [t.get_text() for t in fig.texts] + [lg.get_title().get_text() for lg in fig.legends]
    if fig._supxlabel is not None:
        texts.append(fig._supxlabel.get_text())
    assert label in texts
    assert Image.open(io.BytesIO(first["png"])).info["Description"] == label
    assert b"Simulated data" in first["pdf"]


def test_sensitivity_contour_figure_draws_what_it_is_given(fitted):
    frame, _, report, _ = fitted
    table = report.sensitivity_contour
    fig = plot_sensitivity_contour(table)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts]
    # one label per benchmark point: its strength and the estimate it would leave (pp)
    points = table[table["kind"] == "benchmark"]
    for r in points.itertuples(index=False):
        label = f"{r.multiple:g}× {r.benchmark} → {100 * r.adjusted_estimate:.3g}"
        assert label in labels, label
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"unadjusted: {100 * table['estimate'].iloc[0]:.3g}" in legend
    assert "estimate = 0" in legend
    grid = table[table["kind"] == "grid"]
    assert ax.get_xlim() == (0.0, grid["r2dz_x"].max())
    assert figure_bytes(fig, "png").startswith(b"\x89PNG")


def test_sensitivity_contour_figure_errors(fitted):
    _, _, report, _ = fitted
    table = report.sensitivity_contour
    two = pd.concat([table, table.assign(id="H1")], ignore_index=True)
    with pytest.raises(EffectsError, match="draws one hypothesis; the table has 2"):
        plot_sensitivity_contour(two)
    holed = table.copy()
    holed.loc[holed.index[holed["kind"] == "grid"][5], "adjusted_estimate"] = np.nan
    with pytest.raises(EffectsError, match="complete grid"):
        plot_sensitivity_contour(holed)
