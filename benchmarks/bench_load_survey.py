"""Time and peak memory of ``load_survey`` by file format, with and without missing-value codes.

Run: ``.venv/bin/python benchmarks/bench_load_survey.py [--sizes 1000 10000 50000]``.

The survey is the default simulated one (seed 20130101) tiled to ``N`` reps with
new identifiers, written as CSV, ``.xlsx`` (openpyxl) and Stata ``.dta``; 1 % of
the ``pq_2`` answers are replaced by the code 99. Each file is loaded through a
codebook with ``[missing] all = [99]`` and ``quota_pct`` exempt (the cost of the
codes) and, for CSV, also without codes (the 99s would then fail validation, so
that run loads the clean file).
Prints the median wall time of ``repeats`` loads, the time per 1000 reps (flat
when the growth is linear in N) and the peak memory traced by ``tracemalloc``
during one more load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from leadblackhole.data import load_codebook, load_survey
from leadblackhole.outputs import table_to_csv
from leadblackhole.simulation import StudyDesign, simulate

SEED = 20130101


def survey_of(n: int, coded: bool):
    base = simulate(StudyDesign(), seed=SEED).survey
    reps = np.resize(np.arange(len(base)), n)
    df = base.iloc[reps].reset_index(drop=True)
    df["rep_id"] = [f"R{i:07d}" for i in range(1, n + 1)]
    if coded:
        rng = np.random.default_rng(SEED)
        df.loc[rng.choice(n, size=max(n // 100, 1), replace=False), "pq_2"] = 99
    return df


def timed(path: Path, codebook, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        load_survey(path, codebook=codebook)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    load_survey(path, codebook=codebook)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main(sizes: list[int], repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # quota_pct = []: 99 % of quota is a real answer (the loader would warn)
        (tmp / "codes.toml").write_text("[missing]\nall = [99]\nquota_pct = []\n")
        codes = load_codebook(tmp / "codes.toml")
        print(f"{'format':<14}{'N':>8}{'median s':>11}{'ms / 1000 reps':>16}{'peak MiB':>10}")
        for n in sizes:
            clean, coded = survey_of(n, False), survey_of(n, True)
            files = {
                "csv": (tmp / f"clean{n}.csv", clean, None),
                "csv+codes": (tmp / f"coded{n}.csv", coded, codes),
                "xlsx+codes": (tmp / f"coded{n}.xlsx", coded, codes),
                "dta+codes": (tmp / f"coded{n}.dta", coded, codes),
            }
            for label, (path, df, cb) in files.items():
                if path.suffix == ".csv":
                    path.write_text(table_to_csv(df))
                elif path.suffix == ".xlsx":
                    df.to_excel(path, index=False, engine="openpyxl")
                else:
                    df.to_stata(path, write_index=False, version=118)
                med, peak = timed(path, cb, repeats)
                print(f"{label:<14}{n:>8}{med:>11.3f}{med / n * 1e6:>16.1f}{peak:>10.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    main(args.sizes, args.repeats)
