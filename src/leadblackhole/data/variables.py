"""How each model variable of docs/study.md is derived from the answers.

Scale scores, the transformed predictors, the shares as reported and the
centring constants, each defined once, as functions of columns or arrays:
:func:`~leadblackhole.data.build_analysis_frame` applies them to a validated
survey and :func:`~leadblackhole.data.frame.assemble_frame` (the step both
analysis-frame builders share) to the arrays of a simulated study.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..specification import FOCAL

__all__ = [
    "ANALYSIS_VARIABLES",
    "DESCRIPTIVE_COLUMNS",
    "centring_means",
    "derived_variables",
    "reported_shares",
    "scale_scores",
    "uses_variable_pay",
]

#: Analysis variables, in the order of the frame's columns: the focal
#: predictors and the ``variable_pay`` control (when the survey has it).
ANALYSIS_VARIABLES: tuple[str, ...] = FOCAL + ("variable_pay",)
#: Columns kept as reported, for descriptive tables only (when the survey has them).
DESCRIPTIVE_COLUMNS: tuple[str, ...] = (
    "hours_per_week",
    "leads_followed_up",
    "lead_volume",
    "quota_pct",
)


def uses_variable_pay(data: pd.DataFrame) -> bool:
    """Whether ``variable_pay`` enters the model: the column is present and someone answered it.

    Parameters
    ----------
    data : DataFrame
        The survey's rows (canonical column names).

    Returns
    -------
    bool
    """
    return "variable_pay_pct" in data.columns and bool(data["variable_pay_pct"].notna().any())


def scale_scores(data: pd.DataFrame, scales: Mapping[str, Sequence[str]]) -> dict[str, pd.Series]:
    """Score of every multi-item scale: the mean of the answered items of each row.

    Parameters
    ----------
    data : DataFrame
        The survey's rows.
    scales : Mapping
        Scale name -> item columns.

    Returns
    -------
    dict of str to Series
        Scale name -> score (missing when no item was answered; the
        missing-data policy of :mod:`leadblackhole.data.sample` decides which
        scores are usable).
    """
    return {name: data[list(items)].mean(axis=1) for name, items in scales.items()}


def derived_variables(
    data: Mapping[str, Any], scores: Mapping[str, Any], variable_pay: bool
) -> dict[str, Any]:
    """The analysis variables of every rep, uncentred, in :data:`ANALYSIS_VARIABLES` order.

    Parameters
    ----------
    data : DataFrame or Mapping of arrays
        ``lead_volume``, ``experience``, ``quota_pct`` and, with
        ``variable_pay``, ``variable_pay_pct``.
    scores : Mapping
        ``prequal`` and ``tracking`` scale scores (:func:`scale_scores`).
    variable_pay : bool
        Whether the control enters the model (:func:`uses_variable_pay`).

    Returns
    -------
    dict
        Variable name -> column (Series for Series input, arrays for arrays).

    Notes
    -----
    ``prequal`` and ``tracking`` are row means of their items;
    ``volume = ln(1 + lead_volume)``; ``experience`` in years;
    ``performance = quota_pct / 100``; ``variable_pay = variable_pay_pct / 100``.
    """
    out = {
        "prequal": scores["prequal"],
        "tracking": scores["tracking"],
        "volume": np.log1p(data["lead_volume"]),
        "experience": data["experience"],
        "performance": data["quota_pct"] / 100.0,
    }
    if variable_pay:
        out["variable_pay"] = data["variable_pay_pct"] / 100.0
    return out


def reported_shares(percents: np.ndarray) -> np.ndarray:
    """The time shares as reported: each row of percents divided by its sum.

    Parameters
    ----------
    percents : ndarray (n, 3)
        ``pct_marketing``, ``pct_self``, ``pct_other``.

    Returns
    -------
    ndarray (n, 3)
        ``marketing``, ``self``, ``other`` (missing where a percent is). Only
        the Dirichlet likelihood compresses shares of 0 or 1
        (:func:`~leadblackhole.compositions.compress_shares`).

    Examples
    --------
    >>> reported_shares(np.array([[50.0, 30.0, 20.0]])).tolist()
    [[0.5, 0.3, 0.2]]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return percents / percents.sum(axis=1, keepdims=True)


def centring_means(sample: pd.DataFrame | np.ndarray, names: Sequence[str]) -> pd.Series:
    """The centring constants: the mean of each analysis variable over the analysis sample.

    Parameters
    ----------
    sample : DataFrame or ndarray (n, k)
        The uncentred analysis variables of the analysable reps.
    names : sequence of str
        The ``k`` variable names.

    Returns
    -------
    Series
        Variable name -> mean.

    Notes
    -----
    NumPy sums in memory order: the columns of a DataFrame (column-major)
    are summed pairwise, column by column, the rows of a row-major array one
    after another. The full path passes the frame it built, the fast path of
    a design diagnosis the simulator's arrays; their means may differ in the
    last bit, never more.
    """
    return pd.Series(np.asarray(sample).mean(axis=0), index=list(names))
