"""The one atomic writer (gradsym/files.py): temporary file in the same folder, fsync,
rename, fsync of the folder; the old file intact and no temporary file left on failure;
the permissions of any new file. And every writer of gradsym goes through it."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from gradsym import files
from gradsym.errors import OutputError


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
    with pytest.raises(
        OutputError, match=r"output folder .*file/sub.* cannot be created: .*file' is a file"
    ):
        files.writable_dir(blocker / "sub")
    with pytest.raises(OutputError, match=r"output folder .*file' is a file, not a folder"):
        files.writable_dir(blocker)


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


# -- refused writes are one-line errors ---------------------------------------------------


def _fail_with(code):
    def write(f):
        raise OSError(code, os.strerror(code))

    return write


def test_a_full_disk_is_an_output_error_naming_the_file(tmp_path):
    import errno

    target = tmp_path / "x.json"
    with pytest.raises(OutputError, match=r"cannot write '.*x.json': no space left") as info:
        files.atomic_write(target, _fail_with(errno.ENOSPC))
    assert info.value.errno == errno.ENOSPC and isinstance(info.value, OSError)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_an_output_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="is not writable: Permission denied"):
            files.writable_dir(folder)
        with pytest.raises(OutputError, match="cannot write .*: Permission denied"):
            files.atomic_write_text(folder / "a.txt", "x")
    finally:
        folder.chmod(0o700)


def test_a_read_only_folder_is_an_output_error_even_for_root(tmp_path, monkeypatch):
    """As root (CI containers) chmod does not stop a write: the refusal is simulated where
    the operating system would give it."""
    import errno

    real_open = os.open

    def refuse(path, flags, mode=0o777):
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(files.os, "open", refuse)
    with pytest.raises(OutputError, match="cannot write .*a.txt': Permission denied"):
        files.atomic_write_text(tmp_path / "a.txt", "x")


# -- stale temporary files ----------------------------------------------------------------


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX")
def test_only_the_writer_s_own_stale_temporary_files_are_removed(tmp_path):
    hexid = "0123456789abcdef" * 2
    dead, alive = _dead_pid(), os.getpid()
    stale = tmp_path / f".figure.png.{dead}.{hexid}.tmp"
    live = tmp_path / f".figure.png.{alive}.{hexid}.tmp"
    foreign = [
        tmp_path / f"figure.png.{dead}.{hexid}.tmp",  # not hidden: not the writer's pattern
        tmp_path / f".figure.png.{dead}.short.tmp",
        tmp_path / f".figure.png.{dead}.{hexid}.temp",
        tmp_path / "notes.tex",
    ]
    for p in [stale, live, *foreign]:
        p.write_text("x")
    assert files.remove_stale_temporaries(tmp_path) == [stale]
    assert sorted(tmp_path.iterdir()) == sorted([live, *foreign])


@pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX")
def test_taking_the_lock_removes_the_stale_temporary_files(tmp_path):
    stale = tmp_path / f".checkpoint.npz.{_dead_pid()}.{'f' * 32}.tmp"
    stale.write_bytes(b"partial")
    with files.folder_lock(tmp_path):
        assert not stale.exists()


# -- one writer per folder ------------------------------------------------------------------


def test_the_lock_is_reentrant_and_leaves_no_file(tmp_path):
    with files.folder_lock(tmp_path / "out") as out:
        assert (out / files.LOCK_FILE).exists()
        with files.folder_lock(tmp_path / "out"):
            pass
        assert (out / files.LOCK_FILE).exists()  # still held by the outer block
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failed_first_run_leaves_no_empty_folder(tmp_path):
    with pytest.raises(RuntimeError), files.folder_lock(tmp_path / "new"):
        raise RuntimeError("stop")
    assert not (tmp_path / "new").exists()
    (tmp_path / "old").mkdir()
    with pytest.raises(RuntimeError), files.folder_lock(tmp_path / "old"):
        raise RuntimeError("stop")
    assert (tmp_path / "old").is_dir()  # a folder that was there stays


@pytest.mark.skipif(os.name != "posix", reason="flock is POSIX")
def test_a_second_process_is_refused_naming_the_first(tmp_path):
    import subprocess
    import sys
    import textwrap

    holder = textwrap.dedent(
        f"""
        import sys, time
        from gradsym.files import folder_lock
        with folder_lock({str(tmp_path)!r}):
            print("locked", flush=True)
            sys.stdin.read()
        """
    )
    p = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert p.stdout.readline().strip() == "locked"
        refused = rf"another gradsym process \(pid {p.pid}\) is writing"
        with pytest.raises(OutputError, match=refused), files.folder_lock(tmp_path):
            pass
    finally:
        p.communicate("")
    with files.folder_lock(tmp_path):  # released with its holder
        pass
