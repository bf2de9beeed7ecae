"""The fit step's decisions: which fitted models the later steps read, and which is main.

``leadblackhole fit`` fits the whole model set once
(:func:`~leadblackhole.models.run_models`: the Dirichlet regressions, the
fractional multinomial logit, OLS, the fractional logit, SUR, the probit, the
two-part model and the leave-one-firm-out fits). What happens to each fit
afterwards is declared here, in :data:`MODEL_ROLES`: whether its registry
effects join ``hypotheses.csv`` beside the main model's, whether it is saved in
the fit artifact (``fits.json``) for the later commands, and whether its effects
are read over every rep (the two-part model, paired with the selection frame)
rather than the analysis sample. :func:`main_model` is the one place that decides the main
model, for ``fit``, ``figures`` and ``allocate`` alike.

A new share model that should be compared in the hypotheses is one row of
:data:`MODEL_ROLES` (besides its model module and adapter in
:mod:`leadblackhole.models`).

Beside the set, ``fit`` adds on request corrected and two-step versions of the
main model (:class:`Remedies`, the options ``--errors-in-variables``,
``--marker``, ``--endogenous``/``--instrument`` and ``--selection-instrument``):
``<main>_eiv``, ``<main>_marker``, ``<main>_cf`` and ``<main>_heckman``
(``<main>_heckman_functional_form`` without an exclusion variable), each in
``estimates.csv``, ``fit_stats.csv``, ``hypotheses.csv`` and the regression
table right after the main model, never main; of them only the control function
is saved in the fit artifact (:data:`KEPT_REMEDIES`: ``allocate`` compares the
allocation under it with the main model's). :data:`REMEDY_HEADERS` names them in
the regression table. Every fit also computes the sensitivity table of Cinelli &
Hazlett (``sensitivity.csv``) and the data of the contour figure of H4
(``sensitivity_contour.csv``, which ``figures`` draws: it computes nothing itself).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..config import DEFAULT_SEED
from ..data import AnalysisFrame, Survey
from ..exceptions import (
    DataWarning,
    EstimationError,
    InstrumentError,
    MarkerError,
    ReliabilityError,
)
from ..models import (
    ModelReport,
    ShareResults,
    fit_share_model,
    main_model_name,
    parse_rounding,
    run_models,
)
from ..models.model_set import with_models
from ..models.sensitivity import contour_table, sensitivity_table
from ..specification import FIRM_CHECK_MIN_REPS, small_firms

__all__ = [
    "KEPT_REMEDIES",
    "MODEL_ROLES",
    "REMEDY_HEADERS",
    "REMEDY_OPTIONS",
    "FitResult",
    "ModelRole",
    "Remedies",
    "fit",
    "main_model",
    "rounding_option",
]


@dataclass(frozen=True)
class ModelRole:
    """What the steps after the fit do with one fitted model.

    Attributes
    ----------
    name : str
        The model's name in :attr:`ModelReport.fits <leadblackhole.models.ModelReport.fits>`.
    hypotheses : bool
        Its registry effects join ``hypotheses.csv`` beside the main model's.
    kept : bool
        Saved in the fit artifact for the later commands (``figures``, ``allocate``).
    every_rep : bool
        Its effects are read over every rep (the selection frame: reps who give
        marketing leads no time included), not over the analysis sample.
    """

    name: str
    hypotheses: bool = False
    kept: bool = False
    every_rep: bool = False


#: Every model of the fitted set and its role, in the order the hypotheses compare them
#: (the leave-one-firm-out fits are in the tables only). SUR and the probit are in the
#: tables only: nothing downstream reads their objects (and the fit artifact stores only the
#: models of :data:`leadblackhole.models.stored.STORED_MODELS`).
MODEL_ROLES: tuple[ModelRole, ...] = (
    ModelRole("dirichlet_rounded", hypotheses=True, kept=True),
    ModelRole("dirichlet", hypotheses=True, kept=True),
    ModelRole("fmlogit", hypotheses=True, kept=True),
    ModelRole("fractional_logit", hypotheses=True, kept=True),
    ModelRole("ols", hypotheses=True, kept=True),
    ModelRole("sur"),
    ModelRole("probit"),
    ModelRole("two_part", hypotheses=True, every_rep=True),
)


#: The corrected and two-step models saved in the fit artifact beside the kept ones, by the
#: suffix of their name: the control function (``allocate --model <main>_cf``, and the
#: allocation's comparison of the causal volume effect with the main model's).
KEPT_REMEDIES: tuple[str, ...] = ("_cf",)

#: Header of each corrected or two-step model in the regression table, by the suffix of its
#: name (``<main><suffix>``); the rounding-aware main model's are prefixed "Rounded".
REMEDY_HEADERS: dict[str, str] = {
    "_eiv": "Dirichlet EIV",
    "_marker": "Dirichlet marker",
    "_cf": "Dirichlet CF",
    "_heckman": "Dirichlet Heckman",
    "_heckman_functional_form": "Dirichlet Heckman (functional form)",
}

#: The options of ``fit`` that :meth:`Remedies.from_options` reads, by keyword.
REMEDY_OPTIONS: tuple[str, ...] = (
    "errors_in_variables",
    "eiv_method",
    "marker",
    "marker_loadings",
    "endogenous",
    "instrument",
    "selection_instrument",
    "correction_se",
    "correction_boot",
    "seed",
)

#: Notes under the regression table on each further model's standard errors.
_REMEDY_NOTES = {
    "_eiv": "errors in variables, the scale scores replaced by their regression-calibrated "
    "true scores (reliabilities from a one-factor model of each scale's items)",
    "_marker": "common-method variance, controlling for the method factor predicted from the "
    "marker scale, every item and the error-free covariates",
    "_cf": "control function, the first-stage residual of each endogenous variable in both "
    "mean equations; two-step sandwich standard errors",
    "_heckman": "selection correction, the inverse Mills ratio of the selection probit in both "
    "mean equations; two-step sandwich standard errors",
}


def _split(value: Any) -> tuple[str, ...]:
    """A comma-separated text or a sequence of names as a tuple (blanks dropped)."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


@dataclass(frozen=True)
class Remedies:
    """The corrected and two-step models ``fit`` adds beside the main model.

    Attributes
    ----------
    errors_in_variables : bool
        Add ``<main>_eiv`` (:func:`leadblackhole.corrections.fit_eiv`).
    eiv_method : str
        Its method (``--eiv-method``; ``"calibration"``, the only one).
    marker : str, optional
        Add ``<main>_marker`` controlling for the method factor of this marker
        scale (:func:`leadblackhole.corrections.fit_marker`).
    marker_loadings : {"auto", "free", "equal"}
        Its method loadings (``--marker-loadings``).
    endogenous : tuple of str
        Endogenous model variables of ``<main>_cf`` (``("volume",)`` when
        instruments are given without them).
    instruments : tuple of str
        Extra survey columns instrumenting them.
    selection_instrument : tuple of str or None
        Add ``<main>_heckman`` with these exclusion variables; ``()``: none
        (identified by functional form); ``None``: not requested.
    std_errors : {"sandwich", "bootstrap"}
        Standard errors of the two corrections: the two-step sandwich, or a
        bootstrap of both steps.
    n_boot : int
        Bootstrap replicates of the two corrections (both steps redone), with
        ``std_errors="bootstrap"``.
    seed : int
        Seed of that bootstrap.
    """

    errors_in_variables: bool = False
    eiv_method: str = "calibration"
    marker: str | None = None
    marker_loadings: str = "auto"
    endogenous: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    selection_instrument: tuple[str, ...] | None = None
    std_errors: str = "sandwich"
    n_boot: int = 200
    seed: int = DEFAULT_SEED

    @classmethod
    def from_options(
        cls,
        *,
        errors_in_variables: bool = False,
        eiv_method: str | None = None,
        marker: str | None = None,
        marker_loadings: str | None = None,
        endogenous: str | Sequence[str] | None = None,
        instrument: str | Sequence[str] | None = None,
        selection_instrument: str | Sequence[str] | None = None,
        correction_se: str = "sandwich",
        correction_boot: int = 200,
        seed: int = DEFAULT_SEED,
    ) -> Remedies:
        """The remedies the options of ``fit`` ask for, checked before anything is fitted.

        Parameters
        ----------
        errors_in_variables : bool
            ``--errors-in-variables``.
        eiv_method : str, optional
            ``--eiv-method`` (needs ``--errors-in-variables``).
        marker : str, optional
            ``--marker SCALE``.
        marker_loadings : str, optional
            ``--marker-loadings`` (needs ``--marker``).
        endogenous, instrument : str or sequence of str, optional
            ``--endogenous VAR[,VAR...]`` and ``--instrument COL[,COL...]``
            (comma-separated); ``--endogenous`` needs ``--instrument``, whose
            endogenous variable is ``volume`` by default.
        selection_instrument : str or sequence of str, optional
            ``--selection-instrument COL[,COL...]`` or ``none``.
        correction_se : {"sandwich", "bootstrap"}
            ``--correction-se``: the corrections' standard errors.
        correction_boot : int
            ``--correction-boot``: bootstrap replicates of the corrections (at least 20).
        seed : int
            ``--seed``.

        Returns
        -------
        Remedies

        Raises
        ------
        ReliabilityError
            ``--eiv-method`` without ``--errors-in-variables``, or an unknown method.
        InstrumentError
            ``--endogenous`` without ``--instrument``; a column both an instrument
            and an exclusion variable.
        MarkerError
            An empty marker name; ``--marker-loadings`` without ``--marker`` or naming
            unknown loadings.
        EstimationError
            Fewer than 20 bootstrap replicates with a correction; an unknown
            ``--correction-se``.

        Examples
        --------
        >>> Remedies.from_options(instrument="budget").endogenous
        ('volume',)
        """
        from ..corrections import EIV_METHODS, MARKER_LOADINGS, STD_ERRORS

        if eiv_method is not None and not errors_in_variables:
            raise ReliabilityError("--eiv-method needs --errors-in-variables")
        method = EIV_METHODS[0] if eiv_method is None else eiv_method.strip().lower()
        if method not in EIV_METHODS:
            raise ReliabilityError(
                f"--eiv-method: unknown method {eiv_method!r}; expected one of {list(EIV_METHODS)}"
            )
        if marker is not None and not marker.strip():
            raise MarkerError("--marker needs the name of a marker scale of the codebook")
        if marker_loadings is not None and marker is None:
            raise MarkerError("--marker-loadings needs --marker")
        loadings = MARKER_LOADINGS[0] if marker_loadings is None else marker_loadings.strip()
        if loadings.lower() not in MARKER_LOADINGS:
            raise MarkerError(
                f"--marker-loadings: unknown loadings {marker_loadings!r}; expected one of "
                f"{list(MARKER_LOADINGS)}"
            )
        endo, inst = _split(endogenous), _split(instrument)
        if endo and not inst:
            raise InstrumentError(
                f"--endogenous {','.join(endo)} needs --instrument COL[,COL...]: the extra "
                "survey columns that move it but not how reps share their time"
            )
        selection = None
        if selection_instrument is not None:
            selection = _split(selection_instrument)
            if not selection:
                raise InstrumentError(
                    "--selection-instrument needs a column name or 'none' (identified by the "
                    "probit's functional form only)"
                )
            if [c.lower() for c in selection] == ["none"]:
                selection = ()
        both = sorted(set(inst) & set(selection or ()))
        if both:
            raise InstrumentError(
                f"{both} given as an instrument of lead volume and as an exclusion variable of "
                "the selection model; an exclusion variable moves whether a rep takes marketing "
                "leads at all, an instrument moves the leads: give each column one role"
            )
        corrections = errors_in_variables or marker is not None
        if correction_se not in STD_ERRORS:
            raise EstimationError(
                f"--correction-se: expected one of {list(STD_ERRORS)}; received {correction_se!r}"
            )
        if corrections and correction_boot < 20:
            raise EstimationError(
                f"--correction-boot must be at least 20; received {correction_boot}"
            )
        return cls(
            errors_in_variables=bool(errors_in_variables),
            eiv_method=method,
            marker=None if marker is None else marker.strip(),
            marker_loadings=loadings.lower(),
            endogenous=(endo or ("volume",)) if inst else (),
            instruments=inst,
            selection_instrument=selection,
            std_errors=correction_se,
            n_boot=int(correction_boot),
            seed=int(seed),
        )

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """The extra survey columns the remedies read (to load and attach)."""
        return tuple(dict.fromkeys(self.instruments + (self.selection_instrument or ())))

    @property
    def requested(self) -> bool:
        """Whether any corrected or two-step model is asked for."""
        return bool(
            self.errors_in_variables
            or self.marker is not None
            or self.instruments
            or self.selection_instrument is not None
        )


@dataclass(frozen=True, eq=False)
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    models : ModelReport
        Every fitted model with its tables.
    main_name : str
        The main model (:func:`main_model`).
    compared : tuple
        The fits whose effects join the main model's in the hypotheses, in
        :data:`MODEL_ROLES` order: a :class:`~leadblackhole.models.ShareResults`,
        or a ``(results, frame.selection)`` pair for a model read over every rep.
    kept : dict of str to ShareResults
        The fits saved for the later commands, in the order they were fitted: the
        models marked ``kept`` in :data:`MODEL_ROLES` and those of
        :data:`KEPT_REMEDIES`.
    remedy_effects : dict of str to DataFrame
        The registry effects (``hypotheses.csv`` layout) of each corrected or
        two-step model (:class:`Remedies`), by model name; its fit is in
        ``models.extra``.
    tables : dict of str to DataFrame
        Further tables of the step, each a ``<name>.csv``: ``sensitivity`` and
        ``sensitivity_contour`` on every fit; ``first_stage`` with a control function;
        ``endogeneity_tests`` with a two-step model.
    """

    models: ModelReport
    main_name: str
    compared: tuple[Any, ...]
    kept: dict[str, ShareResults]
    remedy_effects: dict[str, pd.DataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def main(self) -> ShareResults:
        """The fitted main model."""
        return self.models.fits[self.main_name]


def main_model(frame: AnalysisFrame, fits: Mapping[str, Any] | None = None) -> str:
    """The main model: the rounding-aware Dirichlet regression when the percents are rounded.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    fits : mapping of str to results, optional
        Models already fitted (by ``fit``): the main one is the rounding-aware
        model when it is among them, else the Dirichlet regression. Without
        fits, the model ``fit --rounding auto`` would make main: the
        rounding-aware one when the reported percents are rounded.

    Returns
    -------
    str
        ``"dirichlet_rounded"`` or ``"dirichlet"``.
    """
    if fits is not None:
        return main_model_name(fits)
    return "dirichlet_rounded" if parse_rounding("auto", frame) is not None else "dirichlet"


def rounding_option(text: str) -> str | float:
    """The value of a ``--rounding`` option: ``auto``, ``none`` or a step that divides 100.

    Parameters
    ----------
    text : str
        The option as given.

    Returns
    -------
    str or float
        ``"auto"`` or ``"none"`` (lower case), or the step in percentage points.

    Raises
    ------
    EstimationError
        A step that is not a number or does not divide 100 (checked by the models layer).
    """
    if text.strip().lower() in ("auto", "none"):
        return text.strip().lower()
    return parse_rounding(text)


def fit(
    frame: AnalysisFrame,
    *,
    rounding: Any = "auto",
    precision: str | None = None,
    cov_type: str = "oim",
    progress: bool = False,
    remedies: Remedies | None = None,
    survey: Survey | None = None,
) -> FitResult:
    """Fit the model set and decide what the later steps read from it.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.
    rounding : "auto", "none" or number, default "auto"
        Rounding step of the reported percents
        (:func:`~leadblackhole.models.model_set.parse_rounding`).
    precision : str, optional
        Precision formula of the Dirichlet models.
    cov_type : {"oim", "robust"}, default "oim"
        Covariance of the Dirichlet models.
    progress : bool, default False
        Show a progress bar over the models.
    remedies : Remedies, optional
        Corrected and two-step versions of the main model to add (default none).
        They are fitted first, so that their bad input stops the step early.
    survey : Survey, optional
        The survey the frame was built from: its items, needed by the
        errors-in-variables and marker corrections.

    Returns
    -------
    FitResult

    Raises
    ------
    EstimationError
        A model that cannot be fitted, or bad input of a remedy
        (:class:`~leadblackhole.exceptions.ReliabilityError`,
        :class:`~leadblackhole.exceptions.MarkerError`,
        :class:`~leadblackhole.exceptions.InstrumentError`).

    Warns
    -----
    WeakInstrumentWarning
        A control function's first-stage partial F below 10.
    DataWarning
        For each firm with fewer than
        :data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS` analysable
        reps: it keeps its firm effect in every model but is left out of the
        firm-specific checks.
    """
    remedies = remedies or Remedies()
    step = parse_rounding(rounding, frame)
    warn_small_firms(frame)
    main_name = "dirichlet_rounded" if step is not None else "dirichlet"
    extra, effects, tables = fit_remedies(frame, survey, remedies, main_name, step)
    models = run_models(
        frame,
        rounding=rounding,
        precision=precision,
        cov_type=cov_type,
        progress=progress,
    )
    main_name = main_model(frame, models.fits)
    notes = tuple(
        f"{_header(name)}: {note}"
        + (f"; {extra[name].std_errors_note}." if sfx in ("_eiv", "_marker") else ".")
        for name in extra
        for sfx, note in _REMEDY_NOTES.items()
        if name.removeprefix(main_name).removesuffix("_functional_form") == sfx
    )
    models = with_models(models, extra, {name: _header(name) for name in extra}, notes)
    sensitivity = sensitivity_table(frame)
    contour = contour_table(frame, table=sensitivity)
    tables = {"sensitivity": sensitivity, "sensitivity_contour": contour} | tables
    compared: list[Any] = []
    for role in MODEL_ROLES:
        res = models.fits.get(role.name)
        if not role.hypotheses or res is None or role.name == main_name:
            continue
        compared.append((res, frame.selection) if role.every_rep else res)
    kept_names = {role.name for role in MODEL_ROLES if role.kept}
    kept = {name: res for name, res in models.fits.items() if name in kept_names}
    kept |= {main_name + s: extra[main_name + s] for s in KEPT_REMEDIES if main_name + s in extra}
    return FitResult(
        models=models,
        main_name=main_name,
        compared=tuple(compared),
        kept=kept,
        remedy_effects=effects,
        tables=tables,
    )


def warn_small_firms(frame: AnalysisFrame) -> dict[str, int]:
    """Warn about each firm too small for the firm-specific checks; return them.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame.

    Returns
    -------
    dict of str to int
        :func:`~leadblackhole.specification.small_firms` of the analysis sample.

    Warns
    -----
    DataWarning
        One per firm with fewer than
        :data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS` analysable reps.
    """
    small = small_firms(frame.data["firm"])
    for firm, n in small.items():
        warnings.warn(
            f"firm {firm!r} has {n} analysable rep{'s' if n != 1 else ''}, fewer than the "
            f"{FIRM_CHECK_MIN_REPS} a firm-specific check needs (its own intercept and five "
            "focal slopes): it keeps its firm effect in every model but is left out of the "
            "test of firm-specific slopes, the per-firm effects and leave-one-firm-out",
            DataWarning,
            stacklevel=3,
        )
    return small


def _header(name: str) -> str:
    """The regression table's header of a corrected or two-step model."""
    rounded = name.startswith("dirichlet_rounded")
    suffix = name.removeprefix("dirichlet_rounded" if rounded else "dirichlet")
    header = REMEDY_HEADERS.get(suffix, name)
    return f"Rounded {header}" if rounded else header


def fit_remedies(
    frame: AnalysisFrame,
    survey: Survey | None,
    remedies: Remedies,
    main_name: str,
    step: float | None,
) -> tuple[dict[str, ShareResults], dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Fit the corrected and two-step versions of the main model that ``remedies`` asks for.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame, with the extra columns of ``remedies.extra_columns``
        attached (:func:`leadblackhole.data.attach_extra_columns`).
    survey : Survey or None
        The survey of the frame (its items); needed by the two corrections.
    remedies : Remedies
    main_name : {"dirichlet", "dirichlet_rounded"}
        The main model the remedies correct.
    step : float or None
        Its rounding step (the control function and the selection correction
        use it; the two corrections detect the step of the percents themselves).

    Returns
    -------
    fits : dict of str to ShareResults
        By model name, in the order eiv, marker, cf, heckman.
    effects : dict of str to DataFrame
        Their registry effects (``hypotheses.csv`` layout).
    tables : dict of str to DataFrame
        ``first_stage`` and ``endogeneity_tests`` when a two-step model was fitted.

    Raises
    ------
    EstimationError
        Bad input of a remedy, or a model that cannot be fitted; a correction
        asked for without the survey.
    """
    fits: dict[str, ShareResults] = {}
    effects: dict[str, pd.DataFrame] = {}
    tables: dict[str, pd.DataFrame] = {}
    if remedies.errors_in_variables or remedies.marker is not None:
        from ..corrections import fit_eiv, fit_marker

        if survey is None:
            raise EstimationError("the corrections need the survey's items (survey=...)")
        items, scales = frame.measurement_inputs(survey)[:2]
        opts = {
            "model": main_name,
            "std_errors": remedies.std_errors,
            "n_boot": remedies.n_boot,
            "seed": remedies.seed,
        }
        corrected = []
        if remedies.errors_in_variables:
            model_scales = {s: v for s, v in scales.items() if s in ("prequal", "tracking")}
            corrected.append(
                fit_eiv(frame, items, model_scales, method=remedies.eiv_method, **opts)
            )
        if remedies.marker is not None:
            corrected.append(
                fit_marker(
                    frame, items, remedies.marker, scales, loadings=remedies.marker_loadings, **opts
                )
            )
        for res in corrected:
            fits[res.model_name] = res
            effects[res.model_name] = res.effects
    two_step = []
    rounded = {"step": step} if main_name == "dirichlet_rounded" else {}
    if remedies.instruments:
        from ..models.two_step import first_stage_table

        cf = fit_share_model(
            frame,
            f"{main_name}_cf",
            instruments=list(remedies.instruments),
            endogenous=list(remedies.endogenous),
            **rounded,
        )
        tables["first_stage"] = first_stage_table(cf)
        two_step.append(cf)
    if remedies.selection_instrument is not None:
        exclusion = list(remedies.selection_instrument) or "none"
        two_step.append(
            fit_share_model(frame, f"{main_name}_heckman", exclusion=exclusion, **rounded)
        )
    if two_step:
        from ..effects.two_step import two_step_effects
        from ..models.two_step import control_test_table

        for res in two_step:
            fits[res.model_name] = res
            effects[res.model_name] = two_step_effects(res, frame)
        tables["endogeneity_tests"] = control_test_table(two_step)
    return fits, effects, tables
