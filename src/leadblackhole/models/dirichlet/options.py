"""Option values and equation names shared by the Dirichlet model and its results.

The model (:mod:`~leadblackhole.models.dirichlet.model`) and its results
(:mod:`~leadblackhole.models.dirichlet.results`) both read these, so they
live below both: the results never import the model.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "DEFAULT_BASE",
    "PRECISION_EQUATION",
    "Parametrization",
    "PredictKind",
    "ResidKind",
]

#: The two parametrizations of R's DirichletReg: see :class:`DirichletRegression`.
Parametrization = Literal["common", "alternative"]
#: What :meth:`DirichletRegressionResults.predict` returns.
PredictKind = Literal["mean", "alpha", "precision"]
#: The residuals of :meth:`DirichletRegressionResults.resid`.
ResidKind = Literal["raw", "standardized"]

#: Equation name of the precision model (alternative parametrization).
PRECISION_EQUATION = "precision"
#: Default base component of the alternative parametrization.
DEFAULT_BASE = "other"
