"""Time the design diagnosis: one replication per estimator, and the speed-up on Dask.

Run: ``.venv/bin/python benchmarks/bench_diagnose.py [--reps 100] [--skip-dask | --dask-only]``.

Prints

1. the cost of one replication of the default design (N = 461) by stage:
   the slow path (``simulate`` + ``validate_survey`` + ``build_analysis_frame``)
   against the fast path (``simulate_frame``), then fitting and the registry
   effects of each estimator;
2. replications per second per core of each estimator (one process, the
   population truth cached; per CPU-second of the process, which a shared
   machine's other jobs affect less than the wall time, and per wall-second),
   the figure the goal of 50 per second refers to;
3. replications per second of the main model on a local Dask cluster of 1
   and 2 worker processes (workers warmed up: the population truth is
   computed once per worker before the clock starts), and the speed-up;
4. how the wall time on 2 workers grows with the number of replications
   (cluster start-up and warm-up included, as a user sees it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.diagnosis import (
    ESTIMATORS,
    local_cluster,
    replication_seed,
    run_chunk,
    run_diagnosis,
    simulate_frame,
)
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.simulation.simulate import _truth

DESIGN = StudyDesign()


def _median_ms(fn, repeats: int) -> float:
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def stages(repeats: int) -> None:
    from leadblackhole.effects import model_effects
    from leadblackhole.models import fit_share_model

    _truth(DESIGN)
    print(f"1. one replication of the default design (median of {repeats}, ms)")
    sim = _median_ms(lambda i: simulate(DESIGN, seed=i), repeats)
    surveys = [simulate(DESIGN, seed=i).survey for i in range(repeats)]
    val = _median_ms(lambda i: validate_survey(surveys[i]), repeats)
    valid = [validate_survey(s) for s in surveys]
    build = _median_ms(lambda i: build_analysis_frame(valid[i]), repeats)
    fast = _median_ms(lambda i: simulate_frame(DESIGN, seed=i), repeats)
    print(f"   slow path: simulate {sim:.1f} + validate {val:.1f} + frame {build:.1f}"
          f" = {sim + val + build:.1f}")  # fmt: skip
    print(f"   fast path: simulate_frame {fast:.1f}")
    frames = [simulate_frame(DESIGN, seed=i)[0] for i in range(repeats)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("dirichlet", "ols", "fractional_logit"):

            def fit(frame, name=name):
                return fit_share_model(frame, name)

            fits = [fit(f) for f in frames]
            t_fit = _median_ms(lambda i, fit=fit: fit(frames[i]), repeats)

            # as the diagnosis reads them: on the design the fit built, when it keeps it
            def effects(i, fits=fits):
                return model_effects(fits[i], frames[i], design=fits[i].mean_design)

            t_eff = _median_ms(effects, repeats)
            print(f"   {name:17s} fit {t_fit:.1f} + effects {t_eff:.1f}")


def per_core(repeats: int) -> None:
    print(
        f"2. replications per second per core (one process, {repeats} replications; "
        "CPU time of this process, and wall time)"
    )
    builtin = ("dirichlet", "ols", "fractional_logit")
    for label, ests in [(n, {n: ESTIMATORS[n]}) for n in builtin] + [
        ("all three", {n: ESTIMATORS[n] for n in builtin})
    ]:
        run_chunk("default", 461, 1.0, [0], ests, seed=1)  # warm-up
        c0, t0 = time.process_time(), time.perf_counter()
        run_chunk("default", 461, 1.0, list(range(repeats)), ests, seed=1)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        print(
            f"   {label:17s} {repeats / cpu:6.1f} per CPU-second ({1e3 * cpu / repeats:.1f} ms); "
            f"wall {repeats / wall:6.1f}/s"
        )


def _cluster_rate(n_workers: int, reps: int, chunk: int) -> tuple[float, float]:
    """Replications per second, and CPU ms per replication summed over the workers."""
    from dask.distributed import Client, wait

    est = {"dirichlet": ESTIMATORS["dirichlet"]}
    # the cluster run_diagnosis starts (its workers' allocator settings included)
    with local_cluster(n_workers) as cluster, Client(cluster) as client:
        # warm-up: imports and the population truth on every worker
        client.run(lambda: run_chunk("default", 461, 1.0, [0], est, seed=1) is not None)
        c0 = client.run(time.process_time)
        t0 = time.perf_counter()
        futures = [
            client.submit(
                run_chunk,
                "default",
                461,
                1.0,
                list(range(i, min(i + chunk, reps))),
                est,
                1,
                pure=False,
            )  # fmt: skip
            for i in range(0, reps, chunk)
        ]
        wait(futures)
        wall = time.perf_counter() - t0
        c1 = client.run(time.process_time)
        cpu = sum(c1[w] - c0[w] for w in c0)
        return reps / wall, 1e3 * cpu / reps


def dask_speedup(reps: int) -> None:
    print(f"3. main model on a local Dask cluster ({reps} replications, chunks of 25)")
    load = os.getloadavg()[0]
    (r1, c1), (r2, c2) = _cluster_rate(1, reps, 25), _cluster_rate(2, reps, 25)
    print(f"   load average before: {load:.1f}, after: {os.getloadavg()[0]:.1f}")
    print(f"   1 worker : {r1:6.1f} replications/s, {c1:.1f} ms CPU per replication")
    print(f"   2 workers: {r2:6.1f} replications/s, {c2:.1f} ms CPU per replication")
    print(f"   speed-up {r2 / r1:.2f}x; work per replication x{c2 / c1:.2f} with 2 workers")


def growth(sizes: list[int], tmp: str) -> None:
    import shutil

    print("4. wall time on 2 workers by number of replications (start-up included)")
    for r in sizes:
        out = os.path.join(tmp, f"bench_{r}")
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        run_diagnosis(out, sims=r, seed=1, estimators=("dirichlet",), workers=2, progress=False)
        dt = time.perf_counter() - t0
        print(f"   {r:5d} replications: {dt:6.1f} s  ({r / dt:5.1f} replications/s)")
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=100, help="replications per measurement")
    p.add_argument("--skip-dask", action="store_true")
    p.add_argument("--dask-only", action="store_true", help="only the 1 vs 2 worker speed-up")
    p.add_argument("--tmp", default=os.environ.get("TMPDIR", "/tmp"))
    a = p.parse_args()
    print(
        f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}; numpy {np.__version__}"
    )
    assert replication_seed(1, 0).spawn_key == (0,)
    if a.dask_only:
        dask_speedup(max(a.reps, 100))
        return
    stages(min(a.reps, 50))
    per_core(a.reps)
    if not a.skip_dask:
        dask_speedup(max(a.reps, 100))
        growth([50, 100, 200, 400], a.tmp)


if __name__ == "__main__":
    main()
