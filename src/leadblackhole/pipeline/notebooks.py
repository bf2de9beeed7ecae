"""The notebook step: a notebook executed in a fresh kernel, its executed copy reproducible."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..exceptions import LeadBlackHoleUserError

__all__ = ["coalesce_streams", "execute_notebook"]


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
    """
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as exc:
        raise LeadBlackHoleUserError(
            f"the notebook command needs nbformat and nbclient ({exc.name} is missing); "
            "install them with: pip install 'leadblackhole[dev]'"
        ) from None

    src = Path(path)
    if not src.is_file():
        raise LeadBlackHoleUserError(f"notebook {src.name} not found")
    nb = nbformat.read(src, as_version=4)
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
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    coalesce_streams(nb.cells)
    return nbformat.writes(nb) + "\n"


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
