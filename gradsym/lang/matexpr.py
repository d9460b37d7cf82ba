r"""The two matrix-expression constructs SymPy lacks in the notes' form.

``Diag(v)``: diag(v), the n×n diagonal matrix of a vector v (n×1).
``Apply(f, v)``: f applied elementwise to a vector, f one of ``symbolic_table.SCALAR_MAPS``
(σ, σ', tanh, tanh', ReLU, ReLU', identity, identity').

Everything else is SymPy's own: ``MatrixSymbol`` for named vectors and matrices, ``MatMul``,
``MatAdd``, ``HadamardProduct`` (∘), ``Identity``, ``ZeroMatrix``, ``OneMatrix`` (the
vector of ones written 1 in (1 − u)), ``BlockMatrix`` for concatenation [a; b].

``NotesMatrix``: an explicit matrix (``Jacobian.explicit(n)``), SymPy's immutable matrix
that prints its entries as the notes do.

SymPy's own ``latex`` (and so ``init_printing`` and Jupyter) prints ``Diag``, ``Apply`` and
``NotesMatrix`` through their ``_latex`` hooks, which hand the whole sub-expression to the
notes' printer (:func:`gradsym.lang.latex.notes_latex`): diag(σ'(z^{(t)})),
h^{(t-1)}, h̃^{(t)}, [W_f]_{1,2} instead of ``\operatorname{Apply}(sigmoid', z)`` and
``U_{f[0,0]}``. (The notes' printer itself never calls these hooks: its print method is
``_gradsym_latex``.)
"""

from __future__ import annotations

import sympy as sp
from sympy import ImmutableDenseMatrix
from sympy.core.symbol import Str
from sympy.matrices.expressions import MatrixExpr

from .symbolic_table import SCALAR_MAPS


def _notes_latex(expr) -> str:
    from gradsym.lang.latex import notes_latex

    return notes_latex(expr)


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

    def _latex(self, printer, **kwargs) -> str:
        return _notes_latex(self)


class Apply(MatrixExpr):
    """f(v) elementwise, f named by a key of ``symbolic_table.SCALAR_MAPS``; shape of v."""

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

    def _latex(self, printer, **kwargs) -> str:
        return _notes_latex(self)


class NotesMatrix(ImmutableDenseMatrix):
    """An explicit matrix whose LaTeX is the notes' (entries [W_f]_{i,j}, σ, σ'); equal to,
    and hashing like, the plain immutable matrix of the same entries."""

    @classmethod
    def of(cls, matrix) -> NotesMatrix:
        """``matrix``'s entries in a NotesMatrix (the constructor would hand an immutable
        matrix back unchanged)."""
        return cls(matrix.rows, matrix.cols, list(matrix))

    def _latex(self, printer, **kwargs) -> str:
        return _notes_latex(self)

    def __hash__(self) -> int:
        # Basic hashes the class name with the content: hash as the plain matrix, which
        # compares equal (a dict or set must find either by the other).
        return hash((ImmutableDenseMatrix.__name__,) + self._hashable_content())

    __eq__ = ImmutableDenseMatrix.__eq__
