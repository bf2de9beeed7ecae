"""Monte Carlo study of the rounding-aware Dirichlet regression on rounded percents.

For each rounding step (5 and 10 percentage points) and each reporting
mechanism, the script simulates ``--reps`` studies of ``--n`` reps from the
package's population model (:class:`leadblackhole.simulation.StudyDesign`),
fits the rounding-aware main model (``fit_rounded_main_model``, marketing
floor) and the exact-share Dirichlet main model (``fit_main_model``) to each,
computes the registry effects H1-H11 and E1 on the share scale
(``leadblackhole.effects.model_effects``, unconditional variance) and compares
them with their population values (``truth.effects``). It prints, per
hypothesis, the relative bias and the coverage of the 95% intervals of both
models, with Monte Carlo standard errors.

Reporting mechanisms:

* ``nearest``: the rounding the rounding-aware model assumes. The simulator
  draws exact shares (``heap_step=0``); the marketing and self percents are
  rounded to the nearest multiple of the step, the marketing percent is at
  least one step (every analysable rep has some marketing time), and the
  other percent is the remainder.
* ``simulator``: the simulator's own heaping (``StudyDesign(heap_step=step)``):
  largest-remainder rounding of all three percents, marketing at least one
  step. Not the model's assumption: a robustness check.
* ``unrounded``: the very studies of ``nearest`` with the exact percents, fitted
  with the exact-share model only: the benchmark of a correctly specified
  model on the same draws.

Every draw uses ``numpy.random.default_rng([seed, step, mechanism, i])``.

Usage::

    python benchmarks/mc_rounding.py --reps 200 --n 2000 [--steps 5 10]
        [--mechanisms nearest simulator] [--out mc_rounding.csv]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import model_effects
from leadblackhole.exceptions import ConvergenceWarning, ZeroShareWarning
from leadblackhole.models import fit_main_model, fit_rounded_main_model
from leadblackhole.simulation import StudyDesign, simulate

PCT = ["pct_marketing", "pct_self", "pct_other"]
MECHANISMS = ("nearest", "simulator", "unrounded")


def round_nearest(survey: pd.DataFrame, step: int) -> pd.DataFrame:
    """Marketing and self percents to the nearest step (marketing >= step); other the rest."""
    out = survey.copy()
    m = np.maximum(np.round(survey["pct_marketing"].to_numpy() / step) * step, step)
    s = np.round(survey["pct_self"].to_numpy() / step) * step
    s = np.minimum(s, 100 - m)  # only binds on a measure-zero tie
    out["pct_marketing"], out["pct_self"], out["pct_other"] = m, s, 100 - m - s
    return out


def one_replication(step: int, mechanism: str, n: int, seed: int, i: int) -> pd.DataFrame:
    """Effects of both models on one simulated study, with coverage indicators."""
    # "unrounded" draws the very studies of "nearest" and leaves the percents exact
    mech_id = MECHANISMS.index("nearest" if mechanism == "unrounded" else mechanism)
    rng = np.random.default_rng([seed, step, mech_id, i])
    heap = step if mechanism == "simulator" else 0
    survey, truth = simulate(StudyDesign(n_reps=n, heap_step=heap), seed=rng)
    if mechanism == "nearest":
        survey = round_nearest(survey, step)
    frame = build_analysis_frame(validate_survey(survey))
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        fits = [
            ("dirichlet_rounded", lambda f: fit_rounded_main_model(f, step=step)),
            ("dirichlet", fit_main_model),
        ]
        for model, fit in fits[1:] if mechanism == "unrounded" else fits:
            try:
                res = fit(frame)
            except ConvergenceWarning:
                continue
            eff = model_effects(res, frame).set_index("id")
            value = truth.effects["value"].reindex(eff.index)
            rows.append(
                pd.DataFrame(
                    {
                        "step": step,
                        "mechanism": mechanism,
                        "replication": i,
                        "model": model,
                        "id": eff.index,
                        "truth": value.to_numpy(),
                        "estimate": eff["estimate"].to_numpy(),
                        "std_error": eff["std_error"].to_numpy(),
                        "covered": (
                            (eff["conf_low"] <= value) & (value <= eff["conf_high"])
                        ).to_numpy(),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    """Relative bias, coverage and their Monte Carlo standard errors."""
    keys = ["step", "mechanism", "model", "id"]

    def agg(g: pd.DataFrame) -> pd.Series:
        k = len(g)
        truth = g["truth"].iloc[0]
        bias = g["estimate"].mean() - truth
        cover = g["covered"].mean()
        return pd.Series(
            {
                "truth": truth,
                "rel_bias": bias / truth,
                "rel_bias_mcse": g["estimate"].std(ddof=1) / np.sqrt(k) / abs(truth),
                "coverage": cover,
                "coverage_mcse": np.sqrt(max(cover * (1 - cover), 1e-12) / k),
                "se_sd_ratio": g["std_error"].mean() / g["estimate"].std(ddof=1),
                "n_fits": k,
            }
        )

    return raw.groupby(keys, sort=False)[list(raw.columns)].apply(agg).reset_index()


def _fmt_bias(v: float, se: float) -> str:
    return "–" if not np.isfinite(v) else f"{100 * v:+.1f}% ({100 * se:.1f})"


HYPS = [f"H{k}" for k in range(1, 12)]


def markdown(summary: pd.DataFrame) -> str:
    """One table per step: every (mechanism, model) present, H1-H11 and E1, and a pooled line."""
    out = []
    columns = [
        ("nearest", "dirichlet_rounded", "rounding-aware, nearest"),
        ("nearest", "dirichlet", "exact-share, nearest"),
        ("unrounded", "dirichlet", "exact-share, unrounded"),
        ("simulator", "dirichlet_rounded", "rounding-aware, simulator heaping"),
        ("simulator", "dirichlet", "exact-share, simulator heaping"),
    ]
    for step, block in summary.groupby("step", sort=True):
        present = [
            c for c in columns if ((block["mechanism"] == c[0]) & (block["model"] == c[1])).any()
        ]
        idx = block.set_index(["mechanism", "model", "id"]).sort_index()
        ids = list(dict.fromkeys(block["id"]))
        out.append(f"\nStep {step}: relative bias % (MC SE) / coverage / SE/SD\n")
        out.append("| id | truth | " + " | ".join(c[2] for c in present) + " |")
        out.append("|---|---:|" + "---:|" * len(present))
        for i in ids:
            cells = []
            for mech, model, _ in present:
                r = idx.loc[(mech, model, i)]
                cells.append(
                    f"{_fmt_bias(r['rel_bias'], r['rel_bias_mcse'])} / {r['coverage']:.3f}"
                    f" / {r['se_sd_ratio']:.2f}"
                )
            truth = block.loc[block["id"] == i, "truth"].iloc[0]
            out.append(f"| {i} | {truth:.4f} | " + " | ".join(cells) + " |")
        pooled = []
        for mech, model, _ in present:
            r = idx.loc[(mech, model)].loc[HYPS]
            outside = int(((r["coverage"] < 0.93) | (r["coverage"] > 0.97)).sum())
            pooled.append(
                f"max abs {100 * r['rel_bias'].abs().max():.1f}% / mean {r['coverage'].mean():.3f}"
                f" ({outside} of 11 outside 0.93-0.97)"
            )
        out.append("| H1-H11 | | " + " | ".join(pooled) + " |")
        n_fits = int(block["n_fits"].min())
        out.append(f"\nFits per model and mechanism: at least {n_fits} (converged replications).")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10])
    parser.add_argument(
        "--mechanisms", nargs="+", default=["nearest", "simulator"], choices=MECHANISMS
    )
    parser.add_argument("--seed", type=int, default=20131)
    parser.add_argument("--out", default=None, help="CSV file for the per-replication results")
    parser.add_argument(
        "--from-csv", nargs="+", default=None, help="only print the tables of saved results"
    )
    args = parser.parse_args()
    if args.from_csv:
        raw = pd.concat([pd.read_csv(f) for f in args.from_csv], ignore_index=True)
        reps = raw.groupby(["step", "mechanism"])["replication"].nunique().min()
        print(f"Monte Carlo: {reps} replications per step and mechanism")
        print(markdown(summarise(raw)))
        return
    started = time.perf_counter()
    parts = []
    for mech in args.mechanisms:
        for step in args.steps:
            t0 = time.perf_counter()
            for i in range(args.reps):
                parts.append(one_replication(step, mech, args.n, args.seed, i))
            print(
                f"step {step}, {mech}: {args.reps} replications in "
                f"{time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            if args.out:
                pd.concat(parts, ignore_index=True).to_csv(args.out, index=False)
    raw = pd.concat(parts, ignore_index=True)
    summary = summarise(raw)
    print(
        f"\nMonte Carlo: {args.reps} replications of N = {args.n} reps, seed {args.seed}; "
        f"relative bias in % (Monte Carlo SE in parentheses), coverage of 95% intervals; "
        f"total {time.perf_counter() - started:.0f} s"
    )
    print(markdown(summary))


if __name__ == "__main__":
    main()
