"""Symbols of declared cells, each carrying its own LaTeX.

A declared cell (``gradsym.cell_from_equations``) names its vectors and parameters freely
(``w_h``, ``lambda_``, ``h_tilde``, ``B``). Its symbols are :class:`DeclaredVector` and
:class:`DeclaredParameter`: MatrixSymbols whose LaTeX lives with the symbol
(``_gradsym_latex``, the print method of :class:`gradsym.lang.latex.NotesLatexPrinter`), so no global
table is extended. A name the notes already use prints as the notes print it (``W_f`` is
\\mathbf{W}_f, ``c_tilde`` is \\tilde{\\mathbf{c}}^{(t)}); any other follows the notes' rules:

    h_prev → \\mathbf{h}^{(t-1)}     a vector at t → \\mathbf{v}^{(t)}     v_tilde → \\tilde{…}
    W_f → \\mathbf{W}_f   w_h → \\mathbf{w}_h   b_hn → \\mathbf{b}_{hn}   lambda_ → \\boldsymbol{\\lambda}

A declared cell is reachable by name through the cell registry (:mod:`gradsym.cells`).
"""

from __future__ import annotations

from sympy import MatrixSymbol

from gradsym.lang.names import LATEX, RELABELLED, STYLES

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega",
}  # fmt: skip


def _letter(base: str, bold: bool = True) -> str:
    word = base.rstrip("_")
    if word.lower() in _GREEK:
        tex = "\\" + (word if word.islower() else word.capitalize())
        return rf"\boldsymbol{{{tex}}}" if bold else tex
    return rf"\mathbf{{{word}}}" if bold else word


def symbol_latex(name: str, time: str | None, style: str = "001", scalar: bool = False) -> str:
    """The LaTeX of a declared name: the notes' own for a name they use, else by the rules
    above; ``time`` is "t", "t-1" or None (a parameter); a ``scalar`` (a 1×1 parameter such
    as ζ) is not bold."""
    override = STYLES.get(style, {})
    if name in override:
        return override[name]
    if name in LATEX and name not in RELABELLED and (time is not None or "^{(" not in LATEX[name]):
        return LATEX[name]  # the notes' own (a parameter never takes a vector's time step)
    base = name.removesuffix("_prev")
    tilde = base.endswith("_tilde")
    base = base.removesuffix("_tilde")
    word, _, sub = base.rstrip("_").partition("_")
    tex = _letter(word or base, bold=not scalar)
    if sub:
        sub_tex = sub.replace("_", "")
        if sub_tex.lower() in _GREEK:  # z_lambda: z_λ
            sub_tex = "\\" + sub_tex
        tex += f"_{sub_tex}" if len(sub_tex) == 1 else f"_{{{sub_tex}}}"
    if tilde:
        tex = rf"\tilde{{{tex}}}"
    if time:
        tex += f"^{{({time})}}"
    return tex


class DeclaredVector(MatrixSymbol):
    """A vector of a declared cell (a state, the input, an intermediate); prints with its
    time step, ``h_prev`` at t − 1 and the others at t."""

    def _gradsym_latex(self, printer) -> str:
        time = "t-1" if self.name.endswith("_prev") else "t"
        return symbol_latex(self.name, time, getattr(printer, "style", "001"))


class DeclaredParameter(MatrixSymbol):
    """A parameter (matrix or vector) of a declared cell; prints without a time step."""

    def _gradsym_latex(self, printer) -> str:
        scalar = self.shape == (1, 1)
        return symbol_latex(self.name, None, getattr(printer, "style", "001"), scalar)


__all__ = [
    "DeclaredParameter",
    "DeclaredVector",
    "symbol_latex",
]
