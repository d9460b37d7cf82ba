"""Bidirectional networks: H⁽ᵗ⁾ = [→h⁽ᵗ⁾; ←h⁽ᵗ⁾], o⁽ᵗ⁾ = g(W_o H⁽ᵗ⁾ + b_o) (claim birnn)."""

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import InvalidValueError, ShapeError, UnknownNameError
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network, check_model_gradients

PAIRS = {
    "rnn+rnn": lambda rng: (RNN(3, 4, rng=rng), RNN(3, 4, "sigmoid", rng=rng)),
    "lstm+rnn": lambda rng: (LSTM(3, 4, peephole=True, rng=rng), RNN(3, 2, rng=rng)),
}
try:
    from gradsym.numeric.cells.gru import GRU

    PAIRS["gru+lstm"] = lambda rng: (GRU(3, 4, variant="textbook", rng=rng), LSTM(3, 3, rng=rng))
except ImportError:  # the GRU is written in parallel; its case joins once it imports
    pass

T, B = 5, 2


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("activation", [None, "identity", "tanh", "sigmoid"])
def test_backward_matches_central_differences(pair, activation, rng):
    fwd, bwd = PAIRS[pair](rng)
    n2 = fwd.hidden_size + bwd.hidden_size
    out = None if activation is None else Linear(n2, 3, names=("W_o", "b_o"), rng=rng)
    bi = Bidirectional(fwd, bwd, out, activation or "identity")
    xs = rng.normal(size=(T, B, 3))
    state0 = (
        tuple(rng.normal(size=(B, fwd.hidden_size)) for _ in fwd.state_names),
        tuple(rng.normal(size=(B, bwd.hidden_size)) for _ in bwd.state_names),
    )
    checks = check_model_gradients(bi, xs, state0, rng)
    for check in checks:
        assert check.ok(tol("gradcheck")), f"{pair}: {check}"
    names = {c.name for c in checks}
    assert {"fwd.W_h", "bwd.W_h"} & names or {"fwd.W_f", "bwd.W_f"} & names
    assert (out is None) or {"out.W_o", "out.b_o"} <= names


def test_network_on_a_pair_tags_every_step(rng):
    fwd, bwd = PAIRS["lstm+rnn"](rng)
    bi = Bidirectional(fwd, bwd, Linear(6, 5, rng=rng), "tanh")
    net = Network(bi, Linear(5, 4, rng=rng), loss="xent")
    xs, ys = rng.normal(size=(T, B, 3)), rng.integers(0, 4, size=(T, B))
    # ε = 1e-4: W_f's gradient is ~1e-5 here, so at smaller ε the rounding of the O(1)
    # loss (1e-16/ε) would dominate; the truncation error ε²f‴/6 stays below 1e-8.
    for check in net.check_gradients(xs, ys, eps=1e-4):
        assert check.ok(tol("gradcheck")), str(check)
    r = net.loss_and_grads(xs, ys)
    assert r.adjoints["fwd.h"].shape == (T, B, 4) and r.adjoints["bwd.h"].shape == (T, B, 2)


def test_outputs_concatenate_the_two_directions(rng):
    fwd, bwd = RNN(3, 4, rng=rng), RNN(3, 2, rng=rng)
    xs = rng.normal(size=(T, B, 3))
    tr = Bidirectional(fwd, bwd).forward(xs)
    assert tr.h.shape == (T, B, 6)
    np.testing.assert_array_equal(tr.h[..., :4], fwd.forward(xs).h)
    np.testing.assert_array_equal(tr.h[..., 4:], bwd.forward(xs[::-1]).h[::-1])


def test_backward_direction_sees_the_right_context(rng):
    """←h⁽¹⁾ depends on x⁽ᵀ⁾, →h⁽¹⁾ does not: why a language model cannot use ←h."""
    bi = Bidirectional(RNN(3, 4, rng=rng), RNN(3, 4, rng=rng))
    xs = rng.normal(size=(T, B, 3))
    changed = xs.copy()
    changed[-1] += 1.0
    a, b = bi.forward(xs), bi.forward(changed)
    assert np.array_equal(a.h_forward[0], b.h_forward[0])
    assert not np.array_equal(a.h_backward[0], b.h_backward[0])


def test_matches_torch_bidirectional_rnn(rng):
    torch = pytest.importorskip("torch")
    fwd, bwd = RNN(3, 4, rng=rng), RNN(3, 4, rng=rng)
    ref = torch.nn.RNN(3, 4, bidirectional=True).double()
    with torch.no_grad():
        for cell, sfx in ((fwd, ""), (bwd, "_reverse")):
            getattr(ref, f"weight_ih_l0{sfx}").copy_(torch.tensor(cell.params["W_x"]))
            getattr(ref, f"weight_hh_l0{sfx}").copy_(torch.tensor(cell.params["W_h"]))
            getattr(ref, f"bias_ih_l0{sfx}").copy_(torch.tensor(cell.params["b"]))
            getattr(ref, f"bias_hh_l0{sfx}").zero_()
    xs = rng.normal(size=(T, B, 3))
    G = rng.normal(size=(T, B, 8))
    xt = torch.tensor(xs, requires_grad=True)
    out, _ = ref(xt)
    (out * torch.tensor(G)).sum().backward()
    bi = Bidirectional(fwd, bwd)
    tr = bi.forward(xs)
    g = bi.backward(tr, G)
    np.testing.assert_allclose(tr.h, out.detach().numpy(), rtol=0, atol=tol("exact"))
    np.testing.assert_allclose(g.dxs, xt.grad.numpy(), rtol=0, atol=tol("exact"))
    np.testing.assert_allclose(
        g.params["bwd.W_h"], ref.weight_hh_l0_reverse.grad.numpy(), rtol=0, atol=tol("exact")
    )


def test_bad_pairs_are_named(rng):
    with pytest.raises(ShapeError, match="backward_cell input_size must be 3, got 2"):
        Bidirectional(RNN(3, 4), RNN(2, 4))
    cell = RNN(3, 4)
    with pytest.raises(InvalidValueError, match="separate weights"):
        Bidirectional(cell, cell)
    with pytest.raises(ShapeError, match=r"output layer must read \[→h; ←h\] of size 8"):
        Bidirectional(RNN(3, 4), RNN(3, 4), Linear(4, 2))
    with pytest.raises(UnknownNameError, match="activation 'softsign'"):
        Bidirectional(RNN(3, 4), RNN(3, 4), Linear(8, 2), "softsign")
    with pytest.raises(ShapeError, match="must be a pair"):
        Bidirectional(RNN(3, 4), RNN(3, 4)).forward(np.zeros((T, B, 3)), np.zeros((B, 4)))
