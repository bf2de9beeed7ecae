"""Benchmark of the Dirichlet regression estimator.

Times ``DirichletRegression.fit()`` plus the standard errors on a synthetic
data set shaped like the study (461 rows; shares of marketing, self and other;
8 continuous regressors, 3 firm dummies and 6 interactions, i.e. 17 regressors
plus the intercept; alternative parametrization with base ``other`` and a
constant precision), and prints the median of several repeats.

The data are generated deterministically and written to
``benchmarks/data/bench_dirichlet.csv`` (when missing, or with
``--write-data``) so that ``benchmarks/bench_dirichlet.R`` times R's
DirichletReg on the same rows.

Usage::

    python benchmarks/bench_dirichlet.py [--repeats 30] [--write-data]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from leadblackhole.exceptions import ZeroShareWarning
from leadblackhole.models.dirichlet import DirichletRegression
from leadblackhole.outputs import atomic_write_text

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "bench_dirichlet.csv"
SEED = 461
FORMULA = (
    "marketing + self + other ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + firm"
    " + x1:x2 + x1:x3 + x2:x3 + x4:x5 + x1:x6 + x7:x8"
)


def make_data(seed: int = SEED, n: int = 461) -> pd.DataFrame:
    """Study-shaped synthetic data (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    x[:, 6] = rng.integers(1, 8, n)  # a 7-point scale
    x[:, 7] = rng.lognormal(3.0, 0.5, n)  # a size measure, badly scaled
    firm = rng.choice(np.array(["A", "B", "C", "D"]), n)
    dummies = np.column_stack([(firm == f).astype(float) for f in "BCD"])
    inter = np.column_stack(
        [x[:, 0] * x[:, 1], x[:, 0] * x[:, 2], x[:, 1] * x[:, 2], x[:, 3] * x[:, 4]]
        + [x[:, 0] * x[:, 5], x[:, 6] * x[:, 7]]
    )
    design = np.column_stack([np.ones(n), x, dummies, inter])
    coef = rng.normal(scale=0.15, size=(2, design.shape[1]))
    coef[:, 8] /= 20.0  # the badly scaled regressor
    coef[:, -1] /= 100.0
    eta = np.column_stack([design @ coef[0], design @ coef[1], np.zeros(n)])
    mu = np.exp(eta - eta.max(axis=1, keepdims=True))
    mu /= mu.sum(axis=1, keepdims=True)
    g = rng.gamma(mu * 12.0)
    y = g / g.sum(axis=1, keepdims=True)
    # Survey-style exact zeros in about 5% of the rows.
    rows = rng.choice(n, size=23, replace=False)
    y[rows, rng.integers(0, 3, rows.size)] = 0.0
    y = y / y.sum(axis=1, keepdims=True)
    y = np.where(y < 1e-6, 0.0, y)  # no shares between 0 and DR_data's threshold
    y = y / y.sum(axis=1, keepdims=True)
    frame = pd.DataFrame(y, columns=["marketing", "self", "other"])
    for j in range(8):
        frame[f"x{j + 1}"] = x[:, j]
    frame["firm"] = firm
    return frame


def load_data(write: bool) -> pd.DataFrame:
    if write or not DATA.exists():
        frame = make_data()
        atomic_write_text(
            DATA, frame.to_csv(index=False, float_format="%.17g", lineterminator="\n")
        )
        print(f"wrote {DATA.relative_to(HERE.parent)}")
    return pd.read_csv(DATA)


def cpu_name() -> str:
    """CPU model from /proc/cpuinfo (Linux), else what platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--write-data", action="store_true")
    args = parser.parse_args()

    data = load_data(args.write_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        model = DirichletRegression.from_formula(FORMULA, data)

        def fit_and_se():
            res = model.fit()
            res.bse  # noqa: B018 - standard errors are part of the timed work
            return res

        def end_to_end():
            res = DirichletRegression.from_formula(FORMULA, data).fit()
            res.bse  # noqa: B018
            return res

        res = fit_and_se()  # warm-up
        end_to_end()
        t_fit = median_time(fit_and_se, args.repeats)
        t_all = median_time(end_to_end, args.repeats)

    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(
        f"data: {model.nobs} rows, {model.k_components} components, "
        f"{len(model.exog_names['marketing'])} mean regressors (incl. intercept), "
        f"{model.k_params} parameters, {model.n_compressed} rows compressed"
    )
    print(f"llf {res.llf:.6f}, converged {res.converged} in {res.iterations} iterations")
    print(f"fit() + bse, median of {args.repeats}: {t_fit * 1e3:.2f} ms")
    print(f"from_formula() + fit() + bse, median of {args.repeats}: {t_all * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
