r"""The selection correction: Dirichlet share models with the inverse Mills ratio (Heckman 1979).

:func:`fit_dirichlet_heckman` (``"dirichlet_heckman"``) and
:func:`fit_dirichlet_rounded_heckman` fit the selection probit of any
marketing-lead time over every rep with complete predictors (plus the
exclusion variables when given) and put its inverse Mills ratio into both mean
equations; :class:`HeckmanResults` reads the effects with the ratio at 0 over
the selection frame. See the notes of :mod:`leadblackhole.models.two_step`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from leadblackhole.exceptions import EstimationError
from leadblackhole.models import analysis_data, fit_probit, main_model_exog, register_model
from leadblackhole.specification import design_matrix, firm_levels

from .core import (
    TwoStepResults,
    check_cov_type,
    check_extra_columns,
    column_names,
    fit_dirichlet_second_step,
    score_by_control,
    two_step_covariance,
)

__all__ = ["HeckmanResults", "fit_dirichlet_heckman", "fit_dirichlet_rounded_heckman"]


# ----------------------------------------------------------------------------
# the results
# ----------------------------------------------------------------------------
class HeckmanResults(TwoStepResults):
    """Results of the selection-corrected Dirichlet model (``dirichlet_heckman`` and the rounded one).

    Attributes
    ----------
    probit : statsmodels results
        The selection probit (its ``params`` and ``cov_params()``).
    exclusion : tuple of str
        Exclusion variables (empty: identified by functional form only).
    """

    kind = "heckman"

    def __init__(self, *, probit, exclusion, **kwargs) -> None:
        super().__init__(**kwargs)
        object.__setattr__(self, "probit", probit)
        object.__setattr__(self, "exclusion", tuple(exclusion))

    @property
    def identification(self) -> str:  # noqa: D102 - documented on the base
        if not self.exclusion:
            return "no exclusion variable: identified by the probit's functional form only"
        return f"exclusion variables: {', '.join(self.exclusion)}"

    def effects_data(self, frame: Any) -> tuple[pd.DataFrame, np.ndarray]:  # noqa: D102
        selection = getattr(frame, "selection", None)
        if not isinstance(selection, pd.DataFrame):
            raise EstimationError(
                "the selection-corrected effects average over every rep with complete "
                "predictors: pass the AnalysisFrame (with its selection frame)"
            )
        terms = self.mean_terms
        levels = [t[len("firm[T.") : -1] for t in terms if t.startswith("firm[T.")]
        ref = firm_levels(selection["firm"])[0]
        x = design_matrix(selection, levels=[ref, *levels], variable_pay="variable_pay" in terms)
        x = x.reindex(columns=terms, fill_value=0.0)  # the inverse Mills ratio at 0
        return selection, np.asfortranarray(x.to_numpy(dtype=float))


# ----------------------------------------------------------------------------
# the fits
# ----------------------------------------------------------------------------
def _inverse_mills(u: np.ndarray) -> np.ndarray:
    return np.exp(stats.norm.logpdf(u) - special.log_ndtr(u))


def _selection_probit(frame: Any, exclusion: tuple[str, ...]):
    """The selection probit (statsmodels results) and its design on the selection frame."""
    import statsmodels.api as sm

    base = fit_probit(frame)
    if base is None:
        raise EstimationError(
            "the selection correction needs reps with no marketing-lead time (pct_marketing = 0) "
            "in the survey: none was found, so the selection probit cannot be estimated"
        )
    if not exclusion:
        return base.raw
    sel = frame.selection
    z = base.raw.model.exog
    names = list(base.raw.model.exog_names)
    zdf = pd.DataFrame(z, columns=names, index=sel.index)
    check_extra_columns(sel, exclusion, "exclusion variable", zdf)
    zx = np.column_stack([z, sel[list(exclusion)].to_numpy(dtype=float)])
    y = base.raw.model.endog
    model = sm.Probit(y, pd.DataFrame(zx, columns=[*names, *exclusion], index=sel.index))
    return model.fit(method="newton", maxiter=100, tol=1e-12, disp=False)


def _fit_heckman(frame, exclusion, rounded, step, cov_type, start_params, main):
    cov_type = check_cov_type(cov_type)
    if isinstance(exclusion, str) and exclusion.strip().lower() == "none":
        exclusion = ()
    exclusion = column_names(exclusion, "exclusion")
    if not isinstance(getattr(frame, "selection", None), pd.DataFrame):
        raise EstimationError(
            "the selection correction needs the AnalysisFrame (its selection frame holds the "
            "reps with no marketing-lead time); received a "
            f"{type(frame).__name__}"
        )
    data = analysis_data(frame, "the selection-corrected model")
    sel = frame.selection
    keep = sel["any_marketing"].to_numpy() == 1
    if int(keep.sum()) != len(data) or not np.array_equal(
        sel["rep_id"].to_numpy()[keep], data["rep_id"].to_numpy()
    ):
        raise EstimationError(
            "the analysis sample must be the reps of the selection frame with some "
            "marketing-lead time, in the same order (as build_analysis_frame makes them)"
        )
    probit = _selection_probit(frame, exclusion)
    gamma = np.asarray(probit.params, dtype=float)
    z = np.asarray(probit.model.exog, dtype=float)
    u = z @ gamma
    lam = _inverse_mills(u)
    x2 = main_model_exog(data).copy()
    x2["inverse_mills"] = lam[keep]
    second, step = fit_dirichlet_second_step(data, x2, rounded, step, start_params)
    # two-step pieces: psi = probit scores over the selection frame, H11 its Hessian
    psi = np.asarray(probit.model.score_obs(gamma), dtype=float)
    h11 = np.asarray(probit.model.hessian(gamma), dtype=float)
    (d,) = score_by_control(second, ("inverse_mills",))
    dlam = -lam * (u + lam)  # d lambda / d u
    cross = d.T @ (z[keep] * dlam[keep, None])
    k2 = len(second.params)
    scores = np.zeros((len(sel), k2))
    scores[keep] = second.model.score_obs(np.asarray(second.params, dtype=float))
    hess = np.asarray(second.hessian, dtype=float)
    cov, c_tp, v_pi = two_step_covariance(hess, scores, cross, h11, psi, cov_type)
    name = f"{main}_heckman" + ("" if exclusion else "_functional_form")
    options = {"exclusion": list(exclusion) if exclusion else "none", "cov_type": cov_type}
    if rounded:
        options["step"] = step
    return HeckmanResults(
        second=second,
        model_name=name,
        controls=("inverse_mills",),
        cov=cov,
        cov_pi=v_pi,
        cov_theta_pi=c_tp,
        cov_type=cov_type,
        fit_options=options | {"start_params": second.params},
        probit=probit,
        exclusion=exclusion,
    )


@register_model("dirichlet_heckman")
def fit_dirichlet_heckman(
    frame: Any,
    exclusion: Sequence[str] | str = "none",
    cov_type: str = "robust",
    start_params: pd.Series | None = None,
) -> HeckmanResults:
    """Dirichlet regression with the inverse Mills ratio of the selection probit.

    Parameters
    ----------
    frame : AnalysisFrame
        Built by :func:`leadblackhole.data.build_analysis_frame`, with reps
        reporting no marketing-lead time in its selection frame and the
        exclusion columns attached (:func:`leadblackhole.data.attach_extra_columns`).
    exclusion : str or sequence of str, default ``"none"``
        Variables that move whether a rep takes marketing leads at all but not
        how time is shared; ``"none"``: the correction rests on the probit's
        functional form alone, and the model is named
        ``dirichlet_heckman_functional_form``.
    cov_type : {"robust", "oim"}
        The stacked two-step sandwich (default) or Murphy-Topel's covariance.
    start_params : Series, optional
        Starting values of the second step.

    Returns
    -------
    HeckmanResults

    Raises
    ------
    EstimationError
        A DataFrame instead of the frame, no rep without marketing-lead time, a
        probit that cannot be estimated.
    InstrumentError
        An exclusion variable missing, constant, collinear with the probit's
        regressors or named like a model variable.
    """
    return _fit_heckman(frame, exclusion, False, None, cov_type, start_params, "dirichlet")


@register_model("dirichlet_rounded_heckman")
def fit_dirichlet_rounded_heckman(
    frame: Any,
    exclusion: Sequence[str] | str = "none",
    step: Any = "auto",
    cov_type: str = "robust",
    start_params: pd.Series | None = None,
) -> HeckmanResults:
    """The rounding-aware Dirichlet regression with the inverse Mills ratio.

    Parameters are those of :func:`fit_dirichlet_heckman`, plus ``step`` (as
    the rounding-aware main model).

    Returns
    -------
    HeckmanResults

    Raises
    ------
    EstimationError, InstrumentError
        As :func:`fit_dirichlet_heckman`.
    """
    return _fit_heckman(frame, exclusion, True, step, cov_type, start_params, "dirichlet_rounded")
