r"""Multiplicity control over the registry: adjusted p-values and a joint Wald test.

Two tools read the hypothesis table of one model as a family:

* :func:`adjust_pvalues` adds Holm (1979) family-wise and Benjamini-Hochberg
  (1995) false-discovery-rate adjusted p-values (``p_holm``, ``p_bh``) within
  each model over its *directional* hypotheses (``expected_sign`` of +1 or -1:
  H1-H11, or H1 and H3-H11 for a model of the marketing share alone). The
  exploratory row E1 makes no prediction, is not a test of the study's claims
  and is left out of the family (its adjusted p-values are missing). The
  adjustment is :func:`statsmodels.stats.multitest.multipletests` applied to
  the two-sided p-values of the table.
* :func:`joint_moderation_test` tests that all six moderations are zero at
  once: the five hypothesised moderations H7-H11 *and* the exploratory E1.
  The six are the average cross-partials of the six interaction terms of the
  right-hand side, so the joint null is "no interaction moves the expected
  marketing share on average": E1 belongs to that null even though it makes
  no directional prediction. The statistic is

  .. math::

      W = \hat\Delta^\top \hat\Sigma^{-1} \hat\Delta \sim \chi^2_6,

  with :math:`\hat\Sigma = G\hat VG^\top + C/n` the joint covariance of the
  six effects: :math:`G` the delta-method gradient of each effect
  (:mod:`leadblackhole.effects.engine`), :math:`\hat V` the model's
  covariance of the mean coefficients, and, under
  ``EffectOptions(variance="unconditional")`` (the default, as for the
  single effects),
  :math:`C` the covariance over reps of the per-rep cross-partials, the
  multivariate form of the sampling variance of the average over reps. Its
  diagonal is exactly the squared standard errors of ``hypotheses.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..exceptions import EffectsError
from ..models.results import WaldTest
from ..registry import HYPOTHESES, Hypothesis
from .engine import EffectsEngine
from .estimates import HYPOTHESIS_COLUMNS
from .spec import EffectOptions, EffectSpec, as_model, data_of, resolve_options

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "ADJUSTED_HYPOTHESIS_COLUMNS",
    "ADJUSTMENTS",
    "JOINT_TEST_COLUMNS",
    "MODERATION_IDS",
    "adjust_pvalues",
    "effect_covariance",
    "joint_moderation_test",
    "wald_test",
]

#: Adjusted p-value columns and the ``multipletests`` method of each.
ADJUSTMENTS: dict[str, str] = {"p_holm": "holm", "p_bh": "fdr_bh"}

#: Columns of ``hypotheses.csv``: the hypothesis table with the adjusted p-values after ``p_value``.
ADJUSTED_HYPOTHESIS_COLUMNS: tuple[str, ...] = tuple(
    c for col in HYPOTHESIS_COLUMNS for c in ((col, *ADJUSTMENTS) if col == "p_value" else (col,))
)

#: Registry ids of the moderations the joint test covers (H7-H11 and E1).
MODERATION_IDS: tuple[str, ...] = tuple(h.id for h in HYPOTHESES if h.moderator is not None)

#: Columns of ``joint_tests.csv``, in order.
JOINT_TEST_COLUMNS: tuple[str, ...] = ("model", "test", "statistic", "df", "p_value")


def adjust_pvalues(table: pd.DataFrame, by: str = "model") -> pd.DataFrame:
    """Add Holm and Benjamini-Hochberg adjusted p-values within each model.

    Parameters
    ----------
    table : DataFrame
        A hypothesis table (``hypotheses.csv`` layout) with at least the
        columns ``expected_sign``, ``p_value`` and ``by``.
    by : str, default "model"
        Column whose groups are the families.

    Returns
    -------
    DataFrame
        A copy of ``table`` with ``p_holm`` and ``p_bh`` after ``p_value``;
        missing for exploratory rows (``expected_sign == 0``) and for rows
        whose p-value is missing.

    Raises
    ------
    EffectsError
        When a required column is missing or a p-value lies outside [0, 1].

    Notes
    -----
    Holm: with the family's :math:`m` p-values sorted,
    :math:`p^{\\text{Holm}}_{(j)} = \\max_{i\\le j}\\min\\{1, (m-i+1)p_{(i)}\\}`.
    Benjamini-Hochberg:
    :math:`p^{\\text{BH}}_{(j)} = \\min_{i\\ge j}\\min\\{1, m\\,p_{(i)}/i\\}`.

    Examples
    --------
    >>> t = pd.DataFrame({"model": "m", "expected_sign": [1, -1, 0],
    ...                   "p_value": [0.01, 0.04, 0.5]})
    >>> adjust_pvalues(t)[["p_holm", "p_bh"]].round(3).values.tolist()
    [[0.02, 0.02], [0.04, 0.04], [nan, nan]]
    """
    missing = [c for c in ("expected_sign", "p_value", by) if c not in table.columns]
    if missing:
        raise EffectsError(f"the hypothesis table lacks the column(s) {missing}")
    p = pd.to_numeric(table["p_value"], errors="coerce").to_numpy(dtype=float)
    if ((p < 0) | (p > 1)).any():
        raise EffectsError("the hypothesis table holds p-values outside [0, 1]")
    out = table.copy()
    adjusted = {col: np.full(len(out), np.nan) for col in ADJUSTMENTS}
    family = (out["expected_sign"].to_numpy() != 0) & np.isfinite(p)
    for _, idx in out.groupby(by, sort=False).indices.items():
        rows = idx[family[idx]]
        if rows.size == 0:
            continue
        for col, method in ADJUSTMENTS.items():
            adjusted[col][rows] = multipletests(p[rows], method=method)[1]
    pos = list(out.columns).index("p_value") + 1
    for k, col in enumerate(ADJUSTMENTS):
        if col in out.columns:
            out = out.drop(columns=col)
        out.insert(pos + k, col, adjusted[col])
    return out


def effect_covariance(
    results: Any,
    frame: AnalysisFrame | pd.DataFrame,
    specs: Sequence[EffectSpec],
    options: EffectOptions | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and joint delta-method covariance of several average effects.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model (see :meth:`~leadblackhole.effects.ShareModel.from_results`).
    frame : AnalysisFrame or DataFrame
        Reps to average over.
    specs : sequence of EffectSpec
        The effects.
    options : EffectOptions, optional
        ``variance="unconditional"`` (default) adds the covariance over reps
        of the per-rep effects divided by n (see the module notes).

    Returns
    -------
    estimates : ndarray (S,)
    cov : ndarray (S, S)
        :math:`G\\hat VG^\\top [+ C/n]`; its diagonal is the squared standard
        errors of :func:`~leadblackhole.effects.average_effects`.

    Raises
    ------
    EffectsError
        Bad options, unknown variables or a model without covariance.
    """
    options = resolve_options(options)
    model = as_model(results)
    engine = EffectsEngine(model, data_of(frame))
    specs = list(specs)
    est, _, grad = engine.evaluate(specs)
    cov = grad @ model.cov @ grad.T
    if options.variance == "unconditional" and engine.n > 1:
        per_rep = engine.per_rep(specs)
        cov = cov + np.atleast_2d(np.cov(per_rep, ddof=1)) / engine.n
    return est, (cov + cov.T) / 2


def wald_test(estimates: Any, cov: Any, null: str = "every effect is zero") -> WaldTest:
    """Wald test that a vector of estimates is zero.

    Parameters
    ----------
    estimates : array-like (k,)
    cov : array-like (k, k)
        Their covariance; must be symmetric positive definite.
    null : str
        The null hypothesis in words.

    Returns
    -------
    WaldTest
        ``stat`` :math:`b^\\top V^{-1} b`, ``df`` (= k), ``pval`` (upper tail of
        :math:`\\chi^2_k`), ``dist_name`` ``"chi2"``.

    Raises
    ------
    EffectsError
        Mismatched shapes, non-finite values or a covariance that is not
        positive definite.

    Examples
    --------
    >>> round(wald_test([1.96], [[1.0]]).pval, 3)
    0.05
    """
    b = np.asarray(estimates, dtype=float).ravel()
    v = np.asarray(cov, dtype=float)
    if v.shape != (b.size, b.size) or b.size == 0:
        raise EffectsError(
            f"the covariance must be {b.size} x {b.size} for {b.size} estimates; got {v.shape}"
        )
    if not (np.isfinite(b).all() and np.isfinite(v).all()):
        raise EffectsError("the estimates or their covariance are not finite")
    try:
        chol = np.linalg.cholesky((v + v.T) / 2)
    except np.linalg.LinAlgError:
        raise EffectsError(
            "the covariance of the tested effects is not positive definite; the joint "
            "test is not defined (are two effects the same combination of coefficients?)"
        ) from None
    u = np.linalg.solve(chol, b)
    stat = float(u @ u)
    return WaldTest(stat=stat, pval=float(stats.chi2.sf(stat, b.size)), df=int(b.size), null=null)


def joint_moderation_test(
    results: Any,
    frame: AnalysisFrame | pd.DataFrame,
    *,
    model: str | None = None,
    ids: Sequence[str] = MODERATION_IDS,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    options: EffectOptions | None = None,
) -> pd.DataFrame:
    """Joint Wald test that all six moderations (H7-H11 and E1) are zero.

    Parameters
    ----------
    results : ShareResults or ShareModel
        Fitted share model.
    frame : AnalysisFrame or DataFrame
        The reps the model was fitted on (for the two-part model, the
        selection sample).
    model : str, optional
        Label written in the ``model`` column; default the results' ``model_name``.
    ids : sequence of str
        Registry ids tested jointly (default :data:`MODERATION_IDS`).
    hypotheses : sequence of Hypothesis
        The registry.
    options : EffectOptions, optional
        See :func:`effect_covariance`.

    Returns
    -------
    DataFrame
        One row, columns :data:`JOINT_TEST_COLUMNS`; ``test`` is
        ``"moderations_zero"``.

    Raises
    ------
    EffectsError
        Unknown ids, effects the model cannot give, or a singular covariance.

    Examples
    --------
    >>> joint_moderation_test(fit_share_model(frame, "dirichlet"), frame)   # doctest: +SKIP
    """
    reg = {h.id: h for h in hypotheses}
    unknown = [i for i in ids if i not in reg]
    if unknown:
        raise EffectsError(f"unknown hypothesis id(s) {unknown}; expected ids of the registry")
    share_model = as_model(results)
    specs = [EffectSpec(reg[i].outcome, reg[i].predictor, reg[i].moderator) for i in ids]
    est, cov = effect_covariance(share_model, frame, specs, options)
    test = wald_test(est, cov, null=f"the moderations {', '.join(ids)} are all zero")
    return pd.DataFrame(
        [
            {
                "model": share_model.name if model is None else model,
                "test": "moderations_zero",
                "statistic": test.stat,
                "df": test.df,
                "p_value": test.pval,
            }
        ],
        columns=list(JOINT_TEST_COLUMNS),
    )
