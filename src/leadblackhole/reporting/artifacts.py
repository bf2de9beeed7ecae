"""The fit artifact: the fitted models and effects ``fit`` saves for ``figures``.

``leadblackhole fit`` fits every model once and writes, beside its tables,
``fits.pickle``: a :class:`FitArtifact` holding the fitted share models the
later steps draw from (:class:`~leadblackhole.models.results.ShareResults` of
the Dirichlet models, the fractional multinomial logit, the fractional logit
and OLS: the models marked ``kept`` in
:data:`~leadblackhole.pipeline.models.MODEL_ROLES`), the
:class:`~leadblackhole.effects.HypothesisReport` (with the Johnson–Neyman
curves) and the SHA-256 of the survey file they were fitted on. The other fits
(SUR, probit, two-part, leave-one-firm-out) are in the tables; their objects
are left out because nothing downstream reads them and linearmodels stamps its
results with the time of the fit, which would make the file differ between runs.
``leadblackhole figures`` loads it instead of fitting again, after checking
that the survey it is given is the same file.

A pickle runs code when it is loaded: load only artifacts this package wrote.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import LeadBlackHoleUserError
from ..outputs import OutputSet

__all__ = ["FitArtifact", "file_sha256"]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True, eq=False)
class FitArtifact:
    """Fitted models and effects, saved by ``fit`` and read by ``figures``.

    Attributes
    ----------
    fits : dict of str to ShareResults
        Fitted share models by name (``dirichlet``, ``fractional_logit``, ``ols``).
    hypotheses : HypothesisReport
        The registry effects, simple slopes and Johnson–Neyman analyses.
    data_sha256 : str
        SHA-256 of the survey file the models were fitted on.

    Examples
    --------
    >>> FitArtifact(fits, hyps, file_sha256(path)).stage(outset)     # doctest: +SKIP
    >>> FitArtifact.load("results/models/fits.pickle", path)        # doctest: +SKIP
    """

    fits: dict[str, Any]
    hypotheses: Any
    data_sha256: str

    def stage(self, outset: OutputSet, name: str = "fits.pickle") -> OutputSet:
        """Stage the pickled artifact in ``outset`` (written with the tables)."""
        outset.add_writer(name, lambda fh: pickle.dump(self, fh, protocol=4))
        return outset

    @classmethod
    def load(cls, path: str | os.PathLike[str], data: str | os.PathLike[str]) -> FitArtifact:
        """Read an artifact and check it was fitted on the survey file ``data``.

        Parameters
        ----------
        path : path-like
            The ``fits.pickle`` that ``fit`` wrote.
        data : path-like
            The survey file the caller works on.

        Returns
        -------
        FitArtifact

        Raises
        ------
        LeadBlackHoleUserError
            A missing or unreadable artifact, or one fitted on another file.
        """
        path = Path(path)
        if not path.is_file():
            raise LeadBlackHoleUserError(f"{path} not found; run `leadblackhole fit` first")
        try:
            art = pickle.loads(path.read_bytes())
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same
            raise LeadBlackHoleUserError(f"{path} cannot be read ({exc}); rerun fit") from None
        if not isinstance(art, cls):
            raise LeadBlackHoleUserError(f"{path} is not a fit artifact; rerun fit")
        if art.data_sha256 != file_sha256(data):
            raise LeadBlackHoleUserError(
                f"the fits in {path} were made from another survey file than {data}; rerun fit"
            )
        return art
