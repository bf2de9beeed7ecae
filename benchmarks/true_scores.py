"""The simulator's scales in closed form: true scores, reliabilities, what calibration targets.

For each scale of :class:`leadblackhole.simulation.StudyDesign` (default values), draws
``--n`` construct scores ``f`` (with the firm shifts of the design) and computes, per
rep, the classical-test-theory true score of the item mean, ``T = E[item mean | f]``,
exactly: an item is ``clip(round(c + s(l f + sqrt(1 - l^2) e)), 1, 7)`` with ``e`` standard
normal, so ``E[item | f]`` is a sum over the seven answers of the normal probabilities
of their rounding intervals. It then prints, within firms (the model has firm effects):

* ``slope``: the regression slope of ``T`` on the simulator's construct score on the
  item scale, ``c + s * mean(loadings) * f`` (the variable that drives the shares under
  ``share_driver="latent"``). Below 1 because the 1-7 clip compresses the true score: an
  estimator consistent for the effect per point of ``T`` reads ``1 / slope - 1`` above
  the simulator's population value of a scale effect.
* ``reliability``: ``Var(T) / Var(item mean)``, the item mean's reliability, from the
  same reps with one drawn item mean each.
* ``1/reliability - 1``: the inflation regression calibration gives a scale effect when
  the shares depend on the item mean itself (``share_driver="observed"``, the
  ``default`` scenario): docs/corrections.md, "What the correction assumes".

Usage::

    python benchmarks/true_scores.py [--n 400000] [--seed 1]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import norm

from leadblackhole.simulation import StudyDesign


def expected_item(f: np.ndarray, loading: float, center: float, spread: float) -> np.ndarray:
    """``E[clip(round(center + spread (loading f + sqrt(1 - loading^2) e)), 1, 7) | f]``."""
    mu = center + spread * loading * f
    sd = spread * np.sqrt(1 - loading**2)
    cuts = np.r_[-np.inf, np.arange(1.5, 7.0, 1.0), np.inf]  # answer k: [k - 0.5, k + 0.5)
    cdf = norm.cdf((cuts[:, None] - mu) / sd)
    return (np.arange(1, 8)[:, None] * np.diff(cdf, axis=0)).sum(axis=0)


def _within(x: np.ndarray, firm: np.ndarray) -> np.ndarray:
    means = np.bincount(firm, weights=x) / np.bincount(firm)
    return x - means[firm]


def scale_rows(n: int, seed: int) -> list[dict]:
    """One row per scale: slope of the true score, reliability, calibration's inflation."""
    d = StudyDesign()
    rng = np.random.default_rng(seed)
    rows = []
    for name, loadings, shifts in (
        ("prequal", d.prequal_loadings, d.firm_prequal_shift),
        ("tracking", d.tracking_loadings, d.firm_tracking_shift),
    ):
        firm = rng.integers(0, len(shifts), n)
        f = rng.standard_normal(n) + np.asarray(shifts)[firm]
        lam = np.asarray(loadings)
        latent = d.item_center + d.item_spread * lam.mean() * f
        true = np.mean([expected_item(f, x, d.item_center, d.item_spread) for x in lam], axis=0)
        e = rng.standard_normal((n, lam.size))
        answers = np.clip(
            np.round(d.item_center + d.item_spread * (f[:, None] * lam + e * np.sqrt(1 - lam**2))),
            1,
            7,
        )
        mean = answers.mean(axis=1)
        lw, tw, mw = (_within(x, firm) for x in (latent, true, mean))
        rho = tw.var() / mw.var()
        rows.append({"scale": name, "slope": lw @ tw / (lw @ lw), "reliability": rho,
                     "inflation": 1 / rho - 1})  # fmt: skip
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=400_000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    print(
        "| scale | slope of T on the construct score | 1/slope - 1 | reliability | 1/reliability - 1 |"
    )
    print("|---|---:|---:|---:|---:|")
    for r in scale_rows(a.n, a.seed):
        print(f"| {r['scale']} | {r['slope']:.3f} | {1 / r['slope'] - 1:+.1%} | "
              f"{r['reliability']:.3f} | {r['inflation']:+.1%} |")  # fmt: skip


if __name__ == "__main__":
    main()
