"""Monte Carlo evidence for the two-step share models (control function, selection correction).

Simulates studies of 461 analysable reps from four designs and fits, to each
study, the uncorrected main models and the two-step models:

* ``endogenous_volume_iv``: the design diagnosis's ``endogenous_volume`` scenario
  (leads routed to performers 0.3 per SD, an unobservable 0.3 in both the log
  mean of leads and the marketing log-ratio) with the campaign budget drawn
  (``instrument_strength``, default 0.5 log-points of mean leads per SD);
* ``default_iv``: the default design with the same budget: volume is exogenous,
  so the control function only costs precision;
* ``selection_x``: the diagnosis's ``selection`` scenario (25% more reps with no
  marketing time, selected on performance, experience and an unobservable
  correlated 0.5 with the share) with the exclusion variable ``lead_access``
  (``selection_exclusion``, default 1 per SD);
* ``default_x``: the default design with 25% more reps whose zero marketing time
  depends on ``lead_access`` only (selection at random given the covariates).

Prints, per design, estimator and hypothesis, the relative bias, the coverage of
the 95% intervals, the power and the SE/SD ratio with their Monte Carlo
standard errors, and writes them to ``evidence/two_step/diagnosands.csv`` with
the tables in ``evidence/two_step/tables.md``::

    python benchmarks/mc_two_step.py --reps 200 --seed 2013
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from leadblackhole.diagnosis import SCENARIOS, simulate_frame
from leadblackhole.effects import registry_estimates
from leadblackhole.effects.two_step import two_step_estimates
from leadblackhole.exceptions import ConvergenceWarning, EstimationError, WeakInstrumentWarning
from leadblackhole.models import fit_share_model
from leadblackhole.simulation import StudyDesign, draw_study

OUT = Path(__file__).resolve().parents[1] / "evidence" / "two_step"


def designs(strength: float, exclusion: float) -> dict[str, tuple[StudyDesign, list]]:
    """The four designs and the estimators fitted to each: (label, model, options)."""
    endo = StudyDesign(**SCENARIOS["endogenous_volume"].changes, instrument_strength=strength)
    sel = SCENARIOS["selection"]
    n_zero = round(461 * sel.zero_fraction)
    sel_design = StudyDesign(**sel.changes, n_zero_marketing=n_zero, selection_exclusion=exclusion)
    mar = StudyDesign(n_zero_marketing=n_zero, selection_exclusion=exclusion)
    iv = {"instruments": ["campaign_budget"]}
    cf = [
        ("dirichlet", "dirichlet", {}),
        ("dirichlet_rounded", "dirichlet_rounded", {}),
        ("dirichlet_cf", "dirichlet_cf", iv),
        ("dirichlet_rounded_cf", "dirichlet_rounded_cf", iv),
    ]
    hk = [
        ("dirichlet", "dirichlet", {}),
        ("dirichlet_rounded", "dirichlet_rounded", {}),
        ("dirichlet_heckman", "dirichlet_heckman", {"exclusion": ["lead_access"]}),
        ("dirichlet_rounded_heckman", "dirichlet_rounded_heckman", {"exclusion": ["lead_access"]}),
        ("dirichlet_heckman_functional_form", "dirichlet_heckman", {"exclusion": "none"}),
    ]
    return {
        "endogenous_volume_iv": (endo, cf),
        "default_iv": (StudyDesign(instrument_strength=strength), cf),
        "selection_x": (sel_design, hk),
        "default_x": (mar, hk[:3]),
    }


def study_frame(design: StudyDesign, seed: np.random.SeedSequence):
    """The analysis frame of one study with its extra columns (the diagnosis's fast path)."""
    frame, truth = simulate_frame(design, seed)
    study = draw_study(design, seed)
    keep = study.percents[:, 0] > 0
    data, sel = frame.data.copy(), frame.selection.copy()
    for name in ("campaign_budget", "lead_access"):
        if name in study.extras:
            data[name] = study.extras[name][keep]
            sel[name] = study.extras[name]
    return replace(frame, data=data, selection=sel), truth


def run(reps: int, seed: int, strength: float, exclusion: float) -> pd.DataFrame:
    rows = []
    extra_rows = []
    for label, (design, estimators) in designs(strength, exclusion).items():
        start = time.perf_counter()
        for i in range(reps):
            frame, truth = study_frame(design, np.random.SeedSequence(seed, spawn_key=(i,)))
            for name, model, options in estimators:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error", ConvergenceWarning)
                        warnings.simplefilter("ignore", WeakInstrumentWarning)
                        res = fit_share_model(frame, model, **options)
                        if hasattr(res, "effects_data"):
                            cols = two_step_estimates(res, frame)
                        else:
                            cols = registry_estimates(res, frame, design=res.mean_design)
                except (EstimationError, ConvergenceWarning):
                    continue
                if hasattr(res, "first_stages"):
                    extra_rows.append(
                        {
                            "design": label,
                            "estimator": name,
                            "rep": i,
                            "partial_f": res.first_stages[0].partial_f,
                            "partial_r2": res.first_stages[0].partial_r2,
                        }
                    )
                for k, h in enumerate(cols["id"]):
                    rows.append(
                        {
                            "design": label,
                            "estimator": name,
                            "rep": i,
                            "id": h,
                            "estimate": cols["estimate"][k],
                            "std_error": cols["std_error"][k],
                            "conf_low": cols["conf_low"][k],
                            "conf_high": cols["conf_high"][k],
                            "supported": cols["supported"][k],
                            "p_value": cols["p_value"][k],
                            "truth": truth.effects.loc[h, "value"],
                        }
                    )
        print(f"{label}: {reps} studies in {time.perf_counter() - start:.0f} s", flush=True)
    return pd.DataFrame(rows), pd.DataFrame(extra_rows)


def diagnosands(reps: pd.DataFrame) -> pd.DataFrame:
    """Relative bias, coverage, power and SE/SD with their Monte Carlo standard errors."""

    def one(g: pd.DataFrame) -> pd.Series:
        r = len(g)
        truth = g["truth"].iloc[0]
        est = g["estimate"]
        cover = ((g["conf_low"] <= truth) & (truth <= g["conf_high"])).mean()
        sig = g["p_value"] < 0.05
        power = g["supported"].astype(float).mean() if g["supported"].notna().all() else sig.mean()
        sd = est.std(ddof=1)
        return pd.Series(
            {
                "n_studies": r,
                "truth": truth,
                "mean_estimate": est.mean(),
                "relative_bias": est.mean() / truth - 1,
                "relative_bias_mcse": sd / np.sqrt(r) / abs(truth),
                "coverage": cover,
                "coverage_mcse": np.sqrt(cover * (1 - cover) / r),
                "power": power,
                "power_mcse": np.sqrt(power * (1 - power) / r),
                "se_ratio": g["std_error"].mean() / sd,
            }
        )

    keys = ["design", "estimator", "id"]
    out = reps.groupby(keys, sort=False).apply(one, include_groups=False).reset_index()
    return out


def markdown(diag: pd.DataFrame, column: str, fmt) -> str:
    wide = diag.pivot_table(index=["design", "estimator"], columns="id", values=column, sort=False)
    ids = [f"H{i}" for i in range(1, 12)] + ["E1"]
    wide = wide[[c for c in ids if c in wide.columns]]
    head = "| design | estimator | " + " | ".join(wide.columns) + " |"
    rule = "|---|---|" + "---:|" * len(wide.columns)
    lines = [head, rule]
    for (d, e), row in wide.iterrows():
        cells = ["–" if pd.isna(v) else fmt(v) for v in row]
        lines.append(f"| {d} | {e} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument("--strength", type=float, default=0.5)
    parser.add_argument("--exclusion", type=float, default=1.0)
    args = parser.parse_args()
    reps, fs = run(args.reps, args.seed, args.strength, args.exclusion)
    diag = diagnosands(reps)
    OUT.mkdir(parents=True, exist_ok=True)
    diag.to_csv(OUT / "diagnosands.csv", index=False, float_format="%.6g")
    one = fs[fs["estimator"] == "dirichlet_cf"].groupby("design")
    first = pd.DataFrame(
        {
            "partial F, mean": one["partial_f"].mean(),
            "partial F, 5th percentile": one["partial_f"].quantile(0.05),
            "partial F, median": one["partial_f"].median(),
            "share of studies with F < 10": one["partial_f"].apply(lambda f: (f < 10).mean()),
            "partial R², mean": one["partial_r2"].mean(),
        }
    )
    text = [
        f"Two-step models, {args.reps} studies of 461 analysable reps per design, seed "
        f"{args.seed}, instrument strength {args.strength}, exclusion coefficient "
        f"{args.exclusion} (`python benchmarks/mc_two_step.py --reps {args.reps} --seed "
        f"{args.seed}`).",
        "",
        "Relative bias (mean estimate / population value - 1):",
        "",
        markdown(diag, "relative_bias", lambda v: f"{100 * v:+.0f}%"),
        "",
        "Monte Carlo standard error of the relative bias:",
        "",
        markdown(diag, "relative_bias_mcse", lambda v: f"{100 * v:.1f}%"),
        "",
        "Coverage of the 95% intervals:",
        "",
        markdown(diag, "coverage", lambda v: f"{v:.2f}"),
        "",
        "Power (expected sign and p < 0.05; E1: p < 0.05):",
        "",
        markdown(diag, "power", lambda v: f"{v:.2f}"),
        "",
        "SE/SD (mean standard error over the SD of the estimates):",
        "",
        markdown(diag, "se_ratio", lambda v: f"{v:.2f}"),
        "",
        "First stage (partial F of the campaign budget, HC1; partial R²):",
        "",
        first.round(3).to_markdown(),
        "",
    ]
    (OUT / "tables.md").write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
