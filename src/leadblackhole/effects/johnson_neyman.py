r"""Johnson–Neyman regions of a moderation on the share scale, with the Esarey–Sumner value.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from tqdm import tqdm

from ..exceptions import EffectsError
from ..registry import HYPOTHESES, Hypothesis
from .conditional import conditional_curve, moderation_pairs
from .engine import EffectsEngine
from .estimates import inference_table
from .spec import (
    EffectOptions,
    EffectSpec,
    ShareModel,
    as_model,
    centring_means,
    data_of,
    raw_offset,
    resolve_options,
)

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "CRITICAL_METHODS",
    "JohnsonNeyman",
    "esarey_sumner_critical",
    "johnson_neyman",
    "johnson_neyman_table",
]

Critical = Literal["normal", "esarey_sumner"]
CRITICAL_METHODS: tuple[str, ...] = ("normal", "esarey_sumner")


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
    frame: AnalysisFrame | pd.DataFrame,
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
    _check_grid(grid)
    model = as_model(results)
    data, means = data_of(frame), centring_means(frame)
    setup = _jn_setup(model, data, means, predictor, moderator, outcome, grid, span, options)
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


def _check_grid(grid: Any) -> None:
    if not (isinstance(grid, int | np.integer) and grid >= 11):
        raise EffectsError(f"grid must be an integer of at least 11; received {grid!r}")


def _jn_setup(
    model, data, means, predictor, moderator, outcome, grid, span, options, engine=None
) -> _JNSetup:
    """Validate the inputs and evaluate the conditional effect on the grid.

    ``means`` are the centring means of ``data``; ``engine`` (optional) is an
    engine already built for the model and data.
    """
    options = resolve_options(options)
    _check_grid(grid)
    if moderator not in data.columns:
        raise EffectsError(f"data lacks the moderator column {moderator!r}")
    if engine is None:
        engine = EffectsEngine(model, data)
    off = raw_offset(means, moderator)
    col = data[moderator].to_numpy(dtype=float) + off
    lo, hi = span if span is not None else (float(col.min()), float(col.max()))
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise EffectsError(f"span must be two finite numbers, low < high; received {span!r}")
    ms = np.linspace(lo, hi, int(grid))
    curve = conditional_curve(engine, means, predictor, moderator, ms, outcome, options, True)
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
    frame: AnalysisFrame | pd.DataFrame,
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
    data, means = data_of(frame), centring_means(frame)
    engine = EffectsEngine(model, data)  # one design for every moderation
    for h in tqdm(pairs, desc="Johnson-Neyman", disable=not progress, leave=False):
        setup = _jn_setup(
            model, data, means, h.predictor, h.moderator, outcome, grid, None, options, engine
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
