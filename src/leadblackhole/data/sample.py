"""Which reps are analysed: the missing-data policy, the sample rule and the exclusion report.

Missing-data policy
-------------------
* A scale score is the mean of the answered items; it needs at least half
  of the scale's items (rounded up). A rep with fewer is excluded.
* A rep missing ``firm``, ``lead_volume``, ``experience``, ``quota_pct`` or
  any of the three time percents is excluded.
* ``variable_pay_pct`` enters the model when the column is present and at
  least one rep answered it; reps missing it are then excluded.
* ``hours_per_week`` and ``leads_followed_up`` are descriptive only and
  never cause an exclusion.
* Reps with ``pct_marketing == 0`` leave the analysis sample (the sample
  rule of docs/study.md) but stay in the selection frame used by the probit of
  having any marketing-lead time.

Every excluded rep appears in the exclusion report with its row, ``rep_id``
and reason; a rep is reported once, with the first reason that applies in
the order above.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import Problem, SurveyValidationError
from .loader import Survey
from .schema import PERCENT_COLUMNS
from .variables import uses_variable_pay

__all__ = [
    "check_analysis_sample",
    "exclusion_reasons",
    "exclusion_table",
    "has_marketing_time",
    "zero_marketing_reason",
]


def has_marketing_time(pct_marketing: Any) -> Any:
    """The sample rule: whether a rep spends any time on marketing leads.

    Parameters
    ----------
    pct_marketing : Series or ndarray
        Percent (or share) of working time on marketing leads.

    Returns
    -------
    Series or ndarray of bool
        True for the reps the analysis sample keeps (and ``any_marketing = 1``
        of the selection frame).
    """
    return pct_marketing > 0


def zero_marketing_reason(column: str | None = None) -> str:
    """Exclusion reason of a rep with no marketing-lead time.

    Parameters
    ----------
    column : str, optional
        The file's own name of ``pct_marketing`` (from a codebook).

    Returns
    -------
    str

    Examples
    --------
    >>> zero_marketing_reason()
    'no time on marketing leads (pct_marketing = 0)'
    """
    where = f", column '{column}' of the file" if column else ""
    return f"no time on marketing leads (pct_marketing = 0{where})"


def exclusion_reasons(survey: Survey) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Why each rep leaves the analysis sample: the first rule of the policy that applies.

    Parameters
    ----------
    survey : Survey
        A validated survey.

    Returns
    -------
    reason : Series of object
        The reason of every excluded rep, missing for the analysable ones.
    complete : ndarray of bool
        Reps with complete predictors: the rows of the selection frame.
    keep : ndarray of bool
        The analysis sample: complete reps with marketing-lead time.
    """
    d = survey.data
    reason = pd.Series(pd.NA, index=d.index, dtype="object")

    def exclude(mask: pd.Series, why: str) -> None:
        new = mask & reason.isna()
        reason[new] = why

    label = getattr(survey, "column_label", lambda c: f"'{c}'")
    exclude(d["firm"].isna(), f"missing value in {label('firm')}")
    for name, items in survey.scales.items():
        need = math.ceil(len(items) / 2)
        answered = d[list(items)].notna().sum(axis=1)
        exclude(
            answered < need,
            f"scale '{name}' has fewer than {need} of its {len(items)} items answered",
        )
    required = ["lead_volume", "experience", "quota_pct", *PERCENT_COLUMNS]
    for col in required:
        exclude(d[col].isna(), f"missing value in {label(col)}")
    if uses_variable_pay(d):
        exclude(d["variable_pay_pct"].isna(), f"missing value in {label('variable_pay_pct')}")
    complete = reason.isna().to_numpy()
    own = getattr(survey, "columns", {}).get("pct_marketing")
    exclude(~has_marketing_time(d["pct_marketing"]), zero_marketing_reason(own))
    return reason, complete, reason.isna().to_numpy()


def exclusion_table(rep_id: Any, reason: Any, keep: np.ndarray) -> pd.DataFrame:
    """The exclusion report: ``row`` (1-based data row), ``rep_id`` and ``reason``.

    Parameters
    ----------
    rep_id : array-like
        Identifier of every rep read.
    reason : str or array-like
        The reason of every rep (read where ``keep`` is false), or one reason
        for every excluded rep.
    keep : ndarray of bool
        The analysis sample.

    Returns
    -------
    DataFrame
        One row per excluded rep, in data order.
    """
    rows = np.flatnonzero(~keep)
    if isinstance(reason, str):
        why = np.full(rows.size, reason, dtype=object)
    else:
        why = np.asarray(reason, dtype=object)[rows]
    return pd.DataFrame({"row": rows + 1, "rep_id": np.asarray(rep_id)[rows], "reason": why})


def check_analysis_sample(firm: pd.Series, n_variables: int, source: str | None = None) -> None:
    """Check that the model can be fitted to the analysis sample.

    Parameters
    ----------
    firm : Series
        Firm of each analysable rep.
    n_variables : int
        Analysis variables in the model.
    source : str, optional
        Name of the survey's file, for the message.

    Raises
    ------
    SurveyValidationError
        If fewer than 2 firms, or fewer reps than the model has parameters,
        remain in the analysis sample.
    """
    n_firms = firm.nunique()
    n_params = 1 + (n_firms - 1) + n_variables + 6
    problems = []
    if n_firms < 2:
        problems.append(
            Problem(
                None,
                "firm",
                None,
                f"the analysis sample holds {n_firms} firm(s); at least 2 are required",
            )
        )
    if len(firm) <= n_params:
        problems.append(
            Problem(
                None,
                None,
                None,
                f"the analysis sample holds {len(firm)} reps; the model needs more than {n_params}",
            )
        )
    if problems:
        raise SurveyValidationError(problems, source=source)
