"""Per-lag gradient norms ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ (claims chain-rule, bptt-factors, explode)."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym.errors import InvalidValueError, UnknownNameError
from gradsym.numeric.analysis.flow import (
    DENSE_LAGS,
    LOGGED_LAG,
    gradient_flow,
    lag_grid,
    quantiles,
)
from gradsym.numeric.cells.factory import cell_variants, make_cell
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.spans import jacobian_products
from gradsym.numeric.nets.stacked import Stacked


@pytest.mark.parametrize(("name", "variant"), cell_variants())
def test_norms_are_those_of_the_products_of_state_jacobians(name, variant, rng):
    cell = make_cell(name, variant, 3, 5, rng=rng)
    xs = rng.standard_normal((25, 3, 3))
    flow = gradient_flow(cell, xs)
    spans = jacobian_products(cell, xs)  # the products themselves, kept
    h_block = spans.products[:, :, :5, :5]
    with np.errstate(divide="ignore"):  # a ReLU RNN's product can vanish exactly
        expected = np.log(np.linalg.svd(h_block, compute_uv=False)[..., 0])
    finite = np.isfinite(expected)
    np.testing.assert_allclose(flow.log_norms[finite], expected[finite], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.isneginf(flow.log_norms), np.isneginf(expected))
    np.testing.assert_allclose(flow.log_state_norms, spans.log_spectral_norms, rtol=1e-12)
    if cell.state_size != 5:  # the LSTM: the h–h block is not the whole product
        assert np.abs(flow.log_norms - flow.log_state_norms).max() > 1e-3


def test_norms_stay_exact_where_the_plain_numbers_overflow():
    """h⁽ᵗ⁾ = 3 h⁽ᵗ⁻¹⁾ (+ input): ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖ = 3ˡ, far beyond float64 at ℓ = 1000."""
    cell = RNN(1, 2, "identity")
    cell.params["W_h"][...] = 3.0 * np.eye(2)
    cell.params["b"][...] = 0.0
    cell.params["W_x"][...] = 0.0
    flow = gradient_flow(cell, np.zeros((1000, 1, 1)), lags=[1, 500, 1000])
    np.testing.assert_allclose(
        flow.log_norms[:, 0], np.log(3.0) * np.array([1, 500, 1000]), rtol=1e-13
    )


def test_lag_grid():
    assert list(lag_grid(40, 256)) == list(range(1, 41))
    assert list(lag_grid(300, 16)) == list(range(1, 301))  # small states: every lag
    grid = lag_grid(300, 256)
    assert list(grid[:DENSE_LAGS]) == list(range(1, DENSE_LAGS + 1))
    assert LOGGED_LAG in grid and grid[-1] == 300 and len(grid) <= 64
    assert (np.diff(grid) > 0).all()


def test_quantiles_keep_an_exactly_vanished_norm():
    values = np.array([[-np.inf, -np.inf, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0, 4.0]])
    q10, q50, q90 = quantiles(values)
    assert q10[0] == -np.inf and q50[0] == 1.0 and q90[0] == pytest.approx(2.6)
    np.testing.assert_allclose([q10[1], q50[1], q90[1]], [0.4, 2.0, 3.6])


def test_the_flow_reports_its_settings(rng):
    flow = gradient_flow(RNN(2, 3), rng.standard_normal((60, 4, 2)), max_lag=55)
    assert flow.max_lag == 55 and flow.end == 60 and flow.sequences == 4
    assert flow.at(50).shape == (4,)
    q = flow.log10_quantiles()
    assert (q["q10"] <= q["median"]).all() and (q["median"] <= q["q90"]).all()
    assert "55" in repr(flow)
    with pytest.raises(InvalidValueError, match="lag 57 was not measured"):
        flow.at(57)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_lag": 11}, "max_lag = 11 is longer than the sequence"),
        ({"lags": [0, 3]}, "lags must lie in"),
        ({"lags": []}, "lags must lie in"),
        ({"max_lag": 0}, "max_lag must be a positive integer"),
    ],
)
def test_bad_lags_are_refused(kwargs, message, rng):
    with pytest.raises(InvalidValueError, match=message):
        gradient_flow(RNN(2, 3), rng.standard_normal((10, 2, 2)), **kwargs)


def test_only_a_cell_is_taken(rng):
    with pytest.raises(InvalidValueError, match="needs a cell"):
        gradient_flow(Stacked([RNN(2, 3), RNN(3, 3)]), rng.standard_normal((5, 2, 2)))


def test_any_block_of_the_state_is_measured(rng):
    """block="c": the LSTM's cell path, the c–c block of the product; "state": all of it."""
    cell = make_cell("lstm", None, 3, 4, rng=rng)
    xs = rng.standard_normal((12, 2, 3))
    products = jacobian_products(cell, xs).products  # [ℓ − 1]: the product over lag ℓ
    n = cell.hidden_size
    for block, rows in (("c", slice(n, 2 * n)), ("state", slice(0, 2 * n)), ("h", slice(0, n))):
        flow = gradient_flow(cell, xs, block=block)
        assert flow.block == block and flow.settings()["block"] == block
        for i, lag in enumerate(flow.lags):
            P = products[int(lag) - 1][:, rows, rows]
            want = np.log(np.linalg.svd(P, compute_uv=False)[:, 0])
            np.testing.assert_allclose(flow.log_norms[i], want, rtol=1e-10)
    with pytest.raises(UnknownNameError, match="block of the LSTM's state 'u'"):
        gradient_flow(cell, xs, block="u")


def test_a_cell_whose_memory_is_c_has_a_finite_c_flow_where_h_vanishes_exactly(rng):
    """h read out of c only: ∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾ is exactly 0 (its log −inf), the gradient lives
    on c — what block="c" measures."""
    import gradsym

    memory = gradsym.cell_from_equations(
        "memory_in_c",
        "f = sigma(U_f @ x + b_f)\nc = f * c_prev + (1 - f) * tanh(U @ x)\nh = tanh(c)",
        state=["h", "c"],
    )
    cell = memory.numpy(2, 3, rng=0)
    xs = rng.standard_normal((10, 2, 2))
    assert np.all(np.isneginf(gradient_flow(cell, xs).log_norms))
    c_flow = gradient_flow(cell, xs, block="c")
    assert np.all(np.isfinite(c_flow.log_norms)) and np.all(c_flow.log_norms < 0)
