r"""The sensitivity contour figure: how strong a hidden confounder would have to be.

``sensitivity_h4``
    Cinelli & Hazlett (2020): the OLS estimate of one hypothesis (H4, lead
    volume on the marketing share) that a confounder would leave, as contour
    lines over the confounder's partial :math:`R^2` with the focal term
    (horizontal) and with the share (vertical); the line where the estimate
    reaches zero; the unadjusted estimate at the origin; and the bounds of
    confounders once, twice and three times as strong as experience and as
    performance. The figure draws ``sensitivity_contour.csv`` (written by
    ``fit``, :func:`leadblackhole.models.sensitivity.contour_table`); it
    computes nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ...effects import EffectsError
from .drawing import SHORT_LABELS, new_figure

__all__ = ["plot_sensitivity_contour"]

#: Marker and colour of each benchmark (Okabe & Ito colours; the shapes differ too).
_BENCHMARK_STYLE: dict[str, tuple[str, str]] = {
    "experience": ("o", "#0072B2"),
    "performance": ("s", "#D55E00"),
}

#: The unit of each focal term the estimate is read per.
_UNITS: dict[str, str] = {
    "prequal": "scale point of prequalification",
    "tracking": "scale point of tracking",
    "volume": "unit of ln(1 + leads)",
    "experience": "year of experience",
    "performance": "quota (1.0 = 100%)",
}

#: Colour of the line where the adjusted estimate is zero.
_ZERO_COLOUR = "#CC0000"


def _term_label(term: str) -> str:
    """``volume`` -> ``lead volume``; ``experience:tracking`` -> ``experience × tracking``."""
    return " × ".join(SHORT_LABELS.get(part, part) for part in str(term).split(":"))


def _grid(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The axes of the grid and the adjusted estimate on it (rows: the vertical axis)."""
    grid = table[table["kind"] == "grid"]
    dz = np.unique(grid["r2dz_x"].to_numpy(float))
    yz = np.unique(grid["r2yz_dx"].to_numpy(float))
    wide = grid.pivot_table(index="r2yz_dx", columns="r2dz_x", values="adjusted_estimate")
    z = wide.reindex(index=yz, columns=dz).to_numpy(float)
    if len(dz) < 2 or len(yz) < 2 or not np.isfinite(z).all():
        raise EffectsError("the sensitivity contour needs a complete grid of at least 2 x 2 points")
    return dz, yz, z


def _label_positions(y: np.ndarray, gap: float) -> np.ndarray:
    """Heights of the labels: at their points, pushed up so that two are ``gap`` apart."""
    out = np.empty_like(y)
    order = np.argsort(y, kind="stable")
    last = -np.inf
    for i in order:
        out[i] = max(y[i], last + gap)
        last = out[i]
    return out


def plot_sensitivity_contour(table: pd.DataFrame) -> Figure:
    """Contour of the estimate a hidden confounder would leave, with benchmark points.

    Parameters
    ----------
    table : DataFrame
        ``sensitivity_contour.csv`` of one hypothesis
        (:func:`leadblackhole.models.sensitivity.contour_table`): the grid rows
        (``kind = "grid"``) and the benchmark rows (``kind = "benchmark"``).

    Returns
    -------
    Figure
        Contour lines of the adjusted estimate in percentage points of working
        time per unit of the focal term (``100 x`` the OLS coefficient), the
        zero line dashed in red, the unadjusted estimate at the origin, and
        each benchmark bound labelled ``"2× experience → 3.11"`` (its
        strength and the estimate it would leave; the labels stand in one
        column, moved up where one would cover another, each with a thin line
        to its point).

    Raises
    ------
    EffectsError
        A table without a complete grid, or of more than one hypothesis.

    Examples
    --------
    >>> table = pd.read_csv("results/models/sensitivity_contour.csv")    # doctest: +SKIP
    >>> plot_sensitivity_contour(table)                                   # doctest: +SKIP
    """
    ids = table["id"].dropna().unique() if "id" in table else []
    if len(ids) != 1:
        raise EffectsError(
            f"the sensitivity contour draws one hypothesis; the table has {len(ids)}"
        )
    hid, term = str(ids[0]), str(table["term"].iloc[0])
    outcome = str(table["outcome"].iloc[0]) if "outcome" in table else "marketing"
    dz, yz, z = _grid(table)
    z = 100 * z
    estimate = 100 * float(table["estimate"].iloc[0])
    fig = new_figure(6.0, 5.2)
    ax = fig.subplots()
    levels = MaxNLocator(nbins=9).tick_values(float(z.min()), float(z.max()))
    levels = levels[(levels > z.min()) & (levels < z.max()) & (np.abs(levels) > 1e-12)]
    lines = ax.contour(dz, yz, z, levels=levels, colors="#555555", linewidths=0.8)
    ax.clabel(lines, fmt=lambda v: f"{v:g}", fontsize=8)
    if z.min() < 0 < z.max():
        zero = ax.contour(dz, yz, z, levels=[0.0], colors=_ZERO_COLOUR, linewidths=1.6)
        zero.set_linestyle("--")
        ax.clabel(zero, fmt=lambda v: "0", fontsize=8)
    ax.plot([0], [0], marker="^", color="black", markersize=8, clip_on=False, zorder=7)
    limit = float(max(dz.max(), yz.max()))
    points = table[(table["kind"] == "benchmark")].dropna(subset=["r2dz_x", "r2yz_dx"])
    px = points["r2dz_x"].to_numpy(float)
    py = points["r2yz_dx"].to_numpy(float)
    ly = _label_positions(py, 0.045 * limit)
    handles = [
        Line2D([], [], ls="none", marker="^", color="black", label=f"unadjusted: {estimate:.3g}")
    ]
    for bench in dict.fromkeys(points["benchmark"].astype(str)):
        marker, colour = _BENCHMARK_STYLE.get(bench, ("D", "#009E73"))
        sel = (points["benchmark"].astype(str) == bench).to_numpy()
        ax.plot(px[sel], py[sel], ls="none", marker=marker, color=colour, ms=6, zorder=6)
        handles.append(
            Line2D([], [], ls="none", marker=marker, color=colour, label=f"as strong as {bench}")
        )
    # the labels in one column right of the points, in the order of their heights, so that
    # the lines from the labels to their points do not cross
    x_label = (float(px.max()) if len(px) else 0.0) + 0.06 * limit
    for x, y, y_label, r in zip(px, py, ly, points.itertuples(index=False), strict=True):
        ax.annotate(
            f"{float(r.multiple):g}× {r.benchmark} → {100 * float(r.adjusted_estimate):.3g}",
            (x, y),
            xytext=(x_label, y_label),
            textcoords="data",
            fontsize=8,
            va="center",
            arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.5},
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"},
        )
    handles.append(Line2D([], [], color=_ZERO_COLOUR, ls="--", lw=1.6, label="estimate = 0"))
    ax.set_xlim(0, float(dz.max()))
    ax.set_ylim(0, float(yz.max()))
    what = _term_label(term)
    ax.set_xlabel(f"Partial R² of the confounder with {what}")
    ax.set_ylabel(f"Partial R² of the confounder with the {outcome} share")
    ax.set_title(
        f"{hid}: the estimate a hidden confounder would leave\n"
        f"(OLS, percentage points of working time per {_UNITS.get(term, 'unit of ' + what)})",
        fontsize=10,
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return fig
