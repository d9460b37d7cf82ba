"""Matrix calculus in the notes' (numerator) layout: J[i, j] = ∂out_i/∂in_j.

The rules, one ``_print_<Class>`` method each of ``_Differential`` (a :class:`.visitor.MatrixVisitor`):

    d v         = I dv                        (v the variable)
    d(W v)      = W dv                        (W a parameter)
    d(a + b)    = da + db
    d(a ∘ b)    = diag(b) da + diag(a) db
    d f(z)      = diag(f'(z)) dz              (f elementwise; f = identity gives dz)
    d f(a, b)   = diag(∂₁f) da + diag(∂₂f) db (f entrywise of two vectors: max, a/b, a^b,
                                               the partials from the table PAIRWISE)
    d [a; b]    = [da; db]
    d y         = d(definition of y)          (chain rule through a named intermediate)

A differential is held as a linear map ``{chain: v}`` meaning Σ diag(v) · chain, where
``chain`` is a tuple of matrices (W_f, or W_h followed by a nested Jacobian) and v a vector
(the all-ones vector for no diag). Keeping the diag in front lets diag(a) diag(b) merge
into diag(a ∘ b) and lets terms that end in the same matrix be summed,
diag(h̃ ∘ σ'(z_u)) W_u − diag(h ∘ σ'(z_u)) W_u = diag((h̃ − h) ∘ σ'(z_u)) W_u,
which is how the notes write Jacobians. Intermediates stay named (z_f, f, c̃, …).

SymPy's own ``MatrixExpr.diff`` is not used: it returns the transpose for simple cases,
the untransposed Jacobian for others (``(V tanh.(W h)).diff(h)``), and raises on nested
ones such as the LSTM's h with respect to c_prev.
"""

from __future__ import annotations

from collections import Counter

import sympy as sp
from sympy import (
    BlockMatrix,
    HadamardProduct,
    Identity,
    MatAdd,
    MatMul,
    MatrixSymbol,
    OneMatrix,
    ZeroMatrix,
)
from sympy.matrices.expressions import MatrixExpr

from gradsym.lang import matexpr
from gradsym.lang.elementwise import DERIVATIVE_OF, PAIRWISE
from gradsym.lang.matexpr import Apply, Diag, Pairwise
from gradsym.lang.visitor import MatrixVisitor

from .equations import CellEquations

LinearMap = dict  # {tuple[MatrixExpr, ...]: MatrixExpr}: Σ diag(v) · chain


def _split_scalar(v: MatrixExpr) -> tuple[sp.Expr, MatrixExpr]:
    """c·V -> (c, V) for a scalar coefficient c (1 if none)."""
    if isinstance(v, MatMul):
        scalars = [a for a in v.args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in v.args if getattr(a, "is_Matrix", False)]
        if scalars and len(mats) == 1:
            return sp.Mul(*scalars), mats[0]
    return sp.S.One, v


def _scale(c: sp.Expr, v: MatrixExpr) -> MatrixExpr:
    if c == 1:
        return v
    c0, v0 = _split_scalar(v)
    return MatMul(c * c0, v0) if c * c0 != 1 else v0


def hadamard(a: MatrixExpr, b: MatrixExpr) -> MatrixExpr:
    """a ∘ b with the ones vector dropped and scalar coefficients pulled in front."""
    ca, a = _split_scalar(a)
    cb, b = _split_scalar(b)
    if isinstance(a, OneMatrix):
        out = b
    elif isinstance(b, OneMatrix):
        out = a
    else:
        fa = a.args if isinstance(a, HadamardProduct) else (a,)
        fb = b.args if isinstance(b, HadamardProduct) else (b,)
        out = HadamardProduct(*fa, *fb)
    return _scale(ca * cb, out)


def _factors(v: MatrixExpr) -> tuple[sp.Expr, tuple[MatrixExpr, ...]]:
    c, v = _split_scalar(v)
    return c, (v.args if isinstance(v, HadamardProduct) else (v,))


def factor_common(v: MatrixExpr) -> MatrixExpr:
    """a∘x + (−b)∘x -> (a − b)∘x: pull Hadamard factors common to every term out of a sum."""
    if not isinstance(v, MatAdd):
        return v
    split = [_factors(t) for t in v.args]
    common = Counter(split[0][1])
    for _, fs in split[1:]:
        common &= Counter(fs)
    if not common:
        return v
    rests = []
    for c, fs in split:
        left = Counter(fs) - common
        rest = [f for f in fs if left[f] > 0 and not left.subtract({f: 1})]
        body = (
            HadamardProduct(*rest)
            if len(rest) > 1
            else (rest[0] if rest else OneMatrix(v.shape[0], 1))
        )
        rests.append(_scale(c, body))
    # Positive terms first: (h̃ − h) rather than (−h + h̃).
    rests.sort(key=lambda t: _split_scalar(t)[0].could_extract_minus_sign())
    out = MatAdd(*rests)
    for f in common.elements():
        out = hadamard(out, f)
    return out


class _Differential(MatrixVisitor):
    """d(expr) as a linear map in d(wrt), for one cell and one variable ``wrt``: one
    ``_print_<Class>`` per rule of the module docstring."""

    def __init__(self, cell: CellEquations, wrt: MatrixSymbol) -> None:
        super().__init__()
        self.defs = cell.definition
        self.wrt = wrt
        self.memo: dict[MatrixExpr, LinearMap] = {}
        self._deps: dict[MatrixSymbol, bool] = {}

    def depends(self, expr: MatrixExpr) -> bool:
        """Whether expr reaches ``wrt`` (through definitions, stopping at ``wrt``)."""
        return any(self._sym_depends(s) for s in expr.atoms(MatrixSymbol))

    def _sym_depends(self, s: MatrixSymbol) -> bool:
        if s == self.wrt:
            return True
        if s not in self._deps:
            self._deps[s] = s in self.defs and self.depends(self.defs[s])
        return self._deps[s]

    def _print(self, e: MatrixExpr, **kwargs) -> LinearMap:
        if e == self.wrt:
            return {(): OneMatrix(e.shape[0], 1)}
        if not self.depends(e):
            return {}
        if e in self.memo:
            return self.memo[e]
        out = super()._print(e)
        self.memo[e] = out
        return out

    d = _print

    def _print_MatrixSymbol(self, e: MatrixSymbol) -> LinearMap:
        return self.d(self.defs[e])  # chain rule through a named intermediate

    def _print_MatAdd(self, e: MatAdd) -> LinearMap:
        out: LinearMap = {}
        for t in e.args:
            out = _add(out, self.d(t))
        return out

    def _print_HadamardProduct(self, e: HadamardProduct) -> LinearMap:
        out: LinearMap = {}
        for k, a in enumerate(e.args):
            rest = [b for j, b in enumerate(e.args) if j != k]
            coef = rest[0] if len(rest) == 1 else HadamardProduct(*rest)
            out = _add(out, _diag_times(coef, self.d(a)))
        return out

    def _print_Apply(self, e: Apply) -> LinearMap:
        prime = DERIVATIVE_OF[e.name]
        dz = self.d(e.vector)
        return dz if prime == "identity'" else _diag_times(Apply(prime, e.vector), dz)

    def _print_Pairwise(self, e: Pairwise) -> LinearMap:
        partials = PAIRWISE[e.name].partial_forms(e.first, e.second, matexpr)
        out: LinearMap = {}
        for arg, partial in zip((e.first, e.second), partials):
            if self.depends(arg):
                out = _add(out, _diag_times(partial, self.d(arg)))
        return out

    def _print_BlockMatrix(self, e: BlockMatrix) -> LinearMap:
        parts = [to_matrix(self.d(blk), blk.shape[0], self.wrt.shape[0]) for blk in e.blocks]
        return {(BlockMatrix([[p] for p in parts]),): OneMatrix(e.shape[0], 1)}

    def emptyPrinter(self, e) -> LinearMap:
        raise TypeError(f"no differentiation rule for {type(e).__name__}: {e}")

    def _print_MatMul(self, e: MatMul) -> LinearMap:
        return self._d_matmul(e)

    def _d_matmul(self, e: MatMul) -> LinearMap:
        scalars = [a for a in e.args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in e.args if getattr(a, "is_Matrix", False)]
        c = sp.Mul(*scalars)
        *consts, last = mats
        if any(self.depends(m) for m in consts):
            raise TypeError(f"only (constant matrix) · (vector) products are differentiated: {e}")
        inner = self.d(last)
        if not consts:
            return {k: _scale(c, v) for k, v in inner.items()}
        rows = e.shape[0]
        ((chain, v),) = inner.items() if len(inner) == 1 else ((None, None),)
        if chain is not None and isinstance(v, OneMatrix):
            return {tuple(consts) + chain: _scale(c, OneMatrix(rows, 1))}
        nested = to_matrix(inner, last.shape[0], self.wrt.shape[0])
        # W (diag(a) V) is written W diag(a) V; only a sum stays in parentheses.
        tail = nested.args if isinstance(nested, MatMul) else (nested,)
        return {tuple(consts) + tuple(tail): _scale(c, OneMatrix(rows, 1))}


def _add(a: LinearMap, b: LinearMap) -> LinearMap:
    out = dict(a)
    for k, v in b.items():
        out[k] = MatAdd(out[k], v) if k in out else v
    return out


def _diag_times(v: MatrixExpr, lin: LinearMap) -> LinearMap:
    """diag(v) · Σ diag(w) chain = Σ diag(v ∘ w) chain."""
    return {k: hadamard(v, w) for k, w in lin.items()}


def to_matrix(lin: LinearMap, rows: sp.Expr, cols: sp.Expr) -> MatrixExpr:
    """Σ diag(v) · chain as one SymPy matrix expression, in the notes' form."""
    terms = []
    for chain, v in lin.items():
        c, body = _split_scalar(factor_common(v))
        head = [] if isinstance(body, OneMatrix) else [Diag(body)]
        factors = head + list(chain)
        if not factors:
            factors = [Identity(rows)]
        term = MatMul(*factors) if len(factors) > 1 else factors[0]
        terms.append(_scale(c, term) if c != 1 else term)
    if not terms:
        return ZeroMatrix(rows, cols)
    return terms[0] if len(terms) == 1 else MatAdd(*terms)


def derive(cell: CellEquations, of: str, wrt: str) -> MatrixExpr:
    """∂of/∂wrt of the cell in compact form (numerator layout), intermediates named."""
    out, var = cell.symbol(of), cell.symbol(wrt)
    lin = _Differential(cell, var).d(out)
    return to_matrix(lin, out.shape[0], var.shape[0])


def inline(
    expr: MatrixExpr, cell: CellEquations, names: tuple[str, ...] | None = None
) -> MatrixExpr:
    """Replace the named intermediates (default: the pre-activations z) by their equations."""
    names = cell.preactivations if names is None else names
    subs = {}
    for sym, e in cell.definitions:  # in order, so later definitions see earlier ones inlined
        if sym.name in names:
            subs[sym] = e.xreplace(subs)
    return expr.xreplace(subs)
