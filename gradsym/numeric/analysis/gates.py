"""The gates of a trained cell: how their values are distributed, how many saturate, and
how much of the state the carry path keeps over a span.

Distributions and saturation, per sigmoid gate (the LSTM's f, i, o; the GRU's u, r or
PyTorch's r, z), over every measured step, sequence and unit: the mean, a histogram on
[0, 1] (:data:`BINS` bins) and the fractions below :data:`LOW` and above :data:`HIGH`
(the "left-" and "right-saturated" gates of Karpathy, Johnson & Fei-Fei 2015,
"Visualizing and understanding recurrent networks").

The carry path over a span of ℓ steps ending at T, per unit and sequence:

    LSTM                ∏_{t=T−ℓ+1}^{T} f⁽ᵗ⁾   the direct path ∂c⁽ᵀ⁾/∂c⁽ᵀ⁻ˡ⁾ = diag(∏ f)
                                               (claim lstm-cell-path; 1 without a forget
                                               gate: the constant error carousel, claim cec)
    GRU (notes)         ∏ (1 − u⁽ᵗ⁾)           the identity path of h = (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃
    GRU (PyTorch)       ∏ z⁽ᵗ⁾                 the identity path of h = (1 − z)∘n + z∘h⁽ᵗ⁻¹⁾

reported as the 10/50/90 % quantiles over units × sequences of log10 ∏, per lag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsym.numeric.analysis.flow import quantiles
from gradsym.numeric.cells.cell import Trace
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM

__all__ = ["BINS", "HIGH", "LOW", "GateStatistics", "carry_gate", "gate_statistics"]

BINS = 20
LOW, HIGH = 0.1, 0.9

_SIGMOID_GATES = {"lstm": ("f", "i", "o"), "textbook": ("u", "r"), "minimal": ("u",)}
_SIGMOID_GATES["torch"] = ("r", "z")


def _sigmoid_gates(cell) -> tuple[str, ...]:
    if isinstance(cell, LSTM):
        return tuple(g for g in _SIGMOID_GATES["lstm"] if g in cell.gate_names)
    if isinstance(cell, GRU):
        return _SIGMOID_GATES[cell.variant]
    return ()


def carry_gate(cell) -> tuple[str, str] | None:
    """(description, gate) of the cell's carry path: ("∏ f", "f"), ("∏ (1 − u)", "u"),
    ("∏ z", "z"), ("1 (no forget gate)", "") for the 1997 LSTM; None for the RNN."""
    if isinstance(cell, LSTM):
        return ("∏ f", "f") if cell.forget_gate else ("1 (no forget gate)", "")
    if isinstance(cell, GRU):
        return ("∏ z", "z") if cell.variant == "torch" else ("∏ (1 − u)", "u")
    return None


@dataclass
class GateStatistics:
    """Per sigmoid gate: ``mean``, ``histogram`` (fractions in :data:`BINS` bins on
    [0, 1]), ``low`` and ``high`` (fractions below :data:`LOW`, above :data:`HIGH`);
    ``carry`` the carry path's name and its log10 quantiles per lag (``carry_lags``)."""

    gates: dict[str, dict[str, object]]
    carry_name: str
    carry_lags: np.ndarray
    carry_log10: dict[str, np.ndarray]
    steps: int

    def settings(self) -> dict:
        return {
            "bins": BINS,
            "saturated_below": LOW,
            "saturated_above": HIGH,
            "steps_counted": self.steps,
        }


def gate_statistics(
    cell, trace: Trace, *, skip: int = 0, lags: np.ndarray
) -> GateStatistics | None:
    """Gate statistics of ``cell``'s forward ``trace``, counting steps from ``skip`` (the
    transient) for the distributions, and the carry path at ``lags`` (ending at the last
    step). None for a cell without gates."""
    carry = carry_gate(cell)
    if carry is None:
        return None
    gates = {}
    edges = np.linspace(0.0, 1.0, BINS + 1)
    for g in _sigmoid_gates(cell):
        v = trace.gates[g][skip:].ravel()
        counts, _ = np.histogram(v, bins=edges)
        gates[g] = {
            "mean": float(v.mean()),
            "histogram": counts / v.size,
            "low": float(np.mean(v < LOW)),
            "high": float(np.mean(v > HIGH)),
        }
    name, gate = carry
    T = trace.xs.shape[0]
    lags = np.asarray(lags, dtype=np.int64)
    if gate:
        keep = trace.gates[gate][::-1]  # (T, B, n), the last step first
        if gate == "u":
            keep = 1.0 - keep
        with np.errstate(divide="ignore"):
            log10_products = np.cumsum(np.log10(keep), axis=0)  # [ℓ − 1]: span of ℓ steps
        rows = log10_products[lags - 1].reshape(len(lags), -1)
    else:
        rows = np.zeros((len(lags), 1))
    q10, q50, q90 = quantiles(rows)
    return GateStatistics(
        gates=gates,
        carry_name=name,
        carry_lags=lags[lags <= T],
        carry_log10={"q10": q10, "median": q50, "q90": q90},
        steps=T - skip,
    )
