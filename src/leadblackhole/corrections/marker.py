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
   (``method``), held fixed by every effect. With method loadings that differ by item
   (``loadings="free"``, or ``"auto"`` when the test of equal loadings rejects them) the
   prediction is :math:`\hat m^\top[\Sigma_{VV}^{-1}]_{x\cdot}(V - \bar V)` with the
   loadings of the marker model with one method loading per item.

Conditioning the prediction on every variable of the model is what keeps the
marker's own unreliability from leaving bias behind: the prediction error
:math:`c - \hat c` is uncorrelated with everything in the second step's
design, so in the linear part of the model it acts like noise, not like an
omitted confounder (the regression-calibration argument, Carroll et al. 2006,
ch. 4). Controlling for the marker's item mean instead would leave the part of
:math:`c` it misses in the error, correlated with the scale scores. Standard
errors account for the estimated prediction: by default the stacked two-step
sandwich (:mod:`leadblackhole.corrections.sandwich`; the standardized
prediction is :math:`[1, V]\,\Phi` with :math:`\Phi` a function of the mean and
covariance of :math:`V`), or a bootstrap of both steps (``std_errors="bootstrap"``).
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
from ..measurement.marker import marker_cfa_from_cov, method_loadings_gradient
from ..models import ShareResults, analysis_data
from ..specification import firm_levels
from ._engine import (
    N_BOOT,
    aligned_items,
    bootstrap_fit,
    check_main_model,
    check_std_errors,
    error_free,
    fit_second_step,
    main_options,
    sandwich_fit,
)
from .results import CorrectedResults
from .sandwich import LinearFirstStep, covariance_influence, linear_first_step

__all__ = ["MARKER_LOADINGS", "fit_marker", "method_coefficients", "method_scores"]

#: The method loadings of :func:`fit_marker` (``--marker-loadings``); the first is the default.
MARKER_LOADINGS: tuple[str, ...] = ("auto", "free", "equal")

#: Level of the test of equal method loadings below which ``loadings="auto"`` frees them
#: (1%, not 5%: on 7-point answers the normal-theory test rejects true equal loadings in about
#: 11% of studies at 5%, and in 2% at 1%; docs/corrections.md).
EQUAL_LOADINGS_LEVEL = 0.01


def method_scores(
    items: np.ndarray, covariates: np.ndarray, loading: float | np.ndarray
) -> np.ndarray:
    r"""Best linear prediction of the method factor from every item and the error-free covariates.

    Parameters
    ----------
    items : ndarray (n, p)
        Answers to the model's and the marker's items (complete).
    covariates : ndarray (n, q)
        The error-free covariates.
    loading : float or ndarray (p,)
        The method loading :math:`m` shared by every item, or one per item.

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
    >>> bool(abs(np.polyfit(chat, c, 1)[0] - 1) < 0.02)             # E[c | chat] = chat
    True
    """
    X = np.asarray(items, dtype=float)
    V = np.column_stack([X, np.asarray(covariates, dtype=float)])
    mean = V.mean(axis=0)
    S = np.cov(V, rowvar=False)
    m = np.broadcast_to(np.asarray(loading, dtype=float), (X.shape[1],))
    cov_cv = np.r_[m, np.zeros(V.shape[1] - X.shape[1])]
    return (V - mean) @ np.linalg.solve(S, cov_cv)


def method_coefficients(
    mean: np.ndarray,
    cov: np.ndarray,
    n_items: int,
    n: int,
    loadings: np.ndarray | None = None,
) -> np.ndarray:
    r""":math:`\Phi` of the standardized method scores: :math:`\hat c / \operatorname{sd}(\hat c)
    = [1, V]\,\Phi`.

    Parameters
    ----------
    mean : ndarray (..., p)
        Mean of :math:`V = (x, Z)`, the items first.
    cov : ndarray (..., p, p)
        Its covariance (divisor ``n - 1``).
    n_items : int
        Number of items in :math:`V`.
    n : int
        Number of reps (the standard deviation of the scores has divisor ``n``).
    loadings : ndarray (..., n_items), optional
        The method loading of each item (free loadings); default equal loadings.

    Returns
    -------
    ndarray (..., 1 + p, 1)
        Leading axes are a batch.

    Notes
    -----
    With :math:`g = \Sigma_{VV}^{-1}(m, 0)` the scores are :math:`(V - \bar V)g`,
    whose variance is :math:`g^\top\Sigma_{VV}\,g = m^\top g_x` (:math:`m = \mathbf 1`
    for equal loadings: the direction does not depend on their value).

    Examples
    --------
    >>> v = np.random.default_rng(4).standard_normal((300, 5))
    >>> phi = method_coefficients(v.mean(axis=0), np.cov(v, rowvar=False), 4, 300)
    >>> c = method_scores(v[:, :4], v[:, 4:], 1.0)
    >>> bool(np.allclose(np.column_stack([np.ones(300), v]) @ phi[:, 0], c / c.std()))
    True
    """
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    m = np.ones(n_items) if loadings is None else np.asarray(loadings, dtype=float)
    m = np.broadcast_to(m, (*cov.shape[:-2], n_items))
    cov_cv = np.concatenate([m, np.zeros((*m.shape[:-1], cov.shape[-1] - n_items))], axis=-1)
    g = np.linalg.solve(cov, cov_cv[..., None])[..., 0]
    sd = np.sqrt((m * g[..., :n_items]).sum(axis=-1) * (n - 1) / n)
    first = -np.einsum("...p,...p->...", mean, g)
    return (np.concatenate([first[..., None], g], axis=-1) / sd[..., None])[..., None]


def _full_sample_cfa(items: np.ndarray, sizes: list[int], n_marker: int, loadings: str):
    """The marker model on the full sample: the CMV test, and the test of equal loadings."""
    return marker_cfa_from_cov(
        np.cov(items, rowvar=False),
        sizes,
        n_marker,
        len(items),
        free=loadings != "equal",
        warn_free=loadings == "free",  # auto falls back to equal loadings instead
    )


def _use_free(cfa: MarkerCFA, loadings: str) -> bool:
    """Free loadings: asked for, or (auto) equal ones rejected and the free model converged."""
    return loadings == "free" or (
        loadings == "auto" and cfa.equal_p_value < EQUAL_LOADINGS_LEVEL and cfa.free_fit.converged
    )


def _loadings_influence(
    items: np.ndarray, sizes: list[int], n_marker: int, cfa: MarkerCFA
) -> np.ndarray:
    """Per-rep influences (n, p) of the free method loadings (with the sign they are used with)."""
    sign = 1.0 if cfa.free_fit.loadings[:, -1].sum() >= 0 else -1.0
    grad = sign * method_loadings_gradient(
        np.cov(items, rowvar=False), sizes, n_marker, cfa.free_fit
    )
    return np.column_stack([covariance_influence(items, gradient=lambda _, g=g: g) for g in grad])


def fit_marker(
    frame: Any,
    items: pd.DataFrame,
    marker: str = "marker",
    scales: Mapping[str, Sequence[str]] | None = None,
    model: str = "dirichlet",
    *,
    loadings: str = "auto",
    std_errors: str = "sandwich",
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
    loadings : {"auto", "free", "equal"}
        Method loadings of the prediction: one per item (``"free"``), one for all
        (``"equal"``), or free when the test of equal loadings rejects them at
        :data:`EQUAL_LOADINGS_LEVEL` and the free model converged (``"auto"``).
    std_errors : {"sandwich", "bootstrap"}
        The stacked two-step sandwich (module notes; one fit), or a bootstrap of
        both steps (``n_boot`` refits).
    n_boot : int, default 200
        Bootstrap replicates (reps resampled within firm; both steps redone);
        read with ``std_errors="bootstrap"`` only.
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
        marker with a single item, unknown ``loadings``.
    EstimationError
        An unknown model or kind of standard errors, items not aligned with the
        data, a main model that cannot be fitted, too few successful bootstrap
        replicates.

    Examples
    --------
    >>> res = fit_marker(frame, items, "marker", scales)   # doctest: +SKIP
    >>> res.first_step["p_value"]                           # doctest: +SKIP
    """
    check_main_model(model)
    if loadings not in MARKER_LOADINGS:
        raise MarkerError(
            f"unknown method loadings {loadings!r}; expected one of {list(MARKER_LOADINGS)}"
        )
    data = analysis_data(frame, "the marker correction").reset_index(drop=True)
    if scales is None:
        scales = getattr(frame, "scales", {})
    scales = {str(s): list(v) for s, v in scales.items()}
    model_scales = {s: v for s, v in scales.items() if s in ("prequal", "tracking")}
    marker_items = check_marker(marker, scales, tuple(model_scales))
    if not model_scales:
        raise MarkerError("no model scale (prequal, tracking) among the scales given")
    EffectOptions(alpha=alpha)
    check_std_errors(std_errors, n_boot)
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
    n_marker = len(marker_items)
    saved = {"cfa": _full_sample_cfa(items.to_numpy(dtype=float), sizes, n_marker, loadings)}
    free = _use_free(saved["cfa"], loadings)

    def step(d: pd.DataFrame, it: np.ndarray, start):
        S = np.cov(it, rowvar=False)
        cfa = saved["cfa"]
        if start is not None and free:  # a bootstrap resample: the free loadings again
            cfa = marker_cfa_from_cov(
                S, sizes, n_marker, len(it), start=saved["cfa"], free=True, warn_free=False
            )
        # equal loadings: the prediction's direction needs no loading's value
        chat = method_scores(it, error_free(d, levels), cfa.method_loadings if free else 1.0)
        chat = chat / chat.std()  # standardized
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
                "equal_loadings_lr": cfa.equal_lr_statistic,
                "equal_loadings_p": cfa.equal_p_value,
                "free_loadings": float(free),
            }
        )
        return res, aug, first

    def influence(d: pd.DataFrame, it: np.ndarray, first: pd.Series) -> LinearFirstStep:
        V = np.column_stack([it, error_free(d, levels)])
        n, k = V.shape[0], it.shape[1]
        if not free:
            return linear_first_step(
                ("method",), V, lambda mean, cov, _: method_coefficients(mean, cov, k, n)
            )
        return linear_first_step(
            ("method",),
            V,
            lambda mean, cov, m: method_coefficients(mean, cov, k, n, m),
            saved["cfa"].method_loadings,
            _loadings_influence(it, sizes, n_marker, saved["cfa"]),
        )

    fit_options = {
        "model": model,
        "marker": marker,
        "loadings": loadings,
        "std_errors": std_errors,
        "n_boot": n_boot,
        "seed": seed,
    }
    name = f"{model}_marker"
    if std_errors == "sandwich":
        return sandwich_fit(name, "marker", step, influence, data, items, seed, alpha, fit_options)
    return bootstrap_fit(name, "marker", step, data, items, n_boot, seed, alpha, fit_options)
