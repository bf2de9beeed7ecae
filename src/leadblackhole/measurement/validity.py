"""Discriminant validity: the Fornell–Larcker criterion and the HTMT ratio.

Both compare how strongly a scale hangs together with how strongly it relates
to other scales. Fornell–Larcker works on the CFA (AVE against factor
correlations); HTMT works directly on the item correlations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from leadblackhole.exceptions import EstimationError
from leadblackhole.measurement._data import prepare_items
from leadblackhole.measurement.cfa import CFAResult, fit_cfa
from leadblackhole.measurement.reliability import average_variance_extracted

__all__ = ["HTMT_THRESHOLD", "discriminant_validity", "fornell_larcker", "htmt"]

#: Henseler et al. (2015)'s conservative cut-off for HTMT.
HTMT_THRESHOLD = 0.85


def _aves(cfa: CFAResult) -> dict[str, float]:
    loadings = cfa.loadings
    return {
        name: average_variance_extracted(
            loadings.loc[loadings["scale"] == name, "loading"].to_numpy()
        )
        for name in cfa.scales
    }


def fornell_larcker(cfa: CFAResult) -> pd.DataFrame:
    """Fornell–Larcker criterion for every scale of a fitted measurement model.

    Parameters
    ----------
    cfa : CFAResult
        Fitted measurement model (:func:`~leadblackhole.measurement.cfa.fit_cfa`).

    Returns
    -------
    pandas.DataFrame
        Columns ``scale, ave, sqrt_ave, max_correlation, most_correlated_with,
        passes``. ``max_correlation`` is the largest absolute correlation of the
        factor with any other factor (NaN for a one-scale model, which then
        passes trivially).

    Notes
    -----
    Fornell & Larcker (1981): a construct shows discriminant validity when it
    shares more variance with its own items than with any other construct,
    :math:`\\sqrt{AVE_j} > \\max_{k \\ne j} |\\phi_{jk}|` (equivalently
    :math:`AVE_j > \\phi_{jk}^2`). AVE is the mean squared standardized loading.
    The criterion is known to be lenient (Henseler et al., 2015): it rarely
    flags problems when loadings are similar across items.

    Examples
    --------
    >>> fornell_larcker(fit_cfa(items, scales))   # doctest: +SKIP
    """
    aves = _aves(cfa)
    corr = cfa.factor_correlations
    rows = []
    for name in cfa.scales:
        others = corr.loc[name].drop(index=name).abs()
        if len(others):
            with_ = str(others.idxmax())
            max_r = float(others.max())
        else:
            with_, max_r = "", float("nan")
        sq = float(np.sqrt(aves[name]))
        rows.append(
            {
                "scale": name,
                "ave": aves[name],
                "sqrt_ave": sq,
                "max_correlation": max_r,
                "most_correlated_with": with_,
                "passes": bool(not len(others) or sq > max_r),
            }
        )
    return pd.DataFrame(rows)


def htmt(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], absolute: bool = False
) -> pd.DataFrame:
    """Heterotrait–monotrait ratio of correlations for every pair of scales.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses (numeric; NaN = missing, listwise deletion across the
        items of all scales).
    scales : mapping of str to sequence of str
        Scale name -> item columns (at least 2 per scale).
    absolute : bool, default False
        Use absolute item correlations (as ``semTools::htmt`` does by default)
        instead of the signed correlations of Henseler et al. (2015).

    Returns
    -------
    pandas.DataFrame
        Columns ``scale_a, scale_b, htmt``, one row per unordered pair in the
        order of ``scales`` (empty for one scale).

    Notes
    -----
    Henseler, Ringle & Sarstedt (2015), with :math:`r` the Pearson item
    correlations:

    .. math::

        HTMT_{ab} = \\frac{\\overline{r}_{ab}}
                          {\\sqrt{\\overline{r}_{aa}\\,\\overline{r}_{bb}}},

    where :math:`\\overline{r}_{ab}` is the mean of the :math:`k_a k_b`
    correlations between items of scale ``a`` and items of scale ``b``
    (heterotrait-heteromethod) and :math:`\\overline{r}_{aa}` the mean of the
    :math:`k_a(k_a-1)/2` correlations among the items of ``a``
    (monotrait-heteromethod). Values near 1 indicate a lack of discriminant
    validity; 0.85 (conservative) and 0.90 are the usual cut-offs. The ratio
    is undefined (NaN) when a scale's mean within-scale correlation is not
    positive, which happens for scales with no common factor.

    Examples
    --------
    >>> htmt(items, {"prequal": [...], "tracking": [...]})   # doctest: +SKIP
    """
    prepared = prepare_items(items, scales)
    r = prepared.data.corr().to_numpy()
    if absolute:
        r = np.abs(r)
    names = list(prepared.scales)
    pos: dict[str, np.ndarray] = {}
    start = 0
    for name in names:
        k = len(prepared.scales[name])
        pos[name] = np.arange(start, start + k)
        start += k

    def mono(name: str) -> float:
        idx = pos[name]
        block = r[np.ix_(idx, idx)]
        return float(block[np.triu_indices(len(idx), 1)].mean())

    within = {name: mono(name) for name in names}
    rows = []
    for a, b in combinations(names, 2):
        hetero = float(r[np.ix_(pos[a], pos[b])].mean())
        denom = within[a] * within[b]
        value = hetero / np.sqrt(denom) if within[a] > 0 and within[b] > 0 else float("nan")
        rows.append({"scale_a": a, "scale_b": b, "htmt": value})
    return pd.DataFrame(rows, columns=["scale_a", "scale_b", "htmt"])


def discriminant_validity(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    cfa: CFAResult | None = None,
    htmt_threshold: float = HTMT_THRESHOLD,
) -> pd.DataFrame:
    """Pairwise discriminant-validity table: Fornell–Larcker and HTMT side by side.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses.
    scales : mapping of str to sequence of str
        Scale name -> item columns.
    cfa : CFAResult, optional
        Fitted measurement model of the same scales (fitted when omitted).
    htmt_threshold : float, default 0.85
        HTMT cut-off.

    Returns
    -------
    pandas.DataFrame
        One row per pair of scales, columns ``scale_a, scale_b,
        factor_correlation, sqrt_ave_a, sqrt_ave_b, fornell_larcker_pass, htmt,
        htmt_pass``. ``fornell_larcker_pass`` is
        :math:`|\\phi_{ab}| < \\min(\\sqrt{AVE_a}, \\sqrt{AVE_b})`; ``htmt_pass``
        is ``htmt < htmt_threshold`` (False when HTMT is undefined). Empty
        (with these columns) for a one-scale model.

    Notes
    -----
    See :func:`fornell_larcker` and :func:`htmt` for the definitions.

    Examples
    --------
    >>> discriminant_validity(items, scales)   # doctest: +SKIP
    """
    if cfa is None:
        cfa = fit_cfa(items, scales)
    h = htmt(items, scales)
    if list(cfa.scales) != list(scales):
        raise EstimationError("the CFA result was fitted on other scales than those given")
    aves = _aves(cfa)
    corr = cfa.factor_correlations
    rows = []
    for rec in h.itertuples(index=False):
        a, b, value = rec.scale_a, rec.scale_b, float(rec.htmt)
        phi = float(corr.loc[a, b])
        sa, sb = float(np.sqrt(aves[a])), float(np.sqrt(aves[b]))
        rows.append(
            {
                "scale_a": a,
                "scale_b": b,
                "factor_correlation": phi,
                "sqrt_ave_a": sa,
                "sqrt_ave_b": sb,
                "fornell_larcker_pass": bool(abs(phi) < min(sa, sb)),
                "htmt": value,
                "htmt_pass": bool(np.isfinite(value) and value < htmt_threshold),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "scale_a",
            "scale_b",
            "factor_correlation",
            "sqrt_ave_a",
            "sqrt_ave_b",
            "fornell_larcker_pass",
            "htmt",
            "htmt_pass",
        ],
    )
