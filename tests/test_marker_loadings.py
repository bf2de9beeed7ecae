"""The marker correction with one method loading per item ("Method-U") and the test of equal loadings.

The truths are known by construction: a covariance matrix built from chosen loadings
(the free model must return them), refits of the factor model (the implicit-function
derivative must match them), and surveys whose shares are drawn from known
coefficients with a method factor whose loadings differ by item.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from leadblackhole import cli
from leadblackhole.corrections import fit_marker
from leadblackhole.data import build_analysis_frame, load_survey
from leadblackhole.exceptions import MarkerError
from leadblackhole.measurement._factor_ml import fit_factor_model
from leadblackhole.measurement.marker import (
    marker_cfa_from_cov,
    marker_structure,
    method_loadings_gradient,
)
from leadblackhole.tables_text import table_to_csv

SIZES, N_MARKER = (4, 4), 3
LAM = np.array([0.85, 0.8, 0.75, 0.7, 0.8, 0.8, 0.75, 0.7, 0.8, 0.75, 0.7]) * 1.3
UNEQUAL = np.array([0.55, 0.25, 0.45, 0.3, 0.35, 0.6, 0.2, 0.5, 0.5, 0.3, 0.4]) * 1.3
TRUE = {("marketing", "prequal"): 0.10, ("marketing", "tracking"): 0.05}
MK_COLS = ["mk_1", "mk_2", "mk_3"]


def _population_cov(method: np.ndarray) -> np.ndarray:
    """Sigma of the marker model: two correlated scales (0.3), the marker's content, the method."""
    p = LAM.size
    lam = np.zeros((p, 4))
    lam[:4, 0], lam[4:8, 1], lam[8:, 2], lam[:, 3] = LAM[:4], LAM[4:8], LAM[8:], method
    phi = np.eye(4)
    phi[0, 1] = phi[1, 0] = 0.3
    theta = (1.3**2) * (1 - (LAM / 1.3) ** 2)
    return lam @ phi @ lam.T + np.diag(theta)


def test_free_loadings_are_recovered_from_the_population_covariance():
    res = marker_cfa_from_cov(_population_cov(UNEQUAL), SIZES, N_MARKER, 5000, free=True)
    np.testing.assert_allclose(res.method_loadings, UNEQUAL, atol=2e-3)
    assert res.equal_p_value < 1e-10  # unequal loadings: the test rejects equality
    equal = marker_cfa_from_cov(
        _population_cov(np.full(11, 0.52)), SIZES, N_MARKER, 5000, free=True
    )
    np.testing.assert_allclose(equal.method_loadings, 0.52, atol=2e-3)
    assert equal.equal_lr_statistic == pytest.approx(0.0, abs=1e-4)
    assert equal.method_loading == pytest.approx(0.52, abs=1e-3)


def test_loadings_gradient_matches_refits():
    rng = np.random.default_rng(3)
    sigma = _population_cov(UNEQUAL)
    x = rng.multivariate_normal(np.zeros(11), sigma, size=3000)
    S = np.cov(x, rowvar=False)
    res = marker_cfa_from_cov(S, SIZES, N_MARKER, 3000, free=True)
    grad = method_loadings_gradient(S, SIZES, N_MARKER, res.free_fit)
    iu = np.triu_indices(11)
    st = marker_structure(SIZES, N_MARKER, method=True, free=True)
    for k in (0, 5, 20, 60):  # a variance, covariances within and across the blocks
        a, b = iu[0][k], iu[1][k]
        h = 5e-3
        moved = []
        for sgn in (1, -1):
            Sm = S.copy()
            Sm[a, b] += sgn * h
            if a != b:
                Sm[b, a] += sgn * h
            moved.append(fit_factor_model(Sm, st, start=res.free_fit.x).loadings[:, -1])
        numeric = (moved[0] - moved[1]) / (2 * h)
        np.testing.assert_allclose(grad[:, k], numeric, atol=2e-4)


def _benchmark():
    """benchmarks/marker_loadings.py: its survey generator (answers, method and shares)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "marker_loadings.py"
    spec = importlib.util.spec_from_file_location("marker_loadings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def unequal_survey(tmp_path_factory):
    root = tmp_path_factory.mktemp("unequal")
    survey = _benchmark().draw(UNEQUAL / 1.3, 8000, 7)  # latent SD units there
    (root / "reps.csv").write_text(table_to_csv(survey))
    (root / "codebook.toml").write_text('[scales.marker]\nitems = ["mk_1", "mk_2", "mk_3"]\n')
    survey = load_survey(root / "reps.csv", codebook=root / "codebook.toml")
    frame = build_analysis_frame(survey)
    items, scales = frame.measurement_inputs(survey)[:2]
    return root, frame, items, scales


def _z(res) -> dict:
    p, se = res.params, res.bse
    return {k: float((p[k] - v) / se[k]) for k, v in TRUE.items()}


def test_unequal_loadings_bias_the_equal_correction_and_auto_frees_them(unequal_survey):
    _, frame, items, scales = unequal_survey
    opts = {"model": "dirichlet"}
    equal = fit_marker(frame, items, "marker", scales, loadings="equal", **opts)
    auto = fit_marker(frame, items, "marker", scales, **opts)
    assert max(abs(z) for z in _z(equal).values()) > 4  # the wrong direction: biased
    assert auto.first_step["free_loadings"] == 1.0
    assert auto.first_step["equal_loadings_p"] < 0.05
    assert max(abs(z) for z in _z(auto).values()) < 3, _z(auto)
    assert np.isnan(equal.first_step["equal_loadings_p"])
    assert equal.first_step["free_loadings"] == 0.0


def test_free_loadings_sandwich_agrees_with_the_bootstrap(unequal_survey):
    _, frame, items, scales = unequal_survey
    keep = np.arange(2000)
    sub = frame.data.iloc[keep].reset_index(drop=True)
    it = items.iloc[keep].reset_index(drop=True)
    sand = fit_marker(sub, it, "marker", scales, loadings="free")
    boot = fit_marker(sub, it, "marker", scales, loadings="free", std_errors="bootstrap",
                      n_boot=120, seed=4)  # fmt: skip
    ratio = sand.effects["std_error"] / boot.effects["std_error"]
    # a 120-replicate bootstrap SE has a Monte Carlo error of about 6.5%
    assert ratio.between(0.75, 1.3).all(), ratio.round(2).tolist()
    assert sand.first_step["free_loadings"] == boot.first_step["free_loadings"] == 1.0


def test_unknown_loadings_are_refused(unequal_survey, tmp_path, capsys):
    root, frame, items, scales = unequal_survey
    with pytest.raises(MarkerError, match="unknown method loadings 'some'"):
        fit_marker(frame, items, "marker", scales, loadings="some")
    argv = ["fit", str(root / "reps.csv"), "--codebook", str(root / "codebook.toml")]
    argv += ["--out", str(tmp_path / "o")]
    assert cli.main([*argv, "--marker", "marker", "--marker-loadings", "some"]) == 2
    assert "--marker-loadings: unknown loadings 'some'" in capsys.readouterr().err
    assert cli.main([*argv, "--marker-loadings", "free"]) == 2
    assert "--marker-loadings needs --marker" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_free_model_that_does_not_converge_falls_back_to_equal_loadings():
    import warnings

    from leadblackhole.diagnosis import replication_seed, scenario_design, simulate_frame
    from leadblackhole.exceptions import ConvergenceWarning

    # a study of the simulator's equal loadings whose free model drifts and stops short
    frame, _ = simulate_frame(
        scenario_design("method_factor_marker", 461, 1.0), seed=replication_seed(2013, 16)
    )
    cols = [f"pq_{j}" for j in range(1, 5)] + [f"mt_{j}" for j in range(1, 5)] + MK_COLS
    S = np.cov(frame.items[cols].to_numpy(float), rowvar=False)
    with pytest.warns(ConvergenceWarning, match="one method loading per item"):
        loud = marker_cfa_from_cov(S, SIZES, N_MARKER, 461, free=True)
    assert not loud.free_fit.converged and np.isnan(loud.equal_p_value)
    scales = dict(frame.scales) | {"marker": MK_COLS}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        auto = fit_marker(frame, frame.items, "marker", scales)
        quiet = marker_cfa_from_cov(S, SIZES, N_MARKER, 461, free=True, warn_free=False)
    assert auto.first_step["free_loadings"] == 0.0
    assert np.isnan(quiet.equal_lr_statistic)
