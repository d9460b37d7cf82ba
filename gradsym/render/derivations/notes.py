r"""The notes document: ``notes.tex`` (students) and ``notes-instructor.tex``, printed from the
lecture plan (:func:`gradsym.notes.lecture.lecture_plan`), and the folder that holds
them with every claim's own files (:func:`write_derivations`).

The notes are one self-contained document: the front matter (objectives, roadmap, the
notation table, the box that maps other sources' notations), then each section: its
opening, each cell's equations once (numbered, with its picture), each claim with the
intuition before its derivation and the takeaway after it, the figures beside the claims
they support (placed exactly there, ``[H]``), the facts in a box, the summary table, the
references. The instructor's notes add, after each derivation, a table of how each of
its lines was checked. Every piece of mathematics is printed from the claims' objects by
:mod:`.layout`; the prose is the claims' and the lecture's own LaTeX.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from gradsym.files import atomic_write_text
from gradsym.notes.bibliography import thebibliography
from gradsym.notes.catalogue import claims as catalogue_claims
from gradsym.notes.claim import Claim
from gradsym.notes.lecture import (
    AUDIENCES,
    TIKZ_LIBRARIES,
    TIKZ_STYLES,
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
from gradsym.notes.lecture.teaching import CONVENTIONS, INTRODUCTIONS, PREFACE, TITLE
from gradsym.notes.prose import check_prose

from .layout import (
    TEX_HEADER,
    _align_rows,
    _equation_blocks,
    _formula_rows,
    _joined,
    _prose,
    cell_rows,
    check_table_rows,
    checks_markdown,
    checks_tex,
    claim_markdown,
    claim_tex,
    referred_rows,
)
from .pdflatex import NOTES

__all__ = [
    "AUDIENCES",
    "CONVENTIONS",
    "INTRODUCTIONS",
    "TITLE",
    "FigureRef",
    "figure_refs",
    "notes_name",
    "notes_tex",
    "write_derivations",
]

_PREFACE = PREFACE  # the Markdown notes print the same preface


def figure_refs() -> list[FigureRef]:
    """Every figure, with the claims it illustrates, its one-line title and its caption
    (the module's ``TITLE`` and ``CAPTION``, LaTeX prose checked by :func:`check_prose`)."""
    from gradsym.render.figures import figure_module, figure_names

    out = []
    for name in figure_names():
        module = figure_module(name)
        caption = check_prose(module.CAPTION, f"figure {name!r}, caption")
        title = check_prose(getattr(module, "TITLE", ""), f"figure {name!r}, title")
        out.append(FigureRef(name, tuple(module.CLAIMS), caption, title))
    return out


def notes_name(audience: str = "student") -> str:
    """The notes document for ``audience``: notes.tex (student) or notes-instructor.tex."""
    check_audience(audience)
    return NOTES if audience == "student" else "notes-instructor.tex"


# -- the preamble -------------------------------------------------------------------------------

# A box (facts, the mapping of notations): a rule above and below, breakable across pages.
_BOX = (
    r"\newcounter{box}"
    "\n"
    r"\newenvironment{notebox}[1]{\par\medskip\refstepcounter{box}\noindent"
    r"\rule{\linewidth}{0.5pt}\par\nopagebreak\noindent\textbf{Box~\thebox. #1}\par"
    r"\nopagebreak\smallskip}{\par\nopagebreak\noindent\rule{\linewidth}{0.5pt}\par\medskip}"
)


def _preamble(title: str) -> list[str]:
    return [
        TEX_HEADER,
        r"\documentclass[10pt,a4paper]{article}",
        r"\usepackage[margin=2.2cm]{geometry}",
        r"\usepackage{amsmath}",
        r"\usepackage{amssymb}",
        r"\usepackage{bm}",
        r"\usepackage{graphicx}",
        r"\usepackage{float}",
        r"\usepackage[font=small,labelfont=bf]{caption}",
        r"\usepackage{booktabs}",
        r"\usepackage{array}",
        r"\usepackage{longtable}",
        r"\usepackage{xcolor}",
        r"\usepackage{tikz}",
        rf"\usetikzlibrary{{{','.join(TIKZ_LIBRARIES)}}}",
        TIKZ_STYLES,
        _BOX,
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.5ex plus 0.2ex}",
        r"\setlength{\emergencystretch}{3em}",
        r"% the same PDF bytes on every run",
        r"\ifdefined\pdftrailerid \pdftrailerid{} \pdfinfoomitdate=1 \pdfsuppressptexinfo=-1 \fi",
        rf"\title{{{title}}}",
        r"\author{Lecture notes}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        "",
    ]


# -- the items ----------------------------------------------------------------------------------


def _display(rows: list[str], label: str = "") -> list[str]:
    """An ``align*`` of ``rows``, or a numbered equation (``label``) holding them."""
    if label:
        return [
            r"\begin{equation}",
            rf"\label{{{label}}}",
            r"\begin{aligned}",
            *_joined(rows),
            r"\end{aligned}",
            r"\end{equation}",
        ]
    return [r"\begin{align*}", *_joined(rows), r"\end{align*}"]


def _figure(label: str, title: str, body: str, caption: str) -> list[str]:
    """A figure placed exactly here, titled by its message, captioned by what it shows."""
    head = rf"\textbf{{{title}.}} " if title else ""
    return [
        r"\begin{figure}[H]",
        r"\centering",
        body,
        rf"\caption[{title}]{{{head}{caption}}}" if title else rf"\caption{{{caption}}}",
        rf"\label{{{label}}}",
        r"\end{figure}",
        "",
    ]


def _cell_intro(item: CellIntro) -> list[str]:
    rows: list[str] = []
    for cell in item.cells:
        rows += cell_rows(None, item.display or cell.definitions, cell.style)
    out = [check_prose(item.prose, f"cell {item.key}"), *_display(rows, item.label)]
    if item.after:
        out.append(check_prose(item.after, f"cell {item.key}"))
    out.append("")
    if item.picture is not None:
        out += _picture(item.picture)
    return out


def _picture(pic: Picture) -> list[str]:
    return _figure(pic.label, pic.title, pic.tikz, check_prose(pic.caption, pic.name))


def _checks_table(claim: Claim) -> list[str]:
    """How each line was checked: a table, one row a line (the instructor's notes)."""
    out = [
        r"{\small",
        (
            r"\begin{longtable}{@{}>{\raggedright}p{0.05\linewidth}"
            r">{\raggedright}p{0.42\linewidth}>{\raggedright\arraybackslash}p{0.45\linewidth}@{}}"
        ),
        r"\multicolumn{3}{@{}l}{\textbf{How each line was checked}} \\",
        r"\toprule",
        r"Line & Exactly (SymPy, rational arithmetic) & Numerically (double precision) \\",
        r"\midrule",
    ]
    for line, exact, numeric in check_table_rows(claim):
        out.append(rf"{line} & {exact} & {numeric} \\")
    out += [r"\bottomrule", r"\end{longtable}", "}", ""]
    return out


def _referred(item: ClaimItem) -> str:
    """The sentence that names the cells a claim uses and does not print."""
    if not item.referred:
        return ""
    names = [text for _, text in item.referred]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return rf"\emph{{Cell:}} {joined}."


def _claim_body(item: ClaimItem, audience: str, heading: bool = True) -> list[str]:
    """One claim as the notes print it: its heading, the intuition, the statement and its
    assumptions, the cells (their equations at first use, else a reference), the formula,
    the derivation, the note, the takeaway, the sources; the instructor's check table."""
    claim = item.claim

    def text(s: str, part: str) -> str:
        return _prose(claim, s, part)

    out: list[str] = []
    title = text(claim.title, "title")
    if heading:
        out += [rf"\subsection{{{title}}}\label{{claim:{claim.id}}}", ""]
    else:  # a fact in a box: referred to by the box's number
        out += [rf"\textbf{{{title}.}}\label{{claim:{claim.id}}}"]
    if item.intuition:
        out += [text(item.intuition, "intuition"), ""]
    statement = text(claim.statement, "statement")
    out += [statement, ""]
    if claim.assumptions:
        items = "; ".join(text(a, "assumption") for a in claim.assumptions)
        out += [rf"\emph{{Assumptions:}} {items}.", ""]
    referred = _referred(item)
    if referred:
        out += [referred, ""]
    for heading_, rows in _equation_blocks(claim, item.shown, referred_rows(item)):
        out += [rf"\emph{{{text(heading_, 'heading')}:}}", *_display(rows), ""]
    formula = _formula_rows(claim, "latex")
    if formula and heading:
        out += [r"\emph{Claim:}", *_display(formula), ""]
    rows = _align_rows(claim, "latex", wrap=True)
    out += [r"\emph{Derivation:}" if heading else "", *_display(rows), ""]
    if claim.caveat:
        out += [rf"\emph{{Note.}} {text(claim.caveat, 'caveat')}", ""]
    if item.takeaway:
        out += [rf"\emph{{Takeaway.}} {text(item.takeaway, 'takeaway')}", ""]
    if claim.sources:
        out += [rf"{{\small Sources: \cite{{{','.join(claim.sources)}}}.}}", ""]
    if audience == "instructor":
        out += _checks_table(claim)
    return out


def _table(item: Table) -> list[str]:
    cols = len(item.columns)
    width = {2: (0.3, 0.64), 3: (0.25, 0.33, 0.33)}[cols]
    spec = "".join(rf">{{\raggedright\arraybackslash}}p{{{w}\linewidth}}" for w in width)
    head = " & ".join(rf"\textbf{{{c}}}" for c in item.columns) + r" \\"
    body = [" & ".join(check_prose(c, item.label) for c in row) + r" \\" for row in item.rows]
    tabular = [rf"\begin{{tabular}}{{@{{}}{spec}@{{}}}}", r"\toprule", head, r"\midrule"]
    tabular += body + [r"\bottomrule", r"\end{tabular}"]
    if item.kind == "mapping":
        return [
            rf"\begin{{notebox}}{{{item.caption}}}\label{{{item.label}}}",
            r"{\small",
            *tabular,
            "}",
            r"\end{notebox}",
            "",
        ]
    return [
        r"\begin{table}[H]",
        r"\centering\small",
        *tabular,
        rf"\caption{{{check_prose(item.caption, item.label)}}}",
        rf"\label{{{item.label}}}",
        r"\end{table}",
        "",
    ]


def _notation(item: NotationTable) -> list[str]:
    out = [
        r"\begin{table}[H]",
        r"\centering\small",
        (
            r"\begin{tabular}{@{}>{\raggedright}p{0.3\linewidth}"
            r">{\raggedright\arraybackslash}p{0.64\linewidth}@{}}"
        ),
        r"\toprule",
    ]
    for k, (group, rows) in enumerate(item.groups):
        if k:
            out.append(r"\midrule")
        out.append(rf"\multicolumn{{2}}{{@{{}}l}}{{\textbf{{{group}}}}} \\")
        out += [
            rf"{check_prose(sym, 'notation')} & {check_prose(meaning, 'notation')} \\"
            for sym, meaning in rows
        ]
    out += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{The notation of these notes: one symbol, one meaning.}",
        rf"\label{{{item.label}}}",
        r"\end{table}",
        "",
    ]
    return out


def _paragraphs(items: list[Paragraph]) -> list[str]:
    out: list[str] = []
    objectives = [p for p in items if p.role == "objective"]
    for p in items:
        if p.role == "objective":
            if p is objectives[0]:
                out += [r"\begin{itemize}"]
            out.append(rf"\item {check_prose(p.tex, 'objective')}")
            if p is objectives[-1]:
                out += [r"\end{itemize}", ""]
        else:
            out += [check_prose(p.tex, p.role), ""]
    return out


def notes_tex(
    claims: Sequence[Claim] | LecturePlan,
    figures: Sequence[FigureRef] = (),
    figures_rel: str = "../figures",
    audience: str = "student",
) -> str:
    """``notes.tex`` (or the instructor's) of a lecture plan, or of ``claims`` and
    ``figures`` (the plan is then computed: :func:`lecture_plan`); ``figures_rel`` is the
    figures folder relative to the folder of notes.tex (``/`` separators). Each section
    closes with its exercises (their solutions for the instructor)."""
    from gradsym.render.exercises import section_exercises_tex

    check_audience(audience)
    if isinstance(claims, LecturePlan):
        plan = claims
    else:
        whole = [c.id for c in claims] == [c.id for c in catalogue_claims()]
        plan = lecture_plan(None if whole else list(claims), figures, audience)
    title = plan.title + (r" \\ \large instructor's notes" if audience == "instructor" else "")
    out = _preamble(title)
    pending: list[Paragraph] = []

    def flush() -> None:
        out.extend(_paragraphs(pending))
        pending.clear()

    def emit(item) -> None:
        if isinstance(item, Paragraph):
            pending.append(item)
            return
        flush()
        if isinstance(item, CellIntro):
            out.extend(_cell_intro(item))
        elif isinstance(item, Picture):
            out.extend(_picture(item))
        elif isinstance(item, ClaimItem):
            out.extend(_claim_body(item, audience))
        elif isinstance(item, FactsBox):
            out.append(rf"\begin{{notebox}}{{{item.title}}}")
            for k, fact in enumerate(item.claims):
                if k:
                    out.extend([r"\smallskip", ""])
                out.extend(_claim_body(fact, audience, heading=False))
            out.extend([r"\end{notebox}", ""])
        elif isinstance(item, FigureItem):
            fig = item.figure
            body = rf"\includegraphics[width=\linewidth]{{{figures_rel}/{fig.name}.pdf}}"
            out.extend(_figure(fig.label, fig.title, body, fig.caption))
        elif isinstance(item, Table):
            out.extend(_table(item))
        elif isinstance(item, NotationTable):
            out.extend(_notation(item))
        elif isinstance(item, Box):
            out.extend([rf"\begin{{notebox}}{{{item.title}}}", item.tex, r"\end{notebox}", ""])

    for item in plan.front:
        emit(item)
    flush()
    for section in plan.sections:
        out += [
            rf"\section{{{check_prose(section.title, 'section')}}}\label{{{section.label}}}",
            "",
        ]
        for item in section.items:
            emit(item)
        flush()
        exercises = section_exercises_tex(section.key, audience)
        if exercises:
            out += [exercises, ""]
    if plan.references:
        out += thebibliography(plan.references) + [""]
    out += [r"\end{document}", ""]
    return _ascii_text("\n".join(out))


def _ascii_text(text: str) -> str:
    bad = sorted({ch for ch in text if not ch.isascii()})
    if bad:
        from .layout import RenderError

        raise RenderError(f"the notes would hand pdflatex non-ASCII characters: {bad}")
    return text


def write_derivations(
    out_dir: str | Path,
    ids: Iterable[str] | None = None,
    *,
    figures_dir: str | Path | None = None,
    audience: str = "student",
) -> list[Path]:
    """Write, for the claims ``ids`` (default: all), ``<id>.tex`` and ``<id>.md`` (the
    claim, standalone: with its cells' equations, for \\input into other notes) and
    ``<id>-checks.tex`` and ``<id>-checks.md`` (how each line was checked) into
    ``out_dir``.

    With ``ids`` None also the notes for ``audience`` (:func:`notes_name`: notes.tex for
    the student, notes-instructor.tex for the instructor, and the .md beside it), which
    include the figures from ``figures_dir`` (default: the ``figures`` folder beside
    ``out_dir``) by their path relative to ``out_dir``. Every file is written atomically;
    everything is rendered before the first file is written, so a bad claim writes nothing.
    Returns the written paths in order.

    Raises:
        UnknownNameError: an id not in the catalogue (nothing written).
        InvalidValueError: an unknown audience (nothing written).
        RenderError: a claim that cannot be rendered (nothing written).
    """
    out = Path(out_dir)
    name = notes_name(audience)
    chosen = catalogue_claims(None if ids is None else list(ids))
    files: list[tuple[str, str]] = []
    for claim in chosen:
        files += [
            (f"{claim.id}.tex", claim_tex(claim)),
            (f"{claim.id}.md", claim_markdown(claim)),
            (f"{claim.id}-checks.tex", checks_tex(claim)),
            (f"{claim.id}-checks.md", checks_markdown(claim)),
        ]
    if ids is None:
        fig_dir = out.parent / "figures" if figures_dir is None else Path(figures_dir)
        rel = Path(os.path.relpath(fig_dir.resolve(), out.resolve())).as_posix()
        plan = lecture_plan(None, figure_refs(), audience)
        files.append((name, notes_tex(plan, figures_rel=rel, audience=audience)))
        from .markdown_notes import markdown_name, notes_markdown  # notes.md beside notes.tex

        # The Markdown notes link their figures from figures/ beside them: the folder
        # travels with the file (copy both), where ../figures would break.
        files.append((markdown_name(audience), notes_markdown(plan, figures_rel="figures")))
    out.mkdir(parents=True, exist_ok=True)
    written = [atomic_write_text(out / name, text) for name, text in files]
    if ids is None:
        written += _copy_png_figures(fig_dir, out / "figures")
    return written


def _copy_png_figures(fig_dir: Path, target: Path) -> list[Path]:
    """The PNG figures of ``fig_dir`` into ``target`` (those that exist: the derivations
    may be written before the figures)."""
    from gradsym.files import atomic_write

    written = []
    for fig in figure_refs():
        src = fig_dir / f"{fig.name}.png"
        if src.is_file():
            target.mkdir(parents=True, exist_ok=True)
            data = src.read_bytes()
            written.append(atomic_write(target / src.name, lambda f, data=data: f.write(data)))
    return written
