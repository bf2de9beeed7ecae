"""Running a design diagnosis: the grid, its tasks, their checkpoints and the Dask cluster.

:func:`run_diagnosis` splits the grid (scenario x N x effect scale x
replication x estimator) into tasks of :func:`~leadblackhole.diagnosis.replications.run_chunk`,
runs those an earlier, interrupted run did not finish, on Dask (a local
cluster, or an existing one) or in this process, writes one part file per
finished task, and gathers the parts into the output tables.

Outputs of :func:`run_diagnosis` (in ``out``)
---------------------------------------------
``replications.parquet``
    One row per scenario x N x effect scale x replication x estimator x
    effect. While a run is under way, each finished task writes a part file
    in ``replications.parts/``; a rerun of the same command reads them and
    runs only what is missing, so an interrupted run loses at most the tasks
    in flight.
``diagnosands.csv``
    See :func:`~leadblackhole.diagnosis.diagnosands.diagnosands`.
``mde.csv``
    See :func:`~leadblackhole.diagnosis.diagnosands.minimum_detectable_scale`.

Both CSV files end with a ``data_source`` column, ``simulated (seed S)`` with the
run's master seed (:func:`leadblackhole.data.source.simulated_column`).
"""

from __future__ import annotations

import io
import json
import math
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.source import simulated_column
from ..exceptions import DiagnosisError
from ..outputs import atomic_write_bytes, atomic_write_text, table_to_csv
from ..registry import HYPOTHESES
from ..simulation import population_truth
from .diagnosands import diagnosands, minimum_detectable_scale
from .estimators import ESTIMATORS
from .replications import CELL_COLUMNS, run_chunk, typed_replications
from .scenarios import resolve_scenario, scenario_design

__all__ = [
    "PARTS_DIR",
    "WORKER_MALLOC_ENV",
    "DiagnosisResult",
    "local_cluster",
    "run_diagnosis",
]

_ORDER = {h.id: i for i, h in enumerate(HYPOTHESES)}


@dataclass(frozen=True, eq=False)
class DiagnosisResult:
    """What :func:`run_diagnosis` returns (and wrote to ``out``).

    Attributes
    ----------
    replications, diagnosands, mde : DataFrame
        The contents of ``replications.parquet``, ``diagnosands.csv``, ``mde.csv``.
    paths : dict
        Output name -> path.
    n_computed : int
        Replication x estimator fits computed in this call (the rest were
        read from an earlier, interrupted run).
    seconds : float
        Wall time of this call.
    """

    replications: pd.DataFrame
    diagnosands: pd.DataFrame
    mde: pd.DataFrame
    paths: dict
    n_computed: int
    seconds: float


PARTS_DIR = "replications.parts"
_RUN_FILE = "diagnosis.json"


def _check_scheduler(scheduler: str | None, timeout: float) -> None:
    """A Dask scheduler address with a host and a port, and a finite timeout above 0."""
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
        raise DiagnosisError(
            f"the connect timeout must be a number of seconds above 0; got {timeout!r}"
        )
    if scheduler is None:
        return
    from distributed.comm.addressing import get_address_host_port

    try:
        get_address_host_port(scheduler)
    except ValueError as exc:
        raise DiagnosisError(
            f"--scheduler {scheduler!r} is not the address of a Dask scheduler ({exc}); give "
            "one like tcp://HOST:PORT (the address the scheduler prints when it starts)"
        ) from None


def _check_options(sims, n_reps, effect_scales, scenarios, estimators, chunk_size, workers):
    if sims < 1:
        raise DiagnosisError(f"--sims must be at least 1, got {sims}")
    if chunk_size < 1:
        raise DiagnosisError(f"the chunk size must be at least 1, got {chunk_size}")
    if workers is not None and workers < 0:
        raise DiagnosisError(f"--workers must be >= 0, got {workers}")
    if not n_reps or any(n < 30 for n in n_reps):
        raise DiagnosisError(f"every N of --n-reps must be at least 30, got {list(n_reps)}")
    if not effect_scales or any(not np.isfinite(s) or s < 0 for s in effect_scales):
        raise DiagnosisError(f"effect scales must be >= 0, got {list(effect_scales)}")
    for s in scenarios:
        resolve_scenario(s)
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown or not estimators:
        raise DiagnosisError(
            f"unknown estimator(s) {unknown or '(none given)'}; known: {', '.join(ESTIMATORS)}"
        )


def _cell_key(scenario: str, n: int, scale: float) -> str:
    return f"{scenario}-n{n}-s{scale:g}"


#: Columns a part file must hold for a resumed run to tell which fits it already has.
_PART_COLUMNS: tuple[str, ...] = (*CELL_COLUMNS, "rep", "estimator", "id")


def _read_part(path: Path) -> pd.DataFrame:
    """One part file, or :class:`DiagnosisError` saying it is damaged and what to do."""
    advice = (
        f"delete it and rerun the same command: the replications it held are computed again "
        f"(the others in {path.parent.name}/ are kept)"
    )
    try:
        df = pd.read_parquet(path)
    except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise DiagnosisError(f"{path} cannot be read ({exc}); {advice}") from None
    missing = [c for c in _PART_COLUMNS if c not in df.columns]
    if missing:
        raise DiagnosisError(
            f"{path} is not a part of a diagnosis (it lacks the columns {missing}); {advice}"
        )
    return df


def _read_parts(parts: Path) -> pd.DataFrame:
    files = sorted(parts.glob("*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([_read_part(f) for f in files], ignore_index=True)


def _check_run_record(out: Path, seed: int) -> None:
    """Check the folder's record of its seed (``diagnosis.json``), or write it for a new run.

    Raises :class:`DiagnosisError` when the record is not JSON holding a whole-number
    seed, names another seed, or is missing while the folder holds replications
    (their seed is then unknown: continuing them under any seed could mislabel them).
    """
    run_file = out / _RUN_FILE
    afresh = f"to start afresh, delete the folder {out} or give another --out"
    if run_file.exists():
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8"))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
            raise DiagnosisError(
                f"{run_file} is not the record of a diagnosis (not JSON: {exc}); the seed of "
                f"the replications in {out} is unknown; {afresh}"
            ) from None
        recorded = previous.get("seed") if isinstance(previous, dict) else None
        if isinstance(recorded, bool) or not isinstance(recorded, int):
            raise DiagnosisError(
                f"{run_file} records no seed (a whole number under 'seed'); the seed of the "
                f"replications in {out} is unknown; {afresh}"
            )
        if recorded != seed:
            raise DiagnosisError(
                f"{out} holds a diagnosis with seed {recorded}; use another folder for seed {seed}"
            )
        return
    parts = out / PARTS_DIR
    earlier = [f"{PARTS_DIR}/{p.name}" for p in parts.glob("*.parquet")] if parts.is_dir() else []
    earlier = sorted(earlier)[:1] + [f"{len(earlier) - 1} more parts"] * (len(earlier) > 1)
    if (out / "replications.parquet").exists():
        earlier.append("replications.parquet")
    if earlier:
        raise DiagnosisError(
            f"{out} holds replications of an earlier diagnosis ({', '.join(earlier)}) but "
            f"not its record {_RUN_FILE}, so the seed they were drawn with is unknown and they "
            f"cannot be continued with seed {seed}; {afresh}"
        )
    atomic_write_text(run_file, json.dumps({"seed": seed}) + "\n")


def _part_name(scenario, n, scale, reps, estimators) -> str:
    tag = zlib.crc32(",".join(estimators).encode()) & 0xFFFFFFFF
    return f"{_cell_key(scenario, n, scale)}-r{reps[0]:06d}-{reps[-1]:06d}-{tag:08x}.parquet"


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow")
    return buf.getvalue()


def _tasks(done: pd.DataFrame, grid, sims: int, estimators: Sequence[str], chunk_size: int):
    """Chunks of (cell, reps, estimators) still to compute."""
    have: dict[tuple, set[str]] = {}
    if len(done):
        pairs = done[[*CELL_COLUMNS, "rep", "estimator"]].drop_duplicates()
        for sc, n, s, rep, est in pairs.itertuples(index=False):
            have.setdefault((sc, int(n), float(s), int(rep)), set()).add(est)
    tasks = []
    for sc, n, s in grid:
        pending: list[tuple[int, tuple[str, ...]]] = []
        for rep in range(sims):
            missing = tuple(e for e in estimators if e not in have.get((sc, n, s, rep), set()))
            if missing:
                pending.append((rep, missing))
        i = 0
        while i < len(pending):
            missing = pending[i][1]
            reps = []
            while i < len(pending) and pending[i][1] == missing and len(reps) < chunk_size:
                reps.append(pending[i][0])
                i += 1
            tasks.append((sc, n, s, reps, missing))
    return tasks


#: glibc allocator settings of the local cluster's worker processes (bytes; see
#: :func:`local_cluster`).
WORKER_MALLOC_ENV: dict[str, str] = {
    "MALLOC_TRIM_THRESHOLD_": str(64 * 2**20),
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
}


#: Dask settings of the local cluster (its scheduler, nannies and workers): no statistical
#: profiler, no GIL monitor, and the periodic bookkeeping of a long-lived interactive cluster
#: slowed down to what a batch run needs (see :func:`local_cluster`).
WORKER_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.multiprocessing-method": "forkserver",
    # the event-loop health check of every server: every 20 ms by default
    "distributed.admin.tick.interval": "1s",
    # psutil's CPU, memory and disk readings of every server: every 500 ms by default
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.disk": False,
    # the nannies' check of the workers' memory: every 100 ms by default
    "distributed.worker.memory.monitor-interval": "1s",
    # the active memory manager moves replicas of results between workers: none here
    "distributed.scheduler.active-memory-manager.start": False,
}
#: Modules the local cluster's fork server imports once, before it forks the workers.
WORKER_PRELOAD: tuple[str, ...] = (
    "distributed",
    "numpy",
    "pandas",
    "scipy",
    "leadblackhole.diagnosis",
    "leadblackhole.models",
    "leadblackhole.effects",
    "leadblackhole.corrections",
)


def local_cluster(n_workers: int):
    """A ``LocalCluster`` of ``n_workers`` single-threaded worker processes.

    Notes
    -----
    Dask starts its worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``
    (configuration ``distributed.nanny.pre-spawn-environ``), so that a worker
    hands freed memory back to the operating system at once. Setting it also
    turns off glibc's dynamic mmap threshold: every array above 128 KiB is then
    mapped and unmapped afresh, and a replication of the main model, whose
    effects stack arrays of a few hundred KiB, took about 6 900 page faults and
    15 ms of system time (44 ms of CPU against 25 ms in one process). The
    workers of this cluster start with :data:`WORKER_MALLOC_ENV` instead: the
    state glibc's dynamic thresholds reach by themselves (mmap above 32 MiB,
    trim above 64 MiB), under which a replication costs the same CPU in a
    worker as in one process. BLAS stays single-threaded in each worker
    (Dask's default ``OMP_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1``). A
    variable already set in the environment takes precedence (Dask's rule).

    The workers are forked from a fork server that has imported
    :data:`WORKER_PRELOAD` (the estimators' modules included), so the imports
    are paid once per cluster rather than once per worker, and the cluster runs
    with :data:`WORKER_CONFIG`: no statistical profiler (Dask samples the running
    task's stack every 10 ms) and no GIL monitor, which only cost CPU in a batch
    run, and Dask's periodic checks (the event-loop tick every 20 ms, psutil
    readings every 500 ms, the nannies' memory checks every 100 ms, the active
    memory manager) at intervals of a second or more. That work is per second of
    wall time: on a 2-core machine at load average 9-12 it took about 2 ms of CPU
    per replication of the main model in each worker and 1 CPU-second per 400
    replications in the client (0.2-0.5 ms and 0.3-0.4 CPU-seconds with these
    settings). With the population truth computed in the client
    (:func:`run_diagnosis`), a 2-worker cluster spends about the CPU per
    replication of one process (benchmarks/bench_diagnose.py ``--cpu-run``).
    """
    import logging

    import dask
    from dask.distributed import LocalCluster
    from distributed.utils import get_mp_context

    key = "distributed.nanny.pre-spawn-environ"
    settings = {f"{key}.{k}": v for k, v in WORKER_MALLOC_ENV.items()} | WORKER_CONFIG
    with dask.config.set(settings):
        # Dask's own preload list is set on first use; this one replaces it (the fork
        # server reads it when it starts, with the first worker)
        get_mp_context().set_forkserver_preload(list(WORKER_PRELOAD))
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )


def _connect(workers: int | None, scheduler: str | None, timeout: float):
    """A Dask client (and the LocalCluster it owns, if any)."""
    import os

    from dask.distributed import Client

    if scheduler:
        try:
            return Client(scheduler, timeout=timeout), None
        except (OSError, TimeoutError) as exc:
            raise DiagnosisError(
                f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s ({exc})"
            ) from None
    cluster = local_cluster(workers or os.cpu_count() or 1)
    return Client(cluster), cluster


def run_diagnosis(
    out: str | Path,
    *,
    sims: int,
    seed: int,
    n_reps: Sequence[int] = (461,),
    effect_scales: Sequence[float] = (1.0,),
    scenarios: Sequence[str] = ("default",),
    estimators: Sequence[str] = ("dirichlet", "ols", "fractional_logit"),
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 25,
    progress: bool = True,
    connect_timeout: float = 10.0,
) -> DiagnosisResult:
    """Run (or resume) a design diagnosis and write its tables to ``out``.

    Parameters
    ----------
    out : path
        Output folder (created). Holds ``replications.parquet``,
        ``diagnosands.csv``, ``mde.csv``, ``diagnosis.json`` (the seed) and,
        while a run is under way, ``replications.parts/``.
    sims : int
        Replications per cell.
    seed : int
        Master seed; replication ``i`` uses :func:`replication_seed` ``(seed, i)``.
    n_reps : sequence of int
        Analysable reps per simulated study (the N axis).
    effect_scales : sequence of float
        Multipliers of every slope (the effect-size axis).
    scenarios : sequence of str
        Names in :data:`SCENARIOS`.
    estimators : sequence of str
        Names in :data:`ESTIMATORS`.
    workers : int, optional
        Worker processes of the local Dask cluster (default: one per core);
        ``0`` runs every task in this process without Dask.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://HOST:PORT``); then
        ``workers`` is ignored.
    chunk_size : int
        Replications per Dask task (default 25).
    progress : bool
        Show a progress bar (tqdm).
    connect_timeout : float
        Seconds to wait for ``scheduler`` (finite, above 0).

    Returns
    -------
    DiagnosisResult

    Raises
    ------
    DiagnosisError
        Bad options, a folder holding a run with another seed (or replications
        without the record of their seed, or a record that cannot be read), a
        damaged part file, or an unreachable scheduler.

    Notes
    -----
    Results do not depend on the number of workers, the chunk size or the
    order in which tasks finish: every replication draws from its own seed,
    the final tables are sorted, and a rerun of the same call with more
    replications, scenarios or estimators computes only what is missing.

    Examples
    --------
    >>> res = run_diagnosis("diag", sims=20, seed=1, workers=0)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    n_reps = [int(n) for n in n_reps]
    effect_scales = [float(s) for s in effect_scales]
    scenarios, estimators = list(scenarios), list(estimators)
    _check_options(sims, n_reps, effect_scales, scenarios, estimators, chunk_size, workers)
    _check_scheduler(scheduler, connect_timeout)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _check_run_record(out, seed)
    parts = out / PARTS_DIR
    parts.mkdir(exist_ok=True)
    done = _read_parts(parts)
    grid = [(sc, n, s) for sc in scenarios for n in n_reps for s in effect_scales]
    tasks = _tasks(done, grid, sims, estimators, chunk_size)
    chosen = {e: ESTIMATORS[e] for e in estimators}
    n_computed = 0
    if tasks:
        n_computed = _execute(tasks, chosen, seed, parts, workers, scheduler, progress,
                              connect_timeout)  # fmt: skip
    reps = _read_parts(parts)
    reps = _select(reps, scenarios, n_reps, effect_scales, estimators, sims)
    table = diagnosands(reps)
    mde = minimum_detectable_scale(table)
    paths = {
        "replications.parquet": atomic_write_bytes(
            out / "replications.parquet", _parquet_bytes(reps)
        )
    }
    for name, df in (("diagnosands.csv", table), ("mde.csv", mde)):  # labelled as simulated
        csv = table_to_csv(df, data_source=simulated_column(seed))
        paths[name] = atomic_write_text(out / name, csv)
    return DiagnosisResult(
        replications=reps,
        diagnosands=table,
        mde=mde,
        paths=paths,
        n_computed=n_computed,
        seconds=time.perf_counter() - t0,
    )


def _select(reps, scenarios, n_reps, scales, estimators, sims) -> pd.DataFrame:
    """The requested rows, without duplicates, in a fixed order."""
    if not len(reps):
        raise DiagnosisError("no replication was computed")
    keep = (
        reps["scenario"].isin(scenarios)
        & reps["n_reps"].isin(n_reps)
        & reps["effect_scale"].isin(scales)
        & reps["estimator"].isin(estimators)
        & (reps["rep"] < sims)
    )
    reps = reps[keep].drop_duplicates([*CELL_COLUMNS, "rep", "estimator", "id"])
    order = pd.DataFrame(
        {
            "_sc": reps["scenario"].map({s: i for i, s in enumerate(scenarios)}),
            "_n": reps["n_reps"].map({n: i for i, n in enumerate(n_reps)}),
            "_s": reps["effect_scale"].map({s: i for i, s in enumerate(scales)}),
            "_e": reps["estimator"].map({e: i for i, e in enumerate(estimators)}),
            "_rep": reps["rep"],
            "_id": reps["id"].map(_ORDER),
        }
    )
    idx = order.sort_values(list(order.columns), kind="stable").index
    return typed_replications(reps.loc[idx].reset_index(drop=True))


def _execute(tasks, estimators, seed, parts, workers, scheduler, progress, timeout) -> int:
    """Run the tasks (on Dask unless ``workers == 0``), writing a part file per finished task."""
    # the text bar of the other steps, not tqdm.auto: in a notebook without ipywidgets,
    # importing tqdm.auto warns with the path of the installed tqdm (the executed copy
    # would then depend on where the package is installed)
    from tqdm import tqdm

    total = sum(len(t[3]) * len(t[4]) for t in tasks)
    bar = tqdm(total=total, desc="design diagnosis", unit="fit", disable=not progress)

    def finish(task, df):
        sc, n, s, reps, est = task
        atomic_write_bytes(parts / _part_name(sc, n, s, reps, est), _parquet_bytes(df))
        bar.update(len(reps) * len(est))

    truths: dict[tuple, object] = {}

    def args(task):
        sc, n, s, reps, est = task
        if (sc, n, s) not in truths:  # once per cell, here, not in every worker
            truths[sc, n, s] = population_truth(scenario_design(sc, n, s))
        return (sc, n, s, reps, {e: estimators[e] for e in est}, seed, truths[sc, n, s])

    try:
        if workers == 0 and not scheduler:
            for task in tasks:
                finish(task, run_chunk(*args(task)))
            return total
        from dask.distributed import as_completed

        client, cluster = _connect(workers, scheduler, timeout)
        try:
            futures = {client.submit(run_chunk, *args(t), pure=False): t for t in tasks}
            for fut in as_completed(futures):
                finish(futures[fut], fut.result())
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    finally:
        bar.close()
    return total
