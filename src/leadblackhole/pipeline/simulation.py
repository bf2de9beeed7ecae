"""The simulate step: one survey of the study drawn from the population model."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..simulation import StudyDesign, Truth
from ..simulation import simulate as simulate_design

__all__ = ["SimulatedStudy", "simulate"]


@dataclass(frozen=True, eq=False)
class SimulatedStudy:
    """What :func:`simulate` returns.

    Attributes
    ----------
    design : StudyDesign
        The population model the survey was drawn from.
    survey : DataFrame
        The simulated survey, in the input contract's columns.
    truth : Truth
        The population truth (``truth.effects``: the value of every registry effect).
    """

    design: StudyDesign
    survey: pd.DataFrame
    truth: Truth


def simulate(
    *,
    seed: int,
    n_reps: int = 461,
    n_zero_marketing: int = 0,
    firms: int = 4,
    heaping: bool = True,
) -> SimulatedStudy:
    """Draw one survey of the study.

    Parameters
    ----------
    seed : int
        Seed of the draw.
    n_reps : int, default 461
        Analysable reps.
    n_zero_marketing : int, default 0
        Extra reps who give marketing leads no time.
    firms : int, default 4
        Number of firms (:meth:`~leadblackhole.simulation.StudyDesign.for_firms`).
    heaping : bool, default True
        Report percents as reps do (heaped on multiples of 5); ``False`` for exact percents.

    Returns
    -------
    SimulatedStudy

    Raises
    ------
    DesignError
        An invalid design (fewer than 2 firms, say).
    """
    changes = {"n_reps": n_reps, "n_zero_marketing": n_zero_marketing}
    if not heaping:
        changes["heap_step"] = 0
    design = StudyDesign.for_firms(firms, **changes)
    survey, truth = simulate_design(design, seed=seed)
    return SimulatedStudy(design=design, survey=survey, truth=truth)
