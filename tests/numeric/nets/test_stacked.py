"""Stacked layers with optional residual connections (claims stacked, residual)."""

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import InvalidValueError, ShapeError
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import (
    Network,
    check_model_gradients,
    flatten_state,
    unflatten_state,
)
from gradsym.numeric.nets.stacked import Stacked

CELLS = {
    "rnn": lambda d, n, rng: RNN(d, n, "tanh", rng=rng),
    "lstm-peephole": lambda d, n, rng: LSTM(d, n, peephole=True, rng=rng),
}
try:
    from gradsym.numeric.cells.gru import GRU

    CELLS["gru-torch"] = lambda d, n, rng: GRU(d, n, variant="torch", rng=rng)
except ImportError:  # the GRU is written in parallel; its cases join once it imports
    pass

T, B, D, N = 5, 2, 3, 4


def mixed_stack(rng, residual, kinds=None):
    kinds = kinds or list(CELLS)
    cells = [CELLS[k](D if l == 0 else N, N, rng) for l, k in enumerate(kinds)]
    return Stacked(cells, residual=residual)


@pytest.mark.parametrize("residual", [False, True])
def test_backward_matches_central_differences(residual, rng):
    stack = mixed_stack(rng, residual)
    xs = rng.normal(size=(T, B, D))
    state0 = tuple(c.zero_state(B) for c in stack.cells)
    for leaf in (a for s in state0 for a in s):
        leaf[...] = rng.normal(size=leaf.shape)
    for check in check_model_gradients(stack, xs, state0, rng):
        assert check.ok(tol("gradcheck")), str(check)


@pytest.mark.parametrize("residual", [False, True])
def test_network_on_a_stack_matches_central_differences(residual, rng):
    net = Network(mixed_stack(rng, residual), Linear(N, 3, rng=rng), loss="xent")
    xs, ys = rng.normal(size=(T, B, D)), rng.integers(0, 3, size=(T, B))
    for check in net.check_gradients(xs, ys):
        assert check.ok(tol("gradcheck")), str(check)
    assert "cell.layer1.W_h" in net.params or "cell.layer1.W_f" in net.params
    full = net.loss_and_grads(xs, ys)
    trunc = net.loss_and_grads(xs, ys, truncation=T)
    for k in full.grads:
        np.testing.assert_allclose(trunc.grads[k], full.grads[k], rtol=1e-12, atol=1e-16)
    short = net.loss_and_grads(xs, ys, truncation=(1, 2))
    assert set(short.adjoints) == set(full.adjoints)


def test_layers_read_the_layer_below_and_residual_adds_it(rng):
    cells = [RNN(D, N, rng=rng), RNN(N, N, rng=rng), RNN(N, N, rng=rng)]
    xs = rng.normal(size=(T, B, D))
    plain = Stacked(cells).forward(xs)
    h0 = cells[0].forward(xs).h
    h1 = cells[1].forward(h0).h
    np.testing.assert_array_equal(plain.h, cells[2].forward(h1).h)
    res = Stacked(cells, residual=True).forward(xs)
    y1 = h1 + h0  # the first layer has no skip: x and h differ in size
    np.testing.assert_array_equal(res.outputs[1], y1)
    np.testing.assert_array_equal(res.h, cells[2].forward(y1).h + y1)


def fd_state_jacobian(stack, x, state, eps=1e-6):
    """∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ of one step of the stack by central differences, (B, S, S)."""
    s = flatten_state(state)
    J = np.empty(s.shape + (s.shape[1],))
    for j in range(s.shape[1]):
        e = np.zeros_like(s)
        e[:, j] = eps
        plus = flatten_state(stack.step(x, unflatten_state(state, s + e))[0])
        minus = flatten_state(stack.step(x, unflatten_state(state, s - e))[0])
        J[:, :, j] = (plus - minus) / (2 * eps)
    return J


def random_state(stack, rng):
    return tuple(
        tuple(rng.normal(size=(B, c.hidden_size)) for _ in c.state_names) for c in stack.cells
    )


@pytest.mark.parametrize("residual", [False, True])
def test_state_jacobian_matches_central_differences(residual, rng):
    stack = mixed_stack(rng, residual)
    x, state = rng.normal(size=(B, D)), random_state(stack, rng)
    J, Jx = stack.state_jacobian(x, state)
    assert J.shape == (B, stack.state_size, stack.state_size)
    num = fd_state_jacobian(stack, x, state)
    assert np.abs(J - num).max() < tol("jacobian") * np.abs(num).max()
    # ∂s/∂x by central differences as well
    numx = np.empty_like(Jx)
    for j in range(D):
        e = np.zeros_like(x)
        e[:, j] = 1e-6
        numx[:, :, j] = (
            flatten_state(stack.step(x + e, state)[0]) - flatten_state(stack.step(x - e, state)[0])
        ) / 2e-6
    assert np.abs(Jx - numx).max() < tol("jacobian") * np.abs(numx).max()
    # lower block-triangular, with each cell's own Jacobian on the diagonal
    col = 0
    for l, cell in enumerate(stack.cells):
        rows = slice(col, col + cell.state_size)
        assert not J[:, rows, col + cell.state_size :].any()
        col += cell.state_size
    A0, _ = stack.cells[0].state_jacobian(x, state[0])
    np.testing.assert_array_equal(
        J[:, : stack.cells[0].state_size, : stack.cells[0].state_size], A0
    )


@pytest.mark.parametrize("residual", [False, True])
def test_output_jacobian_matches_central_differences(residual, rng):
    """∂y⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ and ∂y⁽ᵗ⁾/∂x⁽ᵗ⁾ of the stack's output y (with skips not the top
    layer's state: y = h₂ + h₁ + h₀ here), against central differences of ``step``."""
    stack = mixed_stack(rng, residual)
    x, state = rng.normal(size=(B, D)), random_state(stack, rng)
    J_ys, J_yx = stack.output_jacobian(x, state)
    assert J_ys.shape == (B, N, stack.state_size) and J_yx.shape == (B, N, D)
    s = flatten_state(state)

    def y(x_, s_):
        return stack.step(x_, unflatten_state(state, s_))[1].h[0]

    num = np.stack(
        [(y(x, s + e) - y(x, s - e)) / 2e-6 for e in 1e-6 * np.eye(s.shape[1])[:, None, :]],
        axis=2,
    )
    numx = np.stack(
        [(y(x + e, s) - y(x - e, s)) / 2e-6 for e in 1e-6 * np.eye(D)[:, None, :]], axis=2
    )
    assert np.abs(J_ys - num).max() < tol("jacobian") * np.abs(num).max()
    assert np.abs(J_yx - numx).max() < tol("jacobian") * np.abs(numx).max()
    # without skips y is the top layer's h: the rows of h in the state Jacobian
    J, _ = stack.state_jacobian(x, state)
    top = stack.state_size - stack.cells[-1].state_size
    h_top = slice(top, top + N)  # h comes first in every layer's state here
    same = np.abs(J_ys - J[:, h_top]).max() < 1e-12
    assert same != residual


def test_residual_adds_the_identity_to_the_inter_layer_path(rng):
    """Claim residual: for RNN layers, block (2, 0) of ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ is B₂ B₁ A₀ without
    skips and B₂ (I + B₁) A₀ with them (∂y₁/∂y₀ = I + ∂h₁/∂y₀)."""
    cells = [RNN(D, N, rng=rng), RNN(N, N, rng=rng), RNN(N, N, rng=rng)]
    x, state = rng.normal(size=(B, D)), tuple((rng.normal(size=(B, N)),) for _ in cells)
    blocks = {}
    for residual in (False, True):
        stack = Stacked(cells, residual=residual)
        J, _ = stack.state_jacobian(x, state)
        tr = stack.step(x, state)[1]
        ys = [x] + [y[0] for y in tr.outputs]
        A0, _ = cells[0].state_jacobian(ys[0], state[0])
        _, B1 = cells[1].state_jacobian(ys[1], state[1])
        _, B2 = cells[2].state_jacobian(ys[2], state[2])
        inter = B1 + np.eye(N) if residual else B1
        np.testing.assert_allclose(J[:, 2 * N :, :N], B2 @ inter @ A0, rtol=1e-12, atol=1e-15)
        blocks[residual] = J[:, 2 * N :, :N]
        assert np.abs(J - fd_state_jacobian(stack, x, state)).max() < tol("jacobian")
    assert np.abs(blocks[True] - blocks[False]).max() > 1e-3  # the test can tell them apart


def test_bad_stacks_name_the_layer(rng):
    with pytest.raises(
        ShapeError, match="layer 1 reads layer 0's hidden states of size 4, but its input_size is 3"
    ):
        Stacked([RNN(3, 4), RNN(3, 4)])
    with pytest.raises(ShapeError, match="residual connection into layer 2 needs hidden_size 4"):
        Stacked([RNN(3, 4), RNN(4, 4), RNN(4, 5)], residual=True)
    Stacked([RNN(3, 4), RNN(4, 4), RNN(4, 5)])  # fine without the skip
    with pytest.raises(InvalidValueError, match="at least one cell"):
        Stacked([])
    with pytest.raises(InvalidValueError, match="layer 1 must be a Cell"):
        Stacked([RNN(3, 4), "lstm"])
    stack = Stacked([RNN(3, 4), LSTM(4, 4)])
    with pytest.raises(ShapeError, match="tuple of 2 per-layer states, got tuple of length 1"):
        stack.forward(np.zeros((T, B, 3)), (np.zeros((B, 4)),))
    with pytest.raises(ShapeError, match=r"xs must have shape \(\*, \*, 3\)"):
        stack.forward(np.zeros((T, B, 4)))
