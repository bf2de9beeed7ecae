"""The forest plot of the registry effects H1–H11 and E1.

``effects``
    Each effect with its 95% interval, scaled to one standard deviation of its
    predictor (and moderator), filled when the hypothesis is supported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...effects import EffectsError
from ...models import main_model_name
from ...registry import HYPOTHESES
from .drawing import FIGURE_RC, SHORT_LABELS, frame_tables, new_figure

__all__ = ["plot_effects"]

_MODEL_STYLE = {
    "dirichlet_rounded": ("#000000", "o", "Rounding-aware Dirichlet"),
    "dirichlet": ("#000000", "o", "Dirichlet"),
    "fractional_logit": ("#0072B2", "s", "Fractional logit"),
    "ols": ("#D55E00", "^", "OLS"),
}


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
        ``hypotheses.csv`` (:func:`~leadblackhole.effects.hypothesis_table`).
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
    data, _, _ = frame_tables(frame)
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
    fig = new_figure(7.6, 6.6)
    with mpl.rc_context(FIGURE_RC):
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
