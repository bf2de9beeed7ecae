"""Common-method variance (CMV) checks: Harman's single-factor test and a one-factor CFA.

When all constructs come from the same respondents answering the same
questionnaire (here: sales reps rating both lead prequalification and
managerial tracking), part of the item covariation may be due to the method
(response styles, consistency motives) rather than the constructs.

What these checks can and cannot show
-------------------------------------
* Both are *diagnostics of gross* method bias. A single method factor that
  accounts for most of the covariation would show up as a dominant first
  component (Harman) or as a one-factor model that fits about as well as the
  measurement model.
* Neither proves the **absence** of method bias. Podsakoff et al. (2003)
  call Harman's test insensitive: method variance can inflate or deflate
  correlations substantially while a first component stays below 50 %, and the
  more items and constructs there are, the less likely one component dominates.
* The one-factor CFA comparison nearly always rejects the one-factor model
  when the constructs are distinct at all; a significant chi-square
  difference shows the constructs are distinguishable, not that method
  variance is small.
* Neither separates method variance from a genuinely high correlation
  between constructs, and neither corrects the estimates. Design remedies
  (separate sources, temporal separation) or a marker variable / latent method
  factor are needed for that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from leadblackhole.measurement._data import prepare_items
from leadblackhole.measurement.cfa import CFAResult, fit_cfa

__all__ = [
    "HarmanResult",
    "OneFactorComparison",
    "cmv_table",
    "harman_single_factor",
    "one_factor_comparison",
]

#: Name of the factor of the one-factor model.
GENERAL_FACTOR = "general"


@dataclass(frozen=True)
class HarmanResult:
    """Outcome of Harman's single-factor test.

    Attributes
    ----------
    first_eigenvalue : float
        Largest eigenvalue of the item correlation matrix.
    share : float
        ``first_eigenvalue / n_items``: share of the total (standardized) item
        variance explained by the first unrotated principal component.
    n_items, n_obs : int
        Items and complete rows used.
    n_factors_kaiser : int
        Number of eigenvalues above 1.
    eigenvalues : tuple of float
        All eigenvalues, largest first.
    """

    first_eigenvalue: float
    share: float
    n_items: int
    n_obs: int
    n_factors_kaiser: int
    eigenvalues: tuple[float, ...]

    @property
    def majority(self) -> bool:
        """True when the first component explains more than half the variance (the usual flag)."""
        return self.share > 0.5


@dataclass(frozen=True)
class OneFactorComparison:
    """Chi-square difference test of a one-factor model against the measurement model.

    Attributes
    ----------
    one_factor, model : CFAResult
        The one-factor model (every item on one factor) and the measurement
        model (one factor per scale).
    chisq_diff : float
        :math:`\\chi^2_{one} - \\chi^2_{model}`.
    df_diff : int
        :math:`df_{one} - df_{model} = m(m-1)/2` for ``m`` scales.
    pvalue : float
        Upper tail of :math:`\\chi^2_{df\\_diff}` at ``chisq_diff``; NaN when
        ``df_diff = 0`` (a single scale: the two models coincide).
    """

    one_factor: CFAResult
    model: CFAResult
    chisq_diff: float
    df_diff: int
    pvalue: float


def harman_single_factor(items: pd.DataFrame, scales: Mapping[str, Sequence[str]]) -> HarmanResult:
    """Harman's single-factor test on the items of all scales.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses (numeric; NaN = missing, listwise deletion across the
        items of all scales).
    scales : mapping of str to sequence of str
        Scale name -> item columns; all items of all scales enter the test.

    Returns
    -------
    HarmanResult

    Notes
    -----
    Extraction: the first **unrotated principal component of the item
    correlation matrix** :math:`R` (the common practice, e.g. SPSS "principal
    components, unrotated"). With eigenvalues :math:`\\ell_1 \\ge \\dots \\ge \\ell_p`,

    .. math:: \\text{share} = \\ell_1 / \\operatorname{tr} R = \\ell_1 / p .

    A share above 50 % is conventionally read as a sign of substantial common
    method variance. The test is insensitive and cannot show that method
    variance is absent (see the module docstring). A principal-axis factor
    would give a somewhat smaller share, as it excludes unique variance.

    Examples
    --------
    >>> res = harman_single_factor(items, scales)   # doctest: +SKIP
    >>> res.share                                   # doctest: +SKIP
    """
    prepared = prepare_items(items, scales)
    r = np.corrcoef(prepared.data.to_numpy(), rowvar=False)
    ev = np.sort(np.linalg.eigvalsh(r))[::-1]
    p = r.shape[0]
    return HarmanResult(
        first_eigenvalue=float(ev[0]),
        share=float(ev[0] / p),
        n_items=p,
        n_obs=prepared.n_obs,
        n_factors_kaiser=int(np.sum(ev > 1.0)),
        eigenvalues=tuple(float(v) for v in ev),
    )


def one_factor_comparison(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], cfa: CFAResult | None = None
) -> OneFactorComparison:
    """Compare a one-factor CFA with the measurement model (chi-square difference test).

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses.
    scales : mapping of str to sequence of str
        Scale name -> item columns.
    cfa : CFAResult, optional
        Fitted measurement model of the same scales (fitted when omitted).

    Returns
    -------
    OneFactorComparison

    Notes
    -----
    The one-factor model is the measurement model with all factor
    correlations fixed to 1, so it is nested in it and the likelihood-ratio
    statistic :math:`\\Delta\\chi^2 = \\chi^2_{one} - \\chi^2_{model}` is
    asymptotically :math:`\\chi^2` with :math:`m(m-1)/2` df (lavaan's
    ``anova``). The one-factor likelihood typically has one local minimum per
    scale (the factor leans towards one cluster of items), so it is fitted
    from one start per scale as well as the default starts and the lowest
    minimum is kept (see ``start_groups`` of
    :func:`~leadblackhole.measurement.cfa.fit_cfa`); lavaan's default start
    may stop at a worse local minimum. A significant difference says the one-factor model fits worse,
    i.e. the constructs are distinguishable; it does not show that method
    variance is negligible.

    Examples
    --------
    >>> cmp = one_factor_comparison(items, scales)   # doctest: +SKIP
    >>> cmp.chisq_diff, cmp.df_diff, cmp.pvalue      # doctest: +SKIP
    """
    prepared = prepare_items(items, scales)
    if cfa is None:
        cfa = fit_cfa(items, scales)
    one = fit_cfa(
        prepared.data, {GENERAL_FACTOR: prepared.item_names}, start_groups=prepared.scales
    )
    diff = max(one.chisq - cfa.chisq, 0.0)
    ddf = int(one.df - cfa.df)
    pval = float(stats.chi2.sf(diff, ddf)) if ddf > 0 else float("nan")
    return OneFactorComparison(
        one_factor=one, model=cfa, chisq_diff=float(diff), df_diff=ddf, pvalue=pval
    )


def cmv_table(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], cfa: CFAResult | None = None
) -> pd.DataFrame:
    """Both CMV checks as one long table.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses.
    scales : mapping of str to sequence of str
        Scale name -> item columns.
    cfa : CFAResult, optional
        Fitted measurement model (fitted when omitted).

    Returns
    -------
    pandas.DataFrame
        Columns ``check, quantity, value``. Harman rows: ``first_eigenvalue``,
        ``share_first_component``, ``n_eigenvalues_gt_1``, ``n_items``.
        One-factor rows: ``chisq_one_factor``, ``df_one_factor``,
        ``cfi_one_factor``, ``rmsea_one_factor``, ``chisq_model``,
        ``df_model``, ``chisq_diff``, ``df_diff``, ``pvalue``.

    Notes
    -----
    See :func:`harman_single_factor` and :func:`one_factor_comparison`.

    Examples
    --------
    >>> cmv_table(items, scales)   # doctest: +SKIP
    """
    h = harman_single_factor(items, scales)
    c = one_factor_comparison(items, scales, cfa)
    rows = [
        ("harman", "first_eigenvalue", h.first_eigenvalue),
        ("harman", "share_first_component", h.share),
        ("harman", "n_eigenvalues_gt_1", h.n_factors_kaiser),
        ("harman", "n_items", h.n_items),
        ("one_factor_cfa", "chisq_one_factor", c.one_factor.chisq),
        ("one_factor_cfa", "df_one_factor", c.one_factor.df),
        ("one_factor_cfa", "cfi_one_factor", c.one_factor.cfi),
        ("one_factor_cfa", "rmsea_one_factor", c.one_factor.rmsea),
        ("one_factor_cfa", "chisq_model", c.model.chisq),
        ("one_factor_cfa", "df_model", c.model.df),
        ("one_factor_cfa", "chisq_diff", c.chisq_diff),
        ("one_factor_cfa", "df_diff", c.df_diff),
        ("one_factor_cfa", "pvalue", c.pvalue),
    ]
    return pd.DataFrame(
        {
            "check": [r[0] for r in rows],
            "quantity": [r[1] for r in rows],
            "value": np.array([float(r[2]) for r in rows]),
        }
    )
