"""The checker never lies: each class of false verdict found by review, reproduced first.

A verdict is one of three outcomes: "holds" (proved for every n and d, and confirmed
numerically), "refuted" (with a counterexample computed exactly, or far above round-off)
and "undecided" (numeric agreement, no proof for every size).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from sympy import MatAdd, MatMul

from gradsym.checker import check_jacobian, symbols
from gradsym.symbolic import jacobian

RNN_RIGHT = "diag(tanh_prime(z)) @ W_h"
LSTM_DC_DH = (
    "diag(c_prev*sigma_prime(z_f)) @ W_f + diag(c_tilde*sigma_prime(z_i)) @ W_i"
    " + diag(i*tanh_prime(z_c)) @ W_c"
)
GRU_RIGHT = (
    "diag(1 - u) + diag((h_tilde - h_prev)*sigma_prime(z_u)) @ W_u"
    " + diag(u*tanh_prime(z_h)) @ W_h @ (diag(r) + diag(h_prev*sigma_prime(z_r)) @ W_r)"
)


def standard_polynomial(names: list[str]) -> str:
    """S_k(A_1, …, A_k) = Σ_π sgn(π) A_π(1) ⋯ A_π(k), as a candidate string."""
    terms = []
    for perm in itertools.permutations(range(len(names))):
        inversions = sum(1 for a, b in itertools.combinations(perm, 2) if a > b)
        sign = "-" if inversions % 2 else "+"
        terms.append(f" {sign} " + " @ ".join(names[k] for k in perm))
    return "".join(terms)


def assert_refuted(v):
    assert v.outcome == "refuted", v.report()
    assert not v.holds and v.exit_code == 1
    cx = v.counterexample
    assert cx is not None and cx["entries"], "a refutation carries a counterexample"
    # the error is far above the round-off bound of the comparison
    assert cx["error"] > 1e3 * cx["roundoff"], v.report()
    assert v.max_error > 0


def assert_holds(v):
    assert v.outcome == "holds", v.report()
    assert v.holds and v.exit_code == 0 and v.symbolic is True
    assert v.counterexample is None


# -- 1. ∘ and ⊙ are the Hadamard product ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "diag(tanh'(z)) ∘ W_h",
        "diag(tanh_prime(z)) ⊙ W_h",
        "hadamard(diag(tanh_prime(z)), W_h)",
        "W_h ∘ diag(tanh_prime(z))",
    ],
)
def test_hadamard_symbols_are_never_the_matrix_product(text):
    v = check_jacobian("rnn", text)
    assert_refuted(v)


def test_hadamard_of_a_diagonal_keeps_only_the_diagonal():
    v = check_jacobian("residual", "I + diag(tanh_prime(z)) ∘ W", of="y", wrt="x")
    assert_refuted(v)


def test_vector_hadamard_products_still_hold():
    assert_holds(check_jacobian("lstm", "diag(o ∘ tanh'(c) ∘ f)", of="h", wrt="c_prev"))
    assert_holds(
        check_jacobian("lstm", "diag(hadamard(o, tanh_prime(c)) ⊙ f)", of="h", wrt="c_prev")
    )


# -- 2. a decimal literal is the exact rational it spells --------------------------------------


def test_a_decimal_perturbation_of_1e8_is_refuted_with_its_true_error():
    v = check_jacobian("rnn", "1.00000001*diag(tanh_prime(z)) @ W_h")
    assert_refuted(v)
    # the true relative error: 1e-8 times the largest entry of the Jacobian (at most 1)
    assert 1e-10 < v.max_error < 1.01e-8, v.report()
    assert "0.00e+00" not in v.report()


def test_a_perturbation_below_float64_is_refuted_exactly():
    v = check_jacobian("rnn", "1.00000000000000000001*diag(tanh_prime(z)) @ W_h")
    assert_refuted(v)
    assert 0 < v.max_error < 1e-19
    assert "digits" in v.report()  # the error was computed beyond float64


@pytest.mark.parametrize(
    "text",
    [
        "0.5*diag(tanh_prime(z)) @ W_h + 0.5*diag(tanh_prime(z)) @ W_h",
        "10*diag(0.1*tanh_prime(z)) @ W_h",  # 0.1 is 1/10 exactly, not the double nearest it
        "diag(tanh_prime(z)) @ W_h * 1e0",
        "2.5e-1*4*diag(tanh_prime(z)) @ W_h",
    ],
)
def test_exact_decimals_hold(text):
    assert_holds(check_jacobian("rnn", text))


# -- 3. the proof is for every size: a wrong candidate is refuted at the smallest size ---------


def test_a_transposed_jacobian_is_refuted_at_n_2_whatever_size_the_numeric_check_uses():
    v = check_jacobian("rnn", "W_h.T @ diag(tanh_prime(z))", n=1)
    assert_refuted(v)
    cx = v.counterexample
    assert (cx["n"], cx["d"]) == (2, 1)  # W_hᵀ = W_h at n = 1
    assert (1, 1) in v.sizes_equal and "smallest size" in v.detail


def test_the_standard_polynomial_s4_is_refuted_at_n_3():
    s4 = standard_polynomial(["W_f", "W_i", "W_o", "W_c"])
    v = check_jacobian("lstm", LSTM_DC_DH + s4, of="c", wrt="h_prev", n=2)
    assert_refuted(v)
    # S₄ vanishes on 2×2 matrices (Amitsur–Levitzki): equal at n = 1, 2, wrong at n = 3
    assert v.counterexample["n"] == 3
    assert set(v.sizes_equal) == {(1, 1), (2, 1)}
    cx = v.counterexample
    assert cx["exact"] and Fraction(cx["difference"]) != 0  # a rational, exactly


def test_a_cancelled_s4_holds_for_every_size():
    s4 = standard_polynomial(["W_f", "W_i", "W_o", "W_c"])
    v = check_jacobian("lstm", f"{LSTM_DC_DH} + ({s4}) - ({s4})", of="c", wrt="h_prev", n=2)
    assert_holds(v)
    assert v.every_size and "every n and d" in v.report()


def test_a_degree_6_identity_is_refuted_at_n_4():
    s = symbols("lstm", "peephole")
    mats = [s[k] for k in ("W_f", "W_i", "W_o", "W_c", "V_f", "V_i")]
    terms = []
    for perm in itertools.permutations(range(6)):
        inversions = sum(1 for a, b in itertools.combinations(perm, 2) if a > b)
        terms.append(MatMul((-1) ** inversions, *[mats[k] for k in perm]))
    s6 = MatAdd(*terms)
    right = jacobian("lstm", of="c", wrt="h_prev", variant="peephole").expr
    v = check_jacobian("lstm", MatAdd(right, s6), of="c", wrt="h_prev", variant="peephole", n=3)
    assert_refuted(v)
    # S6 vanishes on 3×3 matrices (Amitsur–Levitzki): the error shows only at n ≥ 4
    assert v.counterexample["n"] == 4


# -- 4. right answers are never refuted ------------------------------------------------------


@pytest.mark.parametrize(
    "cell, variant, of, wrt, text",
    [
        # σ(z)σ(−z) for σ'(z)
        ("rnn", "sigmoid", "h", "h_prev", "diag(sigma(z)*sigma(-z)) @ W_h"),
        ("rnn", "sigmoid", "h", "h_prev", "diag(sigmoid(-z)*h) @ W_h"),
        # σ(−z_u) for 1 − u
        (
            "gru",
            "textbook",
            "h",
            "h_prev",
            GRU_RIGHT.replace("diag(1 - u)", "diag(sigma(-z_u))", 1),
        ),
        # r distributed over (W_n h + b_hn) inside tanh'
        (
            "gru",
            "torch",
            "h",
            "x",
            (
                "diag((h_prev - n_tilde)*sigma_prime(a_z)) @ U_z"
                " + diag((1 - z)*tanh_prime(U_n @ x + b_n + r*(W_n @ h_prev) + r*b_hn))"
                " @ (U_n + diag((W_n @ h_prev + b_hn)*sigma_prime(a_r)) @ U_r)"
            ),
        ),
        # h_prev written as (1 − u)∘h_prev + u∘h_prev inside an argument
        (
            "gru",
            "minimal",
            "h",
            "x",
            (
                "diag((h_tilde - h_prev)*sigma_prime(z_u)) @ U_u"
                " + diag(u*tanh_prime(W_h @ ((1 - u)*h_prev + u*h_prev) + U_h @ x + b_h)) @ U_h"
            ),
        ),
        # tanh through the sigmoid: tanh(z) = 2σ(2z) − 1, σ(z) = (1 + tanh(z/2))/2
        ("rnn", "tanh", "h", "h_prev", "diag(1 - (2*sigma(2*z) - 1)**2) @ W_h"),
        ("rnn", "sigmoid", "h", "h_prev", "diag((1 + tanh(z/2))*(1 - tanh(z/2))/4) @ W_h"),
        # tanh' through σ: 4σ(2z)σ(−2z)
        ("rnn", "tanh", "h", "x", "4*diag(sigma(2*z)*sigma(-2*z)) @ W_x"),
        # odd/even symmetry of tanh
        ("rnn", "tanh", "h", "h_prev", "diag(1 - tanh(-z)**2) @ W_h"),
        ("lstm", "standard", "h", "c_prev", "diag(-o*tanh_prime(c)*f*(-1))"),
    ],
)
def test_right_answers_in_unusual_forms_hold(cell, variant, of, wrt, text):
    v = check_jacobian(cell, text, of=of, wrt=wrt, variant=variant)
    assert_holds(v)


def test_a_function_candidate_is_undecided_not_holds():
    def right(params, x, h):
        z = h @ params["W_h"].T + x @ params["W_x"].T + params["b"]
        return (1 - np.tanh(z) ** 2)[:, :, None] * params["W_h"]

    v = check_jacobian("rnn", right)
    assert v.outcome == "undecided" and v.exit_code == 3 and not v.holds
    assert v.symbolic is None and v.max_error < 1e-12 and v.counterexample is None
    assert "holds numerically at" in v.report()


def test_no_time_for_a_proof_is_undecided_for_a_right_answer_and_refuted_for_a_wrong_one():
    v = check_jacobian("gru", GRU_RIGHT, time_limit=0)
    assert v.outcome == "undecided" and v.exit_code == 3
    assert "no symbolic proof" in v.report()
    # it says where it was shown: numerically at n = 3, d = 2, exactly nowhere
    assert v.sizes_equal == () and "proved exactly at no size" in v.detail
    assert v.numeric_sizes == ((3, 2),) and "5 points (n = 3, d = 2)" in v.report()
    w = check_jacobian("gru", GRU_RIGHT + " + diag(u)", time_limit=0)
    assert_refuted(w)


# -- 5. the numeric half compares against the NumPy cells too --------------------------------


@pytest.mark.parametrize(
    "cell, variant, of, wrt",
    [
        ("rnn", "relu", "h", "x"),
        ("lstm", "peephole", "h", "c_prev"),
        ("lstm", "no_forget", "c", "h_prev"),
        ("gru", "torch", "h", "h_prev"),
        ("gru", "minimal", "h", "x"),
        ("stacked", "residual", "h2", "h1_prev"),
        ("stacked", "residual", "y2", "h1_prev"),
        ("stacked", "plain", "h2", "x"),
        ("birnn", "tanh", "h_bw", "h_bw_next"),
        ("birnn", "sigmoid", "o", "h_fw"),
        ("birnn", "tanh", "o", "x"),
        ("lstm", "standard", "state", "state"),
        ("gru", "textbook", "state", "x"),
    ],
)
def test_the_numpy_cells_are_a_reference(cell, variant, of, wrt):
    right = jacobian(cell, of=of, wrt=wrt, variant=variant).expr
    v = check_jacobian(cell, right, of=of, wrt=wrt, variant=variant)
    assert_holds(v)
    assert "NumPy" in " ".join(v.references), v.references


def test_a_disagreeing_numpy_cell_is_not_hidden(monkeypatch):
    from gradsym.notes import instances

    real = instances.numeric_block

    def broken(cell, inst, of, wrt):
        return real(cell, inst, of, wrt) * 1.001

    monkeypatch.setattr(instances, "numeric_block", broken)
    with pytest.raises(RuntimeError, match="NumPy"):
        check_jacobian("rnn", RNN_RIGHT)


# -- 6. a diagnosis, only when it is proved ---------------------------------------------------


@pytest.mark.parametrize(
    "cell, variant, of, wrt, text, words",
    [
        ("rnn", None, "h", "h_prev", "W_h.T @ diag(tanh_prime(z))", "transpose"),
        ("lstm", None, "c", "h_prev", LSTM_DC_DH.split(" + ", 1)[1], "missing"),
        ("lstm", None, "c", "h_prev", LSTM_DC_DH + " + diag(f) @ W_o", "extra"),
        ("rnn", None, "h", "h_prev", "-diag(tanh_prime(z)) @ W_h", "sign"),
        (
            "gru",
            None,
            "h",
            "h_prev",
            GRU_RIGHT.replace("(h_tilde - h_prev)", "(h_prev - h_tilde)"),
            "sign",
        ),
        ("rnn", None, "h", "h_prev", "diag(sigma_prime(z)) @ W_h", "σ′"),
        ("rnn", None, "h", "h_prev", "diag(tanh_prime(z)) ∘ W_h", "Hadamard"),
        ("rnn", None, "h", "h_prev", "1.00000001*diag(tanh_prime(z)) @ W_h", "constant"),
        (
            "lstm",
            None,
            "c",
            "h_prev",
            (
                "diag(c_prev*sigma_prime(z_f)) @ W_i + diag(c_tilde*sigma_prime(z_i)) @ W_f"
                " + diag(i*tanh_prime(z_c)) @ W_c"
            ),
            "swapped",
        ),
    ],
)
def test_refutations_say_what_is_wrong(cell, variant, of, wrt, text, words):
    v = check_jacobian(cell, text, of=of, wrt=wrt, variant=variant)
    assert_refuted(v)
    assert v.diagnosis, v.report()
    assert words in " ".join(v.diagnosis), v.diagnosis
    assert words in v.report()


def test_the_missing_term_is_printed_in_the_notes_notation():
    v = check_jacobian("lstm", LSTM_DC_DH.split(" + ", 1)[1], of="c", wrt="h_prev")
    assert any("diag(c_prev ∘ σ′(z_f)) W_f" in d for d in v.diagnosis), v.diagnosis


def test_no_diagnosis_is_invented():
    v = check_jacobian("rnn", "diag(tanh_prime(z)) @ W_h @ W_h")
    assert_refuted(v)
    assert v.diagnosis == ()


def test_time_limit_is_validated():
    from gradsym.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="time_limit"):
        check_jacobian("rnn", RNN_RIGHT, time_limit=-1)


def test_explicit_counterexample_values_are_exact_for_a_sub_float_error():
    v = check_jacobian("rnn", "(1 + 10**-30)*diag(tanh_prime(z)) @ W_h")
    assert_refuted(v)
    cx = v.counterexample
    assert cx["precision"] != "float64"
    _, _, cand, true = cx["exact_entries"][0]
    assert sp.Float(cand, 60) - sp.Float(true, 60) != 0
    assert np.array_equal(cx["candidate"], cx["expected"])  # float64 cannot tell them apart


# -- the work is bounded: a time limit, a largest proof size ----------------------------------


def test_a_proof_past_its_time_limit_is_stopped_and_undecided(monkeypatch):
    import time

    from gradsym.symbolic import every_size

    def slow(*args, **kwargs):  # a proof that never ends: it only checks the clock
        while True:
            every_size.tensor.current_limits().check()

    monkeypatch.setattr(every_size, "check", slow)
    t0 = time.perf_counter()
    v = check_jacobian("rnn", RNN_RIGHT, time_limit=0.5)
    assert v.outcome == "undecided" and "did not finish within 0.5 s" in v.detail
    assert v.sizes_equal == () and "proved exactly at no size" in v.detail
    assert time.perf_counter() - t0 < 30  # stopped, not waited for


def test_a_long_product_costs_the_index_form_nothing():
    power = " @ ".join(["W_h"] * 14)  # 14 factors: a fixed-size proof would need n = 8
    v = check_jacobian("rnn", f"{RNN_RIGHT} + {power} - {power}")
    assert_holds(v)
    w = check_jacobian("rnn", f"{RNN_RIGHT} + 1e-3*{power}")
    assert_refuted(w)
    assert w.counterexample["n"] == 1


@pytest.mark.parametrize(
    "text",
    [
        # σ(2z)(σ(z)² + (1 − σ(z))²) = σ(z)²: one argument at two scales
        "diag(tanh_prime(z) + sigma(2*z)*(sigma(z)**2 + (1 - sigma(z))**2) - sigma(z)**2) @ W_h",
        # tanh(a + b)(1 + tanh a tanh b) = tanh a + tanh b: two arguments and their sum
        (
            "diag(tanh_prime(z) + tanh(z)*(1 + tanh(W_h @ h_prev)*tanh(W_x @ x + b))"
            " - tanh(W_h @ h_prev) - tanh(W_x @ x + b)) @ W_h"
        ),
    ],
)
def test_identities_through_exp_are_proved(text):
    assert_holds(check_jacobian("rnn", text))


def test_a_sympy_candidate_whose_shapes_do_not_chain_is_bad_input():
    from gradsym.errors import CandidateError

    s = symbols("rnn")
    # SymPy accepts W_h W_xᵀ W_x (n×n times d×n) silently; at n = d it would even evaluate
    bad = MatMul(s["W_h"], sp.Transpose(s["W_x"]), s["W_x"])
    with pytest.raises(CandidateError, match="cannot multiply shapes"):
        check_jacobian("rnn", bad)


def test_a_diagnosis_is_never_a_correction_of_the_wrong_shape():
    # W_x → W_xᵀ is not a correction of ∂h/∂x at any n ≠ d, even though at the proof size
    # n = d the expression would evaluate
    v = check_jacobian("rnn", "2*diag(tanh_prime(z)) @ W_x", of="h", wrt="x")
    assert_refuted(v)
    assert not any("W_xᵀ" in d for d in v.diagnosis)


# -- ReLU'(0) = 0 on every side; diagnoses say the smallest edit, constants as typed ----------


@pytest.mark.parametrize(
    "cell, variant, text",
    [
        ("rnn", "relu", "diag(relu'(h)) @ W_h"),  # h > 0 exactly where z > 0
        ("rnn", "relu", "diag(relu'(relu(z))) @ W_h"),
        ("indrnn", None, "diag(relu'(h)*u)"),
    ],
)
def test_relu_prime_of_the_output_is_relu_prime_of_the_pre_activation(cell, variant, text):
    v = check_jacobian(cell, text, variant=variant)
    assert_holds(v)
    assert v.max_error == 0.0  # the float64 steps agree exactly, ReLU'(0) = 0 on both sides


def test_relu_prime_is_0_at_0_in_every_symbolic_form():
    from gradsym.lang.functions import relu_prime
    from gradsym.symbolic.proof import evaluable

    assert relu_prime(sp.S.Zero) == 0
    assert evaluable(relu_prime(sp.Symbol("z"))).subs(sp.Symbol("z"), 0) == 0
    # the library's compact Jacobian, lambdified, at z = b = (0, 1, −1, 0): rows 0, 2, 3 are 0
    J = jacobian("rnn", variant="relu").lambdify()
    W_h = np.arange(1.0, 17.0).reshape(4, 4)
    params = {"W_h": W_h, "W_x": np.ones((4, 3)), "b": np.array([0.0, 1.0, -1.0, 0.0])}
    expected = np.array([0.0, 1.0, 0.0, 0.0])[:, None] * W_h
    assert np.array_equal(J(params, np.zeros((1, 3)), np.zeros((1, 4)))[0], expected)


def test_a_constant_is_said_as_typed():
    v = check_jacobian("rnn", "1.00000000000000000001*diag(tanh'(z)) @ W_h")
    assert_refuted(v)
    assert v.diagnosis == ("the constant 1.00000000000000000001 should be 1",)
    w = check_jacobian("rnn", "(1 + 1/3000)*diag(tanh'(z)) @ W_h")
    assert w.diagnosis == ("the constant 3001/3000 should be 1",)


def test_an_extra_term_is_said_as_the_extra_term_not_a_missing_negative_one():
    v = check_jacobian("gru", GRU_RIGHT + " + diag(u)")
    assert_refuted(v)
    assert v.diagnosis == ("an extra term: diag(u)",)
