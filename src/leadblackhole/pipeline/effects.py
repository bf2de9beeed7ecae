"""The hypotheses step: the registry effects of the main model beside the compared models."""

from __future__ import annotations

from ..config import DEFAULT_SEED
from ..data import AnalysisFrame
from ..effects import HypothesisReport, run_hypotheses
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
        models of ``fitted.compared`` add their effects to ``hypotheses.csv``.
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
        With the firm checks, and the rounding step of the main model in its settings.
    """
    return run_hypotheses(
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
