"""The main model's right-hand side, as docs/study.md specifies it, in one place.

Every share model of the package (the Dirichlet main model, the robustness
models and the simulator's population model) uses the design built here, so
term names agree everywhere:

``Intercept, firm[T.<label>], prequal, tracking, volume, experience,
performance[, variable_pay], experience:prequal, experience:tracking,
experience:volume, performance:prequal, performance:tracking,
performance:volume``

Firm enters as treatment-coded dummies whose reference is the first label in
sorted order. A firm with fewer analysable reps than :data:`FIRM_CHECK_MIN_REPS`
keeps its dummy in every model but is left out of the checks that give each
firm parameters of its own (:func:`small_firms`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COMPONENTS",
    "FIRM_CHECK_MIN_REPS",
    "FOCAL",
    "INTERACTIONS",
    "MODEL_VARIABLES",
    "design_array",
    "design_matrix",
    "firm_levels",
    "small_firms",
    "term_names",
]

#: Share components, in the order used throughout; ``other`` is the base.
COMPONENTS: tuple[str, str, str] = ("marketing", "self", "other")

#: Focal predictors (each centred at its analysis-sample mean).
FOCAL: tuple[str, ...] = ("prequal", "tracking", "volume", "experience", "performance")

#: Interaction terms as (moderator, focal predictor) pairs, in model order.
INTERACTIONS: tuple[tuple[str, str], ...] = (
    ("experience", "prequal"),
    ("experience", "tracking"),
    ("experience", "volume"),
    ("performance", "prequal"),
    ("performance", "tracking"),
    ("performance", "volume"),
)

#: The analysis variables a formula given on the command line may name (``--precision``).
MODEL_VARIABLES: tuple[str, ...] = ("firm", *FOCAL, "variable_pay")


def firm_levels(firm: pd.Series | Sequence[str]) -> list[str]:
    """Sorted distinct firm labels; the first is the reference category.

    Examples
    --------
    >>> firm_levels(["B", "A", "B", 3])
    ['3', 'A', 'B']
    """
    distinct = pd.unique(pd.Series(firm, dtype=object))  # hashing in C: O(n), few labels
    return sorted({str(f) for f in distinct})


#: Fewest analysable reps a firm needs to enter the firm-specific checks (the test of
#: firm-specific slopes, the per-firm effects, leave-one-firm-out): the columns a firm
#: has of its own in the firm-slopes design, its intercept and the five focal slopes.
FIRM_CHECK_MIN_REPS: int = 1 + len(FOCAL)


def small_firms(
    firm: pd.Series | Sequence[str], minimum: int = FIRM_CHECK_MIN_REPS
) -> dict[str, int]:
    """The firms with fewer than ``minimum`` reps, and their number of reps.

    Parameters
    ----------
    firm : Series or sequence of str
        Firm label of each analysable rep.
    minimum : int, default :data:`FIRM_CHECK_MIN_REPS`
        Fewest reps a firm needs.

    Returns
    -------
    dict of str to int
        Label -> reps, in sorted order of the labels (empty when every firm has enough).

    Examples
    --------
    >>> small_firms(["A"] * 6 + ["B"] * 2 + ["C"])
    {'B': 2, 'C': 1}
    """
    counts = pd.Series(firm, dtype=object).astype(str).value_counts()
    return {label: int(counts[label]) for label in sorted(counts.index) if counts[label] < minimum}


def term_names(levels: Sequence[str], variable_pay: bool = False) -> list[str]:
    """Column names of :func:`design_matrix`, in order.

    Parameters
    ----------
    levels : sequence of str
        Firm labels in sorted order (the first is the reference).
    variable_pay : bool
        Whether the ``variable_pay`` control is included.
    """
    names = ["Intercept"] + [f"firm[T.{lv}]" for lv in list(levels)[1:]]
    names += list(FOCAL)
    if variable_pay:
        names.append("variable_pay")
    names += [f"{m}:{x}" for m, x in INTERACTIONS]
    return names


def design_array(
    columns: Mapping[str, Any],
    firm: Any,
    levels: Sequence[str],
    variable_pay: bool = False,
) -> np.ndarray:
    """The values of :func:`design_matrix` from arrays (no DataFrame is built).

    Parameters
    ----------
    columns : mapping of str to array-like
        The focal predictors (already centred when the model wants centred
        variables) and, when used, ``variable_pay``.
    firm : array-like of str
        Firm label of each row.
    levels : sequence of str
        Firm labels in sorted order (the first is the reference).
    variable_pay : bool
        Include the ``variable_pay`` control.

    Returns
    -------
    ndarray (n, p)
        One column per term of :func:`term_names` ``(levels, variable_pay)``,
        column-major (Fortran order) like the values of :func:`design_matrix`.

    Examples
    --------
    >>> import numpy as np
    >>> cols = {v: np.array([0.5, -0.5]) for v in FOCAL}
    >>> design_array(cols, np.array(["A", "B"]), ["A", "B"]).shape
    (2, 13)
    """
    firm = np.asarray(firm)
    n = len(firm)
    cols: dict[str, np.ndarray] = {"Intercept": np.ones(n)}
    for lv in list(levels)[1:]:
        cols[f"firm[T.{lv}]"] = (firm == lv).astype(float)
    for v in FOCAL:
        cols[v] = np.asarray(columns[v], dtype=float)
    if variable_pay:
        cols["variable_pay"] = np.asarray(columns["variable_pay"], dtype=float)
    for m, x in INTERACTIONS:
        cols[f"{m}:{x}"] = cols[m] * cols[x]
    # column-major, the layout of a DataFrame's values: matrix products then see the
    # operands they always saw (BLAS sums in an order that depends on the layout)
    out = np.empty((n, len(cols)), order="F")
    for j, col in enumerate(cols.values()):
        out[:, j] = col
    return out


def design_matrix(
    data: pd.DataFrame, levels: Sequence[str] | None = None, variable_pay: bool | None = None
) -> pd.DataFrame:
    """Build the main model's design matrix from analysis variables.

    Parameters
    ----------
    data : DataFrame
        Must hold ``firm`` and the focal predictors (already centred when the
        model wants centred variables), and ``variable_pay`` when used.
    levels : sequence of str, optional
        Firm labels in sorted order. Defaults to the labels present in
        ``data``; pass the training labels when building a design for new data.
    variable_pay : bool, optional
        Include the ``variable_pay`` control. Defaults to whether ``data`` has
        the column.

    Returns
    -------
    DataFrame
        One column per term (see :func:`term_names`), index as ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"firm": ["A", "B"], "prequal": [0.5, -0.5], "tracking": [0, 0],
    ...                   "volume": [1, -1], "experience": [2, -2], "performance": [0.1, -0.1]})
    >>> list(design_matrix(d).columns[:3])
    ['Intercept', 'firm[T.B]', 'prequal']
    """
    if levels is None:
        levels = firm_levels(data["firm"])
    if variable_pay is None:
        variable_pay = "variable_pay" in data.columns
    firm = data["firm"].astype(str).to_numpy()
    names = [*FOCAL, "variable_pay"] if variable_pay else list(FOCAL)
    columns = {v: data[v].to_numpy(dtype=float) for v in names}
    values = design_array(columns, firm, levels, variable_pay)
    return pd.DataFrame(values, index=data.index, columns=term_names(levels, variable_pay))
