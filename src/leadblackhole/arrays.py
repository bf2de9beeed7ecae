"""NumPy arrays as data files: a ``.npz`` archive written byte for byte the same, read safely.

Two files of the package hold arrays: the fit artifact's ``fits.npz``
(:mod:`leadblackhole.reporting.artifacts`) and the simulator's cache of the
population truth (:mod:`leadblackhole.simulation.simulate`). :func:`npz_bytes`
writes the archive ``numpy.savez`` would, with a fixed timestamp on every member
so that the same arrays give the same bytes (``make verify`` compares the files
of two runs). :func:`read_npz` reads one back with ``allow_pickle=False`` after
checking, from each array's header and before the array is read, that it is one
of the arrays expected, of the expected type and shape: an object array (a
pickle), a missing or unexpected array, or an absurd shape is refused with an
:class:`~leadblackhole.exceptions.ArtifactError` and nothing is unpickled.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from .exceptions import ArtifactError

__all__ = ["npz_bytes", "read_npz"]

#: Timestamp of every member of a ``.npz`` the package writes (so the bytes depend on the data).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """The bytes of a NumPy ``.npz`` archive of ``arrays``, the same for the same arrays.

    Parameters
    ----------
    arrays : dict of str to ndarray
        Numeric or logical arrays (no object arrays), by name.

    Returns
    -------
    bytes
        What ``numpy.savez`` writes, except that every member has the same
        timestamp (``numpy.savez`` stamps the time of writing), so that two
        runs write identical files; ``numpy.load`` reads it.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for key, arr in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(arr), allow_pickle=False)
    return buf.getvalue()


def read_npz(
    path: str | os.PathLike[str], expected: dict[str, tuple[np.dtype, tuple[int, ...]]]
) -> dict[str, np.ndarray]:
    """Read the arrays of a ``.npz`` archive, each checked from its header before it is read.

    Parameters
    ----------
    path : path-like
        The archive.
    expected : dict of str to (dtype, shape)
        Every array the archive must hold, no more.

    Returns
    -------
    dict of str to ndarray

    Raises
    ------
    ArtifactError
        Not a zip archive, an array missing or unexpected, of another type or
        shape (an object array among them: nothing is unpickled), or
        unreadable.
    """
    path = Path(path)
    with path.open("rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise ArtifactError(f"{path} is not a NumPy .npz archive")
    out = {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = set(npz.files)
            missing, unknown = sorted(set(expected) - names), sorted(names - set(expected))
            if missing or unknown:
                raise ArtifactError(
                    f"{path} does not hold the arrays its artifact describes "
                    f"(missing {missing[:3]}, unexpected {unknown[:3]})"
                )
            for key, (dtype, shape) in expected.items():
                with npz.zip.open(f"{key}.npy") as fh:
                    version = np.lib.format.read_magic(fh)
                    if version not in ((1, 0), (2, 0)):
                        raise ArtifactError(f"{path}: array {key} has .npy version {version}")
                    read = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
                    found_shape, _, found = read(fh)
                if found != dtype or found_shape != shape:
                    raise ArtifactError(
                        f"{path}: array {key} is {found} of shape {found_shape}; "
                        f"expected {dtype} of shape {shape}"
                    )
                out[key] = npz[key]
    except ArtifactError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"{path} cannot be read as a NumPy .npz archive ({exc})") from None
    return out
