"""The allocate step: which fitted model the allocation reads, and the policies it compares.

The allocation reads the main model by default (:func:`~leadblackhole.pipeline.models.main_model`)
or any model of the fit by name (``allocate --model NAME``). When the fit holds the main
model's control-function version (``<main>_cf``: lead volume instrumented, see
docs/endogeneity.md), :func:`alternative_model` names the other one of the pair, so the
command can say what the allocation would give under it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..allocation import (
    SCENARIOS,
    AllocationResult,
    check_budget,
    check_marketing_model,
    max_budget,
)
from ..allocation import allocate as allocate_leads
from ..config import DEFAULT_SEED
from ..data import AnalysisFrame
from ..data.source import MARKER_SUFFIX, DataSource
from ..exceptions import AllocationError
from ..models import ShareResults, fit_share_model, registered_models
from ..simulation import StudyDesign
from ..simulation import simulate as simulate_design
from .models import main_model

__all__ = [
    "CONTROL_FUNCTION_SUFFIX",
    "AllocationModel",
    "allocate",
    "allocation_model",
    "allocation_request",
    "alternative_model",
    "lead_budget",
]

#: The name of a model's control-function version is the model's name with this suffix.
CONTROL_FUNCTION_SUFFIX = "_cf"  # one of models.KEPT_REMEDIES: fit saves it


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


def allocation_request(
    leads: Any, frame: AnalysisFrame, oracle: bool = False, source: DataSource | None = None
) -> int | None:
    """Check an ``allocate`` request against the survey before any computing; return the budget.

    Parameters
    ----------
    leads : object
        The ``--leads`` option (None: the survey's total).
    frame : AnalysisFrame
        The analysis frame.
    oracle : bool, default False
        Whether the oracle (``--oracle``) is asked for.
    source : DataSource, optional
        Where the survey comes from (:func:`~leadblackhole.data.source.data_source`);
        needed with ``oracle``.

    Returns
    -------
    int or None
        The budget, or None for the survey's total.

    Raises
    ------
    AllocationError
        A budget that is not a whole number of leads, below 1 or above
        :func:`~leadblackhole.allocation.max_budget` of the survey's lead
        volumes; the oracle asked for on a survey without a simulation marker
        (the oracle's true parameters are those of the simulated design: on
        any other survey they would be made up).
    """
    if oracle and (source is None or not source.simulated):
        raise AllocationError(
            f"--oracle needs a survey simulated by `leadblackhole simulate`: {frame.source} has "
            f"no simulation marker ({frame.source}{MARKER_SUFFIX}) beside it, so there is no "
            "true model to allocate under; leave out --oracle"
        )
    if leads is None:
        return None
    return check_budget(leads, max_budget(frame.raw["lead_volume"]))


def allocation_model(
    frame: AnalysisFrame,
    saved_fits: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> AllocationModel:
    """The model of the allocation: the saved fit when there is one, else fitted now.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    saved_fits : mapping of str to ShareResults, optional
        The fits ``fit`` saved for this survey; without them the model is
        fitted now.
    name : str, optional
        The model to read (``allocate --model``): a model of ``saved_fits``,
        or without them a registered share model fitted now with its default
        options. Default the main model (:func:`main_model`: the one
        ``fit --rounding auto`` would choose).

    Returns
    -------
    AllocationModel

    Raises
    ------
    AllocationError
        ``name`` is not a model of the saved fit (or, without one, not a
        registered share model), or the model's mean gives no marketing share
        (the probit of any marketing-lead time).

    Examples
    --------
    >>> allocation_model(frame, fits, "fmlogit").name               # doctest: +SKIP
    'fmlogit'
    """
    if name is None:
        name = main_model(frame, saved_fits)
    known = tuple(saved_fits) if saved_fits is not None else registered_models()
    if name not in known:
        where = "the saved fit holds" if saved_fits is not None else "expected one of"
        raise AllocationError(f"unknown model {name!r} for the allocation; {where} {list(known)}")
    if saved_fits is not None:
        results, saved = saved_fits[name], True
    else:
        results, saved = fit_share_model(frame, name), False
    check_marketing_model(results)
    return AllocationModel(name=name, results=results, saved=saved)


def alternative_model(
    frame: AnalysisFrame, saved_fits: Mapping[str, Any] | None, used: str
) -> AllocationModel | None:
    """The other model of the main model's pair with its control-function version.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    saved_fits : mapping of str to ShareResults, optional
        The fits ``fit`` saved.
    used : str
        The model the allocation used.

    Returns
    -------
    AllocationModel or None
        ``<main>_cf`` when the allocation used the main model and the fit
        holds it; the main model when the allocation used ``<main>_cf``; else
        None (no saved fit, no control-function model, or another model used).
    """
    if saved_fits is None:
        return None
    main = main_model(frame, saved_fits)
    cf = main + CONTROL_FUNCTION_SUFFIX
    if cf not in saved_fits or used not in (main, cf):
        return None
    return allocation_model(frame, saved_fits, cf if used == main else main)


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
