"""Scalars among vectors: a 1×1 expression s (a scalar parameter such as FastGRNN's ζ)
meets a column vector through the product 𝟏 s (n×1 times 1×1): ζ v is
``HadamardProduct(𝟏 ζ, v)``. It is a true matrix product, so that shapes, differentiation
and evaluation need no rule of their own; the printers write it as the scalar, and a
constant vector c 𝟏 (max(v, 0.5)) as the number.

This module imports SymPy only: the printers and the parser read it.
"""

from __future__ import annotations

import sympy as sp
from sympy import HadamardProduct, MatAdd, MatMul, OneMatrix
from sympy.matrices.expressions import MatrixExpr


def broadcast(s: MatrixExpr, rows) -> MatMul:
    """The 1×1 ``s`` as a column of ``rows`` entries, 𝟏 s."""
    return MatMul(OneMatrix(rows, 1), s)


def broadcast_scalar(e) -> MatrixExpr | None:
    """s if ``e`` is 𝟏 s (a broadcast 1×1, :func:`broadcast`), else None."""
    if isinstance(e, MatMul):
        mats = [a for a in e.args if getattr(a, "is_Matrix", False)]
        if (
            len(mats) == 2
            and isinstance(mats[0], OneMatrix)
            and mats[0].shape[1] == 1
            and mats[1].shape == (1, 1)
            and len(e.args) == 2
        ):
            return mats[1]
    return None


def as_scalar(v):
    """A constant vector c 𝟏 as the number c, a broadcast 𝟏 ζ as ζ, anything else as itself:
    what the printers write for an argument of max(v, 0) or v^{1/2}."""
    s = broadcast_scalar(v)
    if s is not None:
        return s
    if isinstance(v, OneMatrix):
        return sp.S.One
    if isinstance(v, MatMul):
        mats = [a for a in v.args if getattr(a, "is_Matrix", False)]
        if len(mats) == 1 and isinstance(mats[0], OneMatrix):
            return sp.Mul(*[a for a in v.args if not getattr(a, "is_Matrix", False)])
    return v


def is_compound(v) -> bool:
    """Whether ``v``, printed as an argument of a / b or a^b, needs parentheses: a sum, a
    product, a quotient or a power; a negative or fractional constant."""
    s = as_scalar(v)
    if getattr(s, "is_Number", False):
        return bool(s.is_negative) or not s.is_Integer
    return isinstance(s, (MatAdd, HadamardProduct, MatMul)) or getattr(s, "is_operator", False)


__all__ = ["as_scalar", "broadcast", "broadcast_scalar", "is_compound"]
