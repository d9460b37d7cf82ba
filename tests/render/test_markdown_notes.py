"""The notes as one Markdown file: contents, every claim numbered in the order of notes.tex
under a plain-text heading, every figure after the last of its claims with a link into
figures/ beside the file that resolves, caveats as callouts, justifications that wrap,
mathematics MathJax and KaTeX render, each section's exercises, one list of references;
the instructor's file adds how each line was checked and the exercises' solutions."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gradsym.errors import InvalidValueError
from gradsym.notes.bibliography import cite_text
from gradsym.notes.catalogue import IDS, claims
from gradsym.render.derivations import RenderError, figure_refs
from gradsym.render.derivations.markdown_notes import (
    MATHJAX_MACROS,
    anchor,
    heading_text,
    markdown_name,
    math_macros,
    notes_markdown,
)
from gradsym.render.lecture import cited_keys

from ..repo import REPO

COMMITTED = REPO / "derivations"


@pytest.fixture(scope="module")
def notes() -> str:
    return (COMMITTED / "notes.md").read_text()


def _heading(claim) -> str:
    return " " + heading_text(claim.title) + "\n"


def test_every_claim_is_there_once_numbered_in_the_order_of_the_notes(notes):
    headings = re.findall(r"^### (\d+)\.(\d+) (.*)$", notes, flags=re.MULTILINE)
    assert [t for _, _, t in headings] == [heading_text(c.title) for c in claims(list(IDS))]
    numbers = [(int(a), int(b)) for a, b, _ in headings]
    assert numbers == sorted(numbers) and numbers[0] == (1, 1)
    sections = re.findall(r"^## (.*)$", notes, flags=re.MULTILINE)
    assert sections[0] == "Contents" and sections[-1] == "References"
    expected = list(dict.fromkeys(c.section for c in claims()))
    assert sections[1:-1] == [f"{k} {s}" for k, s in enumerate(expected, start=1)]


def test_headings_are_plain_text_and_the_contents_link_to_them(notes):
    headings = re.findall(r"^#+ (.*)$", notes, flags=re.MULTILINE)
    assert not [h for h in headings if "$" in h or "\\" in h]
    anchors = {anchor(h) for h in headings}
    contents = notes[notes.index("## Contents") : notes.index("\n## 1 ")]
    links = re.findall(r"\]\(#([^)]+)\)", contents)
    assert len(links) == len(claims()) + len({c.section for c in claims()}) + 1
    assert set(links) <= anchors


def test_caveats_are_callouts_and_justifications_wrap(notes):
    assert notes.count("> [!NOTE]\n> ") == sum(bool(c.caveat) for c in claims())
    displays = re.findall(r"\$\$(.*?)\$\$", notes, flags=re.DOTALL)
    # no justification inside a formula (a derivation's line numbers, "(3)", are no prose)
    assert not [d for d in displays if re.search(r"\\text\{\((?!\d+\)\})", d)]
    justifications = re.findall(r"^\*\((.*)\)\*$", notes, flags=re.MULTILINE)
    assert len(justifications) >= sum(bool(s.justification) for c in claims() for s in c.steps) - 5


def test_each_section_closes_with_its_exercises_solutions_for_the_instructor(notes):
    from gradsym.checker.exercises import exercises

    instructor = (COMMITTED / "notes-instructor.md").read_text()
    assert notes.count("### Exercises") == instructor.count("### Exercises") == 9
    assert notes.count("**Exercise ") == len(exercises())
    assert "**Solution.**" not in notes
    assert instructor.count("**Solution.**") == len(exercises())


def test_every_figure_link_resolves_beside_the_file_and_follows_its_last_claim(notes):
    links = re.findall(r"!\[Figure (\d+): ([^]]+)\]\(([^)]+)\)", notes)
    figures = figure_refs()
    assert sorted(Path(path).stem for _, _, path in links) == sorted(f.name for f in figures)
    assert [int(n) for n, _, _ in links] == list(range(1, len(links) + 1))
    for _, alt, path in links:
        assert path.startswith("figures/") and path.endswith(".png")  # no ../ to break
        assert (COMMITTED / path).is_file(), path
        assert len(alt) > 20 and "$" not in alt  # the figure's message, as text
    for fig in figures:
        last = max(fig.claims, key=IDS.index)
        (claim,) = claims([last])
        at = notes.index(f"/{fig.name}.png)")
        assert notes.index(_heading(claim)) < at
        following = IDS[IDS.index(last) + 1 :]
        if following:
            assert at < notes.index(_heading(claims([following[0]])[0]))


def test_mathematics_is_for_mathjax_and_katex(notes):
    used = math_macros(notes)
    assert "frac" in used and "{aligned}" in used  # the scan sees the mathematics
    assert not {m for m in used if m.isalpha() and len(m) > 1} - MATHJAX_MACROS
    assert "bm" not in used and "newcommand" not in notes
    assert notes.count("$$") % 2 == 0


def test_one_list_of_references_with_everything_cited(notes):
    assert "**References.**" not in notes  # the claims' own lists are gathered at the end
    refs = notes[notes.index("\n## References\n") :]
    for key in cited_keys(claims(), figure_refs()):
        assert f"- **{cite_text(key)}**" in refs


def test_the_instructor_file_adds_the_checks():
    student = notes_markdown(claims(["cec"]), figure_refs())
    instructor = notes_markdown(claims(["cec"]), figure_refs(), audience="instructor")
    assert "**Checked.**" not in student
    assert "**Checked.**" in instructor and "1. Line 1, exactly" in instructor
    assert markdown_name("student") == "notes.md"
    assert markdown_name("instructor") == "notes-instructor.md"
    assert (COMMITTED / "notes-instructor.md").read_text().count("**Checked.**") == len(IDS)


def test_a_macro_mathjax_lacks_is_refused():
    (claim,) = claims(["cec"])
    bold = dataclasses.replace(claim, statement=r"With $\bm{c}$ the cell.")
    with pytest.raises(RenderError, match=r"MathJax and KaTeX do not know: \\bm"):
        notes_markdown([bold], [])


def test_an_unknown_audience_is_refused():
    with pytest.raises(InvalidValueError, match="audience must be one of"):
        notes_markdown(claims(["cec"]), [], audience="teacher")


def test_figures_of_claims_not_shown_are_left_out():
    text = notes_markdown(claims(["sgd-step"]), figure_refs(), figures_rel="figs")
    shown = [f"figs/{f.name}.png" for f in figure_refs() if "sgd-step" in f.claims]
    assert shown and len(shown) < len(figure_refs())
    assert re.findall(r"\]\((figs/[^)]+)\)", text) == shown
