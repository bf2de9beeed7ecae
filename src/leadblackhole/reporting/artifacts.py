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

A pickle can name any function to call when it is loaded, so the artifact is
read by :class:`ArtifactUnpickler`, which resolves only the classes of this
package and of statsmodels, and the few reconstruction functions of numpy,
pandas and pyarrow the artifact needs (:data:`ALLOWED_GLOBALS`); a pickle
naming anything else (``os.system``, ``builtins.eval``, ``pandas.read_pickle``)
is refused before that name is called. This narrows what a crafted file can do
to building objects of those classes; it is not yet a format that is data only.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import LeadBlackHoleUserError
from ..outputs import OutputSet

__all__ = ["ALLOWED_GLOBALS", "ArtifactUnpickler", "FitArtifact", "file_sha256"]

#: Functions (not classes) an artifact's pickle may call: numpy's, pandas's and pyarrow's
#: reconstruction helpers and two builtins. Classes are allowed by :func:`_allowed_class`.
ALLOWED_GLOBALS = frozenset(
    {
        ("builtins", "bytearray"),
        ("builtins", "slice"),
        ("builtins", "complex"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("pandas._libs.internals", "_unpickle_block"),
        ("pandas.core.indexes.base", "_new_Index"),
        ("pyarrow.lib", "_restore_array"),
        ("pyarrow.lib", "py_buffer"),
        ("pyarrow.lib", "type_for_alias"),
    }
)

#: Modules whose classes an artifact may hold (a class is built, never a function called).
_CLASS_MODULES = ("pandas", "pandas.arrays", "pandas.core.internals.managers")


def _allowed_class(module: str, name: str) -> bool:
    """Whether ``module.name`` is a class of this package, statsmodels or pandas's containers."""
    if not (module.startswith(("leadblackhole.", "statsmodels.")) or module in _CLASS_MODULES):
        return False
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, type)


class ArtifactUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names a fit artifact holds.

    Raises
    ------
    pickle.UnpicklingError
        When the pickle names a global outside :data:`ALLOWED_GLOBALS` and the
        classes of this package, statsmodels and pandas's containers.
    """

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED_GLOBALS or _allowed_class(module, name):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a fit artifact")


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
            art = ArtifactUnpickler(io.BytesIO(path.read_bytes())).load()
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same
            raise LeadBlackHoleUserError(f"{path} cannot be read ({exc}); rerun fit") from None
        if not isinstance(art, cls):
            raise LeadBlackHoleUserError(f"{path} is not a fit artifact; rerun fit")
        if art.data_sha256 != file_sha256(data):
            raise LeadBlackHoleUserError(
                f"the fits in {path} were made from another survey file than {data}; rerun fit"
            )
        return art
