"""Descriptive statistics and the correlation table of a journal article.

Missing values are handled per statistic: each column's mean, SD, min and max
use that column's non-missing values (``n`` says how many), and each
correlation uses the rows where both variables are present (pairwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from leadblackhole.exceptions import EstimationError
from leadblackhole.measurement._data import normalize_scales

__all__ = ["ALL_GROUP", "correlation_table", "descriptives", "scale_scores"]

#: Label of the overall (pooled) rows in :func:`descriptives`.
ALL_GROUP = "all"

DESCRIPTIVE_COLUMNS = ("group", "variable", "n", "mean", "sd", "min", "max")


def _numeric(variables: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(variables, pd.DataFrame):
        raise EstimationError(f"{what} must be a pandas DataFrame, got {type(variables).__name__}")
    bad = [
        c
        for c in variables.columns
        if not pd.api.types.is_numeric_dtype(variables[c])
        or pd.api.types.is_bool_dtype(variables[c])
    ]
    if bad:
        raise EstimationError(
            f"{what}: columns must be numeric; not numeric: " + ", ".join(repr(c) for c in bad)
        )
    return variables.astype("float64")


def _summary(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": group,
            "variable": [str(c) for c in frame.columns],
            "n": frame.notna().sum().to_numpy().astype("int64"),
            "mean": frame.mean().to_numpy(),
            "sd": frame.std(ddof=1).to_numpy(),
            "min": frame.min().to_numpy(),
            "max": frame.max().to_numpy(),
        }
    )


def descriptives(variables: pd.DataFrame, by: pd.Series | None = None) -> pd.DataFrame:
    """Mean, SD, min, max and n of every column, overall and by group.

    Parameters
    ----------
    variables : pandas.DataFrame
        Numeric variables (NaN = missing), one per column.
    by : pandas.Series, optional
        Group labels aligned with ``variables`` by index (e.g. firm or
        region). Rows whose label is missing enter only the overall rows.

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``group, variable, n, mean, sd, min, max``: first
        the overall rows (``group == "all"``), then one block per group in
        sorted order of the labels (as text).

    Notes
    -----
    ``sd`` is the sample standard deviation (divisor :math:`n - 1`); every
    statistic uses the column's non-missing values, and ``n`` counts them.
    A column with a single observation has ``sd`` NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> descriptives(df, by=pd.Series(["a", "a", "b", "b"]))[["group", "n", "mean"]]
      group  n  mean
    0   all  4   2.5
    1     a  2   1.5
    2     b  2   3.5
    """
    data = _numeric(variables, "variables")
    parts = [_summary(data, ALL_GROUP)]
    if by is not None:
        if not isinstance(by, pd.Series):
            raise EstimationError(f"by must be a pandas Series, got {type(by).__name__}")
        if not by.index.equals(data.index):
            if not data.index.isin(by.index).all():
                raise EstimationError(
                    "by does not cover every row of variables (the two are aligned by index)"
                )
            by = by.reindex(data.index)
        labels = by.astype("string")
        if (labels == ALL_GROUP).any():
            raise EstimationError(
                f"a group is labelled {ALL_GROUP!r}, which is reserved for the overall rows"
            )
        for label in sorted(labels.dropna().unique()):
            parts.append(_summary(data.loc[(labels == label).fillna(False).to_numpy()], str(label)))
    out = pd.concat(parts, ignore_index=True)
    return out.loc[:, list(DESCRIPTIVE_COLUMNS)]


def correlation_table(
    variables: pd.DataFrame, reliabilities: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Correlation matrix with reliabilities on the diagonal.

    Parameters
    ----------
    variables : pandas.DataFrame
        Numeric variables (e.g. scale scores and controls).
    reliabilities : mapping of str to float, optional
        Reliability (Cronbach's alpha) of the variables that are multi-item
        scales, keyed by column name.

    Returns
    -------
    pandas.DataFrame
        Square table indexed and labelled by the variable names: Pearson
        correlations below and above the diagonal; on the diagonal the
        reliability of a scale, NaN for a variable that is not a scale (shown
        as blank, or a dash, in a published table).

    Notes
    -----
    Correlations are pairwise-complete Pearson :math:`r`. This is the
    "descriptive statistics and correlations" table of a journal article;
    put it next to the overall rows of
    :func:`descriptives` for the means and SDs.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    >>> correlation_table(df, {"a": 0.81})
          a    b
    a  0.81  0.6
    b  0.60  NaN
    """
    data = _numeric(variables, "variables")
    rel = dict(reliabilities or {})
    unknown = [k for k in rel if k not in data.columns]
    if unknown:
        raise EstimationError(
            "reliabilities given for variables that are not columns: "
            + ", ".join(repr(k) for k in unknown)
        )
    corr = data.corr(method="pearson")
    values = corr.to_numpy(copy=True)
    diag = np.array([float(rel[c]) if c in rel else np.nan for c in corr.columns])
    values[np.diag_indices_from(values)] = diag
    names = [str(c) for c in corr.columns]
    return pd.DataFrame(values, index=names, columns=names)


def scale_scores(items: pd.DataFrame, scales: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Scale scores: the mean of each scale's items.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses (numeric; NaN = missing).
    scales : mapping of str to sequence of str
        Scale name -> item columns.

    Returns
    -------
    pandas.DataFrame
        One column per scale, same index as ``items``. A respondent's score is
        NaN unless it answered every item of that scale.

    Notes
    -----
    :math:`\\text{score}_j = \\frac{1}{k_j}\\sum_{i \\in j} x_i`, on the items'
    own metric: a score lies in its scale's range (1–7 in the study, a codebook's
    ``range`` otherwise; ``AnalysisFrame.scale_ranges``).

    Examples
    --------
    >>> import pandas as pd
    >>> scale_scores(pd.DataFrame({"a": [1, 2], "b": [3, None]}), {"s": ["a", "b"]})
         s
    0  2.0
    1  NaN
    """
    norm = normalize_scales(scales)
    missing = [c for its in norm.values() for c in its if c not in items.columns]
    if missing:
        raise EstimationError(
            "item columns missing from the items table: " + ", ".join(repr(c) for c in missing)
        )
    data = _numeric(items.loc[:, [c for its in norm.values() for c in its]], "items")
    return pd.DataFrame(
        {name: data.loc[:, list(its)].mean(axis=1, skipna=False) for name, its in norm.items()},
        index=items.index,
    )
