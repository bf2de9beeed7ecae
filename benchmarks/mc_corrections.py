"""Monte Carlo evidence for the corrected main models (docs/corrections.md).

Simulates studies of the design diagnosis's scenarios and fits the main model
(``dirichlet``) beside its corrections: ``dirichlet_eiv`` on ``latent_shares``
(shares driven by the latent constructs) and ``default`` (what the correction
costs when nothing is wrong), ``dirichlet_marker`` on ``method_factor`` with a
three-item marker scale. Each correction is fitted with its default two-step
sandwich standard errors (``dirichlet_eiv``, ``dirichlet_marker``) and, with
``--std-errors ... bootstrap``, with ``--boot`` bootstrap replicates of both steps
(``dirichlet_eiv_bootstrap``, ``dirichlet_marker_bootstrap``; same estimates, other
standard errors). Every study is drawn from ``replication_seed(seed, rep)``, so
the rows do not depend on how the run is split; finished studies are appended to
their scenario's file and a rerun computes only the missing (study, estimator)
pairs (resumable; one file per scenario, ``OUT/<scenario>.csv``, so scenarios can
run in separate processes). ``--tables`` writes the tables of
``docs/corrections_evidence.md`` from the replications.

    python benchmarks/mc_corrections.py --sims 200 --out evidence/corrections
    python benchmarks/mc_corrections.py --sims 100 --std-errors bootstrap --boot 50
    python benchmarks/mc_corrections.py --out evidence/corrections --tables docs/corrections_evidence.md
"""

from __future__ import annotations

import argparse
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from leadblackhole.corrections import fit_eiv, fit_marker
from leadblackhole.diagnosis import replication_seed, scenario_design, simulate_frame
from leadblackhole.effects import model_effects
from leadblackhole.exceptions import ConvergenceWarning, EstimationError
from leadblackhole.models import fit_share_model
from leadblackhole.simulation import draw_study

#: scenario -> (design changes on top of the diagnosis scenario, corrected estimator)
CELLS = {
    "latent_shares": ({}, "dirichlet_eiv"),
    "default": ({}, "dirichlet_eiv"),
    "method_factor": ({"marker_items": 3}, "dirichlet_marker"),
}
ORDER = ["H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10", "H11", "E1"]


def one_study(
    scenario: str, rep: int, seed: int, n_reps: int, boot: int, wanted: set[str]
) -> pd.DataFrame:
    """The rows of the estimators in ``wanted`` on study ``rep`` of ``scenario``."""
    changes, corrected = CELLS[scenario]
    design = scenario_design(scenario, n_reps, 1.0).replace(**changes)
    ss = replication_seed(seed, rep)
    frame, truth = simulate_frame(design, seed=ss)
    study = draw_study(design, seed=replication_seed(seed, rep))
    items = study.items[study.percents[:, 0] > 0].reset_index(drop=True)
    rows = []
    if "dirichlet" in wanted:
        naive = model_effects(fit_share_model(frame, "dirichlet"), frame)
        naive["estimator"] = "dirichlet"
        rows.append(naive)
    for std_errors, label in (("sandwich", corrected), ("bootstrap", f"{corrected}_bootstrap")):
        if label not in wanted:
            continue
        opts = {"std_errors": std_errors, "n_boot": boot, "seed": rep}
        t0 = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                if corrected == "dirichlet_eiv":
                    res = fit_eiv(frame, items, model="dirichlet", **opts)
                else:
                    scales = dict(frame.scales) | {"marker": [f"mk_{j}" for j in (1, 2, 3)]}
                    # the stored rows were computed with equal method loadings
                    res = fit_marker(frame, items, "marker", scales, loadings="equal", **opts)
                eff = res.effects.copy()
                eff["n_failed"] = res.n_failed
            except EstimationError as exc:
                eff = pd.DataFrame({"id": ORDER, "note": str(exc)[:100]})
        eff["cpu_s"] = time.process_time() - t0
        eff["estimator"] = label
        rows.append(eff)
    out = pd.concat(rows, ignore_index=True)
    out["scenario"], out["rep"], out["n_reps"] = scenario, rep, n_reps
    out["truth"] = out["id"].map(truth.effects["value"])
    keep = ["scenario", "n_reps", "rep", "estimator", "id", "estimate", "std_error",
            "conf_low", "conf_high", "supported", "truth"]  # fmt: skip
    for c in ("n_failed", "cpu_s"):  # a fixed layout: the rows are appended to one CSV
        if c not in out.columns:
            out[c] = np.nan
    return out[[*keep, "n_failed", "cpu_s"]]


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for scenario in args.scenario:
        corrected = CELLS[scenario][1]
        labels = {"dirichlet"} | {
            corrected if se == "sandwich" else f"{corrected}_bootstrap" for se in args.std_errors
        }
        path = out / f"{scenario}.csv"
        have: dict[int, set[str]] = {}
        if path.exists():
            for rep, est in (
                pd.read_csv(path)[["rep", "estimator"]].drop_duplicates().itertuples(index=False)
            ):
                have.setdefault(int(rep), set()).add(est)
        for rep in range(args.sims):
            wanted = labels - have.get(rep, set())
            if not wanted:
                continue
            t0 = time.perf_counter()
            rows = one_study(scenario, rep, args.seed, args.n_reps, args.boot, wanted)
            rows.to_csv(path, mode="a", header=not path.exists(), index=False)
            print(f"{scenario} rep {rep}: {time.perf_counter() - t0:.1f} s", flush=True)


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, estimator and effect: bias, coverage, power and their Monte Carlo SEs."""
    rows = []
    for (sc, est, i), g in reps.dropna(subset=["estimate"]).groupby(
        ["scenario", "estimator", "id"]
    ):
        r = len(g)
        truth = g["truth"].iloc[0]
        x = g["estimate"].to_numpy()
        sd = x.std(ddof=1)
        cover = ((g["conf_low"] <= truth) & (truth <= g["conf_high"])).mean()
        mean_se = g["std_error"].mean()
        rows.append(
            {
                "scenario": sc,
                "estimator": est,
                "id": i,
                "studies": r,
                "truth": truth,
                "relative_bias": x.mean() / truth - 1,
                "relative_bias_mcse": sd / np.sqrt(r) / abs(truth),
                "standardized_bias": (x.mean() - truth) / sd,
                "coverage": cover,
                "coverage_mcse": np.sqrt(max(cover * (1 - cover), 0.95 * 0.05) / r),
                "power": g["supported"].astype("boolean").fillna(False).mean(),
                "se_ratio": mean_se / sd,
                "informative": abs(truth) >= 0.25 * mean_se,
            }
        )
    return pd.DataFrame(rows)


def tables(reps: pd.DataFrame, dest: Path) -> None:
    s = summarise(reps)

    def cell(r, what):
        if what == "bias":
            if not r["informative"]:
                return f"({r['standardized_bias']:+.2f} SD)"
            return f"{100 * r['relative_bias']:+.0f}%"
        if what == "coverage":
            return f"{r['coverage']:.2f}"
        if what == "power":
            return f"{r['power']:.2f}"
        return f"{r['se_ratio']:.2f}"

    lines = [
        "# Corrections: Monte Carlo evidence (generated)",
        "",
        "Generated by `python benchmarks/mc_corrections.py --tables docs/corrections_evidence.md`",
        "from the replications in `evidence/corrections/*.csv`; do not edit these tables by hand (the",
        "sections after them are written by hand and kept when the tables are regenerated).",
        "Method and reading: [corrections.md](corrections.md).",
        "",
    ]
    cpu = reps.dropna(subset=["cpu_s"]).groupby(["scenario", "estimator"])["cpu_s"].median()
    for what, title in (
        ("bias", "Relative bias (mean estimate / population value − 1; in brackets, for an "
                 "effect whose population value is below a quarter of its mean standard error, "
                 "the bias in SDs of the estimates)"),
        ("coverage", "Coverage of the 95% intervals"),
        ("power", "Power (expected sign and p < 0.05; E1: p < 0.05)"),
        ("se_ratio", "Mean standard error / SD of the estimates"),
    ):  # fmt: skip
        lines += [f"**{title}**, N = 461, effect scale 1:", ""]
        lines += ["| scenario | estimator | studies | " + " | ".join(ORDER) + " |"]
        lines += ["|---|---|---:|" + "---:|" * len(ORDER)]
        for (sc, est), g in s.groupby(["scenario", "estimator"], sort=False):
            g = g.set_index("id")
            vals = [cell(g.loc[i], what) if i in g.index else "–" for i in ORDER]
            lines.append(f"| {sc} | {est} | {int(g['studies'].max())} | " + " | ".join(vals) + " |")
        lines.append("")
    mc = s[s["informative"]]
    lines += [
        "Monte Carlo standard errors: coverage "
        f"{mc['coverage_mcse'].min():.3f}–{mc['coverage_mcse'].max():.3f}; relative bias "
        f"{100 * mc['relative_bias_mcse'].min():.1f}–{100 * mc['relative_bias_mcse'].max():.1f} "
        "percentage points (per effect, H1–H11).",
        "",
        "Median CPU seconds per study of the corrected fit (point estimate and standard errors): "
        + "; ".join(f"{sc} {est} {v:.2f} s" for (sc, est), v in cpu.items()),
        "",
    ]
    # the hand-written sections after the tables (every heading below the title) are kept
    kept = ""
    if dest.exists():
        later = re.search(r"^#{2,} ", dest.read_text(), flags=re.MULTILINE)
        kept = dest.read_text()[later.start() :] if later else ""
    dest.write_text("\n".join(lines) + ("\n" + kept if kept else ""))
    s.to_csv(dest.with_suffix(".csv"), index=False)
    print("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sims", type=int, default=100)
    p.add_argument("--boot", type=int, default=50)
    p.add_argument(
        "--std-errors", nargs="+", choices=["sandwich", "bootstrap"], default=["sandwich"],
        help="standard errors of the corrections to compute (each its own estimator label)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=2013)
    p.add_argument("--n-reps", type=int, default=461)
    p.add_argument("--scenario", nargs="+", default=list(CELLS))
    p.add_argument("--out", default="evidence/corrections")
    p.add_argument("--tables", default=None, help="write the tables to this Markdown file")
    args = p.parse_args()
    if args.tables:
        files = sorted(Path(args.out).glob("*.csv"))
        tables(pd.concat([pd.read_csv(f) for f in files], ignore_index=True), Path(args.tables))
    else:
        run(args)


if __name__ == "__main__":
    main()
