"""The main model on rounded answers: the rounding-aware Dirichlet regression.

:func:`fit_rounded_main_model` fits
:class:`~leadblackhole.models.dirichlet.rounded.RoundedDirichletRegression` to
the analysis sample with the design and parameter labels of the exact-share
main model (:func:`~leadblackhole.models.main.fit_main_model`): equations
``marketing``, ``self``, ``precision``, base ``other``, precision ``~ 1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import EstimationError
from ..specification import COMPONENTS
from .dirichlet.rounded import (
    RoundedDirichletRegression,
    RoundedDirichletResults,
    detect_rounding_step,
)
from .main import BASE_COMPONENT, main_model_exog

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = ["FLOOR_COMPONENT", "analysis_percents", "fit_rounded_main_model", "rounding_step_of"]


def analysis_percents(frame: AnalysisFrame) -> pd.DataFrame:
    """Reported percents of the analysis sample, columns ``marketing, self, other``.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.

    Returns
    -------
    DataFrame
        100 times the uncompressed shares (``frame.raw``), indexed like
        ``frame.data``; values within 1e-9 of a whole number are set to it
        (undoing the floating-point error of dividing by the row sum).

    Raises
    ------
    EstimationError
        When the frame has no uncompressed shares.
    """
    raw = getattr(frame, "raw", None)
    if not isinstance(raw, pd.DataFrame) or any(c not in raw.columns for c in COMPONENTS):
        raise EstimationError(
            "expected an AnalysisFrame whose raw data hold the shares "
            f"{list(COMPONENTS)}; received {type(frame).__name__}"
        )
    pct = 100.0 * raw[list(COMPONENTS)].to_numpy(dtype=float)
    whole = np.round(pct)
    pct = np.where(np.abs(pct - whole) < 1e-9, whole, pct)
    return pd.DataFrame(pct, index=frame.data.index, columns=list(COMPONENTS))


def rounding_step_of(frame: AnalysisFrame) -> int | None:
    """Rounding step of the analysis sample's marketing and self percents.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.

    Returns
    -------
    int or None
        :func:`~leadblackhole.models.dirichlet.rounded.detect_rounding_step`
        of the analysable reps' ``pct_marketing`` and ``pct_self``.
    """
    pct = analysis_percents(frame)
    return detect_rounding_step(pct["marketing"], pct["self"])


#: The component every analysable rep reports as at least one step (the sample rule).
FLOOR_COMPONENT = "marketing"


def fit_rounded_main_model(frame: AnalysisFrame, step: Any = "auto") -> RoundedDirichletResults:
    """Fit the rounding-aware main model.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.
    step : "auto" or float
        Rounding step in percentage points; ``"auto"`` detects it with
        :func:`rounding_step_of`.

    Notes
    -----
    The analysis sample holds the reps with some time on marketing leads
    (``pct_marketing > 0``), so a rep in it whose true marketing share is
    below half a step reported the smallest positive answer, one step: the
    model is fitted with ``floor="marketing"`` (a reported one step stands for
    0 to 1.5 steps), and the sample rule needs no truncation term. See
    ``docs/rounding.md``.

    Returns
    -------
    RoundedDirichletResults
        Parameters indexed by (equation, term), equations ``marketing``,
        ``self``, ``precision`` and the terms of the exact-share main model.

    Raises
    ------
    EstimationError
        When ``step="auto"`` finds percents that are not whole numbers, or
        the model cannot be built (see
        :class:`~leadblackhole.models.dirichlet.rounded.RoundedDirichletRegression`).

    Examples
    --------
    >>> from leadblackhole.simulation import StudyDesign, simulate
    >>> from leadblackhole.data import build_analysis_frame, validate_survey
    >>> survey, _ = simulate(StudyDesign(heap_step=5), seed=1)
    >>> res = fit_rounded_main_model(build_analysis_frame(validate_survey(survey)))
    >>> res.step
    5.0
    """
    if isinstance(step, str) and step == "auto":
        step = rounding_step_of(frame)
        if step is None:
            raise EstimationError(
                "the reported percents are not all whole numbers, so no rounding step was "
                "detected; fit the exact-share model or give the step"
            )
    exog = main_model_exog(frame)
    endog = analysis_percents(frame)
    model = RoundedDirichletRegression(
        endog, exog, step, base=BASE_COMPONENT, floor=FLOOR_COMPONENT
    )
    return model.fit()
