"""The allocate step: which fitted model the allocation reads, and the policies it compares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..allocation import SCENARIOS, AllocationResult, check_budget
from ..allocation import allocate as allocate_leads
from ..config import DEFAULT_SEED
from ..data import AnalysisFrame
from ..models import ShareResults, fit_share_model
from ..simulation import StudyDesign
from ..simulation import simulate as simulate_design
from .models import main_model

__all__ = ["AllocationModel", "allocate", "allocation_model", "lead_budget"]


@dataclass(frozen=True, eq=False)
class AllocationModel:
    """The model an allocation reads.

    Attributes
    ----------
    name : str
        The main model's name (:func:`~leadblackhole.pipeline.models.main_model`).
    results : ShareResults
        Its fit.
    saved : bool
        Whether it is the fit ``fit`` saved (else it was fitted now).
    """

    name: str
    results: ShareResults
    saved: bool


def lead_budget(leads: Any) -> int | None:
    """The monthly lead budget of a ``--leads`` option (None: the survey's total).

    Raises
    ------
    AllocationError
        Not a whole number of leads, at least 1.
    """
    return None if leads is None else check_budget(leads)


def allocation_model(
    frame: AnalysisFrame, saved_fits: Mapping[str, Any] | None = None
) -> AllocationModel:
    """The main model of the allocation: the saved fit when there is one, else fitted now.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    saved_fits : mapping of str to ShareResults, optional
        The fits ``fit`` saved for this survey; without them the main model
        ``fit --rounding auto`` would choose is fitted.

    Returns
    -------
    AllocationModel
    """
    if saved_fits is not None:
        name = main_model(frame, saved_fits)
        return AllocationModel(name=name, results=saved_fits[name], saved=True)
    name = main_model(frame)
    return AllocationModel(name=name, results=fit_share_model(frame, name), saved=False)


def allocate(
    frame: AnalysisFrame,
    model: ShareResults,
    *,
    budget: int | None = None,
    policy: str = "all",
    scenarios: Sequence[str] = ("all",),
    draws: int = 200,
    seed: int = DEFAULT_SEED,
    hours_per_lead: float | None = None,
    hours_per_week: float | None = None,
    oracle: bool = False,
) -> AllocationResult:
    """Compare lead-allocation policies for a monthly budget.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    model : ShareResults
        The main model (:func:`allocation_model`).
    budget : int, optional
        Monthly lead budget (default the survey's total, when the observed
        allocation is compared too).
    policy : {"equal", "score", "optimal", "all"}, default "all"
        The policy to evaluate; ``"all"`` compares equal, score and optimal,
        with the observed allocation first when no budget is given.
    scenarios : sequence of str, default ("all",)
        Scenarios; ``"all"`` among them selects every scenario.
    draws : int, default 200
        Draws of the estimates.
    seed : int
        Seed of the draws.
    hours_per_lead, hours_per_week : float, optional
        Follow-up assumptions (default from the survey).
    oracle : bool, default False
        Add the oracle: the allocation under the simulated design's true model.

    Returns
    -------
    AllocationResult
    """
    truth = simulate_design(StudyDesign(), seed=0).truth if oracle else None
    policies = ["equal", "score", "optimal"] if policy == "all" else [policy]
    if budget is None and policy == "all":
        policies.insert(0, "observed")
    return allocate_leads(
        model,
        frame,
        budget=budget,
        policies=policies,
        scenarios=SCENARIOS if "all" in scenarios else scenarios,
        n_draws=draws,
        seed=seed,
        hours_per_lead=hours_per_lead,
        hours_per_week=hours_per_week,
        truth=truth,
    )
