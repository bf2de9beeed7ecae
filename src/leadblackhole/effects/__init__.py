"""Share-scale effects of the hypothesis registry: estimation, probing and reporting.

* :mod:`~leadblackhole.effects.registry`: the hypotheses of STUDY.md as data.
* :mod:`~leadblackhole.effects.shares`: closed-form derivatives of
  multinomial-logit mean shares.
* :mod:`~leadblackhole.effects.effects`: average effects and cross-partials of
  a fitted share model with delta-method inference; ``hypotheses.csv``.
* :mod:`~leadblackhole.effects.probing`: simple slopes, Johnson–Neyman regions
  (with the Esarey–Sumner critical value) and the bootstrap.
* :mod:`~leadblackhole.effects.report`: :func:`run_hypotheses`, every table at once.

The names below are imported lazily, so that importing the registry alone
(as the simulator does) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "HYPOTHESES": "registry",
    "Hypothesis": "registry",
    "registry_frame": "registry",
    "EffectSpec": "effects",
    "EffectsError": "effects",
    "HYPOTHESIS_COLUMNS": "effects",
    "ShareModel": "effects",
    "average_effects": "effects",
    "comparison_latex": "effects",
    "comparison_markdown": "effects",
    "detect_model_kind": "effects",
    "hypothesis_table": "effects",
    "model_effects": "effects",
    "published_comparison": "effects",
    "BootstrapResult": "probing",
    "JohnsonNeyman": "probing",
    "bootstrap_effects": "probing",
    "conditional_effects": "probing",
    "esarey_sumner_critical": "probing",
    "johnson_neyman": "probing",
    "johnson_neyman_table": "probing",
    "predictive_margins": "probing",
    "simple_slopes": "probing",
    "simulate_effects": "probing",
    "HypothesisReport": "report",
    "run_hypotheses": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
