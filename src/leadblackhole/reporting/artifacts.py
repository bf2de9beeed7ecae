"""The fit artifact: the fitted models and effects ``fit`` saves for ``figures`` and ``allocate``.

``leadblackhole fit`` fits every model once and writes, beside its tables, a fit
artifact of two files that hold data only:

* ``fits.json``: the schema version, the SHA-256 of the survey file, the
  SHA-256 of the analysis frame's design and shares
  (:func:`~leadblackhole.models.stored.frame_digest`), the name and SHA-256 of
  the arrays file, and for every saved model its name, its results class and
  its description (parameter names, options, counts: see
  :mod:`leadblackhole.models.stored`), then the hypothesis report's tables
  and Johnson–Neyman curves (:mod:`leadblackhole.reporting.artifact_data`);
* ``fits.npz``: every number of those models and tables as NumPy arrays
  (estimates, covariances, Hessians, first stages, table columns), read with
  ``allow_pickle=False``.

The saved models are those marked ``kept`` in
:data:`~leadblackhole.pipeline.models.MODEL_ROLES` (the Dirichlet models, the
fractional multinomial logit, the fractional logit and OLS) and the main
model's control-function version when ``fit`` made one. ``figures`` and
``allocate`` read the artifact they are given (:meth:`FitArtifact.load`): the
survey's SHA-256 is checked first, then every field against the schema, the
arrays file against its SHA-256 and every array's type and shape (from its
header, before it is read), then the analysis frame the command built from the
survey against the recorded one; only then are the results objects rebuilt
(:func:`~leadblackhole.models.stored.rebuild_results`: the models are built
from the survey, never fitted again, and given the stored numbers). Anything
else is an :class:`~leadblackhole.exceptions.ArtifactError` (exit 2), among
them the pickle earlier versions wrote: nothing in an artifact is run when it is
read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..arrays import npz_bytes, read_npz
from ..config import FITS_FILE
from ..exceptions import ArtifactError, OutputError
from ..models.stored import (
    StoredModel,
    array_shapes,
    check_keys,
    check_model,
    frame_digest,
    rebuild_results,
    store_results,
)
from ..outputs import OutputSet, check_file_name
from .artifact_data import check_report, decode_report, encode_report

__all__ = [
    "ARTIFACT_FORMAT",
    "MAX_JSON_BYTES",
    "SCHEMA_VERSION",
    "FitArtifact",
    "file_sha256",
]

#: The ``format`` field of every fit artifact.
ARTIFACT_FORMAT = "leadblackhole fit artifact"
#: The version of the schema this package writes and reads.
SCHEMA_VERSION = 1
#: A ``fits.json`` larger than this is refused unread (one is about 100 kB).
MAX_JSON_BYTES = 64 * 2**20
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: The end of every message that refuses an artifact.
_RERUN = "rerun `leadblackhole fit`"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _json_text(value: Any, pad: str = "") -> str:
    """JSON of ``value``: one member per line, a list of scalars (a column, a pair) on one line."""
    inner = pad + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_json_text(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return "[\n" + ",\n".join(inner + _json_text(v, inner) for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a field is given twice in one object ({sorted(keys)[:5]})")
    return dict(pairs)


def _read_json(path: Path) -> Any:
    """The parsed ``fits.json``; a pickle of an earlier version or garbage refused unread."""
    if not path.is_file():
        raise ArtifactError(f"{path} not found; run `leadblackhole fit` first")
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise ArtifactError(f"{path} ({size} bytes) is too large to be a fit artifact; {_RERUN}")
    raw = path.read_bytes()
    if path.suffix == ".pickle" or raw[:1] == b"\x80":
        raise ArtifactError(
            f"{path} is a pickle, the fit artifact of earlier versions of leadblackhole, which "
            "is no longer read (a pickle can run code when it is loaded); rerun `leadblackhole "
            f"fit` to write {FITS_FILE.name} and {FITS_FILE.with_suffix('.npz').name}"
        )
    try:
        return json.loads(
            raw.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_no_duplicates
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise ArtifactError(
            f"{path} is not a fit artifact (not JSON: {reason}); {_RERUN}"
        ) from None


def _check_document(doc: dict[str, Any]) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
    """Check every field of an artifact; the arrays it needs, with their types and shapes."""

    def hex64(value: Any, where: str) -> None:
        if not (isinstance(value, str) and _HEX64.fullmatch(value)):
            raise ArtifactError(f"{where}: expected a SHA-256 in hex")

    def anything(value: Any, where: str) -> None:
        return None

    spec = {
        "format": anything,
        "schema_version": anything,
        "survey_sha256": hex64,
        "frame_sha256": hex64,
        "arrays": lambda v, w: check_keys(v, {"file": anything, "sha256": hex64}, w),
        "models": anything,
        "hypotheses": anything,
    }
    check_keys(doc, spec, "fits")
    name = doc["arrays"]["file"]
    try:
        plain = isinstance(name, str) and name.endswith(".npz") and bool(check_file_name(name))
    except OutputError:
        plain = False
    if not plain:
        raise ArtifactError("fits.arrays.file: expected the plain name of a .npz file")
    models = doc["models"]
    if not isinstance(models, list) or not models:
        raise ArtifactError("fits.models: expected a non-empty list of models")
    expected: dict[str, tuple[np.dtype, tuple[int, ...]]] = {}
    names = set()
    for i, entry in enumerate(models):
        where = f"fits.models[{i}]"
        check_keys(entry, {"name": anything, "kind": anything, "meta": anything}, where)
        check_model(entry["name"], entry["kind"], entry["meta"], where)
        if entry["name"] in names:
            raise ArtifactError(f"{where}: the model {entry['name']} is listed twice")
        names.add(entry["name"])
        for key, shape in array_shapes(entry["name"], entry["meta"]).items():
            expected[f"m{i}.{key}"] = (np.dtype(np.float64), shape)
    if doc["hypotheses"] is not None:
        expected |= check_report(doc["hypotheses"], "fits.hypotheses")
    return expected


@dataclass(frozen=True, eq=False)
class FitArtifact:
    """Fitted models and effects, saved by ``fit`` and read by ``figures`` and ``allocate``.

    Attributes
    ----------
    fits : dict of str to ShareResults
        Fitted share models by name (the keys of
        :data:`~leadblackhole.models.stored.STORED_MODELS` that ``fit`` kept).
    hypotheses : HypothesisReport or None
        The registry effects, simple slopes and Johnson–Neyman analyses
        (``None`` in an artifact written without them; ``figures`` needs them).
    data_sha256 : str
        SHA-256 of the survey file the models were fitted on.
    frame_sha256 : str
        :func:`~leadblackhole.models.stored.frame_digest` of their analysis frame.

    Examples
    --------
    >>> FitArtifact.from_fit(fits, hyps, path, frame).stage(outset)       # doctest: +SKIP
    >>> FitArtifact.load("results/models/fits.json", path, frame).fits     # doctest: +SKIP
    """

    fits: dict[str, Any]
    hypotheses: Any
    data_sha256: str
    frame_sha256: str

    @classmethod
    def from_fit(
        cls, fits: dict[str, Any], hypotheses: Any, data: str | os.PathLike[str], frame: Any
    ) -> FitArtifact:
        """The artifact of models fitted on the survey file ``data`` and its analysis ``frame``."""
        return cls(dict(fits), hypotheses, file_sha256(data), frame_digest(frame))

    @property
    def report(self) -> Any:
        """The hypothesis report.

        Raises
        ------
        ArtifactError
            When the artifact holds none.
        """
        if self.hypotheses is None:
            raise ArtifactError(f"the fit artifact holds no hypothesis report; {_RERUN}")
        return self.hypotheses

    def documents(self, arrays_name: str = "fits.npz") -> tuple[str, bytes]:
        """The artifact's two files: the JSON text and the bytes of the arrays file ``arrays_name``.

        Returns
        -------
        text : str
            ``fits.json``.
        arrays : bytes
            The ``.npz`` archive (:func:`npz_bytes`).
        """
        arrays: dict[str, np.ndarray] = {}
        models = []
        for i, res in enumerate(self.fits.values()):
            stored = store_results(res)
            models.append({"name": stored.name, "kind": stored.kind, "meta": stored.meta})
            arrays |= {f"m{i}.{k}": v for k, v in stored.arrays.items()}
        hypotheses = None
        if self.hypotheses is not None:
            hypotheses, more = encode_report(self.hypotheses)
            arrays |= more
        data = npz_bytes(arrays)
        doc = {
            "format": ARTIFACT_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "survey_sha256": self.data_sha256,
            "frame_sha256": self.frame_sha256,
            "arrays": {"file": arrays_name, "sha256": hashlib.sha256(data).hexdigest()},
            "models": models,
            "hypotheses": hypotheses,
        }
        text = _json_text(doc) + "\n"
        return text, data

    def stage(self, outset: OutputSet, name: str = FITS_FILE.name) -> OutputSet:
        """Stage ``name`` (``fits.json``) and its arrays (``fits.npz``) in ``outset``."""
        arrays_name = Path(name).with_suffix(".npz").name
        text, data = self.documents(arrays_name)
        outset.add_bytes(arrays_name, data)
        outset.add_text(name, text)
        return outset

    def save(self, folder: str | os.PathLike[str], name: str = FITS_FILE.name) -> Path:
        """Write the artifact's two files to ``folder``; the path of ``name``."""
        out = self.stage(OutputSet(folder, name="fits"), name)
        return out.commit()[name]

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], data: str | os.PathLike[str], frame: Any
    ) -> FitArtifact:
        """Read an artifact made from the survey file ``data``, and rebuild its results.

        Parameters
        ----------
        path : path-like
            The ``fits.json`` that ``fit`` wrote (its arrays file beside it).
        data : path-like
            The survey file the caller works on.
        frame : AnalysisFrame
            The analysis frame the caller built from ``data``.

        Returns
        -------
        FitArtifact

        Raises
        ------
        ArtifactError
            A missing artifact or arrays file, a pickle (the format of earlier
            versions), a file that is not JSON, another schema version, a
            field outside the schema, arrays that are not those described, an
            artifact of another survey file or analysis frame, a model that
            cannot be rebuilt on the frame.
        """
        path = Path(path)
        doc = _read_json(path)
        if not isinstance(doc, dict) or doc.get("format") != ARTIFACT_FORMAT:
            raise ArtifactError(f"{path} is not a fit artifact; {_RERUN}")
        version = doc.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ArtifactError(
                f"{path} has schema version {version!r}, this version of leadblackhole reads "
                f"{SCHEMA_VERSION}; {_RERUN}"
            )
        if doc.get("survey_sha256") != file_sha256(data):  # before anything else is read
            raise ArtifactError(
                f"the fits in {path} were made from another survey file than {data}; {_RERUN}"
            )
        try:
            expected = _check_document(doc)
        except ArtifactError as exc:
            raise ArtifactError(f"{path} is not a valid fit artifact: {exc}; {_RERUN}") from None
        arrays_path = path.parent / doc["arrays"]["file"]
        if not arrays_path.is_file():
            raise ArtifactError(f"{arrays_path}, the arrays of {path}, not found; {_RERUN}")
        if file_sha256(arrays_path) != doc["arrays"]["sha256"]:
            raise ArtifactError(
                f"{arrays_path} is not the arrays file of {path} (changed since fit wrote "
                f"them); {_RERUN}"
            )
        try:
            arrays = read_npz(arrays_path, expected)
        except ArtifactError as exc:
            raise ArtifactError(f"{exc}; {_RERUN}") from None
        if frame_digest(frame) != doc["frame_sha256"]:
            raise ArtifactError(
                f"the fits in {path} were made on another analysis frame than {data} gives "
                f"now (another codebook, or another version of leadblackhole); {_RERUN}"
            )
        fits = {}
        for i, entry in enumerate(doc["models"]):
            prefix = f"m{i}."
            own = {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}
            stored = StoredModel(entry["name"], entry["kind"], entry["meta"], own)
            try:
                fits[entry["name"]] = rebuild_results(stored, frame)
            except ArtifactError as exc:
                raise ArtifactError(f"{path}: {exc}; {_RERUN}") from None
        report = doc["hypotheses"]
        hypotheses = None if report is None else decode_report(report, arrays)
        return cls(fits, hypotheses, doc["survey_sha256"], doc["frame_sha256"])
