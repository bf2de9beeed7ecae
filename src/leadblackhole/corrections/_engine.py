"""What both corrections share: inputs, the second-step fit, the bootstrap of both steps."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..effects import HYPOTHESIS_COLUMNS, EffectOptions, model_effects, registry_estimates
from ..exceptions import ConvergenceWarning, EstimationError, ZeroShareWarning
from ..models import (
    DirichletRegression,
    RoundedDirichletRegression,
    ShareResults,
    analysis_data,
    fit_share_model,
    rounding_step_of,
)
from ..specification import COMPONENTS, design_matrix, firm_levels
from .results import CorrectedResults, bootstrap_inference
from .sandwich import LinearFirstStep, sandwich_inference

#: Main models a correction can be applied to.
MAIN_MODELS: tuple[str, ...] = ("dirichlet", "dirichlet_rounded")
MainModel = Literal["dirichlet", "dirichlet_rounded"]

#: Error-free covariates every first step conditions on (with the firm dummies).
ERROR_FREE: tuple[str, ...] = ("volume", "experience", "performance", "variable_pay")

#: Default number of bootstrap replicates (``std_errors="bootstrap"``).
N_BOOT: int = 200

#: Standard errors of a correction: the stacked two-step sandwich (the default) or a
#: bootstrap of both steps.
STD_ERRORS: tuple[str, ...] = ("sandwich", "bootstrap")


def check_std_errors(std_errors: str, n_boot: int) -> str:
    """Return ``std_errors`` when known (and ``n_boot`` usable by a bootstrap), else raise."""
    if std_errors not in STD_ERRORS:
        raise EstimationError(
            f"std_errors must be one of {list(STD_ERRORS)}; received {std_errors!r}"
        )
    if std_errors == "bootstrap" and (
        not isinstance(n_boot, int | np.integer) or isinstance(n_boot, bool) or n_boot < 20
    ):
        raise EstimationError(f"n_boot must be an integer of at least 20; received {n_boot!r}")
    return std_errors


def check_main_model(model: str) -> str:
    """Return ``model`` when a correction supports it, else raise EstimationError."""
    if model not in MAIN_MODELS:
        raise EstimationError(
            f"a correction applies to the main model {list(MAIN_MODELS)}; received {model!r}"
        )
    return model


def aligned_items(frame: Any, items: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The item columns, checked to have one row per rep of the analysis data.

    ``items`` is aligned with the analysis data by position (what
    ``AnalysisFrame.measurement_inputs`` returns); a ``rep_id`` column, when
    both have one, must agree.
    """
    data = analysis_data(frame, "the correction")
    if not isinstance(items, pd.DataFrame):
        raise EstimationError(f"items must be a DataFrame; received {type(items).__name__}")
    if len(items) != len(data):
        raise EstimationError(
            f"items has {len(items)} rows, the analysis data {len(data)}: pass the item answers "
            "of the analysis sample in its row order (AnalysisFrame.measurement_inputs)"
        )
    if "rep_id" in items.columns and "rep_id" in data.columns:
        if not np.array_equal(items["rep_id"].to_numpy(), data["rep_id"].to_numpy()):
            raise EstimationError("items and the analysis data list the reps in different orders")
    missing = [c for c in columns if c not in items.columns]
    if missing:
        raise EstimationError(f"item column(s) {missing} not in the items")
    return items[list(columns)].reset_index(drop=True).astype(float)


def error_free(data: pd.DataFrame, levels: Sequence[str]) -> np.ndarray:
    """The covariates taken as measured without error: firm dummies and ``ERROR_FREE``."""
    firm = data["firm"].astype(str).to_numpy()
    cols = [(firm == lv).astype(float) for lv in list(levels)[1:]]
    cols += [data[c].to_numpy(dtype=float) for c in ERROR_FREE if c in data.columns]
    return np.column_stack(cols)


def percents(data: pd.DataFrame) -> np.ndarray:
    """The reported percents of the analysis data (the rounding-aware model's answers)."""
    reported = [f"pct_{c}" for c in COMPONENTS]
    if all(c in data.columns for c in reported):
        pct = data[reported].to_numpy(dtype=float)
    else:
        pct = 100.0 * data[list(COMPONENTS)].to_numpy(dtype=float)
    whole = np.round(pct)
    return np.where(np.abs(pct - whole) < 1e-9, whole, pct)


def fit_second_step(
    data: pd.DataFrame,
    model: str,
    options: Mapping[str, Any],
    extra: Mapping[str, np.ndarray] | None = None,
    levels: Sequence[str] | None = None,
) -> ShareResults:
    """The main model on (corrected) data, with extra mean-equation columns when given.

    Without ``extra`` this is ``fit_share_model(data, model, **options)``; with
    it, the model is built on the docs/study.md design plus the extra columns
    (fixed covariates of both mean equations, never differentiated by the
    effects).
    """
    if not extra:
        return fit_share_model(data, model, **options)
    levels = firm_levels(data["firm"]) if levels is None else levels
    exog = design_matrix(data, levels=levels)
    for name, col in extra.items():
        exog[name] = np.asarray(col, dtype=float)
    start = options.get("start_params")
    if model == "dirichlet":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ZeroShareWarning)
            m = DirichletRegression(data[list(COMPONENTS)], exog, base="other")
    else:
        pct = pd.DataFrame(percents(data), columns=list(COMPONENTS), index=data.index)
        m = RoundedDirichletRegression(pct, exog, options["step"], base="other", floor="marketing")
    if start is not None:
        start = [start.get(k, 0.0) for k in m.param_names]
    return m.fit(start_params=start)


def main_options(data: pd.DataFrame, model: str) -> dict[str, Any]:
    """Fit options of the main model on ``data`` (the rounding step, detected once)."""
    if model == "dirichlet_rounded":
        step = rounding_step_of(data)
        if step is None:
            raise EstimationError(
                "the reported percents are not all whole numbers, so no rounding step was "
                "detected; correct the exact-share model ('dirichlet') instead"
            )
        return {"step": float(step)}
    return {}


def effect_estimates(results: ShareResults, data: pd.DataFrame) -> np.ndarray:
    """The registry effects' point estimates of a fit on ``data``."""
    cols = registry_estimates(results, data, design=results.mean_design)
    return np.asarray(cols["estimate"], dtype=float)


def stratified_draw(firm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row indices of one bootstrap sample: reps resampled with replacement within each firm."""
    out = []
    for lv in np.unique(firm):
        rows = np.flatnonzero(firm == lv)
        out.append(rng.choice(rows, size=rows.size, replace=True))
    return np.sort(np.concatenate(out))


#: A step: (analysis data, item answers as an array, warm start or None) -> (second-step
#: fit, corrected data, first-step quantities). Called first on the full sample (start
#: None), then on each resample with the full-sample estimates as start.
Step = Callable[[pd.DataFrame, np.ndarray, "pd.Series | None"], tuple]


def bootstrap_fit(
    name: str,
    correction: str,
    step: Step,
    data: pd.DataFrame,
    items: pd.DataFrame,
    n_boot: int,
    seed: int,
    alpha: float,
    fit_options: dict[str, Any],
) -> CorrectedResults:
    """Fit both steps on the full sample and on ``n_boot`` firm-stratified resamples.

    Each replicate redoes the first step (reliabilities or the marker model,
    and the corrected scores) and the second (the main model, warm-started at
    the full-sample estimates) and computes the registry effects; a replicate
    whose fit fails is left out and counted.
    """
    from threadpoolctl import threadpool_limits

    check_std_errors("bootstrap", n_boot)
    data = data.reset_index(drop=True)
    with threadpool_limits(limits=1, user_api="blas"):
        item_values = items.to_numpy(dtype=float)
        point, corrected, first = step(data, item_values, None)
        table = model_effects(point, corrected, design=point.mean_design)
        ids = list(table["id"])
        rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
        firm = data["firm"].astype(str).to_numpy()
        params, effects, failed = [], [], 0
        for _ in range(n_boot):
            idx = stratified_draw(firm, rng)
            d_b = data.iloc[idx].reset_index(drop=True)
            i_b = item_values[idx]
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                try:
                    res_b, cor_b, _ = step(d_b, i_b, point.params)
                    est_b = effect_estimates(res_b, cor_b)
                except (EstimationError, ConvergenceWarning, np.linalg.LinAlgError):
                    failed += 1
                    continue
            params.append(res_b.params.reindex(point.params.index).to_numpy(dtype=float))
            effects.append(est_b)
    if n_boot - failed < 20:
        raise EstimationError(
            f"{failed} of {n_boot} bootstrap replicates of the {name} fit failed; too few remain "
            "for standard errors"
        )
    if failed > 0.05 * n_boot:
        warnings.warn(
            f"{failed} of {n_boot} bootstrap replicates of the {name} fit failed and were left "
            "out; the standard errors rest on the others",
            ConvergenceWarning,
            stacklevel=3,
        )
    P = np.asarray(params)
    E = np.asarray(effects)
    cov = np.cov(P, rowvar=False)
    se = E.std(axis=0, ddof=1)
    return CorrectedResults(
        name,
        point,
        cov,
        _effects_table(table, name, se, alpha),
        corrected,
        correction,
        first,
        pd.DataFrame(P, columns=point.params.index),
        pd.DataFrame(E, columns=ids),
        n_boot,
        failed,
        seed,
        fit_options,
    )


def _effects_table(table: pd.DataFrame, name: str, se: np.ndarray, alpha: float) -> pd.DataFrame:
    """The registry effects of the point fit with standard errors ``se`` (normal inference)."""
    out = table.copy()
    out["model"] = name
    inf = bootstrap_inference(out["estimate"].to_numpy(dtype=float), se, alpha)
    for c, v in inf.items():
        out[c] = v
    sign = out["expected_sign"].to_numpy(dtype=int)
    supported = [
        pd.NA if s == 0 else bool(np.sign(e) == s and p < alpha)
        for s, e, p in zip(sign, out["estimate"], out["p_value"], strict=True)
    ]
    out["supported"] = pd.array(supported, dtype="boolean")
    return out[list(HYPOTHESIS_COLUMNS)]


#: A first step's influence: (analysis data, item answers as an array, what the step's
#: full-sample call returned as first-step quantities) -> LinearFirstStep.
Influence = Callable[[pd.DataFrame, np.ndarray, pd.Series], LinearFirstStep]


def sandwich_fit(
    name: str,
    correction: str,
    step: Step,
    influence: Influence,
    data: pd.DataFrame,
    items: pd.DataFrame,
    seed: int,
    alpha: float,
    fit_options: dict[str, Any],
) -> CorrectedResults:
    """Fit both steps once; standard errors from the stacked two-step sandwich.

    ``step`` is called once, on the full sample; ``influence`` gives the first
    step's corrected columns and their per-rep influence, and
    :func:`~leadblackhole.corrections.sandwich.sandwich_inference` the covariance
    of the second step and the effects' standard errors (reps centred within
    firms, the bootstrap's sampling scheme).
    """
    from threadpoolctl import threadpool_limits

    data = data.reset_index(drop=True)
    with threadpool_limits(limits=1, user_api="blas"):
        item_values = items.to_numpy(dtype=float)
        point, corrected, first = step(data, item_values, None)
        table = model_effects(point, corrected, design=point.mean_design)
        inf = sandwich_inference(
            point,
            corrected,
            influence(data, item_values, first),
            data["firm"].astype(str).to_numpy(),
        )
    return CorrectedResults(
        name,
        point,
        inf.cov,
        _effects_table(table, name, inf.std_errors, alpha),
        corrected,
        correction,
        first,
        None,
        None,
        0,
        0,
        seed,
        fit_options,
        std_errors="sandwich",
    )


__all__ = [
    "ERROR_FREE",
    "MAIN_MODELS",
    "N_BOOT",
    "STD_ERRORS",
    "EffectOptions",
    "aligned_items",
    "bootstrap_fit",
    "check_main_model",
    "check_std_errors",
    "error_free",
    "fit_second_step",
    "main_options",
    "sandwich_fit",
    "stratified_draw",
]
