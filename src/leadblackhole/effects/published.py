"""The main model's estimates beside the published findings of the study.

:func:`published_comparison` reads a hypothesis table
(:func:`~leadblackhole.effects.estimates.hypothesis_table`) and says, row by
row, whether the estimate supports the finding the study published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import EffectsError
from ..registry import HYPOTHESES

__all__ = ["published_comparison"]

_SIGN_WORD = {1: "+", -1: "−", 0: "none"}


def published_comparison(
    table: pd.DataFrame, model: str = "dirichlet", alpha: float = 0.05
) -> pd.DataFrame:
    """Set each estimate beside the published finding and say whether they agree.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~leadblackhole.effects.estimates.hypothesis_table` (or
        :func:`~leadblackhole.effects.estimates.model_effects`).
    model : str
        Which model's rows to compare (default the main Dirichlet model).
    alpha : float
        Test level used for the wording.

    Returns
    -------
    DataFrame
        ``id, published_finding, expected_sign, estimate, conf_low, conf_high,
        p_value, result, agrees``. ``agrees`` is ``yes`` when the published
        (directional) finding is supported, ``no`` otherwise, and ``n/a`` for
        exploratory rows, which make no published prediction.

    Raises
    ------
    EffectsError
        When ``table`` has no rows for ``model``.
    """
    rows = table[table["model"] == model]
    if rows.empty:
        raise EffectsError(f"the table has no rows for model {model!r}")
    reg = {h.id: h for h in HYPOTHESES}
    out = []
    for r in rows.itertuples(index=False):
        h = reg.get(r.id)
        sign = int(np.sign(r.estimate))
        signif = bool(r.p_value < alpha)
        direction = {1: "positive", -1: "negative", 0: "zero"}[sign]
        if r.expected_sign == 0:
            result = f"{direction}, {'significant' if signif else 'not significant'}"
            agrees = "n/a"
        elif sign == r.expected_sign and signif:
            result, agrees = "supported", "yes"
        elif sign == r.expected_sign:
            result, agrees = "expected sign, not significant", "no"
        elif signif:
            result, agrees = "opposite sign, significant", "no"
        else:
            result, agrees = "opposite sign, not significant", "no"
        out.append(
            {
                "id": r.id,
                "published_finding": h.finding if h is not None else "",
                "expected_sign": _SIGN_WORD.get(int(r.expected_sign), str(r.expected_sign)),
                "estimate": r.estimate,
                "conf_low": r.conf_low,
                "conf_high": r.conf_high,
                "p_value": r.p_value,
                "result": result,
                "agrees": agrees,
            }
        )
    return pd.DataFrame(out)
