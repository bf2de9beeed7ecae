"""From a fitted main model to lead-allocation decisions: :func:`allocate`.

A rep's expected follow-ups in a month are

.. math::

    f_i(L) = \\min\\big(L,\\; H_i \\cdot \\tfrac{52}{12} \\cdot \\mu_i(L) / h\\big),

with ``L`` the marketing leads the rep receives, ``H_i`` weekly working
hours, ``mu_i(L)`` the main model's expected marketing share at lead volume
``L`` and ``h`` the working hours one lead takes to follow up. The black-hole
rate of an allocation is ``1 - sum_i f_i(L_i) / B`` for a budget of ``B``
leads. Policies are compared under scenarios and under draws of the
estimates; see ``docs/allocation.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data import DEFAULT_RANGE
from ..exceptions import AllocationError
from ..models.results import SoftmaxLink
from ..specification import COMPONENTS
from ._model import (
    ShareCurves,
    check_marketing_model,
    curves_from_coefficients,
    draw_params,
    share_curves,
)
from .evaluate import (
    CHOSEN_ON_ESTIMATES,
    DIFFERENCE_COLUMNS,
    TRUE_DIFFERENCE_COLUMNS,
    difference_row,
    scenario_draws,
)
from .honest import DifferenceEstimate
from .policies import (
    check_budget,
    dual_bound,
    equal_split,
    expected_followups,
    greedy_allocation,
    max_budget,
    performance_score,
    score_split,
)

__all__ = [
    "BASELINES",
    "POLICIES",
    "POLICY_DESCRIPTIONS",
    "SCENARIOS",
    "AllocationResult",
    "HoursPerLead",
    "allocate",
    "apply_scenario",
    "estimate_hours_per_lead",
    "oracle_curves",
]

#: Policies a manager chooses between (``oracle`` is added on simulated data).
POLICIES: tuple[str, ...] = ("equal", "score", "optimal")
#: What each policy is, in words (the ``description`` column of ``policies``).
POLICY_DESCRIPTIONS: dict[str, str] = {
    "observed": "status quo as surveyed: the leads each rep reported",
    "equal": "even split of the budget, the common practice the study describes (not the "
    "surveyed status quo)",
    "score": "proportional to a rank score of experience and past performance (the study's advice)",
    "optimal": "greedy maximum of expected follow-ups under the fitted model",
    "oracle": "greedy maximum of follow-ups under the true parameters (simulated data)",
}
#: Scenarios (``baseline``: the reps as surveyed).
SCENARIOS: tuple[str, ...] = ("baseline", "prequal_up", "no_tracking_top")
#: Weeks per month.
WEEKS_PER_MONTH: float = 52.0 / 12.0
#: Bootstrap replicates behind the interval of an estimated hours per lead.
N_BOOT_HOURS: int = 999
#: Baselines of the policy differences, in the order of ``AllocationResult.differences``.
BASELINES: tuple[str, ...] = ("observed", "equal")


@dataclass(frozen=True)
class HoursPerLead:
    """Hours of work one marketing lead takes to follow up.

    Attributes
    ----------
    value : float
        Point value.
    low, high : float
        95% percentile-bootstrap interval (equal to ``value`` for an assumption).
    source : str
        ``"estimated"`` or ``"assumed"``.
    note : str
        How the value was obtained, in words.
    n_used : int
        Reps behind an estimate (0 for an assumption).
    replicates : ndarray
        Bootstrap replicates (empty for an assumption).
    """

    value: float
    low: float
    high: float
    source: str
    note: str
    n_used: int = 0
    replicates: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)


def estimate_hours_per_lead(
    raw: pd.DataFrame, n_boot: int = N_BOOT_HOURS, seed: int = 0
) -> HoursPerLead | None:
    """Estimate the hours one lead takes from reported hours, shares and follow-ups.

    Parameters
    ----------
    raw : DataFrame
        Analysis sample before centring (``AnalysisFrame.raw``): needs
        ``hours_per_week``, ``leads_followed_up``, ``lead_volume`` and the
        observed share ``marketing``.
    n_boot : int
        Bootstrap replicates of the interval.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    HoursPerLead or None
        ``None`` when the survey lacks the columns or no rep qualifies.

    Notes
    -----
    A rep whose follow-ups ``F_i`` fall short of the leads ``L_i`` ran out of
    time: ``F_i`` is (in expectation) ``T_i / h`` with ``T_i = H_i 52/12 s_i``
    the hours spent on marketing leads in a month. The ratio estimator over
    these reps is ``h = sum T_i / sum F_i``. A rep who followed up every lead
    (``F_i = L_i``) is censored: it only says ``h <= T_i / L_i`` and is left
    out (dropping it is what the ``min`` asks for; a rep whose time just
    sufficed by chance is dropped too, which biases ``h`` up slightly). The
    interval is the 2.5 and 97.5 percentiles of the estimator over
    ``n_boot`` resamples of the qualifying reps.
    """
    need = ("hours_per_week", "leads_followed_up", "lead_volume", "marketing")
    if any(c not in raw.columns for c in need):
        return None
    d = raw[list(need)].apply(pd.to_numeric, errors="coerce").dropna()
    d = d[(d["lead_volume"] > 0) & (d["leads_followed_up"] < d["lead_volume"])]
    if len(d) < 2 or d["leads_followed_up"].sum() <= 0:
        return None
    t = (d["hours_per_week"] * WEEKS_PER_MONTH * d["marketing"]).to_numpy(float)
    fu = d["leads_followed_up"].to_numpy(float)
    value = t.sum() / fu.sum()
    rng = np.random.default_rng(int(seed))
    reps = np.empty(int(n_boot))
    block = max(1, 1_000_000 // len(t))  # resamples per block: bounded memory
    for start in range(0, int(n_boot), block):
        k = min(block, int(n_boot) - start)
        idx = rng.integers(0, len(t), size=(k, len(t)))
        with np.errstate(divide="ignore", invalid="ignore"):
            reps[start : start + k] = t[idx].sum(axis=1) / fu[idx].sum(axis=1)
    reps = reps[np.isfinite(reps)]
    low, high = np.percentile(reps, [2.5, 97.5])
    n_cens = int(
        (raw["leads_followed_up"].notna() & (raw["leads_followed_up"] >= raw["lead_volume"])).sum()
    )
    note = (
        f"estimated from the survey: {value:.3f} hours per lead (95% bootstrap interval "
        f"{low:.3f} to {high:.3f}), ratio of marketing-lead hours to follow-ups over "
        f"{len(t)} reps who followed up fewer leads than they received ({n_cens} reps who "
        "followed up all their leads are censored and left out)"
    )
    return HoursPerLead(float(value), float(low), float(high), "estimated", note, len(t), reps)


def apply_scenario(
    raw: pd.DataFrame,
    scenario: str,
    scale_ranges: Mapping[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """The reps' analysis variables (uncentred) under a scenario.

    Parameters
    ----------
    raw : DataFrame
        Uncentred analysis variables (``AnalysisFrame.raw``).
    scenario : {"baseline", "prequal_up", "no_tracking_top"}
        ``baseline``: unchanged. ``prequal_up``: prequalification quality up
        by one analysis-sample standard deviation, capped at the scale's top
        answer. ``no_tracking_top``: tracking removed, i.e. set to the scale's
        lowest answer ("never tracked"), for the reps in the top quartile of
        past performance (at or above its 75th percentile).
    scale_ranges : Mapping[str, tuple of int], optional
        Scale name -> (lowest, highest) answer (``AnalysisFrame.scale_ranges``);
        a scale missing from it is 1-7 (:data:`~leadblackhole.data.DEFAULT_RANGE`),
        so the cap is 7 and "never tracked" is 1 on the study's scales, 5 and 0
        on a 1-5 prequalification and a 0-10 tracking scale.

    Returns
    -------
    DataFrame

    Raises
    ------
    AllocationError
        For an unknown scenario.
    """
    if scenario not in SCENARIOS:
        raise AllocationError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}")
    ranges = dict(scale_ranges or {})
    out = raw.copy()
    if scenario == "prequal_up":
        sd = float(raw["prequal"].std(ddof=1))
        top_answer = float(ranges.get("prequal", DEFAULT_RANGE)[1])
        out["prequal"] = np.minimum(raw["prequal"] + sd, top_answer)
    elif scenario == "no_tracking_top":
        top = raw["performance"] >= raw["performance"].quantile(0.75)
        out.loc[top, "tracking"] = float(ranges.get("tracking", DEFAULT_RANGE)[0])
    return out


def _centred(raw: pd.DataFrame, means: pd.Series) -> pd.DataFrame:
    out = raw[["firm"]].copy()
    for v in means.index:
        out[v] = raw[v].to_numpy(float) - float(means[v])
    return out


def oracle_curves(truth: Any, raw: pd.DataFrame) -> ShareCurves:
    """Share curves of the true population model for the reps in ``raw``.

    Parameters
    ----------
    truth : Truth
        The truth of a simulated study (:func:`leadblackhole.simulation.simulate`).
    raw : DataFrame
        Uncentred analysis variables (possibly under a scenario).

    Returns
    -------
    ShareCurves
        With the true coefficients and the population centring constants.

    Notes
    -----
    The simulator draws the shares from a Dirichlet distribution whose means
    are multinomial logits with base ``other`` (docs/simulation.md), so the
    true mean-share link is that softmax, given here explicitly.
    """
    eqs = ("marketing", "self")
    coef = pd.DataFrame({e: truth.params.loc[e] for e in eqs})
    link = SoftmaxLink(COMPONENTS, eqs, base=COMPONENTS.index("other"))
    means = truth.population_means
    firms = sorted(str(f) for f in truth.design.firms)
    return curves_from_coefficients(coef, link, means, firms, _centred(raw, means))


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """What :func:`allocate` returns.

    Attributes
    ----------
    allocation : DataFrame
        One row per scenario, policy and rep: ``scenario``, ``policy``,
        ``rep_id``, ``firm``, ``leads``, ``marketing_share`` (predicted),
        ``followups`` (expected, fitted model).
    policies : DataFrame
        One row per scenario and policy: ``policy``, ``scenario``,
        ``black_hole_rate``, ``black_hole_low``, ``black_hole_high``,
        ``followups``, ``followups_low``, ``followups_high`` (95% percentile
        intervals over the draws), ``leads`` (the budget), ``nonconcave_reps``
        and ``optimality_gap_bound`` (optimal policy only); the gain over the
        equal split in black-hole points (a fraction of the budget; positive
        when the policy leaves fewer leads in the black hole):
        ``naive_gain`` (evaluated at the estimates the optimal allocation was
        chosen on), ``honest_gain`` with ``honest_gain_low`` and
        ``honest_gain_high`` (interval at ``level``; bias-corrected for the
        optimal policy, equal to the naive gain for the others) and, on
        simulated data, ``true_black_hole_rate``, ``true_followups`` and
        ``true_gain`` (the same allocations evaluated with the true
        parameters); last, ``description`` (:data:`POLICY_DESCRIPTIONS`):
        ``observed`` is the status quo as the survey records it, ``equal``
        the even split the study calls common practice.
    budget : int
    hours_per_lead : HoursPerLead
    hours_note : str
        How weekly hours were obtained.
    n_draws, seed : int
    differences : DataFrame
        One row per scenario, policy and baseline (``observed`` when the
        budget is the survey's own, and ``equal``): ``scenario``, ``policy``,
        ``versus``, ``black_hole_diff`` (policy minus baseline: negative when
        the policy leaves fewer leads in the black hole), ``black_hole_diff_low``,
        ``black_hole_diff_high``, ``followups_diff`` (policy minus baseline),
        ``followups_diff_low``, ``followups_diff_high`` (intervals at
        ``level`` from paired draws), ``prob_better`` (probability that the
        policy follows up more leads than the baseline), ``naive_followups_diff``
        (the difference at the estimates), ``method`` (``paired draws``, or
        ``bootstrap bias correction`` for the optimal policy) and, on simulated
        data, ``true_black_hole_diff`` and ``true_followups_diff``.
    level : float
        Coverage of the intervals of the gains and differences.
    """

    allocation: pd.DataFrame
    policies: pd.DataFrame
    budget: int
    hours_per_lead: HoursPerLead
    hours_note: str
    n_draws: int
    seed: int
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    level: float = 0.95

    def summary(self) -> str:
        """A few lines for the console: assumptions, the black hole and the gains by policy."""
        lines = [
            f"lead budget: {self.budget} leads a month",
            f"hours per lead: {self.hours_per_lead.note}",
            f"hours per week: {self.hours_note}",
            f"uncertainty: {self.n_draws} draws of the estimates (seed {self.seed})",
        ]
        for r in self.policies.itertuples(index=False):
            lines.append(
                f"  {r.scenario:16s} {r.policy:8s} black hole {r.black_hole_rate:6.1%} "
                f"[{r.black_hole_low:6.1%}, {r.black_hole_high:6.1%}]  "
                f"follow-ups {r.followups:9.1f}"
            )
        gains = self.policies[self.policies["policy"] == CHOSEN_ON_ESTIMATES]
        if len(gains) and "honest_gain" in gains:
            lines.append(
                f"gain of the optimal allocation over the equal split, black-hole points "
                f"({self.level:.0%} interval; naive = evaluated on the estimates it was chosen on):"
            )
            for r in gains.itertuples(index=False):
                lines.append(
                    f"  {r.scenario:16s} honest {100 * r.honest_gain:5.2f} "
                    f"[{100 * r.honest_gain_low:5.2f}, {100 * r.honest_gain_high:5.2f}]  "
                    f"naive {100 * r.naive_gain:5.2f}"
                )
        return "\n".join(lines)


def _check_request(
    results: Any,
    frame: Any,
    observed: np.ndarray,
    budget: int,
    policies: Sequence[str],
    scenarios: Sequence[str],
    n_draws: Any,
    level: Any,
    truth: Any,
    hours_per_lead: float | None,
    hours_per_week: float | None,
) -> tuple[list[str], list[str]]:
    """The policies (``oracle`` added with a truth) and scenarios asked for, checked."""
    policies = list(dict.fromkeys(policies))
    known = POLICIES + ("observed", "oracle")
    for p in policies:
        if p not in known:
            raise AllocationError(f"unknown policy {p!r}; expected one of {known}")
    if "observed" in policies and budget != int(observed.sum()):
        raise AllocationError(
            "the observed allocation spends the survey's own total of "
            f"{int(observed.sum())} leads, not a budget of {budget}"
        )
    if "oracle" in policies and truth is None:
        raise AllocationError("the oracle policy needs the true parameters of a simulated survey")
    if truth is not None and "oracle" not in policies:
        policies.append("oracle")
    if truth is not None and list(frame.firms) != sorted(str(f) for f in truth.design.firms):
        raise AllocationError(
            f"the survey's firms {list(frame.firms)} are not those of the simulated design "
            f"{sorted(truth.design.firms)}: the oracle needs a survey drawn from that design"
        )
    scenarios = list(dict.fromkeys(scenarios))
    for s in scenarios:
        if s not in SCENARIOS:
            raise AllocationError(f"unknown scenario {s!r}; expected one of {SCENARIOS}")
    if not isinstance(n_draws, int | np.integer) or n_draws < 0:
        raise AllocationError(f"n_draws must be a whole number >= 0; received {n_draws!r}")
    if not (isinstance(level, float | int) and 0.0 < float(level) < 1.0):
        raise AllocationError(f"level must be a number between 0 and 1; received {level!r}")
    check_marketing_model(results)
    for name, v in (("hours_per_lead", hours_per_lead), ("hours_per_week", hours_per_week)):
        if v is not None and not (np.isfinite(v) and v > 0):
            raise AllocationError(f"{name} must be a positive number; received {v!r}")
    return policies, scenarios


def _hours_per_lead(
    raw: pd.DataFrame, given: float | None, n_draws: int, seed: int, assumed: float
) -> HoursPerLead:
    """Hours per lead: given, else estimated from the survey, else the simulator's value."""
    if given is not None:
        v = float(given)
        return HoursPerLead(v, v, v, "assumed", f"assumed {given:g} hours per lead (given)")
    hpl = estimate_hours_per_lead(raw, n_boot=max(N_BOOT_HOURS, n_draws), seed=seed)
    if hpl is not None:
        return hpl
    why = (
        "the survey lacks leads_followed_up or hours_per_week"
        if not {"leads_followed_up", "hours_per_week"} <= set(raw.columns)
        else "no rep followed up fewer leads than received"
    )
    return HoursPerLead(
        assumed,
        assumed,
        assumed,
        "assumed",
        f"assumed {assumed:g} hours per lead (the simulator's value; {why})",
    )


def _weekly_hours(raw: pd.DataFrame, assumed: float) -> tuple[np.ndarray, str]:
    """Each rep's weekly hours (reported, else ``assumed``) and how they were obtained."""
    if "hours_per_week" not in raw.columns:
        note = f"not in the survey: every rep assumed to work {assumed:g} hours a week"
        return np.full(len(raw), assumed), note
    hours = pd.to_numeric(raw["hours_per_week"], errors="coerce").to_numpy(float)
    miss = int(np.isnan(hours).sum())
    note = "reported" + (
        f"; {miss} reps without an answer assumed to work {assumed:g} hours" if miss else ""
    )
    return np.where(np.isnan(hours), assumed, hours), note


def _plan(
    policy: str,
    curves: ShareCurves,
    capacity: np.ndarray,
    budget: int,
    cap: int,
    observed: np.ndarray,
    order: np.ndarray,
    score: np.ndarray,
    oracle: ShareCurves | None,
    true_cap: np.ndarray | None,
) -> tuple[np.ndarray, dict[str, float]]:
    """One policy's leads per rep, and for ``optimal`` its greedy diagnostics."""
    if policy == "observed":
        return observed, {}
    if policy == "equal":
        return equal_split(len(observed), budget, order), {}
    if policy == "score":
        return score_split(score, budget), {}
    if policy == "optimal":
        g = greedy_allocation(curves, capacity, budget, cap)
        got = float(expected_followups(curves, capacity, g.leads).sum())
        bound = dual_bound(curves, capacity, budget, cap, g.last_gain)
        return g.leads, {
            "nonconcave_reps": int(g.nonconcave.sum()),
            "optimality_gap_bound": max(0.0, bound - got),
        }
    return greedy_allocation(oracle, true_cap, budget, cap).leads, {}


def _policy_row(
    policy: str,
    scenario: str,
    fu: np.ndarray,
    tot: np.ndarray,
    budget: int,
    leads: np.ndarray,
    extra: dict[str, float],
    gain: DifferenceEstimate,
) -> dict[str, Any]:
    """A policy's row of the policies table: point values, the draws' 95% intervals, gains.

    ``gain`` is the policy against the equal split (in follow-ups); its naive
    and honest values are reported as fractions of the budget.
    """
    drawn = len(tot) > 0
    return {
        "policy": policy,
        "scenario": scenario,
        "black_hole_rate": 1.0 - fu.sum() / budget,
        "black_hole_low": 1.0 - np.percentile(tot, 97.5) / budget if drawn else np.nan,
        "black_hole_high": 1.0 - np.percentile(tot, 2.5) / budget if drawn else np.nan,
        "followups": float(fu.sum()),
        "followups_low": float(np.percentile(tot, 2.5)) if drawn else np.nan,
        "followups_high": float(np.percentile(tot, 97.5)) if drawn else np.nan,
        "leads": int(leads.sum()),
        "nonconcave_reps": extra.get("nonconcave_reps", np.nan),
        "optimality_gap_bound": extra.get("optimality_gap_bound", np.nan),
        "naive_gain": gain.naive / budget,
        "honest_gain": gain.estimate / budget,
        "honest_gain_low": gain.low / budget,
        "honest_gain_high": gain.high / budget,
    }


def allocate(
    results: Any,
    frame: Any,
    *,
    budget: int | None = None,
    policies: Sequence[str] = POLICIES,
    scenarios: Sequence[str] = ("baseline",),
    n_draws: int = 200,
    seed: int = 0,
    hours_per_lead: float | None = None,
    hours_per_week: float | None = None,
    truth: Any = None,
    level: float = 0.95,
) -> AllocationResult:
    """Compare lead-allocation policies under scenarios, with intervals.

    Parameters
    ----------
    results : ShareResults
        The fitted main model (``fit_share_model(frame, "dirichlet")``, or
        the Dirichlet fit saved by ``leadblackhole fit``); any share model
        whose link gives the ``marketing`` share works.
    frame : AnalysisFrame
        The analysis frame it was fitted on (its ``scale_ranges`` bound the
        scenarios: :func:`apply_scenario`).
    budget : int, optional
        Monthly leads to allocate; default the analysis sample's total
        ``lead_volume``.
    policies : sequence of str
        Among ``equal``, ``score``, ``optimal``, ``observed`` (the leads the
        reps reported: the status quo as surveyed, only with the survey's own
        budget) and ``oracle`` (needs ``truth``).
    scenarios : sequence of str
        Among :data:`SCENARIOS`.
    n_draws : int
        Draws of the estimates for the intervals (0: none).
    seed : int
        Seed of every draw (parameters and the hours-per-lead bootstrap).
    hours_per_lead : float, optional
        Hours one lead takes. Used when given; otherwise estimated from the
        survey when it has ``leads_followed_up`` and ``hours_per_week``;
        otherwise the simulator's default assumption.
    hours_per_week : float, optional
        Weekly hours assumed for reps without ``hours_per_week``; default the
        simulator's mean.
    truth : Truth, optional
        The truth of a simulated survey: adds the ``oracle`` policy and the
        ``true_*`` columns.
    level : float
        Coverage of the intervals of the gains and of the policy differences
        (strictly between 0 and 1; the black-hole intervals stay 95%).

    Returns
    -------
    AllocationResult

    Raises
    ------
    AllocationError
        Bad budget (or one above :func:`~leadblackhole.allocation.max_budget`),
        unknown policy or scenario, ``oracle`` without truth or
        with a survey whose firms are not the design's,
        ``observed`` with another budget than the survey's,
        non-positive assumptions, negative ``n_draws``, a ``level`` outside
        (0, 1), a model whose link gives no ``marketing`` share.

    Notes
    -----
    Every policy's allocation is decided once, at the point estimates, and
    then evaluated under each draw ``theta_d ~ N(theta_hat, V_hat)`` of the
    mean coefficients (``mean_coef``, ``mean_cov``) (and,
    when ``h`` is estimated, the ``d``-th bootstrap replicate of ``h``): the
    interval says how well a decision taken now is likely to do. The
    differences between policies use the same draws for both (paired). The
    optimal allocation is also re-chosen under every draw, which measures how
    much an allocation chosen on estimates flatters itself; its gains and
    differences are corrected by that optimism
    (:mod:`~leadblackhole.allocation.honest`). The optimal
    policy gives no rep more than ``max(largest observed lead volume,
    ceil(B / n))`` leads, so the model is not asked about lead volumes far
    outside the data.

    Examples
    --------
    >>> out = allocate(res, frame, n_draws=50, seed=1)     # doctest: +SKIP
    >>> out.policies[["policy", "black_hole_rate"]]        # doctest: +SKIP
    """
    from ..simulation import StudyDesign

    default = StudyDesign()
    raw = frame.raw
    n = len(raw)
    observed = np.rint(raw["lead_volume"].to_numpy(float)).astype(np.int64)
    budget = int(observed.sum()) if budget is None else check_budget(budget, max_budget(observed))
    policies, scenarios = _check_request(
        results, frame, observed, budget, policies, scenarios, n_draws, level, truth,
        hours_per_lead, hours_per_week,
    )  # fmt: skip
    hpl = _hours_per_lead(raw, hours_per_lead, n_draws, seed, default.hours_per_lead)
    h_assumed = default.hours_mean if hours_per_week is None else float(hours_per_week)
    hours, hours_note = _weekly_hours(raw, h_assumed)
    per_share = hours * WEEKS_PER_MONTH  # monthly hours; capacity = per_share / h

    setting = _Setting(
        results=results,
        frame=frame,
        observed=observed,
        budget=budget,
        cap=max(int(observed.max()), -(-budget // n)),
        order=np.argsort(raw["rep_id"].astype(str).to_numpy(), kind="stable"),
        score=performance_score(
            raw["experience"].to_numpy(float), raw["performance"].to_numpy(float)
        ),
        per_share=per_share,
        hpl=hpl,
        draws=draw_params(results, n_draws, seed) if n_draws else np.empty((0, 0)),
        h_draws=(
            hpl.replicates[np.arange(n_draws) % len(hpl.replicates)]
            if hpl.source == "estimated"
            else np.full(n_draws, hpl.value)
        ),
        truth=truth,
        level=float(level),
    )
    alloc_rows, policy_rows, diff_rows = [], [], []
    for scen in scenarios:
        a, p, d = _scenario_rows(setting, scen, policies)
        alloc_rows += a
        policy_rows += p
        diff_rows += d
    columns = DIFFERENCE_COLUMNS + (TRUE_DIFFERENCE_COLUMNS if truth is not None else ())
    return AllocationResult(
        allocation=pd.concat(alloc_rows, ignore_index=True),
        policies=pd.DataFrame(policy_rows),
        budget=budget,
        hours_per_lead=hpl,
        hours_note=hours_note,
        n_draws=int(n_draws),
        seed=int(seed),
        differences=pd.DataFrame(diff_rows, columns=list(columns)),
        level=float(level),
    )


@dataclass(frozen=True)
class _Setting:
    """What every scenario of one ``allocate`` call shares."""

    results: Any
    frame: Any
    observed: np.ndarray
    budget: int
    cap: int
    order: np.ndarray
    score: np.ndarray
    per_share: np.ndarray
    hpl: HoursPerLead
    draws: np.ndarray
    h_draws: np.ndarray
    truth: Any
    level: float

    @property
    def true_cap(self) -> np.ndarray | None:
        """Capacity with the design's true hours per lead (simulated data)."""
        if self.truth is None:
            return None
        return self.per_share / self.truth.design.hours_per_lead

    @property
    def baselines(self) -> list[str]:
        """The baselines of the differences: ``observed`` only with the survey's own budget."""
        own = self.budget == int(self.observed.sum())
        return [b for b in BASELINES if b != "observed" or own]


def _scenario_rows(
    st: _Setting, scen: str, policies: list[str]
) -> tuple[list[pd.DataFrame], list[dict[str, Any]], list[dict[str, Any]]]:
    """One scenario's allocation frames, policy rows and difference rows."""
    raw, budget, true_cap = st.frame.raw, st.budget, st.true_cap
    sraw = apply_scenario(raw, scen, getattr(st.frame, "scale_ranges", None))
    data = _centred(sraw, st.frame.means)
    curves = share_curves(st.results, st.frame, data=data)
    capacity = st.per_share / st.hpl.value
    oracle = oracle_curves(st.truth, sraw) if st.truth is not None else None
    plans, extra = {}, {}
    for p in policies:
        plans[p], extra[p] = _plan(
            p, curves, capacity, budget, st.cap, st.observed, st.order, st.score, oracle, true_cap
        )
    # the baselines of the gains and differences, evaluated even when not listed
    equal_plan = equal_split(len(raw), budget, st.order)
    bases = st.baselines
    evaluated = {
        **{b: (st.observed if b == "observed" else equal_plan) for b in bases},
        **plans,
    }
    draws_of = scenario_draws(
        st.results,
        st.frame,
        data,
        curves,
        capacity,
        st.per_share,
        st.draws,
        st.h_draws,
        evaluated,
        budget,
        st.cap,
        st.level,
    )
    true_fu = (
        {p: float(expected_followups(oracle, true_cap, v).sum()) for p, v in evaluated.items()}
        if st.truth is not None
        else {}
    )
    alloc_rows, policy_rows, diff_rows = [], [], []
    for p, leads in plans.items():
        share = curves.marketing(leads)
        fu = np.minimum(leads, capacity * share)
        alloc_rows.append(
            pd.DataFrame(
                {
                    "scenario": scen,
                    "policy": p,
                    "rep_id": raw["rep_id"].to_numpy(),
                    "firm": raw["firm"].to_numpy(),
                    "leads": leads,
                    "marketing_share": share,
                    "followups": fu,
                }
            )
        )
        gain = draws_of.difference(p, "equal")
        row = _policy_row(p, scen, fu, draws_of.totals[p], budget, leads, extra[p], gain)
        if true_fu:
            row["true_black_hole_rate"] = 1.0 - true_fu[p] / budget
            row["true_followups"] = true_fu[p]
            row["true_gain"] = (true_fu[p] - true_fu["equal"]) / budget
        row["description"] = POLICY_DESCRIPTIONS[p]
        policy_rows.append(row)
        diff_rows += [
            difference_row(scen, p, b, draws_of.difference(p, b), budget, true_fu)
            for b in bases
            if b != p
        ]
    return alloc_rows, policy_rows, diff_rows
