"""The contract every registered cell keeps, run over the registry: a new cell is tested by
being registered (as scikit-learn's check_estimator runs over every estimator).

For every (cell, variant) with a NumPy facet — the notes' built-in cells in each variant
and the library's cells declared by their equations:

- forward: the trace holds (T, B, n) states, finite, and step 1 is ``step``;
- backward: every gradient (input, initial state, each parameter) against central
  differences of a random linear loss;
- state Jacobian: ∂s/∂s and ∂s/∂x against central differences of the step, and against the
  symbolic Jacobian of the registry's equations, lambdified;
- PyTorch: where the registry names a torch.nn module for the variant, to_torch and back
  gives the same parameters and the same outputs;
- training: one step of a network with a linear read-out lowers the loss along the
  gradient, and a TrainConfig naming the cell trains a step.

Sizes are tiny (d = 2, n = 3, T = 3, B = 2): the checks are about the algebra, not speed.
"""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import tol

from gradsym.cells import entries, get
from gradsym.numeric.cells.factory import make_cell
from gradsym.numeric.gradcheck import check_cell_gradients, check_state_jacobian
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network

D, N, T, B = 2, 3, 3, 2

CASES = [
    (e.name, v) for e in entries(["builtin", "library"]) if e.numpy is not None for v in e.variants
]


def _ids(case):
    return "-".join(case)


def _input_is_hidden(name: str) -> bool:
    """Whether the cell adds its input to its state (+RNN, the RG-LRU): then d = n."""
    return (get(name).shapes or {}).get("x") == "n"


@pytest.fixture(params=CASES, ids=_ids)
def case(request):
    name, variant = request.param
    d = N if _input_is_hidden(name) else D
    cell = make_cell(name, variant, d, N, rng=np.random.default_rng(7))
    return name, variant, cell, d


def _inputs(cell, d, rng):
    xs = rng.standard_normal((T, B, d))
    state = tuple(0.5 * rng.standard_normal((B, N)) for _ in cell.state_names)
    return xs, state


def test_forward_shapes_and_first_step(case, rng):
    name, variant, cell, d = case
    assert (cell.name, cell.variant) == (name, variant)
    xs, state = _inputs(cell, d, rng)
    trace = cell.forward(xs, state)
    assert trace.h.shape == (T, B, N) and np.all(np.isfinite(trace.h))
    first, _ = cell.step(xs[0], state)
    np.testing.assert_allclose(first[0], trace.h[0], rtol=1e-13, atol=1e-15)


def test_backward_against_central_differences(case, rng):
    _, _, cell, d = case
    xs, state = _inputs(cell, d, rng)
    for check in check_cell_gradients(cell, xs, state, rng):
        assert check.ok(tol("gradcheck")), str(check)


def test_state_jacobian_against_differences_and_the_symbolic_one(case, rng):
    name, variant, cell, d = case
    xs, state = _inputs(cell, d, rng)
    for check in check_state_jacobian(cell, xs[0], state):
        assert check.ok(tol("jacobian")), str(check)
    from gradsym.symbolic import jacobian

    J_ss, J_sx = cell.state_jacobian(xs[0], state)
    symbolic_variant = None if variant == "declared" else variant
    params = {k: np.asarray(v) for k, v in cell.params.items()}
    packed = state[0] if len(state) == 1 else state
    for wrt, numeric in (("state", J_ss), ("x", J_sx)):
        f = jacobian(name, "state", wrt, variant=symbolic_variant).lambdify()
        np.testing.assert_allclose(f(params, xs[0], packed), numeric, rtol=1e-10, atol=1e-12)


def test_torch_round_trip_where_torch_computes_the_cell(case, rng):
    name, variant, cell, d = case
    from gradsym.cells import get

    form = get(name).torch
    if form is None or variant not in form.variants:
        pytest.skip(f"torch.nn has no module computing {name} ({variant})")
    pytest.importorskip("torch")
    from gradsym.numeric.torch_exchange import from_torch, to_torch

    back = from_torch(to_torch(cell))
    assert type(back) is type(cell) and back.variant == cell.variant
    for key, value in cell.params.items():
        np.testing.assert_allclose(back.params[key], value, rtol=1e-15, atol=1e-15)
    xs, state = _inputs(cell, d, rng)
    np.testing.assert_allclose(back.forward(xs, state).h, cell.forward(xs, state).h, rtol=1e-13)


def test_one_training_step_lowers_the_loss(case, rng):
    _, _, cell, d = case
    net = Network(cell, Linear(N, 1, rng=rng), loss="mse", where="last")
    xs, state = _inputs(cell, d, rng)
    targets = rng.standard_normal((B, 1))
    before = net.loss_and_grads(xs, targets, state)
    assert np.isfinite(before.loss)
    step = 1e-3 / max(np.sqrt(sum(float((g * g).sum()) for g in before.grads.values())), 1e-12)
    for key, g in before.grads.items():
        net.params[key][...] -= step * g
    after = net.loss_and_grads(xs, targets, state)
    assert after.loss < before.loss


@pytest.mark.parametrize(
    "name", [e.name for e in entries(["builtin", "library"]) if e.numpy is not None]
)
def test_training_builds_and_steps_every_cell_by_name(name):
    from gradsym import TrainConfig, Trainer

    if _input_is_hidden(name):
        pytest.skip(f"{name} adds its input to the state: the adding task's 2 inputs are not n")
    config = TrainConfig(
        cell=name,
        task="adding",
        task_kwargs={"length": 20},
        hidden=4,
        steps=1,
        batch=2,
        eval_every=1,
        eval_batch=2,
        checkpoint_every=1,
    )
    result = Trainer(config, run_dir=None, progress=False).run()
    assert np.isfinite(result.train_loss)


def test_the_contract_rejects_a_wrong_cell(rng):
    """A cell whose backward pass or state Jacobian is off fails the contract."""
    from gradsym.numeric.cells.rnn import RNN

    class WrongBackward(RNN):
        def _backward(self, trace, direct, final):
            grads = super()._backward(trace, direct, final)
            grads.params["W_h"] *= 1.01
            return grads

    class WrongJacobian(RNN):
        def _state_jacobian(self, x, state):
            J_ss, J_sx = super()._state_jacobian(x, state)
            return J_ss.transpose(0, 2, 1), J_sx

    wrong = WrongBackward(D, N, rng=np.random.default_rng(7))
    with pytest.raises(AssertionError, match="W_h"):
        test_backward_against_central_differences(("rnn", "tanh", wrong, D), rng)
    wrong = WrongJacobian(D, N, rng=np.random.default_rng(7))
    with pytest.raises(AssertionError):
        test_state_jacobian_against_differences_and_the_symbolic_one(("rnn", "tanh", wrong, D), rng)
