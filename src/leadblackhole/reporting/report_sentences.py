"""The results in words: one sentence per hypothesis, the agreement, the Johnson–Neyman regions.

The sentences read the tables the pipeline wrote (``hypotheses.csv``,
``descriptives.csv``, ``johnson_neyman.csv``) and say what they show: each
effect per standard deviation with its interval and verdict
(:func:`hypothesis_sentences`), how many hypotheses each model supports
(:func:`agreement_sentences`), where each moderation is significant
(:func:`jn_sentences`), whether the corrected and two-step versions of the
main model that ``fit`` added disagree with it (:func:`correction_disagreements`,
:func:`correction_sentences`) and, on simulated data, how the estimates compare
with the population values the simulator knows (:func:`truth_table`,
:func:`truth_sentences`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..registry import HYPOTHESES
from .report_format import (
    format_level,
    format_number,
    format_p_phrase,
    interval_level,
)

__all__ = [
    "CORRECTION_ASSUMPTIONS",
    "CORRECTION_NAMES",
    "DISAGREEMENT_COLUMNS",
    "MODEL_NAMES",
    "OUTCOME_NAMES",
    "VARIABLE_NAMES",
    "VARIABLE_UNITS",
    "agreement_sentences",
    "corrected_models",
    "correction_assumptions",
    "correction_disagreements",
    "correction_sentences",
    "hypothesis_sentences",
    "jn_sentences",
    "truth_sentences",
    "truth_table",
]

#: Readable names of the analysis variables (in sentences).
VARIABLE_NAMES: dict[str, str] = {
    "prequal": "prequalification quality",
    "tracking": "managerial tracking",
    "volume": "marketing lead volume",
    "experience": "experience",
    "performance": "past performance",
    "variable_pay": "variable pay",
}

#: Units of one standard deviation of each variable (raw scale).
VARIABLE_UNITS: dict[str, str] = {
    "prequal": "scale points",
    "tracking": "scale points",
    "volume": "on the ln(1 + leads) scale",
    "experience": "years",
    "performance": "of quota",
    "variable_pay": "of pay",
}

#: The outcomes (time shares) in sentences.
OUTCOME_NAMES: dict[str, str] = {
    "marketing": "the share of time on marketing leads",
    "self": "the share of time on self-generated leads",
    "other": "the share of time on other work",
}

#: Readable names of the models (in sentences and table headers).
MODEL_NAMES: dict[str, str] = {
    "dirichlet_rounded": "Rounding-aware Dirichlet",
    "dirichlet": "Dirichlet",
    "ols": "OLS",
    "fractional_logit": "Fractional logit",
    "sur": "SUR",
    "probit": "Probit (any marketing time)",
}


#: The corrected and two-step versions of the main model, by the suffix ``fit`` gives their
#: names (``<main><suffix>``), as the report names them.
CORRECTION_NAMES: dict[str, str] = {
    "_eiv": "errors-in-variables correction",
    "_marker": "common-method correction with the marker scale",
    "_cf": "control function",
    "_heckman": "selection correction",
    "_heckman_functional_form": "selection correction identified by functional form only",
}

#: What each corrected or two-step model assumes, by suffix (a clause after "The <name> ...").
#: The report states it beside the comparison, since a disagreement with the main model is
#: the size of what the assumption decides (docs/corrections.md, docs/endogeneity.md).
CORRECTION_ASSUMPTIONS: dict[str, str] = {
    "_eiv": (
        "assumes that the error of the scale answers does not drive the shares (reps react "
        "to the constructs, not to their own answers); if the shares depend on the item "
        "means themselves, it overstates the scale effects by about one over the scale's "
        "reliability, and no survey can tell the two cases apart"
    ),
    "_marker": (
        "assumes one response-style factor on every Likert item, the marker's included, a "
        "marker unrelated to the constructs of the model, and a marker that carries as much "
        "of the response style as the model's items (their loadings may differ item by item "
        "only when the test of equal loadings says so, or with --marker-loadings free)"
    ),
    "_cf": (
        "assumes that the instrument moves the endogenous variable and reaches the shares "
        "only through it"
    ),
    "_heckman": (
        "assumes a probit for reporting any marketing time, moved by the exclusion variable, "
        "which does not reach the shares, and shares that depend on the selection error "
        "through the inverse Mills ratio"
    ),
    "_heckman_functional_form": (
        "has no exclusion variable: it is identified only by the normality of the selection "
        "probit's errors"
    ),
}

#: Columns of :func:`correction_disagreements`.
DISAGREEMENT_COLUMNS: tuple[str, ...] = (
    "model",
    "id",
    "main_estimate",
    "main_std_error",
    "main_p_value",
    "estimate",
    "std_error",
    "p_value",
    "difference",
    "sign_differs",
    "significance_differs",
    "exceeds_se",
    "disagrees",
)


def _verdict(row: Mapping[str, object], expected: int, alpha: float) -> str:
    p = float(row["p_value"])
    if expected == 0:
        return f"exploratory, p {format_p_phrase(p)}"
    if str(row.get("supported")) == "True":
        return "supported"
    if np.sign(float(row["estimate"])) != expected and p < alpha:
        return "not supported: significant in the opposite direction"
    return f"not supported, p {format_p_phrase(p)}"


def hypothesis_sentences(
    hypotheses: pd.DataFrame, sd: Mapping[str, float], model: str = "dirichlet"
) -> list[str]:
    """One sentence per hypothesis: the effect per standard deviation with its interval.

    Parameters
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv`` (per-unit share-scale effects with intervals).
    sd : mapping
        Standard deviation of every analysis variable in the analysis sample
        (``descriptives.csv``, group ``all``).
    model : str
        The model whose effects are described.

    Returns
    -------
    list of str
        Markdown sentences, in registry order.

    Notes
    -----
    A main effect :math:`\\bar\\beta` (average derivative of the expected share
    per unit of the predictor ``x``) becomes :math:`100\\,\\bar\\beta\\,s_x`
    percentage points for a one-SD rise in ``x``. A moderation (average
    cross-partial per unit of ``x`` and unit of the moderator ``m``) becomes
    :math:`100\\,\\bar\\gamma\\,s_x s_m`: the change in the effect of a one-SD
    rise in ``x`` when ``m`` rises by one SD. The interval is scaled alike;
    its level is that of the table.

    Examples
    --------
    >>> hypothesis_sentences(pd.read_csv("results/models/hypotheses.csv"), sd)  # doctest: +SKIP
    """
    rows = hypotheses[hypotheses["model"] == model]
    level = interval_level(rows) if len(rows) else 0.95
    ci = f"{format_level(level)} CI"
    out = []
    for h in HYPOTHESES:
        r = rows[rows["id"] == h.id]
        if r.empty or h.predictor not in sd:
            continue
        row = dict(r.iloc[0])
        scale = 100 * sd[h.predictor]
        if h.moderator is not None:
            if h.moderator not in sd:
                continue
            scale *= sd[h.moderator]
        est, lo, hi = (scale * float(row[k]) for k in ("estimate", "conf_low", "conf_high"))
        up = est >= 0
        a, b = (lo, hi) if up else (-hi, -lo)
        x = VARIABLE_NAMES.get(h.predictor, h.predictor)
        interval = f"({ci} {format_number(a, 1)} to {format_number(b, 1)}; {h.id} {_verdict(row, h.expected_sign, 1 - level)})"
        if h.moderator is None:
            verb = "raises" if up else "lowers"
            sentence = (
                f"A one-SD rise in {x} ({format_number(sd[h.predictor], 2)} "
                f"{VARIABLE_UNITS.get(h.predictor, '')}) {verb} "
                f"{OUTCOME_NAMES.get(h.outcome, h.outcome)} by {format_number(abs(est), 1)} "
                f"percentage points {interval}."
            )
        else:
            m = VARIABLE_NAMES.get(h.moderator, h.moderator)
            verb = "rises" if up else "falls"
            sentence = (
                f"Per one-SD rise in {m} ({format_number(sd[h.moderator], 2)} "
                f"{VARIABLE_UNITS.get(h.moderator, '')}), the effect of a one-SD rise in {x} "
                f"on {OUTCOME_NAMES.get(h.outcome, h.outcome)} {verb} by "
                f"{format_number(abs(est), 1)} percentage points {interval}."
            )
        out.append(f"**{h.id}.** " + re.sub(r"\s+", " ", sentence))
    return out


def agreement_sentences(
    hypotheses: pd.DataFrame, models: Sequence[str], main_model: str = "dirichlet"
) -> list[str]:
    """How many directional hypotheses the main model and each robustness model support.

    Parameters
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv``.
    models : sequence of str
        The models of the table, in the order they are named.
    main_model : str, default "dirichlet"
        The main model.

    Returns
    -------
    list of str
        A sentence on the main model, then one on the robustness models (when any).
    """
    main = hypotheses[hypotheses["model"] == main_model]
    directional = [h for h in HYPOTHESES if h.expected_sign != 0]
    agree = [h.id for h in directional if (main[main["id"] == h.id]["supported"] == True).any()]  # noqa: E712
    disagree = [h.id for h in directional if h.id not in agree and (main["id"] == h.id).any()]
    lines = [
        f"Of the {len(agree) + len(disagree)} directional hypotheses, the main model supports "
        f"{len(agree)}"
        + (f" ({', '.join(agree)})" if agree else "")
        + (
            f" and does not support {len(disagree)} ({', '.join(disagree)})."
            if disagree
            else "; none disagrees with the published findings."
        )
    ]
    others = [m for m in models if m != main_model]
    if others:
        per_model = []
        for m in others:
            sub = hypotheses[hypotheses["model"] == m]
            k = int((sub["supported"] == True).sum())  # noqa: E712
            n = int(sub["id"].isin([h.id for h in directional]).sum())
            per_model.append(f"{MODEL_NAMES.get(m, m)} {k} of {n}")
        lines.append("The robustness models support: " + "; ".join(per_model) + ".")
    return lines


def jn_sentences(jn: pd.DataFrame) -> list[str]:
    """One Markdown list item per moderation: where its effect is significant.

    Parameters
    ----------
    jn : DataFrame
        ``johnson_neyman.csv`` (the regions of the normal critical value are read).

    Returns
    -------
    list of str
    """
    lines = []
    normal = jn[jn["method"] == "normal"] if "method" in jn else jn
    for hid, g in normal.groupby("id", sort=False):
        # a moderation without a region has one row with an empty sign (NaN read from the CSV)
        sig = g[g["sign"].notna() & (g["sign"] != 0)] if "sign" in g else g
        if sig.empty:
            lines.append(f"- {hid}: the effect is significant nowhere in the observed range.")
            continue
        parts = []
        for r in sig.itertuples(index=False):
            direction = "positive" if r.sign > 0 else "negative"
            parts.append(
                f"significantly {direction} where {r.moderator} is between {format_number(r.low, 2)} "
                f"and {format_number(r.high, 2)} ({100 * r.share_of_reps:.0f}% of reps)"
            )
        first = sig.iloc[0]
        lines.append(f"- {hid}: the effect of {first.predictor} is " + "; ".join(parts) + ".")
    return lines


def truth_table(
    hypotheses: pd.DataFrame,
    truth: Mapping[str, float],
    model: str = "dirichlet",
    sd: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Each estimate of ``model`` beside its population value, and whether the interval covers it.

    Parameters
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv`` (per-unit share-scale effects with intervals).
    truth : mapping
        Population value of each effect (per unit, share scale), keyed by hypothesis id.
    model : str
        The model whose estimates are compared.
    sd : mapping, optional
        Standard deviations of the analysis variables: when given, every value
        is shown per SD in percentage points, as :func:`hypothesis_sentences`
        shows it (``100 * value * sd_x``, times ``sd_m`` for a moderation); the
        scaling is common to estimate, interval and population value, so
        coverage does not depend on it.

    Returns
    -------
    DataFrame
        ``id``, ``estimate``, ``conf_low``, ``conf_high``, ``truth``, ``covered``
        (``"yes"``/``"no"``), ``agrees`` (the published-sign verdict, ``"yes"``,
        ``"no"`` or empty for an exploratory effect), in registry order.
    """
    rows = hypotheses[hypotheses["model"] == model].set_index("id")
    out = []
    for h in HYPOTHESES:
        if h.id not in rows.index or h.id not in truth:
            continue
        r = rows.loc[h.id]
        value = float(truth[h.id])
        covered = float(r["conf_low"]) <= value <= float(r["conf_high"])
        scale = 1.0
        if sd is not None:
            scale = 100 * sd.get(h.predictor, np.nan)
            if h.moderator is not None:
                scale *= sd.get(h.moderator, np.nan)
        agrees = "" if h.expected_sign == 0 else ("yes" if str(r["supported"]) == "True" else "no")
        out.append(
            {
                "id": h.id,
                "estimate": scale * float(r["estimate"]),
                "conf_low": scale * float(r["conf_low"]),
                "conf_high": scale * float(r["conf_high"]),
                "truth": scale * value,
                "covered": "yes" if covered else "no",
                "agrees": agrees,
            }
        )
    return pd.DataFrame(
        out, columns=["id", "estimate", "conf_low", "conf_high", "truth", "covered", "agrees"]
    )


def truth_sentences(table: pd.DataFrame, level: float = 0.95) -> list[str]:
    """What the comparison with the population values says, in words.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`truth_table`.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    list of str
        How many intervals cover their population value (and which miss), then
        what a hypothesis that does not agree with the published sign means
        when the population value has that sign: an effect this sample did not
        detect (low power), not a contradiction.
    """
    if table.empty:
        return []
    n, k = len(table), int((table["covered"] == "yes").sum())
    missed = list(table.loc[table["covered"] == "no", "id"])
    lines = [
        f"Of the {n} {format_level(level)} intervals, {k} cover the population value"
        + (f"; {', '.join(missed)} miss it." if missed else ".")
        + f" With {n} intervals about {format_number((1 - level) * n, 1)} misses are expected "
        "by chance; more point to a biased estimator (a model that takes rounded percents "
        "as exact attenuates the effects, `docs/simulation.md`)."
    ]
    signed = {h.id: h.expected_sign for h in HYPOTHESES}
    true_sign = [
        r.id
        for r in table.itertuples(index=False)
        if signed.get(r.id, 0) != 0 and np.sign(r.truth) == signed[r.id]
    ]
    not_agree = [i for i in true_sign if (table.loc[table["id"] == i, "agrees"] == "no").any()]
    lines.append(
        "A hypothesis *agrees with the published sign* when its estimate has that sign and "
        f"p < {1 - level:.3g}. In the simulated population "
        + (
            "every directional effect has its published sign"
            if len(true_sign) == int(sum(1 for i in table["id"] if signed.get(i, 0) != 0))
            else f"{len(true_sign)} directional effects have their published sign"
        )
        + ", so a hypothesis that does not agree here"
        + (f" ({', '.join(not_agree)})" if not_agree else "")
        + " is a true effect this sample did not detect, not a contradiction of the published "
        "finding: the power to detect an effect is below one (the default design's power "
        "is in the table below; `make diagnose` estimates it for any design by a design "
        "diagnosis, Blair, Cooper, Coppock & Humphreys 2019)."
    )
    return lines


def corrected_models(hypotheses: pd.DataFrame, main_model: str) -> list[str]:
    """The corrected and two-step versions of ``main_model`` in ``hypotheses.csv``, in its order.

    Parameters
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv``.
    main_model : str
        The main model (``dirichlet`` or ``dirichlet_rounded``).

    Returns
    -------
    list of str
        The models named ``<main_model><suffix>`` for a suffix of :data:`CORRECTION_NAMES`.
    """
    names = {f"{main_model}{suffix}" for suffix in CORRECTION_NAMES}
    return [m for m in dict.fromkeys(hypotheses["model"].astype(str)) if m in names]


def correction_assumptions(hypotheses: pd.DataFrame, main_model: str) -> list[str]:
    """One sentence per corrected or two-step model: what it assumes.

    Parameters
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv``.
    main_model : str
        The main model.

    Returns
    -------
    list of str
        In the order of :func:`corrected_models`, from :data:`CORRECTION_ASSUMPTIONS`.

    Examples
    --------
    >>> h = pd.DataFrame({"model": ["dirichlet", "dirichlet_cf"]})
    >>> correction_assumptions(h, "dirichlet")[0][:40]
    'The control function (`dirichlet_cf`) as'
    """
    out = []
    for model in corrected_models(hypotheses, main_model):
        suffix = model[len(main_model) :]
        out.append(f"The {CORRECTION_NAMES[suffix]} (`{model}`) {CORRECTION_ASSUMPTIONS[suffix]}.")
    return out


def correction_disagreements(
    hypotheses: pd.DataFrame, main_model: str, alpha: float | None = None
) -> pd.DataFrame:
    r"""Where each corrected or two-step model disagrees with the main model, effect by effect.

    Parameters
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv``.
    main_model : str
        The main model.
    alpha : float, optional
        Significance level (default: one minus the level of the main model's
        intervals, 0.05 for 95% intervals).

    Returns
    -------
    DataFrame
        Columns :data:`DISAGREEMENT_COLUMNS`, one row per corrected model and
        hypothesis both models estimate (the models of :func:`corrected_models`
        in order, registry order within each).

    Notes
    -----
    With :math:`b_m, p_m` the main model's estimate and p-value and
    :math:`b_c, s_c, p_c` the corrected model's estimate, standard error and
    p-value of one registry effect, the corrected estimate *disagrees* with
    the main model's when at least one of these holds:

    * the signs differ, :math:`\operatorname{sign} b_c \ne \operatorname{sign} b_m`
      (``sign_differs``);
    * one is significant at level :math:`\alpha` and the other is not,
      :math:`[p_c < \alpha] \ne [p_m < \alpha]` (``significance_differs``);
    * the difference exceeds the corrected estimate's standard error,
      :math:`|b_c - b_m| > s_c` (``exceeds_se``).

    The standard error of the difference itself would need the covariance of
    the two estimates, which ``hypotheses.csv`` does not hold; both come from
    the same reps and are strongly correlated, so that standard error is
    smaller than :math:`s_c`, and a difference larger than :math:`s_c` is one
    the correction makes, not noise between two samples. :math:`s_c` includes
    the uncertainty of the correction's first step.

    Examples
    --------
    >>> hyps = pd.read_csv("results/models/hypotheses.csv")                # doctest: +SKIP
    >>> correction_disagreements(hyps, "dirichlet_rounded")                # doctest: +SKIP
    """
    main = hypotheses[hypotheses["model"].astype(str) == main_model].set_index("id")
    if alpha is None:
        alpha = 1 - (interval_level(main) if len(main) else 0.95)
    rows = []
    for model in corrected_models(hypotheses, main_model):
        other = hypotheses[hypotheses["model"].astype(str) == model].set_index("id")
        for h in HYPOTHESES:
            if h.id not in main.index or h.id not in other.index:
                continue
            bm, sm, pm = (float(main.loc[h.id, k]) for k in ("estimate", "std_error", "p_value"))
            bc, sc, pc = (float(other.loc[h.id, k]) for k in ("estimate", "std_error", "p_value"))
            sign = bool(np.sign(bc) != np.sign(bm))
            significance = bool((pc < alpha) != (pm < alpha))
            exceeds = bool(abs(bc - bm) > sc)
            rows.append(
                {
                    "model": model,
                    "id": h.id,
                    "main_estimate": bm,
                    "main_std_error": sm,
                    "main_p_value": pm,
                    "estimate": bc,
                    "std_error": sc,
                    "p_value": pc,
                    "difference": bc - bm,
                    "sign_differs": sign,
                    "significance_differs": significance,
                    "exceeds_se": exceeds,
                    "disagrees": sign or significance or exceeds,
                }
            )
    return pd.DataFrame(rows, columns=list(DISAGREEMENT_COLUMNS))


def correction_sentences(
    hypotheses: pd.DataFrame,
    main_model: str,
    sd: Mapping[str, float] | None = None,
    alpha: float | None = None,
) -> list[str]:
    """Whether each corrected or two-step model agrees with the main model, in words.

    Parameters
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv``.
    main_model : str
        The main model.
    sd : mapping, optional
        Standard deviations of the analysis variables: the estimates are then
        shown per SD in percentage points, as in :func:`hypothesis_sentences`
        (``100 * value * sd_x``, times ``sd_m`` for a moderation); else per unit.
    alpha : float, optional
        Significance level (as :func:`correction_disagreements`).

    Returns
    -------
    list of str
        Per corrected model: one sentence that it agrees with the main model on
        every effect, or one sentence per effect on which it disagrees
        (:func:`correction_disagreements` defines disagreeing), naming what
        differs. Empty when ``fit`` added no corrected model.
    """
    main = hypotheses[hypotheses["model"].astype(str) == main_model]
    if alpha is None:
        alpha = 1 - (interval_level(main) if len(main) else 0.95)
    table = correction_disagreements(hypotheses, main_model, alpha)
    level = f"{100 * alpha:g}%"
    by_id = {h.id: h for h in HYPOTHESES}
    out = []
    for model, rows in table.groupby("model", sort=False):
        name = CORRECTION_NAMES[model[len(main_model) :]]
        against = rows[rows["disagrees"]]
        if against.empty:
            out.append(
                f"The {name} (`{model}`) agrees with the main model on all {len(rows)} effects: "
                f"the same sign, the same verdict at the {level} level, and differences within "
                "the corrected estimate's standard error."
            )
            continue
        for r in against.itertuples(index=False):
            scale, unit = _display_scale(by_id[r.id], sd)
            digits = 2 if unit else 4
            est, se, main_est, main_se, diff = (
                format_number(scale * v, digits)
                for v in (
                    r.estimate,
                    r.std_error,
                    r.main_estimate,
                    r.main_std_error,
                    abs(r.difference),
                )
            )
            what = []
            if r.sign_differs:
                what.append("has the opposite sign")
            if r.significance_differs:
                what.append(
                    f"is significant at the {level} level where the main model's is not"
                    if r.p_value < alpha
                    else f"is not significant at the {level} level where the main model's is"
                )
            if r.exceeds_se:
                what.append(f"differs from it by {diff}, more than its standard error")
            out.append(
                f"**{r.id}**, {name} (`{model}`): {est}{unit} "
                f"(SE {se}, p {format_p_phrase(r.p_value)}) against the main model's {main_est} (SE {main_se}, "
                f"p {format_p_phrase(r.main_p_value)}); the corrected estimate " + _join(what) + "."
            )
    return out


def _display_scale(h: Any, sd: Mapping[str, float] | None) -> tuple[float, str]:
    """Factor and unit that show an effect per SD in percentage points (``1, ""``: per unit)."""
    if sd is None or h.predictor not in sd or (h.moderator is not None and h.moderator not in sd):
        return 1.0, ""
    scale = 100 * sd[h.predictor] * (1.0 if h.moderator is None else sd[h.moderator])
    return scale, " percentage points per SD"


def _join(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
