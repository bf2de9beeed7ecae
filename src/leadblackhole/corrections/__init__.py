"""Corrected main models: measurement error in the scales, common-method variance.

* :func:`fit_eiv`: the main model with the scale scores replaced by their
  regression-calibrated true scores (``<main>_eiv``), reliabilities from the
  measurement model;
* :func:`fit_marker`: the main model controlling for the method factor that a
  marker scale measures (``<main>_marker``);
* both return :class:`CorrectedResults`: the package's results interface with a
  covariance that carries the first step's sampling error (the stacked two-step
  sandwich of :mod:`~leadblackhole.corrections.sandwich` by default, or a bootstrap of
  both steps), and the registry effects with their standard errors in ``effects``.

This unit sits above ``effects`` (it computes the effects of every bootstrap
replicate) and below ``diagnosis`` (docs/architecture.md). See docs/corrections.md.
"""

from ._engine import ERROR_FREE, MAIN_MODELS, N_BOOT, STD_ERRORS, stratified_draw
from .eiv import EIV_METHODS, calibrate_scores, fit_eiv
from .marker import MARKER_LOADINGS, fit_marker, method_scores
from .results import CorrectedResults

__all__ = [
    "EIV_METHODS",
    "ERROR_FREE",
    "MAIN_MODELS",
    "MARKER_LOADINGS",
    "N_BOOT",
    "STD_ERRORS",
    "CorrectedResults",
    "calibrate_scores",
    "fit_eiv",
    "fit_marker",
    "method_scores",
    "stratified_draw",
]
