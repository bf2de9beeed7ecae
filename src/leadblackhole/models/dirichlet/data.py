"""Inputs of a Dirichlet regression: the shares and the designs, checked and laid out.

What :class:`~leadblackhole.models.dirichlet.DirichletRegression` does with
its data before it estimates anything: the shares are validated, normalized
and compressed (:func:`prepare_shares`); the mean designs are laid out by
equation (:func:`exog_frames`) and aligned with the shares
(:func:`check_rows`); a formula is parsed into the components and the designs
(:func:`formula_designs`), whose specs rebuild the designs of new data
(:func:`spec_frames`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from leadblackhole.compositions import compress_shares
from leadblackhole.exceptions import EstimationError, ZeroShareWarning

from ..design import as_frame, design_from_formula, numeric_matrix, split_top_level
from .options import PRECISION_EQUATION

__all__ = [
    "NORMALIZATION_TOL",
    "check_rows",
    "exog_frames",
    "formula_designs",
    "prepare_shares",
    "spec_frames",
]

#: Rows whose sum differs from 1 by more than this are reported as normalized
#: (DR_data's default tolerance, the square root of the machine epsilon).
NORMALIZATION_TOL = math.sqrt(np.finfo(float).eps)


def prepare_shares(endog: pd.DataFrame) -> tuple[np.ndarray, int, int]:
    """Validate, normalize and compress the shares.

    Parameters
    ----------
    endog : DataFrame, shape (n, K)
        Shares of the K components.

    Returns
    -------
    y : ndarray, shape (n, K)
        The shares, each row divided by its sum and compressed
        (:func:`leadblackhole.compositions.compress_shares`) when a share is
        0 or 1.
    n_normalized : int
        Rows whose sum differed from 1 by more than :data:`NORMALIZATION_TOL`.
    n_compressed : int
        Rows that held a share of 0 or 1.

    Raises
    ------
    EstimationError
        Fewer than 2 components, no rows, non-numeric, missing, infinite or
        negative values, a row of zeros or a component that is zero in
        every row.

    Warns
    -----
    UserWarning
        When rows were normalized (how many, the largest deviation).
    ZeroShareWarning
        When the shares were compressed (how many rows).

    Examples
    --------
    >>> y, n_norm, n_comp = prepare_shares(pd.DataFrame({"a": [0.2, 0.5], "b": [0.8, 0.5]}))
    >>> y.tolist(), n_norm, n_comp
    ([[0.2, 0.8], [0.5, 0.5]], 0, 0)
    """
    if endog.shape[1] < 2:
        raise EstimationError(
            f"endog must have at least 2 components (columns); got {endog.shape[1]}"
        )
    y = numeric_matrix(endog, "endog")
    n, big_k = y.shape
    if n == 0:
        raise EstimationError("endog has no rows")
    if (y < 0).any():
        rows = endog.index[np.flatnonzero((y < 0).any(axis=1))[:5]].tolist()
        raise EstimationError(f"endog contains negative shares (rows {rows})")
    sums = y.sum(axis=1)
    if (sums == 0).any():
        rows = endog.index[np.flatnonzero(sums == 0)[:5]].tolist()
        raise EstimationError(f"endog has rows whose shares are all zero (rows {rows})")
    empty = [endog.columns[k] for k in range(big_k) if (y[:, k] == 0).all()]
    if empty:
        raise EstimationError(f"component(s) {empty} are zero in every row; drop them from endog")
    off = np.abs(sums - 1.0) > NORMALIZATION_TOL
    n_normalized = int(off.sum())
    y = y / sums[:, None]
    if n_normalized:
        warnings.warn(
            f"{n_normalized} row(s) of endog do not sum to 1 (largest deviation "
            f"{np.abs(sums - 1.0).max():.3g}); every row was divided by its sum",
            UserWarning,
            stacklevel=3,
        )
    y, n_compressed = compress_shares(y)
    if n_compressed:
        warnings.warn(
            f"{n_compressed} of {n} row(s) of endog contain shares of 0 or 1; all "
            f"shares were compressed as y' = (y (n - 1) + 1/K) / n with n = {n}, K = {big_k}",
            ZeroShareWarning,
            stacklevel=3,
        )
    return y, n_normalized, n_compressed


def check_rows(frame: pd.DataFrame, what: str, endog: pd.DataFrame) -> None:
    """Raise EstimationError unless a design has the rows of the shares, in their order.

    Parameters
    ----------
    frame : DataFrame
        A design.
    what : str
        Its description, used in the messages.
    endog : DataFrame
        The shares.

    Raises
    ------
    EstimationError
        When the numbers of rows or the indexes differ.

    Examples
    --------
    >>> check_rows(pd.DataFrame({"x": [1.0, 2.0]}), "exog", pd.DataFrame({"a": [0.5, 0.5]}))
    """
    if len(frame) != len(endog):
        raise EstimationError(
            f"{what} has {len(frame)} rows but endog has {len(endog)}; they must match"
        )
    if not frame.index.equals(endog.index):
        raise EstimationError(
            f"the index of {what} differs from the index of endog; align the rows "
            "(for example with .loc[endog.index]) or reset both indexes"
        )


def exog_frames(exog: Any, parametrization: str, endog_names: list[str]) -> dict[str, pd.DataFrame]:
    """The mean design of each equation, as tables.

    Parameters
    ----------
    exog : DataFrame, array-like or dict of them
        One design shared by every equation, or (common parametrization) a
        dict ``{component: design}``.
    parametrization : {"alternative", "common"}
        The model's parametrization.
    endog_names : list of str
        The components.

    Returns
    -------
    dict of str to DataFrame
        ``{component: design}`` for the common parametrization (one shared
        table repeated when ``exog`` is not a dict); ``{"": design}`` for the
        alternative one.

    Raises
    ------
    EstimationError
        A dict of designs with the alternative parametrization, or keys that
        are not the components; the errors of
        :func:`~leadblackhole.models.design.as_frame`.

    Examples
    --------
    >>> list(exog_frames(np.ones((3, 1)), "common", ["a", "b"]))
    ['a', 'b']
    """
    if isinstance(exog, Mapping):
        if parametrization != "common":
            raise EstimationError(
                "a dict of exog (one design per component) requires "
                "parametrization='common'; received parametrization="
                f"{parametrization!r}"
            )
        keys = [str(k) for k in exog]
        if sorted(keys) != sorted(endog_names):
            raise EstimationError(
                f"the keys of the exog dict must be the components {endog_names}; received {keys}"
            )
        frames = {str(k): v for k, v in exog.items()}
        return {c: as_frame(frames[c], f"exog[{c!r}]", prefix="x") for c in endog_names}
    shared = as_frame(exog, "exog", prefix="x")
    if parametrization == "common":
        return {c: shared for c in endog_names}
    return {"": shared}


def formula_designs(
    formula: str, data: pd.DataFrame, precision_formula: str, parametrization: str
) -> tuple[list[str], Any, pd.DataFrame | None, dict[str, Any], str]:
    """Components and designs of a model formula.

    Parameters
    ----------
    formula : str
        ``"a + b + c ~ rhs"``, see
        :meth:`~leadblackhole.models.dirichlet.DirichletRegression.from_formula`.
    data : DataFrame
        Data holding the components and the variables of the formulas.
    precision_formula : str
        Right side of the precision model (alternative parametrization).
    parametrization : {"alternative", "common"}
        The model's parametrization.

    Returns
    -------
    components : list of str
        The component columns (left side).
    exog : DataFrame or dict of DataFrame
        The mean design, or one per component (common parametrization).
    exog_precision : DataFrame or None
        The precision design (alternative parametrization).
    specs : dict
        The formulaic specs of the designs (``None`` for ``"1"``), keyed
        ``"exog"``, the components or ``"precision"``: :func:`spec_frames`
        rebuilds the designs of new data from them.
    precision_formula : str
        The precision formula, taken from after ``|`` when given there.

    Raises
    ------
    EstimationError
        ``data`` not a DataFrame, a malformed formula, components missing
        from ``data`` or fewer than 2, a wrong number of ``|`` parts, a
        precision model given twice or with the common parametrization,
        and the errors of
        :func:`~leadblackhole.models.design.design_from_formula`.

    Examples
    --------
    >>> data = pd.DataFrame({"a": [0.2, 0.5, 0.3], "b": [0.8, 0.5, 0.7], "x": [1.0, 2.0, 4.0]})
    >>> components, exog, z, specs, prec = formula_designs("a + b ~ x", data, "1", "alternative")
    >>> components, exog.columns.tolist(), z.columns.tolist(), prec
    (['a', 'b'], ['Intercept', 'x'], ['Intercept'], '1')
    """
    if not isinstance(data, pd.DataFrame):
        raise EstimationError("data must be a pandas DataFrame")
    if formula.count("~") != 1:
        raise EstimationError(
            f"formula must have the form 'a + b + c ~ x1 + x2'; received {formula!r}"
        )
    lhs, rhs = (s.strip() for s in formula.split("~"))
    components = [c.strip() for c in lhs.split("+") if c.strip()]
    missing = [c for c in components if c not in data.columns]
    if missing:
        raise EstimationError(f"component column(s) {missing} not found in data")
    if len(components) < 2:
        raise EstimationError(
            f"endog must have at least 2 components (columns); got {len(components)}"
        )
    parts = split_top_level(rhs, "|")
    specs: dict[str, Any] = {}
    exog: pd.DataFrame | dict[str, pd.DataFrame]
    exog_precision = None
    if parametrization == "common":
        if len(parts) == 1:
            exog, specs["exog"] = design_from_formula(parts[0], data, "mean model")
        elif len(parts) == len(components):
            exog = {}
            for comp, part in zip(components, parts, strict=True):
                exog[comp], specs[comp] = design_from_formula(part, data, f"{comp!r}")
        else:
            raise EstimationError(
                f"the right side must hold 1 or {len(components)} formulas separated by "
                f"'|' for the common parametrization; received {len(parts)}"
            )
        if precision_formula.strip() != "1":
            raise EstimationError(
                "precision_formula applies to the alternative parametrization only"
            )
    else:
        if len(parts) > 2:
            raise EstimationError(
                "the right side of an alternative-parametrization formula holds at most "
                f"2 parts ('x | z'); received {len(parts)}"
            )
        if len(parts) == 2:
            if precision_formula.strip() != "1":
                raise EstimationError(
                    "the precision model is given twice: after '|' in formula and in "
                    "precision_formula"
                )
            precision_formula = parts[1]
        exog, specs["exog"] = design_from_formula(parts[0], data, "mean model")
        exog_precision, specs[PRECISION_EQUATION] = design_from_formula(
            precision_formula, data, "precision model"
        )
    return components, exog, exog_precision, specs, precision_formula


def spec_frames(specs: Mapping[str, Any], data: Any) -> dict[str, pd.DataFrame]:
    """The designs of new data, rebuilt from the specs of :func:`formula_designs`.

    Parameters
    ----------
    specs : mapping of str to formulaic ModelSpec or None
        The specs of a model built from a formula (``None``: intercept only).
    data : DataFrame
        New data holding the variables of the formulas.

    Returns
    -------
    dict of str to DataFrame
        The designs, keyed like ``specs``.

    Raises
    ------
    EstimationError
        When ``data`` is not a DataFrame or a design cannot be built from it.

    Examples
    --------
    >>> spec_frames({"precision": None}, pd.DataFrame({"x": [1.0, 2.0]}))["precision"].shape
    (2, 1)
    """
    if not isinstance(data, pd.DataFrame):
        raise EstimationError("exog must be a DataFrame of new data")
    frames = {}
    for key, spec in specs.items():
        if spec is None:  # intercept-only formula "1"
            frames[key] = pd.DataFrame({"Intercept": np.ones(len(data))})
            continue
        try:
            frames[key] = pd.DataFrame(spec.get_model_matrix(data))
        except Exception as exc:
            raise EstimationError(f"cannot build the design for new data: {exc}") from exc
    return frames
