"""The diagnosands of a design diagnosis: what its replications say about each estimator.

Bias, RMSE, coverage, power, type-S rate and standard-error ratio, with
their Monte Carlo standard errors, per cell, estimator and effect
(:func:`diagnosands`), and the smallest effect scale each estimator detects
(:func:`minimum_detectable_scale`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..registry import HYPOTHESES
from .estimators import ALPHA
from .replications import CELL_COLUMNS

__all__ = ["DIAGNOSAND_COLUMNS", "diagnosands", "minimum_detectable_scale"]

_SIGN = {h.id: h.expected_sign for h in HYPOTHESES}

#: Columns of ``diagnosands.csv`` after the cell, estimator and effect id.
DIAGNOSAND_COLUMNS: tuple[str, ...] = (
    "expected_sign",
    "n_sims",
    "n_failed",
    "truth",
    "truth_per_sd_pp",
    "mean_estimate",
    "mean_estimate_mcse",
    "bias",
    "bias_mcse",
    "relative_bias",
    "relative_bias_mcse",
    "rmse",
    "rmse_mcse",
    "coverage",
    "coverage_mcse",
    "power",
    "power_mcse",
    "type_s",
    "type_s_mcse",
    "se_ratio",
    "se_ratio_mcse",
)


def _summarise(g: pd.DataFrame) -> dict[str, float]:
    ok = g[g["converged"]]
    r = len(ok)
    truth = float(g["truth"].iloc[0])
    out = {
        "expected_sign": _SIGN.get(g["id"].iloc[0], 0),
        "n_sims": r,
        "n_failed": len(g) - r,
        "truth": truth,
        "truth_per_sd_pp": float(g["truth_per_sd_pp"].iloc[0]),
    }
    est = ok["estimate"].to_numpy()
    se = ok["std_error"].to_numpy()
    nan = float("nan")
    if r == 0:
        return out | {c: nan for c in DIAGNOSAND_COLUMNS if c not in out}
    sd = est.std(ddof=1) if r > 1 else nan
    mean = est.mean()
    out["mean_estimate"] = mean
    out["mean_estimate_mcse"] = sd / np.sqrt(r)
    out["bias"] = mean - truth
    out["bias_mcse"] = sd / np.sqrt(r)
    out["relative_bias"] = (mean - truth) / truth if truth else nan
    out["relative_bias_mcse"] = sd / np.sqrt(r) / abs(truth) if truth else nan
    sq = (est - truth) ** 2
    mse = sq.mean()
    out["rmse"] = np.sqrt(mse)
    out["rmse_mcse"] = (sq.std(ddof=1) / np.sqrt(r)) / (2 * np.sqrt(mse)) if r > 1 else nan
    cover = ((ok["conf_low"] <= truth) & (truth <= ok["conf_high"])).to_numpy()
    out["coverage"] = cover.mean()
    out["coverage_mcse"] = np.sqrt(cover.mean() * (1 - cover.mean()) / r)
    sig = ok["p_value"].to_numpy() < ALPHA
    if out["expected_sign"]:
        hit = ok["supported"].fillna(False).to_numpy(dtype=bool)
    else:
        hit = sig
    out["power"] = hit.mean()
    out["power_mcse"] = np.sqrt(hit.mean() * (1 - hit.mean()) / r)
    n_sig = int(sig.sum())
    if n_sig and truth:
        wrong = np.sign(est[sig]) != np.sign(truth)
        out["type_s"] = wrong.mean()
        out["type_s_mcse"] = np.sqrt(wrong.mean() * (1 - wrong.mean()) / n_sig)
    else:
        out["type_s"] = out["type_s_mcse"] = nan
    ratio = se.mean() / sd if r > 1 and sd > 0 else nan
    out["se_ratio"] = ratio
    # Morris, White & Crowther (2019), relative error in the model SE
    out["se_ratio_mcse"] = (
        ratio * np.sqrt(se.var(ddof=1) / (r * se.mean() ** 2) + 1 / (2 * (r - 1))) if r > 1 else nan
    )
    return out


def diagnosands(replications: pd.DataFrame) -> pd.DataFrame:
    """Summarise replications into the diagnosands of every cell, estimator and effect.

    Parameters
    ----------
    replications : DataFrame
        Rows of :func:`run_chunk` (``replications.parquet``).

    Returns
    -------
    DataFrame
        One row per scenario x N x effect scale x estimator x effect, in the
        order of the input, with columns :data:`CELL_COLUMNS`, ``estimator``,
        ``id`` and :data:`DIAGNOSAND_COLUMNS`.

    Notes
    -----
    Over the ``R`` converged replications with estimates :math:`\\hat\\theta_r`,
    standard errors :math:`s_r` and population value :math:`\\theta`:
    bias :math:`\\bar\\theta - \\theta` (MCSE :math:`S/\\sqrt R`, S the SD of the
    estimates); relative bias = bias / θ; RMSE
    :math:`\\sqrt{\\overline{(\\hat\\theta-\\theta)^2}}` (MCSE by the delta method,
    :math:`SD((\\hat\\theta-\\theta)^2)/(2\\sqrt R\\,RMSE)`); coverage of the 95%
    intervals and power (share *supported*: expected sign and p < 0.05; for an
    exploratory effect, share with p < 0.05) with binomial MCSE
    :math:`\\sqrt{p(1-p)/R}`; type-S rate = share of the significant estimates
    whose sign is not the sign of θ (Gelman & Carlin 2014), MCSE binomial over
    the significant ones; ``se_ratio`` = mean SE / S, MCSE after Morris, White
    & Crowther (2019). Non-converged fits count in ``n_failed`` only.

    Examples
    --------
    >>> table = diagnosands(replications)  # doctest: +SKIP
    """
    keys = [*CELL_COLUMNS, "estimator", "id"]
    rows = []
    for key, g in replications.groupby(keys, sort=False):
        rows.append(dict(zip(keys, key, strict=True)) | _summarise(g))
    out = pd.DataFrame(rows, columns=[*keys, *DIAGNOSAND_COLUMNS])
    return out.astype({"expected_sign": "int64", "n_sims": "int64", "n_failed": "int64"})


def minimum_detectable_scale(table: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Smallest effect scale with power >= ``target``, per scenario, estimator, effect and N.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`diagnosands`.
    target : float
        Power required (default 0.8).

    Returns
    -------
    DataFrame
        ``scenario``, ``estimator``, ``id``, ``n_reps``, ``mde_scale``,
        ``mde_per_sd_pp`` (the population effect at that scale, percentage
        points per SD) and ``note``: ``"interpolated"``; ``"at or below the
        smallest scale"`` (power already reaches the target there: the value
        is an upper bound); ``"not reached"`` (NaN).

    Notes
    -----
    Power is interpolated linearly in the effect scale between the two grid
    points that bracket the target (the first crossing from below); the
    population effect is interpolated the same way. Directional hypotheses
    only.

    Examples
    --------
    >>> mde = minimum_detectable_scale(diagnosands(replications))  # doctest: +SKIP
    """
    rows = []
    directional = table[table["expected_sign"] != 0]
    keys = ["scenario", "estimator", "id", "n_reps"]
    for key, g in directional.groupby(keys, sort=False):
        g = g.sort_values("effect_scale")
        s = g["effect_scale"].to_numpy()
        p = g["power"].to_numpy()
        v = g["truth_per_sd_pp"].to_numpy()
        scale, value, note = np.nan, np.nan, "not reached"
        above = np.flatnonzero(p >= target)
        if above.size:
            j = above[0]
            if j == 0:
                scale, value, note = s[0], v[0], "at or below the smallest scale"
            else:
                w = (target - p[j - 1]) / (p[j] - p[j - 1])
                scale = s[j - 1] + w * (s[j] - s[j - 1])
                value = v[j - 1] + w * (v[j] - v[j - 1])
                note = "interpolated"
        rows.append(
            dict(zip(keys, key, strict=True))
            | {"mde_scale": scale, "mde_per_sd_pp": value, "note": note}
        )
    return pd.DataFrame(rows, columns=[*keys, "mde_scale", "mde_per_sd_pp", "note"])
