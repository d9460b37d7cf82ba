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
