"""Results of the rounding-aware Dirichlet regression.

:class:`RoundedDirichletResults` are the results of
:meth:`~leadblackhole.models.dirichlet.rounded.RoundedDirichletRegression.fit`:
those of the exact-share fit
(:class:`~leadblackhole.models.dirichlet.results.DirichletRegressionResults`)
with the rounding step, the fit options, the likelihood-ratio test and the
summary of the rounding-aware model.
"""

from __future__ import annotations

from typing import Any

from leadblackhole.exceptions import EstimationError

from .results import DirichletRegressionResults

__all__ = ["RoundedDirichletResults"]


class RoundedDirichletResults(DirichletRegressionResults):
    r"""Immutable results of :meth:`RoundedDirichletRegression.fit`.

    The interface of :class:`DirichletRegressionResults`: ``params`` and
    ``bse`` indexed by (equation, term) with equations the two non-base
    components and ``precision``; ``cov_params()``, ``llf``, ``nobs``,
    ``predict`` (expected shares, Dirichlet parameters, precisions),
    ``conf_int``, ``summary``. :func:`leadblackhole.effects.model_effects`
    reads it as a Dirichlet mean model.

    Notes
    -----
    Standard errors: square roots of the diagonal of the inverse of the
    negative analytic Hessian (observed information) of the quadrature
    log-likelihood at the estimate. ``llf`` is the log of a probability (of the
    reported cells), not of a density: it is not comparable with the
    log-likelihood of the exact-share model (it is about
    :math:`2 n \log(h/100)` lower). ``resid`` measures from the cell midpoints.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from leadblackhole.models.dirichlet import RoundedDirichletRegression
    >>> rng = np.random.default_rng(1)
    >>> y = rng.dirichlet([3.0, 4.0, 5.0], size=200)
    >>> pct = pd.DataFrame(np.round(100 * y[:, :2] / 5) * 5, columns=["marketing", "self"])
    >>> pct["other"] = 100 - pct.sum(axis=1)
    >>> res = RoundedDirichletRegression(pct, pd.DataFrame({"Intercept": np.ones(200)}), 5).fit()
    >>> res.step
    5.0
    """

    @property
    def step(self) -> float:
        """The rounding step of the model (percentage points)."""
        return self.model.step

    model_name = "dirichlet_rounded"

    @property
    def fit_options(self) -> dict[str, Any]:
        """Options of ``fit_share_model(frame, "dirichlet_rounded", ...)`` that reproduce this fit.

        The step is fixed (not re-detected on a resample); the estimates are
        included as ``start_params`` (warm starts for bootstrap refits).
        """
        opts: dict[str, Any] = {"step": self.step, "cov_type": self.cov_type}
        if self.model.precision_formula not in (None, "1"):
            opts["precision"] = self.model.precision_formula
        return opts | {"start_params": self.params}

    def lr_test(self, restricted):
        """Likelihood-ratio test of a nested rounding-aware fit on the same cells.

        Parameters
        ----------
        restricted : RoundedDirichletResults
            Fit of a nested model on the same reported percents and step.

        Returns
        -------
        LikelihoodRatioTest

        Raises
        ------
        EstimationError
            When ``restricted`` is not a rounding-aware fit on the same cells,
            and as :meth:`DirichletRegressionResults.lr_test`.
        """
        same = isinstance(restricted, RoundedDirichletResults) and restricted.model.cells.equals(
            self.model.cells
        )
        if not same:
            raise EstimationError(
                "restricted must be a rounding-aware fit on the same reported percents and step"
            )
        return super().lr_test(restricted)

    def summary(self, alpha: float = 0.05) -> str:
        """Text summary of the fit (see :meth:`DirichletRegressionResults.summary`).

        Parameters
        ----------
        alpha : float, default 0.05
            Level of the confidence intervals.

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from leadblackhole.models.dirichlet import RoundedDirichletRegression
        >>> pct = pd.DataFrame({"a": [35.0, 10, 50, 20], "b": [30.0, 40, 25, 20]})
        >>> pct["other"] = 100 - pct.sum(axis=1)
        >>> res = RoundedDirichletRegression(pct, pd.DataFrame({"Intercept": np.ones(4)}), 5).fit()
        >>> res.summary().splitlines()[0].strip()
        'Rounding-aware Dirichlet regression results'
        """
        text = super().summary(alpha)
        lines = text.splitlines()
        width = len(lines[1])
        lines[0] = "Rounding-aware Dirichlet regression results".center(width)
        lines.append(
            f"Note: reported percents treated as rounded to multiples of {self.step:g}; "
            "the likelihood is the probability of each rep's cell."
        )
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return (
            f"<RoundedDirichletResults: step={self.step:g}, nobs={self.nobs}, "
            f"k_params={self.df_model}, llf={self.llf:.4f}, converged={self.converged}>"
        )
