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
from sympy import (
    BlockMatrix,
    HadamardProduct,
    Identity,
    MatAdd,
    MatMul,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions import MatrixExpr
from sympy.matrices.expressions.slice import MatrixSlice

from ..errors import InvalidValueError
from .equations import Cell
from .functions import SCALAR_MAPS
from .matexpr import Apply, Diag
from .notation import d as d_sym
from .notation import entry_symbol
from .notation import n as n_sym

Env = dict  # {MatrixSymbol: sympy.ImmutableMatrix}


def check_size(name: str, value: object) -> int:
    """A size must be a positive int: InvalidValueError naming the argument otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _dim(expr: sp.Expr, sizes: dict) -> int:
    return int(sp.sympify(expr).subs(sizes))


def symbols_of(sym: MatrixSymbol, sizes: dict) -> sp.ImmutableMatrix:
    """The explicit matrix of entry symbols of a named vector or matrix."""
    rows, cols = _dim(sym.shape[0], sizes), _dim(sym.shape[1], sizes)
    if sym.shape[1] == 1:  # a vector by its symbolic shape (W_h at n = 1 is still a matrix)
        return sp.ImmutableMatrix(rows, 1, [entry_symbol(sym.name, i) for i in range(rows)])
    return sp.ImmutableMatrix(rows, cols, lambda i, j: entry_symbol(sym.name, i, j))


def evaluate(e: MatrixExpr, env: Env, sizes: dict) -> sp.ImmutableMatrix:
    """The explicit matrix of a matrix expression, named symbols taken from ``env``."""
    if isinstance(e, MatrixSymbol):
        return env[e]
    if isinstance(e, MatAdd):
        out = evaluate(e.args[0], env, sizes)
        for t in e.args[1:]:
            out = out + evaluate(t, env, sizes)
        return out
    if isinstance(e, MatMul):
        coef = sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)])
        mats = [evaluate(a, env, sizes) for a in e.args if getattr(a, "is_Matrix", False)]
        out = mats[0]
        for m in mats[1:]:
            out = out * m
        return out if coef == 1 else coef * out
    if isinstance(e, HadamardProduct):
        out = evaluate(e.args[0], env, sizes)
        for t in e.args[1:]:
            out = out.multiply_elementwise(evaluate(t, env, sizes))
        return out
    if isinstance(e, Apply):
        return evaluate(e.vector, env, sizes).applyfunc(SCALAR_MAPS[e.name])
    if isinstance(e, Diag):
        return sp.ImmutableMatrix(sp.diag(*evaluate(e.vector, env, sizes)))
    if isinstance(e, Identity):
        return sp.ImmutableMatrix(sp.eye(_dim(e.shape[0], sizes)))
    if isinstance(e, ZeroMatrix):
        return sp.ImmutableMatrix(sp.zeros(_dim(e.shape[0], sizes), _dim(e.shape[1], sizes)))
    if isinstance(e, OneMatrix):
        return sp.ImmutableMatrix(sp.ones(_dim(e.shape[0], sizes), _dim(e.shape[1], sizes)))
    if isinstance(e, Transpose):
        return evaluate(e.arg, env, sizes).T
    if isinstance(e, MatrixSlice):  # W_o[:, :n], bounds in the sizes
        (r0, r1, _), (c0, c1, _) = e.rowslice, e.colslice
        m = evaluate(e.parent, env, sizes)
        return m[_dim(r0, sizes) : _dim(r1, sizes), _dim(c0, sizes) : _dim(c1, sizes)]
    if isinstance(e, BlockMatrix):
        rows = [
            sp.Matrix.hstack(*[evaluate(b, env, sizes) for b in row]) for row in e.blocks.tolist()
        ]
        return sp.ImmutableMatrix(sp.Matrix.vstack(*rows))
    raise TypeError(f"cannot evaluate {type(e).__name__}: {e}")


def sizes_for(n: int, d: int | None = None) -> dict:
    check_size("n", n)
    d = n if d is None else check_size("d", d)
    return {n_sym: n, d_sym: d}


@lru_cache(maxsize=256)
def environment(cell: Cell, n: int, d: int, cut: frozenset[str] = frozenset()) -> Env:
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


def _names(cell: Cell, name: str, kind: str) -> tuple[str, ...]:
    if name == "state":
        return cell.outputs if kind == "of" else cell.state
    cell.symbol(name)  # raises UnknownNameError for an unknown name
    return (name,)


@lru_cache(maxsize=512)
def explicit_jacobian(
    cell: Cell, of: str, wrt: str, n: int, d: int | None = None
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


def expand_compact(
    expr: MatrixExpr, cell: Cell, wrt: str, n: int, d: int | None = None
) -> sp.ImmutableMatrix:
    """A compact form at sizes n, d, with the intermediates replaced by their equations."""
    sizes = sizes_for(n, d)
    ins = _names(cell, wrt, "wrt")
    leaves = {s.name for s in cell.leaves}
    cut = frozenset(w for w in ins if w not in leaves)
    return evaluate(expr, environment(cell, n, sizes[d_sym], cut), sizes)
