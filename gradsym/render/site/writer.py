r"""The lecture as a static website: one page per section, the contents, the references.

The pieces of its pages (claims, derivations, figures, exercises) as HTML, and the
assets; :func:`~gradsym.render.site.build.write_site` writes a folder a lecturer can put on
any web server (or open from disk): ``index.html`` (the title, the preface, the contents),
``section-<k>.html`` per section, ``references.html``, ``figures/`` (the PNG figures) and
``assets/`` (the style, the script and KaTeX, shipped with gradsym: no network is needed
to read it).

Every page has the navigation (contents, previous, next); sections, claims (k.m) and
figures are numbered as in the PDF notes, displayed equations are numbered, every
citation links to its reference, every claim to the figures that illustrate it and every
figure back to its claims. The exercises close each section; on the instructor's site each
has its solution, which opens on a click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from gradsym.errors import InvalidValueError, OutputError
from gradsym.files import atomic_write
from gradsym.notes.bibliography import entry
from gradsym.notes.claim import Claim
from gradsym.notes.prose import to_unicode

from ..exercises import question_blocks
from .html import esc, math, prose_html

__all__ = ["AUDIENCES", "SITE_DIR", "Site"]

SITE_DIR = "site"
AUDIENCES = ("student", "instructor")
_ASSETS = ("site.css", "site.js")


@dataclass
class _Place:
    page: str
    anchor: str
    number: str

    @property
    def href(self) -> str:
        return f"{self.page}#{self.anchor}"


@dataclass
class Site:
    """What :func:`write_site` wrote: the ``pages`` (file names, in reading order), the
    ``figures`` copied and every file (``paths``)."""

    root: Path
    pages: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)


class _Writer:
    """The HTML of the lecture's pieces, with the numbering and the places of every claim,
    figure and reference known beforehand (so that any piece can link to any other)."""

    def __init__(self, audience: str) -> None:
        self.audience = audience
        self.places: dict[str, _Place] = {}  # "claim:<id>", "fig:<name>", "sec:<key>"
        self.cited: list[str] = []
        self.svgs: dict[str, bytes] = {}  # the pictures drawn for figures/

    # -- links ------------------------------------------------------------------------------------

    def cite(self, keys: str) -> str:
        links = []
        for key in (k.strip() for k in keys.split(",")):
            e = entry(key)
            if key not in self.cited:
                self.cited.append(key)
            links.append(
                f'<a class="cite" href="references.html#ref-{esc(key)}">{esc(e.label)}</a>'
            )
        return "[" + "; ".join(links) + "]"

    def ref(self, label: str) -> str:
        place = self.places.get(label)
        if place is None:
            raise InvalidValueError(f"the website refers to {label!r}, which it does not have")
        return f'<a href="{esc(place.href)}">{esc(place.number)}</a>'

    def prose(self, tex: str) -> str:
        return prose_html(tex, self.cite, self.ref)

    def display(self, rows: Sequence[str], numbered: bool = False, tag: str = "") -> str:
        """An ``aligned`` display of ``rows``, numbered ``tag`` (the plan's number)."""
        body = r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"
        return math(body, display=True, tag=tag)

    # -- pieces -----------------------------------------------------------------------------------

    def derivation(self, claim: Claim) -> str:
        """The derivation, a step at a time: its line (a right-hand side too wide for a page
        broken at its sums) and under it the justification, which wraps as text does."""
        from gradsym.render.derivations.layout import _step_pieces, break_lines

        steps = []
        for k, step in enumerate(claim.steps, start=1):
            lhs, rel, rhs, cond, just = _step_pieces(claim, k, step, "latex")
            lines = break_lines(rhs, 44.0)
            if cond:
                lines.append(cond)
            rows = [f"{lhs} &{rel} {lines[0]}"] + [rf"&\quad {x}" for x in lines[1:]]
            why = f'<p class="why">{self.prose(just)}</p>' if just else ""
            steps.append(f'<div class="step">{self.display(rows, numbered=False)}{why}</div>')
        return '<div class="derivation">' + "".join(steps) + "</div>"

    def figure(
        self, name: str, title: str, caption: str, claims: Sequence[str], label: str = ""
    ) -> str:
        place = self.places[label or f"fig:{name}"]
        shown = [c for c in claims if f"claim:{c}" in self.places]
        back = ""
        if shown:
            links = ", ".join(self.ref(f"claim:{c}") for c in shown)
            back = f'<p class="see">Illustrates {"claim" if len(shown) == 1 else "claims"} {links}.</p>'
        head = f"<strong>Figure {esc(place.number)}.</strong> "
        head += f"<strong>{self.prose(title)}.</strong> " if title else ""
        alt = to_unicode(title or caption.split(". ")[0], cite=lambda keys: "")
        return (
            f'<figure id="{place.anchor}"><img src="figures/{esc(name)}.png" alt="{esc(alt)}" '
            f"><figcaption>{head}{self.prose(caption)}</figcaption>{back}</figure>"
        )

    def exercises(self, drawn) -> str:
        if not drawn:
            return ""
        out = ['<section class="exercises" id="exercises"><h2>Exercises</h2>']
        for d in drawn:
            out.append(
                f'<div class="exercise" id="exercise-{esc(d.id)}"><h3>Exercise '
                f"{esc(d.number)}. {esc(d.question.title)}</h3>"
            )
            out.append(self.blocks(question_blocks(d, sheet=False, solution=False)))
            if self.audience == "instructor":
                inner = question_blocks(d, sheet=False, solution=True)[-1].inner
                out.append(
                    '<details class="solution"><summary>Solution</summary>'
                    + self.blocks(inner)
                    + "</details>"
                )
            out.append("</div>")
        out.append("</section>")
        return "\n".join(out)

    def blocks(self, blocks) -> str:
        out = []
        for b in blocks:
            if b.kind == "prose":
                out.append(f"<p>{self.prose(b.tex)}</p>")
            elif b.kind == "display":
                out.append(self.display(b.rows, numbered=False))
        return "\n".join(out)


def _put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda f: f.write(data))


def _copy_assets(out: Path) -> list[Path]:
    """The style, the script and KaTeX (script, style, WOFF2 fonts, licence) into
    ``out/assets``."""
    root = resources.files("gradsym.render.site") / "assets"
    written = [_put(out / "assets" / name, (root / name).read_bytes()) for name in _ASSETS]
    for folder in ("katex", "katex/fonts"):
        for item in sorted((root / folder).iterdir(), key=lambda x: x.name):
            if item.is_file():
                written.append(_put(out / "assets" / folder / item.name, item.read_bytes()))
    return written


def _copy_figures(out: Path, figures_dir: Path, names: Sequence[str]) -> list[Path]:
    written = []
    for name in names:
        src = figures_dir / f"{name}.png"
        if not src.is_file():
            raise OutputError(
                f"the figure {src} is missing: write the figures first (gradsym figures "
                f"--out {figures_dir.parent})"
            )
        written.append(_put(out / "figures" / src.name, src.read_bytes()))
    return written
