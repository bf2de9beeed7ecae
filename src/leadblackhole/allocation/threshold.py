"""The greedy allocation as one threshold on marginal gains: :func:`threshold_allocation`.

The honest gain (:mod:`~leadblackhole.allocation.honest`) re-optimizes the
allocation under every draw of the estimates, hundreds of times per scenario.
The heap of :func:`~leadblackhole.allocation.greedy_allocation` costs a Python
step per lead; this module gives the same allocation with array operations.

Why the two agree. Write ``g_ik = f_i(k + 1) - f_i(k)`` for the marginal gain
of rep ``i``'s ``(k + 1)``-th lead and ``h_ik = min(g_i0, ..., g_ik)`` for its
running minimum. The heap greedy gives a rep's leads in order and pops the
largest head; a lead whose gain exceeds an earlier one of the same rep is
popped right after that earlier lead, at the same level. So the greedy takes
exactly the ``B`` largest ``h_ik``, ties broken by rep, then by lead (the heap
orders equal gains by rep index, and a rep's leads come in order). When every
``f_i`` is concave, ``h = g``. A test checks the equality with the heap
greedy on random concave and non-concave instances and on the fitted model.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import AllocationError
from ._model import ShareCurves

__all__ = ["threshold_allocation"]

#: Marginal-gain table entries (reps x leads) evaluated at once: bounds the memory.
_BLOCK_ENTRIES = 250_000


def _running_min_gains(
    curves: ShareCurves, capacity: np.ndarray, rows: np.ndarray, cap: int
) -> np.ndarray:
    """``h_ik`` of :mod:`this module <leadblackhole.allocation.threshold>` for some reps."""
    grid = np.arange(cap + 1, dtype=float)
    share = curves.marketing(grid[None, :], rows=rows[:, None])
    f = np.minimum(grid[None, :], capacity[rows, None] * share)
    return np.minimum.accumulate(np.diff(f, axis=1), axis=1)


def threshold_allocation(
    curves: ShareCurves, capacity: np.ndarray, budget: int, cap: int
) -> np.ndarray:
    """The greedy allocation of :func:`greedy_allocation`, computed as a threshold.

    Parameters
    ----------
    curves : ShareCurves
        Each rep's expected marketing share as a function of leads.
    capacity : ndarray (n,)
        ``K_i`` of :func:`~leadblackhole.allocation.expected_followups`.
    budget : int
        Leads to allocate.
    cap : int
        Most leads one rep may receive.

    Returns
    -------
    ndarray (n,) of int
        Leads per rep, summing to ``budget``: the same vector as
        ``greedy_allocation(curves, capacity, budget, cap).leads``.

    Raises
    ------
    AllocationError
        When ``cap`` times the number of reps is below the budget.

    Notes
    -----
    The ``B`` largest running-minimum gains ``h_ik`` (module docstring) are
    found without sorting the table: the threshold ``t`` (the ``B``-th largest
    value) is kept by a streaming partition over blocks of reps; then each rep
    receives its gains above ``t`` and the ties at ``t`` go in rep order. Cost
    ``O(n cap)`` time; memory ``O(B)`` plus one block of about 250 000
    table entries (the table is kept whole when it is that small).

    Examples
    --------
    >>> leads = threshold_allocation(curves, capacity, 15_908, 174)   # doctest: +SKIP
    """
    n, budget, cap = curves.n, int(budget), int(cap)
    if cap * n < budget:
        raise AllocationError(
            f"{n} reps with at most {cap} leads each cannot absorb a budget of {budget} leads"
        )
    capacity = np.asarray(capacity, float)
    if budget == 0:
        return np.zeros(n, dtype=np.int64)
    step = max(1, _BLOCK_ENTRIES // max(cap, 1))
    blocks = [np.arange(lo, min(n, lo + step)) for lo in range(0, n, step)]
    cache = len(blocks) == 1
    # pass 1: the budget-th largest h over the whole table, keeping at most `budget` values
    kept = np.empty(0)
    tables = []
    for rows in blocks:
        h = _running_min_gains(curves, capacity, rows, cap)
        if cache:
            tables.append(h)
        pool = np.concatenate([kept, h.ravel()])
        if pool.size > budget:
            pool = np.partition(pool, pool.size - budget)[pool.size - budget :]
        kept = pool
    t = kept.min()
    # pass 2: every gain above the threshold, then the ties at it in rep order
    above = np.empty(n, dtype=np.int64)
    ties = np.empty(n, dtype=np.int64)
    for j, rows in enumerate(blocks):
        h = tables[j] if cache else _running_min_gains(curves, capacity, rows, cap)
        above[rows] = (h > t).sum(axis=1)
        ties[rows] = (h == t).sum(axis=1)
    rest = budget - int(above.sum())
    take = np.minimum(ties, np.maximum(0, rest - (np.cumsum(ties) - ties)))
    return above + take
