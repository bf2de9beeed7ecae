"""Why the main model floors the marketing cell: one large simulated study, two cell rules.

Simulates 20,000 analysable reps with exact shares (``StudyDesign(heap_step=0)``),
rounds the marketing and self percents to the nearest step with marketing at
least one step (every analysable rep has some marketing time), and fits the
rounding-aware Dirichlet regression twice: with the plain cells (a reported
step stands for ``[h/2, 3h/2]``) and with the marketing floor (``[0, 3h/2]``).
Prints, for the slope and precision coefficients, the largest and the mean
squared z statistic against the true values (intercepts are left out: the
truth refers to population-mean centring, the fit to sample-mean centring).

Usage::

    python benchmarks/rounding_floor_check.py [--n 20000] [--steps 5 10] [--seed 11]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.models.dirichlet import RoundedDirichletRegression
from leadblackhole.models.main import main_model_exog
from leadblackhole.simulation import StudyDesign, simulate


def floor_table(n: int = 20000, steps=(5, 10), seed: int = 11) -> str:
    """The Markdown table of docs/rounding.md (the floor check), computed afresh."""
    survey, truth = simulate(StudyDesign(n_reps=n, heap_step=0), seed=seed)
    frame = build_analysis_frame(validate_survey(survey))
    exog = main_model_exog(frame)
    y = frame.raw[["marketing", "self"]].to_numpy()
    keep = [i for i in truth.params.index if i[1] != "Intercept" or i[0] == "precision"]
    lines = [
        "| step | share of reps with marketing < step/2 | cells | max abs z | mean z^2 |",
        "|---:|---:|---|---:|---:|",
    ]
    for h in steps:
        m = np.maximum(np.round(100 * y[:, 0] / h) * h, h)
        s = np.minimum(np.round(100 * y[:, 1] / h) * h, 100 - m)
        pct = pd.DataFrame({"marketing": m, "self": s, "other": 100 - m - s}, index=exog.index)
        low = np.mean(100 * y[:, 0] < h / 2)
        for floor in (None, "marketing"):
            res = RoundedDirichletRegression(pct, exog, h, floor=floor).fit()
            z = ((res.params - truth.params) / res.bse)[keep]
            label = "marketing floor" if floor else "plain"
            lines.append(
                f"| {h} | {low:.3f} | {label} | {z.abs().max():.1f} | {(z**2).mean():.2f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(floor_table(args.n, args.steps, args.seed), end="")


if __name__ == "__main__":
    main()
