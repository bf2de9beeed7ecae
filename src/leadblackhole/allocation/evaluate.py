"""One scenario's allocations evaluated at the estimates and under draws.

The material of the honest gains and of the policy differences
(:mod:`~leadblackhole.allocation.honest`): every allocation is evaluated at
the point estimates and under the same parameter draws (paired draws), and
the optimal allocation is re-chosen under every draw to measure how much an
allocation chosen on estimates flatters itself. :func:`difference_row` turns
one difference into a row of ``policy_differences``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ._model import ShareCurves, share_curves
from .honest import DifferenceEstimate, bias_corrected_difference, paired_difference
from .policies import expected_followups
from .threshold import threshold_allocation

__all__ = [
    "CHOSEN_ON_ESTIMATES",
    "DIFFERENCE_COLUMNS",
    "ScenarioDraws",
    "difference_row",
    "scenario_draws",
]

#: The policy chosen on the estimates, whose gains are bias-corrected.
CHOSEN_ON_ESTIMATES: str = "optimal"
#: Columns of the policy differences; ``TRUE_DIFFERENCE_COLUMNS`` follow on simulated data.
DIFFERENCE_COLUMNS: tuple[str, ...] = (
    "scenario",
    "policy",
    "versus",
    "black_hole_diff",
    "black_hole_diff_low",
    "black_hole_diff_high",
    "followups_diff",
    "followups_diff_low",
    "followups_diff_high",
    "prob_better",
    "naive_followups_diff",
    "method",
)
TRUE_DIFFERENCE_COLUMNS: tuple[str, ...] = ("true_black_hole_diff", "true_followups_diff")


class ScenarioDraws(NamedTuple):
    """One scenario's evaluations: at the estimates, under the draws, and re-chosen.

    Attributes
    ----------
    point : dict of str to float
        Expected follow-ups of each allocation at the estimates.
    totals : dict of str to ndarray
        Expected follow-ups of each allocation under each draw.
    reopt_own, reopt_hat : ndarray
        The optimal allocation re-chosen under draw ``d``, evaluated under
        that draw and at the estimates.
    level : float
        Coverage of the intervals.
    """

    point: dict[str, float]
    totals: dict[str, np.ndarray]
    reopt_own: np.ndarray
    reopt_hat: np.ndarray
    level: float

    def difference(self, p: str, b: str) -> DifferenceEstimate:
        """Policy ``p`` against baseline ``b`` (bias-corrected for the optimal policy)."""
        naive = self.point[p] - self.point[b]
        if p == CHOSEN_ON_ESTIMATES:
            return bias_corrected_difference(
                naive, self.reopt_own, self.totals[b], self.reopt_hat, self.point[b], self.level
            )
        return paired_difference(naive, self.totals[p], self.totals[b], self.level)


def scenario_draws(
    results: Any,
    frame: Any,
    data: pd.DataFrame,
    curves: ShareCurves,
    capacity: np.ndarray,
    per_share: np.ndarray,
    draws: np.ndarray,
    h_draws: np.ndarray,
    evaluated: dict[str, np.ndarray],
    budget: int,
    cap: int,
    level: float,
) -> ScenarioDraws:
    """Evaluate a scenario's allocations at the estimates and under every draw.

    Parameters
    ----------
    results, frame : ShareResults, AnalysisFrame
        The fitted model and its frame.
    data : DataFrame
        The scenario's centred analysis variables.
    curves : ShareCurves
        The share curves at the estimates; ``capacity`` the reps' monthly
        hours over the hours per lead.
    per_share : ndarray
        The reps' monthly hours (capacity under draw ``d`` is ``per_share /
        h_draws[d]``).
    draws, h_draws : ndarray
        Parameter draws (one row per draw) and the hours per lead of each.
    evaluated : dict of str to ndarray
        Leads per rep of each allocation to evaluate; when it holds
        :data:`CHOSEN_ON_ESTIMATES`, the optimal allocation is also re-chosen
        under every draw (no rep above ``cap`` leads, ``budget`` in all).
    level : float
        Coverage of the intervals.

    Returns
    -------
    ScenarioDraws
    """
    n_draws = len(h_draws)
    chosen = CHOSEN_ON_ESTIMATES in evaluated
    totals = {p: np.empty(n_draws) for p in evaluated}
    reopt_own, reopt_hat = np.empty(n_draws), np.empty(n_draws)
    if n_draws:
        for d, c_d in enumerate(share_curves(results, frame, data=data, params=draws)):
            cap_d = per_share / h_draws[d]
            for p, leads in evaluated.items():
                totals[p][d] = expected_followups(c_d, cap_d, leads).sum()
            if chosen:  # the optimal allocation re-chosen under this draw
                again = threshold_allocation(c_d, cap_d, budget, cap)
                reopt_own[d] = expected_followups(c_d, cap_d, again).sum()
                reopt_hat[d] = expected_followups(curves, capacity, again).sum()
    point = {p: float(expected_followups(curves, capacity, v).sum()) for p, v in evaluated.items()}
    return ScenarioDraws(point, totals, reopt_own, reopt_hat, level)


def difference_row(
    scenario: str,
    policy: str,
    versus: str,
    dd: DifferenceEstimate,
    budget: int,
    true_fu: dict[str, float],
) -> dict[str, Any]:
    """A row of the policy differences.

    Black-hole differences are policy minus baseline as fractions of the
    budget (negative when the policy leaves fewer leads in the black hole);
    the ``true_*`` columns are added when ``true_fu`` (follow-ups with the
    true parameters) is not empty.
    """
    row: dict[str, Any] = {
        "scenario": scenario,
        "policy": policy,
        "versus": versus,
        "black_hole_diff": -dd.estimate / budget,
        "black_hole_diff_low": -dd.high / budget,
        "black_hole_diff_high": -dd.low / budget,
        "followups_diff": dd.estimate,
        "followups_diff_low": dd.low,
        "followups_diff_high": dd.high,
        "prob_better": dd.prob_better,
        "naive_followups_diff": dd.naive,
        "method": dd.method,
    }
    if true_fu:
        row["true_black_hole_diff"] = -(true_fu[policy] - true_fu[versus]) / budget
        row["true_followups_diff"] = true_fu[policy] - true_fu[versus]
    return row
