r"""Errors in variables: the main model corrected for unreliable scale scores.

``prequal`` and ``tracking`` are item means, the constructs' true scores plus
measurement error. Regression calibration (Carroll, Ruppert, Stefanski &
Crainiceanu 2006, ch. 4) replaces each by its best linear prediction given
everything observed that the model conditions on,

.. math::

    \hat T = \bar W + \Sigma_{TV}\,\Sigma_{VV}^{-1}\,(V - \bar V), \qquad
    V = (W_1, \dots, W_S, Z),

where :math:`W_s` are the scale scores, :math:`Z` the covariates taken as
error-free (the firm dummies, volume, experience, performance and variable
pay), :math:`\Sigma_{VV}` their sample covariance and :math:`\Sigma_{TV}` equal
to the rows of the scales in :math:`\Sigma_{VV}` except that the error variance
:math:`(1 - \rho_s)\,\widehat{\operatorname{Var}}(W_s)` is taken off each
scale's own variance: classical errors, independent of the true scores, of
:math:`Z` and of each other, with the reliability :math:`\rho_s` of the item
mean from the measurement model (omega of a one-factor model of the scale's
items by default). The main model is then fitted with :math:`\hat T` in place
of :math:`W`. An interaction of a scale with an error-free moderator
:math:`M` is corrected by the same substitution, because
:math:`E[T M \mid V] = M\,E[T \mid V]` when :math:`M` is in :math:`V`. The
coefficients and effects stay per point of the item mean (the true score has
the item mean's scale). Standard errors account for the estimated
reliabilities and calibration: by default the stacked two-step sandwich
(:mod:`leadblackhole.corrections.sandwich`: :math:`\hat T = U\Phi` with
:math:`U = [1, V]` and :math:`\Phi` a function of the mean and covariance of
:math:`V` and of the reliabilities, each reliability a function of its scale's
item covariances), or a bootstrap of both steps (``std_errors="bootstrap"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..config import DEFAULT_SEED
from ..effects import EffectOptions
from ..exceptions import ReliabilityError
from ..measurement import (
    RELIABILITY_METHODS,
    check_reliability,
    reliability_gradient,
    score_reliabilities,
    score_reliability,
)
from ..measurement.score_reliability import omega_from_cov
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

__all__ = ["EIV_METHODS", "calibrate_scores", "calibration_coefficients", "fit_eiv"]

#: Methods of :func:`fit_eiv` (``--eiv-method``); the first is the default.
EIV_METHODS: tuple[str, ...] = ("calibration",)


def calibrate_scores(
    scores: np.ndarray, covariates: np.ndarray, reliabilities: Sequence[float]
) -> np.ndarray:
    r"""Regression-calibrated true scores of error-prone scale scores.

    Parameters
    ----------
    scores : ndarray (n, S)
        The observed scale scores :math:`W`.
    covariates : ndarray (n, q)
        The error-free covariates :math:`Z` (no intercept).
    reliabilities : sequence of float
        Reliability of each score, in (0, 1).

    Returns
    -------
    ndarray (n, S)
        :math:`\hat T = \bar W + \Sigma_{TV}\Sigma_{VV}^{-1}(V - \bar V)`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = rng.standard_normal(100_000)
    >>> w = t + rng.standard_normal(100_000) * np.sqrt(0.25)     # reliability 0.8
    >>> that = calibrate_scores(w[:, None], np.empty((100_000, 0)), [0.8])
    >>> round(float(np.polyfit(that[:, 0], t, 1)[0]), 2)          # E[T | That] = That
    1.0
    """
    W = np.asarray(scores, dtype=float)
    V = np.column_stack([W, np.asarray(covariates, dtype=float)])
    mean = V.mean(axis=0)
    S = np.atleast_2d(np.cov(V, rowvar=False))  # one variable: a 1 x 1 matrix, not a scalar
    k = W.shape[1]
    C = S[:k].copy()
    rel = np.asarray(reliabilities, dtype=float)
    C[np.arange(k), np.arange(k)] -= (1.0 - rel) * np.diag(S)[:k]
    gamma = np.linalg.solve(S, C.T)  # (p, k): Sigma_VV^{-1} Sigma_VT
    return mean[:k] + (V - mean) @ gamma


def calibration_coefficients(
    mean: np.ndarray, cov: np.ndarray, reliabilities: Sequence[float] | np.ndarray
) -> np.ndarray:
    r""":math:`\Phi` of :func:`calibrate_scores`: :math:`\hat T = [1, V]\,\Phi`.

    Parameters
    ----------
    mean : ndarray (..., p)
        Mean of :math:`V = (W_1, \dots, W_S, Z)`.
    cov : ndarray (..., p, p)
        Its covariance.
    reliabilities : array-like (..., S)
        Reliability of each of the ``S`` scores.

    Returns
    -------
    ndarray (..., 1 + p, S)
        First row :math:`\bar W - \bar V\Gamma`, then
        :math:`\Gamma = \Sigma_{VV}^{-1}\Sigma_{VT}`; leading axes are a batch.

    Examples
    --------
    >>> v = np.random.default_rng(2).standard_normal((400, 3))
    >>> phi = calibration_coefficients(v.mean(axis=0), np.cov(v, rowvar=False), [0.8])
    >>> that = calibrate_scores(v[:, :1], v[:, 1:], [0.8])
    >>> bool(np.allclose(np.column_stack([np.ones(400), v]) @ phi, that))
    True
    """
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    rel = np.asarray(reliabilities, dtype=float)
    k = rel.shape[-1]
    idx = np.arange(k)
    c = np.array(cov[..., :k, :], copy=True)
    c[..., idx, idx] -= (1.0 - rel) * cov[..., idx, idx]
    gamma = np.linalg.solve(cov, np.swapaxes(c, -1, -2))  # (..., p, k)
    first = mean[..., :k] - np.einsum("...p,...pk->...k", mean, gamma)
    return np.concatenate([first[..., None, :], gamma], axis=-2)


def _reliabilities(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], reliability: Any
) -> pd.Series:
    if isinstance(reliability, str):
        return score_reliabilities(items, scales, reliability)
    given = pd.Series(dict(reliability), dtype=float)
    missing = [s for s in scales if s not in given.index]
    if missing:
        raise ReliabilityError(f"no reliability given for the scale(s) {missing}")
    return pd.Series({s: check_reliability(s, given[s]) for s in scales}, name="reliability")


class _CalibrationSteps:
    """The two steps of :func:`fit_eiv` on a sample, and the first step's influence.

    ``step`` fits them on the full sample (``start`` None) or on a bootstrap
    resample (warm-started at the full-sample estimates); ``influence`` gives the
    calibration's coefficients and their per-rep influence for the sandwich.
    """

    def __init__(self, model, options, levels, names, blocks, reliability, fixed) -> None:
        self.model, self.options, self.levels = model, options, levels
        self.names, self.blocks = list(names), blocks
        self.reliability, self.fixed = reliability, fixed
        self.saved: dict[str, Any] = {}  # the full sample's one-factor fits (warm starts)

    def reliabilities(self, it: np.ndarray, first: bool) -> pd.Series:
        if self.fixed is not None:
            return self.fixed
        out = {}
        for s, cols in zip(self.names, self.blocks, strict=True):
            block = it[:, cols]
            block = block[np.isfinite(block).all(axis=1)]
            if len(block) < 10:
                raise ReliabilityError(
                    f"scale '{s}': {len(block)} reps answer every item; at least 10 are needed"
                )
            cov = np.cov(block, rowvar=False)
            if self.reliability == "alpha":
                rel = score_reliability(block, s, "alpha")
            else:
                rel, x = omega_from_cov(cov, s, None if first else self.saved.get(s))
                if first:
                    self.saved[s] = x
            out[s] = check_reliability(s, rel)
        return pd.Series(out, name="reliability")

    def step(self, d: pd.DataFrame, it: np.ndarray, start):
        names = self.names
        rel = self.reliabilities(it, start is None)
        W = d[names].to_numpy(dtype=float)
        that = calibrate_scores(W, error_free(d, self.levels), rel[names].to_numpy())
        cal = d.copy()
        for j, s in enumerate(names):
            cal[s] = that[:, j]
        opts = self.options if start is None else self.options | {"start_params": start}
        res: ShareResults = fit_second_step(cal, self.model, opts)
        return res, cal, rel.rename(lambda s: f"reliability[{s}]")

    def influence(self, d: pd.DataFrame, it: np.ndarray, first: pd.Series) -> LinearFirstStep:
        names = self.names
        rel = np.array([first[f"reliability[{s}]"] for s in names])
        psi = None
        if self.fixed is None:  # estimated reliabilities: functions of the item covariances
            method, saved = self.reliability, self.saved
            psi = np.column_stack(
                [
                    covariance_influence(
                        it[:, cols],
                        gradient=lambda cov, s=s: reliability_gradient(
                            cov, s, method, saved.get(s)
                        ),
                    )
                    for s, cols in zip(names, self.blocks, strict=True)
                ]
            )
        V = np.column_stack([d[names].to_numpy(dtype=float), error_free(d, self.levels)])
        return linear_first_step(
            names, V, lambda mean, cov, r: calibration_coefficients(mean, cov, r), rel, psi
        )


def fit_eiv(
    frame: Any,
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]] | None = None,
    model: str = "dirichlet",
    *,
    method: str = "calibration",
    reliability: str | Mapping[str, float] = "omega",
    std_errors: str = "sandwich",
    n_boot: int = N_BOOT,
    seed: int = DEFAULT_SEED,
    alpha: float = 0.05,
) -> CorrectedResults:
    """Fit the main model corrected for measurement error in the scale scores.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample (``frame.data``) or a data frame laid out like it.
    items : DataFrame
        The item answers of the same reps in the same order (the first value of
        ``frame.measurement_inputs(survey)``; ``StudyDraw.items`` of a simulated
        study restricted to the analysis sample).
    scales : mapping of str to sequence of str, optional
        The error-prone scales of the model and their items; default
        ``frame.scales`` restricted to the model's scales (``prequal``, ``tracking``).
    model : {"dirichlet", "dirichlet_rounded"}
        The main model to correct; the result is named ``<model>_eiv``.
    method : {"calibration"}
        The correction (``--eiv-method``): regression calibration (module
        documentation).
    reliability : {"omega", "alpha"} or mapping of str to float
        How the reliability of each item mean is estimated (see
        :func:`leadblackhole.measurement.score_reliability`), or known
        reliabilities by scale (then held fixed: no sampling error).
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
        ``model_name`` ``dirichlet_eiv`` or ``dirichlet_rounded_eiv``; ``effects``
        holds the registry effects with their standard errors; ``first_step`` the
        reliabilities.

    Raises
    ------
    ReliabilityError
        A scale with a single item, or a reliability outside (0, 1).
    EstimationError
        An unknown model, method or kind of standard errors, items not aligned
        with the data, a main model that cannot be fitted, too few successful
        bootstrap replicates.

    Warns
    -----
    ConvergenceWarning
        When more than 5% of the bootstrap replicates fail (they are left out).

    Examples
    --------
    >>> from leadblackhole.simulation import StudyDesign, draw_study   # doctest: +SKIP
    >>> res = fit_eiv(frame, items, model="dirichlet", n_boot=200)     # doctest: +SKIP
    >>> res.effects[["id", "estimate", "std_error"]]                   # doctest: +SKIP
    """
    check_main_model(model)
    if method not in EIV_METHODS:
        raise ReliabilityError(
            f"unknown errors-in-variables method {method!r}; expected one of {list(EIV_METHODS)}"
        )
    data = analysis_data(frame, "the errors-in-variables correction").reset_index(drop=True)
    if scales is None:
        scales = {s: v for s, v in getattr(frame, "scales", {}).items() if s in data.columns}
        scales = {s: v for s, v in scales.items() if s in ("prequal", "tracking")}
    scales = {str(s): list(v) for s, v in scales.items()}
    if not scales:
        raise ReliabilityError("no error-prone scale given (scales is empty)")
    for s, cols in scales.items():
        if len(cols) < 2:
            raise ReliabilityError(
                f"scale '{s}' has {len(cols)} item; the errors-in-variables correction needs "
                "at least 2 items per scale to estimate its reliability"
            )
        if s not in data.columns:
            raise ReliabilityError(f"scale '{s}' is not a variable of the analysis data")
    if isinstance(reliability, str) and reliability not in RELIABILITY_METHODS:
        raise ReliabilityError(
            f"unknown reliability method {reliability!r}; expected one of "
            f"{list(RELIABILITY_METHODS)} or a mapping of scale to reliability"
        )
    EffectOptions(alpha=alpha)  # checks alpha
    check_std_errors(std_errors, n_boot)
    items = aligned_items(frame, items, [c for v in scales.values() for c in v])
    levels = firm_levels(data["firm"])
    options = main_options(data, model)
    names = list(scales)

    position = {c: j for j, c in enumerate(items.columns)}
    blocks = [[position[c] for c in scales[s]] for s in names]
    fixed = None if isinstance(reliability, str) else _reliabilities(items, scales, reliability)
    steps = _CalibrationSteps(model, options, levels, names, blocks, reliability, fixed)

    fit_options = {
        "model": model,
        "method": method,
        "reliability": reliability if isinstance(reliability, str) else dict(reliability),
        "std_errors": std_errors,
        "n_boot": n_boot,
        "seed": seed,
    }
    name = f"{model}_eiv"
    if std_errors == "sandwich":
        return sandwich_fit(
            name, "calibration", steps.step, steps.influence, data, items, seed, alpha, fit_options
        )
    return bootstrap_fit(
        name, "calibration", steps.step, data, items, n_boot, seed, alpha, fit_options
    )
