"""The set of figures: their names and captions, and :func:`make_figures` drawing them all.

:func:`make_figures` draws every figure from a fitted main model and its
hypothesis report and stages it through an
:class:`~leadblackhole.outputs.OutputSet`, so the folder receives all figures
or none. It draws what it is given: the effects and Johnson–Neyman analyses
come from the report (``leadblackhole fit`` computes it once), and so does the
data of the sensitivity contour (``sensitivity_contour.csv``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ...models.sensitivity import CONTOUR_HYPOTHESIS
from ...outputs import OutputSet
from ...registry import HYPOTHESES, Hypothesis
from .drawing import (
    FIGURE_FORMATS,
    SHORT_LABELS,
    add_footer,
    figure_bytes,
    frame_tables,
    scale_ranges_of,
)
from .effects_plot import plot_effects
from .moderation import plot_johnson_neyman, plot_moderation
from .sensitivity import plot_sensitivity_contour
from .shares import plot_shares_by_firm, plot_ternary

__all__ = ["FIGURE_CAPTIONS", "SENSITIVITY_STEM", "figure_names", "make_figures"]

#: Stem of the sensitivity contour figure (``sensitivity_h4``).
SENSITIVITY_STEM = f"sensitivity_{CONTOUR_HYPOTHESIS.lower()}"

#: Figure stem -> caption (for reports that show the figures).
FIGURE_CAPTIONS: dict[str, str] = {
    "effects": "Share-scale effects of H1-H11 and E1 with 95% intervals (per SD of predictor "
    "and moderator, percentage points of working time).",
    "ternary_shares": "Time shares of each rep, coloured by experience.",
    "shares_by_firm": "Distribution of the three time shares by firm.",
    SENSITIVITY_STEM: f"{CONTOUR_HYPOTHESIS}: the OLS estimate a hidden confounder would leave, "
    "over its partial R² with lead volume and with the marketing share (Cinelli & Hazlett "
    "2020); red dashed: zero; points: confounders once, twice and three times as strong as "
    "experience and as performance.",
}
for _h in HYPOTHESES:
    if _h.moderator is not None:
        FIGURE_CAPTIONS[f"moderation_{_h.id}"] = (
            f"{_h.id}: predicted marketing share across {SHORT_LABELS[_h.predictor]} at low, "
            f"mean and high {SHORT_LABELS[_h.moderator]}, with 95% bands."
        )
        FIGURE_CAPTIONS[f"johnson_neyman_{_h.id}"] = (
            f"{_h.id}: effect of {SHORT_LABELS[_h.predictor]} on the marketing share across "
            f"{SHORT_LABELS[_h.moderator]} (Johnson-Neyman)."
        )


def _moderations() -> list[Hypothesis]:
    return [h for h in HYPOTHESES if h.moderator is not None]


def figure_names() -> list[str]:
    """Stems of the figures :func:`make_figures` writes, in order.

    Returns
    -------
    list of str
        ``effects``, ``moderation_<id>`` and ``johnson_neyman_<id>`` for each
        moderation, ``ternary_shares``, ``shares_by_firm``, ``sensitivity_h4``
        (the last only when the report carries the contour's data).
    """
    names = ["effects"]
    names += [f"moderation_{h.id}" for h in _moderations()]
    names += [f"johnson_neyman_{h.id}" for h in _moderations()]
    names += ["ternary_shares", "shares_by_firm", SENSITIVITY_STEM]
    return names


def make_figures(
    frame: Any,
    results: Any,
    outdir: str | os.PathLike[str],
    *,
    report: Any,
    formats: Sequence[str] = FIGURE_FORMATS,
    data_note: str | None = None,
) -> list[Path]:
    """Draw every figure and write it to ``outdir`` (all files or none).

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame (its ``scale_ranges`` label the axes of scale scores).
    results : ShareResults
        The fitted main model (Dirichlet regression).
    outdir : path-like
        Folder the figures go to (created when missing).
    report : HypothesisReport
        Output of :func:`~leadblackhole.effects.run_hypotheses` for these data
        and model (the registry effects of every model it compared and the
        Johnson–Neyman analyses of the main model); the sensitivity contour
        figure is drawn when its ``sensitivity_contour`` holds the data
        (``leadblackhole fit`` attaches it), and left out otherwise.
    formats : sequence of str
        File formats (default PNG and PDF).
    data_note : str, optional
        A footer set under every figure; for simulated data the sentence that
        says so (:attr:`leadblackhole.data.source.DataSource.label`).

    Returns
    -------
    list of Path
        The files written, in the order of :func:`figure_names` and ``formats``.

    Raises
    ------
    ValueError
        For an unknown format.
    """
    for fmt in formats:
        if fmt not in FIGURE_FORMATS:
            raise ValueError(f"formats must be among {FIGURE_FORMATS}; received {fmt!r}")
    options = report.options
    data, raw, means = frame_tables(frame)
    effects = plot_effects(report.hypotheses, frame, alpha=options.alpha)
    figs: list[tuple[str, Figure]] = [("effects", effects)]
    for h in _moderations():
        figs.append((f"moderation_{h.id}", plot_moderation(results, frame, h, options=options)))
    for h in _moderations():
        jn = report.jn_analyses[(h.id, "normal")]
        fdr = report.jn_analyses.get((h.id, "esarey_sumner"))
        obs = data[h.moderator].to_numpy(float) + float(means.get(h.moderator, 0.0))
        figs.append(
            (
                f"johnson_neyman_{h.id}",
                plot_johnson_neyman(
                    jn, fdr, hypothesis_id=h.id, observed=obs, scale_ranges=scale_ranges_of(frame)
                ),
            )
        )
    figs.append(("ternary_shares", plot_ternary(frame)))
    figs.append(("shares_by_firm", plot_shares_by_firm(frame)))
    contour = getattr(report, "sensitivity_contour", None)
    if contour is not None:
        figs.append((SENSITIVITY_STEM, plot_sensitivity_contour(contour)))
    out = outdir if isinstance(outdir, OutputSet) else OutputSet(outdir)
    for name, fig in figs:
        if data_note:
            add_footer(fig, data_note)
        for fmt in formats:
            out.add_bytes(f"{name}.{fmt}", figure_bytes(fig, fmt, description=data_note))
    paths = out.commit()
    return [paths[n] for n in out.names]
