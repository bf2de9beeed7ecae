"""Monte Carlo design diagnosis: how well does the main model recover the truth?

:func:`diagnose` simulates a design many times, fits the main model to each
draw and compares the share-scale effects with their population values in
:class:`~leadblackhole.simulation.Truth`: mean estimate, bias, Monte Carlo
standard error, coverage of the 95% intervals and the rate at which each
hypothesis is reported as supported.

The diagnosis fits models and computes effects, so it sits in the layer of
:mod:`leadblackhole.effects`, above the simulator it drives (the simulator
imports nothing above the base layer).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .data import build_analysis_frame, validate_survey
from .effects import model_effects
from .exceptions import ConvergenceWarning, DesignError, ZeroShareWarning
from .models import fit_share_model
from .simulation import StudyDesign, simulate

__all__ = ["diagnose"]


def diagnose(
    design: StudyDesign | None = None, n_sims: int = 100, seed: int = 0, progress: bool = False
) -> pd.DataFrame:
    """Simulate, fit and summarise the recovery of every registry effect.

    Parameters
    ----------
    design : StudyDesign, optional
        Population model (default :class:`StudyDesign()`).
    n_sims : int
        Number of simulated studies.
    seed : int
        Seed of the study seeds: draw ``i`` uses ``numpy.random.default_rng([seed, i])``.
    progress : bool
        Show a progress bar.

    Returns
    -------
    DataFrame
        Indexed by registry id: ``truth``, ``mean_estimate``, ``bias``,
        ``relative_bias``, ``mc_se`` (Monte Carlo SE of the mean estimate),
        ``coverage`` (share of 95% intervals holding the truth),
        ``supported_rate`` and ``n_sims`` (fits that converged).

    Notes
    -----
    With ``heap_step=0`` the main model is correctly specified and the
    estimates are close to unbiased. The default design heaps the reported
    percents on multiples of 5, which attenuates the estimates; see
    ``docs/simulation.md`` for the figures.

    Examples
    --------
    >>> table = diagnose(StudyDesign(heap_step=0), n_sims=5)   # doctest: +SKIP
    """
    design = design if design is not None else StudyDesign()
    if n_sims < 2:
        raise DesignError(f"n_sims must be at least 2, got {n_sims}")
    truth = simulate(design, seed=np.random.default_rng([seed, 0])).truth.effects["value"]
    estimates, covered, supported = [], [], []
    draws = range(n_sims)
    if progress:
        from tqdm import tqdm

        draws = tqdm(draws, desc="design diagnosis")
    for i in draws:
        survey, _ = simulate(design, seed=np.random.default_rng([seed, i]))
        frame = build_analysis_frame(validate_survey(survey))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ZeroShareWarning)
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                res = fit_share_model(frame, "dirichlet")
            except ConvergenceWarning:
                continue
        e = model_effects(res, frame).set_index("id")
        estimates.append(e["estimate"])
        covered.append((e["conf_low"] <= truth) & (truth <= e["conf_high"]))
        supported.append(e["supported"].astype("boolean").fillna(False).astype(bool))
    est = pd.concat(estimates, axis=1)
    out = pd.DataFrame({"truth": truth, "mean_estimate": est.mean(axis=1)})
    out["bias"] = out["mean_estimate"] - out["truth"]
    out["relative_bias"] = out["bias"] / out["truth"]
    out["mc_se"] = est.std(axis=1, ddof=1) / np.sqrt(est.shape[1])
    out["coverage"] = pd.concat(covered, axis=1).mean(axis=1)
    out["supported_rate"] = pd.concat(supported, axis=1).mean(axis=1)
    out["n_sims"] = est.shape[1]
    return out
