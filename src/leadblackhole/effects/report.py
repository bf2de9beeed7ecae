"""Transitional: the old import path of :func:`run_hypotheses`.

It moved to :mod:`~leadblackhole.effects.hypothesis_tables`; import it from
:mod:`leadblackhole.effects`. This module goes once :mod:`leadblackhole.reporting`
imports from the package.
"""

from __future__ import annotations

from .hypothesis_tables import run_hypotheses

__all__ = ["run_hypotheses"]
