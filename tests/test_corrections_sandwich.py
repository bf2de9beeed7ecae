"""The two-step sandwich standard errors of the corrections (leadblackhole.corrections.sandwich).

Each piece is checked against an independent computation: a per-rep influence
against leaving that rep out (the jackknife), the derivatives of the second step
against refits of the model, the scores on a moved design against a model built
on it, and the standard errors against the bootstrap of both steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import leadblackhole.corrections._engine as engine
from leadblackhole.corrections import (
    calibrate_scores,
    fit_eiv,
    fit_marker,
    method_scores,
)
from leadblackhole.corrections.eiv import calibration_coefficients
from leadblackhole.corrections.marker import method_coefficients
from leadblackhole.corrections.sandwich import covariance_influence
from leadblackhole.diagnosis import scenario_design, simulate_frame
from leadblackhole.exceptions import EstimationError, ReliabilityError
from leadblackhole.measurement import (
    reliability_from_cov,
    reliability_gradient,
    score_reliability,
)
from leadblackhole.models import DirichletRegression, RoundedDirichletRegression, rounding_step_of
from leadblackhole.specification import firm_levels

PQ = [f"pq_{j}" for j in range(1, 5)]
MT = [f"mt_{j}" for j in range(1, 5)]
MK = ["mk_1", "mk_2", "mk_3"]
#: Reps whose leave-one-out estimates the influence tests compare with.
REPS = (0, 7, 123, 300, 460)


@pytest.fixture(scope="module")
def latent_frame():
    frame, _ = simulate_frame(scenario_design("latent_shares", 461, 1.0), seed=11)
    return frame


@pytest.fixture(scope="module")
def marker_frame():
    frame, _ = simulate_frame(scenario_design("method_factor_marker", 461, 1.0), seed=11)
    return frame


def _captured(monkeypatch):
    """Record the arguments and the result of every ``sandwich_inference`` call of a fit."""
    calls = []
    real = engine.sandwich_inference

    def spy(point, data, first, firm):
        out = real(point, data, first, firm)
        calls.append({"point": point, "data": data, "first": first, "result": out})
        return out

    monkeypatch.setattr(engine, "sandwich_inference", spy)
    return calls


def _error_free(data: pd.DataFrame) -> np.ndarray:
    """Firm dummies, volume, experience, performance, variable pay (built here by hand)."""
    levels = firm_levels(data["firm"])
    firm = data["firm"].astype(str).to_numpy()
    cols = [(firm == lv).astype(float) for lv in levels[1:]]
    names = ("volume", "experience", "performance", "variable_pay")
    cols += [data[c].to_numpy(dtype=float) for c in names if c in data.columns]
    return np.column_stack(cols)


# ---------------------------------------------------------------------------
# the pieces
# ---------------------------------------------------------------------------
def test_reliability_from_cov_is_score_reliability(latent_frame):
    block = latent_frame.items[PQ].to_numpy(dtype=float)
    cov = np.cov(block, rowvar=False)
    for method in ("omega", "alpha"):
        assert reliability_from_cov(cov, "prequal", method) == pytest.approx(
            score_reliability(block, "prequal", method), abs=1e-12
        )
    with pytest.raises(ReliabilityError, match="unknown reliability method"):
        reliability_from_cov(cov, "prequal", "kr20")


@pytest.mark.parametrize(("method", "items"), [("omega", PQ), ("omega", PQ[:2]), ("alpha", MT)])
def test_reliability_gradient_is_the_derivative_of_refits(latent_frame, method, items):
    # the implicit-function derivative against central differences of refitted reliabilities
    # (which carry the optimizer's tolerance, about 1e-4 of the derivative at this step)
    cov = np.cov(latent_frame.items[items].to_numpy(dtype=float), rowvar=False)
    k = len(items)
    iu = np.triu_indices(k)
    grad = reliability_gradient(cov, "scale", method)
    for j in range(iu[0].size):
        e = np.zeros((k, k))
        e[iu[0][j], iu[1][j]] = e[iu[1][j], iu[0][j]] = 1.0
        h = 1e-3
        up = reliability_from_cov(cov + h * e, "scale", method)
        down = reliability_from_cov(cov - h * e, "scale", method)
        assert grad[j] == pytest.approx((up - down) / (2 * h), rel=1e-3, abs=1e-6)
    with pytest.raises(ReliabilityError, match="unknown reliability method"):
        reliability_gradient(cov, "scale", "kr20")


def test_covariance_influence_is_the_jackknife_of_omega(latent_frame):
    # psi_i = (n - 1) (f(all) - f(all but i)) up to O(1/n); rows with a missing item count 0
    x = latent_frame.items[PQ].to_numpy(dtype=float).copy()
    x[[5, 50], 1] = np.nan

    def omega(cov):
        return reliability_from_cov(cov, "prequal")

    psi = covariance_influence(x, omega)
    assert psi[5] == psi[50] == 0.0
    exact = covariance_influence(x, gradient=lambda c: reliability_gradient(c, "prequal"))
    # the same influence as differences of refits (to their optimizer's tolerance)
    np.testing.assert_allclose(exact, psi, rtol=1e-3, atol=1e-5 * np.abs(psi).max())
    complete = np.isfinite(x).all(axis=1)
    nc = complete.sum()
    full = omega(np.cov(x[complete], rowvar=False))
    scale = np.abs(psi).max()
    for i in REPS:
        keep = complete & (np.arange(len(x)) != i)
        loo = omega(np.cov(x[keep], rowvar=False))
        # the influence is scaled to all n reps: n / n_c times the complete-case one
        assert psi[i] * nc / len(x) == pytest.approx((nc - 1) * (full - loo), abs=0.02 * scale)


def test_eiv_first_step_influence_is_the_jackknife(latent_frame, monkeypatch):
    calls = _captured(monkeypatch)
    res = fit_eiv(latent_frame, latent_frame.items)
    first = calls[0]["first"]
    data = latent_frame.data.reset_index(drop=True)
    assert first.names == ("prequal", "tracking")
    # the coefficients give the calibrated scores the second step was fitted on
    np.testing.assert_allclose(
        first.u @ first.phi, res.data[["prequal", "tracking"]].to_numpy(), atol=1e-10
    )
    V = np.column_stack([data[["prequal", "tracking"]].to_numpy(dtype=float), _error_free(data)])
    items = latent_frame.items
    n = len(V)

    def phi_without(drop):
        keep = np.arange(n) != drop
        rel = [score_reliability(items.loc[keep, s].to_numpy(float)) for s in (PQ, MT)]
        return calibration_coefficients(
            V[keep].mean(axis=0), np.cov(V[keep], rowvar=False), rel
        ).ravel(order="F")

    full = first.phi.ravel(order="F")
    scale = np.abs(first.influence).max(axis=0)
    for i in REPS:
        jack = (n - 1) * (full - phi_without(i))
        np.testing.assert_allclose(first.influence[i], jack, atol=0.03 * scale.max(), rtol=0.03)


def test_marker_first_step_influence_is_the_jackknife(marker_frame, monkeypatch):
    calls = _captured(monkeypatch)
    scales = dict(marker_frame.scales) | {"marker": MK}
    res = fit_marker(marker_frame, marker_frame.items, "marker", scales)
    first = calls[0]["first"]
    assert first.names == ("method",)
    np.testing.assert_allclose(first.u @ first.phi[:, 0], res.data["method"].to_numpy(), atol=1e-10)
    data = marker_frame.data.reset_index(drop=True)
    x = marker_frame.items[PQ + MT + MK].to_numpy(dtype=float)
    V = np.column_stack([x, _error_free(data)])
    n = len(V)

    def phi_without(drop):
        keep = np.arange(n) != drop
        mean, cov = V[keep].mean(axis=0), np.cov(V[keep], rowvar=False)
        return method_coefficients(mean, cov, x.shape[1], n - 1)[:, 0]

    scale = np.abs(first.influence).max()
    for i in REPS:
        jack = (n - 1) * (first.phi[:, 0] - phi_without(i))
        np.testing.assert_allclose(first.influence[i], jack, atol=0.03 * scale, rtol=0.03)


def test_first_step_coefficients_reproduce_the_corrected_columns():
    rng = np.random.default_rng(3)
    v = rng.standard_normal((300, 6)) @ rng.standard_normal((6, 6))
    phi = calibration_coefficients(v.mean(axis=0), np.cov(v, rowvar=False), [0.7, 0.9])
    u = np.column_stack([np.ones(300), v])
    np.testing.assert_allclose(u @ phi, calibrate_scores(v[:, :2], v[:, 2:], [0.7, 0.9]))
    c = method_scores(v[:, :4], v[:, 4:], 1.0)
    phi_m = method_coefficients(v.mean(axis=0), np.cov(v, rowvar=False), 4, 300)
    np.testing.assert_allclose(u @ phi_m[:, 0], c / c.std())


@pytest.mark.parametrize("rounded", [False, True])
def test_scores_on_a_moved_design_are_those_of_a_model_built_on_it(latent_frame, rounded):
    data = latent_frame.data
    pct = data[["pct_marketing", "pct_self", "pct_other"]].set_axis(
        ["marketing", "self", "other"], axis=1
    )
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"Intercept": np.ones(len(data)), "prequal": data["prequal"].to_numpy()})
    moved = x.assign(prequal=x["prequal"] + rng.normal(0, 0.1, len(x)))
    if rounded:
        step = rounding_step_of(data)
        m, m_moved = (RoundedDirichletRegression(pct, d, step, base="other") for d in (x, moved))
    else:
        shares = data[["marketing", "self", "other"]]
        m, m_moved = (DirichletRegression(shares, d, base="other") for d in (x, moved))
    theta = np.array([0.3, 0.2, -0.1, 0.1, 1.5])
    np.testing.assert_allclose(m.score_obs(theta, mean_design=x.to_numpy()), m.score_obs(theta))
    np.testing.assert_allclose(
        m.score_obs(theta, mean_design=moved.to_numpy()), m_moved.score_obs(theta), rtol=1e-12
    )
    with pytest.raises(EstimationError, match="has shape"):
        m.score_obs(theta, mean_design=x.to_numpy()[:, :1])


def test_a_moved_design_needs_the_alternative_parametrization(latent_frame):
    shares = latent_frame.data[["marketing", "self", "other"]]
    x = pd.DataFrame({"Intercept": np.ones(len(shares))})
    m = DirichletRegression(shares, x, parametrization="common")
    with pytest.raises(EstimationError, match="alternative parametrization only"):
        m.score_obs(np.zeros(3), mean_design=x.to_numpy())


def test_derivatives_by_the_first_step_match_refits(latent_frame, monkeypatch):
    # with known reliabilities the first step is Phi(mean, cov, rho): moving rho moves Phi
    # by a known amount, and the refitted estimates and effects move by the Jacobians
    calls = _captured(monkeypatch)
    rel, eps = {"prequal": 0.85, "tracking": 0.84}, 1e-3
    base = fit_eiv(latent_frame, latent_frame.items, reliability=rel)
    moved = fit_eiv(latent_frame, latent_frame.items, reliability=rel | {"prequal": 0.85 + eps})
    first, inf = calls[0]["first"], calls[0]["result"]
    V = first.u[:, 1:]
    mean, cov = V.mean(axis=0), np.cov(V, rowvar=False)
    d_phi = calibration_coefficients(mean, cov, [0.85 + eps, 0.84]) - calibration_coefficients(
        mean, cov, [0.85, 0.84]
    )
    d_phi = d_phi.ravel(order="F")
    d_theta = (moved.params - base.params).to_numpy()
    np.testing.assert_allclose(inf.params_jacobian @ d_phi, d_theta, rtol=0.02, atol=1e-6)
    d_eff = (moved.effects["estimate"] - base.effects["estimate"]).to_numpy()
    scale = np.abs(d_eff).max()
    np.testing.assert_allclose(inf.effects_jacobian @ d_phi, d_eff, atol=0.02 * scale)
    assert scale > 1e-5  # the check moves the effects at all


# ---------------------------------------------------------------------------
# against the bootstrap of both steps
# ---------------------------------------------------------------------------
#: Bootstrap replicates of the comparison; the bootstrap SE's own relative error is about
#: 1 / sqrt(2 B) = 5%, so a ratio outside [0.8, 1.25] is a 4-SD departure.
B = 200


@pytest.mark.parametrize("kind", ["eiv", "marker"])
def test_sandwich_standard_errors_agree_with_the_bootstrap(latent_frame, marker_frame, kind):
    if kind == "eiv":
        frame = latent_frame

        def fit(**kw):
            return fit_eiv(frame, frame.items, **kw)

    else:
        frame = marker_frame
        scales = dict(frame.scales) | {"marker": MK}

        def fit(**kw):
            return fit_marker(frame, frame.items, "marker", scales, **kw)

    sandwich = fit()
    boot = fit(std_errors="bootstrap", n_boot=B, seed=4)
    assert sandwich.std_errors == "sandwich" and sandwich.boot_params is None
    assert sandwich.n_boot == 0
    # the same point fit
    pd.testing.assert_series_equal(sandwich.params, boot.params)
    np.testing.assert_array_equal(sandwich.effects["estimate"], boot.effects["estimate"])
    effects = sandwich.effects["std_error"].to_numpy() / boot.effects["std_error"].to_numpy()
    params = (sandwich.bse / boot.bse).to_numpy()
    assert np.all((effects > 0.8) & (effects < 1.25)), effects.round(3)
    assert np.all((params > 0.75) & (params < 1.33)), params.round(3)
    # on average within the bootstrap's Monte Carlo error (5% / sqrt(#effects), roughly)
    assert 0.93 < np.exp(np.log(effects).mean()) < 1.07
    assert 0.93 < np.exp(np.log(params).mean()) < 1.07
