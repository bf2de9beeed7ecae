"""The fit step's decisions: which fitted models the later steps read, and which is main.

``leadblackhole fit`` fits the whole model set once
(:func:`~leadblackhole.models.run_models`: the Dirichlet regressions, the
fractional multinomial logit, OLS, the fractional logit, SUR, the probit, the
two-part model and the leave-one-firm-out fits). What happens to each fit
afterwards is declared here, in :data:`MODEL_ROLES`: whether its registry
effects join ``hypotheses.csv`` beside the main model's, whether it is saved in
``fits.pickle`` for the later commands, and whether its effects are read over
every rep (the two-part model, paired with the selection frame) rather than the
analysis sample. :func:`main_model` is the one place that decides the main
model, for ``fit``, ``figures`` and ``allocate`` alike.

A new share model that should be compared in the hypotheses is one row of
:data:`MODEL_ROLES` (besides its model module and adapter in
:mod:`leadblackhole.models`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..data import AnalysisFrame
from ..models import ModelReport, ShareResults, main_model_name, parse_rounding, run_models

__all__ = [
    "MODEL_ROLES",
    "FitResult",
    "ModelRole",
    "fit",
    "main_model",
    "rounding_option",
]


@dataclass(frozen=True)
class ModelRole:
    """What the steps after the fit do with one fitted model.

    Attributes
    ----------
    name : str
        The model's name in :attr:`ModelReport.fits <leadblackhole.models.ModelReport.fits>`.
    hypotheses : bool
        Its registry effects join ``hypotheses.csv`` beside the main model's.
    kept : bool
        Saved in ``fits.pickle`` for the later commands (``figures``, ``allocate``).
    every_rep : bool
        Its effects are read over every rep (the selection frame: reps who give
        marketing leads no time included), not over the analysis sample.
    """

    name: str
    hypotheses: bool = False
    kept: bool = False
    every_rep: bool = False


#: Every model of the fitted set and its role, in the order the hypotheses compare them
#: (the leave-one-firm-out fits are in the tables only). SUR and the probit are in the
#: tables only; linearmodels stamps its results with the time of the fit, so a saved SUR
#: would make ``fits.pickle`` differ between runs.
MODEL_ROLES: tuple[ModelRole, ...] = (
    ModelRole("dirichlet_rounded", hypotheses=True, kept=True),
    ModelRole("dirichlet", hypotheses=True, kept=True),
    ModelRole("fmlogit", hypotheses=True, kept=True),
    ModelRole("fractional_logit", hypotheses=True, kept=True),
    ModelRole("ols", hypotheses=True, kept=True),
    ModelRole("sur"),
    ModelRole("probit"),
    ModelRole("two_part", hypotheses=True, every_rep=True),
)


@dataclass(frozen=True, eq=False)
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    models : ModelReport
        Every fitted model with its tables.
    main_name : str
        The main model (:func:`main_model`).
    compared : tuple
        The fits whose effects join the main model's in the hypotheses, in
        :data:`MODEL_ROLES` order: a :class:`~leadblackhole.models.ShareResults`,
        or a ``(results, frame.selection)`` pair for a model read over every rep.
    kept : dict of str to ShareResults
        The fits saved for the later commands, in the order they were fitted.
    """

    models: ModelReport
    main_name: str
    compared: tuple[Any, ...]
    kept: dict[str, ShareResults]

    @property
    def main(self) -> ShareResults:
        """The fitted main model."""
        return self.models.fits[self.main_name]


def main_model(frame: AnalysisFrame, fits: Mapping[str, Any] | None = None) -> str:
    """The main model: the rounding-aware Dirichlet regression when the percents are rounded.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    fits : mapping of str to results, optional
        Models already fitted (by ``fit``): the main one is the rounding-aware
        model when it is among them, else the Dirichlet regression. Without
        fits, the model ``fit --rounding auto`` would make main: the
        rounding-aware one when the reported percents are rounded.

    Returns
    -------
    str
        ``"dirichlet_rounded"`` or ``"dirichlet"``.
    """
    if fits is not None:
        return main_model_name(fits)
    return "dirichlet_rounded" if parse_rounding("auto", frame) is not None else "dirichlet"


def rounding_option(text: str) -> str | float:
    """The value of a ``--rounding`` option: ``auto``, ``none`` or a step that divides 100.

    Parameters
    ----------
    text : str
        The option as given.

    Returns
    -------
    str or float
        ``"auto"`` or ``"none"`` (lower case), or the step in percentage points.

    Raises
    ------
    EstimationError
        A step that is not a number or does not divide 100 (checked by the models layer).
    """
    if text.strip().lower() in ("auto", "none"):
        return text.strip().lower()
    return parse_rounding(text)


def fit(
    frame: AnalysisFrame,
    *,
    rounding: Any = "auto",
    precision: str | None = None,
    cov_type: str = "oim",
    progress: bool = False,
) -> FitResult:
    """Fit the model set and decide what the later steps read from it.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    rounding : "auto", "none" or number, default "auto"
        Rounding step of the reported percents
        (:func:`~leadblackhole.models.model_set.parse_rounding`).
    precision : str, optional
        Precision formula of the Dirichlet models.
    cov_type : {"oim", "robust"}, default "oim"
        Covariance of the Dirichlet models.
    progress : bool, default False
        Show a progress bar over the models.

    Returns
    -------
    FitResult
    """
    models = run_models(
        frame,
        rounding=rounding,
        precision=precision,
        cov_type=cov_type,
        progress=progress,
    )
    main_name = main_model(frame, models.fits)
    compared: list[Any] = []
    for role in MODEL_ROLES:
        res = models.fits.get(role.name)
        if not role.hypotheses or res is None or role.name == main_name:
            continue
        compared.append((res, frame.selection) if role.every_rep else res)
    kept_names = {role.name for role in MODEL_ROLES if role.kept}
    kept = {name: res for name, res in models.fits.items() if name in kept_names}
    return FitResult(models=models, main_name=main_name, compared=tuple(compared), kept=kept)
