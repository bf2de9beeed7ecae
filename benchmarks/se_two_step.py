"""Two-step standard errors against the bootstrap over both steps, on one simulated study.

The control function on a study of the ``endogenous_volume`` design with a campaign
budget (461 reps): Murphy-Topel (``cov_type="oim"``), the stacked sandwich
(``"robust"``, the default), the second step's own covariance (``naive``, first stage
ignored) and the standard deviation of ``--boot`` bootstrap replicates that refit both
steps (resampling reps within firms). Prints the mean-equation standard errors of the
marketing equation and the effects' standard errors::

    python benchmarks/se_two_step.py --boot 200 --seed 11
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from leadblackhole.data import attach_extra_columns, build_analysis_frame, validate_survey
from leadblackhole.effects.two_step import bootstrap_two_step, two_step_effects
from leadblackhole.models import fit_share_model
from leadblackhole.simulation import StudyDesign, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    design = StudyDesign(volume_routing=0.3, volume_confounding=0.3, instrument_strength=0.5)
    survey, _ = simulate(design, seed=args.seed)
    survey = validate_survey(survey, extra_columns=["campaign_budget"])
    frame = attach_extra_columns(build_analysis_frame(survey), survey, ["campaign_budget"])
    fits = {
        c: fit_share_model(frame, "dirichlet_cf", instruments=["campaign_budget"], cov_type=c)
        for c in ("oim", "robust")
    }
    boot = bootstrap_two_step(fits["robust"], frame, reps=args.boot, seed=1)
    params = pd.DataFrame(
        {
            "naive": np.sqrt(np.diag(fits["robust"].naive_cov_params())),
            "murphy_topel": fits["oim"].bse,
            "sandwich": fits["robust"].bse,
            "bootstrap": boot.param_std_errors,
        }
    ).loc["marketing"]
    effects = pd.DataFrame(
        {
            "murphy_topel": two_step_effects(fits["oim"], frame).set_index("id")["std_error"],
            "sandwich": two_step_effects(fits["robust"], frame).set_index("id")["std_error"],
            "bootstrap": boot.effect_std_errors,
        }
    )
    print(f"Bootstrap: {len(boot.effects)} replicates ({boot.n_failed} failed), seed {args.seed}")
    print("\nStandard errors of the marketing equation's coefficients:\n")
    print(params.round(4).to_markdown())
    print("\nStandard errors of the registry effects:\n")
    print(effects.round(4).T.to_markdown())


if __name__ == "__main__":
    main()
