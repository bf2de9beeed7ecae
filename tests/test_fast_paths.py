"""The fast paths of the design diagnosis: arrays instead of labelled tables.

The design built from arrays, the effects read from the design and the estimates the fit
already holds. Every assertion compares a fast path with the labelled path it replaces
(or with a design written out by hand), computed in the same test: the fast paths select
and reuse arrays and compute nothing differently, so the comparisons are exact.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from leadblackhole.diagnosis import ESTIMATE_COLUMNS, EffectsEstimator, simulate_frame
from leadblackhole.effects import (
    EffectOptions,
    EffectsError,
    ShareModel,
    model_effects,
    registry_estimates,
)
from leadblackhole.models import fit_share_model
from leadblackhole.models.main import main_model_exog
from leadblackhole.simulation import StudyDesign
from leadblackhole.specification import (
    FOCAL,
    INTERACTIONS,
    design_array,
    design_matrix,
    firm_levels,
    term_names,
)

MODELS = ("dirichlet", "dirichlet_rounded", "ols", "fractional_logit", "fmlogit")


@pytest.fixture(scope="module")
def frame():
    return simulate_frame(StudyDesign(n_reps=250), seed=4)[0]


@pytest.fixture(scope="module")
def fits(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: fit_share_model(frame, name) for name in MODELS}


def test_design_array_is_the_design_written_out_by_hand():
    rng = np.random.default_rng(0)
    n = 7
    firm = np.array(["B", "A", "C", "B", "A", "C", "C"], dtype=object)
    cols = {v: rng.normal(size=n) for v in (*FOCAL, "variable_pay")}
    X = design_array(cols, firm, ["A", "B", "C"], variable_pay=True)
    expected = [np.ones(n), (firm == "B") * 1.0, (firm == "C") * 1.0]
    expected += [cols[v] for v in FOCAL] + [cols["variable_pay"]]
    expected += [cols[m] * cols[x] for m, x in INTERACTIONS]
    np.testing.assert_array_equal(X, np.column_stack(expected))
    assert X.shape[1] == len(term_names(["A", "B", "C"], True))
    assert X.flags["F_CONTIGUOUS"]  # the layout of a DataFrame's values


def test_design_matrix_is_design_array_labelled(frame):
    data = frame.data
    table = design_matrix(data)
    levels = firm_levels(data["firm"])
    assert "variable_pay" in data.columns  # the default design has the control
    cols = {v: data[v].to_numpy() for v in (*FOCAL, "variable_pay")}
    X = design_array(cols, data["firm"], levels, variable_pay=True)
    np.testing.assert_array_equal(table.to_numpy(), X)
    assert list(table.columns) == term_names(levels, variable_pay=True)
    assert table.index.equals(data.index)
    assert table.to_numpy().flags["F_CONTIGUOUS"]


def test_firm_levels_of_a_series_and_of_a_list_agree():
    labels = ["b", "a", "c", "a", "b"]
    assert firm_levels(pd.Series(labels)) == firm_levels(labels) == ["a", "b", "c"]
    assert firm_levels(pd.Series([2, 1, 2])) == ["1", "2"]


@pytest.mark.parametrize("name", MODELS)
def test_mean_arrays_are_the_values_of_the_labelled_tables(fits, name):
    res = fits[name]
    terms, coef, cov = res.mean_arrays()
    assert terms == res.mean_terms
    np.testing.assert_array_equal(coef, res.mean_coef.to_numpy(dtype=float))
    np.testing.assert_array_equal(cov, res.mean_cov.to_numpy(dtype=float))
    # the same memory layout as the table's values: matrix products see the same operands
    assert coef.flags["F_CONTIGUOUS"] == res.mean_coef.to_numpy(dtype=float).flags["F_CONTIGUOUS"]


def test_the_dirichlet_fits_keep_their_design(frame, fits):
    expected = main_model_exog(frame).to_numpy(dtype=float)
    for name in ("dirichlet", "dirichlet_rounded"):
        np.testing.assert_array_equal(fits[name].mean_design, expected)
    assert fits["ols"].mean_design is None  # the adapters rebuild it


def test_a_common_parametrization_keeps_no_mean_design(frame):
    from leadblackhole.models.main import fit_main_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_main_model(frame, parametrization="common")
    assert res.mean_design is None


@pytest.mark.parametrize("name", ("dirichlet", "dirichlet_rounded"))
@pytest.mark.parametrize("variance", ("unconditional", "conditional"))
def test_a_prebuilt_design_gives_the_effects_of_the_rebuilt_one(frame, fits, name, variance):
    res = fits[name]
    options = EffectOptions(variance=variance)
    rebuilt = model_effects(res, frame, options=options)
    given = model_effects(res, frame, options=options, design=res.mean_design)
    pd.testing.assert_frame_equal(given, rebuilt, check_exact=True)
    cols = registry_estimates(res, frame, options=options, design=res.mean_design)
    for c in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        np.testing.assert_allclose(cols[c], rebuilt[c].to_numpy(), rtol=0, atol=1e-12)
    assert list(cols["id"]) == rebuilt["id"].tolist()
    assert pd.array(cols["supported"], dtype="boolean").equals(rebuilt["supported"].array)


def test_model_effects_without_a_design_is_unchanged(frame, fits):
    # the table is registry_estimates laid out: same values, the documented dtypes
    res = fits["ols"]
    table = model_effects(res, frame)
    cols = registry_estimates(res, frame)
    np.testing.assert_array_equal(table["estimate"].to_numpy(), cols["estimate"])
    assert table["supported"].dtype == "boolean"
    assert table["expected_sign"].dtype == "int64"
    assert table["moderator"].dtype == object


def test_a_design_of_the_wrong_shape_or_with_missing_values_is_refused(frame, fits):
    res = fits["dirichlet"]
    X = res.mean_design
    with pytest.raises(EffectsError, match="the design given has shape"):
        model_effects(res, frame, design=X[:-1])
    with pytest.raises(EffectsError, match="the design given has shape"):
        model_effects(res, frame, design=X[:, :-1])
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(EffectsError, match="missing or infinite"):
        model_effects(res, frame, design=bad)
    with pytest.raises(EffectsError, match="data has no rows"):
        model_effects(res, frame.data.iloc[:0], design=np.empty((0, X.shape[1])))


def test_share_model_reads_the_same_numbers(fits):
    for name in MODELS:
        res = fits[name]
        m = ShareModel.from_results(res)
        np.testing.assert_array_equal(m.coef, res.mean_coef.to_numpy(dtype=float))
        np.testing.assert_array_equal(m.cov, res.mean_cov.to_numpy(dtype=float))
        assert m.terms == tuple(res.mean_terms)


@pytest.mark.parametrize("name", MODELS)
def test_estimate_columns_are_the_estimator_table(frame, name):
    est = EffectsEstimator(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = est(frame)
        cols = est.estimate_columns(frame)
    assert tuple(cols) == ESTIMATE_COLUMNS
    built = pd.DataFrame({c: cols[c] for c in ESTIMATE_COLUMNS if c != "supported"})
    built["supported"] = pd.array(cols["supported"], dtype="boolean")
    pd.testing.assert_frame_equal(built, table, check_exact=True, check_dtype=False)


def test_models_of_one_layout_share_labels_but_not_the_label_object():
    from leadblackhole.models.dirichlet import DirichletRegression

    rng = np.random.default_rng(1)
    endog = pd.DataFrame(rng.dirichlet([2, 3, 5], size=40), columns=["a", "b", "other"])
    exog = pd.DataFrame({"Intercept": 1.0, "x": rng.normal(size=40), "d": rng.random(40) > 0.5})
    one, two = DirichletRegression(endog, exog), DirichletRegression(endog, exog)
    expected = pd.MultiIndex.from_tuples(
        [(e, t) for e in ("a", "b") for t in ("Intercept", "x", "d")]
        + [("precision", "Intercept")],
        names=["equation", "term"],
    )
    assert one.param_names.equals(expected) and one.param_names.names == expected.names
    assert one.param_names is not two.param_names
    one.param_names.names = ["eq", "t"]  # renaming one model's labels leaves the other's alone
    assert two.param_names.names == ["equation", "term"]
