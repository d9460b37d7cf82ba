"""from_torch / to_torch: a torch module and its gradsym twin give the same outputs and the
same gradients for the input, the initial state and every parameter (float64)."""

import numpy as np
import pytest
from tolerances import tol

torch = pytest.importorskip(
    "torch", reason="torch is the outside reference; pip install torch==2.13.0"
)

from gradsym.errors import InvalidValueError
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.torch_exchange import (
    from_torch,
    state_from_torch,
    state_to_torch,
    to_torch,
    torch_gradients,
)

MODULES = [
    ("RNN", {"nonlinearity": "tanh"}),
    ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {}),
    ("GRU", {}),
]


def rel_err(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def torch_module(kind, kwargs, layers, bidirectional, seed=0):
    torch.manual_seed(seed)
    m = getattr(torch.nn, kind)(
        3, 4, num_layers=layers, bidirectional=bidirectional, dtype=torch.float64, **kwargs
    )
    with torch.no_grad():  # distinct, clearly non-zero b_ih and b_hh
        for name, p in m.named_parameters():
            if name.startswith("bias"):
                p.copy_(torch.randn_like(p))
    return m


@pytest.mark.parametrize("kind, kwargs", MODULES, ids=lambda v: str(v))
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_same_outputs_and_gradients_as_torch(kind, kwargs, layers, bidirectional, rng):
    m = torch_module(kind, kwargs, layers, bidirectional)
    model = from_torch(m)
    T, B, dirs = 5, 2, 2 if bidirectional else 1
    xs = rng.standard_normal((T, B, 3))
    h0 = rng.standard_normal((layers * dirs, B, 4))
    c0 = rng.standard_normal((layers * dirs, B, 4)) if kind == "LSTM" else None
    g_out = rng.standard_normal((T, B, 4 * dirs))

    tx = torch.tensor(xs, requires_grad=True)
    th0 = torch.tensor(h0, requires_grad=True)
    tc0 = torch.tensor(c0, requires_grad=True) if c0 is not None else None
    out, _ = m(tx, (th0, tc0) if kind == "LSTM" else th0)
    out.backward(torch.tensor(g_out))

    state0 = state_from_torch(model, h0, c0)
    trace = model.forward(xs, state0)
    g = model.backward(trace, g_out)

    assert rel_err(trace.h, out.detach().numpy()) < tol("exact")
    assert rel_err(g.dxs, tx.grad.numpy()) < tol("exact")
    dstate = state_to_torch(model, g.dstate0)
    assert rel_err(dstate[0], th0.grad.numpy()) < tol("exact")
    if kind == "LSTM":
        assert rel_err(dstate[1], tc0.grad.numpy()) < tol("exact")
    ours = torch_gradients(model, g.params)
    theirs = {name: p.grad.numpy() for name, p in m.named_parameters()}
    assert ours.keys() == theirs.keys()
    for name, grad in theirs.items():
        assert rel_err(ours[name], grad) < tol("exact"), name


@pytest.mark.parametrize("kind, kwargs", MODULES, ids=lambda v: str(v))
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
def test_to_torch_round_trip(kind, kwargs, layers, bidirectional, rng):
    m = torch_module(kind, kwargs, layers, bidirectional, seed=1)
    back = to_torch(from_torch(m))
    x = torch.tensor(rng.standard_normal((4, 2, 3)))
    np.testing.assert_allclose(
        back(x)[0].detach().numpy(), m(x)[0].detach().numpy(), rtol=1e-13, atol=1e-15
    )


def test_float32_modules_give_float32_models():
    m = torch.nn.LSTM(3, 4)
    assert from_torch(m).dtype == np.float32


def test_a_wrong_mapping_is_caught(rng):
    # The comparison must be able to fail: swap two LSTM gates and the outputs differ.
    m = torch_module("LSTM", {}, 1, False)
    model = from_torch(m)
    model.params["W_f"][...], model.params["W_i"][...] = (
        model.params["W_i"].copy(),
        model.params["W_f"].copy(),
    )
    xs = rng.standard_normal((5, 2, 3))
    out, _ = m(torch.tensor(xs))
    assert rel_err(model.forward(xs).h, out.detach().numpy()) > 1e-3


def test_cells_without_torch_counterpart_are_refused():
    for model, what in [
        (LSTM(3, 4, peephole=True), "peephole"),
        (LSTM(3, 4, forget_gate=False), "forget gate"),
        (GRU(3, 4, variant="textbook"), "textbook"),
        (RNN(3, 4, "sigmoid"), "sigmoid"),
    ]:
        with pytest.raises(InvalidValueError, match=what):
            to_torch(model)
    with pytest.raises(InvalidValueError, match="proj_size"):
        from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(InvalidValueError, match="torch.nn.RNN, LSTM or GRU"):
        from_torch(torch.nn.Linear(3, 4))
