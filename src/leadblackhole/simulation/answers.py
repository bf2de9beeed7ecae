"""The answers of simulated reps: everything a survey records but the time shares.

:func:`draw_reps` draws, for ``n`` reps of a
:class:`~leadblackhole.simulation.design.StudyDesign`, the firm, the Likert
items of the two scales (with the latent scores behind them and, when the
design has one, the common-method factor), experience, quota achievement,
lead volume (routed, confounded or moved by an instrument as the design
says), variable pay and weekly hours. Draws that only some designs make (the
instrument, the exclusion variable, a marker scale) come from child streams
(:func:`child_rng`), so a design without them draws every other answer
exactly as before.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import DesignError
from .design import StudyDesign

__all__ = ["CHILD_KEY", "MARKER_KEY", "child_rng", "draw_reps", "firm_counts", "quota_sd"]


def firm_counts(weights: tuple[float, ...], n: int) -> np.ndarray:
    """Reps per firm: ``n`` split in proportion to ``weights`` (largest remainders)."""
    w = np.asarray(weights, float)
    quota = w / w.sum() * n
    counts = np.floor(quota).astype(int)
    rest = n - counts.sum()
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts


def quota_sd(design: StudyDesign) -> float:
    """Population SD of quota achievement (percent) implied by the design."""
    var_exp = design.experience_shape * design.experience_scale**2
    return float(np.sqrt(design.quota_sd**2 + design.quota_experience_slope**2 * var_exp))


#: Spawn key appended to a study's seed sequence for the instrument and the exclusion variable.
CHILD_KEY: int = 0x1EAD
#: Spawn key of the marker scale's own stream: the first child ``SeedSequence.spawn``
#: would give a fresh sequence, so the marker answers are those the corrections'
#: evidence was drawn with.
MARKER_KEY: int = 0


def child_rng(rng: np.random.Generator, key: int = CHILD_KEY) -> np.random.Generator:
    """An independent stream for draws that only some designs make.

    The child's seed sequence is the generator's own with ``key`` appended to its
    spawn key (:data:`CHILD_KEY` for the instrument and the exclusion variable,
    :data:`MARKER_KEY` for a marker scale). Nothing is drawn from the main stream and the
    parent sequence is not changed (``SeedSequence.spawn`` would count the
    children, so a second simulation from the same ``SeedSequence`` object would
    draw another child): every design without the options that use the child
    draws exactly as before, and the same seed gives the same study every time.

    Raises
    ------
    DesignError
        A generator without a seed sequence (legacy seeding).
    """
    seq = getattr(rng.bit_generator, "seed_seq", None)
    if not isinstance(seq, np.random.SeedSequence):
        raise DesignError(
            "this design draws an instrument, an exclusion variable or a marker scale from a "
            "child stream of the seed; pass an integer seed, a SeedSequence or a Generator made by "
            "numpy.random.default_rng"
        )
    child = np.random.SeedSequence(
        seq.entropy, spawn_key=(*seq.spawn_key, key), pool_size=seq.pool_size
    )
    return np.random.default_rng(child)


def draw_reps(
    design: StudyDesign,
    rng: np.random.Generator,
    n: int,
    extra: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Draw ``n`` reps' answers (everything but the time shares).

    Besides the answers, returns the latent scale scores on the item scale
    (``prequal_latent``, ``tracking_latent``) and, when the design has them,
    the common-method factor ``method``, the volume confounder ``nu`` and the
    campaign budget ``campaign_budget`` (drawn from ``extra``, the child stream
    of :func:`child_rng`).
    """
    counts = firm_counts(design.firm_weights, n)
    firm_idx = np.repeat(np.arange(len(design.firms)), counts)
    rho = design.scale_correlation
    z = rng.standard_normal((n, 2))
    f_pq = z[:, 0] + np.asarray(design.firm_prequal_shift)[firm_idx]
    f_mt = (
        rho * z[:, 0]
        + np.sqrt(1 - rho**2) * z[:, 1]
        + np.asarray(design.firm_tracking_shift)[firm_idx]
    )
    method = rng.standard_normal(n) if design.method_factor or design.method_factor_shares else None

    def items(f: np.ndarray, loadings: tuple[float, ...], scale: str) -> np.ndarray:
        lam = np.asarray(loadings)
        e = rng.standard_normal((n, lam.size))
        latent = f[:, None] * lam + e * np.sqrt(1 - lam**2)
        if design.method_factor:
            latent = latent + design.method_loadings(scale, lam.size) * method[:, None]
        x = design.item_center + design.item_spread * latent
        return np.clip(np.round(x), 1, 7).astype(int)

    pq = items(f_pq, design.prequal_loadings, "prequal")
    mt = items(f_mt, design.tracking_loadings, "tracking")
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
    mean_leads = np.asarray(design.firm_lead_mean)[firm_idx]
    nu = rng.standard_normal(n) if design.volume_confounding else None
    if design.volume_routing:
        a = design.volume_routing
        z_perf = (quota - design.quota_mean) / quota_sd(design)
        mean_leads = mean_leads * np.exp(a * z_perf - a**2 / 2)
    if nu is not None:
        b = design.volume_confounding
        mean_leads = mean_leads * np.exp(b * nu - b**2 / 2)
    budget = None
    if design.instrument_strength:
        w = extra.standard_normal(n)
        s = design.instrument_strength
        mean_leads = mean_leads * np.exp(s * w - s**2 / 2)
        budget = np.maximum(np.round(100.0 + 20.0 * w, 1), 0.0)
    r = design.lead_dispersion
    leads = rng.negative_binomial(r, r / (r + mean_leads))
    pay = np.clip(
        np.round(
            np.asarray(design.firm_pay_mean)[firm_idx] + design.pay_sd * rng.standard_normal(n)
        ),
        0,
        100,
    )
    hours = np.clip(np.round(design.hours_mean + design.hours_sd * rng.standard_normal(n)), 30, 70)
    out = {
        "firm_idx": firm_idx,
        "pq": pq,
        "mt": mt,
        "prequal_latent": design.item_center
        + design.item_spread * np.mean(design.prequal_loadings) * f_pq,
        "tracking_latent": design.item_center
        + design.item_spread * np.mean(design.tracking_loadings) * f_mt,
        "lead_volume": leads,
        "experience": experience,
        "quota_pct": quota,
        "variable_pay_pct": pay,
        "hours_per_week": hours,
    }
    if method is not None:
        out["method"] = method
    if nu is not None:
        out["nu"] = nu
    if budget is not None:
        out["campaign_budget"] = budget
    if design.marker_items:
        out["mk"] = _marker_items(design, child_rng(rng, MARKER_KEY), method, n)
    return out


def _marker_items(
    design: StudyDesign, child: np.random.Generator, method: np.ndarray | None, n: int
) -> np.ndarray:
    """Answers (n x ``marker_items``) to the marker scale, drawn from ``child``.

    The marker measures a construct unrelated to the model and carries the method
    factor like every other Likert item. ``child`` is the marker's own child stream
    (:func:`child_rng` with :data:`MARKER_KEY`): nothing is drawn from the main
    stream, so a design with a marker draws every other answer, share and
    follow-up exactly as the same design without one.
    """
    k = design.marker_items
    lam = np.asarray([design.marker_loadings[j % len(design.marker_loadings)] for j in range(k)])
    g = child.standard_normal(n)
    e = child.standard_normal((n, k))
    latent = g[:, None] * lam + e * np.sqrt(1 - lam**2)
    if design.method_factor:
        latent = latent + design.method_loadings("marker", k) * method[:, None]
    x = design.item_center + design.item_spread * latent
    return np.clip(np.round(x), 1, 7).astype(int)
