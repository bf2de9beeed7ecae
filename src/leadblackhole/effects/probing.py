r"""Probing the moderations on the share scale: simple slopes, Johnson–Neyman, bootstrap.

Conditional average effect
--------------------------
For a focal predictor :math:`x`, a moderator :math:`m` and a share
:math:`k`, the conditional average effect at a moderator value :math:`m_0` is

.. math::

    \theta_k(m_0) = \frac1n\sum_i
        \frac{\partial \mu_k(x_i)}{\partial x}\Big|_{m_i = m_0},

the average over reps of the derivative of the expected share when every rep's
moderator is set to :math:`m_0` (the other variables keep their observed
values; every design column containing :math:`m`, the other interactions of
:math:`m` included, moves with it). A *simple slope* is
:math:`\theta_k(m_0)` at the moderator's mean and one standard deviation
either side (or at values the user gives); its standard error comes from the
delta method exactly as for the registry effects
(:mod:`leadblackhole.effects.estimates`). Note that the simple slope at the
mean differs from the registry main effect, which averages the derivative at
each rep's own moderator value.

Johnson–Neyman regions
----------------------
The Johnson–Neyman region of :math:`x` by :math:`m` is the set of moderator
values where the conditional average effect differs significantly from zero,
:math:`|\theta_k(m_0)| / \mathrm{se}(m_0) > c`. On the share scale neither
:math:`\theta_k` nor its standard error is a polynomial in :math:`m_0`, so the
boundaries are found numerically: the ratio is evaluated on a grid over the
moderator's range and each change of significance between neighbouring grid
points is refined to a root of :math:`|t(m_0)| = c` with Brent's method
(tolerance :math:`10^{-10}` times the range). For a linear model the
boundaries coincide with the roots of the classical quadratic.

The critical value is :math:`c = z_{1-\alpha/2} = 1.96` by default. Because
the region reads significance at every value of the moderator at once,
Esarey & Sumner (2018) propose a critical value that bounds the false
discovery rate of those statements: apply the Benjamini–Hochberg step-up rule
to the two-sided p-values of the grid, find the largest :math:`i` with
:math:`p_{(i)} \le \alpha\, i / G`, and use
:math:`c = \Phi^{-1}(1 - \alpha i / (2G))` (:math:`G` grid points; when no
p-value passes, :math:`i = 1`, the Bonferroni value). It is never below
:math:`z_{1-\alpha/2}`.

Bootstrap
---------
:func:`bootstrap_effects` re-estimates the model on resampled data and reads
the registry effects off every refit. Two schemes:

``"stratified"`` (default)
    Reps are resampled with replacement within each firm, keeping the firm
    sizes. It reproduces the sampling of reps the delta method assumes and
    is the scheme to use with four firms.
``"firm"``
    Firms are resampled with replacement (a firm drawn twice enters as two
    firms, each with its own dummy), which allows for dependence of reps
    within a firm. With four firms there are only 35 distinct resamples
    (:math:`\binom{7}{4}`), one in 64 of which repeats a single firm four
    times; the percentile intervals are coarse, and the scheme is offered as a
    sensitivity check, not as the primary inference.

Every draw comes from ``numpy.random.default_rng(seed)``. Refits start from
the full-sample estimates (warm starts); a refit that fails or does not
converge is dropped and counted.

:func:`simulate_effects` is the parametric alternative (Krinsky & Robb
1986): it draws the mean coefficients from their estimated normal sampling
distribution :math:`N(\hat\theta, \hat V)` and reads the effects off every
draw, without refitting. Its spread checks the linearization of the delta
method (it matches ``variance="conditional"``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from tqdm import tqdm

from ..exceptions import ConvergenceWarning, EffectsError, EstimationError
from ..models.results import fit_share_model
from ..registry import HYPOTHESES, Hypothesis
from .engine import EffectsEngine
from .estimates import inference_table
from .spec import EffectOptions, EffectSpec, ShareModel, as_model, data_of, resolve_options

__all__ = [
    "BOOTSTRAP_SCHEMES",
    "BootstrapResult",
    "JohnsonNeyman",
    "bootstrap_effects",
    "conditional_effects",
    "esarey_sumner_critical",
    "johnson_neyman",
    "johnson_neyman_table",
    "moderation_pairs",
    "predictive_margins",
    "simple_slopes",
    "simulate_effects",
]

Scheme = Literal["stratified", "firm"]
Critical = Literal["normal", "esarey_sumner"]
BOOTSTRAP_SCHEMES: tuple[str, ...] = ("stratified", "firm")
CRITICAL_METHODS: tuple[str, ...] = ("normal", "esarey_sumner")


def _means(frame: Any) -> pd.Series:
    means = getattr(frame, "means", None)
    return means if isinstance(means, pd.Series) else pd.Series(dtype=float)


def _offset(frame: Any, var: str) -> float:
    """What to add to the data's value of ``var`` to get it on its raw scale."""
    means = _means(frame)
    return float(means[var]) if var in means.index else 0.0


def moderation_pairs(hypotheses: Sequence[Hypothesis] = HYPOTHESES) -> list[Hypothesis]:
    """Registry rows that are moderations.

    Parameters
    ----------
    hypotheses : sequence of Hypothesis
        Registry rows (default the whole registry).

    Returns
    -------
    list of Hypothesis
        The rows with a moderator (H7–H11 and E1 by default), in registry order.
    """
    return [h for h in hypotheses if h.moderator is not None]


def conditional_effects(
    results: Any,
    frame: Any,
    predictor: str,
    moderator: str,
    values: Sequence[float],
    *,
    outcome: str = "marketing",
    options: EffectOptions | None = None,
    raw: bool = True,
) -> pd.DataFrame:
    """Conditional average effect of ``predictor`` at given values of ``moderator``.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        Reps to average over. With an analysis frame, ``values`` are read on
        the raw scale (years, quota fraction, ...) and shifted by the centring
        mean; with a bare DataFrame they are on the data's scale.
    predictor, moderator : str
        Focal predictor and moderator.
    values : sequence of float
        Moderator values.
    outcome : str
        Share the effect is read on.
    options : EffectOptions, optional
        Variance and test level (see :class:`~leadblackhole.effects.EffectOptions`).
    raw : bool
        Whether ``values`` are on the raw scale (ignored for a bare DataFrame).

    Returns
    -------
    DataFrame
        ``moderator_value`` (raw), ``moderator_centred``, ``estimate``,
        ``std_error``, ``statistic``, ``p_value``, ``conf_low``, ``conf_high``.

    Raises
    ------
    EffectsError
        Unknown variables, predictor equal to moderator, non-finite values.
    """
    options = resolve_options(options)
    model = as_model(results)
    engine = EffectsEngine(model, data_of(frame))
    return _conditional(engine, frame, predictor, moderator, values, outcome, options, raw)


def _conditional(engine, frame, predictor, moderator, values, outcome, options, raw):
    """:func:`conditional_effects` on an engine built once for the model and data."""
    vals = np.asarray(values, dtype=float).ravel()
    if vals.size == 0 or not np.all(np.isfinite(vals)):
        raise EffectsError("moderator values must be a non-empty sequence of finite numbers")
    off = _offset(frame, moderator)
    centred = vals - off if raw else vals
    specs = [EffectSpec(outcome, predictor, None, ((moderator, float(v)),)) for v in centred]
    if predictor == moderator:
        raise EffectsError(f"predictor and moderator must differ; both are {predictor!r}")
    est, rep_var, grad = engine.evaluate(specs)
    out = inference_table(est, rep_var, grad, engine.model, engine.n, options)
    out.insert(0, "moderator_centred", centred)
    out.insert(0, "moderator_value", centred + off)
    return out


def simple_slopes(
    results: Any,
    frame: Any,
    *,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    outcome: str = "marketing",
    sd_levels: Sequence[float] = (-1.0, 0.0, 1.0),
    values: Mapping[str, Sequence[float]] | None = None,
    options: EffectOptions | None = None,
) -> pd.DataFrame:
    """Simple slopes of each moderated predictor at low, mean and high moderator.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        Reps the model was fitted on.
    hypotheses : sequence of Hypothesis
        Registry rows; the moderations among them are probed.
    outcome : str
        Share the slopes are read on (default the marketing share).
    sd_levels : sequence of float
        Moderator values in standard deviations from its mean (default
        −1, 0, +1).
    values : mapping of str to sequence of float, optional
        Extra moderator values on the raw scale, by moderator name, e.g.
        ``{"experience": [2, 20]}``.
    options : EffectOptions, optional
        See :func:`conditional_effects`.

    Returns
    -------
    DataFrame
        ``id, outcome, predictor, moderator, level, moderator_value,
        moderator_centred, estimate, std_error, statistic, p_value, conf_low,
        conf_high``; ``level`` is ``"-1 SD"``, ``"mean"``, ``"+1 SD"`` (or
        ``"+2 SD"`` ...) or ``"value"`` for a user-given value.

    Raises
    ------
    EffectsError
        A moderator in ``values`` that no moderation uses.
    """
    data = data_of(frame)
    pairs = moderation_pairs(hypotheses)
    values = dict(values or {})
    unknown = [m for m in values if m not in {h.moderator for h in pairs}]
    if unknown:
        raise EffectsError(
            f"values given for {unknown}, which moderate no registry effect; "
            f"expected among {sorted({h.moderator for h in pairs})}"
        )
    parts = []
    for h in pairs:
        if h.moderator not in data.columns:
            raise EffectsError(f"data lacks the moderator column {h.moderator!r}")
        col = data[h.moderator].to_numpy(dtype=float)
        mean, sd = col.mean(), col.std(ddof=1)
        off = _offset(frame, h.moderator)
        levels = [(_sd_label(k), mean + k * sd) for k in sd_levels]
        levels += [("value", float(v) - off) for v in values.get(h.moderator, [])]
        res = conditional_effects(
            results,
            frame,
            h.predictor,
            h.moderator,
            [v for _, v in levels],
            outcome=outcome,
            options=options,
            raw=False,
        )
        res.insert(0, "level", [lab for lab, _ in levels])
        res.insert(0, "moderator", h.moderator)
        res.insert(0, "predictor", h.predictor)
        res.insert(0, "outcome", outcome)
        res.insert(0, "id", h.id)
        parts.append(res)
    return pd.concat(parts, ignore_index=True)


def _sd_label(k: float) -> str:
    if k == 0:
        return "mean"
    return f"{'+' if k > 0 else '-'}{abs(k):g} SD"


# ----------------------------------------------------------------------------
# Johnson-Neyman
# ----------------------------------------------------------------------------
def esarey_sumner_critical(
    estimates: Sequence[float],
    std_errors: Sequence[float],
    alpha: float = 0.05,
    df: float | None = None,
) -> float:
    """Critical value that bounds the false discovery rate of a marginal-effects plot.

    Esarey & Sumner (2018): apply the Benjamini–Hochberg step-up rule to the
    two-sided p-values of the conditional effects on a grid of moderator
    values and return the critical statistic of the largest passing rank.

    Parameters
    ----------
    estimates, std_errors : sequence of float
        Conditional effects and their standard errors on the grid.
    alpha : float
        False discovery rate to bound.
    df : float, optional
        Degrees of freedom of a t reference distribution; ``None`` (default)
        for the standard normal.

    Returns
    -------
    float
        The critical value; at least ``z_{1-alpha/2}`` (``t`` quantile with
        ``df``) and at most the Bonferroni value ``z_{1-alpha/(2G)}``.

    Raises
    ------
    EffectsError
        Empty or mismatched inputs, non-positive standard errors, bad alpha.

    Examples
    --------
    >>> round(esarey_sumner_critical([5.0, 5.0], [1.0, 1.0]), 2)   # all significant
    1.96
    >>> round(esarey_sumner_critical([0.0, 0.0], [1.0, 1.0]), 2)   # none: Bonferroni
    2.24
    """
    est = np.asarray(estimates, dtype=float).ravel()
    se = np.asarray(std_errors, dtype=float).ravel()
    if est.size == 0 or est.shape != se.shape:
        raise EffectsError("estimates and std_errors must be non-empty and of equal length")
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(se)) and np.all(se > 0)):
        raise EffectsError("estimates must be finite and std_errors finite and positive")
    if not 0 < alpha < 1:
        raise EffectsError(f"alpha must lie strictly between 0 and 1; received {alpha!r}")
    dist = stats.norm if df is None else stats.t(df)
    p = np.sort(2 * dist.sf(np.abs(est / se)))
    G = p.size
    ranks = np.arange(1, G + 1)
    passing = np.flatnonzero(p <= alpha * ranks / G)
    i = int(ranks[passing[-1]]) if passing.size else 1
    return float(dist.isf(alpha * i / (2 * G)))


@dataclass(frozen=True, eq=False)
class JohnsonNeyman:
    """Johnson–Neyman analysis of one moderation on the share scale.

    Attributes
    ----------
    predictor, moderator, outcome : str
    method : str
        ``"normal"`` (critical value 1.96 at alpha 0.05) or ``"esarey_sumner"``.
    alpha : float
    critical_value : float
    boundaries : ndarray
        Moderator values (raw scale) where :math:`|t| = c`, ascending.
    regions : DataFrame
        One row per significant region: ``low, high`` (raw scale),
        ``low_is_boundary, high_is_boundary`` (whether the end is a root or the
        end of the range examined), ``sign`` (``+1``/``-1``) and
        ``share_of_reps`` (fraction of reps whose moderator lies in it).
    curve : DataFrame
        The grid: ``moderator_value, moderator_centred, estimate, std_error,
        statistic, p_value, conf_low, conf_high`` (pointwise 95%-type band at
        ``critical_value``) and ``significant``.
    observed_range : tuple of float
        Minimum and maximum of the moderator among the reps (raw scale).
    """

    predictor: str
    moderator: str
    outcome: str
    method: str
    alpha: float
    critical_value: float
    boundaries: np.ndarray
    regions: pd.DataFrame
    curve: pd.DataFrame
    observed_range: tuple[float, float]


def johnson_neyman(
    results: Any,
    frame: Any,
    predictor: str,
    moderator: str,
    *,
    outcome: str = "marketing",
    critical: Critical = "normal",
    grid: int = 201,
    span: tuple[float, float] | None = None,
    options: EffectOptions | None = None,
) -> JohnsonNeyman:
    """Johnson–Neyman region of the conditional average effect on the share scale.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        Reps the model was fitted on.
    predictor, moderator : str
        Focal predictor and moderator.
    outcome : str
        Share the effect is read on.
    critical : {"normal", "esarey_sumner"}
        Critical value: :math:`z_{1-\\alpha/2}` or the Esarey–Sumner value
        computed from the grid (:func:`esarey_sumner_critical`).
    grid : int
        Number of equally spaced moderator values examined (at least 11).
    span : tuple of float, optional
        Range of moderator values examined, raw scale; default the observed
        range.
    options : EffectOptions, optional
        Variance and test level (``alpha`` is the false discovery rate for
        ``"esarey_sumner"``).

    Returns
    -------
    JohnsonNeyman

    Raises
    ------
    EffectsError
        Bad options or variables.
    """
    options = resolve_options(options)
    if critical not in CRITICAL_METHODS:
        raise EffectsError(f"critical must be one of {CRITICAL_METHODS}; received {critical!r}")
    setup = _jn_setup(results, frame, predictor, moderator, outcome, grid, span, options)
    return _jn_solve(setup, critical)


@dataclass(frozen=True, eq=False)
class _JNSetup:
    model: ShareModel
    engine: EffectsEngine
    predictor: str
    moderator: str
    outcome: str
    options: EffectOptions
    offset: float
    observed: np.ndarray
    grid: np.ndarray
    curve: pd.DataFrame


def _jn_setup(
    results, frame, predictor, moderator, outcome, grid, span, options, engine=None
) -> _JNSetup:
    """Validate the inputs and evaluate the conditional effect on the grid.

    ``engine`` (optional) is an engine already built for the model and data.
    """
    options = resolve_options(options)
    if not (isinstance(grid, int | np.integer) and grid >= 11):
        raise EffectsError(f"grid must be an integer of at least 11; received {grid!r}")
    model = as_model(results)
    data = data_of(frame)
    if moderator not in data.columns:
        raise EffectsError(f"data lacks the moderator column {moderator!r}")
    if engine is None:
        engine = EffectsEngine(model, data)
    off = _offset(frame, moderator)
    col = data[moderator].to_numpy(dtype=float) + off
    lo, hi = span if span is not None else (float(col.min()), float(col.max()))
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise EffectsError(f"span must be two finite numbers, low < high; received {span!r}")
    ms = np.linspace(lo, hi, int(grid))
    curve = _conditional(engine, frame, predictor, moderator, ms, outcome, options, True)
    return _JNSetup(
        model=model,
        engine=engine,
        predictor=predictor,
        moderator=moderator,
        outcome=outcome,
        options=options,
        offset=off,
        observed=col,
        grid=ms,
        curve=curve,
    )


def _jn_solve(setup: _JNSetup, critical: str) -> JohnsonNeyman:
    """Critical value, boundaries and regions from an evaluated grid."""
    s, ms, col = setup, setup.grid, setup.observed
    curve = s.curve.copy()
    if critical == "normal":
        c = float(stats.norm.isf(s.options.alpha / 2))
    else:
        c = esarey_sumner_critical(curve["estimate"], curve["std_error"], alpha=s.options.alpha)
    curve["conf_low"] = curve["estimate"] - c * curve["std_error"]
    curve["conf_high"] = curve["estimate"] + c * curve["std_error"]
    t = curve["statistic"].to_numpy()
    sig = np.abs(t) > c
    curve["significant"] = sig

    def excess(m_raw: float) -> float:
        spec = EffectSpec(s.outcome, s.predictor, None, ((s.moderator, m_raw - s.offset),))
        est, rv, g = s.engine.evaluate([spec])
        r = inference_table(est, rv, g, s.model, s.engine.n, s.options)
        return float(abs(r["statistic"].iloc[0]) - c)

    xtol = 1e-10 * (ms[-1] - ms[0])
    boundaries = np.array(
        [
            optimize.brentq(excess, ms[g], ms[g + 1], xtol=xtol, rtol=4 * np.finfo(float).eps)
            for g in np.flatnonzero(sig[1:] != sig[:-1])
        ]
    )

    regions = []
    g = 0
    while g < len(ms):
        if not sig[g]:
            g += 1
            continue
        start = g
        while g + 1 < len(ms) and sig[g + 1]:
            g += 1
        end = g
        low_is_b = start > 0
        high_is_b = end < len(ms) - 1
        low = _root_between(boundaries, ms[start - 1], ms[start]) if low_is_b else ms[start]
        high = _root_between(boundaries, ms[end], ms[end + 1]) if high_is_b else ms[end]
        share = float(np.mean((col >= low) & (col <= high)))
        regions.append(
            {
                "low": low,
                "high": high,
                "low_is_boundary": low_is_b,
                "high_is_boundary": high_is_b,
                "sign": int(np.sign(t[start])),
                "share_of_reps": share,
            }
        )
        g += 1
    reg = pd.DataFrame(
        regions,
        columns=["low", "high", "low_is_boundary", "high_is_boundary", "sign", "share_of_reps"],
    )
    return JohnsonNeyman(
        predictor=s.predictor,
        moderator=s.moderator,
        outcome=s.outcome,
        method=critical,
        alpha=s.options.alpha,
        critical_value=c,
        boundaries=boundaries,
        regions=reg,
        curve=curve,
        observed_range=(float(col.min()), float(col.max())),
    )


def _root_between(roots: np.ndarray, a: float, b: float) -> float:
    inside = roots[(roots >= a) & (roots <= b)]
    return float(inside[0]) if inside.size else float((a + b) / 2)


def johnson_neyman_table(
    results: Any,
    frame: Any,
    *,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    outcome: str = "marketing",
    methods: Sequence[str] = CRITICAL_METHODS,
    grid: int = 201,
    options: EffectOptions | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, dict[tuple[str, str], JohnsonNeyman]]:
    """Johnson–Neyman regions of every registry moderation, under each critical value.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        Reps the model was fitted on.
    hypotheses : sequence of Hypothesis
        Registry rows; the moderations among them are analysed.
    outcome, grid, options
        See :func:`johnson_neyman`.
    methods : sequence of str
        Critical values to use (``"normal"``, ``"esarey_sumner"``).
    progress : bool, default False
        Show a tqdm progress bar (one step per moderation) on standard error.

    Returns
    -------
    table : DataFrame
        ``johnson_neyman.csv``: one row per significant region (``region``
        1, 2, ...; a moderation with no significant value gets one row with
        ``region`` 0 and empty bounds), with ``id, outcome, predictor,
        moderator, method, critical_value, observed_min, observed_max,
        region, low, high, low_is_boundary, high_is_boundary, sign,
        share_of_reps``. Values on the moderator's raw scale.
    analyses : dict
        ``(id, method) -> JohnsonNeyman``.
    """
    for method in methods:
        if method not in CRITICAL_METHODS:
            raise EffectsError(f"critical must be one of {CRITICAL_METHODS}; received {method!r}")
    rows, analyses = [], {}
    pairs = moderation_pairs(hypotheses)
    model = as_model(results)
    engine = EffectsEngine(model, data_of(frame))  # one design for every moderation
    for h in tqdm(pairs, desc="Johnson-Neyman", disable=not progress, leave=False):
        setup = _jn_setup(
            model, frame, h.predictor, h.moderator, outcome, grid, None, options, engine
        )
        for method in methods:
            jn = _jn_solve(setup, method)
            analyses[(h.id, method)] = jn
            head = {
                "id": h.id,
                "outcome": outcome,
                "predictor": h.predictor,
                "moderator": h.moderator,
                "method": method,
                "critical_value": jn.critical_value,
                "observed_min": jn.observed_range[0],
                "observed_max": jn.observed_range[1],
            }
            if jn.regions.empty:
                rows.append(
                    {
                        **head,
                        "region": 0,
                        "low": np.nan,
                        "high": np.nan,
                        "low_is_boundary": pd.NA,
                        "high_is_boundary": pd.NA,
                        "sign": pd.NA,
                        "share_of_reps": 0.0,
                    }
                )
            for k, r in enumerate(jn.regions.itertuples(index=False), start=1):
                rows.append({**head, "region": k, **r._asdict()})
    table = pd.DataFrame(rows)
    for col in ("low_is_boundary", "high_is_boundary"):
        table[col] = table[col].astype("boolean")
    table["sign"] = table["sign"].astype("Int64")
    return table, analyses


# ----------------------------------------------------------------------------
# predictive margins (for figures)
# ----------------------------------------------------------------------------
def predictive_margins(
    results: Any,
    frame: Any,
    at: Mapping[str, Sequence[float]],
    *,
    outcome: str = "marketing",
    options: EffectOptions | None = None,
    raw: bool = True,
) -> pd.DataFrame:
    """Average predicted share with some variables set to given values.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        Reps to average over.
    at : mapping of str to sequence of float
        Variables and the values to set them to; every combination is
        evaluated (raw scale with an analysis frame unless ``raw=False``).
    outcome, options
        See :func:`conditional_effects`.
    raw : bool
        Whether the values in ``at`` are on the raw scale.

    Returns
    -------
    DataFrame
        One column per variable in ``at`` (raw scale), then ``estimate,
        std_error, statistic, p_value, conf_low, conf_high`` of the average
        predicted share.
    """
    options = resolve_options(options)
    model = as_model(results)
    data = data_of(frame)
    names = list(at)
    if not names:
        raise EffectsError("at must name at least one variable")
    grids = [np.asarray(at[v], dtype=float).ravel() for v in names]
    mesh = np.array(np.meshgrid(*grids, indexing="ij")).reshape(len(names), -1).T
    offs = np.array([_offset(frame, v) if raw else 0.0 for v in names])
    specs = [
        EffectSpec(outcome, None, None, tuple(zip(names, (row - offs).tolist(), strict=True)))
        for row in mesh
    ]
    engine = EffectsEngine(model, data)
    est, rep_var, grad = engine.evaluate(specs)
    out = inference_table(est, rep_var, grad, model, engine.n, options)
    for j, v in reversed(list(enumerate(names))):
        out.insert(0, v, mesh[:, j] if raw else mesh[:, j] + _offset(frame, v))
    return out


# ----------------------------------------------------------------------------
# bootstrap
# ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Bootstrap distribution of the registry effects.

    Attributes
    ----------
    draws : DataFrame
        One row per draw (``draw`` 0, 1, ...), one column per effect id; rows
        of failed refits are NaN.
    table : DataFrame
        ``id, model, scheme, estimate, boot_std_error, boot_conf_low,
        boot_conf_high, n_boot, n_failed``: the full-sample estimate, the
        standard deviation of the draws and the percentile interval.
    scheme : str
    seed : int
    n_failed : int
    """

    draws: pd.DataFrame
    table: pd.DataFrame
    scheme: str
    seed: int
    n_failed: int


def _resample(data: pd.DataFrame, rng: np.random.Generator, scheme: str) -> pd.DataFrame:
    firms = sorted(data["firm"].astype(str).unique())
    groups = {f: np.flatnonzero(data["firm"].astype(str).to_numpy() == f) for f in firms}
    if scheme == "stratified":
        idx = np.concatenate([g[rng.integers(0, g.size, g.size)] for g in groups.values()])
        return data.iloc[idx].reset_index(drop=True)
    picks = rng.integers(0, len(firms), len(firms))
    parts = []
    for j, k in enumerate(picks):
        part = data.iloc[groups[firms[k]]].copy()
        part["firm"] = f"{firms[k]}#{j + 1}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _refit(model: ShareModel, data: pd.DataFrame) -> ShareModel:
    """Re-estimate ``model`` on ``data`` through the model registry, with its own options."""
    res = fit_share_model(data, model.name, **model.results.fit_options)
    if not res.converged:
        raise EstimationError("the refit did not converge")
    refit = ShareModel.from_results(res)
    if not np.all(np.isfinite(refit.coef)):
        raise EstimationError("the refit gave non-finite coefficients")
    return refit


def bootstrap_effects(
    results: Any,
    frame: Any,
    *,
    n_boot: int,
    seed: int,
    scheme: Scheme = "stratified",
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    options: EffectOptions | None = None,
    progress: bool = True,
) -> BootstrapResult:
    """Bootstrap the registry effects by re-estimating the model on resampled reps.

    Parameters
    ----------
    results : ShareResults or ShareModel
        The model fitted on ``frame``; every refit is
        ``fit_share_model(sample, results.model_name, **results.fit_options)``.
    frame : AnalysisFrame or DataFrame
        The reps the model was fitted on (with ``firm``).
    n_boot : int
        Number of bootstrap draws (at least 1).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same draws.
    scheme : {"stratified", "firm"}
        ``"stratified"`` (default): reps resampled within firm; ``"firm"``:
        firms resampled (see the module notes on its limits with four firms).
    hypotheses : sequence of Hypothesis
        Registry rows to bootstrap (rows on shares the model does not describe
        are left out).
    options : EffectOptions, optional
        ``alpha`` is one minus the level of the percentile intervals.
    progress : bool
        Show a tqdm progress bar on standard error.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    EffectsError
        Bad ``n_boot``, ``seed``, ``scheme`` or ``alpha``; no ``firm`` column;
        fewer than two successful refits.
    """
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 1):
        raise EffectsError(f"n_boot must be a positive integer; received {n_boot!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise EffectsError(f"seed must be an integer; received {seed!r}")
    if scheme not in BOOTSTRAP_SCHEMES:
        raise EffectsError(f"scheme must be one of {BOOTSTRAP_SCHEMES}; received {scheme!r}")
    alpha = resolve_options(options).alpha
    model = as_model(results)
    data = data_of(frame)
    if "firm" not in data.columns:
        raise EffectsError("the bootstrap resamples within or across firms; data lacks 'firm'")
    rows = [h for h in hypotheses if h.outcome in model.outcomes]
    specs = [EffectSpec(h.outcome, h.predictor, h.moderator) for h in rows]
    ids = [h.id for h in rows]
    full_est, _, _ = EffectsEngine(model, data).evaluate(specs, gradient=False)
    rng = np.random.default_rng(int(seed))
    draws = np.full((int(n_boot), len(specs)), np.nan)
    failed = 0
    bar = tqdm(total=int(n_boot), desc=f"bootstrap ({scheme})", disable=not progress, leave=False)
    try:
        for b in range(int(n_boot)):
            sample = _resample(data, rng, scheme)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    warnings.simplefilter("error", ConvergenceWarning)
                    refit = _refit(model, sample)
                draws[b], _, _ = EffectsEngine(refit, sample).evaluate(specs, gradient=False)
            except (EstimationError, ConvergenceWarning, np.linalg.LinAlgError, ValueError):
                failed += 1
            bar.update(1)
    finally:
        bar.close()
    ok = np.isfinite(draws).all(axis=1)
    if ok.sum() < 2:
        raise EffectsError(f"only {int(ok.sum())} of {n_boot} bootstrap refits succeeded")
    good = draws[ok]
    table = pd.DataFrame(
        {
            "id": ids,
            "model": model.name,
            "scheme": scheme,
            "estimate": full_est,
            "boot_std_error": good.std(axis=0, ddof=1),
            "boot_conf_low": np.quantile(good, alpha / 2, axis=0),
            "boot_conf_high": np.quantile(good, 1 - alpha / 2, axis=0),
            "n_boot": int(n_boot),
            "n_failed": int(failed),
        }
    )
    frame_draws = pd.DataFrame(draws, columns=ids)
    frame_draws.index.name = "draw"
    return BootstrapResult(
        draws=frame_draws, table=table, scheme=scheme, seed=int(seed), n_failed=int(failed)
    )


def simulate_effects(
    results: Any,
    frame: Any,
    *,
    n_draws: int,
    seed: int,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
) -> pd.DataFrame:
    """Parametric (Krinsky–Robb) draws of the registry effects.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        Reps to average over.
    n_draws : int
        Number of coefficient draws from :math:`N(\\hat\\theta, \\hat V)`.
    seed : int
        Seed of ``numpy.random.default_rng``.
    hypotheses : sequence of Hypothesis
        Registry rows (rows on shares the model does not describe are left out).

    Returns
    -------
    DataFrame
        One row per draw, one column per effect id.

    Raises
    ------
    EffectsError
        Bad ``n_draws`` or ``seed``.
    """
    if not (isinstance(n_draws, int | np.integer) and n_draws >= 1):
        raise EffectsError(f"n_draws must be a positive integer; received {n_draws!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise EffectsError(f"seed must be an integer; received {seed!r}")
    model = as_model(results)
    data = data_of(frame)
    rows = [h for h in hypotheses if h.outcome in model.outcomes]
    specs = [EffectSpec(h.outcome, h.predictor, h.moderator) for h in rows]
    engine = EffectsEngine(model, data)
    rng = np.random.default_rng(int(seed))
    thetas = rng.multivariate_normal(model.theta, model.cov, size=int(n_draws), method="cholesky")
    q = model.coef.shape[1]
    out = np.empty((int(n_draws), len(specs)))
    for b, theta in enumerate(thetas):
        out[b] = engine.evaluate(specs, coef=theta.reshape(q, -1).T, gradient=False)[0]
    draws = pd.DataFrame(out, columns=[h.id for h in rows])
    draws.index.name = "draw"
    return draws
