"""The shipped gradient checks in float32: every cell, its state Jacobian and whole
networks pass at the float32 tolerances of the one table, and the same checks refuse a
gradient that is wrong by a few per cent; the difference quotient is taken over the step
the dtype actually made."""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import tol

from gradsym import GRU, LSTM, RNN, Bidirectional, Linear, Network, Stacked
from gradsym.errors import DTypeError
from gradsym.numeric.cells import cell_variants, make_cell
from gradsym.numeric.gradcheck import (
    check_cell_gradients,
    check_state_jacobian,
    numerical_gradient,
)
from gradsym.numeric.nets.network import check_model_gradients

F32 = np.float32


def cell32(name, variant, rng, d=2, n=3):
    cell = make_cell(name, variant, d, n, dtype=F32, rng=rng)
    for p in cell.fused.values():  # non-zero biases, gates away from ½
        p[...] = rng.normal(scale=0.7, size=p.shape)
    return cell


@pytest.mark.parametrize(("name", "variant"), cell_variants())
def test_every_cell_passes_its_gradient_checks_in_float32(name, variant, rng):
    cell = cell32(name, variant, rng)
    xs = rng.standard_normal((3, 2, 2))
    s0 = tuple(rng.standard_normal((2, 3)) for _ in cell.state_names)
    checks = check_cell_gradients(cell, xs, s0, rng)
    assert {c.name for c in checks} >= {"x", *cell.params}
    assert all(c.ok(tol("gradcheck", F32)) for c in checks), [str(c) for c in checks]
    jac = check_state_jacobian(cell, xs[0], s0)
    assert all(c.ok(tol("jacobian", F32)) for c in jac), [str(c) for c in jac]
    assert all(cell.params[k].dtype == F32 for k in cell.params)  # checked as it is


@pytest.mark.parametrize("wrong_by", [1.03, -1.0])
def test_the_float32_check_refuses_a_gradient_a_few_percent_off(wrong_by, rng, monkeypatch):
    cell = cell32("lstm", "standard", rng)
    real = type(cell)._backward

    def off(self, trace, direct, final):
        g = real(self, trace, direct, final)
        g.params["W_i"][...] *= wrong_by  # the input gate's recurrent gradient
        return g

    monkeypatch.setattr(type(cell), "_backward", off)
    xs = rng.standard_normal((3, 2, 2))
    checks = {c.name: c for c in check_cell_gradients(cell, xs, None, rng)}
    assert not checks["W_i"].ok(tol("gradcheck", F32))
    assert checks["W_f"].ok(tol("gradcheck", F32))  # the others still pass


def test_the_float32_jacobian_check_refuses_a_transposed_block(rng, monkeypatch):
    cell = cell32("rnn", "tanh", rng)
    real = type(cell)._state_jacobian

    def transposed(self, x, state):
        J_ss, J_sx = real(self, x, state)
        return J_ss.transpose(0, 2, 1).copy(), J_sx

    monkeypatch.setattr(type(cell), "_state_jacobian", transposed)
    ss, sx = check_state_jacobian(cell, rng.standard_normal((2, 2)), None)
    assert not ss.ok(tol("jacobian", F32)) and sx.ok(tol("jacobian", F32))


@pytest.mark.parametrize(
    ("cell", "loss", "where"),
    [("lstm", "mse", "last"), ("gru", "xent", "all"), ("rnn", "mse", "all")],
)
def test_float32_networks_pass_their_gradient_checks(cell, loss, where, rng):
    model = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[cell](2, 3, dtype=F32, rng=rng)
    K = 2 if loss == "mse" else 3
    net = Network(model, Linear(3, K, dtype=F32, rng=rng), loss=loss, where=where)
    xs = rng.standard_normal((4, 2, 2))
    shape = (4, 2) if where == "all" else (2,)
    y = rng.standard_normal((*shape, K)) if loss == "mse" else rng.integers(0, K, size=shape)
    checks = net.check_gradients(xs, y)
    assert all(c.ok(tol("gradcheck", F32)) for c in checks), [str(c) for c in checks]


def test_float32_stacks_and_bidirectional_pairs_pass_their_gradient_checks(rng):
    stacked = Stacked([LSTM(2, 3, dtype=F32, rng=1), GRU(3, 3, dtype=F32, rng=2)], residual=True)
    pair = Bidirectional(RNN(2, 3, dtype=F32, rng=3), GRU(2, 3, dtype=F32, rng=4))
    for model in (stacked, pair):
        checks = check_model_gradients(model, rng.standard_normal((3, 2, 2)), None, rng)
        assert all(c.ok(tol("gradcheck", F32)) for c in checks), [str(c) for c in checks]


def test_the_quotient_is_over_the_step_the_dtype_made():
    """At x = 5000 in float32 (spacing 2⁻¹⁰), 5000 ± 10⁻² round to a step 2.3 % short of
    2·10⁻²: divided by 2·10⁻², the slope of a linear function would be off by that much."""
    x = np.array([5000.0, 0.0], F32)
    slope = numerical_gradient(lambda: float(np.float64(x[0]) * 7.0 + x[1]), x)
    assert slope[0] == pytest.approx(7.0, rel=1e-12) and slope[1] == pytest.approx(1.0)
    naive = 7.0 * float(np.float32(5000.0 + 1e-2) - np.float32(5000.0 - 1e-2)) / 2e-2
    assert abs(naive / 7.0 - 1.0) > 0.02  # what dividing by 2h would have given


def test_gradient_checks_refuse_a_dtype_they_cannot_perturb():
    with pytest.raises(DTypeError, match="float64 or float32 arrays; x has dtype float16"):
        numerical_gradient(lambda: 0.0, np.zeros(2, np.float16))
