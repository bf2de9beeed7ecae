"""A crafted fit artifact cannot run code, and ``allocate`` reads no artifact it was not given."""

from __future__ import annotations

import os
import pickle

import pytest

from leadblackhole import cli
from leadblackhole.exceptions import LeadBlackHoleUserError
from leadblackhole.reporting.artifacts import ArtifactUnpickler, FitArtifact


class _System:
    """Unpickles as ``os.system("touch pwned")``."""

    def __reduce__(self):
        return (os.system, ("touch pwned",))


class _Eval:
    def __reduce__(self):
        return (eval, ("open('pwned', 'w').write('x')",))


class _NestedPickle:
    """An allowed-looking package function that would load another pickle."""

    def __reduce__(self):
        import pandas as pd

        return (pd.read_pickle, ("pwned.pickle",))


class _PackageFunction:
    """A function of the package itself (writes a file) is not a class: refused."""

    def __reduce__(self):
        from leadblackhole.outputs import atomic_write_text

        return (atomic_write_text, ("pwned", "x"))


CRAFTED = [_System, _Eval, _NestedPickle, _PackageFunction]


@pytest.fixture()
def in_tmp(tmp_path):
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


@pytest.mark.parametrize("crafted", CRAFTED)
def test_a_crafted_artifact_is_refused_before_it_runs(in_tmp, survey_csv, crafted):
    path = in_tmp / "fits.pickle"
    path.write_bytes(pickle.dumps(crafted(), protocol=4))
    with pytest.raises(LeadBlackHoleUserError, match="is not part of a fit artifact"):
        FitArtifact.load(path, survey_csv)
    assert not (in_tmp / "pwned").exists()


@pytest.mark.parametrize("command", ["figures", "allocate"])
@pytest.mark.parametrize("crafted", CRAFTED)
def test_commands_given_a_crafted_artifact_exit_2_and_create_nothing(
    in_tmp, survey_csv, capsys, command, crafted
):
    path = in_tmp / "fits.pickle"
    path.write_bytes(pickle.dumps(crafted(), protocol=4))
    args = [command, str(survey_csv), "--fits", str(path), "--out", "out"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "is not part of a fit artifact" in err and "Traceback" not in err
    assert not (in_tmp / "pwned").exists()


def test_the_unpickler_reads_plain_data_and_package_classes():
    import io

    import numpy as np
    import pandas as pd

    data = {"a": np.arange(3.0), "s": pd.Series([1.0, 2.0], index=["x", "y"]), "t": (1, "b")}
    back = ArtifactUnpickler(io.BytesIO(pickle.dumps(data, protocol=4))).load()
    np.testing.assert_array_equal(back["a"], data["a"])
    pd.testing.assert_series_equal(back["s"], data["s"])
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval is not part"):
        ArtifactUnpickler(io.BytesIO(pickle.dumps(_Eval(), protocol=4))).load()
    with pytest.raises(pickle.UnpicklingError, match="is not part of a fit artifact"):
        ArtifactUnpickler(io.BytesIO(pickle.dumps(_PackageFunction(), protocol=4))).load()


def test_allocate_reads_no_artifact_it_was_not_given(in_tmp, survey_csv, capsys):
    implicit = in_tmp / "results" / "models" / "fits.pickle"
    implicit.parent.mkdir(parents=True)
    implicit.write_bytes(pickle.dumps(_System(), protocol=4))
    args = ["allocate", str(survey_csv), "--draws", "5", "--policy", "equal"]
    assert cli.main([*args, "--scenario", "baseline", "--out", "alloc"]) == 0
    assert "fitted now (no --fits given)" in capsys.readouterr().out
    assert not (in_tmp / "pwned").exists()
