"""The notes' bound σ₁(W_h) < 1/γ on the weights at hand (claim nonlinear-bound)."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym.numeric.analysis.bound import gamma, notes_bound
from gradsym.numeric.analysis.flow import gradient_flow
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.optim.initialisers import initialise


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_gamma_is_the_value_the_symbolic_side_derives(activation):
    from gradsym.symbolic.spectral import gamma as symbolic_gamma

    assert gamma(activation) == float(symbolic_gamma(activation).value)


@pytest.mark.parametrize(
    ("factor", "verdict"), [(0.8, "vanishing guaranteed"), (1.5, "explosion possible")]
)
def test_the_verdict_and_the_measured_flow_agree_with_the_bound(factor, verdict, rng):
    cell = RNN(3, 8, "tanh")
    initialise(cell, recurrent="orthogonal", gain=factor, rng=rng)  # σ₁ = factor
    bound = notes_bound(cell)
    block = bound.blocks["W_h"]
    assert block["sigma1"] == pytest.approx(factor)
    assert block["gamma"] == 1.0 and block["gamma_sigma1"] == pytest.approx(factor)
    assert bound.verdict == verdict
    assert bound.vanishing_guaranteed is (factor < 1)
    flow = gradient_flow(cell, rng.standard_normal((40, 6, 3)))
    if factor < 1:  # ‖∏ diag(σ') W_h‖ ≤ (γσ₁)ˡ at every lag and for every sequence
        assert (flow.log_norms <= flow.lags[:, None] * np.log(factor) + 1e-12).all()


def test_an_orthogonal_w_h_is_at_the_boundary(rng):
    """σ₁ = 1 up to round-off: neither guarantee holds, whichever side the last bit falls."""
    cell = RNN(3, 8, "tanh")
    initialise(cell, recurrent="orthogonal", rng=rng)
    assert abs(notes_bound(cell).blocks["W_h"]["gamma_sigma1"] - 1.0) < 1e-14
    assert notes_bound(cell).verdict == "at the boundary"
    cell.params["W_h"][...] *= 1.0 + 1e-9  # beyond round-off: a verdict again
    assert notes_bound(cell).verdict == "explosion possible"


def test_gated_cells_get_every_block_and_no_verdict():
    lstm = notes_bound(LSTM(3, 4))
    assert sorted(lstm.blocks) == ["W_c", "W_f", "W_i", "W_o"]
    assert lstm.blocks["W_f"]["gamma"] == 0.25 and lstm.blocks["W_c"]["gamma"] == 1.0
    assert lstm.verdict is None and "diag(f)" in lstm.note
    gru = notes_bound(GRU(3, 4, variant="torch"))
    assert sorted(gru.blocks) == ["W_n", "W_r", "W_z"]
    assert gru.blocks["W_n"]["activation"] == "tanh" and "diag(z)" in gru.note
    assert "diag(1 − u)" in notes_bound(GRU(3, 4)).note
    assert "I (no forget gate)" in notes_bound(LSTM(3, 4, forget_gate=False)).note
