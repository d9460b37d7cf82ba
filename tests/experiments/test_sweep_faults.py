"""A sweep meets faults as a user would (issue 21): a database damaged in nine ways, one
locked by another process, a full disk, wrong workers or scheduler, a spec too large to
expand, a run that cannot run. Each is one line and exit 2, and leaves nothing behind.
No Dask is started: every database here is written by hand, every run already finished."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time

import pytest
from full_disk import full_disk_available, on_full_disk
from sweep_specs import TINY, TOML

from gradsym import sweep
from gradsym.cli import main
from gradsym.errors import InvalidValueError, OutputError
from gradsym.experiments.runner import NOT_RUN, run_one
from gradsym.experiments.spec import MAX_RUNS, load_spec
from gradsym.experiments.store import DB_FILE, SweepStore
from gradsym.experiments.success_rates import report


def _result(eval_loss: float, status: str = "done", error: str | None = None) -> dict:
    return {
        "status": status,
        "step": 6,
        "train_loss": 0.1,
        "eval_loss": eval_loss,
        "eval_accuracy": None,
        "baseline": 1 / 6,
        "recoveries": 0,
        "params_sha256": "x",
        "error": error,
        "seconds": 0.1,
        "host": "h",
        "worker": "h:1",
        "finished_at": "now",
        "history": [{"step": 6, "loss": 0.1, "eval_loss": eval_loss}],
    }


@pytest.fixture
def finished(tmp_path):
    """A sweep folder whose every run is finished (the spec's TOML beside it)."""
    spec = load_spec(TINY)
    (tmp_path / "sweep").mkdir()
    store, _ = SweepStore.open_for(tmp_path / "sweep", spec)
    with store:
        for run in spec.runs:
            store.record(run.key, _result(0.01))
    toml = tmp_path / "tiny.toml"
    toml.write_text(TOML)
    return tmp_path / "sweep", toml


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


# The nine kinds of damage, each an SQL statement on a finished database, and whether a
# resume (which reads the runs but not the logged records) meets it too.
DAMAGE = {
    "table meta dropped": ("DROP TABLE meta", "table 'meta' is missing", True),
    "table runs dropped": ("DROP TABLE runs", "table 'runs' is missing", True),
    "table metrics dropped": ("DROP TABLE metrics", "table 'metrics' is missing", True),
    "column dropped": (
        "ALTER TABLE runs DROP COLUMN eval_loss",
        "lost its column 'eval_loss'",
        True,
    ),
    "config not JSON": ("UPDATE runs SET config = '{oops'", "the config of run 1", True),
    "x not JSON": ("UPDATE runs SET x = 'ten'", "the x value of run 1", True),
    "spec not JSON": ("UPDATE meta SET value = '[' WHERE key = 'spec'", "meta 'spec'", True),
    "record not JSON": (
        """UPDATE metrics SET record = '{"eval_loss": oops'""",
        "metrics table",
        False,
    ),
    "text in a number column": (
        "UPDATE runs SET eval_loss = 'low'",
        "'low' in the column 'eval_loss'",
        True,
    ),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_database_names_the_damage_and_the_way_out(finished, damage, capsys):
    folder, toml = finished
    statement, what, resume_sees_it = damage
    with sqlite3.connect(folder / DB_FILE) as conn:
        conn.execute(statement)
    assert main(["sweep", "report", str(folder)]) == 2
    err = _one_line(capsys)
    assert "is damaged" in err and what in err, err
    assert "restore sweep.db from a copy" in err and "--overwrite" in err
    code = main(["sweep", str(toml), "--out", str(folder), "--no-progress"])
    if resume_sees_it:
        assert code == 2
        assert what in _one_line(capsys)
    else:
        assert code == 0  # nothing pending: the damaged records are not read


def test_a_database_locked_by_another_process_says_so_at_once(finished, capsys):
    folder, _ = finished
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3, sys, time\n"
                f"c = sqlite3.connect({str(folder / DB_FILE)!r}, isolation_level=None)\n"
                "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        assert main(["sweep", "report", str(folder)]) == 2
        assert time.monotonic() - t0 < 15  # SQLite's wait is 2 s, not the 30 s it was
        err = _one_line(capsys)
        assert "is locked by another process" in err and "not a gradsym" not in err
        if sys.platform.startswith("linux"):
            assert f"pid {holder.pid}" in err  # who holds it, from /proc/locks
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert main(["sweep", "report", str(folder)]) == 0  # released: readable again


def test_workers_0_and_a_garbage_scheduler_leave_nothing_behind(tmp_path):
    with pytest.raises(InvalidValueError, match="workers must be a positive integer"):
        sweep(TINY, tmp_path / "new", workers=0)
    with pytest.raises(InvalidValueError, match="not a Dask address"):
        sweep(TINY, tmp_path / "new", scheduler="garbage:://x")
    assert not (tmp_path / "new").exists()


def test_a_garbage_scheduler_is_one_line_without_a_stall(tmp_path):
    """In a real process: a Client made from the address would print a traceback from its
    __del__ and stall at exit."""
    toml = tmp_path / "tiny.toml"
    toml.write_text(TOML)
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "gradsym", "sweep", str(toml), "--out", str(tmp_path / "o")]
        + ["--scheduler", "garbage:://x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not a Dask address" in done.stderr, done.stderr
    assert time.monotonic() - t0 < 15
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"seeds": 1_000_000_000}, "seeds = 1000000000"),
        (
            {"grid": {"length": list(range(20, 1020)), "hidden": list(range(1, 1001))}},
            "describes 1000000 runs",
        ),
    ],
)
def test_a_spec_too_large_is_refused_before_it_is_expanded(spec, message):
    t0 = time.monotonic()
    with pytest.raises(InvalidValueError, match=message) as info:
        load_spec({"success": "eval_loss < 1", "base": {"task": "adding"}, **spec})
    assert time.monotonic() - t0 < 5
    assert f"at most {MAX_RUNS}" in str(info.value)


def test_a_run_too_large_for_memory_is_refused_with_the_spec():
    spec = {"success": "eval_loss < 1", "base": {"task": "adding", "length": 10**12}}
    with pytest.raises(InvalidValueError, match="length = 1000000000000.*GiB of memory"):
        load_spec(spec)


def test_a_run_that_could_not_run_is_failed_with_its_reason_and_not_a_trial(tmp_path):
    """A worker that cannot build the run (here: too large for its memory) reports it as
    failed with its reason; the report does not count it as an unsuccessful trial."""
    spec = load_spec(TINY)
    config = dict(spec.runs[0].config, task_kwargs={"length": 10**12})
    result = run_one(config)
    assert result["status"] == "failed" and result["error"].startswith(NOT_RUN)
    assert "GiB of memory" in result["error"]
    store, _ = SweepStore.open_for(tmp_path, spec)
    with store:
        store.record(spec.runs[0].key, result)
        store.record(spec.runs[1].key, _result(0.01))
    rep = report(tmp_path)
    cell = next(c for c in rep.cells if c.label == "tanh RNN" and c.x == 3)
    assert (cell.n, cell.k, cell.failed, cell.not_run) == (1, 1, 0, 1)
    assert "1 could not run" in rep.markdown()


def _full_disk_sweep() -> dict:
    return on_full_disk(
        """
        import os
        from gradsym import sweep
        from gradsym.errors import OutputError
        from sweep_specs import TINY
        try:
            sweep(TINY, os.path.join(DISK, "sweep"), progress=False)
        except OutputError as exc:
            RESULT["error"] = str(exc)
        RESULT["left"] = sorted(os.listdir(DISK))
        """
    )


@pytest.mark.skipif(not full_disk_available(), reason="no tmpfs in a user namespace here")
def test_a_sweep_on_a_real_full_disk_leaves_no_temporary_database():
    found = _full_disk_sweep()
    assert "no space left on the device" in found["error"]
    assert found["left"] == ["filler"]  # no .sweep.db.<pid>.creating, no folder


def test_a_sweep_whose_database_cannot_be_written_leaves_no_temporary_database(
    tmp_path, monkeypatch
):
    """The same without a real full disk: SQLite's own error for it, from the insert."""
    real_connect = sqlite3.connect

    class Full:
        def __init__(self, conn):
            self.conn = conn

        def executemany(self, *args):
            raise sqlite3.OperationalError("database or disk is full")

        def __getattr__(self, name):
            return getattr(self.conn, name)

    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: Full(real_connect(*a, **k)))
    with pytest.raises(OutputError, match="no space left on the device"):
        sweep(TINY, tmp_path / "sweep", progress=False)
    assert not (tmp_path / "sweep").exists()
    assert [p.name for p in tmp_path.iterdir()] == []
    os.sync()


@pytest.mark.parametrize(
    "criterion, message",
    [
        ("eval_loss < " + "9" * 400, "is not a finite float64"),
        ("eval_loss < 1e999", "is not a finite float64"),
        ("not " * 5000 + "eval_loss < 1", "characters long (at most 1000)"),
        ("-" * 200 + "eval_loss < 1", "nests 204 deep (at most 50)"),
    ],
    ids=["a 400-digit number", "1e999", "5000 not", "200 minus signs"],
)
def test_a_criterion_is_refused_when_read_not_when_reported(finished, criterion, message, capsys):
    folder, _ = finished
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        load_spec({**TINY, "success": criterion})
    assert main(["sweep", "report", str(folder), "--success", criterion]) == 2
    assert message in _one_line(capsys)
