"""Gate statistics and the carry path ∏ f, ∏ (1 − u), ∏ z (claims lstm-cell-path, cec,
gru-retain, gates-range)."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym.numeric.analysis.gates import BINS, HIGH, LOW, carry_gate, gate_statistics
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN

LAGS = np.array([1, 2, 5, 10, 20])


def carry_reference(keep: np.ndarray, lag: int) -> np.ndarray:
    """∏ over the last ``lag`` steps of ``keep`` (T, B, n), per sequence and unit."""
    return np.prod(keep[-lag:], axis=0).ravel()


@pytest.mark.parametrize(
    ("cell", "gate", "keep"),
    [
        (LSTM(3, 4, rng=1), "f", lambda g: g["f"]),
        (GRU(3, 4, variant="textbook", rng=1), "u", lambda g: 1.0 - g["u"]),
        (GRU(3, 4, variant="minimal", rng=1), "u", lambda g: 1.0 - g["u"]),
        (GRU(3, 4, variant="torch", rng=1), "z", lambda g: g["z"]),
    ],
)
def test_the_carry_path_is_the_product_of_the_gate_over_the_span(cell, gate, keep, rng):
    trace = cell.forward(rng.standard_normal((20, 5, 3)))
    stats = gate_statistics(cell, trace, lags=LAGS)
    assert carry_gate(cell)[1] == gate
    for i, lag in enumerate(LAGS):
        log10_products = np.log10(carry_reference(keep(trace.gates), lag))
        for key, q in (("q10", 0.1), ("median", 0.5), ("q90", 0.9)):
            assert stats.carry_log10[key][i] == pytest.approx(
                np.quantile(log10_products, q), abs=1e-12
            )


def test_the_1997_lstm_carries_everything():
    cell = LSTM(3, 4, forget_gate=False)
    trace = cell.forward(np.ones((20, 2, 3)))
    stats = gate_statistics(cell, trace, lags=LAGS)
    assert stats.carry_name == "1 (no forget gate)"
    assert (stats.carry_log10["median"] == 0.0).all()
    assert sorted(stats.gates) == ["i", "o"]


def test_distributions_and_saturation(rng):
    cell = LSTM(3, 4, rng=1)
    cell.params["b_f"][...] = 8.0  # forget gates right-saturated: σ(8) ≈ 0.9997
    cell.params["b_i"][...] = -8.0  # input gates left-saturated
    trace = cell.forward(rng.standard_normal((30, 6, 3)))
    stats = gate_statistics(cell, trace, skip=10, lags=LAGS)
    f, i, o = stats.gates["f"], stats.gates["i"], stats.gates["o"]
    assert f["high"] == 1.0 and f["low"] == 0.0 and i["low"] == 1.0
    assert 0 < o["mean"] < 1  # every gate value lies in (0, 1): claim gates-range
    for g in (f, i, o):
        assert g["histogram"].shape == (BINS,) and g["histogram"].sum() == pytest.approx(1.0)
    v = trace.gates["o"][10:]
    assert o["high"] == pytest.approx(np.mean(v > HIGH)) and o["low"] == pytest.approx(
        np.mean(v < LOW)
    )
    assert stats.steps == 20


def test_an_rnn_has_no_gates(rng):
    cell = RNN(3, 4)
    assert carry_gate(cell) is None
    assert gate_statistics(cell, cell.forward(rng.standard_normal((5, 2, 3))), lags=LAGS) is None
