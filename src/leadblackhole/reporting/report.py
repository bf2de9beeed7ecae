"""The replication report: ``results/report.md`` and ``results/report.html``.

The report is assembled from the files the pipeline wrote (the CSV tables of
``results/``, the regression and comparison tables as Markdown, the figures as
PNG), so it shows exactly what is in ``results/`` and ``figures/``. It reads
like the results section of a paper: one sentence per hypothesis with its
effect per standard deviation and its interval, what agrees and disagrees with
the published findings, the caveats, then the tables and figures. The HTML
version embeds the figures (one self-contained file) and carries a stylesheet
for the screen and for print (print it to PDF from a browser).

Every string that comes from the data (firm labels, scale and column names) is
escaped: in Markdown table cells by :func:`md_escape`, and the whole Markdown
text is made inert as HTML (``&``, ``<``, ``>`` as entities) before it is
converted, so a label such as ``<script>`` shows as text.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import markdown
import numpy as np
import pandas as pd
from scipy import stats

from ..models.main_rounded import main_model_name
from ..outputs import OutputSet
from ..registry import HYPOTHESES
from .figures import FIGURE_CAPTIONS, figure_names

__all__ = ["REPORT_CSS", "build_report", "format_table", "hypothesis_sentences", "md_escape"]

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

OUTCOME_NAMES: dict[str, str] = {
    "marketing": "the share of time on marketing leads",
    "self": "the share of time on self-generated leads",
    "other": "the share of time on other work",
}

MODEL_NAMES: dict[str, str] = {
    "dirichlet_rounded": "Rounding-aware Dirichlet",
    "dirichlet": "Dirichlet",
    "ols": "OLS",
    "fractional_logit": "Fractional logit",
    "sur": "SUR",
    "probit": "Probit (any marketing time)",
}

#: Human-readable column headers of the tables the report renders.
HEADERS: dict[str, str] = {
    "group": "Group",
    "variable": "Variable",
    "n": "N",
    "mean": "Mean",
    "sd": "SD",
    "min": "Min",
    "max": "Max",
    "model": "Model",
    "log_likelihood": "Log-likelihood",
    "aic": "AIC",
    "bic": "BIC",
    "r_squared": "R²",
    "converged": "Converged",
    "scale": "Scale",
    "n_items": "Items",
    "alpha": "Cronbach's α",
    "alpha_ci_low": "α 95% CI low",
    "alpha_ci_high": "α 95% CI high",
    "composite_reliability": "Composite reliability",
    "ave": "AVE",
    "index": "Index",
    "value": "Value",
    "item": "Item",
    "loading": "Standardized loading",
    "std_error": "SE",
    "scale_a": "Scale A",
    "scale_b": "Scale B",
    "factor_correlation": "Factor correlation",
    "sqrt_ave_a": "√AVE (A)",
    "sqrt_ave_b": "√AVE (B)",
    "fornell_larcker_pass": "Fornell–Larcker met",
    "htmt": "HTMT",
    "htmt_pass": "HTMT below 0.85",
    "check": "Check",
    "quantity": "Quantity",
    "id": "Hypothesis",
    "level": "Moderator level",
    "moderator_value": "Moderator value",
    "estimate": "Effect",
    "p_value": "p",
    "conf_low": "CI low",
    "conf_high": "CI high",
    "term": "Term",
    "equation": "Equation",
    "test": "Test",
    "null": "Null hypothesis",
    "statistic": "Statistic",
    "df": "df",
    "distribution": "Distribution",
    "region": "Region",
    "low": "From",
    "high": "To",
    "sign": "Sign of the effect",
    "share_of_reps": "Reps in the region (%)",
    "predictor": "Predictor",
    "moderator": "Moderator",
    "method": "Method",
    "se": "SE",
    "p": "p",
}

#: Columns that hold counts or degrees of freedom (shown as integers).
_INTEGER_COLUMNS = {"n", "n_items", "df", "region", "df_model", "df_diff", "df_one_factor"}
#: Quantities (rows of long tables) that are counts or degrees of freedom.
_INTEGER_QUANTITIES = {"df", "n_eigenvalues_gt_1", "n_items", "df_one_factor", "df_model"}
_INTEGER_QUANTITIES |= {"df_diff"}
_P_COLUMNS = {"p_value", "pvalue", "p"}
_P_QUANTITIES = {"pvalue", "p_value"}

REPORT_CSS = """
:root { color-scheme: light; }
body { font-family: Georgia, "Times New Roman", serif; font-size: 1.05rem; line-height: 1.5;
       color: #1a1a1a; max-width: 46rem; margin: 2.5rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin-bottom: 0.3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
p, li { hyphens: auto; }
table { border-collapse: collapse; margin: 0.6rem 0 1.6rem; font-size: 0.85rem;
        font-family: "Helvetica Neue", Arial, sans-serif; font-variant-numeric: tabular-nums; }
thead th { border-top: 2px solid #333; border-bottom: 1px solid #333; }
tbody tr:last-child td { border-bottom: 2px solid #333; }
th, td { padding: 0.2rem 0.6rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
figure, img { max-width: 100%; }
img { display: block; margin: 0.5rem auto 0.2rem; }
em { color: #333; }
code { font-size: 0.9em; }
@media print {
  @page { size: A4; margin: 18mm 16mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table, img { page-break-inside: avoid; break-inside: avoid; }
  img { max-height: 120mm; }
  a { color: inherit; text-decoration: none; }
}
"""


# ----------------------------------------------------------------------------
# escaping and number formats
# ----------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


#: How the report names each possible main model.
_MAIN_LABELS = {
    "dirichlet_rounded": "rounding-aware Dirichlet model",
    "dirichlet": "Dirichlet model",
}


def _main_label(results_dir: Path) -> str:
    """Which model the hypotheses section reads (from ``models/fit_stats.csv``)."""
    path = results_dir / "models" / "fit_stats.csv"
    name = main_model_name(pd.read_csv(path)) if path.is_file() else "dirichlet"
    return _MAIN_LABELS[name]


def md_escape(text: object) -> str:
    r"""Escape a string for a Markdown table cell or running text.

    Backslash-escapes the characters Markdown gives a meaning to
    (``\ ` * _ [ ] | #``) and replaces line breaks by spaces. ``<``, ``>`` and
    ``&`` are made inert when the report is converted to HTML (the HTML
    conversion escapes them everywhere).

    Parameters
    ----------
    text : object
        Any value; converted with ``str``.

    Returns
    -------
    str

    Examples
    --------
    >>> md_escape("A|B_c")
    'A\\|B\\_c'
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")


def _num(v: float, digits: int = 3) -> str:
    """A number in fixed notation (never scientific), minus sign as U+2212."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    v = float(v)
    if abs(v) >= 1000:
        digits = 1
    text = f"{v:,.{digits}f}" if abs(v) >= 10000 else f"{v:.{digits}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no "-0.000"
    return text.replace("-", "−")


def _p(v: float) -> str:
    if v is None or not math.isfinite(float(v)):
        return ""
    return "< 0.001" if float(v) < 0.001 else f"{float(v):.3f}"


def _p_phrase(v: float) -> str:
    text = _p(v)
    return text if text.startswith("<") else f"= {text}"


def _cell(col: str, v: object, row: Mapping[str, object]) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, float, np.integer, np.floating)):
        quantity = str(row.get("quantity", row.get("index", "")))
        if col in _P_COLUMNS or (col == "value" and quantity in _P_QUANTITIES):
            return _p(float(v))
        if col in _INTEGER_COLUMNS or (col == "value" and quantity in _INTEGER_QUANTITIES):
            return f"{round(float(v)):d}"
        return _num(float(v))
    text = str(v)
    if text in ("True", "False"):
        return "yes" if text == "True" else "no"
    return md_escape(text)


def format_table(
    df: pd.DataFrame,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Render a results table as Markdown: readable headers, p-values, integer df.

    Parameters
    ----------
    df : DataFrame
        A table the pipeline wrote (as read from its CSV).
    columns : sequence of str, optional
        Columns to show, in order (default: all).
    headers : mapping, optional
        Header overrides (default :data:`HEADERS`, else the column name).

    Returns
    -------
    str
        A Markdown pipe table. p-values show as ``< 0.001`` below 0.001,
        counts and degrees of freedom as integers, other numbers with three
        decimals in fixed notation; every text cell is escaped.

    Examples
    --------
    >>> print(format_table(pd.DataFrame({"test": ["a"], "df": [1.0], "p_value": [1e-9]})))
    | Test | df | p |
    |:---|---:|---:|
    | a | 1 | < 0.001 |
    """
    columns = list(columns) if columns is not None else list(df.columns)
    names = {**HEADERS, **(headers or {})}
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and df[c].dtype != bool for c in columns]
    lines = [
        "| " + " | ".join(md_escape(names.get(c, c.replace("_", " "))) for c in columns) + " |",
        "|" + "|".join("---:" if num else ":---" for num in numeric) + "|",
    ]
    for rec in df.to_dict("records"):
        lines.append("| " + " | ".join(_cell(c, rec[c], rec) for c in columns) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# reading the outputs
# ----------------------------------------------------------------------------
def _csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, keep_default_na=True)


def _text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def _level(table: pd.DataFrame) -> float:
    """The confidence level of a table's intervals, from its estimates and standard errors."""
    ok = table[(table["std_error"] > 0) & np.isfinite(table["conf_high"])]
    if ok.empty:
        return 0.95
    z = float(((ok["conf_high"] - ok["estimate"]) / ok["std_error"]).median())
    return round(1 - 2 * stats.norm.sf(z), 3)


def _fmt_level(level: float) -> str:
    return f"{100 * level:g}%"


# ----------------------------------------------------------------------------
# sentences
# ----------------------------------------------------------------------------
def _verdict(row: Mapping[str, object], expected: int, alpha: float) -> str:
    p = float(row["p_value"])
    if expected == 0:
        return f"exploratory, p = {_p(p)}" if p >= 0.001 else "exploratory, p < 0.001"
    if str(row.get("supported")) == "True":
        return "supported"
    if np.sign(float(row["estimate"])) != expected and p < alpha:
        return "not supported: significant in the opposite direction"
    return f"not supported, p = {_p(p)}"


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
    level = _level(rows) if len(rows) else 0.95
    ci = f"{_fmt_level(level)} CI"
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
        interval = f"({ci} {_num(a, 1)} to {_num(b, 1)}; {h.id} {_verdict(row, h.expected_sign, 1 - level)})"
        if h.moderator is None:
            verb = "raises" if up else "lowers"
            sentence = (
                f"A one-SD rise in {x} ({_num(sd[h.predictor], 2)} "
                f"{VARIABLE_UNITS.get(h.predictor, '')}) {verb} "
                f"{OUTCOME_NAMES.get(h.outcome, h.outcome)} by {_num(abs(est), 1)} "
                f"percentage points {interval}."
            )
        else:
            m = VARIABLE_NAMES.get(h.moderator, h.moderator)
            verb = "rises" if up else "falls"
            sentence = (
                f"Per one-SD rise in {m} ({_num(sd[h.moderator], 2)} "
                f"{VARIABLE_UNITS.get(h.moderator, '')}), the effect of a one-SD rise in {x} "
                f"on {OUTCOME_NAMES.get(h.outcome, h.outcome)} {verb} by "
                f"{_num(abs(est), 1)} percentage points {interval}."
            )
        out.append(f"**{h.id}.** " + re.sub(r"\s+", " ", sentence))
    return out


def _agreement(
    hypotheses: pd.DataFrame, models: Sequence[str], main_model: str = "dirichlet"
) -> list[str]:
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


# ----------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------
def _figure_caption(stem: str) -> str:
    if stem in FIGURE_CAPTIONS:
        return FIGURE_CAPTIONS[stem]
    return stem.replace("_", " ").capitalize() + "."


def _section_table(
    parts: list[str], caption: str, table: pd.DataFrame | None, note: str | None = None, **kw
) -> None:
    if table is None:
        return
    parts += [f"**{caption}**", "", format_table(table, **kw), ""]
    if note:
        parts += [f"_{note}_", ""]


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


def _jn_summary(jn: pd.DataFrame) -> list[str]:
    lines = []
    normal = jn[jn["method"] == "normal"] if "method" in jn else jn
    for hid, g in normal.groupby("id", sort=False):
        sig = g[g["sign"] != 0] if "sign" in g else g
        if sig.empty:
            lines.append(f"- {hid}: the effect is significant nowhere in the observed range.")
            continue
        parts = []
        for r in sig.itertuples(index=False):
            direction = "positive" if r.sign > 0 else "negative"
            parts.append(
                f"significantly {direction} where {r.moderator} is between {_num(r.low, 2)} "
                f"and {_num(r.high, 2)} ({100 * r.share_of_reps:.0f}% of reps)"
            )
        first = sig.iloc[0]
        lines.append(f"- {hid}: the effect of {first.predictor} is " + "; ".join(parts) + ".")
    return lines


def build_report(
    results_dir: str | os.PathLike[str],
    figures_dir: str | os.PathLike[str],
    title: str = "Replication report: The Sales Lead Black Hole",
) -> OutputSet:
    """Assemble the report from the pipeline's outputs.

    Parameters
    ----------
    results_dir : path-like
        Folder holding ``validation.md``, ``measurement/`` and ``models/``.
    figures_dir : path-like
        Folder holding the PNG figures.
    title : str
        Report title.

    Returns
    -------
    OutputSet
        Staged ``report.md`` and ``report.html`` (call ``commit()``).

    Notes
    -----
    Each section is shown when its file exists; a missing output of the
    pipeline is named as not produced. Effects per SD use the standard
    deviations of ``measurement/descriptives.csv`` (the analysis sample).
    """
    res, figures_dir = Path(results_dir), Path(figures_dir)
    mdir, sdir = res / "models", res / "measurement"
    source = (
        json.loads((mdir / "data_source.json").read_text())
        if (mdir / "data_source.json").is_file()
        else {}
    )
    simulated = bool(source.get("simulated"))
    hyps = _csv(mdir / "hypotheses.csv")
    desc = _csv(sdir / "descriptives.csv")
    estimates = _csv(mdir / "estimates.csv")
    fit_stats = _csv(mdir / "fit_stats.csv")
    missing: list[str] = []

    parts = [f"# {md_escape(title)}", ""]
    parts += [
        "Sabnis, Chatterjee, Grewal & Lilien (2013), *The Sales Lead Black Hole*, Journal "
        "of Marketing 77(1): how lead prequalification quality, managerial tracking, lead "
        "volume, rep experience and past performance shape the share of working time reps "
        "give to marketing leads.",
        "",
    ]
    if simulated:
        parts += [
            f"**{md_escape(source.get('label') or 'Simulated data.')}** Every number below "
            "comes from a survey simulated from the population model of `docs/simulation.md`, "
            "whose effects carry the published signs. "
            f"{md_escape(source.get('agreement_note') or '')}",
            "",
        ]
    elif source:
        parts += [
            f"Data: the researcher's survey `{md_escape(source.get('survey'))}`; the firms' "
            "original data are not public, so these are not the published estimates.",
            "",
        ]

    # --- results in words -------------------------------------------------
    parts += ["## Results", ""]
    sd: dict[str, float] = {}
    if desc is not None:
        overall = desc[desc["group"].astype(str) == "all"]
        sd = dict(zip(overall["variable"], overall["sd"].astype(float), strict=False))
    main = main_model_name(fit_stats) if fit_stats is not None else "dirichlet"
    if hyps is not None and sd:
        level = _level(hyps[hyps["model"] == main])
        parts += [
            "Effects are read on the share scale (average over reps of the derivative of the "
            "expected time share, Ai & Norton 2003, for moderations the cross-partial) from the "
            f"main model, the {_MAIN_LABELS.get(main, main)} of the three time shares. Each is scaled to "
            "one standard deviation of its predictor in the analysis sample (and, for a "
            "moderation, of its moderator): the per-unit effect of `hypotheses.csv` times the "
            "SD of `descriptives.csv`, in percentage points of working time, with its "
            f"{_fmt_level(level)} confidence interval (delta method). A hypothesis is "
            f"supported when the effect has the expected sign and p < {1 - level:.3g}.",
            "",
        ]
        for s in hypothesis_sentences(hyps, sd, model=main):
            parts += [s, ""]
        parts += ["### Agreement with the published findings", ""]
        models = [m for m in MODEL_NAMES if (hyps["model"] == m).any()]
        parts += [" ".join(_agreement(hyps, models, main)), ""]
        if simulated:
            parts += [
                "On simulated data this agreement is by construction: the simulator draws "
                "the shares from a population whose effects have the published signs, so it "
                "checks that the analysis recovers a known truth, not that the study "
                "replicates.",
                "",
            ]
    else:
        missing.append("hypotheses and descriptives")
        parts += ["_The hypothesis tests were not produced._", ""]

    parts += [
        "### Caveats",
        "",
        "- **Rounding.** Reps report percents of their time, mostly rounded to multiples of 5 "
        "or 10. A model that takes the rounded answers as exact shares attenuates the effects "
        "(`docs/simulation.md` measures by how much), and its intervals then cover the "
        "truth less often than their nominal level.",
        "- **Four firms.** Firm dummies absorb differences between the firms; inference is "
        "conditional on these firms and does not extend to a population of firms. The "
        "leave-one-firm-out fits below show how much one firm drives each coefficient; a "
        "firm-block bootstrap has only a handful of distinct resamples.",
        "- **Survey design.** Every measure is self-reported in one survey: the common-method "
        "checks below bound, but cannot exclude, shared-method bias. The effects are "
        "associations, not causal effects.",
        "",
    ]

    # --- data --------------------------------------------------------------
    parts += ["## Data and design", ""]
    validation = _text(res / "validation.md")
    if validation is None:
        missing.append("validation.md")
    parts += [validation or "_The validation summary was not produced._", ""]
    if desc is not None:
        cols = ["group", "variable", "n", "mean", "sd", "min", "max"]
        _section_table(
            parts,
            "Descriptive statistics of the analysis sample (overall and by firm).",
            desc,
            columns=[c for c in cols if c in desc],
        )
    else:
        missing.append("descriptives")

    # --- measurement -------------------------------------------------------
    parts += ["## Measurement", ""]
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
        table = _csv(sdir / f"{stem}.csv")
        if table is None:
            missing.append(f"measurement/{stem}")
        _section_table(parts, caption, table)

    # --- models --------------------------------------------------------------
    parts += ["## Models", ""]
    reg = _text(mdir / "regression_table.md")
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
    if fit_stats is not None:
        fs = fit_stats.copy()
        fs["model"] = [
            MODEL_NAMES.get(m, f"Dirichlet without firm {m[4:]}" if m.startswith("loo_") else m)
            for m in fs["model"].astype(str)
        ]
        _section_table(
            parts,
            "Fit statistics (the fractional logit is a quasi-likelihood: no likelihood).",
            fs,
        )
    else:
        missing.append("fit statistics")
    if estimates is not None:
        prec = estimates[
            (estimates["model"] == "dirichlet") & (estimates["equation"] == "precision")
        ]
        if not prec.empty:
            _section_table(
                parts,
                "Precision of the Dirichlet model (log scale; larger: shares closer to their "
                "expected values).",
                prec,
                columns=["term", "estimate", "std_error", "p_value", "conf_low", "conf_high"],
            )
        probit = estimates[estimates["model"] == "probit"]
        if not probit.empty:
            _section_table(
                parts,
                "Probit of giving marketing leads any time (all reps with complete predictors).",
                probit,
                columns=["term", "estimate", "std_error", "p_value", "conf_low", "conf_high"],
            )
        else:
            parts += [
                "_The probit of giving marketing leads any time was not estimated: every "
                "rep reports some time on marketing leads._",
                "",
            ]
        loo = _loo_table(estimates)
        if loo is not None:
            _section_table(
                parts,
                "Leave one firm out: Dirichlet coefficients of the marketing equation "
                "(log-ratio to other work).",
                loo,
            )
    else:
        missing.append("estimates")
    wald = _csv(mdir / "sur_wald.csv")
    if wald is not None:
        _section_table(
            parts,
            "SUR: does prequalification move time from self-generated to marketing leads "
            "one for one?",
            wald,
            columns=[c for c in ("null", "estimate", "std_error", "statistic", "df", "p_value")],
        )

    # --- hypotheses ------------------------------------------------------------
    parts += ["## Hypotheses", ""]
    comp = _text(mdir / "hypotheses_vs_published.md")
    if comp is None:
        missing.append("hypotheses_vs_published")
    else:
        label = _MAIN_LABELS.get(main, main)
        parts += [f"**Share-scale effects of the {label} beside the published findings.**", ""]
        parts += [comp, ""]
    if hyps is not None:
        wide = hyps.pivot_table(index="id", columns="model", values="estimate", sort=False)
        sup = hyps.pivot_table(index="id", columns="model", values="p_value", sort=False)
        order = [h.id for h in HYPOTHESES if h.id in wide.index]
        models = [m for m in MODEL_NAMES if m in wide.columns]
        table = pd.DataFrame({"id": order})
        for m in models:
            table[MODEL_NAMES[m]] = [
                f"{_num(wide.loc[i, m], 4)} (p {_p_phrase(sup.loc[i, m])})"
                if np.isfinite(wide.loc[i, m])
                else ""
                for i in order
            ]
        _section_table(
            parts,
            "The effects in every model (per unit; p-value in brackets).",
            table,
        )
    boot = _csv(mdir / "hypotheses_bootstrap.csv")
    if boot is not None:
        _section_table(parts, "Bootstrap intervals of the main model's effects.", boot)
    slopes = _csv(mdir / "simple_slopes.csv")
    if slopes is not None:
        _section_table(
            parts,
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
    jn = _csv(mdir / "johnson_neyman.csv")
    if jn is not None:
        parts += [
            "**Johnson–Neyman regions: where along the moderator the effect differs from zero "
            "(pointwise normal intervals).**",
            "",
            *_jn_summary(jn),
            "",
        ]
        shown = jn.copy()
        if "sign" in shown:
            shown["sign"] = shown["sign"].map({1: "positive", -1: "negative"}).fillna("none")
        if "share_of_reps" in shown:
            shown["share_of_reps"] = 100 * shown["share_of_reps"]
        _section_table(
            parts,
            "Johnson–Neyman regions (normal and Esarey–Sumner critical values).",
            shown,
            columns=[c for c in ("id", "moderator", "method", "low", "high", "sign") if c in jn]
            + ["share_of_reps"],
        )
    else:
        missing.append("Johnson–Neyman regions")

    # --- figures ----------------------------------------------------------------
    known = {stem: i for i, stem in enumerate(figure_names())}
    figures = sorted(
        figures_dir.glob("*.png"), key=lambda p: (known.get(p.stem, len(known)), p.name)
    )
    parts += ["## Figures", ""]
    if simulated:
        parts += ["_Every figure is drawn from the simulated survey, and says so under it._", ""]
    if not figures:
        missing.append("figures")
        parts += ["_No figures were produced._", ""]
    rel = os.path.relpath(figures_dir, res)
    for fig in figures:
        cap = md_escape(_figure_caption(fig.stem))
        parts += [f"![{cap}]({Path(rel, fig.name).as_posix()})", "", f"*{cap}*", ""]
    if missing:
        parts += ["## Not produced", "", "- " + "\n- ".join(missing), ""]
    md_text = "\n".join(parts).rstrip() + "\n"
    out = OutputSet(res)
    out.add_text("report.md", md_text)
    out.add_text("report.html", _html(md_text, res, title))
    return out


def _html(md_text: str, results_dir: Path, title: str) -> str:
    """The HTML report: inert user text, embedded figures, the stylesheet."""
    images: list[str] = []

    def embed(match: re.Match) -> str:
        alt, src = match.group(1), match.group(2)
        data = (results_dir / src).read_bytes()
        images.append(f"data:image/png;base64,{base64.b64encode(data).decode('ascii')}")
        return f"![{alt}](@@IMAGE{len(images) - 1}@@)"

    text = re.sub(r"!\[([^\]]*)\]\(([^)]+\.png)\)", embed, md_text)
    # make any HTML in the text (a firm label, say) inert before Markdown sees it
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = markdown.markdown(text, extensions=["tables"])
    for i, uri in enumerate(images):
        body = body.replace(f"@@IMAGE{i}@@", uri)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{REPORT_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )
