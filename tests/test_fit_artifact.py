"""The fit artifact as data: every kept model and the hypothesis report come back value for value.

``fit`` saves its models in ``fits.json`` and ``fits.npz`` (reporting/artifacts.py); the
later commands rebuild the results objects from them (models/stored.py). Each round trip
here compares the rebuilt objects with the fitted ones exactly (``np.array_equal``, frames
with ``check_exact``): parameters, covariances, the mean interface the effects and the
allocation read, predictions, effects, the allocation itself and a figure's bytes. The
schema tests change one field of a genuine artifact at a time and expect a refusal that
names it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from leadblackhole import cli
from leadblackhole.arrays import npz_bytes
from leadblackhole.data import attach_extra_columns, build_analysis_frame, load_survey
from leadblackhole.effects import model_effects, run_hypotheses
from leadblackhole.effects.two_step import two_step_effects
from leadblackhole.exceptions import ArtifactError
from leadblackhole.models import fit_share_model
from leadblackhole.models.sensitivity import contour_table
from leadblackhole.models.stored import rebuild_results, store_results
from leadblackhole.models.two_step import first_stage_table
from leadblackhole.pipeline import allocate
from leadblackhole.registry import HYPOTHESES
from leadblackhole.reporting.artifacts import FitArtifact
from leadblackhole.reporting.figures.drawing import figure_bytes
from leadblackhole.reporting.figures.moderation import plot_johnson_neyman, plot_moderation
from leadblackhole.simulation import StudyDesign, simulate

from .conftest import write_csv

KEPT = ("dirichlet_rounded", "dirichlet", "fmlogit", "ols", "fractional_logit")
IV = ["campaign_budget"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A survey with an instrument; every model an artifact holds, fitted; saved and loaded."""
    design = StudyDesign(n_reps=250, volume_confounding=0.3, instrument_strength=0.5)
    root = tmp_path_factory.mktemp("artifact")
    path = write_csv(root, simulate(design, seed=11).survey)
    frame = build_analysis_frame(load_survey(path))  # as figures and allocate build it
    with_iv = load_survey(path, extra_columns=IV)
    iv_frame = attach_extra_columns(build_analysis_frame(with_iv), with_iv, IV)
    fits = {name: fit_share_model(frame, name) for name in KEPT}
    for name in ("dirichlet_cf", "dirichlet_rounded_cf"):
        fits[name] = fit_share_model(iv_frame, name, instruments=IV)
    hyps = run_hypotheses(
        frame,
        fits["dirichlet"],
        [fits["ols"], fits["fmlogit"]],
        bootstrap=3,
        seed=2,
        jn_grid=41,
        firm_checks=True,
    )
    # the data of the sensitivity contour, which fit attaches to the report for figures
    hyps = dataclasses.replace(hyps, sensitivity_contour=contour_table(frame))
    artifact = FitArtifact.from_fit(fits, hyps, path, frame)
    saved = artifact.save(root / "models")
    loaded = FitArtifact.load(saved, path, frame)
    return SimpleNamespace(
        path=path, frame=frame, fits=fits, hyps=hyps, artifact=artifact, saved=saved, loaded=loaded
    )


def _same_arrays(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(np.asarray(x), np.asarray(y))


@pytest.mark.parametrize("name", [*KEPT, "dirichlet_cf", "dirichlet_rounded_cf"])
def test_every_kept_model_comes_back_value_for_value(study, name):
    fitted, back = study.fits[name], study.loaded.fits[name]
    assert type(back) is type(fitted) and back is not fitted
    pd.testing.assert_series_equal(back.params, fitted.params, check_exact=True)
    pd.testing.assert_frame_equal(back.cov_params(), fitted.cov_params(), check_exact=True)
    _same_arrays(back.mean_arrays(), fitted.mean_arrays())
    pd.testing.assert_frame_equal(back.mean_cov, fitted.mean_cov, check_exact=True)
    if fitted.mean_design is None:
        assert back.mean_design is None
    else:
        assert np.array_equal(back.mean_design, fitted.mean_design)
    pd.testing.assert_frame_equal(back.tidy(), fitted.tidy(), check_exact=True)
    assert back.summary() == fitted.summary()
    assert back.link == fitted.link and back.df_resid == fitted.df_resid
    for key, value in fitted.fit_stats().items():
        assert back.fit_stats()[key] == value or (
            np.isnan(value) and np.isnan(back.fit_stats()[key])
        )
    # the predictions: the expected shares of the fitted rows and of new designs
    if hasattr(fitted, "predict"):
        pd.testing.assert_frame_equal(back.predict(), fitted.predict(), check_exact=True)
    if fitted.mean_design is not None:
        x = fitted.mean_design[:7]
        assert np.array_equal(back.mean_shares(x), fitted.mean_shares(x))
    # the registry effects and their delta-method standard errors
    if name.endswith("_cf"):
        pd.testing.assert_frame_equal(
            two_step_effects(back, study.frame), two_step_effects(fitted, study.frame)
        )
        pd.testing.assert_frame_equal(first_stage_table(back), first_stage_table(fitted))
        assert str(back.control_test()) == str(fitted.control_test())
        assert back.control_test().stat == fitted.control_test().stat
        assert back.fit_options.keys() == fitted.fit_options.keys()
    else:
        pd.testing.assert_frame_equal(
            model_effects(back, study.frame), model_effects(fitted, study.frame), check_exact=True
        )


def test_the_hypothesis_report_comes_back_table_for_table(study):
    back, hyps = study.loaded.hypotheses, study.hyps
    assert hyps.bootstrap is not None and hyps.firm_tests is not None  # every part is stored
    assert hyps.sensitivity_contour is not None
    for field in dataclasses.fields(hyps):
        a, b = getattr(back, field.name), getattr(hyps, field.name)
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            assert a.columns.dtype == b.columns.dtype
        elif field.name == "jn_analyses":
            assert list(a) == list(b)
            for key, jn in b.items():
                for f in dataclasses.fields(jn):
                    x, y = getattr(a[key], f.name), getattr(jn, f.name)
                    if isinstance(y, pd.DataFrame):
                        pd.testing.assert_frame_equal(x, y, check_exact=True)
                    elif isinstance(y, np.ndarray):
                        assert np.array_equal(x, y)
                    else:
                        assert x == y and type(x) is type(y), f.name
        elif field.name == "bootstrap":
            pd.testing.assert_frame_equal(a.draws, b.draws, check_exact=True)
            pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
            assert (a.scheme, a.seed, a.n_failed) == (b.scheme, b.seed, b.n_failed)
        else:
            assert a == b, field.name


def test_figures_and_the_allocation_are_the_same_from_the_artifact(study):
    main = "dirichlet_rounded"
    h = next(h for h in HYPOTHESES if h.id == "H7")
    opts = study.hyps.options
    for draw in (
        lambda fits, rep: plot_moderation(fits[main], study.frame, h, options=opts),
        lambda fits, rep: plot_johnson_neyman(
            rep.jn_analyses[("H7", "normal")], hypothesis_id="H7"
        ),
    ):
        a = figure_bytes(draw(study.fits, study.hyps), "png")
        b = figure_bytes(draw(study.loaded.fits, study.loaded.hypotheses), "png")
        assert a == b
    for name in (main, "dirichlet_rounded_cf"):
        run = dict(policy="optimal", scenarios=["baseline"], draws=6, seed=3)
        a = allocate(study.frame, study.fits[name], **run)
        b = allocate(study.frame, study.loaded.fits[name], **run)
        pd.testing.assert_frame_equal(a.policies, b.policies, check_exact=True)


def test_the_files_are_the_same_for_the_same_fits(study):
    again = FitArtifact.from_fit(study.fits, study.hyps, study.path, study.frame)
    assert again.documents() == study.artifact.documents()
    text, data = study.artifact.documents()
    assert (study.saved.read_text(), (study.saved.parent / "fits.npz").read_bytes()) == (
        text,
        data,
    )
    doc = json.loads(text)
    assert [m["name"] for m in doc["models"]] == list(study.fits)
    assert doc["arrays"] == {"file": "fits.npz", "sha256": hashlib.sha256(data).hexdigest()}


def test_a_precision_formula_and_a_robust_covariance_are_rebuilt(study):
    res = fit_share_model(
        study.frame, "dirichlet", cov_type="robust", precision="firm + experience"
    )
    back = rebuild_results(store_results(res), study.frame)
    assert back.fit_options.keys() == res.fit_options.keys()
    assert back.fit_options["precision"] == "firm + experience" and back.cov_type == "robust"
    pd.testing.assert_frame_equal(back.cov_params(), res.cov_params(), check_exact=True)
    pd.testing.assert_frame_equal(back.predict(kind="alpha"), res.predict(kind="alpha"))


def test_a_model_the_artifact_cannot_hold_is_a_programming_error(study):
    sur = fit_share_model(study.frame, "sur")
    with pytest.raises(ValueError, match="a fit artifact cannot hold the sur model"):
        store_results(sur)


# ---------------------------------------------------------------------------------------------
# the schema: one field changed at a time
# ---------------------------------------------------------------------------------------------
def _doc(study) -> dict:
    return json.loads(study.saved.read_text())


def _write(study, tmp_path, doc, arrays=None) -> str:
    """A copy of the artifact with ``doc`` (and ``arrays``), the arrays' hash kept consistent."""
    data = (study.saved.parent / "fits.npz").read_bytes() if arrays is None else arrays
    doc["arrays"]["sha256"] = hashlib.sha256(data).hexdigest()
    (tmp_path / "fits.npz").write_bytes(data)
    path = tmp_path / "fits.json"
    path.write_text(json.dumps(doc))
    return path


def _model(doc, name):
    return next(m for m in doc["models"] if m["name"] == name)


SCHEMA_CASES = {
    "format": (lambda d: d.update(format="something else"), "is not a fit artifact"),
    "version": (lambda d: d.update(schema_version=2), "has schema version 2"),
    "unknown field": (lambda d: d.update(extra=1), "unknown field(s) ['extra']"),
    "missing field": (lambda d: d.pop("frame_sha256"), "missing field(s) ['frame_sha256']"),
    "hash type": (lambda d: d.update(frame_sha256=7), "fits.frame_sha256: expected a SHA-256"),
    "arrays path": (
        lambda d: d["arrays"].update(file="../fits.npz"),
        "expected the plain name of a .npz file",
    ),
    "no models": (lambda d: d.update(models=[]), "a non-empty list of models"),
    "unknown model": (
        lambda d: d["models"][0].update(name="probit"),
        "fits.models[0].name: expected one of",
    ),
    "kind": (
        lambda d: d["models"][0].update(kind="builtins.eval"),
        "fits.models[0].kind: expected 'RoundedDirichletResults'",
    ),
    "twice": (lambda d: d["models"].append(d["models"][0]), "is listed twice"),
    "count type": (
        lambda d: d["models"][0]["meta"].update(iterations="7; rm -rf ~"),
        "meta.iterations: expected a whole number",
    ),
    "flag type": (
        lambda d: d["models"][2]["meta"].update(converged=1),
        "meta.converged: expected true or false",
    ),
    "pair": (
        lambda d: d["models"][1]["meta"]["param_names"].__setitem__(0, ["marketing"]),
        "param_names[0]: expected an [equation, term] pair",
    ),
    "choice": (
        lambda d: d["models"][1]["meta"].update(cov_type="sandwich"),
        "meta.cov_type: expected one of ['oim', 'robust']",
    ),
    "step": (
        lambda d: d["models"][0]["meta"].update(step=[5]),
        "meta.step: expected a finite number",
    ),
    "table dtype": (
        lambda d: d["hypotheses"]["tables"]["hypotheses"]["columns"][0].update(dtype="category"),
        "columns[0].dtype: expected one of",
    ),
    "text values": (
        lambda d: d["hypotheses"]["tables"]["published"]["columns"][0].update(values=[1] * 12),
        "texts and nulls only",
    ),
    "curve twice": (
        lambda d: d["hypotheses"]["johnson_neyman_curves"].__setitem__(
            1, d["hypotheses"]["johnson_neyman_curves"][0]
        ),
        "is listed twice",
    ),
    "alpha": (
        lambda d: d["hypotheses"]["options"].update(alpha=2),
        "alpha must lie strictly between 0 and 1",
    ),
    "settings": (
        lambda d: d["hypotheses"]["settings"].update(seed={"__class__": "os.system"}),
        "hypotheses.settings: expected an object of texts",
    ),
    "name twice": (
        lambda d: d["models"][3]["meta"].update(equation_r_squared=["marketing"] * 2),
        "equation_r_squared: a name is listed twice",
    ),
    "parameter twice": (
        lambda d: d["models"][1]["meta"]["param_names"].__setitem__(
            1, d["models"][1]["meta"]["param_names"][0]
        ),
        "param_names: a parameter is listed twice",
    ),
    "controls": (
        lambda d: d["models"][5]["meta"]["controls"].append("cf_tracking"),
        "one control and as many terms per first stage",
    ),
    "step of the exact model": (
        lambda d: d["models"][5]["meta"]["options"].update(step=5),
        "a step with the rounding-aware model only",
    ),
    "rows": (
        lambda d: d["hypotheses"]["tables"]["published"].update(rows=-1),
        "published.rows: expected a whole number",
    ),
    "index name": (
        lambda d: d["hypotheses"]["tables"]["published"].update(index_name=5),
        "index_name: expected a text or null",
    ),
    "columns dtype": (
        lambda d: d["hypotheses"]["tables"]["published"].update(columns_dtype="int"),
        "columns_dtype: expected 'str' or 'object'",
    ),
    "columns": (
        lambda d: d["hypotheses"]["tables"]["published"].update(columns="id"),
        "published.columns: expected a list",
    ),
    "column": (
        lambda d: d["hypotheses"]["tables"]["published"]["columns"].__setitem__(0, "id"),
        "columns[0]: expected an object with a text name",
    ),
    "column twice": (
        lambda d: d["hypotheses"]["tables"]["published"]["columns"].append(
            d["hypotheses"]["tables"]["published"]["columns"][0]
        ),
        "the column 'id' is listed twice",
    ),
    "values": (
        lambda d: d["hypotheses"]["tables"]["published"]["columns"][0].update(values=["H1"]),
        "values: expected a list of 12 texts or nulls",
    ),
    "required table": (
        lambda d: d["hypotheses"]["tables"].update(hypotheses=None),
        "tables.hypotheses: expected an object",
    ),
    "curves": (
        lambda d: d["hypotheses"].update(johnson_neyman_curves={}),
        "johnson_neyman_curves: expected a list",
    ),
}


@pytest.mark.parametrize("case", list(SCHEMA_CASES))
def test_a_field_outside_the_schema_is_refused(study, tmp_path, case):
    change, message = SCHEMA_CASES[case]
    doc = _doc(study)
    change(doc)
    with pytest.raises(ArtifactError, match="rerun") as info:
        FitArtifact.load(_write(study, tmp_path, doc), study.path, study.frame)
    assert message in str(info.value)


def test_a_formula_in_an_artifact_is_checked_not_run(study, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = _doc(study)
    _model(doc, "dirichlet")["meta"]["precision"] = "firm + I(open('pwned','w').write('x'))"
    with pytest.raises(ArtifactError, match="the stored dirichlet model cannot be rebuilt"):
        FitArtifact.load(_write(study, tmp_path, doc), study.path, study.frame)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "name, change, message",
    [
        ("fmlogit", lambda m: m["param_names"][1].__setitem__(1, "pwned"), "other parameters"),
        ("ols", lambda m: m["param_names"][0].__setitem__(0, "self"), "other parameters"),
        ("ols", lambda m: m.update(nobs=5), "the stored ols model was fitted on 5 reps"),
        ("dirichlet_cf", lambda m: m["first_stages"][0]["terms"].reverse(), "other terms"),
    ],
)
def test_a_model_that_does_not_fit_the_survey_is_refused(study, tmp_path, name, change, message):
    doc = _doc(study)
    change(_model(doc, name)["meta"])
    with pytest.raises(ArtifactError, match=f"{message}.*; rerun `leadblackhole fit`"):
        FitArtifact.load(_write(study, tmp_path, doc), study.path, study.frame)


def _arrays(study) -> dict:
    """The arrays of the genuine artifact (numpy's reader: they hold no object array)."""
    with np.load(study.saved.parent / "fits.npz", allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.update({"m1.params": a["m1.params"][:-1]}), "m1.params is float64 of shape"),
        (lambda a: a.update({"m1.params": a["m1.params"].astype(np.float32)}), "is float32"),
        (lambda a: a.update(extra=np.zeros(1)), "unexpected ['extra']"),
        (lambda a: a.pop("m2.scalars"), "missing ['m2.scalars']"),
        (lambda a: a.update({"m2.scalars": np.array([None], dtype=object)}), "is object"),
    ],
)
def test_arrays_that_are_not_those_described_are_refused(study, tmp_path, change, message):
    arrays = _arrays(study)
    change(arrays)
    if any(a.dtype == object for a in arrays.values()):
        import io

        buf = io.BytesIO()
        np.savez(buf, **arrays)  # numpy writes an object array as a pickle
        data = buf.getvalue()
    else:
        data = npz_bytes(arrays)
    with pytest.raises(ArtifactError) as info:
        FitArtifact.load(_write(study, tmp_path, _doc(study), data), study.path, study.frame)
    assert message in str(info.value)


def test_arrays_changed_missing_or_not_an_archive_are_refused(study, tmp_path):
    path = _write(study, tmp_path, _doc(study))
    npz = tmp_path / "fits.npz"
    good = npz.read_bytes()
    npz.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ArtifactError, match="is not the arrays file of"):
        FitArtifact.load(path, study.path, study.frame)
    npz.unlink()
    with pytest.raises(ArtifactError, match="the arrays of .* not found"):
        FitArtifact.load(path, study.path, study.frame)
    path = _write(study, tmp_path, _doc(study), b"garbage, not a zip")
    with pytest.raises(ArtifactError, match="is not a NumPy .npz archive"):
        FitArtifact.load(path, study.path, study.frame)
    # a zip whose member is no .npy: numpy's reader refuses it, reported as an artifact error
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for key in _arrays(study):
            zf.writestr(f"{key}.npy", b"not an array")
    path = _write(study, tmp_path, _doc(study), buf.getvalue())
    with pytest.raises(ArtifactError, match="cannot be read as a NumPy .npz archive"):
        FitArtifact.load(path, study.path, study.frame)
    # a .npy format this reader does not take (version 3.0 headers)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for key, arr in _arrays(study).items():
            with zf.open(f"{key}.npy", "w") as fh:
                np.lib.format.write_array(fh, arr, version=(3, 0))
    path = _write(study, tmp_path, _doc(study), buf.getvalue())
    with pytest.raises(ArtifactError, match=r"has .npy version \(3, 0\)"):
        FitArtifact.load(path, study.path, study.frame)


@pytest.mark.parametrize(
    "text, message",
    [
        (b'{"format": NaN}', "not JSON: NaN is not a JSON number"),
        (b'{"a": 1, "a": 2}', "not JSON: a field is given twice"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON: nested too deeply"),
        (b"\xff\xfe", "not JSON"),
        (b'["a list"]', "is not a fit artifact; rerun"),
    ],
)
def test_text_that_is_not_an_artifact_is_refused(study, tmp_path, text, message):
    path = tmp_path / "fits.json"
    path.write_bytes(text)
    with pytest.raises(ArtifactError, match="rerun") as info:
        FitArtifact.load(path, study.path, study.frame)
    assert message in str(info.value)


def test_another_analysis_frame_is_refused(study, tmp_path):
    doc = _doc(study)
    doc["frame_sha256"] = "0" * 64  # what another codebook's frame gives
    with pytest.raises(ArtifactError, match="on another analysis frame than .*another codebook"):
        FitArtifact.load(_write(study, tmp_path, doc), study.path, study.frame)


def test_a_too_large_file_is_refused_unread(study, tmp_path, monkeypatch):
    import leadblackhole.reporting.artifacts as artifacts

    monkeypatch.setattr(artifacts, "MAX_JSON_BYTES", 100)
    with pytest.raises(ArtifactError, match="is too large to be a fit artifact"):
        FitArtifact.load(study.saved, study.path, study.frame)


def test_figures_need_the_hypothesis_report(study, tmp_path, capsys):
    art = FitArtifact.from_fit(
        {"dirichlet": study.fits["dirichlet"]}, None, study.path, study.frame
    )
    saved = art.save(tmp_path / "models")
    out = tmp_path / "fig"
    assert cli.main(["figures", str(study.path), "--fits", str(saved), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "holds no hypothesis report; rerun `leadblackhole fit`" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
