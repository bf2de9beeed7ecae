"""Why is E1's delta-method standard error too small? A seeded Monte Carlo experiment.

Run: ``python benchmarks/e1_se.py [--reps 200] [--seed 1] [--n-boot 0] [--boot-reps 40]``.

Simulates the default study with exact shares (``StudyDesign(heap_step=0)``, the
main model correctly specified), fits the main model to each draw and splits the
sampling error of every registry effect into its two sources:

* **coefficients**: the effect at the estimated coefficients averaged over a
  fixed large sample of reps (50 000, one seed), minus the population value.
  Its spread across studies is what the conditional delta-method variance
  ``G V G'`` claims to measure.
* **covariates**: the effect at the *true* coefficients averaged over the
  study's own reps, minus the population value. Its spread is what the
  unconditional term ``s^2 / n`` claims to measure.

It prints, per effect, the Monte Carlo SD of the estimates, the mean reported
standard errors (unconditional and conditional) and their ratio to the SD, and
the SD of each component beside the mean of the matching variance term. It
also checks the delta method on the fitted coefficients (Krinsky-Robb draws of
the coefficients at each study's estimate) and the coefficient standard errors
of the terms E1 depends on. With ``--n-boot B`` it also runs the package's
stratified bootstrap (``B`` draws) on the first ``--boot-reps`` studies and
reports the mean bootstrap SE over the SD and the coverage of its percentile
and normal intervals.

Every random draw comes from ``numpy.random.default_rng`` with a seed derived
from ``--seed``; the same arguments print the same figures.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import (
    EffectOptions,
    EffectSpec,
    ShareModel,
    bootstrap_effects,
    effect_covariance,
    model_effects,
)
from leadblackhole.effects.engine import EffectsEngine
from leadblackhole.models import fit_main_model, fit_share_model
from leadblackhole.registry import HYPOTHESES
from leadblackhole.simulation import StudyDesign, simulate

IDS = [h.id for h in HYPOTHESES]
SPECS = [EffectSpec(h.outcome, h.predictor, h.moderator) for h in HYPOTHESES]
FOCUS = ["prequal", "performance", "performance:prequal"]


def _frame(design, seed):
    survey, truth = simulate(design, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_analysis_frame(validate_survey(survey)), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n-boot", type=int, default=0)
    parser.add_argument("--boot-reps", type=int, default=40)
    parser.add_argument("--kr-draws", type=int, default=400)
    parser.add_argument(
        "--no-decompose",
        action="store_true",
        help="skip the split into coefficient and covariate parts (faster)",
    )
    args = parser.parse_args()
    design = StudyDesign(heap_step=0)
    rng = np.random.default_rng(args.seed)
    big, _ = _frame(StudyDesign(heap_step=0, n_reps=50_000), int(rng.integers(2**31)))
    _, truth = simulate(design, seed=0)  # the population values do not depend on the seed
    big_raw = big.raw
    true_val = truth.effects.loc[IDS, "value"].to_numpy()
    variables = list(truth.population_means.index)

    rows, coefs, coef_se, kr_ratio, extra = [], [], [], [], []
    boot = []
    t0 = time.time()
    for r in range(args.reps):
        seed = int(rng.integers(2**31))
        frame, _ = _frame(design, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fit_main_model(frame)
        unc = model_effects(res, frame)
        cond = model_effects(res, frame, options=EffectOptions(variance="conditional"))
        sm = ShareModel.from_results(res)
        # sandwich covariance of the coefficients (the results' cov_type="robust")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            robust = fit_share_model(frame, "dirichlet", cov_type="robust")
        _, cov_rob = effect_covariance(robust, frame, SPECS)
        se_rob = np.sqrt(np.diag(cov_rob))
        # degrees-of-freedom factor n / (n - k) on the coefficient covariance
        k, n = len(res.params), res.nobs
        se_df = np.sqrt(cond.std_error**2 * n / (n - k) + unc.std_error**2 - cond.std_error**2)
        extra.append(np.column_stack([se_rob, se_df]))
        if args.no_decompose:
            coef_part = cov_part = np.full(len(IDS), np.nan)
        # coefficient component: estimated coefficients over a fixed large sample of reps,
        # centred at this study's means (the coefficients' parametrization)
        pop = big_raw.copy()
        pop[variables] = big_raw[variables] - frame.means[variables]
        coef_part = EffectsEngine(sm, pop).evaluate(SPECS, gradient=False)[0] - true_val
        # covariate component: true coefficients over this study's reps, centred at the
        # population means (the true coefficients' parametrization)
        own = frame.raw.copy()
        own[variables] = frame.raw[variables] - truth.population_means[variables]
        eqs = sm.link.equations
        b_true = np.column_stack([truth.params[e][list(sm.terms)].to_numpy() for e in eqs])
        cov_part = (
            EffectsEngine(sm.with_coef(b_true), own).evaluate(SPECS, gradient=False)[0] - true_val
        )
        rows.append(
            np.column_stack(
                [
                    unc.estimate,
                    unc.std_error,
                    cond.std_error,
                    coef_part,
                    cov_part,
                    np.abs(unc.estimate - true_val) <= 1.959964 * unc.std_error,
                ]
            )
        )
        coefs.append(res.params.loc["marketing"][FOCUS].to_numpy())
        coef_se.append(res.bse.loc["marketing"][FOCUS].to_numpy())
        if r < 20 and args.kr_draws:
            engine = EffectsEngine(sm, frame.data)
            kr_rng = np.random.default_rng([args.seed, r])
            th = kr_rng.multivariate_normal(sm.theta, sm.cov, size=args.kr_draws)
            q = sm.coef.shape[1]
            e1 = [
                engine.evaluate([SPECS[-1]], coef=t.reshape(q, -1).T, gradient=False)[0][0]
                for t in th
            ]
            kr_ratio.append(np.std(e1, ddof=1) / cond.std_error.iloc[-1])
        if r < args.boot_reps and args.n_boot:
            b = bootstrap_effects(
                res, frame, n_boot=args.n_boot, seed=seed, scheme="stratified", progress=False
            ).table.set_index("id")
            b_se = b.loc["E1", "boot_std_error"]
            boot.append(
                (
                    b_se,
                    b.loc["E1", "boot_conf_low"] <= true_val[-1] <= b.loc["E1", "boot_conf_high"],
                    abs(unc.estimate.iloc[-1] - true_val[-1]) <= 1.959964 * b_se,
                    unc.estimate.iloc[-1],
                )
            )
    arr = np.stack(rows)  # (reps, effects, 6)
    sd = arr[:, :, 0].std(axis=0, ddof=1)
    out = pd.DataFrame(
        {
            "truth": true_val,
            "mean_est": arr[:, :, 0].mean(axis=0),
            "sd_est": sd,
            "se_unc/sd": arr[:, :, 1].mean(axis=0) / sd,
            "se_cond/sd": arr[:, :, 2].mean(axis=0) / sd,
            "coverage": arr[:, :, 5].mean(axis=0),
            "sd_coef_part": arr[:, :, 3].std(axis=0, ddof=1),
            "se_cond": arr[:, :, 2].mean(axis=0),
            "sd_cov_part": arr[:, :, 4].std(axis=0, ddof=1),
            "sqrt(s2/n)": np.sqrt(np.maximum(arr[:, :, 1] ** 2 - arr[:, :, 2] ** 2, 0)).mean(
                axis=0
            ),
            "corr(parts)": [np.corrcoef(arr[:, j, 3], arr[:, j, 4])[0, 1] for j in range(len(IDS))],
        },
        index=IDS,
    )
    pd.set_option("display.width", 200)
    print(
        f"{args.reps} studies, StudyDesign(heap_step=0), seed {args.seed}, {time.time() - t0:.0f} s"
    )
    print(out.round(4).to_string())
    ex = np.stack(extra)  # (reps, effects, 2)
    err = np.abs(arr[:, :, 0] - true_val)
    alt = pd.DataFrame(
        {
            "se_robust/sd": ex[:, :, 0].mean(axis=0) / sd,
            "coverage_robust": (err <= 1.959964 * ex[:, :, 0]).mean(axis=0),
            "se_df/sd": ex[:, :, 1].mean(axis=0) / sd,
            "coverage_df": (err <= 1.959964 * ex[:, :, 1]).mean(axis=0),
            "mc_se_of_ratio": np.full(len(IDS), 1 / np.sqrt(2 * (args.reps - 1))),
        },
        index=IDS,
    )
    print("\nother standard errors: sandwich coefficient covariance; model-based times n/(n-k)")
    print(alt.round(4).to_string())
    c = np.stack(coefs)
    s = np.stack(coef_se)
    print("\nmarketing-equation coefficients E1 depends on: mean model SE / SD of estimates")
    for j, t in enumerate(FOCUS):
        print(f"  {t:22s} {s[:, j].mean() / c[:, j].std(ddof=1):.3f}")
    if kr_ratio:
        print(
            f"\nKrinsky-Robb SD of E1 / delta-method conditional SE (first {len(kr_ratio)} "
            f"studies, {args.kr_draws} draws): mean {np.mean(kr_ratio):.3f}"
        )
    if boot:
        b = np.array(boot, dtype=float)
        sd_sub = b[:, 3].std(ddof=1)
        print(
            f"\nstratified bootstrap ({args.n_boot} draws) on {len(b)} studies: "
            f"mean boot SE {b[:, 0].mean():.4f}, SD of E1 over all studies {sd[-1]:.4f} "
            f"(ratio {b[:, 0].mean() / sd[-1]:.3f}; SD over these {len(b)} studies {sd_sub:.4f}); "
            f"percentile coverage {b[:, 1].mean():.3f}, "
            f"normal (estimate +- 1.96 boot SE) coverage {b[:, 2].mean():.3f}"
        )


if __name__ == "__main__":
    main()
