"""The training loop, and what the notes' fixes show on the tasks that made them famous.

The "what it must show" tests train real models (seeded, a few seconds each); the others
check the machinery on runs of a few dozen steps.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gradsym.errors import CheckpointError, InvalidValueError, NonFiniteError, UnknownNameError
from gradsym.numeric.train import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    METRICS_FILE,
    SUMMARY_FILE,
    TrainConfig,
    Trainer,
    inject_nonfinite,
    read_metrics,
    train,
)
from gradsym.numeric.train.checkpoint import load_checkpoint
from gradsym.numeric.train.tasks import make_task

# -- what it must show ------------------------------------------------------------------------

# Adam 1e-2, batch 32, 16 hidden units, norm clipping at 1, orthogonal recurrent init: the
# only difference between the two runs is the cell (and the LSTM's forget-gate bias 1).
ADDING = {
    "task": "adding_le", "task_kwargs": {"length": 50}, "hidden": 16, "steps": 1500, "eval_every": 500,
    "eval_batch": 500, "lr": 1e-2, "batch": 32, "clip": 1.0, "init": "orthogonal", "seed": 0,
}  # fmt: skip


def test_adding_problem_lstm_learns_and_tanh_rnn_does_not():
    """Adding problem, T = 50 (Le et al.'s form: baseline MSE 1/6). Observed: LSTM ≈ 0.002
    (learns around step 900), tanh RNN ≈ 0.16."""
    lstm = Trainer(TrainConfig(cell="lstm", forget_bias=1.0, **ADDING))
    lstm.run()
    rnn = Trainer(TrainConfig(cell="rnn", activation="tanh", **ADDING))
    rnn.run()
    lstm_mse = lstm.evaluate(batch=2000)["eval_loss"]
    rnn_mse = rnn.evaluate(batch=2000)["eval_loss"]
    assert lstm_mse < 0.01
    assert rnn_mse > 0.05


@pytest.mark.parametrize(("name", "constant"), [("adding_le", 1.0), ("adding", 0.5)])
def test_trivial_predictor_mse_matches_its_analytic_value(name, constant):
    task = make_task(name, length=50)
    b = task.sample(40_000, np.random.default_rng(3))
    sq = (b.y - constant) ** 2
    se = sq.std() / math.sqrt(sq.size)
    assert abs(sq.mean() - task.baseline) < 4 * se


# Copy task with delay 20 and 2 symbols to recall (baseline 2 ln 8 / 24 ≈ 0.173).
COPY = {
    "task": "copy", "task_kwargs": {"delay": 20, "n_copy": 2}, "hidden": 32, "steps": 800,
    "eval_every": 400, "lr": 1e-2, "batch": 32, "clip": 1.0, "seed": 0,
}  # fmt: skip


def test_copy_task_tanh_rnn_stays_at_the_baseline_and_lstm_gets_below():
    """Observed: tanh RNN ≈ baseline, LSTM ≈ 0.13 (baseline 0.173)."""
    rnn = Trainer(TrainConfig(cell="rnn", **COPY))
    rnn.run()
    lstm = Trainer(TrainConfig(cell="lstm", forget_bias=1.0, **COPY))
    lstm.run()
    baseline = lstm.task.baseline
    rnn_loss = rnn.evaluate(batch=1000)["eval_loss"]
    lstm_loss = lstm.evaluate(batch=1000)["eval_loss"]
    assert rnn_loss > 0.97 * baseline
    assert lstm_loss < 0.9 * baseline


# Echo with delay d = 3: the target at step t is the input of step t − 3.
ECHO = {
    "task": "echo", "task_kwargs": {"length": 20, "delay": 3}, "cell": "rnn", "hidden": 16, "steps": 300,
    "eval_every": 300, "lr": 1e-2, "batch": 32, "seed": 0,
}  # fmt: skip


def test_truncated_bptt_learns_the_echo_when_the_window_reaches_back_the_delay():
    """TBPTT(k1 = k2 = k): the loss term at the end of a chunk reaches back k − 1 steps,
    so the delay d needs k ≥ d + 1 (a window holding the d steps between the input and
    its echo, both ends included); with k = d no loss term ever sees its input.
    Observed: k = 4 → loss 0.002, accuracy 1; k = 3 → the baseline (T − d) ln 2 / T."""
    reach = Trainer(TrainConfig(truncation=4, **ECHO))
    reach.run()
    short = Trainer(TrainConfig(truncation=3, **ECHO))
    short.run()
    baseline = reach.task.baseline
    ok, fail = reach.evaluate(batch=500), short.evaluate(batch=500)
    assert ok["eval_loss"] < 0.1 * baseline
    assert ok["eval_accuracy"] > 0.95
    assert fail["eval_loss"] > 0.9 * baseline


# -- small runs for the machinery --------------------------------------------------------------

SMALL = {
    "cell": "lstm", "task": "adding", "task_kwargs": {"length": 20}, "hidden": 8, "steps": 30, "batch": 8,
    "eval_every": 10, "eval_batch": 16, "checkpoint_every": 7, "seed": 5,
}  # fmt: skip


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def test_run_folder_holds_config_metrics_checkpoint_and_summary(tmp_path):
    result = train(TrainConfig(**SMALL), tmp_path / "run")
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == sorted(
        [CONFIG_FILE, METRICS_FILE, CHECKPOINT_FILE, SUMMARY_FILE]
    )
    assert TrainConfig.from_json((run / CONFIG_FILE).read_text()) == TrainConfig(**SMALL)
    records = read_metrics(run)
    assert [r["step"] for r in records] == list(range(1, 31))
    assert set(records[0]) == {"step", "loss", "grad_norm", "clipped", "lr"}
    evaluated = [r["step"] for r in records if "eval_loss" in r]
    assert evaluated == [10, 20, 30]
    summary = json.loads((run / SUMMARY_FILE).read_text())
    assert summary["finished"] and summary["step"] == 30
    assert summary["baseline"] == pytest.approx(make_task("adding", length=20).baseline)
    assert result.eval_loss == records[-1]["eval_loss"]
    assert load_checkpoint(run / CHECKPOINT_FILE).step == 30


def test_logged_norm_is_before_clipping():
    result = train(TrainConfig(**dict(SMALL, clip=1e-3, steps=5)))
    for r in result.history:
        assert r["clipped"] == (r["grad_norm"] >= 1e-3)
        assert r["grad_norm"] > 1e-3


def _one_entry(value):
    """A gradient hook leaving a single non-zero entry, ``value``: ‖ĝ‖ = |value| exactly."""

    def hook(step, grads):
        for g in grads.values():
            g[...] = 0.0
        next(iter(grads.values())).reshape(-1)[0] = value

    return hook


@pytest.mark.parametrize(
    ("options", "value", "clipped"),
    [
        ({"clip": 1.0}, 1.0, True),  # Algorithm 1: ‖ĝ‖ ≥ threshold, equality included
        ({"clip": 1.0}, 1.0 - 5e-7, False),
        ({"clip": 1.0, "norm_mode": "torch"}, 1.0 - 5e-7, True),  # factor 1/(‖ĝ‖ + 1e-6) < 1
        ({"clip": 1.0, "norm_mode": "torch"}, 0.5, False),
        ({"clip": 1.0, "clip_mode": "value"}, 1.0, False),  # at the bound: unchanged
        ({"clip": 1.0, "clip_mode": "value"}, 1.0 + 1e-9, True),
        ({"clip": None}, 1e6, False),
    ],
)
def test_the_log_says_clipped_exactly_when_the_clipping_rule_was_active(options, value, clipped):
    """The trainer logs what the clipper reports (ClipResult.clipped), at the boundaries
    where ≥ and > or the two norm rules part."""
    cfg = TrainConfig(**dict(SMALL, steps=2, optimiser="sgd", lr=1e-9, **options))
    result = Trainer(cfg, gradient_hook=_one_entry(value)).run()
    assert [r["clipped"] for r in result.history] == [clipped, clipped]
    assert all(r["grad_norm"] == value for r in result.history)


def _params(trainer):
    return trainer.network.get_params()


def _assert_same_run(a, b):
    pa, pb = _params(a), _params(b)
    assert pa.keys() == pb.keys()
    for k in pa:
        assert np.array_equal(pa[k], pb[k]), k  # bitwise, not approximately
    sa, sb = a.optimiser.state_dict(), b.optimiser.state_dict()
    assert sa["steps"] == sb["steps"]
    for name in sa["state"]:
        for slot in sa["state"][name]:
            assert np.array_equal(sa["state"][name][slot], sb["state"][name][slot])


def test_stopping_and_resuming_gives_bitwise_the_same_run(tmp_path):
    whole = Trainer(TrainConfig(**SMALL), tmp_path / "whole")
    whole.run()
    first = Trainer(TrainConfig(**SMALL), tmp_path / "parts")
    part = first.run(stop_at=13)
    assert part.step == 13 and not part.finished
    second = Trainer.resume(tmp_path / "parts")
    assert second.step == 13
    second.run()
    _assert_same_run(whole, second)
    # The metrics are the same too (evaluation data does not depend on the interruption).
    assert _lines(tmp_path / "whole" / METRICS_FILE) == _lines(tmp_path / "parts" / METRICS_FILE)


def test_resuming_after_a_crash_replays_from_the_last_checkpoint(tmp_path):
    whole = Trainer(TrainConfig(**SMALL))
    whole.run()

    def crash(step, grads):
        if step == 17:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Trainer(TrainConfig(**SMALL), tmp_path, gradient_hook=crash).run()
    assert load_checkpoint(tmp_path / CHECKPOINT_FILE).step == 14
    assert [r["step"] for r in read_metrics(tmp_path)][-1] == 16
    resumed = Trainer.resume(tmp_path)
    resumed.run()
    _assert_same_run(whole, resumed)
    assert [r["step"] for r in read_metrics(tmp_path)] == list(range(1, 31))


def test_resume_can_extend_the_run(tmp_path):
    longer = Trainer(TrainConfig(**dict(SMALL, steps=40)))
    longer.run()
    train(TrainConfig(**SMALL), tmp_path)
    more = Trainer.resume(tmp_path, steps=40)
    more.run()
    _assert_same_run(longer, more)


def test_resume_refuses_another_configuration(tmp_path):
    Trainer(TrainConfig(**SMALL), tmp_path).run(stop_at=7)
    with pytest.raises(CheckpointError, match=r"checkpoint\.npz.*another configuration.*hidden"):
        Trainer.resume(tmp_path, config=TrainConfig(**dict(SMALL, hidden=9)))
    # Bookkeeping options may change.
    Trainer.resume(tmp_path, config=TrainConfig(**dict(SMALL, eval_every=5)))


def test_resume_refuses_a_foreign_file(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(CheckpointError, match="other.npz"):
        Trainer.resume(path)


def test_fresh_trainer_refuses_a_folder_with_a_run(tmp_path):
    train(TrainConfig(**dict(SMALL, steps=3)), tmp_path)
    with pytest.raises(InvalidValueError, match="already holds a run"):
        Trainer(TrainConfig(**SMALL), tmp_path)
    Trainer(TrainConfig(**SMALL), tmp_path, overwrite=True).run()
    assert len(read_metrics(tmp_path)) == 30


def test_injected_nonfinite_gradient_is_survived_and_logged(tmp_path):
    cfg = TrainConfig(**SMALL)
    result = Trainer(cfg, tmp_path, gradient_hook=inject_nonfinite(step=12)).run()
    assert result.finished and result.step == 30
    [event] = result.recoveries
    assert event["event"] == "recovery" and event["step"] == 12
    assert event["rolled_back_to"] == 7  # the last checkpoint
    assert event["lr"] == cfg.lr * cfg.recovery_factor
    logged = [r for r in read_metrics(tmp_path) if r.get("event") == "recovery"]
    assert logged == [event]
    assert all(r["lr"] == event["lr"] for r in result.history if r.get("step", 0) > 12)
    assert all(np.isfinite(p).all() for p in _params_of(tmp_path).values())
    assert json.loads((tmp_path / SUMMARY_FILE).read_text())["recoveries"] == 1


def _params_of(run_dir):
    return load_checkpoint(run_dir / CHECKPOINT_FILE).params


def test_recovery_from_a_nonfinite_loss_in_the_forward_pass():
    # A huge (finite) gradient step on the output layer makes the next loss overflow.
    cfg = TrainConfig(**dict(SMALL, optimiser="sgd", lr=0.1, clip=None))
    hook = inject_nonfinite(step=5, name="out.W_y", value=1e300)
    result = Trainer(cfg, gradient_hook=hook).run()
    assert result.finished
    assert [e["step"] for e in result.recoveries] == [6]
    assert (
        "loss" in result.recoveries[0]["reason"] or "non-finite" in result.recoveries[0]["reason"]
    )


def test_recovery_gives_up_after_max_recoveries():
    hook = inject_nonfinite(step=3, times=100)
    cfg = TrainConfig(**dict(SMALL, max_recoveries=2))
    with pytest.raises(NonFiniteError, match="diverged at step 3 .* after 2 recoveries"):
        Trainer(cfg, gradient_hook=hook).run()


def test_progress_bar_shows_loss_and_gradient_norm(capsys):
    Trainer(TrainConfig(**dict(SMALL, steps=10)), progress=True).run()
    err = capsys.readouterr().err
    assert "loss=" in err and "gnorm=" in err


@pytest.mark.parametrize(
    "changes",
    [
        {"cell": "gru", "variant": "torch", "update_bias": 1.0},
        {"cell": "gru", "variant": "minimal"},
        {"cell": "irnn"},
        {"cell": "rnn", "activation": "sigmoid", "init": "gaussian", "spectral_radius": 0.9},
        {"cell": "lstm", "peephole": True, "forget_gate": False},
        {"cell": "lstm", "layers": 2, "residual": True, "truncation": (2, 5)},
        {"cell": "rnn", "optimiser": "sgd", "momentum": 0.9, "clip_mode": "value", "clip": 0.1},
        {"cell": "rnn", "norm_mode": "torch", "init": "identity", "spectral_norm": 0.5},
        {"task": "temporal_order", "task_kwargs": {"length": 20}},
        {"task": "charlm", "task_kwargs": {"length": 10}},
    ],
)
def test_every_fix_can_be_switched_on(changes):
    result = train(TrainConfig(**dict(SMALL, steps=4, **changes)))
    assert result.finished and math.isfinite(result.train_loss)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"cell": "transformer"}, UnknownNameError, "unknown cell 'transformer'"),
        ({"task": "sorting"}, UnknownNameError, "unknown task 'sorting'"),
        ({"init": "xavier"}, UnknownNameError, "unknown init"),
        ({"optimiser": "rmsprop"}, UnknownNameError, "unknown optimiser"),
        ({"task_kwargs": {"length": 0}}, InvalidValueError, "length"),
        ({"task_kwargs": {"length": -5}}, InvalidValueError, "length"),
        ({"hidden": 0}, InvalidValueError, "hidden"),
        ({"layers": -1}, InvalidValueError, "layers"),
        ({"batch": 0}, InvalidValueError, "batch"),
        ({"steps": 0}, InvalidValueError, "steps"),
        ({"lr": 0.0}, InvalidValueError, "lr"),
        ({"lr": -1e-3}, InvalidValueError, "lr"),
        ({"lr": float("nan")}, InvalidValueError, "lr"),
        ({"clip": 0.0}, InvalidValueError, "clip"),
        ({"truncation": 0}, InvalidValueError, "truncation"),
        ({"truncation": (5, 2)}, InvalidValueError, "k1"),
        ({"forget_bias": 1.0, "cell": "rnn"}, InvalidValueError, "forget_bias"),
        ({"update_bias": 1.0}, InvalidValueError, "update_bias"),
        ({"residual": True}, InvalidValueError, "residual"),
        ({"momentum": 0.9}, InvalidValueError, "momentum"),
        ({"seed": -1}, InvalidValueError, "seed"),
        ({"cell": "irnn", "activation": "tanh"}, InvalidValueError, "irnn"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, changes, error, message):
    with pytest.raises(error, match=message):
        Trainer(TrainConfig(**dict(SMALL, **changes)), tmp_path / "run")
    assert not (tmp_path / "run").exists()
