r"""Two-step share models: a control function for an endogenous regressor, a selection correction.

Both estimators put a quantity estimated in a first step into the mean
equations of the Dirichlet regression (exact-share or rounding-aware), as one
more regressor, and correct the standard errors for the first step.

* :func:`fit_dirichlet_cf` (``"dirichlet_cf"``) and
  :func:`fit_dirichlet_rounded_cf` (``"dirichlet_rounded_cf"``): the control
  function (Heckman & Robb 1985; Blundell & Powell 2003; Wooldridge 2015). The
  first stage regresses each endogenous variable (by default ``volume`` =
  ln(1 + lead_volume)) by OLS on the instruments and every exogenous regressor
  of the model (firm dummies included; the regressors that contain an
  endogenous variable, such as ``experience:volume``, are left out); its
  residual ``cf_<variable>`` enters both mean equations. Conditional on the
  residual, the endogenous variable and every function of it (the
  interactions with experience and performance, H8 and H10) are exogenous,
  so one control per endogenous variable suffices.
* :func:`fit_dirichlet_heckman` (``"dirichlet_heckman"``) and
  :func:`fit_dirichlet_rounded_heckman`: the selection correction (Heckman
  1979): the probit of any marketing-lead time over every rep with complete
  predictors (the package's selection probit, plus the exclusion variables
  when given) gives the inverse Mills ratio
  :math:`\lambda_i = \phi(z_i'\hat\gamma)/\Phi(z_i'\hat\gamma)`, which enters
  both mean equations as ``inverse_mills``. Without an exclusion variable the
  correction is identified by the probit's functional form alone; the model is
  then named ``<main>_heckman_functional_form`` in every table.

Standard errors
---------------
With first-step estimating functions :math:`\psi_i(\pi)` (OLS: :math:`w_i e_i`;
probit: its score), :math:`H_{11} = \sum_i \partial\psi_i/\partial\pi'`, the
second step's scores :math:`s_i(\theta, \pi)`, Hessian :math:`H_{22}` and
cross-derivative :math:`H_{21} = \sum_i \partial s_i/\partial\pi'`, the
expansion :math:`\hat\theta - \theta \approx (-H_{22})^{-1}\sum_i q_i` with
:math:`q_i = s_i - B\psi_i`, :math:`B = H_{21}H_{11}^{-1}` gives

.. math::

    V_{\text{robust}} = A\Big(\sum_i q_i q_i'\Big)A, \qquad
    V_{\text{MT}} = A + A\big(B S_{11} B' - B S_{12} - S_{21} B'\big)A,

with :math:`A = (-H_{22})^{-1}`, :math:`S_{11} = \sum\psi_i\psi_i'`,
:math:`S_{21} = \sum s_i\psi_i'`. :math:`V_{\text{MT}}` is Murphy & Topel's
(1985) two-step covariance (``cov_type="oim"``: the share model's information
matrix with the first stage's sandwich); :math:`V_{\text{robust}}` the full
stacked sandwich (Newey & McFadden 1994, section 6; ``cov_type="robust"``, the
default, because the share model with a control is at best an approximation of
the conditional distribution, so its information-matrix equality need not hold;
docs/endogeneity.md compares both with the bootstrap). :math:`\partial s_i/\partial c_i`, the
derivative of a rep's score by its own control value, is a central difference
of :meth:`score_obs` at intercepts shifted by :math:`h\,\beta_c` plus the
direct term of the control's own column, so no model is rebuilt.

Effects
-------
The share-scale effects hold the control at each rep's value (the average
structural function of Blundell & Powell 2003): the derivative by volume moves
volume and its interactions, not ``cf_volume``. The control function's mean
interface (:attr:`ControlFunctionResults.mean_terms` and friends) therefore
adds, per first-stage regressor :math:`w`, a term ``first_stage[w]`` with
coefficient 0 whose covariance with the other coefficients is that of
:math:`-\gamma_j\hat\pi`: the effects' delta method then includes the
sampling error of the first stage through the residuals in the design (exact
to first order). The selection correction's effects set the inverse Mills
ratio to 0 (the population mean equation) and average over every rep with
complete predictors (``frame.selection``), the population the study samples:
use :meth:`TwoStepResults.effects_data` to get the reps and the design.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from leadblackhole.data import extra_name_problem
from leadblackhole.exceptions import (
    EstimationError,
    InstrumentError,
    WeakInstrumentWarning,
    ZeroShareWarning,
)
from leadblackhole.models import (
    DirichletRegression,
    RoundedDirichletRegression,
    ShareResults,
    SoftmaxLink,
    WaldTest,
    analysis_data,
    detect_rounding_step,
    fit_probit,
    main_model_exog,
    register_model,
)
from leadblackhole.specification import COMPONENTS, FOCAL, design_matrix, firm_levels

__all__ = [
    "ENDOGENEITY_TEST_COLUMNS",
    "FIRST_STAGE_COLUMNS",
    "WEAK_INSTRUMENT_F",
    "ControlFunctionResults",
    "FirstStage",
    "HeckmanResults",
    "TwoStepResults",
    "control_test_table",
    "first_stage_table",
    "fit_dirichlet_cf",
    "fit_dirichlet_heckman",
    "fit_dirichlet_rounded_cf",
    "fit_dirichlet_rounded_heckman",
    "two_step_covariance",
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
    With no cross-derivative the second step's covariance is its own:

    >>> h2, h1 = -np.eye(2), -np.eye(1)
    >>> s2, p1 = np.ones((3, 2)), np.ones((3, 1))
    >>> v, c, vp = two_step_covariance(h2, s2, np.zeros((2, 1)), h1, p1)
    >>> v.tolist()
    [[1.0, 0.0], [0.0, 1.0]]
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
# first stage of the control function
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


def _check_extra(data: pd.DataFrame, names: Sequence[str], role: str, exog: pd.DataFrame) -> None:
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
# shared pieces of the fits
# ----------------------------------------------------------------------------
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


def _second_step(data: pd.DataFrame, exog: pd.DataFrame, rounded: bool, step: Any, start):
    """Fit the Dirichlet (or rounding-aware Dirichlet) model on ``exog``."""
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
    if start is not None:
        start = [start.get(k, 0.0) for k in model.param_names]
    return model.fit(start_params=start), step


def _score_by_control(res: Any, controls: Sequence[str]) -> list[np.ndarray]:
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


def _check_cov_type(cov_type: str) -> str:
    if cov_type not in _COV_TYPES:
        raise EstimationError(f"cov_type must be one of {list(_COV_TYPES)}; received {cov_type!r}")
    return cov_type


def _names(value: Any, what: str) -> tuple[str, ...]:
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
# the control function
# ----------------------------------------------------------------------------
def _fit_cf(frame, instruments, endogenous, rounded, step, cov_type, start_params, name):
    cov_type = _check_cov_type(cov_type)
    data = analysis_data(frame, "the control-function model")
    instruments = _names(instruments, "instruments")
    endogenous = _names(endogenous, "endogenous")
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
    exogenous = [t for t in exog.columns if not set(t.split(":")) & set(endogenous)]
    _check_extra(data, instruments, "instrument", exog[exogenous])
    w = np.column_stack(
        [exog[exogenous].to_numpy(dtype=float), data[list(instruments)].to_numpy(dtype=float)]
    )
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
    second, step = _second_step(data, x2, rounded, step, start_params)
    # the pieces of the two-step covariance
    n, k1 = w.shape
    psi = np.hstack([w * fs.resid[:, None] for fs in stages])
    h11 = np.kron(np.eye(len(stages)), -(w.T @ w))
    d = _score_by_control(second, controls)
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
# the selection correction
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
    _check_extra(sel, exclusion, "exclusion variable", zdf)
    zx = np.column_stack([z, sel[list(exclusion)].to_numpy(dtype=float)])
    y = base.raw.model.endog
    model = sm.Probit(y, pd.DataFrame(zx, columns=[*names, *exclusion], index=sel.index))
    return model.fit(method="newton", maxiter=100, tol=1e-12, disp=False)


def _fit_heckman(frame, exclusion, rounded, step, cov_type, start_params, main):
    cov_type = _check_cov_type(cov_type)
    if isinstance(exclusion, str) and exclusion.strip().lower() == "none":
        exclusion = ()
    exclusion = _names(exclusion, "exclusion")
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
    second, step = _second_step(data, x2, rounded, step, start_params)
    # two-step pieces: psi = probit scores over the selection frame, H11 its Hessian
    psi = np.asarray(probit.model.score_obs(gamma), dtype=float)
    h11 = np.asarray(probit.model.hessian(gamma), dtype=float)
    (d,) = _score_by_control(second, ("inverse_mills",))
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
