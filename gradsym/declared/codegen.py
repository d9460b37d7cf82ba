"""The NumPy cell of a declared cell, printed from its equations and compiled once.

:class:`CellPrinter` walks the equations (a :class:`~gradsym.lang.visitor.MatrixVisitor`,
one ``_print_<Class>`` per construct) into a small graph of vector operations, then prints
four NumPy functions for :class:`~gradsym.numeric.cells.generated.GeneratedCell`:

- the forward step, from the equations;
- the backward step, from the same differentiation rules the matrix calculus uses, applied
  to an adjoint (vector–Jacobian products, never an n×n Jacobian):
  d(a + b) → ḡa = ḡb = ḡ;  d(a∘b) → ḡa = ḡ∘b;  d f(z) → ḡz = ḡ∘f'(z), f' written from the
  output (σ' = σ(1 − σ)) where the function table can, else from z (log' = 1/z);
  d f(a, b) → ḡa = ḡ∘∂₁f, ḡb = ḡ∘∂₂f (max, a/b, a^b: the pairwise table's NumPy
  partials, reusing the output);  d(𝟏 ζ) → ζ̄ = Σ_i ḡ_i (a scalar broadcast to a vector);
  d(W v) → ḡv = ḡ W, W̄ += ḡᵀ v;
- every term that depends on the input and the parameters only (U_f x + b_f) is hoisted
  out of the loop and computed for all T steps in one product, and its backward likewise;
- products of one vector with several weights (W_f h, W_i h, W_o h, W_c h) are one product
  with the weights stacked in one fused array, as the hand-written cells store them.

The state Jacobian is the symbolic compact Jacobian printed by
:class:`~gradsym.lang.numpy_code.NumpyJacobianPrinter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy import MatrixSymbol

from gradsym.errors import DeclarationError
from gradsym.lang.broadcast import broadcast_scalar
from gradsym.lang.elementwise import FUNCTIONS, PAIRWISE
from gradsym.lang.matexpr import Apply
from gradsym.lang.names import d as d_sym
from gradsym.lang.names import n as n_sym
from gradsym.lang.visitor import MatrixVisitor
from gradsym.numeric.cells.generated import CellProgram, ParamSpec
from gradsym.symbolic.api import lambdify_state_and_input
from gradsym.symbolic.equations import CellEquations
from gradsym.symbolic.explicit import environment


@dataclass
class _Node:
    id: int
    op: str  # state, x, param, add, scale, had, apply, pair, bcast, matmul, ones, concat
    args: tuple[int, ...]
    data: Any
    rows: sp.Expr
    dyn: bool  # depends on the previous state
    xdep: bool  # depends on the input
    names: list[str] = field(default_factory=list)
    pure: bool = False  # a number: no parameter, input or state below it (1 − σ(s − 1))


def _size(e: sp.Expr) -> tuple[int, int, int]:
    poly = sp.Poly(sp.sympify(e, strict=True), n_sym, d_sym)
    a = int(poly.coeff_monomial(n_sym))
    b = int(poly.coeff_monomial(d_sym))
    c = int(poly.coeff_monomial(1))
    return a, b, c


class _Graph(MatrixVisitor):
    """The equations as a graph of vector operations, in evaluation order."""

    def __init__(self, cell: CellEquations) -> None:
        super().__init__()
        self.cell = cell
        self.nodes: list[_Node] = []
        self.memo: dict = {}
        self.params = {p.name: p for p in cell.params}
        self.state_leaf = {s: k for k, s in enumerate(cell.state)}
        self.defined: dict[str, int] = {}
        for sym, expr in cell.definitions:
            node = self.visit(expr)
            self.defined[sym.name] = node
            self.nodes[node].names.append(sym.name)

    def _print(self, e, **kwargs) -> int:
        if e in self.memo:
            return self.memo[e]
        out = super()._print(e)
        self.memo[e] = out
        return out

    def new(self, op: str, args: tuple[int, ...], data: Any, rows: sp.Expr, **flags) -> int:
        dyn = flags.get("dyn", any(self.nodes[a].dyn for a in args))
        xdep = flags.get("xdep", any(self.nodes[a].xdep for a in args))
        pure = op == "ones" or (bool(args) and all(self.nodes[a].pure for a in args))
        self.nodes.append(_Node(len(self.nodes), op, args, data, rows, dyn, xdep, pure=pure))
        return len(self.nodes) - 1

    def _print_MatrixSymbol(self, e):
        if e.name in self.defined:
            return self.defined[e.name]
        if e.name in self.state_leaf:
            return self.new("state", (), self.state_leaf[e.name], e.shape[0], dyn=True)
        if e.name == "x":
            return self.new("x", (), None, e.shape[0], dyn=False, xdep=True)
        if e.name in self.params and e.shape[1] == 1:
            return self.new("param", (), e.name, e.shape[0], dyn=False, xdep=False)
        raise DeclarationError(f"{e.name} is a matrix where the equations need a vector")

    def _print_MatAdd(self, e):
        args = tuple(self._print(a) for a in e.args)
        return self.new("add", args, None, e.shape[0])

    def _print_MatMul(self, e):
        coef = sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)])
        mats = [a for a in e.args if getattr(a, "is_Matrix", False)]
        scalar = broadcast_scalar(sp.MatMul(*mats)) if len(mats) == 2 else None
        if scalar is not None:  # 𝟏 ζ: a scalar as a column
            cur = self.new("bcast", (self._print(scalar),), None, e.shape[0])
            return cur if coef == 1 else self.new("scale", (cur,), float(coef), e.shape[0])
        cur = self._print(mats[-1])
        for m in reversed(mats[:-1]):
            if not (isinstance(m, MatrixSymbol) and m.name in self.params):
                raise DeclarationError(
                    f"the NumPy cell multiplies parameters with vectors; {m} is neither"
                )
            cur = self.new("matmul", (cur,), m.name, m.shape[0])
        if coef != 1:
            cur = self.new("scale", (cur,), float(coef), e.shape[0])
        return cur

    def _print_HadamardProduct(self, e):
        return self.new("had", tuple(self._print(a) for a in e.args), None, e.shape[0])

    def _print_Apply(self, e):
        if e.name not in FUNCTIONS:
            raise DeclarationError(
                f"the NumPy cell computes functions, not their derivatives: {e.name}(·)"
            )
        return self.new("apply", (self._print(e.vector),), e.name, e.shape[0])

    def _print_Pairwise(self, e):
        args = (self._print(e.first), self._print(e.second))
        return self.new("pair", args, e.name, e.shape[0])

    def _print_OneMatrix(self, e):
        return self.new("ones", (), None, e.shape[0], dyn=False, xdep=False)

    def _print_BlockMatrix(self, e):
        args = tuple(self._print(b) for b in e.blocks)
        return self.new("concat", args, None, e.shape[0])

    def emptyPrinter(self, e):
        raise DeclarationError(f"a cell's equations cannot contain {type(e).__name__} ({e})")


def _code_size(e: sp.Expr) -> str:
    return str(sp.sympify(e, strict=True))


class CellPrinter:
    """Prints the NumPy program of one declared cell (see the module docstring)."""

    def __init__(self, cell: CellEquations) -> None:
        self.cell = cell
        self.g = _Graph(cell)
        self.nodes = self.g.nodes
        self.consumers: dict[int, list[int]] = {k.id: [] for k in self.nodes}
        for k in self.nodes:
            for a in k.args:
                self.consumers[a].append(k.id)
        self._plan_groups()

    # -- fused products -------------------------------------------------------------------
    def _plan_groups(self) -> None:
        """Products sharing one vector become one product with stacked weights; each
        parameter belongs to one fused array (``kind``), in order of first appearance."""
        by_arg: dict[tuple, list[int]] = {}
        for k in self.nodes:
            if k.op == "matmul":
                p = self.g.params[k.data]
                key = (
                    k.args[0],
                    k.dyn,
                    sp.sympify(p.shape[0], strict=True),
                    sp.sympify(p.shape[1], strict=True),
                )
                by_arg.setdefault(key, []).append(k.id)
        self.group_of: dict[int, str] = {}  # matmul node -> fused kind
        self.groups: dict[str, list[int]] = {}
        self.kind_of: dict[str, str] = {}
        for members in by_arg.values():
            names = [self.nodes[m].data for m in members]
            distinct = len(members) > 1 and len(set(names)) == len(names)
            if distinct and all(nm not in self.kind_of for nm in names):
                kind = f"G{len(self.groups)}"
                self.groups[kind] = members
                for m, nm in zip(members, names):
                    self.group_of[m] = kind
                    self.kind_of[nm] = kind
        for p in self.cell.params:
            self.kind_of.setdefault(p.name, p.name)

    def _offsets(self, kind: str) -> list[tuple[str, str]]:
        """(start, stop) code of each member's rows in the group's stacked output."""
        out, start = [], "0"
        for m in self.groups[kind]:
            rows = _code_size(self.nodes[m].rows)
            out.append((start, f"{start} + {rows}"))
            start = f"{start} + {rows}"
        return out

    # -- references -------------------------------------------------------------------------
    def key(self, k: int) -> str:
        """Where a step keeps node k's values: under its name when the equations name it."""
        node = self.nodes[k]
        return node.names[0] if node.names else f"v{k}"

    def ref(self, k: int, where: str) -> str:
        """The value of node k in precompute ("pre"), a step ("step") or a backward step
        ("back")."""
        node = self.nodes[k]
        if node.op == "ones":
            return "1.0"
        if where == "pre":
            return f"v{k}"
        if node.dyn:
            return f"K[{self.key(k)!r}][t]" if where == "back" else f"v{k}"
        if node.xdep:
            return f"S['s{k}'][t]"
        return f"S['c{k}']"

    def _value(self, k: int, where: str) -> str:
        node = self.nodes[k]
        a = [self.ref(x, where) for x in node.args]
        if node.op == "x":
            return "X"
        if node.op == "param":
            return f"P[{node.data!r}]"
        if node.op == "add":
            return " + ".join(a)
        if node.op == "scale":
            return f"{node.data!r} * {a[0]}"
        if node.op == "had":
            return " * ".join(a)
        if node.op == "apply":
            return f"_f[{node.data!r}]({a[0]})"
        if node.op == "pair":
            return f"_pw[{node.data!r}]({a[0]}, {a[1]})"
        if node.op == "bcast":
            return f"_bcast({a[0]}, {_code_size(node.rows)})"
        if node.op == "concat":
            return f"np.concatenate([{', '.join(a)}], axis=-1)"
        if node.op == "matmul":
            kind = self.group_of.get(k)
            if kind is None:
                return f"{a[0]} @ P[{node.data!r}].T"
            lo, hi = self._offsets(kind)[self.groups[kind].index(k)]
            return f"R_{kind}[:, {lo}:{hi}]"
        raise DeclarationError(f"no NumPy code for the operation {node.op}")

    # -- forward --------------------------------------------------------------------------
    def _needed_in_back(self) -> set[int]:
        need = set()
        for k in self.nodes:
            if not k.dyn:
                continue
            if k.op == "had":
                need |= set(k.args)
            elif k.op == "apply":
                need.add(k.id if FUNCTIONS[k.data].grad_from_output else k.args[0])
            elif k.op == "pair":
                need |= {k.id, *k.args}
            elif k.op == "matmul":
                need.add(k.args[0])
            if k.names:
                need.add(k.id)
        return {k for k in need if self.nodes[k].dyn}

    def precompute_source(self) -> str:
        lines = [
            "def precompute(P, F, X, T, B):",
            "    S = {'gates': {}}",
            "    n = S['n'] = _n_of(P)",
            "    d = S['d'] = X.shape[1]",
        ]
        done = set()
        for k in self.nodes:
            if k.dyn or k.op == "ones":
                continue
            kind = self.group_of.get(k.id)
            if kind is not None and kind not in done:
                done.add(kind)
                arg = self.nodes[self.groups[kind][0]].args[0]
                lines.append(f"    R_{kind} = v{arg} @ F[{kind!r}].T")
            lines.append(f"    v{k.id} = {self._value(k.id, 'pre')}")
            lines.append(f"    S['v{k.id}'] = v{k.id}")
            if any(self.nodes[c].dyn for c in self.consumers[k.id]) or k.names:
                if k.xdep:
                    lines.append(f"    S['s{k.id}'] = v{k.id}.reshape(T, B, -1)")
                else:
                    lines.append(f"    S['c{k.id}'] = v{k.id}")
            for name in k.names:
                if k.xdep:
                    lines.append(f"    S['gates'][{name!r}] = S['s{k.id}']")
        for kind, members in self.groups.items():
            if self.nodes[members[0]].dyn:
                lines.append(f"    S['WT_{kind}'] = np.ascontiguousarray(F[{kind!r}].T)")
        lines.append("    return S")
        return "\n".join(lines) + "\n"

    def step_source(self) -> str:
        need = self._needed_in_back()
        lines = ["def step(P, S, t, state, K):", "    n = S['n']; d = S['d']"]
        done = set()
        for k in self.nodes:
            if not k.dyn:
                continue
            if k.op == "state":
                lines.append(f"    v{k.id} = state[{k.data}]")
            else:
                kind = self.group_of.get(k.id)
                if kind is not None and kind not in done:
                    done.add(kind)
                    arg = self.nodes[self.groups[kind][0]].args[0]
                    lines.append(f"    R_{kind} = {self.ref(arg, 'step')} @ S['WT_{kind}']")
                lines.append(f"    v{k.id} = {self._value(k.id, 'step')}")
            if k.id in need:
                lines.append(f"    _keep(K, {self.key(k.id)!r}, t, v{k.id})")
        outs = []
        for s in self.cell.outputs:
            k = self.g.defined[s]
            ref = self.ref(k, "step")
            outs.append(ref if self.nodes[k].dyn or self.nodes[k].xdep else f"_rows({ref}, B)")
        lines.append(f"    return ({', '.join(outs)},)")
        return "\n".join(lines) + "\n"

    # -- backward -------------------------------------------------------------------------
    def _emit_back(self, nodes: list[_Node], where: str, lines: list[str], have: set[int]):
        """Reverse-mode lines over ``nodes`` (descending ids). In a backward step
        (``where`` "back") ``have`` holds the nodes with an adjoint g<id> so far; in
        ``finish`` ("fin") every static node's adjoint starts at zero."""

        def add(target: int, expr: str) -> None:
            node = self.nodes[target]
            if node.pure:
                return
            if where == "back" and not node.dyn:
                if node.xdep:
                    lines.append(f"    _acc_t(A, 's{target}', t, {expr})")
                else:
                    lines.append(f"    _acc_c(A, 'c{target}', {expr})")
                return
            if where == "fin":
                if not node.xdep:
                    expr = f"_to_vector({expr})"
                lines.append(f"    g{target} += {expr}")
            elif target in have:
                lines.append(f"    g{target} = g{target} + {expr}")
            else:
                lines.append(f"    g{target} = {expr}")
                have.add(target)

        def val(a: int) -> str:
            if where == "back":
                return self.ref(a, "back")
            if self.nodes[a].pure:  # not loaded in finish: a constant
                return "1.0" if self.nodes[a].op == "ones" else f"S['v{a}']"
            return f"v{a}"

        for node in sorted(nodes, key=lambda k: -k.id):
            for kind, members in self.groups.items():
                m0 = self.nodes[members[0]]
                if m0.args[0] != node.id or (where == "back") != m0.dyn:
                    continue
                if where == "back":
                    lines.append(f"    dR = A['dR_{kind}'][t]")
                    add(node.id, f"dR @ F[{kind!r}]")
                else:
                    add(node.id, f"dR_{kind} @ F[{kind!r}]")
                    lines.append(f"    G[{kind!r}] = dR_{kind}.T @ v{node.id}")
            k = node.id
            if where == "back" and k not in have:
                continue
            g, op = f"g{k}", node.op
            if op == "add":
                for a in node.args:
                    add(a, g)
            elif op == "scale":
                add(node.args[0], f"{node.data!r} * {g}")
            elif op == "had":
                for i, a in enumerate(node.args):
                    others = [val(b) for j, b in enumerate(node.args) if j != i]
                    add(a, " * ".join([g, *others]))
            elif op == "apply":
                if FUNCTIONS[node.data].grad_from_output is not None:
                    add(node.args[0], f"{g} * _df[{node.data!r}]({val(k)})")
                else:
                    add(node.args[0], f"{g} * _dfi[{node.data!r}]({val(node.args[0])})")
            elif op == "pair":
                a, b = node.args
                if not (self.nodes[a].pure and self.nodes[b].pure):
                    lines.append(
                        f"    p{k}a, p{k}b = _dpw[{node.data!r}]({val(a)}, {val(b)}, {val(k)})"
                    )
                    add(a, f"{g} * p{k}a")
                    add(b, f"{g} * p{k}b")
            elif op == "bcast":
                add(node.args[0], f"np.sum({g}, axis=-1, keepdims=True)")
            elif op == "concat":
                start = "0"
                for a in node.args:
                    rows = _code_size(self.nodes[a].rows)
                    add(a, f"{g}[..., {start}:{start} + {rows}]")
                    start = f"{start} + {rows}"
            elif op == "matmul":
                kind = self.group_of.get(k)
                if kind is not None:
                    lo, hi = self._offsets(kind)[self.groups[kind].index(k)]
                    total = self._offsets(kind)[-1][1]
                    if where == "back":
                        lines.append(f"    _acc_t(A, 'dR_{kind}', t, {g}, ({lo}, {hi}), {total})")
                    else:
                        lines.append(f"    dR_{kind}[:, {lo}:{hi}] += {g}")
                else:
                    arg = node.args[0]
                    add(arg, f"{g} @ P[{node.data!r}]")
                    lines.append(f"    _acc_param(A, {node.data!r}, {g}, {val(arg)})")
            elif op == "param":
                lines.append(f"    _acc_param(A, {node.data!r}, {g}, None)")
            elif op == "x":
                lines.append(f"    dX += {g}")

    def step_back_source(self) -> str:
        lines = ["def step_back(P, F, S, t, K, g_state, A):", "    n = S['n']; d = S['d']"]
        have: set[int] = set()
        for i, s in enumerate(self.cell.outputs):
            k = self.g.defined[s]
            node = self.nodes[k]
            if node.dyn:
                lines.append(
                    f"    g{k} = g{k} + g_state[{i}]" if k in have else f"    g{k} = g_state[{i}]"
                )
                have.add(k)
            elif node.xdep:
                lines.append(f"    _acc_t(A, 's{k}', t, g_state[{i}])")
            elif not node.pure:
                lines.append(f"    _acc_c(A, 'c{k}', g_state[{i}])")
        self._emit_back([k for k in self.nodes if k.dyn], "back", lines, have)
        outs = []
        for i in range(len(self.cell.state)):
            ks = [k.id for k in self.nodes if k.op == "state" and k.data == i]
            outs.append(f"g{ks[0]}" if ks and ks[0] in have else "np.zeros_like(g_state[0])")
        lines.append(f"    return ({', '.join(outs)},)")
        return "\n".join(lines) + "\n"

    def finish_source(self, layout: dict[str, tuple[str, str, str]]) -> str:
        lines = [
            "def finish(P, F, S, X, K, A):",
            "    n = S['n']; d = S['d']",
            "    T, B = A['_T'], A['_B']",
            "    G = {}",
            "    dX = np.zeros_like(X)",
        ]
        static = [k for k in self.nodes if not k.dyn and not k.pure]
        for k in static:
            value = "X" if k.op == "x" else f"S['v{k.id}']"
            lines.append(f"    v{k.id} = {value}")
            lines.append(f"    g{k.id} = np.zeros(np.shape(v{k.id}), X.dtype)")
            key = f"s{k.id}" if k.xdep else f"c{k.id}"
            lines.append(f"    if {key!r} in A:")
            reshape = ".reshape(T * B, -1)" if k.xdep else ""
            lines.append(f"        g{k.id} += A[{key!r}]{reshape}")
        for kind, members in self.groups.items():
            arg = members[0] and self.nodes[members[0]].args[0]
            if self.nodes[members[0]].dyn:
                lines.append(f"    if 'dR_{kind}' in A:")
                lines.append(
                    f"        G[{kind!r}] = A['dR_{kind}'].reshape(T * B, -1).T @ "
                    f"K[{self.key(arg)!r}].reshape(T * B, -1)"
                )
            else:
                total = self._offsets(kind)[-1][1]
                lines.append(f"    dR_{kind} = np.zeros((X.shape[0], {total}), X.dtype)")
        self._emit_back(static, "fin", lines, set())
        lines.append("    Q = A.get('params', {})")
        for name, (kind, lo, hi) in layout.items():
            lines.append(f"    if {name!r} in Q:")
            if kind == name:
                lines.append(
                    f"        G[{kind!r}] = G[{kind!r}] + Q[{name!r}] if {kind!r} in G else Q[{name!r}]"
                )
            else:
                lines.append(f"        G.setdefault({kind!r}, np.zeros_like(F[{kind!r}]))")
                lines.append(f"        G[{kind!r}][{lo}:{hi}] += Q[{name!r}]")
        lines.append("    return G, dX")
        return "\n".join(lines) + "\n"


def _bcast(s, rows: int):
    """A scalar (…, 1) as a column of ``rows`` entries (…, rows): a read-only view."""
    return np.broadcast_to(s, np.shape(s)[:-1] + (rows,))


def _rows(v, B: int):
    return np.broadcast_to(v, (B, np.shape(v)[-1])).copy()


def _keep(K: dict, key: str, t: int, v: np.ndarray) -> None:
    buf = K.get(key)
    if buf is None:
        buf = K[key] = np.empty((K["_T"], *np.shape(v)), np.result_type(v))
    buf[t] = v


def _acc_t(A: dict, key: str, t: int, g: np.ndarray, cols=None, width=None) -> None:
    """Add g into step t of the (T, B, k) buffer ``key`` (into columns ``cols`` of a
    fused product's buffer of ``width`` columns)."""
    buf = A.get(key)
    if buf is None:
        k = g.shape[-1] if cols is None else width
        buf = A[key] = np.zeros((A["_T"], g.shape[0], k), g.dtype)
    if cols is None:
        buf[t] += g
    else:
        buf[t, :, cols[0] : cols[1]] += g


def _acc_c(A: dict, key: str, g: np.ndarray) -> None:
    g = _to_vector(g)
    A[key] = A[key] + g if key in A else np.array(g, copy=True)


def _to_vector(g):
    return g.sum(axis=0) if np.ndim(g) == 2 else g


def _acc_param(A: dict, name: str, g: np.ndarray, v) -> None:
    """∂L/∂(parameter) of one use: Σ_b g for a vector, gᵀ v for a matrix."""
    if v is None:
        value = _to_vector(g)
    else:
        value = g.reshape(-1, g.shape[-1]).T @ np.asarray(v).reshape(-1, np.shape(v)[-1])
    params = A.setdefault("params", {})
    params[name] = params[name] + value if name in params else value


def generate(cell: CellEquations, equations: str = "") -> CellProgram:
    """The :class:`CellProgram` of a declared symbolic cell."""
    if "h" not in cell.outputs:
        raise DeclarationError(
            f"cell {cell.name!r}: a NumPy cell needs a state named h (the output the "
            f"network reads); its states are {', '.join(cell.outputs)}"
        )
    printer = CellPrinter(cell)
    kinds: dict[str, list[str]] = {}
    for p in cell.params:
        kinds.setdefault(printer.kind_of[p.name], []).append(p.name)
    layout = {}
    for kind, names in kinds.items():
        start = "0"
        for nm in names:
            rows = _code_size(printer.g.params[nm].shape[0])
            layout[nm] = (kind, start, f"{start} + {rows}")
            start = f"{start} + {rows}"
    sources = {
        "precompute": printer.precompute_source(),
        "step": printer.step_source(),
        "step_back": printer.step_back_source(),
        "finish": printer.finish_source(layout),
    }
    namespace = _namespace(cell)
    for key, src in sources.items():
        # Generated here from the cell's own symbolic equations; no user text is executed.
        exec(compile(src, f"<gradsym cell {cell.name}: {key}>", "exec"), namespace)  # noqa: S102
    jac = lambdify_state_and_input(cell)
    single = len(cell.state) == 1

    def state_jacobian(params, x, state):
        return jac(params, x, state[0] if single else tuple(state))

    roles = _roles(cell, printer)
    return CellProgram(
        name=cell.name,
        variant=cell.variant,
        state_names=tuple(cell.outputs),
        gate_names=tuple(s.name for s, _ in cell.definitions if s.name not in cell.outputs),
        params=tuple(
            ParamSpec(
                p.name,
                _size(p.shape[0]),
                (0, 0, 1) if p.shape[1] == 1 else _size(p.shape[1]),
                printer.kind_of[p.name],
            )
            for p in _storage_order(cell.params, printer)
        ),
        precompute=namespace["precompute"],
        step=namespace["step"],
        step_back=namespace["step_back"],
        finish=namespace["finish"],
        state_jacobian=state_jacobian,
        input_is_hidden=cell.symbol("x").shape[0] == n_sym,
        equations=equations,
        sources=sources,
        **roles,
    )


def _storage_order(params, printer) -> list:
    """Parameters grouped by fused array (each array's blocks in order)."""
    out = []
    kinds: dict[str, list] = {}
    for p in params:
        kinds.setdefault(printer.kind_of[p.name], []).append(p)
    for members in kinds.values():
        out += members
    return out


def _namespace(cell: CellEquations) -> dict:
    """What the printed functions call: NumPy, the NumPy table of activations and the
    accumulators above."""
    sized = None
    for p in cell.params:
        a, b, c = _size(p.shape[0])
        if a and not b and not c:
            sized = (p.name, a)
            break
    if sized is None:
        raise DeclarationError(f"cell {cell.name!r}: no parameter has a multiple of n rows")

    def _n_of(P):
        name, a = sized
        return P[name].shape[0] // a

    return {
        "np": np,
        "_f": {name: act.apply for name, act in FUNCTIONS.items()},
        "_df": {name: act.grad_from_output for name, act in FUNCTIONS.items()},
        "_dfi": {name: act.grad_from_input for name, act in FUNCTIONS.items()},
        "_pw": {name: f.apply for name, f in PAIRWISE.items()},
        "_dpw": {name: f.partials for name, f in PAIRWISE.items()},
        "_bcast": _bcast,
        "_keep": _keep,
        "_acc_t": _acc_t,
        "_acc_c": _acc_c,
        "_to_vector": _to_vector,
        "_acc_param": _acc_param,
        "_rows": _rows,
        "_n_of": _n_of,
    }


def _roles(cell: CellEquations, printer: CellPrinter) -> dict[str, Any]:
    """Which parameters are recurrent, input, bias, diagonal or peephole weights, and
    which sigmoid gate forgets a memory state or carries h (with the sign that opens it)."""
    nodes = printer.nodes
    first_state = cell.state[cell.outputs.index("h")]
    recurrent, inputs, peephole, biases, diagonal = [], [], [], [], []
    for p in cell.params:
        uses = [k for k in nodes if k.op == "matmul" and k.data == p.name]
        if uses:
            arg = nodes[uses[0].args[0]]
            if arg.op == "state" and cell.state[arg.data] != first_state:
                peephole.append(p.name)
            elif arg.dyn:
                recurrent.append(p.name)
            elif arg.xdep:
                inputs.append(p.name)
            continue
        pnodes = [k.id for k in nodes if k.op == "param" and k.data == p.name]
        # through a broadcast: a scalar ζ multiplies the state as 𝟏ζ
        pnodes += [c for k in pnodes for c in printer.consumers[k] if nodes[c].op == "bcast"]
        in_dyn_product = any(
            nodes[c].op == "had" and nodes[c].dyn for k in pnodes for c in printer.consumers[k]
        )
        (diagonal if in_dyn_product else biases).append(p.name)
    roles: dict[str, Any] = {
        "recurrent_weights": tuple(recurrent),
        "input_weights": tuple(inputs),
        "biases": tuple(biases),
        "diagonal_weights": tuple(diagonal),
        "peephole_weights": tuple(peephole),
    }
    roles.update(_gate_roles(cell, set(biases)))
    return roles


def _gate_roles(cell: CellEquations, biases: set[str]) -> dict[str, Any]:
    """A sigmoid gate g with ∂²s/∂g∂s⁽ᵗ⁻¹⁾ = +1 for a memory state s ≠ h forgets (its bias
    is the forget-gate bias); one with ±1 for h carries h (the update gate; the sign says
    which way its bias opens the carry path, −1 for (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃). Computed at
    n = d = 1 with every intermediate held as a variable."""
    defs = dict(cell.definitions)
    gates = [s for s, e in cell.definitions if isinstance(e, Apply) and e.name == "sigmoid"]
    if not gates:
        return {}
    inter = frozenset(s.name for s, _ in cell.definitions if s.name not in cell.outputs)
    env = environment(cell, 1, 1, inter)
    out: dict[str, Any] = {}
    for g in gates:
        bias = _gate_bias(defs[g], defs, biases)
        if bias is None:
            continue
        gsym = env[g][0, 0]
        for s, prev in zip(cell.outputs, cell.state):
            out_s = env[cell.vectors[s]][0, 0]
            k = sp.simplify(sp.diff(out_s, gsym, env[cell.vectors[prev]][0, 0]))
            if s != "h" and k == 1 and "forget_gate_bias" not in out:
                out["forget_gate_bias"] = bias
            elif s == "h" and k in (1, -1) and "update_gate_bias" not in out:
                out["update_gate_bias"] = bias
                out["update_gate_sign"] = float(k)
    return out


def _gate_bias(expr, defs, biases: set[str]) -> str | None:
    arg = expr.vector
    if isinstance(arg, MatrixSymbol) and arg in defs:
        arg = defs[arg]
    for a in sp.preorder_traversal(arg):
        if isinstance(a, MatrixSymbol) and a.name in biases:
            return a.name
    return None


__all__ = ["CellPrinter", "generate"]
