"""The simulate step: one survey of the study drawn from the population model.

Every firm of a simulated survey is analysable in full: :func:`simulate` refuses
a design whose smallest firm would get fewer analysable reps than
:data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS` (six), the fewest a
firm needs to enter the firm-specific checks of ``fit``
(:func:`check_firm_sizes`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..exceptions import DesignError
from ..simulation import StudyDesign, Truth
from ..simulation import simulate as simulate_design
from ..simulation.answers import firm_counts
from ..specification import FIRM_CHECK_MIN_REPS

__all__ = ["SimulatedStudy", "check_firm_sizes", "simulate"]


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
        An invalid design (fewer than 2 firms, say), or more firms than the
        analysable reps can fill (:func:`check_firm_sizes`).
    """
    changes = {"n_reps": n_reps, "n_zero_marketing": n_zero_marketing}
    if not heaping:
        changes["heap_step"] = 0
    check_firm_sizes(firms, n_reps)
    design = StudyDesign.for_firms(firms, **changes)
    survey, truth = simulate_design(design, seed=seed)
    return SimulatedStudy(design=design, survey=survey, truth=truth)


def _smallest_firm(n_firms: int, n_reps: int) -> int:
    """Analysable reps of the smallest firm of ``StudyDesign.for_firms(n_firms, n_reps=...)``."""
    return int(firm_counts(StudyDesign.for_firms(n_firms).firm_weights, n_reps).min())


def _last_true(ok: Callable[[int], bool], lo: int, hi: int) -> int:
    """The largest ``k`` in ``[lo, hi]`` with ``ok(k)``, given ``ok(lo)`` (bisection)."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid - 1)
    return lo


def check_firm_sizes(n_firms: int, n_reps: int) -> None:
    """Check that ``n_reps`` analysable reps give every one of ``n_firms`` firms enough reps.

    Parameters
    ----------
    n_firms : int
        Firms of the design (:meth:`~leadblackhole.simulation.StudyDesign.for_firms`).
    n_reps : int
        Analysable reps, split among the firms in proportion to the design's
        ``firm_weights`` (largest remainders).

    Raises
    ------
    DesignError
        When the smallest firm would get fewer than
        :data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS` analysable
        reps, the fewest a firm needs to enter the firm-specific checks of
        ``fit``; the message gives the most firms the reps can fill and the
        reps the firms need.

    Notes
    -----
    The reps without marketing-lead time (``n_zero_marketing``) are drawn
    from every firm, so a firm's analysable reps can fall a little short of
    its share; ``fit`` then analyses that firm with a warning.

    Examples
    --------
    >>> check_firm_sizes(4, 461)          # the study's design: no error
    """
    need = FIRM_CHECK_MIN_REPS
    if n_firms < 2:
        return  # StudyDesign.for_firms refuses it, with its own message
    feasible = n_firms <= n_reps // need  # else some firm gets fewer than `need`
    if feasible and _smallest_firm(n_firms, n_reps) >= need:
        return
    most = 0
    if n_reps // need >= 2 and _smallest_firm(2, n_reps) >= need:
        most = _last_true(lambda k: _smallest_firm(k, n_reps) >= need, 2, n_reps // need)
    if feasible:
        weights = StudyDesign.for_firms(n_firms).firm_weights
        enough = math.ceil(need * sum(weights) / min(weights))  # every quota then >= need
        short = _last_true(lambda m: _smallest_firm(n_firms, m) < need, n_reps, enough - 1)
        more = f"--n-reps {short + 1} or more for {n_firms} firms"
    else:
        more = (
            f"more reps (over {need * n_firms - 1} for {n_firms} firms, more still with the "
            "design's unequal firm sizes)"
        )
    fewer = f"at most {most} firms, or " if most else ""
    raise DesignError(
        f"--firms {n_firms} with --n-reps {n_reps}: some firm would get fewer than the "
        f"{need} analysable reps each firm needs for the firm-specific checks of `fit` (the "
        "reps are split among the firms by the design's weights, docs/simulation.md); use "
        f"{fewer}{more}"
    )
