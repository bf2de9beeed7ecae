"""The command line's process: exit codes, signals, warnings as log lines, BLAS threads.

:func:`run_command_line` runs one command the way :func:`leadblackhole.cli.main`
promises: a user's error (bad input, bad option, an environment that cannot be
written) exits 2 with its message and no traceback, an internal error exits 1
(the traceback with ``--debug``), SIGINT and SIGTERM exit 130 and 143 after
every ``finally`` block has run (saying which output sets were committed before
the signal; the others are left as they were), Python
warnings become plain ``warning:`` lines (every message shown with its control
characters escaped, :func:`terminal_text`), and the BLAS library is limited to
:func:`~leadblackhole.config.blas_threads` threads. :func:`open_output_set` gives a
command its output set, locked before any computing and labelled with the survey's
source.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import traceback
import unicodedata
import warnings
from collections.abc import Callable, Iterator

from .config import blas_threads
from .exceptions import LeadBlackHoleUserError

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_SIGINT",
    "EXIT_SIGTERM",
    "EXIT_USER",
    "terminal_text",
    "RunLog",
    "open_output_set",
    "run_command_line",
]

EXIT_OK, EXIT_INTERNAL, EXIT_USER = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM

#: errno values of an OSError that are the environment's, not a bug (exit 2).
_ENVIRONMENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENOENT,
        errno.ENAMETOOLONG,
        errno.EMFILE,
        errno.EIO,
    }
)


class _Terminated(SystemExit):
    """Raised by the SIGTERM handler so that every ``finally`` block runs."""


def _environment_message(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or str(exc)
    return f"cannot use{where}: {reason}; check the path and its permissions"


#: Format characters that reorder text on a terminal (bidirectional overrides and isolates).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal_text(text: str) -> str:
    """``text`` as the terminal should show it: control characters escaped, not obeyed.

    A message may quote labels from the survey (a firm name, a column name), and a
    label may carry an escape sequence or a bidirectional override that would recolour,
    move or hide what the terminal shows. Every control character but the newline and
    the tab, and every bidirectional control, is written as its Python escape.

    Examples
    --------
    >>> print(terminal_text("firm \\x1b[31mred"))
    firm \\x1b[31mred
    """
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if ch not in "\n\t" and (unicodedata.category(ch) == "Cc" or ch in _BIDI)
        else ch
        for ch in text
    )


def _on_sigterm(signum, frame):  # noqa: ARG001 - the signal handler's signature
    raise _Terminated(EXIT_SIGTERM)


class RunLog:
    """The run's log: the Python warnings caught so far, one plain line each (no duplicates).

    An output set iterates over it when it commits (``<command>.log``); the
    command line prints it.
    """

    def __init__(self, caught: list) -> None:
        self.caught = caught

    def __iter__(self) -> Iterator[str]:
        lines = (f"{w.category.__name__}: {w.message}" for w in self.caught)
        return iter(dict.fromkeys(" ".join(str(x).split()) for x in lines))


def _blas_limit():
    """Limit the BLAS library to ``config.blas_threads()`` threads for the run."""
    # the limit reaches only libraries already loaded: numpy's and scipy's OpenBLAS
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    try:
        threads = blas_threads()
    except ValueError as exc:
        raise LeadBlackHoleUserError(str(exc)) from None
    return threadpool_limits(limits=threads, user_api="blas")


def open_output_set(args: argparse.Namespace, outdir: str | os.PathLike[str], name: str):
    """A command's output set: its location checked and locked now, before any computing.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: the survey (``path``), codebook and fit artifact
        it names are the set's protected inputs, ``log`` its log; the set is
        appended to ``open_sets`` (closed however the run ends).
    outdir : path-like
        The output folder.
    name : str
        The name of the set (``fit``, ``measure``, ...).

    Returns
    -------
    OutputSet
        Prepared. When the command reads a survey, the set's ``data_source`` is
        :func:`leadblackhole.data.source.source_column` of it, so every CSV table
        the command writes says which data it was computed from.
    """
    from .data.source import source_column
    from .outputs import OutputSet

    inputs = [getattr(args, k, None) for k in ("path", "codebook", "fits")]
    path = getattr(args, "path", None)
    # a survey that cannot be read gets no label: loading it fails before anything is written
    source = source_column(path) if path is not None and os.path.isfile(path) else None
    out = OutputSet(outdir, name=name, inputs=inputs, log=args.log, data_source=source)
    args.open_sets.append(out)
    return out.prepare()


def run_command_line(argv: list[str], dispatch: Callable[[list[str], RunLog, list], int]) -> int:
    """Run ``dispatch(argv, log, open_sets)`` as the command line's process; return the exit code.

    Parameters
    ----------
    argv : list of str
        The arguments (``--debug`` among them shows the traceback of an internal error).
    dispatch : callable
        Parses ``argv`` and runs the command; receives the run's :class:`RunLog`
        and a list where the command puts every output set it opens (each is
        closed, its lock released, however the run ends).

    Returns
    -------
    int
        0 success, 2 user or environment error, 1 internal error, 130/143 interrupted.
    """
    debug = "--debug" in argv
    caught: list = []
    open_sets: list = []
    try:
        old_term = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # pragma: no cover - not the main thread
        old_term = None
    try:
        with warnings.catch_warnings(record=True) as caught, _blas_limit():
            warnings.simplefilter("always")
            return dispatch(argv, RunLog(caught), open_sets)
    except LeadBlackHoleUserError as exc:
        print(terminal_text(f"error: {exc}"), file=sys.stderr)
        return EXIT_USER
    except OSError as exc:
        if exc.errno in _ENVIRONMENT_ERRNOS:
            print(terminal_text(f"error: {_environment_message(exc)}"), file=sys.stderr)
            return EXIT_USER
        return _internal(exc, debug)
    except KeyboardInterrupt:
        print(f"interrupted: {_outputs_in_place(open_sets)}", file=sys.stderr)
        return EXIT_SIGINT
    except _Terminated:
        print(f"terminated: {_outputs_in_place(open_sets)}", file=sys.stderr)
        return EXIT_SIGTERM
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return _internal(exc, debug)
    finally:
        for out in open_sets:
            out.close()
        for line in RunLog(caught):
            print(terminal_text(f"warning: {line}"), file=sys.stderr)
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)


def _outputs_in_place(open_sets: list) -> str:
    """Which outputs a signal left: the sets committed before it arrived are new, the rest old."""
    done = [
        str(getattr(out, "outdir", out)) for out in open_sets if getattr(out, "committed", False)
    ]
    if not done:
        return "outputs are left as they were"
    return (
        f"the new outputs in {', '.join(done)} were written whole before the signal arrived; "
        "any other outputs are left as they were"
    )


def _internal(exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(
        terminal_text(f"internal error: {type(exc).__name__}: {exc}")
        + "\nThis is a bug in leadblackhole; rerun with --debug for the traceback.",
        file=sys.stderr,
    )
    return EXIT_INTERNAL
