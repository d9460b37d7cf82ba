"""The vanilla RNN: h⁽ᵗ⁾ = σ(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b)."""

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import DTypeError, NonFiniteError, ShapeError, UnknownNameError
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.gradcheck import check_cell_gradients, check_state_jacobian

ACTIVATIONS = ["tanh", "sigmoid", "relu", "identity"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_matches_central_differences(activation, rng):
    cell = RNN(3, 4, activation, rng=rng)
    cell.params["b"][...] = rng.normal(size=4)  # biases must not start at zero
    xs = rng.normal(size=(5, 2, 3))
    h0 = rng.normal(size=(2, 4))
    for check in check_cell_gradients(cell, xs, (h0,), rng):
        assert check.ok(tol("gradcheck")), str(check)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_state_jacobian_is_diag_sigma_prime_times_W_h(activation, rng):
    cell = RNN(3, 4, activation, rng=rng)
    x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    for check in check_state_jacobian(cell, x, (h,)):
        assert check.ok(tol("jacobian")), str(check)
    J, _ = cell.state_jacobian(x, h)
    z = h @ cell.params["W_h"].T + x @ cell.params["W_x"].T + cell.params["b"]
    sigma_prime = {
        "tanh": 1 - np.tanh(z) ** 2,
        "sigmoid": np.exp(-z) / (1 + np.exp(-z)) ** 2,
        "relu": (z > 0) * 1.0,
        "identity": np.ones_like(z),
    }[activation]
    np.testing.assert_allclose(J, sigma_prime[:, :, None] * cell.params["W_h"], rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_prime_of_0_is_0_in_the_jacobian_and_the_backward_pass(dtype, rng):
    # z = b exactly (x = 0, h = 0): ReLU'(0) = 0, the convention of the notes, the
    # checker's proofs and PyTorch; a unit at z = 0 passes no gradient back
    cell = RNN(3, 4, "relu", dtype=dtype, rng=rng)
    cell.params["b"][...] = [0.0, 1.0, -1.0, 0.0]
    x, h = np.zeros((1, 3), dtype), np.zeros((1, 4), dtype)
    J, Jx = cell.state_jacobian(x, h)
    active = np.array([0.0, 1.0, 0.0, 0.0], dtype)
    assert np.array_equal(J[0], active[:, None] * cell.params["W_h"])
    assert np.array_equal(Jx[0], active[:, None] * cell.params["W_x"])
    g = cell.backward(cell.forward(x[None], (h,)), d_final=(np.ones((1, 4), dtype),))
    assert np.array_equal(g.dstate0[0][0], active @ cell.params["W_h"])
    assert np.array_equal(g.params["b"], active)


def test_identity_activation_state_jacobian_is_W_h(rng):
    cell = RNN(2, 3, "identity", rng=rng)
    J, _ = cell.state_jacobian(rng.normal(size=(4, 2)), rng.normal(size=(4, 3)))
    assert np.array_equal(J, np.broadcast_to(cell.params["W_h"], (4, 3, 3)))


def test_gradient_check_rejects_a_wrong_backward(rng, monkeypatch):
    cell = RNN(2, 3, rng=rng)
    original = RNN._backward

    def wrong(self, trace, direct, final):
        g = original(self, trace, direct, final)
        g.params["W_h"][...] = g.params["W_h"].T  # the classic W instead of Wᵀ slip
        return g

    monkeypatch.setattr(RNN, "_backward", wrong)
    checks = {c.name: c for c in check_cell_gradients(cell, rng.normal(size=(4, 2, 2)), None, rng)}
    assert not checks["W_h"].ok(tol("gradcheck"))
    assert checks["W_x"].ok(tol("gradcheck"))


def test_float32_runs_in_float32(rng):
    cell = RNN(3, 4, dtype=np.float32)
    tr = cell.forward(rng.normal(size=(5, 2, 3)).astype(np.float32))
    assert tr.h.dtype == np.float32
    g = cell.backward(tr, np.ones((5, 2, 4), np.float32))
    assert all(v.dtype == np.float32 for v in g.params.values())


def test_bad_input_is_named(rng):
    cell = RNN(3, 4)
    with pytest.raises(UnknownNameError, match="activation 'softsign'"):
        RNN(3, 4, "softsign")
    with pytest.raises(ShapeError, match=r"xs must have shape \(\*, \*, 3\)"):
        cell.forward(np.zeros((5, 2, 2)))
    with pytest.raises(DTypeError, match="float64"):
        cell.forward(np.zeros((5, 2, 3), np.float32))
    xs = np.zeros((5, 2, 3))
    xs[3, 1, 2] = np.nan
    with pytest.raises(NonFiniteError, match=r"xs\[3, 1, 2\]"):
        cell.forward(xs)
    cell.params["W_h"][1, 0] = np.inf
    with pytest.raises(NonFiniteError, match=r"parameter W_h\[1, 0\]"):
        cell.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ShapeError, match="h must have shape"):
        RNN(3, 4).forward(np.zeros((5, 2, 3)), np.zeros((3, 4)))
