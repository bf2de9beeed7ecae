"""Error and warning classes of the package.

User errors (bad input files, bad codebooks, bad options) derive from
:class:`LeadBlackHoleUserError`; the command line maps them to exit code 2 and
prints their message without a traceback. Anything else is an internal error
(exit code 1).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AllocationError",
    "ArtifactError",
    "CodebookError",
    "ConvergenceWarning",
    "DataWarning",
    "DesignError",
    "DiagnosisError",
    "EffectsError",
    "EstimationError",
    "FormulaError",
    "InstrumentError",
    "LeadBlackHoleUserError",
    "LeadBlackHoleWarning",
    "ManifestError",
    "MarkerError",
    "NotebookError",
    "OutputError",
    "OutputLockedError",
    "Problem",
    "ReliabilityError",
    "ReportError",
    "SurveyValidationError",
    "WeakInstrumentWarning",
    "ZeroShareWarning",
]


class LeadBlackHoleUserError(Exception):
    """Base class for errors caused by the user's input."""


@dataclass(frozen=True)
class Problem:
    """One validation problem.

    Attributes
    ----------
    row : int or None
        1-based data row (the header is not counted), or ``None`` when the
        problem concerns the whole file or a whole column.
    column : str or None
        Column concerned (the file's own name), or ``None``.
    value : str or None
        Offending value as text, or ``None``.
    rule : str
        The rule that was broken, in words.
    """

    row: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        loc = ", ".join(where) if where else "file"
        val = f" (value {self.value!r})" if self.value is not None else ""
        return f"{loc}{val}: {self.rule}"


class SurveyValidationError(LeadBlackHoleUserError):
    """A survey file breaks the input contract; lists every problem found.

    Parameters
    ----------
    problems : list of Problem
        Every problem found, in file order.
    source : str, optional
        Name of the file that was read.
    """

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found in the survey:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class CodebookError(LeadBlackHoleUserError):
    """A codebook file is unreadable or inconsistent."""


class DesignError(LeadBlackHoleUserError, ValueError):
    """A simulation design or a model specification is invalid."""


class EstimationError(LeadBlackHoleUserError, ValueError):
    """A model cannot be estimated on the data given (singular design, empty component...)."""


class FormulaError(EstimationError):
    """A formula outside the package's grammar (:mod:`leadblackhole.formulas`): it is
    refused before any formula library reads it, so that it cannot run code."""


class EffectsError(EstimationError):
    """A share-scale effect cannot be computed from the model and data given."""


class InstrumentError(EstimationError):
    """An instrument or exclusion variable cannot be used: not loaded, missing for some reps,
    constant, collinear with the model's regressors, named like a model variable, or fewer
    instruments than endogenous variables."""


class ReliabilityError(EstimationError):
    """A scale cannot be corrected for measurement error: a single item, or an estimated (or
    given) reliability outside (0, 1)."""


class MarkerError(EstimationError):
    """A marker scale cannot serve a correction for common-method variance: unknown, a
    variable of the model, or a single item."""


class AllocationError(LeadBlackHoleUserError, ValueError):
    """A bad lead budget, policy, scenario or follow-up assumption of the lead allocation."""


class ArtifactError(LeadBlackHoleUserError):
    """A fit artifact cannot be used: missing, not the JSON and arrays ``fit`` writes (a pickle
    of an earlier version, say), outside its schema, or made from another survey file or
    analysis frame. Nothing in it is run or built before it is checked."""


class OutputError(LeadBlackHoleUserError):
    """An output cannot be written where asked: unwritable or read-only location, a file
    where a folder is expected (or the reverse), a full disk, or an output that would
    overwrite an input file."""


class OutputLockedError(OutputError):
    """Another run of the package is writing to the same output folder."""


class LeadBlackHoleWarning(UserWarning):
    """Base class of the package's warnings (the command line writes them to the run's log)."""


class DataWarning(LeadBlackHoleWarning):
    """Something in a valid survey deserves a look (firm labels that differ only in case or
    spacing, a firm with a single rep)."""


class ConvergenceWarning(LeadBlackHoleWarning):
    """An optimizer stopped before meeting its convergence criterion."""


class ZeroShareWarning(LeadBlackHoleWarning):
    """Shares of 0 or 1 (to within sqrt(eps)) were compressed before estimation."""


class DiagnosisError(DesignError):
    """A design diagnosis cannot run as asked (bad option, unreachable scheduler)."""


class ManifestError(LeadBlackHoleUserError):
    """The provenance records do not describe one complete run."""


class ReportError(LeadBlackHoleUserError):
    """An output the report is assembled from is not as the package writes it (not UTF-8,
    not a table, a table without its columns, text where numbers belong, JSON that is not
    an object)."""


class NotebookError(LeadBlackHoleUserError):
    """A notebook cannot be executed: not a notebook file (not UTF-8, not JSON, not the
    notebook format), a cell that raises or runs past the timeout, or a kernel that dies
    or cannot start."""


class WeakInstrumentWarning(LeadBlackHoleWarning):
    """The instruments' partial F statistic in a first stage is below 10 (Staiger & Stock
    1997): the control-function estimates may be biased towards the uncorrected ones and
    their normal intervals unreliable."""
