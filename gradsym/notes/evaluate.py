"""Evaluating what a step displays: exactly (SymPy) or in float64 (NumPy).

A check never holds expressions of its own: it hands the step's displayed objects to an
evaluator together with a :class:`Model` — the values of the atoms on one instance (the
weights, the inputs, a trajectory, a derivative computed by an independent route) — and
compares the two values under the step's relation. What is evaluated is therefore what is
printed, by construction.

Two visitors share one traversal, the one every walk of gradsym uses
(:class:`gradsym.lang.visitor.MatrixVisitor`: ``_print_<Class>`` methods found along the
class's MRO, as SymPy's printers dispatch):

- :class:`ExactEvaluator` gives SymPy values: explicit ``ImmutableMatrix`` for matrices, SymPy
  expressions for scalars (symbols a model leaves free stay symbolic: ℓ, z, …).
- :class:`FloatEvaluator` gives NumPy values: 2-D float64 arrays and floats; elementwise maps
  come from the NumPy cells' own activation table, not from SymPy.

Atoms (named matrices, family members **h**⁽ᵗ⁾, ∂a/∂b, #θ, clip(ĝ), bound scalars) are
looked up in this order: the step's ``where`` overrides, the model's values, the claim's
definitions (``z⁽ᵗ⁾ = …`` matched by family and index, ``ℓ = i − j``), then
``Model.resolve`` (a derivative, a trajectory). An atom none of them knows raises
:class:`Unbound` — a check cannot silently skip part of what is displayed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from sympy import MatrixSymbol

from gradsym.errors import GradsymError
from gradsym.lang.elementwise import numpy_map
from gradsym.lang.functions import relu, sigmoid
from gradsym.lang.notation import (
    Clip,
    IndexedSum,
    MaxOver,
    MinOver,
    OrderedProduct,
    ParamCount,
    Partial,
    Seq,
    Sup,
    TruncatedPartial,
)
from gradsym.lang.symbolic_table import FUNCTION_CLASSES, SCALAR_MAPS
from gradsym.lang.visitor import MatrixVisitor


class Unbound(GradsymError, LookupError):
    """A displayed atom that the model of a check gives no value."""


class Unsupported(GradsymError, TypeError):
    """A displayed construct the evaluator has no rule for."""


class Model:
    """The values one instance gives the atoms of a step.

    ``values`` maps atoms (named matrices, family members, scalar symbols) to values —
    SymPy objects for :class:`ExactEvaluator`, NumPy arrays or numbers for :class:`FloatEvaluator`;
    ``free`` lists scalar symbols that stay symbolic (exact checks: "for every ℓ");
    ``resolve(atom, ev)`` computes derived atoms (∂a/∂b, **h**⁽ᵗ⁾ of a trajectory), asking
    ``ev`` for the values of what they depend on so that ``where`` overrides reach them.
    ``label`` describes the instance in a failure report.
    """

    def __init__(
        self,
        values: dict | None = None,
        *,
        free: Iterable[sp.Symbol] = (),
        label: str = "",
        resolve: Callable[[Any, Evaluator], Any] | None = None,
    ) -> None:
        self.values = dict(values or {})
        self.free = frozenset(free)
        self.label = label
        self._resolve = resolve
        # values computed without overrides, shared by every evaluation on this instance
        # (the steps of a claim, their mutants): a derivative is computed once
        self.memo: dict = {}

    def resolve(self, key, ev: Evaluator):
        """The value of a derived atom (by its key: the atom, or a ("seq", name, index) /
        ("partial", of, wrt) tuple); Unbound when the model does not know it."""
        if self._resolve is not None:
            return self._resolve(key, ev)
        raise Unbound(f"no value for {describe_key(key)}")

    def describe(self) -> dict[str, Any]:
        """The instance, for a counterexample: primitive values by their printed name."""
        out: dict[str, Any] = {"instance": self.label} if self.label else {}
        for k, v in self.values.items():
            out[sp.sstr(k)] = sp.sstr(v) if isinstance(v, sp.Basic) else v
        return out


def seq_key(name: str, index) -> tuple:
    """The lookup key of family member ``name``⁽ⁱⁿᵈᵉˣ⁾ (models key trajectories by it)."""
    return ("seq", name, sp.Integer(index) if isinstance(index, (int, np.integer)) else index)


def describe_key(key) -> str:
    """A key in plain text: h(3), ∂J(4)/∂h(1), W_h."""
    if isinstance(key, tuple) and key[0] == "seq":
        return f"{key[1]}({key[2]})"
    if isinstance(key, tuple) and key[0] == "partial":
        return f"∂{describe_key(key[1])}/∂{describe_key(key[2])}"
    return sp.sstr(key)


class Evaluator(MatrixVisitor):
    """The shared traversal: dispatch on the class, look atoms up, cache values."""

    def __init__(
        self,
        model: Model,
        *,
        definitions: Iterable[tuple[Any, Any]] = (),
        overrides: dict | None = None,
        indices: dict | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.definitions = tuple(definitions)
        self.overrides = dict(overrides or {})
        self.indices = dict(indices or {})  # loop and index variables bound to integers
        self.cache: dict = model.memo if not self.overrides else {}
        self.visited: set = set()

    # -- the traversal ---------------------------------------------------------------

    def __call__(self, e):
        return self.visit(e)

    def emptyPrinter(self, e):
        raise Unsupported(f"{type(self).__name__} cannot evaluate {type(e).__name__}: {e}")

    def fork(self, overrides: dict | None = None, indices: dict | None = None) -> Evaluator:
        """A new evaluator on the same model with more overrides (and an empty cache).

        Override keys are atoms or :func:`seq_key` tuples.
        """
        ev = type(self)(
            self.model,
            definitions=self.definitions,
            overrides={**self.overrides, **(overrides or {})},
            indices={**self.indices, **(indices or {})},
        )
        ev.visited = self.visited
        return ev

    def with_index(self, var: sp.Symbol, value: int) -> Evaluator:
        """A fork with the index (loop) variable ``var`` bound to ``value``; it shares the
        cache, since an atom's key already carries its concrete index."""
        ev = type(self)(
            self.model,
            definitions=self.definitions,
            overrides=self.overrides,
            indices={**self.indices, var: int(value)},
        )
        ev.cache = self.cache
        ev.visited = self.visited
        return ev

    # -- atoms -------------------------------------------------------------------------

    def key(self, atom):
        """What an atom is looked up by: family members by (name, concrete index)."""
        if isinstance(atom, Seq):
            idx = atom.index
            if idx.free_symbols:
                v = self.visit(idx)
                idx = sp.Integer(int(v)) if _is_integer_value(v) else v
            return seq_key(atom.name, idx)
        if isinstance(atom, TruncatedPartial):
            return ("truncated", self.key(atom.of), self.key(atom.wrt), self.index(atom.window))
        if isinstance(atom, Partial):
            return ("partial", self.key(atom.of), self.key(atom.wrt))
        return atom

    def atom(self, e):
        """The value of an atom: overrides, model values, definitions, model.resolve."""
        self.visited.add(e)
        return self.lookup(self.key(e))

    def lookup(self, key):
        """The value under ``key``: an atom, or a :func:`seq_key`/partial tuple."""
        if key in self.cache:
            return self.cache[key]
        if key in self.overrides:
            value = self.lift(self.overrides[key])
        elif key in self.model.values:
            value = self.lift(self.model.values[key])
        else:
            value = self._defined(key)
            if value is None:
                value = self.model.resolve(key, self)
        self.cache[key] = value
        return value

    def seq(self, name: str, index: int):
        """The value of family member ``name``⁽ⁱⁿᵈᵉˣ⁾ (for models computing trajectories)."""
        return self.lookup(seq_key(name, index))

    def _defined(self, key):
        for lhs, rhs in self.definitions:
            if isinstance(key, tuple) and key[0] == "seq" and isinstance(lhs, Seq):
                if lhs.name != key[1]:
                    continue
                var = lhs.index
                if not isinstance(var, sp.Symbol):
                    continue
                return self.with_index(var, int(key[2])).visit(rhs)
            if lhs == key:
                return self.visit(rhs)
        return None

    def index(self, e) -> int:
        """An integer-valued expression (a time index, a loop bound)."""
        v = self.visit(sp.sympify(e, strict=True))
        if not _is_integer_value(v):
            raise Unbound(f"{sp.sstr(e)} must be bound to an integer, got {v}")
        return int(v)

    def _print_MatrixSymbol(self, e):
        return self.atom(e)

    _print_Seq = _print_MatrixSymbol
    _print_Partial = _print_MatrixSymbol
    _print_ParamCount = _print_MatrixSymbol
    _print_Clip = _print_MatrixSymbol

    def _print_Symbol(self, e):
        if e in self.indices:
            return self.lift(sp.Integer(self.indices[e]))
        if e in self.overrides or e in self.model.values:
            return self.atom(e)
        if e in self.model.free:  # "for every ℓ": free even where a definition exists
            self.visited.add(e)
            return self.free_symbol(e)
        return self.atom(e)  # a definition, model.resolve, or Unbound

    def _defines(self, e) -> bool:
        return any(lhs == e for lhs, _ in self.definitions)

    def lift(self, value):
        return value

    def free_symbol(self, e):
        raise Unbound(f"{e} is free, which only an exact check allows")


def _is_integer_value(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, np.integer)):
        return True
    if isinstance(v, sp.Basic):
        return bool(v.is_Integer)
    if isinstance(v, (float, np.floating)):
        return float(v).is_integer()
    return False


# -- exact -------------------------------------------------------------------------------------


def _exact_matrix(v) -> sp.ImmutableMatrix:
    if isinstance(v, sp.MatrixBase):
        return sp.ImmutableMatrix(v)
    return sp.ImmutableMatrix([[v]])


def _scalar(v):
    if isinstance(v, sp.MatrixBase):
        if v.shape != (1, 1):
            raise Unsupported(f"a {v.shape[0]}×{v.shape[1]} matrix where a scalar belongs")
        return v[0, 0]
    return v


def _definition_form(e: sp.Expr) -> sp.Expr:
    """gradsym's opaque σ and ReLU written out (σ = 1/(1 + e^{−z}), ReLU = max(z, 0)), so
    that a derivative the step displays is taken by SymPy, not read from ``fdiff``."""
    return e.replace(
        lambda a: isinstance(a, sigmoid), lambda a: 1 / (1 + sp.exp(-a.args[0]))
    ).replace(lambda a: isinstance(a, relu), lambda a: sp.Max(a.args[0], 0))


def _term_limit(term: sp.Expr, var: sp.Symbol, target) -> sp.Expr:
    try:
        return sp.limit(term, var, target)
    except (NotImplementedError, ValueError):  # e.g. c·(−1/3)^ℓ: the sign alternates
        if sp.limit(sp.Abs(term), var, target) == 0:
            return sp.S.Zero
        raise


def limit_at(e: sp.Expr, var: sp.Symbol, target) -> sp.Expr:
    """lim e as var → target; a sum is taken term by term when every term's limit is
    finite (SymPy's gruntz fails on sums of powers such as (3/5)^ℓ + (9/10)^ℓ), and a term
    whose modulus tends to 0 tends to 0 (a negative base, (−3/5)^ℓ)."""
    e = sp.expand(_definition_form(e))
    if isinstance(e, sp.Add):
        parts = [_term_limit(term, var, target) for term in e.args]
        if all(p.is_finite for p in parts):
            return sp.Add(*parts)
    return _term_limit(e, var, target)


def spectral_norm(M: sp.MatrixBase) -> sp.Expr:
    """‖M‖₂ = √(largest eigenvalue of MᵀM), exactly (M numeric)."""
    return sp.sqrt(_extreme(list((M.T * M).eigenvals()), max))


def _extreme(values: list, pick):
    if len(values) == 1:
        return values[0]
    return pick(values, key=lambda v: sp.N(v, 60))


@lru_cache(maxsize=64)
def supremum(f: sp.Expr, var: sp.Symbol, domain=sp.S.Reals) -> sp.Expr:
    """sup of f over an interval, derived: the largest of f at the critical points
    (f' = 0, solved exactly) and the limits at the ends; sup |f| = max(sup f, sup −f).
    Raises Unsupported when the critical points are not a finite set SymPy can list."""
    if isinstance(f, sp.Abs):
        return sp.Max(supremum(f.args[0], var, domain), supremum(-f.args[0], var, domain))
    crit = sp.solveset(sp.diff(f, var), var, domain)
    if not isinstance(crit, sp.FiniteSet):
        raise Unsupported(f"cannot list the critical points of {f}: {crit}")
    values = [f.subs(var, c) for c in crit]
    for end, side in ((domain.inf, "+"), (domain.sup, "-")):
        values.append(sp.limit(f, var, end, side) if end.is_infinite else f.subs(var, end))
    return sp.Max(*values)


class ExactEvaluator(Evaluator):
    """SymPy values: explicit matrices, exact scalars."""

    def lift(self, value):
        if isinstance(value, sp.MatrixBase):
            return sp.ImmutableMatrix(value)
        if isinstance(value, sp.FunctionClass):  # tanh, σ themselves (a class, not a Basic)
            return value
        return sp.sympify(value, strict=True)

    def free_symbol(self, e):
        return e

    # matrices ------------------------------------------------------------------------

    def _print_MatrixBase(self, e):
        return sp.ImmutableMatrix(e.shape[0], e.shape[1], [self.visit(x) for x in e])

    def _print_Transpose(self, e):
        return _exact_matrix(self.visit(e.arg)).T

    def _print_Inverse(self, e):
        return _exact_matrix(self.visit(e.arg)).inv()

    def _print_MatMul(self, e):
        coef, out = sp.S.One, None
        for a in e.args:
            v = self.visit(a)
            if isinstance(v, sp.MatrixBase) and v.shape == (1, 1) and len(e.args) > 1:
                v = v[0, 0]  # a 1×1 factor (c_k, λ_k) multiplies as the scalar it is
            if isinstance(v, sp.MatrixBase):
                if out is not None and out.shape[1] != v.shape[0]:
                    raise Unsupported(f"shapes {out.shape} and {v.shape} do not multiply")
                out = v if out is None else out * v
            else:
                coef = coef * v
        return coef if out is None else sp.ImmutableMatrix(coef * out)

    def _print_MatAdd(self, e):
        vals = [_exact_matrix(self.visit(a)) for a in e.args]
        out = vals[0]
        for v in vals[1:]:
            if v.shape != out.shape:
                raise Unsupported(f"shapes {out.shape} and {v.shape} do not add")
            out = out + v
        return sp.ImmutableMatrix(out)

    def _print_MatPow(self, e):
        base = _exact_matrix(self.visit(e.base))
        power = self.visit(e.exp)
        if power.is_Integer:
            return sp.ImmutableMatrix(base ** int(power))
        return sp.ImmutableMatrix(sp.Matrix(base) ** power)

    def _print_HadamardProduct(self, e):
        vals = [_exact_matrix(self.visit(a)) for a in e.args]
        out = vals[0]
        for v in vals[1:]:
            out = out.multiply_elementwise(v)
        return sp.ImmutableMatrix(out)

    def _print_Diag(self, e):
        v = _exact_matrix(self.visit(e.vector))
        return sp.ImmutableMatrix(sp.diag(*list(v)))

    def _print_Apply(self, e):
        f = SCALAR_MAPS[e.name]
        return _exact_matrix(self.visit(e.vector)).applyfunc(f)

    def _size(self, s) -> int:
        return self.index(s)

    def _print_Identity(self, e):
        return sp.ImmutableMatrix(sp.eye(self._size(e.rows)))

    def _print_ZeroMatrix(self, e):
        return sp.ImmutableMatrix(sp.zeros(self._size(e.rows), self._size(e.cols)))

    def _print_OneMatrix(self, e):
        return sp.ImmutableMatrix(sp.ones(self._size(e.rows), self._size(e.cols)))

    def _print_BlockMatrix(self, e):
        rows = [
            sp.Matrix.hstack(*[_exact_matrix(self.visit(b)) for b in row])
            for row in e.blocks.tolist()
        ]
        return sp.ImmutableMatrix(sp.Matrix.vstack(*rows))

    def _print_OrderedProduct(self, e):
        low, high = self.index(e.low), self.index(e.high)
        out = None
        for v in range(high, low, -1):
            factor = _exact_matrix(self.with_index(e.var, v).visit(e.body))
            out = factor if out is None else out * factor
        if out is None:
            size = self._size(e.body.shape[0])
            return sp.ImmutableMatrix(sp.eye(size))
        return sp.ImmutableMatrix(out)

    def _print_IndexedSum(self, e):
        low, high = self.index(e.low), self.index(e.high)
        terms = [self.with_index(e.var, v).visit(e.body) for v in range(low, high + 1)]
        out = terms[0]
        for x in terms[1:]:
            out = out + x
        return sp.ImmutableMatrix(out) if isinstance(out, sp.MatrixBase) else out

    # scalars ------------------------------------------------------------------------

    def _print_Number(self, e):
        return e

    def _print_NumberSymbol(self, e):
        return e

    def _print_Infinity(self, e):
        return e

    def _print_NegativeInfinity(self, e):
        return e

    def _print_Decimal(self, e):
        return e.value

    def _print_Interval(self, e):
        return sp.Interval(self.visit(e.start), self.visit(e.end), e.left_open, e.right_open)

    def _print_Expr(self, e):
        # Add, Mul, Pow, Abs, exp, tanh, σ, Max, … rebuilt from their evaluated arguments.
        if not e.args:
            raise Unsupported(f"no rule for the atom {type(e).__name__}: {e}")
        args = [_scalar(self.visit(a)) for a in e.args]
        out = e.func(*args)
        if isinstance(out, sigmoid) and not out.free_symbols:
            return _definition_form(out)  # σ(8) is the number 1/(1 + e^(−8))
        return out

    def _print_Derivative(self, e):
        """d expr/d v at the value of v: a free v (a symbol, an entry h_j) is differentiated
        directly; a bound one through a fresh variable, then substituted (f'(z) at z)."""
        out = e.expr
        result = None
        for var, count in e.variable_count:
            at = self.visit(var)
            if at == var:
                result = sp.diff(_definition_form(_scalar(self.visit(out))), var, count)
            else:
                u = sp.Dummy("u")
                body = _scalar(self.fork(overrides={var: u}).visit(out))
                result = sp.diff(_definition_form(body), u, count).subs(u, at)
            out = result
        return result.doit() if hasattr(result, "doit") else result

    def _print_Sum(self, e):
        (var, low, high), *rest = e.limits
        if rest:
            raise Unsupported("a sum over one index")
        body = _scalar(self.fork(overrides={var: var}).visit(e.function))
        return sp.Sum(body, (var, self.visit(low), self.visit(high)))

    def _print_Indexed(self, e):
        return self.atom(e)

    def _print_AppliedUndef(self, e):
        self.visited.add(e.func)
        f = self.lookup(e.func)
        return f(*[_scalar(self.visit(a)) for a in e.args])

    def _print_Set(self, e):
        return e

    def _print_Norm(self, e):
        v = _exact_matrix(self.visit(e.arg))
        p = self.visit(e.p)
        if 1 in v.shape:
            entries = list(v)
            if p == sp.oo:
                return sp.Max(*[sp.Abs(x) for x in entries])
            if p == 2:
                return sp.sqrt(sum(sp.Abs(x) ** 2 for x in entries))
            return sum(sp.Abs(x) ** p for x in entries) ** (1 / p)
        if p != 2:
            raise Unsupported(f"matrix norm of order {p}")
        return spectral_norm(v)

    def _print_SingularValue(self, e):
        M = _exact_matrix(self.visit(e.arg))
        vals = list((M.T * M).eigenvals())
        return sp.sqrt(_extreme(vals, max if e.which == "max" else min))

    def _print_SpectralRadius(self, e):
        M = _exact_matrix(self.visit(e.arg))
        return _extreme([sp.Abs(v) for v in M.eigenvals()], max)

    def _print_Sup(self, e):
        key = ("sup", e)
        if key in self.cache:
            return self.cache[key]
        var = e.var
        body = _definition_form(_scalar(self.fork(overrides={var: var}).visit(e.body)))
        domain = self.visit(e.domain) if e.domain.free_symbols else e.domain
        self.cache[key] = value = supremum(body, var, domain)
        return value

    def _print_MaxOver(self, e):
        low, high = self.index(e.low), self.index(e.high)
        vals = [_scalar(self.with_index(e.var, v).visit(e.body)) for v in range(low, high + 1)]
        return _extreme(vals, min if isinstance(e, MinOver) else max)

    def _print_Product(self, e):
        (var, low, high), *rest = e.limits
        if rest:
            raise Unsupported("a product over one index")
        out = sp.S.One
        for v in range(self.index(low), self.index(high) + 1):
            out = out * _scalar(self.with_index(var, v).visit(e.function))
        return out

    def _print_MinEntry(self, e):
        return _extreme(list(_exact_matrix(self.visit(e.arg))), min)

    def _print_CosAngle(self, e):
        a, b = (_exact_matrix(self.visit(x)) for x in e.args)
        dot = sum(x * y for x, y in zip(a, b))
        return dot / (sp.sqrt(sum(x**2 for x in a)) * sp.sqrt(sum(y**2 for y in b)))

    def _print_Degree(self, e):
        body = _scalar(self.visit(e.arg))
        var = _scalar(self.visit(e.var))
        funcs = sorted(body.atoms(sp.Function), key=sp.default_sort_key)
        opaque = body.xreplace({f: sp.Dummy() for f in funcs})
        return sp.Integer(sp.degree(sp.expand(opaque), var))

    def _print_FloatRound(self, e):
        v = _scalar(self.visit(e.arg))
        x = float(sp.N(v, 60))  # round to nearest float64
        return sp.oo if x == float("inf") else sp.Rational(x)


# -- float64 -------------------------------------------------------------------------------------


def _np_matrix(v) -> np.ndarray:
    a = np.asarray(v)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a


def _np_scalar(v):
    a = np.asarray(v)
    if a.size != 1:
        raise Unsupported(f"an array of shape {a.shape} where a scalar belongs")
    return a.reshape(()).item()


def _activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Elementwise maps from the function table's NumPy values (σ, tanh, … and their ')."""
    f = numpy_map(name)
    return lambda z: f(np.asarray(z, dtype=float))


_NP_FUNCTIONS: dict[type, Callable] = {
    sp.exp: np.exp,
    sp.tanh: np.tanh,
    sp.log: np.log,
    sp.Abs: np.abs,
    sp.sqrt: np.sqrt,
    # σ, ReLU, ReLU', …: the function table's NumPy values
    **{
        cls: (f.derivative if is_prime else f.apply)
        for cls, (f, is_prime) in FUNCTION_CLASSES.items()
    },
    sp.Heaviside: lambda z, at_zero=0.5: np.heaviside(z, at_zero),
}


SUP_HALF_WIDTH, SUP_POINTS = 40.0, 80001
# SymPy function class → the table's function whose NumPy derivative is f'(z)
_NP_DERIVATIVE = {cls: f.name for cls, (f, is_prime) in FUNCTION_CLASSES.items() if not is_prime}


class FloatEvaluator(Evaluator):
    """float64 values: 2-D arrays for matrices, floats for scalars."""

    def lift(self, value):
        if isinstance(value, np.ndarray):
            return value.astype(float) if value.dtype.kind in "iub" else value
        if isinstance(value, sp.MatrixBase):
            return np.array(value.tolist(), dtype=float)
        if isinstance(value, sp.Basic):
            return complex(value) if not value.is_real else float(value)
        return value

    def _print_MatrixBase(self, e):
        return np.array(
            [[_np_scalar(self.visit(x)) for x in e.row(r)] for r in range(e.rows)], dtype=float
        )

    def _print_Transpose(self, e):
        return _np_matrix(self.visit(e.arg)).T

    def _print_Inverse(self, e):
        return np.linalg.inv(_np_matrix(self.visit(e.arg)))

    def _print_MatMul(self, e):
        coef, out = 1.0, None
        for a in e.args:
            v = self.visit(a)
            if isinstance(v, np.ndarray) and v.size == 1 and len(e.args) > 1:
                v = v.reshape(()).item()  # a 1×1 factor multiplies as the scalar it is
            if isinstance(v, np.ndarray) and getattr(a, "is_Matrix", False):
                v = _np_matrix(v)
                if out is not None and out.shape[1] != v.shape[0]:
                    raise Unsupported(f"shapes {out.shape} and {v.shape} do not multiply")
                out = v if out is None else out @ v
            else:
                coef = coef * _np_scalar(v)
        return coef if out is None else coef * out

    def _print_MatAdd(self, e):
        vals = [_np_matrix(self.visit(a)) for a in e.args]
        out = vals[0]
        for v in vals[1:]:
            if v.shape != out.shape:
                raise Unsupported(f"shapes {out.shape} and {v.shape} do not add")
            out = out + v
        return out

    def _print_MatPow(self, e):
        return np.linalg.matrix_power(_np_matrix(self.visit(e.base)), self.index(e.exp))

    def _print_HadamardProduct(self, e):
        vals = [_np_matrix(self.visit(a)) for a in e.args]
        out = vals[0]
        for v in vals[1:]:
            out = out * v
        return out

    def _print_Diag(self, e):
        return np.diag(_np_matrix(self.visit(e.vector)).reshape(-1))

    def _print_Apply(self, e):
        return _activation(e.name)(_np_matrix(self.visit(e.vector)))

    def _print_Identity(self, e):
        return np.eye(self.index(e.rows))

    def _print_ZeroMatrix(self, e):
        return np.zeros((self.index(e.rows), self.index(e.cols)))

    def _print_OneMatrix(self, e):
        return np.ones((self.index(e.rows), self.index(e.cols)))

    def _print_BlockMatrix(self, e):
        return np.block([[_np_matrix(self.visit(b)) for b in row] for row in e.blocks.tolist()])

    def _print_OrderedProduct(self, e):
        low, high = self.index(e.low), self.index(e.high)
        out = None
        for v in range(high, low, -1):
            factor = _np_matrix(self.with_index(e.var, v).visit(e.body))
            out = factor if out is None else out @ factor
        return np.eye(self.index(e.body.shape[0])) if out is None else out

    def _print_IndexedSum(self, e):
        low, high = self.index(e.low), self.index(e.high)
        terms = [self.with_index(e.var, v).visit(e.body) for v in range(low, high + 1)]
        out = terms[0]
        for x in terms[1:]:
            out = out + x
        return out

    def _print_Number(self, e):
        return float(e) if e.is_real else complex(e)

    def _print_NumberSymbol(self, e):
        return float(e)

    def _print_Infinity(self, e):
        return float("inf")

    def _print_NegativeInfinity(self, e):
        return float("-inf")

    def _print_Decimal(self, e):
        return float(e.value)

    def _print_Interval(self, e):
        return (self.visit(e.start), self.visit(e.end))

    def _print_Add(self, e):
        out = 0.0
        for a in e.args:
            out = out + self.visit(a)
        return out

    def _print_Mul(self, e):
        out = 1.0
        for a in e.args:
            out = out * self.visit(a)
        return out

    def _print_Pow(self, e):
        return np.power(self.visit(e.base), self.visit(e.exp))

    def _print_Max(self, e):
        return np.max([self.visit(a) for a in e.args], axis=0)

    def _print_Min(self, e):
        return np.min([self.visit(a) for a in e.args], axis=0)

    def _print_Function(self, e):
        f = _NP_FUNCTIONS.get(type(e)) or _NP_FUNCTIONS.get(e.func)
        if f is None:
            raise Unsupported(f"no float64 rule for {type(e).__name__}")
        return f(*[self.visit(a) for a in e.args])

    def _print_Derivative(self, e):
        (var, count), *rest = e.variable_count
        if rest or count != 1:
            raise Unsupported("only first derivatives in one variable")
        at = np.asarray(self.visit(var), dtype=float)
        inner = e.expr
        name = _NP_DERIVATIVE.get(type(inner))
        if name is not None and inner.args == (var,):
            # an activation's derivative: the NumPy cells' own (ReLU'(0) = 0, as PyTorch)
            return numpy_map(name + "'")(at)
        # else central differences of the displayed function, independent of SymPy's rules
        step = 1e-6 * np.maximum(1.0, np.abs(at))
        hi = self.fork(overrides={var: at + step}).visit(e.expr)
        lo = self.fork(overrides={var: at - step}).visit(e.expr)
        return (np.asarray(hi) - np.asarray(lo)) / (2 * step)

    def _print_AppliedUndef(self, e):
        self.visited.add(e.func)
        f = self.lookup(e.func)
        return f(*[self.visit(a) for a in e.args])

    def _print_Sup(self, e):
        # on a grid of the variable (the domain's ends, or ±SUP_HALF_WIDTH on the reals)
        lo, hi = -SUP_HALF_WIDTH, SUP_HALF_WIDTH
        if e.domain != sp.S.Reals:
            lo, hi = float(self.visit(e.domain.inf)), float(self.visit(e.domain.sup))
        grid = np.linspace(lo, hi, SUP_POINTS)
        return float(np.max(self.fork(overrides={e.var: grid}).visit(e.body)))

    def _print_Set(self, e):
        return e

    def _print_Norm(self, e):
        v = _np_matrix(self.visit(e.arg))
        p = self.visit(e.p)
        if 1 in v.shape:
            return float(np.linalg.norm(v.reshape(-1), np.inf if p == float("inf") else p))
        if p != 2:
            raise Unsupported(f"matrix norm of order {p}")
        return float(np.linalg.norm(v, 2))

    def _print_SingularValue(self, e):
        s = np.linalg.svd(_np_matrix(self.visit(e.arg)), compute_uv=False)
        return float(s[0] if e.which == "max" else s[-1])

    def _print_SpectralRadius(self, e):
        return float(np.max(np.abs(np.linalg.eigvals(_np_matrix(self.visit(e.arg))))))

    def _print_MaxOver(self, e):
        low, high = self.index(e.low), self.index(e.high)
        pick = min if isinstance(e, MinOver) else max
        return pick(
            _np_scalar(self.with_index(e.var, v).visit(e.body)) for v in range(low, high + 1)
        )

    def _print_Product(self, e):
        (var, low, high), *rest = e.limits
        if rest:
            raise Unsupported("a product over one index")
        out = 1.0
        for v in range(self.index(low), self.index(high) + 1):
            out = out * _np_scalar(self.with_index(var, v).visit(e.function))
        return out

    def _print_MinEntry(self, e):
        return float(np.min(_np_matrix(self.visit(e.arg))))

    def _print_CosAngle(self, e):
        a, b = (_np_matrix(self.visit(x)).reshape(-1) for x in e.args)
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    def _print_FloatRound(self, e):
        with np.errstate(over="ignore", invalid="ignore"):
            return float(_np_scalar(self.visit(e.arg)))


__all__ = [
    "Evaluator",
    "ExactEvaluator",
    "FloatEvaluator",
    "Model",
    "Unbound",
    "Unsupported",
    "display_atoms",
    "limit_at",
    "spectral_norm",
]


ATOMS = (MatrixSymbol, Seq, Partial, ParamCount, Clip, sp.Symbol, sp.Indexed)
_BINDERS = (OrderedProduct, IndexedSum, MaxOver, Sup)


def display_atoms(e) -> set:
    """The atoms a displayed expression shows (named matrices, family members, ∂a/∂b,
    #θ, clip(ĝ), scalar symbols), without the variables a product, sum, max or sup binds."""
    out: set = set()

    def walk(x, bound: frozenset) -> None:
        if isinstance(x, ATOMS):
            if x not in bound:
                out.add(x)
            return
        if isinstance(x, sp.MatrixBase):
            for entry in x:
                walk(entry, bound)
            return
        if isinstance(x, _BINDERS):
            bound = bound | {x.var}
        if isinstance(x, (sp.Sum, sp.Product)):
            bound = bound | {lim[0] for lim in x.limits}
        if isinstance(x, sp.core.function.AppliedUndef):
            out.add(x.func)
        for a in getattr(x, "args", ()):
            if isinstance(a, sp.Basic):
                walk(a, bound)

    walk(e, frozenset())
    return out
