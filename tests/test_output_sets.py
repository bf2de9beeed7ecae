"""Output sets touch only their own files: the record is checked, the user's files and
folders survive, every exit leaves the old set or the new one, and simulate's files are
one set."""

from __future__ import annotations

import errno
import json
import os
import signal
from pathlib import Path

import pytest

from leadblackhole import cli, outputs
from leadblackhole.exceptions import OutputError
from leadblackhole.outputs import FileGroup, OutputSet, check_file_name

from .test_output_safety import WAIT, _leftovers, _spawn, _wait_for


def _commit(out: Path, files: dict[str, str], name: str = "fit") -> None:
    s = OutputSet(out, name=name)
    for n, text in files.items():
        s.add_text(n, text)
    s.commit()


def _visible(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir() if p.is_file() and p.name[0] != "."}


# ----------------------------------------------------------------------------
# the record holds plain names
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["estimates.csv", "a b.md", ".hidden", "x..y"])
def test_plain_names_pass(name):
    assert check_file_name(name) == name


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/b", "a\\b", "..", ".", "", "a\0b", 3])
def test_names_that_are_not_plain_are_refused(name):
    with pytest.raises(OutputError, match="is not a plain file name"):
        check_file_name(name)
    s = OutputSet("unused")
    with pytest.raises(OutputError, match="is not a plain file name"):
        s.add_text(name, "x")
    with pytest.raises(OutputError, match="is not a plain file name"):
        s.add_bytes(name, b"x")
    with pytest.raises(OutputError, match="is not a plain file name"):
        s.add_writer(name, lambda fh: fh.write(b"x"))


@pytest.mark.parametrize("entry", ["../precious.txt", "ABSOLUTE", "sub/../../precious.txt"])
@pytest.mark.parametrize("layout", ["folder", "files"])
def test_a_record_naming_files_elsewhere_deletes_nothing(tmp_path, entry, layout):
    out = tmp_path / "M"
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    _commit(out, {"estimates.csv": "old\n", "data_source.json": "old\n"})
    if layout == "files":
        (out / "sub").mkdir()
    entry = str(precious) if entry == "ABSOLUTE" else entry
    with open(out / ".fit.files", "a") as fh:
        fh.write(entry + "\n")
    with pytest.raises(OutputError, match="is not a plain file name in"):
        _commit(out, {"estimates.csv": "new\n"})
    assert precious.read_text() == "keep me"
    assert _visible(out) == {"estimates.csv": "old\n", "data_source.json": "old\n"}
    assert _leftovers(tmp_path) == []


def test_fit_with_a_tampered_record_exits_2(tmp_path, survey_csv, capsys):
    out = tmp_path / "M"
    out.mkdir()
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    (out / ".validate.files").write_text("../precious.txt\n")
    assert cli.main(["validate", str(survey_csv), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'../precious.txt', which is not a plain file name" in err
    assert precious.read_text() == "keep me" and not (out / "validation.md").exists()


def test_a_record_that_is_a_folder_or_not_utf8_is_refused(tmp_path):
    out = tmp_path / "M"
    out.mkdir()
    (out / ".fit.files").mkdir()
    with pytest.raises(OutputError, match="must be a file"):
        _commit(out, {"estimates.csv": "new\n"})
    (out / ".fit.files").rmdir()
    (out / ".fit.files").write_bytes(b"\xff\xfe../x\n")
    with pytest.raises(OutputError, match="is not UTF-8 text"):
        _commit(out, {"estimates.csv": "new\n"})
    assert not (out / "estimates.csv").exists()


# ----------------------------------------------------------------------------
# what the set did not write survives
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["folder", "symlink"])
def test_a_user_entry_named_like_an_output_is_refused(tmp_path, survey_csv, capsys, kind):
    out = tmp_path / "X"
    out.mkdir()
    (out / "exclusions.csv").write_text("old\n")
    if kind == "folder":
        (out / "validation.md").mkdir()
        (out / "validation.md" / "important.txt").write_text("mine")
    else:
        (tmp_path / "elsewhere.md").write_text("mine")
        (out / "validation.md").symlink_to(tmp_path / "elsewhere.md")
    assert cli.main(["validate", str(survey_csv), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the validate set did not write" in err and "nothing was written" in err
    if kind == "folder":
        assert (out / "validation.md" / "important.txt").read_text() == "mine"
    else:
        assert (tmp_path / "elsewhere.md").read_text() == "mine"
    assert (out / "exclusions.csv").read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_a_recorded_name_that_became_a_folder_is_kept(tmp_path):
    out = tmp_path / "M"
    _commit(out, {"estimates.csv": "v1", "extra.csv": "v1"})
    (out / "extra.csv").unlink()
    (out / "extra.csv").mkdir()
    (out / "extra.csv" / "notes.txt").write_text("mine")
    _commit(out, {"estimates.csv": "v2"})
    assert (out / "extra.csv" / "notes.txt").read_text() == "mine"
    assert (out / "estimates.csv").read_text() == "v2"


@pytest.mark.parametrize("layout", ["folder", "files"])
def test_files_that_appear_during_a_run_survive(tmp_path, monkeypatch, layout):
    out = tmp_path / "M"
    _commit(out, {"estimates.csv": "v1"})
    (out / "notes.txt").write_text("v1")
    if layout == "files":
        (out / "sub").mkdir()

    def arrive(point):
        if point == "stage":  # another program writes while the set is staged
            (out / "other_command.csv").write_text("theirs")
            (out / "new_folder").mkdir()
            (out / "new_folder" / "f.txt").write_text("theirs")
            tmp = out / "notes.tmp"
            tmp.write_text("v2")
            os.replace(tmp, out / "notes.txt")  # an editor saving the user's file

    monkeypatch.setattr(outputs, "_pause", arrive)
    _commit(out, {"estimates.csv": "v2"})
    assert (out / "other_command.csv").read_text() == "theirs"
    assert (out / "new_folder" / "f.txt").read_text() == "theirs"
    assert (out / "notes.txt").read_text() == "v2"
    assert (out / "estimates.csv").read_text() == "v2"
    assert _leftovers(tmp_path) == []


def test_a_failing_move_puts_the_old_set_back(tmp_path, monkeypatch):
    out = tmp_path / "M"
    _commit(out, {"estimates.csv": "old", "data_source.json": "old", "stale.csv": "old"})
    (out / "sub").mkdir()  # a folder with a subfolder is updated file by file
    real = os.replace
    calls = []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
        return real(src, dst)

    monkeypatch.setattr(outputs.os, "replace", failing)
    with pytest.raises(OutputError, match="permission denied"):
        _commit(out, {"estimates.csv": "new", "data_source.json": "new"})
    monkeypatch.setattr(outputs.os, "replace", real)
    assert _visible(out) == {"estimates.csv": "old", "data_source.json": "old", "stale.csv": "old"}
    assert _leftovers(tmp_path) == []


# ----------------------------------------------------------------------------
# signals: the message says which set is in place
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(("point", "said"), [("stage", "left as they were"), ("swap", "whole")])
def test_the_signal_message_says_which_set_is_in_place(tmp_path, survey_csv, point, said):
    out = tmp_path / "out"
    out.mkdir()
    (out / "validation.md").write_text("old\n")
    marker = tmp_path / "paused"
    proc = _spawn(
        ["validate", str(survey_csv), "--out", str(out)], {outputs.PAUSE_ENV: f"{point}:{marker}"}
    )
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == cli.EXIT_SIGTERM, err
    assert said in err, err
    new = (out / "validation.md").read_text() != "old\n"
    assert new == (point == "swap")


# ----------------------------------------------------------------------------
# simulate: survey, marker and truth are one set
# ----------------------------------------------------------------------------
def test_a_full_disk_leaves_no_survey_without_its_marker(tmp_path, monkeypatch, capsys):
    survey = tmp_path / "s.csv"
    real = outputs._write_file
    written = []

    def full_on_second(path, data):
        written.append(path)
        if len(written) == 2:  # the marker
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data)

    monkeypatch.setattr(outputs, "_write_file", full_on_second)
    assert cli.main(["simulate", "--out", str(survey)]) == 2
    assert "no space left" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_failing_replacement_puts_the_earlier_files_back(tmp_path, monkeypatch):
    a, b = tmp_path / "a.csv", tmp_path / "b.json"
    a.write_text("old a")
    real = os.replace
    calls = []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))
        return real(src, dst)

    group = FileGroup()
    group.add_bytes(a, b"new a")
    group.add_bytes(b, b"new b")
    monkeypatch.setattr(outputs.os, "replace", failing)
    with pytest.raises(OutputError, match="read-only file system"):
        group.commit()
    monkeypatch.setattr(outputs.os, "replace", real)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    assert a.read_text() == "old a" and not group.committed


def test_a_file_group_refuses_a_file_given_twice(tmp_path):
    group = FileGroup()
    group.add_bytes(tmp_path / "a.csv", b"1")
    with pytest.raises(OutputError, match="is given twice"):
        group.add_bytes(tmp_path / "a.csv", b"2")
    assert group.commit() == [tmp_path / "a.csv"] and group.committed
    assert "a.csv" in group.outdir
    group.close()


@pytest.mark.parametrize("which", ["survey", "marker"])
def test_truth_may_not_name_the_survey_or_its_marker(tmp_path, capsys, which):
    survey = tmp_path / "x.csv"
    truth = survey if which == "survey" else tmp_path / "x.csv.simulated.json"
    args = ["simulate", "--out", str(survey), "--truth", str(truth)]
    assert cli.main(args) == 2
    assert "names the survey or its simulation marker" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_simulate_writes_survey_marker_and_truth(tmp_path):
    survey, truth = tmp_path / "x.csv", tmp_path / "truth.csv"
    assert cli.main(["simulate", "--out", str(survey), "--truth", str(truth)]) == 0
    marker = json.loads((tmp_path / "x.csv.simulated.json").read_text())
    assert isinstance(marker, dict) and survey.stat().st_size > 0 and truth.stat().st_size > 0
