"""What is wrong with a refuted candidate: the standard mistakes, each tried as a correction.

Each mistake of the list below is a rewriting of the candidate that would undo it (the
transpose, the missing term added, the extra term removed, the sign flipped back, σ′ put
back in place of tanh′, …). A diagnosis is said only when its corrected candidate is then
*proved* equal to the Jacobian (the same symbolic proof as a "holds" verdict); a numeric
test on a few instances first keeps the search cheap.

    transpose           the candidate is Jᵀ (denominator layout)
    sign                −J, or one term with its sign flipped
    Hadamard            a ∘ where the chain rule needs the matrix product
    functions           σ′ where tanh′ belongs (and vice versa), σ for σ′, tanh for tanh′
    swapped symbols     W_f and W_i exchanged, or W_i written where W_f belongs
    gate convention     u where 1 − u belongs (the GRU of PyTorch writes z for 1 − u)
    transposed factor   W_hᵀ where W_h belongs, or the converse
    missing term        a term of J absent from the candidate
    extra term          a term of the candidate absent from J
    rounded constant    1.00000001 where 1 belongs

When several corrections are right, the smallest edit is said: an extra diag(u) is "an extra
term: diag(u)" (removing two symbols), not "a term is missing: −diag(u)".

A block matrix candidate (the full state Jacobian ∂[h; c]⁽ᵗ⁾/∂[h; c]⁽ᵗ⁻¹⁾, say) laid out
like the Jacobian is also tested for

    blocks exchanged    two block rows, two block columns, or the blocks (i, j) and (j, i)
    wrong blocks        each block that is wrong, with one of the mistakes above, said with
                        its place ("in the block ∂c/∂h_prev: a term is missing: …")

and a missing term of a block Jacobian is added in its block. A slice W_o[:, :n] is one
symbol: it is not transposed inside.

Every mistake also says what it is for a program (:class:`Finding`): its ``kind`` (one of
:data:`KINDS`), the block it is in (for a block matrix) and the names of the symbols the
edit touches, so that a hint can point at the place without printing the correction
(:mod:`gradsym.checker.exercises` turns findings into hints).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

import sympy as sp
from sympy import (
    BlockMatrix,
    HadamardProduct,
    MatAdd,
    MatMul,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions import MatrixExpr
from sympy.matrices.expressions.slice import MatrixSlice

from gradsym.lang.blocks import nonnegative
from gradsym.lang.elementwise import MAPS, confusion
from gradsym.lang.matexpr import Apply, Diag
from gradsym.lang.parser import count_nodes
from gradsym.lang.rewrite import matching, node_at, replace_at
from gradsym.lang.text import notes_text
from gradsym.symbolic.equations import CellEquations

MAX_TERMS = 64
# f in place of g: the function table's confusion (σ for tanh), and the derivative left
# out or put in (σ for σ′, σ′ for σ).
_SWAPS = {
    name: (confusion(name), f.name if is_prime else f.prime) for name, (f, is_prime) in MAPS.items()
}


#: What a diagnosis can find, for a program: each :class:`Finding` has one of these kinds.
KINDS = (
    "transpose",  # the whole candidate is Jᵀ
    "sign",  # −J
    "blocks-exchanged",  # two block rows, block columns or blocks (i, j), (j, i)
    "hadamard",  # ∘ where the chain rule needs the matrix product
    "function",  # σ′ where tanh′ belongs, σ for σ′, …
    "transposed-factor",  # Wᵀ where W belongs, or the converse
    "slice",  # W_o[:, :n] where W_o[:, n:] belongs, or two slices exchanged
    "constant",  # a rounded constant
    "missing-term",  # a term of J absent from the candidate
    "extra-term",  # a term of the candidate absent from J
    "term-sign",  # one term with its sign flipped
    "gate-convention",  # a gate g where 1 − g belongs (the GRU's two conventions)
    "symbols-swapped",  # two symbols exchanged throughout
    "wrong-symbol",  # one symbol written where another belongs
)


@dataclass(frozen=True)
class Finding:
    """What a mistake is, for a program: its ``kind`` (one of :data:`KINDS`), the ``block``
    it is in ("∂c/∂h_prev", for a block matrix; empty otherwise) and the ``names`` of the
    symbols the edit touches (the weights of a missing term, the function written and the
    one that belongs with its argument, the symbols exchanged, …)."""

    kind: str
    block: str = ""
    names: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"kind": self.kind, "block": self.block, "names": list(self.names)}


@dataclass(frozen=True)
class Mistake:
    """A standard mistake, said as ``message`` (several, one per wrong block, for a block
    matrix), undone in ``corrected``; ``cost`` is the size of the edit (one for a sign, a
    transpose, a symbol or a constant; the size of a term added or removed), so that the
    smallest edit that makes a candidate right is the one said; ``finding`` says what it
    is (one per message)."""

    message: str | tuple[str, ...]
    corrected: MatrixExpr
    cost: int = 1
    finding: Finding | tuple[Finding, ...] = field(kw_only=True)

    @property
    def messages(self) -> tuple[str, ...]:
        return self.message if isinstance(self.message, tuple) else (self.message,)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.finding if isinstance(self.finding, tuple) else (self.finding,)


def _names_in(e) -> tuple[str, ...]:
    """The names of the matrix symbols in ``e`` (a slice counts as its matrix), sorted."""
    names = {s.name for s in e.atoms(MatrixSymbol)}
    return tuple(sorted(names))


# -- editing SymPy trees at one place ------------------------------------------------------------


# The diagnosis looks at the candidate's constructs, not into a slice's bounds.
_LEAVES = (MatrixSymbol, sp.Symbol, sp.Number, MatrixSlice)


def _occurrences(e, match: Callable[[sp.Basic], bool]) -> Iterator[tuple[int, ...]]:
    return matching(e, match, _LEAVES)


def _scaled(c, t):
    return t if c == 1 else MatMul(c, t)


def _distribute(e) -> list[tuple[sp.Expr, MatrixExpr]] | None:
    """e as Σ c_k t_k with every product distributed over sums (also inside diag and ∘);
    None past MAX_TERMS terms."""
    if isinstance(e, MatAdd):
        out = []
        for a in e.args:
            part = _distribute(a)
            if part is None:
                return None
            out += part
        return out if len(out) <= MAX_TERMS else None
    if isinstance(e, (MatMul, HadamardProduct)):
        coef = sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)])
        parts = [_distribute(a) for a in e.args if getattr(a, "is_Matrix", False)]
        if any(p is None for p in parts):
            return None
        size = 1
        for p in parts:
            size *= len(p)
        if size > MAX_TERMS:
            return None
        out = []
        for combo in itertools.product(*parts):
            c = coef * sp.Mul(*[ck for ck, _ in combo])
            out.append((c, e.func(*[t for _, t in combo])))
        return out
    if isinstance(e, (Diag, Transpose)):
        inner = _distribute(e.args[0])
        return None if inner is None else [(c, e.func(t)) for c, t in inner]
    return [(sp.S.One, e)]


def terms(e: MatrixExpr) -> list[MatrixExpr]:
    """The terms of e at three depths: as written (top-level sums), with matrix products
    distributed, and with everything distributed; without repeats, in that order."""
    out: list[MatrixExpr] = []
    stack = [e]
    while stack:  # the summands as written, nested sums flattened
        t = stack.pop(0)
        if isinstance(t, MatAdd):
            stack[:0] = list(t.args)
        else:
            out.append(t)
    parts = _distribute(e) or []
    out += [_scaled(c, t) for c, t in parts]
    seen, unique = set(), []
    for t in out:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    return unique


# -- the mistakes -------------------------------------------------------------------------------------


def _decimal(q: sp.Rational) -> str:
    """q as the decimal a user typed (1.00000000000000000001), or p/q if it has none."""
    k, rest = 0, q.q
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
            k += 1
    if rest != 1:
        return str(q)
    with localcontext() as ctx:
        ctx.prec = len(str(q.p)) + k + 5
        return str((Decimal(q.p) / Decimal(q.q)).normalize())


def _gates(cell: CellEquations) -> list[MatrixSymbol]:
    """The sigmoid gates of the cell (f, i, o, u, r, z, T): values in (0, 1)."""
    return [s for s, e in cell.definitions if isinstance(e, Apply) and e.name == "sigmoid"]


def block_names(cell: CellEquations, of: str, wrt: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The vectors of the block rows and columns of ∂of/∂wrt ("state": s = [h; c], …)."""
    rows = cell.outputs if of == "state" else (of,)
    cols = cell.state if wrt == "state" else (wrt,)
    return tuple(rows), tuple(cols)


def _label(name: str, kind: str) -> str:
    return ("s" if kind == "of" else "s_prev") if name == "state" else name


def _grid_fits(a: list, b: list) -> bool:
    return (
        len(a) == len(b)
        and all(len(ra) == len(rb) for ra, rb in zip(a, b))
        and all(
            sp.expand(x.shape[k] - y.shape[k]) == 0
            for ra, rb in zip(a, b)
            for x, y in zip(ra, rb)
            for k in (0, 1)
        )
    )


def _embedded(grid: list, i: int, j: int, t: MatrixExpr) -> BlockMatrix:
    """t in block (i, j) of a block matrix laid out as ``grid``, zeros elsewhere."""
    out = [[ZeroMatrix(*b.shape) for b in row] for row in grid]
    out[i][j] = t
    return BlockMatrix(out)


RightBlock = Callable[[int, int, MatrixExpr], bool]


def _neighbours(cut: MatrixSlice) -> list[MatrixSlice]:
    """The slices of the same matrix and shape next to ``cut`` (W_o[:, n:] beside
    W_o[:, :n]): the other half a student may have taken."""
    out = []
    bounds = [cut.rowslice, cut.colslice]
    for axis, size in enumerate(cut.parent.shape):
        lo, hi, _ = bounds[axis]
        width = hi - lo
        for start in (lo - width, lo + width):
            if not (nonnegative(start) and nonnegative(size - start - width)):
                continue
            moved = list(bounds)
            moved[axis] = (start, start + width, 1)
            out.append(MatrixSlice(cut.parent, moved[0], moved[1]))
    return out


def _exchanged(grid: list, a: int, b: int, axis: int) -> list:
    """The grid with block rows (axis 0) or block columns (axis 1) a and b exchanged."""
    out = [list(r) for r in (grid if axis == 0 else zip(*grid))]
    out[a], out[b] = out[b], out[a]
    return out if axis == 0 else [list(r) for r in zip(*out)]


def _block_exchanges(C, truth, cell: CellEquations, of: str, wrt: str):
    """Two block rows, two block columns or the blocks (i, j) and (j, i) of a block
    candidate laid out like the block Jacobian ``truth``, exchanged."""
    cg, tg = C.blocks.tolist(), truth.blocks.tolist()
    rows, cols = block_names(cell, of, wrt)
    said = {
        0: lambda a, b: (
            f"the block rows of ∂{rows[a]} and ∂{rows[b]} are exchanged (the rows "
            f"follow the order of the state, [{'; '.join(rows)}])"
        ),
        1: lambda a, b: (
            f"the block columns of ∂/∂{cols[a]} and ∂/∂{cols[b]} are exchanged "
            f"(the columns follow the order of the variables, [{'; '.join(cols)}])"
        ),
    }
    for axis, count in ((0, len(cg)), (1, len(cg[0]))):
        for a, b in itertools.combinations(range(count), 2):
            swapped = _exchanged(cg, a, b, axis)
            if _grid_fits(swapped, tg):
                names = (rows[a], rows[b]) if axis == 0 else (cols[a], cols[b])
                yield Mistake(
                    said[axis](a, b),
                    BlockMatrix(swapped),
                    finding=Finding("blocks-exchanged", names=names),
                )
    if len(cg) == len(cg[0]):
        for a, b in itertools.combinations(range(len(cg)), 2):
            swapped = [list(r) for r in cg]
            swapped[a][b], swapped[b][a] = cg[b][a], cg[a][b]
            if _grid_fits(swapped, tg):
                yield Mistake(
                    f"the blocks ∂{rows[a]}/∂{cols[b]} and ∂{rows[b]}/∂{cols[a]} are exchanged",
                    BlockMatrix(swapped),
                    finding=Finding("blocks-exchanged", names=(rows[a], cols[b])),
                )


def _wrong_blocks(C, truth, cell: CellEquations, of: str, wrt: str, right: RightBlock):
    """Each wrong block of a block candidate (``right(i, j, block)`` false) with the first
    standard mistake that corrects it; nothing if one of them has none."""
    cg, tg = C.blocks.tolist(), truth.blocks.tolist()
    rows, cols = block_names(cell, of, wrt)
    messages, grid, cost, findings = [], [list(r) for r in cg], 0, []
    for i, j in itertools.product(range(len(cg)), range(len(cg[0]))):
        if right(i, j, cg[i][j]):
            continue
        for m in mistakes(cg[i][j], tg[i][j], cell, rows[i], cols[j], whole="block"):
            if right(i, j, m.corrected):
                messages += [f"in the block ∂{rows[i]}/∂{cols[j]}: {msg}" for msg in m.messages]
                block = f"∂{rows[i]}/∂{cols[j]}"
                findings += [Finding(f.kind, block, f.names) for f in m.findings]
                grid[i][j] = m.corrected
                cost += m.cost
                break
        else:
            return
    if messages:
        yield Mistake(tuple(messages), BlockMatrix(grid), cost, finding=tuple(findings))


def mistakes(
    candidate: MatrixExpr,
    truth: MatrixExpr,
    cell: CellEquations,
    of: str,
    wrt: str,
    right: RightBlock | None = None,
    whole: str = "Jacobian",
):
    """Every standard mistake that could explain candidate ≠ truth, cheapest first.

    ``right(i, j, block)``, when given, says whether a block of a block candidate equals
    block (i, j) of the truth (numerically); it lets each wrong block be diagnosed.
    ``whole`` names what the candidate is ("Jacobian", or "block" inside a block)."""
    C = candidate
    if truth.shape[0] == truth.shape[1]:
        yield Mistake(
            f"this is the transpose of the right {'answer' if whole == 'Jacobian' else whole} "
            f"(denominator layout); the notes use numerator layout, J[i, j] = "
            f"∂{_label(of, 'of')}_i/∂{_label(wrt, 'wrt')}_j",
            Transpose(C),
            finding=Finding("transpose"),
        )
    yield Mistake(
        f"the sign of the whole {whole} is flipped", MatMul(-1, C), finding=Finding("sign")
    )
    laid_out = (
        isinstance(C, BlockMatrix)
        and isinstance(truth, BlockMatrix)
        and _grid_fits(C.blocks.tolist(), truth.blocks.tolist())
    )
    if laid_out:  # a block candidate: its layout, symbols swapped throughout, then block by block
        yield from _block_exchanges(C, truth, cell, of, wrt)
        yield from _swaps(C, truth, cell)
        if right is not None:
            yield from _wrong_blocks(C, truth, cell, of, wrt, right)
        yield from _edits(C, truth, cell, of, wrt)
    else:
        yield from _edits(C, truth, cell, of, wrt)
        yield from _swaps(C, truth, cell)


def _edits(C, truth, cell: CellEquations, of: str, wrt: str):
    """Mistakes at one place of the candidate, and terms missing or extra."""
    for path in _occurrences(C, lambda e: isinstance(e, HadamardProduct)):
        h = node_at(C, path)
        mats = [a for a in h.args if a.shape[1] != 1]
        if mats and all(a.shape[1] == b.shape[0] for a, b in zip(h.args, h.args[1:])):
            product = MatMul(*h.args)
            diagonal = [a for a in h.args if isinstance(a, Diag)]
            others = [a for a in h.args if not isinstance(a, Diag)]
            keeps = (
                f"it keeps only the diagonal of {notes_text(others[0])}"
                if diagonal and others
                else "it multiplies entry by entry"
            )
            yield Mistake(
                f"{notes_text(h)} is the Hadamard (entrywise) product: {keeps}; the chain "
                f"rule needs the matrix product {notes_text(product)}",
                replace_at(C, path, product),
                finding=Finding("hadamard", names=_names_in(h)),
            )
    for path in _occurrences(C, lambda e: isinstance(e, Apply) and e.name in _SWAPS):
        a = node_at(C, path)
        for other in _SWAPS[a.name]:
            b = Apply(other, a.vector)
            yield Mistake(
                f"{notes_text(a)} where {notes_text(b)} belongs",
                replace_at(C, path, b),
                finding=Finding("function", names=(a.name, other, notes_text(a.vector))),
            )
    for path in _occurrences(C, lambda e: isinstance(e, Transpose)):
        t = node_at(C, path)
        yield Mistake(
            f"{notes_text(t)} where {notes_text(t.arg)} belongs",
            replace_at(C, path, t.arg),
            finding=Finding("transposed-factor", names=_names_in(t.arg)),
        )
    for path in _occurrences(
        C, lambda e: isinstance(e, MatrixSymbol) and 1 not in (e.shape[0], e.shape[1])
    ):
        w = node_at(C, path)
        if not path or not isinstance(node_at(C, path[:-1]), Transpose):
            yield Mistake(
                f"{w.name} where {w.name}ᵀ belongs",
                replace_at(C, path, Transpose(w)),
                finding=Finding("transposed-factor", names=(w.name,)),
            )
    for path in _occurrences(C, lambda e: isinstance(e, BlockMatrix)):
        bm = node_at(C, path)
        grid = bm.blocks.tolist()
        for a, b in itertools.combinations(range(len(grid)), 2):
            swapped = _exchanged(grid, a, b, 0)
            if _grid_fits(swapped, grid):
                yield Mistake(
                    f"the block rows {a + 1} and {b + 1} of {notes_text(bm)} are exchanged",
                    replace_at(C, path, BlockMatrix(swapped)),
                    finding=Finding("blocks-exchanged"),
                )
    cuts = sorted(C.atoms(MatrixSlice), key=sp.default_sort_key)
    for cut in cuts:
        for other in _neighbours(cut):
            yield Mistake(
                f"{notes_text(cut)} where {notes_text(other)} belongs",
                C.xreplace({cut: other}),
                finding=Finding("slice", names=(cut.parent.name,)),
            )
    for a, b in itertools.combinations(cuts, 2):
        if a.parent == b.parent and a.shape == b.shape:
            yield Mistake(
                f"{notes_text(a)} and {notes_text(b)} are exchanged",
                C.xreplace({a: b, b: a}),
                finding=Finding("slice", names=(a.parent.name,)),
            )
    for q in sorted(C.atoms(sp.Rational), key=sp.default_sort_key):
        if q.is_Integer:
            continue
        simple = q.limit_denominator(100)
        if simple != q and abs(simple - q) <= abs(q) * sp.Rational(1, 1000):
            # as typed (the decimal it spells) or as a fraction: never rounded to look
            # like the constant it should be
            yield Mistake(
                f"the constant {_decimal(q)} should be {simple}",
                C.xreplace({q: simple}),
                finding=Finding("constant"),
            )
    if isinstance(truth, BlockMatrix):
        rows, cols = block_names(cell, of, wrt)
        grid = truth.blocks.tolist()
        for i, j in itertools.product(range(len(grid)), range(len(grid[0]))):
            for t in terms(grid[i][j]):
                if not isinstance(t, ZeroMatrix):
                    yield Mistake(
                        f"a term is missing in the block ∂{rows[i]}/∂{cols[j]}: {notes_text(t)}",
                        MatAdd(C, _embedded(grid, i, j, t)),
                        count_nodes(t),
                        finding=Finding("missing-term", f"∂{rows[i]}/∂{cols[j]}", _names_in(t)),
                    )
    else:
        for t in terms(truth):
            yield Mistake(
                f"a term is missing: {notes_text(t)}",
                MatAdd(C, t),
                count_nodes(t),
                finding=Finding("missing-term", names=_names_in(t)),
            )
    for t in terms(C):
        yield Mistake(
            f"an extra term: {notes_text(t)}",
            MatAdd(C, MatMul(-1, t)),
            count_nodes(t),
            finding=Finding("extra-term", names=_names_in(t)),
        )
        yield Mistake(
            f"the sign of {notes_text(t)} is flipped",
            MatAdd(C, MatMul(-2, t)),
            finding=Finding("term-sign", names=_names_in(t)),
        )


def _count(C, symbol) -> int:
    """How many times ``symbol`` occurs in C (the edits of replacing it everywhere)."""
    return max(1, sum(1 for _ in _occurrences(C, lambda e: e == symbol)))


def _swaps(C, truth, cell: CellEquations):
    """Symbols exchanged throughout: a gate and 1 − gate, two symbols, one for another."""
    names = sorted(C.atoms(MatrixSymbol), key=lambda s: s.name)
    wanted = sorted(truth.atoms(MatrixSymbol) - set(names), key=lambda s: s.name)
    for g in _gates(cell):
        if g in names:
            one_minus = MatAdd(OneMatrix(g.shape[0], 1), MatMul(-1, g))
            yield Mistake(
                f"{g.name} and 1 − {g.name} are exchanged (the notes write "
                "h = (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃; PyTorch's z plays the part of 1 − u)",
                C.xreplace({g: one_minus}),
                _count(C, g),
                finding=Finding("gate-convention", names=(g.name,)),
            )
    for a, b in itertools.combinations(names, 2):
        if a.shape == b.shape:
            yield Mistake(
                f"{a.name} and {b.name} are swapped",
                C.xreplace({a: b, b: a}),
                _count(C, a) + _count(C, b),
                finding=Finding("symbols-swapped", names=(a.name, b.name)),
            )
    for a in names:
        for b in wanted:
            if a.shape == b.shape:
                yield Mistake(
                    f"{a.name} where {b.name} belongs",
                    C.xreplace({a: b}),
                    _count(C, a),
                    finding=Finding("wrong-symbol", names=(a.name, b.name)),
                )
