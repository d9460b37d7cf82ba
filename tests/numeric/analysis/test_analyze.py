"""``gradsym.analyze`` and ``gradsym.compare``: every layer and direction, every input kind,
the displays, and the trained models of the adding problem side by side."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numeric.analysis.reference import ANALYSIS_LENGTH, TRAINING

import gradsym
from gradsym.errors import InvalidValueError, ShapeError, UnknownNameError
from gradsym.numeric.analysis import task_inputs
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network
from gradsym.numeric.nets.stacked import Stacked


def test_every_layer_and_direction_is_a_unit_driven_by_what_it_reads(rng):
    stack = Stacked(
        [Bidirectional(LSTM(3, 4, rng=1), GRU(3, 4, rng=2)), RNN(8, 8, rng=3), RNN(8, 8, rng=4)],
        residual=True,
    )
    xs = rng.standard_normal((30, 3, 3))
    analysis = gradsym.analyze(stack, xs)
    names = [u.name for u in analysis.units]
    assert names == ["layer0.fwd", "layer0.bwd", "layer1", "layer2"]
    assert analysis.unit("layer0.bwd").reversed and not analysis.unit("layer1").reversed
    # layer 2 reads y₁ = h₁ + y₀ (the residual sum), exactly as the stack computes it
    trace = stack.forward(xs)
    alone = gradsym.analyze(stack.layers[2], trace.outputs[1])
    np.testing.assert_array_equal(
        alone.unit("cell").lyapunov.exponents, analysis.unit("layer2").lyapunov.exponents
    )
    # the backward direction reads the sequence reversed
    bwd = gradsym.analyze(stack.layers[0].cells[1], xs[::-1].copy())
    np.testing.assert_array_equal(
        bwd.unit("cell").flow.log_norms, analysis.unit("layer0.bwd").flow.log_norms
    )
    # the model's λ₁ is the largest of its units' (block-triangular Jacobian)
    assert analysis.lambda_max == max(u.lyapunov.lambda_max for u in analysis.units)
    with pytest.raises(UnknownNameError, match="unknown unit 'layer9'"):
        analysis.unit("layer9")


def test_a_stack_spectrum_is_the_union_of_its_layers(rng):
    """The whole stack's Jacobian (Stacked.state_jacobian) has the layers' exponents."""
    from gradsym.numeric.nets.spans import step_jacobians

    stack = Stacked([RNN(2, 3, rng=1), RNN(3, 3, rng=2)])
    xs = rng.standard_normal((200, 2, 2))
    analysis = gradsym.analyze(stack, xs, transient=50)
    union = np.sort(np.concatenate([u.lyapunov.exponents for u in analysis.units]))[::-1]
    Js, _ = step_jacobians(stack, xs)
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((2, 6, 6)))[0]
    total = np.zeros((2, 6))
    for t in range(200):
        Q, R = np.linalg.qr(Js[t] @ Q)
        if t >= 50:
            total += np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
    whole = (total / 150).mean(axis=0)
    np.testing.assert_allclose(np.sort(whole)[::-1], union, atol=2e-2)


def test_a_float32_model_is_analysed_in_float64(rng):
    cell32 = LSTM(3, 4, dtype=np.float32, rng=1)
    cell64 = LSTM(3, 4, rng=1)
    cell64.load_params({k: v.astype(np.float64) for k, v in cell32.params.items()})
    xs = rng.standard_normal((40, 2, 3))
    a, b = gradsym.analyze(cell32, xs), gradsym.analyze(cell64, xs)
    np.testing.assert_array_equal(a.units[0].lyapunov.exponents, b.units[0].lyapunov.exponents)
    assert a.inferred["dtype"] == "float32"


def test_networks_training_results_and_default_inputs(rng):
    from gradsym.numeric.train import TrainConfig, Trainer

    result = Trainer(
        TrainConfig(cell="gru", task="adding", task_kwargs={"length": 25}, hidden=4, steps=2,
                    batch=4, eval_every=2, eval_batch=4, seed=0)
    ).run()  # fmt: skip
    analysis = gradsym.analyze(result)  # default inputs: its own task
    assert analysis.data["task"] == "adding" and analysis.data["shape"] == [25, 32, 2]
    net = Network(RNN(2, 3), Linear(3, 1))
    gaussian = gradsym.analyze(net)  # no task known: Gaussian inputs
    assert gaussian.data["kind"] == "gaussian" and gaussian.data["shape"] == [200, 32, 2]


def test_a_batch_first_torch_module_reads_batch_first_inputs(rng):
    torch = pytest.importorskip("torch", reason="needs torch")
    module = torch.nn.GRU(3, 4, batch_first=True, dtype=torch.float64)
    xs = rng.standard_normal((20, 2, 3))  # time-major
    time_major = gradsym.analyze(gradsym.from_torch(module).model, xs)  # the cell itself
    xs_bf = xs.transpose(1, 0, 2).copy()
    batch_first = gradsym.analyze(module, torch.from_numpy(xs_bf))
    # from_torch keeps the module's layout: its BatchFirst model reads (B, T, d) too.
    wrapped = gradsym.analyze(gradsym.from_torch(module), xs_bf)
    for other in (batch_first, wrapped):
        np.testing.assert_array_equal(
            time_major.units[0].lyapunov.exponents, other.units[0].lyapunov.exponents
        )


def test_inputs_of_the_wrong_width_are_refused(rng):
    with pytest.raises(ShapeError, match="input width d = 2 does not match the input size 3"):
        gradsym.analyze(LSTM(3, 4), rng.standard_normal((10, 2, 2)))
    with pytest.raises(InvalidValueError, match="transient \\(10 steps\\) leaves no step"):
        gradsym.analyze(LSTM(3, 4), rng.standard_normal((10, 2, 3)), transient=10)
    with pytest.raises(InvalidValueError, match="max_lag = 11 is longer"):
        gradsym.analyze(LSTM(3, 4), rng.standard_normal((10, 2, 3)), max_lag=11)


def test_the_displays(rng):
    analysis = gradsym.analyze(LSTM(3, 4), rng.standard_normal((60, 4, 3)), label="my lstm")
    text = repr(analysis)
    assert text.startswith("Analysis('my lstm': LSTM 3→4; λ₁ = −") and "\n" not in text
    md = analysis._repr_markdown_()
    assert md.count("\n| my lstm | cell | LSTM 3→4 |") == 1 and "1/\\|λ₁\\|" in md
    html = analysis._repr_html_()
    assert html.startswith("<table>") and "<td>my lstm</td>" in html and "∏ f = " in html
    d = json.loads(json.dumps(analysis.to_dict()))  # plain Python all the way down
    unit = d["units"][0]
    assert unit["lyapunov"]["exponents"] == list(analysis.units[0].lyapunov.exponents)
    assert unit["lyapunov"]["settings"]["transient"] == 12
    assert d["settings"]["max_lag"] == 60 and d["data"]["summary"].startswith("array, T = 60")


def test_compare_labels_models_and_keeps_labels_unique(rng):
    xs = rng.standard_normal((30, 2, 3))
    c = gradsym.compare([LSTM(3, 4, rng=1), LSTM(3, 4, rng=2)], xs)
    assert [a.label for a in c.analyses] == ["LSTM 3→4 [1]", "LSTM 3→4 [2]"]
    c = gradsym.compare({"a": RNN(3, 4), "b": GRU(3, 4)}, xs)
    assert c["b"].units[0].cell == "GRU(textbook) 3→4"
    assert repr(c).startswith("Comparison(a: λ₁ = ") and len(c.rows()) == 2
    with pytest.raises(UnknownNameError, match="unknown model 'c'"):
        c["c"]
    with pytest.raises(ShapeError, match="input size 2 of model 'x'"):
        gradsym.compare({"a": RNN(3, 4), "x": RNN(2, 4)}, xs)


def test_the_trained_lstm_remembers_longer_than_the_tanh_rnn(trained_pair):
    """Trained the same way on the adding problem (forget-gate bias 1 for the LSTM), the
    LSTM solves it and its memory horizon 1/|λ₁| is longer than the tanh RNN's, which
    stays at the trivial baseline (the comparison of the README)."""
    lstm, rnn = trained_pair
    assert lstm.eval_loss < 0.1 * lstm.baseline  # trained: far below the trivial baseline
    assert rnn.eval_loss > 0.5 * rnn.baseline  # the tanh RNN does not learn the task
    inputs = task_inputs(TRAINING["task"], {"length": ANALYSIS_LENGTH}, batch=16, seed=0)
    c = gradsym.compare({"lstm": lstm, "rnn": rnn}, inputs, flow_sequences=8)
    horizon = {a.label: a.horizon for a in c.analyses}
    assert horizon["lstm"] > 10 * horizon["rnn"]
    assert c["lstm"].lambda_max < 0 and c["rnn"].lambda_max < 0  # both forget, at their rates
    assert math.isfinite(horizon["lstm"])
