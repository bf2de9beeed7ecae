"""The lead-allocation figure: black-hole rate by policy and scenario, with intervals.

Drawn on a private :class:`matplotlib.figure.Figure` and rendered by
:func:`~leadblackhole.reporting.figures.drawing.figure_bytes`, so the PNG and PDF
bytes are reproducible.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..outputs import OutputSet
from .figures.drawing import FIGURE_FORMATS, FIGURE_RC, add_footer, figure_bytes

__all__ = ["ALLOCATION_FIGURE", "plot_black_hole", "stage_allocation_figure"]

#: Stem of the figure's files.
ALLOCATION_FIGURE = "black_hole_by_policy"

_POLICY_LABELS = {
    "observed": "Observed (status quo as surveyed)",
    "equal": "Equal split (common practice)",
    "score": "By experience and performance",
    "optimal": "Model-optimal",
    "oracle": "Oracle (true model)",
}
_SCENARIO_STYLE = {
    "baseline": ("#000000", "o", "Baseline"),
    "prequal_up": ("#0072B2", "s", "Prequalification +1 SD"),
    "no_tracking_top": ("#D55E00", "^", "No tracking of top quartile"),
}


def plot_black_hole(policies: pd.DataFrame) -> Figure:
    """Black-hole rate of each policy (rows) in each scenario (markers), 95% intervals.

    Parameters
    ----------
    policies : DataFrame
        ``AllocationResult.policies``: ``policy``, ``scenario``,
        ``black_hole_rate``, ``black_hole_low``, ``black_hole_high``.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = plot_black_hole(result.policies)                     # doctest: +SKIP
    """
    order = [p for p in _POLICY_LABELS if p in set(policies["policy"])]
    scen = [s for s in _SCENARIO_STYLE if s in set(policies["scenario"])]
    with mpl.rc_context(FIGURE_RC):
        fig = Figure(
            figsize=(6.5, 0.6 + 0.55 * len(order) * max(1, len(scen)) ** 0.5), layout="constrained"
        )
        ax = fig.add_subplot()
        width = 0.6
        for j, s in enumerate(scen):
            colour, marker, label = _SCENARIO_STYLE[s]
            offset = (j - (len(scen) - 1) / 2) * width / max(1, len(scen))
            sub = policies[policies["scenario"] == s].set_index("policy").reindex(order)
            y = np.arange(len(order)) + offset
            x = 100 * sub["black_hole_rate"].to_numpy(float)
            lo = 100 * sub["black_hole_low"].to_numpy(float)
            hi = 100 * sub["black_hole_high"].to_numpy(float)
            # the interval as a segment from its bounds: with few draws it need not
            # contain the point estimate (the allocation is decided at the estimates)
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.hlines(y[ok], lo[ok], hi[ok], color=colour, lw=1)
            ax.plot(x, y, marker, color=colour, ls="none", label=label)
        ax.set_yticks(np.arange(len(order)), [_POLICY_LABELS[p] for p in order])
        ax.invert_yaxis()
        ax.set_xlabel("Marketing leads not followed up (%), 95% interval")
        ax.set_title("The black hole by lead-allocation policy")
        if len(scen) > 1:
            fig.legend(loc="outside lower center", ncols=len(scen), frameon=False)
    return fig


def stage_allocation_figure(
    out: OutputSet,
    policies: pd.DataFrame,
    formats=FIGURE_FORMATS,
    data_note: str | None = None,
) -> list[str]:
    """Stage the figure as ``black_hole_by_policy.{png,pdf}`` in an output set.

    Parameters
    ----------
    out : OutputSet
        Where the files are staged (written by ``out.commit()``).
    policies : DataFrame
        ``AllocationResult.policies``.
    formats : sequence of str
        File formats (default PNG and PDF).
    data_note : str, optional
        For simulated data, the label drawn on the figure and stored in its
        metadata (:func:`leadblackhole.reporting.figures.drawing.add_footer`).

    Returns
    -------
    list of str
        Names of the staged files.

    Examples
    --------
    >>> out = OutputSet("results/allocation")                      # doctest: +SKIP
    >>> stage_allocation_figure(out, result.policies)             # doctest: +SKIP
    ['black_hole_by_policy.png', 'black_hole_by_policy.pdf']
    """
    fig = plot_black_hole(policies)
    if data_note:
        add_footer(fig, data_note)
    names = []
    for fmt in formats:
        name = f"{ALLOCATION_FIGURE}.{fmt}"
        out.add_bytes(name, figure_bytes(fig, fmt, description=data_note))
        names.append(name)
    return names
