"""The notes as one Markdown file, printed from the same lecture plan as notes.tex: every
claim once, numbered as the PDF numbers it, every figure where the plan places it with a
link that resolves, mathematics MathJax and KaTeX render, one list of references; the
instructor's file adds the table of how each line was checked."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gradsym.errors import InvalidValueError
from gradsym.notes.bibliography import cite_text
from gradsym.notes.catalogue import IDS, claims
from gradsym.notes.lecture import ClaimItem, FactsBox, FigureItem, lecture_plan
from gradsym.notes.prose import to_markdown
from gradsym.render.derivations import RenderError, figure_refs
from gradsym.render.derivations.markdown_notes import (
    MATHJAX_MACROS,
    anchor,
    heading_text,
    markdown_name,
    math_macros,
    notes_markdown,
)

from ..repo import REPO

COMMITTED = REPO / "derivations"


@pytest.fixture(scope="module")
def notes() -> str:
    return (COMMITTED / "notes.md").read_text()


@pytest.fixture(scope="module")
def plan():
    return lecture_plan(None, figure_refs())


def _title(claim) -> str:
    return to_markdown(claim.title, cite_text)


def _heading(claim, plan) -> str:
    return heading_text(claim.title, plan.ref)


def test_every_claim_is_there_once_numbered_as_in_the_pdf(notes, plan):
    numbers = plan.numbers()
    positions = []
    for item in plan.items():
        if isinstance(item, ClaimItem):
            heading = f"\n### {numbers[item.label]} {_heading(item.claim, plan)}\n"
            assert notes.count(heading) == 1, heading
            positions.append(notes.index(heading))
        elif isinstance(item, FactsBox):
            for fact in item.claims:
                assert notes.count(f"\n**{_title(fact.claim)}.**\n") == 1
    assert positions == sorted(positions)
    assert {c.id for c in plan.claims()} == set(IDS)
    sections = re.findall(r"^## (.*)$", notes, flags=re.MULTILINE)
    assert sections[0] == "Contents" and sections[-1] == "References"
    assert [s.split(" ", 1)[0] for s in sections[1:-1]] == [
        str(k) for k in range(1, len(sections) - 1)
    ]


def test_headings_are_plain_text_and_the_contents_link_to_them(notes, plan):
    headings = re.findall(r"^#+ (.*)$", notes, flags=re.MULTILINE)
    assert not [h for h in headings if "$" in h or "\\" in h]  # no LaTeX in an outline
    anchors = {anchor(h) for h in headings}
    contents = notes[notes.index("## Contents") : notes.index("\n## 1 ")]
    links = re.findall(r"\]\(#([^)]+)\)", contents)
    claims_ = sum(isinstance(i, ClaimItem) for s in plan.sections for i in s.items)
    assert len(links) == claims_ + len(plan.sections) + 1
    assert set(links) <= anchors


def test_caveats_are_callouts_and_justifications_wrap(notes, plan):
    assert notes.count("> [!NOTE]\n> ") == sum(bool(c.caveat) for c in plan.claims())
    displays = re.findall(r"\$\$(.*?)\$\$", notes, flags=re.DOTALL)
    # no justification inside a formula (a derivation's line numbers, "(3)", are no prose)
    assert not [d for d in displays if re.search(r"\\text\{\((?!\d+\)\})", d)]
    said = re.findall(r"^\*\((.*)\)\*$", notes, flags=re.MULTILINE)
    steps = sum(bool(s.justification) for c in plan.claims() for s in c.steps)
    assert len(said) >= steps - 5  # a justification with emphasis of its own is plain


def test_each_section_closes_with_its_exercises_solutions_for_the_instructor(notes):
    from gradsym.checker.exercises import SECTIONS, exercises

    instructor = (COMMITTED / "notes-instructor.md").read_text()
    assert notes.count("### Exercises") == instructor.count("### Exercises") == len(SECTIONS)
    assert notes.count("**Exercise ") == len(exercises())
    assert "**Solution.**" not in notes
    assert instructor.count("**Solution.**") == len(exercises())


def test_every_figure_link_resolves_beside_the_file_where_the_plan_puts_it(notes, plan):
    links = re.findall(r"!\[Figure (\d+): [^\]]*\]\(([^)]+)\)", notes)
    figures = figure_refs()
    assert sorted(Path(path).stem for _, path in links) == sorted(f.name for f in figures)
    numbers = plan.numbers()
    for number, path in links:
        assert path.startswith("figures/") and path.endswith(".png")  # no ../ to break
        assert (COMMITTED / path).is_file(), path
        assert number == numbers[f"fig:{Path(path).stem}"]
    items = list(plan.items())
    for k, item in enumerate(items):
        if isinstance(item, FigureItem) and isinstance(items[k - 1], ClaimItem):
            before = items[k - 1].claim
            at = notes.index(f"/{item.figure.name}.png)")
            assert notes.index(_heading(before, plan)) < at  # right after the claim it supports


def test_mathematics_is_for_mathjax_and_katex(notes):
    used = math_macros(notes)
    assert "frac" in used and "{aligned}" in used  # the scan sees the mathematics
    assert not {m for m in used if m.isalpha() and len(m) > 1} - MATHJAX_MACROS
    assert "bm" not in used and "newcommand" not in notes
    assert notes.count("$$") % 2 == 0


def test_one_list_of_references_with_everything_cited(notes, plan):
    assert "**References.**" not in notes  # the claims' own lists are gathered at the end
    refs = notes[notes.index("\n## References\n") :]
    for key in plan.references:
        assert f"- **{cite_text(key)}**" in refs
    assert "\\cite" not in notes and "\\ref" not in notes and "??" not in notes


def test_the_instructor_file_adds_the_check_tables():
    student = notes_markdown(claims(["cec"]), figure_refs())
    instructor = notes_markdown(claims(["cec"]), figure_refs(), audience="instructor")
    head = "| Line | Exactly (SymPy, rational arithmetic) | Numerically (double precision) |"
    assert head not in student
    assert instructor.count(head) == 1 and "| 1 | " in instructor
    assert markdown_name("student") == "notes.md"
    assert markdown_name("instructor") == "notes-instructor.md"
    committed = (COMMITTED / "notes-instructor.md").read_text()
    assert committed.count(head) == len(IDS)


def test_a_macro_mathjax_lacks_is_refused():
    (claim,) = claims(["cec"])
    bold = dataclasses.replace(claim, statement=r"With $\bm{c}$ the cell.")
    with pytest.raises(RenderError, match=r"MathJax and KaTeX do not know: \\bm"):
        notes_markdown([bold], [])


def test_an_unknown_audience_is_refused():
    with pytest.raises(InvalidValueError, match="audience must be one of"):
        notes_markdown(claims(["cec"]), [], audience="teacher")


def test_figures_of_claims_not_shown_are_left_out():
    text = notes_markdown(claims(["clip-value"]), figure_refs(), figures_rel="figs")
    shown = [f"figs/{f.name}.png" for f in figure_refs() if "clip-value" in f.claims]
    assert shown and len(shown) < len(figure_refs())
    assert re.findall(r"\]\((figs/[^)]+)\)", text) == shown
