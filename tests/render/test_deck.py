"""The deck of one 90-minute lecture: at most 50 frames, each titled by its takeaway and
with content of its own; an agenda, a summary, two or three questions (one an exercise of
the notes); figures drawn in the slide style with their caption on the same frame;
sources in the footer, never on a frame of their own; compiled with pdflatex, no overfull
box."""

from __future__ import annotations

import re

import pytest

from gradsym.checker.exercises import get_exercise
from gradsym.errors import OutputError
from gradsym.notes import claims
from gradsym.notes.deck import DECK, MAX_FRAMES
from gradsym.render.deck import deck_measures, deck_tex, frame_content, slide_figures, write_deck
from gradsym.render.derivations.layout import _formula_rows
from gradsym.render.figures import figure_names
from gradsym.render.slides import beamer_missing, compile_slides, overfull

from ..repo import REPO

FRAME = re.compile(r"\\begin\{frame\}(?:\{(.*?)\})?\n(.*?)\\end\{frame\}", re.DOTALL)
LEAST_CONTENT = 30  # printed characters (frame_content) every frame must show


@pytest.fixture(scope="module")
def tex():
    return deck_tex()


def test_the_lecture_fits_in_fifty_frames_with_an_agenda_a_summary_and_questions(tex):
    measures = deck_measures(tex)
    assert measures.frames == len(DECK) + 1 <= MAX_FRAMES  # and the title frame
    kinds = [f.kind for f in DECK]
    assert kinds[0] == "agenda" and kinds.count("summary") == 1
    assert 2 <= kinds.count("question") + kinds.count("exercise") <= 3
    assert kinds.count("exercise") >= 1
    for f in DECK:
        if f.kind == "exercise":
            get_exercise(f.exercise)  # an exercise of the notes


def test_every_frame_has_content_of_its_own(tex):
    measures = deck_measures(tex)
    assert measures.least_content >= LEAST_CONTENT, measures
    for title, body in FRAME.findall(tex):
        assert frame_content(body) >= LEAST_CONTENT, title
    # no frame of sources, no references frame: the sources are in the footers
    assert "thebibliography" not in tex and "References" not in tex
    assert tex.count(r"\footer{") >= len(DECK)


def test_a_frame_s_title_is_its_takeaway_on_one_line(tex):
    assert deck_measures(tex).longest_title <= 66
    titles = [t for t, _ in FRAME.findall(tex) if t]
    assert len(set(titles)) == len(titles)
    assert not any(re.match(r"Figure \\d|.*\\(cont\\.\\)", t) for t in titles)


def test_a_result_shows_the_claim_s_own_formula_and_says_where_its_derivation_is(tex):
    for frame in DECK:
        if frame.kind != "result":
            continue
        for claim, step in zip(claims(list(frame.claims)), frame.steps):
            if step == 0 and _formula_rows(claim, "latex"):
                lhs = _formula_rows(claim, "latex")[0].partition("&")[0].strip()
                assert lhs in tex, claim.id
    assert tex.count("Derivation: notes, Section ") >= 20


def test_every_figure_is_on_one_frame_with_its_caption_in_the_slide_style(tex):
    figures = re.findall(r"\\includegraphics\[[^]]*\]\{figures/([a-z-]+)\.pdf\}", tex)
    assert sorted(figures) == sorted(figure_names())
    for title, body in FRAME.findall(tex):
        if r"\includegraphics" in body:
            assert re.search(r"\\textbf\{Figure \d+\.\}", body), title  # the caption beside it


def test_the_committed_slide_figures_are_drawn(tmp_path):
    for name in figure_names():
        assert (REPO / "slides" / "figures" / f"{name}.pdf").stat().st_size > 5_000


@pytest.mark.skipif(bool(beamer_missing()), reason=beamer_missing() or "Beamer is installed")
def test_the_instructor_s_deck_compiles_without_an_overfull_box(tmp_path):
    # the instructor's deck holds the student's and the answers: the fuller of the two
    folder = tmp_path / "slides"
    folder.mkdir()
    (folder / "figures").symlink_to(REPO / "slides" / "figures")
    (folder / "slides-instructor.tex").write_text(deck_tex("instructor"))
    pdf = compile_slides(folder, audience="instructor", keep_log=True)
    log = (folder / "slides-instructor.log").read_text(errors="replace")
    assert overfull(log) == []
    pages = int(re.search(r"Output written on .*\((\d+) pages?", log).group(1))
    assert pages == len(DECK) + 1
    assert pdf.stat().st_size > 50_000


def test_a_slide_figure_is_redrawn_from_the_figure_s_data(tmp_path):
    (path,) = slide_figures(REPO / "figures", tmp_path, ["clipping"])
    assert path.name == "clipping.pdf" and path.read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("*.json"))  # the data stays beside the print figures
    with pytest.raises(OutputError, match="clipping.json"):
        slide_figures(tmp_path / "nothing", tmp_path, ["clipping"])


def test_write_deck_writes_the_deck_and_its_figures(tmp_path, committed_slide_figures):
    paths = write_deck(tmp_path / "slides", REPO / "figures")
    assert paths[0].name == "slides.tex" and paths[0].read_text() == deck_tex()
    assert sorted(p.stem for p in paths[1:]) == sorted(figure_names())
