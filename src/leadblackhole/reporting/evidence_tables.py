"""The evidence tables of the documentation, rendered from a design diagnosis.

``make evidence`` (``benchmarks/evidence.py``) runs the diagnosis grid and writes
its tables into the Markdown pages between generated-table markers::

    <!-- generated: NAME -->
    ...table written by the script...
    <!-- end generated: NAME -->

so that no number of an evidence table is typed by hand. This module renders
the tables (:func:`diagnosand_table`) and replaces a marked block
(:func:`replace_generated`); it computes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..exceptions import OutputError
from ..registry import HYPOTHESES

__all__ = ["DIAGNOSAND_FORMATS", "diagnosand_table", "generated_names", "replace_generated"]

_IDS = [h.id for h in HYPOTHESES]
_DASH = "–"


def _percent(x: float) -> str:
    return f"{x:+.0%}"


def _two(x: float) -> str:
    return f"{x:.2f}"


def _points(x: float) -> str:
    return f"{x:.1%}"


#: diagnosand -> how a value is written (relative bias in signed percent, rates to 2 decimals).
DIAGNOSAND_FORMATS = {
    "relative_bias": _percent,
    "coverage": _two,
    "power": _two,
    "se_ratio": _two,
    "relative_bias_mcse": _points,
}


def diagnosand_table(
    table: pd.DataFrame,
    value: str,
    *,
    scenarios: Sequence[str] | None = None,
    estimators: Sequence[str] | None = None,
    n_reps: int = 461,
    effect_scale: float = 1.0,
    studies: bool = False,
) -> str:
    """A Markdown table of one diagnosand: a row per scenario and estimator, a column per effect.

    Parameters
    ----------
    table : DataFrame
        ``diagnosands.csv`` of :func:`leadblackhole.diagnosis.run_diagnosis`.
    value : {"relative_bias", "coverage", "power", "se_ratio", "relative_bias_mcse"}
        The diagnosand (:data:`DIAGNOSAND_FORMATS`; ``relative_bias_mcse`` is the
        Monte Carlo standard error of the relative bias, in percentage points).
    scenarios, estimators : sequence of str, optional
        Rows, in this order (default: as they come in ``table``); a scenario x
        estimator pair the table lacks is left out.
    n_reps, effect_scale : int, float
        The cell of the grid.
    studies : bool
        Add a column ``studies`` (the row's simulated studies, ``n_sims``), for a
        table whose rows rest on different numbers of studies.

    Returns
    -------
    str
        The table, ending with a newline; "–" where the estimator has no value
        (no row for the effect, or every fit failed).

    Raises
    ------
    OutputError
        An unknown diagnosand.

    Examples
    --------
    >>> t = pd.DataFrame({"scenario": ["default"], "n_reps": [461], "effect_scale": [1.0],
    ...                   "estimator": ["ols"], "id": ["H1"], "coverage": [0.945]})
    >>> print(diagnosand_table(t, "coverage").splitlines()[2])
    | default | ols | 0.94 | – | – | – | – | – | – | – | – | – | – | – |
    """
    if value not in DIAGNOSAND_FORMATS:
        raise OutputError(
            f"unknown diagnosand {value!r}; expected one of {sorted(DIAGNOSAND_FORMATS)}"
        )
    fmt = DIAGNOSAND_FORMATS[value]
    cell = table[(table["n_reps"] == n_reps) & np.isclose(table["effect_scale"], effect_scale)]
    scenarios = list(dict.fromkeys(cell["scenario"])) if scenarios is None else list(scenarios)
    estimators = list(dict.fromkeys(cell["estimator"])) if estimators is None else estimators
    extra = ["studies"] if studies else []
    lines = [
        "| scenario | estimator | " + " | ".join(extra + _IDS) + " |",
        "|---|---|" + "---:|" * (len(extra) + len(_IDS)),
    ]
    for sc in scenarios:
        for est in estimators:
            rows = cell[(cell["scenario"] == sc) & (cell["estimator"] == est)]
            if rows.empty:
                continue
            values = dict(zip(rows["id"], rows[value], strict=True))
            text = [
                fmt(float(values[i])) if i in values and np.isfinite(values[i]) else _DASH
                for i in _IDS
            ]
            if studies:
                text.insert(0, str(int(rows["n_sims"].max())))
            lines.append(f"| {sc} | {est} | " + " | ".join(text) + " |")
    return "\n".join(lines) + "\n"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"


def generated_names(text: str) -> list[str]:
    """The names of the generated blocks of a page, in order.

    Examples
    --------
    >>> generated_names("a\\n<!-- generated: x -->\\n<!-- end generated: x -->\\n")
    ['x']
    """
    return re.findall(r"<!-- generated: ([\w.-]+) -->", text)


def replace_generated(text: str, name: str, body: str) -> str:
    """``text`` with the block between the markers of ``name`` replaced by ``body``.

    Parameters
    ----------
    text : str
        A Markdown page.
    name : str
        The block's name (``<!-- generated: NAME -->`` ... ``<!-- end generated: NAME -->``).
    body : str
        What goes between the markers (a newline is added when it lacks one).

    Returns
    -------
    str

    Raises
    ------
    OutputError
        The page lacks either marker, or holds one of them more than once.

    Examples
    --------
    >>> page = "x\\n<!-- generated: t -->\\nold\\n<!-- end generated: t -->\\ny\\n"
    >>> print(replace_generated(page, "t", "new"), end="")
    x
    <!-- generated: t -->
    new
    <!-- end generated: t -->
    y
    """
    start, end = _markers(name)
    if text.count(start) != 1 or text.count(end) != 1:
        raise OutputError(
            f"the page needs exactly one '{start}' and one '{end}' "
            f"(found {text.count(start)} and {text.count(end)})"
        )
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    if not body.endswith("\n"):
        body += "\n"
    return f"{head}{start}\n{body}{end}{tail}"
