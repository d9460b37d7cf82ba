r"""The matrix-expression constructs SymPy lacks in the notes' form.

``Diag(v)``: diag(v), the n×n diagonal matrix of a vector v (n×1).
``Apply(f, v)``: f applied elementwise to a vector, f one of ``symbolic_table.SCALAR_MAPS``
(σ, σ', tanh, tanh', ReLU, ReLU', identity, identity', exp, log, softplus, …).
``Pairwise(f, a, b)``: f applied entrywise to two vectors of one shape, f a row of the
table ``elementwise.PAIRWISE`` (max, min, logaddexp, the division a/b, the power a^b).

A scalar s (a 1×1 parameter such as FastGRNN's ζ) meets a vector v through the product
𝟏 s (n×1 times 1×1, :func:`gradsym.lang.broadcast.broadcast`): ζ v is
``HadamardProduct(𝟏 ζ, v)``.

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
from sympy import HadamardProduct, ImmutableDenseMatrix, MatAdd, MatMul, OneMatrix
from sympy.core.symbol import Str
from sympy.matrices.expressions import MatrixExpr

from .elementwise import PAIRWISE
from .symbolic_table import PAIRWISE_SCALARS, SCALAR_MAPS

PAIRWISE_OPERATORS = {f.name: f.operator is not None for f in PAIRWISE.values()}


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


class Pairwise(MatrixExpr):
    """f(a, b) entrywise, f named by a key of ``elementwise.PAIRWISE``; a and b of one shape."""

    def __new__(cls, name: str | Str, a: MatrixExpr, b: MatrixExpr):
        name = Str(name) if isinstance(name, str) else name
        return super().__new__(cls, name, a, b)

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def first(self) -> MatrixExpr:
        return self.args[1]

    @property
    def second(self) -> MatrixExpr:
        return self.args[2]

    @property
    def shape(self):
        return self.first.shape

    @property
    def is_operator(self) -> bool:
        """Written with an operator (a / b, a ** b), not as a call: an operand of another
        quotient or power takes parentheses."""
        return PAIRWISE_OPERATORS.get(self.name, False)

    def _entry(self, i, j, **kwargs):
        return PAIRWISE_SCALARS[self.name](
            self.first._entry(i, j, **kwargs), self.second._entry(i, j, **kwargs)
        )

    def _latex(self, printer, **kwargs) -> str:
        return _notes_latex(self)


# -- building blocks the tables' derivatives are written with -----------------------------


def ones_like(v: MatrixExpr) -> OneMatrix:
    return OneMatrix(v.shape[0], v.shape[1])


def negated(v: MatrixExpr) -> MatrixExpr:
    """−v, one flat product."""
    if not isinstance(v, MatMul):
        return MatMul(-1, v)
    coef = -sp.Mul(*[a for a in v.args if not getattr(a, "is_Matrix", False)])
    mats = [a for a in v.args if getattr(a, "is_Matrix", False)]
    return MatMul(coef, *mats) if coef != 1 else (MatMul(*mats) if len(mats) > 1 else mats[0])


def difference(a: MatrixExpr, b: MatrixExpr) -> MatrixExpr:
    """a − b."""
    return MatAdd(a, negated(b))


def hadamard_of(a: MatrixExpr, b: MatrixExpr) -> HadamardProduct:
    return HadamardProduct(a, b)


def hadamard_square(v: MatrixExpr) -> HadamardProduct:
    return HadamardProduct(v, v)


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
