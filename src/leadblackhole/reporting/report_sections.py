"""The sections of the replication report, each written from the output files it reads.

:func:`read_report_inputs` reads the files every section shares once (the data
source record, ``hypotheses.csv``, ``descriptives.csv``, ``estimates.csv``,
``fit_stats.csv``) into a :class:`ReportInputs`; each section function takes
it and returns its Markdown lines, naming in ``missing`` any output of the
pipeline it looked for and did not find. :data:`SECTIONS` lists them in the
report's order.
"""

from __future__ import annotations

import math
import os
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import REVERSED_MARK
from ..models import main_model_name
from ..registry import HYPOTHESES
from ..tables_text import DATA_SOURCE_COLUMN, md_escape
from .design_power import design_power
from .figures import FIGURE_CAPTIONS, SENSITIVITY_STEM, figure_names
from .report_allocation import allocation_section
from .report_files import read_json, read_table, read_text
from .report_format import (
    format_level,
    format_number,
    format_p_phrase,
    format_table,
    interval_level,
)
from .report_sentences import (
    MODEL_NAMES,
    agreement_sentences,
    corrected_models,
    correction_assumptions,
    correction_sentences,
    hypothesis_sentences,
    jn_sentences,
    truth_sentences,
    truth_table,
)

__all__ = [
    "SECTIONS",
    "ReportInputs",
    "caveats_section",
    "data_section",
    "figures_section",
    "hypotheses_section",
    "introduction",
    "measurement_section",
    "models_section",
    "read_report_inputs",
    "results_section",
    "sensitivity_section",
]

#: How the report names each possible main model.
_MAIN_LABELS = {
    "dirichlet_rounded": "rounding-aware Dirichlet model",
    "dirichlet": "Dirichlet model",
}

#: Columns of the short coefficient tables (precision, probit).
_COEF_COLUMNS = ["term", "estimate", "std_error", "p_value", "conf_low", "conf_high"]


def _csv(path: Path, results: Path) -> pd.DataFrame | None:
    """A CSV table of the results (checked), without its ``data_source`` column (the
    introduction says where the data come from), or None."""
    table = read_table(path, results)
    return None if table is None else table.drop(columns=DATA_SOURCE_COLUMN, errors="ignore")


def _json(path: Path, results: Path) -> dict[str, Any]:
    return read_json(path, results)


def _text(path: Path) -> str | None:
    return read_text(path)


@dataclass(frozen=True, eq=False)
class ReportInputs:
    """The pipeline's outputs the sections share (each ``None`` when not produced).

    Attributes
    ----------
    results, figures : Path
        The results and figures folders.
    source : dict
        ``models/data_source.json`` (empty when absent).
    sample : dict
        ``models/sample.json``: the firms, the reps of the main model, the
        rounding step (empty when absent).
    skipped : dict of str to str
        ``models/skipped_models.csv``: each model the fit did not estimate,
        with the reason it recorded.
    hypotheses, descriptives, estimates, fit_stats : DataFrame or None
        ``models/hypotheses.csv``, ``measurement/descriptives.csv``,
        ``models/estimates.csv`` and ``models/fit_stats.csv``.
    """

    results: Path
    figures: Path
    source: dict[str, Any] = field(default_factory=dict)
    sample: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    hypotheses: pd.DataFrame | None = None
    descriptives: pd.DataFrame | None = None
    estimates: pd.DataFrame | None = None
    fit_stats: pd.DataFrame | None = None

    @property
    def simulated(self) -> bool:
        """Whether the survey was simulated."""
        return bool(self.source.get("simulated"))

    @property
    def firms(self) -> list[str] | None:
        """The firms of the analysis sample (from the fit, else from the descriptives)."""
        if self.sample.get("firms"):
            return [str(f) for f in self.sample["firms"]]
        if self.descriptives is not None:
            groups = self.descriptives["group"].astype(str)
            return list(dict.fromkeys(groups[groups != "all"]))
        return None

    @property
    def truth(self) -> dict[str, float]:
        """Population value of each effect (simulated data only; empty otherwise)."""
        truth = self.source.get("truth") if self.simulated else None
        return {str(k): float(v) for k, v in truth.items()} if isinstance(truth, dict) else {}

    @property
    def main(self) -> str:
        """The main model the results are read from (from ``fit_stats.csv``)."""
        return main_model_name(self.fit_stats) if self.fit_stats is not None else "dirichlet"

    @property
    def sd(self) -> dict[str, float]:
        """Standard deviation of each analysis variable in the analysis sample."""
        if self.descriptives is None:
            return {}
        desc = self.descriptives
        overall = desc[desc["group"].astype(str) == "all"]
        return dict(zip(overall["variable"], overall["sd"].astype(float), strict=False))

    def csv(self, name: str) -> pd.DataFrame | None:
        """A CSV table of the results folder (``models/sur_wald.csv``, say), or None."""
        return _csv(self.results / name, self.results)

    def text(self, name: str) -> str | None:
        """A text file of the results folder, stripped, or None."""
        return _text(self.results / name)


def read_report_inputs(
    results_dir: str | os.PathLike[str], figures_dir: str | os.PathLike[str]
) -> ReportInputs:
    """Read the outputs every section shares.

    Parameters
    ----------
    results_dir : path-like
        Folder holding ``validation.md``, ``measurement/`` and ``models/``.
    figures_dir : path-like
        Folder holding the PNG figures.

    Returns
    -------
    ReportInputs
    """
    res = Path(results_dir)
    mdir, sdir = res / "models", res / "measurement"
    skipped = _csv(mdir / "skipped_models.csv", res)
    return ReportInputs(
        results=res,
        figures=Path(figures_dir),
        source=_json(mdir / "data_source.json", res),
        sample=_json(mdir / "sample.json", res),
        skipped=(
            {}
            if skipped is None
            else dict(zip(skipped["model"].astype(str), skipped["reason"].astype(str), strict=True))
        ),
        hypotheses=_csv(mdir / "hypotheses.csv", res),
        descriptives=_csv(sdir / "descriptives.csv", res),
        estimates=_csv(mdir / "estimates.csv", res),
        fit_stats=_csv(mdir / "fit_stats.csv", res),
    )


def _table_block(caption: str, table: pd.DataFrame | None, **kw: Any) -> list[str]:
    """A bold caption and the table (nothing when the table is missing)."""
    if table is None:
        return []
    return [f"**{caption}**", "", format_table(table, **kw), ""]


# ----------------------------------------------------------------------------
# the sections, in the report's order
# ----------------------------------------------------------------------------
def introduction(inp: ReportInputs, missing: list[str]) -> list[str]:
    """The study in one sentence, and where the data come from."""
    parts = [
        "Sabnis, Chatterjee, Grewal & Lilien (2013), *The Sales Lead Black Hole*, Journal "
        "of Marketing 77(1): how lead prequalification quality, managerial tracking, lead "
        "volume, rep experience and past performance shape the share of working time reps "
        "give to marketing leads.",
        "",
    ]
    source = inp.source
    if inp.simulated:
        parts += [
            f"**{md_escape(source.get('label') or 'Simulated data.')}** Every number below "
            "comes from a survey simulated from the population model of `docs/simulation.md`, "
            "whose effects carry the published signs; the population value of every effect "
            "is set beside its estimate under *Results*.",
            "",
        ]
    elif source:
        parts += [
            f"Data: the researcher's survey *{md_escape(source.get('survey'))}*; the firms' "
            "original data are not public, so these are not the published estimates.",
            "",
        ]
    return parts


def results_section(inp: ReportInputs, missing: list[str]) -> list[str]:
    """The results in words: one sentence per hypothesis and the agreement."""
    parts = ["## Results", ""]
    hyps, sd, main = inp.hypotheses, inp.sd, inp.main
    if hyps is None or not sd:
        missing.append("hypotheses and descriptives")
        return parts + ["_The hypothesis tests were not produced._", ""]
    level = interval_level(hyps[hyps["model"] == main])
    parts += [
        "Effects are read on the share scale (average over reps of the derivative of the "
        "expected time share, Ai & Norton 2003, for moderations the cross-partial) from the "
        f"main model, the {_MAIN_LABELS.get(main, main)} of the three time shares. Each is scaled to "
        "one standard deviation of its predictor in the analysis sample (and, for a "
        "moderation, of its moderator): the per-unit effect of `hypotheses.csv` times the "
        "SD of `descriptives.csv`, in percentage points of working time, with its "
        f"{format_level(level)} confidence interval (delta method). A hypothesis is "
        f"supported when the effect has the expected sign and p < {1 - level:.3g}.",
        "",
    ]
    for s in hypothesis_sentences(hyps, sd, model=main):
        parts += [s, ""]
    parts += ["### Agreement with the published findings", ""]
    models = [m for m in MODEL_NAMES if (hyps["model"] == m).any()]
    parts += [" ".join(agreement_sentences(hyps, models, main)), ""]
    parts += _correction_block(hyps, main, sd, level)
    if inp.simulated:
        parts += _truth_blocks(inp, hyps, main, level)
    return parts


def _correction_block(
    hyps: pd.DataFrame, main: str, sd: dict[str, float], level: float
) -> list[str]:
    """When ``fit`` added corrected or two-step models: where they disagree with the main model."""
    if not corrected_models(hyps, main):
        return []
    alpha = 1 - level
    parts = [
        "### Corrected estimates beside the main model",
        "",
        "A corrected estimate *disagrees* with the main model's when its sign differs, when "
        f"one is significant at the {format_level(alpha)} level and the other is not, or when "
        "the two differ by more than the corrected estimate's standard error (per SD, in "
        "percentage points of working time, as above).",
        "",
        " ".join(correction_assumptions(hyps, main)),
        "",
    ]
    for sentence in correction_sentences(hyps, main, sd=sd, alpha=alpha):
        parts += [f"- {sentence}"]
    return parts + [""]


def _truth_blocks(inp: ReportInputs, hyps: pd.DataFrame, main: str, level: float) -> list[str]:
    """On simulated data: each estimate beside its population value, and what agreement means."""
    table = truth_table(hyps, inp.truth, model=main, sd=inp.sd or None) if inp.truth else None
    if table is None or table.empty:
        return [
            "The population values of this simulated survey were not recorded (its marker "
            "has none, or the survey changed after it was simulated), so the estimates "
            "cannot be set beside them here. The simulator's population effects carry the "
            "published signs: a hypothesis that does not agree was not detected in this "
            "sample (too little power), not contradicted.",
            "",
        ]
    parts = ["### Estimates beside the population values", ""]
    parts += [" ".join(truth_sentences(table, level)), ""]
    table, power_note = _with_power(table, main, inp.sample.get("n_reps"))
    parts += [power_note, ""] if power_note else []
    return parts + _table_block(
        "Effects of the main model per SD (percentage points of working time, as in the "
        f"sentences above, with the {format_level(level)} interval) beside the population "
        "value of the simulation, scaled alike.",
        table,
        headers={
            "truth": "Population value",
            "covered": "Interval covers it",
            "agrees": "Agrees with the published sign",
            "power": "Power of the design",
        },
    )


def _with_power(table: pd.DataFrame, main: str, n_reps: Any) -> tuple[pd.DataFrame, str]:
    """The truth table with the default design's power of each hypothesis, and its sentence."""
    found = design_power(main, int(n_reps) if n_reps else None)
    if found is None:
        return table, ""
    n, power = found
    table = table.assign(power=table["id"].map(power))
    missed = table[(table["agrees"] == "no") & table["power"].notna()]
    text = (
        f"*Power of the design* is the share of 200 studies simulated from the default design "
        f"with {n} analysable reps in which the {main} model supports the hypothesis (the "
        "design diagnosis of `make evidence`, docs/simulation.md)."
    )
    if not missed.empty:
        lo, hi = float(missed["power"].min()), float(missed["power"].max())
        span = f"{lo:.2f}" if lo == hi else f"{lo:.2f} to {hi:.2f}"
        text += (
            f" The hypotheses this sample does not support ({', '.join(missed['id'])}) are "
            f"detected in only {span} of such studies: missing them is what the design "
            "leads one to expect, not evidence against them."
        )
    return table, text


def _rounding_caveat(inp: ReportInputs) -> str:
    """The rounding caveat, from the rounding step the fit found (or did not)."""
    step = inp.sample.get("rounding_step")
    if step:
        return (
            f"- **Rounding.** The reported percents are all multiples of {float(step):g}, so "
            "the main model reads each answer as the rounding of an unobserved exact share. A model that takes rounded answers as exact shares (the "
            "Dirichlet and robustness models beside it) attenuates the effects "
            "(`docs/simulation.md` measures by how much), and its intervals then cover the "
            "truth less often than their nominal level."
        )
    if inp.sample:
        return (
            "- **Rounding.** The reported percents were not treated as rounded, so every "
            "model takes them as exact shares. If reps rounded their answers, the effects "
            "are attenuated (`docs/simulation.md` measures by how much)."
        )
    return (
        "- **Rounding.** Reps report percents of their time, which are often rounded; a "
        "model that takes rounded answers as exact shares attenuates the effects "
        "(`docs/simulation.md` measures by how much)."
    )


def _firms_caveat(inp: ReportInputs) -> str:
    """The firm caveat, with the number of firms of the analysis sample."""
    firms = inp.firms
    if not firms:
        return (
            "- **Firms.** Firm dummies absorb differences between the firms; inference is "
            "conditional on these firms and does not extend to a population of firms."
        )
    k = len(firms)
    resamples = math.comb(2 * k - 1, k)
    return (
        f"- **{_count_word(k).capitalize()} firm{'s' if k != 1 else ''}.** Firm dummies "
        "absorb differences between the firms; inference is conditional on "
        f"{'these ' + _count_word(k) + ' firms' if k != 1 else 'this firm'} and does not "
        "extend to a population of firms. The leave-one-firm-out fits below show how much "
        f"one firm drives each coefficient; a firm-block bootstrap has only {resamples} "
        f"distinct resamples of {k} firms."
    )


def _count_word(k: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[k] if 0 <= k < len(words) else str(k)


def caveats_section(inp: ReportInputs, missing: list[str]) -> list[str]:
    """What the results cannot say: rounding, the firms, one self-reported survey."""
    return [
        "### Caveats",
        "",
        _rounding_caveat(inp),
        _firms_caveat(inp),
        "- **Survey design.** Every measure is self-reported in one survey: the common-method "
        "checks below bound, but cannot exclude, shared-method bias. The effects are "
        "associations, not causal effects.",
        "",
    ]


def data_section(inp: ReportInputs, missing: list[str]) -> list[str]:
    """The validation summary and the descriptive statistics."""
    parts = ["## Data and design", ""]
    validation = inp.text("validation.md")
    if validation is None:
        missing.append("validation.md")
    parts += [validation or "_The validation summary was not produced._", ""]
    desc = inp.descriptives
    if desc is not None:
        cols = ["group", "variable", "n", "mean", "sd", "min", "max"]
        parts += _table_block(
            "Descriptive statistics of the analysis sample (overall and by firm).",
            desc,
            columns=[c for c in cols if c in desc],
        )
    else:
        missing.append("descriptives")
    return parts


def measurement_section(inp: ReportInputs, missing: list[str]) -> list[str]:
    """Reliability, CFA fit, loadings, discriminant validity, CMV, correlations."""
    parts = ["## Measurement", ""]
    for stem, caption in (
        (
            "measurement",
            "Reliability: Cronbach's alpha (Feldt 95% CI), composite reliability, AVE.",
        ),
        ("cfa_fit", "Fit of the confirmatory factor analysis."),
        ("loadings", "Standardized loadings."),
        ("discriminant", "Discriminant validity: Fornell–Larcker and HTMT."),
        ("cmv", "Common-method variance checks."),
        ("correlations", "Correlations of the analysis variables, reliabilities on the diagonal."),
    ):
        table = inp.csv(f"measurement/{stem}.csv")
        if table is None:
            missing.append(f"measurement/{stem}")
        parts += _table_block(caption, table)
        if stem == "loadings" and table is not None:
            parts += _reversed_note(table)
    return parts


def _reversed_note(loadings: pd.DataFrame) -> list[str]:
    """What the ``(R)`` after an item's name means, when a loading table has one."""
    if not loadings["item"].astype(str).str.endswith(REVERSED_MARK).any():
        return []
    return [
        f"Items carry the survey file's column names;{REVERSED_MARK} marks a reverse-coded item, "
        "recoded as lowest + highest answer − x before the analysis, so its loading is that "
        "of the recoded item.",
        "",
    ]


def models_section(inp: ReportInputs, missing: list[str]) -> list[str]:
    """The regression table, fit statistics, precision, probit, leave one firm out, SUR."""
    parts = ["## Models", ""]
    reg = inp.text("models/regression_table.md")
    if reg is None:
        missing.append("regression table")
    else:
        parts += [
            "**Dirichlet regression (alternative parametrization, base: other work) beside "
            "the robustness models.**",
            "",
            reg,
            "",
        ]
    if inp.fit_stats is not None:
        fs = inp.fit_stats.copy()
        fs["model"] = [
            MODEL_NAMES.get(m, f"Dirichlet without firm {m[4:]}" if m.startswith("loo_") else m)
            for m in fs["model"].astype(str)
        ]
        parts += _table_block(
            "Fit statistics (the fractional logit is a quasi-likelihood: no likelihood).", fs
        )
    else:
        missing.append("fit statistics")
    if inp.estimates is not None:
        parts += _estimates_blocks(inp.estimates, inp.skipped)
    else:
        missing.append("estimates")
    wald = inp.csv("models/sur_wald.csv")
    if wald is not None:
        parts += _table_block(
            "SUR: does prequalification move time from self-generated to marketing leads "
            "one for one?",
            wald,
            columns=[c for c in ("null", "estimate", "std_error", "statistic", "df", "p_value")],
        )
    return parts


def _estimates_blocks(estimates: pd.DataFrame, skipped: dict[str, str]) -> list[str]:
    """The tables read from ``estimates.csv``: precision, probit, leave one firm out."""
    parts: list[str] = []
    prec = estimates[(estimates["model"] == "dirichlet") & (estimates["equation"] == "precision")]
    if not prec.empty:
        parts += _table_block(
            "Precision of the Dirichlet model (log scale; larger: shares closer to their "
            "expected values).",
            prec,
            columns=_COEF_COLUMNS,
        )
    probit = estimates[estimates["model"] == "probit"]
    if not probit.empty:
        parts += _table_block(
            "Probit of giving marketing leads any time (all reps with complete predictors).",
            probit,
            columns=_COEF_COLUMNS,
        )
    else:
        reason = skipped.get("probit", "the fit recorded no reason")
        # the fit's message names the model and the failure; the sentence names them already
        reason = re.sub(r"^not estimable: ", "", reason)
        reason = re.sub(r"^the probit of any marketing-lead time cannot be estimated: ", "", reason)
        parts += [
            "_The probit of giving marketing leads any time was not estimated: "
            f"{md_escape(reason)}._",
            "",
        ]
    loo = _loo_table(estimates)
    if loo is not None:
        parts += _table_block(
            "Leave one firm out: Dirichlet coefficients of the marketing equation "
            "(log-ratio to other work).",
            loo,
        )
    return parts


def _loo_table(estimates: pd.DataFrame) -> pd.DataFrame | None:
    loo = sorted(m for m in estimates["model"].unique() if str(m).startswith("loo_"))
    if not loo:
        return None
    terms = ["prequal", "tracking", "volume", "experience", "performance"]
    sub = estimates[
        (estimates["equation"] == "marketing") & estimates["term"].isin(terms)
    ].set_index(["model", "term"])["estimate"]
    out = pd.DataFrame({"term": terms})
    for m in ["dirichlet", *loo]:
        label = "All firms" if m == "dirichlet" else f"Without {m[4:]}"
        out[label] = [sub.get((m, t), np.nan) for t in terms]
    return out


def hypotheses_section(inp: ReportInputs, missing: list[str]) -> list[str]:
    """The published comparison, every model's effects, bootstrap, simple slopes, J–N."""
    parts = ["## Hypotheses", ""]
    comp = inp.text("models/hypotheses_vs_published.md")
    if comp is None:
        missing.append("hypotheses_vs_published")
    else:
        label = _MAIN_LABELS.get(inp.main, inp.main)
        parts += [f"**Share-scale effects of the {label} beside the published findings.**", ""]
        parts += [comp, ""]
    if inp.hypotheses is not None:
        effects = _effects_by_model(inp.hypotheses)
        parts += _table_block(
            "The effects in every model (per unit; p-value in brackets).",
            effects,
            own_text=[c for c in effects.columns if c != "id"],
        )
    boot = inp.csv("models/hypotheses_bootstrap.csv")
    if boot is not None:
        parts += _table_block("Bootstrap intervals of the main model's effects.", boot)
    slopes = inp.csv("models/simple_slopes.csv")
    if slopes is not None:
        parts += _table_block(
            "Simple slopes: the effect of the predictor at low (−1 SD), mean and high (+1 SD) "
            "moderator.",
            slopes,
            columns=[
                "id",
                "predictor",
                "moderator",
                "level",
                "moderator_value",
                "estimate",
                "p_value",
                "conf_low",
                "conf_high",
            ],
        )
    else:
        missing.append("simple slopes")
    jn = inp.csv("models/johnson_neyman.csv")
    if jn is not None:
        parts += _jn_blocks(jn)
    else:
        missing.append("Johnson–Neyman regions")
    return parts


def _effects_by_model(hyps: pd.DataFrame) -> pd.DataFrame:
    """One row per hypothesis, one column per model: the effect with its p-value."""
    wide = hyps.pivot_table(index="id", columns="model", values="estimate", sort=False)
    sup = hyps.pivot_table(index="id", columns="model", values="p_value", sort=False)
    sup = sup.reindex(index=wide.index, columns=wide.columns)  # p-values may all be missing
    order = [h.id for h in HYPOTHESES if h.id in wide.index]
    models = [m for m in MODEL_NAMES if m in wide.columns]
    table = pd.DataFrame({"id": order})
    for m in models:
        table[MODEL_NAMES[m]] = [
            f"{format_number(wide.loc[i, m], 4)} (p {format_p_phrase(sup.loc[i, m])})"
            if np.isfinite(wide.loc[i, m])
            else ""
            for i in order
        ]
    return table


def _jn_blocks(jn: pd.DataFrame) -> list[str]:
    """The Johnson–Neyman regions in words, then as a table."""
    parts = [
        "**Johnson–Neyman regions: where along the moderator the effect differs from zero "
        "(pointwise normal intervals).**",
        "",
        *jn_sentences(jn),
        "",
    ]
    shown = jn.copy()
    if "sign" in shown:
        shown["sign"] = shown["sign"].map({1: "positive", -1: "negative"}).fillna("none")
    if "share_of_reps" in shown:
        shown["share_of_reps"] = 100 * shown["share_of_reps"]
    return parts + _table_block(
        "Johnson–Neyman regions (normal and Esarey–Sumner critical values).",
        shown,
        columns=[c for c in ("id", "moderator", "method", "low", "high", "sign") if c in jn]
        + ["share_of_reps"],
    )


def _figure_caption(stem: str) -> str:
    """The caption of a figure as Markdown: the package's own caption as written (its
    citations stay citations), a file name of another figure escaped."""
    if stem in FIGURE_CAPTIONS:
        return FIGURE_CAPTIONS[stem]
    return md_escape(stem.replace("_", " ").capitalize() + ".")


def figures_section(inp: ReportInputs, missing: list[str]) -> list[str]:
    """Every PNG figure of the figures folder, in the figure set's order, with its caption.

    The sensitivity contour is shown in the sensitivity section instead (when
    ``models/sensitivity.csv`` is there to introduce it).
    """
    known = {stem: i for i, stem in enumerate(figure_names())}
    shown_elsewhere = {SENSITIVITY_STEM} if inp.csv("models/sensitivity.csv") is not None else set()
    figures = sorted(
        (p for p in inp.figures.glob("*.png") if p.stem not in shown_elsewhere),
        key=lambda p: (known.get(p.stem, len(known)), p.name),
    )
    parts = ["## Figures", ""]
    if inp.simulated:
        parts += ["_Every figure is drawn from the simulated survey, and says so under it._", ""]
    if not figures:
        missing.append("figures")
        parts += ["_No figures were produced._", ""]
    rel = os.path.relpath(inp.figures, inp.results)
    for fig in figures:
        cap = _figure_caption(fig.stem)
        # the folder is the user's: percent-encoded, no character of it can end the link
        link = urllib.parse.quote(Path(rel, fig.name).as_posix())
        parts += [f"![{cap}]({link})", "", f"*{cap}*", ""]
    return parts


def _significant(v: float, digits: int = 4) -> str:
    """``digits`` significant digits in positional notation (never ``1.5e-05``)."""
    text = np.format_float_positional(float(v), precision=digits, unique=False, fractional=False)
    return text.rstrip(".").replace("-", "\u2212")


def sensitivity_section(inp: ReportInputs, missing: list[str]) -> list[str]:
    """One sentence per hypothesis on how strong a hidden confounder would have to be.

    Reads ``models/sensitivity.csv`` (Cinelli & Hazlett on the OLS share model); nothing
    when it is absent (an output folder of an older ``fit``). Shows the contour figure of
    H4 (``figures/sensitivity_h4.png``, drawn by ``figures`` from
    ``models/sensitivity_contour.csv``) when it was drawn.
    """
    sens = inp.csv("models/sensitivity.csv")
    if sens is None:
        return []
    parts = [
        "## Sensitivity to an unobserved confounder",
        "",
        "On the OLS share model (Cinelli & Hazlett 2020): the share of the residual variance of "
        "both the focal term and the share a confounder would have to explain to bring the "
        "estimate to zero (RV) and to make it insignificant at 5% (RV at 5%), and what a "
        "confounder as strong as experience or performance would leave of it.",
        "",
    ]

    for hid, rows in sens.groupby("id", sort=False):
        first = rows.iloc[0]
        bounds = [
            f"one as strong as {r.benchmark} would leave {_significant(r.adjusted_estimate)} "
            f"(t = {r.adjusted_t:.2f})"
            for r in rows.itertuples()
            if pd.notna(r.adjusted_estimate)
        ]
        parts.append(
            f"- {hid} ({first['term']}, {first['outcome']} share): RV = {first['rv_q']:.1%}, "
            f"RV at 5% = {first['rv_qa']:.1%}" + (f"; {'; '.join(bounds)}." if bounds else ".")
        )
    parts.append("")
    figure = inp.figures / f"{SENSITIVITY_STEM}.png"
    if figure.is_file():
        cap = _figure_caption(SENSITIVITY_STEM)
        rel = Path(os.path.relpath(inp.figures, inp.results), figure.name).as_posix()
        parts += [
            "The figure draws the same algebra for H4 over every strength of a confounder "
            "(`models/sensitivity_contour.csv`): each contour line is the estimate a confounder "
            "of that strength would leave, the red dashed line where it reaches zero, and the "
            "points the confounders once, twice and three times as strong as experience and as "
            "performance.",
            "",
            f"![{cap}]({rel})",
            "",
            f"*{cap}*",
            "",
        ]
    return parts


#: The sections in the report's order: each takes the inputs and the list of missing
#: outputs (which it extends) and returns its Markdown lines.
SECTIONS: tuple[Callable[[ReportInputs, list[str]], list[str]], ...] = (
    introduction,
    results_section,
    caveats_section,
    data_section,
    measurement_section,
    models_section,
    hypotheses_section,
    sensitivity_section,
    allocation_section,
    figures_section,
)
