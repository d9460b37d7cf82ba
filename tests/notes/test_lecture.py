"""The lecture: one plan, computed once in the claims layer and printed by three writers;
one notation, held to over every display, caption and piece of prose of the students'
notes; sources named; no talk of the software in the students' notes.

Every rule is shown a wrong input too: a symbol with two meanings, a z used as a gate, a
sigma for a singular value, an undeclared letter, "the notes" for an outside text, a
bare [001], a library name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sympy as sp

from gradsym.lang.matexpr import Apply
from gradsym.notes.bibliography import ENTRIES, cite_text
from gradsym.notes.catalogue import IDS, claims
from gradsym.notes.lecture import (
    CellIntro,
    ClaimItem,
    FactsBox,
    LecturePlan,
    audit,
    lecture_plan,
)
from gradsym.notes.lecture.teaching import FACT, INTUITION, OUTLINE, TAKEAWAY, C
from gradsym.render.derivations import figure_refs, notes_tex
from gradsym.render.derivations.markdown_notes import notes_markdown
from gradsym.symbolic import notes_latex

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def plan() -> LecturePlan:
    return lecture_plan(None, figure_refs())


@pytest.fixture(scope="module")
def student(plan) -> str:
    return notes_tex(plan, audience="student")


@pytest.fixture(scope="module")
def markdown(plan) -> str:
    return notes_markdown(plan)


# -- one plan ------------------------------------------------------------------------------------


def test_the_plan_holds_every_claim_once_with_its_intuition_and_takeaway(plan):
    ids = [c.id for c in plan.claims()]
    assert sorted(ids) == sorted(IDS) and len(ids) == len(set(ids))
    outlined = [e.id for _, spec in OUTLINE for e in spec if isinstance(e, C)]
    results = [i for i in ids if i not in FACT]  # the facts go to their section's box
    assert results == [i for i in outlined if i in results]  # in the outline's order
    for item in plan.items():
        if isinstance(item, ClaimItem):  # a result: the idea before, the lesson after
            assert item.intuition and item.takeaway, item.claim.id
    assert set(INTUITION) | set(TAKEAWAY) <= set(IDS)  # no prose for a claim that is gone


def test_the_plans_numbers_are_latexs_and_every_reference_lands(plan, student):
    numbers = plan.numbers()
    for label in re.findall(r"\\(?:eq)?ref\{([^}]*)\}", student):
        assert label in numbers, label
    sections = [k for k in numbers if k.startswith("sec:")]
    assert [numbers[s] for s in sections] == [str(k) for k in range(1, len(sections) + 1)]
    broken = LecturePlan(plan.title, plan.audience, plan.front, plan.sections[:1], ())
    with pytest.raises(Exception, match="no such label"):
        broken.ref("claim:gru-jacobian")  # a label the plan lacks is an error, not "??"


def test_the_plan_is_computed_once_for_the_notes_and_their_markdown(monkeypatch, tmp_path):
    from gradsym.render.derivations import notes as notes_module

    calls = []
    real = notes_module.lecture_plan

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(notes_module, "lecture_plan", counting)
    notes_module.write_derivations(tmp_path / "derivations")
    assert len(calls) == 1


def test_no_writer_walks_the_claims_or_the_sections_itself():
    # The writers print a plan; the order of the lecture is the plan's alone.
    for name in ("derivations/notes.py", "derivations/markdown_notes.py", "slides.py"):
        tree = ast.parse((ROOT / "gradsym/render" / name).read_text())
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        assert "SECTIONS" not in imported and "figures_after" not in imported, name


def test_each_cell_is_introduced_once_and_referred_to_after(plan):
    introduced: set = set()
    for item in plan.items():
        if isinstance(item, CellIntro):
            keys = {(c.name, c.variant) for c in item.cells}
            assert not keys & introduced
            introduced |= keys
        elif isinstance(item, ClaimItem | FactsBox):
            for claim_item in item.claims if isinstance(item, FactsBox) else [item]:
                shown = {(c.name, c.variant) for c in claim_item.shown}
                assert not shown & introduced, claim_item.claim.id
                introduced |= shown


# -- one notation --------------------------------------------------------------------------------


def test_no_symbol_means_two_things_in_the_students_notes(student, markdown):
    assert audit.collisions(student) == []
    assert audit.collisions(markdown) == []
    assert audit.misused_symbols(student) == []
    assert audit.misused_symbols(markdown) == []


def test_every_symbol_of_the_students_notes_is_in_the_notation_table(student):
    assert audit.undeclared(student) == []


@pytest.mark.parametrize(
    ("tex", "found"),
    [
        (r"$a = 9/10$ and $\mathbf{y} = \mathbf{a} + \mathbf{x}$", ["a"]),
        (r"$g = \tanh$ beside the highway gate $\mathbf{g}$", ["g"]),
    ],
)
def test_a_scalar_that_shares_a_vectors_letter_is_found(tex, found):
    assert audit.collisions(tex) == found


def test_the_highway_gate_called_T_would_be_undeclared():
    # T the length is a size (allowed beside a bold letter), but a bold T is in no table.
    assert "bold T" in audit.undeclared(r"$y = \mathbf{T} \circ \mathbf{H}$, length $T$")


@pytest.mark.parametrize(
    ("tex", "rule"),
    [
        (r"$\operatorname{diag}\left(\mathbf{z}^{(t)}\right) \mathbf{W}$", "z used as a gate"),
        (r"$\left(1 - \mathbf{z}^{(t)}\right) \circ \mathbf{n}$", "z used as a gate"),
        (r"$\sigma_{\max}(\mathbf{W}_h) < 1$", "sigma for a singular value"),
        (r"$\sigma_1 = 0.8$", "sigma for a singular value"),
        (r"$\sigma^{50}(8)$", "a power of sigma written as a composition"),
        (r"$\partial \mathcal{E}/\partial \theta$", "a loss other than J"),
        (r"$\Gamma_u \circ \tilde{\mathbf{c}}$", "Gamma gates"),
    ],
)
def test_each_rule_of_the_notation_catches_its_misuse(tex, rule):
    assert rule in audit.misused_symbols(tex)
    # ... but not in the box that maps other sources' notations, where it belongs
    boxed = r"\begin{notebox}{Other sources' notations}" + tex + r"\end{notebox}"
    assert audit.misused_symbols(boxed) == []


def test_an_undeclared_letter_is_named():
    assert audit.undeclared(r"$E = (\sigma(x) - 0.7)^2$, $\mathbf{H}$") == ["bold H", "E"]


def test_z_is_only_a_pre_activation_in_every_cell_the_lecture_prints(plan):
    cells = []
    for item in plan.items():
        if isinstance(item, CellIntro):
            cells += list(item.cells)
        elif isinstance(item, ClaimItem):
            cells += list(item.claim.cells)
    assert cells
    for cell in cells:
        for lhs, rhs in cell.definitions:
            printed = notes_latex(lhs)
            if isinstance(rhs, Apply):  # a gate, a state, a candidate: never a z
                assert not printed.startswith(r"\mathbf{z}"), (cell.name, cell.variant, printed)
            if printed.startswith(r"\mathbf{z}"):  # a z: affine, no function applied
                assert not rhs.atoms(Apply), (cell.name, cell.variant, printed)


def test_sigma_is_only_the_logistic_sigmoid_in_every_claim():
    for claim in claims():
        objects = [o for s in claim.steps for o in (s.lhs, s.rhs)]
        objects += [x for pair in claim.definitions for x in pair]
        for obj in objects:
            for f in obj.atoms(sp.core.function.AppliedUndef):
                assert f.func.__name__ != "sigma", claim.id  # a generic activation is φ


# -- named sources, no software ---------------------------------------------------------------------


def _body(tex: str) -> str:
    return tex[tex.index(r"\begin{document}") :]


def test_sources_are_named_and_never_the_notes(student, markdown):
    assert audit.unnamed_sources(_body(student)) == []
    assert audit.unnamed_sources(markdown) == []
    assert audit.unnamed_sources("as the notes write it, see [001]") == ["the notes", "[001]"]
    assert audit.unnamed_sources("these notes write it") == []
    for entry in ENTRIES:  # every work: its author (or that none is named), title, where
        assert not entry.label[:3].isdigit(), entry.key
        assert entry.latex.count(r"\emph{") == 1
    assert cite_text("003") == "[Dash 2021]"


def test_the_students_notes_name_no_software(student, markdown):
    assert audit.software_talk(_body(student)) == []
    shown = re.sub(r"<!--.*?-->", "", markdown)  # the "generated" comment is not rendered
    assert audit.software_talk(shown) == []
    assert audit.software_talk("from the committed results of the example sweep") == [
        "committed",
        "sweep",
    ]
    assert audit.software_talk("gradsym's library, build seed 0, torch.nn.GRU") == [
        "gradsym",
        "library",
        "build seed",
        "torch.",
        "nn.GRU",
    ]
    assert audit.software_talk("PyTorch's GRU puts the gate on the previous state") == []


# -- the statements the review found wrong or loose, one class each -------------------------------

WRONG_OR_LOOSE = {
    # the lag of the chain rule is i - j, not j
    "a hidden state j steps earlier": r"hidden state \$j\$ steps earlier",
    # an eigenvalue list read as a list of moduli
    "eigenvalues |l1|, ..., |ln| < 1": r"eigenvalues \$\|\\lambda_1\|, \\ldots",
    # the data show a conjugate pair
    "one eigenvalue outside": r"one eigenvalue outside",
    # in the vanishing regime the total gradient is not small
    "cannot be told apart from a converged one": r"told apart from a converged",
    # sigma_32(W^5) = 5.3e-10 is a genuine value
    "values below 1e-8 are round-off": r"below \$10\^\{-8\}\$ are round-off",
    # Gers & Schmidhuber's peepholes are diagonal
    "peepholes add 3n^2 more": r"LSTM has \$3n\^2\$ more",
    # the bound is derived where the residual claim is, not announced elsewhere
    "we bound": r"\bwe bound\b",
    # a caveat is a note, not a correction of the reader
    "Precisely:": r"Precisely:",
    # a claim's statement does not point at a figure as "illustrates Sections"
    "Figure N illustrates Sections": r"illustrates Sections?~",
}


@pytest.mark.parametrize("what", list(WRONG_OR_LOOSE))
def test_a_statement_found_wrong_or_loose_is_gone(student, markdown, what):
    pattern = re.compile(WRONG_OR_LOOSE[what])
    assert not pattern.search(student), what
    assert not pattern.search(markdown), what


def test_the_statements_that_replace_them_are_there(student):
    assert r"which lies $i - j$ steps earlier" in student
    assert "conjugate pair" in student
    assert "nothing in the gradient's" in student
    assert r"diagonal ($3n$ parameters, not $3n^2$)" in student
    assert r"is the \emph{total} derivative" in student
    assert "The two counts differ by the one bias that the reset gate multiplies" in student
