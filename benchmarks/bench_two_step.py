"""Fit time and peak memory of the two-step share models with their standard errors.

For each size, a child process simulates a survey with an endogenous lead volume
and a campaign budget (``StudyDesign(volume_routing=0.3, volume_confounding=0.3,
instrument_strength=0.5)``) or with selection and an exclusion variable, builds
the analysis frame, and times the fit (both steps and the two-step covariance)
and the registry effects (with the first stage's error in the delta method), the
work of ``fit --endogenous volume --instrument campaign_budget``. Peak memory is
the child's maximum resident set size. Run::

    python benchmarks/bench_two_step.py --sizes 461 5000 50000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def child(model: str, n: int) -> dict:
    import warnings

    from leadblackhole.data import attach_extra_columns, build_analysis_frame, validate_survey
    from leadblackhole.effects.two_step import two_step_effects
    from leadblackhole.models import fit_share_model
    from leadblackhole.simulation import StudyDesign, simulate

    if "heckman" in model:
        design = StudyDesign(
            n_reps=n,
            n_zero_marketing=n // 4,
            selection_coef={"performance": -0.5, "experience": -0.3},
            selection_rho=0.5,
            selection_exclusion=1.0,
        )
        extra, options = ["lead_access"], {"exclusion": ["lead_access"]}
    else:
        design = StudyDesign(
            n_reps=n, volume_routing=0.3, volume_confounding=0.3, instrument_strength=0.5
        )
        extra, options = ["campaign_budget"], {"instruments": ["campaign_budget"]}
    survey, _ = simulate(design, seed=1)
    survey = validate_survey(survey, extra_columns=extra)
    frame = attach_extra_columns(build_analysis_frame(survey), survey, extra)
    import tracemalloc

    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        res = fit_share_model(frame, model, **options)
        fit = time.perf_counter() - start
        start = time.perf_counter()
        two_step_effects(res, frame)
        effects = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"model": model, "n": n, "fit_s": fit, "effects_s": effects, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[461, 5000, 50000])
    parser.add_argument(
        "--models",
        nargs="+",
        default=["dirichlet_cf", "dirichlet_rounded_cf", "dirichlet_heckman"],
    )
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    print(
        "| model | reps | fit with two-step SEs (s) | effects (s) | total (s) | peak memory (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for model in args.models:
        for n in args.sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--child", model, str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            total = r["fit_s"] + r["effects_s"]
            print(
                f"| {model} | {n} | {r['fit_s']:.2f} | {r['effects_s']:.2f} | {total:.2f} | "
                f"{r['peak_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
