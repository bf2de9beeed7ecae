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
    "FileGroup",
    "OutputSet",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_file_name",
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


def _plain_name(name: object) -> bool:
    """Whether ``name`` is a plain file name: no separator, not ``.`` or ``..``, not empty."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(ch in name for ch in ("/", "\\", "\0"))
        and not os.path.isabs(name)
    )


def check_file_name(name: object) -> str:
    """Return ``name`` when it is a plain file name of an output set, else raise.

    Parameters
    ----------
    name : str
        A name an output set writes or removes (relative to its folder).

    Returns
    -------
    str

    Raises
    ------
    OutputError
        When ``name`` holds a path separator or a NUL, is absolute, empty, ``.``
        or ``..``: an output set writes and removes files in its own folder only.

    Examples
    --------
    >>> check_file_name("estimates.csv")
    'estimates.csv'
    """
    if not _plain_name(name):
        raise OutputError(
            f"{name!r} is not a plain file name; an output set writes and removes files in "
            "its own folder only"
        )
    return name  # type: ignore[return-value]


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
    """Write ``data`` to the file ``path`` atomically (a :class:`FileGroup` of one file).

    The content goes to a temporary file beside ``path`` (its folder is created
    when missing), which then replaces it with :func:`os.replace`: a reader sees
    the old file or the new one. ``inputs`` are files it must not overwrite
    (:func:`check_not_input`). Returns ``path``; raises :class:`OutputError`
    when ``path`` is a folder or an input, or cannot be written.

    Examples
    --------
    >>> atomic_write_bytes("data/simulated/reps.csv", b"rep_id\\n")   # doctest: +SKIP
    """
    group = FileGroup(inputs)
    group.add_bytes(path, data)
    return group.commit()[0]


class FileGroup:
    """Files in any folders, written together: every one is new, or none is.

    Each file is written to a temporary file beside its destination; when all
    are written (a full disk fails here, before anything is replaced), they
    replace their destinations one after the other with SIGINT and SIGTERM
    held off, and a failing replacement puts the files already replaced back.
    ``simulate`` writes its survey and the survey's marker this way, so that a
    survey never stands without its marker.

    Parameters
    ----------
    inputs : iterable of path-like, optional
        Input files that must not be overwritten (see :func:`check_not_input`).
    """

    def __init__(self, inputs: Iterable = ()) -> None:
        self.inputs = [p for p in inputs if p is not None]
        self._files: dict[Path, bytes] = {}
        #: True once :meth:`commit` has put every file in place.
        self.committed = False

    @property
    def outdir(self) -> str:
        """The files of the group, for messages."""
        return ", ".join(str(p) for p in self._files)

    def add_bytes(self, path: str | os.PathLike[str], data: bytes) -> None:
        """Stage the file ``path`` (checked at once: not a folder, not an input, writable)."""
        path = check_output_file(path, self.inputs)
        if any(_same_file(path, p) or path == p for p in self._files):
            raise OutputError(f"{path} is given twice among the outputs; give different files")
        self._files[path] = data

    def close(self) -> None:
        """Nothing to release (the group holds no lock)."""

    def commit(self) -> list[Path]:
        """Write every file; return their paths (:class:`OutputError` when one cannot be written)."""
        tmps: dict[Path, str] = {}
        try:
            for path, data in self._files.items():
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                os.close(fd)
                os.unlink(tmp)
                tmps[path] = tmp
                _write_file(Path(tmp), data)
            with _signals_held():
                _replace_all(tmps)
                tmps = {}
                self.committed = True
        except OSError as exc:
            raise OutputError(_what_to_do(exc, getattr(exc, "filename", None) or path)) from None
        finally:
            for tmp in tmps.values():
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return list(self._files)


def _replace_all(tmps: Mapping[Path, str]) -> None:
    """Replace each destination by its temporary file; undo them all on an error."""
    done: list[tuple[Path, str | None]] = []
    try:
        for path, tmp in tmps.items():
            keep = None
            if os.path.lexists(path):  # the old file, kept until every replacement succeeded
                keep = f"{tmp}.old"
                os.link(path, keep, follow_symlinks=False)
            os.replace(tmp, path)
            done.append((path, keep))
    except BaseException:
        for path, keep in reversed(done):
            if keep is None:
                path.unlink()
            else:
                os.replace(keep, path)
        raise
    finally:
        for _, keep in done:
            if keep is not None and os.path.lexists(keep):
                os.unlink(keep)


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
    data_source : str, optional
        The data the set's tables were computed from
        (:func:`leadblackhole.data.source.source_column`): every CSV table
        (:meth:`add_table`) then ends with a ``data_source`` column holding it.

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
        data_source: str | None = None,
    ) -> None:
        self.outdir = Path(outdir)
        self.name = name
        self.inputs = [Path(p) for p in inputs if p is not None]
        self.log = log
        self.data_source = data_source
        self._files: dict[str, bytes | Callable[[BinaryIO], object]] = {}
        self._locked = False
        #: True once :meth:`commit` has put the new set in place.
        self.committed = False

    # -- staging ------------------------------------------------------------
    def add_bytes(self, name: str, data: bytes) -> None:
        """Stage a binary file called ``name`` (a plain name, :func:`check_file_name`)."""
        self._files[check_file_name(name)] = data

    def add_writer(self, name: str, write: Callable[[BinaryIO], object]) -> None:
        """Stage a file called ``name`` whose bytes ``write(fh)`` writes at commit.

        For a large file (one made from a large survey): its bytes go to
        the staging folder as they are made, instead of being held in memory
        until the commit. ``write`` runs inside the commit, so an exception it
        raises leaves the previous outputs as they were.
        """
        if not callable(write):
            raise TypeError(f"write must be callable; received {type(write).__name__}")
        self._files[check_file_name(name)] = write

    def add_text(self, name: str, text: str) -> None:
        """Stage a text file called ``name``."""
        self._files[check_file_name(name)] = text.encode("utf-8")

    def add_table(
        self,
        name: str,
        df: pd.DataFrame,
        formats: Iterable[str] = TABLE_FORMATS,
        caption: str | None = None,
    ) -> None:
        """Stage ``df`` as ``name.csv`` (full precision, the set's ``data_source`` column
        last when it has one), ``name.md`` and ``name.tex``."""
        for fmt in formats:
            if fmt == "csv":
                self.add_text(f"{name}.csv", table_to_csv(df, data_source=self.data_source))
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
        """The names the last commit of this set wrote, each checked to be a plain name."""
        rec = target / self._record_name()
        try:
            if not rec.is_file() and os.path.lexists(rec):
                raise OutputError(
                    f"{rec} is not a file; the record of the {self.name} set's files must be "
                    "a file (remove it and run again)"
                )
            names = {ln for ln in rec.read_bytes().decode("utf-8").splitlines() if ln}
        except (FileNotFoundError, NotADirectoryError):
            return set()
        except UnicodeDecodeError:
            raise OutputError(f"{rec} is not UTF-8 text; nothing was written or removed") from None
        bad = sorted(n for n in names if not _plain_name(n))
        if bad:
            raise OutputError(
                f"{rec} names {bad[0]!r}, which is not a plain file name in {target}; the record "
                "of a set lists the files it wrote in its own folder, so nothing was written or "
                "removed (check who edited the record, then delete it and run again)"
            )
        return names

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
        self._check_inputs(target, [*files, *(previous - set(files) - {record})])
        exists = target.exists()
        entries = {e.name: e for e in os.scandir(target)} if exists else {}
        self._check_own(target, files, record, entries)
        stale = {
            n
            for n in previous - set(files) - {record}
            if n in entries and entries[n].is_file(follow_symlinks=False)
        }
        kept = [
            e
            for name, e in entries.items()
            if name not in files
            and name not in stale
            and name != record
            and not name.startswith(".probe-")
        ]
        cwd = os.path.realpath(os.getcwd())
        whole_folder = all(e.is_file(follow_symlinks=False) for e in kept) and not (
            cwd == str(target) or cwd.startswith(str(target) + os.sep)
        )
        where = target.parent if whole_folder else target
        tmp = None
        try:
            try:
                where.mkdir(parents=True, exist_ok=True)
                tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=where))
                for name, data in files.items():
                    _write_file(tmp / name, data)
                _write_file(tmp / record, ("\n".join(sorted(files)) + "\n").encode("utf-8"))
                if whole_folder:
                    for e in kept:  # the user's own files stay: hard links, no copy
                        try:
                            os.link(e.path, tmp / e.name)
                        except OSError:
                            shutil.copy2(e.path, tmp / e.name)
                    os.chmod(tmp, _dir_mode())
                _pause("stage")
                with _signals_held():
                    _pause("swap")
                    if whole_folder:
                        tmp = self._swap_folder(tmp, target, exists, {*files, *stale, record})
                    else:
                        _move_files(tmp, target, [*files, record], stale)
                    self.committed = True
            except OSError as exc:
                raise OutputError(
                    _what_to_do(exc, getattr(exc, "filename", None) or target)
                ) from None
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    def _check_own(
        self, target: Path, files: Iterable[str], record: str, entries: Mapping[str, os.DirEntry]
    ) -> None:
        """Refuse, before writing, a name of the set that is not a regular file in the folder."""
        for name in [*files, record]:
            entry = entries.get(name)
            if entry is not None and not entry.is_file(follow_symlinks=False):
                kind = "folder" if entry.is_dir(follow_symlinks=False) else "link or special file"
                raise OutputError(
                    f"{target / name} is a {kind} the {self.name} set did not write, where the "
                    "set writes a file; move it away or choose another output location "
                    "(nothing was written)"
                )

    @staticmethod
    def _swap_folder(tmp: Path, target: Path, exists: bool, owned: set[str]) -> Path | None:
        """Put ``tmp`` in place of ``target``; return the folder left to delete.

        Entries that appeared in the old folder while the set was staged (another
        program's files) and files replaced there since they were linked are moved
        into the new folder, so that only the set's own files leave with the old one.
        """
        if not exists:
            os.rename(tmp, target)
            return None
        if _exchange(tmp, target):
            old, left = tmp, tmp  # tmp now names the old set
        else:
            left = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rename(target, left / "old")
            os.rename(tmp, target)
            old = left / "old"
        for e in os.scandir(old):
            if e.name in owned:
                continue
            dest = target / e.name
            try:
                same = os.path.samefile(e.path, dest)
            except OSError:
                same = False
            if not same and (not os.path.lexists(dest) or dest.is_file()):
                os.replace(e.path, dest)
        return left


def _move_files(tmp: Path, target: Path, names: list[str], stale: set[str]) -> None:
    """Move the staged ``names`` from ``tmp`` into ``target`` and remove ``stale`` there.

    The files they replace or remove are kept in a backup folder inside ``tmp``
    until every move has succeeded; on any error the moves are undone, so the
    folder holds the old set or the new one.
    """
    backup = Path(tempfile.mkdtemp(prefix=".backup-", dir=tmp))
    moved: list[str] = []
    removed: list[str] = []
    try:
        for name in names:
            dest = target / name
            if os.path.lexists(dest):
                try:
                    os.link(dest, backup / name, follow_symlinks=False)
                except OSError:
                    shutil.copy2(dest, backup / name, follow_symlinks=False)
            os.replace(tmp / name, dest)
            moved.append(name)
        for name in sorted(stale):
            with contextlib.suppress(FileNotFoundError):
                os.replace(target / name, backup / name)
                removed.append(name)
    except BaseException:
        for name in removed:
            os.replace(backup / name, target / name)
        for name in reversed(moved):
            if os.path.lexists(backup / name):
                os.replace(backup / name, target / name)
            else:
                (target / name).unlink()
        raise
