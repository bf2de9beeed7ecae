"""The diagnose step: a Monte Carlo design diagnosis of the estimators."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..diagnosis import ESTIMATORS, SCENARIOS, DiagnosisResult, run_diagnosis

__all__ = ["diagnose", "diagnosis_names"]


def diagnosis_names() -> tuple[list[str], list[str]]:
    """The scenarios and estimators a diagnosis knows, as registered now.

    Returns
    -------
    scenarios, estimators : list of str
    """
    return list(SCENARIOS), list(ESTIMATORS)


def diagnose(
    out: str | Path,
    *,
    sims: int,
    seed: int,
    n_reps: Sequence[int] = (461,),
    effect_scales: Sequence[float] = (1.0,),
    scenarios: Sequence[str] = ("default",),
    estimators: Sequence[str] = ("dirichlet", "ols", "fractional_logit"),
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 25,
    progress: bool = True,
    connect_timeout: float = 10.0,
) -> DiagnosisResult:
    """Run (or resume) a design diagnosis and write its tables to ``out``.

    The parameters are those of :func:`leadblackhole.diagnosis.run_diagnosis`
    (bad scenario or estimator names are reported by it).

    Returns
    -------
    DiagnosisResult
    """
    return run_diagnosis(
        out,
        sims=sims,
        seed=seed,
        n_reps=n_reps,
        effect_scales=effect_scales,
        scenarios=scenarios,
        estimators=estimators,
        workers=workers,
        scheduler=scheduler,
        chunk_size=chunk_size,
        progress=progress,
        connect_timeout=connect_timeout,
    )
