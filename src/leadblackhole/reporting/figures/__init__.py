"""Figures of the replication, as PNG and PDF with reproducible bytes.

:func:`make_figures` draws every figure and stages it through an
:class:`~leadblackhole.outputs.OutputSet`, so the folder receives all
figures or none:

``effects``
    Forest plot of the registry effects H1–H11 and E1 with 95% intervals
    (:mod:`~leadblackhole.reporting.figures.effects_plot`).
``moderation_<id>``, ``johnson_neyman_<id>``
    For each moderation: the predicted marketing share at low, mean and high
    moderator, and the conditional effect with its Johnson–Neyman region
    (:mod:`~leadblackhole.reporting.figures.moderation`).
``ternary_shares``, ``shares_by_firm``
    The time shares themselves (:mod:`~leadblackhole.reporting.figures.shares`).
``sensitivity_h4``
    How strong a hidden confounder would have to be to overturn H4, drawn from
    the data ``fit`` saved (:mod:`~leadblackhole.reporting.figures.sensitivity`).

The common drawing (labels, style, private figures, reproducible bytes) is
:mod:`~leadblackhole.reporting.figures.drawing`; the set of figures, their
captions and :func:`make_figures` are
:mod:`~leadblackhole.reporting.figures.figure_set`.
"""

from .drawing import (
    COMPONENT_LABELS,
    FIGURE_FORMATS,
    FIGURE_RC,
    SCALE_LABELS,
    SHORT_LABELS,
    VARIABLE_LABELS,
    add_footer,
    figure_bytes,
    frame_tables,
    new_figure,
    scale_ranges_of,
    variable_label,
)
from .effects_plot import plot_effects
from .figure_set import FIGURE_CAPTIONS, SENSITIVITY_STEM, figure_names, make_figures
from .moderation import plot_johnson_neyman, plot_moderation
from .sensitivity import plot_sensitivity_contour
from .shares import plot_shares_by_firm, plot_ternary

__all__ = [
    "COMPONENT_LABELS",
    "FIGURE_CAPTIONS",
    "FIGURE_FORMATS",
    "FIGURE_RC",
    "SCALE_LABELS",
    "SENSITIVITY_STEM",
    "SHORT_LABELS",
    "VARIABLE_LABELS",
    "add_footer",
    "figure_bytes",
    "figure_names",
    "frame_tables",
    "make_figures",
    "new_figure",
    "plot_effects",
    "plot_johnson_neyman",
    "plot_moderation",
    "plot_sensitivity_contour",
    "plot_shares_by_firm",
    "plot_ternary",
    "scale_ranges_of",
    "variable_label",
]
