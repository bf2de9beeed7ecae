"""Figures of a design diagnosis, as PNG and PDF with reproducible bytes.

``diagnosis_power``
    Power (share of simulated studies in which the hypothesis is supported)
    over the number of analysable reps, one panel per hypothesis, one line per
    estimator and effect scale, for one scenario.
``diagnosis_coverage``
    Coverage of the 95% intervals by scenario, one panel per hypothesis, one
    marker per estimator, at one N and effect scale.

Rendering follows :mod:`leadblackhole.reporting.figures.drawing` (private Figure,
Agg renderer, no dates in the PDF, no software tag in the PNG).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..outputs import OutputSet
from ..registry import HYPOTHESES
from .figures.drawing import FIGURE_FORMATS, figure_bytes, new_figure

__all__ = ["plot_coverage", "plot_power_curves", "write_diagnosis_figures"]

#: Okabe-Ito colours and markers per estimator (others cycle the spare ones).
_ESTIMATOR_STYLE = {
    "dirichlet": ("#000000", "o"),
    "ols": ("#D55E00", "^"),
    "fractional_logit": ("#0072B2", "s"),
    "dirichlet_rounded": ("#009E73", "D"),
    "fmlogit": ("#CC79A7", "v"),
}
_SPARE = (("#E69F00", "P"), ("#56B4E9", "X"), ("#F0E442", "*"))
_DASHES = ("-", "--", ":", "-.")


def _style(estimators: list[str]) -> dict[str, tuple[str, str]]:
    out, k = {}, 0
    for e in estimators:
        if e in _ESTIMATOR_STYLE:
            out[e] = _ESTIMATOR_STYLE[e]
        else:
            out[e] = _SPARE[k % len(_SPARE)]
            k += 1
    return out


def _ids(table: pd.DataFrame) -> list[str]:
    present = set(table["id"])
    return [h.id for h in HYPOTHESES if h.id in present]


def plot_power_curves(table: pd.DataFrame, scenario: str | None = None) -> Figure:
    """Power over N per hypothesis (one line per estimator and effect scale).

    Parameters
    ----------
    table : DataFrame
        ``diagnosands.csv`` (:func:`leadblackhole.diagnosis.diagnosands`).
    scenario : str, optional
        Scenario shown (default ``"default"`` when present, else the first).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_power_curves(pd.read_csv("diag/diagnosands.csv"))  # doctest: +SKIP
    """
    scenarios = list(dict.fromkeys(table["scenario"]))
    if scenario is None:
        scenario = "default" if "default" in scenarios else scenarios[0]
    t = table[table["scenario"] == scenario]
    ids = _ids(t)
    estimators = list(dict.fromkeys(t["estimator"]))
    scales = sorted(set(t["effect_scale"]))
    style = _style(estimators)
    ncol = 4
    nrow = int(np.ceil(len(ids) / ncol))
    fig = new_figure(2.6 * ncol, 2.2 * nrow + 0.6)
    axes = fig.subplots(nrow, ncol, sharex=True, sharey=True, squeeze=False)
    for ax, hid in zip(axes.flat, ids, strict=False):
        for est in estimators:
            color, marker = style[est]
            for k, s in enumerate(scales):
                g = t[(t["id"] == hid) & (t["estimator"] == est) & (t["effect_scale"] == s)]
                g = g.sort_values("n_reps")
                if not len(g):
                    continue
                ax.errorbar(
                    g["n_reps"],
                    g["power"],
                    yerr=1.96 * g["power_mcse"],
                    color=color,
                    marker=marker,
                    markersize=3.5,
                    linestyle=_DASHES[k % len(_DASHES)],
                    linewidth=1.0,
                    capsize=1.5,
                    label=f"{est}, scale {s:g}",
                )
        ax.axhline(0.8, color="0.6", linewidth=0.7, linestyle=":")
        ax.set_title(hid)
        ax.set_ylim(-0.03, 1.03)
    for ax in axes.flat[len(ids) :]:
        ax.set_visible(False)
    for ax in axes[-1, :]:
        ax.set_xlabel("analysable reps (N)")
    for ax in axes[:, 0]:
        ax.set_ylabel("power")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)), fontsize=8)
    fig.suptitle(f"Power by sample size: scenario '{scenario}' (dotted line: 0.8)")
    return fig


def plot_coverage(
    table: pd.DataFrame, n_reps: int | None = None, effect_scale: float | None = None
) -> Figure:
    """Coverage of the 95% intervals by scenario and estimator, one panel per hypothesis.

    Parameters
    ----------
    table : DataFrame
        ``diagnosands.csv``.
    n_reps : int, optional
        N shown (default 461 when present, else the largest).
    effect_scale : float, optional
        Effect scale shown (default 1 when present, else the largest).

    Returns
    -------
    matplotlib.figure.Figure
    """
    ns = sorted(set(table["n_reps"]))
    scales = sorted(set(table["effect_scale"]))
    if n_reps is None:
        n_reps = 461 if 461 in ns else ns[-1]
    if effect_scale is None:
        effect_scale = 1.0 if 1.0 in scales else scales[-1]
    t = table[(table["n_reps"] == n_reps) & (table["effect_scale"] == effect_scale)]
    ids = _ids(t)
    scenarios = list(dict.fromkeys(t["scenario"]))
    estimators = list(dict.fromkeys(t["estimator"]))
    style = _style(estimators)
    ncol = 4
    nrow = int(np.ceil(len(ids) / ncol))
    fig = new_figure(2.6 * ncol, (0.25 * len(scenarios) + 1.0) * nrow + 0.6)
    axes = fig.subplots(nrow, ncol, sharex=True, sharey=True, squeeze=False)
    y = np.arange(len(scenarios))
    offsets = np.linspace(-0.25, 0.25, len(estimators)) if len(estimators) > 1 else [0.0]
    for ax, hid in zip(axes.flat, ids, strict=False):
        for off, est in zip(offsets, estimators, strict=True):
            g = t[(t["id"] == hid) & (t["estimator"] == est)].set_index("scenario")
            g = g.reindex(scenarios)
            color, marker = style[est]
            ax.errorbar(
                g["coverage"],
                y + off,
                xerr=1.96 * g["coverage_mcse"],
                color=color,
                marker=marker,
                markersize=3.5,
                linestyle="none",
                linewidth=0.8,
                label=est,
            )
        ax.axvline(0.95, color="0.6", linewidth=0.7, linestyle=":")
        ax.set_title(hid)
        ax.set_yticks(y, scenarios)
        ax.set_ylim(len(scenarios) - 0.5, -0.5)  # first scenario on top (shared axis: set once)
    for ax in axes.flat[len(ids) :]:
        ax.set_visible(False)
    for ax in axes[-1, :]:
        ax.set_xlabel("coverage of 95% intervals")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    fig.suptitle(f"Coverage by scenario: N = {n_reps}, effect scale {effect_scale:g}")
    return fig


def write_diagnosis_figures(table: pd.DataFrame, outdir: str | Path) -> dict[str, Path]:
    """Draw both diagnosis figures and write them (PNG and PDF) to ``outdir``, all or none.

    Parameters
    ----------
    table : DataFrame
        ``diagnosands.csv``.
    outdir : path
        Output folder.

    Returns
    -------
    dict
        File name -> path.
    """
    out = OutputSet(outdir)
    for stem, fig in (
        ("diagnosis_power", plot_power_curves(table)),
        ("diagnosis_coverage", plot_coverage(table)),
    ):
        for fmt in FIGURE_FORMATS:
            out.add_bytes(f"{stem}.{fmt}", figure_bytes(fig, fmt))
    return dict(out.commit())
