"""The measure step: the measurement analysis of a survey's items."""

from __future__ import annotations

from ..data import AnalysisFrame, Survey
from ..measurement import MeasurementReport, run_measurement

__all__ = ["measure"]


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
    """
    items, scales, variables, groups = frame.measurement_inputs(survey)
    return run_measurement(items, scales, variables=variables, groups=groups)
