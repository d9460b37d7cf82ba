"""check_jacobian accepts every equivalent form and refutes the typical mistakes, with a
counterexample; bad candidates raise CandidateError."""

from __future__ import annotations

import numpy as np
import pytest
from sympy import HadamardProduct, MatAdd, MatMul, OneMatrix, Transpose

from gradsym.checker import check_jacobian, symbols
from gradsym.errors import CandidateError, UnknownNameError
from gradsym.lang.matexpr import Apply, Diag
from gradsym.symbolic import jacobian

RNN = "diag(tanh_prime(W_h*h_prev + W_x*x + b))*W_h"
GRU = (
    "diag(1 - u) + diag((h_tilde - h_prev)*sigma_prime(z_u))*W_u"
    " + diag(u*tanh_prime(z_h))*W_h*(diag(r) + diag(h_prev*sigma_prime(z_r))*W_r)"
)
LSTM_DC_DH = (
    "diag(c_prev*sigma_prime(z_f))*W_f + diag(c_tilde*sigma_prime(z_i))*W_i"
    " + diag(i*tanh_prime(z_c))*W_c"
)

ACCEPT = [
    ("rnn", None, "h", "h_prev", RNN),
    ("rnn", None, "h", "h_prev", "diag(tanh_prime(z)) @ W_h"),
    ("rnn", None, "h", "h_prev", "diag(1 - tanh(z)**2)*W_h"),  # tanh' written out
    ("rnn", None, "h", "h_prev", "(W_h.T*diag(tanh_prime(z))).T"),  # transposed and back
    ("rnn", None, "h", "h_prev", "diag(1 - h*h)*W_h"),  # via the output h = tanh(z)
    ("rnn", "sigmoid", "h", "h_prev", "diag(sigma(z)*(1 - sigma(z)))*W_h"),  # σ(1 − σ) for σ'
    ("rnn", "sigmoid", "h", "h_prev", "diag(h - h**2)*W_h"),  # expanded
    ("rnn", "identity", "h", "h_prev", "I*W_h"),
    ("rnn", None, "h", "x", "diag(tanh_prime(z))*W_x"),
    ("gru", None, "h", "h_prev", GRU),
    (
        "gru",
        None,
        "h",
        "h_prev",  # factored differently: diag(1) − diag(u), terms reordered
        (
            "I - diag(u) + diag(u*tanh_prime(z_h))*W_h*diag(r) + diag(h_tilde*sigma_prime(z_u))*W_u"
            " - diag(h_prev*sigma_prime(z_u))*W_u + diag(u*tanh_prime(z_h))*W_h*diag(h_prev*sigma_prime(z_r))*W_r"
        ),
    ),
    (
        "gru",
        None,
        "h",
        "h_prev",  # unicode, σ' as σ(1 − σ)
        (
            "diag(1 − u) + diag((h_tilde − h_prev)∘u∘(1 − u))·W_u"
            " + diag(u∘(1 − h_tilde**2))·W_h·(diag(r) + diag(h_prev∘r∘(1 − r))·W_r)"
        ),
    ),
    ("lstm", None, "c", "c_prev", "diag(f)"),
    ("lstm", None, "c", "h_prev", LSTM_DC_DH),
    (
        "lstm",
        None,
        "c",
        "h_prev",  # σ' of the gate written through its value
        ("diag(c_prev*f*(1 - f))*W_f + diag(c_tilde*i*(1 - i))*W_i + diag(i*(1 - c_tilde**2))*W_c"),
    ),
    ("lstm", None, "h", "c_prev", "diag(o*tanh_prime(c)*f)"),
    ("lstm", None, "h", "c_prev", "diag(o)*diag(1 - tanh(c)**2)*diag(f)"),
    ("lstm", "no_forget", "c", "c_prev", "I"),
]

REJECT = [
    # a missing term
    (
        "lstm",
        None,
        "c",
        "h_prev",
        "diag(c_tilde*sigma_prime(z_i))*W_i + diag(i*tanh_prime(z_c))*W_c",
    ),
    ("gru", None, "h", "h_prev", "diag(1 - u) + diag(u*tanh_prime(z_h))*W_h*diag(r)"),
    # W instead of Wᵀ (and the converse)
    ("rnn", None, "h", "h_prev", "diag(tanh_prime(z))*W_h.T"),
    ("rnn", None, "h", "h_prev", "W_h.T*diag(tanh_prime(z))"),
    # σ' where tanh' belongs
    ("rnn", None, "h", "h_prev", "diag(sigma_prime(z))*W_h"),
    (
        "lstm",
        None,
        "c",
        "h_prev",
        (
            "diag(c_prev*sigma_prime(z_f))*W_f + diag(c_tilde*sigma_prime(z_i))*W_i"
            " + diag(i*sigma_prime(z_c))*W_c"
        ),
    ),
    # the GRU's u and 1 − u swapped
    (
        "gru",
        None,
        "h",
        "h_prev",
        (
            "diag(u) + diag((h_tilde - h_prev)*sigma_prime(z_u))*W_u"
            " + diag((1 - u)*tanh_prime(z_h))*W_h*(diag(r) + diag(h_prev*sigma_prime(z_r))*W_r)"
        ),
    ),
    # the forget gate on the wrong path
    ("lstm", None, "c", "c_prev", "diag(i)"),
    (
        "lstm",
        None,
        "c",
        "h_prev",
        (
            "diag(f*sigma_prime(z_f))*W_f + diag(c_tilde*sigma_prime(z_i))*W_i"
            " + diag(i*tanh_prime(z_c))*W_c"
        ),
    ),
    ("lstm", None, "h", "c_prev", "diag(o*tanh_prime(c))"),
    # a wrong sign
    (
        "gru",
        None,
        "h",
        "h_prev",
        (
            "diag(1 - u) + diag((h_prev - h_tilde)*sigma_prime(z_u))*W_u"
            " + diag(u*tanh_prime(z_h))*W_h*(diag(r) + diag(h_prev*sigma_prime(z_r))*W_r)"
        ),
    ),
    ("rnn", None, "h", "h_prev", "-diag(tanh_prime(z))*W_h"),
    ("lstm", "no_forget", "c", "c_prev", "-I"),
]


@pytest.mark.parametrize("cell, variant, of, wrt, text", ACCEPT)
def test_accepts_equivalent_forms(cell, variant, of, wrt, text):
    v = check_jacobian(cell, text, of=of, wrt=wrt, variant=variant)
    assert v.holds, v.report()
    assert v.symbolic is True
    assert v.max_error < 1e-12
    assert v.counterexample is None


@pytest.mark.parametrize("cell, variant, of, wrt, text", REJECT)
def test_rejects_typical_mistakes(cell, variant, of, wrt, text):
    v = check_jacobian(cell, text, of=of, wrt=wrt, variant=variant)
    assert not v.holds
    assert v.symbolic is False
    cx = v.counterexample
    assert cx is not None, "a refutation carries a concrete counterexample"
    assert set(cx) >= {"weights", "input", "state", "candidate", "expected", "entries"}
    i, j, a, b = cx["entries"][0]
    assert abs(cx["candidate"][i, j] - cx["expected"][i, j]) > 1e-9
    assert (a, b) == (cx["candidate"][i, j], cx["expected"][i, j])
    assert "✗ refuted" in v.report()


def test_sympy_expression_candidate():
    s = symbols("gru")
    u, h_prev, h_tilde, z_u, z_h, z_r, r = (
        s[k] for k in ("u", "h_prev", "h_tilde", "z_u", "z_h", "z_r", "r")
    )
    W_u, W_h, W_r = s["W_u"], s["W_h"], s["W_r"]
    one = OneMatrix(u.shape[0], 1)
    expr = MatAdd(
        Diag(MatAdd(one, MatMul(-1, u))),
        MatMul(
            Diag(HadamardProduct(MatAdd(h_tilde, MatMul(-1, h_prev)), Apply("sigmoid'", z_u))), W_u
        ),
        MatMul(
            Diag(HadamardProduct(u, Apply("tanh'", z_h))),
            W_h,
            MatAdd(Diag(r), MatMul(Diag(HadamardProduct(h_prev, Apply("sigmoid'", z_r))), W_r)),
        ),
    )
    assert check_jacobian("gru", expr).holds
    assert check_jacobian("gru", Transpose(Transpose(expr))).holds
    assert not check_jacobian("gru", MatAdd(expr, Diag(u))).holds


def test_the_library_form_is_accepted_everywhere():
    for cell, variant, of, wrt in [
        ("lstm", "peephole", "h", "c_prev"),
        ("gru", "torch", "h", "h_prev"),
        ("highway", None, "y", "x"),
    ]:
        expr = jacobian(cell, of=of, wrt=wrt, variant=variant).expr
        assert check_jacobian(cell, expr, of=of, wrt=wrt, variant=variant).holds


def test_function_candidates():
    def right(params, x, h):
        z = h @ params["W_h"].T + x @ params["W_x"].T + params["b"]
        return (1 - np.tanh(z) ** 2)[:, :, None] * params["W_h"]

    def transposed(params, x, h):
        return right(params, x, h).transpose(0, 2, 1)

    v = check_jacobian("rnn", right)  # numerically only: undecided, never "holds"
    assert v.outcome == "undecided" and v.symbolic is None and v.max_error < 1e-12
    w = check_jacobian("rnn", transposed)
    assert w.outcome == "refuted" and w.counterexample["entries"]


def test_lstm_function_candidate_gets_the_state_tuple():
    def dc_dc(params, x, state):
        h, _ = state
        f = 1 / (1 + np.exp(-(h @ params["W_f"].T + x @ params["U_f"].T + params["b_f"])))
        return np.stack([np.diag(v) for v in f])

    assert check_jacobian("lstm", dc_dc, of="c", wrt="c_prev").outcome == "undecided"


@pytest.mark.parametrize(
    "text, message",
    [
        ("diag(tanh_prime(z))*W_h*", "does not parse"),
        ("diag(tanh_prime(z))*W_q", "unknown symbol 'W_q'"),
        ("cosh(z)", "unknown function"),
        ("W_x", "shape"),  # ∂h/∂h_prev is n×n, W_x is n×d
        ("h_prev", "shape"),
        ("W_h + x", "cannot add"),
        ("__import__('os')", "not allowed"),
        ("W_h.__class__", "not allowed"),
        ("[W_h]", "not allowed"),
    ],
)
def test_bad_strings_raise_candidate_error(text, message):
    with pytest.raises(CandidateError, match=message):
        check_jacobian("rnn", text)


def test_bad_functions_and_objects_raise_candidate_error():
    def raises(params, x, h):
        raise RuntimeError("oops")

    def wrong_shape(params, x, h):
        return np.zeros((2, 2))

    with pytest.raises(CandidateError, match="raised RuntimeError: oops"):
        check_jacobian("rnn", raises)
    with pytest.raises(CandidateError, match="shape"):
        check_jacobian("rnn", wrong_shape)
    with pytest.raises(CandidateError, match="got int"):
        check_jacobian("rnn", 3)


def test_unknown_cell_or_vector_is_an_unknown_name():
    with pytest.raises(UnknownNameError):
        check_jacobian("lstmx", "diag(f)")
    with pytest.raises(UnknownNameError):
        check_jacobian("lstm", "diag(f)", of="c", wrt="q")


def test_sizes_are_validated():
    from gradsym.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="n must be an integer from 1 to"):
        check_jacobian("rnn", RNN, n=0)
    with pytest.raises(InvalidValueError, match="trials"):
        check_jacobian("rnn", RNN, trials=-1)
