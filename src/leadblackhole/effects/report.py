"""Hypothesis tests of the registry as one report: :func:`run_hypotheses`.

The report gathers the share-scale effects of every model
(``hypotheses.csv``), the main model's results beside the published findings
(``hypotheses_vs_published.md`` / ``.tex``), the simple slopes
(``simple_slopes.csv``), the Johnson–Neyman regions (``johnson_neyman.csv``)
and, when asked for, the bootstrap intervals (``hypotheses_bootstrap.csv``).
:meth:`HypothesisReport.stage` adds them to an
:class:`~leadblackhole.outputs.OutputSet`, so they are written together
or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import DEFAULT_SEED
from ..outputs import OutputSet, table_to_csv
from .effects import (
    EffectsError,
    Variance,
    comparison_latex,
    comparison_markdown,
    hypothesis_table,
    published_comparison,
)
from .probing import (
    BootstrapResult,
    JohnsonNeyman,
    Scheme,
    bootstrap_effects,
    johnson_neyman_table,
    simple_slopes,
)

__all__ = ["REPORT_FILES", "HypothesisReport", "run_hypotheses"]

#: Files a report stages (the bootstrap table only when a bootstrap was run).
REPORT_FILES: tuple[str, ...] = (
    "hypotheses.csv",
    "hypotheses_vs_published.md",
    "hypotheses_vs_published.tex",
    "simple_slopes.csv",
    "johnson_neyman.csv",
    "hypotheses_bootstrap.csv",
)


@dataclass(frozen=True, eq=False)
class HypothesisReport:
    """Every table of the hypothesis tests.

    Attributes
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv`` (see :func:`~leadblackhole.effects.effects.hypothesis_table`).
    published : DataFrame
        Main-model results beside the published findings
        (:func:`~leadblackhole.effects.effects.published_comparison`).
    simple_slopes : DataFrame
        :func:`~leadblackhole.effects.probing.simple_slopes` of the main model.
    johnson_neyman : DataFrame
        :func:`~leadblackhole.effects.probing.johnson_neyman_table` of the main model.
    jn_analyses : dict
        ``(id, method) -> JohnsonNeyman`` with the curves behind the table.
    bootstrap : BootstrapResult or None
        Bootstrap of the main model's effects, when run.
    settings : dict
        Options the report was made with.
    """

    hypotheses: pd.DataFrame
    published: pd.DataFrame
    simple_slopes: pd.DataFrame
    johnson_neyman: pd.DataFrame
    jn_analyses: Mapping[tuple[str, str], JohnsonNeyman] = field(repr=False)
    bootstrap: BootstrapResult | None
    settings: Mapping[str, Any]

    def stage(self, outset: OutputSet) -> list[str]:
        """Add the report's files to ``outset``; return their names.

        Parameters
        ----------
        outset : OutputSet
            Staging area; nothing is written until its ``commit()``.
        """
        names = []

        def add(name: str, text: str) -> None:
            outset.add_text(name, text)
            names.append(name)

        add("hypotheses.csv", table_to_csv(self.hypotheses))
        add("hypotheses_vs_published.md", comparison_markdown(self.published))
        add("hypotheses_vs_published.tex", comparison_latex(self.published))
        add("simple_slopes.csv", table_to_csv(self.simple_slopes))
        add("johnson_neyman.csv", table_to_csv(self.johnson_neyman))
        if self.bootstrap is not None:
            add("hypotheses_bootstrap.csv", table_to_csv(self.bootstrap.table))
        return names

    def write(self, outdir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write the report's files to ``outdir``, all of them or none.

        Parameters
        ----------
        outdir : path-like
            Destination folder (created when missing).

        Returns
        -------
        dict of str to Path
            File name -> path written.
        """
        out = OutputSet(outdir)
        self.stage(out)
        return dict(out.commit())

    def summary(self) -> str:
        """A few lines of text: how many directional hypotheses each model supports.

        Returns
        -------
        str
        """
        lines = []
        for model, rows in self.hypotheses.groupby("model", sort=False):
            directional = rows[rows["expected_sign"] != 0]
            k = int(directional["supported"].fillna(False).sum())
            lines.append(f"{model}: {k} of {len(directional)} directional hypotheses supported")
        if self.bootstrap is not None:
            b = self.bootstrap
            lines.append(
                f"bootstrap ({b.scheme}, seed {b.seed}): {len(b.draws)} draws, "
                f"{b.n_failed} failed refits"
            )
        return "\n".join(lines)


def run_hypotheses(
    frame: Any,
    dirichlet_results: Any,
    ols_results: Any = None,
    frac_results: Any = None,
    *,
    bootstrap: int = 0,
    seed: int = DEFAULT_SEED,
    scheme: Scheme = "stratified",
    variance: Variance = "unconditional",
    alpha: float = 0.05,
    jn_grid: int = 201,
    progress: bool = False,
) -> HypothesisReport:
    """Test every registry hypothesis and probe every moderation.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame the models were fitted on.
    dirichlet_results : object
        The main model (Dirichlet regression, alternative parametrization).
    ols_results, frac_results : object, optional
        Robustness models of the marketing share (OLS, fractional logit).
    bootstrap : int
        Number of bootstrap draws of the main model's effects; 0 (default) for none.
    seed : int
        Seed of the bootstrap's ``numpy.random.default_rng``.
    scheme : {"stratified", "firm"}
        Bootstrap resampling scheme (see :mod:`leadblackhole.effects.probing`).
    variance : {"unconditional", "conditional"}
        Delta-method variance (see :mod:`leadblackhole.effects.effects`).
    alpha : float
        Test level.
    jn_grid : int
        Grid size of the Johnson–Neyman analyses.
    progress : bool
        Show a progress bar during the bootstrap.

    Returns
    -------
    HypothesisReport

    Raises
    ------
    EffectsError
        Bad options, or models and frame that do not fit together.

    Examples
    --------
    >>> report = run_hypotheses(frame, fit_main_model(frame))        # doctest: +SKIP
    >>> report.write("results")                                        # doctest: +SKIP
    """
    if isinstance(bootstrap, bool) or not (
        isinstance(bootstrap, int | np.integer) and bootstrap >= 0
    ):
        raise EffectsError(f"bootstrap must be a whole number >= 0; received {bootstrap!r}")
    table = hypothesis_table(
        frame, dirichlet_results, ols_results, frac_results, variance=variance, alpha=alpha
    )
    published = published_comparison(table, model="dirichlet", alpha=alpha)
    slopes = simple_slopes(
        dirichlet_results, frame, kind="dirichlet", variance=variance, alpha=alpha
    )
    jn_table, analyses = johnson_neyman_table(
        dirichlet_results, frame, kind="dirichlet", variance=variance, alpha=alpha, grid=jn_grid
    )
    boot = None
    if bootstrap:
        boot = bootstrap_effects(
            dirichlet_results,
            frame,
            n_boot=bootstrap,
            seed=seed,
            scheme=scheme,
            kind="dirichlet",
            alpha=alpha,
            progress=progress,
        )
    settings = {
        "variance": variance,
        "alpha": alpha,
        "jn_grid": jn_grid,
        "bootstrap": bootstrap,
        "seed": seed,
        "scheme": scheme,
    }
    return HypothesisReport(
        hypotheses=table,
        published=published,
        simple_slopes=slopes,
        johnson_neyman=jn_table,
        jn_analyses=analyses,
        bootstrap=boot,
        settings=settings,
    )
