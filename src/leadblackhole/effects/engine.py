r"""The effects engine: averages over reps of share levels, derivatives and cross-partials.

For a share model with mean :math:`\mu_k(x_i;\theta)` the estimand of a main
effect of :math:`x` on share :math:`k` is the average over reps of the
derivative, and the estimand of a moderation of :math:`x` by :math:`m` is the
average cross-partial (Ai & Norton 2003):

.. math::

    \Delta_k(x) = \frac1n\sum_i \frac{\partial \mu_k(x_i)}{\partial x}, \qquad
    \Delta_k(x, m) = \frac1n\sum_i \frac{\partial^2 \mu_k(x_i)}{\partial x\,\partial m},

where every design column that contains :math:`x` (the interaction terms
included) moves with :math:`x`. :class:`EffectsEngine` evaluates many such
averages (:class:`~leadblackhole.effects.spec.EffectSpec`) on one model and one
data set: their estimates, the variance over reps of the per-rep effects and
the gradient of each estimate by the mean coefficients, from which
:mod:`leadblackhole.effects.estimates` forms the delta-method inference. The
engine reads the model only through the results interface
(:class:`~leadblackhole.models.results.ShareResults`, wrapped in a
:class:`~leadblackhole.effects.spec.ShareModel`): the mean coefficients and
their covariance, and the link (:class:`~leadblackhole.models.results.Link`)
that maps linear predictors to mean shares and their derivatives. The
Dirichlet model (softmax link over the three shares, base ``other``; the
precision does not move the expected shares), the fractional logit (logit
link, one share against the rest) and OLS (identity link: the main effect is
the average of :math:`\beta_x + \sum_m \beta_{x:m} m_i`, the cross-partial
:math:`\beta_{x:m}`) are computed by the same code, as is any model added
later through an adapter.

The gradient
------------
Every estimate is a smooth function :math:`g(\theta)` of the mean
coefficients. Its gradient :math:`G = \partial g/\partial\theta` is exact: by
the chain rule it is the average over reps of
:math:`\sum_j (F_{\eta_j} x_i + F_{a_j} \dot x_i + F_{b_j} \dot m_i +
F_{c_j} \ddot x_i)`, where :math:`F` is the per-rep effect as a function of
the linear predictors :math:`\eta_j = x_i^\top\beta_j` and of their first and
second derivatives :math:`a_j, b_j, c_j`, whose partial derivatives are taken
by the complex step (Squire & Trapp 1998; exact to machine precision because
no difference is formed). Every perturbation of one evaluation (each input
:math:`\eta, a, b, c` by each equation) is stacked on a leading axis and the
link is called once for all effects of one order, so the cost of the gradient
does not grow with Python loops over effects or equations. The effects of a
softmax link (the Dirichlet, fmlogit and fractional-logit models) take the
partials in closed form instead
(:func:`~leadblackhole.shares.softmax_effect_gradient`, checked against the
complex step in the tests), which avoids complex evaluations altogether; the
complex step remains the method of any other link.
The design of an effect is never stacked: the linear predictors are those of
the stored design, computed once per block of reps, plus the few columns an
effect moves (a variable set to a value) or differentiates, so an effect costs
O(reps), not O(reps x parameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import EffectsError
from ..models.results import SoftmaxLink
from ..shares import softmax_effect_gradient, term_derivative, term_second_derivative
from ..specification import design_matrix
from .spec import EffectSpec, ShareModel

__all__ = ["EffectsEngine"]

#: Step of the complex-step derivatives (any tiny value gives exact derivatives).
_COMPLEX_STEP = 1e-30
# Effects of a softmax link take their gradient from closed-form partials (False: the
# complex step, kept for the other links and as the tests' reference).
_ANALYTIC_SOFTMAX = True
#: Number of effects evaluated together (their per-rep arrays share one block of reps).
_CHUNK = 40
#: Elements of the largest temporary of one block (effects x reps x link inputs): the reps
#: are evaluated in blocks of at most this many elements (2 MB of float64 per array), so the
#: memory of an evaluation is O(block), not O(reps), and the elementwise work of the
#: closed-form partials stays in the processor's cache (several times faster than on
#: arrays of tens of MB; ``benchmarks/bench_fit_scaling.py``).
_BLOCK_ELEMENTS = 2**18


def _term_variables(terms: Sequence[str], data: pd.DataFrame) -> list[str]:
    names: list[str] = []
    for t in terms:
        for f in t.split(":"):
            if f in data.columns and f != "firm" and f not in names:
                names.append(f)
    return names


def _check_data(model: ShareModel, data: pd.DataFrame) -> np.ndarray:
    """The model's design on ``data``, columns in the model's term order."""
    if not isinstance(data, pd.DataFrame):
        raise EffectsError(f"data must be a DataFrame; received {type(data).__name__}")
    needed = sorted(
        {
            f
            for t in model.terms
            for f in t.split(":")
            if t != "Intercept" and not t.startswith("firm[")
        }
    )
    missing = [
        v
        for v in needed + (["firm"] if any(t.startswith("firm[") for t in model.terms) else [])
        if v not in data.columns
    ]
    if missing:
        raise EffectsError(f"data lacks the column(s) {missing} the model uses")
    if len(data) == 0:
        raise EffectsError("data has no rows")
    if "firm" in data.columns:
        full = design_matrix(data, variable_pay="variable_pay" in model.terms)
        extra = [c for c in full.columns if c.startswith("firm[") and c not in model.terms]
        if extra:
            raise EffectsError(f"data holds firms the model was not fitted on: {extra}")
    else:
        full = pd.DataFrame({"Intercept": np.ones(len(data))}, index=data.index)
        for t in model.terms:
            if t != "Intercept":
                col = np.ones(len(data))
                for f in t.split(":"):
                    col = col * data[f].to_numpy(dtype=float)
                full[t] = col
    absent = [t for t in model.terms if t not in full.columns]
    for t in absent:  # a firm dummy of a firm with no rows in data: all zero
        if t.startswith("firm["):
            full[t] = 0.0
        else:
            raise EffectsError(f"cannot build the model term {t!r} from data")
    X = full[list(model.terms)].to_numpy(dtype=float)
    if not np.all(np.isfinite(X)):
        raise EffectsError("data holds missing or infinite values in the model's variables")
    return X


def _given_design(model: ShareModel, data: pd.DataFrame, design: Any) -> np.ndarray:
    """A design built elsewhere (by the fit), checked for its shape and values only."""
    X = np.asarray(design, dtype=float)
    if X.shape != (len(data), len(model.terms)):
        raise EffectsError(
            f"the design given has shape {X.shape}; expected {(len(data), len(model.terms))} "
            "(a row per rep of the data, a column per model term)"
        )
    if len(data) == 0:
        raise EffectsError("data has no rows")
    if not np.all(np.isfinite(X)):
        raise EffectsError("the design given holds missing or infinite values")
    return X


class EffectsEngine:
    """Evaluates many :class:`~leadblackhole.effects.spec.EffectSpec` on one model and data set.

    Parameters
    ----------
    model : ShareModel
        The fitted mean model.
    data : DataFrame
        The reps to average over: the model's variables (and ``firm``).
    design : ndarray (n, p), optional
        The model's design on the rows of ``data`` (columns in the order of
        ``model.terms``), e.g. the one the fit built: it is used instead of
        rebuilding it from ``data``, and its plain columns give the variables'
        values. Only its shape and finiteness are checked.

    Raises
    ------
    EffectsError
        When ``data`` (or ``design``) does not fit the model.
    """

    def __init__(self, model: ShareModel, data: pd.DataFrame, design: Any = None) -> None:
        self.model = model
        self.plain = {t: j for j, t in enumerate(model.terms)}
        if design is None:
            self.X = _check_data(model, data)
        else:
            self.X = _given_design(model, data, design)
        self.n = self.X.shape[0]
        self.variables = _term_variables(model.terms, data)
        self.values = {
            v: (
                data[v].to_numpy(dtype=float)
                if design is None or v not in self.plain
                else np.ascontiguousarray(self.X[:, self.plain[v]])
            )
            for v in self.variables
        }
        self.factors = [tuple(t.split(":")) for t in model.terms]
        # a column of ones, then the variables: the values the effect columns are made of
        self.V = np.column_stack([np.ones(self.n)] + [self.values[v] for v in self.variables])

    def check(self, spec: EffectSpec) -> None:
        """Check that the model and data can give ``spec``.

        Parameters
        ----------
        spec : EffectSpec

        Raises
        ------
        EffectsError
            An outcome the model does not describe, a predictor, moderator or
            set variable that is not a variable of the model, or a predictor
            equal to the moderator.
        """
        m = self.model
        if spec.outcome not in m.outcomes:
            raise EffectsError(
                f"a {m.name} model of {list(m.outcomes)} cannot give effects on "
                f"the {spec.outcome!r} share"
            )
        for role, var in (("predictor", spec.predictor), ("moderator", spec.moderator)):
            if var is not None and var not in self.variables:
                raise EffectsError(
                    f"{role} {var!r} is not a variable of the model; "
                    f"expected one of {self.variables}"
                )
        if spec.predictor is not None and spec.predictor == spec.moderator:
            raise EffectsError(f"predictor and moderator must differ; both are {spec.predictor!r}")
        for var, _ in spec.at:
            if var not in self.variables:
                raise EffectsError(
                    f"cannot set {var!r}: it is not a variable of the model; "
                    f"expected one of {self.variables}"
                )

    def _arrays(self, spec: EffectSpec, rows: slice, used: Sequence[int]) -> list:
        """Design, d/dx, d/dm and d2/dxdm of the design on ``rows`` (``None`` if unused)."""
        terms = self.model.terms
        X = self.X[rows]
        n = X.shape[0]
        values = {v: a[rows] for v, a in self.values.items()}
        if spec.at:
            X = X.copy()
            for var, val in spec.at:
                values[var] = np.full(n, float(val))
            for j, t in enumerate(terms):
                f = t.split(":")
                if all(v in values for v in f) and any(v in dict(spec.at) for v in f):
                    col = np.ones(n)
                    for v in f:
                        col = col * values[v]
                    X[:, j] = col
        out: list = [X, None, None, None]
        if 1 in used:
            out[1] = term_derivative(terms, values, spec.predictor, n)
        if 2 in used:
            out[2] = term_derivative(terms, values, spec.moderator, n)
        if 3 in used:
            out[3] = term_second_derivative(terms, values, spec.predictor, spec.moderator, n)
        return out

    def evaluate(
        self, specs: Sequence[EffectSpec], coef: np.ndarray | None = None, gradient: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Estimates, variance over reps of the per-rep effects, and their gradient.

        Parameters
        ----------
        specs : sequence of EffectSpec
            The S effects (checked with :meth:`check`).
        coef : ndarray (p, q), optional
            Mean coefficients to evaluate at (layout of ``ShareModel.coef``);
            default the model's.
        gradient : bool
            Whether to compute the gradient.

        Returns
        -------
        estimates : ndarray (S,)
        rep_var : ndarray (S,)
            Variance over reps of the per-rep effects (0 with one rep).
        gradient : ndarray (S, p q) or None
            Gradient of each estimate by ``theta = coef.T.ravel()``; ``None``
            when ``gradient`` is false.
        """
        m = self.model
        coef = m.coef if coef is None else coef
        for s in specs:
            self.check(s)
        S = len(specs)
        est = np.empty(S)
        rep_var = np.empty(S)
        grad = np.empty((S, coef.size)) if gradient else None
        for start in range(0, S, _CHUNK):
            chunk = specs[start : start + _CHUNK]
            for order in (0, 1, 2):
                idx = [i for i, s in enumerate(chunk) if s.order == order]
                if not idx:
                    continue
                sub = [chunk[i] for i in idx]
                e, v, g = self._evaluate_same_order(sub, order, coef, gradient)
                pos = [start + i for i in idx]
                est[pos], rep_var[pos] = e, v
                if gradient:
                    grad[pos] = g
        return est, rep_var, grad

    def per_rep(self, specs: Sequence[EffectSpec]) -> np.ndarray:
        """Per-rep effects at the model's coefficients; their row means are the estimates.

        Parameters
        ----------
        specs : sequence of EffectSpec
            The S effects.

        Returns
        -------
        ndarray (S, n)
        """
        m = self.model
        for s in specs:
            self.check(s)
        out = np.empty((len(specs), self.n))
        zero = np.zeros((self.n, m.coef.shape[1]))
        for i, s in enumerate(specs):
            used = {0: [0], 1: [0, 1], 2: [0, 1, 2, 3]}[s.order]
            arrays = self._arrays(s, slice(None), used)
            lin = [d @ m.coef if d is not None else zero for d in arrays]
            row = np.asarray(m.link.effect(s.order, *lin))
            out[i] = row[:, m.components.index(s.outcome)].real
        return out

    def _plan(self, spec: EffectSpec, used: Sequence[int]) -> list:
        """Which design columns ``spec`` moves or differentiates, and how to form them.

        Returns ``[moved, d_x, d_m, d_xm]`` (``None`` for a derivative not in
        ``used``). Each entry is ``(idx, const, rest)``: the term positions, a
        constant factor per column (the product of the values ``spec.at``
        sets) and the variables left in each column (positions in
        :attr:`V`, 0 for none). A moved column is the term with the set
        variables replaced by their values; a derivative column is the
        derivative of the term by the variable(s). The columns not listed are
        unchanged (moved) or zero (derivatives).
        """
        at = dict(spec.at)
        pos = {v: i + 1 for i, v in enumerate(self.variables)}

        def entry(items):  # items: (term position, factors left after differentiation)
            idx, const, rest = [], [], []
            for j, factors in items:
                c, left = 1.0, []
                for v in factors:
                    if v in at:
                        c *= float(at[v])
                    else:
                        left.append(pos[v])
                idx.append(j)
                const.append(c)
                rest.append(tuple(left))
            return np.asarray(idx, dtype=np.intp), np.asarray(const), rest

        terms = self.factors
        moved = [
            (j, f)
            for j, f in enumerate(terms)
            if any(v in at for v in f) and all(v in pos for v in f)
        ]
        out: list = [entry(moved), None, None, None]
        wanted = {1: (spec.predictor,), 2: (spec.moderator,), 3: (spec.predictor, spec.moderator)}
        for r in used:
            if r == 0:
                continue
            items = []
            for j, f in enumerate(terms):
                if all(v in f for v in wanted[r]):
                    rest = list(f)
                    for v in wanted[r]:
                        rest.remove(v)
                    items.append((j, tuple(rest)))
            out[r] = entry(items)
        return out

    @staticmethod
    def _groups(plans: list) -> list:
        """Specs whose plans move and differentiate the same columns in the same way.

        Returns a list of ``(specs, entries)``: the positions of the specs of
        a group and, per entry of the plan, ``(idx, rest, const)`` with the
        constants of every spec stacked (``len(specs) x |idx|``). The specs of
        a Johnson–Neyman grid or of the simple slopes of one moderation differ
        only in these constants, so each group is evaluated in one vectorized
        step.
        """
        groups: dict = {}
        for s, plan in enumerate(plans):
            key = tuple(None if e is None else (tuple(e[0]), tuple(e[2])) for e in plan)
            groups.setdefault(key, []).append(s)
        out = []
        for members in groups.values():
            first = plans[members[0]]
            entries = [
                None if e is None else (e[0], e[2], np.stack([plans[s][r][1] for s in members]))
                for r, e in enumerate(first)
            ]
            idx = np.asarray(members, dtype=np.intp)
            if idx[-1] - idx[0] + 1 == idx.size:  # contiguous: a slice, so views not copies
                idx = slice(int(idx[0]), int(idx[-1]) + 1)
            out.append((idx, entries))
        return out

    @staticmethod
    def _rest(Vb: np.ndarray, rest: list) -> np.ndarray:
        """Products of the variables left in each column (``nb x len(rest)``)."""
        if all(len(r) <= 1 for r in rest):  # at most one variable left: one gather
            return Vb[:, [r[0] if r else 0 for r in rest]]
        out = np.ones((Vb.shape[0], len(rest)))
        for k, r in enumerate(rest):
            for v in r:
                out[:, k] *= Vb[:, v]
        return out

    def _evaluate_same_order(self, specs, order, coef, gradient):
        """Evaluate specs of one order, the reps in blocks (sums and gradients accumulated).

        Notes
        -----
        The linear predictors of every spec are those of the stored design,
        :math:`X\\beta`, computed once per block, plus the contribution of the
        few columns the spec moves (:meth:`_plan`); the derivatives of the
        design are sparse in the same way. Specs that differ only in the
        values they set are evaluated together (:meth:`_groups`). The gradient
        :math:`\\sum_i D_i^\\top F'_i` is one matrix product of the stored
        design with the partials of every spec, plus batched products over the
        moved and derivative columns (one per group). The mean and the variance over reps of
        the per-rep effects are combined block by block with Chan, Golub &
        LeVeque's pairwise update (``M2 = M2_a + M2_b + delta^2 n_a n_b / n``),
        so the result does not depend on the block size beyond rounding
        (tested to 1e-12).
        """
        m = self.model
        n, q = self.n, coef.shape[1]
        S, p = len(specs), coef.shape[0]
        used = {0: [0], 1: [0, 1], 2: [0, 1, 2, 3]}[order]
        comp = np.array([m.components.index(s.outcome) for s in specs])
        P = len(used) * q

        def per_rep(inputs):  # inputs (..., S, nb, q) -> the spec's component (..., S, nb)
            out = m.link.effect(order, *inputs)  # (..., S, nb, K)
            pick = comp.reshape((1,) * (out.ndim - 3) + (S, 1, 1))
            return np.take_along_axis(out, pick, axis=-1)[..., 0]

        grad = np.zeros((S, p, q)) if gradient else None
        groups = self._groups([self._plan(s, used) for s in specs])
        analytic = _ANALYTIC_SOFTMAX and isinstance(m.link, SoftmaxLink)
        # rows per block: the largest temporaries are (P, S, rows, K) complex arrays on the
        # complex-step path (16 bytes per element) and about P + 1 arrays of (q, S, rows) on
        # the closed form
        width = S * (q + 1) * (P + 1 if analytic or not gradient else 2 * P)
        block = max(1, _BLOCK_ELEMENTS // width)

        def run_block(start):  # the sums of one block of reps
            rows = slice(start, min(n, start + block))
            Xb = self.X[rows]
            Vb = self.V[rows]
            nb = Xb.shape[0]
            base = (Xb @ coef).T  # (q, nb), shared by every spec
            # linear predictors, equation first: lin[r][j, s] is input r of equation j, spec s
            lin = [np.empty((q, S, nb)) if r in used else np.zeros((q, S, nb)) for r in range(4)]
            rests = []  # per group: the variables left in the moved and derivative columns
            for members, entries in groups:
                R = [None if e is None else self._rest(Vb, e[1]) for e in entries]
                rests.append(R)
                J, _, C = entries[0]
                eta = np.broadcast_to(base[:, None, :], (q, C.shape[0], nb))
                if J.size:
                    # (R C_s - X_J) coef_J for every spec s: one product of the block's
                    # variables with the spec-scaled coefficients (q S_g x |J|)
                    W = (coef[J].T[:, None, :] * C[None]).reshape(-1, J.size)
                    eta = eta + (W @ R[0].T).reshape(q, -1, nb)
                    eta = eta - (Xb[:, J] @ coef[J]).T[:, None, :]
                lin[0][:, members] = eta
                for r in used[1:]:
                    T, _, C = entries[r]
                    if T.size:
                        W = (coef[T].T[:, None, :] * C[None]).reshape(-1, T.size)
                        lin[r][:, members] = (W @ R[r].T).reshape(q, -1, nb)
                    else:
                        lin[r][:, members] = 0.0
            # dFs[i] (q, S, nb): partials of each spec's per-rep effect by input used[i]
            dFs = None
            if analytic:
                # closed-form partials of each spec's component (checked against the complex
                # step in the tests)
                kinds = np.unique(comp)
                if kinds.size == 1:  # one component: the function's arrays, no copies
                    f, dFs = softmax_effect_gradient(order, *lin, m.link.base, int(kinds[0]))
                else:
                    f = np.empty((S, nb))
                    dFs = np.empty((len(used), q, S, nb))
                    for k in kinds:
                        sel = np.flatnonzero(comp == k)
                        F, parts = softmax_effect_gradient(
                            order, *(x[:, sel] for x in lin), m.link.base, int(k)
                        )
                        f[sel] = F
                        for i, part in enumerate(parts):
                            dFs[i][:, sel] = part
            else:
                f = per_rep([x.transpose(1, 2, 0) for x in lin]).real
            b_mean = f.mean(axis=1)
            b_m2 = ((f - b_mean[:, None]) ** 2).sum(axis=1)
            if not gradient:
                return nb, b_mean, b_m2, None
            if not analytic:
                # Every complex-step perturbation (input r in ``used``, equation j) in one
                # call of the link: perturbation t = i q + j moves input used[i] in column j.
                inputs = []
                for r in range(4):
                    x = np.broadcast_to(lin[r].transpose(1, 2, 0).astype(complex), (P, S, nb, q))
                    if r in used:
                        x = x.copy()
                        i = used.index(r)
                        for j in range(q):
                            x[i * q + j, :, :, j] += 1j * _COMPLEX_STEP
                    inputs.append(x)
                dF = per_rep(inputs).imag / _COMPLEX_STEP  # (P, S, nb)
                dFs = dF.reshape(len(used), q, S, nb)
            # the stored design against the eta-partials of every spec: one product
            g = (dFs[0].reshape(q * S, nb) @ Xb).reshape(q, S, p).transpose(1, 2, 0).copy()
            for (members, entries), R in zip(groups, rests, strict=True):
                # sum_i (R_i C_s - X_iJ)' dF_is = C_s * (R' dF_s) - X_J' dF_s, batched over s
                for i, r in enumerate(used):
                    idx, _, C = entries[r]
                    if not idx.size:
                        continue
                    D = np.ascontiguousarray(dFs[i][:, members]).reshape(-1, nb)  # (q S_g, nb)
                    add = C[:, :, None] * (D @ R[r]).reshape(q, -1, idx.size).transpose(1, 2, 0)
                    if r == 0:
                        add -= (D @ Xb[:, idx]).reshape(q, -1, idx.size).transpose(1, 2, 0)
                    if isinstance(members, slice):
                        g[members, idx] += add
                    else:
                        g[members[:, None], idx] += add
            return nb, b_mean, b_m2, g

        count, mean, m2 = 0, np.zeros(S), np.zeros(S)
        for nb, b_mean, b_m2, g in map(run_block, range(0, n, block)):
            total = count + nb
            delta_mean = b_mean - mean
            m2 = m2 + b_m2 + delta_mean**2 * count * nb / total
            mean = mean + delta_mean * nb / total
            count = total
            if gradient:
                grad += g
        rep_var = m2 / (n - 1) if n > 1 else np.zeros(S)
        if not gradient:
            return mean, rep_var, None
        # theta is stacked equation by equation: coef.T.ravel()
        return mean, rep_var, (grad / n).transpose(0, 2, 1).reshape(S, -1)
