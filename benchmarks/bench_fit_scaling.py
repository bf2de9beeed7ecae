"""How ``leadblackhole fit`` scales with the number of reps: wall time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_fit_scaling.py [N ...]`` (default 461 5000 50000
200000). For each N it simulates a survey (``leadblackhole simulate --n-reps N``, not timed),
then runs ``leadblackhole fit`` in a child process and prints its wall time, its peak
resident memory (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` of the child) and the
time per 1 000 reps, with the machine's load average, since other processes sharing the
cores inflate the times.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SIZES = (461, 5_000, 50_000, 200_000)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "leadblackhole.cli", *args]


def measure(n: int, folder: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``fit`` on a simulated survey of ``n`` reps."""
    survey = folder / f"reps_{n}.csv"
    subprocess.run(
        _cli("simulate", "--n-reps", str(n), "--out", str(survey)), check=True, capture_output=True
    )
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run each fit in its own
    # grandchild-free process and read the figure through a wrapper child.
    code = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "w = time.perf_counter() - t;"
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    args = _cli("fit", str(survey), "--out", str(folder / f"out_{n}"), "--no-progress")
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    wall, rss_kb = out.stdout.split()
    return float(wall), float(rss_kb) / 1024


def main(sizes: tuple[int, ...] = DEFAULT_SIZES) -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            t0 = time.strftime("%H:%M:%S")
            wall, rss = measure(n, Path(tmp))
            print(
                f"fit on {n:>7d} reps: {wall:7.1f} s, peak memory {rss:7.0f} MB, "
                f"{1000 * wall / n:6.2f} s per 1000 reps (started {t0}, "
                f"load {os.getloadavg()[0]:.1f})",
                flush=True,
            )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or DEFAULT_SIZES)
