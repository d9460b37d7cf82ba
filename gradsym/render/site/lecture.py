r"""The lecture walked into pages: which section is on which page, the numbers and places of
claims and figures (known before any page is written, so that every link lands), and each
page's HTML from the writer's pieces."""

from __future__ import annotations

from dataclasses import dataclass

from gradsym.checker.exercises import draw
from gradsym.notes.bibliography import entry
from gradsym.notes.catalogue import claims as catalogue_claims
from gradsym.notes.claim import Claim
from gradsym.render.derivations.layout import _equation_blocks
from gradsym.render.derivations.notes import (
    CONVENTIONS,
    INTRODUCTIONS,
    TITLE,
    figure_refs,
    figures_after,
)

from .html import esc
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


def _sections(claims: list[Claim]) -> list[tuple[str, list[Claim]]]:
    out: dict[str, list[Claim]] = {}
    for c in claims:
        if c.section == "Declared cells":
            continue
        out.setdefault(c.section, []).append(c)
    return list(out.items())


def _claim_html(w: _Writer, claim: Claim, figures: list) -> str:
    place = w.places[f"claim:{claim.id}"]
    out = [
        f'<section class="claim" id="{place.anchor}">',
        f'<h3><span class="num">{esc(place.number)}</span>{w.prose(claim.title)}</h3>',
        f"<p>{w.prose(claim.statement)}</p>",
    ]
    if claim.assumptions:
        items = "; ".join(w.prose(a) for a in claim.assumptions)
        out.append(f'<p class="assumptions"><em>Assumptions:</em> {items}.</p>')
    for heading, rows in _equation_blocks(claim):
        out.append(f'<div class="equations"><p><em>{w.prose(heading)}:</em></p>')
        out.append(w.display(rows))
        out.append("</div>")
    out.append("<p><em>Derivation:</em></p>")
    out.append(w.derivation(claim))
    if claim.caveat:
        out.append(f'<aside class="callout"><strong>Note.</strong> {w.prose(claim.caveat)}</aside>')
    shown = [f for f in figures if claim.id in f.claims]
    if shown:
        links = ", ".join(w.ref(f"fig:{f.name}") for f in shown)
        out.append(f'<p class="see">See {"figure" if len(shown) == 1 else "figures"} {links}.</p>')
    if claim.sources:
        out.append(f'<p class="sources">Sources: {w.cite(",".join(claim.sources))}.</p>')
    if w.audience == "instructor":
        from gradsym.render.derivations.layout import _checks

        rows = "".join(f"<li>{w.prose(c)}</li>" for c in _checks(claim))
        out.append(
            f'<details class="checks"><summary>How each line was checked</summary><ol>{rows}</ol></details>'
        )
    out.append("</section>")
    return "\n".join(out)


def site_pages(w: _Writer) -> tuple[list[Page], list[str]]:
    """The pages of the whole lecture (in reading order) and the figures they show."""
    claims = list(catalogue_claims())
    sections = _sections(claims)
    figures = figure_refs()
    after = figures_after([c for _, cs in sections for c in cs], figures)
    shown_figures = [f for fs in after.values() for f in fs]

    # numbers and places first, so that every link can be written
    fig_no = 0
    for k, (key, cs) in enumerate(sections, start=1):
        name = f"section-{k}.html"
        w.places[f"sec:{key}"] = _Place(name, "top", str(k))
        for m, c in enumerate(cs, start=1):
            w.places[f"claim:{c.id}"] = _Place(name, f"claim-{c.id}", f"{k}.{m}")
            for f in after.get(c.id, []):
                fig_no += 1
                w.places[f"fig:{f.name}"] = _Place(name, f"fig-{f.name}", str(fig_no))

    site_title = TITLE + (" (instructor)" if w.audience == "instructor" else "")
    pages = []
    for k, (key, cs) in enumerate(sections, start=1):
        body = [f'<h1 id="top"><span class="num">{k}</span>{esc(key)}</h1>']
        intro = INTRODUCTIONS.get(key)
        if intro:
            body.append(f'<p class="intro">{w.prose(intro)}</p>')
        for c in cs:
            body.append(_claim_html(w, c, shown_figures))
            for f in after.get(c.id, []):
                body.append(w.figure(f.name, "", f.caption, f.claims))
        body.append(w.exercises(draw(None, sections={key})))
        pages.append(Page(f"section-{k}.html", f"{k} {key}", "\n".join(body), site_title))

    contents = ['<ol class="contents">']
    for k, (key, cs) in enumerate(sections, start=1):
        contents.append(f'<li><a href="section-{k}.html">{esc(key)}</a><ol>')
        contents += [
            f'<li><a href="{w.places[f"claim:{c.id}"].href}">{w.prose(c.title)}</a></li>'
            for c in cs
        ]
        if draw(None, sections={key}):
            contents.append(f'<li><a href="section-{k}.html#exercises">Exercises</a></li>')
        contents.append("</ol></li>")
    contents.append('<li><a href="references.html">References</a></li></ol>')
    index = [
        f"<h1>{esc(site_title)}</h1>",
        f"<p>{w.prose(CONVENTIONS.replace(chr(92) + 'paragraph{Conventions.}', chr(92) + 'textbf{Conventions.}'))}</p>",
        "<h2>Contents</h2>",
        *contents,
    ]
    pages.insert(0, Page("index.html", site_title, "\n".join(index), site_title))

    refs = ['<h1 id="top">References</h1>', '<ol class="references">']
    for key in w.cited:
        e = entry(key)
        refs.append(
            f'<li id="ref-{esc(key)}"><strong>[{esc(e.label)}]</strong> {w.prose(e.latex)}</li>'
        )
    refs.append("</ol>")
    pages.append(Page("references.html", "References", "\n".join(refs), site_title))
    return pages, [f.name for f in shown_figures]
