"""Fitted share models as plain data: what a fit artifact stores of a model, and the model rebuilt.

``leadblackhole fit`` saves the models the later commands read (``figures``,
``allocate``) in a fit artifact that holds data only
(:mod:`leadblackhole.reporting.artifacts`: JSON and NumPy arrays, nothing that
runs when it is read). For every model name of :data:`STORED_MODELS`,
:func:`store_results` splits a fitted model into a description (names, options,
counts, flags: what JSON holds) and arrays (the estimates, the covariances and
every other number the results hold), and :func:`rebuild_results` makes the
results object again: the model is built from the analysis frame (its design and
shares, as the fit built them; nothing is estimated) and given the stored
numbers, so the rebuilt results equal the fitted ones value for value. A
control-function model also stores its instruments' values and first stages, so
the commands that read it load the survey's usual columns only.

:func:`check_model` checks a description against the schema of its model
before anything is built, and :func:`array_shapes` gives the shape every
stored array must have; anything else is an
:class:`~leadblackhole.exceptions.ArtifactError`. :func:`frame_digest` is the
SHA-256 of the analysis frame's design and shares: the artifact records it, so
that a survey read with another codebook (or by another version of the
package) is refused instead of meeting models fitted on other numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import ArtifactError, LeadBlackHoleUserError
from ..specification import COMPONENTS
from .covariance import COV_TYPES
from .fmlogit import FractionalMultinomialLogitResults, fmlogit_model
from .main import analysis_data, main_dirichlet_model, main_model_exog
from .main_rounded import rounded_main_model
from .results import IdentityLink, LogitLink, ShareResults
from .robustness import AdaptedResults
from .two_step.control_function import (
    ControlFunctionResults,
    FirstStage,
    exogenous_terms,
    first_stage_design,
)
from .two_step.core import second_step_model

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "STORED_MODELS",
    "StoredModel",
    "array_shapes",
    "check_keys",
    "check_model",
    "frame_digest",
    "rebuild_results",
    "store_results",
]

#: The models an artifact can hold, by name, with the class of their results (the ``kind``
#: an artifact records): the models ``fit`` keeps for the later commands.
STORED_MODELS: dict[str, str] = {
    "dirichlet": "DirichletRegressionResults",
    "dirichlet_rounded": "RoundedDirichletResults",
    "fmlogit": "FractionalMultinomialLogitResults",
    "ols": "AdaptedResults",
    "fractional_logit": "AdaptedResults",
    "dirichlet_cf": "ControlFunctionResults",
    "dirichlet_rounded_cf": "ControlFunctionResults",
}
_LINKS = {"ols": IdentityLink, "fractional_logit": LogitLink}


@dataclass(frozen=True, eq=False)
class StoredModel:
    """One fitted model as data.

    Attributes
    ----------
    name : str
        The model's name (a key of :data:`STORED_MODELS`).
    kind : str
        Its results class (the value of :data:`STORED_MODELS`).
    meta : dict
        Names, options, counts and flags: strings, integers, booleans, finite
        numbers, lists and dicts of them (what JSON holds exactly).
    arrays : dict of str to ndarray
        Every other number (float64), named as :func:`array_shapes` names them.
    """

    name: str
    kind: str
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]


# ----------------------------------------------------------------------------
# checks of a description (JSON values)
# ----------------------------------------------------------------------------
def _fail(where: str, expected: str, value: Any) -> None:
    shown = type(value).__name__ if not isinstance(value, str | int | float) else repr(value)
    raise ArtifactError(f"{where}: expected {expected}, found {shown[:80]}")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        _fail(where, "a non-empty text", value)
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        _fail(where, "true or false", value)
    return value


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(where, "a whole number of at least 0", value)
    return value


def _number(value: Any, where: str) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value):
        _fail(where, "a finite number", value)
    return value


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        _fail(where, "a list of names", value)
    for i, v in enumerate(value):
        _text(v, f"{where}[{i}]")
    if len(set(value)) != len(value):
        raise ArtifactError(f"{where}: a name is listed twice")
    return value


def _pairs(value: Any, where: str) -> list[list[str]]:
    if not isinstance(value, list) or not value:
        _fail(where, "a non-empty list of [equation, term] pairs", value)
    for i, v in enumerate(value):
        if not isinstance(v, list) or len(v) != 2:
            _fail(f"{where}[{i}]", "an [equation, term] pair", v)
        _text(v[0], f"{where}[{i}][0]")
        _text(v[1], f"{where}[{i}][1]")
    if len({tuple(v) for v in value}) != len(value):
        raise ArtifactError(f"{where}: a parameter is listed twice")
    return value


def _optional(check: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    def optional(value: Any, where: str) -> Any:
        return None if value is None else check(value, where)

    return optional


def _choice(*values: str) -> Callable[[Any, str], str]:
    def choice(value: Any, where: str) -> str:
        if value not in values:
            _fail(where, f"one of {list(values)}", value)
        return value

    return choice


def check_keys(
    obj: Any,
    spec: Mapping[str, Callable[[Any, str], Any]],
    where: str,
    optional: Sequence[str] = (),
) -> dict[str, Any]:
    """Check a JSON object: exactly the keys of ``spec`` (those of ``optional`` may be absent).

    Parameters
    ----------
    obj : object
        The parsed JSON value.
    spec : mapping of str to callable
        For each key, a check ``check(value, where)`` that raises
        :class:`~leadblackhole.exceptions.ArtifactError` on a bad value.
    where : str
        Where ``obj`` is in the artifact, for the messages.
    optional : sequence of str
        Keys that may be absent.

    Returns
    -------
    dict
        ``obj``.

    Raises
    ------
    ArtifactError
        Not an object, an unknown or a missing key, or a bad value.
    """
    if not isinstance(obj, dict):
        _fail(where, "an object", obj)
    unknown = sorted(set(obj) - set(spec))
    if unknown:
        raise ArtifactError(f"{where}: unknown field(s) {unknown[:5]}")
    missing = [k for k in spec if k not in obj and k not in optional]
    if missing:
        raise ArtifactError(f"{where}: missing field(s) {missing}")
    for key, check in spec.items():
        if key in obj:
            check(obj[key], f"{where}.{key}")
    return obj


_DIRICHLET_META = {
    "param_names": _pairs,
    "parametrization": _choice("alternative", "common"),
    "cov_type": _choice(*COV_TYPES),
    "precision": _optional(_text),
    "converged": _flag,
    "iterations": _count,
    "step": _number,
}
_FMLOGIT_META = {"param_names": _pairs, "converged": _flag, "iterations": _count, "nobs": _count}
_ADAPTED_META = {
    "param_names": _pairs,
    "component": _choice(*COMPONENTS),
    "nobs": _count,
    "k_llf": _count,
    "converged": _flag,
    "has_df_resid": _flag,
    "equation_r_squared": _names,
}
_STAGE_META = {"endogenous": _text, "instruments": _names, "terms": _names, "nobs": _count}
_CF_OPTIONS = {"instruments": _names, "endogenous": _names, "cov_type": _choice(*COV_TYPES)}


def _stage_list(value: Any, where: str) -> list:
    if not isinstance(value, list) or not value:
        _fail(where, "a non-empty list of first stages", value)
    for i, stage in enumerate(value):
        check_keys(stage, _STAGE_META, f"{where}[{i}]")
    return value


def _cf_options(value: Any, where: str) -> dict:
    return check_keys(value, _CF_OPTIONS | {"step": _number}, where, optional=("step",))


def _second(rounded: bool) -> Callable[[Any, str], dict]:
    def second(value: Any, where: str) -> dict:
        return check_keys(value, _DIRICHLET_META, where, () if rounded else ("step",))

    return second


def check_model(name: Any, kind: Any, meta: Any, where: str) -> None:
    """Check a stored model's name, kind and description before anything is built from them.

    Parameters
    ----------
    name, kind : object
        The recorded name (a key of :data:`STORED_MODELS`) and results class.
    meta : object
        The description (:attr:`StoredModel.meta`).
    where : str
        Where the model is in the artifact, for the messages.

    Raises
    ------
    ArtifactError
        An unknown model, a kind that is not its class, or a description
        outside the model's schema.
    """
    if name not in STORED_MODELS:
        _fail(f"{where}.name", f"one of {list(STORED_MODELS)}", name)
    if kind != STORED_MODELS[name]:
        _fail(f"{where}.kind", repr(STORED_MODELS[name]), kind)
    where = f"{where}.meta"
    if name in ("dirichlet", "dirichlet_rounded"):
        check_keys(meta, _DIRICHLET_META, where, () if name == "dirichlet_rounded" else ("step",))
    elif name == "fmlogit":
        check_keys(meta, _FMLOGIT_META, where)
    elif name in _LINKS:
        check_keys(meta, _ADAPTED_META, where)
    else:
        rounded = name == "dirichlet_rounded_cf"
        spec = {
            "second": _second(rounded),
            "controls": _names,
            "cov_type": _choice(*COV_TYPES),
            "options": _cf_options,
            "first_stages": _stage_list,
        }
        check_keys(meta, spec, where)
        stages = meta["first_stages"]
        if len(meta["controls"]) != len(stages) or len({len(s["terms"]) for s in stages}) != 1:
            raise ArtifactError(f"{where}: one control and as many terms per first stage")
        if rounded != ("step" in meta["options"]):
            raise ArtifactError(f"{where}.options: a step with the rounding-aware model only")


def array_shapes(name: str, meta: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """The arrays a stored model holds and the shape of each (all float64).

    Parameters
    ----------
    name : str
        The model's name (checked with :func:`check_model`).
    meta : mapping
        Its description.

    Returns
    -------
    dict of str to tuple of int
    """
    if name.endswith("_cf"):
        second = _dirichlet_shapes(meta["second"])
        k = len(meta["second"]["param_names"])
        stages = meta["first_stages"]
        k1, n = len(stages[0]["terms"]), stages[0]["nobs"]
        m, e = len(meta["options"]["instruments"]), len(stages)
        out = {f"second.{key}": shape for key, shape in second.items()}
        out |= {"cov": (k, k), "cov_pi": (e * k1, e * k1), "cov_theta_pi": (k, e * k1)}
        out["instrument_values"] = (n, m)
        for i, stage in enumerate(stages):
            n_i = stage["nobs"]
            out |= {f"stage{i}.params": (k1,), f"stage{i}.cov": (k1, k1)}
            out |= {f"stage{i}.resid": (n_i,), f"stage{i}.scalars": (2,)}
        return out
    if name in ("dirichlet", "dirichlet_rounded"):
        return _dirichlet_shapes(meta)
    k = len(meta["param_names"])
    if name == "fmlogit":
        square = dict.fromkeys(("cov", "cov_model", "hessian"), (k, k))
        return {"params": (k,), **square, "score_obs": (meta["nobs"], k), "scalars": (1,)}
    r2 = (len(meta["equation_r_squared"]),)
    return {"params": (k,), "cov": (k, k), "scalars": (3,), "equation_r_squared": r2}


def _dirichlet_shapes(meta: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    k = len(meta["param_names"])
    return {"params": (k,), "cov": (k, k), "hessian": (k, k), "score": (k,), "scalars": (2,)}


# ----------------------------------------------------------------------------
# storing
# ----------------------------------------------------------------------------
def _f64(value: Any) -> np.ndarray:
    return np.array(value, dtype=np.float64)


def _param_names(res: ShareResults) -> list[list[str]]:
    return [[str(e), str(t)] for e, t in res.params.index]


def _store_dirichlet(res: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    precision = res.model.precision_formula
    meta = {
        "param_names": _param_names(res),
        "parametrization": res.parametrization,
        "cov_type": res.cov_type,
        "precision": None if precision in (None, "1") else precision,
        "converged": bool(res.converged),
        "iterations": int(res.iterations),
    }
    if res.model_name == "dirichlet_rounded":
        meta["step"] = float(res.step)
    arrays = {
        "params": _f64(res.params),
        "cov": _f64(res.cov_params()),
        "hessian": _f64(res.hessian),
        "score": _f64(res.score),
        "scalars": _f64([res.llf, res.gradient_norm]),
    }
    return meta, arrays


def _store_fmlogit(res: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    meta = {
        "param_names": _param_names(res),
        "converged": bool(res.converged),
        "iterations": int(res.iterations),
        "nobs": int(res.nobs),
    }
    arrays = {
        "params": _f64(res.params),
        "cov": _f64(res.cov_params()),
        "cov_model": _f64(res.cov_params_model()),
        "hessian": _f64(res.hessian()),
        "score_obs": _f64(res.score_obs()),
        "scalars": _f64([res.llf]),
    }
    return meta, arrays


def _store_adapted(res: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    component = res.fit_options.get("component")
    link = _LINKS[res.model_name](component)
    if res.link != link or dict(res.fit_options) != {"component": component}:
        raise ValueError(f"the {res.model_name} fit is not one fit_share_model makes")
    r2 = dict(res.equation_r_squared)
    meta = {
        "param_names": _param_names(res),
        "component": component,
        "nobs": int(res.nobs),
        "k_llf": int(res.k_llf),
        "converged": bool(res.converged),
        "has_df_resid": res.df_resid is not None,
        "equation_r_squared": [str(k) for k in r2],
    }
    df_resid = float("nan") if res.df_resid is None else res.df_resid
    arrays = {
        "params": _f64(res.params),
        "cov": _f64(res.cov_params()),
        "scalars": _f64([res.llf, res.r_squared, df_resid]),
        "equation_r_squared": _f64(list(r2.values())),
    }
    return meta, arrays


def _store_cf(res: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    second_meta, second_arrays = _store_dirichlet(res.second)
    options = {k: v for k, v in res.fit_options.items() if k != "start_params"}
    options = {k: list(v) if isinstance(v, list | tuple) else v for k, v in options.items()}
    stages = res.first_stages
    meta = {
        "second": second_meta,
        "controls": list(res.controls),
        "cov_type": res.cov_type,
        "options": options,
        "first_stages": [
            {
                "endogenous": fs.endogenous,
                "instruments": list(fs.instruments),
                "terms": list(fs.terms),
                "nobs": int(fs.nobs),
            }
            for fs in stages
        ],
    }
    m = len(res.instruments)
    arrays = {f"second.{k}": v for k, v in second_arrays.items()}
    arrays |= {"cov": _f64(res.cov_params()), "cov_pi": _f64(res.cov_pi)}
    arrays |= {"cov_theta_pi": _f64(res.cov_theta_pi)}
    arrays["instrument_values"] = _f64(res.first_stage_design[:, -m:])
    for i, fs in enumerate(stages):
        arrays |= {f"stage{i}.params": _f64(fs.params), f"stage{i}.cov": _f64(fs.cov)}
        arrays[f"stage{i}.resid"] = _f64(fs.resid)
        arrays[f"stage{i}.scalars"] = _f64([fs.partial_f, fs.partial_r2])
    return meta, arrays


def store_results(res: ShareResults) -> StoredModel:
    """A fitted model of :data:`STORED_MODELS` as data.

    Parameters
    ----------
    res : ShareResults
        A fit made by :func:`~leadblackhole.models.fit_share_model` (its
        ``model_name`` a key of :data:`STORED_MODELS`).

    Returns
    -------
    StoredModel

    Raises
    ------
    ValueError
        A model an artifact cannot hold (a programming error: ``fit`` keeps
        only the models of :data:`STORED_MODELS`).

    Examples
    --------
    >>> stored = store_results(fit_share_model(frame, "ols"))      # doctest: +SKIP
    >>> stored.kind, sorted(stored.arrays)                         # doctest: +SKIP
    ('AdaptedResults', ['cov', 'equation_r_squared', 'params', 'scalars'])
    """
    name = res.model_name
    if name not in STORED_MODELS or type(res).__name__ != STORED_MODELS[name]:
        raise ValueError(f"a fit artifact cannot hold the {name} model ({type(res).__name__})")
    if name in ("dirichlet", "dirichlet_rounded"):
        meta, arrays = _store_dirichlet(res)
    elif name == "fmlogit":
        meta, arrays = _store_fmlogit(res)
    elif name in _LINKS:
        meta, arrays = _store_adapted(res)
    else:
        meta, arrays = _store_cf(res)
    return StoredModel(name, STORED_MODELS[name], meta, arrays)


# ----------------------------------------------------------------------------
# rebuilding
# ----------------------------------------------------------------------------
def _same_names(model_names: Any, meta: Mapping[str, Any], name: str) -> None:
    built = [[str(e), str(t)] for e, t in model_names]
    if built != meta["param_names"]:
        raise ArtifactError(
            f"the {name} model built from the survey has other parameters than the stored one"
        )


def _same_rows(nobs: int, data: pd.DataFrame, name: str) -> None:
    if nobs != len(data):
        raise ArtifactError(
            f"the stored {name} model was fitted on {nobs} reps; the survey gives {len(data)}"
        )


def _dirichlet_results(model: Any, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], name):
    _same_names(model.param_names, meta, name)
    llf, gradient_norm = arrays["scalars"]
    return model.results_from_estimates(
        params=arrays["params"],
        cov_params=arrays["cov"],
        hessian=arrays["hessian"],
        score=arrays["score"],
        llf=float(llf),
        converged=meta["converged"],
        iterations=meta["iterations"],
        gradient_norm=float(gradient_norm),
        cov_type=meta["cov_type"],
    )


def _rebuild_dirichlet(name, frame, meta, arrays):
    if name == "dirichlet_rounded":
        model = rounded_main_model(frame, meta["step"], meta["precision"])
    else:
        model = main_dirichlet_model(frame, meta["parametrization"], meta["precision"])
    return _dirichlet_results(model, meta, arrays, name)


def _rebuild_fmlogit(name, frame, meta, arrays):
    model = fmlogit_model(frame)
    _same_rows(meta["nobs"], analysis_data(frame), name)
    _same_names(model.param_names, meta, name)
    stored = tuple(arrays[k] for k in ("hessian", "score_obs", "cov_model", "cov"))
    llf = float(arrays["scalars"][0])
    return FractionalMultinomialLogitResults(
        model, arrays["params"], llf, meta["converged"], meta["iterations"], stored=stored
    )


def _rebuild_adapted(name, frame, meta, arrays):
    data = analysis_data(frame)
    _same_rows(meta["nobs"], data, name)
    terms = main_model_exog(data).columns
    _same_names([(meta["component"], t) for t in terms], meta, name)
    index = pd.MultiIndex.from_tuples([tuple(p) for p in meta["param_names"]])
    llf, r_squared, df_resid = (float(x) for x in arrays["scalars"])
    r2 = [float(x) for x in arrays["equation_r_squared"]]
    component = meta["component"]
    return AdaptedResults(
        None,
        name,
        pd.Series(arrays["params"], index=index),
        arrays["cov"],
        nobs=meta["nobs"],
        link=_LINKS[name](component),
        llf=llf,
        k_llf=meta["k_llf"],
        r_squared=r_squared,
        equation_r_squared=dict(zip(meta["equation_r_squared"], r2, strict=True)),
        converged=meta["converged"],
        df_resid=df_resid if meta["has_df_resid"] else None,
        fit_options={"component": component},
    )


def _rebuild_cf(name, frame, meta, arrays):
    data = analysis_data(frame)
    exog = main_model_exog(data)
    options = meta["options"]
    endogenous, instruments = options["endogenous"], options["instruments"]
    exogenous = exogenous_terms(exog, endogenous)
    for stage in meta["first_stages"]:
        _same_rows(stage["nobs"], data, name)
    w = first_stage_design(exog, exogenous, arrays["instrument_values"])
    stages = []
    for i, stage in enumerate(meta["first_stages"]):
        if stage["terms"] != [*exogenous, *instruments] or stage["instruments"] != instruments:
            raise ArtifactError(f"the first stage of the stored {name} model has other terms")
        partial_f, partial_r2 = (float(x) for x in arrays[f"stage{i}.scalars"])
        stages.append(
            FirstStage(
                endogenous=stage["endogenous"],
                instruments=tuple(stage["instruments"]),
                terms=tuple(stage["terms"]),
                params=arrays[f"stage{i}.params"],
                cov=arrays[f"stage{i}.cov"],
                resid=arrays[f"stage{i}.resid"],
                partial_f=partial_f,
                partial_r2=partial_r2,
                nobs=stage["nobs"],
            )
        )
    x2 = exog.copy()
    for control, fs in zip(meta["controls"], stages, strict=True):
        x2[control] = fs.resid
    rounded = name == "dirichlet_rounded_cf"
    model, _ = second_step_model(data, x2, rounded, options.get("step"))
    second_arrays = {k.removeprefix("second."): v for k, v in arrays.items()}
    second = _dirichlet_results(model, meta["second"], second_arrays, name)
    return ControlFunctionResults(
        second=second,
        model_name=name,
        controls=tuple(meta["controls"]),
        cov=arrays["cov"],
        cov_pi=arrays["cov_pi"],
        cov_theta_pi=arrays["cov_theta_pi"],
        cov_type=meta["cov_type"],
        fit_options=dict(options) | {"start_params": second.params},
        first_stages=stages,
        first_stage_design=w,
    )


_REBUILD = {
    "dirichlet": _rebuild_dirichlet,
    "dirichlet_rounded": _rebuild_dirichlet,
    "fmlogit": _rebuild_fmlogit,
    "ols": _rebuild_adapted,
    "fractional_logit": _rebuild_adapted,
    "dirichlet_cf": _rebuild_cf,
    "dirichlet_rounded_cf": _rebuild_cf,
}


def rebuild_results(stored: StoredModel, frame: AnalysisFrame | pd.DataFrame) -> ShareResults:
    """The results of a stored model, rebuilt on the analysis frame it was fitted on.

    Parameters
    ----------
    stored : StoredModel
        Checked with :func:`check_model`, its arrays of :func:`array_shapes`.
    frame : AnalysisFrame or DataFrame
        The analysis frame of the survey the model was fitted on (the caller
        checks :func:`frame_digest`).

    Returns
    -------
    ShareResults
        An object of the class the fit made, with the stored estimates; no
        model is estimated. The warnings building the model may raise (they
        were shown when it was fitted) are not repeated.

    Raises
    ------
    ArtifactError
        The model built from the frame does not match the stored one (other
        parameters, reps or first-stage terms), or cannot be built.

    Examples
    --------
    >>> res = rebuild_results(store_results(fitted), frame)             # doctest: +SKIP
    >>> np.array_equal(res.cov_params(), fitted.cov_params())          # doctest: +SKIP
    True
    """
    arrays = {k: np.array(v, dtype=np.float64) for k, v in stored.arrays.items()}
    for arr in arrays.values():
        arr.setflags(write=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _REBUILD[stored.name](stored.name, frame, stored.meta, arrays)
    except ArtifactError:
        raise
    except LeadBlackHoleUserError as exc:
        raise ArtifactError(f"the stored {stored.name} model cannot be rebuilt: {exc}") from None


def frame_digest(frame: AnalysisFrame | pd.DataFrame) -> str:
    """SHA-256 of what the stored models are rebuilt from: the design, shares and percents.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis frame.

    Returns
    -------
    str
        Hex digest of the main model's design (column names and values), the
        three shares and the reported percents of the analysis sample, and
        the sample's row labels.

    Raises
    ------
    EstimationError
        When the frame's design cannot be built (as the models).
    """
    data = analysis_data(frame)
    design = main_model_exog(data)
    percents = [c for c in (f"pct_{c}" for c in COMPONENTS) if c in data.columns]
    h = hashlib.sha256()
    for label, table in (
        ("design", design),
        ("shares", data[list(COMPONENTS)]),
        ("percents", data[percents]),
    ):
        h.update(json.dumps([label, [str(c) for c in table.columns]]).encode())
        h.update(np.ascontiguousarray(table.to_numpy(dtype=np.float64)).tobytes())
    h.update(json.dumps([str(i) for i in data.index]).encode())
    return h.hexdigest()
