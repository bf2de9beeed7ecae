"""The notebook step: a notebook executed in a fresh kernel, its executed copy reproducible."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..exceptions import LeadBlackHoleUserError

__all__ = ["execute_notebook"]


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
    return nbformat.writes(nb) + "\n"
