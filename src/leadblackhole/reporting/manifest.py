"""Provenance records and the reproducibility manifest.

Each pipeline command records what it wrote in
``<results>/provenance/<step>.json``: the command line, the seed, its input
files with their SHA-256, and its output files. :func:`build_manifest`
gathers every record into ``<results>/manifest.json`` with the SHA-256 of
every output, the package and dependency versions and the Python version.
Nothing in either file depends on the clock or on the machine's paths: paths
are stored relative to the working directory, so two runs of the pipeline
give byte-identical manifests.

The manifest describes one run, and refuses (:class:`ManifestError`, exit 2
on the command line) when it cannot: no provenance record at all; records
made from different survey files (steps of an earlier run left behind); an
output missing or changed since the step that wrote it. The record of a
simulation whose survey the run did not analyse (data simulated, then the
pipeline run on a researcher's own survey) is left out. ``make`` clears the
records when a setting of the run changes (``results/.settings``), and the
manifest copies those settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..exceptions import ManifestError
from ..outputs import atomic_write_text

__all__ = [
    "DEPENDENCIES",
    "ManifestError",
    "build_manifest",
    "read_settings",
    "record_provenance",
    "sha256",
    "versions",
]


#: Packages whose versions the manifest records.
DEPENDENCIES: tuple[str, ...] = (
    "leadblackhole",
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "linearmodels",
    "semopy",
    "formulaic",
    "pyreadstat",
    "pyarrow",
    "matplotlib",
    "mpltern",
    "tabulate",
    "jinja2",
    "markdown",
    "tqdm",
)


def sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _rel(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.name if p.is_absolute() else p.as_posix()


def versions() -> dict[str, str]:
    """Versions of Python and of every package in :data:`DEPENDENCIES`."""
    out = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def record_provenance(
    results_dir: str | os.PathLike[str],
    step: str,
    argv: Sequence[str],
    inputs: Iterable[str | os.PathLike[str]],
    outputs: Iterable[str | os.PathLike[str]],
    seed: int | None = None,
    data: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``<results_dir>/provenance/<step>.json`` for one pipeline step.

    Parameters
    ----------
    results_dir : path-like
        The results folder.
    step : str
        Name of the step (``data``, ``measure``, ``fit``, ``figures``, ``report``).
    argv : sequence of str
        The command's arguments (recorded as ``leadblackhole <argv>``).
    inputs, outputs : iterable of path-like
        Files read and written.
    seed : int, optional
        Random seed used by the step.
    data : path-like, optional
        The survey file the step analysed (recorded with its SHA-256, so the
        manifest can tell records of one run from those of another).

    Returns
    -------
    Path
        The record's path.
    """
    record = {
        "step": step,
        "command": " ".join(
            ["leadblackhole", *[_rel(a) if os.path.exists(a) else a for a in argv]]
        ),
        "seed": seed,
        "inputs": {_rel(p): sha256(p) for p in inputs if p is not None and Path(p).is_file()},
        "outputs": {_rel(p): sha256(p) for p in outputs if Path(p).is_file()},
        "data": {_rel(data): sha256(data)} if data is not None and Path(data).is_file() else {},
    }
    path = Path(results_dir) / "provenance" / f"{step}.json"
    atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def read_settings(results_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The settings of the run, from ``<results_dir>/.settings`` (``KEY=value`` lines).

    Returns
    -------
    dict of str to str
        Empty when the file is missing (the commands were run without make).
    """
    path = Path(results_dir) / ".settings"
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _read_record(path: Path) -> dict:
    """One provenance record, checked: what :func:`record_provenance` writes, or a clear error.

    Raises
    ------
    ManifestError
        The file is not UTF-8 JSON, or not an object with a text ``step`` and ``command``,
        ``outputs`` mapping file names to hashes (or null) or listing them, and ``data``
        (when present) mapping file names to hashes.
    """

    def bad(why: str) -> ManifestError:
        return ManifestError(
            f"{path} is not a provenance record ({why}); delete it and rerun the pipeline's "
            "steps with `leadblackhole --provenance RESULTS ...` (make all does)"
        )

    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise bad(f"not UTF-8 JSON: {type(exc).__name__}") from None
    if not isinstance(rec, dict):
        raise bad("not a JSON object")
    for key in ("step", "command"):
        if not isinstance(rec.get(key), str):
            raise bad(f"'{key}' is not text")
    outputs = rec.get("outputs")
    names = outputs if isinstance(outputs, list) else outputs if isinstance(outputs, dict) else None
    if names is None or not all(isinstance(n, str) for n in names):
        raise bad("'outputs' is neither a list of file names nor a mapping of them")
    if isinstance(outputs, dict) and not all(
        v is None or isinstance(v, str) for v in outputs.values()
    ):
        raise bad("a hash of 'outputs' is not text")
    data = rec.get("data", {})
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise bad("'data' is not a mapping of file names to hashes")
    return rec


def _survey_sha(records: list[dict]) -> str | None:
    shas = {sha for rec in records for sha in rec.get("data", {}).values()}
    if len(shas) > 1:
        named = sorted(
            f"{rec['step']} ({', '.join(rec['data'])})" for rec in records if rec.get("data")
        )
        raise ManifestError(
            "the provenance records come from runs on different survey files: "
            + "; ".join(named)
            + ". Rerun the pipeline from the start (make clean all)"
        )
    return shas.pop() if shas else None


def build_manifest(results_dir: str | os.PathLike[str]) -> Path:
    """Gather the provenance records of one run into ``<results_dir>/manifest.json``.

    Parameters
    ----------
    results_dir : path-like
        The results folder (records in ``provenance/``, settings in ``.settings``).

    Returns
    -------
    Path
        The manifest's path.

    Raises
    ------
    ManifestError
        No record; records from runs on different surveys; an output missing
        or changed since its step wrote it.

    Notes
    -----
    The manifest lists, per output file: its SHA-256, the command that made
    it and the seed; and for the whole run: the settings, the survey, the
    Python version, the platform name, and the versions of the package and
    its dependencies.

    Examples
    --------
    >>> build_manifest("results")                     # doctest: +SKIP
    PosixPath('results/manifest.json')
    """
    results_dir = Path(results_dir)
    records = [_read_record(p) for p in sorted((results_dir / "provenance").glob("*.json"))]
    if not records:
        raise ManifestError(
            f"no provenance records in {results_dir / 'provenance'}: run the pipeline's steps "
            "with `leadblackhole --provenance RESULTS ...` (make all does) before the manifest"
        )
    survey = _survey_sha(records)
    files: dict[str, dict] = {}
    steps = []
    for rec in records:
        outputs = rec["outputs"]
        if isinstance(outputs, list):  # a record without hashes
            outputs = dict.fromkeys(outputs)
        if rec["step"] == "data" and survey is not None and survey not in outputs.values():
            continue  # a simulation this run did not analyse
        steps.append({k: rec.get(k) for k in ("step", "command", "seed", "inputs", "data")})
        for out, recorded in outputs.items():
            if not Path(out).is_file():
                raise ManifestError(
                    f"{out}, written by the {rec['step']} step, is missing; rerun the pipeline"
                )
            digest = sha256(out)
            if recorded is not None and digest != recorded:
                raise ManifestError(
                    f"{out} changed after the {rec['step']} step wrote it; rerun the pipeline"
                )
            files[out] = {"sha256": digest, "command": rec["command"], "seed": rec["seed"]}
    manifest = {
        "python": sys.version.split()[0],
        "platform": f"{platform.system()} {platform.machine()}",
        "settings": read_settings(results_dir),
        "survey_sha256": survey,
        "versions": versions(),
        "steps": steps,
        "files": dict(sorted(files.items())),
    }
    path = results_dir / "manifest.json"
    atomic_write_text(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path
