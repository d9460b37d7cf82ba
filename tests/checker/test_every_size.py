""" "holds" is a proof for every n and d; a wrong candidate is refuted at the smallest size
where it is wrong.

Each class of identity that holds at the old fixed proof size and fails elsewhere, written
in the checker's grammar (issue 25): traces through the ones vector, J² = nJ, the
Cayley–Hamilton identities of 2 × 2 and 3 × 3 matrices written through traces, the standard
polynomial S₄ on skew-symmetric parts (0 on 3 × 3), Gram determinants of four vectors (0
for n ≤ 3), coefficients in d, and mixtures of them inside LSTM and GRU answers. Each is
refuted with an exact counterexample at the smallest size where it fails, every smaller
size proved equal; the identities that do hold at every size hold.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from gradsym.checker import check_jacobian

ONE = "(1 + 0*h_prev)"  # the ones vector of size n
ONE_D = "(1 + 0*x)"  # the ones vector of size d
J = f"({ONE} @ {ONE}.T)"  # 11ᵀ, n × n

RNN = "diag(tanh'(z)) @ W_h"
LSTM_DC_DH = "diag(c_prev*σ'(z_f)) @ W_f + diag(c_tilde*σ'(z_i)) @ W_i + diag(i*tanh'(z_c)) @ W_c"
LSTM_DH_DH = f"diag(tanh(c)*σ'(z_o)) @ W_o + diag(o*tanh'(c)) @ ({LSTM_DC_DH})"
GRU = (
    "diag(1 - u) + diag((h_tilde - h_prev)*σ'(z_u)) @ W_u"
    " + diag(u*tanh'(z_h)) @ W_h @ (diag(r) + diag(h_prev*σ'(z_r)) @ W_r)"
)


def scalar(s: str) -> str:
    """A 1 × 1 expression s as a multiple of the n × n identity: diag(1·s) = s·I."""
    return f"diag({ONE} @ ({s}))"


def trace(a: str) -> str:
    """tr(A) = 1ᵀ(A ∘ I)1, a 1 × 1 matrix."""
    return f"({ONE}.T @ (({a}) ∘ I) @ {ONE})"


def cayley_hamilton_2(a: str) -> str:
    """A² − tr(A)A + det(A)I with det(A) = (tr(A)² − tr(A²))/2: 0 on 2 × 2 matrices."""
    t1, t2 = trace(a), trace(f"{a} @ {a}")
    det = f"({t1} @ {t1} - {t2}) / 2"
    return f"({a} @ {a} - {scalar(t1)} @ {a} + {scalar(det)})"


def cayley_hamilton_3(a: str) -> str:
    """A³ − e₁A² + e₂A − e₃I with e₁, e₂, e₃ through the traces (Newton's identities): 0
    on 3 × 3 matrices (and smaller)."""
    t1, t2, t3 = trace(a), trace(f"{a} @ {a}"), trace(f"{a} @ {a} @ {a}")
    e2 = f"({t1} @ {t1} - {t2}) / 2"
    e3 = f"({t1} @ {t1} @ {t1} - 3 * {t1} @ {t2} + 2 * {t3}) / 6"
    return f"({a} @ {a} @ {a} - {scalar(t1)} @ {a} @ {a} + {scalar(e2)} @ {a} - {scalar(e3)})"


def standard_polynomial(names: list[str]) -> str:
    terms = []
    for perm in itertools.permutations(range(len(names))):
        sign = sum(1 for a, b in itertools.combinations(perm, 2) if a > b) % 2
        terms.append(("- " if sign else "+ ") + " @ ".join(names[k] for k in perm))
    return "(" + " ".join(terms) + ")"


def gram_determinant(vectors: list[str]) -> str:
    """det of the Gram matrix (vᵢᵀvⱼ), a 1 × 1 expression: 0 when the vectors are
    dependent, so for four vectors whenever n ≤ 3."""
    k = len(vectors)
    terms = []
    for perm in itertools.permutations(range(k)):
        sign = sum(1 for a, b in itertools.combinations(perm, 2) if a > b) % 2
        inner = " @ ".join(f"({vectors[r]}.T @ {vectors[perm[r]]})" for r in range(k))
        terms.append(("- " if sign else "+ ") + inner)
    return "(" + " ".join(terms) + ")"


def assert_refuted_at(v, n: int, d: int) -> None:
    """Refuted with an exact counterexample at (n, d), every smaller size (in the order of
    n + d, then n, up to the bound) proved equal."""
    assert v.outcome == "refuted" and v.exit_code == 1, v.report()
    cx = v.counterexample
    assert (cx["n"], cx["d"]) == (n, d), v.report()
    assert "smallest size" in v.detail, v.report()
    smaller = [s for s in v.sizes_equal if (sum(s), s[0]) < (n + d, n)]
    assert smaller == list(v.sizes_equal) and (n, d) not in v.sizes_equal
    # the difference is exact: a rational (no σ in it) or an interval that excludes 0
    if cx["exact"]:
        assert Fraction(cx["difference"]) != 0
    assert cx["error"] > 1e3 * cx["roundoff"]


def assert_holds_for_every_size(v) -> None:
    assert v.outcome == "holds" and v.every_size, v.report()
    assert "every n and d" in v.report()


# -- traces through the ones vector -------------------------------------------------------------


def test_the_trace_is_invariant_under_transposition_and_cycling():
    same = f"{RNN} + {scalar(trace('W_h'))} @ W_h - {scalar(trace('W_h.T'))} @ W_h"
    assert_holds_for_every_size(check_jacobian("rnn", same))
    cyclic = f"{RNN} + {scalar(trace('W_h @ W_x @ W_x.T'))} - {scalar(trace('W_x @ W_x.T @ W_h'))}"
    assert_holds_for_every_size(check_jacobian("rnn", cyclic))


def test_a_trace_of_the_identity_is_n():
    # tr(I)² − 3 tr(I) + 2 = (n − 1)(n − 2): 0 at n = 1, 2; wrong from n = 3
    t = trace("I")
    v = check_jacobian("rnn", f"{RNN} + {scalar(f'{t} @ {t} - 3 * {t}')} @ W_h + 2 * W_h")
    assert_refuted_at(v, 3, 1)
    assert set(v.sizes_equal) == {(1, 1), (2, 1)}


def test_one_transpose_one_is_n():
    # (1ᵀ1 − 3)·W_h: "holds" at the old proof size n = 3, wrong at n = 1
    v = check_jacobian("rnn", f"{RNN} + {scalar(f'{ONE}.T @ {ONE}')} @ W_h - 3 * W_h")
    assert_refuted_at(v, 1, 1)


# -- J² = nJ -------------------------------------------------------------------------------------


def test_j_squared_is_n_j_for_every_n():
    n_times_j = f"{scalar(f'{ONE}.T @ {ONE}')} @ {J}"
    v = check_jacobian("rnn", f"{RNN} + {J} @ {J} @ W_h - {n_times_j} @ W_h")
    assert_holds_for_every_size(v)


def test_j_squared_is_not_2_j():
    v = check_jacobian("rnn", f"{RNN} + {J} @ {J} @ W_h - 2 * {J} @ W_h")
    assert_refuted_at(v, 1, 1)  # (n − 2)·J W_h: 0 only at n = 2


# -- Cayley–Hamilton through traces ---------------------------------------------------------------


def test_cayley_hamilton_of_2x2_is_refuted_at_n_3():
    v = check_jacobian("rnn", f"{RNN} + {cayley_hamilton_2('W_h')}")
    assert_refuted_at(v, 3, 1)
    assert set(v.sizes_equal) == {(1, 1), (2, 1)}


def test_cayley_hamilton_of_3x3_is_refuted_at_n_4():
    v = check_jacobian("rnn", f"{RNN} + {cayley_hamilton_3('W_h')}")
    assert_refuted_at(v, 4, 1)
    assert set(v.sizes_equal) == {(1, 1), (2, 1), (3, 1)}


# -- S₄ on skew-symmetric parts ----------------------------------------------------------------


def test_s4_on_skew_parts_vanishes_at_n_3_and_is_refuted_at_n_4():
    skew = [f"(W_{g} - W_{g}.T)" for g in "fioc"]
    v = check_jacobian("lstm", f"{LSTM_DH_DH} + {standard_polynomial(skew)}", n=3)
    assert_refuted_at(v, 4, 1)
    assert set(v.sizes_equal) == {(1, 1), (2, 1), (3, 1)}


# -- Gram determinants -------------------------------------------------------------------------


def test_a_gram_determinant_of_four_vectors_is_refuted_at_n_4():
    gram = gram_determinant(["h_prev", "c_prev", "b_f", "b_i"])
    v = check_jacobian("lstm", f"{LSTM_DC_DH} + {scalar(gram)} @ W_f", of="c", wrt="h_prev")
    assert_refuted_at(v, 4, 1)


def test_a_gram_determinant_of_two_vectors_is_refuted_at_n_2():
    gram = gram_determinant(["h_prev", "b"])
    v = check_jacobian("rnn", f"{RNN} + {scalar(gram)} @ W_h")
    assert_refuted_at(v, 2, 1)


# -- coefficients in d ---------------------------------------------------------------------------


def _poly_in_d(coefficients: list[int]) -> str:
    """Σ c_k d^k as a vector of size n with every entry that value (d = 1ᵀ1 over x's size)."""
    d = f"({ONE_D}.T @ {ONE_D})"
    parts = []
    for k, c in enumerate(coefficients):
        if c == 0:
            continue
        power = " @ ".join([d] * k)
        parts.append(f"{c} * {ONE}" if k == 0 else f"{c} * {ONE} @ ({power})")
    return "diag(" + " + ".join(parts) + ")"


def test_a_coefficient_d_minus_2_times_d_minus_3_is_refuted_at_d_1():
    coefficient = _poly_in_d([6, -5, 1])  # d² − 5d + 6: the old checker tried d = 2, 3
    v = check_jacobian("rnn", f"{RNN} + {coefficient} @ W_h")
    assert_refuted_at(v, 1, 1)  # (1 − 2)(1 − 3) = 2 times W_h


def test_a_coefficient_vanishing_at_d_1_2_3_is_refuted_at_d_4():
    coefficient = _poly_in_d([-6, 11, -6, 1])  # (d − 1)(d − 2)(d − 3)
    v = check_jacobian("rnn", f"{RNN} + {coefficient} @ W_h")
    assert_refuted_at(v, 1, 4)  # first in the order (n + d, n) among the sizes with d = 4
    assert set(v.sizes_equal) == {(1, 1), (1, 2), (2, 1), (1, 3), (2, 2), (3, 1)}


def test_d_written_through_x_is_d_for_every_size():
    d = f"({ONE_D}.T @ {ONE_D})"
    gram = "W_x @ W_x.T"  # n × n
    v = check_jacobian(
        "rnn", f"{RNN} + {scalar(d)} @ {gram} - {scalar(f'{d} - x.T @ x + x.T @ x')} @ {gram}"
    )
    assert_holds_for_every_size(v)


# -- mixtures inside LSTM and GRU answers ------------------------------------------------------


@pytest.mark.parametrize(
    "cell, of, right, extra, size",
    [
        # the issue's: the LSTM's ∂c/∂h_prev plus a Gram determinant of four vectors times
        # a product, plus S₄ on skew parts: 0 at n ≤ 3
        (
            "lstm",
            "c",
            LSTM_DC_DH,
            f"{scalar(gram_determinant(['h_prev', 'c_prev', 'b_f', 'b_i']))} @ W_o @ W_c + "
            + standard_polynomial([f"(W_{g} - W_{g}.T)" for g in "fioc"]),
            (4, 1),
        ),
        # the GRU plus Cayley–Hamilton of W_u and of W_r, scaled by a trace
        (
            "gru",
            "h",
            GRU,
            f"{cayley_hamilton_2('W_u')} + {scalar(trace('W_r'))} @ {cayley_hamilton_2('W_r')}",
            (3, 1),
        ),
        # the LSTM's ∂h/∂h_prev plus J² − nJ (0) plus (d − 2)(d − 3)·Cayley–Hamilton of W_o
        (
            "lstm",
            "h",
            LSTM_DH_DH,
            (
                f"{J} @ {J} - {scalar(f'{ONE}.T @ {ONE}')} @ {J} + "
                f"{_poly_in_d([6, -5, 1])} @ {cayley_hamilton_2('W_o')}"
            ),
            (3, 1),
        ),
    ],
)
def test_mixtures_inside_lstm_and_gru_answers_are_refuted_at_the_smallest_size(
    cell, of, right, extra, size
):
    v = check_jacobian(cell, f"{right} + {extra}", of=of, wrt="h_prev")
    assert_refuted_at(v, *size)
    # and the same mixture minus itself holds, for every size
    w = check_jacobian(cell, f"{right} + {extra} - ({extra})", of=of, wrt="h_prev")
    assert_holds_for_every_size(w)


# -- what the normal form does not see is undecided, with what was shown -------------------------


def test_an_identity_the_normal_form_does_not_see_is_undecided_with_the_sizes_it_holds_at():
    # ReLU(z) − ReLU(−z) = z for every z (at 0 too), but the form writes ReLU(a) = a·H(a)
    # and has no rule H(a) + H(−a) = 1 − [a = 0]: the difference stays, and no point of
    # the search shows one. Times W_h − W_hᵀ, it is 0 entry by entry at n = 1 (every d).
    unseen = "diag(relu(z) - relu(-z) - z) @ (W_h - W_h.T)"
    v = check_jacobian("rnn", f"{RNN} + {unseen}")
    assert v.outcome == "undecided" and v.exit_code == 3 and not v.every_size, v.report()
    assert v.symbolic is None and v.counterexample is None
    assert set(v.sizes_equal) == {(1, 1), (1, 2), (1, 3)}
    assert "it holds exactly at d = 1, 2, 3 (n = 1)" in v.detail
    assert "not proved exactly at n = 2" in v.detail
    assert "no difference at 3 random rational points at each of" in v.detail
    assert v.numeric_sizes == ((3, 2),) and "holds numerically at 5 points (n = 3, d = 2)" in (
        v.report()
    )
    # never "holds" ... and a real difference of the same shape is refuted
    w = check_jacobian("rnn", f"{RNN} + diag(relu(z) - z) @ (W_h - W_h.T)")
    assert_refuted_at(w, 2, 1)
