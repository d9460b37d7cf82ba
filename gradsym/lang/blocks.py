"""Block matrices and slices of named matrices in candidates, with their shapes checked.

``block([[A, B], [C, D]])`` is the block matrix [A B; C D] (``np.block``'s layout: a list
of block rows; a flat list ``block([A, B])`` is one row). Every block of a block row has
the same number of rows, every block of a block column the same number of columns, and
every row has the same number of blocks; a block may be the number 0, a zero block whose
shape its row and column give. Shapes are symbolic (n the hidden size, d the input size),
so a block that fits only at one size (n × d beside n × n) does not fit.

``W_o[:, :n]``, ``W_o[:, n:]``, ``W_o[:n, :]``, ``W_o[:n]`` (rows) are slices of a named
matrix or vector of the cell. A bound is 0, n, 2*n, …, d or a sum of those: a multiple of
the sizes, so that the slice is the same block at every size; a step, a negative or a
numeric bound (``:2``) is refused. ``W_o[:, :n]`` is the n × n left half of the n × 2n
output matrix of the bidirectional RNN, which the library writes W_o [I; 0].

Both are SymPy's own ``BlockMatrix`` and ``MatrixSlice``.
"""

from __future__ import annotations

import itertools

import sympy as sp
from sympy import BlockMatrix, MatrixSymbol, ZeroMatrix
from sympy.matrices.expressions import MatrixExpr
from sympy.matrices.expressions.slice import MatrixSlice

from gradsym.errors import CandidateError
from gradsym.lang.names import d as d_sym
from gradsym.lang.names import n as n_sym

MAX_BLOCKS = 64  # blocks in one block matrix


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.expand(a - b) == 0


def _size_text(e: sp.Expr) -> str:
    return sp.sstr(e).replace("*", "")


def _shape_text(shape) -> str:
    return f"({_size_text(shape[0])}, {_size_text(shape[1])})"


def block_matrix(grid: list[list], texts: list[list[str]]) -> MatrixExpr:
    """The block matrix of ``grid`` (rows of matrix expressions or the number 0); ``texts``
    are the blocks as the user wrote them, for a one-line error naming the block that
    does not fit."""
    if not grid or not all(grid):
        raise CandidateError("block(…) needs at least one block in every row")
    count = sum(len(row) for row in grid)
    if count > MAX_BLOCKS:
        raise CandidateError(f"block(…) has {count} blocks (at most {MAX_BLOCKS})")
    width = len(grid[0])
    for i, row in enumerate(grid):
        if len(row) != width:
            raise CandidateError(
                f"block(…): row {i + 1} has {len(row)} block{'' if len(row) == 1 else 's'}, row 1 has {width}; every "
                "block row needs the same number of blocks"
            )
    heights: list[tuple[sp.Expr, int] | None] = [None] * len(grid)
    widths: list[tuple[sp.Expr, int] | None] = [None] * width
    for i, j in itertools.product(range(len(grid)), range(width)):
        b = grid[i][j]
        where = f"the block at row {i + 1}, column {j + 1} ({texts[i][j]!r})"
        if not getattr(b, "is_Matrix", False):
            if b != 0:
                raise CandidateError(
                    f"block(…): {where} is a number; a block is a matrix, or 0 for a zero "
                    "block (write s*I for a multiple of the identity)"
                )
            continue
        for k, (sizes, index, other) in enumerate(((heights, i, "row"), (widths, j, "column"))):
            size = b.shape[k]
            if sizes[index] is None:
                sizes[index] = (size, j if k == 0 else i)
                continue
            expected, first = sizes[index]
            if not _same(size, expected):
                seen = (i + 1, first + 1) if k == 0 else (first + 1, j + 1)
                raise CandidateError(
                    f"block(…): {where}, of shape {_shape_text(b.shape)}, does not fit: block "
                    f"{other} {index + 1} is {_size_text(expected)} "
                    f"{'high' if k == 0 else 'wide'} (the block at row {seen[0]}, column "
                    f"{seen[1]})"
                )
    for k, (sizes, what) in enumerate(((heights, "row"), (widths, "column"))):
        for index, size in enumerate(sizes):
            if size is None:
                raise CandidateError(
                    f"block(…): every block of block {what} {index + 1} is 0, so its "
                    f"{'height' if k == 0 else 'width'} is unknown; write one of them as a "
                    "matrix (0*I, 0*W_h, …)"
                )
    blocks = [
        [
            b if getattr(b, "is_Matrix", False) else ZeroMatrix(heights[i][0], widths[j][0])
            for j, b in enumerate(row)
        ]
        for i, row in enumerate(grid)
    ]
    if len(blocks) == 1 and len(blocks[0]) == 1:
        return blocks[0][0]
    return BlockMatrix(blocks)


def nonnegative(e: sp.Expr) -> bool:
    """Whether a linear form in n and d is ≥ 0 for every n, d ≥ 1 (coefficients ≥ 0)."""
    poly = sp.Poly(sp.expand(e), n_sym, d_sym)
    return all(c >= 0 for c in poly.coeffs())


def slice_of(
    m: MatrixSymbol, bounds: list[tuple[sp.Expr | None, sp.Expr | None]], text: str
) -> MatrixExpr:
    """``m[lo:hi, lo:hi]`` with each bound a linear form in n and d (None: the end), or a
    one-line error; a slice that keeps all of m is m itself."""
    out = []
    for (lo, hi), size, axis in zip(bounds, m.shape, ("rows", "columns")):
        lo = sp.S.Zero if lo is None else lo
        hi = size if hi is None else hi
        if not nonnegative(size - hi):
            raise CandidateError(
                f"{text!r} runs past the {_size_text(size)} {axis} of {m.name} "
                f"(shape {_shape_text(m.shape)})"
            )
        if not nonnegative(hi - lo) or _same(hi, lo):
            raise CandidateError(
                f"{text!r} is empty or reversed in its {axis}: write lo:hi, lo < hi"
            )
        out.append((lo, hi))
    (r0, r1), (c0, c1) = out
    if all(_same(a, b) for a, b in ((r0, 0), (c0, 0), (r1, m.shape[0]), (c1, m.shape[1]))):
        return m
    return MatrixSlice(m, (r0, r1, 1), (c0, c1, 1))


def slice_problem(e: MatrixSlice) -> str | None:
    """Where a (SymPy-built) slice is not one of the grammar's, or None."""
    if not isinstance(e.parent, MatrixSymbol):
        return f"a slice of {sp.sstr(e.parent)[:40]!r}: only named matrices can be sliced"
    for (lo, hi, step), size in zip((e.rowslice, e.colslice), e.parent.shape):
        if step != 1:
            return f"a slice with a step, {sp.sstr(e)[:60]!r}"
        try:
            fine = nonnegative(lo) and nonnegative(hi - lo) and nonnegative(size - hi)
        except (sp.PolynomialError, sp.GeneratorsNeeded, ValueError):
            fine = False
        if not fine or _same(hi, lo):
            return f"the slice {sp.sstr(e)[:60]!r} does not fit {e.parent.name}'s shape"
    return None


def block_problem(e: BlockMatrix) -> str | None:
    """Where the blocks of a (SymPy-built) block matrix do not fit, or None."""
    grid = e.blocks.tolist()
    for i, row in enumerate(grid):
        for j, b in enumerate(row):
            if not _same(b.shape[0], row[0].shape[0]) or not _same(b.shape[1], grid[0][j].shape[1]):
                return (
                    f"the block at row {i + 1}, column {j + 1} ({sp.sstr(b)[:40]!r}, shape "
                    f"{_shape_text(b.shape)}) does not fit its block row and column"
                )
    return None
