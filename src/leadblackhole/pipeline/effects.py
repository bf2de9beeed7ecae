"""The hypotheses step: the registry effects of the main model beside the compared models."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..config import DEFAULT_SEED
from ..data import AnalysisFrame
from ..effects import HypothesisReport, adjust_pvalues, run_hypotheses
from .models import FitResult

__all__ = ["hypotheses"]


def hypotheses(
    frame: AnalysisFrame,
    fitted: FitResult,
    *,
    bootstrap: int = 0,
    seed: int = DEFAULT_SEED,
    scheme: str = "stratified",
    progress: bool = False,
) -> HypothesisReport:
    """Test every registry hypothesis on the main model, the compared models beside it.

    Parameters
    ----------
    frame : AnalysisFrame
        The analysis frame the models were fitted on.
    fitted : FitResult
        What :func:`~leadblackhole.pipeline.models.fit` returned: the main model
        is probed, bootstrapped and compared with the published findings; the
        models of ``fitted.compared`` add their effects to ``hypotheses.csv``,
        and the corrected and two-step models (``fitted.remedy_effects``) theirs,
        right after the main model's rows (their p-values adjusted within each
        model like the others').
    bootstrap : int, default 0
        Bootstrap draws of the main model's effects (0: none).
    seed : int
        Seed of the bootstrap.
    scheme : {"stratified", "firm"}
        Bootstrap resampling scheme.
    progress : bool, default False
        Show progress bars.

    Returns
    -------
    HypothesisReport
        With the firm checks, the rounding step of the main model in its settings
        and the data of the sensitivity contour figure the fit computed
        (``fitted.tables["sensitivity_contour"]``), which ``figures`` draws.
    """
    report = run_hypotheses(
        frame,
        fitted.main,
        list(fitted.compared),
        bootstrap=bootstrap,
        seed=seed,
        scheme=scheme,
        progress=progress,
        firm_checks=True,
        rounding_step=fitted.models.rounding_step,
    )
    contour = fitted.tables.get("sensitivity_contour")
    return replace(with_remedy_effects(report, fitted), sensitivity_contour=contour)


def with_remedy_effects(report: HypothesisReport, fitted: FitResult) -> HypothesisReport:
    """The report with the remedies' registry effects right after the main model's rows.

    Parameters
    ----------
    report : HypothesisReport
    fitted : FitResult
        Its ``remedy_effects`` (empty: ``report`` is returned unchanged).

    Returns
    -------
    HypothesisReport
        ``hypotheses`` with the further rows, Holm and Benjamini-Hochberg
        p-values recomputed within each model; every other table unchanged.
    """
    if not fitted.remedy_effects:
        return report
    table = report.hypotheses
    is_main = (table["model"] == fitted.main_name).to_numpy()
    cut = int(is_main.nonzero()[0][-1]) + 1 if is_main.any() else len(table)
    added = pd.concat(list(fitted.remedy_effects.values()), ignore_index=True)
    added["supported"] = added["supported"].astype("boolean")
    parts = [table.iloc[:cut], added, table.iloc[cut:]]
    merged = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return replace(report, hypotheses=adjust_pvalues(merged))
