"""LaTeX in the notes' notation: one LatexPrinter subclass, one method per construct.

Names come from ``notation.LATEX`` (\\mathbf{W}_h, \\mathbf{h}^{(t-1)}, \\tilde{\\mathbf{c}}^{(t)}),
diag(v) prints as \\operatorname{diag}, the Hadamard product as \\circ, σ and σ' as named
functions, sums keep the order of the derivation (SymPy's printer would sort them), the
all-ones vector in (1 − u) prints as 1, the Heaviside step as \\operatorname{step} (SymPy's
\\theta is the notes' parameters) and ∞ as \\infty. Nested parts go through ``self._print``.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy import HadamardProduct, MatAdd, MatrixBase, MatrixSymbol
from sympy.core.function import AppliedUndef, _coeff_isneg
from sympy.printing.latex import LatexPrinter

from gradsym.lang.broadcast import as_scalar, broadcast_scalar, is_compound
from gradsym.lang.elementwise import FUNCTIONS, PAIRWISE
from gradsym.lang.names import latex_name
from gradsym.lang.symbolic_table import FUNCTION_CLASSES, OWN_CLASSES

# Elementwise maps by their name in ``Apply``: the function table's LaTeX (f and f'), and
# the generic activation φ of the notes' RNN before its activation is chosen (printed only,
# never evaluated).
FUNCTION_LATEX: dict[str, str] = (
    {f.name: f.latex for f in FUNCTIONS.values()}
    | {f.prime: f.latex_prime for f in FUNCTIONS.values()}
    | {
        "phi": r"\phi",
        "phi'": r"\phi'",
    }
)

_ENTRY = re.compile(r"^(?P<name>[A-Za-z_0-9]+)\[(?P<idx>[0-9,]+)\]$")
_TIME_SUPERSCRIPT = re.compile(r"\^\{\([^{}]*\)\}$")
_BOLD_VECTOR = re.compile(
    r"(?P<accent>\\tilde\{)?\\mathbf\{(?P<letter>[A-Za-z])\}\}?"
    r"(?:_(?P<sub>[A-Za-z0-9]))?(?P<time>\^\{\([^{}]*\)\})?"
)
# The derivative of a named function, f'(z): the table's, and SymPy's exp.
_FUNCTION_PRIME = {
    cls.__name__: f.latex_prime for cls, (f, is_prime) in FUNCTION_CLASSES.items() if not is_prime
} | {"exp": r"\exp'"}


class NotesLatexPrinter(LatexPrinter):
    """LaTeX of compact and explicit Jacobians as the lecture notes write them.

    ``style`` picks the gate names: "001" (f, i, o, u, r of CS224n) or "003" (Γ_f, Γ_u, Γ_o).
    """

    printmethod = "_gradsym_latex"

    def __init__(self, settings: dict | None = None, style: str = "001") -> None:
        super().__init__(settings)
        self.style = style

    def _print_MatrixSymbol(self, expr, style=None):
        own = getattr(expr, "latex", None)  # a Labelled vector prints as itself
        return own if isinstance(own, str) else latex_name(expr.name, self.style)

    def _print_Symbol(self, expr, style="plain"):
        # Explicit entries are named "W_h[0,1]": print [\mathbf{W}_h]_{1,2}, 1-based.
        m = _ENTRY.match(expr.name)
        if m is None:
            return super()._print_Symbol(expr, style)
        idx = ",".join(str(int(k) + 1) for k in m["idx"].split(","))
        return rf"\left[{latex_name(m['name'], self.style)}\right]_{{{idx}}}"

    def _print_Diag(self, expr):
        scalar = broadcast_scalar(expr.vector)
        if scalar is not None:  # diag(𝟏 ζ) = ζ I: written ζ
            return self._print(scalar)
        return rf"\operatorname{{diag}}\left({self._print(expr.vector)}\right)"

    def _print_Apply(self, expr):
        f = FUNCTIONS.get(expr.name)
        if f is not None and f.latex_call is not None:  # \sqrt{z}, |z|
            return f.latex_call.format(self._print(expr.vector))
        return rf"{FUNCTION_LATEX[expr.name]}\left({self._print(expr.vector)}\right)"

    def _print_Pairwise(self, expr):
        f = PAIRWISE[expr.name]
        args = []
        for a, wrap in zip((expr.first, expr.second), f.latex_wrap):
            s = self._print(as_scalar(a))
            # a base with a superscript of its own, h^{(t)}, is wrapped too, and a function
            # value: (σ(λ))^{c r}, as σ^{k}(z) would read as a composition
            enclose = is_compound(a) or "^" in s or s.endswith(r"\right)")
            args.append(rf"\left({s}\right)" if wrap and enclose else s)
        return f.latex.format(*args)

    def _print_Heaviside(self, expr, exp=None):
        # SymPy writes \theta(z), which the notes use for the parameters: print step(z).
        base = r"\operatorname{step}"
        if exp is not None:
            base = rf"{base}^{{{exp}}}"
        return rf"{base}\left({self._print(expr.args[0])}\right)"

    def _print_Function(self, expr, exp=None):
        # The table's functions SymPy lacks (σ, ReLU, ReLU') print with the table's LaTeX.
        own = OWN_CLASSES.get(type(expr))
        if own is not None:
            f, is_prime = own
            base = f.latex_prime if is_prime else f.latex
            value = rf"{base}\left({self._print(expr.args[0])}\right)"
            # a power of σ(z) is (σ(z))^k: σ^k(z) would read as a k-fold composition
            return value if exp is None else rf"\left({value}\right)^{{{exp}}}"
        # An undefined function (the σ of "any σ") prints as σ(z), not SymPy's \sigma{(z)}.
        if not isinstance(expr, AppliedUndef):
            return super()._print_Function(expr, exp)
        name = self._print(sp.Symbol(expr.func.__name__))
        if exp is not None:
            name = f"{name}^{{{exp}}}"
        args = ", ".join(self._print(a) for a in expr.args)
        return rf"{name}\left({args}\right)"

    def _print_Integer(self, expr):
        # 1\,000\,100: digits in groups of three from five digits on, as the notes print them
        digits = str(abs(int(expr)))
        if len(digits) < 5:
            return str(expr)
        groups = [digits[max(k - 3, 0) : k] for k in range(len(digits), 0, -3)][::-1]
        return ("-" if expr < 0 else "") + r"\,".join(groups)

    def _print_NumberSymbol_latex(self, expr):
        # printmethod "_gradsym_latex" hides SymPy's own ``_latex`` of these atoms, so the
        # base printer would fall back to \text{Infinity}; use their ``_latex``.
        return expr._latex(self)

    _print_Infinity = _print_NumberSymbol_latex
    _print_NegativeInfinity = _print_NumberSymbol_latex
    _print_ComplexInfinity = _print_NumberSymbol_latex
    _print_NaN = _print_NumberSymbol_latex
    _print_Pi = _print_NumberSymbol_latex
    _print_ImaginaryUnit = _print_NumberSymbol_latex
    _print_EulerGamma = _print_NumberSymbol_latex
    _print_GoldenRatio = _print_NumberSymbol_latex
    _print_Catalan = _print_NumberSymbol_latex

    def _print_OneMatrix(self, expr):
        return "1"

    def _print_Identity(self, expr):
        return r"\mathbf{I}"

    def _print_ZeroMatrix(self, expr):
        return r"\mathbf{0}"

    def _as_ordered_terms(self, expr, order=None):
        # t − k, not SymPy's −k + t: leading negative terms move behind the first positive one
        terms = list(super()._as_ordered_terms(expr, order=order))
        lead = 0
        while lead < len(terms) and _coeff_isneg(terms[lead]):
            lead += 1
        if 0 < lead < len(terms):
            terms = [terms[lead], *terms[:lead], *terms[lead + 1 :]]
        return terms

    def _factor(self, expr) -> str:
        s = self._print(expr)
        return rf"\left({s}\right)" if isinstance(expr, (MatAdd, HadamardProduct)) else s

    def _print_HadamardProduct(self, expr):
        def factor(a):
            s = self._print(a)
            return rf"\left({s}\right)" if isinstance(a, MatAdd) else s

        # a scalar (𝟏 ζ) multiplies as the notes write it, ζ (1 − z), not ζ ∘ (1 − z)
        scalars = [broadcast_scalar(a) for a in expr.args]
        head = " ".join(
            rf"\left({self._print(s)}\right)" if isinstance(s, sp.MatMul) else self._print(s)
            for s in scalars
            if s is not None
        )  # (W_B x) (1 − a): a scalar that is a product, in parentheses
        rest = [a for a, s in zip(expr.args, scalars) if s is None]
        body = r" \circ ".join(factor(a) for a in rest)
        return f"{head} {body}".strip() if head else body

    def _print_MatMul(self, expr):
        coef = sp.Mul(*[a for a in expr.args if not getattr(a, "is_Matrix", False)])
        mats = [a for a in expr.args if getattr(a, "is_Matrix", False)]
        if broadcast_scalar(sp.MatMul(*mats)) is not None:  # 𝟏 ζ is ζ
            mats = mats[1:]
        # the all-ones vector is "1" in 1 − u, but 𝟏 (bold) when something multiplies it
        body = " ".join(
            r"\mathbf{1}" if isinstance(m, sp.OneMatrix) and m.shape != (1, 1) else self._factor(m)
            for m in mats
        )
        if coef == 1:
            return body
        if coef == -1:
            return "-" + body
        scalar = self._print(coef)
        if isinstance(coef, sp.Add):  # (1 − η) W, not 1 − η W
            scalar = rf"\left({scalar}\right)"
        return f"{scalar} {body}"

    def _print_MatAdd(self, expr):
        # Keep the derivation's order; SymPy's default sorts the terms.
        out = ""
        for k, term in enumerate(expr.args):
            s = self._print(term)
            if s.startswith("-"):
                out += (" - " if k else "-") + s[1:].lstrip()
            else:
                out += (" + " if k else "") + s
        return out

    def _print_Transpose(self, expr):
        # ⊤ for the transpose (T is the sequence length); h^{(t-1)⊤} inside the superscript
        arg = expr.arg
        s = self._print(arg)
        if isinstance(arg, (MatrixSymbol, MatrixBase)) or getattr(arg, "is_Symbol", False):
            m = _TIME_SUPERSCRIPT.search(s)
            if m is not None:
                return s[: m.end() - 1] + r"\top}"
            if "^" not in s:
                return rf"{s}^{{\top}}"
        if getattr(arg, "script", None) == "time":  # a family member h^{(t)}
            return s[:-1] + r"\top}"
        if getattr(arg, "script", None) == "sub":
            return rf"{s}^{{\top}}"
        return rf"\left({s}\right)^{{\top}}"

    def _print_Inverse(self, expr):
        s = self._print(expr.arg)
        if isinstance(expr.arg, MatrixSymbol) and "^" not in s:
            return rf"{s}^{{-1}}"
        return rf"\left({s}\right)^{{-1}}"

    def _print_MatPow(self, expr):
        base, exp = expr.base, expr.exp
        s = self._print(base)
        simple = (
            isinstance(base, (MatrixSymbol, MatrixBase)) or getattr(base, "script", "") == "sub"
        )
        if simple and "^" not in s:
            return f"{s}^{{{self._print(exp)}}}"
        return rf"\left({s}\right)^{{{self._print(exp)}}}"

    def _print_Derivative(self, expr):
        # f'(z) for the derivative of a named function at its argument; ∂a/∂b otherwise
        (var, count), *rest = expr.variable_count
        inner = expr.expr
        if not rest and count == 1 and isinstance(inner, sp.Function) and inner.args == (var,):
            name = _FUNCTION_PRIME.get(type(inner).__name__)
            if name is None and isinstance(inner, AppliedUndef):
                name = self._print(sp.Symbol(type(inner).__name__)) + "'"
            if name is not None:
                return rf"{name}\left({self._print(var)}\right)"
        return rf"\frac{{\partial {self._print(inner)}}}{{\partial {self._print(var)}}}"

    def _print_Indexed(self, expr):
        # entries as the notes write them: h_i^{(t)}, h_j^{(t-1)}, [W_h]_{ij}, b_i
        label = str(expr.base.label)
        idx = "".join(self._print(i) for i in expr.indices)
        name = latex_name(label, self.style)
        if len(expr.indices) == 1:
            m = _BOLD_VECTOR.fullmatch(name)
            if m is not None and bool(m["accent"]) == name.startswith(r"\tilde"):
                sub = f"{m['sub']},{idx}" if m["sub"] else idx
                letter = rf"\tilde{{{m['letter']}}}" if m["accent"] else m["letter"]
                return f"{letter}_{{{sub}}}" + (m["time"] or "")
        return rf"\left[{name}\right]_{{{idx}}}"

    def _print_BlockMatrix(self, expr):
        rows = [" & ".join(self._print(b) for b in row) for row in expr.blocks.tolist()]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def notes_latex(expr, style: str = "001") -> str:
    """LaTeX of a SymPy (matrix) expression in the notes' notation."""
    return NotesLatexPrinter(style=style).doprint(expr)


def derivative_latex(of: str, wrt: str, style: str = "001") -> str:
    """\\frac{\\partial \\mathbf{h}^{(t)}}{\\partial \\mathbf{h}^{(t-1)}} for two named vectors."""
    return rf"\frac{{\partial {latex_name(of, style)}}}{{\partial {latex_name(wrt, style)}}}"


__all__ = ["FUNCTION_LATEX", "NotesLatexPrinter", "derivative_latex", "notes_latex"]
