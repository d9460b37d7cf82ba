"""The two matrix-expression constructs SymPy lacks in the notes' form.

``Diag(v)``: diag(v), the n×n diagonal matrix of a vector v (n×1).
``Apply(f, v)``: f applied elementwise to a vector, f one of ``functions.SCALAR_MAPS``
(σ, σ', tanh, tanh', ReLU, ReLU', identity, identity').

Everything else is SymPy's own: ``MatrixSymbol`` for named vectors and matrices, ``MatMul``,
``MatAdd``, ``HadamardProduct`` (∘), ``Identity``, ``ZeroMatrix``, ``OneMatrix`` (the
vector of ones written 1 in (1 − u)), ``BlockMatrix`` for concatenation [a; b].
"""

from __future__ import annotations

import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions import MatrixExpr

from .functions import SCALAR_MAPS


class Diag(MatrixExpr):
    """diag(v): shape (k, k) for a vector v of shape (k, 1)."""

    def __new__(cls, vector: MatrixExpr):
        return super().__new__(cls, vector)

    @property
    def vector(self) -> MatrixExpr:
        return self.args[0]

    @property
    def shape(self):
        return (self.vector.shape[0], self.vector.shape[0])

    def _entry(self, i, j, **kwargs):
        return sp.KroneckerDelta(i, j) * self.vector._entry(i, 0, **kwargs)


class Apply(MatrixExpr):
    """f(v) elementwise, f named by a key of ``functions.SCALAR_MAPS``; shape of v."""

    def __new__(cls, name: str | Str, vector: MatrixExpr):
        name = Str(name) if isinstance(name, str) else name
        return super().__new__(cls, name, vector)

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def vector(self) -> MatrixExpr:
        return self.args[1]

    @property
    def shape(self):
        return self.vector.shape

    def _entry(self, i, j, **kwargs):
        return SCALAR_MAPS[self.name](self.vector._entry(i, j, **kwargs))
