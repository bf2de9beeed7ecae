"""Benchmark of the rounding-aware Dirichlet regression: time and memory against N.

For N = 461, 5 000, 50 000 and 200 000 reps (and rounding steps 5 and 10) the
script simulates a study from the package's population model with percents
heaped on the step (``simulate(StudyDesign(n_reps=N, heap_step=step))``),
builds the analysis frame, and hands it to a fresh child process, which times
``fit_rounded_main_model(frame, step)`` (building the model and its quadrature
pieces, the starting values from the exact-share fit, the Newton iterations,
and the covariance from the analytic Hessian) plus ``bse``. Each size runs in
its own child so that its peak resident memory (``ru_maxrss``) is its own; the
simulation, which draws a large population once to compute the design's truth,
stays in the parent. The child's peak resident memory includes the Python
interpreter, numpy, pandas and the package (about 200 MB) and the analysis
frame.

Printed per size and step: the median wall and CPU time over ``--repeats``
fits (CPU time of the process, all threads: on a shared machine closer to the
unloaded wall time), the Newton iterations, the distinct cells, the quadrature
nodes evaluated per log-likelihood (summed over the reps), the child's resident
memory before the first fit and its peak, and the peak of the memory that one
fit allocates as traced by ``tracemalloc`` (a separate fit, not timed).

Usage::

    python benchmarks/bench_rounded.py [--repeats 3] [--sizes 461 5000 50000 200000]
        [--steps 5 10]
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.exceptions import ZeroShareWarning
from leadblackhole.models import fit_rounded_main_model
from leadblackhole.simulation import StudyDesign, simulate

SEED = 2013
DEFAULT_SIZES = (461, 5_000, 50_000, 200_000)


def _rss_mb() -> float:
    """Peak resident memory of this process so far (MB).

    On Linux the high-water mark ``VmHWM`` of ``/proc/self/status``, which
    starts afresh when the child program starts (``ru_maxrss`` keeps the
    parent's figure across ``exec``); elsewhere ``ru_maxrss``.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    scale = 2**20 if sys.platform == "darwin" else 2**10  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def child(path: str, step: int, repeats: int) -> None:
    """Fit the pickled analysis frame ``repeats`` times and print one result line."""
    warnings.simplefilter("ignore", ZeroShareWarning)
    with open(path, "rb") as fh:
        frame = pickle.load(fh)
    before = _rss_mb()
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = fit_rounded_main_model(frame, step=step)
        _ = res.bse
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    peak = _rss_mb()
    iterations = res.iterations
    pieces = getattr(res.model, "_pieces", None)
    if pieces is not None:
        cells, nodes = pieces.cells.shape[0], pieces.n_rep_nodes
    else:  # the per-rep layout of earlier versions
        cells = len(res.model.cells.drop_duplicates())
        nodes = sum(g.lw.size for g in res.model._groups)
    del res
    tracemalloc.start()
    fit_rounded_main_model(frame, step=step)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        statistics.median(times), statistics.median(cpu), iterations, len(frame.data), cells,
        nodes, before, peak, traced,
    )  # fmt: skip


def measure(n: int, step: int, repeats: int, folder: Path) -> list[float]:
    """Simulate a study of ``n`` reps, fit it in a child process and return its figures."""
    survey, _ = simulate(StudyDesign(n_reps=n, heap_step=step), seed=SEED)
    frame = build_analysis_frame(validate_survey(survey))
    path = folder / f"frame_{n}_{step}.pkl"
    with open(path, "wb") as fh:
        pickle.dump(frame, fh)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--steps", str(step),
         "--repeats", str(repeats)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return [float(v) for v in out.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps[0], args.repeats)
        return
    print(
        f"{platform.python_implementation()} {platform.python_version()}, numpy "
        f"{np.__version__}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    print(
        "| N | analysed reps | step | wall time, fit + SEs (s) | CPU time (s) | Newton iterations "
        "| distinct cells | nodes per log-likelihood | RSS before fit (MB) | peak RSS (MB) "
        "| traced peak of a fit (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    warnings.simplefilter("ignore", ZeroShareWarning)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for step in args.steps:
                wall, cpu, its, nobs, cells, nodes, before, peak, traced = measure(
                    n, step, args.repeats, Path(tmp)
                )
                print(
                    f"| {n:,} | {int(nobs):,} | {step} | {wall:.2f} | {cpu:.2f} | {int(its)} "
                    f"| {int(cells)} "
                    f"| {int(nodes):,} | {before:.0f} | {peak:.0f} | {traced:.0f} |",
                    flush=True,
                )
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
