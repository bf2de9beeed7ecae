"""Transitional: the old import path of the names the reporting layer reads.

The effects engine and estimates moved to :mod:`~leadblackhole.effects.spec`,
:mod:`~leadblackhole.effects.engine` and :mod:`~leadblackhole.effects.estimates`;
import them from :mod:`leadblackhole.effects`. This module goes once
:mod:`leadblackhole.reporting` imports from the package.
"""

from __future__ import annotations

from ..exceptions import EffectsError
from .spec import EffectOptions

__all__ = ["EffectOptions", "EffectsError"]
