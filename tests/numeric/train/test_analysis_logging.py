"""The trainer's analysis probe: λ₁ and the lag-50 norm every ``analysis_every`` steps in
metrics.jsonl, without changing the training; and the trained network in the result."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym.errors import InvalidValueError
from gradsym.numeric.analysis.probe import probe
from gradsym.numeric.train import TrainConfig, Trainer, read_metrics

BASE = {
    "cell": "lstm", "task": "adding", "task_kwargs": {"length": 60}, "hidden": 4, "batch": 4,
    "steps": 6, "eval_every": 6, "eval_batch": 4, "checkpoint_every": 2, "seed": 3,
}  # fmt: skip
KEYS = ("lyapunov_max", "lyapunov_max_se", "jacobian_norm", "jacobian_norm_lag")


def test_every_k_steps_the_metrics_hold_lambda_max_and_the_lag_50_norm(tmp_path):
    trainer = Trainer(TrainConfig(**BASE, analysis_every=3), tmp_path / "run")
    result = trainer.run()
    records = [r for r in read_metrics(tmp_path / "run") if "step" in r]
    probed = [r["step"] for r in records if "lyapunov_max" in r]
    assert probed == [3, 6] and len(records) == 6
    last = records[-1]
    assert last["jacobian_norm_lag"] == 50
    assert last["lyapunov_max"] < 0 and last["lyapunov_max_se"] > 0 and last["jacobian_norm"] > 0
    # the logged numbers are the probe's on the trained network, on the probe's own data
    again = trainer.analysis_probe(6)
    assert {k: last[k] for k in KEYS} == again
    assert result.network is trainer.network


def test_the_probe_does_not_change_the_training(tmp_path):
    plain = Trainer(TrainConfig(**BASE)).run()
    probed = Trainer(TrainConfig(**BASE, analysis_every=2)).run()
    assert [r["loss"] for r in plain.history] == [r["loss"] for r in probed.history]
    for k, v in plain.network.params.items():
        np.testing.assert_array_equal(v, probed.network.params[k])


def test_a_resumed_run_logs_what_an_uninterrupted_one_logs(tmp_path):
    whole = Trainer(TrainConfig(**BASE, analysis_every=2), tmp_path / "a")
    whole.run()
    cut = Trainer(TrainConfig(**BASE, analysis_every=2), tmp_path / "b")
    cut.run(stop_at=4)
    Trainer.resume(tmp_path / "b").run()
    assert read_metrics(tmp_path / "a") == read_metrics(tmp_path / "b")


def test_the_probe_takes_the_top_layer_and_a_short_sequence(rng):
    from gradsym.numeric.cells.gru import GRU
    from gradsym.numeric.nets.stacked import Stacked

    stack = Stacked([GRU(2, 3, rng=1), GRU(3, 3, rng=2)])
    found = probe(stack, rng.standard_normal((20, 4, 2)))
    assert found["jacobian_norm_lag"] == 20  # min(50, T)
    assert found["lyapunov_max"] < 0


@pytest.mark.parametrize("value", [0, -2, True, 1.5, "3"])
def test_a_bad_analysis_every_is_refused(value):
    with pytest.raises(InvalidValueError, match="analysis_every must be a positive integer"):
        TrainConfig(**BASE, analysis_every=value)
