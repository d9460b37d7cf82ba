"""Where an analysed trajectory starts (issue 26): a network without input started at
zeros sits at its fixed point, and the analysis says so instead of presenting the fixed
point's exponent (ln ρ(W)) as the dynamics'; from a random state the same network is on
its chaotic attractor. States come as the model takes them, as torch tensors, or in
PyTorch's (layers · directions, B, N) layout."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym.cli import main
from gradsym.errors import InvalidValueError, UnknownNameError
from gradsym.numeric.analysis import analyze
from gradsym.numeric.analysis.data import no_inputs
from gradsym.numeric.analysis.initial import initial_state
from gradsym.numeric.cells.factory import make_cell
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.stacked import Stacked

GAIN, N = 2.2, 48


@pytest.fixture(scope="module")
def chaotic_rnn():
    """h⁽ᵗ⁾ = tanh(g W h⁽ᵗ⁻¹⁾) without bias or input, W_ij ~ N(0, 1/N), g = 2.2: chaotic."""
    rng = np.random.default_rng(3)
    cell = make_cell("rnn", None, 1, N, rng=0)
    cell.params["W_h"][...] = GAIN * rng.standard_normal((N, N)) / np.sqrt(N)
    cell.params["b"][...] = 0.0
    return cell


def test_from_zeros_the_autonomous_network_sits_at_its_fixed_point_and_is_warned_of(
    chaotic_rnn,
):
    xs = no_inputs(300, 2, 1).xs
    at_zero = analyze(chaotic_rnn, xs, k=1)
    rho = max(abs(np.linalg.eigvals(chaotic_rnn.params["W_h"])))
    # the exponent of the fixed point s = 0: ln ρ(W), to the QR method's accuracy
    assert abs(at_zero.lambda_max - np.log(rho)) < 1e-3
    [warning] = at_zero.warnings
    assert "sits at a fixed point" in warning and "state0='random'" in warning
    assert at_zero.settings["initial_state"] == "zeros"
    # from a random state the trajectory is on the attractor: chaotic, far below ln ρ(W)
    moving = analyze(chaotic_rnn, xs, k=1, state0="random")
    assert moving.warnings == [] and moving.settings["initial_state"] == "random"
    assert 0.05 < moving.lambda_max < np.log(rho) - 0.3
    assert "warnings" in moving.to_dict()


def test_a_random_initial_state_is_seeded_and_structured_like_the_model():
    lstm = make_cell("lstm", None, 2, 3, rng=0)
    h, c = initial_state(lstm, 4, "random", seed=1)
    assert h.shape == c.shape == (4, 3) and np.all(np.abs(h) < 1)
    np.testing.assert_array_equal(initial_state(lstm, 4, "random", seed=1)[0], h)
    assert not np.array_equal(initial_state(lstm, 4, "random", seed=2)[0], h)
    assert initial_state(lstm, 4, "zeros") is None and initial_state(lstm, 4, None) is None


def _stacked_bidirectional() -> Stacked:
    layers = [
        Bidirectional(make_cell("lstm", None, 2, 3, rng=0), make_cell("lstm", None, 2, 3, rng=1)),
        Bidirectional(make_cell("lstm", None, 6, 3, rng=2), make_cell("lstm", None, 6, 3, rng=3)),
    ]
    return Stacked(layers)


def test_pytorchs_layout_is_the_models_state_cell_by_cell():
    model = _stacked_bidirectional()
    rng = np.random.default_rng(0)
    h0, c0 = rng.uniform(-1, 1, (4, 5, 3)), rng.uniform(-1, 1, (4, 5, 3))
    state = initial_state(model, 5, (h0, c0))
    # layer l, direction k is torch's entry l · 2 + k
    for layer in range(2):
        for direction in range(2):
            h, c = state[layer][direction]
            np.testing.assert_array_equal(h, h0[2 * layer + direction])
            np.testing.assert_array_equal(c, c0[2 * layer + direction])
    xs = rng.standard_normal((6, 5, 2))
    assert model.forward(xs, state).h.shape == (6, 5, 6)  # the model takes it as its state
    with pytest.raises(InvalidValueError, match=r"of shape \(4, B, N\) for this model of 2"):
        initial_state(model, 5, (h0[:3], c0[:3]))


def test_a_torch_tensor_is_read_as_the_same_state():
    torch = pytest.importorskip("torch", reason="torch tensors as initial states")
    model = _stacked_bidirectional()
    h0 = np.random.default_rng(1).uniform(-1, 1, (4, 5, 3))
    c0 = -h0
    from_numpy = initial_state(model, 5, (h0, c0))
    from_torch = initial_state(model, 5, (torch.tensor(h0), torch.tensor(c0)))
    for a, b in zip(_leaves(from_numpy), _leaves(from_torch), strict=True):
        assert b.dtype == np.float64
        np.testing.assert_array_equal(a, b)


def _leaves(state):
    if isinstance(state, np.ndarray):
        return [state]
    return [leaf for s in state for leaf in _leaves(s)]


def test_bad_initial_states_are_refused_naming_the_problem(chaotic_rnn):
    with pytest.raises(UnknownNameError, match="initial state 'ones'"):
        initial_state(chaotic_rnn, 2, "ones")
    with pytest.raises(InvalidValueError, match="NaN or Inf"):
        initial_state(chaotic_rnn, 2, np.full((2, N), np.nan))


def test_the_command_line_analyses_an_autonomous_network_from_a_given_state(
    chaotic_rnn, tmp_path, capsys
):
    from gradsym.numeric.train import TrainConfig, Trainer

    config = TrainConfig(
        cell="rnn", task="adding", task_kwargs={"length": 20}, hidden=4, batch=4, steps=1,
        eval_every=1, eval_batch=8, checkpoint_every=1,
    )  # fmt: skip
    Trainer(config, tmp_path / "run", progress=False).run()
    np.savez(tmp_path / "s.npz", h=np.full((8, 4), 0.5))
    args = ["analyze", str(tmp_path / "run"), "--autonomous", "--steps", "60", "--batch", "8"]
    args += ["--out", str(tmp_path / "out"), "--no-progress"]
    assert main([*args, "--state0", str(tmp_path / "s.npz")]) == 0
    out = capsys.readouterr().out
    assert "no input (x = 0: the autonomous network), T = 60, B = 8, d = 2" in out
    assert main([*args, "--state0", "ones"]) == 2
    assert "--state0 must be zeros, random, or a .npy / .npz file" in capsys.readouterr().err
    np.savez(tmp_path / "bad.npz", w=np.zeros(3))
    assert main([*args, "--state0", str(tmp_path / "bad.npz")]) == 2
    assert "a .npz holds arrays named h (and c)" in capsys.readouterr().err
