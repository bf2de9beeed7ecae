"""Share models: the main Dirichlet regression and its robustness models.

* :func:`fit_main_model`: Dirichlet regression of the three time shares
  (alternative parametrization, base ``other``, precision ``~ 1``);
* :func:`fit_rounded_main_model`: the main model when the percents are
  rounded (the rounding-aware Dirichlet regression, base ``other``);
* :func:`fit_ols`, :func:`fit_fractional_logit`, :func:`fit_sur` (with
  :func:`sur_prequal_wald`), :func:`fit_probit` and
  :func:`leave_one_firm_out`: the robustness models;
* :func:`run_models`: every model on one analysis frame, with the tables of
  :class:`ModelReport`.
"""

from .dirichlet import (
    DirichletRegression,
    DirichletRegressionResults,
    RoundedDirichletRegression,
    RoundedDirichletResults,
    detect_rounding_step,
)
from .main import check_design, fit_main_model, main_model_exog
from .main_rounded import fit_rounded_main_model
from .report import ModelReport, regression_table, run_models
from .robustness import (
    WaldTest,
    fit_fractional_logit,
    fit_ols,
    fit_probit,
    fit_statistics,
    fit_sur,
    leave_one_firm_out,
    probit_skip_reason,
    sur_prequal_wald,
    tidy,
)

__all__ = [
    "DirichletRegression",
    "DirichletRegressionResults",
    "ModelReport",
    "RoundedDirichletRegression",
    "RoundedDirichletResults",
    "WaldTest",
    "check_design",
    "detect_rounding_step",
    "fit_fractional_logit",
    "fit_main_model",
    "fit_ols",
    "fit_rounded_main_model",
    "fit_probit",
    "fit_statistics",
    "fit_sur",
    "leave_one_firm_out",
    "main_model_exog",
    "probit_skip_reason",
    "regression_table",
    "run_models",
    "sur_prequal_wald",
    "tidy",
]
