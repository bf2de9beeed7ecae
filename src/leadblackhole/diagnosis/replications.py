"""One task of a design diagnosis: simulate and fit a chunk of replications of one cell.

:func:`run_chunk` is the unit of work the runner sends to a Dask worker (the
worker imports this module to run it): every replication draws its own
study from :func:`replication_seed`, builds its analysis frame on the fast
path and fits every requested estimator; the rows it returns, one per
replication x estimator x effect, are those of ``replications.parquet``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceWarning, DiagnosisError, EstimationError, ZeroShareWarning
from ..registry import HYPOTHESES
from .estimators import ESTIMATE_COLUMNS
from .frames import simulate_frame
from .scenarios import Scenario, resolve_scenario, scenario_design

__all__ = ["CELL_COLUMNS", "replication_seed", "run_chunk", "typed_replications"]

#: Columns that identify a cell of the diagnosis grid.
CELL_COLUMNS: tuple[str, ...] = ("scenario", "n_reps", "effect_scale")


def replication_seed(seed: int, rep: int) -> np.random.SeedSequence:
    """Seed of replication ``rep``: the ``rep``-th child of ``SeedSequence(seed)``.

    Parameters
    ----------
    seed : int
        Master seed of the diagnosis.
    rep : int
        Replication index (0-based).

    Returns
    -------
    numpy.random.SeedSequence
        Equal to ``SeedSequence(seed).spawn(rep + 1)[rep]``, computed without
        spawning the ``rep`` siblings.

    Notes
    -----
    The seed depends on the replication index only, not on the cell: every
    cell of the grid (scenario, N, effect scale) uses the same seeds, i.e.
    common random numbers, which make differences between cells (a power
    curve, the comparison of scenarios) less noisy than independent draws
    would. The result never depends on the number of workers or the order in
    which tasks finish.

    Examples
    --------
    >>> s = replication_seed(1, 3)
    >>> s.spawn_key
    (3,)
    """
    return np.random.SeedSequence(int(seed), spawn_key=(int(rep),))


def _fit_replication(estimator: Callable, frame) -> tuple[dict[str, Any] | None, str]:
    """The estimator's columns (:data:`ESTIMATE_COLUMNS`) on ``frame``, or None and why not."""
    fast = getattr(estimator, "estimate_columns", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroShareWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            table = fast(frame) if callable(fast) else estimator(frame)
        except (EstimationError, ConvergenceWarning, np.linalg.LinAlgError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:200]
    names = table.keys() if isinstance(table, Mapping) else table.columns
    missing = [c for c in ESTIMATE_COLUMNS if c not in names]
    if missing:
        raise DiagnosisError(f"an estimator returned a table without the column(s) {missing}")
    if isinstance(table, Mapping):
        return dict(table), ""
    return {c: table[c].to_numpy(dtype=object if c == "supported" else None)
            for c in ESTIMATE_COLUMNS}, ""  # fmt: skip


#: Columns of one task's rows, after the cell (see :func:`run_chunk`).
_ROW_COLUMNS: tuple[str, ...] = (
    "rep",
    "estimator",
    *ESTIMATE_COLUMNS,
    "truth",
    "truth_per_sd_pp",
    "converged",
    "note",
)


def run_chunk(
    scenario: str | Scenario,
    n_reps: int,
    effect_scale: float,
    reps: Sequence[int],
    estimators: Mapping[str, Callable],
    seed: int,
    truth: Any = None,
) -> pd.DataFrame:
    """Simulate and fit a chunk of replications of one cell (the unit of work on Dask).

    Parameters
    ----------
    scenario, n_reps, effect_scale
        The cell (see :func:`scenario_design`).
    reps : sequence of int
        Replication indices.
    estimators : Mapping
        Name -> estimator (see :data:`ESTIMATORS`).
    seed : int
        Master seed (see :func:`replication_seed`).
    truth : Truth, optional
        The population truth of the cell's design
        (:func:`~leadblackhole.simulation.population_truth`), computed once by
        the caller and handed to every task; default: computed here (once per
        process and design). Computing it costs about as much as 250
        replications of the main model, so a Dask run computes it in the client
        rather than in every worker.

    Returns
    -------
    DataFrame
        One row per replication x estimator x effect: the cell, ``rep``,
        ``estimator``, :data:`ESTIMATE_COLUMNS`, ``truth`` (population value),
        ``truth_per_sd_pp`` (population value in percentage points per SD),
        ``converged`` and ``note`` (why a fit failed). A failed fit gives one
        row per registry effect with missing estimates.

    Notes
    -----
    The rows are gathered as columns and the table is built once per chunk.
    """
    sc = resolve_scenario(scenario)
    design = scenario_design(sc, n_reps, effect_scale)
    cols: dict[str, list] = {c: [] for c in _ROW_COLUMNS}
    failed_ids = [h.id for h in HYPOTHESES]
    failed = {c: [np.nan] * len(failed_ids) for c in ESTIMATE_COLUMNS}
    failed["id"] = failed_ids
    failed["supported"] = [pd.NA] * len(failed_ids)
    effects, value, per_sd = None, {}, {}
    for rep in reps:
        frame, truth = simulate_frame(design, seed=replication_seed(seed, rep), truth=truth)
        if truth.effects is not effects:  # the population truth of the design
            effects = truth.effects
            value = dict(zip(effects.index, effects["value"].to_numpy(), strict=True))
            per_sd = dict(zip(effects.index, effects["per_sd_pp"].to_numpy(), strict=True))
        for name, estimator in estimators.items():
            table, note = _fit_replication(estimator, frame)
            if table is None:
                table = failed
            ids = list(table["id"])
            k = len(ids)
            for c in ESTIMATE_COLUMNS:
                cols[c].extend(table[c])
            cols["rep"].extend([int(rep)] * k)
            cols["estimator"].extend([name] * k)
            cols["truth"].extend([value.get(i, np.nan) for i in ids])
            cols["truth_per_sd_pp"].extend([per_sd.get(i, np.nan) for i in ids])
            cols["converged"].extend([not note] * k)
            cols["note"].extend([note] * k)
    n = len(cols["rep"])
    out = pd.DataFrame(
        {
            "scenario": [sc.name] * n,
            "n_reps": np.full(n, int(n_reps), dtype="int64"),
            "effect_scale": np.full(n, float(effect_scale)),
            **{c: cols[c] for c in _ROW_COLUMNS if c != "supported"},
            "supported": pd.array(cols["supported"], dtype="boolean"),
        },
        columns=[*CELL_COLUMNS, *_ROW_COLUMNS],
    )
    return typed_replications(out)


def typed_replications(df: pd.DataFrame) -> pd.DataFrame:
    """The replication rows with the column types of ``replications.parquet``.

    Parameters
    ----------
    df : DataFrame
        Rows of :func:`run_chunk` (or read back from part files).

    Returns
    -------
    DataFrame
        The same rows; ``supported`` as pandas' nullable boolean.
    """
    df = df.astype(
        {
            "scenario": str,
            "n_reps": "int64",
            "effect_scale": "float64",
            "rep": "int64",
            "estimator": str,
            "id": str,
            "estimate": "float64",
            "std_error": "float64",
            "p_value": "float64",
            "conf_low": "float64",
            "conf_high": "float64",
            "truth": "float64",
            "truth_per_sd_pp": "float64",
            "converged": bool,
            "note": str,
        }
    )
    df["supported"] = df["supported"].astype("boolean")
    return df
