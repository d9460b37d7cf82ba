"""Products of state Jacobians over a span (claims chain-rule, bptt-factors, linear-case,
explode, orthogonal)."""

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import InvalidValueError
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.network import flatten_state, state_at, unflatten_state
from gradsym.numeric.nets.spans import jacobian_products, jacobian_products_from, step_jacobians
from gradsym.numeric.nets.stacked import Stacked

MODELS = {
    "rnn-tanh": lambda rng: RNN(3, 4, "tanh", rng=rng),
    "rnn-relu": lambda rng: RNN(3, 4, "relu", rng=rng),
    "lstm": lambda rng: LSTM(3, 4, rng=rng),
    "lstm-peephole": lambda rng: LSTM(3, 4, peephole=True, rng=rng),
    "stacked-residual": lambda rng: Stacked(
        [LSTM(3, 4, rng=rng), RNN(4, 4, rng=rng), RNN(4, 4, rng=rng)], residual=True
    ),
}
try:
    from gradsym.numeric.cells.gru import GRU

    for _v in ("textbook", "minimal", "torch"):
        MODELS[f"gru-{_v}"] = lambda rng, v=_v: GRU(3, 4, variant=v, rng=rng)
except ImportError:  # the GRU is written in parallel; its cases join once it imports
    pass

T, B = 6, 2


def unrolled_jacobian(model, xs, s_k, eps=1e-6):
    """∂s⁽ᵗ⁾/∂s⁽ᵏ⁾ of the unrolled map s⁽ᵏ⁾ ↦ s⁽ᵗ⁾ over ``xs`` (= x⁽ᵏ⁺¹⁾ … x⁽ᵗ⁾), by central
    differences, (B, S, S); batch rows are independent, so one column at a time."""
    s = flatten_state(s_k)

    def run(v):
        return flatten_state(model.forward(xs, unflatten_state(s_k, v)).final_state)

    J = np.empty(s.shape + (s.shape[1],))
    for j in range(s.shape[1]):
        e = np.zeros_like(s)
        e[:, j] = eps
        J[:, :, j] = (run(s + e) - run(s - e)) / (2 * eps)
    return J


def rel_error(a, b):
    return np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max())


@pytest.mark.parametrize("kind", MODELS)
def test_product_over_span_is_the_jacobian_of_the_unrolled_map(kind, rng):
    model = MODELS[kind](rng)
    xs = rng.normal(size=(T, B, 3))
    r = jacobian_products(model, xs)
    trace = model.forward(xs)
    for lag in r.lags:
        k = T - lag
        num = unrolled_jacobian(model, xs[k:], state_at(trace, k))
        assert rel_error(r.products[lag - 1], num) < tol("jacobian"), (kind, lag)


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm-peephole", "stacked-residual"])
def test_forward_products_from_a_fixed_start(kind, rng):
    model = MODELS[kind](rng)
    xs = rng.normal(size=(T, B, 3))
    start = 2
    r = jacobian_products_from(model, xs, start=start)
    trace = model.forward(xs)
    assert list(r.steps) == list(range(start + 1, T + 1))
    for lag, t in zip(r.lags, r.steps):
        num = unrolled_jacobian(model, xs[start:t], state_at(trace, start))
        assert rel_error(r.products[lag - 1], num) < tol("jacobian"), (kind, lag)


def test_the_check_rejects_the_product_in_the_wrong_order(rng):
    model = RNN(3, 4, "tanh", rng=rng)
    xs = rng.normal(size=(T, B, 3))
    Js, trace = step_jacobians(model, xs)
    wrong = Js[0]
    for J in Js[1:]:
        wrong = wrong @ J  # J⁽¹⁾ J⁽²⁾ ⋯ J⁽ᵀ⁾ instead of J⁽ᵀ⁾ ⋯ J⁽¹⁾
    num = unrolled_jacobian(model, xs, state_at(trace, 0))
    assert rel_error(wrong, num) > 1e-3
    assert rel_error(jacobian_products(model, xs).products[-1], num) < tol("jacobian")


def test_identity_rnn_products_are_powers_of_W_h(rng):
    """Claim linear-case: σ = identity gives ∂h⁽ᵗ⁾/∂h⁽ᵏ⁾ = W_hˡ; the scaling by powers of two
    leaves the product bit for bit the naive left-to-right one."""
    model = RNN(3, 4, "identity", rng=rng)
    W = model.params["W_h"]
    r = jacobian_products(model, rng.normal(size=(T, B, 3)), rng.normal(size=(B, 4)))
    naive = np.eye(4)
    for lag in r.lags:
        naive = naive @ W
        assert np.array_equal(r.products[lag - 1], np.broadcast_to(naive, (B, 4, 4)))
        np.testing.assert_allclose(
            r.products[lag - 1, 0], np.linalg.matrix_power(W, lag), rtol=1e-13
        )
    sv = np.linalg.svd(np.linalg.matrix_power(W, 3), compute_uv=False)
    np.testing.assert_allclose(r.singular_values[2, 1], sv, rtol=1e-12)
    np.testing.assert_allclose(r.spectral_norms[2], sv[0], rtol=1e-12)
    np.testing.assert_allclose(
        r.frobenius_norms, np.linalg.norm(r.products, axis=(2, 3)), rtol=1e-13
    )


def test_orthogonal_W_h_keeps_every_singular_value_at_one(rng):
    """Claim orthogonal: ‖Qˡ x‖ = ‖x‖ for every ℓ."""
    model = RNN(2, 5, "identity", rng=rng)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    model.params["W_h"][...] = Q
    r = jacobian_products(model, np.zeros((200, 1, 2)), keep_products=False)
    assert r.products is None
    np.testing.assert_allclose(r.singular_values, 1.0, atol=1e-12)


def test_exploding_and_vanishing_spans_are_reported_not_hidden():
    """Claim explode: ‖W_hˡ‖ = λˡ leaves float64 for λ = 1e3 after ~103 steps; the plain
    values overflow to inf (flagged), the log-norms stay exact. Likewise λ = 1e-3 underflows
    to 0 (past the subnormals, ~1e-324) and is flagged."""
    L = 150
    for lam in (1e3, 1e-3):
        model = RNN(1, 2, "identity")
        model.params["W_h"][...] = np.diag([lam, lam / 2])
        model.params["b"][...] = 0.0  # zero input and bias: h stays 0, the forward is finite
        with np.errstate(all="raise"):
            r = jacobian_products(model, np.zeros((L, 1, 1)))
        expected = r.lags * np.log(lam)
        np.testing.assert_allclose(r.log_spectral_norms[:, 0], expected, rtol=1e-12)
        assert np.isfinite(r.log_spectral_norms).all()
        flags = r.overflow[:, 0] if lam > 1 else r.underflow[:, 0]
        other = r.underflow if lam > 1 else r.overflow
        assert flags.any() and not flags.all() and not other.any()
        limit = np.log(np.finfo(np.float64).max) if lam > 1 else np.log(5e-324)
        assert np.array_equal(flags, np.abs(expected) > abs(limit) + 1)  # ±1: rounding at the edge
        plain = r.spectral_norms[flags, 0]
        assert (np.isinf(plain) if lam > 1 else plain == 0).all()


def test_tanh_rnn_with_small_weights_vanishes(rng):
    """Claim nonlinear-bound: σ_max(W_h) < 1/γ = 1 for tanh makes ‖∂h⁽ᵀ⁾/∂h⁽ᵏ⁾‖ decay
    at least geometrically."""
    model = RNN(3, 4, "tanh", rng=rng)
    W = model.params["W_h"]
    W *= 0.8 / np.linalg.norm(W, 2)
    r = jacobian_products(model, rng.normal(size=(30, B, 3)))
    assert (r.spectral_norms <= 0.8 ** r.lags[:, None] * (1 + 1e-12)).all()
    assert (np.diff(r.log_spectral_norms, axis=0) < 0).all()


def test_end_and_start_are_checked(rng):
    model = RNN(3, 4, rng=rng)
    xs = rng.normal(size=(T, B, 3))
    assert jacobian_products(model, xs, end=4).products.shape == (4, B, 4, 4)
    with pytest.raises(InvalidValueError, match=r"end must be a step in \[1, 6\], got 0"):
        jacobian_products(model, xs, end=0)
    with pytest.raises(InvalidValueError, match=r"end must be a step in \[1, 6\], got 7"):
        jacobian_products(model, xs, end=7)
    with pytest.raises(InvalidValueError, match=r"start must be a step in \[0, 5\], got 6"):
        jacobian_products_from(model, xs, start=6)
    with pytest.raises(InvalidValueError, match="start must be an integer step"):
        jacobian_products_from(model, xs, start=1.0)
    with pytest.raises(InvalidValueError, match="got Bidirectional"):
        jacobian_products(Bidirectional(RNN(3, 4), RNN(3, 4)), xs)


def test_a_network_is_measured_through_its_sequence_model(rng):
    from gradsym.numeric.nets.losses import Linear
    from gradsym.numeric.nets.network import Network

    cell = LSTM(3, 4, rng=rng)
    xs = rng.normal(size=(T, B, 3))
    via_network = jacobian_products(Network(cell, Linear(4, 1)), xs)
    np.testing.assert_array_equal(via_network.products, jacobian_products(cell, xs).products)
    stack = Stacked([Bidirectional(RNN(3, 2), RNN(3, 2)), RNN(4, 4)])
    with pytest.raises(InvalidValueError, match="gradsym.analyze measures each"):
        jacobian_products(Network(stack), xs)
