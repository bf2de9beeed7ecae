"""Measurement model: reliability, CFA, discriminant validity, common-method variance.

Inputs are plain pandas objects: ``items`` (one numeric column per Likert
item, NaN for a missing answer) and ``scales`` (``{scale name: [item
columns]}``, at least 2 items per scale, any number of scales). Statistics
computed from the items use listwise deletion across the items of all scales.
See ``docs/measurement.md`` for the definitions.

Examples
--------
>>> from leadblackhole.measurement import run_measurement          # doctest: +SKIP
>>> rep = run_measurement(items, {"prequal": [...], "tracking": [...]})  # doctest: +SKIP
>>> rep.write("results/measurement")                               # doctest: +SKIP
"""

from leadblackhole.measurement.analysis import TABLE_NAMES, MeasurementReport, run_measurement
from leadblackhole.measurement.cfa import FIT_INDICES, CFAResult, fit_cfa, fit_statistics
from leadblackhole.measurement.cmv import (
    HarmanResult,
    OneFactorComparison,
    cmv_table,
    harman_single_factor,
    one_factor_comparison,
)
from leadblackhole.measurement.descriptives import correlation_table, descriptives, scale_scores
from leadblackhole.measurement.marker import MarkerCFA, check_marker, fit_marker_cfa
from leadblackhole.measurement.reliability import (
    AlphaResult,
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    feldt_interval,
    reliability_table,
    scale_alphas,
)
from leadblackhole.measurement.score_reliability import (
    RELIABILITY_METHODS,
    check_reliability,
    reliability_from_cov,
    reliability_gradient,
    score_reliabilities,
    score_reliability,
)
from leadblackhole.measurement.validity import (
    HTMT_THRESHOLD,
    discriminant_validity,
    fornell_larcker,
    htmt,
)

__all__ = [
    "FIT_INDICES",
    "HTMT_THRESHOLD",
    "RELIABILITY_METHODS",
    "TABLE_NAMES",
    "AlphaResult",
    "CFAResult",
    "HarmanResult",
    "MarkerCFA",
    "MeasurementReport",
    "OneFactorComparison",
    "average_variance_extracted",
    "check_marker",
    "check_reliability",
    "cmv_table",
    "composite_reliability",
    "correlation_table",
    "cronbach_alpha",
    "descriptives",
    "discriminant_validity",
    "feldt_interval",
    "fit_cfa",
    "fit_marker_cfa",
    "fit_statistics",
    "fornell_larcker",
    "harman_single_factor",
    "htmt",
    "one_factor_comparison",
    "reliability_table",
    "run_measurement",
    "scale_alphas",
    "scale_scores",
    "reliability_from_cov",
    "reliability_gradient",
    "score_reliabilities",
    "score_reliability",
]
