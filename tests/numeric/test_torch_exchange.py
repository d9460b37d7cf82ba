"""from_torch / to_torch: a torch module and its gradsym twin give the same outputs and the
same gradients for the input, the initial state and every parameter (float64)."""

import numpy as np
import pytest
from tolerances import tol

torch = pytest.importorskip(
    "torch", reason="torch is the outside reference; pip install torch==2.13.0"
)

from gradsym.errors import GradsymWarning, InvalidValueError
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.batch_first import BatchFirst
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
        (LSTM(3, 4, forget_gate=False), "no_forget"),
        (GRU(3, 4, variant="textbook"), "textbook"),
        (RNN(3, 4, "sigmoid"), "sigmoid"),
    ]:
        with pytest.raises(InvalidValueError, match=what):
            to_torch(model)
    with pytest.raises(InvalidValueError, match="proj_size"):
        from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(InvalidValueError, match="torch.nn.RNN, LSTM, GRU, RNNCell"):
        from_torch(torch.nn.Linear(3, 4))


# -- batch_first: the same numbers in the module's own layout ---------------------------------


@pytest.mark.parametrize("kind, kwargs", MODULES, ids=lambda v: str(v))
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
def test_batch_first_modules_give_the_same_numbers_batch_first(
    kind, kwargs, layers, bidirectional, rng
):
    torch.manual_seed(2)
    m = getattr(torch.nn, kind)(
        3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=True,
        dtype=torch.float64, **kwargs,
    )  # fmt: skip
    model = from_torch(m)
    assert isinstance(model, BatchFirst)
    B, T, dirs = 2, 5, 2 if bidirectional else 1
    xs = rng.standard_normal((B, T, 3))  # batch first, as the module reads it
    g_out = rng.standard_normal((B, T, 4 * dirs))
    tx = torch.tensor(xs, requires_grad=True)
    out, _ = m(tx)
    out.backward(torch.tensor(g_out))

    trace = model.forward(xs)
    g = model.backward(trace, g_out)
    assert trace.h.shape == (B, T, 4 * dirs)
    assert rel_err(trace.h, out.detach().numpy()) < tol("exact")
    assert rel_err(g.dxs, tx.grad.numpy()) < tol("exact")
    ours = torch_gradients(model, g.params)
    for name, p in m.named_parameters():
        assert rel_err(ours[name], p.grad.numpy()) < tol("exact"), name
    # ... and the way back keeps the layout
    back = to_torch(model)
    assert back.batch_first
    x = torch.tensor(rng.standard_normal((3, 6, 3)))
    assert rel_err(back(x)[0].detach().numpy(), m(x)[0].detach().numpy()) < tol("exact")


def test_batch_first_is_not_time_major(rng):
    """The mistake the wrapper prevents: batch-first data read as time-major differs."""
    torch.manual_seed(0)
    m = torch.nn.GRU(3, 4, batch_first=True, dtype=torch.float64)
    xs = rng.standard_normal((2, 5, 3))
    out = m(torch.tensor(xs))[0].detach().numpy()
    assert rel_err(from_torch(m).model.forward(xs).h, out) > 1e-2
    assert rel_err(from_torch(m).forward(xs).h, out) < tol("exact")


def test_a_batch_first_trace_keeps_the_time_major_one(rng):
    torch.manual_seed(0)
    model = from_torch(torch.nn.LSTM(3, 4, batch_first=True, dtype=torch.float64))
    trace = model.forward(rng.standard_normal((2, 5, 3)))
    assert trace.c.shape == (2, 5, 4) and trace.time_major.h.shape == (5, 2, 4)
    assert np.array_equal(trace.c[1, 3], trace.time_major.c[3, 1])
    assert model.params is model.model.params and model.hidden_size == 4


# -- torch's cells ---------------------------------------------------------------------------


CELLS = [
    ("RNNCell", {"nonlinearity": "tanh"}),
    ("RNNCell", {"nonlinearity": "relu"}),
    ("LSTMCell", {}),
    ("GRUCell", {}),
]


@pytest.mark.parametrize("kind, kwargs", CELLS, ids=lambda v: str(v))
def test_torch_cells_are_one_step_of_the_gradsym_cell(kind, kwargs, rng):
    torch.manual_seed(3)
    m = getattr(torch.nn, kind)(3, 4, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))
    cell = from_torch(m)
    x, h, c = (rng.standard_normal((2, k)) for k in (3, 4, 4))
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    lstm = kind == "LSTMCell"
    out = m(tx, (th, tc)) if lstm else m(tx, th)
    gh = rng.standard_normal((2, 4))
    gc = rng.standard_normal((2, 4))
    if lstm:
        (out[0] * torch.tensor(gh)).sum().add((out[1] * torch.tensor(gc)).sum()).backward()
    else:
        out.backward(torch.tensor(gh))

    state, trace = cell.step(x, (h, c) if lstm else h)
    assert rel_err(state[0], (out[0] if lstm else out).detach().numpy()) < tol("exact")
    d_state, dx, dparams = cell.step_backward(trace, (gh, gc) if lstm else (gh,))
    assert rel_err(dx, tx.grad.numpy()) < tol("exact")
    assert rel_err(d_state[0], th.grad.numpy()) < tol("exact")
    ours = torch_gradients(cell, dparams)
    assert ours.keys() == {name for name, _ in m.named_parameters()}  # weight_ih, not _l0
    for name, p in m.named_parameters():
        assert rel_err(ours[name], p.grad.numpy()) < tol("exact"), name
    back = to_torch(cell)  # a cell again
    assert type(back) is type(m)
    again = back(tx, (th, tc)) if lstm else back(tx, th)
    assert rel_err((again[0] if lstm else again).detach().numpy(), state[0]) < tol("exact")
    assert isinstance(to_torch(cell, cell=False), getattr(torch.nn, kind.removesuffix("Cell")))


def test_any_cell_goes_to_a_torch_cell_on_request():
    assert isinstance(to_torch(GRU(3, 4, variant="torch"), cell=True), torch.nn.GRUCell)
    assert isinstance(to_torch(GRU(3, 4, variant="torch")), torch.nn.GRU)
    with pytest.raises(InvalidValueError, match="only a single cell"):
        to_torch(from_torch(torch.nn.GRU(3, 4, num_layers=2)), cell=True)


# -- what cannot be reproduced ---------------------------------------------------------------


def test_dropout_in_training_mode_warns_and_eval_mode_agrees(rng):
    torch.manual_seed(0)
    m = torch.nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=torch.float64)
    with pytest.warns(GradsymWarning, match=r"no dropout.*dropout = 0.5.*module.eval\(\)"):
        model = from_torch(m)
    xs = rng.standard_normal((5, 2, 3))
    m.eval()
    assert rel_err(model.forward(xs).h, m(torch.tensor(xs))[0].detach().numpy()) < tol("exact")
    from_torch(m)  # in eval mode: the numbers agree, nothing to warn about (-W error)


def test_a_subclass_that_overrides_forward_is_refused():
    class Doubled(torch.nn.GRU):
        def forward(self, x, h=None):
            return super().forward(2 * x, h)

    class Named(torch.nn.GRU):  # only a new name: the same forward
        pass

    with pytest.raises(InvalidValueError, match="Doubled overrides forward"):
        from_torch(Doubled(3, 4))
    assert isinstance(from_torch(Named(3, 4)), GRU)

    class Cell(torch.nn.LSTMCell):
        def forward(self, x, hx=None):
            return super().forward(x, hx)

    with pytest.raises(InvalidValueError, match="torch.nn.LSTMCell's own forward"):
        from_torch(Cell(3, 4))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: torch.nn.RNN(3, 4, dtype=torch.bfloat16), "dtype torch.bfloat16.*module.double"),
        (lambda: torch.nn.GRU(3, 4, dtype=torch.float16), "dtype torch.float16"),
        (lambda: torch.nn.LSTM(3, 4, device="meta"), "meta device and holds no values"),
        (lambda: torch.nn.GRUCell(3, 4, device="meta"), "meta device"),
    ],
)
def test_dtypes_and_devices_without_values_are_one_line_errors(make, message):
    with pytest.raises(InvalidValueError, match=message) as info:
        from_torch(make())
    assert "\n" not in str(info.value)


def test_torch_gradients_with_a_missing_key_is_one_line():
    model = from_torch(torch.nn.LSTM(3, 4, num_layers=2, dtype=torch.float64))
    grads = {name: np.zeros_like(p) for name, p in model.params.items()}
    del grads["layer1.W_f"]
    with pytest.raises(InvalidValueError, match=r"no gradient for parameter 'layer1.W_f'"):
        torch_gradients(model, grads)
    with pytest.raises(InvalidValueError, match=r"'W_f' \(did you mean 'layer0.W_f'"):
        torch_gradients(from_torch(torch.nn.LSTM(3, 4)), {"layer0.W_f": 0})


def test_a_batch_first_model_is_refused_where_sequences_are_time_major():
    from gradsym.errors import ShapeError
    from gradsym.numeric.nets.losses import Linear
    from gradsym.numeric.nets.network import Network
    from gradsym.numeric.nets.spans import jacobian_products

    model = from_torch(torch.nn.LSTM(3, 4, batch_first=True, dtype=torch.float64))
    with pytest.raises(ShapeError, match="a Network reads time-major .* pass model.model"):
        Network(model, Linear(4, 1))
    with pytest.raises(ShapeError, match="jacobian_products reads time-major"):
        jacobian_products(model, np.zeros((2, 5, 3)))
    Network(model.model, Linear(4, 1))  # the time-major model is welcome
