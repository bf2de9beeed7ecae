"""Moderation figures: the predicted share at low, mean and high moderator, and Johnson–Neyman.

``moderation_<id>``
    For each moderation (H7–H11, E1): the average predicted marketing share
    across the focal predictor with the moderator at its mean and one
    standard deviation either side, with 95% confidence bands.
``johnson_neyman_<id>``
    For each moderation: the conditional average effect of the focal
    predictor on the marketing share across the moderator, with the 95%
    pointwise band, the Esarey–Sumner false-discovery-rate band and the
    Johnson–Neyman region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...effects import EffectOptions, EffectsError, JohnsonNeyman, predictive_margins
from ...registry import Hypothesis
from .drawing import (
    FIGURE_RC,
    SHORT_LABELS,
    frame_tables,
    new_figure,
    scale_ranges_of,
    variable_label,
)

__all__ = ["plot_johnson_neyman", "plot_moderation"]

#: Units of the raw moderator values in legends.
_UNITS: dict[str, str] = {"experience": " years", "performance": " of quota"}

#: Colour-blind-safe colours (Okabe & Ito) with line styles that survive grey-scale print.
_LEVEL_STYLE = (("#0072B2", "--"), ("#000000", "-"), ("#D55E00", ":"))


def _fmt_value(var: str, v: float) -> str:
    if var == "performance":
        return f"{100 * v:.0f}%{_UNITS[var]}"
    return f"{v:.1f}{_UNITS.get(var, '')}"


def plot_moderation(
    results: Any,
    frame: Any,
    hypothesis: Hypothesis,
    *,
    points: int = 60,
    options: EffectOptions | None = None,
) -> Figure:
    """Predicted marketing share across the predictor at low, mean and high moderator.

    Parameters
    ----------
    results : object
        Fitted main model (or any share model of the marketing share).
    frame : AnalysisFrame
        Reps the model was fitted on.
    hypothesis : Hypothesis
        A registry moderation.
    points : int
        Grid points along the predictor (its observed range).
    options : EffectOptions, optional
        Delta-method variance and level of the bands.

    Returns
    -------
    Figure
        The average predicted share (percent of working time) with the
        moderator at its mean − 1 SD, mean and mean + 1 SD, with bands of
        level ``1 - options.alpha``; under it the distribution of the
        predictor, labelled with the scale's range when it is a scale score
        (``frame.scale_ranges``, :func:`~leadblackhole.reporting.figures.variable_label`).

    Raises
    ------
    EffectsError
        When ``hypothesis`` is not a moderation.
    """
    if hypothesis.moderator is None:
        raise EffectsError(f"{hypothesis.id} is not a moderation; it has no moderator")
    data, raw, means = frame_tables(frame)
    x, m = hypothesis.predictor, hypothesis.moderator
    xr = data[x].to_numpy(float) + float(means.get(x, 0.0))
    mc = data[m].to_numpy(float)
    m_mean = float(mc.mean()) + float(means.get(m, 0.0))
    m_sd = float(mc.std(ddof=1))
    levels = [m_mean - m_sd, m_mean, m_mean + m_sd]
    grid = np.linspace(xr.min(), xr.max(), int(points))
    options = options or EffectOptions()
    pm = predictive_margins(
        results, frame, {x: grid, m: levels}, outcome=hypothesis.outcome, options=options
    )
    fig = new_figure(6.4, 5.0)
    with mpl.rc_context(FIGURE_RC):
        ax, hx = fig.subplots(2, 1, sharex=True, height_ratios=[4.5, 1])
        for (color, ls), lab, lev in zip(
            _LEVEL_STYLE, ("−1 SD", "mean", "+1 SD"), levels, strict=True
        ):
            sub = pm[np.isclose(pm[m], lev)]
            ax.fill_between(
                sub[x],
                100 * sub["conf_low"],
                100 * sub["conf_high"],
                color=color,
                alpha=0.15,
                linewidth=0,
            )
            ax.plot(
                sub[x],
                100 * sub["estimate"],
                color=color,
                linestyle=ls,
                linewidth=2,
                label=f"{SHORT_LABELS[m]} {lab} ({_fmt_value(m, lev)})",
            )
        ax.set_ylabel("Predicted time on marketing leads\n(% of working time)")
        ax.set_title(f"{hypothesis.id}: {SHORT_LABELS[x]} × {SHORT_LABELS[m]}")
        ax.grid(True, color="0.9")
        title = f"Moderator (shaded: {100 * (1 - options.alpha):g}% CI)"
        ax.legend(title=title, loc="best", frameon=False)
        _histogram(hx, xr, variable_label(x, scale_ranges_of(frame)))
        hx.set_xlim(xr.min(), xr.max())
    return fig


def _histogram(ax, values: np.ndarray, xlabel: str) -> None:
    """Distribution of the observed values in a strip under a plot."""
    values = np.asarray(values, dtype=float)
    distinct = np.unique(values)
    if distinct.size <= 60:
        counts = np.array([(values == v).sum() for v in distinct])
        step = np.min(np.diff(distinct)) if distinct.size > 1 else 1.0
        ax.bar(distinct, counts, width=0.8 * step, color="0.6", linewidth=0)
    else:
        ax.hist(values, bins=40, color="0.6", linewidth=0)
    ax.set_ylabel("reps", rotation=0, ha="right", va="center")
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    ax.set_yticks([])
    ax.grid(False)


# ----------------------------------------------------------------------------
# Johnson-Neyman
# ----------------------------------------------------------------------------
def plot_johnson_neyman(
    jn: JohnsonNeyman,
    fdr: JohnsonNeyman | None = None,
    hypothesis_id: str | None = None,
    observed: Sequence[float] | None = None,
    scale_ranges: Mapping[str, tuple[int, int]] | None = None,
) -> Figure:
    """Conditional average effect across the moderator with its Johnson–Neyman region.

    Parameters
    ----------
    jn : JohnsonNeyman
        Analysis with the normal critical value (its band and region are drawn).
    fdr : JohnsonNeyman, optional
        The same analysis with the Esarey–Sumner critical value (its band is
        drawn dashed).
    hypothesis_id : str, optional
        Registry id for the title.
    observed : sequence of float, optional
        Observed moderator values (raw scale), drawn as a rug.
    scale_ranges : Mapping[str, tuple of int], optional
        Scale name -> (lowest, highest) answer (``AnalysisFrame.scale_ranges``),
        for the axis label of a moderator that is a scale score (1–7 when absent).

    Returns
    -------
    Figure
    """
    x, m = jn.predictor, jn.moderator
    cur = jn.curve
    mv = cur["moderator_value"].to_numpy()
    fig = new_figure(6.4, 5.4)
    with mpl.rc_context(FIGURE_RC):
        if observed is not None:
            ax, hx = fig.subplots(2, 1, sharex=True, height_ratios=[4.5, 1])
        else:
            ax, hx = fig.subplots(1, 1), None
        for r in jn.regions.itertuples(index=False):
            ax.axvspan(r.low, r.high, color="#009E73", alpha=0.12, linewidth=0)
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.fill_between(
            mv,
            100 * cur["conf_low"],
            100 * cur["conf_high"],
            color="#0072B2",
            alpha=0.25,
            linewidth=0,
        )
        ax.plot(mv, 100 * cur["estimate"], color="#0072B2", linewidth=2)
        handles = [
            Line2D([], [], color="#0072B2", linewidth=2, label="conditional average effect"),
            mpl.patches.Patch(
                color="#0072B2",
                alpha=0.25,
                label=f"{100 * (1 - jn.alpha):g}% pointwise CI (±{jn.critical_value:.2f} SE)",
            ),
        ]
        if fdr is not None:
            fc = fdr.curve
            ax.plot(mv, 100 * fc["conf_low"], color="#000000", linestyle="--", linewidth=1)
            ax.plot(mv, 100 * fc["conf_high"], color="#000000", linestyle="--", linewidth=1)
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#000000",
                    linestyle="--",
                    linewidth=1,
                    label=f"FDR-controlled band (Esarey–Sumner, ±{fdr.critical_value:.2f} SE)",
                )
            )
        for b in jn.boundaries:
            ax.axvline(b, color="#009E73", linestyle=":", linewidth=1.5)
        if len(jn.boundaries):
            where = (
                "boundary at " if len(jn.boundaries) == 1 else "boundaries at "
            ) + " and ".join(_fmt_value(m, b) for b in jn.boundaries)
        else:
            where = "whole range" if len(jn.regions) else "nowhere in the range"
        handles.append(
            mpl.patches.Patch(
                color="#009E73", alpha=0.25, label=f"significant at {100 * jn.alpha:g}% ({where})"
            )
        )
        ax.set_xlim(mv.min(), mv.max())
        ax.set_ylabel(f"Effect of {SHORT_LABELS.get(x, x)} on the\nmarketing share (pp per unit)")
        title = f"{SHORT_LABELS.get(x, x)} by {SHORT_LABELS.get(m, m)}"
        ax.set_title(f"{hypothesis_id}: {title}" if hypothesis_id else title)
        ax.grid(True, color="0.9")
        if hx is not None:
            _histogram(hx, np.asarray(observed, dtype=float), variable_label(m, scale_ranges))
            hx.set_xlim(mv.min(), mv.max())
        else:
            ax.set_xlabel(variable_label(m, scale_ranges))
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
    return fig
