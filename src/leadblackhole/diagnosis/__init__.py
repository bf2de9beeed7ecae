"""Design diagnosis: which estimator survives which departure, at which sample size.

A *diagnosis* simulates many studies from a grid of population designs
(scenario x number of reps x effect scale), fits every requested estimator to
each simulated study, computes every registry effect and compares it with its
population value. It runs on Dask (a local cluster, or an existing one).

Modules
-------
:mod:`~leadblackhole.diagnosis.scenarios`
    The departures of the population (:data:`SCENARIOS`) and the design of a
    grid cell (:func:`scenario_design`).
:mod:`~leadblackhole.diagnosis.frames`
    The fast path from a simulated study to its analysis frame
    (:func:`simulate_frame`).
:mod:`~leadblackhole.diagnosis.estimators`
    The estimator registry (:data:`ESTIMATORS`, :func:`register_estimator`,
    :class:`EffectsEstimator`).
:mod:`~leadblackhole.diagnosis.replications`
    One task: simulate and fit a chunk of replications (:func:`run_chunk`).
:mod:`~leadblackhole.diagnosis.diagnosands`
    Bias, coverage, power... of every estimator (:func:`diagnosands`,
    :func:`minimum_detectable_scale`).
:mod:`~leadblackhole.diagnosis.runner`
    The run: grid, tasks, checkpoints and the Dask cluster (:func:`run_diagnosis`).

Layering
--------
This package sits above :mod:`leadblackhole.models` and
:mod:`leadblackhole.effects` (it runs their estimators) and below
:mod:`leadblackhole.reporting` and the command line: it imports the simulation,
data and base layers at import time and the estimators' modules lazily, inside
the estimator objects, so that importing it (on a Dask worker, for the command
line's option checks) is cheap and an estimator in a module added later can be
registered without circular imports. It never renders figures
(:mod:`leadblackhole.reporting.diagnosis_figures` does).
"""

from ..exceptions import DiagnosisError
from .diagnosands import DIAGNOSAND_COLUMNS, diagnosands, minimum_detectable_scale
from .estimators import (
    ALPHA,
    DIAGNOSIS_N_BOOT,
    ESTIMATE_COLUMNS,
    ESTIMATORS,
    CorrectedEstimator,
    EffectsEstimator,
    TwoStepEstimator,
    register_estimator,
)
from .frames import EXTRA_COLUMNS, StudyFrame, simulate_frame
from .replications import CELL_COLUMNS, replication_seed, run_chunk, typed_replications
from .runner import (
    PARTS_DIR,
    WORKER_CONFIG,
    WORKER_MALLOC_ENV,
    WORKER_PRELOAD,
    DiagnosisResult,
    local_cluster,
    run_diagnosis,
)
from .scenarios import SCENARIOS, Scenario, resolve_scenario, scenario_design

__all__ = [
    "ALPHA",
    "CELL_COLUMNS",
    "DIAGNOSIS_N_BOOT",
    "DIAGNOSAND_COLUMNS",
    "ESTIMATE_COLUMNS",
    "ESTIMATORS",
    "EXTRA_COLUMNS",
    "PARTS_DIR",
    "SCENARIOS",
    "WORKER_CONFIG",
    "WORKER_MALLOC_ENV",
    "WORKER_PRELOAD",
    "DiagnosisError",
    "CorrectedEstimator",
    "DiagnosisResult",
    "EffectsEstimator",
    "Scenario",
    "StudyFrame",
    "TwoStepEstimator",
    "diagnosands",
    "local_cluster",
    "minimum_detectable_scale",
    "register_estimator",
    "replication_seed",
    "resolve_scenario",
    "run_chunk",
    "run_diagnosis",
    "scenario_design",
    "simulate_frame",
    "typed_replications",
]
