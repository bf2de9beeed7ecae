"""Provenance records and the reproducibility manifest.

Each pipeline command records what it wrote in
``<results>/provenance/<step>.json``: the command line, the seed, its input
files with their SHA-256, and its output files. :func:`build_manifest`
gathers every record into ``<results>/manifest.json`` with the SHA-256 of
every output, the package and dependency versions and the Python version.
Nothing in either file depends on the clock or on the machine's paths: paths
are stored relative to the working directory, so two runs of the pipeline
give byte-identical manifests.
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

from ..outputs import atomic_write_text

__all__ = ["DEPENDENCIES", "build_manifest", "record_provenance", "sha256", "versions"]

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
    """
    record = {
        "step": step,
        "command": " ".join(
            ["leadblackhole", *[_rel(a) if os.path.exists(a) else a for a in argv]]
        ),
        "seed": seed,
        "inputs": {_rel(p): sha256(p) for p in inputs if p is not None and Path(p).is_file()},
        "outputs": sorted(_rel(p) for p in outputs),
    }
    path = Path(results_dir) / "provenance" / f"{step}.json"
    atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def build_manifest(results_dir: str | os.PathLike[str]) -> Path:
    """Gather the provenance records into ``<results_dir>/manifest.json``.

    Returns
    -------
    Path
        The manifest's path.

    Notes
    -----
    The manifest lists, per output file: its SHA-256, the command that made
    it and the seed; and for the whole run: the Python version, the platform
    name, and the versions of the package and its dependencies.
    """
    results_dir = Path(results_dir)
    files: dict[str, dict] = {}
    steps = []
    for rec_path in sorted((results_dir / "provenance").glob("*.json")):
        rec = json.loads(rec_path.read_text())
        steps.append({k: rec[k] for k in ("step", "command", "seed", "inputs")})
        for out in rec["outputs"]:
            if Path(out).is_file():
                files[out] = {"sha256": sha256(out), "command": rec["command"], "seed": rec["seed"]}
    manifest = {
        "python": sys.version.split()[0],
        "platform": f"{platform.system()} {platform.machine()}",
        "versions": versions(),
        "steps": steps,
        "files": dict(sorted(files.items())),
    }
    path = results_dir / "manifest.json"
    atomic_write_text(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path
