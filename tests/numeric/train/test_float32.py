"""float32 training end to end: ``TrainConfig.dtype``; the network, its batches, the
optimiser's state, clipping, the regulariser and the checkpoints in float32; no float64
array on a training step's path (the NumPy guard of tests/numpy_guard.py); the dtype
recorded in the run and checked on resume; resume bitwise; a float32 run starting from
the float64 run's weights and data, rounded."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy_guard import Float64Seen, guard_array, install, modules_reached

from gradsym.errors import CheckpointError, UnknownNameError
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.train import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    METRICS_FILE,
    SUMMARY_FILE,
    TrainConfig,
    Trainer,
)
from gradsym.numeric.train.checkpoint import load_checkpoint
from gradsym.numeric.train.tasks import Batch

SMALL32 = {
    "cell": "lstm", "task": "adding", "task_kwargs": {"length": 20}, "hidden": 4, "steps": 12,
    "batch": 4, "eval_every": 6, "eval_batch": 8, "checkpoint_every": 4, "seed": 5,
    "forget_bias": 1.0, "dtype": "float32",
}  # fmt: skip


def test_dtype_is_a_checked_option_recorded_with_the_run():
    assert TrainConfig().dtype == "float64" and TrainConfig().np_dtype == np.float64
    assert TrainConfig(dtype="float32").np_dtype == np.float32
    for bad in ("float16", "double", np.float32, None):
        with pytest.raises(UnknownNameError, match="unknown dtype"):
            TrainConfig(dtype=bad)
    assert TrainConfig.from_json(TrainConfig(dtype="float32").to_json()).dtype == "float32"


def test_a_float32_run_keeps_every_array_in_float32(tmp_path):
    trainer = Trainer(TrainConfig(**SMALL32), tmp_path)
    result = trainer.run()
    assert all(p.dtype == np.float32 for p in trainer.network.params.values())
    state = trainer.optimiser.state_dict()["state"]
    assert set(state) == set(trainer.network.params)
    assert all(a.dtype == np.float32 for s in state.values() for a in s.values())  # t too
    ckpt = load_checkpoint(tmp_path / CHECKPOINT_FILE)
    assert ckpt.dtype == "float32" and ckpt.config["dtype"] == "float32"
    assert all(a.dtype == np.float32 for s in ckpt.optimiser["state"].values() for a in s.values())
    with np.load(tmp_path / CHECKPOINT_FILE) as f:
        assert json.loads(str(f["meta"][()]))["dtype"] == "float32"
    assert json.loads((tmp_path / CONFIG_FILE).read_text())["dtype"] == "float32"
    assert json.loads((tmp_path / SUMMARY_FILE).read_text())["dtype"] == "float32"
    assert dict(result.summary_rows())["model"] == "lstm (4 hidden × 1 layer, float32)"
    records = [json.loads(line) for line in (tmp_path / METRICS_FILE).read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(1, 13))
    assert all(np.isfinite(r["loss"]) and np.isfinite(r["grad_norm"]) for r in records)


def test_a_float32_run_starts_from_the_float64_runs_weights_and_data_rounded():
    t64 = Trainer(TrainConfig(**{**SMALL32, "dtype": "float64"}))
    t32 = Trainer(TrainConfig(**SMALL32))
    for name, p in t64.network.params.items():
        assert np.array_equal(t32.network.params[name], p.astype(np.float32)), name
    b64 = t64.task.sample(4, np.random.default_rng(1))
    b32 = t32.task.sample(4, np.random.default_rng(1), np.float32)
    assert b32.x.dtype == b32.y.dtype == np.float32
    assert np.array_equal(b32.x, b64.x.astype(np.float32))
    first64, first32 = t64.train_step(), t32.train_step()
    assert first32["loss"] == pytest.approx(first64["loss"], rel=1e-5)
    assert first32["grad_norm"] == pytest.approx(first64["grad_norm"], rel=1e-4)


def test_a_float32_run_resumes_bitwise(tmp_path):
    whole = Trainer(TrainConfig(**SMALL32), tmp_path / "whole")
    whole.run()
    Trainer(TrainConfig(**SMALL32), tmp_path / "run").run(stop_at=8)
    resumed = Trainer.resume(tmp_path / "run")
    assert resumed.config.dtype == "float32"
    resumed.run()
    text = (tmp_path / "whole" / METRICS_FILE).read_text()
    assert (tmp_path / "run" / METRICS_FILE).read_text() == text
    for name, value in whole.network.params.items():
        assert np.array_equal(resumed.network.params[name], value), name  # bit for bit


def test_resume_refuses_another_dtype(tmp_path):
    Trainer(TrainConfig(**SMALL32), tmp_path).run(stop_at=4)
    wider = TrainConfig(**{**SMALL32, "dtype": "float64"})
    with pytest.raises(
        CheckpointError, match=r"another configuration \(dtype: 'float32' ≠ 'float64'\)"
    ):
        Trainer.resume(tmp_path, config=wider)


def _rewrite(path, *, meta=None, arrays=None):
    with np.load(path, allow_pickle=False) as f:
        entries = {k: f[k] for k in f.files}
    m = json.loads(str(entries["meta"][()]))
    if meta is not None:
        meta(m)
    if arrays is not None:
        arrays(entries)
    entries["meta"] = np.array(json.dumps(m))
    np.savez(path, **entries)


def _widen(key):
    return lambda entries: entries.__setitem__(key, entries[key].astype(np.float64))


@pytest.mark.parametrize(
    ("meta", "arrays", "message"),
    [
        (lambda m: m.__setitem__("dtype", "float64"), None, "configuration says dtype 'float32'"),
        (lambda m: m["config"].__setitem__("dtype", "float64"), None, "says dtype 'float64'"),
        (lambda m: m.__setitem__("dtype", "float16"), None, "dtype must be one of"),
        (None, _widen("param/cell.W_f"), "parameter 'cell.W_f' must have dtype float32"),
        (None, _widen("opt/cell.b_o/exp_avg_sq"), "state cell.b_o/exp_avg_sq must have dtype"),
        (None, _widen("opt/out.W_y/step"), "state out.W_y/step must have dtype float32"),
    ],
)
def test_a_checkpoint_whose_dtypes_disagree_is_refused(tmp_path, meta, arrays, message):
    Trainer(TrainConfig(**SMALL32), tmp_path).run(stop_at=4)
    _rewrite(tmp_path / CHECKPOINT_FILE, meta=meta, arrays=arrays)
    with pytest.raises(CheckpointError, match=message):
        Trainer.resume(tmp_path)


def test_a_checkpoint_of_an_older_gradsym_is_read_as_float64(tmp_path):
    """Files written before float32 runs carry no dtype: float64, as they all were."""
    Trainer(TrainConfig(**{**SMALL32, "dtype": "float64"}), tmp_path).run(stop_at=4)

    def older(m):
        del m["dtype"]
        del m["config"]["dtype"]

    _rewrite(tmp_path / CHECKPOINT_FILE, meta=older)
    assert load_checkpoint(tmp_path / CHECKPOINT_FILE).dtype == "float64"
    assert Trainer.resume(tmp_path).run().finished


# -- no float64 on a training step's path ------------------------------------------------------

STEPS = {
    "lstm, Adam, norm clipping": {},
    "gru, PyTorch's norm clipping": {
        "cell": "gru", "forget_bias": None, "variant": "torch", "norm_mode": "torch",
    },
    "rnn, SGD with momentum, Omega": {
        "cell": "rnn", "forget_bias": None, "init": "sparse", "nonzeros": 3,
        "optimiser": "sgd", "lr": 0.05, "momentum": 0.9, "omega": 2.0,
    },
    "irnn, value clipping, truncated BPTT": {
        "cell": "irnn", "forget_bias": None, "clip": 0.5, "clip_mode": "value",
        "truncation": 4, "task": "echo", "task_kwargs": {"length": 12, "delay": 2},
    },
    "residual lstm stack, cross-entropy at every step": {
        "layers": 2, "residual": True, "task": "copy", "task_kwargs": {"delay": 3},
    },
}  # fmt: skip


def training_path():
    """The modules a training step goes through (found from the trainer, see
    tests/numpy_guard.py), less the tasks: they draw their numbers as in float64 and hand
    them over rounded (TrainConfig's docstring), before the path begins."""
    # the cells are found through the registry (a facet imported on first use), so their
    # classes are roots of their own
    return modules_reached(Trainer, RNN, LSTM, GRU, skip=("gradsym.numeric.train.tasks",))


def guarded_trainer(monkeypatch, **changes):
    trainer = Trainer(TrainConfig(**{**SMALL32, **changes}))
    sample = trainer.task.sample

    def sample_guarded(*args):
        b = sample(*args)
        return Batch(guard_array(b.x), guard_array(b.y) if b.y.dtype.kind == "f" else b.y)

    monkeypatch.setattr(trainer.task, "sample", sample_guarded)
    return trainer, install(monkeypatch, training_path())


@pytest.mark.parametrize("what", STEPS)
def test_a_float32_training_step_makes_no_float64_array(what, monkeypatch):
    trainer, numpy = guarded_trainer(monkeypatch, **STEPS[what])
    for _ in range(3):
        record = trainer.train_step()
        assert isinstance(record, dict), record
    assert numpy.calls > 100  # the guard stood in for numpy
    names = {m.__name__ for m in training_path()}
    assert {"gradsym.numeric.optim.optimisers", "gradsym.numeric.optim.clipping"} <= names


# The guard must see what it is there to see: each mutation below is a float64 that the
# float32 path once had, or could have.


def test_the_guard_sees_a_clipping_norm_computed_in_float64(monkeypatch):
    from gradsym.numeric.optim import clipping

    trainer, _ = guarded_trainer(monkeypatch)
    monkeypatch.setattr(clipping, "_work_dtype", lambda *dtypes: np.dtype(np.float64))
    with pytest.raises(Float64Seen, match="float64"):
        trainer.train_step()


def test_the_guard_sees_omegas_ratios_made_in_float64(monkeypatch):
    from gradsym.numeric.optim import regularisers

    trainer, numpy = guarded_trainer(monkeypatch, **STEPS["rnn, SGD with momentum, Omega"])
    full = numpy.__getattr__("full")  # the checked np.full, its dtype forgotten
    monkeypatch.setattr(numpy, "full", lambda shape, value, dtype=None: full(shape, value))
    assert regularisers.np is numpy
    with pytest.raises(Float64Seen, match="result of np.full is float64"):
        trainer.train_step()
