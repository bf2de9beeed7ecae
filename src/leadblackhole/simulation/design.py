"""The population model the simulator draws from: :class:`StudyDesign`.

Every number here is an assumption of this package, chosen to mirror the
study's design, except the ones the public record fixes: 461 analysable reps,
four firms, the signs of the registry effects (docs/study.md) and the roughly 70%
of marketing leads that are never followed up. The firms' data, the survey
items and the published coefficients are not public.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from string import ascii_uppercase

import numpy as np

from ..exceptions import DesignError

__all__ = ["DEFAULT_BETA_MARKETING", "DEFAULT_BETA_SELF", "StudyDesign"]

#: True coefficients of the marketing-share equation (log-ratio to ``other``),
#: on the centred analysis variables. Assumptions, with the published signs.
DEFAULT_BETA_MARKETING: dict[str, float] = {
    "Intercept": -0.35,
    "prequal": 0.125,
    "tracking": 0.065,
    "volume": 0.155,
    "experience": -0.0087,
    "performance": -0.40,
    "variable_pay": -0.225,
    "experience:prequal": 0.0062,
    "experience:tracking": -0.0065,
    "experience:volume": -0.0065,
    "performance:prequal": 0.0,
    "performance:tracking": -0.25,
    "performance:volume": 0.36,
}

#: True coefficients of the self-generated-share equation (log-ratio to ``other``).
DEFAULT_BETA_SELF: dict[str, float] = {
    "Intercept": 0.15,
    "prequal": -0.02,
    "tracking": 0.0,
    "volume": 0.0,
    "experience": 0.005,
    "performance": 0.20,
    "variable_pay": 0.225,
    "experience:prequal": 0.0,
    "experience:tracking": 0.0,
    "experience:volume": 0.0,
    "performance:prequal": 0.0,
    "performance:tracking": 0.0,
    "performance:volume": 0.0,
}

_SLOPE_TERMS = (
    "prequal",
    "tracking",
    "volume",
    "experience",
    "performance",
    "variable_pay",
    "experience:prequal",
    "experience:tracking",
    "experience:volume",
    "performance:prequal",
    "performance:tracking",
    "performance:volume",
)
_SELECTION_VARIABLES = (
    "prequal",
    "tracking",
    "volume",
    "experience",
    "performance",
    "variable_pay",
)

_FIRM_WEIGHT_CYCLE = (0.35, 0.28, 0.22, 0.15)
_FIRM_LEADS_CYCLE = (30.0, 45.0, 22.0, 60.0)
#: Relative differences of the items' method loadings (``method_factor_spread``).
_METHOD_CYCLE = (1.0, -1.0, 0.5, -0.5)
_FIRM_PQ_CYCLE = (0.0, 0.3, -0.3, 0.2)
_FIRM_MT_CYCLE = (0.0, -0.2, 0.3, 0.1)
_FIRM_PAY_CYCLE = (25.0, 35.0, 20.0, 40.0)
_FIRM_MKT_CYCLE = (0.0, 0.10, -0.10, 0.15)
_FIRM_SELF_CYCLE = (0.0, -0.05, 0.10, 0.0)


def _cycle(values: tuple[float, ...], n: int) -> tuple[float, ...]:
    return tuple(values[i % len(values)] for i in range(n))


def _firm_labels(n: int) -> tuple[str, ...]:
    if n <= 26:
        return tuple(ascii_uppercase[:n])
    return tuple(f"F{i + 1:02d}" for i in range(n))


def _freeze(mapping: Mapping[str, float] | tuple) -> tuple[tuple[str, float], ...]:
    items = mapping.items() if isinstance(mapping, Mapping) else mapping
    return tuple((str(k), float(v)) for k, v in items)


@dataclass(frozen=True)
class StudyDesign:
    """Population model of the simulated study (frozen, hashable).

    Parameters
    ----------
    n_reps : int
        Analysable reps (with some time on marketing leads). Study: 461.
    n_zero_marketing : int
        Extra reps who spend no time on marketing leads; the sample rule
        excludes them. Assumption: drawn from the same population (so the
        true probit of having any marketing-lead time is flat).
    firms : tuple of str
        Firm labels. Study: four firms (labels are placeholders).
    firm_weights : tuple of float
        Relative firm sizes (assumption: 35/28/22/15%); counts are allocated
        by largest remainder, so they are fixed, not random.
    firm_lead_mean : tuple of float
        Mean monthly marketing leads per rep by firm (assumption).
    lead_dispersion : float
        Negative-binomial size of lead counts (assumption: 2, overdispersed).
    firm_prequal_shift, firm_tracking_shift : tuple of float
        Firm shifts of the latent scale scores, in latent SD units (assumption).
    firm_pay_mean : tuple of float
        Mean variable-pay percent by firm (assumption); SD ``pay_sd``.
    firm_effect_marketing, firm_effect_self : tuple of float
        True firm effects in the two share equations (first firm 0).
    prequal_loadings, tracking_loadings : tuple of float
        Standardized loadings of the items (assumption: 4 items each,
        0.70-0.85, alpha about 0.85); the number of loadings sets the number
        of items.
    scale_correlation : float
        Correlation of the two latent scales (assumption: 0.25).
    item_center, item_spread : float
        Items are ``round(item_center + item_spread * (loading * f + e))``
        clipped to 1-7 (assumption: 4.3 and 1.3).
    experience_shape, experience_scale : float
        Gamma distribution of years of experience, rounded to whole years
        (assumption: mean 10, right-skewed), capped at 60 years (the input schema's
        plausibility bound).
    quota_mean, quota_sd, quota_experience_slope : float
        Quota achievement percent: ``quota_mean + slope * (experience - 10) +
        N(0, quota_sd)``, rounded, at least 0 (assumption: 100, 20, 1.2 per
        year: correlation with experience about 0.35).
    pay_sd : float
        SD of variable pay percent within firm (assumption: 8).
    hours_mean, hours_sd : float
        Weekly working hours (assumption: 47, 6; clipped to 30-70).
    beta_marketing, beta_self : Mapping
        True coefficients of the two share equations (log-ratios to
        ``other``) on variables centred at their population means; terms
        not listed are 0. Defaults: :data:`DEFAULT_BETA_MARKETING`,
        :data:`DEFAULT_BETA_SELF`.
    precision : float
        Dirichlet precision phi = sum of alphas (assumption: 15).
    heap_step : int
        Reported percents are heaped on multiples of this (5, as survey
        answers are); 0 reports the exact shares. Heaping keeps
        ``pct_marketing`` at least one step for analysable reps.
    hours_per_lead : float
        Working hours one marketing lead needs to be followed up
        (assumption: calibrated so about 70% of leads are not followed up).
    include_variable_pay : bool
        Write the ``variable_pay_pct`` column (and let it enter the model).
    effect_scale : float
        Multiplies every slope of both share equations (every coefficient
        but the intercepts and the firm effects) and every firm-slope SD;
        1 is the default population, 0 makes every effect null.

    Other Parameters
    ----------------
    share_driver : {"observed", "latent"}
        What drives the shares: the observed scale scores (item means; the
        analysis model is then correctly specified) or the latent
        constructs, put on the item scale as ``item_center + item_spread *
        mean(loadings) * f`` (the analysis, which uses item means, then has
        measurement error in two predictors).
    firm_slope_sd : Mapping
        Marketing-equation term -> SD across firms of its slope (each firm
        of a simulated study draws its own deviation; default none).
    selection_coef : Mapping
        Variable (``prequal``, ``tracking``, ``volume``, ``experience``,
        ``performance``, ``variable_pay``) -> coefficient per within-sample SD
        in the propensity to spend time on marketing leads. With this,
        ``selection_rho`` or ``selection_exclusion`` set, the ``n_zero_marketing`` reps with the lowest
        propensity report no marketing-lead time (default: none, the zero-time
        reps are a random subset).
    selection_rho : float
        Weight, in -1..1, of the standardized residual of the rep's drawn
        marketing share (its logit minus the logit of its mean) in the
        propensity: the unobservable of the selection is correlated with the
        share.
    method_factor : float
        Loading of a common-method factor ``c ~ N(0, 1)`` on every Likert item,
        in units of the item's latent SD (default 0).
    method_factor_shares : float
        Coefficient of the same factor in the marketing log-ratio (the
        reported shares share the method; default 0).
    method_factor_spread : float
        Differences between the items' method loadings, in 0..1: item ``k`` of a
        scale loads ``method_factor * (1 + method_factor_spread * u)`` with ``u``
        from the cycle (1, -1, 0.5, -0.5), started at position 0 for
        prequalification, 1 for tracking and 2 for the marker (so every scale's
        mean loading stays near ``method_factor``; default 0: equal loadings).
    precision_experience : float
        Log-precision change per SD of experience (default 0: constant phi).
    precision_firm : tuple of float
        Log-precision shift per firm (empty: none).
    exact_fraction : float
        Fraction of reps who report whole percents instead of heaping on
        ``heap_step`` (default 0).
    volume_routing : float
        Change in the log mean of monthly leads per SD of quota achievement:
        leads are routed to past performers (default 0).
    volume_confounding : float
        An unobserved rep trait ``v ~ N(0, 1)`` shifts the log mean of leads
        and the marketing log-ratio by this much each (managers send leads
        to reps who work them): lead volume becomes endogenous (default 0).
    instrument_strength : float
        With a value other than 0 the survey records an instrument,
        ``campaign_budget`` (a territory's monthly marketing campaign budget in
        thousands, ``100 + 20 w`` with ``w ~ N(0, 1)``, rounded to 0.1 and at
        least 0), and the log mean of a rep's leads rises by this much per SD
        of ``w`` (the mean lead volume is kept, lognormal correction). The
        budget moves leads only, never the shares: a valid instrument for
        ``volume`` (default 0: no budget column, no draw).
    selection_exclusion : float
        With a value other than 0 (and ``n_zero_marketing > 0``) the survey
        records an exclusion variable, ``lead_access`` (days a month the rep
        can take leads from the lead-distribution system, ``15 + 4 a`` with
        ``a ~ N(0, 1)``, rounded to 0.1 and clipped to 0..31), which enters the
        propensity to spend any time on marketing leads with this coefficient
        per within-sample SD, and not the shares (default 0: no column, no
        draw).
    marker_items : int
        Number of items of a marker scale (columns ``mk_1 .. mk_k`` of the
        survey; default 0: none). A marker measures a construct ``g ~ N(0, 1)``
        unrelated to everything in the model, with the standardized loadings
        ``marker_loadings``, and carries the common-method factor with the
        loading ``method_factor`` like every other Likert item; it never
        enters the shares. Its draws come from its own child stream of the study's
        generator, so the other answers of a study do not change.
    marker_loadings : tuple of float
        Standardized loadings of the marker items on their construct, cycled
        over ``marker_items`` items (assumption: 0.80, 0.75, 0.70).

    Notes
    -----
    Shares: ``(marketing, self, other) ~ Dirichlet(phi * mu)`` with
    ``mu`` the multinomial logit of ``eta_marketing = x' beta_marketing``,
    ``eta_self = x' beta_self``, ``eta_other = 0``, where ``x`` is the
    docs/study.md right-hand side (:func:`leadblackhole.specification.design_matrix`)
    built from the *observed* scale scores and answers, centred at
    population means. The analysis model is therefore correctly specified
    when ``heap_step = 0``; heaping adds rounding error.

    Follow-up: a rep has ``hours_per_week * 52/12 * share_marketing /
    hours_per_lead`` hours-worth of lead capacity a month and follows up
    ``Binomial(lead_volume, min(1, capacity / lead_volume))`` leads.

    Examples
    --------
    >>> d = StudyDesign()
    >>> d.n_reps, len(d.firms)
    (461, 4)
    >>> StudyDesign.for_firms(5).firms
    ('A', 'B', 'C', 'D', 'E')
    """

    n_reps: int = 461
    n_zero_marketing: int = 0
    firms: tuple[str, ...] = ("A", "B", "C", "D")
    firm_weights: tuple[float, ...] = _FIRM_WEIGHT_CYCLE
    firm_lead_mean: tuple[float, ...] = _FIRM_LEADS_CYCLE
    lead_dispersion: float = 2.0
    firm_prequal_shift: tuple[float, ...] = _FIRM_PQ_CYCLE
    firm_tracking_shift: tuple[float, ...] = _FIRM_MT_CYCLE
    firm_pay_mean: tuple[float, ...] = _FIRM_PAY_CYCLE
    firm_effect_marketing: tuple[float, ...] = _FIRM_MKT_CYCLE
    firm_effect_self: tuple[float, ...] = _FIRM_SELF_CYCLE
    prequal_loadings: tuple[float, ...] = (0.85, 0.80, 0.75, 0.70)
    tracking_loadings: tuple[float, ...] = (0.80, 0.80, 0.75, 0.70)
    scale_correlation: float = 0.25
    item_center: float = 4.3
    item_spread: float = 1.3
    experience_shape: float = 2.0
    experience_scale: float = 5.0
    quota_mean: float = 100.0
    quota_sd: float = 20.0
    quota_experience_slope: float = 1.2
    pay_sd: float = 8.0
    hours_mean: float = 47.0
    hours_sd: float = 6.0
    beta_marketing: tuple[tuple[str, float], ...] | Mapping[str, float] = field(
        default_factory=lambda: _freeze(DEFAULT_BETA_MARKETING)
    )
    beta_self: tuple[tuple[str, float], ...] | Mapping[str, float] = field(
        default_factory=lambda: _freeze(DEFAULT_BETA_SELF)
    )
    precision: float = 15.0
    heap_step: int = 5
    hours_per_lead: float = 4.4
    include_variable_pay: bool = True
    effect_scale: float = 1.0
    share_driver: str = "observed"
    firm_slope_sd: tuple[tuple[str, float], ...] | Mapping[str, float] = ()
    selection_coef: tuple[tuple[str, float], ...] | Mapping[str, float] = ()
    selection_rho: float = 0.0
    method_factor: float = 0.0
    method_factor_shares: float = 0.0
    method_factor_spread: float = 0.0
    precision_experience: float = 0.0
    precision_firm: tuple[float, ...] = ()
    exact_fraction: float = 0.0
    volume_routing: float = 0.0
    volume_confounding: float = 0.0
    instrument_strength: float = 0.0
    selection_exclusion: float = 0.0
    marker_items: int = 0
    marker_loadings: tuple[float, ...] = (0.80, 0.75, 0.70)

    def __post_init__(self) -> None:
        for name in ("beta_marketing", "beta_self", "firm_slope_sd", "selection_coef"):
            object.__setattr__(self, name, _freeze(getattr(self, name)))
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, list):
                object.__setattr__(self, f.name, tuple(v))
        self._check()

    def _check(self) -> None:
        k = len(self.firms)
        problems = []
        if k < 2:
            problems.append(f"at least 2 firms are required, got {k}")
        if len(set(self.firms)) != k:
            problems.append("firm labels must be distinct")
        for name in (
            "firm_weights",
            "firm_lead_mean",
            "firm_prequal_shift",
            "firm_tracking_shift",
            "firm_pay_mean",
            "firm_effect_marketing",
            "firm_effect_self",
        ):
            if len(getattr(self, name)) != k:
                problems.append(f"{name} has {len(getattr(self, name))} values for {k} firms")
        if self.n_reps < 30:
            problems.append(f"n_reps must be at least 30, got {self.n_reps}")
        if self.n_zero_marketing < 0:
            problems.append("n_zero_marketing must be >= 0")
        if min(len(self.prequal_loadings), len(self.tracking_loadings)) < 2:
            problems.append("each scale needs at least 2 items (loadings)")
        if any(not 0 < x < 1 for x in self.prequal_loadings + self.tracking_loadings):
            problems.append("loadings must lie strictly between 0 and 1")
        if not -1 < self.scale_correlation < 1:
            problems.append("scale_correlation must lie strictly between -1 and 1")
        if self.precision <= 0 or self.hours_per_lead <= 0 or self.lead_dispersion <= 0:
            problems.append("precision, hours_per_lead and lead_dispersion must be positive")
        if self.heap_step < 0 or (self.heap_step and 100 % self.heap_step):
            problems.append("heap_step must be 0 or a divisor of 100")
        if self.effect_scale < 0:
            problems.append(f"effect_scale must be >= 0, got {self.effect_scale}")
        if self.share_driver not in ("observed", "latent"):
            problems.append(
                f"share_driver must be 'observed' or 'latent', got {self.share_driver!r}"
            )
        slope_terms = set(dict(self.beta_marketing)) - {"Intercept"} | set(_SLOPE_TERMS)
        bad = sorted(set(dict(self.firm_slope_sd)) - slope_terms)
        if bad:
            problems.append(f"firm_slope_sd names unknown terms {bad}")
        if any(v < 0 for _, v in self.firm_slope_sd):
            problems.append("firm_slope_sd values must be >= 0")
        bad = sorted(set(dict(self.selection_coef)) - set(_SELECTION_VARIABLES))
        if bad:
            problems.append(
                f"selection_coef names unknown variables {bad}; known: {list(_SELECTION_VARIABLES)}"
            )
        if not -1 <= self.selection_rho <= 1:
            problems.append("selection_rho must lie in -1..1")
        if self.selecting and self.n_zero_marketing == 0:
            problems.append(
                "selection_coef / selection_rho / selection_exclusion need n_zero_marketing > 0"
            )
        if self.precision_firm and len(self.precision_firm) != k:
            problems.append(f"precision_firm has {len(self.precision_firm)} values for {k} firms")
        if not 0 <= self.exact_fraction <= 1:
            problems.append("exact_fraction must lie in 0..1")
        if self.exact_fraction and not self.heap_step:
            problems.append("exact_fraction needs heap_step > 0 (with heap_step 0 all are exact)")
        if not 0 <= self.method_factor_spread <= 1:
            problems.append("method_factor_spread must lie in 0..1")
        if self.marker_items < 0 or self.marker_items == 1:
            problems.append(f"marker_items must be 0 or at least 2, got {self.marker_items}")
        if not self.marker_loadings or any(not 0 < x < 1 for x in self.marker_loadings):
            problems.append("marker_loadings must be non-empty and lie strictly between 0 and 1")
        if problems:
            raise DesignError("invalid StudyDesign: " + "; ".join(problems))

    def method_loadings(self, scale: str, n_items: int) -> np.ndarray:
        """The method loading of each item of ``scale`` (latent SD units; see ``method_factor_spread``).

        Examples
        --------
        >>> StudyDesign(method_factor=0.4, method_factor_spread=0.5).method_loadings("tracking", 4)
        array([0.2, 0.5, 0.3, 0.6])
        """
        start = {"prequal": 0, "tracking": 1, "marker": 2}[scale]
        u = np.asarray([_METHOD_CYCLE[(start + j) % len(_METHOD_CYCLE)] for j in range(n_items)])
        return self.method_factor * (1 + self.method_factor_spread * u)

    @classmethod
    def for_firms(cls, n_firms: int, **changes) -> StudyDesign:
        """A default design with ``n_firms`` firms (firm values cycle the four-firm defaults).

        Parameters
        ----------
        n_firms : int
            Number of firms (at least 2).
        **changes
            Other fields to set.
        """
        if n_firms < 2:
            raise DesignError(f"at least 2 firms are required, got {n_firms}")
        per_firm = {
            "firms": _firm_labels(n_firms),
            "firm_weights": _cycle(_FIRM_WEIGHT_CYCLE, n_firms),
            "firm_lead_mean": _cycle(_FIRM_LEADS_CYCLE, n_firms),
            "firm_prequal_shift": _cycle(_FIRM_PQ_CYCLE, n_firms),
            "firm_tracking_shift": _cycle(_FIRM_MT_CYCLE, n_firms),
            "firm_pay_mean": _cycle(_FIRM_PAY_CYCLE, n_firms),
            "firm_effect_marketing": _cycle(_FIRM_MKT_CYCLE, n_firms),
            "firm_effect_self": _cycle(_FIRM_SELF_CYCLE, n_firms),
        }
        per_firm.update(changes)
        return cls(**per_firm)

    def replace(self, **changes) -> StudyDesign:
        """A copy with some fields changed (see :func:`dataclasses.replace`)."""
        return replace(self, **changes)

    @property
    def selecting(self) -> bool:
        """Whether zero marketing time is selected on covariates or the unobservable."""
        return bool(self.selection_coef) or self.selection_rho != 0 or self.selection_exclusion != 0

    def coefficients(self) -> dict[str, dict[str, float]]:
        """True coefficients by equation (slopes times ``effect_scale``), terms not listed 0."""

        def scaled(beta) -> dict[str, float]:
            return {
                t: (v if t == "Intercept" else v * self.effect_scale) for t, v in dict(beta).items()
            }

        return {"marketing": scaled(self.beta_marketing), "self": scaled(self.beta_self)}
