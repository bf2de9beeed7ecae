"""Surveys the package has not seen: an independent generator, its true effects, and the fits.

The generator is written from the population description of the study (docs/study.md:
four firms, three time shares whose means are a multinomial logit of the main model's
right-hand side, Likert scales, lead volume as ln(1 + leads)) and from the two issues'
acceptance tests. It imports only numpy, pandas and scipy: nothing of the package's own
simulator or design diagnosis, so a shared mistake cannot make the fit look right.

Two kinds of survey (``--kind``):

``eiv``
    The shares depend on each rep's *true* scores of prequalification and tracking; the
    survey records three 7-point Likert items per scale (rounded, clipped normal items,
    reliability of the item mean about 0.79). Volume, experience, performance and pay are
    recorded without error. Remedy: ``fit --errors-in-variables``.
``cf``
    An unobserved confounder ``u`` raises both ln(1 + leads) and the marketing log-ratio;
    the survey records ``campaign_budget`` (thousands a month), which moves the leads only.
    The shares depend on the recorded item means (no measurement-error departure), so the
    confounder is the only departure. Remedy: ``fit --endogenous volume --instrument
    campaign_budget``.
``marker``
    A response style ``c ~ N(0, 1)`` moves every Likert answer, with loadings that differ by
    item (0.25 to 0.50 scale points), and the marketing log-ratio (0.40); the survey records
    a three-item marker scale ``mk_1..mk_3`` of a construct unrelated to everything else
    (declared ``[scales.marker]`` in a codebook written beside the survey). The shares depend
    on the recorded item means and on ``c``. Remedy: ``fit --marker marker``.

True effects (``truth``): the registry effects (docs/study.md) are averages over the
analysable reps of derivatives and cross-partials of the expected share. Given the
drivers, a Dirichlet share's expectation is its mean, the softmax of the two log-ratios
(base ``other``), so the truth is computed from the latent model alone: ``--draws`` reps
(default 2 000 000) are drawn from the population, each with one Dirichlet draw and the
survey's rounding rule, which says whether the rep is analysable (reported marketing time
above 0); the derivatives of the mean share are central finite differences (step 1e-3 in
every variable, common random numbers: the same reps at x + h and x - h) averaged over the
analysable reps. For ``eiv`` a scale's derivative is by the rep's true score on the
item-mean scale; for ``cf`` the confounder, and for ``marker`` the response style, is held at
each rep's value (the average structural function: the effect the remedy claims). The Monte Carlo standard error
of each truth and the largest gap between the finite differences and the closed-form
softmax derivative (first derivatives) are printed with it.

    python benchmarks/unseen_surveys.py truth --kind eiv
    python benchmarks/unseen_surveys.py survey --kind cf --seed 1 --out cf_1.csv
    python benchmarks/unseen_surveys.py run --kind eiv --seeds 1 2 3 --out evidence/unseen_surveys

``run`` writes each survey, calls ``leadblackhole fit SURVEY --errors-in-variables`` (or
``--endogenous volume --instrument campaign_budget``), reads ``hypotheses.csv`` and prints,
for the main model (the plain fit, fitted in the same command) and the remedy, each
effect's truth, estimate, standard error and z = (estimate - truth) / SE.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaincinv, ndtr

#: The registry effects (docs/study.md): id -> (share, predictor, moderator or None).
EFFECTS: dict[str, tuple[str, str, str | None]] = {
    "H1": ("marketing", "prequal", None),
    "H2": ("self", "prequal", None),
    "H3": ("marketing", "tracking", None),
    "H4": ("marketing", "volume", None),
    "H5": ("marketing", "experience", None),
    "H6": ("marketing", "performance", None),
    "H7": ("marketing", "tracking", "experience"),
    "H8": ("marketing", "volume", "experience"),
    "H9": ("marketing", "prequal", "experience"),
    "H10": ("marketing", "volume", "performance"),
    "H11": ("marketing", "tracking", "performance"),
    "E1": ("marketing", "prequal", "performance"),
}
KINDS = ("eiv", "cf", "marker")
SHARES = ("marketing", "self", "other")
#: Finite-difference step in every variable (scale points, log-leads, years, quota/100).
STEP = 1e-3
#: The first stream of a survey's seed draws the reps; the truth uses its own seed.
TRUTH_SEED = 977


@dataclass(frozen=True)
class Population:
    """The population model of the unseen surveys (every number an assumption of this script).

    Linear predictors of the two log-ratios against ``other`` on variables centred at the
    fixed points ``centre`` (the centring is a reparametrization: the effects do not depend
    on it):

        eta_k = a_k[firm] + b_k . x + c_k . (interactions) (+ gamma_u * u for marketing, cf)

    Shares ~ Dirichlet(phi * softmax(eta_marketing, eta_self, 0)); reported as percents
    rounded by largest remainder, in steps of 5 with probability ``p_step5``, else in
    whole percents (per rep).
    """

    firms: tuple[str, ...] = ("Avalon", "Brixton", "Corvex", "Dunmore")
    firm_p: tuple[float, ...] = (0.40, 0.25, 0.20, 0.15)
    # experience: round(Gamma(shape, scale)) years, at most 45
    exp_shape: float = 2.5
    exp_scale: float = 4.0
    # quota achievement, percent: 100 + shift[firm] + 0.8 (experience - 10) + 18 N(0, 1)
    quota_shift: tuple[float, ...] = (0.0, 5.0, -4.0, 2.0)
    quota_exp: float = 0.8
    quota_sd: float = 18.0
    # variable pay, percent: N(mean[firm], 7), rounded, clipped to 0-80
    pay_mean: tuple[float, ...] = (20.0, 30.0, 15.0, 35.0)
    pay_sd: float = 7.0
    # constructs (standardized within firm up to the covariate terms)
    pq_firm: tuple[float, ...] = (0.0, 0.3, -0.2, 0.4)
    tr_firm: tuple[float, ...] = (0.0, -0.3, 0.2, 0.1)
    pq_exp: float = 0.03  # per year of experience
    tr_perf: float = -0.6  # per 100% of quota: managers track weaker performers more
    construct_corr: float = 0.35
    # items: round(intercept + loading * construct + error), clipped to 1-7
    pq_intercepts: tuple[float, ...] = (4.3, 4.0, 4.5)
    tr_intercepts: tuple[float, ...] = (3.8, 4.1, 3.9)
    loadings: tuple[float, ...] = (1.05, 0.95, 0.90)
    item_sd: tuple[float, ...] = (0.78, 0.83, 0.88)
    # leads a month: negative binomial (gamma-Poisson), log mean lead_firm[firm] + 0.25 (perf - 1)
    lead_firm: tuple[float, ...] = (3.55, 3.90, 3.20, 3.80)
    lead_perf: float = 0.25
    lead_size: float = 2.5
    # confounder (cf): u ~ N(0, 1) adds kappa_u * u to the log mean of leads and gamma_u * u
    # to the marketing log-ratio; the campaign budget (thousands a month) ~ Gamma(16, 6.25)
    # adds pi_budget * (budget - 100) / 25 to the log mean of leads
    kappa_u: float = 0.35
    gamma_u: float = 0.40
    pi_budget: float = 0.35
    budget_shape: float = 16.0
    budget_scale: float = 6.25
    # response style (marker): c ~ N(0, 1) adds m_j * c to item j's raw answer (before
    # rounding) and gamma_c * c to the marketing log-ratio; marker items measure g ~ N(0, 1),
    # unrelated to everything else
    pq_method: tuple[float, ...] = (0.45, 0.25, 0.35)
    tr_method: tuple[float, ...] = (0.30, 0.50, 0.40)
    mk_method: tuple[float, ...] = (0.40, 0.30, 0.45)
    mk_intercepts: tuple[float, ...] = (4.0, 4.4, 3.7)
    mk_loadings: tuple[float, ...] = (0.95, 0.85, 0.80)
    gamma_c: float = 0.40
    # the share model
    phi: float = 18.0
    centre: dict[str, float] = field(
        default_factory=lambda: {
            "prequal": 4.2,
            "tracking": 4.0,
            "volume": 3.5,
            "experience": 10.0,
            "performance": 1.0,
            "pay": 0.25,
        }
    )
    a_marketing: tuple[float, ...] = (-0.10, 0.10, -0.15, 0.05)
    a_self: tuple[float, ...] = (0.25, 0.20, 0.35, 0.15)
    b_marketing: dict[str, float] = field(
        default_factory=lambda: {
            "prequal": 0.25,
            "tracking": 0.15,
            "volume": 0.20,
            "experience": -0.015,
            "performance": -0.50,
            "pay": -0.40,
            "experience:prequal": 0.010,
            "experience:tracking": -0.012,
            "experience:volume": -0.012,
            "performance:prequal": 0.0,
            "performance:tracking": -0.35,
            "performance:volume": 0.45,
        }
    )
    b_self: dict[str, float] = field(
        default_factory=lambda: {
            "prequal": -0.10,
            "tracking": 0.03,
            "volume": -0.03,
            "experience": 0.010,
            "performance": 0.30,
            "pay": 0.30,
        }
    )
    p_step5: float = 0.5

    def digest(self) -> str:
        """A short hash of every parameter (names the cached truth)."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


POPULATION = Population()


def true_score(intercepts, loadings, sds, eta: np.ndarray) -> np.ndarray:
    """The classical-test-theory true score of the item mean, E[mean of the items | eta].

    Each item is ``clip(round(a + l eta + e), 1, 7)`` with ``e ~ N(0, s^2)``, so
    ``E[item | eta] = 1 + sum_{k=1}^{6} P(a + l eta + e >= k + 1/2)``
    ``= 1 + sum_k Phi((a + l eta - k - 1/2) / s)``; the true score is the mean over items.
    The error ``W - T`` of the item mean is then uncorrelated with ``T`` and the
    reliability is ``Var(T) / Var(W)``.
    """
    cuts = np.arange(1, 7) + 0.5
    total = np.zeros_like(eta, dtype=float)
    for a, lam, s in zip(intercepts, loadings, sds, strict=True):
        z = (a + lam * eta[:, None] - cuts) / s
        total += 1 + ndtr(z).sum(axis=1)
    return total / len(intercepts)


def draw_reps(pop: Population, n: int, rng: np.random.Generator, kind: str) -> dict:
    """Draw ``n`` reps of the population: covariates, items, scores and the share drivers.

    Parameters
    ----------
    pop : Population
    n : int
    rng : numpy.random.Generator
    kind : {"eiv", "cf", "marker"}

    Returns
    -------
    dict
        ``firm`` (codes), ``experience``, ``quota_pct``, ``pay_pct``, ``leads``,
        ``budget``, ``u``, ``pq_items``/``tr_items`` (n, 3), ``x`` (the share drivers:
        prequal, tracking, volume, experience, performance, pay, firm, u).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; received {kind!r}")
    firm = rng.choice(len(pop.firms), size=n, p=np.asarray(pop.firm_p))
    experience = np.minimum(np.round(rng.gamma(pop.exp_shape, pop.exp_scale, n)), 45.0)
    quota = 100 + np.asarray(pop.quota_shift)[firm] + pop.quota_exp * (experience - 10)
    quota_pct = np.maximum(np.round(quota + pop.quota_sd * rng.standard_normal(n)), 0.0)
    performance = quota_pct / 100
    pay_pct = np.clip(
        np.round(np.asarray(pop.pay_mean)[firm] + pop.pay_sd * rng.standard_normal(n)), 0, 80
    )
    # constructs: correlated residuals, firm and covariate shifts
    z = rng.standard_normal((n, 2))
    r = pop.construct_corr
    e_pq = z[:, 0]
    e_tr = r * z[:, 0] + np.sqrt(1 - r * r) * z[:, 1]
    eta_pq = np.asarray(pop.pq_firm)[firm] + pop.pq_exp * (experience - 10) + e_pq
    eta_tr = np.asarray(pop.tr_firm)[firm] + pop.tr_perf * (performance - 1) + e_tr
    lam, sd = np.asarray(pop.loadings), np.asarray(pop.item_sd)

    c = rng.standard_normal(n) if kind == "marker" else np.zeros(n)

    def items(intercepts, eta, method, loadings=lam):
        raw = np.asarray(intercepts) + np.outer(eta, loadings) + rng.standard_normal((n, 3)) * sd
        if kind == "marker":
            raw = raw + np.outer(c, method)
        return np.clip(np.round(raw), 1, 7)

    pq_items = items(pop.pq_intercepts, eta_pq, pop.pq_method)
    tr_items = items(pop.tr_intercepts, eta_tr, pop.tr_method)
    mk_items = None
    if kind == "marker":
        g = rng.standard_normal(n)
        mk_items = items(pop.mk_intercepts, g, pop.mk_method, np.asarray(pop.mk_loadings))
    # true scores: E[item mean | construct] (classical test theory), in closed form
    t_pq = true_score(pop.pq_intercepts, lam, sd, eta_pq)
    t_tr = true_score(pop.tr_intercepts, lam, sd, eta_tr)
    u = rng.standard_normal(n)
    budget = np.round(rng.gamma(pop.budget_shape, pop.budget_scale, n), 1)
    log_mean = np.asarray(pop.lead_firm)[firm] + pop.lead_perf * (performance - 1)
    if kind == "cf":
        log_mean = log_mean + pop.kappa_u * u + pop.pi_budget * (budget - 100) / 25
    rate = np.exp(log_mean) * rng.gamma(pop.lead_size, 1 / pop.lead_size, n)
    leads = np.minimum(rng.poisson(rate), 5000).astype(float)
    if kind == "eiv":
        prequal, tracking = t_pq, t_tr
    else:
        prequal, tracking = pq_items.mean(axis=1), tr_items.mean(axis=1)
    x = {
        "prequal": prequal,
        "tracking": tracking,
        "volume": np.log1p(leads),
        "experience": experience,
        "performance": performance,
        "pay": pay_pct / 100,
        "firm": firm,
        "u": u if kind == "cf" else np.zeros(n),
        "c": c,
    }
    return {
        "firm": firm,
        "experience": experience,
        "quota_pct": quota_pct,
        "pay_pct": pay_pct,
        "leads": leads,
        "budget": budget,
        "u": u,
        "pq_items": pq_items,
        "tr_items": tr_items,
        "mk_items": mk_items,
        "x": x,
    }


def log_ratios(pop: Population, x: dict) -> np.ndarray:
    """The two log-ratios (marketing, self) against ``other``, shape (n, 2)."""
    c = {k: x[k] - pop.centre[k] for k in pop.centre}
    out = []
    for a, b in ((pop.a_marketing, pop.b_marketing), (pop.a_self, pop.b_self)):
        eta = np.asarray(a)[x["firm"]].astype(float)
        for term, coef in b.items():
            if coef == 0.0:
                continue
            value = np.ones_like(eta)
            for part in term.split(":"):
                value = value * c[part]
            eta = eta + coef * value
        out.append(eta)
    out[0] = out[0] + pop.gamma_u * x["u"] + pop.gamma_c * x["c"]
    return np.column_stack(out)


def mean_shares(eta: np.ndarray) -> np.ndarray:
    """Softmax of (eta_marketing, eta_self, 0): the expected shares, shape (n, 3)."""
    full = np.column_stack([eta, np.zeros(len(eta))])
    full = full - full.max(axis=1, keepdims=True)
    e = np.exp(full)
    return e / e.sum(axis=1, keepdims=True)


def draw_percents(pop: Population, mu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dirichlet(phi mu) shares reported as percents (largest remainder, per-rep step).

    Returns
    -------
    ndarray (n, 3)
        Percents of marketing, self, other; each row sums to 100.
    """
    g = rng.gamma(pop.phi * mu)
    y = g / g.sum(axis=1, keepdims=True)
    step = np.where(rng.random(len(y)) < pop.p_step5, 5.0, 1.0)
    units = 100 / step
    q = y * units[:, None]
    fl = np.floor(q)
    missing = (units - fl.sum(axis=1)).astype(int)
    order = np.argsort(-(q - fl), axis=1, kind="stable")
    rank = np.argsort(order, axis=1)
    fl = fl + (rank < missing[:, None])
    return fl * step[:, None]


def draw_survey(kind: str, n: int, seed: int, pop: Population = POPULATION) -> pd.DataFrame:
    """A survey in the package's input schema (docs/data.md).

    Parameters
    ----------
    kind : {"eiv", "cf", "marker"}
    n : int
        Reps.
    seed : int
        Seed of ``numpy.random.default_rng``.
    pop : Population

    Returns
    -------
    DataFrame
        ``rep_id, firm, pq_1..pq_3, mt_1..mt_3, lead_volume, experience, quota_pct,
        variable_pay_pct, pct_marketing, pct_self, pct_other`` and, for ``cf``,
        ``campaign_budget``.
    """
    rng = np.random.default_rng(seed)
    reps = draw_reps(pop, n, rng, kind)
    pct = draw_percents(pop, mean_shares(log_ratios(pop, reps["x"])), rng)
    out = pd.DataFrame({"rep_id": [f"U{i + 1:05d}" for i in range(n)]})
    out["firm"] = np.asarray(pop.firms)[reps["firm"]]
    for j in range(3):
        out[f"pq_{j + 1}"] = reps["pq_items"][:, j].astype(int)
    for j in range(3):
        out[f"mt_{j + 1}"] = reps["tr_items"][:, j].astype(int)
    out["lead_volume"] = reps["leads"].astype(int)
    out["experience"] = reps["experience"].astype(int)
    out["quota_pct"] = reps["quota_pct"].astype(int)
    out["variable_pay_pct"] = reps["pay_pct"].astype(int)
    out["pct_marketing"] = pct[:, 0].astype(int)
    out["pct_self"] = pct[:, 1].astype(int)
    out["pct_other"] = pct[:, 2].astype(int)
    if kind == "cf":
        out["campaign_budget"] = reps["budget"]
    if kind == "marker":
        for j in range(3):
            out[f"mk_{j + 1}"] = reps["mk_items"][:, j].astype(int)
    return out


def _perturbed(x: dict, var: str, h: float) -> dict:
    y = dict(x)
    y[var] = x[var] + h
    return y


def rep_effects(pop: Population, x: dict) -> dict[str, np.ndarray]:
    """Per-rep derivative or cross-partial of the expected share for every registry effect.

    Central finite differences of :func:`mean_shares` with step :data:`STEP` on the same
    reps (common random numbers). Also returns ``<id>_closed`` for the first derivatives,
    the closed-form softmax derivative mu_k (d eta_k - sum_j mu_j d eta_j).
    """
    col = {s: j for j, s in enumerate(SHARES)}
    h = STEP
    out: dict[str, np.ndarray] = {}
    cache: dict[tuple, np.ndarray] = {}

    def mu(shifts: tuple) -> np.ndarray:
        if shifts not in cache:
            y = x
            for var, d in shifts:
                y = _perturbed(y, var, d)
            cache[shifts] = mean_shares(log_ratios(pop, y))
        return cache[shifts]

    for hid, (share, pred, mod) in EFFECTS.items():
        k = col[share]
        if mod is None:
            up, dn = mu(((pred, h),)), mu(((pred, -h),))
            out[hid] = (up[:, k] - dn[:, k]) / (2 * h)
            # closed form: d eta / d pred by differencing the (linear in pred) log-ratios
            deta = log_ratios(pop, _perturbed(x, pred, 1.0)) - log_ratios(pop, x)
            m0 = mu(())
            full = np.column_stack([deta, np.zeros(len(deta))])
            out[f"{hid}_closed"] = m0[:, k] * (full[:, k] - (m0 * full).sum(axis=1))
        else:
            pp = mu(((pred, h), (mod, h)))[:, k]
            pm = mu(((pred, h), (mod, -h)))[:, k]
            mp = mu(((pred, -h), (mod, h)))[:, k]
            mm = mu(((pred, -h), (mod, -h)))[:, k]
            out[hid] = (pp - pm - mp + mm) / (4 * h * h)
    return out


def true_effects(
    kind: str,
    draws: int = 2_000_000,
    seed: int = TRUTH_SEED,
    pop: Population = POPULATION,
    chunk: int = 250_000,
) -> pd.DataFrame:
    """Population value of every registry effect over the analysable reps (module docstring).

    Parameters
    ----------
    kind : {"eiv", "cf", "marker"}
    draws : int
        Reps drawn from the population.
    seed : int
        Seed of the draws (chunks use child seeds of ``SeedSequence(seed)``).
    pop : Population
    chunk : int
        Reps per chunk (memory).

    Returns
    -------
    DataFrame
        Indexed by effect id: ``truth``, ``mc_se`` (Monte Carlo SE), ``truth_all_reps``
        (the average over every rep, analysable or not), ``closed_gap`` (first derivatives:
        the finite difference minus the closed form, averaged), and the attributes
        ``analysable`` (share of reps with reported marketing time) and ``draws``.
    """
    sums: dict[str, float] = {}
    squares: dict[str, float] = {}
    all_sums: dict[str, float] = {}
    n_ok = 0
    n_all = 0
    children = np.random.SeedSequence(seed).spawn(-(-draws // chunk))
    for i, child in enumerate(children):
        m = min(chunk, draws - i * chunk)
        rng = np.random.default_rng(child)
        reps = draw_reps(pop, m, rng, kind)
        mu = mean_shares(log_ratios(pop, reps["x"]))
        ok = draw_percents(pop, mu, rng)[:, 0] > 0
        eff = rep_effects(pop, reps["x"])
        for key, v in eff.items():
            sums[key] = sums.get(key, 0.0) + float(v[ok].sum())
            squares[key] = squares.get(key, 0.0) + float((v[ok] ** 2).sum())
            all_sums[key] = all_sums.get(key, 0.0) + float(v.sum())
        n_ok += int(ok.sum())
        n_all += m
    rows = {}
    for hid in EFFECTS:
        mean = sums[hid] / n_ok
        var = squares[hid] / n_ok - mean**2
        closed = f"{hid}_closed"
        gap = (sums[hid] - sums[closed]) / n_ok if closed in sums else np.nan
        rows[hid] = {
            "truth": mean,
            "mc_se": float(np.sqrt(max(var, 0.0) / n_ok)),
            "truth_all_reps": all_sums[hid] / n_all,
            "closed_gap": gap,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "id"
    table.attrs["analysable"] = n_ok / n_all
    table.attrs["draws"] = n_all
    return table


def drawn_share_check(
    kind: str, draws: int = 200_000, seed: int = TRUTH_SEED + 1, pop: Population = POPULATION
) -> pd.DataFrame:
    """The main effects again from *drawn* shares instead of the mean-share formula.

    Each rep's Dirichlet share is drawn by inversion, ``G_j = P^{-1}(phi mu_j(x), U_j)`` (the
    regularized incomplete gamma function's inverse), ``y = G / sum(G)``, with the uniforms
    ``U`` held fixed while ``x`` moves by +-h (common random numbers), so the central
    difference of the average drawn share is smooth in ``x``. Its expectation is the
    derivative of E[share | x]; it checks that the truth's mean-share formula is the expected
    share of the draws. Every rep is averaged (no sample rule); compare with
    ``truth_all_reps``.

    Returns
    -------
    DataFrame
        Per main effect: ``drawn`` (the estimate) and ``mc_se``.
    """
    rng = np.random.default_rng(seed)
    reps = draw_reps(pop, draws, rng, kind)
    u = rng.random((draws, 3))
    col = {s: j for j, s in enumerate(SHARES)}

    def drawn(x: dict) -> np.ndarray:
        g = gammaincinv(pop.phi * mean_shares(log_ratios(pop, x)), u)
        return g / g.sum(axis=1, keepdims=True)

    rows = {}
    for hid, (share, pred, mod) in EFFECTS.items():
        if mod is not None:
            continue
        k = col[share]
        d = (
            drawn(_perturbed(reps["x"], pred, STEP))[:, k]
            - drawn(_perturbed(reps["x"], pred, -STEP))[:, k]
        ) / (2 * STEP)
        rows[hid] = {"drawn": d.mean(), "mc_se": d.std(ddof=1) / np.sqrt(draws)}
    return pd.DataFrame.from_dict(rows, orient="index")


def cached_truth(kind: str, out: Path, draws: int, pop: Population = POPULATION) -> pd.DataFrame:
    """:func:`true_effects`, read from ``out/truth_<kind>.json`` when computed before.

    The file is named by nothing but the kind; it records the population's digest, the
    draws and the seed, and is recomputed when any of them differs.
    """
    path = out / f"truth_{kind}.json"
    key = {"digest": pop.digest(), "draws": draws, "seed": TRUTH_SEED}
    if path.exists():
        saved = json.loads(path.read_text())
        if saved.get("key") == key:
            table = pd.DataFrame(saved["table"]).set_index("id")
            table.attrs.update(saved["attrs"])
            return table
    t0 = time.perf_counter()
    table = true_effects(kind, draws)
    seconds = time.perf_counter() - t0
    attrs = dict(table.attrs) | {"seconds": round(seconds, 1)}
    payload = {"key": key, "attrs": attrs, "table": table.reset_index().to_dict("records")}
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n")
    table.attrs.update(attrs)
    return table


#: kind -> (extra options of ``leadblackhole fit``, suffix of the remedy's model name)
REMEDY = {
    "eiv": (["--errors-in-variables"], "_eiv"),
    "cf": (["--endogenous", "volume", "--instrument", "campaign_budget"], "_cf"),
    "marker": (["--marker", "marker"], "_marker"),
}

#: The codebook of a ``marker`` survey: the marker's items as a scale.
MARKER_CODEBOOK = '[scales.marker]\nitems = ["mk_1", "mk_2", "mk_3"]\n'


def leadblackhole_command() -> list[str]:
    """The command line of the package installed beside this Python (``leadblackhole``)."""
    return [sys.executable, "-m", "leadblackhole.cli"]


def fit_survey(kind: str, seed: int, n: int, out: Path, extra: list[str]) -> pd.DataFrame:
    """Write one survey, run ``leadblackhole fit`` with the remedy, return its hypotheses.csv."""
    survey = out / f"{kind}_n{n}_seed{seed}.csv"
    draw_survey(kind, n, seed).to_csv(survey, index=False)
    shown = list(extra)
    if kind == "marker":
        codebook = out / "marker_codebook.toml"
        codebook.write_text(MARKER_CODEBOOK)
        extra, shown = ["--codebook", str(codebook), *extra], ["--codebook CODEBOOK", *extra]
    fit_dir = out / f"fit_{kind}_n{n}_seed{seed}"
    cmd = [
        *leadblackhole_command(),
        "fit",
        str(survey),
        "--out",
        str(fit_dir),
        "--no-progress",
        *REMEDY[kind][0],
        *extra,
    ]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
    hyp = pd.read_csv(fit_dir / "hypotheses.csv")
    hyp.attrs["seconds"] = seconds
    hyp.attrs["command"] = "leadblackhole fit SURVEY --out DIR " + " ".join(REMEDY[kind][0] + shown)
    return hyp


def collect(hyp: pd.DataFrame, truth: pd.DataFrame, kind: str, seed: int) -> pd.DataFrame:
    """Every model's registry effects of one fit beside the truth, one row per model and effect.

    Columns ``seed, model, role, id, truth, estimate, std_error, z`` with
    ``z = (estimate - truth) / std_error``; ``role`` is ``remedy`` (``<main>_eiv`` or
    ``<main>_cf``), ``plain`` (the main model, fitted in the same command: its rows are those
    of ``leadblackhole fit SURVEY`` without the remedy) or ``other`` (the robustness models).
    """
    suffix = REMEDY[kind][1]
    models = list(dict.fromkeys(hyp["model"]))
    remedy = next(m for m in models if m.endswith(suffix))
    main = remedy[: -len(suffix)]
    out = hyp[hyp["id"].isin(list(EFFECTS))][["model", "id", "estimate", "std_error"]].copy()
    out["role"] = np.where(
        out["model"] == remedy, "remedy", np.where(out["model"] == main, "plain", "other")
    )
    out["truth"] = out["id"].map(truth["truth"])
    out["z"] = (out["estimate"] - out["truth"]) / out["std_error"]
    out.insert(0, "seed", seed)
    return out[["seed", "model", "role", "id", "truth", "estimate", "std_error", "z"]]


def _fmt(v: float, digits: int = 5) -> str:
    return "–" if not np.isfinite(v) else f"{v:.{digits}f}"


def seed_markdown(long: pd.DataFrame, seed: int) -> str:
    """One seed: effect, truth, and estimate, SE and z of the plain fit and of the remedy."""
    one = long[long["seed"] == seed]
    plain = one[one["role"] == "plain"].set_index("id")
    remedy = one[one["role"] == "remedy"].set_index("id")
    lines = [
        f"| effect | truth | {plain['model'].iloc[0]} | SE | z | {remedy['model'].iloc[0]} "
        "| SE | z |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for hid in EFFECTS:
        p, r = plain.loc[hid], remedy.loc[hid]
        lines.append(
            f"| {hid} | {_fmt(p.truth)} | {_fmt(p.estimate)} | {_fmt(p.std_error)} | {p.z:+.2f} "
            f"| {_fmt(r.estimate)} | {_fmt(r.std_error)} | {r.z:+.2f} |"
        )
    return "\n".join(lines)


def summary_markdown(long: pd.DataFrame) -> str:
    """Over the seeds: per effect, the largest |z| and the mean z of the plain fit and remedy."""
    seeds = sorted(set(long["seed"]))
    lines = [
        "| effect | truth | plain: largest \\|z\\| | plain: mean z | remedy: largest \\|z\\| "
        "| remedy: mean z | remedy: mean SE |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for hid in EFFECTS:
        p = long[(long["role"] == "plain") & (long["id"] == hid)]
        r = long[(long["role"] == "remedy") & (long["id"] == hid)]
        lines.append(
            f"| {hid} | {_fmt(p['truth'].iloc[0])} | {p['z'].abs().max():.2f} | {p['z'].mean():+.2f} "
            f"| {r['z'].abs().max():.2f} | {r['z'].mean():+.2f} | {_fmt(r['std_error'].mean())} |"
        )
    lines.append("")
    lines.append(
        f"Seeds {', '.join(map(str, seeds))}; the mean z of {len(seeds)} seeds has a "
        f"standard error of {1 / np.sqrt(len(seeds)):.2f} when the estimator is unbiased."
    )
    return "\n".join(lines)


def doc_markdown(long: pd.DataFrame) -> str:
    """The docs' table: the first seed in full, and the largest |z| and mean z over the seeds."""
    seeds = sorted(set(long["seed"]))
    first = long[long["seed"] == seeds[0]]
    plain = first[first["role"] == "plain"].set_index("id")
    remedy = first[first["role"] == "remedy"].set_index("id")
    k = len(seeds)
    lines = [
        f"| effect | truth | {plain['model'].iloc[0]} (seed {seeds[0]}) | SE | z "
        f"| {remedy['model'].iloc[0]} (seed {seeds[0]}) | SE | z "
        f"| plain: largest \\|z\\| ({k} seeds) | remedy: largest \\|z\\| ({k} seeds) "
        f"| remedy: mean z ({k} seeds) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for hid in EFFECTS:
        p, r = plain.loc[hid], remedy.loc[hid]
        zp = long[(long["role"] == "plain") & (long["id"] == hid)]["z"]
        zr = long[(long["role"] == "remedy") & (long["id"] == hid)]["z"]
        lines.append(
            f"| {hid} | {_fmt(p.truth)} | {_fmt(p.estimate)} | {_fmt(p.std_error)} | {p.z:+.2f} "
            f"| {_fmt(r.estimate)} | {_fmt(r.std_error)} | {r.z:+.2f} | {zp.abs().max():.2f} "
            f"| {zr.abs().max():.2f} | {zr.mean():+.2f} |"
        )
    return "\n".join(lines)


def models_markdown(long: pd.DataFrame) -> str:
    """Largest |z| over the seeds of every model of the command (rows) and effect (columns)."""
    ids = list(EFFECTS)
    worst = long.assign(a=long["z"].abs()).pivot_table(
        index="model", columns="id", values="a", aggfunc="max"
    )[ids]
    order = list(dict.fromkeys(long["model"]))
    lines = ["| model | " + " | ".join(ids) + " |", "|---|" + "---:|" * len(ids)]
    for model in order:
        row = worst.loc[model]
        lines.append(
            f"| {model} | "
            + " | ".join("–" if not np.isfinite(v) else f"{v:.1f}" for v in row)
            + " |"
        )
    return "\n".join(lines)


def write_tables(long: pd.DataFrame, kind: str, n: int, out: Path, command: str) -> Path:
    """``out/<kind>_n<n>_tables.md``: the summary, every model's |z| and one table per seed."""
    truth_note = (
        "truth: average over the analysable reps of the population of the derivative (or "
        "cross-partial) of the expected share, benchmarks/unseen_surveys.py `truth`"
    )
    parts = [
        f"# Unseen survey `{kind}`, {n} reps: `{command}`",
        "",
        f"z = (estimate − truth) / SE; {truth_note}.",
        "",
        "## The first seed, and over the seeds",
        "",
        doc_markdown(long),
        "",
        "## Over the seeds",
        "",
        summary_markdown(long),
        "",
        "## Largest |z| over the seeds, every model of the command",
        "",
        models_markdown(long),
    ]
    for seed in sorted(set(long["seed"])):
        parts += ["", f"## Seed {seed}", "", seed_markdown(long, seed)]
    path = out / f"{kind}_n{n}_tables.md"
    path.write_text("\n".join(parts) + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line: ``truth``, ``survey``, ``run`` or ``tables`` (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("truth", help="true effects of one kind")
    t.add_argument("--kind", choices=KINDS, required=True)
    t.add_argument("--draws", type=int, default=2_000_000)
    t.add_argument("--out", type=Path, default=Path("evidence/unseen_surveys"))
    t.add_argument(
        "--check-draws",
        type=int,
        default=0,
        help="also the main effects from this many drawn shares (drawn_share_check)",
    )
    s = sub.add_parser("survey", help="write one survey as CSV")
    s.add_argument("--kind", choices=KINDS, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--n", type=int, default=6000)
    s.add_argument("--out", type=Path, required=True)
    for name, text in (("run", "surveys, fits and the tables"), ("tables", "the tables again")):
        r = sub.add_parser(name, help=text)
        r.add_argument("--kind", choices=KINDS, required=True)
        r.add_argument("--n", type=int, default=6000)
        r.add_argument("--out", type=Path, default=Path("evidence/unseen_surveys"))
        r.add_argument("--draws", type=int, default=2_000_000)
        if name == "run":
            r.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
            r.add_argument(
                "--fit-option",
                action="append",
                default=[],
                dest="extra",
                help="a further option of leadblackhole fit (repeatable)",
            )
    args = parser.parse_args(argv)
    if args.command == "survey":
        draw_survey(args.kind, args.n, args.seed).to_csv(args.out, index=False)
        return
    truth = cached_truth(args.kind, args.out, args.draws)
    if args.command == "truth":
        print(f"analysable share {truth.attrs['analysable']:.5f}; draws {truth.attrs['draws']}")
        print(truth.to_string(float_format=lambda v: f"{v:.3g}"))
        if args.check_draws:
            check = drawn_share_check(args.kind, args.check_draws)
            check["truth_all_reps"] = truth.loc[check.index, "truth_all_reps"]
            check["z"] = (check["drawn"] - check["truth_all_reps"]) / check["mc_se"]
            print(f"main effects from {args.check_draws} drawn shares (common random numbers):")
            print(check.to_string(float_format=lambda v: f"{v:.3g}"))
        return
    results = args.out / f"{args.kind}_n{args.n}_results.csv"
    command = "leadblackhole fit SURVEY --out DIR " + " ".join(REMEDY[args.kind][0])
    if args.command == "run":
        args.out.mkdir(parents=True, exist_ok=True)
        tables = []
        for seed in args.seeds:
            hyp = fit_survey(args.kind, seed, args.n, args.out, args.extra)
            long = collect(hyp, truth, args.kind, seed)
            print(f"seed {seed}: {hyp.attrs['command']} ({hyp.attrs['seconds']:.0f} s)", flush=True)
            print(seed_markdown(long, seed), flush=True)
            tables.append(long)
        pd.concat(tables, ignore_index=True).to_csv(results, index=False)
        command = "leadblackhole fit SURVEY --out DIR " + " ".join(
            REMEDY[args.kind][0] + args.extra
        )
    long = pd.read_csv(results)
    long["truth"] = long["id"].map(truth["truth"])
    long["z"] = (long["estimate"] - long["truth"]) / long["std_error"]
    print(summary_markdown(long))
    print(f"wrote {write_tables(long, args.kind, args.n, args.out, command)}")


if __name__ == "__main__":
    main()
