"""Input checks and listwise deletion shared by the measurement modules.

Every public function of :mod:`leadblackhole.measurement` that takes ``items``
and ``scales`` goes through :func:`prepare_items`, so all of them apply the
same missing-data rule and raise the same errors.

Missing-data rule
-----------------
Listwise deletion across the items of the model: a respondent (row) is used
only if it answered *every* item of *every* scale passed in ``scales``. All
statistics computed from one call (alpha, CFA, HTMT, Harman) therefore rest on
the same respondents, which is lavaan's default (``missing = "listwise"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadblackhole.exceptions import EstimationError

__all__ = ["PreparedItems", "normalize_scales", "prepare_items"]

#: Smallest number of complete rows accepted, on top of the rule ``n > number of items``.
MIN_COMPLETE_ROWS = 10


@dataclass(frozen=True)
class PreparedItems:
    """Complete-case item data of a measurement model.

    Attributes
    ----------
    data : pandas.DataFrame
        Float item responses of the complete rows, columns in scale order.
    scales : dict of str to tuple of str
        Scale name -> item names, in the order given.
    n_rows : int
        Rows of the input before listwise deletion.
    """

    data: pd.DataFrame
    scales: dict[str, tuple[str, ...]]
    n_rows: int

    @property
    def n_obs(self) -> int:
        """Number of complete rows used."""
        return int(self.data.shape[0])

    @property
    def item_names(self) -> list[str]:
        """All items, scale by scale."""
        return [item for its in self.scales.values() for item in its]


def normalize_scales(scales: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Check a ``{scale: [items]}`` mapping and return it with tuple values.

    Raises
    ------
    EstimationError
        No scale, a scale with fewer than 2 items, an item listed twice.
    """
    if not isinstance(scales, Mapping) or len(scales) == 0:
        raise EstimationError("no scales given: pass a mapping {scale name: [item columns]}")
    out: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name, its in scales.items():
        if isinstance(its, str):
            raise EstimationError(
                f"scale '{name}': items must be a list of column names, not the string {its!r}"
            )
        its = tuple(its)
        if len(its) < 2:
            raise EstimationError(
                f"scale '{name}' has {len(its)} item{'s' if len(its) != 1 else ''}; "
                "every scale needs at least 2 items"
            )
        for item in its:
            if item in owner:
                where = (
                    f"twice in scale '{name}'"
                    if owner[item] == name
                    else f"in scales '{owner[item]}' and '{name}'"
                )
                raise EstimationError(
                    f"item '{item}' is listed {where}; each item may belong to one scale only"
                )
            owner[item] = name
        out[str(name)] = its
    return out


def prepare_items(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], min_rows: int | None = None
) -> PreparedItems:
    """Validate items and scales and apply listwise deletion.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item, numeric (integer Likert codes; NaN or ``pd.NA``
        for a missing answer). Extra columns are ignored.
    scales : mapping of str to sequence of str
        Scale name -> item column names.
    min_rows : int, optional
        Minimum number of complete rows. Default ``max(MIN_COMPLETE_ROWS,
        number of items + 1)``: with fewer rows than items the item
        covariance matrix is singular.

    Returns
    -------
    PreparedItems

    Raises
    ------
    EstimationError
        A scale with fewer than 2 items, an item column missing from ``items``,
        a non-numeric item, too few complete rows, a zero-variance item.
    """
    norm = normalize_scales(scales)
    if not isinstance(items, pd.DataFrame):
        raise EstimationError(f"items must be a pandas DataFrame, got {type(items).__name__}")
    names = [item for its in norm.values() for item in its]
    missing = [c for c in names if c not in items.columns]
    if missing:
        raise EstimationError(
            f"item column{'s' if len(missing) > 1 else ''} missing from the items table: "
            + ", ".join(repr(c) for c in missing)
        )
    sub = items.loc[:, names]
    bad = [
        c
        for c in names
        if not (pd.api.types.is_numeric_dtype(sub[c]) and not pd.api.types.is_bool_dtype(sub[c]))
    ]
    if bad:
        raise EstimationError(
            "item columns must be numeric; not numeric: " + ", ".join(repr(c) for c in bad)
        )
    data = sub.astype("float64")
    complete = data.notna().all(axis=1)
    data = data.loc[complete]
    need = max(MIN_COMPLETE_ROWS, len(names) + 1) if min_rows is None else int(min_rows)
    if data.shape[0] < need:
        raise EstimationError(
            f"too few complete rows: {data.shape[0]} of {items.shape[0]} rows answer all "
            f"{len(names)} items of the model, at least {need} are needed "
            "(missing answers are handled by listwise deletion)"
        )
    values = data.to_numpy()
    if not np.isfinite(values).all():
        raise EstimationError("item columns contain infinite values")
    sd = values.std(axis=0)
    flat = [c for c, s in zip(names, sd, strict=True) if not s > 0]
    if flat:
        raise EstimationError(
            "zero-variance item"
            + ("s" if len(flat) > 1 else "")
            + " among the complete rows (every respondent gave the same answer): "
            + ", ".join(repr(c) for c in flat)
        )
    return PreparedItems(data=data, scales=norm, n_rows=int(items.shape[0]))
