r"""How strong an unobserved confounder would have to be: Cinelli & Hazlett (2020) on OLS.

For each hypothesis of the registry, the OLS regression of its outcome share
(the marketing share; the self-generated share for H2) on the main model's
right-hand side (docs/study.md) gives the coefficient of the focal term: the
predictor for a main effect, the product ``moderator:predictor`` for a
moderation. With the predictors centred at their analysis-sample means, the
coefficient of a main-effect term *is* the OLS average effect (the
interactions average to zero), and the coefficient of a product term is the
OLS cross-partial, so the OLS model reads every hypothesis on one coefficient,
which is what the omitted-variable-bias algebra of Cinelli & Hazlett needs.
The Dirichlet models are nonlinear, so the sensitivity is computed on OLS and
labelled so (``model = "ols_classical"``).

With the classical OLS t statistic :math:`t` of the focal coefficient and the
residual degrees of freedom :math:`\nu = n - p`:

* partial :math:`R^2_{Y\sim D|X} = t^2/(t^2 + \nu)`;
* robustness value for a reduction of :math:`100q\%` of the estimate,
  :math:`f_q = q|t|/\sqrt{\nu}`,
  :math:`RV_q = \tfrac12\big(\sqrt{f_q^4 + 4f_q^2} - f_q^2\big)`: a confounder
  that explains :math:`RV_q` of the residual variance of both the focal term
  and the share brings the estimate to :math:`(1-q)` of itself; weaker ones
  cannot;
* at significance :math:`\alpha`, :math:`f_{q,\alpha} = f_q - f^*` with
  :math:`f^* = |t^*_{\alpha/2,\nu-1}|/\sqrt{\nu-1}`:
  :math:`RV_{q,\alpha} = 0` when :math:`f_{q,\alpha} < 0`, the formula above with
  :math:`f_{q,\alpha}` when :math:`f_q \le 1/f^*`, else the extreme value
  :math:`(f_q^2 - f^{*2})/(1 + f_q^2)` (sensemakr 0.1.6's
  ``robustness_value``).

Benchmark bounds (Cinelli & Hazlett 2020, section 6.2): a confounder
:math:`k` times as strong as an observed covariate :math:`X_j` (experience,
performance) in explaining the focal term and the share has at most
:math:`R^2_{D\sim Z|X} = k R^2_{D\sim X_j|X_{-j}}/(1 - R^2_{D\sim X_j|X_{-j}})`
and :math:`R^2_{Y\sim Z|D,X} = \big((\sqrt{k}+\sqrt{\eta})/\sqrt{1-\eta}\big)^2
R^2_{Y\sim X_j|D,X_{-j}}/(1-R^2_{Y\sim X_j|D,X_{-j}})`,
:math:`\eta = k R^2_{D\sim X_j}{}^2/((1-kR^2_{D\sim X_j})(1-R^2_{D\sim X_j}))`;
the estimate it would leave is
:math:`|\hat\beta| - \sqrt{R^2_{Y\sim Z|D,X}R^2_{D\sim Z|X}/(1-R^2_{D\sim Z|X})}
\,\mathrm{se}\sqrt{\nu}` (towards zero), with standard error
:math:`\mathrm{se}\sqrt{(1-R^2_{Y\sim Z|D,X})/(1-R^2_{D\sim Z|X})}\sqrt{\nu/(\nu-1)}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from leadblackhole.exceptions import EstimationError
from leadblackhole.models import analysis_data, main_model_exog
from leadblackhole.registry import HYPOTHESES, Hypothesis

__all__ = [
    "SENSITIVITY_COLUMNS",
    "CONTOUR_COLUMNS",
    "CONTOUR_HYPOTHESIS",
    "CONTOUR_MULTIPLES",
    "contour_table",
    "focal_term",
    "ovb_bounds",
    "robustness_value",
    "sensitivity_contour",
    "sensitivity_table",
]

#: Columns of ``sensitivity.csv``, in order.
SENSITIVITY_COLUMNS: tuple[str, ...] = (
    "id",
    "outcome",
    "term",
    "model",
    "estimate",
    "std_error",
    "t_statistic",
    "dof",
    "partial_r2",
    "rv_q",
    "rv_qa",
    "q",
    "alpha",
    "benchmark",
    "kd",
    "ky",
    "r2dz_x",
    "r2yz_dx",
    "adjusted_estimate",
    "adjusted_se",
    "adjusted_t",
    "note",
)
_MODEL = "ols_classical"

#: The hypothesis whose contour every fit saves (``sensitivity_contour.csv``) for the
#: figure: lead volume, the effect the allocation tool reads as causal.
CONTOUR_HYPOTHESIS = "H4"

#: Columns of ``sensitivity_contour.csv`` (:func:`contour_table`), in order.
CONTOUR_COLUMNS: tuple[str, ...] = (
    "id",
    "outcome",
    "term",
    "estimate",
    "rv_q",
    "kind",
    "benchmark",
    "multiple",
    "r2dz_x",
    "r2yz_dx",
    "adjusted_estimate",
    "adjusted_t",
)

#: Strengths of the benchmark confounders in the contour figure: once, twice and three
#: times as strong as each benchmark, as in the contour plots of Cinelli & Hazlett (2020).
CONTOUR_MULTIPLES: tuple[float, ...] = (1.0, 2.0, 3.0)


def focal_term(h: Hypothesis) -> str:
    """The design term whose OLS coefficient reads hypothesis ``h``.

    Examples
    --------
    >>> from leadblackhole.registry import HYPOTHESES
    >>> [focal_term(h) for h in HYPOTHESES[:1] + HYPOTHESES[6:7]]
    ['prequal', 'experience:tracking']
    """
    return h.predictor if h.moderator is None else f"{h.moderator}:{h.predictor}"


def robustness_value(t: float, dof: float, q: float = 1.0, alpha: float | None = None) -> float:
    r"""Robustness value of a coefficient from its t statistic (Cinelli & Hazlett 2020, eq. 19).

    Parameters
    ----------
    t : float
        Classical OLS t statistic.
    dof : float
        Residual degrees of freedom.
    q : float, default 1
        Fraction of the estimate the confounder should remove (1: to zero).
    alpha : float, optional
        With a level, the value at which the ``1 - alpha`` interval would reach
        :math:`(1-q)\hat\beta` (``RV_{q,alpha}``); without, the point estimate.

    Returns
    -------
    float
        In 0..1.

    Raises
    ------
    EstimationError
        ``q`` not positive, ``alpha`` not in (0, 1), ``dof`` below 2.

    Examples
    --------
    The example of sensemakr's documentation (``t = 4.18445``, 783 df):

    >>> round(robustness_value(4.18445, 783), 4)
    0.1388
    """
    if not q > 0:
        raise EstimationError(f"q must be positive; received {q!r}")
    if dof < 2:
        raise EstimationError(f"the robustness value needs at least 2 residual df; got {dof}")
    fq = q * abs(t) / np.sqrt(dof)
    if alpha is None:
        return float(0.5 * (np.sqrt(fq**4 + 4 * fq**2) - fq**2))
    if not 0 < alpha < 1:
        raise EstimationError(f"alpha must lie strictly between 0 and 1; received {alpha!r}")
    fcrit = abs(stats.t.ppf(alpha / 2, dof - 1)) / np.sqrt(dof - 1)
    fqa = fq - fcrit
    if fqa < 0:
        return 0.0
    if fq > 1 / fcrit:  # the constraint R2_yz <= 1 binds: the extreme robustness value
        return float((fq**2 - fcrit**2) / (1 + fq**2))
    return float(0.5 * (np.sqrt(fqa**4 + 4 * fqa**2) - fqa**2))


def ovb_bounds(
    r2dxj: float, r2yxj: float, kd: float = 1.0, ky: float | None = None
) -> tuple[float, float]:
    """Bounds on a confounder ``kd`` / ``ky`` times as strong as a benchmark covariate.

    Parameters
    ----------
    r2dxj : float
        Partial R² of the benchmark with the focal term, given the other covariates.
    r2yxj : float
        Partial R² of the benchmark with the outcome, given the focal term and
        the other covariates.
    kd, ky : float
        Strength relative to the benchmark (``ky`` defaults to ``kd``).

    Returns
    -------
    r2dz_x, r2yz_dx : float
        NaN when the multiple is impossible (``r2dz_x`` would exceed 1);
        ``r2yz_dx`` is capped at 1, as sensemakr does.
    """
    ky = kd if ky is None else ky
    r2dz = kd * r2dxj / (1 - r2dxj)
    eta = kd * r2dxj**2 / ((1 - kd * r2dxj) * (1 - r2dxj))
    if r2dz >= 1 or not 0 <= eta < 1:
        return float("nan"), float("nan")
    r2yz = ((np.sqrt(ky) + np.sqrt(eta)) / np.sqrt(1 - eta)) ** 2 * r2yxj / (1 - r2yxj)
    return float(r2dz), float(min(r2yz, 1.0))


def _adjusted(est, se, dof, r2dz, r2yz) -> tuple[float, float, float]:
    bias = np.sqrt(r2yz * r2dz / (1 - r2dz)) * se * np.sqrt(dof)
    adj = (-1.0 if est < 0 else 1.0) * (abs(est) - bias)
    adj_se = np.sqrt((1 - r2yz) / (1 - r2dz)) * se * np.sqrt(dof / (dof - 1))
    return float(adj), float(adj_se), float(adj / adj_se)


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Coefficients, classical standard errors and residual df."""
    n, p = x.shape
    q, r = np.linalg.qr(x)
    b = np.linalg.solve(r, q.T @ y)
    e = y - x @ b
    dof = n - p
    r_inv = np.linalg.inv(r)
    se = np.sqrt(float(e @ e) / dof * np.sum(r_inv**2, axis=1))
    return b, se, dof


def sensitivity_table(
    frame: Any,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    benchmarks: Sequence[str] = ("experience", "performance"),
    q: float = 1.0,
    alpha: float = 0.05,
    kd: float = 1.0,
    ky: float | None = None,
) -> pd.DataFrame:
    """The ``sensitivity.csv`` table: robustness values and benchmark bounds per hypothesis.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample.
    hypotheses : sequence of Hypothesis
        Registry rows (default all).
    benchmarks : sequence of str
        Observed covariates (design terms) to benchmark against.
    q : float, default 1
        Reduction of the estimate the robustness values refer to.
    alpha : float, default 0.05
        Level of ``rv_qa``.
    kd, ky : float
        Strength of the confounder relative to each benchmark.

    Returns
    -------
    DataFrame
        Columns :data:`SENSITIVITY_COLUMNS`, one row per hypothesis and
        benchmark. ``adjusted_*`` say what a confounder as strong as the
        benchmark would leave of the estimate; NaN with a ``note`` when the
        benchmark is the focal term itself or a term built from the focal
        predictor's own product.

    Raises
    ------
    EstimationError
        A benchmark that is not a term of the design, or a singular design.

    Examples
    --------
    >>> table = sensitivity_table(frame)                       # doctest: +SKIP
    >>> table.loc[table["id"] == "H4", ["rv_q", "rv_qa"]]      # doctest: +SKIP
    """
    data = analysis_data(frame, "the sensitivity analysis")
    exog = main_model_exog(data)
    terms = list(exog.columns)
    bad = [b for b in benchmarks if b not in terms]
    if bad:
        raise EstimationError(
            f"benchmark(s) {bad} are not terms of the design; expected some of {terms}"
        )
    x = exog.to_numpy(dtype=float)
    rows = []
    cache: dict[str, tuple] = {}
    for h in hypotheses:
        term = focal_term(h)
        if h.outcome not in cache:
            cache[h.outcome] = _ols(data[h.outcome].to_numpy(dtype=float), x)
        b, se, dof = cache[h.outcome]
        j = terms.index(term)
        t = b[j] / se[j]
        head = {
            "id": h.id,
            "outcome": h.outcome,
            "term": term,
            "model": _MODEL,
            "estimate": b[j],
            "std_error": se[j],
            "t_statistic": t,
            "dof": dof,
            "partial_r2": t**2 / (t**2 + dof),
            "rv_q": robustness_value(t, dof, q),
            "rv_qa": robustness_value(t, dof, q, alpha),
            "q": q,
            "alpha": alpha,
        }
        for bench in benchmarks:
            row = head | {"benchmark": bench, "kd": kd, "ky": kd if ky is None else ky}
            if bench == term:
                nan = float("nan")
                row |= dict.fromkeys(
                    ("r2dz_x", "r2yz_dx", "adjusted_estimate", "adjusted_se", "adjusted_t"), nan
                )
                row["note"] = "the benchmark is the focal term itself"
                rows.append(row)
                continue
            k = terms.index(bench)
            tb = b[k] / se[k]
            r2yxj = tb**2 / (tb**2 + dof)
            rest = np.delete(x, j, axis=1)
            bd, sed, dofd = _ols(x[:, j], rest)
            kk = k if k < j else k - 1
            td = bd[kk] / sed[kk]
            r2dxj = td**2 / (td**2 + dofd)
            r2dz, r2yz = ovb_bounds(r2dxj, r2yxj, kd, ky)
            if np.isnan(r2dz):
                adj = (float("nan"),) * 3
                note = f"a confounder {kd:g} times as strong as {bench} is impossible"
            else:
                adj = _adjusted(b[j], se[j], dof, r2dz, r2yz)
                note = ""
            row |= {"r2dz_x": r2dz, "r2yz_dx": r2yz, "adjusted_estimate": adj[0]}
            row |= {"adjusted_se": adj[1], "adjusted_t": adj[2], "note": note}
            rows.append(row)
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


def sensitivity_contour(
    frame: Any,
    hypothesis: str = "H4",
    grid: int = 41,
    limit: float | None = None,
    table: pd.DataFrame | None = None,
    multiples: Sequence[float] = (1.0,),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""The data of a sensitivity contour plot of one hypothesis (the figure is drawn elsewhere).

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample.
    hypothesis : str, default "H4"
        Registry id.
    grid : int, default 41
        Points per axis.
    limit : float, optional
        Largest partial R² on both axes (default: twice the largest benchmark
        bound, and at least 1.5 times the robustness value so that the line
        where the estimate reaches zero shows; at least 0.2, at most 0.95).
    table : DataFrame, optional
        :func:`sensitivity_table` of ``frame`` (computed when not given); its
        bounds are those of a confounder once as strong as each benchmark.
    multiples : sequence of float, default (1,)
        Strengths of the benchmark confounders, relative to each benchmark
        (``kd = ky``): ``(1, 2, 3)`` gives the points "as strong as, twice and
        three times as strong as experience / performance".

    Returns
    -------
    surface : DataFrame
        ``r2dz_x, r2yz_dx, adjusted_estimate, adjusted_t`` on the grid (long,
        ``r2dz_x`` varying slowest).
    points : DataFrame
        The benchmark bounds of the hypothesis (``benchmark, multiple, r2dz_x,
        r2yz_dx, adjusted_estimate, adjusted_t``), benchmark by benchmark in
        the order of the multiples; a multiple that is impossible, or a
        benchmark that is the focal term, has NaN bounds.

    Raises
    ------
    EstimationError
        An unknown hypothesis, a grid of fewer than 2 points, or a multiple
        that is not positive.

    Notes
    -----
    At a grid point :math:`(R^2_{D\sim Z|X}, R^2_{Y\sim Z|D,X})` the adjusted
    estimate is :math:`\operatorname{sign}(\hat\beta)\,(|\hat\beta| - \mathrm{bias})`
    with :math:`\mathrm{bias} = \sqrt{R^2_{Y\sim Z|D,X}R^2_{D\sim Z|X}/(1-R^2_{D\sim Z|X})}
    \,\mathrm{se}\sqrt{\nu}`: the estimate a confounder of that strength would
    leave when it works against the finding (the module documentation).
    """
    mults = [float(k) for k in multiples]
    if not mults or not all(np.isfinite(k) and k > 0 for k in mults):
        raise EstimationError(f"multiples must be positive numbers; received {list(multiples)!r}")
    if table is None:
        table = sensitivity_table(frame)
    rows = table[table["id"] == hypothesis]
    if rows.empty:
        raise EstimationError(f"unknown hypothesis {hypothesis!r}")
    if not isinstance(grid, int) or grid < 2:
        raise EstimationError(f"grid must be an integer >= 2; received {grid!r}")
    first = rows.iloc[0]
    cols = ["benchmark", "r2dz_x", "r2yz_dx", "adjusted_estimate", "adjusted_t"]
    by_multiple = {}
    for k in mults:
        if k == 1.0 and (rows["kd"] == 1.0).all() and (rows["ky"] == 1.0).all():
            by_multiple[k] = rows[cols]
        else:
            h = next(h for h in HYPOTHESES if h.id == hypothesis)
            benchmarks = list(rows["benchmark"])
            by_multiple[k] = sensitivity_table(frame, [h], benchmarks, kd=k)[cols]
    points = pd.concat(
        [by_multiple[k].assign(multiple=k) for k in mults], ignore_index=True
    ).sort_values("benchmark", kind="stable", key=lambda b: b.map(_order(rows["benchmark"])))
    points = points[["benchmark", "multiple", *cols[1:]]].reset_index(drop=True)
    if limit is None:
        top = np.nanmax(points[["r2dz_x", "r2yz_dx"]].to_numpy(), initial=0.1)
        limit = float(min(0.95, max(0.2, 2 * top, 1.5 * float(first["rv_q"]))))
    axis = np.linspace(0.0, limit, grid)
    dz, yz = np.meshgrid(axis, axis, indexing="ij")
    est, se, dof = first["estimate"], first["std_error"], first["dof"]
    adj = np.vectorize(lambda a, c: _adjusted(est, se, dof, a, c))(dz, yz)
    surface = pd.DataFrame(
        {
            "r2dz_x": dz.ravel(),
            "r2yz_dx": yz.ravel(),
            "adjusted_estimate": adj[0].ravel(),
            "adjusted_t": adj[2].ravel(),
        }
    )
    return surface, points


def _order(benchmarks: pd.Series) -> dict[str, int]:
    """Position of each benchmark in the table (to keep the table's order)."""
    return {b: i for i, b in enumerate(dict.fromkeys(benchmarks))}


def contour_table(
    frame: Any,
    hypothesis: str = CONTOUR_HYPOTHESIS,
    multiples: Sequence[float] = CONTOUR_MULTIPLES,
    grid: int = 41,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The data of a sensitivity contour figure as one table (``sensitivity_contour.csv``).

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis sample.
    hypothesis : str, default :data:`CONTOUR_HYPOTHESIS`
        Registry id.
    multiples : sequence of float, default (1, 2, 3)
        Strengths of the benchmark confounders (:func:`sensitivity_contour`).
    grid : int, default 41
        Points per axis.
    table : DataFrame, optional
        :func:`sensitivity_table` of ``frame``.

    Returns
    -------
    DataFrame
        Columns :data:`CONTOUR_COLUMNS`: the grid (``kind = "grid"``, no
        benchmark) then the benchmark points (``kind = "benchmark"``); the
        outcome share, the focal term, the unadjusted OLS estimate and its
        robustness value on every row. The figure of ``leadblackhole figures``
        is drawn from it.

    Raises
    ------
    EstimationError
        As :func:`sensitivity_contour`.

    Examples
    --------
    >>> contour_table(frame).query("kind == 'benchmark'")      # doctest: +SKIP
    """
    if table is None:
        table = sensitivity_table(frame)
    surface, points = sensitivity_contour(
        frame, hypothesis, grid=grid, table=table, multiples=multiples
    )
    row = table[table["id"] == hypothesis].iloc[0]
    grid_part = surface.assign(kind="grid", benchmark="", multiple=float("nan"))
    out = pd.concat([grid_part, points.assign(kind="benchmark")], ignore_index=True)
    out = out.assign(
        id=hypothesis,
        outcome=row["outcome"],
        term=row["term"],
        estimate=row["estimate"],
        rv_q=row["rv_q"],
    )
    return out[list(CONTOUR_COLUMNS)]
