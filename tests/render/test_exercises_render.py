"""The exercises in print: every variant and its solution compile with pdflatex without
an overfull line, the notes' fragments keep the solutions for the instructor, and the
committed exercises/ are what the code makes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from gradsym.checker.exercises import SECTIONS, Drawn, exercises
from gradsym.render.exercises import (
    EXERCISES_DIR,
    _blocks_tex,
    exercises_markdown,
    exercises_tex,
    question_blocks,
    section_exercises_markdown,
    section_exercises_tex,
    write_exercises,
)

from ..repo import REPO

HAS_PDFLATEX = shutil.which("pdflatex") is not None


def test_committed_exercises_are_current(tmp_path):
    fresh = write_exercises(tmp_path)
    committed = REPO / EXERCISES_DIR
    for path in fresh:
        assert (committed / path.name).read_bytes() == path.read_bytes(), (
            f"{committed / path.name} is out of date; regenerate with `gradsym exercises`"
        )


def _every_variant_tex() -> str:
    """A sheet of every variant of every exercise with its solution (76 questions): the
    longest answers any seed can draw, set on one page width."""
    head = exercises_tex(None, solutions=True).split(r"\begin{document}")[0]
    body = []
    for e in exercises():
        for v, q in enumerate(e.questions):
            body.append(rf"\subsection*{{{e.id}, variant {v}}}")
            body += _blocks_tex(question_blocks(Drawn("1.1", e, v, q), sheet=True, solution=True))
    return head + "\\begin{document}\n" + "\n".join(body) + "\n\\end{document}\n"


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed")
def test_every_variant_and_its_solution_compile_without_an_overfull_line(tmp_path):
    tex = _every_variant_tex()
    assert tex.count(r"\textbf{Solution.}") == sum(len(e.questions) for e in exercises())
    (tmp_path / "solutions.tex").write_text(tex)
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "solutions.tex"],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (tmp_path / "solutions.log").read_text(errors="replace")
    assert run.returncode == 0, log[-2000:]
    assert "Overfull" not in log
    assert (tmp_path / "solutions.pdf").stat().st_size > 10_000


def test_a_sheet_has_every_exercise_and_the_solutions_only_when_asked():
    sheet, solutions = exercises_tex(3), exercises_tex(3, solutions=True)
    assert sheet.count(r"\subsection*{Exercise ") == len(exercises())
    assert "Solution" not in sheet and solutions.count(r"\textbf{Solution.}") == len(exercises())
    md = exercises_markdown(3)
    assert md.count("### Exercise ") == len(exercises()) and "*Answer key:*" in md
    assert exercises_markdown(3, solutions=True).count("**Solution.**") == len(exercises())
    assert exercises_tex(3) != exercises_tex(4)  # another student, other questions


@pytest.mark.parametrize("section", SECTIONS)
def test_the_notes_print_a_section_s_exercises_with_solutions_for_the_instructor(section):
    n = len(exercises(section))
    student = section_exercises_tex(section)
    assert student.count(r"\paragraph{Exercise ") == n and "Solution" not in student
    assert "Answer key" not in student and "gradsym" not in student  # no software talk
    assert section_exercises_tex(section, "instructor").count(r"\textbf{Solution.}") == n
    md = section_exercises_markdown(section)
    assert md.count("**Exercise ") == n and "Solution" not in md
    assert section_exercises_markdown(section, "instructor").count("**Solution.**") == n
