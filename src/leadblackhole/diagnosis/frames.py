"""The fast path from a simulated study to its analysis frame.

A design diagnosis builds thousands of analysis frames; this module builds
each from the simulator's arrays with the data layer's own steps
(:func:`~leadblackhole.data.assemble_frame` and the sample rule), without
writing, re-reading and re-validating a survey.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.frame import AnalysisFrame, assemble_frame
from ..data.sample import has_marketing_time, zero_marketing_reason
from ..data.variables import ANALYSIS_VARIABLES
from ..simulation import StudyDesign, draw_study

__all__ = ["simulate_frame"]


def simulate_frame(
    design: StudyDesign | None = None,
    seed: int | np.random.Generator | np.random.SeedSequence = 0,
) -> tuple[AnalysisFrame, Any]:
    """Simulate one study and return its analysis frame directly (the fast path).

    Parameters
    ----------
    design : StudyDesign, optional
        Population model (default :class:`StudyDesign()`).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        As for :func:`~leadblackhole.simulation.simulate`; the same seed gives
        the same study.

    Returns
    -------
    frame : AnalysisFrame
        Equal to ``build_analysis_frame(validate_survey(simulate(design,
        seed).survey))``, built without writing and re-reading the survey.
    truth : Truth

    Notes
    -----
    A simulated survey is valid by construction (integer Likert answers in
    1-7, percents summing to 100, no missing values), so the checks of
    :func:`~leadblackhole.data.validate_survey` and the missing-data logic of
    :func:`~leadblackhole.data.build_analysis_frame` have nothing to find; a
    design diagnosis calls this function thousands of times. The only
    exclusion possible is a rep with no marketing-lead time. The simulator
    reports the analysis variables uncentred; the shares, the centring, the
    selection frame and the exclusion report come from
    :func:`~leadblackhole.data.assemble_frame`, the last step of
    ``build_analysis_frame``; a test checks that both paths give the same
    frame (the centring means may differ in the last bit: see
    :func:`~leadblackhole.data.centring_means`). It lives here rather than in
    the simulator because the simulator imports nothing above the base layer
    and the analysis frame belongs to the data layer.

    Examples
    --------
    >>> frame, truth = simulate_frame(StudyDesign(), seed=7)
    >>> frame.n
    461
    """
    study = draw_study(design, seed)
    v = study.variables
    names = [c for c in ANALYSIS_VARIABLES if c in v.columns]
    pct = study.percents
    frame = assemble_frame(
        study.rep_id,
        study.firm,
        v[names].to_numpy(),
        names,
        pct,
        has_marketing_time(pct[:, 0]),
        reason=zero_marketing_reason(),
        descriptive=study.extras,
        scales=study.scales,
        source="<simulated>",
    )
    return frame, study.truth
