"""The one atomic writer (gradsym/files.py): temporary file in the same folder, fsync,
rename, fsync of the folder; the old file intact and no temporary file left on failure;
the permissions of any new file. And every writer of gradsym goes through it."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from gradsym import files
from gradsym.errors import InvalidValueError


@pytest.fixture
def synced(monkeypatch):
    """The paths fsync'ed, in order (files and folders)."""
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else fd)
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    return calls


def test_a_write_is_flushed_renamed_and_the_folder_flushed(tmp_path, synced, monkeypatch):
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(
        files.os, "replace", lambda src, dst: (replaced.append((src, dst)), real_replace(src, dst))
    )
    path = files.atomic_write_text(tmp_path / "a.txt", "αβ\n")
    assert path == tmp_path / "a.txt" and path.read_bytes() == "αβ\n".encode()
    [(src, dst)] = replaced
    assert os.path.dirname(src) == str(tmp_path) and dst == path  # same folder: atomic rename
    if os.name == "posix":
        assert len(synced) == 2
        assert synced[0].startswith(str(tmp_path / ".a.txt."))  # the temporary file, first
        assert synced[1] == str(tmp_path)  # then the folder, after the rename
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_new_file_gets_the_permissions_of_any_new_file(tmp_path):
    mask = os.umask(0o022)
    try:
        path = files.atomic_write_text(tmp_path / "p.txt", "x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's private 0o600


@pytest.mark.parametrize("stop", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, stop):
    target = tmp_path / "x.json"
    target.write_text("old")

    def half_then_stop(f):
        f.write(b"new, partial")
        raise stop

    with pytest.raises(type(stop)):
        files.atomic_write(target, half_then_stop)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_writable_dir_creates_the_folder_or_says_why_not(tmp_path):
    made = files.writable_dir(tmp_path / "a" / "b")
    assert made.is_dir() and list(made.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InvalidValueError, match=r"output folder .*file/sub.* is not writable"):
        files.writable_dir(blocker / "sub")


def test_checkpoints_and_run_files_are_written_by_the_atomic_writer(tmp_path, monkeypatch):
    """Every file of a run folder is written by gradsym.files (metrics.jsonl is created
    and cut back by it, then appended to), and no temporary file is left behind."""
    from gradsym import TrainConfig, Trainer
    from gradsym.numeric.train import checkpoint, run_files

    written = []
    real = files.atomic_write

    def record(path, write):
        written.append(path.name)
        return real(path, write)

    monkeypatch.setattr(files, "atomic_write", record)
    # the modules hold their own reference to the writer's entry points
    monkeypatch.setattr(checkpoint, "atomic_write", record)
    monkeypatch.setattr(
        run_files, "atomic_write_text", lambda p, t: record(p, lambda f: f.write(t.encode()))
    )
    config = TrainConfig(task_kwargs={"length": 20}, hidden=3, batch=2, steps=2, eval_batch=2)
    Trainer(config, tmp_path / "run").run()
    assert set(written) == {"config.json", "metrics.jsonl", "checkpoint.npz", "summary.json"}
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.startswith(".")]
    assert np.load(tmp_path / "run" / "checkpoint.npz", allow_pickle=False)["meta"].ndim == 0
