"""Drawing a simulated study from a :class:`~leadblackhole.simulation.design.StudyDesign`.

:func:`simulate` is pure (no I/O) and fast, so a Monte Carlo design
diagnosis can call it thousands of times; every draw comes from a
``numpy.random.Generator`` made from the explicit seed. The population
quantities in :class:`Truth` are computed once per design from a large
fixed-seed population draw and cached: in memory, and on disk in the folder
named by the ``LEADBLACKHOLE_TRUTH_CACHE`` environment variable when it is set
(the Makefile sets it, so the processes of one pipeline run share one draw).
Without that variable the simulator does no file I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..config import truth_cache_dir
from ..exceptions import DesignError
from ..registry import HYPOTHESES
from ..shares import (
    softmax_effect,
    term_derivative,
    term_second_derivative,
)
from ..specification import COMPONENTS, design_array, firm_levels, term_names
from .answers import child_rng, draw_reps
from .design import StudyDesign
from .truth_cache import cache_file, read_cached, write_cached

__all__ = [
    "POPULATION_SIZE",
    "Simulation",
    "Truth",
    "heap_percents",
    "simulate",
    "StudyDraw",
    "draw_study",
    "population_truth",
]

#: Size of the population draw behind :class:`Truth` (fixed seed, cached per design).
POPULATION_SIZE: int = 200_000
_POPULATION_SEED: int = 2013_0077
_WEEKS_PER_MONTH: float = 52.0 / 12.0
#: Reps per slope draw in the population behind the truth of a firm-slope design.
_SLOPE_GROUP_SIZE: int = 1000


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
    population_sd : Series
        Population SD of each observed analysis variable (the unit of the
        ``per_sd_pp`` column of ``effects``: the effect in percentage points of
        working time per SD of the predictor, times the SD of the moderator).
    """

    params: pd.Series
    effects: pd.DataFrame
    population_means: pd.Series
    black_hole_rate: float
    mean_shares: pd.Series
    design: StudyDesign
    population_sd: pd.Series | None = None


class Simulation(NamedTuple):
    """What :func:`simulate` returns: ``survey, truth = simulate(design, seed)``."""

    survey: pd.DataFrame
    truth: Truth


def _variables(design: StudyDesign, draw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Uncentred analysis variables of drawn reps (docs/study.md definitions), and ``firm``."""
    out = {
        "firm": np.asarray(design.firms, dtype=object)[draw["firm_idx"]],
        "prequal": draw["pq"].mean(axis=1),
        "tracking": draw["mt"].mean(axis=1),
        "volume": np.log1p(draw["lead_volume"]),
        "experience": draw["experience"].astype(float),
        "performance": draw["quota_pct"] / 100.0,
    }
    if design.include_variable_pay:
        out["variable_pay"] = draw["variable_pay_pct"] / 100.0
    return out


def _variable_names(design: StudyDesign) -> list[str]:
    """The analysis variables of :func:`_variables` (without ``firm``), in its order."""
    names = ["prequal", "tracking", "volume", "experience", "performance"]
    return names + (["variable_pay"] if design.include_variable_pay else [])


def _drivers(design: StudyDesign, variables: dict, draw: dict) -> dict[str, np.ndarray]:
    """The variables that drive the shares: observed ones, or latent scale scores."""
    if design.share_driver == "observed":
        return variables
    return variables | {"prequal": draw["prequal_latent"], "tracking": draw["tracking_latent"]}


def _offsets(design: StudyDesign, draw: dict[str, np.ndarray], n: int) -> np.ndarray | None:
    """Additive shifts (n x 2) of the two log-ratios from the method factor and the confounder."""
    off = np.zeros((n, 2))
    if design.method_factor_shares:
        off[:, 0] += design.method_factor_shares * draw["method"]
    if design.volume_confounding:
        off[:, 0] += design.volume_confounding * draw["nu"]
    return off if off.any() else None


def _coefficients(design: StudyDesign) -> tuple[list[str], np.ndarray]:
    """Model term names and the p x 2 true coefficient matrix (marketing, self).

    Slopes are multiplied by ``design.effect_scale``; intercepts and firm
    effects are not.
    """
    levels = firm_levels(design.firms)
    terms = term_names(levels, design.include_variable_pay)
    ref = levels[0]
    firm_pos = {f: i for i, f in enumerate(design.firms)}
    B = np.zeros((len(terms), 2))
    coefs = design.coefficients()
    for j, (beta, firm_eff) in enumerate(
        (
            (coefs["marketing"], design.firm_effect_marketing),
            (coefs["self"], design.firm_effect_self),
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
    unknown = (set(coefs["marketing"]) | set(coefs["self"])) - set(terms)
    if unknown:
        raise DesignError(f"coefficients for unknown terms {sorted(unknown)}; known: {terms}")
    return terms, B


def _slope_deviations(
    design: StudyDesign, terms: list[str], rng: np.random.Generator, n_groups: int
) -> np.ndarray | None:
    """Per-group deviations (n_groups x p) of the marketing-equation slopes, or None."""
    sd = dict(design.firm_slope_sd)
    if not any(sd.values()):
        return None
    scale = np.array([sd.get(t, 0.0) for t in terms]) * design.effect_scale
    return rng.standard_normal((n_groups, len(terms))) * scale


def _eta(X: np.ndarray, B: np.ndarray, dev, group, offsets) -> np.ndarray:
    eta = X @ B
    if dev is not None:
        eta[:, 0] += (X * dev[group]).sum(axis=1)
    if offsets is not None:
        eta += offsets
    return eta


def _softmax(eta: np.ndarray) -> np.ndarray:
    """Mean shares (marketing, self, other) from the two log-ratios to ``other``."""
    full = np.column_stack([eta, np.zeros(len(eta))])
    full -= full.max(axis=1, keepdims=True)
    np.exp(full, out=full)
    full /= full.sum(axis=1, keepdims=True)
    return full


def _precision(design: StudyDesign, draw: dict[str, np.ndarray]) -> np.ndarray | float:
    """Dirichlet precision per rep (a scalar when it is constant)."""
    if not design.precision_experience and not design.precision_firm:
        return design.precision
    log_phi = np.full(len(draw["experience"]), np.log(design.precision))
    if design.precision_experience:
        mean = design.experience_shape * design.experience_scale
        sd = np.sqrt(design.experience_shape) * design.experience_scale
        log_phi += design.precision_experience * (draw["experience"] - mean) / sd
    if design.precision_firm:
        log_phi += np.asarray(design.precision_firm)[draw["firm_idx"]]
    return np.exp(log_phi)[:, None]


def _draw_shares(rng: np.random.Generator, mu: np.ndarray, phi) -> np.ndarray:
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


def _design(variables: dict, means: pd.Series, design: StudyDesign) -> np.ndarray:
    """The design of the population model: the variables centred at ``means``."""
    centred = {c: variables[c] - means[c] for c in means.index}
    levels = firm_levels(design.firms)
    return design_array(centred, variables["firm"], levels, design.include_variable_pay)


def _average_effect(X, dx, B, base, dm=None, dxm=None) -> np.ndarray:
    """Per-rep share derivative (``dm`` None) or cross-partial of every share."""
    if dm is None:
        return softmax_effect(1, X @ B, dx @ B, 0, 0, base=base)
    return softmax_effect(2, X @ B, dx @ B, dm @ B, dxm @ B, base=base)


@lru_cache(maxsize=32)
def _population(design: StudyDesign) -> Truth:
    """The population truth of ``design``, from the on-disk cache when there is one."""
    folder = truth_cache_dir()
    if folder is None:
        return _truth_of(design, _compute_population(design))
    path = cache_file(folder, design)
    arrays = read_cached(path, _truth_shapes(design))
    if arrays is None:
        arrays = _compute_population(design)
        write_cached(path, arrays)
    return _truth_of(design, arrays)


def _compute_population(design: StudyDesign) -> dict[str, np.ndarray]:
    """The arrays of ``design``'s truth (:func:`_truth_of` makes the :class:`Truth`)."""
    rng = np.random.default_rng(_POPULATION_SEED)
    n = POPULATION_SIZE
    extra = child_rng(rng) if design.instrument_strength else None
    draw = draw_reps(design, rng, n, extra)
    variables = _variables(design, draw)
    drivers = _drivers(design, variables, draw)
    var_cols = _variable_names(design)
    means = pd.DataFrame({c: drivers[c] for c in var_cols}).mean()
    sds = pd.DataFrame({c: variables[c] for c in var_cols}).std()
    terms, B = _coefficients(design)
    X = _design(drivers, means, design)
    n_groups = n // _SLOPE_GROUP_SIZE
    group = np.arange(n) % n_groups
    dev = _slope_deviations(design, terms, np.random.default_rng(_POPULATION_SEED + 1), n_groups)
    offsets = _offsets(design, draw, n)
    mu = _softmax(_eta(X, B, dev, group, offsets))
    y = _draw_shares(rng, mu, _precision(design, draw))
    cap = draw["hours_per_week"] * _WEEKS_PER_MONTH * y[:, 0] / design.hours_per_lead
    leads = draw["lead_volume"].astype(float)
    followed = np.minimum(leads, cap)
    black_hole = 1.0 - followed.sum() / leads.sum()

    # the offsets enter as two extra design columns with coefficient 1 and derivative 0
    extra = offsets if offsets is not None else np.zeros((n, 2))
    Xa = np.column_stack([X, extra])
    Ba = np.vstack([B, np.eye(2)])
    zeros = np.zeros((n, 2))
    groups = (
        [np.arange(n)] if dev is None else [np.flatnonzero(group == g) for g in range(n_groups)]
    )
    centred = {v: drivers[v] - means[v] for v in var_cols}
    rows = []
    for h in HYPOTHESES:
        k = COMPONENTS.index(h.outcome)
        dx = np.column_stack([term_derivative(terms, centred, h.predictor, n), zeros])
        dm = dxm = None
        per_sd = sds[h.predictor]
        if h.moderator is not None:
            dm = np.column_stack([term_derivative(terms, centred, h.moderator, n), zeros])
            dxm = np.column_stack(
                [term_second_derivative(terms, centred, h.predictor, h.moderator, n), zeros]
            )
            per_sd *= sds[h.moderator]
        total = 0.0
        for idx in groups:
            Bg = Ba
            if dev is not None:
                Bg = Ba.copy()
                Bg[: len(terms), 0] += dev[group[idx[0]]]
            total += _average_effect(
                Xa[idx],
                dx[idx],
                Bg,
                2,
                None if dm is None else dm[idx],
                None if dxm is None else dxm[idx],
            )[:, k].sum()
        val = total / n
        rows.append((float(val), float(100 * val * per_sd)))
    arrays = {
        "params": np.r_[B[:, 0], B[:, 1], np.log(design.precision)],
        "effects": np.array(rows, dtype=float).reshape(len(HYPOTHESES), 2),
        "population_means": means.to_numpy(dtype=float),
        "population_sd": sds.to_numpy(dtype=float),
        "black_hole_rate": np.array([black_hole], dtype=float),
        "mean_shares": mu.mean(axis=0),
    }
    return {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}


def _truth_shapes(design: StudyDesign) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
    """The arrays of a design's truth (:func:`_compute_population`): type and shape of each."""
    p, v = len(_coefficients(design)[0]), len(_variable_names(design))
    shapes = {
        "params": (2 * p + 1,),
        "effects": (len(HYPOTHESES), 2),
        "population_means": (v,),
        "population_sd": (v,),
        "black_hole_rate": (1,),
        "mean_shares": (len(COMPONENTS),),
    }
    return {k: (np.dtype(np.float64), shape) for k, shape in shapes.items()}


def _truth_of(design: StudyDesign, arrays: dict[str, np.ndarray]) -> Truth:
    """The :class:`Truth` of ``design`` from its arrays (computed, or read from the cache)."""
    terms, _ = _coefficients(design)
    names = _variable_names(design)
    effects = pd.DataFrame(
        [
            {
                "id": h.id,
                "outcome": h.outcome,
                "predictor": h.predictor,
                "moderator": h.moderator,
                "expected_sign": h.expected_sign,
                "value": float(value),
                "per_sd_pp": float(per_sd_pp),
            }
            for h, (value, per_sd_pp) in zip(HYPOTHESES, arrays["effects"], strict=True)
        ]
    ).set_index("id")
    index = pd.MultiIndex.from_tuples(
        [("marketing", t) for t in terms]
        + [("self", t) for t in terms]
        + [("precision", "Intercept")],
        names=["equation", "term"],
    )
    return Truth(
        params=pd.Series(np.array(arrays["params"]), index=index, name="truth"),
        effects=effects,
        population_means=pd.Series(np.array(arrays["population_means"]), index=names),
        black_hole_rate=float(arrays["black_hole_rate"][0]),
        mean_shares=pd.Series(np.array(arrays["mean_shares"]), index=list(COMPONENTS)),
        design=design,
        population_sd=pd.Series(np.array(arrays["population_sd"]), index=names),
    )


def _report(y: np.ndarray, is_zero: np.ndarray, step: int) -> np.ndarray:
    """Heaped percents of the rows of ``y`` (zero-time reps keep marketing at 0)."""
    pct = heap_percents(y, step, floor_first=True).astype(float)
    if is_zero.any():
        pct[is_zero] = np.column_stack(
            [np.zeros(int(is_zero.sum())), heap_percents(y[is_zero, 1:], step, floor_first=False)]
        )
    return pct


def population_truth(design: StudyDesign | None = None) -> Truth:
    """The population truth of ``design`` (computed once per process, then cached).

    Parameters
    ----------
    design : StudyDesign, optional
        Population model (default :class:`StudyDesign()`).

    Returns
    -------
    Truth
        What :func:`simulate` returns with every study of ``design``.

    Notes
    -----
    The truth comes from a fixed-seed population draw of :data:`POPULATION_SIZE`
    reps, which costs far more than one study. A caller that simulates studies in
    several processes (the design diagnosis on Dask) computes it once with this
    function and hands it to :func:`draw_study` (``truth=``) in every process.

    Examples
    --------
    >>> truth = population_truth(StudyDesign())
    >>> draw = draw_study(StudyDesign(), seed=7, truth=truth)
    >>> draw.truth is truth
    True
    """
    return _truth(design if design is not None else StudyDesign())


def _given_truth(design: StudyDesign, truth: Truth | None) -> Truth:
    """``truth`` when it is the truth of ``design``; the cached truth when it is None."""
    if truth is None:
        return _truth(design)
    if not isinstance(truth, Truth) or truth.design != design:
        raise DesignError(
            "the population truth given is not the truth of this design "
            "(pass population_truth(design) of the same design)"
        )
    return truth


def _truth(design: StudyDesign) -> Truth:
    """The population truth of ``design``.

    It does not depend on the sample size, the reps without marketing-lead time,
    their selection, how percents are reported or a marker scale, so designs that differ only in
    those share one cached population draw.
    """
    key = design.replace(
        n_reps=461,
        n_zero_marketing=0,
        selection_coef=(),
        selection_rho=0.0,
        selection_exclusion=0.0,
        heap_step=5,
        exact_fraction=0.0,
        marker_items=0,
    )
    truth = _population(key)
    return truth if key == design else replace(truth, design=design)


def _draw_study(design: StudyDesign, rng: np.random.Generator, truth: Truth | None = None) -> dict:
    """Every array of one simulated study (the shared core of both output paths)."""
    truth = _given_truth(design, truth)
    n_main, n_zero = design.n_reps, design.n_zero_marketing
    n = n_main + n_zero
    extra = child_rng(rng) if design.instrument_strength or design.selection_exclusion else None
    draw = draw_reps(design, rng, n, extra)
    if design.selection_exclusion:
        a = extra.standard_normal(n)
        draw["lead_access"] = np.clip(np.round(15.0 + 4.0 * a, 1), 0.0, 31.0)
    is_zero = np.zeros(n, dtype=bool)
    if n_zero and not design.selecting:
        # a random subset: the zero-time reps are interleaved, not a block
        is_zero[rng.choice(n, size=n_zero, replace=False)] = True
    variables = _variables(design, draw)
    drivers = _drivers(design, variables, draw)
    terms, B = _coefficients(design)
    X = _design(drivers, truth.population_means, design)
    dev = _slope_deviations(design, terms, rng, len(design.firms))
    mu = _softmax(_eta(X, B, dev, draw["firm_idx"], _offsets(design, draw, n)))
    y = _draw_shares(rng, mu, _precision(design, draw))
    if n_zero and design.selecting:
        prop = np.zeros(n)
        for v, g in design.selection_coef:
            x = variables[v]
            prop += g * (x - x.mean()) / x.std()
        if design.selection_exclusion:
            x = draw["lead_access"]
            prop += design.selection_exclusion * (x - x.mean()) / x.std()
        rho = design.selection_rho
        e = rng.standard_normal(n)
        if rho:
            r = np.log(y[:, 0] / (1 - y[:, 0])) - np.log(mu[:, 0] / (1 - mu[:, 0]))
            r = (r - r.mean()) / r.std()
            prop += rho * r + np.sqrt(1 - rho**2) * e
        else:
            prop += e
        is_zero[np.argsort(prop, kind="stable")[:n_zero]] = True
    if n_zero:
        rest = _draw_shares(
            rng, mu[is_zero, 1:] / mu[is_zero, 1:].sum(axis=1, keepdims=True), design.precision
        )
        y[is_zero] = np.column_stack([np.zeros(n_zero), rest])
    if design.heap_step:
        pct = _report(y, is_zero, design.heap_step)
        if design.exact_fraction:
            exact = rng.random(n) < design.exact_fraction
            pct[exact] = _report(y[exact], is_zero[exact], 1)
    else:
        pct = 100.0 * y
    cap = draw["hours_per_week"] * _WEEKS_PER_MONTH * y[:, 0] / design.hours_per_lead
    leads = draw["lead_volume"]
    p = np.where(leads > 0, np.minimum(1.0, cap / np.maximum(leads, 1)), 0.0)
    followed = rng.binomial(leads, p)
    return {
        "truth": truth,
        "draw": draw,
        "variables": variables,
        "pct": pct,
        "followed": followed,
        "n": n,
    }


def _rng(seed: int | np.random.Generator | np.random.SeedSequence) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def simulate(
    design: StudyDesign | None = None,
    seed: int | np.random.Generator | np.random.SeedSequence = 0,
) -> Simulation:
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
      +0.125, tracking +0.065, volume +0.155, experience -0.0087 per year,
      performance -0.40 per 100% of quota, variable_pay -0.225,
      experience:prequal +0.0062, experience:tracking -0.0065,
      experience:volume -0.0065, performance:prequal 0,
      performance:tracking -0.25, performance:volume +0.36;
      firm effects B +0.10, C -0.10, D +0.15 (A reference).
    * self equation: Intercept +0.15, prequal -0.02, experience +0.005,
      performance +0.20, variable_pay +0.225, other slopes 0; firm effects
      B -0.05, C +0.10, D 0.
    * every slope is multiplied by ``design.effect_scale`` (default 1).
    * precision phi = 15; 4 items per scale with loadings 0.70-0.85;
      firm sizes 35/28/22/15%; monthly leads negative binomial, firm means
      30/45/22/60, size 2; experience Gamma(2, 5) years; quota
      achievement 100 + 1.2 (experience - 10) + N(0, 20); variable pay
      N(firm mean 25/35/20/40, 8); hours N(47, 6); 4.4 hours per followed-up
      lead (calibrated: about 70% of marketing leads are not followed up).

    The departures of :class:`StudyDesign` (latent-driven shares, firm
    slopes, selection, method factor, varying precision, exact reporters,
    routed or confounded lead volume) are all off by default.

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
    st = _draw_study(design, _rng(seed))
    draw, pct, n = st["draw"], st["pct"], st["n"]
    cols: dict[str, np.ndarray] = {
        "rep_id": _rep_ids(n),
        "firm": np.asarray(design.firms, dtype=object)[draw["firm_idx"]],
    }
    for j in range(draw["pq"].shape[1]):
        cols[f"pq_{j + 1}"] = draw["pq"][:, j]
    for j in range(draw["mt"].shape[1]):
        cols[f"mt_{j + 1}"] = draw["mt"][:, j]
    for j in range(draw["mk"].shape[1] if "mk" in draw else 0):
        cols[f"mk_{j + 1}"] = draw["mk"][:, j]
    cols["lead_volume"] = draw["lead_volume"].astype(int)
    cols["experience"] = draw["experience"].astype(int)
    cols["quota_pct"] = draw["quota_pct"].astype(int)
    if design.include_variable_pay:
        cols["variable_pay_pct"] = draw["variable_pay_pct"].astype(int)
    for k, name in enumerate(("pct_marketing", "pct_self", "pct_other")):
        cols[name] = pct[:, k].astype(int) if design.heap_step else pct[:, k]
    cols["hours_per_week"] = draw["hours_per_week"].astype(int)
    cols["leads_followed_up"] = st["followed"].astype(int)
    for name in _EXTRA_COLUMNS:  # only designs that draw them
        if name in draw:
            cols[name] = draw[name]
    return Simulation(survey=pd.DataFrame(cols), truth=st["truth"])


#: Survey columns some designs add: the instrument and the exclusion variable.
_EXTRA_COLUMNS: tuple[str, ...] = ("campaign_budget", "lead_access")


def _rep_ids(n: int) -> np.ndarray:
    return np.array([f"R{i + 1:04d}" for i in range(n)], dtype=object)


class StudyDraw(NamedTuple):
    """One simulated study as arrays (what :func:`draw_study` returns).

    Attributes
    ----------
    rep_id : ndarray of str
        ``R0001``, ``R0002``... as in :func:`simulate`'s survey.
    firm : ndarray of str
        Firm of each rep.
    variables : DataFrame
        The analysis variables of each rep as the survey reports them (scale
        scores are item means, ``performance`` is quota achievement / 100...),
        laid out like the analysis frame's raw sample (no ``firm`` column).
    percents : ndarray (n, 3)
        Reported percents of marketing, self-generated and other time.
    extras : dict of str to ndarray
        ``hours_per_week``, ``leads_followed_up``, ``lead_volume``, ``quota_pct``,
        and ``campaign_budget`` / ``lead_access`` when the design draws them.
    scales : dict of str to list of str
        Item columns of each multi-item scale of the model.
    truth : Truth
    items : DataFrame
        The Likert answers of every rep as :func:`simulate`'s survey has them
        (``pq_*``, ``mt_*`` and, with ``marker_items``, the marker's ``mk_*``),
        in the rows of ``variables``: what a measurement model or a
        correction for measurement error or common-method variance reads.
    """

    rep_id: np.ndarray
    firm: np.ndarray
    variables: pd.DataFrame
    percents: np.ndarray
    extras: dict
    scales: dict
    truth: Truth
    items: pd.DataFrame | None = None


def draw_study(
    design: StudyDesign | None = None,
    seed: int | np.random.Generator | np.random.SeedSequence = 0,
    *,
    truth: Truth | None = None,
) -> StudyDraw:
    """Simulate one study and return its arrays, without building the survey table.

    Parameters
    ----------
    design : StudyDesign, optional
        Population model (default :class:`StudyDesign()`).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        As for :func:`simulate`; the same seed gives the same study as
        :func:`simulate`.
    truth : Truth, optional
        The population truth of ``design`` (:func:`population_truth`), computed
        elsewhere, e.g. once for every worker of a Dask cluster; default: computed
        here (cached per process).

    Returns
    -------
    StudyDraw

    Raises
    ------
    DesignError
        ``truth`` is not the truth of ``design``.

    Notes
    -----
    The fast path of a design diagnosis: the survey a study would report is
    valid by construction, so :func:`leadblackhole.diagnosis.simulate_frame`
    builds the analysis frame from these arrays directly instead of writing,
    re-reading and re-validating the survey.

    Examples
    --------
    >>> draw = draw_study(StudyDesign(), seed=7)
    >>> draw.percents.shape
    (461, 3)
    """
    design = design if design is not None else StudyDesign()
    st = _draw_study(design, _rng(seed), truth)
    draw, n = st["draw"], st["n"]
    v = st["variables"]
    return StudyDraw(
        rep_id=_rep_ids(n),
        firm=v["firm"],
        variables=pd.DataFrame({c: x for c, x in v.items() if c != "firm"}),
        percents=st["pct"],
        extras={
            "hours_per_week": draw["hours_per_week"].astype(float),
            "leads_followed_up": st["followed"].astype(float),
            "lead_volume": draw["lead_volume"].astype(float),
            "quota_pct": draw["quota_pct"].astype(float),
        }
        | {c: draw[c].astype(float) for c in _EXTRA_COLUMNS if c in draw},
        scales={
            "prequal": [f"pq_{j + 1}" for j in range(draw["pq"].shape[1])],
            "tracking": [f"mt_{j + 1}" for j in range(draw["mt"].shape[1])],
        },
        truth=st["truth"],
        items=_item_table(draw),
    )


def _item_table(draw: dict[str, np.ndarray]) -> pd.DataFrame:
    """The Likert answers of a draw as the survey's item columns."""
    cols = {}
    for prefix, key in (("pq", "pq"), ("mt", "mt"), ("mk", "mk")):
        if key in draw:
            for j in range(draw[key].shape[1]):
                cols[f"{prefix}_{j + 1}"] = draw[key][:, j]
    return pd.DataFrame(cols)
