"""Every table of the hypothesis tests, from the fitted models.

:func:`run_hypotheses` computes the registry effects of every model given
(``hypotheses.csv``), the main model's results beside the published findings,
the simple slopes and Johnson–Neyman regions of every moderation and,
optionally, the bootstrap; it returns them as tidy DataFrames in a
:class:`HypothesisReport`. :func:`leadblackhole.reporting.tables.stage_hypotheses`
renders and writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..config import DEFAULT_SEED
from ..exceptions import EffectsError
from .bootstrap import BootstrapResult, Scheme, bootstrap_effects
from .conditional import simple_slopes
from .estimates import hypothesis_table
from .firms import FIRM_TEST_COLUMNS, firm_tests, per_firm_effects
from .johnson_neyman import JohnsonNeyman, johnson_neyman_table
from .multiplicity import JOINT_TEST_COLUMNS, adjust_pvalues, joint_moderation_test
from .published import published_comparison
from .spec import EffectOptions, resolve_options

if TYPE_CHECKING:
    from ..data import AnalysisFrame

__all__ = ["HypothesisReport", "run_hypotheses"]


@dataclass(frozen=True, eq=False)
class HypothesisReport:
    """Every table of the hypothesis tests.

    Attributes
    ----------
    hypotheses : DataFrame
        ``hypotheses.csv`` (see :func:`~leadblackhole.effects.estimates.hypothesis_table`)
        with the Holm and Benjamini-Hochberg p-values ``p_holm``, ``p_bh``
        within each model (:func:`~leadblackhole.effects.multiplicity.adjust_pvalues`).
    published : DataFrame
        Main-model results beside the published findings
        (:func:`~leadblackhole.effects.published.published_comparison`).
    simple_slopes : DataFrame
        :func:`~leadblackhole.effects.conditional.simple_slopes` of the main model.
    johnson_neyman : DataFrame
        :func:`~leadblackhole.effects.johnson_neyman.johnson_neyman_table` of the main model.
    jn_analyses : dict
        ``(id, method) -> JohnsonNeyman`` with the curves behind the table.
    bootstrap : BootstrapResult or None
        Bootstrap of the main model's effects, when run.
    options : EffectOptions
        Variance and test level the tables were made with.
    settings : dict
        Every option the report was made with (``main_model`` and
        ``rounding_step`` among them).
    joint_tests : DataFrame
        ``joint_tests.csv``: per model, the Wald test that the six
        moderations are zero (:func:`~leadblackhole.effects.multiplicity.joint_moderation_test`).
    firm_tests : DataFrame or None
        ``firm_tests.csv`` (:func:`~leadblackhole.effects.firms.firm_tests`)
        of the main model, when run.
    per_firm : DataFrame or None
        The per-firm effects behind the Ibragimov-Müller tests.
    sensitivity_contour : DataFrame or None
        The data of the sensitivity contour figure of one hypothesis
        (:func:`~leadblackhole.models.sensitivity.contour_table`), attached by
        the fit step so that ``figures`` draws it without computing; ``None``
        when not computed.
    """

    hypotheses: pd.DataFrame
    published: pd.DataFrame
    simple_slopes: pd.DataFrame
    johnson_neyman: pd.DataFrame
    jn_analyses: Mapping[tuple[str, str], JohnsonNeyman] = field(repr=False)
    bootstrap: BootstrapResult | None
    options: EffectOptions
    settings: Mapping[str, Any]
    joint_tests: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(JOINT_TEST_COLUMNS))
    )
    firm_tests: pd.DataFrame | None = None
    per_firm: pd.DataFrame | None = None
    sensitivity_contour: pd.DataFrame | None = None

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
    frame: AnalysisFrame | pd.DataFrame,
    main: Any,
    robustness: Sequence[Any] = (),
    *,
    bootstrap: int = 0,
    seed: int = DEFAULT_SEED,
    scheme: Scheme = "stratified",
    options: EffectOptions | None = None,
    jn_grid: int = 201,
    progress: bool = False,
    firm_checks: bool = False,
    rounding_step: float | None = None,
) -> HypothesisReport:
    """Test every registry hypothesis and probe every moderation.

    Parameters
    ----------
    frame : AnalysisFrame or DataFrame
        The analysis frame the models were fitted on.
    main : ShareResults
        The main model: probed, compared with the published findings and
        bootstrapped.
    robustness : sequence of ShareResults or (ShareResults, data) pairs
        Further share models whose registry effects join ``hypotheses.csv``
        (see :func:`~leadblackhole.effects.estimates.hypothesis_table`).
    bootstrap : int
        Number of bootstrap draws of the main model's effects; 0 (default) for none.
    seed : int
        Seed of the bootstrap's ``numpy.random.default_rng``.
    scheme : {"stratified", "firm"}
        Bootstrap resampling scheme (see :mod:`leadblackhole.effects.bootstrap`).
    options : EffectOptions, optional
        Delta-method variance and test level.
    jn_grid : int
        Grid size of the Johnson–Neyman analyses.
    progress : bool
        Show progress bars (standard error): one over the steps (registry effects,
        joint tests, firm checks, simple slopes, Johnson–Neyman), one within the
        Johnson–Neyman analyses and one over the bootstrap draws.
    firm_checks : bool
        Also compute ``firm_tests`` (the main model within each firm, the
        Ibragimov-Müller tests and the likelihood-ratio test of firm-specific
        slopes).
    rounding_step : float, optional
        The rounding step of the main model, recorded in ``settings``.

    Returns
    -------
    HypothesisReport

    Raises
    ------
    EffectsError
        Bad options, or models and frame that do not fit together.

    Examples
    --------
    >>> report = run_hypotheses(frame, fit_share_model(frame, "dirichlet"))   # doctest: +SKIP
    """
    if isinstance(bootstrap, bool) or not (
        isinstance(bootstrap, int | np.integer) and bootstrap >= 0
    ):
        raise EffectsError(f"bootstrap must be a whole number >= 0; received {bootstrap!r}")
    options = resolve_options(options)
    fits = [main, *robustness]
    steps = tqdm(
        total=5 if firm_checks else 4,
        desc="Effects",
        unit="step",
        disable=not progress,
        leave=False,
    )
    steps.set_postfix_str("registry effects")
    table = adjust_pvalues(hypothesis_table(frame, fits, options))
    steps.update()
    steps.set_postfix_str("joint tests")
    published = published_comparison(table, model=main.model_name, alpha=options.alpha)
    joint = []
    for fit in fits:
        res, data = fit if isinstance(fit, tuple) else (fit, frame)
        joint.append(joint_moderation_test(res, data, options=options))
    joint_table = pd.concat(joint, ignore_index=True)[list(JOINT_TEST_COLUMNS)]
    steps.update()
    ftests = per_firm = None
    if firm_checks:
        steps.set_postfix_str("firm checks")
        model_options = {"step": main.step} if main.model_name == "dirichlet_rounded" else {}
        per_firm = per_firm_effects(
            frame, model=main.model_name, model_options=model_options, options=options
        )
        ftests = firm_tests(
            frame, per_firm=per_firm, model=main.model_name, model_options=model_options
        )[list(FIRM_TEST_COLUMNS)]
        steps.update()
    steps.set_postfix_str("simple slopes")
    slopes = simple_slopes(main, frame, options=options)
    steps.update()
    steps.set_postfix_str("Johnson-Neyman")
    jn_table, analyses = johnson_neyman_table(
        main, frame, options=options, grid=jn_grid, progress=progress
    )
    steps.update()
    steps.close()
    boot = None
    if bootstrap:
        boot = bootstrap_effects(
            main,
            frame,
            n_boot=bootstrap,
            seed=seed,
            scheme=scheme,
            options=options,
            progress=progress,
        )
    settings = {
        "variance": options.variance,
        "alpha": options.alpha,
        "jn_grid": jn_grid,
        "bootstrap": bootstrap,
        "seed": seed,
        "scheme": scheme,
        "main_model": main.model_name,
        "rounding_step": rounding_step,
    }
    return HypothesisReport(
        hypotheses=table,
        published=published,
        simple_slopes=slopes,
        johnson_neyman=jn_table,
        jn_analyses=analyses,
        bootstrap=boot,
        options=options,
        settings=settings,
        joint_tests=joint_table,
        firm_tests=ftests,
        per_firm=per_firm,
    )
