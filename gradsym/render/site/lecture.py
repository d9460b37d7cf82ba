r"""The lecture plan walked into pages: the front matter and the contents on the first page,
a page per section, the references; every label of the plan (sections, claims, equations,
figures, tables, boxes) placed on its page before any page is written, so that every
``\ref`` and every link lands. One plan, several writers: this is the website's."""

from __future__ import annotations

from dataclasses import dataclass

from gradsym.checker.exercises import draw
from gradsym.notes.bibliography import entry
from gradsym.notes.lecture import (
    TIKZ_LIBRARIES,
    TIKZ_STYLES,
    Box,
    CellIntro,
    ClaimItem,
    FactsBox,
    FigureItem,
    LecturePlan,
    NotationTable,
    Paragraph,
    Picture,
    Table,
    lecture_plan,
)
from gradsym.render.derivations.layout import (
    _equation_blocks,
    _formula_rows,
    cell_rows,
    check_table_rows,
    referred_rows,
)
from gradsym.render.derivations.notes import figure_refs

from .html import esc
from .pictures import picture_svg
from .writer import _Place, _Writer

__all__ = ["Page", "site_pages"]


@dataclass(frozen=True)
class Page:
    """One page: its file ``name``, ``title``, ``body`` (HTML) and the site's title."""

    name: str
    title: str
    body: str
    site_title: str
    description: str = ""


def _anchor(label: str) -> str:
    return label.replace(":", "-")


def _labels(item) -> list[str]:
    """The labels an item defines (the plan numbers them)."""
    out = []
    if isinstance(item, (CellIntro, ClaimItem, FigureItem, Picture, NotationTable)):
        out.append(item.label)
    if isinstance(item, CellIntro) and item.picture is not None:
        out.append(item.picture.label)
    if isinstance(item, (Table, Box)) and item.label:
        out.append(item.label)
    if isinstance(item, FactsBox):
        if item.label:
            out.append(item.label)
        out += [fact.label for fact in item.claims]
    return out


class _PlanPages:
    def __init__(self, plan: LecturePlan, w: _Writer) -> None:
        self.plan, self.w = plan, w
        self.figures: list[tuple[str, str]] = []  # (file name, kind): "png" or "svg"
        numbers = plan.numbers()
        w.places.update(
            {label: _Place("index.html", _anchor(label), n) for label, n in numbers.items()}
        )
        for item in plan.front:
            for label in _labels(item):
                w.places[label] = _Place("index.html", _anchor(label), numbers[label])
        for k, section in enumerate(plan.sections, start=1):
            page = f"section-{k}.html"
            w.places[section.label] = _Place(page, "top", numbers[section.label])
            for item in section.items:
                for label in _labels(item):
                    w.places[label] = _Place(page, _anchor(label), numbers.get(label, ""))

    # -- items ----------------------------------------------------------------------------------

    def item(self, item) -> str:
        if isinstance(item, Paragraph):
            return f'<p class="{esc(item.role)}">{self.w.prose(item.tex)}</p>'
        if isinstance(item, CellIntro):
            return self.cell(item)
        if isinstance(item, Picture):
            return self.picture(item)
        if isinstance(item, ClaimItem):
            return self.claim(item)
        if isinstance(item, FactsBox):
            return self.facts(item)
        if isinstance(item, FigureItem):
            f = item.figure
            self.figures.append((f"{f.name}.png", "png"))
            return self.w.figure(f.name, f.title, f.caption, f.claims, label=f.label)
        if isinstance(item, Table):
            return self.table(item)
        if isinstance(item, NotationTable):
            return self.notation(item)
        if isinstance(item, Box):
            place = self.w.places.get(item.label)
            head = f"Box {esc(place.number)}. " if place else ""
            anchor = f' id="{place.anchor}"' if place else ""
            return (
                f'<aside class="box"{anchor}><p><strong>{head}{esc(item.title)}.</strong> '
                f"{self.w.prose(item.tex)}</p></aside>"
            )
        raise TypeError(f"the website cannot print {type(item).__name__}")

    def cell(self, item: CellIntro) -> str:
        rows: list[str] = []
        for cell in item.cells:
            rows += cell_rows(None, item.display or cell.definitions, cell.style)
        place = self.w.places[item.label]
        out = [
            f'<div class="cell" id="{place.anchor}">',
            f"<p>{self.w.prose(item.prose)}</p>",
            self.w.display(rows, tag=place.number),
        ]
        if item.after:
            out.append(f"<p>{self.w.prose(item.after)}</p>")
        out.append("</div>")
        if item.picture is not None:
            out.append(self.picture(item.picture))
        return "\n".join(out)

    def picture(self, pic: Picture) -> str:
        place = self.w.places[pic.label]
        svg = picture_svg(pic.tikz, tuple(TIKZ_LIBRARIES), TIKZ_STYLES)
        head = (
            f"<strong>Figure {esc(place.number)}.</strong> "
            f"<strong>{self.w.prose(pic.title)}.</strong> "
        )
        if svg is None:
            body = '<p class="see">(The drawing is in the PDF notes.)</p>'
        else:
            self.w.svgs[f"{pic.name}.svg"] = svg
            self.figures.append((f"{pic.name}.svg", "svg"))
            alt = esc(pic.title)
            body = f'<img src="figures/{esc(pic.name)}.svg" alt="{alt}">'
        return (
            f'<figure id="{place.anchor}">{body}<figcaption>{head}'
            f"{self.w.prose(pic.caption)}</figcaption></figure>"
        )

    def claim(self, item: ClaimItem, heading: bool = True) -> str:
        claim, w = item.claim, self.w
        place = w.places[item.label]
        out = [f'<section class="claim" id="{place.anchor}">']
        if heading:
            out.append(
                f'<h3><span class="num">{esc(place.number)}</span>{w.prose(claim.title)}</h3>'
            )
        else:
            out.append(f"<p><strong>{w.prose(claim.title)}.</strong></p>")
        if item.intuition:
            out.append(f'<p class="intuition">{w.prose(item.intuition)}</p>')
        out.append(f"<p>{w.prose(claim.statement)}</p>")
        if claim.assumptions:
            items = "; ".join(w.prose(a) for a in claim.assumptions)
            out.append(f'<p class="assumptions"><em>Assumptions:</em> {items}.</p>')
        if item.referred:
            names = [w.prose(t) for _, t in item.referred]
            joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            out.append(f"<p><em>Cell:</em> {joined}.</p>")
        for head, rows in _equation_blocks(claim, item.shown, referred_rows(item)):
            out.append(f'<div class="equations"><p><em>{w.prose(head)}:</em></p>')
            out.append(w.display(rows, numbered=False))
            out.append("</div>")
        formula = _formula_rows(claim, "latex")
        if formula and heading:
            out += ["<p><em>Claim:</em></p>", w.display(formula, numbered=False)]
        out.append("<p><em>Derivation:</em></p>" if heading else "")
        out.append(w.derivation(claim))
        if claim.caveat:
            out.append(
                f'<aside class="callout"><strong>Note.</strong> {w.prose(claim.caveat)}</aside>'
            )
        if item.takeaway:
            out.append(f'<p class="takeaway"><em>Takeaway.</em> {w.prose(item.takeaway)}</p>')
        figures = [f for f in self.plan.figures() if claim.id in f.claims]
        if figures:
            links = ", ".join(w.ref(f.label) for f in figures if f.label in w.places)
            if links:
                word = "figure" if len(figures) == 1 else "figures"
                out.append(f'<p class="see">See {word} {links}.</p>')
        if claim.sources:
            out.append(f'<p class="sources">Sources: {w.cite(",".join(claim.sources))}.</p>')
        if w.audience == "instructor":
            rows = "".join(
                f"<tr><td>{esc(line)}</td><td>{w.prose(exact)}</td><td>{w.prose(numeric)}</td></tr>"
                for line, exact, numeric in check_table_rows(claim)
            )
            out.append(
                '<details class="checks"><summary>How each line was checked</summary><table>'
                "<tr><th>Line</th><th>Exactly (SymPy, rational arithmetic)</th>"
                f"<th>Numerically (double precision)</th></tr>{rows}</table></details>"
            )
        out.append("</section>")
        return "\n".join(out)

    def facts(self, item: FactsBox) -> str:
        number = self.w.places[item.claims[0].label].number
        out = [f'<aside class="box"><p><strong>Box {esc(number)}. {esc(item.title)}.</strong></p>']
        out += [self.claim(fact, heading=False) for fact in item.claims]
        out.append("</aside>")
        return "\n".join(out)

    def table(self, item: Table) -> str:
        place = self.w.places.get(item.label)
        head = "".join(f"<th>{esc(c)}</th>" for c in item.columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{self.w.prose(c)}</td>" for c in row) + "</tr>"
            for row in item.rows
        )
        table = f"<table><tr>{head}</tr>{rows}</table>"
        anchor = f' id="{place.anchor}"' if place else ""
        number = esc(place.number) if place else ""
        if item.kind == "mapping":
            return (
                f'<aside class="box"{anchor}><p><strong>Box {number}. '
                f"{self.w.prose(item.caption)}.</strong></p>{table}</aside>"
            )
        return (
            f"<figure{anchor}>{table}<figcaption><strong>Table {number}.</strong> "
            f"{self.w.prose(item.caption)}</figcaption></figure>"
        )

    def notation(self, item: NotationTable) -> str:
        place = self.w.places[item.label]
        rows = []
        for group, entries in item.groups:
            rows.append(f'<tr><th colspan="2">{esc(group)}</th></tr>')
            rows += [
                f"<tr><td>{self.w.prose(sym)}</td><td>{self.w.prose(meaning)}</td></tr>"
                for sym, meaning in entries
            ]
        return (
            f'<figure id="{place.anchor}"><table>{"".join(rows)}</table><figcaption><strong>'
            f"Table {esc(place.number)}.</strong> The notation of these notes: one symbol, one "
            "meaning.</figcaption></figure>"
        )


def site_pages(w: _Writer) -> tuple[list[Page], list[str]]:
    """The pages of the whole lecture (in reading order) and the files of ``figures/``."""
    plan = lecture_plan(None, figure_refs(), w.audience)
    walk = _PlanPages(plan, w)
    site_title = plan.title + (" (instructor)" if w.audience == "instructor" else "")
    pages = []
    for k, section in enumerate(plan.sections, start=1):
        body = [f'<h1 id="top"><span class="num">{k}</span>{w.prose(section.title)}</h1>']
        body += [walk.item(item) for item in section.items]
        body.append(w.exercises(draw(None, sections={section.key})))
        title = f"{k} {section.title}"
        pages.append(Page(f"section-{k}.html", title, "\n".join(body), site_title))

    front = [f"<h1>{esc(site_title)}</h1>"]
    objectives: list[str] = []
    for item in plan.front:
        if isinstance(item, Paragraph) and item.role == "objective":
            objectives.append(f"<li>{w.prose(item.tex)}</li>")
            continue
        if objectives:
            front.append("<ul>" + "".join(objectives) + "</ul>")
            objectives = []
        front.append(walk.item(item))
    contents = ['<h2 id="contents">Contents</h2>', '<ol class="contents">']
    for k, section in enumerate(plan.sections, start=1):
        contents.append(f'<li><a href="section-{k}.html">{w.prose(section.title)}</a><ol>')
        for claim in section.claims():
            place = w.places[f"claim:{claim.id}"]
            contents.append(f'<li><a href="{place.href}">{w.prose(claim.title)}</a></li>')
        if draw(None, sections={section.key}):
            contents.append(f'<li><a href="section-{k}.html#exercises">Exercises</a></li>')
        contents.append("</ol></li>")
    contents.append('<li><a href="references.html">References</a></li></ol>')
    pages.insert(
        0, Page("index.html", site_title, "\n".join(front[:1] + contents + front[1:]), site_title)
    )

    refs = ['<h1 id="top">References</h1>', '<ol class="references">']
    for key in plan.references:
        e = entry(key)
        refs.append(
            f'<li id="ref-{esc(key)}"><strong>[{esc(e.label)}]</strong> {w.prose(e.latex)}</li>'
        )
    refs.append("</ol>")
    pages.append(Page("references.html", "References", "\n".join(refs), site_title))
    return pages, [name for name, _ in walk.figures]
