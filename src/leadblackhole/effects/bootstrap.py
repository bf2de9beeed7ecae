r"""Draws of the registry effects: the bootstrap and the parametric (Krinsky–Robb) simulation.

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..exceptions import ConvergenceWarning, EffectsError, EstimationError
from ..models.results import fit_share_model
from ..registry import HYPOTHESES, Hypothesis
from .engine import EffectsEngine
from .spec import EffectOptions, EffectSpec, ShareModel, as_model, data_of, resolve_options

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "BOOTSTRAP_SCHEMES",
    "BootstrapResult",
    "bootstrap_effects",
    "simulate_effects",
]

Scheme = Literal["stratified", "firm"]
BOOTSTRAP_SCHEMES: tuple[str, ...] = ("stratified", "firm")


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
    frame: AnalysisFrame | pd.DataFrame,
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
    frame: AnalysisFrame | pd.DataFrame,
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
