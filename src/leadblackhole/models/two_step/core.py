r"""The shared core of the two-step share models: their covariance, results and second step.

:func:`two_step_covariance` is the covariance of a second-step estimate that
uses a first-step one (the module notes of :mod:`leadblackhole.models.two_step`
give the formulas); :class:`TwoStepResults` the results interface of both
corrections; :func:`fit_dirichlet_second_step` fits the exact-share or
rounding-aware Dirichlet regression with the first step's regressor
(:func:`second_step_model`), and
:func:`score_by_control` gives the derivative of its scores by that regressor;
:func:`check_extra_columns` checks instruments and exclusion variables;
:func:`control_test_table` tests that the controls are 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from leadblackhole.data import extra_name_problem
from leadblackhole.exceptions import EstimationError, InstrumentError, ZeroShareWarning
from leadblackhole.models import (
    DirichletRegression,
    RoundedDirichletRegression,
    ShareResults,
    SoftmaxLink,
    WaldTest,
    detect_rounding_step,
)
from leadblackhole.specification import COMPONENTS

__all__ = [
    "ENDOGENEITY_TEST_COLUMNS",
    "TwoStepResults",
    "check_cov_type",
    "check_extra_columns",
    "column_names",
    "control_test_table",
    "fit_dirichlet_second_step",
    "score_by_control",
    "second_step_model",
    "two_step_covariance",
]

#: Columns of ``endogeneity_tests.csv``, in order.
ENDOGENEITY_TEST_COLUMNS: tuple[str, ...] = (
    "model",
    "test",
    "null",
    "terms",
    "statistic",
    "df",
    "p_value",
    "distribution",
    "identification",
)
_BASE = "other"
_COV_TYPES = ("oim", "robust")
#: Relative step of the central difference of the scores by a rep's control value.
_STEP = 1e-5


# ----------------------------------------------------------------------------
# the two-step covariance: a pure function of arrays
# ----------------------------------------------------------------------------
def two_step_covariance(
    hessian2: np.ndarray,
    scores2: np.ndarray,
    cross: np.ndarray,
    hessian1: np.ndarray,
    psi1: np.ndarray,
    cov_type: str = "robust",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Covariance of a second-step estimate that uses a first-step estimate.

    Parameters
    ----------
    hessian2 : ndarray (k2, k2)
        :math:`H_{22}`, Hessian of the second step's objective at its estimate.
    scores2 : ndarray (n, k2)
        Per-rep second-step scores :math:`s_i` (rows of zeros for reps in the
        first step only), aligned with ``psi1``.
    cross : ndarray (k2, k1)
        :math:`H_{21} = \sum_i \partial s_i / \partial\pi'`.
    hessian1 : ndarray (k1, k1)
        :math:`H_{11} = \sum_i \partial\psi_i/\partial\pi'`.
    psi1 : ndarray (n, k1)
        Per-rep first-step estimating functions :math:`\psi_i`.
    cov_type : {"oim", "robust"}
        Murphy-Topel (the second step's information matrix) or the full
        stacked sandwich; see the module notes.

    Returns
    -------
    v_theta : ndarray (k2, k2)
        Covariance of the second-step estimate.
    c_theta_pi : ndarray (k2, k1)
        Covariance of the second-step and the first-step estimates.
    v_pi : ndarray (k1, k1)
        Sandwich covariance of the first-step estimate,
        :math:`H_{11}^{-1} S_{11} H_{11}^{-\top}`.

    Examples
    --------
    With no cross-derivative the second step's covariance is its own sandwich,
    :math:`H_{22}^{-1}(\sum_i s_i s_i^\top)H_{22}^{-1}`:

    >>> h2, h1 = -np.eye(2), -np.eye(1)
    >>> s2, p1 = np.ones((3, 2)), np.ones((3, 1))
    >>> v, c, vp = two_step_covariance(h2, s2, np.zeros((2, 1)), h1, p1)
    >>> v.tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """
    a = np.linalg.inv(-hessian2)
    h1_inv = np.linalg.inv(hessian1)
    b = cross @ h1_inv
    s11 = psi1.T @ psi1
    s21 = scores2.T @ psi1
    if cov_type == "robust":
        q = scores2 - psi1 @ b.T
        v = a @ (q.T @ q) @ a
    else:
        v = a + a @ (b @ s11 @ b.T - b @ s21.T - s21 @ b.T) @ a
    v = (v + v.T) / 2
    c = -a @ (s21 - b @ s11) @ h1_inv.T
    v_pi = h1_inv @ s11 @ h1_inv.T
    return v, c, (v_pi + v_pi.T) / 2


# ----------------------------------------------------------------------------
# checks and the shared pieces of the fits
# ----------------------------------------------------------------------------
def check_extra_columns(
    data: pd.DataFrame, names: Sequence[str], role: str, exog: pd.DataFrame
) -> None:
    """Extra columns used as instruments or exclusion variables: present, usable, not collinear."""
    for name in names:
        why = extra_name_problem(name)
        if why is not None:
            raise InstrumentError(f"{role} {why}")
        if name not in data.columns:
            raise InstrumentError(
                f"{role} {name!r} is not a column of the analysis data; load the survey with "
                f"extra_columns=[{name!r}] and attach it (leadblackhole.data.attach_extra_columns)"
            )
        values = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            raise InstrumentError(
                f"{role} {name!r} has {int(np.sum(~np.isfinite(values)))} missing or non-numeric "
                "value(s) among the reps analysed"
            )
        if np.ptp(values) == 0:
            raise InstrumentError(f"{role} {name!r} is constant among the reps analysed")
    x = exog.to_numpy(dtype=float)
    for j, name in enumerate(names):
        z = data[list(names)].to_numpy(dtype=float)
        others = np.column_stack([x, np.delete(z, j, axis=1)])
        col = z[:, j]
        fit = others @ np.linalg.lstsq(others, col, rcond=None)[0]
        left = float(np.sum((col - fit) ** 2))
        if left <= 1e-10 * float(np.sum((col - col.mean()) ** 2)):
            raise InstrumentError(
                f"{role} {name!r} is collinear with the model's regressors (and the other "
                f"{role}s): it adds no variation of its own, so it cannot identify anything"
            )


def _percents(data: pd.DataFrame) -> pd.DataFrame:
    """Reported percents (marketing, self, other) for the rounding-aware model."""
    reported = [f"pct_{c}" for c in COMPONENTS]
    if all(c in data.columns for c in reported):
        pct = data[reported].to_numpy(dtype=float)
    else:
        pct = 100.0 * data[list(COMPONENTS)].to_numpy(dtype=float)
    whole = np.round(pct)
    pct = np.where(np.abs(pct - whole) < 1e-9, whole, pct)
    return pd.DataFrame(pct, index=data.index, columns=list(COMPONENTS))


def fit_dirichlet_second_step(
    data: pd.DataFrame, exog: pd.DataFrame, rounded: bool, step: Any, start
):
    """Fit the Dirichlet (or rounding-aware Dirichlet) model on ``exog``."""
    model, step = second_step_model(data, exog, rounded, step)
    if start is not None:
        start = [start.get(k, 0.0) for k in model.param_names]
    return model.fit(start_params=start), step


def second_step_model(data: pd.DataFrame, exog: pd.DataFrame, rounded: bool, step: Any):
    """The second step's Dirichlet (or rounding-aware) model on ``exog``, not fitted, and its step.

    Parameters
    ----------
    data : DataFrame
        The analysis sample (its shares, or its reported percents).
    exog : DataFrame
        The mean design with the first step's regressor.
    rounded : bool
        The rounding-aware model.
    step : "auto", float or None
        Its rounding step (``"auto"``: detected).

    Returns
    -------
    model : DirichletRegression or RoundedDirichletRegression
    step : float or None

    Raises
    ------
    EstimationError
        ``step="auto"`` on percents that are not whole numbers, or as the models.
    """
    if rounded:
        if isinstance(step, str) and step == "auto":
            pct = _percents(data)
            step = detect_rounding_step(pct["marketing"], pct["self"])
            if step is None:
                raise EstimationError(
                    "the reported percents are not all whole numbers, so no rounding step was "
                    "detected; fit the exact-share model or give the step"
                )
        model = RoundedDirichletRegression(
            _percents(data), exog, step, base=_BASE, floor="marketing"
        )
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ZeroShareWarning)
            model = DirichletRegression(data[list(COMPONENTS)], exog, base=_BASE)
    return model, step


def score_by_control(res: Any, controls: Sequence[str]) -> list[np.ndarray]:
    """Per-rep derivative of the second step's scores by each rep's control value (n x k2)."""
    model = res.model
    theta = np.asarray(res.params, dtype=float)
    names = list(res.params.index)
    eqs = [e for e in res.link.equations]
    out = []
    for c in controls:
        beta_c = np.array([theta[names.index((e, c))] for e in eqs])
        h = _STEP * max(1.0, float(np.max(np.abs(beta_c))))
        shift = np.zeros_like(theta)
        for e, b in zip(eqs, beta_c, strict=True):
            shift[names.index((e, "Intercept"))] = b
        up = model.score_obs(theta + h * shift)
        down = model.score_obs(theta - h * shift)
        d = (up - down) / (2 * h)
        s0 = model.score_obs(theta)
        for e in eqs:  # the direct term: d(x_ic)/dc = 1 times d loglik / d eta_ie
            g = s0[:, names.index((e, "Intercept"))]
            d[:, names.index((e, c))] += g
        out.append(d)
    return out


def check_cov_type(cov_type: str) -> str:
    """``cov_type`` when it is ``"oim"`` or ``"robust"``; an ``EstimationError`` otherwise."""
    if cov_type not in _COV_TYPES:
        raise EstimationError(f"cov_type must be one of {list(_COV_TYPES)}; received {cov_type!r}")
    return cov_type


def column_names(value: Any, what: str) -> tuple[str, ...]:
    """Column names given as one name, a comma-separated text or a sequence (duplicates dropped)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    try:
        names = tuple(dict.fromkeys(str(v) for v in value))
    except TypeError:
        raise InstrumentError(f"{what} must be a column name or a list of them") from None
    return names


# ----------------------------------------------------------------------------
# the results
# ----------------------------------------------------------------------------
class TwoStepResults(ShareResults):
    """A Dirichlet share model with a first-step regressor, with two-step standard errors.

    The parameters, likelihood and link are those of the second step (a
    :class:`~leadblackhole.models.DirichletRegressionResults`, kept as
    :attr:`second`); :meth:`cov_params` is the two-step covariance (module
    notes). Subclasses: :class:`ControlFunctionResults`, :class:`HeckmanResults`.
    """

    kind = "two_step"

    def __init__(
        self,
        *,
        second: Any,
        model_name: str,
        controls: tuple[str, ...],
        cov: np.ndarray,
        cov_pi: np.ndarray,
        cov_theta_pi: np.ndarray,
        cov_type: str,
        fit_options: dict[str, Any],
    ) -> None:
        set_ = object.__setattr__
        set_(self, "second", second)
        set_(self, "model_name", model_name)
        set_(self, "controls", tuple(controls))
        set_(self, "_cov", np.asarray(cov))
        set_(self, "_cov_pi", np.asarray(cov_pi))
        set_(self, "_cov_theta_pi", np.asarray(cov_theta_pi))
        set_(self, "cov_type", cov_type)
        set_(self, "fit_options", dict(fit_options))
        set_(self, "llf", float(second.llf))
        set_(self, "converged", bool(second.converged))

    @property
    def params(self) -> pd.Series:
        """Second-step estimates, indexed by (equation, term); the controls are terms."""
        return self.second.params

    def cov_params(self) -> pd.DataFrame:
        """Two-step covariance (Murphy-Topel, or the stacked sandwich with ``cov_type="robust"``)."""
        names = self.params.index
        return pd.DataFrame(self._cov, index=names, columns=names)

    @property
    def cov_pi(self) -> np.ndarray:
        """Covariance of the first step's estimates (every first stage, stacked)."""
        return self._cov_pi.copy()

    @property
    def cov_theta_pi(self) -> np.ndarray:
        """Covariance of the second step's and the first step's estimates."""
        return self._cov_theta_pi.copy()

    def naive_cov_params(self) -> pd.DataFrame:
        """The second step's own covariance, as if the first step's estimate were known."""
        return self.second.cov_params()

    @property
    def nobs(self) -> int:
        """Reps in the share model."""
        return self.second.nobs

    @property
    def k_llf(self) -> int:
        """Parameters of the second step's likelihood."""
        return self.second.k_llf

    @property
    def n_compressed(self) -> int:
        """Rows the exact-share Dirichlet likelihood compressed (0 for the rounded model)."""
        return int(getattr(self.second, "n_compressed", 0))

    @property
    def link(self) -> SoftmaxLink:
        """Multinomial-logit means, base ``other``."""
        return self.second.link

    @property
    def identification(self) -> str:
        """How the correction is identified, in words (written in every table)."""
        raise NotImplementedError

    def control_test(self) -> WaldTest:
        """Wald test that the coefficients of the controls are 0 in every mean equation.

        For the control function this is the test of exogeneity of the
        endogenous variables (Hausman 1978's regression form); for the selection
        correction, the test of no selection on the share's unobservables. It
        uses the two-step covariance, valid under the null and the alternative.
        """
        eqs = self.link.equations
        labels = [(e, c) for e in eqs for c in self.controls]
        what = "control-function" if self.kind == "control_function" else "inverse Mills ratio"
        return self.wald_test(
            [{label: 1.0} for label in labels],
            null=f"every {what} coefficient is 0 ({', '.join(self.controls)} in {', '.join(eqs)})",
        )

    def effects_data(self, frame: Any) -> tuple[pd.DataFrame, np.ndarray]:
        """The reps the effects average over and the design of the mean interface on them.

        Parameters
        ----------
        frame : AnalysisFrame or DataFrame
            The frame the model was fitted on.

        Returns
        -------
        data : DataFrame
        design : ndarray (len(data), len(mean_terms))

        Examples
        --------
        >>> data, design = res.effects_data(frame)                    # doctest: +SKIP
        >>> model_effects(res, data, design=design)                    # doctest: +SKIP
        """
        raise NotImplementedError


# ----------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------
def control_test_table(results: Sequence[TwoStepResults] | TwoStepResults) -> pd.DataFrame:
    """The ``endogeneity_tests.csv`` rows: per two-step fit, the test that its controls are 0.

    Parameters
    ----------
    results : TwoStepResults or sequence of them

    Returns
    -------
    DataFrame
        Columns :data:`ENDOGENEITY_TEST_COLUMNS`; ``test`` is ``exogeneity``
        for a control function and ``no_selection`` for a selection correction;
        ``identification`` says what identifies the correction.

    Raises
    ------
    EstimationError
        When an element is not a two-step fit.
    """
    if isinstance(results, TwoStepResults):
        results = [results]
    rows = []
    for res in results:
        if not isinstance(res, TwoStepResults):
            raise EstimationError(f"expected two-step results; received {type(res).__name__}")
        test = res.control_test()
        rows.append(
            {
                "model": res.model_name,
                "test": "exogeneity" if res.kind == "control_function" else "no_selection",
                "null": test.null,
                "terms": ", ".join(res.controls),
                "statistic": test.stat,
                "df": test.df,
                "p_value": test.pval,
                "distribution": test.dist_name,
                "identification": res.identification,
            }
        )
    return pd.DataFrame(rows, columns=list(ENDOGENEITY_TEST_COLUMNS))
