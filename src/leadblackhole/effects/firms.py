r"""Sensitivity of the hypothesis effects to the firms surveyed.

With four firms, inference is conditional on the firms surveyed: the
unconditional standard errors of ``hypotheses.csv`` cover the sampling of reps
*within these firms*, not the sampling of firms, and the firm dummies of the
main model remove differences in the level of the shares between firms, not
differences in how the shares respond to the predictors. Two checks show how
much the conclusions lean on slopes being common to the firms:

:func:`firm_slopes_lr_test`
    Likelihood-ratio test of firm-specific slopes for the five focal
    predictors in the main Dirichlet model: the main model against the main
    model plus every ``firm[T.f]:x`` interaction for the focal predictors
    ``x`` (prequal, tracking, volume, experience, performance), in both mean
    equations. With :math:`F` firms it has :math:`2 \cdot 5 (F - 1)` degrees
    of freedom (30 with four firms).
:func:`per_firm_effects` and :func:`ibragimov_mueller`
    The main model fitted separately within each firm (no firm dummies) and
    each registry effect averaged over that firm's reps; then the
    Ibragimov-Müller (2010) test on the :math:`F` per-firm estimates
    :math:`\hat\Delta_f`:

    .. math::

        t = \frac{\bar\Delta}{s_\Delta/\sqrt F}, \qquad
        \bar\Delta = \frac1F\sum_f\hat\Delta_f,\quad
        s^2_\Delta = \frac1{F-1}\sum_f(\hat\Delta_f - \bar\Delta)^2,

    referred to Student's *t* with :math:`F - 1` degrees of freedom
    (two-sided). It is valid with few, heterogeneous clusters because it
    needs only that the per-firm estimates be roughly independent and normal
    around a common mean; it is conservative for a 5% test when their
    variances differ. With four firms (3 df) it has little power: a
    sensitivity check, not a replacement for the main analysis.

:func:`firm_tests` gathers both in the layout of ``firm_tests.csv``.

A firm with fewer analysable reps than
:data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS` (six: the intercept
and the five focal slopes it has of its own in the firm-slopes design) cannot
carry parameters of its own: both checks leave it out (it keeps its dummy in
the main model), and :math:`F` counts the firms that enter.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import (
    ConvergenceWarning,
    DataWarning,
    EffectsError,
    EstimationError,
    ZeroShareWarning,
)
from ..models.dirichlet import DirichletRegression, LikelihoodRatioTest
from ..models.dirichlet.rounded import RoundedDirichletRegression
from ..models.main_rounded import FLOOR_COMPONENT, analysis_percents
from ..models.results import fit_share_model
from ..registry import HYPOTHESES, Hypothesis
from ..specification import (
    COMPONENTS,
    FOCAL,
    design_matrix,
    firm_levels,
    small_firms,
)
from .estimates import model_effects
from .spec import EffectOptions, data_of

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "FIRM_EFFECT_COLUMNS",
    "FIRM_TEST_COLUMNS",
    "IbragimovMuellerTest",
    "firm_slope_design",
    "firm_slopes_lr_test",
    "firm_tests",
    "ibragimov_mueller",
    "per_firm_effects",
]

#: Columns of the per-firm effects table.
FIRM_EFFECT_COLUMNS: tuple[str, ...] = ("id", "firm", "n", "estimate", "std_error", "note")

#: Columns of ``firm_tests.csv``.
FIRM_TEST_COLUMNS: tuple[str, ...] = (
    "test",
    "id",
    "n_firms",
    "estimate",
    "std_error",
    "statistic",
    "df",
    "p_value",
)


@dataclass(frozen=True)
class IbragimovMuellerTest:
    """Outcome of an Ibragimov-Müller test.

    Parameters
    ----------
    stat : float
        The t statistic.
    pval : float
        Two-sided p-value from Student's t with ``df`` degrees of freedom.
    df : int
        Number of firms minus one.
    null : str
        The null hypothesis in words.
    estimate : float
        Mean of the per-firm estimates.
    std_error : float
        Their standard deviation over the square root of the number of firms.
    n_firms : int
        Number of per-firm estimates.
    dist_name : str
        ``"t"``.

    Examples
    --------
    >>> IbragimovMuellerTest(2.0, 0.14, 3, "mean effect is zero", 0.1, 0.05, 4).dist_name
    't'
    """

    stat: float
    pval: float
    df: int
    null: str
    estimate: float
    std_error: float
    n_firms: int
    dist_name: str = "t"


def ibragimov_mueller(
    estimates: Sequence[float], null: str = "the mean of the per-firm effects is zero"
) -> IbragimovMuellerTest:
    """Ibragimov-Müller t test that the mean of per-cluster estimates is zero.

    Parameters
    ----------
    estimates : sequence of float
        One estimate of the same effect per firm (cluster); at least two.
    null : str
        The null hypothesis in words.

    Returns
    -------
    IbragimovMuellerTest
        ``n_firms`` F, ``estimate`` (mean of the estimates), ``std_error``
        (their standard deviation over sqrt(F)), ``stat`` (t), ``df``
        (F - 1) and ``pval`` (two-sided, Student's t).

    Raises
    ------
    EffectsError
        Fewer than two estimates, non-finite estimates, or estimates that are
        all equal (the statistic is undefined).

    Notes
    -----
    Ibragimov, R. and Müller, U. K. (2010), "t-statistic based correlation and
    heterogeneity robust inference", *Journal of Business & Economic
    Statistics* 28(4), 453-468. See the module notes for the formula.

    Examples
    --------
    >>> out = ibragimov_mueller([0.02, 0.03, 0.05, 0.01])
    >>> out.df, round(out.stat, 4)
    (3, 3.2205)
    """
    x = np.asarray(estimates, dtype=float).ravel()
    if x.size < 2:
        raise EffectsError(f"the Ibragimov-Müller test needs at least 2 firms; got {x.size}")
    if not np.isfinite(x).all():
        raise EffectsError("the per-firm estimates must be finite")
    sd = float(x.std(ddof=1))
    if np.ptp(x) == 0:
        raise EffectsError("the per-firm estimates are all equal; the t statistic is undefined")
    f = x.size
    se = sd / math.sqrt(f)
    t = float(x.mean()) / se
    return IbragimovMuellerTest(
        stat=t,
        pval=float(2 * stats.t.sf(abs(t), f - 1)),
        df=int(f - 1),
        null=null,
        estimate=float(x.mean()),
        std_error=se,
        n_firms=int(f),
    )


def _fit_dirichlet(
    endog: pd.DataFrame,
    exog: pd.DataFrame,
    step: float | None = None,
    start: pd.Series | None = None,
):
    """Fit the exact-share or the rounding-aware Dirichlet regression.

    ``start`` (optional) holds starting values by parameter name; parameters it
    lacks start at 0 (a warm start of a larger model from a nested one).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", ZeroShareWarning)
        if step is None:
            model = DirichletRegression(endog, exog, base="other")
        else:
            model = RoundedDirichletRegression(
                endog, exog, step, base="other", floor=FLOOR_COMPONENT
            )
        if start is None:
            return model.fit()
        return model.fit(start_params=start.reindex(model.param_names).fillna(0.0).to_numpy())


def per_firm_effects(
    frame: AnalysisFrame | pd.DataFrame,
    *,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    model: str = "dirichlet",
    model_options: dict[str, Any] | None = None,
    options: EffectOptions | None = None,
) -> pd.DataFrame:
    """Registry effects of the main model fitted within each firm.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample (``frame.data``: ``firm``, the centred analysis
        variables and the reported shares).
    hypotheses : sequence of Hypothesis
        Registry rows (default all twelve).
    model : str, default "dirichlet"
        Registered share model fitted within each firm (the main model:
        ``"dirichlet"`` or ``"dirichlet_rounded"``).
    model_options : dict, optional
        Options of that model (for the rounding-aware model its ``step``).
    options : EffectOptions, optional
        Variance and test level of the within-firm effects.

    Returns
    -------
    DataFrame
        Columns :data:`FIRM_EFFECT_COLUMNS`, one row per firm and hypothesis;
        ``std_error`` is the unconditional delta-method standard error within
        the firm. A firm whose model cannot be fitted (a singular design, for
        example a control that does not vary within the firm, or no
        convergence) gets missing estimates and the reason in ``note``. A firm
        with fewer than :data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS`
        reps has no row.

    Raises
    ------
    EffectsError
        When the data lack ``firm`` or hold fewer than two firms.

    Notes
    -----
    Within a firm the design is the main model's without firm dummies; the
    variables keep the analysis-sample centring, so each firm's effects are
    averages over that firm's reps.
    """
    data = data_of(frame)
    if "firm" not in data.columns:
        raise EffectsError("per-firm effects need a 'firm' column")
    firms = firm_levels(data["firm"])
    if len(firms) < 2:
        raise EffectsError(f"per-firm effects need at least 2 firms; got {len(firms)}")
    small = small_firms(data["firm"])
    rows = []
    for firm in (f for f in firms if f not in small):
        sub = data[data["firm"].astype(str) == firm].reset_index(drop=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                warnings.simplefilter("ignore", ZeroShareWarning)
                res = fit_share_model(sub, model, **(model_options or {}))
            table = model_effects(res, sub, hypotheses=hypotheses, options=options)
            for r in table.itertuples(index=False):
                rows.append((r.id, firm, len(sub), r.estimate, r.std_error, ""))
        except (EstimationError, ConvergenceWarning, np.linalg.LinAlgError) as exc:
            note = f"not estimable: {exc}"
            for h in hypotheses:
                rows.append((h.id, firm, len(sub), np.nan, np.nan, note))
    return pd.DataFrame(rows, columns=list(FIRM_EFFECT_COLUMNS))


def firm_slope_design(data: pd.DataFrame, focal: Sequence[str] = FOCAL) -> pd.DataFrame:
    """The main model's design plus firm-by-focal-predictor interactions.

    Parameters
    ----------
    data : DataFrame
        Analysis data with ``firm`` and the analysis variables.
    focal : sequence of str
        Predictors whose slopes may differ by firm (default the five focal
        predictors).

    Returns
    -------
    DataFrame
        :func:`~leadblackhole.specification.design_matrix` followed by the
        columns ``firm[T.f]:x`` for every non-reference firm f and x in
        ``focal``.
    """
    exog = design_matrix(data)
    dummies = [c for c in exog.columns if c.startswith("firm[")]
    extra = {f"{d}:{x}": exog[d] * data[x].to_numpy(dtype=float) for d in dummies for x in focal}
    return pd.concat([exog, pd.DataFrame(extra, index=exog.index)], axis=1)


def firm_slopes_lr_test(
    frame: AnalysisFrame | pd.DataFrame, focal: Sequence[str] = FOCAL, step: float | None = None
) -> LikelihoodRatioTest:
    """Likelihood-ratio test of firm-specific slopes in the main Dirichlet model.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample (the reported shares).
    focal : sequence of str
        Predictors whose slopes may differ by firm.
    step : float, optional
        Rounding step of the percents: both fits are then the rounding-aware
        Dirichlet regression (the main model on rounded answers); default the
        exact-share Dirichlet regression.

    Returns
    -------
    LikelihoodRatioTest
        ``stat`` :math:`2(\\ell_1 - \\ell_0)`, ``df``
        (:math:`2\\,|\\text{focal}|\\,(F-1)`), ``pval`` (chi-squared).

    Raises
    ------
    EffectsError
        Fewer than two firms with at least ``1 + len(focal)`` reps, an unknown
        focal predictor.
    EstimationError
        When either model cannot be fitted (singular design, no convergence).

    Notes
    -----
    Both models are fitted on the reps of the firms with at least
    ``1 + len(focal)`` reps (the columns a firm has of its own in the larger
    model); a smaller firm cannot carry slopes of its own and is left out.

    Examples
    --------
    >>> firm_slopes_lr_test(frame).df   # doctest: +SKIP
    30
    """
    data = data_of(frame)
    unknown = [x for x in focal if x not in data.columns]
    if unknown:
        raise EffectsError(f"unknown focal predictor(s) {unknown}")
    minimum = 1 + len(focal)
    small = small_firms(data["firm"], minimum)
    if small:
        data = data[~data["firm"].astype(str).isin(small)]
    firms = firm_levels(data["firm"])
    if len(firms) < 2:
        raise EffectsError(
            f"a test of firm-specific slopes needs at least 2 firms with {minimum} or more "
            f"reps; got {len(firms)}"
        )
    endog = data[list(COMPONENTS)] if step is None else analysis_percents(data)
    try:
        restricted = _fit_dirichlet(endog, design_matrix(data), step)
        # the full model starts from the restricted estimates, firm-slope terms at 0
        full = _fit_dirichlet(endog, firm_slope_design(data, focal), step, restricted.params)
    except ConvergenceWarning as exc:
        raise EstimationError(f"the test of firm-specific slopes failed: {exc}") from exc
    lr = full.lr_test(restricted)
    return LikelihoodRatioTest(
        stat=lr.stat,
        pval=lr.pval,
        df=lr.df,
        null=f"the slopes of {', '.join(focal)} are the same in the {len(firms)} firms",
    )


def firm_tests(
    frame: AnalysisFrame | pd.DataFrame,
    *,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    per_firm: pd.DataFrame | None = None,
    model: str = "dirichlet",
    model_options: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The ``firm_tests.csv`` table: the slope LR test and one IM test per hypothesis.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample.
    hypotheses : sequence of Hypothesis
        Registry rows.
    per_firm : DataFrame, optional
        Output of :func:`per_firm_effects`, computed when omitted.
    model, model_options
        The main model (see :func:`per_firm_effects`); with
        ``"dirichlet_rounded"`` the LR test uses its ``step`` too.

    Returns
    -------
    DataFrame
        Columns :data:`FIRM_TEST_COLUMNS`. First row ``test =
        "firm_slopes_lr"`` (``id`` empty; ``estimate``/``std_error`` missing;
        ``n_firms`` the firms with at least
        :data:`~leadblackhole.specification.FIRM_CHECK_MIN_REPS` reps, the
        statistic missing when fewer than two or when the test cannot be
        estimated), then ``test = "ibragimov_mueller"`` per hypothesis over the
        firms with an estimate (missing when fewer than two).

    Warns
    -----
    DataWarning
        When the test of firm-specific slopes cannot be estimated on two or
        more firms (a singular design or no convergence): its row is left empty.
    """
    data = data_of(frame)
    if per_firm is None:
        per_firm = per_firm_effects(
            data, hypotheses=hypotheses, model=model, model_options=model_options
        )
    step = (model_options or {}).get("step") if model == "dirichlet_rounded" else None
    n_firms = len(firm_levels(data["firm"])) - len(small_firms(data["firm"]))
    stat = df = pval = np.nan
    if n_firms >= 2:
        try:
            lr = firm_slopes_lr_test(data, step=step)
            stat, df, pval = lr.stat, lr.df, lr.pval
        except EstimationError as exc:
            warnings.warn(
                f"the test of firm-specific slopes cannot be estimated ({exc}); its row of "
                "firm_tests.csv is left empty",
                DataWarning,
                stacklevel=2,
            )
    rows = [
        {
            "test": "firm_slopes_lr",
            "id": "",
            "n_firms": n_firms,
            "estimate": np.nan,
            "std_error": np.nan,
            "statistic": stat,
            "df": df,
            "p_value": pval,
        }
    ]
    for h in hypotheses:
        est = per_firm.loc[per_firm["id"] == h.id, "estimate"].dropna().to_numpy()
        row = {"test": "ibragimov_mueller", "id": h.id, "n_firms": int(est.size)}
        try:
            im = ibragimov_mueller(est)
            row |= {
                "estimate": im.estimate,
                "std_error": im.std_error,
                "statistic": im.stat,
                "df": im.df,
                "p_value": im.pval,
            }
        except EffectsError:
            row |= dict.fromkeys(("estimate", "std_error", "statistic", "df", "p_value"), np.nan)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FIRM_TEST_COLUMNS))
