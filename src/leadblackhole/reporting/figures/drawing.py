"""Common drawing of the figures: labels, style, private figures and reproducible bytes.

Bytes are reproducible: the figures are drawn on a private
:class:`matplotlib.figure.Figure` (no pyplot state, :func:`new_figure`) with the
Agg renderer, the PDF metadata carry no creation or modification date and the
PNG no software tag (:func:`figure_bytes`), and ``svg.hashsalt`` is fixed
(:data:`FIGURE_RC`).
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib as mpl  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ...data import DEFAULT_RANGE  # noqa: E402
from ...effects import EffectsError  # noqa: E402
from ...tables_text import mpl_escape  # noqa: E402

__all__ = [
    "COMPONENT_LABELS",
    "FIGURE_FORMATS",
    "FIGURE_RC",
    "SCALE_LABELS",
    "SHORT_LABELS",
    "VARIABLE_LABELS",
    "add_footer",
    "figure_bytes",
    "frame_tables",
    "new_figure",
    "scale_ranges_of",
    "variable_label",
]

#: Formats written for every figure.
FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf")

#: Axis labels of the scale scores, without their range (:func:`variable_label` adds the
#: survey's range: "scale mean, 1–5").
SCALE_LABELS: dict[str, str] = {
    "prequal": "Lead prequalification quality",
    "tracking": "Managerial tracking of follow-up",
}

#: Axis labels of the other analysis variables, with their units (raw scale).
VARIABLE_LABELS: dict[str, str] = {
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

#: Labels of the three time shares.
COMPONENT_LABELS: dict[str, str] = {
    "marketing": "Marketing leads",
    "self": "Self-generated leads",
    "other": "Other work",
}

#: Matplotlib settings of every figure (fonts, sizes, a fixed SVG hash salt; text never
#: set by LaTeX, whatever a matplotlibrc says, so a ``$`` escaped by
#: :func:`~leadblackhole.tables_text.mpl_escape` is the only special character of a label).
FIGURE_RC = {
    "svg.hashsalt": "leadblackhole",
    "text.usetex": False,
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


def scale_ranges_of(frame: Any) -> dict[str, tuple[int, int]]:
    """The scale ranges a frame carries (``AnalysisFrame.scale_ranges``; none for another object)."""
    return dict(getattr(frame, "scale_ranges", None) or {})


def variable_label(name: str, scale_ranges: Any = None) -> str:
    """Axis label of an analysis variable; a scale score's label names its range.

    Parameters
    ----------
    name : str
        Analysis variable (``prequal``, ``tracking``, ``volume``, ...).
    scale_ranges : Mapping[str, tuple of int], optional
        Scale name -> (lowest, highest) answer (``AnalysisFrame.scale_ranges``);
        a scale missing from it is 1–7 (:data:`~leadblackhole.data.DEFAULT_RANGE`).

    Returns
    -------
    str
        ``"Lead prequalification quality (scale mean, 1–5)"`` for a scale,
        :data:`VARIABLE_LABELS` for the others, the name itself otherwise.

    Examples
    --------
    >>> variable_label("prequal", {"prequal": (1, 5)})
    'Lead prequalification quality (scale mean, 1–5)'
    >>> variable_label("tracking")
    'Managerial tracking of follow-up (scale mean, 1–7)'
    """
    if name in SCALE_LABELS:
        low, high = (scale_ranges or {}).get(name, DEFAULT_RANGE)
        return f"{SCALE_LABELS[name]} (scale mean, {low:g}–{high:g})"
    return VARIABLE_LABELS.get(name, name)


def new_figure(width: float, height: float, layout: str | None = "constrained") -> Figure:
    """A private figure (no pyplot state) drawn with :data:`FIGURE_RC`.

    Parameters
    ----------
    width, height : float
        Size in inches.
    layout : str or None, default "constrained"
        Matplotlib's layout engine (``None``: placed by hand).

    Returns
    -------
    Figure
    """
    with mpl.rc_context(FIGURE_RC):
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
    with mpl.rc_context(FIGURE_RC):
        fig.savefig(buf, format=fmt, metadata=metadata, bbox_inches="tight", pad_inches=0.1)
    return buf.getvalue()


def add_footer(fig: Figure, text: str) -> None:
    """Set ``text`` under the figure, below everything drawn (the saved canvas grows to it).

    Parameters
    ----------
    fig : Figure
    text : str
        For example the label of simulated data (shown as written: a ``$`` in it
        starts no math text).

    Notes
    -----
    A figure with a legend below its axes gets the label as the legend's
    title; another figure with constrained layout as its ``supxlabel``; a
    figure placed by hand is laid out once to find the extent of what it
    draws, and the label goes 0.1 inch under it, centred.
    """
    text = mpl_escape(text)
    with mpl.rc_context(FIGURE_RC):
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


def frame_tables(frame: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """The analysis data, the raw (uncompressed) data and the centring means of a frame.

    Parameters
    ----------
    frame : AnalysisFrame

    Returns
    -------
    data, raw, means : DataFrame, DataFrame, Series

    Raises
    ------
    EffectsError
        When ``frame`` is not an analysis frame.
    """
    data = getattr(frame, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise EffectsError(f"expected an AnalysisFrame; received {type(frame).__name__}")
    raw = getattr(frame, "raw", data)
    means = getattr(frame, "means", pd.Series(dtype=float))
    return data, raw, means
