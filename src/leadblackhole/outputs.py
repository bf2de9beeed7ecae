"""Writing outputs whole or not at all.

Every file the package writes goes through :func:`atomic_write_bytes`: the
content is written to a temporary file in the target folder and moved into
place with :func:`os.replace`, so a reader never sees half a file. A command
that writes several files stages them with :class:`OutputSet`, which moves
them into place only after every one has been produced.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

__all__ = [
    "OutputSet",
    "atomic_write_bytes",
    "atomic_write_text",
    "table_to_csv",
    "table_to_latex",
    "table_to_markdown",
    "tex_escape",
]

TABLE_FORMATS = ("csv", "md", "tex")


def _file_mode() -> int:
    """Permissions of a newly created file under the current umask (``0o666 & ~umask``)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Destination. Its folder is created when missing.
    data : bytes
        Content.

    Returns
    -------
    Path
        The destination path.
    """
    path = Path(path)
    out = OutputSet(path.parent)  # the one implementation of atomic writing
    out.add_bytes(path.name, data)
    return out.commit()[path.name]


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text with Unix newlines to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


_TEX_ESCAPE = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "\u2212": "$-$",
}


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters (character by character, so escapes are not re-escaped).

    Examples
    --------
    >>> print(tex_escape("50% & p < 0.05"))
    50\\% \\& p \\textless{} 0.05
    """
    return "".join(_TEX_ESCAPE.get(ch, ch) for ch in text)


def table_to_csv(df: pd.DataFrame, index: bool = False) -> str:
    """Render a table as CSV text with full float precision and ``\\n`` line ends."""
    buf = io.StringIO()
    df.to_csv(buf, index=index, lineterminator="\n", float_format="%.10g")
    return buf.getvalue()


def table_to_markdown(df: pd.DataFrame, index: bool = False, floatfmt: str = ".3f") -> str:
    """Render a table as GitHub-flavoured Markdown (missing values as empty cells)."""
    shown = df.astype(object).where(df.notna(), None)
    return shown.to_markdown(index=index, floatfmt=floatfmt, missingval="") + "\n"


def table_to_latex(
    df: pd.DataFrame,
    index: bool = False,
    float_format: str = "%.3f",
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """Render a table as a LaTeX ``tabular`` (booktabs rules)."""
    return df.to_latex(
        index=index,
        float_format=lambda v: float_format % v,
        caption=caption,
        label=label,
        escape=True,
        na_rep="",
    )


class OutputSet:
    """Stage several output files and commit them together.

    Files are added in memory with :meth:`add_bytes`, :meth:`add_text` or
    :meth:`add_table`; :meth:`commit` writes each one atomically. Nothing is
    written if an exception occurs before :meth:`commit`.

    Parameters
    ----------
    outdir : path-like
        Folder the files go to.

    Examples
    --------
    >>> out = OutputSet("results")                         # doctest: +SKIP
    >>> out.add_table("estimates", df)                     # doctest: +SKIP
    >>> paths = out.commit()                               # doctest: +SKIP
    """

    def __init__(self, outdir: str | os.PathLike[str]) -> None:
        self.outdir = Path(outdir)
        self._files: dict[str, bytes] = {}

    def add_bytes(self, name: str, data: bytes) -> None:
        """Stage a binary file called ``name`` (relative to the output folder)."""
        self._files[name] = data

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

    def commit(self) -> Mapping[str, Path]:
        """Write every staged file; return name -> path.

        Every file is first written to a temporary file beside its
        destination; only when all of them are written are they moved into
        place (:func:`os.replace`). A failure while writing leaves no output
        and no temporary file behind.
        """
        staged: list[tuple[str, Path]] = []
        try:
            for name, data in self._files.items():
                dest = self.outdir / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
                staged.append((tmp, dest))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.chmod(tmp, _file_mode())
        except BaseException:
            for tmp, _ in staged:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            raise
        for tmp, dest in staged:
            os.replace(tmp, dest)
        return {name: self.outdir / name for name in self._files}
