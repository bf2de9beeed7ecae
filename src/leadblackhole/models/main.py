"""The main model of STUDY.md: a Dirichlet regression of the three time shares.

The shares ``marketing``, ``self`` and ``other`` of the analysis sample are
modelled with the alternative (mean / precision) parametrization of
Dirichlet regression: multinomial-logit means with ``other`` as the base
component, whose coefficients are fixed at zero, and a constant precision
(``precision ~ 1``). The right-hand side of both mean equations is the
STUDY.md design built by :func:`leadblackhole.specification.design_matrix`.

:func:`analysis_exog` and :func:`check_design` are shared with the
robustness models so that every share model is estimated on the same design
and fails on a singular design with the same message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import EstimationError
from ..specification import COMPONENTS, design_matrix, firm_levels
from .dirichlet import DirichletRegression, DirichletRegressionResults
from .dirichlet.model import check_option

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "BASE_COMPONENT",
    "analysis_exog",
    "check_design",
    "fit_main_model",
    "main_model_exog",
]

#: Base component of the alternative parametrization.
BASE_COMPONENT = "other"

#: Relative tolerance of the rank check (columns are scaled to unit length first).
RANK_TOL = 1e-10


def check_design(exog: pd.DataFrame, what: str = "the design") -> pd.DataFrame:
    """Check that a design matrix is finite and of full column rank.

    Parameters
    ----------
    exog : DataFrame
        Design matrix, one column per term.
    what : str
        Description of the design used in error messages (for example
        ``"the design of the OLS model"``).

    Returns
    -------
    DataFrame
        ``exog`` unchanged.

    Raises
    ------
    EstimationError
        When the design has missing or infinite values, no rows, fewer rows
        than columns, or columns that are zero or linear combinations of
        earlier columns. The message names the offending columns; a column
        that is constant after centring (a variable that does not vary in
        the sample, such as a variable-pay percent every rep answered
        alike) is named as such.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"Intercept": [1.0, 1.0, 1.0], "a": [0.0, 1.0, 2.0]})
    >>> check_design(x).shape
    (3, 2)
    """
    arr = exog.to_numpy(dtype=float)
    names = [str(c) for c in exog.columns]
    n, p = arr.shape
    if n == 0 or p == 0:
        raise EstimationError(f"{what} is empty ({n} rows, {p} columns)")
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
            f"{what} is singular: column(s) {zero} are zero in every row (a variable that "
            "does not vary in the sample is zero after centring); drop it or collect "
            "data in which it varies"
        )
    scaled = arr / norms
    sv = np.linalg.svd(scaled, compute_uv=False)
    if sv[-1] > RANK_TOL * sv[0]:
        return exog
    kept: list[int] = []
    culprits: list[str] = []
    for j in range(p):
        trial = scaled[:, kept + [j]]
        s = np.linalg.svd(trial, compute_uv=False)
        if s[-1] > RANK_TOL * s[0]:
            kept.append(j)
        else:
            culprits.append(names[j])
    const = [c for c in culprits if np.ptp(arr[:, names.index(c)]) == 0]
    hint = f" (column(s) {const} are constant, which duplicates the intercept)" if const else ""
    raise EstimationError(
        f"{what} is singular (rank {len(kept)} < {p} columns): column(s) {culprits} are "
        f"linear combinations of earlier columns{hint}; the coefficients are not identified"
    )


def analysis_exog(
    data: pd.DataFrame,
    what: str = "the design",
    levels: list[str] | None = None,
) -> pd.DataFrame:
    """The STUDY.md design for a set of reps, checked for full rank.

    Parameters
    ----------
    data : DataFrame
        Reps with ``firm`` and the (centred) analysis variables, for example
        ``frame.data`` or ``frame.selection``.
    what : str
        Description used in error messages.
    levels : list of str, optional
        Firm labels, sorted; default the labels present in ``data``.

    Returns
    -------
    DataFrame
        :func:`~leadblackhole.specification.design_matrix` of ``data``.

    Raises
    ------
    EstimationError
        When a required column is missing or the design is singular
        (see :func:`check_design`).
    """
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(f"{what}: expected a DataFrame, received {type(data).__name__}")
    if "firm" not in data.columns:
        raise EstimationError(f"{what}: the data have no 'firm' column")
    if levels is None:
        levels = firm_levels(data["firm"])
    try:
        exog = design_matrix(data, levels=levels)
    except KeyError as exc:
        raise EstimationError(f"{what}: the data lack the column {exc}") from exc
    return check_design(exog, what)


def _frame_data(frame: AnalysisFrame) -> pd.DataFrame:
    data = getattr(frame, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(
            f"expected an AnalysisFrame (see leadblackhole.data.build_analysis_frame); "
            f"received {type(frame).__name__}"
        )
    missing = [c for c in COMPONENTS if c not in data.columns]
    if missing:
        raise EstimationError(f"the analysis data lack the share column(s) {missing}")
    return data


def main_model_exog(frame: AnalysisFrame) -> pd.DataFrame:
    """Design matrix of the main model on the analysis sample.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.

    Returns
    -------
    DataFrame
        ``design_matrix(frame.data)``: columns ``Intercept``,
        ``firm[T.<label>]``, the focal predictors, ``variable_pay`` when
        present and the six interactions, indexed like ``frame.data``.

    Raises
    ------
    EstimationError
        When the design is singular or has missing values.
    """
    return analysis_exog(_frame_data(frame), "the design of the share models")


def main_model_endog(frame: AnalysisFrame) -> pd.DataFrame:
    """The three shares of the analysis sample, in the order of ``COMPONENTS``.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.

    Returns
    -------
    DataFrame
        Columns ``marketing``, ``self``, ``other``.
    """
    return _frame_data(frame)[list(COMPONENTS)]


def fit_main_model(
    frame: AnalysisFrame, parametrization: str = "alternative"
) -> DirichletRegressionResults:
    """Fit the main model: Dirichlet regression of the three time shares.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`.
    parametrization : {"alternative", "common"}
        ``"alternative"`` (the main model): multinomial-logit means with
        base component ``other`` and precision ``~ 1``. ``"common"`` fits a
        log-linear model for each Dirichlet parameter instead (a check of
        the functional form; not the main model).

    Returns
    -------
    DirichletRegressionResults
        Parameters indexed by (equation, term); equations ``marketing``,
        ``self`` and ``precision`` for the alternative parametrization.

    Raises
    ------
    EstimationError
        Singular design, invalid shares or an unknown parametrization.

    Warns
    -----
    ConvergenceWarning
        When the optimizer does not converge.

    Examples
    --------
    >>> from leadblackhole.simulation import StudyDesign, simulate
    >>> from leadblackhole.data import build_analysis_frame, validate_survey
    >>> survey, _ = simulate(StudyDesign(), seed=1)
    >>> res = fit_main_model(build_analysis_frame(validate_survey(survey)))
    >>> res.params.index.get_level_values("equation").unique().tolist()
    ['marketing', 'self', 'precision']
    """
    check_option("parametrization", parametrization, ("alternative", "common"))
    exog = main_model_exog(frame)
    endog = main_model_endog(frame)
    model = DirichletRegression(endog, exog, parametrization=parametrization, base=BASE_COMPONENT)
    return model.fit()
