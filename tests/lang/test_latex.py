"""LaTeX in the notes' notation, checked on exact strings."""

from __future__ import annotations

import sympy as sp

from gradsym.lang.functions import relu, sigmoid
from gradsym.lang.names import entry_symbol
from gradsym.symbolic import jacobian, notes_latex


def test_rnn_jacobian_as_on_the_slide():
    jac = jacobian("rnn", of="h", wrt="h_prev", variant="sigmoid")
    assert jac.latex(inline=True) == (
        r"\frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}} = "
        r"\operatorname{diag}\left(\sigma'\left(\mathbf{W}_h \mathbf{h}^{(t-1)} + "
        r"\mathbf{W}_x \mathbf{x}^{(t)} + \mathbf{b}\right)\right) \mathbf{W}_h"
    )
    assert jac.latex(equation=False) == (
        r"\operatorname{diag}\left(\sigma'\left(\mathbf{z}^{(t)}\right)\right) \mathbf{W}_h"
    )


def test_lstm_cell_path_and_cec():
    assert jacobian("lstm", of="c", wrt="c_prev").latex() == (
        r"\frac{\partial \mathbf{c}^{(t)}}{\partial \mathbf{c}^{(t-1)}} = "
        r"\operatorname{diag}\left(\mathbf{f}^{(t)}\right)"
    )
    assert (
        jacobian("lstm", of="c", wrt="c_prev", variant="no_forget").latex(equation=False)
        == r"\mathbf{I}"
    )


def test_gru_minimal_in_the_one_notation_of_the_notes():
    # Seed 003 writes the gate Gamma_u; the notes map it once (their box) and print u.
    assert jacobian("gru", variant="minimal").latex(equation=False) == (
        r"\operatorname{diag}\left(\left(\tilde{\mathbf{h}}^{(t)} - \mathbf{h}^{(t-1)}\right) \circ "
        r"\sigma'\left(\mathbf{z}_u^{(t)}\right)\right) \mathbf{W}_u + "
        r"\operatorname{diag}\left(1 - \mathbf{u}^{(t)}\right) + "
        r"\operatorname{diag}\left(\mathbf{u}^{(t)} \circ \tanh'\left(\mathbf{z}_h^{(t)}\right)\right) \mathbf{W}_h"
    )


def test_pytorchs_gru_gate_prints_as_u_bar_never_z():
    # z is only ever a pre-activation: PyTorch's gate z on h^(t-1) is printed u-bar.
    latex = jacobian("gru", variant="torch").latex(equation=False)
    assert r"\operatorname{diag}\left(\bar{\mathbf{u}}^{(t)}\right)" in latex
    assert r"\mathbf{z}^{(t)}" not in latex and r"\mathbf{n}^{(t)}" not in latex


def test_scalar_functions_and_entries():
    z = sp.Symbol("z")
    assert notes_latex(sigmoid(z)) == r"\sigma\left(z\right)"
    assert notes_latex(relu(z)) == r"\operatorname{ReLU}\left(z\right)"
    assert notes_latex(entry_symbol("W_h", 0, 1)) == r"\left[\mathbf{W}_h\right]_{1,2}"
    assert notes_latex(entry_symbol("h_prev", 2)) == r"\left[\mathbf{h}^{(t-1)}\right]_{3}"


def test_explicit_form_prints_with_entries():
    text = notes_latex(jacobian("rnn", variant="identity").explicit(1))
    assert text == r"\left[\begin{matrix}\left[\mathbf{W}_h\right]_{1,1}\end{matrix}\right]"


def test_heaviside_prints_as_step_not_theta():
    # \theta is the notes' parameters; the unit step prints as step(z).
    z = sp.Symbol("z")
    assert notes_latex(sp.Heaviside(z)) == r"\operatorname{step}\left(z\right)"
    assert notes_latex(sp.Heaviside(z) ** 2) == r"\operatorname{step}^{2}\left(z\right)"


def test_infinity_and_constants_keep_their_latex():
    assert notes_latex(sp.oo) == r"\infty"
    assert notes_latex(-sp.oo) == r"-\infty"
    assert notes_latex(sp.pi) == r"\pi"


def test_transposes_print_as_top_inverses_and_derivatives_as_the_notes():
    from sympy import Inverse, MatrixSymbol, Transpose

    from gradsym.lang.functions import relu

    W = MatrixSymbol("W_h", 3, 3)
    h_prev = MatrixSymbol("h_prev", 3, 1)
    assert notes_latex(Transpose(W)) == r"\mathbf{W}_h^{\top}"
    assert notes_latex(Transpose(h_prev)) == r"\mathbf{h}^{(t-1)\top}"
    assert (
        notes_latex(Transpose(W * h_prev)) == r"\left(\mathbf{W}_h \mathbf{h}^{(t-1)}\right)^{\top}"
    )
    assert notes_latex(Inverse(W)) == r"\mathbf{W}_h^{-1}"
    z = sp.Symbol("z")
    assert notes_latex(sp.Derivative(sp.tanh(z), z)) == r"\tanh'\left(z\right)"
    assert notes_latex(sp.Derivative(relu(z), z)) == r"\operatorname{ReLU}'\left(z\right)"
    i, j = sp.symbols("i j")
    assert notes_latex(sp.IndexedBase("h_prev")[j]) == r"h_{j}^{(t-1)}"
    assert notes_latex(sp.IndexedBase("W_h")[i, j]) == r"\left[\mathbf{W}_h\right]_{ij}"
    assert notes_latex(sp.IndexedBase("z_f")[i]) == r"z_{f,i}^{(t)}"


def test_sums_keep_a_positive_term_first():
    t, k = sp.symbols("t k", integer=True)
    assert notes_latex(t - k) == "t - k"
    assert notes_latex(1 - t) == "1 - t"
