"""The notes document: ``notes.tex`` that ``\\input``s every claim in the order of the notes,
states the conventions once at the top and places the figures; and the folder that holds
it all (:func:`write_derivations`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gradsym.errors import InvalidValueError
from gradsym.files import atomic_write_text
from gradsym.notes.bibliography import thebibliography
from gradsym.notes.catalogue import claims as catalogue_claims
from gradsym.notes.claim import SECTIONS, Claim
from gradsym.notes.prose import check_prose

from .layout import TEX_HEADER, checks_markdown, checks_tex, cited_keys, claim_markdown, claim_tex
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

TITLE = "Vanishing and exploding gradients in recurrent networks"

#: Who the notes are for: ``student`` (the derivations; notes.tex) or ``instructor`` (the
#: same, and under each claim how every line was checked; notes-instructor.tex).
AUDIENCES = ("student", "instructor")

# Stated once, for every claim (LaTeX, for the notes' preamble section).
CONVENTIONS = (
    r"\paragraph{Conventions.} Jacobians are in numerator layout: "
    r"$\partial \mathbf{a}/\partial \mathbf{b}$ has entry $(i, j)$ equal to "
    r"$\partial a_i/\partial b_j$, so for a scalar loss $J$ the derivative "
    r"$\partial J/\partial \mathbf{h}^{(t)}$ is a row vector, and the chain rule multiplies "
    r"Jacobians with the latest step on the left: "
    r"$\prod_{j < t \leq i} \mathbf{A}_t = \mathbf{A}_i \mathbf{A}_{i-1} \cdots \mathbf{A}_{j+1}$. "
    r"For a matrix $\mathbf{W}$, $\partial J/\partial \mathbf{W}$ is the gradient, shaped like "
    r"$\mathbf{W}$. $\mathbf{X}^{\top}$ is the transpose; $T$ is the length of a sequence; "
    r"a superscript in parentheses is a time step ($\mathbf{h}^{(t)}$), any other superscript "
    r"a power ($\lambda^{\ell}$, $e^{-z}$). "
    r"Where a source writes the other (denominator) layout, its form is shown once, as the "
    r"transpose of ours. Each derivation restates the equations of the cells it uses and "
    r"defines every intermediate ($\mathbf{z}_f^{(t)}$, $\mathbf{a}_n^{(t)}$, "
    r"$\mathbf{g}_n^{(t)}$, \ldots) where it is used."
)

_PREFACE = {
    "student": (
        "These notes derive, line by line, why gradients vanish or explode when a recurrent "
        "network is trained by backpropagation through time, and how clipping, "
        "initialisation, gates and skip connections address it. Every line of every "
        "derivation was checked by computer before it was printed, exactly in rational "
        "arithmetic or numerically on random instances, most lines both ways. Sources in "
        "brackets are listed at the end."
    ),
    "instructor": (
        "These notes derive, line by line, why gradients vanish or explode when a recurrent "
        "network is trained by backpropagation through time, and how clipping, "
        "initialisation, gates and skip connections address it. This is the instructor's "
        "version: under each claim, a list says how every line of its derivation was "
        "checked, exactly in rational arithmetic, numerically in double precision, or both, "
        "and each displayed line is printed from the very expression its checks evaluate. "
        "Sources in brackets are listed at the end."
    ),
}

#: One motivating paragraph per section (LaTeX prose), printed before its claims.
INTRODUCTIONS = {
    "Backpropagation through time": (
        r"A recurrent network applies the same weights at every time step, so the gradient "
        r"of a loss at step $i$ with respect to a hidden state $j$ steps earlier is a product "
        r"of one Jacobian per step in between. Everything that follows comes from that "
        r"product: how many factors it has, what each factor looks like, and what happens "
        r"to the product as the gap grows. We first write it down exactly, and see that the "
        r"gradient of a shared weight is the sum of its contributions from every step."
    ),
    "Vanilla RNN": (
        r"For the plain recurrent network $\mathbf{h}^{(t)} = \sigma(\mathbf{W}_h "
        r"\mathbf{h}^{(t-1)} + \mathbf{W}_x \mathbf{x}^{(t)} + \mathbf{b})$ each factor of "
        r"the product is a diagonal matrix of derivatives of $\sigma$ times $\mathbf{W}_h$. "
        r"With $\sigma$ the identity the product is a matrix power, and its eigenvalues "
        r"decide everything: below one in modulus the gradient shrinks geometrically, above "
        r"one it can grow without bound. A saturating nonlinearity has a derivative of at "
        r"most $\gamma$ ($1$ for $\tanh$, $1/4$ for the sigmoid), so it can only add to the "
        r"shrinking. This is why a plain RNN learns near effects and forgets far ones."
    ),
    "Exploding gradients": (
        r"When the gradient explodes, one update of gradient descent can throw the "
        r"parameters far from where they were. The remedy used in practice is to clip the "
        r"gradient before the step: rescale it when its norm exceeds a threshold, or cut "
        r"each component. The two behave differently, and backpropagating through fewer "
        r"steps (truncation) is a third way to keep the product short."
    ),
    "Fixes for vanishing gradients": (
        r"Vanishing is harder to fix than exploding, because a small gradient cannot be "
        r"told apart from a converged one. The fixes change the product itself: an "
        r"orthogonal recurrent matrix keeps every singular value at one, ReLU units with an "
        r"identity recurrent matrix pass the gradient unchanged through the units that are "
        r"active, and skip connections add an identity term to each factor, which keeps the "
        r"product away from zero while the branches stay small."
    ),
    "LSTM": (
        r"The LSTM adds a memory cell $\mathbf{c}^{(t)}$ updated by addition, with gates "
        r"that decide what to keep, write and show. Along the cell's direct path the Jacobian "
        r"of one step is the diagonal matrix of the forget gate, so the gradient is multiplied by "
        r"numbers the network can learn to keep near one rather than by a fixed weight "
        r"matrix. We derive its Jacobians, the constant error carousel, the effect of the "
        r"forget-gate bias and the size of the model."
    ),
    "LSTM with peephole connections": (
        r"Peephole connections let the gates read the memory cell itself. The cell then "
        r"reaches the next state through the gates as well, and the Jacobians gain terms "
        r"that the plain LSTM does not have; we derive them in full."
    ),
    "GRU": (
        r"The GRU keeps the idea of the LSTM with fewer parts: an update gate interpolates "
        r"between the previous state and a candidate, and a reset gate decides how much of "
        r"the past the candidate sees. When the update gate keeps the old state, the "
        r"Jacobian of one step is close to the identity and the gradient passes through. "
        r"Sources write the gates in different notations and put the reset gate in one of "
        r"two places; we print each variant in its own notation, map one onto the other, "
        r"and say where they differ."
    ),
    "Bidirectional and multi-layer RNNs": (
        r"Reading a sequence in both directions gives each position a state that depends on "
        r"its whole context; stacking layers gives depth. Both multiply Jacobians along new "
        r"paths; a residual connection adds the identity to each layer's Jacobian, and we "
        r"bound how far the product of such factors can shrink."
    ),
    "Parameter counts": (
        r"How many parameters a model has is the first thing to know before training it. "
        r"Sharing the weights across time is what makes a recurrent layer small next to a "
        r"window of the same width fed to a multilayer perceptron. A gated cell repeats the "
        r"weights of a plain recurrent layer once per block: four times in the LSTM (three "
        r"gates and the candidate), three times in the GRU."
    ),
    "Declared cells": (
        r"A cell given by its equations: every Jacobian block of its state, derived and "
        r"checked in the same way as the cells above."
    ),
}


@dataclass(frozen=True)
class FigureRef:
    """A figure of ``gradsym figures`` as the notes place it: name, claims, caption (LaTeX
    prose, printed as it is)."""

    name: str
    claims: tuple[str, ...]
    caption: str


def figure_refs() -> list[FigureRef]:
    """Every figure, with the claims it illustrates and its caption (the module's
    ``CAPTION``, LaTeX prose checked by :func:`check_prose`)."""
    from gradsym.render.figures import figure_module, figure_names

    out = []
    for name in figure_names():
        module = figure_module(name)
        caption = check_prose(module.CAPTION, f"figure {name!r}, caption")
        out.append(FigureRef(name, tuple(module.CLAIMS), caption))
    return out


def notes_name(audience: str = "student") -> str:
    """The notes document for ``audience``: notes.tex (student) or notes-instructor.tex."""
    if audience not in AUDIENCES:
        raise InvalidValueError(f"audience must be one of {', '.join(AUDIENCES)}, got {audience!r}")
    return NOTES if audience == "student" else "notes-instructor.tex"


def figures_after(
    claims: Sequence[Claim], figures: Sequence[FigureRef]
) -> dict[str, list[FigureRef]]:
    """Each figure under the id of the last of its claims in ``claims`` (where the notes,
    the Markdown notes and the slides place it); a figure none of whose claims is shown is
    left out."""
    order = {c.id: k for k, c in enumerate(claims)}
    after: dict[str, list[FigureRef]] = {}
    for fig in figures:
        shown = [i for i in fig.claims if i in order]
        if shown:
            after.setdefault(max(shown, key=order.__getitem__), []).append(fig)
    return after


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def notes_tex(
    claims: Sequence[Claim],
    figures: Sequence[FigureRef],
    figures_rel: str = "../figures",
    audience: str = "student",
) -> str:
    """``notes.tex``: an article that inputs every claim's file and places the figures.

    Each section opens with its motivating paragraph (:data:`INTRODUCTIONS`); each figure
    follows the last of its claims (in the order of ``claims``) and is referenced from the
    text; the bibliography (every work the claims cite) closes it. ``figures_rel`` is the
    figures folder relative to the folder of notes.tex (``/`` separators). For the
    ``instructor`` each claim is followed by its ``<id>-checks.tex`` (how every line was
    checked). Each section closes with its exercises (their solutions for the instructor).
    """
    from gradsym.render.exercises import section_exercises_tex

    notes_name(audience)
    order = {c.id: k for k, c in enumerate(claims)}
    after = figures_after(claims, figures)
    title = TITLE + (r" \\ \large instructor's notes" if audience == "instructor" else "")
    out = [
        TEX_HEADER,
        r"\documentclass[10pt,a4paper]{article}",
        r"\usepackage[margin=2.5cm]{geometry}",
        r"\usepackage{amsmath}",
        r"\usepackage{amssymb}",
        r"\usepackage{bm}",
        r"\usepackage{graphicx}",
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.5ex plus 0.2ex}",
        r"\setlength{\emergencystretch}{3em}",
        r"% the same PDF bytes on every run",
        r"\ifdefined\pdftrailerid \pdftrailerid{} \pdfinfoomitdate=1 \pdfsuppressptexinfo=-1 \fi",
        rf"\title{{{title}}}",
        r"\author{generated by gradsym}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        "",
        check_prose(_PREFACE[audience], "preface"),
        "",
        CONVENTIONS,
        "",
    ]
    keys: list[str] = []
    for section in SECTIONS:
        members = [c for c in claims if c.section == section]
        if not members:
            continue
        intro = check_prose(INTRODUCTIONS[section], f"section {section!r}, introduction")
        out += [rf"\section{{{check_prose(section, 'section')}}}", "", intro, ""]
        for claim in members:
            keys += cited_keys(claim)
            out.append(rf"\input{{{claim.id}}}")
            if audience == "instructor":
                out.append(rf"\input{{{claim.id}-checks}}")
            for fig in after.get(claim.id, []):
                shown = sorted((i for i in fig.claims if i in order), key=order.__getitem__)
                refs = [rf"\ref{{claim:{i}}}" for i in shown]
                word = "Section" if len(refs) == 1 else "Sections"
                keys += re.findall(r"\\cite\{([^}]*)\}", fig.caption)
                out += [
                    "",
                    rf"Figure~\ref{{fig:{fig.name}}} illustrates {word}~{_and(refs)}.",
                    "",
                    r"\begin{figure}[htbp]",
                    r"\centering",
                    rf"\includegraphics[width=\linewidth]{{{figures_rel}/{fig.name}.pdf}}",
                    rf"\caption{{{fig.caption}}}",
                    rf"\label{{fig:{fig.name}}}",
                    r"\end{figure}",
                    "",
                ]
        exercises = section_exercises_tex(section, audience)
        if exercises:
            out += ["", exercises]
        out.append("")
    keys = [k.strip() for group in keys for k in group.split(",")]
    if keys:
        out += thebibliography(keys) + [""]
    out += [r"\end{document}", ""]
    return "\n".join(out)


def write_derivations(
    out_dir: str | Path,
    ids: Iterable[str] | None = None,
    *,
    figures_dir: str | Path | None = None,
    audience: str = "student",
) -> list[Path]:
    """Write, for the claims ``ids`` (default: all), ``<id>.tex`` and ``<id>.md`` (the
    claim) and ``<id>-checks.tex`` and ``<id>-checks.md`` (how each line was checked) into
    ``out_dir``.

    With ``ids`` None also the notes document for ``audience`` (:func:`notes_name`:
    notes.tex for the student, notes-instructor.tex for the instructor), which includes
    the figures from ``figures_dir`` (default: the ``figures`` folder beside ``out_dir``),
    by their path relative to ``out_dir``. With ``ids`` given, the notes are left as they
    are. Every file is written atomically; everything is rendered before the first file is
    written, so a bad claim writes nothing. Returns the written paths in order.

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
        files.append((name, notes_tex(chosen, figure_refs(), rel, audience)))
        from .markdown_notes import markdown_name, notes_markdown  # notes.md beside notes.tex

        # The Markdown notes link their figures from figures/ beside them: the folder
        # travels with the file (copy both), where ../figures would break.
        files.append(
            (markdown_name(audience), notes_markdown(chosen, figure_refs(), "figures", audience))
        )
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
