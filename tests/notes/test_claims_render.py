"""Every claim can be printed: steps as align lines with the notes' printer, statements in
plain text and LaTeX."""

from __future__ import annotations

from gradsym.notes import claims, get


def test_every_step_prints():
    for claim in claims():
        for step in claim.steps:
            line = step.latex(claim.style)
            assert "&" in line and r"\text{(" in line
            assert step.text
        if claim.formula is not None:
            assert claim.statement_latex


def test_a_step_prints_as_the_slide():
    step = get("rnn-jacobian").steps[1]  # σ = sigmoid
    assert step.lhs_latex() == r"\frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}}"
    assert step.relation_latex() == "="
    rhs = step.rhs_latex()
    assert r"\operatorname{diag}" in rhs and r"\sigma'" in rhs and rhs.endswith(r"\mathbf{W}_h")
    assert "chain rule" in step.latex()


def test_conditions_print_with_the_step():
    weyl = get("residual").steps[3]
    assert weyl.hypotheses_latex() == [
        r"\max_{1 \leq l \leq L} \left\lVert \mathbf{A}_{l} \right\rVert_{2} \leq 1"
    ]
    assert r"\text{if }" in weyl.latex()
    limit = get("eigen-vanish").steps[4]
    assert limit.relation_latex() == r"\xrightarrow{\ell \to \infty}"
