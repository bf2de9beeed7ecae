"""A crafted fit artifact cannot create a file, and no command reads an artifact it was not given.

The artifact is JSON and NumPy arrays read with ``allow_pickle=False``
(reporting/artifacts.py). Each crafted file below would run ``touch pwned`` (or
write ``pwned``) if anything in it were unpickled or evaluated; the commands must
exit 2 with a message, create nothing (no ``pwned``, no output folder) and print
no traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle

import numpy as np
import pytest

from leadblackhole import cli
from leadblackhole.data import build_analysis_frame, load_survey
from leadblackhole.exceptions import ArtifactError
from leadblackhole.models import fit_share_model
from leadblackhole.reporting.artifacts import FitArtifact


class _System:
    """Unpickles as ``os.system("touch pwned")``."""

    def __reduce__(self):
        return (os.system, ("touch pwned",))


class _Eval:
    def __reduce__(self):
        return (eval, ("open('pwned', 'w').write('x')",))


@pytest.fixture()
def in_tmp(tmp_path):
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


@pytest.fixture()
def genuine(in_tmp, survey_csv):
    """A genuine artifact of the survey (one model), in ``models/``."""
    frame = build_analysis_frame(load_survey(survey_csv))
    art = FitArtifact.from_fit({"ols": fit_share_model(frame, "ols")}, None, survey_csv, frame)
    return art.save(in_tmp / "models")


def _object_npz(genuine) -> bytes:
    """The genuine arrays with one replaced by an object array that unpickles as a command."""
    with np.load(genuine.parent / "fits.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["m0.params"] = np.array([_System()] * len(arrays["m0.params"]), dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # numpy pickles an object array
    return buf.getvalue()


def _crafted(kind: str, folder, genuine):
    """A crafted artifact in ``folder``: the path to give to --fits."""
    if kind == "old pickle":  # what earlier versions wrote, named as they named it
        path = folder / "fits.pickle"
        path.write_bytes(pickle.dumps(_System(), protocol=4))
        return path
    path = folder / "fits.json"
    if kind == "pickle renamed":
        path.write_bytes(pickle.dumps(_Eval(), protocol=4))
        return path
    doc = json.loads(genuine.read_text())
    data = (genuine.parent / "fits.npz").read_bytes()
    if kind == "object array":
        data = _object_npz(genuine)
    elif kind == "pickle as arrays":
        data = pickle.dumps(_System(), protocol=4)
    elif kind == "odd types":
        doc["models"][0]["meta"]["nobs"] = {"__reduce__": ["os.system", "touch pwned"]}
    doc["arrays"]["sha256"] = hashlib.sha256(data).hexdigest()  # the hash check passes
    (folder / "fits.npz").write_bytes(data)
    path.write_text(json.dumps(doc))
    return path


CRAFTED = {
    "old pickle": "is a pickle, the fit artifact of earlier versions",
    "pickle renamed": "is a pickle, the fit artifact of earlier versions",
    "object array": "array m0.params is object",
    "pickle as arrays": "is not a NumPy .npz archive",
    "odd types": "meta.nobs: expected a whole number",
}


@pytest.mark.parametrize("command", ["figures", "allocate"])
@pytest.mark.parametrize("kind", list(CRAFTED))
def test_a_crafted_artifact_exits_2_and_creates_nothing(
    in_tmp, survey_csv, genuine, capsys, command, kind
):
    crafted = in_tmp / "crafted"
    crafted.mkdir()
    path = _crafted(kind, crafted, genuine)
    before = sorted(p.relative_to(in_tmp) for p in in_tmp.rglob("*"))
    args = [command, str(survey_csv), "--fits", str(path), "--out", "out"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert CRAFTED[kind] in err and "rerun `leadblackhole fit`" in err
    assert "Traceback" not in err
    assert not (in_tmp / "pwned").exists()
    assert not (in_tmp / "out").exists() or not any((in_tmp / "out").iterdir())
    # nothing else appeared (the output folder's lock is the command's own, held while it ran)
    after = sorted(p.relative_to(in_tmp) for p in in_tmp.rglob("*"))
    assert [p for p in after if p not in before and p.parts[0] not in ("out", ".out.lock")] == []


def test_an_old_fits_pickle_says_to_rerun_fit(in_tmp, survey_csv):
    frame = build_analysis_frame(load_survey(survey_csv))
    path = _crafted("old pickle", in_tmp, None)
    with pytest.raises(
        ArtifactError, match=r"no longer read .* rerun `leadblackhole fit` to write"
    ):
        FitArtifact.load(path, survey_csv, frame)
    assert not (in_tmp / "pwned").exists()


def test_allocate_reads_no_artifact_it_was_not_given(in_tmp, survey_csv, capsys):
    implicit = in_tmp / "results" / "models"
    implicit.mkdir(parents=True)
    for name in ("fits.pickle", "fits.json", "fits.npz"):
        (implicit / name).write_bytes(pickle.dumps(_System(), protocol=4))
    args = ["allocate", str(survey_csv), "--draws", "5", "--policy", "equal"]
    assert cli.main([*args, "--scenario", "baseline", "--out", "alloc"]) == 0
    assert "fitted now (no --fits given)" in capsys.readouterr().out
    assert not (in_tmp / "pwned").exists()


def test_the_survey_is_checked_before_the_artifact_is_read(in_tmp, survey_csv, genuine, capsys):
    """An artifact of another survey is refused before its fields or arrays are looked at."""
    doc = json.loads(genuine.read_text())
    doc["survey_sha256"] = "0" * 64
    doc["models"] = "anything"  # outside the schema: never reached
    genuine.write_text(json.dumps(doc))
    (genuine.parent / "fits.npz").write_bytes(pickle.dumps(_System(), protocol=4))
    args = ["figures", str(survey_csv), "--fits", str(genuine), "--out", "out"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "made from another survey file" in err and "Traceback" not in err
    assert not (in_tmp / "pwned").exists()
