"""The scenarios of a design diagnosis: departures of the population from the estimated model.

A scenario is a set of :class:`~leadblackhole.simulation.StudyDesign` changes;
:func:`scenario_design` turns a scenario, a number of reps and an effect scale
(one cell of the diagnosis grid) into the population design to simulate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import DiagnosisError
from ..simulation import StudyDesign

__all__ = ["SCENARIOS", "Scenario", "resolve_scenario", "scenario_design"]


@dataclass(frozen=True)
class Scenario:
    """A departure of the population from the estimated model.

    Parameters
    ----------
    name : str
        Identifier used on the command line and in the outputs.
    description : str
        One line for tables and documentation.
    changes : Mapping
        :class:`~leadblackhole.simulation.StudyDesign` fields to set.
    zero_fraction : float
        Extra reps with no marketing-lead time, as a fraction of the
        analysable reps (``n_zero_marketing = round(zero_fraction * N)``).
    """

    name: str
    description: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    zero_fraction: float = 0.0


#: The scenarios of the estimator comparison (every departure of
#: :class:`~leadblackhole.simulation.StudyDesign`, one at a time).
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("default", "default design: percents heaped on multiples of 5"),
        Scenario("exact", "exact shares (the Dirichlet model holds)", {"heap_step": 0}),
        Scenario("rounding_10", "percents heaped on multiples of 10", {"heap_step": 10}),
        Scenario(
            "exact_reporters",
            "multiples of 10, but 30% of reps report whole percents",
            {"heap_step": 10, "exact_fraction": 0.3},
        ),
        Scenario(
            "latent_shares",
            "shares driven by the latent constructs, analysed with item means",
            {"share_driver": "latent"},
        ),
        Scenario(
            "varying_precision",
            "precision rises with experience (0.5 log-points per SD) and differs by firm",
            {"precision_experience": 0.5, "precision_firm": (0.0, 0.5, -0.5, 0.3)},
        ),
        Scenario(
            "selection",
            "25% more reps with no marketing time, selected on performance, experience "
            "and an unobservable correlated 0.5 with the share",
            {
                "selection_coef": {"performance": -0.5, "experience": -0.3},
                "selection_rho": 0.5,
            },
            zero_fraction=0.25,
        ),
        Scenario(
            "firm_slopes",
            "firm-specific slopes (SD half the slope) for prequal, tracking and volume",
            {"firm_slope_sd": {"prequal": 0.0625, "tracking": 0.0325, "volume": 0.0775}},
        ),
        Scenario(
            "method_factor",
            "common-method factor: loading 0.4 on every item, 0.3 on the marketing log-ratio",
            {"method_factor": 0.4, "method_factor_shares": 0.3},
        ),
        Scenario(
            "endogenous_volume",
            "leads routed to past performers (0.3 per SD) and to reps who work them "
            "(an unobservable, 0.3)",
            {"volume_routing": 0.3, "volume_confounding": 0.3},
        ),
        # The scenarios of the remedies: the same populations with what a remedy needs
        # drawn too (their other draws are those of the scenario they extend).
        Scenario(
            "method_factor_marker",
            "method_factor with a three-item marker scale (loadings 0.80, 0.75, 0.70)",
            {"method_factor": 0.4, "method_factor_shares": 0.3, "marker_items": 3},
        ),
        Scenario(
            "method_factor_unequal_marker",
            "method_factor_marker with unequal method loadings (0.2 to 0.6 by item, mean 0.4)",
            {
                "method_factor": 0.4,
                "method_factor_shares": 0.3,
                "marker_items": 3,
                "method_factor_spread": 0.5,
            },
        ),
        Scenario(
            "default_marker",
            "default design with a three-item marker scale (no method factor)",
            {"marker_items": 3},
        ),
        Scenario(
            "endogenous_volume_iv",
            "endogenous_volume with an instrument: a campaign budget moving the log mean "
            "of leads by 0.5 per SD",
            {"volume_routing": 0.3, "volume_confounding": 0.3, "instrument_strength": 0.5},
        ),
        Scenario(
            "default_iv",
            "default design with the campaign budget (0.5 per SD): volume exogenous",
            {"instrument_strength": 0.5},
        ),
        Scenario(
            "selection_x",
            "selection with an exclusion variable: days of access to the lead system "
            "(1 per SD in the propensity)",
            {
                "selection_coef": {"performance": -0.5, "experience": -0.3},
                "selection_rho": 0.5,
                "selection_exclusion": 1.0,
            },
            zero_fraction=0.25,
        ),
        Scenario(
            "default_x",
            "25% more reps with no marketing time, selected on the exclusion variable only "
            "(ignorable)",
            {"selection_exclusion": 1.0},
            zero_fraction=0.25,
        ),
    )
}


def scenario_design(scenario: str | Scenario, n_reps: int, effect_scale: float) -> StudyDesign:
    """The population design of one cell of the grid.

    Parameters
    ----------
    scenario : str or Scenario
        A name in :data:`SCENARIOS` or a :class:`Scenario`.
    n_reps : int
        Analysable reps of each simulated study.
    effect_scale : float
        Multiplier of every slope (:class:`~leadblackhole.simulation.StudyDesign`).

    Returns
    -------
    StudyDesign

    Raises
    ------
    DiagnosisError
        Unknown scenario name.

    Examples
    --------
    >>> scenario_design("rounding_10", 300, 0.5).heap_step
    10
    """
    sc = resolve_scenario(scenario)
    changes = dict(sc.changes)
    if sc.zero_fraction:
        changes["n_zero_marketing"] = int(round(sc.zero_fraction * n_reps))
    return StudyDesign(n_reps=int(n_reps), effect_scale=float(effect_scale), **changes)


def resolve_scenario(scenario: str | Scenario) -> Scenario:
    """The :class:`Scenario` a name in :data:`SCENARIOS` stands for (a Scenario is returned as is).

    Parameters
    ----------
    scenario : str or Scenario

    Returns
    -------
    Scenario

    Raises
    ------
    DiagnosisError
        Unknown scenario name.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if scenario not in SCENARIOS:
        raise DiagnosisError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    return SCENARIOS[scenario]
