"""Transitional: the old import path of the names the reporting layer reads.

The probing tools moved to :mod:`~leadblackhole.effects.conditional`,
:mod:`~leadblackhole.effects.johnson_neyman` and
:mod:`~leadblackhole.effects.bootstrap`; import them from
:mod:`leadblackhole.effects`. This module goes once :mod:`leadblackhole.reporting`
imports from the package.
"""

from __future__ import annotations

from .conditional import predictive_margins
from .johnson_neyman import JohnsonNeyman

__all__ = ["JohnsonNeyman", "predictive_margins"]
