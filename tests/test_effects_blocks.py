"""The effects engine evaluates reps in blocks: the results do not depend on the block size."""

from __future__ import annotations

import numpy as np
import pytest

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import EffectSpec, average_effects, engine
from leadblackhole.models import fit_share_model

#: Blocked and unblocked sums differ only by rounding (a few ulps of numbers near 0.01-1).
BLOCK_TOL = 1e-12


@pytest.fixture(scope="module")
def small_frame(default_survey):
    return build_analysis_frame(validate_survey(default_survey.iloc[::3].reset_index(drop=True)))


@pytest.mark.parametrize("model", ["dirichlet", "ols", "fractional_logit"])
def test_blocks_of_reps_give_the_unblocked_result(small_frame, model, monkeypatch):
    res = fit_share_model(small_frame, model)
    specs = [
        EffectSpec("marketing"),
        EffectSpec("marketing", "prequal"),
        EffectSpec("marketing", "volume", "experience"),
        EffectSpec("marketing", "tracking", at=(("performance", 0.3),)),
    ]
    monkeypatch.setattr(engine, "_BLOCK_ELEMENTS", 10**12)  # one block: the old evaluation
    whole = average_effects(res, small_frame, specs)
    for elements in (1, 97 * 23):  # one rep per block; blocks of uneven size
        monkeypatch.setattr(engine, "_BLOCK_ELEMENTS", elements)
        blocked = average_effects(res, small_frame, specs)
        for col in ("estimate", "std_error", "conf_low", "conf_high"):
            np.testing.assert_allclose(blocked[col], whole[col], rtol=0, atol=BLOCK_TOL)
