"""The measure step: the measurement analysis of a survey's items, and the marker's CMV test."""

from __future__ import annotations

import pandas as pd

from ..data import AnalysisFrame, Survey
from ..measurement import MeasurementReport, check_marker, fit_marker_cfa, run_measurement

__all__ = ["MARKER_SCALE", "marker_cmv", "measure"]

#: The name of a marker scale in the codebook (``[scales.marker]``) that ``measure`` tests.
MARKER_SCALE = "marker"


def measure(survey: Survey, frame: AnalysisFrame) -> MeasurementReport:
    """Reliability, CFA, validity, CMV checks and descriptives of a survey.

    Parameters
    ----------
    survey : Survey
        The loaded survey (its items).
    frame : AnalysisFrame
        The analysis frame built from it (its scales, analysis variables and firms).

    Returns
    -------
    MeasurementReport
        Its tables name each item by the survey file's own column name, with
        ``(R)`` after a reverse-coded item (:meth:`~leadblackhole.data.Survey.item_labels`;
        the simulated survey's items keep their names ``pq_1 ...``).
    """
    items, scales, variables, groups = frame.measurement_inputs(survey)
    report = run_measurement(items, scales, variables=variables, groups=groups)
    return report.with_item_labels(survey.item_labels())


def marker_cmv(survey: Survey, frame: AnalysisFrame) -> dict[str, pd.DataFrame]:
    """The marker-based test of common-method variance, when the survey declares a marker scale.

    Parameters
    ----------
    survey : Survey
        The loaded survey: its scale :data:`MARKER_SCALE` (a codebook's
        ``[scales.marker]``) is the marker.
    frame : AnalysisFrame
        The analysis frame built from it (the analysis sample's items).

    Returns
    -------
    dict of str to DataFrame
        ``{"marker_cmv": table}`` (rows ``check, quantity, value``, the layout
        of ``cmv.csv``: the method loading, its share of item variance and the
        likelihood-ratio test of no method factor,
        :func:`~leadblackhole.measurement.fit_marker_cfa`), or ``{}`` when the
        survey has no marker scale.

    Raises
    ------
    MarkerError
        A marker scale with a single item.
    """
    items, scales = frame.measurement_inputs(survey)[:2]
    if MARKER_SCALE not in scales:
        return {}
    model_scales = {s: v for s, v in scales.items() if s in ("prequal", "tracking")}
    marker_items = check_marker(MARKER_SCALE, scales, tuple(model_scales))
    return {"marker_cmv": fit_marker_cfa(items, model_scales, marker_items).table()}
