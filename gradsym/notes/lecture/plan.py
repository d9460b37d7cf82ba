r"""The lecture plan: what the notes say, in which order, computed once.

A :class:`LecturePlan` is the whole lecture as data — the front matter (objectives,
roadmap, the notation table, the box that maps other sources' notations onto ours), then
the sections, each a sequence of items: authored paragraphs, a cell introduced with its
equations and its picture, a claim with the intuition before it and the takeaway after
it, a figure beside the claim it supports, a box of facts, the summary table — and the
works the lecture cites. The LaTeX notes, the Markdown notes and the Beamer deck are three
writers of the same plan (:mod:`gradsym.render`); none of them walks the claims itself.

Numbering is the plan's too (:meth:`LecturePlan.numbers`): sections, claims (as
subsections), equations of the cells, figures (pictures and plots share one counter, as
in LaTeX), tables and boxes, in the order the writers print them — so the Markdown, which
has no \ref of its own, prints the same "Figure 4" the PDF does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gradsym.errors import InvalidValueError

from ..claim import Claim

__all__ = [
    "AUDIENCES",
    "Box",
    "CellIntro",
    "ClaimItem",
    "FactsBox",
    "FigureItem",
    "FigureRef",
    "Item",
    "LecturePlan",
    "NotationTable",
    "Paragraph",
    "Picture",
    "Section",
    "Table",
    "check_audience",
]

#: Who the notes are for: ``student`` (the lecture) or ``instructor`` (the same, and under
#: each claim a table of how every line was checked).
AUDIENCES = ("student", "instructor")


def check_audience(audience: str) -> str:
    """``audience`` if it is one of :data:`AUDIENCES`; InvalidValueError otherwise."""
    if audience not in AUDIENCES:
        raise InvalidValueError(f"audience must be one of {', '.join(AUDIENCES)}, got {audience!r}")
    return audience


@dataclass(frozen=True)
class FigureRef:
    """A plotted figure as the lecture places it: ``name`` (its files), ``claims`` (what it
    illustrates), ``caption`` (LaTeX prose: what the picture shows), ``title`` (its message,
    one line) and ``beside`` (the id of the claim it supports: it is placed right after it;
    empty: after the last of its claims)."""

    name: str
    claims: tuple[str, ...]
    caption: str
    title: str = ""
    beside: str = ""

    @property
    def label(self) -> str:
        return f"fig:{self.name}"


@dataclass(frozen=True)
class Paragraph:
    """Authored prose (LaTeX): ``role`` is "intro", "roadmap", "text", "intuition" or
    "takeaway" (a writer may set them apart)."""

    tex: str
    role: str = "text"


@dataclass(frozen=True)
class Picture:
    """A TikZ picture (authored LaTeX) as a figure: ``name``, the ``tikz`` body (a
    ``tikzpicture`` environment), a one-line ``title`` and a ``caption``."""

    name: str
    tikz: str
    title: str
    caption: str

    @property
    def label(self) -> str:
        return f"fig:{self.name}"


@dataclass(frozen=True)
class CellIntro:
    """A cell introduced: its equations printed here, once, numbered ``label``; ``cells``
    are the symbolic cells whose definitions are printed (one equation block), ``display``
    optional (lhs, rhs) pairs printed instead (a generic activation φ); ``prose`` before
    the equations and ``after`` following them."""

    key: str
    title: str
    cells: tuple[Any, ...]
    prose: str
    after: str = ""
    display: tuple[tuple[Any, Any], ...] = ()
    picture: Picture | None = None

    @property
    def label(self) -> str:
        return f"eq:{self.key}"


@dataclass(frozen=True)
class ClaimItem:
    """A claim, the ``intuition`` that comes before its derivation and the ``takeaway``
    after it (authored prose), and the cells it uses: ``shown`` have their equations
    printed with the claim (their first use), ``referred`` are referred to by the label of
    the equations printed earlier."""

    claim: Claim
    intuition: str = ""
    takeaway: str = ""
    shown: tuple[Any, ...] = ()
    referred: tuple[tuple[Any, str], ...] = ()

    @property
    def label(self) -> str:
        return f"claim:{self.claim.id}"


@dataclass(frozen=True)
class FactsBox:
    """Facts that are not results (a definition unrolled, a count): each a checked claim,
    printed compactly in one box."""

    title: str
    claims: tuple[ClaimItem, ...]
    label: str = ""


@dataclass(frozen=True)
class Box:
    """A framed aside (LaTeX prose, may hold a tabular): the notation mapping, a warning."""

    title: str
    tex: str
    label: str = ""


@dataclass(frozen=True)
class NotationTable:
    """The lecture's symbols: (symbol, meaning) rows, LaTeX, grouped under headings."""

    groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    label: str = "tab:notation"


@dataclass(frozen=True)
class Table:
    """A table of LaTeX prose cells: ``kind`` "summary" (problem → cause → fix: a numbered
    table with ``caption``) or "mapping" (other sources' notations: a box titled
    ``caption``, numbered with the boxes)."""

    kind: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str
    label: str


@dataclass(frozen=True)
class FigureItem:
    figure: FigureRef

    @property
    def label(self) -> str:
        return self.figure.label


Item = Paragraph | Picture | CellIntro | ClaimItem | FactsBox | Box | NotationTable | Table
Item = Item | FigureItem


@dataclass(frozen=True)
class Section:
    """A section: ``key`` (the claims' section, or a section of the plan's own), the
    printed ``title`` and its items in order."""

    key: str
    title: str
    items: tuple[Item, ...]

    @property
    def label(self) -> str:
        return "sec:" + re.sub(r"[^a-z0-9]+", "-", self.key.lower()).strip("-")

    def claims(self) -> list[Claim]:
        """The section's claims in order (those in facts boxes too)."""
        out: list[Claim] = []
        for item in self.items:
            if isinstance(item, ClaimItem):
                out.append(item.claim)
            elif isinstance(item, FactsBox):
                out += [c.claim for c in item.claims]
        return out


@dataclass(frozen=True)
class LecturePlan:
    """The lecture: ``title``, ``audience``, the ``front`` matter, the ``sections`` and
    the bibliography keys of every work cited (in order of first citation)."""

    title: str
    audience: str
    front: tuple[Item, ...]
    sections: tuple[Section, ...]
    references: tuple[str, ...]
    _numbers: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def claims(self) -> list[Claim]:
        """Every claim of the plan, in the order it is printed."""
        return [c for s in self.sections for c in s.claims()]

    def items(self) -> Iterable[Item]:
        """Every item, front matter first, in printing order."""
        yield from self.front
        for section in self.sections:
            yield from section.items

    def figures(self) -> list[FigureRef]:
        return [i.figure for i in self.items() if isinstance(i, FigureItem)]

    def numbers(self) -> dict[str, str]:
        """What ``\\ref{label}`` prints for every label of the plan, as LaTeX numbers it:
        sections 1, 2, …; claims 2.3; equations (1), (2), … (printed without the
        parentheses, as \\ref does); figures and pictures one sequence; tables; boxes."""
        if self._numbers:
            return self._numbers
        out: dict[str, str] = {}
        figure = table = equation = box = 0

        def visit(item: Item, section_no: int, sub: list[int]) -> None:
            nonlocal figure, table, equation, box
            if isinstance(item, CellIntro):
                equation += 1
                out[item.label] = str(equation)
                if item.picture is not None:
                    figure += 1
                    out[item.picture.label] = str(figure)
            elif isinstance(item, Picture | FigureItem):
                figure += 1
                out[item.label] = str(figure)
            elif isinstance(item, ClaimItem):
                sub[0] += 1
                out[item.label] = f"{section_no}.{sub[0]}"
            elif isinstance(item, FactsBox):
                box += 1
                if item.label:
                    out[item.label] = str(box)
                for fact in item.claims:  # a fact is referred to by its box
                    out[fact.label] = str(box)
            elif isinstance(item, Box) or (isinstance(item, Table) and item.kind == "mapping"):
                box += 1
                if item.label:
                    out[item.label] = str(box)
            elif isinstance(item, NotationTable | Table):
                table += 1
                out[item.label] = str(table)

        for item in self.front:
            visit(item, 0, [0])
        for k, section in enumerate(self.sections, 1):
            out[section.label] = str(k)
            sub = [0]
            for item in section.items:
                visit(item, k, sub)
        self._numbers.update(out)
        return out

    def ref(self, label: str) -> str:
        """What ``\\ref{label}`` prints; InvalidValueError for a label the plan lacks."""
        numbers = self.numbers()
        if label not in numbers:
            raise InvalidValueError(f"\\ref{{{label}}}: no such label in the lecture")
        return numbers[label]


def refs_in(tex: str) -> list[str]:
    """The labels ``tex`` refers to (``\\ref`` and ``\\eqref``)."""
    return re.findall(r"\\(?:eq)?ref\{([^}]*)\}", tex)


def cited_in(tex: str) -> list[str]:
    """The bibliography keys ``tex`` cites, in order."""
    return [k.strip() for group in re.findall(r"\\cite\{([^}]*)\}", tex) for k in group.split(",")]


def ordered_unique(keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(keys))
