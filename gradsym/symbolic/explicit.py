"""Explicit Jacobians at fixed sizes: every entry a scalar symbol, built by SymPy.

The cell's equations are evaluated entry by entry (W_h becomes the n×n matrix of symbols
``W_h[i,j]``, σ the opaque ``sigmoid`` whose derivative is σ(1 − σ)), and the Jacobian is
``Matrix.jacobian`` of the resulting vector of scalar expressions — SymPy's scalar
differentiation, independent of the matrix calculus in ``calculus.py``. The same
interpreter (``evaluate``) expands a compact form at fixed sizes, so the two can be
compared entry by entry (``proof.py``).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy import MatrixSymbol
from sympy.matrices.expressions import MatrixExpr

from gradsym.lang.names import d as d_sym
from gradsym.lang.names import entry_symbol
from gradsym.lang.names import n as n_sym
from gradsym.lang.symbolic_table import PAIRWISE_SCALARS, SCALAR_MAPS
from gradsym.lang.visitor import MatrixVisitor

from ..errors import InvalidValueError
from .equations import CellEquations

Env = dict  # {MatrixSymbol: sympy.ImmutableMatrix}


def check_size(name: str, value: object) -> int:
    """A size must be a positive int: InvalidValueError naming the argument otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _dim(expr: sp.Expr, sizes: dict) -> int:
    return int(sp.sympify(expr, strict=True).subs(sizes))


def symbols_of(sym: MatrixSymbol, sizes: dict) -> sp.ImmutableMatrix:
    """The explicit matrix of entry symbols of a named vector or matrix."""
    rows, cols = _dim(sym.shape[0], sizes), _dim(sym.shape[1], sizes)
    if sym.shape[1] == 1:  # a vector by its symbolic shape (W_h at n = 1 is still a matrix)
        return sp.ImmutableMatrix(rows, 1, [entry_symbol(sym.name, i) for i in range(rows)])
    return sp.ImmutableMatrix(rows, cols, lambda i, j: entry_symbol(sym.name, i, j))


class _Explicit(MatrixVisitor):
    """The explicit matrix of a matrix expression: one ``_print_<Class>`` per construct."""

    def __init__(self, env: Env, sizes: dict) -> None:
        super().__init__()
        self.env, self.sizes = env, sizes

    def _print_MatrixSymbol(self, e):
        return self.env[e]

    def _print_MatAdd(self, e):
        out = self._print(e.args[0])
        for t in e.args[1:]:
            out = out + self._print(t)
        return out

    def _print_MatMul(self, e):
        coef = sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)])
        mats = [self._print(a) for a in e.args if getattr(a, "is_Matrix", False)]
        out = mats[0]
        for m in mats[1:]:
            out = out * m
        return out if coef == 1 else coef * out

    def _print_HadamardProduct(self, e):
        out = self._print(e.args[0])
        for t in e.args[1:]:
            out = out.multiply_elementwise(self._print(t))
        return out

    def _print_Apply(self, e):
        return self._print(e.vector).applyfunc(SCALAR_MAPS[e.name])

    def _print_Pairwise(self, e):
        a, b = self._print(e.first), self._print(e.second)
        f = PAIRWISE_SCALARS[e.name]
        return sp.ImmutableMatrix(a.rows, a.cols, [f(x, y) for x, y in zip(a, b)])

    def _print_Diag(self, e):
        return sp.ImmutableMatrix(sp.diag(*self._print(e.vector)))

    def _print_Identity(self, e):
        return sp.ImmutableMatrix(sp.eye(_dim(e.shape[0], self.sizes)))

    def _print_ZeroMatrix(self, e):
        return sp.ImmutableMatrix(
            sp.zeros(_dim(e.shape[0], self.sizes), _dim(e.shape[1], self.sizes))
        )

    def _print_OneMatrix(self, e):
        return sp.ImmutableMatrix(
            sp.ones(_dim(e.shape[0], self.sizes), _dim(e.shape[1], self.sizes))
        )

    def _print_Transpose(self, e):
        return self._print(e.arg).T

    def _print_MatrixSlice(self, e):  # W_o[:, :n], bounds in the sizes
        (r0, r1, _), (c0, c1, _) = e.rowslice, e.colslice
        m = self._print(e.parent)
        return m[
            _dim(r0, self.sizes) : _dim(r1, self.sizes), _dim(c0, self.sizes) : _dim(c1, self.sizes)
        ]

    def _print_BlockMatrix(self, e):
        rows = [sp.Matrix.hstack(*[self._print(b) for b in row]) for row in e.blocks.tolist()]
        return sp.ImmutableMatrix(sp.Matrix.vstack(*rows))

    def emptyPrinter(self, e):
        raise TypeError(f"cannot evaluate {type(e).__name__}: {e}")


def evaluate(e: MatrixExpr, env: Env, sizes: dict) -> sp.ImmutableMatrix:
    """The explicit matrix of a matrix expression, named symbols taken from ``env``."""
    return _Explicit(env, sizes).visit(e)


def sizes_for(n: int, d: int | None = None) -> dict:
    check_size("n", n)
    d = n if d is None else check_size("d", d)
    return {n_sym: n, d_sym: d}


@lru_cache(maxsize=256)
def environment(cell: CellEquations, n: int, d: int, cut: frozenset[str] = frozenset()) -> Env:
    """Explicit leaves, parameters and (in order) intermediates of ``cell`` at sizes n, d.

    Intermediates named in ``cut`` are fresh symbols instead of their equation: the
    variables a Jacobian is taken with respect to when they are not leaves.
    """
    sizes = sizes_for(n, d)
    env: Env = {}
    for sym in cell.leaves + cell.params:
        env[sym] = symbols_of(sym, sizes)
    for sym, e in cell.definitions:
        env[sym] = symbols_of(sym, sizes) if sym.name in cut else evaluate(e, env, sizes)
    return env


def _names(cell: CellEquations, name: str, kind: str) -> tuple[str, ...]:
    if name == "state":
        return cell.outputs if kind == "of" else cell.state
    cell.symbol(name)  # raises UnknownNameError for an unknown name
    return (name,)


@lru_cache(maxsize=512)
def explicit_jacobian(
    cell: CellEquations, of: str, wrt: str, n: int, d: int | None = None
) -> sp.ImmutableMatrix:
    """∂of/∂wrt at hidden size n and input size d (default n), by ``Matrix.jacobian``.

    ``of="state"`` / ``wrt="state"`` stack the cell's state vectors (s = [h; c]).
    """
    sizes = sizes_for(n, d)
    outs, ins = _names(cell, of, "of"), _names(cell, wrt, "wrt")
    leaves = {s.name for s in cell.leaves}
    cut = frozenset(w for w in ins if w not in leaves)
    env = environment(cell, n, sizes[d_sym], cut)
    vectors = cell.vectors
    f = sp.Matrix.vstack(*[env[vectors[o]] for o in outs])
    v = sp.Matrix.vstack(*[env[vectors[w]] for w in ins])
    return sp.ImmutableMatrix(f.jacobian(v))


def wrt_environment(cell: CellEquations, wrt: str, n: int, d: int | None = None) -> Env:
    """The explicit environment a Jacobian with respect to ``wrt`` is expanded in: the
    cell at sizes n, d with ``wrt`` held as fresh symbols when it is not a leaf."""
    sizes = sizes_for(n, d)
    ins = _names(cell, wrt, "wrt")
    leaves = {s.name for s in cell.leaves}
    cut = frozenset(w for w in ins if w not in leaves)
    return environment(cell, n, sizes[d_sym], cut)


def expand_compact(
    expr: MatrixExpr, cell: CellEquations, wrt: str, n: int, d: int | None = None
) -> sp.ImmutableMatrix:
    """A compact form at sizes n, d, with the intermediates replaced by their equations."""
    return evaluate(expr, wrt_environment(cell, wrt, n, d), sizes_for(n, d))
