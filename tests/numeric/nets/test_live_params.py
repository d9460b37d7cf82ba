"""A model's flat parameters follow the cells' rule: they are live. Assigning
``net.params["cell.W_f"] = W`` reaches the cell (and so the loss, the gradients and an
optimiser's next step), as an in-place write does; the names are fixed."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym.errors import GradsymError, ShapeError, UnknownNameError
from gradsym.numeric.cells import GRU, LSTM, RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network
from gradsym.numeric.nets.stacked import Stacked
from gradsym.numeric.optim.optimisers import SGD

D, N, T, B = 3, 4, 5, 2


def build(kind: str, seed: int = 0) -> Network:
    if kind == "cell":
        model = LSTM(D, N, peephole=True, rng=seed)
    elif kind == "stacked":
        model = Stacked([GRU(D, N, rng=seed), RNN(N, N, rng=seed + 1)])
    else:
        model = Bidirectional(GRU(D, N, variant="torch", rng=seed), RNN(D, N, rng=seed + 1))
    width = 2 * N if kind == "bidirectional" else N
    # scored at every step: the backward direction's W_h does not reach the last step
    return Network(model, Linear(width, 1, rng=seed + 2), loss="mse", where="all")


def loss_and_grads(net: Network):
    g = np.random.default_rng(9)
    xs, ys = g.normal(size=(T, B, D)), g.normal(size=(T, B, 1))
    r = net.loss_and_grads(xs, ys)
    return r.loss, r.grads


def same(a, b) -> bool:
    (la, ga), (lb, gb) = a, b
    return la == lb and ga.keys() == gb.keys() and all(np.array_equal(ga[k], gb[k]) for k in ga)


@pytest.mark.parametrize("kind", ["cell", "stacked", "bidirectional"])
@pytest.mark.parametrize("how", ["assign", "write"])
def test_every_flat_parameter_set_through_the_network_reaches_the_model(kind, how):
    before = loss_and_grads(build(kind))
    for k, name in enumerate(build(kind).params):
        net = build(kind)
        value = np.random.default_rng(k).uniform(-1, 1, net.params[name].shape)
        if how == "assign":
            net.params[name] = value.copy()
        else:
            net.params[name][...] = value
        reference = build(kind, seed=7)
        reference.set_params({**build(kind).get_params(), name: value})
        after = loss_and_grads(net)
        assert same(after, loss_and_grads(reference)), name
        assert not same(after, before), f"{name} did not matter"


def test_an_optimiser_step_after_an_assignment_trains_the_cell():
    """The case that went wrong: with a plain dict, the assigned array replaced the view
    and the optimiser updated an array no cell read."""
    net = build("cell")
    net.params["cell.W_f"] = np.zeros((N, N))
    _, grads = loss_and_grads(net)
    SGD(lr=0.5).step(net.params, grads)
    np.testing.assert_array_equal(net.model.params["W_f"], -0.5 * grads["cell.W_f"])
    np.testing.assert_array_equal(net.params["cell.W_f"], net.model.params["W_f"])


def test_the_output_layer_is_live_too():
    out = Linear(N, 2, rng=0)
    h = np.random.default_rng(1).normal(size=(B, N))
    out.params["W_y"] = np.ones((2, N))
    np.testing.assert_array_equal(out.forward(h), h.sum(axis=1, keepdims=True) + out.params["b_y"])
    with pytest.raises(ShapeError, match="parameter b_y"):
        out.params["b_y"] = np.zeros(3)


def test_the_flat_names_are_fixed():
    net = build("stacked")
    with pytest.raises(UnknownNameError, match=r"unknown parameter of Network 'cell\.W_u'"):
        net.params["cell.W_u"] = np.zeros((N, N))
    with pytest.raises(GradsymError, match="cannot be removed"):
        del net.params["out.b_y"]
    with pytest.raises(ShapeError, match=r"parameter layer1\.W_h"):
        net.model.params["layer1.W_h"] = np.zeros((N, D))
