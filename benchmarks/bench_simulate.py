"""Time ``simulate`` (the call a Monte Carlo design diagnosis makes thousands of times).

Run: ``.venv/bin/python benchmarks/bench_simulate.py``. Prints the median time
of one call on the default design (population truth already cached) and the
one-off cost of computing the population truth.
"""

from __future__ import annotations

import statistics
import time

from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.simulation.simulate import _population


def main(repeats: int = 200) -> None:
    design = StudyDesign()
    _population.cache_clear()
    t0 = time.perf_counter()
    simulate(design, seed=0)
    first = time.perf_counter() - t0
    times = []
    for seed in range(repeats):
        t0 = time.perf_counter()
        simulate(design, seed=seed)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"simulate(StudyDesign()), first call incl. population truth: {first:.2f} s")
    print(
        f"simulate(StudyDesign()), median of {repeats} calls: {med * 1e3:.2f} ms "
        f"({1 / med:.0f} surveys per second)"
    )


if __name__ == "__main__":
    main()
