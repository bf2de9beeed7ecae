"""Every path the package and the pipeline use, defined once.

The project root is found from the ``LEADBLACKHOLE_ROOT`` environment variable
when set, otherwise from the current working directory. The command line
takes its default paths from here. The Makefile names the same paths,
relative to the folder it runs in, because make must know its targets before
the package is installed (``make verify`` runs it in temporary folders); a
test checks that the two agree.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "ALLOCATION_DIR",
    "DATA_DIR",
    "DEFAULT_SEED",
    "DIAGNOSIS_DIR",
    "FIGURES_DIR",
    "FITS_FILE",
    "MEASUREMENT_DIR",
    "MODELS_DIR",
    "PROJECT_ROOT",
    "RAW_DIR",
    "RESULTS_DIR",
    "SIMULATED_DIR",
    "SIMULATED_SURVEY",
    "BLAS_THREADS_ENV",
    "TRUTH_CACHE_ENV",
    "blas_threads",
    "truth_cache_dir",
]


def _root() -> Path:
    env = os.environ.get("LEADBLACKHOLE_ROOT")
    return Path(env).resolve() if env else Path.cwd()


PROJECT_ROOT: Path = _root()
DATA_DIR: Path = PROJECT_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
SIMULATED_DIR: Path = DATA_DIR / "simulated"
SIMULATED_SURVEY: Path = SIMULATED_DIR / "reps.csv"
FIGURES_DIR: Path = PROJECT_ROOT / "figures"
RESULTS_DIR: Path = PROJECT_ROOT / "results"
MEASUREMENT_DIR: Path = RESULTS_DIR / "measurement"
MODELS_DIR: Path = RESULTS_DIR / "models"
#: The fitted models and effects that ``fit`` saves for ``figures`` and ``allocate``, with its
#: arrays in ``fits.npz`` beside it (data only; see docs/architecture.md).
FITS_FILE: Path = MODELS_DIR / "fits.json"
#: Outputs of ``allocate`` (lead-allocation policies; see docs/allocation.md).
ALLOCATION_DIR: Path = RESULTS_DIR / "allocation"
#: Outputs of the design diagnosis (``leadblackhole diagnose``).
DIAGNOSIS_DIR: Path = RESULTS_DIR / "diagnosis"

#: Seed used by the pipeline when none is given.
DEFAULT_SEED: int = 20130101

#: Environment variable naming a folder where the simulator keeps the population truth of each
#: design it has computed (a 200 000-rep draw), so that the processes of one pipeline run compute
#: it once. Unset (the default) or empty: no cache, and the simulator does no file I/O. The
#: Makefile sets it to ``data/simulated/.truth-cache`` inside the folder it runs in.
TRUTH_CACHE_ENV: str = "LEADBLACKHOLE_TRUTH_CACHE"


def truth_cache_dir() -> Path | None:
    """The folder of the population-truth cache, or None when caching is off.

    Returns
    -------
    Path or None
        The folder named by the environment variable :data:`TRUTH_CACHE_ENV`,
        or None when it is unset or empty.

    Notes
    -----
    Read at every call (not at import), so a test or a notebook can switch the
    cache on or off by setting the variable.

    Examples
    --------
    >>> folder = truth_cache_dir()
    >>> folder is None or isinstance(folder, Path)
    True
    """
    env = os.environ.get(TRUTH_CACHE_ENV, "")
    return Path(env) if env else None


#: Environment variable setting the number of threads of the linear-algebra library (BLAS)
#: in a command-line run; default 1 (see :func:`blas_threads`).
BLAS_THREADS_ENV: str = "LEADBLACKHOLE_BLAS_THREADS"


def blas_threads() -> int:
    """Threads the command line lets the BLAS library use.

    Returns
    -------
    int
        The value of :data:`BLAS_THREADS_ENV`; 1 when it is unset or empty.

    Raises
    ------
    ValueError
        When the variable is set to anything but a whole number of at least 1.

    Notes
    -----
    The package's matrix products are small (tens of columns), and the cost of
    a run is in many of them. A multithreaded BLAS (OpenBLAS starts one thread
    per core) synchronizes its threads at every product; on two cores that
    makes such a product several times slower, and up to ten times slower
    when other processes share the cores. One thread per process is the
    default for that reason; the design diagnosis gets its parallelism from
    worker processes instead. Set the variable to use more.

    Examples
    --------
    >>> blas_threads() >= 1
    True
    """
    env = os.environ.get(BLAS_THREADS_ENV, "").strip()
    if not env:
        return 1
    if not env.isdigit() or int(env) < 1:
        raise ValueError(
            f"{BLAS_THREADS_ENV} must be a whole number of at least 1; received {env!r}"
        )
    return int(env)
