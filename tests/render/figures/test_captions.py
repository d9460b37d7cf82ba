"""Every figure's CAPTION is LaTeX text the notes can print as it is: ASCII, math between
balanced $ signs, balanced braces, outside math only words, \\emph{}, \\cite{} (the
bibliography's keys: the notes and the deck print them), --, \\% and ``quotes''; and all
of them together compile with pdflatex (the notes' math packages)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from gradsym.render import figures

NAMES = figures.figure_names()

# Outside math: the only commands allowed, and the characters LaTeX would misread.
_TEXT_COMMANDS = {"emph", "%", "cite"}
_TEXT_SPECIALS = set('#&_^~"<>|')


def caption_problems(text: str) -> list[str]:
    """What is wrong with ``text`` as a caption (empty: nothing)."""
    problems = []
    if not isinstance(text, str) or not text.strip():
        return ["not a non-empty string"]
    if not text.isascii():
        bad = sorted({c for c in text if not c.isascii()})
        problems.append(f"non-ASCII characters {bad}")
    # Split into text and math at unescaped $ (a \$ is a dollar sign, not math).
    parts = re.split(r"(?<!\\)\$", text)
    if len(parts) % 2 == 0:
        problems.append("unbalanced $")
    for i, part in enumerate(parts):
        depth = 0  # a group never spans a $: each part balances on its own
        for c in re.sub(r"\\[{}]", "", part):
            depth += {"{": 1, "}": -1}.get(c, 0)
            if depth < 0:
                problems.append("a } closes nothing")
                depth = 0
        if depth:
            problems.append("unbalanced braces")
        if i % 2 == 0:  # text, not math
            for command in re.findall(r"\\([A-Za-z]+|.)", part):
                if command not in _TEXT_COMMANDS:
                    problems.append(f"\\{command} outside math")
            specials = sorted({c for c in part if c in _TEXT_SPECIALS})
            if specials:
                problems.append(f"{specials} outside math")
            if re.search(r"(?<!\\)%", part):
                problems.append("a bare % (a LaTeX comment) outside math")
    return problems


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_has_a_caption_the_notes_can_print(name):
    module = figures.figure_module(name)
    assert isinstance(module.CAPTION, str)
    assert caption_problems(module.CAPTION) == [], name


@pytest.mark.parametrize(
    ("caption", "problem"),
    [
        ("", "not a non-empty string"),
        ("the norm \u2016h\u2016", "non-ASCII"),
        ("the norm $h^{(T)}", "unbalanced $"),
        ("the norm $h^{(T)$", "unbalanced braces"),
        ("\\emph{a $b}$ c", "unbalanced braces"),
        ("the norm $h^{(T)}}$", "closes nothing"),
        ("a 10-90 % band", "bare %"),
        ("read *this* with W_h", "outside math"),
        ("a \\textbf{bold} claim", "\\textbf outside math"),
        ('a "quote"', "outside math"),
    ],
)
def test_the_caption_check_rejects_what_it_must(caption, problem):
    assert any(problem in p for p in caption_problems(caption)), caption_problems(caption)


def test_the_caption_check_accepts_the_allowed_forms():
    good = r"A \emph{band}: 10\% to 90\%, ``quoted'', 0--4, $\lVert \mathbf{h}^{(T)} \rVert_2$."
    assert caption_problems(good) == []


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_all_captions_compile_with_pdflatex(tmp_path):
    body = "\n".join(
        f"\\begin{{figure}}[h]\\centering\\rule{{1cm}}{{1mm}}"
        f"\\caption{{{figures.figure_module(name).CAPTION}}}\\end{{figure}}\\clearpage"
        for name in NAMES
    )
    doc = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
        f"\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )
    (tmp_path / "captions.tex").write_text(doc)
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "captions.tex"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "captions.log").read_text(errors="replace")
    assert "Undefined control sequence" not in log
    assert (tmp_path / "captions.pdf").exists()
