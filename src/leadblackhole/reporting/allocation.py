"""The outputs of ``allocate``: the tables, the report and the figure.

:func:`stage_allocation` stages everything the command writes: ``policies.csv``,
``policy_differences.csv``, ``allocation.csv``, the report ``assumptions.txt``
(:func:`allocation_report`: the model used, the assumptions, the black hole and the
honest gains by policy, and with a control-function model in the fit what the other
model of the pair would give) and the figure (:func:`plot_black_hole`: the black-hole
rate by policy and scenario and, beside it, the honest gain over the equal split).

The figure is drawn on a private :class:`matplotlib.figure.Figure` and rendered by
:func:`~leadblackhole.reporting.figures.drawing.figure_bytes`, so the PNG and PDF
bytes are reproducible.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..outputs import OutputSet
from .figures.drawing import FIGURE_FORMATS, FIGURE_RC, add_footer, figure_bytes

__all__ = [
    "ALLOCATION_FIGURE",
    "allocation_report",
    "plot_black_hole",
    "stage_allocation",
    "stage_allocation_figure",
]

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


def _intervals(
    ax: Axes, policies: pd.DataFrame, order: list[str], scen: list[str], col: str, hollow: str = ""
) -> None:
    """Points of ``col`` with the segments ``col_low``..``col_high`` (percent), one per scenario.

    ``hollow`` names a column drawn as open markers at the same rows (the naive gain).
    """
    width = 0.6
    for j, s in enumerate(scen):
        colour, marker, label = _SCENARIO_STYLE[s]
        offset = (j - (len(scen) - 1) / 2) * width / max(1, len(scen))
        sub = policies[policies["scenario"] == s].set_index("policy").reindex(order)
        y = np.arange(len(order)) + offset
        x = 100 * sub[col].to_numpy(float)
        lo = 100 * sub[f"{col}_low"].to_numpy(float)
        hi = 100 * sub[f"{col}_high"].to_numpy(float)
        # the interval as a segment from its bounds: with few draws it need not
        # contain the point estimate (the allocation is decided at the estimates)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], color=colour, lw=1)
        ax.plot(x, y, marker, color=colour, ls="none", label=label)
        if hollow:
            naive = 100 * sub[hollow].to_numpy(float)
            ax.plot(naive, y, marker, color=colour, mfc="none", ls="none", alpha=0.6)


def plot_black_hole(policies: pd.DataFrame) -> Figure:
    """Black-hole rate of each policy (rows) in each scenario (markers), 95% intervals.

    When ``policies`` has the gains (``honest_gain``, ``honest_gain_low``,
    ``honest_gain_high``, ``naive_gain``), a second panel shows the honest
    gain over the equal split with its interval and, as open markers, the
    naive gain (evaluated on the estimates the allocation was chosen on).

    Parameters
    ----------
    policies : DataFrame
        ``AllocationResult.policies``: ``policy``, ``scenario``,
        ``black_hole_rate``, ``black_hole_low``, ``black_hole_high``
        (percent of the budget) and optionally the gains.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = plot_black_hole(result.policies)                     # doctest: +SKIP
    """
    order = [p for p in _POLICY_LABELS if p in set(policies["policy"])]
    scen = [s for s in _SCENARIO_STYLE if s in set(policies["scenario"])]
    gains = {"honest_gain", "honest_gain_low", "honest_gain_high", "naive_gain"} <= set(
        policies.columns
    )
    with mpl.rc_context(FIGURE_RC):
        fig = Figure(
            figsize=(9.5 if gains else 6.5, 0.6 + 0.55 * len(order) * max(1, len(scen)) ** 0.5),
            layout="constrained",
        )
        ax = fig.add_subplot(1, 2, 1) if gains else fig.add_subplot()
        bh = policies.rename(
            columns={
                "black_hole_low": "black_hole_rate_low",
                "black_hole_high": "black_hole_rate_high",
            }
        )
        _intervals(ax, bh, order, scen, "black_hole_rate")
        ax.set_yticks(np.arange(len(order)), [_POLICY_LABELS[p] for p in order])
        ax.invert_yaxis()
        ax.set_xlabel("Marketing leads not followed up (%), 95% interval")
        ax.set_title("The black hole by lead-allocation policy")
        if gains:
            gx = fig.add_subplot(1, 2, 2, sharey=ax)
            _intervals(gx, policies, order, scen, "honest_gain", hollow="naive_gain")
            gx.axvline(0.0, color="#999999", lw=0.8, zorder=0)
            gx.tick_params(labelleft=False)
            gx.set_xlabel(
                "Points fewer in the black hole than the equal split\n"
                "(honest gain, 95% interval; open: naive gain)"
            )
            gx.set_title("Gain over the equal split")
        if len(scen) > 1:
            handles, labels = ax.get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncols=len(scen), frameon=False)
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


def allocation_report(result: Any, model: str, other: tuple[str, Any] | None = None) -> str:
    """The allocation's report: the model used, assumptions, black hole and honest gains.

    Parameters
    ----------
    result : AllocationResult
        The allocation.
    model : str
        Which model the allocation used and where it came from (one line).
    other : (str, AllocationResult), optional
        The other model of the main model's pair with its control-function
        version, and the same allocation computed with it.

    Returns
    -------
    str
        The text of ``assumptions.txt`` (what the command also prints).

    Examples
    --------
    >>> print(allocation_report(res, "model: dirichlet (the main model)"))  # doctest: +SKIP
    """
    lines = [model, result.summary()]
    if other is not None:
        name, alt = other
        lines.append(
            f"with {name} instead (the other model of the pair with the control function, "
            "lead volume instrumented), the same allocation would give "
            f"(gains over the equal split in black-hole points, {alt.level:.0%} interval):"
        )
        for r in alt.policies.itertuples(index=False):
            lines.append(
                f"  {r.scenario:16s} {r.policy:8s} black hole {r.black_hole_rate:6.1%} "
                f"[{r.black_hole_low:6.1%}, {r.black_hole_high:6.1%}]  honest gain "
                f"{100 * r.honest_gain:5.2f} [{100 * r.honest_gain_low:5.2f}, "
                f"{100 * r.honest_gain_high:5.2f}]"
            )
    return "\n".join(lines) + "\n"


def stage_allocation(
    out: OutputSet,
    result: Any,
    model: str,
    other: tuple[str, Any] | None = None,
    data_note: str | None = None,
) -> str:
    """Stage every output of ``allocate`` in an output set.

    Parameters
    ----------
    out : OutputSet
        Where the files are staged (written by ``out.commit()``).
    result : AllocationResult
        The allocation.
    model, other
        As in :func:`allocation_report`.
    data_note : str, optional
        For simulated data, the label of the figure.

    Returns
    -------
    str
        The report's text.
    """
    out.add_table("allocation", result.allocation, formats=("csv",))
    out.add_table("policies", result.policies, formats=("csv",))
    out.add_table("policy_differences", result.differences, formats=("csv",))
    report = allocation_report(result, model, other)
    out.add_text("assumptions.txt", report)
    stage_allocation_figure(out, result.policies, data_note=data_note)
    return report
