"""The grammar of candidates: what is accepted, what each symbol means, and a one-line
CandidateError for everything malformed, too large or undefined."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import HadamardProduct, MatMul

from gradsym.checker import check_jacobian, entry_symbols, parse_candidate, symbols
from gradsym.errors import CandidateError, InvalidValueError
from gradsym.lang.matexpr import Apply, Diag


def parse(text, cell="rnn", variant=None):
    return parse_candidate(text, cell, variant)


@pytest.mark.parametrize(
    "text",
    [
        "diag(tanh'(z)) @ W_h",
        "diag(tanh′(z)) @ W_h",
        "diag(tanh_prime(z)) @ W_h",
        "diag(dtanh(z)) @ W_h",
        "diag(1 - tanh(z)**2) @ W_h",
    ],
)
def test_spellings_of_tanh_prime(text):
    assert check_jacobian("rnn", text).holds


@pytest.mark.parametrize(
    "text",
    [
        "diag(sigmoid'(z)) @ W_h",
        "diag(σ'(z)) @ W_h",
        "diag(σ′(z)) @ W_h",
        "diag(sigma_prime(z)) @ W_h",
        "diag(sigma'(z)) @ W_h",
        "diag(σ(z)*(1 − σ(z))) @ W_h",
    ],
)
def test_spellings_of_sigma_prime(text):
    assert check_jacobian("rnn", text, variant="sigmoid").holds


def test_hadamard_symbols_build_a_hadamard_product():
    s = symbols("rnn")
    e = parse("diag(tanh'(z)) ∘ W_h")
    assert e == HadamardProduct(Diag(Apply("tanh'", s["z"])), s["W_h"])
    assert parse("diag(tanh'(z)) ⊙ W_h") == e
    assert parse("hadamard(diag(tanh'(z)), W_h)") == e
    # ∘ binds like a product: a ∘ b + c is (a ∘ b) + c
    assert parse("h ∘ z + b") == parse("hadamard(h, z) + b")


def test_star_keeps_its_documented_meaning():
    s = symbols("rnn")
    # the matrix product when the shapes chain …
    assert parse("diag(z) * W_h") == MatMul(Diag(s["z"]), s["W_h"])
    # … the Hadamard product for two vectors of the same size …
    assert parse("h * z") == HadamardProduct(s["h"], s["z"])
    # … and never the matrix product for a Hadamard symbol
    assert parse("W_h ∘ W_h") == HadamardProduct(s["W_h"], s["W_h"])
    assert parse("W_h * W_h") == MatMul(s["W_h"], s["W_h"])


@pytest.mark.parametrize(
    "text, value",
    [
        ("1.00000001", sp.Rational(100000001, 100000000)),
        ("0.1", sp.Rational(1, 10)),
        ("1e-3", sp.Rational(1, 1000)),
        ("2.5E2", sp.Integer(250)),
        ("1_000.5", sp.Rational(2001, 2)),
        ("3", sp.Integer(3)),
        ("2**-2", sp.Rational(1, 4)),
        ("1/3", sp.Rational(1, 3)),
        ("2**0.5", sp.sqrt(2)),
    ],
)
def test_numbers_are_the_exact_values_they_spell(text, value):
    e = parse(f"{text}*W_h")
    coef = sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)])
    assert coef == value


@pytest.mark.parametrize(
    "text, message",
    [
        ("σ(z)(1 − σ(z))", r"implicit multiplication.*write σ\(z\)\*\(1 − σ\(z\)\)"),
        ("diag(z)(W_h)", "implicit multiplication"),
        ("2W_h", r"implicit multiplication.*2\*W_h"),
        ("diag(tanh'(z)) W_h", r"implicit multiplication.*diag\(tanh'\(z\)\)\*W_h"),
        ("(-1)**0.5*W_h", "complex"),
        ("0**-1*W_h", "division by zero"),
        ("W_h/0", "division by zero"),
        ("9**9**9*W_h", "exponent"),
        ("2**100000*W_h", "exponent"),
        ("h**100000", "exponent"),
        ("1e400*W_h", "too large"),
        ("W_h % W_h", "not an operator"),
        ("'W_h'", "string"),
        ("W_h / h", "divide"),
        ("cosh(z)", "unknown function"),
        ("foo'(z)", "unknown function"),
        ("1j*W_h", "complex"),
        ("True*W_h", "not allowed"),
        ("W_h if 1 else W_h", "not allowed"),
        ("lambda: 1", "not allowed"),
        ("", "empty"),
    ],
)
def test_malformed_candidates_are_one_line_errors(text, message):
    t0 = time.perf_counter()
    with pytest.raises(CandidateError, match=message) as err:
        check_jacobian("rnn", text)
    assert "\n" not in str(err.value)
    assert time.perf_counter() - t0 < 30  # never a hang (a generous bound, not a speed test)


def test_a_huge_candidate_is_refused_with_one_line():
    text = " + ".join(["diag(tanh_prime(z)) @ W_h"] * 3000)
    with pytest.raises(CandidateError, match="too large") as err:
        check_jacobian("rnn", text)
    assert "\n" not in str(err.value)
    with pytest.raises(CandidateError, match="too long"):
        check_jacobian("rnn", "W_h" + " " * 200_000)


def test_a_901_term_sum_gets_a_verdict():
    terms = ["diag(tanh_prime(z)) @ W_h"] + ["W_h - W_h"] * 450
    v = check_jacobian("rnn", " + ".join(terms))
    assert v.holds, v.report()
    w = check_jacobian("rnn", " + ".join(terms + ["W_h"]))
    assert w.outcome == "refuted"


@pytest.mark.parametrize("n", [0, -1, 100_000, 1.5, True])
def test_n_is_bounded(n):
    with pytest.raises(InvalidValueError, match="n must be"):
        check_jacobian("rnn", "diag(tanh_prime(z)) @ W_h", n=n)


def test_trials_and_d_are_bounded():
    with pytest.raises(InvalidValueError, match="trials"):
        check_jacobian("rnn", "diag(tanh_prime(z)) @ W_h", trials=10**9)
    with pytest.raises(InvalidValueError, match="d must be"):
        check_jacobian("rnn", "diag(tanh_prime(z)) @ W_h", d=10**6)


# -- explicit SymPy matrices at a fixed n -------------------------------------------------------


def test_an_explicit_matrix_candidate():
    S = entry_symbols("rnn", n=3, d=2)
    # S["z"] is the explicit pre-activation W_h h_prev + W_x x + b, entry by entry
    right = sp.diag(*[1 - sp.tanh(S["z"][k]) ** 2 for k in range(3)]) * S["W_h"]
    v = check_jacobian("rnn", right)
    assert v.holds and v.proof_size == (3, 2), v.report()
    w = check_jacobian("rnn", right.T)
    assert w.outcome == "refuted"
    assert any("transpose" in d for d in w.diagnosis)


def test_an_explicit_matrix_with_exp_for_sigma():
    S = entry_symbols("rnn", n=2, d=2, variant="sigmoid")
    sig = [1 / (1 + sp.exp(-S["z"][k])) for k in range(2)]
    right = sp.diag(*[s * (1 - s) for s in sig]) * S["W_h"]
    assert check_jacobian("rnn", right, variant="sigmoid").holds


def test_an_explicit_matrix_in_the_entry_symbols_of_leaves_and_params():
    S = entry_symbols("lstm", n=2, d=3)
    assert S["W_f"].shape == (2, 2) and S["U_f"].shape == (2, 3) and S["x"].shape == (3, 1)
    assert str(S["W_f"][0, 1]) == "W_f[0,1]"
    assert check_jacobian("lstm", sp.diag(*S["f"]), of="c", wrt="c_prev").holds


@pytest.mark.parametrize(
    "matrix, message",
    [
        (sp.Matrix([[sp.Symbol("q"), 0], [0, 0]]), "unknown symbol"),
        (sp.zeros(2, 3), "shape"),
        (sp.Matrix([[sp.I, 0], [0, 0]]), "complex"),
    ],
)
def test_bad_explicit_matrices(matrix, message):
    with pytest.raises(CandidateError, match=message):
        check_jacobian("rnn", matrix)


def test_the_entry_symbol_helper_validates():
    with pytest.raises(InvalidValueError):
        entry_symbols("rnn", n=0)


def test_parsed_candidates_evaluate_with_numpy_semantics(rng):
    """A check of the parser against NumPy on one instance, for the symbols' meaning."""
    from gradsym.notes.instances import random_instance, value
    from gradsym.symbolic import cell

    c = cell("rnn", "tanh")
    inst = random_instance(c, 3, 2, rng)
    W = inst["params"]["W_h"]
    h = inst["leaves"]["h_prev"].reshape(-1, 1)
    assert np.allclose(value(c, parse("W_h ∘ W_h"), inst), W * W)
    assert np.allclose(value(c, parse("W_h * W_h"), inst), W @ W)
    assert np.allclose(value(c, parse("h_prev * h_prev"), inst), h * h)
    assert np.allclose(value(c, parse("diag(h_prev) ∘ W_h"), inst), np.diag(np.diag(W) * h[:, 0]))


@pytest.mark.parametrize(
    "text, message",
    [
        ("0." + "0" * 5000 + "1*W_h", "too small"),
        ("1." + "1" * 5000 + "*W_h", "too many digits"),
        ("1e9999999999*W_h", "too many digits"),
        ("1e301*W_h", "too large"),
        ("1.5e-99999*W_h", "too small"),
        ("0x" + "F" * 2000 + "*W_h", "too large"),
        ("1" * 5000 + "*W_h", "does not parse"),
        ("-" * 5000 + "W_h", "too large or too deeply nested"),
        ("W_h" + ".T" * 3000, "too large or too deeply nested"),
    ],
)
def test_numbers_and_nesting_are_bounded_before_anything_is_built(text, message):
    with pytest.raises(CandidateError, match=message) as err:
        parse_candidate(text, "rnn")
    assert "\n" not in str(err.value) and len(str(err.value)) < 300


def test_numeric_literals_in_other_bases_and_forms():
    assert parse("0x1F*W_h") == parse("31*W_h")
    assert parse(".5*W_h") == parse("1/2*W_h") and parse("5.*W_h") == parse("5*W_h")


TOKENS = [
    "W_h", "h_prev", "z", "x", "b", "h", "I", "diag(", "sigma(", "tanh'(", "σ′(", "hadamard(",
    "(", ")", ",", " + ", " - ", " * ", " @ ", " ∘ ", " / ", "**", ".T", "1", "0", "2.5",
    "1e-3", "-", "'", "%", "[", "lambda", "1j", "9**9", "(-1)**0.5", "0**-1", " ",
]  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
def test_any_token_soup_is_a_verdict_or_a_one_line_candidate_error(tokens):
    text = "".join(tokens)
    try:
        v = check_jacobian("rnn", text, time_limit=0, diagnose=False, trials=1)
    except CandidateError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert v.outcome in ("refuted", "undecided")  # no time for a proof: never "holds"
