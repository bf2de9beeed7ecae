"""Share models: the main Dirichlet regression and its robustness models.

Every model is fitted through :func:`fit_share_model` (``"dirichlet"``,
``"dirichlet_rounded"``, ``"fmlogit"``, ``"two_part"``, ``"ols"``,
``"fractional_logit"``, ``"sur"``, ``"probit"``; see
:func:`registered_models`) and returns a :class:`ShareResults`
(:mod:`leadblackhole.models.results`):

* :func:`fit_main_model`: Dirichlet regression of the three time shares
  (alternative parametrization, base ``other``, precision ``~ 1`` or a
  precision formula);
* :func:`fit_rounded_main_model`: the main model when the percents are
  rounded (the rounding-aware Dirichlet regression, base ``other``);
* :func:`fit_fmlogit`: the fractional multinomial logit of the three shares;
* :func:`fit_two_part`: a probit of any marketing-lead time times the
  conditional share model (effects on the unconditional expected share);
* :func:`fit_ols`, :func:`fit_fractional_logit`, :func:`fit_sur` (with
  :func:`sur_prequal_wald`), :func:`fit_probit` and
  :func:`leave_one_firm_out`: the robustness models;
* :func:`run_models`: every model on one analysis frame, with the tidy tables
  of :class:`ModelReport`.
"""

from ..tables_text import regression_table  # the star table of ModelReport (table text)
from .dirichlet import (
    DirichletRegression,
    DirichletRegressionResults,
    RoundedDirichletRegression,
    RoundedDirichletResults,
    detect_rounding_step,
)
from .fmlogit import FractionalMultinomialLogit, FractionalMultinomialLogitResults, fit_fmlogit
from .main import analysis_data, fit_main_model, main_model_exog
from .main_rounded import fit_rounded_main_model, main_model_name, rounding_step_of
from .model_set import ModelReport, parse_rounding, run_models
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
from .two_part import TwoPartLink, TwoPartResults, fit_two_part

__all__ = [
    "AdaptedResults",
    "DirichletRegression",
    "DirichletRegressionResults",
    "FractionalMultinomialLogit",
    "FractionalMultinomialLogitResults",
    "IdentityLink",
    "Link",
    "LogitLink",
    "ModelReport",
    "RoundedDirichletRegression",
    "RoundedDirichletResults",
    "ShareResults",
    "SoftmaxLink",
    "TwoPartLink",
    "TwoPartResults",
    "WaldTest",
    "analysis_data",
    "detect_rounding_step",
    "fit_fmlogit",
    "fit_fractional_logit",
    "fit_main_model",
    "fit_ols",
    "fit_probit",
    "fit_rounded_main_model",
    "fit_share_model",
    "fit_sur",
    "fit_two_part",
    "leave_one_firm_out",
    "main_model_exog",
    "main_model_name",
    "parse_rounding",
    "probit_skip_reason",
    "register_model",
    "registered_models",
    "regression_table",
    "rounding_step_of",
    "run_models",
    "sur_prequal_wald",
]

from . import two_step  # noqa: E402,F401 - registers the two-step models (dirichlet_cf, ...)
