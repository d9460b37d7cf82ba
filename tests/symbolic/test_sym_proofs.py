"""Every compact Jacobian equals SymPy's explicit Jacobian identically at n = 1, 2, 3."""

from __future__ import annotations

import pytest
import sympy as sp
from sympy import MatMul, Transpose

from gradsym.lang.matexpr import Apply, Diag
from gradsym.lang.names import matrix, vector
from gradsym.symbolic import (
    all_cells,
    cell_blocks,
    jacobian,
    lstm_cell_path_index_form,
    rnn_index_form,
)
from gradsym.symbolic.proof import prove_at

CASES = [(c.name, c.variant, of, wrt) for c in all_cells() for of, wrt in cell_blocks(c)]


@pytest.mark.parametrize("name, variant, of, wrt", CASES, ids=["-".join(c) for c in CASES])
def test_compact_equals_explicit(name, variant, of, wrt):
    jac = jacobian(name, of=of, wrt=wrt, variant=variant)
    for n in (1, 2, 3):
        d = n + 1  # input size ≠ hidden size, so a transposed U cannot pass
        result = jac.prove(n, d)
        assert result.holds, f"{name}/{variant} ∂{of}/∂{wrt} at n={n}: {result}"


def test_every_cell_and_variant_is_covered():
    names = {(c[0], c[1]) for c in CASES}
    assert {("rnn", a) for a in ("tanh", "sigmoid", "relu", "identity")} <= names
    assert {("lstm", v) for v in ("standard", "peephole", "no_forget")} <= names
    assert {("gru", v) for v in ("textbook", "minimal", "torch")} <= names
    assert {"birnn", "stacked", "residual", "highway"} <= {c[0] for c in CASES}


def test_wrong_compact_forms_are_rejected():
    rnn = jacobian("rnn", of="h", wrt="h_prev")
    W_h, z = matrix("W_h"), vector("z")
    transposed = MatMul(Diag(Apply("tanh'", z)), Transpose(W_h))
    wrong_prime = MatMul(Diag(Apply("tanh", z)), W_h)
    assert prove_at(rnn.expr, rnn.cell, "h", "h_prev", 2)
    for wrong in (transposed, wrong_prime):
        result = prove_at(wrong, rnn.cell, "h", "h_prev", 2)
        assert not result.holds and result.entry is not None and result.residual != 0
    # the LSTM cell path without the forget gate's factor: diag(1) = I instead of diag(f)
    lstm = jacobian("lstm", of="c", wrt="c_prev")
    assert not prove_at(sp.Identity(lstm.shape[0]), lstm.cell, "c", "c_prev", 2)
    # the GRU with the update gate on the wrong side: diag(u) instead of diag(1 − u) …
    gru = jacobian("gru", of="h", wrt="h_prev", variant="minimal")
    swapped = next(t for t in gru.expr.args if isinstance(t, Diag))  # diag(1 − u)
    wrong = gru.expr.xreplace({swapped: Diag(vector("u"))})
    assert not prove_at(wrong, gru.cell, "h", "h_prev", 1)


def test_a_block_of_the_wrong_shape_is_rejected():
    rnn = jacobian("rnn", of="h", wrt="x")
    W_h = matrix("W_h")
    assert not prove_at(MatMul(Diag(Apply("tanh'", vector("z"))), W_h), rnn.cell, "h", "x", 2, 3)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_rnn_jacobian_in_index_notation_for_every_n(activation):
    derived, expected, holds = rnn_index_form(activation)
    assert holds
    assert derived.free_symbols >= expected.free_symbols


def test_lstm_cell_path_in_index_notation_for_every_n():
    _derived, expected, holds = lstm_cell_path_index_form()
    assert holds and expected.has(sp.KroneckerDelta)
