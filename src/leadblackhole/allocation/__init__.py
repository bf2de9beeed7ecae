"""Lead allocation: how much of the black hole can a manager close?

Turns the fitted main model into expected follow-ups per rep and compares
policies for a fixed monthly lead budget (equal split, a score of experience
and past performance, the model-optimal allocation and, on simulated data,
the oracle), under scenarios and draws of the estimates.

* :func:`allocate`: everything at once (:class:`AllocationResult`);
* :mod:`~leadblackhole.allocation.policies`: the policies and the follow-up function;
* :mod:`~leadblackhole.allocation._model`: the one place that reads the
  fitted model, through the results interface (:func:`share_curves`,
  :func:`draw_params`).

Errors are :class:`~leadblackhole.exceptions.AllocationError` (a user error:
the command line exits 2).
"""

from ..exceptions import AllocationError
from ._model import (
    ShareCurves,
    curves_from_coefficients,
    draw_params,
    predicted_marketing_share,
    share_curves,
)
from .allocate import (
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
from .policies import (
    GreedyResult,
    check_budget,
    dual_bound,
    equal_split,
    expected_followups,
    greedy_allocation,
    largest_remainder,
    performance_score,
    score_split,
)

__all__ = [
    "POLICIES",
    "POLICY_DESCRIPTIONS",
    "SCENARIOS",
    "AllocationError",
    "AllocationResult",
    "GreedyResult",
    "HoursPerLead",
    "ShareCurves",
    "allocate",
    "apply_scenario",
    "check_budget",
    "curves_from_coefficients",
    "draw_params",
    "dual_bound",
    "equal_split",
    "estimate_hours_per_lead",
    "expected_followups",
    "greedy_allocation",
    "largest_remainder",
    "oracle_curves",
    "performance_score",
    "predicted_marketing_share",
    "score_split",
    "share_curves",
]
