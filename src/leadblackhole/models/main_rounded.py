"""The main model on rounded answers: the rounding-aware Dirichlet regression.

:func:`fit_rounded_main_model` fits
:class:`~leadblackhole.models.dirichlet.rounded.RoundedDirichletRegression` to
the analysis sample with the design and parameter labels of the exact-share
main model (:func:`~leadblackhole.models.main.fit_main_model`): equations
``marketing``, ``self``, ``precision``, base ``other``, precision ``~ 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import EstimationError
from ..specification import COMPONENTS
from .dirichlet.rounded import RoundedDirichletRegression, detect_rounding_step
from .dirichlet.rounded_results import RoundedDirichletResults
from .main import BASE_COMPONENT, analysis_data, main_model_exog, precision_exog
from .results import register_model

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "FLOOR_COMPONENT",
    "ROUNDING_TOLERANCE",
    "analysis_percents",
    "check_rounding_step",
    "fit_rounded_main_model",
    "main_model_name",
    "rounded_main_model",
    "rounding_step_of",
]


def analysis_percents(frame: AnalysisFrame | pd.DataFrame) -> pd.DataFrame:
    """Reported percents of the analysis sample, columns ``marketing, self, other``.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`, or its
        ``data`` (for example a bootstrap resample).

    Returns
    -------
    DataFrame
        The reported percents ``pct_marketing, pct_self, pct_other`` when the
        data carry them (the analysis frame does), so that a row summing to 99
        or 101 keeps its whole numbers; otherwise 100 times the shares. Zeros
        are kept; values within 1e-9 of a whole number are set to it (undoing
        the floating-point error of dividing by the row sum).

    Raises
    ------
    EstimationError
        When the data hold no share columns.
    """
    data = analysis_data(frame, "the rounding-aware model")
    if any(c not in data.columns for c in COMPONENTS):
        raise EstimationError(
            f"expected analysis data holding the shares {list(COMPONENTS)}; "
            f"received columns {list(data.columns)}"
        )
    reported = [f"pct_{c}" for c in COMPONENTS]
    if all(c in data.columns for c in reported):
        # the answers as reported: a row summing to 99 or 101 keeps its whole numbers
        pct = data[reported].to_numpy(dtype=float)
    else:
        pct = 100.0 * data[list(COMPONENTS)].to_numpy(dtype=float)
    whole = np.round(pct)
    pct = np.where(np.abs(pct - whole) < 1e-9, whole, pct)
    return pd.DataFrame(pct, index=data.index, columns=list(COMPONENTS))


def rounding_step_of(frame: AnalysisFrame | pd.DataFrame) -> int | None:
    """Rounding step of the analysis sample's marketing and self percents.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`, or its
        ``data``.

    Returns
    -------
    int or None
        :func:`~leadblackhole.models.dirichlet.rounded.detect_rounding_step`
        of the analysable reps' ``pct_marketing`` and ``pct_self``.
    """
    pct = analysis_percents(frame)
    return detect_rounding_step(pct["marketing"], pct["self"])


#: How far (percentage points) a reported percent may lie from a multiple of the rounding
#: step and still count as one: float error, not a different answer.
ROUNDING_TOLERANCE: float = 1e-7


def check_rounding_step(frame: AnalysisFrame | pd.DataFrame, step: float, shown: int = 5) -> None:
    """Check that every analysable rep's marketing and self percents are multiples of ``step``.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`, or its ``data``.
    step : float
        The rounding step, in percentage points (the scale the percents are
        reported in).
    shown : int, default 5
        How many offending reps the message names.

    Raises
    ------
    EstimationError
        Naming the first reps (by ``rep_id``, else by position in the
        analysis sample) whose ``pct_marketing`` or ``pct_self`` is not within
        :data:`ROUNDING_TOLERANCE` of a multiple of ``step``: the
        rounding-aware model would read each of those answers as a cell it
        does not lie in.

    Examples
    --------
    >>> check_rounding_step(frame, 5)                        # doctest: +SKIP
    """
    pct = analysis_percents(frame)[["marketing", "self"]]
    data = analysis_data(frame, "the rounding check")
    ids = data["rep_id"].astype(str) if "rep_id" in data.columns else None
    values = pct.to_numpy(dtype=float)
    off = np.abs(values - step * np.round(values / step)) > ROUNDING_TOLERANCE
    bad = np.flatnonzero(off.any(axis=1))
    if not bad.size:
        return
    names = []
    for i in bad[:shown]:
        who = f"rep {ids.iloc[i]!r}" if ids is not None else f"analysable rep {i + 1}"
        cols = ", ".join(
            f"pct_{c} {values[i, j]:g}" for j, c in enumerate(pct.columns) if off[i, j]
        )
        names.append(f"{who} ({cols})")
    more = f" and {bad.size - shown} more" if bad.size > shown else ""
    raise EstimationError(
        f"--rounding {step:g}: {bad.size} of {len(values)} analysable reps report a "
        f"pct_marketing or pct_self that is not a multiple of {step:g} percentage points: "
        f"{'; '.join(names)}{more}. Give the step the answers were rounded to (--rounding "
        "auto finds the coarsest of 10, 5 and 1 that fits them) or --rounding none"
    )


#: The component every analysable rep reports as at least one step (the sample rule).
FLOOR_COMPONENT = "marketing"


@register_model("dirichlet_rounded")
def fit_rounded_main_model(
    frame: AnalysisFrame | pd.DataFrame,
    step: Any = "auto",
    cov_type: str = "oim",
    precision: str | None = None,
    start_params: pd.Series | None = None,
) -> RoundedDirichletResults:
    """Fit the rounding-aware main model.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame` (or its ``data``).
    step : "auto" or float
        Rounding step in percentage points; ``"auto"`` detects it with
        :func:`rounding_step_of`.
    cov_type : {"oim", "robust"}
        Observed-information or sandwich covariance (see
        :meth:`RoundedDirichletRegression.fit`).
    precision : str, optional
        Formula of the precision model on the analysis variables
        (:func:`~leadblackhole.models.main.precision_exog`); default constant.
    start_params : Series, optional
        Starting values labelled by (equation, term) (warm starts of refits).

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
    model = rounded_main_model(frame, step, precision)
    if start_params is not None:
        start_params = [start_params.get(k, 0.0) for k in model.param_names]
    return model.fit(start_params=start_params, cov_type=cov_type)


def rounded_main_model(
    frame: AnalysisFrame | pd.DataFrame, step: Any = "auto", precision: str | None = None
) -> RoundedDirichletRegression:
    """The rounding-aware main model on the analysis sample, not fitted.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample.
    step : "auto" or float
        As :func:`fit_rounded_main_model`.
    precision : str, optional
        Formula of the precision model.

    Returns
    -------
    RoundedDirichletRegression
        What :func:`fit_rounded_main_model` fits; the fit artifact rebuilds its
        results on it (:mod:`leadblackhole.models.stored`).

    Raises
    ------
    EstimationError
        As :func:`fit_rounded_main_model`.
    """
    auto = isinstance(step, str) and step == "auto"
    # an input that is no analysis frame is named after the first step that reads it
    data = analysis_data(frame, "the rounding-aware model" if auto else "the share models")
    if auto:
        step = rounding_step_of(data)
        if step is None:
            raise EstimationError(
                "the reported percents are not all whole numbers, so no rounding step was "
                "detected; fit the exact-share model or give the step"
            )
    exog = main_model_exog(data)
    endog = analysis_percents(data)
    z = precision_exog(data, precision)
    model = RoundedDirichletRegression(
        endog, exog, step, exog_precision=z, base=BASE_COMPONENT, floor=FLOOR_COMPONENT
    )
    if z is not None:
        model.precision_formula = precision.strip()
    return model


def main_model_name(fits: Mapping[str, Any] | pd.DataFrame) -> str:
    """Name of the model to read as the main model: the rounding-aware one when fitted.

    Parameters
    ----------
    fits : mapping of str to results, or DataFrame
        Fitted models by name, or a table with a ``model`` column (for
        example ``fit_stats.csv`` or ``hypotheses.csv``).

    Returns
    -------
    str
        ``"dirichlet_rounded"`` when it is among the models (the reported
        percents are rounded, so the exact-share Dirichlet is biased; see
        ``docs/rounding.md``), else ``"dirichlet"``.

    Examples
    --------
    >>> main_model_name({"dirichlet": None, "dirichlet_rounded": None})
    'dirichlet_rounded'
    >>> main_model_name(pd.DataFrame({"model": ["dirichlet", "ols"]}))
    'dirichlet'
    """
    if isinstance(fits, pd.DataFrame):
        names = set(fits["model"]) if "model" in fits.columns else set()
    else:
        names = set(fits)
    return "dirichlet_rounded" if "dirichlet_rounded" in names else "dirichlet"
