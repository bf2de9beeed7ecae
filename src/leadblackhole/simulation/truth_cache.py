"""The on-disk cache of the population truth: one ``.npz`` of arrays per design and code.

:func:`~leadblackhole.simulation.simulate.population_truth` computes the truth
of a design from a 200 000-rep draw; when the environment variable
``LEADBLACKHOLE_TRUTH_CACHE`` names a folder, the arrays it is made of are kept
there (:func:`write_cached`), so the processes of one pipeline run draw the
population once. A file is named by a hash of the design's fields, of the code
the truth depends on and of the Python, numpy and pandas versions
(:func:`cache_file`), and holds data only: :func:`read_cached` reads it with
:func:`leadblackhole.arrays.read_npz` (no pickle; every array's type and shape
checked before it is read) and returns None for a file that is anything else,
so the truth is computed and the file written again.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..arrays import npz_bytes, read_npz
from ..exceptions import ArtifactError
from .design import StudyDesign

__all__ = ["cache_file", "read_cached", "write_cached"]

#: Modules whose code determines the population truth; their bytes are part of the cache key.
_TRUTH_SOURCES = (
    "simulation/simulate.py",
    "simulation/answers.py",
    "simulation/design.py",
    "shares.py",
    "specification.py",
    "registry.py",
    "compositions.py",
)


@lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """Hash of the code and library versions the population truth depends on."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for name in _TRUTH_SOURCES:
        h.update(name.encode())
        h.update((package / name).read_bytes())
    for part in (sys.version, np.__version__, pd.__version__):
        h.update(part.encode())
    return h.digest()


def cache_file(folder: Path, design: StudyDesign) -> Path:
    """The cache file of ``design`` in ``folder``: a hash of its fields and of the code."""
    h = hashlib.sha256(_code_fingerprint())
    h.update(repr(design).encode())
    return folder / f"truth-{h.hexdigest()[:32]}.npz"


def read_cached(
    path: Path, expected: dict[str, tuple[np.dtype, tuple[int, ...]]]
) -> dict[str, np.ndarray] | None:
    """The cached arrays of a truth (of the types and shapes ``expected``), or None.

    The file is read as data only (:func:`leadblackhole.arrays.read_npz`: no
    pickle, every array's type and shape checked before it is read). None when
    it is absent, unreadable or anything else (a pickle, a crafted archive): the
    truth is then computed and the file written again.
    """
    if not path.is_file():
        return None
    try:
        return read_npz(path, expected)
    except (ArtifactError, OSError):
        return None


def write_cached(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays of a truth to ``path`` atomically (a temporary file renamed over it).

    A cache is an optimisation: when the folder cannot be written, nothing is
    cached and nothing fails.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(npz_bytes(arrays))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass
