"""Vectorised, batched NumPy code for a compact Jacobian.

The compact form is printed, not its n² explicit entries: vectors are (B, k) arrays,
parameters are the caller's arrays, and

    W v            -> v @ W.T                      (B, rows)
    a ∘ b          -> a * b
    diag(v) M      -> v[..., None] * M             (B, rows, cols), M (rows, cols) or batched
    W M (M batched)-> np.matmul(W, M)
    Σ diag(v_k) M_k -> written into one preallocated (B, R, C) array, a pure diag(v) or I
                      added on the diagonal only.

σ'(z_f) reuses f = σ(z_f) as f(1 − f), tanh'(z_c) reuses c̃ as 1 − c̃²; every other
elementwise subterm is computed once. The generated source is kept on the function
(``__source__``) so it can be read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import sympy as sp
from sympy import (
    Identity,
    MatAdd,
    MatMul,
    MatrixSymbol,
    ZeroMatrix,
)
from sympy.matrices.expressions import MatrixExpr

from gradsym.lang.elementwise import CODE_NAMESPACE, FUNCTIONS, PAIRWISE

from ..errors import InvalidValueError, ShapeError
from .broadcast import broadcast_scalar
from .matexpr import Apply, Diag
from .visitor import MatrixVisitor

if TYPE_CHECKING:  # a cell is read by its attributes: the language sits below the cells
    from gradsym.symbolic.equations import CellEquations


def _as_batch(name: str, a, size: int | None = None) -> np.ndarray:
    a = np.asarray(a, dtype=float) if not isinstance(a, np.ndarray) else a
    if a.ndim != 2:
        raise ShapeError(f"{name} must have shape (batch, size), got shape {a.shape}")
    if size is not None and a.shape[1] != size:
        raise ShapeError(f"{name} must have {size} columns, got shape {a.shape}")
    return a


def _unpack_state(state, names: tuple[str, ...]):
    if len(names) == 1:
        return (state,)
    if not isinstance(state, (tuple, list)) or len(state) != len(names):
        raise ShapeError(f"state must be a tuple ({', '.join(names)}), got {type(state).__name__}")
    return tuple(state)


def _param(params: dict, name: str) -> np.ndarray:
    if name not in params:
        raise InvalidValueError(f"params has no {name!r}; got keys {sorted(params)}")
    return np.asarray(params[name])


# The NumPy code of each elementwise map by its name in ``Apply``, and of each derivative
# f' written in the output y = f(z) where the function table gives it (σ' = y(1 − y),
# tanh' = 1 − y²): the table's code, with {0} where the argument goes.
_SCALAR = {f.name: f.code for f in FUNCTIONS.values()} | {
    f.prime: f.code_prime for f in FUNCTIONS.values()
}
_FROM_OUTPUT = {
    f.prime: f.code_prime_from_value
    for f in FUNCTIONS.values()
    if f.code_prime_from_value is not None
}


class _VectorCode(MatrixVisitor):
    """Code of a vector expression, a (B, k) array; elementwise maps become named
    temporaries of the enclosing :class:`NumpyJacobianPrinter`, each computed once."""

    def __init__(self, owner: NumpyJacobianPrinter) -> None:
        super().__init__()
        self.owner = owner

    def _print(self, e, **kwargs) -> str:
        memo = self.owner.memo
        if not isinstance(e, MatrixSymbol) and e in memo:
            return memo[e]
        return super()._print(e)

    def _print_MatrixSymbol(self, e):
        return f"P_{e.name}" if e.name in self.owner.params else f"v_{e.name}"

    def _print_MatAdd(self, e):
        return "(" + " + ".join(self._print(t) for t in e.args) + ")"

    def _print_HadamardProduct(self, e):
        return "(" + " * ".join(self._print(t) for t in e.args) + ")"

    def _print_OneMatrix(self, e):
        return "1.0"

    def _print_MatMul(self, e):
        coef = sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)])
        mats = [a for a in e.args if getattr(a, "is_Matrix", False)]
        scalar = broadcast_scalar(MatMul(*mats)) if len(mats) == 2 else None
        if scalar is not None:  # 𝟏 ζ: the (B, rows) column of a scalar
            rows = self.owner.size(e.shape[0])
            code = f"np.broadcast_to({self._print(scalar)}, (B, {rows}))"
            return code if coef == 1 else f"({float(coef)!r} * {code})"
        if len(mats) == 1:
            return f"({float(coef)!r} * {self._print(mats[0])})"
        *consts, last = mats
        weight = " @ ".join(self.owner.mat(m)[0] for m in consts)
        code = (
            f"({self._print(last)} @ ({weight}).T)"
            if len(consts) > 1
            else f"({self._print(last)} @ {weight}.T)"
        )
        return code if coef == 1 else f"({float(coef)!r} * {code})"

    def _print_BlockMatrix(self, e):
        parts = ", ".join(self._print(b[0]) for b in e.blocks.tolist())
        return f"np.concatenate([{parts}], axis=1)"

    def _print_Apply(self, e):
        owner = self.owner
        base = e.name.rstrip("'")
        out = owner.outputs_of.get((base, e.vector))
        if e.name in _FROM_OUTPUT and out is not None:
            code = _FROM_OUTPUT[e.name].format(f"v_{out}")
        elif e.name in _FROM_OUTPUT and Apply(base, e.vector) in owner.memo:
            code = _FROM_OUTPUT[e.name].format(owner.memo[Apply(base, e.vector)])
        else:
            arg = self._print(e.vector)
            if _SCALAR[e.name].count("{0}") > 1 and not arg.isidentifier():
                arg = owner._new(arg)  # an argument used twice is computed once
            code = _SCALAR[e.name].format(arg)
        owner.memo[e] = owner._new(code)
        return owner.memo[e]

    def _print_Pairwise(self, e):
        code = PAIRWISE[e.name].code.format(self._print(e.first), self._print(e.second))
        self.owner.memo[e] = self.owner._new(code)
        return self.owner.memo[e]

    def emptyPrinter(self, e):
        raise TypeError(f"cannot print vector {type(e).__name__}: {e}")


class _MatrixCode(MatrixVisitor):
    """(code, batched) of a matrix expression: batched code is a (B, rows, cols) array."""

    def __init__(self, owner: NumpyJacobianPrinter) -> None:
        super().__init__()
        self.owner = owner

    def _print_MatrixSymbol(self, e):
        return f"P_{e.name}", False

    def _print_Identity(self, e):
        return f"np.eye({self.owner.size(e.shape[0])})", False

    def _print_ZeroMatrix(self, e):
        size = self.owner.size
        return f"np.zeros(({size(e.shape[0])}, {size(e.shape[1])}))", False

    def _print_OneMatrix(self, e):  # 𝟏 wᵀ: a scalar's weights broadcast to every unit
        size = self.owner.size
        return f"np.ones(({size(e.shape[0])}, {size(e.shape[1])}))", False

    def _print_Diag(self, e):
        return f"_diag({self.owner.vec(e.vector)})", True

    def _print_MatAdd(self, e):
        parts = [self._print(t) for t in e.args]
        return "(" + " + ".join(p for p, _ in parts) + ")", any(b for _, b in parts)

    def _print_MatMul(self, e):
        coef = sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)])
        code, batched = self.owner._product([a for a in e.args if getattr(a, "is_Matrix", False)])
        return (code, batched) if coef == 1 else (f"({float(coef)!r} * {code})", batched)

    def _print_BlockMatrix(self, e):
        rows = [[self._print(b) for b in row] for row in e.blocks.tolist()]
        code = "[" + ", ".join("[" + ", ".join(c for c, _ in row) + "]" for row in rows) + "]"
        return f"_block({code}, B)", True

    def emptyPrinter(self, e):
        raise TypeError(f"cannot print matrix {type(e).__name__}: {e}")


class NumpyJacobianPrinter:
    """Prints one compact Jacobian of one cell as a Python function of NumPy arrays."""

    def __init__(self, cell: CellEquations) -> None:
        self.cell = cell
        self.lines: list[str] = []
        self.memo: dict[MatrixExpr, str] = {}
        self.outputs_of = {
            (e.name, e.vector): s.name for s, e in cell.definitions if isinstance(e, Apply)
        }
        self.defined = {s for s, _ in cell.definitions}
        self.params = {p.name for p in cell.params}
        self.tmp = 0
        self.stacks: dict[tuple[str, tuple[str, ...]], str] = {}
        self._vectors = _VectorCode(self)
        self._matrices = _MatrixCode(self)

    # -- sizes and names ----------------------------------------------------------------
    def size(self, e: sp.Expr) -> str:
        return str(sp.sympify(e, strict=True))

    def _new(self, code: str) -> str:
        name = f"t{self.tmp}"
        self.tmp += 1
        self.lines.append(f"    {name} = {code}")
        return name

    # -- vectors, (B, k), and matrices, (code, batched) --------------------------------
    def vec(self, e: MatrixExpr) -> str:
        return self._vectors.visit(e)

    def mat(self, e: MatrixExpr) -> tuple[str, bool]:
        return self._matrices.visit(e)

    def _product(self, factors: list[MatrixExpr]) -> tuple[str, bool]:
        first, rest = factors[0], factors[1:]
        if not rest:
            return self.mat(first)
        right, batched = self._product(rest)
        if isinstance(first, Diag):
            return f"({self.vec(first.vector)}[..., None] * {right})", True
        left, lb = self.mat(first)
        if batched:
            return f"np.matmul({left}, {right})", True
        return f"({left} @ {right})", lb

    # -- the Jacobian, written into a preallocated array ------------------------------
    @staticmethod
    def _split(t: MatrixExpr) -> tuple[sp.Expr, list[MatrixExpr]]:
        """(scalar coefficient, matrix factors) of one term of a sum."""
        if isinstance(t, MatMul):
            coef = sp.Mul(*[a for a in t.args if not getattr(a, "is_Matrix", False)])
            return coef, [a for a in t.args if getattr(a, "is_Matrix", False)]
        return sp.S.One, [t]

    def _scaled(self, coef: sp.Expr, v: MatrixExpr) -> str:
        code = self.vec(v)
        return code if coef == 1 else f"({float(coef)!r} * {code})"

    def _stacked(self, codes: tuple[str, ...], kind: str) -> str:
        """One (B, rows, K) stack of K coefficient vectors, or one (rows, K, cols) stack of
        K constant matrices, computed once per function (blocks of several Jacobians that
        share a forward step reuse them)."""
        key = (kind, codes)
        if key not in self.stacks:
            axis = -1 if kind == "vectors" else 1
            self.stacks[key] = self._new(f"np.stack([{', '.join(codes)}], axis={axis})")
        return self.stacks[key]

    def emit_block(self, target: str, e: MatrixExpr) -> None:
        """Lines that write the (B, rows, cols) value of ``e`` into the view ``target``.

        Σ_k diag(v_k) M_k with K ≥ 2 constant (unbatched) M_k — every gate sum of the LSTM
        and GRU — is one batched matmul, row by row: out[:, i, :] = V[:, i, :] @ M[i] with
        V[b, i, k] = v_k[b, i] and M[i, k, :] = M_k[i, :], written straight into ``target``
        (one pass over the block instead of K products, K − 1 temporaries and K − 1 sums).
        Other dense terms are added afterwards; diag(v) and I go on the diagonal only.
        """
        terms = list(e.args) if isinstance(e, MatAdd) else [e]
        diagonal = []  # vectors (or scalars) added on the diagonal
        gates = []  # (coefficient vector code, constant matrix code): Σ diag(v) M
        dense = []
        for t in terms:
            coef, mats = self._split(t)
            if len(mats) == 1 and isinstance(mats[0], Identity):
                diagonal.append(repr(float(coef)))
            elif len(mats) == 1 and isinstance(mats[0], Diag):
                diagonal.append(self._scaled(coef, mats[0].vector))
            elif len(mats) == 1 and isinstance(mats[0], ZeroMatrix):
                continue
            elif len(mats) > 1 and isinstance(mats[0], Diag):
                right, batched = self._product(mats[1:])
                per_example = any(  # a (B, rows) coefficient, not a parameter-only one
                    a.name not in self.params for a in mats[0].vector.atoms(MatrixSymbol)
                )
                if batched or not per_example:
                    dense.append(t)
                else:
                    gates.append((self._scaled(coef, mats[0].vector), right))
            else:
                dense.append(t)
        if len(gates) == 1:  # a single diag(v) M: the general path is already one pass
            dense.insert(0, None)
        first = True
        if len(gates) > 1:
            V = self._stacked(tuple(v for v, _ in gates), "vectors")
            M = self._stacked(tuple(m for _, m in gates), "matrices")
            self.lines.append(
                f"    np.matmul({V}.transpose(1, 0, 2), {M}, out={target}.transpose(1, 0, 2))"
            )
            first = False
        tmp_ready = False
        for t in dense:
            if t is None:  # the lone gate term
                v, right = gates[0]
            else:
                coef, mats = self._split(t)
                if isinstance(mats[0], Diag) and len(mats) > 1:
                    v = self._scaled(coef, mats[0].vector)
                    right, _ = self._product(mats[1:])
                else:
                    v = None
            if v is not None:
                if first:
                    self.lines.append(f"    np.multiply({v}[..., None], {right}, out={target})")
                else:
                    if not tmp_ready:
                        self.lines.append(f"    _tmp = np.empty_like({target})")
                        tmp_ready = True
                    self.lines.append(f"    np.multiply({v}[..., None], {right}, out=_tmp)")
                    self.lines.append(f"    {target} += _tmp")
            else:
                code, _ = self.mat(t)
                op = "[...] =" if first else " +="
                self.lines.append(f"    {target}{op} {code}")
            first = False
        if first:
            self.lines.append(f"    {target}[...] = 0.0")
        for v in diagonal:
            self.lines.append(f"    _k = np.arange({target}.shape[1])")
            self.lines.append(f"    {target}[:, _k, _k] += {v}")

    def function(self, blocks: list[list[MatrixExpr]], state_names: tuple[str, ...]):
        """Source and function f(params, x, state) -> (B, R, C) for a grid of blocks."""
        return self.functions([blocks], state_names, single=True)

    def functions(
        self,
        grids: list[list[list[MatrixExpr]]],
        state_names: tuple[str, ...],
        single: bool = False,
    ):
        """f(params, x, state) -> (J_1, …, J_m), one (B, R_k, C_k) array per grid of blocks,
        all from one forward step (shared elementwise terms computed once)."""
        cell = self.cell
        head = ["def jacobian(params, x, state=None):"]
        head.append("    v_x = _as_batch('x', x)")
        head.append("    B = v_x.shape[0]")
        if state_names:
            unpacked = ", ".join(f"v_{s}" for s in state_names)
            head.append(f"    {unpacked}, = _unpack_state(state, {state_names!r})")
            for s in state_names:
                head.append(f"    v_{s} = _as_batch({s!r}, v_{s})")
        sizes = {}
        for s in cell.leaves:
            sizes.setdefault(s.shape[0], f"v_{s.name}.shape[1]")
        for sym, code in sizes.items():
            if isinstance(sym, sp.Symbol):
                head.append(f"    {sym} = {code}")
        for p in cell.params:
            head.append(f"    P_{p.name} = _param(params, {p.name!r})")
            if p.shape[1] == 1:  # biases are (k,) arrays; keep them 1-D
                head.append(f"    P_{p.name} = P_{p.name}.reshape(-1)")
        for sym, e in cell.definitions:
            self.lines.append(f"    v_{sym.name} = {self.vec(e)}")
        results = []
        for g, blocks in enumerate(grids):
            J = "J" if single else f"J{g}"
            results.append(J)
            row_sizes = [self.size(row[0].shape[0]) for row in blocks]
            col_sizes = [self.size(b.shape[1]) for b in blocks[0]]
            total_r, total_c = " + ".join(row_sizes), " + ".join(col_sizes)
            self.lines.append(f"    {J} = np.empty((B, {total_r}, {total_c}))")
            r0 = "0"
            for row, rs in zip(blocks, row_sizes):
                c0 = "0"
                for b, cs in zip(row, col_sizes):
                    self.lines.append(f"    _T = {J}[:, {r0}:{r0} + {rs}, {c0}:{c0} + {cs}]")
                    self.emit_block("_T", b)
                    c0 = f"{c0} + {cs}"
                r0 = f"{r0} + {rs}"
        self.lines.append(f"    return {results[0] if single else ', '.join(results) + ','}")
        source = "\n".join(head + self.lines) + "\n"
        namespace = {
            "np": np,
            "numpy": np,
            **CODE_NAMESPACE,
            "_as_batch": _as_batch,
            "_unpack_state": _unpack_state,
            "_param": _param,
            "_diag": _diag,
            "_block": _block,
        }
        # The source is generated here from the compact form; nothing comes from the user.
        exec(compile(source, f"<gradsym jacobian {cell.name}/{cell.variant}>", "exec"), namespace)  # noqa: S102
        fn = namespace["jacobian"]
        fn.__source__ = source
        return fn


def _diag(v: np.ndarray) -> np.ndarray:
    out = np.zeros(v.shape + (v.shape[-1],))
    k = np.arange(v.shape[-1])
    out[:, k, k] = v
    return out


def _block(rows, B: int) -> np.ndarray:
    def batched(a):
        return a if a.ndim == 3 else np.broadcast_to(a, (B,) + a.shape)

    return np.concatenate(
        [np.concatenate([batched(a) for a in row], axis=2) for row in rows], axis=1
    )
