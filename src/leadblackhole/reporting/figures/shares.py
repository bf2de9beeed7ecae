"""Figures of the time shares themselves: a ternary plot and box plots by firm.

``ternary_shares``
    The three time shares of every rep in a ternary plot, coloured by
    experience.
``shares_by_firm``
    Box plots of the three time shares by firm.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...specification import COMPONENTS
from ...tables_text import mpl_escape
from .drawing import COMPONENT_LABELS, FIGURE_RC, frame_tables, new_figure

__all__ = ["plot_shares_by_firm", "plot_ternary"]


def plot_ternary(frame: Any) -> Figure:
    """Ternary plot of the three time shares of every rep, coloured by experience.

    Parameters
    ----------
    frame : AnalysisFrame
        Analysis frame (uses the uncompressed shares of ``frame.raw``).

    Returns
    -------
    Figure
    """
    import mpltern  # noqa: F401  (registers the "ternary" projection)

    _, raw, _ = frame_tables(frame)
    sh = raw[list(COMPONENTS)].to_numpy(float)
    sh = 100 * sh / sh.sum(axis=1, keepdims=True)
    exp = raw["experience"].to_numpy(float)
    # reps reporting the same three percents share a point: its area counts
    # them and its colour is their mean experience
    keys = pd.DataFrame(np.round(sh, 6), columns=list(COMPONENTS))
    keys["experience"] = exp
    agg = keys.groupby(list(COMPONENTS), sort=True)["experience"].agg(["mean", "size"])
    agg = agg.reset_index().sort_values(["size", "mean"], kind="stable", ascending=[False, True])
    size_unit = 12.0
    # mpltern axes are slow under constrained layout: place them by hand and
    # let figure_bytes crop to the drawn extent
    fig = new_figure(6.4, 5.4, layout=None)
    fig.subplots_adjust(left=0.14, right=0.80, bottom=0.14, top=0.84)
    with mpl.rc_context(FIGURE_RC):
        ax = fig.add_subplot(projection="ternary", ternary_sum=100.0)
        pc = ax.scatter(
            agg["marketing"],
            agg["self"],
            agg["other"],
            c=agg["mean"],
            s=size_unit * agg["size"],
            cmap="viridis",
            alpha=0.9,
            edgecolors="white",
            linewidths=0.3,
        )
        ax.set_tlabel("Marketing leads (%)")
        ax.set_llabel("Self-generated leads (%)")
        ax.set_rlabel("Other work (%)")
        ax.taxis.set_label_position("tick1")
        ax.laxis.set_label_position("tick1")
        ax.raxis.set_label_position("tick1")
        ax.grid(True, color="0.85", linewidth=0.5)
        cb = fig.colorbar(pc, ax=ax, shrink=0.6, pad=0.08)
        cb.set_label("Sales experience (years; mean of the reps at a point)")
        ax.set_title(f"Shares of working time of {len(raw)} reps", pad=30)
        top = int(agg["size"].max())
        if top > 1:
            steps = sorted({1, max(1, top // 4), max(1, top // 2), top})
            handles = [
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="none",
                    color="0.5",
                    markersize=np.sqrt(size_unit * k),
                    label=f"{k}",
                )
                for k in steps
            ]
            # below the triangle, clear of the axis labels
            ax.legend(
                handles=handles,
                title="reps at a point",
                loc="upper center",
                bbox_to_anchor=(0.5, -0.2),
                frameon=False,
                ncol=len(steps),
                columnspacing=1.5,
                handletextpad=0.4,
            )
    return fig


# ----------------------------------------------------------------------------
# shares by firm
# ----------------------------------------------------------------------------
def plot_shares_by_firm(frame: Any) -> Figure:
    """Box plots of the three time shares by firm.

    The firm labels are shown as written (:func:`~leadblackhole.tables_text.mpl_escape`:
    a ``$`` in a label starts no math text).

    Parameters
    ----------
    frame : AnalysisFrame
        Analysis frame (uses the uncompressed shares of ``frame.raw``).

    Returns
    -------
    Figure
    """
    _, raw, _ = frame_tables(frame)
    firms = sorted(raw["firm"].astype(str).unique())
    fig = new_figure(8.0, 3.8)
    with mpl.rc_context(FIGURE_RC):
        axes = fig.subplots(1, 3, sharey=True)
        for ax, comp in zip(axes, COMPONENTS, strict=True):
            vals = [
                100 * raw.loc[raw["firm"].astype(str) == f, comp].to_numpy(float) for f in firms
            ]
            ax.boxplot(
                vals,
                # a firm label is the user's text: never math text
                tick_labels=[
                    f"{mpl_escape(f)}\n(n={len(v)})" for f, v in zip(firms, vals, strict=True)
                ],
                widths=0.6,
                showmeans=True,
                medianprops={"color": "#D55E00"},
                meanprops={
                    "marker": "D",
                    "markerfacecolor": "white",
                    "markeredgecolor": "#000000",
                    "markersize": 5,
                },
                flierprops={"marker": ".", "markersize": 3, "alpha": 0.5},
            )
            ax.set_title(COMPONENT_LABELS[comp])
            ax.set_xlabel("Firm")
            ax.grid(True, axis="y", color="0.9")
        axes[0].set_ylabel("Share of working time (%)")
        handles = [
            Line2D([], [], color="#D55E00", label="median"),
            Line2D(
                [],
                [],
                marker="D",
                linestyle="none",
                markerfacecolor="white",
                markeredgecolor="#000000",
                label="mean",
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
    return fig
