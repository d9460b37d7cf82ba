"""What a derivation prints is what its checks evaluate.

Walks every step of every claim: its pieces are SymPy objects; no named symbol hides a
formula in its LaTeX; every check is one that evaluates the step it is given; and every
atom the step displays — lhs, rhs, where, hypotheses — was reached by the evaluation of
every check that ran. A display that is not generated from its checked object fails here.
"""

from __future__ import annotations

import re

import pytest
import sympy as sp

from gradsym.lang.notation import Named, NamedScalar
from gradsym.notes import IDS, get
from gradsym.notes.checks import EverySize, Exact, Sampled
from gradsym.notes.claim import Condition
from gradsym.notes.evaluate import display_atoms

# A name is a letter with decorations, sub- and superscripts; these make a formula.
FORMULA = re.compile(
    r"\\frac|\\sum|\\prod|\\lVert|\\rVert|\\left|\\right|\\operatorname|\\circ|\\cdot"
    r"|\\max|\\min|\\sup|\\lim|\\begin|\\quad|\\;|\\,|[+=<>|/]| |-"
)


def step_atoms(step) -> set:
    atoms = display_atoms(step.lhs) | display_atoms(step.rhs)
    for atom, value in step.where:
        atoms |= {atom} | display_atoms(value)
    for cond in step.hypotheses:
        atoms |= display_atoms(cond.lhs) | display_atoms(cond.rhs)
    if step.limit is not None:
        atoms |= {step.limit[0]}
    return atoms


def _names(e):
    return [a for a in sp.preorder_traversal(e) if isinstance(a, (Named, NamedScalar))]


@pytest.mark.parametrize("claim_id", IDS)
def test_every_step_is_sympy_objects_with_display_checks(claim_id):
    claim = get(claim_id)
    for k, step in enumerate(claim.steps, 1):
        where = f"{claim_id} step {k}"
        for part in (step.lhs, step.rhs, *[x for pair in step.where for x in pair]):
            assert isinstance(part, sp.Basic), where
        assert all(isinstance(c, Condition) for c in step.hypotheses), where
        assert step.checks, f"{where} has no check"
        for check in step.checks:
            assert isinstance(check, (Exact, EverySize, Sampled)), (
                f"{where}: {type(check).__name__}"
            )
        for part in (step.lhs, step.rhs):
            for name in _names(part):
                assert not FORMULA.search(name.latex), (
                    f"{where}: the name {name.latex!r} is a formula in disguise"
                )


def test_every_displayed_atom_is_evaluated_by_every_check(full_report):
    missing = []
    for row in full_report.rows:
        claim = get(row.id)
        for k, res in row.results:
            if res.skipped:
                continue
            step = claim.steps[k]
            unseen = step_atoms(step) - res.visited
            if unseen:
                missing.append((row.id, k + 1, res.kind, sorted(map(sp.sstr, unseen))))
    assert missing == []


def test_the_formula_of_a_claim_is_one_of_its_steps():
    for claim_id in IDS:
        claim = get(claim_id)
        if claim.formula is not None:
            assert claim.formula_step is claim.steps[claim.formula]


def test_a_check_that_ignores_the_display_is_caught():
    """A step whose check evaluates a different object than the one printed is rejected
    by the walk: here the display says W_h and the model is never asked for it."""
    from gradsym.notes.checks import run_check
    from gradsym.notes.claim import Step
    from gradsym.notes.evaluate import Model

    x = sp.Symbol("x", real=True)
    W = Named("W_h", 2, 2, r"\mathbf{W}_h")
    shown = Step(W, "=", W, "reflexivity", checks=(Exact(lambda: [Model({})], "nothing"),))
    res = run_check(shown.checks[0], shown, 0)
    assert not res.passed and "W_h" in res.detail  # Unbound: the display is evaluated
    quiet = Step(x, "=", x, "reflexivity", checks=(Exact(lambda: [Model({}, free=[x])], "x"),))
    res = run_check(quiet.checks[0], quiet, 0)
    assert res.passed and step_atoms(quiet) <= res.visited


@pytest.mark.parametrize("claim_id", IDS)
def test_every_cell_symbol_shown_is_defined_in_the_printed_equations(claim_id):
    """A z_f, a_n or g_n in a step is printed with the equations that define it: every
    vector or parameter of a cell that a step shows belongs to a cell the claim prints."""
    from sympy import MatrixSymbol

    claim = get(claim_id)
    known = set()
    for cell in claim.cells:
        known |= {*cell.vectors.values(), *cell.params}
    family_names = {s.name for s in known}
    for k, step in enumerate(claim.steps, 1):
        for atom in step_atoms(step):
            if isinstance(atom, MatrixSymbol) and not isinstance(atom, Named):
                assert atom in known, f"{claim_id} step {k}: {atom} is not in a printed cell"
        for seq in (a for a in sp.preorder_traversal(step.rhs) if type(a).__name__ == "Seq"):
            if seq.name in ("z", "f", "i", "o", "c_tilde", "u", "r"):
                assert seq.name in family_names, f"{claim_id} step {k}: {seq.name} undefined"
