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
    "ESTIMATE_COLUMNS",
    "ESTIMATORS",
    "EffectsEstimator",
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
