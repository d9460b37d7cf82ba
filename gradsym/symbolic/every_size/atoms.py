"""Elementwise functions in index terms: σ(a)[k], written canonically so that equal
functions of equal arguments are the same factor.

Every elementwise map of the function table (:mod:`gradsym.lang.elementwise`: f and f′ of
each row, read from the row's SymPy form, see :func:`apply`) is written through two atoms,
each a factor with one index (or none, when its argument does not depend on the index):

- **σ(c·a)**, the sigmoid of a vector a in normal form scaled so that its leading term has
  coefficient 1, c > 0: σ(−c·a) = 1 − σ(c·a), σ' = σ(1 − σ), tanh(a) = 2σ(2a) − 1,
  tanh' = 1 − tanh² = 4σ(2a) − 4σ(2a)², σ(0) = ½. So σ(z)σ(−z), σ(z)(1 − σ(z)),
  4σ(2z)σ(−2z) and 1 − tanh²(z) meet as polynomials in the one factor σ(z) or σ(2z), and
  tanh(z/2) = 2σ(z) − 1 meets σ(z).
- **H(±a)**, the step ReLU' (H(x) = 1 for x > 0 and 0 for x ≤ 0: ReLU'(0) = 0, the
  table's value, which its NumPy side and the notes share), a scaled to leading
  coefficient 1:
  H(c·a) = H(a) for c > 0; H² = H and H(a)·H(−a) = 0 (both hold at a = 0 too, with
  H(0) = 0); ReLU(a) = a·H(a) (0 at a = 0 either way); and H(r·a·H(s·a)) = H(s·a) when
  r·s > 0 (so ReLU'(ReLU(z)) = ReLU'(z), again exact at 0 with H(0) = 0).
- identity(a) = a, identity' = 1 (the table's forms z and 1 need no atom).

An argument is itself a normal form (:mod:`.tensor`), so these rewritings apply inside
nested functions and after the cell's intermediates are written out. Identities between
σ's of different arguments (σ(z) and σ(2z), or σ(a), σ(b) and σ(a + b)) are not in this
form; :mod:`.decide` meets them through exp when the forms differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import sympy as sp

from gradsym.lang.elementwise import MAPS
from gradsym.lang.functions import relu, relu_prime, sigmoid

from . import poly as P
from . import tensor as T

SIGMOID, STEP = "σ", "H"


@dataclass(frozen=True)
class Atom:
    """f(scale·base)[k]: ``kind`` σ or H, ``base`` a vector block whose leading term has
    coefficient 1 (or, when that coefficient depends on n or d, the argument itself with
    scale 1), ``indexed`` False when the base does not depend on its index."""

    kind: str
    scale: Fraction
    base: T.Tensor
    indexed: bool
    name: str


ATOMS: dict[str, Atom] = {}


def atom_of(name: str) -> Atom | None:
    return ATOMS.get(name)


def _name(kind: str, scale: Fraction, base: T.Tensor) -> str:
    return f"{kind}{scale}#{base.digest()}"


def _atom(kind: str, scale: Fraction, base: T.Tensor) -> Atom:
    name = _name(kind, scale, base)
    found = ATOMS.get(name)
    if found is not None:
        if found.base != base:  # a 64-bit digest collision: never silently merge
            raise T.Unsupported("two arguments with the same digest")
        return found
    a = Atom(kind, scale, base, base.uses(T.ROW), name)
    ATOMS[name] = a
    if kind == STEP:
        T.IDEMPOTENT[name] = _name(kind, -scale, base)
    return a


def factor(a: Atom, kind: str) -> T.Tensor:
    """The atom as a block: a[i] (or a, index-free) on a vector of size ``kind``."""
    raw = T.Raw()
    raw.factors.append((a.name, (T.ROW,) if a.indexed and kind != "1" else ()))
    out = T.Tensor((kind, "1"))
    out.accumulate(T.normalize(raw))
    return out


def content(v: T.Tensor) -> tuple[Fraction | None, T.Tensor]:
    """(c, a) with v = c·a and a's leading term of coefficient 1; c None (and a = v) when
    that coefficient depends on n or d."""
    lead = min(v.terms)
    c = P.constant(v.terms[lead])
    if c is None:
        return None, v
    return c, T.scale(v, 1 / c)


def _sigmoid(v: T.Tensor, c=1) -> T.Tensor:
    """σ(c·v) as a block."""
    kind = v.free[0]
    arg = T.scale(v, c)
    if arg.is_zero():
        return T.ones(kind, "1", Fraction(1, 2))
    lc, base = content(arg)
    if lc is None:
        return factor(_atom(SIGMOID, Fraction(1), arg), kind)
    out = factor(_atom(SIGMOID, abs(lc), base), kind)
    if lc < 0:  # σ(−x) = 1 − σ(x)
        out = T.add(T.ones(kind, "1"), T.scale(out, -1))
    return out


def step(v: T.Tensor) -> T.Tensor:
    """H(v) = ReLU'(v), H(0) = 0, as a block."""
    kind = v.free[0]
    if v.is_zero():
        return T.zero((kind, "1"))
    same = _step_of_step(v)
    if same is not None:
        return same
    lc, base = content(v)
    if lc is None:
        return factor(_atom(STEP, Fraction(1), v), kind)
    if base == T.ones(kind, "1"):  # a constant: H(c) is 1 or 0
        return T.ones(kind, "1") if lc > 0 else T.zero((kind, "1"))
    return factor(_atom(STEP, Fraction(1 if lc > 0 else -1), base), kind)


def _step_of_step(v: T.Tensor) -> T.Tensor | None:
    """H(v) when v = r·a·H(s·a) with r·s > 0: then H(v) = H(s·a) (at a = 0 both are 0)."""
    common = None
    for _, factors, _ in v.terms:
        here = {f for f in factors if f[0] in T.IDEMPOTENT and f[1] in ((T.ROW,), ())}
        common = here if common is None else common & here
        if not common:
            return None
    for name, idx in sorted(common):
        a = ATOMS[name]
        rest = T.Tensor(v.free)
        for (dtypes, factors, deltas), coef in v.terms.items():
            kept = list(factors)
            kept.remove((name, idx))
            raw = T.Raw(coef)
            raw.put((dtypes, tuple(kept), deltas), P.const(1), {T.ROW: T.ROW, T.COL: T.COL})
            rest.accumulate(T.normalize(raw))
        if rest.is_zero():
            continue
        lc, base = content(rest)
        if lc is not None and base == a.base and lc * a.scale > 0:
            return factor(a, v.free[0])
    return None


def apply(name: str, v: T.Tensor) -> T.Tensor:
    """The elementwise map ``name`` (f or f′ of a row of the function table,
    :data:`gradsym.lang.elementwise.MAPS`) of a vector block, written through σ and H.

    What f and f′ are is read from the table, never restated here: the row's SymPy form
    (``scalar`` or ``scalar_prime`` of a symbol z: tanh′ is 1 − tanh²(z), ReLU′ is the
    table's ``relu_prime``, 0 at 0) is translated by :func:`_through_sigma_and_step`. A map
    the table does not have, or a form written with a function that translation does not
    know, is outside the fragment."""
    form = _table_form(name)
    return _through_sigma_and_step(form, v)


_Z = sp.Symbol("z")


@cache
def _table_form(name: str) -> sp.Expr:
    """f(z) or f′(z) of the function table's row for the map ``name``."""
    found = MAPS.get(name)
    if found is None:
        raise T.Unsupported(f"the elementwise function {name!r}")
    f, is_prime = found
    return sp.sympify((f.scalar_prime if is_prime else f.scalar)(_Z), strict=True)


def _through_sigma_and_step(e: sp.Expr, v: T.Tensor) -> T.Tensor:
    """The scalar form ``e`` of z, at z = the vector block v, entrywise: numbers, sums,
    products and whole powers of z and of the primitives — σ (:class:`sigmoid`),
    tanh(a) = 2σ(2a) − 1, ReLU(a) = a·H(a) and ReLU′(a) = H(a) (:class:`relu`,
    :class:`relu_prime`, with H(0) = 0: the table's ReLU′(0))."""
    kind = v.free[0]

    def walk(x: sp.Expr) -> T.Tensor:
        if x == _Z:
            return v
        if x.is_Rational:
            q = Fraction(int(x.p), int(x.q))
            return T.ones(kind, "1", q) if q else T.zero((kind, "1"))
        if isinstance(x, sp.Add):
            return T.add(*(walk(a) for a in x.args))
        if isinstance(x, sp.Mul):
            out = walk(x.args[0])
            for a in x.args[1:]:
                out = T.hadamard(out, walk(a))
            return out
        if isinstance(x, sp.Pow) and x.exp.is_Integer and x.exp > 0:
            base, out = walk(x.base), walk(x.base)
            for _ in range(int(x.exp) - 1):
                out = T.hadamard(out, base)
            return out
        if len(x.args) == 1:
            arg = walk(x.args[0])
            if isinstance(x, sigmoid):
                return _sigmoid(arg)
            if isinstance(x, sp.tanh):
                return T.add(T.scale(_sigmoid(arg, 2), 2), T.ones(arg.free[0], "1", -1))
            if isinstance(x, relu):
                return T.hadamard(arg, step(arg))
            if isinstance(x, relu_prime):
                return step(arg)
        raise T.Unsupported(f"the function table's form {sp.sstr(x)[:40]}")

    return walk(e)


def derivative_factor(a: Atom, kind: str) -> T.Tensor:
    """f'(scale·base)·scale as a block (the chain rule's outer factor): for σ,
    c·σ(1 − σ); for the step, 0 (its derivative away from 0)."""
    if a.kind == STEP:
        return T.zero((kind, "1"))
    s = factor(a, kind)
    return T.scale(T.add(s, T.scale(T.hadamard(s, s), -1)), a.scale)
