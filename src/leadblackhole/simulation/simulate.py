"""Drawing a simulated study from a :class:`~leadblackhole.simulation.design.StudyDesign`.

:func:`simulate` is pure (no I/O) and fast, so a Monte Carlo design
diagnosis can call it thousands of times; every draw comes from a
``numpy.random.Generator`` made from the explicit seed. The population
quantities in :class:`Truth` are computed once per design from a large
fixed-seed population draw and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..registry import HYPOTHESES
from ..shares import (
    mean_shares,
    softmax_effect,
    term_derivative,
    term_second_derivative,
)
from ..specification import COMPONENTS, design_matrix, firm_levels, term_names
from .design import StudyDesign

__all__ = ["POPULATION_SIZE", "Simulation", "Truth", "heap_percents", "simulate"]

#: Size of the population draw behind :class:`Truth` (fixed seed, cached per design).
POPULATION_SIZE: int = 200_000
_POPULATION_SEED: int = 2013_0077
_WEEKS_PER_MONTH: float = 52.0 / 12.0


@dataclass(frozen=True, eq=False)
class Truth:
    """Population values behind a simulated study.

    Attributes
    ----------
    params : Series
        True coefficients labelled like the fitted Dirichlet model:
        MultiIndex (equation, term) with equations ``marketing``, ``self``
        and ``precision`` (``Intercept`` = log phi). The intercepts refer to
        variables centred at the population means; the slopes and every
        effect do not depend on the centring.
    effects : DataFrame
        Indexed by registry id: ``outcome``, ``predictor``, ``moderator``,
        ``expected_sign``, ``value`` (population average of the derivative or
        cross-partial of the expected share).
    population_means : Series
        Means of the analysis variables in the population.
    black_hole_rate : float
        Population share of marketing leads never followed up.
    mean_shares : Series
        Population mean of the three time shares.
    design : StudyDesign
    """

    params: pd.Series
    effects: pd.DataFrame
    population_means: pd.Series
    black_hole_rate: float
    mean_shares: pd.Series
    design: StudyDesign


class Simulation(NamedTuple):
    """What :func:`simulate` returns: ``survey, truth = simulate(design, seed)``."""

    survey: pd.DataFrame
    truth: Truth


def _firm_counts(weights: tuple[float, ...], n: int) -> np.ndarray:
    w = np.asarray(weights, float)
    quota = w / w.sum() * n
    counts = np.floor(quota).astype(int)
    rest = n - counts.sum()
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts


def _draw_reps(design: StudyDesign, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw ``n`` reps' answers (everything but the time shares)."""
    counts = _firm_counts(design.firm_weights, n)
    firm_idx = np.repeat(np.arange(len(design.firms)), counts)
    rho = design.scale_correlation
    z = rng.standard_normal((n, 2))
    f_pq = z[:, 0] + np.asarray(design.firm_prequal_shift)[firm_idx]
    f_mt = (
        rho * z[:, 0]
        + np.sqrt(1 - rho**2) * z[:, 1]
        + np.asarray(design.firm_tracking_shift)[firm_idx]
    )

    def items(f: np.ndarray, loadings: tuple[float, ...]) -> np.ndarray:
        lam = np.asarray(loadings)
        e = rng.standard_normal((n, lam.size))
        x = design.item_center + design.item_spread * (f[:, None] * lam + e * np.sqrt(1 - lam**2))
        return np.clip(np.round(x), 1, 7).astype(int)

    pq = items(f_pq, design.prequal_loadings)
    mt = items(f_mt, design.tracking_loadings)
    mean_leads = np.asarray(design.firm_lead_mean)[firm_idx]
    r = design.lead_dispersion
    leads = rng.negative_binomial(r, r / (r + mean_leads))
    # capped at the input schema's plausibility bound of 60 years (docs/data.md), which a
    # Gamma(2, 5) draw exceeds with probability 8e-5: a large simulated survey must validate
    experience = np.minimum(
        np.round(rng.gamma(design.experience_shape, design.experience_scale, n)), 60.0
    )
    exp_mean = design.experience_shape * design.experience_scale
    quota = np.round(
        design.quota_mean
        + design.quota_experience_slope * (experience - exp_mean)
        + design.quota_sd * rng.standard_normal(n)
    )
    quota = np.maximum(quota, 0)
    pay = np.clip(
        np.round(
            np.asarray(design.firm_pay_mean)[firm_idx] + design.pay_sd * rng.standard_normal(n)
        ),
        0,
        100,
    )
    hours = np.clip(np.round(design.hours_mean + design.hours_sd * rng.standard_normal(n)), 30, 70)
    return {
        "firm_idx": firm_idx,
        "pq": pq,
        "mt": mt,
        "lead_volume": leads,
        "experience": experience,
        "quota_pct": quota,
        "variable_pay_pct": pay,
        "hours_per_week": hours,
    }


def _variables(design: StudyDesign, draw: dict[str, np.ndarray]) -> pd.DataFrame:
    """Uncentred analysis variables of drawn reps (docs/study.md definitions)."""
    out = pd.DataFrame(
        {
            "firm": np.asarray(design.firms, dtype=object)[draw["firm_idx"]],
            "prequal": draw["pq"].mean(axis=1),
            "tracking": draw["mt"].mean(axis=1),
            "volume": np.log1p(draw["lead_volume"]),
            "experience": draw["experience"].astype(float),
            "performance": draw["quota_pct"] / 100.0,
        }
    )
    if design.include_variable_pay:
        out["variable_pay"] = draw["variable_pay_pct"] / 100.0
    return out


def _coefficients(design: StudyDesign) -> tuple[list[str], np.ndarray]:
    """Model term names and the p x 2 true coefficient matrix (marketing, self)."""
    levels = firm_levels(design.firms)
    terms = term_names(levels, design.include_variable_pay)
    ref = levels[0]
    firm_pos = {f: i for i, f in enumerate(design.firms)}
    B = np.zeros((len(terms), 2))
    for j, (beta, firm_eff) in enumerate(
        (
            (dict(design.beta_marketing), design.firm_effect_marketing),
            (dict(design.beta_self), design.firm_effect_self),
        )
    ):
        for i, t in enumerate(terms):
            if t == "Intercept":
                B[i, j] = beta.get("Intercept", 0.0) + firm_eff[firm_pos[ref]]
            elif t.startswith("firm[T."):
                lv = t[len("firm[T.") : -1]
                B[i, j] = firm_eff[firm_pos[lv]] - firm_eff[firm_pos[ref]]
            else:
                B[i, j] = beta.get(t, 0.0)
    unknown = (set(dict(design.beta_marketing)) | set(dict(design.beta_self))) - set(terms)
    if unknown:
        from ..exceptions import DesignError

        raise DesignError(f"coefficients for unknown terms {sorted(unknown)}; known: {terms}")
    return terms, B


def _draw_shares(rng: np.random.Generator, mu: np.ndarray, phi: float) -> np.ndarray:
    g = rng.standard_gamma(mu * phi)
    g = np.maximum(g, np.finfo(float).tiny)
    return g / g.sum(axis=1, keepdims=True)


def heap_percents(shares: np.ndarray, step: int, floor_first: bool = True) -> np.ndarray:
    """Report shares as percents heaped on multiples of ``step`` that sum to 100.

    Parameters
    ----------
    shares : ndarray (n, K)
        Rows summing to one.
    step : int
        Heaping step in percentage points (a divisor of 100).
    floor_first : bool
        Keep the first component at least one step (a rep in the analysis
        sample reports some marketing-lead time).

    Returns
    -------
    ndarray (n, K) of int

    Notes
    -----
    Largest-remainder rounding: each percent is rounded down to a multiple
    of ``step`` and the missing steps go to the largest remainders.

    Examples
    --------
    >>> heap_percents(np.array([[0.123, 0.456, 0.421]]), 5)
    array([[15, 45, 40]])
    """
    units = 100 // step
    q = shares * units
    base = np.floor(q).astype(int)
    rest = units - base.sum(axis=1)
    order = np.argsort(-(q - base), axis=1, kind="stable")
    rank = np.argsort(order, axis=1, kind="stable")
    base += (rank < rest[:, None]).astype(int)
    if floor_first:
        zero = base[:, 0] == 0
        if zero.any():
            donor = 1 + np.argmax(base[zero, 1:], axis=1)
            base[zero, 0] = 1
            base[np.flatnonzero(zero), donor] -= 1
    return base * step


def _design(variables: pd.DataFrame, means: pd.Series, design: StudyDesign) -> np.ndarray:
    centred = variables.copy()
    cols = list(means.index)
    centred[cols] = variables[cols] - means
    return design_matrix(centred, firm_levels(design.firms), design.include_variable_pay).to_numpy()


@lru_cache(maxsize=16)
def _population(design: StudyDesign) -> Truth:
    rng = np.random.default_rng(_POPULATION_SEED)
    draw = _draw_reps(design, rng, POPULATION_SIZE)
    variables = _variables(design, draw)
    var_cols = [c for c in variables.columns if c != "firm"]
    means = variables[var_cols].mean()
    terms, B = _coefficients(design)
    X = _design(variables, means, design)
    mu = mean_shares(X, B, base=2)
    y = _draw_shares(rng, mu, design.precision)
    cap = draw["hours_per_week"] * _WEEKS_PER_MONTH * y[:, 0] / design.hours_per_lead
    leads = draw["lead_volume"].astype(float)
    followed = np.minimum(leads, cap)
    black_hole = 1.0 - followed.sum() / leads.sum()

    centred = {v: (variables[v] - means[v]).to_numpy() for v in var_cols}
    n = len(X)
    rows = []
    for h in HYPOTHESES:
        k = COMPONENTS.index(h.outcome)
        dx = term_derivative(terms, centred, h.predictor, n)
        if h.moderator is None:
            val = softmax_effect(1, X @ B, dx @ B, 0, 0, base=2)[:, k].mean()
        else:
            dm = term_derivative(terms, centred, h.moderator, n)
            dxm = term_second_derivative(terms, centred, h.predictor, h.moderator, n)
            val = softmax_effect(2, X @ B, dx @ B, dm @ B, dxm @ B, base=2)[:, k].mean()
        rows.append(
            {
                "id": h.id,
                "outcome": h.outcome,
                "predictor": h.predictor,
                "moderator": h.moderator,
                "expected_sign": h.expected_sign,
                "value": float(val),
            }
        )
    effects = pd.DataFrame(rows).set_index("id")
    index = pd.MultiIndex.from_tuples(
        [("marketing", t) for t in terms]
        + [("self", t) for t in terms]
        + [("precision", "Intercept")],
        names=["equation", "term"],
    )
    params = pd.Series(np.r_[B[:, 0], B[:, 1], np.log(design.precision)], index=index, name="truth")
    return Truth(
        params=params,
        effects=effects,
        population_means=means,
        black_hole_rate=float(black_hole),
        mean_shares=pd.Series(mu.mean(axis=0), index=list(COMPONENTS)),
        design=design,
    )


def simulate(design: StudyDesign | None = None, seed: int | np.random.Generator = 0) -> Simulation:
    """Simulate one survey of the study and return it with the population truth.

    Parameters
    ----------
    design : StudyDesign, optional
        Population model; defaults to :class:`StudyDesign()` (461 analysable
        reps in 4 firms).
    seed : int or numpy.random.Generator
        Seed of the ``numpy.random.default_rng`` every draw comes from (or a
        Generator to draw from). The same seed gives the same survey.

    Returns
    -------
    Simulation
        ``survey``: DataFrame in the canonical schema (``rep_id``, ``firm``,
        ``pq_1..k``, ``mt_1..k``, ``lead_volume``, ``experience``,
        ``quota_pct``, ``variable_pay_pct``, ``pct_marketing``, ``pct_self``,
        ``pct_other``, ``hours_per_week``, ``leads_followed_up``);
        ``truth``: :class:`Truth`.

    Notes
    -----
    Default true values (all assumptions of this package except N = 461,
    four firms, the signs and the 70% black hole):

    * marketing equation (log-ratio to ``other``): Intercept -0.35, prequal
      +0.30, tracking +0.20, volume +0.35, experience -0.035 per year,
      performance -1.00 per 100% of quota, variable_pay -0.50,
      experience:prequal +0.030, experience:tracking -0.030,
      experience:volume -0.035, performance:prequal 0,
      performance:tracking -1.00, performance:volume +1.00;
      firm effects B +0.10, C -0.10, D +0.15 (A reference).
    * self equation: Intercept +0.15, prequal -0.15, experience +0.02,
      performance +0.50, variable_pay +0.50, other slopes 0; firm effects
      B -0.05, C +0.10, D 0.
    * precision phi = 15; 4 items per scale with loadings 0.70-0.85;
      firm sizes 35/28/22/15%; monthly leads negative binomial, firm means
      30/45/22/60, size 2; experience Gamma(2, 5) years; quota
      achievement 100 + 1.2 (experience - 10) + N(0, 20); variable pay
      N(firm mean 25/35/20/40, 8); hours N(47, 6); 4.8 hours per followed-up
      lead (calibrated: about 70% of marketing leads are not followed up).

    The population value of every registry effect is in ``truth.effects``.

    Examples
    --------
    >>> survey, truth = simulate(StudyDesign(), seed=7)
    >>> len(survey)
    461
    >>> bool(truth.effects.loc["H1", "value"] > 0)
    True
    """
    design = design if design is not None else StudyDesign()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    truth = _population(design)
    n_main, n_zero = design.n_reps, design.n_zero_marketing
    n = n_main + n_zero
    draw = _draw_reps(design, rng, n)
    # interleave the zero-time reps at random positions so they are not a block
    is_zero = np.zeros(n, dtype=bool)
    if n_zero:
        is_zero[rng.choice(n, size=n_zero, replace=False)] = True
    variables = _variables(design, draw)
    terms, B = _coefficients(design)
    X = _design(variables, truth.population_means, design)
    mu = mean_shares(X, B, base=2)
    y = _draw_shares(rng, mu, design.precision)
    if n_zero:
        rest = _draw_shares(
            rng, mu[is_zero, 1:] / mu[is_zero, 1:].sum(axis=1, keepdims=True), design.precision
        )
        y[is_zero] = np.column_stack([np.zeros(n_zero), rest])
    if design.heap_step:
        pct = heap_percents(y, design.heap_step, floor_first=True).astype(float)
        if n_zero:
            pct[is_zero] = np.column_stack(
                [
                    np.zeros(n_zero),
                    heap_percents(y[is_zero, 1:], design.heap_step, floor_first=False),
                ]
            )
    else:
        pct = 100.0 * y
    cap = draw["hours_per_week"] * _WEEKS_PER_MONTH * y[:, 0] / design.hours_per_lead
    leads = draw["lead_volume"]
    p = np.where(leads > 0, np.minimum(1.0, cap / np.maximum(leads, 1)), 0.0)
    followed = rng.binomial(leads, p)

    cols: dict[str, np.ndarray] = {
        "rep_id": np.array([f"R{i + 1:04d}" for i in range(n)], dtype=object),
        "firm": np.asarray(design.firms, dtype=object)[draw["firm_idx"]],
    }
    for j in range(draw["pq"].shape[1]):
        cols[f"pq_{j + 1}"] = draw["pq"][:, j]
    for j in range(draw["mt"].shape[1]):
        cols[f"mt_{j + 1}"] = draw["mt"][:, j]
    cols["lead_volume"] = leads.astype(int)
    cols["experience"] = draw["experience"].astype(int)
    cols["quota_pct"] = draw["quota_pct"].astype(int)
    if design.include_variable_pay:
        cols["variable_pay_pct"] = draw["variable_pay_pct"].astype(int)
    for k, name in enumerate(("pct_marketing", "pct_self", "pct_other")):
        cols[name] = pct[:, k].astype(int) if design.heap_step else pct[:, k]
    cols["hours_per_week"] = draw["hours_per_week"].astype(int)
    cols["leads_followed_up"] = followed.astype(int)
    return Simulation(survey=pd.DataFrame(cols), truth=truth)
