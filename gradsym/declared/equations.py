"""A cell from its equations: text in the candidate grammar, or SymPy matrix expressions.

    f = sigma(W_f @ h_prev + U_f @ x + b_f)
    h_tilde = tanh(W_h @ (f * h_prev) + U_h @ x + b_h)
    h = (1 - f) * h_prev + f * h_tilde

One assignment per line (a line may continue while a parenthesis is open; ``#`` starts a
comment). Right-hand sides are in the grammar of ``gradsym check``
(``help(gradsym.lang.parser)``): ``@`` the matrix product, ``*`` the Hadamard
product of two vectors, ``1 - f`` the ones vector minus f, σ/sigma, tanh, relu, exp, log,
softplus, sqrt, abs, step, max(a, b), min(a, b), logaddexp(a, b) (a number or a vector as
either argument), ``c / n`` and ``a ** (c * r)`` entrywise. The equations may come in any
order; they are evaluated in the order their dependencies give.

Part of the sLSTM of Beck et al. (2024), its stabiliser state m and normaliser n (the
library's ``slstm`` holds all of it)::

    m = max(log(f) + m_prev, i_tilde)
    i = exp(i_tilde - m)
    c = f_s * c_prev + i * z
    n = f_s * n_prev + i
    h = o * (c / n)

Names and shapes (n the hidden size, d the input size):

- ``state=["h", "c"]``: each state s is an n-vector defined by an equation ``s = …``; its
  previous value is the leaf ``s_prev``; a cell has any number of states (the network
  reads h). ``x`` is the input (d).
- a name defined by an equation is an intermediate vector (shape of its right-hand side);
- parameters by convention: a capitalised name (``W_f``, ``U``, ``B``) is a matrix with n
  rows and d columns when it multiplies ``x`` directly (``U_f @ x``), n otherwise; ``b`` and
  ``b_*`` are n-vectors (biases);
- any other shape is declared: ``shapes={"w_h": "n", "lambda_": "n", "W_o": "n x 2n"}``;
  ``"1"`` is a scalar (FastGRNN's ζ): it multiplies and adds to vectors as a number does;
  ``shapes={"x": "n"}`` declares an input of the hidden size (a cell that adds x to h);
- any other name is an error.

A pre-activation that is not named (``f = sigma(W_f @ h_prev + …)``) is named ``z_f`` (``z_c``
for ``c_tilde``), as the notes name them, so that Jacobians read diag(c⁽ᵗ⁻¹⁾∘σ'(z_f)) W_f.

Every mistake is a :class:`~gradsym.errors.DeclarationError` of one line naming the equation
and the problem: an undefined name, an unknown function, shapes that do not chain, a state
never defined, a cycle, a name defined twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import sympy as sp
from sympy import MatrixSymbol
from sympy.matrices.expressions import MatrixExpr
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from gradsym.errors import CandidateError, DeclarationError
from gradsym.lang.elementwise import FUNCTIONS
from gradsym.lang.matexpr import Apply
from gradsym.lang.names import d, n
from gradsym.lang.parser import ALLOWED_CALLS, FUNCTION_NAMES, parse_expression
from gradsym.symbolic.declared import DeclaredParameter, DeclaredVector
from gradsym.symbolic.equations import CellEquations

INPUT = "x"
VARIANT = "declared"
_IDENT = re.compile(r"(?<![.\w'])([A-Za-z_][A-Za-z_0-9]*)(?![\w'])")
_LHS = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*=(?!=)(.*)$", re.DOTALL)
_CELL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_RESERVED = {"I", "T", *FUNCTION_NAMES}


def _fail(equation: str | None, problem: str) -> DeclarationError:
    where = f"equation {equation}: " if equation else ""
    return DeclarationError(where + problem)


#: One term of a size: an integer coefficient (``2n``, ``2*n``, ``2 n``), a size symbol
#: alone, or an integer alone.
_SIZE_TERM = re.compile(r"^(?:(\d{1,6})\s*\*?\s*)?([nd])$|^(\d{1,6})$")
_SIZE_SYMBOLS = {"n": n, "d": d}


def parse_size(name: str, text: str) -> sp.Expr:
    """One dimension of a declared shape, read by an allow-list grammar (never evaluated as
    code): a sum of terms ``2n``, ``2*n``, ``n``, ``d`` or a positive integer of at most six
    digits, e.g. ``"n + d"``, ``"2n"``, ``"1"``.

    >>> parse_size("W", "2n + d")
    d + 2*n
    """
    text = text.strip()
    if not text or len(text) > 60:
        raise _fail(None, f"the shape of {name!r}: {text[:60]!r} is not a size in n and d")
    value = sp.S.Zero
    for term in re.split(r"\s*\+\s*", text):
        m = _SIZE_TERM.match(term)
        if m is None:
            raise _fail(
                None,
                f"the shape of {name!r}: {text!r} is not a size in n and d "
                f"(write n, d, 2n, n + d or a whole number)",
            )
        coefficient, symbol, constant = m.groups()
        if symbol is not None:
            value += sp.Integer(coefficient or 1) * _SIZE_SYMBOLS[symbol]
        else:
            value += sp.Integer(constant)
    if not value.is_positive:
        raise _fail(None, f"the shape of {name!r}: {text!r} is not a positive size")
    return value


def parse_shape(name: str, text: Any) -> tuple[sp.Expr, sp.Expr]:
    """A declared shape: "n" or "d" (a vector), "n x n", "n x d", "2n x n", or a pair.

    Read by :func:`parse_size`, an allow-list grammar: a shape is never evaluated as code.
    """
    if isinstance(text, (tuple, list)) and len(text) == 2:
        if not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in text):
            raise _fail(None, f"the shape of {name!r} must be two sizes such as ['n', 'd']")
        parts = [str(p) for p in text]
    elif isinstance(text, str):
        if len(text) > 120:
            raise _fail(None, f"the shape of {name!r} is {len(text)} characters long")
        parts = [p for p in re.split(r"\s*(?:x|×|,)\s*", text.strip()) if p]
    else:
        raise _fail(None, f"the shape of {name!r} must be a string such as 'n' or 'n x d'")
    if len(parts) not in (1, 2):
        raise _fail(None, f"the shape of {name!r} must be 'rows' or 'rows x cols', got {text!r}")
    dims = [parse_size(name, p) for p in parts]
    return (dims[0], dims[1] if len(dims) == 2 else sp.S.One)


def _split_text(text: str) -> list[tuple[str, str]]:
    """(lhs, rhs) of each assignment; a line continues while a parenthesis is open."""
    if not isinstance(text, str):
        raise _fail(None, f"equations must be a string or SymPy expressions, got {type(text)}")
    statements, buf, depth = [], "", 0
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip() and depth == 0:
            continue
        buf = f"{buf} {line.strip()}" if buf else line.strip()
        depth = buf.count("(") + buf.count("[") - buf.count(")") - buf.count("]")
        if depth <= 0:
            statements.append(buf)
            buf, depth = "", 0
    if buf:
        statements.append(buf)
    out = []
    for st in statements:
        m = _LHS.match(st)
        if m is None:
            raise _fail(None, f"{st[:60]!r} is not an assignment 'name = expression'")
        out.append((m.group(1), m.group(2).strip()))
    if not out:
        raise _fail(None, "no equations were given")
    return out


def _names_in(rhs: str) -> list[str]:
    out = []
    for m in _IDENT.finditer(rhs):
        name = m.group(1)
        before = rhs[: m.start()].rstrip()
        if before.endswith(".") or name in out:
            continue
        out.append(name)
    return out


def _called(rhs: str) -> list[str]:
    """The names written as calls, f(…), in a right-hand side."""
    return [m.group(1) for m in re.finditer(r"(?<![.\w'])([A-Za-z_][A-Za-z_0-9]*)\s*\(", rhs)]


def _is_convention_parameter(name: str) -> bool:
    return name[0].isupper() or name == "b" or name.startswith("b_")


def _multiplies_input(name: str, rhs: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}\s*[@*]\s*{INPUT}(?![\w(])", rhs) is not None


class _Declaration:
    """Everything known about the names of one cell while its equations are read."""

    def __init__(self, lhs: list[str], state: tuple[str, ...], shapes: Mapping) -> None:
        self.lhs = lhs
        self.state = state
        self.declared = {k: parse_shape(k, v) for k, v in shapes.items()}
        x_size = self.declared.pop(INPUT, (d, sp.S.One))
        if x_size not in ((d, sp.S.One), (n, sp.S.One)):
            raise _fail(None, "the input x is declared 'd' (its own size) or 'n' (the hidden size)")
        for k in self.declared:
            if k in lhs or k in {f"{s}_prev" for s in state}:
                raise _fail(None, f"{k!r} is a vector of the cell, not a parameter to declare")
        self.leaves = {f"{s}_prev": DeclaredVector(f"{s}_prev", n, 1) for s in state}
        self.leaves[INPUT] = DeclaredVector(INPUT, x_size[0], 1)
        self.x_size = x_size[0]
        self.params: dict[str, DeclaredParameter] = {}

    def parameter(self, equation: str, name: str, rhs: str) -> DeclaredParameter:
        if name in self.params:
            return self.params[name]
        if name in self.declared:
            rows, cols = self.declared[name]
        elif _is_convention_parameter(name) and name not in _RESERVED:
            if name[0].isupper():
                rows, cols = n, (self.x_size if _multiplies_input(name, rhs) else n)
            else:
                rows, cols = n, sp.S.One
        else:
            prev = [s for s in self.state if name == s]
            hint = f"; the previous state is {name}_prev" if prev else ""
            raise _fail(
                equation,
                f"undefined name {name!r}: not a state ({', '.join(self.state)}), the input "
                "x, a defined vector or a parameter (W_*, U_*, capitalised names, b, b_*, or "
                f"declared in shapes){hint}",
            )
        self.params[name] = DeclaredParameter(name, rows, cols)
        return self.params[name]


def _order(deps: dict[str, set[str]], lhs: list[str]) -> list[str]:
    """The equations in an order where every name is defined before it is used (a depth-
    first walk kept on a list, not the call stack: a chain of equations can be long)."""
    order, done = [], set()
    for root in lhs:
        if root in done:
            continue
        visiting = [root]
        pending = [iter(sorted(deps[root], key=lhs.index))]
        while pending:
            dep = next(pending[-1], None)
            if dep is None:
                name = visiting.pop()
                pending.pop()
                done.add(name)
                order.append(name)
                continue
            if dep in done:
                continue
            if dep in visiting:
                cycle = visiting[visiting.index(dep) :] + [dep]
                if len(cycle) == 2:
                    state_hint = f" (the previous value is {dep}_prev)"
                    raise _fail(dep, f"{dep} is defined in terms of itself{state_hint}")
                raise _fail(cycle[0], "the equations form a cycle: " + " → ".join(cycle))
            visiting.append(dep)
            pending.append(iter(sorted(deps[dep], key=lhs.index)))
    return order


#: At most this many equations in a cell, and its right-hand sides, with every defined
#: vector written out, at most this deep: the symbolic engine and the code generator walk
#: them recursively (a chain of 200 equations exhausted Python's stack). The library's
#: cells have at most 6 equations, nesting at most 16 deep.
MAX_EQUATIONS = 100
MAX_DEPTH = 100


def _depth(expr, depths: Mapping[str, int]) -> int:
    """The depth of ``expr``'s tree, a defined vector counting as deep as its own
    right-hand side (``depths``: name → depth)."""
    deepest, stack = 0, [(expr, 1)]
    while stack:
        e, level = stack.pop()
        if isinstance(e, MatrixSymbol):
            level += depths.get(e.name, 0)
        deepest = max(deepest, level)
        if not isinstance(e, MatrixSymbol):
            stack.extend((a, level + 1) for a in e.args if isinstance(a, sp.Basic))
    return deepest


def _check_depth(name: str, expr, depths: dict[str, int]) -> None:
    depths[name] = _depth(expr, depths)
    if depths[name] > MAX_DEPTH:
        raise _fail(
            name,
            f"the right-hand side, with the vectors it uses written out, nests "
            f"{depths[name]} deep (at most {MAX_DEPTH})",
        )


def _check_state(lhs: list[str], state: Iterable[str]) -> tuple[str, ...]:
    if isinstance(state, str):
        state = [state]
    state = tuple(state)
    if not state:
        raise _fail(None, "a cell needs at least one state (state=['h'])")
    for s in state:
        if not isinstance(s, str) or not s.isidentifier():
            raise _fail(None, f"a state is a name such as 'h', got {s!r}")
        if s not in lhs:
            raise _fail(None, f"the state {s!r} is never defined: no equation '{s} = …'")
    if len(set(state)) != len(state):
        raise _fail(None, f"a state is named twice in {list(state)}")
    return state


def _count(lhs: list[str]) -> None:
    if len(lhs) > MAX_EQUATIONS:
        raise _fail(None, f"{len(lhs)} equations; a cell has at most {MAX_EQUATIONS}")


def _duplicates(lhs: list[str]) -> None:
    seen = set()
    for name in lhs:
        if name in seen:
            raise _fail(name, f"{name} is defined twice")
        if name == INPUT or name.endswith("_prev") or name in _RESERVED:
            raise _fail(name, f"{name!r} is reserved (the input, a previous state or a function)")
        seen.add(name)


def expressions_from_text(
    text: str, state: Iterable[str], shapes: Mapping | None = None
) -> tuple[dict[str, MatrixExpr], tuple[str, ...], dict[str, DeclaredParameter], dict]:
    """Parse the equations: (name → right-hand side, state, parameters, leaves)."""
    pairs = _split_text(text)
    lhs = [name for name, _ in pairs]
    _count(lhs)
    _duplicates(lhs)
    state = _check_state(lhs, state)
    decl = _Declaration(lhs, state, dict(shapes or {}))
    rhs_text = dict(pairs)
    deps = {}
    for name, rhs in pairs:
        deps[name] = set()
        for called in _called(rhs):
            known = called in _RESERVED or called in rhs_text or called in decl.leaves
            if not known and not _is_convention_parameter(called) and called not in decl.declared:
                raise _fail(name, f"unknown function {called!r}; the functions are {ALLOWED_CALLS}")
        for used in _names_in(rhs):
            if used in rhs_text:
                deps[name].add(used)
            elif used in decl.leaves or used in _RESERVED:
                continue
            else:
                decl.parameter(name, used, rhs)
    order = _order(deps, lhs)
    vectors: dict[str, MatrixSymbol] = {}
    exprs: dict[str, MatrixExpr] = {}
    depths: dict[str, int] = {}
    for name in order:
        table = {**decl.leaves, **decl.params, **vectors}
        try:
            expr = parse_expression(rhs_text[name], table, n)
        except CandidateError as exc:
            message = str(exc).replace("in a candidate", "in an equation")
            raise _fail(name, message.replace("candidate", "equation")) from None
        _check_depth(name, expr, depths)
        if not getattr(expr, "is_Matrix", False) or expr.shape[1] != 1:
            raise _fail(name, f"the right-hand side must be a column vector, got {expr!r:.60}")
        exprs[name] = expr
        vectors[name] = DeclaredVector(name, expr.shape[0], 1)
    for s in state:
        if exprs[s].shape[0] != n:
            raise _fail(s, f"the state {s} must have n entries, got shape {exprs[s].shape}")
    return {k: exprs[k] for k in order}, state, decl.params, decl.leaves


# -- SymPy input ------------------------------------------------------------------------------


def _activation_name(func) -> str | None:
    """The function of the table an ElementwiseApplyFunction applies (tanh, σ, exp, …)."""
    z = sp.Dummy("z", real=True)
    try:
        body = func(z)
    except Exception:  # noqa: BLE001 (any callable: unknown means not an activation)
        return None
    if not isinstance(body, sp.Expr) or not body.has(z):
        return None
    for act in FUNCTIONS.values():
        f = act.scalar(z)
        if body == f or sp.simplify(body - f.rewrite(sp.exp)) == 0:
            return act.name
    return None


def expressions_from_sympy(
    equations: Mapping | Iterable, state: Iterable[str]
) -> tuple[dict[str, MatrixExpr], tuple[str, ...], dict[str, DeclaredParameter], dict]:
    """SymPy equations {h: expr, …} (keys MatrixSymbols or names) in the same form as
    :func:`expressions_from_text`; shapes are the MatrixSymbols' own, in n and d."""
    items = list(equations.items()) if isinstance(equations, Mapping) else list(equations)
    pairs = []
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise _fail(None, "SymPy equations are {name: expression} or (name, expression) pairs")
        key, expr = item
        name = key.name if isinstance(key, MatrixSymbol) else key
        if not isinstance(name, str) or not name.isidentifier():
            raise _fail(None, f"an equation's left-hand side must be a name, got {key!r}")
        if not isinstance(expr, MatrixExpr) and not getattr(expr, "is_Matrix", False):
            raise _fail(
                name, f"the right-hand side must be a SymPy matrix expression, got {expr!r}"
            )
        pairs.append((name, expr))
    lhs = [name for name, _ in pairs]
    _count(lhs)
    _duplicates(lhs)
    state = _check_state(lhs, state)
    sizes = {"n": n, "d": d}
    leaves = {f"{s}_prev": DeclaredVector(f"{s}_prev", n, 1) for s in state}
    leaves[INPUT] = DeclaredVector(INPUT, d, 1)
    params: dict[str, DeclaredParameter] = {}
    deps: dict[str, set[str]] = {}
    converted: dict[str, MatrixExpr] = {}
    for name, expr in pairs:
        expr = _apply_functions(name, expr)
        subs, deps[name] = {}, set()
        for sym in expr.atoms(MatrixSymbol):
            shape = tuple(
                sp.sympify(s, strict=True).subs(
                    {
                        sp.Symbol(k, **a): v
                        for k, v in sizes.items()
                        for a in ({}, {"integer": True, "positive": True})
                    }
                )
                for s in sym.shape
            )
            if sym.name in lhs:
                deps[name].add(sym.name)
                continue
            if sym.name in leaves:
                target = leaves[sym.name]
            else:
                if sym.name in _RESERVED:
                    raise _fail(name, f"{sym.name!r} is reserved")
                target = params.setdefault(sym.name, DeclaredParameter(sym.name, *shape))
            if target.shape != shape:
                raise _fail(name, f"{sym.name} has shape {shape}, but {target.shape} elsewhere")
            subs[sym] = target
        converted[name] = expr.xreplace(subs)
    order = _order(deps, lhs)
    vectors = {}
    out = {}
    depths: dict[str, int] = {}
    for name in order:
        expr = converted[name].xreplace(
            {s: vectors[s.name] for s in converted[name].atoms(MatrixSymbol) if s.name in vectors}
        )
        _check_depth(name, expr, depths)
        from gradsym.lang.parser import shape_error

        problem = shape_error(expr)
        if problem:
            raise _fail(name, problem)
        if expr.shape[1] != 1:
            raise _fail(
                name, f"the right-hand side must be a column vector, got shape {expr.shape}"
            )
        out[name] = expr
        vectors[name] = DeclaredVector(name, expr.shape[0], 1)
    return out, state, params, leaves


def _apply_functions(name: str, expr: MatrixExpr) -> MatrixExpr:
    """SymPy's f.(v) (``v.applyfunc(tanh)``) as the notes' elementwise map ``Apply``."""

    def convert(e):
        if isinstance(e, ElementwiseApplyFunction):
            act = _activation_name(e.function)
            if act is None:
                raise _fail(
                    name,
                    f"elementwise {e.function} is not a function of the table "
                    f"({', '.join(FUNCTIONS)})",
                )
            return Apply(act, convert(e.expr))
        if not e.args or isinstance(e, (MatrixSymbol, Apply)):
            if isinstance(e, Apply):
                return Apply(e.name, convert(e.vector))
            return e
        return e.func(*[convert(a) for a in e.args])

    return convert(expr)


# -- the symbolic CellEquations ------------------------------------------------------------------------


def _preactivation_name(name: str, taken: set[str]) -> str | None:
    base = name.removesuffix("_tilde")
    candidate = "z" if base == "" else f"z_{base}"
    return None if candidate in taken else candidate


def build_cell(
    name: str,
    exprs: dict[str, MatrixExpr],
    state: tuple[str, ...],
    params: dict[str, DeclaredParameter],
    leaves: dict[str, DeclaredVector],
    *,
    variant: str = VARIANT,
    name_preactivations: bool = True,
) -> CellEquations:
    """The symbolic :class:`~gradsym.symbolic.equations.CellEquations` of declared equations."""
    if not isinstance(name, str) or not _CELL_NAME.match(name):
        raise DeclarationError(f"a cell's name is a word such as 'mgu', got {name!r}")
    from gradsym.cells import builtin, names

    if name in names(["builtin", "connection"]) or name in builtin.PRESETS:
        raise DeclarationError(f"{name!r} is a built-in cell; give the declared cell another name")
    taken = set(exprs) | set(params) | set(leaves)
    vectors: dict[str, DeclaredVector] = {}
    definitions: list[tuple[MatrixSymbol, MatrixExpr]] = []
    pre: list[str] = []
    for lhs, expr in exprs.items():
        expr = expr.xreplace(
            {s: vectors[s.name] for s in expr.atoms(MatrixSymbol) if s.name in vectors}
        )
        if (
            name_preactivations
            and isinstance(expr, Apply)
            and not isinstance(expr.vector, MatrixSymbol)
        ):
            z_name = _preactivation_name(lhs, taken)
            if z_name is not None:
                taken.add(z_name)
                z = DeclaredVector(z_name, expr.vector.shape[0], 1)
                definitions.append((z, expr.vector))
                pre.append(z_name)
                expr = Apply(expr.name, z)
        sym = DeclaredVector(lhs, expr.shape[0], 1)
        vectors[lhs] = sym
        definitions.append((sym, expr))
    for sym, expr in definitions:  # a named pre-activation the user wrote: z = W h + U x + b
        used_in_apply = any(
            isinstance(a, Apply) and a.vector == sym for _, e in definitions for a in _walk(e)
        )
        if sym.name not in pre and used_in_apply and not _walk_has_apply(expr):
            pre.append(sym.name)
    ordered_params = _parameter_order(definitions)
    prev = [leaves[f"{s}_prev"] for s in state]
    leaf_list = [*prev, leaves[INPUT]]
    blocks = [(s, w) for s in state for w in [*(p.name for p in prev), INPUT]]
    return CellEquations(
        name=name,
        variant=variant,
        leaves=tuple(leaf_list),
        params=tuple(params[p] for p in ordered_params if p in params),
        definitions=tuple(definitions),
        state=tuple(f"{s}_prev" for s in state),
        outputs=state,
        blocks=tuple(blocks),
        preactivations=tuple(p for p in (s.name for s, _ in definitions) if p in pre),
    )


def _walk(e):
    yield e
    for a in getattr(e, "args", ()):
        if isinstance(a, sp.Basic):
            yield from _walk(a)


def _walk_has_apply(e) -> bool:
    return any(isinstance(a, Apply) for a in _walk(e))


def _parameter_order(definitions) -> list[str]:
    """Parameters in the order they first appear in the equations, left to right (the
    order in which initialisers draw them, as the hand-written cells do)."""
    seen: list[str] = []
    for _, expr in definitions:
        for a in _walk(expr):
            if isinstance(a, DeclaredParameter) and a.name not in seen:
                seen.append(a.name)
    return seen


__all__ = [
    "INPUT",
    "VARIANT",
    "build_cell",
    "expressions_from_sympy",
    "expressions_from_text",
    "parse_shape",
    "parse_size",
]
