r"""The checker's diagnosis turned into a hint that points at the mistake without giving
the answer away.

A diagnosis says exactly what is wrong ("a term is missing: diag(c̃ ∘ σ′(z_i)) W_i"); a
student should find that term themselves. A hint is said from the diagnosis's
:class:`~gradsym.checker.diagnosis.Finding` — its kind, its block and the names of the
symbols it touches — and never prints a formula of the answer: it names the weights on a
missing path, the quantity whose derivative is wrong, the block that is wrong, or the
convention. A question may replace the hint of a kind by its own (``Question.hints``).
Hints are LaTeX prose (printed as Unicode in the terminal).
"""

from __future__ import annotations

from gradsym.checker.candidate import symbols
from gradsym.checker.diagnosis import Finding
from gradsym.lang.latex import notes_latex
from gradsym.symbolic import CellEquations

__all__ = ["finding_hint", "names_latex"]


def _latex(cell: CellEquations, name: str) -> str:
    table = symbols(cell)
    return f"${notes_latex(table[name], cell.style)}$" if name in table else ""


def names_latex(cell: CellEquations, names, only: str = "") -> str:
    """The symbols ``names`` of ``cell`` in print, joined with "and" (``only="weights"``:
    the matrices of the cell's parameters only)."""
    params = {p.name for p in cell.params if 1 not in p.shape}
    chosen = [n for n in names if n in params] if only == "weights" else list(names)
    shown = [s for s in (_latex(cell, n) for n in chosen) if s]
    if len(shown) <= 2:
        return " and ".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _vector(cell: CellEquations, name: str) -> str:
    return _latex(cell, name) or f"$\\mathbf{{{name}}}$"


def _block_words(block: str) -> tuple[str, str]:
    of, wrt = block.removeprefix("∂").split("/∂")
    return of, wrt


def finding_hint(finding: Finding, cell: CellEquations, of: str, wrt: str) -> str:
    """A hint (LaTeX prose) for ``finding`` in the Jacobian ∂``of``/∂``wrt`` of ``cell``."""
    if finding.block:
        of, wrt = _block_words(finding.block)
        where = rf"In the block $\partial {_vector(cell, of)[1:-1]}/\partial {_vector(cell, wrt)[1:-1]}$: "
    else:
        where = ""
    y, x = _vector(cell, of), _vector(cell, wrt)
    names = finding.names
    kind = finding.kind
    if kind == "transpose":
        text = (
            r"your matrix is the transpose of the Jacobian. The lecture writes Jacobians in "
            rf"numerator layout: row $\mu$ holds the derivatives of entry $\mu$ of {y}, "
            rf"column $\nu$ the derivatives with respect to entry $\nu$ of {x}."
        )
    elif kind == "sign":
        text = r"the sign of the whole answer is wrong."
    elif kind == "term-sign":
        weights = names_latex(cell, names, "weights")
        text = (
            "one term has the wrong sign"
            + (f" (the one with {weights})" if weights else "")
            + ": follow every minus sign of the equations into the derivative."
        )
    elif kind == "hadamard":
        text = (
            r"you wrote an entrywise product $\circ$ where the chain rule composes two "
            r"Jacobians by a matrix product."
        )
    elif kind == "function":
        argument = names[2] if len(names) > 2 else ""
        at = _latex(cell, argument)
        text = (
            "the derivative of an activation is wrong"
            + (f": look again at the function applied to {at}" if at else "")
            + ", and at its derivative."
        )
    elif kind == "transposed-factor":
        weights = names_latex(cell, names)
        text = (
            f"a matrix is transposed ({weights}). In numerator layout the Jacobian of "
            r"$\mathbf{W}_h \mathbf{h}^{(t-1)}$ with respect to $\mathbf{h}^{(t-1)}$ is "
            r"$\mathbf{W}_h$ itself."
        )
    elif kind == "slice":
        text = (
            f"you took the wrong columns of {names_latex(cell, names[:1])}: its columns are "
            "split between the vectors it multiplies."
        )
    elif kind == "constant":
        text = "a constant is rounded: write exact numbers (fractions) in your answer."
    elif kind == "missing-term":
        weights = names_latex(cell, names, "weights")
        if weights:
            text = (
                f"a term is missing: your answer has no path through {weights}. Every way in "
                f"which {y} depends on {x} through the equations gives one term."
            )
        else:
            text = (
                f"a term is missing: {y} also depends on {x} directly, not only through "
                "the weights."
            )
    elif kind == "extra-term":
        weights = names_latex(cell, names, "weights")
        text = (
            "your answer has a term too many"
            + (f" (the one with {weights})" if weights else "")
            + f": does {y} depend on {x} that way?"
        )
    elif kind == "gate-convention":
        gate = names_latex(cell, names[:1])
        text = (
            f"your answer exchanges {gate} and one minus it: check which of the two "
            f"multiplies {x} in the equations."
        )
    elif kind == "symbols-swapped":
        text = (
            "two symbols are exchanged: check which gate each weight matrix and each "
            "pre-activation belongs to."
        )
    elif kind == "wrong-symbol":
        wrote = names_latex(cell, names[:1])
        text = (
            f"{wrote} does not belong where you wrote it: check which gate or weights "
            "that term comes from."
        )
    elif kind == "blocks-exchanged":
        text = (
            "blocks are in the wrong places: block rows follow the order of the state, "
            "block columns the order of the variables."
        )
    else:
        text = "your answer is not the Jacobian."
    text = text[0].upper() + text[1:] if not where else text
    return where + text
