"""The compact forms are derived from the equations, not copied; and they read as in the notes."""

from __future__ import annotations

import sympy as sp
from sympy import HadamardProduct, MatAdd

from gradsym.lang.matexpr import Apply, Diag
from gradsym.lang.names import vector
from gradsym.symbolic import cell, jacobian


def test_dropping_the_forget_gate_from_c_changes_the_cell_path():
    lstm = cell("lstm")
    f, c_prev, i, c_tilde = (vector(s) for s in ("f", "c_prev", "i", "c_tilde"))
    assert jacobian(lstm, of="c", wrt="c_prev").expr == Diag(f)
    edited = lstm.with_equation("c", MatAdd(c_prev, HadamardProduct(i, c_tilde)))
    cec = jacobian(edited, of="c", wrt="c_prev")
    assert cec.expr == sp.Identity(sp.Symbol("n", integer=True, positive=True))
    assert cec.prove(2)  # and the new form is right for the new equations
    # the forget gate no longer reaches ∂c/∂h_prev either
    assert not jacobian(edited, of="c", wrt="h_prev").expr.has(vector("z_f"))
    assert jacobian(lstm, of="c", wrt="h_prev").expr.has(vector("z_f"))


def test_dropping_tanh_from_h_changes_dh_dc():
    lstm = cell("lstm")
    o, c = vector("o"), vector("c")
    edited = lstm.with_equation("h", HadamardProduct(o, c))
    before = jacobian(lstm, of="h", wrt="c_prev").expr
    after = jacobian(edited, of="h", wrt="c_prev").expr
    assert before.has(Apply("tanh'", c)) and not after.has(Apply("tanh'", c))
    assert after == Diag(HadamardProduct(o, vector("f")))
    assert jacobian(edited, of="h", wrt="c_prev").prove(2)


def test_the_notes_special_cases():
    n = sp.Symbol("n", integer=True, positive=True)
    # linear RNN: ∂h/∂h_prev = I W_h = W_h (001)
    assert jacobian("rnn", variant="identity").expr == sp.MatrixSymbol("W_h", n, n)
    # 1997 LSTM: ∂c/∂c_prev = I, the constant error carousel (004)
    assert jacobian("lstm", of="c", wrt="c_prev", variant="no_forget").expr == sp.Identity(n)
    # residual connection: I + ∂F/∂x (000, 001)
    assert jacobian("residual", of="y", wrt="x").expr.has(sp.Identity(n))
    # GRU: the identity path diag(1 − u) (001)
    assert jacobian("gru", variant="textbook").expr.has(
        Diag(MatAdd(sp.OneMatrix(n, 1), -vector("u")))
    )


def test_derivations_are_cached():
    first = jacobian("lstm", of="state", wrt="state", variant="peephole")
    again = jacobian("lstm", of="state", wrt="state", variant="peephole")
    assert again is first  # the same object: derived once (speed is the benchmark's business)
    assert first.lambdify() is again.lambdify()
    assert first.explicit(2) is again.explicit(2)
