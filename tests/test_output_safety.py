"""Outputs never overwrite inputs, are written whole or not at all, are locked, and errors
of the environment (unwritable, read-only, full disk, file-vs-folder) exit 2 with advice."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from leadblackhole import cli, outputs
from leadblackhole.exceptions import OutputError, OutputLockedError
from leadblackhole.outputs import OutputSet, atomic_write_text

#: Seconds a test waits for a paused subprocess to reach its pause point.
WAIT = 120


def _default_signals() -> None:
    """In the child before exec: SIGINT and SIGTERM back to their default dispositions.

    A child inherits an ignored SIGINT, and Python then installs no KeyboardInterrupt
    handler; the test process (a pytest-xdist worker that has run other tests) may
    have one ignored, and the child must react to signals as from a terminal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _spawn(args, env_extra=None, cwd=None) -> subprocess.Popen:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.Popen(
        [sys.executable, "-m", "leadblackhole.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,
    )


def _wait_for(marker: Path, proc: subprocess.Popen) -> None:
    end = time.monotonic() + WAIT
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"process ended before the pause: {proc.stderr.read()}")
        if time.monotonic() > end:
            proc.kill()
            raise AssertionError("the process never reached the pause point")
        time.sleep(0.05)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name or ".old-" in p.name)


# ----------------------------------------------------------------------------
# 1. an output never overwrites an input
# ----------------------------------------------------------------------------
def test_output_that_is_the_survey_is_refused(tmp_path, survey_csv):
    cases = tmp_path / "clobber"
    cases.mkdir()
    survey = cases / "exclusions.csv"  # the name validate writes
    survey.write_bytes(survey_csv.read_bytes())
    before = survey.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "leadblackhole.cli", "validate", str(survey), "--out", str(cases)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "would overwrite the input file" in proc.stderr and "Traceback" not in proc.stderr
    assert survey.read_bytes() == before
    assert sorted(p.name for p in cases.iterdir() if not p.name.startswith(".")) == [
        "exclusions.csv"
    ]


def test_output_that_links_to_the_survey_or_codebook_is_refused(tmp_path, survey_csv, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "exclusions.csv").symlink_to(survey_csv)
    before = survey_csv.read_bytes()
    assert cli.main(["validate", str(survey_csv), "--out", str(out)]) == 2
    assert "would overwrite the input file" in capsys.readouterr().err
    assert survey_csv.read_bytes() == before
    # the codebook too (a valid TOML codebook saved under an output's name)
    cb = tmp_path / "out2" / "validation.md"
    cb.parent.mkdir()
    cb.write_text("[columns]\n")
    assert cli.main(["validate", str(survey_csv), "--codebook", str(cb), "--out", str(cb.parent)])
    assert cb.read_text() == "[columns]\n"
    with pytest.raises(OutputError, match="would overwrite the input file"):
        atomic_write_text(out / "exclusions.csv", "x", inputs=[survey_csv])


# ----------------------------------------------------------------------------
# 2. whole or nothing, no stale files, a lock, clean exits on signals
# ----------------------------------------------------------------------------
def test_a_stale_file_of_an_earlier_run_does_not_survive(tmp_path):
    out = tmp_path / "models"
    first = OutputSet(out, name="fit")
    for name in ("estimates.csv", "hypotheses.csv", "hypotheses_bootstrap.csv"):
        first.add_text(name, "old\n")
    first.commit()
    (out / "notes.txt").write_text("the user's own file")
    second = OutputSet(out, name="fit")
    second.add_text("estimates.csv", "new\n")
    second.add_text("hypotheses.csv", "new\n")
    second.commit()
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert visible == ["estimates.csv", "hypotheses.csv", "notes.txt"]
    assert (out / "estimates.csv").read_text() == "new\n"
    assert _leftovers(tmp_path) == []


def test_a_folder_holding_other_folders_keeps_them(tmp_path):
    out = tmp_path / "results"
    (out / "models").mkdir(parents=True)
    (out / "models" / "estimates.csv").write_text("kept")
    s = OutputSet(out, name="validate")
    s.add_text("validation.md", "v1")
    s.add_text("extra.csv", "v1")
    s.commit()
    s = OutputSet(out, name="validate")
    s.add_text("validation.md", "v2")
    s.commit()
    assert (out / "models" / "estimates.csv").read_text() == "kept"
    assert (out / "validation.md").read_text() == "v2" and not (out / "extra.csv").exists()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("layout", ["folder", "files"])
def test_sigterm_while_staging_leaves_the_old_set_and_no_temporary_file(
    tmp_path, survey_csv, layout
):
    out = tmp_path / "out"
    out.mkdir()
    if layout == "files":  # a folder with a subfolder is updated file by file
        (out / "sub").mkdir()
    old = {"validation.md": "old validation\n", "exclusions.csv": "old exclusions\n"}
    for name, text in old.items():
        (out / name).write_text(text)
    marker = tmp_path / "paused"
    proc = _spawn(
        ["validate", str(survey_csv), "--out", str(out)],
        {outputs.PAUSE_ENV: f"stage:{marker}"},
    )
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == cli.EXIT_SIGTERM, err
    assert "terminated" in err and "Traceback" not in err
    assert {n: (out / n).read_text() for n in old} == old
    assert _leftovers(tmp_path) == []


def test_sigterm_during_the_swap_completes_the_new_set(tmp_path, survey_csv):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("validation.md", "exclusions.csv"):
        (out / name).write_text("old\n")
    marker = tmp_path / "paused"
    proc = _spawn(
        ["validate", str(survey_csv), "--out", str(out)], {outputs.PAUSE_ENV: f"swap:{marker}"}
    )
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == cli.EXIT_SIGTERM, err
    texts = [(out / n).read_text() for n in ("validation.md", "exclusions.csv")]
    assert all(t != "old\n" for t in texts)  # the whole new set, not a mix
    assert _leftovers(tmp_path) == []


def test_a_second_writer_of_the_same_folder_exits_2(tmp_path, survey_csv):
    out = tmp_path / "out"
    marker = tmp_path / "paused"
    first = _spawn(
        ["validate", str(survey_csv), "--out", str(out)], {outputs.PAUSE_ENV: f"stage:{marker}"}
    )
    try:
        _wait_for(marker, first)
        second = subprocess.run(
            [sys.executable, "-m", "leadblackhole.cli", "validate", str(survey_csv)]
            + ["--out", str(out)],
            capture_output=True,
            text=True,
        )
        assert second.returncode == 2
        assert "another leadblackhole run is writing to" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=WAIT)
    assert first.returncode == cli.EXIT_SIGINT
    with OutputSet(out) as s:  # the lock is free again
        assert s.prepare()._locked


def test_lock_held_by_another_process_raises(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl,sys,time; f=open(sys.argv[1],'w'); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('ok', flush=True); time.sleep(60)",
            str(tmp_path / ".out.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(OutputLockedError, match="another leadblackhole run is writing"):
            OutputSet(out).prepare()
    finally:
        holder.kill()
        holder.wait()


# ----------------------------------------------------------------------------
# 7. errors of the environment exit 2 with what to do, before any computing
# ----------------------------------------------------------------------------
@pytest.fixture()
def no_computing(monkeypatch):
    """Fail the test if the command starts reading the survey."""

    def boom(args):
        raise AssertionError("the survey was read before the output location was checked")

    monkeypatch.setattr(cli, "_load_frame", boom)


def test_out_that_is_a_file_exits_2(tmp_path, survey_csv, capsys, no_computing):
    target = tmp_path / "a_file"
    target.write_text("x")
    for cmd in ("validate", "fit", "measure"):
        assert cli.main([cmd, str(survey_csv), "--out", str(target)]) == 2
        assert "is a file, not a folder" in capsys.readouterr().err
    assert cli.main(["simulate", "--out", str(tmp_path)]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.EACCES, "permission denied"),
        (errno.EROFS, "read-only file system"),
    ],
)
def test_unwritable_out_exits_2_before_computing(
    tmp_path, survey_csv, monkeypatch, capsys, no_computing, code, advice
):
    def refuse(*a, **k):
        raise OSError(code, os.strerror(code), str(tmp_path))

    monkeypatch.setattr(outputs.tempfile, "mkstemp", refuse)
    assert cli.main(["fit", str(survey_csv), "--out", str(tmp_path / "models")]) == 2
    err = capsys.readouterr().err
    assert advice in err and "choose another output location" in err and "bug" not in err


def test_full_disk_exits_2_and_leaves_nothing(tmp_path, survey_csv, monkeypatch, capsys):
    def full(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(outputs, "_write_file", full)
    out = tmp_path / "out"
    assert cli.main(["validate", str(survey_csv), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no space left" in err and "bug" not in err
    assert _leftovers(tmp_path) == [] and not (out / "validation.md").exists()
    assert cli.main(["simulate", "--out", str(tmp_path / "s.csv")]) == 2
    assert "no space left" in capsys.readouterr().err


def test_unreadable_inputs_exit_2(tmp_path, survey_csv, monkeypatch, capsys):
    folder = tmp_path / "survey.csv"
    folder.mkdir()
    assert cli.main(["validate", str(folder)]) == 2
    assert "folder, not a survey file" in capsys.readouterr().err
    assert cli.main(["validate", str(survey_csv), "--codebook", str(tmp_path)]) == 2
    assert "folder, not a file" in capsys.readouterr().err

    real = Path.read_bytes

    def locked(self):
        if self.name == survey_csv.name:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", locked)
    assert cli.main(["validate", str(survey_csv)]) == 2
    assert "cannot be read (Permission denied)" in capsys.readouterr().err


def test_warnings_become_log_lines_not_tracebacks(tmp_path, survey_csv, monkeypatch, capsys):
    real = cli._load_frame

    def noisy(args):
        warnings.warn("invalid value encountered in divide", RuntimeWarning, stacklevel=1)
        return real(args)

    monkeypatch.setattr(cli, "_load_frame", noisy)
    out = tmp_path / "out"
    assert cli.main(["validate", str(survey_csv), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: RuntimeWarning: invalid value encountered in divide" in err
    assert "Warning:" not in err.replace("warning: RuntimeWarning:", "")
    assert "RuntimeWarning: invalid value" in (out / "validate.log").read_text()


def test_a_streamed_file_is_written_whole_and_a_failing_writer_changes_nothing(tmp_path):
    out_dir = tmp_path / "out"
    first = OutputSet(out_dir, name="fit")
    first.add_text("a.txt", "old\n")
    first.add_writer("big.bin", lambda fh: [fh.write(bytes([k]) * 1000) for k in range(50)])
    first.commit()
    assert (out_dir / "big.bin").read_bytes() == b"".join(bytes([k]) * 1000 for k in range(50))

    def broken(fh):
        fh.write(b"partial")
        raise RuntimeError("the writer failed")

    second = OutputSet(out_dir, name="fit")
    second.add_text("a.txt", "new\n")
    second.add_writer("big.bin", broken)
    with pytest.raises(RuntimeError, match="the writer failed"):
        second.commit()
    assert (out_dir / "a.txt").read_text() == "old\n"  # the earlier set, untouched
    assert len((out_dir / "big.bin").read_bytes()) == 50_000
    left = sorted(p.name for p in tmp_path.iterdir())
    assert [n for n in left if ".tmp" in n] == []  # no temporary folder left
    with pytest.raises(TypeError, match="write must be callable"):
        second.add_writer("x.bin", b"bytes")
