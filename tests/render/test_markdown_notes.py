"""The notes as one Markdown file: every claim in the order of notes.tex, every figure after
the last of its claims with a link that resolves, mathematics MathJax and KaTeX render, one
list of references; the instructor's file adds how each line was checked."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gradsym.errors import InvalidValueError
from gradsym.notes.bibliography import cite_text
from gradsym.notes.catalogue import IDS, claims
from gradsym.notes.prose import to_markdown
from gradsym.render.derivations import RenderError, figure_refs
from gradsym.render.derivations.markdown_notes import (
    MATHJAX_MACROS,
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
    return "### " + to_markdown(claim.title, cite_text)


def test_every_claim_is_there_once_in_the_order_of_the_notes(notes):
    positions = [notes.index("\n" + _heading(c) + "\n") for c in claims(list(IDS))]
    assert positions == sorted(positions)
    for claim in claims():
        assert notes.count("\n" + _heading(claim) + "\n") == 1
    sections = re.findall(r"^## (.*)$", notes, flags=re.MULTILINE)
    assert sections[-1] == "References"
    assert sections[:-1] == list(dict.fromkeys(c.section for c in claims()))


def test_every_figure_link_resolves_and_follows_its_last_claim(notes):
    links = re.findall(r"!\[Figure (\d+)\]\(([^)]+)\)", notes)
    figures = figure_refs()
    assert sorted(Path(path).stem for _, path in links) == sorted(f.name for f in figures)
    assert [int(n) for n, _ in links] == list(range(1, len(links) + 1))
    for _, path in links:
        assert path.startswith("../figures/") and path.endswith(".png")
        assert (COMMITTED / path).is_file(), path
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
    assert (
        "**Checked.**" in instructor and "1. Line 1, for every $n$ and $d$, exactly" in instructor
    )
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
