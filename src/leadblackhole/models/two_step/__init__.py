r"""Two-step share models: a control function for an endogenous regressor, a selection correction.

Both estimators put a quantity estimated in a first step into the mean
equations of the Dirichlet regression (exact-share or rounding-aware), as one
more regressor, and correct the standard errors for the first step.

* :func:`fit_dirichlet_cf` (``"dirichlet_cf"``) and
  :func:`fit_dirichlet_rounded_cf` (``"dirichlet_rounded_cf"``): the control
  function (Heckman & Robb 1985; Blundell & Powell 2003; Wooldridge 2015). The
  first stage regresses each endogenous variable (by default ``volume`` =
  ln(1 + lead_volume)) by OLS on the instruments and every exogenous regressor
  of the model (firm dummies included; the regressors that contain an
  endogenous variable, such as ``experience:volume``, are left out); its
  residual ``cf_<variable>`` enters both mean equations. Conditional on the
  residual, the endogenous variable and every function of it (the
  interactions with experience and performance, H8 and H10) are exogenous,
  so one control per endogenous variable suffices.
* :func:`fit_dirichlet_heckman` (``"dirichlet_heckman"``) and
  :func:`fit_dirichlet_rounded_heckman`: the selection correction (Heckman
  1979): the probit of any marketing-lead time over every rep with complete
  predictors (the package's selection probit, plus the exclusion variables
  when given) gives the inverse Mills ratio
  :math:`\lambda_i = \phi(z_i'\hat\gamma)/\Phi(z_i'\hat\gamma)`, which enters
  both mean equations as ``inverse_mills``. Without an exclusion variable the
  correction is identified by the probit's functional form alone; the model is
  then named ``<main>_heckman_functional_form`` in every table.

Standard errors
---------------
With first-step estimating functions :math:`\psi_i(\pi)` (OLS: :math:`w_i e_i`;
probit: its score), :math:`H_{11} = \sum_i \partial\psi_i/\partial\pi'`, the
second step's scores :math:`s_i(\theta, \pi)`, Hessian :math:`H_{22}` and
cross-derivative :math:`H_{21} = \sum_i \partial s_i/\partial\pi'`, the
expansion :math:`\hat\theta - \theta \approx (-H_{22})^{-1}\sum_i q_i` with
:math:`q_i = s_i - B\psi_i`, :math:`B = H_{21}H_{11}^{-1}` gives

.. math::

    V_{\text{robust}} = A\Big(\sum_i q_i q_i'\Big)A, \qquad
    V_{\text{MT}} = A + A\big(B S_{11} B' - B S_{12} - S_{21} B'\big)A,

with :math:`A = (-H_{22})^{-1}`, :math:`S_{11} = \sum\psi_i\psi_i'`,
:math:`S_{21} = \sum s_i\psi_i'`. :math:`V_{\text{MT}}` is Murphy & Topel's
(1985) two-step covariance (``cov_type="oim"``: the share model's information
matrix with the first stage's sandwich); :math:`V_{\text{robust}}` the full
stacked sandwich (Newey & McFadden 1994, section 6; ``cov_type="robust"``, the
default, because the share model with a control is at best an approximation of
the conditional distribution, so its information-matrix equality need not hold;
docs/endogeneity.md compares both with the bootstrap). :math:`\partial s_i/\partial c_i`, the
derivative of a rep's score by its own control value, is a central difference
of :meth:`score_obs` at intercepts shifted by :math:`h\,\beta_c` plus the
direct term of the control's own column, so no model is rebuilt.

Effects
-------
The share-scale effects hold the control at each rep's value (the average
structural function of Blundell & Powell 2003): the derivative by volume moves
volume and its interactions, not ``cf_volume``. The control function's mean
interface (:attr:`ControlFunctionResults.mean_terms` and friends) therefore
adds, per first-stage regressor :math:`w`, a term ``first_stage[w]`` with
coefficient 0 whose covariance with the other coefficients is that of
:math:`-\gamma_j\hat\pi`: the effects' delta method then includes the
sampling error of the first stage through the residuals in the design (exact
to first order). The selection correction's effects set the inverse Mills
ratio to 0 (the population mean equation) and average over every rep with
complete predictors (``frame.selection``), the population the study samples:
use :meth:`TwoStepResults.effects_data` to get the reps and the design.
"""

from .control_function import (
    FIRST_STAGE_COLUMNS,
    WEAK_INSTRUMENT_F,
    ControlFunctionResults,
    FirstStage,
    first_stage_table,
    fit_dirichlet_cf,
    fit_dirichlet_rounded_cf,
)
from .core import (
    ENDOGENEITY_TEST_COLUMNS,
    TwoStepResults,
    control_test_table,
    score_by_control,
    two_step_covariance,
)
from .heckman import HeckmanResults, fit_dirichlet_heckman, fit_dirichlet_rounded_heckman

__all__ = [
    "ENDOGENEITY_TEST_COLUMNS",
    "FIRST_STAGE_COLUMNS",
    "WEAK_INSTRUMENT_F",
    "ControlFunctionResults",
    "FirstStage",
    "HeckmanResults",
    "TwoStepResults",
    "control_test_table",
    "first_stage_table",
    "fit_dirichlet_cf",
    "fit_dirichlet_heckman",
    "fit_dirichlet_rounded_cf",
    "fit_dirichlet_rounded_heckman",
    "score_by_control",
    "two_step_covariance",
]
