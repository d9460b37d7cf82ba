"""Mutation testing: change what a step prints, and its checks refuse it.

The suite runs a fixed subset of the mutants of every claim (``PER_CLAIM`` per claim,
chosen by a hash of their description: one of each kind first, then spread over the
steps); ``gradsym verify --mutations`` runs all of them (minutes). Every mutant must be killed, or be equivalent (the same
values on every instance: diag(f)ᵀ), or be true (it holds on every exact instance and on
ten times the float64 instances: a weaker bound) — none may survive.
"""

from __future__ import annotations

import pytest
import sympy as sp

from gradsym.notes import IDS, Exact, Model, Sampled, Step, get
from gradsym.notes.mutations import mutants, mutation_report, score_claim, well_formed

PER_CLAIM = 8


def _kinds(step):
    return {m.kind for m in mutants(step)}


def test_the_kinds_of_mutation_a_slide_can_suffer():
    lstm = get("lstm-jacobians").steps[0]  # ∂c/∂h⁽ᵗ⁻¹⁾ = diag(c⁽ᵗ⁻¹⁾∘σ'(z_f)) W_f + …
    kinds = _kinds(lstm)
    assert {"transpose", "drop term", "flip sign", "swap symbols", "swap activation"} <= kinds
    descriptions = {m.description for m in mutants(lstm)}
    assert "W_f ⇄ W_i" in descriptions  # two gates swapped
    assert "sigmoid' → tanh'" in descriptions
    chain = get("chain-rule").steps[2]
    assert {"swap factors", "constant"} <= _kinds(chain)  # order of the factors, a time index
    weyl = get("residual").steps[3]
    assert {"relation", "drop hypothesis"} <= _kinds(weyl)
    witness = get("residual").steps[4]
    assert any(m.part.startswith("where") for m in mutants(witness))


def test_every_mutant_is_well_formed_and_prints_differently():
    for claim_id in ("lstm-jacobians", "eigen-vanish", "residual", "gru-variants"):
        for step in get(claim_id).steps:
            shown = step.latex()
            for m in mutants(step):
                assert well_formed(m.step.lhs) and well_formed(m.step.rhs)
                assert m.step.latex() + m.step.conditions_latex() != shown + step.conditions_latex()


def test_a_check_too_weak_to_see_a_change_is_caught():
    """(x + 1)² = x² + 2x + 1 checked only at x = 0 cannot see 2x → 3x: the mutant survives
    and the score says so; checked for every x it is killed."""
    x = sp.Symbol("x", real=True)
    weak = Exact(lambda: [Model({x: 0})], "x = 0 only")
    step = Step((x + 1) ** 2, "=", x**2 + 2 * x + 1, "expand", checks=(weak,))
    from gradsym.notes.claim import Claim

    claim = Claim("toy", "toy", "toy", (), (step,), ("001",), "Backpropagation through time")
    weak_score = score_claim(claim)
    assert weak_score.survived > 0 and weak_score.score < 1
    strong = Exact(lambda: [Model({}, free=(x,))], "every x")
    sampled = Sampled(lambda rng: Model({x: float(rng.normal())}), "random x", trials=4)
    claim = claim.with_step(0, Step(step.lhs, "=", step.rhs, "expand", checks=(strong, sampled)))
    strong_score = score_claim(claim)
    assert strong_score.survived == 0 and strong_score.killed > 0 and strong_score.score == 1


@pytest.mark.parametrize("claim_id", IDS)
def test_the_checks_refuse_every_mutant(claim_id):
    score = score_claim(get(claim_id), per_claim=PER_CLAIM)
    assert score.outcomes, claim_id
    survivors = [(k + 1, m.part, m.kind, m.description) for k, m in score.survivors()]
    assert survivors == [], claim_id
    assert score.killed > 0


def test_the_report_and_its_table():
    report = mutation_report(["mlp-window", "clip-norm"], per_claim=4)
    assert report.complete
    table = report.table()
    assert "mlp-window" in table and "100.0%" in table and "up to 4 mutants per claim" in table
    data = __import__("json").loads(report.to_json())
    assert {c["id"] for c in data["claims"]} == {"mlp-window", "clip-norm"}
