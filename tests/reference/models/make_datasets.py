"""Write the analysis data sets of the robustness-model reference cases.

Deterministic: each data set is a simulated survey (fixed seed) run through
the package's own input contract (``validate_survey``) and analysis frame
(``build_analysis_frame``). Running the script again rewrites identical
files as long as the simulator and the analysis frame are unchanged; the
tests read the CSV files, never the simulator, so the reference values stay
valid whatever happens to the simulator. Run from any folder::

    python tests/reference/models/make_datasets.py

Writes, next to this script, for each case ``<name>``:

``<name>_survey.csv``
    The survey in the canonical input schema (what a user would supply).
``<name>_analysis.csv``
    ``frame.data``: ``rep_id``, ``firm``, the centred analysis variables and
    the shares ``marketing``, ``self``, ``other`` as reported (the percents
    divided by their row sum, zeros kept: the robustness models use them so;
    only the Dirichlet likelihood compresses).
``<name>_selection.csv``
    ``frame.selection``: every rep with complete predictors, centred at the
    same means, with ``any_marketing`` (0/1).

and ``datasets.json``: for each case its files, the simulation design, the
number of compressed rows, the firm labels and the design's term names in
the package's order (``leadblackhole.specification.design_matrix``).

Cases
-----
``four_firms``
    ``StudyDesign(n_zero_marketing=40)`` (461 analysable reps in four firms,
    with the ``variable_pay`` control, 40 reps with no marketing-lead time),
    seed 2013.
``three_firms``
    ``StudyDesign.for_firms(3, n_reps=180, n_zero_marketing=30,
    include_variable_pay=False, precision=4)`` (no ``variable_pay``; with a
    low precision some heaped shares are 0), seed 2.
``zero_other``
    ``StudyDesign.for_firms(3, n_reps=240, n_zero_marketing=20)``, seed 7,
    then, in the canonical survey, the first 40 reps with marketing-lead time
    and ``pct_other`` at most 15 move their ``pct_other`` into ``pct_self``:
    ``pct_other`` has exact zeros (a case the simulator alone rarely makes),
    which the robustness models must take as they are.

Numbers are written with 17 significant digits so that R and Python read the
same doubles.
"""

from __future__ import annotations

import json
from pathlib import Path

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.simulation import (
    DEFAULT_BETA_MARKETING,
    DEFAULT_BETA_SELF,
    StudyDesign,
    simulate,
)
from leadblackhole.specification import design_matrix

HERE = Path(__file__).resolve().parent


def _no_pay(beta):
    return {k: v for k, v in dict(beta).items() if k != "variable_pay"}


CASES = {
    "four_firms": (
        "StudyDesign(n_zero_marketing=40)",
        lambda: StudyDesign(n_zero_marketing=40),
        2013,
    ),
    "three_firms": (
        "StudyDesign.for_firms(3, n_reps=180, n_zero_marketing=30, "
        "include_variable_pay=False, precision=4) without the variable_pay coefficients",
        lambda: StudyDesign.for_firms(
            3,
            n_reps=180,
            n_zero_marketing=30,
            include_variable_pay=False,
            precision=4,
            beta_marketing=_no_pay(DEFAULT_BETA_MARKETING),
            beta_self=_no_pay(DEFAULT_BETA_SELF),
        ),
        2,
    ),
    "zero_other": (
        "StudyDesign.for_firms(3, n_reps=240, n_zero_marketing=20), then pct_other of the "
        "first 40 reps with marketing time and pct_other <= 15 moved into pct_self",
        lambda: StudyDesign.for_firms(3, n_reps=240, n_zero_marketing=20),
        7,
    ),
}


def _zero_other(survey):
    """Move ``pct_other`` into ``pct_self`` for 40 reps: exact zeros in ``pct_other``."""
    survey = survey.copy()
    pick = survey.index[(survey["pct_marketing"] > 0) & (survey["pct_other"] <= 15)][:40]
    survey.loc[pick, "pct_self"] += survey.loc[pick, "pct_other"]
    survey.loc[pick, "pct_other"] = 0
    return survey


def _write(df, path: Path) -> None:
    path.write_text(df.to_csv(index=False, lineterminator="\n", float_format="%.17g"))


def main() -> None:
    """Write every case's CSV files and ``datasets.json``."""
    meta = {}
    for name, (label, make, seed) in CASES.items():
        survey, _ = simulate(make(), seed=seed)
        if name == "zero_other":
            survey = _zero_other(survey)
        frame = build_analysis_frame(validate_survey(survey))
        _write(survey, HERE / f"{name}_survey.csv")
        _write(frame.data, HERE / f"{name}_analysis.csv")
        _write(frame.selection, HERE / f"{name}_selection.csv")
        meta[name] = {
            "survey": f"{name}_survey.csv",
            "analysis": f"{name}_analysis.csv",
            "selection": f"{name}_selection.csv",
            "design": label,
            "seed": seed,
            "n_analysis": int(frame.n),
            "n_selection": int(len(frame.selection)),
            "n_compressed": int(frame.n_compressed),
            "n_zero_other": int((frame.data["other"] == 0).sum()),
            "firms": frame.firms,
            "variable_pay": bool(frame.has_variable_pay),
            "terms": list(design_matrix(frame.data).columns),
        }
    (HERE / "datasets.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
