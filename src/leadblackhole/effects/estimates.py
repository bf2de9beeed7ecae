r"""Share-scale effects of the hypothesis registry, with delta-method inference.

The registry of docs/study.md reads every hypothesis on the share scale: as
the average over reps of a derivative (a main effect) or of a cross-partial
(a moderation) of the expected share, which
:class:`~leadblackhole.effects.engine.EffectsEngine` evaluates with its exact
gradient :math:`G` by the mean coefficients. This module turns them into
estimates with inference (:func:`average_effects`), the registry effects of
one model (:func:`registry_estimates`, :func:`model_effects`) and the
``hypotheses.csv`` table of every model (:func:`hypothesis_table`).

Inference
---------
Every estimate is a smooth function of the mean coefficients. The
delta-method variance is

.. math::

    \widehat{\operatorname{Var}}(\hat\Delta) = G\,\hat V\,G^\top
    \;\big[+\; s^2_{\hat\delta}/n\big],

with :math:`\hat V` the model's covariance of the mean coefficients. The
bracketed term is added under ``variance="unconditional"`` (the default): it
is the sampling variance of the average over reps, :math:`s^2_{\hat\delta}`
being the variance over reps of the per-rep effects, so that the interval
covers the *population* average effect (the estimand of
:attr:`~leadblackhole.simulation.Truth.effects`) rather than the average over
the reps at hand (``variance="conditional"``, Stata's ``margins`` default).
The cross-covariance between the two parts vanishes for a correctly
specified likelihood (the score has mean zero given the covariates).

The z statistic is :math:`\hat\Delta/\mathrm{se}`, the p-value two-sided from
the standard normal, the interval :math:`\hat\Delta \pm z_{1-\alpha/2}\,
\mathrm{se}`. A directional hypothesis is *supported* when the estimate has
the expected sign and :math:`p < \alpha`; exploratory rows get ``<NA>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ..registry import HYPOTHESES, Hypothesis
from .engine import EffectsEngine
from .spec import EffectOptions, EffectSpec, ShareModel, as_model, data_of, resolve_options

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "HYPOTHESIS_COLUMNS",
    "average_effects",
    "hypothesis_table",
    "inference_columns",
    "inference_table",
    "model_effects",
    "registry_estimates",
]

#: Columns of ``hypotheses.csv``, in order.
HYPOTHESIS_COLUMNS: tuple[str, ...] = (
    "id",
    "outcome",
    "predictor",
    "moderator",
    "expected_sign",
    "model",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "supported",
)


def inference_table(
    est: np.ndarray,
    rep_var: np.ndarray,
    grad: np.ndarray,
    model: ShareModel,
    n: int,
    options: EffectOptions,
) -> pd.DataFrame:
    """:func:`inference_columns` as a DataFrame.

    Parameters
    ----------
    est, rep_var, grad, model, n, options
        See :func:`inference_columns`.

    Returns
    -------
    DataFrame
        ``estimate, std_error, statistic, p_value, conf_low, conf_high``.
    """
    return pd.DataFrame(inference_columns(est, rep_var, grad, model, n, options))


def inference_columns(
    est: np.ndarray,
    rep_var: np.ndarray,
    grad: np.ndarray,
    model: ShareModel,
    n: int,
    options: EffectOptions,
) -> dict[str, np.ndarray]:
    """Delta-method standard errors, z statistics, p-values and intervals (module notes).

    Parameters
    ----------
    est, rep_var, grad : ndarray
        Output of :meth:`EffectsEngine.evaluate
        <leadblackhole.effects.engine.EffectsEngine.evaluate>`: estimates (S,),
        variance over reps of the per-rep effects (S,), gradient (S, p q).
    model : ShareModel
        The model evaluated (its ``cov``).
    n : int
        Number of reps averaged over.
    options : EffectOptions
        Variance and test level.

    Returns
    -------
    dict of str to ndarray (S,)
        ``estimate, std_error, statistic, p_value, conf_low, conf_high``.
    """
    var = np.einsum("sp,pq,sq->s", grad, model.cov, grad)
    if options.variance == "unconditional":
        var = var + rep_var / n
    se = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    p = 2 * stats.norm.sf(np.abs(z))
    crit = stats.norm.ppf(1 - options.alpha / 2)
    return {
        "estimate": est,
        "std_error": se,
        "statistic": z,
        "p_value": p,
        "conf_low": est - crit * se,
        "conf_high": est + crit * se,
    }


def average_effects(
    results: Any,
    frame: AnalysisFrame | pd.DataFrame,
    specs: Iterable[EffectSpec],
    options: EffectOptions | None = None,
) -> pd.DataFrame:
    """Average share levels, derivatives or cross-partials with delta-method inference.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model (see
        :meth:`~leadblackhole.effects.spec.ShareModel.from_results`).
    frame : AnalysisFrame or DataFrame
        Reps to average over (``frame.data`` for an analysis frame): the
        variables of the model on the scale it was fitted on, and ``firm``.
    specs : iterable of EffectSpec
        What to compute.
    options : EffectOptions, optional
        Variance and test level (default ``EffectOptions()``).

    Returns
    -------
    DataFrame
        One row per spec: ``outcome, predictor, moderator, at, estimate,
        std_error, statistic, p_value, conf_low, conf_high``.

    Raises
    ------
    EffectsError
        Unknown variables or outcome, missing data columns, bad options.

    Examples
    --------
    >>> res = fit_share_model(frame, "ols")                       # doctest: +SKIP
    >>> average_effects(res, frame, [EffectSpec("marketing", "prequal")])  # doctest: +SKIP
    """
    options = resolve_options(options)
    model = as_model(results)
    data = data_of(frame)
    specs = list(specs)
    engine = EffectsEngine(model, data)
    est, rep_var, grad = engine.evaluate(specs)
    out = inference_table(est, rep_var, grad, model, engine.n, options)
    head = pd.DataFrame(
        {
            "outcome": [s.outcome for s in specs],
            "predictor": [s.predictor for s in specs],
            "moderator": [s.moderator for s in specs],
            "at": [dict(s.at) for s in specs],
        }
    )
    return pd.concat([head, out], axis=1)


# ----------------------------------------------------------------------------
# the hypothesis table
# ----------------------------------------------------------------------------
def _supported(expected: int, est: float, p: float, alpha: float):
    if expected == 0 or not np.isfinite(p):
        return pd.NA
    return bool(np.sign(est) == expected and p < alpha)


def registry_estimates(
    results: Any,
    frame: AnalysisFrame | pd.DataFrame,
    *,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    options: EffectOptions | None = None,
    design: Any = None,
) -> dict[str, Any]:
    """Registry effects of one fitted model as columns (what :func:`model_effects` tabulates).

    Parameters
    ----------
    results, frame, hypotheses, options
        As for :func:`model_effects`.
    design : ndarray (n, p), optional
        The model's design on the reps of ``frame`` (columns in the order of
        the model's mean terms), e.g. ``results.mean_design``, the one the fit
        built: the effects then use it instead of rebuilding and re-checking
        it from the data. Only its shape and finiteness are checked.

    Returns
    -------
    dict
        Keys :data:`HYPOTHESIS_COLUMNS`; ``id``, ``outcome``, ``predictor``,
        ``moderator`` are lists, ``model`` a string, ``expected_sign`` an int
        array, the statistics float arrays, ``supported`` an object array of
        ``True``, ``False`` or ``pd.NA`` (exploratory rows).

    Raises
    ------
    EffectsError
        As :func:`model_effects`, and a design of the wrong shape or with
        missing values.

    Notes
    -----
    A design diagnosis calls this thousands of times: it builds no DataFrame.

    Examples
    --------
    >>> cols = registry_estimates(res, frame, design=res.mean_design)  # doctest: +SKIP
    >>> cols["estimate"]                                               # doctest: +SKIP
    """
    options = resolve_options(options)
    model = as_model(results)
    data = data_of(frame)
    rows = [h for h in hypotheses if h.outcome in model.outcomes]
    specs = [EffectSpec(h.outcome, h.predictor, h.moderator) for h in rows]
    engine = EffectsEngine(model, data, design)
    est, rep_var, grad = engine.evaluate(specs)
    inf = inference_columns(est, rep_var, grad, model, engine.n, options)
    supported = np.empty(len(rows), dtype=object)
    supported[:] = [
        _supported(h.expected_sign, e, p, options.alpha)
        for h, e, p in zip(rows, inf["estimate"], inf["p_value"], strict=True)
    ]
    return {
        "id": [h.id for h in rows],
        "outcome": [h.outcome for h in rows],
        "predictor": [h.predictor for h in rows],
        "moderator": [h.moderator for h in rows],
        "expected_sign": np.array([h.expected_sign for h in rows], dtype=int),
        "model": model.name,
        **inf,
        "supported": supported,
    }


def model_effects(
    results: Any,
    frame: AnalysisFrame | pd.DataFrame,
    *,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    options: EffectOptions | None = None,
    design: Any = None,
) -> pd.DataFrame:
    """Registry effects of one fitted model, in the layout of ``hypotheses.csv``.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        The reps the model was fitted on.
    hypotheses : sequence of Hypothesis
        Registry rows (default: all of :data:`~leadblackhole.registry.HYPOTHESES`).
        Rows on a share the model does not describe (e.g. H2, on the
        self-generated share, for a model of the marketing share) are left out.
    options : EffectOptions, optional
        Variance and test level.
    design : ndarray (n, p), optional
        The model's design on the reps of ``frame``, as the fit built it
        (see :func:`registry_estimates`); default: built from ``frame``.

    Returns
    -------
    DataFrame
        Columns :data:`HYPOTHESIS_COLUMNS`; ``model`` is the results'
        ``model_name``; ``supported`` is a nullable boolean (``<NA>`` for
        exploratory rows).
    """
    columns = registry_estimates(
        results, frame, hypotheses=hypotheses, options=options, design=design
    )
    columns["expected_sign"] = columns["expected_sign"].tolist()
    columns["moderator"] = pd.Series(columns["moderator"], dtype="object")
    columns["supported"] = pd.array(columns["supported"], dtype="boolean")
    return pd.DataFrame(columns, columns=list(HYPOTHESIS_COLUMNS))


def hypothesis_table(
    frame: AnalysisFrame | pd.DataFrame,
    fits: Sequence[Any],
    options: EffectOptions | None = None,
) -> pd.DataFrame:
    """The ``hypotheses.csv`` table: every registry effect under every model given.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The reps the models were fitted on.
    fits : sequence of ShareResults or of (ShareResults, data) pairs
        The models, in table order (the pipeline passes the main model, the
        other Dirichlet model, the fractional multinomial logit, the
        fractional logit, OLS and the two-part model). A pair averages that
        model's effects over its own reps (the two-part model's effects are
        read over the selection sample, ``frame.selection``: every rep).
    options : EffectOptions, optional
        Variance and test level.

    Returns
    -------
    DataFrame
        Columns :data:`HYPOTHESIS_COLUMNS`; rows grouped by model in the
        order given, registry order within a model. A model of the marketing
        share alone has no H2 row.

    Examples
    --------
    >>> hypothesis_table(frame, [fit_share_model(frame, "dirichlet")])   # doctest: +SKIP
    """
    parts = []
    for fit in fits:
        res, data = fit if isinstance(fit, tuple) else (fit, frame)
        parts.append(model_effects(res, data, options=options))
    table = pd.concat(parts, ignore_index=True)
    table["supported"] = table["supported"].astype("boolean")
    return table
