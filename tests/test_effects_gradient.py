"""Closed-form gradient of softmax effects against the complex step.

The effects engine takes the gradient of a softmax link's effects (levels, main
effects, cross-partials, conditional effects, the Johnson-Neyman grid) from the
closed-form partials of :func:`leadblackhole.shares.softmax_effect_gradient`; the
complex step, the method of every other link, is the reference. Both are exact up to
rounding, so the tests compare them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import EffectSpec, average_effects, engine, johnson_neyman_table
from leadblackhole.models import fit_share_model
from leadblackhole.shares import softmax_effect, softmax_effect_gradient

#: Closed form against complex step: both are exact, they differ by rounding only.
GRAD_TOL = 1e-10
#: Johnson-Neyman boundaries are brentq roots with xtol 1e-10 x (moderator range); a
#: rounding-level change of the function may move the last brentq step by about xtol.
ROOT_TOL = 1e-9


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize(("q", "base"), [(2, 2), (2, 0), (3, 1), (1, 1)])
def test_closed_form_partials_match_the_complex_step(q, base, order):
    """softmax_effect_gradient (equation-first layout) against the complex step."""
    rng = np.random.default_rng(7 + 3 * q + order)
    inputs = [rng.normal(size=(4, 6, q)) * 2 for _ in range(4)]  # (specs, reps, equations)
    first = [np.moveaxis(x, -1, 0) for x in inputs]
    h = 1e-30
    for k in range(q + 1):  # every component, the base included
        F, parts = softmax_effect_gradient(order, *first, base, k)
        assert len(parts) == {0: 1, 1: 2, 2: 4}[order]
        full = softmax_effect(order, *inputs, base)[..., k]
        np.testing.assert_allclose(F, full, rtol=0, atol=GRAD_TOL)
        for r, part in enumerate(parts):
            for j in range(q):
                z = [x.astype(complex) for x in inputs]
                z[r][..., j] += 1j * h
                ref = softmax_effect(order, *z, base)[..., k].imag / h
                np.testing.assert_allclose(part[j], ref, rtol=0, atol=GRAD_TOL)


@pytest.fixture(scope="module")
def small_frame(default_survey):
    return build_analysis_frame(validate_survey(default_survey.iloc[::3].reset_index(drop=True)))


@pytest.mark.parametrize("model", ["dirichlet", "fractional_logit"])
def test_engine_gradient_equals_the_complex_step(small_frame, model, monkeypatch):
    res = fit_share_model(small_frame, model)
    specs = [
        EffectSpec("marketing", "prequal"),
        EffectSpec("marketing", "tracking", at=(("performance", 0.3),)),
        EffectSpec("marketing"),
        EffectSpec("marketing", "volume", "experience"),
        EffectSpec("marketing", "prequal", "tracking", at=(("volume", -0.5),)),
    ]
    if model == "dirichlet":  # several components in one evaluation
        specs += [EffectSpec("self", "prequal"), EffectSpec("other", "volume", "experience")]
    monkeypatch.setattr(engine, "_ANALYTIC_SOFTMAX", False)
    old = average_effects(res, small_frame, specs)
    monkeypatch.setattr(engine, "_ANALYTIC_SOFTMAX", True)
    new = average_effects(res, small_frame, specs)
    for col in ("estimate", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(new[col], old[col], rtol=0, atol=GRAD_TOL)


def test_johnson_neyman_table_is_unchanged(small_frame, monkeypatch):
    res = fit_share_model(small_frame, "dirichlet")
    monkeypatch.setattr(engine, "_ANALYTIC_SOFTMAX", False)
    old, old_an = johnson_neyman_table(res, small_frame)
    monkeypatch.setattr(engine, "_ANALYTIC_SOFTMAX", True)
    new, new_an = johnson_neyman_table(res, small_frame)
    pd.testing.assert_frame_equal(
        new.drop(columns=["low", "high", "critical_value"]),
        old.drop(columns=["low", "high", "critical_value"]),
    )
    np.testing.assert_allclose(new["critical_value"], old["critical_value"], rtol=0, atol=GRAD_TOL)
    for col in ("low", "high"):
        np.testing.assert_allclose(new[col], old[col], rtol=0, atol=ROOT_TOL)
    for key, jn in new_an.items():
        for col in ("estimate", "std_error"):
            np.testing.assert_allclose(jn.curve[col], old_an[key].curve[col], rtol=0, atol=GRAD_TOL)
