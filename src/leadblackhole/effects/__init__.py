"""Share-scale effects of the hypothesis registry: estimation, probing and reporting.

* :mod:`~leadblackhole.effects.effects`: average effects and cross-partials of
  a fitted share model with delta-method inference; ``hypotheses.csv``.
* :mod:`~leadblackhole.effects.probing`: simple slopes, Johnson–Neyman regions
  (with the Esarey–Sumner critical value) and the bootstrap.
* :mod:`~leadblackhole.effects.report`: :func:`run_hypotheses`, every table at once
  (their files are rendered and written by :mod:`leadblackhole.reporting.tables`).

The hypothesis registry and the share derivatives live in the base layer
(:mod:`leadblackhole.registry`, :mod:`leadblackhole.shares`).
"""

from __future__ import annotations

from ..registry import (
    HYPOTHESES,
    Hypothesis,
    registry_frame,
)
from .effects import (
    HYPOTHESIS_COLUMNS,
    EffectOptions,
    EffectsError,
    EffectSpec,
    ShareModel,
    average_effects,
    hypothesis_table,
    model_effects,
    published_comparison,
)
from .probing import (
    BootstrapResult,
    JohnsonNeyman,
    bootstrap_effects,
    conditional_effects,
    esarey_sumner_critical,
    johnson_neyman,
    johnson_neyman_table,
    predictive_margins,
    simple_slopes,
    simulate_effects,
)
from .report import (
    HypothesisReport,
    run_hypotheses,
)

__all__ = [
    "BootstrapResult",
    "EffectOptions",
    "EffectSpec",
    "EffectsError",
    "HYPOTHESES",
    "HYPOTHESIS_COLUMNS",
    "Hypothesis",
    "HypothesisReport",
    "JohnsonNeyman",
    "ShareModel",
    "average_effects",
    "bootstrap_effects",
    "conditional_effects",
    "esarey_sumner_critical",
    "hypothesis_table",
    "johnson_neyman",
    "johnson_neyman_table",
    "model_effects",
    "predictive_margins",
    "published_comparison",
    "registry_frame",
    "run_hypotheses",
    "simple_slopes",
    "simulate_effects",
]
