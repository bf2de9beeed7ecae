r"""Share-scale effects of the hypothesis registry, with delta-method inference.

The registry of STUDY.md reads every hypothesis on the share scale. For a
share model with mean :math:`\mu_k(x_i;\theta)` the estimand of a main effect
of :math:`x` on share :math:`k` is the average over reps of the derivative,
and the estimand of a moderation of :math:`x` by :math:`m` is the average
cross-partial (Ai & Norton 2003):

.. math::

    \Delta_k(x) = \frac1n\sum_i \frac{\partial \mu_k(x_i)}{\partial x}, \qquad
    \Delta_k(x, m) = \frac1n\sum_i \frac{\partial^2 \mu_k(x_i)}{\partial x\,\partial m},

where every design column that contains :math:`x` (the interaction terms
included) moves with :math:`x`. Three mean models are supported:

``dirichlet``
    Dirichlet regression in the alternative parametrization: multinomial-logit
    means of the three shares with base ``other``; only the mean equations
    enter (the precision does not move the expected shares).
``fractional_logit``
    Fractional logit of one share (the marketing share): a two-component
    multinomial logit, ``marketing`` versus everything else.
``ols``
    Linear model of one share: the main effect is the average of
    :math:`\beta_x + \sum_m \beta_{x:m} m_i` and the cross-partial is
    :math:`\beta_{x:m}`.

Inference
---------
Every estimate is a smooth function :math:`g(\theta)` of the mean
coefficients. Its gradient :math:`G = \partial g/\partial\theta` is exact: by
the chain rule it is the average over reps of
:math:`\sum_j (F_{\eta_j} x_i + F_{a_j} \dot x_i + F_{b_j} \dot m_i +
F_{c_j} \ddot x_i)`, where :math:`F` is the per-rep effect as a function of
the linear predictors :math:`\eta_j = x_i^\top\beta_j` and of their first and
second derivatives :math:`a_j, b_j, c_j`, whose partial derivatives are taken
by the complex step (Squire & Trapp 1998; exact to machine precision because
no difference is formed). The delta-method variance is

.. math::

    \widehat{\operatorname{Var}}(\hat\Delta) = G\,\hat V\,G^\top
    \;\big[+\; s^2_{\hat\delta}/n\big],

with :math:`\hat V` the model's covariance of the mean coefficients. The
bracketed term is added under ``variance="unconditional"`` (the default): it
is the sampling variance of the average over reps, :math:`s^2_{\hat\delta}`
being the variance over reps of the per-rep effects, so that the interval
covers the *population* average effect (the estimand of
:attr:`~leadblackhole.simulation.Truth.effects`) rather than the average over
the reps at hand (``variance="conditional"``, Stata's ``margins`` default).
The cross-covariance between the two parts vanishes for a correctly
specified likelihood (the score has mean zero given the covariates).

The z statistic is :math:`\hat\Delta/\mathrm{se}`, the p-value two-sided from
the standard normal, the interval :math:`\hat\Delta \pm z_{1-\alpha/2}\,
\mathrm{se}`. A directional hypothesis is *supported* when the estimate has
the expected sign and :math:`p < \alpha`; exploratory rows get ``<NA>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import EstimationError
from ..outputs import tex_escape
from ..registry import HYPOTHESES, Hypothesis
from ..shares import term_derivative, term_second_derivative
from ..specification import COMPONENTS, design_matrix

__all__ = [
    "HYPOTHESIS_COLUMNS",
    "MODEL_KINDS",
    "EffectSpec",
    "EffectsError",
    "ShareModel",
    "average_effects",
    "comparison_latex",
    "comparison_markdown",
    "detect_model_kind",
    "hypothesis_table",
    "model_effects",
    "published_comparison",
]

ModelKind = Literal["dirichlet", "fractional_logit", "ols"]
Variance = Literal["unconditional", "conditional"]

#: Model labels used in the ``model`` column, in table order.
MODEL_KINDS: tuple[str, ...] = ("dirichlet", "fractional_logit", "ols")
VARIANCES: tuple[str, ...] = ("unconditional", "conditional")

#: Columns of ``hypotheses.csv``, in order.
HYPOTHESIS_COLUMNS: tuple[str, ...] = (
    "id",
    "outcome",
    "predictor",
    "moderator",
    "expected_sign",
    "model",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "supported",
)

#: Step of the complex-step derivatives (any tiny value gives exact derivatives).
_COMPLEX_STEP = 1e-30
#: Number of effects evaluated together (bounds the memory of the stacked designs).
_CHUNK = 40


class EffectsError(EstimationError):
    """A share-scale effect cannot be computed from the model and data given."""


# ----------------------------------------------------------------------------
# the mean model of a fitted share regression
# ----------------------------------------------------------------------------
def detect_model_kind(results: Any) -> str:
    """Tell which supported mean model a fitted results object holds.

    Parameters
    ----------
    results : object
        A fitted Dirichlet regression (params indexed by (equation, term)) or a
        statsmodels OLS / binomial-logit GLM results object.

    Returns
    -------
    str
        ``"dirichlet"``, ``"fractional_logit"`` or ``"ols"``.

    Raises
    ------
    EffectsError
        When the object is none of these.

    Examples
    --------
    >>> import numpy as np, pandas as pd, statsmodels.api as sm
    >>> X = pd.DataFrame({"Intercept": 1.0, "prequal": np.linspace(-1, 1, 20)})
    >>> res = sm.OLS(np.linspace(0.2, 0.4, 20), X).fit()
    >>> detect_model_kind(res)
    'ols'
    """
    params = getattr(results, "params", None)
    if params is None or not hasattr(results, "cov_params"):
        raise EffectsError(
            f"expected fitted model results with params and cov_params(); received "
            f"{type(results).__name__}"
        )
    if isinstance(params.index, pd.MultiIndex) and "equation" in params.index.names:
        model = getattr(results, "model", None)
        parametrization = getattr(
            results, "parametrization", getattr(model, "parametrization", "alternative")
        )
        if parametrization != "alternative":
            raise EffectsError(
                "share-scale effects need a Dirichlet regression in the alternative "
                f"parametrization; received parametrization={parametrization!r}"
            )
        return "dirichlet"
    model = getattr(results, "model", None)
    name = type(model).__name__
    if name in ("OLS", "WLS"):
        return "ols"
    if name == "GLM":
        family = type(model.family).__name__
        link = type(model.family.link).__name__
        if family == "Binomial" and link == "Logit":
            return "fractional_logit"
        raise EffectsError(
            f"a GLM must have a binomial family with logit link (fractional "
            f"logit); received family {family} with link {link}"
        )
    raise EffectsError(
        f"cannot tell the mean model of {type(results).__name__} "
        f"(model {name}); pass kind= one of {MODEL_KINDS}"
    )


@dataclass(frozen=True, eq=False)
class ShareModel:
    """The mean model of a fitted share regression, as the effects need it.

    Build it with :meth:`from_results`.

    Attributes
    ----------
    kind : str
        ``"dirichlet"``, ``"fractional_logit"`` or ``"ols"``.
    terms : tuple of str
        Design column names (see :func:`leadblackhole.specification.term_names`).
    components : tuple of str
        Shares the mean model spreads over: the three shares for the Dirichlet
        model, ``(outcome, "rest")`` for the fractional logit, ``(outcome,)``
        for OLS.
    equations : tuple of str
        Components with a coefficient column, in the column order of ``coef``.
    base : int or None
        Position of the base component in ``components`` (``None`` for OLS).
    coef : ndarray (p, q)
        Mean coefficients, one column per equation.
    cov : ndarray (p q, p q)
        Covariance of ``theta = coef.T.ravel()`` (equation by equation).
    params : Series
        Every parameter of the results (precision included), for warm starts.
    """

    kind: str
    terms: tuple[str, ...]
    components: tuple[str, ...]
    equations: tuple[str, ...]
    base: int | None
    coef: np.ndarray
    cov: np.ndarray
    params: pd.Series = field(repr=False)

    @classmethod
    def from_results(
        cls, results: Any, kind: str | None = None, outcome: str | None = None
    ) -> ShareModel:
        """Extract the mean model from fitted results.

        Parameters
        ----------
        results : object
            Fitted model with ``params`` (labelled Series) and ``cov_params()``
            (labelled DataFrame): a Dirichlet regression (alternative
            parametrization) or statsmodels OLS / binomial-logit GLM results.
        kind : {"dirichlet", "fractional_logit", "ols"}, optional
            Mean model; detected by :func:`detect_model_kind` when omitted.
        outcome : str, optional
            The share a single-share model (OLS, fractional logit) describes;
            default the model's ``endog_names`` when it names a share, else
            ``"marketing"``.

        Returns
        -------
        ShareModel

        Raises
        ------
        EffectsError
            Unknown kind, missing covariance entries or a non-finite covariance.
        """
        if kind is None:
            kind = detect_model_kind(results)
        if kind not in MODEL_KINDS:
            raise EffectsError(f"kind must be one of {MODEL_KINDS}; received {kind!r}")
        if outcome is None:
            name = getattr(getattr(results, "model", None), "endog_names", None)
            outcome = name if isinstance(name, str) and name in COMPONENTS else "marketing"
        params = results.params
        cov = results.cov_params()
        if not isinstance(cov, pd.DataFrame):
            cov = pd.DataFrame(np.asarray(cov), index=params.index, columns=params.index)
        if kind == "dirichlet":
            if not isinstance(params.index, pd.MultiIndex):
                raise EffectsError("a Dirichlet model needs params indexed by (equation, term)")
            eqs = [e for e in params.index.get_level_values(0).unique() if e != "precision"]
            model = getattr(results, "model", None)
            names = list(getattr(model, "endog_names", []))
            if not names:
                missing = [c for c in COMPONENTS if c not in eqs]
                names = [c for c in COMPONENTS if c in eqs] + missing[:1]
            base_name = getattr(model, "base", None) or [c for c in names if c not in eqs][0]
            terms = list(params[eqs[0]].index)
            for e in eqs[1:]:
                if list(params[e].index) != terms:
                    raise EffectsError("every mean equation must have the same terms")
            labels = [(e, t) for e in eqs for t in terms]
            coef = np.column_stack([params[e].to_numpy(dtype=float) for e in eqs])
            components, equations, base = tuple(names), tuple(eqs), names.index(base_name)
        else:
            if isinstance(params.index, pd.MultiIndex):
                raise EffectsError(f"a {kind} model needs params indexed by term names")
            terms = [str(t) for t in params.index]
            labels = list(params.index)
            coef = params.to_numpy(dtype=float)[:, None]
            if kind == "fractional_logit":
                components, equations, base = (outcome, "rest"), (outcome,), 1
            else:
                components, equations, base = (outcome,), (outcome,), None
        try:
            v = cov.loc[labels, labels].to_numpy(dtype=float)
        except KeyError as exc:
            raise EffectsError(
                f"cov_params() lacks entries for the mean coefficients: {exc}"
            ) from None
        if not np.all(np.isfinite(v)):
            raise EffectsError(
                "the covariance of the mean coefficients is not finite; the model's "
                "Hessian is singular at the estimate"
            )
        return cls(
            kind=kind,
            terms=tuple(terms),
            components=components,
            equations=equations,
            base=base,
            coef=coef,
            cov=v,
            params=params.copy(),
        )

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Shares whose effects the model can give."""
        if self.kind == "fractional_logit":
            return self.components[:1]
        return self.components

    @property
    def theta(self) -> np.ndarray:
        """Mean coefficients stacked equation by equation."""
        return self.coef.T.ravel()

    def with_coef(self, coef: np.ndarray) -> ShareModel:
        """A copy with other mean coefficients, e.g. a bootstrap draw.

        Parameters
        ----------
        coef : ndarray (p, q)
            Mean coefficients in the layout of :attr:`coef`.

        Returns
        -------
        ShareModel
            Same terms, components and covariance; new coefficients.
        """
        coef = np.asarray(coef, dtype=float).reshape(self.coef.shape)
        return ShareModel(
            kind=self.kind,
            terms=self.terms,
            components=self.components,
            equations=self.equations,
            base=self.base,
            coef=coef,
            cov=self.cov,
            params=self.params,
        )


# ----------------------------------------------------------------------------
# per-rep effects as functions of the linear predictors (complex-step safe)
# ----------------------------------------------------------------------------
def _insert_base(arr: np.ndarray, base: int) -> np.ndarray:
    shape = arr.shape[:-1] + (arr.shape[-1] + 1,)
    out = np.zeros(shape, dtype=arr.dtype)
    keep = [j for j in range(shape[-1]) if j != base]
    out[..., keep] = arr
    return out


def _row_effect(
    kind: str,
    base: int | None,
    order: int,
    eta: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
) -> np.ndarray:
    """Per-row share level (order 0), derivative (1) or cross-partial (2), every component.

    ``eta, a, b, c`` are (rows, q): linear predictors and their derivatives by
    x, by m and by both. Written with analytic operations only, so that a
    complex perturbation of an input yields its derivative (complex step).
    """
    if kind == "ols":
        return (eta, a, c)[order]
    e = _insert_base(eta, base)
    e = e - e.real.max(axis=-1, keepdims=True)
    mu = np.exp(e)
    mu = mu / mu.sum(axis=-1, keepdims=True)
    if order == 0:
        return mu
    af = _insert_base(a, base)
    abar = (mu * af).sum(axis=-1, keepdims=True)
    if order == 1:
        return mu * (af - abar)
    bf = _insert_base(b, base)
    cf = _insert_base(c, base)
    bbar = (mu * bf).sum(axis=-1, keepdims=True)
    cbar = (mu * cf).sum(axis=-1, keepdims=True)
    cov = (mu * af * (bf - bbar)).sum(axis=-1, keepdims=True)
    return mu * ((af - abar) * (bf - bbar) + cf - cbar - cov)


# ----------------------------------------------------------------------------
# effect specifications and their evaluation
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class EffectSpec:
    """One average over reps of a share level, derivative or cross-partial.

    Attributes
    ----------
    outcome : str
        Share the effect is read on.
    predictor : str or None
        Variable to differentiate by; ``None`` for the average predicted share.
    moderator : str or None
        Second variable of a cross-partial; ``None`` for a first derivative.
    at : tuple of (str, float)
        Variables set to a value for every rep before averaging (on the scale
        of the data, i.e. centred for an analysis frame), e.g. the moderator
        of a simple slope.
    """

    outcome: str
    predictor: str | None = None
    moderator: str | None = None
    at: tuple[tuple[str, float], ...] = ()

    @property
    def order(self) -> int:
        """0 (level), 1 (derivative) or 2 (cross-partial)."""
        if self.predictor is None:
            return 0
        return 1 if self.moderator is None else 2


def _term_variables(terms: Sequence[str], data: pd.DataFrame) -> list[str]:
    names: list[str] = []
    for t in terms:
        for f in t.split(":"):
            if f in data.columns and f != "firm" and f not in names:
                names.append(f)
    return names


def _check_data(model: ShareModel, data: pd.DataFrame) -> np.ndarray:
    """The model's design on ``data``, columns in the model's term order."""
    if not isinstance(data, pd.DataFrame):
        raise EffectsError(f"data must be a DataFrame; received {type(data).__name__}")
    needed = sorted(
        {
            f
            for t in model.terms
            for f in t.split(":")
            if t != "Intercept" and not t.startswith("firm[")
        }
    )
    missing = [
        v
        for v in needed + (["firm"] if any(t.startswith("firm[") for t in model.terms) else [])
        if v not in data.columns
    ]
    if missing:
        raise EffectsError(f"data lacks the column(s) {missing} the model uses")
    if len(data) == 0:
        raise EffectsError("data has no rows")
    if "firm" in data.columns:
        full = design_matrix(data, variable_pay="variable_pay" in model.terms)
        extra = [c for c in full.columns if c.startswith("firm[") and c not in model.terms]
        if extra:
            raise EffectsError(f"data holds firms the model was not fitted on: {extra}")
    else:
        full = pd.DataFrame({"Intercept": np.ones(len(data))}, index=data.index)
        for t in model.terms:
            if t != "Intercept":
                col = np.ones(len(data))
                for f in t.split(":"):
                    col = col * data[f].to_numpy(dtype=float)
                full[t] = col
    absent = [t for t in model.terms if t not in full.columns]
    for t in absent:  # a firm dummy of a firm with no rows in data: all zero
        if t.startswith("firm["):
            full[t] = 0.0
        else:
            raise EffectsError(f"cannot build the model term {t!r} from data")
    X = full[list(model.terms)].to_numpy(dtype=float)
    if not np.all(np.isfinite(X)):
        raise EffectsError("data holds missing or infinite values in the model's variables")
    return X


class _Engine:
    """Evaluates many :class:`EffectSpec` on one model and data set."""

    def __init__(self, model: ShareModel, data: pd.DataFrame) -> None:
        self.model = model
        self.X = _check_data(model, data)
        self.n = self.X.shape[0]
        self.variables = _term_variables(model.terms, data)
        self.values = {v: data[v].to_numpy(dtype=float) for v in self.variables}
        self.plain = {t: j for j, t in enumerate(model.terms)}

    def check(self, spec: EffectSpec) -> None:
        m = self.model
        if spec.outcome not in m.outcomes:
            raise EffectsError(
                f"a {m.kind} model of {list(m.outcomes)} cannot give effects on "
                f"the {spec.outcome!r} share"
            )
        for role, var in (("predictor", spec.predictor), ("moderator", spec.moderator)):
            if var is not None and var not in self.variables:
                raise EffectsError(
                    f"{role} {var!r} is not a variable of the model; "
                    f"expected one of {self.variables}"
                )
        if spec.predictor is not None and spec.predictor == spec.moderator:
            raise EffectsError(f"predictor and moderator must differ; both are {spec.predictor!r}")
        for var, _ in spec.at:
            if var not in self.variables:
                raise EffectsError(
                    f"cannot set {var!r}: it is not a variable of the model; "
                    f"expected one of {self.variables}"
                )

    def _arrays(self, spec: EffectSpec) -> tuple[np.ndarray, ...]:
        n, terms = self.n, self.model.terms
        values = dict(self.values)
        X = self.X
        if spec.at:
            X = X.copy()
            for var, val in spec.at:
                values[var] = np.full(n, float(val))
            for j, t in enumerate(terms):
                f = t.split(":")
                if all(v in values for v in f) and any(v in dict(spec.at) for v in f):
                    col = np.ones(n)
                    for v in f:
                        col = col * values[v]
                    X[:, j] = col
        zero = np.zeros_like(X)
        dx = term_derivative(terms, values, spec.predictor, n) if spec.order >= 1 else zero
        dm = term_derivative(terms, values, spec.moderator, n) if spec.order == 2 else zero
        dxm = (
            term_second_derivative(terms, values, spec.predictor, spec.moderator, n)
            if spec.order == 2
            else zero
        )
        return X, dx, dm, dxm

    def evaluate(
        self, specs: Sequence[EffectSpec], coef: np.ndarray | None = None, gradient: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Estimates (S,), variance over reps of the per-rep effects (S,), gradient (S, pq)."""
        m = self.model
        coef = m.coef if coef is None else coef
        for s in specs:
            self.check(s)
        S = len(specs)
        est = np.empty(S)
        rep_var = np.empty(S)
        grad = np.empty((S, coef.size)) if gradient else None
        for start in range(0, S, _CHUNK):
            chunk = specs[start : start + _CHUNK]
            for order in (0, 1, 2):
                idx = [i for i, s in enumerate(chunk) if s.order == order]
                if not idx:
                    continue
                sub = [chunk[i] for i in idx]
                e, v, g = self._evaluate_same_order(sub, order, coef, gradient)
                pos = [start + i for i in idx]
                est[pos], rep_var[pos] = e, v
                if gradient:
                    grad[pos] = g
        return est, rep_var, grad

    def per_rep(self, specs: Sequence[EffectSpec]) -> np.ndarray:
        """Per-rep effects (S, n) at the model's coefficients; their row means are the estimates."""
        m = self.model
        for s in specs:
            self.check(s)
        out = np.empty((len(specs), self.n))
        for i, s in enumerate(specs):
            lin = [d @ m.coef for d in self._arrays(s)]
            row = _row_effect(m.kind, m.base, s.order, *lin)
            out[i] = row[:, m.components.index(s.outcome)].real
        return out

    def _evaluate_same_order(self, specs, order, coef, gradient):
        m = self.model
        n, q = self.n, coef.shape[1]
        arrays = [self._arrays(s) for s in specs]
        D = [np.stack([a[r] for a in arrays]) for r in range(4)]  # each (S, n, p)
        lin = [d @ coef for d in D]  # each (S, n, q)
        comp = np.array([m.components.index(s.outcome) for s in specs])
        S = len(specs)

        def per_rep(inputs):
            out = _row_effect(m.kind, m.base, order, *inputs)  # (S, n, K)
            return np.take_along_axis(out, comp[:, None, None], axis=2)[:, :, 0]

        f = per_rep(lin).real
        est = f.mean(axis=1)
        rep_var = f.var(axis=1, ddof=1) if n > 1 else np.zeros(S)
        if not gradient:
            return est, rep_var, None
        used = {0: [0], 1: [0, 1], 2: [0, 1, 2, 3]}[order]
        grad = np.zeros((S, coef.shape[0], q))
        base_inputs = [x.astype(complex) for x in lin]
        for r in used:
            for j in range(q):
                inputs = list(base_inputs)
                pert = inputs[r].copy()
                pert[:, :, j] += 1j * _COMPLEX_STEP
                inputs[r] = pert
                dF = per_rep(inputs).imag / _COMPLEX_STEP  # (S, n)
                grad[:, :, j] += np.einsum("sn,snp->sp", dF, D[r]) / n
        # theta is stacked equation by equation: coef.T.ravel()
        return est, rep_var, grad.transpose(0, 2, 1).reshape(S, -1)


def _as_model(results: Any, kind: str | None, outcome: str | None = None) -> ShareModel:
    if isinstance(results, ShareModel):
        return results
    return ShareModel.from_results(results, kind=kind, outcome=outcome)


def _data_of(frame: Any) -> pd.DataFrame:
    data = getattr(frame, "data", frame)
    if not isinstance(data, pd.DataFrame):
        raise EffectsError(
            f"expected an AnalysisFrame or a DataFrame; received {type(frame).__name__}"
        )
    return data


def _check_options(variance: str, alpha: float) -> None:
    if variance not in VARIANCES:
        raise EffectsError(f"variance must be one of {VARIANCES}; received {variance!r}")
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise EffectsError(f"alpha must lie strictly between 0 and 1; received {alpha!r}")


def _inference(
    est: np.ndarray,
    rep_var: np.ndarray,
    grad: np.ndarray,
    model: ShareModel,
    n: int,
    variance: str,
    alpha: float,
) -> pd.DataFrame:
    var = np.einsum("sp,pq,sq->s", grad, model.cov, grad)
    if variance == "unconditional":
        var = var + rep_var / n
    se = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    p = 2 * stats.norm.sf(np.abs(z))
    crit = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame(
        {
            "estimate": est,
            "std_error": se,
            "statistic": z,
            "p_value": p,
            "conf_low": est - crit * se,
            "conf_high": est + crit * se,
        }
    )


def average_effects(
    results: Any,
    frame: Any,
    specs: Iterable[EffectSpec],
    *,
    kind: str | None = None,
    variance: Variance = "unconditional",
    alpha: float = 0.05,
    outcome: str | None = None,
) -> pd.DataFrame:
    """Average share levels, derivatives or cross-partials with delta-method inference.

    Parameters
    ----------
    results : object or ShareModel
        Fitted share model (see :meth:`ShareModel.from_results`).
    frame : AnalysisFrame or DataFrame
        Reps to average over (``frame.data`` for an analysis frame): the
        variables of the model on the scale it was fitted on, and ``firm``.
    specs : iterable of EffectSpec
        What to compute.
    kind : {"dirichlet", "fractional_logit", "ols"}, optional
        Mean model; detected when omitted.
    variance : {"unconditional", "conditional"}
        Whether the standard error includes the sampling variance of the
        average over reps (see the module notes).
    alpha : float
        One minus the confidence level of the intervals.
    outcome : str, optional
        Share a single-share model describes (see :meth:`ShareModel.from_results`).

    Returns
    -------
    DataFrame
        One row per spec: ``outcome, predictor, moderator, at, estimate,
        std_error, statistic, p_value, conf_low, conf_high``.

    Raises
    ------
    EffectsError
        Unknown variables or outcome, missing data columns, bad options.

    Examples
    --------
    >>> import numpy as np, pandas as pd, statsmodels.api as sm
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"prequal": rng.normal(size=50), "experience": rng.normal(size=50)})
    >>> X = pd.DataFrame({"Intercept": 1.0, "prequal": d.prequal, "experience": d.experience,
    ...                   "experience:prequal": d.experience * d.prequal})
    >>> y = 0.3 + 0.05 * d.prequal + 0.01 * d.experience * d.prequal + rng.normal(0, .01, 50)
    >>> res = sm.OLS(y, X).fit()
    >>> out = average_effects(res, d, [EffectSpec("marketing", "prequal", "experience")])
    >>> bool(np.isclose(out.estimate[0], res.params["experience:prequal"]))
    True
    """
    _check_options(variance, alpha)
    model = _as_model(results, kind, outcome)
    data = _data_of(frame)
    specs = list(specs)
    engine = _Engine(model, data)
    est, rep_var, grad = engine.evaluate(specs)
    out = _inference(est, rep_var, grad, model, engine.n, variance, alpha)
    head = pd.DataFrame(
        {
            "outcome": [s.outcome for s in specs],
            "predictor": [s.predictor for s in specs],
            "moderator": [s.moderator for s in specs],
            "at": [dict(s.at) for s in specs],
        }
    )
    return pd.concat([head, out], axis=1)


# ----------------------------------------------------------------------------
# the hypothesis table
# ----------------------------------------------------------------------------
def _supported(expected: int, est: float, p: float, alpha: float):
    if expected == 0 or not np.isfinite(p):
        return pd.NA
    return bool(np.sign(est) == expected and p < alpha)


def model_effects(
    results: Any,
    frame: Any,
    *,
    kind: str | None = None,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    variance: Variance = "unconditional",
    alpha: float = 0.05,
    outcome: str | None = None,
) -> pd.DataFrame:
    """Registry effects of one fitted model, in the layout of ``hypotheses.csv``.

    Parameters
    ----------
    results : object or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        The reps the model was fitted on.
    kind : {"dirichlet", "fractional_logit", "ols"}, optional
        Mean model; detected when omitted.
    hypotheses : sequence of Hypothesis
        Registry rows (default: all of :data:`~leadblackhole.registry.HYPOTHESES`).
        Rows on a share the model does not describe (e.g. H2, on the
        self-generated share, for a model of the marketing share) are left out.
    variance : {"unconditional", "conditional"}
        See :func:`average_effects`.
    alpha : float
        Test level and one minus the confidence level.
    outcome : str, optional
        Share a single-share model describes (see :meth:`ShareModel.from_results`).

    Returns
    -------
    DataFrame
        Columns :data:`HYPOTHESIS_COLUMNS`; ``supported`` is a nullable
        boolean (``<NA>`` for exploratory rows).
    """
    _check_options(variance, alpha)
    model = _as_model(results, kind, outcome)
    rows = [h for h in hypotheses if h.outcome in model.outcomes]
    specs = [EffectSpec(h.outcome, h.predictor, h.moderator) for h in rows]
    inf = average_effects(model, frame, specs, variance=variance, alpha=alpha)
    table = pd.DataFrame(
        {
            "id": [h.id for h in rows],
            "outcome": [h.outcome for h in rows],
            "predictor": [h.predictor for h in rows],
            "moderator": pd.Series([h.moderator for h in rows], dtype="object"),
            "expected_sign": [h.expected_sign for h in rows],
            "model": model.kind,
        }
    )
    for col in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        table[col] = inf[col].to_numpy()
    table["supported"] = pd.array(
        [
            _supported(h.expected_sign, e, p, alpha)
            for h, e, p in zip(rows, table["estimate"], table["p_value"], strict=True)
        ],
        dtype="boolean",
    )
    return table[list(HYPOTHESIS_COLUMNS)]


def hypothesis_table(
    frame: Any,
    dirichlet_results: Any,
    ols_results: Any = None,
    frac_results: Any = None,
    *,
    variance: Variance = "unconditional",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The ``hypotheses.csv`` table: every registry effect under every model given.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The reps the models were fitted on.
    dirichlet_results : object
        The main model (Dirichlet regression, alternative parametrization).
    ols_results, frac_results : object, optional
        Robustness models of the marketing share: OLS and fractional logit.
    variance : {"unconditional", "conditional"}
        See :func:`average_effects`.
    alpha : float
        Test level.

    Returns
    -------
    DataFrame
        Columns ``id, outcome, predictor, moderator, expected_sign, model,
        estimate, std_error, statistic, p_value, conf_low, conf_high,
        supported``; rows grouped by model in the order ``dirichlet,
        fractional_logit, ols``, registry order within a model. The robustness
        models describe the marketing share only, so they have no H2 row.

    Examples
    --------
    >>> from leadblackhole.simulation import simulate, StudyDesign   # doctest: +SKIP
    >>> table = hypothesis_table(frame, fit_main_model(frame))          # doctest: +SKIP
    """
    parts = [
        model_effects(dirichlet_results, frame, kind="dirichlet", variance=variance, alpha=alpha)
    ]
    if frac_results is not None:
        parts.append(
            model_effects(
                frac_results, frame, kind="fractional_logit", variance=variance, alpha=alpha
            )
        )
    if ols_results is not None:
        parts.append(model_effects(ols_results, frame, kind="ols", variance=variance, alpha=alpha))
    table = pd.concat(parts, ignore_index=True)
    table["supported"] = table["supported"].astype("boolean")
    return table


# ----------------------------------------------------------------------------
# the estimates beside the published findings
# ----------------------------------------------------------------------------
_SIGN_WORD = {1: "+", -1: "−", 0: "none"}


def published_comparison(
    table: pd.DataFrame, model: str = "dirichlet", alpha: float = 0.05
) -> pd.DataFrame:
    """Set each estimate beside the published finding and say whether they agree.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`hypothesis_table` (or :func:`model_effects`).
    model : str
        Which model's rows to compare (default the main Dirichlet model).
    alpha : float
        Test level used for the wording.

    Returns
    -------
    DataFrame
        ``id, published_finding, expected_sign, estimate, conf_low, conf_high,
        p_value, result, agrees``. ``agrees`` is ``yes`` when the published
        (directional) finding is supported, ``no`` otherwise, and ``n/a`` for
        exploratory rows, which make no published prediction.

    Raises
    ------
    EffectsError
        When ``table`` has no rows for ``model``.
    """
    rows = table[table["model"] == model]
    if rows.empty:
        raise EffectsError(f"the table has no rows for model {model!r}")
    reg = {h.id: h for h in HYPOTHESES}
    out = []
    for r in rows.itertuples(index=False):
        h = reg.get(r.id)
        sign = int(np.sign(r.estimate))
        signif = bool(r.p_value < alpha)
        direction = {1: "positive", -1: "negative", 0: "zero"}[sign]
        if r.expected_sign == 0:
            result = f"{direction}, {'significant' if signif else 'not significant'}"
            agrees = "n/a"
        elif sign == r.expected_sign and signif:
            result, agrees = "supported", "yes"
        elif sign == r.expected_sign:
            result, agrees = "expected sign, not significant", "no"
        elif signif:
            result, agrees = "opposite sign, significant", "no"
        else:
            result, agrees = "opposite sign, not significant", "no"
        out.append(
            {
                "id": r.id,
                "published_finding": h.finding if h is not None else "",
                "expected_sign": _SIGN_WORD.get(int(r.expected_sign), str(r.expected_sign)),
                "estimate": r.estimate,
                "conf_low": r.conf_low,
                "conf_high": r.conf_high,
                "p_value": r.p_value,
                "result": result,
                "agrees": agrees,
            }
        )
    return pd.DataFrame(out)


def _fmt_num(v: float, digits: int = 4) -> str:
    if not np.isfinite(v):
        return ""
    return f"{v:.{digits}f}".replace("-", "−")


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def comparison_markdown(comparison: pd.DataFrame) -> str:
    """Render :func:`published_comparison` as a Markdown table with a short legend.

    Parameters
    ----------
    comparison : DataFrame
        Output of :func:`published_comparison`.

    Returns
    -------
    str
        The table, a blank line and a paragraph on units and the agreement rule.
    """
    lines = [
        "| id | published finding | expected | estimate [95% CI] | p | result | agrees |",
        "|----|-------------------|----------|-------------------|---|--------|--------|",
    ]
    for r in comparison.itertuples(index=False):
        ci = f"{_fmt_num(r.estimate)} [{_fmt_num(r.conf_low)}, {_fmt_num(r.conf_high)}]"
        lines.append(
            f"| {r.id} | {r.published_finding} | {r.expected_sign} | {ci} | "
            f"{_fmt_p(r.p_value)} | {r.result} | {r.agrees} |"
        )
    lines += [
        "",
        "Estimates are average effects on the expected time share (a share of 0.01 is one "
        "percentage point of working time): main effects per unit of the predictor, "
        "moderations per unit of predictor times unit of moderator (average cross-partial, "
        "Ai & Norton 2003). A finding agrees when the estimate has the published sign and "
        "its two-sided p-value is below 0.05.",
    ]
    return "\n".join(lines) + "\n"


def comparison_latex(comparison: pd.DataFrame) -> str:
    """Render :func:`published_comparison` as a LaTeX ``tabular`` (booktabs rules).

    Parameters
    ----------
    comparison : DataFrame
        Output of :func:`published_comparison`.

    Returns
    -------
    str
        A ``tabular`` environment; special characters are escaped.
    """
    lines = [
        r"\begin{tabular}{llp{0.34\linewidth}lrll}",
        r"\toprule",
        r"id & expected & published finding & estimate [95\% CI] & $p$ & result & agrees \\",
        r"\midrule",
    ]
    for r in comparison.itertuples(index=False):
        ci = f"{_fmt_num(r.estimate)} [{_fmt_num(r.conf_low)}, {_fmt_num(r.conf_high)}]"
        cells = [
            r.id,
            r.expected_sign,
            r.published_finding,
            ci,
            _fmt_p(r.p_value),
            r.result,
            r.agrees,
        ]
        lines.append(" & ".join(tex_escape(str(c)) for c in cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
