"""Recompute the evidence tables of the documentation from a design diagnosis (``make evidence``).

Runs the grid of the docs' evidence on one local Dask cluster (or in this process
with ``--workers 0``), block by block, each block a resumable
:func:`leadblackhole.diagnosis.run_diagnosis` in ``OUT/<block>/`` (a rerun computes only
what is missing; an interrupted run loses at most the tasks in flight), then writes
every table between its generated-table markers in the pages of ``--docs``:

* docs/simulation.md: relative bias, coverage and power of every estimator under every
  departure (block ``scenarios``), and of the remedies (blocks ``corrections``, ``marker``,
  ``control_function``, ``selection``), SE/SD of the remedies;
* docs/corrections_evidence.md and docs/endogeneity.md: the rows of their remedies;
* docs/rounding.md: the floor check (``benchmarks/rounding_floor_check.py``).

Prints the time of every block and ``OUT/timing.csv``; with fewer than 200 studies it
also prints the estimate of the full grid (200 studies) from the timed blocks.

    python benchmarks/evidence.py --sims 200 --seed 2013 --out results/evidence --docs docs
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd
from dask.distributed import Client

from leadblackhole.diagnosis import local_cluster, run_diagnosis, scenario_design
from leadblackhole.reporting.evidence_tables import diagnosand_table, replace_generated
from leadblackhole.simulation import population_truth

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rounding_floor_check import floor_table  # noqa: E402

BASE = ("dirichlet", "ols", "fractional_logit", "dirichlet_rounded", "fmlogit")
MAIN = ("dirichlet", "dirichlet_rounded")
#: block -> (scenarios, estimators, N axis, effect-scale axis)
BLOCKS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...], tuple[float, ...]]] = {
    "scenarios": (
        (
            "default",
            "exact",
            "rounding_10",
            "exact_reporters",
            "latent_shares",
            "varying_precision",
            "selection",
            "firm_slopes",
            "method_factor",
            "endogenous_volume",
        ),
        BASE,
        (461,),
        (1.0,),
    ),  # fmt: skip
    "corrections": (
        ("latent_shares", "default"),
        ("dirichlet_eiv", "dirichlet_rounded_eiv"),
        (461,),
        (1.0,),
    ),  # fmt: skip
    "marker": (
        ("method_factor_marker", "method_factor_unequal_marker", "default_marker"),
        (*MAIN, "dirichlet_marker", "dirichlet_rounded_marker"),
        (461,),
        (1.0,),
    ),  # fmt: skip
    "control_function": (
        ("endogenous_volume_iv", "default_iv"),
        (*MAIN, "dirichlet_cf", "dirichlet_rounded_cf"),
        (461,),
        (1.0,),
    ),  # fmt: skip
    "selection": (
        ("selection_x", "default_x"),
        (*MAIN, "dirichlet_heckman", "dirichlet_rounded_heckman"),
        (461,),
        (1.0,),
    ),  # fmt: skip
    "power": (("default",), BASE, (150, 300, 461, 1000), (0.5, 1.0, 1.5)),
}
#: blocks run with this many times ``--sims`` studies: the remedies of unreliable scales and
#: common-method variance, whose reading (relative bias within 5%, coverage 0.93-0.97) needs
#: Monte Carlo standard errors a third of those of 200 studies (docs/corrections_evidence.md)
SIMS_FACTOR = {"corrections": 5, "marker": 5}
REMEDY_BLOCKS = ("corrections", "marker", "control_function", "selection")
#: page -> [(marker name, blocks, diagnosand)]
PAGES = {
    "simulation.md": [
        *[(f"scenarios_{v}", ("scenarios",), v) for v in ("relative_bias", "coverage", "power")],
        *[
            (f"remedies_{v}", REMEDY_BLOCKS, v)
            for v in ("relative_bias", "coverage", "power", "se_ratio")
        ],  # fmt: skip
    ],
    "corrections_evidence.md": [
        (f"corrections_{v}", ("corrections", "marker"), v)
        for v in ("relative_bias", "relative_bias_mcse", "coverage", "power", "se_ratio")
    ],
    "endogeneity.md": [
        (f"two_step_{v}", ("control_function", "selection"), v)
        for v in ("relative_bias", "coverage", "power", "se_ratio")
    ],
}


def run_blocks(out: Path, sims: int, seed: int, workers: int, blocks) -> pd.DataFrame:
    """Run the blocks (one cluster for all) and return their timing."""
    rows = []
    t0 = time.perf_counter()
    designs = {
        scenario_design(sc, n, s)
        for b in blocks
        for sc in BLOCKS[b][0]
        for n in BLOCKS[b][2]
        for s in BLOCKS[b][3]
    }
    for d in designs:  # the population truths, once (cached on disk when the Makefile says so)
        population_truth(d)
    rows.append({"block": "population truths", "cells": len(designs), "fits": 0,
                 "seconds": time.perf_counter() - t0})  # fmt: skip
    rows[0]["cpu_seconds"] = time.process_time()
    cluster = local_cluster(workers) if workers else None
    client = Client(cluster) if cluster is not None else None

    def cpu() -> float:  # this process and every worker
        theirs = sum(client.run(time.process_time).values()) if client is not None else 0.0
        return time.process_time() + theirs

    try:
        for b in blocks:
            c = cpu()
            scenarios, estimators, n_reps, scales = BLOCKS[b]
            t = time.perf_counter()
            res = run_diagnosis(
                out / b, sims=sims * SIMS_FACTOR.get(b, 1), seed=seed, n_reps=n_reps, effect_scales=scales,
                scenarios=scenarios, estimators=estimators, workers=0 if cluster is None else None,
                scheduler=cluster.scheduler_address if cluster is not None else None,
                progress=False,
            )  # fmt: skip
            dt = time.perf_counter() - t
            cells = len(scenarios) * len(n_reps) * len(scales)
            c = cpu() - c
            rows.append({"block": b, "cells": cells, "fits": res.n_computed, "seconds": dt,
                         "cpu_seconds": c})  # fmt: skip
            print(f"{b}: {res.n_computed} fits in {dt:.0f} s ({c:.0f} CPU-s)", flush=True)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return pd.DataFrame(rows)


def write_tables(out: Path, docs: Path) -> None:
    """Write every generated table of :data:`PAGES` from the blocks' diagnosands."""
    tables = {b: pd.read_csv(out / b / "diagnosands.csv") for b in BLOCKS if (out / b).exists()}
    for page, blocks in PAGES.items():
        path = docs / page
        text = path.read_text()
        for name, names, value in blocks:
            parts = [tables[b] for b in names if b in tables]
            if not parts:
                continue
            table = pd.concat(parts, ignore_index=True)
            text = replace_generated(text, name, generated_table(table, value))
        path.write_text(text)
    path = docs / "rounding.md"
    path.write_text(replace_generated(path.read_text(), "floor_check", floor_table()))
    if "power" in tables:
        DESIGN_POWER.write_text(design_power_csv(tables["power"]))


def generated_table(table: pd.DataFrame, value: str) -> str:
    """A caption and the table of one diagnosand; a column of studies when the rows differ.

    A row without studies (an estimator that does not apply to the scenario, shown as "–")
    does not count as a different number of studies.
    """
    counts = sorted({int(n) for n in table["n_sims"] if n > 0})
    if len(counts) == 1:
        caption = f"N = 461, effect scale 1, {counts[0]} studies per cell (`make evidence`):\n\n"
        return caption + diagnosand_table(table, value)
    caption = "N = 461, effect scale 1, studies per cell as shown (`make evidence`):\n\n"
    return caption + diagnosand_table(table, value, studies=True)


#: The default design's power by N that the report shows beside simulated estimates.
DESIGN_POWER = Path(__file__).resolve().parents[1] / "src/leadblackhole/reporting/design_power.csv"


def design_power_csv(power: pd.DataFrame) -> str:
    """The ``power`` block's rows at effect scale 1: estimator, N, hypothesis, power, studies."""
    rows = power[(power["scenario"] == "default") & (power["effect_scale"] == 1.0)]
    rows = rows[["estimator", "n_reps", "id", "power", "n_sims"]].sort_values(
        ["estimator", "n_reps", "id"], kind="stable"
    )
    head = "# generated by benchmarks/evidence.py (make evidence); do not edit\n"
    return head + rows.to_csv(index=False, lineterminator="\n", float_format="%.4g")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sims", type=int, default=200)
    p.add_argument("--seed", type=int, default=2013)
    p.add_argument("--out", type=Path, default=Path("results/evidence"))
    p.add_argument("--docs", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--blocks", nargs="+", default=list(BLOCKS), choices=list(BLOCKS))
    p.add_argument("--tables-only", action="store_true", help="only write the tables")
    a = p.parse_args()
    if not a.tables_only:
        timing = run_blocks(a.out, a.sims, a.seed, a.workers, a.blocks)
        timing["sims"] = a.sims
        timing.to_csv(a.out / "timing.csv", index=False)
        if a.sims < 200:
            # The truths do not grow with the studies; every block's CPU grows linearly in
            # them. CPU rather than wall time: on a shared machine the wall time measures
            # the other jobs too. The full grid's wall time on `workers` free cores is its
            # CPU over the cores (the truths run in this process, before the blocks).
            fixed = timing["cpu_seconds"].iloc[0]
            scaled = timing["cpu_seconds"].iloc[1:].sum() * 200 / a.sims
            print(f"estimated full grid (200 studies): {fixed:.0f} CPU-s of population truths "
                  f"+ {scaled:.0f} CPU-s of blocks; on {a.workers} free cores "
                  f"{(fixed + scaled / max(a.workers, 1)) / 60:.1f} min")  # fmt: skip
    write_tables(a.out, a.docs)
    print(f"tables written in {a.docs}")


if __name__ == "__main__":
    main()
