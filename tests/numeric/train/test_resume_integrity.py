"""Resume checks the run files against each other: the checkpoint knows how many lines of
metrics.jsonl it covers (and their SHA-256), so a damaged log is repaired exactly or the
resume stops with one line; a damaged checkpoint (a negative step, NaN parameters, a
crafted optimiser slot) is refused; a non-finite state is never taken as a checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradsym.errors import CheckpointError, NonFiniteError
from gradsym.numeric.train import (
    CHECKPOINT_FILE,
    METRICS_FILE,
    TrainConfig,
    Trainer,
    read_metrics,
)
from gradsym.numeric.train.checkpoint import load_checkpoint

# 20 steps, checkpoints at 6, 12, 18 and 20, a metrics line per step (evaluations at 10, 20).
SMALL = {
    "cell": "gru", "task": "adding", "task_kwargs": {"length": 20}, "hidden": 4, "steps": 20,
    "batch": 4, "eval_every": 10, "eval_batch": 8, "checkpoint_every": 6, "seed": 3,
}  # fmt: skip


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The metrics lines and final parameters of the run done in one go."""
    run = tmp_path_factory.mktemp("whole")
    trainer = Trainer(TrainConfig(**SMALL), run)
    trainer.run()
    return (run / METRICS_FILE).read_text(), trainer.network.get_params()


def _stopped(tmp_path, at: int = 12):
    """A run stopped at step ``at`` (a checkpoint), and the folder."""
    run = tmp_path / "run"
    Trainer(TrainConfig(**SMALL), run).run(stop_at=at)
    return run


def _finish_and_compare(run, uninterrupted):
    trainer = Trainer.resume(run)
    trainer.run()
    text, params = uninterrupted
    assert (run / METRICS_FILE).read_text() == text  # every line, byte for byte
    for name, value in trainer.network.get_params().items():
        assert np.array_equal(value, params[name]), name


# -- metrics.jsonl against the checkpoint -------------------------------------------------------


def test_an_intact_log_resumes_to_the_uninterrupted_run(tmp_path, uninterrupted):
    _finish_and_compare(_stopped(tmp_path), uninterrupted)


def test_lines_logged_after_the_checkpoint_and_a_half_written_line_are_dropped(
    tmp_path, uninterrupted
):
    """A crash after step 14: steps 13 and 14 are replayed, the cut-off line goes."""
    run = _stopped(tmp_path)
    lines = uninterrupted[0].splitlines(keepends=True)
    (run / METRICS_FILE).write_text("".join(lines[:14]) + lines[14][:9])
    _finish_and_compare(run, uninterrupted)


def test_records_glued_together_are_separated_exactly(tmp_path, uninterrupted):
    """The newline between two covered records lost: both are restored, each on its line."""
    run = _stopped(tmp_path)
    text = (run / METRICS_FILE).read_text()
    lines = text.splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\n")
    (run / METRICS_FILE).write_text("".join(lines))
    _finish_and_compare(run, uninterrupted)


def test_a_missing_final_newline_is_restored(tmp_path, uninterrupted):
    run = _stopped(tmp_path)
    (run / METRICS_FILE).write_text((run / METRICS_FILE).read_text().rstrip("\n"))
    _finish_and_compare(run, uninterrupted)


def _damage(run, how):
    path = run / METRICS_FILE
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    if how == "truncated":
        path.write_text("".join(lines[:7]))
    elif how == "cut mid-record":
        path.write_text(text[: len("".join(lines[:11])) + 5])
    elif how == "emptied":
        path.write_text("")
    elif how == "deleted":
        path.unlink()
    elif how == "garbled":  # a digit changed: still JSON, not what was logged
        record = json.loads(lines[3])
        record["loss"] = record["loss"] * 2
        lines[3] = json.dumps(record) + "\n"
        path.write_text("".join(lines))
    elif how == "not JSON":
        lines[5] = lines[5].replace('"loss":', '"loss";')
        path.write_text("".join(lines))
    elif how == "not text":
        path.write_bytes(text.encode()[:100] + b"\xff\xfe" + text.encode()[102:])
    elif how == "not a record":
        lines[2] = "[1, 2]\n"
        path.write_text("".join(lines))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("truncated", "truncated: it holds 7 records, but the checkpoint covers 12"),
        ("cut mid-record", "line 12 is not a JSON record"),
        ("emptied", "empty, but the checkpoint covers 12"),
        ("deleted", "missing, but the checkpoint covers 12 records"),
        ("garbled", "its first 12 records differ from those the checkpoint covers"),
        ("not JSON", "line 6 is not a JSON record"),
        ("not text", "not UTF-8 text at byte 100"),
        ("not a record", "line 3 holds list, not a record"),
    ],
)
def test_a_log_that_lost_or_changed_covered_lines_stops_the_resume(tmp_path, how, message):
    run = _stopped(tmp_path)
    _damage(run, how)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in run.iterdir())
    with pytest.raises(CheckpointError, match=message) as info:
        Trainer.resume(run)
    assert "history cannot be restored" in str(info.value)
    assert "\n" not in str(info.value)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in run.iterdir()) == before  # untouched


def test_a_checkpoint_of_an_older_version_is_checked_by_count(tmp_path):
    """Without the digest (files of older versions) the count is still checked."""
    run = _stopped(tmp_path)
    _rewrite(run, meta=lambda m: m.pop("metrics_sha256"))
    assert load_checkpoint(run / CHECKPOINT_FILE).metrics_sha256 is None
    _damage(run, "truncated")
    with pytest.raises(CheckpointError, match="truncated"):
        Trainer.resume(run)


def test_run_again_in_the_same_process_keeps_the_log(tmp_path, uninterrupted):
    trainer = Trainer(TrainConfig(**SMALL), tmp_path)
    trainer.run(stop_at=9)
    trainer.run()
    assert (tmp_path / METRICS_FILE).read_text() == uninterrupted[0]


# -- a damaged checkpoint is refused -------------------------------------------------------------


def _rewrite(run, *, meta=None, arrays=None):
    """Rewrite checkpoint.npz with its metadata and arrays changed by the callbacks."""
    path = run / CHECKPOINT_FILE
    with np.load(path, allow_pickle=False) as f:
        entries = {k: f[k] for k in f.files}
    m = json.loads(str(entries["meta"][()]))
    if meta is not None:
        meta(m)
    if arrays is not None:
        arrays(entries)
    entries["meta"] = np.array(json.dumps(m))
    np.savez(path, **entries)


def _set(key, value):
    return lambda m: m.__setitem__(key, value)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (_set("step", -5), "step must be an integer >= 0, got -5"),
        (_set("step", 2.5), "step must be an integer >= 0, got 2.5"),
        (_set("lr", -0.1), "learning rate must be a positive finite number"),
        (_set("metrics_lines", -1), "metrics_lines must be an integer >= 0"),
        (_set("metrics_sha256", "xyz"), "metrics_sha256 must be 64 hex digits"),
    ],
)
def test_impossible_bookkeeping_is_refused(tmp_path, meta, message):
    run = _stopped(tmp_path)
    _rewrite(run, meta=meta)
    with pytest.raises(CheckpointError, match=message):
        Trainer.resume(run)


def test_a_checkpoint_with_nan_parameters_is_refused_not_recovered_into(tmp_path):
    run = _stopped(tmp_path)

    def poison(entries):
        w = entries["param/cell.W_u"].copy()
        w[1, 2] = np.nan
        entries["param/cell.W_u"] = w

    _rewrite(run, arrays=poison)
    with pytest.raises(CheckpointError, match=r"parameter 'cell.W_u' holds nan at \[1, 2\]"):
        Trainer.resume(run)


def _slot(key, change):
    def edit(entries):
        entries[key] = change(entries[key])

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_slot("opt/cell.W_u/exp_avg", lambda a: a[:1]), r"exp_avg must have shape \(4, 4\)"),
        (_slot("opt/cell.W_u/exp_avg", lambda a: a.astype(np.float32)), "dtype float64"),
        (_slot("opt/cell.W_u/exp_avg_sq", lambda a: -a - 1), "v must be >= 0"),
        (_slot("opt/cell.W_u/step", lambda a: a * 0), "step count t must be a whole number"),
        (_slot("opt/cell.W_u/exp_avg", lambda a: a.astype(str)), "must be finite real numbers"),
        (_slot("opt/cell.W_u/exp_avg", lambda a: a * np.inf), "must be finite real numbers"),
    ],
)
def test_a_crafted_optimiser_slot_is_refused(tmp_path, edit, message):
    run = _stopped(tmp_path)
    _rewrite(run, arrays=edit)
    with pytest.raises(CheckpointError, match=message) as info:
        Trainer.resume(run)
    assert str(info.value).startswith(f"checkpoint {run / CHECKPOINT_FILE}: optimiser state")


def test_an_optimiser_slot_for_no_parameter_is_refused(tmp_path):
    run = _stopped(tmp_path)

    def rename(m):
        slots = m["optimiser"]["slots"]
        slots["cell.W_v"] = slots.pop("cell.W_u")

    def move(entries):
        for slot in ("step", "exp_avg", "exp_avg_sq"):
            entries[f"opt/cell.W_v/{slot}"] = entries.pop(f"opt/cell.W_u/{slot}")

    _rewrite(run, meta=rename, arrays=move)
    with pytest.raises(CheckpointError, match=r"'cell.W_v', which is not a parameter \(did you"):
        Trainer.resume(run)


@pytest.mark.parametrize(("steps", "message"), [(-1, "integer >= 0, got -1"), (True, "got True")])
def test_an_impossible_optimiser_step_count_is_refused(tmp_path, steps, message):
    run = _stopped(tmp_path)
    _rewrite(run, meta=lambda m: m["optimiser"].__setitem__("steps", steps))
    with pytest.raises(CheckpointError, match=message):
        Trainer.resume(run)


# -- a non-finite state is never a checkpoint ----------------------------------------------------


def test_an_overflowing_update_rolls_back_to_the_last_finite_checkpoint(tmp_path, monkeypatch):
    """Finite loss and gradients, but the update makes a weight infinite (step 12, a
    checkpoint step): the state is not saved; the run rolls back to step 6 and goes on."""
    trainer = Trainer(TrainConfig(**SMALL), tmp_path)
    real = trainer.optimiser.step
    blown = []

    def step(params, grads, **options):
        real(params, grads, **options)
        if trainer.step == 11 and not blown:  # the update of step 12
            blown.append(True)
            params["cell.W_u"][0, 0] = np.inf

    monkeypatch.setattr(trainer.optimiser, "step", step)
    result = trainer.run()
    assert result.finished
    [event] = result.recoveries
    assert event["step"] == 12 and event["rolled_back_to"] == 6
    assert "non-finite parameter cell.W_u" in event["reason"]
    assert np.isfinite(load_checkpoint(tmp_path / CHECKPOINT_FILE).params["cell.W_u"]).all()
    assert [r["step"] for r in read_metrics(tmp_path) if "event" not in r][:12] == list(
        range(1, 13)
    )


def test_checkpoint_refuses_a_non_finite_state():
    trainer = Trainer(TrainConfig(**SMALL))
    trainer.network.params["cell.W_u"][0, 0] = np.nan
    with pytest.raises(NonFiniteError, match="parameter cell.W_u is not finite at step 0"):
        trainer.checkpoint()
