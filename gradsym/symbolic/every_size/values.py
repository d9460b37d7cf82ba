"""Index forms at a fixed size: the value of every entry, in one of three arithmetics.

- :class:`Exact`: rational numbers (``Fraction``) — every form without σ: products,
  traces, the ones vector, ReLU and its step (H(q) decided exactly, H(0) = 0);
- :class:`Intervals`: mpmath's interval arithmetic at 200 bits — with σ(q) =
  1/(1 + e^(−q)) enclosed, so that an entry whose interval excludes 0 is nonzero, proved;
- :class:`Symbols`: SymPy expressions in the entry symbols ``W_h[0,1]``, ``h_prev[2]`` of
  :mod:`gradsym.symbolic.explicit` (σ the opaque ``sigmoid``, the step ``relu_prime``):
  the form written out at that size, for an exact decision there.

Each term is one ``numpy.einsum`` over its factors (object arrays), its free indices the
output, a δ between them placed on the diagonal.
"""

from __future__ import annotations

import string
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from gradsym.lang.functions import relu_prime, sigmoid
from gradsym.lang.names import entry_symbol

from . import atoms as A
from . import poly as P
from . import tensor as T
from .build import Grid, block_name, parts

IV = mpmath.iv
_DUMMY_LETTERS = [ch for ch in string.ascii_letters if ch not in "ijZ"]
_BATCH = "Z"  # the axis of the terms evaluated together


class _Letters(dict):
    """einsum letters: i, j for the free indices, the rest for dummies 0, 1, …"""

    def __missing__(self, k: int) -> str:
        return _DUMMY_LETTERS[k]


_LETTER = _Letters({T.ROW: "i", T.COL: "j"})


@contextmanager
def _precision(bits: int):
    saved = IV.prec
    IV.prec = bits
    try:
        yield
    finally:
        IV.prec = saved


class Ambiguous(Exception):
    """An interval too wide to decide a step H(x) (x within the enclosure of 0)."""


class Exact:
    """Rational arithmetic; σ is not rational (a form with σ needs :class:`Intervals`)."""

    name = "exact"

    def context(self):
        return nullcontext()

    def number(self, q: Fraction):
        return q

    def sigmoid(self, x):
        raise TypeError("σ has no exact rational value")

    def step(self, x):
        return Fraction(1) if x > 0 else Fraction(0)


class Intervals:
    """mpmath intervals at ``bits`` of working precision."""

    name = "intervals"

    def __init__(self, bits: int = 200) -> None:
        self.bits = bits

    def number(self, q: Fraction):
        with _precision(self.bits):
            return IV.mpf(q.numerator) / q.denominator

    def sigmoid(self, x):
        with _precision(self.bits):
            return 1 / (1 + IV.exp(-x))

    def context(self):
        return _precision(self.bits)

    def step(self, x):
        if x.a > 0:
            return self.number(Fraction(1))
        if x.b <= 0:
            return self.number(Fraction(0))
        raise Ambiguous("a step at an argument indistinguishable from 0")


class Symbols:
    """SymPy entries: the form written out at one size."""

    name = "symbols"

    def context(self):
        return nullcontext()

    def number(self, q: Fraction):
        return sp.Rational(q.numerator, q.denominator)

    def sigmoid(self, x):
        return sigmoid(x)

    def step(self, x):
        return relu_prime(x)


def size_of(kind: str, n: int, d: int) -> int:
    return {"n": n, "d": d, "1": 1}[kind]


def symbol_values(symbols, n: int, d: int, values: dict) -> dict[str, np.ndarray]:
    """The factor values of named matrices: ``values`` maps a name to its full matrix (an
    object array, vectors of shape (k,) or (k, 1)); each is cut into its blocks."""
    out = {}
    for sym in symbols:
        full = np.asarray(values[sym.name], dtype=object)
        rows, cols = parts(sym.shape[0]), parts(sym.shape[1])
        full = full.reshape(sum(size_of(k, n, d) for k in rows), -1)
        r0 = 0
        for i, rk in enumerate(rows):
            rs = size_of(rk, n, d)
            c0 = 0
            for j, ck in enumerate(cols):
                cs = size_of(ck, n, d)
                block = full[r0 : r0 + rs, c0 : c0 + cs]
                if rk == "1" and ck == "1":
                    block = block[0, 0]
                elif ck == "1":
                    block = block[:, 0]
                elif rk == "1":
                    block = block[0, :]
                out[block_name(sym.name, i, j, rows, cols)] = block
                c0 += cs
            r0 += rs
    return out


def entry_values(symbols, n: int, d: int) -> dict[str, np.ndarray]:
    """The full matrices of entry symbols (``W_h[0,1]``) of named matrices at sizes n, d."""
    out = {}
    for sym in symbols:
        rows = sum(size_of(k, n, d) for k in parts(sym.shape[0]))
        cols = sum(size_of(k, n, d) for k in parts(sym.shape[1]))
        if sym.shape[1] == 1:
            out[sym.name] = np.array([entry_symbol(sym.name, i) for i in range(rows)], object)
        else:
            m = np.empty((rows, cols), dtype=object)
            for i in range(rows):
                for j in range(cols):
                    m[i, j] = entry_symbol(sym.name, i, j)
            out[sym.name] = m
    return out


class Floats:
    """float64 (NumPy), for a fast first look; never a proof by itself. ``absolute``:
    every number by its absolute value and σ, H by their bound 1 — the sum of the
    absolute values of the terms, a bound against which round-off is measured."""

    name = "float64"

    def __init__(self, absolute: bool = False) -> None:
        self.absolute = absolute

    def context(self):
        return nullcontext()

    def number(self, q: Fraction):
        return abs(float(q)) if self.absolute else float(q)

    def sigmoid(self, x):
        return 1.0 if self.absolute else 0.5 * (1.0 + np.tanh(0.5 * x))

    def step(self, x):
        return 1.0 if (self.absolute or x > 0) else 0.0


class Evaluator:
    """Index forms at sizes (n, d) with the factors' values ``leaves`` (name → array),
    in the arithmetic ``arith``."""

    def __init__(self, n: int, d: int, leaves: dict[str, np.ndarray], arith) -> None:
        self.n, self.d, self.arith = n, d, arith
        self.floats = isinstance(arith, Floats)
        self.values: dict[str, object] = {}
        with arith.context():
            for name, v in leaves.items():
                self.values[name] = self._lift_all(np.asarray(v, dtype=object))
        self.zero = arith.number(Fraction(0))
        # lifted and stored at the working precision of the arithmetic

    def _lift_all(self, arr: np.ndarray) -> np.ndarray:
        if self.floats:
            lift = (lambda x: abs(float(x))) if self.arith.absolute else float
            return np.vectorize(lift, otypes=[float])(arr) if arr.size else arr.astype(float)
        if not arr.size:
            return arr
        return np.vectorize(self._lift, otypes=[object])(arr)

    def _lift(self, x):
        if isinstance(x, (int, Fraction)):
            return self.arith.number(Fraction(x))
        if isinstance(x, sp.Rational):
            return self.arith.number(Fraction(int(x.p), int(x.q)))
        return x

    def size(self, kind: str) -> int:
        return size_of(kind, self.n, self.d)

    def factor(self, name: str):
        found = self.values.get(name)
        if found is not None:
            return found
        a = A.atom_of(name)
        if a is None:
            raise KeyError(f"no value for {name}")
        base = self.tensor(a.base)
        arg = base[:, 0] if a.indexed else base[0, 0]
        c = self.arith.number(a.scale)
        f = self.arith.sigmoid if a.kind == A.SIGMOID else self.arith.step
        dtype = float if self.floats else object
        if a.indexed:
            value = np.array([f(c * x) for x in arg], dtype=dtype)
        else:
            value = np.asarray(f(c * arg), dtype=dtype)
        self.values[name] = value
        return value

    def _empty(self, shape) -> np.ndarray:
        if self.floats:
            return np.zeros(shape)
        out = np.empty(shape, dtype=object)
        out.fill(self.zero)
        return out

    def tensor(self, t: T.Tensor) -> np.ndarray:
        """The block's value: an array of its entries (rows × cols)."""
        shape = (self.size(t.free[0]), self.size(t.free[1]))
        out = self._empty(shape)
        for group in plan(t):
            out = out + self._group(group, shape)
        return out

    def entry(self, t: T.Tensor, i: int, j: int):
        """One entry (i, j) of the block, its free indices fixed before contracting."""
        total = self.zero
        for group in plan(t):
            if group.delta and i != j:
                continue
            fixed = {T.ROW: i, T.COL: i if group.delta else j}
            value = self._contract(group, fixed)
            total = total + (value[()] if isinstance(value, np.ndarray) else value)
        return total

    def _contract(self, group: Group, fixed: dict | None = None):
        """Σ over the group's terms of coefficient × contraction, as an array over the free
        indices the terms use (those in ``fixed`` sliced away)."""
        dtype = float if self.floats else object
        z = len(group.members)
        coefs = np.empty(z, dtype=dtype)
        for k, (_, coef) in enumerate(group.members):
            coefs[k] = self.arith.number(P.at(coef, self.n, self.d))
        operands, subs = [], []
        for p, idx in enumerate(group.idxs):
            stacked = np.stack(
                [np.asarray(self.factor(names[p]), dtype=dtype) for names, _ in group.members]
            )
            if fixed:
                stacked = stacked[(slice(None), *(fixed.get(i, slice(None)) for i in idx))]
                idx = tuple(i for i in idx if i not in fixed)
            operands.append(stacked)
            subs.append(_BATCH + "".join(_LETTER[i] for i in idx))
        out_idx = [i for i in group.out if not (fixed and i in fixed)]
        out = _BATCH + "".join(_LETTER[i] for i in out_idx)
        if operands:
            spec = ",".join(subs) + "->" + out
            space = max(self.n, self.d) ** len(set(spec) - set(",->" + _BATCH))
            value = np.einsum(spec, *operands, optimize=len(operands) > 2 and space > 64)
            value = np.asarray(value, dtype=dtype)
        else:
            value = np.ones(z, dtype=float) if self.floats else np.array([1] * z, dtype=object)
        value = value * coefs.reshape((z,) + (1,) * (value.ndim - 1))
        summed = value.sum(axis=0)
        if not isinstance(summed, np.ndarray):
            box = np.empty((), dtype=dtype)
            box[()] = summed
            summed = box
        return summed

    def _group(self, group: Group, shape) -> np.ndarray:
        value = self._contract(group)
        rows, cols = shape
        if group.delta:  # δ_ij: the value lives on the diagonal (columns renamed to rows)
            full = self._empty(shape)
            for k in range(rows):
                full[k, k] = value[k] if group.out else value[()]
            return full
        if group.out == (T.ROW, T.COL):
            return value
        if group.out == (T.ROW,):
            value = value.reshape(rows, 1)
        elif group.out == (T.COL,):
            value = value.reshape(1, cols)
        else:
            value = value.reshape(1, 1)
        return np.broadcast_to(value, shape).copy()

    def grid(self, g: Grid) -> np.ndarray:
        """The whole matrix of a grid."""
        with self.arith.context():
            return self._grid(g)

    def _grid(self, g: Grid) -> np.ndarray:
        rows = [self.size(k) for k in g.rows]
        cols = [self.size(k) for k in g.cols]
        out = self._empty((sum(rows), sum(cols)))
        r0 = 0
        for i, rs in enumerate(rows):
            c0 = 0
            for j, cs in enumerate(cols):
                b = g.blocks.get((i, j))
                if b is not None:
                    out[r0 : r0 + rs, c0 : c0 + cs] = self.tensor(b)
                c0 += cs
            r0 += rs
        return out

    def grid_entry(self, g: Grid, row: int, col: int):
        """Entry (row, col) of the whole matrix of a grid."""
        with self.arith.context():
            return self._grid_entry(g, row, col)

    def _grid_entry(self, g: Grid, row: int, col: int):
        bi, i = self._locate(g.rows, row)
        bj, j = self._locate(g.cols, col)
        b = g.blocks.get((bi, bj))
        return self.zero if b is None else self.entry(b, i, j)

    def _locate(self, layout, k: int) -> tuple[int, int]:
        for b, kind in enumerate(layout):
            s = self.size(kind)
            if k < s:
                return b, k
            k -= s
        raise IndexError(k)


@dataclass(frozen=True)
class Group:
    """Terms of a block with the same index pattern (the factors' names aside), evaluated
    in one einsum along a batch axis: ``idxs`` the indices of each operand, ``out`` the
    free indices used, ``delta`` whether δ_ij joins them, ``members`` (names, coefficient)."""

    idxs: tuple
    out: tuple
    delta: bool
    members: tuple


_PLANS: dict = {}


def plan(t: T.Tensor) -> list[Group]:
    """The block's terms grouped by index pattern: each term's dummies renamed by the
    normal form of its index graph with the names erased, operands in index order."""
    key = t.key()
    found = _PLANS.get(key)
    if found is not None:
        return found
    groups: dict = {}
    for (dtypes, factors, deltas), coef in t.terms.items():
        dummies = sorted({i for _, idx in factors for i in idx if i >= 0})
        blind = [("", idx) for _, idx in factors]
        sizes, _, order = T.canonical_order(list(dtypes), blind, dummies)
        label = {old: new for new, old in enumerate(order)}
        ops = sorted((tuple(label.get(i, i) for i in idx), name) for name, idx in factors)
        idxs = tuple(idx for idx, _ in ops)
        out = tuple(i for i in (T.ROW, T.COL) if any(i in idx for idx in idxs))
        gkey = (sizes, idxs, out, bool(deltas))
        groups.setdefault(gkey, []).append((tuple(name for _, name in ops), coef))
    found = [
        Group(idxs, out, delta, tuple(members)) for (_, idxs, out, delta), members in groups.items()
    ]
    if len(_PLANS) > 2048:
        _PLANS.clear()
    _PLANS[key] = found
    return found


def has_sigmoid(g: Grid) -> bool:
    """Whether any σ is reachable in the grid (inside arguments too)."""
    seen: set[str] = set()
    stack = [b for b in g.blocks.values()]
    while stack:
        t = stack.pop()
        for _, factors, _ in t.terms:
            for name, _ in factors:
                if name in seen:
                    continue
                seen.add(name)
                a = A.atom_of(name)
                if a is None:
                    continue
                if a.kind == A.SIGMOID:
                    return True
                stack.append(a.base)
    return False


def nonzero(x, arith) -> bool | None:
    """True if x ≠ 0 is proved, False if x = 0 is proved, None if undecided."""
    if isinstance(arith, Exact):
        return x != 0
    if isinstance(arith, Intervals):
        if x.a > 0 or x.b < 0:
            return True
        return None
    return None


class Enclosure:
    """An interval kept as its endpoints (mpmath's raw tuples): what :func:`endpoints`,
    :func:`as_float`, :func:`width` and :func:`digits` read, and picklable."""

    __slots__ = ("_mpi_",)

    def __init__(self, mpi) -> None:
        self._mpi_ = mpi

    def __reduce__(self):
        return (Enclosure, (self._mpi_,))


def frozen(x):
    """x with an mpmath interval replaced by its :class:`Enclosure`."""
    return Enclosure(x._mpi_) if hasattr(x, "_mpi_") and not isinstance(x, Enclosure) else x


def endpoints(x) -> tuple:
    """(lower, upper) of an interval as mpmath numbers at 220 bits."""
    lo, hi = x._mpi_
    return mpmath.mp.make_mpf(lo), mpmath.mp.make_mpf(hi)


def as_float(x) -> float:
    if isinstance(x, Fraction):
        return float(x)
    if hasattr(x, "_mpi_"):
        lo, hi = endpoints(x)
        return float((lo + hi) / 2)
    return float(x)


def width(x) -> float:
    """The width of an interval (0 for an exact number)."""
    if hasattr(x, "_mpi_"):
        lo, hi = endpoints(x)
        return float(hi - lo)
    return 0.0


def digits(x, count: int = 50) -> str:
    """x exactly when it is a rational with a short form (-206, 3/97), else to ``count``
    significant digits (an interval: its midpoint, the interval being far narrower)."""
    if isinstance(x, Fraction):
        if len(str(x)) <= 2 * count:
            return str(x)
        return str(sp.Float(sp.Rational(x.numerator, x.denominator), count))
    lo, hi = endpoints(x)
    with mpmath.workprec(240):
        return mpmath.nstr((lo + hi) / 2, count)
