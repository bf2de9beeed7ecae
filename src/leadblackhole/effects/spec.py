"""What an effect computation is given: the model, the effects asked for, the options, the reps.

* :class:`ShareModel`: the mean model of fitted share-model results (link,
  mean coefficients and their covariance); :func:`as_model` accepts either.
* :class:`EffectSpec`: one average over reps of a share level, derivative or
  cross-partial, optionally with variables set to a value.
* :class:`EffectOptions`: the delta-method variance and the test level;
  :func:`resolve_options` checks them and supplies the default.
* :func:`data_of` and :func:`centring_means`: the one unwrapping of an
  analysis frame (or of a bare DataFrame) at the entry of every public
  function: its reps, and the means its variables were centred at
  (:func:`raw_offset`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ..exceptions import EffectsError, EstimationError
from ..models import analysis_data
from ..models.results import Link, ShareResults

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = [
    "VARIANCES",
    "EffectOptions",
    "EffectSpec",
    "ShareModel",
    "as_model",
    "centring_means",
    "data_of",
    "raw_offset",
    "resolve_options",
]

Variance = Literal["unconditional", "conditional"]
VARIANCES: tuple[str, ...] = ("unconditional", "conditional")


@dataclass(frozen=True)
class EffectOptions:
    """Options shared by every effect computation.

    Parameters
    ----------
    variance : {"unconditional", "conditional"}
        Whether the standard error includes the sampling variance of the
        average over reps (see :mod:`leadblackhole.effects.estimates`).
    alpha : float
        Test level; intervals have coverage ``1 - alpha``.

    Raises
    ------
    EffectsError
        An unknown variance or an alpha outside (0, 1).

    Examples
    --------
    >>> EffectOptions(alpha=0.1).variance
    'unconditional'
    """

    variance: Variance = "unconditional"
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.variance not in VARIANCES:
            raise EffectsError(f"variance must be one of {VARIANCES}; received {self.variance!r}")
        a = self.alpha
        if isinstance(a, bool) or not (isinstance(a, float | int) and 0 < a < 1):
            raise EffectsError(f"alpha must lie strictly between 0 and 1; received {a!r}")


def resolve_options(options: EffectOptions | None) -> EffectOptions:
    """The options given, or the default ones.

    Parameters
    ----------
    options : EffectOptions or None

    Returns
    -------
    EffectOptions
        ``options``, or ``EffectOptions()`` for ``None``.

    Raises
    ------
    EffectsError
        When ``options`` is neither.
    """
    if options is None:
        return EffectOptions()
    if not isinstance(options, EffectOptions):
        raise EffectsError(f"options must be an EffectOptions; received {type(options).__name__}")
    return options


@dataclass(frozen=True, eq=False)
class ShareModel:
    """The mean model of a fitted share regression, as the effects need it.

    Build it with :meth:`from_results`.

    Attributes
    ----------
    name : str
        The model's name (the ``model`` column of the tables).
    link : Link
        Mean shares as a function of the linear predictors.
    terms : tuple of str
        Design column names (see :func:`leadblackhole.specification.term_names`).
    coef : ndarray (p, q)
        Mean coefficients, one column per equation of ``link``.
    cov : ndarray (p q, p q)
        Covariance of ``theta = coef.T.ravel()`` (equation by equation).
    results : ShareResults
        The fitted results (their ``fit_options`` reproduce the fit).
    """

    name: str
    link: Link
    terms: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    results: ShareResults = field(repr=False)

    @classmethod
    def from_results(cls, results: ShareResults) -> ShareModel:
        """Extract the mean model from fitted results.

        Parameters
        ----------
        results : ShareResults
            Any fitted share model with a mean-share link.

        Returns
        -------
        ShareModel

        Raises
        ------
        EffectsError
            Results without the interface or without a link, or a non-finite
            covariance of the mean coefficients.
        """
        if not isinstance(results, ShareResults):
            raise EffectsError(
                "expected fitted share-model results (a ShareResults, see "
                f"leadblackhole.models.fit_share_model); received {type(results).__name__}"
            )
        if results.link is None:
            raise EffectsError(
                f"the {results.model_name} model has no mean-share link, so it gives no "
                "share-scale effects"
            )
        try:
            terms, coef, cov = results.mean_arrays()
        except (EstimationError, KeyError) as exc:
            raise EffectsError(f"the mean coefficients cannot be read: {exc}") from None
        if not np.all(np.isfinite(cov)):
            raise EffectsError(
                "the covariance of the mean coefficients is not finite; the model's "
                "Hessian is singular at the estimate"
            )
        return cls(
            name=results.model_name,
            link=results.link,
            terms=tuple(terms),
            coef=coef,
            cov=cov,
            results=results,
        )

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Shares whose effects the model can give."""
        return self.link.outcomes

    @property
    def components(self) -> tuple[str, ...]:
        """Every component of the link."""
        return self.link.components

    @property
    def theta(self) -> np.ndarray:
        """Mean coefficients stacked equation by equation."""
        return self.coef.T.ravel()

    def with_coef(self, coef: np.ndarray) -> ShareModel:
        """A copy with other mean coefficients (layout of :attr:`coef`), e.g. a draw."""
        return replace(self, coef=np.asarray(coef, dtype=float).reshape(self.coef.shape))


@dataclass(frozen=True)
class EffectSpec:
    """One average over reps of a share level, derivative or cross-partial.

    Attributes
    ----------
    outcome : str
        Share the effect is read on.
    predictor : str or None
        Variable to differentiate by; ``None`` for the average predicted share.
    moderator : str or None
        Second variable of a cross-partial; ``None`` for a first derivative.
    at : tuple of (str, float)
        Variables set to a value for every rep before averaging (on the scale
        of the data, i.e. centred for an analysis frame), e.g. the moderator
        of a simple slope.
    """

    outcome: str
    predictor: str | None = None
    moderator: str | None = None
    at: tuple[tuple[str, float], ...] = ()

    @property
    def order(self) -> int:
        """0 (level), 1 (derivative) or 2 (cross-partial)."""
        if self.predictor is None:
            return 0
        return 1 if self.moderator is None else 2


def as_model(results: ShareResults | ShareModel) -> ShareModel:
    """The mean model of fitted results (a :class:`ShareModel` is returned as it is).

    Parameters
    ----------
    results : ShareResults or ShareModel

    Returns
    -------
    ShareModel

    Raises
    ------
    EffectsError
        See :meth:`ShareModel.from_results`.
    """
    if isinstance(results, ShareModel):
        return results
    return ShareModel.from_results(results)


def data_of(frame: AnalysisFrame | pd.DataFrame) -> pd.DataFrame:
    """The reps of an analysis frame (``frame.data``), or a DataFrame laid out like it.

    :func:`leadblackhole.models.analysis_data` with the effects' error class.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame

    Returns
    -------
    DataFrame

    Raises
    ------
    EffectsError
        When ``frame`` is neither.
    """
    try:
        return analysis_data(frame, "the effects")  # the one frame check of the package
    except EstimationError as exc:
        raise EffectsError(str(exc)) from None


def centring_means(frame: AnalysisFrame | pd.DataFrame) -> pd.Series:
    """The means the variables of ``frame`` were centred at (empty for a bare DataFrame).

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame

    Returns
    -------
    Series
        ``frame.means``, or an empty Series when ``frame`` has none.
    """
    means = getattr(frame, "means", None)
    return means if isinstance(means, pd.Series) else pd.Series(dtype=float)


def raw_offset(means: pd.Series, var: str) -> float:
    """What to add to the data's value of ``var`` to get it on its raw scale.

    Parameters
    ----------
    means : Series
        Output of :func:`centring_means`.
    var : str
        A variable.

    Returns
    -------
    float
        Its centring mean, 0 for a variable that was not centred.
    """
    return float(means[var]) if var in means.index else 0.0
