"""Pascanu et al.'s regulariser Ω (eq. 9–10): the value against the paper's formula built
from the cell's own state Jacobian, the frozen gradient ∂⁺Ω/∂W_h against central
differences of Ω with the error and the state held fixed, zero for an orthogonal linear
RNN, and the trainer adding λ ∂⁺Ω/∂W_h to the gradient of W_h."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym import RNN, InvalidValueError, ShapeError, TrainConfig, Trainer
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network
from gradsym.numeric.optim.initialisers import orthogonal
from gradsym.numeric.optim.regularisers import omega


def _pass(rng, activation="tanh", n=5, T=7, B=3, W_h=None):
    """A network with an RNN, one BPTT pass on random data: (cell, result)."""
    cell = RNN(2, n, activation, rng=rng.integers(1 << 30))
    if W_h is not None:
        cell.params["W_h"][...] = W_h
    net = Network(cell, Linear(n, 1, rng=rng), loss="mse", where="last")
    xs = rng.standard_normal((T, B, 2))
    y = rng.standard_normal((B, 1))
    return cell, net.loss_and_grads(xs, y)


def _paper_omega(cell, r, W_h) -> float:
    """Eq. 9 term by term, with ∂h⁽ᵏ⁾/∂h⁽ᵏ⁻¹⁾ from the cell's state_jacobian at the state
    h⁽ᵏ⁻¹⁾ and input x⁽ᵏ⁾ (with W_h substituted, the rest of the cell as it is)."""
    saved = cell.params["W_h"].copy()
    cell.params["W_h"][...] = W_h
    try:
        a, trace = r.adjoints["h"], r.trace
        T, B, _ = a.shape
        terms = []
        for t in range(T):
            h_prev = trace.state0[0] if t == 0 else trace.h[t - 1]
            J, _ = cell.state_jacobian(trace.xs[t], (h_prev,))
            for b in range(B):
                terms.append((np.linalg.norm(a[t, b] @ J[b]) / np.linalg.norm(a[t, b]) - 1) ** 2)
        return float(np.mean(terms))
    finally:
        cell.params["W_h"][...] = saved


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_omega_is_eq_9_with_the_state_jacobian_of_the_cell(rng, activation):
    cell, r = _pass(rng, activation)
    W = cell.params["W_h"].copy()
    got = omega(r.adjoints["h"], r.trace.h, W, activation)
    assert got.counted == r.adjoints["h"].shape[0] * r.adjoints["h"].shape[1]
    assert got.value == pytest.approx(_paper_omega(cell, r, W), rel=1e-12)
    assert got.value > 1e-4  # a random W_h is far from norm-preserving


def _frozen_omega(adjoint, s, W) -> float:
    """Ω with the error a and σ'(z) fixed numbers: only the explicit W_h varies."""
    a = adjoint.reshape(-1, W.shape[0])
    v = (a * s.reshape(a.shape)) @ W
    return float(np.mean((np.linalg.norm(v, axis=1) / np.linalg.norm(a, axis=1) - 1) ** 2))


def _central(f, W, eps=1e-6) -> np.ndarray:
    g = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        g[idx] = (f(Wp) - f(Wm)) / (2 * eps)
    return g


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_frozen_gradient_matches_central_differences_of_omega_with_error_and_state_fixed(
    rng, activation
):
    cell, r = _pass(rng, activation)
    W = cell.params["W_h"].copy()
    s = cell.activation.grad_from_output(r.trace.h)  # σ'(z⁽ᵏ⁾), frozen
    a = r.adjoints["h"]
    fd = _central(lambda M: _frozen_omega(a, s, M), W)
    got = omega(a, r.trace.h, W, activation).grad
    assert np.abs(got - fd).max() <= 1e-7 * np.abs(fd).max()


def test_frozen_gradient_is_not_the_full_derivative_so_the_check_can_fail(rng):
    """Recomputing the error and the state for each perturbed W_h (the full derivative of
    Ω) gives another gradient: the check above sees what is frozen."""
    cell, _ = _pass(rng)
    net_rng = np.random.default_rng(3)
    net = Network(cell, Linear(5, 1, rng=net_rng), loss="mse", where="last")
    xs = net_rng.standard_normal((7, 3, 2))
    y = net_rng.standard_normal((3, 1))

    def full(M):
        cell.params["W_h"][...] = M
        rr = net.loss_and_grads(xs, y)
        return omega(rr.adjoints["h"], rr.trace.h, M, "tanh").value

    W = cell.params["W_h"].copy()
    fd_full = _central(full, W)
    cell.params["W_h"][...] = W
    rr = net.loss_and_grads(xs, y)
    frozen = omega(rr.adjoints["h"], rr.trace.h, W, "tanh").grad
    assert np.abs(frozen - fd_full).max() > 1e-3 * np.abs(fd_full).max()


def test_orthogonal_linear_rnn_has_omega_zero_and_zero_gradient(rng):
    Q = orthogonal((6, 6), rng)
    _, r = _pass(rng, "identity", n=6, W_h=Q)
    got = omega(r.adjoints["h"], r.trace.h, Q, "identity")
    assert got.value == pytest.approx(0.0, abs=1e-28)
    np.testing.assert_allclose(got.ratios, 1.0, atol=1e-13)
    assert np.abs(got.grad).max() < 1e-13
    # … and a scaled one is not: 0.9·Q shrinks every error by 0.9
    shrunk = omega(r.adjoints["h"], r.trace.h, 0.9 * Q, "identity")
    assert shrunk.value == pytest.approx(0.01, rel=1e-12)


def test_vanished_errors_still_count_and_zero_errors_do_not(rng):
    cell, r = _pass(rng)
    W = cell.params["W_h"].copy()
    a = r.adjoints["h"].copy()
    whole = omega(a, r.trace.h, W, "tanh")
    tiny = omega(a * 1e-300, r.trace.h, W, "tanh")  # the ratio is scale-free
    assert tiny.value == pytest.approx(whole.value, rel=1e-12)
    a[0] = 0.0
    part = omega(a, r.trace.h, W, "tanh")
    assert part.counted == whole.counted - a.shape[1]
    assert np.isnan(part.ratios[0]).all()
    assert omega(np.zeros_like(a), r.trace.h, W, "tanh").value == 0.0


def test_bad_shapes_and_activation_are_errors(rng):
    cell, r = _pass(rng)
    W = cell.params["W_h"]
    with pytest.raises(ShapeError, match="W_h must be"):
        omega(r.adjoints["h"], r.trace.h, W[:3], "tanh")
    with pytest.raises(ShapeError, match=r"\(T, B, n\)"):
        omega(r.adjoints["h"][0], r.trace.h[0], W, "tanh")
    with pytest.raises(KeyError, match="activation"):
        omega(r.adjoints["h"], r.trace.h, W, "softsign")


# -- in training --------------------------------------------------------------------------------


def _config(**kw) -> TrainConfig:
    base = {
        "cell": "rnn",
        "task": "adding_le",
        "task_kwargs": {"length": 6},
        "hidden": 5,
        "batch": 4,
        "steps": 3,
        "eval_every": 3,
        "eval_batch": 8,
        "clip": None,
        "optimiser": "sgd",
        "lr": 0.1,
    }
    return TrainConfig(**{**base, **kw})


def test_trainer_adds_weight_times_frozen_gradient_to_W_h_and_logs_omega():
    seen = {}

    def hook(step, grads):
        seen[step] = {k: v.copy() for k, v in grads.items()}

    plain = Trainer(_config(), gradient_hook=hook)
    plain.run(stop_at=1)
    base = seen.pop(1)
    reg = Trainer(_config(omega=2.0), gradient_hook=hook)
    # the same first batch and weights: recompute Ω of that pass independently
    batch = reg.task.sample(4, np.random.default_rng(np.random.SeedSequence(0).spawn(3)[1]))
    r = reg.network.loss_and_grads(batch.x, batch.y)
    expected = omega(r.adjoints["h"], r.trace.h, reg.network.params["cell.W_h"], "tanh")
    result = reg.run(stop_at=1)
    got = seen[1]
    np.testing.assert_array_equal(got["cell.W_x"], base["cell.W_x"])
    np.testing.assert_allclose(got["cell.W_h"], base["cell.W_h"] + 2.0 * expected.grad, rtol=1e-13)
    assert result.history[0]["omega"] == pytest.approx(expected.value, rel=1e-13)
    assert "omega" not in plain.history[0]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"omega": -1.0}, "omega"),
        ({"omega": 1.0, "cell": "lstm"}, "one-layer rnn or irnn"),
        ({"omega": 1.0, "layers": 2}, "one-layer rnn or irnn"),
        ({"omega": 1.0, "truncation": 3}, "full BPTT"),
        ({"omega": True}, "omega"),
    ],
)
def test_omega_options_are_checked(changes, message):
    with pytest.raises(InvalidValueError, match=message):
        _config(**changes)
