"""Dirichlet regression for share (compositional) outcomes.

Maximum-likelihood Dirichlet regression in the two parametrizations of R's
DirichletReg package (Maier, 2014): *common* (one log-linear model per
component's Dirichlet parameter) and *alternative* (multinomial-logit means
with a base component, plus a log-linear precision model).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from leadblackhole.models.dirichlet import DirichletRegression
>>> rng = np.random.default_rng(0)
>>> data = pd.DataFrame(rng.dirichlet([2, 3, 5], size=80), columns=["marketing", "self", "other"])
>>> data["x"] = rng.normal(size=80)
>>> res = DirichletRegression.from_formula("marketing + self + other ~ x", data).fit()
>>> res.params.index.names
FrozenList(['equation', 'term'])
"""

from . import kernel
from .model import DirichletRegression
from .options import Parametrization, PredictKind, ResidKind
from .results import DirichletRegressionResults, LikelihoodRatioTest
from .rounded import RoundedDirichletRegression, detect_rounding_step
from .rounded_results import RoundedDirichletResults

__all__ = [
    "DirichletRegression",
    "DirichletRegressionResults",
    "LikelihoodRatioTest",
    "Parametrization",
    "PredictKind",
    "ResidKind",
    "RoundedDirichletRegression",
    "RoundedDirichletResults",
    "detect_rounding_step",
    "kernel",
]
