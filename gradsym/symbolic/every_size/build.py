"""Matrix expressions of the notes in index form, and Jacobians derived entrywise.

:func:`grid` writes a matrix expression (the grammar of the checker: named matrices and
vectors, +, scalar multiples, products, ∘, transposes, diag, I, the ones vector, block
matrices, slices of named matrices, elementwise σ, tanh, ReLU and their derivatives) as a
:class:`Grid`: its rows and columns cut into blocks of size n, d or 1 (a dimension 2n is two
blocks of n, n + d one of n and one of d, 3 three of 1), each block a :class:`~.tensor.Tensor`
in normal form. A cell's intermediates (z_f, f, c̃, c, …) are written out through its
equations, except the variables a Jacobian is taken with respect to (``cut``).

:func:`jacobian` derives ∂of_i/∂wrt_j from the cell's equations in the same form, by the
rules of scalar calculus applied to the index terms — ∂v[a]/∂v[j] = δ_aj, the product rule
over the factors of a term, ∂σ(c·a)[k]/∂v[j] = c·σ(1 − σ)·∂a[k]/∂v[j] — at every size at
once, independently of the library's matrix calculus (:mod:`gradsym.symbolic.calculus`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy as sp
from sympy import MatrixSymbol

from gradsym.lang.names import d as d_sym
from gradsym.lang.names import n as n_sym
from gradsym.lang.visitor import MatrixVisitor

from ..equations import CellEquations
from . import atoms as A
from . import poly as P
from . import tensor as T
from .tensor import Unsupported


@dataclass
class Grid:
    """A matrix expression cut into blocks: ``rows`` and ``cols`` the sizes of the block
    rows and columns ("n", "d" or "1"), ``blocks`` the nonzero blocks by position."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    blocks: dict[tuple[int, int], T.Tensor]

    def block(self, i: int, j: int) -> T.Tensor:
        return self.blocks.get((i, j)) or T.zero((self.rows[i], self.cols[j]))

    def is_zero(self) -> bool:
        return all(b.is_zero() for b in self.blocks.values())

    def __eq__(self, other) -> bool:
        if not isinstance(other, Grid) or (self.rows, self.cols) != (other.rows, other.cols):
            return False
        keys = set(self.blocks) | set(other.blocks)
        return all(self.block(*k) == other.block(*k) for k in keys)

    def minus(self, other: Grid) -> Grid:
        if (self.rows, self.cols) != (other.rows, other.cols):
            raise Unsupported(
                f"block layouts {self.rows}×{self.cols} and {other.rows}×{other.cols} differ"
            )
        out = {}
        for k in set(self.blocks) | set(other.blocks):
            b = T.add(self.block(*k), T.scale(other.block(*k), -1))
            if not b.is_zero():
                out[k] = b
        return Grid(self.rows, self.cols, out)


@lru_cache(maxsize=256)
def parts(size) -> tuple[str, ...]:
    """A size a·n + b·d + c (a, b, c ≥ 0 integers) as its blocks: n… d… 1…."""
    e = sp.expand(sp.sympify(size, strict=True))
    try:
        poly = sp.Poly(e, n_sym, d_sym)
    except sp.PolynomialError:
        raise Unsupported(f"the size {e}") from None
    if poly.total_degree() > 1 or e.free_symbols - {n_sym, d_sym}:
        raise Unsupported(f"the size {e}")
    a, b, c = (poly.coeff_monomial(m) for m in (n_sym, d_sym, 1))
    if not all(x.is_Integer and x >= 0 for x in (a, b, c)) or a + b + c == 0:
        raise Unsupported(f"the size {e}")
    return ("n",) * int(a) + ("d",) * int(b) + ("1",) * int(c)


def block_name(name: str, i: int, j: int, rows: tuple, cols: tuple) -> str:
    """The factor name of block (i, j) of a named matrix: the name itself when it is one
    block, else W_o[0,1] (a vector's blocks: v[1])."""
    if len(rows) == 1 and len(cols) == 1:
        return name
    if cols == ("1",):
        return f"{name}[{i}]"
    return f"{name}[{i},{j}]"


def _coefficient(c: sp.Expr) -> P.Poly:
    """A scalar factor of a product: a rational number or a polynomial in n and d."""
    c = sp.expand(c)
    if c.is_Rational:
        return P.const(Fraction(int(c.p), int(c.q)))
    if c.free_symbols <= {n_sym, d_sym}:
        poly = sp.Poly(c, n_sym, d_sym)
        if all(k.is_Rational for k in poly.coeffs()):
            return {m: Fraction(int(k.p), int(k.q)) for m, k in zip(poly.monoms(), poly.coeffs())}
    raise Unsupported(f"the scalar {sp.sstr(c)[:40]} (a number or a polynomial in n, d)")


def grid_matmul(a: Grid, b: Grid) -> Grid:
    if a.cols != b.rows:
        raise Unsupported(f"a product of block layouts {a.cols} and {b.rows}")
    out: dict = {}
    for (i, k), x in a.blocks.items():
        for j in range(len(b.cols)):
            y = b.blocks.get((k, j))
            if y is None:
                continue
            p = T.matmul(x, y)
            out[i, j] = T.add(out[i, j], p) if (i, j) in out else p
    return Grid(a.rows, b.cols, {k: v for k, v in out.items() if not v.is_zero()})


def _same_layout(grids: list[Grid], what: str) -> None:
    first = grids[0]
    for g in grids[1:]:
        if (g.rows, g.cols) != (first.rows, first.cols):
            raise Unsupported(
                f"{what} of block layouts {first.rows}×{first.cols} and {g.rows}×{g.cols}"
            )


class Builder(MatrixVisitor):
    """The index form of matrix expressions over one cell (intermediates written out
    through its equations, those in ``cut`` kept as variables), memoised."""

    def __init__(
        self, cell: CellEquations | None = None, cut: frozenset[str] = frozenset()
    ) -> None:
        super().__init__()
        self.defs = dict(cell.definitions) if cell is not None else {}
        self.cut = cut
        self.memo: dict = {}

    def grid(self, e) -> Grid:
        found = self.memo.get(e)
        if found is None:
            T.current_limits().check()
            found = self._print(e)
            self.memo[e] = found
        return found

    def emptyPrinter(self, e):
        raise Unsupported(f"the construct {type(e).__name__}")

    def _print_MatrixSymbol(self, e):
        if e in self.defs and e.name not in self.cut:
            return self.grid(self.defs[e])
        rows, cols = parts(e.shape[0]), parts(e.shape[1])
        blocks = {
            (i, j): T.leaf(block_name(e.name, i, j, rows, cols), r, c)
            for i, r in enumerate(rows)
            for j, c in enumerate(cols)
        }
        return Grid(rows, cols, blocks)

    def _print_MatAdd(self, e):
        grids = [self.grid(a) for a in e.args]
        _same_layout(grids, "a sum")
        out: dict = {}
        for g in grids:
            for k, b in g.blocks.items():
                out[k] = T.add(out[k], b) if k in out else b
        return Grid(grids[0].rows, grids[0].cols, {k: v for k, v in out.items() if not v.is_zero()})

    def _print_MatMul(self, e):
        coef = _coefficient(sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)]))
        mats = [self.grid(a) for a in e.args if getattr(a, "is_Matrix", False)]
        out = mats[0]
        for m in mats[1:]:
            out = grid_matmul(out, m)
        if coef != P.const(1):
            out = Grid(
                out.rows, out.cols, {k: T.scale(b, coef) for k, b in out.blocks.items() if coef}
            )
        return out

    def _print_MatPow(self, e):
        k = e.exp
        if not (k.is_Integer and 1 <= k <= 64):
            raise Unsupported(f"the matrix power {sp.sstr(e)[:40]}")
        base = self.grid(e.base)
        out = base
        for _ in range(int(k) - 1):
            out = grid_matmul(out, base)
        return out

    def _print_HadamardProduct(self, e):
        grids = [self.grid(a) for a in e.args]
        _same_layout(grids, "a Hadamard product")
        out = grids[0].blocks
        for g in grids[1:]:
            out = {k: T.hadamard(b, g.blocks[k]) for k, b in out.items() if k in g.blocks}
            out = {k: b for k, b in out.items() if not b.is_zero()}
        return Grid(grids[0].rows, grids[0].cols, out)

    def _print_HadamardPower(self, e):
        k = e.exp
        if not (k.is_Integer and 1 <= k <= 64):
            raise Unsupported(f"the Hadamard power {sp.sstr(e)[:40]}")
        base = self.grid(e.base)
        out = base.blocks
        for _ in range(int(k) - 1):
            out = {key: T.hadamard(b, base.blocks[key]) for key, b in out.items()}
        return Grid(base.rows, base.cols, out)

    def _print_Transpose(self, e):
        g = self.grid(e.arg)
        return Grid(g.cols, g.rows, {(j, i): T.transpose(b) for (i, j), b in g.blocks.items()})

    def _print_Diag(self, e):
        v = self.grid(e.vector)
        if v.cols != ("1",):
            raise Unsupported("diag of a matrix")
        return Grid(v.rows, v.rows, {(i, i): T.diag(b) for (i, _), b in v.blocks.items()})

    def _print_Apply(self, e):
        v = self.grid(e.vector)
        if v.cols != ("1",):
            raise Unsupported("an elementwise function of a matrix")
        out = {}
        for i in range(len(v.rows)):
            b = A.apply(e.name, v.block(i, 0))
            if not b.is_zero():
                out[i, 0] = b
        return Grid(v.rows, v.cols, out)

    def _print_Identity(self, e):
        rows = parts(e.shape[0])
        return Grid(rows, rows, {(i, i): T.identity(k) for i, k in enumerate(rows)})

    def _print_ZeroMatrix(self, e):
        return Grid(parts(e.shape[0]), parts(e.shape[1]), {})

    def _print_OneMatrix(self, e):
        rows, cols = parts(e.shape[0]), parts(e.shape[1])
        return Grid(
            rows,
            cols,
            {(i, j): T.ones(r, c) for i, r in enumerate(rows) for j, c in enumerate(cols)},
        )

    def _print_BlockMatrix(self, e):
        grid = [[self.grid(b) for b in row] for row in e.blocks.tolist()]
        rows: list[str] = []
        cols: list[str] = []
        row_at, col_at = [], []
        for r, line in enumerate(grid):
            for c, g in enumerate(line):
                if g.rows != line[0].rows or g.cols != grid[0][c].cols:
                    raise Unsupported("a block matrix whose blocks are cut differently")
            row_at.append(len(rows))
            rows += line[0].rows
        for c, g in enumerate(grid[0]):
            col_at.append(len(cols))
            cols += g.cols
        blocks = {}
        for r, line in enumerate(grid):
            for c, g in enumerate(line):
                for (i, j), b in g.blocks.items():
                    blocks[row_at[r] + i, col_at[c] + j] = b
        return Grid(tuple(rows), tuple(cols), blocks)

    def _print_MatrixSlice(self, e):
        parent = self.grid(e.parent)
        (r0, r1, rs), (c0, c1, cs) = e.rowslice, e.colslice
        if rs != 1 or cs != 1:
            raise Unsupported("a slice with a step")
        ri, rj = _cut(parent.rows, r0, r1)
        ci, cj = _cut(parent.cols, c0, c1)
        blocks = {
            (i - ri, j - ci): b
            for (i, j), b in parent.blocks.items()
            if ri <= i < rj and ci <= j < cj
        }
        return Grid(parent.rows[ri:rj], parent.cols[ci:cj], blocks)


_SIZE = {"n": n_sym, "d": d_sym, "1": sp.S.One}


def _cut(layout: tuple[str, ...], lo, hi) -> tuple[int, int]:
    """The blocks [a, b) of a layout between the bounds lo and hi (multiples of the sizes
    that fall on block boundaries)."""
    edges = [sp.S.Zero]
    for k in layout:
        edges.append(edges[-1] + _SIZE[k])
    found = []
    for bound in (lo, hi):
        at = [k for k, e in enumerate(edges) if sp.expand(e - bound) == 0]
        if not at:
            raise Unsupported(f"a slice bound {bound} inside a block")
        found.append(at[0])
    return found[0], found[1]


# -- cells and their Jacobians ----------------------------------------------------------------------


_BUILDERS: dict = {}


def builder(cell: CellEquations | None, cut: frozenset[str] = frozenset()) -> Builder:
    """The memoised builder of a cell with the variables ``cut`` kept (one per pair)."""
    key = (cell, cut)
    found = _BUILDERS.get(key)
    if found is None:
        if len(_BUILDERS) > 64:
            _BUILDERS.clear()
        found = _BUILDERS[key] = Builder(cell, cut)
    return found


def names(cell: CellEquations, name: str, kind: str) -> tuple[str, ...]:
    """The vectors of a Jacobian's block rows (kind "of") or columns ("wrt")."""
    if name == "state":
        return cell.outputs if kind == "of" else cell.state
    cell.symbol(name)  # UnknownNameError for an unknown name
    return (name,)


def cut_for(cell: CellEquations, wrt: str) -> frozenset[str]:
    """The intermediates a Jacobian with respect to ``wrt`` keeps as variables."""
    leaves = {s.name for s in cell.leaves}
    return frozenset(w for w in names(cell, wrt, "wrt") if w not in leaves)


_DERIVATIVES: dict = {}


def derivative(v: T.Tensor, name: str, kind: str) -> T.Tensor:
    """∂v[i]/∂x[j] for the vector block v and the variable x whose entries are the factor
    ``name`` (a vector block of size ``kind``): a block of sizes (v's, kind)."""
    memo_key = (v.key(), name, kind)
    found = _DERIVATIVES.get(memo_key)
    if found is not None:
        return found
    out = T.Tensor((v.free[0], kind))
    for (dtypes, factors, deltas), coef in v.terms.items():
        for p, (fname, idx) in enumerate(factors):
            rest = (dtypes, factors[:p] + factors[p + 1 :], deltas)
            if fname == name:
                raw = T.Raw(coef)
                raw.put(rest, P.const(1), {T.ROW: T.ROW, T.COL: None})
                if kind != "1":
                    raw.deltas.append((idx[0], T.COL))
                out.accumulate(T.normalize(raw))
                continue
            a = A.atom_of(fname)
            if a is None or a.kind == A.STEP:
                continue  # another variable, or the step (derivative 0 away from 0)
            outer = A.derivative_factor(a, a.base.free[0])
            inner = derivative(a.base, name, kind)
            if inner.is_zero():
                continue
            at = idx[0] if idx else None
            for ko, co in outer.terms.items():
                for ki, ci in inner.terms.items():
                    raw = T.Raw(coef)
                    raw.put(rest, P.const(1), {T.ROW: T.ROW, T.COL: None})
                    raw.put(ko, co, {T.ROW: at, T.COL: None})
                    raw.put(ki, ci, {T.ROW: at, T.COL: T.COL})
                    out.accumulate(T.normalize(raw))
    if len(_DERIVATIVES) > 4096:
        _DERIVATIVES.clear()
    _DERIVATIVES[memo_key] = out
    return out


def jacobian(cell: CellEquations, of: str, wrt: str) -> Grid:
    """∂of/∂wrt of the cell's equations in index form, for every n and d ("state" stacks
    the state vectors, s = [h; c])."""
    outs, ins = names(cell, of, "of"), names(cell, wrt, "wrt")
    b = builder(cell, cut_for(cell, wrt))
    out_grids = [b.grid(cell.symbol(o)) for o in outs]
    rows = tuple(k for g in out_grids for k in g.rows)
    variables = []  # (factor name, size) of each block column
    for w in ins:
        sym = cell.symbol(w)
        layout = parts(sym.shape[0])
        variables += [(block_name(w, j, 0, layout, ("1",)), k) for j, k in enumerate(layout)]
    cols = tuple(k for _, k in variables)
    blocks = {}
    row = 0
    for g in out_grids:
        for i in range(len(g.rows)):
            v = g.block(i, 0)
            for j, (name, kind) in enumerate(variables):
                dv = derivative(v, name, kind)
                if not dv.is_zero():
                    blocks[row + i, j] = dv
        row += len(g.rows)
    return Grid(rows, cols, blocks)


def grid(expr, cell: CellEquations | None = None, wrt: str | None = None) -> Grid:
    """The index form of a matrix expression over ``cell``'s symbols, its intermediates
    written out (but ``wrt``'s, the variables of a Jacobian)."""
    cut = cut_for(cell, wrt) if (cell is not None and wrt is not None) else frozenset()
    return builder(cell, cut).grid(expr)


__all__ = ["Grid", "MatrixSymbol", "builder", "derivative", "grid", "jacobian", "parts"]
