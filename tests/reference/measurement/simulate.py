"""Simulate the item datasets used as reference data for the measurement tests.

Run from anywhere: ``python simulate.py``. Writes ``two_factor.csv`` and
``three_factor.csv`` next to this script. Both datasets are deterministic
(``numpy.random.default_rng`` with fixed seeds), so re-running reproduces the
files byte for byte.

Data-generating model (both files): standardized factors ``f`` drawn from a
multivariate normal with the correlation matrix ``phi``; each item is
``y = 4 + 1.3 * (lambda * f + sqrt(1 - lambda**2) * e)`` with ``e`` standard
normal, rounded to the nearest integer and clipped to the Likert range 1..7.

* ``two_factor.csv``: n = 461, scales ``prequal`` (4 items) and ``tracking``
  (4 items), loadings 0.70-0.85, factor correlation 0.30. About 1.5 % of the
  cells are set to missing completely at random, so the listwise-deletion rule
  is exercised.
* ``three_factor.csv``: n = 350, scales ``prequal`` (3 items), ``tracking``
  (5 items) and ``feedback`` (2 items; a two-item factor is identified because
  it correlates with the other factors), no missing values.
* ``with_noise.csv``: n = 461, the two scales of ``two_factor`` (new seed, no
  missing values) plus a ``noise`` scale of 4 items that are independent
  uniform integers 1..7 (no common factor at all).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

DESIGNS = {
    "two_factor": {
        "seed": 20130401,
        "n": 461,
        "loadings": {
            "prequal": [0.70, 0.75, 0.80, 0.85],
            "tracking": [0.72, 0.78, 0.82, 0.76],
        },
        "phi": [[1.0, 0.30], [0.30, 1.0]],
        "missing_share": 0.015,
    },
    "three_factor": {
        "seed": 20130402,
        "n": 350,
        "loadings": {
            "prequal": [0.75, 0.80, 0.70],
            "tracking": [0.70, 0.72, 0.78, 0.80, 0.74],
            "feedback": [0.80, 0.75],
        },
        "phi": [[1.0, 0.30, 0.40], [0.30, 1.0, 0.25], [0.40, 0.25, 1.0]],
        "missing_share": 0.0,
    },
}


def simulate(
    seed: int,
    n: int,
    loadings: dict[str, list[float]],
    phi: list[list[float]],
    missing_share: float,
) -> pd.DataFrame:
    """Draw one item dataset (see the module docstring for the model)."""
    rng = np.random.default_rng(seed)
    factors = rng.multivariate_normal(np.zeros(len(loadings)), np.asarray(phi), size=n)
    columns: dict[str, np.ndarray] = {}
    for k, (scale, lams) in enumerate(loadings.items()):
        for j, lam in enumerate(lams, start=1):
            latent = lam * factors[:, k] + np.sqrt(1.0 - lam**2) * rng.standard_normal(n)
            columns[f"{scale}_{j}"] = np.clip(np.rint(4.0 + 1.3 * latent), 1, 7)
    df = pd.DataFrame(columns)
    if missing_share > 0:
        mask = rng.random(df.shape) < missing_share
        df = df.mask(mask)
    return df.astype("Int64")


def simulate_with_noise(seed: int = 20130403, n: int = 461) -> pd.DataFrame:
    """Two real scales (as in ``two_factor``, no missing values) plus a ``noise``
    scale of 4 independent uniform integers 1..7."""
    design = {**DESIGNS["two_factor"], "seed": seed, "n": n, "missing_share": 0.0}
    df = simulate(**design)
    rng = np.random.default_rng(seed + 1)
    for j in range(1, 5):
        df[f"noise_{j}"] = pd.array(rng.integers(1, 8, size=n), dtype="Int64")
    return df


def main() -> None:
    for name, design in DESIGNS.items():
        df = simulate(**design)
        df.to_csv(HERE / f"{name}.csv", index=False, lineterminator="\n")
    simulate_with_noise().to_csv(HERE / "with_noise.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
