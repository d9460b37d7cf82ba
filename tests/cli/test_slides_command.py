"""``gradsym slides``: the deck into DIR/slides (figures from DIR/figures), a subset by
claim ids (or the deprecated --claims a,b), the instructor's deck with --audience, the PDF
with --pdf; a mistyped id or an empty --claims is one line on stderr and exit 2, and
nothing is written."""

from __future__ import annotations

import re

import pytest

from gradsym.cli import BAD_INPUT, main

from ..render.test_slides import FIGURES, needs_beamer

DEPRECATED_CLAIMS = (
    "gradsym slides: warning: --claims is deprecated; use the claim ids as arguments: "
    "gradsym slides ID ...\n"
)


def test_slides_writes_the_deck_of_the_chosen_claims(tmp_path, capsys):
    assert main(["slides", "linear-case", "chain-rule", "--out", str(tmp_path)]) == 0
    deck = tmp_path / "slides" / "slides.tex"
    assert f"wrote {deck}" in capsys.readouterr().out
    labels = re.findall(r"\\label\{claim:([a-z-]+)\}", deck.read_text())
    assert labels == ["chain-rule", "linear-case"]
    assert "{../figures/linear-case.pdf}" in deck.read_text()


def test_the_instructor_deck(tmp_path):
    assert main(["slides", "cec", "--out", str(tmp_path), "--audience", "instructor"]) == 0
    assert r"\emph{Checked.}" in (tmp_path / "slides" / "slides-instructor.tex").read_text()
    assert not (tmp_path / "slides" / "slides.tex").exists()


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["linear-case", "chain-rul"], "unknown claim 'chain-rul' (did you mean 'chain-rule'?)"),
        (["--claims", ","], "no claims chosen"),
    ],
)
def test_bad_claims_are_one_line_and_exit_2(tmp_path, capsys, ids, message):
    assert main(["slides", *ids, "--out", str(tmp_path)]) == BAD_INPUT
    err = capsys.readouterr().err.removeprefix(DEPRECATED_CLAIMS if "--claims" in ids else "")
    assert err.startswith("gradsym slides: error: ") and message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "slides").exists()


def test_an_unknown_audience_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["slides", "--out", str(tmp_path), "--audience", "teacher"])
    assert exc.value.code == BAD_INPUT
    assert "invalid choice: 'teacher'" in capsys.readouterr().err


@needs_beamer
def test_pdf_compiles_the_deck(tmp_path):
    (tmp_path / "figures").symlink_to(FIGURES)
    assert main(["slides", "clip-value", "--out", str(tmp_path), "--pdf"]) == 0
    assert (tmp_path / "slides" / "slides.pdf").read_bytes().startswith(b"%PDF")


def test_pdf_without_pdflatex_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("gradsym.cli.writing.shutil.which", lambda name: None)
    assert main(["slides", "--pdf", "--out", str(tmp_path / "out")]) == BAD_INPUT
    assert "--pdf needs pdflatex" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_pdf_without_beamer_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("gradsym.render.slides.beamer_missing", lambda: "beamer.cls is missing")
    assert main(["slides", "--pdf", "--out", str(tmp_path / "out")]) == BAD_INPUT
    err = capsys.readouterr().err
    assert "--pdf cannot compile the slides: beamer.cls is missing" in err
    assert not (tmp_path / "out").exists()


def test_build_pdf_without_beamer_writes_the_deck_and_says_why_no_pdf(
    tmp_path, capsys, monkeypatch, committed_slide_figures
):
    import gradsym.notes

    verify = gradsym.notes.verify
    monkeypatch.setattr("gradsym.cli.build.figures_into", lambda out, names, seed, options, log: [])
    monkeypatch.setattr("gradsym.cli.build.derive_into", lambda out, ids, pdf, audience: [])
    monkeypatch.setattr("gradsym.cli.build.verify_with_progress", lambda seed: verify(["cec"]))
    monkeypatch.setattr("gradsym.render.slides.beamer_missing", lambda: "pgfcore.sty is missing")
    assert main(["build", "--pdf", "--out", str(tmp_path)]) == 0
    assert "slides.pdf not compiled: pgfcore.sty is missing" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "slides").iterdir()) == ["figures", "slides.tex"]
