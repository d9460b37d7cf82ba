r"""The notes as one Markdown file (``notes.md``, ``notes-instructor.md``) for Obsidian,
Jupyter and GitHub: the derivations and the figures in the order ``notes.tex`` gives them.

What a reader of Markdown needs besides: a table of contents that links to the headings;
sections, claims, equations and figures numbered as in the PDF; headings in plain text
(an outline shows no LaTeX); each derivation a line at a time with its justification as a
paragraph under it (it wraps, where a ``\text{…}`` beside the formula would scroll
sideways); caveats as callouts (``> [!NOTE]``, as GitHub and Obsidian show them); the
figures linked from ``figures/`` beside the file (the folder travels with it: no ``../``
path to break when the notes are copied); each section's exercises (their solutions for
the instructor).

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

from gradsym.notes.bibliography import cite_text, markdown_references
from gradsym.notes.claim import Claim
from gradsym.notes.lecture import (
    Box,
    CellIntro,
    ClaimItem,
    FactsBox,
    FigureItem,
    FigureRef,
    LecturePlan,
    NotationTable,
    Paragraph,
    Picture,
    Table,
    check_audience,
    lecture_plan,
)
from gradsym.notes.prose import check_prose, to_markdown, to_unicode

from .layout import (
    MD_HEADER,
    RenderError,
    _equation_blocks,
    _formula_rows,
    _joined,
    _prose,
    _step_pieces,
    break_lines,
    cell_rows,
    check_table_rows,
    referred_rows,
)

__all__ = [
    "MATHJAX_MACROS",
    "anchor",
    "heading_text",
    "markdown_name",
    "math_macros",
    "notes_markdown",
]

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
    """``notes.md`` (student) or ``notes-instructor.md``."""
    return "notes.md" if check_audience(audience) == "student" else "notes-instructor.md"


def heading_text(latex: str, ref=None) -> str:
    """A title as a heading's plain text (Unicode, no LaTeX: an outline shows it as it
    reads)."""
    kwargs = {"ref": ref} if ref is not None else {}
    return " ".join(to_unicode(latex, cite=lambda keys: "", **kwargs).split())


def anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown viewers) give a heading: lower case, spaces as
    hyphens, punctuation dropped."""
    text = re.sub(r"[^\w\- ]", "", heading.lower(), flags=re.UNICODE)
    return text.replace(" ", "-")


class _Writer:
    """The Markdown of one plan: \\ref resolved by the plan's numbering, citations as
    their labels."""

    def __init__(self, plan: LecturePlan, figures_rel: str) -> None:
        self.plan = plan
        self.figures_rel = figures_rel

    def ref(self, label: str) -> str:
        return self.plan.ref(label)

    def md(self, latex: str, where: str, in_math: bool = False) -> str:
        """LaTeX prose as Markdown (a ``\\paragraph{…}`` as bold)."""
        latex = _PARAGRAPH.sub(r"\\textbf{\1}", latex)
        return to_markdown(check_prose(latex, where), cite_text, in_math=in_math, ref=self.ref)

    def display(self, rows: list[str], tag: str = "") -> list[str]:
        body = _joined(rows)
        if tag:
            body[-1] += rf" \qquad ({tag})"
        return ["$$", r"\begin{aligned}", *body, r"\end{aligned}", "$$", ""]

    def figure(self, name: str, title: str, caption: str, number: str) -> list[str]:
        link = f"{self.figures_rel}/{name}.png"
        return [
            f"![Figure {number}: {self.md(title, name)}]({link})",
            "",
            f"**Figure {number}. {self.md(title, name)}.** {self.md(caption, name)}",
            "",
        ]

    def picture(self, pic: Picture) -> list[str]:
        number = self.ref(pic.label)
        return [
            (
                f"**Figure {number}. {self.md(pic.title, pic.name)}.** "
                f"{self.md(pic.caption, pic.name)} (The drawing is in the PDF notes.)"
            ),
            "",
        ]

    def cell(self, item: CellIntro) -> list[str]:
        rows: list[str] = []
        for cell in item.cells:
            rows += cell_rows(None, item.display or cell.definitions, cell.style)
        out = [self.md(item.prose, item.key), "", *self.display(rows, self.ref(item.label))]
        if item.after:
            out += [self.md(item.after, item.key), ""]
        if item.picture is not None:
            out += self.picture(item.picture)
        return out

    def claim(self, item: ClaimItem, audience: str, heading: bool = True) -> list[str]:
        claim = item.claim

        def md(s: str, part: str) -> str:
            return self.md(_prose(claim, s, part), f"claim {claim.id!r}, {part}")

        number = self.ref(item.label)
        out = [
            f"### {number} {heading_text(claim.title, self.ref)}"
            if heading
            else f"**{md(claim.title, 'title')}.**",
            "",
        ]
        if item.intuition:
            out += [md(item.intuition, "intuition"), ""]
        out += [md(claim.statement, "statement"), ""]
        if claim.assumptions:
            out += [
                "*Assumptions:* " + "; ".join(md(a, "assumption") for a in claim.assumptions) + ".",
                "",
            ]
        if item.referred:
            names = [self.md(t, claim.id) for _, t in item.referred]
            joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            out += [f"*Cell:* {joined}.", ""]
        for head, rows in _equation_blocks(claim, item.shown, referred_rows(item)):
            out += [f"*{md(head, 'heading')}:*", "", *self.display(rows)]
        formula = _formula_rows(claim, "mathjax")
        if formula and heading:
            out += ["*Claim:*", "", *self.display(formula)]
        out += ["*Derivation:*", ""] if heading else []
        out += self.derivation(claim)
        if claim.caveat:
            out += ["> [!NOTE]", f"> {md(claim.caveat, 'caveat')}", ""]
        if item.takeaway:
            out += [f"*Takeaway.* {md(item.takeaway, 'takeaway')}", ""]
        if claim.sources:
            out += [f"Sources: {cite_text(','.join(claim.sources))}.", ""]
        if audience == "instructor":
            out += [
                "| Line | Exactly (SymPy, rational arithmetic) | Numerically (double precision) |"
            ]
            out += ["|---|---|---|"]
            for line, exact, numeric in check_table_rows(claim):
                cells = [self.md(c, claim.id).replace("|", r"\|") for c in (exact, numeric)]
                out.append(f"| {line} | {cells[0]} | {cells[1]} |")
            out.append("")
        return out

    def derivation(self, claim: Claim) -> list[str]:
        """The derivation a line at a time, each justification a paragraph under its line
        (it wraps; beside the formula it would scroll sideways)."""
        out: list[str] = []
        for k, step in enumerate(claim.steps, start=1):
            lhs, rel, rhs, cond, _ = _step_pieces(claim, k, step, "mathjax")
            lines = break_lines(rhs, 56.0)
            if cond:
                lines.append(cond)
            out += self.display([f"{lhs} &{rel} {lines[0]}"] + [rf"&\quad {x}" for x in lines[1:]])
            if step.justification:
                just = self.md(_prose(claim, f"({step.justification})", f"step {k}"), claim.id)
                out += [f"*{just}*" if "*" not in just else just, ""]
        return out

    def table(self, columns, rows, where: str) -> list[str]:
        out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in rows:
            cells = [self.md(c, where).replace("|", r"\|") for c in row]
            out.append("| " + " | ".join(cells) + " |")
        return out + [""]


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
    claims: Sequence[Claim] | LecturePlan,
    figures: Sequence[FigureRef] = (),
    figures_rel: str = "figures",
    audience: str | None = None,
) -> str:
    """The Markdown notes of a lecture plan (or of ``claims`` and ``figures``: the plan is
    then computed), figures linked from ``figures_rel`` (the figures folder relative to
    the file, ``/`` separators).

    Raises:
        InvalidValueError: an unknown audience.
        RenderError: mathematics MathJax or KaTeX would not render.
    """
    if isinstance(claims, LecturePlan):
        plan = claims
        if audience is not None and audience != plan.audience:
            raise RenderError(f"the plan is for the {plan.audience}, not the {audience}")
    else:
        from gradsym.notes.catalogue import claims as catalogue_claims

        audience = check_audience(audience or "student")
        whole = [c.id for c in claims] == [c.id for c in catalogue_claims()]
        plan = lecture_plan(None if whole else list(claims), figures, audience)
    audience = plan.audience
    w = _Writer(plan, figures_rel)
    title = plan.title + (": instructor's notes" if audience == "instructor" else "")
    out = [MD_HEADER, "", f"# {title}", ""]

    def emit(item) -> None:
        if isinstance(item, Paragraph):
            prefix = "- " if item.role == "objective" else ""
            out.extend([prefix + w.md(item.tex, item.role), ""])
        elif isinstance(item, CellIntro):
            out.extend(w.cell(item))
        elif isinstance(item, Picture):
            out.extend(w.picture(item))
        elif isinstance(item, ClaimItem):
            out.extend(w.claim(item, audience))
        elif isinstance(item, FactsBox):
            out.extend([f"> **Box {w.ref(item.claims[0].label)}. {item.title}.**", ""])
            for fact in item.claims:
                out.extend(w.claim(fact, audience, heading=False))
        elif isinstance(item, FigureItem):
            fig = item.figure
            out.extend(w.figure(fig.name, fig.title, fig.caption, w.ref(fig.label)))
        elif isinstance(item, Table):
            if item.kind == "mapping":
                out.extend([f"**Box {w.ref(item.label)}. {w.md(item.caption, item.label)}.**", ""])
                out.extend(w.table(item.columns, item.rows, item.label))
            else:
                out.extend(w.table(item.columns, item.rows, item.label))
                out.extend([f"**Table {w.ref(item.label)}.** {w.md(item.caption, item.label)}", ""])
        elif isinstance(item, NotationTable):
            for group, rows in item.groups:
                out.extend([f"**{group}**", ""])
                out.extend(w.table(("Symbol", "Meaning"), rows, "notation"))
            out.extend(
                [
                    f"**Table {w.ref(item.label)}.** The notation of these notes: one symbol, one meaning.",
                    "",
                ]
            )
        elif isinstance(item, Box):
            out.extend(
                [f"**Box {w.ref(item.label)}. {item.title}.** {w.md(item.tex, item.title)}", ""]
            )

    from gradsym.render.exercises import section_exercises_markdown

    for item in plan.front:
        emit(item)
    contents = ["## Contents", ""]
    for section in plan.sections:
        heading = f"{w.ref(section.label)} {heading_text(section.title, w.ref)}"
        contents.append(
            f"{w.ref(section.label)}. [{heading_text(section.title, w.ref)}](#{anchor(heading)})"
        )
        for item in section.items:
            if isinstance(item, ClaimItem):
                sub = f"{w.ref(item.label)} {heading_text(item.claim.title, w.ref)}"
                contents.append(f"   - [{sub}](#{anchor(sub)})")
    if plan.references:
        contents.append(f"{len(plan.sections) + 1}. [References](#references)")
    out += [*contents, ""]
    for section in plan.sections:
        out += [f"## {w.ref(section.label)} {heading_text(section.title, w.ref)}", ""]
        for item in section.items:
            emit(item)
        exercises = section_exercises_markdown(section.key, audience)
        if exercises:
            out += [exercises, ""]
    if plan.references:
        out += ["## References", ""] + markdown_references(plan.references) + [""]
    return _check_mathjax("\n".join(out))
