"""Lead allocation: how much of the black hole can a manager close?

Turns the fitted main model into expected follow-ups per rep and compares
policies for a fixed monthly lead budget (equal split, a score of experience
and past performance, the model-optimal allocation and, on simulated data,
the oracle), under scenarios and draws of the estimates.

* :func:`allocate`: everything at once (:class:`AllocationResult`);
* :mod:`~leadblackhole.allocation.policies`: the policies and the follow-up function;
* :mod:`~leadblackhole.allocation._model`: the one place that reads the
  fitted model (:func:`share_curves`, :func:`draw_params`).
"""

from ._model import ShareCurves, draw_params, predicted_marketing_share, share_curves
from .allocate import (
    POLICIES,
    SCENARIOS,
    AllocationResult,
    HoursPerLead,
    allocate,
    apply_scenario,
    estimate_hours_per_lead,
    oracle_curves,
)
from .policies import (
    AllocationError,
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
    "SCENARIOS",
    "AllocationError",
    "AllocationResult",
    "GreedyResult",
    "HoursPerLead",
    "ShareCurves",
    "allocate",
    "apply_scenario",
    "check_budget",
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
