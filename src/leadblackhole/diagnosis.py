"""Design diagnosis: which estimator survives which departure, at which sample size.

A *diagnosis* simulates many studies from a grid of population designs
(scenario x number of reps x effect scale), fits every requested estimator to
each simulated study, computes every registry effect and compares it with its
population value. It runs on Dask (a local cluster, or an existing one).

Layering
--------
This module sits above :mod:`leadblackhole.models` and
:mod:`leadblackhole.effects` (it runs their estimators) and below
:mod:`leadblackhole.reporting` and the command line: it imports the simulation,
data and base layers at import time and the estimators' modules lazily, inside
the estimator objects, so that importing it (on a Dask worker, for the command
line's option checks) is cheap and an estimator in a module added later can be
registered without circular imports. It never renders figures
(:mod:`leadblackhole.reporting.diagnosis_figures` does).

Estimator registry
------------------
:data:`ESTIMATORS` maps a name to a callable ``estimator(frame) -> DataFrame``
that takes the :class:`~leadblackhole.data.AnalysisFrame` of one simulated
study and returns one row per registry effect it estimates, with columns
:data:`ESTIMATE_COLUMNS` (``id``, ``estimate``, ``std_error``, ``p_value``,
``conf_low``, ``conf_high``, ``supported``). An estimator whose fit fails
raises :class:`~leadblackhole.exceptions.EstimationError` (or warns
:class:`~leadblackhole.exceptions.ConvergenceWarning`); the replication is
then recorded as not converged. A share model registered with :func:`leadblackhole.models.register_model`
(fitted through :func:`~leadblackhole.models.fit_share_model`, read by the
effects engine through the results interface) becomes an estimator with one
line::

    register_estimator("my_model", EffectsEstimator("my_model"))

Outputs of :func:`run_diagnosis` (in ``out``)
---------------------------------------------
``replications.parquet``
    One row per scenario x N x effect scale x replication x estimator x
    effect. While a run is under way, each finished task writes a part file
    in ``replications.parts/``; a rerun of the same command reads them and
    runs only what is missing, so an interrupted run loses at most the tasks
    in flight.
``diagnosands.csv``
    See :func:`diagnosands`.
``mde.csv``
    See :func:`minimum_detectable_scale`.
"""

from __future__ import annotations

import io
import json
import time
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .compositions import compress_shares
from .data.frame import ANALYSIS_VARIABLES, AnalysisFrame
from .data.schema import PERCENT_COLUMNS
from .exceptions import ConvergenceWarning, DesignError, EstimationError, ZeroShareWarning
from .outputs import atomic_write_bytes, atomic_write_text, table_to_csv
from .registry import HYPOTHESES
from .simulation import StudyDesign, draw_study
from .specification import COMPONENTS

__all__ = [
    "CELL_COLUMNS",
    "DIAGNOSAND_COLUMNS",
    "ESTIMATE_COLUMNS",
    "ESTIMATORS",
    "SCENARIOS",
    "WORKER_MALLOC_ENV",
    "DiagnosisError",
    "DiagnosisResult",
    "EffectsEstimator",
    "Scenario",
    "diagnosands",
    "minimum_detectable_scale",
    "register_estimator",
    "replication_seed",
    "run_chunk",
    "run_diagnosis",
    "scenario_design",
    "simulate_frame",
]

#: Columns every estimator returns (one row per registry effect it estimates).
ESTIMATE_COLUMNS: tuple[str, ...] = (
    "id",
    "estimate",
    "std_error",
    "p_value",
    "conf_low",
    "conf_high",
    "supported",
)
#: Columns that identify a cell of the diagnosis grid.
CELL_COLUMNS: tuple[str, ...] = ("scenario", "n_reps", "effect_scale")
#: Test level of the registry (a hypothesis is supported at p < 0.05).
ALPHA: float = 0.05
_ORDER = {h.id: i for i, h in enumerate(HYPOTHESES)}
_SIGN = {h.id: h.expected_sign for h in HYPOTHESES}


class DiagnosisError(DesignError):
    """A design diagnosis cannot run as asked (bad option, unreachable scheduler)."""


# ---------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A departure of the population from the estimated model.

    Parameters
    ----------
    name : str
        Identifier used on the command line and in the outputs.
    description : str
        One line for tables and documentation.
    changes : Mapping
        :class:`~leadblackhole.simulation.StudyDesign` fields to set.
    zero_fraction : float
        Extra reps with no marketing-lead time, as a fraction of the
        analysable reps (``n_zero_marketing = round(zero_fraction * N)``).
    """

    name: str
    description: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    zero_fraction: float = 0.0


#: The scenarios of the estimator comparison (every departure of
#: :class:`~leadblackhole.simulation.StudyDesign`, one at a time).
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("default", "default design: percents heaped on multiples of 5"),
        Scenario("exact", "exact shares (the Dirichlet model holds)", {"heap_step": 0}),
        Scenario("rounding_10", "percents heaped on multiples of 10", {"heap_step": 10}),
        Scenario(
            "exact_reporters",
            "multiples of 10, but 30% of reps report whole percents",
            {"heap_step": 10, "exact_fraction": 0.3},
        ),
        Scenario(
            "latent_shares",
            "shares driven by the latent constructs, analysed with item means",
            {"share_driver": "latent"},
        ),
        Scenario(
            "varying_precision",
            "precision rises with experience (0.5 log-points per SD) and differs by firm",
            {"precision_experience": 0.5, "precision_firm": (0.0, 0.5, -0.5, 0.3)},
        ),
        Scenario(
            "selection",
            "25% more reps with no marketing time, selected on performance, experience "
            "and an unobservable correlated 0.5 with the share",
            {
                "selection_coef": {"performance": -0.5, "experience": -0.3},
                "selection_rho": 0.5,
            },
            zero_fraction=0.25,
        ),
        Scenario(
            "firm_slopes",
            "firm-specific slopes (SD half the slope) for prequal, tracking and volume",
            {"firm_slope_sd": {"prequal": 0.0625, "tracking": 0.0325, "volume": 0.0775}},
        ),
        Scenario(
            "method_factor",
            "common-method factor: loading 0.4 on every item, 0.3 on the marketing log-ratio",
            {"method_factor": 0.4, "method_factor_shares": 0.3},
        ),
        Scenario(
            "endogenous_volume",
            "leads routed to past performers (0.3 per SD) and to reps who work them "
            "(an unobservable, 0.3)",
            {"volume_routing": 0.3, "volume_confounding": 0.3},
        ),
    )
}


def scenario_design(scenario: str | Scenario, n_reps: int, effect_scale: float) -> StudyDesign:
    """The population design of one cell of the grid.

    Parameters
    ----------
    scenario : str or Scenario
        A name in :data:`SCENARIOS` or a :class:`Scenario`.
    n_reps : int
        Analysable reps of each simulated study.
    effect_scale : float
        Multiplier of every slope (:class:`~leadblackhole.simulation.StudyDesign`).

    Returns
    -------
    StudyDesign

    Raises
    ------
    DiagnosisError
        Unknown scenario name.

    Examples
    --------
    >>> scenario_design("rounding_10", 300, 0.5).heap_step
    10
    """
    sc = _scenario(scenario)
    changes = dict(sc.changes)
    if sc.zero_fraction:
        changes["n_zero_marketing"] = int(round(sc.zero_fraction * n_reps))
    return StudyDesign(n_reps=int(n_reps), effect_scale=float(effect_scale), **changes)


def _scenario(scenario: str | Scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if scenario not in SCENARIOS:
        raise DiagnosisError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    return SCENARIOS[scenario]


# ---------------------------------------------------------------------------
# the fast path from a design to an analysis frame
# ---------------------------------------------------------------------------

_ZERO_REASON = "no time on marketing leads (pct_marketing = 0)"


def simulate_frame(
    design: StudyDesign | None = None,
    seed: int | np.random.Generator | np.random.SeedSequence = 0,
) -> tuple[AnalysisFrame, Any]:
    """Simulate one study and return its analysis frame directly (the fast path).

    Parameters
    ----------
    design : StudyDesign, optional
        Population model (default :class:`StudyDesign()`).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        As for :func:`~leadblackhole.simulation.simulate`; the same seed gives
        the same study.

    Returns
    -------
    frame : AnalysisFrame
        Equal to ``build_analysis_frame(validate_survey(simulate(design,
        seed).survey))``, built without writing and re-reading the survey.
    truth : Truth

    Notes
    -----
    A simulated survey is valid by construction (integer Likert answers in
    1-7, percents summing to 100, no missing values), so the checks of
    :func:`~leadblackhole.data.validate_survey` and the missing-data logic of
    :func:`~leadblackhole.data.build_analysis_frame` have nothing to find; a
    design diagnosis calls this function thousands of times. The only
    exclusion possible is a rep with no marketing-lead time. The frame holds
    the shares as reported (divided by their row sum), like
    ``build_analysis_frame``; a test checks that both paths give the same
    frame. It lives here rather than in the simulator because the simulator
    imports nothing above the base layer and the analysis frame belongs to
    the data layer.

    Examples
    --------
    >>> frame, truth = simulate_frame(StudyDesign(), seed=7)
    >>> frame.n
    461
    """
    study = draw_study(design, seed)
    v = study.variables
    names = [c for c in ANALYSIS_VARIABLES if c in v.columns]
    values = v[names].to_numpy()
    pct = study.percents
    n = len(pct)
    ids, firm = study.rep_id, study.firm
    shares = pct / pct.sum(axis=1, keepdims=True)
    keep = pct[:, 0] > 0
    means_arr = values[keep].mean(axis=0)
    _, n_compressed = compress_shares(shares[keep])

    def table(rows, cols: np.ndarray, share_cols: np.ndarray | None, extra: bool) -> pd.DataFrame:
        out = {"rep_id": ids[rows], "firm": firm[rows]}
        out.update({c: cols[:, j] for j, c in enumerate(names)})
        if share_cols is not None:
            out.update({c: share_cols[:, k] for k, c in enumerate(COMPONENTS)})
        if extra:
            out.update({c: x[rows] for c, x in study.extras.items()})
        if share_cols is not None:  # the percents as reported, as build_analysis_frame keeps them
            out.update({c: pct[rows, k] for k, c in enumerate(PERCENT_COLUMNS)})
        return pd.DataFrame(out)

    data = table(keep, values[keep] - means_arr, shares[keep], False)
    sample = table(keep, values[keep], shares[keep], True)
    selection = table(slice(None), values - means_arr, None, False)
    selection["any_marketing"] = keep.astype(int)
    excl = np.flatnonzero(~keep)
    exclusions = pd.DataFrame(
        {
            "row": excl + 1,
            "rep_id": ids[excl],
            "reason": np.full(excl.size, _ZERO_REASON, dtype=object),
        }
    )
    frame = AnalysisFrame(
        data=data,
        raw=sample,
        means=pd.Series(means_arr, index=names),
        selection=selection,
        exclusions=exclusions,
        n_read=n,
        n_compressed=n_compressed,
        scales=study.scales,
        source="<simulated>",
    )
    return frame, study.truth


# ---------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectsEstimator:
    """An estimator made of a registered share model and the registry effects of its fit.

    Parameters
    ----------
    model : str
        A name of :func:`leadblackhole.models.registered_models`; the model is
        fitted with :func:`leadblackhole.models.fit_share_model` (imported when
        the estimator is first called, on the worker that runs it).
    fit_options : tuple of (str, value) pairs
        Keyword options of the fit (a tuple, so that the estimator stays
        hashable and picklable).
    variance : {"unconditional", "conditional"}
        Variance of the average effects
        (:class:`~leadblackhole.effects.EffectOptions`).

    Examples
    --------
    >>> est = EffectsEstimator("ols")
    >>> est.model
    'ols'
    """

    model: str
    fit_options: tuple[tuple[str, Any], ...] = ()
    variance: str = "unconditional"

    def __call__(self, frame) -> pd.DataFrame:
        """Fit the model to ``frame`` and return its registry effects (:data:`ESTIMATE_COLUMNS`)."""
        from .effects import EffectOptions, model_effects
        from .models import fit_share_model

        results = fit_share_model(frame, self.model, **dict(self.fit_options))
        options = EffectOptions(variance=self.variance, alpha=ALPHA)
        table = model_effects(results, frame, options=options, design=results.mean_design)
        return table[list(ESTIMATE_COLUMNS)]

    def estimate_columns(self, frame) -> dict[str, Any]:
        """What :meth:`__call__` returns, as a dict of columns (no DataFrame is built).

        Parameters
        ----------
        frame : AnalysisFrame

        Returns
        -------
        dict
            Keys :data:`ESTIMATE_COLUMNS`; values as
            :func:`leadblackhole.effects.registry_estimates` gives them.

        Notes
        -----
        The effects reuse the design the fit built (``results.mean_design``)
        when the model keeps it; :func:`run_chunk` calls this method when an
        estimator has it.

        Examples
        --------
        >>> frame, _ = simulate_frame(StudyDesign(n_reps=150), seed=1)
        >>> cols = EffectsEstimator("ols").estimate_columns(frame)
        >>> cols["id"][:2]
        ['H1', 'H3']
        """
        from .effects import EffectOptions, registry_estimates
        from .models import fit_share_model

        results = fit_share_model(frame, self.model, **dict(self.fit_options))
        options = EffectOptions(variance=self.variance, alpha=ALPHA)
        cols = registry_estimates(results, frame, options=options, design=results.mean_design)
        return {c: cols[c] for c in ESTIMATE_COLUMNS}


#: Registered estimators: name -> ``estimator(frame) -> DataFrame`` (:data:`ESTIMATE_COLUMNS`).
ESTIMATORS: dict[str, Callable[[Any], pd.DataFrame]] = {}


def register_estimator(
    name: str, estimator: Callable[[Any], pd.DataFrame], *, replace: bool = False
) -> None:
    """Add an estimator to :data:`ESTIMATORS`.

    Parameters
    ----------
    name : str
        Name used on the command line (``--estimators``) and in the outputs.
    estimator : callable
        ``estimator(frame) -> DataFrame`` with columns :data:`ESTIMATE_COLUMNS`
        (see the module documentation); it must be picklable to run on Dask
        (a module-level function or an :class:`EffectsEstimator`).
    replace : bool
        Allow replacing an estimator of the same name.

    Raises
    ------
    DiagnosisError
        The name is taken (and ``replace`` is false) or not a plain identifier.

    Examples
    --------
    >>> register_estimator(
    ...     "ols_conditional", EffectsEstimator("ols", variance="conditional"), replace=True
    ... )
    """
    if not name or not name.replace("_", "").isalnum():
        raise DiagnosisError(f"estimator names are letters, digits and '_'; got {name!r}")
    if name in ESTIMATORS and not replace:
        raise DiagnosisError(f"an estimator named {name!r} is already registered")
    ESTIMATORS[name] = estimator


register_estimator("dirichlet", EffectsEstimator("dirichlet"))
register_estimator("ols", EffectsEstimator("ols"))
register_estimator("fractional_logit", EffectsEstimator("fractional_logit"))
register_estimator("fmlogit", EffectsEstimator("fmlogit"))
# the rounding step is detected on each simulated study ("auto")
register_estimator("dirichlet_rounded", EffectsEstimator("dirichlet_rounded"))


# ---------------------------------------------------------------------------
# one task: a chunk of replications of one cell
# ---------------------------------------------------------------------------


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


def _fit_one(estimator: Callable, frame) -> tuple[dict[str, Any] | None, str]:
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
    sc = _scenario(scenario)
    design = scenario_design(sc, n_reps, effect_scale)
    cols: dict[str, list] = {c: [] for c in _ROW_COLUMNS}
    failed_ids = [h.id for h in HYPOTHESES]
    failed = {c: [np.nan] * len(failed_ids) for c in ESTIMATE_COLUMNS}
    failed["id"] = failed_ids
    failed["supported"] = [pd.NA] * len(failed_ids)
    effects, value, per_sd = None, {}, {}
    for rep in reps:
        frame, truth = simulate_frame(design, seed=replication_seed(seed, rep))
        if truth.effects is not effects:  # the population truth of the design
            effects = truth.effects
            value = dict(zip(effects.index, effects["value"].to_numpy(), strict=True))
            per_sd = dict(zip(effects.index, effects["per_sd_pp"].to_numpy(), strict=True))
        for name, estimator in estimators.items():
            table, note = _fit_one(estimator, frame)
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
    return _typed(out)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
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


# ---------------------------------------------------------------------------
# diagnosands
# ---------------------------------------------------------------------------

#: Columns of ``diagnosands.csv`` after the cell, estimator and effect id.
DIAGNOSAND_COLUMNS: tuple[str, ...] = (
    "expected_sign",
    "n_sims",
    "n_failed",
    "truth",
    "truth_per_sd_pp",
    "mean_estimate",
    "mean_estimate_mcse",
    "bias",
    "bias_mcse",
    "relative_bias",
    "relative_bias_mcse",
    "rmse",
    "rmse_mcse",
    "coverage",
    "coverage_mcse",
    "power",
    "power_mcse",
    "type_s",
    "type_s_mcse",
    "se_ratio",
    "se_ratio_mcse",
)


def _summarise(g: pd.DataFrame) -> dict[str, float]:
    ok = g[g["converged"]]
    r = len(ok)
    truth = float(g["truth"].iloc[0])
    out = {
        "expected_sign": _SIGN.get(g["id"].iloc[0], 0),
        "n_sims": r,
        "n_failed": len(g) - r,
        "truth": truth,
        "truth_per_sd_pp": float(g["truth_per_sd_pp"].iloc[0]),
    }
    est = ok["estimate"].to_numpy()
    se = ok["std_error"].to_numpy()
    nan = float("nan")
    if r == 0:
        return out | {c: nan for c in DIAGNOSAND_COLUMNS if c not in out}
    sd = est.std(ddof=1) if r > 1 else nan
    mean = est.mean()
    out["mean_estimate"] = mean
    out["mean_estimate_mcse"] = sd / np.sqrt(r)
    out["bias"] = mean - truth
    out["bias_mcse"] = sd / np.sqrt(r)
    out["relative_bias"] = (mean - truth) / truth if truth else nan
    out["relative_bias_mcse"] = sd / np.sqrt(r) / abs(truth) if truth else nan
    sq = (est - truth) ** 2
    mse = sq.mean()
    out["rmse"] = np.sqrt(mse)
    out["rmse_mcse"] = (sq.std(ddof=1) / np.sqrt(r)) / (2 * np.sqrt(mse)) if r > 1 else nan
    cover = ((ok["conf_low"] <= truth) & (truth <= ok["conf_high"])).to_numpy()
    out["coverage"] = cover.mean()
    out["coverage_mcse"] = np.sqrt(cover.mean() * (1 - cover.mean()) / r)
    sig = ok["p_value"].to_numpy() < ALPHA
    if out["expected_sign"]:
        hit = ok["supported"].fillna(False).to_numpy(dtype=bool)
    else:
        hit = sig
    out["power"] = hit.mean()
    out["power_mcse"] = np.sqrt(hit.mean() * (1 - hit.mean()) / r)
    n_sig = int(sig.sum())
    if n_sig and truth:
        wrong = np.sign(est[sig]) != np.sign(truth)
        out["type_s"] = wrong.mean()
        out["type_s_mcse"] = np.sqrt(wrong.mean() * (1 - wrong.mean()) / n_sig)
    else:
        out["type_s"] = out["type_s_mcse"] = nan
    ratio = se.mean() / sd if r > 1 and sd > 0 else nan
    out["se_ratio"] = ratio
    # Morris, White & Crowther (2019), relative error in the model SE
    out["se_ratio_mcse"] = (
        ratio * np.sqrt(se.var(ddof=1) / (r * se.mean() ** 2) + 1 / (2 * (r - 1))) if r > 1 else nan
    )
    return out


def diagnosands(replications: pd.DataFrame) -> pd.DataFrame:
    """Summarise replications into the diagnosands of every cell, estimator and effect.

    Parameters
    ----------
    replications : DataFrame
        Rows of :func:`run_chunk` (``replications.parquet``).

    Returns
    -------
    DataFrame
        One row per scenario x N x effect scale x estimator x effect, in the
        order of the input, with columns :data:`CELL_COLUMNS`, ``estimator``,
        ``id`` and :data:`DIAGNOSAND_COLUMNS`.

    Notes
    -----
    Over the ``R`` converged replications with estimates :math:`\\hat\\theta_r`,
    standard errors :math:`s_r` and population value :math:`\\theta`:
    bias :math:`\\bar\\theta - \\theta` (MCSE :math:`S/\\sqrt R`, S the SD of the
    estimates); relative bias = bias / θ; RMSE
    :math:`\\sqrt{\\overline{(\\hat\\theta-\\theta)^2}}` (MCSE by the delta method,
    :math:`SD((\\hat\\theta-\\theta)^2)/(2\\sqrt R\\,RMSE)`); coverage of the 95%
    intervals and power (share *supported*: expected sign and p < 0.05; for an
    exploratory effect, share with p < 0.05) with binomial MCSE
    :math:`\\sqrt{p(1-p)/R}`; type-S rate = share of the significant estimates
    whose sign is not the sign of θ (Gelman & Carlin 2014), MCSE binomial over
    the significant ones; ``se_ratio`` = mean SE / S, MCSE after Morris, White
    & Crowther (2019). Non-converged fits count in ``n_failed`` only.

    Examples
    --------
    >>> table = diagnosands(replications)  # doctest: +SKIP
    """
    keys = [*CELL_COLUMNS, "estimator", "id"]
    rows = []
    for key, g in replications.groupby(keys, sort=False):
        rows.append(dict(zip(keys, key, strict=True)) | _summarise(g))
    out = pd.DataFrame(rows, columns=[*keys, *DIAGNOSAND_COLUMNS])
    return out.astype({"expected_sign": "int64", "n_sims": "int64", "n_failed": "int64"})


def minimum_detectable_scale(table: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Smallest effect scale with power >= ``target``, per scenario, estimator, effect and N.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`diagnosands`.
    target : float
        Power required (default 0.8).

    Returns
    -------
    DataFrame
        ``scenario``, ``estimator``, ``id``, ``n_reps``, ``mde_scale``,
        ``mde_per_sd_pp`` (the population effect at that scale, percentage
        points per SD) and ``note``: ``"interpolated"``; ``"at or below the
        smallest scale"`` (power already reaches the target there: the value
        is an upper bound); ``"not reached"`` (NaN).

    Notes
    -----
    Power is interpolated linearly in the effect scale between the two grid
    points that bracket the target (the first crossing from below); the
    population effect is interpolated the same way. Directional hypotheses
    only.

    Examples
    --------
    >>> mde = minimum_detectable_scale(diagnosands(replications))  # doctest: +SKIP
    """
    rows = []
    directional = table[table["expected_sign"] != 0]
    keys = ["scenario", "estimator", "id", "n_reps"]
    for key, g in directional.groupby(keys, sort=False):
        g = g.sort_values("effect_scale")
        s = g["effect_scale"].to_numpy()
        p = g["power"].to_numpy()
        v = g["truth_per_sd_pp"].to_numpy()
        scale, value, note = np.nan, np.nan, "not reached"
        above = np.flatnonzero(p >= target)
        if above.size:
            j = above[0]
            if j == 0:
                scale, value, note = s[0], v[0], "at or below the smallest scale"
            else:
                w = (target - p[j - 1]) / (p[j] - p[j - 1])
                scale = s[j - 1] + w * (s[j] - s[j - 1])
                value = v[j - 1] + w * (v[j] - v[j - 1])
                note = "interpolated"
        rows.append(
            dict(zip(keys, key, strict=True))
            | {"mde_scale": scale, "mde_per_sd_pp": value, "note": note}
        )
    return pd.DataFrame(rows, columns=[*keys, "mde_scale", "mde_per_sd_pp", "note"])


# ---------------------------------------------------------------------------
# the run: grid, resumption, Dask
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DiagnosisResult:
    """What :func:`run_diagnosis` returns (and wrote to ``out``).

    Attributes
    ----------
    replications, diagnosands, mde : DataFrame
        The contents of ``replications.parquet``, ``diagnosands.csv``, ``mde.csv``.
    paths : dict
        Output name -> path.
    n_computed : int
        Replication x estimator fits computed in this call (the rest were
        read from an earlier, interrupted run).
    seconds : float
        Wall time of this call.
    """

    replications: pd.DataFrame
    diagnosands: pd.DataFrame
    mde: pd.DataFrame
    paths: dict
    n_computed: int
    seconds: float


PARTS_DIR = "replications.parts"
_RUN_FILE = "diagnosis.json"


def _check_options(sims, n_reps, effect_scales, scenarios, estimators, chunk_size, workers):
    if sims < 1:
        raise DiagnosisError(f"--sims must be at least 1, got {sims}")
    if chunk_size < 1:
        raise DiagnosisError(f"the chunk size must be at least 1, got {chunk_size}")
    if workers is not None and workers < 0:
        raise DiagnosisError(f"--workers must be >= 0, got {workers}")
    if not n_reps or any(n < 30 for n in n_reps):
        raise DiagnosisError(f"every N of --n-reps must be at least 30, got {list(n_reps)}")
    if not effect_scales or any(not np.isfinite(s) or s < 0 for s in effect_scales):
        raise DiagnosisError(f"effect scales must be >= 0, got {list(effect_scales)}")
    for s in scenarios:
        _scenario(s)
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown or not estimators:
        raise DiagnosisError(
            f"unknown estimator(s) {unknown or '(none given)'}; known: {', '.join(ESTIMATORS)}"
        )


def _cell_key(scenario: str, n: int, scale: float) -> str:
    return f"{scenario}-n{n}-s{scale:g}"


def _read_parts(parts: Path) -> pd.DataFrame:
    files = sorted(parts.glob("*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _part_name(scenario, n, scale, reps, estimators) -> str:
    tag = zlib.crc32(",".join(estimators).encode()) & 0xFFFFFFFF
    return f"{_cell_key(scenario, n, scale)}-r{reps[0]:06d}-{reps[-1]:06d}-{tag:08x}.parquet"


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow")
    return buf.getvalue()


def _tasks(done: pd.DataFrame, grid, sims: int, estimators: Sequence[str], chunk_size: int):
    """Chunks of (cell, reps, estimators) still to compute."""
    have: dict[tuple, set[str]] = {}
    if len(done):
        pairs = done[[*CELL_COLUMNS, "rep", "estimator"]].drop_duplicates()
        for sc, n, s, rep, est in pairs.itertuples(index=False):
            have.setdefault((sc, int(n), float(s), int(rep)), set()).add(est)
    tasks = []
    for sc, n, s in grid:
        pending: list[tuple[int, tuple[str, ...]]] = []
        for rep in range(sims):
            missing = tuple(e for e in estimators if e not in have.get((sc, n, s, rep), set()))
            if missing:
                pending.append((rep, missing))
        i = 0
        while i < len(pending):
            missing = pending[i][1]
            reps = []
            while i < len(pending) and pending[i][1] == missing and len(reps) < chunk_size:
                reps.append(pending[i][0])
                i += 1
            tasks.append((sc, n, s, reps, missing))
    return tasks


#: glibc allocator settings of the local cluster's worker processes (bytes; see
#: :func:`_local_cluster`).
WORKER_MALLOC_ENV: dict[str, str] = {
    "MALLOC_TRIM_THRESHOLD_": str(64 * 2**20),
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
}


def _local_cluster(n_workers: int):
    """A ``LocalCluster`` of ``n_workers`` single-threaded worker processes.

    Notes
    -----
    Dask starts its worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``
    (configuration ``distributed.nanny.pre-spawn-environ``), so that a worker
    hands freed memory back to the operating system at once. Setting it also
    turns off glibc's dynamic mmap threshold: every array above 128 KiB is then
    mapped and unmapped afresh, and a replication of the main model, whose
    effects stack arrays of a few hundred KiB, took about 6 900 page faults and
    15 ms of system time (44 ms of CPU against 25 ms in one process). The
    workers of this cluster start with :data:`WORKER_MALLOC_ENV` instead: the
    state glibc's dynamic thresholds reach by themselves (mmap above 32 MiB,
    trim above 64 MiB), under which a replication costs the same CPU in a
    worker as in one process. BLAS stays single-threaded in each worker
    (Dask's default ``OMP_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1``). A
    variable already set in the environment takes precedence (Dask's rule).
    """
    import logging

    import dask
    from dask.distributed import LocalCluster

    key = "distributed.nanny.pre-spawn-environ"
    with dask.config.set({f"{key}.{k}": v for k, v in WORKER_MALLOC_ENV.items()}):
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )


def _connect(workers: int | None, scheduler: str | None, timeout: float):
    """A Dask client (and the LocalCluster it owns, if any)."""
    import os

    from dask.distributed import Client

    if scheduler:
        try:
            return Client(scheduler, timeout=timeout), None
        except (OSError, TimeoutError) as exc:
            raise DiagnosisError(
                f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s ({exc})"
            ) from None
    cluster = _local_cluster(workers or os.cpu_count() or 1)
    return Client(cluster), cluster


def run_diagnosis(
    out: str | Path,
    *,
    sims: int,
    seed: int,
    n_reps: Sequence[int] = (461,),
    effect_scales: Sequence[float] = (1.0,),
    scenarios: Sequence[str] = ("default",),
    estimators: Sequence[str] = ("dirichlet", "ols", "fractional_logit"),
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = 25,
    progress: bool = True,
    connect_timeout: float = 10.0,
) -> DiagnosisResult:
    """Run (or resume) a design diagnosis and write its tables to ``out``.

    Parameters
    ----------
    out : path
        Output folder (created). Holds ``replications.parquet``,
        ``diagnosands.csv``, ``mde.csv``, ``diagnosis.json`` (the seed) and,
        while a run is under way, ``replications.parts/``.
    sims : int
        Replications per cell.
    seed : int
        Master seed; replication ``i`` uses :func:`replication_seed` ``(seed, i)``.
    n_reps : sequence of int
        Analysable reps per simulated study (the N axis).
    effect_scales : sequence of float
        Multipliers of every slope (the effect-size axis).
    scenarios : sequence of str
        Names in :data:`SCENARIOS`.
    estimators : sequence of str
        Names in :data:`ESTIMATORS`.
    workers : int, optional
        Worker processes of the local Dask cluster (default: one per core);
        ``0`` runs every task in this process without Dask.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://HOST:PORT``); then
        ``workers`` is ignored.
    chunk_size : int
        Replications per Dask task (default 25).
    progress : bool
        Show a progress bar (tqdm).
    connect_timeout : float
        Seconds to wait for ``scheduler``.

    Returns
    -------
    DiagnosisResult

    Raises
    ------
    DiagnosisError
        Bad options, a folder holding a run with another seed, or an
        unreachable scheduler.

    Notes
    -----
    Results do not depend on the number of workers, the chunk size or the
    order in which tasks finish: every replication draws from its own seed,
    the final tables are sorted, and a rerun of the same call with more
    replications, scenarios or estimators computes only what is missing.

    Examples
    --------
    >>> res = run_diagnosis("diag", sims=20, seed=1, workers=0)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    n_reps = [int(n) for n in n_reps]
    effect_scales = [float(s) for s in effect_scales]
    scenarios, estimators = list(scenarios), list(estimators)
    _check_options(sims, n_reps, effect_scales, scenarios, estimators, chunk_size, workers)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run_file = out / _RUN_FILE
    if run_file.exists():
        previous = json.loads(run_file.read_text())
        if previous.get("seed") != seed:
            raise DiagnosisError(
                f"{out} holds a diagnosis with seed {previous.get('seed')}; "
                f"use another folder for seed {seed}"
            )
    else:
        atomic_write_text(run_file, json.dumps({"seed": seed}) + "\n")
    parts = out / PARTS_DIR
    parts.mkdir(exist_ok=True)
    done = _read_parts(parts)
    grid = [(sc, n, s) for sc in scenarios for n in n_reps for s in effect_scales]
    tasks = _tasks(done, grid, sims, estimators, chunk_size)
    chosen = {e: ESTIMATORS[e] for e in estimators}
    n_computed = 0
    if tasks:
        n_computed = _execute(tasks, chosen, seed, parts, workers, scheduler, progress,
                              connect_timeout)  # fmt: skip
    reps = _read_parts(parts)
    reps = _select(reps, scenarios, n_reps, effect_scales, estimators, sims)
    table = diagnosands(reps)
    mde = minimum_detectable_scale(table)
    paths = {
        "replications.parquet": atomic_write_bytes(
            out / "replications.parquet", _parquet_bytes(reps)
        ),
        "diagnosands.csv": atomic_write_text(out / "diagnosands.csv", table_to_csv(table)),
        "mde.csv": atomic_write_text(out / "mde.csv", table_to_csv(mde)),
    }
    return DiagnosisResult(
        replications=reps,
        diagnosands=table,
        mde=mde,
        paths=paths,
        n_computed=n_computed,
        seconds=time.perf_counter() - t0,
    )


def _select(reps, scenarios, n_reps, scales, estimators, sims) -> pd.DataFrame:
    """The requested rows, without duplicates, in a fixed order."""
    if not len(reps):
        raise DiagnosisError("no replication was computed")
    keep = (
        reps["scenario"].isin(scenarios)
        & reps["n_reps"].isin(n_reps)
        & reps["effect_scale"].isin(scales)
        & reps["estimator"].isin(estimators)
        & (reps["rep"] < sims)
    )
    reps = reps[keep].drop_duplicates([*CELL_COLUMNS, "rep", "estimator", "id"])
    order = pd.DataFrame(
        {
            "_sc": reps["scenario"].map({s: i for i, s in enumerate(scenarios)}),
            "_n": reps["n_reps"].map({n: i for i, n in enumerate(n_reps)}),
            "_s": reps["effect_scale"].map({s: i for i, s in enumerate(scales)}),
            "_e": reps["estimator"].map({e: i for i, e in enumerate(estimators)}),
            "_rep": reps["rep"],
            "_id": reps["id"].map(_ORDER),
        }
    )
    idx = order.sort_values(list(order.columns), kind="stable").index
    return _typed(reps.loc[idx].reset_index(drop=True))


def _execute(tasks, estimators, seed, parts, workers, scheduler, progress, timeout) -> int:
    """Run the tasks (on Dask unless ``workers == 0``), writing a part file per finished task."""
    from tqdm.auto import tqdm

    total = sum(len(t[3]) * len(t[4]) for t in tasks)
    bar = tqdm(total=total, desc="design diagnosis", unit="fit", disable=not progress)

    def finish(task, df):
        sc, n, s, reps, est = task
        atomic_write_bytes(parts / _part_name(sc, n, s, reps, est), _parquet_bytes(df))
        bar.update(len(reps) * len(est))

    def args(task):
        sc, n, s, reps, est = task
        return (sc, n, s, reps, {e: estimators[e] for e in est}, seed)

    try:
        if workers == 0 and not scheduler:
            for task in tasks:
                finish(task, run_chunk(*args(task)))
            return total
        from dask.distributed import as_completed

        client, cluster = _connect(workers, scheduler, timeout)
        try:
            futures = {client.submit(run_chunk, *args(t), pure=False): t for t in tasks}
            for fut in as_completed(futures):
                finish(futures[fut], fut.result())
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    finally:
        bar.close()
    return total
