r"""The notes as one Markdown file (``notes.md``, ``notes-instructor.md``) for Obsidian and
Jupyter: the derivations and the figures in the order ``notes.tex`` gives them.

The file is assembled from what ``notes.tex`` is made of: the preface and the conventions,
the contents, each numbered section with its motivating paragraph, every claim numbered
as in the PDF (its heading plain text, its derivation a step at a time with the
justification as a paragraph under its line, so that it wraps; its caveat a callout,
``> [!NOTE]``, as GitHub and Obsidian show it), for the instructor how each line was
checked (:func:`.layout.checks_markdown`), each figure after the last of its claims as a
PNG linked from ``figures/`` beside the file (a folder that travels with it: no ``../``
path to break when the notes are copied) with its message as the alt text, each section's
exercises (their solutions for the instructor), and one list of references.

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
from gradsym.notes.prose import check_prose, to_markdown, to_unicode

from ..lecture import cited_keys, figures_after
from .layout import (
    MD_HEADER,
    RenderError,
    _equation_blocks,
    _formula_rows,
    _joined,
    _md,
    _step_pieces,
    break_lines,
    checks_markdown,
)
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
    overbrace angle texttt lvert rvert tag
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


def _prose_md(latex: str, where: str) -> str:
    """LaTeX prose (a ``\\paragraph{…}`` as bold) as Markdown."""
    latex = _PARAGRAPH.sub(r"\\textbf{\1}", latex)
    return to_markdown(check_prose(latex, where), cite_text)


def heading_text(latex: str) -> str:
    """A title as a heading's plain text (Unicode, no LaTeX: an outline shows it as it
    reads)."""
    return " ".join(to_unicode(latex, cite=lambda keys: "").split())


def anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown viewers) give a heading: lower case, spaces as
    hyphens, punctuation dropped."""
    text = re.sub(r"[^\w\- ]", "", heading.lower(), flags=re.UNICODE)
    return text.replace(" ", "-")


def _display(rows: list[str], tag: str = "") -> list[str]:
    body = _joined(rows)
    if tag:
        body[-1] += rf" \tag{{{tag}}}"
    return ["$$", r"\begin{aligned}", *body, r"\end{aligned}", "$$", ""]


def _alt(caption: str, limit: int = 120) -> str:
    """A figure's alternative text: its caption's first sentence as plain text, at most
    ``limit`` characters (cut at a word), without brackets (which would end the link)."""
    text = heading_text(caption.split(". ")[0]).translate(str.maketrans("[]", "()"))
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return text


class _Numbers:
    equation = 0


def _claim_body(claim: Claim, number: str, numbers: _Numbers) -> list[str]:
    """A claim in the Markdown notes: numbered plain-text heading, statement, the cells'
    equations (numbered), the derivation a step at a time with its justification as a
    paragraph (which wraps), the caveat as a callout, the sources."""
    out = [f"### {number} {heading_text(claim.title)}", ""]
    out += [_md(claim, claim.statement, "statement"), ""]
    if claim.assumptions:
        items = "; ".join(_md(claim, a, "assumption") for a in claim.assumptions)
        out += [f"*Assumptions:* {items}.", ""]
    for heading, rows in _equation_blocks(claim):
        numbers.equation += 1
        out += [f"*{_md(claim, heading, 'heading')}:*", "", *_display(rows, str(numbers.equation))]
    formula = _formula_rows(claim, "mathjax")
    if formula:
        out += ["*Claim:*", "", *_display(formula)]
    out += ["*Derivation:*", ""]
    for k, step in enumerate(claim.steps, start=1):
        lhs, rel, rhs, cond, _ = _step_pieces(claim, k, step, "mathjax")
        lines = break_lines(rhs, 56.0)
        if cond:
            lines.append(cond)
        rows = [f"{lhs} &{rel} {lines[0]}"] + [rf"&\quad {x}" for x in lines[1:]]
        out += _display(rows)
        if step.justification:
            just = _md(claim, f"({step.justification})", f"step {k}, justification")
            out += [f"*{just.strip()}*" if "*" not in just else just, ""]
    if claim.caveat:
        caveat = _md(claim, claim.caveat, "caveat")
        out += ["> [!NOTE]", f"> {caveat}", ""]
    if claim.sources:
        out += [f"Sources: {cite_text(','.join(claim.sources))}.", ""]
    return out


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
    figures_rel: str = "figures",
    audience: str = "student",
) -> str:
    """The Markdown notes of ``claims`` for ``audience``, figures linked from
    ``figures_rel`` (the figures folder relative to the file, ``/`` separators; by default
    ``figures`` beside it, which :func:`~.notes.write_derivations` fills).

    Raises:
        InvalidValueError: an unknown audience.
        RenderError: mathematics MathJax or KaTeX would not render.
    """
    from gradsym.render.exercises import section_exercises_markdown

    markdown_name(audience)
    after = figures_after(claims, figures)
    title = TITLE + (": instructor's notes" if audience == "instructor" else "")
    out = [MD_HEADER, "", f"# {title}", ""]
    out += [_prose_md(_PREFACE[audience], "preface"), "", _prose_md(CONVENTIONS, "conventions"), ""]
    sections = [s for s in SECTIONS if any(c.section == s for c in claims)]
    contents = ["## Contents", ""]
    body: list[str] = []
    numbers = _Numbers()
    figure = 0
    for k, section in enumerate(sections, start=1):
        members = [c for c in claims if c.section == section]
        heading = f"{k} {heading_text(section)}"
        contents.append(f"{k}. [{heading_text(section)}](#{anchor(heading)})")
        body += [f"## {heading}", "", _prose_md(INTRODUCTIONS[section], f"section {section!r}"), ""]
        for m, claim in enumerate(members, start=1):
            number = f"{k}.{m}"
            contents.append(f"   - [{number} {heading_text(claim.title)}]"
                            f"(#{anchor(f'{number} {heading_text(claim.title)}')})")  # fmt: skip
            body += _claim_body(claim, number, numbers)
            if audience == "instructor":
                body += [checks_markdown(claim).removeprefix(MD_HEADER).strip("\n"), ""]
            for fig in after.get(claim.id, []):
                figure += 1
                caption = _prose_md(fig.caption, f"figure {fig.name!r}")
                alt = _alt(fig.caption)
                body += [
                    f"![Figure {figure}: {alt}]({figures_rel}/{fig.name}.png)",
                    "",
                    f"**Figure {figure}.** {caption}",
                    "",
                ]
        exercises = section_exercises_markdown(section, audience)
        if exercises:
            body += [exercises, ""]
    keys = cited_keys(claims, [f for figs in after.values() for f in figs])
    if keys:
        contents.append(f"{len(sections) + 1}. [References](#references)")
        body += ["## References", ""] + markdown_references(keys) + [""]
    return _check_mathjax("\n".join(out + contents + [""] + body))
