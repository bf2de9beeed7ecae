"""The analysis frame of docs/study.md, with its exclusion report.

:func:`build_analysis_frame` is the one place that turns a validated
:class:`~leadblackhole.data.loader.Survey` into model variables.

Missing-data policy
-------------------
* A scale score is the mean of the answered items; it needs at least half
  of the scale's items (rounded up). A rep with fewer is excluded.
* A rep missing ``firm``, ``lead_volume``, ``experience``, ``quota_pct`` or
  any of the three time percents is excluded.
* ``variable_pay_pct`` enters the model when the column is present and at
  least one rep answered it; reps missing it are then excluded.
* ``hours_per_week`` and ``leads_followed_up`` are descriptive only and
  never cause an exclusion.
* Reps with ``pct_marketing == 0`` leave the analysis sample (the sample
  rule of docs/study.md) but stay in the selection frame used by the probit of
  having any marketing-lead time.

Every excluded rep appears in the exclusion report with its row, ``rep_id``
and reason; a rep is reported once, with the first reason that applies in
the order above.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..compositions import compress_shares
from ..exceptions import DataWarning, Problem, SurveyValidationError
from ..specification import COMPONENTS, FOCAL, design_matrix
from .loader import Survey
from .schema import PERCENT_COLUMNS

__all__ = ["AnalysisFrame", "build_analysis_frame", "compress_shares"]

ANALYSIS_VARIABLES: tuple[str, ...] = FOCAL + ("variable_pay",)


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

    @property
    def n(self) -> int:
        """Number of analysable reps."""
        return len(self.data)

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
        """The summary as (line, [(exclusion reason, count), ...]) pairs."""
        reasons = list(self.exclusions["reason"].value_counts(sort=False).items())
        items = [
            (f"rows read: {self.n_read}", []),
            (f"excluded reps: {len(self.exclusions)}", reasons),
        ]
        items += [(f"analysable reps: {self.n}", [])]
        items += [(f"firms: {len(self.firms)} ({', '.join(self.firms)})", [])]
        if self.n_compressed:
            line = f"rows with a time share of 0 or 1 (compressed): {self.n_compressed}"
            items.append((line, []))
        return items

    def summary(self) -> str:
        """Short text report: rows read, exclusions by reason, reps and firms analysed."""
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
    ``prequal`` and ``tracking`` are row means of their items;
    ``volume = ln(1 + lead_volume)``; ``experience`` in years;
    ``performance = quota_pct / 100``; ``variable_pay = variable_pay_pct / 100``.
    Each is centred at its analysis-sample mean. Shares are the three
    percents divided by their row sum; the Dirichlet model compresses them
    with :func:`compress_shares` when a share is 0 or 1.
    """
    d = survey.data
    n = len(d)
    reason = pd.Series(pd.NA, index=d.index, dtype="object")

    def exclude(mask: pd.Series, why: str) -> None:
        new = mask & reason.isna()
        reason[new] = why

    label = getattr(survey, "column_label", lambda c: f"'{c}'")
    exclude(d["firm"].isna(), f"missing value in {label('firm')}")
    scores = {}
    for name, items in survey.scales.items():
        block = d[list(items)]
        need = math.ceil(len(items) / 2)
        answered = block.notna().sum(axis=1)
        exclude(
            answered < need,
            f"scale '{name}' has fewer than {need} of its {len(items)} items answered",
        )
        scores[name] = block.mean(axis=1)
    required = ["lead_volume", "experience", "quota_pct", *PERCENT_COLUMNS]
    for col in required:
        exclude(d[col].isna(), f"missing value in {label(col)}")
    use_pay = "variable_pay_pct" in d.columns and d["variable_pay_pct"].notna().any()
    if use_pay:
        exclude(d["variable_pay_pct"].isna(), f"missing value in {label('variable_pay_pct')}")
    complete = reason.isna()
    own = getattr(survey, "columns", {}).get("pct_marketing")
    where = f", column '{own}' of the file" if own else ""
    exclude(d["pct_marketing"] == 0, f"no time on marketing leads (pct_marketing = 0{where})")
    keep = reason.isna()

    raw = pd.DataFrame(
        {
            "rep_id": d["rep_id"],
            "firm": d["firm"],
            "prequal": scores["prequal"],
            "tracking": scores["tracking"],
            "volume": np.log1p(d["lead_volume"]),
            "experience": d["experience"],
            "performance": d["quota_pct"] / 100.0,
        }
    )
    if use_pay:
        raw["variable_pay"] = d["variable_pay_pct"] / 100.0
    for name in survey.scales:
        if name not in ("prequal", "tracking"):
            raw[name] = scores[name]
    pct = d[list(PERCENT_COLUMNS)].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = pct / pct.sum(axis=1, keepdims=True)
    for k, comp in enumerate(COMPONENTS):
        raw[comp] = shares[:, k]
    for extra in (
        "hours_per_week",
        "leads_followed_up",
        "lead_volume",
        "quota_pct",
        *PERCENT_COLUMNS,
    ):
        if extra in d.columns:
            raw[extra] = d[extra]

    sample = raw[keep].reset_index(drop=True)
    variables = [v for v in ANALYSIS_VARIABLES if v in raw.columns]
    n_firms = sample["firm"].nunique()
    n_params = 1 + (n_firms - 1) + len(variables) + 6
    problems = []
    if n_firms < 2:
        problems.append(
            Problem(
                None,
                "firm",
                None,
                f"the analysis sample holds {n_firms} firm(s); at least 2 are required",
            )
        )
    if len(sample) <= n_params:
        problems.append(
            Problem(
                None,
                None,
                None,
                f"the analysis sample holds {len(sample)} reps; "
                f"the model needs more than {n_params}",
            )
        )
    if problems:
        raise SurveyValidationError(problems, source=survey.source)

    notes = _label_notes(d["firm"], sample["firm"])
    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=2)
    means = sample[variables].mean()
    data = sample[["rep_id", "firm"]].copy()
    data[variables] = sample[variables] - means
    # The shares as reported (divided by their row sum); only the Dirichlet
    # likelihood compresses them. n_compressed says how many rows it will.
    _, n_compressed = compress_shares(sample[list(COMPONENTS)].to_numpy())
    data[list(COMPONENTS)] = sample[list(COMPONENTS)]
    # The answers as reported, for the rounding-aware model's cells.
    data[list(PERCENT_COLUMNS)] = sample[list(PERCENT_COLUMNS)]

    sel = raw[complete].reset_index(drop=True)
    selection = sel[["rep_id", "firm"]].copy()
    selection[variables] = sel[variables] - means
    selection["any_marketing"] = (sel["marketing"] > 0).astype(int)

    excl_idx = np.flatnonzero(~keep.to_numpy())
    exclusions = pd.DataFrame(
        {
            "row": excl_idx + 1,
            "rep_id": d["rep_id"].to_numpy()[excl_idx],
            "reason": reason.to_numpy()[excl_idx],
        }
    )
    return AnalysisFrame(
        data=data,
        raw=sample,
        means=means,
        selection=selection,
        exclusions=exclusions,
        n_read=n,
        n_compressed=n_compressed,
        scales={k: list(v) for k, v in survey.scales.items()},
        source=survey.source,
        notes=notes,
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
