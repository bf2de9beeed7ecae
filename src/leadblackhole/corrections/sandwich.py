r"""Two-step sandwich standard errors of the corrected main models.

Both corrections replace or add second-step columns that are linear in per-rep
variables, with coefficients that are smooth functions of sample moments:

.. math::

    C = U\,\Phi(\hat m), \qquad U = [\mathbf 1, V], \qquad
    \hat m = (\bar V, \operatorname{vech} S_{VV}, \hat\rho),

where :math:`C` holds the corrected columns (the calibrated scale scores of the
errors-in-variables correction; the predicted method factor of the marker
correction), :math:`V` the variables the prediction reads and :math:`\hat\rho`
further first-step estimates (the scales' reliabilities, themselves functions of
the item covariances). Every piece has a per-rep influence:
:math:`\bar V` has :math:`V_i - \bar V`, a covariance
:math:`(V_{ia} - \bar V_a)(V_{ib} - \bar V_b) - S_{ab}`, a reliability the
derivative of its function of the item covariances times theirs, and
:math:`\hat\Phi - \Phi \approx n^{-1}\sum_i \psi_i` with
:math:`\psi_i = J\,\mathrm{IF}_i(\hat m)`, :math:`J = \partial\operatorname{vec}\Phi/\partial m`
by central differences (:func:`linear_first_step`).

The second step solves :math:`\sum_i s_i(\theta, \hat\Phi) = 0`; with
:math:`H_{22}` its Hessian and :math:`H_{21} = \sum_i \partial s_i/\partial\operatorname{vec}\Phi
= \sum_i \sum_j (\partial s_i/\partial C_{ij})\,U_i^\top`,

.. math::

    \hat\theta - \theta \approx A\sum_i q_i, \qquad A = (-H_{22})^{-1}, \qquad
    q_i = s_i + n^{-1} H_{21}\psi_i,

the stacked estimating-equations sandwich (Newey & McFadden 1994, section 6;
the ``robust`` form of :func:`leadblackhole.models.two_step.two_step_covariance`).
The derivative of a rep's score by its own corrected value,
:math:`\partial s_i/\partial C_{ij}`, is a central difference of the model's
``score_obs`` on the mean design moved along the design's derivative by
:math:`C_j` (interactions included), so no model is refitted.

A registry effect is an average over reps, :math:`\hat\delta = n^{-1}\sum_i
e(x_i(\hat\Phi), \hat\theta)`, so its influence has three parts: the rep's own
effect, the second step's estimate, and the first step through the corrected
columns at which the effect is evaluated,

.. math::

    w_i = n^{-1}(e_i - \hat\delta) + G_\theta A q_i + n^{-1} G_\Phi \psi_i,

with :math:`G_\theta` the effects engine's gradient and :math:`G_\Phi = n^{-1}\sum_i
\sum_j (\partial e_i/\partial C_{ij})\,U_i^\top` (central differences of the
per-rep effects on the moved designs). The variances are
:math:`A\,(\sum_i \tilde q_i\tilde q_i^\top)\,A` and :math:`\sum_i \tilde w_i^2`, where
the tilde centres within each firm: the sampling scheme of the bootstrap these
standard errors replace (reps resampled within firms), whose first-order
variance they are. Both are multiplied by :math:`n / (n - k_2)`, :math:`k_2` the
second step's parameters (the small-sample factor of HC1 covariances, which the
control function's first stage also uses): without it the sandwich standard
errors of the default study (461 reps, 37 parameters) were about 5% below the
spread of the estimates over simulated studies (docs/corrections.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..effects import EffectSpec, ShareModel
from ..effects.engine import EffectsEngine
from ..registry import HYPOTHESES
from ..shares import term_derivative

__all__ = [
    "LinearFirstStep",
    "SandwichInference",
    "covariance_influence",
    "linear_first_step",
    "sandwich_inference",
]

#: Rows of the per-rep moment influences formed at a time (bounds their memory).
_BLOCK = 4096
#: Relative step of the central differences by the moments of a first step (closed forms).
_MOMENT_STEP = 1e-5
#: Relative step of the central differences by the item covariances of a reliability (an
#: iterative fit, converged to a gradient of about 1e-9: a larger step keeps its noise small).
_RELIABILITY_STEP = 1e-3
#: Step of the central differences by a corrected column, relative to its standard deviation.
_COLUMN_STEP = 1e-4


def _vech_index(p: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(p)


def _unvech(values: np.ndarray, p: int, iu=None) -> np.ndarray:
    iu = _vech_index(p) if iu is None else iu
    out = np.zeros((p, p))
    out[iu] = values
    out[iu[1], iu[0]] = values
    return out


def _central_jacobian(fn: Callable[[np.ndarray], np.ndarray], x0, steps) -> np.ndarray:
    """Central-difference Jacobian of ``fn`` (vector in, vector out) at ``x0``."""
    cols = []
    for k, h in enumerate(steps):
        up, down = x0.copy(), x0.copy()
        up[k] += h
        down[k] -= h
        cols.append((np.asarray(fn(up)) - np.asarray(fn(down))).ravel() / (2 * h))
    return np.column_stack(cols)


def covariance_influence(
    values: np.ndarray,
    fn: Callable[[np.ndarray], float] | None = None,
    step: float = _RELIABILITY_STEP,
    gradient: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    r"""Per-rep influence of a smooth function of a covariance matrix (complete rows).

    Parameters
    ----------
    values : ndarray (n, k)
        The variables; rows with a missing value are left out of the covariance
        (and get influence 0).
    fn : callable, optional
        ``fn(cov) -> float`` of the ``k x k`` sample covariance (``ddof=1``),
        differentiated by central differences.
    step : float
        Step of those differences, relative to :math:`\sqrt{S_{aa}S_{bb}}` for
        the entry :math:`(a, b)`.
    gradient : callable, optional
        ``gradient(cov) -> ndarray``: the derivative of the function by the
        upper-triangle entries of the covariance (``numpy.triu_indices`` order,
        an off-diagonal entry moving both of its elements), when it is known;
        then ``fn`` is not needed.

    Returns
    -------
    ndarray (n,)
        :math:`\psi_i` with :math:`f(\hat S) - f(S) \approx n^{-1}\sum_i\psi_i`:
        :math:`(n / n_c)\,\nabla f\cdot\operatorname{vech}((x_i - \bar x)(x_i - \bar x)^\top
        - \hat S_0)` for the :math:`n_c` complete rows, where :math:`\hat S_0` is the
        covariance with divisor :math:`n_c`.

    Examples
    --------
    The variance of a mean of two variables: its influence is that of a variance.

    >>> x = np.random.default_rng(0).standard_normal((500, 2))
    >>> psi = covariance_influence(x, lambda s: s.sum() / 4)
    >>> m = x.mean(axis=1)
    >>> bool(np.allclose(psi, (m - m.mean()) ** 2 - m.var(), atol=1e-8))
    True
    """
    x = np.asarray(values, dtype=float)
    complete = np.isfinite(x).all(axis=1)
    block = x[complete]
    n, k = x.shape
    nc = block.shape[0]
    cov = np.cov(block, rowvar=False).reshape(k, k)
    iu = _vech_index(k)
    if gradient is not None:
        grad = np.asarray(gradient(cov), dtype=float)
    else:
        sd = np.sqrt(np.diag(cov))
        grad = _central_jacobian(
            lambda v: np.array([fn(_unvech(v, k))]), cov[iu], step * sd[iu[0]] * sd[iu[1]]
        )[0]
    d = block - block.mean(axis=0)
    out = np.zeros(n)
    out[complete] = (n / nc) * ((d[:, iu[0]] * d[:, iu[1]] - cov[iu] * (nc - 1) / nc) @ grad)
    return out


@dataclass(frozen=True, eq=False)
class LinearFirstStep:
    r"""Corrected columns :math:`C = U\Phi` and the per-rep influence of :math:`\Phi`.

    Attributes
    ----------
    names : tuple of str
        The corrected variables (columns of the second step's data, terms of its
        mean design), one per column of :math:`\Phi`.
    u : ndarray (n, 1 + p)
        :math:`U = [\mathbf 1, V]`.
    phi : ndarray (1 + p, k)
        :math:`\Phi` at the sample moments.
    influence : ndarray (n, (1 + p) k)
        :math:`\psi_i`, the influence of :math:`\operatorname{vec}\Phi` (column by
        column: :math:`\Phi_{\cdot 1}`, then :math:`\Phi_{\cdot 2}`, ...).
    """

    names: tuple[str, ...]
    u: np.ndarray
    phi: np.ndarray
    influence: np.ndarray


def linear_first_step(
    names: Sequence[str],
    variables: np.ndarray,
    phi_of: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    extra: Sequence[float] = (),
    extra_influence: np.ndarray | None = None,
) -> LinearFirstStep:
    r"""The first step of a correction: :math:`\Phi` of the sample moments and its influence.

    Parameters
    ----------
    names : sequence of str
        The ``k`` corrected variables.
    variables : ndarray (n, p)
        :math:`V`, complete.
    phi_of : callable
        ``phi_of(mean, cov, extra) -> ndarray (..., 1 + p, k)``: the coefficients
        of the corrected columns on :math:`[1, V]` from the mean and covariance
        (``ddof=1``) of :math:`V` and further first-step estimates, each with a
        leading batch axis (``(..., p)``, ``(..., p, p)``, ``(..., len(extra))``):
        the Jacobian is one call on every moved set of moments.
    extra : sequence of float
        Those further estimates (the reliabilities).
    extra_influence : ndarray (n, len(extra)), optional
        Their per-rep influences (:func:`covariance_influence`); default 0 (known
        values).

    Returns
    -------
    LinearFirstStep

    Examples
    --------
    The mean of :math:`V`, as a "column" :math:`C = \bar V`: its influence is
    :math:`V_i - \bar V`.

    >>> v = np.random.default_rng(1).standard_normal((50, 1))
    >>> def phi_of(mean, cov, extra):
    ...     return np.stack([mean, np.zeros_like(mean)], axis=-2)
    >>> fs = linear_first_step(["m"], v, phi_of)
    >>> bool(np.allclose(fs.influence[:, 0], v[:, 0] - v.mean()))
    True
    """
    V = np.asarray(variables, dtype=float)
    n, p = V.shape
    extra = np.asarray(extra, dtype=float)
    mean = V.mean(axis=0)
    cov = np.cov(V, rowvar=False).reshape(p, p)
    iu = _vech_index(p)
    n_cov = iu[0].size
    m0 = np.concatenate([mean, cov[iu], extra])

    def phi(m: np.ndarray) -> np.ndarray:  # m (b, dim) -> Phi (b, 1 + p, k)
        covs = np.zeros((m.shape[0], p, p))
        covs[:, iu[0], iu[1]] = m[:, p : p + n_cov]
        covs[:, iu[1], iu[0]] = m[:, p : p + n_cov]
        return np.asarray(phi_of(m[:, :p], covs, m[:, p + n_cov :]), dtype=float)

    phi0 = phi(m0[None])[0]
    sd = np.sqrt(np.diag(cov))
    steps = _MOMENT_STEP * np.concatenate(
        [np.maximum(sd, 1e-12), np.maximum(sd[iu[0]] * sd[iu[1]], 1e-12), np.ones(extra.size)]
    )
    # d vec(Phi) / dm (vec column by column), central differences in one batch
    moved = np.diag(steps)
    both = phi(np.vstack([m0 + moved, m0 - moved]))
    diff = both[: m0.size] - both[m0.size :]  # (dim, 1 + p, k)
    jac = (diff.transpose(0, 2, 1).reshape(m0.size, -1) / (2 * steps[:, None])).T
    if extra_influence is None:
        extra_influence = np.zeros((n, extra.size))
    extra_influence = np.asarray(extra_influence, dtype=float).reshape(n, extra.size)
    out = np.empty((n, jac.shape[0]))
    centre = cov[iu] * (n - 1) / n
    for start in range(0, n, _BLOCK):
        rows = slice(start, min(n, start + _BLOCK))
        d = V[rows] - mean
        moments = np.hstack([d, d[:, iu[0]] * d[:, iu[1]] - centre, extra_influence[rows]])
        out[rows] = moments @ jac.T
    u = np.column_stack([np.ones(n), V])
    return LinearFirstStep(tuple(names), u, phi0, out)


@dataclass(frozen=True, eq=False)
class SandwichInference:
    r"""What :func:`sandwich_inference` returns.

    Attributes
    ----------
    cov : ndarray (k2, k2)
        Covariance of the second step's parameters (both steps' sampling error).
    naive_cov : ndarray (k2, k2)
        The same sandwich without the first step's influence (as if it were known).
    ids : list of str
        The registry effects, in registry order.
    estimates, std_errors, naive_std_errors : ndarray (S,)
        Their estimates and standard errors, with and without the first step.
    params_jacobian : ndarray (k2, (1 + p) k)
        :math:`\partial\hat\theta/\partial\operatorname{vec}\Phi = A H_{21}`: how the
        second step's estimates move with the first step's coefficients.
    effects_jacobian : ndarray (S, (1 + p) k)
        :math:`G_\theta A H_{21} + G_\Phi`: how the effects' estimates move with them.
    """

    cov: np.ndarray
    naive_cov: np.ndarray
    ids: list[str]
    estimates: np.ndarray
    std_errors: np.ndarray
    naive_std_errors: np.ndarray
    params_jacobian: np.ndarray
    effects_jacobian: np.ndarray


def _centred_within(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (n, k) minus their mean within each group."""
    out = np.array(values, dtype=float, copy=True)
    for g in np.unique(groups):
        rows = groups == g
        out[rows] -= out[rows].mean(axis=0)
    return out


def sandwich_inference(
    point, data: pd.DataFrame, first: LinearFirstStep, firm: np.ndarray
) -> SandwichInference:
    """Two-step sandwich covariance of a corrected fit and the registry effects' standard errors.

    Parameters
    ----------
    point : ShareResults
        The second step (a Dirichlet or rounding-aware Dirichlet fit with
        ``model.score_obs(params, mean_design=...)``, ``hessian`` and
        ``mean_design``) on the corrected data.
    data : DataFrame
        The corrected analysis data it was fitted on.
    first : LinearFirstStep
        The corrected columns' first step.
    firm : ndarray (n,)
        Firm labels: the influences are centred within firms.

    Returns
    -------
    SandwichInference

    Notes
    -----
    See the module documentation for the formulas.
    """
    n = len(data)
    theta = point.params.to_numpy(dtype=float)
    k2 = theta.size
    x = np.asarray(point.mean_design, dtype=float)
    model = ShareModel.from_results(point)
    terms = list(model.terms)
    plain = {t: x[:, j] for j, t in enumerate(terms) if ":" not in t}
    u, psi = first.u, first.influence
    cols = []  # per corrected column: (step, design derivative)
    for name in first.names:
        dx = term_derivative(terms, plain, name, n)
        h = _COLUMN_STEP * max(float(np.std(plain[name])), 1e-8)
        cols.append((h, dx))
    # the second step's score, Hessian and cross-derivative by vec(Phi)
    scores = point.model.score_obs(theta)
    cross = []
    for h, dx in cols:
        up = point.model.score_obs(theta, mean_design=x + h * dx)
        down = point.model.score_obs(theta, mean_design=x - h * dx)
        cross.append(((up - down) / (2 * h)).T @ u)  # (k2, 1 + p)
    h21 = np.hstack(cross)
    a = np.linalg.inv(-np.asarray(point.hessian, dtype=float))
    a = (a + a.T) / 2
    firm = np.asarray(firm)
    q = _centred_within(firm, scores + psi @ h21.T / n)
    q0 = _centred_within(firm, scores)
    dof = n / (n - k2)
    cov = dof * (a @ (q.T @ q) @ a)
    naive = dof * (a @ (q0.T @ q0) @ a)
    # the registry effects
    rows = [h for h in HYPOTHESES if h.outcome in model.outcomes]
    specs = [EffectSpec(h.outcome, h.predictor, h.moderator) for h in rows]
    engine = EffectsEngine(model, data, x)
    est, _, grad = engine.evaluate(specs)
    per_rep = engine.per_rep(specs)  # (S, n)
    g_phi = []
    for h, dx in cols:
        e_up = EffectsEngine(model, data, x + h * dx).per_rep(specs)
        e_down = EffectsEngine(model, data, x - h * dx).per_rep(specs)
        g_phi.append(((e_up - e_down) / (2 * h)) @ u / n)  # (S, 1 + p)
    g_theta = np.zeros((len(specs), k2))
    g_theta[:, : grad.shape[1]] = grad
    g_phi = np.hstack(g_phi)
    own = (per_rep - est[:, None]).T / n
    w = _centred_within(firm, own + q @ (g_theta @ a).T + psi @ g_phi.T / n)
    w0 = _centred_within(firm, own + q0 @ (g_theta @ a).T)
    return SandwichInference(
        cov=(cov + cov.T) / 2,
        naive_cov=(naive + naive.T) / 2,
        ids=[h.id for h in rows],
        estimates=est,
        std_errors=np.sqrt(dof * (w**2).sum(axis=0)),
        naive_std_errors=np.sqrt(dof * (w0**2).sum(axis=0)),
        params_jacobian=a @ h21,
        effects_jacobian=g_theta @ a @ h21 + g_phi,
    )
