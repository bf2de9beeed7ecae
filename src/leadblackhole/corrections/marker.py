r"""Common-method variance: the main model controlling for a method factor measured by a marker.

When one response style (the method factor :math:`c`) moves every Likert answer
and the reported time shares, the scale scores and the shares are correlated
through :math:`c`, and every estimator of the main model is biased (the
``method_factor`` scenario of the design diagnosis). A marker scale, items of a
construct unrelated to the model answered on the same questionnaire, measures
:math:`c` where nothing else does. Two steps:

1. the marker model (:func:`leadblackhole.measurement.fit_marker_cfa`: one
   factor per model scale, one for the marker's content, and the method factor
   with a loading :math:`m` shared by every item) gives :math:`\operatorname{Cov}(c,
   x_j) = m` for every item and :math:`\operatorname{Cov}(c, Z) = 0`;
2. the method factor is replaced by its best linear prediction from every item
   (the model's and the marker's) and the error-free covariates :math:`Z`,

   .. math:: \hat c = m\,\mathbf 1^\top\,[\Sigma_{VV}^{-1}]_{x\cdot}(V - \bar V),
             \qquad V = (x, Z),

   which enters both mean equations of the main model as a covariate
   (``method``), held fixed by every effect.

Conditioning the prediction on every variable of the model is what keeps the
marker's own unreliability from leaving bias behind: the prediction error
:math:`c - \hat c` is uncorrelated with everything in the second step's
design, so in the linear part of the model it acts like noise, not like an
omitted confounder (the regression-calibration argument, Carroll et al. 2006,
ch. 4). Controlling for the marker's item mean instead would leave the part of
:math:`c` it misses in the error, correlated with the scale scores. Standard
errors come from a bootstrap of both steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..config import DEFAULT_SEED
from ..effects import EffectOptions
from ..exceptions import MarkerError
from ..measurement import MarkerCFA, check_marker  # noqa: F401 - MarkerCFA in saved
from ..measurement.marker import marker_cfa_from_cov
from ..models import ShareResults, analysis_data
from ..specification import firm_levels
from ._engine import (
    N_BOOT,
    aligned_items,
    bootstrap_fit,
    check_main_model,
    error_free,
    fit_second_step,
    main_options,
)
from .results import CorrectedResults

__all__ = ["fit_marker", "method_scores"]


def method_scores(items: np.ndarray, covariates: np.ndarray, loading: float) -> np.ndarray:
    r"""Best linear prediction of the method factor from every item and the error-free covariates.

    Parameters
    ----------
    items : ndarray (n, p)
        Answers to the model's and the marker's items (complete).
    covariates : ndarray (n, q)
        The error-free covariates.
    loading : float
        The method loading :math:`m` shared by every item.

    Returns
    -------
    ndarray (n,)
        :math:`\hat c`, on the scale of :math:`c` (variance 1 in the population).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> c = rng.standard_normal(50_000)
    >>> x = 0.5 * c[:, None] + rng.standard_normal((50_000, 6))
    >>> chat = method_scores(x, np.empty((50_000, 0)), 0.5)
    >>> round(float(np.polyfit(chat, c, 1)[0]), 2)                 # E[c | chat] = chat
    1.0
    """
    X = np.asarray(items, dtype=float)
    V = np.column_stack([X, np.asarray(covariates, dtype=float)])
    mean = V.mean(axis=0)
    S = np.cov(V, rowvar=False)
    cov_cv = np.r_[np.full(X.shape[1], float(loading)), np.zeros(V.shape[1] - X.shape[1])]
    return (V - mean) @ np.linalg.solve(S, cov_cv)


def fit_marker(
    frame: Any,
    items: pd.DataFrame,
    marker: str = "marker",
    scales: Mapping[str, Sequence[str]] | None = None,
    model: str = "dirichlet",
    *,
    n_boot: int = N_BOOT,
    seed: int = DEFAULT_SEED,
    alpha: float = 0.05,
) -> CorrectedResults:
    """Fit the main model controlling for the method factor measured by a marker scale.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample (``frame.data``) or a data frame laid out like it.
    items : DataFrame
        The item answers of the same reps in the same order, the marker's included.
    marker : str
        Name of the marker scale in ``scales`` (a codebook's ``[scales.marker]``).
    scales : mapping of str to sequence of str, optional
        Every scale of the survey (name -> items), the marker's included; default
        ``frame.scales``. The model's scales are ``prequal`` and ``tracking``.
    model : {"dirichlet", "dirichlet_rounded"}
        The main model to correct; the result is named ``<model>_marker``.
    n_boot : int, default 200
        Bootstrap replicates (reps resampled within firm; both steps redone).
    seed : int
        Seed of the bootstrap.
    alpha : float, default 0.05
        Test level and interval coverage ``1 - alpha`` of the effects.

    Returns
    -------
    CorrectedResults
        ``model_name`` ``dirichlet_marker`` or ``dirichlet_rounded_marker``; the
        mean equations have the extra term ``method``; ``first_step`` holds the
        method loading, the share of item variance it explains and the
        likelihood-ratio test of common-method variance.

    Raises
    ------
    MarkerError
        An unknown marker scale, a marker that is a variable of the model, a
        marker with a single item.
    EstimationError
        An unknown model, items not aligned with the data, a main model that
        cannot be fitted, too few successful bootstrap replicates.

    Examples
    --------
    >>> res = fit_marker(frame, items, "marker", scales)   # doctest: +SKIP
    >>> res.first_step["p_value"]                           # doctest: +SKIP
    """
    check_main_model(model)
    data = analysis_data(frame, "the marker correction").reset_index(drop=True)
    if scales is None:
        scales = getattr(frame, "scales", {})
    scales = {str(s): list(v) for s, v in scales.items()}
    model_scales = {s: v for s, v in scales.items() if s in ("prequal", "tracking")}
    marker_items = check_marker(marker, scales, tuple(model_scales))
    if not model_scales:
        raise MarkerError("no model scale (prequal, tracking) among the scales given")
    EffectOptions(alpha=alpha)
    columns = [c for v in model_scales.values() for c in v] + marker_items
    items = aligned_items(frame, items, columns)
    if items.isna().any().any():
        raise MarkerError(
            "the marker correction needs every rep's answer to every item of the model's "
            "scales and the marker; some are missing"
        )
    levels = firm_levels(data["firm"])
    options = main_options(data, model)

    sizes = [len(v) for v in model_scales.values()]
    saved: dict[str, MarkerCFA] = {}

    def step(d: pd.DataFrame, it: np.ndarray, start):
        if start is None:  # the marker model on the full sample: the CMV test
            S = np.cov(it, rowvar=False)
            saved["cfa"] = marker_cfa_from_cov(S, sizes, len(marker_items), len(it))
        cfa = saved["cfa"]
        chat = method_scores(it, error_free(d, levels), 1.0)
        chat = chat / chat.std()  # the prediction's direction needs no loading: standardized
        aug = d.copy()
        aug["method"] = chat
        opts = options if start is None else options | {"start_params": start}
        res: ShareResults = fit_second_step(aug, model, opts, {"method": chat}, levels)
        first = pd.Series(
            {
                "method_loading": cfa.method_loading,
                "method_share": cfa.method_share,
                "lr_statistic": cfa.lr_statistic,
                "p_value": cfa.p_value,
            }
        )
        return res, aug, first

    fit_options = {"model": model, "marker": marker, "n_boot": n_boot, "seed": seed}
    return bootstrap_fit(
        f"{model}_marker", "marker", step, data, items, n_boot, seed, alpha, fit_options
    )
