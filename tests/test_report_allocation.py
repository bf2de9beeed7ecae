"""The report's allocation section, built from hand-made allocation outputs."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from leadblackhole.reporting.report_allocation import allocation_section, gain_sentence
from leadblackhole.reporting.report_sections import SECTIONS, read_report_inputs


def _policies(low: float, high: float, truth: bool = True) -> pd.DataFrame:
    rows = []
    for policy, rate, gain in (("equal", 0.70, 0.0), ("optimal", 0.69, 0.01)):
        row = {
            "policy": policy, "scenario": "baseline", "black_hole_rate": rate,
            "black_hole_low": rate - 0.01, "black_hole_high": rate + 0.01,
            "naive_gain": gain + 0.005 * (policy == "optimal"), "honest_gain": gain,
            "honest_gain_low": low if policy == "optimal" else 0.0,
            "honest_gain_high": high if policy == "optimal" else 0.0,
        }  # fmt: skip
        if truth:
            row |= {
                "true_black_hole_rate": rate + 0.002,
                "true_gain": 0.012 * (policy == "optimal"),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def _diffs() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scenario": "baseline",
                "policy": "optimal",
                "versus": "equal",
                "black_hole_diff": -0.01,
                "black_hole_diff_low": -0.02,
                "black_hole_diff_high": -0.001,
                "prob_better": 0.97,
                "method": "bootstrap bias correction",
            },
            {
                "scenario": "baseline",
                "policy": "optimal",
                "versus": "observed",
                "black_hole_diff": 0.004,
                "black_hole_diff_low": -0.003,
                "black_hole_diff_high": 0.01,
                "prob_better": 0.2,
                "method": "bootstrap bias correction",
            },
        ]  # fmt: skip
    )


def _results(tmp_path, policies, diffs=None, notes="model: dirichlet (the main model)\n"):
    folder = tmp_path / "results" / "allocation"
    folder.mkdir(parents=True)
    policies.to_csv(folder / "policies.csv", index=False)
    if diffs is not None:
        diffs.to_csv(folder / "policy_differences.csv", index=False)
    (folder / "assumptions.txt").write_text(notes)
    (tmp_path / "figures").mkdir()
    return read_report_inputs(tmp_path / "results", tmp_path / "figures")


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (0.002, 0.018, "the data say the optimal allocation is better than the equal split"),
        (-0.03, -0.001, "the data say the optimal allocation is worse than the equal split"),
        (-0.005, 0.025, "the data cannot tell the optimal allocation from the equal split"),
    ],
)
def test_gain_sentence_says_what_the_interval_allows(low, high, verdict):
    row = SimpleNamespace(naive_gain=0.015, honest_gain=0.01, honest_gain_low=low,
                          honest_gain_high=high, true_gain=None)  # fmt: skip
    text = gain_sentence(row, 0.9)
    assert verdict in text
    assert "1.00 black-hole points (90% interval" in text
    assert "(the naive gain) it would read 1.50" in text
    assert "true parameters" not in text


def test_section_shows_honest_and_naive_gain_and_truth(tmp_path):
    inp = _results(tmp_path, _policies(-0.005, 0.025), _diffs(),
                   notes="model: dirichlet (the main model)\n(90% interval; naive)\n")  # fmt: skip
    missing: list[str] = []
    text = "\n".join(allocation_section(inp, missing))
    assert missing == []
    assert "Model: dirichlet (the main model)." in text
    assert "| optimal | 69.0% [68.0%, 70.0%] | 1.00 [−0.50, 2.50] | 1.50 | 69.2% |" in text
    assert "black hole [90% interval]" in text
    assert "with the simulation's true parameters the gain is 1.20" in text
    assert ("Optimal against equal: −1.00 black-hole points [−2.00, −0.10], fewer leads in "
            "the black hole; probability that the optimal allocation is better 0.97") in text  # fmt: skip
    assert (
        "Optimal against observed: 0.40 black-hole points [−0.30, 1.00], a difference the data cannot sign"
        in text
    )


def test_section_without_truth_or_differences(tmp_path):
    inp = _results(tmp_path, _policies(0.002, 0.018, truth=False))
    missing: list[str] = []
    text = "\n".join(allocation_section(inp, missing))
    assert "true parameters" not in text
    assert "black hole [95% interval]" in text
    assert missing == ["allocation/policy_differences.csv"]


def test_section_quotes_the_control_function_comparison(tmp_path):
    notes = ("model: dirichlet (the main model)\nlead budget: 100 leads a month\n"
             "with dirichlet_cf instead (the other model of the pair), the same allocation would give:\n"
             "  baseline         optimal  black hole  69.0%\n")  # fmt: skip
    inp = _results(tmp_path, _policies(0.0, 0.02), _diffs(), notes=notes)
    text = "\n".join(allocation_section(inp, []))
    assert "The other model of the pair with the control function:" in text
    assert (
        "with dirichlet_cf instead" in text
        and "baseline         optimal  black hole  69.0%" in text
    )


def test_no_allocation_no_section(tmp_path):
    (tmp_path / "results").mkdir()
    inp = read_report_inputs(tmp_path / "results", tmp_path)
    missing: list[str] = []
    assert allocation_section(inp, missing) == [] and missing == []
    assert allocation_section in SECTIONS
