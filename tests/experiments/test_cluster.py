"""The cluster case with real processes: a `dask scheduler` and two `dask worker`
processes on 127.0.0.1 (the ``real_cluster`` fixture stops them all, even when a test
fails). The sweep runs unchanged on them; a worker killed mid-sweep loses no run and
duplicates none; a driver killed mid-sweep leaves a consistent database that the next
run resumes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from gradsym.cli import main
from gradsym.experiments.execute import sweep
from gradsym.experiments.runner import run_one
from gradsym.experiments.spec import load_spec
from gradsym.experiments.store import SweepStore

pytest.importorskip("distributed")


def _slow(tiny: dict, seeds: int = 8) -> dict:
    """Runs of a few tenths of a second each: long enough to be caught running."""
    tiny["seeds"] = seeds
    tiny["base"].update(steps=40, hidden=8, log_every=5, eval_every=20, checkpoint_every=40)
    tiny["grid"] = {"length": [30]}
    tiny["configurations"] = [{"label": "LSTM", "cell": "lstm"}]
    return tiny


def _done(path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'done'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the sweep made no progress")
        time.sleep(0.05)


def _assert_one_row_per_run(folder, spec) -> None:
    """Every run of the spec has exactly one row, finished, with its own metrics once."""
    with sqlite3.connect(folder / "sweep.db") as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM runs")]
        assert sorted(keys) == sorted(r.key for r in spec.runs)
        assert conn.execute("SELECT COUNT(*) FROM runs WHERE status != 'done'").fetchone()[0] == 0
        lines = dict(conn.execute("SELECT run_key, COUNT(*) FROM metrics GROUP BY run_key"))
        steps = spec.runs[0].config["steps"]
        assert lines == {k: steps // 5 for k in keys}  # log_every 5: no line lost or doubled
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_same_sweep_runs_unchanged_on_a_dask_cluster(real_cluster, tiny_toml, tmp_path, capsys):
    code = main(
        [
            "sweep",
            str(tiny_toml),
            "--out",
            str(tmp_path),
            "--scheduler",
            real_cluster.address,
            "--no-progress",
        ]
    )
    assert code == 0
    assert "8 runs, 8 done, 0 diverged, 0 pending" in capsys.readouterr().out
    spec = load_spec(tiny_toml)
    with SweepStore.open(tmp_path) as store:
        rows = {r.key: r for r in store.rows()}
    assert len({r.worker for r in rows.values()}) == 2  # both worker processes ran runs
    # bitwise what the same run gives in this process
    run = spec.runs[5]
    assert rows[run.key].params_sha256 == run_one(run.config)["params_sha256"]


def test_a_worker_killed_mid_sweep_loses_and_duplicates_no_run(real_cluster, tiny, tmp_path):
    spec = load_spec(_slow(tiny))
    out: dict = {}
    driver = threading.Thread(
        target=lambda: out.update(
            result=sweep(spec, tmp_path, scheduler=real_cluster.address, progress=False)
        ),
    )
    driver.start()
    victim = real_cluster.workers[0]
    try:
        _wait_until(lambda: _done(tmp_path / "sweep.db") >= 2)
        os.killpg(victim.pid, signal.SIGKILL)  # the nanny and its worker, mid-run
        victim.wait(timeout=10)
    finally:
        driver.join(timeout=120)
        real_cluster.workers[0] = real_cluster.add_worker(10)  # for the tests that follow
    result = out["result"]
    assert (result.done, result.pending, result.failed) == (8, 0, 0)
    _assert_one_row_per_run(tmp_path, spec)
    with SweepStore.open(tmp_path) as store:
        row = store.rows()[-1]
    assert row.params_sha256 == run_one(row.config)["params_sha256"]  # re-run, same numbers
    real_cluster.wait_for_workers(2)


def test_a_driver_killed_mid_sweep_leaves_a_consistent_database_that_resumes(
    real_cluster, tiny, tmp_path
):
    spec_data = _slow(tiny)
    spec_file = tmp_path / "slow.toml"
    spec_file.write_text(_toml(spec_data))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gradsym",
            "sweep",
            str(spec_file),
            "--out",
            str(out),
            "--scheduler",
            real_cluster.address,
            "--no-progress",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"},
        start_new_session=True,
    )
    try:
        _wait_until(lambda: _done(out / "sweep.db") >= 2)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    spec = load_spec(spec_file)
    with sqlite3.connect(out / "sweep.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = dict(conn.execute("SELECT key, status FROM runs"))
        lines = dict(conn.execute("SELECT run_key, COUNT(*) FROM metrics GROUP BY run_key"))
    assert sorted(rows) == sorted(r.key for r in spec.runs)
    done = {k for k, s in rows.items() if s == "done"}
    assert len(done) >= 2
    assert lines == {k: 8 for k in done}  # a finished run is whole, a pending one has nothing
    resumed = sweep(spec, out, scheduler=real_cluster.address, progress=False)
    assert resumed.skipped == len(done) and resumed.ran == len(rows) - len(done)
    _assert_one_row_per_run(out, spec)


def _toml(d: dict) -> str:
    def value(v):
        return (
            f'"{v}"'
            if isinstance(v, str)
            else ("[" + ", ".join(map(value, v)) + "]" if isinstance(v, list) else repr(v))
        )

    lines = [f"{k} = {value(d[k])}" for k in ("name", "seeds", "success")]
    for table in ("base", "grid"):
        lines.append(f"[{table}]")
        lines += [f"{k} = {value(v)}" for k, v in d[table].items()]
    for conf in d["configurations"]:
        lines.append("[[configurations]]")
        lines += [f"{k} = {value(v)}" for k, v in conf.items()]
    return "\n".join(lines) + "\n"
