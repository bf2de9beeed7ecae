r"""Two-part model of the marketing share: any marketing-lead time, then how much.

The analysis sample holds the reps with some time on marketing leads
(docs/study.md). When the survey also holds reps with none, the unconditional
expected marketing share of a rep is

.. math::

    E[y_{\text{marketing}} \mid x] = \Pr(\text{any} \mid x)\,
        E[y_{\text{marketing}} \mid x, \text{any}]
      = \Phi(x^\top\gamma)\,\operatorname{softmax}_{\text{marketing}}(x^\top B),

a probit of any marketing-lead time (fitted on every rep with complete
predictors, ``frame.selection``) times the conditional share model (the main
model, fitted on the analysis sample). The model is a
:class:`~leadblackhole.models.results.ShareResults` whose link,
:class:`TwoPartLink`, maps the linear predictors of the participation equation
and of the share equations to this product, so the effects engine gives its
average derivatives and cross-partials (over the reps it is given: for the
two-part model every rep of the selection sample) with delta-method standard
errors, unchanged.

Covariance
----------
The two-part log-likelihood is the sum of the probit's log-likelihood over
every rep and the conditional model's over the reps with some marketing time;
the two parts share no parameter, so the information matrix is block diagonal
and the covariance of :math:`(\gamma, B)` is the block-diagonal matrix of the
two fits' covariances (Cragg 1971; Wooldridge 2010, sec. 17.6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from ..exceptions import EstimationError
from ..shares import softmax_effect
from .results import Link, ShareResults, fit_share_model, register_model
from .robustness import SELECTION_OUTCOME, fit_probit, probit_skip_reason

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = ["TwoPartLink", "TwoPartResults", "fit_two_part"]

_SQRT2 = np.sqrt(2.0)


def _phi(x):
    return np.exp(-(x**2) / 2.0) / np.sqrt(2.0 * np.pi)


def _Phi(x):
    return 0.5 * (1.0 + special.erf(x / _SQRT2))


class TwoPartLink(Link):
    r"""Unconditional mean of one share: :math:`\Phi(\eta_0)\,\mathrm{softmax}_k(\eta_{1:})`.

    Parameters
    ----------
    outcome : str
        The share whose unconditional mean is modelled (``"marketing"``).
    share_components : tuple of str
        Components of the conditional softmax, the base included.
    share_equations : tuple of str
        Its non-base equations, in order.
    base : int
        Position of the base in ``share_components``.
    participation : str
        Name of the probit equation (the first equation of the link).

    Notes
    -----
    With :math:`P = \Phi(\eta_0)` and :math:`S = \mathrm{softmax}_k`, the
    derivatives are the product rule:
    :math:`\partial_x(PS) = P_x S + P S_x` with :math:`P_x = \phi(\eta_0) a_0`,
    and :math:`\partial^2_{xm}(PS) = P_{xm}S + P_x S_m + P_m S_x + P S_{xm}`
    with :math:`P_{xm} = \phi(\eta_0)(c_0 - \eta_0 a_0 b_0)`. :math:`\Phi` is
    written with :func:`scipy.special.erf`, which takes complex arguments, so
    the complex-step gradients of the effects engine stay exact. The two
    components are the outcome and ``rest`` (one minus it).

    Examples
    --------
    >>> link = TwoPartLink("marketing", ("marketing", "self", "other"), ("marketing", "self"), 2)
    >>> link.effect(0, np.zeros((1, 3)), 0, 0, 0).round(4).tolist()
    [[0.1667, 0.8333]]
    """

    name = "two_part"

    def __init__(
        self,
        outcome: str,
        share_components: tuple[str, ...],
        share_equations: tuple[str, ...],
        base: int,
        participation: str = SELECTION_OUTCOME,
    ) -> None:
        super().__init__((outcome, "rest"), (participation, *share_equations))
        object.__setattr__(self, "share_components", tuple(share_components))
        object.__setattr__(self, "base", int(base))
        object.__setattr__(self, "k", tuple(share_components).index(outcome))

    @property
    def outcomes(self) -> tuple[str, ...]:  # noqa: D102 - documented on Link
        return self.components[:1]

    def effect(self, order, eta, a, b, c):  # noqa: D102 - documented on Link
        eta = np.asarray(eta)
        shape = eta.shape
        a, b, c = (np.broadcast_to(v, shape) for v in (a, b, c))
        e0, es = eta[..., 0], eta[..., 1:]
        k, base = self.k, self.base

        def s(order_, a_, b_, c_):
            return softmax_effect(order_, es, a_[..., 1:], b_[..., 1:], c_[..., 1:], base)[..., k]

        zero = np.zeros_like(a)
        P = _Phi(e0)
        S = s(0, zero, zero, zero)
        if order == 0:
            out = P * S
        elif order == 1:
            out = _phi(e0) * a[..., 0] * S + P * s(1, a, zero, zero)
        else:
            pdf = _phi(e0)
            px, pm = pdf * a[..., 0], pdf * b[..., 0]
            pxm = pdf * (c[..., 0] - e0 * a[..., 0] * b[..., 0])
            sx, sm = s(1, a, zero, zero), s(1, b, zero, zero)
            out = pxm * S + px * sm + pm * sx + P * s(2, a, b, c)
        out = out[..., None]
        if order == 0:
            return np.concatenate([out, 1.0 - out], axis=-1)
        return np.concatenate([out, -out], axis=-1)


class TwoPartResults(ShareResults):
    """A probit of any marketing-lead time times a conditional share model.

    Parameters
    ----------
    participation : ShareResults
        The probit (:func:`~leadblackhole.models.robustness.fit_probit`),
        equation ``any_marketing``.
    conditional : ShareResults
        The conditional share model with a softmax link (the Dirichlet model,
        the rounding-aware Dirichlet or the fractional multinomial logit).
    fit_options : dict
        Options of ``fit_share_model(frame, "two_part", ...)`` that reproduce the fit.

    Attributes
    ----------
    participation, conditional : ShareResults
    model_name : str
        ``"two_part"``.

    Notes
    -----
    ``params`` stacks the probit's and the conditional model's estimates; the
    covariance is block diagonal (module notes). ``nobs`` is the number of
    reps of the selection sample; ``llf`` the sum of the two log-likelihoods.
    Effects are meant to be averaged over the selection sample
    (``frame.selection``): the unconditional share concerns every rep.
    """

    model_name = "two_part"

    def __init__(
        self, participation: ShareResults, conditional: ShareResults, fit_options: dict[str, Any]
    ) -> None:
        clink = conditional.link
        if clink is None or not hasattr(clink, "base") or "marketing" not in clink.components:
            raise EstimationError(
                "the conditional model of the two-part model needs a softmax link over the "
                f"shares; the {conditional.model_name} model has none"
            )
        peq = participation.params.index.get_level_values(0)[0]
        pterms = [str(t) for t in participation.params.index.get_level_values(1)]
        if pterms != list(conditional.mean_terms):
            raise EstimationError(
                "the probit and the conditional share model have different design terms "
                f"({pterms} vs {list(conditional.mean_terms)}); a firm may have no rep with "
                "marketing-lead time"
            )
        params = pd.concat([participation.params, conditional.params])
        params.index = pd.MultiIndex.from_tuples(list(params.index), names=["equation", "term"])
        p1, p2 = len(participation.params), len(conditional.params)
        cov = np.zeros((p1 + p2, p1 + p2))
        cov[:p1, :p1] = participation.cov_params().to_numpy(dtype=float)
        cov[p1:, p1:] = conditional.cov_params().to_numpy(dtype=float)
        link = TwoPartLink(
            "marketing", clink.components, tuple(clink.equations), clink.base, participation=peq
        )
        set_ = object.__setattr__
        set_(self, "participation", participation)
        set_(self, "conditional", conditional)
        set_(self, "_params", params.rename("coef"))
        set_(self, "_cov", pd.DataFrame(cov, index=params.index, columns=params.index))
        set_(self, "link", link)
        set_(self, "fit_options", dict(fit_options))
        set_(self, "llf", float(participation.llf + conditional.llf))
        set_(self, "converged", bool(participation.converged and conditional.converged))

    @property
    def params(self) -> pd.Series:  # noqa: D102 - documented on ShareResults
        return self._params.copy()

    def cov_params(self) -> pd.DataFrame:  # noqa: D102 - documented on ShareResults
        return self._cov.copy()

    @property
    def nobs(self) -> int:  # noqa: D102 - documented on ShareResults
        return int(self.participation.nobs)

    @property
    def k_llf(self) -> int:  # noqa: D102 - documented on ShareResults
        return int(self.participation.k_llf + self.conditional.k_llf)


@register_model("two_part")
def fit_two_part(
    frame: AnalysisFrame,
    conditional: str = "dirichlet",
    conditional_options: dict[str, Any] | None = None,
    conditional_fit: ShareResults | None = None,
) -> TwoPartResults:
    """Fit the two-part model of the marketing share.

    Parameters
    ----------
    frame : AnalysisFrame
        Output of :func:`leadblackhole.data.build_analysis_frame`: the probit
        uses ``frame.selection``, the conditional model ``frame.data``.
    conditional : str, default "dirichlet"
        Registered share model with a softmax link for the conditional shares
        (``"dirichlet"``, ``"dirichlet_rounded"`` or ``"fmlogit"``).
    conditional_options : dict, optional
        Options of that model's fit.
    conditional_fit : ShareResults, optional
        An already fitted conditional model on ``frame`` (it is not refitted).

    Returns
    -------
    TwoPartResults

    Raises
    ------
    EstimationError
        When the selection sample has no rep without marketing-lead time (or
        no rep with it), the probit cannot be estimated, or the two parts do
        not fit together.

    Examples
    --------
    >>> from leadblackhole.simulation import StudyDesign, simulate
    >>> from leadblackhole.data import build_analysis_frame, validate_survey
    >>> survey, _ = simulate(StudyDesign(n_zero_marketing=40), seed=1)
    >>> res = fit_two_part(build_analysis_frame(validate_survey(survey)))
    >>> res.link.equations
    ('any_marketing', 'marketing', 'self')
    """
    reason = probit_skip_reason(frame)
    if reason is not None:
        raise EstimationError(f"the two-part model cannot be estimated: {reason}")
    probit = fit_probit(frame)
    options = dict(conditional_options or {})
    if conditional_fit is None:
        conditional_fit = fit_share_model(frame, conditional, **options)
    else:
        conditional = conditional_fit.model_name
        options = dict(conditional_fit.fit_options)
    return TwoPartResults(
        probit,
        conditional_fit,
        {"conditional": conditional, "conditional_options": options},
    )
