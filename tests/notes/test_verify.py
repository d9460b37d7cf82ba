"""verify: every claim of the notes passes, fast, deterministically; a broken claim fails
and the report names the step."""

from __future__ import annotations

import json
import re

import pytest

from gradsym.errors import UnknownNameError
from gradsym.notes import IDS, REGISTRY, SECTIONS, claims, get, verify
from gradsym.notes.lecture.teaching import OUTLINE, C
from gradsym.notes.verify import verify_claim

# The claims of the lecture notes, in the notes' order, as the project's claim list names
# them (one id per claim; kept here so that the test needs nothing outside the repository).
NOTES_CLAIMS = (
    "chain-rule",
    "weights-shared",
    "bptt-factors",
    "rnn-jacobian",
    "linear-case",
    "eigen-vanish",
    "explode",
    "nonlinear-bound",
    "sequential-recency",
    "agreement-recency",
    "sgd-step",
    "clip-norm",
    "clip-value",
    "truncated-bptt",
    "orthogonal",
    "relu",
    "residual",
    "lstm-jacobians",
    "lstm-cell-path",
    "cec",
    "lstm-remember",
    "forget-bias",
    "lstm-params",
    "gates-range",
    "peephole-jacobians",
    "gru-jacobian",
    "gru-retain",
    "gru-update-bias",
    "gru-params",
    "gru-variants",
    "birnn",
    "stacked",
    "mlp-window",
    "rnn-count",
)
# The claims the lecture adds to those of CLAIMS.md: its missing topics and its worked example.
LECTURE_CLAIMS = (
    "scalar-example",
    "cliff",
    "tbptt-bias",
    "random-truncation",
    "leaky",
    "echo-state",
    "pascanu-omega",
)


@pytest.fixture
def report(full_report):
    return full_report


def test_every_claim_verifies(report):
    failing = {r.id: r.failure.to_json() for r in report.failures}
    assert report.passed, failing
    assert len(report.rows) == len(IDS)


def test_every_claim_is_checked_both_ways(report):
    for row in report.rows:
        assert row.symbolic is True, f"{row.id} has no symbolic check"
        assert row.numeric is True, f"{row.id} has no numeric check"


def test_every_claim_of_the_notes_is_in_the_catalogue_in_the_lectures_order():
    assert not set(NOTES_CLAIMS) & set(LECTURE_CLAIMS)
    assert sorted(REGISTRY) == sorted(NOTES_CLAIMS + LECTURE_CLAIMS)  # each once, no other
    outline = [e.id for _, spec in OUTLINE for e in spec if isinstance(e, C)]
    assert list(IDS) == outline and len(set(IDS)) == len(IDS)


def test_catalogue_ids_sections_and_order():
    assert set(IDS) == set(REGISTRY)
    order = [SECTIONS.index(c.section) for c in claims()]
    assert order == sorted(order)  # the catalogue's order keeps the sections together
    for c in claims():
        # a claim of CLAIMS.md cites at least one of the course documents; every claim
        # the papers it rests on (bibliography keys)
        if c.id in NOTES_CLAIMS:
            assert any(re.fullmatch(r"00[0-4]", s) for s in c.sources)
        assert all(re.fullmatch(r"00[0-4]|[a-z]+\d{4}[a-z]*", s) for s in c.sources)
        assert c.steps and all(s.justification for s in c.steps)


def test_unknown_id_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="chain-rule"):
        verify(["no-such-claim"])
    with pytest.raises(UnknownNameError):
        get("nope")


def test_deterministic_for_a_seed():
    a = verify(["clip-norm", "nonlinear-bound"], seed=3)
    b = verify(["clip-norm", "nonlinear-bound"], seed=3)
    assert [r.max_error for r in a.rows] == [r.max_error for r in b.rows]


def test_report_json_and_table(report):
    data = json.loads(report.to_json())
    assert data["passed"] is True
    assert {c["id"] for c in data["claims"]} == set(IDS)
    table = report.table()
    assert f"{len(IDS)}/{len(IDS)} claims verified" in table
    assert "eigen-vanish" in table and "✓" in table


def test_a_broken_step_fails_and_is_named():
    """Printing W_hˡ⁺¹ where W_hˡ belongs: both checks evaluate the display and refuse it."""
    import dataclasses

    from sympy import MatMul, MatPow

    claim = get("linear-case")
    last = claim.steps[5]
    factor, power = last.rhs.args
    wrong = dataclasses.replace(last, rhs=MatMul(factor, MatPow(power.base, power.exp + 1)))
    report = verify(claims=[claim.with_step(5, wrong)])
    assert not report.passed
    row = report.rows[0]
    assert row.symbolic is False and row.numeric is False
    assert row.failure.index == 5
    assert "ℓ = i − j factors Wₕ" in row.failure.step
    assert row.failure.counterexample["why"].startswith("entry (0, 0) differs")
    table = report.table()
    assert "linear-case: step 6 fails its symbolic check" in table
    assert "SOME CLAIMS FAIL" in table


def test_a_broken_jacobian_step_fails_numerically_too():
    from gradsym.notes.catalogue.common import jacobian_step
    from gradsym.notes.catalogue.rnn import rnn_form

    claim = get("rnn-jacobian")
    wrong = jacobian_step("rnn", "tanh", "h", "h_prev", rnn_form("sigmoid"), "chain rule")
    row = verify_claim(claim.with_step(0, wrong))
    assert not row.passed
    assert row.symbolic is False and row.numeric is False
    assert row.failure.index == 0 and "differs" in row.failure.counterexample["why"]


def test_every_step_of_every_claim_is_checked():
    unchecked = [(c.id, k + 1) for c in claims() for k, s in enumerate(c.steps) if not s.checks]
    assert unchecked == []
