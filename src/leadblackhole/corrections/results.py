"""The results of a corrected main model: :class:`CorrectedResults`.

A correction (for measurement error, :func:`~leadblackhole.corrections.fit_eiv`;
for common-method variance, :func:`~leadblackhole.corrections.fit_marker`) fits
the main model to corrected data; its standard errors carry the first step's
sampling error, from the stacked two-step sandwich (the default) or a bootstrap of
both steps. Its results offer the package's results interface
(:class:`~leadblackhole.models.ShareResults`: the estimates of the second step with
that covariance, so ``tidy()``, ``fit_stats()``, Wald tests and the regression table
work unchanged) and, in ``effects``, the registry effects with their standard errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..models import ShareResults

__all__ = ["CorrectedResults"]


class CorrectedResults(ShareResults):
    """A main model fitted to corrected data, with standard errors that account for both steps.

    Attributes
    ----------
    model_name : str
        ``<main>_eiv`` or ``<main>_marker`` (``dirichlet_eiv``, ``dirichlet_rounded_marker``...).
    point : ShareResults
        The second-step fit on the full sample (its own covariance ignores the
        first step: ``point.cov_params()`` is kept for comparison).
    effects : DataFrame
        The registry effects in the layout of ``hypotheses.csv``
        (:data:`leadblackhole.effects.HYPOTHESIS_COLUMNS`), standard errors of
        ``std_errors``, normal intervals and two-sided p-values.
    data : DataFrame
        The corrected analysis data the second step was fitted on (the
        calibrated scale scores, or the estimated method factor ``method``):
        average effects of this model are taken over these rows.
    correction : str
        ``"calibration"`` or ``"marker"``.
    first_step : Series
        What the first step estimated (the scales' reliabilities; the method
        loading and the CMV test of the marker model).
    boot_params, boot_effects : DataFrame or None
        One row per successful bootstrap replicate: the parameters, and the
        registry effects by id (``None`` with sandwich standard errors).
    n_boot, n_failed : int
        Replicates asked for and replicates whose fit failed (left out); 0 with
        sandwich standard errors.
    seed : int
        Seed of the bootstrap.
    std_errors : {"sandwich", "bootstrap"}
        Where the standard errors come from: the stacked two-step sandwich
        (:mod:`leadblackhole.corrections.sandwich`) or the bootstrap replicates.
    """

    def __init__(
        self,
        model_name: str,
        point: ShareResults,
        cov: np.ndarray,
        effects: pd.DataFrame,
        data: pd.DataFrame,
        correction: str,
        first_step: pd.Series,
        boot_params: pd.DataFrame | None,
        boot_effects: pd.DataFrame | None,
        n_boot: int,
        n_failed: int,
        seed: int,
        fit_options: dict[str, Any],
        std_errors: str = "bootstrap",
    ) -> None:
        set_ = object.__setattr__
        set_(self, "model_name", model_name)
        set_(self, "point", point)
        set_(self, "_cov", pd.DataFrame(cov, index=point.params.index, columns=point.params.index))
        set_(self, "effects", effects)
        set_(self, "data", data)
        set_(self, "correction", correction)
        set_(self, "first_step", first_step)
        set_(self, "boot_params", boot_params)
        set_(self, "boot_effects", boot_effects)
        set_(self, "n_boot", int(n_boot))
        set_(self, "n_failed", int(n_failed))
        set_(self, "seed", int(seed))
        set_(self, "fit_options", dict(fit_options))
        set_(self, "std_errors", str(std_errors))
        set_(self, "converged", bool(point.converged))
        set_(self, "llf", float(point.llf))

    @property
    def params(self) -> pd.Series:
        """Second-step estimates, indexed by (equation, term)."""
        return self.point.params

    def cov_params(self) -> pd.DataFrame:
        """Covariance of the estimates: the two-step sandwich, or over the bootstrap replicates."""
        return self._cov

    @property
    def std_errors_note(self) -> str:
        """Where the standard errors come from, in words (the regression table's note).

        Examples
        --------
        >>> res.std_errors_note                                  # doctest: +SKIP
        'two-step sandwich standard errors (the first step's estimation error included)'
        """
        if self.std_errors == "sandwich":
            return "two-step sandwich standard errors (the first step's estimation error included)"
        return f"standard errors from a bootstrap of both steps ({self.n_boot} replicates)"

    @property
    def nobs(self) -> int:
        """Number of reps."""
        return int(self.point.nobs)

    @property
    def k_llf(self) -> int:
        """Parameters of the second step's likelihood."""
        return int(self.point.k_llf)

    @property
    def link(self):
        """The main model's link (softmax over the three shares)."""
        return self.point.link

    @property
    def mean_design(self) -> np.ndarray | None:
        """The second step's design on the corrected data."""
        return self.point.mean_design


def bootstrap_inference(
    estimate: np.ndarray, se: np.ndarray, alpha: float
) -> dict[str, np.ndarray]:
    """z statistic, two-sided p-value and normal interval from a bootstrap standard error."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = estimate / se
    crit = stats.norm.ppf(1 - alpha / 2)
    return {
        "std_error": se,
        "statistic": z,
        "p_value": 2 * stats.norm.sf(np.abs(z)),
        "conf_low": estimate - crit * se,
        "conf_high": estimate + crit * se,
    }
