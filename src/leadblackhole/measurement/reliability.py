"""Reliability of multi-item scales: Cronbach's alpha, composite reliability, AVE.

Alpha is computed from the raw item covariances (``psych::alpha``'s
``raw_alpha``) with a confidence interval by Feldt's method; composite
reliability and average variance extracted come from the standardized loadings
of the confirmatory factor analysis (:mod:`leadblackhole.measurement.cfa`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from leadblackhole.exceptions import EstimationError
from leadblackhole.measurement._data import prepare_items
from leadblackhole.measurement.cfa import CFAResult, fit_cfa

__all__ = [
    "AlphaResult",
    "average_variance_extracted",
    "composite_reliability",
    "cronbach_alpha",
    "feldt_interval",
    "reliability_table",
    "scale_alphas",
]

MEASUREMENT_COLUMNS = (
    "scale",
    "n_items",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "composite_reliability",
    "ave",
)


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of one scale with its Feldt confidence interval.

    Attributes
    ----------
    alpha : float
        Raw (covariance-based) coefficient alpha.
    ci_low, ci_high : float
        Bounds of the Feldt confidence interval.
    level : float
        Confidence level of the interval.
    n_obs : int
        Complete rows used.
    n_items : int
        Number of items.
    """

    alpha: float
    ci_low: float
    ci_high: float
    level: float
    n_obs: int
    n_items: int


def feldt_interval(
    alpha: float, n_obs: int, n_items: int, level: float = 0.95
) -> tuple[float, float]:
    """Confidence interval for coefficient alpha by Feldt's method.

    Parameters
    ----------
    alpha : float
        Sample coefficient alpha.
    n_obs : int
        Number of respondents ``n`` (at least 2).
    n_items : int
        Number of items ``k`` (at least 2).
    level : float, default 0.95
        Confidence level ``1 - g``.

    Returns
    -------
    (float, float)
        Lower and upper bound.

    Notes
    -----
    Feldt (1965) and Feldt, Woodruff & Salih (1987): under the
    essentially-parallel normal model, ``(1 - rho) / (1 - alpha_hat)`` follows
    an F distribution with ``n - 1`` and ``(n - 1)(k - 1)`` degrees of freedom,
    so with ``F_q`` its ``q``-quantile

    .. math::

        \\left[\\,1 - (1 - \\hat\\alpha)\\,F_{1-g/2},\\;
               1 - (1 - \\hat\\alpha)\\,F_{g/2}\\,\\right].

    This is ``psych::alpha.ci`` (the "Feldt" boundaries printed by
    ``psych::alpha``).

    Examples
    --------
    >>> lo, hi = feldt_interval(0.85, n_obs=400, n_items=4)
    >>> round(lo, 3), round(hi, 3)
    (0.824, 0.873)
    """
    if n_obs < 2 or n_items < 2:
        raise EstimationError(
            f"Feldt interval needs n_obs >= 2 and n_items >= 2 (got {n_obs}, {n_items})"
        )
    if not 0 < level < 1:
        raise EstimationError(f"confidence level must be in (0, 1), got {level}")
    g = 1.0 - level
    df1 = n_obs - 1
    df2 = (n_obs - 1) * (n_items - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - g / 2.0, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(g / 2.0, df1, df2)
    return float(low), float(high)


def _alpha_from_values(values: np.ndarray) -> float:
    cov = np.cov(values, rowvar=False)
    k = cov.shape[0]
    total = cov.sum()
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def cronbach_alpha(items: pd.DataFrame, level: float = 0.95) -> AlphaResult:
    """Cronbach's alpha of one scale, with a Feldt confidence interval.

    Parameters
    ----------
    items : pandas.DataFrame
        The item columns of one scale (numeric; NaN = missing). Rows with a
        missing answer on any of these items are dropped (listwise).
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    AlphaResult

    Raises
    ------
    EstimationError
        Fewer than 2 items, too few complete rows, a zero-variance item.

    Notes
    -----
    With item covariance matrix :math:`C` (``k`` items),

    .. math:: \\alpha = \\frac{k}{k-1}\\Bigl(1 - \\frac{\\operatorname{tr} C}{\\mathbf 1' C \\mathbf 1}\\Bigr),

    ``psych::alpha``'s ``raw_alpha``. The interval is :func:`feldt_interval`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal(300)
    >>> df = pd.DataFrame({f"x{j}": np.rint(4 + f + rng.standard_normal(300)) for j in range(4)})
    >>> res = cronbach_alpha(df)
    >>> 0.7 < res.alpha < 0.9
    True
    """
    prepared = prepare_items(items, {"scale": list(items.columns)})
    return _alpha_result(prepared.data.to_numpy(), level)


def _alpha_result(values: np.ndarray, level: float) -> AlphaResult:
    n, k = values.shape
    a = _alpha_from_values(values)
    lo, hi = feldt_interval(a, n, k, level)
    return AlphaResult(alpha=a, ci_low=lo, ci_high=hi, level=level, n_obs=n, n_items=k)


def scale_alphas(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], level: float = 0.95
) -> pd.DataFrame:
    """Cronbach's alpha with Feldt interval for every scale.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses (numeric, NaN = missing).
    scales : mapping of str to sequence of str
        Scale name -> item columns (at least 2 per scale).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``scale, n_items, n_obs, alpha, alpha_ci_low, alpha_ci_high``,
        one row per scale in the order of ``scales``.

    Notes
    -----
    Listwise deletion across the items of *all* scales, so every alpha rests on
    the same respondents as the CFA. See :func:`cronbach_alpha` for the formula.

    Examples
    --------
    >>> scale_alphas(items, {"prequal": ["p1", "p2", "p3"]})   # doctest: +SKIP
    """
    prepared = prepare_items(items, scales)
    rows = []
    for name, its in prepared.scales.items():
        res = _alpha_result(prepared.data.loc[:, list(its)].to_numpy(), level)
        rows.append(
            {
                "scale": name,
                "n_items": res.n_items,
                "n_obs": res.n_obs,
                "alpha": res.alpha,
                "alpha_ci_low": res.ci_low,
                "alpha_ci_high": res.ci_high,
            }
        )
    return pd.DataFrame(rows)


def _as_loadings(loadings: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    lam = np.asarray(loadings, dtype=float).ravel()
    if lam.size == 0 or not np.isfinite(lam).all():
        raise EstimationError("loadings must be a non-empty sequence of finite numbers")
    return lam


def composite_reliability(loadings: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Composite (construct) reliability from standardized loadings.

    Parameters
    ----------
    loadings : sequence of float
        Standardized loadings of one scale's items on their factor.

    Returns
    -------
    float

    Notes
    -----
    Fornell & Larcker (1981) / Jöreskog's rho, with the standardized error
    variance of item ``i`` taken as :math:`1 - \\lambda_i^2`:

    .. math:: CR = \\frac{(\\sum_i \\lambda_i)^2}{(\\sum_i \\lambda_i)^2 + \\sum_i (1 - \\lambda_i^2)}.

    Examples
    --------
    >>> round(composite_reliability([0.7, 0.8, 0.9]), 4)
    0.8446
    """
    lam = _as_loadings(loadings)
    s2 = lam.sum() ** 2
    return float(s2 / (s2 + np.sum(1.0 - lam**2)))


def average_variance_extracted(loadings: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Average variance extracted (AVE) from standardized loadings.

    Parameters
    ----------
    loadings : sequence of float
        Standardized loadings of one scale's items on their factor.

    Returns
    -------
    float

    Notes
    -----
    Fornell & Larcker (1981): :math:`AVE = \\frac{1}{k}\\sum_i \\lambda_i^2`,
    the mean share of item variance explained by the factor.

    Examples
    --------
    >>> round(average_variance_extracted([0.7, 0.8, 0.9]), 4)
    0.6467
    """
    lam = _as_loadings(loadings)
    return float(np.mean(lam**2))


def reliability_table(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    cfa: CFAResult | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Reliability and convergent-validity table of all scales.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses (numeric, NaN = missing).
    scales : mapping of str to sequence of str
        Scale name -> item columns.
    cfa : CFAResult, optional
        A fitted measurement model of the same scales; fitted with
        :func:`~leadblackhole.measurement.cfa.fit_cfa` when omitted.
    level : float, default 0.95
        Confidence level of the alpha interval.

    Returns
    -------
    pandas.DataFrame
        Columns exactly ``scale, n_items, alpha, alpha_ci_low, alpha_ci_high,
        composite_reliability, ave``.

    Notes
    -----
    ``alpha`` as in :func:`cronbach_alpha`; ``composite_reliability`` and
    ``ave`` as in :func:`composite_reliability` and
    :func:`average_variance_extracted`, from the CFA's standardized loadings.

    Examples
    --------
    >>> reliability_table(items, {"prequal": [...], "tracking": [...]})   # doctest: +SKIP
    """
    alphas = scale_alphas(items, scales, level)
    if cfa is None:
        cfa = fit_cfa(items, scales)
    if list(cfa.scales) != list(alphas["scale"]):
        raise EstimationError("the CFA result was fitted on other scales than those given")
    loadings = cfa.loadings
    cr, ave = [], []
    for name in alphas["scale"]:
        lam = loadings.loc[loadings["scale"] == name, "loading"].to_numpy()
        cr.append(composite_reliability(lam))
        ave.append(average_variance_extracted(lam))
    out = alphas.drop(columns="n_obs")
    out["composite_reliability"] = cr
    out["ave"] = ave
    return out.loc[:, list(MEASUREMENT_COLUMNS)]
