"""Closed-form gradient of softmax order-1 effects against the complex step.

The effects engine takes the gradient of a softmax link's order-1 effects (main
effects, conditional effects, the Johnson-Neyman grid) from the closed-form partials
of :func:`leadblackhole.shares.softmax_effect_partials`; before, it used the complex
step for every order. Both are exact up to rounding, so the tests compare them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import EffectSpec, average_effects, johnson_neyman_table
from leadblackhole.effects import effects as engine
from leadblackhole.models import fit_share_model
from leadblackhole.shares import softmax_effect, softmax_effect_partials

#: Closed form against complex step: both are exact, they differ by rounding only.
GRAD_TOL = 1e-10
#: Johnson-Neyman boundaries are brentq roots with xtol 1e-10 x (moderator range); a
#: rounding-level change of the function may move the last brentq step by about xtol.
ROOT_TOL = 1e-9


@pytest.mark.parametrize(("q", "base"), [(2, 2), (2, 0), (3, 1), (1, 1)])
def test_partials_match_the_complex_step(q, base):
    rng = np.random.default_rng(7)
    eta = rng.normal(size=(5, q)) * 2
    a = rng.normal(size=(5, q))
    d_eta, d_a = softmax_effect_partials(eta, a, base)
    h = 1e-30
    for j in range(q):
        step = np.zeros(q, dtype=complex)
        step[j] = 1j * h
        by_eta = softmax_effect(1, eta + step, a.astype(complex), 0, 0, base).imag / h
        by_a = softmax_effect(1, eta.astype(complex), a + step, 0, 0, base).imag / h
        np.testing.assert_allclose(d_eta[j], by_eta, rtol=0, atol=GRAD_TOL)
        np.testing.assert_allclose(d_a[j], by_a, rtol=0, atol=GRAD_TOL)


@pytest.fixture(scope="module")
def small_frame(default_survey):
    return build_analysis_frame(validate_survey(default_survey.iloc[::3].reset_index(drop=True)))


@pytest.mark.parametrize("model", ["dirichlet", "fractional_logit"])
def test_engine_gradient_equals_the_complex_step(small_frame, model, monkeypatch):
    res = fit_share_model(small_frame, model)
    specs = [
        EffectSpec("marketing", "prequal"),
        EffectSpec("marketing", "tracking", at=(("performance", 0.3),)),
    ]
    monkeypatch.setattr(engine, "_ANALYTIC_ORDER1", False)
    old = average_effects(res, small_frame, specs)
    monkeypatch.setattr(engine, "_ANALYTIC_ORDER1", True)
    new = average_effects(res, small_frame, specs)
    for col in ("estimate", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(new[col], old[col], rtol=0, atol=GRAD_TOL)


def test_johnson_neyman_table_is_unchanged(small_frame, monkeypatch):
    res = fit_share_model(small_frame, "dirichlet")
    monkeypatch.setattr(engine, "_ANALYTIC_ORDER1", False)
    old, old_an = johnson_neyman_table(res, small_frame)
    monkeypatch.setattr(engine, "_ANALYTIC_ORDER1", True)
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
