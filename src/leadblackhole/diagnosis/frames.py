"""The fast path from a simulated study to its analysis frame.

A design diagnosis builds thousands of analysis frames; this module builds
each from the simulator's arrays with the data layer's own steps
(:func:`~leadblackhole.data.assemble_frame` and the sample rule), without
writing, re-reading and re-validating a survey.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..data.frame import AnalysisFrame, assemble_frame
from ..data.sample import has_marketing_time, zero_marketing_reason
from ..data.variables import ANALYSIS_VARIABLES
from ..simulation import StudyDesign, Truth, draw_study

__all__ = ["EXTRA_COLUMNS", "StudyFrame", "simulate_frame"]

#: Survey columns a design may draw for the remedies, attached to the frame when drawn:
#: the instrument of lead volume and the exclusion variable of the selection.
EXTRA_COLUMNS: tuple[str, ...] = ("campaign_budget", "lead_access")


@dataclass(frozen=True, eq=False)
class StudyFrame(AnalysisFrame):
    """The analysis frame of a simulated study, with the Likert answers of its reps.

    Attributes
    ----------
    items : DataFrame
        The item answers (``pq_*``, ``mt_*`` and a marker's ``mk_*`` when the
        design draws one) of the analysis sample's reps, in the rows of
        ``data``: what the corrections for measurement error and common-method
        variance read besides the frame (``StudyDraw.items`` restricted to the
        analysis sample).

    Notes
    -----
    Every model takes it as the :class:`~leadblackhole.data.AnalysisFrame` it is;
    only the corrected estimators of the diagnosis read ``items``.
    """

    items: pd.DataFrame | None = None


def simulate_frame(
    design: StudyDesign | None = None,
    seed: int | np.random.Generator | np.random.SeedSequence = 0,
    *,
    truth: Truth | None = None,
) -> tuple[StudyFrame, Any]:
    """Simulate one study and return its analysis frame directly (the fast path).

    Parameters
    ----------
    design : StudyDesign, optional
        Population model (default :class:`StudyDesign()`).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        As for :func:`~leadblackhole.simulation.simulate`; the same seed gives
        the same study.
    truth : Truth, optional
        The population truth of ``design``
        (:func:`~leadblackhole.simulation.population_truth`), computed once
        elsewhere (the design diagnosis computes it in the client and hands it
        to its workers); default: computed in this process (and cached).

    Returns
    -------
    frame : StudyFrame
        Equal to ``build_analysis_frame(validate_survey(simulate(design,
        seed).survey))``, built without writing and re-reading the survey,
        plus the analysis sample's item answers (``frame.items``) and, when the
        design draws them, the extra columns :data:`EXTRA_COLUMNS` in ``data``,
        ``raw`` and ``selection`` (as
        :func:`~leadblackhole.data.attach_extra_columns` attaches them).
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
    study = draw_study(design, seed, truth=truth)
    v = study.variables
    names = [c for c in ANALYSIS_VARIABLES if c in v.columns]
    pct = study.percents
    keep = has_marketing_time(pct[:, 0])
    frame = assemble_frame(
        study.rep_id,
        study.firm,
        v[names].to_numpy(),
        names,
        pct,
        keep,
        reason=zero_marketing_reason(),
        descriptive=study.extras,
        scales=study.scales,
        source="<simulated>",
    )
    items = study.items
    items = items.loc[keep].reset_index(drop=True) if items is not None else None
    extra = [c for c in EXTRA_COLUMNS if c in study.extras]
    if extra:
        data, raw, sel = frame.data.copy(), frame.raw.copy(), frame.selection.copy()
        for name in extra:
            values = study.extras[name]
            data[name] = values[keep]
            raw[name] = values[keep]
            sel[name] = values
        frame = replace(frame, data=data, raw=raw, selection=sel)
    return StudyFrame(**{f: getattr(frame, f) for f in _FRAME_FIELDS}, items=items), study.truth


#: The fields of :class:`~leadblackhole.data.AnalysisFrame` (copied into a StudyFrame).
_FRAME_FIELDS: tuple[str, ...] = tuple(AnalysisFrame.__dataclass_fields__)
