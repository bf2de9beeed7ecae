"""Time the study's main model (Dirichlet, with standard errors) on the default simulated data.

Run: ``.venv/bin/python benchmarks/bench_main_model.py [--repeats N]``.

Simulates the default study (``StudyDesign()``, the pipeline's seed), builds
the analysis frame, and times ``fit_main_model(frame)`` plus its standard
errors: the call ``leadblackhole fit`` makes. It also writes the frame's
shares and design columns to ``data/main_model.csv`` so that
``bench_main_model.R`` can time R DirichletReg on the same rows.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from leadblackhole.config import DEFAULT_SEED
from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.models import fit_main_model
from leadblackhole.models.main import main_model_exog
from leadblackhole.outputs import atomic_write_text
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.tables_text import table_to_csv

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    survey, _ = simulate(StudyDesign(), seed=DEFAULT_SEED)
    frame = build_analysis_frame(validate_survey(survey))
    exog = main_model_exog(frame)
    data = frame.data[["marketing", "self", "other"]].join(
        exog.drop(columns="Intercept").rename(
            columns=lambda c: c.replace(":", "_x_").replace("[T.", "_").replace("]", "")
        )
    )
    atomic_write_text(HERE / "data" / "main_model.csv", table_to_csv(data))

    res = fit_main_model(frame)
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        r = fit_main_model(frame)
        _ = r.bse
        times.append(time.perf_counter() - t0)
    print(
        f"default simulated study: {frame.n} reps, {len(res.params)} parameters, "
        f"llf {res.llf:.6f}, {res.iterations} Newton iterations"
    )
    print(
        f"fit_main_model + standard errors, median of {args.repeats}: "
        f"{1000 * statistics.median(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
