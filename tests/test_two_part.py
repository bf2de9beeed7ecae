"""Tests of the two-part model (``leadblackhole.models.two_part``).

Independent values: the unconditional expected marketing share
``Phi(x'g) * softmax_marketing(x'B)`` is computed here from the design matrix and the
coefficients, its average derivatives and cross-partials by central finite differences of
the predictors (interaction columns rebuilt by ``design_matrix``), and the standard errors
by a parametric bootstrap of the coefficients (draws from their estimated normal
distribution, each pushed through the finite-difference effect).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from leadblackhole.data import build_analysis_frame, validate_survey
from leadblackhole.effects import EffectOptions, EffectsError, EffectSpec, average_effects
from leadblackhole.exceptions import EstimationError
from leadblackhole.models import TwoPartLink, fit_share_model
from leadblackhole.simulation import StudyDesign, simulate
from leadblackhole.specification import design_matrix, firm_levels

#: Relative agreement of the engine's effects with central differences (step 1e-4:
#: truncation error of order h^2 relative to the effect).
FD_RTOL = 1e-5
#: Parametric-bootstrap draws; the SD of 4000 normal draws is known to about 1.1%.
N_DRAWS = 4000
#: Tolerance on SE / bootstrap SD: 4 Monte Carlo standard errors of the SD.
SE_RTOL = 0.045


@pytest.fixture(scope="module")
def fitted():
    survey, _ = simulate(StudyDesign(n_zero_marketing=60), seed=11)
    frame = build_analysis_frame(validate_survey(survey))
    return frame, fit_share_model(frame, "two_part")


def _unconditional(data, terms, gamma, beta):
    """Average over reps of Phi(x'g) softmax_marketing(x'B); gamma (D, p), beta (D, p, 2)."""
    X = design_matrix(data, levels=firm_levels(data["firm"]))[terms].to_numpy()
    z = np.einsum("np,dp->dn", X, gamma)
    eta = np.einsum("np,dpq->dnq", X, beta)
    e = np.concatenate([eta, np.zeros(eta.shape[:2] + (1,))], axis=2)
    s = np.exp(e[..., 0]) / np.exp(e).sum(axis=2)
    return (stats.norm.cdf(z) * s).mean(axis=1)


def _fd_effect(data, terms, gamma, beta, x, m=None, h=1e-4):
    def at(dx, dm):
        d = data.copy()
        d[x] = d[x] + dx
        if m is not None:
            d[m] = d[m] + dm
        return _unconditional(d, terms, gamma, beta)

    if m is None:
        return (at(h, 0) - at(-h, 0)) / (2 * h)
    return (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)


def _coefs(res, theta=None):
    terms = res.mean_terms
    p = len(terms)
    theta = res.mean_coef.to_numpy().T.ravel() if theta is None else theta
    theta = np.atleast_2d(theta)
    gamma = theta[:, :p]
    beta = theta[:, p:].reshape(-1, 2, p).transpose(0, 2, 1)
    return terms, gamma, beta


SPECS = [
    ("prequal", None),
    ("experience", None),
    ("tracking", "experience"),
    ("volume", "performance"),
]


def test_link_and_layout(fitted):
    frame, res = fitted
    assert res.model_name == "two_part"
    assert isinstance(res.link, TwoPartLink)
    assert res.link.equations == ("any_marketing", "marketing", "self")
    assert res.link.outcomes == ("marketing",)
    assert res.nobs == len(frame.selection) > len(frame.data)
    # block-diagonal covariance: the parts share no parameter
    cov = res.cov_params()
    assert np.all(cov.loc["any_marketing", ["marketing", "self"]].to_numpy() == 0)
    np.testing.assert_allclose(
        cov.loc["any_marketing", "any_marketing"], res.participation.cov_params()
    )
    assert res.llf == pytest.approx(res.participation.llf + res.conditional.llf)


def test_level_and_effects_match_finite_differences(fitted):
    frame, res = fitted
    data = frame.selection
    terms, gamma, beta = _coefs(res)
    level = average_effects(res, data, [EffectSpec("marketing")])
    assert level.estimate[0] == pytest.approx(_unconditional(data, terms, gamma, beta)[0], 1e-12)
    specs = [EffectSpec("marketing", x, m) for x, m in SPECS]
    got = average_effects(res, data, specs)["estimate"].to_numpy()
    fd = np.array([_fd_effect(data, terms, gamma, beta, x, m)[0] for x, m in SPECS])
    np.testing.assert_allclose(got, fd, rtol=FD_RTOL)


def test_standard_errors_match_a_parametric_bootstrap(fitted):
    frame, res = fitted
    data = frame.selection
    theta = res.mean_coef.to_numpy().T.ravel()
    rng = np.random.default_rng(2024)
    draws = rng.multivariate_normal(theta, res.mean_cov.to_numpy(), size=N_DRAWS)
    terms, gamma, beta = _coefs(res, draws)
    specs = [EffectSpec("marketing", x, m) for x, m in SPECS]
    se = average_effects(res, data, specs, EffectOptions(variance="conditional"))["std_error"]
    boot = np.array([_fd_effect(data, terms, gamma, beta, x, m).std(ddof=1) for x, m in SPECS])
    np.testing.assert_allclose(se.to_numpy(), boot, rtol=SE_RTOL)


def test_only_marketing_effects(fitted):
    frame, res = fitted
    with pytest.raises(EffectsError, match="cannot give effects on the 'self' share"):
        average_effects(res, frame.selection, [EffectSpec("self", "prequal")])


def test_needs_reps_without_marketing_time():
    survey, _ = simulate(StudyDesign(), seed=11)
    frame = build_analysis_frame(validate_survey(survey))
    with pytest.raises(EstimationError, match="two-part model cannot be estimated"):
        fit_share_model(frame, "two_part")


def test_conditional_model_needs_a_softmax_link(fitted):
    frame, _ = fitted
    ols = fit_share_model(frame, "ols")
    with pytest.raises(EstimationError, match="needs a softmax link"):
        fit_share_model(frame, "two_part", conditional_fit=ols)
