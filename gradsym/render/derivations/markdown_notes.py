r"""The notes as one Markdown file (``notes.md``, ``notes-instructor.md``) for Obsidian and
Jupyter: the derivations and the figures in the order ``notes.tex`` gives them.

The file is assembled from what ``notes.tex`` is made of: the preface and the conventions,
each section's motivating paragraph, every claim's Markdown (:func:`.layout.claim_markdown`,
its heading one level down and its references gathered at the end), for the instructor how
each line was checked (:func:`.layout.checks_markdown`), each figure after the last of its
claims as a PNG linked by its path relative to the file, and one list of references.

The mathematics is LaTeX in ``$…$`` and ``$$…$$`` that MathJax (Jupyter, Obsidian) and
KaTeX render: :func:`notes_markdown` refuses a macro outside :data:`MATHJAX_MACROS` (no
``\bm``, nothing defined for the occasion).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from gradsym.notes.bibliography import cite_text, markdown_references
from gradsym.notes.claim import SECTIONS, Claim
from gradsym.notes.prose import check_prose, to_markdown

from ..lecture import cited_keys, figures_after
from .layout import MD_HEADER, RenderError, checks_markdown, claim_markdown
from .notes import _PREFACE, CONVENTIONS, INTRODUCTIONS, TITLE, FigureRef, notes_name

__all__ = ["MATHJAX_MACROS", "markdown_name", "math_macros", "notes_markdown"]

#: The macros the notes' Markdown may use in mathematics: all are built into MathJax 3
#: (its default TeX packages: base, ams) and KaTeX.
MATHJAX_MACROS = frozenset(
    """
    alpha beta gamma delta epsilon varepsilon zeta eta theta iota kappa lambda mu nu xi pi
    rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi
    Psi Omega partial nabla infty ell circ cdot times pm mp to rightarrow leftarrow
    Rightarrow Leftarrow mapsto leq le geq ge neq ne approx equiv gg ll in notin sum prod
    ldots cdots dots vdots ddots forall exists odot otimes top sim lVert rVert langle rangle
    quad qquad lfloor rfloor lceil rceil emptyset cap cup subset subseteq propto vert Vert
    mid tanh exp log ln max min sup inf lim det cos sin arg deg mathbf boldsymbol mathrm
    mathit mathcal mathbb mathsf mathtt operatorname text textrm textit textbf emph tilde
    hat bar dot vec overrightarrow overleftarrow frac tfrac dfrac sqrt xrightarrow begin
    end left right big Big bigl bigr Bigl Bigr displaystyle limits nolimits underbrace
    overbrace angle texttt lvert rvert
    """.split()  # noqa: SIM905 (a list of words reads better as words)
)
_ENVIRONMENTS = frozenset(
    {"aligned", "cases", "pmatrix", "bmatrix", "matrix", "smallmatrix", "array"}
)
_SYMBOL_MACROS = frozenset(",;:! {}|\\%#&_$")

_PARAGRAPH = re.compile(r"\\paragraph\{([^}]*)\}")
_HEADING = re.compile(r"^## ", flags=re.MULTILINE)


def markdown_name(audience: str = "student") -> str:
    """``notes.md`` (student) or ``notes-instructor.md``: the notes.tex of ``audience``
    with the suffix .md."""
    return str(Path(notes_name(audience)).with_suffix(".md"))


def _md(latex: str, where: str) -> str:
    """LaTeX prose (a ``\\paragraph{…}`` as bold) as Markdown."""
    latex = _PARAGRAPH.sub(r"\\textbf{\1}", latex)
    return to_markdown(check_prose(latex, where), cite_text)


def _body(markdown: str) -> str:
    """A claim's Markdown without its "generated" line and its own references, its
    headings one level down."""
    text = markdown.removeprefix(MD_HEADER).strip("\n")
    text = text.split("\n**References.**\n", 1)[0].rstrip("\n")
    return _HEADING.sub("### ", text)


def math_macros(markdown: str) -> set[str]:
    """Every macro (``\\name``) and environment (``{name}`` of ``\\begin``) used in the
    mathematics (``$…$``, ``$$…$$``) of ``markdown``."""
    out: set[str] = set()
    for block in re.findall(r"\$\$(.*?)\$\$|(?<![\\$])\$([^$\n]+?)\$", markdown, flags=re.DOTALL):
        maths = block[0] or block[1]
        out |= {m for m in re.findall(r"\\([A-Za-z]+|.)", maths)}
        out |= {f"{{{e}}}" for e in re.findall(r"\\begin\{([A-Za-z*]+)\}", maths)}
    return out


def _check_mathjax(markdown: str) -> str:
    unknown = sorted(
        m
        for m in math_macros(markdown)
        if not (
            m in MATHJAX_MACROS
            or m in _SYMBOL_MACROS
            or (m.startswith("{") and m.strip("{}") in _ENVIRONMENTS)
        )
    )
    if unknown:
        raise RenderError(
            "the Markdown notes would use mathematics MathJax and KaTeX do not know: "
            + ", ".join(u if u.startswith("{") else f"\\{u}" for u in unknown)
        )
    return markdown


def notes_markdown(
    claims: Sequence[Claim],
    figures: Sequence[FigureRef],
    figures_rel: str = "../figures",
    audience: str = "student",
) -> str:
    """The Markdown notes of ``claims`` for ``audience``, figures linked from
    ``figures_rel`` (the figures folder relative to the file, ``/`` separators).

    Raises:
        InvalidValueError: an unknown audience.
        RenderError: mathematics MathJax or KaTeX would not render.
    """
    markdown_name(audience)
    after = figures_after(claims, figures)
    title = TITLE + (": instructor's notes" if audience == "instructor" else "")
    out = [MD_HEADER, "", f"# {title}", ""]
    out += [_md(_PREFACE[audience], "preface"), "", _md(CONVENTIONS, "conventions"), ""]
    number = 0
    for section in SECTIONS:
        members = [c for c in claims if c.section == section]
        if not members:
            continue
        out += [f"## {section}", "", _md(INTRODUCTIONS[section], f"section {section!r}"), ""]
        for claim in members:
            out += [_body(claim_markdown(claim)), ""]
            if audience == "instructor":
                out += [checks_markdown(claim).removeprefix(MD_HEADER).strip("\n"), ""]
            for fig in after.get(claim.id, []):
                number += 1
                caption = _md(fig.caption, f"figure {fig.name!r}")
                out += [
                    f"![Figure {number}]({figures_rel}/{fig.name}.png)",
                    "",
                    f"**Figure {number}.** {caption}",
                    "",
                ]
    keys = cited_keys(claims, [f for figs in after.values() for f in figs])
    if keys:
        out += ["## References", ""] + markdown_references(keys) + [""]
    return _check_mathjax("\n".join(out))
