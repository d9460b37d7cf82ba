"""Named objects for the left- and right-hand sides of steps: ∂J⁽⁴⁾/∂h⁽¹⁾, ‖ĝ‖, W_hˡ, ….

The cells' own vectors and matrices come from :mod:`gradsym.symbolic` (``W_h``, ``h_prev``,
``z_f`` …, printed in the notes' notation by ``NotesLatexPrinter``). What a derivation
needs besides them — a partial derivative across several steps, a gradient, a norm, a
threshold — is a :class:`NamedMatrix` or :class:`NamedScalar`: a SymPy symbol that prints
its plain-text name with ``str`` and its LaTeX with the notes' printer (``_gradsym_latex``)
or SymPy's own ``latex``. The LaTeX of each name is kept in one table, ``LATEX``.
"""

from __future__ import annotations

import sympy as sp
from sympy import MatrixSymbol

from gradsym.symbolic.notation import d as d_sym
from gradsym.symbolic.notation import n as n_sym

# plain-text name -> LaTeX, filled by ``matrix``/``scalar``/``partial``.
LATEX: dict[str, str] = {}


class NamedMatrix(MatrixSymbol):
    """A matrix (or vector) symbol with its own LaTeX, e.g. ∂J⁽ⁱ⁾/∂h⁽ʲ⁾."""

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return LATEX.get(self.name, self.name)

    def _latex(self, printer, **kwargs) -> str:
        return LATEX.get(self.name, self.name)


class NamedScalar(sp.Symbol):
    """A scalar symbol with its own LaTeX, e.g. ‖ĝ‖ or the threshold."""

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return LATEX.get(self.name, self.name)

    def _latex(self, printer, **kwargs) -> str:
        return LATEX.get(self.name, self.name)


def matrix(text: str, latex: str, rows=n_sym, cols=n_sym) -> NamedMatrix:
    """A named matrix printing as ``text`` (str) and ``latex`` (LaTeX)."""
    LATEX[text] = latex
    return NamedMatrix(text, rows, cols)


def scalar(text: str, latex: str, **assumptions) -> NamedScalar:
    """A named scalar printing as ``text`` and ``latex``."""
    LATEX[text] = latex
    return NamedScalar(text, **assumptions)


_SUP = str.maketrans("0123456789+-()tijklℓ", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ᵗⁱʲᵏˡˡ")


def _time_text(name: str, time: str) -> str:
    return f"{name}⁽{time.translate(_SUP)}⁾" if time else name


_SUB_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_ARROWS = {"→": r"\overrightarrow", "←": r"\overleftarrow"}


def _base_latex(name: str) -> str:
    """LaTeX of a letter as ``partial`` writes it: J, L in italics, vectors in bold; a
    trailing arrow (h→, h← of a bidirectional RNN) goes over the letter, a trailing
    subscript digit (h₁, h₂ of stacked layers) becomes a subscript."""
    if name in ("J", "L"):
        return name
    arrow = _ARROWS.get(name[-1:])
    if arrow is not None:
        return rf"{arrow}{{{_base_latex(name[:-1])}}}"
    letter = name.rstrip("₀₁₂₃₄₅₆₇₈₉")
    layer = name[len(letter) :].translate(_SUB_DIGITS)
    base = rf"\mathbf{{{letter}}}"
    if layer:
        base += f"_{layer}" if len(layer) == 1 else f"_{{{layer}}}"
    return base


def partial(of: str, of_time: str, wrt: str, wrt_time: str, rows=n_sym, cols=n_sym) -> NamedMatrix:
    """∂of⁽of_time⁾/∂wrt⁽wrt_time⁾, e.g. ``partial("h", "t", "h", "t-1")``.

    ``of``/``wrt`` are letters (h, c, J, s); J prints in italics, vectors in bold.
    """

    def tex(name: str, time: str) -> str:
        base = _base_latex(name)
        return f"{base}^{{({time})}}" if time else base

    text = f"∂{_time_text(of, of_time)}/∂{_time_text(wrt, wrt_time)}"
    latex = rf"\frac{{\partial {tex(of, of_time)}}}{{\partial {tex(wrt, wrt_time)}}}"
    return matrix(text, latex, rows, cols)


def product(text: str, latex: str, rows=n_sym, cols=n_sym) -> NamedMatrix:
    """A product written as the notes write it (∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾) — one symbol."""
    return matrix(text, latex, rows, cols)


n = n_sym
d = d_sym
