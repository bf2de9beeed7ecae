"""Generate the synthetic data sets of the Dirichlet regression reference cases.

Deterministic (numpy ``default_rng`` with fixed seeds); running it again
rewrites identical files. Run from any folder::

    python tests/reference/dirichlet/make_datasets.py

Writes, next to this script:

``sales_leads_synthetic.csv``
    300 rows; shares ``marketing``, ``self``, ``other`` drawn from a Dirichlet
    regression in the alternative parametrization (base ``other``) with
    continuous regressors ``x1``-``x4`` (``x3`` badly scaled, in the thousands),
    a three-level categorical ``firm`` (a, b, c), the interaction ``x1:x2`` and
    a precision covariate ``z``. Some shares are set to exactly 0 (and three
    rows to a share of exactly 1) so that the zero-share compression applies.
``four_components_synthetic.csv``
    200 rows; shares ``email``, ``phone``, ``web``, ``other`` with regressors
    ``u1``, ``u2`` and a two-level categorical ``region``; no zeros.

Numbers are written with 17 significant digits so that R and Python read the
same doubles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    g = rng.gamma(alpha)
    return g / g.sum(axis=1, keepdims=True)


def _softmax(eta: np.ndarray) -> np.ndarray:
    e = np.exp(eta - eta.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sales_leads(seed: int = 20130501, n: int = 300) -> pd.DataFrame:
    """Three-component synthetic data with exact zeros and ones."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(0.0, 1.0, n)
    x2 = rng.uniform(0.0, 10.0, n)
    x3 = rng.lognormal(7.0, 0.6, n)
    x4 = rng.normal(50.0, 10.0, n)
    firm = rng.choice(np.array(["a", "b", "c"]), n)
    z = rng.normal(0.0, 1.0, n)
    fb = (firm == "b").astype(float)
    fc = (firm == "c").astype(float)
    eta_m = (
        -0.4 + 0.5 * x1 - 0.06 * x2 + 2e-4 * x3 + 0.01 * x4 + 0.4 * fb - 0.3 * fc + 0.05 * x1 * x2
    )
    eta_s = (
        -0.2 - 0.3 * x1 + 0.05 * x2 - 1e-4 * x3 + 0.005 * x4 - 0.2 * fb + 0.3 * fc - 0.03 * x1 * x2
    )
    mu = _softmax(np.column_stack([eta_m, eta_s, np.zeros(n)]))
    phi = np.exp(3.0 + 0.3 * z)
    y = _dirichlet(rng, mu * phi[:, None])
    # Exact zeros: 'self' in 15 rows, 'marketing' in 8 rows; exact ones in 3 rows.
    rows = rng.permutation(n)
    y[rows[:15], 1] = 0.0
    y[rows[15:23], 0] = 0.0
    y[rows[23:26]] = [1.0, 0.0, 0.0]
    y = y / y.sum(axis=1, keepdims=True)
    positive = y[y > 0]
    assert positive.min() > 1e-7, "a share is too close to 0 for DR_data's threshold"
    return pd.DataFrame(
        {
            "marketing": y[:, 0],
            "self": y[:, 1],
            "other": y[:, 2],
            "x1": x1,
            "x2": x2,
            "x3": x3,
            "x4": x4,
            "firm": firm,
            "z": z,
        }
    )


def four_components(seed: int = 4242, n: int = 200) -> pd.DataFrame:
    """Four-component synthetic data without zeros."""
    rng = np.random.default_rng(seed)
    u1 = rng.normal(0.0, 1.0, n)
    u2 = rng.uniform(-1.0, 1.0, n)
    region = rng.choice(np.array(["north", "south"]), n)
    south = (region == "south").astype(float)
    eta = np.column_stack(
        [
            0.3 + 0.4 * u1 - 0.2 * u2 + 0.3 * south,
            -0.1 - 0.2 * u1 + 0.5 * u2 - 0.2 * south,
            0.5 + 0.1 * u1 + 0.3 * u2 + 0.1 * south,
            np.zeros(n),
        ]
    )
    mu = _softmax(eta)
    phi = np.exp(3.0 + 0.4 * u1)
    y = _dirichlet(rng, mu * phi[:, None])
    assert y.min() > 1e-7, "a share is too close to 0 for DR_data's threshold"
    return pd.DataFrame(
        {
            "email": y[:, 0],
            "phone": y[:, 1],
            "web": y[:, 2],
            "other": y[:, 3],
            "u1": u1,
            "u2": u2,
            "region": region,
        }
    )


def main() -> None:
    for name, frame in [
        ("sales_leads_synthetic.csv", sales_leads()),
        ("four_components_synthetic.csv", four_components()),
    ]:
        frame.to_csv(HERE / name, index=False, float_format="%.17g", lineterminator="\n")
        print(f"wrote {name}: {frame.shape[0]} rows")


if __name__ == "__main__":
    main()
