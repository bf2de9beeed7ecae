"""Benchmark of the rounding-aware Dirichlet regression: time and memory against N.

For N = 461, 1000, 2000 and 6000 reps (and rounding steps 5 and 10) the script
simulates a study from the package's population model with percents heaped
on the step (``StudyDesign(n_reps=N, heap_step=step)``), builds the analysis
frame, and times ``fit_rounded_main_model(frame, step)`` (starting values from
the exact-share fit, Newton iterations, and the covariance from the analytic
Hessian), plus ``bse``. It prints the median wall and CPU time over ``--repeats`` runs
(CPU time of the process, all threads: on a shared machine closer to the
unloaded wall time),
the Newton iterations, the number of quadrature nodes and the peak memory
traced by ``tracemalloc`` during one fit.

Usage::

    python benchmarks/bench_rounded.py [--repeats 3] [--sizes 461 1000 2000 6000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
import warnings

import numpy as np

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.exceptions import ZeroShareWarning
from leadblackhole.models import fit_rounded_main_model
from leadblackhole.simulation import StudyDesign, simulate

SEED = 2013


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[461, 1000, 2000, 6000])
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10])
    args = parser.parse_args()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, numpy "
        f"{np.__version__}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        "| N | step | median wall time, fit + SEs (s) | median CPU time (s) | Newton iterations "
        "| quadrature nodes | peak memory (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    warnings.simplefilter("ignore", ZeroShareWarning)
    for n in args.sizes:
        for step in args.steps:
            survey, _ = simulate(StudyDesign(n_reps=n, heap_step=step), seed=SEED)
            frame = build_analysis_frame(validate_survey(survey))
            times, cpu = [], []
            for _ in range(args.repeats):
                t0, c0 = time.perf_counter(), time.process_time()
                res = fit_rounded_main_model(frame, step=step)
                _ = res.bse
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            tracemalloc.start()
            fit_rounded_main_model(frame, step=step)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            nodes = sum(g.lw.size for g in res.model._groups)
            print(
                f"| {n} | {step} | {statistics.median(times):.2f} | {statistics.median(cpu):.2f} "
                f"| {res.iterations} "
                f"| {nodes:,} | {peak:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
