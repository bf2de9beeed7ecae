"""The main model of docs/study.md: a Dirichlet regression of the three time shares.

The shares ``marketing``, ``self`` and ``other`` of the analysis sample are
modelled with the alternative (mean / precision) parametrization of
Dirichlet regression: multinomial-logit means with ``other`` as the base
component, whose coefficients are fixed at zero, and a constant precision
(``precision ~ 1``). The right-hand side of both mean equations is the
docs/study.md design built by :func:`leadblackhole.specification.design_matrix`.

:func:`analysis_exog` (with the one rank check of the package,
:func:`~leadblackhole.models.design.check_full_rank`) is shared with the
robustness models so that every share model is estimated on the same design
and fails on a singular design with the same message.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import pandas as pd

from ..exceptions import EstimationError, ZeroShareWarning
from ..formulas import checked_formula
from ..specification import COMPONENTS, MODEL_VARIABLES, design_matrix, firm_levels
from .design import check_full_rank, check_option, design_from_formula
from .dirichlet import DirichletRegression, DirichletRegressionResults
from .results import register_model

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "BASE_COMPONENT",
    "analysis_data",
    "analysis_exog",
    "fit_main_model",
    "main_dirichlet_model",
    "main_model_exog",
    "precision_exog",
]

#: Base component of the alternative parametrization.
BASE_COMPONENT = "other"


def analysis_exog(
    data: pd.DataFrame,
    what: str = "the design",
    levels: list[str] | None = None,
) -> pd.DataFrame:
    """The docs/study.md design for a set of reps, checked for full rank.

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
        (see :func:`~leadblackhole.models.design.check_full_rank`).
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
    check_full_rank(exog.to_numpy(dtype=float), [str(c) for c in exog.columns], what)
    return exog


def analysis_data(
    frame: AnalysisFrame | pd.DataFrame, what: str = "the share models"
) -> pd.DataFrame:
    """The reps of an analysis frame (``frame.data``), or a DataFrame laid out like it.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`, or its
        ``data`` (for example a bootstrap resample).
    what : str
        Description used in error messages.

    Returns
    -------
    DataFrame

    Raises
    ------
    EstimationError
        When ``frame`` is neither.
    """
    data = frame if isinstance(frame, pd.DataFrame) else getattr(frame, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(
            f"{what}: expected an AnalysisFrame or a DataFrame (see "
            f"leadblackhole.data.build_analysis_frame); received {type(frame).__name__}"
        )
    return data


def main_model_exog(frame: AnalysisFrame | pd.DataFrame) -> pd.DataFrame:
    """Design matrix of the main model on the analysis sample.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`, or its
        ``data`` (:func:`analysis_data`).

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
    return analysis_exog(analysis_data(frame), "the design of the share models")


def precision_exog(frame: AnalysisFrame | pd.DataFrame, formula: str | None) -> pd.DataFrame | None:
    """Design of a precision model given as a formula on the analysis variables.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample (``frame.data``) or a data frame laid out like it.
    formula : str or None
        Right-hand side of the precision model, for example
        ``"firm + experience + performance"`` (a `formulaic` formula; ``firm``
        becomes treatment-coded dummies named ``firm[T.<label>]``, reference the
        first label in sorted order). ``None`` or ``"1"``: constant precision.

    Returns
    -------
    DataFrame or None
        The precision design (with ``Intercept``), checked for full rank, or
        ``None`` for a constant precision.

    Raises
    ------
    FormulaError
        When the formula is not a string or is outside the grammar of
        :mod:`leadblackhole.formulas`, or names anything but ``firm``, the
        focal predictors and ``variable_pay`` (when the data hold it); the
        formula is checked before `formulaic` reads it and never evaluated.
    EstimationError
        When the design is singular.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"firm": ["A", "B", "A", "B"], "experience": [1.0, 2, 4, 3]})
    >>> precision_exog(data, "firm + experience").columns.tolist()
    ['Intercept', 'firm[T.B]', 'experience']
    """
    if formula is None:
        return None
    data = analysis_data(frame, "the precision model").copy()
    allowed = [v for v in MODEL_VARIABLES if v in data.columns]
    formula = checked_formula(formula, allowed, "precision")
    if formula == "1":
        return None
    if "firm" in data.columns:  # treatment coding against the first label in sorted order
        firm = data["firm"].astype(str).to_numpy(dtype=object)
        data["firm"] = pd.Categorical(firm, categories=firm_levels(data["firm"]))
    z, _ = design_from_formula(formula, data[allowed], "precision")
    names = [str(c) for c in z.columns]
    z = pd.DataFrame(z.to_numpy(dtype=float), index=data.index, columns=names)
    check_full_rank(z.to_numpy(), names, f"the precision design {formula!r}")
    return z


def main_model_endog(frame: AnalysisFrame | pd.DataFrame) -> pd.DataFrame:
    """The three shares of the analysis sample, in the order of ``COMPONENTS``.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`, or its
        ``data`` (:func:`analysis_data`).

    Returns
    -------
    DataFrame
        Columns ``marketing``, ``self``, ``other``.
    """
    data = analysis_data(frame)
    missing = [c for c in COMPONENTS if c not in data.columns]
    if missing:
        raise EstimationError(f"the analysis data lack the share column(s) {missing}")
    return data[list(COMPONENTS)]


@register_model("dirichlet")
def fit_main_model(
    frame: AnalysisFrame | pd.DataFrame,
    parametrization: str = "alternative",
    cov_type: str = "oim",
    start_params: pd.Series | None = None,
    precision: str | None = None,
) -> DirichletRegressionResults:
    """Fit the main model: Dirichlet regression of the three time shares.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`, or its
        ``data`` (for example a bootstrap resample).
    parametrization : {"alternative", "common"}
        ``"alternative"`` (the main model): multinomial-logit means with
        base component ``other`` and precision ``~ 1``. ``"common"`` fits a
        log-linear model for each Dirichlet parameter instead (a check of
        the functional form; not the main model).
    cov_type : {"oim", "robust"}
        Covariance of the estimates (see :meth:`DirichletRegression.fit`).
    start_params : Series, optional
        Starting values labelled by (equation, term); labels the model does
        not have are ignored, parameters without a label start at 0 (used for
        warm starts of bootstrap refits).
    precision : str, optional
        Formula of the precision model on the analysis variables (see
        :func:`precision_exog`), e.g. ``"firm + experience + performance"``;
        default a constant precision (alternative parametrization only).

    Returns
    -------
    DirichletRegressionResults
        Parameters indexed by (equation, term); equations ``marketing``,
        ``self`` and ``precision`` for the alternative parametrization.

    Notes
    -----
    The shares of the frame are the reported ones divided by their row sum;
    the Dirichlet likelihood, which cannot take 0 or 1, compresses them
    (:func:`leadblackhole.compositions.compress_shares`); how many rows it
    compressed is in the results' ``n_compressed`` and the frame's summary, so
    the model's :class:`~leadblackhole.exceptions.ZeroShareWarning` is not
    repeated here.

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
    model = main_dirichlet_model(frame, parametrization, precision)
    if start_params is not None:
        start_params = [start_params.get(k, 0.0) for k in model.param_names]
    return model.fit(cov_type=cov_type, start_params=start_params)


def main_dirichlet_model(
    frame: AnalysisFrame | pd.DataFrame,
    parametrization: str = "alternative",
    precision: str | None = None,
) -> DirichletRegression:
    """The main model's Dirichlet regression on the analysis sample, not fitted.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample (:func:`analysis_data`).
    parametrization : {"alternative", "common"}
        As :func:`fit_main_model`.
    precision : str, optional
        Formula of the precision model (:func:`precision_exog`).

    Returns
    -------
    DirichletRegression
        What :func:`fit_main_model` fits; the fit artifact rebuilds its results
        on it (:mod:`leadblackhole.models.stored`).

    Raises
    ------
    EstimationError
        As :func:`fit_main_model`.
    """
    check_option("parametrization", parametrization, ("alternative", "common"))
    data = analysis_data(frame)
    exog = main_model_exog(data)
    endog = main_model_endog(data)
    z = precision_exog(data, precision)
    model = _dirichlet_model(endog, exog, parametrization, z)
    if z is not None:
        model.precision_formula = precision.strip()
    return model


def _dirichlet_model(
    endog: pd.DataFrame, exog: pd.DataFrame, parametrization: str, z: pd.DataFrame | None = None
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        return DirichletRegression(
            endog, exog, exog_precision=z, parametrization=parametrization, base=BASE_COMPONENT
        )
