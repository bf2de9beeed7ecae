"""Share-scale effects of the two-step share models, and their bootstrap over both steps.

The control function (``dirichlet_cf``) and the selection correction
(``dirichlet_heckman``) read their effects on other designs than the fitted
one (:meth:`~leadblackhole.models.two_step.TwoStepResults.effects_data`): the
control function adds its first-stage terms so that the delta method carries
the first stage's error; the selection correction averages over every rep with
complete predictors with the inverse Mills ratio at 0.
:func:`two_step_effects` passes them to the effects engine;
:func:`bootstrap_two_step` resamples reps, refits both steps and recomputes
the effects, the check of the analytic two-step standard errors.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from leadblackhole.effects import EffectOptions, model_effects, registry_estimates
from leadblackhole.exceptions import ConvergenceWarning, EstimationError, WeakInstrumentWarning
from leadblackhole.models import analysis_data, fit_share_model

__all__ = ["TwoStepBootstrap", "bootstrap_two_step", "two_step_effects", "two_step_estimates"]


def _check(results: Any) -> None:
    if not callable(getattr(results, "effects_data", None)):
        raise EstimationError(
            "expected the results of a two-step model (dirichlet_cf, dirichlet_heckman...); "
            f"received {type(results).__name__}"
        )


def two_step_effects(
    results: Any, frame: Any, options: EffectOptions | None = None
) -> pd.DataFrame:
    """Registry effects of a two-step model, in the layout of ``hypotheses.csv``.

    Parameters
    ----------
    results : TwoStepResults
        A fit of ``dirichlet_cf``, ``dirichlet_rounded_cf``, ``dirichlet_heckman``...
    frame : AnalysisFrame (or its data, for the control function)
        The frame the model was fitted on.
    options : EffectOptions, optional

    Returns
    -------
    DataFrame
        As :func:`~leadblackhole.effects.model_effects`.

    Raises
    ------
    EstimationError
        Results that are not a two-step fit, or a frame of other reps.

    Examples
    --------
    >>> res = fit_share_model(frame, "dirichlet_cf", instruments=["campaign_budget"])  # doctest: +SKIP
    >>> two_step_effects(res, frame)                                                 # doctest: +SKIP
    """
    _check(results)
    data, design = results.effects_data(frame)
    return model_effects(results, data, options=options, design=design)


def two_step_estimates(
    results: Any, frame: Any, options: EffectOptions | None = None
) -> dict[str, Any]:
    """The columns of :func:`two_step_effects` as arrays (no table; for Monte Carlo loops)."""
    _check(results)
    data, design = results.effects_data(frame)
    return registry_estimates(results, data, options=options, design=design)


@dataclass(frozen=True)
class TwoStepBootstrap:
    """Bootstrap over both steps of a two-step model.

    Attributes
    ----------
    effects : DataFrame
        One row per successful replicate, one column per registry effect.
    params : DataFrame
        One row per successful replicate, one column per parameter label.
    n_failed : int
        Replicates whose refit failed (estimation error or no convergence).
    """

    effects: pd.DataFrame
    params: pd.DataFrame
    n_failed: int

    @property
    def effect_std_errors(self) -> pd.Series:
        """Standard deviation of the replicates' effects."""
        return self.effects.std(ddof=1)

    @property
    def param_std_errors(self) -> pd.Series:
        """Standard deviation of the replicates' parameters."""
        return self.params.std(ddof=1)


def _strata(firm: pd.Series) -> list[np.ndarray]:
    codes = firm.astype(str).to_numpy()
    return [np.flatnonzero(codes == f) for f in sorted(set(codes))]


def bootstrap_two_step(
    results: Any, frame: Any, reps: int = 199, seed: int | np.random.SeedSequence = 0
) -> TwoStepBootstrap:
    """Resample reps within firms, refit both steps, recompute the effects.

    Parameters
    ----------
    results : TwoStepResults
        The fit to bootstrap (its ``fit_options`` reproduce it).
    frame : AnalysisFrame
        The frame it was fitted on. A control function resamples the analysis
        sample; a selection correction resamples every rep with complete
        predictors (``frame.selection``), so the probit is refitted on each
        resample too.
    reps : int, default 199
        Replicates.
    seed : int or SeedSequence
        Seed of the ``numpy.random.default_rng`` of the resampling.

    Returns
    -------
    TwoStepBootstrap

    Raises
    ------
    EstimationError
        ``reps`` not a positive integer, or results that are not a two-step fit.

    Notes
    -----
    Resampling within firms keeps every firm dummy estimable; the standard
    errors are those of sampling reps within the firms surveyed, the scope of
    inference of every model of the package (docs/models.md).
    """
    _check(results)
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 1:
        raise EstimationError(f"reps must be a positive integer; received {reps!r}")
    rng = np.random.default_rng(seed)
    options = dict(results.fit_options)
    heckman = results.kind == "heckman"
    base = frame.selection if heckman else analysis_data(frame)
    strata = _strata(base["firm"])
    if heckman:
        keep = frame.selection["any_marketing"].to_numpy() == 1
        data_pos = np.cumsum(keep) - 1
    rows_e, rows_p, failed = [], [], 0
    for _ in range(int(reps)):
        idx = np.concatenate([rng.choice(s, size=s.size, replace=True) for s in strata])
        if heckman:
            sel = frame.selection.iloc[idx].reset_index(drop=True)
            data = frame.data.iloc[data_pos[idx[keep[idx]]]].reset_index(drop=True)
            sample = replace(frame, data=data, selection=sel)
        else:
            sample = base.iloc[idx].reset_index(drop=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                warnings.simplefilter("ignore", WeakInstrumentWarning)
                fit = fit_share_model(
                    sample, results.model_name.removesuffix("_functional_form"), **options
                )
                cols = two_step_estimates(fit, sample)
        except (EstimationError, ConvergenceWarning, np.linalg.LinAlgError):
            failed += 1
            continue
        rows_e.append(dict(zip(cols["id"], cols["estimate"], strict=True)))
        rows_p.append(fit.params)
    params = pd.DataFrame(rows_p).reset_index(drop=True)
    return TwoStepBootstrap(effects=pd.DataFrame(rows_e), params=params, n_failed=failed)
