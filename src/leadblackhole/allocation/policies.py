"""Lead-allocation policies for a fixed monthly budget of whole leads.

Every policy returns an integer vector of leads, one per rep, summing to the
budget exactly.

* :func:`equal_split`: the even split the study calls common practice,
  ``budget // n`` each, the remainder one lead each to the first reps in a
  fixed order;
* :func:`score_split`: proportional to a score of experience and past
  performance (largest-remainder rounding);
* :func:`greedy_allocation`: the model-optimal allocation, greedy marginal
  gains on whole leads with a heap.

The follow-up function of a rep is :func:`expected_followups`:
``f_i(L) = min(L, K_i mu_i(L))`` with ``K_i`` the rep's monthly hours on
marketing leads per unit share, divided by the hours one lead needs.
"""

from __future__ import annotations

import heapq
import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..exceptions import AllocationError
from ._model import ShareCurves

__all__ = [
    "MAX_BUDGET_FACTOR",
    "GreedyResult",
    "check_budget",
    "dual_bound",
    "equal_split",
    "expected_followups",
    "greedy_allocation",
    "largest_remainder",
    "max_budget",
    "performance_score",
    "score_split",
]


#: The largest lead budget an allocation takes, as a multiple of the survey's monthly leads
#: (:func:`max_budget`).
MAX_BUDGET_FACTOR: int = 10


def max_budget(lead_volume: object) -> int:
    """The largest monthly lead budget an allocation over these reps takes.

    Parameters
    ----------
    lead_volume : array-like
        The monthly marketing leads each analysable rep reported.

    Returns
    -------
    int
        :data:`MAX_BUDGET_FACTOR` times the larger of the reps' total leads
        (rounded to whole leads) and the number of reps (one lead each).

    Notes
    -----
    The work of an allocation grows with the budget per rep: no rep gets more
    than ``max(largest reported volume, ceil(B / n))`` leads, and the optimal
    policy is re-chosen over that many leads per rep under every draw of the
    estimates. Ten times the surveyed volume already asks the model about
    lead volumes far outside the data it was fitted on; a larger budget would
    only extrapolate further, at a cost that grows without bound.

    Examples
    --------
    >>> max_budget([10, 20, 30])
    600
    """
    leads = np.rint(np.asarray(lead_volume, dtype=float))
    return MAX_BUDGET_FACTOR * max(int(leads.sum()), leads.size)


def check_budget(budget: object, maximum: int | None = None) -> int:
    """Check that a lead budget is a whole number of leads, at least 1 (and at most ``maximum``).

    Parameters
    ----------
    budget : object
        The budget (an int, or a float or text holding a whole number).
    maximum : int, optional
        The largest budget allowed (:func:`max_budget` of the survey); default no limit.

    Returns
    -------
    int

    Raises
    ------
    AllocationError
        When the budget is not a whole number, is below 1 or above ``maximum``.

    Examples
    --------
    >>> check_budget("120")
    120
    """
    text = str(budget).strip()
    try:
        value = float(text)
    except ValueError:
        raise AllocationError(
            f"the lead budget must be a whole number of leads; received {budget!r}"
        ) from None
    if isinstance(budget, bool) or not math.isfinite(value) or value != int(value):
        raise AllocationError(
            f"the lead budget must be a whole number of leads; received {budget!r}"
        )
    if value < 1:
        raise AllocationError(f"the lead budget must be at least 1 lead; received {budget!r}")
    if maximum is not None and value > maximum:
        raise AllocationError(
            f"the lead budget {text} is above the largest this survey allows, {maximum} leads "
            f"({MAX_BUDGET_FACTOR} times the reps' monthly leads, or {MAX_BUDGET_FACTOR} per "
            "rep when that is more): the model knows nothing of volumes that far beyond the "
            "survey's; give a budget of at most that"
        )
    return int(value)


def expected_followups(curves: ShareCurves, capacity: np.ndarray, leads: np.ndarray) -> np.ndarray:
    """Expected monthly follow-ups of each rep at the leads given.

    Parameters
    ----------
    curves : ShareCurves
        Each rep's expected marketing share as a function of leads.
    capacity : ndarray (n,)
        ``K_i = hours_per_week_i * 52/12 / hours_per_lead``: leads the rep
        could follow up in a month if all working time went to marketing leads.
    leads : ndarray (n,)
        Leads per rep.

    Returns
    -------
    ndarray (n,)
        ``min(L_i, K_i mu_i(L_i))``.
    """
    leads = np.asarray(leads, dtype=float)
    return np.minimum(leads, capacity * curves.marketing(leads))


def largest_remainder(weights: np.ndarray, budget: int) -> np.ndarray:
    """Whole leads proportional to ``weights`` that sum to ``budget`` (Hamilton's method).

    Each rep gets ``floor(budget w_i / sum w)``; the leads left go one each
    to the largest remainders (ties to the earlier rep).

    Examples
    --------
    >>> largest_remainder(np.array([1.0, 1.0, 2.0]), 10).tolist()
    [3, 2, 5]
    """
    w = np.asarray(weights, dtype=float)
    quota = w / w.sum() * budget
    base = np.floor(quota).astype(np.int64)
    rest = int(budget - base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:rest]] += 1
    return base


def equal_split(n: int, budget: int, order: np.ndarray | None = None) -> np.ndarray:
    """The equal split: ``budget // n`` leads each, the remainder spread deterministically.

    Parameters
    ----------
    n : int
        Number of reps.
    budget : int
        Leads to allocate.
    order : ndarray of int, optional
        Order in which reps receive one of the ``budget % n`` leftover leads
        (default: row order). :func:`~leadblackhole.allocation.allocate` uses
        the order of ``rep_id``.

    Returns
    -------
    ndarray (n,) of int

    Examples
    --------
    >>> equal_split(3, 10).tolist()
    [4, 3, 3]
    """
    q, r = divmod(int(budget), int(n))
    out = np.full(n, q, dtype=np.int64)
    order = np.arange(n) if order is None else np.asarray(order)
    out[order[:r]] += 1
    return out


def performance_score(experience: np.ndarray, performance: np.ndarray) -> np.ndarray:
    """The score of the study's advice: mean percentile rank of experience and performance.

    Parameters
    ----------
    experience : ndarray
        Years of sales experience.
    performance : ndarray
        Past quota achievement (1.0 = 100%).

    Returns
    -------
    ndarray
        ``(rank(experience) + rank(performance)) / (2 n)`` with average ranks
        for ties: in (0, 1], larger for more experienced, better-performing reps.

    Notes
    -----
    Ranks make the score free of units and of outliers, and positive, so an
    allocation proportional to it gives every rep some leads: the best rep on
    both gets about twice the average, the weakest on both almost none.

    Examples
    --------
    >>> performance_score(np.array([1.0, 5.0, 10.0]), np.array([0.9, 1.1, 1.0])).round(3).tolist()
    [0.333, 0.833, 0.833]
    """
    n = len(experience)
    rx = pd.Series(np.asarray(experience, float)).rank(method="average").to_numpy()
    rp = pd.Series(np.asarray(performance, float)).rank(method="average").to_numpy()
    return (rx + rp) / (2.0 * n)


def score_split(score: np.ndarray, budget: int) -> np.ndarray:
    """Leads proportional to a positive score, rounded by largest remainder.

    Examples
    --------
    >>> score_split(np.array([0.25, 0.75]), 9).tolist()
    [2, 7]
    """
    score = np.asarray(score, float)
    if not (np.all(np.isfinite(score)) and np.all(score > 0)):
        raise AllocationError("the allocation score must be positive and finite for every rep")
    return largest_remainder(score, budget)


#: Leads per rep evaluated at once by the greedy allocation; reps per vectorized block.
_CHUNK, _BLOCK = 64, 4096


class GreedyResult(NamedTuple):
    """What :func:`greedy_allocation` returns.

    Attributes
    ----------
    leads : ndarray of int
        Leads per rep (sum = budget).
    last_gain : float
        Marginal follow-ups of the last lead allocated (the threshold).
    nonconcave : ndarray of bool
        Reps whose marginal gains rose somewhere on the leads examined, where
        the greedy optimality guarantee does not hold.
    """

    leads: np.ndarray
    last_gain: float
    nonconcave: np.ndarray


def greedy_allocation(
    curves: ShareCurves, capacity: np.ndarray, budget: int, cap: int | None = None
) -> GreedyResult:
    """Model-optimal allocation: greedy marginal gains on whole leads with a heap.

    Parameters
    ----------
    curves : ShareCurves
        Each rep's expected marketing share as a function of leads.
    capacity : ndarray (n,)
        ``K_i`` of :func:`expected_followups`.
    budget : int
        Leads to allocate.
    cap : int, optional
        Most leads one rep may receive (default: no limit).

    Returns
    -------
    GreedyResult

    Raises
    ------
    AllocationError
        When ``cap`` times the number of reps is below the budget.

    Notes
    -----
    Start with no leads; ``budget`` times give one lead to the rep whose
    expected follow-ups rise most, ``f_i(L_i + 1) - f_i(L_i)``, keeping each
    rep's next gain in a max-heap (ties to the earlier rep). Cost
    ``O(n + B log n)`` time and ``O(n)`` memory: ``f_i`` is evaluated through
    the model's link 64 leads at a time per rep and cached.

    When every ``f_i`` is concave on whole leads (its marginal gains do not
    rise), this maximizes the total ``sum_i f_i(L_i)`` subject to
    ``sum_i L_i = B`` exactly (the separable concave resource-allocation
    problem: Gross 1956, Fox 1966; every unit goes where it adds most and no
    later unit can add more). ``f_i(L) = min(L, K_i mu_i(L))`` is concave when
    ``K_i mu_i(L)`` is, a minimum of concave functions being concave. It is not
    when the share falls with volume (a negative volume slope, as for weak
    performers when volume and performance interact): ``mu_i`` is then
    decreasing and convex past the kink, so the marginal losses shrink as
    leads pile up, and an exact optimum could concentrate surplus leads on a
    few such reps. Such reps are flagged in ``nonconcave``; the greedy result
    is then a good allocation with no optimality guarantee (compare
    :func:`~leadblackhole.allocation.dual_bound`).
    """
    n = curves.n
    budget = int(budget)
    cap = budget if cap is None else int(cap)
    if cap * n < budget:
        raise AllocationError(
            f"{n} reps with at most {cap} leads each cannot absorb a budget of {budget} leads"
        )
    kk = np.asarray(capacity, float)
    # f_i(L) is evaluated through the model's link in chunks of _CHUNK leads per rep
    # (one vectorized call per chunk), cached in an n x _CHUNK table: O(n) memory.
    width = min(_CHUNK, cap + 1)
    table = np.empty((n, width))
    start = [0] * n  # first lead of each rep's cached chunk
    grid = np.arange(width, dtype=float)
    for lo in range(0, n, _BLOCK):
        rows = np.arange(lo, min(n, lo + _BLOCK))
        share = curves.marketing(grid[None, :], rows=rows[:, None])
        table[rows] = np.minimum(grid[None, :], kk[rows, None] * share)

    item = table.item

    def f(i: int, leads: int) -> float:
        j = leads - start[i]
        if j >= width:
            start[i] = leads
            grid_i = np.arange(leads, min(leads + width, cap + 1), dtype=float)
            vals = np.minimum(grid_i, kk[i] * curves.marketing(grid_i, rows=i))
            table[i, : len(vals)] = vals
            j = 0
        return item(i, j)

    f_now = [f(i, 0) for i in range(n)]
    f_next = [f(i, 1) for i in range(n)]
    last = [g for g in (f_next[i] - f_now[i] for i in range(n))]
    heap = [(-(f_next[i] - f_now[i]), i) for i in range(n)]
    heapq.heapify(heap)
    leads = [0] * n
    flag = [False] * n
    gain = 0.0
    pop, push = heapq.heappop, heapq.heappush
    for _ in range(budget):
        neg, i = pop(heap)
        gain = -neg
        li = leads[i] + 1
        leads[i] = li
        f_now[i] = f_next[i]
        if li < cap:
            nxt = f(i, li + 1)
            g = nxt - f_now[i]
            if g > last[i] + 1e-12:
                flag[i] = True
            last[i] = g
            f_next[i] = nxt
            push(heap, (-g, i))
    return GreedyResult(
        leads=np.asarray(leads, dtype=np.int64), last_gain=gain, nonconcave=np.asarray(flag)
    )


def dual_bound(
    curves: ShareCurves, capacity: np.ndarray, budget: int, cap: int, lam: float
) -> float:
    """Lagrangian upper bound on the largest total follow-ups any allocation can reach.

    Parameters
    ----------
    curves, capacity : see :func:`greedy_allocation`
    budget : int
        Leads to allocate.
    cap : int
        Most leads one rep may receive.
    lam : float
        Price of a lead (the greedy threshold ``last_gain`` is a good choice).

    Returns
    -------
    float
        ``D(lam) = lam B + sum_i max_{0 <= L <= cap} (f_i(L) - lam L)``.

    Notes
    -----
    For every allocation with ``sum L_i = B``, ``sum f_i(L_i) = lam B +
    sum (f_i(L_i) - lam L_i) <= D(lam)``, concave or not (weak duality). The
    greedy total is a lower bound on the optimum, so ``D(lam) - greedy``
    bounds how far the greedy allocation can be from optimal. Cost
    ``O(n cap)``, in blocks of reps.
    """
    grid = np.arange(cap + 1, dtype=float)
    total = 0.0
    step = max(1, 250_000 // (cap + 1))
    for start in range(0, curves.n, step):
        rows = np.arange(start, min(curves.n, start + step))
        share = curves.marketing(grid[None, :], rows=rows[:, None])
        f = np.minimum(grid[None, :], capacity[rows, None] * share)
        total += float((f - lam * grid[None, :]).max(axis=1).sum())
    return lam * budget + total
