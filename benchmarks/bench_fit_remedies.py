"""What each remedy option adds to ``leadblackhole fit``: wall and CPU time by number of reps.

Run: ``.venv/bin/python benchmarks/bench_fit_remedies.py [N ...]`` (default 461). For each N
it simulates one survey with a campaign budget (instrument), an exclusion variable, a
three-item marker scale and 10% of reps without marketing-lead time (``StudyDesign``, seed 3;
not timed), then runs ``leadblackhole fit`` in a child process, once plain and once per
remedy option (``--errors-in-variables``, ``--marker marker``, ``--instrument
campaign_budget``, ``--selection-instrument lead_access``; the corrections with their default
two-step sandwich standard errors), and prints each wall time and CPU time (of the child) and
their excess over the plain fit, with the machine's load average (other processes sharing the
cores inflate the wall times more than the CPU times).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.tables_text import table_to_csv

OPTIONS: dict[str, list[str]] = {
    "plain": [],
    "--errors-in-variables": ["--errors-in-variables"],
    "--marker": ["--marker", "marker"],
    "--instrument": ["--instrument", "campaign_budget"],
    "--selection-instrument": ["--selection-instrument", "lead_access"],
}


def survey(n: int, folder: Path) -> tuple[Path, Path]:
    """A survey of ``n`` analysable reps with every extra column, and its codebook."""
    design = StudyDesign(
        n_reps=n,
        instrument_strength=0.5,
        selection_exclusion=0.8,
        marker_items=3,
        n_zero_marketing=max(n // 10, 10),
    )
    data, _ = simulate(design, seed=3)
    path, cb = folder / f"reps_{n}.csv", folder / "codebook.toml"
    path.write_text(table_to_csv(data))
    cb.write_text('[scales.marker]\nitems = ["mk_1", "mk_2", "mk_3"]\n')
    return path, cb


def wall(args: list[str]) -> tuple[float, float, float]:
    """Wall and CPU seconds and peak resident MB of ``leadblackhole`` with ``args`` (a child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "leadblackhole.cli", *args], check=True, stdout=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return seconds, cpu, after.ru_maxrss / 1024


def main(sizes: tuple[int, ...] = (461,)) -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path, cb = survey(n, Path(tmp))
            base = None
            for label, extra in OPTIONS.items():
                out = Path(tmp) / f"out_{n}_{len(extra)}_{label.strip('-')}"
                args = ["fit", str(path), "--codebook", str(cb), "--out", str(out)]
                seconds, cpu, rss = wall([*args, "--no-progress", *extra])
                base = (seconds, cpu) if base is None else base
                print(
                    f"{n:>7d} reps  {label:<24s} {seconds:7.1f} s  (+{seconds - base[0]:6.1f} s over "
                    f"the plain fit), CPU {cpu:6.1f} s (+{cpu - base[1]:6.1f} s); "
                    f"largest child so far {rss:.0f} MB; load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (461,))
