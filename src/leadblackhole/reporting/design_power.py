"""The default design's power, from the design diagnosis, beside simulated estimates.

``make evidence`` runs the design diagnosis of the default simulated design at several
sample sizes (200 studies per cell) and writes, beside this module,
``design_power.csv``: for each estimator, number of analysable reps and hypothesis, the
share of studies in which the effect was significant with its published sign (the
power). On simulated data the report sets that power beside each estimate, so a
hypothesis that this sample does not support reads as what it is: an effect the design
detects only some of the time.
"""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd

__all__ = ["design_power"]


def design_power(estimator: str, n_reps: int | None) -> tuple[int, pd.Series] | None:
    """The default design's power of each hypothesis at the sample size nearest ``n_reps``.

    Parameters
    ----------
    estimator : str
        The model whose power is wanted (``dirichlet_rounded``, ``dirichlet``, ...).
    n_reps : int or None
        The analysable reps of the survey (the nearest diagnosed size is used; 461,
        the study's, when None).

    Returns
    -------
    (int, Series) or None
        The diagnosed number of reps used and the power by hypothesis id; None when the
        estimator was not diagnosed.

    Examples
    --------
    >>> n, power = design_power("dirichlet_rounded", 461)
    >>> n, bool(0.0 <= power["H1"] <= 1.0)
    (461, True)
    """
    text = resources.files(__package__).joinpath("design_power.csv").read_text("utf-8")
    table = pd.read_csv(io.StringIO(text), comment="#")
    rows = table[table["estimator"] == estimator]
    if rows.empty:
        return None
    sizes = sorted(set(rows["n_reps"].astype(int)))
    target = 461 if n_reps is None else int(n_reps)
    n = min(sizes, key=lambda s: (abs(s - target), s))
    at = rows[rows["n_reps"] == n]
    return n, pd.Series(at["power"].to_numpy(float), index=at["id"].astype(str))
