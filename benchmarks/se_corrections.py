"""The corrections' two-step sandwich standard errors against the bootstrap of both steps.

On one simulated study of N reps (``latent_shares`` for ``fit_eiv``,
``method_factor_marker`` for ``fit_marker``; the exact-share or the rounding-aware
main model), prints each registry effect's standard error from the sandwich
(``std_errors="sandwich"``, the default), from the same sandwich without the first
step's influence (``naive``: the reliabilities and the calibration, or the method
scores, taken as known) and from ``--boot`` bootstrap replicates of both steps
(reps resampled within firms), with the ratio sandwich / bootstrap. The bootstrap
SE's own Monte Carlo error is about ``1 / sqrt(2 B)`` of it::

    python benchmarks/se_corrections.py --what eiv --boot 1000 --seed 11
    python benchmarks/se_corrections.py --what marker --boot 1000 --seed 11
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import leadblackhole.corrections._engine as engine
from leadblackhole.corrections import fit_eiv, fit_marker
from leadblackhole.diagnosis import scenario_design, simulate_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--what", choices=["eiv", "marker"], default="eiv")
    parser.add_argument("--model", default="dirichlet")
    parser.add_argument("--n", type=int, default=461)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    scenario = "latent_shares" if args.what == "eiv" else "method_factor_marker"
    frame, _ = simulate_frame(scenario_design(scenario, args.n, 1.0), seed=args.seed)
    captured = []
    real = engine.sandwich_inference

    def keep(*a):  # the naive standard errors are a by-product of the sandwich
        captured.append(real(*a))
        return captured[-1]

    engine.sandwich_inference = keep

    def fit(**kw):
        if args.what == "eiv":
            return fit_eiv(frame, frame.items, model=args.model, **kw)
        scales = dict(frame.scales) | {"marker": ["mk_1", "mk_2", "mk_3"]}
        return fit_marker(frame, frame.items, "marker", scales, model=args.model, **kw)

    c0 = time.process_time()
    sandwich = fit()
    c1 = time.process_time()
    boot = fit(std_errors="bootstrap", n_boot=args.boot, seed=1)
    c2 = time.process_time()
    table = pd.DataFrame(
        {
            "estimate": sandwich.effects.set_index("id")["estimate"],
            "naive": pd.Series(captured[0].naive_std_errors, index=captured[0].ids),
            "sandwich": sandwich.effects.set_index("id")["std_error"],
            "bootstrap": boot.effects.set_index("id")["std_error"],
        }
    )
    table["sandwich / bootstrap"] = table["sandwich"] / table["bootstrap"]
    params = (sandwich.bse / boot.bse).describe()[["min", "50%", "max"]]
    print(
        f"{sandwich.model_name} on {scenario}, N = {args.n}, seed {args.seed}: sandwich "
        f"{c1 - c0:.2f} CPU-s, bootstrap ({args.boot - boot.n_failed} of {args.boot} replicates) "
        f"{c2 - c1:.1f} CPU-s\n"
    )
    print(table.round(5).to_markdown())
    print(
        "\nCoefficients, sandwich / bootstrap SE: "
        f"min {params['min']:.3f}, median {params['50%']:.3f}, max {params['max']:.3f}"
    )


if __name__ == "__main__":
    main()
