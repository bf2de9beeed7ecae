"""The whole measurement analysis in one call: reliability, CFA, validity, CMV, descriptives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from leadblackhole.measurement.cfa import CFAResult, fit_cfa
from leadblackhole.measurement.cmv import cmv_table
from leadblackhole.measurement.descriptives import correlation_table, descriptives, scale_scores
from leadblackhole.measurement.reliability import reliability_table
from leadblackhole.measurement.validity import discriminant_validity, fornell_larcker

__all__ = ["TABLE_NAMES", "MeasurementReport", "run_measurement"]

#: Tables of a :class:`MeasurementReport`, in writing order.
TABLE_NAMES = (
    "measurement",
    "cfa_fit",
    "loadings",
    "factor_correlations",
    "discriminant",
    "fornell_larcker",
    "cmv",
    "descriptives",
    "correlations",
)


@dataclass(frozen=True)
class MeasurementReport:
    """Tables of the measurement analysis (immutable; table accessors return copies).

    Attributes
    ----------
    cfa : CFAResult
        The fitted measurement model.
    measurement : pandas.DataFrame
        ``scale, n_items, alpha, alpha_ci_low, alpha_ci_high,
        composite_reliability, ave``.
    cfa_fit : pandas.DataFrame
        ``index, value`` with indices ``chisq, df, pvalue, cfi, tli, rmsea, srmr``.
    loadings : pandas.DataFrame
        Standardized loadings: ``scale, item, loading, se, z, p``.
    factor_correlations : pandas.DataFrame
        ``scale_a, scale_b, correlation, se, z, p``.
    discriminant : pandas.DataFrame
        Pairwise Fornell–Larcker and HTMT (see
        :func:`~leadblackhole.measurement.validity.discriminant_validity`).
    fornell_larcker : pandas.DataFrame
        Per-scale Fornell–Larcker table.
    cmv : pandas.DataFrame
        ``check, quantity, value`` (Harman and one-factor CFA).
    descriptives : pandas.DataFrame
        ``group, variable, n, mean, sd, min, max``.
    correlations : pandas.DataFrame
        ``variable`` followed by one column per variable: correlations with
        reliabilities (alpha) on the diagonal for scales.

    Examples
    --------
    >>> rep = run_measurement(items, scales)     # doctest: +SKIP
    >>> rep.measurement                          # doctest: +SKIP

    The files (``<table>.csv``, ``.md``, ``.tex``) are written by
    :func:`leadblackhole.reporting.tables.stage_measurement`.
    """

    cfa: CFAResult
    _tables: tuple[tuple[str, pd.DataFrame], ...]

    def __getattr__(self, name: str) -> pd.DataFrame:
        # one accessor per table of TABLE_NAMES (documented above), returning a copy
        if name in TABLE_NAMES:
            return dict(self._tables)[name].copy()
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def with_item_labels(self, labels: Mapping[str, str]) -> MeasurementReport:
        """The same report with the items of its tables named by ``labels``.

        Parameters
        ----------
        labels : mapping of str to str
            Item column -> the name the tables show (an item not in it keeps
            its name); e.g. the survey file's own column names
            (:meth:`leadblackhole.data.Survey.item_labels`).

        Returns
        -------
        MeasurementReport
            A new report: every ``item`` column of its tables (the loadings)
            relabelled; ``cfa`` unchanged (it keeps the names it was fitted on).

        Examples
        --------
        >>> rep.with_item_labels({"pq_3": "Q5_3 (R)"}).loadings      # doctest: +SKIP
        """
        tables = []
        for name, df in self._tables:
            if "item" in df.columns:
                df = df.assign(item=[labels.get(c, c) for c in df["item"]])
            tables.append((name, df))
        return MeasurementReport(cfa=self.cfa, _tables=tuple(tables))

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables, ``{name: DataFrame}`` (copies), in :data:`TABLE_NAMES` order."""
        return {name: df.copy() for name, df in self._tables}


def run_measurement(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    variables: pd.DataFrame | None = None,
    groups: pd.Series | None = None,
) -> MeasurementReport:
    """Run the whole measurement analysis: reliability, CFA, validity, CMV, descriptives.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses (integer Likert codes; NaN = missing).
    scales : mapping of str to sequence of str
        Scale name -> item columns (at least 2 per scale; any number of scales).
    variables : pandas.DataFrame, optional
        Variables for the descriptives and correlation tables (e.g. scale
        scores plus controls). Default: the scale scores of
        :func:`~leadblackhole.measurement.descriptives.scale_scores`.
        Columns named like a scale get that scale's alpha on the diagonal of
        the correlation table.
    groups : pandas.Series, optional
        Group labels aligned with ``variables`` by index, for the by-group
        descriptives.

    Returns
    -------
    MeasurementReport

    Raises
    ------
    EstimationError
        Invalid scales or items (fewer than 2 items in a scale, a missing item
        column, too few complete rows, a zero-variance item) or a model that
        cannot be estimated.

    Notes
    -----
    Reliability, CFA, HTMT and the CMV checks use listwise deletion across
    the items of all scales, so they rest on the same respondents. The default
    scale scores use every respondent who answered all items of that scale;
    descriptives use each variable's non-missing values and correlations are
    pairwise.

    Examples
    --------
    >>> rep = run_measurement(items, {"prequal": ["p1", "p2", "p3"],
    ...                               "tracking": ["t1", "t2", "t3"]})   # doctest: +SKIP
    >>> rep.measurement                                                 # doctest: +SKIP
    """
    cfa = fit_cfa(items, scales)
    measurement = reliability_table(items, scales, cfa)
    alphas = dict(zip(measurement["scale"], measurement["alpha"], strict=True))
    if variables is None:
        variables = scale_scores(items, scales)
    rel = {name: a for name, a in alphas.items() if name in variables.columns}
    corr = correlation_table(variables, rel)
    corr.insert(0, "variable", corr.index)
    corr = corr.reset_index(drop=True)
    tables = {
        "measurement": measurement,
        "cfa_fit": cfa.fit_table,
        "loadings": cfa.loadings,
        "factor_correlations": cfa.factor_correlation_table,
        "discriminant": discriminant_validity(items, scales, cfa),
        "fornell_larcker": fornell_larcker(cfa),
        "cmv": cmv_table(items, scales, cfa),
        "descriptives": descriptives(variables, groups),
        "correlations": corr,
    }
    return MeasurementReport(cfa=cfa, _tables=tuple((name, tables[name]) for name in TABLE_NAMES))
