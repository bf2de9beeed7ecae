"""The report's allocation section, written from the outputs of ``leadblackhole allocate``.

Reads ``allocation/policies.csv``, ``allocation/policy_differences.csv`` and
``allocation/assumptions.txt`` of the results folder and says what a sales manager
would ask of them: the black hole under each policy, the gain of the model-optimal
allocation over the equal split with the honest (bias-corrected) estimate first and
the naive one beside it, and whether the data can tell the optimal allocation from
the equal split and from the status quo. When the fit held a control-function model,
the lines of ``assumptions.txt`` saying what the other model of the pair gives are
quoted. Nothing is shown when the folder has no allocation (``allocate`` not run).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from .report_format import format_level, format_number, md_escape

__all__ = ["allocation_section", "gain_sentence"]

#: The scenario every allocation has (no what-if change).
_BASELINE = "baseline"


def _points(v: float) -> str:
    """A rate difference in black-hole points, two decimals, minus sign as U+2212."""
    return format_number(100 * float(v), digits=2)


def _percent(v: float) -> str:
    """A rate in percent, one decimal."""
    return format_number(100 * float(v), digits=1) + "%"


def gain_sentence(row: Any, level: float) -> str:
    """The sentence on the gain of the optimal allocation over the equal split.

    Parameters
    ----------
    row : namedtuple or Series
        The ``optimal`` row of ``policies.csv`` for one scenario (``naive_gain``,
        ``honest_gain``, ``honest_gain_low``, ``honest_gain_high``; ``true_gain`` when
        the survey was simulated and ``allocate`` ran with ``--oracle``).
    level : float
        Level of the interval.

    Returns
    -------
    str
        One sentence: the honest gain with its interval, the naive gain beside it, what
        the interval lets a manager conclude and, when known, the true gain.
    """
    lo, hi = float(row.honest_gain_low), float(row.honest_gain_high)
    text = (
        f"the honest gain of the model-optimal allocation over the equal split is "
        f"{_points(row.honest_gain)} black-hole points ({format_level(level)} interval "
        f"{_points(lo)} to {_points(hi)}); evaluated on the same estimates it was chosen on "
        f"(the naive gain) it would read {_points(row.naive_gain)}"
    )
    if lo > 0:
        text += "; the data say the optimal allocation is better than the equal split"
    elif hi < 0:
        text += "; the data say the optimal allocation is worse than the equal split"
    else:
        text += (
            "; the interval includes zero, so the data cannot tell the optimal allocation "
            "from the equal split"
        )
    true_gain = getattr(row, "true_gain", None)
    if true_gain is not None and pd.notna(true_gain):
        text += f" (with the simulation's true parameters the gain is {_points(true_gain)})"
    return text + "."


def _level(notes: str) -> float:
    """The interval level ``assumptions.txt`` states (``(90% interval``), else 95%."""
    found = re.search(r"\((\d+(?:\.\d+)?)% interval", notes)
    return float(found.group(1)) / 100 if found else 0.95


def _policy_table(policies: pd.DataFrame, level: float) -> list[str]:
    base = policies[policies["scenario"] == _BASELINE]
    truth = "true_black_hole_rate" in base.columns and base["true_black_hole_rate"].notna().any()
    head = f"| policy | black hole [{format_level(level)} interval] | honest gain | naive gain |"
    rule = "|---|---|---|---|"
    if truth:
        head, rule = head + " black hole (true parameters) |", rule + "---|"
    lines = [head, rule]
    for r in base.itertuples(index=False):
        cells = [
            md_escape(r.policy),
            f"{_percent(r.black_hole_rate)} [{_percent(r.black_hole_low)}, "
            f"{_percent(r.black_hole_high)}]",
            f"{_points(r.honest_gain)} [{_points(r.honest_gain_low)}, "
            f"{_points(r.honest_gain_high)}]",
            _points(r.naive_gain),
        ]
        if truth:
            cells.append(
                _percent(r.true_black_hole_rate) if pd.notna(r.true_black_hole_rate) else ""
            )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _difference_sentences(diffs: pd.DataFrame, level: float) -> list[str]:
    base = diffs[(diffs["scenario"] == _BASELINE) & (diffs["policy"] == "optimal")]
    out = []
    for r in base.itertuples(index=False):
        lo, hi = float(r.black_hole_diff_low), float(r.black_hole_diff_high)
        verdict = (
            "fewer leads in the black hole"
            if hi < 0
            else "more leads in the black hole"
            if lo > 0
            else "a difference the data cannot sign"
        )
        out.append(
            f"- Optimal against {md_escape(r.versus)}: {_points(r.black_hole_diff)} black-hole "
            f"points [{_points(lo)}, {_points(hi)}], {verdict}; probability that the "
            f"optimal allocation is better {float(r.prob_better):.2f} "
            f"({md_escape(r.method)})."
        )
    return out


def allocation_section(inp: Any, missing: list[str]) -> list[str]:
    """The lead-allocation section (nothing when ``allocate`` was not run).

    Parameters
    ----------
    inp : ReportInputs
        The report's inputs (:mod:`~leadblackhole.reporting.report_sections`).
    missing : list of str
        Outputs looked for and not found (extended when the allocation folder is
        incomplete).

    Returns
    -------
    list of str
        Markdown lines.
    """
    policies = inp.csv("allocation/policies.csv")
    if policies is None:
        return []
    diffs = inp.csv("allocation/policy_differences.csv")
    notes = inp.text("allocation/assumptions.txt") or ""
    level = _level(notes)
    lines = notes.splitlines()
    parts = ["## Lead allocation", ""]
    if lines:
        parts += [f"Model: {md_escape(lines[0].removeprefix('model: ').strip())}.", ""]
    parts += [
        "How many leads fall into the black hole (received and never followed up) when a "
        "month's leads are shared out by each policy (`leadblackhole allocate`, "
        "docs/allocation.md); gains over the equal split in black-hole points, positive when "
        "fewer leads are lost. The honest gain corrects the optimizer's curse: an allocation "
        "chosen on estimates looks better on those estimates than it is.",
        "",
        *_policy_table(policies, level),
        "",
    ]
    optimal = policies[policies["policy"] == "optimal"]
    for r in optimal.itertuples(index=False):
        sentence = gain_sentence(r, level)
        parts.append(f"- {md_escape(r.scenario)}: {sentence}")
    if not optimal.empty:
        parts.append("")
    if diffs is None:
        missing.append("allocation/policy_differences.csv")
    else:
        parts += [
            f"Differences in the baseline scenario ({format_level(level)} intervals from "
            "paired draws):",
            "",
            *_difference_sentences(diffs, level),
            "",
        ]
    if (inp.results / "allocation" / "black_hole_by_policy.png").is_file():
        cap = "Black hole by policy, and the honest gain of each policy over the equal split"
        parts += [f"![{cap}](allocation/black_hole_by_policy.png)", "", f"*{cap}*", ""]
    start = next((i for i, t in enumerate(lines) if t.startswith("with ")), None)
    if start is not None:
        block = [t for t in lines[start:] if t.strip()]
        parts += ["The other model of the pair with the control function:", "", "```", *block,
                  "```", ""]  # fmt: skip
    return parts
