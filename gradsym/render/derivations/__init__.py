"""The derivations of the notes, as LaTeX and Markdown, and the notes document that holds them.

One module per job:

- :mod:`.layout` — one claim as ``<id>.tex`` and ``<id>.md`` (``claim_tex``,
  ``claim_markdown``) and how it was checked (``checks_tex``, ``checks_markdown``); line
  breaking by ``break_lines``/``latex_width``;
- :mod:`.notes` — ``notes.tex`` for students and ``notes-instructor.tex``, printed from the
  lecture plan (:mod:`gradsym.notes.lecture`), and ``write_derivations``;
- :mod:`.markdown_notes` — the same plan as ``notes.md``;
- :mod:`.pdflatex` — ``compile_pdf``: notes.tex to notes.pdf with pdflatex.
"""

from .layout import (
    RenderError,
    break_lines,
    checks_markdown,
    checks_tex,
    claim_markdown,
    claim_prose,
    claim_tex,
    latex_width,
)
from .notes import (
    AUDIENCES,
    CONVENTIONS,
    FigureRef,
    figure_refs,
    notes_name,
    notes_tex,
    write_derivations,
)
from .pdflatex import LatexError, compile_pdf, overfull_boxes

__all__ = [
    "AUDIENCES",
    "CONVENTIONS",
    "FigureRef",
    "LatexError",
    "RenderError",
    "break_lines",
    "checks_markdown",
    "checks_tex",
    "claim_markdown",
    "claim_prose",
    "claim_tex",
    "compile_pdf",
    "figure_refs",
    "latex_width",
    "notes_name",
    "notes_tex",
    "overfull_boxes",
    "write_derivations",
]
