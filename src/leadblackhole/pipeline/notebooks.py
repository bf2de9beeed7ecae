"""The notebook step: a notebook executed in a fresh kernel, its executed copy reproducible."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from ..exceptions import LeadBlackHoleUserError, NotebookError

__all__ = ["coalesce_streams", "execute_notebook", "read_notebook"]


def execute_notebook(path: str | os.PathLike[str], *, timeout: int = 300) -> str:
    """Execute a notebook and return the text of its executed copy.

    Parameters
    ----------
    path : path-like
        The ``.ipynb`` file; its cells run in its own folder.
    timeout : int, default 300
        Seconds allowed per cell.

    Returns
    -------
    str
        The executed notebook (nbformat 4 JSON and a final newline), without the
        timings of its cells or the Python version, so two runs give the same bytes.

    Raises
    ------
    LeadBlackHoleUserError
        When nbformat or nbclient is not installed, or the notebook does not exist.
    NotebookError
        When the file is not a notebook (:func:`read_notebook`), a cell raises
        or runs past ``timeout``, or the kernel dies or cannot start; nothing
        is returned, so no executed copy is written.
    """
    try:
        import nbclient  # noqa: F401 - present or not, said here; used by _execute
        import nbformat
    except ImportError as exc:
        raise LeadBlackHoleUserError(
            f"the notebook command needs nbformat and nbclient ({exc.name} is missing); "
            "install them with: pip install 'leadblackhole[dev]'"
        ) from None

    src = Path(path)
    if not src.is_file():
        raise LeadBlackHoleUserError(f"notebook {src.name} not found")
    nb = read_notebook(src)
    _execute(nb, src, timeout)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    coalesce_streams(nb.cells)
    return nbformat.writes(nb) + "\n"


def read_notebook(src: Path) -> Any:
    """Read a notebook file in nbformat 4.

    Parameters
    ----------
    src : Path
        The ``.ipynb`` file.

    Returns
    -------
    NotebookNode

    Raises
    ------
    NotebookError
        When the file is not UTF-8, not JSON, not a JSON object with a list of
        ``cells``, or not valid in the notebook format.
    """
    import nbformat

    what = f"notebook {src.name} is not a Jupyter notebook"
    try:
        text = src.read_bytes().decode("utf-8")
        raw = json.loads(text)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
        raise NotebookError(f"{what} (not UTF-8 JSON: {exc}); give the .ipynb file") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotebookError(f"{what} (JSON without a list of 'cells'); give the .ipynb file")
    try:
        return nbformat.reads(text, as_version=4)
    except (ValueError, KeyError, TypeError, AttributeError, nbformat.ValidationError) as exc:
        # nbformat's readers fail in these ways on JSON that is not a valid notebook
        raise NotebookError(f"{what} ({type(exc).__name__}: {exc})") from None


def _execute(nb: Any, src: Path, timeout: int) -> None:
    """Run every cell of ``nb`` in a fresh kernel in ``src``'s folder (in place)."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": str(src.parent)}},
        ).execute(
            # the kernel's own log lines (a warning about its local TCP transport) are noise
            # here; errors in the notebook's cells come back through the kernel protocol
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
    except CellExecutionError as exc:
        raise NotebookError(
            f"notebook {src.name}: {_failed_cell(nb)} raised {exc.ename}: {exc.evalue}; no "
            "executed copy was written (run the notebook in Jupyter to see the traceback)"
        ) from None
    except CellTimeoutError:
        raise NotebookError(
            f"notebook {src.name}: {_failed_cell(nb, error=False)} ran longer than --timeout "
            f"{timeout} s; no executed copy was written (give a larger --timeout)"
        ) from None
    except (DeadKernelError, NoSuchKernel) as exc:
        raise NotebookError(
            f"notebook {src.name}: the python3 kernel failed ({type(exc).__name__}: {exc}); no "
            "executed copy was written (check that ipykernel is installed: "
            "pip install 'leadblackhole[dev]')"
        ) from None


def _failed_cell(nb: Any, error: bool = True) -> str:
    """``code cell N`` (1-based among the code cells) holding the first error output, or
    (``error=False``: a timeout leaves none) the last cell the kernel started."""
    code = [c for c in nb.cells if c.get("cell_type") == "code"]
    for i, cell in enumerate(code, start=1):
        if error and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return f"code cell {i}"
    ran = [i for i, c in enumerate(code, start=1) if c.get("execution_count") is not None]
    return f"code cell {ran[-1]}" if ran else "a code cell"


def coalesce_streams(cells: list) -> None:
    """Join each cell's consecutive stream outputs of one name into one output, in place.

    The kernel sends a cell's printed text in as many messages as its output buffer
    was flushed, which depends on timing (a busy machine flushes more often); joined,
    the executed copy holds the same bytes however the text arrived.

    Parameters
    ----------
    cells : list of notebook cells
        Cells as nbformat reads them (code cells carry ``outputs``).
    """
    for cell in cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        joined: list = []
        for out in outputs:
            prev = joined[-1] if joined else None
            if (
                prev is not None
                and out.get("output_type") == "stream"
                and prev.get("output_type") == "stream"
                and out.get("name") == prev.get("name")
            ):
                prev["text"] = _text(prev["text"]) + _text(out["text"])
            else:
                joined.append(out)
        cell["outputs"] = joined


def _text(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)
