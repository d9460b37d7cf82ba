"""The notes' sufficient condition for vanishing gradients, on the weights at hand.

For h⁽ᵗ⁾ = σ(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b), with γ = sup_z |σ'(z)| (1 for tanh, 1/4 for the
sigmoid), ‖∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾‖₂ = ‖diag(σ'(z)) W_h‖₂ ≤ γ σ₁(W_h), so σ₁(W_h) < 1/γ makes the
gradient vanish at least as fast as (γσ₁)ˡ; exploding needs σ₁(W_h) > 1/γ (claim
nonlinear-bound; Pascanu, Mikolov & Bengio 2013).

For the gated cells the same number is reported for every recurrent gate block (γ = 1/4
for a sigmoid gate, 1 for the tanh candidate), but the condition says nothing about
vanishing there: the carry path (diag(f), diag(1 − u), diag(z)) adds a term the bound
does not cover, and it is exactly the term that keeps gradients alive. The verdict is
given for the vanilla RNN only.

γ is computed from the activation's own derivative, as the largest |σ'(z)| on a grid of
z that contains 0 (where tanh' and σ' peak); the tests check it against the value the
symbolic side derives.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from gradsym.lang.elementwise import get_activation
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN

__all__ = ["BOUNDARY", "NotesBound", "gamma", "notes_bound"]

#: γσ₁ within this of 1 is "at the boundary": an SVD computes σ₁ of an orthogonal matrix as
#: 1 only to round-off, and no verdict may rest on the last bit.
BOUNDARY = 1e-12


@cache
def gamma(activation: str) -> float:
    """γ = sup_z |σ'(z)| of ``activation`` (tanh, sigmoid, relu, identity)."""
    act = get_activation(activation)
    z = np.linspace(-20.0, 20.0, 40001)  # contains 0 exactly
    return float(np.abs(act.grad_from_output(act.apply(z))).max())


def _block_activation(cell, name: str) -> str:
    """The activation of the gate block a recurrent weight feeds (by its suffix)."""
    if isinstance(cell, RNN):
        return cell.activation.name
    candidate = {"W_c", "W_h", "W_n"}
    return "tanh" if name in candidate else "sigmoid"


@dataclass
class NotesBound:
    """Per recurrent weight block: σ₁, the activation it feeds, γ and γσ₁; ``verdict`` for
    the vanilla RNN ("vanishing guaranteed", "explosion possible", "at the boundary"),
    None for a gated cell (``note`` says why)."""

    blocks: dict[str, dict[str, float | str]]
    verdict: str | None
    note: str

    @property
    def vanishing_guaranteed(self) -> bool | None:
        return None if self.verdict is None else self.verdict == "vanishing guaranteed"


def notes_bound(cell) -> NotesBound:
    """σ₁ of each recurrent block of ``cell`` against 1/γ (module docstring)."""
    if not isinstance(cell, (RNN, LSTM, GRU)):
        return NotesBound(
            {},
            None,
            f"the notes' bound is stated for the RNN, LSTM and GRU, not for {type(cell).__name__}",
        )
    blocks = {}
    for name in cell.recurrent_weights:
        act = _block_activation(cell, name)
        g = gamma(act)
        s1 = float(np.linalg.svd(cell.params[name], compute_uv=False)[0])
        blocks[name] = {
            "sigma1": s1,
            "activation": act,
            "gamma": g,
            "one_over_gamma": 1.0 / g,
            "gamma_sigma1": g * s1,
        }
    if isinstance(cell, RNN):
        gs = blocks["W_h"]["gamma_sigma1"]
        if abs(gs - 1.0) <= BOUNDARY:
            verdict = "at the boundary"  # e.g. an orthogonal W_h: σ₁ = 1 up to round-off
        elif gs < 1:
            verdict = "vanishing guaranteed"
        else:
            verdict = "explosion possible"
        note = "σ₁(W_h) < 1/γ guarantees ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ ≤ (γσ₁)ˡ → 0; growth needs σ₁(W_h) > 1/γ"
        return NotesBound(blocks, verdict, note)
    if isinstance(cell, LSTM):
        path = "diag(f)" if cell.forget_gate else "I (no forget gate)"
    else:
        path = "diag(z)" if cell.variant == "torch" else "diag(1 − u)"
    note = (
        f"gated cell: the bound covers the gate terms only; the carry path {path} is not "
        "bounded by it, so no verdict"
    )
    return NotesBound(blocks, None, note)
