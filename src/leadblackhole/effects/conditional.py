r"""Conditional average effects of a moderated predictor: simple slopes and predictive margins.

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

A *predictive margin* (:func:`predictive_margins`) is the average predicted
share with some variables set to given values for every rep, the curve the
moderation figures draw. The Johnson–Neyman analysis
(:mod:`leadblackhole.effects.johnson_neyman`) reads the conditional average
effect on a grid of moderator values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import EffectsError
from ..registry import HYPOTHESES, Hypothesis
from .engine import EffectsEngine
from .estimates import inference_table
from .spec import (
    EffectOptions,
    EffectSpec,
    as_model,
    centring_means,
    data_of,
    raw_offset,
    resolve_options,
)

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "conditional_curve",
    "conditional_effects",
    "moderation_pairs",
    "predictive_margins",
    "simple_slopes",
]


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
    frame: AnalysisFrame | pd.DataFrame,
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
    data, means = data_of(frame), centring_means(frame)
    engine = EffectsEngine(model, data)
    return conditional_curve(engine, means, predictor, moderator, values, outcome, options, raw)


def conditional_curve(
    engine: EffectsEngine,
    means: pd.Series,
    predictor: str,
    moderator: str,
    values: Sequence[float],
    outcome: str,
    options: EffectOptions,
    raw: bool,
) -> pd.DataFrame:
    """:func:`conditional_effects` on an engine built once for the model and data.

    Parameters
    ----------
    engine : EffectsEngine
        The model and the reps to average over.
    means : Series
        Centring means of the reps' variables
        (:func:`~leadblackhole.effects.spec.centring_means`).
    predictor, moderator, values, outcome, raw
        See :func:`conditional_effects`.
    options : EffectOptions
        Variance and test level.

    Returns
    -------
    DataFrame
        As :func:`conditional_effects`.

    Raises
    ------
    EffectsError
        Empty or non-finite values, predictor equal to moderator, unknown variables.
    """
    vals = np.asarray(values, dtype=float).ravel()
    if vals.size == 0 or not np.all(np.isfinite(vals)):
        raise EffectsError("moderator values must be a non-empty sequence of finite numbers")
    off = raw_offset(means, moderator)
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
    frame: AnalysisFrame | pd.DataFrame,
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
    data, means = data_of(frame), centring_means(frame)
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
        off = raw_offset(means, h.moderator)
        levels = [(_sd_label(k), mean + k * sd) for k in sd_levels]
        levels += [("value", float(v) - off) for v in values.get(h.moderator, [])]
        resolved = resolve_options(options)
        engine = EffectsEngine(as_model(results), data)
        res = conditional_curve(
            engine,
            means,
            h.predictor,
            h.moderator,
            [v for _, v in levels],
            outcome,
            resolved,
            False,
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


def predictive_margins(
    results: Any,
    frame: AnalysisFrame | pd.DataFrame,
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
    data, means = data_of(frame), centring_means(frame)
    names = list(at)
    if not names:
        raise EffectsError("at must name at least one variable")
    grids = [np.asarray(at[v], dtype=float).ravel() for v in names]
    mesh = np.array(np.meshgrid(*grids, indexing="ij")).reshape(len(names), -1).T
    offs = np.array([raw_offset(means, v) if raw else 0.0 for v in names])
    specs = [
        EffectSpec(outcome, None, None, tuple(zip(names, (row - offs).tolist(), strict=True)))
        for row in mesh
    ]
    engine = EffectsEngine(model, data)
    est, rep_var, grad = engine.evaluate(specs)
    out = inference_table(est, rep_var, grad, model, engine.n, options)
    for j, v in reversed(list(enumerate(names))):
        out.insert(0, v, mesh[:, j] if raw else mesh[:, j] + raw_offset(means, v))
    return out
