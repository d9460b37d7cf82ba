r"""The lecture: the plan the notes, the Markdown notes and the slides are written from.

:func:`lecture_plan` turns the outline of :mod:`.teaching` and the claims (all of them,
or those asked for) into a :class:`~.plan.LecturePlan`: which cell is introduced where
(its equations printed once, then referred to by their number), which claims go into a
box of facts, where each figure stands, which works are cited. It is computed once, here
in the claims layer; :mod:`gradsym.render` only prints it.
"""

from __future__ import annotations

from collections.abc import Sequence

from gradsym.lang.matexpr import Apply
from gradsym.symbolic import cell as get_cell

from ..claim import Claim
from . import teaching
from .pictures import PICTURES, TIKZ_LIBRARIES, TIKZ_STYLES, picture
from .plan import (
    AUDIENCES,
    Box,
    CellIntro,
    ClaimItem,
    FactsBox,
    FigureItem,
    FigureRef,
    Item,
    LecturePlan,
    NotationTable,
    Paragraph,
    Picture,
    Section,
    Table,
    check_audience,
    cited_in,
    ordered_unique,
    refs_in,
)
from .symbols import NOTATION

__all__ = [
    "AUDIENCES",
    "PICTURES",
    "TIKZ_LIBRARIES",
    "TIKZ_STYLES",
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
    "cell_key",
    "check_audience",
    "lecture_plan",
    "picture",
]


def cell_key(cell) -> tuple[str, str]:
    """A cell's identity in the lecture: (name, variant)."""
    return (cell.name, cell.variant)


def _rnn_display():
    """The RNN with a generic activation φ: its two equations as the cell prints them."""
    rnn = get_cell("rnn", "tanh")
    out = []
    for lhs, rhs in rnn.definitions:
        out.append((lhs, Apply("phi", rhs.vector) if isinstance(rhs, Apply) else rhs))
    return tuple(out)


_PHI = {
    "tanh": r"$\phi = \tanh$",
    "sigmoid": r"$\phi = \sigma$",
    "relu": r"$\phi = \operatorname{ReLU}$",
    "identity": r"$\phi = \operatorname{id}$ (the linear RNN)",
}


def _cells() -> dict[str, tuple[CellIntro, dict[tuple[str, str], str]]]:
    """The cells the lecture introduces: their introduction, and for each (name, variant)
    it covers, how a claim refers to it."""
    rnn = CellIntro(
        "rnn",
        "The RNN",
        (get_cell("rnn", "tanh"),),
        r"The plain recurrent network, the \emph{vanilla RNN}, reads an input "
        r"$\mathbf{x}^{(t)} \in \mathbb{R}^d$ at each step and updates its hidden state "
        r"$\mathbf{h}^{(t)} \in \mathbb{R}^n$ with the same weights $\mathbf{W}_h$ (size $n "
        r"\times n$), $\mathbf{W}_x$ ($n \times d$) and $\mathbf{b}$ at every step:",
        r"where $\phi$ is an activation applied to each entry: $\tanh$, the sigmoid "
        r"$\sigma$, $\operatorname{ReLU}$ or the identity. A loss term $J^{(t)}$ may be "
        r"computed from each state; $J = \sum_t J^{(t)}$.",
        display=_rnn_display(),
        picture=picture("rnn-cell"),
    )
    lstm = CellIntro(
        "lstm",
        "The LSTM",
        (get_cell("lstm", "standard"),),
        r"The LSTM \cite{hochreiter1997,gers2000} keeps a hidden state $\mathbf{h}^{(t)}$ "
        r"and a cell state $\mathbf{c}^{(t)}$, both in $\mathbb{R}^n$. Three gates, each a "
        r"sigmoid of its own pre-activation, decide what the cell forgets ($\mathbf{f}$), "
        r"what it writes ($\mathbf{i}$, the candidate $\tilde{\mathbf{c}}$) and what it shows "
        r"($\mathbf{o}$); $\circ$ is the elementwise product \cite{001}:",
        r"Each gate has its own recurrent weights ($n \times n$), input weights ($n \times "
        r"d$) and bias.",
        picture=picture("lstm-cell"),
    )
    peephole = CellIntro(
        "peephole",
        "The LSTM with peepholes",
        (get_cell("lstm", "peephole"),),
        r"In the peephole LSTM as \cite{003} writes it, the three gates also read "
        r"$\mathbf{c}^{(t-1)}$ through matrices $\mathbf{V}_f$, $\mathbf{V}_i$, "
        r"$\mathbf{V}_o$ ($n \times n$); the candidate does not:",
        r"\cite{gers2000peephole}, who introduced peepholes, make the peephole "
        r"matrices diagonal ($3n$ parameters, not $3n^2$) and let the output gate read $\mathbf{c}^{(t)}$ "
        r"instead of $\mathbf{c}^{(t-1)}$; the derivation below is for the form above.",
    )
    gru = CellIntro(
        "gru",
        "The GRU",
        (get_cell("gru", "textbook"),),
        r"The GRU \cite{cho2014} has one state $\mathbf{h}^{(t)}$, an update gate "
        r"$\mathbf{u}^{(t)}$ and a reset gate $\mathbf{r}^{(t)}$; in the convention of "
        r"\cite{001} the update gate weighs the candidate $\tilde{\mathbf{h}}^{(t)}$:",
        r"\cite{cho2014} and PyTorch put the gate on the other side; see "
        r"Box~\ref{box:mapping} and \eqref{eq:gru-pytorch}.",
        picture=picture("gru-cell"),
    )
    gru_torch = CellIntro(
        "gru-pytorch",
        "The GRU as PyTorch writes it",
        (get_cell("gru", "torch"),),
        r"PyTorch's GRU, in the letters of these notes, has a gate $\bar{\mathbf{u}}^{(t)}$ "
        r"on $\mathbf{h}^{(t-1)}$ (its $z$) and applies the reset gate after the product by "
        r"the recurrent weights, with a bias $\mathbf{b}_{hh}$ of its own inside:",
        r"With $\mathbf{W}_{\bar u} = -\mathbf{W}_u$, $\mathbf{U}_{\bar u} = -\mathbf{U}_u$ "
        r"and $\mathbf{b}_{\bar u} = -\mathbf{b}_u$ the gate is $\bar{\mathbf{u}}^{(t)} = 1 - "
        r"\mathbf{u}^{(t)}$ (because $\sigma(-z) = 1 - \sigma(z)$); where the reset gate is "
        r"not $\mathbf{1}$ the two cells still differ (Section~\ref{claim:gru-variants}).",
    )

    def label(intro: CellIntro, text: str) -> str:
        return rf"{text}~\eqref{{{intro.label}}}"

    return {
        "rnn": (
            rnn,
            {("rnn", a): label(rnn, "the RNN") + f" with {p}" for a, p in _PHI.items()},
        ),
        "lstm": (lstm, {("lstm", "standard"): label(lstm, "the LSTM")}),
        "peephole": (peephole, {("lstm", "peephole"): label(peephole, "the peephole LSTM")}),
        "gru": (gru, {("gru", "textbook"): label(gru, "the GRU")}),
        "gru-pytorch": (gru_torch, {("gru", "torch"): label(gru_torch, "PyTorch's GRU")}),
    }


_CELL_NAMES = {
    ("lstm", "no_forget"): "the LSTM without a forget gate",
    ("gru", "minimal"): "the minimal GRU",
    ("birnn", "tanh"): "the bidirectional RNN",
    ("stacked", "plain"): "the stacked RNN",
    ("stacked", "residual"): "the stacked RNN with a skip connection",
    ("residual", "tanh"): "the residual layer",
    ("highway", "standard"): "the highway layer",
}


def _figure_allowed(fig: FigureRef, present: set[str]) -> bool:
    return any(c in present for c in fig.claims)


def lecture_plan(
    claims: Sequence[Claim] | None = None,
    figures: Sequence[FigureRef] = (),
    audience: str = "student",
    *,
    strict: bool = True,
) -> LecturePlan:
    """The lecture of ``claims`` (default: every claim of the catalogue) with ``figures``,
    for ``audience``.

    A section is printed when one of its claims is; a cell is introduced (its equations
    printed, numbered) where the outline puts it, or else with the first claim that uses
    it, and referred to afterwards; a figure stands where the outline puts it when one of
    the claims it illustrates is printed. The front matter (objectives, roadmap, notation,
    the mapping of other notations) and the summary come with the whole lecture only.
    """
    from ..catalogue import claims as catalogue_claims

    check_audience(audience)
    chosen = list(catalogue_claims() if claims is None else claims)
    whole = {c.id for c in chosen} == {c.id for c in catalogue_claims()}  # the whole lecture
    by_id = {c.id: c for c in chosen}
    present = set(by_id)
    figs = {f.name: f for f in figures}
    cells = _cells()
    introduced: dict[tuple[str, str], str] = {}  # cell -> how a later claim refers to it
    outlined = {c.id for _, spec in teaching.OUTLINE for c in spec if isinstance(c, teaching.C)}
    # claims of the catalogue the outline does not place (a declared cell): at the end of
    # their section, in catalogue order
    extra = [c for c in chosen if c.id not in outlined]

    def claim_item(claim: Claim) -> ClaimItem:
        shown, referred = [], []
        for cell in claim.cells:
            key = cell_key(cell)
            if key in introduced:
                referred.append((cell, introduced[key]))
            else:
                shown.append(cell)
                name = _CELL_NAMES.get(key, f"the {cell.name} ({cell.variant})")
                introduced[key] = rf"{name} of Section~\ref{{claim:{claim.id}}}"
        return ClaimItem(
            claim,
            teaching.INTUITION.get(claim.id, ""),
            teaching.TAKEAWAY.get(claim.id, ""),
            tuple(shown),
            tuple(referred),
        )

    sections: list[Section] = []
    for key, spec in teaching.OUTLINE:
        ids = [c.id for c in spec if isinstance(c, teaching.C) and c.id in present]
        ids += [c.id for c in extra if c.section == key]
        if key == "Summary":
            if not whole:
                continue
        elif not ids:
            continue
        items: list[Item] = []
        intro = teaching.INTRODUCTIONS.get(key)
        if intro and whole:
            items.append(Paragraph(intro, "intro"))
        facts: list[ClaimItem] = []
        for entry in spec:
            if isinstance(entry, teaching.Cell):
                intro_item, covers = cells[entry.key]
                if whole or any(cell_key(cl) in covers for i in ids for cl in by_id[i].cells):
                    items.append(intro_item)
                    introduced.update(covers)
            elif isinstance(entry, teaching.Pic):
                if whole:
                    items.append(picture(entry.name))
            elif isinstance(entry, teaching.C):
                if entry.id not in present:
                    continue
                item = claim_item(by_id[entry.id])
                (facts if entry.id in teaching.FACT else items).append(item)
            elif isinstance(entry, teaching.Fig):
                fig = figs.get(entry.name)
                if fig is not None and _figure_allowed(fig, present):
                    items.append(FigureItem(fig))
            elif isinstance(entry, teaching.Facts):
                if facts:
                    items.append(FactsBox(entry.title, tuple(facts)))
                    facts = []
            elif isinstance(entry, teaching.Summary):
                items.append(
                    Table(
                        "summary",
                        teaching.SUMMARY_COLUMNS,
                        teaching.SUMMARY,
                        teaching.SUMMARY_CAPTION,
                        "tab:summary",
                    )
                )
        for claim in extra:
            if claim.section == key:
                items.append(claim_item(claim))
        if facts:
            items.append(FactsBox("Facts used in this section", tuple(facts)))
        title = teaching.SECTION_TITLES.get(key, key)
        sections.append(Section(key, title, tuple(items)))

    front: list[Item] = []
    if whole:
        front = [
            Paragraph(teaching.PREFACE[audience], "preface"),
            Paragraph(r"\textbf{What you will learn.} After this lecture you can", "objectives"),
            *[Paragraph(o, "objective") for o in teaching.OBJECTIVES],
            Paragraph(r"\textbf{Roadmap.} " + teaching.ROADMAP, "roadmap"),
            NotationTable(NOTATION),
            Paragraph(r"\textbf{Conventions.} " + teaching.CONVENTIONS, "conventions"),
            Table(
                "mapping",
                teaching.MAPPING_COLUMNS,
                teaching.MAPPING_ROWS,
                teaching.MAPPING_TITLE,
                "box:mapping",
            ),
        ]
    plan = LecturePlan(teaching.TITLE, audience, tuple(front), tuple(sections), ())
    keys = [k for text in _prose_of(plan) for k in cited_in(text)]
    keys += [k for claim in plan.claims() for k in claim.sources]
    plan = LecturePlan(plan.title, audience, plan.front, plan.sections, ordered_unique(keys))
    if whole and strict and figures:  # the whole lecture: every \ref must land
        numbers = plan.numbers()
        missing = sorted({r for text in _prose_of(plan) for r in refs_in(text)} - set(numbers))
        if missing:
            from gradsym.errors import InvalidValueError

            raise InvalidValueError(f"the lecture refers to labels it lacks: {missing}")
    return plan


def _prose_of(plan: LecturePlan) -> list[str]:
    """Every piece of authored prose of the plan (for its citations and references), and
    the claims' prose and the figures' captions."""
    out: list[str] = []
    for item in plan.items():
        if isinstance(item, Paragraph):
            out.append(item.tex)
        elif isinstance(item, CellIntro):
            out += [item.prose, item.after]
            if item.picture is not None:
                out.append(item.picture.caption)
        elif isinstance(item, Picture):
            out.append(item.caption)
        elif isinstance(item, ClaimItem):
            out += [item.intuition, item.takeaway]
            out += [text for _, text in item.claim.prose()]
        elif isinstance(item, FactsBox):
            for fact in item.claims:
                out += [fact.intuition, fact.takeaway]
                out += [text for _, text in fact.claim.prose()]
        elif isinstance(item, FigureItem):
            out.append(item.figure.caption)
        elif isinstance(item, Table):
            out += [cell for row in item.rows for cell in row]
            out.append(item.caption)
        elif isinstance(item, NotationTable):
            out += [m for _, rows in item.groups for row in rows for m in row]
        elif isinstance(item, Box):
            out.append(item.tex)
    return [t for t in out if t]
