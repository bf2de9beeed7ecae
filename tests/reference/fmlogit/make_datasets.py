"""Write the data sets of the fractional multinomial logit reference cases.

The fractional multinomial logit uses the *raw* shares (percents divided by
their row sum, zeros and ones as reported), not the compressed shares of the
Dirichlet model, so these files hold ``frame.raw``'s shares beside the centred
analysis variables of ``frame.data``. Deterministic (fixed seeds); the tests
read the CSV files, never the simulator. Run from any folder::

    python tests/reference/fmlogit/make_datasets.py

Cases (written as ``<name>.csv`` next to this script, plus ``datasets.json``)
----------------------------------------------------------------------------
``four_firms``
    ``StudyDesign(n_zero_marketing=40)``, seed 2013: the design of
    ``tests/reference/models``' ``four_firms`` case, raw shares.
``three_firms``
    ``StudyDesign.for_firms(3, n_reps=180, n_zero_marketing=30,
    include_variable_pay=False, precision=4)`` without the variable-pay
    coefficients, seed 2: low precision, so 15 reps report a self or other
    share of exactly 0.
``boundary``
    ``three_firms`` with every 15th rep (rows 7, 22, 37, ...) set to spend all
    of their time on marketing leads (shares 1, 0, 0): a constructed case with
    exact ones and more exact zeros.

Numbers are written with 17 significant digits so that R and Python read the
same doubles.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.simulation import (
    DEFAULT_BETA_MARKETING,
    DEFAULT_BETA_SELF,
    StudyDesign,
    simulate,
)
from leadblackhole.specification import COMPONENTS, design_matrix

HERE = Path(__file__).resolve().parent


def _no_pay(beta):
    return {k: v for k, v in dict(beta).items() if k != "variable_pay"}


def _three_firms():
    return StudyDesign.for_firms(
        3,
        n_reps=180,
        n_zero_marketing=30,
        include_variable_pay=False,
        precision=4,
        beta_marketing=_no_pay(DEFAULT_BETA_MARKETING),
        beta_self=_no_pay(DEFAULT_BETA_SELF),
    )


def _raw_data(design, seed):
    survey, _ = simulate(design, seed=seed)
    frame = build_analysis_frame(validate_survey(survey))
    data = frame.data.copy()
    data[list(COMPONENTS)] = frame.raw[list(COMPONENTS)].to_numpy()
    return data


def _boundary():
    data = _raw_data(_three_firms(), 2)
    rows = np.arange(7, len(data), 15)
    data.loc[rows, list(COMPONENTS)] = [1.0, 0.0, 0.0]
    return data


CASES = {
    "four_firms": (
        "StudyDesign(n_zero_marketing=40), seed 2013, raw shares",
        lambda: _raw_data(StudyDesign(n_zero_marketing=40), 2013),
    ),
    "three_firms": (
        "StudyDesign.for_firms(3, n_reps=180, n_zero_marketing=30, "
        "include_variable_pay=False, precision=4), seed 2, raw shares",
        lambda: _raw_data(_three_firms(), 2),
    ),
    "boundary": ("three_firms with rows 7, 22, 37, ... set to shares (1, 0, 0)", _boundary),
}


def main() -> None:
    """Write every case's CSV file and ``datasets.json``."""
    meta = {}
    for name, (label, make) in CASES.items():
        data = make()
        path = HERE / f"{name}.csv"
        path.write_text(data.to_csv(index=False, lineterminator="\n", float_format="%.17g"))
        shares = data[list(COMPONENTS)].to_numpy()
        meta[name] = {
            "file": path.name,
            "design": label,
            "n": len(data),
            "n_zero_cells": int((shares == 0).sum()),
            "n_one_cells": int((shares == 1).sum()),
            "firms": sorted(data["firm"].astype(str).unique().tolist()),
            "terms": list(design_matrix(data).columns),
        }
    (HERE / "datasets.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
