"""What a notebook shows: short reprs (never whole arrays), Markdown tables, and SymPy's own
``latex`` (hence ``init_printing`` and Jupyter) in the notes' notation through the
``_latex`` hooks of Diag, Apply and NotesMatrix, which delegate to the notes' printer."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from gradsym import LSTM, RNN, TrainConfig, Trainer, jacobian, jacobian_products
from gradsym.display import exp_number, markdown_table, time_step
from gradsym.lang.latex import notes_latex
from gradsym.lang.matexpr import Apply, Diag, NotesMatrix
from gradsym.lang.names import vector

# -- SymPy's latex in the notes' notation ---------------------------------------------------


def test_sympy_s_latex_prints_diag_and_apply_as_the_notes():
    J = jacobian("rnn", of="h", wrt="h_prev", variant="tanh")
    text = sp.latex(J.expr)
    assert text.startswith(r"\operatorname{diag}\left(\tanh'\left(\mathbf{z}^{(t)}\right)\right)")
    assert "Apply" not in text and "Diag" not in text


def test_the_hooks_print_time_steps_and_tildes_through_the_notes_printer():
    J = jacobian("gru", of="h", wrt="h_prev", variant="textbook")
    text = sp.latex(J.expr)
    for piece in (
        r"\operatorname{diag}\left(1 - \mathbf{u}^{(t)}\right)",
        r"\tilde{\mathbf{h}}^{(t)} - \mathbf{h}^{(t-1)}",
        r"\sigma'\left(\mathbf{z}_u^{(t)}\right)",
    ):
        assert piece in text
    # delegated, not a second copy: each hook's text is the notes printer's
    for node in J.expr.atoms(Diag) | J.expr.atoms(Apply):
        assert sp.latex(node) == notes_latex(node)


def test_jupyter_s_sympy_display_uses_the_hooks():
    z = vector("z_f")
    assert r"\sigma\left(\mathbf{z}_f^{(t)}\right)" in Apply("sigmoid", z)._repr_latex_()
    assert r"\operatorname{diag}" in Diag(z)._repr_latex_()


def test_explicit_matrices_print_their_entries_as_the_notes():
    E = jacobian("lstm", of="c", wrt="c_prev").explicit(2)
    text = sp.latex(E)
    assert r"\left[\mathbf{U}_f\right]_{1,2}" in text and r"\left[\mathbf{b}_f\right]_{2}" in text
    assert "U_{f[" not in text and "[0,0]" not in text
    assert E._repr_latex_().count(r"\left[\mathbf{W}_f\right]_{2,1}") == 1


def test_a_notes_matrix_equals_and_hashes_as_the_plain_one():
    a = sp.Symbol("W_h[0,1]", real=True)
    plain = sp.ImmutableMatrix([[a, 1], [0, a**2]])
    notes = NotesMatrix.of(plain)
    assert isinstance(notes, NotesMatrix) and notes == plain and plain == notes
    assert hash(notes) == hash(plain) and {plain: 1}[notes] == 1
    assert notes != sp.ImmutableMatrix([[a, 2], [0, a**2]])  # equality can fail
    assert jacobian("rnn", variant="identity").explicit(2) == sp.ImmutableMatrix(
        2, 2, lambda i, j: sp.Symbol(f"W_h[{i},{j}]", real=True)
    )


def test_a_jacobian_shows_its_latex_and_a_short_repr():
    J = jacobian("lstm", of="c", wrt="c_prev")
    assert J._repr_latex_() == f"$\\displaystyle {J.latex()}$"
    assert repr(J) == "Jacobian(cell='lstm', variant='standard', of='c', wrt='c_prev'): Diag(f)"
    long = repr(jacobian("lstm", of="state", wrt="state"))
    assert long.endswith("...") and len(long) < 200 and "definitions" not in long


# -- short reprs of the numeric results ----------------------------------------------------


@pytest.fixture(scope="module")
def pass_of_lstm():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((20, 8, 3))
    cell = LSTM(3, 16)
    trace = cell.forward(xs)
    return trace, cell.backward(trace, np.ones_like(trace.h))


def test_a_trace_shows_shapes_not_arrays(pass_of_lstm):
    trace, grads = pass_of_lstm
    assert repr(trace) == (
        "Trace(T=20, B=8, states: h (20, 8, 16), c (20, 8, 16); gates: f, i, o, c_tilde)"
    )
    assert repr(grads) == (
        "Gradients(dxs (20, 8, 3); params: W_f (16, 16), W_i (16, 16), W_o (16, 16), "
        "W_c (16, 16), … 8 more; adjoints: h, c)"
    )


def test_traces_of_networks_show_shapes_not_arrays():
    from gradsym import GRU, Bidirectional, Stacked

    xs = np.zeros((5, 2, 3))
    stacked = Stacked([RNN(3, 4), RNN(4, 4)]).forward(xs)
    assert repr(stacked) == "StackedTrace(T=5, B=2, 2 layers, outputs (5, 2, 4))"
    pair = repr(Bidirectional(GRU(3, 4), GRU(3, 4)).forward(xs))
    assert pair.startswith("BidirectionalTrace(T=5, B=2, h (5, 2, 8); forward: Trace(T=5")
    assert "array(" not in pair


def test_span_jacobians_show_a_summary_and_a_table():
    rng = np.random.default_rng(1)
    spans = jacobian_products(RNN(3, 16, "tanh"), rng.standard_normal((20, 4, 3)))
    text = repr(spans)
    assert text.startswith("SpanJacobians(anchor='end' at step 20, lags 1..20, B=4, S=16;")
    first = exp_number(float(np.median(spans.log_spectral_norms[0])))
    assert f"median ‖∂s⁽²⁰⁾/∂s⁽¹⁹⁾‖₂ = {first}" in text
    assert "array(" not in text and len(text) < 200
    table = spans._repr_markdown_()
    assert "| 20 | ∂s⁽²⁰⁾/∂s⁽⁰⁾ |" in table and table.count("\n|") == 10  # header, rule, 8 lags


def test_overflow_is_flagged_in_the_repr():
    rnn = RNN(2, 2, "identity")
    rnn.params["W_h"][...] = np.eye(2) * 1e30
    rnn.params["b"][...] = 0.0  # h stays 0: only the products of Jacobians explode
    with np.errstate(over="ignore", invalid="ignore"):  # plain norms overflow, as documented
        spans = jacobian_products(rnn, np.zeros((20, 1, 2)))
    assert "overflow at" in repr(spans)
    assert "e+" in repr(spans)  # the log norm is shown beyond float64's range


def test_a_train_result_shows_one_line_and_a_table():
    config = TrainConfig(task_kwargs={"length": 20}, hidden=3, batch=2, steps=3, eval_batch=2)
    result = Trainer(config).run()
    text = repr(result)
    assert text.startswith("TrainResult(lstm on adding, step 3/3, train loss ")
    assert "history" in text and "{" not in text and len(text) < 200
    table = result._repr_markdown_()
    assert "| model | lstm (3 hidden × 1 layer, float64) |" in table
    assert "| task | adding (length=20) |" in table and "| recoveries | 0 |" in table


# -- the helpers ---------------------------------------------------------------------------


def test_numbers_beyond_float64_are_still_written():
    assert exp_number(0.0) == "1"
    assert exp_number(-2000.0) == "1e-869"
    assert exp_number(float("-inf")) == "0"
    assert time_step("h", -1) == "h⁽⁻¹⁾"
    assert markdown_table(["a", "b"], [[1, "x|y"]]) == "| a | b |\n|---|---|\n| 1 | x\\|y |\n"
