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
MECHANISMS = ("nearest", "simulator")


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
    mech_id = MECHANISMS.index(mechanism)
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
        for model, fit in (
            ("dirichlet_rounded", lambda f: fit_rounded_main_model(f, step=step)),
            ("dirichlet", fit_main_model),
        ):
            try:
                res = fit(frame)
            except ConvergenceWarning:
                continue
            eff = model_effects(res, frame, kind="dirichlet").set_index("id")
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


def _cell(r: pd.Series, model: str, what: str, mcse: str | None = None) -> str:
    v = r[(what, model)]
    if not np.isfinite(v):
        return "–"
    txt = f"{100 * v:+.1f}%" if what == "rel_bias" else f"{v:.3f}"
    if mcse is not None:
        txt += f" ({100 * r[(mcse, model)]:.1f})"
    return txt


def markdown(summary: pd.DataFrame) -> str:
    """One table per (step, mechanism): both models side by side, H1-H11 and E1."""
    out = []
    for (step, mech), block in summary.groupby(["step", "mechanism"], sort=False):
        wide = block.pivot(index="id", columns="model")
        ids = list(dict.fromkeys(block["id"]))
        out.append(f"\nStep {step}, reporting `{mech}`:\n")
        out.append(
            "| id | truth | rounded: rel. bias | rounded: coverage | rounded: SE/SD "
            "| exact-share: rel. bias | exact-share: coverage |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for i in ids:
            r = wide.loc[i]

            out.append(
                f"| {i} | {r[('truth', 'dirichlet_rounded')]:.4f} "
                f"| {_cell(r, 'dirichlet_rounded', 'rel_bias', 'rel_bias_mcse')} "
                f"| {_cell(r, 'dirichlet_rounded', 'coverage')} "
                f"| {_cell(r, 'dirichlet_rounded', 'se_sd_ratio')} "
                f"| {_cell(r, 'dirichlet', 'rel_bias', 'rel_bias_mcse')} "
                f"| {_cell(r, 'dirichlet', 'coverage')} |"
            )
        n_fits = int(block["n_fits"].min())
        out.append(f"\nFits per model: {n_fits} (converged replications).")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--mechanisms", nargs="+", default=list(MECHANISMS), choices=MECHANISMS)
    parser.add_argument("--seed", type=int, default=20131)
    parser.add_argument("--out", default=None, help="CSV file for the per-replication results")
    args = parser.parse_args()
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
