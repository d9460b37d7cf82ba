"""A training run meets what a careless user leaves in its folder (issue 21): a FIFO named
checkpoint.npz, another cell of the same name on resume, a metrics line nested too deep or
with a 5001-digit number, a NaN in the optimiser state, sizes no memory holds, an empty
run folder. Each is one line, before anything is read or allocated that could hang."""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import pytest

from gradsym.cli import main
from gradsym.errors import CheckpointError, InvalidValueError, OutputError
from gradsym.numeric.train import CHECKPOINT_FILE, METRICS_FILE, TrainConfig, Trainer
from gradsym.numeric.train.checkpoint import load_checkpoint

SMALL = {
    "cell": "rnn", "task": "adding", "task_kwargs": {"length": 20}, "hidden": 4, "steps": 6,
    "batch": 4, "eval_every": 3, "eval_batch": 8, "checkpoint_every": 2,
}  # fmt: skip


@pytest.fixture
def stopped(tmp_path):
    """A run folder stopped at step 4 (a checkpoint covering four metrics lines)."""
    run = tmp_path / "run"
    Trainer(TrainConfig(**SMALL), run).run(stop_at=4)
    return run


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFOs")
def test_a_fifo_named_checkpoint_npz_does_not_block_resume(stopped):
    (stopped / CHECKPOINT_FILE).unlink()
    os.mkfifo(stopped / CHECKPOINT_FILE)  # opened for reading, it would wait for a writer
    t0 = time.monotonic()
    with pytest.raises(CheckpointError, match="not a regular file"):
        Trainer.resume(stopped)
    assert time.monotonic() - t0 < 10


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFOs")
def test_a_fifo_named_metrics_jsonl_does_not_block_resume(stopped):
    (stopped / METRICS_FILE).unlink()
    os.mkfifo(stopped / METRICS_FILE)
    with pytest.raises(CheckpointError, match="not a regular file"):
        Trainer.resume(stopped)


@pytest.mark.parametrize(
    "line, what",
    [
        ('{"step": 1, "loss": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"step": 1, "loss": ' + "7" * 5001 + "}", "not a JSON record"),
    ],
    ids=["nested 100000 deep", "a 5001-digit number"],
)
def test_a_metrics_line_too_deep_or_too_long_is_one_line(stopped, line, what, capsys):
    lines = (stopped / METRICS_FILE).read_text().splitlines(keepends=True)
    lines[1] = line + "\n"
    (stopped / METRICS_FILE).write_text("".join(lines))
    code = main(["train", "--resume", "--out", str(stopped), "--no-progress"])
    assert code == 2
    err = _one_line(capsys)
    assert f"line 2 is {what}" in err and "metrics.jsonl" in err


def test_a_nan_in_the_optimiser_state_is_one_line_naming_the_entry(stopped, capsys):
    path = stopped / CHECKPOINT_FILE
    with np.load(path, allow_pickle=False) as f:
        entries = {k: f[k] for k in f.files}
    key = "opt/cell.W_h/exp_avg"
    entries[key] = entries[key].copy()
    entries[key][1, 2] = np.nan
    np.savez(path, **entries)
    assert main(["train", "--resume", "--out", str(stopped), "--no-progress"]) == 2
    err = _one_line(capsys)
    assert "optimiser state cell.W_h/exp_avg must be finite real numbers, got nan at [1, 2]" in err


# -- the cell a run was trained with ------------------------------------------------------------


def _cell_file(folder, name: str, equations: str) -> str:
    path = folder / f"{name}.toml"
    path.write_text(f'name = "same_name"\nstate = ["h"]\nequations = """\n{equations}\n"""\n')
    return str(path)


def test_a_run_is_never_resumed_with_another_cell_of_the_same_name(tmp_path, capsys):
    a = _cell_file(tmp_path, "a", "h = tanh(W_h @ h_prev + U @ x + b)")
    b = _cell_file(tmp_path, "b", "h = relu(W_h @ h_prev + U @ x + b)")
    # the same equations, spaced and commented otherwise: the same cell
    a2 = _cell_file(tmp_path, "a2", "# tanh RNN\nh = tanh( W_h@h_prev + U @ x + b )")
    run = str(tmp_path / "run")
    args = ["--task", "adding", "--length", "20", "--hidden", "4", "--batch", "4"]
    args += ["--eval-batch", "8", "--checkpoint-every", "2", "--out", run, "--no-progress"]
    assert main(["train", "--cell-file", a, "--steps", "4", *args]) == 0
    recorded = load_checkpoint(tmp_path / "run" / CHECKPOINT_FILE).cell
    assert recorded["equations"].strip() == "h = tanh(W_h @ h_prev + U @ x + b)"
    assert len(recorded["sha256"]) == 64
    capsys.readouterr()
    resume = ["train", "--resume", "--out", run, "--no-progress"]
    assert main([*resume, "--cell-file", b, "--steps", "6"]) == 2
    err = _one_line(capsys)
    assert "another cell named 'same_name'" in err and "relu" in err and "tanh" in err
    assert main([*resume, "--cell-file", a2, "--steps", "6"]) == 0
    # without a cell file: declared again from the equations the run recorded
    from gradsym.cells.registry import _ENTRIES

    _ENTRIES.pop("same_name")
    assert main([*resume, "--steps", "8"]) == 0
    assert "step 8/8" in capsys.readouterr().out


# -- sizes and paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option, value",
    [("--hidden", "1000000000"), ("--batch", "1000000000"), ("--eval-batch", "1000000000")]
    + [("--length", "1000000000")],
)
def test_sizes_no_memory_holds_are_refused_before_allocating(option, value, tmp_path, capsys):
    t0 = time.monotonic()
    code = main(["train", option, value, "--out", str(tmp_path / "r"), "--no-progress"])
    assert code == 2 and time.monotonic() - t0 < 10
    err = _one_line(capsys)
    assert f"{option.lstrip('-').replace('-', '_')} = {value}" in err
    assert "GiB of memory; this machine has" in err
    assert not (tmp_path / "r").exists()


def test_an_empty_run_folder_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--out", "", "--steps", "1"])
    assert exit_.value.code == 2
    assert "argument --out: an empty path" in capsys.readouterr().err
    with pytest.raises(OutputError, match="empty path"):
        Trainer(TrainConfig(**SMALL), "")
    with pytest.raises(CheckpointError, match="empty path"):
        Trainer.resume("")
    with pytest.raises(InvalidValueError, match="GiB of memory"):
        TrainConfig(**{**SMALL, "hidden": 10**9})


def test_a_memory_estimate_covers_an_ordinary_run():
    config = TrainConfig(**SMALL)
    need = config.memory_bytes()
    trainer = Trainer(config)
    params = sum(v.nbytes for v in trainer.network.params.values())
    assert need > 6 * params  # weights, gradients, moments, checkpoint, clipped copy
    assert json.dumps(config.to_dict())  # the estimate is no field of the config
