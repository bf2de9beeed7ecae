"""Extra survey columns in the analysis frame: instruments and exclusion variables.

A survey may record variables the share models do not use but a remedy needs:
an instrument for lead volume (a territory's campaign budget, which moves the
leads a rep receives but not how the rep shares time) or an exclusion variable
of the selection model (one that moves whether a rep takes marketing leads at
all). :func:`~leadblackhole.data.load_survey` keeps the columns a command names
(``extra_columns=``); :func:`attach_extra_columns` puts them beside the
analysis variables of an :class:`~leadblackhole.data.AnalysisFrame`, in
``data``, ``raw`` and ``selection``, uncentred (the first stage and the
selection probit have an intercept, so centring would change nothing but the
intercept).

Missing values are not dropped here: a rep of the selection frame (every rep
with complete predictors) without a value stops the analysis with the rows
listed, because dropping it would fit the remedy on other reps than the
models it is compared with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..exceptions import InstrumentError, Problem, SurveyValidationError
from .frame import AnalysisFrame
from .loader import Survey
from .schema import extra_name_problem

__all__ = ["attach_extra_columns"]


def attach_extra_columns(
    frame: AnalysisFrame, survey: Survey, names: Sequence[str]
) -> AnalysisFrame:
    """The analysis frame with extra survey columns beside its variables.

    Parameters
    ----------
    frame : AnalysisFrame
        Built from ``survey`` by :func:`~leadblackhole.data.build_analysis_frame`.
    survey : Survey
        Loaded with ``extra_columns`` naming every column of ``names``.
    names : sequence of str
        Extra columns to attach.

    Returns
    -------
    AnalysisFrame
        A copy whose ``data``, ``raw`` and ``selection`` hold the columns (raw
        values, matched by ``rep_id``).

    Raises
    ------
    InstrumentError
        A name not loaded with the survey, named like a model variable, or
        already a column of the frame.
    SurveyValidationError
        A rep of the selection frame (every rep with complete predictors)
        without a value, listed with its row.

    Examples
    --------
    >>> survey = load_survey("reps.csv", extra_columns=["campaign_budget"])  # doctest: +SKIP
    >>> frame = attach_extra_columns(build_analysis_frame(survey), survey,
    ...                              ["campaign_budget"])                     # doctest: +SKIP
    """
    names = list(dict.fromkeys(names))
    for name in names:
        why = extra_name_problem(name)
        if why is not None:
            raise InstrumentError(why)
        if name not in survey.extra or name not in survey.data.columns:
            raise InstrumentError(
                f"the extra column {name!r} was not loaded with the survey; load it with "
                f"load_survey(..., extra_columns=[{name!r}, ...])"
            )
        if name in frame.data.columns or name in frame.selection.columns:
            raise InstrumentError(f"the analysis frame already has a column {name!r}")
    if not names:
        return frame
    values = survey.data.set_index("rep_id")[names]
    row_of = pd.Series(np.arange(1, len(survey.data) + 1), index=survey.data["rep_id"])
    sel_values = values.loc[frame.selection["rep_id"]]
    problems = []
    for name in names:
        missing = sel_values[name].isna().to_numpy()
        for rep in frame.selection["rep_id"].to_numpy()[missing]:
            rule = (
                "missing value in an extra column the command uses; every rep with "
                "complete predictors needs one (fill it in or drop the rep from the file)"
            )
            problems.append(Problem(int(row_of[rep]), name, None, rule))
    if problems:
        problems.sort(key=lambda p: (p.row, p.column))
        raise SurveyValidationError(problems, source=survey.source)

    def with_columns(table: pd.DataFrame) -> pd.DataFrame:
        out = table.copy()
        picked = values.loc[table["rep_id"]]
        for name in names:
            out[name] = picked[name].to_numpy(dtype=float)
        return out

    return replace(
        frame,
        data=with_columns(frame.data),
        raw=with_columns(frame.raw),
        selection=with_columns(frame.selection),
    )
