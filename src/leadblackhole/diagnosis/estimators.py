"""The estimators a design diagnosis compares, and their registry.

:data:`ESTIMATORS` maps a name to a callable ``estimator(frame) -> DataFrame``
that takes the :class:`~leadblackhole.data.AnalysisFrame` of one simulated
study and returns one row per registry effect it estimates, with columns
:data:`ESTIMATE_COLUMNS` (``id``, ``estimate``, ``std_error``, ``p_value``,
``conf_low``, ``conf_high``, ``supported``). An estimator whose fit fails
raises :class:`~leadblackhole.exceptions.EstimationError` (or warns
:class:`~leadblackhole.exceptions.ConvergenceWarning`); the replication is
then recorded as not converged. A share model registered with
:func:`leadblackhole.models.register_model` (fitted through
:func:`~leadblackhole.models.fit_share_model`, read by the effects engine
through the results interface) becomes an estimator with one line::

    register_estimator("my_model", EffectsEstimator("my_model"))

The models and effects packages are imported inside the estimator, when it
is first called (on the worker that runs it), so that importing this module
stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..exceptions import DiagnosisError

__all__ = [
    "ALPHA",
    "DIAGNOSIS_N_BOOT",
    "ESTIMATE_COLUMNS",
    "ESTIMATORS",
    "CorrectedEstimator",
    "EffectsEstimator",
    "TwoStepEstimator",
    "register_estimator",
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
#: Test level of the registry (a hypothesis is supported at p < 0.05).
ALPHA: float = 0.05


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
        from ..effects import EffectOptions, model_effects
        from ..models import fit_share_model

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
        >>> from leadblackhole.diagnosis import simulate_frame
        >>> from leadblackhole.simulation import StudyDesign
        >>> frame, _ = simulate_frame(StudyDesign(n_reps=150), seed=1)
        >>> cols = EffectsEstimator("ols").estimate_columns(frame)
        >>> cols["id"][:2]
        ['H1', 'H3']
        """
        from ..effects import EffectOptions, registry_estimates
        from ..models import fit_share_model

        results = fit_share_model(frame, self.model, **dict(self.fit_options))
        options = EffectOptions(variance=self.variance, alpha=ALPHA)
        cols = registry_estimates(results, frame, options=options, design=results.mean_design)
        return {c: cols[c] for c in ESTIMATE_COLUMNS}


@dataclass(frozen=True)
class TwoStepEstimator:
    """A two-step share model (control function, selection correction) and its effects.

    Parameters
    ----------
    model : str
        ``dirichlet_cf``, ``dirichlet_rounded_cf``, ``dirichlet_heckman`` or
        ``dirichlet_rounded_heckman`` (:mod:`leadblackhole.models.two_step`).
    fit_options : tuple of (str, value) pairs
        Keyword options of the fit: ``(("instruments", ("campaign_budget",)),)``
        or ``(("exclusion", ("lead_access",)),)`` (the extra columns
        :func:`~leadblackhole.diagnosis.simulate_frame` attaches when the design
        draws them; a study without them fails, recorded as not converged).

    Notes
    -----
    The effects are those of :func:`leadblackhole.effects.two_step.two_step_estimates`
    (the control held at each rep's value; for the selection correction, the
    inverse Mills ratio set to 0 and the average taken over every rep with complete
    predictors), with the two-step sandwich covariance. A weak first stage is not
    an error here: the diagnosis measures what the estimator does with the
    instrument the design draws (its first-stage F is stated with the evidence).

    Examples
    --------
    >>> est = TwoStepEstimator("dirichlet_cf", (("instruments", ("campaign_budget",)),))
    >>> est.model
    'dirichlet_cf'
    """

    model: str
    fit_options: tuple[tuple[str, Any], ...] = ()

    def __call__(self, frame) -> pd.DataFrame:
        """Fit the model to ``frame`` and return its registry effects (:data:`ESTIMATE_COLUMNS`)."""
        return pd.DataFrame(self.estimate_columns(frame))

    def estimate_columns(self, frame) -> dict[str, Any]:
        """What :meth:`__call__` returns, as a dict of columns."""
        import warnings

        from ..effects import EffectOptions
        from ..effects.two_step import two_step_estimates
        from ..exceptions import WeakInstrumentWarning
        from ..models import fit_share_model

        options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.fit_options}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", WeakInstrumentWarning)
            results = fit_share_model(frame, self.model, **options)
        cols = two_step_estimates(results, frame, options=EffectOptions(alpha=ALPHA))
        return {c: cols[c] for c in ESTIMATE_COLUMNS}


#: Bootstrap replicates of a corrected estimator whose standard errors are the bootstrap's
#: (``CorrectedEstimator(..., std_errors="bootstrap")``; the command's ``fit`` uses 200).
DIAGNOSIS_N_BOOT: int = 50


@dataclass(frozen=True)
class CorrectedEstimator:
    """A correction of the main model for unreliable scales or common-method variance.

    Parameters
    ----------
    kind : {"eiv", "marker"}
        :func:`leadblackhole.corrections.fit_eiv` (regression calibration with the
        scales' reliabilities) or :func:`leadblackhole.corrections.fit_marker` (the
        method factor measured by the marker scale ``mk_*``).
    model : {"dirichlet", "dirichlet_rounded"}
        The main model corrected.
    n_boot : int
        Bootstrap replicates of both steps, with ``std_errors="bootstrap"``.
    std_errors : {"sandwich", "bootstrap"}
        The corrections' standard errors: the two-step sandwich (the default of
        ``fit``, so the diagnosis measures what ``fit`` reports) or the bootstrap.

    Notes
    -----
    The frame must carry the item answers of its reps (``frame.items``, as
    :func:`~leadblackhole.diagnosis.simulate_frame` gives them); the marker
    correction needs marker items (a design with ``marker_items``). Without them
    the fit raises :class:`~leadblackhole.exceptions.EstimationError` and the
    replication is recorded as not converged. The bootstrap's seed is a hash of
    the study's reported percents: a study always gets the same resamples, and
    different studies get unrelated ones.

    Examples
    --------
    >>> CorrectedEstimator("eiv").model
    'dirichlet'
    """

    kind: str
    model: str = "dirichlet"
    n_boot: int = DIAGNOSIS_N_BOOT
    std_errors: str = "sandwich"

    def __call__(self, frame) -> pd.DataFrame:
        """Fit the correction to ``frame`` and return its registry effects."""
        return pd.DataFrame(self.estimate_columns(frame))

    def estimate_columns(self, frame) -> dict[str, Any]:
        """What :meth:`__call__` returns, as a dict of columns."""
        from ..corrections import fit_eiv, fit_marker
        from ..exceptions import EstimationError

        items = getattr(frame, "items", None)
        if items is None:
            raise EstimationError(
                f"the {self.kind} correction needs the item answers of the study (frame.items)"
            )
        opts = {"model": self.model, "std_errors": self.std_errors}
        if self.std_errors == "bootstrap":
            opts |= {"n_boot": self.n_boot, "seed": _study_seed(frame)}
        if self.kind == "eiv":
            res = fit_eiv(frame, items, **opts)
        else:
            marker = [c for c in items.columns if c.startswith("mk_")]
            if not marker:
                raise EstimationError("the marker correction needs marker items (mk_*)")
            scales = dict(frame.scales) | {"marker": marker}
            res = fit_marker(frame, items, "marker", scales, **opts)
        eff = res.effects
        return {c: eff[c].to_numpy(dtype=object if c == "supported" else None)
                for c in ESTIMATE_COLUMNS}  # fmt: skip


def _study_seed(frame) -> int:
    """A seed that depends on the study's reported shares only (crc32 of their bytes)."""
    import zlib

    import numpy as np

    shares = np.ascontiguousarray(frame.raw[["marketing", "self", "other"]].to_numpy(dtype=float))
    return zlib.crc32(shares.tobytes())


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
# the corrections (issue 19): two-step sandwich standard errors, as fit reports them
register_estimator("dirichlet_eiv", CorrectedEstimator("eiv", "dirichlet"))
register_estimator("dirichlet_rounded_eiv", CorrectedEstimator("eiv", "dirichlet_rounded"))
register_estimator("dirichlet_marker", CorrectedEstimator("marker", "dirichlet"))
register_estimator("dirichlet_rounded_marker", CorrectedEstimator("marker", "dirichlet_rounded"))
# the two-step models (issue 20): the instrument and the exclusion variable the design draws
_IV = (("instruments", ("campaign_budget",)),)
_EXCLUSION = (("exclusion", ("lead_access",)),)
register_estimator("dirichlet_cf", TwoStepEstimator("dirichlet_cf", _IV))
register_estimator("dirichlet_rounded_cf", TwoStepEstimator("dirichlet_rounded_cf", _IV))
register_estimator("dirichlet_heckman", TwoStepEstimator("dirichlet_heckman", _EXCLUSION))
register_estimator(
    "dirichlet_rounded_heckman", TwoStepEstimator("dirichlet_rounded_heckman", _EXCLUSION)
)
