"""Lead allocation: how much of the black hole can a manager close?

Turns the fitted main model into expected follow-ups per rep and compares
policies for a fixed monthly lead budget (equal split, a score of experience
and past performance, the model-optimal allocation and, on simulated data,
the oracle), under scenarios and draws of the estimates.

* :func:`allocate`: everything at once (:class:`AllocationResult`);
* :mod:`~leadblackhole.allocation.policies`: the policies and the follow-up function;
* :mod:`~leadblackhole.allocation.honest`: the honest (bias-corrected) gain
  of the allocation chosen on the estimates and paired differences between
  policies (:func:`bias_corrected_difference`, :func:`paired_difference`);
* :mod:`~leadblackhole.allocation.evaluate`: a scenario's allocations
  evaluated at the estimates and under paired draws, the optimal allocation
  re-chosen under each (:func:`scenario_draws`, :func:`difference_row`);
* :mod:`~leadblackhole.allocation.threshold`: the greedy allocation computed
  as one threshold on marginal gains (:func:`threshold_allocation`), used to
  re-choose the allocation under every draw;
* :mod:`~leadblackhole.allocation._model`: the one place that reads the
  fitted model, through the results interface (:func:`share_curves`,
  :func:`draw_params`, :func:`check_marketing_model`).

Errors are :class:`~leadblackhole.exceptions.AllocationError` (a user error:
the command line exits 2).
"""

from ..exceptions import AllocationError
from ._model import (
    ShareCurves,
    check_marketing_model,
    curves_from_coefficients,
    draw_params,
    predicted_marketing_share,
    share_curves,
)
from .allocate import (
    BASELINES,
    POLICIES,
    POLICY_DESCRIPTIONS,
    SCENARIOS,
    AllocationResult,
    HoursPerLead,
    allocate,
    apply_scenario,
    estimate_hours_per_lead,
    oracle_curves,
)
from .honest import DifferenceEstimate, bias_corrected_difference, paired_difference
from .policies import (
    MAX_BUDGET_FACTOR,
    GreedyResult,
    check_budget,
    dual_bound,
    equal_split,
    expected_followups,
    greedy_allocation,
    largest_remainder,
    max_budget,
    performance_score,
    score_split,
)
from .threshold import threshold_allocation

__all__ = [
    "BASELINES",
    "MAX_BUDGET_FACTOR",
    "POLICIES",
    "POLICY_DESCRIPTIONS",
    "SCENARIOS",
    "AllocationError",
    "AllocationResult",
    "DifferenceEstimate",
    "GreedyResult",
    "HoursPerLead",
    "ShareCurves",
    "allocate",
    "apply_scenario",
    "bias_corrected_difference",
    "check_marketing_model",
    "check_budget",
    "curves_from_coefficients",
    "draw_params",
    "dual_bound",
    "equal_split",
    "estimate_hours_per_lead",
    "expected_followups",
    "greedy_allocation",
    "largest_remainder",
    "max_budget",
    "oracle_curves",
    "paired_difference",
    "performance_score",
    "predicted_marketing_share",
    "score_split",
    "share_curves",
    "threshold_allocation",
]
