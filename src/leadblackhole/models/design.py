"""Design matrices of the share models: built, checked and their options validated.

The checks every share model applies to its inputs live here, so that every
model fails on the same problem with the same message: :func:`as_frame` turns
an array-like into a labelled table, :func:`numeric_matrix` reads a table as a
finite numeric matrix, :func:`check_full_rank` is the one rank check of the
package, :func:`design_from_formula` builds a design from the right side of a
formula (:func:`split_top_level` splits a formula into its ``|`` parts), and
:func:`check_option` checks an option string against its allowed values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

import numpy as np
import pandas as pd

from ..exceptions import EstimationError
from ..formulas import checked_formula

__all__ = [
    "RANK_TOL",
    "as_frame",
    "check_full_rank",
    "check_option",
    "design_from_formula",
    "numeric_matrix",
    "split_top_level",
]

#: Relative tolerance of the rank check (columns are scaled to unit length first).
RANK_TOL = 1e-10


def check_option(name: str, value: Any, allowed: Any) -> Any:
    """Check an option string against the values of a ``Literal`` type.

    Parameters
    ----------
    name : str
        Name of the option, used in the error message.
    value : object
        Value received.
    allowed : Literal type or sequence of str
        The accepted values.

    Returns
    -------
    object
        ``value`` unchanged.

    Raises
    ------
    EstimationError
        When ``value`` is not among the accepted values; the message lists
        what was expected and what was received.

    Examples
    --------
    >>> from typing import Literal
    >>> check_option("kind", "mean", Literal["mean", "alpha", "precision"])
    'mean'
    """
    choices = get_args(allowed) or tuple(allowed)
    if not isinstance(value, str) or value not in choices:
        expected = ", ".join(repr(c) for c in choices)
        raise EstimationError(f"{name} must be one of {expected}; received {value!r}")
    return value


def as_frame(data: Any, what: str, prefix: str) -> pd.DataFrame:
    """A two-dimensional array-like as a DataFrame with unique string column names.

    Parameters
    ----------
    data : DataFrame, Series or array-like
        The table. A DataFrame is copied; a Series becomes one column; an
        array (one- or two-dimensional) gets columns ``prefix0, prefix1, ...``.
    what : str
        Description of the table, used in the error messages.
    prefix : str
        Prefix of the column names given to an array.

    Returns
    -------
    DataFrame
        The table, its column names converted to ``str``.

    Raises
    ------
    EstimationError
        When ``data`` has more than two dimensions or duplicated column names.

    Examples
    --------
    >>> as_frame(np.zeros((2, 3)), "exog", prefix="x").columns.tolist()
    ['x0', 'x1', 'x2']
    """
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    elif isinstance(data, pd.Series):
        frame = data.to_frame()
    else:
        arr = np.asarray(data)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise EstimationError(
                f"{what} must be a two-dimensional table; got {arr.ndim} dimensions"
            )
        frame = pd.DataFrame(arr, columns=[f"{prefix}{j}" for j in range(arr.shape[1])])
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        dups = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise EstimationError(f"{what} has duplicated column names: {dups}")
    return frame


def numeric_matrix(frame: pd.DataFrame, what: str) -> np.ndarray:
    """The values of a table of numeric columns, checked to be finite.

    Parameters
    ----------
    frame : DataFrame
        Numeric or boolean columns.
    what : str
        Description of the table, used in the error messages.

    Returns
    -------
    ndarray, shape (n, p)
        ``frame.to_numpy(dtype=float)``.

    Raises
    ------
    EstimationError
        When a column is not numeric (the message names it) or a value is
        missing or infinite (the message names the first five).

    Examples
    --------
    >>> numeric_matrix(pd.DataFrame({"x": [1, 2], "d": [True, False]}), "exog").tolist()
    [[1.0, 1.0], [2.0, 0.0]]
    """
    # the dtypes in one pass (selecting each column as a Series costs more than the check)
    dtypes = frame.dtypes
    bad = [c for c, dt in zip(frame.columns, dtypes, strict=True) if not _is_number(dt)]
    if bad:
        raise EstimationError(
            f"{what} must be numeric; non-numeric columns: {bad} (encode categorical "
            "variables as dummies, or use DirichletRegression.from_formula)"
        )
    arr = frame.to_numpy(dtype=float)
    if not np.isfinite(arr).all():
        rows, cols = np.nonzero(~np.isfinite(arr))
        where = ", ".join(
            f"row {frame.index[r]!r} column {frame.columns[c]!r}"
            for r, c in zip(rows[:5], cols[:5], strict=True)
        )
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        raise EstimationError(f"{what} contains NaN or infinite values: {where}{more}")
    return arr


def _is_number(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def check_full_rank(arr: np.ndarray, names: Sequence[str], what: str) -> None:
    """Raise EstimationError unless ``arr`` is finite, taller than wide and of full column rank.

    Parameters
    ----------
    arr : ndarray (n, p)
        Design matrix.
    names : sequence of str
        Column names, used in the messages.
    what : str
        Description of the design used in the messages.

    Raises
    ------
    EstimationError
        Missing or infinite values, no rows or columns, at most as many rows
        as columns, all-zero columns or columns that are linear combinations
        of earlier ones (a constant column besides the intercept is named).

    Examples
    --------
    >>> check_full_rank(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), ["c", "x"], "X")
    """
    n, p = arr.shape
    if p == 0 or n == 0:
        raise EstimationError(f"{what} has no {'columns' if p == 0 else 'rows'}")
    bad = ~np.isfinite(arr)
    if bad.any():
        cols = [names[j] for j in np.flatnonzero(bad.any(axis=0))]
        raise EstimationError(
            f"{what} has missing or infinite values in column(s) {cols} "
            f"({int(bad.any(axis=1).sum())} row(s))"
        )
    if n <= p:
        raise EstimationError(f"{what} has {p} columns but only {n} rows; more rows are needed")
    norms = np.linalg.norm(arr, axis=0)
    zero = [names[j] for j in np.flatnonzero(norms == 0)]
    if zero:
        raise EstimationError(
            f"{what} is singular: column(s) {zero} are all zero in every row (a variable that "
            "does not vary in the sample is zero after centring); drop it or collect data in "
            "which it varies"
        )
    scaled = arr / norms

    def full_rank(cols: list[int]) -> bool:
        sv = np.linalg.svd(scaled[:, cols], compute_uv=False)
        return bool(sv[-1] > RANK_TOL * sv[0])

    if full_rank(list(range(p))):
        return
    kept: list[int] = []
    for j in range(p):
        if full_rank(kept + [j]):
            kept.append(j)
    culprits = [names[j] for j in range(p) if j not in kept]
    const = [c for c in culprits if np.ptp(arr[:, list(names).index(c)]) == 0]
    hint = f" (a constant column besides the intercept: {const})" if const else ""
    raise EstimationError(
        f"{what} is rank deficient, so singular (rank {len(kept)} < {p} columns): column(s) "
        f"{culprits} are linear combinations of earlier columns{hint}; the coefficients are "
        "not identified"
    )


def split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` at the occurrences of ``sep`` outside brackets.

    Parameters
    ----------
    text : str
        For example the right side of a formula, ``"x + C(g, levels=[1, 2]) | z"``.
    sep : str
        One character.

    Returns
    -------
    list of str
        The parts, stripped of surrounding white space.

    Examples
    --------
    >>> split_top_level("x + f(a | b) | z", "|")
    ['x + f(a | b)', 'z']
    """
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def design_from_formula(rhs: str, data: pd.DataFrame, what: str) -> tuple[pd.DataFrame, Any]:
    """The design matrix of the right side of a formula.

    Parameters
    ----------
    rhs : str
        Right side of a formula in the grammar of :mod:`leadblackhole.formulas`
        (the columns of ``data``, ``0``, ``1``, ``+``, ``-``, ``:``, ``*``,
        parentheses, ``I(x ** k)``); it is checked and rewritten from its tokens
        before `formulaic` builds the design (intercept ``Intercept``; ``"1"`` is
        the intercept alone).
    data : DataFrame
        The variables of the formula.
    what : str
        Description of the design, used in the error messages.

    Returns
    -------
    design : DataFrame
        The design, indexed like ``data``.
    spec : formulaic ModelSpec or None
        The spec that rebuilds the design for new data; ``None`` for ``"1"``.

    Raises
    ------
    FormulaError
        When ``rhs`` is empty or outside the grammar, or names a variable that
        is not a column of ``data`` (nothing of it is evaluated).
    EstimationError
        When `formulaic` cannot build the design (the message quotes its error).

    Examples
    --------
    >>> data = pd.DataFrame({"x": [0.5, 1.5, 2.5]})
    >>> design_from_formula("x", data, "mean model")[0].columns.tolist()
    ['Intercept', 'x']
    """
    import formulaic

    names = [c for c in data.columns if isinstance(c, str)]
    rhs = checked_formula(rhs, names, what)
    if rhs == "1":  # intercept only: no need for the formula machinery
        return pd.DataFrame({"Intercept": np.ones(len(data))}, index=data.index), None
    try:
        mm = formulaic.model_matrix(rhs, data, na_action="raise")
    except Exception as exc:  # formulaic raises assorted exception types
        raise EstimationError(f"cannot build the {what} design from {rhs!r}: {exc}") from exc
    frame = pd.DataFrame(mm)
    frame.index = data.index
    return frame, mm.model_spec
