"""Share-scale effects of the hypothesis registry: estimation, probing and reporting.

* :mod:`~leadblackhole.effects.spec`: what an effect computation is given (the
  fitted mean model, the effects asked for, the options, the reps).
* :mod:`~leadblackhole.effects.engine`: the engine that averages share
  levels, derivatives and cross-partials over reps, with their exact gradient.
* :mod:`~leadblackhole.effects.estimates`: average effects and the registry
  effects of a fitted share model with delta-method inference;
  ``hypotheses.csv``.
* :mod:`~leadblackhole.effects.published`: the estimates beside the published
  findings.
* :mod:`~leadblackhole.effects.conditional`: conditional effects, simple
  slopes and predictive margins.
* :mod:`~leadblackhole.effects.johnson_neyman`: Johnson–Neyman regions (with
  the Esarey–Sumner critical value).
* :mod:`~leadblackhole.effects.bootstrap`: the bootstrap and the parametric
  simulation of the registry effects.
* :mod:`~leadblackhole.effects.multiplicity`: Holm and Benjamini-Hochberg
  p-values within a model, the joint Wald test of the six moderations.
* :mod:`~leadblackhole.effects.firms`: per-firm effects with the
  Ibragimov-Müller test and the likelihood-ratio test of firm-specific slopes
  (inference is conditional on the firms surveyed).
* :mod:`~leadblackhole.effects.hypothesis_tables`: :func:`run_hypotheses`, every
  table at once (their files are rendered and written by
  :mod:`leadblackhole.reporting.tables`).

The hypothesis registry and the share derivatives live in the base layer
(:mod:`leadblackhole.registry`, :mod:`leadblackhole.shares`).
"""

from __future__ import annotations

from ..exceptions import EffectsError
from ..registry import (
    HYPOTHESES,
    Hypothesis,
    registry_frame,
)
from .bootstrap import BootstrapResult, bootstrap_effects, simulate_effects
from .conditional import conditional_effects, predictive_margins, simple_slopes
from .estimates import (
    HYPOTHESIS_COLUMNS,
    average_effects,
    hypothesis_table,
    model_effects,
    registry_estimates,
)
from .firms import (
    FIRM_TEST_COLUMNS,
    firm_slopes_lr_test,
    firm_tests,
    ibragimov_mueller,
    per_firm_effects,
)
from .hypothesis_tables import HypothesisReport, run_hypotheses
from .johnson_neyman import (
    JohnsonNeyman,
    esarey_sumner_critical,
    johnson_neyman,
    johnson_neyman_table,
)
from .multiplicity import (
    ADJUSTED_HYPOTHESIS_COLUMNS,
    JOINT_TEST_COLUMNS,
    adjust_pvalues,
    effect_covariance,
    joint_moderation_test,
)
from .published import published_comparison
from .spec import EffectOptions, EffectSpec, ShareModel

__all__ = [
    "ADJUSTED_HYPOTHESIS_COLUMNS",
    "BootstrapResult",
    "EffectOptions",
    "EffectSpec",
    "EffectsError",
    "FIRM_TEST_COLUMNS",
    "JOINT_TEST_COLUMNS",
    "HYPOTHESES",
    "HYPOTHESIS_COLUMNS",
    "Hypothesis",
    "HypothesisReport",
    "JohnsonNeyman",
    "ShareModel",
    "adjust_pvalues",
    "average_effects",
    "bootstrap_effects",
    "conditional_effects",
    "effect_covariance",
    "esarey_sumner_critical",
    "firm_slopes_lr_test",
    "firm_tests",
    "hypothesis_table",
    "ibragimov_mueller",
    "joint_moderation_test",
    "johnson_neyman",
    "johnson_neyman_table",
    "model_effects",
    "per_firm_effects",
    "predictive_margins",
    "published_comparison",
    "registry_estimates",
    "registry_frame",
    "run_hypotheses",
    "simple_slopes",
    "simulate_effects",
]
