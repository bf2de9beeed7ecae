"""The pipeline layer: each step of the study as a plain function, between computing and reporting.

Every step takes an analysis frame (or a survey) and options and returns
results; the decisions that join the computing packages into one study live
here, not in the command line nor in the reporting:

* :func:`simulate` (:mod:`~leadblackhole.pipeline.simulation`): one survey drawn
  from the population model;
* :func:`measure` (:mod:`~leadblackhole.pipeline.measurement`): the measurement
  analysis of the survey's items;
* :func:`fit` (:mod:`~leadblackhole.pipeline.models`): the model set, fitted
  once, and :data:`MODEL_ROLES`, the table of what the later steps read from
  each fit; :func:`main_model`, the one choice of the main model;
  :class:`Remedies`, the corrected and two-step versions of the main model it
  adds on request;
* :func:`hypotheses` (:mod:`~leadblackhole.pipeline.effects`): the registry
  effects of the main model beside the compared models;
* :func:`allocate`, :func:`allocation_model` and :func:`alternative_model`
  (:mod:`~leadblackhole.pipeline.allocation`): the lead-allocation policies, on
  the main model or any model of the fit;
* :func:`diagnose` (:mod:`~leadblackhole.pipeline.diagnosis`): the design diagnosis;
* :func:`execute_notebook` (:mod:`~leadblackhole.pipeline.notebooks`): a notebook
  run in a fresh kernel.

The command line (:mod:`leadblackhole.cli`) loads the data, calls a step and
hands its results to :mod:`leadblackhole.reporting` to write. A new step is one
function here (and its name below) and one command there.

The names are imported from their module when first used, so a command pays
only for the computing packages its step needs (``simulate`` does not load the
models).
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module of this package that defines it.
_MODULE_OF = {
    "AllocationModel": "allocation",
    "allocate": "allocation",
    "allocation_model": "allocation",
    "allocation_request": "allocation",
    "alternative_model": "allocation",
    "lead_budget": "allocation",
    "diagnose": "diagnosis",
    "diagnosis_names": "diagnosis",
    "hypotheses": "effects",
    "measure": "measurement",
    "marker_cmv": "measurement",
    "execute_notebook": "notebooks",
    "KEPT_REMEDIES": "models",
    "MODEL_ROLES": "models",
    "FitResult": "models",
    "ModelRole": "models",
    "REMEDY_HEADERS": "models",
    "REMEDY_OPTIONS": "models",
    "Remedies": "models",
    "fit": "models",
    "main_model": "models",
    "rounding_option": "models",
    "SimulatedStudy": "simulation",
    "check_firm_sizes": "simulation",
    "simulate": "simulation",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
