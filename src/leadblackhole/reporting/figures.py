"""Figures of the replication, as PNG and PDF with reproducible bytes.

:func:`make_figures` draws every figure and stages it through an
:class:`~leadblackhole.outputs.OutputSet`, so the folder receives all
figures or none:

``effects``
    Forest plot of the registry effects H1–H11 and E1 with 95% intervals,
    each scaled to one standard deviation of its predictor (and moderator),
    filled when the hypothesis is supported.
``moderation_<id>``
    For each moderation (H7–H11, E1): the average predicted marketing share
    across the focal predictor with the moderator at its mean and one
    standard deviation either side, with 95% confidence bands.
``johnson_neyman_<id>``
    For each moderation: the conditional average effect of the focal
    predictor on the marketing share across the moderator, with the 95%
    pointwise band, the Esarey–Sumner false-discovery-rate band and the
    Johnson–Neyman region.
``ternary_shares``
    The three time shares of every rep in a ternary plot, coloured by
    experience.
``shares_by_firm``
    Box plots of the three time shares by firm.

Bytes are reproducible: the figures are drawn on a private
:class:`matplotlib.figure.Figure` (no pyplot state) with the Agg renderer,
the PDF metadata carry no creation or modification date and the PNG no
software tag, and ``svg.hashsalt`` is fixed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib as mpl  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from ..effects.effects import EffectOptions, EffectsError  # noqa: E402
from ..effects.probing import JohnsonNeyman, predictive_margins  # noqa: E402
from ..models.main_rounded import main_model_name  # noqa: E402
from ..outputs import OutputSet  # noqa: E402
from ..registry import HYPOTHESES, Hypothesis  # noqa: E402
from ..specification import COMPONENTS  # noqa: E402

__all__ = [
    "FIGURE_CAPTIONS",
    "FIGURE_FORMATS",
    "VARIABLE_LABELS",
    "add_footer",
    "figure_bytes",
    "figure_names",
    "make_figures",
    "plot_effects",
    "plot_johnson_neyman",
    "plot_moderation",
    "plot_shares_by_firm",
    "plot_ternary",
]

#: Formats written for every figure.
FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf")

#: Axis labels of the analysis variables, with their units (raw scale).
VARIABLE_LABELS: dict[str, str] = {
    "prequal": "Lead prequalification quality (scale mean, 1–7)",
    "tracking": "Managerial tracking of follow-up (scale mean, 1–7)",
    "volume": "Marketing lead volume, ln(1 + leads per month)",
    "experience": "Sales experience (years)",
    "performance": "Past performance (quota achieved; 1.0 = 100%)",
    "variable_pay": "Variable pay (share of pay)",
}

#: Short names of the variables for titles and legends.
SHORT_LABELS: dict[str, str] = {
    "prequal": "prequalification",
    "tracking": "tracking",
    "volume": "lead volume",
    "experience": "experience",
    "performance": "performance",
    "variable_pay": "variable pay",
}

#: Units of the raw moderator values in legends.
_UNITS: dict[str, str] = {"experience": " years", "performance": " of quota"}

COMPONENT_LABELS: dict[str, str] = {
    "marketing": "Marketing leads",
    "self": "Self-generated leads",
    "other": "Other work",
}

#: Colour-blind-safe colours (Okabe & Ito) with line styles that survive grey-scale print.
_LEVEL_STYLE = (("#0072B2", "--"), ("#000000", "-"), ("#D55E00", ":"))
_MODEL_STYLE = {
    "dirichlet_rounded": ("#000000", "o", "Rounding-aware Dirichlet"),
    "dirichlet": ("#000000", "o", "Dirichlet"),
    "fractional_logit": ("#0072B2", "s", "Fractional logit"),
    "ols": ("#D55E00", "^", "OLS"),
}

_RC = {
    "svg.hashsalt": "leadblackhole",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,
    "savefig.dpi": 200,
}

#: Figure stem -> caption (for reports that show the figures).
FIGURE_CAPTIONS: dict[str, str] = {
    "effects": "Share-scale effects of H1-H11 and E1 with 95% intervals (per SD of predictor "
    "and moderator, percentage points of working time).",
    "ternary_shares": "Time shares of each rep, coloured by experience.",
    "shares_by_firm": "Distribution of the three time shares by firm.",
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
        moderation, ``ternary_shares``, ``shares_by_firm``.
    """
    names = ["effects"]
    names += [f"moderation_{h.id}" for h in _moderations()]
    names += [f"johnson_neyman_{h.id}" for h in _moderations()]
    names += ["ternary_shares", "shares_by_firm"]
    return names


def _new_figure(width: float, height: float, layout: str | None = "constrained") -> Figure:
    with mpl.rc_context(_RC):
        return Figure(figsize=(width, height), layout=layout)


def figure_bytes(fig: Figure, fmt: str, description: str | None = None) -> bytes:
    """Render ``fig`` as ``fmt`` (``"png"`` or ``"pdf"``) with reproducible bytes.

    Parameters
    ----------
    fig : Figure
        The figure.
    fmt : {"png", "pdf"}
        Output format.
    description : str, optional
        Stored in the file's metadata (PNG ``Description``, PDF ``Subject``):
        for simulated data, the label the figure also shows under it.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        For another format.
    """
    if fmt == "png":
        metadata = {"Software": None}
        if description:
            metadata["Description"] = description
    elif fmt == "pdf":
        metadata = {
            "CreationDate": None,
            "ModDate": None,
            "Creator": "leadblackhole",
            "Producer": "leadblackhole",
        }
        if description:
            metadata["Subject"] = description
    else:
        raise ValueError(f"fmt must be one of {FIGURE_FORMATS}; received {fmt!r}")
    # the canvas is cropped (or grown) to the drawn extent, so no text is clipped
    buf = io.BytesIO()
    with mpl.rc_context(_RC):
        fig.savefig(buf, format=fmt, metadata=metadata, bbox_inches="tight", pad_inches=0.1)
    return buf.getvalue()


def add_footer(fig: Figure, text: str) -> None:
    """Set ``text`` under the figure, below everything drawn (the saved canvas grows to it).

    Parameters
    ----------
    fig : Figure
    text : str
        For example the label of simulated data.

    Notes
    -----
    A figure with a legend below its axes gets the label as the legend's
    title; another figure with constrained layout as its ``supxlabel``; a
    figure placed by hand is laid out once to find the extent of what it
    draws, and the label goes 0.1 inch under it, centred.
    """
    with mpl.rc_context(_RC):
        if fig.legends:
            # a figure legend below the axes: the label heads it (the layout keeps room for it)
            fig.legends[0].set_title(text, prop={"size": 8})
            fig.legends[0].get_title().set_color("#A00000")
            return
        if fig.get_layout_engine() is not None:
            # constrained layout makes room for a supxlabel below everything else
            fig.supxlabel(text, fontsize=8, color="#A00000")
            return
        fig.draw_without_rendering()
        bb = fig.get_tightbbox()
        fig.text(
            (bb.x0 + bb.x1) / 2 / fig.get_figwidth(),
            (bb.y0 - 0.1) / fig.get_figheight(),
            text,
            ha="center",
            va="top",
            fontsize=8,
            color="#A00000",
        )


def _data(frame: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    data = getattr(frame, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise EffectsError(f"expected an AnalysisFrame; received {type(frame).__name__}")
    raw = getattr(frame, "raw", data)
    means = getattr(frame, "means", pd.Series(dtype=float))
    return data, raw, means


# ----------------------------------------------------------------------------
# moderation: predicted share at low / mean / high moderator
# ----------------------------------------------------------------------------
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
        level ``1 - options.alpha``.

    Raises
    ------
    EffectsError
        When ``hypothesis`` is not a moderation.
    """
    if hypothesis.moderator is None:
        raise EffectsError(f"{hypothesis.id} is not a moderation; it has no moderator")
    data, raw, means = _data(frame)
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
    fig = _new_figure(6.4, 5.0)
    with mpl.rc_context(_RC):
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
        _histogram(hx, xr, VARIABLE_LABELS[x])
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

    Returns
    -------
    Figure
    """
    x, m = jn.predictor, jn.moderator
    cur = jn.curve
    mv = cur["moderator_value"].to_numpy()
    fig = _new_figure(6.4, 5.4)
    with mpl.rc_context(_RC):
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
            _histogram(hx, np.asarray(observed, dtype=float), VARIABLE_LABELS.get(m, m))
            hx.set_xlim(mv.min(), mv.max())
        else:
            ax.set_xlabel(VARIABLE_LABELS.get(m, m))
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
    return fig


# ----------------------------------------------------------------------------
# ternary plot
# ----------------------------------------------------------------------------
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

    _, raw, _ = _data(frame)
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
    fig = _new_figure(6.4, 5.4, layout=None)
    fig.subplots_adjust(left=0.14, right=0.80, bottom=0.14, top=0.84)
    with mpl.rc_context(_RC):
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

    Parameters
    ----------
    frame : AnalysisFrame
        Analysis frame (uses the uncompressed shares of ``frame.raw``).

    Returns
    -------
    Figure
    """
    _, raw, _ = _data(frame)
    firms = sorted(raw["firm"].astype(str).unique())
    fig = _new_figure(8.0, 3.8)
    with mpl.rc_context(_RC):
        axes = fig.subplots(1, 3, sharey=True)
        for ax, comp in zip(axes, COMPONENTS, strict=True):
            vals = [
                100 * raw.loc[raw["firm"].astype(str) == f, comp].to_numpy(float) for f in firms
            ]
            ax.boxplot(
                vals,
                tick_labels=[f"{f}\n(n={len(v)})" for f, v in zip(firms, vals, strict=True)],
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


# ----------------------------------------------------------------------------
# forest plot of the registry effects
# ----------------------------------------------------------------------------
def plot_effects(
    table: pd.DataFrame,
    frame: Any,
    models: Iterable[str] = ("dirichlet_rounded", "dirichlet", "fractional_logit", "ols"),
    alpha: float = 0.05,
) -> Figure:
    """Forest plot of the registry effects with their intervals, marked supported or not.

    Each effect is multiplied by the standard deviation of its predictor (and
    of its moderator for a moderation) and shown in percentage points of
    working time, so effects of differently scaled variables share an axis.

    Parameters
    ----------
    table : DataFrame
        ``hypotheses.csv`` (:func:`~leadblackhole.effects.effects.hypothesis_table`).
    frame : AnalysisFrame
        Analysis frame (for the standard deviations).
    models : iterable of str
        Models to show, when present in ``table``; the main model
        (:func:`~leadblackhole.models.main_model_name`) is labelled as such.
    alpha : float, default 0.05
        The test level of ``table`` (its intervals have level ``1 - alpha``).

    Returns
    -------
    Figure

    Raises
    ------
    EffectsError
        When ``table`` has no rows for the main model.
    """
    data, _, _ = _data(frame)
    models = [m for m in models if (table["model"] == m).any()]
    main_name = main_model_name(table)
    if main_name not in models:
        raise EffectsError(f"the table has no rows for the main model ({main_name})")
    style = dict(_MODEL_STYLE)
    if main_name == "dirichlet_rounded" and "dirichlet" in models:
        style["dirichlet"] = ("#009E73", "D", "Dirichlet")
    color, marker, label = style[main_name]
    style[main_name] = (color, marker, f"{label} (main model)")
    ids = [h.id for h in HYPOTHESES if (table["id"] == h.id).any()]
    reg = {h.id: h for h in HYPOTHESES}
    sd = data.std(numeric_only=True, ddof=1)
    main = [i for i in ids if reg[i].moderator is None]
    mods = [i for i in ids if reg[i].moderator is not None]
    fig = _new_figure(7.6, 6.6)
    with mpl.rc_context(_RC):
        axes = fig.subplots(2, 1, height_ratios=[len(main), len(mods)])
        offsets = np.linspace(-0.22, 0.22, len(models)) if len(models) > 1 else np.zeros(1)
        for ax, group, xlabel in (
            (
                axes[0],
                main,
                "Main effect on the time share\n"
                "(percentage points of working time per SD of the predictor)",
            ),
            (
                axes[1],
                mods,
                "Moderation: change in the effect of 1 SD of the predictor\n"
                "per SD of the moderator (percentage points)",
            ),
        ):
            ax.axvline(0, color="0.3", linewidth=0.8)
            for k, model in enumerate(models):
                color, marker, _ = style[model]
                for pos, hid in enumerate(group):
                    row = table[(table["model"] == model) & (table["id"] == hid)]
                    if row.empty:
                        continue
                    r = row.iloc[0]
                    h = reg[hid]
                    scale = 100 * sd[h.predictor] * (sd[h.moderator] if h.moderator else 1.0)
                    y = pos + offsets[k]
                    ax.plot(
                        [scale * r.conf_low, scale * r.conf_high],
                        [y, y],
                        color=color,
                        linewidth=1.5,
                    )
                    supported = r.supported
                    filled = bool(supported) if not pd.isna(supported) else False
                    face = color if filled else "white"
                    mk = "D" if h.exploratory else marker
                    ax.plot(
                        scale * r.estimate,
                        y,
                        marker=mk,
                        color=color,
                        markerfacecolor=face,
                        markersize=7,
                        linestyle="none",
                    )
            labels = []
            for hid in group:
                h = reg[hid]
                what = (
                    f"{SHORT_LABELS[h.predictor]} → {h.outcome}"
                    if h.moderator is None
                    else f"{SHORT_LABELS[h.predictor]} × {SHORT_LABELS[h.moderator]}"
                )
                sign = {1: "+", -1: "−", 0: "?"}[h.expected_sign]
                labels.append(f"{hid} ({sign}): {what}")
            ax.set_yticks(range(len(group)), labels)
            ax.set_ylim(len(group) - 0.5, -0.5)
            ax.set_xlabel(xlabel)
            ax.grid(True, axis="x", color="0.9")
        handles = [
            Line2D(
                [],
                [],
                color=style[mo][0],
                marker=style[mo][1],
                linestyle="-",
                label=style[mo][2],
            )
            for mo in models
        ]
        handles += [
            Line2D([], [], color="0.2", marker="o", linestyle="none", label="supported (filled)"),
            Line2D(
                [],
                [],
                color="0.2",
                marker="o",
                markerfacecolor="white",
                linestyle="none",
                label="not supported (open)",
            ),
            Line2D(
                [],
                [],
                color="0.2",
                marker="D",
                markerfacecolor="white",
                linestyle="none",
                label="exploratory (E1)",
            ),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        fig.suptitle(f"Share-scale effects with {100 * (1 - alpha):g}% confidence intervals")
    return fig


# ----------------------------------------------------------------------------
# everything
# ----------------------------------------------------------------------------
def make_figures(
    frame: Any,
    results: Any,
    outdir: str | os.PathLike[str],
    *,
    report: Any = None,
    robustness: Sequence[Any] = (),
    formats: Sequence[str] = FIGURE_FORMATS,
    data_note: str | None = None,
) -> list[Path]:
    """Draw every figure and write it to ``outdir`` (all files or none).

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    results : ShareResults
        The fitted main model (Dirichlet regression).
    outdir : path-like
        Folder the figures go to (created when missing).
    report : HypothesisReport, optional
        Output of :func:`~leadblackhole.effects.report.run_hypotheses` for
        these data and model; computed (without bootstrap) when omitted.
    robustness : sequence of ShareResults
        Robustness models, shown in the forest plot when given (and when
        ``report`` is omitted).
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
    from ..effects.report import run_hypotheses

    for fmt in formats:
        if fmt not in FIGURE_FORMATS:
            raise ValueError(f"formats must be among {FIGURE_FORMATS}; received {fmt!r}")
    if report is None:
        report = run_hypotheses(frame, results, robustness)
    options = report.options
    data, raw, means = _data(frame)
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
                plot_johnson_neyman(jn, fdr, hypothesis_id=h.id, observed=obs),
            )
        )
    figs.append(("ternary_shares", plot_ternary(frame)))
    figs.append(("shares_by_firm", plot_shares_by_firm(frame)))
    out = outdir if isinstance(outdir, OutputSet) else OutputSet(outdir)
    for name, fig in figs:
        if data_note:
            add_footer(fig, data_note)
        for fmt in formats:
            out.add_bytes(f"{name}.{fmt}", figure_bytes(fig, fmt, description=data_note))
    paths = out.commit()
    return [paths[n] for n in out.names]
