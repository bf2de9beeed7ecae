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
   (cluster start-up and warm-up included, as a user sees it);
5. (``--cpu-run SIMS``) the CPU a whole diagnosis costs per replication in one
   process and on a 2-worker local cluster, each in a fresh process: imports,
   the population truth, start-up and the outputs included, with the CPU time of
   every process the run started (the fork server and the workers);
6. (``--throughput EST[,EST...]``) replications per CPU-second of the named
   estimators in one process, each on the scenario whose departure it remedies
   (:data:`REMEDY_SCENARIOS`; the population truth computed before the clock starts).
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
from leadblackhole.simulation import StudyDesign, population_truth, simulate

DESIGN = StudyDesign()

#: The scenario each estimator of ``--throughput`` runs on (default: ``default``).
REMEDY_SCENARIOS: dict[str, str] = {
    "dirichlet_eiv": "latent_shares",
    "dirichlet_rounded_eiv": "latent_shares",
    "dirichlet_marker": "method_factor_marker",
    "dirichlet_rounded_marker": "method_factor_marker",
    "dirichlet_cf": "endogenous_volume_iv",
    "dirichlet_rounded_cf": "endogenous_volume_iv",
    "dirichlet_heckman": "selection_x",
    "dirichlet_rounded_heckman": "selection_x",
}


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

    population_truth(DESIGN)
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


def throughput(estimators: list[str], repeats: int) -> None:
    """Replications per CPU-second of each estimator on its scenario (one process, 1 BLAS thread)."""
    from threadpoolctl import threadpool_limits

    from leadblackhole.diagnosis import scenario_design

    print(
        f"6. replications per CPU-second, one process, BLAS in one thread as in a Dask worker "
        f"({repeats} replications of N = 461)"
    )
    for name in estimators:
        scenario = REMEDY_SCENARIOS.get(name, "default")
        truth = population_truth(scenario_design(scenario, 461, 1.0))
        est = {name: ESTIMATORS[name]}
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
            warnings.simplefilter("ignore")
            run_chunk(scenario, 461, 1.0, [0], est, 1, truth)  # warm-up
            c0, t0 = time.process_time(), time.perf_counter()
            rows = run_chunk(scenario, 461, 1.0, list(range(repeats)), est, 1, truth)
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        failed = int((~rows.drop_duplicates(["rep"])["converged"]).sum())
        print(
            f"   {name:26s} {scenario:21s} {repeats / cpu:6.1f} per CPU-second "
            f"({1e3 * cpu / repeats:.1f} ms); wall {repeats / wall:6.1f}/s; {failed} failed "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
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


def _whole_run(workers: int, sims: int, estimators: str, out: str) -> None:
    """One diagnosis in this (fresh) process; prints the CPU seconds of every process it used.

    In one process: this process's CPU time (imports included). On a local cluster
    this process starts (the cluster ``run_diagnosis`` starts, passed by address):
    this process's CPU time plus that of every process it started (the fork server,
    the workers), read just before the cluster closes.
    """
    import resource
    import shutil

    import psutil

    shutil.rmtree(out, ignore_errors=True)
    ests = tuple(estimators.split(","))
    if workers == 0:
        run_diagnosis(out, sims=sims, seed=1, estimators=ests, workers=0, progress=False)
        children = 0.0
    else:
        with local_cluster(workers) as cluster:
            run_diagnosis(out, sims=sims, seed=1, estimators=ests,
                          scheduler=cluster.scheduler_address, progress=False)  # fmt: skip
            procs = psutil.Process().children(recursive=True)
            children = sum(sum(p.cpu_times()[:2]) for p in procs)
    me = resource.getrusage(resource.RUSAGE_SELF)
    shutil.rmtree(out, ignore_errors=True)
    print(f"{me.ru_utime + me.ru_stime + children:.3f}")


def cpu_run(sims: int, tmp: str, repeats: int, estimators: str) -> None:
    import subprocess
    import sys

    print(
        f"5. CPU of a whole diagnosis of {sims} studies (scenario default, estimators "
        f"{estimators}), imports, the population truth and every process included"
    )
    rows: dict[int, list[float]] = {0: [], 2: []}
    for i in range(repeats):
        for workers in (0, 2):  # alternated, so that both see the same load
            out = os.path.join(tmp, f"bench_cpu_{workers}_{i}")
            t0 = time.perf_counter()
            res = subprocess.run(
                [sys.executable, __file__, "--whole-run", str(workers), "--cpu-run", str(sims),
                 "--estimators", estimators, "--tmp", out],  # fmt: skip
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            cpu = float(res.stdout.strip().splitlines()[-1])
            rows[workers].append(cpu)
            print(f"   workers {workers}: {cpu:6.1f} CPU-s, {time.perf_counter() - t0:6.1f} s wall "
                  f"(load {os.getloadavg()[0]:.1f})")  # fmt: skip
    one, two = statistics.median(rows[0]), statistics.median(rows[2])
    print(f"   median: one process {one:.1f} CPU-s ({1e3 * one / sims:.1f} ms per replication), "
          f"2 workers {two:.1f} CPU-s ({1e3 * two / sims:.1f} ms): x{two / one:.2f}")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=100, help="replications per measurement")
    p.add_argument("--skip-dask", action="store_true")
    p.add_argument("--dask-only", action="store_true", help="only the 1 vs 2 worker speed-up")
    p.add_argument("--tmp", default=os.environ.get("TMPDIR", "/tmp"))
    p.add_argument(
        "--cpu-run", type=int, metavar="SIMS", default=0,
        help="only the CPU of whole diagnose runs of SIMS studies, one process against 2 workers",
    )  # fmt: skip
    p.add_argument("--repeats", type=int, default=3, help="runs per setting of --cpu-run")
    p.add_argument("--estimators", default="dirichlet", help="estimators of --cpu-run")
    p.add_argument(
        "--throughput", default=None, metavar="EST[,EST...]",
        help="only the replications per CPU-second of these estimators (--reps replications)",
    )  # fmt: skip
    p.add_argument("--whole-run", type=int, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.whole_run is not None:
        _whole_run(a.whole_run, a.cpu_run, a.estimators, a.tmp)
        return
    print(
        f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}; numpy {np.__version__}"
    )
    assert replication_seed(1, 0).spawn_key == (0,)
    if a.cpu_run:
        cpu_run(a.cpu_run, a.tmp, a.repeats, a.estimators)
        return
    if a.throughput:
        throughput(a.throughput.split(","), a.reps)
        return
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
