"""The replication report: ``results/report.md`` and ``results/report.html``.

The report is assembled from the files the pipeline wrote (tables as
Markdown, figures as PNG), so it always shows exactly what is in
``results/`` and ``figures/``. The HTML version embeds the figures, so it is
a single self-contained file.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import markdown
import pandas as pd

from ..models.main_rounded import main_model_name
from ..outputs import OutputSet
from .figures import FIGURE_CAPTIONS, figure_names

__all__ = ["build_report"]

#: Sections of the report: (title, folder under results, table stem, caption).
TABLE_SECTIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Measurement",
        "measurement",
        "measurement",
        "Reliability: Cronbach's alpha (Feldt 95% CI), composite reliability, AVE.",
    ),
    ("Measurement", "measurement", "cfa_fit", "Fit of the confirmatory factor analysis."),
    ("Measurement", "measurement", "loadings", "Standardized loadings."),
    (
        "Measurement",
        "measurement",
        "discriminant",
        "Discriminant validity: Fornell-Larcker and HTMT.",
    ),
    ("Measurement", "measurement", "cmv", "Common-method variance checks."),
    (
        "Measurement",
        "measurement",
        "correlations",
        "Correlations of the analysis variables, reliabilities on the diagonal.",
    ),
    (
        "Main results",
        "models",
        "regression_table",
        "Dirichlet regression (alternative parametrization, base: other) beside the robustness models.",
    ),
    ("Main results", "models", "fit_stats", "Fit statistics."),
    (
        "Hypotheses",
        "models",
        "hypotheses_vs_published",
        "Share-scale effects of the Dirichlet model beside the published findings.",
    ),
)


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


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _figure_caption(stem: str) -> str:
    if stem in FIGURE_CAPTIONS:
        return FIGURE_CAPTIONS[stem]
    return stem.replace("_", " ").capitalize() + "."


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
    """
    results_dir, figures_dir = Path(results_dir), Path(figures_dir)
    parts = [
        f"# {title}",
        "",
        "Sabnis, Chatterjee, Grewal & Lilien (2013), *The Sales Lead Black Hole*, Journal "
        "of Marketing 77(1): how lead prequalification quality, managerial tracking, lead "
        "volume, rep experience and past performance shape the share of working time reps "
        "give to marketing leads. The firms' data are not public; unless the pipeline was "
        "run on a researcher's own survey, every number below comes from a simulated study "
        "whose population model is documented in `docs/simulation.md`. They are not the "
        "published estimates.",
        "",
    ]
    validation = _read(results_dir / "validation.md")
    parts += ["## Data and design", ""]
    parts += [
        validation.strip() if validation else "_The validation summary was not produced._",
        "",
    ]
    current = None
    for section, sub, stem, caption in TABLE_SECTIONS:
        if section != current:
            parts += [f"## {section}", ""]
            current = section
        if stem == "hypotheses_vs_published":
            caption = caption.replace("Dirichlet model", _main_label(results_dir))
        text = _read(results_dir / sub / f"{stem}.md")
        parts += [f"**{caption}**", "", text.strip() if text else "_Not produced._", ""]
    known = {stem: i for i, stem in enumerate(figure_names())}
    figures = sorted(
        figures_dir.glob("*.png"), key=lambda p: (known.get(p.stem, len(known)), p.name)
    )
    parts += ["## Figures", ""]
    if not figures:
        parts += ["_No figures were produced._", ""]
    rel = os.path.relpath(figures_dir, results_dir)
    for fig in figures:
        parts += [
            f"![{_figure_caption(fig.stem)}]({Path(rel, fig.name).as_posix()})",
            "",
            f"*{_figure_caption(fig.stem)}*",
            "",
        ]
    md_text = "\n".join(parts).rstrip() + "\n"

    def embed(match: re.Match) -> str:
        alt, src = match.group(1), match.group(2)
        data = (results_dir / src).read_bytes()
        return f"![{alt}](data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    html_body = markdown.markdown(
        re.sub(r"!\[([^\]]*)\]\(([^)]+\.png)\)", embed, md_text), extensions=["tables"]
    )
    html = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>\n"
        "body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.45}\ntable{border-collapse:collapse;margin:0.5rem 0 1.5rem;"
        "font-size:0.9rem}\nth,td{border-bottom:1px solid #ccc;padding:0.2rem 0.6rem;"
        "text-align:right}\nth:first-child,td:first-child{text-align:left}\n"
        "img{max-width:100%}\n</style>\n</head>\n<body>\n"
        f"{html_body}\n</body>\n</html>\n"
    )
    out = OutputSet(results_dir)
    out.add_text("report.md", md_text)
    out.add_text("report.html", html)
    return out
