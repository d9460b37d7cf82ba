"""A candidate for a cell's Jacobian, read in the cell's symbols: the cell-specific side of
the grammar of :mod:`gradsym.lang.parser` (which knows no cells).

    symbols(cell)               every name a candidate may use: vectors and parameters
    parse_candidate(text, cell) a candidate string → a SymPy matrix expression
    entry_symbols(cell, n, d)   the entry symbols for an explicit candidate Matrix
    explicit_candidate(…)       an explicit SymPy matrix checked and read: (matrix, n, d)
"""

from __future__ import annotations

import re

import sympy as sp
from sympy import MatrixSymbol
from sympy.matrices.expressions import MatrixExpr

from gradsym.errors import CandidateError
from gradsym.lang.names import d as d_sym
from gradsym.lang.parser import MAX_NODES, count_nodes, parse_expression
from gradsym.symbolic import CellEquations
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic.explicit import check_size, environment, symbols_of
from gradsym.symbolic.explicit import sizes_for as explicit_sizes


def symbols(cell: str | CellEquations, variant: str | None = None) -> dict[str, MatrixSymbol]:
    """Every symbol a candidate may use: the cell's vectors (leaves and intermediates)
    and parameters, by name."""
    c = get_cell(cell, variant) if isinstance(cell, str) else cell
    table = dict(c.vectors)
    table.update({p.name: p for p in c.params})
    return table


def block_size(c: CellEquations) -> sp.Expr:
    """The hidden size n of a cell's vectors (the size of I in a candidate)."""
    return c.symbol(c.outputs[0]).shape[0] if c.outputs else next(iter(c.vectors.values())).shape[0]


def parse_candidate(text: str, cell: str | CellEquations, variant: str | None = None) -> MatrixExpr:
    """A candidate string as a SymPy matrix expression in the cell's symbols (the grammar
    of :mod:`gradsym.lang.parser`); CandidateError, one line, for anything else."""
    c = get_cell(cell, variant) if isinstance(cell, str) else cell
    return parse_expression(text, symbols(c), block_size(c))


def entry_symbols(
    cell: str | CellEquations, n: int, d: int | None = None, variant: str | None = None
) -> dict[str, sp.ImmutableMatrix]:
    """The cell at sizes n (hidden) and d (input, default 2; n for cells whose input is
    n-dimensional) entry by entry, for building an explicit candidate.

    Leaves and parameters are matrices of entry symbols (``W_h[0,1]``, ``h_prev[2]``);
    every intermediate (z, f, c_tilde, …) is its equation written out in them, with σ the
    opaque ``gradsym.lang.functions.sigmoid`` (1/(1 + exp(−z)) is accepted as well).
    """
    c = get_cell(cell, variant) if isinstance(cell, str) else cell
    check_size("n", n)
    d = 2 if d is None else check_size("d", d)
    env = environment(c, n, d)
    return {sym.name: sp.ImmutableMatrix(m) for sym, m in env.items()}


_ENTRY = re.compile(r"^(?P<name>[A-Za-z_0-9]+)\[(?P<i>\d+)(?:,(?P<j>\d+))?\]$")


def _solve_size(shape_expr: sp.Expr, size: int, found: dict) -> bool:
    """Read n or d off one dimension of the block's shape (k·n or d); False if impossible."""
    free = sp.sympify(shape_expr, strict=True).free_symbols
    if len(free) != 1:
        return sp.sympify(shape_expr, strict=True) == size
    (s,) = free
    roots = sp.solve(sp.Eq(shape_expr, size), s)
    if len(roots) != 1 or not roots[0].is_Integer or roots[0] <= 0:
        return False
    return found.setdefault(s, int(roots[0])) == int(roots[0])


def _input_size(c: CellEquations, free: set) -> int:
    """The input size d an explicit candidate's entry symbols use (2 if none shows it)."""
    shapes = {s.name: s.shape for s in c.leaves + c.params}
    d = 2
    for s in free:
        m = _ENTRY.match(s.name)
        if m is None or m["name"] not in shapes:
            continue
        rows, cols = shapes[m["name"]]
        if rows == d_sym:
            d = max(d, int(m["i"]) + 1)
        if cols == d_sym and m["j"] is not None:
            d = max(d, int(m["j"]) + 1)
    return d


def explicit_candidate(
    matrix: sp.MatrixBase,
    c: CellEquations,
    block_shape: tuple[sp.Expr, sp.Expr],
    label: str,
    keep: str = "",
) -> tuple[sp.ImmutableMatrix, int, int]:
    """Validate an explicit SymPy matrix candidate: (matrix, n, d), or CandidateError.

    n (and d, when the block has d columns) are read off the matrix's shape; otherwise d
    is read off the entry symbols (U_f[i,k], x[k]). Entry symbols of intermediates
    (``z[0]``) are replaced by their equations, except ``keep`` (the variable of the
    Jacobian when it is an intermediate, held as a variable).
    """
    from gradsym.lang.names import n as n_sym

    m = sp.ImmutableMatrix(matrix)
    if count_nodes(m) > MAX_NODES:
        raise CandidateError(f"candidate is too large: more than {MAX_NODES} nodes")
    found: dict = {}
    if not all(_solve_size(e, size, found) for e, size in zip(block_shape, m.shape)):
        raise CandidateError(
            f"a {m.rows}×{m.cols} matrix cannot be {label}, whose shape is "
            f"{tuple(block_shape)} for any sizes n, d"
        )
    if n_sym not in found:
        raise CandidateError(f"the shape of {label} does not fix n")
    n = found[n_sym]
    free = m.free_symbols
    d = found.get(d_sym, _input_size(c, free))
    check_size("n", n)
    check_size("d", d)
    env = environment(c, n, d)
    known = set()
    for sym in c.leaves + c.params:
        known |= set(env[sym])
    inter = {}
    for sym, _ in c.definitions:
        value = env[sym]
        if sym.name == keep:
            known |= set(symbols_of(sym, explicit_sizes(n, d)))
            continue
        for i in range(value.rows):
            inter[sp.Symbol(f"{sym.name}[{i}]", real=True)] = value[i, 0]
    unknown = sorted(str(s) for s in free if s not in known and s not in inter)
    if unknown:
        raise CandidateError(
            f"unknown symbol {unknown[0]!r} in the explicit candidate; use the entry symbols "
            f"of entry_symbols({c.name!r}, n={n}, d={d})"
        )
    m = m.xreplace({s: inter[s] for s in free if s in inter})
    for e in m:
        if e.has(sp.I) or e.is_real is False:
            raise CandidateError("the explicit candidate has a complex entry")
        if e.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            raise CandidateError("the explicit candidate has an infinite entry")
    return sp.ImmutableMatrix(m), n, d


__all__ = [
    "block_size",
    "entry_symbols",
    "explicit_candidate",
    "parse_candidate",
    "symbols",
]
