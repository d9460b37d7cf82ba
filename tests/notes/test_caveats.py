"""Where the notes are loose, the precise version is proved — and the lines that were false
are now true: the residual bound carries its hypothesis (and fails without it), the
eigenvalue argument expands in the left eigenvectors, the non-normal peak prints true
digits."""

from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp
from sympy import ImmutableMatrix as M

from gradsym.notes import Model, get
from gradsym.notes.checks import evaluate_step
from gradsym.notes.evaluate import seq_key


def test_the_residual_bound_prints_its_hypothesis_and_fails_without_it():
    """σ_min(∏(I + A_l)) ≥ ∏(1 − ‖A_l‖₂) is false for A₁ = A₂ = diag(−1, 2): σ_min(diag(0, 9))
    = 0 < 1 = (1 − 2)². With the hypothesis ‖A_l‖₂ ≤ 1 printed, that instance is excluded."""
    step = get("residual").steps[3]
    assert "1" in step.hypotheses_latex()[0] and r"\leq" in step.hypotheses_latex()[0]
    A = M([[-1, 0], [0, 2]])
    L, n = sp.Symbol("L", integer=True, positive=True), sp.Symbol("n", integer=True, positive=True)
    witness = Model({seq_key("A", 1): A, seq_key("A", 2): A, L: 2, n: 2})
    bare = dataclasses.replace(step, hypotheses=())
    ev = evaluate_step(bare, witness, exact=True)
    assert ev.lhs == 0 and ev.rhs == 1  # the bound fails: 0 ≥ 1 is false
    check = next(c for c in step.checks if c.kind == "symbolic")
    assert check.run(step).passed and check.run(step).excluded == 1
    assert not check.run(bare).passed  # the hypothesis is needed
    # and the claim shows the counterexample as a step of its own
    assert get("residual").steps[4].relation == "<"


def test_eigen_vanish_expands_in_left_eigenvectors_with_an_index_not_the_time():
    claim = get("eigen-vanish")
    expansion = claim.steps[3]
    rhs = expansion.rhs_latex()
    assert r"\mathbf{p}_{k}^{\top}" in rhs and r"\sum_{k=1}^{n}" in rhs and "q" not in rhs
    assert claim.steps[2].lhs_latex() == r"\mathbf{p}_{k}^{\top} \mathbf{W}_h"
    # the coefficients are defined where they are used: c_k = ∂J/∂h q_k
    assert claim.definitions_latex()[0][0] == r"\xi_{k}"  # c is the cell: the coefficient is ξ


def test_the_nonnormal_peak_prints_true_digits():
    W = np.array([[0.9, 10.0], [0.0, 0.9]])
    norms = [np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(1, 201)]
    assert int(np.argmax(norms)) + 1 == 9
    assert 38.7459 <= max(norms) <= 38.7460
    digits = get("eigen-vanish").steps[12]
    assert "38.7459" in digits.rhs_latex() and "38.75" not in digits.rhs_latex()
    assert "38.75 " not in get("eigen-vanish").caveat


def test_the_caveats_are_stated_and_their_claims_pass(full_report):
    rows = {r.id: r for r in full_report.rows}
    for cid in (
        "eigen-vanish",
        "nonlinear-bound",
        "chain-rule",
        "gru-update-bias",
        "lstm-cell-path",
        "gates-range",
        "rnn-count",
    ):
        claim = get(cid)
        assert claim.caveat, cid
        assert rows[cid].passed, cid
    assert "left" in get("eigen-vanish").caveat


# -- the five printed lines of issue 25, each with the hypothesis it needs ---------------------


def _without(step, k: int):
    """The step with its k-th hypothesis dropped."""
    return dataclasses.replace(step, hypotheses=step.hypotheses[:k] + step.hypotheses[k + 1 :])


def test_explode_overflows_only_for_a_gradient_of_norm_at_least_one_32nd():
    step = get("explode").steps[2]
    assert r"\geq \frac{1}{32}" in step.hypotheses_latex()[1]
    check = step.checks[0]
    res = check.run(step)
    assert res.passed and res.excluded == 1  # ‖∂J/∂h⁽ᵀ⁾‖ = 10⁻³: a finite gradient
    assert not check.run(_without(step, 1)).passed  # without it, a finite value is seen
    # the margin: 2¹⁰³⁰/32 = 2¹⁰²⁵, twice 2¹⁰²⁴, which is past float64's largest number
    assert np.finfo(np.float64).max < 2.0**1023 * 2


def test_sequential_recency_decreases_only_for_a_positive_base():
    step = get("sequential-recency").steps[1]
    assert [c.relation for c in step.hypotheses] == [">", "<"]
    sampled = step.checks[1]
    assert sampled.run(step).excluded >= 1  # W_h = 0: both sides 0
    assert not sampled.run(_without(step, 0)).passed


def test_sequential_recency_far_larger_is_the_linear_rnn_and_needs_a_gradient():
    claim = get("sequential-recency")
    step = claim.steps[2]
    assert "the linear RNN" in step.justification
    assert any(c.variant == "identity" for c in claim.cells)  # its equations are printed
    assert step.hypotheses[2].relation == ">" and step.hypotheses[2].rhs == 0
    exact = step.checks[0]
    assert exact.run(step).passed
    assert not exact.run(_without(step, 2)).passed  # c = 0: both gradients 0


def test_gates_range_says_where_sigma_is_zero_in_float64():
    import mpmath

    from gradsym.lang.elementwise import get_function

    sigmoid = get_function("sigmoid").apply  # the function table's float64 σ
    caveat = get("gates-range").caveat
    assert "-745.13" in caveat and "-709.78" in caveat and "clips $z$ at $-708$" in caveat
    assert "never reaches 0" in caveat  # the table's float64 sigmoid clips there
    assert "-745$)" not in caveat  # the old, wrong statement
    with np.errstate(over="ignore"):
        naive = [1 / (1 + np.exp(-np.float64(z))) for z in (-709.78, -709.79)]
    assert naive[0] > 0 and naive[1] == 0  # e^(−z) overflows past 709.78
    assert (
        sigmoid(np.array([-1e5]))[0] > 0 and abs(sigmoid(np.array([-708.0]))[0] - 3.3e-308) < 1e-309
    )
    with mpmath.workdps(40):  # correctly rounded σ(z) ≈ e^z: below half the smallest subnormal
        half_tiny = mpmath.mpf(2) ** -1075
        assert 1 / (1 + mpmath.exp(745.13)) > half_tiny > 1 / (1 + mpmath.exp(745.14))


def test_gru_update_bias_names_the_initialisers_bias_omega_not_the_pre_activation():
    claim = get("gru-update-bias")
    for k in (5, 6):
        step = claim.steps[k]
        assert step.rhs_latex() in (r"- \omega \mathbf{1}", r"\omega \mathbf{1}")
    assert r"\sigma(\omega - \zeta)" in claim.steps[5].justification
