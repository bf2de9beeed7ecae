"""The allocation tables of docs/allocation.md, regenerated from the code (not typed).

Run: ``python benchmarks/allocation_study_table.py [--write-docs]``.

Reproduces what ``make allocate`` does on the pipeline's simulated survey, with the
commands themselves, in a temporary folder:

    leadblackhole simulate --seed SEED --n-zero-marketing N_ZERO --out reps.csv
    leadblackhole fit reps.csv --out models --bootstrap 0 --seed SEED
    leadblackhole allocate reps.csv --fits models/fits.json --out allocation --seed SEED --oracle

with ``SEED`` (20130101) and ``N_ZERO`` read from the Makefile, and prints two Markdown
tables from the command's ``policies.csv`` and ``policy_differences.csv``: the black hole by
scenario and policy, and the baseline scenario's differences. It checks that ``allocate``
in Python on the same fit gives the same figures. With ``--write-docs`` it writes them into
docs/allocation.md between the ``allocation-study`` markers; with ``--check`` it exits 1
when the docs' block differs from what the code produces (tests/test_allocation_wiring.py
runs it, as a slow test). ``--results DIR`` renders from the outputs of an ``allocate`` run
already made (``make all`` writes them to results/allocation) instead of running the
commands.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from leadblackhole.allocation import SCENARIOS, allocate
from leadblackhole.data import build_analysis_frame, load_survey
from leadblackhole.models import main_model_name
from leadblackhole.simulation import StudyDesign, simulate

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "allocation.md"


def _make_var(name: str) -> str:
    text = (ROOT / "Makefile").read_text()
    return re.search(rf"^{name}\s*\?=\s*(\S+)", text, re.M).group(1)


def _cli(*args: str) -> None:
    cmd = [sys.executable, "-m", "leadblackhole.cli", *args]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def run(seed: int, n_zero: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The command's policies and differences on the pipeline survey, checked against Python."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        reps = t / "reps.csv"
        _cli("simulate", "--seed", str(seed), "--n-zero-marketing", str(n_zero), "--out", str(reps))
        _cli("fit", str(reps), "--out", str(t / "models"), "--bootstrap", "0", "--seed", str(seed))
        fits_path = t / "models" / "fits.json"
        _cli(
            "allocate", str(reps), "--fits", str(fits_path), "--out", str(t / "allocation"),
            "--seed", str(seed), "--oracle",
        )  # fmt: skip
        policies, differences = read(t / "allocation")
        frame = build_analysis_frame(load_survey(reps))
        # the fit artifact is read as the command reads it (reporting layer: a script may)
        from leadblackhole.reporting.artifacts import FitArtifact

        fits = FitArtifact.load(fits_path, reps, frame).fits
    name = main_model_name(fits)
    truth = simulate(StudyDesign(), seed=0).truth
    out = allocate(
        fits[name],
        frame,
        policies=["observed", "equal", "score", "optimal"],
        scenarios=SCENARIOS,
        n_draws=200,
        seed=seed,
        truth=truth,
    )
    # the command's CSV holds 10 significant digits
    for got, want, keys, cols in (
        (policies, out.policies, ["policy", "scenario"], ["black_hole_rate", "honest_gain"]),
        (differences, out.differences, ["scenario", "policy", "versus"], ["black_hole_diff"]),
    ):
        check = got[keys + cols].merge(want[keys + cols], on=keys)
        if len(check) != len(want) or any(
            (check[f"{c}_x"] - check[f"{c}_y"]).abs().max() >= 1e-9 for c in cols
        ):
            raise SystemExit(f"the command and allocate() disagree:\n{check}")
    info = {"reps": frame.n, "leads": int(policies["leads"].iloc[0]), "model": name}
    return policies, differences, info


def read(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``policies.csv`` and ``policy_differences.csv`` of an ``allocate`` output folder."""
    return pd.read_csv(folder / "policies.csv"), pd.read_csv(folder / "policy_differences.csv")


def tables(policies: pd.DataFrame, differences: pd.DataFrame, info: dict, seed: int) -> str:
    lines = [
        f"Pipeline survey (`SEED={seed}`): {info['reps']} reps in the analysis sample, "
        + f"{info['leads']:,}".replace(",", " ")
        + f" leads a month; main model `{info['model']}`; 200 draws with seed {seed}. Gains are over the "
        "equal split in black-hole points (naive: evaluated on the estimates the allocation was "
        "chosen on; honest: bias-corrected, 95% interval).",
        "",
        "| scenario | policy | black hole (fitted, 95% interval) | black hole (true parameters) "
        "| naive gain | honest gain [95% interval] | true gain |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in policies.itertuples(index=False):
        if r.scenario != "baseline" and r.policy in ("observed", "score", "oracle"):
            continue
        lines.append(
            f"| {r.scenario} | {r.policy} | {_pct(r.black_hole_rate)} "
            f"[{100 * r.black_hole_low:.1f}, {100 * r.black_hole_high:.1f}] "
            f"| {_pct(r.true_black_hole_rate)} | {100 * r.naive_gain:.2f} "
            f"| {100 * r.honest_gain:.2f} [{100 * r.honest_gain_low:.2f}, "
            f"{100 * r.honest_gain_high:.2f}] | {100 * r.true_gain:.2f} |"
        )
    lines += [
        "",
        "Differences in the baseline scenario (policy minus baseline, in black-hole points; "
        "negative: fewer leads in the black hole), 95% intervals from paired draws "
        "(bias-corrected for `optimal`):",
        "",
        "| policy | versus | difference [95% interval] | P(policy better) | true difference |",
        "|---|---|---|---|---|",
    ]
    for r in differences[differences["scenario"] == "baseline"].itertuples(index=False):
        lines.append(
            f"| {r.policy} | {r.versus} | {100 * r.black_hole_diff:.2f} "
            f"[{100 * r.black_hole_diff_low:.2f}, {100 * r.black_hole_diff_high:.2f}] "
            f"| {r.prob_better:.2f} | {100 * r.true_black_hole_diff:.2f} |"
        )
    return "\n".join(lines)


PATTERN = re.compile(
    r"(<!-- BEGIN allocation-study [^>]*-->\n).*?(\n<!-- END allocation-study -->)", re.S
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--check", action="store_true", help="exit 1 if the docs' block differs")
    ap.add_argument("--results", type=Path, help="an allocate output folder to render from")
    args = ap.parse_args()
    seed, n_zero = int(_make_var("SEED")), int(_make_var("N_ZERO"))
    if args.results is None:
        policies, differences, info = run(seed, n_zero)
    else:
        policies, differences = read(args.results)
        info = _info_of(args.results, policies)
    block = (
        "Produced by `python benchmarks/allocation_study_table.py` (the commands of "
        "`make allocate`).\n\n" + tables(policies, differences, info, seed)
    )
    print(block)
    text = DOCS.read_text()
    found = PATTERN.search(text)
    if not found:
        raise SystemExit(f"markers of the study table not found in {DOCS}")
    if args.check and text[found.end(1) : found.start(2)] != block:
        raise SystemExit(
            f"the allocation-study block of {DOCS} differs from what the code produces"
        )
    if args.write_docs:
        DOCS.write_text(PATTERN.sub(lambda m: m.group(1) + block + m.group(2), text))


def _info_of(folder: Path, policies: pd.DataFrame) -> dict:
    """Reps and model of an allocate run, from its allocation.csv and report."""
    reps = pd.read_csv(folder / "allocation.csv", usecols=["rep_id"])["rep_id"].nunique()
    first = (folder / "assumptions.txt").read_text().splitlines()[0]
    model = re.search(r"model: (?:the )?(\w+)", first).group(1)
    return {"reps": reps, "leads": int(policies["leads"].iloc[0]), "model": model}


if __name__ == "__main__":
    main()
