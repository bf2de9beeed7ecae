"""The marker correction when the method loadings differ: equal, free and automatic loadings.

Draws four large surveys (``--n`` reps, default 20 000) whose shares depend on the item
means and on a method factor ``c`` (0.3 in the marketing log-ratio), with known
coefficients (marketing: prequal 0.10, tracking 0.05; self: prequal -0.08, tracking 0),
and method loadings (in latent SD units, times the items' spread 1.3):

* ``equal``: 0.4 on every item, marker and model alike (the model of the correction);
* ``unequal``: 0.2 to 0.6 by item, mean 0.4 per scale;
* ``weak_marker``: 0.45 on the model's items, 0.25 on the marker's;
* ``strong_marker``: 0.35 on the model's items, 0.55 on the marker's.

The answers, the method and the shares are drawn here (numpy only); the other columns
(firms, leads, experience, quota, pay) come from the package's simulator. Each survey is
fitted with ``fit_marker`` on the exact-share Dirichlet model with ``loadings="equal"``,
``"free"`` and ``"auto"`` (the default), and the script prints, per survey and loadings,
the z statistic (estimate minus the true coefficient, over the standard error) of the two
scale coefficients of the marketing equation, the standard errors, and what ``auto`` chose.

    python benchmarks/marker_loadings.py [--n 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from leadblackhole.corrections import fit_marker
from leadblackhole.data import build_analysis_frame, load_survey
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.tables_text import table_to_csv

LAM = np.array([0.85, 0.8, 0.75, 0.7, 0.8, 0.8, 0.75, 0.7, 0.8, 0.75, 0.7])
METHOD = {
    "equal": np.full(11, 0.4),
    "unequal": np.array([0.55, 0.25, 0.45, 0.3, 0.35, 0.6, 0.2, 0.5, 0.5, 0.3, 0.4]),
    "weak_marker": np.r_[np.full(8, 0.45), np.full(3, 0.25)],
    "strong_marker": np.r_[np.full(8, 0.35), np.full(3, 0.55)],
}
TRUE = {"prequal": 0.10, "tracking": 0.05}
COLS = [f"pq_{j}" for j in range(1, 5)] + [f"mt_{j}" for j in range(1, 5)]
COLS += [f"mk_{j}" for j in range(1, 4)]


def draw(method: np.ndarray, n: int, seed: int):
    """A survey (input schema) with the answers, method and shares drawn as the docstring says."""
    base, _ = simulate(StudyDesign(n_reps=n, marker_items=3), seed=seed)
    rng = np.random.default_rng(seed + 100)
    m = len(base)
    z = rng.standard_normal((m, 2))
    f = np.column_stack([z[:, 0], 0.3 * z[:, 0] + np.sqrt(0.91) * z[:, 1], rng.standard_normal(m)])
    c = rng.standard_normal(m)
    which = np.r_[[0] * 4, [1] * 4, [2] * 3]
    e = rng.standard_normal((m, 11))
    x = 4.3 + 1.3 * (f[:, which] * LAM + e * np.sqrt(1 - LAM**2) + method * c[:, None])
    items = np.clip(np.round(x), 1, 7)
    s = base.copy()
    s[COLS] = items.astype(int)
    wpq, wmt = items[:, :4].mean(1) - 4.3, items[:, 4:8].mean(1) - 4.3
    eta = np.column_stack([-0.3 + 0.10 * wpq + 0.05 * wmt + 0.3 * c, 0.2 - 0.08 * wpq, 0 * c])
    mu = np.exp(eta) / np.exp(eta).sum(1, keepdims=True)
    y = rng.gamma(15 * mu)
    q = 100 * y / y.sum(1, keepdims=True)
    fl = np.floor(q)
    order = np.argsort(-(q - fl), axis=1, kind="stable")
    rem = 100 - fl.sum(1)
    for k in range(3):
        fl[np.arange(m), order[:, k]] += rem > k
    s["pct_marketing"], s["pct_self"], s["pct_other"] = fl.T.astype(int)
    return s[s["pct_marketing"] > 0].reset_index(drop=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    print("| survey | loadings | z prequal | z tracking | SE prequal | SE tracking | free used |")
    print("|---|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, method in METHOD.items():
            path, cb = Path(tmp) / f"{name}.csv", Path(tmp) / "codebook.toml"
            path.write_text(table_to_csv(draw(method, a.n, a.seed)))
            cb.write_text('[scales.marker]\nitems = ["mk_1", "mk_2", "mk_3"]\n')
            survey = load_survey(path, codebook=cb)
            frame = build_analysis_frame(survey)
            items, scales = frame.measurement_inputs(survey)[:2]
            for loadings in ("equal", "free", "auto"):
                res = fit_marker(frame, items, "marker", scales, loadings=loadings)
                z = {t: (res.params[("marketing", t)] - v) / res.bse[("marketing", t)]
                     for t, v in TRUE.items()}  # fmt: skip
                se = {t: res.bse[("marketing", t)] for t in TRUE}
                used = "yes" if res.first_step["free_loadings"] == 1 else "no"
                print(f"| {name} | {loadings} | {z['prequal']:+.1f} | {z['tracking']:+.1f} | "
                      f"{se['prequal']:.4f} | {se['tracking']:.4f} | {used} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
