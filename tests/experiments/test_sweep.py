"""The sweep driver on one in-process Dask cluster: every run once, resume, results equal
to `gradsym train` one by one (bitwise), the progress bar, a diverged run, a run lost
with its worker, and databases that are never silently overwritten."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from gradsym.cli import main
from gradsym.errors import InvalidValueError
from gradsym.experiments import execute
from gradsym.experiments.execute import sweep
from gradsym.experiments.runner import params_digest
from gradsym.experiments.spec import load_spec
from gradsym.experiments.store import SweepStore
from gradsym.numeric.train.checkpoint import load_checkpoint

pytest.importorskip("distributed")


def test_every_run_gets_exactly_one_finished_row_and_resume_skips_them(dask_client, tiny, tmp_path):
    first = sweep(tiny, tmp_path, client=dask_client, progress=False)
    assert (first.total, first.done, first.failed, first.pending) == (8, 8, 0, 0)
    assert (first.ran, first.skipped) == (8, 0) and first.complete
    with SweepStore.open(tmp_path) as store:
        rows = store.rows()
        assert sorted(r.key for r in rows) == sorted(r.key for r in load_spec(tiny).runs)
        for row in rows:
            assert row.status == "done" and row.step == 6 and row.params_sha256
            history = store.metrics(row.key)
            assert [h["step"] for h in history] == [2, 3, 4, 6]  # log_every 2, evals at 3, 6
            assert history[-1]["eval_loss"] == row.eval_loss
    again = sweep(tiny, tmp_path, client=dask_client, progress=False)
    assert (again.ran, again.skipped, again.done) == (0, 8, 8)
    # a run made pending again is the only one that runs
    with sqlite3.connect(tmp_path / "sweep.db") as conn:
        conn.execute("UPDATE runs SET status = 'pending' WHERE rowid = 3")
        conn.execute("DELETE FROM metrics WHERE run_key = (SELECT key FROM runs WHERE rowid = 3)")
    third = sweep(tiny, tmp_path, client=dask_client, progress=False)
    assert (third.ran, third.skipped, third.done) == (1, 7, 8)


def test_results_equal_gradsym_train_one_by_one_bitwise(dask_client, tiny, tmp_path):
    sweep(tiny, tmp_path / "sweep", client=dask_client, progress=False)
    spec = load_spec(tiny)
    with SweepStore.open(tmp_path / "sweep") as store:
        for run in (spec.runs[0], spec.runs[-1]):  # a tanh RNN and a GRU
            c = run.config
            run_dir = tmp_path / run.key[:8]
            args = [
                "train",
                "--cell",
                c["cell"],
                "--task",
                c["task"],
                "--length",
                str(c["task_kwargs"]["length"]),
                "--out",
                str(run_dir),
                "--no-progress",
            ]
            for name in (
                "hidden",
                "batch",
                "steps",
                "eval_every",
                "eval_batch",
                "log_every",
                "checkpoint_every",
                "seed",
            ):
                args += ["--" + name.replace("_", "-"), str(c[name])]
            assert main(args) == 0
            alone = [
                json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()
            ]
            assert store.metrics(run.key) == alone  # every logged float, bit for bit
            row = next(r for r in store.rows() if r.key == run.key)
            assert row.params_sha256 == params_digest(
                load_checkpoint(run_dir / "checkpoint.npz").params
            )
            assert json.loads((run_dir / "config.json").read_text()) == c


def test_progress_bar_counts_runs(dask_client, tiny, tmp_path, capsys):
    sweep(tiny, tmp_path, client=dask_client, progress=True)
    err = capsys.readouterr().err
    assert "sweep tiny" in err and "8/8" in err and "failed=0" in err and "running=" in err


def test_a_diverged_run_is_a_failed_row_with_its_error(dask_client, tiny, tmp_path):
    tiny["configurations"] = [
        {
            "label": "linear RNN, gain 100",
            "cell": "rnn",
            "activation": "identity",
            "gain": 100.0,
            "max_recoveries": 0,
        },
    ]
    tiny["grid"] = {"length": [200]}
    result = sweep(tiny, tmp_path, client=dask_client, progress=False)
    assert (result.done, result.failed, result.pending) == (0, 2, 0)
    with SweepStore.open(tmp_path) as store:
        for row in store.rows():
            assert row.status == "failed" and row.error.startswith(
                "NonFiniteError: training diverged"
            )
            assert row.eval_loss is None and row.step == 0
    again = sweep(tiny, tmp_path, client=dask_client, progress=False)
    assert again.ran == 0  # a failure is a result: not run again


def test_a_run_lost_with_its_workers_stays_pending_and_resumes(
    dask_client, tiny, tmp_path, monkeypatch
):
    real = execute.run_one
    lost = load_spec(tiny).runs[2].key

    def dies(config, cell=None):
        from gradsym.experiments.spec import run_key
        from gradsym.numeric.train.config import TrainConfig

        if run_key(TrainConfig.from_dict(config)) == lost:
            raise RuntimeError("worker died")  # what a future reports after KilledWorker
        return real(config, cell)

    monkeypatch.setattr(execute, "run_one", dies)
    result = sweep(tiny, tmp_path, client=dask_client, progress=False)
    assert (result.done, result.pending, result.complete) == (7, 1, False)
    monkeypatch.setattr(execute, "run_one", real)
    result = sweep(tiny, tmp_path, client=dask_client, progress=False)
    assert (result.done, result.pending, result.ran) == (8, 0, 1)


def test_a_spec_that_grows_reuses_the_finished_runs(dask_client, tiny, tmp_path):
    """Runs are keyed by content: a third seed, a third length and a renamed spec sweep into
    the same folder and run only what is new; the database then holds the grown spec."""
    sweep(tiny, tmp_path, client=dask_client, progress=False)
    grown = dict(tiny, seeds=3)
    result = sweep(grown, tmp_path, client=dask_client, progress=False)
    assert (result.total, result.done, result.ran, result.skipped) == (12, 12, 4, 8)
    wider = dict(grown, name="wider", grid={"length": [3, 5, 7]})
    result = sweep(wider, tmp_path, client=dask_client, progress=False)
    assert (result.total, result.done, result.ran, result.skipped) == (18, 18, 6, 12)
    with SweepStore.open(tmp_path) as store:
        assert store.spec_data()["name"] == "wider"
        assert store.meta("spec_digest") == load_spec(wider).digest
        assert sorted(r.key for r in store.rows()) == sorted(r.key for r in load_spec(wider).runs)
    again = sweep(wider, tmp_path, client=dask_client, progress=False)
    assert (again.ran, again.skipped) == (0, 18)


def test_a_cell_declared_in_the_spec_is_swept_and_declared_again_by_a_fresh_worker(
    dask_client, tiny, tmp_path
):
    """Runs of a cell named in [[cells]]: swept like any other; a worker that never saw
    the cell (its registry emptied of it, as in a new process) declares it from the run's
    record and trains the same run bit for bit."""
    from gradsym.cells.registry import _ENTRIES
    from gradsym.experiments.runner import run_one

    equations = "u = sigma(W_u @ h_prev + U_u @ x + b_u)\nh = u * h_prev + (1 - u) * tanh(U @ x)"
    tiny["cells"] = [{"name": "swept_cell", "equations": equations}]
    tiny["configurations"] = [{"label": "gated", "cell": "swept_cell"}]
    result = sweep(tiny, tmp_path, client=dask_client, progress=False)
    assert (result.total, result.done, result.failed) == (4, 4, 0)
    run = load_spec(tiny).runs[0]
    with SweepStore.open(tmp_path) as store:
        [row] = [r for r in store.rows() if r.key == run.key]
    _ENTRIES.pop("swept_cell")
    fresh = run_one(run.config, run.cell)
    assert fresh["status"] == "done" and fresh["params_sha256"] == row.params_sha256
    _ENTRIES.pop("swept_cell")
    assert run_one(run.config)["error"].startswith("could not run")  # without the record


def test_a_database_of_another_spec_is_refused_and_left_as_it_was(dask_client, tiny, tmp_path):
    sweep(tiny, tmp_path, client=dask_client, progress=False)
    before = (tmp_path / "sweep.db").read_bytes()
    fewer = dict(tiny, seeds=1)  # drops runs the database has: not a spec that grew
    with pytest.raises(
        InvalidValueError, match=r"another spec \('tiny'.*4 of its 8 runs .*--overwrite"
    ):
        sweep(fewer, tmp_path, client=dask_client, progress=False)
    assert (tmp_path / "sweep.db").read_bytes() == before
    other = dict(tiny, base={**tiny["base"], "hidden": 5})  # every run another
    with pytest.raises(InvalidValueError, match="8 of its 8 runs"):
        sweep(other, tmp_path, client=dask_client, progress=False)
    assert (tmp_path / "sweep.db").read_bytes() == before
    result = sweep(fewer, tmp_path, client=dask_client, progress=False, overwrite=True)
    assert (result.total, result.done, result.skipped) == (4, 4, 0)


def test_a_folder_being_written_by_another_driver_is_refused(tiny, tmp_path):
    with (
        execute._exclusive(tmp_path),
        pytest.raises(InvalidValueError, match="another gradsym sweep is writing"),
    ):
        sweep(tiny, tmp_path, progress=False)


def test_at_most_one_way_to_reach_dask(dask_client, tiny, tmp_path):
    with pytest.raises(InvalidValueError, match="at most one of"):
        sweep(tiny, tmp_path, client=dask_client, workers=2)
    with pytest.raises(InvalidValueError, match="workers"):
        sweep(tiny, tmp_path, workers=0)


def test_the_public_name_is_the_driver():
    import gradsym

    assert gradsym.sweep is sweep
    # every lazy name is the object, never a submodule of the same name
    import gradsym.experiments.success_rates
    from gradsym import experiments

    for name in experiments.__all__:
        assert not isinstance(getattr(experiments, name), type(np)), name
