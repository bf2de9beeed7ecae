"""Confirmatory factor analysis of the measurement model.

The model has one factor per scale, every item loading on its own scale's
factor only, uncorrelated residuals and freely correlated factors. Factors are
standardized (variances fixed to 1, all loadings free: lavaan's
``std.lv = TRUE``), the estimator is normal-theory maximum likelihood.

Estimation has two stages. :mod:`semopy` fits the model (``MLW`` objective,
SLSQP); its solution is then polished by Fisher scoring on the same ML fit
function until the largest parameter change is below ``tol``, because SLSQP
stops at a tolerance too loose to reproduce lavaan's estimates to three
decimals. Fisher scoring is also run from default starting values (and from
item-cluster starts when asked) and the solution with the smallest fit
function is kept, since the likelihood can have local minima (the one-factor
model of items from distinct scales typically has one per scale). The statistics are then computed from the polished solution with
lavaan's conventions:

* sample covariance matrix :math:`S` with divisor :math:`N`;
* :math:`F_{ML} = \\log|\\Sigma| + \\operatorname{tr}(S\\Sigma^{-1}) - \\log|S| - p`
  and :math:`\\chi^2 = N F_{ML}` (lavaan, ``likelihood = "normal"``);
  semopy's own statistics use a different sample-size convention and are not
  used;
* standard errors from the expected information,
  :math:`\\operatorname{Var}(\\hat\\theta) = \\frac{2}{N}
  \\bigl[\\operatorname{tr}(\\Sigma^{-1}\\dot\\Sigma_a\\Sigma^{-1}\\dot\\Sigma_b)\\bigr]^{-1}`;
  standardized loadings' standard errors by the delta method
  (``lavaan::standardizedSolution``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from leadblackhole.exceptions import ConvergenceWarning, EstimationError
from leadblackhole.measurement._data import PreparedItems, prepare_items

__all__ = ["FIT_INDICES", "CFAResult", "fit_cfa", "fit_statistics"]

#: Fit indices reported, in this order.
FIT_INDICES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")

# R's all.equal(x, 0) tolerance, used by lavaan to decide that CFI's t1 and t2 are 0.
_ALL_EQUAL_TOL = 1.5e-8


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CFAResult:
    """A fitted CFA measurement model (immutable).

    Attributes
    ----------
    scale_items : tuple of (str, tuple of str)
        Scales and their items, in model order.
    n_obs : int
        Complete rows used (listwise deletion over all items).
    n_rows : int
        Rows of the input before deletion.
    estimates : numpy.ndarray
        Unstandardized estimates (read-only): the loadings item by item, then
        the residual variances item by item, then the factor correlations
        ``(a, b)`` for ``a < b`` in model order.
    vcov : numpy.ndarray
        Covariance matrix of ``estimates`` (expected information, divisor N).
    sample_cov, implied_cov : numpy.ndarray
        Sample covariance (divisor N) and model-implied covariance of the items.
    fmin : float
        Minimum of the ML fit function :math:`F_{ML}`.
    chisq, df, pvalue, cfi, tli, rmsea, srmr : float
        Fit statistics, computed as lavaan 0.6 does (see :func:`fit_statistics`).
    baseline_chisq, baseline_df : float
        Chi-square and df of the independence (baseline) model.
    converged : bool
        Whether Fisher scoring met its tolerance.
    iterations : int
        Fisher-scoring iterations from the reported start.
    start : str
        Starting point of the reported solution: ``"semopy"`` (the semopy
        fit), ``"default"`` (default starting values) or ``"group:<name>"``
        (see ``start_groups`` of :func:`fit_cfa`).
    improper : bool
        True for an improper solution (a negative residual variance or a
        factor correlation outside [-1, 1]); a warning is issued.

    Notes
    -----
    Each factor is oriented so that the loading of the first item of its scale
    is positive (as under marker-variable identification); the likelihood does
    not depend on the sign of a factor.

    Examples
    --------
    >>> res = fit_cfa(items, {"prequal": [...], "tracking": [...]})   # doctest: +SKIP
    >>> res.fit_indices["cfi"]                                           # doctest: +SKIP
    """

    scale_items: tuple[tuple[str, tuple[str, ...]], ...]
    n_obs: int
    n_rows: int
    estimates: np.ndarray
    vcov: np.ndarray
    sample_cov: np.ndarray
    implied_cov: np.ndarray
    fmin: float
    chisq: float
    df: int
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    srmr: float
    baseline_chisq: float
    baseline_df: int
    converged: bool
    iterations: int
    start: str
    improper: bool

    # -- structure ---------------------------------------------------------
    @property
    def scales(self) -> tuple[str, ...]:
        """Scale (factor) names in model order."""
        return tuple(name for name, _ in self.scale_items)

    @property
    def scale_map(self) -> dict[str, list[str]]:
        """A fresh ``{scale: [items]}`` dictionary."""
        return {name: list(its) for name, its in self.scale_items}

    @property
    def items(self) -> tuple[str, ...]:
        """Item names in model order."""
        return tuple(i for _, its in self.scale_items for i in its)

    @property
    def n_params(self) -> int:
        """Number of free parameters."""
        return int(self.estimates.size)

    def _split(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = len(self.items)
        return self.estimates[:p], self.estimates[p : 2 * p], self.estimates[2 * p :]

    # -- tables -----------------------------------------------------------------
    @property
    def fit_indices(self) -> pd.Series:
        """Fit indices ``chisq, df, pvalue, cfi, tli, rmsea, srmr`` as a Series."""
        return pd.Series(
            [float(getattr(self, k)) for k in FIT_INDICES],
            index=list(FIT_INDICES),
            name="value",
            dtype="float64",
        )

    @property
    def fit_table(self) -> pd.DataFrame:
        """Fit indices as a two-column table ``index, value``."""
        s = self.fit_indices
        return pd.DataFrame({"index": list(s.index), "value": s.to_numpy()})

    @property
    def loadings(self) -> pd.DataFrame:
        """Standardized loadings with delta-method SE, z and two-sided p.

        Columns ``scale, item, loading, se, z, p`` (lavaan's
        ``standardizedSolution``: ``est.std, se, z, pvalue``).
        """
        p = len(self.items)
        lam, psi, _ = self._split()
        sig = lam**2 + psi
        std = lam / np.sqrt(sig)
        # d std / d lambda_i and d std / d psi_i
        jac = np.zeros((p, self.n_params))
        jac[np.arange(p), np.arange(p)] = psi / sig**1.5
        jac[np.arange(p), p + np.arange(p)] = -0.5 * lam / sig**1.5
        se = np.sqrt(np.einsum("ia,ab,ib->i", jac, self.vcov, jac))
        return _estimate_table(self._item_rows(), "loading", std, se)

    @property
    def unstandardized(self) -> pd.DataFrame:
        """Unstandardized loadings and residual variances with SE, z, p.

        Columns ``scale, item, parameter, estimate, se, z, p`` where
        ``parameter`` is ``loading`` or ``residual_variance``.
        """
        p = len(self.items)
        se = np.sqrt(np.diag(self.vcov))
        rows = self._item_rows()
        a = _estimate_table(rows, "estimate", self.estimates[:p], se[:p])
        b = _estimate_table(rows, "estimate", self.estimates[p : 2 * p], se[p : 2 * p])
        a.insert(2, "parameter", "loading")
        b.insert(2, "parameter", "residual_variance")
        return pd.concat([a, b], ignore_index=True)

    @property
    def factor_correlations(self) -> pd.DataFrame:
        """Factor correlation matrix, labelled by scale on both axes."""
        m = len(self.scales)
        _, _, phi = self._split()
        mat = np.eye(m)
        iu = np.triu_indices(m, 1)
        mat[iu] = phi
        mat[(iu[1], iu[0])] = phi
        return pd.DataFrame(mat, index=list(self.scales), columns=list(self.scales))

    @property
    def factor_correlation_table(self) -> pd.DataFrame:
        """Factor correlations as pairs: ``scale_a, scale_b, correlation, se, z, p``."""
        m = len(self.scales)
        p = len(self.items)
        _, _, phi = self._split()
        se = np.sqrt(np.diag(self.vcov))[2 * p :]
        iu = np.triu_indices(m, 1)
        rows = [(self.scales[a], self.scales[b]) for a, b in zip(*iu, strict=True)]
        out = _estimate_table(rows, "correlation", phi, se)
        return out.rename(columns={"scale": "scale_a", "item": "scale_b"})

    @property
    def residual_correlations(self) -> pd.DataFrame:
        """Residuals :math:`(s_{ij} - \\hat\\sigma_{ij}) / \\sqrt{s_{ii}s_{jj}}` (the SRMR's terms)."""
        d = np.sqrt(np.diag(self.sample_cov))
        res = (self.sample_cov - self.implied_cov) / np.outer(d, d)
        return pd.DataFrame(res, index=list(self.items), columns=list(self.items))

    def _item_rows(self) -> list[tuple[str, str]]:
        return [(name, i) for name, its in self.scale_items for i in its]


def _estimate_table(
    rows: Sequence[tuple[str, str]], col: str, est: np.ndarray, se: np.ndarray
) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    return pd.DataFrame(
        {
            "scale": [r[0] for r in rows],
            "item": [r[1] for r in rows],
            col: np.asarray(est, dtype=float),
            "se": se,
            "z": z,
            "p": 2.0 * stats.norm.sf(np.abs(z)),
        }
    )


# ---------------------------------------------------------------------------
# fit statistics
# ---------------------------------------------------------------------------


def fit_statistics(
    sample_cov: np.ndarray, implied_cov: np.ndarray, n_obs: int, df: int
) -> dict[str, float]:
    """Chi-square and fit indices of an ML covariance-structure fit, as lavaan computes them.

    Parameters
    ----------
    sample_cov : numpy.ndarray
        Sample covariance matrix :math:`S` (divisor :math:`N`), ``p x p``.
    implied_cov : numpy.ndarray
        Model-implied covariance :math:`\\hat\\Sigma` at the ML estimate.
    n_obs : int
        Sample size :math:`N`.
    df : int
        Model degrees of freedom.

    Returns
    -------
    dict
        ``fmin, chisq, df, pvalue, cfi, tli, rmsea, srmr, baseline_chisq,
        baseline_df``.

    Notes
    -----
    With :math:`F = \\log|\\hat\\Sigma| + \\operatorname{tr}(S\\hat\\Sigma^{-1}) - \\log|S| - p`:

    * :math:`\\chi^2 = N F` (lavaan uses :math:`N`, not :math:`N-1`);
      ``pvalue`` is the upper chi-square tail, NaN when ``df = 0``.
    * Baseline (independence) model: :math:`\\chi^2_0 = N(\\sum_i\\log s_{ii} - \\log|S|)`,
      :math:`df_0 = p(p-1)/2`.
    * CFI :math:`= 1 - t_1/t_2` with :math:`t_1 = \\max(\\chi^2 - df, 0)`,
      :math:`t_2 = \\max(\\chi^2 - df, \\chi^2_0 - df_0, 0)`, and 1 when both are
      0; it is therefore bounded to [0, 1].
    * TLI :math:`= 1 - \\frac{(\\chi^2 - df)\\,df_0}{(\\chi^2_0 - df_0)\\,df}` and 1
      when ``df = 0``. Like lavaan, TLI is **not** truncated: it exceeds 1 when
      :math:`\\chi^2 < df` and can be negative.
    * RMSEA :math:`= \\sqrt{\\max(\\chi^2/(N\\,df) - 1/N,\\ 0)}`, 0 when ``df = 0``.
    * SRMR is lavaan's default for a single-group ML fit (``srmr_bentler``):
      the root mean square of :math:`(s_{ij} - \\hat\\sigma_{ij})/\\sqrt{s_{ii}s_{jj}}`
      over the :math:`p(p+1)/2` elements with :math:`i \\le j` (diagonal included).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([[1.0, 0.3], [0.3, 1.0]])
    >>> fit_statistics(s, s, n_obs=100, df=0)["chisq"]
    0.0
    """
    S = np.asarray(sample_cov, dtype=float)
    sigma = np.asarray(implied_cov, dtype=float)
    p = S.shape[0]
    n = float(n_obs)
    _, logdet_s = np.linalg.slogdet(S)
    _, logdet_sigma = np.linalg.slogdet(sigma)
    fmin = float(logdet_sigma + np.trace(np.linalg.solve(sigma, S)) - logdet_s - p)
    fmin = max(fmin, 0.0)
    chisq = n * fmin
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    base_chisq = float(n * (np.sum(np.log(np.diag(S))) - logdet_s))
    base_df = p * (p - 1) // 2
    # CFI (lavaan lav_fit_cfi)
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, base_chisq - base_df, 0.0)
    cfi = 1.0 if (abs(t1) < _ALL_EQUAL_TOL and abs(t2) < _ALL_EQUAL_TOL) else 1.0 - t1 / t2
    # TLI (lavaan lav_fit_tli): not truncated
    u1 = (chisq - df) * base_df
    u2 = (base_chisq - base_df) * df
    if df > 0 and abs(u2) > 0:
        tli = 1.0 - u1 / u2
    elif not (np.isfinite(u1) and np.isfinite(u2)):
        tli = float("nan")
    else:
        tli = 1.0
    rmsea = float(np.sqrt(max(chisq / n / df - 1.0 / n, 0.0))) if df > 0 else 0.0
    d = np.sqrt(np.diag(S))
    resid = (S - sigma) / np.outer(d, d)
    iu = np.triu_indices(p)
    srmr = float(np.sqrt(np.mean(resid[iu] ** 2)))
    return {
        "fmin": fmin,
        "chisq": float(chisq),
        "df": int(df),
        "pvalue": pvalue,
        "cfi": float(cfi),
        "tli": float(tli),
        "rmsea": rmsea,
        "srmr": srmr,
        "baseline_chisq": base_chisq,
        "baseline_df": int(base_df),
    }


# ---------------------------------------------------------------------------
# the ML engine
# ---------------------------------------------------------------------------


class _Structure:
    """Parameter layout of the simple-structure CFA with standardized factors."""

    def __init__(self, item_factor: np.ndarray, n_factors: int) -> None:
        self.item_factor = np.asarray(item_factor, dtype=int)
        self.p = int(self.item_factor.size)
        self.m = int(n_factors)
        self.iu = np.triu_indices(self.m, 1)
        self.q = 2 * self.p + len(self.iu[0])

    def matrices(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p, m = self.p, self.m
        lam = np.zeros((p, m))
        lam[np.arange(p), self.item_factor] = theta[:p]
        phi = np.eye(m)
        phi[self.iu] = theta[2 * p :]
        phi[(self.iu[1], self.iu[0])] = theta[2 * p :]
        return lam, theta[p : 2 * p], phi

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        lam, psi, phi = self.matrices(theta)
        return lam @ phi @ lam.T + np.diag(psi)

    def derivatives(self, theta: np.ndarray) -> np.ndarray:
        """d Sigma / d theta_a for every parameter, shape (q, p, p)."""
        p = self.p
        lam, _, phi = self.matrices(theta)
        lp = lam @ phi
        d = np.zeros((self.q, p, p))
        for i in range(p):
            a = lp[:, self.item_factor[i]]
            d[i, i, :] += a
            d[i, :, i] += a
        d[p + np.arange(p), np.arange(p), np.arange(p)] = 1.0
        for r, (k, l_) in enumerate(zip(*self.iu, strict=True)):
            outer = np.outer(lam[:, k], lam[:, l_])
            d[2 * p + r] = outer + outer.T
        return d

    def orient(self, theta: np.ndarray, first_items: Sequence[int]) -> np.ndarray:
        """Sign vector making the first item's loading of every factor positive."""
        flip = np.ones(self.m)
        for k, i in enumerate(first_items):
            if theta[i] < 0:
                flip[k] = -1.0
        sign = np.ones(self.q)
        sign[: self.p] = flip[self.item_factor]
        sign[2 * self.p :] = flip[self.iu[0]] * flip[self.iu[1]]
        return sign


def _ml_objective(S: np.ndarray, logdet_s: float, sigma: np.ndarray) -> float:
    try:
        c = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return np.inf
    logdet = 2.0 * np.sum(np.log(np.diag(c)))
    inv_c = np.linalg.inv(c)
    tr = np.sum((inv_c @ S) * inv_c)  # tr(S Sigma^-1) = tr(C^-1 S C^-T)
    return float(logdet + tr - logdet_s - S.shape[0])


def _information(
    struct: _Structure, theta: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (M, A, D) with M_ab = tr(Sigma^-1 D_a Sigma^-1 D_b), A_a = Sigma^-1 D_a Sigma^-1."""
    inv = np.linalg.inv(sigma)
    d = struct.derivatives(theta)
    a = inv @ d @ inv
    m = np.einsum("aij,bji->ab", a, d)
    return 0.5 * (m + m.T), a, d


def _fisher_scoring(
    struct: _Structure, S: np.ndarray, theta: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, bool, int]:
    """Minimise F_ML by Fisher scoring with step halving."""
    _, logdet_s = np.linalg.slogdet(S)
    f = _ml_objective(S, logdet_s, struct.sigma(theta))
    if not np.isfinite(f):
        raise EstimationError(
            "the starting values give a non-positive-definite model covariance matrix"
        )
    for it in range(1, max_iter + 1):
        sigma = struct.sigma(theta)
        m, a, _ = _information(struct, theta, sigma)
        b = np.einsum("aij,ji->a", a, S - sigma)
        try:
            step = np.linalg.solve(m, b)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                "the information matrix is singular: the measurement "
                "model is not identified on these data"
            ) from exc
        t = 1.0
        while True:
            cand = theta + t * step
            f_new = _ml_objective(S, logdet_s, struct.sigma(cand))
            if f_new <= f + 1e-14 * max(1.0, abs(f)) or t < 1e-8:
                break
            t *= 0.5
        if not np.isfinite(f_new):
            break
        theta, f = cand, f_new
        if np.max(np.abs(t * step)) < tol:
            return theta, True, it
    return theta, False, max_iter


@contextmanager
def _quiet_semopy() -> Iterator[None]:
    """Silence semopy's log messages and numerical warnings while it fits."""
    root = logging.getLogger()

    def _drop(record: logging.LogRecord) -> bool:
        return "semopy" not in record.pathname

    root.addFilter(_drop)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                yield
    finally:
        root.removeFilter(_drop)


def _semopy_start(data: pd.DataFrame, struct: _Structure, start: np.ndarray) -> np.ndarray:
    """Fit the model with semopy (std.lv parameterization) and return its estimates."""
    import semopy

    p, m = struct.p, struct.m
    cols = [f"x{i}" for i in range(p)]
    frame = pd.DataFrame(data.to_numpy(), columns=cols)
    lines = []
    for k in range(m):
        its = [i for i in range(p) if struct.item_factor[i] == k]
        lines.append(f"f{k} =~ " + " + ".join(f"l{i}*x{i}" for i in its))
        lines.append(f"f{k} ~~ 1*f{k}")
    lines += [f"START({start[i]:.6f}) l{i}" for i in range(p)]
    with _quiet_semopy():
        model = semopy.Model("\n".join(lines))
        model.fit(frame, obj="MLW", solver="SLSQP")
        est = model.inspect(std_est=False, se_robust=False)
    theta = np.full(struct.q, np.nan)
    for row in est.itertuples(index=False):
        lval, op, rval, value = row[0], row[1], row[2], float(row[3])
        if op == "~" and lval.startswith("x") and rval.startswith("f"):
            theta[int(lval[1:])] = value
        elif op == "~~" and lval.startswith("x") and lval == rval:
            theta[p + int(lval[1:])] = value
        elif op == "~~" and lval.startswith("f") and rval.startswith("f") and lval != rval:
            a, b = sorted((int(lval[1:]), int(rval[1:])))
            r = [j for j, (k, l_) in enumerate(zip(*struct.iu, strict=True)) if (k, l_) == (a, b)][
                0
            ]
            theta[2 * p + r] = value
    if not np.isfinite(theta).all():
        raise RuntimeError("semopy did not return every parameter")
    return theta


def _sample_covariance(x: np.ndarray, n: int) -> np.ndarray:
    """The items' ML covariance matrix (divisor ``n``), refused when singular."""
    centred = x - x.mean(axis=0)
    S = centred.T @ centred / n
    if np.linalg.eigvalsh(S).min() <= 1e-10 * np.trace(S) / S.shape[0]:
        raise EstimationError(
            "the item covariance matrix is singular (an item is a linear "
            "combination of others); the CFA cannot be estimated"
        )
    return S


def _starting_points(
    prepared: PreparedItems,
    struct: _Structure,
    S: np.ndarray,
    logdet_s: float,
    start_groups: Mapping[str, Sequence[str]] | None,
) -> list[tuple[str, np.ndarray]]:
    """Labelled starting values: semopy's solution (when finite), the default, one per group."""
    p = struct.p
    sd = np.sqrt(np.diag(S))
    zeros = np.zeros(struct.q - 2 * p)
    starts: list[tuple[str, np.ndarray]] = []
    try:
        theta0 = _semopy_start(
            prepared.data, struct, np.concatenate([0.7 * sd, 0.51 * sd**2, zeros])
        )
        if np.isfinite(_ml_objective(S, logdet_s, struct.sigma(theta0))):
            starts.append(("semopy", theta0))
    except Exception:  # noqa: BLE001 - a semopy failure leaves the other starts
        pass
    starts.append(("default", np.concatenate([0.7 * sd, 0.51 * sd**2, zeros])))
    items_all = prepared.item_names
    for group, members in (start_groups or {}).items():
        w = np.array([0.8 if it in set(members) else 0.2 for it in items_all])
        lam = w * sd
        starts.append((f"group:{group}", np.concatenate([lam, sd**2 - lam**2, zeros])))
    return starts


def _best_solution(
    struct: _Structure,
    S: np.ndarray,
    logdet_s: float,
    starts: list[tuple[str, np.ndarray]],
    tol: float,
    max_iter: int,
) -> tuple[str, np.ndarray, bool, int]:
    """Fisher scoring from every start; the converged, proper solution of smallest F_ML.

    Returns the start's label, the estimates, whether they converged and the iterations.
    """
    p = struct.p
    best = None
    for label, theta0 in starts:
        try:
            theta, converged, iters = _fisher_scoring(struct, S, theta0, tol, max_iter)
        except EstimationError:
            continue
        f = _ml_objective(S, logdet_s, struct.sigma(theta))
        if not np.isfinite(f):
            continue
        proper = bool((theta[p : 2 * p] >= 0).all() and (np.abs(theta[2 * p :]) <= 1).all())
        # rank: converged and proper first, then the smallest F (rounded so that
        # starts reaching the same minimum keep their order)
        key = (not (converged and proper), round(f, 10))
        if best is None or key < best[0]:
            best = (key, label, theta, converged, iters)
    if best is None:
        raise EstimationError(
            "the CFA could not be estimated from any starting point: "
            "the information matrix is singular or the model covariance "
            "matrix is not positive definite (model not identified on "
            "these data)"
        )
    return best[1], best[2], best[3], best[4]


def fit_cfa(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    *,
    tol: float = 1e-9,
    max_iter: int = 500,
    start_groups: Mapping[str, Sequence[str]] | None = None,
) -> CFAResult:
    """Fit the CFA measurement model of all scales by maximum likelihood.

    Parameters
    ----------
    items : pandas.DataFrame
        Item responses (numeric; NaN = missing). Rows with any missing item of
        the model are dropped (listwise deletion).
    scales : mapping of str to sequence of str
        Scale name -> item columns, at least 2 items per scale. Each scale is
        one factor.
    tol : float, default 1e-9
        Convergence tolerance of the Fisher-scoring polish (largest parameter
        change).
    max_iter : int, default 500
        Maximum number of Fisher-scoring iterations per start.
    start_groups : mapping of str to sequence of str, optional
        Clusters of items used for extra starting points: for every group, a
        start with loadings of 0.8 SD on the group's items and 0.2 SD on the
        others. Used for the one-factor model of
        :func:`~leadblackhole.measurement.cmv.one_factor_comparison`, whose
        likelihood has one local minimum per item cluster.

    Returns
    -------
    CFAResult

    Raises
    ------
    EstimationError
        Invalid scales or items (see
        :func:`~leadblackhole.measurement._data.prepare_items`), a singular
        item covariance matrix, a model with negative degrees of freedom
        (e.g. a single two-item scale), or no start reaching a solution.

    Warns
    -----
    ConvergenceWarning
        The polish did not converge within ``max_iter`` iterations.
    UserWarning
        Improper solution (negative residual variance or a factor correlation
        beyond +/-1).

    Notes
    -----
    Model: :math:`\\Sigma(\\theta) = \\Lambda\\Phi\\Lambda' + \\Psi` with
    :math:`\\Lambda` simple-structure loadings, :math:`\\Phi` a correlation
    matrix (``std.lv = TRUE``) and :math:`\\Psi` diagonal. The estimate
    minimises :math:`F_{ML}` (see :func:`fit_statistics`). semopy fits the
    model; Fisher scoring,
    :math:`\\theta \\leftarrow \\theta + M^{-1} b` with
    :math:`M_{ab} = \\operatorname{tr}(\\Sigma^{-1}\\dot\\Sigma_a\\Sigma^{-1}\\dot\\Sigma_b)` and
    :math:`b_a = \\operatorname{tr}(\\Sigma^{-1}\\dot\\Sigma_a\\Sigma^{-1}(S - \\Sigma))`,
    refines it. Because the ML fit function can have local minima, Fisher
    scoring is also run from default starting values (loadings 0.7 SD,
    residual variances 0.51 variance, factor correlations 0) and from the
    ``start_groups`` starts; the solution with the smallest :math:`F_{ML}`
    (preferring converged, proper solutions) is reported and ``start`` says
    where it came from. Degrees of freedom
    :math:`p(p+1)/2 - (2p + m(m-1)/2)`.

    Examples
    --------
    >>> res = fit_cfa(items, {"prequal": ["p1", "p2", "p3", "p4"],
    ...                       "tracking": ["t1", "t2", "t3", "t4"]})   # doctest: +SKIP
    >>> res.fit_table                                                  # doctest: +SKIP
    >>> res.loadings                                                   # doctest: +SKIP
    """
    prepared = prepare_items(items, scales)
    names = list(prepared.scales)
    item_factor = np.array([k for k, name in enumerate(names) for _ in prepared.scales[name]])
    struct = _Structure(item_factor, len(names))
    p, n = struct.p, prepared.n_obs
    df = p * (p + 1) // 2 - struct.q
    if df < 0:
        raise EstimationError(
            f"the measurement model is not identified: {struct.q} free parameters but only "
            f"{p * (p + 1) // 2} variances and covariances (df = {df}); a single scale needs "
            "at least 3 items"
        )
    S = _sample_covariance(prepared.data.to_numpy(), n)
    logdet_s = float(np.linalg.slogdet(S)[1])
    starts = _starting_points(prepared, struct, S, logdet_s, start_groups)
    origin, theta, converged, iters = _best_solution(struct, S, logdet_s, starts, tol, max_iter)
    if not converged:
        warnings.warn(
            f"CFA did not converge in {max_iter} Fisher-scoring iterations; "
            "estimates are unreliable",
            ConvergenceWarning,
            stacklevel=2,
        )
    first_items = [int(np.flatnonzero(item_factor == k)[0]) for k in range(struct.m)]
    theta = theta * struct.orient(theta, first_items)
    sigma = struct.sigma(theta)
    info, _, _ = _information(struct, theta, sigma)
    try:
        vcov = 2.0 / n * np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(
            "the information matrix is singular at the solution: "
            "the measurement model is not identified on these data"
        ) from exc
    fit = fit_statistics(S, sigma, n, df)
    psi = theta[p : 2 * p]
    phi = theta[2 * p :]
    improper = bool((psi < 0).any() or (np.abs(phi) > 1).any())
    if improper:
        warnings.warn(
            "improper CFA solution (Heywood case): a residual variance is "
            "negative or a factor correlation lies outside [-1, 1]",
            UserWarning,
            stacklevel=2,
        )
    for arr in (theta, vcov, S, sigma):
        arr.setflags(write=False)
    return CFAResult(
        scale_items=tuple((name, tuple(prepared.scales[name])) for name in names),
        n_obs=n,
        n_rows=prepared.n_rows,
        estimates=theta,
        vcov=vcov,
        sample_cov=S,
        implied_cov=sigma,
        fmin=fit["fmin"],
        chisq=fit["chisq"],
        df=fit["df"],
        pvalue=fit["pvalue"],
        cfi=fit["cfi"],
        tli=fit["tli"],
        rmsea=fit["rmsea"],
        srmr=fit["srmr"],
        baseline_chisq=fit["baseline_chisq"],
        baseline_df=fit["baseline_df"],
        converged=converged,
        iterations=iters,
        start=origin,
        improper=improper,
    )
