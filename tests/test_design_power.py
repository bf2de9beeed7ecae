"""The default design's power beside simulated estimates (reporting.design_power)."""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd
import pytest

from leadblackhole.reporting.design_power import design_power


def _packaged() -> pd.DataFrame:
    text = resources.files("leadblackhole.reporting").joinpath("design_power.csv").read_text()
    return pd.read_csv(io.StringIO(text), comment="#")


def test_the_packaged_table_is_the_power_blocks_output():
    table = _packaged()
    assert list(table.columns) == ["estimator", "n_reps", "id", "power", "n_sims"]
    assert table["power"].between(0, 1).all() and (table["n_sims"] >= 200).all()
    # every diagnosed cell has all twelve effects (eleven for the one-share models: no H2)
    sizes = table.groupby(["estimator", "n_reps"]).size()
    one_share = sizes.index.get_level_values("estimator").isin(["ols", "fractional_logit"])
    assert (sizes[~one_share] == 12).all() and (sizes[one_share] == 11).all()


@pytest.mark.parametrize(("asked", "used"), [(461, 461), (470, 461), (140, 150), (5000, 1000)])
def test_nearest_diagnosed_size(asked, used):
    n, power = design_power("dirichlet_rounded", asked)
    assert n == used
    table = _packaged()
    row = table[(table["estimator"] == "dirichlet_rounded") & (table["n_reps"] == used)]
    assert power.to_dict() == dict(zip(row["id"], row["power"], strict=True))


def test_unknown_estimator_has_no_power():
    assert design_power("dirichlet_cf", 461) is None


def test_power_grows_with_the_sample():
    small, large = (
        design_power("dirichlet_rounded", 150)[1],
        design_power("dirichlet_rounded", 1000)[1],
    )
    assert (large[["H1", "H4", "H6"]] >= small[["H1", "H4", "H6"]]).all()


def test_report_sets_power_beside_the_estimates_and_explains_misses():
    from leadblackhole.reporting.report_sections import _with_power

    table = pd.DataFrame(
        {"id": ["H1", "H9", "E1"], "estimate": [1.0, 0.1, 0.0], "agrees": ["yes", "no", ""]}
    )
    out, text = _with_power(table, "dirichlet_rounded", 461)
    _, power = design_power("dirichlet_rounded", 461)
    assert out["power"].tolist() == [power["H1"], power["H9"], power["E1"]]
    assert "200 studies simulated from the default design with 461 analysable reps" in text
    assert f"(H9) are detected in only {power['H9']:.2f} of such studies" in text
    # nothing missed: no claim about misses; a model never diagnosed: no column
    assert "detected in only" not in _with_power(table.assign(agrees="yes"), "dirichlet", 300)[1]
    plain, none = _with_power(table, "dirichlet_marker", 461)
    assert "power" not in plain.columns and none == ""
