"""Every claim can be printed: steps as align lines with the notes' printer, statements in
plain text and LaTeX."""

from __future__ import annotations

from gradsym.proofs import claims, get


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
    line = step.latex()
    assert r"\frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}}" in line
    assert r"\operatorname{diag}" in line and r"\sigma'" in line
    assert r"\mathbf{W}_h" in line
    assert "chain rule" in line
