"""Time and peak memory of ``allocate`` as the number of reps grows.

Run: ``python benchmarks/bench_allocate.py [--draws 20] [--sizes 461 5000 50000]``.
For each size N it simulates a survey of N reps (default design otherwise), fits the
main model once (not timed), and then times

* the greedy model-optimal allocation alone (``greedy_allocation``, baseline scenario):
  ``B`` heap steps, ``O(n + B log n)``; the budget ``B`` is the survey's total, about
  37 leads per rep, so ``B`` grows with ``N``;
* the same allocation as one threshold on marginal gains (``threshold_allocation``,
  what the honest gain runs once per draw): ``O(n cap)`` array operations;
* the whole ``allocate`` call (policies equal, score, optimal; baseline scenario;
  ``--draws`` draws of the estimates, under each of which the optimal allocation is
  chosen again for its honest gain);

and measures the peak memory ``allocate`` allocates (``tracemalloc``, a separate run).
Prints one table.
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

from leadblackhole.allocation import (
    allocate,
    greedy_allocation,
    share_curves,
    threshold_allocation,
)
from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.models import fit_share_model
from leadblackhole.simulation import StudyDesign, simulate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[461, 5000, 50000])
    ap.add_argument("--draws", type=int, default=20)
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        survey, _ = simulate(StudyDesign(n_reps=n), seed=1)
        frame = build_analysis_frame(validate_survey(survey))
        res = fit_share_model(frame, "dirichlet")
        budget = int(frame.raw["lead_volume"].sum())
        curves = share_curves(res, frame)
        capacity = frame.raw["hours_per_week"].to_numpy(float) * 52 / 12 / 4.8
        cap = max(int(frame.raw["lead_volume"].max()), -(-budget // n))
        t0 = time.perf_counter()
        greedy_allocation(curves, capacity, budget, cap)
        t_greedy = time.perf_counter() - t0
        t0 = time.perf_counter()
        threshold_allocation(curves, capacity, budget, cap)
        t_threshold = time.perf_counter() - t0
        kw = dict(policies=("equal", "score", "optimal"), n_draws=args.draws, seed=1)
        t0 = time.perf_counter()
        allocate(res, frame, **kw)
        t_all = time.perf_counter() - t0
        tracemalloc.start()
        allocate(res, frame, **kw)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        per = t_greedy / (budget * math.log2(n)) * 1e9
        rows.append((n, budget, t_greedy, per, t_threshold, t_all, peak))
    print(
        f"{'reps N':>8} {'budget B':>10} {'greedy s':>9} {'ns/(B log2 N)':>14} "
        f"{'threshold s':>12} {'allocate s':>11} {'peak MiB':>9}"
    )
    for n, b, tg, per, tt, ta, pk in rows:
        print(f"{n:8d} {b:10d} {tg:9.2f} {per:14.1f} {tt:12.3f} {ta:11.2f} {pk / 2**20:9.1f}")
    print(f"(allocate: equal, score, optimal; baseline; {args.draws} draws of the estimates)")


if __name__ == "__main__":
    main()
