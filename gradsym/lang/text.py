"""Compact forms as plain text in the notes' notation, for verdicts printed in a terminal:
diag(c_prev ∘ σ′(z_f)) W_f, (1 − u), W_hᵀ — names as a candidate writes them, products by
juxtaposition as the notes write them."""

from __future__ import annotations

import sympy as sp
from sympy import Identity, MatAdd, MatMul
from sympy.printing.str import StrPrinter

from gradsym.lang.broadcast import as_scalar, broadcast_scalar, is_compound
from gradsym.lang.elementwise import FUNCTIONS, PAIRWISE

# Elementwise maps by their name in ``Apply``: the function table's text (f and f').
FUNCTION_TEXT = {f.name: f.text for f in FUNCTIONS.values()} | {
    f.prime: f.text_prime for f in FUNCTIONS.values()
}


def _negative(term) -> bool:
    if not isinstance(term, MatMul):
        return False
    coef = sp.Mul(*[a for a in term.args if not getattr(a, "is_Matrix", False)])
    return coef.could_extract_minus_sign()


class NotesTextPrinter(StrPrinter):
    """One ``_print_<Class>`` per construct of the compact forms."""

    def _print_MatrixSymbol(self, expr):
        return expr.name

    def _print_Diag(self, expr):
        scalar = broadcast_scalar(expr.vector)
        if scalar is not None:  # diag(𝟏 ζ) = ζ I: written ζ
            return self._print(scalar)
        return f"diag({self._print(expr.vector)})"

    def _print_Apply(self, expr):
        return f"{FUNCTION_TEXT[expr.name]}({self._print(expr.vector)})"

    def _print_Pairwise(self, expr):
        f = PAIRWISE[expr.name]
        args = []
        for a, wrap in zip((expr.first, expr.second), f.text_wrap):
            s = self._print(as_scalar(a))
            args.append(f"({s})" if wrap and is_compound(a) else s)
        return f.text.format(*args)

    def _print_OneMatrix(self, expr):
        return "1"

    def _print_Identity(self, expr):
        return "I"

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _factor(self, expr) -> str:
        s = self._print(expr)
        quotient = getattr(expr, "is_operator", False)  # (a / b) ∘ c
        return f"({s})" if isinstance(expr, MatAdd) or quotient else s

    def _print_Transpose(self, expr):
        arg = expr.arg
        s = self._print(arg)
        return f"{s}ᵀ" if isinstance(arg, sp.MatrixSymbol) else f"({s})ᵀ"

    def _print_HadamardProduct(self, expr):
        scalars = [broadcast_scalar(a) for a in expr.args]  # ζ (1 − z), not ζ ∘ (1 − z)
        head = " ".join(
            f"({self._print(s)})" if isinstance(s, MatMul) else self._print(s)
            for s in scalars
            if s is not None
        )
        body = " ∘ ".join(self._factor(a) for a, s in zip(expr.args, scalars) if s is None)
        return f"{head} {body}".strip() if head else body

    def _print_MatMul(self, expr):
        coef = sp.Mul(*[a for a in expr.args if not getattr(a, "is_Matrix", False)])
        mats = [a for a in expr.args if getattr(a, "is_Matrix", False)]
        if broadcast_scalar(MatMul(*mats)) is not None:  # 𝟏 ζ is ζ
            mats = mats[1:]
        if len(mats) > 1:  # I A = A: a term of (I + B) A, printed as the notes write it
            mats = [m for m in mats if not isinstance(m, Identity)] or mats[:1]
        body = " ".join(self._factor(m) for m in mats)
        if coef == 1:
            return body
        if coef == -1:
            return "−" + body
        c = self._print(coef)
        if coef.could_extract_minus_sign():
            c = "−" + self._print(-coef)
        return f"{c} {body}"

    def _print_MatAdd(self, expr):
        terms = sorted(expr.args, key=_negative)  # positive terms first: 1 − u, h̃ − h
        out = ""
        for k, term in enumerate(terms):
            s = self._print(term)
            if s.startswith("−"):
                out += (" − " if k else "−") + s[1:]
            else:
                out += (" + " if k else "") + s
        return out

    def _print_BlockMatrix(self, expr):
        # [A, B; C, D]: blocks of a row side by side, rows stacked as the notes' [h; c]
        rows = [", ".join(self._print(b) for b in row) for row in expr.blocks.tolist()]
        return "[" + "; ".join(rows) + "]"

    def _print_MatrixSlice(self, expr):
        def part(bounds, size):
            lo, hi, _ = bounds
            lo_s = "" if lo == 0 else self._print(lo).replace("*", "")
            hi_s = "" if sp.expand(hi - size) == 0 else self._print(hi).replace("*", "")
            return f"{lo_s}:{hi_s}"

        rows, cols = expr.parent.shape
        return (
            f"{self._print(expr.parent)}[{part(expr.rowslice, rows)}, {part(expr.colslice, cols)}]"
        )


def notes_text(expr) -> str:
    """A compact form (or a term of one) as text in the notes' notation."""
    return NotesTextPrinter().doprint(expr)
