"""benchmarks/true_scores.py: the closed-form true score of a clipped, rounded item."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np


def _script():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "true_scores.py"
    spec = importlib.util.spec_from_file_location("true_scores", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_expected_item_equals_the_mean_of_drawn_answers():
    script = _script()
    rng = np.random.default_rng(5)
    f = np.array([-2.5, -1.0, 0.0, 0.7, 2.0])
    lam, c, s = 0.75, 4.3, 1.3
    e = rng.standard_normal((400_000, f.size))
    draws = np.clip(np.round(c + s * (lam * f + np.sqrt(1 - lam**2) * e)), 1, 7)
    mc_se = draws.std(axis=0) / np.sqrt(draws.shape[0])
    exact = script.expected_item(f, lam, c, s)
    assert np.all(np.abs(draws.mean(axis=0) - exact) < 4 * mc_se)


def test_the_clip_compresses_the_true_score_and_reliability_is_below_one():
    rows = _script().scale_rows(n=20_000, seed=3)
    assert [r["scale"] for r in rows] == ["prequal", "tracking"]
    for r in rows:
        assert 0.95 < r["slope"] < 1.0
        assert 0.75 < r["reliability"] < 0.9
        assert np.isclose(r["inflation"], 1 / r["reliability"] - 1)
