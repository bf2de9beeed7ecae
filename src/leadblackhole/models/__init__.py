"""Share models: the main Dirichlet regression and its robustness models.

Every model is fitted through :func:`fit_share_model` (``"dirichlet"``,
``"ols"``, ``"fractional_logit"``, ``"sur"``, ``"probit"``; see
:func:`registered_models`) and returns a :class:`ShareResults`
(:mod:`leadblackhole.models.results`):

* :func:`fit_main_model`: Dirichlet regression of the three time shares
  (alternative parametrization, base ``other``, precision ``~ 1``);
* :func:`fit_ols`, :func:`fit_fractional_logit`, :func:`fit_sur` (with
  :func:`sur_prequal_wald`), :func:`fit_probit` and
  :func:`leave_one_firm_out`: the robustness models;
* :func:`run_models`: every model on one analysis frame, with the tidy tables
  of :class:`ModelReport`.
"""

from .dirichlet import DirichletRegression, DirichletRegressionResults
from .main import analysis_data, fit_main_model, main_model_exog
from .report import ModelReport, regression_table, run_models
from .results import (
    IdentityLink,
    Link,
    LogitLink,
    ShareResults,
    SoftmaxLink,
    WaldTest,
    fit_share_model,
    register_model,
    registered_models,
)
from .robustness import (
    AdaptedResults,
    fit_fractional_logit,
    fit_ols,
    fit_probit,
    fit_sur,
    leave_one_firm_out,
    probit_skip_reason,
    sur_prequal_wald,
)

__all__ = [
    "AdaptedResults",
    "DirichletRegression",
    "DirichletRegressionResults",
    "IdentityLink",
    "Link",
    "LogitLink",
    "ModelReport",
    "ShareResults",
    "SoftmaxLink",
    "WaldTest",
    "analysis_data",
    "fit_fractional_logit",
    "fit_main_model",
    "fit_ols",
    "fit_probit",
    "fit_share_model",
    "fit_sur",
    "leave_one_firm_out",
    "main_model_exog",
    "probit_skip_reason",
    "register_model",
    "registered_models",
    "regression_table",
    "run_models",
    "sur_prequal_wald",
]
