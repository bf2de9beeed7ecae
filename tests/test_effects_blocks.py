"""The effects engine evaluates reps in blocks: the results do not depend on the block size."""

from __future__ import annotations

import numpy as np
import pytest

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import EffectSpec, average_effects
from leadblackhole.effects import effects as engine
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


@pytest.mark.parametrize("model", ["dirichlet", "ols"])
def test_threads_give_the_same_bits(small_frame, model, monkeypatch):
    """Blocks run in threads are combined in block order: identical to one thread."""
    from leadblackhole.effects.effects import ShareModel, _Engine

    res = fit_share_model(small_frame, model)
    engine_ = _Engine(ShareModel.from_results(res), small_frame.data)
    specs = [
        EffectSpec("marketing", "prequal"),
        EffectSpec("marketing", "volume", "experience"),
        EffectSpec("marketing", "tracking", at=(("performance", 0.3),)),
    ]
    monkeypatch.setattr(engine, "_THREAD_MIN_REPS", 0)
    monkeypatch.setattr(engine, "_BLOCK_ELEMENTS", 97 * 23)  # many blocks
    out = {}
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("LEADBLACKHOLE_THREADS", threads)
        out[threads] = engine_.evaluate(specs)
    for threads in ("2", "3"):
        for a, b in zip(out["1"], out[threads], strict=True):
            assert np.array_equal(a, b)


def test_a_bad_thread_count_is_an_error(monkeypatch):
    from leadblackhole.config import compute_threads

    monkeypatch.setenv("LEADBLACKHOLE_THREADS", "many")
    with pytest.raises(ValueError, match="LEADBLACKHOLE_THREADS must be a whole number"):
        compute_threads()
    monkeypatch.setenv("LEADBLACKHOLE_THREADS", "")
    assert compute_threads() >= 1
