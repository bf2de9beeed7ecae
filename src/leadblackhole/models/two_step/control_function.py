r"""The control function: Dirichlet share models with first-stage residuals of endogenous regressors.

:func:`fit_dirichlet_cf` (``"dirichlet_cf"``) and :func:`fit_dirichlet_rounded_cf`
(``"dirichlet_rounded_cf"``) regress each endogenous variable by OLS on the
instruments and the model's exogenous regressors (:class:`FirstStage`) and put
the residual ``cf_<variable>`` into both mean equations;
:class:`ControlFunctionResults` carries the first stages into the effects'
delta method, and :func:`first_stage_table` gives the ``first_stage.csv`` rows.
See the notes of :mod:`leadblackhole.models.two_step`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from leadblackhole.exceptions import EstimationError, InstrumentError, WeakInstrumentWarning
from leadblackhole.models import analysis_data, main_model_exog, register_model
from leadblackhole.specification import FOCAL

from .core import (
    TwoStepResults,
    check_cov_type,
    check_extra_columns,
    column_names,
    fit_dirichlet_second_step,
    score_by_control,
    two_step_covariance,
)

__all__ = [
    "FIRST_STAGE_COLUMNS",
    "WEAK_INSTRUMENT_F",
    "ControlFunctionResults",
    "FirstStage",
    "exogenous_terms",
    "first_stage_design",
    "first_stage_table",
    "fit_dirichlet_cf",
    "fit_dirichlet_rounded_cf",
]

#: Partial F below which a first stage warns (Staiger & Stock 1997's rule of thumb).
WEAK_INSTRUMENT_F: float = 10.0
#: Columns of ``first_stage.csv``, in order.
FIRST_STAGE_COLUMNS: tuple[str, ...] = (
    "model",
    "endogenous",
    "term",
    "role",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "n",
    "partial_f",
    "partial_f_df1",
    "partial_f_df2",
    "partial_f_p_value",
    "partial_r2",
    "weak",
)


# ----------------------------------------------------------------------------
# the first stage
# ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FirstStage:
    r"""OLS first stage of one endogenous variable.

    Attributes
    ----------
    endogenous : str
        The endogenous variable (``volume``).
    instruments : tuple of str
        Excluded instruments.
    terms : tuple of str
        First-stage regressors: the model's exogenous terms, then the instruments.
    params : ndarray (k1,)
        OLS coefficients.
    cov : ndarray (k1, k1)
        HC1 covariance of ``params`` (the scale Stata's ``robust`` uses).
    resid : ndarray (n,)
        Residuals: the control ``cf_<endogenous>``.
    partial_f : float
        Heteroskedasticity-robust partial F of the instruments: the HC1 Wald
        statistic of their coefficients divided by their number.
    partial_r2 : float
        :math:`(RSS_0 - RSS)/RSS_0`, :math:`RSS_0` from the regression without
        the instruments.
    nobs : int
    """

    endogenous: str
    instruments: tuple[str, ...]
    terms: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    resid: np.ndarray
    partial_f: float
    partial_r2: float
    nobs: int

    @property
    def df(self) -> tuple[int, int]:
        """Degrees of freedom of the partial F: (instruments, n - first-stage regressors)."""
        return len(self.instruments), self.nobs - len(self.terms)

    @property
    def partial_f_pvalue(self) -> float:
        """p-value of the partial F on the F(df1, df2) distribution."""
        return float(stats.f.sf(self.partial_f, *self.df))

    @property
    def weak(self) -> bool:
        """Whether the partial F is below :data:`WEAK_INSTRUMENT_F`."""
        return bool(self.partial_f < WEAK_INSTRUMENT_F)


def _first_stage(y: np.ndarray, w: np.ndarray, terms, endogenous, instruments) -> FirstStage:
    n, k = w.shape
    q, r = np.linalg.qr(w)
    params = np.linalg.solve(r, q.T @ y)
    resid = y - w @ params
    bread = np.linalg.inv(r.T @ r)
    meat = (w * resid[:, None] ** 2).T @ w
    cov = bread @ meat @ bread * n / (n - k)
    cov = (cov + cov.T) / 2
    m = len(instruments)
    bz = params[-m:]
    f = float(bz @ np.linalg.solve(cov[-m:, -m:], bz)) / m
    w0 = w[:, :-m]
    b0 = np.linalg.lstsq(w0, y, rcond=None)[0]
    rss0 = float(np.sum((y - w0 @ b0) ** 2))
    rss = float(resid @ resid)
    return FirstStage(
        endogenous=endogenous,
        instruments=tuple(instruments),
        terms=tuple(terms),
        params=params,
        cov=cov,
        resid=resid,
        partial_f=f,
        partial_r2=(rss0 - rss) / rss0 if rss0 > 0 else float("nan"),
        nobs=n,
    )


# ----------------------------------------------------------------------------
# the results
# ----------------------------------------------------------------------------
class ControlFunctionResults(TwoStepResults):
    """Results of the control-function Dirichlet model (``dirichlet_cf``, ``dirichlet_rounded_cf``).

    Attributes
    ----------
    first_stages : tuple of FirstStage
        One OLS first stage per endogenous variable.
    first_stage_design : ndarray (n, k1)
        The first stages' regressors (exogenous terms, then the instruments).
    """

    kind = "control_function"

    def __init__(self, *, first_stages, first_stage_design, **kwargs) -> None:
        super().__init__(**kwargs)
        object.__setattr__(self, "first_stages", tuple(first_stages))
        object.__setattr__(self, "first_stage_design", np.asarray(first_stage_design))

    @property
    def endogenous(self) -> tuple[str, ...]:
        """The endogenous variables."""
        return tuple(fs.endogenous for fs in self.first_stages)

    @property
    def instruments(self) -> tuple[str, ...]:
        """The excluded instruments."""
        return self.first_stages[0].instruments

    @property
    def identification(self) -> str:  # noqa: D102 - documented on the base
        return f"instruments: {', '.join(self.instruments)}"

    @cached_property
    def _augmented(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Mean terms, coefficients and covariance with the first-stage sensitivity terms."""
        terms, coef, cov = self.second.mean_arrays()
        eqs = self.link.equations
        fs_terms = [f"first_stage[{t.replace(':', '*')}]" for t in self.first_stages[0].terms]
        p, k1, q = len(terms), len(fs_terms), len(eqs)
        n_mean = p * q
        e_count = len(self.first_stages)
        # joint covariance of (mean coefficients, first-stage coefficients)
        joint = np.zeros((n_mean + e_count * k1, n_mean + e_count * k1))
        mean_pos = np.arange(n_mean)
        joint[:n_mean, :n_mean] = self._cov[np.ix_(mean_pos, mean_pos)]
        joint[:n_mean, n_mean:] = self._cov_theta_pi[mean_pos]
        joint[n_mean:, :n_mean] = self._cov_theta_pi[mean_pos].T
        joint[n_mean:, n_mean:] = self._cov_pi
        # the augmented coefficients: per equation the mean terms, then delta_j = -sum_e g_je pi_e
        pa = p + k1
        jac = np.zeros((q * pa, n_mean + e_count * k1))
        ctrl_pos = [terms.index(c) for c in self.controls]
        for j in range(q):
            jac[j * pa : j * pa + p, j * p : (j + 1) * p] = np.eye(p)
            for e, pos in enumerate(ctrl_pos):
                gamma = coef[pos, j]
                cols = slice(n_mean + e * k1, n_mean + (e + 1) * k1)
                jac[j * pa + p : (j + 1) * pa, cols] = -gamma * np.eye(k1)
        cov_aug = jac @ joint @ jac.T
        coef_aug = np.vstack([coef, np.zeros((k1, q))])
        return terms + fs_terms, np.asfortranarray(coef_aug), np.asfortranarray(cov_aug)

    @property
    def mean_terms(self) -> list[str]:
        """Mean terms, then one ``first_stage[w]`` term per first-stage regressor (coefficient 0)."""
        return list(self._augmented[0])

    @property
    def mean_coef(self) -> pd.DataFrame:
        """Mean coefficients (terms x equations), 0 for the first-stage terms."""
        terms, coef, _ = self._augmented
        return pd.DataFrame(coef, index=pd.Index(terms, name="term"), columns=self.link.equations)

    @property
    def mean_cov(self) -> pd.DataFrame:
        """Covariance of the augmented mean coefficients (first stage included)."""
        terms, _, cov = self._augmented
        labels = pd.MultiIndex.from_tuples([(e, t) for e in self.link.equations for t in terms])
        return pd.DataFrame(cov, index=labels, columns=labels)

    def mean_arrays(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """:attr:`mean_terms`, :attr:`mean_coef` and :attr:`mean_cov` as arrays."""
        terms, coef, cov = self._augmented
        return list(terms), coef, cov

    @property
    def mean_design(self) -> np.ndarray:
        """The fitted design (controls included), then the first-stage regressors."""
        return np.asfortranarray(np.hstack([self.second.mean_design, self.first_stage_design]))

    def effects_data(self, frame: Any) -> tuple[pd.DataFrame, np.ndarray]:  # noqa: D102
        data = analysis_data(frame, "the control-function effects")
        design = self.mean_design
        if len(data) != design.shape[0]:
            raise EstimationError(
                f"the frame has {len(data)} reps but the model was fitted on {design.shape[0]}"
            )
        return data, design


# ----------------------------------------------------------------------------
# the fits
# ----------------------------------------------------------------------------
def exogenous_terms(exog: pd.DataFrame, endogenous: Sequence[str]) -> list[str]:
    """The terms of the design that hold no endogenous variable (the first stage's own)."""
    return [t for t in exog.columns if not set(t.split(":")) & set(endogenous)]


def first_stage_design(
    exog: pd.DataFrame, exogenous: Sequence[str], instruments: np.ndarray
) -> np.ndarray:
    """The first stages' regressors: the exogenous terms of ``exog``, then the instruments.

    Parameters
    ----------
    exog : DataFrame
        The main model's design (:func:`~leadblackhole.models.main_model_exog`).
    exogenous : sequence of str
        Its terms without an endogenous variable (:func:`exogenous_terms`).
    instruments : ndarray (n, m)
        The instruments' values on the same reps.

    Returns
    -------
    ndarray (n, len(exogenous) + m)
    """
    return np.column_stack([exog[list(exogenous)].to_numpy(dtype=float), instruments])


def _fit_cf(frame, instruments, endogenous, rounded, step, cov_type, start_params, name):
    cov_type = check_cov_type(cov_type)
    data = analysis_data(frame, "the control-function model")
    instruments = column_names(instruments, "instruments")
    endogenous = column_names(endogenous, "endogenous")
    if not instruments:
        raise InstrumentError("the control function needs at least one instrument")
    if not endogenous:
        raise InstrumentError("name at least one endogenous variable (e.g. 'volume')")
    allowed = [v for v in (*FOCAL, "variable_pay") if v in data.columns]
    bad = [v for v in endogenous if v not in allowed]
    if bad:
        raise InstrumentError(f"endogenous variable(s) {bad} unknown; expected some of {allowed}")
    if len(instruments) < len(endogenous):
        raise InstrumentError(
            f"{len(instruments)} instrument(s) for {len(endogenous)} endogenous variable(s): "
            "the control function needs at least one instrument per endogenous variable"
        )
    overlap = sorted(set(instruments) & set(endogenous))
    if overlap:
        raise InstrumentError(f"{overlap} cannot be both endogenous and an instrument")
    exog = main_model_exog(data)
    exogenous = exogenous_terms(exog, endogenous)
    check_extra_columns(data, instruments, "instrument", exog[exogenous])
    w = first_stage_design(exog, exogenous, data[list(instruments)].to_numpy(dtype=float))
    fs_terms = [*exogenous, *instruments]
    stages = []
    for v in endogenous:
        fs = _first_stage(data[v].to_numpy(dtype=float), w, fs_terms, v, instruments)
        if fs.weak:
            warnings.warn(
                f"weak instrument(s) for {v}: first-stage partial F = {fs.partial_f:.2f} < "
                f"{WEAK_INSTRUMENT_F:g} ({', '.join(instruments)}); the control-function "
                "estimates lean towards the uncorrected ones and their intervals may not cover",
                WeakInstrumentWarning,
                stacklevel=3,
            )
        stages.append(fs)
    controls = tuple(f"cf_{v}" for v in endogenous)
    x2 = exog.copy()
    for c, fs in zip(controls, stages, strict=True):
        x2[c] = fs.resid
    second, step = fit_dirichlet_second_step(data, x2, rounded, step, start_params)
    # the pieces of the two-step covariance
    n, k1 = w.shape
    psi = np.hstack([w * fs.resid[:, None] for fs in stages])
    h11 = np.kron(np.eye(len(stages)), -(w.T @ w))
    d = score_by_control(second, controls)
    cross = np.hstack([-(de.T @ w) for de in d])
    hess = np.asarray(second.hessian, dtype=float)
    scores = second.model.score_obs(np.asarray(second.params, dtype=float))
    cov, c_tp, v_pi = two_step_covariance(hess, scores, cross, h11, psi, cov_type)
    options = {"instruments": list(instruments), "endogenous": list(endogenous)}
    options |= {"cov_type": cov_type}
    if rounded:
        options["step"] = step
    return ControlFunctionResults(
        second=second,
        model_name=name,
        controls=controls,
        cov=cov,
        cov_pi=v_pi,
        cov_theta_pi=c_tp,
        cov_type=cov_type,
        fit_options=options | {"start_params": second.params},
        first_stages=stages,
        first_stage_design=w,
    )


@register_model("dirichlet_cf")
def fit_dirichlet_cf(
    frame: Any,
    instruments: Sequence[str] | str,
    endogenous: Sequence[str] | str = ("volume",),
    cov_type: str = "robust",
    start_params: pd.Series | None = None,
) -> ControlFunctionResults:
    """Dirichlet regression with a control function for endogenous regressors.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample (``frame.data``) holding the instrument columns
        (:func:`leadblackhole.data.attach_extra_columns`).
    instruments : str or sequence of str
        Excluded instruments (a comma-separated string is split).
    endogenous : str or sequence of str, default ``("volume",)``
        Endogenous analysis variables (focal predictors or ``variable_pay``).
    cov_type : {"robust", "oim"}
        The stacked two-step sandwich (default) or Murphy-Topel's two-step
        covariance, which assumes the share model's information-matrix
        equality (module notes; docs/endogeneity.md shows where it fails).
    start_params : Series, optional
        Starting values of the second step (warm starts of bootstrap refits).

    Returns
    -------
    ControlFunctionResults
        Equations ``marketing``, ``self``, ``precision``; the mean equations
        hold the terms of the main model and ``cf_<variable>`` per endogenous
        variable.

    Raises
    ------
    InstrumentError
        No instrument, fewer instruments than endogenous variables, an unknown
        endogenous variable, an instrument missing from the data, with missing
        values, constant, collinear with the regressors or named like a model
        variable.
    EstimationError
        As the Dirichlet model.

    Warns
    -----
    WeakInstrumentWarning
        A first stage's partial F below 10.

    Examples
    --------
    >>> res = fit_share_model(frame, "dirichlet_cf", instruments=["campaign_budget"])  # doctest: +SKIP
    >>> res.first_stages[0].partial_f                                                 # doctest: +SKIP
    """
    return _fit_cf(
        frame, instruments, endogenous, False, None, cov_type, start_params, "dirichlet_cf"
    )


@register_model("dirichlet_rounded_cf")
def fit_dirichlet_rounded_cf(
    frame: Any,
    instruments: Sequence[str] | str,
    endogenous: Sequence[str] | str = ("volume",),
    step: Any = "auto",
    cov_type: str = "robust",
    start_params: pd.Series | None = None,
) -> ControlFunctionResults:
    """The rounding-aware Dirichlet regression with a control function.

    Parameters are those of :func:`fit_dirichlet_cf`, plus ``step`` (the
    rounding step in percentage points, ``"auto"`` detects it as the
    rounding-aware main model does).

    Returns
    -------
    ControlFunctionResults

    Raises
    ------
    InstrumentError, EstimationError
        As :func:`fit_dirichlet_cf`; also percents with no rounding step.
    """
    return _fit_cf(
        frame, instruments, endogenous, True, step, cov_type, start_params, "dirichlet_rounded_cf"
    )


# ----------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------
def first_stage_table(results: ControlFunctionResults) -> pd.DataFrame:
    """The ``first_stage.csv`` rows of a control-function fit.

    Parameters
    ----------
    results : ControlFunctionResults

    Returns
    -------
    DataFrame
        Columns :data:`FIRST_STAGE_COLUMNS`: one row per first-stage
        coefficient (``role`` ``instrument`` or ``exogenous``; HC1 standard
        errors, t statistics with ``n - k`` df), with the instruments'
        heteroskedasticity-robust partial F, its df and p-value, the partial
        R² and ``weak`` (F < 10) repeated on every row of the stage.

    Raises
    ------
    EstimationError
        When ``results`` is not a control-function fit.
    """
    if not isinstance(results, ControlFunctionResults):
        raise EstimationError(
            f"expected control-function results; received {type(results).__name__}"
        )
    rows = []
    for fs in results.first_stages:
        se = np.sqrt(np.diag(fs.cov))
        t = fs.params / se
        df1, df2 = fs.df
        p = 2 * stats.t.sf(np.abs(t), df2)
        for j, term in enumerate(fs.terms):
            rows.append(
                {
                    "model": results.model_name,
                    "endogenous": fs.endogenous,
                    "term": term,
                    "role": "instrument" if term in fs.instruments else "exogenous",
                    "estimate": fs.params[j],
                    "std_error": se[j],
                    "statistic": t[j],
                    "p_value": p[j],
                    "n": fs.nobs,
                    "partial_f": fs.partial_f,
                    "partial_f_df1": df1,
                    "partial_f_df2": df2,
                    "partial_f_p_value": fs.partial_f_pvalue,
                    "partial_r2": fs.partial_r2,
                    "weak": fs.weak,
                }
            )
    return pd.DataFrame(rows, columns=list(FIRST_STAGE_COLUMNS))
