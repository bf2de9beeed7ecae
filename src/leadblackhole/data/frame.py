"""The analysis frame of docs/study.md: its container and its assembly.

:func:`build_analysis_frame` is the one place that turns a validated
:class:`~leadblackhole.data.loader.Survey` into model variables; it applies
the rules of :mod:`leadblackhole.data.sample` (who is analysed) and the
definitions of :mod:`leadblackhole.data.variables` (what each variable is),
then :func:`assemble_frame`, which the fast path of a design diagnosis
(:func:`leadblackhole.diagnosis.simulate_frame`) calls on a simulated study's
arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..compositions import compress_shares
from ..exceptions import DataWarning
from ..specification import COMPONENTS, design_matrix
from .codebook import DEFAULT_RANGE
from .loader import Survey
from .sample import check_analysis_sample, exclusion_reasons, exclusion_table, has_marketing_time
from .schema import PERCENT_COLUMNS
from .variables import (
    ANALYSIS_VARIABLES,
    DESCRIPTIVE_COLUMNS,
    centring_means,
    derived_variables,
    reported_shares,
    scale_scores,
    uses_variable_pay,
)

__all__ = [
    "ANALYSIS_VARIABLES",
    "AnalysisFrame",
    "assemble_frame",
    "build_analysis_frame",
    "compress_shares",
]


@dataclass(frozen=True, eq=False)
class AnalysisFrame:
    """Model-ready variables of the analysis sample.

    Attributes
    ----------
    data : DataFrame
        One row per analysable rep: ``rep_id``, ``firm``, the analysis
        variables centred at their analysis-sample means, and the shares
        ``marketing``, ``self``, ``other`` as reported (the percents divided
        by their row sum; only the Dirichlet likelihood compresses them).
    raw : DataFrame
        The same rows before centring, with the same shares.
    means : Series
        The centring means.
    selection : DataFrame
        Every rep with complete predictors, whatever its marketing-lead time,
        centred at the same means, with ``any_marketing`` (0/1).
    exclusions : DataFrame
        ``row`` (1-based data row), ``rep_id``, ``reason`` for every rep left
        out of the analysis sample.
    n_read : int
        Rows read from the file.
    n_compressed : int
        Rows with a share of 0 or 1 (to within sqrt(eps)): the rows the
        Dirichlet likelihood compresses.
    scales : dict
        Scale name -> items used for its score.
    notes : tuple of str
        Warnings about the data (firm labels that differ only in case or spacing, firms
        with a single rep), also issued as :class:`~leadblackhole.exceptions.DataWarning`.
    scale_ranges : Mapping[str, tuple of int]
        Scale name -> (lowest, highest) answer of its items, from the survey
        (:attr:`~leadblackhole.data.loader.Survey.scale_ranges`); a scale score is
        the mean of its items, so it lies on the same range. Labels, axes and the
        allocation scenarios read it through :meth:`scale_range`.
    intake : tuple
        What loading the survey changed, as (line, ((detail, count), ...)) pairs
        (:meth:`~leadblackhole.data.loader.Survey.summary_items`: the scale ranges
        other than 1-7, the cells a missing-value code turned missing); shown by
        :meth:`summary_items` after the rows read.
    """

    data: pd.DataFrame
    raw: pd.DataFrame
    means: pd.Series
    selection: pd.DataFrame
    exclusions: pd.DataFrame
    n_read: int
    n_compressed: int
    scales: dict
    source: str = "<data>"
    notes: tuple[str, ...] = ()
    scale_ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    intake: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()

    @property
    def n(self) -> int:
        """Number of analysable reps."""
        return len(self.data)

    def scale_range(self, name: str) -> tuple[int, int]:
        """(lowest, highest) answer of scale ``name``: the survey's range, 1-7 when none declared.

        Parameters
        ----------
        name : str
            Scale name (``prequal``, ``tracking`` or a codebook scale).

        Returns
        -------
        tuple of int

        Examples
        --------
        >>> frame.scale_range("prequal")                        # doctest: +SKIP
        (1, 5)
        """
        low, high = self.scale_ranges.get(name, DEFAULT_RANGE)
        return int(low), int(high)

    @cached_property
    def firms(self) -> list[str]:
        """Firm labels of the analysis sample, sorted (the first is the reference)."""
        return sorted(self.data["firm"].unique().tolist())

    @property
    def variables(self) -> list[str]:
        """Analysis variables present (focal predictors and controls)."""
        return [v for v in ANALYSIS_VARIABLES if v in self.data.columns]

    @property
    def has_variable_pay(self) -> bool:
        """Whether the ``variable_pay`` control is in the model."""
        return "variable_pay" in self.data.columns

    def influential_reps(self, top: int = 10) -> tuple[pd.DataFrame, int]:
        r"""Reps with a large Cook's distance on the OLS model of the marketing share.

        Parameters
        ----------
        top : int, default 10
            How many of the flagged reps to list (largest distance first).

        Returns
        -------
        table : DataFrame
            ``rep_id, firm, cooks_distance, leverage`` of up to ``top`` reps with
            :math:`D_i > 4/n`.
        n_flagged : int
            How many reps exceed :math:`4/n`.

        Notes
        -----
        OLS of the marketing share on the main model's right-hand side (docs/study.md);
        with leverage :math:`h_i` (diagonal of the hat matrix), residual :math:`e_i`
        and :math:`s^2 = \sum e_i^2 / (n - p)`,
        :math:`D_i = e_i^2 h_i / (p\, s^2 (1 - h_i)^2)` (Cook 1977). The usual
        rule of thumb :math:`4/n` flags reps whose removal would move the
        coefficients noticeably: a table to look at, not an error.

        Examples
        --------
        >>> table, n_flagged = frame.influential_reps()      # doctest: +SKIP
        """
        X = design_matrix(self.data).to_numpy(dtype=float)
        y = self.data["marketing"].to_numpy(dtype=float)
        n, p = X.shape
        Q, R = np.linalg.qr(X)
        e = y - Q @ (Q.T @ y)
        h = np.einsum("ij,ij->i", Q, Q)
        s2 = float(e @ e) / max(n - p, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = e**2 * h / (p * s2 * (1 - h) ** 2)
        out = pd.DataFrame(
            {
                "rep_id": self.data["rep_id"].to_numpy(),
                "firm": self.data["firm"].to_numpy(),
                "cooks_distance": d,
                "leverage": h,
            }
        )
        flagged = out[out["cooks_distance"] > 4 / n]
        table = flagged.sort_values("cooks_distance", ascending=False, kind="stable")
        return table.head(top).reset_index(drop=True), len(flagged)

    def summary_items(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """The summary as (line, [(detail, count), ...]) pairs.

        Rows read, what loading changed (:attr:`intake`: missing-value codes
        per column and code, scale ranges other than 1-7), exclusions by
        reason, reps and firms analysed.
        """
        reasons = list(self.exclusions["reason"].value_counts(sort=False).items())
        items = [(f"rows read: {self.n_read}", [])]
        items += [(line, list(details)) for line, details in self.intake]
        items += [(f"excluded reps: {len(self.exclusions)}", reasons)]
        items += [(f"analysable reps: {self.n}", [])]
        items += [(f"firms: {len(self.firms)} ({', '.join(self.firms)})", [])]
        if self.n_compressed:
            line = f"rows with a time share of 0 or 1 (compressed): {self.n_compressed}"
            items.append((line, []))
        return items

    def summary(self) -> str:
        """Short text report: rows read, what loading changed, exclusions, reps and firms."""
        lines = []
        for line, reasons in self.summary_items():
            lines += [line] + [f"  {k:5d}  {reason}" for reason, k in reasons]
        return "\n".join(lines)

    def measurement_inputs(
        self, survey: Survey
    ) -> tuple[pd.DataFrame, dict[str, list[str]], pd.DataFrame, pd.Series]:
        """What the measurement analysis reads: items, scales, variables and firms.

        Parameters
        ----------
        survey : Survey
            The survey this frame was built from.

        Returns
        -------
        items : DataFrame
            The item answers of the analysis sample, in the frame's row order.
        scales : dict
            Scale name -> items.
        variables : DataFrame
            The analysis variables (raw scale), the scale scores of any extra
            scale of the codebook and the three shares.
        groups : Series
            Firm of each rep.
        """
        items_used = [c for items in survey.scales.values() for c in items]
        items = survey.data.set_index("rep_id").loc[self.raw["rep_id"], items_used]
        extra = [name for name in survey.scales if name not in ("prequal", "tracking")]
        variables = self.raw[self.variables + extra + list(COMPONENTS)]
        scales = {k: list(v) for k, v in survey.scales.items()}
        return items.reset_index(drop=True), scales, variables, self.raw["firm"]


def assemble_frame(
    rep_id: Any,
    firm: Any,
    values: pd.DataFrame | np.ndarray,
    variables: Sequence[str],
    percents: np.ndarray,
    keep: np.ndarray,
    *,
    reason: Any,
    complete: np.ndarray | None = None,
    scores: Mapping[str, Any] | None = None,
    descriptive: Mapping[str, Any] | None = None,
    scales: dict,
    source: str,
    notes: tuple[str, ...] = (),
    scale_ranges: Mapping[str, tuple[int, int]] | None = None,
    intake: Sequence[tuple[str, Sequence[tuple[str, int]]]] = (),
) -> AnalysisFrame:
    """Assemble the analysis frame from the columns of every rep read (both builders' last step).

    Parameters
    ----------
    rep_id, firm : array-like
        Identifier and firm of every rep read.
    values : DataFrame or ndarray (n, k)
        The uncentred analysis variables
        (:func:`~leadblackhole.data.variables.derived_variables`).
    variables : sequence of str
        Their names, in :data:`~leadblackhole.data.variables.ANALYSIS_VARIABLES` order.
    percents : ndarray (n, 3)
        The three time percents as reported.
    keep : ndarray of bool
        The analysis sample (:mod:`leadblackhole.data.sample`).
    reason : str or array-like
        Exclusion reason of every rep, or one reason for every excluded rep
        (:func:`~leadblackhole.data.sample.exclusion_table`).
    complete : ndarray of bool, optional
        The reps of the selection frame (complete predictors); default every rep.
    scores : Mapping, optional
        Scores of the codebook's further scales (kept uncentred in ``raw``).
    descriptive : Mapping, optional
        Columns kept as reported in ``raw``
        (:data:`~leadblackhole.data.variables.DESCRIPTIVE_COLUMNS` that the survey has).
    scales : dict
        Scale name -> items used for its score.
    source : str
        Name of the survey's file.
    notes : tuple of str
        Warnings about the data (already issued).
    scale_ranges : Mapping, optional
        Scale name -> (lowest, highest) answer; default 1-7 for every scale of ``scales``.
    intake : sequence of (str, sequence of (str, int)), optional
        What loading changed (:meth:`~leadblackhole.data.loader.Survey.summary_items`).

    Returns
    -------
    AnalysisFrame
        ``raw`` holds ``rep_id``, ``firm``, the analysis variables, the
        further scale scores, the shares, the descriptive columns and the
        percents of the analysable reps; ``data`` the same reps with the
        analysis variables centred at their means
        (:func:`~leadblackhole.data.variables.centring_means`), the shares and
        the percents; ``selection`` the reps of ``complete``, centred at the
        same means, with ``any_marketing``.

    Notes
    -----
    The shares are the percents as reported, divided by their row sum
    (:func:`~leadblackhole.data.variables.reported_shares`); only the
    Dirichlet likelihood compresses them, and ``n_compressed`` says how many
    rows it will.
    """
    rows = slice(None) if complete is None else complete
    rep_id, firm = _column(rep_id), _column(firm)
    shares = reported_shares(percents)
    sample = values[keep]
    means = centring_means(sample, variables)
    centre = means.to_numpy()
    sample = np.asarray(sample)
    centred = sample - centre
    selected = np.asarray(values)[rows] - centre
    sample_shares = {c: x for c, x in zip(COMPONENTS, shares[keep].T, strict=True)}
    as_reported = {c: x for c, x in zip(PERCENT_COLUMNS, percents[keep].T, strict=True)}
    data = pd.DataFrame(
        {"rep_id": rep_id[keep], "firm": firm[keep]}
        | {c: centred[:, j] for j, c in enumerate(variables)}
        | sample_shares
        | as_reported
    )
    raw = pd.DataFrame(
        {"rep_id": rep_id[keep], "firm": firm[keep]}
        | {c: sample[:, j] for j, c in enumerate(variables)}
        | {c: _column(x)[keep] for c, x in (scores or {}).items()}
        | sample_shares
        | {c: _column(x)[keep] for c, x in (descriptive or {}).items()}
        | as_reported
    )
    selection = pd.DataFrame(
        {"rep_id": rep_id[rows], "firm": firm[rows]}
        | {c: selected[:, j] for j, c in enumerate(variables)}
        | {"any_marketing": has_marketing_time(percents[rows, 0]).astype(int)}
    )
    _, n_compressed = compress_shares(shares[keep])
    return AnalysisFrame(
        data=data,
        raw=raw,
        means=means,
        selection=selection,
        exclusions=exclusion_table(rep_id, reason, keep),
        n_read=len(keep),
        n_compressed=n_compressed,
        scales=scales,
        source=source,
        notes=notes,
        scale_ranges={
            k: tuple(int(v) for v in (scale_ranges or {}).get(k, DEFAULT_RANGE)) for k in scales
        },
        intake=tuple((line, tuple(details)) for line, details in intake),
    )


def _column(x: Any) -> Any:
    """A column as an array that keeps its dtype when indexed (a Series's own array)."""
    return x.array if isinstance(x, pd.Series) else np.asarray(x)


def build_analysis_frame(survey: Survey) -> AnalysisFrame:
    """Build the analysis frame of docs/study.md from a validated survey.

    Parameters
    ----------
    survey : Survey
        Output of :func:`~leadblackhole.data.loader.load_survey`.

    Returns
    -------
    AnalysisFrame

    Raises
    ------
    SurveyValidationError
        If fewer than 2 firms, or fewer reps than the model has parameters,
        remain in the analysis sample.

    Notes
    -----
    The steps: the exclusions of the missing-data policy and the sample rule
    (:func:`~leadblackhole.data.sample.exclusion_reasons`), the scale scores
    and derived variables (:func:`~leadblackhole.data.variables.derived_variables`),
    the sample-size check, then :func:`assemble_frame` (shares, centring,
    selection frame, exclusion report). Each analysis variable is centred at
    its analysis-sample mean. Shares are the three percents divided by their
    row sum; the Dirichlet model compresses them with :func:`compress_shares`
    when a share is 0 or 1.
    """
    d = survey.data
    reason, complete, keep = exclusion_reasons(survey)
    scores = scale_scores(d, survey.scales)
    values = pd.DataFrame(derived_variables(d, scores, uses_variable_pay(d)))
    variables = list(values.columns)
    sample_firm = d["firm"][keep]
    check_analysis_sample(sample_firm, len(variables), source=survey.source)
    notes = _label_notes(d["firm"], sample_firm)
    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=2)
    return assemble_frame(
        d["rep_id"],
        d["firm"],
        values,
        variables,
        d[list(PERCENT_COLUMNS)].to_numpy(dtype=float),
        keep,
        reason=reason,
        complete=complete,
        scores={k: v for k, v in scores.items() if k not in ("prequal", "tracking")},
        descriptive={c: d[c] for c in DESCRIPTIVE_COLUMNS if c in d.columns},
        scales={k: list(v) for k, v in survey.scales.items()},
        source=survey.source,
        notes=notes,
        scale_ranges=survey.scale_ranges,
        intake=survey.summary_items(),
    )


def _label_notes(all_firms: pd.Series, sample_firms: pd.Series) -> tuple[str, ...]:
    """Warnings about firm labels: near-duplicates, and firms with a single analysable rep."""
    notes = []
    groups: dict[str, set[str]] = {}
    for label in all_firms.dropna().unique():
        groups.setdefault(" ".join(str(label).split()).casefold(), set()).add(str(label))
    for labels in groups.values():
        if len(labels) > 1:
            shown = ", ".join(repr(x) for x in sorted(labels))
            notes.append(
                f"firm labels {shown} differ only in case or spacing and are analysed as "
                "different firms; correct the labels if they name one firm"
            )
    counts = sample_firms.value_counts()
    for label in sorted(counts.index[counts == 1]):
        notes.append(
            f"firm {label!r} has a single rep in the analysis sample: its firm dummy fits "
            "that rep exactly; merge it with another firm or drop it if that is not intended"
        )
    return tuple(notes)
