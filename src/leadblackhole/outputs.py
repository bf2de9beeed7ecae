"""Writing outputs whole or not at all.

Guarantees (docs/architecture.md, "Output sets"):

* **Whole or nothing.** :class:`OutputSet` stages every file in memory and
  writes them into a fresh hidden folder beside the output folder
  (``.<out>.tmp-XXXX``). When every file is written, the new folder takes the
  place of the old one with one atomic exchange of the two names (Linux
  ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames), so a reader sees
  the old set or the new one, never a mix. A folder that also holds other
  folders (``results/`` holds ``measurement/`` and ``models/``) cannot be
  swapped without hiding them for an instant; there the files are moved in
  one by one under the lock with SIGINT and SIGTERM held off, so only a
  SIGKILL or a power cut during those milliseconds can leave a mix.
* **No stale files.** Each set records the names it wrote
  (``.<set>.files`` in the folder); the next commit of the same set removes
  any of them it does not write again (a ``hypotheses_bootstrap.csv`` does
  not survive a run without a bootstrap). Files that other sets or the user
  put in the folder are kept.
* **One writer at a time.** A writer holds an exclusive ``flock`` on
  ``.<out>.lock`` beside the folder from :meth:`OutputSet.prepare` (called
  before any computing) to the end of the commit; a second writer fails at
  once with :class:`~leadblackhole.exceptions.OutputLockedError`.
* **Inputs are never overwritten.** Every path a commit would replace or
  remove is compared with the protected inputs (symlinks and hard links
  resolved); a clash raises :class:`~leadblackhole.exceptions.OutputError`
  before anything is written.
* **Clean exits.** Temporary files and folders are removed on every exit
  path, including SIGINT and SIGTERM when the command line's handlers turn
  them into exceptions.
* **Errors of the environment are the user's.** An unwritable or read-only
  location, a file where a folder is expected, a full disk raise
  :class:`~leadblackhole.exceptions.OutputError` saying what to do.

The text of a table (CSV, Markdown, LaTeX, escaping) comes from
:mod:`leadblackhole.tables_text`; this module only writes files.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from .exceptions import OutputError, OutputLockedError
from .tables_text import table_to_csv, table_to_latex, table_to_markdown

__all__ = [
    "OutputSet",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_not_input",
    "check_output_file",
]

TABLE_FORMATS = ("csv", "md", "tex")

#: Environment variable of the test suite: ``stage:FILE`` or ``swap:FILE`` makes a commit
#: create FILE and pause (up to 60 s) after staging, or inside the swap, so that a test can
#: signal the process at a known point. Unset in normal use.
PAUSE_ENV = "LEADBLACKHOLE_TEST_COMMIT_PAUSE"


def _file_mode() -> int:
    """Permissions of a newly created file under the current umask (``0o666 & ~umask``)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _dir_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def _what_to_do(exc: OSError, path: Path | str) -> str:
    """A user-facing sentence for an OSError met while writing ``path``."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"no space left on the device holding {path} ({exc.strerror}); "
            "free some space or choose another output location"
        )
    if code == errno.EROFS:
        return f"{path} is on a read-only file system; choose another output location"
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied writing {path}; change the folder's permissions "
            "or choose another output location"
        )
    if code == errno.ENOTDIR:
        return f"a part of {path} is a file, not a folder; choose another output location"
    if code == errno.EISDIR:
        return f"{path} is a folder where a file is expected; give a file name"
    return f"cannot write {path} ({exc.strerror or exc}); choose another output location"


def _write_file(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write ``data`` to a new file ``path`` (the one place files are written).

    ``data`` is the file's bytes or a function that writes them to an open
    binary file (a large file is then streamed, never held in memory whole).
    """
    with open(path, "xb") as fh:
        if callable(data):
            data(fh)
        else:
            fh.write(data)
    os.chmod(path, _file_mode())


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_not_input(dest: str | os.PathLike[str], inputs: Iterable) -> None:
    """Raise :class:`OutputError` when writing or removing ``dest`` would touch an input.

    Parameters
    ----------
    dest : path-like
        A path an output would replace or remove.
    inputs : iterable of path-like or None
        Input files (``None`` entries are ignored). Symlinks are resolved and hard links
        detected (same device and inode).

    Raises
    ------
    OutputError
        When ``dest`` is one of ``inputs``.
    """
    for src in inputs:
        if src is not None and _same_file(Path(dest), Path(src)):
            raise OutputError(
                f"the output {dest} would overwrite the input file {src}; "
                "choose another output location"
            )


# ----------------------------------------------------------------------------
# signals and the pause hook
# ----------------------------------------------------------------------------
_HELD = (signal.SIGINT, signal.SIGTERM)


_DEFERRED: list[int] = []  # signals received while a swap was under way


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT and SIGTERM until the block ends, so that a swap is never cut in two.

    The handlers are replaced by one that records the signal (a signal mask would not do:
    the kernel may deliver the signal to another thread, numpy's BLAS threads for one, and
    Python then runs the handler in the main thread anyway). On exit the old handlers are
    restored and the recorded signals raised again.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, lambda signum, frame: _DEFERRED.append(signum)) for s in _HELD}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        pending, _DEFERRED[:] = list(dict.fromkeys(_DEFERRED)), []
        for s in pending:
            signal.raise_signal(s)


def _pause(point: str) -> None:
    """The test hook (:data:`PAUSE_ENV`); does nothing in normal use."""
    spec = os.environ.get(PAUSE_ENV, "")
    where, _, marker = spec.partition(":")
    if where != point or not marker:
        return
    Path(marker).write_text(str(os.getpid()))
    end = time.monotonic() + 60
    while time.monotonic() < end and not _DEFERRED:
        time.sleep(0.02)


# ----------------------------------------------------------------------------
# locks
# ----------------------------------------------------------------------------
_LOCKS: dict[str, int] = {}  # resolved output path -> fd of its lock file (this process)


def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _acquire(target: Path, wait: bool = False) -> bool:
    """Lock ``target`` (an output folder or file); return False when this process holds it."""
    key = str(target)
    if key in _LOCKS:
        return False
    path = _lock_path(target)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, _file_mode())
    except OSError as exc:
        raise OutputError(_what_to_do(exc, target.parent)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OutputLockedError(
            f"another leadblackhole run is writing to {target} (it holds the lock {path}); "
            "wait for it to finish, or choose another output location"
        ) from None
    _LOCKS[key] = fd
    return True


def _release(target: Path) -> None:
    fd = _LOCKS.pop(str(target), None)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# ----------------------------------------------------------------------------
# the atomic exchange of two names
# ----------------------------------------------------------------------------
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` atomically (Linux); False when unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # pragma: no cover
        return False
    raise OSError(code, os.strerror(code), str(b))


def _ensure_writable_dir(folder: Path) -> None:
    """Create ``folder`` (and parents) and check a file can be created in it."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder; give a folder as the output location")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except FileExistsError:
        raise OutputError(
            f"a part of {folder} is a file, not a folder; choose another output location"
        ) from None
    except OSError as exc:
        raise OutputError(_what_to_do(exc, folder)) from None


def check_output_file(path: str | os.PathLike[str], inputs: Iterable = ()) -> Path:
    """Check, before computing, that the file ``path`` can be written; return it.

    Parameters
    ----------
    path : path-like
        The output file.
    inputs : iterable of path-like, optional
        Input files it must not be.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        When ``path`` is a folder or an input, or its folder cannot be created or written.

    Examples
    --------
    >>> check_output_file("data/simulated/reps.csv")       # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name (for example reps.csv)")
    check_not_input(path, inputs)
    _ensure_writable_dir(path.parent)
    return path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, inputs: Iterable = ()) -> Path:
    """Write ``data`` to the file ``path`` atomically.

    The content goes to a temporary file beside ``path``, which then replaces
    it with :func:`os.replace`: a reader sees the old file or the new one.

    Parameters
    ----------
    path : path-like
        Destination file. Its folder is created when missing.
    data : bytes
        Content.
    inputs : iterable of path-like, optional
        Input files that must not be overwritten (see :func:`check_not_input`).

    Returns
    -------
    Path
        The destination path.

    Raises
    ------
    OutputError
        When ``path`` is a folder or an input, or cannot be written.

    Examples
    --------
    >>> atomic_write_bytes("data/simulated/reps.csv", b"rep_id\\n")   # doctest: +SKIP
    """
    path = check_output_file(path, inputs)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)
        _write_file(Path(tmp), data)
        with _signals_held():
            os.replace(tmp, path)
            tmp = None
    except OSError as exc:
        raise OutputError(_what_to_do(exc, path)) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str, inputs: Iterable = ()) -> Path:
    """Write UTF-8 text with Unix newlines to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"), inputs=inputs)


class OutputSet:
    """Stage several output files and commit them together, whole or not at all.

    Files are added in memory with :meth:`add_bytes`, :meth:`add_text` or
    :meth:`add_table`; :meth:`commit` writes the set (see the module notes
    for the guarantees). Call :meth:`prepare` before a long computation to
    check the location and take the lock at once; :meth:`close` (or leaving a
    ``with`` block) releases it.

    Parameters
    ----------
    outdir : path-like
        Folder the files go to.
    name : str, default "outputs"
        Name of the set: the record of the files it wrote is ``.<name>.files``
        in the folder, and only those are removed as stale by the next commit.
    inputs : iterable of path-like, optional
        Input files the set must never replace or remove.
    log : iterable of str, optional
        Lines of the run's log, read at commit: when there are any, they are
        written as ``<name>.log``.

    Examples
    --------
    >>> with OutputSet("results/models", name="fit", inputs=["survey.csv"]) as out:  # doctest: +SKIP
    ...     out.prepare()
    ...     out.add_table("estimates", df)
    ...     paths = out.commit()
    """

    def __init__(
        self,
        outdir: str | os.PathLike[str],
        name: str = "outputs",
        inputs: Iterable = (),
        log: Iterable[str] | None = None,
    ) -> None:
        self.outdir = Path(outdir)
        self.name = name
        self.inputs = [Path(p) for p in inputs if p is not None]
        self.log = log
        self._files: dict[str, bytes | Callable[[BinaryIO], object]] = {}
        self._locked = False

    # -- staging ------------------------------------------------------------
    def add_bytes(self, name: str, data: bytes) -> None:
        """Stage a binary file called ``name`` (relative to the output folder)."""
        self._files[name] = data

    def add_writer(self, name: str, write: Callable[[BinaryIO], object]) -> None:
        """Stage a file called ``name`` whose bytes ``write(fh)`` writes at commit.

        For a large file (the pickled fits of a large survey): its bytes go to
        the staging folder as they are made, instead of being held in memory
        until the commit. ``write`` runs inside the commit, so an exception it
        raises leaves the previous outputs as they were.
        """
        if not callable(write):
            raise TypeError(f"write must be callable; received {type(write).__name__}")
        self._files[name] = write

    def add_text(self, name: str, text: str) -> None:
        """Stage a text file called ``name``."""
        self._files[name] = text.encode("utf-8")

    def add_table(
        self,
        name: str,
        df: pd.DataFrame,
        formats: Iterable[str] = TABLE_FORMATS,
        caption: str | None = None,
    ) -> None:
        """Stage ``df`` as ``name.csv`` (full precision), ``name.md`` and ``name.tex``."""
        for fmt in formats:
            if fmt == "csv":
                self.add_text(f"{name}.csv", table_to_csv(df))
            elif fmt == "md":
                self.add_text(f"{name}.md", table_to_markdown(df))
            elif fmt == "tex":
                self.add_text(f"{name}.tex", table_to_latex(df, caption=caption))
            else:
                raise ValueError(f"unknown table format {fmt!r}; expected one of {TABLE_FORMATS}")

    @property
    def names(self) -> list[str]:
        """Names of the staged files, in the order they were added."""
        return list(self._files)

    # -- the location and its lock ------------------------------------------
    @property
    def target(self) -> Path:
        """The output folder with symlinks resolved (what is written)."""
        return Path(os.path.realpath(self.outdir))

    def prepare(self) -> OutputSet:
        """Check the location can be written and take its lock; return ``self``.

        Raises
        ------
        OutputError
            The location is a file, or cannot be created or written.
        OutputLockedError
            Another run holds the lock of this folder.
        """
        target = self.target
        if target.exists() and not target.is_dir():
            raise OutputError(
                f"{self.outdir} is a file, not a folder; give a folder as the output location"
            )
        for src in self.inputs:
            if _same_file(target, src):
                raise OutputError(
                    f"the output folder {self.outdir} is the input {src}; "
                    "choose another output location"
                )
        _ensure_writable_dir(target.parent)
        if target.exists():
            _ensure_writable_dir(target)
        if not self._locked:
            self._locked = _acquire(target)
        return self

    def close(self) -> None:
        """Release the lock taken by :meth:`prepare` or :meth:`commit`."""
        if self._locked:
            _release(self.target)
            self._locked = False

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- committing ----------------------------------------------------------
    def _record_name(self) -> str:
        return f".{self.name}.files"

    def _previous(self, target: Path) -> set[str]:
        rec = target / self._record_name()
        try:
            return {ln for ln in rec.read_text(encoding="utf-8").splitlines() if ln}
        except (FileNotFoundError, NotADirectoryError):
            return set()

    def _staged(self) -> dict[str, bytes | Callable[[BinaryIO], object]]:
        files = dict(self._files)
        lines = list(self.log) if self.log is not None else []
        if lines:
            files[f"{self.name}.log"] = ("\n".join(lines) + "\n").encode("utf-8")
        return files

    def _check_inputs(self, target: Path, replaced: Iterable[str]) -> None:
        for name in replaced:
            check_not_input(target / name, self.inputs)

    def commit(self) -> Mapping[str, Path]:
        """Write the set; return name -> path (in the folder as given).

        Raises
        ------
        OutputError
            The set would replace or remove an input file, or the location
            cannot be written (permissions, read-only or full file system).
        OutputLockedError
            Another run is writing to the folder.
        """
        locked_here = not self._locked
        self.prepare()
        try:
            self._commit(self.target)
        finally:
            if locked_here:
                self.close()
        return {name: self.outdir / name for name in self._staged()}

    def _commit(self, target: Path) -> None:
        files = self._staged()
        previous = self._previous(target)
        record = self._record_name()
        stale = previous - set(files) - {record}
        self._check_inputs(target, [*files, *stale])
        exists = target.exists()
        entries = list(os.scandir(target)) if exists else []
        foreign = [
            e
            for e in entries
            if e.name not in files
            and e.name not in previous
            and e.name != record
            and not (e.name.startswith(".probe-"))
        ]
        cwd = os.path.realpath(os.getcwd())
        whole_folder = (
            all(e.is_file(follow_symlinks=False) for e in foreign)
            and all("/" not in n for n in files)
            and not (cwd == str(target) or cwd.startswith(str(target) + os.sep))
        )
        where = target.parent if whole_folder else target
        tmp = None
        try:
            try:
                where.mkdir(parents=True, exist_ok=True)
                tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=where))
                for name, data in files.items():
                    dest = tmp / name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    _write_file(dest, data)
                _write_file(tmp / record, ("\n".join(sorted(files)) + "\n").encode("utf-8"))
                if whole_folder:
                    for e in foreign:  # the user's own files stay: hard links, no copy
                        try:
                            os.link(e.path, tmp / e.name)
                        except OSError:
                            shutil.copy2(e.path, tmp / e.name)
                    os.chmod(tmp, _dir_mode())
                _pause("stage")
                with _signals_held():
                    _pause("swap")
                    if whole_folder:
                        tmp = self._swap_folder(tmp, target, exists)
                    else:
                        self._move_files(tmp, target, files, stale, record)
            except OSError as exc:
                raise OutputError(
                    _what_to_do(exc, getattr(exc, "filename", None) or target)
                ) from None
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def _swap_folder(tmp: Path, target: Path, exists: bool) -> Path | None:
        """Put ``tmp`` in place of ``target``; return the folder left to delete."""
        if not exists:
            os.rename(tmp, target)
            return None
        if _exchange(tmp, target):
            return tmp  # tmp now names the old set
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rename(target, aside / "old")
        os.rename(tmp, target)
        return aside

    @staticmethod
    def _move_files(
        tmp: Path, target: Path, files: Mapping[str, bytes], stale: set[str], record: str
    ) -> None:
        for name in files:
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / name, dest)
        for name in sorted(stale):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                (target / name).unlink()
        os.replace(tmp / record, target / record)
